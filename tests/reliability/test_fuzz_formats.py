"""Every dataset adapter, fed broken copies of its own files (companion files included), either
imports with every row accepted or quarantined, or refuses the file with a FormatError: never
another exception, and never a row lost."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edgerec
from edgerec.ingest import FormatError, import_file
from edgerec.ingest.pipeline import ImportReport

# One small, valid example of each format: {file name: lines}; the first file is imported.
SAMPLES: dict[str, dict[str, list[str]]] = {
    "taobao": {
        "UserBehavior.csv": ["1,10,3,pv,1511658000", "1,11,3,buy,1511658060", "2,10,3,cart,1511658100"]
    },
    "movielens": {
        "ratings.csv": ["userId,movieId,rating,timestamp", "1,1,4.0,964982703", "1,3,4.5,964981247"],
        "movies.csv": [
            "movieId,title,genres",
            "1,Toy Story (1995),Adventure|Animation",
            '3,"Heat, The (1995)",Action',
        ],
    },
    "movielens-100k": {
        "u.data": ["196\t242\t3\t881250949", "186\t302\t3\t891717742"],
        "u.item": ["242|Kolya (1996)|24-Jan-1997||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0"],
    },
    "movielens-1m": {
        "ratings.dat": ["1::1193::5::978300760", "1::661::3::978302109"],
        "movies.dat": ["1193::One Flew Over the Cuckoo's Nest (1975)::Drama", "661::James (1996)::Animation"],
    },
    "diginetica": {
        "train-item-views.csv": [
            "sessionId;userId;itemId;timeframe;eventdate",
            "1;;81766;526309;2016-05-09",
            "1;;31331;1031018;2016-05-09",
        ],
        "product-categories.csv": ["itemId;categoryId", "81766;1096", "31331;1288"],
    },
    "yoochoose": {
        "yoochoose-clicks.dat": [
            "1,2014-04-07T10:51:09.277Z,214536502,0",
            "1,2014-04-07T10:54:09.868Z,214536500,S",
        ],
    },
    "netflix": {
        "combined_data_1.txt": [
            "1:",
            "1488844,3,2005-09-06",
            "822109,5,2005-05-13",
            "2:",
            "1488844,2,2005-09-07",
        ],
        "movie_titles.csv": ["1,2003,Dinosaur Planet", "2,2004,Isle of Man TT 2004 Review"],
    },
    "s3rec": {
        "Beauty.txt": ["1 2 3 4", "2 3 5"],
        "Beauty_item2attributes.json": ['{"2": [1, 7], "3": [2], "4": [1], "5": [2]}'],
    },
    "catalogue": {
        "catalogue.csv": [
            "id,title,category,brand,price,stock,description",
            "a1,Blue mug,Kitchen,Acme,9.99,4,A mug",
            'a2,"Red, tall vase",Home,,19.50,0,',
        ],
    },
    "csv": {
        "clicks.csv": ["user_id,item_id,type,timestamp", "u1,i1,view,1600000000", "u1,i2,buy,1600000060"]
    },
    "jsonl": {
        "clicks.jsonl": [
            '{"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": 1600000000}',
            '{"user_id": "u1", "item_id": "i2", "type": "buy", "timestamp": 1600000060, "price": 3}',
        ]
    },
    "json-array": {
        "clicks.json": [
            "[",
            '  {"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": 1600000000},',
            '  {"user_id": "u1", "item_id": "i2", "type": "buy", "timestamp": 1600000060, "price": 3}',
            "]",
        ]
    },
    # compressed after it is broken: the file is read through the decompressor
    "csv-gzip": {
        "clicks.csv.gz": ["user_id,item_id,type,timestamp", "u1,i1,view,1600000000", "u1,i2,buy,1600000060"]
    },
}
FORMAT_OF = {
    "movielens-100k": "movielens",
    "movielens-1m": "movielens",
    "json-array": "jsonl",
    "csv-gzip": "csv",
}
EVENT_SAMPLES = [name for name in SAMPLES if name != "catalogue"]

JUNK = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40),
    st.sampled_from(
        ["", ",,,,", ";;;;", "::::", "\t\t", "|||||", '"', '{"a": ', "[]", "null", "-1", "1e999", "NaN"]
    ),
    # Python literals, which JSON-lines files are read as too: keys and values JSON has not
    st.sampled_from(
        ["{1: 2}", "{(1, 2): 'a'}", "{'a': {1, 2}}", "{'a': b'x'}", "{'a': 1e999}", "{'a': (" * 50]
    ),
)


def _raw(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


@st.composite
def broken_lines(draw: st.DrawFn, lines: list[str]) -> bytes:
    """The lines, each kept, cut short, joined with junk, replaced or dropped; junk added."""
    out: list[bytes] = []
    for line in lines:
        data = line.encode()
        how = draw(st.sampled_from(["keep", "keep", "cut", "junk", "replace", "drop", "swap"]))
        if how == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif how == "junk":
            data += _raw(draw(JUNK))
        elif how == "replace":
            data = _raw(draw(JUNK))
        elif how == "swap":
            data = b",".join(reversed(data.split(b",")))
        if how != "drop":
            out.append(data)
    if draw(st.booleans()):
        out.insert(draw(st.integers(0, len(out))), _raw(draw(JUNK)))
    return b"\n".join(out) + draw(st.sampled_from([b"", b"\n", b"\r\n"]))


@st.composite
def broken_sample(draw: st.DrawFn) -> tuple[str, dict[str, bytes]]:
    name = draw(st.sampled_from(sorted(SAMPLES)))
    files = {file: draw(broken_lines(lines)) for file, lines in SAMPLES[name].items()}
    return name, files


def _import(
    folder: Path, name: str, files: dict[str, bytes], *, named: bool
) -> tuple[ImportReport | None, int]:
    """Imports the files' first (format named or detected); None for a refused file, and the log's head."""
    for file, data in files.items():
        (folder / file).write_bytes(gzip.compress(data) if file.endswith(".gz") else data)
    main = folder / next(iter(files))
    with edgerec.open(folder / "store.db") as store:
        try:
            report = import_file(store, main, format=FORMAT_OF.get(name, name) if named else None)
        except FormatError:
            return None, store.head()
        return report, store.head()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=broken_sample(), named=st.booleans())
def test_broken_files_of_every_format_never_crash_or_lose_a_row(
    sample: tuple[str, dict[str, bytes]], named: bool
) -> None:
    name, files = sample
    with tempfile.TemporaryDirectory() as folder:
        report, head = _import(Path(folder), name, files, named=named)
    if report is not None:
        assert report.accepted + report.quarantined == report.rows_read
        assert report.appended <= report.accepted
        assert head == report.appended


def test_the_unbroken_samples_import_cleanly(tmp_path: Path) -> None:
    """The fuzz starts from files each adapter reads, so that the broken copies test it."""
    for name, lines in SAMPLES.items():
        folder = tmp_path / name
        folder.mkdir()
        files = {file: "\n".join(rows).encode() + b"\n" for file, rows in lines.items()}
        report, head = _import(folder, name, files, named=True)
        assert report is not None, name
        assert report.quarantined == 0, (name, report.quarantined_by_reason)
        assert head == report.appended > 0, name
