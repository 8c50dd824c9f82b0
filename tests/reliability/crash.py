"""Kill trials: writers in a child process are SIGKILLed at a random moment, then the log is checked.

The child appends from a UI-like writer (one `record` per event) and an importer-like writer
(`record_many` batches), as two threads of one process or as two processes, and writes one line
to a pipe after each call returns: that line is the acknowledgement. Optionally a third thread
checkpoints the WAL all the time, so kills also land inside checkpoints. The parent kills
everything, checks the log against the acknowledgements, then retries every unacknowledged
event (as a real writer would after a restart) and checks again.

Negative controls: broken UI-like writers the harness must catch.

- "write-behind" acknowledges an event when it is queued (at most 8 ahead) and a background
  thread records the queue every 20 ms: the classic "saved!" before it is. Must be caught in
  >= 90 %.
- "ack-before-record" acknowledges just before calling `record`. For a *process* crash an event
  is safe once SQLite has written its commit frame to the WAL (the kernel keeps it even if the
  process dies during the fsync that follows), so this bug is only visible when the kill lands
  between the acknowledgement and that write; its catch ratio is reported, not required.
"""

from __future__ import annotations

import os
import queue
import random
import select
import shutil
import signal
import sqlite3
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import edgerec
from tests.reliability.checks import LogReport, check_log, logged_ids
from tests.reliability.workload import batch_events, expected_ids, parse_batch, parse_ui, ui_event

MODES = ("threads", "processes")
BROKEN = ("write-behind", "ack-before-record")


def make_template(folder: Path) -> Path:
    """An empty, migrated store to copy for each trial (migrating each time would dominate)."""
    path = folder / "template.db"
    edgerec.open(path).close()
    return path


@dataclass
class KillTrial:
    mode: str
    broken: str | None
    checkpointer: bool
    ran_s: float
    acked: int
    writer_errors: list[str]
    after_kill: LogReport
    after_retry: LogReport | None = None
    retry_sent: int = 0
    retry_appended: int = 0
    retry_expected: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        """The harness saw something wrong (what a negative control must achieve)."""
        return not self.after_kill.ok

    @property
    def ok(self) -> bool:
        retry_ok = self.after_retry is not None and self.after_retry.ok
        return (
            self.after_kill.ok
            and retry_ok
            and not self.writer_errors
            and self.retry_appended == self.retry_expected
        )


# --- the child ---------------------------------------------------------------------------


def _child(path: Path, run: str, roles: tuple[str, ...], ack_fd: int, broken: str | None) -> None:
    """Runs in the forked child and never returns."""
    code = 0
    try:

        def ack(line: str) -> None:
            os.write(ack_fd, (line + "\n").encode())  # < PIPE_BUF: atomic between threads

        # A short GIL switch interval lets a writer thread resume as soon as SQLite returns,
        # so kills land at more varied points between the two writers.
        sys.setswitchinterval(0.0002)
        store = edgerec.open(path, upgrade=False)  # the template is at head already

        def ui() -> None:
            n = 0
            while True:
                event = ui_event(run, n)
                if broken == "ack-before-record":
                    ack(f"u {n}")  # the bug under test: acknowledged before it is durable
                store.record(event)
                if broken is None:
                    ack(f"u {n}")
                n += 1

        outbox: queue.Queue[int] = queue.Queue(maxsize=8)

        def ui_write_behind() -> None:
            n = 0
            while True:
                outbox.put(n)
                ack(f"u {n}")  # the bug under test: "saved" once queued
                n += 1

        def flusher() -> None:
            while True:
                # Flushed every 20 ms, as write-behind caches do: the queue holds acknowledged
                # events most of the time even on a loaded machine, where a flusher that
                # drained it at once was sometimes caught with nothing pending.
                time.sleep(0.02)
                pending = [outbox.get()]
                while not outbox.empty():
                    pending.append(outbox.get())
                store.record_many([ui_event(run, n) for n in pending])

        def importer() -> None:
            b = 0
            while True:
                store.record_many(batch_events(run, b))
                ack(f"b {b}")
                b += 1

        def checkpointer() -> None:
            connection = sqlite3.connect(path, timeout=30, isolation_level=None)
            modes = ["PASSIVE"] * 8 + ["RESTART", "TRUNCATE"]
            rng = random.Random(run)
            while True:
                connection.execute(f"PRAGMA wal_checkpoint({rng.choice(modes)})").fetchall()
                time.sleep(0.005)

        def guarded(role: str, target):  # type: ignore[no-untyped-def]
            def run_() -> None:
                try:
                    ack(f"R {role}")
                    target()
                except BaseException as error:  # noqa: BLE001 - every error is a finding
                    ack(f"E {type(error).__name__}: {str(error)[:200]}".replace("\n", " "))

            return run_

        targets = {"ui": ui, "importer": importer, "checkpointer": checkpointer, "flusher": flusher}
        if broken == "write-behind":
            targets["ui"] = ui_write_behind
            roles = (*roles, "flusher") if "ui" in roles else roles
        threads = [threading.Thread(target=guarded(role, targets[role]), daemon=True) for role in roles]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        code = 1
    finally:
        os._exit(code)


# --- the parent --------------------------------------------------------------------------


def _read_lines(fd: int, buffer: bytearray, until: float | None, *, first: bool = False) -> list[str]:
    """Reads whole lines until the deadline (None: until end of file; `first`: until any line)."""
    lines: list[str] = []
    while True:
        timeout = None if until is None else max(0.0, until - time.monotonic())
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer.extend(chunk)
        *complete, rest = buffer.split(b"\n")
        lines += [line.decode() for line in complete]
        buffer[:] = rest
        if first and lines:
            break
    return lines


def kill_trial(
    template: Path,
    folder: Path,
    rng: random.Random,
    *,
    mode: str = "threads",
    broken: str | None = None,
    checkpointer: bool = False,
    max_delay_s: float = 0.25,
) -> KillTrial:
    """One trial: copy the template, write, SIGKILL at a random moment, check, retry, check."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "trial.db"
    shutil.copy(template, path)
    run = f"r{rng.randrange(10**9)}"
    groups: list[tuple[str, ...]] = [("ui", "importer")] if mode == "threads" else [("ui",), ("importer",)]
    if checkpointer:
        groups[0] = (*groups[0], "checkpointer")
    read_fd, write_fd = os.pipe()
    pids = []
    for roles in groups:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_fd)
            _child(path, run, roles, write_fd, broken)
        pids.append(pid)
    os.close(write_fd)
    started = time.monotonic()
    buffer = bytearray()
    lines: list[str] = []
    # The random moment counts from when every writer has started its loop.
    roles = sum(len(group) for group in groups) + (broken == "write-behind")
    while sum(line.startswith("R ") for line in lines) < roles and time.monotonic() < started + 10:
        lines += _read_lines(read_fd, buffer, started + 10, first=True)
    lines += _read_lines(read_fd, buffer, time.monotonic() + rng.uniform(0.0, max_delay_s))
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        os.waitpid(pid, 0)
    ran = time.monotonic() - started
    lines += _read_lines(read_fd, buffer, None)
    os.close(read_fd)

    acked_ui = [int(line[2:]) for line in lines if line.startswith("u ")]
    acked_batches = [int(line[2:]) for line in lines if line.startswith("b ")]
    errors = [line[2:] for line in lines if line.startswith("E ")]
    acked = expected_ids(run, acked_ui, acked_batches)
    trial = KillTrial(mode, broken, checkpointer, ran, len(acked), errors, check_log(path, acked))
    if trial.after_kill.integrity_errors:
        return trial
    _retry(trial, path, run, acked_ui, acked_batches)
    return trial


def _retry(trial: KillTrial, path: Path, run: str, acked_ui: list[int], acked_batches: list[int]) -> None:
    """Re-sends every unacknowledged event, as a restarted writer that kept its outbox would."""
    before = {event_id for _, event_id in logged_ids(path)}
    ui_seen = [parsed[1] for parsed in map(parse_ui, before) if parsed] + acked_ui
    batches_seen = [parsed.batch for parsed in map(parse_batch, before) if parsed] + acked_batches
    ui_todo = sorted(set(range(max(ui_seen, default=-1) + 2)) - set(acked_ui))
    batches_todo = sorted(set(range(max(batches_seen, default=-1) + 2)) - set(acked_batches))
    resent = expected_ids(run, ui_todo, batches_todo)
    with edgerec.open(path) as store:
        head = store.head()
        for n in ui_todo:
            store.record(ui_event(run, n))
        for b in batches_todo:
            store.record_many(batch_events(run, b))
        trial.retry_appended = store.head() - head
    trial.retry_sent = len(resent)
    trial.retry_expected = len(resent - before)
    everything = expected_ids(run, acked_ui, acked_batches) | resent
    trial.after_retry = check_log(path, everything)
    if trial.after_retry.logged != len(everything | before):
        trial.after_retry.duplicates += trial.after_retry.logged - len(everything | before)
