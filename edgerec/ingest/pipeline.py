"""import_file: read, validate, clean, quarantine and append a file in chunks, with a report."""

from __future__ import annotations

import json
import math
import os
import shlex
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from edgerec.domain import EventType
from edgerec.ingest.batch import Batch
from edgerec.ingest.clean import CatalogueCheck, Deduplicator, ListingChanges, event_id
from edgerec.ingest.columns import ColumnMapping
from edgerec.ingest.convert import check_timezone
from edgerec.ingest.datasets import CATALOGUE_AT
from edgerec.ingest.export import refuse_own_export
from edgerec.ingest.formats import detect_format, format_by_name, get_format, named_format
from edgerec.ingest.mapping import undated
from edgerec.ingest.pandas_lines import pandas_encoding, pandas_read, text_delimiter, unused_name
from edgerec.ingest.prefetch import prefetched
from edgerec.ingest.streams import (
    check_encoding,
    check_readable,
    check_regular_file,
    count_lines,
    data_suffix,
    line_encoding,
)
from edgerec.ingest.text import CHUNK_ROWS, RAW_KEEP
from edgerec.ingest.validate import ID_COLUMNS, TYPE_FIELDS, Problem, payload_of, validate_columns
from edgerec.ingest.workbook import is_workbook, unread_sheets
from edgerec.memory import gc_paused
from edgerec.privacy import reclaim_sources
from edgerec.store.codec import to_micros
from edgerec.store.engine import write_transaction
from edgerec.store.import_turn import Waiting, import_turn
from edgerec.store.schema import imports, quarantine
from edgerec.store.schema import items as items_table
from edgerec.store.sql import chunks

Progress = Callable[[int, "int | None"], None]
_CATALOGUE = {EventType.ITEM_LISTED.value, EventType.ITEM_UPDATED.value, EventType.ITEM_DELISTED.value}
_DUPLICATES = ("duplicate", "repeat_within_window")


class AppendsRows(Protocol):
    """What an import needs from a store (edgerec.api.Store is one)."""

    engine: Engine

    def append_rows(self, rows: Sequence[dict[str, Any]]) -> Any: ...


@dataclass
class ImportReport:
    """What an import did; accepted + quarantined == rows_read, always."""

    import_id: str
    source: str  # the file's absolute path: its quarantine rows are known by it
    format: str
    rows_read: int = 0
    accepted: int = 0  # valid, clean rows: appended now or already in the log
    appended: int = 0  # of the file's rows (a delisting below is an event of its own)
    already_present: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates_dropped: int = 0  # quarantined as duplicate or repeat_within_window
    delisted: int = 0  # listed items a whole catalogue (delist_missing) did not name
    sessions: int = 0  # distinct sessions, users and items among the accepted rows
    users: int = 0
    items: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # how the file was read, where it was a guess

    @property
    def events_per_s(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["events_per_s"] = round(self.events_per_s, 1)
        return out


class _Distinct:
    """Counts distinct strings in 8 bytes each (their 64-bit hashes), not in whole strings."""

    def __init__(self) -> None:
        self.seen = np.zeros(0, dtype=np.int64)

    def add(self, values: Sequence[str | None]) -> None:
        hashes = np.unique(np.fromiter((hash(v) for v in values if v is not None), dtype=np.int64))
        if hashes.size:
            # Only the chunk's new hashes are sorted into place: re-sorting every hash seen so
            # far (union1d) made each chunk cost more than the one before.
            seen = self.seen
            where = np.searchsorted(seen, hashes)
            new = where == seen.size
            new[~new] = seen[where[~new]] != hashes[~new]
            self.seen = np.insert(seen, where[new], hashes[new])

    def __len__(self) -> int:
        return int(self.seen.size)

    def missing(self, values: Sequence[str]) -> list[str]:
        """The values not added (a 64-bit hash standing for each)."""
        hashes = np.fromiter((hash(v) for v in values), dtype=np.int64, count=len(values))
        return [v for v, known in zip(values, np.isin(hashes, self.seen), strict=True) if not known]


class _Zeros:
    """What a note on a file's ratings of 0 needs: how many there are, and the lowest and highest
    of the others (whole numbers or not). Book-Crossing and Goodreads write 0 for a book read
    but not rated, which the scale the ratings tell (from 0, the lowest) takes for a dislike."""

    def __init__(self) -> None:
        self.zeros = 0
        self.low, self.high = math.inf, -math.inf
        self.whole = True
        self.column: str | None = None  # the file's column of its ratings, where a generic file's
        self.types: str | None = None  # its column of types, where it has one beside its ratings'
        self.rated: set[str | float] = set()  # the values of that column read as a rating

    def add(self, batch: Batch) -> None:
        """The accepted ratings of the batch (the rows without a problem)."""
        values = batch.columns.get("value")
        if values is None:  # a file with no ratings: nothing to count
            return
        rated, kinds, problems = EventType.RATED.value, batch.columns["type"], batch.problems
        if problems.count(None) < len(batch) or kinds.count(rated) < len(batch):
            values = [v for v, t, p in zip(values, kinds, problems, strict=True) if p is None and t == rated]
        ratings = np.array(values, dtype=float)  # accepted ratings: numbers all
        others = ratings[ratings != 0]
        self.zeros += ratings.size - others.size
        if others.size:
            self.low, self.high = min(self.low, others.min()), max(self.high, others.max())
            self.whole = self.whole and bool((others == np.round(others)).all())
        self.column = self.column or batch.ratings_from
        if batch.rated_by is not None:
            self.types = batch.rated_by[0]
            self.rated |= batch.rated_by[1]

    def note(self, path: Path, encoding: str, given: ColumnMapping | None = None) -> str | None:
        """Where ratings of 0 sit below others that run from 1 up, what a 0 is taken for, and
        how to import such rows as views instead: nothing is read another way unasked. A file
        with a column of its own for the type (views and purchases beside its ratings) is told to
        rewrite those rows' type: told to read its ratings' column as the type, as a file of
        ratings alone is, its other rows, their rating blank, were quarantined for it. `given` is
        the mapping the import was given: the rewritten file keeps its delimiter and its header
        line or none, to be imported as this one was."""
        if not self.zeros or self.low < 1 or self.high <= self.low:  # 0 and 1 alone: a dislike and a like
            return None
        low, high = int(self.low), int(self.high)
        if self.column is not None and self.types is not None:
            rated = sorted(self.rated, key=str)
            how = _views_program(path, encoding, given or ColumnMapping(), self.types, rated, self.column)
        elif self.column is not None and self.whole and high - low < 20:
            column = self.column
            ratings = " ".join(f"--action {value}=rated" for value in range(low, high + 1))
            how = (
                f"--map {shlex.quote(f'type={column}')} --map {shlex.quote(f'value={column}')} "
                f"--action 0=item_viewed {ratings}"
            )
        else:
            how = (
                "read the ratings' column as the type too (--map type=COLUMN --map value=COLUMN) and "
                "say which of its values are ratings (--action 0=item_viewed --action 1=rated, and so on)"
            )
        return (
            f"{self.zeros} of the file's ratings are 0, its others {self.low:g} to {self.high:g}: a 0 is "
            "read as the bottom of the scale, a dislike, which weighs nothing and is not offered to its "
            "customer again. Where 0 means read or seen but not rated (as in Book-Crossing and "
            f"Goodreads), import those rows as views instead: {how}"
        )


def _views_program(
    path: Path, encoding: str, given: ColumnMapping, types: str, rated: list[str | float], ratings: str
) -> str:
    """The way to import a file's ratings of 0 as views where it has a column of its own for the
    type: a pandas line that makes those rows' type item_viewed, and the import of what it writes,
    which it writes in the file's encoding, by its delimiter and with its header line or none:
    imported as the file was (--encoding cp1252, --map delimiter=;, --map header=false), one
    written in UTF-8 was read as cp1252, Café as CafÃ©, one written with commas was read as one
    column, and one given a header line imported it as a row. Without a header line, pandas
    numbers the columns from 0, as the mapping names them."""
    label = json.dumps if given.header else (lambda name: str(int(name)))
    column, values = label(types), json.dumps(rated)
    zero = f'pd.to_numeric(f[{label(ratings)}], errors="coerce") == 0'
    separator = text_delimiter(path, encoding, given.delimiter)
    sep = "" if separator in (None, ",") else f", sep={json.dumps(separator)}"
    sep += "" if given.header else ", header=False"
    imports = "pandas as pd"
    if separator == " ":  # fields split by runs of spaces: a blank one (a purchase's rating) is
        sep, imports = f"{sep}, quoting=csv.QUOTE_ALL", "csv, pandas as pd"  # none unless quoted
    read = pandas_read(path, encoding, delimiter=given.delimiter, header=given.header)
    written = unused_name(path, "views.csv")
    program = (
        f"import {imports}; f = {read}; t = f[{column}].astype(object); "
        f'f[{column}] = t.mask(t.fillna("").isin({values}) & ({zero}), "item_viewed"); '
        f"f.to_csv({json.dumps(written)}, index=False{sep}{pandas_encoding(path, encoding)})"
    )
    return (
        f"make their type item_viewed first, for example with python3 -c {shlex.quote(program)}, "
        f"then import {written} as this file was"
    )


def _given_reading(mapping: ColumnMapping | Mapping[str, Any] | None) -> ColumnMapping:
    """The events' mapping the import was given, for how it read the file's text (--map
    delimiter=;, --map header=false); the default one for a catalogue's mapping, whose keys are
    not events'."""
    try:
        return ColumnMapping.of(mapping)
    except (TypeError, ValueError):
        return ColumnMapping()


def _delist_unnamed(store: AppendsRows, named: _Distinct) -> int:
    """Delists, now, every listed item that `named` does not hold; returns how many."""
    listed = select(items_table.c.item_id).where(items_table.c.status == "listed")
    with store.engine.connect() as connection:
        unnamed = named.missing([item for (item,) in connection.execute(listed)])
    now = to_micros_now()
    for start in range(0, len(unnamed), 50_000):
        store.append_rows([_delisting(item, now) for item in unnamed[start : start + 50_000]])
    return len(unnamed)


def _delisting(item_id: str, at: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(("event_id", *ID_COLUMNS))
    row.update(type=EventType.ITEM_DELISTED.value, occurred_at=at, item_id=item_id, payload={})
    row["event_id"] = event_id(row)
    return row


def import_file(
    store: AppendsRows,
    path: str | Path,
    *,
    format: str | None = None,  # noqa: A002 - the word users know
    mapping: ColumnMapping | Mapping[str, Any] | None = None,
    source_timezone: str = "UTC",
    encoding: str | None = None,
    dedupe_window_s: float = 2.0,
    chunk_rows: int = CHUNK_ROWS,
    progress: Progress | None = None,
    delist_missing: bool = False,
    waiting: Waiting | None = None,
    stock_at: int | None = None,
) -> ImportReport:
    """Imports one file (and the catalogue files that sit beside it) into `store`.

    Rows are read, validated, cleaned and appended `chunk_rows` at a time; each rejected row
    goes to the quarantine table with a reason. Event ids come from each event's content, so
    importing the same file again appends nothing; read to its end, it replaces the rows that
    earlier imports of the file refused with its own. With `delist_missing`, the file is the
    shop's whole catalogue: once it is read through, every listed item it does not name (in a
    good row or a quarantined one) is delisted. Imports into a store take turns: while another
    runs, this one waits, calling `waiting` every fraction of a second (`import_turn`). A
    catalogue file's stock is stated as of `stock_at` (microseconds UTC), by default when the
    file was last written (`_stock_counted`): purchases since lower it.
    """
    path = Path(path)
    check_regular_file(path)
    check_timezone(source_timezone)
    dedupe = Deduplicator(dedupe_window_s)
    lines = check_readable(path, format)  # 0: a text file of no rows, which imports as none
    check_encoding(path, encoding)
    lines_in = line_encoding(encoding)
    if format:
        fmt = named_format(format, path, mapping=mapping, encoding=lines_in)
    elif lines == 0:  # no line to tell the format by, and no row to read in any
        fmt = get_format("catalogue") if delist_missing else format_by_name(path, mapping)
    else:
        fmt = detect_format(path, mapping=mapping, encoding=lines_in)
    if delist_missing and fmt.name != "catalogue":
        raise ValueError(f"delisting the items a file does not name needs a catalogue file, not {fmt.name!r}")
    if fmt.name == "events" and lines != 0:
        refuse_own_export(store, path)
    report = ImportReport(import_id=uuid.uuid4().hex, source=_file_key(path), format=fmt.name)
    total = _estimate_rows(path, lines)
    if fmt.recorded_log or undated(mapping):
        # A restored log is not cleaned again; rows dated by their order (undated=DAY) are a
        # microsecond apart, so any window would take every repeat in the file for a double click.
        dedupe = Deduplicator(0)
    reasons: Counter[str] = Counter()
    users, items, sessions = _Distinct(), _Distinct(), _Distinct()
    zeros = _Zeros()
    named = _Distinct() if delist_missing else None
    with import_turn(store.engine, waiting):
        started = time.perf_counter()  # its own time, not the wait for its turn
        # A restored log is not cleaned again: each of its events was accepted once.
        checks = None if fmt.recorded_log else (CatalogueCheck(store.engine), ListingChanges(store.engine))
        started_at = to_micros_now()
        sources = {report.source}  # the files read, the main one and any beside it
        with write_transaction(store.engine) as connection:
            reclaim_sources(connection, sources)
        batches = (
            iter(())
            if lines == 0
            else fmt.reader(
                path,
                chunk_rows=chunk_rows,
                mapping_=mapping,
                source_timezone=source_timezone,
                encoding=lines_in,
            )
        )
        _run(
            store,
            batches,
            report,
            dedupe,
            checks,
            reasons,
            (users, items, sessions, named),
            zeros,
            sources,
            total,
            progress,
            lambda source: _stock_counted(source, stock_at, started_at),
        )
        # a log is restored as it was
        zero_note = None if fmt.recorded_log else zeros.note(path, lines_in, _given_reading(mapping))
        if zero_note is not None:
            report.notes.append(zero_note)
        if lines != 0 and is_workbook(path) and (unread := unread_sheets(path))[1]:
            report.notes.append(_unread_sheets_note(*unread))
        if named is not None and report.accepted:  # a file with no good row names nothing: delist nothing
            report.delisted = _delist_unnamed(store, named)
        report.already_present = report.accepted - report.appended
        report.quarantined = sum(reasons.values())
        report.quarantined_by_reason = dict(sorted(reasons.items()))
        report.duplicates_dropped = sum(reasons[r] for r in _DUPLICATES)
        report.users, report.items, report.sessions = len(users), len(items), len(sessions)
        report.seconds = round(time.perf_counter() - started, 3)
        with write_transaction(store.engine) as connection:
            # Read to its end, the file's refusals are this import's: the rows earlier imports of
            # it refused that it did not refuse again were fixed, or are no longer in the file.
            reclaim_sources(connection, sources)
            connection.execute(
                delete(quarantine).where(
                    quarantine.c.source.in_(sorted(sources)), quarantine.c.import_id != report.import_id
                )
            )
            connection.execute(
                insert(imports),
                {
                    "import_id": report.import_id,
                    "source": report.source,
                    "format": fmt.name,
                    "started_at": started_at,
                    "report": report.to_dict(),
                },
            )
    return report


def _unread_sheets_note(read: str, names: list[str]) -> str:
    sheets = ", ".join(names)
    return (
        f"Only the workbook's sheet {read!r} was read, not its other sheets that hold rows ({sheets}):"
        " save each of them as a CSV file or a workbook of its own, and import that too."
    )


def _run(
    store: AppendsRows,
    batches: Iterator[Batch],
    report: ImportReport,
    dedupe: Deduplicator,
    checks: tuple[CatalogueCheck, ListingChanges] | None,
    reasons: Counter[str],
    distinct: tuple[_Distinct, _Distinct, _Distinct, _Distinct | None],
    zeros: _Zeros,
    sources: set[str],
    total: int | None,
    progress: Progress | None,
    counted: Callable[[str], int],
) -> None:
    users, items, sessions, named = distinct
    earlier: dict[str, bool] = {}  # whether a file had rows in quarantine before this import
    # The next chunk is read, validated and deduplicated while this one is written.
    recorded = checks is None  # a restored log, which is not checked again
    prepared = ((batch, _prepare(batch, dedupe, recorded)) for batch in batches)
    for batch, rows in prefetched(prepared):
        with gc_paused():  # one chunk at a time, so cyclic garbage never piles up
            # Checked against the catalogue as it stands after the chunks before this one.
            unchanged: set[int] = set()
            if checks is not None:
                _stamp_stock(rows, batch.problems, counted(batch.source))
                checks[0].mark(rows, batch.problems)
                unchanged = checks[1].unchanged(rows, batch.problems, batch.catalogue)
            accepted = [row for i, row in enumerate(rows) if batch.problems[i] is None]
            changes = [row for i, row in enumerate(rows) if batch.problems[i] is None and i not in unchanged]
            result = store.append_rows(changes) if changes else None
            rejected = _quarantine(store.engine, report.import_id, batch, earlier)
        appended = int(getattr(result, "appended", 0))
        if checks is not None:
            checks[0].after_append(any(row["type"] in _CATALOGUE for row in accepted))
        reasons.update(rejected)
        sources.add(_file_key(batch.source))
        users.add([row["user_id"] for row in accepted])
        items.add([row["item_id"] for row in accepted])
        sessions.add([row["session_id"] for row in accepted])
        zeros.add(batch)
        if named is not None:
            named.add([value for value in batch.columns.get("item_id", ()) if isinstance(value, str)])
        advice = (note for reason, note in batch.advice.items() if rejected[reason])
        report.notes.extend(note for note in (*batch.notes, *advice) if note not in report.notes)
        report.rows_read += len(batch)
        report.accepted += len(accepted)
        report.appended += appended
        if progress is not None:
            progress(report.rows_read, total)


def _stock_counted(source: str, given: int | None, now: int) -> int:
    """When a catalogue file's stock was counted: `given`, else when the file was last
    written (its export), else (a file that is not there to ask, or dated before 1990 or
    ahead of the clock) `now`, the import's time."""
    if given is not None:
        return given
    try:
        written = int(os.stat(source).st_mtime_ns // 1000)
    except (OSError, ValueError):
        return now
    return written if CATALOGUE_AT < written <= now else now


def _stamp_stock(rows: Sequence[dict[str, Any] | None], problems: list[Problem], at: int) -> None:
    """Gives each catalogue file's row that states a stock the time it was counted (its
    payload's `stock_at`), after its event id, which stays its content's: a row has no time of
    its own (it is dated CATALOGUE_AT), and without one its stock would never be lowered by a
    purchase. A listing with a time of its own (an events file's) states its stock then."""
    for i, row in enumerate(rows):
        if (
            row is not None
            and problems[i] is None
            and row["type"] == EventType.ITEM_LISTED
            and row["occurred_at"] == CATALOGUE_AT
            and row["payload"].get("stock") is not None
            and row["payload"].get("stock_at") is None
        ):
            row["payload"]["stock_at"] = at


def to_micros_now() -> int:
    from datetime import UTC, datetime

    return to_micros(datetime.now(UTC))


def _estimate_rows(path: Path, lines: int | None) -> int | None:
    """Rows in the file for the progress bar (lines, counted already where `lines` is given;
    Parquet: its row count)."""
    try:
        suffix = data_suffix(path)
        if is_workbook(path) or suffix == ".json":
            return None
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        return lines if lines is not None else count_lines(path)
    except (OSError, ValueError):  # not Parquet after all: the reader says so, by name
        return None


def _prepare(batch: Batch, dedupe: Deduplicator, recorded: bool) -> list[dict[str, Any] | None]:
    """The log row of each valid row of the batch, None for an invalid one (with its problem);
    duplicates and double clicks are marked with their problem."""
    n = len(batch)
    columns = batch.columns
    problems = batch.problems
    batch.reject(validate_columns(columns, n, recorded=recorded))
    given_ids = columns.get("event_id")
    none = [None] * n
    types = columns["type"]
    stamps = columns["occurred_at"]
    id_columns = [columns.get(name, none) for name in ID_COLUMNS]
    payload_columns = {
        name: values
        for name, values in columns.items()
        if name not in ("type", "occurred_at", "event_id", *ID_COLUMNS)
    }
    rows: list[dict[str, Any] | None] = []
    for i in range(n):
        if problems[i] is not None:
            rows.append(None)
            continue
        kind = types[i]
        fields = TYPE_FIELDS[kind]
        values = {name: payload_columns[name][i] for name in fields if name in payload_columns}
        row = {
            "event_id": None,
            "type": kind,
            "occurred_at": stamps[i],
            "user_id": id_columns[0][i],
            "session_id": id_columns[1][i],
            "item_id": id_columns[2][i],
            "store_id": id_columns[3][i],
            "location": id_columns[4][i],
            "device": id_columns[5][i],
            "payload": payload_of(kind, values),
        }
        row["event_id"] = given_ids[i] if given_ids is not None else event_id(row)
        rows.append(row)
    dedupe.mark(rows, problems, batch.raw_of if given_ids is None else None, batch.dates_alone)
    return rows


def _quarantine(engine: Engine, import_id: str, batch: Batch, earlier: dict[str, bool]) -> Counter[str]:
    """Quarantines the batch's refused rows, and takes out of quarantine the rows an earlier
    import of the file refused that this one accepts (imported again with the --action its
    quarantine row suggested, say), in one transaction."""
    reasons: Counter[str] = Counter()
    source = _file_key(batch.source)
    records = []
    for i, problem in enumerate(batch.problems):
        if problem is None:
            continue
        reason, detail = problem
        reasons[reason] += 1
        records.append(
            {
                "import_id": import_id,
                "source": source,
                "line": batch.lines[i],
                "reason": reason[:64],
                "detail": _clean_text(detail)[:RAW_KEEP],
                "raw": _clean_text(batch.raw_of(i))[:RAW_KEEP],
            }
        )
    accepted = _accepted_on_refused_lines(engine, import_id, batch, source, earlier)
    if records or accepted:
        with write_transaction(engine) as connection:
            fresh = _refused_again(connection, import_id, source, records, accepted)
            if fresh:
                connection.execute(insert(quarantine), fresh)
    return reasons


def _accepted_on_refused_lines(
    engine: Engine, import_id: str, batch: Batch, source: str, earlier: dict[str, bool]
) -> list[dict[str, Any]]:
    """The line and text of each accepted row of the batch on a line where an earlier import
    of the file refused one. `earlier` says which files had rows in quarantine before this
    import (asked before it quarantines one), so that a first import never looks for them."""
    if not earlier.get(source, True) or not len(batch):
        return []
    with engine.connect() as connection:
        if source not in earlier:
            first = select(quarantine.c.id).where(quarantine.c.source == source).limit(1)
            earlier[source] = connection.execute(first).first() is not None
            if not earlier[source]:
                return []
        refused = set(
            connection.execute(
                select(quarantine.c.line).where(
                    quarantine.c.source == source,
                    quarantine.c.line.between(min(batch.lines), max(batch.lines)),
                    quarantine.c.import_id != import_id,
                )
            ).scalars()
        )
    return [
        {"line": line, "raw": _clean_text(batch.raw_of(i))[:RAW_KEEP]}
        for i, (line, problem) in enumerate(zip(batch.lines, batch.problems, strict=True))
        if problem is None and line in refused
    ]


def _refused_again(
    connection: Connection,
    import_id: str,
    source: str,
    records: list[dict[str, Any]],
    accepted: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The records not in quarantine yet. A row an earlier import of the same file refused (the
    same file, line and text: the file imported again, after an interruption, say) is kept
    once, under this import and with this import's reason; one that this import `accepted` is
    taken out. Rows of this import are never matched, and each earlier row stands for one
    record only: the elements of a one-line JSON array share a line, and two of them may be the
    same text."""
    earlier: dict[tuple[int, str], list[int]] = {}
    for part in chunks(sorted({r["line"] for r in (*records, *accepted)}), 500):
        for row_id, line, raw in connection.execute(
            select(quarantine.c.id, quarantine.c.line, quarantine.c.raw)
            .where(
                quarantine.c.source == source,
                quarantine.c.line.in_(part),
                quarantine.c.import_id != import_id,
            )
            .order_by(quarantine.c.id)
        ):
            earlier.setdefault((line, raw), []).append(row_id)
    again, fresh = [], []
    for record in records:
        ids = earlier.get((record["line"], record["raw"]))
        if ids:
            again.append(
                {"row_id": ids.pop(0), "new_reason": record["reason"], "new_detail": record["detail"]}
            )
        else:
            fresh.append(record)
    if again:
        connection.execute(
            update(quarantine)
            .where(quarantine.c.id == bindparam("row_id"))
            .values(import_id=import_id, reason=bindparam("new_reason"), detail=bindparam("new_detail")),
            again,
        )
    taken = [ids.pop(0) for row in accepted if (ids := earlier.get((row["line"], row["raw"])))]
    for part in chunks(taken, 500):
        connection.execute(delete(quarantine).where(quarantine.c.id.in_(part)))
    return fresh


def _file_key(path: str | Path) -> str:
    """The file as its quarantine rows and import name it: its absolute path, so that two files
    both typed `orders.csv` from their own folders are two, and `a.csv` and its absolute path
    one."""
    return _clean_text(str(Path(path).resolve()))


def _clean_text(text: str) -> str:
    # Lone surrogates (from a JSON escape, or a file name that is not UTF-8) cannot be stored as
    # UTF-8; show them as replacement characters. PostgreSQL's text holds no NUL: it stopped the
    # import and lost the batch's quarantine; it is written as \x00, on every engine alike.
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\\x00")


def problems_of(batch: Batch) -> list[Problem]:
    return batch.problems
