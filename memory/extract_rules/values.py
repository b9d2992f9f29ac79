"""What a stored value may hold: the words the user wrote about the topic, nothing after them.

Rules and a model both find values by position ("je vis à <value>"), so a value can run on into an emoji,
a dash and another sentence ("Zürich 🇨🇭 — 日本語も話せます") or into markup ("<script>"). `clean_value` cuts a
value at the first emoji or pictograph, at a spaced dash, or where the writing system changes (Latin to
Japanese), and refuses a value holding markup or code characters: a memory is shown back to the user and
to the model, so it must be plain words.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_value"]

_MARKUP = re.compile(r"[<>{}`\\]|https?://|\bjavascript:|&#?\w+;")
_DASH = re.compile(r"\s+[-\u2013\u2014\u2015]+\s+|\s*[\u2014\u2015]\s*")
_TRAILING = " \t\n,.;:!?-'\"()[]\u2019\ufe0f\u200d"
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "CJK", "HIRAGANA", "KATAKANA", "HANGUL", "DEVANAGARI",
            "THAI", "ARMENIAN", "GEORGIAN", "ETHIOPIC", "BENGALI", "TAMIL")


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return next((s for s in _SCRIPTS if name.startswith(s)), "OTHER")


def _is_pictograph(char: str) -> bool:
    """Emoji, flags (regional indicators), dingbats and other symbols that are not words."""
    return unicodedata.category(char) in ("So", "Sk", "Cs", "Co") or 0x1F1E6 <= ord(char) <= 0x1F1FF


def clean_value(value: str) -> str | None:
    """The value cut before its first emoji, spaced dash or change of script; None when nothing plain is left
    or it holds markup. The result is always a prefix of `value` (stripped), so it stays a substring of the
    message it came from."""
    if _MARKUP.search(value):
        return None
    end = len(value)
    if dash := _DASH.search(value):
        end = dash.start()
    first_script = None
    for i, char in enumerate(value[:end]):
        if _is_pictograph(char):
            end = i
            break
        script = _script(char)
        if script is None:
            continue
        if first_script is None:
            first_script = script
        elif script != first_script and not {script, first_script} <= {"CJK", "HIRAGANA", "KATAKANA"}:
            end = i
            break
    cleaned = value[:end].rstrip(_TRAILING).strip()
    return cleaned if any(c.isalnum() for c in cleaned) else None
