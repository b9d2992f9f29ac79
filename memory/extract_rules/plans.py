"""Plans: intents (near-term actions, often with a date), goals (longer-term objectives) and deadlines.

Why the split: an intent gets a follow-up date ("I'll book the flights next week"), a goal is kept for the long
run ("be mortgage-free by 50", "d'ici fin 2026 on veut ouvrir une boutique"), and "I must ship X before
Friday" is a constraint (a deadline), not a wish. The horizon decides: a year, an age, "long term", "à terme"
or a goal word make a goal; tomorrow, a weekday, next week or month make an intent.
"""

from __future__ import annotations

import re
from dataclasses import replace

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import Finder, apply, apply_first, find
from memory.extract_rules.scope import Scope
from memory.extract_rules.situation import temporary
from memory.timeframes import find_timeframe

_LONG_HORIZON = re.compile(
    r"\b(?:by|d'\s*ici|avant|before|en|in)\s+(?:(?:la\s+)?fin\s+(?:de\s+)?|the\s+end\s+of\s+)?(?:19|20)\d\d\b"
    r"|\bby\s+(?:age\s+)?[3-9]\d\b|\b(?:this|next)\s+year\b|\bcette\s+annee\b|\bl'\s*annee\s+prochaine\b"
    r"|\b(?:long[\s-]term|in\s+the\s+long\s+run|eventually|someday|one\s+day|a\s+terme|un\s+jour|a\s+long\s+terme"
    r"|d'\s*ici\s+(?:\w+\s+)?(?:ans|annees)|within\s+(?:\w+\s+)?years|in\s+(?:\w+\s+)?years|dans\s+\w+\s+ans"
    r"|(?:by|before)\s+(?:the\s+)?end\s+of\s+the\s+year|d'\s*ici\s+(?:la\s+)?fin\s+(?:de\s+l'\s*annee|d'\s*annee))\b"
    r"|\b(?:goal|objective|objectif|ambition|dream|reve|resolution|aim)\b"
)
_DEADLINE = re.compile(r"\b(?:before|by|avant|d'\s*ici|no\s+later\s+than|au\s+plus\s+tard)\s+\S")
_LIFE_VERB = re.compile(  # a want without a date is a goal only for these
    r"^(?:(?:finally|really|vraiment|enfin)\s+)?(?:learn|become|launch|open|start\s+(?:my|a|our)|lose|save|retire|buy"
    r"\s+(?:a|my|our)\s+(?:house|home|flat|apartment)|run\s+a|write\s+a|move\s+(?:to|the)|get\s+(?:fit|certified"
    r"|my)|quit|grow|double|hire|automate|apprendre|devenir|lancer|ouvrir|creer|perdre|economiser|acheter\s+(?:une"
    r"|un|notre|ma|mon)\s+(?:maison|appart)|courir\s+un|ecrire\s+un|demenager|arreter\s+de|passer\s+a|doubler"
    r"|embaucher|recruter|automatiser|monter|be\s+\w+-free|etre\s+\w+)\b"
)

_WANT = (r"\b(?:i\s+(?:really\s+)?(?:want|wanna|hope|plan|intend|aim|would\s+love|would\s+like)\s+to"
         r"|i\s*'?\s*d\s+(?:love"
         r"|like|really\s+like)\s+to|j'\s*(?:aimerais|voudrais|espere|ambitionne|envisage\s+de)|je\s+(?:veux|voudrais"
         r"|souhaite|vise\s+[aà]|compte|reve\s+d[e']|projette\s+de|prevois\s+de)|on\s+(?:veut|voudrait|aimerait|vise"
         r"|compte|souhaite|espere)|nous\s+(?:voulons|visons|souhaitons|esperons)|we\s+(?:want|plan|hope|aim|intend"
         r"|would\s+love|'?d\s+love|'?d\s+like)\s+to)\s*(?P<v>.+)")
_WILL = (r"\b(?:i\s*'?\s*ll|i\s+will|i\s*'?\s*m\s+(?:(?:going|planning|about)\s+to|gonna)|im\s+(?:going\s+to|gonna)"
         r"|i\s+(?:need|have|plan|must|got)\s+to|i\s+must|je\s+vais|j'\s*vais|jvais|je\s+dois|jdois|il\s+faut\s+que\s+(?:je"
         r"|j')|faut\s+que\s+(?:je|j')|j'\s*ai\s+prevu\s+de|on\s+va|we\s*'?\s*ll|we\s+(?:will|need\s+to|have\s+to"
         r"|are\s+going\s+to)|we'?re\s+going\s+to)\s*(?P<v>.+)")
_GOAL_NOUN = (r"\b(?:my|our|mon|ma|notre)\s+(?:(?:big|main|biggest|long-?term|ultimate|real|grand|gros|vrai|principal"
              r"|number\s+one)\s+)*(?:goal|objective|aim|dream|ambition|objectif|but|reve|resolution)(?:\s+(?:for|this"
              r"|pour|cette|de\s+l'\s*annee)\s*\w*)?\s*(?:is|was|c'\s*est|est|:|,)\s*(?:(?:to|de|d')\s*)?(?P<v>.+)")
_ACTION = re.compile(r"(?:book|call|buy|renew|send|finish|switch|sign|pay|visit|move|start|quit|cancel|order|submit"
                     r"|email|fix|write|meet|schedule|apply|register|file|reserver|appeler|acheter|renouveler|envoyer|finir"
                     r"|terminer|signer|payer|changer|passer|relancer|contacter|commander|annuler|ecrire|voir|rencontrer"
                     r"|m'inscrire|deposer|prendre|faire|shipper|livrer|migrer|migrate|lancer|launch|prepare|preparer)")
_FRONT_TIME = (r"^(?P<v>(?:tomorrow|tonight|demain|ce\s+soir|this\s+(?:weekend|week-end|week|month|evening|afternoon)"
               r"|next\s+(?:week|month|\w+day)|ce\s+week-?end|cette\s+semaine|ce\s+mois-ci|la\s+semaine\s+prochaine"
               r"|le\s+mois\s+prochain|(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:lundi|mardi|mercredi"
               r"|jeudi|vendredi|samedi|dimanche)(?:\s+prochain)?)(?:\s+(?:matin|soir|apres-midi|morning|evening))?\s*,?"
               r"\s*(?:je|j'|jvais|i|i'?m|im|on|we)\b.+)")

_SOON = (r"(?:tomorrow|tonight|demain|ce\s+soir|this\s+(?:weekend|week|evening|afternoon|summer|winter)|next\s+\w+"
         r"|ce\s+week-?end|cette\s+semaine|la\s+semaine\s+prochaine|le\s+mois\s+prochain|cet\s+(?:ete|hiver|automne)"
         r"|ce\s+printemps|(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)(?:\s+prochain)?(?!s))\b")
_TRAILING_TIME = find(rf"^(?:je|j'|on|we|i)\s*(?P<v>(?!(?:suis|am|vis|live"
                      rf"|habite|was|were|had|did|ai|avons|a|\w+ed)\b)[a-z'][^.!?;]*?(?<!\ble\s)(?<!\bles\s)"
                      rf"(?<!\bevery\s){_SOON}(?:\s+(?:soir|matin|morning|evening))?)", "intent.plan", 0.7)
# No subject but a plan: "Planning to sell my car next month", "Gonna call the bank on Monday".
_SUBJECTLESS = find(r"^(?:planning|hoping|going|about|gonna|need|needing|have|got|trying)\s*(?:to\s+)?(?P<v>[a-z].+)",
                    "intent.plan", 0.75)
# Any first-person action with a time to come: "On part en Corse en juillet", "I'm flying to Montreal on the 12th".
_PLAN_VERB = (r"(?:fly|go|head|leave|travel|visit|start|move|call|meet|book|sign|pay|renew|buy|sell|pick\s+up"
              r"|drop\s+off|drive"
              r"|take|launch|present|pitch|submit|send|finish|begin|return|get\s+back|come\s+back|celebrate|host|register|apply"
              r"|interview|quit|resign|see|repaint|paint|fix|clean|order|cancel|open|close|run|attend|join)"
              r"|(?:pars|part|partons|allons|vais|va|commence|commencons|demenage|demenageons|emmenage|appelle|rencontre|vois"
              r"|passe|prends|reprends|signe|organise|recois|rentre|reviens|visite|depose|achete|vends|inscris|presente|lance"
              r"|fete|rends|envoie|finis|termine|attaque|rejoins|quitte|repeins|change|prepare|m'\s*inscris|m'\s*installe"
              r"|installe|pose|file|monte|descends|vole|atterris)")
_TIMED_ACTION = find(rf"^(?:je\s+|j'\s*|jvais\s+|on\s+|nous\s+|we\s+|i\s+)(?:(?:finally|will|also|aussi|enfin)\s+)?"
                     rf"(?P<v>(?:{_PLAN_VERB})\b[^.!?;]*)"
                     rf"|^(?:i\s*'?\s*m|im|i\s+am|we\s*'?\s*re|we\s+are)\s+(?P<v2>(?:flying|going|heading|leaving|travel+ing"
                     r"|visiting|starting|moving|calling|meeting|booking|signing|selling|buying|driving|taking|launching"
                     r"|presenting|pitching|submitting|sending|finishing|returning|celebrating|hosting|interviewing|quitting"
                     r"|seeing|repainting|painting|fixing|attending|joining|picking\s+up)\b[^.!?;]*)", "intent.plan",
                     0.7,
                     max_words=14)
_NOT_SOON = re.compile(r"\b(?:last|ago|yesterday|hier|dernier|derniere|il\s+y\s+a|depuis|since|every|each|tous\s+les"
                       r"|toutes\s+les|chaque|usually|always|toujours|souvent|often|never|jamais|d'habitude"
                       r"|(?:mon|tues|wednes|thurs|fri|satur|sun)days|weekends|(?:for|over|pendant|durant)\s+(?:about\s+|the"
                       r"\s+(?:next|last|past)\s+|plus\s+de\s+|environ\s+)?\w+\s+(?:days|weeks|months|years|jours|semaines|mois|ans)"
                       r"|le\s+(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|week-?end|soir|matin)\b(?!\s+(?:prochain"
                       r"|\d)))\b")
# Life searches and preparations: "je cherche un appart à Bordeaux", "I'm training for my first half marathon",
# "en reconversion pour devenir électricien".
_PURSUITS = (
    find(r"\b(?:je\s+(?:re)?cherche|on\s+(?:re)?cherche|nous\s+cherchons|i'?m\s+(?:looking|searching|hunting)\s+for"
         r"|i\s+am\s+looking\s+for|we'?re\s+looking\s+for)\s+(?P<v>(?:(?:un|une|a|an|new|nouvel?|nouvelle|our|notre"
         r"|mon|ma|my|another|autre)\s+)+(?:[\w-]+\s+)?(?:appart\w*|logement|maison|house|home|flat|apartment|job|boulot"
         r"|travail|taf|poste|stage|alternance|internship|emploi|school|ecole|creche|nanny|nounou|daycare|voiture|car"
         r"|coloc\w*|roommate|associe|cofounder|co-founder)\b.*)", "intent.plan", 0.75, max_words=12),
    find(r"\b(?:i'?m\s+(?:training|in\s+training)\s+for|je\s+m'\s*entraine\s+pour|(?:i'?m\s+(?:preparing|studying"
         r"|revising)\s+for|je\s+(?:prepare|revise\s+pour|passe))\s+(?=(?:an?|my|the|un|une|le|la|mon|ma)\s+(?:\w+\s+)?"
         r"(?:marathon|half|semi|trail|triathlon|ironman|race|course|exam|examen|concours|bac|permis|driving|diplome"
         r"|degree|master|these|phd|certification|toefl|ielts|bar|cap|bts)))(?P<v>.+)", "goal.objective", 0.75),
    find(r"\b(?:pour|afin\s+de|to|in\s+order\s+to|so\s+i\s+can)\s+(?P<v>(?:devenir|become)\s+.+)", "goal.objective",
         0.75, check=lambda v: len(v.split()) >= 2),
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'?m|je|j|my|mon|ma|mes|on|we|nous)\b|\bj'")
_GOAL_FINDER = find(_GOAL_NOUN, "goal.objective", 0.85)
_WANT_FINDER = find(_WANT, "goal.objective", 0.8)
_WILL_FINDER = find(_WILL, "intent.plan", 0.8)
_FRONT_FINDER = find(_FRONT_TIME, "intent.plan", 0.75)
_MUST = re.compile(r"\b(?:dois|jdois|must|have\s+to|need\s+to|faut)\b")
_NOT_PLAN = re.compile(r"^(?:(?:te|vous|you|to\s+(?:say|know|ask|tell|check|see|be\s+honest)|say|know|ask|tell"
                       r"|dire|te\s+dire"
                       r"|savoir|demander|be\s+honest|admit|avouer|think|reflechir|try|essayer)\b)")


def _as(cand: Candidate, finder: Finder, key: str) -> Candidate:
    return replace(cand, category=key.split(".")[0], key=key, confidence=min(cand.confidence, finder.confidence))


_GATE = re.compile(
    r"\b(?:want|wanna|hope|plan|planning|intend|aim|love|like|aimerais|voudrais|espere|ambitionne|envisage|veux|souhaite"
    r"|vise|compte|reve|projette|prevois|veut|voudrait|aimerait|voulons|visons|souhaitons|esperons|goal|objective|objectif"
    r"|but|dream|ambition|resolution|ll|will|going|gonna|about|need|have|must|got|vais|jvais|dois|jdois|faut|prevu|va"
    r"|cherche|recherche|cherchons|looking|searching|hunting|training|entraine|preparing|prepare|studying"
    r"|revising|revise|passe|devenir|become|hoping|trying|needing)\b"
)


def candidates(scope: Scope) -> list[Candidate]:
    """At most one plan per factual clause: an explicit goal, a want, a will/must, or a date-fronted action."""
    if not scope.factual or temporary(scope):  # "cette semaine je suis à Porto" is a state that expires, not a plan
        return []
    text, folded, start, body, end = scope.text, scope.folded, scope.start, scope.body, scope.end
    language, factor = scope.language, scope.factor
    has_time = find_timeframe(folded, start, end) is not None
    if not has_time and not _GATE.search(folded, start, end):
        return []
    if cand := apply(_GOAL_FINDER, text, folded, start, end, language, factor):
        return [cand]
    clause = folded[start:end]
    long_horizon = _LONG_HORIZON.search(clause) is not None
    if cand := apply(_WANT_FINDER, text, folded, start, end, language, factor):
        what = _fold_value(cand, folded, text)
        if _NOT_PLAN.match(what):
            return []
        if long_horizon or _LIFE_VERB.match(what):
            return [_widen(cand, text, folded, start, end)]
        if not has_time:
            return []
        return [replace(_widen(cand, text, folded, start, end), category="intent", key="intent.plan")]
    cand = apply(_WILL_FINDER, text, folded, start, end, language, factor) or apply(
        _SUBJECTLESS, text, folded, body, end, language, factor)
    if cand:
        what = _fold_value(cand, folded, text)
        if _NOT_PLAN.match(what):
            return []
        if _MUST.search(clause) and _DEADLINE.search(clause):
            return [_as(_widen(cand, text, folded, start, end), _WILL_FINDER, "constraint.deadline")]
        if long_horizon and not has_time:
            return [_as(cand, _WANT_FINDER, "goal.objective")]
        if has_time or _ACTION.match(what):
            return [_widen(cand, text, folded, start, end)]
        return []
    if _FIRST_PERSON.search(folded, start, end) and (
            cand := apply_first(_PURSUITS, text, folded, start, end, language, factor)):
        return [cand]
    if cand := apply_first((_FRONT_FINDER, _TRAILING_TIME), text, folded, body, end, language, factor):
        return [cand]
    if has_time and not long_horizon and not _NOT_SOON.search(clause):
        if cand := apply(_TIMED_ACTION, text, folded, body, end, language, factor):
            return [cand]
    return []


def _fold_value(cand: Candidate, folded: str, text: str) -> str:
    at = text.find(cand.value)
    return folded[at:at + len(cand.value)] if at >= 0 else cand.value.lower()


def _widen(cand: Candidate, text: str, folded: str, start: int, end: int) -> Candidate:
    """Keep a time phrase that came before the verb ("D'ici fin 2026 on veut ...") inside the value."""

    at = text.find(cand.value, start)
    tf = find_timeframe(folded, start, at if at >= 0 else start)
    if at < 0 or not tf:
        return cand
    return replace(cand, value=text[tf.start():at + len(cand.value)])
