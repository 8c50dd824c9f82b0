"""Projections kept up incrementally equal a rebuild from the log, for any event sequence."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.domain import (
    AddedToCart,
    Context,
    Event,
    ItemDelisted,
    ItemFavourited,
    ItemListed,
    ItemUpdated,
    ItemViewed,
    Purchased,
    Rated,
    RemovedFromCart,
    Searched,
    SessionEnded,
    SessionStarted,
)
from edgerec.domain.events import EARLIEST
from edgerec.store.schema import PROJECTION_TABLES, projection_positions

T0 = datetime(2024, 1, 1, tzinfo=UTC)
USERS = st.sampled_from(["u1", "u2", "u3", "visitor-9"])
ITEMS = st.sampled_from(["a", "b", "c", "d", "e"])
SESSIONS = st.one_of(st.none(), st.sampled_from(["s1", "s2"]))
CONTEXTS = st.builds(Context, store_id=st.one_of(st.none(), st.sampled_from(["k1", "k2"])))
# Minutes from T0; large jumps make the 30-minute session split happen, going back in time too.
TIMES = st.integers(min_value=0, max_value=6 * 60).map(lambda m: T0 + timedelta(minutes=m))


def _customer(cls: type[Event], **extra: Any) -> st.SearchStrategy[Event]:
    return st.builds(cls, occurred_at=TIMES, user_id=USERS, session_id=SESSIONS, context=CONTEXTS, **extra)


EVENTS = st.one_of(
    _customer(ItemViewed, item_id=ITEMS, category=st.one_of(st.none(), st.just("Toys"))),
    _customer(AddedToCart, item_id=ITEMS, quantity=st.integers(1, 3)),
    _customer(RemovedFromCart, item_id=ITEMS, quantity=st.integers(1, 3)),
    _customer(Purchased, item_id=ITEMS, quantity=st.integers(1, 3), price_paid=st.floats(0, 100)),
    _customer(ItemFavourited, item_id=ITEMS),
    _customer(Rated, item_id=ITEMS, value=st.floats(0.5, 5)),
    _customer(Searched, query=st.text(min_size=1, max_size=5).filter(lambda q: "\x00" not in q)),
    _customer(SessionStarted),
    _customer(SessionEnded),
    st.builds(
        ItemListed,
        # A catalogue file's rows are dated EARLIEST: their stock is not lowered, or keeps its time.
        occurred_at=st.one_of(TIMES, st.just(EARLIEST)),
        item_id=ITEMS,
        title=st.just("t"),
        stock=st.one_of(st.none(), st.integers(0, 5)),
        price=st.one_of(st.none(), st.floats(0, 99)),
    ),
    st.builds(ItemUpdated, occurred_at=TIMES, item_id=ITEMS, stock=st.one_of(st.none(), st.integers(0, 5))),
    st.builds(ItemDelisted, occurred_at=TIMES, item_id=ITEMS),
)

_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="edgerec-template-"))
atexit.register(shutil.rmtree, _TEMPLATE_DIR, ignore_errors=True)
_TEMPLATE = _TEMPLATE_DIR / "template.db"
edgerec.open(_TEMPLATE).close()


def snapshot(store: Store) -> dict[str, list[dict[str, Any]]]:
    with store.engine.connect() as connection:
        tables = {
            table.name: sorted((dict(row) for row in connection.execute(select(table)).mappings()), key=repr)
            for table in (*PROJECTION_TABLES, projection_positions)
        }
    return tables


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(EVENTS, max_size=40),
    batch_sizes=st.lists(st.integers(1, 7), min_size=1, max_size=10),
    rebuild_batch=st.integers(1, 50),
)
def test_rebuild_equals_incremental(events: list[Event], batch_sizes: list[int], rebuild_batch: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.db"
        shutil.copy(_TEMPLATE, path)
        with edgerec.open(path, upgrade=False) as store:
            start, turn = 0, 0
            while start < len(events):
                size = batch_sizes[turn % len(batch_sizes)]
                chunk = events[start : start + size]
                if size == 1:
                    store.record(chunk[0])
                else:
                    store.record_many(chunk)
                start, turn = start + size, turn + 1
            incremental = snapshot(store)
            assert store.rebuild(batch=rebuild_batch) == store.head()
            assert snapshot(store) == incremental


@pytest.mark.parametrize("batch", [0, -5, 2.5, True])
def test_a_rebuild_in_batches_of_no_events_is_refused_before_anything_is_dropped(batch: object) -> None:
    """`rebuild(batch=0)` emptied every projection, replayed nothing and committed: the
    catalogue and the customers were gone while the log still held them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.db"
        shutil.copy(_TEMPLATE, path)
        with edgerec.open(path, upgrade=False) as store:
            store.record_many([ItemListed(item_id="i", title="Mug"), ItemViewed(user_id="u", item_id="i")])
            before = snapshot(store)
            with pytest.raises(ValueError, match="batch must be"):
                store.rebuild(batch=batch)  # type: ignore[arg-type]
            assert snapshot(store) == before
            assert store.rebuild(batch=np.int64(1)) == 2  # numpy's whole numbers are whole numbers
            assert snapshot(store) == before
