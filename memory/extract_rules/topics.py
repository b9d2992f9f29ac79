"""Which topic a taste is about ("le jazz" -> "preference.music") and which values are no taste at all.

Why apart: the statement rules ("I love jazz") and `tastes` ("le jazz, c'est mon truc") key a taste the same way,
and "short answers" is a reply style, not a taste: it must get the key the reply rules would give it.
"""

from __future__ import annotations

import re

from memory.extract_rules.folding import fold
from memory.extract_rules.patterns import LANGS

BAD_FIRST = frozenset(  # "I love it", "I like when you...", "I love my wife": not a taste worth storing
    "it that this these those them you your yours him her me myself what how when where why who everything"
    " nothing anything something much many whatever not my our ca cela ceci ce cette ces te toi vous votre"
    " vos ton ta tes lui quand comment pourquoi tout rien quelque quoi qu mon ma mes avec with chez here"
    " ici pas ne".split()
)
_REPLY_NOUN = re.compile(r"\b(?:answers?|replies|reply|responses?|explanations?|reponses?|explications?"
                         r"|bullet(?:\s+points?|s)|paragraphs?|paragraphes?|puces|listes?\s+a\s+puces|markdown"
                         r"|emojis?|smileys?|tableaux|tables)\b")
_IN_LANGUAGE = re.compile(rf"\b(?:in|en)\s+{LANGS}\b")

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
        folded = fold(token)
        for form in (token, folded, folded[:-1] if folded[-1:] in "sx" else folded):
            if form in _TOPICS:
                return f"preference.{_TOPICS[form]}"
    named = [t for t in map(fold, tokens) if t not in _ARTICLES]  # "the Beatles" -> "beatles"
    slug = re.sub(r"[^a-z0-9]", "", named[0]) if named else ""
    return f"preference.{slug}" if slug else None


def preference_key(value: str, topic: str | None) -> str | None:
    """The key of a taste: from the topic a rule matched ("my favourite band is ..."), else from the value."""
    folded = fold(value)
    if _REPLY_NOUN.search(folded):  # "short answers"; "answers in French" is left to `replies`
        return None if _IN_LANGUAGE.search(folded) else "preference.reply_style"
    return _topic_key(topic or value)
