"""Finding catalogue items by the words of a customer's search.

Each item's searchable text (title, category and brand, lower case) is split into words, and
an inverted index maps each word to the items that have it. A query word matches the words it
starts ("shoe" finds "Shoes"), found as a range of the sorted vocabulary; a one-letter word
matches only itself. The index grows as
items are added, and the matches of recent queries are kept and extended to new items only.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from edgerec.domain.words import WORD

_NONE = np.zeros(0, dtype=np.int64)


class TextIndex:
    """The words of the first `covered` items' text, and the matches of recent queries."""

    def __init__(self, remembered: int = 32) -> None:
        self.remembered = remembered
        self.reset()

    def reset(self) -> None:
        """Forgets everything: an item's text changed, so every query is searched again."""
        self._postings: dict[str, array[int]] = {}  # word -> the items that have it, ascending
        self._vocabulary: list[str] | None = []  # the words, sorted; None: to be sorted again
        self.covered = 0
        # words -> (items searched, matching items, words each matches)
        self._found: OrderedDict[tuple[str, ...], tuple[int, np.ndarray, np.ndarray]] = OrderedDict()

    def find(
        self, words: tuple[str, ...], items: int, line_of: Callable[[int], str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Items (of the first `items`) matching any of `words`, and how many words each matches.

        `line_of(i)` gives item i's searchable text (any case); it is asked only for items not
        covered yet.
        """
        if not words:
            return _NONE, _NONE
        if items > self.covered:
            self._extend(items, line_of)
        searched, found, counts = self._found.pop(words, (0, _NONE, _NONE))
        if searched < items:
            new, new_counts = self._match(words, searched)
            found, counts = np.concatenate([found, new]), np.concatenate([counts, new_counts])
        self._found[words] = (items, found, counts)
        if len(self._found) > self.remembered:
            self._found.popitem(last=False)
        return found, counts

    def _extend(self, items: int, line_of: Callable[[int], str]) -> None:
        postings = self._postings
        for index in range(self.covered, items):
            for word in set(WORD.findall(line_of(index).lower())):
                found = postings.get(word)
                if found is None:
                    found = postings[word] = array("q")
                    self._vocabulary = None
                found.append(index)
        self.covered = items

    def _starting_with(self, prefix: str) -> list[str]:
        if self._vocabulary is None:
            self._vocabulary = sorted(self._postings)
        words = self._vocabulary
        return words[bisect_left(words, prefix) : bisect_left(words, prefix + "\U0010ffff")]

    def _match(self, words: tuple[str, ...], first: int) -> tuple[np.ndarray, np.ndarray]:
        """Matches among items `first` onwards."""
        hits = []
        for word in words:
            # A one-letter word (the "t" of "t-shirt", the "c" of "USB-C") is matched whole: as a
            # start, it would match every word beginning with its letter.
            starting = (
                self._starting_with(word) if len(word) > 1 else [word] if word in self._postings else []
            )
            parts = [self._items_from(vocabulary_word, first) for vocabulary_word in starting]
            hits.append(np.unique(np.concatenate(parts)) if parts else _NONE)
        return np.unique(np.concatenate(hits), return_counts=True)

    def _items_from(self, word: str, first: int) -> np.ndarray:
        """The items from `first` on that have `word` (a copy: the postings keep growing)."""
        items = np.frombuffer(self._postings[word], dtype=np.int64)
        return items[np.searchsorted(items, first) :].copy()
