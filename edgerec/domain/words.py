"""The words of a search, as the recommender and the console's item lists both match them."""

from __future__ import annotations

import re

WORD = re.compile(r"\w+")


def search_words(query: str) -> tuple[str, ...]:
    """The distinct lower-case words of a query, in order, a plural's "s" dropped (so that
    "shoes" also finds "Shoe rack").

    >>> search_words("Red  shoes, red! glass")
    ('red', 'shoe', 'glass')
    """
    return tuple(dict.fromkeys(_singular(w) for w in WORD.findall(query.lower())))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
