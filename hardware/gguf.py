"""Read one number from a GGUF file's header, the model's layer count, without loading the model.

Loading with llama.cpp's `vocab_only` also gives it, but takes 65-135 ms and builds a context; walking the
header's key/value pairs until `<architecture>.block_count` reads a few kilobytes (about 0.1 ms).
Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (version 2 and 3, little-endian).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

# value type -> struct format of one scalar (8: string and 9: array are read apart)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


class GGUFError(ValueError):
    """The file is not a GGUF file this reader understands."""


def _unpack(f: BinaryIO, fmt: str) -> tuple:
    size = struct.calcsize("<" + fmt)
    data = f.read(size)
    if len(data) != size:
        raise GGUFError("the file ends inside its header")
    return struct.unpack("<" + fmt, data)


def _string(f: BinaryIO) -> str:
    (length,) = _unpack(f, "Q")
    return f.read(length).decode(errors="replace")


def _skip(f: BinaryIO, kind: int) -> None:
    """Move past one value of type `kind` (arrays, such as the tokenizer's vocabulary, element by element)."""
    if kind == _STRING:
        (length,) = _unpack(f, "Q")
        f.seek(length, 1)
    elif kind == _ARRAY:
        item, count = _unpack(f, "IQ")
        if item in _SCALARS:
            f.seek(count * struct.calcsize("<" + _SCALARS[item]), 1)
        else:
            for _ in range(count):
                _skip(f, item)
    elif kind in _SCALARS:
        f.seek(struct.calcsize("<" + _SCALARS[kind]), 1)
    else:
        raise GGUFError(f"unknown GGUF value type {kind}")


def block_count(path: str | Path) -> int | None:
    """The model's number of transformer layers (`<arch>.block_count`), or None if the header has none.

    Raises GGUFError for a file that isn't GGUF (v2/v3), OSError if it can't be read.
    """
    with open(path, "rb") as f:
        magic, version = _unpack(f, "4sI")
        if magic != b"GGUF" or version not in (2, 3):
            raise GGUFError(f"{path} is not a GGUF v2/v3 file")
        _tensors, pairs = _unpack(f, "QQ")
        for _ in range(pairs):
            key = _string(f)
            (kind,) = _unpack(f, "I")
            if key.endswith(".block_count") and kind in _SCALARS:
                return int(_unpack(f, _SCALARS[kind])[0])
            _skip(f, kind)
    return None
