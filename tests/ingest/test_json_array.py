"""A JSON array of objects reads element by element: the same objects, their lines, every byte
accounted for, whatever the block boundaries."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgerec.api import Store
from edgerec.ingest import import_file, json_array
from edgerec.ingest.formats import detect_format
from edgerec.ingest.text import RAW_KEEP

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
objects = st.lists(st.dictionaries(st.text(max_size=8), values, max_size=4), max_size=30)


def read_all(path: Path, chunk_rows: int = 7) -> tuple[list[int], list[str], list[object], list[object]]:
    lines: list[int] = []
    raws: list[str] = []
    found: list[object] = []
    problems: list[object] = []
    for chunk in json_array.array_records(path, chunk_rows):
        for column, part in zip((lines, raws, found, problems), chunk, strict=True):
            column.extend(part)
    return lines, raws, found, problems


@settings(max_examples=150, deadline=None)
@given(objects, st.sampled_from([None, 0, 2]), st.integers(1, 64))
def test_the_elements_read_back_whatever_the_blocks(
    elements: list[dict], indent: int | None, block: int
) -> None:
    text = json.dumps(elements, indent=indent, ensure_ascii=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.json"
        path.write_text(text, encoding="utf-8")
        saved, json_array._BLOCK = json_array._BLOCK, block
        try:
            lines, raws, found, problems = read_all(path)
        finally:
            json_array._BLOCK = saved
    assert found == elements
    assert problems == [None] * len(elements)
    assert all(json.loads(raw) == e for raw, e in zip(raws, elements, strict=True) if len(raw) < RAW_KEEP)
    if indent is None:
        assert set(lines) <= {1}
    else:  # each element starts on a line of its own, after the "[" line
        assert lines == sorted(set(lines)) and all(line > 1 for line in lines)


def test_a_bad_element_is_one_problem_and_a_syntax_error_ends_the_array(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text('[\n {"a": 1},\n 7,\n {"b": 2},\n {"c": oops},\n {"d": 4}\n]\n')
    lines, raws, found, problems = read_all(path)
    assert lines == [2, 3, 4, 5]
    assert found == [{"a": 1}, None, {"b": 2}, None]
    assert problems[1] == ("bad_json", "an element must be a JSON object")
    assert problems[3][0] == "bad_json" and "the rest of the array cannot be read" in problems[3][1]
    assert raws[3].startswith('{"c": oops}')


def test_bytes_that_are_not_text_end_the_array_as_an_encoding_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(b'[{"a": "ok"}, {"b": "caf\xe9"}]')
    _lines, _raws, found, problems = read_all(path)
    assert found == [{"a": "ok"}, None]
    assert problems[1][0] == "invalid_encoding"
    _lines, _raws, found, problems = (
        list(part) for part in next(json_array.array_records(path, 10, encoding="latin-1"))
    )
    assert found == [{"a": "ok"}, {"b": "café"}] and problems == [None, None]


def test_an_array_of_events_or_items_imports_like_json_lines(ingest_store: Store, tmp_path: Path) -> None:
    events = tmp_path / "export.json"  # pandas: df.to_json(orient="records", indent=1)
    rows = [
        {"user_id": "u1", "item_id": f"i{i}", "timestamp": 1_700_000_000 + 60 * i, "event": "view"}
        for i in range(2_500)
    ]
    events.write_text(json.dumps(rows, indent=1))
    assert detect_format(events).name == "jsonl"
    report = import_file(ingest_store, events, chunk_rows=1_000)
    assert (report.rows_read, report.accepted, report.quarantined) == (2_500, 2_500, 0)

    products = tmp_path / "products.json"
    products.write_text(
        json.dumps([{"id": "p1", "title": "Lamp", "price": "$12.50"}, {"id": "p2", "title": "Mug"}])
    )
    assert detect_format(products).name == "catalogue"
    assert import_file(ingest_store, products).accepted == 2
    listed = {e.item_id: e.payload.get("price") for e in ingest_store.read() if e.type == "item_listed"}
    assert listed == {"p1": 12.5, "p2": None}


@pytest.mark.parametrize("text", ["[]", "  [ ]  ", "\ufeff[\n]\n"])
def test_an_empty_array_has_no_records(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.json"
    path.write_text(text, encoding="utf-8")
    assert read_all(path) == ([], [], [], [])


def test_json_lines_whose_first_record_is_an_array_read_line_by_line(
    ingest_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    views = [
        {"user_id": "u1", "item_id": f"i{i}", "type": "view", "timestamp": 1_700_000_000 + i}
        for i in range(3)
    ]
    path.write_text("[1, 2, 3]\n" + "".join(json.dumps(view) + "\n" for view in views))
    assert not json_array.starts_array(path)
    assert detect_format(path).name == "jsonl"
    report = import_file(ingest_store, path)
    assert (report.rows_read, report.accepted, report.quarantined) == (4, 3, 1)


@pytest.mark.parametrize(
    "text",
    [
        '[{"a": 1}, {"b": 2}]',
        '[{"a": 1}, {"b": 2}]\n\n',
        '[\n{"a": 1},\n{"b": 2}\n]\n',
        '\n[{"a": 1},\n{"b": 2}]',
        '\ufeff\n[{"a": 1},\n{"b": 2}]',  # a byte-order mark, then a blank line
    ],
)
def test_an_array_on_one_line_or_many_is_an_array(tmp_path: Path, text: str) -> None:
    path = tmp_path / "records.json"
    path.write_text(text, encoding="utf-8")
    assert json_array.starts_array(path)
    assert read_all(path)[2] == [{"a": 1}, {"b": 2}]


def test_arrays_joined_are_read_in_turn_and_text_after_one_is_refused_not_dropped(tmp_path: Path) -> None:
    """`cat day1.json day2.json` imported day 1 only, and a JSON line after an array was dropped
    unseen: neither counted nor quarantined."""
    joined = tmp_path / "both.json"
    joined.write_text('[\n{"a": 1},\n{"a": 2}\n]\n\ufeff[{"a": 3}]\n')
    assert read_all(joined)[2] == [{"a": 1}, {"a": 2}, {"a": 3}]
    tail = tmp_path / "tail.json"
    tail.write_text('[\n{"a": 1}\n]\n{"b": 2}\n')
    lines, raws, found, problems = read_all(tail)
    assert found == [{"a": 1}, None] and lines == [2, 4] and raws[1] == '{"b": 2}'
    assert problems[1] is not None and "after the end of the array" in problems[1][1]


@pytest.mark.parametrize(
    "text",
    [
        '{"events": [\n {"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": 1600000000}\n]}\n',
        '{\n  "user_id": "u1",\n  "item_id": "i1",\n  "type": "view",\n  "timestamp": 1600000000\n}\n',
    ],
)
def test_a_json_document_over_several_lines_is_refused_not_half_imported(
    ingest_store: Store, tmp_path: Path, text: str
) -> None:
    """`{"events": [...]}` imported its last event and refused the others line by line; `jq .`
    output was 6 refused rows for one event."""
    path = tmp_path / "events.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="a JSON document over several lines.*jq -c"):
        import_file(ingest_store, path, format="jsonl")
    assert ingest_store.head() == 0


def test_a_json_document_or_a_wrapped_list_is_told_how_to_flatten_it_without_a_format(
    ingest_store: Store, tmp_path: Path
) -> None:
    """An API's export, `{"orders": [...]}`, on one line or over several, imported as the file it
    is: it was told that its first line looked like data and to read it with header=false, a CSV
    file's option, or only to name a format."""
    orders = {
        "orders": [{"email": "bob@example.com", "sku": "MUG-1", "created_at": "2024-01-10T11:00:00-05:00"}]
    }
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(orders) + "\n")
    with pytest.raises(ValueError, match=r"lists its events under 'orders'.*jq -c '\.orders\[\]") as refused:
        import_file(ingest_store, path)
    assert "header=false" not in str(refused.value)
    path.write_text(json.dumps(orders, indent=2) + "\n")
    with pytest.raises(ValueError, match="a JSON document over several lines.*jq -c"):
        import_file(ingest_store, path)
    assert ingest_store.head() == 0
