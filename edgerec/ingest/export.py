"""export_events: the event log out to JSON lines or Parquet, streamed in batches; and the check
that refuses a store's own pseudonymous export imported back into it."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sqlalchemy import Engine

from edgerec.ingest import readers
from edgerec.ingest.streams import data_suffix
from edgerec.store import log
from edgerec.store.codec import StoredEvent
from edgerec.store.engine import database_files
from edgerec.store.leftovers import remove_leftovers, temporary_name
from edgerec.store.pseudonyms import pseudonymizer, stored_pseudonymizer
from edgerec.store.schema import events as events_table
from edgerec.store.sql import select_in

EXPORT_FORMATS = ("jsonl", "parquet")
# The format a target's name ends in (any case): backup.PARQUET is Parquet too.
EXPORT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
# The records at the head of a restored file compared with the store's own events: one of its
# pseudonyms among them is enough to tell the file, and reading more costs every restore.
_OWN_HEAD = 1_000
_OWN_HEAD_CHUNKS = 10


class HasEngine(Protocol):
    engine: Engine


def _identity(value: str | None) -> str | None:
    return value


def _private_file(path: Path) -> BinaryIO:
    """Opens `path` for writing as 0600: an export holds personal data, like the database."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also tightens a file that was there before
    return os.fdopen(fd, "wb")


def export_events(
    store: HasEngine,
    path: str | Path,
    *,
    format: str = "jsonl",
    since: int = 0,
    batch: int = 20_000,  # noqa: A002
    real_ids: bool = False,
) -> int:
    """Writes every logged event after position `since` to `path`; returns how many.

    Each record is a log row (position, event_id, type, occurred_at in microseconds UTC, ids,
    context, payload). Customer and session ids are replaced by stable pseudonyms unless
    `real_ids` (a backup, or a move to another database): then
    `import_file(..., format="events")` reads the file back with every id unchanged.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"export format must be one of {EXPORT_FORMATS}, not {format!r}")
    if _stream(path):  # a named pipe, or a shell's >(gzip > backup.jsonl.gz): read as it is written
        with open(path, "wb") as out:
            return write_events(store, out, format=format, since=since, batch=batch, real_ids=real_ids)
    # A link's target is written, and the link is kept (renaming over it replaced the link).
    path = Path(os.path.realpath(path))
    if path in {file.resolve() for file in database_files(str(store.engine.url))}:
        raise ValueError(f"{path} is a file of the database being exported: choose another path")
    # Written beside the target and renamed over it at the end, so that a failed export leaves
    # an earlier file at that path as it was.
    remove_leftovers(path.parent, "partial", target=path.name)  # of an export killed before
    partial = temporary_name(path, "partial")
    try:
        with _private_file(partial) as out:
            written = write_events(store, out, format=format, since=since, batch=batch, real_ids=real_ids)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return written


def _stream(path: str | Path) -> bool:
    """Whether `path` is there and is no regular file (a FIFO, a device, /dev/fd/N): written
    into as it is, since a temporary file renamed over it replaced the pipe with a file its
    reader never saw, and /dev/fd/N has no folder to put one in."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # not there yet (or not reachable: writing it says why)
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_events(
    store: HasEngine,
    out: BinaryIO,
    *,
    format: str = "jsonl",  # noqa: A002
    since: int = 0,
    batch: int = 20_000,
    real_ids: bool = False,
) -> int:
    """Writes every logged event after position `since` to the open binary stream `out` (a
    pipe, for `edgerec export -`), as `export_events` writes a file; returns how many."""
    written = 0
    hide = _identity if real_ids else pseudonymizer(store.engine)

    def _record(event: StoredEvent) -> dict[str, Any]:
        # The event id too: an imported event's id is a hash of its content, customer id included.
        hidden = event._replace(event_id=hide(event.event_id), user_id=hide(event.user_id))
        return hidden._replace(session_id=hide(event.session_id)).as_dict()

    with store.engine.connect() as connection:
        batches = log.read_batches(connection, since=since, batch=batch)
        if format == "jsonl":
            for events in batches:
                text = "".join(json.dumps(_record(e), ensure_ascii=False) + "\n" for e in events)
                out.write(text.encode("utf-8", "surrogatepass"))
                written += len(events)
            return written
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema(
            [
                ("position", pa.int64()),
                ("event_id", pa.string()),
                ("type", pa.string()),
                ("occurred_at", pa.int64()),
            ]
            + [
                (name, pa.string())
                for name in ("user_id", "session_id", "item_id", "store_id", "location", "device")
            ]
            + [("payload", pa.string())]
        )
        with pq.ParquetWriter(out, schema) as writer:
            for events in batches:
                columns: dict[str, list[Any]] = {name: [] for name in schema.names}
                for event in events:
                    for name, value in _record(event).items():
                        columns[name].append(
                            json.dumps(value, ensure_ascii=False) if name == "payload" else value
                        )
                writer.write_table(pa.table(columns, schema=schema))
                written += len(events)
    return written


def refuse_own_export(store: HasEngine, path: Path) -> None:
    """Raises ValueError where the export at `path`, about to be restored into `store`, is the
    store's own pseudonymous export: its event ids are this store's pseudonyms of the events at
    the same positions. Imported, each event would be appended again under other ids, and a
    forget of its customer would miss the copy. Only the file's first records are read (more,
    up to `_OWN_HEAD_CHUNKS` chunks, while none of their positions is in the store: the events
    of a customer forgotten since), and only the store's events at their positions (by the
    log's key); a store that has never written a pseudonym keeps no secret and is not read."""
    with store.engine.connect() as connection:
        hide = stored_pseudonymizer(connection)
        if hide is None:
            return
        with closing(_head_positions(path)) as heads:  # the file closed however this ends
            for claimed in islice(heads, _OWN_HEAD_CHUNKS):
                stored = select_in(connection, events_table, "position", claimed, ("position", "event_id"))
                if any(hide(event_id) == claimed[position] for position, event_id in stored):
                    raise ValueError(
                        f"{path} is this store's own export with pseudonymous ids (the default of "
                        "`edgerec export`): importing it would add every event again under other "
                        "customer, session and event ids. A backup to restore is made with "
                        "`edgerec export --real-ids`; a pseudonymous export is for sharing with another store"
                    )
                if stored:
                    return  # events of this store at the file's positions, not the file's events


_LARGEST_POSITION = 2**63 - 1  # no database integer holds more: no store has a log so long


def _head_positions(path: Path) -> Iterator[dict[int, str]]:
    """The log position and pseudonymous event id of each record of an export, chunk by chunk."""
    records: Iterator[tuple[Any, Any, list[Any], Any]] = (
        readers.parquet_records(path, _OWN_HEAD)
        if data_suffix(path) == ".parquet"
        else readers.jsonl_records(path, _OWN_HEAD)
    )
    try:
        for _lines, _raws, objects, _problems in records:
            yield {
                record["position"]: record["event_id"]
                for record in objects
                if isinstance(record, dict)
                and type(record.get("position")) is int
                and 0 < record["position"] <= _LARGEST_POSITION
                and isinstance(record.get("event_id"), str)
                and record["event_id"].startswith("p-")
            }
    finally:
        getattr(records, "close", lambda: None)()  # closes the file now, not at garbage collection
