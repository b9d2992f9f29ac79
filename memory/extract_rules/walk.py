"""The walk: one chat message cut into sentences and clauses, each read by the rules of `registry`.

Pulls durable memories about the user out of one message (French and English).

Why rules: this runs on every user turn, so it must be fast (well under 1 ms), dependency-free and
predictable. It favours precision over recall: a statement is kept only when it is a first-person,
non-hypothetical, non-question clause addressed by the user about themselves; a slower pass can add more.

What the walk decides, so that no rule has to: which sentences are questions (only requests survive),
hypotheticals ("If I were rich, ...") or reported speech ("he told me: I'm vegan"); where a clause starts past
its fillers and whether a hedge ("I think") lowers confidence; list items that share the clause's subject
("I'm 45, divorced"); one memory per key, value and polarity; identifiers only on explicit request.

Matching runs on a *folded* copy of the message (lowercase, accents removed, typographic apostrophes -> "'")
of exactly the original's length, so every match maps back to the original characters: ``value`` and
``span`` are always exact substrings of the message.
"""

from __future__ import annotations

import re
from dataclasses import replace

from memory.extract_rules import answers, forget, sensitive
from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import split_at
from memory.extract_rules.folding import fold
from memory.extract_rules.guards import MAX_CHARS, mask_quotes, refused
from memory.extract_rules.language import detect_language
from memory.extract_rules.registry import CLAUSE_RULES, FALLBACK_RULES, SENTENCE_RULES
from memory.extract_rules.scope import Scope

_QUESTION_START = re.compile(
    r"(?:do|does|did|am|are|is|was|were|what|what's|whats|who|who's|where|when|why|how|which|est-ce"
    r"|est\s+ce|qu'est|quel|quelle|quels|quelles|qui|ou|quand|comment|pourquoi|combien|sais-tu|tu\s+sais"
    r"|te\s+souviens|tu\s+te\s+souviens)\b"
)
_REQUEST = re.compile(r"(?:can|could|would|will)\s+you\b|(?:peux|pourrais|pouvez|pourriez)[\s-]*(?:tu|vous)\b"
                      r"|(?:tu|vous)\s+(?:peux|pourrais|pouvez|pourriez)\b")
_HYPOTHETICAL = re.compile(
    r"\b(?:if|suppose|supposing|imagine|imagining|pretend|hypothetically|what\s+if|in\s+case|unless|wish"
    r"|let'?s\s+say|si(?=\s+(?:je|j'|j\s|tu|on|il|elle|nous|vous|jamais))|s'il|imaginons|supposons"
    r"|admettons|au\s+cas\s+ou|hypothetiquement|faisons\s+comme\s+si|mettons\s+que)\b"
)
_REPORTED = re.compile(r"(?<!\bi\s)\b(?:said|says|told|tells|asked|wrote|claims?|claimed|dit|disait|raconte|affirme)\b")
_FILLER = re.compile(
    r"(?:(?P<hedge>i\s+think|i\s+guess|i\s+believe|i\s+suppose|i'?d\s+say|i\s+feel\s+like|probably|maybe|perhaps"
    r"|je\s+pense\s+que|je\s+crois\s+que|je\s+dirais\s+que|j'\s*avoue\s+que|j'\s*ai\s+l'\s*impression\s+que"
    r"|peut-etre\s+que|peut-etre|il\s+me\s+semble\s+que|apparemment|sans\s+doute)|well|so|and|but|also|oh|ok"
    r"|okay|yes|yeah|yep|i\s+mean|to\s+be\s+honest|tbh|a\s+vrai\s+dire|en\s+gros|du\s+coup|finalement|finally"
    r"|in\s+the\s+end|au\s+final|anyhow|oh\s+and|quick\s+update|update|petite\s+mise\s+a\s+jour|petite\s+precision"
    r"|correction|for\s+context|pour\s+le\s+contexte|pour\s+info|at\s+the\s+moment|these\s+days|nowadays"
    r"|actually|honestly|btw|by\s+the\s+way|fyi|for\s+the\s+record|just\s+so\s+you\s+know|personally"
    r"|anyway|hi|hello|hey|please|remember\s+that|remember|note\s+that|keep\s+in\s+mind\s+that"
    r"|don't\s+forget\s+that|as\s+you\s+know|from\s+now\s+on|going\s+forward|always|et|mais|donc|alors"
    r"|bon|bref|ben|bah|oui|ouais|en\s+fait|au\s+fait|sinon|d'ailleurs|perso|personnellement"
    r"|moi(?!\s*,?\s*c'\s*est)|salut|bonjour|coucou|sache\s+que|note\s+que|retiens\s+que"
    r"|rappelle-toi\s+que|n'oublie\s+pas\s+que|pour\s+info|pour\s+rappel|comme\s+tu\s+sais|desormais"
    r"|dorenavant|a\s+partir\s+de\s+maintenant|toujours|stp|svp)\b[\s,:!.-]*"
)
_SENTENCE = re.compile(r"(?:[^.!?\n]|\.(?=\w))+(?P<end>[.!?]*)")
_CLAUSE_BREAK = re.compile(  # only before a new first-person subject, so "jazz, rock and blues" stays whole
    r"(?:[,;:]|\s-\s|\b(?:and|but|so|also|because|et|mais|donc|puis|alors|car|parce\s+que)\b)\s*+"
    r"(?=(?:i|i'm|im|i'd|je|my|mon|ma|mes|moi(?!\s*,?\s*(?:on|nous|we)\b))\b|j'|j(?=ai|aime|adore|habite|suis|deteste"
    r"|prefere|travaille)|(?:on|nous|we)\s+(?:habite|habitons|vit|vivons|live)\b"
    r"|no\s+(?:meetings?|calls?)\b|pas\s+de\s+(?:reunion|rdv|rendez|appel))"
)
# list items that share the clause's subject (`_elided_candidates`)
_HEAD_BE = re.compile(r"(?:i\s*'?\s*m|i\s+am|im|je\s+suis|jsuis|j'\s*suis)\s+(?:[^\s,;]+\s+){0,3}?[^\s,;]+"
                      r"(?=\s*(?:,|;|\band\b|\bet\b|$))")
_HEAD_I = re.compile(r"(?:i|je|j')\s*(?=[a-z])")
_LIST_SEP = re.compile(r"(?<!\s)\s*+[,;]\s*+(?:(?:and|et|plus)\s+)?|\s++(?:and|et)\s+")
_BARE_VERB = re.compile(r"(?:live|work|speak|have|own|love|like|hate|enjoy|prefer|play|run|eat|drink|teach|study|habite"
                        r"|vis|travaille|bosse|parle|adore|aime|deteste|mange|bois|joue|cours|enseigne|etudie|ai)\b")
_SUBJECT_START = re.compile(r"(?:i|i'm|im|je|j|my|mon|ma|mes|on|we|nous|il|elle|he|she|they|ils|elles)\b|j'")


def extract(text: str, context: list[dict] | None = None) -> list[Candidate]:
    """Memories stated by the user in `text` (context = earlier {role, content} turns, may be ignored now)."""
    if not text or not text.strip():
        return []
    text = text[:MAX_CHARS]
    folded = fold(text)
    if refused(folded):
        return []
    folded = mask_quotes(folded)
    language = detect_language(text)
    if retracted := forget.retraction(text, folded, language, extract):
        return [retracted]
    found: dict[tuple[str, str, str], Candidate] = {}
    for sentence in _SENTENCE.finditer(folded):
        start, end = sentence.start(), sentence.start("end")
        first, _ = _skip_fillers(folded, start, end)
        if _HYPOTHETICAL.match(folded, first, end):  # "If I were rich, I'd live in Paris"
            continue
        question = "?" in sentence.group("end") or _QUESTION_START.match(folded, first, end) is not None
        if question and not _REQUEST.match(folded, first, end):
            continue  # only requests ("could you always answer in French?") survive a question
        if not question and not _HYPOTHETICAL.search(folded, start, end) and not _REPORTED.search(folded, start, end):
            for cand in _sentence_candidates(text, folded, start, first, end, language):
                found.setdefault((cand.key, cand.value.casefold(), cand.polarity), cand)
        for clause_start, clause_end in split_at(_CLAUSE_BREAK, folded, start, end):  # "I live in Lyon | et j'aime"
            if _REPORTED.search(folded, start, clause_start):  # "he told me: I'm vegan" is not the user's own statement
                break
            body = _skip_fillers(folded, clause_start, clause_end)[0]
            extra = [] if question else _elided_candidates(text, folded, body, clause_end)
            for cand in _clause_candidates(text, folded, clause_start, clause_end, question) + extra:
                slot = (cand.key, cand.value.casefold(), cand.polarity)
                if slot not in found or found[slot].confidence < cand.confidence:
                    found[slot] = cand
    return _with_context(text, folded, list(found.values()), context, language)


def _sentence_candidates(text: str, folded: str, start: int, first: int, end: int, language: str
                         ) -> list[Candidate]:
    """Every sentence rule on the sentence folded[start:end], read from `first` (past its fillers)."""
    while first < end and folded[first] in " \t,;:-":
        first += 1
    scope = Scope(text, folded, start, first, end, language)
    return [cand for rule in SENTENCE_RULES for cand in rule(scope)]


def _clause_candidates(text: str, folded: str, start: int, end: int, question: bool, fallback: bool = True
                       ) -> list[Candidate]:
    """Every clause rule on the clause folded[start:end]; the fallback rules when none found anything."""
    while end > start and folded[end - 1] in " \t,;:-":
        end -= 1
    while start < end and folded[start].isspace():
        start += 1
    body, hedged = _skip_fillers(folded, start, end)
    hypothetical = _HYPOTHETICAL.search(folded, start, end)
    scope = Scope(text, folded, start, body, end, detect_language(text[start:end]), 0.7 if hedged else 1.0,
                  hypothetical.start() if hypothetical else None, question)
    out = [cand for rule in CLAUSE_RULES for cand in rule(scope)]
    if any(c.key.startswith("fact.temporary") for c in out):  # never replaces the lasting city
        out = [c for c in out if c.key != "profile.location"]
    if not out and fallback:
        out = [cand for rule in FALLBACK_RULES for cand in rule(scope)]
    return out


def _skip_fillers(folded: str, start: int, end: int) -> tuple[int, bool]:
    """Skip "well", "btw", "moi", "je pense que"...; report whether a hedge should lower confidence."""
    hedged = False
    while (m := _FILLER.match(folded, start, end)) and m.end() > start:
        hedged = hedged or m.group("hedge") is not None
        start = m.end()
    return start, hedged


def _elided_candidates(text: str, folded: str, body: int, end: int) -> list[Candidate]:
    """"I'm 45, divorced, and ...", "I live in Leeds, work as a nurse": list items that share the clause's subject
    are read with it ("I'm divorced", "I work as a nurse"); values stay exact substrings of the message."""
    english = folded.startswith("i", body)
    if _HEAD_BE.match(folded, body, end):
        be = "I'm " if english else "je suis "
    elif _HEAD_I.match(folded, body, end):
        be = None
    else:
        return []
    out = []
    seps = list(_LIST_SEP.finditer(folded, body, end))
    for n, sep in enumerate(seps):
        item_start, item_end = sep.end(), seps[n + 1].start() if n + 1 < len(seps) else end
        item = folded[item_start:item_end]
        if not item or _SUBJECT_START.match(item) or _QUESTION_START.match(item):
            break  # a new subject: what follows is no longer about the user's first statement
        if _BARE_VERB.match(item):
            prefix = "I " if english else "je "
        elif be and len(item.split()) <= 4 and "'s" not in item:
            prefix = be
        else:
            continue
        piece = text[item_start:item_end]
        for cand in _clause_candidates(prefix + piece, prefix.lower() + item, 0, len(prefix) + len(item), False,
                                       fallback=False):
            if cand.value in piece:
                out.append(replace(cand, span=piece.strip(), confidence=round(cand.confidence * 0.9, 2)))
    return out


def _with_context(text: str, folded: str, found: list[Candidate], context: list[dict] | None, language: str
                  ) -> list[Candidate]:
    """Identifiers only on explicit request; a short reply read in the light of the question it answers."""
    if sensitive.mentions_identifier(folded):
        spans = sensitive.identifiers(folded)
        found = [c for c in found if not any(text.find(c.value) < e and s < text.find(c.value) + len(c.value)
                                             for s, e in spans)] + sensitive.requested(text, folded, language)
    return found or answers.answer(text, context, language)
