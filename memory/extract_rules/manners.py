"""Standing requests about the form of answers: "No emojis please", "Use tables whenever you compare things",
"Pas de jargon avec moi", "Mets toujours les sources à la fin", "Bullet points work best for me", "be blunt".

Why apart from `style`: instead of listing phrasings, a clause counts when it is addressed to the assistant (an
imperative, "no X" / "pas de X", or a verdict such as "works best for me") AND names a form of answer (emojis,
tables, tone, length, units...). A one-off marker ("just for this one", "cette fois") keeps it out: a one-off
instruction is not a memory. The value is the form named.
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.scope import Scope

_FORM = (r"(?:emojis?|emoticones?|smileys?|jargon|bullet(?:\s+points?|s)?|listes?(?:\s+a\s+puces)?|puces"
r"|tables?|tableaux?"
         r"|markdown|headings?|headers?|titres?|sources?|links?|liens?|examples?|exemples?(?:\s+concrets?)?|diagrams?"
         r"|schemas?|code(?:\s+first)?|explanations?|explications?|summar(?:y|ies)|resumes?|tl;?dr|paragraphs?"
         r"|paragraphes?|celsius|fahrenheit|metric|imperial|kilometres?|miles|euros?|intro(?:duction)?s?|formalit(?:y|ies)"
         r"|politesses?|apologi[sz]\w*|excuses|vouvoiement|tutoiement|casual|formal|formel(?:le)?|blunt|direct(?:e|s)?"
         r"|straight\s+to\s+the\s+point|droit\s+au\s+but|concise|concis(?:e|es)?|brief|brieve?s?|detailed|detaille(?:e|s)?"
         r"|shorter|short(?:\s+answers)?|longer|step[\s-]by[\s-]step|etape\s+par\s+etape|exclamation\s+marks?|caps(?:\s+lock)?"
         r"|majuscules|abbreviations?|abreviations?|anglicismes?|sarcasm|sarcasme|humou?r|ton\s+\w+|tone|references?"
         r"|citations?|quotes?|numbers|chiffres|charts?|graphiques?)\b")
_ADDRESSED = re.compile(  # the clause speaks to the assistant about how to answer
    r"(?:(?:please|pls|stp|svp|merci\s+de|always|never|toujours|jamais|from\s+now\s+on|desormais|dorenavant|going"
    r"\s+forward|a\s+l'\s*avenir|and|et|also|aussi)\s*,?\s+)*(?P<neg>don'?t|do\s+not|stop|avoid|quit|no\s+more|no|never"
    r"|zero|pas\s+de|pas\s+d'|jamais\s+de|plus\s+de|sans|arrete[sz]?\s+(?:de|d'|les?|la)|evite[sz]?|ne\s+(?:m'\s*)?\w+"
    r"\s+(?:pas|plus|jamais))?\s*(?:use|using|give|keep|skip|write|reply|answer|put|add|include|show|be|go|format|send"
    r"|utilise[sz]?|mets|mettez|donne[sz]?(?:[\s-]*moi)?|fais|faites|sois|soyez|garde[sz]?|ajoute[sz]?|ecris|reponds"
    r"|parle[sz]?|inclus|cite[sz]?)?\b"
)
_VERDICT = re.compile(r"\b(?:works?\s+(?:best|better)\s+for\s+me|(?:is|are)\s+(?:better|best|easier)|helps?\s+me"
                      r"|c'\s*est\s+(?:mieux|parfait|top|ideal)|(?:ca|cela)\s+me\s+(?:va|convient|aide|parle)"
                      r"|m'\s*aide(?:nt)?|(?P<bad>ca\s+me\s+(?:perd|saoule|gonfle|fatigue|soule)|(?:is|are)\s+exhausting"
                      r"|(?:is|are)\s+(?:too\s+much|annoying|a\s+no)|m'\s*enerve(?:nt)?|me\s+(?:perd|perdent)))\b")
_ONE_OFF = re.compile(r"\b(?:this\s+(?:one|time|question|answer|message|comparison|email|text)|just\s+(?:for\s+)?this"
                      r"|for\s+this|right\s+now|here|cette\s+(?:fois|question|reponse|comparaison)|celle-ci|ce\s+message"
                      r"|pour\s+(?:ce|cette|celui|celle)|juste\s+(?:pour|cette)|ici)\b")
_FORM_RE = re.compile(_FORM)
_LASTING = re.compile(r"\b(?:always|ever|never|whenever|every\s+time|from\s+now\s+on|toujours|jamais|desormais"
                      r"|dorenavant|a\s+chaque\s+fois|avec\s+moi|with\s+me|for\s+me|pour\s+moi|dans\s+tes\s+reponses"
                      r"|in\s+your\s+answers)\b")
_TASK = re.compile(r"\b(?:a|an|one|two|three|un|une|deux|trois|me\s+a|moi\s+un)\s+(?:\w+\s+)?(?:poem|poeme"
r"|story|histoire"
                   r"|email|mail|letter|lettre|list|liste|idea|idee|recipe|recette|haiku|plan|essay|article|summary|resume"
                   r"|synthese|traduction|translation|draft|brouillon|tableau|table|chart|graphique|schema)\b")


def candidates(scope: Scope) -> list[Candidate]:
    """A standing request about the form of answers, in a factual clause (from its body)."""
    if not scope.factual:
        return []
    text, folded, start, end = scope.text, scope.folded, scope.body, scope.end
    if _ONE_OFF.search(folded, start, end):
        return []
    form = _FORM_RE.search(folded, start, end)
    if not form:
        return []
    lasting = _LASTING.search(folded, start, end) is not None
    if _TASK.search(folded, start, end) and not lasting:  # "write me a poem without emojis": a one-off task
        return []
    verdict = _VERDICT.search(folded, form.end(), end)
    addressed = _ADDRESSED.match(folded, start, end)
    imperative = addressed is not None and addressed.end() > start and (
        addressed.group("neg") is not None or addressed.end() < form.start() or lasting)
    leading_form = form.start() - start <= 12 and (lasting or "please" in folded[start:end]
                                                   or "stp" in folded[start:end])
    if not (imperative or verdict or leading_form):
        return []
    negative = bool(addressed and addressed.group("neg")) or bool(verdict and verdict.group("bad"))
    value = text[form.start():form.end()]
    return [Candidate("preference", "preference.style", value, "negative" if negative else "positive",
                      round(0.75 * scope.factor, 2), scope.language, text[start:end].strip())]

