"""The event log: a live tail with filters (type, customer, session, kiosk), and the quarantine."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Select, Static, TabbedContent, TabPane

from edgerec.domain import EventType
from edgerec.domain.printable import printable
from edgerec.ui.screens.base import ConsoleScreen
from edgerec.ui.widgets.footer import KeyFooter
from edgerec.ui.widgets.nav import NavBar
from edgerec.ui.widgets.tables import EventFilter, EventTail

ANY = "any"


class EventLogScreen(ConsoleScreen):
    MODE = "events"
    LIST = "#events-tail"
    BINDINGS = [
        Binding("slash", "focus_filters", "Filter", key_display="/"),
        Binding("ctrl+l", "clear_filters", "Clear filters"),
        Binding("t", "tab('events-tab')", "Tail", show=False),
        Binding("q", "tab('quarantine-tab')", "Quarantine"),
    ]

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE)
        with TabbedContent(id="events-tabs"):
            with TabPane("Event log", id="events-tab"):
                with Horizontal(id="events-filters"):
                    yield Select(
                        [(t.value, t.value) for t in EventType],
                        prompt="any type",
                        id="filter-type",
                        compact=True,
                    )
                    yield Input(placeholder="customer", id="filter-user", compact=True)
                    yield Input(placeholder="session", id="filter-session", compact=True)
                    yield Input(placeholder="kiosk", id="filter-store", compact=True)
                yield EventTail(id="events-tail")
            with TabPane("Quarantine", id="quarantine-tab"), Vertical():
                yield Static("", id="quarantine-summary", classes="status-line")
                yield DataTable(id="quarantine-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#quarantine-table", DataTable).add_columns(
            "reason", "line", "detail", "source", "raw"
        )
        self.query_one(EventTail).focus()

    def on_screen_resume(self) -> None:
        # The quarantine shown may name a customer forgotten meanwhile (on the Customers screen),
        # or lack an import's rows: read again each time the screen shows with it open.
        if self.query_one(TabbedContent).active == "quarantine-tab":
            self._load_quarantine()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "quarantine-tab":
            self._load_quarantine()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "quarantine-tab":
            self._load_quarantine()

    def action_focus_filters(self) -> None:
        self.query_one("#filter-user", Input).focus()

    def action_clear_filters(self) -> None:
        for name in ("user", "session", "store"):
            self.query_one(f"#filter-{name}", Input).value = ""
        self.query_one("#filter-type", Select).clear()
        self._apply_filters()

    @on(Input.Submitted)
    @on(Select.Changed, "#filter-type")
    def _apply_filters(self) -> None:
        def text(name: str) -> str | None:
            return self.query_one(f"#filter-{name}", Input).value.strip() or None

        chosen = self.query_one("#filter-type", Select).value
        types = (str(chosen),) if isinstance(chosen, str) else ()
        wanted = EventFilter(
            types=types, user_id=text("user"), session_id=text("session"), store_id=text("store")
        )
        tail = self.query_one(EventTail)
        if wanted != tail.filter:
            tail.set_filter(wanted)

    def _load_quarantine(self) -> None:
        self.load("quarantine", lambda: (self.shop.quarantine_reasons(), self.shop.quarantine(limit=500)))

    def show_quarantine(self, found: tuple[list[tuple[str, int]], list[dict[str, Any]]]) -> None:
        reasons, rows = found
        total = sum(n for _, n in reasons)
        summary = " · ".join(f"{reason} {n:,}" for reason, n in reasons) or "nothing quarantined"
        self.query_one("#quarantine-summary", Static).update(f"{total:,} rows quarantined: {summary}")
        table = self.query_one("#quarantine-table", DataTable)
        table.clear()
        for row in rows:
            table.add_row(
                Text(row["reason"], style="yellow"),
                Text(str(row["line"] or ""), justify="right"),
                Text(printable(row["detail"] or ""), overflow="ellipsis", no_wrap=True),
                Text(printable(str(row["source"]).rsplit("/", 1)[-1])),
                Text(printable((row["raw"] or "")[:80]), overflow="ellipsis", no_wrap=True),
                key=str(row["id"]),
            )
