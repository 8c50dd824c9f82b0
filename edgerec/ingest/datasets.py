"""Adapters for public recommender datasets and catalogue files, each to normalised batches.

Every adapter accepts the usual variants of its dataset (header or not, `,`/`;`/tab/`::`
separators, CRLF, optional columns) and reads companion files that sit beside the main one
(a catalogue before the interactions that refer to it).
"""

from __future__ import annotations

import ast
import csv
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from edgerec.domain import EventType, text_id
from edgerec.domain.events import EARLIEST, latest_allowed
from edgerec.ingest import convert
from edgerec.ingest.batch import (
    Batch,
    CatalogueColumns,
    find,
    header_key,
    merge,
    pick,
    repeated_headers,
    text_batch,
)
from edgerec.ingest.columns import COLUMN_ALIASES, yes_or_no
from edgerec.ingest.errors import FormatError
from edgerec.ingest.mapping import check_categories, looks_like_data, property_columns, property_rows, times
from edgerec.ingest.readers import jsonl_records, object_keys, object_lines, parquet_records, raw_of
from edgerec.ingest.streams import JSON_LINES_SUFFIXES, beside, data_path, data_suffix, open_bytes
from edgerec.ingest.text import (
    RawChunk,
    head_lines,
    json_loads,
    name_quotes_as_text,
    read_records,
    sniff_delimiter,
    unquote_whole_fields,
)
from edgerec.ingest.validate import Problem
from edgerec.store.codec import to_micros

# Catalogue rows carry no time: they are listed at the earliest time the domain allows, so a
# re-import gives the same event ids and every interaction comes after its item's listing.
CATALOGUE_AT = to_micros(EARLIEST)
# Amazon S3-Rec sequences have no times: one interaction a day from this moment, per user.
S3REC_START = to_micros(EARLIEST.replace(year=2000))
S3REC_STEP_US = 86_400 * 1_000_000
ML100K_GENRES = (
    "unknown|Action|Adventure|Animation|Children's|Comedy|Crime|Documentary|Drama|Fantasy|"
    "Film-Noir|Horror|Musical|Mystery|Romance|Sci-Fi|Thriller|War|Western"
)


def _const(value: Any, n: int) -> list[Any]:
    return [value] * n


def _split_double_colon(chunk: RawChunk, fields: int) -> None:
    """MovieLens 1M/10M '::' files: each record was read whole; split it here."""
    for i, record in enumerate(chunk.records):
        if record is not None:
            parts = "\x1f".join(record).split("::")
            chunk.records[i] = (
                parts if len(parts) == fields else parts[: fields - 1] + ["::".join(parts[fields - 1 :])]
            )


def _records(  # type: ignore[no-untyped-def]
    path: Path, delimiter: str, header: bool, chunk_rows: int, encoding: str = "utf-8", quote: bool = True
):
    if delimiter == "::" or not quote:
        return read_records(
            path,
            delimiter="\x1f" if delimiter == "::" else delimiter,
            header=header,
            chunk_rows=chunk_rows,
            encoding=encoding,
            quoting=csv.QUOTE_NONE,
        )
    return read_records(path, delimiter=delimiter, header=header, chunk_rows=chunk_rows, encoding=encoding)


def _delimiter(path: Path) -> str:
    lines = head_lines(path, 10)
    if lines and "::" in lines[0]:
        return "::"
    return sniff_delimiter(lines)


def _is_header(fields: Sequence[str]) -> bool:
    """A header names its columns: no field of it is a number (data rows have ids and times)."""
    return bool(fields) and not any(_numberish(f) for f in fields if f.strip())


def _numberish(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- Taobao UserBehavior ------------------------------------------------------------------

TAOBAO_ACTIONS = {
    "pv": EventType.ITEM_VIEWED,
    "cart": EventType.ADDED_TO_CART,
    "fav": EventType.ITEM_FAVOURITED,
    "buy": EventType.PURCHASED,
}


_TAOBAO_BEHAVIOUR = ("behavior_type", "behavior", "behaviour_type", "behaviour")


def taobao_sniff(path: Path, head: list[str]) -> bool:
    """Taobao's rows (user,item,category,pv|cart|fav|buy,time), or a header with its category
    and behaviour columns over rows whose behaviours are Taobao's words: a shop's own export
    with a `behavior` column of view/purchase is no Taobao file."""
    if not head:
        return False
    delimiter = sniff_delimiter(head)
    rows = [line.split(delimiter) for line in head]
    if len(rows[0]) == 5 and rows[0][3].strip().lower() in TAOBAO_ACTIONS:
        return True
    behaviour = find(rows[0], *_TAOBAO_BEHAVIOUR)
    if behaviour is None or find(rows[0], "category_id") is None:
        return False
    words = [row[behaviour].strip().lower() for row in rows[1:] if len(row) > behaviour]
    return bool(words) and all(word in TAOBAO_ACTIONS for word in words)


def taobao_batches(path: Path, chunk_rows: int, **_: Any) -> Iterator[Batch]:
    head = head_lines(path, 5)
    delimiter = sniff_delimiter(head)
    header = bool(head) and _is_header(head[0].split(delimiter))
    for names, chunk in _records(path, delimiter, header, chunk_rows):
        if header and names:
            at = {
                "user_id": find(names, "user_id", "userid", "user"),
                "item_id": find(names, "item_id", "itemid", "item"),
                "category": find(names, "category_id", "categoryid", "category"),
                "type": find(names, *_TAOBAO_BEHAVIOUR, "action"),
                "occurred_at": find(names, "timestamp", "time", "ts"),
            }
            width: int | None = len(names)
        else:
            at, width = {"user_id": 0, "item_id": 1, "category": 2, "type": 3, "occurred_at": 4}, 5
        raw, problems = pick(chunk, at, width)
        n = len(chunk)
        types = raw.get("type", _const(None, n))
        mapped = [TAOBAO_ACTIONS.get(t.strip().lower()) if t is not None else None for t in types]
        merge(
            problems,
            [
                None if m else ("unknown_action", f"type: unknown behaviour {t!r}")
                for m, t in zip(mapped, types, strict=True)
            ],
        )
        stamps, found = convert.epoch_micros(raw.get("occurred_at", _const(None, n)), "s")
        merge(problems, found)
        columns = {
            "type": mapped,
            "occurred_at": stamps,
            "user_id": raw.get("user_id", _const(None, n)),
            "item_id": raw.get("item_id", _const(None, n)),
            "category": raw.get("category", _const(None, n)),
        }
        yield text_batch(str(path), chunk, columns, problems)


# --- MovieLens ------------------------------------------------------------------------------


# The releases' files of users, tags, links and genre lists: no ratings in them.
_MOVIELENS_SIDE_FILES = frozenset(
    {"users.dat", "u.user", "u.genre", "u.info", "u.occupation", "tags.csv", "tags.dat", "links.csv"}
    | {"genome-scores.csv", "genome-tags.csv"}
)


def movielens_sniff(path: Path, head: list[str]) -> bool:
    name = data_path(path).name.lower()
    if name == "movies.dat" and head and "::" not in head[0]:
        return False  # HetRec's movies.dat: a header, then tab-separated fields
    if name in {"u.data", "u.item", "ratings.dat", "movies.dat"} or re.fullmatch(
        r"u\d\.(base|test)|u[ab]\.(base|test)", name
    ):
        return True
    if not head:
        return False
    keys = {header_key(f) for f in re.split(r"::|[,\t;|]", head[0])}
    if name in _MOVIELENS_SIDE_FILES:  # taken as MovieLens to be refused, naming the ratings file
        return name.startswith(("u.", "genome-")) or "::" in head[0] or "movieid" in keys
    return {"userid", "movieid", "rating"} <= keys or {"movieid", "title", "genres"} <= keys


def _movie_catalogue(path: Path) -> Path | None:
    """The movies beside a ratings file; not HetRec's movies.dat, whose layout is not MovieLens's
    (`id<TAB>title<TAB>imdbID...`, not `1::Toy Story (1995)::Comedy`): read as that, each of its
    lines was quarantined."""
    for name in ("movies.csv", "u.item", "movies.dat"):
        if (candidate := beside(path, name)) is not None:
            if name == "movies.dat" and "::" not in "".join(head_lines(candidate, 1, "latin-1")):
                continue
            return candidate
    return None


def movielens_batches(path: Path, chunk_rows: int, encoding: str = "utf-8", **_: Any) -> Iterator[Batch]:
    name = data_path(path).name.lower()
    if name in _MOVIELENS_SIDE_FILES:  # before the movies beside it are read
        raise ValueError(
            f"{path}: MovieLens's {name} holds no ratings; import the ratings (ratings.csv, "
            "ratings.dat or u.data), and the movies beside them are read with them"
        )
    is_catalogue = name in {"movies.csv", "u.item", "movies.dat"} or _looks_like_movies(path)
    if is_catalogue:
        yield from _movies(path, chunk_rows, encoding)
        return
    delimiter = "\t" if re.fullmatch(r"u[1-5ab]?\.(data|base|test)", name) else _delimiter(path)
    head = head_lines(path, 2)
    header = delimiter != "::" and bool(head) and _is_header(re.split(r"[,\t;|]", head[0]))
    if header and find(names := next(csv.reader(head[:1], delimiter=delimiter)), "timestamp", "time") is None:
        raise FormatError(  # before the movies beside it are read: every row would be quarantined
            f"{path}: ratings with no timestamp column (the columns are {names}): import the file "
            "that has them (HetRec's user_ratedmovies-timestamps.dat), or, to date the rows by their "
            "order, --format csv --map undated=2024-01-01"
        )
    if (catalogue := _movie_catalogue(path)) is not None:
        yield from _movies(catalogue, chunk_rows, encoding)
    unit: str | None = None  # the file's: seconds in MovieLens's releases, ms in HetRec's
    for names, chunk in _records(path, delimiter, header, chunk_rows):
        if delimiter == "::":
            _split_double_colon(chunk, 4)
        if header and names:
            at = {
                "user_id": find(names, "userId", "user_id", "user"),
                "item_id": find(names, "movieId", "movie_id", "item_id", "item"),
                "value": find(names, "rating", "score"),
                "occurred_at": find(names, "timestamp", "time"),
            }
            width: int | None = len(names)
        else:
            at, width = {"user_id": 0, "item_id": 1, "value": 2, "occurred_at": 3}, 4
        raw, problems = pick(chunk, at, width)
        n = len(chunk)
        values, found = convert.floats(raw.get("value", _const(None, n)), "value")
        merge(problems, found, [("missing_value", "value: no rating") if v is None else None for v in values])
        stamps_raw = raw.get("occurred_at", _const(None, n))
        if unit is None:
            sample = next((s for s in stamps_raw if s), "")
            unit = "ms" if _numberish(sample) and float(sample) > 1e11 else "s"
        stamps, found = convert.epoch_micros(stamps_raw, unit)
        merge(problems, found)
        columns = {
            "type": _const(EventType.RATED.value, n),
            "occurred_at": stamps,
            "user_id": raw.get("user_id", _const(None, n)),
            "item_id": raw.get("item_id", _const(None, n)),
            "value": values,
        }
        yield text_batch(str(path), chunk, columns, problems)


def _looks_like_movies(path: Path) -> bool:
    head = head_lines(path, 1)
    return bool(head) and {"movieid", "title", "genres"} <= {header_key(f) for f in head[0].split(",")}


_YEAR = re.compile(r"\((\d{4})\)\s*$")


def _movies(path: Path, chunk_rows: int, encoding: str) -> Iterator[Batch]:
    name = data_path(path).name.lower()
    if name == "u.item":
        genre_names = _ml100k_genres(path)
        reader = _records(path, "|", False, chunk_rows, encoding=_movies_encoding(path, encoding))
    elif name.endswith(".dat"):
        genre_names = None
        reader = _records(path, "::", False, chunk_rows, encoding=_movies_encoding(path, encoding))
    else:
        genre_names = None
        reader = _records(path, ",", True, chunk_rows, encoding)
    for _names, chunk in reader:
        if name.endswith(".dat"):
            _split_double_colon(chunk, 3)
        n = len(chunk)
        problems: list[Problem] = [None] * n
        ids: list[str | None] = [None] * n
        titles: list[str | None] = [None] * n
        categories: list[str | None] = [None] * n
        attributes: list[dict[str, str] | None] = [None] * n
        for i, record in enumerate(chunk.records):
            if record is None:
                continue
            if genre_names is not None:  # u.item: id|title|release|video|url|19 flags
                if len(record) < 6:
                    problems[i] = ("wrong_field_count", f"expected 24 fields, found {len(record)}")
                    continue
                genres = [g for g, flag in zip(genre_names, record[5:], strict=False) if flag.strip() == "1"]
                extra = {"release_date": record[2].strip(), "imdb_url": record[4].strip()}
            else:
                if len(record) != 3:
                    problems[i] = ("wrong_field_count", f"expected 3 fields, found {len(record)}")
                    continue
                genres = [g for g in record[2].split("|") if g and g != "(no genres listed)"]
                extra = {}
            ids[i] = record[0].strip() or None
            titles[i] = record[1].strip()
            categories[i] = genres[0] if genres else None
            attrs = {k: v for k, v in extra.items() if v}
            if genres:
                attrs["genres"] = "|".join(genres)
            if year := _YEAR.search(record[1]):
                attrs["year"] = year.group(1)
            attributes[i] = attrs
        columns = {
            "type": _const(EventType.ITEM_LISTED.value, n),
            "occurred_at": _const(CATALOGUE_AT, n),
            "item_id": ids,
            "title": titles,
            "category": categories,
            "attributes": attributes,
        }
        yield text_batch(str(path), chunk, columns, problems)


def _movies_encoding(path: Path, given: str) -> str:
    """The encoding of ml-100k's u.item or a movies.dat: the one named (--encoding), else UTF-8
    where the whole file is (ml-10M's), else Latin-1 (ml-100k's and ml-1m's)."""
    if given != "utf-8":
        return given
    with open_bytes(path) as stream:
        try:
            stream.read().decode("utf-8")
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"


def _ml100k_genres(path: Path) -> list[str]:
    genre_file = path.parent / "u.genre"
    if genre_file.exists():
        names = [line.split("|")[0] for line in genre_file.read_text("latin-1").splitlines() if "|" in line]
        if names:
            return names
    return ML100K_GENRES.split("|")


# --- YOOCHOOSE (RecSys Challenge 2015) and DIGINETICA (CIKM Cup 2016) ------------------------


def yoochoose_sniff(path: Path, head: list[str]) -> bool:
    if not head:
        return False
    keys = {header_key(f) for f in re.split(r"[,\t;]", head[0])}
    if keys & {header_key(alias) for alias in (*COLUMN_ALIASES["type"], *COLUMN_ALIASES["user"])}:
        return False  # a file that says what each row is, or whose customer it is: not YOOCHOOSE's
    if (
        {"sessionid", "itemid", "time"} <= keys
        or {"sessionid", "itemid", "timestamp"} <= keys
        and "timeframe" not in keys
    ):
        return True
    fields = head[0].split(",")
    return (
        len(fields) in (4, 5)
        and fields[0].strip().isdigit()
        and bool(re.match(r"\d{4}-\d\d-\d\dT", fields[1]))
    )


_YOOCHOOSE_CATEGORIES = frozenset(str(n) for n in range(1, 13))


def yoochoose_batches(path: Path, chunk_rows: int, source_timezone: str = "UTC", **_: Any) -> Iterator[Batch]:
    head = head_lines(path, 3)
    delimiter = sniff_delimiter(head)
    header = bool(head) and _is_header(head[0].split(delimiter))
    for names, chunk in _records(path, delimiter, header, chunk_rows):
        n = len(chunk)
        if header and names:
            at = {
                "session_id": find(names, "SessionId", "session_id", "session"),
                "item_id": find(names, "ItemId", "item_id", "item"),
                "occurred_at": find(names, "Time", "Timestamp", "ts"),
                "category": find(names, "Category", "category"),
                "price_paid": find(names, "Price"),
                "quantity": find(names, "Quantity"),
                "user_id": find(names, "UserId", "user_id"),
            }
            raw, problems = pick(chunk, at, len(names))
            buys = at["price_paid"] is not None and at["quantity"] is not None
        else:  # yoochoose-clicks.dat: sid,time,item,category; yoochoose-buys.dat: sid,time,item,price,qty
            width = len(head[0].split(delimiter)) if head else 4
            buys = width == 5
            at = {"session_id": 0, "occurred_at": 1, "item_id": 2}
            at |= {"price_paid": 3, "quantity": 4} if buys else {"category": 3}
            raw, problems = pick(chunk, at, width)
        stamps_raw = raw.get("occurred_at", _const(None, n))
        sample = next((s for s in stamps_raw if s), "")
        if _numberish(sample):
            stamps, found = convert.epoch_micros(stamps_raw, "ms" if float(sample) > 1e11 else "s")
        else:
            stamps, found = convert.datetime_micros(stamps_raw, source_timezone)
        merge(problems, found)
        sessions = raw.get("session_id", _const(None, n))
        users = raw.get("user_id") or [f"s:{s}" if s is not None else None for s in sessions]
        columns: dict[str, list[Any]] = {
            "type": _const((EventType.PURCHASED if buys else EventType.ITEM_VIEWED).value, n),
            "occurred_at": stamps,
            "user_id": users,
            "session_id": sessions,
            "item_id": raw.get("item_id", _const(None, n)),
        }
        if "category" in raw:
            # YOOCHOOSE's "category" is the click's context: 1-12 a category, 'S' a special
            # offer, 0 missing, and any other number a brand's id. Only categories are kept.
            columns["category"] = [c if c in _YOOCHOOSE_CATEGORIES else None for c in raw["category"]]
        if buys:
            prices, found = convert.prices(raw.get("price_paid", _const(None, n)), "price_paid")
            merge(problems, found)
            quantities, found = convert.ints(raw.get("quantity", _const(None, n)), "quantity")
            merge(problems, found)
            # The buys file has price 0 / quantity 0 where unknown.
            columns["price_paid"] = [p if p else None for p in prices]
            columns["quantity"] = [q if q else None for q in quantities]
        yield text_batch(str(path), chunk, columns, problems)


def diginetica_sniff(path: Path, head: list[str]) -> bool:
    if not head:
        return False
    keys = {header_key(f) for f in re.split(r"[,\t;]", head[0])}
    return {"sessionid", "timeframe", "eventdate"} <= keys


def _diginetica_categories(path: Path) -> dict[str, str]:
    """itemId -> categoryId from the release's `product-categories.csv` beside the file, if there."""
    found = beside(path, "product-categories.csv")
    if found is None:
        return {}
    categories: dict[str, str] = {}
    for names, chunk in _records(found, sniff_delimiter(head_lines(found, 5)), True, 50_000):
        item, category = find(names or [], "itemId", "item_id"), find(names or [], "categoryId", "category")
        if item is None or category is None:
            return {}
        for record in chunk.records:
            if record is not None and len(record) > max(item, category):
                categories[record[item].strip()] = record[category].strip()
    return categories


def diginetica_batches(
    path: Path, chunk_rows: int, source_timezone: str = "UTC", **_: Any
) -> Iterator[Batch]:
    categories = _diginetica_categories(path)
    delimiter = sniff_delimiter(head_lines(path, 5))
    for names, chunk in _records(path, delimiter, True, chunk_rows):
        names = names or []
        at = {
            "session_id": find(names, "sessionId", "session_id"),
            "user_id": find(names, "userId", "user_id"),
            "item_id": find(names, "itemId", "item_id"),
            "timeframe": find(names, "timeframe"),
            "eventdate": find(names, "eventdate"),
        }
        if at["item_id"] is None and find(names, "searchstring.tokens", "queryId") is not None:
            raise ValueError(
                f"{path}: DIGINETICA's searches (train-queries.csv) are not imported: their text is "
                "hashed tokens; import train-item-views.csv and train-purchases.csv"
            )
        purchases = find(names, "ordernumber") is not None
        raw, problems = pick(chunk, at, len(names))
        n = len(chunk)
        days, found = convert.datetime_micros(raw.get("eventdate", _const(None, n)), source_timezone)
        merge(problems, found)
        offsets, found = convert.ints(raw.get("timeframe", _const(None, n)), "timeframe")
        merge(problems, found)
        # timeframe: milliseconds since the session began, added to the (local) day it began.
        stamps = [d + (o or 0) * 1_000 if d is not None else None for d, o in zip(days, offsets, strict=True)]
        sessions = raw.get("session_id", _const(None, n))
        users = [
            u if u is not None and u.upper() != "NA" else (f"s:{s}" if s is not None else None)
            for u, s in zip(raw.get("user_id", _const(None, n)), sessions, strict=True)
        ]
        columns = {
            "type": _const((EventType.PURCHASED if purchases else EventType.ITEM_VIEWED).value, n),
            "occurred_at": stamps,
            "user_id": users,
            "session_id": sessions,
            "item_id": raw.get("item_id", _const(None, n)),
        }
        if categories:
            columns["category"] = [categories.get(item) if item else None for item in columns["item_id"]]
        yield text_batch(str(path), chunk, columns, problems)


# --- the Netflix Prize ----------------------------------------------------------------------

_NETFLIX_MOVIE = re.compile(r"\s*(\d+):\s*")
_NETFLIX_RATING = re.compile(r"\s*\d+,[1-5],\d{4}-\d{2}-\d{2}\s*")
_NETFLIX_TEST_SETS = frozenset({"probe.txt", "qualifying.txt"})
_NETFLIX_TITLES = ("movie_titles.csv", "movie_titles.txt")
_NETFLIX_TITLE = re.compile(r"\s*\d+,(\d{4}|NULL),.*")


def netflix_sniff(path: Path, head: list[str]) -> bool:
    """combined_data_*.txt (or a training set's mv_*.txt): a movie's id on a line of its own
    (`1:`), then its ratings as `customer,rating,date` lines."""
    lines = [line for line in head if line.strip()]
    if data_path(path).name.lower() in _NETFLIX_TEST_SETS:
        return bool(lines) and _NETFLIX_MOVIE.fullmatch(lines[0]) is not None
    if data_path(path).name.lower() in _NETFLIX_TITLES:  # taken to be refused, naming the ratings
        return bool(lines) and _NETFLIX_TITLE.fullmatch(lines[0]) is not None
    return (
        len(lines) >= 2
        and _NETFLIX_MOVIE.fullmatch(lines[0]) is not None
        and _NETFLIX_RATING.fullmatch(lines[1]) is not None
    )


def netflix_batches(path: Path, chunk_rows: int, encoding: str = "utf-8", **_: Any) -> Iterator[Batch]:
    """Ratings, each of the movie named on the line above its block (a movie's line is no row
    of the import), dated at midnight UTC; the titles from movie_titles.csv beside them."""
    if data_path(path).name.lower() in _NETFLIX_TEST_SETS:
        raise FormatError(
            f"{path}: the Netflix Prize's {data_path(path).name} holds the contest's test pairs, not "
            "ratings; import combined_data_1.txt (to _4) or the training set's mv_*.txt"
        )
    if data_path(path).name.lower() in _NETFLIX_TITLES:
        raise FormatError(
            f"{path}: the Netflix Prize's {data_path(path).name} holds the movies' titles, not "
            "ratings; import combined_data_1.txt (to _4) or the training set's mv_*.txt, and the "
            "titles beside them are read with them"
        )
    titles = beside(path, "movie_titles.csv") or beside(path, "movie_titles.txt")
    if titles is not None:
        yield from _netflix_titles(titles, chunk_rows, encoding)
    movie: str | None = None
    for _names, chunk in _records(path, ",", False, chunk_rows):
        rows = RawChunk()
        items: list[str | None] = []
        for i, record in enumerate(chunk.records):
            if record is not None and len(record) == 1 and (heading := _NETFLIX_MOVIE.fullmatch(record[0])):
                movie = heading.group(1)
                continue
            rows.add(chunk.lines[i], chunk.raws[i], record, chunk.problems.get(i))
            items.append(movie)
        raw, problems = pick(rows, {"user_id": 0, "value": 1, "occurred_at": 2}, 3)
        n = len(rows)
        values, found = convert.floats(raw.get("value", _const(None, n)), "value")
        merge(problems, found)
        stamps, found = convert.datetime_micros(raw.get("occurred_at", _const(None, n)))
        merge(problems, found)
        columns = {
            "type": _const(EventType.RATED.value, n),
            "occurred_at": stamps,
            "user_id": raw.get("user_id", _const(None, n)),
            "item_id": items,
            "value": values,
        }
        yield text_batch(str(path), rows, columns, problems)


def _netflix_titles(path: Path, chunk_rows: int, encoding: str) -> Iterator[Batch]:
    """movie_titles.csv: `id,year,title`, the title unquoted, commas and all; Latin-1 unless
    named otherwise (as MovieLens's movies are read)."""
    for _names, chunk in _records(path, ",", False, chunk_rows, encoding=_movies_encoding(path, encoding)):
        n = len(chunk)
        problems: list[Problem] = [None] * n
        ids: list[str | None] = [None] * n
        titles: list[str | None] = [None] * n
        attributes: list[dict[str, str] | None] = [None] * n
        for i, record in enumerate(chunk.records):
            if record is None:
                continue
            if len(record) < 3:
                problems[i] = ("wrong_field_count", f"expected 3 fields, found {len(record)}")
                continue
            ids[i], year = record[0].strip() or None, record[1].strip()
            titles[i] = ",".join(record[2:]).strip()
            attributes[i] = {"year": year} if year.isdigit() else {}
        columns = {
            "type": _const(EventType.ITEM_LISTED.value, n),
            "occurred_at": _const(CATALOGUE_AT, n),
            "item_id": ids,
            "title": titles,
            "attributes": attributes,
        }
        yield text_batch(str(path), chunk, columns, problems)


# --- Amazon sequences in the S3-Rec format ----------------------------------------------------


# Numbers per line of a table that only looks like sequences (`user item rating`, with a time
# and one more column): a user's sequences are of many lengths, a table's lines of one.
_TABLE_WIDTHS = range(3, 6)
# Sequences hold item ids, never a column of times (epoch seconds or milliseconds from 1990 to
# a year from now), as a wider table has (Epinions' and Ciao's `user product category rating
# helpfulness time`). Not to 2100: EAN-13 barcodes (4006381333931) read as milliseconds in 2096.
_A_YEAR = timedelta(days=365)


def s3rec_sniff(path: Path, head: list[str]) -> bool:
    if _attributes_file(path) is not None or data_path(path).name.endswith("_item2attributes.json"):
        return True
    rows = [line.split() for line in head]
    widths = {len(row) for row in rows}
    return (
        bool(head)
        and all(re.fullmatch(r"\S+( \S+)+", line.strip()) and "," not in line for line in head[:5])
        and all(tok.isdigit() for line in head[:5] for tok in line.split())
        and not (len(widths) == 1 and (widths <= set(_TABLE_WIDTHS) or _time_column(rows)))
    )


def _time_column(rows: list[list[str]]) -> bool:
    """Whether a column past the first (the user's) holds epoch times (seconds or milliseconds
    since 1990) in every row: a table's time, not an item of a sequence."""
    seconds = range(int(EARLIEST.timestamp()), int((datetime.now(UTC) + _A_YEAR).timestamp()))
    return any(
        all(cell.isdigit() and (int(cell) in seconds or int(cell) // 1000 in seconds) for cell in column)
        for column in list(zip(*rows, strict=True))[1:]
    )


def _attributes_file(path: Path) -> Path | None:
    return beside(path, f"{data_path(path).stem}_item2attributes.json")


def s3rec_batches(path: Path, chunk_rows: int, **_: Any) -> Iterator[Batch]:
    if data_path(path).name.endswith("_item2attributes.json"):
        yield from _s3rec_attributes(path, chunk_rows)
        return
    if (attributes := _attributes_file(path)) is not None:
        yield from _s3rec_attributes(attributes, chunk_rows)
    # A line is one user's sequence (S3-Rec), or the next of their items (SASRec's `user item`
    # lines): a user's later line goes on where their earlier one stopped.
    next_step: dict[str, int] = {}
    for _names, chunk in read_records(path, delimiter=" ", header=False, chunk_rows=max(1, chunk_rows // 10)):
        # Each (user, item) is one row of the import.
        lines: list[int] = []
        raws: list[str] = []
        problems: list[Problem] = []
        users: list[str | None] = []
        items: list[str | None] = []
        stamps: list[int | None] = []
        for i, record in enumerate(chunk.records):
            tokens = [t for t in record if t] if record is not None else []
            problem = chunk.problems.get(i) or (
                None if len(tokens) >= 2 else ("missing_item_id", "a sequence needs a user and items")
            )
            if problem is not None:
                lines.append(chunk.lines[i])
                raws.append(chunk.raws[i])
                problems.append(problem)
                users.append(None)
                items.append(None)
                stamps.append(None)
                continue
            user = tokens[0]
            first = next_step.get(user, 0)
            for step, item in enumerate(tokens[1:]):
                lines.append(chunk.lines[i])
                raws.append(f"{user} {item} (position {step + 1} of line {chunk.lines[i]})")
                problems.append(None)
                users.append(user)
                items.append(item)
                stamps.append(S3REC_START + (first + step) * S3REC_STEP_US)
            next_step[user] = first + len(tokens) - 1
        n = len(lines)
        columns = {
            "type": _const(EventType.PURCHASED.value, n),
            "occurred_at": stamps,
            "user_id": users,
            "item_id": items,
        }
        yield Batch(str(path), lines, columns, problems, raws.__getitem__)


def _s3rec_attributes(path: Path, chunk_rows: int) -> Iterator[Batch]:
    # The attributes file is one JSON object (item -> attribute ids); S3-Rec ships it whole.
    try:
        with open_bytes(path) as file:
            data = json_loads(file.read())
    except ValueError as exc:
        yield Batch(
            str(path),
            [1],
            {"type": [None], "occurred_at": [None]},
            [("bad_json", str(exc)[:200])],
            lambda i: "",
        )
        return
    if not isinstance(data, dict):
        yield Batch(
            str(path),
            [1],
            {"type": [None], "occurred_at": [None]},
            [("bad_json", "expected an object")],
            lambda i: "",
        )
        return
    entries = list(data.items())
    for start in range(0, len(entries), chunk_rows):
        part = entries[start : start + chunk_rows]
        n = len(part)
        problems: list[Problem] = [None] * n
        attributes: list[Any] = []
        for i, (_item, values) in enumerate(part):
            if isinstance(values, list):
                attributes.append({"attribute_ids": " ".join(str(v) for v in values)})
            else:
                attributes.append(None)
                problems[i] = ("invalid_attributes", "attributes: expected a list of ids")
        columns = {
            "type": _const(EventType.ITEM_LISTED.value, n),
            "occurred_at": _const(CATALOGUE_AT, n),
            "item_id": [str(item) for item, _values in part],
            "title": _const("", n),
            "attributes": attributes,
        }
        raws = [json.dumps({item: values})[:1000] for item, values in part]
        yield Batch(str(path), list(range(start + 1, start + n + 1)), columns, problems, raws.__getitem__)


# --- catalogue files ------------------------------------------------------------------------

# An item's id under the names an events file has for it (a Yelp business_id, an ISBN), but
# a bare `item` or `product` only where the file has no other and names its items in a column
# of their own (Frappe's meta.csv: item, name, ...): in a catalogue that is as often the item's
# name. (In Amazon's 2023 release, parent_asin is the product, asin one of its variants.)
_BARE_ID = ("item", "product")
_ID = ("id", *(name for name in COLUMN_ALIASES["item"] if name not in _BARE_ID))
_TITLE = (
    "title",
    "name",
    "product_name",
    "productDisplayName",
    "product_title",
    "item_name",
    "prod_name",
    "book_title",
    "movie_title",  # RecBole's ml-1m.item
)
_CATEGORY = (
    "category",
    "category_path",
    "categories",
    "main_category",  # Amazon's 2023 metadata: its `categories` is often []
    "category_name",
    "product_category_name",  # Olist's products
    "product_category",
    "product_type",  # Google Merchant Center's, the shop's own before Google's: see _categories
    "google_product_category",
    "genres",  # a film's, a book's, a song's: see _genres
    "genre",
    "category_id",
    "categoryId",
)
# A genres column holds several in a cell (see _genres); a JSON list of them is joined by `|`.
_GENRES = frozenset({"genre", "genres"})
_NO_GENRES = frozenset({"(no genres listed)", "\\n"})  # lower-cased: MovieLens', IMDb's \N
# Columns a Google Merchant Center feed has (google_product_category is optional there).
_FEED_COLUMNS = ("google_product_category", "availability", "image_link")


def _categories(names: list[str]) -> tuple[str, ...]:
    """The category's column names for a file: a `product_type` is the shop's own category only
    in a Google Merchant Center feed (known by its google_product_category, or by the columns
    every feed has: availability, image_link); elsewhere it says what kind of record a product
    is (Magento's simple, configurable, virtual; BigCommerce's P, D)."""
    if any(find(names, name) is not None for name in _FEED_COLUMNS):
        return _CATEGORY
    return tuple(alias for alias in _CATEGORY if alias != "product_type")


_CATEGORY_LEVELS = (
    ("masterCategory", "subCategory", "articleType"),
    ("category_l1", "category_l2", "category_l3"),
)
# Amazon's 2023 metadata names the brand's storefront `store` (a shop's own brand column first).
_BRAND = ("brand", "brand_name", "manufacturer", "vendor")
# A price column empty in a row is filled from the next one the file has. A regular price comes
# before a sale price: WooCommerce's "Sale price" (before its "Regular price" in the file) is
# empty unless the item is on sale, and is then read as a sale price (_sale_prices).
_PRICE = ("price", "unit_price", "regular_price", "list_price", "sale_price", "special_price")
# A sale price filled in a row is the price the item sells at, beside its regular `price`
# (Google Merchant Center's sale_price, Magento's special_price); the regular one is kept as an
# attribute.
_SALE_PRICE = ("sale_price", "special_price")
_STOCK = (
    "stock",
    "stock_quantity",
    "inventory",
    "qty",
    "quantity",
    "in_stock",
    "is_in_stock",
    "availability",
)
# Columns that say whether an item is in stock, not how many: WooCommerce's "In stock?" (1 or
# 0), Magento's is_in_stock, Google Merchant Center's availability ("in stock", "out of stock",
# "preorder").
_STOCK_FLAGS = ("in_stock", "is_in_stock", "availability")
# A column of stock words, whose other text (a delivery note, a date) says no count.
_WORD_STOCK = {header_key("availability")}
# When a row's stock was counted (an inventory's own date), where the file says: else the stock
# is taken as counted when the file was written (the import's `stock_at`).
_STOCK_AT = ("stock_at", "stock_counted_at", "stock_date", "inventory_date", "inventory_at", "counted_at")
_DESCRIPTION = ("description", "desc", "details", "product_description", "detail_desc")
_PARAGRAPHS = {header_key(name) for name in _DESCRIPTION}
_AUDIENCE = {"men", "women", "boys", "girls", "unisex", "kids", "baby", "men's", "women's", "mens", "womens"}


_OBJECT_SUFFIXES = JSON_LINES_SUFFIXES | {".parquet"}


def catalogue_sniff(path: Path, head: list[str]) -> bool:
    names = (
        object_keys(path, head) if data_suffix(path) in _OBJECT_SUFFIXES or object_lines(path, head) else None
    )
    if names is None:
        if not head:
            return False
        names = re.split(r"[,\t;|]", head[0])
    has_id = find(names, *_ID) is not None
    has_content = find(names, *_TITLE, *_CATEGORY, *_PRICE, *_BRAND, "masterCategory") is not None
    return has_id and has_content and not any(activity_column(name) for name in names)


# A customer or a session column makes rows events (a sales file with prices), not items; so do
# the names of an event's type and time (a catalogue may have a `type` and a date of its own:
# "date", "created_at"), and an order's e-mail, number and line items (Shopify's orders_export,
# WooCommerce's): a catalogue never has them, and read as one, each order replaced a listing.
_ACTIVITY_KEYS = (
    {header_key(alias) for field in ("user", "session") for alias in COLUMN_ALIASES[field]}
    # not a bare `event`, `action` or `activity`: a ticket shop's event, a tour's activity
    | {"eventtype", "eventname", "actiontype", "behavior", "behaviour", "behaviortype", "interactiontype"}
    | {header_key(alias) for alias in COLUMN_ALIASES["timestamp"] if alias not in ("date", "created_at")}
    | {"eventtime", "email", "customeremail", "billingemail", "orderid", "ordernumber", "orderno"}
    | {"invoiceno", "transactionid", "lineitemquantity", "lineitemsku", "lineitemname"}
)


def activity_column(name: str) -> bool:
    """Whether a column is a customer's, a session's, an order's or an event's, which no
    catalogue has."""
    return header_key(name) in _ACTIVITY_KEYS


def brand_from_title(title: str | None) -> str | None:
    """'Peter England Men Party Blue Jeans' -> 'Peter England': the words before the audience.

    Only then: without an audience word, the first word is as often a kind of item as a brand
    ('Strap top'), and a made-up brand would show as "same brand" in the reasons. Nor where
    those words, two or more, run on into the title ('Summer Dress for Women'): a maker's name
    ends in no joining word, though it may be one written as a name is ('AND Women Blue Top',
    not 'For Men Eau de Toilette').

    >>> brand_from_title("Peter England Men Party Blue Jeans"), brand_from_title("Strap top")
    ('Peter England', None)
    >>> brand_from_title("Summer Dress for Women"), brand_from_title("AND Women Blue Top")
    (None, 'AND')
    >>> brand_from_title("For Men Eau de Toilette")
    """
    if not title:
        return None
    words = title.split()
    for i, word in enumerate(words[:5]):
        if word.lower() in _AUDIENCE:
            brand = words[:i]
            joined = bool(brand) and brand[-1].lower() in _JOINING
            if not brand or (joined and (len(brand) > 1 or not brand[0].isupper())):
                return None
            return " ".join(brand)
    return None


_JOINING = {"for", "of", "and", "with", "in"}


# A catalogue's fields and the column names each is found under when no mapping names its column.
CATALOGUE_FIELDS: dict[str, tuple[str, ...]] = {
    "item": _ID,
    "title": _TITLE,
    "category": _CATEGORY,
    "brand": _BRAND,
    "price": _PRICE,
    "stock": _STOCK,
    "stock_at": _STOCK_AT,
    "description": _DESCRIPTION,
}


# A catalogue field mapped to this is not read: its usual column is kept as an attribute.
NOT_READ = "none"


def _with_later(
    chunk: RawChunk, cells: list[Any], names: list[str], used: int, aliases: Sequence[str]
) -> list[Any]:
    """`cells` (the column's found under one of `aliases`), each empty one from the next of
    those columns of its row that is not: a sale price where the item is on sale, else its
    regular price; a category path where the item has one, else its main category."""
    after = aliases[next(i for i, alias in enumerate(aliases) if find(names, alias) == used) + 1 :]
    later = [index for alias in after if (index := find(names, alias)) is not None and index != used]
    if not later:
        return cells
    filled = list(cells)
    for i, record in enumerate(chunk.records):
        if filled[i] is None and record is not None:
            filled[i] = next(
                (record[j].strip() for j in later if j < len(record) and record[j].strip()), None
            )
    return filled


def _with_hint(problem: Problem, field: str) -> Problem:
    """A catalogue's unreadable price or stock, with how to list such items anyway (Amazon's 2018
    metadata gives ranges, "$9.99 - $24.99", and scraped page text as prices)."""
    if problem is None:
        return None
    reason, detail = problem
    keep = f"give {field}=none (--map {field}=none on the command line)"
    return reason, f"{detail}; to list every item with its {field} kept as text, not read, {keep}"


def catalogue_mapping(value: Mapping[str, Any] | None) -> tuple[dict[str, str], bool]:
    """The columns a user named for catalogue fields (`--map title=prod_name`), checked, and
    whether the file has a header line (header=false: its columns are named by number, from 0)."""
    return _catalogue_options(value)[:2]


def _catalogue_options(value: Mapping[str, Any] | None) -> tuple[dict[str, str], bool, bool]:
    """catalogue_mapping's columns and header, and whether a quote (") is around fields (True)
    or text like any other character (quote=none, as the events reader reads it)."""
    named = dict(value or {})
    header = named.pop("header", True)
    quote = named.pop("quote", True)
    unknown = sorted(set(named) - set(CATALOGUE_FIELDS))
    if unknown:
        known = [*CATALOGUE_FIELDS, "header", "quote"]
        raise ValueError(f"unknown catalogue mapping keys {unknown}; known: {known}")
    if isinstance(header, str):
        header = yes_or_no("header", header)
    if isinstance(quote, str):
        quote = quote.lower() == '"' or (quote.lower() != "none" and yes_or_no("quote", quote))
    return {field: str(column) for field, column in named.items()}, bool(header), bool(quote)


def _object_chunks(
    path: Path, chunk_rows: int, encoding: str
) -> Iterator[tuple[list[str], RawChunk, list[frozenset[str]]]]:
    """JSON-lines or Parquet objects as text records under the keys the chunk's objects use,
    with the keys each object lacks (a Parquet row has every column)."""
    parquet = data_suffix(path) == ".parquet"
    reader = parquet_records(path, chunk_rows) if parquet else jsonl_records(path, chunk_rows, encoding)
    for lines, raws, objects, problems in reader:
        names = list(dict.fromkeys(key for obj in objects if obj for key in obj))
        every = frozenset(names)
        lacking = [every.difference(obj) if obj and len(obj) < len(names) else frozenset() for obj in objects]
        # A list is a category path ('A/B/C'), or, under a description, paragraphs, or genres.
        joiners = [
            "\n" if header_key(name) in _PARAGRAPHS else "|" if header_key(name) in _GENRES else "/"
            for name in names
        ]
        raw, chunk = raw_of(raws, objects), RawChunk()
        for i, obj in enumerate(objects):  # a line that is no object comes with its problem
            record = (
                None if obj is None else [_cell(obj.get(n), j) for n, j in zip(names, joiners, strict=True)]
            )
            chunk.add(lines[i], raw(i), record, problems[i])
        yield names, chunk, lacking


def _cell(value: Any, joiner: str = "/") -> str:
    """A JSON or Parquet value as catalogue text: a list joined (a category path as 'A/B/C',
    the first path of a list of paths), a number as written (a whole float as a whole
    number, as the events importer writes it), an object as JSON."""
    if value is None:
        return ""
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            value = value[0]
        named = joiner == "|"  # genres: an object by its name (TMDB's {"id": 28, "name": "Action"})
        value = [v.get("name") if named and isinstance(v, dict) else v for v in value]
        return joiner.join(text for v in value if (text := _cell(v).strip()))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id column with a gap is float in pandas: 101.0 is item 101
    return str(value)


# A stock written as a word (a flag, Google Merchant Center's availability, schema.org's
# ItemAvailability), as `_stock_key` folds it: in stock is a count not known (None, available);
# out of stock is none left, and so is an item on preorder or backorder, which cannot be had
# now. In stock in the main shop languages too: German, French and Spanish, Italian, Portuguese,
# Dutch, the Scandinavian ones, Polish, Czech, Turkish, Russian, Japanese, Chinese, Korean.
_STOCK_WORDS: dict[str, str | None] = {
    **dict.fromkeys(("true", "yes", "y", "instock", "available", "limitedavailability"), None),
    **dict.fromkeys(("onlineonly", "instoreonly"), None),
    **dict.fromkeys(
        (
            *("auflager", "lagernd", "vorrätig", "verfügbar", "lieferbar", "sofortlieferbar"),
            *("enstock", "disponible", "enexistencia", "disponibile", "inmagazzino"),
            *("disponível", "disponivel", "emestoque", "invoorraad", "opvoorraad", "leverbaar"),
            *("beschikbaar", "ilager", "pålager", "dostępny", "skladem", "stoktavar", "stokta"),
            *("вналичии", "естьвналичии", "在庫あり", "在庫有り", "有货", "有貨", "现货", "現貨"),
            *("有库存", "재고있음"),
        ),
        None,
    ),
    **dict.fromkeys(
        ("false", "no", "n", "none", "outofstock", "soldout", "unavailable", "notavailable"), "0"
    ),
    **dict.fromkeys(("discontinued", "preorder", "presale", "backorder", "onbackorder"), "0"),
}
_SCHEMA_ORG = re.compile(r"(?:https?://)?(?:www\.)?schema\.org/", re.IGNORECASE)
# An availability's words (as header_key folds them) that say the item cannot be had now: not
# any more, not yet, or only later ("Back in stock soon", "In stock soon", "Available from 1
# December"; "Back in stock" alone says it is, "Available from our partners" is no date).
# The same in the languages above: sold out, out of stock, not available, preorder, coming soon.
_CANNOT_BE_HAD = re.compile(
    r"outofstock|soldout|unavailable|notavailable|notinstock|nostock|discontinued|nolonger|notyet"
    r"|comingsoon|backinstock(?!$|now|today)|preorder|presale|backorder|(?:instock|available)soon"
    r"|availablefrom(?:[0-9]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri"
    r"|sat|sun|next|tomorrow)"
    r"|ausverkauft|vergriffen|nicht(?:verfügbar|vorrätig|lieferbar|auflager|mehr)|vorbestell|demnächst"
    r"|rupture|épuisé|epuise|horsstock|précommande|precommande|bientôt"
    r"|(?:no|non|não|nao|in)dispon|agotad|sinstock|sinexistencias|preventa|próximamente"
    r"|esaurit|preordin|prossimamente|esgotad|semestoque|foradeestoque|emfalta|prévenda|prevenda"
    r"|uitverkocht|nietopvoorraad|nietleverbaar|nietbeschikbaar|voorbestel|binnenkort"
    r"|slutsåld|slutilager|slutpålager|tillfälligtslut|ejilager|utsolgt|udsolgt|ikkepålager"
    r"|brak(?:wmagazynie|towaru)|niedostępn|wyprzedan|przedsprzedaż|vyprodáno|nenískladem"
    r"|stoktayok|tükendi|нетвналичии|нетнаскладе|распродан|отсутству|предзаказ|скоровпродаже"
    r"|在庫切れ|在庫なし|品切れ|売り切れ|売切れ|完売|予約|入荷待ち|販売終了|取り寄せ"
    r"|缺货|缺貨|无货|無貨|售罄|售完|预售|預售|停售|품절|재고없음|예약판매|판매종료|입고예정"
)
# Text that says the item is nearly gone, so still to be had ("Almost sold out", "Fast
# ausverkauft", "Nicht mehr lange verfügbar", "품절임박"), or that limits a customer's count ("Nicht
# mehr als 2 pro Kunde"): in stock, count not known, though it holds a word of `_CANNOT_BE_HAD`.
_NEARLY_GONE = re.compile(
    r"(?:almost|nearly|fast|bald|presque|casi|quasi|quase|bijna|nästan|prawie|почти|即将|即將)"
    r"(?:soldout|outofstock|ausverkauft|vergriffen|épuisé|epuise|agotad|esaurit|esgotad|uitverkocht"
    r"|slutsåld|wyprzedan|распродан|售罄|售完)"
    r"|nichtmehr(?:lange|als)|품절임박"
)
_INTEGER = re.compile(r"[-+]?[0-9]+")
# A number whose dot marks decimals ('5.0', '2.50', '0.000'), and one whose dots may group
# thousands ('1.200', '7.000'). A count is whole, so '1.200' and '1.200.000' can only be grouped;
# '7.000' can be either (an ERP writes its counts with three decimals): `_dots_group` decides.
_DECIMAL_DOT = re.compile(r"[-+]?(?:[0-9]+\.(?![0-9]{3}$)[0-9]+|0\.[0-9]+)")
_DOT_GROUPS = re.compile(r"[-+]?[0-9]{1,3}(?:\.[0-9]{3})+")


def _stock_key(value: str) -> str:
    """A stock cell's words as `_STOCK_WORDS` and `_CANNOT_BE_HAD` take them: schema.org's
    address dropped, the case folded, the letters composed (NFC: 'épuisé' as a Mac may write it,
    decomposed, is 'épuisé'), and all but letters and digits dropped."""
    return header_key(unicodedata.normalize("NFC", _SCHEMA_ORG.sub("", value.strip()).casefold()))


def _stock_text(value: str | None, flag: bool = False, word: bool = False, dots: bool = True) -> str | None:
    """A stock cell as a count: a word read (out of stock is none left, in stock a count not
    known), and in a column of flags (WooCommerce's "In stock?") 1 as in stock, not one left.
    Text that says the item cannot be had ("Temporarily out of stock", "Currently unavailable")
    is none left, but not text that says it nearly cannot ("Almost sold out"), and a count may
    group its thousands ("1,200", "1 200", "1’200", and "1.200" where the column's `dots` are no
    decimal marks). In a column of words (`availability`), other text that is no stock word
    ("Ships in 3-5 days", a date) is a count not known, not a bad stock.

    >>> _stock_text("https://schema.org/OutOfStock"), _stock_text("in stock"), _stock_text("1", flag=True)
    ('0', None, None)
    >>> _stock_text("none"), _stock_text("Limited", word=True), _stock_text("3", word=True)
    ('0', None, '3')
    >>> _stock_text("Temporarily out of stock", word=True), _stock_text("-3", word=True)
    ('0', '-3')
    >>> _stock_text("Temporarily out of stock"), _stock_text("1,200"), _stock_text("Ships in 3 days")
    ('0', '1200', 'Ships in 3 days')
    >>> _stock_text("1\u00a0200"), _stock_text("1’200’000"), _stock_text("12 34"), _stock_text("1 200,000")
    ('1200', '1200000', '12 34', '1 200,000')
    >>> _stock_text("1.200"), _stock_text("1.200.000"), _stock_text("1.5"), _stock_text("1.200", dots=False)
    ('1200', '1200000', '1.5', '1.200')
    >>> _stock_text("No longer available", word=True), _stock_text("Back in stock soon", word=True)
    ('0', '0')
    >>> _stock_text("Back in stock!", word=True), _stock_text("Available for pre-order", word=True)
    (None, '0')
    >>> _stock_text("In stock soon", word=True), _stock_text("Available from 1 Dec", word=True)
    ('0', '0')
    >>> _stock_text("Available from our partners", word=True)
    >>> _stock_text("Ausverkauft"), _stock_text("rupture de stock"), _stock_text("在庫切れ")
    ('0', '0', '0')
    >>> _stock_text("auf Lager"), _stock_text("En stock"), _stock_text("в наличии")
    (None, None, None)
    >>> _stock_text("Fast ausverkauft", word=True), _stock_text("Nicht mehr als 2 pro Kunde", word=True)
    (None, None)
    """
    if value is None:
        return None
    key = _stock_key(value)
    if flag and key in ("0", "1"):
        return None if key == "1" else "0"
    if (count := convert.ungrouped(value, dots)) is not None:
        return count
    if _CANNOT_BE_HAD.search(key) and not _NEARLY_GONE.search(key):
        return "0"
    if word and key not in _STOCK_WORDS and not _INTEGER.fullmatch(value.strip()):
        return None
    return _STOCK_WORDS.get(key, value)


def _stock_cells(
    chunk: RawChunk,
    cells: list[Any],
    names: list[str],
    used: int | None,
    attributes: list[dict[str, Any]],
    dots: bool,
) -> list[Any]:
    """The stock column's cells as counts (`_stock_text`), each empty one from a flag column of
    its row: WooCommerce leaves "Stock" empty where the shop does not count an item's stock, and
    its "In stock?" 0 beside it is none left. A flag that says none left beside a count is none
    left too: Magento keeps an item's qty when the shop sets it out of stock (is_in_stock 0). An
    `availability` that says no count ("Limited", "Ships in 3-5 days") is kept among the row's
    attributes. A dot groups thousands where `dots` says so (`_dots_group`)."""
    if used is None:
        return cells
    flags = {header_key(alias) for alias in _STOCK_FLAGS}
    words = header_key(names[used]) in _WORD_STOCK
    out = [_stock_text(cell, header_key(names[used]) in flags, words, dots) for cell in cells]
    beside = [i for alias in _STOCK_FLAGS if (i := find(names, alias)) is not None and i != used]
    for i, record in enumerate(chunk.records):
        cell = cells[i].strip() if cells[i] is not None else ""
        if words and cell and out[i] is None and _stock_key(cell) not in _STOCK_WORDS:
            attributes[i][names[used].strip()] = cell
        if record is None:
            continue
        said = [
            _stock_text(record[j].strip(), True, header_key(names[j]) in _WORD_STOCK)
            for j in beside
            if j < len(record) and record[j].strip()
        ]
        if not cell:
            out[i] = said[0] if said else None
        elif "0" in said:
            out[i] = "0"
    return out


def _stock_counted(cells: list[Any], source_timezone: str) -> tuple[list[int | None], list[Problem]]:
    """A catalogue's column of when each row's stock was counted, as microseconds UTC (a time
    without an offset in the import's zone, --timezone); an empty cell says nothing (the stock is
    counted when the file was written), and one that is no time, or not after 1990 and not
    ahead of the clock (as --stock-at), is the row's problem: a count ahead of the clock would
    take every sale until then for one counted in it already. A number is an epoch time, its
    unit by its size, as the events' times read it (a JSON catalogue's 1772445600 or
    1772445600000); it was quarantined as no time."""
    given = [i for i, cell in enumerate(cells) if not convert.is_blank(cell)]
    micros: list[int | None] = [None] * len(cells)
    problems: list[Problem] = [None] * len(cells)
    if not given:
        return micros, problems
    read, found = times([cells[i] for i in given], "auto", source_timezone)
    latest = to_micros(latest_allowed())
    for i, at, problem in zip(given, read, found, strict=True):
        micros[i], text = at, str(cells[i]).strip()
        if problem is not None:
            problems[i] = ("invalid_stock_at", problem[1].replace("occurred_at:", "stock_at:", 1))
        elif at is not None and not CATALOGUE_AT < at <= latest:
            problems[i] = (
                "invalid_stock_at",
                f"stock_at: {text[:40]!r} must be after {EARLIEST.date()} and not ahead of the clock",
            )
    return micros, problems


# A stock of "none" is none left (0), not no value.
_NO_STOCK = convert.NO_VALUE - {"none"}


# The columns that say when a sale runs: Google Merchant Center's "start/end" ISO interval,
# Magento's dates from and to (the last day included).
_SALE_DATES = (
    ("sale_price_effective_date",),
    ("special_price_from_date", "special_price_to_date"),
    ("special_from_date", "special_to_date"),
    ("date_sale_price_starts", "date_sale_price_ends"),  # WooCommerce's
)
_DAY = 86_400_000_000
_MIDNIGHT = re.compile(r"[ T]0?0:00(?::00(?:\.0+)?)?$")


def _dots_group(cells: list[Any]) -> bool | None:
    """Whether a stock column's dots group thousands, as its cells show: True where some cell is
    whole only so ('1.200', as a German shop system writes 1200) and none writes a decimal
    ('5.0', '0.000'), False where one does, and False too where a cell could be either ('7.000',
    '25.000' alone read 7 and 25, an ERP's counts with three decimals): once a '7.000' is read 7,
    it is 7 in every later chunk. None where no cell writes a dot.

    >>> _dots_group(["1.200", "7.000", "3"]), _dots_group(["7.000", "25.000"]), _dots_group(["1.200", "5.0"])
    (True, False, False)
    >>> _dots_group(["3", "1,200", None])
    """
    texts = [cell.strip() for cell in cells if isinstance(cell, str)]
    if any(_DECIMAL_DOT.fullmatch(text) for text in texts):
        return False
    if any(
        _DOT_GROUPS.fullmatch(text) and (text.count(".") > 1 or not text.endswith(".000")) for text in texts
    ):
        return True
    if any(_DOT_GROUPS.fullmatch(text) for text in texts):
        return False
    return None


def _dots_refused(problem: Problem, cell: Any) -> Problem:
    """A stock refused in a column whose dots mark decimals, saying so where the cell would be
    whole were they grouping thousands ('1.200' in a file that read a '7.000' as 7)."""
    if problem is None or not isinstance(cell, str) or not _DOT_GROUPS.fullmatch(cell.strip()):
        return problem
    reason, detail = problem
    return reason, f"{detail}: this file's stock column writes its dots as decimal marks ('7.000' is 7)"


def _sale_running(chunk: RawChunk, names: list[str], source_timezone: str = "UTC") -> list[bool]:
    """Whether each row's sale runs now, by the file's column saying when (every row where it
    has none), a time without an offset in the import's zone (--timezone); a date that cannot
    be read is no sale."""
    columns = next(
        (found for dates in _SALE_DATES if None not in (found := [find(names, d) for d in dates])), None
    )
    if columns is None:
        return [True] * len(chunk)
    bounds = [[_field(record, j) for j in columns] for record in chunk.records]
    if len(columns) == 1:
        bounds = [(cells[0].split("/", 1) + [""])[:2] if cells[0] else ["", ""] for cells in bounds]
    now = to_micros(datetime.now(UTC))
    texts = [text.strip() for pair in bounds for text in pair]
    micros, _ = convert.datetime_micros([text or None for text in texts], source_timezone)
    running = []
    for k in range(len(chunk)):
        (start, end), (since, until) = texts[2 * k : 2 * k + 2], micros[2 * k : 2 * k + 2]
        if (start and since is None) or (end and until is None):
            running.append(False)
            continue
        # A day without a time is all of that day, and so is a last day at midnight in two
        # columns of from and to (Magento writes its inclusive "to" day as 00:00:00).
        if until is not None and (":" not in end or (len(columns) == 2 and _MIDNIGHT.search(end))):
            until += _DAY
        running.append((since is None or since <= now) and (until is None or now < until))
    return running


def _sale_prices(
    chunk: RawChunk,
    cells: list[Any],
    names: list[str],
    used: int,
    attributes: list[dict[str, Any]],
    source_timezone: str = "UTC",
) -> list[Any]:
    """`cells` (the price column's), each from its row's sale price where that is one: above 0,
    below the regular price and, where the file says when the sale runs, running now. The
    regular price is then kept among the row's attributes."""
    sale = find(names, *_SALE_PRICE)
    if sale is None or sale == used:  # the only price column the file has
        return cells
    out = list(cells)
    running = _sale_running(chunk, names, source_timezone)
    for i, record in enumerate(chunk.records):
        cell = record[sale].strip() if record is not None and len(record) > sale else ""
        offer = convert.parse_price(cell) if cell and cell.lower() not in convert.NO_VALUE else None
        regular = out[i].strip() if out[i] is not None and out[i].strip() else None
        price = convert.parse_price(regular) if regular else None
        if not running[i] or offer is None or offer <= 0 or (regular and (price is None or offer >= price)):
            continue
        if regular:
            attributes[i][names[used].strip()] = regular
        out[i] = cell
    return out


def _regular_prices(names: list[str], used: int) -> tuple[str, ...]:
    """The price columns an empty price cell is read from: not a sale price beside the price
    column, which is the price only where `_sale_prices` took it (a sale that ended, or one of
    0, filled an empty regular price: the item listed at its old offer, or free)."""
    sale = find(names, *_SALE_PRICE)
    if sale is None or sale == used:
        return _PRICE
    return tuple(alias for alias in _PRICE if alias not in _SALE_PRICE)


def _rejoin_last_column(chunk: RawChunk, width: int, delimiter: str) -> dict[int, int]:
    """Rows with more fields than the header, where the last column is free text (a title, a
    description): the delimiter was part of the text, unquoted ("Boss Men Perfume, After
    Shave"), so the extra fields are joined back into it. Returns the rows joined, each with its
    number of fields.

    Only where the text is the last column's: each extra field begins with a space, as text does
    after a comma, and no field before the last column does, unless every one does (a file
    written with ", " between its fields). A stray delimiter in a middle column ("Womens
    Nightwear, Socks & Tights", "Photo frame 30,40") shifted every column after it, a price
    read from the next column ("40"): such a row keeps its field count, refused as in an events
    file, and so does a text whose comma no space follows ("USB-C,2m"), which cannot be told
    from it. A joined row whose price or stock then does not read as one is refused too
    (`_shifted`), the one check left where every field begins with a space."""
    joined: dict[int, int] = {}
    for i, record in enumerate(chunk.records):
        if record is None or len(record) <= width:
            continue
        text = all(field[:1].isspace() for field in record[width:])
        spaced = [field[:1].isspace() for field in record[1 : width - 1]]
        if text and (not any(spaced) or all(spaced)):
            joined[i] = len(record)
            chunk.records[i] = [*record[: width - 1], delimiter.join(record[width - 1 :])]
    return joined


def _unquote_joined(chunk: RawChunk, joined: dict[int, int]) -> None:
    """With quote=none, a joined last column wholly in quotes ("Big, heavy": a field that held
    the delimiter, quoted as the default reading reads it) without them, as
    `unquote_whole_fields` reads a field: its parts, each with one quote, kept them."""
    for i in joined:
        record = chunk.records[i]
        text = record[-1] if record is not None else ""
        if record is not None and len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
            record[-1] = text[1:-1]


def _shifted(problems: list[Problem], joined: dict[int, int], width: int, delimiter: str) -> None:
    """A joined row whose price or stock then does not read as one ("Kitchen" in the price): the
    stray delimiter was in a middle column, not in the text, and the row is refused for its field
    count, as in an events file, not listed with its columns shifted nor as a bad price. Every
    row refused for its field count names the way out: quoting the field that holds the
    delimiter ("Holds 10,000 songs" in a description)."""
    for i, problem in enumerate(problems):
        if problem is None:
            continue
        if i in joined and problem[0] in ("invalid_price", "invalid_stock"):
            problems[i] = (
                "wrong_field_count",
                f"expected {width} fields, found {joined[i]}: a stray {delimiter!r} in a column before "
                "the last shifted the columns after it; quote that field",
            )
        elif problem[0] == "wrong_field_count" and "quote" not in problem[1]:
            problems[i] = (problem[0], f"{problem[1]}: quote a field that holds a {delimiter!r}")


def _check_catalogue_columns(
    path: Path,
    names: list[str],
    item_column: int | None,
    header: bool,
    chunk: RawChunk,
    encoding: str,
    items_named: bool,
) -> None:
    """FormatError for a catalogue file that names no item id, holds categories, or holds one
    row per property of an item (RetailRocket's item_properties, Dressipi's item_features: every
    row would replace its item's listing), its ids repeated in its first chunk. A first line of data is no
    header line: taken for one, it would lose its item."""
    if property_columns(names) and (item_column is None or _repeated(chunk, item_column)):
        raise FormatError(f"{path}: {property_rows(names)}")
    if header:
        item = None if item_column is None else names[item_column]
        check_categories(names, path, item=item, encoding=encoding, items_named=items_named)
    if item_column is None and not header:
        raise FormatError(
            f"{path}: no column for the item id. With header=false, columns are named by position "
            "from 0: item=0 for the first (--map item=0 on the command line)"
        )
    if item_column is None and looks_like_data(names):
        raise FormatError(
            f"{path}: no column for the item id, and the first line looks like data, not column "
            f"names: {names[:4]}. If the file has no header line, give header=false and name its "
            "columns by position from 0 (--map header=false --map item=0 --map title=3 on the "
            "command line)"
        )
    if item_column is None:
        raise FormatError(
            f"{path}: no column for the item id; the columns are {names}: name it with item=COLUMN "
            "(--map item=COLUMN on the command line)"
        )


def _numbered(chunk: RawChunk) -> list[str]:
    """A headerless chunk's column names: numbers from 0, as many as its widest row's fields."""
    return [str(i) for i in range(max((len(r) for r in chunk.records if r is not None), default=0))]


def _common_width(chunk: RawChunk, named: Mapping[str, str]) -> int:
    """The number of fields of a headerless chunk's rows: a wider row may be one whose last
    column, a title, holds the delimiter unquoted ("Character, The"). That is the last column
    mapped where some rows end there and every wider one's extra fields begin with a space, as
    text does after a comma: where half the titles hold one, most rows are wider. Otherwise it
    is the number most rows have."""
    records = [r for r in chunk.records if r is not None]
    mapped = [int(column) for column in named.values() if column.isdigit()]
    last = max(mapped, default=-1) + 1
    if any(len(r) == last for r in records) and all(
        all(field[:1].isspace() for field in r[last:]) for r in records
    ):
        return last
    widths = Counter(len(r) for r in records)
    return widths.most_common(1)[0][0] if widths else 0


def _repeated(chunk: RawChunk, index: int) -> bool:
    """Whether a chunk's column holds one value in several rows."""
    cells = [r[index].strip() for r in chunk.records if r is not None and len(r) > index and r[index].strip()]
    return len(set(cells)) < len(cells)


def _id_column(names: list[str], chunk: RawChunk) -> int | None:
    """The item id's column: the first of the id names the file has that is filled in most rows
    of its first chunk; where none is, the one filled in the most.

    A file may have several (Goodreads' books: isbn, asin, kindle_asin, book_id), and one left
    empty in most rows is a code only some items have (a book's ASIN), not the id of every row:
    taken first by the names' order alone, most rows were refused as having no id, and the
    others were listed under the code the interactions do not use. With none, a bare `item` or
    `product` beside a title column (a column for the name) is the id; a `product` repeated in
    the rows read (Mug, Mug, Plate) is a product type, not an id: each row replaced the last."""
    present = list(dict.fromkeys(i for alias in _ID if (i := find(names, alias)) is not None))
    if not present and find(names, *_TITLE) is not None:
        bare = find(names, *_BARE_ID)
        if bare is not None and header_key(names[bare]) == "product" and _repeated(chunk, bare):
            return None
        return bare
    if len(present) < 2:
        return present[0] if present else None
    records = [record for record in chunk.records if record is not None]

    def filled(index: int) -> int:
        return sum(len(record) > index and bool(record[index].strip()) for record in records)

    return next((i for i in present if 2 * filled(i) > len(records)), max(present, key=filled))


def catalogue_batches(
    path: Path,
    chunk_rows: int,
    mapping_: Any = None,
    encoding: str = "utf-8",
    source_timezone: str = "UTC",
    **_: Any,
) -> Iterator[Batch]:
    named, header, quote = _catalogue_options(mapping_)
    delimiter = None
    # Its objects name their fields: no header line.
    if data_suffix(path) in _OBJECT_SUFFIXES or object_lines(path, head_lines(path, 1, encoding)):
        chunks, header = _object_chunks(path, chunk_rows, encoding), True
    else:
        delimiter = sniff_delimiter(head_lines(path, 10))
        records = _records(path, delimiter, header, chunk_rows, encoding, quote)
        chunks = ((names, chunk, None) for names, chunk in records)
    above: dict[str, Any] | None = None
    width = 0  # with no header line, the number of fields most rows of the first chunk have
    id_name: str | None = None  # every chunk's id from the column the first one's is in
    listed: set[str] = set()  # the items with a default row (store_view_code empty) so far
    stock_dots: bool | None = None  # whether the stock column's dots group thousands, once shown
    for number, (names, chunk, lacking) in enumerate(chunks):
        if delimiter is not None and quote:
            name_quotes_as_text(chunk)
        elif delimiter is not None:
            unquote_whole_fields(chunk)
        if not header:  # columns by number, as wide as the widest row
            names, width = _numbered(chunk), width or _common_width(chunk, named)
        names = names or []
        if number == 0 and (index := _id_column(names, chunk)) is not None:
            id_name = names[index]
        used: dict[str, int | None] = {}
        for field, aliases in CATALOGUE_FIELDS.items():
            column = named.get(field)
            if column == NOT_READ:  # price=none: the column is kept as text, among the attributes
                used[field] = None
                continue
            if field == "item" and id_name is not None:
                aliases = (id_name,)
            elif field == "category":
                aliases = _categories(names)
            index = find(names, *((column,) if column else aliases))
            if column and index is None:
                raise FormatError(f"{path}: {field}={column}: no such column; the columns are {names}")
            used["item_id" if field == "item" else field] = index
        if number == 0:  # refused before anything is listed, not every row quarantined
            items_named = bool(named.get("item") or named.get("title"))
            _check_catalogue_columns(path, names, used["item_id"], header, chunk, encoding, items_named)
        joined: dict[int, int] = {}
        width = len(names) if header else width
        last = max((i for i in used.values() if i is not None), default=-1) == width - 1
        if delimiter is not None and last and width - 1 in (used["title"], used["description"]):
            joined = _rejoin_last_column(chunk, width, delimiter)
            if not quote:
                _unquote_joined(chunk, joined)
            if not header:  # the rows joined are as wide as the others now
                names = _numbered(chunk)
        levels: list[int] = []
        if used["category"] is None:
            for candidate in _CATEGORY_LEVELS:
                levels = [i for name in candidate if (i := find(names, name)) is not None]
                if levels:
                    break
        taken = {i for i in used.values() if i is not None} | set(levels)
        extra = {f"attr:{name.strip()}": i for i, name in enumerate(names) if i not in taken and name.strip()}
        raw, problems = pick(chunk, {**used, **extra}, len(names) if header else None)
        if header and delimiter is not None:  # not listed as an item named 'article_id'
            merge(problems, repeated_headers(str(path), chunk, names))
        n = len(chunk)
        attributes = [
            {name[5:]: raw[name][i].strip() for name in extra if raw[name][i] is not None} for i in range(n)
        ]
        price_cells = convert.no_placeholders(raw.get("price", _const(None, n)))
        if "price" not in named and used["price"] is not None:
            price_cells = _sale_prices(chunk, price_cells, names, used["price"], attributes, source_timezone)
            price_cells = _with_later(
                chunk, price_cells, names, used["price"], _regular_prices(names, used["price"])
            )
        prices, found = convert.prices(price_cells, "price")
        merge(problems, [_with_hint(problem, "price") for problem in found])
        stock_cells = convert.no_placeholders(raw.get("stock", _const(None, n)), _NO_STOCK)
        if stock_dots is None:  # the first chunk that writes a dot in the column decides
            stock_dots = _dots_group(stock_cells)
        stock_cells = _stock_cells(chunk, stock_cells, names, used["stock"], attributes, bool(stock_dots))
        stocks, found = convert.ints(stock_cells, "stock")
        if stock_dots is False:
            found = [_dots_refused(problem, cell) for problem, cell in zip(found, stock_cells, strict=True)]
        merge(problems, [_with_hint(problem, "stock") for problem in found])
        counted, found = _stock_counted(raw.get("stock_at", _const(None, n)), source_timezone)
        merge(problems, found)
        if delimiter is not None:
            _shifted(problems, joined, width, delimiter)
        if header and (view := find(names, *_STORE_VIEW)) is not None and used["item_id"] is not None:
            listed |= _default_rows(chunk.records, view, used["item_id"])
            merge(problems, [_store_view_row(r, view, used["item_id"], listed) for r in chunk.records])
        # Oversold (Shopify's "continue selling" goes below zero): none left to sell, not a bad row.
        stocks = [0 if stock is not None and stock < 0 else stock for stock in stocks]
        # A scraped name's line breaks and runs of spaces ("by\n    Ubisoft") as one space.
        titles = [" ".join(t.split()) if t else t for t in raw.get("title", _const(None, n))]
        if levels:
            categories: list[str | None] = [
                "/".join(c.strip() for r in [record] for c in (r[j] for j in levels) if c.strip()) or None
                if record is not None
                else None
                for record in chunk.records
            ]
        else:
            categories = raw.get("category", _const(None, n))
        if "category" not in named and used["category"] is not None:  # not from an id: a name's gap
            # nor from a genres cell, several genres in one (kept as the `genres` attribute)
            named_categories = [
                alias
                for alias in _categories(names)
                if not header_key(alias).endswith("id") and alias not in _GENRES
            ]
            if find(names, *named_categories) == used["category"]:
                categories = _with_later(chunk, categories, names, used["category"], named_categories)
        genres = used["category"] is not None and header_key(names[used["category"]]) in _GENRES
        if genres:
            categories = _genres(categories, names[used["category"]], attributes)
        brands = [" ".join(b.split()) if b else b for b in raw["brand"]] if "brand" in raw else None
        brands = brands or [brand_from_title(t) for t in titles]
        columns = {
            "type": _const(EventType.ITEM_LISTED.value, n),
            "occurred_at": _const(CATALOGUE_AT, n),
            "item_id": [text_id(v) if isinstance(v, str) else v for v in raw.get("item_id", _const(None, n))],
            "title": titles,
            "category": categories,
            "brand": brands,
            "price": prices,
            "stock": stocks,
            # a time for a stock the row states
            "stock_at": [
                at if stock is not None else None for at, stock in zip(counted, stocks, strict=True)
            ],
            "description": raw.get("description", _const(None, n)),
            "attributes": attributes,
        }
        group = find(names, *_PRODUCT_GROUP)
        above = _fill_from_row_above(
            chunk, columns, problems, used["item_id"] if group is None else group, above
        )
        # A field mapped to none (price=none) has its column, kept as text: it is not kept.
        unnamed = {
            field
            for field, index in used.items()
            if index is None and field != "item_id" and named.get(field) != NOT_READ
        }
        if levels:
            unnamed.discard("category")
        # (A brand guessed from a title does not replace an item's own: it is unnamed too.)
        catalogue = CatalogueColumns(
            frozenset(unnamed),
            # an empty genres cell clears the `genres` attribute, as it does the category
            frozenset(name.strip() for name in names) | ({"genres"} if genres else set()),
            _lacking_fields(lacking, names, used, levels) if lacking and any(lacking) else (),
        )
        yield text_batch(str(path), chunk, columns, problems, catalogue)


def _genres(cells: list[Any], name: str, attributes: list[dict[str, Any]]) -> list[Any]:
    """A column of genres, several in a cell (MovieLens' `Action|Comedy`; RecBole's
    `genre:token_seq`, split by spaces: `Animation Children's Comedy`; IMDb's `Documentary,Short`):
    each item's category is its first, and all are kept as its `genres` attribute, as a MovieLens
    catalogue's are. A cell of none (MovieLens' `(no genres listed)`, IMDb's `\\N`) is no genre.

    >>> attributes = [{}, {}]
    >>> _genres(["Animation Children's", None], "genre:token_seq", attributes), attributes
    (['Animation', None], [{'genres': "Animation|Children's"}, {}])
    >>> attributes = [{}, {}, {}]
    >>> _genres(["Sci-Fi|Film-Noir", "Drama, Romance", "(no genres listed)"], "genres", attributes)
    ['Sci-Fi', 'Drama', None]
    >>> attributes
    [{'genres': 'Sci-Fi|Film-Noir'}, {'genres': 'Drama|Romance'}, {}]
    """
    spaced = name.strip().endswith(":token_seq")
    out: list[Any] = []
    for cell, attrs in zip(cells, attributes, strict=True):
        text = cell.strip() if isinstance(cell, str) else ""
        genres = [g.strip() for g in _genre_names(text, spaced)]
        genres = [g for g in genres if g and g.lower() not in _NO_GENRES]
        if genres:
            attrs["genres"] = "|".join(genres)
        out.append(genres[0] if genres else None if text else cell)
    return out


def _genre_names(text: str, spaced: bool) -> list[str]:
    """A genres cell's names: a list written as JSON or as Python (TMDB's `[{"id": 28, "name":
    "Action"}]`, a Spotify export's `['pop', 'dance pop']`), else the cell split by `|`
    (MovieLens'), by spaces (RecBole's `:token_seq`), else by `;` or `,` (IMDb's)."""
    if text.startswith("[") and text.endswith("]"):
        try:
            listed = json_loads(text)
        except ValueError:
            try:  # literal_eval evaluates literals only: no names, calls or operators
                listed = ast.literal_eval(text)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                listed = None
        if isinstance(listed, list):
            return [str(g.get("name") or "") if isinstance(g, dict) else _cell(g) for g in listed]
    if "|" in text or not spaced:
        return text.split(next((mark for mark in "|;," if mark in text), "|"))
    return text.split()


def _lacking_fields(
    lacking: list[frozenset[str]], names: list[str], used: Mapping[str, int | None], levels: list[int]
) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Per object, the fields it has no key for (none of the columns a field is read from: a
    price neither as `price` nor as `sale_price`), and the columns it lacks, named as the
    attributes are."""
    sources: dict[str, set[str]] = {}
    for field, aliases in CATALOGUE_FIELDS.items():
        if field == "item" or (used[field] is None and not (field == "category" and levels)):
            continue  # an item's id, and a field without a column, which the file never had
        if field == "category":
            aliases = _categories(names)
        found = [used[field], *(find(names, alias) for alias in aliases)]
        found += levels if field == "category" else []
        sources[field] = {names[i].strip() for i in found if i is not None}
    memo: dict[frozenset[str], tuple[frozenset[str], frozenset[str]]] = {}
    out = []
    for keys in lacking:
        if keys not in memo:
            columns = frozenset(key.strip() for key in keys)
            fields = frozenset(field for field, found in sources.items() if found <= columns)
            memo[keys] = (fields, columns)
        out.append(memo[keys])
    return out


# Magento's product export: after a product's default row, a row per store view holding only
# the fields that view overrides (its translated name). Listed, it wiped the item's price, stock
# and category, and each import of the same file listed the item twice more. An item with no
# default row (an export of one store view, every row coded) is listed from its row.
_STORE_VIEW = ("store_view_code",)


def _field(record: list[str] | None, index: int) -> str:
    return record[index].strip() if record is not None and len(record) > index else ""


def _default_rows(records: Sequence[list[str] | None], view: int, item: int) -> set[str]:
    """The items of `records` with a default row (store_view_code empty)."""
    return {_field(record, item) for record in records if record is not None and not _field(record, view)}


def _store_view_row(record: list[str] | None, view: int, item: int, listed: set[str]) -> Problem:
    code = _field(record, view)
    if not code or _field(record, item) not in listed:
        return None
    return (
        "store_view_row",
        f"the overrides of store view {code[:40]!r}, not a listing: the item is listed from its default "
        "row (store_view_code empty)",
    )


# A product's column where a catalogue has a row per variant or per image (Shopify's Handle).
_PRODUCT_GROUP = ("handle",)
_PRODUCT_FIELDS = ("title", "category", "brand", "description")
_ITEM_FIELDS = (*_PRODUCT_FIELDS, "price", "stock")


def _fill_from_row_above(
    chunk: RawChunk,
    columns: dict[str, list[Any]],
    problems: list[Problem],
    group: int | None,
    above: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """Shopify's products_export: a product's later rows (its other variants, its images) leave
    its title, vendor, type and description blank under the same handle. Such a row (no title,
    the same product as the row above) takes them from the row above; a row of the same item
    (an image's) takes every blank field: it listed the item with no title, price or stock.
    Returns the last row, for the next chunk."""
    if group is None:
        return None
    for i, record in enumerate(chunk.records):
        product = record[group].strip() if record is not None and len(record) > group else ""
        if not product or problems[i] is not None:
            above = None
            continue
        if above is not None and not columns["title"][i] and product == above["product"]:
            same_item = columns["item_id"][i] == above["item_id"]
            for name in _ITEM_FIELDS if same_item else _PRODUCT_FIELDS:
                if columns[name][i] in (None, ""):
                    columns[name][i] = above[name]
        above = {
            "product": product,
            "item_id": columns["item_id"][i],
            **{k: columns[k][i] for k in _ITEM_FIELDS},
        }
    return above
