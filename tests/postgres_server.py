"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder, reached
through a Unix socket in that folder only (no TCP port, so it never meets another server).

Needs the server's programs (`initdb`, `pg_ctl`: Debian's postgresql package) and psycopg
(`pip install 'edgerec[postgres]'`, which `scripts/test` installs); without them the tests
that use it are skipped, with the reason.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

_USER = "edgerec"
_PORT = 5432  # only names the socket file inside the private folder


def missing() -> str | None:
    """Why no server can be started here, or None."""
    if _binaries() is None:
        return "PostgreSQL server programs (initdb, pg_ctl) not found"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'edgerec[postgres]')"
    if os.geteuid() == 0 and _system_user() is None:
        return "running as root, and there is no 'postgres' user to run the server as"
    return None


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [found] if found else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    for candidate in candidates:
        folder = Path(candidate).resolve().parent  # a link in /usr/local/bin: initdb is beside the target
        if (folder / "initdb").exists():
            return folder
    return None


def _system_user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


class Server:
    """One cluster, started on construction; `database()` gives a new empty database's URL."""

    def __init__(self) -> None:
        binaries = _binaries()
        assert binaries is not None, missing()
        self._bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="edgerec-pg-"))
        self._as: list[str] = []
        user = _system_user() if os.geteuid() == 0 else None
        if user is not None:  # the server refuses to run as root
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._names = itertools.count(1)
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", _USER, "-A", "trust", "--no-sync", "-E", "UTF8")
        self._options = (
            f"-k {self.folder} -p {_PORT} -c listen_addresses= -c fsync=off -c full_page_writes=off"
        )
        self._ctl("start")
        self.admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{_USER}@/{database}?host={self.folder}&port={_PORT}"

    def database(self, template: str | None = None) -> str:
        """The URL of a new database (a copy of `template` if given)."""
        name = f"shop_{next(self._names)}"
        copy = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}{copy}"))
        return self.url(name)

    def files_holding(self, engine: Engine, text_: str) -> list[str]:
        """The database's table and index files that hold `text_`, after a checkpoint has
        written every change to them (the server's write-ahead log is not searched)."""
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
            oid = connection.execute(
                text("SELECT oid FROM pg_database WHERE datname = current_database()")
            ).scalar()
        needle = text_.encode()
        folder = self.folder / "data" / "base" / str(oid)
        return sorted(path.name for path in folder.iterdir() if needle in path.read_bytes())

    def restart(self, down_s: float = 0.0) -> None:
        """Stops the server at once (its clients' connections drop), and starts it again
        `down_s` seconds later."""
        self._ctl("stop", "-m", "immediate")
        time.sleep(down_s)
        self._ctl("start")
        self.admin.dispose()  # its pooled connection died with the server

    def _ctl(self, action: str, *args: str) -> None:
        data, log = str(self.folder / "data"), str(self.folder / "server.log")
        self._run("pg_ctl", "-D", data, "-l", log, "-w", *args, "-o", self._options, action)

    def stop(self) -> None:
        self.admin.dispose()
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [*self._as, str(self._bin / program), *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}")
