"""The current catalogue: each item's listing, price, stock and attributes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from edgerec.domain import EventType
from edgerec.projections.base import RowCache
from edgerec.store.codec import StoredEvent
from edgerec.store.schema import items

LISTED, DELISTED, SEEN = "listed", "delisted", "seen"
_FIELDS = ("title", "category", "brand", "price", "stock", "description", "attributes")


class CatalogueProjector:
    name = "catalogue"
    tables = (items,)

    def apply(self, connection: Connection, batch: Sequence[StoredEvent]) -> None:
        keys = [(e.item_id,) for e in batch if e.item_id is not None]
        if not keys:
            return
        cache = RowCache(connection, items, keys)
        for event in batch:
            if event.item_id is None:
                continue
            key = (event.item_id,)
            row = cache.get(key)
            if event.type == EventType.ITEM_LISTED:
                fresh = _empty(event.item_id, event.occurred_at, LISTED)
                fresh.update({f: event.payload.get(f) for f in _FIELDS})
                cache.put(key, fresh)
            elif event.type == EventType.ITEM_UPDATED:
                row = row if row is not None else cache.put(key, _empty(event.item_id, 0, LISTED))
                cache.touch(key)
                row.update({f: v for f, v in event.payload.items() if f in _FIELDS})
                row["updated_at"] = max(row["updated_at"], event.occurred_at)
            elif event.type == EventType.ITEM_DELISTED:
                row = row if row is not None else cache.put(key, _empty(event.item_id, 0, DELISTED))
                cache.touch(key)
                row["status"] = DELISTED
                row["updated_at"] = max(row["updated_at"], event.occurred_at)
            elif row is None:
                # An item known only from interactions: remember it and the category it came with.
                seen = _empty(event.item_id, event.occurred_at, SEEN)
                seen["category"] = event.payload.get("category")
                cache.put(key, seen)
        cache.save(connection)


def _empty(item_id: str, at: int, status: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_FIELDS)
    row.update(item_id=item_id, status=status, updated_at=at)
    return row
