"""How much each kind of interaction says about interest, and how fast interest fades."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from edgerec.domain.events import EventType

# A purchase says more than a cart add, which says more than a view.
DEFAULT_EVENT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        EventType.ITEM_VIEWED: 1.0,
        EventType.ITEM_FAVOURITED: 2.0,
        EventType.RATED: 2.0,
        EventType.ADDED_TO_CART: 3.0,
        EventType.PURCHASED: 5.0,
    }
)


def rating_weight(value: float, low: float, high: float) -> float:
    """How much a rating says for its item, by its place on the scale from low to high.

    A rating weighs twice its place on the scale: the top 2, the middle 1. One below the middle
    is a dislike and weighs nothing, so that what is like it is not pushed up. A scale without
    two ends (high not above low) says nothing, and a rating on it weighs 1.

    >>> [rating_weight(v, 0.5, 5.0) for v in (5.0, 2.75, 2.5, 0.5)]
    [2.0, 1.0, 0.0, 0.0]
    >>> [rating_weight(v, 1.0, 10.0) for v in (10.0, 7.75, 5.0)]
    [2.0, 1.5, 0.0]
    >>> rating_weight(4.0, 4.0, 4.0)
    1.0
    """
    if high <= low:
        return 1.0
    place = (min(max(value, low), high) - low) / (high - low)
    return 2.0 * place if place >= 0.5 else 0.0


@dataclass(slots=True)
class RatingScale:
    """The scale a shop's ratings are on, as far as the ratings seen tell (0.5-5, 1-5, 1-10 are
    all in use): from 1, or the lowest rating seen where it is lower, to the highest seen.

    >>> scale = RatingScale()
    >>> for value in (4.0, 5.0):
    ...     scale.see(value)
    >>> scale.weight(4.0), scale.weight(2.0)  # on 1 to 5 so far
    (1.5, 0.0)
    >>> scale.see(10.0)
    >>> scale.weight(5.0)  # on 1 to 10 now: below the middle
    0.0
    """

    low: float = 1.0
    high: float = -math.inf

    def see(self, value: float) -> None:
        self.low, self.high = min(self.low, value), max(self.high, value)

    def weight(self, value: float) -> float:
        return rating_weight(value, self.low, self.high)


POPULARITY_HALF_LIFE_S = 3 * 86_400.0
POPULARITY_TAU_S = POPULARITY_HALF_LIFE_S / math.log(2)
SESSION_GAP_S = 30 * 60
# Co-occurrence pairs an item with this many of the session's previous distinct items.
RECENT_ITEMS_PER_SESSION = 10


def add_decayed(log_total: float, weight: float, at_seconds: float) -> float:
    """Adds `weight` observed at `at_seconds` to a log-domain decayed total.

    The total is kept as log(sum w * exp(t / tau)), so no stored row needs rewriting as time
    passes; `decayed_value` reads it at any moment.

    >>> round(decayed_value(add_decayed(-math.inf, 1.0, 0.0), POPULARITY_HALF_LIFE_S), 3)
    0.5
    """
    return add_term(log_total, decayed_term(weight, at_seconds))


def decayed_term(weight: float, at_seconds: float) -> float:
    """`weight` observed at `at_seconds` in the log domain of `add_decayed`'s totals."""
    return math.log(weight) + at_seconds / POPULARITY_TAU_S


def add_term(log_total: float, term: float) -> float:
    """Adds a `decayed_term` to a log-domain decayed total (`add_decayed`)."""
    if log_total == -math.inf:
        return term
    high, low = max(log_total, term), min(log_total, term)
    return high + math.log1p(math.exp(low - high))


def decayed_value(log_total: float, now_seconds: float) -> float:
    if log_total == -math.inf:
        return 0.0
    return math.exp(log_total - now_seconds / POPULARITY_TAU_S)
