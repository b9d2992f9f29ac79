"""Personal identifiers (phone, IBAN, card, passport and social security numbers, e-mails).

Why: such values are never stored from a passing mention; only an explicit request ("retiens mon numéro pro",
"remember my work phone is ...") makes them a profile memory.
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate

_PII = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+"  # e-mail
    r"|\b[a-z]{2}\d{2}(?:\s?[a-z0-9]{4}){2,7}(?:\s?[a-z0-9]{1,4})?\b"  # IBAN
    r"|(?:\+\d{1,3}[\s.-]?)?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,6}"  # phone, card, long numbers (digits checked below)
)
_KINDS = (("email", re.compile(r"@")), ("iban", re.compile(r"^[a-z]{2}\d{2}")),
          ("card", re.compile(r"^(?:\d[\s-]?){13,19}$")), ("phone", re.compile(r"\d")))
_ASK = re.compile(
    r"\b(?:retiens|retenir|memorise|note|notes|enregistre|garde|sauvegarde|remember|save|store|keep|note\s+down)\b"
    r"[^.!?]{0,40}?\b(?:mon|ma|mes|my)\b"
)
_ID_WORD = re.compile(r"\b(?:passport|passeport|social\s+security|securite\s+sociale|ssn|numero\s+fiscal|tax\s+id)\b")


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def identifiers(folded: str) -> list[tuple[int, int]]:
    """Spans of personal identifiers in a folded message."""
    out = []
    for m in _PII.finditer(folded):
        if "@" in m.group() or re.match(r"[a-z]{2}\d{2}", m.group()) or _digits(m.group()) >= 8:
            out.append(m.span())
    return out


def mentions_identifier(folded: str) -> bool:
    return bool(identifiers(folded)) or _ID_WORD.search(folded) is not None


def requested(text: str, folded: str, language: str) -> list[Candidate]:
    """The identifiers the user explicitly asks to remember, as profile memories."""
    ask = _ASK.search(folded)
    if not ask:
        return []
    out = []
    for start, end in identifiers(folded):
        value = folded[start:end].strip()
        kind = next(name for name, pattern in _KINDS if pattern.search(value))
        out.append(Candidate("profile", f"profile.{kind}", text[start:end].strip(), "positive", 0.9, language,
                             text[ask.start():end].strip()))
    return out
