"""The `edgerec` command against a real database file."""

from __future__ import annotations

import gzip
import json
import sqlite3
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import edgerec
from edgerec.cli import main
from edgerec.domain import AddedToCart, Context, ItemListed, ItemViewed, Searched, SessionStarted
from edgerec.store import migrate
from tests.ctrl_c import said_when_stopped

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cli.db"
    with edgerec.open(path) as store:
        store.record_many(
            [
                ItemViewed(occurred_at=T0, user_id="u1", item_id="a", session_id="s1"),
                AddedToCart(
                    occurred_at=T0 + timedelta(minutes=1), user_id="u1", item_id="a", session_id="s1"
                ),
                ItemViewed(occurred_at=T0 + timedelta(minutes=2), user_id="u2", item_id="b", session_id="s2"),
            ]
        )
    return str(path)


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _file_modes_obeyed() -> list[str]:
    """The command prefix under which file modes hold: none for a user, and for root (which
    ignores them) `setpriv` dropping the capabilities that let it; skips where that is absent."""
    import os
    import shutil

    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("runs as root, and setpriv (util-linux) is not there to drop root's override")
    caps = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]


def _sequences_file(path: Path, customers: int) -> Path:
    """An S3-Rec file ("user item item ...") of `customers` customers, six items each."""
    lines = [f"{u} " + " ".join(str(1 + (u * 7 + k) % 40) for k in range(6)) for u in range(1, customers + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_help_lists_the_subcommands() -> None:
    output = run("--help")
    for command in ("tui", "db", "import", "events", "stats", "rebuild", "export", "kiosk", "demo"):
        assert f"  {command} " in output


def test_stats_json(db: str) -> None:
    data = json.loads(run("--db", db, "stats", "--json"))
    assert data["events"] == 3
    assert data["events_by_type"] == {"added_to_cart": 1, "item_viewed": 2}
    assert data["projections"]["users"] == 2


def test_database_from_the_environment(db: str) -> None:
    data = json.loads(run("stats", "--json", env={"EDGEREC_DB": db}))
    assert data["head"] == 3


def test_an_empty_database_is_a_usage_error_never_the_default_store(tmp_path: Path) -> None:
    """An unset variable in a script (--db "$SHOP_DB", EDGEREC_DB=$SHOP_DB) ended in a traceback,
    or, from the environment, wrote into the user's own store."""
    home = {"XDG_DATA_HOME": str(tmp_path / "data")}
    for args, env, said in [
        (["--db", ""], {}, "the path is empty"),
        (["--db", "   "], {}, "the path is empty"),
        ([], {"EDGEREC_DB": ""}, "$EDGEREC_DB is empty"),
        ([], {"EDGEREC_DB": "   "}, "$EDGEREC_DB is empty"),
    ]:
        result = CliRunner().invoke(main, [*args, "stats"], env=home | env)
        assert result.exit_code == 2, result.output
        assert f"Invalid value for --db: no database given: {said}" in result.output
        for opens_none in (["formats"], ["import", "--help"]):  # refused only where a store is opened
            assert CliRunner().invoke(main, [*args, *opens_none], env=home | env).exit_code == 0
    assert not (tmp_path / "data").exists()


def test_a_sqlite_uri_filename_in_db_is_refused_before_any_file_is_made(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`--db 'sqlite:///file:shop.db?uri=true'` imported into shop.db, left readable by others,
    and made an empty 'file:shop.db' with its lock files beside it."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--db", "sqlite:///file:shop.db?uri=true", "demo"])
    assert result.exit_code == 2, result.output
    assert "Invalid value for --db: the URL asks SQLite to read its file as a URI (uri=true)" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_store_in_memory_is_a_usage_error_not_work_reported_done_and_lost(tmp_path: Path) -> None:
    """`--db sqlite:///$SHOP_DB` with SHOP_DB unset named a store in memory: `import` reported its
    rows appended and `demo` its events recorded, and nothing was kept anywhere."""
    events = tmp_path / "views.jsonl"
    events.write_text(
        '{"user_id": "u1", "item_id": "a", "type": "item_viewed", "timestamp": "2024-05-01T09:00:00Z"}\n'
    )
    for given in (
        "sqlite:///",
        "sqlite://",
        "sqlite:///:memory:",
        ":memory:",
        "sqlite+pysqlite:///",
        "sqlite:///file::memory:?mode=memory&uri=true",
    ):
        for args, env in ([["--db", given], {}], [[], {"EDGEREC_DB": given}]):
            for command in (["import", str(events)], ["demo"], ["db", "upgrade"], ["stats"]):
                result = CliRunner().invoke(main, [*args, *command], env=env)
                assert result.exit_code == 2, (given, command, result.output)
                assert "Invalid value for --db: an in-memory store keeps nothing" in result.output
                assert "appended" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["views.jsonl"]


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["events"],
        ["quarantine"],
        ["popular"],
        ["recommend", "--user", "u1"],
        ["export", "{tmp}/backup.jsonl"],
        ["forget-user", "u1", "--yes"],
        ["rebuild"],
        ["rules", "show"],
        ["train", "--device", "cpu"],
        ["tune"],
        ["eval"],
        ["db", "current"],
        ["db", "downgrade", "base", "--yes"],
    ],
)
def test_a_mistyped_store_path_is_refused_not_made_into_an_empty_store(
    tmp_path: Path, command: list[str]
) -> None:
    """`--db shpo.db export backup.jsonl` replaced a good backup with an empty export, and every
    command that reads made an empty store (and its folders) at the mistyped path."""
    (tmp_path / "backup.jsonl").write_text("the shop's backup\n")
    for typo in (tmp_path / "shpo.db", tmp_path / "nosuch" / "shop.db"):
        args = [arg.format(tmp=tmp_path) for arg in command]
        result = CliRunner().invoke(main, ["--db", str(typo), *args], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert (
            f"no store at {typo}: check the path (`edgerec tui`, `kiosk`, `demo`, `import`" in result.output
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.jsonl"]
    assert (tmp_path / "backup.jsonl").read_text() == "the shop's backup\n"


@pytest.mark.parametrize(
    "command",
    [["stats"], ["events"], ["export", "{tmp}/restore.jsonl"], ["db", "current"], ["rebuild"]],
)
def test_an_empty_file_is_refused_like_a_missing_one_by_the_commands_that_read(
    tmp_path: Path, command: list[str]
) -> None:
    """A file of no bytes (what `touch`, or a copy cut short by a full disk, leaves) was made an
    empty store by `export`, `events list` and even `db current`, which said 'Exported 0 events'."""
    empty = tmp_path / "backup.db"
    empty.touch()
    args = [arg.format(tmp=tmp_path) for arg in command]
    result = CliRunner().invoke(main, ["--db", str(empty), *args], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert f"no store at {empty} (the file is empty): check the path" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["backup.db"] and empty.stat().st_size == 0
    assert "schema at" in run("--db", str(empty), "db", "upgrade")  # the commands that make one do


@pytest.mark.parametrize(
    "command",
    [["stats"], ["events"], ["export", "{tmp}/restore.jsonl"], ["rebuild"], ["popular"], ["eval"]],
)
def test_a_database_with_no_tables_is_refused_by_the_commands_that_read(
    tmp_path: Path, command: list[str]
) -> None:
    """A SQLite file with no tables (another program's new database) was made a store by
    `stats`, `export`, ...: edgerec's tables were created in it and it was read as an empty store,
    where a server's database with no tables was refused."""
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("PRAGMA user_version = 3")
        connection.commit()
    content = other.read_bytes()
    args = [arg.format(tmp=tmp_path) for arg in command]
    result = CliRunner().invoke(main, ["--db", str(other), *args], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert f"no store at {other} (the database has no tables): check the path" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["other.db"] and other.read_bytes() == content


def test_a_database_with_no_tables_is_made_a_store_only_by_the_commands_that_fill_one(tmp_path: Path) -> None:
    """`db downgrade base` leaves an empty alembic_version: the next `stats` made the store again.
    An import refused on a database with no tables leaves it with none."""
    store = tmp_path / "shop.db"
    run("--db", str(store), "db", "upgrade")
    assert "schema at base" in run("--db", str(store), "db", "downgrade", "base", "--yes")
    result = CliRunner().invoke(main, ["--db", str(store), "stats"])
    assert result.exit_code == 2 and "(the database has no tables)" in result.output, result.output
    assert run("--db", str(store), "db", "current").startswith("current: none;")
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    result = CliRunner().invoke(main, ["--db", str(store), "import", str(tmp_path / "bad.csv")])
    assert result.exit_code == 1 and "no column for the user" in result.output, result.output
    with closing(sqlite3.connect(store)) as connection:
        assert not connection.execute(
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
    result = CliRunner().invoke(main, ["--db", str(store), "stats"])
    assert result.exit_code == 2 and "(the database has no tables)" in result.output, result.output
    (tmp_path / "ev.csv").write_text("customer_id,item_id,timestamp,event\nu1,a,2024-03-01 10:00:00,view\n")
    assert "appended: 1" in run("--db", str(store), "import", str(tmp_path / "ev.csv"))
    assert json.loads(run("--db", str(store), "stats", "--json"))["events"] == 1


def test_a_database_with_no_tables_in_wal_mode_is_refused_without_side_files_left_beside_it(
    tmp_path: Path,
) -> None:
    """Reading a file in WAL mode to see whether it has tables left an empty -wal and a -shm
    beside another program's database that it then refused."""
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("PRAGMA journal_mode = wal")
    result = CliRunner().invoke(main, ["--db", str(other), "stats"], catch_exceptions=False)
    assert result.exit_code == 2 and "(the database has no tables)" in result.output, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["other.db"]
    with closing(sqlite3.connect(other)) as connection:  # another program has it open: left to it
        connection.execute("SELECT 1 FROM sqlite_master").fetchall()
        result = CliRunner().invoke(main, ["--db", str(other), "stats"], catch_exceptions=False)
        assert result.exit_code == 2 and "(the database has no tables)" in result.output, result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db", "other.db-shm", "other.db-wal"]


_CRASHED_MAKING_A_TABLE = """
import os, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA cache_size = 5")  # so the new pages are written before the commit
connection.execute("BEGIN")
connection.execute("CREATE TABLE t (a)")
connection.executemany("INSERT INTO t VALUES (?)", [("x" * 200,) for _ in range(5000)])
os._exit(0)
"""


def test_a_database_with_no_tables_that_cannot_be_read_at_once_is_still_refused(tmp_path: Path) -> None:
    """A file with no tables that the read-only check could not read was taken for a store and
    filled with edgerec's tables: one with a hot journal beside it (its program crashed making
    its first table), or one its program held locked for more than five seconds."""
    import subprocess
    import threading

    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("PRAGMA user_version = 3")
        connection.commit()
    subprocess.run([sys.executable, "-c", _CRASHED_MAKING_A_TABLE, str(other)], check=True)
    assert (tmp_path / "other.db-journal").stat().st_size > 0

    def tables() -> list[str]:
        with closing(sqlite3.connect(other)) as connection:
            query = "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            return [name for (name,) in connection.execute(query)]

    result = CliRunner().invoke(main, ["--db", str(other), "stats"], catch_exceptions=False)
    assert result.exit_code == 2 and "(the database has no tables)" in result.output, result.output
    assert tables() == []
    holder = sqlite3.connect(other, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing, for six seconds
    (holding := threading.Timer(6, holder.rollback)).start()
    result = CliRunner().invoke(main, ["--db", str(other), "stats"], catch_exceptions=False)
    holding.join()
    holder.close()
    assert result.exit_code == 2 and "(the database has no tables)" in result.output, result.output
    assert tables() == []
    subprocess.run([sys.executable, "-c", _CRASHED_MAKING_A_TABLE, str(other)], check=True)
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    result = CliRunner().invoke(main, ["--db", str(other), "import", str(tmp_path / "bad.csv")])
    assert result.exit_code == 1 and "no column for the user" in result.output, result.output
    assert tables() == []


@pytest.mark.parametrize(
    "content", [b"\n", b" ", b"\0", b"\0" * 3, b" \r\n" * 33], ids=["newline", "space", "zero", "zeros", "99"]
)
def test_a_blank_file_too_short_for_a_store_is_refused_like_an_empty_one(
    tmp_path: Path, content: bytes
) -> None:
    """`echo > shop.db` (a newline), or a copy cut short after a byte: SQLite reads a file of one
    byte as an empty database, and export said 'Exported 0 events' and made it a store of 140 KB."""
    blank = tmp_path / "backup.db"
    blank.write_bytes(content)
    for command in (["export", str(tmp_path / "restore.jsonl")], ["stats"], ["db", "current"]):
        result = CliRunner().invoke(main, ["--db", str(blank), *command], catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert f"no store at {blank} (the file is blank): check the path" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["backup.db"] and blank.read_bytes() == content
    # The commands that make a store make one of it, as of an empty file: import said 'it is not
    # a database' of two bytes and more, and emptied the file, so the same import then passed.
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    (tmp_path / "ev.csv").write_text("customer_id,item_id,timestamp,event\nu1,a,2024-03-01 10:00:00,view\n")
    result = CliRunner().invoke(main, ["--db", str(blank), "import", str(tmp_path / "bad.csv")])
    assert result.exit_code == 1 and "no column for the user" in result.output, result.output
    assert blank.read_bytes() == content  # a refusal leaves the file as it was
    assert "appended: 1" in run("--db", str(blank), "import", str(tmp_path / "ev.csv"))


def test_a_short_file_that_is_not_blank_is_not_taken_for_an_empty_one(tmp_path: Path) -> None:
    not_blank = tmp_path / "notes.db"
    not_blank.write_bytes(b"\nx\n")
    result = CliRunner().invoke(main, ["--db", str(not_blank), "stats"])
    assert result.exit_code == 1 and "it is not a database" in result.output, result.output


def test_a_failed_db_upgrade_leaves_no_store_behind(tmp_path: Path) -> None:
    """`db upgrade 0099` (no such revision) on a new path left a file of 4 KB that the commands
    after it read as an empty store; on an empty file there, it left that file a store."""
    new, empty = tmp_path / "new" / "shop.db", tmp_path / "empty.db"
    empty.touch()
    for path in (new, empty):
        result = CliRunner().invoke(main, ["--db", str(path), "db", "upgrade", "0099"])
        assert result.exit_code == 1 and "Can't locate revision identified by '0099'" in result.output
        result = CliRunner().invoke(main, ["--db", str(path), "stats"])
        assert result.exit_code == 2 and f"no store at {path}" in result.output, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["empty.db"] and empty.stat().st_size == 0


@pytest.mark.timeout(60)
def test_a_store_path_that_is_not_a_regular_file_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    """A FIFO given as --db blocked every command for ever; a character device (run as root, a
    copy of /dev/null) had its mode set to 0600 and got a -journal beside it."""
    import os
    import re
    import stat

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    folder = tmp_path / "folder"
    folder.mkdir()
    targets = {pipe: "a named pipe (FIFO)", folder: "a folder"}
    if os.geteuid() == 0:  # mknod needs root
        device = tmp_path / "null"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.chmod(device, 0o666)
        targets[device] = "a character device"
    for target, kind in targets.items():
        mode = stat.S_IMODE(target.stat().st_mode)
        for command in (["stats"], ["demo"], ["db", "current"], ["db", "upgrade"]):
            result = CliRunner().invoke(main, ["--db", str(target), *command])
            assert result.exit_code == 2, result.output
            assert f"Invalid value for --db: {target} is {kind}, not a file" in result.output
        assert stat.S_IMODE(target.stat().st_mode) == mode
        with pytest.raises(ValueError, match=re.escape(f"is {kind}, not a file")):
            edgerec.open(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in targets)
    assert list(folder.iterdir()) == []


def test_a_store_path_that_names_a_folder_or_is_not_text_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--db shopdata/` made a FILE named shopdata holding the store, and a path whose bytes are
    not UTF-8 was refused with Python's "'utf-8' codec can't encode character '\\udce9'"; the
    same folder as a SQLite URL (sqlite:///shopdata/) still made the file."""
    monkeypatch.chdir(tmp_path)
    latin1 = b"caf\xe9.db".decode("utf-8", "surrogateescape")  # as a terminal passes the bytes on
    for target, said in [
        ("shopdata/", "'shopdata/' ends in '/', which names a folder: give the store file's path"),
        (
            f"sqlite:///{tmp_path}/shopdata/",
            f"the URL's file '{tmp_path}/shopdata/' ends in '/', which names a folder: give the store "
            f"file's path (sqlite:///{tmp_path}/shopdata/edgerec.db, say)",
        ),
        (latin1, "the path is not valid text: a byte in its name is not UTF-8"),
        # A last part . or .. names a folder as the slash does: both made a file shopdata too.
        (
            "shopdata/.",
            "'shopdata/.' ends in '.', which names a folder: give the store file's path "
            "(shopdata/edgerec.db, say)",
        ),
        ("shopdata/..", "'shopdata/..' ends in '..', which names a folder"),
        (
            f"sqlite+pysqlite:///{tmp_path}/shopdata/.?timeout=5",  # its driver and query kept
            f"the URL's file '{tmp_path}/shopdata/.' ends in '.', which names a folder: give the store "
            f"file's path (sqlite+pysqlite:///{tmp_path}/shopdata/edgerec.db?timeout=5, say)",
        ),
    ]:
        for command in (["db", "upgrade"], ["stats"]):
            result = CliRunner().invoke(main, ["--db", target, *command])
            assert result.exit_code == 2, result.output
            assert f"Invalid value for --db: {said}" in result.output
            assert "codec" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_store_path_under_a_file_is_refused_in_one_line_by_the_commands_that_fill(
    db: str, tmp_path: Path
) -> None:
    """`--db shop.db/edgerec.db`, where shop.db is the store file: `import` and `db upgrade` ended
    in a traceback from removing the store they could not make, which hid the one-line error."""
    events = tmp_path / "views.jsonl"
    events.write_text(
        '{"user_id": "u1", "item_id": "a", "type": "item_viewed", "timestamp": "2024-05-01T09:00:00Z"}\n'
    )
    before = Path(db).read_bytes()
    for command, said in (
        (["import", str(events)], "cannot open the store at"),
        (["db", "upgrade"], "cannot use the database at"),
        (["demo"], "cannot open the store at"),
    ):
        result = CliRunner().invoke(main, ["--db", f"{db}/edgerec.db", *command])
        assert result.exit_code == 1, result.output
        assert f"Error: {said} sqlite:///{db}/edgerec.db: " in result.output
        assert "Not a directory" in result.output
    assert Path(db).read_bytes() == before


def test_no_home_folder_is_said_in_one_line_and_a_store_given_by_its_path_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """HOME unset for a user with no home in the password database (`docker run --user 12345`):
    every command without --db ended in platformdirs' RuntimeError, and with --db the console,
    the kiosk and `recommend` still did (their log file, the model folder)."""
    import pwd

    from edgerec.training.files import model_dir
    from edgerec.ui.errors import default_log_path

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    for name in ("HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "EDGEREC_DB", "EDGEREC_UI_LOG"):
        monkeypatch.delenv(name, raising=False)
    for args in (["stats"], ["demo"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "no home folder" in result.output and "set HOME (or XDG_DATA_HOME)" in result.output
    result = CliRunner().invoke(main, ["--db", "~/shop.db", "stats"])  # XDG_DATA_HOME is no help to ~
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert (
        "'~/shop.db' starts with ~, but there is no home folder for it to stand for: set HOME, or give "
        "the store's full path"
    ) in result.output
    result = CliRunner().invoke(main, ["--db", "~nosuchuser/shop.db", "stats"])  # nor HOME to ~name
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert (
        "'~nosuchuser/shop.db' starts with ~nosuchuser, but there is no user 'nosuchuser' here for it "
        "to stand for: check the name, or give the store's full path"
    ) in result.output
    db = str(tmp_path / "shop.db")
    run("--db", db, "demo", "--seed", "3")
    assert "sources:" in run("--db", db, "recommend", "--user", "C0001")
    assert model_dir(db) == tmp_path / "shop.db.models"
    assert default_log_path() is None  # the console and the kiosk run without a log file
    assert "no log file, there is no home folder to keep it in" in capsys.readouterr().err


def test_the_commands_that_fill_a_store_make_a_new_one(tmp_path: Path) -> None:
    clicks = tmp_path / "clicks.csv"
    clicks.write_text("user_id,item_id,type,timestamp\nu3,a,view,1714554000\n")
    assert "appended: 1" in run("--db", str(tmp_path / "new" / "a.db"), "import", str(clicks))
    assert "schema at" in run("--db", str(tmp_path / "b.db"), "db", "upgrade")
    assert json.loads(run("--db", str(tmp_path / "b.db"), "stats", "--json"))["events"] == 0
    rules = tmp_path / "rules.toml"  # a shop may set its rules before its first import
    rules.write_text('exclude_categories = ["Tobacco"]\n')
    assert "are now" in run("--db", str(tmp_path / "c.db"), "rules", "set", str(rules))


def test_an_import_refused_before_it_wrote_anything_removes_the_store_it_made(tmp_path: Path) -> None:
    """A refused import left an empty store at a mistyped --db, which `stats` then read as the
    shop's ("events: 0"); a store that was there before is kept, empty or not."""
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n")
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(b"user_id,item_id,type,timestamp\n" * 100)[:30])
    data = sorted(p.name for p in tmp_path.iterdir())
    for typo, refused in ((tmp_path / "typo.db", junk), (tmp_path / "new" / "dir" / "s.db", cut)):
        result = CliRunner().invoke(main, ["--db", str(typo), "import", str(refused)])
        assert result.exit_code == 1 and "Error: " in result.output, result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == data  # side files and folders too
        result = CliRunner().invoke(main, ["--db", str(typo), "stats"])
        assert result.exit_code == 2 and f"no store at {typo}: check the path" in result.output
    kept = tmp_path / "kept.db"
    run("--db", str(kept), "db", "upgrade")
    assert CliRunner().invoke(main, ["--db", str(kept), "import", str(junk)]).exit_code == 1
    assert json.loads(run("--db", str(kept), "stats", "--json"))["events"] == 0


@pytest.mark.parametrize("typo", ["sqlite:/shop.db", "sqlite:shop.db", "postgres:/db/shop", "postgresql:/x"])
def test_a_mistyped_url_is_refused_not_taken_for_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typo: str
) -> None:
    """With one slash the URL was a relative path: a folder named "sqlite:" and a store in it."""
    monkeypatch.chdir(tmp_path)
    for command in (["stats"], ["demo"]):
        result = CliRunner().invoke(main, ["--db", typo, *command], catch_exceptions=False)
        assert result.exit_code == 2 and "a URL has two slashes after the colon" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql+psycopg://shop:pw@127.0.0.1:5x437/shop", "the URL's port is not a number"),
        ("postgresql://shop:p@ss:rd@db.local/shop", "the URL's port is not a number"),  # the password p@ss:rd
        ("postgresql://shop:p@ss@db.local/shop", "the URL's host holds an '@'"),
        ("my-db://shop", "the URL cannot be read"),
        ("mysql://shop:secret@db.local/shop", "in SQLite or PostgreSQL, not 'mysql'"),
    ],
)
def test_a_url_sqlalchemy_cannot_read_is_a_one_line_error_showing_no_password(
    monkeypatch: pytest.MonkeyPatch, url: str, said: str
) -> None:
    """A port that is not a number ended every command in a traceback, which quoted the rest of
    a password with an '@' and a ':' written as they are ('rd@db.local')."""
    for command in (["stats"], ["db", "upgrade"]):
        result = CliRunner().invoke(main, ["--db", url, *command], catch_exceptions=False)
        assert result.exit_code == 2 and said in result.output, result.output
        assert "percent-encode" in result.output or "@" not in url or "mysql" in url
        assert (
            "secret" not in result.output
            and "rd@" not in result.output
            and "ss@" not in result.output
            and "5x437" not in result.output
        )
    monkeypatch.setenv("EDGEREC_DB", url)
    result = CliRunner().invoke(main, ["stats"], catch_exceptions=False)
    assert result.exit_code == 2 and said in result.output, result.output
    with pytest.raises(ValueError, match=said):
        edgerec.open(url)


def test_a_server_store_is_named_as_its_url_reads_with_no_password() -> None:
    """SQLAlchemy escapes some characters of a database's name and not others: `café shop` was
    shown as `caf%C3%A9 shop`, where the URL had a password to hide."""
    from edgerec.store.engine import shown_url

    assert shown_url("postgresql+psycopg://shop:s3cret@db.local/café shop") == (
        "postgresql+psycopg://shop:***@db.local/café shop"
    )
    assert shown_url("postgresql+psycopg://shop@db.local/caf%C3%A9?sslmode=require&password=s3cret") == (
        "postgresql+psycopg://shop@db.local/café?sslmode=require&password=***"
    )
    assert (
        shown_url("postgresql+psycopg://shop@/shop?host=/run/pg")
        == "postgresql+psycopg://shop@/shop?host=/run/pg"
    )


@pytest.mark.parametrize("blank", [" ", "", "/", " > "])
def test_a_category_that_names_none_is_a_usage_error(db: str, blank: str) -> None:
    """`--category "$CATEGORY"` with the variable unset or blank was taken as a category the
    catalogue has not: the list came back empty, or in a script reading --json, as nothing to
    show, where the command was mistyped."""
    result = CliRunner().invoke(
        main, ["--db", db, "recommend", "--user", "u1", "--category", "Toys", "--category", blank]
    )
    assert result.exit_code == 2, result.output
    assert (
        "Invalid value for '--category'" in result.output and f"{blank!r} names no category" in result.output
    )


def test_event_times_are_shown_on_this_machine_s_clock(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        first = run("--db", db, "events", "--user", "u1").splitlines()[0]
        as_json = json.loads(run("--db", db, "events", "--user", "u1", "--json").splitlines()[0])
    finally:
        monkeypatch.undo()
        time.tzset()
    assert T0.hour == 9 and " 11:00:00 " in first  # 09:00 UTC is 11:00 in Berlin in May
    assert as_json["occurred_at"] == T0.isoformat()


def test_event_times_follow_the_shop_s_configured_time_zone(db: str) -> None:
    from dataclasses import replace

    from edgerec.recommend import RecommenderConfig
    from edgerec.recommend.engine import shop_config_path

    with edgerec.open(db) as store:
        path = shop_config_path(store)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    replace(RecommenderConfig.default(), timezone="Asia/Tokyo").save(path)
    first = run("--db", db, "events", "--user", "u1").splitlines()[0]
    assert " 18:00:00 " in first  # 09:00 UTC is 18:00 in Tokyo, whatever this machine's zone


def test_events_show_when_a_catalogue_file_s_stock_was_counted_as_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalogue file's listing showed when its stock was counted as a bare count of
    microseconds ("stock_at": 1796032800000000); `events` shows it as it shows the event's time."""
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("item_id,title,price,stock\nmug,Mug,4.5,3\n", encoding="utf-8")
    db = str(tmp_path / "shop.db")
    run("--db", db, "import", str(catalogue), "--stock-at", "2026-11-30T10:00")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        line = run("--db", db, "events").splitlines()[0]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert '"stock_at": "2026-11-30 11:00:00"' in line, line  # 10:00 UTC is 11:00 in Berlin
    as_json = json.loads(run("--db", db, "events", "--json"))
    assert as_json["payload"]["stock_at"] == "2026-11-30T10:00:00+00:00"
    assert as_json["payload"]["stock"] == 3


def test_events_filters(db: str) -> None:
    lines = run("--db", db, "events", "--user", "u1", "--json").splitlines()
    assert [json.loads(line)["position"] for line in lines] == [1, 2]
    lines = run("--db", db, "events", "--type", "item_viewed", "--json").splitlines()
    assert [json.loads(line)["item_id"] for line in lines] == ["a", "b"]
    lines = run("--db", db, "events", "--session", "s2").splitlines()
    assert len(lines) == 1 and "u2" in lines[0]
    assert len(run("--db", db, "events", "--limit", "2").splitlines()) == 2


def test_events_that_none_match_are_said_on_stderr(db: str, tmp_path: Path) -> None:
    """`events --user <unknown id>` printed nothing at all, where `quarantine` says it has no
    rows; stdout stays empty, so that a pipe reads no line."""
    for args, said in ((["--user", "nobody"], "No events match."), (["--since", "3"], "No events match.")):
        result = CliRunner().invoke(main, ["--db", db, "events", "list", *args])
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", said + "\n")
    empty = tmp_path / "empty.db"
    run("--db", str(empty), "db", "upgrade")
    result = CliRunner().invoke(main, ["--db", str(empty), "events"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No events.\n")
    result = CliRunner().invoke(main, ["--db", db, "events", "--user", "nobody", "--json"])
    assert (result.stdout, result.stderr) == ("", "")  # lines of JSON, none: as quarantine --json
    assert "No events" not in CliRunner().invoke(main, ["--db", db, "events", "--user", "u1"]).output


def test_events_of_an_empty_customer_or_session_is_refused_not_said_to_be_no_events(db: str) -> None:
    """`events --user "$CUSTOMER"` with the variable unset said "No events." of a store that
    holds some, as if it were empty; `recommend --user ""` was refused already."""
    for mode in ("list", "tail"):
        for option in ("--user", "--session"):
            for blank in ("", "  "):
                result = CliRunner().invoke(main, ["--db", db, "events", mode, option, blank])
                assert result.exit_code == 2, result.output
                assert f"Invalid value for '{option}': must not be empty" in result.output
                assert "No events" not in result.output


def test_a_since_past_the_log_s_end_is_refused_saying_where_it_ends(db: str, tmp_path: Path) -> None:
    """`events --since 9` of a log of three events said "No events match.", `export --since 9`
    wrote an empty file and `events tail --since 9` waited in silence for event 10: a position
    mistyped, or taken from another store, read as one to come."""
    import subprocess
    import sys

    said = "Invalid value for --since: 9 is past the end of the log, whose last position is 3"
    out = tmp_path / "out.jsonl"
    for command in (
        ["events", "--since", "9"],
        ["export", str(out), "--since", "9"],
        ["export", "-", "--since", "9"],
    ):
        result = CliRunner().invoke(main, ["--db", db, *command])
        assert result.exit_code == 2 and said in result.output, result.output
    assert not out.exists()
    tail = [sys.executable, "-m", "edgerec", "--db", db, "events", "tail", "--since", "9"]
    refused = subprocess.run(tail, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and said in refused.stderr, refused.stderr
    # Its last position itself is where a reader of what comes next starts.
    assert run("--db", db, "export", "-", "--since", "3") == ""


def test_rebuild_keeps_projections(db: str) -> None:
    before = json.loads(run("--db", db, "stats", "--json"))
    assert "Replayed 3 events" in run("--db", db, "rebuild")
    assert json.loads(run("--db", db, "stats", "--json")) == before


def test_db_commands(db: str) -> None:
    with edgerec.open(db) as store:
        head = migrate.head_revision(store.engine)
    assert f"current: {head}; head: {head}" in run("--db", db, "db", "current")
    assert "schema at base" in run("--db", db, "db", "downgrade", "base", "--yes")
    assert f"schema at {head}" in run("--db", db, "db", "upgrade")
    for command in ("upgrade", "downgrade"):
        args = ["--db", db, "db", command, "nosuch", *(["--yes"] if command == "downgrade" else [])]
        unknown = CliRunner().invoke(main, args, catch_exceptions=False)
        assert unknown.exit_code == 1 and "Can't locate revision identified by 'nosuch'" in unknown.output


def test_db_downgrade_asks_first_takes_a_step_and_leaves_another_application_s_database(
    db: str, tmp_path: Path
) -> None:
    """`db downgrade base` deleted the event log without a question, `-1` was taken for an
    option, and another application's database was given an alembic_version table."""
    with edgerec.open(db) as store:
        head = migrate.head_revision(store.engine)
    for answer in (None, "n\n"):  # no one to answer (a script), or no
        result = CliRunner().invoke(main, ["--db", db, "db", "downgrade", "base"], input=answer)
        assert result.exit_code == 1 and "dropping every table, the event log too" in result.stderr
        assert "Aborted" in result.output
        assert (
            result.stdout == ""
        )  # the question is the terminal's: `> report.txt` took it, and seemed to hang
    assert json.loads(run("--db", db, "stats", "--json"))["events"] == 3
    stepped = CliRunner().invoke(main, ["--db", db, "db", "downgrade", "-1"], input="y\n")
    assert stepped.exit_code == 0 and f"from {head} to -1" in stepped.output
    assert f"schema at {int(head) - 1:04d}" in stepped.output  # revisions are numbered 0001, 0002, ...
    assert f"schema at {int(head) - 2:04d}" in run("--db", db, "db", "downgrade", "--yes", "-1")

    other = tmp_path / "till.db"
    with sqlite3.connect(other) as till:
        till.execute("CREATE TABLE sales (id INTEGER)")
    result = CliRunner().invoke(main, ["--db", str(other), "db", "downgrade", "base", "--yes"])
    assert result.exit_code == 1 and "tables that are not edgerec's (sales)" in result.output
    with sqlite3.connect(other) as till:
        assert [name for (name,) in till.execute("SELECT name FROM sqlite_master")] == ["sales"]


def test_unopenable_store_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(main, ["--db", str(bad), "stats"])
    assert result.exit_code == 1
    assert "cannot open the store" in result.output
    assert "Traceback" not in result.output


def test_a_database_of_another_application_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "till.db"
    with sqlite3.connect(other) as till:
        till.execute("CREATE TABLE sales (id INTEGER)")
    for command in (["stats"], ["db", "upgrade"]):
        result = CliRunner().invoke(main, ["--db", str(other), *command])
        assert result.exit_code == 1, command
        assert "tables that are not edgerec's (sales)" in result.output
        assert "Traceback" not in result.output


def test_eval_imports_a_file_and_prints_the_report(tmp_path: Path) -> None:
    data = _sequences_file(tmp_path / "Tiny.txt", 119)
    out = tmp_path / "report"
    report = json.loads(
        run(
            "eval",
            str(data),
            "--format",
            "s3rec",
            "--models",
            "popularity,itemknn",
            "--device",
            "auto",  # as `train` and `tune` take it
            "--json",
            "--out",
            str(out),
        )
    )
    assert report["protocol"] == "leave-last-out"
    # the settings that make two reports comparable (they held only the dataset and protocol)
    assert (report["include_seen"], report["tuned"], report["seed"]) == (False, False, 0)
    assert report["test_cases"] > 0 and report["validation_cases"] > 0
    assert set(report["models"]) == {"popularity", "itemknn"}
    for metrics in report["models"].values():
        assert set(metrics) >= {"hr@10", "ndcg@10", "hr@20", "ndcg@20", "mrr", "coverage@10", "fit_s"}
    assert {"report.json", "metrics.svg", "curves.svg"} <= {p.name for p in out.iterdir()}


def test_eval_says_a_handful_of_test_cases_cannot_tell_the_models_apart(tmp_path: Path) -> None:
    """On 7 test cases it printed every model's figures (all 0, or 1 in 7) as confidently as on
    thousands, with no word that one case moves HR@10 by 0.14."""
    data = _sequences_file(tmp_path / "Few.txt", 7)
    said = run("eval", str(data), "--format", "s3rec", "--models", "popularity")
    assert "only 7 test cases: one hit more or less moves HR@10 by 0.1429" in said, said
    _sequences_file(data, 119)
    assert "test cases: one hit more or less" not in run(
        "eval", str(data), "--format", "s3rec", "--models", "popularity"
    )


def test_eval_reports_the_settings_it_chose_and_the_blends_weights(tmp_path: Path) -> None:
    """`eval --tune` chose each model's settings on validation, and the blend its weights, and
    neither was in the report: only the log said the weights, and nothing the settings."""
    data = _sequences_file(tmp_path / "Tiny.txt", 119)
    args = ("eval", str(data), "--format", "s3rec", "--models", "itemknn,cooccurrence,blend", "--json")
    report = json.loads(run(*args, "--tune"))
    assert report["settings"]["itemknn"]["neighbours"] in {
        20,
        50,
        400,
        json.loads(run(*args))["settings"]["itemknn"]["neighbours"],
    }
    assert set(report["settings"]) == {"itemknn", "cooccurrence", "blend"}
    weights = report["blend_weights"]
    assert weights and set(weights) == set(report["settings"]["blend"]["members"]) <= {
        "itemknn",
        "cooccurrence",
    }


def test_eval_refuses_a_temporal_split_of_times_it_made_up(tmp_path: Path) -> None:
    """S3-Rec sequences have no times, and the reader dates each customer's k-th item day k from
    2000-01-01: a temporal split ran on those days without a word, its test set the customers
    with the longest sequences."""
    import pandas as pd

    from edgerec.cli import _times_made_up
    from edgerec.ingest.datasets import S3REC_START

    data = _sequences_file(tmp_path / "Tiny.txt", 119)
    result = CliRunner().invoke(main, ["eval", str(data), "--format", "s3rec", "--protocol", "temporal"])
    assert result.exit_code == 2
    assert "these are made up: S3-Rec sequences have none" in " ".join(result.output.split())
    # real dates, a shop's days without a time, start its customers on different days
    day = 86_400_000_000
    days_only = pd.DataFrame(
        {"user_id": ["a", "a", "b"], "occurred_at": [S3REC_START + d * day for d in (0, 1, 5)]}
    )
    assert not _times_made_up(days_only)


def test_recommend_with_reasons_and_a_rules_file(db: str, tmp_path: Path) -> None:
    found = json.loads(run("--db", db, "recommend", "--user", "u2", "--json"))["items"]
    assert found and all(item["reasons"] for item in found)
    rules = tmp_path / "rules.toml"
    rules.write_text(f'exclude_items = ["{found[0]["item_id"]}"]\n')
    ruled = json.loads(run("--db", db, "recommend", "--user", "u2", "--json", "--rules", str(rules)))
    assert found[0]["item_id"] not in [item["item_id"] for item in ruled["items"]]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('promote = "everything"\n', "promote must be a list"),
        ('[[promote]]\nitem_id = "a"\nboost = "high"\n', "boost must be a number"),
        ("exclude_items = [\n", "rules file"),
    ],
)
def test_recommend_names_what_is_wrong_with_a_rules_file(
    db: str, tmp_path: Path, text: str, problem: str
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(text)
    result = CliRunner().invoke(main, ["--db", db, "recommend", "--user", "u2", "--rules", str(rules)])
    assert result.exit_code == 2, result.output
    assert problem in result.output and str(rules) in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "args",
    [
        ["events", "--limit", "-5"],
        ["events", "--since", "-1"],
        ["events", "--type", "bogus"],
        ["events", "tail", "--interval", "-1"],
        ["popular", "--k", "0"],
        ["popular", "--epsilon", "0"],
        ["popular", "--epsilon", "1", "--items-per-customer", "0"],
        ["popular", "--items-per-customer", "5"],  # ignored without --epsilon, silently
        ["recommend", "--user", "u1", "--k", "0"],
        ["export", "{tmp}/x.jsonl", "--since", "-3"],
        ["import", "{tmp}/x.csv", "--dedupe-window", "-1"],
        ["import", "{tmp}/x.csv", "--dedupe-window", "100000"],  # made an empty store, then status 1
        ["import", "{tmp}/x.csv", "--dedupe-window", "nan"],
        ["import", "{tmp}/x.csv", "--format", "csv", "--action", "click=bogus"],
        ["import", "{tmp}/x.csv", "--format", "catalogue", "--map", "user=item"],
        ["import", "{tmp}/x.csv", "--timezone", "UTC+2"],  # every row without an offset was quarantined
        # found by tests/test_cli_fuzz.py: each ended in a traceback
        ["db", "downgrade", ""],
        ["db", "downgrade", "head@"],
        ["forget-user", " ", "--yes"],
        ["recommend", "--user", ""],
        ["recommend", "--user", "0", "--session", ""],  # found by tests/test_cli_fuzz.py: a ValueError
        ["tune", "--events", str(2**63)],
        ["events", "--since", str(2**64)],
        ["kiosk", "--store-id", ""],  # the kiosk stopped at its first event
        ["recommend", "--user", "u1", "--store-id", "a\tb"],
        # bytes that are not UTF-8, as Python passes them on: each failed inside a query
        ["recommend", "--user", "caf\udce9"],
        ["events", "--session", "caf\udce9"],
        ["forget-user", "caf\udce9", "--yes"],
        ["eval", "--models", "popularity,blend"],  # a blend of nothing failed with a KeyError
        # time.sleep failed on each; NaN passes every range check
        ["events", "tail", "--interval", "nan"],
        ["events", "tail", "--interval", "inf"],
        ["events", "tail", "--interval", "1e300"],
        # accepted, and --json printed NaN or Infinity, which is not JSON
        ["popular", "--epsilon", "nan", "--json"],
        ["popular", "--epsilon", "inf", "--json"],
        ["popular", "--epsilon", "1e-310", "--json"],  # noise of infinite scale: "customers": Infinity
        ["kiosk", "--idle-seconds", "nan"],  # a kiosk whose sessions never end
        ["kiosk", "--idle-seconds", "inf"],
    ],
)
def test_a_bad_option_value_is_refused_before_anything_runs(db: str, tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "x.csv").write_text("user,item\n")
    args = [arg.format(tmp=tmp_path) for arg in args]
    result = CliRunner().invoke(main, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 2 and "Invalid value for" in result.output


def test_a_file_name_that_is_not_utf8_is_imported_exported_and_printed(db: str, tmp_path: Path) -> None:
    """Such a name failed twice: storing it as the import's source, and printing it."""
    source, target = tmp_path / "caf\udce9.csv", tmp_path / "caf\udce9.jsonl"
    source.write_text("user_id,item_id,type,timestamp\nu3,a,view,1714554000\n")
    assert "appended: 1" in run("--db", db, "import", str(source), "--format", "csv")
    assert "Exported 4 events" in run("--db", db, "export", str(target))
    assert len(target.read_text().splitlines()) == 4


def test_export_to_a_folder_that_does_not_exist_is_a_clear_error(db: str, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "events.jsonl"
    result = CliRunner().invoke(main, ["--db", db, "export", str(target)], catch_exceptions=False)
    assert result.exit_code == 1 and f"cannot write {target}" in result.output


def test_export_to_a_path_that_names_a_folder_is_refused_as_db_refuses_one(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export --format parquet backups/` wrote a FILE named backups (the slash was dropped), and
    a later `mkdir backups` failed; --db refused the same trailing slash already."""
    monkeypatch.chdir(tmp_path)
    for target, said in (
        ("backups/", "'backups/' ends in '/', which names a folder: give the export file's path"),
        ("backups/.", "'backups/.' ends in '.', which names a folder: give the export file's path"),
        (f"{tmp_path}/backups/", f"give the export file's path ({tmp_path}/backups/events.parquet, say)"),
    ):
        result = CliRunner().invoke(main, ["--db", db, "export", "--format", "parquet", target])
        assert result.exit_code == 2, result.output
        assert "Invalid value for PATH: " in result.output and said in result.output
    assert not (tmp_path / "backups").exists()
    assert "Exported 3 events" in run("--db", db, "export", "--format", "parquet", "backups")


def test_export_onto_the_database_itself_is_refused_and_loses_nothing(db: str) -> None:
    """Found by tests/test_cli_fuzz.py: `export` truncated the database file it was reading."""
    for target in (db, f"{db}-wal"):
        args = ["--db", db, "export", target, "--format", "jsonl"]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 1 and "is a file of the database being exported" in result.output
    assert json.loads(run("--db", db, "stats", "--json"))["events"] == 3


def test_export_tells_the_format_from_the_name_in_any_case_and_refuses_one_it_cannot(
    db: str, tmp_path: Path
) -> None:
    """backup.PARQUET was written as JSON lines, and so was out.csv, silently."""
    import pyarrow.parquet as pq

    assert "(parquet, " in run("--db", db, "export", str(tmp_path / "backup.PARQUET"))
    assert pq.read_table(tmp_path / "backup.PARQUET").num_rows == 3
    for name in ("out.csv", "out.xlsx", "out"):
        result = CliRunner().invoke(main, ["--db", db, "export", str(tmp_path / name)])
        assert result.exit_code == 2
        assert f"cannot tell the format from the name '{name}': end it in .jsonl or .parquet" in result.output
    assert "(jsonl, " in run("--db", db, "export", str(tmp_path / "out.csv"), "--format", "jsonl")
    assert not (tmp_path / "out.xlsx").exists() and not (tmp_path / "out").exists()


def test_export_to_standard_output_writes_the_events_there_and_its_report_apart(
    db: str, tmp_path: Path
) -> None:
    """`export -` wrote a file named '-' (and `.ndjson`, JSON lines' other name, was refused)."""
    import io

    import pyarrow.parquet as pq

    result = CliRunner().invoke(main, ["--db", db, "export", "-"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line)["position"] for line in lines] == [1, 2, 3]
    assert "Exported 3 events to standard output" in result.stderr
    result = CliRunner().invoke(main, ["--db", db, "export", "-", "--format", "parquet"])
    assert pq.read_table(io.BytesIO(result.stdout_bytes)).num_rows == 3
    assert "(jsonl, " in run("--db", db, "export", str(tmp_path / "events.NDJSON"))
    assert not Path("-").exists()


def test_export_through_a_link_writes_its_target_and_keeps_the_link(db: str, tmp_path: Path) -> None:
    """The finished export was renamed over the link, which became a file of its own."""
    target, link = tmp_path / "backups" / "events.jsonl", tmp_path / "latest.jsonl"
    target.parent.mkdir()
    link.symlink_to(target)
    run("--db", db, "export", str(link))
    assert link.is_symlink() and len(target.read_text().splitlines()) == 3


def test_export_to_a_named_pipe_or_a_shell_s_process_substitution_writes_into_it(
    db: str, tmp_path: Path
) -> None:
    """`export pipe.jsonl` (made by mkfifo) replaced the pipe with a file, its reader got nothing
    and waited, and the export said it was done; `export >(gzip > backup.jsonl.gz)` (the shell
    passes /dev/fd/N) failed with 'No such file or directory'."""
    import os
    import threading

    import pyarrow.parquet as pq

    for format_ in ("jsonl", "parquet"):
        fifo = tmp_path / f"pipe.{format_}"
        os.mkfifo(fifo)
        read: list[bytes] = []
        reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()), daemon=True)  # noqa: B023
        reader.start()
        result = CliRunner().invoke(main, ["--db", db, "export", "--real-ids", str(fifo)])
        assert result.exit_code == 0, result.output
        assert "Exported 3 events" in result.stderr  # not in the stream the reader gets
        reader.join(timeout=30)
        assert fifo.is_fifo()
        received = tmp_path / f"received.{format_}"
        received.write_bytes(read[0])
        if format_ == "parquet":
            assert pq.read_table(received).num_rows == 3
        else:
            assert [json.loads(line)["position"] for line in read[0].splitlines()] == [1, 2, 3]
        fifo.unlink()
    readable, writable = os.pipe()
    with open(readable, "rb") as pipe:
        result = CliRunner().invoke(main, ["--db", db, "export", "--format", "jsonl", f"/dev/fd/{writable}"])
        os.close(writable)
        assert result.exit_code == 0, result.output
        assert len(pipe.read().splitlines()) == 3
    assert not [p.name for p in tmp_path.iterdir() if "pipe" in p.name]  # no partial file beside it


def test_export_to_dev_stdout_writes_through_the_shell_s_standard_output(db: str, tmp_path: Path) -> None:
    """`export /dev/stdout >> backup.jsonl` replaced the file with the events, losing what it
    held, and into a pipe it wrote its 'Exported' line among the events."""
    import subprocess
    import sys

    backup = tmp_path / "backup.jsonl"
    backup.write_text('{"kept": true}\n')
    command = [sys.executable, "-m", "edgerec", "--db", db, "export", "--real-ids", "/dev/stdout"]
    with backup.open("a") as appended:
        done = subprocess.run(command, stdout=appended, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = backup.read_text().splitlines()
    assert lines[0] == '{"kept": true}' and [json.loads(line)["position"] for line in lines[1:]] == [1, 2, 3]
    assert "Exported 3 events" in done.stderr


def test_export_to_an_open_descriptor_writes_through_it_and_appends(db: str, tmp_path: Path) -> None:
    """`export /dev/stderr 2>> log` (and `/dev/fd/3 3>> log`, `/proc/self/fd/3`) opened the
    descriptor's path again, which emptied the file: what the log held was lost."""
    import os
    import subprocess

    log = tmp_path / "log.jsonl"
    for name in ("/dev/fd/{}", "/proc/self/fd/{}"):
        log.write_text('{"kept": true}\n')
        fd = os.open(log, os.O_WRONLY | os.O_APPEND)
        try:
            result = CliRunner().invoke(main, ["--db", db, "export", "--real-ids", name.format(fd)])
        finally:
            os.close(fd)
        assert result.exit_code == 0, result.output
        lines = log.read_text().splitlines()
        assert lines[0] == '{"kept": true}' and [json.loads(line)["position"] for line in lines[1:]] == [
            1,
            2,
            3,
        ]
    log.write_text('{"kept": true}\n')
    command = [sys.executable, "-m", "edgerec", "--db", db, "export", "--real-ids", "/dev/stderr"]
    with log.open("a") as appended:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=appended, text=True, timeout=120)
    assert done.returncode == 0, log.read_text()
    lines = log.read_text().splitlines()
    assert lines[0] == '{"kept": true}' and [json.loads(line)["position"] for line in lines[1:]] == [1, 2, 3]
    assert "Exported 3 events to /dev/stderr" in done.stdout  # not among the events
    result = CliRunner().invoke(main, ["--db", db, "export", "/dev/fd/999"])
    assert result.exit_code == 2 and "descriptor 999, which is not open" in result.output


def test_export_replaces_an_earlier_file_only_when_done(db: str, tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    target.write_text("an earlier export\n")
    run("--db", db, "export", str(target))
    assert len(target.read_text().splitlines()) == 3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no partial file left


def test_an_incremental_backup_with_nothing_new_restores_as_no_rows(db: str, tmp_path: Path) -> None:
    """An export since the head (or of an empty store) is an empty JSONL file: importing it said
    "the file is empty" with status 1, so a script restoring a shop's backups in turn stopped at
    it, while the same export as Parquet imported as no rows."""
    full, nothing = tmp_path / "full.jsonl", tmp_path / "since-3.jsonl"
    run("--db", db, "export", str(full), "--real-ids")
    run("--db", db, "export", str(nothing), "--real-ids", "--since", "3")
    assert nothing.read_bytes() == b""
    restored = str(tmp_path / "restored.db")
    for backup in (full, nothing):
        result = CliRunner().invoke(main, ["--db", restored, "import", str(backup), "--json"])
        assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows_read"] == 0
    assert result.stderr == f"{nothing} holds no rows: nothing was imported.\n"
    assert json.loads(run("--db", restored, "stats", "--json"))["events"] == 3


def test_schema_commands_on_something_that_is_not_a_database(tmp_path: Path) -> None:
    """Found by tests/test_cli_fuzz.py: `db current` on a folder ended in a traceback."""
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    for target in (tmp_path, tmp_path / "notes.txt"):
        for args in (["db", "current"], ["db", "upgrade"]):
            result = CliRunner().invoke(main, ["--db", str(target), *args], catch_exceptions=False)
            said = "not a database" if target.is_file() else f"{target} is a folder, not a file"
            assert result.exit_code == (1 if target.is_file() else 2) and said in result.output


def test_a_truncated_trainer_checkpoint_says_how_to_rebuild_the_model(db: str) -> None:
    run("--db", db, "train", "--device", "cpu")
    checkpoint = Path(f"{db}.models") / "trainer.pt"
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])
    result = CliRunner().invoke(main, ["--db", db, "train", "--device", "cpu"])
    assert result.exit_code == 1 and "edgerec train --retrain" in result.output
    checkpoint.rename(checkpoint.with_suffix(".broken"))
    assert "retrained on" in run("--db", db, "train", "--device", "cpu", "--retrain")


def test_eval_names_what_it_cannot_use(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    one = tmp_path / "one.csv"  # found by tests/test_cli_fuzz.py: blending failed in torch.cat
    one.write_text("user_id,item_id,type,timestamp\nu3,a,view,1714554000\n")
    for args, problem in [
        ([str(empty), "--models", "nosuch"], "unknown model 'nosuch'"),
        ([str(one), "--models", ""], "unknown model ''"),  # ran every model, as if not given
        ([str(one), "--models", "popularity,"], "unknown model ''"),
        ([str(one), "--models", "popularity, popularity"], "model 'popularity' is named twice"),
        ([str(one), "--format", "taobao"], "rows quarantined as unknown_action 1; check that --format"),
        ([str(junk)], "or pick it in the format list on the console's Import screen"),
        ([str(empty), "--format", "taobao"], "no customer interactions to evaluate in"),
        ([str(one)], "too little data to evaluate: the leave-last-out split leaves 0 validation"),
    ]:
        result = CliRunner().invoke(main, ["eval", *args], catch_exceptions=False)
        assert result.exit_code in (1, 2) and problem in result.output, result.output


def test_import_maps_a_catalogues_columns(db: str, tmp_path: Path) -> None:
    path = tmp_path / "articles.csv"
    path.write_text("article_id,prod_name,product_type_name\n0108775015,Strap top,Vest top\n")
    out = run("--db", db, "import", str(path), "--format", "catalogue", "--map", "title=prod_name", "--json")
    assert json.loads(out)["accepted"] == 1
    listed = run("--db", db, "events", "list", "--type", "item_listed")
    assert "0108775015" in listed and "Strap top" in listed


def test_a_catalogue_with_no_header_line_is_read_with_header_false(tmp_path: Path) -> None:
    """MIND's news.tsv has no header line: the refusal listed its first item as the columns and
    said to name the item by one of them, which made that item the header (1 row read of 2);
    header=false was refused for a catalogue as an unknown key."""
    path = tmp_path / "news.tsv"
    path.write_text(
        "N55528\tlifestyle\tThe Brands Queen Elizabeth Swear By\thttps://assets.msn.com/AAGH0ET.html\n"
        "N19639\thealth\t50 Worst Habits For Belly Fat\thttps://assets.msn.com/AAB19MK.html\n"
    )
    db = str(tmp_path / "s.db")
    refused = CliRunner().invoke(main, ["--db", db, "import", str(path), "--format", "catalogue"])
    message = " ".join(refused.output.split())
    assert refused.exit_code == 1 and "the first line looks like data, not column names" in message
    assert (
        "give header=false and name its columns by position from 0 (--map header=false --map item=0"
        in message
    )
    columns = ["--map", "header=false", "--map", "item=0", "--map", "category=1", "--map", "title=2"]
    report = json.loads(run("--db", db, "import", str(path), "--format", "catalogue", *columns, "--json"))
    assert (report["rows_read"], report["accepted"]) == (2, 2)
    with edgerec.open(db) as store:
        listed = {e.item_id: e.payload for e in store.read()}
    assert listed["N55528"]["title"] == "The Brands Queen Elizabeth Swear By"
    assert listed["N19639"]["category"] == "health"
    assert listed["N19639"]["attributes"] == {"3": "https://assets.msn.com/AAB19MK.html"}
    # the fields mapped make it a catalogue without --format; no item column is refused by number
    report = json.loads(run("--db", db, "import", str(path), *columns, "--json"))
    assert report["format"] == "catalogue" and report["accepted"] == 2
    unnamed = CliRunner().invoke(
        main, ["--db", db, "import", str(path), "--format", "catalogue", *columns[:2]]
    )
    assert (
        unnamed.exit_code == 1
        and "With header=false, columns are named by position from 0: item=0"
        in " ".join(unnamed.output.split())
    )


def test_popular_refuses_items_per_customer_without_epsilon(db: str) -> None:
    """Without --epsilon the counts are exact and clip nothing: the cap was ignored, silently."""
    result = CliRunner().invoke(main, ["--db", db, "popular", "--items-per-customer", "1"])
    assert result.exit_code == 2 and "applies only with --epsilon" in result.output, result.output
    exact = run("--db", db, "popular")
    assert "Top 2 items" in exact and ".0\n" not in exact  # whole customers, not 155.0
    assert "epsilon 1.0" in run("--db", db, "popular", "--epsilon", "1", "--items-per-customer", "1")


def test_popular_on_a_store_with_no_interactions_says_so(tmp_path: Path) -> None:
    """It printed "Top 0 items by distinct customers:" and nothing else."""
    db = str(tmp_path / "shop.db")
    with edgerec.open(db) as store:
        store.record(ItemListed(item_id="mug", title="Mug", stock=3, occurred_at=T0))
    said = run("--db", db, "popular")
    assert "Top 0" not in said and "No customer has viewed, carted, bought or rated an item yet" in said
    assert json.loads(run("--db", db, "popular", "--json"))["items"] == []


def test_eval_of_an_empty_store_names_the_store(tmp_path: Path) -> None:
    """It said "no customer interactions to evaluate in empty": the file's stem alone."""
    db = tmp_path / "empty.db"
    run("--db", str(db), "db", "upgrade")
    result = CliRunner().invoke(main, ["--db", str(db), "eval"], catch_exceptions=False)
    assert result.exit_code == 1 and f"evaluate in the store {db}" in result.output, result.output


def test_the_rules_help_names_every_kind_of_promotion() -> None:
    """Promoting an item or a brand was written nowhere but in the refusal of a guess."""
    text = run("rules", "--help")
    assert all(f"{key} = " in text for key in ("item_id", "category", "brand"))


def test_the_import_help_names_every_field_a_catalogue_mapping_takes() -> None:
    """`--map stock_at=COLUMN` (when each row's stock was counted), which the README gives, was
    missing from the import's help, whose list of a catalogue's fields ended at description."""
    from edgerec.ingest.datasets import CATALOGUE_FIELDS

    text = " ".join(run("import", "--help").split())
    listed = text.split("for --format catalogue: ", 1)[1].split(".", 1)[0]
    assert set(CATALOGUE_FIELDS) <= set(listed.replace(" and ", ", ").split(", ")), listed


def test_a_dedupe_window_over_a_day_is_a_usage_error_before_any_store_is_made(tmp_path: Path) -> None:
    from edgerec.ingest.clean import MAX_DEDUPE_WINDOW_S

    path = tmp_path / "e.csv"
    path.write_text("user_id,item_id,event,timestamp\nu1,i1,view,2024-03-01T10:00:00\n")
    new = tmp_path / "new.db"
    result = CliRunner().invoke(main, ["--db", str(new), "import", str(path), "--dedupe-window", "100000"])
    assert result.exit_code == 2 and f"0<=x<={MAX_DEDUPE_WINDOW_S}" in result.output, result.output
    assert not new.exists()
    assert f"0<=x<={MAX_DEDUPE_WINDOW_S}" in CliRunner().invoke(main, ["import", "--help"]).output


def test_a_typo_in_one_map_key_is_named_alone_among_the_known_keys(tmp_path: Path) -> None:
    """`brnd` beside a catalogue's `title`: the error called `title` unknown too, left the
    catalogue fields out of the known keys, listed `actions` and the mapping's own `named`, and
    said to name format catalogue."""
    path = tmp_path / "articles.csv"
    path.write_text("article_id,prod_name,product_type_name,colour\n0108775015,Strap top,Vest top,Black\n")
    mapping = ["--map", "title=prod_name", "--map", "category=product_type_name"]
    result = CliRunner().invoke(
        main, ["--db", str(tmp_path / "s.db"), "import", str(path), *mapping, "--map", "brnd=colour"]
    )
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "unknown mapping keys ['brnd']; known: ['brand', 'category'," in message
    assert all(
        f"'{key}'" in message for key in ("title", "price", "stock", "description", "user", "price_paid")
    )
    assert "actions" not in message and "format catalogue" not in message
    assert "'named'" not in message  # a field of the mapping no one gives
    mixed = CliRunner().invoke(
        main, ["--db", str(tmp_path / "s.db"), "import", str(path), *mapping, "--map", "user=colour"]
    )
    assert mixed.exit_code == 2 and "catalogue fields (title) with events' keys (user)" in " ".join(
        mixed.output.split()
    )
    assert not (tmp_path / "s.db").exists()


def test_the_shop_rules_are_checked_kept_with_the_store_and_served(
    db: str, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with edgerec.open(db) as store:
        store.record_many(
            [
                ItemListed(item_id=item, title=item, category=category, stock=2, occurred_at=T0)
                for item, category in (("cigar", "Tobacco/Cigars"), ("lego", "Toys/Lego"), ("lamp", "Home"))
            ]
        )
    assert "No shop rules" in run("--db", db, "rules", "show")

    written = tmp_path / "my-rules.json"
    written.write_text(
        '{"exclude_categories": ["Tobacco"],'
        ' "promote": [{"brand": "Acme \\"Q\\" \\ud83c\\udf7f\\u007f", "boost": 0.5},'
        ' {"item_id": "lamp", "boost": -0.5}]}',
        encoding="utf-8",
    )
    assert "are now" in run("--db", db, "rules", "set", str(written))
    written.unlink()  # the store keeps its own copy
    shown = run("--db", db, "rules", "show")
    assert (
        "never shown: categories: Tobacco" in shown
        and 'promoted brands: Acme "Q" \U0001f37f\\u007f +50%' in shown
        and "promoted items: lamp -50%" in shown  # a demotion, not "+-50%"
    )
    served = json.loads(run("--db", db, "recommend", "--user", "u9", "--k", "10", "--json"))["items"]
    assert {r["item_id"] for r in served} >= {"lego", "lamp"} and "cigar" not in {
        r["item_id"] for r in served
    }
    toys = json.loads(run("--db", db, "recommend", "--user", "u9", "--category", "toys", "--json"))["items"]
    assert [r["item_id"] for r in toys] == ["lego"]
    assert "no category 'Garden'" in run("--db", db, "recommend", "--user", "u9", "--category", "Garden")
    # Repeated, --category kept only the last one named, without a word.
    several = CliRunner().invoke(
        main, ["--db", db, "recommend", "--user", "u9", "--json", "--category", "Toys", "--category", "home"]
    )
    assert {r["item_id"] for r in json.loads(several.stdout)["items"]} == {"lego", "lamp"}
    mistyped = CliRunner().invoke(
        main, ["--db", db, "recommend", "--user", "u9", "--json", "--category", "Toys", "--category", "Hoem"]
    )
    assert [r["item_id"] for r in json.loads(mistyped.stdout)["items"]] == ["lego"]
    assert "no category 'Hoem': the list is of 'Toys' only" in mistyped.stderr
    assert "no category 'Garden' or 'Patio'" in run(
        "--db", db, "recommend", "--user", "u9", "--category", "Garden", "--category", "Patio"
    )

    broken = tmp_path / "broken.toml"
    broken.write_text("exclude_categories = Tobacco\n")
    refused = CliRunner().invoke(main, ["--db", db, "rules", "set", str(broken)])
    assert refused.exit_code == 2 and "rules file" in refused.output
    assert "never shown: categories: Tobacco" in run("--db", db, "rules", "show")  # unchanged

    kept = Path(f"{db}.models") / "rules.toml"
    kept.write_text("exclude_categories = Tobacco\n")  # a hand edit gone wrong
    monkeypatch.setattr("edgerec.cli._is_terminal", lambda _stream: True)  # the kiosk's check passes
    for command in (["recommend", "--user", "u9"], ["kiosk"], ["rules", "show"]):
        result = CliRunner().invoke(main, ["--db", db, *command])
        assert result.exit_code == 1, command
        assert "rules.toml" in result.output and "edgerec rules clear" in result.output
        assert "Traceback" not in result.output
    assert "Removed" in run("--db", db, "rules", "clear")
    served = json.loads(run("--db", db, "recommend", "--user", "u9", "--k", "10", "--json"))["items"]
    assert "cigar" in {r["item_id"] for r in served}


def test_rules_show_gives_a_small_boost_as_it_is(db: str, tmp_path: Path) -> None:
    """A boost of 0.004 was shown as "+0%", as if the rule did nothing."""
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[promote]]\nitem_id = "a"\nboost = 0.004\n'
        '[[promote]]\ncategory = "Mugs"\nboost = 0.125\n'
        '[[promote]]\nbrand = "Acme"\nboost = -0.5\n'
    )
    run("--db", db, "rules", "set", str(rules))
    shown = run("--db", db, "rules", "show")
    assert "promoted items: a +0.4%" in shown
    assert "promoted categories: Mugs +12.5%" in shown
    assert "promoted brands: Acme -50%" in shown


def test_rules_that_name_nothing_in_the_catalogue_are_kept_with_a_warning(db: str, tmp_path: Path) -> None:
    """A mistyped category or item id left the banned item on sale without a word."""
    with edgerec.open(db) as store:
        store.record_many(
            [
                ItemListed(item_id="CIG1", title="Cigars", category="Tobacco/Cigars", occurred_at=T0),
                ItemListed(item_id="KITE", title="Kite", category="Toys", brand="Acme", occurred_at=T0),
            ]
        )
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'exclude_categories = ["Tobaco", "toys"]\nexclude_items = ["CIG-1", "KITE"]\n'
        '[[promote]]\nbrand = " acme"\nboost = 1\n[[promote]]\nbrand = "Acne"\nboost = 1\n'
    )
    for command in (["rules", "set", str(rules)], ["rules", "show"]):
        said = CliRunner().invoke(main, ["--db", db, *command])
        assert said.exit_code == 0, said.output
        assert said.stderr.count("Warning") == 1, said.stderr
        assert "item 'CIG-1'" in said.stderr and "category 'Tobaco'" in said.stderr
        assert "brand 'Acne'" in said.stderr
        assert "KITE" not in said.stderr and "toys" not in said.stderr and "acme" not in said.stderr
    assert "Tobaco" in run("--db", db, "rules", "show")  # kept all the same

    empty = CliRunner().invoke(main, ["--db", str(tmp_path / "new.db"), "rules", "set", str(rules)])
    assert empty.exit_code == 0 and "Warning" not in empty.output  # set before the first import


@pytest.mark.timeout(120)
def test_a_damaged_store_file_is_said_in_one_line_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store file SQLite finds malformed (a backup restored over a crashed store whose -wal
    stayed beside it) made stats, recommend, rebuild and the kiosk print 50-70 lines of traceback."""
    from edgerec.store.engine import damage_said

    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        store.record_many(
            [ItemListed(occurred_at=T0, item_id=f"i{n}", title=f"Item {n}" * 20) for n in range(300)]
            + [
                ItemViewed(occurred_at=T0 + timedelta(seconds=n), user_id=f"u{n % 40}", item_id=f"i{n % 300}")
                for n in range(3000)
            ]
        )
    size = db.stat().st_size
    with db.open("r+b") as file:  # every page after the schema's
        file.seek(8 * 4096)
        file.write(b"\xa5" * (size - 8 * 4096))
    monkeypatch.setattr("edgerec.cli._is_terminal", lambda _stream: True)  # the kiosk's check passes
    for command in (["stats"], ["recommend", "--user", "u1"], ["rebuild"], ["kiosk"]):
        result = CliRunner().invoke(main, ["--db", str(db), *command])
        assert result.exit_code == 1 and "Traceback" not in result.output, (command, result.output)
        said = result.output.strip().splitlines()[-1]
        assert said.startswith(f"Error: the store file {db} is damaged ("), (command, result.output)
        assert said.endswith("restore it from a backup"), said
    (tmp_path / "shop.db-wal").write_bytes(b"")  # one left beside a file restored over it
    said = damage_said(sqlite3.DatabaseError("database disk image is malformed"), db)
    assert said is None  # an error without SQLite's code is no sign of damage
    error = sqlite3.DatabaseError("database disk image is malformed")
    error.sqlite_errorname = "SQLITE_CORRUPT"  # type: ignore[attr-defined]
    said = damage_said(error, db)
    assert said is not None and f"the -wal beside it ({db}-wal) may be that other's: move it away" in said
    said = damage_said(error, db, wal_was_there=False)  # the caller's own connection made it
    assert said is not None and said.endswith("restore it from a backup")
    import pandas as pd  # reading a frame wraps SQLAlchemy's error, which wraps SQLite's

    try:
        try:
            raise error
        except sqlite3.DatabaseError as cause:
            raise pd.errors.DatabaseError("Execution failed on sql 'SELECT ...'") from cause
    except pd.errors.DatabaseError as wrapped:
        assert (
            damage_said(wrapped, None) == f"the store's file is damaged ({error}): restore it from a backup"
        )


@pytest.mark.timeout(120)
def test_a_damaged_store_is_said_in_one_line_by_eval_and_the_writing_commands_name_no_wal_of_their_own(
    tmp_path: Path,
) -> None:
    """eval of a damaged store ended in 40 lines of traceback (pandas wraps SQLite's error), and
    import, forget-user and train said the -wal beside it 'may be that other's: move it away', a
    -wal that the same command had just made."""
    db, events = tmp_path / "shop.db", tmp_path / "events.csv"
    events.write_text(
        "customer_id,item_id,timestamp,event\nu1,a,2024-03-01 10:00:00,view\n"
        "u2,a,2024-03-01 10:00:10,view\nu1,b,2024-03-01 10:01:00,purchase\n"
    )
    run("--db", str(db), "import", str(events))
    with db.open("r+b") as file:
        file.seek(3 * 4096)
        file.write(b"\xff" * 10 * 4096)
    commands = [["eval"], ["import", str(events)], ["forget-user", "u1", "--yes"], ["train"]]
    for n, command in enumerate(commands):
        damaged = tmp_path / f"damaged{n}.db"  # a copy of its own: no -wal another command left
        damaged.write_bytes(db.read_bytes())
        result = CliRunner().invoke(main, ["--db", str(damaged), *command])
        assert result.exit_code == 1 and "Traceback" not in result.output, (command, result.output)
        said = result.output.strip().splitlines()[-1]
        assert said.startswith(f"Error: the store file {damaged} is damaged ("), (command, result.output)
        assert said.endswith("restore it from a backup"), said


def test_import_names_the_encoding_of_a_file_that_is_not_utf8(db: str, tmp_path: Path) -> None:
    excel = tmp_path / "artikel.csv"
    excel.write_bytes("id;title;category;price;stock\nk1;Kaffeemühle;Küche;49,90 €;3\n".encode("cp1252"))
    first = CliRunner().invoke(main, ["--db", db, "import", str(excel)])
    assert first.exit_code == 0 and "invalid_encoding" in first.output
    assert "--encoding cp1252" in first.stderr
    again = json.loads(run("--db", db, "import", str(excel), "--encoding", "cp1252", "--json"))
    assert (again["appended"], again["quarantined"]) == (1, 0)
    with edgerec.open(db) as store:
        listed = [e.payload for e in store.read() if e.item_id == "k1"]
    assert [(p["title"], p["category"], p["price"]) for p in listed] == [("Kaffeemühle", "Küche", 49.9)]
    unknown = CliRunner().invoke(main, ["--db", db, "import", str(excel), "--encoding", "klingon"])
    assert unknown.exit_code == 2 and "unknown encoding 'klingon'" in unknown.output


def test_quarantine_lists_the_refused_rows_with_how_to_fix_them(db: str, tmp_path: Path) -> None:
    log = tmp_path / "user_log.csv"  # Tmall's layout: actions as numbers
    log.write_text(
        "user_id,item_id,time_stamp,action_type\nu7,i1,1700000000,0\nu7,i2,1700000060,2\nu7,i3,soon,0\n"
    )
    assert "No quarantined rows." in run("--db", db, "quarantine")
    imported = CliRunner().invoke(main, ["--db", db, "import", str(log)])
    assert "edgerec quarantine --import " in imported.stderr
    import_id = json.loads(run("--db", db, "import", str(log), "--json"))["import_id"]
    listed = run("--db", db, "quarantine", "--import", import_id)
    assert (
        "user_log.csv:2  unknown_action  type: unknown action '0' (say which event it is: --action 0="
        in listed
    )
    assert listed.count("unknown_action") == 3 and "    u7,i2,1700000060,2" in listed
    fixed = json.loads(
        run("--db", db, "import", str(log), "--action", "0=item_viewed", "--action", "2=purchased", "--json")
    )
    assert (fixed["appended"], fixed["quarantined_by_reason"]) == (2, {"bad_timestamp": 1})
    rows = run("--db", db, "quarantine", "--reason", "bad_timestamp", "--json").splitlines()
    assert [(r["line"], r["raw"]) for r in map(json.loads, rows)] == [(4, "u7,i3,soon,0")]
    # an import that refused nothing lists nothing; an id no import had is said to be unknown
    good = tmp_path / "good.csv"
    good.write_text("user_id,item_id,time_stamp,action_type\nu8,i1,1700000000,0\n")
    clean = json.loads(run("--db", db, "import", str(good), "--action", "0=item_viewed", "--json"))[
        "import_id"
    ]
    assert run("--db", db, "quarantine", "--import", clean).strip() == "No quarantined rows match."
    unknown = CliRunner().invoke(main, ["--db", db, "quarantine", "--import", "0f" * 16])
    assert unknown.exit_code == 1 and "no import here has the id '0f0f" in unknown.output
    empty = CliRunner().invoke(main, ["--db", db, "quarantine", "--import", ""])  # "$ID" unset
    assert empty.exit_code == 1 and "no import here has the id ''" in empty.output


def test_quarantine_and_events_print_a_file_s_control_characters_escaped(db: str, tmp_path: Path) -> None:
    """A refused row's text reached the operator's terminal as it was: escape sequences from an
    untrusted file could clear it, colour it, or set its title."""
    hostile = "\x1b[2J\x1b[31mRED\x1b]0;pwned\x07\x9b1m"
    path = tmp_path / "esc.csv"
    path.write_text(f"user_id,item_id,event,timestamp,price\nU1,S1,purchase,2026-11-20 10:00:00,{hostile}\n")
    run("--db", db, "import", str(path))
    with edgerec.open(db) as store:
        store.record(ItemListed(item_id="S2", title=f"Mug {hostile}", stock=1, occurred_at=T0))
    listed = run("--db", db, "quarantine")
    shown = run("--db", db, "events", "--type", "item_listed")
    for output in (listed, shown):
        assert not any(c in output for c in "\x1b\x07\x9b")
        assert "\\u001b[2J\\u001b[31mRED\\u001b]0;pwned\\u0007\\u009b1m" in output
    assert json.loads(run("--db", db, "quarantine", "--json"))["raw"].endswith(hostile)  # kept as it was


def test_every_command_prints_stored_and_imported_text_with_its_control_characters_escaped(
    tmp_path: Path,
) -> None:
    """A catalogue title reached the terminal raw through `recommend`, and a rules file's item id
    through `rules show`: escape sequences in them cleared the operator's screen and coloured it."""
    hostile = "\x1b[2J\x1b[31mRED\x1b]0;pwned\x07\x9b1m"
    escaped = "\\u001b[2J\\u001b[31mRED\\u001b]0;pwned\\u0007\\u009b1m"
    catalogue = tmp_path / f"cat{hostile}.csv"  # a file's name is printed too, in the report
    catalogue.write_text(f'sku,title,category,stock\nA1,"Nice {hostile}",Toys{hostile},3\n')
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps({"exclude_items": [f"x{hostile}"], "promote": [{"brand": hostile, "boost": 1}]})
    )
    db = str(tmp_path / "shop.db")  # the title's item alone is served
    imported = run("--db", db, "import", str(catalogue))
    run("--db", db, "rules", "set", str(rules))
    outputs = [
        imported,
        run("--db", db, "recommend", "--user", "u9", "--k", "1"),
        run("--db", db, "recommend", "--user", "u9", "--k", "1", "--json"),
        run("--db", db, "rules", "show"),
        run("--db", db, "events", "--type", "item_listed", "--json"),
    ]
    for output in outputs:
        assert not any(c in output for c in "\x1b\x07\x9b") and escaped in output, output
    served = json.loads(outputs[2])["items"][0]  # the JSON is the same JSON, its text as stored
    assert (served["title"], served["category"]) == (f"Nice {hostile}", f"Toys{hostile}")


def test_a_file_s_name_is_printed_with_its_control_characters_escaped_in_every_line(tmp_path: Path) -> None:
    """A file's name was escaped in the import report's source line only: '... holds no rows',
    the progress bar, eval's lines and every refusal naming the file wrote its escape sequences
    to the terminal as they were."""
    from edgerec.cli import _progress_bar

    hostile, escaped = "\x1b[2J\x1b[31mRED\x9b1m", "\\u001b[2J\\u001b[31mRED\\u009b1m"
    empty, unmapped, ratings = (tmp_path / f"{name}{hostile}.csv" for name in ("empty", "ab", "ratings"))
    empty.write_text("")
    unmapped.write_text("a,b\n1,2\n")
    rows = (f"{u},{i},{1 + (u * i) % 5},{1_000_000_000 + u * 1000 + i}" for u in range(30) for i in range(12))
    ratings.write_text("userId,movieId,rating,timestamp\n" + "\n".join(rows) + "\n")
    db = str(tmp_path / "shop.db")
    results = [
        CliRunner().invoke(main, ["--db", db, "import", str(empty)]),
        CliRunner().invoke(main, ["--db", db, "import", str(unmapped)]),  # refused, naming the file
        CliRunner().invoke(main, ["eval", str(unmapped)]),
        CliRunner().invoke(main, ["eval", str(ratings), "--models", "popularity"]),
    ]
    assert [r.exit_code for r in results] == [0, 1, 1, 0], [r.output for r in results]
    for result in results:
        assert not any(c in result.output for c in "\x1b\x9b") and escaped in result.output, result.output
    assert "holds no rows" in results[0].output and f"ratings{escaped} (leave-last-out)" in results[3].output
    bar = _progress_bar(f"Importing {empty.name}", quiet=False)
    bar.quiet = False  # as on a terminal
    with bar:
        assert bar.progress.tasks[0].description == f"Importing empty{escaped}.csv"


def test_a_newline_in_a_file_s_name_is_escaped_in_a_refusal_whose_own_lines_are_kept(tmp_path: Path) -> None:
    """A refusal's own line breaks are kept, and a newline in the file's name it quoted was kept
    with them: `ok.csv<newline>Imported 5,000 events.` printed a forged line of the name's."""
    from edgerec.cli import _quoted

    folder = tmp_path / "in\nbox"
    folder.mkdir()
    forged = folder / "ok.csv\nImported 5,000 events."
    forged.write_text("a,b\n1,2\n")
    for args in (["--db", str(tmp_path / "shop.db"), "import", str(forged)], ["eval", str(forged)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "in\\nbox/ok.csv\\nImported 5,000 events.: no column" in lines[0], lines
    assert _quoted("a\nb: one\ntwo", ["x", "a\nb"]) == "a\\nb: one\ntwo"  # the message's own kept


def _import_stopped_while_it_waits(db: str, tmp_path: Path, first_line: str) -> str:
    """What an import of one row, stopped with Ctrl+C once it says `first_line`, says."""
    data = tmp_path / "views.csv"
    data.write_text("user_id,item_id,event_type,occurred_at\nu9,z,view,2024-01-01T00:00:00Z\n")
    return said_when_stopped(["--db", db, "import", str(data)], first_line)


def test_ctrl_c_while_an_import_waits_its_turn_says_nothing_was_imported(db: str, tmp_path: Path) -> None:
    """Stopped while another import held the store, an import said 'The chunks written before it
    are kept', though it had written nothing."""
    from edgerec.store.import_turn import import_turn

    with edgerec.open(db) as store, import_turn(store.engine):  # an import under way
        said = _import_stopped_while_it_waits(db, tmp_path, "Waiting for another import")
        assert "nothing was imported" in said and "kept" not in said, said
        assert store.head() == 3


def test_ctrl_c_while_an_import_waits_for_a_rebuild_says_nothing_was_written(db: str, tmp_path: Path) -> None:
    """Stopped while a rebuild held the store's writes, an import said 'The chunks written
    before it are kept', though it had written nothing."""
    from edgerec.store.engine import name_writes, write_transaction

    with edgerec.open(db) as rebuilding:
        name_writes(rebuilding.engine, "a rebuild")
        with write_transaction(rebuilding.engine):  # a rebuild under way
            said = _import_stopped_while_it_waits(db, tmp_path, "Waiting for a rebuild")
        assert "before its first chunk was written" in said and "kept" not in said, said
        assert rebuilding.head() == 3


def test_an_import_or_a_forget_user_that_waits_for_a_rebuild_says_so_once(db: str, tmp_path: Path) -> None:
    """Waiting for `rebuild` to let the store be written (a minute per million events), an import
    or a forget-user stood still without a word; a short write it waits for is not said."""
    import os
    import threading

    from edgerec.store.engine import name_writes, write_transaction

    data = tmp_path / "views.csv"
    data.write_text("user_id,item_id,event_type,occurred_at\nu9,z,view,2024-01-01T00:00:00Z\n")
    said = f"Waiting for a rebuild (process {os.getpid()}) of this store to finish..."
    for command, doing in (
        (["import", str(data)], "a rebuild"),
        (["forget-user", "u2", "--yes"], "a rebuild"),
        (["import", str(data)], ""),
    ):
        with edgerec.open(db) as rebuilding:
            name_writes(rebuilding.engine, doing)
            held, release = threading.Event(), threading.Event()

            def hold() -> None:
                with write_transaction(rebuilding.engine):  # noqa: B023
                    held.set()  # noqa: B023
                    release.wait(30)  # noqa: B023

            holder = threading.Thread(target=hold)
            holder.start()
            assert held.wait(30)
            threading.Timer(2.0, release.set).start()
            try:
                result = CliRunner().invoke(main, ["--db", db, *command])
            finally:
                release.set()
                holder.join(30)
        assert result.exit_code == 0, result.output
        assert result.stderr.count(said) == (1 if doing else 0), (command, result.stderr)


def test_a_record_a_killed_rebuild_left_is_cleared_by_the_next_writer(db: str) -> None:
    """A rebuild killed part way left "PID a rebuild" in the writers' lock file: a shorter one
    written over it by the next rebuild read "a rebuildld", and once its pid belonged to another
    process, a writer waiting behind an ordinary one was told it waited for a rebuild."""
    import os

    from edgerec.store.engine import name_writes, write_transaction

    lock = Path(f"{db}-writer.lock")
    with edgerec.open(db) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))  # makes the lock file
        lock.write_text(f"{os.getpid()} a rebuild of a long name")  # as a kill -9 leaves it
        with write_transaction(store.engine):
            pass
        assert lock.read_text() == ""
        lock.write_text("4194303 a rebuild of a long name")
        name_writes(store.engine, "a rebuild")
        with write_transaction(store.engine):
            assert lock.read_text() == f"{os.getpid()} a rebuild"


def test_import_and_eval_refuse_a_folder_by_name(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    for command in (["import", str(folder)], ["eval", str(folder)]):
        result = CliRunner().invoke(main, ["--db", db, *command])
        assert result.exit_code == 2, command
        assert "is a directory" in result.output and "Traceback" not in result.output


def test_import_refuses_a_device_or_a_pipe_instead_of_reading_it_for_ever(db: str, tmp_path: Path) -> None:
    """`import /dev/zero --format csv` never ended; the console's Import screen called it "no such file"."""
    import os

    from edgerec.ui.screens.importer import check_file

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for path in ("/dev/zero", str(pipe)):
        result = CliRunner().invoke(main, ["--db", db, "import", path, "--format", "csv"])
        assert result.exit_code == 1 and "not a file but a device, a pipe or a folder" in result.output
        with pytest.raises(ValueError, match="not a file but a device, a pipe or a folder"):
            check_file(Path(path))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_eval_on_cuda_without_a_gpu_is_refused_before_any_work(db: str) -> None:
    result = CliRunner().invoke(main, ["--db", db, "eval", "--device", "cuda"])
    assert result.exit_code == 2 and "torch sees no CUDA device" in result.output


def test_eval_refuses_a_seed_numpy_cannot_take_before_any_work(db: str) -> None:
    """A negative seed, or one of 2**32 or more, ended in a traceback after the import."""
    for seed in ("-1", str(2**32)):
        result = CliRunner().invoke(main, ["--db", db, "eval", "--seed", seed])
        assert result.exit_code == 2 and "Invalid value for '--seed'" in result.output, result.output


def test_eval_stopped_by_sigterm_leaves_no_copy_of_the_data(tmp_path: Path) -> None:
    """Its temporary store (a copy of the file, real customer ids and all) stayed behind."""
    import os
    import signal
    import subprocess
    import sys

    ratings = tmp_path / "ratings.csv"
    rows = (
        f"{u},{i},{1 + (u * i) % 5},{1_000_000_000 + u * 1000 + i}" for u in range(400) for i in range(150)
    )
    ratings.write_text("userId,movieId,rating,timestamp\n" + "\n".join(rows) + "\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    command = [sys.executable, "-m", "edgerec", "eval", str(ratings), "--models", "popularity"]
    process = subprocess.Popen(command, env={**os.environ, "TMPDIR": str(temporary)}, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(temporary.glob("edgerec-eval-*/eval.db")) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(temporary.glob("edgerec-eval-*/eval.db")), "eval made no temporary store"
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode != 0 and list(temporary.iterdir()) == []


def test_a_database_url_that_cannot_be_used_is_one_line() -> None:
    """A driver that is not installed ended `db current` in a traceback, and a server that is
    not there added SQLAlchemy's "Background on this error" link as a second line."""
    for url, args in (
        ("postgresql+psycopg2://shop@localhost/shop", ["db", "current"]),
        ("postgresql+psycopg://shop@127.0.0.1:1/shop?connect_timeout=5", ["stats"]),
        ("postgresql+psycopg://shop@127.0.0.1:1/shop?connect_timeout=5", ["db", "current"]),
    ):
        result = CliRunner().invoke(main, ["--db", url, *args])
        assert result.exit_code == 1 and result.output.startswith("Error: cannot "), result.output
        assert len(result.output.strip().splitlines()) == 1 and "sqlalche.me" not in result.output


def test_a_missing_postgresql_driver_is_named_with_the_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without psycopg, every command said only "No module named psycopg"; with a URL spelt for
    psycopg2 (as SQLAlchemy's documents write them), only "No module named 'psycopg2'"."""
    url = "postgresql+psycopg2://shop@localhost/shop"
    result = CliRunner().invoke(main, ["--db", url, "stats"])
    assert "No module named 'psycopg2' (edgerec talks to PostgreSQL through psycopg 3" in result.output
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as where it is not installed
    result = CliRunner().invoke(main, ["--db", url.replace("psycopg2", "psycopg"), "stats"])
    assert result.exit_code == 1, result.output
    assert "(install the PostgreSQL driver: pip install 'edgerec[postgres]')" in result.output


def _tail(db: str, *options: str, lines: int) -> list[dict]:
    """What `edgerec events tail --json` prints in its first `lines` lines (or in 30 s)."""
    import subprocess
    import sys
    import threading

    command = [sys.executable, "-m", "edgerec", "--db", db, "events", "tail", "--json", "--interval", "0.05"]
    process = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True)
    printed: list[dict] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            printed.append(json.loads(line))
            if len(printed) == lines:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    process.terminate()
    process.wait(timeout=30)
    return printed


def test_events_tail_starts_where_asked(db: str) -> None:
    with edgerec.open(db) as store:
        store.record_many([ItemViewed(user_id="busy", item_id="a") for _ in range(20)])
        head = store.head()
        mine = [e.position for e in store.read(user_id="u1")]
    assert [e["position"] for e in _tail(db, "--since", "0", lines=head)] == list(range(1, head + 1))
    # A filtered tail starts with the newest events that pass the filter, however old.
    assert [e["position"] for e in _tail(db, "--user", "u1", lines=len(mine))] == mine
    # --limit sets how many of the newest it shows first (it showed ten, whatever was asked).
    assert [e["position"] for e in _tail(db, "--limit", "3", lines=3)] == [head - 2, head - 1, head]


def test_events_list_and_tail_filter_by_store_id(db: str) -> None:
    """`events` had no --store-id, though every event carries the store or kiosk it happened
    at and `kiosk` and `recommend` take one: a shop of two kiosks could not list one's events."""
    at_kiosk = [Context(store_id=f"kiosk-{n % 2}") for n in range(6)]
    with edgerec.open(db) as store:
        store.record_many([ItemViewed(user_id="k", item_id="a", context=where) for where in at_kiosk])
        mine = [e.position for e in store.read() if e.store_id == "kiosk-1"]
    assert len(mine) == 3
    listed = run("--db", db, "events", "list", "--store-id", "kiosk-1", "--json").splitlines()
    assert [json.loads(line)["position"] for line in listed] == mine
    assert all(
        "store=kiosk-1" in line for line in run("--db", db, "events", "--store-id", "kiosk-1").splitlines()
    )
    assert [e["position"] for e in _tail(db, "--store-id", "kiosk-1", lines=len(mine))] == mine
    following = _tail(db, "--since", "0", "--store-id", "kiosk-1", lines=len(mine))
    assert [e["position"] for e in following] == mine
    result = CliRunner().invoke(main, ["--db", db, "events", "--store-id", "nowhere"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "No events match.\n")
    for mode in ("list", "tail"):
        result = CliRunner().invoke(main, ["--db", db, "events", mode, "--store-id", " "])
        assert result.exit_code == 2 and "Invalid value for '--store-id'" in result.output, result.output


def test_a_database_error_is_said_without_its_statement_and_out_of_memory_plainly() -> None:
    # Out of memory in an UPDATE of a migration, the error printed the statement and ~15 KB of
    # its parameters (customers' ids and times).
    from sqlalchemy.exc import OperationalError, StatementError

    from edgerec.cli import _why

    rows = [{"k_user_id": f"C{n:05}", "last_at": n} for n in range(5000)]
    update = "UPDATE users SET last_at=? WHERE users.user_id = ?"
    said = _why(StatementError("(builtins.MemoryError)", update, rows, MemoryError()))
    assert said.startswith("out of memory") and "\n" not in said and "C00001" not in said
    assert _why(MemoryError()).startswith("out of memory")
    locked = sqlite3.OperationalError("database is locked")
    assert _why(OperationalError(update, rows, locked)) == "database is locked"


def test_recommend_says_why_nothing_can_be_suggested(tmp_path: Path) -> None:
    db = str(tmp_path / "empty.db")
    edgerec.open(db).close()
    assert "the catalogue is empty" in run("--db", db, "recommend", "--user", "u")
    with edgerec.open(db) as store:
        store.record(ItemListed(item_id="mug", title="Mug", stock=0, occurred_at=T0))
    said = run("--db", db, "recommend", "--user", "u")
    assert "every item is delisted, out of stock, in the cart or just bought." in said
    assert "rules" not in said  # there are none to blame


def test_recommend_json_says_why_its_list_is_empty(tmp_path: Path) -> None:
    """`--json` printed `"items": []` and nothing else, where the plain output said why."""
    db = str(tmp_path / "shop.db")
    edgerec.open(db).close()

    def why(*args: str) -> object:
        return json.loads(run("--db", db, "recommend", "--user", "u", "--json", *args))["why_empty"]

    empty = {
        "cause": "empty_catalogue",
        "message": "the catalogue is empty (`edgerec import` a catalogue, or list items on the console)",
    }
    assert why() == empty
    assert why("--category", "Toys") == empty  # was unknown_category: the empty catalogue is the cause
    with edgerec.open(db) as store:
        store.record_many(
            [
                ItemListed(item_id="mug", title="Mug", category="Kitchen", stock=0, occurred_at=T0),
                ItemListed(item_id="kite", title="Kite", category="Toys", stock=2, occurred_at=T0),
            ]
        )
    assert why("--category", "Nope") == {
        "cause": "unknown_category",
        "message": "the catalogue has no category 'Nope'",
    }
    assert why("--category", "Kitchen") == {
        "cause": "all_excluded",
        "message": "every item in 'Kitchen' is delisted, out of stock, in the cart or just bought",
    }
    assert why() is None  # the kite
    assert "No suggestions: every item in 'Kitchen' is delisted" in run(
        "--db", db, "recommend", "--user", "u", "--category", "Kitchen"
    )


def test_recommend_names_dislikes_only_within_the_categories_asked(tmp_path: Path) -> None:
    """Every Toys item out of stock, and the customer's one dislike a kettle in Kitchen:
    `--category Toys` said every item in it was '..., or rated as a dislike by the customer'."""
    from edgerec.domain import Rated
    from edgerec.recommend import Recommender

    db = str(tmp_path / "shop.db")
    with edgerec.open(db) as store:
        store.record_many(
            [
                ItemListed(item_id="kettle", title="Kettle", category="Kitchen", stock=2, occurred_at=T0),
                ItemListed(item_id="pan", title="Pan", category="Kitchen", stock=2, occurred_at=T0),
                ItemListed(item_id="kite", title="Kite", category="Toys", stock=0, occurred_at=T0),
                Rated(user_id="ben", item_id="pan", value=5.0, occurred_at=T0 + timedelta(minutes=1)),
                Rated(user_id="u", item_id="kettle", value=1.0, occurred_at=T0 + timedelta(minutes=2)),
            ]
        )
    said = json.loads(run("--db", db, "recommend", "--user", "u", "--category", "Toys", "--json"))
    assert said["why_empty"]["message"] == (
        "every item in 'Toys' is delisted, out of stock, in the cart or just bought"
    )
    with edgerec.open(db) as store:
        recommender = Recommender(store)
        recommender.recommend("u", k=1)  # the customer is known once asked for
        assert recommender.dislikes("u") == ["kettle"]
        assert recommender.dislikes("u", category="kitchen") == ["kettle"]
        assert recommender.dislikes("u", category=["Toys", "Garden"]) == []


def test_recommend_names_the_shops_rules_only_where_they_hide_an_item_asked_for(tmp_path: Path) -> None:
    """Every Toys item out of stock, and the shop's one never-show rule a kettle in Kitchen (and
    a promotion, which hides nothing): `--category Toys` said every item in it was '..., or
    never shown by the shop's rules'."""
    db, rules = str(tmp_path / "shop.db"), tmp_path / "rules.toml"
    rules.write_text('exclude_items = ["kettle"]\n\n[[promote]]\nitem_id = "kite"\nboost = 0.5\n')
    with edgerec.open(db) as store:
        store.record_many(
            [
                ItemListed(item_id="kettle", title="Kettle", category="Kitchen", stock=2, occurred_at=T0),
                ItemListed(item_id="pan", title="Pan", category="Kitchen", stock=0, occurred_at=T0),
                ItemListed(item_id="kite", title="Kite", category="Toys", stock=0, occurred_at=T0),
            ]
        )

    def why(*args: str) -> str:
        said = json.loads(run("--db", db, "recommend", "--user", "u", "--json", "--rules", str(rules), *args))
        return str(said["why_empty"]["message"])

    assert (
        why("--category", "Toys")
        == "every item in 'Toys' is delisted, out of stock, in the cart or just bought"
    )
    assert why("--category", "kitchen").endswith("just bought, or never shown by the shop's rules")
    rules.write_text('[[promote]]\nitem_id = "kite"\nboost = 0.5\n')
    with edgerec.open(db) as store:
        store.record(
            ItemListed(item_id="kettle", title="Kettle", category="Kitchen", stock=0, occurred_at=T0)
        )
    assert why() == "every item is delisted, out of stock, in the cart or just bought"


def test_recommend_says_a_list_is_empty_of_the_customers_dislikes(tmp_path: Path) -> None:
    """A customer who rated both of a category's items low was told that every item in it is
    "delisted, out of stock, in the cart or just bought": none was."""
    from edgerec.domain import Rated

    db = str(tmp_path / "shop.db")
    with edgerec.open(db) as store:
        store.record_many(
            [
                *(
                    ItemListed(item_id=item, title=item.title(), category="Toys", stock=2, occurred_at=T0)
                    for item in ("kite", "ball")
                ),
                Rated(user_id="ben", item_id="kite", value=5.0, occurred_at=T0 + timedelta(minutes=1)),
                Rated(user_id="u", item_id="kite", value=1.0, occurred_at=T0 + timedelta(minutes=2)),
                Rated(user_id="u", item_id="ball", value=2.0, occurred_at=T0 + timedelta(minutes=3)),
            ]
        )
    said = json.loads(run("--db", db, "recommend", "--user", "u", "--category", "Toys", "--json"))
    assert said["items"] == []
    assert said["why_empty"] == {
        "cause": "all_excluded",
        "message": "every item in 'Toys' is delisted, out of stock, in the cart or just bought,"
        " or rated as a dislike by the customer",
    }


def test_recommend_json_gives_each_items_brand_and_what_grounds_each_reason(tmp_path: Path) -> None:
    """`--json` left out each item's brand and what grounds its reasons (the event each cites,
    its time), which the Python API gives: a script could not check a reason."""
    from edgerec.domain import ItemViewed

    db = str(tmp_path / "shop.db")
    viewed_at = T0 + timedelta(minutes=1)
    with edgerec.open(db) as store:
        store.record_many(
            [
                ItemListed(
                    item_id="mug", title="Mug", category="Kitchen", brand="Acme", stock=3, occurred_at=T0
                ),
                ItemListed(
                    item_id="cup", title="Cup", category="Kitchen", brand="Acme", stock=3, occurred_at=T0
                ),
                ItemViewed(user_id="u", item_id="mug", occurred_at=viewed_at),
            ]
        )
    items = json.loads(run("--db", db, "recommend", "--user", "u", "--json"))["items"]
    assert {item["item_id"]: item["brand"] for item in items} == {"mug": "Acme", "cup": "Acme"}
    for item in items:
        assert [e["reason"] for e in item["evidence"]] == item["reasons"]
    cited = [e for item in items for e in item["evidence"] if e["event_type"] is not None]
    assert cited and all(
        (e["item_id"], e["event_type"], e["at"]) == ("mug", "item_viewed", viewed_at.isoformat())
        for e in cited
    ), cited
    attributes = [e["attribute"] for item in items for e in item["evidence"] if e["attribute"]]
    assert {"brand": "Acme"} in attributes or {"category": "Kitchen"} in attributes, attributes


def test_a_table_it_cannot_read_is_refused_naming_what_it_lacks(db: str, tmp_path: Path) -> None:
    path = tmp_path / "clicks.csv"
    path.write_text("customer_id,item_id,event\nc1,i1,view\n")  # no time
    result = CliRunner().invoke(main, ["--db", db, "import", str(path)])
    assert result.exit_code == 1
    assert (
        "no column for the timestamp" in result.output
        and "['customer_id', 'item_id', 'event']" in result.output
        and "--map timestamp=COLUMN" in result.output  # the example names what is missing
    )


def test_recommend_refuses_another_customers_session_and_names_the_one_it_used(db: str) -> None:
    """A session is its customer's: asked for u1 with u2's session, the reasons would tell u1
    of views they never made."""
    result = CliRunner().invoke(main, ["--db", db, "recommend", "--user", "u1", "--session", "s2"])
    assert result.exit_code == 2 and "session s2 is another customer's (u2)" in result.output
    answer = json.loads(run("--db", db, "recommend", "--user", "u1", "--json"))
    assert answer["session_id"] == "s1"


def test_recommend_says_when_no_event_has_used_the_session(db: str) -> None:
    """A session id no event has used (one just begun, or a mistyped one) was taken without a
    word, and the list, built on none of that session's events, looked like the session's."""
    result = CliRunner().invoke(main, ["--db", db, "recommend", "--user", "u1", "--session", "s9", "--json"])
    assert result.exit_code == 0, result.output
    assert "No event has used session s9 yet" in result.stderr
    assert json.loads(result.stdout)["session_id"] == "s9"
    known = CliRunner().invoke(main, ["--db", db, "recommend", "--user", "u1", "--session", "s1"])
    assert known.exit_code == 0 and "No event has used" not in known.output


def test_recommend_says_when_no_event_names_the_store(db: str) -> None:
    """A kiosk id no event names (a mistyped one, or a kiosk not used yet) was taken without a
    word: the list, with no popularity at that kiosk, looked like the kiosk's."""
    with edgerec.open(db) as store:
        store.record(
            ItemViewed(
                user_id="u3",
                item_id="b",
                occurred_at=T0 + timedelta(hours=1),
                context=Context(store_id="kiosk-a"),
            )
        )
    result = CliRunner().invoke(
        main, ["--db", db, "recommend", "--user", "v", "--store-id", "kiosk-b", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "No recent event names store kiosk-b" in result.stderr and "kiosk-a" in result.stderr
    assert json.loads(result.stdout)["items"]
    known = CliRunner().invoke(main, ["--db", db, "recommend", "--user", "v", "--store-id", "kiosk-a"])
    assert known.exit_code == 0 and "No recent event" not in known.output


def test_recommend_knows_a_store_from_its_events_of_no_item(db: str) -> None:
    """A kiosk whose recent events were only session starts and searches was said to be named
    by no recent event, as a mistyped id is: a store was known only from events of an item. Any
    event that carries a store id names it."""
    with edgerec.open(db) as store:
        at = T0 + timedelta(hours=1)
        kiosk = Context(store_id="kiosk-c")
        store.record(SessionStarted(user_id="v2", occurred_at=at, context=kiosk))
        store.record(Searched(user_id="v2", query="mug", occurred_at=at, context=kiosk))
    result = CliRunner().invoke(main, ["--db", db, "recommend", "--user", "v", "--store-id", "kiosk-c"])
    assert result.exit_code == 0 and "No recent event" not in result.output, result.output


def test_recommend_takes_a_session_the_customer_shares_with_another(db: str) -> None:
    """Customers can share a session id: u1 acting in u2's session s2 was refused."""
    with edgerec.open(db) as store:
        store.record(
            ItemViewed(user_id="u1", session_id="s2", item_id="i2", occurred_at=T0 + timedelta(hours=1))
        )
    answer = json.loads(run("--db", db, "recommend", "--user", "u1", "--session", "s2", "--json"))
    assert answer["session_id"] == "s2" and answer["items"]


def test_eval_refuses_a_report_folder_it_cannot_make_before_the_work(tmp_path: Path) -> None:
    (tmp_path / "notadir").write_text("a file")
    data = tmp_path / "ev.csv"
    data.write_text("user_id,item_id,type,timestamp\nu1,a,view,1714554000\n")
    result = CliRunner().invoke(main, ["eval", str(data), "--out", str(tmp_path / "notadir" / "report")])
    assert result.exit_code == 2 and "cannot make the folder" in result.output
    assert "imported" not in result.output  # refused before anything was read


def test_eval_refuses_a_report_folder_it_cannot_write_into_before_the_work(tmp_path: Path) -> None:
    """A folder that is there but takes no files was accepted: every model was trained and
    tested, then writing report.json ended in a PermissionError traceback, and the table of
    figures, printed after it, was lost."""
    import subprocess
    import sys

    as_user = _file_modes_obeyed()
    data = tmp_path / "ev.csv"
    rows = [f"c{n % 7},sku-{(n * 3) % 11},view,{1714554000 + 60 * n}" for n in range(120)]
    data.write_text("user_id,item_id,type,timestamp\n" + "\n".join(rows) + "\n")
    out = tmp_path / "reports"
    out.mkdir(mode=0o555)
    command = [*as_user, sys.executable, "-m", "edgerec", "eval", str(data), "--models", "popularity"]
    try:
        result = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True, timeout=120)
    finally:
        out.chmod(0o755)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"cannot write into the folder {out}: Permission denied" in result.stderr
    assert "imported" not in result.stderr  # refused before anything was read
    assert list(out.iterdir()) == []


def test_eval_reads_a_file_as_import_does_with_a_mapping(tmp_path: Path) -> None:
    """A file whose columns lack common names is evaluated with --map, as it is imported (eval
    had no --map, and its error told to use one)."""
    data = tmp_path / "till.csv"
    rows = [f"c{n % 7},sku-{(n * 3) % 11},{1714554000 + 60 * n}" for n in range(120)]
    data.write_text("who,what,when\n" + "\n".join(rows) + "\n")
    mapping = ["--map", "user=who", "--map", "item=what", "--map", "timestamp=when"]
    result = CliRunner().invoke(
        main,
        [
            "eval",
            str(data),
            *mapping,
            "--map",
            "default_type=item_viewed",
            "--models",
            "popularity",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["dataset"] == "till"
    refused = CliRunner().invoke(main, ["eval", "--map", "user=who"])
    assert refused.exit_code == 2 and "give PATH" in refused.output


@pytest.mark.parametrize(
    "option",
    [
        *(("--format", f) for f in ("taobao", "csv", "")),
        *(("--timezone", zone) for zone in ("UTC", "Europe/Berlin", "+00:00")),
    ],
)
def test_eval_without_path_refuses_the_options_that_read_it(db: str, option: tuple[str, str]) -> None:
    """`eval --format taobao` with PATH forgotten evaluated the store's own log and said nothing
    of the --format it ignored; `eval --timezone UTC` was accepted, the option unused, where any
    other zone was refused: the check compared the zone with the default instead of asking
    whether it was given."""
    result = CliRunner().invoke(main, ["--db", db, "eval", *option, "--models", "popularity"])
    assert result.exit_code == 2, result.output
    assert "--format, --map, --action, --timezone and --encoding say how to read PATH: give PATH" in (
        result.output
    )
    assert "popularity" not in result.output.split("Error:")[0]  # nothing was evaluated


def test_eval_says_what_its_data_lacks(tmp_path: Path) -> None:
    """With no item attributes the content model has only ids: eval says so; a protocol that
    finds no cases says what gives its cases."""
    data = tmp_path / "views.csv"
    rows = [f"c{n % 9},sku-{(n * 7) % 23},view,{1714554000 + 60 * n}" for n in range(300)]
    data.write_text("user_id,item_id,type,timestamp\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["eval", str(data), "--models", "content"])
    assert result.exit_code == 0, result.output
    assert "no item attributes" in result.stderr
    few = tmp_path / "few.csv"
    few.write_text("user_id,item_id,type,timestamp\nu1,a,view,1714554000\nu2,b,view,1714554060\n")
    result = CliRunner().invoke(main, ["eval", str(few), "--protocol", "temporal"])
    assert result.exit_code == 1 and "before and within the log's last fifth" in result.output


def test_eval_says_how_it_read_dates_that_read_both_ways(tmp_path: Path) -> None:
    """eval of a file whose dates all read both ways (01/04/2025 to 07/04/2025) read them month
    first without a word, where `import` says so and how to read them day first."""
    data = tmp_path / "week.csv"
    rows = [f"c{n % 9},sku-{(n * 7) % 23},view,0{1 + n % 7}/04/2025 10:{n % 60:02d}" for n in range(300)]
    data.write_text("user_id,item_id,type,timestamp\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["eval", str(data), "--models", "popularity"])
    assert result.exit_code == 0, result.output
    assert "Dates such as '01/04/2025' were read month first, as 4 January" in result.stderr
    assert "give day_first=true (--map day_first=true" in result.stderr


def test_a_read_only_store_is_a_one_line_error_and_writable_again_after_chmod(tmp_path: Path) -> None:
    """A write into a store its owner made read-only ended in a traceback, and the side files
    SQLite made with the database's mode kept it unwritable after `chmod u+w`."""
    import subprocess
    import sys

    as_user = _file_modes_obeyed()
    db = tmp_path / "shop.db"
    sales = tmp_path / "sales.csv"
    sales.write_text("user_id,item_id,type,timestamp\nu1,i1,view,1714554000\n")

    def edgerec_cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*as_user, sys.executable, "-m", "edgerec", "--db", str(db), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert edgerec_cli("stats").returncode == 2  # no store yet
    edgerec.open(db).close()
    db.chmod(0o444)
    assert edgerec_cli("stats").returncode == 0  # reading it works
    # A pseudonymous export must record the store's secret: it said only "chmod u+w to record".
    refused = edgerec_cli("export", str(tmp_path / "out.jsonl"))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "records the store's pseudonym secret" in refused.stderr and "--real-ids" in refused.stderr
    assert edgerec_cli("export", "--real-ids", str(tmp_path / "out.jsonl")).returncode == 0
    refused = edgerec_cli("import", str(sales))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "it is read-only (SQLITE_READONLY" in refused.stderr
    db.chmod(0o600)
    assert edgerec_cli("import", str(sales)).returncode == 0
    # A writable file in a folder that is not: "attempt to write a readonly database", even to read.
    tmp_path.chmod(0o555)
    try:
        refused = edgerec_cli("stats")
    finally:
        tmp_path.chmod(0o755)
    assert refused.returncode == 1 and f"its folder {tmp_path} is not writable" in refused.stderr


def test_a_read_only_store_of_an_older_schema_says_it_must_be_upgraded(tmp_path: Path) -> None:
    """A backup kept read-only that an older edgerec wrote (schema 0010) could not be read by
    stats or export --real-ids, which said only "attempt to write a readonly database"."""
    import subprocess
    import sys

    from edgerec.store.engine import make_engine

    as_user = _file_modes_obeyed()
    db = tmp_path / "backup.db"
    with edgerec.open(db) as store:
        store.record(ItemViewed(occurred_at=T0, user_id="u1", item_id="i1"))
    engine = make_engine(f"sqlite:///{db}")
    migrate.downgrade(engine, "0010")  # as an older edgerec left it
    engine.dispose()
    db.chmod(0o400)
    for args in (["stats"], ["export", "--real-ids", "-"]):
        command = [*as_user, sys.executable, "-m", "edgerec", "--db", str(db), *args]
        refused = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert "its schema (revision 0010) is older than this edgerec's" in refused.stderr
        assert "upgrade a copy of it, or make it writable (chmod u+w)" in refused.stderr
    command = [*as_user, sys.executable, "-m", "edgerec", "--db", str(db), "db", "upgrade"]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert f"Error: cannot upgrade the store at sqlite:///{db}: its schema (revision 0010)" in refused.stderr
    db.chmod(0o600)
    assert json.loads(run("--db", str(db), "stats", "--json"))["events"] == 1


def test_text_the_output_encoding_lacks_is_escaped_and_a_closed_stdin_aborts(tmp_path: Path) -> None:
    """On a latin-1 or cp1252 output (a Windows console) 中文 and 🍵 ended in UnicodeEncodeError,
    on ascii the question naming Zoë did, and with standard input closed (`<&-`) the question
    ended in "RuntimeError: input(): lost sys.stdin" instead of "Aborted!"."""
    import os
    import subprocess
    import sys

    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        store.record(ItemListed(item_id="T1", title="Thé vert 绿茶 🍵", category="Thé"))
        store.record(ItemViewed(user_id="Zoë-中文", item_id="T1"))

    def edgerec_cli(*args: str, encoding: str = "utf-8", closed_stdin: bool = False) -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-m", "edgerec", "--db", str(db), *args],
            env={**os.environ, "PYTHONIOENCODING": encoding},
            stdin=subprocess.DEVNULL,
            preexec_fn=(lambda: os.close(0)) if closed_stdin else None,  # noqa: PLW1509
            capture_output=True,
            timeout=120,
            check=False,
        )
        return done.returncode, (done.stdout + done.stderr).decode(encoding, errors="replace")

    for encoding in ("latin-1", "cp1252"):
        for command in (
            ["events", "list"],
            ["recommend", "--user", "Zoë-中文"],
            ["events", "list", "--json"],
        ):
            code, output = edgerec_cli(*command, encoding=encoding)
            assert code == 0 and "Traceback" not in output, (encoding, command, output)
            assert "\\u7eff\\u8336" in output and "\\ud83c\\udf75" in output  # 绿茶 🍵, escaped as JSON does
    # A --json line stays JSON: \U0001f375 (Python's escape) is none, and no reader took it.
    _, output = edgerec_cli("events", "list", "--json", encoding="latin-1")
    assert {json.loads(line)["user_id"] for line in output.splitlines()} == {None, "Zoë-中文"}
    code, output = edgerec_cli("forget-user", "Zoë-中文", encoding="ascii")
    assert code == 1 and output.rstrip().endswith("Aborted!") and "Zo\\xeb" in output, output
    for command in (["forget-user", "Zoë-中文"], ["db", "downgrade", "base"]):
        code, output = edgerec_cli(*command, closed_stdin=True)
        assert code == 1 and output.rstrip().endswith("Aborted!"), output
    with edgerec.open(db) as store:
        assert store.head() == 2


def test_output_that_cannot_be_written_is_a_one_line_error(db: str, tmp_path: Path) -> None:
    """`edgerec stats > report.txt` on a full disk ended in a traceback (OSError: No space left
    on device), and `export -` with standard output closed in AttributeError; a reader that
    stops early (`| head`) still ends the command quietly."""
    import os
    import subprocess
    import sys

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here to stand for a full disk")

    def edgerec_cli(*args: str, stdout: object, closed: bool = False) -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-m", "edgerec", "--db", db, *args],
            stdout=stdout,
            stderr=subprocess.PIPE,
            preexec_fn=(lambda: os.close(1)) if closed else None,  # noqa: PLW1509
            text=True,
            timeout=120,
            check=False,
        )
        return done.returncode, done.stderr

    with open("/dev/full", "w") as full:
        for command in (
            ["stats"],
            ["events", "list"],
            ["db", "current"],
            ["db", "upgrade"],
            ["quarantine"],
            ["export", "-"],
            ["export", "-", "--format", "parquet"],
        ):
            code, said = edgerec_cli(*command, stdout=full)
            assert (code, said) == (1, "Error: cannot write standard output: No space left on device\n"), (
                command
            )
    # Closed (`>&-`): `stats` exited 0 having printed nothing anywhere.
    for command in (["export", "-"], ["export", "--format", "parquet", "-"], ["stats"], ["events", "list"]):
        code, said = edgerec_cli(*command, stdout=subprocess.DEVNULL, closed=True)
        assert (code, said) == (1, "Error: cannot write standard output: it is closed\n"), command
    with subprocess.Popen(
        [sys.executable, "-m", "edgerec", "--db", db, "export", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        reader.stdout.close()  # read nothing, as `| head -c 0`
        assert reader.wait(timeout=120) == 0 and reader.stderr.read() == b""
    assert "events: 3" in run("--db", db, "stats")


def test_help_and_version_that_cannot_be_written_are_a_one_line_error(tmp_path: Path) -> None:
    """`edgerec --help > /dev/full` and `--version` ended in a traceback (OSError: No space left
    on device), and with standard output closed exited 0 having printed nothing anywhere."""
    import os
    import subprocess
    import sys

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here to stand for a full disk")

    def said(*args: str, closed: bool = False) -> tuple[int, str]:
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "edgerec", *args],
                stdout=full,
                stderr=subprocess.PIPE,
                preexec_fn=(lambda: os.close(1)) if closed else None,  # noqa: PLW1509
                text=True,
                timeout=120,
                check=False,
            )
        return done.returncode, done.stderr

    for command in (["--help"], ["--version"], ["export", "--help"], ["db", "upgrade", "--help"]):
        assert said(*command) == (1, "Error: cannot write standard output: No space left on device\n"), (
            command
        )
        assert said(*command, closed=True) == (1, "Error: cannot write standard output: it is closed\n"), (
            command
        )


def test_a_full_disk_under_the_model_folder_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`rules set`, `train` and `tune` ended in a traceback (OSError: No space left on device)
    where the store's commands say what went wrong in one line; tune said so only after its
    replay of the log."""
    import errno

    from edgerec.training import files

    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        store.record_many([ItemViewed(user_id=f"u{n % 7}", item_id=f"i{n % 11}") for n in range(300)])
    rules = tmp_path / "rules.toml"
    rules.write_text('exclude_items = ["i1"]\n')

    def full(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    def no_replay(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("replayed the log before checking it could save the result")

    monkeypatch.setattr(files, "_write", full)
    monkeypatch.setattr("edgerec.recommend.shop_tuning.tune_shop", no_replay)
    for command in (["rules", "set", str(rules)], ["train", "--device", "cpu"], ["tune"]):
        result = CliRunner().invoke(main, ["--db", str(db), *command])
        assert result.exit_code == 1, (command, result.output)
        assert result.output.splitlines()[-1].startswith("Error: could not write "), (command, result.output)
        assert "the disk is full (No space left on device)" in result.output
        assert "free some space and try again" in result.output
    assert not list((tmp_path / "shop.db.models").glob("*.toml"))


def test_ctrl_c_of_an_import_says_whether_a_chunk_of_it_was_written(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Stopped before its first chunk while a kiosk recorded on the same store, an import said
    'The chunks written before it are kept': it looked at the log's head, which others move."""
    import functools

    from edgerec import ingest
    from edgerec.api import Store

    original, calls = Store.append_rows, []
    db = tmp_path / "shop.db"

    def stopped_at(chunk: int):  # type: ignore[no-untyped-def]
        def append_rows(self, rows, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(len(rows))
            if len(calls) == chunk:
                with edgerec.open(db) as kiosk:  # another writer meanwhile
                    kiosk.record(ItemViewed(user_id="walk-in", item_id="i1"))
                raise KeyboardInterrupt
            return original(self, rows, **kwargs)

        return append_rows

    monkeypatch.setattr(ingest, "import_file", functools.partial(ingest.import_file, chunk_rows=100))
    data = tmp_path / "clicks.csv"
    data.write_text(
        "user_id,item_id,type,timestamp\n" + "".join(f"u{n},i{n},view,{1714554000 + n}\n" for n in range(300))
    )
    for chunk, said in (
        (1, "before its first chunk was written"),
        (2, "The chunks written before it are kept"),
    ):
        calls.clear()
        monkeypatch.setattr(Store, "append_rows", stopped_at(chunk))
        result = CliRunner().invoke(main, ["--db", str(db), "import", str(data)])
        assert result.exit_code == 1 and said in result.output, result.output


def test_a_full_disk_part_way_says_the_chunks_written_before_are_kept(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """demo and a many-chunk import that hit a full disk after earlier chunks had committed said
    only "Nothing of this write was stored", as if the command had stored nothing."""
    import functools

    from edgerec import ingest
    from edgerec.api import Store
    from edgerec.store.engine import StoreWriteError

    original, calls = Store.append_rows, []

    def fills_up(self, rows, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(rows))
        if len(calls) > 1:
            raise StoreWriteError("could not write to shop.db: the disk is full (SQLITE_FULL). Nothing ...")
        return original(self, rows, **kwargs)

    monkeypatch.setattr(Store, "append_rows", fills_up)
    monkeypatch.setattr(ingest, "import_file", functools.partial(ingest.import_file, chunk_rows=100))
    data = tmp_path / "clicks.csv"
    data.write_text(
        "user_id,item_id,type,timestamp\n" + "".join(f"u{n},i{n},view,{1714554000 + n}\n" for n in range(300))
    )
    for db, command in ((tmp_path / "demo.db", ["demo"]), (tmp_path / "import.db", ["import", str(data)])):
        calls.clear()
        result = CliRunner().invoke(main, ["--db", str(db), *command])
        assert result.exit_code == 1 and "the disk is full" in result.output, result.output
        assert "The chunks written before it are kept; run the same command again" in result.output
        with edgerec.open(db) as store:
            assert store.head() > 0
    calls.clear()
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "demo.db"), "demo"])  # all of it refused
    assert result.exit_code == 1 and "kept" not in result.output, result.output


def test_an_import_that_cannot_make_its_store_leaves_none_behind(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A disk too full to make the store (its schema) left the half-made file at the path: once
    space was freed, `stats` read it as an empty store instead of saying 'no store at ...'."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from edgerec.store import migrate

    def fills_up(engine, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        raise OperationalError(
            "CREATE TABLE events", {}, sqlite3.OperationalError("database or disk is full")
        )

    data = tmp_path / "clicks.csv"
    data.write_text("user_id,item_id,type,timestamp\nu1,i1,view,1714554000\n")
    db = tmp_path / "new" / "shop.db"
    with monkeypatch.context() as patched:
        patched.setattr(migrate, "upgrade", fills_up)
        result = CliRunner().invoke(main, ["--db", str(db), "import", str(data)])
    assert result.exit_code == 1 and "database or disk is full" in result.output, result.output
    assert not (tmp_path / "new").exists()
    result = CliRunner().invoke(main, ["--db", str(db), "stats"])
    assert result.exit_code == 2 and f"no store at {db}" in result.output, result.output


def test_the_kiosk_never_seeds_the_demo_shop_into_a_store_unasked(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`edgerec kiosk` on a store holding only the shop's rules recorded 36,654 demo events and
    2,000 demo items into it, for the shoppers to see and for good; nothing said it would."""
    opened: list[str] = []
    monkeypatch.setattr("edgerec.cli._is_terminal", lambda _stream: True)
    monkeypatch.setattr("edgerec.ui.run_kiosk", lambda url, **_options: opened.append(url))
    db = tmp_path / "shop.db"
    rules = tmp_path / "rules.toml"
    rules.write_text('exclude_items = ["NOPE"]\n')
    run("--db", str(db), "rules", "set", str(rules))
    for args in (
        ["--db", str(db), "kiosk", "--store-id", "entrance"],
        ["--db", str(tmp_path / "new.db"), "kiosk"],
    ):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "Empty store: the kiosk shows nothing until the shop's catalogue is imported" in result.stderr
        assert "seeding" not in result.output
    assert len(opened) == 2
    assert json.loads(run("--db", str(db), "stats", "--json"))["events"] == 0
    result = CliRunner().invoke(main, ["--db", str(db), "kiosk", "--demo"], catch_exceptions=False)
    assert result.exit_code == 0 and "seeding the demo shop" in result.stderr, result.output
    assert json.loads(run("--db", str(db), "stats", "--json"))["events"] > 0


def test_the_kiosk_s_empty_store_note_quotes_the_store_s_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The command it gives to import a catalogue named a store in 'my shop' unquoted: pasted, it
    imported into --db .../my and read 'shop/k.db' as the file to import."""
    monkeypatch.setattr("edgerec.cli._is_terminal", lambda _stream: True)
    monkeypatch.setattr("edgerec.ui.run_kiosk", lambda url, **_options: None)
    db = tmp_path / "my shop" / "k.db"
    result = CliRunner().invoke(main, ["--db", str(db), "kiosk"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"(`edgerec --db '{db}' import catalogue.csv`)" in result.stderr


def test_the_console_and_kiosk_refuse_to_start_without_a_terminal(tmp_path: Path) -> None:
    """`edgerec` (the console) with standard input /dev/null and its output in a file (a cron job,
    a service, a script that forgot the subcommand) never ended."""
    import subprocess
    import sys

    db = tmp_path / "shop.db"
    for command in ([], ["tui", "--no-trainer"], ["kiosk"]):
        with (tmp_path / "out.txt").open("wb") as out:
            done = subprocess.run(
                [sys.executable, "-m", "edgerec", "--db", str(db), *command],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
            )
        assert done.returncode == 1, (command, done.stderr)
        assert "needs a terminal" in done.stderr and "Traceback" not in done.stderr
        assert (tmp_path / "out.txt").read_bytes() == b""
    assert not db.exists()  # refused before anything was made


def test_the_console_and_kiosk_refuse_a_terminal_that_cannot_draw_them(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """At TERM=dumb (an Emacs shell, an IDE's output pane) they drew the full-screen UI anyway,
    80 KB of escape codes printed as text; a TEXTUAL_COLOR_SYSTEM Textual does not know
    (`monochrome`, `16`) ended in a KeyError traceback. Both are refused in one line."""
    opened: list[str] = []
    monkeypatch.setattr("edgerec.cli._is_terminal", lambda _stream: True)
    monkeypatch.setattr("edgerec.ui.run_console", lambda url, **_options: opened.append(url))
    monkeypatch.setattr("edgerec.ui.run_kiosk", lambda url, **_options: opened.append(url))
    db = tmp_path / "shop.db"
    refusals = [
        ({"TERM": "dumb"}, "needs a terminal that can draw screens, and this one says it cannot (TERM=dumb)"),
        (
            {"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": "monochrome"},
            "TEXTUAL_COLOR_SYSTEM='monochrome' is not a colour system the {screen} knows: set it to "
            "one of auto, standard, 256, truecolor, windows, or unset it",
        ),
        ({"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": "16"}, "TEXTUAL_COLOR_SYSTEM='16' is not a colour"),
    ]
    for env, said in refusals:
        for command, screen in ((["tui", "--no-trainer"], "console"), (["kiosk"], "kiosk")):
            result = CliRunner().invoke(main, ["--db", str(db), *command], env=env)
            assert result.exit_code == 1, (env, command, result.output)
            assert said.format(screen=screen) in result.stderr and "Traceback" not in result.output
            assert len(result.stderr.strip().splitlines()) == 1
    assert opened == [] and not db.exists()  # refused before anything was made
    for colours in ("auto", "256", "truecolor"):  # Textual's own values still open them
        result = CliRunner().invoke(
            main, ["--db", str(db), "kiosk"], env={"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": colours}
        )
        assert result.exit_code == 0, result.output
    assert len(opened) == 3


def test_another_databases_wal_beside_a_restored_store_is_refused_before_sqlite_reads_it(
    tmp_path: Path,
) -> None:
    """A backup restored over a store whose -wal stayed beside it was changed for good by the
    first command, even stats: SQLite read the other's -wal into it before it said the file was
    damaged. A -wal of pages of another size is refused before the store is opened; where one
    was read in all the same, the error says so, not to move away a -wal that is gone."""
    from edgerec.store.engine import damage_said

    db, other = tmp_path / "shop.db", tmp_path / "other.db"
    with edgerec.open(db) as store:
        store.record(ItemViewed(occurred_at=T0, user_id="u1", item_id="a"))
    kept = db.read_bytes()
    with closing(sqlite3.connect(other)) as connection:  # open: its -wal is not folded in
        connection.execute("PRAGMA page_size = 8192")
        connection.execute("PRAGMA journal_mode = wal")
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        connection.execute("CREATE TABLE t (x)")
        connection.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(100)])
        connection.commit()
        (tmp_path / "shop.db-wal").write_bytes((tmp_path / "other.db-wal").read_bytes())
    (tmp_path / "ev.csv").write_text("customer_id,item_id,timestamp,event\nu2,b,2024-03-01 10:00:00,view\n")
    for command in (["stats"], ["import", str(tmp_path / "ev.csv")]):
        result = CliRunner().invoke(main, ["--db", str(db), *command])
        assert result.exit_code == 1, result.output
        assert result.output.strip().splitlines()[-1] == (
            f"Error: the -wal beside the store file ({db}-wal) is another database's: its pages are "
            "of 8192 bytes, the store's of 4096 (a file restored over another store whose -wal "
            "stayed?); opened, SQLite would read it into the store: move the -wal and the -shm "
            "beside it away (keep them) and try again"
        )
        assert db.read_bytes() == kept and (tmp_path / "shop.db-wal").exists()
        assert not (tmp_path / "shop.db-shm").exists()  # the store's file not read to see if it has tables
    (tmp_path / "shop.db-wal").unlink()
    assert "events: 1 (" in run("--db", str(db), "stats")  # moved away, the store reads as it was
    error = sqlite3.DatabaseError("database disk image is malformed")
    error.sqlite_errorname = "SQLITE_CORRUPT"  # type: ignore[attr-defined]
    said = damage_said(error, db, wal_read=True)  # one read in already: none left to move
    assert said is not None and said.endswith(
        "has been read into it: move the -wal and -shm files away before you restore it again)"
    )
