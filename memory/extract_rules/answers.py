"""Short answers to the assistant's question: "Oran" after "Tu habites dans quelle ville ?".

Why: a one-word reply holds a fact only in the light of the question; the question decides the key and the
answer (or, for "yes, always" to "do you want me to keep using bullet points?", the question) holds the value.
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.folding import fold

_ASKED = (  # (question pattern on the folded assistant turn, key)
    (re.compile(r"\b(?:city|ville|live|habite[sz]?|vis|where\s+are\s+you\s+based|located)\b"), "profile.location"),
    (re.compile(r"\b(?:your\s+name|ton\s+nom|votre\s+nom|t'\s*appelles|vous\s+appelez|call\s+you|prenom)\b"),
     "profile.name"),
    (re.compile(r"\b(?:job|metier|profession|do\s+for\s+a\s+living|travailles?\s+dans\s+quoi|ton\s+travail|occupation)\b"),
     "profile.occupation"),
    (re.compile(r"\b(?:how\s+old|quel\s+age|your\s+age|ton\s+age)\b"), "profile.age"),
    (re.compile(r"\b(?:crm|erp|tool|tools|software|logiciel|outil|outils|stack|app)\b"), "business.tools"),
    (re.compile(r"\b(?:commerce|business|company|entreprise|boite|secteur|industry|activite|societe|shop|boutique)\b"),
     "business.company"),
    (re.compile(r"\b(?:how\s+many|combien)\b"), "business.size"),
    (re.compile(r"\b(?:allergi\w*|allergic)\b"), "constraint.allergy"),
    (re.compile(r"\b(?:budget)\b"), "constraint.budget"),
    (re.compile(r"\b(?:language|langue)\b"), "preference.reply_language"),
)
_NO = re.compile(r"^(?:no|non|nope|pas\s+du\s+tout)\b")
_YES = re.compile(r"^(?:yes|yeah|yep|sure|absolutely|definitely|please|always|oui|ouais|carrement|volontiers|toujours"
                  r"|absolument|bien\s+sur|exactement|of\s+course|ok)\b")
_OFFER = re.compile(r"\b(?:do\s+you\s+want\s+me\s+to|would\s+you\s+like\s+me\s+to|should\s+i|shall\s+i"
                    r"|tu\s+veux\s+que\s+je"
                    r"|voulez-vous\s+que\s+je|vous\s+voulez\s+que\s+je|je\s+continue\s+(?:a|d'))\s+(?P<v>[^?]+)")
_LASTING = re.compile(r"\b(?:always|toujours|from\s+now\s+on|desormais|every\s+time|a\s+chaque\s+fois|keep|continue)\b")
_NOT_A_REPLY = re.compile(  # a question or a request of its own, not an answer to the assistant's question
    r"^(?:(?:can|could|would|will|do|does|did|is|are|what|what's|whats|who|where|when|why|how|which|tell|give|write"
    r"|explain|show|help|list|outline|summari[sz]e|translate|plan|suggest|recommend|find|book|est-ce|qu'est|quel|quelle|quels|quelles|qui|ou|quand"
    r"|comment|pourquoi|combien|peux|pourrais|pouvez|pourriez|tu\s+peux|tu\s+pourrais|vous\s+pouvez|donne|dis|ecris"
    r"|explique|montre|aide|fais|raconte|traduis|resume|propose|conseille|planifie|organise|trouve|reserve|suggere"
    r"|recommande)\b|please\b|stp\b|svp\b)"
)
_MAX_VALUE_WORDS = 4  # "Oran", "une fromagerie", "Marie-Claire Dupont"
_PRIVATE = re.compile(r"\b(?:remember|retenir|retienne|note|save|enregistre|numero|number|phone|iban|email|adresse)\b")


_QUESTION_SENTENCE = re.compile(r"[^.!?\n]*\?")


def _last_question(context: list[dict]) -> str | None:
    """The question sentences of the assistant's last turn: what it asked, not the rest of what it said
    ("You said: 'I live in Bergen'. How can I help?" asks nothing about a city)."""
    for turn in reversed(context):
        if turn.get("role") == "assistant":
            questions = _QUESTION_SENTENCE.findall(turn.get("content", ""))
            return " ".join(q.strip() for q in questions) if questions else None
    return None


def answer(text: str, context: list[dict] | None, language: str) -> list[Candidate]:
    """What a short reply states, given the assistant turn it answers."""
    question = _last_question(context or [])
    words = text.split()
    if not question or not words or len(words) > 12 or "?" in text:
        return []
    asked, folded = fold(question), fold(text).strip()
    if _NOT_A_REPLY.match(folded):
        return []
    if _PRIVATE.search(asked):
        return []
    if (offer := _OFFER.search(asked)) and _YES.match(folded) and _LASTING.search(folded + " " + asked):
        value = question[offer.start("v"):offer.end("v")].strip(" ,.")
        return [Candidate("preference", "preference.style", value, "positive", 0.75, language, text.strip())]
    if _YES.match(folded) or _NO.match(folded):
        return []
    end = len(text)
    for stop in (",", " - ", ";", "!", "."):
        at = text.find(stop)
        end = min(end, at) if at > 0 else end
    value = text[:end].strip(" \"'")
    if not value or len(value.split()) > _MAX_VALUE_WORDS:
        return []
    for pattern, key in _ASKED:
        if pattern.search(asked):
            if key == "profile.age" and not re.search(r"\d", value):
                return []
            return [Candidate(key.split(".")[0], key, value, "positive", 0.7, language, text.strip())]
    return []
