"""French or English? A cheap guess from function words, good enough to label a memory's language."""

from __future__ import annotations

import re

from memory.extract_rules.folding import fold as _fold

_FR_HINTS = re.compile(r"\b(?:je|tu|il|elle|nous|vous|le|la|les|des|du|une?|et|est|suis|pas|ne|mon|ma|mes"
                       r"|moi|que|qui|pour|avec|dans|sur|au|aux|tres|oui|non|bonjour|merci|salut|ai|aime|mais"
                       r"|ou|en|c'est)\b|\b[jldnmstc]'")
_EN_HINTS = re.compile(r"\b(?:i|i'm|im|you|he|she|we|they|the|an?|and|is|am|are|my|me|to|of|in|not|don't"
                       r"|with|for|this|that|it|yes|no|hello|hi|thanks|please|like|love|live|work|have|but|or"
                       r"|on|at)\b")


def detect_language(text: str) -> str:
    """"fr" or "en" by counting common function words; accented letters count for French."""
    folded = _fold(text)
    french = len(_FR_HINTS.findall(folded)) + 2 * sum(c in "éèêàùçâîôûë" for c in text.lower())
    return "fr" if french > len(_EN_HINTS.findall(folded)) else "en"

