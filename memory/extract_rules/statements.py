"""Statement rules: profile, preference and constraint clauses, and the sentence/clause walk.

Pulls durable memories about the user out of one chat message (French and English).

Why rules: this runs on every user turn, so it must be fast (well under 1 ms), dependency-free and
predictable. It favours precision over recall: a statement is kept only when it is a first-person,
non-hypothetical, non-question clause addressed by the user about themselves; a slower pass can add more.

Conventions:
- Matching runs on a *folded* copy of the message (lowercase, accents removed, typographic apostrophes
  -> "'") of exactly the original's length, so every match maps back to the original characters:
  ``value`` and ``span`` are always exact substrings of the message.
- ``span`` is the matched statement (trigger through value), e.g. "j'adore le jazz"; ``value`` lies in it.
- Leading articles/prepositions are stripped from values ("le jazz" -> "jazz", "aux arachides" ->
  "arachides"), never from names and places ("La Rochelle"). Ages keep the figure only ("34").
- Polarity is "negative" for dislikes, negations and "no longer" / "ne ... plus" statements.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from memory.extract_rules import (
    answers,
    business,
    forget,
    intros,
    limits,
    manners,
    pastimes,
    plans,
    sensitive,
    situation,
    style,
    tastes,
)
from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import split_at
from memory.extract_rules.folding import fold as _fold
from memory.extract_rules.language import detect_language

# ------------------------------------------------------------------------------ shared fragments (folded)

_I = r"i\s+"
_IM = r"(?:i\s*'\s*m|i\s+am|i\s+m|im)\s+"
_JE = r"(?:je\s+|j'\s*|j\s+|j(?=[aehiouys]))"  # je, j', "j aime", "jaime"
_NE = r"(?:ne\s+|n'\s*|n\s+)?"
_ADV = (r"(?:(?:really|realy|rly|also|still|truly|absolutely|totally|just|do|kinda|sorta|kind\s+of|sort\s+of"
        r"|definitely|generally|usually|mostly|honestly|particularly|quite|actually|strictly|only|much|pretty\s+much"
        r"|genuinely|secretly|low[\s-]?key|now|also\s+really|reaaally|obviously|totally)\s+)*")
_NEG = rf"(?:(?P<neg>don'?t|do\s+not|no\s+longer|never|can'?t|cannot|can\s+not|didn'?t)\s+{_ADV})?"
_FR_NEG = r"(?:\s+(?P<neg>pas|plus|jamais|point|guere))?"
_FR_ADV = (r"(?:\s+(?:trop|beaucoup|vraiment|bien|tellement|enormement|du\s+tout|particulierement"
           r"|surtout|aussi|non\s+plus|toujours|encore|grave|a\s+fond))*")
_LANGS = (r"(?:english|french|spanish|german|italian|portuguese|dutch|russian|chinese|mandarin|cantonese"
          r"|japanese|korean|arabic|hindi|turkish|polish|greek|swedish|norwegian|danish|finnish|hebrew"
          r"|vietnamese|thai|ukrainian|romanian|czech|hungarian|catalan|basque|breton|persian|farsi|urdu"
          r"|bengali|swahili|latin|esperanto|anglais|francais|espagnol|allemand|italien|portugais|neerlandais"
          r"|hollandais|russe|chinois|cantonais|japonais|coreen|arabe|turc|polonais|grec|suedois|norvegien"
          r"|danois|finnois|hebreu|vietnamien|ukrainien|roumain|tcheque|hongrois|persan|ourdou|tagalog|filipino"
          r"|wolof|berbere|berber|kabyle|amazigh|tamazight|lingala|malagasy|malgache|creole|amharic|amharique|malay"
          r"|malais|indonesian|indonesien|punjabi|tamil|tamoul|telugu|gujarati|marathi|nepali|khmer|mongol|kazakh"
          r"|armenian|armenien|georgian|georgien|albanian|albanais|serbian|serbe|croatian|croate|bulgarian|bulgare"
          r"|slovak|slovaque|lithuanian|lituanien|icelandic|islandais|gaelic|gaelique|welsh|gallois|corse|occitan"
          r"|alsacien|luxembourgish|luxembourgeois|afrikaans|zulu|yoruba|igbo|hausa|somali|pashto|kurdish|kurde"
          r"|sign\s+language|langue\s+des\s+signes|lsf|asl|bsl)")
_DEMONYMS = (r"(?:french|british|english|american|canadian|german|spanish|italian|portuguese|dutch"
             r"|belgian|swiss|russian|chinese|japanese|korean|indian|brazilian|mexican|irish|scottish"
             r"|australian|moroccan|algerian|tunisian|senegalese|polish|greek|turkish|swedish|lebanese"
             r"|(?:francais|anglais|ecossais|irlandais|portugais|japonais|chinois|senegalais|polonais|libanais"
             r"|americain|allemand|espagnol|marocain|mexicain|suedois)e?"
             r"|(?:canadien|italien|bresilien|indien|australien|algerien|tunisien|coreen|norvegien)(?:ne)?"
             r"|belge|suisse|russe|britannique|grecque|grec|turque|turc)s?")
_DIETS = (r"(?:lacto-?\s*|ovo-?\s*)*(?:vegetarian|vegan|pescatarian|pescetarian|flexitarian|plant[\s-]based"
          r"|(?:vegetarien|vegetalien|pescetarien|pescatarien|flexitarien)(?:ne)?|vegane?|veggie|vege)s?")
_OCCUPATIONS = re.compile(  # the final (?:ne|e)?s? also covers French feminines: "infirmiere", "musicienne"
    r"\b(?:engineer|ingenieur|developer|developpeu(?:r|se)|dev|programmer|programmeu(?:r|se)|coder|teacher"
    r"|enseignant|professeur|prof|instituteur|institutrice|doctor|docteur|medecin|nurse|infirmier|lawyer"
    r"|avocat|attorney|student|etudiant|designer|graphiste|manager|consultant|accountant|comptable|architect"
    r"|scientist|researcher|chercheu(?:r|se)|writer|ecrivain|author|auteur|journalist|artist|musician"
    r"|musicien|chef|cook|cuisinier|baker|boulanger|farmer|agricult(?:eur|rice)|pharmacist|pharmacien"
    r"|dentist|plumber|plombier|electrician|electricien|carpenter|menuisier|mechanic|mecanicien|pilot"
    r"|driver|chauffeur|firefighter|pompier|police\s+officer|policier|salesman|saleswoman|commercial"
    r"|vendeu(?:r|se)|analyst|freelance|freelancer|entrepreneur|entrepreneuse|founder|fondat(?:eur|rice)"
    r"|ceo|cto|cfo|intern|stagiaire|professor|lecturer|librarian|bibliothecaire|translator|traduct(?:eur"
    r"|rice)|photographer|photographe|secretary|secretaire|assistant|cashier|caissier|waiter|waitress"
    r"|serveu(?:r|se)|barista|therapist|therapeute|psychologist|psychologue|vet|veterinarian|veterinaire"
    r"|surgeon|chirurgien|physician|paramedic|soldier|soldat|militaire|retired|retraite|actor|actress"
    r"|acteur|actrice|singer|chanteu(?:r|se)|dancer|danseu(?:r|se)|editor|marketer|recruiter|banker"
    r"|banquier|trader|economist|physicist|physicien|chemist|chimiste|biologist|sysadmin|administrator"
    r"|fonctionnaire|civil\s+servant|technician|technicien|unemployed|chomeu(?:r|se)|self-employed"
    r"|independant|tutor|coach|nanny|nounou|gardener|jardinier|hairdresser|coiffeu(?:r|se)|notaire|notary"
    r"|judge|juge|data\s+scientist|product\s+owner|employee?|worker|ouvrier|kine|kinesitherapeute|physio"
    r"|physiotherapist|osteo|osteopathe|sage-femme|midwife|aide-soignant|caregiver|copywriter|redact(?:eur|rice)"
    r"|logisticien|developper|freelancer|consultante?|ux|ui|pm|product\s+manager|project\s+manager|chef\s+de\s+projet"
    r"|gerant|manager|directeur|directrice|director|owner|proprietaire|fondateur|founder)(?:ne|e)?s?\b"
)
_TIME = re.compile(
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)days?|mornings?|afternoons?|evenings?|nights?|weekends?"
    r"|weekdays?|before|after|until|lunch|lundis?|mardis?|mercredis?|jeudis?|vendredis?|samedis?|dimanches?"
    r"|matins?|matinees?|apres-midi|soirs?|soirees?|nuits?|week-?ends?|semaine|avant|apres|midi"
    r"|\d{1,2}\s*(?:am|pm|h\d*)|\d{1,2}:\d{2})\b"
)


def _cut_re(words: str) -> re.Pattern[str]:
    """A value ends at the first of these words (reasons, adverbs, a second object) or at a bracket/quote."""
    return re.compile(rf"(?<!\s)\s++(?:{words})\b|(?<!\s)\s*+[()\[\]\"«»“”]"  # (?<!\s): linear time
                      r"|(?<!\s)\s*+,\s*+(?:c'\s*est|it'?s|that'?s|ce\s+qui|which|c\s)")  # "..., c'est ma préférée"


_CUT_WORDS = (r"because|since|as|but|when|whenever|while|though|although|which|who|so|if|unless|except"
              r"|especially|a\s+lot|very\s+much|too|as\s+well|anymore|any\s+more|at\s+all|nowadays|lately"
              r"|these\s+days|now|right\s+now|currently|at|with|for|from|than|over|rather|instead|more|btw"
              r"|by\s+the\s+way|parce|car|puisque|depuis|quand|lorsque|mais|sauf|si|beaucoup|vraiment|trop"
              r"|enormement|aussi|egalement|maintenant|actuellement|du\s+tout|non\s+plus|surtout|avec|chez"
              r"|pour|plutot|que|qui|comme|tellement|en\s+ce\s+moment|a\s+fond|au\s+lieu"
              r"|along|every|each|tous\s+les|on\s+(?:weekends?|sundays?|saturdays?)|last|next|ago|yesterday|today"
              r"|tomorrow|hier|demain|aujourd'hui|il\s+y\s+a|cet\s+(?:ete|hiver|automne)|cette\s+(?:annee|semaine)"
              r"|ce\s+(?:mois|printemps|week-?end)|this\s+(?:year|month|week|summer|spring|autumn|fall|winter)"
              r"|l'\s*an\s+dernier|l'\s*annee\s+derniere|(?:le|la)\s+(?:semaine|mois|week-?end|soir|matin|lundi"
              r"|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+(?:dernier|derniere|prochaine?)"
              r"|(?:le|la)\s+(?:week-?end|soir|matin|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)")
_CUT = _cut_re(_CUT_WORDS)
_CUT_PREFER = _cut_re(_CUT_WORDS + r"|to|au|aux|a\s+la|a\s+l'")  # "I prefer tea to coffee"
_CUT_OCCUPATION = re.compile(_cut_re(_CUT_WORDS + r"|of|in|a|au|aux|dans").pattern  # "developer at Google"
                             + r"|(?<!\s)\s*+,")
_CUT_LIGHT = _cut_re(r"because|since|but|as|so|for|if|unless|parce|car|puisque|mais|pour|si|donc")
_LEAD_EN = re.compile(r"(?:(?:the|an?|some|any|to)\s+)*")  # per language: folded "thé" is "the"
_LEAD_FR = re.compile(r"(?:(?:les?|la|une?|des|du|de|au|aux|a)\s+|[ld]'\s*)*")
_LEAD_LANGUAGE = re.compile(r"(?:(?:a\s+(?:bit|little)\s+of|a\s+little|some|fluent|basic|native|also"
                            r"|un\s+peu(?:\s+de)?|couramment|bien|aussi|le|the)\s+|[ld]'\s*)*")
_LEAD_TIME = re.compile(r"(?:(?:on|in\s+the|in|during|the|at|le|la|les|en|pendant|durant)\s+|l'\s*)*")
_LEAD_MONEY = re.compile(r"(?:(?:of|about|around|roughly|approximately|only|maximum|max|up\s+to|under"
                         r"|less\s+than|de|environ|autour\s+de|au\s+maximum|moins\s+de|jusqu'a)\s+|d'\s*)*")
_LIST_SPLIT = re.compile(r"(?<!\s)\s*+[,/]\s*+(?:(?:and|or|et|ou)\s+)?|(?<!\s)\s++(?:and|or|nor|&|et|ou|ni)\s+")

# ----------------------------------------------------------------------------- message and clause filters

_MAX_CHARS = 4000  # ~40 µs per clause: a pasted document is not where users state facts about themselves
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|previous|prior|earlier"
    r"|above|these)\s+)*(?:instructions?|rules|prompts?|guidelines|directives)\b"
    r"|\b(?:ignore[sz]?|oublie[sz]?)\s+(?:toutes?\s+)?(?:les|tes|vos|ces)\s+(?:instructions|consignes|regles)"
    r"|system\s+prompt|prompt\s+systeme|developer\s+mode|mode\s+developpeur|jailbreak|new\s+instructions"
    r"|nouvelles\s+instructions|\byou\s+are\s+now\b|\byou're\s+now\b|\btu\s+es\s+(?:maintenant|desormais)\b"
    r"|\b(?:i\s*'?\s*m|i\s+am)\s+(?:the|your|ur)\s+(?:\w+\s+)?(?:admin|administrator|developer|dev|creator"
    r"|owner|operator|programmer|sysadmin|superuser|root|moderator|master|maker)\b"
    r"|\bi\s+have\s+(?:admin|root|developer|sudo|superuser)\s+(?:access|rights|privileges|permissions)"
    r"|\b(?:give|grant)\s+me\s+(?:admin|root)|\bj'\s*ai\s+les\s+droits\s+(?:d'\s*)?(?:admin|root)"
    r"|\bje\s+suis\s+(?:l'\s*|le\s+|la\s+|ton\s+|ta\s+|votre\s+)(?:admin|administrat|developpeu|createu"
    r"|proprietaire|operat|concepteu|programmeu)"
)
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
_SARCASM = re.compile(r"[\U0001f643\U0001f644\U0001f612]|^\W*(?:oh|ouais|yeah|wow|ah)\s*,?\s*(?:great|genial|super|top"
                      r"|parfait|bravo|trop\s+bien|fantastic|wonderful|perfect|brilliant|cool)\b|\byeah\s+right\b")
_SENTENCE = re.compile(r"(?:[^.!?\n]|\.(?=\w))+(?P<end>[.!?]*)")
_CLAUSE_BREAK = re.compile(  # only before a new first-person subject, so "jazz, rock and blues" stays whole
    r"(?:[,;:]|\s-\s|\b(?:and|but|so|also|because|et|mais|donc|puis|alors|car|parce\s+que)\b)\s*+"
    r"(?=(?:i|i'm|im|i'd|je|my|mon|ma|mes|moi(?!\s*,?\s*(?:on|nous|we)\b))\b|j'|j(?=ai|aime|adore|habite|suis|deteste"
    r"|prefere|travaille)|(?:on|nous|we)\s+(?:habite|habitons|vit|vivons|live)\b"
    r"|no\s+(?:meetings?|calls?)\b|pas\s+de\s+(?:reunion|rdv|rendez|appel))"
)

# ---------------------------------------------------------------------------------- reply language/style

_ONE_OFF = re.compile(r"\b(?:this\s+(?:one|time|question|answer|message)|for\s+now|just\s+this|for\s+this"
                      r"|cette\s+fois|cette\s+question|celle-ci|celle-la|ce\s+message|pour\s+cette"
                      r"|juste\s+pour)\b")
_LASTING = re.compile(r"\b(?:always|from\s+now\s+on|going\s+forward|by\s+default|henceforth|in\s+the\s+future"
                      r"|all\s+the\s+time|every\s+time|anymore|any\s+more|no\s+longer|toujours|desormais"
                      r"|dorenavant|a\s+partir\s+de\s+maintenant|a\s+l'avenir|par\s+defaut|tout\s+le\s+temps"
                      r"|systematiquement|ne\s+(?:me\s+)?\w+(?:-moi)?\s+plus)\b")
_PREFER_VERB = re.compile(r"\b(?:i\s+(?:really\s+)?(?:prefer|like)|je\s+prefere|j'?\s*aime)\b")
_NOT_ADDRESSED = re.compile(  # "my wife always answers in French", "I always answer in French"
    r"(?:he|she|they|we|it|his|her|their|our|il|elle|ils|elles|on|nous|son|sa|ses|leur|my\s+(?!favou?rite)\w+"
    r"|mon|ma|mes)\b|(?:i|je)\s+(?:(?:always|usually|often|never|toujours|souvent|jamais)\s+)?(?:answer|reply"
    r"|respond|write|speak|talk|repond|ecri|parle)")
_REPLY_LANGUAGE = re.compile(
    r"(?:(?P<noun>answers|replies|responses|reponses)|answer|reply|respond|write\s+(?:to\s+)?me"
    r"|speak\s+(?:to\s+|with\s+)?me|talk\s+(?:to\s+|with\s+)?me|repon(?:ds|dez|dre|des)"
    r"|ecri(?:s|vez|re)[\s-]*moi|parle[sz]?[\s-]*moi)\b[^.!?]{0,40}?\b(?:in|en)\s+(?P<v>" + _LANGS + r")\b"
)
_REPLY_STYLE = re.compile(
    r"\b(?:answer|reply|respond|be|keep\s+(?:it|your\s+(?:answers|replies|responses))|repon(?:ds|dez|dre)"
    r"|sois|soyez|fais|faites)(?:[\s-]+(?:me|moi|always|toujours|more|very|tres))*\s+(?P<v>(?:short|brief"
    r"|concise|succinct|detailed|simple|precise)(?:ly)?|in\s+detail|in\s+bullet\s+points|brievement"
    r"|simplement|en\s+detail|(?:concis|court|bref|precis|detaille)e?s?)\b"
)
_REPLY_NOUN = re.compile(r"\b(?:answers?|replies|reply|responses?|explanations?|reponses?|explications?"
                         r"|bullet(?:\s+points?|s)|paragraphs?|paragraphes?|puces|listes?\s+a\s+puces|markdown"
                         r"|emojis?|smileys?|tableaux|tables)\b")
_IN_LANGUAGE = re.compile(rf"\b(?:in|en)\s+{_LANGS}\b")
_NEGATION = re.compile(r"\b(?:don'?t|do\s+not|never|stop|no\s+longer|ne|plus|jamais|pas)\b|\bn'")

# ------------------------------------------------------------------------------------------- value checks

_NOT_NAME = frozenset(
    "not a an the tired happy sad fine good ok okay sorry back here there ready done sure busy bored hungry"
    " sick ill excited glad great alright new lost confused home late early free alone single so very just"
    " really fatigue fatiguee content contente heureux heureuse triste desole desolee pret prete la ici"
    " malade occupe occupee perdu perdue seul seule pareil pareille pas plutot le les un une tout non oui ca"
    " different comme mon ma mes nul super bon cool top simple facile".split()
)
_BAD_FIRST = frozenset(  # "I love it", "I like when you...", "I love my wife": not a taste worth storing
    "it that this these those them you your yours him her me myself what how when where why who everything"
    " nothing anything something much many whatever not my our ca cela ceci ce cette ces te toi vous votre"
    " vos ton ta tes lui quand comment pourquoi tout rien quelque quoi qu mon ma mes avec with chez here"
    " ici pas ne".split()
)
_NAME_TOKEN = re.compile(r"[a-z][a-z'-]*")
_QUANTITY = re.compile(r"(?:\d|two|three|four|five|deux|trois|quatre|cinq|dix|ten|once|twice|une\s+fois)")
_NOT_NAME_WORD = re.compile(rf"{_DEMONYMS}|{_DIETS}|{_LANGS}")


def _is_name(value: str, original: str) -> bool:
    tokens = value.split()
    return len(tokens) <= 3 and tokens[0] not in _NOT_NAME and all(_NAME_TOKEN.fullmatch(t) for t in tokens)


def _is_capitalised_name(value: str, original: str) -> bool:
    """For weak cues ("I'm X", "call me X"): the user must have written a capitalised name-like token."""
    return _is_name(value, original) and all(t[0].isupper() for t in original.split())


def _is_im_name(value: str, original: str) -> bool:
    return (_is_capitalised_name(value, original) and len(value.split()) <= 2
            and not _NOT_NAME_WORD.fullmatch(value) and not _OCCUPATIONS.search(value))


def _not_infinitive(value: str, original: str) -> bool:
    """"je viens de Lyon" is an origin, "je viens de manger" is not."""
    return original[:1].isupper() or not re.match(r"[a-z]+(?:er|ir|re|oir)\b", value)


def _has(pattern: re.Pattern[str]) -> Callable[[str, str], bool]:
    """Check that the folded value contains `pattern` (an occupation word, a time, a figure...)."""
    return lambda value, _original: pattern.search(value) is not None


# ------------------------------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class _Rule:
    """A pattern anchored at the clause body; group ``v`` is the value, ``neg*``/``bad`` make it negative."""

    pattern: re.Pattern[str]
    category: str
    key: str  # "preference": the topic comes from the value, or from group ``topic`` when present
    lang: str
    confidence: float
    check: Callable[[str, str], bool] | None = None  # (folded value, original value) -> keep?
    split: bool = False  # the value may be a list: "jazz, rock and blues"
    lead: re.Pattern[str] | None = None  # leading words to strip from the value (_r defaults to articles)
    cut: re.Pattern[str] = _CUT
    max_words: int = 5


def _r(pattern: str, key: str, lang: str, confidence: float, **options: object) -> _Rule:
    options.setdefault("lead", _LEAD_FR if lang == "fr" else _LEAD_EN)
    return _Rule(re.compile(pattern), key.split(".")[0], key, lang, confidence, **options)  # type: ignore[arg-type]


_V = r"(?P<v>.+)"
_AGE = r"(?P<v>[1-9]\d?|1[01]\d)\b"
_NAME = {"check": _is_name, "lead": None}
_WEAK_NAME = {"check": _is_capitalised_name, "lead": None}
_PLACE = {"lead": None, "max_words": 4}
_JOB = {"check": _has(_OCCUPATIONS), "cut": _CUT_OCCUPATION, "max_words": 4}
_SPOKEN = {"check": _has(re.compile(rf"^{_LANGS}\b(?:\s+(?:at|a|au|in|with|avec|chez)\b.*)?$")), "split": True,
           "lead": _LEAD_LANGUAGE}
_WHEN = {"check": _has(_TIME), "lead": _LEAD_TIME, "cut": _CUT_LIGHT, "max_words": 6}
_MONEY = {"check": _has(re.compile(r"\d")), "lead": _LEAD_MONEY, "cut": _CUT_LIGHT}

_PROFILE_RULES = (
    _r(rf"my\s+(?:first\s+|full\s+)?name\s*(?:is|'s|s)\s+{_V}", "profile.name", "en", 0.95, **_NAME),
    _r(rf"{_IM}called\s+{_V}", "profile.name", "en", 0.9, **_NAME),
    _r(rf"(?:you\s+can\s+)?call\s+me\s+{_V}", "profile.name", "en", 0.9, **_WEAK_NAME),
    _r(rf"{_JE}m\s*'?\s*appelle\s+{_V}", "profile.name", "fr", 0.95, **_NAME),
    _r(rf"mon\s+(?:pre)?nom\s*,?\s*(?:est|c'\s*est|:)\s+{_V}", "profile.name", "fr", 0.95, **_NAME),
    _r(rf"moi\s*,?\s*c'\s*est\s+{_V}", "profile.name", "fr", 0.85, **_NAME),
    _r(rf"(?:tu\s+peux\s+m\s*'?\s*appeler|appelle[sz]?[\s-]*moi)\s+{_V}", "profile.name", "fr", 0.9,
       **_WEAK_NAME),
    _r(rf"(?:(?:{_I}|we\s+){_ADV}{_NEG}(?:live|reside)|{_IM}(?:(?P<neg2>not|no\s+longer)\s+)?(?:living|based|located"
       rf"|settled))\s+(?:in|at|near|outside(?:\s+of)?|around)\s+{_V}", "profile.location", "en", 0.9,
       **_PLACE),
    _r(rf"(?:i\s*'?\s*ve|i\s+have)\s+(?:been\s+living|lived)\s+in\s+{_V}", "profile.location", "en", 0.85,
       **_PLACE),
    _r(rf"(?:{_I}(?:just\s+|recently\s+)?|i\s*'?\s*ve\s+(?:just\s+)?)(?:moved|relocated)\s+(?:to|in)\s+{_V}",
       "profile.location", "en", 0.8, **_PLACE),
    _r(rf"(?:{_JE}{_NE}(?:habite|vis|reside)|on\s+(?:habite|vit)|nous\s+(?:habitons|vivons))(?:\s+(?P<neg>pas|plus|jamais))?(?:\s+(?:actuellement|maintenant"
       rf"|desormais))?\s+(?:(?:a|au|aux|en|dans|sur|pres\s+de|vers)\s+)?{_V}", "profile.location", "fr", 0.9,
       **_PLACE),
    _r(rf"{_JE}(?:suis|me\s+suis)\s+(?:base|installe|domicilie)e?s?\s+(?:a|au|aux|en|dans|sur)\s+{_V}",
       "profile.location", "fr", 0.9, **_PLACE),
    _r(rf"{_JE}(?:viens\s+d'\s*|ai\s+)(?:demenage|emmenage)\s+(?:a|au|aux|en|dans|sur)\s+{_V}",
       "profile.location", "fr", 0.8, **_PLACE),
    _r(rf"{_IM}(?:originally\s+)?from\s+{_V}", "profile.origin", "en", 0.85, **_PLACE),
    _r(rf"{_JE}(?:viens|suis\s+originaire)\s+(?:de\s+la\s+|de\s+l'\s*|du\s+|des\s+|de\s+|d'\s*){_V}",
       "profile.origin", "fr", 0.85, check=_not_infinitive, **_PLACE),
    _r(rf"(?:{_I}{_ADV}{_NEG}(?:work|am\s+working)|{_IM}{_ADV}working)\s+as\s+(?:an?\s+)?{_V}", "profile.occupation",
       "en", 0.9,
       cut=_CUT_OCCUPATION),
    _r(rf"{_IM}(?:(?P<neg>not|no\s+longer)\s+)?(?:(?:currently|now|still)\s+)?(?:an?\s+)?{_V}",
       "profile.occupation", "en", 0.85, **_JOB),
    _r(rf"{_JE}{_NE}(?:travaille|bosse)(?:\s+(?P<neg>pas|plus))?(?:\s+(?:maintenant|desormais|actuellement))?\s+(?:comme"
       rf"|en\s+tant\s+que)\s+(?:une?\s+)?{_V}",
       "profile.occupation", "fr", 0.9, cut=_CUT_OCCUPATION),
    _r(rf"{_JE}{_NE}suis(?:\s+(?P<neg>pas|plus))?(?:\s+(?:actuellement|maintenant|encore))?\s+(?:une?\s+)?{_V}",
       "profile.occupation", "fr", 0.85, **_JOB),
    _r(rf"{_I}{_ADV}{_NEG}(?:work|am\s+working)\s+(?:at|for)\s+{_V}", "profile.employer", "en", 0.9),
    _r(rf"{_IM}(?:an?\s+)?(?P<occ>[a-z][a-z\s-]{{1,40}}?)\s+(?:at|for)\s+{_V}", "profile.employer", "en",
       0.85),
    _r(rf"{_JE}{_NE}(?:travaille|bosse)(?:\s+(?P<neg>pas|plus))?\s+(?:chez|pour)\s+{_V}", "profile.employer",
       "fr", 0.9),
    _r(rf"{_JE}suis\s+(?:une?\s+)?(?P<occ>[a-z][a-z\s-]{{1,40}}?)\s+chez\s+{_V}", "profile.employer", "fr",
       0.85),
    _r(rf"{_IM}{_AGE}\s*(?:years?\s*old|yrs?(?:\s*old)?|y\.?o\b)", "profile.age", "en", 0.95),
    _r(rf"{_IM}{_AGE}(?=\s*(?:,|$))", "profile.age", "en", 0.7),
    _r(rf"{_JE}ai\s+{_AGE}\s*ans\b(?!\s*(?:d'|de\b))", "profile.age", "fr", 0.95),
    _r(rf"{_I}{_ADV}{_NEG}(?:can\s+)?speak\s+{_V}", "profile.language", "en", 0.9, **_SPOKEN),
    _r(rf"(?:{_IM}(?:fluent|bilingual)\s+in|my\s+(?:native\s+language|mother\s+tongue|first\s+language)\s+is)"
       rf"\s+{_V}", "profile.language", "en", 0.9, **_SPOKEN),
    _r(rf"(?:{_JE}{_NE}parle(?:\s+(?P<neg>pas|plus))?|ma\s+langue\s+maternelle\s+(?:est|c'\s*est))\s+{_V}",
       "profile.language", "fr", 0.9, **_SPOKEN),
    _r(rf"{_IM}(?:(?P<neg>not)\s+)?(?P<v>{_DEMONYMS})$", "profile.nationality", "en", 0.85, lead=None),
    _r(rf"{_JE}{_NE}suis(?:\s+(?P<neg>pas))?\s+(?P<v>{_DEMONYMS})$", "profile.nationality", "fr", 0.85,
       lead=None),
)
_PREFERENCE_RULES = (
    _r(rf"{_I}{_ADV}{_NEG}(?:(?:like|love|enjoy|adore|dig|fancy)|(?P<bad>hate|dislike|detest|loathe|despise"
       rf"|can'?t\s+stand|cannot\s+stand|can'?t\s+bear))\s+{_V}", "preference", "en", 0.85, split=True),
    _r(rf"{_I}{_ADV}{_NEG}prefer\s+{_V}", "preference", "en", 0.85, split=True, cut=_CUT_PREFER),
    _r(rf"{_IM}(?:(?P<neg>not|no\s+longer)\s+)?(?:(?:really|so|totally|very|a|an|big|huge|great|kinda|sorta|kind\s+of"
       rf"|sort\s+of|pretty|quite|getting|now|still|also|increasingly|more\s+and\s+more)\s+)*(?:into"
       rf"|fan\s+of|crazy\s+about|obsessed\s+with|passionate\s+about|keen\s+on|fond\s+of)\s+{_V}",
       "preference", "en", 0.8, split=True),
    _r(rf"my\s+(?:(?:absolute|all[\s-]time|very|current)\s+)?(?:favou?rite|fave?|go-?\s*to)\s+(?P<topic>[a-z][a-z\s-]{{0,30}}?)"
       rf"\s*(?:is|are|'s|=|:)\s+{_V}", "preference", "en", 0.9),
    _r(rf"{_JE}{_NE}(?:(?:aime|adore|apprecie|kiffe|raffole|affectionne|supporte)|(?P<bad>deteste|hais|execre))"
       rf"{_FR_NEG}{_FR_ADV}\s+{_V}", "preference", "fr", 0.85, split=True),
    _r(rf"{_JE}{_NE}prefere{_FR_NEG}{_FR_ADV}\s+{_V}", "preference", "fr", 0.85, split=True, cut=_CUT_PREFER),
    _r(rf"{_JE}{_NE}suis(?:\s+(?P<neg>pas|plus))?(?:\s+(?:tres|super|vraiment|trop|grand|grande|un|une))*\s+"
       rf"(?:fan|fana|passionnee?|accro|dingue|fou|folle|amateur|amatrice|adepte)s?\s+(?:(?:des|du|de|aux|au"
       rf"|a|par)\s+|d'\s*){_V}", "preference", "fr", 0.8, split=True),
    _r(rf"(?:mon|ma|mes)\s+(?P<topic>[a-z][a-z\s-]{{0,30}}?)\s+(?:prefere|favori|favorite)e?s?\s*,?\s*(?:est"
       rf"|sont|c'\s*est|ce\s+sont|:)\s+{_V}", "preference", "fr", 0.9),
)
_CONSTRAINT_RULES = (
    _r(rf"{_IM}(?:(?P<neg>not|no\s+longer)\s+)?(?:(?:a|an|strictly|fully|mostly|strict)\s+)*(?P<v>{_DIETS}"
       rf"|gluten[\s-]free|halal|kosher)\b", "constraint.diet", "en", 0.95),
    _r(rf"{_I}{_ADV}(?:eat|keep|follow\s+an?)\s+(?P<v>halal|kosher|vegan|vegetarian|plant[\s-]based"
       rf"|gluten[\s-]free|keto)\b", "constraint.diet", "en", 0.9),
    _r(rf"{_IM}on\s+an?\s+(?P<v>[a-z0-9][a-z0-9\s,.-]{{1,25}}?)\s+diet\b", "constraint.diet", "en", 0.85),
    _r(rf"{_I}{_ADV}(?:(?P<neg>don'?t|do\s+not|never|can'?t|cannot|can\s+not)\s+{_ADV}(?:eat|drink"
       rf"|consume|touch)|(?P<bad>avoid))\s+(?!.*\bany\s*more\b){_V}", "constraint.diet", "en", 0.85,
       split=True),
    _r(rf"{_JE}{_NE}suis(?:\s+(?P<neg>pas|plus))?(?:\s+(?:strictement|completement|totalement))?\s+(?P<v>"
       rf"{_DIETS})\b", "constraint.diet", "fr", 0.95),
    _r(rf"{_JE}{_NE}mange(?:\s+(?P<neg>pas|plus))?\s+(?:que\s+|uniquement\s+|seulement\s+)?(?P<v>halal"
       rf"|casher|kasher|sans\s+gluten|vegetarien|vegan)\b", "constraint.diet", "fr", 0.9),
    _r(rf"{_JE}{_NE}(?:(?:mange|bois|consomme|touche)\s+(?P<neg>pas|jamais|aucune?|ni)|(?P<bad>evite))"
       rf"\s+{_V}", "constraint.diet", "fr", 0.85, split=True),
    _r(rf"(?:{_IM}(?:(?P<neg>not)\s+)?(?:(?:very|severely|highly|deathly|super|mildly|slightly)\s+)*allergic"
       rf"\s+to|{_I}(?:have|'ve\s+got)\s+(?:an?\s+|severe\s+)*allerg(?:y|ies)\s+to|my\s+allerg(?:y|ies)\s+(?:is"
       rf"|are)\s*:?)\s+{_V}", "constraint.allergy", "en", 0.95, split=True),
    _r(rf"{_I}(?:have|'ve\s+got)\s+(?:an?\s+|severe\s+)*(?P<v>[a-z][a-z\s-]{{1,25}}?)\s+allerg(?:y|ies)\b",
       "constraint.allergy", "en", 0.9),
    _r(rf"(?:{_JE}{_NE}suis(?:\s+(?P<neg>pas|plus))?(?:\s+(?:tres|gravement))?\s+allergiques?|{_JE}ai\s+(?:une"
       rf"\s+|des\s+)?allergies?)\s+{_V}", "constraint.allergy", "fr", 0.95, split=True),
    _r(rf"{_IM}(?P<v>lactose|gluten)\s+intolerant", "constraint.intolerance", "en", 0.9),
    _r(rf"{_IM}intolerant\s+to\s+{_V}", "constraint.intolerance", "en", 0.9),
    _r(rf"{_JE}suis\s+intolerante?s?\s+{_V}", "constraint.intolerance", "fr", 0.9),
    _r(rf"{_I}{_ADV}(?P<neg>can'?t|cannot|can\s+not|don'?t|do\s+not|never)\s+(?:do|make|work|meet|attend)\s+{_V}",
       "constraint.schedule", "en", 0.8, **_WHEN),
    _r(rf"{_IM}(?:(?P<neg>not|never|un)\s*)?(?:(?:usually|generally|always|only)\s+)?(?:available|free"
       rf"|reachable|(?P<bad>busy))\s+{_V}", "constraint.schedule", "en", 0.8, **_WHEN),
    _r(rf"(?P<neg>no)\s+(?:meetings?|calls?|appointments?|work|emails?)\s+{_V}", "constraint.schedule", "en",
       0.85, **_WHEN),
    _r(rf"{_JE}{_NE}suis(?:\s+(?P<neg>pas|jamais|plus))?(?:\s+(?:du\s+tout|toujours|souvent))?\s+(?:(?P<neg2>"
       rf"in)?dispo(?:nible)?|libre|(?P<bad>occupee?|prise?))s?\s+{_V}", "constraint.schedule", "fr", 0.8,
       **_WHEN),
    _r(rf"{_JE}{_NE}(?:peux|travaille|bosse)\s+(?P<neg>pas|jamais|plus)\s+(?:(?:venir|travailler)\s+)?{_V}",
       "constraint.schedule", "fr", 0.8, **_WHEN),
    _r(rf"(?P<neg>pas)\s+de\s+(?:reunions?|rendez-vous|rdv|appels?|meetings?|visios?)\s+{_V}",
       "constraint.schedule", "fr", 0.85, **_WHEN),
    _r(rf"(?:my\s+(?:(?:total|max(?:imum)?|monthly|overall)\s+)?budget\s*(?:is|'s|:)|{_I}have\s+an?\s+"
       rf"(?:\w+\s+)?budget\s+of|{_I}(?:can\s+(?:only\s+)?(?:spend|afford)|can'?t\s+(?:spend|afford)\s+more"
       rf"\s+than))\s+{_V}", "constraint.budget", "en", 0.9, **_MONEY),
    _r(rf"(?:mon\s+budget\s+(?:(?:max(?:imum)?|total|mensuel)\s+)?(?:est|,?\s*c'\s*est|:)|{_JE}ai\s+un"
       rf"\s+budget(?:\s+\w+)?|{_JE}(?:peux|ne\s+peux\s+pas)\s+depenser(?:\s+plus)?)\s+{_V}",
       "constraint.budget", "fr", 0.9, **_MONEY),
)
_RULES = _PROFILE_RULES + _PREFERENCE_RULES + _CONSTRAINT_RULES
_NAME_TOKENS = r"(?P<v>[a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)(?=\s+(?:from|de|here|btw)\b|$)"
_IM_NAME_RULES = (  # weakest cue, tried only when no other rule explains the clause
    _r(rf"{_IM}{_NAME_TOKENS}", "profile.name", "en", 0.7, check=_is_im_name, lead=None),
    _r(rf"{_JE}suis\s+{_NAME_TOKENS}", "profile.name", "fr", 0.7, check=_is_im_name, lead=None),
)

# ------------------------------------------------------------------------------------- preference topics

_TOPIC_WORDS = {
    "music": "music musique jazz rock pop rap hip metal blues reggae techno electro classical classique opera"
             " country folk funk soul punk chanson song band groupe singer chanteur chanteuse album concert"
             " piano guitar guitare violin violon drums batterie",
    "food": "food nourriture cuisine dish plat meal repas pizza pasta pates sushi chocolate chocolat cheese"
            " fromage meat viande fish poisson vegetable legume fruit burger curry salad salade rice riz"
            " bread pain dessert cake gateau steak chicken poulet spicy epice ramen taco lasagne soup soupe"
            " pork porc beef boeuf",
    "drink": "drink boisson coffee cafe thé tea wine vin beer biere juice jus soda whisky cocktail champagne"
             " milk lait",
    "sport": "sport football foot soccer tennis running jogging basketball basket rugby swimming natation"
             " swim nager cycling velo ski skiing yoga climbing escalade hiking randonnee golf boxing boxe"
             " gym fitness judo surf surfing marathon hockey handball volleyball volley run courir",
    "movies": "movie film cinema horror comedy comedie thriller",
    "books": "book livre reading read lire lecture novel roman poetry poesie comics bd manga",
    "travel": "travel travelling traveling voyage voyager trip",
    "games": "game gaming jeu jeux chess echecs videogame",
    "tv": "tv serie series netflix anime television",
    "animals": "animal animaux cat chat dog chien",
    "nature": "nature mountain montagne sea mer beach plage garden gardening jardinage jardin",
    "art": "art painting peinture drawing dessin photography photographie museum musee theatre theater",
    "cooking": "cooking cook cuisiner baking patisserie",
    "tech": "tech technology technologie programming coding code informatique computer",
    "color": "color colour couleur",
}
_TOPICS = {word: topic for topic, words in _TOPIC_WORDS.items() for word in words.split()}
_WORD = re.compile(r"[^\W\d_]+")
_ARTICLES = frozenset("the a an some le la les l un une des du de d".split())


def _topic_key(words: str) -> str | None:
    """"jazz" and "le jazz" -> "preference.music"; an unknown topic falls back to its first word."""
    tokens = _WORD.findall(words.lower())
    for token in tokens:  # the raw token first: "thé" is tea, "the" is not
        folded = _fold(token)
        for form in (token, folded, folded[:-1] if folded[-1:] in "sx" else folded):
            if form in _TOPICS:
                return f"preference.{_TOPICS[form]}"
    named = [t for t in map(_fold, tokens) if t not in _ARTICLES]  # "the Beatles" -> "beatles"
    slug = re.sub(r"[^a-z0-9]", "", named[0]) if named else ""
    return f"preference.{slug}" if slug else None


def _preference_key(value: str, topic: str | None) -> str | None:
    folded = _fold(value)
    if _REPLY_NOUN.search(folded):  # "short answers"; "answers in French" is left to _reply_candidates
        return None if _IN_LANGUAGE.search(folded) else "preference.reply_style"
    return _topic_key(topic or value)


# -------------------------------------------------------------------------------------------- extraction

def _trim(folded: str, start: int, end: int, lead: re.Pattern[str] | None) -> tuple[int, int]:
    while end > start and (folded[end - 1] in " \t,.;:!?-'\"\ufe0f\u200d"
                           or unicodedata.category(folded[end - 1]) in ("So", "Sk")):  # emoji
        end -= 1
    while start < end and folded[start] in " \t\"'«(":
        start += 1
    return max(start, lead.match(folded, start, end).end()) if lead else start, end  # type: ignore[union-attr]


def _from_match(rule: _Rule, m: re.Match[str], text: str, folded: str, hedged: bool, hypo_at: int
                ) -> list[Candidate]:
    groups = m.groupdict()
    negative = any(v for k, v in groups.items() if k.startswith("neg"))
    if groups.get("bad"):
        if negative:  # "I don't hate jazz": too ambiguous to store
            return []
        negative = True
    if groups.get("occ") is not None and not _OCCUPATIONS.search(groups["occ"]):
        return []
    vs, ve = m.span("v")
    cut = rule.cut.search(folded, vs, ve)
    ve = _trim(folded, vs, cut.start() if cut else ve, None)[1]
    if ve <= vs or hypo_at < ve:  # "I live in Lyon if that helps" is fine, "if I lived in Lyon" is not
        return []
    span_end = m.end() if m.end("v") < m.end() else ve  # keep a trailing trigger: "34 years old"
    confidence = round(rule.confidence * (0.7 if hedged else 1.0), 2)
    out = []
    for ps, pe in split_at(_LIST_SPLIT, folded, vs, ve) if rule.split else [(vs, ve)]:  # "jazz, rock et le blues"
        ps, pe = _trim(folded, ps, pe, rule.lead)
        words = folded[ps:pe].split()
        quantity = ps > vs and _QUANTITY.match(words[0]) if words else False  # "café, quatre tasses par jour"
        if not words or len(words) > rule.max_words or words[0] in _BAD_FIRST or quantity:
            continue
        if rule.check and not rule.check(folded[ps:pe], text[ps:pe]):
            continue
        key = _preference_key(text[ps:pe], groups.get("topic")) if rule.key == "preference" else rule.key
        if key:
            out.append(Candidate(rule.category, key, text[ps:pe], "negative" if negative else "positive",
                                 confidence, rule.lang, text[m.start():span_end]))
    return out


def _reply_candidates(text: str, folded: str, cs: int, body: int, ce: int, hypo_at: int, lang: str
                      ) -> list[Candidate]:
    """Reply language/style, kept only when stated as lasting ("always", "désormais", "I prefer ...")."""
    if _ONE_OFF.search(folded, cs, ce) or _NOT_ADDRESSED.match(folded, body, ce):
        return []
    lasting = _LASTING.search(folded, cs, ce) is not None
    prefers = _PREFER_VERB.search(folded, cs, ce) is not None
    out = []
    m = _REPLY_LANGUAGE.search(folded, body, ce)
    if m and m.end() <= hypo_at and (prefers or (lasting and not m.group("noun"))):
        negative = not prefers and _NEGATION.search(folded, cs, m.start("v")) is not None
        out.append(Candidate("preference", "preference.reply_language", text[m.start("v"):m.end("v")],
                             "negative" if negative else "positive", 0.9, lang, text[cs:m.end()]))
    m = _REPLY_STYLE.search(folded, body, ce)
    if m and m.end() <= hypo_at and lasting:
        out.append(Candidate("preference", "preference.reply_style", text[m.start("v"):m.end("v")],
                             "positive", 0.85, lang, text[cs:m.end()]))
    return out


def _skip_fillers(folded: str, start: int, end: int) -> tuple[int, bool]:
    """Skip "well", "btw", "moi", "je pense que"...; report whether a hedge should lower confidence."""
    hedged = False
    while (m := _FILLER.match(folded, start, end)) and m.end() > start:
        hedged = hedged or m.group("hedge") is not None
        start = m.end()
    return start, hedged


_HEAD_BE = re.compile(r"(?:i\s*'?\s*m|i\s+am|im|je\s+suis|jsuis|j'\s*suis)\s+(?:[^\s,;]+\s+){0,3}?[^\s,;]+"
                      r"(?=\s*(?:,|;|\band\b|\bet\b|$))")
_HEAD_I = re.compile(r"(?:i|je|j')\s*(?=[a-z])")
_LIST_SEP = re.compile(r"(?<!\s)\s*+[,;]\s*+(?:(?:and|et|plus)\s+)?|\s++(?:and|et)\s+")
_BARE_VERB = re.compile(r"(?:live|work|speak|have|own|love|like|hate|enjoy|prefer|play|run|eat|drink|teach|study|habite"
                        r"|vis|travaille|bosse|parle|adore|aime|deteste|mange|bois|joue|cours|enseigne|etudie|ai)\b")
_SUBJECT_START = re.compile(r"(?:i|i'm|im|je|j|my|mon|ma|mes|on|we|nous|il|elle|he|she|they|ils|elles)\b|j'")


def _elided_candidates(text: str, folded: str, body: int, ce: int) -> list[Candidate]:
    """"I'm 45, divorced, and ...", "I live in Leeds, work as a nurse": list items that share the clause's subject
    are read with it ("I'm divorced", "I work as a nurse"); values stay exact substrings of the message."""
    english = folded.startswith("i", body)
    if _HEAD_BE.match(folded, body, ce):
        be = "I'm " if english else "je suis "
    elif _HEAD_I.match(folded, body, ce):
        be = None
    else:
        return []
    out = []
    seps = list(_LIST_SEP.finditer(folded, body, ce))
    for n, sep in enumerate(seps):
        ss, se = sep.end(), seps[n + 1].start() if n + 1 < len(seps) else ce
        if ss >= se or _SUBJECT_START.match(folded, ss, se) or _QUESTION_START.match(folded, ss, se):
            break  # a new subject: what follows is no longer about the user's first statement
        if _BARE_VERB.match(folded, ss, se):
            prefix = "I " if english else "je "
        elif be and len(folded[ss:se].split()) <= 4 and "'s" not in folded[ss:se]:
            prefix = be
        else:
            continue
        piece = text[ss:se]
        for cand in _clause_candidates(prefix + piece, prefix.lower() + folded[ss:se], 0, len(prefix) + se - ss,
                                       False, names=False):
            if cand.value in piece:
                out.append(replace(cand, span=piece.strip(), confidence=round(cand.confidence * 0.9, 2)))
    return out


def _clause_candidates(text: str, folded: str, cs: int, ce: int, question: bool, names: bool = True
                       ) -> list[Candidate]:
    while ce > cs and folded[ce - 1] in " \t,;:-":
        ce -= 1
    while cs < ce and folded[cs].isspace():
        cs += 1
    body, hedged = _skip_fillers(folded, cs, ce)
    hypo = _HYPOTHETICAL.search(folded, cs, ce)
    hypo_at = hypo.start() if hypo else len(folded)
    language = detect_language(text[cs:ce])
    out = _reply_candidates(text, folded, cs, body, ce, hypo_at, language)
    if question:
        return out
    for rule in _RULES:
        if m := rule.pattern.match(folded, body, ce):
            out += _from_match(rule, m, text, folded, hedged, hypo_at)
    if hypo is None:
        extra = _situation_candidates(text, folded, cs, body, ce, language, 0.7 if hedged else 1.0)
        if any(c.key.startswith("fact.temporary") for c in extra):  # never replaces the lasting city
            out = [c for c in out if c.key != "profile.location"]
        out += extra
    for rule in () if out or not names else _IM_NAME_RULES:
        if m := rule.pattern.match(folded, body, ce):
            out += _from_match(rule, m, text, folded, hedged, hypo_at)
    return out


def _situation_candidates(text: str, folded: str, cs: int, body: int, ce: int, language: str, factor: float
                          ) -> list[Candidate]:
    """Temporary states, business context, plans and situation facts (the search rules)."""
    out = []
    temporary = situation.temporary_state(text, folded, body, ce, language)
    if temporary:  # "cette semaine je suis à Porto" is a state that expires, not a plan
        out.append(temporary)
    for module in (business, limits, style, pastimes, manners):
        out += module.candidates(text, folded, body, ce, language, factor)
    if not temporary:
        out += plans.candidates(text, folded, cs, body, ce, language, factor)
    out += situation.candidates(text, folded, body, ce, language, factor)
    return out


def _sentence_candidates(text: str, folded: str, start: int, end: int, language: str) -> list[Candidate]:
    """Sentence-level shapes: intros, moves, corrected names, and tastes ("X is my thing") keyed by topic."""
    while start < end and folded[start] in " \t,;:-":
        start += 1
    out = (intros.introduction(text, folded, start, end, language, _OCCUPATIONS)
           + intros.job(text, folded, start, end, language, _OCCUPATIONS)
           + intros.moves(text, folded, start, end, language)
           + intros.corrected_name(text, folded, start, end, language))
    for cand in tastes.candidates(text, folded, start, end, language):
        words = _fold(cand.value).split()
        if words and words[0] not in _BAD_FIRST and (key := _preference_key(cand.value, None)):
            out.append(replace(cand, key=key))
    return out


_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"|(?<!\w)'[^']*'(?!\w)")
_QUOTE_CUE = re.compile(r"\b(?:translate|traduis|traduire|traduction|translation|how\s+do\s+you\s+say"
                        r"|comment\s+(?:on\s+)?dit|means?|veut\s+dire|signifie|said|says|dit|wrote|ecrit|quote|citation|sentence|phrase)\b|^\s*\w+\s*:")


def _mask_quotes(folded: str) -> str:
    """A quoted sentence to translate or repeat is not the user's own statement: blank it (same length)."""
    if not _QUOTE_CUE.search(folded):
        return folded
    return _QUOTED.sub(lambda m: " " * len(m.group(0)), folded)


def _refused(folded: str) -> bool:
    return _INJECTION.search(folded) is not None or _SARCASM.search(folded) is not None


def refuses(text: str) -> bool:
    """An injection attempt or sarcasm: not a source of memories about the user, for any extractor."""
    return _refused(_fold(text[:_MAX_CHARS]))


def extract(text: str, context: list[dict] | None = None) -> list[Candidate]:
    """Memories stated by the user in `text` (context = earlier {role, content} turns, may be ignored now)."""
    if not text or not text.strip():
        return []
    text = text[:_MAX_CHARS]
    folded = _fold(text)
    if _refused(folded):
        return []
    folded = _mask_quotes(folded)
    language = detect_language(text)
    if retracted := forget.retraction(text, folded, language, extract):
        return [retracted]
    found: dict[tuple[str, str, str], Candidate] = {}
    for sentence in _SENTENCE.finditer(folded):
        ss, se = sentence.start(), sentence.start("end")
        first, _ = _skip_fillers(folded, ss, se)
        if _HYPOTHETICAL.match(folded, first, se):  # "If I were rich, I'd live in Paris"
            continue
        question = "?" in sentence.group("end") or _QUESTION_START.match(folded, first, se) is not None
        if question and not _REQUEST.match(folded, first, se):
            continue  # only requests ("could you always answer in French?") survive a question
        if not question and not _HYPOTHETICAL.search(folded, ss, se) and not _REPORTED.search(folded, ss, se):
            for cand in _sentence_candidates(text, folded, first, se, language):
                found.setdefault((cand.key, cand.value.casefold(), cand.polarity), cand)
        for cs, ce in split_at(_CLAUSE_BREAK, folded, ss, se):  # "I live in Lyon | et j'aime le jazz"
            if _REPORTED.search(folded, ss, cs):  # "he told me: I'm vegan" is not the user's own statement
                break
            extra = [] if question else _elided_candidates(text, folded, _skip_fillers(folded, cs, ce)[0], ce)
            for cand in _clause_candidates(text, folded, cs, ce, question) + extra:
                slot = (cand.key, cand.value.casefold(), cand.polarity)
                if slot not in found or found[slot].confidence < cand.confidence:
                    found[slot] = cand
    return _with_context(text, folded, list(found.values()), context, language)


def _with_context(text: str, folded: str, found: list[Candidate], context: list[dict] | None, language: str
                  ) -> list[Candidate]:
    """Identifiers only on explicit request; a short reply read in the light of the question it answers."""
    if sensitive.mentions_identifier(folded):
        spans = sensitive.identifiers(folded)
        found = [c for c in found if not any(text.find(c.value) < e and s < text.find(c.value) + len(c.value)
                                             for s, e in spans)] + sensitive.requested(text, folded, language)
    return found or answers.answer(text, context, language)
