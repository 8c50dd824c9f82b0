"""Finding catalogue items by the words of a customer's search.

Each item's searchable text (title, category and brand) is split into caseless words (see
`edgerec.domain.words`), and an inverted index maps each word to the items that have it; a
second one maps the words that have accents to their items by the word without them. A query
word matches the words it starts ("shoe" finds "Shoes"), found as a range of the sorted
vocabulary, and its singular as a whole word; a one-letter word matches only itself. A run of a
script written without spaces (Chinese, Japanese, Thai) is indexed by its pairs of characters,
and a query's run matches the items that have each of its pairs. The index grows as items are
added, and the matches of recent queries are kept and extended to new items only.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import reduce

import numpy as np

from edgerec.domain.words import WORD, folded, indexed, pieces, singular, unspaced, words_of

_NONE = np.zeros(0, dtype=np.int64)


class TextIndex:
    """The words of the first `covered` items' text, and the matches of recent queries."""

    def __init__(self, remembered: int = 32) -> None:
        self.remembered = remembered
        self.reset()

    def reset(self) -> None:
        """Forgets everything: an item's text changed, so every query is searched again."""
        self._words = _Postings()  # caseless word -> the items that have it
        self._accentless = _Postings()  # a word with accents, folded -> the items that have it
        self.covered = 0
        # words -> (items searched, matching items, their scores)
        self._found: OrderedDict[tuple[str, ...], tuple[int, np.ndarray, np.ndarray]] = OrderedDict()

    def find(
        self, words: tuple[str, ...], items: int, line_of: Callable[[int], str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Items (of the first `items`) matching any of `words` (as `search_words` gives them),
        and their scores: the share of the words each matches, an item matching more words
        always scoring higher, and among equals the more a word is matched whole (not only by
        its start) and as typed (not only without its accents), up to 1 for all of them.

        `line_of(i)` gives item i's searchable text (any case); it is asked only for items not
        covered yet.
        """
        if not words:
            return _NONE, _NONE
        if items > self.covered:
            self._extend(items, line_of)
        searched, found, scores = self._found.pop(words, (0, _NONE, _NONE))
        if searched < items:
            new, new_scores = self._match(words, searched)
            found, scores = np.concatenate([found, new]), np.concatenate([scores, new_scores])
        self._found[words] = (items, found, scores)
        if len(self._found) > self.remembered:
            self._found.popitem(last=False)
        return found, scores

    def _extend(self, items: int, line_of: Callable[[int], str]) -> None:
        words, accentless = self._words, self._accentless
        for index in range(self.covered, items):
            line = line_of(index)
            if line.isascii():  # most shops' titles: their caseless words are already folded
                words.add(set(WORD.findall(line.lower())), index)
                continue
            caseless = words_of(line)
            found = set(indexed(caseless))
            words.add(found, index)
            accentless.add(set(indexed(folded(word) for word in caseless)) - found, index)
        self.covered = items

    def _match(self, words: tuple[str, ...], first: int) -> tuple[np.ndarray, np.ndarray]:
        """Matches among items `first` onwards, and their scores: the share of the query's words
        each matches, and below that how closely (see `find`)."""
        matched, closeness = [], []
        for word in words:
            hits, whole, exact = (self._run_hits if unspaced(word) else self._word_hits)(word, first)
            matched.append(hits)
            closeness += [whole, exact]
        found, counts = np.unique(np.concatenate(matched), return_counts=True)
        close_items, close_counts = np.unique(np.concatenate(closeness), return_counts=True)
        close = np.zeros(len(found), dtype=np.int64)
        close[np.searchsorted(found, close_items)] = close_counts
        n = len(words)
        # Each word matched counts more than every word's closeness together: 2 (n + 1) against 2 n.
        return found, (2 * (n + 1) * counts + close) / (2 * n * (n + 2))

    def _word_hits(self, word: str, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The items a word of a spaced script matches, those it matches as a whole word (or its
        plural or singular), and those it matches as typed (not through its accents' folding)."""
        plain = folded(word)
        exact, exact_whole = self._hits(self._words, word, first)
        if plain == word and not self._accentless.postings:
            return exact, exact_whole, exact
        caseless, caseless_whole = self._hits(self._words, plain, first) if plain != word else (_NONE, _NONE)
        accentless, accentless_whole = self._hits(self._accentless, plain, first)
        matched = np.unique(np.concatenate([exact, caseless, accentless]))
        return matched, np.unique(np.concatenate([exact_whole, caseless_whole, accentless_whole])), exact

    def _hits(self, words: _Postings, word: str, first: int) -> tuple[np.ndarray, np.ndarray]:
        """Items with a word `word` starts (a one-letter word: that word), or its singular as a
        whole word; and those with the word itself, its singular or its plural."""
        one = singular(word)
        # A one-letter word (the "t" of "t-shirt", the "c" of "USB-C") is matched whole: as a
        # start, it would match every word beginning with its letter.
        starting = words.starting_with(word) if len(word) > 1 else [word]
        whole = {
            v for v in (word, one, word + "s", one + "s") if v in (word, one) or singular(v) in (word, one)
        }
        return words.items_of([*starting, one], first), words.items_of(whole, first)

    def _run_hits(self, run: str, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The items with a run of an unspaced script anywhere in one of theirs (each of its
        pairs of characters, or its one character starting a pair or ending a run), and those
        with it as typed; for such a run every match is a whole one."""
        exact = reduce(
            np.intersect1d, [self._words.items_of(v, first) for v in self._in_runs(self._words, run)]
        )
        plain = folded(run)
        matched = [
            np.unique(np.concatenate([self._words.items_of(v, first), self._accentless.items_of(a, first)]))
            for v, a in zip(
                self._in_runs(self._words, plain), self._in_runs(self._accentless, plain), strict=True
            )
        ]
        hits = np.union1d(exact, reduce(np.intersect1d, matched))
        return hits, hits, exact

    @staticmethod
    def _in_runs(words: _Postings, run: str) -> list[list[str]]:
        """For each pair of characters of `run`, the indexed words that are it; for a run of
        one character, those it starts."""
        return [[pair] for pair in pieces(run)[:-1]] or [words.starting_with(run)]


class _Postings:
    """An inverted index: each word's items, ascending, and the words sorted for their starts."""

    def __init__(self) -> None:
        self.postings: dict[str, array[int]] = {}
        self._sorted: list[str] | None = []  # None: to be sorted again

    def add(self, words: set[str], index: int) -> None:
        postings = self.postings
        for word in words:
            found = postings.get(word)
            if found is None:
                found = postings[word] = array("q")
                self._sorted = None
            found.append(index)

    def starting_with(self, prefix: str) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.postings)
        words = self._sorted
        return words[bisect_left(words, prefix) : bisect_left(words, prefix + "\U0010ffff")]

    def items_of(self, words: Iterable[str], first: int) -> np.ndarray:
        """The items from `first` on that have any of `words` (a copy: the postings keep growing)."""
        parts = []
        for word in words:
            found = self.postings.get(word)
            if found is not None:
                items = np.frombuffer(found, dtype=np.int64)
                parts.append(items[np.searchsorted(items, first) :])
        return np.unique(np.concatenate(parts)) if parts else _NONE
