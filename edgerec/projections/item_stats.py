"""Per-item statistics: counts by event type and time-decayed popularity."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import Connection

from edgerec.domain import EventType
from edgerec.domain.signals import DEFAULT_EVENT_WEIGHTS, add_decayed
from edgerec.projections.base import RowCache, Shared
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

    def apply(
        self, connection: Connection, batch: Sequence[StoredEvent], shared: Shared | None = None
    ) -> None:
        relevant = [e for e in batch if e.type in _COUNTERS]
        if not relevant:
            return
        cache = RowCache(connection, item_stats, [(e.item_id,) for e in relevant])
        rows, changed = cache.rows, cache.changed
        counters, weights = _COUNTERS, DEFAULT_EVENT_WEIGHTS
        for event in relevant:
            key = (event.item_id,)
            row = rows.get(key)
            if row is None:
                row = rows[key] = _empty(event.item_id)
            changed.add(key)
            kind = event.type
            row[counters[kind]] += 1
            if kind == EventType.RATED:
                row["rating_sum"] += float(event.payload.get("value", 0.0))
            # Folded one event at a time, in log order: the float result does not depend on
            # how the log was cut into batches, so a rebuild gives exactly the same numbers.
            row["popularity_log"] = add_decayed(row["popularity_log"], weights[kind], event.occurred_at / 1e6)
            if event.occurred_at > row["last_at"]:
                row["last_at"] = event.occurred_at
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
