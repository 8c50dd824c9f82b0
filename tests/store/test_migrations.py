"""Migrations: upgrade an empty database, downgrade and upgrade again, match the schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import edgerec
from edgerec.domain import ItemViewed
from edgerec.store import migrate
from edgerec.store.engine import database_url, make_engine
from edgerec.store.schema import metadata


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
