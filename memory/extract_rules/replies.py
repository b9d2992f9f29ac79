"""Reply language and style: "always answer in French", "je préfère les réponses courtes", "keep it brief".

Why only when lasting: "answer in French" alone is an instruction for this turn; it becomes a memory with a
marker ("always", "désormais", "from now on") or a preference verb, and never when said of someone else ("my
wife always answers in French"). The only rule that also reads questions: "could you always reply in French?"
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.patterns import LANGS
from memory.extract_rules.scope import Scope

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
    r"|ecri(?:s|vez|re)[\s-]*moi|parle[sz]?[\s-]*moi)\b[^.!?]{0,40}?\b(?:in|en)\s+(?P<v>" + LANGS + r")\b"
)
_REPLY_STYLE = re.compile(
    r"\b(?:answer|reply|respond|be|keep\s+(?:it|your\s+(?:answers|replies|responses))|repon(?:ds|dez|dre)"
    r"|sois|soyez|fais|faites)(?:[\s-]+(?:me|moi|always|toujours|more|very|tres))*\s+(?P<v>(?:short|brief"
    r"|concise|succinct|detailed|simple|precise)(?:ly)?|in\s+detail|in\s+bullet\s+points|brievement"
    r"|simplement|en\s+detail|(?:concis|court|bref|precis|detaille)e?s?)\b"
)
_NEGATION = re.compile(r"\b(?:don'?t|do\s+not|never|stop|no\s+longer|ne|plus|jamais|pas)\b|\bn'")


def candidates(scope: Scope) -> list[Candidate]:
    """Reply language/style, kept only when stated as lasting ("always", "désormais", "I prefer ...")."""
    text, folded, start, end = scope.text, scope.folded, scope.start, scope.end
    if _ONE_OFF.search(folded, start, end) or _NOT_ADDRESSED.match(folded, scope.body, end):
        return []
    lasting = _LASTING.search(folded, start, end) is not None
    prefers = _PREFER_VERB.search(folded, start, end) is not None
    out = []
    m = _REPLY_LANGUAGE.search(folded, scope.body, end)
    if m and scope.before_hypothetical(m.end()) and (prefers or (lasting and not m.group("noun"))):
        negative = not prefers and _NEGATION.search(folded, start, m.start("v")) is not None
        out.append(Candidate("preference", "preference.reply_language", text[m.start("v"):m.end("v")],
                             "negative" if negative else "positive", 0.9, scope.language, text[start:m.end()]))
    m = _REPLY_STYLE.search(folded, scope.body, end)
    if m and scope.before_hypothetical(m.end()) and lasting:
        out.append(Candidate("preference", "preference.reply_style", text[m.start("v"):m.end("v")],
                             "positive", 0.85, scope.language, text[start:m.end()]))
    return out
