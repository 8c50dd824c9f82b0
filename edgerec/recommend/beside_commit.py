"""A thread that works while a commit waits for the disk.

A commit's sync to disk releases the interpreter lock, so a job handed to another thread just
before the commit runs during the wait: `Store.record` then `Recommender.recommend` take about
as long as the slower of the two instead of both. Handed over any earlier, the job would fight
the statements before the commit for the lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any


class BesideCommit:
    """One job at a time on a thread of its own: `start` it, then collect its `result`."""

    def __init__(self) -> None:
        self._go = threading.Event()
        self._done = threading.Event()
        self._job: Callable[[], Any] | None = None
        self._outcome: tuple[bool, Any] = (False, None)
        self._thread: threading.Thread | None = None
        self._pid = 0

    def start(self, job: Callable[[], Any]) -> None:
        if self._job is not None:
            raise RuntimeError("the previous job's result was not collected")
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            # A forked child has the object but not the thread: it starts its own.
            self._go, self._done = threading.Event(), threading.Event()
            self._thread = threading.Thread(target=self._serve, name="edgerec-beside-commit", daemon=True)
            self._pid = os.getpid()
            self._thread.start()
        self._job = job
        self._done.clear()
        self._go.set()

    @property
    def started(self) -> bool:
        return self._job is not None

    def result(self) -> Any:
        """Waits for the job; returns what it returned, or raises what it raised."""
        if self._job is None:
            raise RuntimeError("no job was started")
        self._done.wait()
        self._job = None
        ok, value = self._outcome
        self._outcome = (False, None)
        if not ok:
            raise value
        return value

    def _serve(self) -> None:
        go, done = self._go, self._done
        while True:
            go.wait()
            go.clear()
            job = self._job
            assert job is not None
            try:
                self._outcome = (True, job())
            except BaseException as error:  # noqa: BLE001 - handed to the caller by `result`
                self._outcome = (False, error)
            done.set()
