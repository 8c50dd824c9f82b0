"""The import's read-ahead thread: same items in the same order, errors and early stops handled."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from edgerec.ingest.prefetch import prefetched


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "edgerec-prefetch"]


def test_yields_every_item_in_order_and_runs_ahead() -> None:
    produced: list[int] = []

    def numbers() -> Iterator[int]:
        for n in range(50):
            produced.append(n)
            yield n

    out = []
    for n in prefetched(numbers()):
        out.append(n)
        if n == 0:
            # While the first item is being consumed, the thread prepares the next one.
            while len(produced) < 2:
                threading.Event().wait(0.001)
    assert out == list(range(50))
    assert not _workers()


def test_an_error_in_the_producer_is_raised_in_the_consumer_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("bad chunk")

    seen = []
    with pytest.raises(ValueError, match="bad chunk"):
        for n in prefetched(failing()):
            seen.append(n)
    assert seen == [1, 2]
    assert not _workers()


def test_stopping_early_stops_the_thread() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    items = prefetched(endless(), depth=2)
    assert next(items) == 0
    items.close()  # what a break or an exception in the consumer does
    assert not _workers()
    assert len(produced) <= 5  # the thread stopped instead of running on
