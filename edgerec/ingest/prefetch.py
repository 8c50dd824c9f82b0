"""Runs an iterator one step ahead in a background thread.

An import reads and cleans the next chunk while the store writes the current one: SQLite
releases the GIL while it steps through statements and syncs, so the two overlap on two cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yields what `items` yields, computing up to `depth` items ahead in another thread.

    An exception in `items` is raised here, at the item it replaced. Stopping early (break,
    an exception in the consumer) stops the thread after the item it is working on.
    """
    ready: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(ready, (item, None), stop):
                    return
            _put(ready, (_DONE, None), stop)
        except BaseException as exc:  # handed to the consumer, raised there
            _put(ready, (_DONE, exc), stop)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a reader stopped early closes its file now, not at garbage collection

    worker = threading.Thread(target=produce, name="edgerec-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def _put(
    ready: queue.Queue[tuple[object, BaseException | None]],
    entry: tuple[object, BaseException | None],
    stop: threading.Event,
) -> bool:
    """Puts `entry` unless the consumer has stopped; returns whether it was put."""
    while not stop.is_set():
        try:
            ready.put(entry, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
