"""Add labelled items to the corpus, each to the working or the locked split, by a hash of its id.

    python scripts/check_corpus.py NEW.jsonl && python scripts/split_corpus.py NEW.jsonl [MORE.jsonl ...]

Which part an item goes to depends only on a hash of its id (35% locked), so nobody chooses it and adding
items never moves old ones. Single messages go to data/extraction/mnemo_{train,locked}.jsonl, conversations
to mnemo_{train,locked}_sequences.jsonl; an id already in the corpus is skipped. The locked files are for
`mnemo bench extraction` only: no rule, threshold or model is tuned on them, and the people writing rules do
not read their items (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

LOCKED_SHARE = 35  # percent
SALT = "mnemo-corpus-v1"
DATA = Path(__file__).resolve().parent.parent / "data" / "extraction"


def locked(item_id: str) -> bool:
    return int(hashlib.sha256(f"{SALT}:{item_id}".encode()).hexdigest()[:8], 16) % 100 < LOCKED_SHARE


def _ids(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def main(paths: list[str]) -> None:
    added: dict[str, int] = {}
    known: dict[str, set[str]] = {}
    for source in map(Path, paths):
        for line in source.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            name = ("mnemo_locked" if locked(item["id"]) else "mnemo_train") + ("_sequences" if "turns" in item else "")
            target = DATA / f"{name}.jsonl"
            seen = known.setdefault(name, _ids(target))
            if item["id"] in seen:
                continue
            seen.add(item["id"])
            with target.open("a", encoding="utf-8") as out:
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
            added[name] = added.get(name, 0) + 1
    for name, count in sorted(added.items()):
        print(f"{name}.jsonl: +{count}")


if __name__ == "__main__":
    main(sys.argv[1:])
