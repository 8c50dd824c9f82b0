"""Excel workbooks import as the CSV of their first sheet would: catalogues and sales alike."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.cli import main
from edgerec.ingest import import_file
from edgerec.ingest.errors import FormatError
from edgerec.ingest.formats import detect_format
from edgerec.store.schema import quarantine
from tests.ingest.ingest_helpers import printed_program


def workbook(path: Path, *sheets: list[list[object]]) -> Path:
    book = Workbook()
    for number, rows in enumerate(sheets):
        sheet = book.active if number == 0 else book.create_sheet(f"Sheet {number + 1}")
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_a_catalogue_kept_in_a_workbook_is_listed(ingest_store: Store, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "Artikel.xlsx",
        [
            ["SKU", "Product name", "Category", "Brand", "Price", "Stock"],
            [1001, "Café crème", "Kitchen/Coffee", "Acme", 12.5, 3],  # ids stored as numbers
            [1002.0, "Mug, large", "Kitchen", "Acme", "1.299,00 €", None],
            [None, None, None, None, None, None],  # a blank row is no record
            ["A-3", "Lamp", "Home", "Lux", 99, "many"],
        ],
        [["not", "read"], ["only", "the first sheet"]],
    )
    assert detect_format(path).name == "catalogue"
    report = import_file(ingest_store, path)
    assert (report.rows_read, report.accepted, report.quarantined_by_reason) == (3, 2, {"invalid_stock": 1})
    listed = {e.item_id: e.payload for e in ingest_store.read()}
    assert listed["1001"] == {
        "attributes": {},
        "brand": "Acme",
        "category": "Kitchen/Coffee",
        "price": 12.5,
        "stock": 3,
        "stock_at": path.stat().st_mtime_ns // 1000,  # counted when the workbook was saved
        "title": "Café crème",
    }
    assert (listed["1002"]["title"], listed["1002"]["price"]) == ("Mug, large", 1299.0)
    with ingest_store.engine.connect() as connection:
        [(line, raw)] = connection.execute(select(quarantine.c.line, quarantine.c.raw)).all()
    assert (line, raw) == (5, "A-3,Lamp,Home,Lux,99,many")  # the sheet's row, as a CSV line


def test_a_workbook_s_other_sheets_of_rows_are_named_as_not_read(ingest_store: Store, tmp_path: Path) -> None:
    """UCI's Online Retail II keeps a year of sales a sheet: the second year was left out with
    no word, and the import looked whole."""
    header = [
        "Invoice",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "Price",
        "Customer ID",
        "Country",
    ]
    path = workbook(
        tmp_path / "online_retail_II.xlsx",
        [
            header,
            ["489434", "85048", "LED BOX", 12, datetime(2009, 12, 1, 7, 45), 6.95, 13085.0, "United Kingdom"],
        ],
        [
            header,
            [
                "539993",
                "22386",
                "JUMBO BAG",
                10,
                datetime(2011, 1, 4, 10, 0),
                1.95,
                13313.0,
                "United Kingdom",
            ],
        ],
        [],  # an empty sheet is not named
    )
    report = import_file(ingest_store, path)
    assert (report.rows_read, report.accepted) == (1, 1)
    assert [e.user_id for e in ingest_store.read()] == ["13085"]
    assert report.notes == [
        "Only the workbook's sheet 'Sheet' was read, not its other sheets that hold rows ('Sheet 2'):"
        " save each of them as a CSV file or a workbook of its own, and import that too."
    ]


@pytest.mark.parametrize("first", ["hidden", "blank"])
def test_the_sheet_read_is_the_first_shown_that_holds_rows(
    ingest_store: Store, tmp_path: Path, first: str
) -> None:
    """A workbook whose first sheet was a hidden lookup table was read as that table (the import
    refused its columns 'code' and 'name', which the shop never sees), and one whose first sheet
    was left blank, the data on the next, could not be told apart from an empty file."""
    book = Workbook()
    lookup = book.active
    lookup.title = "Lookup"
    if first == "hidden":
        lookup.append(["code", "name"])
        lookup.append(["K", "Kitchen"])
        lookup.sheet_state = "hidden"
    data = book.create_sheet("Data")
    data.append(["id", "title", "price"])
    data.append(["A1", "Hat", 9.5])
    book.active = data
    path = tmp_path / "cat.xlsx"
    book.save(path)
    assert detect_format(path).name == "catalogue"
    report = import_file(ingest_store, path)
    assert [e.item_id for e in ingest_store.read()] == ["A1"]
    assert report.notes == (
        [
            "Only the workbook's sheet 'Data' was read, not its other sheets that hold rows ('Lookup'"
            " (hidden)): save each of them as a CSV file or a workbook of its own, and import that too."
        ]
        if first == "hidden"
        else []
    )


def test_a_sheet_whose_rows_start_low_is_read_first_and_named_later(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A sheet whose table starts below row 20 (a report's, under its heading and blank rows) was
    taken for a blank one: as the first sheet, the next one was read in its place; as a later
    one, the note did not name it among the sheets not read."""
    low: list[list[object]] = [[None, None, None]] * 24
    first = [*low, ["id", "title", "price"], ["A1", "Hat", 9.5]]
    later = [*low, ["id", "title", "price"], ["B2", "Scarf", 19.0]]
    path = workbook(tmp_path / "catalogue.xlsx", first, [["id", "title", "price"], ["C3", "Cap", 5.0]], later)
    assert detect_format(path).name == "catalogue"
    report = import_file(ingest_store, path)
    assert [e.item_id for e in ingest_store.read()] == ["A1"]
    assert report.notes == [
        "Only the workbook's sheet 'Sheet' was read, not its other sheets that hold rows ('Sheet 2', "
        "'Sheet 3'): save each of them as a CSV file or a workbook of its own, and import that too."
    ]


def test_a_blank_sheet_of_formatted_cells_is_not_read_to_its_end(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blank sheet whose cells are formatted gives openpyxl a row for each: looking for its first
    row all the way down took seconds for each look at a sheet of 50,000 such rows (an import looks
    several times). The look stops after the first thousand rows."""
    book = Workbook()
    bold = Font(bold=True)
    for row in range(1, 5_001):
        book.active.cell(row=row, column=1).font = bold
    book.create_sheet("Items").append(["id", "title", "price"])
    book["Items"].append(["A1", "Hat", 9.5])
    path = tmp_path / "catalogue.xlsx"
    book.save(path)
    looks: list[int] = []  # the rows each look at the blank sheet read
    iter_rows = ReadOnlyWorksheet.iter_rows

    def counted(sheet: ReadOnlyWorksheet, *args: object, **kwargs: object) -> Iterator[tuple[object, ...]]:
        if sheet.title == "Sheet":
            looks.append(0)
        for row in iter_rows(sheet, *args, **kwargs):
            if sheet.title == "Sheet":
                looks[-1] += 1
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "iter_rows", counted)
    import_file(ingest_store, path)
    assert [e.item_id for e in ingest_store.read()] == ["A1"]
    assert looks and max(looks) <= 1_000, looks


def test_the_pandas_line_of_a_workbook_s_note_reads_its_sheet(ingest_store: Store, tmp_path: Path) -> None:
    """The note on ratings of 0 in a log with its own types, and the join of an order's lines,
    gave a workbook pd.read_csv(...), which cannot read one: they read the sheet imported (after
    a blank first one) with pd.read_excel, and what the note's writes imports those rows as views."""
    path = workbook(
        tmp_path / "interactions.xlsx",
        [],
        [
            ["user_id", "item_id", "event_type", "rating", "timestamp"],
            ["u1", "i1", "rate", 0, "2024-03-01 10:00:00"],
            ["u1", "i2", "rate", 4, "2024-03-01 10:01:00"],
            ["u2", "i2", "purchase", None, "2024-03-01 10:02:00"],
            ["u2", "i3", "rate", 5, "2024-03-01 10:03:00"],
        ],
    )
    [note] = import_file(ingest_store, path).notes
    program = printed_program(note)
    assert 'pd.read_excel("' in program and 'sheet_name="Sheet 2"' in program
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    with edgerec.open(tmp_path / "views.db") as store:
        import_file(store, tmp_path / "views.csv")
        assert [(e.type, e.item_id) for e in store.read() if e.type != "session_started"] == [
            ("item_viewed", "i1"),
            ("rated", "i2"),
            ("purchased", "i2"),
            ("rated", "i3"),
        ]
    lines = workbook(tmp_path / "order_products.xlsx", [["order_id", "product_id"], ["1", "A"]])
    with pytest.raises(FormatError, match=r'\.merge\(pd\.read_excel\("OTHER\.xlsx", dtype=str\)'):
        import_file(ingest_store, lines)  # an order's lines, to join to its release's orders


def test_a_workbook_of_one_sheet_has_no_note(ingest_store: Store, tmp_path: Path) -> None:
    path = workbook(tmp_path / "cat.xlsx", [["id", "title", "price"], ["A1", "Hat", 9.5]])
    assert import_file(ingest_store, path).notes == []


def test_sales_in_a_workbook_are_events_in_the_import_s_time_zone(
    ingest_store: Store, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "till.xlsx",
        [
            ["customer_id", "item_id", "timestamp", "event"],
            ["c1", 1001, datetime(2024, 5, 1, 10, 0), "view"],
            ["c1", 1002, datetime(2024, 5, 1, 10, 5), "view"],
        ],
    )
    assert detect_format(path).name == "csv"
    report = import_file(ingest_store, path, source_timezone="Europe/Berlin")
    assert (report.accepted, report.quarantined) == (2, 0)
    first = ingest_store.read()[0]
    assert (first.user_id, first.item_id, first.type) == ("c1", "1001", "item_viewed")
    assert first.occurred_at == int(
        datetime(2024, 5, 1, 8, 0, tzinfo=UTC).timestamp() * 1e6
    )  # 10:00 in Berlin


def test_sales_dated_by_a_date_cell_are_no_double_clicks(tmp_path: Path) -> None:
    """A date cell reads as a midnight datetime: a customer's two sales of an article on one day
    (through two sales channels) were taken for a double click and the second quarantined, where
    the same rows in a CSV are both kept. A cell whose number format shows the day alone is a date
    alone, whether written as a date or as a datetime at midnight; one whose format shows the time
    of day is a real 00:00:00, and a repeat there is still a double click."""
    midnight = datetime(2018, 9, 20)
    path = workbook(
        tmp_path / "sales.xlsx",
        [
            ["t_dat", "customer_id", "article_id", "price", "sales_channel_id"],
            [date(2018, 9, 20), "c1", "0663713001", 0.0508, 1],  # openpyxl's format: yyyy-mm-dd
            [date(2018, 9, 20), "c1", "0663713001", 0.0508, 2],
            [midnight, "c2", "0541518023", 0.0305, 1],
            [midnight, "c2", "0541518023", 0.0305, 2],
            [midnight, "c3", "0541518023", 0.0305, 1],
            [midnight, "c3", "0541518023", 0.0305, 2],
        ],
    )
    book = load_workbook(path)
    layouts = ["mm-dd-yy", "[$-409]d-mmm-yy;@", "yyyy-mm-dd hh:mm:ss", "m/d/yy h:mm"]  # Excel's own
    for row, layout in enumerate(layouts, start=4):
        book.active.cell(row, 1).number_format = layout
    book.save(path)
    db = str(tmp_path / "s.db")
    given = ["--map", "default_type=purchased", "--json"]
    result = CliRunner().invoke(main, ["--db", db, "import", str(path), *given])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["accepted"], report["quarantined_by_reason"]) == (5, {"repeat_within_window": 1})
    with edgerec.open(db) as store:
        assert [e.user_id for e in store.read()] == ["c1", "c1", "c2", "c2", "c3"]
        assert {e.occurred_at for e in store.read()} == {int(midnight.replace(tzinfo=UTC).timestamp() * 1e6)}


def test_an_old_excel_file_is_refused_saying_how_to_save_it(ingest_store: Store, tmp_path: Path) -> None:
    old = tmp_path / "prices.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(FormatError, match=r"Excel 97-2003 workbook \(.xls\); save it as .xlsx or CSV"):
        import_file(ingest_store, old, format="catalogue")
    assert ingest_store.head() == 0


@pytest.mark.parametrize("format", [None, "catalogue"])
def test_a_workbook_of_charts_only_is_refused_saying_so(
    ingest_store: Store, tmp_path: Path, format: str | None
) -> None:
    """It ended in an IndexError (no sheet of cells to read), detected or named."""
    from openpyxl.chart import BarChart

    book = Workbook()
    book.create_chartsheet("Sales chart").add_chart(BarChart())
    book.remove(book["Sheet"])
    book.save(path := tmp_path / "charts.xlsx")
    with pytest.raises(FormatError, match=r"charts.xlsx: the workbook has no sheet of cells \(only charts\)"):
        import_file(ingest_store, path, format=format)
    assert ingest_store.head() == 0


@pytest.mark.parametrize("name", ["cat.xls", "catalogue.csv", "catalogue"])
def test_a_workbook_under_another_name_is_read_as_the_workbook_it_is(
    ingest_store: Store, tmp_path: Path, name: str
) -> None:
    """Known as a workbook by its content, it was refused by openpyxl for its name ("does not
    support the old .xls file format, please use xlrd")."""
    path = workbook(tmp_path / "cat.xlsx", [["id", "title", "price"], ["A1", "Hat", 9.5], ["A2", "Cap", 12]])
    path = path.rename(tmp_path / name)
    assert detect_format(path).name == "catalogue"
    report = import_file(ingest_store, path)
    assert (report.appended, report.quarantined) == (2, 0)
    assert {e.item_id: e.payload["title"] for e in ingest_store.read()} == {"A1": "Hat", "A2": "Cap"}
