"""Per-item statistics: counts by event type and time-decayed popularity."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import Connection

from edgerec.domain import EventType
from edgerec.domain.signals import DEFAULT_EVENT_WEIGHTS, add_decayed
from edgerec.projections.base import RowCache
from edgerec.store.codec import StoredEvent
from edgerec.store.schema import item_stats

_COUNTERS = {
    EventType.ITEM_VIEWED: "views",
    EventType.ADDED_TO_CART: "carts",
    EventType.PURCHASED: "purchases",
    EventType.ITEM_FAVOURITED: "favourites",
    EventType.RATED: "ratings",
}


class ItemStatsProjector:
    name = "item_stats"
    tables = (item_stats,)

    def apply(self, connection: Connection, batch: Sequence[StoredEvent]) -> None:
        relevant = [e for e in batch if e.type in _COUNTERS]
        if not relevant:
            return
        cache = RowCache(connection, item_stats, [(e.item_id,) for e in relevant])
        for event in relevant:
            key = (event.item_id,)
            row = cache.get(key)
            if row is None:
                row = cache.put(key, _empty(event.item_id))
            else:
                cache.touch(key)
            row[_COUNTERS[event.type]] += 1
            if event.type == EventType.RATED:
                row["rating_sum"] += float(event.payload.get("value", 0.0))
            weight = DEFAULT_EVENT_WEIGHTS[event.type]
            row["popularity_log"] = add_decayed(row["popularity_log"], weight, event.occurred_at / 1e6)
            row["last_at"] = max(row["last_at"], event.occurred_at)
        cache.save(connection)


def _empty(item_id: str | None) -> dict[str, object]:
    return {
        "item_id": item_id,
        "views": 0,
        "carts": 0,
        "purchases": 0,
        "favourites": 0,
        "ratings": 0,
        "rating_sum": 0.0,
        "popularity_log": -math.inf,
        "last_at": 0,
    }
