"""How much each kind of interaction says about interest, and how fast interest fades."""

from __future__ import annotations

import math
from collections.abc import Mapping
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
    term = math.log(weight) + at_seconds / POPULARITY_TAU_S
    if log_total == -math.inf:
        return term
    high, low = max(log_total, term), min(log_total, term)
    return high + math.log1p(math.exp(low - high))


def decayed_value(log_total: float, now_seconds: float) -> float:
    if log_total == -math.inf:
        return 0.0
    return math.exp(log_total - now_seconds / POPULARITY_TAU_S)
