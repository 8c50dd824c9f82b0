"""A batch of normalised rows: what every reader and adapter hands to the cleaning pipeline."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edgerec.domain import EventType
from edgerec.ingest.errors import FormatError
from edgerec.ingest.text import RAW_KEEP, RawChunk
from edgerec.ingest.validate import Problem

# Source action names that mean an event type, compared as header keys (case, spaces and
# punctuation ignored: "Add to cart" is add_to_cart); a mapping's `actions` adds more. The
# Google Analytics 4 names (view_item, add_to_cart, purchase, ...) are among them.
ACTIONS: dict[str, str] = {t.value: t.value for t in EventType} | {
    "view": EventType.ITEM_VIEWED,
    "views": EventType.ITEM_VIEWED,
    "pv": EventType.ITEM_VIEWED,
    "click": EventType.ITEM_VIEWED,
    "clicks": EventType.ITEM_VIEWED,
    "detail": EventType.ITEM_VIEWED,
    "view_item": EventType.ITEM_VIEWED,
    "select_item": EventType.ITEM_VIEWED,
    "item_view": EventType.ITEM_VIEWED,
    "product_view": EventType.ITEM_VIEWED,
    "view_product": EventType.ITEM_VIEWED,
    "page_view": EventType.ITEM_VIEWED,
    "cart": EventType.ADDED_TO_CART,
    "add_to_cart": EventType.ADDED_TO_CART,
    "add_to_basket": EventType.ADDED_TO_CART,
    "remove_from_cart": EventType.REMOVED_FROM_CART,
    "remove_from_basket": EventType.REMOVED_FROM_CART,
    "buy": EventType.PURCHASED,
    "bought": EventType.PURCHASED,
    "purchase": EventType.PURCHASED,
    "order": EventType.PURCHASED,
    "order_completed": EventType.PURCHASED,
    "transaction": EventType.PURCHASED,
    "sale": EventType.PURCHASED,
    "fav": EventType.ITEM_FAVOURITED,
    "favorite": EventType.ITEM_FAVOURITED,
    "favorited": EventType.ITEM_FAVOURITED,
    "favourite": EventType.ITEM_FAVOURITED,
    "like": EventType.ITEM_FAVOURITED,
    "wishlist": EventType.ITEM_FAVOURITED,
    "add_to_wishlist": EventType.ITEM_FAVOURITED,
    "rate": EventType.RATED,
    "rating": EventType.RATED,
    "search": EventType.SEARCHED,
    # Segment's e-commerce events (Mixpanel's and RudderStack's exports name them the same)
    "product_viewed": EventType.ITEM_VIEWED,
    "product_clicked": EventType.ITEM_VIEWED,
    "product_added": EventType.ADDED_TO_CART,
    "product_removed": EventType.REMOVED_FROM_CART,
    "products_searched": EventType.SEARCHED,
    "product_added_to_wishlist": EventType.ITEM_FAVOURITED,
}


@dataclass(frozen=True, slots=True)
class CatalogueColumns:
    """What a catalogue file has columns for. An item listed before keeps the fields and the
    attributes the file has none for: a price list (id, title, price) leaves its category,
    stock and colour as they were. An empty cell in a column the file has clears it. In a file
    of objects (JSON), a key an object lacks is a column its row has none for, while a null
    is an empty cell."""

    unnamed: frozenset[str]  # the listing's fields without a column
    header: frozenset[str]  # the file's column names, which name its attributes
    # Per row of a file of objects: the fields and the columns its object has no key for.
    lacking: Sequence[tuple[frozenset[str], frozenset[str]]] = ()

    def keep(self, payload: dict[str, Any], stored: Mapping[str, Any], row: int = 0) -> None:
        """A new listing's `payload` (of the file's `row`) with what the `stored` listing has
        that the file, or the row's object, has no column for, in place."""
        unnamed, header = self.unnamed, self.header
        if self.lacking:  # a field read from another column (a sale price) is the row's own
            fields, names = self.lacking[row]
            unnamed, header = unnamed | {f for f in fields if payload.get(f) in (None, "")}, header - names
        # when a stock was counted is kept with the stock alone, below: a file's own stock
        # without a column for its time is counted when the file was written
        kept_fields = unnamed - {"stock_at"}
        payload.update({field: stored[field] for field in kept_fields if stored[field] is not None})
        if "stock" in unnamed and stored.get("stock_at") is not None:  # the stock kept, counted when it was
            payload["stock_at"] = stored["stock_at"]
        kept = {k: v for k, v in (stored["attributes"] or {}).items() if k not in header}
        if kept:
            payload["attributes"] = {**kept, **(payload.get("attributes") or {})}


@dataclass(slots=True)
class Batch:
    """Rows of one source file, in file order, with one problem slot per row."""

    source: str
    lines: list[int]
    columns: dict[str, list[Any]]
    problems: list[Problem]
    raw_of: Callable[[int], str]
    catalogue: CatalogueColumns | None = None  # a catalogue file's: what it has columns for
    notes: tuple[str, ...] = ()  # what the report says of how the file was read
    # A note for the report by the reason rows are quarantined for, where the file's such rows
    # could be kept: said once, and only where rows were quarantined for that reason.
    advice: Mapping[str, str] = field(default_factory=dict)
    ratings_from: str | None = None  # the column a generic file's ratings are read from
    # A generic file's column of its types, beside its ratings', and its values read as a rating.
    rated_by: tuple[str, frozenset[str | float]] | None = None
    # Per row, whether its time is a date alone (a file of days): no double click can be told
    # by it. None where no row's is.
    dates_alone: Sequence[bool] | None = None

    def __len__(self) -> int:
        return len(self.lines)

    def reject(self, more: Sequence[Problem]) -> None:
        problems = self.problems
        for i, p in enumerate(more):
            if p is not None and problems[i] is None:
                problems[i] = p


def text_batch(
    source: str,
    chunk: RawChunk,
    columns: dict[str, list[Any]],
    problems: list[Problem],
    catalogue: CatalogueColumns | None = None,
) -> Batch:
    for i, problem in chunk.problems.items():
        problems[i] = problem
    return Batch(source, chunk.lines, columns, problems, chunk.raws.__getitem__, catalogue)


_TOTALS = {"total", "totals", "grandtotal", "subtotal"}


def _no_data(record: list[str]) -> Problem:
    """A row that holds no data: one of empty cells (",,,,", as a spreadsheet saves rows it
    emptied) or a footer (",,,Total,7346.0", "Total: 6"), named as such, not as a row with no
    action or of the wrong width. The cause of a blank row is hidden by a default type given."""
    first = record[0].strip() if record else ""
    if first[:1].isdigit():
        # A row led by an id (most data rows): not blank, and no footer, whose label (a word,
        # never a digit first) would lead it.
        return None
    cells = [cell.strip() for cell in record if cell.strip()]
    if not cells:
        return ("blank_row", "a row of empty cells: no data")
    words = [cell for cell in cells if not _number(cell)]
    # The label leads the row, or cells left empty do: a data row's first cell is its id.
    labelled = len(words) == 1 and header_key(words[0].split(":")[0]) in _TOTALS
    if labelled and record[0].strip() in ("", words[0]) and (len(cells) < len(record) or ":" in words[0]):
        return ("footer_row", f"a footer, not a row of data: {', '.join(cells)[:80]!r}")
    return None


def _number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def pick(
    chunk: RawChunk, wanted: Mapping[str, int | None], expected_fields: int | None
) -> tuple[dict[str, list[str | None]], list[Problem]]:
    """Columns by field index (None: absent), with a problem for rows of the wrong width.

    Cells are trimmed, and empty ones become None. Trailing empty fields (a trailing
    delimiter) are tolerated.
    """
    records = chunk.records
    problems: list[Problem] = [None] * len(records)
    for i, record in enumerate(records):
        if record is not None and (empty := _no_data(record)) is not None:
            problems[i], records[i] = empty, None
    if expected_fields is not None:
        for i, record in enumerate(records):
            if record is not None and len(record) != expected_fields:
                while len(record) > expected_fields and not record[-1].strip():
                    record.pop()
                if len(record) != expected_fields:
                    problems[i] = (
                        "wrong_field_count",
                        f"expected {expected_fields} fields, found {len(record)}",
                    )
                    records[i] = None
    columns: dict[str, list[str | None]] = {}
    for name, index in wanted.items():
        if index is None:
            continue
        columns[name] = [
            (record[index].strip() or None) if record is not None and len(record) > index else None
            for record in records
        ]
    return columns, problems


def map_actions(
    values: Sequence[Any], extra: Mapping[str, str] | None = None
) -> tuple[list[Any], list[Problem]]:
    table = dict(_ACTION_KEYS)
    if extra:
        table.update({header_key(str(k)): str(v) for k, v in extra.items()})
    memo: dict[Any, Any] = {}
    types: list[Any] = []
    problems: list[Problem] = []
    for value in values:
        try:
            mapped = memo[value]
        except KeyError:
            mapped = memo[value] = table.get(header_key(str(value))) if value is not None else None
        except TypeError:
            mapped = None
        types.append(mapped)
        problems.append(None if mapped is not None else ("unknown_action", _unknown_action(value)))
    return types, problems


def _unknown_action(value: Any) -> str:
    if value is None or not str(value).strip():  # `--action None=...` could never name it
        return "type: is required (a row with no action: give default_type=item_viewed for such rows)"
    shown = str(value)[:40]
    hint = "--action " + shlex.quote(f"{shown}=item_viewed")  # pasted into a shell as it is
    return f"type: unknown action {shown!r} (say which event it is: {hint}, or purchased, ...)"


# RecBole's atomic files (`.inter`, `.item`) write each column's type after its name.
RECBOLE_TYPES = (":token", ":token_seq", ":float", ":float_seq")


def header_key(name: str) -> str:
    """'SessionId', 'session_id' and 'Session ID' all become 'sessionid', and so does RecBole's
    'session_id:token'."""
    if name.endswith(RECBOLE_TYPES):
        name = name.rpartition(":")[0]
    return "".join(ch for ch in name.lower() if ch.isalnum())


# Each action under its key, and its plural where a file counts them (OTTO's clicks, carts, orders).
_ACTION_KEYS = {header_key(k) + "s": str(v) for k, v in ACTIONS.items()} | {
    header_key(k): str(v) for k, v in ACTIONS.items()
}


def find(names: Sequence[str], *aliases: str) -> int | None:
    keys = [header_key(n) for n in names]
    for alias in aliases:
        key = header_key(alias)
        if key in keys:
            return keys.index(key)
    return None


def repeated_headers(source: str, chunk: RawChunk, names: Sequence[str]) -> list[Problem]:
    """The header line again among a chunk's rows (files joined into one), in any case and with
    a byte order mark (two Excel exports joined with `cat`): named as such. FormatError for one
    with its columns in another order (an export from another version of the tool): the rows
    after it would be read under the first header's columns, a customer taken for the item."""
    keys = [header_key(name) for name in names]
    while len(keys) > 1 and not keys[-1]:  # a trailing delimiter names no column
        keys.pop()
    problems: list[Problem] = []
    for line, record in zip(chunk.lines, chunk.records, strict=True):
        found = None
        if record is not None and record and header_key(record[0]) in keys:
            cells = [header_key(cell) for cell in record]
            while len(cells) > 1 and not cells[-1]:
                cells.pop()
            if cells == keys:
                found = ("repeated_header", "the header line again (files joined into one?)")
            elif sorted(cells) == sorted(keys):
                raise FormatError(
                    f"{source}: line {line} repeats the header line with its columns in another order "
                    "(files joined into one?): the rows after it would be read under the wrong "
                    "columns; split the file there and import each part"
                )
        problems.append(found)
    return problems


def truncate(raw: str) -> str:
    return raw[:RAW_KEEP]


def merge(problems: list[Problem], *more: Sequence[Problem]) -> list[Problem]:
    for extra in more:
        for i, p in enumerate(extra):
            if p is not None and problems[i] is None:
                problems[i] = p
    return problems
