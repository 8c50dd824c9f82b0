"""Waiting for an exclusive `flock` while saying so: the locks that make a store's trainers and
its imports take turns."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable


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
