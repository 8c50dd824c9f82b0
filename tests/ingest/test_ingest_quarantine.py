"""Malformed input: every row read is accepted or quarantined with a reason, line and raw text."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.cli import main
from edgerec.ingest import export_events, import_file
from edgerec.ingest.errors import FormatError
from edgerec.store.schema import imports, items, quarantine
from tests.ingest.ingest_helpers import conserved, quarantined

FORMULA_USER = "=cmd|' /C calc'!A0"
SQL_ITEM = "'; DROP TABLE events; --"
HEADER = b"user_id,item_id,type,timestamp,category,query\n"
GOOD = "1600000000"
VIEW = f'"user_id": "u1", "type": "view", "timestamp": {GOOD}'  # a JSON object's first fields


def quarantine_rows(store: Store) -> list[dict[str, object]]:
    with store.engine.connect() as connection:
        return [
            dict(r) for r in connection.execute(select(quarantine).order_by(quarantine.c.line)).mappings()
        ]


def test_malformed_csv_is_conserved(ingest_store: Store, tmp_path: Path) -> None:
    rows: list[tuple[bytes, str | None]] = [  # (line, expected reason; None: accepted)
        (f"u1,i1,view,{GOOD},shoes,".encode(), None),
        (b"u1,i2,view,not-a-time,shoes,", "bad_timestamp"),
        (b"u2,i3", "wrong_field_count"),
        (f"u3,i4,view,{GOOD},{'c' * 5000},".encode(), "invalid_category"),
        (f"u3,i4,view,{GOOD},{'x' * 200_000},".encode(), "malformed_row"),  # beyond csv's field limit
        (f"u4,i5,view,{GOOD},".encode() + b"\xff\xfe bad utf-8,", "invalid_encoding"),
        (f"u5,i6,view,{GOOD},ca\x00t,".encode(), "invalid_category"),
        (f"u\x005,i6,view,{GOOD},,".encode(), "invalid_user_id"),
        (b"u6,i7,view,99999999999999,,", "timestamp_in_future"),
        (b"u6,i7,view,100,,", "timestamp_too_old"),
        (b"u6,i7,view,-5,,", "timestamp_too_old"),
        (f'"{FORMULA_USER}",+1+1,view,{GOOD},@SUM(A1),'.encode(), None),
        (f"u7,{SQL_ITEM},cart,{GOOD},Robert'); DROP TABLE users;--,".encode(), None),
        (f"u7,i8,teleport,{GOOD},,".encode(), "unknown_action"),
        (f"u7,,search,{GOOD},,".encode(), "invalid_query"),
        (f"u7,i9,search,{GOOD},,red shoes".encode(), "invalid_item_id"),
        (f'u8,i9,view,{GOOD},"two\nlines",'.encode(), None),  # one record over two lines
        (b"u9,i10,view,,,", "missing_occurred_at"),
        (f",i11,view,{GOOD},,".encode(), "missing_user_id"),
        (b"x" * (1 << 20) + b"y", "line_too_long"),
        (f'u9,i12,view,{GOOD},"never closed'.encode(), "malformed_row"),  # a quote never closed
    ]
    path = tmp_path / "messy.csv"
    path.write_bytes(HEADER + b"\n".join(line for line, _ in rows) + b"\n")
    report = import_file(ingest_store, path, format="csv")

    assert report.rows_read == len(rows)
    assert report.accepted + report.quarantined == report.rows_read
    assert quarantined(ingest_store) == report.quarantined
    # Line numbers: the header is line 1, and the record "two\nlines" takes two lines.
    expected_lines = [(i + 2 + (i > 16), reason) for i, (_, reason) in enumerate(rows) if reason]
    stored = quarantine_rows(ingest_store)
    assert [(r["line"], r["reason"]) for r in stored] == expected_lines
    assert report.accepted == sum(1 for _, reason in rows if reason is None)
    assert all(r["source"] == str(path) and r["import_id"] == report.import_id for r in stored)
    assert all(len(str(r["raw"])) <= 1000 for r in stored)
    by_reason = {r["reason"]: r for r in reversed(stored)}  # the first of each reason
    assert by_reason["bad_timestamp"]["line"] == 3 and "not-a-time" in str(by_reason["bad_timestamp"]["raw"])
    assert by_reason["wrong_field_count"]["line"] == 4
    assert by_reason["timestamp_in_future"]["detail"].startswith("occurred_at")

    events = ingest_store.read()
    assert {e.user_id for e in events} >= {FORMULA_USER}
    assert {e.item_id for e in events} >= {SQL_ITEM, "+1+1"}
    cart = next(e for e in events if e.item_id == SQL_ITEM)
    assert cart.payload["category"] == "Robert'); DROP TABLE users;--"
    assert next(e for e in events if e.user_id == "u8").payload["category"] == "two\nlines"
    with ingest_store.engine.connect() as connection:
        (saved,) = connection.execute(select(imports.c.report)).scalars()
    assert saved["quarantined_by_reason"] == report.quarantined_by_reason

    out = tmp_path / "out.jsonl"
    export_events(ingest_store, out, real_ids=True)
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert any(r["user_id"] == FORMULA_USER for r in exported)  # verbatim, not "sanitised"


def test_malformed_jsonl_is_conserved(ingest_store: Store, tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"user_id": "u1", "item_id": "i1", "type": "buy", "timestamp": 1_600_000_000, "quantity": 2}
        ),
        json.dumps({"user_id": 5, "item_id": 6, "type": "view", "timestamp": "2020-09-13T12:26:40+02:00"}),
        '{"user_id": "u1", "item_id": ',
        "[1, 2, 3]",
        json.dumps(
            {"user_id": "u1", "item_id": "i1", "type": "buy", "timestamp": 1_600_000_000, "quantity": 2.5}
        ),
        json.dumps({"user_id": "u1", "item_id": {"nested": 1}, "type": "view", "timestamp": 1_600_000_000}),
        json.dumps({"user_id": "u1", "item_id": "i2", "type": "view"}),
        # JSON can spell a lone surrogate, which no UTF-8 text can hold; a pair is one character.
        f'{{{VIEW}, "item_id": "i3", "category": "\\ud800"}}',
        f'{{{VIEW}, "item_id": "i4", "category": "\\ud83d\\ude00"}}',
    ]
    path = tmp_path / "events.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n\n" + b'{"user_id": "\xff"}\n')
    report = import_file(ingest_store, path, format="jsonl")
    assert report.rows_read == 10
    assert report.accepted + report.quarantined == report.rows_read == 3 + quarantined(ingest_store)
    assert report.quarantined_by_reason == {
        "bad_json": 2,
        "invalid_category": 1,
        "invalid_encoding": 1,
        "invalid_item_id": 1,
        "invalid_quantity": 1,
        "missing_occurred_at": 1,
    }
    converted = ingest_store.read(user_id="5")[0]
    assert converted.occurred_at == 1_599_992_800 * 1_000_000  # +02:00 normalised to UTC
    assert [r["line"] for r in quarantine_rows(ingest_store)] == [3, 4, 5, 6, 7, 8, 11]
    assert ingest_store.read(since=2)[0].payload["category"] == "\N{GRINNING FACE}"


DEEP = "[" * 100_000 + "]" * 100_000  # deeper than Python's JSON parser recurses
DEEP_LINE = f'{{{VIEW}, "item_id": "i9", "tags": {DEEP}}}'


@pytest.mark.parametrize("first", [True, False], ids=["first line", "later line"])
def test_json_nested_deeper_than_the_parser_goes_is_quarantined_not_a_crash(
    ingest_store: Store, tmp_path: Path, first: bool
) -> None:
    """A line of JSON nested a hundred thousand deep took the import down with a RecursionError
    (a traceback, nothing imported), on the first line while telling the format and on a later
    one while reading it. It is a line that is no object, as any other bad JSON is."""
    good = [
        json.dumps({"user_id": "u1", "item_id": f"i{n}", "type": "view", "timestamp": 1_600_000_000})
        for n in range(2)
    ]
    lines = [DEEP_LINE, *good] if first else [good[0], DEEP_LINE, good[1]]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(ingest_store, path, format=None if first else "jsonl")
    conserved(report)
    assert (report.accepted, report.quarantined_by_reason) == (2, {"bad_json": 1})


def test_an_array_element_nested_deeper_than_the_parser_goes_is_quarantined_not_a_crash(
    ingest_store: Store, tmp_path: Path
) -> None:
    """The same in a JSON array: the element that cannot be read and what follows it are
    quarantined, and what came before it is imported."""
    good = json.dumps({"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": 1_600_000_000})
    path = tmp_path / "events.json"
    path.write_text(f"[{good},\n{DEEP}]\n")
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.accepted == 1
    assert set(report.quarantined_by_reason) == {"bad_json"}


def test_a_quote_never_closed_loses_no_line_after_it(ingest_store: Store, tmp_path: Path) -> None:
    """An opened quote that never closes is refused on its own line, and every line after it is
    read as its own row: whether the quote runs to the end of the file, runs into a later quote,
    or runs over more lines than any quoted field holds."""
    for later_lines, closing_quote in ((40, False), (40, True), (1_000, False)):
        file = f"open-quote-{later_lines}-{closing_quote}"
        lines = [f"{file}u1,i1,view,{GOOD},shoes,", f'{file}u2,i2,view,{GOOD},"12 inch,']
        lines += [f"{file}u{i},i{i},view,{GOOD},hats," for i in range(3, 3 + later_lines)]
        if closing_quote:
            lines[20] = f'{file}u21,i21,view,{GOOD},"hats",'
        path = tmp_path / f"{file}.csv"
        path.write_bytes(HEADER + "\n".join(lines).encode() + b"\n")
        report = import_file(ingest_store, path, format="csv")

        assert report.rows_read == len(lines), (later_lines, closing_quote)
        assert report.quarantined_by_reason == {"malformed_row": 1}
        refused = [r for r in quarantine_rows(ingest_store) if r["import_id"] == report.import_id]
        assert [(r["line"], r["raw"]) for r in refused] == [(3, lines[1])]
        assert "never closed" in str(refused[0]["detail"])
        users = {e.user_id for e in ingest_store.read(limit=None)}
        assert {f"{file}u{i}" for i in range(3, 3 + later_lines)} <= users


def test_quotes_that_are_text_are_read_as_text_with_quote_none(ingest_store: Store, tmp_path: Path) -> None:
    """Last.fm's tab-separated plays quote nothing: `"Weird Al" Yankovic` begins with a quote.
    Its row was quarantined with the csv module's words ('\\t' expected after '"') and no way to
    read it; the reason now names quote=none, which reads a quote as text."""
    path = tmp_path / "plays.tsv"
    path.write_text(
        'user_000001\t2009-05-04T23:08:57Z\t"Weird Al" Yankovic\tWhite & Nerdy\n'
        'user_000001\t2009-05-04T13:54:10Z\tDavid Bowie\t"Heroes" (single version)\n'
        "user_000002\t2009-05-04T13:42:52Z\tDavid Bowie\tStarman\n"
    )
    given = {"header": "false", "user": "0", "timestamp": "1", "item": "2", "default_type": "item_viewed"}
    report = import_file(ingest_store, path, mapping=given)
    assert report.quarantined_by_reason == {"malformed_row": 2}
    assert all("--map quote=none" in str(r["detail"]) for r in quarantine_rows(ingest_store))
    conserved(report := import_file(ingest_store, path, mapping={**given, "quote": "none"}))
    assert (report.accepted, report.quarantined) == (3, 0)
    assert [e.item_id for e in ingest_store.read(user_id="user_000001")] == [
        '"Weird Al" Yankovic',
        "David Bowie",
    ]


def test_quote_none_reads_a_wholly_quoted_field_as_the_default_reading_does(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Following the quarantine's advice (quote=none) stored again the play the first import
    had read, `"Heroes"` under a second item with its quotes; and a catalogue could not be read
    with quote=none at all (an unknown key), its malformed rows naming no way out. A field wholly
    in quotes is read without them, and the catalogue reader reads quote=none too."""
    plays = tmp_path / "plays.tsv"
    plays.write_text(
        'user_000001\t2009-05-04T23:08:57Z\t"Weird Al" Yankovic\tWhite & Nerdy\n'
        'user_000001\t2009-05-04T13:54:10Z\tDavid Bowie\t"Heroes"\n'
    )
    given = {"header": "false", "user": "0", "timestamp": "1", "item": "3", "default_type": "item_viewed"}
    assert import_file(ingest_store, plays, mapping=given).accepted == 1
    conserved(report := import_file(ingest_store, plays, mapping={**given, "quote": "none"}))
    assert (report.accepted, report.appended) == (2, 1)
    assert sorted(e.item_id for e in ingest_store.read()) == ["Heroes", "White & Nerdy"]
    catalogue = tmp_path / "cat.tsv"
    catalogue.write_text(
        'sku\ttitle\tprice\nA1\t"Weird Al" Yankovic - Poodle Hat\t9.99\nA2\t"Heroes"\t19.99\n'
    )
    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(main, ["--db", db, "import", str(catalogue), "--format", "catalogue"])
    assert result.exit_code == 0, result.output
    with edgerec.open(db) as store:
        assert "--map quote=none" in str(quarantine_rows(store)[0]["detail"])
    for args in (["--format", "catalogue", "--map", "quote=none"], ["--map", "quote=none"]):
        result = CliRunner().invoke(main, ["--db", db, "import", str(catalogue), *args, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["quarantined"] == 0
    with edgerec.open(db) as store:
        titles = {e.item_id: e.payload["title"] for e in store.read()}
    assert titles == {"A1": '"Weird Al" Yankovic - Poodle Hat', "A2": "Heroes"}


def test_quote_none_reads_a_quoted_last_column_that_holds_a_comma_without_its_quotes(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Following a catalogue quarantine's advice, quote=none, stored a description read right by
    default, "Big, heavy", with its quotes: split at its comma and joined back, it was no field
    wholly in quotes when those were taken off."""
    products = tmp_path / "products.csv"
    products.write_text(
        'item_id,title,price,description\n1,"Heroes" poster,5,Nice\n2,Mug,3,"Big, heavy"\n3,Plate,4,"Flat"\n'
        '4,Bowl,2,"Deep, "wide""\n'
    )
    conserved(import_file(ingest_store, products, mapping={"quote": "none"}))
    described = {e.item_id: (e.payload["title"], e.payload["description"]) for e in ingest_store.read()}
    assert described == {
        "1": ('"Heroes" poster', "Nice"),
        "2": ("Mug", "Big, heavy"),
        "3": ("Plate", "Flat"),
        "4": ("Bowl", '"Deep, "wide""'),  # quotes inside: text, as in a field of its own
    }


def test_importing_a_file_again_keeps_each_refused_row_once(ingest_store: Store, tmp_path: Path) -> None:
    """Running an import again (after an interruption, say) adds neither events nor quarantined
    rows; the refused rows are listed under the latest import."""
    path = tmp_path / "again.csv"
    path.write_bytes(HEADER + f"u1,i1,view,{GOOD},,\nu1,i2,teleport,{GOOD},,\nu2,i3,view,nope,,\n".encode())
    first = import_file(ingest_store, path, format="csv")
    second = import_file(ingest_store, path, format="csv")

    assert first.quarantined == second.quarantined == 2
    assert second.appended == 0
    stored = quarantine_rows(ingest_store)
    assert [(r["line"], r["reason"]) for r in stored] == [(3, "unknown_action"), (4, "bad_timestamp")]
    assert {r["import_id"] for r in stored} == {second.import_id}


def _bad_every_tenth(path: Path, rows: int) -> int:
    """A file whose every tenth row has no time; returns how many rows it refuses."""
    lines = [f"u{i},i{i % 300},view,{'nope' if i % 10 == 3 else GOOD},," for i in range(rows)]
    path.write_bytes(HEADER + ("\n".join(lines) + "\n").encode())
    return rows // 10


def test_an_import_waits_for_the_one_that_runs_and_keeps_its_refused_rows(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Two imports of one file at once (the console's and a cron job's) each took over the
    other's refused rows and, read to its end, deleted those not its own: the store kept none of
    them while both reports counted them. The second waits its turn now, and says so."""
    import threading

    from edgerec.store.import_turn import import_turn

    path = tmp_path / "orders.csv"
    refused = _bad_every_tenth(path, 400)
    waited = threading.Event()
    reports = []
    with edgerec.open(ingest_store.url) as other, import_turn(other.engine):  # an import under way
        second = threading.Thread(
            target=lambda: reports.append(import_file(ingest_store, path, format="csv", waiting=waited.set))
        )
        second.start()
        assert waited.wait(10), "the second import never said it waits"
        assert second.is_alive() and ingest_store.head() == 0  # nothing read before its turn
    second.join(60)
    assert [r.quarantined for r in reports] == [refused]
    assert quarantined(ingest_store) == refused


def test_two_imports_of_one_file_at_once_keep_each_refused_row_once(tmp_path: Path) -> None:
    """The same, with two `edgerec import` processes started together."""
    import subprocess
    import sys

    db, path = tmp_path / "shop.db", tmp_path / "orders.csv"
    refused = _bad_every_tenth(path, 30_000)
    edgerec.open(db).close()
    command = [
        sys.executable,
        "-m",
        "edgerec",
        "--db",
        str(db),
        "import",
        str(path),
        "--format",
        "csv",
        "--json",
    ]
    running = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in running]
    assert [p.returncode for p in running] == [0, 0], outputs
    assert [json.loads(out)["quarantined"] for out, _ in outputs] == [refused, refused]
    assert sum("Waiting for another import" in err.decode() for _, err in outputs) <= 1
    with edgerec.open(db) as store:
        assert quarantined(store) == refused
        assert store.head() == 30_000 - refused


def test_equal_refused_elements_of_a_one_line_array_are_each_kept_once(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A one-line JSON array (pandas' to_json(orient="records")) puts every element on line 1:
    an element equal to one refused in an earlier chunk, or in the same chunk, is a row of its
    own, not one refused again; importing the file again still adds no quarantined row."""
    bad = {"user_id": "u9", "item_id": "i9", "type": "teleport", "timestamp": int(GOOD)}
    good = [{**bad, "user_id": f"u{i}", "item_id": f"i{i}", "type": "view"} for i in range(3)]
    path = tmp_path / "records.json"
    path.write_text(json.dumps([bad, *good, bad, bad]))
    for _ in range(2):
        report = import_file(ingest_store, path, format="jsonl", chunk_rows=2)
        assert report.quarantined == 3
        assert [r["import_id"] for r in quarantine_rows(ingest_store)] == [report.import_id] * 3


def test_a_refused_row_that_a_later_import_accepts_leaves_the_quarantine(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Imported again with the --action its quarantine row suggested, the row was in the log and
    still in the quarantine (and counted there). Rows still refused, and another file's, stay."""
    path = tmp_path / "again.csv"
    path.write_bytes(HEADER + f"u1,i1,view,{GOOD},,\nu1,i2,teleport,{GOOD},,\nu2,i3,view,nope,,\n".encode())
    other = tmp_path / "other.csv"
    other.write_bytes(HEADER + f"u3,i4,teleport,{GOOD},,\n".encode())
    import_file(ingest_store, other, format="csv")
    import_file(ingest_store, path, format="csv")
    again = import_file(ingest_store, path, format="csv", mapping={"actions": {"teleport": "item_viewed"}})
    assert (again.appended, again.quarantined) == (1, 1)
    assert ("u1", "i2") in {(e.user_id, e.item_id) for e in ingest_store.read()}
    stored = quarantine_rows(ingest_store)
    assert [(Path(r["source"]).name, r["line"], r["reason"]) for r in stored] == [
        ("other.csv", 2, "unknown_action"),
        ("again.csv", 4, "bad_timestamp"),
    ]

    bad = {"user_id": "u9", "item_id": "i9", "type": "teleport", "timestamp": int(GOOD)}
    array = tmp_path / "records.json"  # equal elements on one line: each row leaves once
    array.write_text(json.dumps([bad, {**bad, "type": "view"}, bad, bad]))
    assert import_file(ingest_store, array, format="jsonl", chunk_rows=2).quarantined == 3
    mapped = import_file(
        ingest_store, array, format="jsonl", chunk_rows=2, mapping={"actions": {"teleport": "purchased"}}
    )
    assert (mapped.accepted, mapped.quarantined_by_reason) == (2, {"duplicate": 2})
    assert quarantined(ingest_store) == 2 + 2


def test_a_file_read_again_to_its_end_replaces_its_refused_rows(ingest_store: Store, tmp_path: Path) -> None:
    """A row fixed in the file (its text changed) and a bad line deleted (the lines under it move
    up) left their rows in the quarantine, and a row still refused on its new line was listed
    twice. An import stopped part way keeps the rows of the lines it did not reach; another
    folder's file of the same name keeps its own."""
    bad = [f"u{i},i{i},teleport,{GOOD},," for i in range(4)]
    good = [f"v{i},j{i},view,{GOOD},," for i in range(4)]
    path = tmp_path / "shop" / "sales.csv"
    namesake = tmp_path / "other" / "sales.csv"
    for file in (path, namesake):
        file.parent.mkdir()
        file.write_bytes(HEADER + "\n".join([good[0], bad[0], bad[1], good[1], bad[2]]).encode() + b"\n")
        import_file(ingest_store, file, format="csv")
    assert quarantined(ingest_store) == 6

    def stop_after_the_first_chunk(done: int, _total: int | None) -> None:
        if done:
            raise KeyboardInterrupt

    # bad[0] fixed in place, bad[1]'s line deleted: bad[2] moves up from line 6 to line 5
    path.write_bytes(HEADER + "\n".join([good[0], good[2], good[1], bad[2]]).encode() + b"\n")
    with pytest.raises(KeyboardInterrupt):
        import_file(ingest_store, path, format="csv", chunk_rows=2, progress=stop_after_the_first_chunk)
    assert quarantined(ingest_store) == 6  # nothing refused in lines 2-3; line 6 not reached
    report = import_file(ingest_store, path, format="csv", chunk_rows=2)
    assert (report.rows_read, report.accepted, report.quarantined) == (4, 3, 1)
    stored = quarantine_rows(ingest_store)
    assert sorted((r["source"], r["line"], r["raw"]) for r in stored) == [
        (str(namesake), 3, bad[0]),
        (str(namesake), 4, bad[1]),
        (str(namesake), 6, bad[2]),
        (str(path), 5, bad[2]),
    ]
    assert {r["import_id"] for r in stored if r["source"] == str(path)} == {report.import_id}
    path.write_bytes(HEADER)  # every bad line deleted: no row left
    assert import_file(ingest_store, path, format="csv").rows_read == 0
    assert quarantined(ingest_store) == 3


def test_a_file_is_known_by_its_absolute_path_not_by_the_path_typed(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Monday's and Tuesday's orders.csv, each imported from its own folder as `orders.csv`:
    Tuesday's import took Monday's refused rows for its own and deleted them. The same file
    typed `a.csv` and by its absolute path had its refused rows listed and counted twice."""
    for day, rows in [
        ("mon", [f"u1,i1,teleport,{GOOD},,", "u2,i2,view,nope,,"]),
        ("tue", [f"u3,i3,view,{GOOD},,"]),
    ]:
        (tmp_path / day).mkdir()
        (tmp_path / day / "orders.csv").write_bytes(HEADER + "\n".join(rows).encode() + b"\n")
    monkeypatch.chdir(tmp_path / "mon")
    monday = import_file(ingest_store, "orders.csv", format="csv")
    assert (monday.quarantined, monday.source) == (2, str(tmp_path / "mon" / "orders.csv"))
    monkeypatch.chdir(tmp_path / "tue")
    assert import_file(ingest_store, "orders.csv", format="csv").quarantined == 0
    assert quarantined(ingest_store) == 2
    assert {r["source"] for r in quarantine_rows(ingest_store)} == {str(tmp_path / "mon" / "orders.csv")}

    monkeypatch.chdir(tmp_path / "mon")
    for typed in ("orders.csv", tmp_path / "mon" / "orders.csv", "../mon/./orders.csv"):
        assert import_file(ingest_store, typed, format="csv").quarantined == 2
        assert quarantined(ingest_store) == 2


def test_a_header_the_csv_rules_refuse_is_read_or_refused_as_the_header(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A space after the header's last quote names no column: the header is read (the first
    row was taken for it, silently). A header whose quote never closes is refused as such."""
    rows = f'"u1","i1","view","{GOOD}"\n"u2","i2","view","{GOOD}"\n'
    spaced = tmp_path / "spaced.csv"
    spaced.write_text('"user_id","item_id","type","timestamp" \n' + rows)
    report = import_file(ingest_store, spaced, format="csv")
    assert (report.rows_read, report.accepted) == (2, 2)
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text('"user_id,item_id,type,timestamp\n' + rows)
    with pytest.raises(FormatError, match=r"header line \(line 1\) cannot be read: a quote"):
        import_file(ingest_store, unclosed, format="csv")
    carriage_return = tmp_path / "cr.csv"  # a line end inside, that even a lenient read refuses
    carriage_return.write_bytes(b'"user_id","item_id" \r"type","timestamp"\n' + rows.encode())
    with pytest.raises(FormatError, match=r"header line \(line 1\) cannot be read: ',' expected"):
        import_file(ingest_store, carriage_return, format="csv")


def test_the_header_line_again_is_refused_as_such(ingest_store: Store, tmp_path: Path) -> None:
    """Two exports joined into one file: the second's header is named, not taken for an event
    with an unknown action."""
    path = tmp_path / "joined.csv"
    path.write_bytes(HEADER + f"u1,i1,view,{GOOD},,\n".encode() + HEADER + f"u2,i2,view,{GOOD},,\n".encode())
    report = import_file(ingest_store, path, format="csv")
    assert (report.accepted, report.quarantined_by_reason) == (2, {"repeated_header": 1})


def test_the_header_line_again_is_known_in_any_case_order_or_file_kind(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Only a header repeated byte for byte was known: in capitals or after a byte order mark
    (Excel exports joined with `cat`) it was an event of an unknown action, with its columns in
    another order the rows after it were read under the first header (customer for item), and
    in a catalogue it was listed as an item named 'article_id'."""
    bom = b"\xef\xbb\xbf"
    path = tmp_path / "joined.csv"
    path.write_bytes(
        bom
        + HEADER
        + f"u1,i1,view,{GOOD},,\r\n".encode()
        + bom
        + HEADER
        + HEADER.upper()
        + f"u2,i2,view,{GOOD},,\n".encode()
    )
    report = import_file(ingest_store, path, format="csv")
    assert (report.accepted, report.quarantined_by_reason) == (2, {"repeated_header": 2})
    reordered = tmp_path / "reordered.csv"
    reordered.write_bytes(
        HEADER + f"u1,i1,view,{GOOD},,\n".encode() + b"item_id,user_id,type,timestamp,category,query\n"
    )
    with pytest.raises(FormatError, match="line 3 repeats the header line with its columns in another order"):
        import_file(ingest_store, reordered, format="csv")
    catalogue = tmp_path / "articles.csv"
    catalogue.write_text(
        "article_id,prod_name,price\nA1,Strap top,9.99\nArticle_ID,prod_name,price\nA2,Tee,5\n"
    )
    report = import_file(ingest_store, catalogue)
    conserved(report)
    assert (report.appended, report.quarantined_by_reason) == (2, {"repeated_header": 1})


def test_an_empty_file_imports_as_no_rows_and_one_that_is_no_parquet_is_refused_by_name(
    ingest_store: Store, tmp_path: Path
) -> None:
    """An empty file holds no rows, whatever its format: an export of no events (a backup with
    nothing new since the last one) was refused, while the same export as Parquet imported as
    no rows. A Parquet file or a workbook is never empty: an empty one was cut short."""
    for name, given, read_as in [
        ("none.jsonl", None, "jsonl"),
        ("none.jsonl", "events", "events"),
        ("empty.csv", None, "csv"),
        ("empty.csv.gz", None, "csv"),
        ("items.csv", "catalogue", "catalogue"),
    ]:
        empty = tmp_path / name
        empty.write_bytes(gzip.compress(b"") if name.endswith(".gz") else b"")
        report = import_file(ingest_store, empty, format=given)
        assert (report.format, report.rows_read, report.accepted, report.quarantined) == (read_as, 0, 0, 0)
    assert import_file(ingest_store, empty, delist_missing=True).delisted == 0
    for name in ("cut.parquet", "cut.xlsx"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(ValueError, match=f"{name}: the file is empty, which a"):
            import_file(ingest_store, tmp_path / name)
    fake = tmp_path / "fake.parquet"
    fake.write_text("x,y\n")
    with pytest.raises(ValueError, match="fake.parquet: not a Parquet file"):
        import_file(ingest_store, fake, format="parquet")


def test_an_empty_file_that_is_meant_as_no_text_is_refused(ingest_store: Store, tmp_path: Path) -> None:
    """Only text holds no rows by having no bytes: an empty file named as Parquet (--format),
    an empty old .xls, a compressed file of no bytes (cut short: gzip -t says so) and a zip
    holding an empty workbook imported as no rows, as CSV. The README calls each refused."""
    with zipfile.ZipFile(tmp_path / "book.xlsx.zip", "w") as archive:
        archive.writestr("book.xlsx", b"")
    with zipfile.ZipFile(tmp_path / "old.xls.zip", "w") as archive:
        archive.writestr("old.xls", b"")
    for name, given, refusal in [
        ("data.bin", "parquet", "data.bin: the file is empty, which a Parquet file never is"),
        ("none.jsonl", "parquet", "none.jsonl: the file is empty, which a Parquet file never is"),
        ("old.xls", None, r"old.xls: an Excel 97-2003 workbook \(.xls\); save it as .xlsx"),
        ("old.xls.zip", None, r"old.xls.zip: an Excel 97-2003 workbook \(.xls\)"),
        ("cut.csv.gz", None, r"cut.csv.gz: the gzip data is damaged or cut short \(the file is empty\)"),
        ("cut.jsonl.xz", "events", "cut.jsonl.xz: the xz data is damaged or cut short"),
        ("cut.zip", None, "cut.zip: the zip data is damaged or cut short"),
        ("book.xlsx.zip", None, "book.xlsx.zip: the book.xlsx inside is empty, which a workbook never is"),
        ("none.csv.gz", "parquet", "none.csv.gz: the none.csv inside is empty, which a Parquet file never"),
    ]:
        path = tmp_path / name
        if not path.exists():
            path.write_bytes(gzip.compress(b"") if name.startswith("none.csv") else b"")
        with pytest.raises(FormatError, match=refusal):
            import_file(ingest_store, path, format=given)
    assert import_file(ingest_store, tmp_path / "data.bin", format="csv").rows_read == 0
    assert import_file(ingest_store, tmp_path / "none.csv.gz").format == "csv"
    assert quarantined(ingest_store) == 0


def test_a_sale_whose_price_or_quantity_says_it_has_none_is_kept(ingest_store: Store, tmp_path: Path) -> None:
    """A purchase whose price or quantity cell was a placeholder (N/A, -) was quarantined whole
    as invalid_price_paid, the sale lost, though an empty cell was read as none; a catalogue
    reads these placeholders as empty too."""
    path = tmp_path / "sales.csv"
    path.write_text(
        "user_id,item_id,timestamp,event_type,price,quantity\n"
        "u1,1,2026-11-01 10:00:00,purchase,N/A,2\nu2,2,2026-11-01 11:00:00,purchase,-,n/a\n"
        "u3,3,2026-11-01 12:00:00,purchase,,\nu4,4,2026-11-01 13:00:00,purchase,4.50,-\n"
    )
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.quarantined == 0
    sales = [e.payload for e in ingest_store.read() if e.type == "purchased"]
    assert sales == [{"quantity": 2}, {"quantity": 1}, {"quantity": 1}, {"quantity": 1, "price_paid": 4.5}]


def test_a_listing_in_an_events_file_is_refused_naming_the_catalogue_format(
    ingest_store: Store, tmp_path: Path
) -> None:
    """An events file's item_listed row, with title, price, brand and stock columns, was logged
    with an empty title and none of them, over the listing a catalogue import had made."""
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("id,title,price,category,brand,stock\nx1,Mug,4.5,Kitchen,Acme,3\n")
    import_file(ingest_store, catalogue)
    log = tmp_path / "log.csv"
    log.write_text(
        "user_id,event,item_id,ts,title,price,category,brand,stock\n"
        ",item_listed,x1,2025-01-01T00:00:00Z,Mug,5.5,Kitchen,Acme,3\n"
        ",item_updated,x1,2025-01-01T00:00:01Z,Mug,5.5,Kitchen,Acme,3\n"
        "u1,view,x1,2025-01-01T10:00:00Z,,,,,\n"
        ",item_delisted,x2,2025-01-02T00:00:00Z,,,,,\n"
    )
    report = import_file(ingest_store, log)
    conserved(report)
    assert (report.accepted, report.quarantined_by_reason) == (2, {"catalogue_row": 2})
    assert all("--format catalogue" in row["detail"] for row in quarantine_rows(ingest_store))
    logged = [(e.type, e.item_id) for e in ingest_store.read()]
    assert logged == [("item_listed", "x1"), ("item_viewed", "x1"), ("item_delisted", "x2")]
    mug = select(items.c.title, items.c.price, items.c.brand, items.c.stock).where(items.c.item_id == "x1")
    with ingest_store.engine.connect() as connection:
        assert tuple(connection.execute(mug).one()) == ("Mug", 4.5, "Acme", 3)


def test_a_cancelled_invoice_line_is_refused_as_such(ingest_store: Store, tmp_path: Path) -> None:
    """UCI Online Retail: an invoice starting with C undoes a sale with a negative quantity."""
    path = tmp_path / "retail.csv"
    path.write_text(
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
        "536365,85123A,6,12/1/2010 8:26,2.55,17850\nC536379,85123A,-1,12/1/2010 9:41,2.55,17850\n"
    )
    report = import_file(ingest_store, path, format="csv")
    assert (report.accepted, report.quarantined_by_reason) == (1, {"invalid_quantity": 1})
    (refused,) = quarantine_rows(ingest_store)
    assert "-1 is negative (a return or a cancellation?)" in str(refused["detail"])


def test_a_quote_inside_a_field_beside_a_field_over_two_lines_is_read(
    ingest_store: Store, tmp_path: Path
) -> None:
    """An inch mark in an unquoted title, and a quoted description over two lines: one row."""
    path = tmp_path / "tvs.csv"
    path.write_text(
        'id,title,price,description\nA1,TV 55" 4K,499,"Great TV.\nWall mount included."\nA2,Radio,20,Small\n'
    )
    report = import_file(ingest_store, path, format="catalogue")
    assert (report.accepted, report.quarantined) == (2, 0)
    assert ingest_store.read()[0].payload["title"] == 'TV 55" 4K'


def test_rows_of_no_data_are_named_and_a_pandas_table_is_refused(ingest_store: Store, tmp_path: Path) -> None:
    """A row of empty cells and a footer were quarantined as rows with no action, the detail
    saying to give default_type (which would have logged them); pandas' to_json in its default
    layout was read as one event quoting whole columns, and orient="split" refused for lacking
    a customer column: neither said how to write the file."""
    path = tmp_path / "sales.csv"
    path.write_text(
        "customer_id,product_id,event_type,timestamp,price\n"
        "C1,SKU-1,view,2024-03-01 10:00:00,12.50\n,,,,\n,,,Total,7346.0\nTotal: 6\n"
    )
    report = import_file(ingest_store, path)
    conserved(report)
    assert (report.accepted, report.quarantined_by_reason) == (1, {"blank_row": 1, "footer_row": 2})
    columns = {"customer_id": {"0": "C1", "1": "C2"}, "product_id": {"0": "SKU-1", "1": "SKU-2"}}
    split = {
        "columns": ["customer_id", "product_id"],
        "index": [0, 1],
        "data": [["C1", "SKU-1"], ["C2", "SKU-2"]],
    }
    for orient, table in (("columns", columns), ("split", split)):
        written = tmp_path / f"{orient}.json"
        written.write_text(json.dumps(table))
        with pytest.raises(FormatError, match=f"orient='{orient}'.*orient=\"records\", lines=True"):
            import_file(ingest_store, written)
    rows = [["u1", "10", "view", "2026-11-01 10:00:00"], ["u2", "20", "purchase", "2026-11-02 10:00:00"]]
    values = tmp_path / "values.json"  # a JSON array of rows: it was read as a CSV headed '[["u1"'
    for text in (json.dumps(rows), json.dumps(rows, indent=2)):
        values.write_text(text + "\n")
        for mapping in (None, {"header": "false", "user": "0", "item": "1", "type": "2", "timestamp": "3"}):
            with pytest.raises(FormatError, match='JSON array of arrays.*orient="records", lines=True'):
                import_file(ingest_store, values, mapping=mapping)
    nested = tmp_path / "nested.jsonl"  # an event with nested fields is no table
    nested.write_text(json.dumps({"user": {"id": "C1"}, "item": {"id": "SKU-1"}}) + "\n")
    with pytest.raises(FormatError, match="no column for the timestamp"):
        import_file(ingest_store, nested)


def test_a_row_led_by_an_id_is_data_and_a_footer_led_by_its_label_is_not(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Rows led by a number are read as data, a label beside it notwithstanding; a footer whose
    label leads it, or follows empty cells, is named as one."""
    path = tmp_path / "views.csv"
    path.write_text(
        "user_id,item_id,type,timestamp\n"
        "1,Total,item_viewed,2024-03-01 10:00:00\n"
        "2,10,item_viewed,2024-03-01 10:00:01\n"
        "Total,,,2\n"
        ",,Subtotal: 2,\n"
    )
    report = import_file(ingest_store, path)
    conserved(report)
    assert (report.accepted, report.quarantined_by_reason) == (2, {"footer_row": 2})
