"""The value of a clause the classifier says states a memory: what the clause says, without who says it.

A general shape instead of per-wording rules, read word by word on the folded clause: drop the discourse words
in front ("well", "du coup", "btw"), the first-person subject ("I", "je", "j'", "my"), its auxiliaries, adverbs
and negations ("don't really", "ne ... plus") and its main verb (unless the subject already was "I'm"/"je
suis": "I'm vegan" keeps "vegan"), then articles and prepositions; keep what follows up to a reason or a second
statement ("because", "mais", "if"), at most MAX_WORDS words. Offsets are kept, so the value is an exact
substring of the message, then cleaned like every other (`clean_value`). A clause about someone else
("my sister is...", "il habite...") has no value. Polarity is negative when the
dropped verb group holds a negation (a constraint stays positive: it is the rule itself).
"""

from __future__ import annotations

import re

from memory.extract_rules.folding import fold
from memory.extract_rules.values import clean_value

__all__ = ["MAX_WORDS", "clause_value"]

MAX_WORDS = 8
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?'?|[^\sa-z0-9]")
_LEAD = frozenset("well so and but also oh ok okay yes yeah yep actually honestly btw fyi anyway lol tbh ngl hi hey"
                  " hello please just et mais donc alors bon bref ben bah oui ouais perso franchement sinon salut"
                  " bonjour coucou stp svp mdr ptdr enfin genre voila coup fait en du au , : ! . -".split())
_COPULA_SUBJECTS = frozenset("i'm im jsuis chui j'suis jai j'ai i've ive".split())  # an object or attribute follows
_SUBJECTS = frozenset("i i'd id we we're our my me je j' j moi on nous notre nos mon ma mes".split())
_COPULAS = frozenset("am suis sommes have has had got ai a avons as".split())  # the object follows them
_NEGATIONS = frozenset("not don't dont doesn't never no longer can't cannot won't ne n' pas plus jamais aucun"
                       " aucune sans without".split())
_AUXILIARIES = frozenset(
    "do does did been be being will would gonna wanna going to want need try really also still"
    " just always usually now currently totally actually kinda est es vais veux dois peux voudrais"
    " compte aimerais me m' vraiment toujours aussi souvent trop bien deja encore grave carrement y en".split()
) | _NEGATIONS
_ARTICLES = frozenset("the a an some my our le la les l' un une des du de d' mon ma mes nos notre en au aux in"
                      " at to as for pour dans chez on of".split())
# A clause whose subject is someone else ("my sister is flying to Rome", "il habite à Oslo") says nothing
# about the user, whatever the classifier reads in it.
_OTHERS = frozenset("he she they his her their il elle ils elles lui eux".split())
_PEOPLE = re.compile(
    r"(?:sister|brother|wife|husband|partner|boyfriend|girlfriend|bf|gf|son|daughter|kids?|children|mom|mum|mother"
    r"|dad|father|parents?|boss|manager|friends?|colleagues?|coworkers?|neighbou?rs?|roommate|flatmate|cousin|aunt"
    r"|uncle|grandma|grandpa|grand\w*|soeur|frere|femme|mari|copine|copain|conjointe?|fils|fille|enfants?|gamins?"
    r"|mere|pere|maman|papa|parents?|patronne?|cheffe?|boss|pote|potes|amie?s?|collegues?|voisine?s?|coloc|cousine?"
    r"|tante|oncle|belle-\w+|beau-\w+)$"
)
_POSSESSIVES = frozenset("my our mon ma mes notre nos".split())
_BE = frozenset("is are was 's est c'est sont etait called named appele appelee s'appelle".split())
_STOP = frozenset("because cause since but when if unless so though although which who parce car puisque mais"
                  " quand si sauf donc lol mdr haha tbh btw ( [ \" « » “ ”".split())


def clause_value(text: str, start: int, end: int, category: str) -> tuple[str, str] | None:
    """(value, polarity) of the clause text[start:end], or None when nothing plain is left."""
    folded = fold(text)
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(folded, start, end)]
    i, negative = 0, False
    while i < len(words) and words[i][2] in _LEAD:
        i += 1
    if i < len(words) and (words[i][2] in _OTHERS or (
            words[i][2] in _POSSESSIVES and i + 1 < len(words) and _PEOPLE.match(words[i + 1][2]))):
        return None
    copula = False
    if i + 2 < len(words) and words[i][2] in _POSSESSIVES:  # "my name is Bob", "mon job c'est ...": the attribute
        i += 2
        while i < len(words) - 1 and words[i][2] in _AUXILIARIES | _COPULAS | _BE:
            negative = negative or words[i][2] in _NEGATIONS
            i += 1
    elif i < len(words) and words[i][2].startswith("j'") and words[i][2] not in _COPULA_SUBJECTS:
        i += 1  # "j'habite", "j'adore": subject and verb in one word
        copula = True
        while i < len(words) and words[i][2] in _NEGATIONS:
            negative = True
            i += 1
    elif i < len(words) and words[i][2] in _COPULA_SUBJECTS | _SUBJECTS:
        copula = words[i][2] in _COPULA_SUBJECTS
        i += 1
        while i < len(words) and words[i][2] in _AUXILIARIES | _COPULAS:
            negative = negative or words[i][2] in _NEGATIONS
            copula = copula or words[i][2] in _COPULAS
            i += 1
        if not copula and i < len(words) - 1:  # the main verb: "live", "bosse", "adore"
            i += 1
            while i < len(words) and words[i][2] in _NEGATIONS:  # "je (ne) mange plus"
                negative = True
                i += 1
    while i < len(words) - 1 and words[i][2] in _ARTICLES:
        i += 1
    j = i
    while j < len(words) and j - i < MAX_WORDS and words[j][2] not in _STOP:
        j += 1
    if j == i:
        return None
    value = clean_value(text[words[i][0]:words[j - 1][1]])
    if not value:
        return None
    return value, "negative" if negative and category != "constraint" else "positive"
