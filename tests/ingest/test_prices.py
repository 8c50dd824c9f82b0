"""Numbers as people write them: prices with signs, codes and separators; decimal commas."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgerec.api import Store
from edgerec.ingest import import_file
from edgerec.ingest.convert import floats, prices


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("12.99", 12.99),
        ("$1,299.00", 1299.0),
        ("1.299,00 €", 1299.0),
        ("12,99", 12.99),
        ("USD 12.00", 12.0),
        ("12 USD", 12.0),
        ("1 299,50", 1299.5),
        ("1\u00a0299,00\u00a0€", 1299.0),
        ("CHF 1'299.50", 1299.5),
        ("CHF 1’299.50", 1299.5),  # the Swiss typographic apostrophe
        ("1\u2009299,50 €", 1299.5),  # a thin space
        ("R$ 10,00", 10.0),
        ("10 kr.", 10.0),
        ("£0.99", 0.99),
        (",5", 0.5),
        ("0,500", 0.5),  # no thousands follow a lone 0: a decimal comma
        ("0,500 €", 0.5),
        ("KWD 0,500", 0.5),  # a dinar's three decimals
        ("1,299", 1299.0),
        ("1,299,000", 1299000.0),
        ("1.299.000", 1299000.0),
        ("₹1,23,456.00", 123456.0),
        ("1.299", 1.299),  # a dot alone is a decimal point, as in any number
        ("$1.299", 1.299),  # with a currency sign too
        (7, 7.0),
        ("Free", 0.0),  # an app store's price
        (" FREE ", 0.0),
        ("Free To Play", 0.0),  # Steam's
        ("Free-to-Play", 0.0),
        ("Free Demo", 0.0),
        ("Play for Free!", 0.0),
        ("Free Movie", 0.0),
        ("Install Now", 0.0),
        ("12 eur", 12.0),
        ("TRY 5", 5.0),
        ("US$ 5", 5.0),
        ("5 zł", 5.0),
        ("100 Kč", 100.0),
        ("Rs. 499", 499.0),
        ("R 100", 100.0),  # rand
        ("N 1,200", 1200.0),  # naira, as a keyboard without ₦ writes it
        ("1,200円", 1200.0),
        ("PKR 2,450", 2450.0),
        ("KSh 1,500", 1500.0),
        ("1000 FCFA", 1000.0),
        ("S/. 25.90", 25.9),
        ("US $12.99", 12.99),
        ("GH¢ 20", 20.0),  # cedis
        ("50¢", 0.5),  # cents
        ("99:-", 99.0),  # a whole amount, as Sweden, Germany and Switzerland end it
        ("12,-", 12.0),
        ("CHF 12.-", 12.0),
        ("1.299,- €", 1299.0),  # after a whole amount's ending every mark groups thousands
        ("1 299,-", 1299.0),
        ("Rp 125.000", 125000.0),  # a currency without cents: a dot before three digits groups
        ("45.000 ₫", 45000.0),
        ("JPY 1.200", 1200.0),
        ("1.200円", 1200.0),
        ("Rp 12.50", 12.5),  # not before three digits: a decimal point still
        ("¥1.299", 1.299),  # the yuan's sign too, and the yuan has cents
    ],
)
def test_a_price_in_a_shop_s_notation_reads_as_its_amount(text: object, price: float) -> None:
    assert prices([text], "price") == ([price], [None])


@pytest.mark.parametrize(
    "text",
    [
        *(
            "Free shipping",
            "about 12",
            "1,2,3",
            "12.5.6",
            "12,",
            "12€99",
            "$",
            "1,299 000",
            "12 34",
            "12\u200934",
            "12’34",
            "1.2,99",
            "12.5,-",  # a whole amount with decimals
            "0 500",  # no thousands follow a lone 0
            "0,500,000",
        ),
        # a word beside a number is no currency unless it names one
        *("Only 5 left", "10 kg", "5 lbs", "x2", "Sold 12", "Top 5", "zoe123"),
        # one letter is a currency before the amount only: after it, a thousand or litres
        *("5 K", "5 L"),
    ],
)
def test_text_that_is_not_a_price_is_a_problem_naming_it(text: str) -> None:
    values, problems = prices([text], "price")
    assert values == [None]
    assert problems == [("invalid_price", f"price: {text!r} is not a price")]


def test_a_european_catalogue_and_sales_file_import_whole(ingest_store: Store, tmp_path: Path) -> None:
    catalogue = tmp_path / "artikel.csv"
    catalogue.write_text(
        "id;title;category;price;stock\n"
        "a1;Lampe;Home;1.299,00 €;3\n"
        "a2;Tasse;Home;12,99 €;5\n"
        "a3;Stift;Office;EUR 3,50;9\n"
    )
    report = import_file(ingest_store, catalogue)
    assert (report.format, report.accepted, report.quarantined) == ("catalogue", 3, 0)
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "customer_id,item_id,timestamp,event,price\n"
        'c1,a1,2024-05-01T10:00:00Z,purchase,"1.299,00 €"\n'
        'c1,a2,2024-05-01T10:05:00Z,purchase,"12,99"\n'
    )
    report = import_file(ingest_store, sales)
    assert (report.accepted, report.quarantined) == (2, 0)
    listed = {e.item_id: e.payload["price"] for e in ingest_store.read() if e.type == "item_listed"}
    paid = [e.payload["price_paid"] for e in ingest_store.read() if e.type == "purchased"]
    assert listed == {"a1": 1299.0, "a2": 12.99, "a3": 3.5}
    assert paid == [1299.0, 12.99]


def test_a_sale_whose_price_paid_is_a_word_and_a_number_is_quarantined(
    ingest_store: Store, tmp_path: Path
) -> None:
    """'zoe123' in price_paid was read as a sale at 123.0: any short word passed for a currency."""
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "customer_id,item_id,timestamp,event,price_paid\n"
        "c1,a1,2024-05-01T10:00:00Z,purchase,zoe123\n"
        "c1,a2,2024-05-01T10:05:00Z,purchase,EUR 12\n"
    )
    report = import_file(ingest_store, sales)
    assert (report.accepted, report.quarantined) == (1, 1)
    assert [e.payload["price_paid"] for e in ingest_store.read() if e.type == "purchased"] == [12.0]


def test_a_price_in_full_width_or_arabic_indic_digits_reads_as_its_amount(
    ingest_store: Store, tmp_path: Path
) -> None:
    """'１２００円', '￥９８０' and '٢٥ ر.س' were listed at 0.0, nothing quarantined: their
    digits matched as digits, then were dropped as not ASCII's, leaving '0'."""
    catalogue = tmp_path / "shohin.csv"
    catalogue.write_text(
        "id,title,price,stock\n"
        "ja1,Matcha,１２００円,５\n"
        "ja2,Sencha,￥９８０,３\n"
        'ja3,Gyokuro,"１，２５０．５０円",1\n'
        "ar1,Dates,٢٥ ر.س,٤\n"
        "ar2,Figs,١٢٫٥٠ ر.س,1\n",
        encoding="utf-8",
    )
    report = import_file(ingest_store, catalogue)
    assert (report.format, report.accepted, report.quarantined) == ("catalogue", 5, 0)
    sales = tmp_path / "uriage.csv"
    sales.write_text(
        "customer_id,item_id,timestamp,event,price\nc1,ja1,2024-05-01T10:00:00Z,purchase,１２００円\n",
        encoding="utf-8",
    )
    assert import_file(ingest_store, sales).accepted == 1
    listed = {e.item_id: e.payload["price"] for e in ingest_store.read() if e.type == "item_listed"}
    paid = [e.payload["price_paid"] for e in ingest_store.read() if e.type == "purchased"]
    assert listed == {"ja1": 1200.0, "ja2": 980.0, "ja3": 1250.5, "ar1": 25.0, "ar2": 12.5}
    assert paid == [1200.0]
    # A digit that is no decimal one (a superscript) is no price, not a price without it.
    assert prices(["12.\u00b2", "5\u00b2 €"], "price")[0] == [None, None]


def test_whole_amounts_and_prices_without_cents_read_their_thousands(
    ingest_store: Store, tmp_path: Path
) -> None:
    """'1.299,- €' was listed at 1.299, and 'Rp 125.000' and '45.000 ₫' at 125.0 and 45.0: a dot
    alone was read as a decimal point though ',-' says the amount is whole, and though the
    rupiah and the dong are never written with cents."""
    catalogue = tmp_path / "katalog.csv"
    catalogue.write_text(
        "id,title,price\n"
        'tv1,Fernseher 55 Zoll,"1.299,- €"\n'
        'tv2,Fernseher 65 Zoll,"1.999,-"\n'
        "id1,Kopi Luwak 100g,Rp 125.000\n"
        "vn1,Cà phê sữa,45.000 ₫\n"
        'de1,Tasse,"12,-"\n'
        "de2,Lampe,1.299 €\n",
        encoding="utf-8",
    )
    report = import_file(ingest_store, catalogue)
    assert (report.format, report.accepted, report.quarantined) == ("catalogue", 6, 0)
    sales = tmp_path / "sales.csv"
    sales.write_text(
        'customer_id,item_id,timestamp,event,price\nc1,tv1,2024-05-01T10:00:00Z,purchase,"1.299,-"\n'
    )
    assert import_file(ingest_store, sales).accepted == 1
    listed = {e.item_id: e.payload["price"] for e in ingest_store.read() if e.type == "item_listed"}
    paid = [e.payload["price_paid"] for e in ingest_store.read() if e.type == "purchased"]
    assert listed == {
        "tv1": 1299.0,
        "tv2": 1999.0,
        "id1": 125000.0,
        "vn1": 45000.0,
        "de1": 12.0,
        "de2": 1.299,
    }
    assert paid == [1299.0]


def test_a_whole_amount_ending_with_an_en_or_em_dash_reads_as_its_amount(
    ingest_store: Store, tmp_path: Path
) -> None:
    """'CHF 12.–', '1.299,– €' and '99.—', as Swiss and German typography writes a whole amount,
    quarantined their rows as invalid_price, though 'CHF 12.-' and '1.299,- €' read."""
    catalogue = tmp_path / "katalog.csv"
    catalogue.write_text(
        "id,title,price\n"
        "W1,Hemd,CHF 12.-\nW2,Hemd 2,CHF 12.–\n"
        'W3,Jacke,"1.299,- €"\nW4,Jacke 2,"1.299,– €"\nW5,Mantel,99.—\nW6,Skor,99:–\n',
        encoding="utf-8",
    )
    report = import_file(ingest_store, catalogue)
    assert (report.accepted, report.quarantined) == (6, 0)
    listed = {e.item_id: e.payload["price"] for e in ingest_store.read() if e.type == "item_listed"}
    assert listed == {"W1": 12.0, "W2": 12.0, "W3": 1299.0, "W4": 1299.0, "W5": 99.0, "W6": 99.0}


def test_prices_in_currencies_whose_cents_are_never_written_read_their_thousands(
    ingest_store: Store, tmp_path: Path
) -> None:
    """'12.990 Ft', 'COP 129.900', '129.000 ₭', '15.000 Ks', 'JP¥1.200' and 'CLP$ 9.990' were
    listed 1000 times too cheap (12.99, 129.9, ...), though 'JPY 1.200' and 'CLP 9.990' read:
    the forint, Colombian peso, kip and kyat have cents in ISO 4217 but never on a price tag,
    and 'JP¥' and 'CLP$' name the yen and the Chilean peso as surely as their codes."""
    catalogue = tmp_path / "cat.csv"
    catalogue.write_text(
        "item_id,title,price\n"
        "H1,Kabát,12.990 Ft\nH2,Kabát 2,HUF 12.990\nC1,Chaqueta,COP 129.900\nC2,Chaqueta 2,COL$ 129.900\n"
        "L1,Jacket LA,129.000 ₭\nM1,Jacket MM,15.000 Ks\nJ1,Jacket JP,JP¥1.200\nK1,Chaqueta CL,CLP$ 9.990\n"
        "T1,Koti,TSh 25.000\nU1,Kurtka,UZS 150.000\nH3,Sál,12.5 Ft\nY1,Cup,¥1.299\n",
        encoding="utf-8",
    )
    report = import_file(ingest_store, catalogue)
    assert (report.accepted, report.quarantined) == (12, 0)
    listed = {e.item_id: e.payload["price"] for e in ingest_store.read() if e.type == "item_listed"}
    assert listed == {
        "H1": 12990.0, "H2": 12990.0, "C1": 129900.0, "C2": 129900.0, "L1": 129000.0, "M1": 15000.0,
        "J1": 1200.0, "K1": 9990.0, "T1": 25000.0, "U1": 150000.0, "H3": 12.5, "Y1": 1.299,
    }  # fmt: skip


def test_a_rating_with_a_decimal_comma_reads_as_its_value() -> None:
    assert floats(["4,5", "3", " 2,0 "], "value") == ([4.5, 3.0, 2.0], [None, None, None])
    values, problems = floats(["4,5,1", "1.2,3", "1,000"], "value")
    assert values == [None, None, None] and all(p and p[0] == "invalid_value" for p in problems)


def test_steam_s_free_to_play_games_are_listed_at_0(ingest_store: Store, tmp_path: Path) -> None:
    """Steam's games metadata writes a free game's price 'Free To Play' ('Free Movie', 'Install
    Now'): 'Free' alone read as 0, and such a game was quarantined as invalid_price, not listed."""
    games = tmp_path / "steam_games.json"
    games.write_text(
        "{'app_name': 'Lost Summoner Kitty', 'title': 'Lost Summoner Kitty', 'price': 4.99, 'id': '761140'}\n"
        "{'app_name': 'Ironbound', 'title': 'Ironbound', 'price': 'Free To Play', 'id': '643980'}\n"
        "{'app_name': 'Real Pool 3D', 'title': 'Real Pool 3D', 'price': 'Free to Play', 'id': '670290'}\n"
        "{'app_name': 'Free One', 'title': 'Free One', 'price': 'Free', 'id': '1'}\n"
        "{'app_name': 'A Film', 'title': 'A Film', 'price': 'Free Movie', 'id': '100001'}\n"
        "{'app_name': 'Launcher', 'title': 'Launcher', 'price': 'Install Now', 'id': '100003'}\n"
    )
    report = import_file(ingest_store, games)
    assert (report.format, report.accepted, report.quarantined) == ("catalogue", 6, 0)
    listed = {e.item_id: e.payload["price"] for e in ingest_store.read() if e.type == "item_listed"}
    assert listed == {"761140": 4.99, "643980": 0.0, "670290": 0.0, "1": 0.0, "100001": 0.0, "100003": 0.0}
