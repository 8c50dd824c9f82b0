"""Random keys, clicks and terminal sizes on every console screen and on the kiosk: the app
keeps running, no error other than a refused input is ever reported, and every event it
recorded is in the log."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from edgerec.api import Store
from edgerec.ui.app import BaseApp, ConsoleApp
from edgerec.ui.clock import FixedClock
from edgerec.ui.kiosk import KioskApp
from edgerec.ui.screens import SCREENS
from edgerec.ui.screens.customers import CustomersScreen
from tests.ui.ui_shop import until

NAVIGATION = ["up", "down", "left", "right", "tab", "shift+tab", "enter", "escape", "pageup", "pagedown"]
NAVIGATION += ["home", "end", "space", "backspace", "delete"]
PRINTABLE = list("abcdefghijklmnopqrstuvwxyzRNS0123456789-./,;'\"") + ["slash", "question_mark"]
# Not ctrl+p: the command palette lists "Quit", which a random click may well choose.
CONTROL = ["ctrl+r", "ctrl+g", "ctrl+s", "ctrl+l", "ctrl+t"]
SCREEN_KEYS = [entry.key for entry in SCREENS]
STEPS = 150


class Watched:
    """The app's notifications and recorded positions, seen from outside."""

    def __init__(self, app: BaseApp) -> None:
        self.errors: list[str] = []
        self.positions: list[int] = []
        notify, record = app.notify, app.services.record

        def watched_notify(message: str, *args: Any, severity: str = "information", **kwargs: Any) -> None:
            if severity == "error":
                self.errors.append(f"{kwargs.get('title', '')}: {message}")
            notify(message, *args, severity=severity, **kwargs)

        def watched_record(event: Any) -> int:
            position = record(event)
            self.positions.append(position)
            return position

        app.notify = watched_notify  # type: ignore[method-assign]
        app.services.record = watched_record  # type: ignore[method-assign]


def _key(rng: random.Random, screen_keys: list[str]) -> str:
    pool = rng.choices([NAVIGATION, PRINTABLE, CONTROL, screen_keys], weights=[5, 5, 1, 1])[0]
    return rng.choice(pool) if pool else rng.choice(NAVIGATION)


async def _monkey(app: BaseApp, store: Store, seed: int, screen_keys: list[str]) -> Watched:
    rng = random.Random(seed)
    watched = Watched(app)
    head = store.head()
    size = (100, 32)
    async with app.run_test(size=size) as pilot:
        for _ in range(STEPS):
            roll = rng.random()
            if roll < 0.03:  # a terminal resized, down to a sliver
                size = (rng.randrange(1, 160), rng.randrange(1, 50))
                await pilot.resize_terminal(*size)
            elif roll < 0.18:
                await pilot.click(offset=(rng.randrange(size[0]), rng.randrange(size[1])))
            else:
                await pilot.press(_key(rng, screen_keys))
            await pilot.pause(0.01)
            assert app.is_running, "the app stopped"
        await pilot.pause(0.5)
    assert app.return_code in (None, 0), app.return_code
    assert watched.errors == [], watched.errors
    logged = [e.position for e in store.read(since=head)]
    assert set(watched.positions) <= set(logged), "an acknowledged event is not in the log"
    return watched


def _log_has_no_crash(log: Path) -> None:
    text = log.read_text() if log.exists() else ""
    assert "CRITICAL" not in text, text[-3000:]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_keys_and_clicks_on_the_console(shop_store: Store, tmp_path: Path, seed: int) -> None:
    log = tmp_path / "ui.log"
    app = ConsoleApp(shop_store, start="live", seed=seed, clock=FixedClock(), log_path=log)
    asyncio.run(_monkey(app, shop_store, seed, SCREEN_KEYS))
    _log_has_no_crash(log)


def test_random_keys_and_clicks_on_the_kiosk(shop_store: Store, tmp_path: Path) -> None:
    log = tmp_path / "ui.log"
    app = KioskApp(shop_store, store_id="kiosk-1", idle_seconds=600, seed=4, clock=FixedClock(), log_path=log)
    watched = asyncio.run(_monkey(app, shop_store, 4, []))
    _log_has_no_crash(log)
    assert watched.positions, "no tap was recorded"


def test_a_highlight_without_a_row_key_is_ignored(shop_store: Store, tmp_path: Path) -> None:
    """Found by the random keys: Textual can highlight a row it has no key for yet (while the
    customers table is refilled), and the customers screen stopped the app on it."""

    async def scenario() -> None:
        app = ConsoleApp(
            shop_store, start="customers", seed=1, clock=FixedClock(), log_path=tmp_path / "ui.log"
        )
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            await until(pilot, lambda: screen.current is not None, what="the first customer")
            table = screen.query_one("#customers-table", DataTable)
            shown = screen.current
            table.post_message(DataTable.RowHighlighted(table, 0, None))  # type: ignore[arg-type]
            await pilot.pause(0.2)
            assert app.is_running and screen.current == shown

    asyncio.run(scenario())
    _log_has_no_crash(tmp_path / "ui.log")
