"""When Python's cyclic garbage collector runs, for the three kinds of work edgerec does.

- Bulk appends allocate millions of short-lived, acyclic rows; the collector would scan them
  again and again (a third of the CPU time of an import) while finding nothing: it is paused.
- A long-lived process (the console, the kiosk, a serving recommender) builds a large state
  at start-up; each full pass would walk it again, pausing whichever request triggered it for
  tens of milliseconds (100-250 ms measured with the console's state). That state is frozen
  out of the collector's sight once loaded; frozen objects still die by reference counting.
- Between a shopper's actions, the screens run the full pass CPython would soon start on its
  own, so that it does not land between a key press and the suggestions on screen.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """Pauses the cyclic collector for a block of bulk work (unless `pause` is False)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def settle_heap() -> None:
    """Collects once, then hides everything alive now (long-lived) from later passes."""
    gc.collect()
    gc.freeze()


def collect_between_actions() -> bool:
    """Runs a full pass if one is half way due by CPython's own count; True if it ran.

    CPython starts a full pass after `threshold[2]` collections of the middle generation;
    running it here at half that keeps the automatic one from landing inside an action.
    """
    middle_passes = gc.get_count()[2]
    if middle_passes < max(1, gc.get_threshold()[2] // 2):
        return False
    gc.collect()
    return True
