"""When the cyclic garbage collector runs: its full passes between a shopper's actions.

A full pass walks every object the collector tracks. With the recommender's state loaded that
took 100-250 ms on a 2-core machine, and CPython starts one whenever enough objects have
survived, often between a key press and the suggestions on screen. So the objects start-up
built are frozen out of the collector's sight, and the screens that record actions run the
pass CPython would soon start on its own once an action's list is on screen.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
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
