"""Exports SVG screenshots of the main screens on the demo shop, for the README.

    .venv/bin/python -m edgerec.ui.screenshots docs/screenshots

Everything is fixed (demo seed, clock, terminal size), so the files change only when the
screens do.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import edgerec
from edgerec.demo import seed_demo_store
from edgerec.ui.app import ConsoleApp
from edgerec.ui.clock import FixedClock
from edgerec.ui.kiosk import KioskApp, KioskScreen
from edgerec.ui.widgets.recs import RecommendationsPanel

SIZE = (120, 34)
DEMO_NOW = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)


async def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    waited = 0.0
    while not condition():
        if waited > timeout:
            raise TimeoutError("the screen did not settle")
        await asyncio.sleep(0.05)
        waited += 0.05


async def _shoot(app: Any, out: Path, name: str, ready: Callable[[Any], bool], play: Any = None) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await _until(lambda: ready(app))
        if play is not None:
            await play(pilot)
        await pilot.pause(0.3)
        (out / f"{name}.svg").write_text(app.export_screenshot(title=f"edgerec · {name}"))
    print(out / f"{name}.svg")


def _loaded(app: Any) -> bool:
    from textual.widgets import DataTable

    tables = list(app.screen.query(DataTable))
    return bool(tables) and all(t.row_count > 0 for t in tables[:1])


async def _live(pilot: Any) -> None:
    panel = pilot.app.screen.query_one(RecommendationsPanel)
    customer = pilot.app.services.shop.customers(limit=1)[0].user_id
    for keys in (("c", *customer, "enter"), ("down", "enter"), ("a",), ("down", "down", "enter")):
        before = panel.painted_generation
        await pilot.press(*keys)
        await _until(lambda: panel.painted_generation > before)  # noqa: B023


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = edgerec.open(Path(tmp) / "demo.db")
        seed_demo_store(store, seed=7, now=DEMO_NOW)

        def console(start: str) -> ConsoleApp:
            clock = FixedClock(DEMO_NOW + timedelta(minutes=5))
            return ConsoleApp(store, start=start, seed=7, clock=clock, log_path=None)

        await _shoot(console("home"), out, "home", _loaded)
        await _shoot(
            console("live"),
            out,
            "live",
            lambda app: app.screen.query_one(RecommendationsPanel).painted_generation > 0,
            _live,
        )
        await _shoot(console("customers"), out, "customers", lambda app: app.screen.view is not None)
        await _shoot(console("events"), out, "events", _loaded)
        await _shoot(console("catalogue"), out, "catalogue", _loaded)
        await _shoot(
            console("trainer"),
            out,
            "trainer",
            lambda app: app.screen.last is not None and app.screen.device != "checking…",
        )
        await _shoot(console("import"), out, "import", lambda app: True)
        kiosk = KioskApp(
            store,
            store_id="kiosk-entrance",
            idle_seconds=600,
            seed=7,
            clock=FixedClock(DEMO_NOW + timedelta(minutes=5)),
            log_path=None,
        )
        await _shoot(
            kiosk,
            out,
            "kiosk",
            lambda app: isinstance(app.screen, KioskScreen) and app.screen.tiles_shown > 0,
        )
        store.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
