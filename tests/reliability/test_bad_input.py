"""Hostile input never crashes an import and never loses a row: a bounded fuzz in CI.

An import either accounts for every row (accepted or quarantined), or refuses the whole file
with a FormatError (JSON objects with no column for the customer, say) and appends nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edgerec
from edgerec.ingest import FormatError, import_file

LINES = st.lists(
    st.one_of(
        st.binary(max_size=80),
        st.text(max_size=80),
        st.builds(
            lambda u, i, t, x: f"{u},{i},{t},{x}",
            st.text(max_size=12),
            st.text(max_size=12),
            st.sampled_from(["view", "cart", "buy", "search", "rate", "", "??"]),
            st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=20)),
        ),
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=LINES, fmt=st.sampled_from(["csv", "jsonl", "taobao"]))
def test_fuzzed_files_never_crash_an_import(lines: list[bytes | str], fmt: str) -> None:
    data = b"\n".join(
        line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass") for line in lines
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz.{'csv' if fmt != 'jsonl' else 'jsonl'}"
        path.write_bytes((b"user_id,item_id,type,timestamp\n" if fmt == "csv" else b"") + data)
        with edgerec.open(Path(folder) / "store.db") as store:
            try:
                report = import_file(store, path, format=fmt)
            except FormatError:
                assert store.head() == 0
                return
            assert report.accepted + report.quarantined == report.rows_read
            assert report.appended <= report.accepted
            assert store.head() == report.appended
