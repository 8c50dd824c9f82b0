"""Concurrency soak: a UI-like writer, an importer-like batch writer, a trainer-like tailing reader
and a console-like stats reader, each in its own process, on one store for S seconds.

It counts "database is locked"/busy errors that reach the caller (must be 0), positions a
tailing reader skipped or saw out of order (must be 0), and samples the size of the -wal file
to show whether it stays bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import edgerec
from edgerec.store.engine import JOURNAL_SIZE_LIMIT
from tests.reliability.checks import LogReport, check_log
from tests.reliability.workload import batch_events, ui_event

ROLES = ("ui", "importer", "trainer", "console")
IMPORT_BATCHES = 20  # record_many batches of ~7 events are glued into one call of ~140


@dataclass
class SoakResult:
    seconds: float
    roles: dict[str, dict[str, Any]]
    wal_samples: list[tuple[float, int]]
    after: LogReport
    notes: list[str] = field(default_factory=list)

    @property
    def lock_errors(self) -> int:
        return sum(role.get("lock_errors", 0) for role in self.roles.values())

    @property
    def other_errors(self) -> int:
        return sum(role.get("other_errors", 0) for role in self.roles.values())

    @property
    def skipped_positions(self) -> int:
        return sum(role.get("skipped", 0) + role.get("out_of_order", 0) for role in self.roles.values())

    @property
    def wal_max_bytes(self) -> int:
        return max((size for _, size in self.wal_samples), default=0)

    @property
    def wal_bounded(self) -> bool:
        """Under the store's size limit, and no trend in the second half.

        Between checkpoints the WAL holds up to the auto-checkpoint's 1,000 pages plus the
        largest transaction, so its high-water mark wobbles by a batch or two; growth beyond
        that slack, or past the store's journal size limit, is what unbounded looks like.
        """
        if not self.wal_samples:
            return True
        half = self.wal_samples[len(self.wal_samples) // 2][0]
        first = max((s for t, s in self.wal_samples if t <= half), default=0)
        second = max((s for t, s in self.wal_samples if t > half), default=0)
        slack = 2 * 1024 * 1024
        return self.wal_max_bytes <= JOURNAL_SIZE_LIMIT and second <= max(first, 4 * 1024 * 1024) + slack

    @property
    def events(self) -> int:
        return self.after.logged


def _is_lock_error(error: BaseException) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _role(path: Path, role: str, run: str, seconds: float) -> dict[str, Any]:
    stats: dict[str, Any] = {"role": role, "ops": 0, "lock_errors": 0, "other_errors": 0, "errors": []}
    latencies: list[float] = []
    store = edgerec.open(path, upgrade=False)
    deadline = time.monotonic() + seconds
    n = since = 0
    if role == "trainer":
        stats.update(skipped=0, out_of_order=0, seen=0)
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            if role == "ui":
                store.record(ui_event(run, n))
                time.sleep(0.002)  # a busy kiosk: hundreds of taps a second
            elif role == "importer":
                batch = [
                    e
                    for b in range(n * IMPORT_BATCHES, (n + 1) * IMPORT_BATCHES)
                    for e in batch_events(run, b)
                ]
                store.record_many(batch)
            elif role == "trainer":
                rows = store.read(since=since, limit=500)
                for row in rows:
                    if row.position == since + 1:
                        pass
                    elif row.position > since + 1:
                        stats["skipped"] += row.position - since - 1
                    else:
                        stats["out_of_order"] += 1
                    since = max(since, row.position)
                stats["seen"] += len(rows)
                if not rows:
                    time.sleep(0.005)
            else:  # console
                store.stats()
                time.sleep(0.05)
            n += 1
            stats["ops"] += 1
        except Exception as error:  # noqa: BLE001 - every error is a finding
            key = "lock_errors" if _is_lock_error(error) else "other_errors"
            stats[key] += 1
            if len(stats["errors"]) < 5:
                stats["errors"].append(f"{type(error).__name__}: {str(error)[:200]}")
        latencies.append(time.perf_counter() - started)
    store.close()
    if latencies:
        latencies.sort()
        stats["p50_ms"] = round(statistics.median(latencies) * 1000, 2)
        stats["p99_ms"] = round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2)
        stats["max_ms"] = round(latencies[-1] * 1000, 2)
    return stats


def soak(template: Path, folder: Path, seconds: float, *, sample_every: float = 0.1) -> SoakResult:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "soak.db"
    shutil.copy(template, path)
    wal = Path(f"{path}-wal")
    children: dict[int, tuple[str, int]] = {}
    for role in ROLES:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_fd)
            code = 0
            try:
                os.write(write_fd, json.dumps(_role(path, role, "soak", seconds)).encode())
            except BaseException:  # noqa: BLE001
                traceback.print_exc(file=sys.stderr)
                code = 1
            finally:
                os._exit(code)
        os.close(write_fd)
        children[pid] = (role, read_fd)
    started = time.monotonic()
    samples: list[tuple[float, int]] = []
    alive = set(children)
    while alive:
        alive = {pid for pid in alive if os.waitpid(pid, os.WNOHANG) == (0, 0)}
        samples.append((time.monotonic() - started, wal.stat().st_size if wal.exists() else 0))
        time.sleep(sample_every)
        if time.monotonic() - started > seconds + 120:  # a hung child: kill it, report it
            for pid in alive:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            break
    roles: dict[str, dict[str, Any]] = {}
    for role, fd in children.values():
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        os.close(fd)
        roles[role] = json.loads(b"".join(chunks) or b'{"other_errors": 1, "errors": ["child died"]}')
    elapsed = time.monotonic() - started
    trainer = roles.get("trainer", {})
    after = check_log(path, [])
    result = SoakResult(elapsed, roles, samples, after)
    if trainer.get("seen", 0) and after.logged and trainer.get("seen", 0) > after.logged:
        result.notes.append("trainer saw more rows than the log holds")
    return result
