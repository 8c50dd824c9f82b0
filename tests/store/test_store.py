"""The store: durable idempotent appends, ordered reads, private files, sessions."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import stat
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import edgerec
from edgerec.api import Store
from edgerec.domain import (
    AddedToCart,
    Context,
    Event,
    ItemDelisted,
    ItemListed,
    ItemUpdated,
    ItemViewed,
    Purchased,
    Rated,
    RemovedFromCart,
    SessionEnded,
    SessionStarted,
)
from edgerec.ingest import import_file
from edgerec.recommend import Recommender
from edgerec.store import engine as engine_module
from edgerec.store.engine import StoreWriteError, close_engine, database_url, make_engine, write_transaction
from edgerec.store.schema import cooccurrence, item_stats, items, sessions, user_items, users

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def rows(store: Store, table, *where):
    with store.engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(table).where(*where)).mappings()]


def test_record_returns_gap_free_positions_and_read_returns_the_events(store: Store) -> None:
    events = [ItemViewed(occurred_at=at(i), user_id="u1", item_id=f"i{i}") for i in range(5)]
    positions = [store.record(event) for event in events]
    assert positions == [1, 2, 3, 4, 5]
    assert store.head() == 5
    stored = store.read()
    # The store gives each event its session; everything else comes back as recorded.
    assert [row.to_event() for row in stored] == [
        dataclasses.replace(event, session_id=row.session_id)
        for event, row in zip(events, stored, strict=True)
    ]
    assert [row.position for row in store.read(since=3)] == [4, 5]


def test_recording_a_known_event_id_appends_nothing(store: Store) -> None:
    event = ItemViewed(occurred_at=at(0), user_id="u1", item_id="i1")
    first = store.record(event)
    store.record(ItemViewed(occurred_at=at(1), user_id="u1", item_id="i2"))
    assert store.record(event) == first
    assert store.record_many([event, event]) == [first, first]
    assert store.head() == 2
    assert rows(store, item_stats, item_stats.c.item_id == "i1")[0]["views"] == 1


def test_record_many_is_atomic(store: Store) -> None:
    good = ItemViewed(occurred_at=at(0), user_id="u1", item_id="i1")
    bad_row = {"event_id": "x", "type": "item_viewed", "occurred_at": None}  # NOT NULL fails
    from edgerec.store.codec import event_to_row

    with pytest.raises(Exception):  # noqa: B017 - any database error will do
        store.append_rows([event_to_row(good), {**event_to_row(good), **bad_row, "event_id": "x"}])
    assert store.head() == 0
    assert store.stats()["projections"]["items"] == 0


def test_a_payload_keeps_its_numbers_as_written_beside_an_equal_one(store: Store) -> None:
    # 10 == 10.0: the second of two such payloads in one batch was stored with the first's text
    store.record_many(
        [
            Purchased(occurred_at=at(0), user_id="u1", item_id="i1", price_paid=10),
            Purchased(occurred_at=at(1), user_id="u1", item_id="i1", price_paid=10.0),
            Rated(occurred_at=at(2), user_id="u1", item_id="i1", value=4.0),
            Rated(occurred_at=at(3), user_id="u2", item_id="i1", value=4),
        ]
    )
    numbers = [row.payload.get("price_paid", row.payload.get("value")) for row in store.read()]
    assert [(number, type(number)) for number in numbers] == [
        (10, int),
        (10.0, float),
        (4.0, float),
        (4, int),
    ]


def test_reads_filter_by_user_session_and_type(store: Store) -> None:
    store.record_many(
        [
            ItemViewed(occurred_at=at(0), user_id="u1", item_id="i1", session_id="s1"),
            AddedToCart(occurred_at=at(1), user_id="u1", item_id="i1", session_id="s1"),
            ItemViewed(occurred_at=at(2), user_id="u2", item_id="i2", session_id="s2"),
        ]
    )
    assert [r.position for r in store.read(user_id="u1")] == [1, 2]
    assert [r.position for r in store.read(session_id="s2")] == [3]
    assert [r.position for r in store.read(types=["added_to_cart"])] == [2]
    assert [r.position for r in store.read(descending=True, limit=2)] == [3, 2]
    # past any position or count a column holds: an OverflowError from the driver
    assert store.read(since=10**20) == [] and len(store.read(limit=10**20)) == 3
    with pytest.raises(ValueError, match="unknown event type 'purchase': one of added_to_cart"):
        store.read(types=["purchase"])  # a misspelt type read nothing, silently
    with pytest.raises(ValueError, match="limit must not be negative"):
        store.read(limit=-1)
    # a generator of types was used up by the check of their names, and read nothing
    assert [r.position for r in store.read(types=(t for t in ["added_to_cart"]))] == [2]
    assert len(store.read(since=-(2**64))) == 3  # the driver raised OverflowError
    with pytest.raises(TypeError, match="as text, not b'item_viewed'"):  # "unknown event type '100'"
        store.read(types=b"item_viewed")
    # an empty collection of types (a filter that left none) read the whole log
    assert store.read(types=[]) == [] and store.read(types=(t for t in ["rated"] if t != "rated")) == []
    with pytest.raises(TypeError, match="user_id is an id as text, not 1"):  # "'int' is not iterable"
        store.read(user_id=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="store_id is an id as text, not 7"):
        store.read(store_id=7)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="since must be a whole number .*, not None"):  # "'>' not supported"
        store.read(since=None)  # type: ignore[arg-type]


def test_a_path_of_bytes_opens_the_store_it_names(tmp_path: Path) -> None:
    """edgerec.open(b"shop.db") failed inside with "'bytes' object has no attribute 'encode'"."""
    with edgerec.open(os.fsencode(tmp_path / "shop.db")) as store:
        store.record(ItemViewed(occurred_at=at(0), user_id="u1", item_id="i1"))
    with edgerec.open(tmp_path / "shop.db") as store:
        assert store.head() == 1


def test_database_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "place"
    with edgerec.open(folder / "shop.db") as store:
        store.record(ItemViewed(occurred_at=at(0), user_id="u1", item_id="i1"))
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        created = sorted(p.name for p in folder.iterdir())
        assert "shop.db" in created
        for path in folder.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_opening_takes_only_others_access_away_and_keeps_a_read_only_file_read_only(tmp_path: Path) -> None:
    """A backup its owner made read-only (0444) was made writable (0600) by any command."""
    path = tmp_path / "kept.db"
    edgerec.open(path).close()
    lock, wal = path.with_name("kept.db-writer.lock"), path.with_name("kept.db-wal")
    path.chmod(0o444)
    lock.touch()  # as a writer makes it
    lock.chmod(0o664)
    wal.touch(mode=0o400)  # as SQLite makes it beside a read-only database: with its mode
    close_engine(make_engine(database_url(path)))
    modes = [stat.S_IMODE(file.stat().st_mode) for file in (path, lock, wal)]
    assert modes == [0o400, 0o600, 0o600]  # side files stay writable: chmod u+w on the file is enough


NOBODY = 65534
_CHECKOUT = Path(__file__).resolve().parents[2]


def _others_can_read_the_checkout() -> bool:
    """Whether another user can read edgerec's own files here (its migrations): not in a clone
    made in a private folder (mktemp -d)."""
    return all(os.stat(folder).st_mode & stat.S_IXOTH for folder in (_CHECKOUT, *_CHECKOUT.parents)) and bool(
        os.stat(_CHECKOUT / "migrations").st_mode & stat.S_IROTH
    )


as_another_user = pytest.mark.skipif(
    os.geteuid() != 0 or not _others_can_read_the_checkout(),
    reason="acting as another user needs root, and a checkout that other users can read",
)


@contextlib.contextmanager
def _store_of(uid: int) -> Iterator[Path]:
    """The folder of a store with one event, which user `uid` owns, with everything in it."""
    with tempfile.TemporaryDirectory() as parent:
        folder = Path(parent) / "shop"
        with edgerec.open(folder / "shop.db") as store:
            store.record(ItemViewed(occurred_at=at(0), user_id="u1", item_id="i1"))
        for file in (Path(parent), folder, *folder.iterdir()):
            os.chown(file, uid, uid)
        yield folder


def _as_another_user(uid: int, work: Callable[[], str]) -> str:
    """What `work` returns, run in a child process under another user's ids."""
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's own exit code is the report
        said = "child failed"
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            said = work()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            said = f"{type(exc).__name__}: {exc}"
        finally:
            os.write(writing, said.encode())
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        said = pipe.read()
    os.waitpid(child, 0)
    return said


@as_another_user
def test_a_lock_file_another_user_made_leaves_reading_and_names_itself_to_a_writer() -> None:
    """A lock file a `sudo edgerec` made kept the shop's own user from even reading the store
    (opening changed its mode: 'Operation not permitted'), and a write gave a bare OSError."""
    with _store_of(NOBODY) as folder:
        lock, import_lock = folder / "shop.db-writer.lock", folder / "shop.db-import.lock"
        lock.unlink()
        for file in (lock, import_lock):
            file.touch(mode=0o600)  # root's, as a write under sudo leaves it
        (folder / "one.csv").write_text("user_id,item_id,type,timestamp\nu3,i3,view,2024-03-01T10:00:00Z\n")
        os.chown(folder / "one.csv", NOBODY, NOBODY)

        def read_then_write() -> str:
            said = []
            with edgerec.open(folder / "shop.db") as store:
                said.append(str(store.head()))
                for write in (
                    lambda: store.record(ItemViewed(occurred_at=at(1), user_id="u2", item_id="i2")),
                    lambda: import_file(store, folder / "one.csv"),
                ):
                    try:
                        write()
                    except StoreWriteError as exc:
                        said.append(str(exc))
            return "|".join(said)

        head, record, imported = _as_another_user(NOBODY, read_then_write).split("|")
    assert head == "1"
    assert record.startswith(f"cannot write to the store: its writers' lock file {lock} cannot be opened")
    assert imported.startswith(
        f"cannot write to the store: its import lock file {import_lock} cannot be opened"
    )


@as_another_user
def test_a_lock_file_its_folder_cannot_hold_is_said_as_the_folder() -> None:
    """The store's folder not writable by its user, its lock file not made yet: a write said the
    lock file "cannot be opened ... if another user made it, chown it", of a file not there."""
    with _store_of(NOBODY) as folder, edgerec.open(folder / "shop.db") as held:
        held.head()  # held open: its -wal and -shm stay, which a reader needs
        for name in ("shop.db-wal", "shop.db-shm"):
            os.chown(folder / name, NOBODY, NOBODY)
        for lock in folder.glob("*.lock"):
            lock.unlink()
        os.chown(folder, 0, 0)
        os.chmod(folder, 0o755)

        def write() -> str:
            with edgerec.open(folder / "shop.db", upgrade=False) as store:
                try:
                    store.record(ItemViewed(occurred_at=at(1), user_id="u2", item_id="i2"))
                except StoreWriteError as exc:
                    return str(exc)
            return "written"

        said = _as_another_user(NOBODY, write)
    assert said.startswith(
        f"cannot write to the store: its writers' lock file cannot be made in its folder {folder}"
    )
    assert "chown" not in said


@as_another_user
def test_a_store_another_user_owns_and_shares_read_only_can_be_read() -> None:
    """A store file another user owns, readable by all (a reporting account's), could not be
    opened at all: opening tried to take its others' bits away and failed."""
    with _store_of(os.geteuid()) as folder:
        os.chmod(folder.parent, 0o755)
        os.chmod(folder, 0o777)  # where SQLite may make the -shm a reader needs
        os.chmod(folder / "shop.db", 0o644)

        def read() -> str:
            with edgerec.open(folder / "shop.db", upgrade=False) as store:
                return str(store.head())

        assert _as_another_user(NOBODY, read) == "1"
        assert stat.S_IMODE((folder / "shop.db").stat().st_mode) == 0o644
        for journal in folder.glob("shop.db-*"):  # the reader's own, from the read above
            journal.unlink()
        (folder / "shop.db-wal").touch(mode=0o600)  # the owner's, left by a crash
        said = _as_another_user(NOBODY, read)
        assert "cannot read it" in said and said.endswith("shop.db-wal'"), said


@as_another_user
def test_a_wal_the_stores_own_user_cannot_write_is_named() -> None:
    """A -wal another user left (a write under sudo, killed) gave only SQLite's "unable to open
    database file"."""
    for mode in (0o600, 0o400):  # (0400: a backup its owner keeps read-only)
        with _store_of(NOBODY) as folder:
            (folder / "shop.db").chmod(mode)
            (folder / "shop.db-wal").touch(mode=0o600)  # root's

            def open_it() -> str:
                try:
                    edgerec.open(folder / "shop.db").close()  # noqa: B023
                except PermissionError as exc:
                    return str(exc)
                return "opened"

            said = _as_another_user(NOBODY, open_it)
        assert "cannot write it" in said and "chown" in said and said.endswith("shop.db-wal'"), said


def test_sessions_split_after_thirty_idle_minutes(store: Store) -> None:
    store.record_many(
        [
            ItemViewed(occurred_at=at(0), user_id="u1", item_id="a"),
            ItemViewed(occurred_at=at(20), user_id="u1", item_id="b"),
            ItemViewed(occurred_at=at(49), user_id="u1", item_id="c"),
            ItemViewed(occurred_at=at(80), user_id="u1", item_id="d"),
            ItemViewed(occurred_at=at(81), user_id="u2", item_id="d", session_id="given"),
        ]
    )
    ids = [row.session_id for row in store.read()]
    assert ids[0] == ids[1] == ids[2] != ids[3]
    assert ids[4] == "given"
    user = rows(store, users, users.c.user_id == "u1")[0]
    assert (user["events"], user["sessions"], user["last_session_id"]) == (4, 2, ids[3])
    first = rows(store, sessions, sessions.c.session_id == ids[0])[0]
    assert first["recent_items"] == ["a", "b", "c"]
    assert first["events"] == 3


@pytest.mark.parametrize("one_by_one", [False, True])
def test_a_session_ended_or_started_ends_the_current_one(store: Store, one_by_one: bool) -> None:
    """Events without a session id: after session_ended the customer has no current session,
    and session_started starts a new one, within 30 minutes or not. The visits' items do not
    pair; the recommender assigns the sessions the store does."""
    events = [
        SessionStarted(occurred_at=at(0), user_id="u1"),
        ItemViewed(occurred_at=at(1), user_id="u1", item_id="a"),
        SessionEnded(occurred_at=at(2), user_id="u1"),
        ItemViewed(occurred_at=at(3), user_id="u1", item_id="b"),
        SessionStarted(occurred_at=at(4), user_id="u1"),
        ItemViewed(occurred_at=at(5), user_id="u1", item_id="c"),
    ]
    recommender = Recommender(None)
    for event in events if one_by_one else []:
        store.record(event)
    if not one_by_one:
        store.record_many(events)
    ids = [row.session_id for row in store.read()]
    assert ids[0] == ids[1] == ids[2] != ids[3] != ids[4] == ids[5]
    assert rows(store, cooccurrence) == []
    for row in store.read():
        assert recommender.state.session_for(row._replace(session_id=None)) == row.session_id
        recommender.observe(row)


@pytest.mark.parametrize("one_by_one", [False, True])
def test_late_events_share_the_earlier_session_they_fall_in(store: Store, one_by_one: bool) -> None:
    """Events hours older than the customer's newest (an offline kiosk's, sent later) form one
    session when 30 minutes never pass between them, recorded one by one or together; one
    that falls inside a stored earlier session joins it."""
    store.record_many(
        [
            ItemViewed(occurred_at=at(0), user_id="u1", item_id="a"),
            ItemViewed(occurred_at=at(10), user_id="u1", item_id="b"),
            ItemViewed(occurred_at=at(300), user_id="u1", item_id="now"),
        ]
    )
    late = [ItemViewed(occurred_at=at(100 + m), user_id="u1", item_id=f"late-{m}") for m in (0, 1, 2)]
    inside = ItemViewed(occurred_at=at(5), user_id="u1", item_id="c")
    recommender = Recommender(store)
    for event in [*late, inside] if one_by_one else []:
        recommender.observe(event, store.record(event))
    if not one_by_one:
        store.record_many([*late, inside])
    ids = {row.item_id: row.session_id for row in store.read()}
    if one_by_one:  # the recommender, told of each event, holds no session the store did not give
        assert set(recommender.state.sessions) <= set(ids.values())
        assert recommender.state.users["u1"].last_session == ids["now"]
    assert ids["late-0"] == ids["late-1"] == ids["late-2"] not in (ids["a"], ids["now"])
    assert ids["c"] == ids["a"] == ids["b"]
    assert len({*ids.values()}) == 3


@pytest.mark.parametrize(
    "visit",
    [
        # a visit that ended, then one of its views sent late (within 30 minutes of the end)
        [(0, "view"), (15, "view"), (20, "end"), (10, "view")],
        # a visit, a new one started, then a view of the first visit sent late
        [(0, "view"), (10, "view"), (20, "start"), (25, "view"), (5, "view")],
    ],
)
def test_a_late_event_joins_the_visit_it_falls_in_however_it_is_recorded(
    tmp_path: Path, visit: list[tuple[int, str]]
) -> None:
    kinds = {"view": ItemViewed, "end": SessionEnded, "start": SessionStarted}

    def events() -> list[Event]:
        made = []
        for n, (minute, kind) in enumerate(visit):
            extra = {"item_id": f"i{n}"} if kind == "view" else {}
            made.append(kinds[kind](occurred_at=at(minute), user_id="u1", **extra))  # type: ignore[arg-type]
        return made

    sessions_of = []
    for one_by_one in (True, False):
        with edgerec.open(tmp_path / f"{one_by_one}.db") as opened:
            if one_by_one:
                for event in events():
                    opened.record(event)
            else:
                opened.record_many(events())
            sessions_of.append([row.session_id for row in opened.read()])  # the log keeps their order
    assert sessions_of[0] == sessions_of[1]
    assert sessions_of[0][-1] == sessions_of[0][0]  # the late view is in the first visit


def test_two_visits_begun_in_one_second_are_two_sessions(store: Store) -> None:
    start = at(0).replace(microsecond=100_000)
    for n, event in enumerate(
        [
            SessionStarted(user_id="u1"),
            ItemViewed(user_id="u1", item_id="a"),
            SessionEnded(user_id="u1"),
            SessionStarted(user_id="u1"),
            ItemViewed(user_id="u1", item_id="b"),
        ]
    ):
        store.record(dataclasses.replace(event, occurred_at=start + timedelta(milliseconds=100 * n)))
    ids = [row.session_id for row in store.read()]
    assert ids[0] == ids[1] == ids[2] != ids[3] == ids[4]
    assert rows(store, cooccurrence) == []


def test_cart_history_and_co_occurrence(store: Store) -> None:
    common = {"user_id": "u1", "session_id": "s"}
    store.record_many(
        [
            ItemViewed(occurred_at=at(0), item_id="a", **common),
            AddedToCart(occurred_at=at(1), item_id="a", quantity=2, **common),
            ItemViewed(occurred_at=at(2), item_id="b", **common),
            AddedToCart(occurred_at=at(3), item_id="b", **common),
            RemovedFromCart(occurred_at=at(4), item_id="b", **common),
            Purchased(occurred_at=at(5), item_id="a", quantity=2, price_paid=10.0, **common),
        ]
    )
    history = {r["item_id"]: r for r in rows(store, user_items)}
    assert (
        history["a"]["views"],
        history["a"]["carts"],
        history["a"]["in_cart"],
        history["a"]["purchases"],
    ) == (1, 1, 0, 1)
    assert (history["b"]["in_cart"], history["b"]["last_type"]) == (0, "removed_from_cart")
    pairs = {(r["item_a"], r["item_b"]): r["count"] for r in rows(store, cooccurrence)}
    assert pairs == {("a", "b"): 1, ("b", "a"): 1}
    stats = {r["item_id"]: r for r in rows(store, item_stats)}
    assert (stats["a"]["views"], stats["a"]["carts"], stats["a"]["purchases"]) == (1, 1, 1)
    # A purchase weighs more than a view, so a's decayed popularity is higher.
    assert stats["a"]["popularity_log"] > stats["b"]["popularity_log"]


def test_catalogue_follows_listing_updates_and_delisting(store: Store) -> None:
    store.record_many(
        [
            ItemListed(
                occurred_at=at(0),
                item_id="a",
                title="Boot",
                category="Shoes/Boots",
                brand="Orca",
                price=50.0,
                stock=4,
                attributes={"colour": "red"},
            ),
            ItemUpdated(occurred_at=at(1), item_id="a", stock=0, price=45.0),
            ItemViewed(
                occurred_at=at(2), user_id="u", item_id="z", category="Toys", context=Context(store_id="k1")
            ),
            ItemListed(occurred_at=at(3), item_id="b", title="Tent"),
            ItemDelisted(occurred_at=at(4), item_id="b"),
        ]
    )
    catalogue = {r["item_id"]: r for r in rows(store, items)}
    assert catalogue["a"]["status"] == "listed"
    assert (catalogue["a"]["stock"], catalogue["a"]["price"], catalogue["a"]["brand"]) == (0, 45.0, "Orca")
    assert catalogue["a"]["attributes"] == {"colour": "red"}
    assert (catalogue["z"]["status"], catalogue["z"]["category"]) == ("seen", "Toys")
    assert catalogue["b"]["status"] == "delisted"


def test_projection_positions_follow_the_log(store: Store) -> None:
    store.record(ItemViewed(occurred_at=at(0), user_id="u", item_id="a"))
    store.record(ItemViewed(occurred_at=at(1), user_id="u", item_id="b"))
    assert set(store.projection_positions().values()) == {2}


def test_writers_share_one_connection_through_failures_and_threads(store: Store) -> None:
    from edgerec.store.codec import event_to_row

    store.record(ItemViewed(occurred_at=at(0), user_id="u", item_id="a"))
    broken = {**event_to_row(ItemViewed(occurred_at=at(1), user_id="u", item_id="b")), "occurred_at": None}
    with pytest.raises(Exception):  # noqa: B017 - any database error will do
        store.append_rows([broken])

    def record_views(thread: int) -> None:
        for i in range(25):
            store.record(ItemViewed(occurred_at=at(i), user_id=f"u{thread}", item_id=f"i{i}"))

    threads = [threading.Thread(target=record_views, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [row.position for row in store.read()] == list(range(1, 102))
    assert set(store.projection_positions().values()) == {101}
    assert sum(row["views"] for row in rows(store, item_stats)) == 101


def test_a_closed_store_lets_its_engine_go(tmp_path: Path) -> None:
    store = edgerec.open(tmp_path / "store.db")
    store.record(ItemViewed(occurred_at=at(0), user_id="u", item_id="a"))
    engine = weakref.ref(store.engine)
    store.close()
    del store
    gc.collect()
    assert engine() is None


def test_a_closed_store_keeps_no_file_open(tmp_path: Path) -> None:
    """Each closed store that had written kept its writers' lock file open: a program opening
    and closing its store per request ran out of file descriptors after a thousand."""

    def open_files() -> list[str]:
        names = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the listing's own descriptor, closed since
                names.append(os.readlink(f"/proc/self/fd/{fd}"))
        return [name for name in names if name.startswith(str(tmp_path))]

    for i in range(3):
        with edgerec.open(tmp_path / "store.db") as store:
            store.record(ItemViewed(occurred_at=at(i), user_id="u", item_id="a"))
        assert open_files() == []
    with edgerec.open(tmp_path / "store.db") as store:  # and it writes again after a close
        store.close()
        store.record(ItemViewed(occurred_at=at(9), user_id="u", item_id="b"))
        assert store.head() == 4


def test_a_long_write_makes_others_wait_their_turn_not_fail(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Found with a rebuild of 1.1 million events, which holds the write lock for 48 s: opening
    the store elsewhere failed with "database is locked" once the busy timeout ran out."""
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "shop.db"
    edgerec.open(path).close()
    holding, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with edgerec.open(path) as store, write_transaction(store.engine):
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert holding.wait(10)
        with edgerec.open(path) as other:
            recorded: list[int] = []
            waiting = threading.Thread(
                target=lambda: recorded.append(
                    other.record(ItemViewed(user_id="u", item_id="i", occurred_at=T0))
                )
            )
            waiting.start()
            waiting.join(1.0)  # five busy timeouts: it waits its turn
            assert waiting.is_alive() and recorded == []
            release.set()
            waiting.join(10)
            assert recorded == [1]
    finally:
        release.set()
        writer.join(10)


def test_a_store_in_memory_is_in_memory_for_every_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with edgerec.open(":memory:") as store:
        store.record(ItemViewed(user_id="u1", item_id="i1"))
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(store.head()))
        reader.start()
        reader.join()
        assert seen == [1]
    assert list(tmp_path.iterdir()) == []  # no file named ":memory:"
    with edgerec.open(":memory:") as fresh:
        assert fresh.head() == 0


def test_a_sqlite_uri_filename_is_refused_and_one_in_memory_is_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sqlite:///file:shop.db?uri=true` had SQLite open shop.db while the store set the mode of,
    and put its lock files beside, an empty file named 'file:shop.db'; `file::memory:` (or
    mode=memory) made a file of that name too, for a store that was in memory."""
    monkeypatch.chdir(tmp_path)
    for url in ("sqlite:///file:shop.db?uri=true", "sqlite:///shop.db?mode=ro&uri=true"):
        with pytest.raises(ValueError, match=r"as a URI \(uri=true\), which edgerec does not take"):
            edgerec.open(url)
    for url in ("sqlite:///file::memory:?uri=true", "sqlite:///file:till?mode=memory&cache=shared&uri=true"):
        with edgerec.open(url) as store:
            store.record(ItemViewed(user_id="u1", item_id="i1"))
            assert store.head() == 1
    assert list(tmp_path.iterdir()) == []


def test_an_empty_path_is_refused_not_taken_for_the_default_store(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="path is empty"):
        edgerec.open("")
    monkeypatch.setenv("EDGEREC_DB", "")  # EDGEREC_DB=$SHOP_DB with SHOP_DB unset
    with pytest.raises(ValueError, match=r"\$EDGEREC_DB is empty"):
        edgerec.open()


def test_a_url_with_one_slash_is_refused_not_taken_for_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for typo in ("sqlite:/shop.db", "SQLite:shop.db", "postgres:/host/shop", "postgresql+psycopg:/host/shop"):
        with pytest.raises(ValueError, match="a URL has two slashes after the colon"):
            edgerec.open(typo)
    assert list(tmp_path.iterdir()) == []  # no folder named "sqlite:"


def test_a_wrong_kind_of_argument_is_refused_by_name(store: Store) -> None:
    """A string where a list or a number goes is not read letter by letter."""
    store.record_many(
        [
            ItemListed(item_id="I1", title="Mug", stock=3),
            Purchased(user_id="u", item_id="I1", occurred_at=at(0)),
        ]
    )
    assert [e.type for e in store.read(types="purchased")] == ["purchased"]
    with pytest.raises(TypeError, match="since must be a whole number"):
        store.read(since="1")  # type: ignore[arg-type]
    for bad in (None, {"type": "item_viewed"}):
        with pytest.raises(TypeError, match="an event to record is an Event"):
            store.record(bad)  # type: ignore[arg-type]
    store.record(ItemListed(item_id="I2", title="Cup", stock=3))
    recommender = Recommender(store)
    assert [r.item_id for r in recommender.recommend("v", k=2, exclude="I2")] == ["I1"]
    with pytest.raises(TypeError, match="context is a RequestContext"):
        recommender.recommend("v", context={"store_id": "k1"})  # type: ignore[arg-type]


def test_a_wrong_synchronous_level_is_refused_before_any_file_is_made(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not 'fast'"):
        edgerec.open(tmp_path / "shop.db", synchronous="fast")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("one_by_one", [False, True])
def test_an_item_known_from_interactions_takes_the_first_category_one_names(
    store: Store, one_by_one: bool
) -> None:
    """YOOCHOOSE's clicks name an item's category only sometimes: the first that does names it,
    in the catalogue and in a recommender following the log."""
    events = [
        ItemViewed(occurred_at=at(0), user_id="u1", item_id="a"),
        ItemViewed(occurred_at=at(1), user_id="u2", item_id="a", category="3"),
        ItemViewed(occurred_at=at(2), user_id="u3", item_id="a", category="5"),
    ]
    following = Recommender(None)
    for event in events:
        following.observe(event)
    for event in events if one_by_one else []:
        store.record(event)
    if not one_by_one:
        store.record_many(events)
    assert rows(store, items, items.c.item_id == "a")[0]["category"] == "3"
    for recommender in (following, Recommender(store)):
        assert [r.item_id for r in recommender.recommend("u9", k=3, category="3", now=at(3))] == ["a"]


def test_a_relative_sqlite_url_opens_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        with edgerec.open("sqlite:///shop.db") as store:
            store.record(ItemViewed(user_id="u1", item_id="i1", occurred_at=at(0)))
    assert (tmp_path / "shop.db").exists()


def test_a_file_name_with_url_characters_names_that_file(tmp_path: Path) -> None:
    """`till?1.db` and `till?2.db` were both the file `till` (the ? began the URL's query), so
    two shops' logs merged; `a%20b.db` was the file `a b.db`."""
    names = ["till?1.db", "till?2.db", "a%20b.db", "#é 中.db"]
    for n, name in enumerate(names):
        with edgerec.open(tmp_path / name) as store:
            store.record(ItemViewed(user_id=f"u{n}", item_id="i"))
    assert sorted(p.name for p in tmp_path.glob("*.db")) == sorted(names)
    for n, name in enumerate(names):
        with edgerec.open(tmp_path / name) as store:
            assert [e.user_id for e in store.read()] == [f"u{n}"]
            assert store.path == str(tmp_path / name)


def test_another_program_holding_the_write_lock_too_long_is_a_store_write_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup or a sqlite3 shell holding a write transaction past the busy timeout raised the
    driver's own OperationalError (a traceback from the commands); nothing was written."""
    import sqlite3

    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "locked.db"
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(engine_module.StoreWriteError, match="another program held its write lock"):
            store.record(ItemViewed(user_id="u", item_id="j"))
        other.execute("ROLLBACK")
        other.close()
        store.record(ItemViewed(user_id="u", item_id="k"))
        assert [e.item_id for e in store.read()] == ["i", "k"]


def test_a_database_file_deleted_or_replaced_while_open_refuses_writes(tmp_path: Path) -> None:
    """A store whose file was deleted (with its -wal and -shm) or replaced while open went on
    recording: `record` returned a position, and the event went into the deleted file, lost.
    The write is refused, naming the file; an import too; a store opened again writes to the
    file there then, and in-memory stores are unaffected."""
    import shutil

    path = tmp_path / "shop.db"
    deleted = "the database file .*shop.db was deleted or replaced while open"
    store = edgerec.open(path)
    store.record(ItemViewed(user_id="u", item_id="i"))
    for file in [path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))]:
        file.unlink(missing_ok=True)
    with pytest.raises(StoreWriteError, match=deleted):
        store.record(ItemViewed(user_id="u", item_id="j"))
    with pytest.raises(StoreWriteError, match=deleted):  # again: no empty database made there
        store.record(ItemViewed(user_id="u", item_id="j"))
    # nor by a read that opens a connection: it had one made, and failed on "no such table"
    with (
        pytest.raises(OperationalError, match=deleted),
        store.engine.connect() as one,
        store.engine.connect(),
    ):
        one.exec_driver_sql("SELECT count(*) FROM events")
    assert not path.exists()
    store.close()

    backup = tmp_path / "backup.db"
    with edgerec.open(path) as fresh:
        fresh.record(ItemViewed(user_id="u", item_id="k"))
    shutil.copy(path, backup)
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="l"))
        shutil.copy(backup, tmp_path / "restored.db")
        os.replace(tmp_path / "restored.db", path)  # a restore over the open store
        with pytest.raises(StoreWriteError, match=deleted):
            store.record(ItemViewed(user_id="u", item_id="m"))
        (tmp_path / "views.csv").write_text("user_id,item_id,event,timestamp\nu,n,view,2024-05-01 10:00\n")
        with pytest.raises(StoreWriteError, match=deleted):
            import_file(store, tmp_path / "views.csv")
    with edgerec.open(path) as store:  # the file there now, which the refused writes left alone
        seen = [e.item_id for e in store.read()]
        assert seen[0] == "k" and not {"m", "n"} & set(seen)
        store.record(ItemViewed(user_id="u", item_id="o"))
        assert [e.item_id for e in store.read()] == [*seen, "o"]
    with edgerec.open(":memory:") as memory:
        memory.record(ItemViewed(user_id="u", item_id="i"))
        assert memory.head() == 1


def test_closing_a_store_that_never_wrote_waits_for_no_other_process(tmp_path: Path) -> None:
    """Reading commands waited until another process's writer (a rebuild, an import) was done,
    and a Ctrl+C could not stop them: closing took the writers' turn."""
    import fcntl
    import os

    path = tmp_path / "busy.db"
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
    lock = os.open(str(path) + "-writer.lock", os.O_RDWR)  # another writer's turn, as flock sees it
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        done = threading.Event()

        def read_and_close() -> None:
            with edgerec.open(path) as reader:
                assert reader.head() == 1
            done.set()

        threading.Thread(target=read_and_close, daemon=True).start()
        assert done.wait(10), "closing waited for the other writer"
    finally:
        os.close(lock)


def test_a_time_read_back_is_the_time_written_to_the_microsecond_up_to_9999() -> None:
    """A float of seconds rounded the last instant of 9999 up to the year 10000 ('year 10000 is
    out of range' on every read of such an event)."""
    from edgerec.store.codec import from_micros, to_micros

    for micros in (0, 1_709_287_260_123_457, 253_402_300_799_999_999):
        assert to_micros(from_micros(micros)) == micros
