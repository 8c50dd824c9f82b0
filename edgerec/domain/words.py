"""The words of a search, as the recommender and the console's item lists both match them."""

from __future__ import annotations

import re

WORD = re.compile(r"\w+")
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")


def search_words(query: str) -> tuple[str, ...]:
    """The distinct lower-case words of a query, in order, a plural's "s" dropped (so that
    "shoes" also finds "Shoe rack"), and a possessive's too ("men's" is "men", not "men" and
    an "s" that every other possessive has).

    >>> search_words("Red  shoes, red! glass")
    ('red', 'shoe', 'glass')
    >>> search_words("Men's t-shirt")
    ('men', 't', 'shirt')
    """
    words = WORD.findall(_POSSESSIVE.sub("", query.lower()))
    return tuple(dict.fromkeys(_singular(w) for w in words))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
