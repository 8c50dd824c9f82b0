"""The words of a search, as the recommender and the console's item lists both match them."""

from __future__ import annotations

import re

WORD = re.compile(r"\w+")


def search_words(query: str) -> tuple[str, ...]:
    """The distinct lower-case words of a query, in order, a plural's "s" dropped (so that
    "shoes" also finds "Shoe rack"). A one-letter part of a word written joined to a longer one
    (the "t" of "t-shirt", the "s" of "men's") is left out: it would match every word that
    starts with its letter.

    >>> search_words("Red  shoes, red! glass")
    ('red', 'shoe', 'glass')
    >>> search_words("T-shirt men's size-M a b")
    ('shirt', 'men', 'size', 'a', 'b')
    """
    words: list[str] = []
    for written in query.lower().split():
        parts = WORD.findall(written)
        if len(parts) > 1 and any(len(part) > 1 for part in parts):
            parts = [part for part in parts if len(part) > 1]
        words += parts
    return tuple(dict.fromkeys(_singular(w) for w in words))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
