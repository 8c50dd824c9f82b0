"""Batch validation agrees with the domain: a row passes iff the event dataclass accepts it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgerec.domain import Context, EventError, EventType, event_from_fields
from edgerec.ingest.validate import ID_COLUMNS, PAYLOAD_COLUMNS, TYPE_FIELDS, validate_columns
from edgerec.store.codec import from_micros, to_micros

LOW = to_micros(datetime(1985, 1, 1, tzinfo=UTC))
HIGH = to_micros(datetime(2200, 1, 1, tzinfo=UTC))
NOW = to_micros(datetime.now(UTC))

texts = st.one_of(
    st.text(max_size=6),
    st.sampled_from(
        [
            "",
            "a\x00b",
            "tab\there",
            "x" * 257,
            "y" * 10_001,
            "=HYPERLINK()",
            "'; DROP TABLE x;--",
            "lone \ud800",
            "\ud83d\ude00",
        ]
    ),
)
ids = st.one_of(st.none(), texts)
numbers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2_000_000),
    st.sampled_from([0, 1, 10**12, 10**12 + 1, 10**13, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just("3"),
)
attributes = st.one_of(
    st.none(),
    st.just("not a mapping"),
    st.dictionaries(texts, texts, max_size=3),
    st.just({f"k{i}": "v" for i in range(201)}),
)
times = st.one_of(
    st.none(),
    st.integers(LOW, HIGH),
    st.sampled_from([to_micros(datetime(1990, 1, 1, tzinfo=UTC)) - 1, NOW, NOW + 3_600_000_000]),
)
PAYLOAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "quantity": numbers,
    "price_paid": numbers,
    "price": numbers,
    "stock": numbers,
    "value": numbers,
    "attributes": attributes,
    "stock_at": st.one_of(times, st.just(253_402_214_399_999_999), st.just(253_402_214_400_000_000)),
}
ANY_VALUE: dict[str, st.SearchStrategy[Any]] = {
    "type": st.one_of(st.sampled_from([t.value for t in EventType]), st.just("teleported")),
    "occurred_at": times,
    **{name: ids for name in ID_COLUMNS},
    **{name: PAYLOAD_VALUES.get(name, ids) for name in PAYLOAD_COLUMNS},
}
# Values the domain accepts for each field (where the type has it).
GOOD: dict[str, st.SearchStrategy[Any]] = {
    "occurred_at": st.integers(to_micros(datetime(1990, 1, 1, tzinfo=UTC)), NOW),
    "user_id": st.sampled_from(["u1", "visitor 7", "=cmd|' /C calc'!A0"]),
    "session_id": st.one_of(st.none(), st.just("s1")),
    "item_id": st.sampled_from(["i1", "'; DROP TABLE events; --"]),
    "store_id": st.one_of(st.none(), st.just("k1")),
    "location": st.none(),
    "device": st.none(),
    "category": st.one_of(st.none(), st.just("Toys")),
    "quantity": st.one_of(st.none(), st.integers(1, 5)),
    "price_paid": st.one_of(st.none(), st.floats(0, 100)),
    "price": st.one_of(st.none(), st.floats(0, 100)),
    "stock": st.one_of(st.none(), st.integers(0, 9)),
    "value": st.one_of(st.none(), st.floats(0.5, 5)),
    "query": st.just("red shoes"),
    "title": st.one_of(st.none(), st.just("A title")),
    "brand": st.none(),
    "description": st.none(),
    "attributes": st.one_of(st.none(), st.just({"colour": "red"})),
}


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    """A row the domain accepts for its type, with up to two fields then set to anything."""
    kind = draw(st.sampled_from([t.value for t in EventType]))
    row: dict[str, Any] = {name: None for name in ANY_VALUE}
    row["type"] = kind
    cls_fields = set(TYPE_FIELDS[kind])
    for name, good in GOOD.items():
        if name in ID_COLUMNS or name == "occurred_at" or name in cls_fields:
            row[name] = draw(good)
    if kind in ("searched", "session_started", "session_ended"):
        row["item_id"] = None
    for name in draw(st.lists(st.sampled_from(sorted(ANY_VALUE)), max_size=2)):
        row[name] = draw(ANY_VALUE[name])
    return row


def domain_accepts(row: dict[str, Any]) -> bool:
    kind = row["type"]
    fields = TYPE_FIELDS.get(kind, ())
    payload = {name: row[name] for name in fields if row[name] is not None}
    try:
        context = Context(row["store_id"], row["location"], row["device"])
        common = {
            "event_id": "e1",
            "occurred_at": from_micros(row["occurred_at"]) if row["occurred_at"] is not None else None,
            "user_id": row["user_id"],
            "session_id": row["session_id"],
            "item_id": row["item_id"],
            "context": context,
        }
        event_from_fields(kind, common, payload)
    except EventError:
        return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(rows(), min_size=1, max_size=8))
def test_batch_validation_agrees_with_the_domain(batch: list[dict[str, Any]]) -> None:
    columns = {name: [row[name] for row in batch] for name in batch[0]}
    problems = validate_columns(columns, len(batch))
    for row, problem in zip(batch, problems, strict=True):
        assert (problem is None) == domain_accepts(row), (row, problem)


def test_each_problem_names_a_reason_and_the_field() -> None:
    columns = {
        "type": ["item_viewed", "item_viewed", "searched", "purchased"],
        "occurred_at": [NOW, 0, NOW, NOW],
        "user_id": ["u", "u", "u", None],
        "item_id": ["i\x07", "i", None, "i"],
        "query": [None, None, None, None],
    }
    problems = validate_columns(columns, 4)
    assert [p[0] if p else None for p in problems] == [
        "invalid_item_id",
        "timestamp_too_old",
        "invalid_query",
        "missing_user_id",
    ]
    assert all(
        p is not None and p[1].split(":")[0] in ("item_id", "occurred_at", "query", "user_id")
        for p in problems
    )


def test_equal_values_of_another_type_are_checked_apart() -> None:
    # 0 and False are equal (and hash alike); the domain refuses a boolean stock.
    columns = {
        "type": ["item_listed"] * 2,
        "occurred_at": [NOW] * 2,
        "item_id": ["i1", "i2"],
        "title": ["t", "t"],
        "stock": [0, False],
    }
    problems = validate_columns(columns, 2)
    assert problems[0] is None and problems[1] is not None and problems[1][0] == "invalid_stock"


def test_a_rating_without_its_value_is_refused_not_taken_for_zero() -> None:
    with_column = {"type": ["rated", "rated"], "occurred_at": [NOW, NOW], "user_id": ["u", "u"]}
    with_column |= {"item_id": ["i", "i"], "value": [None, 4.0]}
    assert [p[0] if p else None for p in validate_columns(with_column, 2)] == ["missing_value", None]
    without = {"type": ["rated"], "occurred_at": [NOW], "user_id": ["u"], "item_id": ["i"]}
    assert validate_columns(without, 1) == [("missing_value", "value: a rating needs its value")]


def test_one_bad_id_among_many_good_ones_is_found() -> None:
    """A column of good ids is passed whole; each kind of bad id in it is still named, on its row."""
    bad = {
        "": "must be a non-empty string",
        "   ": "is only spaces",
        "u" * 257: "longer than",
        "u\x07": "control or invisible character",
        7: "must be a non-empty string",
    }
    for value, detail in bad.items():
        users: list[Any] = [f"u{i}" for i in range(1_000)]
        users[500] = value
        columns = {
            "type": ["item_viewed"] * 1_000,
            "occurred_at": [NOW] * 1_000,
            "user_id": users,
            "item_id": users,
        }
        problems = validate_columns(columns, 1_000)
        assert problems[500] is not None and problems[500][0] == "invalid_user_id", value
        assert detail in problems[500][1], (value, problems[500])
        assert problems.count(None) == 999
