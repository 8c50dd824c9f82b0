"""The current catalogue: each item's listing, price, stock and attributes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from edgerec.domain import CATALOGUE_TYPES, EventType
from edgerec.domain.stock import sold_down, stock_stated_at
from edgerec.projections.base import RowCache, Shared
from edgerec.store.codec import StoredEvent
from edgerec.store.schema import items
from edgerec.store.sql import insert_rows

LISTED, DELISTED, SEEN = "listed", "delisted", "seen"
# What an item_listed event sets: the whole listing, replaced.
LISTING_FIELDS = ("title", "category", "brand", "price", "stock", "description", "attributes")
_CATALOGUE = frozenset(t.value for t in CATALOGUE_TYPES)


class CatalogueProjector:
    name = "catalogue"
    tables = (items,)

    def apply(
        self, connection: Connection, batch: Sequence[StoredEvent], shared: Shared | None = None
    ) -> None:
        # Purchases too: one may lower its item's stock, which needs the item's row.
        managed = {e.item_id for e in batch if e.type in _CATALOGUE or e.type == EventType.PURCHASED}
        # Items only seen in interactions: the first interaction's row, unless the item is
        # already known; an item without a category takes the first one an interaction names
        # (a YOOCHOOSE click names it only sometimes). That needs no read: insert, filling in.
        seen: dict[str, dict[str, Any]] = {}
        for event in batch:
            item = event.item_id
            if item is None or item in managed:
                continue
            row = seen.get(item)
            if row is None:
                # The other columns of a seen item are NULL: the same row as _empty() gives.
                seen[item] = {
                    "item_id": item,
                    "status": SEEN,
                    "category": event.payload.get("category"),
                    "updated_at": event.occurred_at,
                }
            elif row["category"] is None:
                row["category"] = event.payload.get("category")
        insert_rows(connection, items, list(seen.values()), on_conflict="fill")
        if managed:
            self._fold(connection, [e for e in batch if e.item_id in managed])

    @staticmethod
    def _fold(connection: Connection, batch: Sequence[StoredEvent]) -> None:
        cache = RowCache(connection, items, [(e.item_id,) for e in batch])
        for event in batch:
            key = (event.item_id,)
            row = cache.get(key)
            if event.type == EventType.ITEM_LISTED:
                fresh = _empty(event.item_id, event.occurred_at, LISTED)  # type: ignore[arg-type]
                fresh.update({f: event.payload.get(f) for f in LISTING_FIELDS})
                relisted = row is None or row["status"] != LISTED
                fresh["listed_at"] = event.occurred_at if relisted else row["listed_at"]  # type: ignore[index]
                fresh["stock_at"] = _stated_at(event, row)
                cache.put(key, fresh)
            elif event.type == EventType.ITEM_UPDATED:
                if row is None:  # an update lists an item it is the first news of
                    row = cache.put(key, _empty(event.item_id, 0, LISTED))  # type: ignore[arg-type]
                    row["listed_at"] = event.occurred_at
                cache.touch(key)
                if "stock" in event.payload:
                    row["stock_at"] = _stated_at(event, row)
                row.update({f: v for f, v in event.payload.items() if f in LISTING_FIELDS})
                row["updated_at"] = max(row["updated_at"], event.occurred_at)
            elif event.type == EventType.ITEM_DELISTED:
                row = row if row is not None else cache.put(key, _empty(event.item_id, 0, DELISTED))  # type: ignore[arg-type]
                cache.touch(key)
                row["status"] = DELISTED
                row["listed_at"] = None
                row["updated_at"] = max(row["updated_at"], event.occurred_at)
            elif (
                event.type == EventType.PURCHASED
                and row is not None
                and (left := _sold_down(row, event)) is not None
            ):
                cache.touch(key)
                row["stock"] = left
                if row["category"] is None and event.payload.get("category"):
                    row["category"] = event.payload["category"]
            elif row is None:
                # An item known only from interactions: remember it and the category it came with.
                seen = _empty(event.item_id, event.occurred_at, SEEN)  # type: ignore[arg-type]
                seen["category"] = event.payload.get("category")
                cache.put(key, seen)
            elif row["category"] is None and event.payload.get("category"):
                cache.touch(key)["category"] = event.payload["category"]
        cache.save(connection)


def _stated_at(event: StoredEvent, row: dict[str, Any] | None) -> int | None:
    payload = event.payload
    held, held_at = (row["stock"], row["stock_at"]) if row is not None else (None, None)
    return stock_stated_at(payload.get("stock"), payload.get("stock_at"), event.occurred_at, held, held_at)


def _sold_down(row: dict[str, Any], event: StoredEvent) -> int | None:
    quantity = int(event.payload.get("quantity", 1))
    return sold_down(row["stock"], row["stock_at"], row["status"] == LISTED, event.occurred_at, quantity)


def _empty(item_id: str, at: int, status: str) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "status": status,
        "title": None,
        "category": None,
        "brand": None,
        "price": None,
        "stock": None,
        "description": None,
        "attributes": None,
        "updated_at": at,
        "listed_at": None,
        "stock_at": None,
    }
