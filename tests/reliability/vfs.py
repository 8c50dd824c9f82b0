"""A SQLite VFS shim in ctypes that remembers which writes are not yet fsynced.

It wraps the default (unix) VFS of the very libsqlite3 that Python's sqlite3 module uses. Every
xWrite/xTruncate is forwarded, and the shim keeps, per file path, the list of changes since that
file's last successful xSync together with the bytes they replaced. `power_cut_image` can then
rebuild what a disk could hold after a power cut: the last synced state plus any prefix or any
subset of the unsynced writes (optionally with the last kept write torn at a 512-byte boundary).

This models the OS page cache as per-file, write-back, and durable only through fsync. It does
not model disks that lie about flushes, file-system metadata (creating or deleting a file,
directory fsync), or writes smaller than 512 bytes being torn.
"""

from __future__ import annotations

import ctypes
import os
import random
import sqlite3
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

VFS_NAME = "edgerec-powersim"
_HEADER = 16  # our sqlite3_file: pMethods, then padding; the real file follows


def _libsqlite3() -> ctypes.CDLL:
    """The libsqlite3 already mapped into this process by the sqlite3 module (same instance)."""
    sqlite3.connect(":memory:").close()
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "libsqlite3" in line:
                return ctypes.CDLL(line.split()[-1])
    raise OSError("the sqlite3 module is not linked against a shared libsqlite3")


c_int, c_int64, c_void_p, c_char_p = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p, ctypes.c_char_p
F = ctypes.CFUNCTYPE
X_CLOSE = F(c_int, c_void_p)
X_READ = F(c_int, c_void_p, c_void_p, c_int, c_int64)
X_WRITE = F(c_int, c_void_p, c_void_p, c_int, c_int64)
X_TRUNCATE = F(c_int, c_void_p, c_int64)
X_SYNC = F(c_int, c_void_p, c_int)
X_FILESIZE = F(c_int, c_void_p, c_void_p)
X_LOCK = F(c_int, c_void_p, c_int)
X_CHECK = F(c_int, c_void_p, c_void_p)
X_FCNTL = F(c_int, c_void_p, c_int, c_void_p)
X_INT = F(c_int, c_void_p)
X_SHMMAP = F(c_int, c_void_p, c_int, c_int, c_int, c_void_p)
X_SHMLOCK = F(c_int, c_void_p, c_int, c_int, c_int)
X_SHMBARRIER = F(None, c_void_p)
X_SHMUNMAP = F(c_int, c_void_p, c_int)
# The name stays a raw pointer: SQLite derives the -wal/-shm names from that very buffer (and
# the URI parameters after it), so it must reach the real xOpen unchanged, never as a copy.
X_OPEN = F(c_int, c_void_p, c_void_p, c_void_p, c_int, c_void_p)
_METHODS = [
    ("xClose", X_CLOSE),
    ("xRead", X_READ),
    ("xWrite", X_WRITE),
    ("xTruncate", X_TRUNCATE),
    ("xSync", X_SYNC),
    ("xFileSize", X_FILESIZE),
    ("xLock", X_LOCK),
    ("xUnlock", X_LOCK),
    ("xCheckReservedLock", X_CHECK),
    ("xFileControl", X_FCNTL),
    ("xSectorSize", X_INT),
    ("xDeviceCharacteristics", X_INT),
    ("xShmMap", X_SHMMAP),
    ("xShmLock", X_SHMLOCK),
    ("xShmBarrier", X_SHMBARRIER),
    ("xShmUnmap", X_SHMUNMAP),
    ("xFetch", c_void_p),
    ("xUnfetch", c_void_p),
]


class IoMethods(ctypes.Structure):
    _fields_ = [("iVersion", c_int)] + [(name, c_void_p) for name, _ in _METHODS]


class Vfs(ctypes.Structure):
    _fields_ = [
        ("iVersion", c_int),
        ("szOsFile", c_int),
        ("mxPathname", c_int),
        ("pNext", c_void_p),
        ("zName", c_char_p),
        ("pAppData", c_void_p),
        ("xOpen", c_void_p),
        ("rest", c_void_p * 15),
    ]


@dataclass
class Change:
    """One unsynced change to a file: a write (data) or a truncation (data is None)."""

    offset: int
    data: bytes | None
    old: bytes  # what was at [offset, offset + len(data)) (write) or past `offset` (truncate)
    old_size: int


@dataclass
class Tracked:
    unsynced: list[Change] = field(default_factory=list)
    syncs: int = 0
    writes: int = 0


class PowerSim:
    """Registers the shim once per process; `tracked` holds the unsynced changes per path."""

    def __init__(self) -> None:
        self.lib = _libsqlite3()
        self.lib.sqlite3_vfs_find.restype = c_void_p
        self.lib.sqlite3_vfs_find.argtypes = [c_char_p]
        self.lib.sqlite3_vfs_register.argtypes = [c_void_p, c_int]
        self.tracked: dict[str, Tracked] = {}
        self.on_io: Callable[[str, str], None] | None = None  # called before each write/sync
        self._files: dict[int, tuple[str | None, ctypes._Pointer[IoMethods]]] = {}
        self._keep: list[object] = []
        real = self.lib.sqlite3_vfs_find(None)
        self.real_vfs = real
        real_struct = Vfs.from_address(real)
        self.real_open = X_OPEN(real_struct.xOpen)
        self.vfs = Vfs()
        ctypes.memmove(ctypes.addressof(self.vfs), real, ctypes.sizeof(Vfs))
        self.name = VFS_NAME.encode()
        self.vfs.zName = self.name
        self.vfs.pNext = None
        self.vfs.szOsFile = real_struct.szOsFile + _HEADER
        self._open_cb = X_OPEN(_loud(self._open, failure=14))  # SQLITE_CANTOPEN
        self.vfs.xOpen = ctypes.cast(self._open_cb, c_void_p)
        self.methods = IoMethods()
        self.methods.iVersion = 2  # no xFetch/xUnfetch: every page goes through xRead/xWrite
        self._callbacks = {
            name: kind(getattr(self, f"_{name}")) for name, kind in _METHODS if kind is not c_void_p
        }
        for name, callback in self._callbacks.items():
            setattr(self.methods, name, ctypes.cast(callback, c_void_p))
        registered = self.lib.sqlite3_vfs_find(self.name) is not None
        if not registered and self.lib.sqlite3_vfs_register(ctypes.addressof(self.vfs), 0) != 0:
            raise OSError("could not register the power-loss VFS")

    # --- plumbing ------------------------------------------------------------------------

    def _real(self, p: int) -> tuple[int, IoMethods]:
        return p + _HEADER, self._files[p][1].contents

    def _call(self, p: int, name: str, kind, *args):  # type: ignore[no-untyped-def]
        real, methods = self._real(p)
        return kind(getattr(methods, name))(real, *args)

    def _open(self, vfs: int, name: int | None, p: int, flags: int, out_flags: int) -> int:
        rc = self.real_open(self.real_vfs, name, p + _HEADER, flags, out_flags)
        real_methods = c_void_p.from_address(p + _HEADER).value
        if rc != 0 or not real_methods:
            c_void_p.from_address(p).value = None
            return rc
        path = os.path.realpath(ctypes.string_at(name).decode()) if name else None
        self._files[p] = (path, ctypes.cast(real_methods, ctypes.POINTER(IoMethods)))
        c_void_p.from_address(p).value = ctypes.addressof(self.methods)
        if path is not None:
            self.tracked.setdefault(path, Tracked())
        return rc

    def _path(self, p: int) -> str | None:
        return self._files[p][0]

    # --- the interesting methods -------------------------------------------------------

    def _xWrite(self, p: int, buffer: int, amount: int, offset: int) -> int:
        path = self._path(p)
        if path is not None:
            if self.on_io:
                self.on_io(path, "write")
            data = ctypes.string_at(buffer, amount)
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                f.seek(offset)
                old = f.read(amount)
            state = self.tracked[path]
            state.unsynced.append(Change(offset, data, old, size))
            state.writes += 1
        return self._call(p, "xWrite", X_WRITE, buffer, amount, offset)

    def _xTruncate(self, p: int, size: int) -> int:
        path = self._path(p)
        if path is not None:
            if self.on_io:
                self.on_io(path, "truncate")
            old_size = os.path.getsize(path)
            with open(path, "rb") as f:
                f.seek(size)
                old = f.read()
            self.tracked[path].unsynced.append(Change(size, None, old, old_size))
        return self._call(p, "xTruncate", X_TRUNCATE, size)

    def _xSync(self, p: int, flags: int) -> int:
        path = self._path(p)
        if path is not None and self.on_io:
            self.on_io(path, "sync")
        rc = self._call(p, "xSync", X_SYNC, flags)
        if rc == 0 and path is not None:
            self.tracked[path].unsynced.clear()
            self.tracked[path].syncs += 1
        return rc

    def _xClose(self, p: int) -> int:
        rc = self._call(p, "xClose", X_CLOSE)
        self._files.pop(p, None)
        return rc

    # --- plain forwarding ------------------------------------------------------------------

    def _xRead(self, p: int, buffer: int, amount: int, offset: int) -> int:
        return self._call(p, "xRead", X_READ, buffer, amount, offset)

    def _xFileSize(self, p: int, out: int) -> int:
        return self._call(p, "xFileSize", X_FILESIZE, out)

    def _xLock(self, p: int, level: int) -> int:
        return self._call(p, "xLock", X_LOCK, level)

    def _xUnlock(self, p: int, level: int) -> int:
        return self._call(p, "xUnlock", X_LOCK, level)

    def _xCheckReservedLock(self, p: int, out: int) -> int:
        return self._call(p, "xCheckReservedLock", X_CHECK, out)

    def _xFileControl(self, p: int, op: int, arg: int) -> int:
        return self._call(p, "xFileControl", X_FCNTL, op, arg)

    def _xSectorSize(self, p: int) -> int:
        return self._call(p, "xSectorSize", X_INT)

    def _xDeviceCharacteristics(self, p: int) -> int:
        return self._call(p, "xDeviceCharacteristics", X_INT)

    def _xShmMap(self, p: int, page: int, size: int, extend: int, out: int) -> int:
        return self._call(p, "xShmMap", X_SHMMAP, page, size, extend, out)

    def _xShmLock(self, p: int, offset: int, n: int, flags: int) -> int:
        return self._call(p, "xShmLock", X_SHMLOCK, offset, n, flags)

    def _xShmBarrier(self, p: int) -> None:
        self._call(p, "xShmBarrier", X_SHMBARRIER)

    def _xShmUnmap(self, p: int, delete: int) -> int:
        return self._call(p, "xShmUnmap", X_SHMUNMAP, delete)

    # --- power cuts --------------------------------------------------------------------------

    def power_cut_image(self, path: str, target: Path, rng: random.Random, model: str) -> int:
        """Writes to `target` what `path` could hold after a power cut now; returns changes kept.

        model: "synced" keeps no unsynced change, "prefix" a random prefix of them, "subset" a
        random subset (the page cache may write back in any order), "subset-torn" the same with
        the last kept write cut at a 512-byte boundary.
        """
        content = bytearray(Path(path).read_bytes()) if os.path.exists(path) else bytearray()
        changes = list(self.tracked.get(path, Tracked()).unsynced)
        for change in reversed(changes):  # back to the last synced state
            if change.data is None:
                content[change.offset : change.offset] = change.old
            else:
                content[change.offset : change.offset + len(change.old)] = change.old
                del content[change.old_size :]
        if model == "synced":
            kept: list[Change] = []
        elif model == "prefix":
            kept = changes[: rng.randint(0, len(changes))]
        else:
            kept = [change for change in changes if rng.random() < 0.5]
        for i, change in enumerate(kept):
            if change.data is None:
                del content[change.offset :]
                continue
            data = change.data
            if model == "subset-torn" and i == len(kept) - 1 and len(data) > 512:
                data = data[: 512 * rng.randint(0, len(data) // 512 - 1)]
            if len(content) < change.offset:
                content.extend(bytes(change.offset - len(content)))
            content[change.offset : change.offset + len(data)] = data
        target.write_bytes(bytes(content))
        return len(kept)


def _loud(method: Callable[..., int | None], failure: int = 10) -> Callable[..., int | None]:
    """A ctypes callback must not raise: print the error and give SQLite an error code instead
    (SQLITE_IOERR by default) so that a bug in the shim shows as a failure, never as success."""

    def call(*args: object) -> int | None:
        try:
            return method(*args)
        except BaseException:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            return failure

    return call


_SIM: PowerSim | None = None


def power_sim() -> PowerSim:
    global _SIM
    if _SIM is None:
        _SIM = PowerSim()
    return _SIM
