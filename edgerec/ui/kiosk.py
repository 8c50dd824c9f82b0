"""The customer-facing kiosk: large tiles that follow what the shopper taps, and an idle reset.

No admin screens, no command palette and no destructive keys: a shopper can browse, open an
item, add it to the basket and start over. After `idle_seconds` without a tap or a key the
session ends and the kiosk welcomes the next shopper.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.events import Click, Key, MouseDown
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Static

from edgerec.api import Store
from edgerec.domain.printable import printable
from edgerec.memory import collect_between_actions
from edgerec.readmodels import ItemRow
from edgerec.ui.app import BaseApp
from edgerec.ui.errors import describe, guarded
from edgerec.ui.loading import Loader
from edgerec.ui.session import LiveSession
from edgerec.ui.suggestions import BANNED, NOT_LISTED, RETELL_S, Suggestion, not_for_sale
from edgerec.ui.widgets.tables import facts, money
from edgerec.ui.writer import ActionDone, CatalogueChanged, CustomerForgotten, SessionWriter

TILES = 6
# A kiosk on a store with no catalogue: what the operator must do (`edgerec kiosk` no longer
# fills an empty store with the demo shop, and seeds none into a store that holds events).
NO_CATALOGUE = "No items yet.\n\nFor the operator: import the shop's catalogue (edgerec import catalogue.csv)"
EMPTY_SHOP = f"{NO_CATALOGUE}, or start the kiosk with --demo to try the demo shop."
EVENTS_ONLY = f"{NO_CATALOGUE}: the kiosk offers listed items, and this store's are known only from its log."
GONE = "no longer available"  # delisted, or banned by the shop's rules
QUIT_BUSY = (
    "edgerec: another program holds the store: the kiosk records the last shopper's actions, "
    "and the end of their session, once it lets go, then exits."
)
QUIT_LOST = "edgerec: the end of the last shopper's session was not recorded: {}"


class Tile(Static, can_focus=True):
    """One big tappable item tile."""

    DEFAULT_CSS = """
    Tile {
        height: 1fr;
        min-height: 5;
        border: tall $primary 40%;
        padding: 0 1;
        background: $surface;
    }
    Tile:hover { border: tall $accent; background: $boost; }
    Tile:focus { border: tall $accent; }
    """

    class Tapped(Message):
        def __init__(self, tile: Tile) -> None:
            super().__init__()
            self.tile = tile

    def __init__(self, suggestion: Suggestion, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.suggestion = suggestion

    def render(self) -> Text:
        """The title (cut short where it would push the price off the tile), the price, and
        the reason."""
        s = self.suggestion
        width, height = self.content_size
        title = Text(s.title, style="bold")
        if width > 1:
            lines = title.wrap(self.app.console, width)
            room = max(1, height - 2)  # the price and a line of the reason stay in view
            if len(lines) > room:
                last = lines[room - 1]
                last.truncate(width - 1)
                last.append("…")
            title = Text("\n").join(lines[:room])
        return Text.assemble(title, "\n", (money(s.price), "bold green"), "\n", (s.reason, "italic dim"))

    def on_click(self) -> None:
        self.post_message(self.Tapped(self))

    def key_enter(self) -> None:
        self.post_message(self.Tapped(self))


class KioskScreen(SessionWriter, Loader, Screen[None]):
    suggestion_count = TILES
    BEYOND_STOCK = "Sorry, only {stock:,} of these in stock, and {held:,} in your basket already."

    def __init__(self, *, idle_seconds: float) -> None:
        super().__init__()
        self._init_loader()
        self._init_writer()
        self.idle_seconds = idle_seconds
        self.last_touch = time.monotonic()
        self.session: LiveSession | None = None
        self.started = False
        self.open_item: ItemRow | None = None
        self.basket: dict[str, int] = {}
        self.resets = 0
        self.tiles_shown = 0

    @property
    def services(self) -> Any:
        return self.app.services  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with Horizontal(id="kiosk-top"):
            yield Static("", id="kiosk-welcome")
            yield Button("Start over", id="kiosk-restart", variant="primary")
        with Vertical(id="kiosk-detail"):
            yield Static("", id="kiosk-item")
            with Horizontal(id="kiosk-item-buttons"):
                yield Button("Add to basket", id="kiosk-add", variant="success")
                yield Button("Back", id="kiosk-back")
        yield Grid(id="kiosk-tiles")

    def on_mount(self) -> None:
        self.start_writer()
        self._new_visitor()
        interval = max(0.1, min(1.0, self.idle_seconds / 4))
        self.set_interval(interval, self.reset_when_idle)
        self.set_interval(RETELL_S, self._retell)

    def _retell(self) -> None:
        """The tiles' "viewed X just now" as time passes, without ranking them again."""
        now = self.services.clock.peek()
        for tile in self.tiles:
            retold = tile.suggestion.as_of(now)
            if retold.reason != tile.suggestion.reason:
                tile.suggestion = retold
                tile.refresh()

    # --- idle reset ------------------------------------------------------------------------

    def touch(self) -> None:
        self.last_touch = time.monotonic()

    def on_key(self, _event: Key) -> None:
        self.touch()

    def on_mouse_down(self, _event: MouseDown) -> None:
        self.touch()

    def on_click(self, _event: Click) -> None:
        self.touch()

    def reset_when_idle(self) -> None:
        # (Not `check_idle`: that is Textual's own, which it calls after every message; named so,
        # this replaced it, and the screen's idle handling, deferred callbacks among it, never ran.)
        if self.quitting:  # the shopper's session is ending with the app: no next one
            return
        if self.query("#kiosk-nothing") and self.jobs.empty():
            # No tiles (a shop not set up yet, nothing in stock): an import may have brought some,
            # shown within a tick, not after the idle time (a minute by default).
            self._enqueue(self._job("tiles", []))
        if time.monotonic() - self.last_touch < self.idle_seconds:
            return
        if self.started or self.open_item is not None:
            self.resets += 1
            self._new_visitor()
        self.touch()

    # --- the shopper ---------------------------------------------------------------------------

    def _new_visitor(self) -> None:
        self._end_session()
        services = self.services
        self.session = LiveSession.anonymous_visitor(
            services.store_id, services.clock, services.rng, device="kiosk"
        )
        self.started = False
        self.basket = {}
        self._close_item()
        self._welcome()
        self._enqueue(self._job("welcome", []))

    def on_customer_forgotten(self, message: CustomerForgotten) -> None:
        """The shopper was forgotten (`edgerec forget-user`, the console): the next shopper is
        welcomed, and no end of their session names them again."""
        if self.session is not None and self.session.user_id == message.user_id:
            self.started = False
            self._new_visitor()

    def _welcome(self) -> None:
        count = sum(self.basket.values())
        where = f" at {self.services.store_id}" if self.services.store_id else ""
        text = Text.assemble(("Welcome", "bold"), where, " · tap anything you like")
        if count:
            text.append(f" · basket: {count}", style="bold green")
        self.query_one("#kiosk-welcome", Static).update(text)

    @on(Tile.Tapped)
    @guarded("opening the item")
    def _tapped(self, message: Tile.Tapped) -> None:
        self.touch()
        # As the catalogue and the shop's rules have it now: another process may have sold,
        # delisted or banned it since the tiles were drawn. Such an item is not opened, and the
        # tiles are ranked again.
        item = self.services.shop.item(message.tile.suggestion.item_id)
        why = self._not_for_sale(item)
        if item is None or why is not None:
            self.notify(f"Sorry, this one is {why}.", severity="warning")
            self._enqueue(self._job("tiles", []))
            return
        self._show_item(item)
        self.query_one("#kiosk-detail").display = True
        self._submit("view", lambda s: [s.view(item)])

    def _not_for_sale(self, item: ItemRow | None) -> str | None:
        """Why the shopper cannot have `item` (as the catalogue has it now), None if they can:
        `GONE` once delisted or banned by the shop's rules (a recalled item), "out of stock"
        once sold out."""
        why = not_for_sale(item, self.services.suggester)
        return GONE if why in (NOT_LISTED, BANNED) else why

    def _show_item(self, item: ItemRow) -> None:
        """Draws the open item as the catalogue has it: one sold out since it was opened says so
        (and Add to basket tells the shopper)."""
        self.open_item = item
        if item.available:
            stock = None if item.stock is None else f"{item.stock} in stock"
        else:
            stock = "out of stock"
        self.query_one("#kiosk-item", Static).update(
            Text.assemble(
                (printable(item.label), "bold"),
                "\n",
                facts(printable(item.category or ""), printable(item.brand or "")),
                "\n",
                facts((money(item.price), "bold"), stock),
            )
        )

    @on(Button.Pressed, "#kiosk-add")
    @guarded("adding to the basket")
    def _add(self) -> None:
        if self.open_item is None:
            return
        # As the catalogue and the shop's rules have it now: the shop may have sold, delisted
        # or banned it since the tap, and the idle look that closes or redraws it is not done.
        item = self.services.shop.item(self.open_item.item_id)
        why = self._not_for_sale(item)
        if item is None or why is not None:
            self.notify(f"Sorry, this one is {why}.", severity="warning")
            if item is None or why == GONE:
                self._close_item()
                self._enqueue(self._job("tiles", []))  # ranked beside it, and maybe holding it
            else:
                self._show_item(item)
            return
        self._submit_add(item)  # refused, in the writer, beyond the stock the basket holds
        self._close_item()

    @on(Button.Pressed, "#kiosk-back")
    def _back(self) -> None:
        self._close_item()

    @on(Button.Pressed, "#kiosk-restart")
    @guarded("starting over")
    def _restart(self) -> None:
        self._new_visitor()

    def _close_item(self) -> None:
        self.open_item = None
        self.query_one("#kiosk-detail").display = False

    # --- showing suggestions ------------------------------------------------------------------

    @guarded("showing the catalogue's change")
    def on_catalogue_changed(self, _message: CatalogueChanged) -> None:
        """The shop delisted an item, sold out of one or changed a price (here or in another
        process), or its rules or hour changed: the tiles are ranked again now, not at the next
        tap, which may be hours away on a kiosk nobody touches. The open item is drawn again
        with its new price and stock, or closed once delisted or banned by the shop's rules."""
        if self.quitting:
            return
        if self.open_item is not None:
            item = self.services.shop.item(self.open_item.item_id)
            if item is None or self._not_for_sale(item) == GONE:
                self._close_item()
                self.notify(f"Sorry, this one is {GONE}.", severity="warning")
            elif item != self.open_item:
                self._show_item(item)
        if self.session is not None and self.jobs.empty():  # else a list is on its way anyway
            self._enqueue(self._job("tiles", []))

    async def on_action_done(self, message: ActionDone) -> None:
        outcome = message.outcome
        if outcome.forgotten or self.quitting:  # nothing recorded (on_customer_forgotten), or closing
            return
        if outcome.error is not None:
            text, severity = describe(outcome.error)
            self.notify(text, severity=severity)
            return
        if outcome.refused is not None:  # nothing recorded; the list after it follows
            self._refused(outcome.refused)
        if outcome.suggestions is None or self.session is None:
            return
        if outcome.job.user_id != self.session.user_id:
            return
        self.basket = outcome.cart
        self._welcome()
        grid = self.query_one("#kiosk-tiles", Grid)
        focused = self.focused if isinstance(self.focused, Tile) else None
        where = self.tiles.index(focused) if focused in self.tiles else None
        # Wait for the swap to finish, so that a tap never lands on a tile that is going away
        # and the count says the new tiles are really there.
        await grid.remove_children()
        if outcome.suggestions:
            await grid.mount_all(Tile(s) for s in outcome.suggestions)
            if focused is not None and where is not None:  # the shopper's place, not Start over
                self._focus_again(focused.suggestion.item_id, where)
        elif self.services.shop.count_items(listed_only=False) == 0:  # a shop not set up yet
            await grid.mount(Static(EMPTY_SHOP, id="kiosk-nothing"))
        elif not self.services.shop.has_catalogue():  # events imported, no catalogue yet
            await grid.mount(Static(EVENTS_ONLY, id="kiosk-nothing"))
        else:  # nothing in stock: say so rather than show a blank screen
            await grid.mount(Static("Nothing to show right now.", id="kiosk-nothing"))
        self.tiles_shown += 1
        if self.jobs.empty():
            collect_between_actions()

    @property
    def tiles(self) -> list[Tile]:
        return list(self.query(Tile))

    def _focus_again(self, item_id: str, where: int) -> None:
        """Focuses the new tile of the item that had focus, or else the one in its place: at once,
        not after the next message as `Widget.focus` does, so that the count of lists shown
        (`tiles_shown`) never runs ahead of the focus."""
        tiles = self.tiles
        same = [tile for tile in tiles if tile.suggestion.item_id == item_id]
        self.set_focus((same or tiles[min(where, len(tiles) - 1) :])[0])


class KioskApp(BaseApp):
    """The kiosk: one screen, no command palette, no admin keys."""

    CSS_PATH = "kiosk.tcss"
    SCREEN_NAME = "kiosk"
    QUIT_LOST: ClassVar[str] = QUIT_LOST
    ENABLE_COMMAND_PALETTE = False
    # Only a hidden way out for the operator at the keyboard; nothing a shopper can misuse.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, store: Store, *, idle_seconds: float = 60, **options: Any) -> None:
        super().__init__(store, **options)
        self.idle_seconds = idle_seconds

    def on_mount(self) -> None:
        self.theme = "textual-light"
        self.push_screen(KioskScreen(idle_seconds=self.idle_seconds))

    async def action_quit(self) -> None:
        """Quits, the shopper's session ended first; while another program holds the store,
        the screen closes all the same, and the writer records it as the kiosk exits. An end
        the store refused (read-only, or its file deleted) is said as it exits."""
        screen = self.screen
        recorded = not isinstance(screen, KioskScreen) or await screen.end_on_quit()
        lost = screen.lost_on_quit if isinstance(screen, KioskScreen) else None
        note = None
        if not recorded:
            note = Text(QUIT_BUSY)
            self.quit_writers.append(screen)
        elif lost is not None:
            note = Text(QUIT_LOST.format(lost))
        self.exit(message=note)
