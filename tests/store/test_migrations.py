"""Migrations: upgrade an empty database, downgrade and upgrade again, match the schema."""

from __future__ import annotations

import sqlite3
import threading
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

import edgerec
from edgerec.domain import (
    ItemDelisted,
    ItemListed,
    ItemUpdated,
    ItemViewed,
    Purchased,
    Searched,
    SessionEnded,
)
from edgerec.store import migrate
from edgerec.store.codec import to_micros
from edgerec.store.engine import close_engine, database_url, make_engine
from edgerec.store.schema import items, metadata, session_searches, user_items
from tests.projections.test_rebuild_equals_incremental import snapshot


def test_upgrade_on_an_empty_database_creates_the_schema(tmp_path: Path) -> None:
    engine = make_engine(database_url(tmp_path / "empty.db"))
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_migrations_create_exactly_the_declared_schema(tmp_path: Path) -> None:
    engine = make_engine(database_url(tmp_path / "compare.db"))
    migrate.upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_downgrade_to_base_and_upgrade_again_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "cycle.db"
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
        migrate.downgrade(store.engine, "base")
        assert migrate.current_revision(store.engine) is None
        assert "events" not in inspect(store.engine).get_table_names()
        migrate.upgrade(store.engine)
        assert store.head() == 0
        assert store.record(ItemViewed(user_id="u", item_id="i")) == 1


def test_opening_twice_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "twice.db"
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
    with edgerec.open(path) as store:
        assert store.head() == 1


def test_the_session_search_migration_fills_in_searches_already_logged(tmp_path: Path) -> None:
    with edgerec.open(tmp_path / "searches.db") as store:
        store.record_many(
            [
                Searched(user_id="u", session_id="s1", query="red shoes"),
                Searched(user_id="u", session_id="s1", query="blue shoes"),
                ItemViewed(user_id="u", session_id="s1", item_id="i"),
                Searched(user_id="v", session_id="s2", query="socks"),
                ItemViewed(user_id="w", session_id="s3", item_id="i"),
            ]
        )
        before = _searches(store)
        assert {sid: query for sid, (query, *_) in before.items()} == {"s1": "blue shoes", "s2": "socks"}
        migrate.downgrade(store.engine, "0004")
        assert "session_searches" not in inspect(store.engine).get_table_names()
        migrate.upgrade(store.engine)
        assert _searches(store) == before


def test_the_times_migration_fills_in_listings_and_purchases_already_logged(tmp_path: Path) -> None:
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with edgerec.open(tmp_path / "times.db") as store:
        store.record_many(
            [
                ItemListed(item_id="mug", title="Mug", occurred_at=t),
                ItemUpdated(item_id="mug", price=3.0, occurred_at=t + timedelta(days=9)),
                ItemListed(item_id="mug", title="Mug", price=4.0, occurred_at=t + timedelta(days=10)),
                ItemListed(item_id="lamp", title="Lamp", occurred_at=t),
                ItemDelisted(item_id="lamp", occurred_at=t + timedelta(days=1)),
                ItemListed(item_id="lamp", title="Lamp", occurred_at=t + timedelta(days=2)),
                ItemListed(item_id="vase", title="Vase", occurred_at=t),
                ItemDelisted(item_id="vase", occurred_at=t + timedelta(days=1)),
                Purchased(user_id="u", item_id="mug", occurred_at=t + timedelta(days=3)),
                Purchased(user_id="u", item_id="mug", occurred_at=t + timedelta(days=1)),  # late
                ItemViewed(user_id="u", item_id="mug", occurred_at=t + timedelta(days=4)),
                ItemViewed(user_id="u", item_id="lamp", occurred_at=t + timedelta(days=4)),
            ]
        )
        before = _times(store)
        assert before[0] == {"mug": to_micros(t), "lamp": to_micros(t + timedelta(days=2)), "vase": None}
        assert before[1] == {("u", "mug"): to_micros(t + timedelta(days=3)), ("u", "lamp"): None}
        incremental = snapshot(store)
        migrate.downgrade(store.engine, "0005")
        with store.engine.begin() as connection:  # as before: a late event was the latest touch
            connection.execute(
                text("UPDATE user_items SET last_at = 0, last_type = 'rated', last_position = 0")
            )
            connection.execute(text("UPDATE users SET last_at = 0, last_session_id = NULL"))
        migrate.upgrade(store.engine)
        assert _times(store) == before
        assert snapshot(store) == incremental  # replayed by the new rule, as a rebuild would


def test_the_times_migration_reads_the_log_a_customer_at_a_time(tmp_path: Path) -> None:
    # It held every customer-item pair of the log, and then one UPDATE list of them all: a
    # months-long log's upgrade took several times the memory that using the store takes.
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with edgerec.open(tmp_path / "long.db") as store:
        store.record_many(  # 4,000 customers of 10 items each: 40,000 pairs
            ItemViewed(user_id=f"c{k // 10}", item_id=f"i{k % 10}", occurred_at=t + timedelta(seconds=k))
            for k in range(40_000)
        )
        incremental = snapshot(store)
        migrate.downgrade(store.engine, "0005")
        tracemalloc.start()
        try:
            migrate.upgrade(store.engine)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 30_000_000  # about 14 MB, its chunks of 10,000 rows; 53 MB when it held every pair
        assert snapshot(store) == incremental


def test_who_made_a_shared_sessions_latest_search_is_filled_in_from_the_log(tmp_path: Path) -> None:
    with edgerec.open(tmp_path / "searchers.db") as store:
        store.record_many(
            [
                ItemViewed(user_id="alice", session_id="shared", item_id="i"),
                Searched(user_id="bob", session_id="shared", query="kitchen"),
                Searched(user_id="alice", session_id="own", query="socks"),
                Searched(user_id="bob", session_id="own", query="shoes"),
            ]
        )
        before = _searches(store)
        assert {sid: user for sid, (*_, user) in before.items()} == {"shared": "bob", "own": "bob"}
        migrate.downgrade(store.engine, "0010")
        assert "user_id" not in {c["name"] for c in inspect(store.engine).get_columns("session_searches")}
        migrate.upgrade(store.engine)
        assert _searches(store) == before


def test_the_stock_migration_lowers_the_stock_by_the_purchases_already_logged(tmp_path: Path) -> None:
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with edgerec.open(tmp_path / "stock.db") as store:
        store.record_many(
            [
                ItemListed(item_id="mug", title="Mug", stock=3, occurred_at=t),
                Purchased(user_id="u", item_id="mug", quantity=2, occurred_at=t + timedelta(hours=1)),
                ItemListed(item_id="lamp", title="Lamp", stock=5, occurred_at=t),
                Purchased(user_id="u", item_id="lamp", occurred_at=t + timedelta(hours=1)),
                ItemUpdated(item_id="lamp", stock=2, occurred_at=t + timedelta(hours=3)),
                Purchased(user_id="u", item_id="lamp", occurred_at=t + timedelta(hours=2)),  # before it
                Purchased(user_id="u", item_id="lamp", occurred_at=t + timedelta(hours=4)),
                ItemViewed(user_id="u", item_id="vase", occurred_at=t),
                ItemUpdated(item_id="vase", stock=2, occurred_at=t),  # seen, not listed: kept
                Purchased(user_id="u", item_id="vase", occurred_at=t + timedelta(hours=1)),
                ItemListed(item_id="cup", title="Cup", stock=4, occurred_at=t),
                ItemDelisted(item_id="cup", occurred_at=t),
                Purchased(user_id="u", item_id="cup", occurred_at=t + timedelta(hours=1)),
            ]
        )
        with store.engine.connect() as connection:
            stock = dict(connection.execute(select(items.c.item_id, items.c.stock)).all())
        assert stock == {"mug": 1, "lamp": 1, "vase": 2, "cup": 4}
        incremental = snapshot(store)
        migrate.downgrade(store.engine, "0011")
        assert "stock_at" not in {c["name"] for c in inspect(store.engine).get_columns("items")}
        with store.engine.begin() as connection:  # as before: the stock the catalogue last stated
            connection.execute(text("UPDATE items SET stock = 3 WHERE item_id = 'mug'"))
            connection.execute(text("UPDATE items SET stock = 2 WHERE item_id = 'lamp'"))
        migrate.upgrade(store.engine)
        assert snapshot(store) == incremental  # replayed by the new rule, as a rebuild would


def test_a_customer_whose_session_ended_has_no_current_session_after_the_upgrade(tmp_path: Path) -> None:
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with edgerec.open(tmp_path / "ended.db") as store:
        store.record_many(
            [
                ItemViewed(user_id="ana", item_id="mug", occurred_at=t),
                SessionEnded(user_id="ana", occurred_at=t + timedelta(minutes=1)),
                ItemViewed(user_id="bo", item_id="mug", occurred_at=t),
                SessionEnded(user_id="bo", occurred_at=t + timedelta(minutes=1)),
                ItemViewed(user_id="bo", item_id="lamp", occurred_at=t - timedelta(minutes=5)),  # late
                SessionEnded(user_id="cy", occurred_at=t),
                ItemViewed(user_id="cy", item_id="lamp", occurred_at=t + timedelta(minutes=2)),
            ]
        )
        incremental = snapshot(store)
        migrate.downgrade(store.engine, "0009")
        with store.engine.begin() as connection:  # as the rows were written before the rule
            connection.execute(
                text(
                    "UPDATE users SET last_session_id ="
                    " (SELECT session_id FROM sessions WHERE sessions.user_id = users.user_id"
                    "  ORDER BY started_at DESC LIMIT 1)"
                )
            )
            current = dict(connection.execute(text("SELECT user_id, last_session_id FROM users")).all())
        assert current["ana"] is not None  # as the rows were before the rule
        migrate.upgrade(store.engine)
        assert snapshot(store) == incremental


def _times(store):  # type: ignore[no-untyped-def]
    with store.engine.connect() as connection:
        listed = dict(connection.execute(select(items.c.item_id, items.c.listed_at)).all())
        bought = connection.execute(
            select(user_items.c.user_id, user_items.c.item_id, user_items.c.purchased_at)
        )
        return listed, {(u, i): at for u, i, at in bought}


def _searches(store) -> dict[str, tuple[str, int, str | None]]:  # type: ignore[no-untyped-def]
    with store.engine.connect() as connection:
        rows = connection.execute(select(session_searches))
        return {sid: (query, at, user) for sid, query, at, user in rows}


def test_a_database_of_another_application_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "shop-till.db"
    with sqlite3.connect(path) as till:
        till.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        till.execute("INSERT INTO customers VALUES (1, 'Ada')")
    path.chmod(0o644)
    before = path.read_bytes()
    with pytest.raises(migrate.SchemaError, match=r"tables that are not edgerec's \(customers\)"):
        edgerec.open(path)
    engine = make_engine(database_url(path))
    for change, revision in ((migrate.upgrade, "head"), (migrate.downgrade, "base")):
        with pytest.raises(migrate.SchemaError, match=r"tables that are not edgerec's \(customers\)"):
            change(engine, revision)
    close_engine(engine)
    # Untouched: not a byte changed, its journal not switched to WAL, its mode not tightened.
    assert path.read_bytes() == before and path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop-till.db"]
    with sqlite3.connect(path) as till:
        tables = [name for (name,) in till.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert tables == ["customers"]
        assert till.execute("SELECT name FROM customers").fetchall() == [("Ada",)]


def test_a_file_that_is_no_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("a mistyped --db\n")
    path.chmod(0o644)
    with pytest.raises(migrate.SchemaError, match="not a database"):
        edgerec.open(path)
    assert path.read_text() == "a mistyped --db\n" and path.stat().st_mode & 0o777 == 0o644


def test_a_store_written_by_a_newer_version_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(migrate.SchemaError, match="9999_from_the_future.*newer edgerec"):
        edgerec.open(path)


def test_migrations_that_cannot_be_read_are_not_taken_for_a_newer_store(tmp_path: Path) -> None:
    """Out of file descriptors, Alembic read no migration, and a store of this version was
    refused as 'written by a newer edgerec'."""
    path = tmp_path / "shop.db"
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
    (tmp_path / "scripts" / "versions").mkdir(parents=True)
    engine = make_engine(database_url(path))
    try:
        with pytest.raises(migrate.SchemaError, match="migrations could not be read"):
            migrate._checked(engine, ScriptDirectory(str(tmp_path / "scripts")))
    finally:
        close_engine(engine)


def test_upgrading_a_store_to_the_revision_it_is_at_waits_on_no_writer(tmp_path: Path) -> None:
    """`db upgrade 0011` (the store's own revision) and `db upgrade heads` on a store at head
    waited for the write lock that an import or a rebuild held, where `db upgrade` did not:
    each is a no-op, and returns at once."""
    path = tmp_path / "busy.db"
    edgerec.open(path).close()
    engine = make_engine(database_url(path))
    head = migrate.head_revision(engine)
    assert head is not None
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # an import's write lock
    try:
        for revision in ("head", "heads", head):
            done = threading.Thread(target=migrate.upgrade, args=(engine, revision), daemon=True)
            done.start()
            done.join(5)
            assert not done.is_alive(), f"upgrade to {revision!r} waited on the writer"
    finally:
        writer.rollback()
        writer.close()
    assert migrate.current_revision(engine) == head
    close_engine(engine)


def test_a_store_downgraded_to_nothing_opens_again(tmp_path: Path) -> None:
    path = tmp_path / "emptied.db"
    with edgerec.open(path) as store:
        migrate.downgrade(store.engine, "base")
    with edgerec.open(path) as store:  # only Alembic's own (empty) table is left: not foreign
        assert store.head() == 0


def test_a_store_another_process_just_created_is_not_taken_for_a_foreign_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console and a kiosk started together on a new file: one migrates it between the other's
    read of the revision (none yet) and its look at the tables (edgerec's, now)."""
    path = tmp_path / "new.db"
    edgerec.open(path).close()  # the other process, done
    engine = make_engine(database_url(path))
    real = migrate.current_revision
    reads: list[str | None] = []

    def first_read_before_the_commit(e):  # type: ignore[no-untyped-def]
        reads.append(real(e) if reads else None)
        return reads[-1]

    monkeypatch.setattr(migrate, "current_revision", first_read_before_the_commit)
    migrate.upgrade(engine)  # no SchemaError
    assert real(engine) == migrate.head_revision(engine)


def test_only_a_missing_table_or_column_counts_as_a_schema_changed_underneath() -> None:
    """The console's plain word for a schema downgraded under it is kept for that: a locked or
    full database, or a constraint, is said as before."""
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    from edgerec.store.migrate import schema_changed

    def wrapped(kind: type[Exception], said: str) -> Exception:
        return kind("SELECT 1", {}, sqlite3.OperationalError(said))  # type: ignore[call-arg]

    assert schema_changed(wrapped(OperationalError, "no such table: forgets"))
    assert schema_changed(wrapped(OperationalError, "no such column: items.user_id"))
    assert schema_changed(wrapped(OperationalError, "table session_searches has no column named user_id"))

    class Undefined(Exception):
        sqlstate = "42703"  # PostgreSQL's undefined column

    assert schema_changed(ProgrammingError("SELECT 1", {}, Undefined('column "user_id" does not exist')))
    assert not schema_changed(wrapped(OperationalError, "database is locked"))
    assert not schema_changed(wrapped(OperationalError, "database or disk is full"))
    assert not schema_changed(wrapped(IntegrityError, "UNIQUE constraint failed: events.event_id"))
    assert not schema_changed(sqlite3.OperationalError("no such table: forgets"))  # not through the store


def test_an_items_top_neighbours_are_read_from_the_index_alone_without_a_sort(tmp_path: Path) -> None:
    # The recommender reads a popular item's top neighbours on the request path: a scan of the
    # index in order that stops at the limit, not every pair of the item looked up and sorted.
    from edgerec.recommend import reader
    from edgerec.store.sql import compiled

    path = tmp_path / "pairs.db"
    with edgerec.open(path) as store:
        at = datetime(2026, 1, 5, tzinfo=UTC)
        for n, visit in enumerate(["ab", "ac", "ad", "abc", "ae", "ab"]):
            for item in visit:
                store.record(ItemViewed(user_id=f"u{n}", item_id=item, occurred_at=at))
        with store.engine.connect() as connection:
            # most frequent first; of those seen as often, the ids from the end of the alphabet
            assert reader.neighbour_rows(connection, "a", 3) == [("b", 3), ("c", 2), ("e", 1)]
        query = compiled(store.engine.dialect, reader._NEIGHBOURS).sql
    with sqlite3.connect(path) as connection:
        plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {query}", ("a", 3, 0))]
    assert plan == [
        "SEARCH cooccurrence USING COVERING INDEX ix_cooccurrence_item_a_count_item_b (item_a=?)"
    ], plan
