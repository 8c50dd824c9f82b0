"""Cleaning: content-derived event ids, duplicates, double clicks, and impossible sequences."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, select

from edgerec.domain import CATALOGUE_TYPES, EventType
from edgerec.ingest.batch import CatalogueColumns
from edgerec.ingest.datasets import CATALOGUE_AT
from edgerec.ingest.validate import ID_COLUMNS, Problem
from edgerec.projections.catalogue import LISTED, LISTING_FIELDS, SEEN
from edgerec.store import log
from edgerec.store.schema import items
from edgerec.store.sql import load_rows


def event_id(row: dict[str, Any]) -> str:
    """A 128-bit id from the event's normalised content, the same whatever file it came from.

    The session id is part of it only where the source gave one (assigned sessions come later).
    """
    payload = row["payload"]
    text = "\x1f".join(
        (
            row["type"],
            str(row["occurred_at"]),
            row["user_id"] or "",
            row["item_id"] or "",
            row["session_id"] or "",
            # the context's fields, named one by one: a generator over their names took a
            # third of the function's time, which runs once for each row of a file
            row["store_id"] or "",
            row["location"] or "",
            row["device"] or "",
            repr(sorted(payload.items())) if payload else "",
        )
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


MAX_DEDUPE_WINDOW_S = 86_400  # a repeat a day apart is a new visit, not a double click


class Deduplicator:
    """Drops exact duplicates and repeats of (user, item, type) within a time window (and within
    one session, where the file names sessions).

    Two lines of a file that give the same event but are not the same line (an order's two
    lines of one item, told apart by a line number the import does not read) are two events:
    the second line with that content gets an id of its own, the same on every import.

    State carried between chunks covers only the last `window` of time seen and the chunk
    before, so memory stays flat; on a file not ordered by time a repeat more than a chunk away
    may pass (it is still appended once at most, by its event id). Lines of one content are told
    apart where they lie in the same chunk or in neighbouring ones (an order's lines next to each
    other, however the file is ordered); farther apart (more than a chunk, 50,000 rows by
    default, between them), the second gets the first's id and is taken for it, already present.
    """

    def __init__(self, window_s: float) -> None:
        if not 0 <= window_s <= MAX_DEDUPE_WINDOW_S:  # NaN fails this too
            raise ValueError(f"dedupe window {window_s!r}: give seconds from 0 to {MAX_DEDUPE_WINDOW_S:,}")
        self.window = int(window_s * 1_000_000)
        self.last: dict[tuple[str, str, str, str | None], int] = {}
        # Each recent event id: its time, and where its first line is (read only on a repeat).
        self.recent_ids: dict[str, tuple[int, Callable[[int], str] | None, int]] = {}
        self.lines: dict[str, list[str]] = {}  # an id seen on several lines: those lines

    def mark(
        self,
        rows: Sequence[dict[str, Any] | None],
        problems: list[Problem],
        raw_of: Callable[[int], str] | None = None,
        dates_alone: Sequence[bool] | None = None,
    ) -> None:
        """Marks the duplicates and double clicks among `rows`; with `raw_of` (the line of each
        row, where ids come from content), a row is a duplicate only of the same line. A row
        whose time is a date alone (`dates_alone`) is no double click: every row of its day has
        the same time, and a second sale or view that day is not told from a double click."""
        last = self.last
        seen = self.recent_ids
        window = self.window
        newest = None
        for i, row in enumerate(rows):
            if row is None:
                continue
            at = row["occurred_at"]
            newest = at if newest is None or at > newest else newest
            eid = row["event_id"]
            if eid in seen:
                eid = self._another_line(eid, raw_of, i) if raw_of is not None else None
                if eid is None:
                    problems[i] = ("duplicate", "the same event as an earlier row")
                    continue
                row["event_id"] = eid
            user, item = row["user_id"], row["item_id"]
            if user is not None and item is not None and window > 0 and not (dates_alone and dates_alone[i]):
                # A file's own sessions part repeats: one in another session is a new visit. A
                # purchase of another quantity or price is another order line (an engraved mug
                # beside two plain ones), never a double click.
                kind = row["type"]
                if kind == EventType.PURCHASED:
                    kind = f"{kind}\x1f{sorted(row['payload'].items())!r}"
                key = (user, item, kind, row["session_id"])
                before = last.get(key)
                if before is not None and abs(at - before) <= window:
                    problems[i] = (
                        "repeat_within_window",
                        f"same user, item and action within {window / 1e6:g} s",
                    )
                    continue
                last[key] = at
            seen[eid] = (at, raw_of, i)
        if newest is not None:
            floor = newest - window
            chunk = {row["event_id"] for row in rows if row is not None}
            self.last = {k: v for k, v in last.items() if v >= floor}
            self.recent_ids = {k: v for k, v in seen.items() if v[0] >= floor or k in chunk}
            self.lines = {k: v for k, v in self.lines.items() if k in self.recent_ids}

    def _another_line(self, eid: str, raw_of: Callable[[int], str], i: int) -> str | None:
        """The id of row `i`, which has the content of event `eid`: None if it is the same line
        as one before (a duplicate), else one for the n-th distinct line of that content."""
        lines = self.lines.get(eid)
        if lines is None:
            _, first_raw_of, first = self.recent_ids[eid]
            if first_raw_of is None:
                return None
            lines = self.lines[eid] = [first_raw_of(first)]
        line = raw_of(i)
        if line in lines:
            return None
        lines.append(line)
        salted = f"{eid}\x1fline {len(lines)}".encode()
        return hashlib.blake2b(salted, digest_size=16).hexdigest()


class ListingChanges:
    """Keeps the rows of a catalogue file that change an item's listing, and only those.

    A catalogue row has no time, so its event id comes from its content alone and importing the
    same file again appends nothing. But a shop's catalogue goes back to earlier states: stock 3,
    then 0, then 3 again when restocked; a price back to what it was. That row's id is in the log
    already, and the change would be lost. So each such row is compared with the item's listing
    as it stands: the same listing is not appended again; a different one is, under an id that
    also names the log's head, new to the log.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def unchanged(
        self,
        rows: Sequence[dict[str, Any] | None],
        problems: list[Problem],
        catalogue: CatalogueColumns | None = None,
    ) -> set[int]:
        """Indices of the timeless listing rows that would leave their item as it is; those
        that change an item listed before get a fresh event id, in place. An item known before
        keeps what the `catalogue` file has no column for, in place."""
        timeless = [
            i
            for i, r in enumerate(rows)
            if r is not None
            and problems[i] is None
            and r["type"] == EventType.ITEM_LISTED
            and r["occurred_at"] == CATALOGUE_AT
        ]
        if not timeless:
            return set()
        timeless = _last_of_each_item(rows, timeless, problems)
        keys = [(rows[i]["item_id"],) for i in timeless]  # type: ignore[index]
        with self.engine.connect() as connection:
            stored = {k[0]: r for k, r in load_rows(connection, items, keys).items()}
            current = {item: _listing(r) for item, r in stored.items()}
            head = log.head(connection)
        # Items with other catalogue events in the chunk change in ways not followed here:
        # their rows always count as changes.
        timeless_set = set(timeless)
        followed_not = {
            r["item_id"]
            for i, r in enumerate(rows)
            if r is not None
            and problems[i] is None
            and i not in timeless_set
            and r["type"] in CATALOGUE_TYPES
        }
        same: set[int] = set()
        for i in timeless:
            row: dict[str, Any] = rows[i]  # type: ignore[assignment]
            item = row["item_id"]
            if catalogue is not None and item in stored:
                catalogue.keep(row["payload"], stored[item], i)
            _keep_newer_count(row["payload"], stored.get(item))
            listing = _listing({"status": LISTED, **row["payload"]})
            before = current.get(item)
            if before == listing and item not in followed_not and not _counts_stock(row, stored.get(item)):
                same.add(i)
                continue
            if (before is not None and before[0] != SEEN) or item in followed_not:
                salted = f"{row['event_id']}\x1f{head}".encode()
                row["event_id"] = hashlib.blake2b(salted, digest_size=16).hexdigest()
            current[item] = listing
        return same


def _keep_newer_count(payload: dict[str, Any], stored: dict[str, Any] | None) -> None:
    """A file's stock counted no later than the one the store holds (the same file imported
    again, the shop's catalogue imported on a schedule, an older export after a count on the
    console) leaves that stock, and when it was counted, in `payload`: the store's is the newer
    count, less the sales since, which the file's would put back."""
    counted = payload.get("stock_at")
    if stored is None or stored["stock_at"] is None or counted is None or payload.get("stock") is None:
        return
    if counted <= stored["stock_at"] and stored["stock"] is not None:
        payload["stock"], payload["stock_at"] = stored["stock"], stored["stock_at"]


def _counts_stock(row: dict[str, Any], stored: dict[str, Any] | None) -> bool:
    """Whether `row` gives a time to the stock its item holds where the store has none (a
    catalogue imported before files gave one): the same listing, logged again with the time,
    so that purchases since lower the stock."""
    return (
        stored is not None
        and stored["stock_at"] is None
        and stored["stock"] is not None
        and row["payload"].get("stock_at") is not None
    )


def _last_of_each_item(
    rows: Sequence[dict[str, Any] | None], timeless: list[int], problems: list[Problem]
) -> list[int]:
    """`timeless`, an item's earlier rows taken out as duplicate_item_row: a file that names an
    item on several rows lists it as its last row says. Each row compared with the listing the
    one before it left, an unchanged file appended every one of them again at each import."""
    last = {rows[i]["item_id"]: i for i in timeless}  # type: ignore[index]
    kept = []
    for i in timeless:
        item = rows[i]["item_id"]  # type: ignore[index]
        if last[item] == i:
            kept.append(i)
        else:
            problems[i] = (
                "duplicate_item_row",
                f"item {str(item)[:60]!r} is named again on a later row: the item is listed as "
                "its last row says",
            )
    return kept


def _listing(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row.get("status"), *(row.get(name) for name in LISTING_FIELDS))


class CatalogueCheck:
    """Flags purchases of items the shop does not list, once the shop has a catalogue."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.has_catalogue = self._has_catalogue()
        self.example: str | None = None  # an item the catalogue lists, read once where needed

    def _has_catalogue(self) -> bool:
        query = select(items.c.item_id).where(items.c.status != "seen").limit(1)
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def mark(self, rows: Sequence[dict[str, Any] | None], problems: list[Problem]) -> None:
        listed_here = {r["item_id"] for r in rows if r is not None and r["type"] == EventType.ITEM_LISTED}
        if listed_here:
            self.has_catalogue = True
        if not self.has_catalogue:
            return
        wanted = [
            i
            for i, r in enumerate(rows)
            if r is not None and r["type"] == EventType.PURCHASED and problems[i] is None
        ]
        if not wanted:
            return
        keys = {(rows[i]["item_id"],) for i in wanted} - {(item,) for item in listed_here}  # type: ignore[index]
        with self.engine.connect() as connection:
            status = {k[0]: r["status"] for k, r in load_rows(connection, items, list(keys)).items()}
            refused = [i for i in wanted if status.get(rows[i]["item_id"]) != "listed"]  # type: ignore[index]
            # A purchase an earlier import logged, before the catalogue came, stays in the log:
            # it is already present, not refused.
            logged = log.existing_positions(connection, [rows[i]["event_id"] for i in refused])  # type: ignore[index]
        for i in refused:
            item = rows[i]["item_id"]  # type: ignore[index]
            if item in listed_here or rows[i]["event_id"] in logged:  # type: ignore[index]
                continue
            state = status.get(item)
            if state == "delisted":
                problems[i] = ("item_delisted", f"purchase of delisted item {item!r}")
            elif state != "listed":
                problems[i] = (
                    "item_not_listed",
                    f"purchase of item {item!r}, which the catalogue does not list{self._another_id()}",
                )

    def _another_id(self) -> str:
        """What to do where the catalogue may name items by another column than the sales do (a
        shop's product export by its ID, its orders by SKU): an item it lists, and the mapping."""
        if self.example is None:
            # The first id in order: whichever row the database reads first differs between
            # SQLite and PostgreSQL, and moves there as the catalogue is updated (the primary key's
            # index gives the first at once).
            query = (
                select(items.c.item_id).where(items.c.status == "listed").order_by(items.c.item_id).limit(1)
            )
            with self.engine.connect() as connection:
                self.example = connection.execute(query).scalar() or ""
        if not self.example:
            return ""
        return (
            f" (it lists items such as {self.example!r}: where the two name items by different "
            "columns, an ID and a SKU, import one again with --map item=COLUMN, the column "
            "holding the other's ids; the catalogue with --delist-missing too, which delists its "
            "items under their old ids)"
        )

    def after_append(self, appended_catalogue: bool) -> None:
        if appended_catalogue and not self.has_catalogue:
            self.has_catalogue = self._has_catalogue()


def row_columns() -> tuple[str, ...]:
    return ("type", "occurred_at", *ID_COLUMNS)
