"""A shop's own data as the platforms it uses export it: orders, tills, analytics events."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.cli import main
from edgerec.ingest import FormatError, detect_format, import_file
from edgerec.readmodels import ShopData
from edgerec.store.codec import from_micros, to_micros
from edgerec.store.schema import quarantine
from tests.ingest.ingest_helpers import conserved, printed_command, printed_program


def _events(store: Store) -> list[tuple[str, str | None, str | None]]:
    return [(e.type, e.user_id, e.item_id) for e in store.read() if e.type != "session_started"]


def test_an_orders_export_is_never_taken_for_a_catalogue(ingest_store: Store, tmp_path: Path) -> None:
    """Shopify's orders_export.csv (an order's Id, Vendor and line item's SKU and price) was
    listed as items, each order replacing a listing with the buyer's e-mail among its
    attributes; so was an analytics export with `event` and `time` columns."""
    orders = tmp_path / "orders_export.csv"
    orders.write_text(
        "Name,Email,Financial Status,Created at,Lineitem quantity,Lineitem name,Lineitem price,"
        "Lineitem sku,Vendor,Id\n"
        "#1001,jane@example.com,paid,2024-03-01 10:15:00 +0100,2,T-Shirt,19.99,TSHIRT-RED-M,Acme,5551\n"
    )
    with pytest.raises(FormatError, match="no column for the user"):  # not listed as items
        import_file(ingest_store, orders)
    columns = {"user": "Email", "item": "Lineitem sku", "timestamp": "Created at"}
    mapped = {**columns, "quantity": "Lineitem quantity", "price_paid": "Lineitem price"}
    conserved(import_file(ingest_store, orders, mapping=mapped))
    [sale] = ingest_store.read()
    assert (sale.type, sale.user_id, sale.item_id, sale.payload) == (
        "purchased",
        "jane@example.com",
        "TSHIRT-RED-M",
        {"quantity": 2, "price_paid": 19.99},
    )
    analytics = tmp_path / "events.jsonl"  # Mixpanel's, flattened: an event and its time
    line = {"event": "purchase", "time": 1700000300, "distinct_id": "m9", "product_id": "p1", "price": 49.9}
    analytics.write_text(json.dumps({**line, "quantity": 1}) + "\n")
    conserved(import_file(ingest_store, analytics))
    assert [e.type for e in ingest_store.read()] == ["purchased", "purchased"]


def test_an_orders_value_column_is_no_rating(ingest_store: Store, tmp_path: Path) -> None:
    """Klaviyo's "Ordered Product" export: Quantity, Price and the line's Value; every sale was
    logged as a rating of 39.98."""
    path = tmp_path / "ordered_product.csv"
    path.write_text(
        "Timestamp,Customer ID,Product ID,Quantity,Price,Value\n"
        "2024-03-01T10:00:00Z,jane,TSHIRT,2,19.99,39.98\n"
    )
    conserved(import_file(ingest_store, path))
    [sale] = ingest_store.read()
    assert (sale.type, sale.payload) == ("purchased", {"quantity": 2, "price_paid": 19.99})


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_a_price_paid_column_beside_a_price_is_what_a_sale_paid(
    ingest_store: Store, tmp_path: Path, suffix: str
) -> None:
    """A log whose views carry the listed price and whose purchases the price paid: each sale
    was stored at the listed price, its price paid lost. A sale whose row gives only the
    listed price is stored at that price."""
    at = "2024-03-01T10:0{}:00Z"
    rows = [
        {"user_id": "c1", "item_id": "A", "type": "view", "timestamp": at.format(0), "price": "3.50"},
        {"user_id": "c1", "item_id": "A", "type": "purchase", "timestamp": at.format(5),
         "price": "3.50", "price_paid": "3.00", "quantity": "2"},
        {"user_id": "c2", "item_id": "A", "type": "purchase", "timestamp": at.format(6), "price": "3.50"},
    ]  # fmt: skip
    path = tmp_path / f"log.{suffix}"
    if suffix == "csv":
        names = ["user_id", "item_id", "type", "timestamp", "price", "price_paid", "quantity"]
        lines = [",".join(names)] + [",".join(row.get(name, "") for name in names) for row in rows]
        path.write_text("\n".join(lines) + "\n")
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    conserved(import_file(ingest_store, path))
    sales = [e.payload for e in ingest_store.read() if e.type == "purchased"]
    assert sales == [{"quantity": 2, "price_paid": 3.0}, {"quantity": 1, "price_paid": 3.5}]


def test_a_tills_cashier_is_not_the_customer(ingest_store: Store, tmp_path: Path) -> None:
    """A till's sales history names the customer and the cashier (`User`): every sale was the
    cashier's."""
    path = tmp_path / "sales_history.csv"
    path.write_text(
        "Date,Customer,User,Product,Quantity,Price\n"
        "2024-03-01T10:00:00Z,ann,till-staff-1,Coffee Beans,1,12.50\n"
        "2024-03-01T10:05:00Z,bob,till-staff-1,Grinder Brush,1,4.00\n"
    )
    conserved(import_file(ingest_store, path))
    assert [user for _, user, _ in _events(ingest_store)] == ["ann", "bob"]


def test_a_tills_item_name_beside_its_sku_is_no_item(ingest_store: Store, tmp_path: Path) -> None:
    """A till's sales with the item's name in a bare `Item` column beside its `SKU`: Latte Large
    and Latte Small were both recorded as item 'Latte', and against the shop's item library,
    listed by SKU, quarantined as item_not_listed."""
    library = tmp_path / "items.csv"
    library.write_text(
        "Token,Item Name,Variation Name,SKU,Category,Price\n"
        "7XKJ2BDUS3TQ,Latte,Large,LAT-L,Coffee,4.50\nGH3KD82JS,Latte,Small,LAT-S,Coffee,3.50\n"
    )
    conserved(import_file(ingest_store, library))
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "Date,Time,Customer ID,Item,SKU,Qty\n"
        "2026-11-01,09:15:02,CUST1,Latte,LAT-L,2\n2026-11-01,09:20:00,CUST2,Latte,LAT-S,1\n"
    )
    report = import_file(ingest_store, sales)
    conserved(report)
    assert report.quarantined == 0
    sales_made = [e for e in _events(ingest_store) if e[0] == "purchased"]
    assert sales_made == [("purchased", "CUST1", "LAT-L"), ("purchased", "CUST2", "LAT-S")]


def test_a_tills_item_name_is_the_item_where_its_sku_column_is_mostly_empty(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Square's item sales of a café that gives its items no SKU: the SKU column is there but
    empty, and every sale without one was quarantined as missing_item_id."""
    sales = tmp_path / "items-sales.csv"
    sales.write_text(
        "Date,Time,Category,Item,Qty,SKU,Customer ID\n"
        "2026-11-01,09:01:00,Coffee,Latte,1,LAT-L,C1\n2026-11-01,09:05:00,Coffee,Mocha,1,,C2\n"
        "2026-11-01,09:07:00,Bakery,Croissant,2,,C1\n"
    )
    report = import_file(ingest_store, sales)
    conserved(report)
    assert report.quarantined == 0
    assert [e[2] for e in _events(ingest_store)] == ["Latte", "Mocha", "Croissant"]


def test_analytics_events_are_read_with_their_properties_and_anonymous_ids(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Segment's track calls: the action was read from `type` ("track"), not `event`, and its
    names ("Product Viewed") were unknown. Mixpanel's fields under `properties` were not read
    at all. GA4's rows without a user_id were refused though user_pseudo_id names them."""
    segment = tmp_path / "segment.jsonl"
    calls = [
        {"type": "track", "event": "Product Viewed", "userId": "u1",
         "timestamp": "2024-03-01T10:15:00+01:00", "properties": {"product_id": "p1", "price": 59.9}},
        {"type": "track", "event": "Order Completed", "userId": "u1",
         "timestamp": "2024-03-01T10:20:00+01:00",
         "properties": {"product_id": "p1", "price": 59.9, "quantity": 2}},
    ]  # fmt: skip
    mixpanel = tmp_path / "mixpanel.jsonl"
    exported = [
        {
            "event": "Product Added",
            "properties": {"time": 1709284800, "distinct_id": "m1", "product_id": "p2"},
        }
    ]
    ga4 = tmp_path / "ga4_items.jsonl"
    rows = [
        {"event_timestamp": "1709284505000000", "event_name": "view_item", "user_id": None,
         "user_pseudo_id": "1234.5678", "item_id": "SKU1"},
        {"event_timestamp": "1709284560000000", "event_name": "purchase", "user_id": "cust-42",
         "user_pseudo_id": "1234.5678", "item_id": "SKU1", "price": 19.99, "quantity": 2},
    ]  # fmt: skip
    for path, lines in ((segment, calls), (mixpanel, exported), (ga4, rows)):
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        conserved(import_file(ingest_store, path))
    assert _events(ingest_store) == [
        ("item_viewed", "u1", "p1"),
        ("purchased", "u1", "p1"),
        ("added_to_cart", "m1", "p2"),
        ("item_viewed", "1234.5678", "SKU1"),
        ("purchased", "cust-42", "SKU1"),
    ]


def test_ga4s_nested_items_are_named_in_the_refusal(ingest_store: Store, tmp_path: Path) -> None:
    """The refusal said to flatten `event_params` (key/value pairs): following it, the file was
    refused again, then every row quarantined."""
    path = tmp_path / "ga4_events.json"
    event = {
        "event_timestamp": "1709284505000000",
        "event_name": "view_item",
        "event_params": [{"key": "ga_session_id", "value": {"int_value": "1709284000"}}],
        "user_pseudo_id": "1234.5678",
        "items": [{"item_id": "SKU1", "price": 19.99}],
    }
    path.write_text(json.dumps(event) + "\n")
    with pytest.raises(FormatError, match=r"lists its events under 'items'.*jq -c '\.items\[\] as \$event"):
        import_file(ingest_store, path)


def test_ga4s_items_are_named_where_the_first_lines_list_none(ingest_store: Store, tmp_path: Path) -> None:
    """A GA4 export starts with session_start and page_view, whose `items` list is empty: the
    flattening line was given only where the first line listed items, else the refusal said
    only "no column for the item". Flattened to CSV, with `items` as JSON text, it says how
    too, and the line it gives makes a file that imports."""
    start = {"event_timestamp": 1604223401485200, "event_name": "session_start", "user_pseudo_id": "1.2"}
    view = {**start, "event_timestamp": 1604223519241072, "event_name": "view_item"}
    path = tmp_path / "ga4.jsonl"
    lines = [{**start, "items": []}, {**view, "items": [{"item_id": "9180", "price": 55.0}]}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    for mapping in (None, {"user": "user_pseudo_id"}):  # refused as it is detected, and as it is read
        with pytest.raises(
            FormatError, match=r"lists its events under 'items'.*jq -c '\.items\[\] as \$event"
        ):
            import_file(ingest_store, path, mapping=mapping)
    table = tmp_path / "ga4.csv"
    table.write_text(
        "event_date,event_timestamp,event_name,user_pseudo_id,items\n20201101,1604223401485200,session_start,1.2,[]\n"
        '20201101,1604223519241072,view_item,1.2,"[{""item_id"": ""9180"", ""price"": 55.0}]"\n'
    )
    with pytest.raises(
        FormatError, match=r"lists its events in 'items', as JSON text.*python3 -c"
    ) as refused:
        import_file(ingest_store, table)
    program = str(refused.value).split("python3 -c ", 1)[1].split(" < ", 1)[0]
    flat = tmp_path / "flat.jsonl"
    with open(table) as source, open(flat, "w") as out:
        subprocess.run([sys.executable, "-c", *shlex.split(program)], stdin=source, stdout=out, check=True)
    conserved(import_file(ingest_store, flat))
    assert [(e.type, e.user_id, e.item_id) for e in ingest_store.read()] == [("item_viewed", "1.2", "9180")]


def test_ga4s_items_are_named_as_it_is_detected_after_many_page_views(tmp_path: Path) -> None:
    """Detection read the first 20 lines for the hint: with more page_views (items: []) first,
    the detected import said only "no column for the item", while --format jsonl or csv gave
    the line that flattens it. It looks at as many lines as those readers do."""
    page = {"event_timestamp": 1612069510766593, "event_name": "page_view", "user_pseudo_id": "1.1"}
    listed = [{"item_id": "9196012"}]
    path = tmp_path / "ga4.jsonl"
    lines = [{**page, "items": []}] * 25 + [{**page, "event_name": "view_item", "items": listed}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    table = tmp_path / "ga4.csv"
    table.write_text(
        "event_timestamp,event_name,user_pseudo_id,items\n"
        + "1612069510766593,page_view,1.1,[]\n" * 25
        + '1612069610766593,view_item,1.1,"[{""item_id"": ""9196012""}]"\n'
    )
    for file, said in ((path, "lists its events under 'items'"), (table, "lists its events in 'items'")):
        result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.db"), "import", str(file)])
        assert result.exit_code == 1 and said in " ".join(result.output.split()), result.output


def test_magentos_store_view_rows_leave_the_default_listing_as_it_is(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Magento's product export follows a product's default row with a row per store view that
    holds only what the view overrides: it was listed as the item, its price, stock and category
    wiped, and each import of the same file appended two listings more."""
    path = tmp_path / "catalog_product.csv"
    path.write_text(
        "sku,store_view_code,attribute_set_code,product_type,categories,name,price,qty,is_in_stock\n"
        '24-MB01,,Bag,simple,"Default Category/Gear/Bags","Joust Duffle Bag",34.000000,100.0000,1\n'
        '24-MB01,default,,simple,,"Joust Duffle Bag (EN)",,,\n'
    )
    report = import_file(ingest_store, path)
    conserved(report)
    assert (report.appended, report.quarantined_by_reason) == (1, {"store_view_row": 1})
    [listing] = ingest_store.read()
    payload = listing.payload
    assert (payload["title"], payload["category"], payload["price"], payload["stock"]) == (
        "Joust Duffle Bag",
        "Default Category/Gear/Bags",
        34.0,
        100,
    )
    assert import_file(ingest_store, path).appended == 0


def test_a_store_views_rows_with_no_default_row_are_the_items(ingest_store: Store, tmp_path: Path) -> None:
    """An export of one store view codes every row (store_view_code `default`): the whole file
    was quarantined as store_view_row, its items 'listed from a default row' it has not. A row
    is a store view's overrides only where its item has a default row; other rows list their
    items, CLI or not."""
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,store_view_code,name,price,qty,categories\nMH01,default,Chaz Hoodie,52.00,100,Men/Tops\n"
        "MH02,default,Teton Hoodie,70.00,5,Men/Tops\n"
    )
    report = import_file(ingest_store, path)
    conserved(report)
    assert (report.appended, report.quarantined) == (2, 0)
    assert [(e.item_id, e.payload["price"]) for e in ingest_store.read()] == [("MH01", 52.0), ("MH02", 70.0)]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("sku,store_view_code,name,price\nMH03,,Hero Hoodie,54\nMH03,de,Held,\nMH04,de,Jacke,9\n")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "cli.db"), "import", str(mixed), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["accepted"], report["quarantined_by_reason"]) == (2, {"store_view_row": 1})


def test_a_row_with_no_customer_is_its_sessions_visitor(ingest_store: Store, tmp_path: Path) -> None:
    """A till's walk-in sales have no customer: the rows were quarantined, though a file with
    no customer column at all makes each session an anonymous visitor."""
    path = tmp_path / "pos.csv"
    path.write_text(
        "Date,Time,Transaction ID,Item,Qty,Customer ID\n"
        "2024-03-01,10:15:32,tx1,Latte,1,CUST01\n"
        "2024-03-01,10:20:00,tx2,Croissant,1,\n"
    )
    conserved(import_file(ingest_store, path, mapping={"session": "Transaction ID"}))
    # the session's visitor, under a name no customer id of the file can be
    assert _events(ingest_store) == [
        ("purchased", "CUST01", "Latte"),
        ("purchased", "anonymous@tx2", "Croissant"),
    ]


def test_a_guests_order_lines_name_the_mapping_that_keeps_them(tmp_path: Path) -> None:
    """UCI's Online Retail II leaves `Customer ID` empty on guest checkouts: their rows were
    quarantined with "user_id: is required" alone, and nothing said that `--map session=Invoice`
    keeps them as each invoice's visitor. The report now says so, once; what is accepted by
    default is as it was."""
    path = tmp_path / "online_retail_II.csv"
    path.write_text(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        "489434,85048,LIGHT,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n"
        "489435,22041,RECORD,24,2009-12-01 07:46:00,0.65,,United Kingdom\n"
        "489435,21232,MUG,6,2009-12-01 07:46:00,1.25,,United Kingdom\n"
        "489436,22064,PLATE,2,2009-12-01 09:06:00,2.10,,United Kingdom\n"
    )
    advice = (
        "Rows whose 'Customer ID' is empty (a guest's order) were quarantined as missing_user_id: "
        "--map session=Invoice keeps them, each as the anonymous visitor of its order (anonymous@ "
        "followed by its 'Invoice'), and makes each order a session."
    )
    with edgerec.open(tmp_path / "default.db") as store:
        report = import_file(store, path, chunk_rows=2)  # said once, though two chunks have such rows
        assert (report.accepted, report.quarantined_by_reason) == (1, {"missing_user_id": 3})
        assert report.notes == [advice]
    with edgerec.open(tmp_path / "sessions.db") as store:
        report = import_file(store, path, mapping={"session": "Invoice"})
        assert (report.accepted, report.notes) == (4, [])
        assert [user for _type, user, _item in _events(store)] == [
            "13085",  # Excel's 13085.0, as the customer's id elsewhere
            "anonymous@489435",
            "anonymous@489435",
            "anonymous@489436",
        ]
    path.write_text(path.read_text().replace(",,United", ",13085.0,United"))
    with edgerec.open(tmp_path / "customers.db") as store:
        assert import_file(store, path).notes == []  # no row lacks its customer: nothing to say


def test_a_row_with_no_action_takes_the_default_type_and_a_hint_can_be_pasted(
    ingest_store: Store, tmp_path: Path
) -> None:
    """An empty type cell was told to give `--action None=item_viewed`, which named nothing; a
    Mixpanel action such as $mp_web_page_view was given unquoted, which a shell reads away."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "user,item,timestamp,status\n"
        "jane,TSHIRT,2024-03-01T10:00:00Z,paid\n"
        "jane,MUG,2024-03-01T10:00:00Z,\n"
        "jane,CAP,2024-03-01T10:00:00Z,$mp_web_page_view\n"
    )
    mapping = {"type": "status", "actions": {"paid": "purchased"}}
    import_file(ingest_store, path, mapping=mapping)
    with ingest_store.engine.connect() as connection:
        details = connection.execute(quarantine.select().order_by(quarantine.c.line)).all()
    assert [row.detail for row in details] == [
        "type: is required (a row with no action: give default_type=item_viewed for such rows)",
        "type: unknown action '$mp_web_page_view' (say which event it is: "
        "--action '$mp_web_page_view=item_viewed', or purchased, ...)",
    ]
    mapping = {
        **mapping,
        "default_type": "item_viewed",
        "actions": {"paid": "purchased", "$mp_web_page_view": "item_viewed"},
    }
    report = import_file(ingest_store, path, mapping=mapping)
    assert (report.accepted, report.quarantined) == (3, 0)
    assert [kind for kind, _, item in _events(ingest_store) if item == "MUG"] == ["item_viewed"]


def test_a_products_export_with_a_row_per_variant_and_image_lists_whole_items(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Shopify's products_export leaves a product's title, vendor and type blank on its later
    rows: each variant was listed with no title, and the image row last listed the product
    with no title, price or stock. WooCommerce's Regular price was not read (only Sale price)."""
    path = tmp_path / "products_export.csv"
    path.write_text(
        "Handle,Title,Vendor,Type,Variant SKU,Variant Inventory Qty,Variant Price,Image Src\n"
        "classic-tshirt,Classic T-Shirt,Acme,T-Shirts,TSHIRT-RED,12,19.99,https://cdn.example/red.jpg\n"
        "classic-tshirt,,,,TSHIRT-BLUE,3,21.99,https://cdn.example/blue.jpg\n"
        "classic-tshirt,,,,,,,https://cdn.example/back.jpg\n"
    )
    fields = {
        "price": "Variant Price",
        "stock": "Variant Inventory Qty",
        "brand": "Vendor",
        "category": "Type",
    }
    for item, listed in (
        ("Handle", {"classic-tshirt": ("Classic T-Shirt", "Acme", 21.99, 3)}),
        (
            "Variant SKU",  # the image row names no variant: quarantined, nothing listed blank
            {
                "TSHIRT-RED": ("Classic T-Shirt", "Acme", 19.99, 12),
                "TSHIRT-BLUE": ("Classic T-Shirt", "Acme", 21.99, 3),
            },
        ),
    ):
        conserved(import_file(ingest_store, path, format="catalogue", mapping={**fields, "item": item}))
        items = {
            i.item_id: (i.title, i.brand, i.price, i.stock)
            for i in ShopData(ingest_store).items(limit=100)
            if i.item_id in listed
        }
        assert items == listed, item
    woo = tmp_path / "wc-product-export.csv"
    woo.write_text(
        "ID,SKU,Name,Sale price,Regular price,Stock\n11,MUG-1,Mug,,9.50,4\n12,CAP-1,Cap,15.00,18.00,-3\n"
    )
    conserved(import_file(ingest_store, woo, format="catalogue", mapping={"item": "SKU"}))
    listed = {
        i.item_id: (i.price, i.stock) for i in ShopData(ingest_store).items(limit=100, listed_only=False)
    }
    # an oversold stock (-3) is none left, where it quarantined the whole item
    assert (listed["MUG-1"], listed["CAP-1"]) == ((9.5, 4), (15.0, 0))  # on sale: its sale price


def test_a_report_with_a_title_above_its_table_is_refused_saying_so(
    ingest_store: Store, tmp_path: Path
) -> None:
    """The refusal said to map the customer to a column of a header that was the report's title."""
    path = tmp_path / "sales_march.csv"
    path.write_text(
        "Sales report - March 2024,,,\n,,,\n"
        "Order Date,Customer ID,SKU,Quantity\n2024-03-01 10:15,C001,MUG-01,1\n"
    )
    with pytest.raises(
        FormatError, match="the first line is not the column names but a title above them"
    ) as refused:
        import_file(ingest_store, path)
    assert "undated" not in str(refused.value)


def test_columns_named_like_another_field_keep_their_meaning(ingest_store: Store, tmp_path: Path) -> None:
    """Rules for shops' exports, each once taken too far: a product's average `product_rating`
    made every sale a rating; a bare `user` lost to `account_id`; an `event` naming a campaign
    beat the `type` that names the action; a session's id became a customer's (`5`) where the
    customer cell was empty; a cashier `User` filled an empty customer cell."""
    files = {
        "sales.csv": "customer_id,product_id,order_date,quantity,price,product_rating\n"
        "c1,p1,2024-03-01T10:00:00Z,2,9.99,4.5\n",
        "accounts.csv": "user,account_id,item_id,type,timestamp\n"
        "alice,acme-corp,p1,view,2024-03-01T10:00:00Z\n",
        "campaigns.csv": "user_id,item_id,type,event,timestamp\n"
        "u1,p1,view,Black Friday,2024-03-01T10:00:00Z\nu1,p1,cart,Black Friday,2024-03-01T10:01:00Z\n",
        "sessions.csv": "customer_id,session_id,item_id,type,timestamp\n"
        "5,s1,p1,view,2024-03-01T10:00:00Z\n,5,p9,view,2024-03-01T11:00:00Z\n",
        "till.csv": "Date,Customer ID,User,Item,Qty\n"
        "2024-03-01T10:15:32Z,ann,till-staff-1,Beans,2\n2024-03-01T10:20:00Z,,till-staff-1,Latte,1\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        conserved(import_file(ingest_store, tmp_path / name))
    assert _events(ingest_store) == [
        ("purchased", "c1", "p1"),
        ("item_viewed", "alice", "p1"),
        ("item_viewed", "u1", "p1"),
        ("added_to_cart", "u1", "p1"),
        ("item_viewed", "5", "p1"),
        ("item_viewed", "anonymous@5", "p9"),  # the session's visitor, not customer 5
        ("purchased", "ann", "Beans"),  # the walk-in's sale: quarantined, not the cashier's
    ]


def test_a_date_column_beside_a_time_with_its_zone_keeps_its_day(ingest_store: Store, tmp_path: Path) -> None:
    """`Date` and `Time` = "10:15:32 PST": the time was read alone and dated today."""
    path = tmp_path / "sales.csv"
    path.write_text(
        "Date,Time,Customer ID,Item,Qty\n"
        "2024-03-01,10:15:32 PST,C1,Latte,1\n2024-03-01,10:20:00 +01:00,C2,Latte,1\n"
    )
    conserved(import_file(ingest_store, path))
    assert [e.occurred_at for e in ingest_store.read() if e.type == "purchased"] == [
        to_micros(datetime(2024, 3, 1, 18, 15, 32, tzinfo=UTC)),
        to_micros(datetime(2024, 3, 1, 9, 20, tzinfo=UTC)),
    ]


def test_undated_rows_are_never_double_clicks_and_a_numbered_time_column_is_refused(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Undated rows are a microsecond apart: a customer's second milk anywhere in the file was
    dropped as a double click. With header=false, a time column's number was overridden silently."""
    path = tmp_path / "baskets.csv"
    path.write_text("customer,item,type\nc1,milk,purchase\nc1,bread,purchase\nc1,milk,purchase\n")
    report = import_file(ingest_store, path, mapping={"undated": "2024-01-01"})
    assert (report.accepted, report.quarantined) == (3, 0)
    numbered = tmp_path / "numbered.csv"
    numbered.write_text("c1,milk,purchase,1700000000\n")
    mapping = {
        "header": "false",
        "user": "0",
        "item": "1",
        "type": "2",
        "timestamp": "3",
        "undated": "2024-01-01",
    }
    with pytest.raises(FormatError, match="undated=2024-01-01: the file has times, in column 3"):
        import_file(ingest_store, numbered, mapping=mapping)


def test_catalogues_and_nested_files_after_the_new_rules(ingest_store: Store, tmp_path: Path) -> None:
    """A ticket shop's catalogue with an `event` column was refused; a parent_id column filled a
    distinct item's blank title from the row above; a jq line for a key such as `line-items`
    failed when pasted; `--map price=...` made a sales file a catalogue; a field under
    `properties` beat the top level's of the same name."""
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("id,title,event,price\nt1,Front row,Summer Gala,40\n")
    assert detect_format(tickets).name == "catalogue"
    parts = tmp_path / "parts.csv"
    parts.write_text("id,parent_id,title,brand,price\n101,10,Blue Mug,Acme,9.5\n102,10,,,12\n")
    conserved(import_file(ingest_store, parts))
    assert ingest_store.read()[-1].payload.get("brand") is None  # 102 is no variant of 101
    orders = tmp_path / "my orders.jsonl"
    orders.write_text(json.dumps({"order": 1, "line-items": [{"sku": "A", "ts": 1700000000}]}) + "\n")
    with pytest.raises(FormatError) as refused:
        import_file(ingest_store, orders)
    flatten = """jq -c '.["line-items"][] as $event | del(.["line-items"]) + $event' 'my orders.jsonl'"""
    assert flatten in str(refused.value)
    sales = tmp_path / "sales.csv"
    sales.write_text("customer_id,sku,Unit Price,qty\nc1,A,9.5,2\n")
    with pytest.raises(FormatError, match="a file of sales maps a sale's price as price_paid=COLUMN"):
        import_file(ingest_store, sales, mapping={"price": "Unit Price"})
    segment = tmp_path / "segment.jsonl"
    line = {"event": "Product Viewed", "userId": "u1", "timestamp": "2024-03-01T10:15:00Z"}
    segment.write_text(json.dumps({**line, "properties": {"product_id": "p1", "user_id": "seller-9"}}) + "\n")
    conserved(import_file(ingest_store, segment))
    assert ingest_store.read()[-1].user_id == "u1"


def test_an_orders_line_number_or_line_id_is_not_the_item(ingest_store: Store, tmp_path: Path) -> None:
    """WooCommerce's order export numbers an order's lines in `Item #` (1, 2, ...), and Magento's
    order items name the line in `item_id`, beside the order and the product's `SKU` or
    `product_id`: the line was taken for the item, so every order's first line was one item. An
    `item_id` alone is the item, and so is one the mapping names (item=item_id)."""
    woo = tmp_path / "orders.csv"
    woo.write_text(
        '"Order Number","Order Date","Email (Billing)","SKU","Item #","Item Name","Item Cost"\n'
        '"1201","2024-03-01 08:33","anna@example.com","WOO-HOODIE","1","Hoodie","45.00"\n'
        '"1201","2024-03-01 08:33","anna@example.com","WOO-CAP","2","Cap","16.00"\n'
        '"1202","2024-03-02 09:10","bob@example.org","WOO-BELT","1","Belt","55.00"\n'
    )
    mapping = {"user": "Email (Billing)", "default_type": "purchased", "price_paid": "Item Cost"}
    conserved(import_file(ingest_store, woo, mapping=mapping))
    assert [item for _, _, item in _events(ingest_store)] == ["WOO-HOODIE", "WOO-CAP", "WOO-BELT"]
    magento = tmp_path / "sales_order_item.csv"
    magento.write_text(
        "order_id,created_at,customer_id,item_id,product_id,sku,price\n"
        "7,2024-03-03 10:15:02,17,1,1812,24-MB01,34.0000\n8,2024-03-03 14:01:44,18,2,1812,24-MB01,34.0000\n"
    )
    conserved(import_file(ingest_store, magento))
    assert [item for _, _, item in _events(ingest_store)][3:] == ["1812", "1812"]
    lines = tmp_path / "lines.csv"
    lines.write_text(magento.read_text().replace("2024-03-03", "2024-03-04"))
    conserved(import_file(ingest_store, lines, mapping={"item": "item_id"}))
    assert [item for _, _, item in _events(ingest_store)][5:] == ["1", "2"]
    clicks = tmp_path / "clicks.csv"
    clicks.write_text("user_id,item_id,product,timestamp,type\nu1,i9,Blue Mug,2024-03-05T10:00:00Z,view\n")
    conserved(import_file(ingest_store, clicks))
    assert _events(ingest_store)[-1] == ("item_viewed", "u1", "i9")


def test_an_orders_lines_kept_apart_from_its_orders_are_told_to_be_joined(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Instacart's order_products__prior.csv (an order's items, by order_id) and orders.csv (its
    customer), and Olist's order items, were refused with advice for a file of events: give
    default_type=item_viewed and undated=..., or a time in Olist's shipping_limit_date. The
    refusal says the file is one half of its orders, and gives the join that makes them whole."""
    lines = tmp_path / "order_products__prior.csv"
    lines.write_text("order_id,product_id,add_to_cart_order,reordered\n1,27,1,0\n1,11,2,1\n2,11,1,1\n")
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,user_id,eval_set,order_number,order_date\n"
        "1,u1,prior,1,2017-05-01 10:00:00\n2,u2,prior,1,2017-05-02 11:00:00\n"
    )
    olist = tmp_path / "olist_order_items_dataset.tsv"
    olist.write_text(
        "order_id\torder_item_id\tproduct_id\tshipping_limit_date\tprice\n"
        "00010242fe\t1\t4244733e06\t2017-09-19 09:45:35\t58.90\n"
    )
    said = {}
    for path, holds, other in (
        (lines, "items", "customer and time"),
        (orders, "customers", "items"),
        (olist, "items", "customer and time"),
    ):
        with pytest.raises(FormatError) as caught:
            import_file(ingest_store, path)
        said[path] = str(caught.value)
        assert (
            f"; the file holds orders' {holds} by 'order_id', and each order's {other} are in" in said[path]
        )
        assert "default_type=item_viewed" not in said[path] and "undated" not in said[path]
        assert "timestamp=shipping_limit_date" not in said[path]
    assert ingest_store.read() == []
    # the join it gives, with the other file for OTHER.csv, makes a file of whole orders
    program = printed_program(said[lines])
    (tmp_path / "OTHER.csv").write_text(orders.read_text())
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    conserved(import_file(ingest_store, tmp_path / "joined.csv", mapping={"default_type": "purchased"}))
    assert _events(ingest_store) == [
        ("purchased", "u1", "27"),
        ("purchased", "u1", "11"),
        ("purchased", "u2", "11"),
    ]


_REVIEWS = (
    "review_id,order_id,review_score,review_comment_title,review_comment_message,"
    "review_creation_date,review_answer_timestamp\n"
    "7bc2406110b926393aa56f80a40eba40,73fc7af87114b39712e6da79b0a377eb,4,,,2018-01-18 00:00:00,"
    "2018-01-18 21:46:59\n"
    "80e641a11e56f04c1ad469d5645fdfde,a548910a1c6147796b98fdf73dbeba33,5,,Recebi bem antes,"
    "2018-03-10 00:00:00,2018-03-11 03:05:13\n"
)
_ORDERS = (
    "order_id,customer_id,order_status,order_purchase_timestamp\n"
    "73fc7af87114b39712e6da79b0a377eb,9ef432eb6251297304e76186b10a928d,delivered,2018-01-11 15:30:49\n"
    "a548910a1c6147796b98fdf73dbeba33,b0830fb4747a6c6d20dea0b8c802d7ef,delivered,2018-02-28 12:25:19\n"
)
_ORDER_ITEMS = (
    "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n"
    "73fc7af87114b39712e6da79b0a377eb,1,fd25ab760bfbba13c198fa3b4f1a0cd3,6d803cb7,2018-01-18 15:47:59,"
    "185.00,13.63\n"
    "a548910a1c6147796b98fdf73dbeba33,1,be0dbdc3d67d55727a65d4cd696ca73c,8e6d7754,2018-03-06 12:48:39,"
    "79.79,8.30\n"
)
_CUSTOMERS = (  # one person's two orders, each with its customer_id
    "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n"
    "9ef432eb6251297304e76186b10a928d,861eff4711a542e4b93843c6dd7febb0,14409,franca,SP\n"
    "b0830fb4747a6c6d20dea0b8c802d7ef,861eff4711a542e4b93843c6dd7febb0,14409,franca,SP\n"
)
_PERSON = "861eff4711a542e4b93843c6dd7febb0"
_ITEMS = ("fd25ab760bfbba13c198fa3b4f1a0cd3", "be0dbdc3d67d55727a65d4cd696ca73c")


def _ratings(store: Store) -> list[tuple[str, str | None, str | None, float]]:
    return [(e.type, e.user_id, e.item_id, e.payload["value"]) for e in store.read()]


def test_olists_order_reviews_are_told_to_join_the_orders_their_items_and_customers(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Olist's order reviews name an order, not its customer nor its items: the refusal told to
    give default_type=... as for any file of events, which imported no customer or item. Beside
    its release's files, it shows the join, by their names, on order_id to the orders and their
    items, and on customer_id to the customers, and the join it shows imports each review as the
    person's rating of the order's item. Joined to the orders alone, a customer's reviews of two
    orders were two customers' (an Olist order's customer_id is its own; the customers file's
    customer_unique_id is the person's)."""
    reviews = tmp_path / "olist_order_reviews_dataset.csv"
    reviews.write_text(_REVIEWS)
    (tmp_path / "olist_orders_dataset.csv").write_text(_ORDERS)
    (tmp_path / "olist_order_items_dataset.csv").write_text(_ORDER_ITEMS)
    (tmp_path / "olist_customers_dataset.csv").write_text(_CUSTOMERS)
    (tmp_path / "olist_order_payments_dataset.csv").write_text(
        "order_id,payment_sequential,payment_type,payment_installments,payment_value\nb81ef226,1,credit_card,8,99.33\n"
    )
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, reviews)
    said = str(caught.value)
    assert "the file holds orders' reviews by 'order_id', and each order's customer and items are in" in said
    assert "join them on 'order_id' and 'customer_id' first" in said
    assert (
        "(olist_customers_dataset.csv names the person, customer_unique_id, of each order's customer_id)"
        in said
    )
    assert said.endswith(
        "then import what it writes: edgerec import joined.csv --map user=customer_unique_id "
        "--map item=product_id --map timestamp=review_creation_date --map value=review_score"
    )
    assert "default_type" not in said and "undated" not in said
    program = printed_program(said)
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    mapping = {"value": "review_score", "timestamp": "review_creation_date"}
    conserved(import_file(ingest_store, tmp_path / "joined.csv", mapping=mapping))
    assert _ratings(ingest_store) == [("rated", _PERSON, _ITEMS[0], 4.0), ("rated", _PERSON, _ITEMS[1], 5.0)]
    # Olist's payments, also by order and with no score, are no reviews: joined, each payment
    # (an order paid by card and voucher has two) was imported as the order's items bought again
    with pytest.raises(
        FormatError, match="holds orders' records by 'order_id'.*import those instead$"
    ) as caught:
        import_file(ingest_store, tmp_path / "olist_order_payments_dataset.csv")
    assert "joined.csv" not in str(caught.value)


_ORDERS_BY_PERSON = (  # a release whose orders name the person, with no customer_id
    "order_id,customer_unique_id,order_status,order_purchase_timestamp\n"
    f"73fc7af87114b39712e6da79b0a377eb,{_PERSON},delivered,2018-01-11 15:30:49\n"
    f"a548910a1c6147796b98fdf73dbeba33,{_PERSON},delivered,2018-02-28 12:25:19\n"
)


@pytest.mark.parametrize(
    ("orders", "customers", "users"),
    [
        (_ORDERS_BY_PERSON, _CUSTOMERS, [_PERSON, _PERSON]),
        (_ORDERS, None, ["9ef432eb6251297304e76186b10a928d", "b0830fb4747a6c6d20dea0b8c802d7ef"]),
    ],
    ids=["orders-without-customer_id", "no-customers-file"],
)
def test_the_join_given_for_order_reviews_joins_only_the_columns_its_release_has(
    ingest_store: Store, tmp_path: Path, orders: str, customers: str | None, users: list[str]
) -> None:
    """The join given for Olist's order reviews named CUSTOMERS on customer_id whatever the
    release held: run on a release whose orders name no customer_id, or with no customers file,
    it ended in KeyError: 'customer_id' (or found no such file). It now names the files beside
    the reviews, joining the customers only where their headers have the columns it joins on,
    and runs as printed."""
    reviews = tmp_path / "olist_order_reviews_dataset.csv"
    reviews.write_text(_REVIEWS)
    (tmp_path / "olist_orders_dataset.csv").write_text(orders)
    (tmp_path / "olist_order_items_dataset.csv").write_text(_ORDER_ITEMS)
    if customers is not None:
        (tmp_path / "olist_customers_dataset.csv").write_text(customers)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, reviews)
    said = str(caught.value)
    subprocess.run([sys.executable, "-c", printed_program(said)], cwd=tmp_path, check=True)
    assert "join them on 'order_id' first" in said and "names the person" not in said
    mapping = {"value": "review_score", "timestamp": "review_creation_date"}
    conserved(import_file(ingest_store, tmp_path / "joined.csv", mapping=mapping))
    assert [(e.user_id, e.item_id) for e in ingest_store.read()] == list(zip(users, _ITEMS, strict=True))


def test_olists_order_items_are_told_to_join_the_customers_beside_their_orders(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Olist's order items were given the join to the orders alone, so each purchase was the
    order's own customer_id's, one person's two orders two customers. Beside the orders and
    the customers file, the join given takes in the customers, and one person's orders are one
    customer's; beside no customers file, the join to the orders stays as for Instacart's."""
    items = tmp_path / "olist_order_items_dataset.csv"
    items.write_text(_ORDER_ITEMS)
    (tmp_path / "olist_orders_dataset.csv").write_text(_ORDERS)
    (tmp_path / "olist_customers_dataset.csv").write_text(_CUSTOMERS)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, items)
    said = str(caught.value)
    subprocess.run([sys.executable, "-c", printed_program(said)], cwd=tmp_path, check=True)
    assert "join them on 'order_id' and 'customer_id' first" in said
    assert (
        "(olist_customers_dataset.csv names the person, customer_unique_id, of each order's customer_id)"
        in said
    )
    mapping = {"default_type": "purchased", "timestamp": "order_purchase_timestamp"}
    conserved(import_file(ingest_store, tmp_path / "joined.csv", mapping=mapping))
    assert _events(ingest_store) == [("purchased", _PERSON, _ITEMS[0]), ("purchased", _PERSON, _ITEMS[1])]
    (tmp_path / "olist_customers_dataset.csv").unlink()
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, items)
    assert "join them on 'order_id' first" in str(caught.value)
    assert 'olist_orders_dataset.csv", sep=",", dtype=str), on="order_id")' in str(caught.value)
    assert str(caught.value).endswith(  # the first join's joined.csv beside the items is kept
        "edgerec import joined_2.csv --map user=customer_id --map item=product_id "
        "--map timestamp=order_purchase_timestamp --map default_type=purchased"
    )


_OLIST_ORDERS = (  # as Olist writes them: the purchase's time, then its approval's, shipping's, delivery's
    "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
    "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
    "73fc7af87114b39712e6da79b0a377eb,9ef432eb6251297304e76186b10a928d,delivered,2018-01-11 15:30:49,"
    "2018-01-11 15:47:59,2018-01-12 21:57:22,2018-01-17 18:06:29,2018-02-02 00:00:00\n"
    "a548910a1c6147796b98fdf73dbeba33,b0830fb4747a6c6d20dea0b8c802d7ef,delivered,2018-02-28 12:25:19,"
    "2018-02-28 12:48:39,2018-03-02 19:08:15,2018-03-09 23:17:20,2018-03-14 00:00:00\n"
)


def _at(text: str) -> int:
    return to_micros(datetime.fromisoformat(text).replace(tzinfo=UTC))


def _imported_as_printed(
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_name: str = "cli.db",
    written: str = "joined.csv",
) -> list[tuple[str, str | None, str | None, int, dict[str, object]]]:
    """Runs the pandas line and then the `edgerec import` command that a refusal prints, as
    printed, in the folder of the files, the command importing the file the line writes
    (`written`); the events it imports: type, customer, item, time and payload."""
    subprocess.run([sys.executable, "-c", printed_program(said)], cwd=tmp_path, check=True)
    command = printed_command(said)
    assert command[:2] == ["import", written], said
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / db_name)
    result = CliRunner().invoke(main, ["--db", db, *command], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "quarantined: 0" in result.output, result.output
    with edgerec.open(db) as store:
        return [
            (e.type, e.user_id, e.item_id, e.occurred_at, e.payload)
            for e in store.read()
            if e.type != "session_started"
        ]


def test_the_join_given_for_olists_order_files_ends_in_the_import_that_reads_it(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join given for Olist's order items and order reviews ended in "then import
    joined.csv", and joined.csv so imported was refused for want of a time, the refusal naming
    the items' shipping_limit_date (the seller's shipping deadline) before the orders'
    order_purchase_timestamp. The advice now ends with the whole `edgerec import joined.csv`
    command, its customer, item and time (and a review's rating) named, which imports each
    purchase at its order's purchase time and each review at its own, as one person's. The
    reviews' join, given beside the items' joined.csv, reads the order items, not joined.csv,
    and writes joined_2.csv, keeping it."""
    (tmp_path / "olist_order_items_dataset.csv").write_text(_ORDER_ITEMS)
    (tmp_path / "olist_orders_dataset.csv").write_text(_OLIST_ORDERS)
    (tmp_path / "olist_customers_dataset.csv").write_text(_CUSTOMERS)
    (tmp_path / "olist_order_reviews_dataset.csv").write_text(_REVIEWS)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, tmp_path / "olist_order_items_dataset.csv")
    assert _imported_as_printed(str(caught.value), tmp_path, monkeypatch) == [
        ("purchased", _PERSON, _ITEMS[0], _at("2018-01-11 15:30:49"), {"price_paid": 185.0, "quantity": 1}),
        ("purchased", _PERSON, _ITEMS[1], _at("2018-02-28 12:25:19"), {"price_paid": 79.79, "quantity": 1}),
    ]
    # imported without the command's options, the joined file's refusal names the purchase time
    with pytest.raises(FormatError) as refused:
        import_file(ingest_store, tmp_path / "joined.csv")
    assert str(refused.value).endswith(
        "the times seem to be in 'order_purchase_timestamp': give timestamp=order_purchase_timestamp"
    )
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, tmp_path / "olist_order_reviews_dataset.csv")
    assert 'joined.csv", sep=' not in str(caught.value)
    assert _imported_as_printed(str(caught.value), tmp_path, monkeypatch, "reviews.db", "joined_2.csv") == [
        ("rated", _PERSON, _ITEMS[0], _at("2018-01-18 00:00:00"), {"value": 4.0}),
        ("rated", _PERSON, _ITEMS[1], _at("2018-03-10 00:00:00"), {"value": 5.0}),
    ]


_TRANSLATION = (
    "product_category_name,product_category_name_english\n"
    "beleza_saude,health_beauty\ninformatica_acessorios,computers_accessories\n"
)
_PRODUCTS = (
    "product_id,product_category_name,product_name_lenght,product_weight_g\n"
    "1e9e8ef04dbcff4541ed26657ea517e5,beleza_saude,40,225\n"
    "3aa071139cb16b67ca9e5dea641aaa2f,informatica_acessorios,44,1000\n"
)


@pytest.mark.parametrize("beside", [True, False], ids=["beside", "alone"])
def test_the_join_given_for_olists_category_translation_ends_in_the_import_that_reads_it(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beside: bool
) -> None:
    """Olist's product_category_name_translation.csv was given the join onto PRODUCTS.csv, ending
    "then import products.csv with --format catalogue --map category=...", no command to run.
    The products beside it (olist_products_dataset.csv, told by its headers among the release's
    other files) are joined by their name, and the advice ends with the `edgerec import`
    command that lists the products under their English categories as printed; alone in its
    folder, PRODUCTS.csv stands for them."""
    translation = tmp_path / "product_category_name_translation.csv"
    translation.write_text(_TRANSLATION)
    (tmp_path / "olist_order_items_dataset.csv").write_text(_ORDER_ITEMS)
    if beside:
        (tmp_path / "olist_products_dataset.csv").write_text(_PRODUCTS)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, translation)
    said = str(caught.value)
    assert ("PRODUCTS.csv being that file" in said) is not beside
    if not beside:
        (tmp_path / "PRODUCTS.csv").write_text(_PRODUCTS)
    listed = _imported_as_printed(said, tmp_path, monkeypatch, written="products.csv")
    assert [(e[0], e[2], e[4]["category"]) for e in listed] == [
        ("item_listed", "1e9e8ef04dbcff4541ed26657ea517e5", "health_beauty"),
        ("item_listed", "3aa071139cb16b67ca9e5dea641aaa2f", "computers_accessories"),
    ]


def test_the_join_given_for_olists_category_translation_writes_no_file_the_shop_has(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join onto the translated categories wrote products.csv into the current folder, and
    the import that followed read it: a shop with its own products.csv there lost it by
    following the advice. Both lines now name a file that is neither beside the translation nor
    in the current folder, the same one."""
    translation = tmp_path / "product_category_name_translation.csv"
    translation.write_text(_TRANSLATION)
    (tmp_path / "olist_products_dataset.csv").write_text(_PRODUCTS)
    own = "sku,title,price\nA1,Red shirt,9.99\n"
    (tmp_path / "products.csv").write_text(own)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, translation)
    said = str(caught.value)
    assert '.to_csv("products_2.csv", index=False)' in printed_program(said), said
    listed = _imported_as_printed(said, tmp_path, monkeypatch, written="products_2.csv")
    assert [(e[2], e[4]["category"]) for e in listed] == [
        ("1e9e8ef04dbcff4541ed26657ea517e5", "health_beauty"),
        ("3aa071139cb16b67ca9e5dea641aaa2f", "computers_accessories"),
    ]
    assert (tmp_path / "products.csv").read_text() == own  # the shop's own file, as it was
    elsewhere = tmp_path / "work"  # run from another folder, which has a products_3.csv of its own
    elsewhere.mkdir()
    (elsewhere / "products_3.csv").write_text(own)
    monkeypatch.chdir(elsewhere)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, translation)
    said = str(caught.value)
    assert '.to_csv("products_4.csv", index=False)' in printed_program(said), said
    assert printed_command(said)[:2] == ["import", "products_4.csv"]


_INSTACART_LINES = "order_id,product_id,add_to_cart_order,reordered\n1,27,1,0\n1,11,2,1\n2,11,1,1\n"


@pytest.mark.parametrize(
    ("orders", "times"),
    [
        (  # Instacart's: no time, only the day of the week and the hour
            "order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order\n"
            "1,u1,prior,1,2,08,\n2,u2,prior,1,3,07,15.0\n",
            None,
        ),
        (  # a shop's: its delivery's time before its order's
            "order_id,user_id,delivered_at,ordered_at\n"
            "1,u1,2017-05-04 10:00:00,2017-05-01 10:00:00\n2,u2,2017-05-05 11:00:00,2017-05-02 11:00:00\n",
            ["2017-05-01 10:00:00", "2017-05-01 10:00:00", "2017-05-02 11:00:00"],
        ),
    ],
    ids=["undated", "ordered_at"],
)
def test_the_join_given_for_order_lines_beside_their_orders_ends_in_the_import_that_reads_it(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, orders: str, times: list[str] | None
) -> None:
    """Order lines (Instacart's order_products__prior.csv) beside their orders were told to join
    OTHER.csv and then "import joined.csv", which was refused for want of a type and a time.
    The join now names the orders file beside them, and ends with the `edgerec import` command
    that imports the joined lines as the orders' customers' purchases: at the order's time (not
    its delivery's), or, where the orders name no time, undated in the file's order."""
    lines = tmp_path / "order_products__prior.csv"
    lines.write_text(_INSTACART_LINES)
    (tmp_path / "orders.csv").write_text(orders)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, lines)
    said = str(caught.value)
    assert "OTHER.csv" not in said
    events = _imported_as_printed(said, tmp_path, monkeypatch)
    assert [event[:3] for event in events] == [
        ("purchased", "u1", "27"),
        ("purchased", "u1", "11"),
        ("purchased", "u2", "11"),
    ]
    if times is None:
        assert "undated=" in said
        assert [event[3] for event in events] == sorted(event[3] for event in events)
    else:
        assert [event[3] for event in events] == [_at(t) for t in times]


@pytest.mark.parametrize("lines", [("prior",), ("prior", "train"), ()], ids=["prior", "both", "alone"])
def test_instacarts_orders_are_told_to_join_the_order_lines_beside_them(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: tuple[str, ...]
) -> None:
    """Instacart's orders.csv (each order's customer, no items) was told to join OTHER.csv for
    its items, with order_products__prior.csv beside it. The order lines beside it, told by
    their headers, are named: one joined to the orders, or both (prior and train) read as one,
    and the `edgerec import` command imports every line as its order's customer's purchase.
    Alone in its folder, OTHER.csv still stands for the order lines."""
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order\n"
        "1,u1,prior,1,2,08,\n2,u2,prior,1,3,07,15.0\n3,u1,train,2,4,09,7.0\n"
    )
    (tmp_path / "aisles.csv").write_text("aisle_id,aisle\n1,prepared soups salads\n")
    for name in lines:
        (tmp_path / f"order_products__{name}.csv").write_text(
            _INSTACART_LINES
            if name == "prior"
            else "order_id,product_id,add_to_cart_order,reordered\n3,42,1,0\n"
        )
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, orders)
    said = str(caught.value)
    assert ("OTHER.csv" in said) is not bool(lines)
    assert all(f"order_products__{name}.csv" in said for name in lines)
    if not lines:
        return
    events = _imported_as_printed(said, tmp_path, monkeypatch)
    bought = [("purchased", "u1", "27"), ("purchased", "u1", "11"), ("purchased", "u2", "11")]
    assert sorted(event[:3] for event in events) == sorted(
        bought + [("purchased", "u1", "42")] * (len(lines) - 1)
    )


def test_olists_orders_are_told_to_join_their_items_and_customers_beside_them(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Olist's orders (each order's customer_id, no items) were told to join OTHER.csv for their
    items. The order items and the customers beside them are named, by their headers, and the
    `edgerec import` command imports each item as a purchase of the order's person
    (customer_unique_id) at the order's purchase time, as the order items' own join does."""
    orders = tmp_path / "olist_orders_dataset.csv"
    orders.write_text(_OLIST_ORDERS)
    (tmp_path / "olist_order_items_dataset.csv").write_text(_ORDER_ITEMS)
    (tmp_path / "olist_customers_dataset.csv").write_text(_CUSTOMERS)
    (tmp_path / "olist_order_reviews_dataset.csv").write_text(_REVIEWS)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, orders)
    said = str(caught.value)
    assert "join them on 'order_id' and 'customer_id' first" in said
    assert _imported_as_printed(said, tmp_path, monkeypatch) == [
        ("purchased", _PERSON, _ITEMS[0], _at("2018-01-11 15:30:49"), {"price_paid": 185.0, "quantity": 1}),
        ("purchased", _PERSON, _ITEMS[1], _at("2018-02-28 12:25:19"), {"price_paid": 79.79, "quantity": 1}),
    ]


def test_the_time_suggested_is_a_purchase_not_a_shipping_or_delivery(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A refusal for want of a time named the first column named for one: a shipping deadline or
    a delivery's date before the order's. The order's (or purchase's) time is named first."""
    path = tmp_path / "sales.csv"
    path.write_text(
        "customer_id,sku,quantity,estimated_delivery_date,ship_date,order_placed_date\n"
        "c1,MUG-1,1,2024-03-09,2024-03-04,2024-03-01 10:00:00\n"
    )
    with pytest.raises(FormatError) as refused:
        import_file(ingest_store, path)
    assert str(refused.value).endswith("give timestamp=order_placed_date")


def test_order_reviews_without_their_release_beside_them_are_told_the_join_on_the_order(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Order reviews alone in their folder are given the join on the order to ORDERS and
    ORDER_ITEMS, standing for the release's files, and no join to customers it has not seen."""
    reviews = tmp_path / "olist_order_reviews_dataset.csv"
    reviews.write_text(_REVIEWS)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, reviews)
    said = str(caught.value)
    assert "join them on 'order_id' first" in said
    assert "ORDERS.csv being the orders and ORDER_ITEMS.csv their items: Olist's" in said
    (tmp_path / "ORDERS.csv").write_text(_ORDERS)
    (tmp_path / "ORDER_ITEMS.csv").write_text(_ORDER_ITEMS)
    subprocess.run([sys.executable, "-c", printed_program(said)], cwd=tmp_path, check=True)
    mapping = {"value": "review_score", "timestamp": "review_creation_date"}
    conserved(import_file(ingest_store, tmp_path / "joined.csv", mapping=mapping))
    assert [e.user_id for e in ingest_store.read()] == [
        "9ef432eb6251297304e76186b10a928d",
        "b0830fb4747a6c6d20dea0b8c802d7ef",
    ]


def test_the_join_of_a_release_written_with_semicolons_reads_both_files_so(
    ingest_store: Store, tmp_path: Path
) -> None:
    """The join read the file given by its own delimiter, but the other file of its release with
    commas: for a release written with semicolons, the line as given ended in KeyError: 'order_id'."""
    release = tmp_path / "insta cart"
    release.mkdir()
    lines = release / "order_products__prior.csv"
    lines.write_text("order_id;product_id;add_to_cart_order\n1;27;1\n2;11;1\n")
    (tmp_path / "OTHER.csv").write_text(
        "order_id;user_id;order_date\n1;u1;2017-05-01 10:00\n2;u2;2017-05-02 11:00\n"
    )
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, lines)
    said = str(caught.value)
    program = printed_program(said)
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    conserved(import_file(ingest_store, tmp_path / "joined.csv", mapping={"default_type": "purchased"}))
    assert _events(ingest_store) == [("purchased", "u1", "27"), ("purchased", "u2", "11")]


@pytest.mark.parametrize(("encoding", "named"), [("cp1252", "cp1252"), ("utf-16", None)])
def test_the_join_of_a_release_not_in_utf8_reads_both_files_in_its_encoding(
    ingest_store: Store, tmp_path: Path, encoding: str, named: str | None
) -> None:
    """The join's pandas line read both files as UTF-8: for a release saved in cp1252 (imported
    with --encoding cp1252) or as UTF-16 (Excel's "Unicode text", told by its byte-order mark), the
    line as given ended in UnicodeDecodeError."""
    lines = tmp_path / "order_products__prior.csv"
    lines.write_bytes("order_id;product_id;product_name\n1;27;Crème brûlée\n2;11;Café\n".encode(encoding))
    (tmp_path / "OTHER.csv").write_bytes(
        "order_id;user_id;order_date\n1;Zoë;2017-05-01 10:00\n2;u2;2017-05-02 11:00\n".encode(encoding)
    )
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, lines, encoding=named)
    said = str(caught.value)
    assert f'dtype=str, encoding="{encoding}")' in said
    program = printed_program(said)
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    conserved(import_file(ingest_store, tmp_path / "joined.csv", mapping={"default_type": "purchased"}))
    assert _events(ingest_store) == [("purchased", "Zoë", "27"), ("purchased", "u2", "11")]


def test_an_order_items_quantity_ordered_is_the_quantity(ingest_store: Store, tmp_path: Path) -> None:
    """Magento's order items give the quantity as `qty_ordered` (2.0000): it was not read, and
    every sale was of one."""
    path = tmp_path / "sales_order_item.csv"
    path.write_text(
        "increment_id,created_at,customer_id,item_id,product_id,sku,name,qty_ordered,price\n"
        "000000001,2024-03-01 10:15:02,17,1,1812,24-MB01,Joust Duffle Bag,1.0000,34.0000\n"
        "000000002,2024-03-02 14:01:44,18,2,1812,24-MB01,Joust Duffle Bag,2.0000,34.0000\n"
    )
    conserved(import_file(ingest_store, path))
    sales = [e for e in ingest_store.read() if e.type == "purchased"]
    assert [(e.item_id, e.payload["quantity"]) for e in sales] == [("1812", 1), ("1812", 2)]
    other = tmp_path / "order_lines.csv"
    other.write_text("order_date,customer_id,sku,quantity_ordered\n2024-03-03,C1,MUG-1,3\n")
    conserved(import_file(ingest_store, other))
    assert ingest_store.read()[-1].payload == {"quantity": 3}


def test_an_orders_later_lines_take_its_fields_from_its_first(tmp_path: Path) -> None:
    """Order exports that write the order's number, date and customer on its first line only
    (Odoo's sale orders with their lines, WooCommerce export plugins): the later lines were
    quarantined as missing_occurred_at, and with the order column filled in under half the rows
    the line's id was taken for the item. A line with no order but a customer and a time (a
    till's sale) is its own, and an order's later line after it takes nothing."""
    woo = tmp_path / "orders.csv"
    woo.write_text(
        "Order Number,Order Date,Customer User ID,Item ID,SKU,Quantity\n"
        "2001,2026-11-01 10:00,5,41,woo-beanie,2\n,,,42,woo-belt,1\n,,,43,woo-cap,1\n"
        "2002,2026-11-02 12:00,6,44,woo-cap,1\n,,,45,woo-belt,1\n"
        ",2026-11-03 09:00,7,46,woo-mug,1\n,,,47,woo-hat,1\n"
    )
    odoo = tmp_path / "sale.order.csv"
    odoo.write_text(
        "Order Reference,Customer,Salesperson,Order Date,Order Lines/Product,Order Lines/Quantity\n"
        "S00021,Deco Addict,Mitchell Admin,2026-11-04 10:00:00,[FURN_7800] Desk Combination,2.00\n"
        ",,,,[FURN_8220] Four Person Desk,1.00\n"
        "S00022,Gemini Furniture,Mitchell Admin,2026-11-05 11:00:00,[E-COM11] Cabinet with Doors,3.00\n"
    )
    db = str(tmp_path / "cli.db")
    odoo_mapping = ["--map", "item=Order Lines/Product", "--map", "quantity=Order Lines/Quantity"]
    given = {
        woo: ["--map", "user=Customer User ID"],
        odoo: [*odoo_mapping, "--map", "default_type=purchased"],
    }
    for path, args in given.items():
        result = CliRunner().invoke(main, ["--db", db, "import", str(path), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    with edgerec.open(db) as store:
        sales = [(e.user_id, e.item_id, e.payload["quantity"]) for e in store.read() if e.type == "purchased"]
        days = [str(from_micros(e.occurred_at).date()) for e in store.read() if e.type == "purchased"]
    assert sales == [
        ("5", "woo-beanie", 2), ("5", "woo-belt", 1), ("5", "woo-cap", 1), ("6", "woo-cap", 1),
        ("6", "woo-belt", 1), ("7", "woo-mug", 1),
        ("Deco Addict", "[FURN_7800] Desk Combination", 2),
        ("Deco Addict", "[FURN_8220] Four Person Desk", 1),
        ("Gemini Furniture", "[E-COM11] Cabinet with Doors", 3),
    ]  # fmt: skip
    assert days == ["2026-11-01"] * 3 + ["2026-11-02"] * 2 + [
        "2026-11-03",
        "2026-11-04",
        "2026-11-04",
        "2026-11-05",
    ]
    with edgerec.open(db) as store, store.engine.connect() as connection:
        refused = connection.execute(select(quarantine.c.reason)).scalars().all()
    assert refused == ["missing_occurred_at"]  # woo-hat: after a line of no order, whose it is is not known


def test_a_configurable_products_child_line_is_no_second_sale(ingest_store: Store, tmp_path: Path) -> None:
    """Magento's order items list a configurable product sold as two lines, the parent with the
    price and its child (parent_item_id filled) at 0: the child was recorded as a second sale,
    so each such sale counted twice. It is quarantined as child_line."""
    path = tmp_path / "sales_order_item.csv"
    path.write_text(
        "item_id,order_id,parent_item_id,product_id,product_type,sku,qty_ordered,price,customer_id,created_at\n"
        "1,100,,501,configurable,MH01-XS-Black,1.0000,52.0000,7,2026-11-01 10:00:00\n"
        "2,100,1,502,simple,MH01-XS-Black,1.0000,0.0000,7,2026-11-01 10:00:00\n"
        "3,101,,600,simple,24-MB01,2.0000,34.0000,8,2026-11-02 11:00:00\n"
    )
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.quarantined_by_reason == {"child_line": 1}
    sales = [e for e in ingest_store.read() if e.type == "purchased"]
    assert [(e.item_id, e.payload["quantity"], e.payload["price_paid"]) for e in sales] == [
        ("501", 1, 52.0),
        ("600", 2, 34.0),
    ]


def test_a_child_line_whose_parent_line_is_not_in_the_file_is_the_sale(tmp_path: Path) -> None:
    """An export of Magento's order items for simple products only holds a child line
    (parent_item_id filled) without its parent's: it was quarantined as child_line and the sale
    lost. It is recorded; a child beside its parent's line is still quarantined, in CSV and JSON."""
    header = "item_id,order_id,parent_item_id,product_id,sku,qty_ordered,price,customer_id,created_at"
    rows = [
        "1,100,,501,MH01-S,1.0000,52.0000,7,2026-11-01 10:00:00",
        "2,100,1,502,MH01-S-Black,1.0000,0.0000,7,2026-11-01 10:00:00",
        "5,101,4,503,MH01-M-Black,1.0000,0.0000,8,2026-11-02 10:00:00",
        "7,102,,600,24-MB01,2.0000,34.0000,8,2026-11-02 11:00:00",
    ]
    csv_file = tmp_path / "sales_order_item.csv"
    csv_file.write_text("\n".join([header, *rows]) + "\n")
    json_file = tmp_path / "sales_order_item.jsonl"
    names = header.split(",")
    json_file.write_text(
        "".join(json.dumps(dict(zip(names, row.split(","), strict=True))) + "\n" for row in rows)
    )
    for path in (csv_file, json_file):
        with edgerec.open(tmp_path / f"{path.suffix[1:]}.db") as store:
            report = import_file(store, path)
            conserved(report)
            assert report.quarantined_by_reason == {"child_line": 1}
            assert [e.item_id for e in store.read() if e.type == "purchased"] == ["501", "503", "600"]


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_a_child_line_in_the_chunk_after_its_parents_is_no_second_sale(tmp_path: Path, suffix: str) -> None:
    """A file is read in chunks: a configurable product's parent line that ended one chunk and
    its child line that began the next were taken for a child without its parent, and the sale
    was recorded twice. The child is quarantined as child_line; a child whose parent line is in
    no chunk is still the sale."""
    header = "item_id,order_id,parent_item_id,product_id,sku,qty_ordered,price,customer_id,created_at"
    rows = [
        "1,100,,501,MH01-S,1.0000,52.0000,7,2026-11-01 10:00:00",
        "2,100,1,502,MH01-S-Black,1.0000,0.0000,7,2026-11-01 10:00:00",
        "5,101,4,503,MH01-M-Black,1.0000,0.0000,8,2026-11-02 10:00:00",
        "7,102,,600,24-MB01,2.0000,34.0000,8,2026-11-02 11:00:00",
    ]
    path = tmp_path / f"sales_order_item.{suffix}"
    names = header.split(",")
    if suffix == "csv":
        path.write_text("\n".join([header, *rows]) + "\n")
    else:
        path.write_text(
            "".join(json.dumps(dict(zip(names, row.split(","), strict=True))) + "\n" for row in rows)
        )
    for chunk_rows in (1, 3):
        with edgerec.open(tmp_path / f"{chunk_rows}.db") as store:
            report = import_file(store, path, chunk_rows=chunk_rows)
            conserved(report)
            assert report.quarantined_by_reason == {"child_line": 1}
            assert [e.item_id for e in store.read() if e.type == "purchased"] == ["501", "503", "600"]


@pytest.mark.parametrize("chunk_rows", [1, 50_000])
def test_a_cancelled_refunded_or_failed_order_is_no_sale(tmp_path: Path, chunk_rows: int) -> None:
    """Olist's orders carry an order_status (delivered, shipped, canceled, unavailable), a shop's
    export a status of each order (WooCommerce's Cancelled, Refunded, Failed; Shopify's voided
    Financial Status, or its Cancelled at, on an order's first line only): an order that sold
    nothing was imported as purchases. Its lines are quarantined as cancelled_order; a partial
    refund is still a sale, and a `status` of something other than an order is not read."""
    olist = tmp_path / "olist_orders_items.csv"
    olist.write_text(
        "order_id,customer_id,order_status,order_purchase_timestamp,order_item_id,product_id,price,"
        "customer_unique_id\n"
        "o1,c1,delivered,2017-10-02 10:56:33,1,p1,29.99,u1\n"
        "o2,c2,canceled,2017-07-09 21:57:05,1,p2,147.90,u2\n"
        "o3,c3,unavailable,2017-04-11 12:22:08,1,p3,49.90,u3\n"
        "o4,c4,shipped,2018-07-24 20:41:37,1,p4,118.70,u4\n"
    )
    shop = tmp_path / "orders.csv"
    shop.write_text(
        "order_id,status,customer_id,sku,qty,price,created_at\n"
        "100,wc-completed,7,TS-1,1,19.99,2024-03-01 10:00\n"
        "101,Cancelled,8,TS-2,1,9.99,2024-03-02 10:00\n"
        "102,Refunded,9,TS-3,1,5.00,2024-03-03 10:00\n"
        "103,Partially Refunded,9,TS-4,2,5.00,2024-03-04 10:00\n"
        "104,payment failed,9,TS-5,1,5.00,2024-03-05 10:00\n"
    )
    shopify = tmp_path / "orders_export.csv"
    shopify.write_text(
        "Name,Email,Financial Status,Created at,Lineitem quantity,Lineitem price,Lineitem sku,Cancelled at\n"
        "#1001,jane@example.com,paid,2024-03-01 10:15:00 +0100,2,19.99,TSHIRT,\n"
        "#1001,jane@example.com,,2024-03-01 10:15:00 +0100,1,4.99,SOCKS,\n"
        "#1002,bob@example.com,voided,2024-03-02 10:15:00 +0100,1,9.99,MUG,\n"
        "#1002,bob@example.com,,2024-03-02 10:15:00 +0100,1,9.99,CAP,\n"
        "#1003,amy@example.com,paid,2024-03-03 10:15:00 +0100,1,9.99,MUG,2024-03-04 09:00:00 +0100\n"
        "#1003,amy@example.com,,2024-03-03 10:15:00 +0100,1,9.99,CAP,\n"
    )
    accounts = tmp_path / "events.csv"  # a customer account's status, in a file of no orders
    accounts.write_text(
        "user_id,item_id,event_type,timestamp,status\n"
        "u1,i1,view,2024-03-01 10:00,cancelled\n"
        "u1,i1,purchase,2024-03-01 10:05,cancelled\n"
    )
    shopify_map = {"user": "Email", "item": "Lineitem sku", "quantity": "Lineitem quantity",
                   "price_paid": "Lineitem price", "order": "Name"}  # fmt: skip
    cases = [
        (olist, {"timestamp": "order_purchase_timestamp"}, 2, ["p1", "p4"]),
        (shop, None, 3, ["TS-1", "TS-4"]),
        (shopify, shopify_map, 4, ["TSHIRT", "SOCKS"]),
        (accounts, None, 0, ["i1"]),
    ]
    for path, mapping, cancelled, sold in cases:
        with edgerec.open(tmp_path / f"{path.stem}-{chunk_rows}.db") as store:
            report = import_file(store, path, mapping=mapping, chunk_rows=chunk_rows)
            conserved(report)
            assert report.quarantined_by_reason == ({"cancelled_order": cancelled} if cancelled else {})
            assert [e.item_id for e in store.read() if e.type == "purchased"] == sold
    lines = tmp_path / "events.jsonl"  # an event log's purchase, by its order's status
    rows = [
        ("view", "i1", "10:00", "canceled"),
        ("purchase", "i1", "10:05", "canceled"),
        ("purchase", "i2", "10:06", "delivered"),
    ]
    lines.write_text(
        "".join(
            json.dumps({"user_id": "u1", "item_id": item, "event": event, "ts": f"2024-03-01T{at}:00Z",
                        "order_status": status}) + "\n"
            for event, item, at, status in rows
        )
    )  # fmt: skip
    with edgerec.open(tmp_path / f"jsonl-{chunk_rows}.db") as store:
        report = import_file(store, lines, chunk_rows=chunk_rows)
        conserved(report)
        assert report.quarantined_by_reason == {"cancelled_order": 1}
        assert [(e.type, e.item_id) for e in store.read() if e.type != "session_started"] == [
            ("item_viewed", "i1"),
            ("purchased", "i2"),
        ]


def test_an_orders_status_is_read_by_its_whole_words(tmp_path: Path) -> None:
    """An order's status said it sold nothing in words the import did not know (a Refund,
    PrestaShop's Payment error, a German shop's Storniert, Shopify's expired, BigCommerce's
    Declined): its lines were imported as purchases; and one that said "not cancelled" was
    quarantined as cancelled. Each word is now read whole, with the word before it; a closed
    order (Shopify's archived one, a till's paid sale) is still a sale."""
    statuses = {
        "A": "Refund",
        "B": "Payment error",
        "C": "Storniert",
        "D": "expired",
        "E": "Declined",
        "F": "not cancelled",
        "G": "Closed",
        "H": "Teilweise erstattet",
        "I": "Abgeschlossen",
    }
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,status,customer_id,sku,qty,price,created_at\n"
        + "".join(
            f"{100 + i},{status},7,{sku},1,9.99,2024-03-01 10:0{i}\n"
            for i, (sku, status) in enumerate(statuses.items())
        )
    )
    with edgerec.open(tmp_path / "orders.db") as store:
        report = import_file(store, orders)
        conserved(report)
        assert report.quarantined_by_reason == {"cancelled_order": 5}
        assert [e.item_id for e in store.read() if e.type == "purchased"] == ["F", "G", "H", "I"]


def test_a_cancelled_at_placeholder_is_no_cancellation(tmp_path: Path) -> None:
    """A Cancelled at column that writes a placeholder where the order was not cancelled (0,
    N/A, -, false, MySQL's zero date; a JSON 0) read as filled, and each such order's lines were
    quarantined as cancelled_order: only a date, a time or a yes says the order was cancelled."""
    placeholders = ["0", "N/A", "-", "false", "0000-00-00 00:00:00", ""]
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,sku,qty,price,created_at,cancelled_at\n"
        + "".join(
            f"{100 + i},7,TS-{i},1,9.99,2024-03-01 10:00,{cell}\n" for i, cell in enumerate(placeholders)
        )
        + "200,8,MUG,1,9.99,2024-03-02 10:00,2024-03-03 09:00\n"
        + "201,8,CAP,1,9.99,2024-03-02 10:00,yes\n"
    )
    lines = tmp_path / "orders.jsonl"
    lines.write_text(
        "".join(
            json.dumps({"order_id": order, "customer_id": "c1", "sku": sku, "quantity": 1, "price": 2.0,
                        "created_at": "2024-03-01T10:00:00Z", "cancelled_at": cell}) + "\n"
            for order, sku, cell in [("1", "A", 0), ("2", "B", None), ("3", "C", False),
                                     ("4", "D", 1709550000)]
        )
    )  # fmt: skip
    for path, sold in [(orders, [f"TS-{i}" for i in range(len(placeholders))]), (lines, ["A", "B", "C"])]:
        with edgerec.open(tmp_path / f"{path.suffix[1:]}.db") as store:
            report = import_file(store, path)
            conserved(report)
            assert report.quarantined_by_reason == {"cancelled_order": 2 if path == orders else 1}
            assert [e.item_id for e in store.read() if e.type == "purchased"] == sold


def test_a_cancelled_orders_later_lines_written_blank_are_no_sale(tmp_path: Path) -> None:
    """Odoo's sale orders with their lines write the order's reference, customer, date and
    Status on its first line only: a cancelled order's first line was quarantined as
    cancelled_order and its later lines imported as purchases. They take the first line's
    status, in CSV and JSON lines; a till's sale after it (no order, a customer and a time) is
    its own."""
    names = [
        "Order Reference",
        "Customer",
        "Order Date",
        "Status",
        "Order Lines/Product",
        "Order Lines/Quantity",
    ]
    rows = [
        ["S00021", "Deco Addict", "2026-11-04 10:00:00", "Sales Order", "[FURN_7800] Desk", "1.00"],
        ["", "", "", "", "[FURN_8220] Chair", "2.00"],
        ["S00022", "Gemini Furniture", "2026-11-05 11:00:00", "Cancelled", "[E-COM11] Cabinet", "1.00"],
        ["", "", "", "", "[E-COM12] Shelf", "1.00"],
        ["", "", "", "", "[E-COM13] Lamp", "1.00"],
        ["", "Walk-in", "2026-11-05 12:00:00", "", "[E-COM13] Lamp", "1.00"],
    ]
    csv_file = tmp_path / "sale.order.csv"
    csv_file.write_text("".join(",".join(row) + "\n" for row in [names, *rows]))
    lines = tmp_path / "sale.order.jsonl"
    lines.write_text("".join(json.dumps(dict(zip(names, row, strict=True))) + "\n" for row in rows))
    mapping = {"item": "Order Lines/Product", "quantity": "Order Lines/Quantity", "default_type": "purchased"}
    for path in (csv_file, lines):
        for chunk_rows in (1, 4):
            with edgerec.open(tmp_path / f"{path.suffix[1:]}-{chunk_rows}.db") as store:
                report = import_file(store, path, mapping=mapping, chunk_rows=chunk_rows)
                conserved(report)
                assert report.quarantined_by_reason == {"cancelled_order": 3}
                assert [e.item_id for e in store.read() if e.type == "purchased"] == [
                    "[FURN_7800] Desk",
                    "[FURN_8220] Chair",
                    "[E-COM13] Lamp",
                ]


def test_a_user_id_beside_a_customer_column_is_refused_until_one_is_named(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A till's or an ERP's sales (Odoo's salesperson) name the cashier in `user_id` beside the
    `customer_id`, and an event log names its visitor in user_id with a customer_id only on its
    purchases: either column read for the customer stored the other's rows wrongly (every sale
    the cashier's, or the visitor's views quarantined). Such a file is refused, naming both and
    the way out, until a mapping names one."""
    path = tmp_path / "sales.csv"
    path.write_text(
        "receipt_id,created_at,user_id,customer_id,sku,qty,unit_price\n"
        "R1,2024-03-01 10:00:00,cashier7,C100,SKU1,1,2.50\n"
        "R2,2024-03-01 10:05:00,cashier7,C200,SKU1,1,2.50\n"
    )
    refusal = (
        "both 'user_id' and 'customer_id' may name the customer .*user=customer_id or --map user=user_id"
    )
    with pytest.raises(FormatError, match=refusal):
        import_file(ingest_store, path)
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "event_time,event_type,product_id,user_id,customer\n2024-03-01 10:00:00,view,p1,u1,\n"
        "2024-03-01 10:02:00,purchase,p1,u1,C77\n"
    )
    with pytest.raises(FormatError, match="both 'user_id' and 'customer' may name the customer"):
        import_file(ingest_store, visits)
    assert ingest_store.read() == []
    conserved(import_file(ingest_store, path, mapping={"user": "user_id"}))
    assert [user for _, user, _ in _events(ingest_store)] == ["cashier7", "cashier7"]
    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(main, ["--db", db, "import", str(path)])
    assert result.exit_code == 1 and "--map user=customer_id or --map user=user_id" in result.output
    result = CliRunner().invoke(main, ["--db", db, "import", str(path), "--map", "user=customer_id"])
    assert result.exit_code == 0, result.output
    with edgerec.open(db) as store:
        assert [user for _, user, _ in _events(store)] == ["C100", "C200"]


def test_a_json_lines_nested_customer_object_is_no_customer_column(tmp_path: Path) -> None:
    """A JSON line's `customer` object (its tier, not an id) beside user_id refused the file as
    having two customer columns, and the way out it named quarantined every row."""
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"user_id": "u1", "item_id": "i1", "event": "purchase", "timestamp": "2024-03-01T10:00:00Z", '
        '"customer": {"tier": "gold"}}\n'
        '{"user_id": "u2", "item_id": "i2", "event": "view", "timestamp": "2024-03-01T10:01:00Z"}\n'
    )
    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(main, ["--db", db, "import", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with edgerec.open(db) as store:
        assert [(user, item) for _, user, item in _events(store)] == [("u1", "i1"), ("u2", "i2")]


def test_an_item_id_beside_a_sku_is_the_item_where_no_order_is_named(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A catalogue or an event log with `item_id` and `sku` names the item in item_id: the SKU
    was taken instead, so the catalogue was listed under SKUs its events never name (every
    purchase quarantined as item_not_listed), and events with an empty SKU were quarantined. Only
    beside a column naming the order is item_id an order's line; --map item=item_id reads it
    there too."""
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "item_id,sku,name,price,category\n1001,TSHIRT-RED-M,Red T-shirt,19.99,tops\n"
        "1003,JEANS-32,Jeans,49.00,bottoms\n"
    )
    conserved(import_file(ingest_store, catalogue))
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,item_id,sku,event_type,timestamp\nu1,1001,,view,2024-03-01T10:00:00\n"
        "u1,1003,JEANS-32,purchase,2024-03-01T10:05:00\n"
    )
    report = import_file(ingest_store, events)
    assert (report.accepted, report.quarantined) == (2, 0)
    assert _events(ingest_store)[-2:] == [("item_viewed", "u1", "1001"), ("purchased", "u1", "1003")]
    assert {e.item_id for e in ingest_store.read() if e.type == "item_listed"} == {"1001", "1003"}
    lines = tmp_path / "order_lines.csv"
    lines.write_text(
        "increment_id,created_at,customer_id,item_id,sku,qty_ordered\n"
        "000000009,2024-03-04 10:00:00,17,41,24-MB01,1\n"
    )
    db = str(tmp_path / "cli.db")
    for args, item in (([], "24-MB01"), (["--map", "item=item_id"], "41")):
        result = CliRunner().invoke(main, ["--db", db, "import", str(lines), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        with edgerec.open(db) as store:
            assert store.read()[-1].item_id == item
        lines.write_text(lines.read_text().replace("10:00:00", "11:00:00"))


def test_an_event_log_whose_order_id_is_filled_on_purchases_keeps_its_item_id(tmp_path: Path) -> None:
    """An event log with an order_id on its purchases only and a product_id beside its item_id
    was read as an order's lines: the product was the item, the views quarantined for want of
    one and the purchase recorded under the parent product."""
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,item_id,event_type,timestamp,order_id,product_id\n"
        "u1,SKU1,view,2024-03-01T10:00:00,,\nu1,SKU1,purchase,2024-03-01T10:05:00,O1,P77\n"
        "u2,SKU2,view,2024-03-01T11:00:00,,\n"
    )
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text(
        '{"user_id": "u3", "item_id": "SKU3", "event_type": "view", "timestamp": "2024-03-02T10:00:00"}\n'
        '{"user_id": "u3", "item_id": "SKU3", "event_type": "purchase", "timestamp": "2024-03-02T10:05:00", '
        '"order_id": "O2", "product_id": "P78"}\n'
    )
    db = str(tmp_path / "cli.db")
    for path in (events, jsonl):
        result = CliRunner().invoke(main, ["--db", db, "import", str(path)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    with edgerec.open(db) as store:
        assert [e.item_id for e in store.read()] == ["SKU1", "SKU1", "SKU2", "SKU3", "SKU3"]
    # An order-lines export with one line of no order (a till sale) is still one: taken for an
    # event log, its line ids were stored as the items.
    lines = tmp_path / "order_lines.csv"
    lines.write_text(
        "order_id,created_at,customer_id,item_id,product_id,qty\n"
        "O1,2024-03-03 10:00:00,c1,501,P10,1\nO1,2024-03-03 10:00:00,c1,502,P11,1\n"
        ",2024-03-03 11:00:00,c2,503,P10,1\nO3,2024-03-03 12:00:00,c3,504,P12,1\n"
    )
    result = CliRunner().invoke(main, ["--db", db, "import", str(lines)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with edgerec.open(db) as store:
        assert [e.item_id for e in store.read()][-4:] == ["P10", "P11", "P10", "P12"]


def test_an_event_log_of_mostly_purchases_keeps_its_item_id(tmp_path: Path) -> None:
    """An event log whose order_id is filled on its purchases, most of its rows, was read as an
    order's lines: every event, the view too, recorded under the parent product_id. Its type
    column names a view: it is no order's lines, whatever share of its rows are purchases."""
    events = tmp_path / "events.csv"
    events.write_text(
        "timestamp,user_id,event_type,item_id,product_id,order_id\n"
        "2026-11-01 10:00:00,u1,view,V-RED-M,P1,\n2026-11-01 10:01:00,u1,purchase,V-RED-M,P1,O1\n"
        "2026-11-01 10:02:00,u2,purchase,V-BLUE-S,P1,O2\n"
    )
    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(main, ["--db", db, "import", str(events)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with edgerec.open(db) as store:
        assert _events(store) == [
            ("item_viewed", "u1", "V-RED-M"),
            ("purchased", "u1", "V-RED-M"),
            ("purchased", "u2", "V-BLUE-S"),
        ]


def test_an_event_logs_row_without_a_customer_or_time_is_no_later_line_of_an_order(tmp_path: Path) -> None:
    """In an event log whose purchases name their order, a row with no customer and no time
    was taken for a later line of the purchase before it and logged as that customer's view at
    that time; it is quarantined, as in the same log without the order column."""
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,item_id,event_type,timestamp,order_id\n"
        "u1,i1,view,2026-11-01 10:00:00,\nu1,i1,purchase,2026-11-01 10:05:00,O1\n,i2,view,,\n"
        "u2,i3,view,2026-11-01 11:00:00,\n"
    )
    with edgerec.open(tmp_path / "log.db") as store:
        report = import_file(store, events)
        assert (report.accepted, report.quarantined_by_reason) == (3, {"missing_occurred_at": 1})
        assert ("item_viewed", "u1", "i2") not in _events(store)


def test_a_feeds_stock_words_sale_price_and_category_are_read(ingest_store: Store, tmp_path: Path) -> None:
    """Google Merchant Center's feed: its availability was not read (the sold-out jacket was
    recommended), its sale_price not the price, its product_type not the category; a stock
    written as a word quarantined the item; WooCommerce's "In stock?" 0 beside an empty Stock
    was left available, and its 1 read as one left."""
    feed = tmp_path / "feed.tsv"
    feed.write_text(
        "id\ttitle\tprice\tsale_price\tavailability\tgoogle_product_category\tproduct_type\n"
        "G1\tShoe\t59.99 USD\t\tin stock\tApparel > Shoes\tShoes > Running\n"
        "G2\tJacket\t120.00 USD\t99.00 USD\tout of stock\tApparel > Outerwear\t\n"
        "G3\tBoot\t80.00 USD\t\tpreorder\t\t\n"
    )
    conserved(import_file(ingest_store, feed))
    words = tmp_path / "words.csv"
    words.write_text(
        "sku,title,price,special_price,stock\nW1,A,1,,https://schema.org/InStock\nW2,B,2,1.50,OutOfStock\n"
        "W3,C,1,,sold out\nW4,D,1,,backorder\nW5,E,1,,7\n"
    )
    conserved(import_file(ingest_store, words))
    woo = tmp_path / "wc-product-export.csv"
    woo.write_text('ID,Name,"In stock?",Stock,Regular price\n13,Beanie,1,,20\n14,Cap,0,,18\n15,Hat,1,5,9\n')
    conserved(import_file(ingest_store, woo))
    flags = tmp_path / "flags.csv"
    flags.write_text('ID,Name,"In stock?",Regular price\n16,Scarf,1,20\n17,Glove,0,18\n')
    conserved(import_file(ingest_store, flags))
    items = {
        i.item_id: (i.category, i.price, i.stock)
        for i in ShopData(ingest_store).items(limit=100, listed_only=False)
    }
    assert items == {
        "G1": ("Shoes > Running", 59.99, None),  # the shop's own product_type first
        "G2": ("Apparel > Outerwear", 99.0, 0),
        "G3": (None, 80.0, 0),  # on preorder: not to be had now
        "W1": (None, 1.0, None),
        "W2": (None, 1.5, 0),
        "W3": (None, 1.0, 0),
        "W4": (None, 1.0, 0),
        "W5": (None, 1.0, 7),
        "13": (None, 20.0, None),
        "14": (None, 18.0, 0),
        "15": (None, 9.0, 5),
        "16": (None, 20.0, None),
        "17": (None, 18.0, 0),
    }
    jacket = next(e for e in ingest_store.read() if e.item_id == "G2")
    assert jacket.payload["attributes"]["price"] == "120.00 USD"  # the regular price, kept


def test_an_item_set_out_of_stock_beside_its_count_is_none_left(ingest_store: Store, tmp_path: Path) -> None:
    """Magento keeps an item's qty when the shop sets it out of stock: is_in_stock 0 beside qty
    10 was listed with 10 left, and recommended; so was WooCommerce's "In stock?" 0 beside a
    Stock filled in."""
    magento = tmp_path / "catalog_product.csv"
    magento.write_text(
        "sku,store_view_code,attribute_set_code,product_type,name,price,qty,is_in_stock\n"
        "M1,,Default,simple,Yoga Mat,30.0000,10.0000,0\nM2,,Default,simple,Yoga Block,30.0000,10.0000,1\n"
        "M3,,Default,simple,Yoga Strap,30.0000,,0\nM4,,Default,simple,Yoga Bag,30.0000,0.0000,1\n"
    )
    conserved(import_file(ingest_store, magento))
    woo = tmp_path / "wc-product-export.csv"
    woo.write_text('ID,Name,"In stock?",Stock,Regular price\n13,Beanie,0,4,20\n14,Cap,1,4,18\n')
    conserved(import_file(ingest_store, woo))
    flags = tmp_path / "flags.csv"  # Magento's flag alone
    flags.write_text("sku,name,price,is_in_stock\nF1,Scarf,20,0\nF2,Glove,18,1\n")
    conserved(import_file(ingest_store, flags))
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {"M1": 0, "M2": 10, "M3": 0, "M4": 0, "13": 0, "14": 4, "F1": 0, "F2": None}


def test_a_product_type_is_a_category_only_in_a_google_feed(ingest_store: Store, tmp_path: Path) -> None:
    """Magento's product_type (simple, configurable, virtual) was read as the category of every
    product whose categories cell is empty; outside a feed with google_product_category it is an
    attribute."""
    magento = tmp_path / "magento.csv"
    magento.write_text(
        "sku,store_view_code,attribute_set_code,product_type,categories,name,price,qty\n"
        "TEE-S,,Top,simple,,Tee S,20,5\nTEE,,Top,configurable,Default Category/Men/Tops,Tee,20,0\n"
        "GIFT,,Default,virtual,,Gift card,50,\n"
    )
    conserved(import_file(ingest_store, magento))
    bigcommerce = tmp_path / "bigcommerce.csv"
    bigcommerce.write_text("Product ID,Product Type,Product Name,Price\n7,P,Lamp,30\n")
    conserved(import_file(ingest_store, bigcommerce))
    feed = tmp_path / "feed.csv"  # google_product_category is optional in a feed
    feed.write_text(
        "id,title,link,image_link,availability,price,product_type\n"
        "F1,Chair,https://x/1,https://x/1.jpg,in stock,40,Home > Furniture > Chairs\n"
    )
    conserved(import_file(ingest_store, feed))
    items = {i.item_id: i.category for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {
        "TEE-S": None,
        "TEE": "Default Category/Men/Tops",
        "GIFT": None,
        "7": None,
        "F1": "Home > Furniture > Chairs",
    }
    kept = {e.item_id: e.payload["attributes"] for e in ingest_store.read()}
    assert kept["GIFT"]["product_type"] == "virtual" and kept["7"]["Product Type"] == "P"


def test_a_sale_price_is_the_price_only_below_the_price_and_while_the_sale_runs(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A sale price of 0 (no sale), one above the price, and one of a sale that ended (Google's
    sale_price_effective_date, Magento's special_price_to_date) or whose dates cannot be read
    was taken as the price; WooCommerce's, before its regular price in the file, whatever it
    was; and a Magento sale's last day at 00:00:00 ended the sale a day early."""
    from datetime import UTC, datetime

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "id,title,price,sale_price,sale_price_effective_date\n"
        "A1,Red Mug,12.00,0,\nA3,Pink Mug,12.00,15.00,\n"
        "A4,Boots,100.00,60.00,2020-01-01T00:00-0800/2020-01-31T23:59-0800\n"
        "A6,Shoes,100.00,70.00,2020-01-01T00:00-0800/2099-01-31T23:59-0800\n"
        "A7,Hat,100.00,70.00,\nA8,Cap,100.00,70.00,soon\n"
    )
    conserved(import_file(ingest_store, feed))
    magento = tmp_path / "magento.csv"
    magento.write_text(
        "sku,name,price,special_price,special_price_from_date,special_price_to_date,qty\n"
        "S1,Coat,200,99,1/1/20,1/31/20,5\nS2,Scarf,200,99,1/1/20,,5\n"
        f"S3,Gloves,200,99,2020-01-01 00:00:00,{today} 00:00:00,5\n"  # its last day, inclusive
    )
    conserved(import_file(ingest_store, magento))
    woo = tmp_path / "wc-product-export.csv"  # its "Sale price" stands before "Regular price"
    woo.write_text(
        'ID,Name,"Sale price","Regular price","Date sale price starts","Date sale price ends"\n'
        "W1,Ended,80,100,2020-01-01,2020-01-31\nW2,Zero,0,100,,\nW3,Above,120,100,,\n"
        "W4,None,,100,,\nW5,Running,80,100,2020-01-01,2099-01-31\n"
    )
    conserved(import_file(ingest_store, woo))
    items = {i.item_id: i.price for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {
        "A1": 12.0,
        "A3": 12.0,
        "A4": 100.0,
        "A6": 70.0,
        "A7": 70.0,
        "A8": 100.0,
        "S1": 200.0,
        "S2": 99.0,
        "S3": 99.0,
        "W1": 100.0,
        "W2": 100.0,
        "W3": 100.0,
        "W4": 100.0,
        "W5": 80.0,
    }


def test_a_sale_s_dates_are_in_the_import_s_time_zone(ingest_store: Store, tmp_path: Path) -> None:
    """--timezone was not applied to a catalogue's sale dates: a sale running two more hours in
    Los Angeles was read as ended hours ago in UTC, one that ended in Tokyo as running, and a
    Magento sale's last day at 00:00:00 local time ended at that midnight."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    def at(zone: str, hours: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        return (datetime.now(ZoneInfo(zone)) + timedelta(hours=hours)).strftime(fmt)

    header = "sku,name,price,special_price,special_price_from_date,special_price_to_date\n"
    west = tmp_path / "west.csv"
    west.write_text(
        header + f"M1,Yoga Mat,30.00,25.00,{at('America/Los_Angeles', -120)},{at('America/Los_Angeles', 2)}\n"
        f"M2,Yoga Block,30.00,25.00,2020-01-01 00:00:00,{at('America/Los_Angeles', 0, '%Y-%m-%d 00:00:00')}\n"
    )
    conserved(import_file(ingest_store, west, source_timezone="America/Los_Angeles"))
    east = tmp_path / "east.csv"
    east.write_text(header + f"M3,Yoga Strap,30.00,25.00,{at('Asia/Tokyo', -120)},{at('Asia/Tokyo', -2)}\n")
    conserved(import_file(ingest_store, east, source_timezone="Asia/Tokyo"))
    items = {i.item_id: i.price for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {"M1": 25.0, "M2": 25.0, "M3": 30.0}


def test_an_empty_price_is_no_sale_price_that_ended_or_is_0(ingest_store: Store, tmp_path: Path) -> None:
    """A regular price left empty or N/A was filled from the sale price beside it even where the
    sale had ended (the mat listed at its old offer) or the sale price was 0 (the block listed
    free), though with a regular price such a sale price is ignored; a running one is the price."""
    magento = tmp_path / "products.csv"
    magento.write_text(
        "sku,name,price,special_price,special_price_from_date,special_price_to_date,qty\n"
        "M1,Yoga Mat,N/A,25.00,2020-01-01,2020-01-31,4\nM2,Yoga Block,,0,,,4\n"
        "M3,Yoga Strap,30.00,0,,,4\nM4,Yoga Bag,,20.00,2020-01-01,2099-01-31,4\n"
    )
    conserved(import_file(ingest_store, magento))
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        '{"id": "G1", "title": "Mug", "price": null, "sale_price": 0}\n'
        '{"id": "G2", "title": "Cup", "regular_price": "", "sale_price": 4.5}\n'
    )
    conserved(import_file(ingest_store, feed))
    items = {i.item_id: i.price for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {"M1": None, "M2": None, "M3": 30.0, "M4": 20.0, "G1": None, "G2": 4.5}


def test_a_placeholder_for_no_price_or_stock_lists_the_item_and_excel_ids_are_read(
    ingest_store: Store, tmp_path: Path
) -> None:
    """ "N/A" or "-" in a price or stock cell quarantined the item, where an empty cell lists
    it; an id written for Excel as ="0108775015" (to keep its zeros) kept the formula, so a
    plain events file's purchase of 0108775015 was of an item the catalogue does not list."""
    catalogue = tmp_path / "articles.csv"
    catalogue.write_text(
        "article_id,prod_name,price,stock\n"
        '="0108775015",Strap top,N/A,3\nA2,Cup,-,n/a\nA3,Bowl,\u2014,NULL\nA4,Vase,about ten,1\n'
    )
    report = import_file(ingest_store, catalogue)
    conserved(report)
    assert report.quarantined_by_reason == {"invalid_price": 1}  # a price that is none, refused
    items = {i.item_id: (i.price, i.stock) for i in ShopData(ingest_store).items(limit=100)}
    assert items == {"0108775015": (None, 3), "A2": (None, None), "A3": (None, None)}
    sales = tmp_path / "transactions.csv"
    sales.write_text('customer_id,article_id,t_dat,price\n="00042",0108775015,2024-03-01,9.99\n')
    conserved(import_file(ingest_store, sales))
    assert [e for e in _events(ingest_store) if e[0] == "purchased"] == [("purchased", "00042", "0108775015")]


def test_an_availability_that_says_no_count_lists_the_item_and_a_stock_of_none_is_none_left(
    ingest_store: Store, tmp_path: Path
) -> None:
    """An availability that is no stock word ("Ships in 3-5 days", a date) quarantined the item
    as invalid_stock; it is a count not known, its text kept. A stock of "none" was read as no
    value, the sold-out crayon listed as available; a bad count in a stock column is refused."""
    lamps = tmp_path / "lamps.csv"
    lamps.write_text(
        "id,title,price,availability\nB1,Desk Lamp,30,Ships in 3-5 days\nB2,Floor Lamp,60,in stock\n"
        "B3,Wall Lamp,40,2024-06-01\nB4,Table Lamp,25,Limited\nB5,Night Lamp,15,out of stock\n"
        "B6,Reading Lamp,20,Temporarily out of stock\nB7,Lava Lamp,35,Currently unavailable\n"
    )
    conserved(import_file(ingest_store, lamps))
    counts = tmp_path / "counts.csv"
    counts.write_text("id,title,price,stock\nC1,Pen,1.5,12\nC6,Crayon,2,none\nC8,Ink,3,Limited\n")
    report = import_file(ingest_store, counts)
    assert report.quarantined_by_reason == {"invalid_stock": 1}
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {
        "B1": None,
        "B2": None,
        "B3": None,
        "B4": None,
        "B5": 0,
        "B6": 0,  # words that say it cannot be had: none, not a count not known
        "B7": 0,
        "C1": 12,
        "C6": 0,
    }
    kept = {e.item_id: e.payload["attributes"] for e in ingest_store.read()}
    assert kept["B1"] == {"availability": "Ships in 3-5 days"} and kept["B2"] == {}


def test_a_stock_column_reads_thousands_and_words_that_say_none_can_be_had(
    ingest_store: Store, tmp_path: Path
) -> None:
    """In a stock column (not an availability), "1,200" and "Temporarily out of stock"
    quarantined the item as invalid_stock, where "Out of stock" there and a price "1,299.00"
    read; a stock that is no count is refused saying how to list the items anyway."""
    products = tmp_path / "products.csv"
    products.write_text(
        'item_id,title,price,stock\n1,Lamp,"1,299.00",Temporarily out of stock\n2,Mug,3.50,Out of stock\n'
        '3,Screws,0.10,"1,200"\n4,Plate,4.00,12\n5,Bowl,2.00,Ships in 3 days\n'
    )
    report = import_file(ingest_store, products)
    conserved(report)
    assert report.quarantined_by_reason == {"invalid_stock": 1}
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {"1": 0, "2": 0, "3": 1200, "4": 12}
    with ingest_store.engine.connect() as connection:
        [refused] = connection.execute(quarantine.select()).all()
    assert "Ships in 3 days" in refused.detail and "--map stock=none" in refused.detail


def test_a_stock_and_a_price_read_thousands_grouped_with_spaces_or_apostrophes(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A stock "1 200" (a space, a no-break, narrow no-break or thin space, or the Swiss ’)
    quarantined the item as invalid_stock, though "1,200" read and the price "1 234,50 €" beside
    it too; a price "CHF 1’299.50" or with a thin space was refused. Two numbers are still none."""
    products = tmp_path / "produits.csv"
    products.write_text(
        'id,title,price,stock\nS1,Riz,"1 234,50 €",1 200\nS2,Pâtes,"1\u00a0234,50 €",1\u00a0200\n'
        'S3,Lait,"2,10 €",1\u202f200\nS4,Käse,CHF 1’299.50,1’200\nS5,Sel,"1\u2009299,50 €",1\u2009200\n'
        "S6,Öl,3,1'200'000\nS7,Mehl,2,12 34\nS8,Salz,12\u200934 €,1\n",
        encoding="utf-8",
    )
    report = import_file(ingest_store, products)
    conserved(report)
    assert report.quarantined_by_reason == {"invalid_stock": 1, "invalid_price": 1}
    items = {i.item_id: (i.price, i.stock) for i in ShopData(ingest_store).items(limit=100)}
    assert items == {
        "S1": (1234.5, 1200),
        "S2": (1234.5, 1200),
        "S3": (2.1, 1200),
        "S4": (1299.5, 1200),
        "S5": (1299.5, 1200),
        "S6": (3.0, 1200000),
    }


def test_a_stock_with_only_zeros_before_a_comma_is_no_thousands(ingest_store: Store, tmp_path: Path) -> None:
    """A stock "0,500" read as 500, its comma taken to group thousands, though no one writes
    five hundred so: it is a decimal comma, and half an item is no count. The price "0,500"
    beside it is a half, not 500; "1,200", "12,000" and "1,200,000" read as before."""
    products = tmp_path / "stock.csv"
    products.write_text(
        'id,title,price,stock\nA,Tea,"0,500","0,500"\nB,Jam,1.00,"1,200"\nC,Oil,"0,500","12,000"\n'
        'D,Salt,1.00,"1,200,000"\nE,Rice,"00,250","00,500"\nF,Flour,"000,250",3\n'
    )
    report = import_file(ingest_store, products)
    conserved(report)
    assert report.quarantined_by_reason == {"invalid_stock": 2}
    with ingest_store.engine.connect() as connection:
        details = sorted(row.detail for row in connection.execute(quarantine.select()))
    assert [d.split(" is not")[0] for d in details] == ["stock: '0,500'", "stock: '00,500'"]
    items = {i.item_id: (i.price, i.stock) for i in ShopData(ingest_store).items(limit=10)}
    assert items == {"B": (1.0, 1200), "C": (0.5, 12000), "D": (1.0, 1200000), "F": (0.25, 3)}


def test_a_stock_reads_thousands_grouped_with_a_dot(ingest_store: Store, tmp_path: Path) -> None:
    """A stock "1.200", as a German shop system exports it, quarantined the item as
    invalid_stock, though "1,200" read: a count is whole, so a dot before exactly three digits
    groups thousands. A column that writes its dots as decimals ("5.0", "0.000", "1.5") keeps
    "12.000" as 12 and refuses "1.5" and "1.200", and so does one whose every count has three
    decimals ("7.000", an ERP's export), where a first version read 7000. The prices beside keep
    their own rules."""
    products = tmp_path / "artikel.csv"
    products.write_text(
        'id,title,price,stock\nD1,Reis,"1.234,50 €",1.200\nD2,Nudeln,"2,10 €",1.200.000\nD3,Milch,1.299,12\n',
        encoding="utf-8",
    )
    decimals = tmp_path / "decimals.csv"
    decimals.write_text(
        "id,title,price,stock\nE1,Tea,2.50,12.000\nE2,Jam,3.00,0.000\nE3,Oil,4.00,5.0\nE4,Rice,1.00,1.5\n"
        "E5,Salt,1.00,1.200\n"
    )
    erp = tmp_path / "erp.csv"
    erp.write_text("id,title,price,stock\nF1,Soap,1.00,7.000\nF2,Comb,1.00,25.000\nF3,Brush,1.00,3.000\n")
    report = import_file(ingest_store, products)
    conserved(report)
    assert report.quarantined_by_reason == {}
    conserved(import_file(ingest_store, erp))
    report = import_file(ingest_store, decimals)
    conserved(report)
    assert report.quarantined_by_reason == {"invalid_stock": 2}
    with ingest_store.engine.connect() as connection:
        details = [row.detail for row in connection.execute(quarantine.select())]
    assert any("'1.5' is not an integer" in detail for detail in details)
    assert any("'1.200' is not an integer" in detail for detail in details)
    items = {i.item_id: (i.price, i.stock) for i in ShopData(ingest_store).items(limit=100)}
    assert items == {
        "D1": (1234.5, 1200),
        "D2": (2.1, 1200000),
        "D3": (1.299, 12),
        "E1": (2.5, 12),
        "E2": (3.0, 0),
        "E3": (4.0, 5),
        "F1": (1.0, 7),
        "F2": (1.0, 25),
        "F3": (1.0, 3),
    }


def test_a_stock_column_reads_its_dots_one_way_in_every_chunk(ingest_store: Store, tmp_path: Path) -> None:
    """Each chunk judged the column's dots on its own: a "12.000" read 12 in the chunk that also
    held a "5.0" and 12000 in the next one, beside a "1.200". The first chunk that shows decides
    for the file: there the dots are decimals, and "1.200" is refused."""
    products = tmp_path / "decimals.csv"
    products.write_text(
        "id,title,price,stock\nA,Tea,2.50,5.0\nB,Jam,3.00,12.000\nC,Oil,4.00,12.000\nD,Salt,1.00,1.200\n"
    )
    report = import_file(ingest_store, products, chunk_rows=2)
    conserved(report)
    assert report.quarantined_by_reason == {"invalid_stock": 1}
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=10)}
    assert items == {"A": 5, "B": 12, "C": 12}


def test_a_stock_column_keeps_the_reading_its_first_dotted_counts_had(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A first chunk of "7.000" and "25.000" alone (an ERP's counts with three decimals) read 7
    and 25, and the next chunk, beside a "1.200", read its "7.000" as 7000: the same text two
    ways in one file. The chunk that first reads a dotted count decides for the file, and a
    later "1.200" is refused, saying why."""
    products = tmp_path / "erp.csv"
    products.write_text(
        "id,title,price,stock\nA,Soap,1.00,7.000\nB,Comb,1.00,25.000\nC,Brush,1.00,7.000\nD,Salt,1.00,1.200\n"
    )
    report = import_file(ingest_store, products, chunk_rows=2)
    conserved(report)
    assert report.quarantined_by_reason == {"invalid_stock": 1}
    with ingest_store.engine.connect() as connection:
        (detail,) = [row.detail for row in connection.execute(quarantine.select())]
    assert "'1.200' is not an integer: this file's stock column writes its dots as decimal marks" in detail
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=10)}
    assert items == {"A": 7, "B": 25, "C": 7}


def test_stock_words_in_the_main_shop_languages_are_read(ingest_store: Store, tmp_path: Path) -> None:
    """Stock words were English only: "ausverkauft", "rupture de stock", "在庫切れ" or "нет в
    наличии" in an availability were a count not known, the sold-out items recommended, and in
    a stock column "auf Lager" quarantined its row. A word is compared in any case, and composed
    (NFC) where a Mac wrote it decomposed."""
    sold_out = [
        "ausverkauft", "Rupture de stock", "agotado", "esgotado", "esaurito", "uitverkocht",
        "slutsåld", "在庫切れ", "缺货", "нет в наличии", "품절", "NICHT VERFÜGBAR",
        unicodedata.normalize("NFD", "Épuisé"),
    ]  # fmt: skip
    in_stock = ["auf Lager", "en stock", "Disponible", "in voorraad", "在庫あり", "有货", "В наличии"]
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "id,title,price,availability\n"
        + "".join(f"O{i},Out {i},1,{word}\n" for i, word in enumerate(sold_out))
        + "".join(f"I{i},In {i},1,{word}\n" for i, word in enumerate(in_stock)),
        encoding="utf-8",
    )
    conserved(import_file(ingest_store, feed))
    counts = tmp_path / "lager.csv"
    counts.write_text("id,title,price,stock\nL1,Brot,1,auf Lager\nL2,Milch,1,Ausverkauft\nL3,Käse,1,3\n")
    report = import_file(ingest_store, counts)
    assert report.quarantined == 0
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {
        **{f"O{i}": 0 for i in range(len(sold_out))},
        **{f"I{i}": None for i in range(len(in_stock))},
        **{"L1": None, "L2": 0, "L3": 3},
    }
    assert all(e.payload["attributes"] == {} for e in ingest_store.read() if e.type == "item_listed")


def test_an_availability_of_no_longer_not_yet_or_back_later_is_none_to_be_had(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A feed's "No longer available", "Not yet available" and "Back in stock soon" were read as
    in stock, count not known: the lamps were recommended though none can be had now."""
    feed = tmp_path / "feed.tsv"
    feed.write_text(
        "id\ttitle\tlink\timage_link\tavailability\tprice\n"
        "F1\tOld Lamp\thttp://x/1\thttp://x/1.jpg\tNo longer available\t20.00 USD\n"
        "F2\tNew Lamp\thttp://x/2\thttp://x/2.jpg\tNot yet available\t20.00 USD\n"
        "F3\tDesk Lamp\thttp://x/3\thttp://x/3.jpg\tBack in stock soon\t20.00 USD\n"
        "F4\tWall Lamp\thttp://x/4\thttp://x/4.jpg\tAvailable for pre-order\t20.00 USD\n"
        "F5\tTable Lamp\thttp://x/5\thttp://x/5.jpg\tBack in stock!\t20.00 USD\n"
        "F6\tLava Lamp\thttp://x/6\thttp://x/6.jpg\tShips in 3-5 days\t20.00 USD\n"
    )
    conserved(import_file(ingest_store, feed))
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {"F1": 0, "F2": 0, "F3": 0, "F4": 0, "F5": None, "F6": None}


def test_an_availability_of_in_stock_soon_or_available_later_is_none_to_be_had(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Availabilities "In stock soon", "Available soon" and "Available from 1 December" were read
    as in stock, count not known, and the items recommended, though "Back in stock soon" was
    none to be had."""
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "id,title,price,availability\n"
        "V1,Lamp,10,Back in stock soon\nV2,Kettle,10,In stock soon\nV3,Toaster,10,Available soon\n"
        "V4,Fan,10,Available from 1 December\nV5,Heater,10,Available from our partners\n"
    )
    conserved(import_file(ingest_store, feed))
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {"V1": 0, "V2": 0, "V3": 0, "V4": 0, "V5": None}


def test_an_availability_that_says_nearly_sold_out_is_in_stock(ingest_store: Store, tmp_path: Path) -> None:
    """ "Almost sold out", "Fast ausverkauft", "Nicht mehr lange verfügbar", "품절임박" and "Nicht
    mehr als 2 pro Kunde" held a word of none to be had and were stored as stock 0: items still
    on the shelf were never recommended. They are in stock, count not known."""
    nearly = [
        "Almost sold out", "Nearly out of stock", "Fast ausverkauft", "Bald ausverkauft",
        "Nicht mehr lange verfügbar", "Presque épuisé", "Casi agotado", "Quasi esaurito", "Quase esgotado",
        "Bijna uitverkocht", "Nästan slutsåld", "Prawie wyprzedane", "Почти распродано", "품절임박",
        "Nicht mehr als 2 pro Kunde",
    ]  # fmt: skip
    sold_out = ["Ausverkauft", "Nicht mehr verfügbar", "épuisé", "품절"]
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "id,title,price,availability\n"
        + "".join(f"N{i},Nearly {i},1,{word}\n" for i, word in enumerate(nearly))
        + "".join(f"O{i},Out {i},1,{word}\n" for i, word in enumerate(sold_out)),
        encoding="utf-8",
    )
    report = import_file(ingest_store, feed)
    assert report.quarantined == 0
    items = {i.item_id: i.stock for i in ShopData(ingest_store).items(limit=100, listed_only=False)}
    assert items == {
        **{f"N{i}": None for i in range(len(nearly))},
        **{f"O{i}": 0 for i in range(len(sold_out))},
    }
