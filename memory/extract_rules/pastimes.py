"""What the user does and has built or bought: hobbies ("I play the cello", "je fais de l'escalade", "I've been
running marathons"), side projects ("un projet perso en Django") and purchases ("we bought a house").

Why apart from `situation`: these are verb families with an object (play/practise/do/go + -ing, jouer de,
faire du), searched anywhere in the clause, and their values must stop before a frequency or a duration
("trois fois par semaine", "for ten years").
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import COMMA_CUT, comma_cut_before, find, search
from memory.extract_rules.scope import Scope

_STOP = comma_cut_before(r"for|since|every|each|twice|once|with|avec|depuis|in|at|dans|chez|tous|toutes|chaque"
                         r"|le\s+(?:week-?end|samedi|dimanche|lundi|mardi|mercredi|jeudi|vendredi|soir|matin)"
                         r"|on\s+(?:weekends?|sundays?|saturdays?)|\w+\s+(?:times|fois)|\d+|une\s+fois|deux\s+fois"
                         r"|a\s+lot|pour|to|qui|that|which|when|quand|lol|mdr|haha")
_ACTIVITY_NOT = re.compile(r"(?:it|this|that|so|my\s+best|mon\s+mieux|nothing|rien|the\s+(?:dishes|job|work)|work"
                           r"|what|ce\s+que|ca|attention|gaffe|la\s+queue|la\s+vaisselle|les\s+courses|a\s+lot|du\s+mal"
                           r"|mal|semblant|expres|confiance)\b")
_PARTITIVE = re.compile(r"^(?:du|de\s+la|de\s+l'|des|d'|au|a\s+la|aux)\s*")
_FINDERS = (
    find(r"\b(?:i|we)\s+(?:(?:also|still|regularly|sometimes|often|usually|mostly)\s+)?(?:play|practi[cs]e)\s+(?:the\s+)?"
         r"(?P<v>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})", "fact.hobby", 0.75, cut=_STOP, max_words=3),
    find(r"\b(?:i|we)\s+(?:(?:also|still|regularly|sometimes|often|usually)\s+)?(?:go|do)\s+(?P<v>[a-z]+ing(?:\s+[a-z]+)?)\b",
         "fact.hobby", 0.7, cut=_STOP, max_words=3),
    find(r"\b(?:i'?ve|i\s+have)\s+been\s+(?P<v>(?:running|swimming|cycling|climbing|playing|practi[cs]ing|dancing"
         r"|surfing|painting|knitting|sailing|skiing|boxing|rowing|singing|drawing|writing"
         r"|gardening)\b.+)", "fact.hobby",
         0.7, cut=_STOP, max_words=4),
    find(r"\b(?:je|j')\s*(?:fais|pratique|joue)\s+(?:(?:aussi|souvent|regulierement|encore)\s+)?"
         r"(?P<v>(?:du|de\s+la|de\s+l'|des|d'|au|a\s+la|aux)\s*[a-z].*)", "fact.hobby", 0.7, cut=_STOP, max_words=6,
         check=lambda v: _ACTIVITY_NOT.match(_PARTITIVE.sub("", v)) is None),
    find(r"\b(?:i'?m\s+(?:building|working\s+on|coding|making|developing|writing)|i\s+(?:have|maintain|built|made)"
         r"|j'\s*ai|jai|je\s+(?:code|developpe|bosse\s+sur|travaille\s+sur|monte|construis))\s+(?:(?:an?|un|une|my|mon|ma"
         r"|little|small|petit|petite|tiny)\s+)*(?P<v>(?:side[\s-]project|projet\s+perso\w*|projet\s+personnel)\b.*)",
         "fact.side_project", 0.8, cut=comma_cut_before(r"pour|to|for"),
         max_words=6),
    find(r"\b(?:my|mon|ma)\s+(?:little\s+|petit\s+)?(?:side[\s-]project|projet\s+perso\w*)\s*,?\s*(?:is|'s|c'\s*est|:)\s+"
         r"(?P<v>.+)", "fact.side_project", 0.8, cut=COMMA_CUT, max_words=8),
    find(r"\b(?:i|we|on|j'\s*ai|jai|nous\s+avons)\s+(?:(?:just|recently|finally|enfin|recemment)\s+)?(?:bought|got|adopted"
         r"|a\s+achete|ai\s+achete|achete|avons\s+achete|a\s+adopte|adopte|avons\s+adopte)\s+(?P<v>(?:an?|un|une|our|notre"
         r"|a\s+new)\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?)", "fact.possession", 0.7, cut=_STOP, max_words=4),
)
_GATE = re.compile(r"\b(?:i|we|je|j|on|jai|nous|my|mon|ma)\b")


def candidates(scope: Scope) -> list[Candidate]:
    """Hobbies, side projects and purchases in a factual clause."""
    return search(_FINDERS, scope, _GATE)
