"""Accent- and case-folding that keeps every character at its index, so matches map back to the message."""

from __future__ import annotations

import unicodedata


def _fold_table() -> dict[int, str]:
    """One char -> one char: accented Latin letters to their ASCII base, odd apostrophes/spaces to plain."""
    table = {ord(c): "'" for c in "\u2019\u2018`\u00b4\u02bc\u2032"}
    table |= {0xA0: " ", 0x202F: " ", 0x2009: " ", 0x2026: ".", 0x2011: "-", 0x2013: "-", 0x2014: "-"}
    table |= {ord("œ"): "o", ord("Œ"): "O", ord("æ"): "a", ord("Æ"): "A"}
    for cp in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(cp))[:1]
        if base.isascii() and base.isalpha():
            table.setdefault(cp, base)
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lowercase, accents and odd apostrophes/spaces replaced one char for one char (same length)."""
    folded = text.translate(_FOLD).lower()
    if len(folded) != len(text):  # a rare char whose lowercase is longer: keep it as is
        folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in text.translate(_FOLD))
    return folded

