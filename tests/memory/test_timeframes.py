"""Tests for memory/timeframes.py: time phrases found in folded text and turned into the end of their period."""

from __future__ import annotations

from datetime import datetime

import pytest

from memory.extract_rules.folding import fold
from memory.timeframes import find_timeframe, parse_timeframe

NOW = datetime(2026, 3, 11, 14, 30)  # a Wednesday


@pytest.mark.parametrize(
    ("phrase", "language", "end"),
    [
        ("tomorrow", "en", datetime(2026, 3, 13)),
        ("demain soir", "fr", datetime(2026, 3, 13)),
        ("today", "en", datetime(2026, 3, 12)),
        ("this week", "en", datetime(2026, 3, 16)),
        ("cette semaine", "fr", datetime(2026, 3, 16)),
        ("next week", "en", datetime(2026, 3, 23)),
        ("la semaine prochaine", "fr", datetime(2026, 3, 23)),
        ("this weekend", "en", datetime(2026, 3, 16)),
        ("in two weeks", "en", datetime(2026, 3, 25, 14, 30)),
        ("dans 3 jours", "fr", datetime(2026, 3, 14, 14, 30)),
        ("for the next three months", "en", datetime(2026, 6, 11, 14, 30)),
        ("d'ici deux ans", "fr", datetime(2028, 3, 11, 14, 30)),
        ("ce mois-ci", "fr", datetime(2026, 4, 1)),
        ("next month", "en", datetime(2026, 5, 1)),
        ("end of the month", "en", datetime(2026, 4, 1)),
        ("d'ici la fin de l'année", "fr", datetime(2027, 1, 1)),
        ("by the end of the year", "en", datetime(2027, 1, 1)),
        ("d'ici fin 2027", "fr", datetime(2028, 1, 1)),
        ("before 2028", "en", datetime(2028, 1, 1)),
        ("lundi prochain", "fr", datetime(2026, 3, 17)),
        ("on Friday", "en", datetime(2026, 3, 14)),
        ("before Friday", "en", datetime(2026, 3, 13)),
        ("avant vendredi", "fr", datetime(2026, 3, 13)),
        ("next Wednesday", "en", datetime(2026, 3, 19)),
        ("en juin", "fr", datetime(2026, 7, 1)),
        ("by February", "en", datetime(2027, 3, 1)),
    ],
)
def test_parse_returns_the_end_of_the_period(phrase: str, language: str, end: datetime) -> None:
    assert parse_timeframe(phrase, NOW, language) == end


@pytest.mark.parametrize("phrase", ["", "whenever", "un de ces quatre matins ?", "yesterday"])
def test_unknown_phrases_give_none(phrase: str) -> None:
    assert parse_timeframe(phrase, NOW, "en") is None


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I'll call the dentist next Monday, promise", "next Monday"),
        ("Je repeins le salon ce week-end", "ce week-end"),
        ("D'ici fin 2027 on veut embaucher", "D'ici fin 2027"),
        ("I'm staying in Oslo for two weeks", "for two weeks"),
        ("We launch in March 2027", "in March 2027"),
    ],
)
def test_find_locates_the_phrase(text: str, phrase: str) -> None:
    m = find_timeframe(fold(text))
    assert m is not None and text[m.start():m.end()] == phrase


@pytest.mark.parametrize("text", ["I may come by", "j'habite ici depuis 2012", "I like March hares"])
def test_find_ignores_look_alikes(text: str) -> None:
    assert find_timeframe(fold(text)) is None


@pytest.mark.parametrize(
    ("phrase", "end"),
    [
        ("by April 15", datetime(2026, 4, 16)),
        ("avant le 30 juin", datetime(2026, 6, 30)),
        ("le 3 mars", datetime(2027, 3, 4)),  # already past this year: next year's
        ("by the 3rd of March 2027", datetime(2027, 3, 4)),
        ("au plus tard le 12/05", datetime(2026, 5, 13)),  # day first
        ("by 4/15", datetime(2026, 4, 16)),  # only month first is a date
        ("March 11", datetime(2026, 3, 12)),  # today: still ahead until midnight
    ],
)
def test_parse_reads_calendar_days(phrase: str, end: datetime) -> None:
    assert parse_timeframe(phrase, NOW) == end


@pytest.mark.parametrize(("text", "phrase"), [
    ("I need to finish the report by April 15.", "by April 15"),
    ("à rendre au plus tard le 12/05 svp", "au plus tard le 12/05"),
])
def test_find_takes_the_whole_date(text: str, phrase: str) -> None:
    m = find_timeframe(fold(text))
    assert m is not None and text[m.start():m.end()] == phrase
