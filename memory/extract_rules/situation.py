"""The user's situation: family, health and accessibility needs, possessions, commute, what they are learning,
and temporary states ("this week I'm in Lisbon") that must expire instead of replacing the lasting city.
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import COMMA_CUT, apply_all, find
from memory.extract_rules.scope import Scope

_BE = r"(?:i\s*'?\s*m|i\s+am|im|je\s+suis|jsuis|j'\s*suis)\s+(?:(?:also|aussi|completely|totally|partially|legally"
_BE += r"|severely|a\s+bit|un\s+peu|tres|very|really|vraiment|atteinte?\s+d[e']|born)\s+)*"
_HAVE = (r"(?:i\s+(?:have|suffer\s+from)|i'?ve\s+got|j'\s*ai|jai|je\s+souffre\s+d[e'])\s+(?:(?:an?|une?|des|du"
         r"|de\s+la)\s+|de\s+l'\s*)?")
_CONDITION = (r"(?:daltonien(?:ne)?|colou?r[\s-]?blind|deaf|sourde?|malentendante?|hard\s+of\s+hearing|blind|aveugle"
              r"|malvoyante?|visually\s+impaired|partially\s+sighted|dyslexi\w*|dyspraxi\w*|(?:type\s+[12i]+\s+)?diabeti\w*|diabete"
              r"|epilep\w*|asthm\w*|coeliaque|c[oe]liac|adhd|tdah|autis\w*|in\s+a\s+wheelchair|en\s+fauteuil(?:\s+roulant)?"
              r"|pregnant|enceinte|migraines?|insomni\w*|arthrit\w*|arthrose|hernie\s+discale|tinnitus|acouphenes"
              r"|chronic\s+\w+|bad\s+back|mal\s+au\s+dos|handicap\w*|disabled|immunodeprime\w*|hypertension)")
_POSSESSION = (r"(?:car|voiture|bagnole|bike|velo|motorbike|motorcycle|moto|scooter|dogs?|chiens?|chiennes?"
               r"|cats?|chats?"
               r"|chattes?|horses?|chevaux|cheval|house|maison|apartment|flat|appart(?:ement)?|garden|jardin|permis"
               r"|driving\s+licen[cs]e|side[\s-]project|projet\s+perso|boat|bateau|camping-car|van|piano|guitar"
               r"|guitare|rabbits?|lapins?|parrots?|perroquets?|hamsters?|fish|poissons?|printer|imprimante|tv|tele"
               r"|television|smartphone|iphone|android|laptop|pc|mac|macbook|balcon|balcony|terrasse|garage|pool|piscine)")
_KIN = (r"(?:kids?|children|child|sons?|daughters?|enfants?|fils|filles?|grandchildren|petits-enfants|boys"
        r"|girls|garcons|ados)")
_MARITAL = (r"(?:married|single|divorced|widowed|engaged|separated|mariee|marie(?=\s+(?:avec|depuis|et|a)\b)"
            r"|celibataire|divorcee?|veuve|veuf|fiancee?"
            r"|pacsee?|separee?|en\s+couple)")
_STATE_AT = (r"(?:i\s*'?\s*m|i\s+am|im)\s+(?:currently\s+|temporarily\s+|staying\s+|living\s+|based\s+"
             r"|working\s+(?:remotely\s+)?|stuck\s+)?"
             r"(?:in|at|from)|i'?m\s+(?:staying|working\s+remotely|remote)\s+(?:in|at|from)|je\s+suis\s+(?:actuellement\s+"
             r"|en\s+deplacement\s+|coince\w*\s+|bloque\w*\s+)?(?:a|au|aux|en|chez|sur)|jsuis\s+(?:a|au|en|chez)"
             r"|je\s+(?:loge|dors|reste|teletravaille|bosse|travaille|suis\s+en\s+teletravail)\s+(?:depuis|a|au|en|chez|de)"
             r"|i\s+(?:live|work|stay)\s+(?:in|at|from)|je\s+(?:vis|habite)\s+(?:a|au|en)")
_TEMPORARY = re.compile(  # a bounded period: the state expires
    r"\b(?:this|ce|cette|for\s+(?:the\s+)?(?:next\s+)?\w+|pendant\s+(?:\w+\s+)?|pour\s+(?:\w+\s+)?|until|till"
    r"|jusqu'\s*(?:a|au|en|a\s+la)|d'\s*ici)\s*(?:week-?end|weekend|week|month|semaine|mois(?:-ci)?|days?|jours"
    r"|weeks|semaines|months|\w+day|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|fin\s+\w+)\b"
    r"|\b(?:ce\s+mois-ci|cette\s+semaine|this\s+week|for\s+now|pour\s+l'\s*instant|temporarily|temporairement"
    r"|en\s+ce\s+moment|right\s+now|au\s+moins\s+jusqu|for\s+a\s+few\s+(?:days|weeks))\b"
)

_FINDERS = (
    find(rf"\b(?:{_BE}|{_HAVE})(?P<v>{_CONDITION}\b.*)", "constraint.health", 0.85, cut=COMMA_CUT, max_words=8),
    find(r"\b(?:i\s+(?:can'?t|cannot|can\s+not|am\s+not\s+(?:able|allowed)\s+to|shouldn'?t|must\s+not)|je\s+(?:ne\s+)?"
         r"(?:peux|dois|supporte)\s+(?:pas|plus)|j'\s*(?:peux|dois)\s+(?:pas|plus))\s+(?P<v>(?:lift|carry|walk|drive"
         r"|climb|stand(?=\s+(?:for|up|long|still|more|in))|sit|fly|see|hear|kneel|bend|porter|soulever|marcher|conduire|monter|courir|prendre\s+l'\s*avion"
         r"|rester\s+(?:debout|assise?)|voir|entendre"
         r"|m'\s*agenouiller)\b.*)", "constraint.ability", 0.85, max_words=10),
    find(rf"\b(?:{_BE})(?P<v>{_MARITAL})\b", "profile.family", 0.85),
    find(rf"\b(?:i\s+have|i'?ve\s+got|j'\s*ai|jai|we\s+have|on\s+a|nous\s+avons|(?:my|mes|ma|mon)\s+)\s*(?P<v>(?:an?|one|two"
         rf"|three|four|five|\d|un|une|deux|trois|quatre"
         rf"|cinq)\s+(?:[\w-]+\s+){{0,2}}?{_KIN}\b)", "profile.family", 0.8),
    find(rf"\b(?:pas\s+d'|no\s+|(?:i\s+)?(?:don'?t|do\s+not)\s+have\s+(?:any\s+)?|je\s+n'\s*ai\s+pas\s+d'|j'\s*ai\s+pas\s+d'"
         rf"|jai\s+pas\s+d'|aucun\s+)(?P<v>{_KIN})\b", "profile.family", 0.8, polarity="negative"),
    find(rf"\b(?:i\s+(?:don'?t|do\s+not)\s+(?:have|own)\s+(?:an?\s+|any\s+)?|i\s+have\s+no\s+|je\s+n'\s*ai\s+(?:pas|plus)"
         rf"\s+(?:de\s+|d')|j'\s*ai\s+(?:pas|plus)\s+(?:de\s+|d')|jai\s+(?:pas|plus)\s+(?:de\s+|d'))(?P<v>{_POSSESSION})\b",
         "fact.possession", 0.8, polarity="negative"),
    find(rf"\b(?:i\s+(?:have|own)|i'?ve\s+got|j'\s*ai|jai|je\s+possede|on\s+a|nous\s+avons|we\s+(?:have|own)"
         rf"|we'?ve\s+got)\s+(?P<v>(?:an?|one|two|three|un|une|deux|trois|\d+)"
         rf"\s+(?:[\w-]+\s+)?{_POSSESSION}\b)", "fact.possession", 0.75),
    find(r"\b(?:je\s+fais\s+tout|je\s+me\s+deplace|je\s+vais\s+au\s+(?:boulot|travail|bureau)|i\s+(?:get\s+around|commute"
         r"|go\s+everywhere|go\s+to\s+work|get\s+to\s+work))\s+(?P<v>(?:en|a|by|on|with"
         r"|avec)\s+.+)", "fact.commute", 0.8),
    find(r"\b(?:je\s+me\s+tape|je\s+fais|i\s+(?:do|have)|j'\s*ai)\s+(?P<v>\d+\s*(?:h|hours?|heures?|min\w*)\s*\d*\s+(?:de|of)"
         r"\s+(?:train|transports?|route|voiture|trajet|metro|bus|commute|commuting"
         r"|driving)\b.*)", "fact.commute", 0.8),
    find(r"\bmy\s+commute\s+is\s+(?P<v>.+)|\bmon\s+trajet\s+(?:est|c'\s*est|fait"
         r"|dure)\s+(?P<v2>.+)", "fact.commute", 0.8),
    find(r"\b(?:i\s*'?\s*m|i\s+am|im)\s+(?:currently\s+|also\s+)?(?:learning|studying|taking\s+(?:\w+\s+)?(?:lessons|classes"
         r"|courses)\s+(?:in|of))\s+(?P<v>.+)|\b(?:j'\s*apprends|japprends|j'\s*etudie|je\s+prends\s+des\s+cours\s+d[e']"
         r"|je\s+me\s+suis\s+mise?\s+(?:a|au)|i\s+(?:started|began)\s+learning)\s*(?P<v2>.+)", "fact.learning", 0.75),
)
_NOT_OWNED = re.compile(r"^(?:an?|one|un|une)\s+(?:(?:quick|small|petite?|little|short|big|gros|grosse|last|dernier"
                        r"|derniere|other|autre|new|nouvelle?|simple|vague)\s+)*(?:question|idea|idee|meeting|reunion"
                        r"|problem|probleme|issue|souci|doubt|doute|favou?r|moment|minute|second|call|appel|appointment"
                        r"|rdv|rendez-vous|truc|chose|thing|request|demande|remarque|comment|suggestion|bug|error|erreur"
                        r"|quick|petit|feeling|impression|avis|opinion|draft|brouillon|email|mail|message|deadline|choice"
                        r"|choix|exam|examen|test|presentation|rapport|report|project|projet|task|tache|job|interview"
                        r"|entretien)\b")
_KIN_OR_AGE = re.compile(rf"\b{_KIN}\b|^\d+\s*(?:ans|years?)\b")  # "two kids", "34 ans": not possessions
_NOT_A_FIELD = re.compile(r"(?:an?|une?|the\s+same|my|mon|ma)\b")  # "I work in a bank" is a workplace, not a field
_MORE = (
    find(r"\b(?:i\s+(?:have|own|drive|rent|ride)|i'?ve\s+got|j'\s*ai|jai|je\s+(?:possede|conduis|loue))\s+(?P<v>(?:an?"
         r"|one|two|three|un|une|deux|trois|\d+)[\s-]+[^,.;!?]+)", "fact.possession", 0.65, max_words=7,
         check=lambda v: _NOT_OWNED.match(v) is None and _KIN_OR_AGE.search(v) is None),
    find(r"\b(?:i\s+(?:work|am\s+working)|je\s+(?:travaille|bosse)|je\s+suis|jsuis|i'?m)\s+(?:\w+\s+)?(?P<v>(?:from\s+home"
         r"|remote(?:ly)?|en\s+remote|a\s+distance|de\s+(?:chez\s+moi|la\s+maison)|en\s+teletravail|full[\s-]remote"
         r"|(?:from|depuis|in|dans|at)\s+(?:an?\s+|un\s+)?(?:coworking|co-working)(?:\s+space)?)\b.*)",
         "fact.work_mode", 0.75, cut=COMMA_CUT),
    find(r"\b(?:i\s+(?:cycle|bike|walk|drive|ride|commute|take\s+the\s+\w+)|je\s+(?:prends|vais|me\s+rends)\s+(?:le|la|en|a)"
         r"\s+\w+)\b(?P<v>.*\b(?:to\s+work|to\s+the\s+office|au\s+(?:boulot|travail|bureau)|every\s+day|tous\s+les"
         r"\s+jours)\b.*)", "fact.commute", 0.7),
    find(r"\b(?:i\s+grew\s+up|j'\s*ai\s+grandi|i\s+was\s+born|je\s+suis\s+nee?)\s+(?:in|a|au|en|aux)\s+(?P<v>.+)",
         "profile.origin", 0.8, cut=COMMA_CUT, max_words=4),
    find(r"\b(?:i\s+work\s+in|je\s+(?:bosse|travaille)\s+dans)\s+(?P<v>(?:the\s+|la\s+|le\s+|l'\s*)?[\w-]+(?:\s+[\w-]+)?)",
         "profile.occupation", 0.7, cut=COMMA_CUT,
         check=lambda v: _NOT_A_FIELD.match(v) is None),
    find(rf"\b(?:{_BE}|i'?m\s+)(?:very\s+|tres\s+)?(?:sensitive|sensible|intolerante?)\s+(?:to|a|au|aux)\s+(?P<v>.+)",
         "constraint.health", 0.8, cut=COMMA_CUT),
)
_SPOUSE = (r"(?:wife|husband|partner|girlfriend|boyfriend|fiancee?|spouse|femme|mari|copine|copain|conjointe?|compagne"
           r"|compagnon)")
_LIFE = (
    # a spouse said alongside the user: "ma femme et moi", "my husband and I", "avec mon mari", "my wife and kids"
    find(rf"\b(?:(?:my|ma|mon)\s+(?P<v>{_SPOUSE})\s+(?:and\s+(?:i|me)|et\s+moi|and\s+(?:the\s+)?(?:kids|children)|et\s+"
         rf"(?:les|mes)\s+enfants)\b|\b(?:with|avec)\s+(?:my|ma|mon)\s+(?P<v2>{_SPOUSE})\b)", "profile.family", 0.75),
    # where and how the user lives: "I share a flat with two roommates", "je vis en colocation", "I live alone"
    find(r"\b(?:i\s+(?:share|live\s+in)|je\s+(?:partage|vis\s+(?:en|dans)|suis\s+en|habite\s+(?:en|dans)))\s+(?P<v>(?:an?|un|une"
         r"|the|my|mon|ma)?\s*(?:\w+\s+)?(?:flat|apartment|house|appart\w*|maison|colocation|coloc|studio|flatshare|houseshare"
         r"|shared\s+\w+)\b.*)", "fact.home", 0.75, cut=COMMA_CUT, max_words=8),
    find(r"\b(?:i\s+live|je\s+vis|j'\s*habite)\s+(?P<v>(?:alone|seule?|with\s+my\s+\w+|avec\s+(?:mes|mon|ma)\s+\w+"
         r"|en\s+colocation|in\s+a\s+flatshare))\b", "fact.home", 0.75),
    find(r"\b(?:my|mon|ma|notre|our)\s+(?P<v>(?:flat|apartment|house|appart\w*|maison|studio|logement)\s+(?:is|est|fait|has|a"
         r"|n'\s*a)\s+.+)", "fact.home", 0.7, cut=COMMA_CUT, max_words=8),
    # a regular activity: "I volunteer at a food bank", "I sing in a choir", "je chante dans une chorale"
    find(r"\b(?:i|we)\s+(?:(?:also|still|regularly|sometimes|often|usually)\s+)?(?:volunteer|sing|dance|coach|train|swim"
         r"|knit|sew|paint|brew|collect|foster|mentor)\s+(?P<v>(?:at|in|for|with|on)?\s*.+)", "fact.activity", 0.7,
         cut=COMMA_CUT, max_words=8),
    find(r"\b(?:je|j')\s*(?:chante|danse|peins|tricote|couds|entraine|nage|collectionne|benevole|brasse|encadre)\s+"
         r"(?P<v>.+)", "fact.activity", 0.7, cut=COMMA_CUT, max_words=8),
    find(r"\b(?:je\s+|i\s+)(?P<v>(?:cours|run|nage|swim|fais\s+du\s+sport|work\s+out)\b.*\b(?:tous\s+les"
         r"|toutes\s+les|every|each|chaque|(?:\w+\s+)?(?:fois|times)\s+(?:par|a|per)|le\s+(?:lundi|mardi|mercredi|jeudi"
         r"|vendredi|samedi|dimanche|matin|soir)|on\s+\w+days)\b.*)", "fact.activity", 0.7, cut=COMMA_CUT),
    # a project under way: "we're renovating an old farmhouse", "je retape une vieille maison"
    find(r"\b(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:(?:currently|slowly|still)\s+)?(?P<v>(?:renovating|restoring|building"
         r"|remodel+ing|fixing\s+up|doing\s+up)\s+.+)|\b(?:je|on|nous)\s+(?:(?:retape|renove|restaure|construis|construit"
         r"|retapons|renovons|construisons)\s+)(?P<v2>.+)", "fact.project", 0.7, cut=COMMA_CUT, max_words=8),
    # not driving: "I don't drive", "je n'ai pas le permis", "je ne conduis pas"
    find(r"\b(?:i\s+(?:don'?t|do\s+not|can'?t|cannot|never)\s+(?P<v>drive)\b|\bje\s+(?:ne\s+)?(?P<v2>conduis)\s+(?:pas|plus"
         r"|jamais))", "fact.driving", 0.75, polarity="negative"),
    # a second possession in a list: "on a deux chiens et un jardin immense"
    find(rf"\b(?:i\s+have|i'?ve\s+got|j'\s*ai|jai|on\s+a|we\s+have|nous\s+avons)\b[^.!?;]*?\s(?:and|et)\s+(?P<v>(?:an?|un|une"
         rf"|two|deux|three|trois|\d+)\s+(?:[\w-]+\s+)?{_POSSESSION}\b.*)", "fact.possession", 0.7, cut=COMMA_CUT,
         max_words=5),
    # a diet the user switched to: "I switched to a vegan diet", "je suis devenu végan", "je suis passée au végétarien"
    find(r"\b(?:i\s+(?:(?:just|recently)\s+)?(?:switched|went|turned|converted|moved)\s+(?:to\s+)?(?:an?\s+|fully\s+)?"
         r"|i'?ve\s+(?:gone|become|turned)\s+(?:fully\s+)?|i\s+became\s+(?:an?\s+)?|je\s+suis\s+(?:devenue?|passee?\s+(?:au|a\s+l'"
         r"|a\s+une?\s+(?:alimentation|regime)|en))\s*)(?P<v>(?:vegan|vegetarian|pescatarian|keto|gluten[\s-]free|plant[\s-]based"
         r"|halal|kosher|vegan[e]?|vegetarien\w*|vegetalien\w*|pescetarien\w*|flexitarien\w*|sans\s+gluten|vege)\b)",
         "constraint.diet", 0.85),
    # a deadline that moved: "we moved the launch to October 3rd", "la deadline est repoussée au 12 mai"
    find(r"\b(?:(?:we|i|they|on|ils)\s+(?:have\s+)?(?:moved|pushed|postponed|brought\s+forward|delayed|a\s+repousse"
         r"|a\s+decale|a\s+avance)\s+(?:back\s+)?(?:the|my|our|le|la|ma|mon|notre)\s+\w+(?:\s+\w+)?\s+(?:back\s+)?"
         r"|(?:the|my|our|la|ma|notre|le|mon)\s+(?:deadline|due\s+date|launch|lancement|rendu|livraison|date\s+limite"
         r"|echeance|presentation|soutenance)\s+(?:is\s+now|has\s+(?:been\s+)?moved|moved|was\s+moved|got\s+moved"
         r"|(?:a\s+ete\s+|est\s+)(?:repoussee?|decalee?|avancee?|deplacee?)|is\s+(?:pushed|postponed|moved))\s+)"
         r"(?:to|until|au|a|a\s+la|en|pour)\s+(?P<v>.+)", "constraint.deadline", 0.8, cut=COMMA_CUT, max_words=6),
)
_STATE = re.compile(rf"(?:^|\b)(?:{_STATE_AT})\s+(?P<v>.+)")
_TIME_IN_VALUE = re.compile(r"\s+(?:this|for|until|till|ce|cette|pour|pendant|jusqu|d'\s*ici|en\s+ce|right|depuis"
                            r"|next|la\s+semaine|le\s+mois)\b")


_GATE = re.compile(
    r"\b(?:i'?m|i\s+am|im|je\s+suis|jsuis|j'\s*suis|i\s+have|i'?ve|j'\s*ai|jai|je\s+(?:n'|ne|possede|conduis|loue|fais"
    r"|me\s|vais|prends|souffre|bosse|travaille|peux|dois|supporte|rends|circule)|i\s+(?:can|cannot|can'?t|don'?t|do|own"
    r"|drive|rent|ride|get|commute|go|cycle|bike|walk|take|work|grew|was|started|began|suffer|shouldn'?t|must)|pas\s+d"
    r"|no|aucun|my|mon|on\s+a|nous\s+avons|we|j'\s*apprends|japprends|j'\s*etudie|j'\s*(?:peux|dois))\b"
)
_LIFE_GATE = re.compile(
    r"\b(?:my|ma|mon|notre|our|with|avec|share|partage|live|vis|habite|j'\s*habite|volunteer|sing|dance|coach|train|swim"
    r"|knit|sew|paint|brew|collect|foster|mentor|chante|danse|peins|tricote|couds|entraine|nage|collectionne|benevole"
    r"|brasse|encadre|cours|run|sport|work\s+out|renovating|restoring|building|remodel+ing|fixing|doing|retape|renove"
    r"|restaure|construis|construit|retapons|renovons|construisons|and|et|drive|conduis|switched|went|turned|converted"
    r"|moved|gone|become|became|devenue?|passee?|pushed|postponed|delayed|brought|repousse|decale|avance|deadline|launch"
    r"|lancement|rendu|livraison|limite|echeance|presentation|soutenance)\b"
)


def candidates(scope: Scope) -> list[Candidate]:
    """Situation facts in a factual clause (from its body)."""
    if not scope.factual:
        return []
    text, folded, start, end = scope.text, scope.folded, scope.body, scope.end
    language, factor = scope.language, scope.factor
    gated = _GATE.search(folded, start, end) is not None  # shared by _FINDERS and _MORE
    found = ((apply_all(_FINDERS, text, folded, start, end, language, factor) if gated else [])
             + apply_all(_LIFE, text, folded, start, end, language, factor, _LIFE_GATE))
    more = apply_all(_MORE, text, folded, start, end, language, factor) if gated else []
    return found + [c for c in more if not any(c.value in f.value or f.value in c.value for f in found)]


def temporary(scope: Scope) -> list[Candidate]:
    """"Cette semaine je suis à Lisbonne", "I'm in New York for two weeks": a place that expires (factual clause)."""
    if not scope.factual:
        return []
    text, folded, start, end = scope.text, scope.folded, scope.body, scope.end
    period = _TEMPORARY.search(folded, start, end)
    if not period:
        return []
    m = _STATE.search(folded, start, end)
    if not m:
        return []
    vs, ve = m.span("v")
    cut = _TIME_IN_VALUE.search(folded, vs, ve)
    value_end = cut.start() if cut else ve
    comma = folded.find(",", vs, value_end)
    value_end = comma if comma >= 0 else value_end
    while value_end > vs and folded[value_end - 1] in " .!?;:":
        value_end -= 1
    if value_end <= vs or len(folded[vs:value_end].split()) > 5:
        return []
    duration = text[period.start():period.end()]
    named = any(word[:1].isupper() for word in text[vs:value_end].split())  # "en mode nomade à Bali"
    key = "fact.temporary_location" if named or "remote" in folded[m.start():vs] else "fact.temporary_state"
    return [Candidate("fact", key, text[vs:value_end], "positive", 0.8, scope.language, text[m.start():value_end],
                      duration=duration)]
