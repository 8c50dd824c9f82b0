"""Disk full: a child process whose file-size limit (RLIMIT_FSIZE) is hit while writing.

With SIGXFSZ ignored, a write past the limit fails with EFBIG, which SQLite reports as an I/O
error, as it would report ENOSPC on a full disk ("database or disk is full"). The child writes
until the limit bites, keeps trying a few more times, then lifts the limit ("frees space") and
writes again, reporting every outcome; the parent then checks the log.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import edgerec
from tests.reliability.checks import LogReport, check_log, logged_ids
from tests.reliability.workload import batch_events, expected_ids, ui_event

# What a clear message names: the kind of failure and the file, so an operator can act on it.
CLEAR_WORDS = ("full", "space", "too large")


@dataclass
class DiskFullTrial:
    margin: int
    outcome: dict[str, Any]
    after: LogReport
    notes: list[str] = field(default_factory=list)

    @property
    def failed_writes(self) -> int:
        return len(self.outcome.get("failures", []))

    @property
    def resumed(self) -> bool:
        return bool(self.outcome.get("resumed_ok"))

    @property
    def clear_message(self) -> bool:
        messages = [failure["message"].lower() for failure in self.outcome.get("failures", [])]
        path = self.outcome.get("path", "").lower()
        return bool(messages) and all(any(word in m for word in CLEAR_WORDS) and path in m for m in messages)

    @property
    def ok(self) -> bool:
        """Failed cleanly (the limit was hit), nothing lost or half-written, and writing resumed."""
        return self.failed_writes > 0 and self.resumed and self.after.ok and not self.notes


def _child(path: Path, margin: int, run: str, out_fd: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        store = edgerec.open(path, upgrade=False)
        acked: list[list[int]] = [[], []]  # UI indexes, batch indexes
        for n in range(20):  # some history before the disk fills
            store.record(ui_event(run, n))
            acked[0].append(n)
        files = [path, Path(f"{path}-wal")]
        used = max(f.stat().st_size for f in files if f.exists())
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (used + margin, hard))
        failures: list[dict[str, Any]] = []
        n, b = 20, 0
        checkpoints = {"ok": 0, "failed": 0}
        while len(failures) < 3 and b < 5000:
            if b % 5 == 4:  # a periodic checkpoint grows the database file: it may hit the limit too
                try:
                    with store.engine.connect() as connection:
                        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    checkpoints["ok"] += 1
                except Exception:  # noqa: BLE001 - counted; the log must stay intact regardless
                    checkpoints["failed"] += 1
            try:
                if b % 3:
                    store.record(ui_event(run, n))
                    acked[0].append(n)
                    n += 1
                else:
                    store.record_many(batch_events(run, b))
                    acked[1].append(b)
                b += 1
            except Exception as error:  # noqa: BLE001 - this is what the test is about
                cause = getattr(error, "orig", error)
                failures.append(
                    {
                        "type": type(error).__name__,
                        "message": str(error),
                        "sqlite_errorname": getattr(cause, "sqlite_errorname", None),
                        "ui": n if b % 3 else None,
                        "batch": None if b % 3 else b,
                    }
                )
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space is freed
        resumed_ok = True
        try:
            for failure in failures:  # the writer retries what failed, then goes on
                if failure["ui"] is not None:
                    store.record(ui_event(run, failure["ui"]))
                    acked[0].append(failure["ui"])
                else:
                    store.record_many(batch_events(run, failure["batch"]))
                    acked[1].append(failure["batch"])
            store.record(ui_event(run, 10**6))
            acked[0].append(10**6)
        except Exception as error:  # noqa: BLE001
            resumed_ok = False
            failures.append({"type": type(error).__name__, "message": f"after freeing space: {error}"})
        store.close()
        outcome = {
            "acked": acked,
            "failures": failures,
            "resumed_ok": resumed_ok,
            "path": str(path),
            "checkpoints": checkpoints,
        }
        os.write(out_fd, json.dumps(outcome).encode())
    except BaseException:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        code = 1
    finally:
        os._exit(code)


def disk_full_trial(template: Path, folder: Path, rng: random.Random) -> DiskFullTrial:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "full.db"
    shutil.copy(template, path)
    margin = rng.choice([0, 512, 4096, 40_000, 200_000, 300_000])
    run = f"d{rng.randrange(10**9)}"
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        _child(path, margin, run, write_fd)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    outcome = json.loads(b"".join(chunks) or b"{}")
    acked = expected_ids(run, *outcome.get("acked", [[], []]))
    trial = DiskFullTrial(margin, outcome, check_log(path, acked))
    if status != 0:
        trial.notes.append(f"child exited with status {status}")
    logged = {event_id for _, event_id in logged_ids(path)} if not trial.after.integrity_errors else set()
    if logged - acked:
        trial.notes.append(f"{len(logged - acked)} events logged that were never acknowledged")
    return trial
