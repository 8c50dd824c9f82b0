"""Live customer state: each user's items, sessions, carts, co-occurrence and context popularity.

`LiveState.apply` folds one log event into memory with the same rules as the projections
(edgerec.projections.activity), so that state loaded from the projection tables and state
built from events agree.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from edgerec.domain import EventType
from edgerec.domain.signals import (
    DEFAULT_EVENT_WEIGHTS,
    RECENT_ITEMS_PER_SESSION,
    SESSION_GAP_S,
    RatingScale,
    add_term,
    decayed_term,
)
from edgerec.projections import session_id_for
from edgerec.recommend.catalogue import Catalogue, TopSet
from edgerec.recommend.shop_time import LOCAL, ShopClock
from edgerec.store.codec import StoredEvent

GAP_US = SESSION_GAP_S * 1_000_000
SESSION_RECENT = 20
_COUNTED = frozenset(
    {
        EventType.ITEM_VIEWED,
        EventType.ADDED_TO_CART,
        EventType.PURCHASED,
        EventType.ITEM_FAVOURITED,
        EventType.RATED,
    }
)
_ITEM_EVENTS = _COUNTED | {EventType.REMOVED_FROM_CART}
_PAIRING = _COUNTED


class Trace:
    """One customer's dealings with one item."""

    __slots__ = ("views", "carts", "purchases", "favourites", "rating", "last_type", "last_at", "first_at")

    def __init__(self, at: int) -> None:
        self.views = self.carts = self.purchases = self.favourites = 0
        self.rating: float | None = None  # the customer's latest rating of the item
        self.last_type = ""
        self.last_at = at
        self.first_at = at

    @property
    def intent(self) -> float:
        """Interactions weighted like the popularity signal (a purchase says most)."""
        w = DEFAULT_EVENT_WEIGHTS
        return (
            self.views * w[EventType.ITEM_VIEWED]
            + self.carts * w[EventType.ADDED_TO_CART]
            + self.purchases * w[EventType.PURCHASED]
            + self.favourites * w[EventType.ITEM_FAVOURITED]
        )


@dataclass(slots=True)
class UserState:
    items: dict[int, Trace] = field(default_factory=dict)  # oldest touch first
    cart: dict[int, int] = field(default_factory=dict)  # item -> quantity
    purchased: dict[int, int] = field(default_factory=dict)  # item -> last purchase time
    last_session: str | None = None
    last_at: int = 0

    def recent(self, n: int, ratings: RatingScale | None = None) -> list[int]:
        """Items by last touch, most recent first; with a scale, not those rated as a dislike."""
        found = reversed(self.items)
        if ratings is not None:
            found = (i for i in found if not disliked(self.items[i], ratings))
        return list(islice(found, n))

    def dislikes(self, ratings: RatingScale) -> list[int]:
        """The items whose latest rating by the customer is a dislike on the scale."""
        if ratings.high <= ratings.low:  # no scale yet (no ratings): nothing is a dislike
            return []
        return [i for i, trace in self.items.items() if trace.rating is not None and disliked(trace, ratings)]


def disliked(trace: Trace, ratings: RatingScale) -> bool:
    """Whether the customer's latest rating of the item weighs nothing on the scale: their
    other dealings with it do not make it one to build on."""
    return trace.rating is not None and ratings.weight(trace.rating) == 0.0


@dataclass(slots=True)
class SessionState:
    store_id: str | None = None
    recent: dict[int, int] = field(default_factory=dict)  # item -> last touch, oldest first
    paired: list[int] = field(default_factory=list)  # as the projection's recent_items
    query: str | None = None  # the latest search, as in the session_searches projection
    query_at: int = 0
    searcher: str | None = None  # the customer who searched (a session id can be shared)

    def latest(self, n: int) -> list[int]:
        return list(islice(reversed(self.recent), n))

    def touch(self, item: int, at: int) -> None:
        """The item's latest touch in the session; a late event's item keeps its place in time."""
        recent = self.recent
        if item in recent and recent[item] > at:
            return
        recent.pop(item, None)
        newest = recent[next(reversed(recent))] if recent else at
        recent[item] = at
        if at < newest:
            self.recent = dict(sorted(recent.items(), key=lambda pair: pair[1]))
        if len(self.recent) > SESSION_RECENT:
            self.recent.pop(next(iter(self.recent)))

    def search(self, query: str, at: int, user_id: str | None) -> None:
        self.query, self.query_at, self.searcher = query, at, user_id


class Neighbours:
    """Co-occurrence counts of the items whose neighbour lists are held in memory.

    With `complete` (no database behind the recommender) every item's list is held; otherwise
    only lists loaded from the projection are, and counts for the others stay in the table.
    """

    def __init__(self, limit: int, *, complete: bool) -> None:
        self.limit = limit
        self.complete = complete
        self.counts: dict[int, dict[int, int]] = {}
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def loaded(self, item: int) -> bool:
        return self.complete or item in self.counts

    def put(self, item: int, row: dict[int, int]) -> None:
        self.counts[item] = row
        self._arrays.pop(item, None)

    def drop(self, item: int) -> None:
        self.counts.pop(item, None)
        self._arrays.pop(item, None)

    def drop_all(self) -> None:
        """Drops every list loaded (each is loaded again when next needed)."""
        if not self.complete:
            self.counts.clear()
            self._arrays.clear()

    def add(self, a: int, b: int, count: int = 1) -> None:
        row = self.counts.get(a)
        if row is None:
            if not self.complete:
                return
            row = self.counts[a] = {}
        row[b] = row.get(b, 0) + count
        self._arrays.pop(a, None)
        if len(row) > 2 * self.limit:
            if not self.complete:
                # Trimmed in place, a dropped neighbour seen again would count from 1 while the
                # projection keeps its true count: the next use reloads the row from there.
                self.drop(a)
                return
            kept = sorted(row.items(), key=lambda kv: kv[1], reverse=True)[: self.limit]
            self.counts[a] = dict(kept)

    def get(self, item: int) -> dict[int, int]:
        return self.counts.get(item, {})

    def arrays(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """Neighbour indices and counts as arrays, cached until the row changes."""
        cached = self._arrays.get(item)
        if cached is None:
            row = self.counts.get(item, {})
            cached = (
                np.fromiter(row.keys(), np.int64, len(row)),
                np.fromiter(row.values(), np.float64, len(row)),
            )
            self._arrays[item] = cached
        return cached


# Each day of the week counts as if this much more weight (fifty views) had come on it in the
# store's mix of the whole week: a quiet Saturday's few events move the hour's list little, a
# busy one's much, and a shop with little data keeps its hour's list nearly as it was.
DAY_PRIOR_WEIGHT = 50.0
# An item first counted at a store less than this long ago has not had every day of the week
# there yet: a day it has not had is no sign that it sells less on that day.
WEEK_US = 7 * 86_400 * 1_000_000


class ContextPopularity:
    """Decayed popularity per (store, hour of day) and per store and day of the week, in the
    shop's time zone, kept only in memory.

    The list for an hour of a day is the hour's (every day's events at that hour), each item's
    value multiplied by its lift on that day (`day_lifts`): a day does not split the hour's data
    seven ways, and where days do not differ (all events on one day, or none on this one) the
    hour's list is as it was. The days are plain sums, not decayed: a weekly habit shows over
    weeks, which a popularity that halves every three days forgets, and today's events would
    make today's share of the week look larger than it is.
    """

    def __init__(self, timezone: str = LOCAL, top_size: int = 200) -> None:
        self.clock = ShopClock(timezone)
        self.top_size = top_size
        self.values: dict[tuple[str | None, int], dict[int, float]] = {}
        # The weight of each item's events at the store and hour, not decayed (`hour_weight`).
        self.weights: dict[tuple[str | None, int], dict[int, float]] = {}
        self.tops: dict[tuple[str | None, int], TopSet] = {}
        self.days: dict[str | None, DayCounts] = {}  # per store
        # Every store an event named, one of no item too (a kiosk's session starts, searches).
        self.stores: set[str] = set()

    def hour(self, at_us: int) -> int:
        return self.clock.hour(at_us)

    def weekday(self, at_us: int) -> int:
        return self.clock.weekday(at_us)

    def add(self, store_id: str | None, item: int, weight: float, at_us: int) -> None:
        hour, weekday = self.hour(at_us), self.weekday(at_us)
        term = decayed_term(weight, at_us / 1e6)
        for store in (store_id, None) if store_id else (None,):
            self._count((store, hour), ((item, weight, term),))
            self._days(store).add(item, weekday, weight, at_us)

    def add_many(
        self,
        store_ids: Sequence[str | None],
        items: Sequence[int],
        weights: Sequence[float],
        at_us: Sequence[int],
    ) -> None:
        """Adds these events, oldest first, as `add` would one at a time, to the last bit (each
        item's decayed value is still summed event by event, in their order), at a fraction of
        the cost: a restarted recommender's warm-up adds a week of them.

        >>> one, many = ContextPopularity("UTC"), ContextPopularity("UTC")
        >>> log = [("A", 1, 1.0, 1_775_908_800_000_000), (None, 2, 5.0, 1_775_563_200_000_000)]
        >>> for event in log:
        ...     one.add(*event)
        >>> many.add_many(*zip(*log))
        >>> (many.values, many.weights) == (one.values, one.weights)
        True
        """
        if not len(items):
            return
        times = np.asarray(at_us, dtype=np.int64)
        hours, weekdays = self.clock.hours_and_weekdays(times)
        indices, weighed = np.asarray(items, dtype=np.int64), np.asarray(weights, dtype=np.float64)
        terms = np.array([decayed_term(weight, at / 1e6) for weight, at in zip(weights, at_us, strict=True)])
        # Each event counts at its store (a code of `stores`), then at all of them (the last
        # code), as `add` counts it: `counted` holds each count's event, `store_of` its store.
        codes: dict[str, int] = {}
        named = np.fromiter(
            (codes.setdefault(s, len(codes)) if s else -1 for s in store_ids), np.int64, len(times)
        )
        stores: list[str | None] = [*codes, None]
        counts = np.where(named >= 0, 2, 1)
        counted = np.repeat(np.arange(len(times)), counts)
        store_of = np.full(len(counted), len(codes))
        store_of[(np.cumsum(counts) - counts)[named >= 0]] = named[named >= 0]
        for key, at in _met_in_order(store_of * 24 + hours[counted]):
            rows, store = counted[at], stores[key // 24]
            events = zip(indices[rows].tolist(), weighed[rows].tolist(), terms[rows].tolist(), strict=True)
            self._count((store, key % 24), events)
            self._days(store)
        for code, store in enumerate(stores):
            rows = counted[store_of == code]
            if len(rows):
                self.days[store].add_many(indices[rows], weekdays[rows], weighed[rows], times[rows])

    def _count(self, key: tuple[str | None, int], events: Iterable[tuple[int, float, float]]) -> None:
        """Adds events, each an item, its weight and its `decayed_term`, to one store's hour."""
        values = self.values.setdefault(key, {})
        totals = self.weights.setdefault(key, {})
        top = self.tops.get(key)
        if top is None:
            top = self.tops[key] = TopSet(self.top_size)
        for item, weight, term in events:
            value = values[item] = add_term(values.get(item, -math.inf), term)
            totals[item] = totals.get(item, 0.0) + weight
            top.bump(item, value)

    def _days(self, store: str | None) -> DayCounts:
        days = self.days.get(store)
        if days is None:
            days = self.days[store] = DayCounts()
        return days

    def ranked(self, store_id: str | None, hour: int) -> list[int]:
        """The hour's most popular items, every day's events at that hour counted."""
        top = self.tops.get((store_id, hour))
        return top.ranked() if top is not None else []

    def weight(self, store_id: str | None, item: int, weekday: int | None = None) -> float:
        """The weight of the item's events at the store (on this day of the week only, where
        given), not decayed: every week's since the recommender started."""
        days = self.days.get(store_id)
        if days is None or item >= len(days.weeks):
            return 0.0
        return float(days.weeks[item].sum() if weekday is None else days.weeks[item, weekday])

    def hour_weight(self, store_id: str | None, hour: int, item: int) -> float:
        """The weight of the item's events at the store at this hour of the day (every day's),
        not decayed: what says whether it is popular there at that hour, rather than at others."""
        return self.weights.get((store_id, hour), {}).get(item, 0.0)

    def day_lifts(self, store_id: str | None, weekday: int, items: list[int], now_us: int) -> np.ndarray:
        """Each item's lift on this day of the week: its share of the store's events on the day
        over its share of them in the whole week (2: twice as big a part of Saturdays as of the
        week), the day's counted with `DAY_PRIOR_WEIGHT` more in the week's mix. 1 for every
        item where the store has nothing on this day, or nothing on any other, and for an item
        first counted at the store less than a week before `now_us` (one launched on a Monday
        has had no Saturday yet). Each item must have been added at this store.

        >>> ctx = ContextPopularity("UTC")
        >>> saturday, tuesday = 1_775_908_800_000_000, 1_775_563_200_000_000  # 2026-04-11, -04-07
        >>> for n in range(100):
        ...     ctx.add("A", 1, 1.0, saturday if n % 2 else tuesday)
        ...     ctx.add("A", 2, 1.0, tuesday)
        >>> later = saturday + WEEK_US
        >>> ctx.day_lifts("A", 5, [1, 2], later).tolist()  # Saturdays: all 1's, 2 and 0 without 50
        [1.5, 0.5]
        >>> ctx.day_lifts("A", 6, [1, 2], later).tolist()  # no Sunday yet
        [1.0, 1.0]
        >>> ctx.day_lifts("A", 5, [1, 2], saturday).tolist()  # both first counted on the Tuesday
        [1.0, 1.0]
        """
        days = self.days.get(store_id)
        if days is None:
            return np.ones(len(items))
        store, whole = days.store[weekday], days.store.sum()
        if store in (0.0, whole):  # nothing on the day, or on no other
            return np.ones(len(items))
        rows = np.asarray(items, dtype=np.int64)
        week = days.weeks[rows]
        overall = week.sum(axis=1) / whole
        on_day = (week[:, weekday] + DAY_PRIOR_WEIGHT * overall) / (store + DAY_PRIOR_WEIGHT)
        return np.where(days.first_at[rows] > now_us - WEEK_US, 1.0, on_day / overall)


def _met_in_order(keys: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Each distinct key with where it comes in `keys`, in order; the keys in the order met."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    groups = np.split(order, np.flatnonzero(ordered[1:] != ordered[:-1]) + 1)
    groups.sort(key=lambda at: int(at[0]))
    return [(int(keys[at[0]]), at) for at in groups]


class DayCounts:
    """One store's weight of events on each day of the week (Monday first), per item (a row per
    catalogue index, grown as items arrive) and in all, and when each item was first counted:
    arrays, so that weighing the hour's list of 200 items takes one indexing, not 200 lookups."""

    __slots__ = ("weeks", "store", "first_at")

    def __init__(self) -> None:
        self.weeks = np.zeros((0, 7))
        self.store = np.zeros(7)
        self.first_at = np.zeros(0, dtype=np.int64)

    def add(self, item: int, weekday: int, weight: float, at_us: int) -> None:
        if item >= len(self.first_at):
            self._grow(item)
        self.weeks[item, weekday] += weight
        self.store[weekday] += weight
        if at_us < self.first_at[item]:
            self.first_at[item] = at_us

    def add_many(
        self, items: np.ndarray, weekdays: np.ndarray, weights: np.ndarray, at_us: np.ndarray
    ) -> None:
        """`add` of each event in turn, the arrays grown as it would grow them."""
        highest = np.maximum.accumulate(items)
        for item in np.unique(highest[highest >= len(self.first_at)]).tolist():
            if item >= len(self.first_at):
                self._grow(item)
        np.add.at(self.weeks, (items, weekdays), weights)
        np.add.at(self.store, weekdays, weights)
        np.minimum.at(self.first_at, items, at_us)

    def _grow(self, item: int) -> None:
        size = max(item + 1, 2 * len(self.first_at), 1024)
        self.weeks = np.concatenate([self.weeks, np.zeros((size - len(self.weeks), 7))])
        never = np.full(size - len(self.first_at), np.iinfo(np.int64).max, dtype=np.int64)
        self.first_at = np.concatenate([self.first_at, never])


class LiveState:
    """Users, sessions and neighbours; `apply` folds one event in."""

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        history_items: int,
        neighbours: int,
        complete: bool,
        timezone: str = LOCAL,
    ) -> None:
        self.catalogue = catalogue
        self.history_items = history_items
        # Least recently used first (see `used` and `keep_within`).
        self.users: OrderedDict[str, UserState] = OrderedDict()
        self.sessions: OrderedDict[str, SessionState] = OrderedDict()
        self.neighbours = Neighbours(neighbours, complete=complete)
        self.context = ContextPopularity(timezone)
        self.ratings = RatingScale()  # every rating's, whoever gave it
        # Whether every item touch seen is a rating (a store of ratings, as MovieLens imports):
        # co-occurrence then counts ratings, not views.
        self.rated_only = True
        # False: co-occurrence and popularity stay as they are (a frozen model's evaluation);
        # each customer's own items, sessions and cart still follow their events.
        self.learning = True

    def used(self, user_id: str | None, session_id: str | None) -> None:
        """Marks the customer and session held in memory as the most recently used."""
        if user_id is not None and user_id in self.users:
            self.users.move_to_end(user_id)
        if session_id is not None and session_id in self.sessions:
            self.sessions.move_to_end(session_id)

    def keep_within(self, limit: int) -> None:
        """Drops the least recently used customers and sessions beyond `limit` of each. Only for
        memory that caches a store: the store keeps them, and they are loaded again on return."""
        for held in (self.users, self.sessions):
            while len(held) > limit:
                held.popitem(last=False)

    def session_for(self, event: StoredEvent) -> str | None:
        """The session the store would give an event without one (30 minutes of inactivity, or
        a session started or ended: see `projections.activity.assign_sessions`)."""
        if event.session_id is not None or event.user_id is None:
            return event.session_id
        user = self.users.get(event.user_id)
        if (
            event.type != EventType.SESSION_STARTED
            and user is not None
            and user.last_session
            and abs(event.occurred_at - user.last_at) <= GAP_US
        ):
            return user.last_session
        return session_id_for(event.user_id, event.occurred_at)

    def late(self, event: StoredEvent) -> bool:
        """Whether the event is older than its customer's latest (the store then looks for the
        earlier session it falls in, which memory may not hold)."""
        user = self.users.get(event.user_id or "")
        return user is not None and event.occurred_at < user.last_at

    def apply(
        self, event: StoredEvent, *, catalogue_too: bool = True, pairs: list[tuple[int, int]] | None = None
    ) -> None:
        """Folds one event into memory; users and sessions not held in memory are skipped."""
        if event.store_id:
            self.context.stores.add(event.store_id)
        kind = event.type
        payload = event.payload or {}
        cat = self.catalogue
        if kind in (EventType.ITEM_LISTED, EventType.ITEM_UPDATED):
            if catalogue_too:
                listing = kind == EventType.ITEM_LISTED
                cat.apply_listing(
                    event.item_id or "",
                    payload,
                    status="listed" if listing else None,
                    at_us=event.occurred_at,
                    full=kind == EventType.ITEM_LISTED,
                )
            return
        if kind == EventType.ITEM_DELISTED:
            if catalogue_too:
                cat.delist(event.item_id or "")
            return
        item = cat.see(event.item_id, payload.get("category")) if event.item_id else None
        if item is not None and kind == EventType.PURCHASED and catalogue_too:
            cat.sell(item, int(payload.get("quantity", 1)), event.occurred_at)
        if kind == EventType.RATED and "value" in payload:
            self.ratings.see(float(payload["value"]))
        elif kind in _PAIRING:
            self.rated_only = False
        if item is not None and kind in _COUNTED and self.learning:
            weight = DEFAULT_EVENT_WEIGHTS[kind]
            if catalogue_too:
                cat.add_popularity(item, weight, event.occurred_at)
            self.context.add(event.store_id, item, weight, event.occurred_at)
        if event.user_id is None:
            return
        session = self.sessions.get(event.session_id) if event.session_id else None
        if session is not None and kind == EventType.SEARCHED:
            session.search(str(payload.get("query", "")), event.occurred_at, event.user_id)
        if session is not None and item is not None:
            if kind in _PAIRING:
                self._pair(session, item, pairs)
            # Taking an item of the session out of the cart touches it too, as the read model
            # (each customer's latest touch of each item) has it after a restart: an item among
            # the session's items the read model keeps, whose latest touch a restart reads.
            if kind in _PAIRING or (kind == EventType.REMOVED_FROM_CART and item in session.paired):
                session.touch(item, event.occurred_at)
        user = self.users.get(event.user_id)
        if user is None:
            return
        if event.occurred_at >= user.last_at:  # a late event leaves the current session current
            user.last_session = (
                None if kind == EventType.SESSION_ENDED else event.session_id or user.last_session
            )
            user.last_at = event.occurred_at
        if item is not None and kind in _ITEM_EVENTS:
            self._trace(user, item, kind, event)

    def _pair(self, session: SessionState, item: int, pairs: list[tuple[int, int]] | None) -> None:
        if item in session.paired:
            return
        for other in session.paired if self.learning else ():
            self.neighbours.add(item, other)
            self.neighbours.add(other, item)
            if pairs is not None:
                pairs.append((item, other))
        session.paired.append(item)
        if len(session.paired) > RECENT_ITEMS_PER_SESSION:
            del session.paired[0]

    def _trace(self, user: UserState, item: int, kind: str, event: StoredEvent) -> None:
        at = event.occurred_at
        items = user.items
        trace = items.get(item)
        latest = trace is None or at >= trace.last_at
        if latest:  # the item's latest touch: it moves to the end
            newest_at = items[next(reversed(items))].last_at if items else at
            trace = items.pop(item, None) or Trace(at)
            items[item] = trace
            trace.last_type, trace.last_at = kind, at
            if at < newest_at:  # a late event, older than another item's touch: time order again
                user.items = dict(sorted(items.items(), key=lambda pair: pair[1].last_at))
        if len(user.items) > self.history_items:
            user.items.pop(next(iter(user.items)))
        quantity = int((event.payload or {}).get("quantity", 1))
        if kind == EventType.ITEM_VIEWED:
            trace.views += 1
        elif kind == EventType.ADDED_TO_CART:
            trace.carts += 1
            user.cart[item] = user.cart.get(item, 0) + quantity
        elif kind == EventType.REMOVED_FROM_CART:
            _take(user.cart, item, quantity)
        elif kind == EventType.PURCHASED:
            trace.purchases += 1
            user.purchased[item] = max(user.purchased.get(item, at), at)
            _take(user.cart, item, quantity)
        elif kind == EventType.ITEM_FAVOURITED:
            trace.favourites += 1
        elif kind == EventType.RATED and "value" in (event.payload or {}):
            trace.rating = float(event.payload["value"])  # the latest logged, as the projection
        if latest and item in user.cart:  # the cart, too, in the order of each item's latest touch
            user.cart[item] = user.cart.pop(item)

    def new_user(self, user_id: str) -> UserState:
        return self.users.setdefault(user_id, UserState())

    def new_session(self, session_id: str, store_id: str | None = None) -> SessionState:
        return self.sessions.setdefault(session_id, SessionState(store_id=store_id))

    def iter_users(self) -> Iterator[tuple[str, UserState]]:
        return iter(self.users.items())


def _take(cart: dict[int, int], item: int, quantity: int) -> None:
    left = cart.get(item, 0) - quantity
    if left > 0:
        cart[item] = left
    else:
        cart.pop(item, None)


def trace_from_row(row: dict[str, Any]) -> Trace:
    trace = Trace(int(row["last_at"]))
    trace.views = int(row["views"])
    trace.carts = int(row["carts"])
    trace.purchases = int(row["purchases"])
    trace.favourites = int(row["favourites"])
    trace.rating = None if row.get("rating") is None else float(row["rating"])
    trace.last_type = str(row["last_type"])
    return trace
