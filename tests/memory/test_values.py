"""Stored values are plain words: cut at emoji, spaced dashes and a change of script; markup refused."""

import pytest

from memory.extract_rules.values import clean_value


@pytest.mark.parametrize(("value", "expected"), [
    ("Zürich 🇨🇭 — 日本語も話せます", "Zürich"),
    ("sushis 🍣", "sushis"),
    ("Saint-Étienne", "Saint-Étienne"),
    ("Lyon - et toi ?", "Lyon"),
    ("東京", "東京"),
    ("jazz, rock", "jazz, rock"),
    ("1 500–2 000 €", "1 500–2 000 €"),  # a currency sign is part of the value
    ("name is <script", None),
    ("{{7*7}}", None),
    ("🍣", None),
])
def test_clean_value(value, expected):
    assert clean_value(value) == expected
