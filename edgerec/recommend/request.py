"""What a candidate source sees and returns: the request state, scores, and evidence.

A `CandidateSource` turns the request (the customer's live state, the kiosk, hour and day, the
catalogue) into item scores for one or more named features, and can say for any item why it
scored it, citing the customer's real events or real item attributes. Model-backed sources
(embeddings, the session sequence model) implement the same protocol.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from edgerec.recommend.catalogue import Catalogue
from edgerec.recommend.state import LiveState, SessionState, Trace, UserState, disliked

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Where and when the list is shown; the hour and the day of the week (0 for Monday to 6 for
    Sunday, as `datetime.weekday` numbers them) default to the request time's, in the shop's
    time zone."""

    store_id: str | None = None
    hour: int | None = None
    weekday: int | None = None

    def __post_init__(self) -> None:
        # Taken modulo 24 and 7, Sunday numbered 7 (as `isoweekday` numbers it) gave Monday's
        # list, and hour 24 midnight's, without a word.
        for name, last in (("hour", 23), ("weekday", 6)):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value <= last
            ):
                raise ValueError(f"{name} must be a whole number from 0 to {last}, not {value!r:.80}")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason, with what grounds it: an event of this customer, or an item attribute."""

    source: str
    text: str
    item_id: str | None = None  # the item the evidence is about (for events, the event's item)
    event_type: str | None = None
    at: datetime | None = None  # when that event happened
    attribute: tuple[str, str] | None = None  # (name, value) of a catalogue attribute


@dataclass(slots=True)
class Request:
    user_id: str
    user: UserState
    session: SessionState | None
    catalogue: Catalogue
    state: LiveState
    now_us: int
    store_id: str | None
    hour: int
    weekday: int  # 0 for Monday to 6 for Sunday
    category: np.ndarray | None  # codes of the requested categories and those under them
    anchors: list[int] = field(default_factory=list)  # recent items, most recent first
    cart: list[int] = field(default_factory=list)
    # What the sources work out once per list and use for every item they explain (an
    # anchor's phrase, their weighted anchors); `forget_notes` clears it before each list is
    # explained, so that a list reads the customer's state as it is then.
    notes: dict[Hashable, Any] = field(default_factory=dict)

    def trace(self, item: int) -> Trace | None:
        return self.user.items.get(item)

    def disliked(self, anchor: int) -> bool:
        """Whether the customer rated this item a list builds on (one of `anchors` or `cart`) as
        a dislike: it still shapes their list (what they rate next follows what they just rated,
        liked or not), but it is no reason to show them another item."""
        return anchor in self.noted("disliked", self._disliked_anchors)

    def _disliked_anchors(self) -> set[int]:
        ratings, items = self.state.ratings, self.user.items
        return {a for a in (*self.anchors, *self.cart) if a in items and disliked(items[a], ratings)}

    def noted(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """`make()`, worked out once per list for `key`."""
        try:
            return self.notes[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self.notes[key] = make()
            return value

    def forget_notes(self) -> None:
        self.notes.clear()

    def when(self, at_us: int) -> str:
        return ago(self.now_us - at_us)


@dataclass(slots=True)
class SourceResult:
    """Candidate item indices and, per feature, their raw scores (larger is better)."""

    indices: np.ndarray
    features: dict[str, np.ndarray]

    @classmethod
    def empty(cls) -> SourceResult:
        return cls(np.zeros(0, dtype=np.int64), {})


@runtime_checkable
class CandidateSource(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def features(self) -> Sequence[str]:
        """Full feature names, "source.feature"."""

    @property
    def default_weights(self) -> Mapping[str, float]:
        """Weights for the features the configuration does not weigh."""

    def candidates(self, request: Request, limit: int) -> SourceResult:
        """At most `limit` items per feature with their scores."""

    def explain(self, request: Request, item: int) -> list[Evidence]:
        """Why this source scored `item`, grounded in real events or attributes."""


def ago(delta_us: int) -> str:
    """A short human phrase for an elapsed time.

    >>> ago(30_000_000), ago(125_000_000), ago(7_300_000_000), ago(200_000_000_000)
    ('just now', '2 minutes ago', '2 hours ago', '2 days ago')
    >>> ago(20 * 86_400_000_000), ago(100 * 86_400_000_000), ago(1_110 * 86_400_000_000)
    ('2 weeks ago', '3 months ago', '3 years ago')
    """
    seconds = max(0, delta_us) / 1e6
    if seconds < 60:
        return "just now"
    units = (("year", 365 * 86_400), ("month", 30 * 86_400), ("week", 7 * 86_400), ("day", 86_400))
    for unit, size in (*units, ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def micros_to_datetime(at_us: int) -> datetime:
    return datetime.fromtimestamp(at_us / 1e6, UTC)


VERBS = {
    "item_viewed": "viewed",
    "added_to_cart": "added to your cart",
    "removed_from_cart": "took out of your cart",
    "purchased": "bought",
    "item_favourited": "saved",
    "rated": "rated",
}
