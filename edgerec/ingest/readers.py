"""Generic readers (CSV/TSV, JSONL, Parquet) driven by a column mapping, and edgerec's own export."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from edgerec.domain import EventType
from edgerec.ingest import convert
from edgerec.ingest.batch import (
    Batch,
    find,
    header_key,
    merge,
    pick,
    repeated_headers,
    text_batch,
    truncate,
)
from edgerec.ingest.columns import ColumnMapping, resolve_columns
from edgerec.ingest.errors import FormatError
from edgerec.ingest.json_array import array_records, json_layout, starts_array
from edgerec.ingest.mapping import (
    cell_fallbacks,
    check_columns,
    check_customer_columns,
    check_placeholder_times,
    check_positions,
    check_time_range,
    check_undated,
    choose_action_column,
    choose_time_column,
    column_position,
    customer_fallbacks,
    fill_cells,
    fill_customers,
    fill_order_lines,
    guest_advice,
    nested_events,
    own_line,
    python_literal,
    rated_by,
    sessions_are_visitors,
    status_columns,
    typed_columns,
    undated_times,
    unsold_orders,
)
from edgerec.ingest.streams import data_suffix, open_bytes
from edgerec.ingest.text import (
    RAW_KEEP,
    encoding_problem,
    head_lines,
    json_loads,
    name_quotes_as_text,
    read_records,
    sniff_delimiter,
    unquote_whole_fields,
)
from edgerec.ingest.validate import PAYLOAD_COLUMNS, Problem


def csv_batches(
    path: Path, mapping: ColumnMapping, source_timezone: str, chunk_rows: int, encoding: str = "utf-8"
) -> Iterator[Batch]:
    delimiter = mapping.delimiter or sniff_delimiter(head_lines(path))
    source = str(path)
    given_mapping = mapping
    resolved = settled = False
    notes: tuple[str, ...] = ()  # the first batch's: how its dates were read, where a guess
    quoting = csv.QUOTE_MINIMAL if mapping.quote else csv.QUOTE_NONE
    records = read_records(
        path,
        delimiter=delimiter,
        header=mapping.header,
        chunk_rows=chunk_rows,
        encoding=encoding,
        quoting=quoting,
    )
    fallbacks: list[tuple[str, str]] = []
    fills: list[tuple[str, str]] = []  # the fields and columns read where a field's cell is empty
    sessions = False
    order: dict[str, Any] = {}  # the fields of the last line that named its order
    own_lines: set[str] = set()  # the order lines' own numbers in the chunk before
    statuses: list[str] = []  # the columns of an order's status
    status: dict[str, Any] = {}  # the last order and whether it sold nothing
    advice: dict[str, str] = {}  # how rows quarantined for a reason could be kept
    for names, chunk in records:
        names = names or []
        if mapping.quote:
            name_quotes_as_text(chunk)
        else:
            unquote_whole_fields(chunk)
        if mapping.header and not resolved:
            cells = partial(named_cells, chunk.records, names)
            given, mapping, resolved = mapping, resolve_columns(mapping, names, cells), True
            check_customer_columns(given, names, path)
            check_columns(mapping, names, path, values_of=cells, encoding=encoding)
            mapping = choose_time_column(given, mapping, names, cells)
            check_undated(mapping, names, cells)
            mapping = choose_action_column(given, mapping, names, cells)
            fallbacks = customer_fallbacks(given, mapping, names)
            fills = cell_fallbacks(given, mapping, names)
            statuses = status_columns(mapping, names)
            sessions = sessions_are_visitors(given, mapping)
            advice = guest_advice(given, mapping, names)
        elif not mapping.header and not resolved:
            mapping, resolved = _by_position(mapping), True
            check_positions(mapping, path)
        wanted: dict[str, int | None] = {}
        for event_field, column in mapping.sources().items():
            if column is None:
                continue
            index = find(names, column) if mapping.header else column_position(column)
            if index is not None:
                wanted[event_field] = index
        if mapping.header and (line := own_line(mapping.parent_line)) is not None:
            wanted["line"] = find(names, line)
        wanted |= {f"fallback:{name}": find(names, name) for name, _prefix in fallbacks}
        wanted |= {f"{name}:{column}": find(names, column) for name, column in fills}
        wanted |= {f"status:{name}": find(names, name) for name in statuses}
        width = len(names) if mapping.header else None
        raw, problems = pick(chunk, wanted, width)
        fill_customers(raw, fallbacks, sessions)
        fill_cells(raw, fills, len(chunk))
        unsold_orders(raw, statuses, status)
        fill_order_lines(raw, order)
        if names:
            merge(problems, repeated_headers(source, chunk, names))
        if not settled and "occurred_at" in raw:
            where = f"column {mapping.timestamp}" if not mapping.header else repr(mapping.timestamp)
            check_placeholder_times(given_mapping, mapping, raw, path, where)
            check_time_range(given_mapping, mapping, raw, path, where)
            column = wanted["occurred_at"]
            later = partial(_csv_column, path, delimiter, mapping.header, chunk_rows, encoding, column)
            (mapping, notes), settled = settle_day_order(mapping, raw["occurred_at"], later), True
        undated_times(mapping, raw, chunk.lines)
        columns, found, days = typed_columns(raw, mapping, source_timezone, len(chunk), own_lines)
        batch = text_batch(source, chunk, columns, merge(problems, found))
        batch.dates_alone = days
        batch.notes, notes = notes, ()
        batch.advice = advice
        batch.ratings_from = mapping.value if "value" in wanted else None
        batch.rated_by = rated_by(mapping, raw, columns)
        yield batch


def objects_column(objects: Sequence[Any], key: str) -> list[Any]:
    """One key's values in a chunk of JSON objects (None where a line is no object)."""
    return [obj.get(key) if isinstance(obj, dict) else None for obj in objects]


def named_cells(records: Sequence[list[str] | None], names: Sequence[str], column: str) -> list[Any]:
    """A named column's cells in a chunk of a delimited file."""
    return _cells(records, find(names, column))


def _cells(records: Sequence[list[str] | None], index: int | None) -> list[Any]:
    """One column's cells in a chunk of a delimited file (None where a record lacks it)."""
    return [r[index] if r is not None and index is not None and len(r) > index else None for r in records]


def _csv_column(
    path: Path, delimiter: str, header: bool, chunk_rows: int, encoding: str, index: int | None
) -> Iterator[list[Any]]:
    """One column of each chunk of a delimited file, read again from its start."""
    records = read_records(path, delimiter=delimiter, header=header, chunk_rows=chunk_rows, encoding=encoding)
    for _names, chunk in records:
        yield _cells(chunk.records, index)


def settle_day_order(
    mapping: ColumnMapping, first: Sequence[Any], later: Callable[[], Iterator[list[Any]]]
) -> tuple[ColumnMapping, tuple[str, ...]]:
    """`mapping` with the file's one reading of dates such as 01/05/2024 (day or month first):
    from its first chunk, or, where every date there reads both ways, from the first later chunk
    with a day past the 12th. (Chunks that each settle it for themselves read a file whose first
    chunk falls in the first 12 days of a month two ways.) Where no chunk tells, the note that
    says how they were read: a shop's week of sales may fall in the first 12 days."""
    if mapping.day_first is not None or mapping.timestamp_unit not in ("auto", "iso"):
        return mapping, ()
    order = convert.day_order(first)
    if order == "either":
        order = next((o for values in later() if (o := convert.day_order(values)) in ("day", "month")), order)
    if order in ("day", "month"):
        return replace(mapping, day_first=order == "day"), ()
    note = convert.day_order_note(first) if order == "either" else None
    return mapping, () if note is None else (note,)


def _by_position(mapping: ColumnMapping) -> ColumnMapping:
    """A mapping by column number (no header line), with the rules a header gets: with no type
    column, every row is a rating where a rating column is named, else a purchase where a
    price or quantity column is; undated=DAY refuses a time column, as with a header."""
    if mapping.undated is not None:
        if column_position(mapping.timestamp or "") is not None:
            raise FormatError(
                f"undated={mapping.undated}: the file has times, in column {mapping.timestamp}; undated "
                "dates the rows of a file with none"
            )
        mapping = replace(mapping, timestamp=None, timestamp_unit="us")
    if mapping.default_type or column_position(mapping.type or "") is not None:
        return mapping
    named = {
        name
        for name in ("value", "price_paid", "quantity")
        if column_position(getattr(mapping, name) or "") is not None
    }
    if "value" in named:
        return replace(mapping, default_type=EventType.RATED.value)
    if named:
        return replace(mapping, default_type=EventType.PURCHASED.value)
    return mapping


def not_json_lines(path: Path) -> FormatError:
    """The refusal of a JSON document over several lines (an API's `{"orders": [`, `jq .`'s
    objects), which JSON lines would read as a refused row per line."""
    return FormatError(
        f"{path}: a JSON document over several lines, not JSON lines (one object per line) or a "
        "JSON array of objects: write its records one per line, for example with "
        "`jq -c '.[]'`, `jq -c '.events[]'` or `jq -c .`"
    )


def jsonl_records(
    path: Path, chunk_rows: int, encoding: str = "utf-8"
) -> Iterator[tuple[list[int], list[str], list[Any], list[Problem]]]:
    """(lines, raws, objects, problems) per chunk of a JSON-lines file, or of a JSON array of
    objects (one record per element)."""
    layout = json_layout(path)
    if layout == "array":
        for number, (lines, raws, objects, problems) in enumerate(array_records(path, chunk_rows, encoding)):
            if number == 0:
                check_not_rows(path, raws[0])
            yield lines, raws, [lifted(obj) for obj in objects], problems
        return
    if layout == "document":  # read line by line, each of its lines would be a refused row
        raise not_json_lines(path)
    lines: list[int] = []
    raws: list[str] = []
    objects: list[Any] = []
    problems: list[Problem] = []
    with open_bytes(path) as file:
        for number, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            problem: Problem = None
            obj: Any = None
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                text = raw.decode(encoding, "replace")
                problem = ("invalid_encoding", encoding_problem(encoding, exc))
            if number == 1:
                text = text.removeprefix("\ufeff")  # a byte-order mark, as Windows tools write
            if problem is None:
                try:
                    obj = lifted(read_object(text))
                except ValueError as exc:
                    problem = ("bad_json", str(exc)[:200])
                if not objects:
                    check_not_a_table(path, obj)
            lines.append(number)
            raws.append(text.rstrip("\r\n")[:RAW_KEEP])
            objects.append(obj)
            problems.append(problem)
            if len(lines) >= chunk_rows:
                yield lines, raws, objects, problems
                lines, raws, objects, problems = [], [], [], []
    if lines:
        yield lines, raws, objects, problems


def check_not_a_table(path: Path, obj: Any) -> None:
    """FormatError for a first object that is a whole table, as pandas' to_json writes it."""
    if (orient := _pandas_orient(obj)) is not None:
        raise FormatError(
            f"{path}: a table written by pandas' to_json with orient={orient!r} (the whole table in "
            'one object), not a record per line: write it with df.to_json(path, orient="records", '
            "lines=True)"
        )


def check_not_rows(path: Path, first: str) -> None:
    """FormatError for a JSON array whose first element (its text, `first`) is an array: rows
    without field names, as pandas' to_json(orient="values") or json.dump of a list of rows
    writes them. Read as a CSV, its header was '[["u1"', and header=false quarantined every row."""
    if first.lstrip().startswith("["):
        raise FormatError(
            f"{path}: a JSON array of arrays (rows without field names, as pandas' to_json writes with "
            "orient='values'), not a record per line: write it with df.to_json(path, orient=\"records\", "
            "lines=True), each row an object naming its fields"
        )


def _pandas_orient(obj: Any) -> str | None:
    """The layout pandas' `to_json` gave a whole table in one object, other than a record per
    line: "split" ({"columns", "index", "data"}), "table" ({"schema", "data"}), "columns" (its
    default: each column's values by row label, {"user": {"0": "C1", "1": "C2"}}) or "index"
    (each row by its label, {"0": {"user": "C1"}}); None for an event. Read as one event, the
    default quarantined the whole table as one row with an action quoting a column's values."""
    if not isinstance(obj, dict) or len(obj) < 2:
        return None
    keys = set(obj)
    if {"columns", "data"} <= keys <= {"columns", "index", "data", "name"} and isinstance(obj["data"], list):
        return "split"
    if keys == {"schema", "data"} and isinstance(obj["data"], list):
        return "table"
    inner = [set(value) for value in obj.values() if isinstance(value, dict)]
    if len(inner) != len(obj) or not inner[0] or any(labels != inner[0] for labels in inner):
        return None
    if all(label.isdigit() for label in inner[0]):
        return "columns"
    return "index" if all(key.isdigit() for key in keys) else None


def parquet_records(
    path: Path, chunk_rows: int
) -> Iterator[tuple[list[int], list[str] | None, list[Any], list[Problem]]]:
    import pyarrow.parquet as pq

    done = 0
    try:
        opened = pq.ParquetFile(path)
    except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise FormatError(f"{path}: not a Parquet file ({exc})") from exc
    with opened as parquet:
        for record_batch in parquet.iter_batches(batch_size=chunk_rows):
            objects = record_batch.to_pylist()
            lines = list(range(done + 1, done + len(objects) + 1))
            done += len(objects)
            yield lines, None, objects, [None] * len(objects)


def _lifted_parquet_records(
    path: Path, chunk_rows: int
) -> Iterator[tuple[list[int], list[str] | None, list[Any], list[Problem]]]:
    """`parquet_records` with each row's `properties` (or `payload`) lifted, as a JSON line's."""
    for lines, raws, objects, problems in parquet_records(path, chunk_rows):
        yield lines, raws, [lifted(obj) for obj in objects], problems


def _object_column(
    records: Callable[[], Iterator[tuple[Any, Any, list[Any], Any]]], key: str
) -> Iterator[list[Any]]:
    """One field of each chunk of a JSON-lines or Parquet file, read again from its start."""
    for _lines, _raws, objects, _problems in records():
        yield objects_column(objects, key)


def object_batches(
    path: Path,
    mapping: ColumnMapping,
    source_timezone: str,
    chunk_rows: int,
    kind: str,
    encoding: str = "utf-8",
) -> Iterator[Batch]:
    records = (
        partial(jsonl_records, path, chunk_rows, encoding)
        if kind == "jsonl"
        else partial(_lifted_parquet_records, path, chunk_rows)
    )
    sources: dict[str, str] | None = None
    fallbacks: list[tuple[str, str]] = []
    fills: list[tuple[str, str]] = []  # the fields and columns read where a field's cell is empty
    sessions = False
    order: dict[str, Any] = {}  # the fields of the last line that named its order
    own_lines: set[str] = set()  # the order lines' own numbers in the chunk before
    statuses: list[str] = []  # the columns of an order's status
    status: dict[str, Any] = {}  # the last order and whether it sold nothing
    given_mapping = mapping
    notes: tuple[str, ...] = ()
    advice: dict[str, str] = {}  # how rows quarantined for a reason could be kept
    for lines, raws, objects, problems in records():
        first = sources is None
        if sources is None:  # the first chunk's keys say which column holds each field
            keys = list(dict.fromkeys(key for obj in objects if obj is not None for key in obj))
            given, mapping = mapping, resolve_columns(mapping, keys, partial(objects_column, objects))
            check_customer_columns(given, keys, path, partial(objects_column, objects))
            if keys:  # with no object to go by, each line is quarantined for what it is
                check_columns(
                    mapping,
                    keys,
                    path,
                    nested=nested_events(objects),
                    values_of=partial(objects_column, objects),
                    encoding=encoding,
                )
            mapping = choose_time_column(given, mapping, keys, partial(objects_column, objects))
            check_undated(mapping, keys, partial(objects_column, objects))
            mapping = choose_action_column(given, mapping, keys, partial(objects_column, objects))
            sources = {k: v for k, v in mapping.sources().items() if v is not None}
            fallbacks = customer_fallbacks(given, mapping, keys)
            sessions = sessions_are_visitors(given, mapping)
            advice = guest_advice(given, mapping, keys)
            sources |= {f"fallback:{name}": name for name, _prefix in fallbacks}
            fills = cell_fallbacks(given, mapping, keys)
            sources |= {f"{name}:{column}": column for name, column in fills}
            statuses = status_columns(mapping, keys)
            sources |= {f"status:{name}": name for name in statuses}
            if (line := own_line(mapping.parent_line)) is not None:
                sources["line"] = line
        raw: dict[str, list[Any]] = {
            name: [obj.get(column) if obj is not None else None for obj in objects]
            for name, column in sources.items()
            if any(obj is not None and column in obj for obj in objects)
        }
        fill_customers(raw, fallbacks, sessions)
        fill_cells(raw, fills, len(objects))
        unsold_orders(raw, statuses, status)
        fill_order_lines(raw, order)
        if first and "occurred_at" in raw:
            check_placeholder_times(given_mapping, mapping, raw, path, repr(sources["occurred_at"]))
            check_time_range(given_mapping, mapping, raw, path, repr(sources["occurred_at"]))
            later = partial(_object_column, records, sources["occurred_at"])
            mapping, notes = settle_day_order(mapping, raw["occurred_at"], later)
        undated_times(mapping, raw, lines)
        columns, found, days = typed_columns(raw, mapping, source_timezone, len(lines), own_lines)
        merge(problems, found)
        for i, obj in enumerate(objects):
            if obj is None and problems[i] is None:
                problems[i] = ("bad_json", "not an object")
        yield Batch(
            str(path),
            lines,
            columns,
            problems,
            raw_of(raws, objects),
            notes=notes,
            advice=advice,
            ratings_from=sources.get("value"),
            rated_by=rated_by(mapping, raw, columns),
            dates_alone=days,
        )
        notes = ()


def read_object(line: str) -> dict[str, Any]:
    """One line of a JSON-lines file as an object; ValueError says why it is none.

    A line that is not JSON but a Python dict literal is read too: Amazon's 2014 product
    metadata (`meta_*.json`) was written that way, with single quotes.
    """
    try:
        obj = json_loads(line)
    except ValueError as exc:
        obj = python_literal(line)
        if obj is None:
            raise ValueError(str(exc)) from None
        if not isinstance(obj, dict) or not all(isinstance(key, str) for key in obj):
            raise ValueError("a line must be an object whose keys are text") from None
    if not isinstance(obj, dict):
        raise ValueError("a line must be a JSON object")
    return obj


def object_keys(path: Path, head: Sequence[str]) -> list[str] | None:
    """The keys of a JSON-lines file's first object (among its `head` lines), of a JSON array's
    first element, or a Parquet file's columns; None when none of them is an object."""
    if data_suffix(path) == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    first = first_object(path, head)
    return None if first is None else list(first)


def head_objects(path: Path, head: Sequence[str]) -> list[dict[str, Any] | None]:
    """The objects of a JSON-lines file's `head` lines (None for a line that is none), or a JSON
    array's first element."""
    if head and head[0].lstrip().startswith("[") and starts_array(path):
        return [first_object(path, head)]
    objects: list[dict[str, Any] | None] = []
    for line in head:
        try:
            objects.append(lifted(read_object(line)))
        except ValueError:
            objects.append(None)
    if objects:  # a table's columns are not an event's, named as if they were
        check_not_a_table(path, objects[0])
    return objects


def object_lines(path: Path, head: Sequence[str]) -> bool:
    """Whether a file named otherwise (Adressa's `20170101`, a `.log`) is JSON lines: its first
    line is a JSON object."""
    return (
        bool(head) and head[0].lstrip("\ufeff ").startswith("{") and first_object(path, head[:1]) is not None
    )


def first_object(path: Path, head: Sequence[str]) -> dict[str, Any] | None:
    """A JSON-lines file's first object (among its `head` lines), or a JSON array's first
    element; None when none of them is an object."""
    if head and head[0].lstrip().startswith("[") and starts_array(path):
        _lines, raws, objects, _problems = next(array_records(path, 1), ([], [""], [None], []))
        check_not_rows(path, raws[0])
        return lifted(objects[0]) if isinstance(objects[0], dict) else None
    for line in head:
        try:
            return lifted(read_object(line))
        except ValueError:
            continue
    return None


# Where analytics tools nest an event's own fields: Mixpanel's and Segment's `properties`,
# Amplitude's `event_properties`.
_PROPERTIES = ("properties", "event_properties", "props", "payload")  # a shop log's own "payload" too


def lifted(obj: Any) -> Any:
    """A JSON object with the fields nested under its `properties` also at its top level (where
    the top level has none of that name), so that they are read as columns are. A `properties`
    that is text holding a JSON object (a Parquet column of strings) is lifted as that object;
    other text is only itself."""
    if not isinstance(obj, dict):
        return obj
    for key in _PROPERTIES:
        nested = obj.get(key)
        if isinstance(nested, str) and nested.lstrip().startswith("{"):
            try:
                nested = json_loads(nested)
            except ValueError:
                continue
        if isinstance(nested, dict):  # after the top level's: its columns are found first
            top = {header_key(name) for name in obj}
            lifted_fields = {k: v for k, v in nested.items() if header_key(k) not in top}
            obj = {**obj, **{k: v for k, v in lifted_fields.items() if not isinstance(v, dict | list)}}
    return obj


def raw_of(raws: list[str] | None, objects: list[Any]):  # type: ignore[no-untyped-def]
    if raws is not None:
        return raws.__getitem__
    return lambda i: truncate(json.dumps(objects[i], default=str, ensure_ascii=False))


# --- edgerec's own export -----------------------------------------------------------------

EXPORT_KEYS = (
    "event_id",
    "type",
    "occurred_at",
    "user_id",
    "session_id",
    "item_id",
    "store_id",
    "location",
    "device",
    "payload",
)


def is_export(keys: Sequence[str]) -> bool:
    return {"event_id", "type", "occurred_at", "payload"} <= set(keys)


def export_batches(path: Path, chunk_rows: int, kind: str) -> Iterator[Batch]:
    """Reads back `export_events` output: ids and times are kept exactly."""
    reader = jsonl_records(path, chunk_rows) if kind == "jsonl" else parquet_records(path, chunk_rows)
    for lines, raws, objects, problems in reader:
        columns: dict[str, list[Any]] = {k: [] for k in EXPORT_KEYS if k != "payload"}
        payloads: list[dict[str, Any]] = []
        for i, obj in enumerate(objects):
            obj = obj or {}
            for key in columns:
                columns[key].append(obj.get(key))
            payload = obj.get("payload")
            if isinstance(payload, str):
                try:
                    payload = json_loads(payload)
                except ValueError:
                    payload = None
            if payload is not None and not isinstance(payload, dict):
                payload = None
            if payload is None and problems[i] is None:
                problems[i] = ("bad_payload", "payload: must be a JSON object")
            payloads.append(payload or {})
        for name in PAYLOAD_COLUMNS:
            if any(name in p for p in payloads):
                columns[name] = [p.get(name) for p in payloads]
        for i, payload in enumerate(payloads):
            extra = set(payload) - set(PAYLOAD_COLUMNS)
            if extra and problems[i] is None:
                problems[i] = ("invalid_payload", f"{sorted(extra)[0]}: not an event field")
        ids = columns["event_id"]
        for i, value in enumerate(ids):
            if (
                not isinstance(value, str) or not value or len(value) > 256 or not value.isprintable()
            ) and problems[i] is None:
                problems[i] = ("invalid_event_id", "event_id: must be a non-empty printable string")
        stamps = columns["occurred_at"]
        for i, value in enumerate(stamps):
            if (isinstance(value, bool) or not isinstance(value, int)) and problems[i] is None:
                problems[i] = ("bad_timestamp", "occurred_at: must be integer microseconds")
                stamps[i] = None
        yield Batch(str(path), lines, columns, problems, raw_of(raws, objects))
