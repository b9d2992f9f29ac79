"""Tastes said without "I like": "X is my thing", "can't live without X", "X > Y", "I'm more of a X person",
"grand fan de X", "pas fan de X", "X, jamais de la vie", "j'ai jamais accroché au X", "je suis plutôt X que Y".

Why a module of its own: these wordings put the object first or drop the subject, so the clause-initial
statement rules cannot see them; they are searched in the whole sentence (a dislocated "Les séries, j'en suis
accro" spans two clauses). The topic key comes from the value (see `topics`); the walk has already dropped
questions, hypotheticals and reported speech.
"""

from __future__ import annotations

import re
from dataclasses import replace

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import apply, comma_cut_before, find
from memory.extract_rules.folding import fold
from memory.extract_rules.scope import Scope
from memory.extract_rules.topics import BAD_FIRST, preference_key

_OBJ = r"(?P<v>[^,.!?;:>]{1,50}?)"  # a fronted object: a few words before the trigger
_DE = r"(?:\s+(?:de\s+la|de\s+l'|des|du|de|of(?:\s+the)?)\s+|\s+d'\s*)"
_A = r"(?:\s+(?:a\s+la|a\s+l'|au|aux|a|to|with)\s+|\s+a\s+l'\s*)"
_INTENS = r"(?:(?:vraiment|trop|tellement|carrement|completement|totalement|really|so|totally|absolutely|very)\s+)*"
_ENDS = comma_cut_before(r"than|que|over|plutot|rather|instead|along|every|each|depuis|since|on\s+my"
                         r"|for\s+(?:literally|everything|years|ages)|ici|here|perso|tbh|honestly|franchement|last|ago"
                         r"|yesterday|hier|this\s+year|cette\s+annee|in\s+\d{4}|en\s+\d{4}"
                         r"|le\s+(?:soir|matin|dimanche|samedi|week-?end)|on\s+(?:weekends?|sundays?)")

_FINDERS = (
    # object first: "Techno is my thing", "le jazz c'est mon truc", "la bière c'est pas mon truc"
    find(rf"^{_OBJ}\s*+,?\s*+(?:is|are|'s)\s+(?:(?P<neg>not|never)\s+)?{_INTENS}(?:my|ma|mon)\s+(?:thing|jam|go-to"
         r"|passion|weakness|guilty\s+pleasure|comfort\s+food|fave|favou?rite)\b", "preference", 0.8),
    find(rf"^{_OBJ}\s*+,?\s*+(?:c'\s*est|ce\s+sont|c\s+est)\s+"
         r"(?:(?P<neg>pas|vraiment\s+pas|pas\s+du\s+tout|plus)\s+)?"
         rf"{_INTENS}(?:mon|ma)\s+(?:(?:grande?|vraie?|seule?|petite?|plus\s+grande?)\s+)?(?:truc|passion|dada|came|kif"
         r"|delire|vie|peche\s+mignon|drogue)\b",
         "preference", 0.8),
    find(rf"^{_OBJ}\s*+,\s*+(?:j'\s*en\s+suis|j'\s*y\s+suis|jen\s+suis)\s+{_INTENS}(?:accro|fan|dingue|fou|folle)\b",
         "preference", 0.8),
    find(rf"^{_OBJ}\s*+,?\s*+(?P<neg>jamais\s+de\s+la\s+vie|tres\s+peu\s+pour\s+moi|no\s+way"
         r"|never\s+again|not\s+for\s+me|pas\s+pour\s+moi|beurk|berk|yuck|no\s+thanks"
         r"|non\s+merci)\b", "preference", 0.75),
    find(rf"^{_OBJ}\s*+>\s*+[^,.!?]{{1,40}}", "preference", 0.75),  # "vim > emacs"
    # no subject, or an unusual verb: "can't live without X", "big fan of X", "pas fan de X", "been loving X"
    find(r"\b(?:can'?t|cannot|couldn'?t)\s+(?:live|survive|function)\s+without\s+(?:my\s+)?(?P<v>.+)", "preference",
         0.8),
    find(r"\b(?:je\s+)?(?:ne\s+)?(?:peux|pourrais)\s+pas\s+vivre\s+sans\s+(?:mon\s+|ma\s+|mes\s+)?(?P<v>.+)",
         "preference", 0.8),
    find(rf"(?:^|\b(?:i'?m|i\s+am|je\s+suis|jsuis)\s+)(?:(?P<neg>pas|not)\s+{_INTENS}(?:a\s+|un\s+|une\s+)?"
         rf"(?:(?:big|huge|great|grand|grande|gros|grosse)\s+)?|(?:an?\s+|un\s+|une\s+)?{_INTENS}(?:big|huge|great"
         rf"|grand|grande|gros|grosse|enorme|massive)\s+)fan{_DE}(?P<v>.+)", "preference", 0.8),
    find(r"^(?:(?:really|totally|absolutely|so|just)\s+)*(?:(?:love|adore|enjoy)\s+)+(?P<v>.+)", "preference", 0.75),
    find(r"^(?:i'?ve\s+|i\s+have\s+)?been\s+(?:really\s+)?(?:loving|enjoying|into|obsessed\s+with|digging)\s+(?P<v>.+)",
         "preference", 0.75),
    find(r"\b(?:i'?ve|i\s+have|i'?m)\s+(?P<neg>never)\s+(?:really\s+|been\s+)*(?:into|a\s+fan\s+of|big\s+on|liked"
         r"|enjoyed|cared\s+for|got\s+into)\s+(?P<v>.+)", "preference", 0.8),
    find(rf"\b(?:j'\s*ai|jai|je\s+n'\s*ai)\s+(?P<neg>jamais|pas)\s+{_INTENS}(?:accroche|aime|kiffe|adhere|supporte)"
         rf"{_A}(?P<v>.+)", "preference", 0.8),
    find(rf"\b(?:j'\s*ai|jai)\s+(?P<neg>horreur){_DE}(?P<v>.+)", "preference", 0.8),
    find(r"\b(?:i'?m|i\s+am|im)\s+(?P<neg>not\s+(?:really\s+|much\s+of\s+|a\s+big\s+)?)?(?:more\s+of\s+|(?:really|totally"
         r"|definitely|such)\s+)?(?:an?\s+)(?P<v>[\w-]+(?:\s+[\w-]+)?)\s+(?:person|guy|girl|gal|kind\s+of\s+person)\b",
         "preference", 0.8),
    find(r"\b(?:je\s+suis|jsuis|i'?m|i\s+am)\s+(?:plutot|plus|davantage|carrement|team)\s+(?P<v>[\w-]+(?:\s+[\w-]+)?)"
         r"(?=\s+(?:que|than)\b|\s*$|\s*[,.!])", "preference", 0.75),
    # something the user stopped: "je ne bois plus de café", "I don't eat meat anymore", "j'ai arrêté le sucre"
    find(r"\b(?:je|j')\s*(?:ne\s+|n'\s*)?(?:mange|bois|regarde|ecoute|joue|lis|fume|prends|utilise|supporte|aime|fais"
         r"|touche|achete|consomme)\s+(?P<neg>plus)\s+(?:du\s+tout\s+|vraiment\s+|trop\s+)?(?:(?:de\s+la|de\s+l'|du|des|de"
         r"|les?|la|aux?|a)\s+|[dl]'\s*)?(?P<v>.+)", "preference", 0.8),
    find(r"\bi\s+(?:(?:don'?t|do\s+not)\s+(?:(?:like|enjoy|love)\s+)?(?P<v>(?:(?:eat|drink|watch|listen\s+to|play|read"
         r"|smoke|use|do|buy|touch)\s+)?.+?)"
         r"\s+(?P<neg>anymore|any\s+more)|(?P<neg2>no\s+longer)\s+(?:eat|drink|watch|listen\s+to|play|read|smoke|use|like"
         r"|do|buy|touch)\s+(?P<v2>.+))", "preference", 0.8),
    find(r"\b(?:i\s+(?:(?:have|'ve)\s+)?(?:quit|stopped|gave\s+up(?:\s+on)?|cut\s+out)|j'\s*ai\s+(?:arrete|laisse\s+tomber"
         r"|abandonne|lache)|jai\s+arrete)\s+(?:(?:de|d'|le|la|les|l')\s*)?(?P<v>.+)", "preference", 0.75,
         polarity="negative"),
    find(r"(?:\b(?:no\s+more|plus\s+(?:de|d')|fini\s+(?:le|la|les))\s*|^)(?P<v>[^,.!?]{1,30}?)\s*+,?\s*+(?:for\s+me|pour\s+moi"
         r"|c'\s*est\s+fini|is\s+over|c'\s*est\s+termine)\b", "preference", 0.7, polarity="negative"),
    find(r"\bi'?d\s+(?:much\s+)?rather\s+(?:get|have|use|read|watch|eat|drink|listen\s+to|go\s+with)\s+(?P<v>.+)",
         "preference", 0.75),
    # a soft spot, a weakness: "j'ai un faible pour X", "I have a soft spot for X", "I'm a sucker for X"
    find(r"\b(?:j'\s*ai|jai|i\s+have|i'?ve\s+got|i'?m|i\s+am)\s+(?:(?:un|une|a|an|toujours|always|such|total|real|vrai)"
         r"\s+)*(?:(?:gros|grand|petit|big|huge|real|little)\s+)?(?:faible|soft\s+spot|weakness|sucker|penchant)\s+(?:pour|for)"
         r"\s+(?P<v>.+)", "preference", 0.8),
    # nothing beats X: "rien de mieux qu'une raclette", "nothing beats a cold beer", "give me X over Y any day"
    find(r"^(?:(?:rien|nothing)\s+(?:de\s+(?:mieux|tel|meilleur|plus\s+\w+)|ne\s+vaut|beats|compares\s+to|is\s+better"
         r"\s+than|tops)|give\s+me)\s+(?:que\s+|qu'\s*|than\s+)?(?P<v>.+?)(?=\s+(?:over|plutot\s+que|rather\s+than"
         r"|any\s+day)\b|$)", "preference", 0.75),
    # not a kind of person: "I'm not much of a reader", "je ne suis pas du matin", "je suis du soir"
    find(r"\b(?:i'?m|i\s+am)\s+(?P<neg>not)\s+(?:really\s+)?(?:much\s+of\s+an?|big\s+on|a\s+big)\s+(?P<v>[\w-]+)",
         "preference", 0.75),
    find(r"\b(?:je\s+(?:ne\s+)?suis|jsuis|j'\s*suis)\s+(?:(?P<neg>pas|plus)\s+)?(?:(?:trop|vraiment|tres|plutot)\s+)?"
         r"(?P<v>du\s+(?:matin|soir))\b", "preference", 0.75),
)
_LEAD = re.compile(r"(?:(?:the|an?|some|my|les?|la|une?|des|du|de|mes|mon|ma|ces)\s+|[ld]'\s*)+")
_THIRD_PARTY = re.compile(r"\b(?:he|she|they|his|her|their|il|elle|ils|elles|on|son|sa|ses|leurs?|mon|ma|mes|my"
                          r"|our|notre|nos|you|tu|vous)\b")
_NOT_A_TASTE = re.compile(r"(?:it|that|this|ca|cela|ceci|you|toi|vous|him|her|them|lui|eux|what|ce\s+que|quoi)\b")


_SENTENCE_FINDERS = tuple(replace(finder, cut=_ENDS, max_words=8) for finder in _FINDERS)


def candidates(scope: Scope) -> list[Candidate]:
    """Tastes in one sentence (fillers skipped), keyed by topic."""
    text, folded = scope.text[scope.body:scope.end], scope.folded[scope.body:scope.end]  # "^": the sentence start
    out = []
    for finder in _SENTENCE_FINDERS:
        cand = apply(finder, text, folded, 0, len(folded), scope.language)
        if cand is None:
            continue
        at = text.find(cand.span)
        if at > 0 and _THIRD_PARTY.search(folded, 0, at):  # "ma sœur est fan de ..." is not about the user
            continue
        vs = text.find(cand.value, at)
        ve = vs + len(cand.value)
        lead = _LEAD.match(folded, vs, ve)
        vs = lead.end() if lead else vs
        if vs >= ve or _NOT_A_TASTE.match(folded, vs, ve):
            continue
        words = fold(text[vs:ve]).split()
        if words and words[0] not in BAD_FIRST and (key := preference_key(text[vs:ve], None)):
            out.append(replace(cand, value=text[vs:ve], key=key))
    return out

