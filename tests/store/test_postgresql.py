"""The same code on a real PostgreSQL server, through a SQLAlchemy URL: migrations, the log,
projections equal to a rebuild, two writers at once, import with quarantine, recommendations,
forgetting a customer, and a password in the URL never printed."""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, make_url, select, text

import edgerec
from edgerec.domain import AddedToCart, Context, Event, ItemListed, ItemViewed
from edgerec.ingest import import_file
from edgerec.recommend import Recommender
from edgerec.store import migrate
from edgerec.store.schema import quarantine
from edgerec.training.files import model_dir
from tests import postgres_server
from tests.folding_titles import SEARCHES, TITLES
from tests.projections.test_rebuild_equals_incremental import EVENTS, snapshot

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
KIOSK = Context(store_id="k1", location="hall", device="kiosk")


@pytest.fixture(scope="module")
def template(postgres: postgres_server.Server) -> str:
    """A database migrated to the newest schema, to copy for each example."""
    url = postgres.database()
    edgerec.open(url).close()
    return str(make_url(url).database)


def test_migrations_go_down_to_nothing_and_up_again(postgres: postgres_server.Server) -> None:
    with edgerec.open(postgres.database()) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision(store.engine)
        assert store.record(ItemViewed(user_id="u", item_id="i", occurred_at=T0)) == 1
        migrate.downgrade(store.engine, "base")
        assert "events" not in inspect(store.engine).get_table_names()
        migrate.upgrade(store.engine)
        assert store.head() == 0


def test_the_data_migrations_replay_a_log_on_the_server(postgres: postgres_server.Server) -> None:
    """Migrations 0006, 0010 and 0011 read the whole log (through a server-side cursor there)."""
    from edgerec.domain import Searched, SessionEnded

    with edgerec.open(postgres.database()) as store:
        store.record_many(
            [
                ItemViewed(user_id="ana", item_id="mug", occurred_at=T0),
                SessionEnded(user_id="ana", occurred_at=T0 + timedelta(minutes=1)),
                ItemViewed(user_id="bo", item_id="mug", occurred_at=T0),
                Searched(user_id="bo", query="mugs", occurred_at=T0 + timedelta(minutes=1)),
            ]
        )
        incremental = snapshot(store)
        migrate.downgrade(store.engine, "0005")
        with store.engine.begin() as connection:  # as the row was written before the rule
            connection.execute(text("UPDATE users SET last_session_id = 'ended' WHERE user_id = 'ana'"))
        migrate.upgrade(store.engine)
        assert snapshot(store) == incremental


def test_a_shared_database_is_refused_and_a_schema_of_its_own_works(postgres: postgres_server.Server) -> None:
    url = postgres.database()
    shared = create_engine(url)
    with shared.begin() as connection:
        connection.execute(text("CREATE TABLE pos_sales (id integer)"))
        connection.execute(text("CREATE SCHEMA edgerec"))
    with pytest.raises(migrate.SchemaError, match=r"not edgerec's \(pos_sales\).*add &options=-csearch_path"):
        edgerec.open(url)
    with pytest.raises(migrate.SchemaError, match=r"no schema of the search path \(edgerc\) exists"):
        edgerec.open(f"{url}&options=-csearch_path%3Dedgerc")  # misspelt
    own_schema = f"{url}&options=-csearch_path%3Dedgerec"
    with edgerec.open(own_schema) as store:
        assert store.record(ItemViewed(user_id="u", item_id="i", occurred_at=T0)) == 1
    with edgerec.open(own_schema) as store:
        assert store.head() == 1
    with shared.connect() as connection:
        public = connection.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ).scalars()
        assert list(public) == ["pos_sales"]
    shared.dispose()


def test_the_log_appends_once_per_event_id_and_reads_back(postgres: postgres_server.Server) -> None:
    with edgerec.open(postgres.database()) as store:
        viewed = ItemViewed(user_id="u1", item_id="mug", occurred_at=T0)
        assert store.record(viewed) == 1
        assert store.record(viewed) == 1  # the same event id again: nothing appended
        assert store.record_many([AddedToCart(user_id="u1", item_id="mug", occurred_at=T0)]) == [2]
        assert [row.position for row in store.read(since=0)] == [1, 2]
        assert [row.to_event() for row in store.read(since=1)][0].item_id == "mug"
        assert store.stats()["projections"]["user_items"] == 1


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(events=st.lists(EVENTS, max_size=30), batch=st.integers(1, 6))
def test_rebuild_equals_incremental(
    postgres: postgres_server.Server, template: str, events: list[Event], batch: int
) -> None:
    with edgerec.open(postgres.database(template=template)) as store:
        for start in range(0, len(events), batch):
            store.record_many(events[start : start + batch])
        incremental = snapshot(store)
        assert store.rebuild(batch=7) == store.head()
        assert snapshot(store) == incremental


def _record_views(url: str, writer: int, count: int) -> None:
    with edgerec.open(url, upgrade=False) as store:
        for n in range(count):
            store.record(
                ItemViewed(user_id=f"w{writer}", item_id=f"i{n % 7}", occurred_at=T0 + timedelta(seconds=n))
            )


def test_two_processes_writing_at_once_get_one_gap_free_log(postgres: postgres_server.Server) -> None:
    url = postgres.database()
    edgerec.open(url).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_record_views, args=(url, w, 60)) for w in (1, 2)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    with edgerec.open(url) as store:
        rows = list(store.read(since=0))
        assert [row.position for row in rows] == list(range(1, 121))
        for writer in ("w1", "w2"):  # each writer's events in the order it wrote them
            times = [row.occurred_at for row in rows if row.user_id == writer]
            assert len(times) == 60 and times == sorted(times)
        incremental = snapshot(store)
        store.rebuild()
        assert snapshot(store) == incremental


def _open_and_close(url: str) -> None:
    edgerec.open(url).close()


def test_processes_opening_a_new_database_at_once_migrate_it_one_after_the_other(
    postgres: postgres_server.Server,
) -> None:
    """Two kiosks, or a console and its trainer, started on a new database: each opens it (one
    failed on a duplicate alembic_version when both created the schema)."""
    context = multiprocessing.get_context("spawn")
    for _ in range(3):
        url = postgres.database()
        openers = [context.Process(target=_open_and_close, args=(url,)) for _ in range(3)]
        for process in openers:
            process.start()
        for process in openers:
            process.join(120)
        assert [process.exitcode for process in openers] == [0, 0, 0]


def test_import_quarantines_bad_rows_and_the_recommender_serves(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    start = int(T0.timestamp())
    lines = [f"{u},{100 + (u * 3 + k) % 9},7,pv,{start + 60 * k + u}" for u in range(1, 6) for k in range(6)]
    lines += ["1,101,7,teleport,1700000000", "not,a,row"]
    data = tmp_path / "behaviour.csv"
    data.write_text("\n".join(lines) + "\n")
    url = postgres.database()
    with edgerec.open(url) as store:
        store.record_many(
            [
                ItemListed(item_id=str(i), title=f"Item {i}", category=f"c{i % 3}", stock=3, occurred_at=T0)
                for i in range(100, 109)
            ]
        )
        report = import_file(store, data, format="taobao")
        assert (report.rows_read, report.accepted, report.quarantined) == (32, 30, 2)
        assert import_file(store, data, format="taobao").appended == 0
        recommendations = Recommender(store).recommend("1", k=5, now=T0 + timedelta(hours=1))
        assert len(recommendations) == 5 and all(r.reasons for r in recommendations)
    assert model_dir(url) != model_dir(postgres.url("postgres"))


def test_a_sqlite_store_moves_to_postgresql_as_the_readme_says(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from edgerec.cli import main
    from edgerec.recommend.engine import SHOP_RULES_FILE

    shop = tmp_path / "shop.db"
    with edgerec.open(shop) as store:
        store.record_many(
            [
                ItemListed(item_id="mug", title="Mug", category="Kitchen", stock=2, occurred_at=T0),
                ItemViewed(user_id="ana", item_id="mug", context=KIOSK, occurred_at=T0),
                ItemViewed(user_id="ana", item_id="mug", context=KIOSK, occurred_at=T0),
                AddedToCart(user_id="ana", item_id="unlisted", quantity=2, occurred_at=T0),
            ]
        )
    rules = tmp_path / "rules.toml"
    rules.write_text('exclude_categories = ["Kitchen"]\n')

    def edgerec_command(*args: str) -> None:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output

    url = postgres.database()
    edgerec_command("--db", str(shop), "rules", "set", str(rules))
    edgerec_command("--db", str(shop), "export", str(tmp_path / "backup.jsonl"), "--real-ids")
    edgerec_command("--db", url, "import", str(tmp_path / "backup.jsonl"))
    edgerec_command("--db", url, "rules", "set", str(model_dir(str(shop)) / SHOP_RULES_FILE))
    with edgerec.open(shop) as before, edgerec.open(url) as after:
        assert after.read() == before.read()
        assert snapshot(after) == snapshot(before)
    assert (model_dir(url) / SHOP_RULES_FILE).read_text() == (
        model_dir(str(shop)) / SHOP_RULES_FILE
    ).read_text()


def test_forgetting_a_customer_rewrites_the_tables_they_were_in(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    from edgerec.privacy import forget_user

    customer = "customer-7f3a9c"
    data = tmp_path / f"orders_{customer}.csv"  # the import's row names the file
    data.write_text("user_id,item_id,event,timestamp\nb,mug,view,2025-01-01 09:00:00\n")
    with edgerec.open(postgres.database()) as store:
        store.record_many(
            [
                ItemViewed(user_id=u, item_id="mug", occurred_at=T0 + timedelta(minutes=n))
                for n, u in enumerate([customer, "b", customer, "b"])
            ]
        )
        import_file(store, data)
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")  # as autovacuum does: pg_stats lists the id
        assert postgres.files_holding(store.engine, customer)  # on disk before
        receipt = forget_user(store, customer)
        assert (receipt.events_removed, receipt.database_compacted) == (2, True)
        assert {row.user_id for row in store.read(since=0)} == {"b"}
        assert postgres.files_holding(store.engine, customer) == []  # no dead row version left
        with store.engine.connect() as connection:  # nor the planner's statistics
            assert customer not in str(connection.exec_driver_sql("SELECT * FROM pg_stats").all())


def _shop_with_a_customer(url: str) -> edgerec.Store:
    store = edgerec.open(url)
    store.record_many(
        [
            ItemViewed(user_id=u, item_id=i, occurred_at=T0 + timedelta(minutes=n))
            for n, (u, i) in enumerate([(FORGOTTEN, "mug"), ("b", "mug"), (FORGOTTEN, "cup"), ("b", "cup")])
        ]
    )
    return store


FORGOTTEN = "customer-7f3a9c"


def test_a_store_tuned_and_trained_before_each_had_a_model_folder_is_told_where_its_files_are(
    postgres: postgres_server.Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older edgerec kept every server store's tuned blend and model in models/ itself: the
    newer one served the shipped blend without a word, and forget-user did not reach them."""
    from click.testing import CliRunner

    from edgerec.cli import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    shared = tmp_path / "edgerec" / "models"
    shared.mkdir(parents=True)
    for name in ("recommender.json", "trainer.pt", "snapshot.npz"):
        (shared / name).write_text("an older edgerec's")
    url = postgres.database()
    _shop_with_a_customer(url).close()
    said = CliRunner().invoke(main, ["--db", url, "recommend", "--user", "b"], catch_exceptions=False).output
    said = " ".join(said.split())
    assert (
        f"{shared} holds recommender.json, trainer.pt, snapshot.npz, kept there by an older edgerec" in said
    )
    assert f"this store's folder, {model_dir(url)}, has none, so they are not used" in said
    assert "If they are this store's, move them: mkdir -p" in said
    result = CliRunner().invoke(
        main, ["--db", url, "forget-user", FORGOTTEN, "--yes"], catch_exceptions=False
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and f"Forgot customer {FORGOTTEN!r}" in said
    assert f"forget-user does not reach it, and it may still hold customer {FORGOTTEN!r}" in said
    assert f"remove it (rm {shared}/trainer.pt {shared}/snapshot.npz)" in said
    assert all((shared / name).read_text() == "an older edgerec's" for name in ("trainer.pt", "snapshot.npz"))


def test_forgetting_waits_for_the_transactions_that_began_before_it_in_any_database(
    postgres: postgres_server.Server,
) -> None:
    """A transaction open in another database of the server (another shop's import) left the
    customer's rows in the rewritten files (VACUUM FULL copies the versions it may still see),
    and the receipt said compacted: the forget waits for it, and for an older snapshot in its own
    database, not for a transaction that began after it."""
    from edgerec.privacy import forget_user

    other = create_engine(postgres.database())
    with (
        _shop_with_a_customer(postgres.database()) as store,
        other.connect() as import_elsewhere,
        other.connect() as begun_after,
        store.engine.connect() as report,
    ):
        import_elsewhere.execute(text("SELECT txid_current()"))  # a transaction id, held open
        report.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        report.execute(text("SELECT count(*) FROM events"))  # a snapshot, held open
        elsewhere, reading = (
            c.execute(text("SELECT pg_backend_pid()")).scalar() for c in (import_elsewhere, report)
        )
        held: list[list[int]] = []

        def holding(waited_for: list[int]) -> None:
            held.append(waited_for)
            if len(held) == 1:
                begun_after.execute(text("SELECT txid_current()"))
                import_elsewhere.rollback()
            elif len(held) == 2:
                report.rollback()

        receipt = forget_user(store, FORGOTTEN, holding=holding)
        assert held == [sorted([elsewhere, reading]), [reading]]
        assert (receipt.database_compacted, receipt.compaction_failed) == (True, None)
        assert postgres.files_holding(store.engine, FORGOTTEN) == []
        begun_after.rollback()
    other.dispose()


def test_forgetting_says_the_database_is_not_compacted_while_an_older_transaction_stays_open(
    postgres: postgres_server.Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a login that owns the database but may not see other logins' sessions in full
    (no superuser): the transaction of another login, in another database, is seen too."""
    from edgerec import privacy

    monkeypatch.setattr(privacy, "HOLD_S", 0.5)
    other = create_engine(postgres.database())
    url = postgres.database()
    login = f"owner_{make_url(url).database}"
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(text(f"CREATE ROLE {login} LOGIN"))
        admin.execute(text(f"ALTER DATABASE {make_url(url).database} OWNER TO {login}"))
    with (
        _shop_with_a_customer(url.replace("edgerec@", f"{login}@")) as store,
        other.connect() as import_elsewhere,
    ):
        import_elsewhere.execute(text("SELECT txid_current()"))
        pid = import_elsewhere.execute(text("SELECT pg_backend_pid()")).scalar()
        receipt = privacy.forget_user(store, FORGOTTEN)
        assert receipt.found and not receipt.database_compacted
        assert f"began before the forget are still open after 0.5 s (process {pid})" in str(
            receipt.compaction_failed
        )
        assert receipt.compaction_advice == (
            "old row versions in the table files may still hold a copy of them;"
            " run `edgerec forget-user` again (whatever the id) once they end, to compact it"
        )
        import_elsewhere.rollback()
        again = privacy.forget_user(store, FORGOTTEN)  # whatever the id: the compaction is pending
        assert (again.found, again.database_compacted) == (False, True)
    as_superuser = create_engine(url)  # CHECKPOINT is the server's administrator's
    assert postgres.files_holding(as_superuser, FORGOTTEN) == []
    as_superuser.dispose()
    other.dispose()


def test_forgetting_through_a_login_that_does_not_own_the_tables_says_they_are_not_compacted(
    postgres: postgres_server.Server,
) -> None:
    """The server skips VACUUM FULL of a table the login does not own with a warning only: the
    receipt said compacted, and every table file kept the customer."""
    from edgerec.privacy import forget_user

    url = postgres.database()
    login = f"app_{make_url(url).database}"
    _shop_with_a_customer(url).close()
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(text(f"CREATE ROLE {login} LOGIN"))
        admin.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {login}"))
        admin.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {login}"))
    with edgerec.open(url.replace("edgerec@", f"{login}@")) as store:
        receipt = forget_user(store, FORGOTTEN)
        assert (receipt.events_removed, receipt.database_compacted) == (2, False)
        assert "this login may not rewrite the tables: skipping" in str(receipt.compaction_failed)
        assert "as the owner of edgerec's tables" in str(receipt.compaction_advice)
    with edgerec.open(url) as store:  # their owner compacts what was left
        assert forget_user(store, FORGOTTEN).database_compacted
        assert postgres.files_holding(store.engine, FORGOTTEN) == []


def test_forgetting_through_the_tables_owner_who_does_not_own_the_database_names_pg_statistic(
    postgres: postgres_server.Server,
) -> None:
    """The login that made the store owns its tables, not the database: the server skipped
    pg_statistic only, and the command said this login may not rewrite the tables and to run it
    as their owner, which it was."""
    from edgerec.privacy import forget_user

    url = postgres.database()
    login = f"maker_{make_url(url).database}"
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(text(f"CREATE ROLE {login} LOGIN"))
        admin.execute(text(f"GRANT CREATE ON SCHEMA public TO {login}"))
    with _shop_with_a_customer(url.replace("edgerec@", f"{login}@")) as store:
        receipt = forget_user(store, FORGOTTEN)
        assert (receipt.events_removed, receipt.database_compacted) == (2, False)
        assert "this login may rewrite edgerec's tables but not the planner's statistics: skipping" in str(
            receipt.compaction_failed
        )
        assert receipt.compaction_advice == (
            "old row versions in the planner's statistics (pg_statistic) may still hold a copy of them;"
            " run `edgerec forget-user` again (whatever the id) as the database's owner (or a superuser)"
            " to compact it"
        )
    with edgerec.open(url) as store:  # the database's owner compacts what was left
        with store.engine.connect() as connection:
            owners = connection.execute(
                text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
            )
            assert owners.scalars().all() == [login]
        assert forget_user(store, FORGOTTEN).database_compacted
        assert postgres.files_holding(store.engine, FORGOTTEN) == []


def _forget_beside_a_reader(postgres: postgres_server.Server, timeout: str) -> str:
    """What `forget-user` says, failing with status 1, where the database's `timeout` setting
    is 1 s and a reader holds its lock on the log (which keeps VACUUM FULL waiting past it)."""
    from click.testing import CliRunner

    from edgerec.cli import main

    url = postgres.database()
    _shop_with_a_customer(url).close()
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(text(f"ALTER DATABASE {make_url(url).database} SET {timeout} = '1s'"))
    report = create_engine(url)
    with report.connect() as reading:
        reading.execute(text("SELECT count(*) FROM events"))
        result = CliRunner().invoke(main, ["--db", url, "forget-user", FORGOTTEN, "--yes"])
        reading.rollback()
    report.dispose()
    assert result.exit_code == 1 and "Traceback" not in result.output
    return " ".join(result.output.split())


def test_a_compaction_stopped_by_a_lock_timeout_says_so_in_postgresql_words(
    postgres: postgres_server.Server,
) -> None:
    """It said that free pages and the WAL may hold a copy, and to free some space."""
    said = _forget_beside_a_reader(postgres, "lock_timeout")
    assert "(canceling statement due to lock timeout): the customer's rows and model are cleaned" in said
    assert (
        "but old row versions in the table files may still hold a copy of them; run `edgerec forget-user`"
        " again (whatever the id) once the other sessions using the store are done, to compact it"
    ) in said
    assert "WAL" not in said and "free" not in said


def test_a_compaction_waits_a_bounded_time_behind_a_reader_and_kiosks_write_meanwhile(
    postgres: postgres_server.Server,
) -> None:
    """With no lock_timeout set for the login, VACUUM FULL waited behind a reader's lock on the
    log for as long as the reader stayed, and every write to the log queued behind it."""
    import threading

    from edgerec import privacy

    url = postgres.database()
    _shop_with_a_customer(url).close()
    report = create_engine(url)
    receipts: list[privacy.Receipt] = []
    done: dict[str, float] = {}
    with edgerec.open(url) as store, edgerec.open(url) as kiosk, report.connect() as reading:
        reading.execute(text("SELECT count(*) FROM events"))
        started = time.monotonic()

        def forget() -> None:
            receipts.append(privacy.forget_user(store, FORGOTTEN))
            done["forget"] = time.monotonic() - started

        def write() -> None:
            time.sleep(0.5)  # the rewrite is queued behind the reader by now
            kiosk.record(ItemViewed(user_id="b", item_id="cup", occurred_at=T0 + timedelta(hours=1)))
            done["write"] = time.monotonic() - started

        threads = [threading.Thread(target=forget), threading.Thread(target=write)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, 20 - (time.monotonic() - started)))
        waited = dict(done)
        reading.rollback()  # what lets a rewrite that waits without end go on, and the write
        for thread in threads:
            thread.join()
    report.dispose()
    assert waited.keys() == {"forget", "write"}, f"still waiting after 20 s: {waited}"
    assert waited["write"] < 5
    (receipt,) = receipts
    assert receipt.found and not receipt.database_compacted
    assert "lock timeout" in str(receipt.compaction_failed)
    assert "once the other sessions using the store are done" in str(receipt.compaction_advice)


def test_a_compaction_stopped_by_the_login_s_statement_timeout_names_it(
    postgres: postgres_server.Server,
) -> None:
    """It said to run it again once the other sessions were done, as after a lock timeout: under
    the same statement_timeout, the rewrite of a big enough log stops at every run with no other
    session there (here a reader's lock keeps it past the timeout)."""
    said = _forget_beside_a_reader(postgres, "statement_timeout")
    assert "(canceling statement due to statement timeout): the customer's rows and model are cleaned" in said
    assert (
        "may still hold a copy of them; this login's statement_timeout (1s) stops the rewrite: run"
        " `edgerec forget-user` again (whatever the id) as a login without one, or with a longer one,"
        " to compact it"
    ) in said
    assert "other sessions" not in said


def test_forgetting_a_numeric_id_takes_its_refused_rows_however_written_and_no_others(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    """The rows holding a number with an exponent are picked by a regular expression, which is
    SQL of the dialect's own (REGEXP on SQLite, ~ here)."""
    from edgerec.privacy import forget_user

    data = tmp_path / "rows.jsonl"
    lines = [
        {"user_id": 30, "item_id": "a", "type": "view", "timestamp": "2024-03-01T10:00:00Z"},
        {"user_id": 30.0, "item_id": "b", "type": "bogus", "timestamp": "2024-03-01T10:01:00Z"},
        {"user_id": 3e1, "item_id": "c", "type": "bogus", "timestamp": "2024-03-01T10:02:00Z"},
        {"user_id": 5, "item_id": "d", "type": "bogus", "timestamp": "2024-03-01T10:30:00Z"},
    ]
    data.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with edgerec.open(postgres.database()) as store:
        assert import_file(store, data).quarantined == 3
        receipt = forget_user(store, "30")
        assert (receipt.events_removed, receipt.quarantine_rows_removed) == (1, 2)
        with store.engine.connect() as connection:
            kept = connection.execute(select(quarantine.c.raw)).scalars().all()
        assert len(kept) == 1 and '"user_id": 5' in kept[0]


def test_a_password_in_the_url_is_never_printed(postgres: postgres_server.Server) -> None:
    from click.testing import CliRunner

    from edgerec.cli import main

    database = postgres.database()
    url = database.replace("edgerec@", "edgerec:s3cret-pw@")  # the server trusts any
    joined = "&" if "?" in database else "?"
    in_the_query = f"{database}{joined}password=s3cret-pw"  # as libpq allows: it was printed in full
    with edgerec.open(url) as store:
        assert "s3cret-pw" not in json.dumps(store.stats())
    for written in (url, in_the_query):
        for command in (["stats", "--json"], ["db", "upgrade"]):
            result = CliRunner().invoke(main, ["--db", written, *command], catch_exceptions=False)
            assert result.exit_code == 0 and "***" in result.output and "s3cret-pw" not in result.output
    # The database named in the query, as libpq allows: eval names its results after it.
    parsed = make_url(url)
    query = "&".join(f"{k}={v}" for k, v in {**parsed.query, "dbname": parsed.database}.items())
    in_query = f"{parsed.drivername}://{parsed.username}:s3cret-pw@/?{query}"
    result = CliRunner().invoke(main, ["--db", in_query, "eval"])
    assert result.exit_code == 1 and f"to evaluate in the store {parsed.database}" in result.output
    assert "s3cret-pw" not in result.output


def test_ids_compare_by_code_point_and_counts_hold_64_bits(postgres: postgres_server.Server) -> None:
    """As on SQLite: ids sort by code point whatever the database's language (the recommender
    and evaluation number items in id order), and counts and positions do not stop at 2**31."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from edgerec.store.schema import metadata

    with edgerec.open(postgres.database()) as store:
        with store.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
            columns = connection.execute(
                text(
                    "SELECT table_name, column_name, collation_name, data_type"
                    " FROM information_schema.columns WHERE table_schema = 'public'"
                    " AND column_name IN ('item_id', 'in_cart', 'position')"
                )
            ).all()
        assert {(t, c, k) for t, c, k, _ in columns if c == "item_id"} == {
            (t, "item_id", "C") for t in ("events", "items", "item_stats", "user_items")
        }
        assert {d for _, c, _, d in columns if c != "item_id"} == {"bigint"}
        carts = [
            AddedToCart(user_id="u", item_id="i", quantity=1_000_000, occurred_at=T0 + timedelta(seconds=n))
            for n in range(2_200)
        ]
        store.record_many(carts)  # 2.2e9 units in the cart: past 2**31
        assert store.read(since=2**40) == []


def test_recommendations_are_the_same_as_on_sqlite_and_after_a_rebuild(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    """The same log gives the same lists on both databases, and a rebuild changes none: the
    items are numbered in id order and ties among neighbours are cut the same way, not in the
    order PostgreSQL happens to keep its rows (an update moves a row; a rebuild moves them all)."""
    from edgerec.demo import DemoSize, demo_events

    now = T0 + timedelta(days=30)
    events = list(demo_events(size=DemoSize(items=300, customers=40, sessions=300), now=now))
    customers = sorted({e.user_id for e in events if e.user_id})[:25]

    def lists(url: str) -> dict[str, list[tuple[str, float]]]:
        with edgerec.open(url) as store:
            recommender = Recommender(store)
            return {
                user: [(r.item_id, round(r.score, 9)) for r in recommender.recommend(user, k=10, now=now)]
                for user in customers
            }

    on_postgres, on_sqlite = postgres.database(), str(tmp_path / "same.db")
    for url in (on_postgres, on_sqlite):
        with edgerec.open(url) as store:
            for start in range(0, len(events), 100):  # rows updated batch after batch
                store.record_many(events[start : start + 100])
    expected = lists(on_sqlite)
    assert lists(on_postgres) == expected
    with edgerec.open(on_postgres) as store:
        store.rebuild()
    assert lists(on_postgres) == expected


def test_an_id_no_store_can_hold_finds_nothing_as_on_sqlite(postgres: postgres_server.Server) -> None:
    """A NUL or a lone surrogate in a filter (refused in any event) matches nothing; PostgreSQL
    refused to compare with them and raised."""
    with edgerec.open(postgres.database()) as store:
        store.record(ItemViewed(user_id="u", item_id="i", occurred_at=T0))
        assert store.read(user_id="a\x00b") == [] and store.read(session_id="a\udcff") == []
        recommender = Recommender(store)
        assert [r.item_id for r in recommender.recommend("a\x00b", k=2, now=T0)] == ["i"]
        assert [r.item_id for r in recommender.recommend("x\udcff", k=2, now=T0)] == ["i"]


def test_a_url_written_as_hosting_services_write_it_is_read_with_psycopg(
    postgres: postgres_server.Server,
) -> None:
    url = make_url(postgres.database())
    for scheme in ("postgres", "postgresql"):
        bare = url.set(drivername=scheme).render_as_string(hide_password=False)
        with edgerec.open(bare) as store:
            assert store.url.startswith("postgresql+psycopg://") and store.head() == 0


def test_tailing_the_log_goes_on_after_the_server_restarts(postgres: postgres_server.Server) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    url = postgres.database()
    with edgerec.open(url) as store:
        store.record(ItemViewed(user_id="u", item_id="before", occurred_at=T0))
    command = [sys.executable, "-m", "edgerec", "--db", url, "events", "tail", "--json", "--interval", "0.2"]
    tail = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=repo)
    try:
        assert tail.stdout is not None and "before" in tail.stdout.readline()
        postgres.restart(down_s=1.5)  # the tail polls while the server is down
        with edgerec.open(url) as store:
            store.record(ItemViewed(user_id="u", item_id="after", occurred_at=T0))
        assert "after" in tail.stdout.readline()
        assert tail.poll() is None
    finally:
        tail.terminate()
        tail.wait(30)
    assert tail.stderr is not None and "Traceback" not in tail.stderr.read()


def test_a_nul_in_a_refused_row_is_quarantined_as_on_sqlite(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    """PostgreSQL's text holds no NUL: the import stopped with a traceback, and the batch's
    quarantine rows were lost (accepted + quarantined was no longer rows read)."""
    data = tmp_path / "views.csv"
    data.write_bytes(b"user_id,item_id,type,timestamp\nu1,i1,view,1700000000\nu\x002,i1,view,1700000000\n")
    with edgerec.open(postgres.database()) as store:
        report = import_file(store, data, format="csv")
        assert (report.accepted, report.quarantined_by_reason) == (1, {"invalid_user_id": 1})
        with store.engine.connect() as connection:
            raw = connection.execute(text("SELECT raw FROM quarantine")).scalar_one()
    assert raw == "u\\x002,i1,view,1700000000"


def test_a_reading_command_on_an_empty_database_is_refused(postgres: postgres_server.Server) -> None:
    """A mistyped URL naming an empty database (the server's own `postgres`) was made a store
    and exported as one, silently; SQLite refused a missing file."""
    from click.testing import CliRunner

    from edgerec.cli import main

    url = postgres.database()
    for command in (["stats"], ["export", "-"]):
        result = CliRunner().invoke(main, ["--db", url, *command])
        assert result.exit_code == 2 and "no store in the database at" in result.output, result.output
    with create_engine(url).connect() as connection:
        assert inspect(connection).get_table_names() == []  # left as it was
    # An import refused before it wrote anything made a store of it all the same, as a SQLite
    # file it made is not left behind.
    unusable = Path(tempfile.mkdtemp()) / "unusable.csv"
    unusable.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(main, ["--db", url, "import", str(unusable)])
    assert result.exit_code == 1 and "no column for" in result.output, result.output
    with create_engine(url).connect() as connection:
        assert inspect(connection).get_table_names() == []
    assert CliRunner().invoke(main, ["--db", url, "stats"]).exit_code == 2
    assert CliRunner().invoke(main, ["--db", url, "demo"]).exit_code == 0  # a command that makes one
    assert CliRunner().invoke(main, ["--db", url, "stats"]).exit_code == 0


def test_a_login_that_may_only_read_is_told_so_by_each_command_that_writes(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    """A reporting login (GRANT SELECT only) got a psycopg traceback from every command that
    writes, where a read-only SQLite file gives one line."""
    from click.testing import CliRunner

    from edgerec.cli import main

    url = postgres.database()
    with edgerec.open(url) as store:
        store.record(ItemViewed(user_id="ana", item_id="mug", occurred_at=T0))
    with postgres.admin.connect() as connection:
        connection.execute(text("CREATE ROLE reader LOGIN"))
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader"))
    reader = make_url(url).set(username="reader").render_as_string(hide_password=False)
    data = tmp_path / "views.csv"
    data.write_text("user_id,item_id,type,timestamp\nbo,mug,view,1700000000\n")
    refused = "the database login may read but not write (permission denied for table events)"
    for command in (["import", str(data)], ["rebuild"], ["forget-user", "ana", "--yes"], ["demo", "--yes"]):
        result = CliRunner().invoke(main, ["--db", reader, *command])
        assert result.exit_code == 1 and refused in result.output, (command, result.output)
        assert isinstance(result.exception, SystemExit)  # a one-line error, not a traceback
        assert result.output.strip().splitlines()[-1].startswith("Error: could not write to")
    result = CliRunner().invoke(main, ["--db", reader, "export", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1 and refused in result.output and "--real-ids" in result.output
    exported = CliRunner().invoke(main, ["--db", reader, "export", str(tmp_path / "out.jsonl"), "--real-ids"])
    assert exported.exit_code == 0, exported.output
    assert CliRunner().invoke(main, ["--db", reader, "stats"]).exit_code == 0
    with edgerec.open(url) as store:
        assert [row.user_id for row in store.read(since=0)] == ["ana"]  # left as it was
    # The server's disk full is said the same way (psycopg raises it from the statement).
    from psycopg.errors import DiskFull
    from sqlalchemy.exc import OperationalError

    from edgerec.store.engine import StoreWriteError, write_transaction

    full = pytest.raises(StoreWriteError, match="the server's disk is full")
    with edgerec.open(url) as store, full, write_transaction(store.engine):
        raise OperationalError("INSERT INTO events", {}, DiskFull("could not extend file"))


def test_a_command_that_loses_the_server_part_way_says_so_in_one_line(
    postgres: postgres_server.Server,
) -> None:
    """A server restarted under `rebuild` or `forget-user` gave a psycopg traceback of a hundred
    lines; the import alone said it had lost the database. Here the server ends the command's
    connection as it writes the customers' projection, as a restart would."""
    from click.testing import CliRunner

    from edgerec.cli import main

    url = postgres.database()
    with edgerec.open(url) as store:
        store.record(ItemViewed(user_id="ana", item_id="mug", occurred_at=T0))
        store.record(ItemViewed(user_id="bo", item_id="mug", occurred_at=T0))
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(
            text(
                "CREATE FUNCTION cut() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$"
            )
        )
        connection.execute(
            text("CREATE TRIGGER cut BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION cut()")
        )
    for command in (["rebuild"], ["forget-user", "ana", "--yes"]):
        result = CliRunner().invoke(main, ["--db", url, *command])
        assert result.exit_code == 1, (command, result.output)
        assert isinstance(result.exception, SystemExit), (command, result.exception)  # not a traceback
        last = result.output.strip().splitlines()[-1]
        assert last.startswith("Error: lost the database at postgresql+psycopg://") and "run the same" in last
    with edgerec.open(url) as store:  # each rolled back: the customer and their history are there
        assert [row.user_id for row in store.read(since=0)] == ["ana", "bo"]
        assert store.stats()["projections"]["users"] == 2
    # A new connection the server refuses part way (still restarting) is said so too; a statement
    # the server stops (a timeout) is not taken for a lost server.
    from sqlalchemy.exc import OperationalError

    from edgerec.cli import Settings, _lost_said

    gone = make_url(url).set(query={"host": str(postgres.folder / "gone"), "port": "5432"})
    with pytest.raises(OperationalError) as refused:
        create_engine(gone).connect()
    said = _lost_said(Settings(url), refused.value)
    assert said is not None and said.startswith("lost the database at postgresql+psycopg://")
    with pytest.raises(OperationalError) as stopped, create_engine(url).connect() as connection:
        connection.execute(text("SET statement_timeout = 1"))
        connection.execute(text("SELECT pg_sleep(1)"))
    assert _lost_said(Settings(url), stopped.value) is None


def test_a_trainer_whose_login_may_only_read_saves_and_leaves_the_forget_mark(
    postgres: postgres_server.Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a forget's model part still to do, `train` under a login granted SELECT only wrote
    its checkpoint and then failed, saying that nothing of the write was stored."""
    from click.testing import CliRunner

    from edgerec.cli import main
    from edgerec.privacy import forget_user, model_forget_pending
    from edgerec.training import Trainer

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = postgres.database()
    with edgerec.open(url) as store:
        store.record_many([ItemViewed(user_id=user, item_id="mug", occurred_at=T0) for user in ("ana", "bo")])
        Trainer(store, device="cpu").save()
        forget_user(store, "ana")  # its trainer stopped before it saved: the mark stays
    with postgres.admin.connect() as connection:
        connection.execute(text("CREATE ROLE trainer_reads LOGIN"))
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO trainer_reads"))
    reader = make_url(url).set(username="trainer_reads").render_as_string(hide_password=False)
    checkpoint = model_dir(url) / "trainer.pt"
    before = checkpoint.stat().st_mtime_ns
    result = CliRunner().invoke(main, ["--db", reader, "train", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert checkpoint.stat().st_mtime_ns != before  # retrained without ana, and saved
    with edgerec.open(url) as store:
        assert model_forget_pending(store)  # for the next save or forget-user to clear


def test_the_console_s_searches_fold_every_letter_as_on_sqlite(
    postgres: postgres_server.Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are compared in the "C" collation, under which lower() folds ASCII letters only: an
    item "Ärmel-1" or a customer "Øystein" typed exactly was not found; in a database made with
    LOCALE 'C', no title with such a letter either."""
    from edgerec.readmodels import ShopData
    from edgerec.store import engine

    with postgres.admin.connect() as connection:
        connection.execute(text("CREATE DATABASE shop_c_locale TEMPLATE template0 LOCALE 'C'"))
    events = [
        ItemListed(item_id="Ärmel-1", title="Élan Sleeve", category="Kitchen", occurred_at=T0),
        ItemListed(item_id="50%_off", title="Mug", category="Kitchen", occurred_at=T0),
        ItemViewed(user_id="Øystein", item_id="Ärmel-1", occurred_at=T0),
    ]
    for url in (postgres.database(), postgres.url("shop_c_locale")):
        with edgerec.open(url) as store:
            store.record_many(events)
            shop = ShopData(store)
            for query, found in (("Ärmel", ["Ärmel-1"]), ("ärmel-1", ["Ärmel-1"]), ("ÉLAN", ["Ärmel-1"])):
                assert [i.item_id for i in shop.items(text=query)] == found, (url, query)
            assert [i.item_id for i in shop.items(text="%_")] == ["50%_off"]  # as written, not a pattern
            assert [c.user_id for c in shop.customers(text="øYSTEIN")] == ["Øystein"]
    # A server with neither collation: the database's own, which folds every letter but in C.
    monkeypatch.setattr(engine, "_FOLDING_COLLATIONS", ("no-such-collation",))
    with edgerec.open(postgres.database()) as store:
        store.record_many(events)
        assert [c.user_id for c in ShopData(store).customers(text="øystein")] == ["Øystein"]


def test_the_console_s_item_search_folds_accents_as_on_sqlite(postgres: postgres_server.Server) -> None:
    """The item search missed a title saved decomposed (NFD) and found no "Crème" for "creme"
    nor "Straße" for "STRASSE"; in a database made with LOCALE 'C' too. One not in UTF-8, whose
    normalize() refuses to run, finds words in any case, as before ("Straße" too)."""
    from edgerec.readmodels import ShopData

    with postgres.admin.connect() as connection:
        connection.execute(text("CREATE DATABASE shop_fold_c TEMPLATE template0 LOCALE 'C' ENCODING 'UTF8'"))
        connection.execute(
            text("CREATE DATABASE shop_fold_latin1 TEMPLATE template0 LOCALE 'C' ENCODING 'LATIN1'")
        )
    for url in (postgres.database(), postgres.url("shop_fold_c")):
        with edgerec.open(url) as store:
            store.record_many([ItemListed(item_id=i, title=t, occurred_at=T0) for i, t in TITLES.items()])
            shop = ShopData(store)
            for query, found in SEARCHES.items():
                assert [i.item_id for i in shop.items(text=query)] == [found], (url, query)
    with edgerec.open(postgres.url("shop_fold_latin1")) as store:
        store.record_many(
            [
                ItemListed(item_id="brulee", title="Crème brûlée", occurred_at=T0),
                ItemListed(item_id="map", title="Straße Karte", occurred_at=T0),
            ]
        )
        shop = ShopData(store)
        for query in ("crème", "CRÈME", "Brûlée"):
            assert [i.item_id for i in shop.items(text=query)] == ["brulee"], query
        # lower() folds no "ß" to "ss": the query is lowered as the column is, not case folded
        for query in ("Straße", "straße"):
            assert [i.item_id for i in shop.items(text=query)] == ["map"], query


def test_a_following_trainer_goes_on_after_the_server_restarts(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    """`train --follow` ended in five chained tracebacks when the server restarted."""
    import threading

    from edgerec.training import Trainer
    from edgerec.training.runner import follow

    url = postgres.database()
    with edgerec.open(url) as store:
        store.record(ItemViewed(user_id="u", item_id="before", occurred_at=T0))
        trainer = Trainer(store, directory=tmp_path / "model", device="cpu")
        stop, lost = threading.Event(), []
        worker = threading.Thread(
            target=follow, args=(trainer,), kwargs={"stop": stop, "poll_s": 0.05, "on_lost": lost.append}
        )
        worker.start()
        try:
            deadline = time.monotonic() + 60
            while trainer.position < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            postgres.restart(down_s=2.0)  # the trainer polls while the server is down
            head = store.record(ItemViewed(user_id="u", item_id="after", occurred_at=T0))
            while trainer.position < head and time.monotonic() < deadline:
                time.sleep(0.05)
            assert trainer.position == head and worker.is_alive()
        finally:
            stop.set()
            worker.join(timeout=60)
        assert lost, "the lost connection went unsaid"


def test_the_console_s_lists_are_in_sqlite_s_order_whatever_the_server_s_language(
    postgres: postgres_server.Server, tmp_path: Path
) -> None:
    """The category list followed the database's language ("bottoms, éclairs, Éclairs, hats"),
    and a customer's tied top categories and sessions came in whatever order the server chose;
    a NUL in an id looked up raised instead of finding nothing."""
    from sqlalchemy.exc import DBAPIError

    from edgerec.readmodels import ShopData

    with postgres.admin.connect() as connection:
        try:
            connection.execute(
                text(
                    "CREATE DATABASE shop_linguistic TEMPLATE template0"
                    " LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
                )
            )
        except DBAPIError:
            pytest.skip("this PostgreSQL server has no ICU collations to order text by language")
    names = ["Tops", "bottoms", "Hats", "hats", "Zubehör", "Éclairs", "éclairs"]
    events: list[Event] = [
        ItemListed(item_id=f"i{n}", title=f"t{n}", category=name, occurred_at=T0)
        for n, name in enumerate(names)
    ]
    events += [ItemViewed(user_id="u", item_id=f"i{n}", occurred_at=T0) for n in range(len(names))]
    events += [ItemViewed(user_id="u", session_id=f"s{n}", item_id="i0", occurred_at=T0) for n in (3, 1, 2)]
    seen = []
    for target in (tmp_path / "shop.db", postgres.url("shop_linguistic")):
        with edgerec.open(target) as store:
            store.record_many(events)
            shop = ShopData(store)
            seen.append(
                (shop.categories(), shop.top_categories("u"), [s.session_id for s in shop.sessions("u")])
            )
            assert (
                shop.customer("u\x00") is None
                and shop.item("i0\x00") is None
                and shop.profile("u\x00") is None
            )
            assert shop.customers(text="u\x00") == []
            # the other look-ups by id raised on PostgreSQL
            assert shop.sessions("u\x00") == shop.history("u\x00") == shop.top_categories("u\x00") == []
            assert shop.cart("u\x00") == {} and shop.bought("u\x00") == shop.excluded_for("u\x00") == set()
            assert shop.session("s1\x00") is None and shop.user_item("u\x00", "i0") is None
            assert not shop.acted_in("u", "s1\x00") and shop.co_visited(["i0\x00"]) == []
            assert shop.items(category="Hats\x00") == shop.items(text="Hats\x00") == []
            assert shop.quarantine(reason="bad\x00") == []
            assert shop.unavailable(["i0\x00"]) == {"i0\x00"}
    assert seen[0] == seen[1]
    assert [name for name, _ in seen[0][0]] == sorted(names)


def test_imports_take_turns_on_the_server(postgres: postgres_server.Server, tmp_path: Path) -> None:
    """An import into a server's store waits while another holds the store's turn (from another
    connection, as another machine's would), and runs once it is let go."""
    import threading

    from edgerec.store.import_turn import import_turn

    data = tmp_path / "views.csv"
    data.write_text(
        "user_id,item_id,type,timestamp\n" + "".join(f"u{i},i{i},view,1600000000\n" for i in range(20))
    )
    url = postgres.database()
    waited, reports = threading.Event(), []
    with edgerec.open(url) as store, edgerec.open(url) as other:
        with import_turn(other.engine):
            running = threading.Thread(
                target=lambda: reports.append(import_file(store, data, format="csv", waiting=waited.set))
            )
            running.start()
            assert waited.wait(10), "the import never said it waits"
            assert running.is_alive() and store.head() == 0
        running.join(60)
        assert [r.appended for r in reports] == [20]
        with import_turn(other.engine, waiting=lambda: pytest.fail("the turn was not let go")):
            pass
