"""Compressed files import as their plain copies do, and text in other encodings as the text it is."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.ingest import import_file
from edgerec.ingest.errors import FormatError
from edgerec.ingest.formats import detect_format
from edgerec.store.schema import quarantine

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
}


def compressed_copy(plain: Path, suffix: str) -> Path:
    target = plain.with_name(plain.name + suffix)
    target.write_bytes(COMPRESSORS[suffix](plain.read_bytes()))
    return target


def events_of(store: Store) -> list[tuple[object, ...]]:
    return [(e.event_id, e.type, e.user_id, e.item_id, e.occurred_at) for e in store.read()]


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_a_compressed_file_imports_the_same_events_as_the_plain_one(
    tmp_path: Path,
    slice_of,  # type: ignore[no-untyped-def]
    suffix: str,
) -> None:
    plain = slice_of(
        ("taobao-userbehavior", "UserBehavior_timeslice_110k.csv"), 2_000, name="UserBehavior.csv"
    )
    packed = compressed_copy(plain, suffix)
    packed_store = tmp_path / "packed.db"
    plain_store = tmp_path / "plain.db"
    with edgerec.open(packed_store) as store:
        assert detect_format(packed).name == "taobao"
        report = import_file(store, packed)
        assert (report.format, report.rows_read, report.quarantined) == ("taobao", 2_000, 0)
        assert report.source == str(packed)
        packed_events = events_of(store)
    with edgerec.open(plain_store) as store:
        import_file(store, plain)
        assert events_of(store) == packed_events


def test_a_zip_of_one_file_is_read_by_the_name_inside(ingest_store: Store, slice_of) -> None:  # type: ignore[no-untyped-def]
    ratings = slice_of(("ml-latest-small", "ratings.csv"), 500)
    movies = slice_of(("ml-latest-small", "movies.csv"), 300)
    archive = ratings.with_name("download.zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(ratings, "ml-latest-small/ratings.csv")
        out.writestr("__MACOSX/ml-latest-small/._ratings.csv", b"resource fork")
    ratings.unlink()
    compressed_copy(movies, ".gz")
    movies.unlink()
    report = import_file(ingest_store, archive)
    assert report.format == "movielens"
    assert report.rows_read == 499 + 299  # the ratings, and the catalogue found beside as movies.csv.gz
    assert report.quarantined == 0
    assert sum(e.type == "item_listed" for e in ingest_store.read()) == 299


def test_compressed_json_lines_and_sequences_with_their_attributes(
    ingest_store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    lines = [
        {"reviewerID": f"u{i % 7}", "asin": f"B{i % 11}", "overall": 4.0, "unixReviewTime": 1_400_000_000 + i}
        for i in range(50)
    ]
    reviews = data / "reviews_Beauty_5.json"
    reviews.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = import_file(ingest_store, compressed_copy(reviews, ".gz"))
    assert (report.rows_read, report.appended, report.quarantined) == (50, 50, 0)

    sequences = data / "Toys.txt"
    sequences.write_text("1 10 11 12\n2 11 12\n")
    attributes = data / "Toys_item2attributes.json"
    attributes.write_text(json.dumps({"10": [1, 2], "11": [2], "12": [3]}))
    compressed_copy(attributes, ".bz2")
    attributes.unlink()
    report = import_file(ingest_store, compressed_copy(sequences, ".xz"))
    assert report.format == "s3rec"
    assert report.quarantined == 0
    listed = {e.item_id: e.payload for e in ingest_store.read() if e.type == "item_listed"}
    assert set(listed) == {"10", "11", "12"}


def test_an_archive_of_several_files_is_refused_naming_them(tmp_path: Path) -> None:
    archive = tmp_path / "ml-latest-small.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("ml-latest-small/ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n")
        out.writestr("ml-latest-small/movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\n")
    with pytest.raises(FormatError, match=r"zip archive of 2 files \(ml-latest-small/ratings.csv, ml-latest"):
        detect_format(archive)


def test_a_compressed_parquet_file_is_refused_with_the_reason(ingest_store: Store, tmp_path: Path) -> None:
    packed = tmp_path / "events.parquet.gz"
    packed.write_bytes(gzip.compress(b"PAR1 not really"))
    with pytest.raises(FormatError, match="compressed Parquet file; unpack it first"):
        import_file(ingest_store, packed, format="parquet")


def damaged_copies(packed: Path) -> dict[str, Path]:
    """The file cut short, and with bytes in its middle overwritten."""
    data = packed.read_bytes()
    cut = packed.with_name(f"cut-{packed.name}")
    cut.write_bytes(data[: len(data) * 2 // 3])
    mangled = bytearray(data)
    middle = len(data) // 2
    mangled[middle : middle + 16] = b"\x00" * 16
    overwritten = packed.with_name(f"overwritten-{packed.name}")
    overwritten.write_bytes(bytes(mangled))
    return {"cut short": cut, "overwritten": overwritten}


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zip"])
def test_a_damaged_compressed_file_is_refused_before_anything_is_imported(
    ingest_store: Store,
    slice_of,  # type: ignore[no-untyped-def]
    suffix: str,
) -> None:
    plain = slice_of(
        ("taobao-userbehavior", "UserBehavior_timeslice_110k.csv"), 10_000, name="UserBehavior.csv"
    )
    if suffix == ".zip":
        packed = plain.with_name("UserBehavior.zip")
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as out:
            out.write(plain, plain.name)
    else:
        packed = compressed_copy(plain, suffix)
    for damage, path in damaged_copies(packed).items():
        with pytest.raises(FormatError, match=f"{path.name}: the .* data is damaged or cut short"):
            import_file(ingest_store, path, format="taobao", chunk_rows=1_000)
        assert ingest_store.head() == 0, damage
    assert import_file(ingest_store, packed).rows_read == 10_000


CATALOGUE_TEXT = (
    "id\ttitle\tcategory\tprice\tstock\r\na1\tCafé crème\tKüche\t3,50 €\t4\r\na2\tЧай\tГастроном\t2.00\t1\r\n"
)


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])  # Windows, or a Mac's carriage returns alone
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_a_file_with_a_utf16_or_utf32_byte_order_mark_reads_as_text(
    ingest_store: Store, tmp_path: Path, encoding: str, line_end: str
) -> None:
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
    }
    unicode_text = tmp_path / "articles.txt"  # Excel's "Unicode text": UTF-16 LE, tabs, CRLF
    unicode_text.write_bytes(bom[encoding] + CATALOGUE_TEXT.replace("\r\n", line_end).encode(encoding))
    report = import_file(
        ingest_store, compressed_copy(unicode_text, ".gz") if encoding == "utf-32-le" else unicode_text
    )
    assert (report.format, report.accepted, report.quarantined) == ("catalogue", 2, 0)
    listed = {e.item_id: (e.payload["title"], e.payload["category"]) for e in ingest_store.read()}
    assert listed == {"a1": ("Café crème", "Küche"), "a2": ("Чай", "Гастроном")}


def test_a_file_in_another_encoding_is_read_when_named(ingest_store: Store, tmp_path: Path) -> None:
    excel = tmp_path / "export.csv"
    excel.write_bytes(
        "id,title,category,price,stock\na1,Café crème,Küche,3.50,4\na2,Plain,Home,2,1\n".encode("cp1252")
    )
    unnamed = import_file(ingest_store, excel)
    assert (unnamed.accepted, unnamed.quarantined_by_reason) == (1, {"invalid_encoding": 1})
    assert "--encoding cp1252" in quarantine_details(ingest_store)[0]
    named = import_file(ingest_store, excel, encoding="cp1252")
    assert (named.appended, named.already_present, named.quarantined) == (1, 1, 0)
    titles = {e.item_id: e.payload["title"] for e in ingest_store.read()}
    assert titles == {"a2": "Plain", "a1": "Café crème"}

    events = tmp_path / "clicks.jsonl"
    events.write_bytes(
        '{"user_id": "Zoë", "item_id": "a1", "timestamp": 1700000000, "event": "view"}\n'.encode("latin-1")
    )
    assert import_file(ingest_store, events, encoding="latin-1").appended == 1
    assert [e.user_id for e in ingest_store.read() if e.type == "item_viewed"] == ["Zoë"]


def test_a_header_in_another_encoding_is_refused_naming_the_encoding(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A Windows file with an accented column name: refused saying its header is not UTF-8
    (it was refused with "The columns are []" and a hint about default_type)."""
    french = tmp_path / "fr.csv"
    french.write_bytes(
        "user_id;item_id;type;timestamp;catégorie\nu1;i1;view;1600000000;vêtements\n".encode("cp1252")
    )
    with pytest.raises(
        FormatError, match=r"header line \(line 1\) cannot be read: not utf-8.*--encoding cp1252"
    ):
        import_file(ingest_store, french, format="csv")
    assert ingest_store.head() == 0
    assert import_file(ingest_store, french, format="csv", encoding="cp1252").appended == 1


def test_a_needed_column_named_in_another_encoding_is_refused_naming_the_encoding(
    ingest_store: Store, tmp_path: Path
) -> None:
    """The accented name is the customer's column: the format is detected from the header, so
    it was refused as "no column for the user" with the name mangled ('us\ufffdr_id')."""
    windows = tmp_path / "a.csv"
    windows.write_bytes("usér_id,item_id,event,timestamp\nx,y,view,2024-03-01T10:00:00\n".encode("cp1252"))
    with pytest.raises(
        FormatError, match=r"header line \(line 1\) cannot be read: not utf-8.*--encoding cp1252"
    ):
        import_file(ingest_store, windows)
    with pytest.raises(FormatError, match=r"no column for the user.*'usér_id'"):  # named, not mangled
        import_file(ingest_store, windows, encoding="cp1252")
    assert ingest_store.head() == 0
    assert import_file(ingest_store, windows, encoding="cp1252", mapping={"user": "usér_id"}).appended == 1


def test_an_encoding_that_cannot_be_named_for_the_file_is_refused(
    ingest_store: Store, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("id,title\na1,Lamp\n")
    with pytest.raises(FormatError, match="unknown encoding 'klingon'"):
        import_file(ingest_store, plain, encoding="klingon")
    with pytest.raises(FormatError, match="no byte-order mark, so not utf-16"):
        import_file(ingest_store, plain, encoding="utf-16")
    wide = tmp_path / "wide.csv"
    wide.write_text("id,title\na1,Müller\n", encoding="utf-16")
    with pytest.raises(FormatError, match="says it is UTF-16, not cp1252"):  # it read 'MÃ¼ller'
        import_file(ingest_store, wide, encoding="cp1252")
    assert ingest_store.head() == 0


def quarantine_details(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return [detail for (detail,) in connection.execute(select(quarantine.c.detail))]


def test_damaged_json_lines_are_refused_before_anything_is_imported(
    ingest_store: Store, tmp_path: Path
) -> None:
    # A .json file is not counted line by line for the progress bar: the check reads it through.
    reviews = tmp_path / "reviews_Beauty_5.json"
    rows = [
        {"reviewerID": f"u{i}", "asin": f"B{i % 97}", "overall": 5.0, "unixReviewTime": 1.4e9 + i}
        for i in range(20_000)
    ]
    reviews.write_text("".join(json.dumps(row) + "\n" for row in rows))
    packed = compressed_copy(reviews, ".gz")
    cut = damaged_copies(packed)["cut short"]
    with pytest.raises(FormatError, match="damaged or cut short"):
        import_file(ingest_store, cut, chunk_rows=500)
    assert ingest_store.head() == 0


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_file_compressed_twice_is_refused_saying_so(ingest_store: Store, tmp_path: Path, fmt: str) -> None:
    """The inner gzip's bytes were read as text: a CSV was refused naming --encoding cp1252, and
    JSON lines 'imported' with every chunk quarantined."""
    text = (
        "user_id,item_id,type,timestamp\nu1,i1,view,1600000000\n"
        if fmt == "csv"
        else '{"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": 1600000000}\n'
    )
    twice = tmp_path / f"data.{fmt}.gz.bz2"
    twice.write_bytes(bz2.compress(gzip.compress(text.encode())))
    with pytest.raises(FormatError, match="the data inside this bzip2 file is itself gzip-compressed"):
        import_file(ingest_store, twice, format=fmt)
    assert ingest_store.head() == 0
    with ingest_store.engine.connect() as connection:
        assert connection.execute(select(quarantine)).all() == []


def test_epoch_times_near_the_largest_float_give_no_warning(ingest_store: Store, tmp_path: Path) -> None:
    """numpy's 'overflow encountered in reduce' reached the terminal."""
    import warnings

    path = tmp_path / "huge.csv"
    path.write_text("user_id,item_id,type,timestamp\n" + "".join(f"u{n},i{n},view,1e308\n" for n in range(4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FormatError, match="is after the year 5000"):  # no time in the file
            import_file(ingest_store, path, format="csv")
    assert ingest_store.head() == 0


def test_a_tar_archive_is_refused_naming_its_files_and_how_to_unpack_it(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A .tar.gz was read as gzip'd text: its files joined into one, each read under the first
    one's header (customer taken for item), and its tar headers' NUL bytes as a row."""
    a = b"customer_id,product_id,event_type,timestamp\nC1,SKU-1,view,2024-03-01 10:00:00\n"
    b = b"product_id,customer_id,event_type,timestamp\nSKU-9,C7,view,2024-03-02 10:00:00\n"
    for name, mode, command in (("export.tar.gz", "w:gz", "tar -xzf"), ("export.tar", "w", "tar -xf")):
        path = tmp_path / name
        with tarfile.open(path, mode) as archive:
            for member, data in (("shop_a.csv", a), ("shop_b.csv", b)):
                info = tarfile.TarInfo(member)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        for given in (None, "csv"):
            with pytest.raises(FormatError) as refused:
                import_file(ingest_store, path, format=given)
            message = str(refused.value)
            assert f"a tar archive of files (shop_a.csv, shop_b.csv); unpack it ({command} {name})" in message
            assert "\x00" not in message and "\n" not in message
    assert not list(ingest_store.read())


def test_a_zstandard_file_is_refused_saying_how_to_unpack_it(ingest_store: Store, tmp_path: Path) -> None:
    """A .csv.zst was read as text and refused as "not utf-8 ... --encoding cp1252", advice
    that could not work: the file is compressed."""
    data = b"user_id,item_id,timestamp,event_type\nu1,1,2026-11-01 10:00:00,view\n"
    # a zstandard frame of one block stored as it is (what `zstd` writes of data it cannot shrink)
    frame = b"\x28\xb5\x2f\xfd\x20" + bytes([len(data)]) + ((len(data) << 3) | 1).to_bytes(3, "little") + data
    path = tmp_path / "events.csv.zst"
    path.write_bytes(frame)
    for encoding in ("utf-8", "cp1252"):
        with pytest.raises(
            FormatError, match=r"a zstandard-compressed file; unpack it \(zstd -d events.csv.zst\)"
        ):
            import_file(ingest_store, path, encoding=encoding)
    assert not list(ingest_store.read())


def test_a_csv_with_ustar_at_the_tar_magics_place_is_no_tar_archive(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A plain CSV whose bytes 257 to 261 read "ustar" (in "Mustard") was refused as a tar
    archive: the whole header is checked, its checksum too."""
    text = "id,title,price\n" + "".join(f"H{n},Clover honey {n} 12 oz,3.50\n" for n in range(1, 7))
    text += "D1,Organic Dijon"
    text += " " * (256 - len(text)) + "Mustard,2.99\n"
    assert text[257:262] == "ustar"
    path = tmp_path / "products.csv"
    path.write_text(text)
    report = import_file(ingest_store, path)
    assert (report.accepted, report.quarantined) == (7, 0)
