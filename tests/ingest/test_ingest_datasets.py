"""Every dataset adapter on a slice of its real file: detected, read, and logged as the right events."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.cli import main
from edgerec.domain.events import EARLIEST
from edgerec.ingest import FormatError, detect_format, import_file, readers
from edgerec.ingest.formats import named_format
from edgerec.store.codec import to_micros
from edgerec.store.schema import quarantine
from tests.ingest.ingest_helpers import conserved, printed_program, quarantined, real_file

TAOBAO = ("taobao-userbehavior", "UserBehavior_timeslice_110k.csv")


def by_type(store: Store) -> Counter[str]:
    return Counter(e.type for e in store.read())


def test_taobao_slice(ingest_store: Store, slice_of) -> None:  # type: ignore[no-untyped-def]
    path = slice_of(TAOBAO, 1500)
    assert detect_format(path).name == "taobao"
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.rows_read == 1500 and report.quarantined == report.duplicates_dropped
    types = by_type(ingest_store)
    assert set(types) <= {"item_viewed", "added_to_cart", "item_favourited", "purchased"}
    assert types["item_viewed"] > types["added_to_cart"] > 0
    first = ingest_store.read(limit=1)[0]
    assert first.occurred_at == 1511658000 * 1_000_000  # 2017-11-26 01:00:00 UTC
    assert first.payload["category"] == "1464116" and first.session_id  # sessionised by the store
    assert ingest_store.stats()["projections"]["items"] == report.items


def test_taobao_with_header_and_crlf(ingest_store: Store, tmp_path: Path) -> None:
    lines = real_file(*TAOBAO).read_text().splitlines()[:200]
    path = tmp_path / "behaviour.csv"
    path.write_bytes(
        ("user_id,item_id,category_id,behavior_type,timestamp\r\n" + "\r\n".join(lines)).encode()
    )
    assert detect_format(path).name == "taobao"
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.rows_read == 200 and report.accepted > 190


def test_movielens_ratings_with_movies_beside(ingest_store: Store, slice_of) -> None:  # type: ignore[no-untyped-def]
    ratings = slice_of(("ml-latest-small", "ratings.csv"), 801)
    slice_of(("ml-latest-small", "movies.csv"), 9743)
    assert detect_format(ratings).name == "movielens"
    report = import_file(ingest_store, ratings)
    conserved(report)
    assert report.rows_read == 800 + 9742  # the catalogue beside the ratings is imported first
    types = by_type(ingest_store)
    assert types["item_listed"] == 9742 and types["rated"] == 800
    toy_story = next(e for e in ingest_store.read(types=["item_listed"]) if e.item_id == "1")
    assert toy_story.payload["title"] == "Toy Story (1995)"
    assert toy_story.payload["category"] == "Adventure"
    assert toy_story.payload["attributes"]["genres"] == "Adventure|Animation|Children|Comedy|Fantasy"
    rating = ingest_store.read(types=["rated"], limit=1)[0]
    assert (rating.user_id, rating.item_id, rating.payload["value"]) == ("1", "1", 4.0)


def test_movielens_100k_layout(ingest_store: Store, tmp_path: Path) -> None:
    # ml-100k's u.data (tab, no header) and u.item (pipe, latin-1, 19 genre flags).
    (tmp_path / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    flags = "|".join("1" if i in (3, 5) else "0" for i in range(19))
    items = [
        f"242|Kolya (1996)|24-Jan-1997||http://x|{flags}",
        f"302|L.A. Confidential (1997)|01-Jan-1997||u|{flags}",
        f"303|Ça ira (1997)|01-Jan-1997||u|{flags}",
    ]
    (tmp_path / "u.item").write_bytes("\n".join(items).encode("latin-1") + b"\n")
    assert detect_format(tmp_path / "u.data").name == "movielens"
    report = import_file(ingest_store, tmp_path / "u.data")
    conserved(report)
    assert report.rows_read == 5 and report.quarantined == 0
    listed = {e.item_id: e.payload for e in ingest_store.read(types=["item_listed"])}
    assert listed["303"]["title"] == "Ça ira (1997)"
    assert (
        listed["242"]["category"] == "Animation"
        and listed["242"]["attributes"]["genres"] == "Animation|Comedy"
    )


def test_movies_dat_in_utf8_or_latin1_keeps_its_titles(ingest_store: Store, tmp_path: Path) -> None:
    """ml-10M's movies.dat is UTF-8 and ml-1m's Latin-1: every one was read as Latin-1
    ("AmÃ©lie"), and --encoding was not heard."""
    (tmp_path / "ratings.dat").write_text("1::4973::5::1139010420\n")
    movies = tmp_path / "movies.dat"
    for encoding in ("utf-8", "latin-1"):
        movies.write_bytes("4973::Amélie (2001)::Comedy|Romance\n".encode(encoding))
        conserved(import_file(ingest_store, tmp_path / "ratings.dat"))
        assert ingest_store.read(types=["item_listed"])[-1].payload["title"] == "Amélie (2001)", encoding
    movies.write_bytes("4973::Amélie (2002)::Comedy\n".encode("cp1252"))
    conserved(import_file(ingest_store, tmp_path / "ratings.dat", encoding="cp1252"))
    assert ingest_store.read(types=["item_listed"])[-1].payload["title"] == "Amélie (2002)"


def test_hetrecs_movielens_files_are_read_or_refused_not_quarantined_row_by_row(
    ingest_store: Store, tmp_path: Path
) -> None:
    """HetRec 2011's MovieLens files, read as MovieLens's: the times of
    user_ratedmovies-timestamps.dat, in milliseconds, were read as seconds and every rating
    quarantined as in the future; user_ratedmovies.dat, its times in six columns, had every row
    quarantined for want of one; and its movies.dat (a header, then tab-separated fields) had
    every line quarantined as `::` lines of the wrong width, beside either."""
    movies = tmp_path / "movies.dat"
    movies.write_bytes(
        "id\ttitle\timdbID\tspanishTitle\tyear\n3\tGrumpier Old Men\t107050\tDos viejos más\t1995\n".encode(
            "latin-1"
        )
    )
    timed = tmp_path / "user_ratedmovies-timestamps.dat"
    timed.write_text(
        "userID\tmovieID\trating\ttimestamp\n75\t3\t1\t1162160236000\n75\t32\t4.5\t1162160624000\n"
    )
    report = import_file(ingest_store, timed)
    conserved(report)
    assert report.format == "movielens" and report.quarantined == 0
    assert [e.occurred_at for e in ingest_store.read()] == [1162160236000000, 1162160624000000]
    split = tmp_path / "user_ratedmovies.dat"
    split.write_text(
        "userID\tmovieID\trating\tdate_day\tdate_month\tdate_year\tdate_hour\tdate_minute\tdate_second\n"
        "75\t3\t1\t29\t10\t2006\t23\t17\t16\n"
    )
    with pytest.raises(
        FormatError, match="ratings with no timestamp column .*user_ratedmovies-timestamps.dat"
    ):
        import_file(ingest_store, split)
    assert ingest_store.head() == 2
    report = import_file(ingest_store, movies, encoding="latin-1")
    assert report.format == "catalogue" and report.quarantined == 0
    assert ingest_store.read()[-1].payload["title"] == "Grumpier Old Men"


def test_a_ratings_dat_split_by_tabs_is_still_read_as_movielens(ingest_store: Store, tmp_path: Path) -> None:
    """A ratings.dat in tab-separated lines with no header (not MovieLens's '::' ones), which
    MovieLens's reader reads by its delimiter: only HetRec's movies.dat is not '::' lines, yet a
    ratings.dat whose first line had no '::' was refused as a CSV file with no header line."""
    (tmp_path / "ratings.dat").write_text("1\t10\t4\t978300760\n2\t11\t5\t978300761\n")
    assert detect_format(tmp_path / "ratings.dat").name == "movielens"
    report = import_file(ingest_store, tmp_path / "ratings.dat")
    conserved(report)
    assert report.accepted == 2 and report.quarantined == 0
    assert [(e.item_id, e.payload["value"]) for e in ingest_store.read()] == [("10", 4.0), ("11", 5.0)]


def test_netflix_prize_ratings_and_titles(ingest_store: Store, tmp_path: Path) -> None:
    """combined_data_*.txt: a movie's `N:` line, then its customer,rating,date lines; the
    titles from movie_titles.csv (Latin-1, a title's commas unquoted). It was refused as a
    format edgerec cannot tell, with advice that had no column to point at."""
    ratings = tmp_path / "combined_data_1.txt"
    ratings.write_text("1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n1488844,2,2005-09-07\nbad,row\n")
    (tmp_path / "movie_titles.csv").write_bytes(
        "1,2003,Dinosaur Planet\n2,NULL,Amélie, Le Fabuleux\n".encode("latin-1")
    )
    assert detect_format(ratings).name == "netflix"
    report = import_file(ingest_store, ratings)
    conserved(report)
    assert (report.rows_read, report.quarantined_by_reason) == (6, {"wrong_field_count": 1})
    listed = {e.item_id: e.payload for e in ingest_store.read(types=["item_listed"])}
    assert listed["2"] == {"title": "Amélie, Le Fabuleux", "attributes": {}}
    rated = [(e.user_id, e.item_id, e.payload["value"]) for e in ingest_store.read(types=["rated"])]
    assert rated == [("1488844", "1", 3.0), ("822109", "1", 5.0), ("1488844", "2", 2.0)]
    assert ingest_store.read(types=["rated"])[0].occurred_at == to_micros(datetime(2005, 9, 6, tzinfo=UTC))
    test_pairs = tmp_path / "qualifying.txt"
    test_pairs.write_text("1:\n30878,2005-12-26\n")
    with pytest.raises(FormatError, match="holds the contest's test pairs, not ratings"):
        import_file(ingest_store, test_pairs)


def test_yoochoose_prepared_tsv(ingest_store: Store, slice_of) -> None:  # type: ignore[no-untyped-def]
    path = slice_of(("yoochoose-rsc15-100k", "yoochoose-clicks-100k_test.txt"), 1001)
    assert detect_format(path).name == "yoochoose"
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.rows_read == 1000
    event = ingest_store.read(limit=1)[0]
    assert (event.type, event.session_id, event.item_id) == ("item_viewed", "1", "214536502")
    assert event.occurred_at == 1396860669277000  # milliseconds kept
    assert report.sessions == len({e.session_id for e in ingest_store.read()})


def test_yoochoose_original_clicks_and_buys(ingest_store: Store, tmp_path: Path) -> None:
    clicks = tmp_path / "yoochoose-clicks.dat"
    clicks.write_text(
        "1,2014-04-07T10:51:09.277Z,214536502,0\n1,2014-04-07T10:54:09.868Z,214536500,S\n"
        "2,2014-04-07T13:56:37.614Z,214662742,2053\n2,2014-04-07T13:57:37.614Z,214662743,12\n"
    )
    buys = tmp_path / "yoochoose-buys.dat"
    buys.write_text(
        "420374,2014-04-06T18:44:58.314Z,214537888,12462,1\n420374,2014-04-06T18:44:58.325Z,214537850,0,0\n"
    )
    assert detect_format(clicks).name == "yoochoose" and detect_format(buys).name == "yoochoose"
    conserved(import_file(ingest_store, clicks))
    conserved(import_file(ingest_store, buys))
    events = ingest_store.read()
    assert [e.type for e in events] == ["item_viewed"] * 4 + ["purchased"] * 2
    # A click's context: 0 missing, S a special offer, 1-12 a category, other numbers brands.
    assert [e.payload for e in events[:4]] == [{}, {}, {}, {"category": "12"}]
    assert events[4].payload == {"quantity": 1, "price_paid": 12462.0}
    assert events[0].occurred_at == 1396867869277000


def test_diginetica_views(ingest_store: Store, slice_of) -> None:  # type: ignore[no-untyped-def]
    path = slice_of(("diginetica-sample", "sample_train-item-views.csv"), 1201)
    assert detect_format(path).name == "diginetica"
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.rows_read == 1200
    first = ingest_store.read(limit=1)[0]
    # 2016-05-09 plus 526,309 ms into the session; an NA user is the session's visitor.
    assert first.occurred_at == (1462752000 * 1000 + 526309) * 1000
    assert (first.user_id, first.session_id, first.item_id) == ("s:1", "1", "81766")


def test_diginetica_categories_from_the_file_beside(ingest_store: Store, slice_of) -> None:  # type: ignore[no-untyped-def]
    path = slice_of(("diginetica-sample", "sample_train-item-views.csv"), 41, name="train-item-views.csv")
    # The full release puts each item's category in product-categories.csv (the sample lacks it).
    (path.parent / "product-categories.csv").write_text("itemId;categoryId\n81766;1288\n")
    report = import_file(ingest_store, path)
    conserved(report)
    views = ingest_store.read(types=["item_viewed"])
    assert {e.payload.get("category") for e in views if e.item_id == "81766"} == {"1288"}
    assert all("category" not in e.payload for e in views if e.item_id != "81766")


@pytest.mark.parametrize(
    ("name", "text", "fmt", "says"),
    [
        ("users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n", "movielens", "holds no ratings"),
        ("tags.csv", "userId,movieId,tag,timestamp\n2,60756,funny,1445714994\n", "movielens", "no ratings"),
        ("tags.csv", "userId,movieId,tag,timestamp\n2,60756,funny,1445714994\n", None, "import the ratings"),
        ("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n", None, "import the ratings"),
        ("u.user", "1|24|M|technician|85711\n", None, "import the ratings"),
        (
            "train-queries.csv",
            "queryId;sessionId;userId;timeframe;duration;eventdate;searchstring.tokens;categoryId;items;is.test\n"
            "10;1;9;779238;188;2016-03-16;376,12034;;48,115,113;FALSE\n",
            None,
            "searches",
        ),
        (  # the Netflix Prize's titles alone: taken for a file with no header line
            "movie_titles.csv",
            "1,2003,Dinosaur Planet\n3,NULL,Character\n",
            None,
            "holds the movies' titles, not ratings; import combined_data_1.txt",
        ),
    ],
)
def test_a_datasets_side_file_is_refused_by_name(
    ingest_store: Store, tmp_path: Path, name: str, text: str, fmt: str | None, says: str
) -> None:
    """A release's file that holds no interactions is refused, saying which file to import,
    rather than read as ratings or views row by row into quarantine; named or detected, and
    before the movies beside it are read."""
    path = tmp_path / name
    path.write_text(text)
    (tmp_path / "movies.csv").write_text("movieId,title,genres\n1,Toy Story (1995),Animation\n")
    with pytest.raises(ValueError, match=says):
        import_file(ingest_store, path, format=fmt)
    assert ingest_store.read() == [] and quarantined(ingest_store) == 0


def test_amazon_2023_reviews_and_metadata_name_the_product_not_its_variant(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Amazon Reviews'23: `parent_asin` is the product (the metadata's id), `asin` a variant."""
    reviews = tmp_path / "All_Beauty.jsonl"
    reviews.write_text(
        "".join(
            json.dumps(
                {
                    "rating": 5.0,
                    "asin": variant,
                    "parent_asin": "B00YQ6X8EO",
                    "user_id": f"U{n}",
                    "timestamp": 1588687728923 + n,
                    "verified_purchase": True,
                }
            )
            + "\n"
            for n, variant in enumerate(("B00YQ6X8EO", "B081TJ8YS3"))
        )  # fmt: skip
    )
    meta = tmp_path / "meta_All_Beauty.jsonl"
    meta.write_text(
        json.dumps({"title": "Leather Conditioner", "store": "Howard", "parent_asin": "B00YQ6X8EO"})
    )
    import_file(ingest_store, meta)
    report = import_file(ingest_store, reviews)
    assert (report.accepted, report.quarantined) == (2, 0)
    assert [(e.type, e.item_id) for e in ingest_store.read()] == [("item_listed", "B00YQ6X8EO")] + [
        ("rated", "B00YQ6X8EO")
    ] * 2


def test_amazon_2023_metadata_reads_its_main_category(ingest_store: Store, tmp_path: Path) -> None:
    """Amazon Reviews'23 metadata often lists no `categories` ([]) beside its `main_category`:
    the category was left empty. Its `store` (the brand's storefront) stays an attribute: in a
    shop's own file a store is a branch, never a brand to show as a reason."""
    meta = tmp_path / "meta_All_Beauty.jsonl"
    rows = [
        {"main_category": "All Beauty", "title": "Charcoal Cleanser", "store": "Yes To", "categories": [],
         "parent_asin": "B076WQZGPM"},
        {"main_category": "All Beauty", "title": "Hair Oil", "store": "Howard", "parent_asin": "B01CUPMQZE",
         "categories": ["Beauty", "Hair Care"]},
    ]  # fmt: skip
    meta.write_text("".join(json.dumps(row) + "\n" for row in rows))
    conserved(import_file(ingest_store, meta))
    listed = {e.item_id: e.payload for e in ingest_store.read()}
    assert listed["B076WQZGPM"]["category"] == "All Beauty"
    assert listed["B01CUPMQZE"]["category"] == "Beauty/Hair Care"  # the path where there is one
    assert listed["B076WQZGPM"]["attributes"]["store"] == "Yes To"
    shops = tmp_path / "catalogue.csv"
    shops.write_text("sku,name,store\nB000ECO,Brush,Shop 12\n")
    conserved(import_file(ingest_store, shops))
    brush = ingest_store.read()[-1].payload
    assert (brush.get("brand"), brush["attributes"]) == (None, {"store": "Shop 12"})


def test_sasrec_lines_of_one_item_go_on_with_the_users_sequence(ingest_store: Store, tmp_path: Path) -> None:
    """SASRec's layout of the same data: a `user item` line per step. A user's later line follows
    their earlier one, so the order is kept and a repeat of an item is a new purchase."""
    path = tmp_path / "Beauty.txt"
    path.write_text("1 1\n1 2\n2 2\n1 3\n1 1\n2 3\n")
    report = import_file(ingest_store, path, format="s3rec")
    assert (report.accepted, report.quarantined) == (6, 0)
    ones = ingest_store.read(user_id="1")
    assert [e.item_id for e in ones] == ["1", "2", "3", "1"]
    assert len({e.occurred_at for e in ones}) == 4


def test_s3rec_sequences_and_attributes(ingest_store: Store, tmp_path: Path) -> None:
    lines = real_file("amazon-s3rec", "Beauty.txt").read_text().splitlines()[:40]
    attributes = json.loads(real_file("amazon-s3rec", "Beauty_item2attributes.json").read_text())
    items = {item for line in lines for item in line.split()[1:]}
    (tmp_path / "Beauty.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "Beauty_item2attributes.json").write_text(json.dumps({i: attributes[i] for i in items}))
    assert detect_format(tmp_path / "Beauty.txt").name == "s3rec"
    report = import_file(ingest_store, tmp_path / "Beauty.txt")
    conserved(report)
    interactions = sum(len(line.split()) - 1 for line in lines)
    assert report.rows_read == len(items) + interactions and report.quarantined == 0
    user1 = ingest_store.read(user_id="1")
    assert [e.item_id for e in user1] == ["1", "2", "3", "4", "5"]
    stamps = [e.occurred_at for e in user1]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5  # synthesised, increasing
    listing = next(e for e in ingest_store.read(types=["item_listed"]) if e.item_id == "4")
    assert listing.payload["attributes"] == {"attribute_ids": "1 2 3"}
    assert listing.occurred_at == to_micros(EARLIEST)


def test_ratings_of_0_below_a_scale_from_1_are_named_with_the_way_to_import_them_as_views(
    tmp_path: Path,
) -> None:
    """Book-Crossing and Goodreads write 0 for a book read but not rated: it was imported as the
    bottom of the scale, a dislike, leaving the book out of its reader's list, and nothing said
    so. The report now says it, and how to import such rows as views; nothing is read another
    way unasked."""
    path = tmp_path / "BX-Book-Ratings.csv"
    path.write_text(
        '"User-ID";"ISBN";"Book-Rating"\n'
        '"276725";"034545104X";"0"\n"276726";"0155061224";"5"\n"276727";"0446520802";"0"\n'
        '"276729";"052165615X";"3"\n"276729";"0521795028";"1"\n"276733";"2080674722";"10"\n'
    )
    db = tmp_path / "bx.db"
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(path), "--map", "undated=2004-09-01"])
    assert result.exit_code == 0, result.output
    note = next(line for line in result.output.splitlines() if "ratings are 0" in line)
    how = "--map type=Book-Rating --map value=Book-Rating --action 0=item_viewed " + " ".join(
        f"--action {value}=rated" for value in range(1, 11)
    )
    assert note == (
        "2 of the file's ratings are 0, its others 1 to 10: a 0 is read as the bottom of the scale, "
        "a dislike, which weighs nothing and is not offered to its customer again. Where 0 means read "
        "or seen but not rated (as in Book-Crossing and Goodreads), import those rows as views "
        f"instead: {how}"
    )
    with edgerec.open(db) as store:
        assert [e.payload["value"] for e in store.read(types=["rated"])] == [0, 5, 0, 3, 1, 10]
    # edgerec's own export of them is restored as it was logged, with nothing to say
    assert CliRunner().invoke(main, ["--db", str(db), "export", str(tmp_path / "bx.jsonl")]).exit_code == 0
    with edgerec.open(tmp_path / "restored.db") as store:
        assert import_file(store, tmp_path / "bx.jsonl").notes == []
    # the options it gives, pasted, import the zeros as views, and leave nothing more to say
    given = ["--map", "undated=2004-09-01", *shlex.split(how)]
    again = CliRunner().invoke(main, ["--db", str(tmp_path / "views.db"), "import", str(path), *given])
    assert again.exit_code == 0 and "ratings are 0" not in again.output, again.output
    with edgerec.open(tmp_path / "views.db") as store:
        assert [(e.type, e.item_id) for e in store.read() if e.type != "session_started"] == [
            ("item_viewed", "034545104X"),
            ("rated", "0155061224"),
            ("item_viewed", "0446520802"),
            ("rated", "052165615X"),
            ("rated", "0521795028"),
            ("rated", "2080674722"),
        ]
    # a like and a dislike written 1 and 0, or a scale from 0.5, say nothing
    for name, text in {"likes.csv": "0\n1\n1\n", "halves.csv": "0\n0.5\n5\n"}.items():
        other = tmp_path / name
        other.write_text(
            "user,item,rating\n" + "".join(f"u{i},i{i},{v}\n" for i, v in enumerate(text.split()))
        )
        with edgerec.open(tmp_path / f"{name}.db") as store:
            assert import_file(store, other, mapping={"undated": "2024-01-01"}).notes == []


# The file of views, ratings of 0 and purchases of the two tests below, as its note's pandas
# line rewrites it: each rating of 0 a view.
_ZEROS_AS_VIEWS = [
    ("item_viewed", "034545104X"),
    ("item_viewed", "034545104X"),
    ("rated", "0155061224"),
    ("purchased", "0446520802"),
    ("rated", "0446520802"),
    ("item_viewed", "052165615X"),
]


def _imported_as_told(
    note: str, folder: Path, mapping: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """Runs the pandas line of a note on ratings of 0 in `folder`, imports the views.csv it
    writes into a new store as told (with the file's own `mapping`), and gives its events."""
    subprocess.run([sys.executable, "-c", printed_program(note)], cwd=folder, check=True)
    with edgerec.open(folder / "views.db") as store:
        again = import_file(store, folder / "views.csv", mapping=mapping)
        conserved(again)
        assert again.notes == []
        return [(e.type, e.item_id) for e in store.read() if e.type != "session_started"]


def test_ratings_of_0_in_a_file_with_its_own_types_are_told_to_be_rewritten_as_views(tmp_path: Path) -> None:
    """A log of views, purchases and ratings (0 for a book read but not rated) was told to read
    its ratings' column as the type too, as a file of ratings alone is: pasted, that quarantined
    every view and purchase, their rating blank. It is told to make those rows' type item_viewed
    with a pandas line, whose file imports the other types as they were."""
    path = tmp_path / "interactions.csv"
    path.write_text(
        "user_id,item_id,event_type,rating,timestamp\n"
        "276725,034545104X,view,,2024-03-01 10:00:00\n276725,034545104X,rate,0,2024-03-01 10:05:00\n"
        "276725,0155061224,rate,5,2024-03-01 10:06:00\n276726,0446520802,purchase,,2024-03-02 09:00:00\n"
        "276726,0446520802,rate,9,2024-03-02 09:30:00\n276726,052165615X,rate,0,2024-03-02 09:40:00\n"
    )
    with edgerec.open(tmp_path / "as_is.db") as store:
        report = import_file(store, path)
    conserved(report)
    [note] = report.notes
    assert "--map type=rating" not in note
    assert note.endswith(", then import views.csv as this file was")
    assert _imported_as_told(note, tmp_path) == _ZEROS_AS_VIEWS


def test_the_views_of_a_file_in_another_encoding_are_written_in_it(tmp_path: Path) -> None:
    """The note's pandas line read a cp1252 file as cp1252 but wrote views.csv in UTF-8, which,
    imported as the file was (--encoding cp1252), named the item Café CafÃ©."""
    path = tmp_path / "interactions.csv"
    path.write_bytes(
        "user_id,item_id,event_type,rating,timestamp\nu1,Café,rate,0,2024-03-01 10:00:00\n"
        "u1,Thé,rate,4,2024-03-01 10:01:00\nu2,Thé,purchase,,2024-03-01 10:02:00\n"
        "u2,Pâté,rate,5,2024-03-01 10:03:00\n".encode("cp1252")
    )
    with edgerec.open(tmp_path / "as_is.db") as store:
        [note] = import_file(store, path, encoding="cp1252").notes
    program = printed_program(note)
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    with edgerec.open(tmp_path / "views.db") as store:
        import_file(store, tmp_path / "views.csv", encoding="cp1252")
        assert [(e.type, e.item_id) for e in store.read() if e.type != "session_started"] == [
            ("item_viewed", "Café"),
            ("rated", "Thé"),
            ("purchased", "Thé"),
            ("rated", "Pâté"),
        ]


@pytest.mark.parametrize("delimiter", [";", "|", "tab"])
def test_the_views_of_a_file_read_by_a_given_delimiter_are_written_by_it(
    tmp_path: Path, delimiter: str
) -> None:
    """The note's pandas line wrote views.csv with commas whatever --map delimiter= the file was
    imported with: imported as the file was, its every row was one column, and it was refused."""
    sep = "\t" if delimiter == "tab" else delimiter
    path = tmp_path / "interactions.csv"
    rows = [
        "user_id,item_id,event_type,rating,timestamp",
        "u1,Café, au lait,rate,0,2024-03-01 10:00:00",
        "u1,Thé,rate,4,2024-03-01 10:01:00",
        "u2,Thé,purchase,,2024-03-01 10:02:00",
        "u2,Pâté,rate,5,2024-03-01 10:03:00",
    ]
    path.write_text(
        "".join(sep.join(row.replace(", ", "\0").split(",")).replace("\0", ", ") + "\n" for row in rows)
    )
    given = ["--map", f"delimiter={delimiter}"]
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "as_is.db"), "import", str(path), *given])
    assert result.exit_code == 0, result.output
    note = next(line for line in result.output.splitlines() if "ratings are 0" in line)
    subprocess.run([sys.executable, "-c", printed_program(note)], cwd=tmp_path, check=True)
    views = str(tmp_path / "views.csv")
    again = CliRunner().invoke(main, ["--db", str(tmp_path / "views.db"), "import", views, *given])
    assert again.exit_code == 0 and "ratings are 0" not in again.output, again.output
    with edgerec.open(tmp_path / "views.db") as store:
        assert [(e.type, e.item_id) for e in store.read() if e.type != "session_started"] == [
            ("item_viewed", "Café, au lait"),
            ("rated", "Thé"),
            ("purchased", "Thé"),
            ("rated", "Pâté"),
        ]


def test_ratings_of_0_in_a_file_without_a_header_with_its_own_types_are_rewritten_as_views(
    tmp_path: Path,
) -> None:
    """A file of views, ratings and purchases with no header line (header=false, its columns by
    number) was told the old recipe, --map type=3 --map value=3 --action 0=item_viewed ...,
    which quarantined every view and purchase, their rating blank, as a file with a header line
    was before it got a pandas line. It is given that line too, reading and writing the file
    without a header line, and views.csv imports as the file was."""
    path = tmp_path / "interactions.csv"
    path.write_text(
        "276725,034545104X,view,,2024-03-01 10:00:00\n276725,034545104X,rate,0,2024-03-01 10:05:00\n"
        "276725,0155061224,rate,5,2024-03-01 10:06:00\n276726,0446520802,purchase,,2024-03-02 09:00:00\n"
        "276726,0446520802,rate,9,2024-03-02 09:30:00\n276726,052165615X,rate,0,2024-03-02 09:40:00\n"
    )
    mapping = {"header": "false", "user": "0", "item": "1", "type": "2", "value": "3", "timestamp": "4"}
    with edgerec.open(tmp_path / "as_is.db") as store:
        report = import_file(store, path, mapping=mapping)
    conserved(report)
    [note] = report.notes
    assert "--map type=3" not in note
    assert note.endswith(", then import views.csv as this file was")
    assert _imported_as_told(note, tmp_path, mapping) == _ZEROS_AS_VIEWS


def test_the_views_of_a_json_lines_file_whose_types_are_numbers_are_rewritten(tmp_path: Path) -> None:
    """A JSON line's type 2 (read as a rating) was matched as the text "2" in the note's pandas
    line, which pandas reads as the number 2: the line rewrote nothing, and the ratings of 0 were
    imported as dislikes again."""
    path = tmp_path / "interactions.jsonl"
    path.write_text(
        "".join(
            json.dumps({"user_id": user, "item_id": item, "event_type": kind, "rating": rating, "ts": at})
            for user, item, kind, rating, at in [
                ("u1", "i1", 2, 0, "2024-03-01T10:00:00"),
                ("u1", "i2", 2, 4, "2024-03-01T10:01:00"),
                ("u2", "i2", 3, None, "2024-03-01T10:02:00"),
                ("u2", "i3", 2, 5, "2024-03-01T10:03:00"),
            ]
        ).replace("}{", "}\n{")
        + "\n"
    )
    mapping = {"timestamp": "ts", "actions": {"2": "rated", "3": "purchased"}}
    with edgerec.open(tmp_path / "as_is.db") as store:
        [note] = import_file(store, path, mapping=mapping).notes
    program = printed_program(note)
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    with edgerec.open(tmp_path / "views.db") as store:
        assert import_file(store, tmp_path / "views.csv", mapping=mapping).notes == []
        assert [(e.type, e.item_id) for e in store.read() if e.type != "session_started"] == [
            ("item_viewed", "i1"),
            ("rated", "i2"),
            ("purchased", "i2"),
            ("rated", "i3"),
        ]


def test_space_separated_ratings_are_no_sequences_and_an_event_mapping_reads_them(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Epinions' `user item rating` lines (a time beside them in others) are numbers split by
    spaces, as S3-Rec's sequences are, but all of one length: a table, not sequences, and a
    mapping of event fields reads the file as events rather than being ignored."""
    ratings = tmp_path / "ratings.txt"
    ratings.write_text("1 2 4\n1 3 5\n2 1 3\n2 4 1\n3 2 5\n")
    stamped = tmp_path / "ratings_ts.txt"
    stamped.write_text("10 200 4 1103500800\n10 300 5 1103587200\n")
    for path in (ratings, stamped):
        with pytest.raises(FormatError, match="header=false"):
            detect_format(path)
    given = {"header": "false", "user": "0", "item": "1", "value": "2"}
    assert detect_format(ratings, mapping={**given, "undated": "2010-01-01"}).name == "csv"
    conserved(import_file(ingest_store, ratings, mapping={**given, "undated": "2010-01-01"}))
    assert [(e.type, e.user_id, e.item_id, e.payload["value"]) for e in ingest_store.read(user_id="1")] == [
        ("rated", "1", "2", 4.0),
        ("rated", "1", "3", 5.0),
    ]
    conserved(import_file(ingest_store, stamped, mapping={**given, "timestamp": "3"}))
    assert [(e.item_id, e.occurred_at) for e in ingest_store.read(user_id="10")] == [
        ("200", 1103500800 * 1_000_000),
        ("300", 1103587200 * 1_000_000),
    ]
    # real sequences, of many lengths, are still told without their attributes beside them
    beauty = tmp_path / "Beauty.txt"
    beauty.write_text("\n".join(real_file("amazon-s3rec", "Beauty.txt").read_text().splitlines()[:40]) + "\n")
    assert detect_format(beauty).name == "s3rec"


def test_sequences_of_barcodes_are_no_table_with_a_time_column(ingest_store: Store, tmp_path: Path) -> None:
    """A `user item` sequences file whose items are EAN-13 barcodes (4006381333931) was taken for
    a table with a time column, the barcodes read as milliseconds in 2096, and refused. A time
    column's values fall between 1990 and a year from now."""
    path = tmp_path / "seq.txt"
    path.write_text("1 4006381333931\n1 4012345678901\n1 4000417025005\n2 4006381333931\n2 4008400402222\n")
    assert detect_format(path).name == "s3rec"
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.db"), "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["accepted"] == 5


def test_a_table_with_a_time_column_is_no_sequences_whatever_its_width(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Epinions' and Ciao's `user product category rating helpfulness time` lines are six numbers
    each: a width sequences may have too, but their last column is epoch times, which no
    sequence of items holds (its times were read as items, 5 lines as 25 purchases)."""
    ratings = tmp_path / "rating_with_timestamp.txt"
    ratings.write_text(
        "17 145 8 1 2 1118911165\n2 111 7 3 3 1263431739\n25 113 2 4 5 1073816472\n"
        "9 122 1 1 4 998144232\n17 122 1 5 5 1118921165\n"
    )
    with pytest.raises(FormatError, match="header=false"):
        detect_format(ratings)
    given = {"header": "false", "user": "0", "item": "1", "value": "3", "timestamp": "5"}
    conserved(import_file(ingest_store, ratings, mapping={**given, "default_type": "rated"}))
    assert [(e.item_id, e.payload["value"], e.occurred_at) for e in ingest_store.read(user_id="17")] == [
        ("145", 1.0, 1118911165 * 1_000_000),
        ("122", 5.0, 1118921165 * 1_000_000),
    ]
    # sequences all of one length, as a small file may have, are still sequences
    same_length = tmp_path / "Tiny.txt"
    same_length.write_text(
        "".join(f"{u} " + " ".join(str(1 + (u * 7 + k) % 40) for k in range(6)) + "\n" for u in range(1, 30))
    )
    assert detect_format(same_length).name == "s3rec"


def test_options_of_reading_leave_a_datasets_file_to_its_reader(ingest_store: Store, tmp_path: Path) -> None:
    """Options that name no column (timestamp_unit, day_first, delimiter) do not make a dataset's
    file generic events: MovieLens' ratings.csv was then read without movies.csv beside it, and
    YOOCHOOSE's clicks were refused for want of a customer column."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("userId,movieId,rating,timestamp\n1,1,4.0,964982703\n")
    (tmp_path / "movies.csv").write_text("movieId,title,genres\n1,Toy Story (1995),Animation\n")
    clicks = tmp_path / "clicks.txt"
    clicks.write_text("SessionId\tItemId\tTime\n1\t214536502\t1396860669.277\n")
    for option in ({"timestamp_unit": "s"}, {"day_first": "true"}, {"delimiter": ","}):
        assert detect_format(ratings, mapping=option).name == "movielens"
    assert detect_format(clicks, mapping={"delimiter": "tab"}).name == "yoochoose"
    report = import_file(ingest_store, ratings, mapping={"timestamp_unit": "s"})
    assert (report.format, report.quarantined) == ("movielens", 0)
    assert "Toy Story (1995)" in {e.payload.get("title") for e in ingest_store.read()}
    # a column named still reads the file as generic events
    assert detect_format(ratings, mapping={"timestamp_unit": "s", "user": "userId"}).name == "csv"


def test_a_header_split_by_spaces_but_read_as_one_column_names_delimiter_space(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Where a value holds a space ("very good"), the lines split into different numbers of words
    and spaces are not sniffed as the delimiter: the header came back as one column, and the
    refusal said to give timestamp=user item timestamp comment, or only listed the formats."""
    path = tmp_path / "odd.txt"
    path.write_text("user item timestamp comment\n1 10 1262304000 very good\n2 11 1262390400 fine\n")
    says = r"'user item timestamp comment' was read as one column: .*--map delimiter=space"
    with pytest.raises(FormatError, match="(?s)" + says + ".*csv "):  # the formats still listed
        import_file(ingest_store, path)
    with pytest.raises(FormatError, match=says) as caught:
        import_file(ingest_store, path, mapping={"default_type": "item_viewed"})
    assert "timestamp=user" not in str(caught.value)
    report = import_file(ingest_store, path, mapping={"default_type": "item_viewed", "delimiter": "space"})
    assert (report.accepted, report.quarantined_by_reason) == (1, {"wrong_field_count": 1})


def test_fashion_catalogue(ingest_store: Store, slice_of) -> None:  # type: ignore[no-untyped-def]
    path = slice_of(("fashion-product-catalog", "catalog_joined.csv"), 801)
    assert detect_format(path).name == "catalogue"
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.rows_read == 800 and report.items == 800
    shirt = next(e for e in ingest_store.read() if e.item_id == "39386")
    assert shirt.payload["title"] == "Peter England Men Party Blue Jeans"
    assert shirt.payload["brand"] == "Peter England"
    assert shirt.payload["category"] == "Apparel/Bottomwear/Jeans"
    assert shirt.payload["attributes"]["baseColour"] == "Blue"
    assert ingest_store.stats()["projections"]["items"] == 800


def test_fashion_styles_with_crlf(ingest_store: Store, slice_of) -> None:  # type: ignore[no-untyped-def]
    # styles.csv: CRLF, no title column; still a catalogue with a category path.
    path = slice_of(("fashion-product-catalog", "styles.csv"), 101)
    assert detect_format(path).name == "catalogue"
    report = import_file(ingest_store, path)
    conserved(report)
    event = ingest_store.read(limit=1)[0]
    assert event.payload["category"] == "Apparel/Topwear/Shirts" and "\r" not in json.dumps(event.payload)


def test_a_catalogue_whose_last_column_is_text_with_unquoted_commas(
    ingest_store: Store, tmp_path: Path
) -> None:
    """The fashion catalogue's original styles.csv: a product name with commas, unquoted, in
    its last column is read whole, not refused for its field count."""
    path = tmp_path / "styles.csv"
    path.write_text(
        "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName\n"
        "15970,Men,Apparel,Topwear,Shirts,Navy Blue,Fall,2011,Casual,Turtle Check Men Navy Blue Shirt\n"
        "44065,Men,Personal Care,Fragrance,Perfume,Blue,Spring,2017,Casual,Boss Men Perfume, After Shave\n"
        "12347,Women,Apparel,Topwear,Tops,White,Summer,2012,Casual,Mango Women Top, Lace, Sleeveless\n"
    )
    report = import_file(ingest_store, path)
    assert (report.accepted, report.quarantined) == (3, 0)
    titles = [e.payload["title"] for e in ingest_store.read()]
    assert titles[1:] == ["Boss Men Perfume, After Shave", "Mango Women Top, Lace, Sleeveless"]


def test_a_stray_delimiter_in_a_middle_column_is_refused_not_shifted(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A comma in a middle column of a catalogue whose last column is text was joined onto the
    description, every column after it shifted: a section's text read as a number, a title's
    as the price. The row is refused for its field count, as in an events file."""
    path = tmp_path / "articles.csv"
    path.write_text(
        "article_id,prod_name,section_name,price,detail_desc\n"
        "0111565001,20 den 1p Stockings,Womens Nightwear, Socks & Tights,9.99,Semi shiny nylon.\n"
        "0108775015,Strap top,Womens Basics,12.99,Jersey top, with straps\n"
    )
    report = import_file(ingest_store, path)
    assert (report.accepted, report.quarantined_by_reason) == (1, {"wrong_field_count": 1})
    [listing] = ingest_store.read()
    assert (listing.item_id, listing.payload["description"]) == ("0108775015", "Jersey top, with straps")


def test_a_brand_from_a_title_is_the_words_before_the_audience_unless_they_run_on(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Without a brand column, the words before an audience word are the brand ("Pepe Jeans",
    "Happy Socks", "AND", though words of the category or of titles: rules against those
    dropped hundreds of the fashion catalogue's makers), but not words that run on into the
    title ("Summer Dress for"). Socks titled "Cotton Socks Men" still get that brand."""
    path = tmp_path / "catalogue.csv"
    path.write_text(
        "id,title,category\n"
        "S1,Cotton Socks Men 6 Pairs,Clothing/Men/Socks\n"
        "D1,Summer Dress for Women Casual Floral,Clothing/Women/Dresses\n"
        "J1,Pepe Jeans Women Blue Jeans,Apparel/Bottomwear/Jeans\n"
        "H1,Happy Socks Unisex Black Socks,Accessories/Socks/Socks\n"
        "A1,AND Women Blue Top,Apparel/Topwear/Tops\n"
        "P1,Peter England Men Party Blue Jeans,Apparel/Bottomwear/Jeans\n"
        "B1,United Colors of Benetton Women Top,Apparel/Topwear/Tops\n"
        "F1,For Men Eau de Toilette,Personal Care/Fragrance\n"  # 'For' was the brand
    )
    conserved(import_file(ingest_store, path))
    brands = {e.item_id: e.payload.get("brand") for e in ingest_store.read()}
    assert brands == {
        "F1": None,
        "S1": "Cotton Socks",
        "D1": None,
        "J1": "Pepe Jeans",
        "H1": "Happy Socks",
        "A1": "AND",
        "P1": "Peter England",
        "B1": "United Colors of Benetton",
    }


def test_only_a_last_column_s_own_text_is_joined_back(ingest_store: Store, tmp_path: Path) -> None:
    """Text after a comma and a space continues the last column and is joined back; any other
    extra field may be a stray comma in a middle column, which shifted the columns after it
    ('Photo frame 30,40' put 40 in the price, and it read), so that row is refused for its field
    count, as in an events file, even where the comma was the text's own ('USB-C,2m')."""
    path = tmp_path / "players.csv"
    path.write_text(
        "id,title,price,stock,description\n"
        "E1,Perfume,20.00,2,Boss Men Perfume, After Shave\n"
        "E2,Player,99.00,3,Holds 10,000 songs\n"
        "E3,Photo frame 30,40,12.50,5,Oak photo frame\n"
        "E5,Pan,Kitchen,12.00,4,Steel pan\n"
    )
    report = import_file(ingest_store, path)
    assert (report.accepted, report.quarantined_by_reason) == (1, {"wrong_field_count": 3})
    assert [e.payload["description"] for e in ingest_store.read()] == ["Boss Men Perfume, After Shave"]
    with ingest_store.engine.connect() as connection:
        details = connection.execute(select(quarantine.c.detail)).scalars().all()
    assert all("quote a field that holds a ','" in detail for detail in details)
    # A file written with ", " between its fields: its description's ", " is the text's own too.
    padded = tmp_path / "padded.csv"
    padded.write_text("id, title, price, description\nE8, Speaker, 49.99, Portable speaker, loud\n")
    conserved(import_file(ingest_store, padded))
    assert ingest_store.read()[-1].payload["description"] == "Portable speaker, loud"


def test_a_headerless_catalogue_joins_its_last_column_s_own_text_back(
    ingest_store: Store, tmp_path: Path
) -> None:
    """With header=false, a title in the last column holding an unquoted ", " ("Character,
    The") was cut at the comma, the rest kept as attribute "2", silently; with a header line
    the same text is joined back. A column mapped past the last one most rows have (an
    optional description) is no text to join into the title."""
    titles = tmp_path / "titles.csv"
    titles.write_text("1,Dinosaur Planet\n2,Isle of Man TT\n3,Character, The\n4,Lamp,5\n")
    mapping = {"header": "false", "item": "0", "title": "1"}
    conserved(import_file(ingest_store, titles, format="catalogue", mapping=mapping))
    listed = {e.item_id: (e.payload["title"], e.payload["attributes"]) for e in ingest_store.read()}
    assert listed == {
        "1": ("Dinosaur Planet", {}),
        "2": ("Isle of Man TT", {}),
        "3": ("Character, The", {}),
        "4": ("Lamp", {"2": "5"}),  # no space after the comma: a column of its own, as before
    }
    described = tmp_path / "described.csv"
    described.write_text("5,Mug\n6,Cup\n7,Bowl, deep and wide\n")
    conserved(
        import_file(ingest_store, described, format="catalogue", mapping={**mapping, "description": "2"})
    )
    bowl = ingest_store.read()[-1].payload
    assert (bowl["title"], bowl["description"]) == ("Bowl", "deep and wide")


def test_a_headerless_catalogue_whose_titles_mostly_hold_a_comma_keeps_them_whole(
    ingest_store: Store, tmp_path: Path
) -> None:
    """With header=false, where half or more of the titles in the last mapped column held an
    unquoted ", ", most rows were wider than the title's column: every such title was cut at its
    comma, the rest kept as attribute "3", silently. The title's column is the last one mapped
    where the wider rows' extra fields begin with a space; columns not mapped stay columns."""
    titles = tmp_path / "titles.csv"
    titles.write_text("A1,10.00,Character, The\nA2,12.00,Mug, Red\nA3,5.00,Cup\n")
    mapping = {"header": "false", "item": "0", "price": "1", "title": "2"}
    conserved(import_file(ingest_store, titles, format="catalogue", mapping=mapping))
    listed = {e.item_id: (e.payload["title"], e.payload["attributes"]) for e in ingest_store.read()}
    assert listed == {"A1": ("Character, The", {}), "A2": ("Mug, Red", {}), "A3": ("Cup", {})}
    coloured = tmp_path / "coloured.csv"
    coloured.write_text("B1,Hat,red\nB2,Cap,blue\nB3,Scarf\n")
    conserved(
        import_file(
            ingest_store, coloured, format="catalogue", mapping={"header": "false", "item": "0", "title": "1"}
        )
    )
    hat = next(e.payload for e in ingest_store.read() if e.item_id == "B1")
    assert (hat["title"], hat["attributes"]) == ("Hat", {"2": "red"})


def test_a_catalogue_with_other_column_names_is_mapped(ingest_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "articles.csv"
    path.write_text(
        "article_id,prod_name,product_type_name,colour_group_name\n"
        "0108775015,Strap top,Vest top,Black\n"
        "0111565001,20 den 1p Stockings,Underwear Tights,Black\n"
    )
    # named or not, a mapping of catalogue fields says it is a catalogue
    report = import_file(ingest_store, path, mapping={"title": "prod_name", "category": "product_type_name"})
    conserved(report)
    top = next(e for e in ingest_store.read() if e.item_id == "0108775015")  # ids stay text
    assert (top.payload["title"], top.payload["category"]) == ("Strap top", "Vest top")
    assert "brand" not in top.payload  # no brand column, and no brand made up from the title
    assert top.payload["attributes"] == {"colour_group_name": "Black"}
    with pytest.raises(ValueError, match="title=name: no such column"):
        import_file(ingest_store, path, format="catalogue", mapping={"title": "name"})
    with pytest.raises(ValueError, match="unknown catalogue mapping keys \\['user'\\]"):
        import_file(ingest_store, path, format="catalogue", mapping={"user": "article_id"})


def test_a_catalogue_under_an_events_name_for_its_item_id_is_listed(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A Yelp business_id or a Book-Crossing ISBN, which an events file is read by: told to
    import them with --format catalogue, every row was quarantined as missing_item_id."""
    yelp = tmp_path / "yelp_academic_dataset_business.json"
    yelp.write_text(
        '{"business_id": "Pns2l4", "name": "Abby Rappoport", "categories": "Doctors", "stars": 5.0}\n'
    )
    books = tmp_path / "BX-Books.csv"
    books.write_text(
        '"ISBN";"Book-Title";"Book-Author";"Year-Of-Publication";"Publisher"\n'
        '"0195153448";"Classical Mythology";"Mark P. O. Morford";"2002";"Oxford University Press"\n'
    )
    for path in (yelp, books):
        assert detect_format(path).name == "catalogue"
        conserved(import_file(ingest_store, path))
    listed = {e.item_id: e.payload for e in ingest_store.read()}
    assert listed["Pns2l4"]["title"] == "Abby Rappoport" and listed["Pns2l4"]["category"] == "Doctors"
    assert listed["0195153448"]["title"] == "Classical Mythology"
    assert listed["0195153448"]["attributes"]["Book-Author"] == "Mark P. O. Morford"


def test_a_catalogue_whose_id_is_a_bare_item_column_is_listed(ingest_store: Store, tmp_path: Path) -> None:
    """Frappe's meta.csv (item, name, price, ...) was told to import with --format catalogue,
    which refused it for want of an item id, and its price `Free` quarantined the row; no such
    advice was given for DIGINETICA's products.csv (itemId, pricelog2, product.name.tokens)."""
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "item\tpackage\tcategory\tname\tprice\trating\n"
        "0\tde.mobiletrend.lovidoo\tBrain & Puzzle\tLovidoo\tFree\t4.1\n"
        "1\tcom.whatsapp\tCommunication\tWhatsApp\t$0.99\t4.4\n"
    )
    products = tmp_path / "products.csv"
    products.write_text("itemId;pricelog2;product.name.tokens\n9650;11;4875,43,1129\n")
    for path in (meta, products):
        with pytest.raises(FormatError, match="if it is a catalogue .*import it with --format catalogue"):
            import_file(ingest_store, path)
        conserved(import_file(ingest_store, path, format="catalogue"))
    listed = {e.item_id: e.payload for e in ingest_store.read()}
    assert [(listed[i]["title"], listed[i]["price"]) for i in ("0", "1")] == [
        ("Lovidoo", 0.0),
        ("WhatsApp", 0.99),
    ]
    assert listed["9650"]["attributes"] == {"pricelog2": "11", "product.name.tokens": "4875,43,1129"}
    named = tmp_path / "names.csv"  # a bare product with no title column beside it is the name
    named.write_text("product,price\nBlue Mug,3.50\n")
    with pytest.raises(FormatError, match="no column for the item id"):
        import_file(ingest_store, named, format="catalogue")


def test_a_bare_product_column_repeated_is_no_catalogues_id(ingest_store: Store, tmp_path: Path) -> None:
    """A bare `product` beside the name was the catalogue's id even where it repeats (Mug, Mug,
    Plate: a product type): each row replaced the one before, 3 rows listed as 2 items. A bare
    `product` is the id only where its values are unique in the rows read."""
    typed = tmp_path / "c.csv"
    typed.write_text("product,name,price\nMug,Red mug,4.50\nMug,Blue mug,4.50\nPlate,White plate,9\n")
    result = CliRunner().invoke(
        main, ["--db", str(tmp_path / "s.db"), "import", str(typed), "--format", "catalogue"]
    )
    assert result.exit_code == 1 and "no column for the item id" in result.output
    assert not (tmp_path / "s.db").exists()
    conserved(import_file(ingest_store, typed, format="catalogue", mapping={"item": "name"}))
    unique = tmp_path / "unique.csv"
    unique.write_text("product,name,price\nMUG-R,Red mug,4.50\nMUG-B,Blue mug,4.50\n")
    conserved(import_file(ingest_store, unique, format="catalogue"))
    assert [e.item_id for e in ingest_store.read()][-2:] == ["MUG-R", "MUG-B"]


def test_a_catalogue_with_several_id_columns_takes_the_one_every_row_fills(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Goodreads' books have an `asin` (empty for most books) before the `book_id` the
    interactions use: taken by its name, 2 of 3 books were refused as having no id, and the
    third was listed under its ASIN, which no interaction names."""
    books = tmp_path / "goodreads_books.json"
    rows = [
        {"isbn": "0312853122", "asin": "", "title": "W.C. Fields", "book_id": "5333265"},
        {"isbn": "0743509986", "asin": "", "title": "Good Harbor", "book_id": "1333909"},
        {"isbn": "", "asin": "B00071IKUY", "title": "The Unschooled Wizard", "book_id": "7327624"},
    ]
    books.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = import_file(ingest_store, books, chunk_rows=2)  # the column is kept in later chunks
    assert (report.accepted, report.quarantined) == (3, 0)
    listed = {e.item_id: e.payload["attributes"] for e in ingest_store.read()}
    assert set(listed) == {"5333265", "1333909", "7327624"}
    assert listed["7327624"]["asin"] == "B00071IKUY"  # kept, as an attribute
    # an id column filled in every row is still taken by the names' order
    skus = tmp_path / "skus.csv"
    skus.write_text("sku,asin,name\nS1,B01,Mug\nS2,,Bowl\n")
    conserved(import_file(ingest_store, skus))
    assert [e.item_id for e in ingest_store.read()][-2:] == ["S1", "S2"]


def test_a_catalogue_of_ids_and_categories_is_detected_and_its_category_read(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Olist's products have no title, brand or price: refused with hints for an events file
    (default_type=, undated=), and with --format catalogue product_category_name was no
    category but an attribute."""
    path = tmp_path / "olist_products_dataset.csv"
    path.write_text(
        '"product_id","product_category_name","product_name_lenght","product_weight_g"\n'
        "1e9e8ef04dbcff4541ed26657ea517e5,perfumaria,40,225\n"
    )
    assert detect_format(path).name == "catalogue"
    conserved(import_file(ingest_store, path))
    [listed] = ingest_store.read()
    assert listed.payload["category"] == "perfumaria"
    assert listed.payload["attributes"] == {"product_name_lenght": "40", "product_weight_g": "225"}


def test_a_file_with_no_header_line_whose_format_is_unknown_is_told_header_false(tmp_path: Path) -> None:
    """MIND's news.tsv (cells too long for column names): "cannot tell the format", with no
    word of its missing header line."""
    path = tmp_path / "news.tsv"
    title = "The Brands Queen Elizabeth, Prince Charles, and Prince Philip Swear By"
    path.write_text(f"N55528\tlifestyle\t{title}\thttps://assets.msn.com/labs/mind/AAGH0ET.html\n")
    with pytest.raises(
        FormatError, match="its first line looks like data, not column names.*--map header=false"
    ):
        detect_format(path)


@pytest.mark.parametrize("how", ["detected", "mapped as a catalogue", "named jsonl"])
def test_a_bug_in_format_detection_surfaces_and_a_damaged_file_is_still_told_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Detection took any error for a file it trips over: an error of edgerec's own code (an
    AttributeError, simulated here in the reading of a file's keys) was told to the user as
    "cannot tell the format", or the file read as named or as a catalogue, the bug hidden. A
    damaged file (a Parquet file cut short) is still told its format cannot be told; the bug
    now surfaces as itself."""
    damaged = tmp_path / "events.parquet"
    damaged.write_bytes(b"PAR1 cut short")
    with pytest.raises(FormatError, match="cannot tell the format from its name or first lines"):
        detect_format(damaged)
    path = tmp_path / "events.jsonl"
    path.write_text('{"user_id": "u1", "item_id": "i1", "timestamp": 1700000000, "event_type": "view"}\n')

    def bug(*_: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'keys'")

    monkeypatch.setattr(readers, "object_keys", bug)
    with pytest.raises(AttributeError, match="no attribute 'keys'"):
        if how == "detected":
            detect_format(path)
        elif how == "mapped as a catalogue":
            detect_format(path, mapping={"price": "price"})
        else:
            named_format("jsonl", path)


def test_a_catalogue_without_item_ids_or_of_one_property_per_row_is_refused(
    ingest_store: Store, tmp_path: Path
) -> None:
    """RetailRocket's item_properties (itemid, property, value) was listed row by row, each row
    replacing its item's listing: an item kept its last property, its category lost. A file
    with no id column quarantined every row for the same reason."""
    properties = tmp_path / "item_properties_part1.csv"
    properties.write_text(
        "timestamp,itemid,property,value\n"
        "1434250800000,355908,categoryid,1277\n"
        "1434250800000,355908,available,1\n"
    )
    nameless = tmp_path / "prices.csv"
    nameless.write_text("name,price\nMug,3.50\n")
    with pytest.raises(FormatError, match="user=COLUMN.*one row per property of an item.*pivot_table"):
        import_file(ingest_store, properties)
    with pytest.raises(FormatError, match="one row per property of an item"):
        import_file(ingest_store, properties, format="catalogue")
    with pytest.raises(FormatError, match="no column for the item id.*--map item=COLUMN"):
        import_file(ingest_store, nameless, format="catalogue")
    assert ingest_store.read() == []
    # Dressipi's item_features: a row per item and feature, under names of its own
    features = tmp_path / "item_features.csv"
    features.write_text("item_id,feature_category_id,feature_value_id\n2,56,365\n2,62,801\n3,56,365\n")
    pivot = r"index='item_id', columns='feature_category_id', values='feature_value_id'"
    with pytest.raises(FormatError, match=f"user=COLUMN.*one row per property of an item.*{pivot}"):
        import_file(ingest_store, features)
    with pytest.raises(FormatError, match=f"^{re.escape(str(features))}: one row per property.*{pivot}"):
        import_file(ingest_store, features, format="catalogue")
    assert ingest_store.read() == []
    # a catalogue with such names, one row per item, is read as one
    described = tmp_path / "mugs.csv"
    described.write_text("sku,title,feature,value\nm1,Mug,dishwasher safe,good\nm2,Cup,handmade,fine\n")
    conserved(import_file(ingest_store, described, format="catalogue"))
    assert [e.payload["attributes"] for e in ingest_store.read()] == [
        {"feature": "dishwasher safe", "value": "good"},
        {"feature": "handmade", "value": "fine"},
    ]


def test_a_tree_of_categories_is_refused_naming_what_to_import_instead(
    ingest_store: Store, tmp_path: Path
) -> None:
    """RetailRocket's category_tree.csv (categoryid, parentid) was refused with advice for a
    file of events, to give default_type=... or undated=...; and with --format catalogue, to
    name its item column, which would list each category as an item."""
    tree = tmp_path / "category_tree.csv"
    tree.write_text("categoryid,parentid\n1016,213\n809,169\n570,9\n")
    said = (
        f"^{re.escape(str(tree))}: a tree of categories \\(each one's parent, in 'parentid'\\), which "
        "holds no events and no items;.*Import the file of events instead, and the items with their "
        r"categories as a catalogue \(--format catalogue\)$"
    )
    with pytest.raises(FormatError, match=said) as refused:
        import_file(ingest_store, tree)
    assert "default_type" not in str(refused.value) and "undated" not in str(refused.value)
    with pytest.raises(FormatError, match=said):
        import_file(ingest_store, tree, format="catalogue")
    nested = tmp_path / "categories.jsonl"  # a JSON line's too, its parent under a name of its own
    nested.write_text('{"category_id": 3, "parent_id": 1}\n')
    with pytest.raises(FormatError, match="a tree of categories.*in 'parent_id'"):
        import_file(ingest_store, nested)
    assert ingest_store.read() == []


@pytest.mark.parametrize(
    ("name", "text", "what"),
    [
        ("categories.csv", "id,name,parent_id\n1,Shoes,\n2,Boots,1\n", "a tree of categories"),
        ("category_names.csv", "category_id,category_name\n1,Shoes\n2,Boots\n", "a list of categories"),
        ("amazon_categories.csv", "id,category_name\n1,Shoes\n2,Boots\n", "a list of categories"),
    ],
)
def test_a_list_of_categories_is_refused_not_listed_as_items(
    ingest_store: Store, tmp_path: Path, name: str, text: str, what: str
) -> None:
    """A shop's categories (id, name, parent_id in categories.csv) were listed as items, their
    `id` read as the items'; a list of them with no parent (category_id, category_name) was
    told to give a default type, or to name its item column; Amazon's amazon_categories.csv
    (id, category_name) was listed as items. A catalogue named for categories whose id is named
    for its products (categories_products.csv: product_id, name) was refused as a list of them."""
    path = tmp_path / name
    path.write_text(text)
    for format in (None, "catalogue"):
        with pytest.raises(
            FormatError, match=f"^{re.escape(str(path))}: {what}.*holds no events and no items"
        ):
            import_file(ingest_store, path, format=format)
    assert ingest_store.read() == []
    # a catalogue with such columns, named for its products or naming its items' category, is one
    products = tmp_path / "products.csv"
    products.write_text("id,name,category,parent_id\nA1,Red shirt S,Shirts,A\n")
    import_file(ingest_store, products, format="catalogue")
    by_category = tmp_path / "items_by_category.csv"
    by_category.write_text("id,name,category\nB2,Boots,Shoes\n")
    import_file(ingest_store, by_category, format="catalogue")
    named_for_products = tmp_path / "categories_products.csv"  # its id is named for the products
    named_for_products.write_text("product_id,name\nC3,Sandals\n")
    import_file(ingest_store, named_for_products, format="catalogue")
    assert [e.item_id for e in ingest_store.read()] == ["A1", "B2", "C3"]


@pytest.mark.parametrize(
    ("name", "text", "parent"),
    [
        ("taxonomy.csv", "id,name,parent_id\n1,Shoes,\n2,Boots,1\n", "parent_id"),
        ("export.csv", "ID,Name,ParentID\n1,Shoes,\n2,Boots,1\n", "ParentID"),
        ("export.jsonl", '{"id": 1, "parent": null}\n{"id": 2, "parent": 1}\n', "parent"),
    ],
)
def test_a_tree_of_categories_is_told_by_its_columns_under_any_name(
    ingest_store: Store, tmp_path: Path, name: str, text: str, parent: str
) -> None:
    """id,name,parent_id was refused as categories only in a file named for them: as
    taxonomy.csv or export.csv each category was listed as an item."""
    path = tmp_path / name
    path.write_text(text)
    said = (
        f"^{re.escape(str(path))}: a tree of categories \\(each one's parent, in '{parent}'\\), which "
        "holds no events and no items;.*--format catalogue\\); if its rows are items, import it "
        "naming its id column \\(--format catalogue --map item=(id|ID)\\)$"
    )
    for format in (None, "catalogue"):
        with pytest.raises(FormatError, match=said) as refused:
            import_file(ingest_store, path, format=format)
    assert ingest_store.read() == []
    # as its refusal says, a catalogue whose rows are items (variants, untitled) is read as one
    told = re.search(r"--map item=(\w+)\)$", str(refused.value))
    assert told is not None
    conserved(import_file(ingest_store, path, format="catalogue", mapping={"item": told.group(1)}))
    assert [e.item_id for e in ingest_store.read()] == ["1", "2"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("products.csv", "id,name,parent_id\nA1,Red shirt S,A\nA2,Red shirt M,A\n"),
        ("items.jsonl", '{"id": "A1", "name": "Red shirt S", "parent": "A"}\n{"id": "A2", "parent": "A"}\n'),
        ("catalogue_export.csv", "ID,Name,ParentID\nA1,Red shirt S,A\nA2,Red shirt M,A\n"),
    ],
)
@pytest.mark.parametrize("format", [None, "catalogue"])
def test_a_file_named_for_items_of_an_id_name_and_parent_is_a_catalogue(
    ingest_store: Store, tmp_path: Path, name: str, text: str, format: str | None
) -> None:
    """A shop's products.csv of variants (id,name,parent_id) was refused as a tree of
    categories, though its name says its rows are items: only a file whose name says
    nothing of them is told by its columns alone."""
    path = tmp_path / name
    path.write_text(text)
    conserved(import_file(ingest_store, path, format=format))
    assert [e.item_id for e in ingest_store.read()] == ["A1", "A2"]


def test_an_id_name_and_parent_beside_other_columns_still_import(ingest_store: Store, tmp_path: Path) -> None:
    """Catalogues and events with an id, a name and a parent beside columns of their own are
    read as ever: only a file of nothing but a category's columns is refused for them."""
    files = {
        "export.csv": "id,name,parent_id,price\nA1,Red shirt S,A,9.99\n",
        "items.csv": "id,name,parent_id,category\nB2,Boots,B,Shoes\n",
        "variants.csv": "id,name,parent_id,colour\nC3,Sandals,C,red\n",
        "names.csv": "id,name\nD4,Clogs\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        conserved(import_file(ingest_store, tmp_path / name, format="catalogue"))
    events = tmp_path / "export_events.csv"
    events.write_text(
        "user_id,item_id,name,parent_id,timestamp,event_type\nu1,A1,Red shirt S,A,1700000000,view\n"
    )
    conserved(import_file(ingest_store, events))
    assert [e.item_id for e in ingest_store.read()] == ["A1", "B2", "C3", "D4", "A1"]


def test_olists_category_translation_is_refused_with_the_join_onto_its_products(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Olist's product_category_name_translation.csv was told to give a default type, or to name
    its item column; the refusal now shows how to put the English names onto the products file,
    and the join it shows does."""
    translation = tmp_path / "product_category_name_translation.csv"
    translation.write_text(
        "product_category_name,product_category_name_english\n"
        "beleza_saude,health_beauty\ninformatica_acessorios,computers_accessories\n"
    )
    for format in (None, "catalogue"):
        with pytest.raises(
            FormatError, match="a list of categories.*--map category=product_category_name_english$"
        ) as refused:
            import_file(ingest_store, translation, format=format)
    assert ingest_store.read() == []
    tree = tmp_path / "category_tree.csv"  # a column that starts as another's is no translation
    tree.write_text("category_id,category_id_parent\n2,1\n")
    with pytest.raises(FormatError, match="a tree of categories.*--format catalogue\\)$"):
        import_file(ingest_store, tree)
    program = printed_program(str(refused.value))
    (tmp_path / "PRODUCTS.csv").write_text(
        "product_id,product_category_name,product_name_lenght,product_weight_g\n"
        "1e9e8ef04dbcff4541ed26657ea517e5,beleza_saude,40,225\n"
        "3aa071139cb16b67ca9e5dea641aaa2f,informatica_acessorios,44,1000\n"
    )
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    import_file(
        ingest_store,
        tmp_path / "products.csv",
        format="catalogue",
        mapping={"category": "product_category_name_english"},
    )
    assert [e.payload["category"] for e in ingest_store.read()] == ["health_beauty", "computers_accessories"]


def test_the_join_of_a_category_translation_in_parquet_reads_the_products_in_parquet(
    ingest_store: Store, tmp_path: Path
) -> None:
    """The translation saved as Parquet (as dataset hubs convert Olist's files) was given
    pd.read_parquet("PRODUCTS.csv"): the products, in Parquet too, are PRODUCTS.parquet."""
    names = ["product_category_name", "product_category_name_english"]
    pd.DataFrame([["beleza_saude", "health_beauty"]], columns=names).to_parquet(
        tmp_path / "product_category_name_translation.parquet"
    )
    with pytest.raises(FormatError, match=r"\(PRODUCTS\.parquet being that file") as refused:
        import_file(ingest_store, tmp_path / "product_category_name_translation.parquet")
    program = printed_program(str(refused.value))
    pd.DataFrame([["1e9e8ef0", "beleza_saude"]], columns=["product_id", names[0]]).to_parquet(
        tmp_path / "PRODUCTS.parquet"
    )
    subprocess.run([sys.executable, "-c", program], cwd=tmp_path, check=True)
    joined = pd.read_csv(tmp_path / "products.csv")
    assert joined[names[1]].tolist() == ["health_beauty"]


def test_a_catalogue_of_variants_naming_their_parent_is_told_to_name_its_item_column(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A catalogue whose rows name their parent product, its id's column named unusually, was
    called a tree of categories holding no items, and told to import as a catalogue (--format
    catalogue), which it was: it is told to name its item column, as before."""
    variants = tmp_path / "variants.csv"
    variants.write_text("code,parent_id,category,title,price\nA1,A,Shirts,Red shirt S,9.99\n")
    with pytest.raises(FormatError, match="no column for the item id; the columns are") as refused:
        import_file(ingest_store, variants, format="catalogue")
    assert "tree" not in str(refused.value)
    with pytest.raises(FormatError, match="no column for the user") as refused:
        import_file(ingest_store, variants)
    assert "tree" not in str(refused.value)
    import_file(ingest_store, variants, format="catalogue", mapping={"item": "code"})
    assert [e.item_id for e in ingest_store.read()] == ["A1"]


def test_a_wide_table_of_daily_sales_is_refused_saying_to_reshape_it(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Walmart M5's sales_train_validation.csv: one row per item, its sales in d_1 ... d_n. The
    refusal said to give undated=DAY, and that imported one sale per item row, its counts lost."""
    path = tmp_path / "sales_train_validation.csv"
    path.write_text(
        "id,item_id,dept_id,cat_id,store_id,state_id,d_1,d_2,d_3\n"
        "HOBBIES_1_001_CA_1_validation,HOBBIES_1_001,HOBBIES_1,HOBBIES,CA_1,CA,0,0,0\n"
        "HOBBIES_1_002_CA_1_validation,HOBBIES_1_002,HOBBIES_1,HOBBIES,CA_1,CA,3,0,5\n"
    )
    mapping = {"user": "store_id", "default_type": "purchased", "undated": "2011-01-29"}
    for given in (None, mapping):
        with pytest.raises(
            FormatError, match=r"a column per day \(d_1, d_2, d_3\).*\.melt\(id_vars="
        ) as caught:
            import_file(ingest_store, path, mapping=given)
        assert "undated" not in str(caught.value)
    # named by dates, with the item's other columns kept as the melt's ids
    dated = tmp_path / "weekly.csv"
    dated.write_text("sku,2024-01-01,2024-01-02,2024-01-03,2024-01-04\nA1,1,0,2,0\n")
    with pytest.raises(
        FormatError, match=r'\(2024-01-01, 2024-01-02, \.\.\., 2024-01-04\).*id_vars=\["sku"\]'
    ):
        import_file(ingest_store, dated, mapping={"user": "sku", "item": "sku", "default_type": "purchased"})
    assert ingest_store.read() == []


@pytest.mark.parametrize(
    ("text", "customer"),
    [
        ("item_id\tstore_id\t2011-01-29\t2011-01-30\t2011-01-31\nA\tS1\t0\t2\t1\nB\tS1\t3\t0\t0\n", "S1"),
        ("item_id\tdept\t2011-01-29\t2011-01-30\t2011-01-31\nA\tD1\t0\t2\t1\nB\tD1\t3\t0\t0\n", "shop"),
    ],
)
def test_the_wide_tables_recipe_imports_it_when_followed(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, customer: str
) -> None:
    """The refusal's melt line and mapping, followed to the letter, import the sales: the line
    read a TSV with commas and the file by its bare name (not the path given), and the mapping
    named no customer, which a table of daily sales has none of."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sales.tsv").write_text(text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormatError) as caught:
        import_file(ingest_store, Path("data/sales.tsv"))
    said = str(caught.value)
    exec(printed_program(said))  # noqa: S102
    maps = shlex.split(re.search(r"import long\.csv with (--map .*?) \(", said).group(1))  # type: ignore[union-attr]
    mapping = dict(pair.split("=", 1) for pair in maps if pair != "--map")
    report = import_file(ingest_store, tmp_path / "long.csv", mapping=mapping)
    assert (report.accepted, report.quarantined) == (3, 0)
    sales = [
        (e.user_id, e.item_id, e.occurred_at // 1_000_000, e.payload["quantity"]) for e in ingest_store.read()
    ]
    assert sales == [
        (customer, "B", 1296259200, 3),
        (customer, "A", 1296345600, 2),
        (customer, "A", 1296432000, 1),
    ]


_SHOPS_OWN = "sku,title,price\nA1,Red shirt,9.99\n"


@pytest.mark.parametrize(
    ("files", "given", "own"),
    [
        (  # a file named views.csv is given the line that writes its views
            {
                "views.csv": "user_id,item_id,event_type,rating,timestamp\nu1,i1,view,,2024-03-01 10:00:00\n"
                "u1,i1,rate,0,2024-03-01 10:05:00\nu1,i2,rate,5,2024-03-01 10:06:00\n"
                "u2,i2,rate,9,2024-03-01 10:07:00\n"
            },
            "views.csv",
            "views.csv",
        ),
        (
            {
                "sales.csv": "item_id,dept,2011-01-29,2011-01-30,2011-01-31\nA,D1,0,2,1\n",
                "long.csv": _SHOPS_OWN,
            },
            "sales.csv",
            "long.csv",
        ),
        (
            {
                "order_products__prior.csv": "order_id,product_id,add_to_cart_order,reordered\n1,27,1,0\n",
                "orders.csv": "order_id,user_id,ordered_at\n1,u1,2017-05-01 10:00:00\n",
                "joined.csv": _SHOPS_OWN,
            },
            "order_products__prior.csv",
            "joined.csv",
        ),
    ],
    ids=["views", "long", "joined"],
)
def test_following_a_printed_pandas_line_writes_no_file_the_shop_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], given: str, own: str
) -> None:
    """The pandas lines printed for a file's ratings of 0 (views.csv), a wide table (long.csv)
    and order lines beside their orders (joined.csv) wrote that name into the current folder,
    and the import after them read it: following the advice in a folder holding a file of that
    name (the file imported itself, a views.csv) replaced the shop's file without a word. Run as
    printed there, the line writes NAME_2.csv, which the import it prints reads, and the shop's
    file is as it was."""
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        Path(name).write_text(text)
    said = CliRunner().invoke(main, ["--db", "as_is.db", "import", given]).output
    subprocess.run([sys.executable, "-c", printed_program(said)], check=True)
    assert Path(own).read_text() == files[own]
    written = own.replace(".csv", "_2.csv")
    told = re.search(rf"import {written}(?: with)?((?: --map \S+)*)", said)
    assert told, said
    again = CliRunner().invoke(main, ["--db", "again.db", "import", written, *told.group(1).split()])
    assert again.exit_code == 0 and "quarantined: 0" in again.output, again.output


def test_a_scraped_brand_or_title_is_read_as_one_line(ingest_store: Store, tmp_path: Path) -> None:
    """Amazon's 2018 metadata: a brand kept the scraped page's line breaks ("by\\n    Microsoft")."""
    path = tmp_path / "meta_Video_Games.json"
    rows = [
        {
            "asin": "0700099867",
            "title": "Dungeon  Siege",
            "brand": "by\n    \n    Microsoft",
            "price": "$9.99",
        },
        {"asin": "0700099868", "title": "Anno", "price": "$9.99 - $24.99"},  # no one price: refused
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = import_file(ingest_store, path)
    assert (report.accepted, report.quarantined_by_reason) == (1, {"invalid_price": 1})
    [listed] = ingest_store.read()
    assert (listed.payload["title"], listed.payload["brand"]) == ("Dungeon Siege", "by Microsoft")
    # The refused price says how to list every item anyway, and that works: prices kept as text.
    with ingest_store.engine.connect() as connection:
        [detail] = connection.execute(select(quarantine.c.detail)).scalars()
    assert detail.endswith(
        "with its price kept as text, not read, give price=none (--map price=none on the command line)"
    )
    assert import_file(ingest_store, path, format="catalogue", mapping={"price": "none"}).accepted == 2
    anno = ingest_store.read()[-1].payload
    assert "price" not in anno and anno["attributes"] == {"price": "$9.99 - $24.99"}


def test_sessions_that_list_their_events_are_refused_saying_how_to_flatten_them(
    ingest_store: Store, tmp_path: Path
) -> None:
    """OTTO's train.jsonl: the refusal said to map the item to a column no line has; flattened,
    its `carts` and `orders` were quarantined as unknown actions (only `clicks` was known)."""
    sessions = [
        {"session": 12899779, "events": [{"aid": 59625, "ts": 1661724000278, "type": "clicks"}]},
        {"session": 12899780, "events": [{"aid": 1142000, "ts": 1661724000378, "type": "carts"}]},
    ]
    nested = tmp_path / "train.jsonl"
    nested.write_text("".join(json.dumps(line) + "\n" for line in sessions))
    for given in ({}, {"mapping": {"item": "aid"}}):
        with pytest.raises(
            FormatError, match=r"lists its events under 'events'.*jq -c '\.events\[\] as \$event"
        ):
            import_file(ingest_store, nested, **given)  # type: ignore[arg-type]
    flat = tmp_path / "flat.jsonl"  # what the jq line makes of it
    events = [
        {**{k: v for k, v in line.items() if k != "events"}, **e} for line in sessions for e in line["events"]
    ]
    events.append({"session": 12899780, "aid": 1142000, "ts": 1661724100378, "type": "orders"})
    flat.write_text("".join(json.dumps(event) + "\n" for event in events))
    conserved(import_file(ingest_store, flat, mapping={"item": "aid"}))
    assert [(e.type, e.session_id) for e in ingest_store.read()] == [
        ("item_viewed", "12899779"),
        ("added_to_cart", "12899780"),
        ("purchased", "12899780"),
    ]


def test_otto_s_sessions_flattened_as_the_refusal_says_import_as_they_are(
    ingest_store: Store, tmp_path: Path
) -> None:
    """The refusal's jq line, then `import flat.jsonl`: that import was refused too ("no column
    for the item"), OTTO's `aid` being no known name for the item."""
    flat = tmp_path / "flat.jsonl"
    flat.write_text(
        '{"session": 1, "aid": 10, "ts": 1661724000278, "type": "clicks"}\n'
        '{"session": 1, "aid": 11, "ts": 1661724000378, "type": "carts"}\n'
        '{"session": 2, "aid": 12, "ts": 1661724001278, "type": "orders"}\n'
    )
    conserved(report := import_file(ingest_store, flat))
    assert report.accepted == 3
    assert [(e.type, e.item_id) for e in ingest_store.read()] == [
        ("item_viewed", "10"),
        ("added_to_cart", "11"),
        ("purchased", "12"),
    ]


def test_an_aid_column_beside_a_product_column_is_not_the_item(ingest_store: Store, tmp_path: Path) -> None:
    """`aid` names the item only where no other column does: beside a bare `product` it may be
    an app's or an affiliate's id, and every event went to one item, the app."""
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,product,aid,timestamp,type\n"
        "u1,SKU-1,shop-web,2024-05-01T10:00:00Z,view\n"
        "u1,SKU-2,shop-web,2024-05-01T10:01:00Z,view\n"
    )
    conserved(import_file(ingest_store, events))
    assert [e.item_id for e in ingest_store.read()] == ["SKU-1", "SKU-2"]


def test_jds_action_file_is_read_by_its_sku_id_and_its_action_codes_are_named_not_guessed(
    ingest_store: Store, tmp_path: Path
) -> None:
    """JD.com's JData_Action_*.csv names its item `sku_id`, which was not known: the file was
    refused as having no item column. It is the item where no other column names one. Its
    `type` holds codes (1 a view, ... 4 a purchase) the file does not name: each row is
    quarantined as unknown_action naming --action, not read as a guess, until actions name them."""
    path = tmp_path / "JData_Action_201602.csv"
    path.write_text(
        "user_id,sku_id,time,model_id,type,cate,brand\n"
        "266079,138778,2016-01-31 23:59:02,,1,8,403\n"
        "263587,72348,2016-01-31 23:59:09,,2,5,159\n"
        "263587,72348,2016-01-31 23:59:10,,4,5,159\n"
    )
    report = import_file(ingest_store, path)
    conserved(report)
    assert report.quarantined_by_reason == {"unknown_action": 3}
    with ingest_store.engine.connect() as connection:
        details = connection.execute(select(quarantine.c.detail)).scalars().all()
    assert details[0].startswith("type: unknown action '1' (say which event it is: --action 1=")
    codes = {"1": "item_viewed", "2": "added_to_cart", "4": "purchased"}
    conserved(import_file(ingest_store, path, mapping={"actions": codes}))
    assert [(e.type, e.user_id, e.item_id) for e in ingest_store.read()] == [
        ("item_viewed", "266079", "138778"),
        ("added_to_cart", "263587", "72348"),
        ("purchased", "263587", "72348"),
    ]
    lines = tmp_path / "order_lines.csv"  # an order's lines: the SKU sold, not the line's item_id
    lines.write_text("order_id,item_id,sku_id,customer_id,price,created_at\n100,1,SKU-9,7,5.00,2024-05-01\n")
    conserved(import_file(ingest_store, lines))
    assert ingest_store.read()[-1].item_id == "SKU-9"


def test_a_sku_id_beside_another_id_column_is_not_the_item(ingest_store: Store, tmp_path: Path) -> None:
    """A `sku_id` is the item only where no other column names one: beside an `asin`, an
    `article_id` or a `stock_code` it was taken over them, and a file that was read by its
    ASINs was read by its SKU numbers."""
    for column, item in [("asin", "B00X4WHP5E"), ("article_id", "0108775015"), ("stock_code", "85123A")]:
        path = tmp_path / f"{column}.csv"
        path.write_text(f"user_id,sku_id,{column},event,timestamp\nu1,991,{item},view,2024-03-01 10:00\n")
        conserved(import_file(ingest_store, path))
        assert ingest_store.read()[-1].item_id == item


def test_python_literal_lines_that_list_their_events_are_told_a_python_line_not_jq(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Steam's australian_user_reviews.json: lines of Python dicts (single quotes, True), which
    edgerec reads but jq does not; the refusal's jq line failed on them (parse error)."""
    reviews = tmp_path / "australian_user_reviews.json"
    reviews.write_text(
        "{'user_id': '7656', 'reviews': [{'item_id': '1250', 'recommend': True}, "
        "{'item_id': '22200', 'recommend': False}]}\n\n"
        "{'user_id': 'js41637', 'reviews': []}\n"
    )
    with pytest.raises(FormatError, match="Python dicts, not the JSON jq reads") as caught:
        import_file(ingest_store, reviews)
    command = re.search(r"python3 -c (.*) > flat\.jsonl", str(caught.value))
    assert command is not None and "jq -c" not in str(caught.value)
    program, redirect, name = shlex.split(command.group(1))
    assert (redirect, name) == ("<", reviews.name)
    with reviews.open() as given:
        flat = subprocess.run(
            [sys.executable, "-c", program], stdin=given, capture_output=True, text=True, check=True
        ).stdout
    assert [json.loads(line) for line in flat.splitlines()] == [
        {"user_id": "7656", "item_id": "1250", "recommend": True},
        {"user_id": "7656", "item_id": "22200", "recommend": False},
    ]


def test_a_file_with_no_times_is_dated_by_the_day_given_in_file_order(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Book-Crossing's ratings have no time column: the refusal said to map the time to a
    column the file does not have, and its Book-Rating was no rating."""
    ratings = tmp_path / "BX-Book-Ratings.csv"
    ratings.write_bytes(
        '"User-ID";"ISBN";"Book-Rating"\n"276725";"034545104X";"0"\n"276729";"052165615X";"3"\n'
        '"276729";"0521795028";"6"\n"2767é";"0521795029";"7"\n'.encode("latin-1")
    )
    with pytest.raises(FormatError, match="no column for the timestamp.*give undated=2024-01-01"):
        import_file(ingest_store, ratings)
    given = {"mapping": {"undated": "2004-09-01"}, "encoding": "latin-1"}
    conserved(report := import_file(ingest_store, ratings, **given))  # type: ignore[arg-type]
    assert report.accepted == 4
    logged = ingest_store.read()
    start = to_micros(datetime(2004, 9, 1, tzinfo=UTC))
    assert [(e.type, e.user_id, e.payload["value"], e.occurred_at - start) for e in logged] == [
        ("rated", "276725", 0.0, 2),
        ("rated", "276729", 3.0, 3),
        ("rated", "276729", 6.0, 4),
        ("rated", "2767é", 7.0, 5),
    ]
    assert import_file(ingest_store, ratings, **given).appended == 0  # type: ignore[arg-type]
    reviews = tmp_path / "reviews.jsonl"  # JSON lines too, where a line has no time
    reviews.write_text('{"user_id": "u1", "book_id": "b1", "rating": 4}\n')
    conserved(import_file(ingest_store, reviews, mapping={"undated": "2017-10-01"}))
    assert ingest_store.read(since=4)[0].occurred_at == to_micros(datetime(2017, 10, 1, tzinfo=UTC)) + 1
    with pytest.raises(FormatError, match="undated=2004-09-01: the file has times, in 'ISBN'"):
        import_file(ingest_store, ratings, mapping={"undated": "2004-09-01", "timestamp": "ISBN"})
    for day in ("yesterday", "1980-01-01", "2999-01-01"):
        with pytest.raises(ValueError, match=f"undated={day}: give"):
            import_file(ingest_store, ratings, mapping={"undated": day})


@pytest.mark.parametrize(
    ("name", "text", "column", "mapping"),
    [
        (
            "goodreads_interactions_dedup.json",
            '{"user_id": "8842", "book_id": "24375664", "rating": 5, '
            '"date_added": "Mon Aug 21 12:05:59 -0700 2017", "read_at": ""}\n',
            "date_added",
            {},
        ),
        (
            "olist_order_items_dataset.csv",
            "order_id,customer_unique_id,product_id,shipping_limit_date,price\n"
            "00010242,c1,4244733e,2017-09-19 09:45:35,58.90\n",
            "shipping_limit_date",
            {"user": "customer_unique_id"},
        ),
        (
            "browsing_train.csv",
            "session_id_hash,product_sku_hash,product_action,server_timestamp_epoch_ms\n"
            "0000044914,a83ad3c6,detail,1550885213307\n",
            "server_timestamp_epoch_ms",
            {"user": "session_id_hash", "item": "product_sku_hash", "type": "product_action"},
        ),
        (  # DIGINETICA's eventdate: a name of one lower-case word
            "item_views.csv",
            "sessionId;itemId;eventdate;type\n1;9680;2017-05-10;view\n",
            "eventdate",
            {},
        ),
    ],
)
def test_a_time_under_a_name_edgerec_does_not_know_is_named_not_replaced_by_undated(
    ingest_store: Store, tmp_path: Path, name: str, text: str, column: str, mapping: dict[str, str]
) -> None:
    """Goodreads' date_added, Olist's shipping_limit_date, Coveo's server_timestamp_epoch_ms,
    DIGINETICA's eventdate: the refusal said "for a file with no times at all, give
    undated=2024-01-01", and taking it dated every row that day, the file's own times dropped
    without a word."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FormatError, match=f"the times seem to be in '{column}': give timestamp={column}$"):
        import_file(ingest_store, path)
    assert ingest_store.head() == 0
    conserved(import_file(ingest_store, path, mapping={**mapping, "timestamp": column}))
    [event] = ingest_store.read()
    assert datetime.fromtimestamp(event.occurred_at / 1e6, UTC).year in (2017, 2019)


def test_a_duration_is_not_named_as_the_time(ingest_store: Store, tmp_path: Path) -> None:
    """Steam's playtime_forever (minutes played) was named for a time (play + time): the refusal
    said it holds no date after 1990, as if it were the time column."""
    path = tmp_path / "steam.csv"
    path.write_text("user_id,item_id,playtime_forever,playtime_2weeks\nu1,10,6,0\nu2,10,273,12\n")
    with pytest.raises(FormatError, match="give undated=") as refused:
        import_file(ingest_store, path)
    assert "is named for a time" not in str(refused.value)
    # nor one named in two words (play_time, watch_time, session_time, dwell_time, time_spent)
    for name in ("play_time", "watch_time", "session_time", "dwell_time", "time_spent"):
        path.write_text(f"user_id,item_id,{name},{name}_2weeks\nu1,10,6,0\nu2,10,273,12\n")
        with pytest.raises(FormatError, match="give undated=") as refused:
            import_file(ingest_store, path)
        assert "is named for a time" not in str(refused.value), name
    dated = tmp_path / "views.csv"  # a view's date is its time, though a viewtime is a duration
    dated.write_text("user_id,item_id,event_type,viewdate\nu1,10,view,2024-03-01\n")
    with pytest.raises(FormatError, match="the times seem to be in 'viewdate'"):
        import_file(ingest_store, dated)


def test_a_column_named_for_a_time_that_holds_none_is_not_named_as_the_times(
    ingest_store: Store, tmp_path: Path
) -> None:
    """dunnhumby's transaction_data: DAY is a day's number, TRANS_TIME a time of day (1631).
    The refusal said the times seem to be in TRANS_TIME, and taking it quarantined every row as
    too old; it names a column only where its values read as times, else undated."""
    path = tmp_path / "transaction_data.csv"
    path.write_text(
        "household_key,BASKET_ID,DAY,PRODUCT_ID,QUANTITY,TRANS_TIME\n"
        "2375,26984851472,1,1004906,1,1631\n2375,26984851472,1,1033142,1,1631\n1364,26984896261,2,842930,1,1520\n"
    )
    for mapping in (None, {"user": "household_key"}):  # refused as it is detected, and as it is read
        with pytest.raises(FormatError) as refused:
            import_file(ingest_store, path, mapping=mapping)
        message = str(refused.value)
        assert "timestamp=TRANS_TIME" not in message and "seem to be in" not in message
        assert "'TRANS_TIME' is named for a time, but holds no date and time after 1990 ('1631')" in message
        assert "give undated=2024-01-01" in message
    given = {"user": "household_key", "item": "PRODUCT_ID", "default_type": "purchased"}
    conserved(report := import_file(ingest_store, path, mapping={**given, "undated": "2024-01-01"}))
    assert (report.accepted, report.quarantined) == (3, 0)


def test_an_empty_column_named_for_a_time_is_not_named_as_the_times(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A column named for a time but empty in the first rows (a cancelled_at of sales never
    cancelled) was named as where the times seem to be, and taking it quarantined every row for
    want of a time; an empty column holds no times."""
    path = tmp_path / "sales.csv"
    path.write_text("customer_id,product_id,trans_time,cancelled_at,quantity\nC1,P1,1631,,1\nC2,P2,0915,,2\n")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "s.db"), "import", str(path)])
    assert result.exit_code == 1
    assert "timestamp=cancelled_at" not in result.output
    assert "'trans_time' is named for a time, but holds no date and time after 1990 ('1631')" in result.output
    empty = tmp_path / "empty.csv"
    empty.write_text("customer_id,product_id,cancelled_at,quantity\nC1,P1,,1\n")
    with pytest.raises(FormatError, match="'cancelled_at' is named for a time, but empty in the first rows"):
        import_file(ingest_store, empty)


def test_undated_given_dates_the_rows_whatever_columns_are_named_for_a_time(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A column named like a time is not always the events' time: seconds watched, or a film's
    release date beside its ratings, which undated=DAY was refused for (and no way past it)."""
    plays = tmp_path / "plays.csv"
    plays.write_text("user_id,item_id,watch_time\nu1,v1,12.5\nu1,v2,340\n")
    report = import_file(
        ingest_store, plays, mapping={"undated": "2024-01-01", "default_type": "item_viewed"}
    )
    assert (report.accepted, report.quarantined) == (2, 0)
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("user_id,item_id,rating,release_date\nu1,m1,4,1995-07-01\nu2,m1,5,1995-07-01\n")
    report = import_file(ingest_store, ratings, mapping={"undated": "2024-01-01"})
    assert (report.accepted, report.quarantined) == (2, 0)


def test_a_time_column_of_zeros_is_refused_saying_that_undated_imports_the_file(
    ingest_store: Store, tmp_path: Path
) -> None:
    """NCF's pinterest-20 ratings (user, item, 1, 0): a time of 0 in every row quarantined every
    row as too old, and nothing said that the file has no times and undated=DAY imports it."""
    path = tmp_path / "pinterest-20.train.rating"
    path.write_text("0\t0\t1\t0\n0\t1\t1\t0\n1\t5\t1\t0\n")
    given = {"header": "false", "user": "0", "item": "1", "value": "2"}
    way_out = "--map header=false --map user=0 --map item=1 --map value=2 --map undated=2024-01-01"
    with pytest.raises(FormatError, match=f"every time in column 3 is 0, before 1990.* {way_out} "):
        import_file(ingest_store, path, mapping={**given, "timestamp": "3"})
    assert ingest_store.head() == 0
    conserved(report := import_file(ingest_store, path, mapping={**given, "undated": "2024-01-01"}))
    assert (report.accepted, report.quarantined) == (3, 0)
    # with a header, and in JSON lines: a time column found by its name, the way out taken too
    for name, text in (
        ("views.csv", "user_id,item_id,timestamp\nu1,i1,0\nu2,i1,0\n"),
        (
            "views.jsonl",
            '{"user_id": "u1", "item_id": "i1", "ts": 0}\n{"user_id": "u2", "item_id": "i1", "ts": 0}\n',
        ),
    ):
        views = tmp_path / name
        views.write_text(text)
        with pytest.raises(
            FormatError, match=r"is 0, before 1990.* --map default_type=item_viewed --map undated="
        ):
            import_file(ingest_store, views, mapping={"default_type": "item_viewed"})
        report = import_file(
            ingest_store, views, mapping={"default_type": "item_viewed", "undated": "2024-01-01"}
        )
        assert (report.accepted, report.quarantined) == (2, 0)
    # one time before 1990 among real ones is that row's problem, not the file's
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("user_id,item_id,timestamp\nu1,i1,0\nu2,i1,1700000000\n")
    report = import_file(ingest_store, mixed, mapping={"default_type": "item_viewed"})
    assert report.quarantined_by_reason == {"timestamp_too_old": 1}


def test_mysqls_zero_date_in_every_row_is_refused_saying_that_undated_imports_the_file(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A table exported from MySQL holds 0000-00-00 00:00:00 where no time was set: every row
    was quarantined as bad_timestamp, with no word that the file has no times."""
    path = tmp_path / "ratings.csv"
    path.write_text(
        "user_id,item_id,rating,timestamp\n"
        "u1,i1,4,0000-00-00 00:00:00\nu1,i2,5,0000-00-00 00:00:00\nu2,i1,3,0000-00-00 00:00:00\n"
    )
    with pytest.raises(FormatError, match=r"is 0000-00-00 00:00:00, a zero date.* --map undated=2024-01-01"):
        import_file(ingest_store, path)
    assert ingest_store.head() == 0 and quarantined(ingest_store) == 0
    report = import_file(ingest_store, path, mapping={"undated": "2024-01-01"})
    assert (report.accepted, report.quarantined) == (3, 0)
    # a zero date among real ones is that row's problem, not the file's
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("user_id,item_id,timestamp\nu1,i1,0000-00-00\nu2,i1,1700000000\n")
    report = import_file(ingest_store, mixed, mapping={"default_type": "item_viewed"})
    assert (report.accepted, report.quarantined) == (1, 1)


def test_a_time_column_with_no_time_after_1990_is_refused_saying_how_it_was_read(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Tmall's user_log: time_stamp is a month and day (0829), read as 829 seconds after 1970:
    every row was quarantined as too old, with no word of how the column was read or of the
    options that read the file (timestamp=, timestamp_unit=, undated=)."""
    path = tmp_path / "user_log_format1.csv"
    path.write_text(
        "user_id,item_id,cat_id,time_stamp,action_type\n"
        "328862,323294,833,0829,0\n328862,844400,1271,0829,0\n234512,575153,1271,1111,0\n"
    )
    given = {"type": "action_type", "actions": {"0": "item_viewed"}}
    with pytest.raises(FormatError) as refused:
        import_file(ingest_store, path, mapping=given)
    message = str(refused.value)
    assert "'0829', read as seconds since 1970, is 1970-01-01 00:13:49 UTC" in message
    assert all(way in message for way in ("--map timestamp=", "--map timestamp_unit=", "--map undated="))
    assert ingest_store.head() == 0 and quarantined(ingest_store) == 0
    report = import_file(ingest_store, path, mapping={**given, "timestamp": None, "undated": "2024-01-01"})
    assert (report.accepted, report.quarantined) == (3, 0)
    # milliseconds read as seconds: all after the year 5000, refused the same way
    views = tmp_path / "views.csv"
    views.write_text("user_id,item_id,timestamp\nu1,i1,1700000000000\nu2,i1,1700000000500\n")
    seconds = {"default_type": "item_viewed", "timestamp_unit": "s"}
    with pytest.raises(FormatError, match="'1700000000000', read as seconds since 1970, is after the year"):
        import_file(ingest_store, views, mapping=seconds)
    conserved(import_file(ingest_store, views, mapping={**seconds, "timestamp_unit": "ms"}))
    # one time before 1990 among real ones is that row's problem, not the file's
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("user_id,item_id,timestamp\nu1,i1,829\nu2,i1,1700000000\n")
    report = import_file(ingest_store, mixed, mapping={"default_type": "item_viewed"})
    assert report.quarantined_by_reason == {"timestamp_too_old": 1}


def test_a_time_column_refused_for_its_first_rows_says_so(ingest_store: Store, tmp_path: Path) -> None:
    """The check judges the first chunk only: a file sorted by time whose first rows are before
    1990 was refused saying every row would be quarantined, though its later rows are in range.
    The refusal says the first rows would be."""
    path = tmp_path / "loans.csv"
    path.write_text(
        "user_id,item_id,rating,timestamp\nu1,b1,4,1985-06-01\nu2,b2,5,1987-03-02\nu3,b3,3,1989-11-30\n"
        "u1,b4,4,1995-06-01\nu2,b5,2,2001-01-01\n"
    )
    with pytest.raises(FormatError) as refused:
        import_file(ingest_store, path, chunk_rows=3)
    message = str(refused.value)
    assert "is 1985-06-01 00:00:00 UTC, so the first rows would be quarantined" in message
    assert "every row" not in message


def test_a_time_column_is_read_where_the_one_found_by_name_holds_days_only(
    ingest_store: Store, tmp_path: Path
) -> None:
    """KuaiRand's logs: `date` (a day, 20220408) beside `time_ms` (epoch milliseconds). The
    day alone put every event of a day at midnight, and a video watched again that day was
    dropped as a double click."""
    header = "user_id,video_id,date,hourmin,time_ms,is_click,play_time_ms\n"
    rows = [
        "0,1518,20220408,1803,1649412238718,1,12656\n",
        "0,561,20220408,1805,1649412329041,1,26260\n",
        "0,1518,20220408,2130,1649424600000,1,9000\n",
    ]
    path = tmp_path / "log_standard_4_08_to_4_21_1k.csv"
    path.write_text(header + "".join(rows))
    expected = [("1518", 1649412238718000), ("561", 1649412329041000), ("1518", 1649424600000000)]
    report = import_file(ingest_store, path, mapping={"default_type": "item_viewed"})
    assert (report.accepted, report.quarantined) == (3, 0)
    assert [(e.item_id, e.occurred_at) for e in ingest_store.read()] == expected
    lines = tmp_path / "log.jsonl"
    names = header.strip().split(",")
    lines.write_text(
        "".join(json.dumps(dict(zip(names, row.strip().split(","), strict=True))) + "\n" for row in rows)
    )
    report = import_file(ingest_store, lines, mapping={"default_type": "item_viewed", "user": "user_id"})
    assert (report.appended, report.already_present, report.quarantined) == (0, 3, 0)
    # a time column the user names is read as named
    other = tmp_path / "days.csv"
    other.write_text(header.replace("user_id", "viewer") + rows[0])
    import_file(
        ingest_store, other, mapping={"default_type": "item_viewed", "user": "viewer", "timestamp": "date"}
    )
    assert ingest_store.read(user_id="0")[-1].occurred_at == 1649376000 * 1_000_000


def test_a_day_column_is_kept_beside_a_time_column_of_other_days(ingest_store: Store, tmp_path: Path) -> None:
    """A column named for a time whose times fall on other days than the rows' (a customer's
    signup) is not the event's time: the day column dates the rows, and a purchase of the same
    customer and item on another day is not dropped as a double click."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "user_id,item_id,date,event,user_registered_at\n"
        "u1,i1,2022-04-08,purchase,2019-05-01 10:00:00\n"
        "u1,i2,2022-04-09,purchase,2019-05-01 10:00:00\n"
        "u1,i1,2022-05-10,purchase,2019-05-01 10:00:00\n"
        "u2,i1,2022-04-09,purchase,2020-01-01 08:30:00\n"
    )
    report = import_file(ingest_store, path)
    assert (report.accepted, report.duplicates_dropped) == (4, 0)
    days = [e.occurred_at // 1_000_000 for e in ingest_store.read()]
    assert days == [1649376000, 1649462400, 1652140800, 1649462400]


def test_a_sales_file_with_an_event_mapping_is_read_as_events(ingest_store: Store, tmp_path: Path) -> None:
    # An item id and a price, as a catalogue has, under names only this file uses: the mapping
    # of event fields decides.
    path = tmp_path / "transactions.csv"
    path.write_text("day,shopper_no,article_id,price\n2018-09-20,c1,0663713001,0.05\n")
    assert detect_format(path).name == "catalogue"
    columns = {"timestamp": "day", "user": "shopper_no", "item": "article_id", "price_paid": "price"}
    assert detect_format(path, mapping={**columns, "default_type": "purchased"}).name == "csv"
    report = import_file(ingest_store, path, mapping={**columns, "default_type": "purchased"})
    conserved(report)
    [sale] = ingest_store.read()
    assert (sale.type, sale.user_id, sale.item_id, sale.payload["price_paid"]) == (
        "purchased",
        "c1",
        "0663713001",
        0.05,
    )
    # item and category are fields of both kinds: mapped alone they leave the kind to the file
    views = tmp_path / "views.csv"
    views.write_text("user_id,item_id,timestamp,type,cat\nu1,i1,1700000000,view,Toys\n")
    assert detect_format(views, mapping={"category": "cat"}).name == "csv"
    assert detect_format(path, mapping={"category": "price"}).name == "catalogue"


def test_json_lines_named_otherwise_are_read_as_json_with_a_mapping(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Adressa's files are JSON lines named by their day (`20170101`). Refused as they are, with
    the advice to give --map item=COLUMN, and given it, the file was read as CSV: its first JSON
    line taken for the column names, and refused again with those, told to give header=false. A
    catalogue so named was read as CSV with or without a mapping."""
    path = tmp_path / "20170101"
    path.write_text(
        '{"eventId": 1154, "url": "http://adressa.no/a-1.ece", "time": 1483225215, "userId": "cx:i8c:3oy", '
        '"id": "5d4e8b55", "category1": "nyheter|trondheim"}\n'
    )
    with pytest.raises(
        FormatError, match=r"no column for the item or the type\. The columns are \['eventId'"
    ):
        import_file(ingest_store, path)
    columns = {"item": "id", "default_type": "item_viewed"}
    assert detect_format(path, mapping=columns).name == "jsonl"
    conserved(import_file(ingest_store, path, mapping=columns))
    [view] = ingest_store.read()
    assert (view.type, view.user_id, view.item_id) == ("item_viewed", "cx:i8c:3oy", "5d4e8b55")
    items = tmp_path / "items"  # a catalogue too: its first line was its header, in pieces
    items.write_text('{"article": "a1", "headline": "Slik blir været", "price": 3}\n')
    conserved(import_file(ingest_store, items, mapping={"item": "article", "title": "headline"}))
    assert ingest_store.read()[-1].payload == {"attributes": {}, "price": 3.0, "title": "Slik blir været"}


def test_json_lines_named_otherwise_are_refused_as_json_lines(ingest_store: Store, tmp_path: Path) -> None:
    """Refused without a mapping, JSON lines named otherwise were judged as CSV: a line that lists
    its events (OTTO's `events`) was not told how to put them one per line as in a .jsonl file,
    and a time column's value was quoted as a CSV cell of the JSON line ('activeTime:20')."""
    nested = tmp_path / "train"
    nested.write_text('{"session": 1, "events": [{"aid": 10, "ts": 1661724000, "type": "clicks"}]}\n')
    with pytest.raises(FormatError, match=r"each line lists its events under 'events'.*jq -c"):
        import_file(ingest_store, nested)
    timed = tmp_path / "20170103"
    timed.write_text(
        "".join(
            f'{{"userId": "u{n}", "id": "a{n}", "activeTime": {10 * n}, "event": "view"}}\n' for n in (1, 2)
        )
    )
    with pytest.raises(FormatError, match=r"holds no date and time after 1990 \('10'\)"):
        import_file(ingest_store, timed)
    assert ingest_store.head() == 0


def test_interactions_under_common_column_names_need_no_mapping(ingest_store: Store, tmp_path: Path) -> None:
    # Shaped like RetailRocket's events.csv: times in milliseconds, visitorid, event, itemid.
    events = tmp_path / "events.csv"
    events.write_text(
        "timestamp,visitorid,event,itemid,transactionid\n"
        "1433221332117,257597,view,355908,\n"
        "1433223236124,111016,addtocart,318965,\n"
        "1433223239000,111016,transaction,318965,11117\n"
    )
    assert detect_format(events).name == "csv"
    conserved(import_file(ingest_store, events))
    logged = ingest_store.read()
    assert [(e.type, e.user_id, e.item_id) for e in logged] == [
        ("item_viewed", "257597", "355908"),
        ("added_to_cart", "111016", "318965"),
        ("purchased", "111016", "318965"),
    ]
    assert logged[0].occurred_at == 1_433_221_332_117_000
    # JSON lines with camelCase keys
    clicks = tmp_path / "clicks.jsonl"
    rows = [{"ts": "2024-05-01T09:00:00Z", "userId": "u1", "productId": "p1", "eventType": "view", "qty": 1}]
    clicks.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert detect_format(clicks).name == "jsonl"
    conserved(import_file(ingest_store, clicks))
    assert ingest_store.read(since=3)[0].item_id == "p1"
    # Amazon's reviews: no type column, but a rating one: every row is a rating
    reviews = tmp_path / "Beauty_5.json"
    review = {
        "overall": 4.0,
        "reviewerID": "A1",
        "asin": "B01",
        "reviewTime": "09 13, 2009",
        "unixReviewTime": 1252800000,
    }
    reviews.write_text(json.dumps(review) + "\n")
    assert detect_format(reviews).name == "jsonl"
    conserved(import_file(ingest_store, reviews))
    [rated] = ingest_store.read(since=4)
    assert (rated.type, rated.user_id, rated.item_id, rated.payload["value"]) == ("rated", "A1", "B01", 4.0)
    assert rated.occurred_at == 1_252_800_000_000_000
    # Shaped like the REES46 multi-category store's monthly files
    store_events = tmp_path / "2019-Oct.csv"
    store_events.write_text(
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
        "2019-10-01 00:00:05 UTC,remove_from_cart,1307067,2053,computers.notebook,lenovo,251.74,u550,7c90fc\n"
    )
    assert detect_format(store_events).name == "csv"
    conserved(import_file(ingest_store, store_events))
    [removed] = ingest_store.read(user_id="u550")
    assert (removed.type, removed.session_id, removed.occurred_at) == (
        "removed_from_cart",
        "7c90fc",
        1_569_888_005_000_000,
    )
    # Shaped like a Google Analytics 4 export; action names however spelt
    ga4 = tmp_path / "ga4.csv"
    ga4.write_text(
        "user_pseudo_id,item_id,event_name,event_timestamp\n"
        "g1,sku-1,view_item,1700000000000000\n"
        "g1,sku-1,Add To Cart,1700000060000000\n"
        "g1,sku-1,add_to_wishlist,1700000120000000\n"
    )
    assert detect_format(ga4).name == "csv"
    conserved(import_file(ingest_store, ga4))
    assert [e.type for e in ingest_store.read(user_id="g1")] == [
        "item_viewed",
        "added_to_cart",
        "item_favourited",
    ]
    # no customer column: each session is an anonymous visitor, never a customer of the same id
    visits = tmp_path / "visits.csv"
    visits.write_text("visit_id,sku,action,time\nv9,s1,view,1700000000\n")
    conserved(import_file(ingest_store, visits, format="csv"))
    visit = ingest_store.read(since=9)[0]
    assert (visit.user_id, visit.session_id) == ("anonymous@v9", "v9")
    web = tmp_path / "web.jsonl"
    web.write_text('{"session_id": "u550", "item_id": "s2", "event": "view", "timestamp": 1700000100}\n')
    conserved(import_file(ingest_store, web))
    assert [e.item_id for e in ingest_store.read(user_id="u550")] == ["1307067"]  # the till's alone


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_rees46s_category_is_its_code_else_its_id(ingest_store: Store, tmp_path: Path, suffix: str) -> None:
    """REES46's events name a category by its category_code (electronics.smartphone), blank on
    many rows, and always by its category_id: the id was read, a number that no shopper or
    operator reads, on every row. The code is now, and the id only where the code is blank."""
    header = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
    rows = [
        "2019-11-01 00:00:00 UTC,view,1003461,2053013555631882655,electronics.smartphone,xiaomi,489.07,"
        "520088904,4d3b30da-a5e4-49df-b1a8-ba5943f1dd33",
        "2019-11-01 00:00:01 UTC,view,17302664,2053013553853497655,,creed,28.31,561587266,"
        "755422e7-9040-477b-9bd2-6a6e8fd97387",
    ]
    path = tmp_path / f"2019-Nov{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join([header, *rows]) + "\n")
    else:
        keys = header.split(",")
        path.write_text(
            "".join(json.dumps(dict(zip(keys, row.split(","), strict=True))) + "\n" for row in rows)
        )
    conserved(import_file(ingest_store, path))
    assert [e.payload.get("category") for e in ingest_store.read()] == [
        "electronics.smartphone",
        "2053013553853497655",
    ]


@pytest.mark.parametrize(
    "header",
    [
        "customer_id,session_id,item_id,type,timestamp",  # YOOCHOOSE's session, item and time
        "customer_id,item_id,category_id,behavior,timestamp",  # Taobao's category and behaviour
    ],
)
def test_a_shops_export_shaped_like_a_dataset_keeps_its_customers_and_types(
    ingest_store: Store, tmp_path: Path, header: str
) -> None:
    """A header that a dataset's shares is not the dataset when the rows say otherwise: read as
    YOOCHOOSE, every row became a view by the session; as Taobao, every row was quarantined."""
    path = tmp_path / "shop.csv"
    path.write_text(f"{header}\nc1,s1,i1,view,1600000000\nc1,s1,i2,purchase,1600000060\n")
    assert detect_format(path).name == "csv"
    conserved(import_file(ingest_store, path))
    assert [(e.type, e.user_id) for e in ingest_store.read()] == [("item_viewed", "c1"), ("purchased", "c1")]


def test_a_sales_file_without_a_type_column_is_purchases(ingest_store: Store, tmp_path: Path) -> None:
    shapes = {
        # H&M's transactions_train.csv: article_id and price, like a catalogue, but a customer
        "transactions_train.csv": "t_dat,customer_id,article_id,price,sales_channel_id\n"
        "2018-09-20,c-hm,0663713001,0.0508,2\n",
        # UCI Online Retail: an invoice export
        "online_retail.csv": "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,"
        "Country\n536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,c-uci,United Kingdom\n",
        # Ta-Feng grocery: SALES_PRICE is the price, AMOUNT is not taken for it
        "ta_feng_all_months_merged.csv": "TRANSACTION_DT,CUSTOMER_ID,AGE_GROUP,PIN_CODE,PRODUCT_SUBCLASS,"
        "PRODUCT_ID,AMOUNT,ASSET,SALES_PRICE\n11/1/2000,c-tf,45-49,115,110411,4710199010372,2,24,30\n",
    }
    for name, text in shapes.items():
        path = tmp_path / name
        path.write_text(text)
        assert detect_format(path).name == "csv", name
        conserved(import_file(ingest_store, path))
    bought = {e.user_id: (e.type, e.item_id, e.payload["price_paid"]) for e in ingest_store.read()}
    assert bought == {
        "c-hm": ("purchased", "0663713001", 0.0508),
        "c-uci": ("purchased", "85123A", 2.55),
        "c-tf": ("purchased", "4710199010372", 30.0),
    }


def test_olists_joined_orders_are_read_by_the_customers_unique_id(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Olist's orders joined to their items and customers: each order has a customer_id of its
    own, and customer_unique_id is the customer. Read by customer_id, a customer's two orders
    were two customers' with nothing in common."""
    path = tmp_path / "olist_joined.csv"
    path.write_text(
        "order_id,customer_id,order_purchase_timestamp,product_id,price,customer_unique_id\n"
        "o1,c-order-1,2017-10-02 10:56:33,p1,29.99,861eff47\n"
        "o2,c-order-2,2018-01-15 08:01:00,p2,118.70,861eff47\n"
    )
    conserved(import_file(ingest_store, path, mapping={"timestamp": "order_purchase_timestamp"}))
    assert [(e.user_id, e.item_id) for e in ingest_store.read()] == [("861eff47", "p1"), ("861eff47", "p2")]
    both = tmp_path / "both.csv"
    both.write_text("user_id,customer_unique_id,product_id,price,order_date\nu1,c1,p1,9.99,2024-05-01\n")
    with pytest.raises(FormatError, match="--map user=customer_unique_id or --map user=user_id"):
        import_file(ingest_store, both)


def test_recboles_atomic_files_are_read_by_their_column_names(ingest_store: Store, tmp_path: Path) -> None:
    """RecBole's datasets (`ml-1m.inter`, `ml-1m.item`) write each column's type after its name:
    `user_id:token`. The names were not known and the ':' taken for data, so the file was refused
    saying it seemed to have no header line, to be read with header=false (its header a row)."""
    inter = tmp_path / "ml-1m.inter"
    inter.write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t1193\t5\t978300760\n2\t661\t3\t978302109\n"
    )
    conserved(import_file(ingest_store, inter))
    assert [(e.type, e.user_id, e.item_id, e.payload["value"]) for e in ingest_store.read()] == [
        ("rated", "1", "1193", 5.0),
        ("rated", "2", "661", 3.0),
    ]
    assert ingest_store.read()[0].occurred_at == to_micros(datetime(2000, 12, 31, 22, 12, 40, tzinfo=UTC))
    item = tmp_path / "ml-1m.item"
    item.write_text(
        "item_id:token\tmovie_title:token_seq\tgenre:token_seq\n"
        "1193\tOne Flew Over the Cuckoo's Nest\tDrama\n"
    )
    conserved(import_file(ingest_store, item, format="catalogue", mapping={"title": "movie_title"}))
    assert ingest_store.read()[-1].payload["title"] == "One Flew Over the Cuckoo's Nest"


def test_recboles_item_file_is_a_catalogue_with_its_titles_and_genres(
    ingest_store: Store, tmp_path: Path
) -> None:
    """RecBole's ml-1m.item names its title `movie_title:token_seq` and its genres
    `genre:token_seq`, several in a cell split by spaces: it was refused as events, and as a
    catalogue listed every film with an empty title, its genres an attribute. It is a
    catalogue, each film titled and its first genre its category, all kept as its `genres`,
    as MovieLens' are; a `genres` column of MovieLens' `|` is read the same way."""
    item = tmp_path / "ml-1m.item"
    item.write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tgenre:token_seq\n"
        "1\tToy Story\t1995\tAnimation Children's Comedy\n"
        "2\tJumanji\t1995\tAdventure\n"
        "3\tHeat\t1995\t\n"
    )
    assert detect_format(item).name == "catalogue"
    conserved(import_file(ingest_store, item))
    listed = [
        (e.item_id, e.payload["title"], e.payload.get("category"), e.payload["attributes"])
        for e in ingest_store.read()
    ]
    assert listed == [
        (
            "1",
            "Toy Story",
            "Animation",
            {"release_year:token": "1995", "genres": "Animation|Children's|Comedy"},
        ),
        ("2", "Jumanji", "Adventure", {"release_year:token": "1995", "genres": "Adventure"}),
        ("3", "Heat", None, {"release_year:token": "1995"}),
    ]
    films = tmp_path / "films.csv"
    films.write_text("movie_id,title,genres\n9,Alien,Horror|Sci-Fi\n")
    conserved(import_file(ingest_store, films, format="catalogue"))
    assert ingest_store.read()[-1].payload["category"] == "Horror"
    assert ingest_store.read()[-1].payload["attributes"] == {"genres": "Horror|Sci-Fi"}


def test_a_catalogues_genres_written_as_a_list_or_split_by_commas_are_each_a_genre(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A genres cell split by commas (IMDb's title.basics.tsv: Documentary,Short; an anime
    list's Drama, Romance) or semicolons, or written as a list (a JSON or Parquet list, TMDB's
    JSON text of objects, a Spotify export's Python list) was taken for one genre: the item's
    category was the whole cell (Documentary,Short, or a JSON list's Action/Indie as though a
    category path), and MovieLens' `(no genres listed)` and IMDb's `\\N` were categories.
    Each is a genre, the first the category, none where the cell says there is none."""
    imdb = tmp_path / "title.basics.tsv"
    imdb.write_text(
        "tconst\tprimaryTitle\tstartYear\tgenres\n"
        "tt0000001\tCarmencita\t1894\tDocumentary,Short\n"
        "tt0000002\tLe clown et ses chiens\t1892\t\\N\n"
    )
    books = tmp_path / "books.csv"
    books.write_text(
        "book_id,title,genre\n"
        "1,Dune,Science Fiction; Classics\n"
        "2,The Gruffalo,Children's Books\n"
        '3,Toy Story,"Animation, Comedy"\n'
        "4,Heat,(no genres listed)\n"
        '5,Avatar,"[{""id"": 28, ""name"": ""Action""}, {""id"": 12, ""name"": ""Adventure""}]"\n'
        "6,Bruno Mars,\"['dance pop', 'pop']\"\n"
    )
    games = tmp_path / "games.jsonl"
    games.write_text(
        json.dumps({"id": "7", "title": "Portal", "genres": ["Action", "Indie"]})
        + "\n"
        + json.dumps({"id": "8", "title": "Up", "genres": [{"id": 16, "name": "Animation"}]})
        + "\n"
    )
    films = tmp_path / "films.parquet"
    pd.DataFrame({"id": ["9"], "title": ["Alien"], "genres": [["Horror", "Sci-Fi"]]}).to_parquet(films)
    conserved(
        import_file(
            ingest_store, imdb, format="catalogue", mapping={"item": "tconst", "title": "primaryTitle"}
        )
    )
    for path in (books, games, films):
        conserved(import_file(ingest_store, path, format="catalogue"))
    listed = [
        (e.item_id, e.payload.get("category"), e.payload["attributes"].get("genres"))
        for e in ingest_store.read()
    ]
    assert listed == [
        ("tt0000001", "Documentary", "Documentary|Short"),
        ("tt0000002", None, None),
        ("1", "Science Fiction", "Science Fiction|Classics"),
        ("2", "Children's Books", "Children's Books"),
        ("3", "Animation", "Animation|Comedy"),
        ("4", None, None),
        ("5", "Action", "Action|Adventure"),
        ("6", "dance pop", "dance pop|pop"),
        ("7", "Action", "Action|Indie"),
        ("8", "Animation", "Animation"),
        ("9", "Horror", "Horror|Sci-Fi"),
    ]


def test_a_blank_category_is_not_filled_with_a_genres_cell(ingest_store: Store, tmp_path: Path) -> None:
    """A catalogue with a category and a genres column: an item whose category was left blank
    took the whole genres cell as its category (Drama|Crime, a category of its own). Its
    category stays blank, its genres kept as its attribute."""
    path = tmp_path / "shop.csv"
    path.write_text("id,name,category,genres\n1,Dune,Books,Science Fiction|Classics\n2,Heat,,Drama|Crime\n")
    conserved(import_file(ingest_store, path, format="catalogue"))
    listed = [(e.item_id, e.payload.get("category"), e.payload["attributes"]) for e in ingest_store.read()]
    assert listed == [
        ("1", "Books", {"genres": "Science Fiction|Classics"}),
        ("2", None, {"genres": "Drama|Crime"}),
    ]


def test_a_file_without_the_columns_events_need_is_refused_naming_them(
    ingest_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("when,who,what\n1700000000,u1,i1\n")
    with pytest.raises(
        FormatError,
        match=r"no column for the user or the item or the timestamp or the type\. The columns are",
    ):
        import_file(ingest_store, path, format="csv")
    columns = {"user": "who", "timestamp": "when", "default_type": "item_viewed"}
    with pytest.raises(FormatError, match=r"no column for the item\."):  # each row would be refused
        import_file(ingest_store, path, format="csv", mapping=columns)
    with pytest.raises(FormatError, match="item=sku: no such column"):
        import_file(ingest_store, path, format="csv", mapping={**columns, "item": "sku"})
    assert ingest_store.head() == 0
    conserved(import_file(ingest_store, path, format="csv", mapping={**columns, "item": "what"}))
    assert ingest_store.head() == 1


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (
            "user_000001\t2009-05-04T23:08:57Z\tDeep Dish\n",
            "no header line, give header=false.* type=3, or default_type=",
        ),
        ("article_id,prod_name,product_type_name\n0108775015,Strap top,Vest top\n", "--format catalogue"),
        (  # an id and a category, no title: Olist's products
            "product_id,product_category_name,product_weight_g\n1e9e8ef0,perfumaria,225\n",
            "--format catalogue",
        ),
    ],
)
def test_a_refusal_says_what_the_file_may_be_instead(
    ingest_store: Store, tmp_path: Path, text: str, hint: str
) -> None:
    """A file with no header line, or a catalogue taken for events, is told how to import it."""
    path = tmp_path / "file.csv"
    path.write_text(text)
    with pytest.raises(FormatError, match=hint):
        import_file(ingest_store, path, format="csv")


def test_json_lines_and_parquet_catalogues(ingest_store: Store, tmp_path: Path) -> None:
    # Shaped like Amazon's product metadata: a category path as a list, a price with its sign,
    # a description as a list of paragraphs.
    products = [
        {
            "asin": "B001",
            "title": "Trail Tent",
            "brand": "Northwind",
            "category": ["Outdoor", "Tents"],
            "price": "$129.99",
            "rank": 12,
            "description": ["Sleeps two.", "Packs small."],  # paragraphs, not a path
        },
        {
            "asin": "B002",
            "title": "Camp Stove",
            "category": [["Outdoor", "Cooking"], ["Kitchen"]],
            "price": 45,
        },
    ]
    path = tmp_path / "meta.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in products) + "\n{not json\n")
    assert detect_format(path).name == "catalogue"
    report = import_file(ingest_store, path)
    conserved(report)
    assert (report.rows_read, report.accepted, report.quarantined_by_reason) == (3, 2, {"bad_json": 1})
    tent = next(e for e in ingest_store.read() if e.item_id == "B001")
    assert (tent.payload["category"], tent.payload["price"], tent.payload["brand"]) == (
        "Outdoor/Tents",
        129.99,
        "Northwind",
    )
    assert tent.payload["attributes"] == {"rank": "12"}
    assert tent.payload["description"] == "Sleeps two.\nPacks small."
    stove = next(e for e in ingest_store.read() if e.item_id == "B002")
    assert (stove.payload["category"], stove.payload["price"]) == ("Outdoor/Cooking", 45.0)

    parquet = tmp_path / "catalogue.parquet"
    frame = {"sku": ["P1", "P2"], "name": ["Mug", "Bowl"], "price": [3.5, None], "in_stock": [True, False]}
    pd.DataFrame(frame).to_parquet(parquet)
    assert detect_format(parquet).name == "catalogue"
    report = import_file(ingest_store, parquet)
    assert (report.rows_read, report.accepted) == (2, 2)
    mug = next(e for e in ingest_store.read() if e.item_id == "P1")
    assert (mug.payload["title"], mug.payload["price"], mug.payload.get("stock")) == ("Mug", 3.5, None)
    bowl = next(e for e in ingest_store.read() if e.item_id == "P2")
    assert bowl.payload["stock"] == 0  # an in-stock flag that is false: none left


def test_amazon_2014_metadata_in_python_literals(ingest_store: Store, tmp_path: Path) -> None:
    """Amazon's 2014 `meta_*.json` lines are Python dicts, not JSON: every line was bad_json."""
    meta = tmp_path / "meta_Toys_and_Games.json"
    meta.write_text(
        "{'asin': '0000031852', 'title': 'Girls Ballet Tutu', 'price': 3.17, 'brand': 'Coxlures', "
        "'categories': [['Sports & Outdoors', 'Other Sports', 'Dance']]}\n"
        "{'asin': '0000032034', 'title': \"Adult's Tutu\", 'salesRank': {'Toys & Games': 211836}}\n"
        "{'asin': 'x', 'title': __import__('os').getcwd()}\n"  # literals only: no call is made
        "{1: 'a', 'asin': 'y'}\n"  # a key that is no text stopped the import
    )
    assert detect_format(meta).name == "catalogue"
    report = import_file(ingest_store, meta)
    conserved(report)
    assert report.quarantined_by_reason == {"bad_json": 2}
    tutu = next(e for e in ingest_store.read() if e.item_id == "0000031852")
    assert (tutu.payload["category"], tutu.payload["price"]) == ("Sports & Outdoors/Other Sports/Dance", 3.17)


def test_a_file_padded_with_spaces_and_no_header_is_told_header_false(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Ciao's rating_with_timestamp.txt: no header line, columns padded with runs of spaces. Its
    first line was taken for one cell, which looked like no data, so the refusal did not say
    that --map header=false reads it; its columns are now split on the spaces."""
    path = tmp_path / "rating_with_timestamp.txt"
    path.write_text("  2  5  1  4  3  1103500800\n  2  7  1  5  4  1103500800\n  3  1  2  2  0  1048723200\n")
    with pytest.raises(FormatError, match=r"\['2', '5', '1', '4', '3', '1103500800'\].*--map header=false"):
        detect_format(path)
    given = {"header": "false", "user": "0", "item": "1", "value": "3", "timestamp": "5"}
    conserved(import_file(ingest_store, path, mapping=given))
    assert [(e.user_id, e.item_id, e.payload["value"]) for e in ingest_store.read(user_id="2")] == [
        ("2", "5", 4.0),
        ("2", "7", 5.0),
    ]
    # lines of several lengths: the first line's words still show that it is data
    uneven = tmp_path / "uneven.txt"
    uneven.write_text("  2  5  1\n  3  1  2  2\n")
    with pytest.raises(FormatError, match="first line looks like data.*--map header=false"):
        detect_format(uneven)


def test_unknown_format_names_the_formats(tmp_path: Path) -> None:
    path = tmp_path / "mystery.txt"
    path.write_text("hello world\nthis is not a dataset\n")
    with pytest.raises(FormatError) as caught:
        detect_format(path)
    for name in (
        "taobao",
        "movielens",
        "yoochoose",
        "diginetica",
        "s3rec",
        "catalogue",
        "csv",
        "jsonl",
        "parquet",
    ):
        assert name in str(caught.value)


@pytest.mark.parametrize("given", [[], ["--map", "delimiter=space"]])
def test_the_views_of_a_file_split_by_spaces_keep_its_blank_fields(tmp_path: Path, given: list[str]) -> None:
    """Written split by spaces, the views of a file split by them lost their blank fields (a
    purchase's rating, quoted "" in the file): two spaces read as one gap, its row had a field
    too few and was quarantined, and views.csv could not be told apart as split by spaces."""
    path = tmp_path / "interactions.txt"
    path.write_text(
        "user_id item_id event_type rating timestamp\n"
        "u1 Tea rate 0 1709287200\n"
        "u1 Mug rate 4 1709287260\n"
        'u2 Mug purchase "" 1709287320\n'
        "u3 Pot rate 5 1709287380\n"
    )
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "as_is.db"), "import", str(path), *given])
    assert result.exit_code == 0, result.output
    note = next(line for line in result.output.splitlines() if "ratings are 0" in line)
    subprocess.run([sys.executable, "-c", printed_program(note)], cwd=tmp_path, check=True)
    views = str(tmp_path / "views.csv")
    again = CliRunner().invoke(main, ["--db", str(tmp_path / "views.db"), "import", views, *given])
    assert again.exit_code == 0 and "quarantined: 0" in again.output, again.output
    with edgerec.open(tmp_path / "views.db") as store:
        assert [(e.type, e.item_id) for e in store.read() if e.type != "session_started"] == [
            ("item_viewed", "Tea"),
            ("rated", "Mug"),
            ("purchased", "Mug"),
            ("rated", "Pot"),
        ]
