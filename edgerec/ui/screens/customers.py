"""Customers: search them, and see one's history, sessions, tastes and current suggestions."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static
from textual.widgets.data_table import RowDoesNotExist

from edgerec.domain.printable import printable
from edgerec.domain.signals import SESSION_GAP_S
from edgerec.readmodels import CustomerRow, Profile, SessionRow
from edgerec.ui.clock import ago, clock_time
from edgerec.ui.errors import describe, guarded, log
from edgerec.ui.screens.base import ConsoleScreen
from edgerec.ui.screens.confirm import ConfirmScreen
from edgerec.ui.screens.live import LiveScreen
from edgerec.ui.suggestions import RETELL_S, Suggestion, make_suggester
from edgerec.ui.widgets.footer import KeyFooter
from edgerec.ui.widgets.nav import NavBar
from edgerec.ui.widgets.recs import render_suggestions
from edgerec.ui.widgets.tables import FittedTable, cut, cut_path

# A store method of one of these names wins (tests use it); otherwise edgerec.privacy does it.
FORGET_METHODS = ("forget_customer", "forget_user", "forget")
_VERB = {
    "item_viewed": "viewed",
    "added_to_cart": "carted",
    "removed_from_cart": "removed",
    "purchased": "bought",
    "item_favourited": "saved",
    "rated": "rated",
}


@dataclass(frozen=True, slots=True)
class ProfileView:
    profile: Profile | None
    suggestions: list[Suggestion]


def forget_method(store: object) -> Callable[[str], Any] | None:
    for name in FORGET_METHODS:
        method = getattr(store, name, None)
        if callable(method):
            return method  # type: ignore[no-any-return]
    try:
        from edgerec.privacy import forget_user
    except ImportError:
        return None
    return lambda user_id: forget_user(store, user_id)  # type: ignore[arg-type]


class Forgotten(Message):
    def __init__(self, user_id: str, receipt: Any, error: BaseException | None) -> None:
        super().__init__()
        self.user_id, self.receipt, self.error = user_id, receipt, error


class CustomersScreen(ConsoleScreen):
    MODE = "customers"
    LIST = "#customers-table"
    SEARCH = "#customers-search"
    # Below 60 columns the list's 36 cells would leave the profile next to none (console.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (60, "-wide")]
    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("f", "forget", "Forget customer"),
        Binding("l", "live", "Live session"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.current: str | None = None
        self.view: ProfileView | None = None
        self.forgotten: list[str] = []

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE)
        with Horizontal(id="customers-body"):
            with Vertical(id="customers-list", classes="pane"):
                yield Input(placeholder="/ search customer ids", id="customers-search", compact=True)
                yield FittedTable(id="customers-table")
            with VerticalScroll(id="customers-profile", classes="pane"):
                yield Static(Text("Pick a customer on the left.", style="dim"), id="profile-summary")
                yield Label("History", classes="pane-title")
                yield FittedTable(id="profile-history", least=12)
                yield Label("Sessions", classes="pane-title")
                yield DataTable(id="profile-sessions", cursor_type="row", zebra_stripes=True)
                yield Label("Suggestions now", classes="pane-title")
                yield Static("", id="profile-suggestions")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#customers-table", DataTable).add_columns("customer", "sessions", "last seen")
        self.query_one("#profile-history", DataTable).add_columns("item", "category", "last", "when")
        self.query_one("#profile-sessions", DataTable).add_columns("started", "kiosk", "events", "ended")
        self.query_one("#customers-table", DataTable).focus()
        self.set_interval(RETELL_S, self._retell)

    def on_screen_resume(self) -> None:
        # Each time the screen shows (its first time too): another process or console may have
        # forgotten a customer or imported some meanwhile.
        self._search(self.query_one("#customers-search", Input).value)
        if self.current is not None:
            self.open(self.current)

    @on(Input.Submitted, "#customers-search")
    def _searched(self) -> None:
        self.focus_list()  # the list follows each key typed already: enter goes on to it

    @on(Input.Changed, "#customers-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, text: str) -> None:
        self.load("customers", lambda: self.shop.customers(text=text, limit=300))

    def show_customers(self, customers: list[CustomerRow]) -> None:
        table = self.query_one("#customers-table", FittedTable)
        table.clear()
        this_year = self.services.clock.now().astimezone(self.services.zone).strftime("%Y")
        for c in customers:
            seen = clock_time(c.last_at, self.services.zone)
            # The year where it is not this one: a visit a year ago read like today's.
            table.add_row(
                cut(c.user_id),
                Text(str(c.sessions), justify="right"),
                Text(seen[5:16] if seen.startswith(this_year) else seen[:10]),
                key=c.user_id,
            )
        table.fit()
        listed = [c.user_id for c in customers]
        if self.current in listed:  # the list was loaded again: the customer shown stays chosen
            table.move_cursor(row=listed.index(self.current))
        elif customers:  # the one shown is not listed (a search left them out): the highlighted one
            self.open(customers[0].user_id)
        elif self.current is not None:  # nobody is listed: nobody is shown, for f or l to act on
            self.current = None
            self.drop("profile")  # one on its way would show them again
            self.show_profile(ProfileView(None, []), shown="No customer matches the search.")

    @on(DataTable.RowHighlighted, "#customers-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != event.data_table.cursor_row:
            return  # the cursor has moved since (to the customer `open` chose): a stale highlight
        # Textual posts no key for a row it is still laying out (the table was just refilled).
        user_id = event.row_key.value if event.row_key is not None else None
        if user_id and user_id != self.current:
            self.open(str(user_id))

    def open(self, user_id: str) -> None:
        """Shows `user_id`'s profile, with the cursor on their row where the list has it: the
        highlighted row is the customer f and l act on."""
        self.current = user_id
        table = self.query_one(self.LIST, DataTable)
        with suppress(RowDoesNotExist):
            table.move_cursor(row=table.get_row_index(user_id))
        shop, suggester = self.shop, self.suggester

        def read() -> ProfileView:
            profile = shop.profile(user_id)
            suggestions = suggester.recommend(user_id, k=5) if profile else []
            return ProfileView(profile, suggestions)

        self.load("profile", read)

    def show_profile(
        self, view: ProfileView, shown: str = "This customer is not in the store (any more)."
    ) -> None:
        """A customer's profile; `shown` says why there is none."""
        self.view = view
        summary = self.query_one("#profile-summary", Static)
        history = self.query_one("#profile-history", FittedTable)
        sessions = self.query_one("#profile-sessions", DataTable)
        history.clear()
        sessions.clear()
        profile = view.profile
        if profile is None:
            summary.update(Text(shown, style="dim"))
            self.query_one("#profile-suggestions", Static).update("")
            return
        now = self.services.clock.now()
        summary.update(self._summary(profile, now))
        for h in profile.history:
            history.add_row(
                cut(h.item.label),
                cut_path(h.item.category or ""),
                Text(_VERB.get(h.last_type, h.last_type)),
                Text(ago(h.last_at, now)),
            )
        history.fit()
        now_us = now.timestamp() * 1e6
        for s in profile.sessions:
            sessions.add_row(
                Text(clock_time(s.started_at, self.services.zone)[:16]),
                Text(printable(s.store_id or "")),
                Text(str(s.events), justify="right"),
                Text(_ended(s, now_us)),
            )
        self.query_one("#profile-suggestions", Static).update(render_suggestions(view.suggestions))

    def _summary(self, profile: Profile, now: datetime) -> Text:
        """The profile's head: who, how much, since when, last seen how long before `now`, and
        the categories they like."""
        c = profile.customer
        first = clock_time(c.first_at, self.services.zone)[:10]
        text = Text.assemble(
            (printable(c.user_id), "bold"),
            f"  {c.events} events · {c.sessions} sessions · first {first}"
            f" · last seen {ago(c.last_at, now)}\n",
        )
        if profile.top_categories:
            text.append("Likes: ", style="bold")
            text.append(
                printable("  ".join(f"{cat} {share * 100:.0f}%" for cat, share in profile.top_categories))
            )
        return text

    def _retell(self) -> None:
        """The profile's time phrases as time passes on an idle console ("last seen just now",
        a history's "2 minutes ago", a suggestion's "viewed X just now", a session gone idle),
        as the Live screen says its suggestions' again: the same profile and suggestions, not
        read or ranked again. Repaints only what changed."""
        view = self.view
        if view is None or view.profile is None:
            return
        profile, now = view.profile, self.services.clock.peek()
        summary = self.query_one("#profile-summary", Static)
        text = self._summary(profile, now)
        if text != summary.content:
            summary.update(text)
        history = self.query_one("#profile-history", FittedTable)
        if _retell_column(history, 3, [ago(h.last_at, now) for h in profile.history]):
            history.fit()  # "10 months ago" may be wider than "just now"
        now_us = now.timestamp() * 1e6
        sessions = self.query_one("#profile-sessions", DataTable)
        _retell_column(sessions, 3, [_ended(s, now_us) for s in profile.sessions])
        retold = [s.as_of(now) for s in view.suggestions]
        if [s.reasons for s in retold] != [s.reasons for s in view.suggestions]:
            self.view = ProfileView(profile, retold)
            self.query_one("#profile-suggestions", Static).update(render_suggestions(retold))

    @guarded("forgetting a customer")
    def action_forget(self) -> None:
        user_id = self.current
        if user_id is None:
            self.notify("No customer is shown: pick one on the left first.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._forget(user_id)

        self.app.push_screen(
            ConfirmScreen(
                f"Forget customer {user_id}? Their events and profile are erased from this store "
                "and cannot be brought back.",
                yes="Forget",
            ),
            answered,
        )

    @guarded("forgetting a customer")
    def _forget(self, user_id: str) -> None:
        method = forget_method(self.store)
        if method is None:
            self.notify(
                "This build cannot forget customers (no edgerec.privacy).",
                title="Not forgotten",
                severity="warning",
            )
            return
        self.notify(f"Forgetting {user_id}…")
        # Marked before the erasing starts: the Live screen playing them finds them gone while it
        # runs, and must not take it for a forget elsewhere.
        if user_id not in self.services.forgotten:
            self.services.forgotten.append(user_id)

        def job() -> None:
            # Deleting, rebuilding the read models and compacting the file takes a while.
            try:
                receipt = method(user_id)
                if getattr(receipt, "found", True):  # an id that names nobody changes nothing
                    from edgerec.training.trainer import forget_in_model  # loads torch: not at start

                    forget_in_model(self.store)  # the checkpoint and snapshot, as the command does
                self.post_message(Forgotten(user_id, receipt, None))
            except Exception as error:  # noqa: BLE001 - reported on the UI thread
                log.error("forgetting %s failed", user_id, exc_info=error)
                self.post_message(Forgotten(user_id, None, error))

        self.run_worker(job, thread=True, group="forget", exit_on_error=False, name="forget")

    def on_forgotten(self, message: Forgotten) -> None:
        if message.error is not None:
            if message.user_id in self.services.forgotten:  # still in the store: played on
                self.services.forgotten.remove(message.user_id)
            text, severity = describe(message.error)
            self.notify(text, title="Not forgotten", severity=severity)
            return
        services = self.services
        receipt = message.receipt
        if not getattr(receipt, "found", True):  # forgotten meanwhile, by another process say
            self.notify(
                f"No customer {message.user_id} in the store (forgotten already?): nothing was changed.",
                title="Not forgotten",
                severity="warning",
            )
        else:
            # The recommender holds the customer's events in memory: start it afresh (the
            # console's, which offers items known only from the log in a store that lists none).
            services.suggester = make_suggester(services.store, services.shop, services.clock, unlisted=True)
            removed = getattr(receipt, "events_removed", None)
            detail = f": {removed:,} events removed" if removed is not None else ""
            self.notify(
                f"Customer {message.user_id} forgotten{detail}, from the model too.",
                title="Forgotten",
            )
            failed = getattr(receipt, "compaction_failed", None)
            if failed is not None:  # in the words of `edgerec forget-user`
                advice = getattr(receipt, "compaction_advice", None)
                self.notify(
                    f"Could not compact the database ({failed}): {advice}.",
                    title="Not compacted",
                    severity="warning",
                )
            self.forgotten.append(message.user_id)
        # A live session still playing them would record them again at its next key.
        if services.pending_customer == message.user_id:
            services.pending_customer = None
        if message.user_id not in services.forgotten:
            services.forgotten.append(message.user_id)
        if isinstance(self.app.screen, LiveScreen):
            self.app.screen.let_forgotten_go()
        self.current = None
        self.show_profile(ProfileView(None, []))  # their history and tastes leave the screen too
        self._search(self.query_one("#customers-search", Input).value)

    def action_live(self) -> None:
        """Opens the live session screen for this customer."""
        if self.current is None:
            self.notify("No customer is shown: pick one on the left first.", severity="warning")
            return
        self.services.pending_customer = self.current
        self.app.action_go("live")  # type: ignore[attr-defined]


def _ended(session: SessionRow, now_us: float) -> str:
    """'yes' for an ended session, 'idle' for one whose last event is further back than the
    gap that starts a new session (no SessionEnded is logged for those), else 'open'."""
    if session.ended:
        return "yes"
    return "idle" if now_us - session.last_at > SESSION_GAP_S * 1e6 else "open"


def _retell_column(table: DataTable[Any], column: int, texts: list[str]) -> bool:
    """Puts `texts` in `column` of `table`'s rows, one a row, where a cell says otherwise;
    whether any did."""
    changed = False
    for row, text in enumerate(texts[: table.row_count]):
        at = Coordinate(row, column)
        cell = table.get_cell_at(at)
        if (cell.plain if isinstance(cell, Text) else str(cell)) != text:
            table.update_cell_at(at, Text(text))
            changed = True
    return changed
