"""The import's distinct counts (users, items, sessions) over many chunks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edgerec.ingest.pipeline import _Distinct

chunk = st.lists(st.one_of(st.none(), st.sampled_from([f"id{i}" for i in range(40)])), max_size=30)


@given(chunks=st.lists(chunk, max_size=6))
def test_distinct_counts_each_value_once_however_the_chunks_fall(chunks: list[list[str | None]]) -> None:
    distinct = _Distinct()
    seen: set[str] = set()
    for values in chunks:
        distinct.add(values)
        seen.update(v for v in values if v is not None)
        assert len(distinct) == len(seen)
        assert list(distinct.seen) == sorted({hash(v) for v in seen})  # sorted, for `missing`
    assert distinct.missing(["id0", "id41"]) == [v for v in ("id0", "id41") if v not in seen]
