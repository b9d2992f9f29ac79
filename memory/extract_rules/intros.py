"""Introductions and moves said without the usual clause shape.

- List intros: "Quick intro: Tom, maths teacher in Bristol", "Priya here, data analyst from Leeds",
  "moi c'est Mathis, étudiant en droit à Toulouse", "I'm Sam btw, 31, accountant": a name, then comma-separated
  parts that are an age, a job (with "in/at/à <City>") or a city.
- Moves and settlements: "on a déménagé à Rennes", "moved from Porto to Leeds", "j'ai quitté Paris pour Annecy",
  "installés à Annecy depuis hier", "we relocated to Dublin",
  "I now live in Porto", "been living in Berlin", "based in Montreal, originally from Lyon", "ici à Marseille",
  "Parisien depuis 10 ans". The consolidation layer supersedes the old city by itself.
- Self-corrections: "pardon, c'est Anna avec deux n", "my name is Jakob, not Jacob": only the corrected value.

Why a module: these are sentence-level shapes (a list, a subjectless participle), and a time phrase must never
end up in the value ("Bordeaux last month" -> "Bordeaux").
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.patterns import OCCUPATIONS
from memory.extract_rules.scope import Scope

_CAP = re.compile(r"[A-ZÀ-Ý][\w'-]*(?:[ -][A-ZÀ-Ý][\w'-]*){0,2}")  # on the original text: "Tom", "New York"
_PART = re.compile(r"[^,]+")
_TRAILING_CUE = re.compile(r"\s+(?:here|ici|btw)$")
_PLACE_END = re.compile(  # a place ends at a comma, a time phrase, a reason or a second statement (folded)
    r"\s*(?:[,.;:!?()]|\s-\s)|\s+(?:since|for|last|next|this|in\s+(?:january|february|march|april|may|june|july"
    r"|august|september|october|november|december|\d{4})|ago|yesterday|today|a\s+few|with|and|but|because|after"
    r"|before|depuis|il\s+y\s+a|cet|cette|ce|le\s+mois|la\s+semaine|l'an|l'annee|en\s+(?:janvier|fevrier|mars|avril"
    r"|mai|juin|juillet|aout|septembre|octobre|novembre|decembre|\d{4})|hier|avec|et|mais|parce|car|pour|apres"
    r"|avant|donc|now|maintenant|desormais|a\s+la\s+base|originally|de\s+coeur|lol|mdr|haha|btw|tbh|perso|il\s+fait"
    r"|it'?s|the\s+rain|and\s+i'?m|still)\b"
)
_MOVE = re.compile(
    r"\b(?:(?:on|nous)\s+(?:a|avons|s'\s*est|nous\s+sommes)|j'\s*ai|jai|je\s+me\s+suis|je\s+suis)\s+(?:(?:enfin|finalement"
    r"|recemment|deja|bien)\s+)?(?:demenage|emmenage|installe|pose|parti)e?s?\s+(?:a|au|aux|en|dans|sur|vers)\s+"
    r"|^(?:(?:enfin|bien|tout\s+juste|fraichement)\s+)?(?:installe|demenage|emmenage|arrive)e?s?\s+(?:a|au|aux|en|dans)\s+"
    r"|\b(?:we|i)\s+(?:(?:just|recently|finally|have|'ve|all)\s+)*(?:moved|relocated|settled|moved\s+back)\s+(?:to|in"
    r"|into|down\s+to|over\s+to)\s+|\b(?:i|we)\s+(?:now|currently)\s+live\s+in\s+|\bi\s+ended\s+up\s+in\s+"
    r"|(?:^|\bi'?ve\s+|\bi\s+have\s+)been\s+(?:living|based)\s+in\s+|^(?:now\s+|currently\s+)?(?:based|living"
    r"|located)\s+(?:in|out\s+of)\s+"
)
_MOVE_FROM = re.compile(  # "moved from Paris to Lyon", "j'ai déménagé de Paris à Lyon": the new place only
    r"\b(?:moved|relocated|demenage|demenagee?s?|(?:suis|sommes|est)\s+partie?s?)\s+(?:back\s+)?(?:from|out\s+of"
    r"|de|du|d')\s*+[^,.;!?]{1,40}?\s+(?:to|into|a|au|aux|en|pour|vers|sur)\s+"
)
# "left Paris for Annecy": only with a capitalised place ("I left my job for a startup" is no move)
_LEFT_FOR = re.compile(r"\b(?:left|quit|(?:ai|avons|a)\s+quitte)\s+[^,.;!?]{1,40}?\s+(?:for|pour)\s+")
_HERE = re.compile(r"\b(?:ici|here)\s+(?:a|au|in)\s+")  # "ici à Marseille il fait...", capitalised city only
_ORIGIN = re.compile(r"(?:^|\b)(?:originally\s+from|from\s+\S+\s+originally|originaire\s+(?:de|d')"
                     r"|^from)\s+")
_DWELLER = re.compile(r"^(?P<v>[a-z]+(?:ien|ienne|ais|aise|ois|oise|ain|aine))\s+(?:depuis|since|for)\s+\d")
_INTRO = re.compile(
    r"^(?:(?:quick\s+|short\s+|petite\s+|rapide\s+)?(?:intro(?:duction)?|presentation|about\s+me|a\s+propos\s+de"
    r"\s+moi)\s*:\s*|moi\s*,?\s*c'\s*est\s+|(?:i'?m|i\s+am|je\s+suis|my\s+name'?s?\s*(?:is\s+)?|mon\s+(?:pre)?nom"
    r"\s+(?:est|c'\s*est)\s+)\s*(?=\S+(?:\s+\S+)?\s*(?:btw\s*)?,)|(?=\S+\s+(?:here|ici)\s*,))"
)
_CORRECTION = re.compile(r"\b(?:pardon|sorry|oops|oups|typo|correction|je\s+voulais\s+dire|i\s+meant|my\s+bad"
                         r"|autocorrect|faute\s+de\s+frappe|je\s+me\s+suis\s+trompee?)\b")
_CORRECTED_NAME = re.compile(r"\b(?:c'\s*est|it'?s|my\s+name\s+is|je\s+m'\s*appelle|name'?s)\s+(?=[a-z])")
_AGE = re.compile(r"^(?P<v>[1-9]\d?)\s*(?:ans|yo|y/o|y\.o\.?|years?\s+old|yrs?)?$")
_JOB_PLACE = re.compile(r"\s+(?:in|at|from|based\s+in|a|au|aux|de|sur|chez|pour|for|with)\s+(?=\S)")
_NEW_JOB = re.compile(
    r"\b(?:(?:i'?m\s+|i\s+am\s+)?starting|i\s+(?:just\s+)?(?:started|begin|start)|(?:i\s+)?(?:got|landed)\s+a\s+(?:new\s+)?job"
    r"|je\s+(?:commence|debute|viens\s+de\s+commencer)|j'\s*ai\s+(?:commence|decroche\s+un\s+(?:poste|job|boulot))"
    r"|new\s+job|nouveau\s+(?:poste|job|taf))\s+(?:(?:a\s+new\s+job|work|lundi|demain|monday|tomorrow)\s+)?(?:as|comme"
    r"|en\s+tant\s+que|en)\s+(?:an?\s+|une?\s+)?"
)
_JOB_IN_CITY = re.compile(r"\b(?:je\s+suis|jsuis|i'?m|i\s+am)\s+(?:an?\s+"
r"|une?\s+)?(?P<job>[a-z][\w\s-]{1,30}?)\s+(?:in|a|au)\s+")
_NOT_NAME = frozenset("the a an and le la les un une des moi me myself here ici hi hello salut bonjour".split())


def _place(text: str, folded: str, start: int, end: int, capitalised: bool) -> tuple[int, int] | None:
    cut = _PLACE_END.search(folded, start, end)
    stop = cut.start() if cut else end
    value = text[start:stop].strip()
    if not value or len(value.split()) > 4 or (capitalised and not _CAP.match(value)):
        return None
    return start, start + len(value)


def moves(scope: Scope) -> list[Candidate]:
    """Where the user now lives (or comes from), said as a move, a settlement or a passing remark."""
    start, end, language = scope.body, scope.end, scope.language
    text, folded, end = scope.text[start:end], scope.folded[start:end], end - start  # "^": the start of the sentence
    start, out = 0, []
    for pattern, key, capitalised in ((_MOVE, "profile.location", False), (_MOVE_FROM, "profile.location", False),
                                      (_LEFT_FOR, "profile.location", True), (_HERE, "profile.location", True),
                                      (_ORIGIN, "profile.origin", False)):
        m = pattern.search(folded, start, end)
        # A bare "from X" ("Hello from the keyboard", "from work") names an origin only when X is a capitalised name.
        capitalised = capitalised or m is not None and m.group(0).startswith(("a ", "in ", "from"))
        if m and (span := _place(text, folded, m.end(), end, capitalised)):
            out.append(Candidate("profile", key, text[span[0]:span[1]], "positive", 0.8, language,
                                 text[m.start():span[1]]))
    if (m := _DWELLER.match(folded, start, end)) and text[start].isupper():
        out.append(Candidate("profile", "profile.location", text[m.start("v"):m.end("v")], "positive", 0.7,
                             language, text[m.start():m.end()]))
    return out


def introduction(scope: Scope) -> list[Candidate]:
    """"Tom, maths teacher in Bristol": a name then an age, a job and a city, separated by commas."""
    start, end, language = scope.body, scope.end, scope.language
    text, folded, end = scope.text[start:end], scope.folded[start:end], end - start
    start = 0
    m = _INTRO.match(folded, start, end)
    if not m:
        return []
    parts = list(_PART.finditer(text[m.end():end]))
    out: list[Candidate] = []
    for n, part in enumerate(parts):
        ps = m.end() + part.start()
        raw = part.group(0).strip(" .!:;")
        ps += len(part.group(0)) - len(part.group(0).lstrip())
        low = folded[ps:ps + len(raw)]
        low = _TRAILING_CUE.sub("", low)
        raw = raw[:len(low)]
        if not raw:
            continue
        if n == 0:
            if _CAP.fullmatch(raw) and low.split()[0] not in _NOT_NAME and not OCCUPATIONS.search(low):
                out.append(Candidate("profile", "profile.name", raw, "positive", 0.8, language, raw))
                continue
            return []
        if age := _AGE.match(low):
            out.append(Candidate("profile", "profile.age", raw[:age.end("v")], "positive", 0.8, language, raw))
        elif OCCUPATIONS.search(low):
            at = _JOB_PLACE.search(low)
            job = raw[:at.start()] if at else raw
            out.append(Candidate("profile", "profile.occupation", job, "positive", 0.8, language, raw))
            if at and (place := _place(text, folded, ps + at.end(), ps + len(raw), True)):
                out.append(Candidate("profile", "profile.location", text[place[0]:place[1]], "positive", 0.75,
                                     language, raw))
        elif _CAP.fullmatch(raw) and len(raw.split()) <= 3:
            out.append(Candidate("profile", "profile.location", raw, "positive", 0.7, language, raw))
    return out if len(out) > 1 else []


def job(scope: Scope) -> list[Candidate]:
    """A job change ("Starting as a UX designer at a startup next Monday") and "je suis kiné à Tours"."""
    text, folded, start, end, language = scope.text, scope.folded, scope.body, scope.end, scope.language
    out = []
    if m := _NEW_JOB.search(folded, start, end):
        cut = _JOB_PLACE.search(folded, m.end(), end) or _PLACE_END.search(folded, m.end(), end)
        stop = cut.start() if cut else end
        value = text[m.end():stop].strip(" .!")
        if value and len(value.split()) <= 4 and OCCUPATIONS.search(folded[m.end():stop]):
            out.append(Candidate("profile", "profile.occupation", value, "positive", 0.8, language,
                                 text[m.start():stop]))
    m = _JOB_IN_CITY.search(folded, start, end)
    if m and OCCUPATIONS.search(m.group("job")) and (place := _place(text, folded, m.end(), end, True)):
        out.append(Candidate("profile", "profile.location", text[place[0]:place[1]], "positive", 0.75, language,
                             text[m.start():place[1]]))
    return out


def corrected_name(scope: Scope) -> list[Candidate]:
    """"pardon, c'est Anna avec deux n": the name after a correction cue."""
    text, folded, start, end, language = scope.text, scope.folded, scope.body, scope.end, scope.language
    if not _CORRECTION.search(folded, start, end):
        return []
    m = _CORRECTED_NAME.search(folded, start, end)
    if not m:
        return []
    name = _CAP.match(text[m.end():end])
    if not name or name.group(0).split()[0].lower() in _NOT_NAME:
        return []
    value = name.group(0).split()[0]
    span = text[m.start():m.end() + len(value)]
    return [Candidate("profile", "profile.name", value, "positive", 0.85, language, span)]
