"""The in-memory catalogue: item ids, attributes, availability and popularity as numpy arrays."""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from itertools import islice
from typing import Any, TypeVar

import numpy as np

from edgerec.domain.printable import item_name
from edgerec.domain.signals import POPULARITY_TAU_S, add_decayed
from edgerec.domain.stock import sold_down, stock_stated_at
from edgerec.domain.words import caseless, search_words
from edgerec.recommend.text_search import TextIndex

SEEN, LISTED, DELISTED = 0, 1, 2
_STATUS = {"seen": SEEN, "listed": LISTED, "delisted": DELISTED}
_T = TypeVar("_T")
NO_STOCK = -1  # stock unknown: treated as available
NO_TIME = -1  # stock_at of a stock unknown, or stated by a catalogue file's row (no time)
_PATH_SEPARATOR = re.compile(r"[/>]")  # "Toys/Building Sets", "Apparel > Shoes"


def category_path(name: str) -> tuple[str, ...]:
    """A category name's levels, without regard to case, spacing or Unicode form (one typed
    decomposed, as macOS saves it, is the same): "Toys / Lego" -> ("toys", "lego")."""
    return tuple(level for part in _PATH_SEPARATOR.split(name) if (level := caseless(part.strip())))


def brand_key(name: str) -> str:
    """What a brand name is matched by: any case, spaces around ignored, in any Unicode form
    ("Acme", "ACME " and "acme" are one brand)."""
    return caseless(name.strip())


def is_under(category: str, wanted: tuple[str, ...]) -> bool:
    """Whether `category` is the category whose levels are `wanted` (`category_path`) or one
    below it: "Toys/Building Sets" is under ("toys",)."""
    return bool(wanted) and category_path(category)[: len(wanted)] == wanted


class TopSet:
    """The items with the highest value, kept exact under value increases only.

    Decayed popularity, stored as log(sum w * exp(t / tau)), only ever grows, so the top of the
    ranking can be maintained without re-sorting the catalogue: every item outside `members`
    has a value at most `threshold`, and every member at least that.

    >>> top = TopSet(2); vals = {1: 1.0, 2: 3.0, 3: 2.0, 4: 0.5}
    >>> for i, v in vals.items(): top.bump(i, v)
    >>> top.ranked(vals.__getitem__)[:2]
    [2, 3]
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.members: dict[int, float] = {}
        self.threshold = -math.inf
        # Members best first, kept in order as values change (a request reads it after every
        # event, and re-sorting a thousand members each time cost a tenth of a millisecond).
        # Ties keep the order members joined in, as a stable sort of `members` would.
        self._sorted: list[int] = []
        self._joined: dict[int, int] = {}  # member -> when it joined, for ties
        self._joins = 0

    def _key(self, index: int) -> tuple[float, int]:
        return -self.members[index], self._joined[index]

    def bump(self, index: int, value: float) -> None:
        members = self.members
        if index in members:
            self._sorted.remove(index)
        elif value > self.threshold:
            self._joined[index] = self._joins
            self._joins += 1
        else:
            return
        members[index] = value
        bisect.insort(self._sorted, index, key=self._key)
        if len(members) > 2 * self.size:
            self._trim()

    def _trim(self) -> None:
        kept, dropped = self._sorted[: self.size], self._sorted[self.size :]
        if dropped:
            self.threshold = max(self.threshold, self.members[dropped[0]])
        self.members = {i: self.members[i] for i in kept}
        self._sorted = kept
        self._joined = {i: rank for rank, i in enumerate(kept)}
        self._joins = len(kept)

    def ranked(self, _value: Any = None) -> list[int]:
        """Members, best first (complete for the first len(members) ranks); do not modify."""
        return self._sorted


class Catalogue:
    """Every item the recommender knows, by dense index; grows as items are listed or seen."""

    def __init__(self, capacity: int = 1024, top_size: int = 500) -> None:
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.titles: list[str | None] = []
        self.brands: list[str | None] = []
        self.category_names: list[str] = []
        self.category_codes: dict[str, int] = {}
        # Each category code's first code with the same levels ("Shoes" and "shoes "), and each
        # brand code's first with the same `brand_key` ("Acme" and "ACME"): one category or brand
        # for the diversity cap, the rules and the reasons, however the catalogue spelt it. The
        # entries past the codes given are -1, and the last of them stands for code -1 (none),
        # which indexes it.
        self._group_of_name: dict[str, dict[Any, int]] = {"category": {}, "brand": {}}
        self._groups = {kind: np.full(1, -1, dtype=np.int64) for kind in ("category", "brand")}
        self.brand_codes: dict[str, int] = {}
        self.status = np.zeros(capacity, dtype=np.int8)
        self.stock = np.full(capacity, NO_STOCK, dtype=np.int64)
        # When each stock was stated (the catalogue projection's stock_at): purchases since lower it.
        self.stock_at = np.full(capacity, NO_TIME, dtype=np.int64)
        self.category = np.full(capacity, -1, dtype=np.int32)
        self.brand = np.full(capacity, -1, dtype=np.int32)
        self.listed_at = np.zeros(capacity, dtype=np.int64)
        self.popularity = np.full(capacity, -np.inf, dtype=np.float64)  # log-domain decayed
        self.interactions = np.zeros(capacity, dtype=np.int64)
        self.top = TopSet(top_size)
        self._members: dict[tuple[str, int], list[int]] = {}  # by group (`groups`)
        self._member_arrays: dict[tuple[str, int], np.ndarray] = {}
        self._group_notes: dict[tuple[str, int], dict[Hashable, Any]] = {}  # see `group_note`
        # Listed items nobody has touched yet, most recently listed last (an ordered set): an
        # item leaves it when first touched or delisted, as `recompute_arrivals` would leave it out.
        self.new_arrivals: dict[int, None] = {}
        self._under: dict[str, tuple[int, np.ndarray]] = {}  # name -> (categories known, codes)
        self.text = TextIndex()
        # Once the shop lists items, its catalogue says what it sells: an item known only from
        # interactions (a discontinued product in old history, a mistyped id) is not on offer.
        self.has_listings = False

    def __len__(self) -> int:
        return len(self.ids)

    # --- growth and attributes ------------------------------------------------------------

    def ensure(self, item_id: str) -> int:
        index = self.index.get(item_id)
        if index is not None:
            return index
        index = len(self.ids)
        if index >= len(self.status):
            self._grow(max(2 * len(self.status), 1024))
        self.ids.append(item_id)
        self.index[item_id] = index
        self.titles.append(None)
        self.brands.append(None)
        return index

    def _grow(self, capacity: int) -> None:
        def grown(array: np.ndarray, fill: Any) -> np.ndarray:
            bigger = np.full(capacity, fill, dtype=array.dtype)
            bigger[: len(array)] = array
            return bigger

        self.status = grown(self.status, SEEN)
        self.stock = grown(self.stock, NO_STOCK)
        self.stock_at = grown(self.stock_at, NO_TIME)
        self.category = grown(self.category, -1)
        self.brand = grown(self.brand, -1)
        self.listed_at = grown(self.listed_at, 0)
        self.popularity = grown(self.popularity, -np.inf)
        self.interactions = grown(self.interactions, 0)

    def _code(self, kind: str, name: str) -> int:
        codes = self.category_codes if kind == "category" else self.brand_codes
        code = codes.get(name)
        if code is None:
            code = codes[name] = len(codes)
            if kind == "category":
                self.category_names.append(name)
            key = category_path(name) if kind == "category" else brand_key(name)
            groups = self._groups[kind]
            if code == len(groups) - 1:  # the last entry must stay free, for code -1: room doubled
                groups = self._groups[kind] = np.concatenate([groups, np.full(len(groups), -1, np.int64)])
            # a name of spaces only names nothing: no group, as no name
            groups[code] = self._group_of_name[kind].setdefault(key, code) if key else -1
        return code

    def groups(self, kind: str, codes: np.ndarray) -> np.ndarray:
        """The category or brand group of each code (-1, none, stays -1)."""
        return self._groups[kind][codes]

    def brand_group(self, name: str) -> int:
        """The brand group a name matches however it is spelt (`brand_key`), -1 for none."""
        return self._group_of_name["brand"].get(brand_key(name), -1)

    def _set_group(self, kind: str, index: int, name: str | None) -> None:
        array = self.category if kind == "category" else self.brand
        old_code = int(array[index])
        new_code = self._code(kind, name) if name else -1
        if old_code == new_code:
            return
        self._text_changed(index)
        array[index] = new_code
        if kind == "brand":
            self.brands[index] = name
        old, new = (int(self._groups[kind][code]) for code in (old_code, new_code))
        if old == new:  # spelt another way: still one of the same group
            return
        if old >= 0:
            self._members[(kind, old)].remove(index)
            self._member_arrays.pop((kind, old), None)
            self._group_notes.pop((kind, old), None)
        if new >= 0:
            self._members.setdefault((kind, new), []).append(index)
            self._member_arrays.pop((kind, new), None)
            self._group_notes.pop((kind, new), None)

    def members(self, kind: str, code: int) -> np.ndarray:
        """Indices of the items in one category or brand group (`groups`: every spelling of it)."""
        key = (kind, code)
        array = self._member_arrays.get(key)
        if array is None:
            array = np.asarray(self._members.get(key, ()), dtype=np.int64)
            self._member_arrays[key] = array
        return array

    def group_note(self, kind: str, code: int, key: Hashable, make: Callable[[np.ndarray], _T]) -> _T:
        """`make(members)` for one category or brand group, kept until an item joins or leaves it or
        one of its items grows more popular: what a ranking of its members by popularity
        depends on (most requests rank the same few groups, and a view changes only one's)."""
        notes = self._group_notes.setdefault((kind, code), {})
        if key not in notes:
            notes[key] = make(self.members(kind, code))
        return notes[key]  # type: ignore[no-any-return]

    def apply_listing(
        self,
        item_id: str,
        fields: Mapping[str, Any],
        *,
        status: str | None,
        at_us: int,
        full: bool,
        arrival: bool = True,
        stock_at: int | None = None,
    ) -> int:
        """A listing (full=True replaces every field) or a partial update of an item.

        An update (`status` None) keeps the item's status, as the catalogue projection does:
        updating a delisted item's stock does not list it again. A stock given is stated at
        `stock_at` where given (as the projection stored it; -1, NO_TIME, for none), else as the
        stock rule says (`domain.stock.stock_stated_at`).
        """
        known = item_id in self.index
        index = self.ensure(item_id)
        was = int(self.status[index]) if known else -1
        if status is None:
            status = ("seen", "listed", "delisted")[was] if known else "listed"
        self.status[index] = _STATUS[status]
        self.has_listings = self.has_listings or status != "seen"
        if full or "title" in fields:
            title = fields.get("title") or None
            if title != self.titles[index]:
                self.titles[index] = title
                self._text_changed(index)
        if full or "category" in fields:
            self._set_group("category", index, fields.get("category"))
        if full or "brand" in fields:
            self._set_group("brand", index, fields.get("brand"))
        if full or "stock" in fields:
            stock = fields.get("stock")
            if stock_at is None:
                held, held_at = (self._stock(index), self._stock_at(index)) if known else (None, None)
                stated = stock_stated_at(stock, fields.get("stock_at"), at_us, held, held_at)
                stock_at = NO_TIME if stated is None else stated
            self.stock[index] = NO_STOCK if stock is None else int(stock)
            self.stock_at[index] = stock_at
        if status == "listed" and was != LISTED:
            self.listed_at[index] = at_us
            if arrival and self.interactions[index] == 0:
                latest = next(reversed(self.new_arrivals), None)
                self.new_arrivals[index] = None
                if latest is not None and at_us < self.listed_at[latest]:
                    # Listed before the newest arrival (a log recorded out of time order): in
                    # order of listing, as a fresh load has them.
                    ordered = sorted(self.new_arrivals, key=self.listed_at.__getitem__)
                    self.new_arrivals = dict.fromkeys(ordered)
            if len(self.new_arrivals) > 4096:
                self.new_arrivals = dict.fromkeys(list(self.new_arrivals)[-2048:])
        return index

    def recompute_arrivals(self, keep: int = 256) -> None:
        """After a bulk load: the most recently listed items nobody has interacted with yet."""
        n = len(self.ids)
        fresh = np.flatnonzero((self.status[:n] == LISTED) & (self.interactions[:n] == 0))
        order = np.argsort(self.listed_at[fresh], kind="stable")[-keep:]
        self.new_arrivals = dict.fromkeys(fresh[order].tolist())

    def latest_arrivals(self, n: int) -> np.ndarray:
        """The n most recently listed items nobody has touched yet."""
        return np.fromiter(islice(reversed(self.new_arrivals), n), dtype=np.int64)

    def matching(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Items whose title, category or brand has words starting with the query's words:
        their indices, and their scores (the share of the query's words each one matches, see
        `TextIndex.find`)."""
        return self.text.find(search_words(query), len(self.ids), self._search_line)

    def _search_line(self, index: int) -> str:
        code = int(self.category[index])
        category = self.category_names[code] if code >= 0 else None
        return " ".join(p for p in (self.titles[index], category, self.brands[index]) if p)

    def _text_changed(self, index: int) -> None:
        if index < self.text.covered:
            self.text.reset()

    def delist(self, item_id: str) -> None:
        index = self.ensure(item_id)
        self.status[index] = DELISTED
        self.new_arrivals.pop(index, None)
        self.has_listings = True

    def sell(self, index: int, quantity: int, at_us: int) -> None:
        """A purchase lowers the item's stock by the stock rule (`domain.stock.sold_down`), as
        the catalogue projection does."""
        listed = self.status[index] == LISTED
        left = sold_down(self._stock(index), self._stock_at(index), listed, at_us, quantity)
        if left is not None:
            self.stock[index] = left

    def _stock(self, index: int) -> int | None:
        stock = int(self.stock[index])
        return None if stock == NO_STOCK else stock

    def _stock_at(self, index: int) -> int | None:
        stated = int(self.stock_at[index])
        return None if stated == NO_TIME else stated

    def see(self, item_id: str, category: str | None) -> int:
        """An item an interaction names; one without a category takes the one it came with
        (as the catalogue projection does)."""
        index = self.index.get(item_id)
        if index is None:
            index = self.ensure(item_id)
        if category and self.category[index] < 0:
            self._set_group("category", index, category)
        return index

    # --- popularity -------------------------------------------------------------------------

    def add_popularity(self, index: int, weight: float, at_us: int) -> None:
        value = add_decayed(float(self.popularity[index]), weight, at_us / 1e6)
        self.popularity[index] = value
        self.interactions[index] += 1
        for kind, codes in (("category", self.category), ("brand", self.brand)):
            self._group_notes.pop((kind, int(self._groups[kind][codes[index]])), None)
        self.new_arrivals.pop(index, None)
        self.top.bump(index, value)

    def set_popularity(self, indices: Iterable[int], values: Iterable[float], counts: Iterable[int]) -> None:
        idx = np.fromiter(indices, dtype=np.int64)
        self.popularity[idx] = np.fromiter(values, dtype=np.float64, count=len(idx))
        self.interactions[idx] = np.fromiter(counts, dtype=np.int64, count=len(idx))
        self._group_notes.clear()
        self.rebuild_top()

    def rebuild_top(self) -> None:
        n = len(self.ids)
        self.top = TopSet(self.top.size)
        if n == 0:
            return
        values = self.popularity[:n]
        take = min(n, 2 * self.top.size)
        best = np.argpartition(-values, take - 1)[:take] if take < n else np.arange(n)
        for index in best.tolist():
            if values[index] > -np.inf:
                self.top.bump(index, float(values[index]))
        self.top.threshold = float(values[best].min()) if take < n else -math.inf

    def most_popular(self, count: int) -> list[int]:
        """Up to `count` items with any popularity, most popular first."""
        n = len(self.ids)
        values = self.popularity[:n]
        best = np.argpartition(-values, count - 1)[:count] if count < n else np.arange(n)
        best = best[np.argsort(-values[best], kind="stable")]
        return best[values[best] > -np.inf].tolist()

    def decayed(self, indices: np.ndarray, now_us: int) -> np.ndarray:
        return np.exp(self.popularity[indices] - now_us / 1e6 / POPULARITY_TAU_S)

    # --- availability -----------------------------------------------------------------------

    def available(self, indices: np.ndarray) -> np.ndarray:
        """Listed (or, in a shop that lists nothing, seen in interactions), and not out of stock
        (stock 0); unknown stock counts as in stock."""
        status = self.status[indices]
        offered = status == LISTED if self.has_listings else status != DELISTED
        return offered & (self.stock[indices] != 0)

    def title(self, index: int) -> str:
        """The item's title as reasons name it; an item with none, or one that shows nothing
        (spaces, zero-width spaces), by its id."""
        return item_name(self.titles[index], self.ids[index])

    def category_name(self, index: int) -> str | None:
        code = int(self.category[index])
        return self.category_names[code] if code >= 0 else None

    def in_categories(self, indices: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Whether each item's category is one of `codes`: np.isin's answer, read from a table
        of the codes (a fifth of its time on a list's candidates)."""
        table = np.zeros(len(self.category_names) + 1, dtype=bool)  # the last one: -1, none
        table[codes] = True
        return table[self.category[indices]]

    def categories_under(self, name: str) -> np.ndarray:
        """Codes of the category `name` and every category below it: "Toys" holds
        "Toys/Building Sets" (levels split at "/" or ">"), and case does not matter."""
        known = len(self.category_names)
        cached = self._under.get(name)
        if cached is None or cached[0] != known:
            if len(self._under) >= 1_000:  # names asked for are few; this bounds odd ones
                self._under.clear()
            wanted = category_path(name)
            codes = [code for code, category in enumerate(self.category_names) if is_under(category, wanted)]
            cached = self._under[name] = (known, np.asarray(codes, dtype=np.int32))
        return cached[1]
