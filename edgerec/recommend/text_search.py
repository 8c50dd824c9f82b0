"""Finding catalogue items by the words of a customer's search.

Each item's searchable text (title, category and brand, lower case) is one line of a single
string; a query word matches where a word of that text starts with it ("shoe" finds "Shoes").
The string grows as items are added, and the matches of recent queries are kept and extended
to the new items only, so a session's search costs one scan, not one per request.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"\w+")


def search_words(query: str) -> tuple[str, ...]:
    """The distinct lower-case words of a query, in order, a plural's "s" dropped (so that
    "shoes" also finds "Shoe rack").

    >>> search_words("Red  shoes, red! glass")
    ('red', 'shoe', 'glass')
    """
    return tuple(dict.fromkeys(_singular(w) for w in _WORD.findall(query.lower())))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=256)
def _word_start(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(word))


class TextIndex:
    """The searchable lines of the first `covered` items, and the matches of recent queries."""

    def __init__(self, remembered: int = 32) -> None:
        self.remembered = remembered
        self.reset()

    def reset(self) -> None:
        """Forgets everything: an item's text changed, so every query is searched again."""
        self._text = ""
        self._starts = np.zeros(0, dtype=np.int64)  # where each item's line starts
        self.covered = 0
        # words -> (items searched, matching items, words each matches)
        self._found: OrderedDict[tuple[str, ...], tuple[int, np.ndarray, np.ndarray]] = OrderedDict()

    def find(
        self, words: tuple[str, ...], items: int, line_of: Callable[[int], str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Items (of the first `items`) matching any of `words`, and how many words each matches.

        `line_of(i)` gives item i's searchable text; it is asked only for items not covered yet.
        """
        if not words:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if items > self.covered:
            self._extend(items, line_of)
        searched, found, counts = self._found.pop(words, (0, np.zeros(0, np.int64), np.zeros(0, np.int64)))
        if searched < items:
            new, new_counts = self._scan(words, searched)
            found, counts = np.concatenate([found, new]), np.concatenate([counts, new_counts])
        self._found[words] = (items, found, counts)
        if len(self._found) > self.remembered:
            self._found.popitem(last=False)
        return found, counts

    def _extend(self, items: int, line_of: Callable[[int], str]) -> None:
        lines = [line_of(i).replace("\n", " ") + "\n" for i in range(self.covered, items)]
        lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
        starts = len(self._text) + np.cumsum(lengths) - lengths
        self._starts = np.concatenate([self._starts, starts])
        self._text += "".join(lines)
        self.covered = items

    def _scan(self, words: tuple[str, ...], first: int) -> tuple[np.ndarray, np.ndarray]:
        """Matches among items `first` onwards."""
        offset = int(self._starts[first]) if first < self.covered else len(self._text)
        hits = []
        for word in words:
            found = _word_start(word).finditer(self._text, offset)
            positions = np.fromiter((m.start() for m in found), dtype=np.int64)
            hits.append(np.unique(np.searchsorted(self._starts, positions, side="right") - 1))
        return np.unique(np.concatenate(hits), return_counts=True)
