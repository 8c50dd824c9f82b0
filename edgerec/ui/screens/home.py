"""The first screen: what the store holds, the catalogue, and the event log as it grows."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from edgerec.ui.screens.base import ConsoleScreen
from edgerec.ui.widgets.footer import KeyFooter
from edgerec.ui.widgets.nav import NavBar
from edgerec.ui.widgets.tables import EventTail, ItemTable


class HomeScreen(ConsoleScreen):
    MODE = "home"
    BINDINGS = [("r", "refresh", "Refresh")]

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE)
        yield Static("", id="home-stats", classes="status-line")
        with Horizontal(id="home-body"):
            with Vertical(id="home-catalogue", classes="pane"):
                yield Label("Catalogue (most popular first)", classes="pane-title")
                yield ItemTable(id="home-items")
            with Vertical(id="home-events", classes="pane"):
                yield Label("Event log (live)", classes="pane-title")
                yield EventTail(compact=True, id="home-tail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.set_interval(2.0, self._refresh_stats)

    def on_screen_resume(self) -> None:
        # Each time the screen shows (its first time too): an import or the Catalogue screen
        # may have listed items meanwhile.
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load("items", lambda: self.shop.items(limit=300))
        self._refresh_stats()

    def _refresh_stats(self) -> None:
        self.load("stats", self.store.stats)

    def show_items(self, items: list[Any]) -> None:
        self.query_one(ItemTable).show_items(items)

    def show_stats(self, stats: dict[str, Any]) -> None:
        projections = stats.get("projections", {})
        line = (
            f"{stats['listed_items']:,} items listed · {projections.get('users', 0):,} customers · "
            f"{stats['events']:,} events · head #{stats['head']:,} · "
            f"{stats['quarantined']:,} quarantined · recs: {self.suggester.name}"
        )
        if not stats["events"]:
            line = "An empty store: import a file (F7) or add items (F5) to begin."
        self.query_one("#home-stats", Static).update(line)
