"""Business context: the user's company (sector, size, clients, place) and the tools used at work.

Why apart: these statements are rarely in the first person singular ("on est 7", "we're a design agency",
"notre boîte fait du SaaS", "au bureau on bosse sur Notion"), so they need their own triggers, and a company
description is kept only when it names a kind of business or a headcount.
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import COMMA_CUT, find, search
from memory.extract_rules.scope import Scope

_COUNT = (r"(?:\d+|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|quarante|cinquante"
          r"|cent|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty"
          r"|hundred|a\s+dozen|a\s+few|une\s+(?:dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine"
          r"|cinquantaine|centaine))")
_COMPANY_NOUN = (r"(?:boite|entreprise|societe|start-?up|scale-?up|pme|tpe|agence|agency|company|business|firm"
                 r"|studio|shop|boutique|magasin|commerce|restaurant|resto|bakery|boulangerie|cabinet|practice"
                 r"|clinic|clinique|ferme|farm|atelier|workshop|fromagerie|cafe|bar|hotel|garage|salon|brand"
                 r"|marque|label|ecommerce|e-commerce|saas|fintech|cooperative|association|ong|ngo|franchise"
                 r"|consultancy|bureau\s+d'\s*etudes|ssii|esn|editeur|publisher|store|team|equipe"
                 r"|(?:\w+\s+)?(?:shop|store|company|business|agency|firm))")
_HEADCOUNT = (rf"{_COUNT}\s*-?\s*(?:person|people|personnes?|salaries?|employes?|employees?|staff|collaborateurs"
              r"|devs?|developpeurs|developers|engineers|ingenieurs|apprentices?|apprentis?|associes?|partners"
              r"|clients?|customers?|users|utilisateurs|boutiques?|shops?|stores?|magasins?|agences?|sites?"
              r"|couverts|covers|seats|places|lits|beds|vehicules|camions|trucks|franchises?)\b")
_COMPANY_WORD = re.compile(rf"\b{_COMPANY_NOUN}\b")
_NOT_A_TOOL = re.compile(r"(?:a|an|the|un|une|le|la|les|l|my|mon|ma|new|vegan|vegetarian|keto)\b")  # "to a vegan diet"
_SIZE_WORD = re.compile(rf"\b(?:{_COUNT}|{_COMPANY_NOUN}|remote|teletravail|a\s+distance|b2b|b2c)\b")
_TOOL_VERB = (r"(?:utilise|utilisons|utilisent|use|uses|using|bosse|bossons|bossent|travaille|travaillons"
              r"|travaillent|work|works|tourne|tournons|tournent|run|runs|are|sommes|est|fait|faisons|do|code|codons)")


def _company_like(value: str) -> bool:
    return _SIZE_WORD.search(value) is not None


_FINDERS = (
    # "on est une boulangerie artisanale, 12 salariés", "we're a 25-person design agency", "on n'est que cinq"
    find(r"\b(?:we\s*'?\s*re|we\s+are|on\s+est|on\s+n'?\s*est|nous\s+sommes|nous\s+ne\s+sommes)\s+(?:(?:que|qu'"
         r"|only|just|genre|like|about|around|environ|juste|seulement|basically)\s*)*(?P<v>.+)",
         "business.company", 0.8, check=_company_like),
    # "notre boîte fait du SaaS B2B", "le resto fait 80 couverts", "our agency works with hotels"
    find(rf"\b(?:notre|nos|ma|mon|our|my|le|la|the)\s+(?P<v>{_COMPANY_NOUN}\s+(?:fait|font|vend|vendent|propose"
         r"|compte|emploie|a|ont|travaille|bosse|est|sont|is|are|does|makes|sells|has|have|employs|works|serves"
         r"|specialise|specialize|specializes|builds?|develops?|developpe|livre|delivers?|fabrique|produit)\b.+)",
         "business.company", 0.8),
    # "I run a small plumbing business", "je gère une agence immo", "j'ai monté ma boîte de conseil"
    find(r"\b(?:i\s+(?:run|own|manage|founded|started|co-?founded|launched|have|work\s+(?:at|for|in))|i'?ve\s+got"
         r"|je\s+(?:gere|dirige|tiens|possede|bosse\s+dans|travaille\s+dans)|j'\s*ai\s+(?:cree|fonde|monte|lance"
         r"|repris)|jai\s+(?:cree|fonde|monte|lance))\s+(?P<v>(?:an?|une?|my|ma|mon|sa|the|la|le)\s+.+)",
         "business.company", 0.8, check=lambda v: _COMPANY_WORD.search(v) is not None),
    # "dev front dans une startup", "product manager dans une fintech", "a nurse at a small clinic"
    find(rf"\b(?:dans|in|at|for)\s+(?:une?|a|an)\s+(?P<v>(?:[\w-]+\s+){{0,3}}?{_COMPANY_NOUN}\b(?:\s+[\w'-]+){{0,3}})",
         "business.company", 0.7, cut=COMMA_CUT),
    # "12 salariés", "une quarantaine de clients", "two apprentices", "it's just me and two apprentices"
    find(rf"\b(?P<v>{_HEADCOUNT}(?:\s+(?:par|per|a|en|in|sur|on)\s+[\w'-]+(?:\s+[\w'-]+)?)?)", "business.size", 0.75,
         cut=COMMA_CUT),
    find(r"\b(?P<v>une\s+(?:dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine|cinquantaine|centaine)"
         r"\s+d(?:e\s+|')\s*[\w-]+)", "business.size", 0.75),
    find(r"\b(?:it'?s|c'\s*est)\s+(?:just|only|juste|seulement)\s+(?P<v>(?:me|moi)\s+(?:and|et|plus|\+)\s+.+)",
         "business.size", 0.75, cut=COMMA_CUT),
    # tools at work: "on utilise Hektor", "we use Jira and Slack", "au bureau on bosse tous sur Notion",
    # "on fait du react à 90 %", "la facturation passe par Pennylane", "our CRM is HubSpot"
    find(rf"\b(?:on|we|nous|l'\s*equipe|the\s+team|our\s+team|mon\s+equipe|my\s+team|toute\s+la\s+boite)\s+"
         rf"(?:\w+\s+)?{_TOOL_VERB}\s+(?:tous\s+|all\s+|mostly\s+|surtout\s+|principalement\s+|mainly\s+)?"
         r"(?:sur|on|with|avec|sous|du|de\s+la|des|de\s+l')\s+(?P<v>.+)", "business.tools", 0.75),
    find(r"\b(?:on|we|nous)\s+(?:\w+\s+)?(?:utilise|utilisons|use|uses)\s+(?P<v>.+)", "business.tools", 0.75),
    # a tool switch: "we switched from Jira to Linear", "on est passés sur Pennylane", "on a migré vers Odoo"
    find(r"\b(?:we|on|nous|i|je|j')\s*(?:(?:just|finally|recently|enfin|finalement)\s+)?(?:(?:have|'ve)\s+)?(?:switched|moved"
         r"|migrated|changed|est\s+passee?s?|sommes\s+passee?s?|suis\s+passee?|a\s+migre|avons\s+migre|ai\s+migre"
         r"|a\s+change)\s+(?:from\s+\S+(?:\s+\S+)?\s+|de\s+\S+\s+)?(?:to|over\s+to|sur|vers|a|pour)\s+(?P<v>[A-Za-z][\w.-]*"
         r"(?:\s+[A-Za-z][\w.-]*)?)", "business.tools", 0.7,
         check=lambda v: _NOT_A_TOOL.match(v) is None),
    find(r"\b(?:la|le|les|l'|our|the|notre|nos)\s*(?:[\w-]+)\s+(?:passe|passent|goes|go|runs?|tourne|tournent)\s+"
         r"(?:par|through|via|on|sur|sous|with|avec)\s+(?P<v>.+)", "business.tools", 0.75),
    find(r"\b(?:our|notre|my|mon|ma)\s+(?:crm|erp|stack|logiciel(?:\s+\w+)?|outil(?:\s+\w+)?|tools?|software"
         r"|bank|banque|accounting\s+software|compta|hosting|hebergeur|pos|caisse)\s*(?:is|'s|c'\s*est|est|:)"
         r"\s+(?P<v>.+)", "business.tools", 0.8),
    find(r"\b(?:i|j'|je)\s*(?:use|utilise)\s+(?P<v>.+?)\s+(?:at\s+work|for\s+work|au\s+(?:boulot|travail|bureau)"
         r"|pour\s+(?:le\s+)?(?:boulot|travail))\b", "business.tools", 0.7),
    find(r"\b(?:we|on|nous|our\s+(?:clients|customers)|nos\s+clients|je|i)\s+(?:\w+\s+)?(?:work(?:ing)?\s+(?:mostly\s+"
         r"|mainly\s+)?with|serve|sell\s+(?:(?:mostly|mainly|only)\s+)?to|(?:travaille|bosse)\s+(?:(?:surtout|beaucoup"
         r"|principalement|souvent|uniquement)\s+)?(?:avec|pour)(?=\s+(?:des|les|de)\b)|vend\s+(?:surtout\s+)?a)\s+(?P<v>.+)",
         "business.clients", 0.7),
)


_GATE = re.compile(rf"\b(?:{_COUNT}|{_COMPANY_NOUN}|on|we|we're|nous|notre|nos|our|utilise\w*|use[sd]?|using|passe\w*"
                   r"|goes|go|runs?|tourne\w*|crm|erp|logiciel|outil|software|tools?|caisse|pos|compta|hosting"
                   r"|hebergeur|bank|banque|just|juste|only|seulement|\d+|\w+aine|bosse|travaille|sell|switched|migre)\b")


def candidates(scope: Scope) -> list[Candidate]:
    """Business statements in a factual clause."""
    return search(_FINDERS, scope, _GATE)
