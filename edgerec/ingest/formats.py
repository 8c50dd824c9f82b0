"""The import formats: their names, one-line descriptions, and detection from names and headers."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any

from edgerec.domain import EventType
from edgerec.ingest import datasets, mapping, readers
from edgerec.ingest.batch import Batch
from edgerec.ingest.columns import ColumnMapping, resolve_columns
from edgerec.ingest.errors import FormatError
from edgerec.ingest.json_array import json_layout
from edgerec.ingest.mapping import check_columns, looks_like_data, nested_events, spaced_header
from edgerec.ingest.streams import DAMAGE, JSON_LINES_SUFFIXES, check_regular_file, data_suffix
from edgerec.ingest.text import CHUNK_ROWS, check_header_line, head_lines, sniff_delimiter


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    reader: Callable[..., Iterator[Batch]]
    sniff: Callable[[Path, list[str]], bool] | None = None  # None: never detected, only named
    # The rows were accepted into an edgerec log once (a backup): none is cleaned away again as
    # a double click or a purchase of an item the catalogue does not list.
    recorded_log: bool = False


def _generic_sniff(kind: str) -> Callable[[Path, list[str]], bool]:
    """A file of the generic `kind` whose header names the customer, item, time and type
    columns under common names (visitorid, event, ...): read as interactions unmapped."""

    def sniff(path: Path, head: list[str]) -> bool:
        suffix = data_suffix(path)
        if kind == "csv":
            if suffix == ".parquet" or suffix in JSON_LINES_SUFFIXES or not head:
                return False
            names = _first_line(head)
        elif (suffix == ".parquet") != (kind == "parquet"):
            return False
        else:
            names = readers.object_keys(path, head) or []
        return mapping.has_event_columns(names)

    return sniff


def _generic(kind: str) -> Callable[..., Iterator[Batch]]:
    def read(
        path: Path,
        chunk_rows: int,
        mapping_: Any = None,
        source_timezone: str = "UTC",
        encoding: str = "utf-8",
        **_: Any,
    ) -> Iterator[Batch]:
        columns = ColumnMapping.of(mapping_)
        if kind == "csv":
            return readers.csv_batches(path, columns, source_timezone, chunk_rows, encoding)
        return readers.object_batches(path, columns, source_timezone, chunk_rows, kind, encoding)

    return read


def _events(path: Path, chunk_rows: int, **_: Any) -> Iterator[Batch]:
    kind = "parquet" if data_suffix(path) == ".parquet" else "jsonl"
    return readers.export_batches(path, chunk_rows, kind)


def _events_sniff(path: Path, head: list[str]) -> bool:
    """Whether the file is edgerec's export: its keys, and its first records' values too (a
    shop's own log may name its fields so, with times in text, in seconds or in nanoseconds, and
    types of its own). One record that reads as the export's is enough: a damaged time in the
    first leaves the rest a backup to restore, that one refused."""
    keys = readers.object_keys(path, head)
    if keys is None or not readers.is_export(keys):
        return False
    records = _parquet_head(path) if data_suffix(path) == ".parquet" else readers.head_objects(path, head)
    records = [r for r in records if isinstance(r, dict)]
    return not records or any(_as_exported(r) for r in records)  # no record: the keys say it


def _as_exported(record: dict[str, Any]) -> bool:
    """An event type of edgerec's, and a time in microseconds, as the export writes them: a log's
    seconds or milliseconds are fewer, its nanoseconds more than any time up to the year 9999."""
    at = record.get("occurred_at")
    microseconds = type(at) is int and _MICROSECONDS_OF_1973 <= abs(at) <= _MICROSECONDS_OF_9999
    return microseconds and record.get("type") in _EVENT_TYPES


_EVENT_TYPES = frozenset(t.value for t in EventType)
_MICROSECONDS_OF_1973 = 10**14  # any time since in seconds or milliseconds is smaller
_MICROSECONDS_OF_9999 = 253_402_300_800 * 10**6  # any time since 1973 in nanoseconds is larger


def _parquet_head(path: Path, rows: int = 20) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows, columns=["type", "occurred_at"]):
        return batch.to_pylist()
    return []


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "events",
            "edgerec's own export (JSONL or Parquet from `export_events`), restored as logged:"
            " ids kept, nothing cleaned away",
            _events,
            _events_sniff,
            recorded_log=True,
        ),
        Format(
            "taobao",
            "Taobao UserBehavior: user,item,category,behavior(pv/cart/fav/buy),timestamp",
            datasets.taobao_batches,
            datasets.taobao_sniff,
        ),
        Format(
            "movielens",
            "MovieLens ratings (ratings.csv, u.data, ratings.dat) + movies catalogue beside them",
            datasets.movielens_batches,
            datasets.movielens_sniff,
        ),
        Format(
            "diginetica",
            "DIGINETICA item views / purchases (sessionId;userId;itemId;timeframe;eventdate)"
            " + product-categories.csv beside them",
            datasets.diginetica_batches,
            datasets.diginetica_sniff,
        ),
        Format(
            "yoochoose",
            "YOOCHOOSE clicks/buys (yoochoose-clicks.dat, or SessionId/ItemId/Time TSV)",
            datasets.yoochoose_batches,
            datasets.yoochoose_sniff,
        ),
        Format(
            "netflix",
            "Netflix Prize ratings (combined_data_*.txt: a `1:` line per movie, then"
            " customer,rating,date) + movie_titles.csv beside them",
            datasets.netflix_batches,
            datasets.netflix_sniff,
        ),
        Format(
            "s3rec",
            "Amazon sequences in the S3-Rec format (`user item item ...`) + *_item2attributes.json",
            datasets.s3rec_batches,
            datasets.s3rec_sniff,
        ),
        Format(
            "catalogue",
            "catalogue (CSV with a header, JSON lines or array, Parquet, Excel .xlsx): id, title, "
            "category, brand, price, stock, stock_at, description",
            datasets.catalogue_batches,
            datasets.catalogue_sniff,
        ),
        *(
            Format(
                kind,
                f"generic {label} of interactions, with a column mapping",
                _generic(kind),
                _generic_sniff(kind),
            )
            for kind, label in (
                ("csv", "CSV/TSV (or Excel .xlsx)"),
                ("jsonl", "JSON lines (or a JSON array)"),
                ("parquet", "Parquet"),
            )
        ),
    )
}
# Order matters: specific datasets first, then interactions under common column names, then the
# catch-all catalogue sniffing (a catalogue has no customer or time column).
_DETECTION_ORDER = (
    "events",
    "netflix",
    "s3rec",
    "movielens",
    "taobao",
    "diginetica",
    "yoochoose",
    "csv",
    "jsonl",
    "parquet",
    "catalogue",
)


# What a file that detection cannot read raises: bytes that are no text in its encoding, no
# JSON or no Parquet (ValueErrors, as UnicodeDecodeError, pyarrow's ArrowInvalid and FormatError
# are), a Parquet column of a type pyarrow cannot read (its ArrowNotImplementedError is a
# NotImplementedError), JSON nested deeper than the parser recurses (RecursionError), a line csv
# cannot split, damaged compression or an unreadable file. An error of
# edgerec's own code (an AttributeError, a NameError, a TypeError) is none of them: taken for a
# file it trips over, it was told to the user as a format that cannot be told.
_UNREADABLE = (ValueError, NotImplementedError, RecursionError, csv.Error, *DAMAGE)


# The formats read through a column mapping of event fields.
_GENERIC = ("csv", "jsonl", "parquet")


def format_names() -> str:
    return "\n".join(f"  {f.name:<11} {f.description}" for f in FORMATS.values())


# Fields both kinds of file have, and whether it has a header line: a mapping of only these says
# nothing about the kind.
_EITHER = {"item", "category", "header"}


# Options of a mapping that name no column, only how a file is read: a dataset's file given only
# these is still read by its dataset's reader, which knows its layout (and its companion files).
_READING = {"timestamp_unit", "day_first", "delimiter", "header", "undated", "default_type", "actions"}


def _names_event_columns(columns: ColumnMapping | Mapping[str, Any] | None) -> bool:
    """Whether a mapping names a column for an event field (user=, timestamp=, value=, ...)."""
    if isinstance(columns, ColumnMapping):
        return True
    return bool(set(columns or ()) - _EITHER - _READING)


def mapped_kind(columns: ColumnMapping | Mapping[str, Any] | None) -> str | None:
    """ "catalogue" for a mapping of catalogue fields (title, price, ...), "events" for one with
    event fields (user, timestamp, ...), None for no mapping or one of item and category only."""
    if isinstance(columns, ColumnMapping):
        return "events"
    keys = set(columns or ()) - _EITHER - {"quote"}  # how either kind's text is read
    if not keys:
        return None
    return "catalogue" if keys <= set(datasets.CATALOGUE_FIELDS) else "events"


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """`KEY=VALUE` words (a column mapping: user=visitorid) as a dict; ValueError names a bad one."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{pair!r} is not KEY=VALUE")
        parsed[key.strip()] = value.strip()
    return parsed


def check_mapping(format_name: str | None, columns: Mapping[str, Any] | None) -> None:
    """Raises ValueError for a mapping the format would refuse (before any store is opened).
    Unless the format is catalogue, a key that is neither kind's field is named alone, among both
    kinds' keys (the kind is told by the fields mapped: a typo makes the others no less known)."""
    named = (format_name or "").lower()
    if named == "catalogue":
        datasets.catalogue_mapping(columns)
        return
    keys = set(columns or ())
    catalogue = set(datasets.CATALOGUE_FIELDS)
    events = {f.name for f in fields(ColumnMapping)} - {"named"}  # what of, not a caller, sets
    unknown = sorted(keys - catalogue - events)
    if unknown:
        known = sorted((catalogue | events) - {"actions"})  # actions are named with --action
        raise ValueError(f"unknown mapping keys {unknown}; known: {known}")
    if not named and mapped_kind(columns) == "catalogue":
        datasets.catalogue_mapping(columns)
        return
    listing = ", ".join(sorted(keys & (catalogue - _EITHER)))
    if listing:
        if named:
            beside, way_out = (
                f"format {named}, which reads events",
                "a catalogue is read with format catalogue",
            )
        else:
            beside = f"events' keys ({', '.join(sorted(keys - catalogue))})"
            way_out = "a file is a catalogue or events, so map the fields of one"
        hint = "; a sale's price is price_paid=COLUMN" if "price" in keys else ""
        raise ValueError(f"catalogue fields ({listing}) with {beside}: {way_out}{hint}")
    ColumnMapping.of(columns)


def detect_format(
    path: str | Path, *, mapping: ColumnMapping | Mapping[str, Any] | None = None, encoding: str = "utf-8"
) -> Format:
    """The format of `path` from its name and first lines (in `encoding`, the one its lines are
    read in); FormatError names the choices, or says that its header line is not text.

    A column mapping says which kind the file is where its fields do: with event fields (user,
    timestamp, ...) naming its columns, the file is read as generic events whatever its header or
    lines look like (a sales file has an item id and a price, as a catalogue has; a `user item
    rating` file's lines are numbers, as S3-Rec's sequences are); options of how it is read only
    (timestamp_unit, delimiter, ...) leave a dataset's file to its dataset's reader, but make it
    no catalogue; with catalogue fields, as a catalogue.
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    check_regular_file(path)
    kind = mapped_kind(mapping)
    suffix = data_suffix(path)
    head = [] if suffix == ".parquet" else head_lines(path, 20, encoding)
    if kind == "catalogue":
        _refuse_customers_in_a_catalogue(path, _header(path, head, encoding), mapping)
        return FORMATS["catalogue"]
    for name in _DETECTION_ORDER:
        if kind == "events" and name == "catalogue":
            continue
        if name not in (*_GENERIC, "catalogue") and _names_event_columns(mapping):
            # a dataset's reader reads no mapping (the catalogue's reads quote=none)
            continue
        sniff = FORMATS[name].sniff
        try:
            if sniff is not None and sniff(path, head):
                return FORMATS[name]
        except _UNREADABLE:  # a sniffer that trips over a file just says no
            continue
    if mapping is not None:
        if suffix == ".parquet":
            return FORMATS["parquet"]
        if suffix in JSON_LINES_SUFFIXES or readers.object_lines(path, head):
            return FORMATS["jsonl"]
        return FORMATS["csv"]
    if suffix in JSON_LINES_SUFFIXES and json_layout(path) == "document":
        raise readers.not_json_lines(path)
    names = _header(path, head, encoding)
    # JSON lines named otherwise (Adressa's 20170101) are judged as JSON lines, not split as CSV.
    json_lines = suffix in JSON_LINES_SUFFIXES or readers.object_lines(path, head)
    # One key is a JSON line's whole record (an API's {"orders": [...]}), one CSV name a header
    # not split by its delimiter.
    if (len(names) >= 2 or (json_lines and names)) and all(
        name.isprintable() and len(name) <= 64 for name in names
    ):
        # A table of interactions it cannot read: say which columns it lacks, from as many lines
        # as --format csv or jsonl would judge (GA4's items listed only after 20 page_views).
        rows = head if suffix == ".parquet" else head_lines(path, CHUNK_ROWS, encoding)
        objects = readers.head_objects(path, rows) if json_lines else None
        nested = nested_events(objects) if objects is not None else None
        check_columns(
            resolve_columns(ColumnMapping(), names),
            names,
            path,
            nested=nested,
            values_of=partial(readers.objects_column, objects)
            if objects is not None
            else _head_cells(rows, names),
            encoding=encoding,
        )
    no_header = (
        ", and its first line looks like data, not column names: a file with no header line is read "
        "with --map header=false, its columns named by position from 0 (--format catalogue --map "
        "header=false --map item=0 --map title=3 for a catalogue; user=0 item=1 timestamp=2 for "
        "events); or"
        if looks_like_data(names if len(names) > 1 else [word for line in head[:1] for word in line.split()])
        else f", and its header line {names[0]!r} was read as one column: if its columns are separated "
        "by spaces, read it with --map delimiter=space; or"
        if suffix not in JSON_LINES_SUFFIXES and suffix != ".parquet" and spaced_header(names)
        else ";"
    )
    raise FormatError(
        f"{path}: cannot tell the format from its name or first lines{no_header} name one "
        f"(--format NAME, or pick it in the format list on the console's Import screen):\n{format_names()}"
    )


def format_by_name(path: str | Path, mapping: ColumnMapping | Mapping[str, Any] | None = None) -> Format:
    """The format an empty file is taken for, having no line to tell it by: JSON lines or CSV as
    its name says (a catalogue where the mapping names catalogue fields). It reads no row."""
    if mapped_kind(mapping) == "catalogue":
        return FORMATS["catalogue"]
    return FORMATS["jsonl" if data_suffix(path) in JSON_LINES_SUFFIXES else "csv"]


def _refuse_customers_in_a_catalogue(path: Path, names: list[str], mapping: Any) -> None:
    """A mapping of catalogue fields (price=...) on a file with a customer or session column: a
    sales file mapped as one (its sales were listed as items, quantities as stock)."""
    customers = [name for name in names if datasets.activity_column(name)]
    if customers:
        fields = ", ".join(f"{field}={column}" for field, column in dict(mapping or {}).items())
        raise FormatError(
            f"{path}: {fields} maps catalogue fields, but the file has {customers[0]!r}, a customer's, "
            "an order's or an event's column: a file of sales maps a sale's price as price_paid=COLUMN "
            "(and its quantity as quantity=COLUMN); a catalogue has none of those"
        )


def _header(path: Path, head: list[str], encoding: str) -> list[str]:
    """A file's column names (a CSV header, or the keys of its first JSON object or Parquet
    row); [] where it has none to read. A CSV header that is not text in `encoding` is refused
    saying so: the names read from it leniently are mangled."""
    try:
        keys = readers.object_keys(path, head)
    except FormatError:  # a JSON array of rows, which names no field
        raise
    except _UNREADABLE:  # no header to name
        return []
    if keys is not None:
        return list(keys)
    if not head:
        return []
    check_header_line(path, encoding)
    try:
        return _first_line(head)
    except _UNREADABLE:  # no header to name
        return []


def _head_cells(head: list[str], names: list[str]) -> Callable[[str], list[Any]]:
    """A named column's cells in the rows among a delimited file's first lines."""
    delimiter = sniff_delimiter(head)
    rows = [
        line.split() if delimiter == " " else next(csv.reader([line], delimiter=delimiter), [])
        for line in head[1:]
    ]
    return partial(readers.named_cells, rows, names)


def _first_line(head: list[str]) -> list[str]:
    """The cells of a delimited file's first line, split as its reader splits them (on runs of
    spaces, where spaces are the delimiter)."""
    delimiter = sniff_delimiter(head)
    if delimiter == " ":
        return head[0].split()
    return next(csv.reader(head[:1], delimiter=delimiter))


def named_format(
    name: str,
    path: str | Path,
    *,
    mapping: ColumnMapping | Mapping[str, Any] | None = None,
    encoding: str = "utf-8",
) -> Format:
    """The format `name` names, for `path`. edgerec's own export named as the kind of file it is
    written as (jsonl or parquet, the words `export --format` takes) is read as the export, as
    when no format is named: read as interactions, its catalogue, quantities, prices paid,
    contexts and ids were lost, and its ratings and searches refused. A mapping of event fields
    says to read it as interactions, as it does where the format is detected."""
    fmt = get_format(name)
    if fmt.name not in ("jsonl", "parquet") or _names_event_columns(mapping):
        return fmt
    path = Path(path)
    try:
        head = [] if data_suffix(path) == ".parquet" else head_lines(path, 20, encoding)
        if _events_sniff(path, head):
            return FORMATS["events"]
    except _UNREADABLE:  # a file the sniffer trips over is read as named, and told so
        pass
    return fmt


def get_format(name: str) -> Format:
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise FormatError(f"unknown format {name!r}; the formats are:\n{format_names()}") from None
