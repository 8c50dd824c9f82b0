"""The live session: play a shopper at a kiosk, and watch the suggestions follow every action.

Each action becomes an event, recorded through `Store.record` by one writer worker (so events
keep their order), then the suggester ranks again and the panel shows the new list together
with how long it took from the key press to the panel on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from edgerec.domain import Event
from edgerec.domain.printable import printable
from edgerec.memory import collect_between_actions
from edgerec.readmodels import ItemRow
from edgerec.ui.errors import describe, guarded
from edgerec.ui.screens.base import ConsoleScreen
from edgerec.ui.screens.choose import ChooseCustomerScreen
from edgerec.ui.session import LiveSession
from edgerec.ui.suggestions import BANNED, NOT_LISTED, RETELL_S, Suggestion, not_for_sale
from edgerec.ui.widgets.footer import KeyFooter
from edgerec.ui.widgets.nav import NavBar
from edgerec.ui.widgets.recs import RecommendationsPanel, Timing
from edgerec.ui.widgets.tables import ItemTable, PathContent, facts, money
from edgerec.ui.writer import (
    ActionDone,
    CatalogueChanged,
    CustomerForgotten,
    Job,
    Refused,
    SessionWriter,
    catalogue_changed_since,
    short_of,
)

ALL = "All"
CATEGORY = "category:"  # a category's option id: a category may be named All too


class LiveScreen(SessionWriter, ConsoleScreen):
    MODE = "live"
    LIST = "#live-items"
    SEARCH = "#live-search"
    browse_rows = 50  # a browsing list, not the whole catalogue: the catalogue screen has that
    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("o", "open", "Open", show=False),
        Binding("a", "add", "Add"),
        Binding("r", "remove", "Remove"),
        Binding("b", "buy", "Buy"),
        Binding("x", "checkout", "Checkout"),
        Binding("e", "end", "End"),
        Binding("c", "choose_customer", "Customer"),
        Binding("v", "visitor", "Visitor"),
        Binding("k", "next_kiosk", "Kiosk"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._init_writer()
        self.session: LiveSession | None = None
        self.started = False
        self.open_item: ItemRow | None = None
        self.cart: dict[str, int] = {}
        self.cart_items: dict[str, ItemRow] = {}
        self.kiosks: list[str] = []
        self.category: str | None = None
        self._categories_unlisted: bool | None = None  # whether those shown are of unlisted items too
        self.search_text = ""
        self.latencies_ms: list[float] = []
        self._head_when_away: int | None = None  # the log's head when another screen covered this one
        self.actions_done = 0
        self.last_position = 0
        self.blocking: list[str] = []  # cart items a refused checkout named, for r to remove
        self._items_wait_for_panel = False
        self._deferred_items: list[ItemRow] | None = None
        self._on_its_way: tuple[int, Job, Timing] | None = None  # the list shown, not yet painted

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE)
        yield Static("", id="live-session", classes="status-line")
        with Horizontal(id="live-body"):
            with Vertical(id="live-browse"):
                yield Input(
                    placeholder="/ search the catalogue, enter to search", id="live-search", compact=True
                )
                with Horizontal(id="live-lists"):
                    yield OptionList(id="live-categories")
                    yield ItemTable(id="live-items", columns=("title", "price", "stock"))
                yield Static("", id="live-detail")
            yield RecommendationsPanel(id="live-recs", stamp=self.services.clock.perf)
        yield KeyFooter()

    def on_mount(self) -> None:
        services = self.services
        self.kiosks = [k for k in [services.store_id] if k] or []
        self.session = LiveSession.anonymous_visitor(
            self.kiosks[0] if self.kiosks else None, services.clock, services.rng
        )
        self.load("kiosks", self.shop.store_ids)
        self._show_session()
        self.start_writer()
        if self.kiosks:  # else the first list waits for the kiosks the store knows (show_kiosks)
            self.refresh_suggestions("Opened the live session")
        self.query_one(ItemTable).focus()
        self.set_interval(RETELL_S, self._retell)

    def _retell(self) -> None:
        """The suggestions' "viewed X just now" as time passes on an idle console."""
        self.query_one(RecommendationsPanel).retell(self.services.clock.peek())

    def on_screen_suspend(self) -> None:
        self._head_when_away = self.services.store.head()

    def on_screen_resume(self) -> None:
        # The categories and items, each time the screen shows (its first time too): an import
        # may have brought some, and prices and stock may have changed on the Catalogue screen.
        self._load_categories()
        self._load_items()
        self.let_forgotten_go()
        user_id = self.services.pending_customer
        if user_id:
            self.services.pending_customer = None
            self.play_customer(user_id)
        elif self.query_one(RecommendationsPanel).generation and self._catalogue_changed_while_away():
            # The list shown before may name an item since delisted, sold out or repriced on
            # the Catalogue screen or an import (none shown yet: the first is on its way). A
            # dialog closed over this screen (choosing a customer, the help) changed nothing.
            self.refresh_suggestions("Back to the live session")

    def _catalogue_changed_while_away(self) -> bool:
        """Whether catalogue events were logged while another screen covered this one (other
        events, a kiosk's beside this console, leave the list as good as it was)."""
        seen = self._head_when_away
        return seen is None or catalogue_changed_since(self.services.store, seen)

    def on_catalogue_changed(self, _message: CatalogueChanged) -> None:
        """An item was delisted, sold out or repriced (here or by another process): the panel,
        the list and the open item follow now, not at the shopper's next action."""
        self._load_items()  # the open item follows the list read (_items_shown)
        if self.suggester.offers_unlisted() != self._categories_unlisted:
            # A store of events only listed its first items (an import): the categories of the
            # items known only from the log no longer name any item on offer.
            self._load_categories()
        if self.jobs.empty():  # else an action's list is on its way, ranked after it
            self.refresh_suggestions("Catalogue changed")

    def let_forgotten_go(self) -> None:
        """Leaves a customer forgotten (on the Customers screen) for a new anonymous visitor,
        without a word in the log: their session's end would name them again."""
        forgotten, self.services.forgotten = self.services.forgotten, []
        if self.session is not None and self.session.user_id in forgotten:
            self._let_go()

    def on_customer_forgotten(self, message: CustomerForgotten) -> None:
        """The customer played was forgotten elsewhere too (another console, `edgerec
        forget-user`): the writer found out before recording anything more for them."""
        if self.session is None or self.session.user_id != message.user_id:
            return
        if message.user_id not in self.services.forgotten:  # the Customers screen said so itself
            self.notify(
                f"Customer {message.user_id} has been forgotten elsewhere: the live session goes on "
                "with a new anonymous visitor, and nothing more is recorded for them.",
                severity="warning",
            )
        self._let_go()

    def _let_go(self) -> None:
        assert self.session is not None
        self.started = False
        store_id = self.session.store_id
        visitor = LiveSession.anonymous_visitor(store_id, self.services.clock, self.services.rng)
        self._new_session(visitor, "Customer forgotten: a new anonymous visitor")

    def play_customer(self, user_id: str) -> None:
        store_id = self.session.store_id if self.session else None
        session = LiveSession(
            user_id=user_id, store_id=store_id, clock=self.services.clock, rng=self.services.rng
        )
        self._new_session(session, f"Customer {user_id}")

    def show_kiosks(self, found: list[str]) -> None:
        for kiosk in found:
            if kiosk not in self.kiosks:
                self.kiosks.append(kiosk)
        if self.session is None or self.session.store_id is not None:
            return  # its list is ranked for its kiosk already
        if self.kiosks:
            self.session.store_id = self.kiosks[0]
            self._show_session()
        # The first list waited for the kiosk (see on_mount); one ranked meanwhile, for a
        # shopper chosen first, was for no kiosk.
        self.refresh_suggestions("Opened the live session")

    def show_categories(self, categories: list[tuple[str, int]]) -> None:
        options = self.query_one("#live-categories", OptionList)
        options.clear_options()
        options.add_options(
            [Option(ALL, id=ALL)]
            + [Option(PathContent(printable(c)), id=CATEGORY + c) for c, _ in categories]
        )
        names = [c for c, _ in categories]
        options.highlighted = names.index(self.category) + 1 if self.category in names else 0

    def _load_categories(self) -> None:
        shop, unlisted = self.shop, self.suggester.offers_unlisted()
        self._categories_unlisted = unlisted
        self.load("categories", lambda: shop.categories(unlisted=unlisted))

    def _load_items(self) -> None:
        # The items a shopper can have: in a store that lists none (an events-only dataset),
        # those known from its log, which the suggestions name too.
        text, category, shop, suggester = self.search_text, self.category, self.shop, self.suggester
        self.load(
            "items",
            lambda: shop.items(
                text=text, category=category, unlisted=suggester.offers_unlisted(), limit=self.browse_rows
            ),
        )

    def show_items(self, items: list[ItemRow]) -> None:
        if self._items_wait_for_panel:
            # Refilling the table costs a full layout; the new suggestions go on screen first
            # and the table follows in the next frame.
            self._deferred_items = items
            return
        self.query_one(ItemTable).show_items(items)
        self._items_shown()

    def _show_deferred_items(self) -> None:
        self._items_wait_for_panel = False
        if self._deferred_items is not None:
            items, self._deferred_items = self._deferred_items, None
            self.query_one(ItemTable).show_items(items)
            self._items_shown()

    def _items_shown(self) -> None:
        """The open item as the list just read has it (its price or stock may have changed on
        the Catalogue screen or at another till), or none once another row is highlighted."""
        row = self.query_one(ItemTable).selected_item
        if self.open_item is not None and row is not None and row.item_id == self.open_item.item_id:
            if row != self.open_item:
                self.open_item = row
                self._show_detail()
            return
        self._follow_cursor()

    @on(DataTable.RowHighlighted, "#live-items")
    def _follow_cursor(self) -> None:
        """Closes the open item once the highlighted row is another one (the cursor moved, or
        a search or a category changed the list): a, b and r act on the row highlighted."""
        if self.open_item is None:
            return
        row = self.query_one(ItemTable).selected_item
        if row is None or row.item_id != self.open_item.item_id:
            self.open_item = None
            self._show_detail()

    def _show_session(self) -> None:
        s = self.session
        if s is None:
            return
        shown_id = _middle_cut(printable(s.user_id), 24)
        who = f"visitor {shown_id}" if s.anonymous else f"customer {shown_id}"
        cart = sum(self.cart.values())
        # The cart and the count before the kiosk and the session: what a narrow line cuts (with
        # …) is what changes least.
        line = Text.assemble(
            ("● ", "green" if self.started else "dim"),
            (who, "bold"),
            f" · cart {cart} · {self.actions_done} actions · "
            f"{printable(s.store_id or 'no kiosk')} · session {s.session_id[-8:]}",
        )
        self.query_one("#live-session", Static).update(line, layout=False)
        self._show_detail()

    def _show_detail(self) -> None:
        # One row each, cut with … (console.tcss): a long title wrapped over the price and stock,
        # and the cart, in the three rows there are.
        lines = Text()
        item = self.open_item
        if item is None:
            lines.append("Enter opens the highlighted item; a adds it, b buys it.", style="dim")
        else:
            stock = "stock ?" if item.stock is None else f"stock {item.stock}"
            lines.append(printable(item.label), style="bold")
            lines.append("\n")
            in_cart = f"in cart ×{self.cart[item.item_id]}" if item.item_id in self.cart else ""
            lines.append_text(
                facts(
                    (money(item.price), "bold"),
                    (stock, "bold"),
                    printable(item.category or ""),
                    printable(item.brand or ""),
                    (in_cart, "green"),
                )
            )
        lines.append("\n")
        if self.cart:
            names = [self.cart_items[i].label if i in self.cart_items else i for i in self.cart]
            lines.append(f"Cart ({sum(self.cart.values())}): ", style="bold")
            lines.append(printable(", ".join(names)))
        else:
            lines.append("Cart is empty.", style="dim")
        self.query_one("#live-detail", Static).update(lines, layout=False)

    # --- browsing (no events) -----------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#live-categories")
    def _category_changed(self, event: OptionList.OptionHighlighted) -> None:
        chosen = event.option.id
        category = chosen.removeprefix(CATEGORY) if chosen and chosen.startswith(CATEGORY) else None
        if category != self.category:
            self.category = category
            self._load_items()

    # --- actions: each records events --------------------------------------------------------

    @on(Input.Submitted, "#live-search")
    @guarded("searching")
    def _search(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip()
        if self.search_text:
            self._submit("search", lambda s: [s.search(self.search_text)])  # a refused one raises
            self._items_wait_for_panel = True
        # Focus stays in the search box: moving it would redraw the whole table in the same
        # frame as the new suggestions. Down or escape goes to the results.
        self._load_items()

    @on(DataTable.RowSelected, "#live-items")
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    @guarded("opening an item")
    def action_open(self) -> None:
        row = self.query_one(ItemTable).selected_item
        if row is None:
            return
        # As the catalogue and the shop's rules have it now: another process may have delisted
        # it since it was listed, or the rules banned it (a recall), which the kiosk does not
        # open either. One sold out opens, its stock 0 in view.
        item = self.shop.item(row.item_id)
        why = not_for_sale(item, self.suggester)
        if why in (NOT_LISTED, BANNED):
            gone = "not in the catalogue" if item is None else why
            again = " any more" if why == NOT_LISTED else ""
            self.notify(f"{printable(row.label)} is {gone}{again}: not opened.", severity="warning")
            self._load_items()
            return
        # Its details show together with the suggestions it leads to: a frame for them now
        # would hold the suggestions' frame back (Textual paints at most 60 frames a second).
        self.open_item = item
        self._submit("view", lambda s: [s.view(item)])

    def _target(self) -> ItemRow | None:
        """The highlighted row's item: the open item when it is that row (as read when opened)."""
        row = self.query_one(ItemTable).selected_item
        if row is not None and self.open_item is not None and self.open_item.item_id == row.item_id:
            return self.open_item
        return row

    def _target_in_stock(self) -> ItemRow | None:
        """The highlighted item as the catalogue has it now (the Catalogue screen may have
        changed its price or delisted it since it was shown), if it can be sold as the kiosk
        decides it (listed, in stock, not banned by the shop's rules); says why not otherwise."""
        target = self._target()
        if target is None:  # a search that lists nothing: say so, not drop the key
            self.notify(f"No item is highlighted: {_HIGHLIGHT_ONE}.", severity="warning")
            return None
        item = self.shop.item(target.item_id) or target
        if self.open_item is not None and self.open_item.item_id == item.item_id:
            self.open_item = item
        why = not_for_sale(item, self.suggester)
        if why is not None:
            self.notify(f"{printable(item.label)} is {why}.", severity="warning")
            return None
        return item

    @guarded("adding to the cart")
    def action_add(self) -> None:
        item = self._target_in_stock()
        if item is None:
            return
        self.cart_items[item.item_id] = item
        self._submit_add(item)

    def _submit(
        self,
        label: str,
        make: Callable[[LiveSession], list[Event]],
        *,
        on_cart: Callable[[LiveSession, dict[str, int]], list[Event]] | None = None,
    ) -> None:
        self.blocking = []  # r means the item on screen again once something else was done
        super()._submit(label, make, on_cart=on_cart)

    def _refused(self, refusal: Refused, *, latest: bool = True) -> None:
        super()._refused(refusal, latest=latest)
        if latest:  # r removes what refused it, unless another action came after
            self.blocking = refusal.items

    @guarded("removing from the cart")
    def action_remove(self) -> None:
        # Right after a refused checkout, r removes what refused it (it may be in no list any
        # more); otherwise the item highlighted, and never a guess.
        blocking = [i for i in self.blocking if i in self.cart]
        item = (
            (self.cart_items.get(blocking[0]) or self.shop.item(blocking[0])) if blocking else self._target()
        )
        chosen = item

        def remove(session: LiveSession, cart: dict[str, int]) -> list[Event]:
            # The cart recorded, not the one shown, which the actions queued before may change.
            if chosen is None or chosen.item_id not in cart:
                if not cart:
                    raise Refused("The cart is empty.")
                if chosen is None:
                    raise Refused(f"No item is highlighted: {_HIGHLIGHT_ONE} that is in the cart.")
                raise Refused(
                    f"{printable(chosen.label)} is not in the cart: highlight the cart's item to remove it."
                )
            return [session.remove_from_cart(chosen)]

        self._submit_on_cart("remove", remove)
        self.blocking = blocking[1:]

    @guarded("buying")
    def action_buy(self) -> None:
        item = self._target_in_stock()
        if item is None:
            return
        shop, suggester = self.shop, self.suggester

        def buy(session: LiveSession, _cart: dict[str, int]) -> list[Event]:
            # The item as the sales queued before leave it, not as shown: keys pressed while
            # another program held the store would each sell its last unit.
            now = shop.item(item.item_id)
            why = not_for_sale(now, suggester)
            if now is None or why is not None:
                raise Refused(f"{printable(item.label)} is {why}.")
            return [session.buy(now)]

        self._submit_on_cart("buy", buy)

    @guarded("checking out")
    def action_checkout(self) -> None:
        shop, suggester = self.shop, self.suggester

        def checkout(session: LiveSession, cart: dict[str, int]) -> list[Event]:
            if not cart:
                raise Refused("The cart is empty.")
            now = shop.items_by_id(cart)  # prices, stock and the shop's rules as they are at the till
            why = {i: not_for_sale(item, suggester) or short_of(item, cart[i]) for i, item in now.items()}
            unavailable = [item for i, item in now.items() if why[i] is not None]
            if unavailable:
                reasons = "; ".join(f"{printable(item.label)} is {why[item.item_id]}" for item in unavailable)
                them = "it" if len(unavailable) == 1 else "them"
                raise Refused(
                    f"Not checked out: {reasons}. Remove {them} from the cart (r).",
                    [item.item_id for item in unavailable],
                )
            return [session.buy(now[i], quantity) for i, quantity in cart.items() if i in now]

        self._submit_on_cart("checkout", checkout)

    @guarded("ending the session")
    def action_end(self) -> None:
        if self.session is None:
            return
        self._end_session()
        self._new_session(self.session.next_session(), "Started a new session")

    @guarded("choosing a customer")
    def action_choose_customer(self) -> None:
        def chosen(user_id: str | None) -> None:
            if user_id:
                self.play_customer(user_id)

        self.app.push_screen(ChooseCustomerScreen(), chosen)

    @guarded("starting an anonymous visit")
    def action_visitor(self) -> None:
        store_id = self.session.store_id if self.session else None
        visitor = LiveSession.anonymous_visitor(store_id, self.services.clock, self.services.rng)
        self._new_session(visitor, "New anonymous visitor")

    @guarded("changing the kiosk")
    def action_next_kiosk(self) -> None:
        if self.session is None or not self.kiosks:
            self.notify("No kiosks are known yet.", severity="warning")
            return
        current = self.session.store_id
        index = (self.kiosks.index(current) + 1) % len(self.kiosks) if current in self.kiosks else 0
        self.session.store_id = self.kiosks[index]
        self._show_session()
        self.refresh_suggestions(f"Kiosk {self.session.store_id}")  # popularity there, not at the last one

    def _new_session(self, session: LiveSession, label: str) -> None:
        self._end_session()
        self.session = session
        self.started = False
        self.open_item = None
        self.cart = {}
        self.cart_items = {}
        self.blocking = []
        self.actions_done = 0
        self.refresh_suggestions(label)  # the session line follows with its first list

    def _session_lapsed(self) -> None:
        self.actions_done = 0  # of the new session, which the shopper's next action starts
        self.blocking = []

    # --- the writer ---------------------------------------------------------------------------

    def refresh_suggestions(self, label: str) -> None:
        """Ranks again without recording anything (a new shopper, a new kiosk)."""
        if self.session is not None:
            self._enqueue(self._job(label, []))

    def on_action_done(self, message: ActionDone) -> None:
        outcome = message.outcome
        job = outcome.job
        if outcome.forgotten:  # nothing was recorded: see on_customer_forgotten
            self._show_deferred_items()
            return
        if outcome.error is not None:
            self._show_deferred_items()
            self._show_session()
            text, severity = describe(outcome.error)
            self.notify(text, title=f"While recording {job.label}", severity=severity)
            return
        if outcome.refused is not None:  # nothing recorded; a list may follow the actions before
            self._refused(outcome.refused, latest=job.ticket == self._tickets)
        if job.events and self.session is not None and job.session_id == self.session.session_id:
            self.actions_done += 1  # of this session: the end of the one before is not counted
        if outcome.positions:
            self.last_position = max(self.last_position, outcome.positions[-1])
        if outcome.suggestions is None:
            self._show_deferred_items()
            return
        session = self.session
        if session is None or job.user_id != session.user_id:
            return  # a list for a shopper who has left
        self.cart = outcome.cart
        panel = self.query_one(RecommendationsPanel)
        # Only the list goes into the next frame; the panel's title, the timing, the session
        # line and the cart follow once it is painted (see on_recommendations_panel_painted).
        panel.show(outcome.suggestions)
        timing = Timing(outcome.write_ms, outcome.rank_ms, None, self.last_position)
        self._on_its_way = (panel.generation, job, timing)

    def on_recommendations_panel_painted(self, message: RecommendationsPanel.Painted) -> None:
        """The list is in a frame: the key-to-panel time is known now, and the rest follows."""
        if self._on_its_way is None or self._on_its_way[0] != message.generation:
            return
        _, job, timing = self._on_its_way
        self._on_its_way = None
        panel = self.query_one(RecommendationsPanel)
        total = (message.at - job.pressed_at) * 1000
        if job.events:
            self.latencies_ms.append(total)
        painted = Timing(timing.write_ms, timing.rank_ms, total, timing.position)
        panel.describe(f"Suggestions · {job.label}", painted)
        missing = [i for i in self.cart if i not in self.cart_items]
        if missing:
            self.cart_items.update(self.shop.items_by_id(missing))
        self._show_session()
        if self.jobs.empty():
            self._show_deferred_items()
            collect_between_actions()
        panel.painted_at = message.at
        panel.painted_generation = message.generation

    # --- for tests and the benchmark ------------------------------------------------------------

    @property
    def suggestions(self) -> Sequence[Suggestion]:
        return self.query_one(RecommendationsPanel).suggestions


def _middle_cut(text: str, width: int) -> str:
    """`text` as it is if it fits `width`, else its start and its end around an ellipsis."""
    if len(text) <= width:
        return text
    tail = width // 3
    return f"{text[: width - tail - 1]}…{text[-tail:]}"


_HIGHLIGHT_ONE = "highlight one in the list (clear the search or the category if it lists none)"
