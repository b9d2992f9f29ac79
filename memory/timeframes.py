"""Time phrases ("next week", "d'ici la fin de l'année", "lundi prochain") found in a message and turned into dates.

Why: an intent needs a date at which a follow-up is due, and a temporary state ("this week I'm in Lisbon") a
date at which it expires (`memories.due_at` / `memories.expires_at`). `parse_timeframe` returns the end of the
period the phrase names, as the first instant after it (an exclusive bound: "tomorrow" ends at midnight after
tomorrow; "before Friday" ends when Friday starts). `find_timeframe` locates such a phrase in a folded message
(lowercase, no accents, see `memory.extract_rules.folding`), so the extractor can copy it out verbatim.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import datetime, timedelta

__all__ = ["TIMEFRAME", "find_timeframe", "parse_timeframe"]

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "un": 1, "une": 1, "two": 2, "deux": 2, "couple": 2, "three": 3, "trois": 3,
    "few": 3, "quelques": 3, "four": 4, "quatre": 4, "five": 5, "cinq": 5, "six": 6, "seven": 7, "sept": 7,
    "eight": 8, "huit": 8, "nine": 9, "neuf": 9, "ten": 10, "dix": 10, "eleven": 11, "onze": 11, "twelve": 12,
    "douze": 12, "fifteen": 15, "quinze": 15,
}
_WEEKDAYS = {
    **{d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    **{d: i for i, d in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"))},
}
_MONTHS = {
    **{m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"))},
    **{m: i + 1 for i, m in enumerate(("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
                                       "septembre", "octobre", "novembre", "decembre"))},
}
_UNITS = {"day": "days", "jour": "days", "week": "weeks", "semaine": "weeks", "month": "months", "mois": "months",
          "year": "years", "an": "years", "annee": "years"}

_N = r"(?:\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"
_UNIT = r"(?:days?|jours?|weeks?|semaines?|months?|mois|years?|ans|annees?)"
_DAY = "|".join(_WEEKDAYS)
_MONTH = "|".join(_MONTHS)
_BY = r"(?:by|before|until|till|avant|d'\s*ici|jusqu'\s*(?:a|au)|within|en)"
_DAY_PREFIX = r"(?:on|by|before|until|till|due|avant|le|du|au|pour|d'\s*ici|jusqu'\s*(?:a|au)|au\s+plus\s+tard)"
TIMEFRAME = re.compile(  # longest forms first; works on folded text
    rf"\b(?:(?:by|before|until|d'\s*ici|avant|jusqu'\s*a)\s+)?(?:the\s+)?(?:end\s+of\s+(?:the\s+|this\s+)?"
    rf"(?:year|month|week|(?:19|20)\d\d)|(?:la\s+)?fin\s+(?:de\s+l'\s*annee|d'\s*annee|du\s+mois|de\s+(?:la\s+)?"
    rf"semaine|(?:de\s+)?(?:19|20)\d\d))\b"
    rf"|\b(?:{_BY}\s+)?(?:the\s+)?(?:(?:next|coming|following|prochaine?s?)\s+)?{_N}\s+{_UNIT}"
    rf"(?:\s+(?:prochaine?s?|a\s+venir))?\b"
    rf"|\b(?:for|pendant|durant|pour|in|dans|over)\s+(?:the\s+)?(?:(?:next|coming|prochaine?s?)\s+)?(?:{_N}\s+)?"
    rf"{_UNIT}(?:\s+(?:prochaine?s?|a\s+venir))?\b"
    rf"|\b(?:(?:by|before|until|avant|d'\s*ici|jusqu'\s*(?:a|au)|on|next|this|ce|le)\s+)?(?:{_DAY})s?"
    rf"(?:\s+(?:prochain|soir|matin|apres-midi|morning|afternoon|evening|night))?\b"
    rf"|\b(?:{_DAY_PREFIX}\s+)*(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th|er)?\s+(?:of\s+)?(?:{_MONTH})(?:,?\s+(?:19|20)\d\d)?\b"
    rf"|\b(?:{_DAY_PREFIX}\s+)*(?:{_MONTH})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+(?:19|20)\d\d)?\b"
    rf"|\b(?:{_DAY_PREFIX}\s+)*\d{{1,2}}/\d{{1,2}}(?:/(?:19|20)?\d\d)?\b"
    rf"|\b(?:{_BY}\s+|in\s+|next\s+)(?:{_MONTH})(?:\s+(?:19|20)\d\d)?\b|\b(?:{_MONTH})\s+(?:19|20)\d\d\b"
    rf"|\b{_BY}\s+(?:19|20)\d\d\b"
    rf"|\b(?:on|by|before|until)\s+the\s+\d{{1,2}}(?:st|nd|rd|th)\b"
    rf"|\b(?:(?:this|next|ce|cette|le|la|l')\s*)(?:week-?end|weekend|week|month|year|semaine|mois|annee)"
    rf"(?:-ci|\s+prochaine?|\s+pro\b|\s+d'\s*apres)?\b"
    rf"|\b(?:this|next|cet|cette|ce|l')\s*(?:summer|winter|spring|fall|autumn|ete|hiver|automne|printemps)\b"
    rf"|\b(?:tomorrow|tonight|today|aujourd'\s*hui|apres-demain|demain|ce\s+soir|cet\s+apres-midi"
    rf"|ce\s+matin|this\s+(?:morning|afternoon|evening))(?:\s+(?:soir|matin|morning|evening|night))?\b"
)
_SPAN = re.compile(rf"\b(?P<n>{_N})\s+(?P<unit>{_UNIT})\b")
_WEEKDAY = re.compile(rf"\b(?P<day>{_DAY})s?\b")
_MONTH_NAME = re.compile(rf"\b(?P<month>{_MONTH})\b")
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
_DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|er)?\s+(?:of\s+)?(?P<month>{_MONTH})\b{_YEAR}")
_MONTH_DAY = re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b{_YEAR}")
_NUMERIC_DATE = re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<year>(?:19|20)?\d\d))?\b")


def find_timeframe(folded: str, start: int = 0, end: int | None = None) -> re.Match[str] | None:
    """The first time phrase in `folded[start:end]` (a folded message), or None."""
    return TIMEFRAME.search(folded, start, len(folded) if end is None else end)


def _fold(phrase: str) -> str:
    decomposed = unicodedata.normalize("NFKD", phrase.lower().replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _add_months(moment: datetime, months: int) -> datetime:
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _month_start(moment: datetime, months_ahead: int) -> datetime:
    return _add_months(_day_start(moment).replace(day=1), months_ahead)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS.get(word, 1)


def _span(phrase: str, now: datetime) -> datetime | None:
    """"in 3 days", "dans deux semaines", "for the next three months", "d'ici deux ans": now + the span."""
    m = _SPAN.search(phrase)
    if not m:
        return None
    count = _number(m["n"])
    unit = _UNITS[m["unit"] if m["unit"] == "mois" else m["unit"].rstrip("s")]
    if unit == "days":
        return now + timedelta(days=count)
    if unit == "weeks":
        return now + timedelta(weeks=count)
    return _add_months(now, count * (12 if unit == "years" else 1))


def _weekday(phrase: str, now: datetime) -> datetime | None:
    m = _WEEKDAY.search(phrase)
    if not m:
        return None
    ahead = (_WEEKDAYS[m["day"]] - now.weekday()) % 7
    if ahead == 0 or re.search(r"\b(?:next|prochain)\b", phrase):
        ahead = ahead or 7
    day = _day_start(now) + timedelta(days=ahead)
    return day if re.match(r"(?:before|avant)\b", phrase) else day + timedelta(days=1)


def _calendar_day(phrase: str, now: datetime) -> datetime | None:
    """"April 15", "le 30 juin", "15/04", "4/15/2027": the end of that day (its start after "before"/"avant").
    Without a year, the next such day from `now`. A numeric date reads day first (15/04, 4/5 = 4 May) unless
    only month first is valid (4/15)."""
    day = month = year = None
    if m := _DAY_MONTH.search(phrase) or _MONTH_DAY.search(phrase):
        day, month = int(m["day"]), _MONTHS[m["month"]]
        year = int(m["year"]) if m["year"] else None
    elif m := _NUMERIC_DATE.search(phrase):
        first, second = int(m["a"]), int(m["b"])
        day, month = (second, first) if first <= 12 < second else (first, second)
        if m["year"]:
            year = int(m["year"]) + (2000 if len(m["year"]) == 2 else 0)
    if day is None or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    y = year or now.year
    try:
        start = datetime(y, month, day, tzinfo=now.tzinfo)
        if year is None and start + timedelta(days=1) <= now:
            start = datetime(y + 1, month, day, tzinfo=now.tzinfo)
    except ValueError:  # 31 April
        return None
    return start if re.match(r"(?:before|avant)\b", phrase) else start + timedelta(days=1)


def _year_or_month(phrase: str, now: datetime) -> datetime | None:
    month = _MONTH_NAME.search(phrase)
    year = re.search(r"\b(?P<year>(?:19|20)\d\d)\b", phrase)
    before = re.match(r"(?:before|avant)\b", phrase) is not None
    if month:
        number = _MONTHS[month["month"]]
        y = int(year["year"]) if year else now.year + (number < now.month)
        first = datetime(y, number, 1, tzinfo=now.tzinfo)
        return first if before else _add_months(first, 1)
    if year:
        y = int(year["year"])
        return datetime(y if before else y + 1, 1, 1, tzinfo=now.tzinfo)
    return None


def _named_period(phrase: str, now: datetime) -> datetime | None:
    today = _day_start(now)
    nxt = re.search(r"\b(?:next|prochaine?|d'\s*apres)\b", phrase) is not None
    if re.search(r"\b(?:apres-demain)\b", phrase):
        return today + timedelta(days=3)
    if re.search(r"\b(?:tomorrow|demain)\b", phrase):
        return today + timedelta(days=2)
    if re.search(r"\b(?:today|tonight|aujourd'\s*hui|soir|matin|apres-midi|morning|afternoon|evening)\b", phrase):
        return today + timedelta(days=1)
    next_monday = today + timedelta(days=7 - now.weekday())
    if re.search(r"\b(?:week-?end|weekend|week|semaine)\b", phrase):
        return next_monday + timedelta(weeks=1) if nxt else next_monday
    if re.search(r"\b(?:month|mois)\b", phrase):
        return _month_start(now, 2 if nxt else 1)
    if m := re.search(r"\b(?:summer|ete|winter|hiver|spring|printemps|fall|autumn|automne)\b", phrase):
        first = {"summer": 9, "ete": 9, "fall": 12, "autumn": 12, "automne": 12, "winter": 3, "hiver": 3}.get(m[0], 6)
        end = datetime(now.year, first, 1, tzinfo=now.tzinfo)
        return end if end > now and not nxt else datetime(now.year + 1, first, 1, tzinfo=now.tzinfo)
    if re.search(r"\b(?:year|annee)\b", phrase):
        return datetime(now.year + (2 if nxt else 1), 1, 1, tzinfo=now.tzinfo)
    return None


def parse_timeframe(phrase: str, now: datetime, language: str = "en") -> datetime | None:
    """When the period named by `phrase` ends (first instant after it), relative to `now`; None if unknown.

    `language` is accepted for callers that know it; both French and English forms are understood either way.

    Example:
        >>> parse_timeframe("next week", datetime(2026, 11, 18), "en")  # a Wednesday
        datetime.datetime(2026, 11, 30, 0, 0)
    """
    folded = re.sub(r"\s+", " ", _fold(phrase))
    if not folded:
        return None
    if re.search(r"\b(?:end\s+of|fin\s+d)", folded) and not re.search(r"(?:19|20)\d\d", folded):
        return _named_period(folded, now)
    if (moment := _calendar_day(folded, now)) is not None:
        return moment
    for parse in (_year_or_month, _span, _weekday, _named_period):
        if (moment := parse(folded, now)) is not None:
            return moment
    return None
