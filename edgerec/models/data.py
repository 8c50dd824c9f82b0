"""In-memory training data for models: index-encoded interactions, histories and item features."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: Item event types in a fixed order; the code of an event is its index here (0 is padding).
EVENT_TYPES: tuple[str, ...] = (
    "item_viewed",
    "added_to_cart",
    "purchased",
    "rated",
    "item_favourited",
    "removed_from_cart",
)


def event_code(name: str) -> int:
    """Return the 1-based code of an item event type (0 is reserved for padding)."""
    return EVENT_TYPES.index(name) + 1


@dataclass(frozen=True)
class EventWeights:
    """Implicit-feedback confidence by event type, and a recency half-life (None: no decay)."""

    item_viewed: float = 1.0
    added_to_cart: float = 2.0
    purchased: float = 3.0
    rated: float = 1.0
    item_favourited: float = 2.0
    removed_from_cart: float = 0.0
    half_life_days: float | None = None

    def by_code(self) -> np.ndarray:
        """Weights indexed by event code (index 0, padding, weighs nothing)."""
        return np.array([0.0] + [float(getattr(self, n)) for n in EVENT_TYPES], dtype=np.float32)

    def of(self, events: np.ndarray, times: np.ndarray, now: int | None = None) -> np.ndarray:
        """Per-interaction weight: event weight times exp-decay on age (times in microseconds)."""
        w = self.by_code()[events]
        if self.half_life_days is not None and len(times):
            ref = int(times.max()) if now is None else now
            age_days = (ref - times).astype(np.float64) / 86_400e6
            w = w * np.power(0.5, age_days / self.half_life_days).astype(np.float32)
        return w.astype(np.float32)


@dataclass(frozen=True)
class History:
    """One user's (or session's) interactions in log order, as item indices with event codes."""

    items: np.ndarray
    events: np.ndarray | None = None
    times: np.ndarray | None = None
    store: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", np.asarray(self.items, dtype=np.int64))
        if self.events is None:
            object.__setattr__(self, "events", np.full(len(self.items), 1, dtype=np.int64))
        if self.times is None:
            object.__setattr__(self, "times", np.zeros(len(self.items), dtype=np.int64))


@dataclass(frozen=True)
class Interactions:
    """Interaction log encoded against fixed item/user vocabularies, sorted by log position."""

    item_ids: tuple[str, ...]
    user_ids: tuple[str, ...]
    user: np.ndarray
    item: np.ndarray
    event: np.ndarray
    time: np.ndarray
    position: np.ndarray
    store: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: Per item, whether a catalogue lists it (None: every item). An item only the log names is
    #: known through its events alone; an evaluation ranks it only once it has trained on one.
    listed: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.user)
        for name in ("user", "item", "event", "time", "position"):
            arr = np.asarray(getattr(self, name), dtype=np.int64)
            if len(arr) != n:
                raise ValueError(f"{name} has {len(arr)} rows, expected {n}")
            object.__setattr__(self, name, arr)
        if len(self.store) != n:
            object.__setattr__(self, "store", np.zeros(n, dtype=np.int64))
        order = np.argsort(self.position, kind="stable")
        if n and not np.all(order == np.arange(n)):
            for name in ("user", "item", "event", "time", "position", "store"):
                object.__setattr__(self, name, getattr(self, name)[order])

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    def __len__(self) -> int:
        return len(self.user)

    @property
    def last_position(self) -> int:
        return int(self.position.max()) if len(self.position) else -1

    def select(self, mask: np.ndarray) -> Interactions:
        """The rows where mask is true, with the same vocabularies."""
        return Interactions(
            item_ids=self.item_ids,
            user_ids=self.user_ids,
            user=self.user[mask],
            item=self.item[mask],
            event=self.event[mask],
            time=self.time[mask],
            position=self.position[mask],
            store=self.store[mask],
            listed=self.listed,
        )

    def concat(self, other: Interactions) -> Interactions:
        """This log followed by other (same vocabularies), re-sorted by position."""
        if other.item_ids != self.item_ids or other.user_ids != self.user_ids:
            raise ValueError("vocabularies differ")
        return Interactions(
            item_ids=self.item_ids,
            user_ids=self.user_ids,
            user=np.concatenate([self.user, other.user]),
            item=np.concatenate([self.item, other.item]),
            event=np.concatenate([self.event, other.event]),
            time=np.concatenate([self.time, other.time]),
            position=np.concatenate([self.position, other.position]),
            store=np.concatenate([self.store, other.store]),
            listed=self.listed,
        )

    def time_order(self, *, by_user: bool = True) -> np.ndarray:
        """Row indices in time order, each user's rows together where by_user.

        Events of the same moment are ordered by a hash of their user and item, not by log
        position: a file gives such ties an order of its own (MovieLens' ratings.csv, by film
        id, made the last of a burst of ratings the film with the highest id), which must not
        decide a split or a history. One user's events of one item at one moment keep log order.
        """
        tie = _id_hashes(self.item_ids)[self.item] * np.uint64(0x9E3779B1)
        tie ^= _id_hashes(self.user_ids)[self.user]
        keys = (self.position, tie, self.time) + ((self.user,) if by_user else ())
        return np.lexsort(keys)

    def histories(self) -> dict[int, History]:
        """Each user's history in time order (ties as `time_order` breaks them)."""
        order = self.time_order()
        users = self.user[order]
        bounds = np.flatnonzero(np.diff(users)) + 1
        out: dict[int, History] = {}
        for chunk in np.split(order, bounds):
            if len(chunk):
                out[int(self.user[chunk[0]])] = History(
                    items=self.item[chunk],
                    events=self.event[chunk],
                    times=self.time[chunk],
                    store=int(self.store[chunk[-1]]),
                )
        return out


def _id_hashes(ids: Sequence[str]) -> np.ndarray:
    """A hash of each id that does not depend on the order ids were met in."""
    return np.fromiter((zlib.crc32(i.encode()) for i in ids), dtype=np.uint64, count=len(ids))


@dataclass(frozen=True)
class ItemFeatures:
    """Hashed content tokens per item in CSR form (offsets into tokens), plus the hash size."""

    offsets: np.ndarray
    tokens: np.ndarray
    n_buckets: int

    @property
    def n_items(self) -> int:
        return len(self.offsets) - 1

    def of(self, item: int) -> np.ndarray:
        return self.tokens[self.offsets[item] : self.offsets[item + 1]]

    def has_content(self) -> np.ndarray:
        """Boolean per item: does it have at least one token."""
        return np.diff(self.offsets) > 0

    @staticmethod
    def from_token_lists(lists: Sequence[Sequence[int]], n_buckets: int) -> ItemFeatures:
        lengths = np.array([len(t) for t in lists], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        flat = [t for ts in lists for t in ts]
        tokens = np.asarray(flat, dtype=np.int64) if flat else np.zeros(0, dtype=np.int64)
        return ItemFeatures(offsets=offsets, tokens=tokens, n_buckets=n_buckets)
