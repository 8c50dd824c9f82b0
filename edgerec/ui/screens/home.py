"""The first screen: what the store holds, the catalogue, and the event log as it grows."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from edgerec.readmodels import SEEN, ItemRow
from edgerec.ui.screens.base import ConsoleScreen
from edgerec.ui.widgets.footer import KeyFooter
from edgerec.ui.widgets.nav import NavBar
from edgerec.ui.widgets.tables import EventTail, ItemTable

CATALOGUE = "Catalogue (most popular first)"
# A store that has never listed an item: the items its log names, as the Live screen offers them.
FROM_THE_LOG = "Items known from the log (most popular first)"


class HomeScreen(ConsoleScreen):
    MODE = "home"
    BINDINGS = [("r", "refresh", "Refresh")]

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE)
        yield Static("", id="home-stats", classes="status-line")
        with Horizontal(id="home-body"):
            with Vertical(id="home-catalogue", classes="pane"):
                yield Label(CATALOGUE, id="home-catalogue-title", classes="pane-title")
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
        # The items on offer: in a store that has no catalogue (an events-only dataset), those
        # known from its log, as the Live screen offers them.
        shop = self.shop
        self.load("items", lambda: shop.items(limit=300, unlisted=not shop.has_catalogue()))
        self._refresh_stats()

    def _refresh_stats(self) -> None:
        store, shop = self.store, self.shop
        self.load("stats", lambda: {**store.stats(), "has_catalogue": shop.has_catalogue()})

    def show_items(self, items: list[ItemRow]) -> None:
        self.query_one(ItemTable).show_items(items)
        unlisted = any(item.status == SEEN for item in items)
        self.query_one("#home-catalogue-title", Label).update(FROM_THE_LOG if unlisted else CATALOGUE)

    def show_stats(self, stats: dict[str, Any]) -> None:
        projections = stats.get("projections", {})
        listed = f"{stats['listed_items']:,} items listed"
        if not stats["has_catalogue"]:
            listed = f"no items listed; {projections.get('items', 0):,} known from the log"
        line = (
            f"{listed} · {projections.get('users', 0):,} customers · "
            f"{stats['events']:,} events · head #{stats['head']:,} · "
            f"{stats['quarantined']:,} quarantined · recs: {self.suggester.name}"
        )
        if not stats["events"]:
            line = "An empty store: import a file (F7) or add items (F5) to begin."
        self.query_one("#home-stats", Static).update(line)
