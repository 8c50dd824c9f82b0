"""Snapshot tests of the main screens at 80x24, with a fixed shop, seed and clock.

Update after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update`,
then look at the SVGs under tests/ui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from edgerec.api import Store
from edgerec.ui.app import ConsoleApp
from edgerec.ui.clock import FixedClock
from edgerec.ui.kiosk import KioskApp, KioskScreen
from edgerec.ui.screens import trainer
from edgerec.ui.widgets.recs import RecommendationsPanel
from edgerec.ui.widgets.tables import EventTail, ItemTable
from tests.ui.ui_shop import until

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def fixed_device(monkeypatch: pytest.MonkeyPatch) -> None:
    # The machine's accelerator is not part of what the screen should look like.
    monkeypatch.setattr(trainer, "compute_device", lambda: "CPU (no CUDA device)")


def console(store: Store, tmp_path: Path, start: str) -> ConsoleApp:
    return ConsoleApp(store, start=start, seed=11, clock=FixedClock(), log_path=tmp_path / "ui.log")


def settle(condition: Callable[[Any], bool]) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        await until(pilot, lambda: condition(pilot.app))
        # Let a table that just received its rows lay its columns out again before the capture.
        await pilot.pause(0.3)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.1)

    return run_before


def test_home(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        # The counts line loads apart from the two tables; on a busy machine it came after them.
        screen = app.screen
        counted = "quarantined" in str(screen.query_one("#home-stats", Static).render())
        tables = screen.query_one(ItemTable).row_count > 0 and screen.query_one(EventTail).row_count > 0
        return counted and tables

    assert snap_compare(console(shop_store, tmp_path, "home"), terminal_size=SIZE, run_before=settle(loaded))


def test_live_session_after_actions(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        panel = pilot.app.screen.query_one(RecommendationsPanel)
        items = pilot.app.screen.query_one(ItemTable)
        await until(pilot, lambda: panel.painted_generation >= 1 and items.row_count > 0)
        for keys in (("c", *"cust-04", "enter"), ("down", "enter"), ("a",)):
            before = panel.painted_generation
            await pilot.press(*keys)
            await until(pilot, lambda: panel.painted_generation > before)  # noqa: B023
        await pilot.pause(0.1)

    assert snap_compare(console(shop_store, tmp_path, "live"), terminal_size=SIZE, run_before=run_before)


def test_customers(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        return getattr(app.screen, "view", None) is not None

    assert snap_compare(
        console(shop_store, tmp_path, "customers"), terminal_size=SIZE, run_before=settle(loaded)
    )


def test_event_log(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        return app.screen.query_one(EventTail).row_count > 0

    assert snap_compare(
        console(shop_store, tmp_path, "events"), terminal_size=SIZE, run_before=settle(loaded)
    )


def test_catalogue(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        return app.screen.query_one(ItemTable).row_count > 0

    assert snap_compare(
        console(shop_store, tmp_path, "catalogue"), terminal_size=SIZE, run_before=settle(loaded)
    )


def test_trainer(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    def loaded(app: Any) -> bool:
        return getattr(app.screen, "last", None) is not None and app.screen.device != "checking…"

    assert snap_compare(
        console(shop_store, tmp_path, "trainer"), terminal_size=SIZE, run_before=settle(loaded)
    )


def test_import(snap_compare: Any, shop_store: Store, tmp_path: Path) -> None:
    assert snap_compare(console(shop_store, tmp_path, "import"), terminal_size=SIZE)


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

    assert snap_compare(app, terminal_size=SIZE, run_before=settle(loaded))
