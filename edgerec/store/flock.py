"""Waiting for an exclusive `flock` while saying so, and the record a holder leaves in its lock
file for those that wait: the locks that make a store's writers, trainers and imports take
turns."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from contextlib import suppress


def lock_when_free(fd: int, blocked: Callable[[], None], poll_s: float) -> None:
    """Takes an exclusive lock on the open file `fd`. While another process holds it, `blocked`
    is called (to say so, or to raise and give up), then it is tried again after `poll_s`."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            blocked()
            time.sleep(poll_s)


def name_holder(fd: int, doing: str) -> None:
    """Writes this process's id and what it does ("a rebuild") in the lock file `fd`, which it
    holds, for the messages of those that wait (a full disk has no room for it: they say less)."""
    with suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {doing}".encode(), 0)


def holder_named(fd: int) -> str:
    """The record `name_holder` left in the lock file `fd` ("" where none did)."""
    return os.pread(fd, 64, 0).decode(errors="replace")
