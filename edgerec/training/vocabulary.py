"""Turns log events into training examples: id maps that grow, item content, recent items."""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgerec.domain import EventType
from edgerec.domain.signals import DEFAULT_EVENT_WEIGHTS, RatingScale
from edgerec.models.features import ItemContent, tokens_of
from edgerec.store.codec import StoredEvent

_CATALOGUE = {EventType.ITEM_LISTED, EventType.ITEM_UPDATED}
_CONTENT_FIELDS = ("title", "category", "brand", "price", "description", "attributes")
# Category path and brand come first in an item's tokens; long titles add little beyond this.
MAX_TOKENS = 16
_NO_TOKENS = np.zeros(0, np.int64)


@dataclass(slots=True)
class Examples:
    """A batch of training examples in time order (ties in log order)."""

    users: np.ndarray  # [n] user index
    items: np.ndarray  # [n] item index
    weights: np.ndarray  # [n] event weight
    context: np.ndarray  # [n, L] recent item indices before the event, -1 = none
    positions: np.ndarray  # [n] log position of each example

    def __len__(self) -> int:
        return len(self.users)

    @staticmethod
    def empty(context_items: int) -> Examples:
        return Examples(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.float32),
            np.full((0, context_items), -1, np.int64),
            np.zeros(0, np.int64),
        )

    def select(self, index: np.ndarray) -> Examples:
        return Examples(
            self.users[index],
            self.items[index],
            self.weights[index],
            self.context[index],
            self.positions[index],
        )

    @staticmethod
    def concat(parts: Iterable[Examples], context_items: int) -> Examples:
        parts = [p for p in parts if len(p)]
        if not parts:
            return Examples.empty(context_items)
        return Examples(
            np.concatenate([p.users for p in parts]),
            np.concatenate([p.items for p in parts]),
            np.concatenate([p.weights for p in parts]),
            np.concatenate([p.context for p in parts]),
            np.concatenate([p.positions for p in parts]),
        )


@dataclass(slots=True)
class Vocabulary:
    """Everything the trainer remembers about ids; saved in its checkpoints."""

    context_items: int
    token_buckets: int
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    item_ids: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    item_index: dict[str, int] = field(default_factory=dict)
    user_index: dict[str, int] = field(default_factory=dict)
    item_content: list[dict[str, Any]] = field(default_factory=list)
    recent: dict[int, deque[int]] = field(default_factory=dict)
    # The ratings' scale so far: a rating weighs by its place on it, a dislike nothing.
    ratings: RatingScale = field(default_factory=RatingScale)
    # Every item's content tokens (hashed), one flat table for all items.
    _tokens: _TokenTable = field(default_factory=lambda: _TokenTable(), repr=False, compare=False)

    def item(self, item_id: str) -> int:
        index = self.item_index.get(item_id)
        if index is None:
            index = self.item_index[item_id] = len(self.item_ids)
            self.item_ids.append(item_id)
            self.item_content.append({})
        return index

    def set_tokens(self, flat: np.ndarray, offsets: np.ndarray) -> None:
        """Every item's tokens at once, as token_csr gives them (from a checkpoint)."""
        self._tokens = _TokenTable.from_csr(flat, offsets)

    def user(self, user_id: str) -> int:
        index = self.user_index.get(user_id)
        if index is None:
            index = self.user_index[user_id] = len(self.user_ids)
            self.user_ids.append(user_id)
        return index

    def examples(self, events: Iterable[StoredEvent]) -> Examples:
        """Folds events into the vocabulary and returns the interactions as examples.

        The events are taken by time (ties by log position), as the recommender orders a
        customer's items: a file imported by customer, not by time, gives each event the items
        touched just before it, not those logged before it. Only these events are reordered: an
        event older than the customer's items in an earlier call still follows them.
        """
        users, items, weights, contexts, positions = [], [], [], [], []
        width = self.context_items
        for event in sorted(events, key=lambda e: (e.occurred_at, e.position)):
            if event.type in _CATALOGUE and event.item_id is not None:
                self._describe(self.item(event.item_id), event.payload)
                continue
            weight = self.weights.get(event.type)
            if weight and event.type == EventType.RATED and "value" in event.payload:
                value = float(event.payload["value"])
                self.ratings.see(value)
                weight *= self.ratings.weight(value)
            if not weight or event.user_id is None or event.item_id is None:
                continue
            item = self.item(event.item_id)
            if not self._tokens.has_tokens(item) and event.payload.get("category"):
                self._describe(item, {"category": event.payload["category"]})
            user = self.user(event.user_id)
            recent = self.recent.setdefault(user, deque(maxlen=width))
            context = list(recent)[::-1]
            users.append(user)
            items.append(item)
            weights.append(weight)
            contexts.append(context + [-1] * (width - len(context)))
            positions.append(event.position)
            if not recent or recent[-1] != item:
                recent.append(item)
        if not users:
            return Examples.empty(width)
        return Examples(
            np.asarray(users, np.int64),
            np.asarray(items, np.int64),
            np.asarray(weights, np.float32),
            np.asarray(contexts, np.int64).reshape(len(users), width),
            np.asarray(positions, np.int64),
        )

    def context_of(self, user_id: str | None, extra_items: Iterable[str] = ()) -> list[int]:
        """A customer's recent item indices, most recent first, for scoring."""
        recent: list[int] = []
        if user_id is not None and user_id in self.user_index:
            recent = list(self.recent.get(self.user_index[user_id], ()))[::-1]
        fresh = [self.item_index[i] for i in extra_items if i in self.item_index]
        return (fresh + [i for i in recent if i not in fresh])[: self.context_items]

    def _describe(self, item: int, payload: Mapping[str, Any]) -> None:
        content = self.item_content[item]
        content.update({k: v for k, v in payload.items() if k in _CONTENT_FIELDS and v is not None})
        self._tokens.pending[item] = content_tokens(content, self.token_buckets)

    def token_csr(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat token array and offsets (EmbeddingBag style) for these items."""
        table = self._tokens
        table.update(len(self.item_ids))
        items = np.asarray(items, np.int64)
        lengths = table.lengths[items]
        offsets = np.zeros(len(items), np.int64)
        if not len(items):
            return _NO_TOKENS, offsets
        np.cumsum(lengths[:-1], out=offsets[1:])
        return table.flat[np.repeat(table.starts[items], lengths) + _ranks_within(lengths)], offsets


class _TokenTable:
    """Every item's tokens back to back (`starts`, `lengths` per item). Items described since
    the last `update` wait in `pending`; an item described again gets its tokens appended anew
    (the old ones stay behind until more than half the table is unused)."""

    __slots__ = ("flat", "starts", "lengths", "pending", "unused")

    def __init__(self) -> None:
        self.flat = self.starts = self.lengths = _NO_TOKENS
        self.pending: dict[int, np.ndarray] = {}
        self.unused = 0  # tokens in `flat` that no item points at any more

    @classmethod
    def from_csr(cls, flat: np.ndarray, offsets: np.ndarray) -> _TokenTable:
        table = cls()
        table.flat, table.starts = flat.astype(np.int64), offsets.astype(np.int64)
        table.lengths = np.diff(np.append(table.starts, len(flat)))
        return table

    def has_tokens(self, item: int) -> bool:
        if item in self.pending:
            return len(self.pending[item]) > 0
        return item < len(self.lengths) and bool(self.lengths[item])

    def update(self, items: int) -> None:
        """Brings the table up to `items` items, the pending ones included."""
        known = len(self.starts)
        if known == items and not self.pending:
            return
        redone = sorted(self.pending)
        self.unused += int(self.lengths[[i for i in redone if i < known]].sum())
        grown = np.zeros(items - known, np.int64)
        self.starts = np.concatenate([self.starts, grown])
        self.lengths = np.concatenate([self.lengths, grown])
        arrays = [self.pending.pop(i) for i in redone]
        lengths = np.fromiter((len(a) for a in arrays), np.int64, len(arrays))
        self.starts[redone] = len(self.flat) + np.cumsum(lengths) - lengths
        self.lengths[redone] = lengths
        self.flat = np.concatenate([self.flat, *arrays])
        if self.unused > len(self.flat) // 2:  # compact: every item's tokens once, in item order
            keep = np.repeat(self.starts, self.lengths) + _ranks_within(self.lengths)
            self.flat, self.unused = self.flat[keep], 0
            self.starts = np.cumsum(self.lengths) - self.lengths


def _ranks_within(lengths: np.ndarray) -> np.ndarray:
    """0, 1, .. within each run of the given lengths: [2, 0, 3] -> [0, 1, 0, 1, 2]."""
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - lengths, lengths)


def content_tokens(content: Mapping[str, Any], buckets: int) -> np.ndarray:
    """An item's hashed content tokens (category path and brand first), at most MAX_TOKENS."""
    tokens = tokens_of(ItemContent(**content))[:MAX_TOKENS]
    return np.unique([hash_token(t, buckets) for t in tokens]).astype(np.int64)


def hash_token(token: str, buckets: int) -> int:
    # crc32 is stable across processes (Python's hash() is salted), so checkpoints stay valid.
    return zlib.crc32(token.encode("utf-8")) % buckets
