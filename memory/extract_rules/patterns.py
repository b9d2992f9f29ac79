"""Regex fragments shared by the statement rules (all matched on the folded message, see `folding`).

Why one module: the subject and negation shapes ("i'm", "j'", "don't", "ne ... pas"), the word lists (languages,
demonyms, diets, occupations) and where a value starts and ends are the same for profile, preference and
constraint statements, and `intros` needs the same occupations: one copy keeps them in step.
"""

from __future__ import annotations

import re

VALUE = r"(?P<v>.+)"  # the value: the rest of the clause, until a cut pattern ends it
# subjects, adverbs and negations at the head of a statement
EN_I = r"i\s+"
EN_IM = r"(?:i\s*'\s*m|i\s+am|i\s+m|im)\s+"
FR_JE = r"(?:je\s+|j'\s*|j\s+|j(?=[aehiouys]))"  # je, j', "j aime", "jaime"
FR_NE = r"(?:ne\s+|n'\s*|n\s+)?"
EN_ADV = (r"(?:(?:really|realy|rly|also|still|truly|absolutely|totally|just|do|kinda|sorta|kind\s+of|sort\s+of"
          r"|definitely|generally|usually|mostly|honestly|particularly|quite|actually|strictly|only|much|pretty\s+much"
          r"|genuinely|secretly|low[\s-]?key|now|also\s+really|reaaally|obviously|totally)\s+)*")
EN_NEG = rf"(?:(?P<neg>don'?t|do\s+not|no\s+longer|never|can'?t|cannot|can\s+not|didn'?t)\s+{EN_ADV})?"
FR_NEG = r"(?:\s+(?P<neg>pas|plus|jamais|point|guere))?"
FR_ADV = (r"(?:\s+(?:trop|beaucoup|vraiment|bien|tellement|enormement|du\s+tout|particulierement"
          r"|surtout|aussi|non\s+plus|toujours|encore|grave|a\s+fond))*")
# word lists
LANGS = (r"(?:english|french|spanish|german|italian|portuguese|dutch|russian|chinese|mandarin|cantonese"
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
DEMONYMS = (r"(?:french|british|english|american|canadian|german|spanish|italian|portuguese|dutch"
            r"|belgian|swiss|russian|chinese|japanese|korean|indian|brazilian|mexican|irish|scottish"
            r"|australian|moroccan|algerian|tunisian|senegalese|polish|greek|turkish|swedish|lebanese"
            r"|(?:francais|anglais|ecossais|irlandais|portugais|japonais|chinois|senegalais|polonais|libanais"
            r"|americain|allemand|espagnol|marocain|mexicain|suedois)e?"
            r"|(?:canadien|italien|bresilien|indien|australien|algerien|tunisien|coreen|norvegien)(?:ne)?"
            r"|belge|suisse|russe|britannique|grecque|grec|turque|turc)s?")
DIETS = (r"(?:lacto-?\s*|ovo-?\s*)*(?:vegetarian|vegan|pescatarian|pescetarian|flexitarian|plant[\s-]based"
         r"|(?:vegetarien|vegetalien|pescetarien|pescatarien|flexitarien)(?:ne)?|vegane?|veggie|vege)s?")
OCCUPATIONS = re.compile(  # the final (?:ne|e)?s? also covers French feminines: "infirmiere", "musicienne"
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
TIME = re.compile(
   r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)days?|mornings?|afternoons?|evenings?|nights?|weekends?"
   r"|weekdays?|before|after|until|lunch|lundis?|mardis?|mercredis?|jeudis?|vendredis?|samedis?|dimanches?"
   r"|matins?|matinees?|apres-midi|soirs?|soirees?|nuits?|week-?ends?|semaine|avant|apres|midi"
   r"|\d{1,2}\s*(?:am|pm|h\d*)|\d{1,2}:\d{2})\b"
)


# where a value ends (cut) and the words stripped before it (lead)
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
CUT = _cut_re(_CUT_WORDS)
CUT_PREFER = _cut_re(_CUT_WORDS + r"|to|au|aux|a\s+la|a\s+l'")  # "I prefer tea to coffee"
CUT_OCCUPATION = re.compile(_cut_re(_CUT_WORDS + r"|of|in|a|au|aux|dans").pattern  # "developer at Google"
                            + r"|(?<!\s)\s*+,")
CUT_LIGHT = _cut_re(r"because|since|but|as|so|for|if|unless|parce|car|puisque|mais|pour|si|donc")
LEAD_EN = re.compile(r"(?:(?:the|an?|some|any|to)\s+)*")  # per language: folded "thé" is "the"
LEAD_FR = re.compile(r"(?:(?:les?|la|une?|des|du|de|au|aux|a)\s+|[ld]'\s*)*")
LEAD_LANGUAGE = re.compile(r"(?:(?:a\s+(?:bit|little)\s+of|a\s+little|some|fluent|basic|native|also"
                           r"|un\s+peu(?:\s+de)?|couramment|bien|aussi|le|the)\s+|[ld]'\s*)*")
LEAD_TIME = re.compile(r"(?:(?:on|in\s+the|in|during|the|at|le|la|les|en|pendant|durant)\s+|l'\s*)*")
LEAD_MONEY = re.compile(r"(?:(?:of|about|around|roughly|approximately|only|maximum|max|up\s+to|under"
                        r"|less\s+than|de|environ|autour\s+de|au\s+maximum|moins\s+de|jusqu'a)\s+|d'\s*)*")
