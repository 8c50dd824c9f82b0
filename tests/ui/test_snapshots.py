"""Snapshot tests of the main screens at 80x24, with a fixed shop, seed and clock.

Update after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update`,
then look at the SVGs under tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from edgerec.api import Store
from edgerec.ui.app import ConsoleApp
from edgerec.ui.clock import FixedClock
from edgerec.ui.kiosk import KioskApp, KioskScreen
from edgerec.ui.screens import trainer
from edgerec.ui.widgets.recs import RecommendationsPanel
from edgerec.ui.widgets.tables import EventTail, ItemTable
from tests.ui.ui_shop import screen_text, until

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def fixed_device(monkeypatch: pytest.MonkeyPatch) -> None:
    # The machine's accelerator is not part of what the screen should look like.
    monkeypatch.setattr(trainer, "compute_device", lambda: "CPU (no CUDA device)")


def console(store: Store, tmp_path: Path, start: str) -> ConsoleApp:
    return ConsoleApp(store, start=start, seed=11, clock=FixedClock(), log_path=tmp_path / "ui.log")


def matches_snapshot(snap_compare: Any, app: Any, run_before: Callable[[Any], Any] | None = None) -> None:
    """Compares the settled screen with its snapshot; a mismatch also prints the screen as text."""
    shown: list[str] = []

    async def capture(pilot: Any) -> None:
        await (run_before or steady)(pilot)
        shown.append(screen_text(pilot.app))

    assert snap_compare(app, terminal_size=SIZE, run_before=capture), (
        "the screen differs from its snapshot (the report shows both); it showed:\n" + "\n".join(shown)
    )


def settle(condition: Callable[[Any], bool]) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        await until(pilot, lambda: condition(pilot.app))
        await steady(pilot)

    return run_before


async def steady(pilot: Any, *, calm: float = 0.5, timeout: float = 30.0) -> None:
    """Waits until the screen has looked the same for `calm` seconds.

    A table that just received its rows lays its columns out and scrolls to its cursor over
    the next few refreshes; on a busy machine a fixed pause had ended before they did. The text
    boxes' cursors stop blinking first: each blink changed the screen, and a busy machine's
    timing left no half second without one.
    """
    for box in pilot.app.screen.query(Input):  # a focused box's cursor blinks twice a second
        box.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    started = changed = time.monotonic()
    last = frame(pilot.app)
    while time.monotonic() - changed < calm:
        assert time.monotonic() - started < timeout, f"the screen kept changing for {timeout} s"
        await pilot.pause(0.05)
        now = frame(pilot.app)
        if now != last:
            last, changed = now, time.monotonic()


def frame(app: Any) -> list[list[tuple[str, str]]]:
    """What the terminal shows now, with each run of text's style."""
    strips = app.screen._compositor.render_strips()
    return [[(segment.text, str(segment.style)) for segment in strip] for strip in strips]


def test_home(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        # The counts line loads apart from the two tables; on a busy machine it came after them.
        screen = app.screen
        counted = "quarantined" in str(screen.query_one("#home-stats", Static).render())
        tables = screen.query_one(ItemTable).row_count > 0 and screen.query_one(EventTail).row_count > 0
        return counted and tables

    matches_snapshot(snap_compare, console(shop_store, tmp_path, "home"), settle(loaded))


def test_live_session_after_actions(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        panel = pilot.app.screen.query_one(RecommendationsPanel)
        items = pilot.app.screen.query_one(ItemTable)
        await until(pilot, lambda: panel.painted_generation >= 1 and items.row_count > 0)
        for keys in (("c", *"cust-04", "enter"), ("down", "enter"), ("a",)):
            before = panel.painted_generation
            await pilot.press(*keys)
            await until(pilot, lambda: panel.painted_generation > before)  # noqa: B023
        await steady(pilot)

    matches_snapshot(snap_compare, console(shop_store, tmp_path, "live"), run_before)


def test_customers(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        return getattr(app.screen, "view", None) is not None

    matches_snapshot(snap_compare, console(shop_store, tmp_path, "customers"), settle(loaded))


def test_event_log(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        return app.screen.query_one(EventTail).row_count > 0

    matches_snapshot(snap_compare, console(shop_store, tmp_path, "events"), settle(loaded))


def test_catalogue(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        return app.screen.query_one(ItemTable).row_count > 0

    matches_snapshot(snap_compare, console(shop_store, tmp_path, "catalogue"), settle(loaded))


def test_trainer(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        return getattr(app.screen, "last", None) is not None and app.screen.device != "checking…"

    matches_snapshot(snap_compare, console(shop_store, tmp_path, "trainer"), settle(loaded))


def test_import(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    matches_snapshot(snap_compare, console(shop_store, tmp_path, "import"))


def test_kiosk(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    app = KioskApp(
        shop_store,
        store_id="kiosk-entrance",
        idle_seconds=600,
        seed=11,
        clock=FixedClock(),
        log_path=tmp_path / "ui.log",
    )

    def loaded(app: Any) -> bool:
        return isinstance(app.screen, KioskScreen) and app.screen.tiles_shown >= 1

    matches_snapshot(snap_compare, app, settle(loaded))
