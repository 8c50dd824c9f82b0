"""The live session screen: every action is an event, and the suggestions follow it at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot

import edgerec
from edgerec.api import Store
from edgerec.domain import ItemListed
from edgerec.ui.app import ConsoleApp
from edgerec.ui.clock import Clock, FixedClock
from edgerec.ui.screens.live import LiveScreen
from edgerec.ui.widgets.recs import RecommendationsPanel, SuggestionLines
from edgerec.ui.widgets.tables import ItemTable
from tests.ctrl_c import TerminalOutput, end, in_a_terminal
from tests.postgres_server import Server as PostgresServer
from tests.ui.ui_shop import (
    HandClock,
    another_program_writing,
    events_only_store,
    make_shop,
    screen_text,
    until,
)


def live_console(store: Store, tmp_path: Path, *, seed: int = 1, clock: Clock | None = None) -> ConsoleApp:
    """The console on its Live screen, on `clock` (a fixed one by default), its log in `tmp_path`."""
    return ConsoleApp(
        store, start="live", seed=seed, clock=clock or FixedClock(), log_path=tmp_path / "ui.log"
    )


def excluded(app: ConsoleApp, user_id: str) -> set[str]:
    shop = app.services.shop
    unavailable = {i.item_id for i in shop.items(listed_only=False, limit=10_000) if not i.available}
    return shop.excluded_for(user_id) | unavailable


async def act(
    pilot: Pilot[None], *keys: str, click: str | None = None, offset: tuple[int, int] = (0, 0)
) -> None:
    """Presses keys (or clicks), then waits until the panel has painted a new list."""
    screen = pilot.app.screen
    assert isinstance(screen, LiveScreen)
    panel = screen.query_one(RecommendationsPanel)
    before = panel.painted_generation
    if click:  # the first click highlights a row, the second opens it
        await pilot.click(click, offset=offset)
        await pilot.click(click, offset=offset)
    await pilot.press(*keys)
    await until(pilot, lambda: panel.painted_generation > before, what=f"a new list after {keys or click}")


async def ready(pilot: Pilot[None]) -> tuple[LiveScreen, RecommendationsPanel]:
    """The live screen and its panel, once the first list and the items are on screen."""
    screen = pilot.app.screen
    assert isinstance(screen, LiveScreen)
    panel = screen.query_one(RecommendationsPanel)
    items = screen.query_one(ItemTable)
    await until(pilot, lambda: panel.painted_generation >= 1 and items.row_count > 0)
    return screen, panel


async def _session(app: ConsoleApp) -> list[str]:
    done: list[str] = []
    async with app.run_test(size=(100, 32)) as pilot:
        screen, panel = await ready(pilot)

        await act(pilot, "c", *"cust-04", "enter")  # choose a customer: ranks again, records nothing
        assert screen.session is not None and screen.session.user_id == "cust-04"
        head = app.services.store.head()

        # (action, keys, click, must the list change?) The end of a session is logged and
        # refreshes the panel, but the list may stay the same after it: the customer's
        # history still ranks.
        steps: list[tuple[str, tuple[str, ...], str | None, bool]] = [
            ("view", ("down", "enter"), None, True),
            ("add", ("a",), None, True),
            ("view", ("down", "down", "enter"), None, True),
            ("add", ("a",), None, True),
            ("remove", ("r",), None, True),
            ("search", ("slash", *"classic", "enter"), None, True),
            ("view", ("down", "enter"), None, True),  # down leaves the search box for the results
            ("buy", ("b",), None, True),
            ("view", (), "#live-items", True),  # a click on a row opens it
            ("add", ("a",), None, True),
            ("checkout", ("x",), None, True),
            ("end", ("e",), None, False),  # a new session for the same customer
            ("view", ("down", "enter"), None, True),
        ]
        for label, keys, click, must_change in steps:
            before, position = panel.signature(), panel.position
            await act(pilot, *keys, click=click, offset=(10, 3))
            after = panel.suggestions
            assert panel.position > position, f"the panel was not refreshed after {label}"
            if must_change:
                assert panel.signature() != before, f"the list did not change after {label}"
            assert after, f"no suggestions after {label}"
            assert all(s.reason.strip() for s in after), f"a suggestion without a reason after {label}"
            assert not {s.item_id for s in after} & excluded(app, "cust-04"), label
            if screen.open_item is not None:  # the item on screen is not suggested beside itself
                assert screen.open_item.item_id not in {s.item_id for s in after}, label
            if label == "search":
                assert any('search "classic"' in s.reason for s in after), [s.reason for s in after]
            done.append(label)
        recorded = app.services.store.read(since=head)
        assert [e.type for e in recorded][:3] == ["session_started", "item_viewed", "added_to_cart"]
        assert sum(must for *_, must in steps) >= 11
        assert {e.user_id for e in recorded} == {"cust-04"}
        assert len(screen.latencies_ms) >= 10  # "end" shares its list with the next session
        assert "to panel (db" in str(panel.query_one("#recs-timing").render())
    return done


def test_a_session_of_thirteen_actions_moves_the_suggestions(shop_store: Store, tmp_path: Path) -> None:
    app = live_console(shop_store, tmp_path, seed=5)
    assert len(asyncio.run(_session(app))) == 13


def test_the_same_session_on_postgresql(postgres: PostgresServer, tmp_path: Path) -> None:
    with make_shop(postgres.database()) as store:
        app = live_console(store, tmp_path, seed=5)
        assert len(asyncio.run(_session(app))) == 13


def test_a_sale_takes_the_catalogue_as_it_is_now(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Catalogue screen (or another till) changes an item shown on the live screen. (The
    writer's idle look is turned off: the list it ranks after a catalogue change is not the
    one a sale brings.)"""
    from edgerec.domain import ItemDelisted, ItemUpdated
    from edgerec.ui.writer import SessionWriter

    monkeypatch.setattr(SessionWriter, "_refresh_while_idle", lambda _self: None)

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "enter")
            shown = screen.open_item
            assert shown is not None and shown.price != 99.0
            shop_store.record(ItemUpdated(item_id=shown.item_id, price=99.0))
            head = shop_store.head()
            await act(pilot, "b")
            [bought] = shop_store.read(since=head)
            assert bought.type == "purchased" and bought.payload["price_paid"] == 99.0

            shop_store.record(ItemDelisted(item_id=shown.item_id))
            head = shop_store.head()
            await pilot.press("a")
            await until(
                pilot, lambda: any("not listed for sale" in str(n.message) for n in app._notifications)
            )
            assert shop_store.read(since=head) == []

    asyncio.run(scenario())


def test_a_checkout_of_more_than_is_in_stock_is_refused(shop_store: Store, tmp_path: Path) -> None:
    """Three in the cart, then another till sells one of the three left: the checkout sold all
    three, recording a purchase of 3 of an item with 2 left. It is refused, saying how many are
    left, and records nothing; with as many in the cart as in stock, it sells them."""
    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "enter")
            item = screen.open_item
            assert item is not None
            record, now = app.services.record, app.services.clock.now
            record(ItemUpdated(item_id=item.item_id, stock=3, occurred_at=now()))
            for _ in range(3):
                await act(pilot, "a")
            assert screen.cart == {item.item_id: 3}
            record(ItemUpdated(item_id=item.item_id, stock=2, occurred_at=now()))
            head = shop_store.head()
            await pilot.press("x")
            await until(
                pilot,
                lambda: any(
                    "down to 2 in stock, 3 in the cart" in str(n.message) for n in app._notifications
                ),
            )
            assert shop_store.read(since=head) == []
            await act(pilot, "r")
            head = shop_store.head()
            await act(pilot, "x")
            sold = [(e.type, e.item_id, e.payload.get("quantity")) for e in shop_store.read(since=head)]
            assert sold == [("purchased", item.item_id, 2)]
            assert app.services.shop.item(item.item_id).stock == 0  # type: ignore[union-attr]

    asyncio.run(scenario())


def test_adding_more_than_is_in_stock_to_the_cart_is_refused(shop_store: Store, tmp_path: Path) -> None:
    """Two in stock: a third press of a put a third in the cart, which only the checkout then
    refused. The add is refused, saying how many are in stock and in the cart, and records
    nothing."""
    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "enter")
            item = screen.open_item
            assert item is not None
            app.services.record(
                ItemUpdated(item_id=item.item_id, stock=2, occurred_at=app.services.clock.now())
            )
            for _ in range(2):
                await act(pilot, "a")
            head = shop_store.head()
            await pilot.press("a")
            said = "down to 2 in stock, 2 in the cart already"
            await until(pilot, lambda: any(said in str(n.message) for n in app._notifications))
            await pilot.pause(0.2)
            assert shop_store.read(since=head) == []
            assert screen.cart == {item.item_id: 2}

    asyncio.run(scenario())


def test_adds_pressed_while_another_program_holds_the_store_stop_at_the_stock(
    shop_store: Store, tmp_path: Path
) -> None:
    """Two in stock, a pressed four times while another program held the store: the screen's
    cart, which the adds queued had not reached, held none, so all four went into the cart. The
    third and fourth are refused, as a third press is when the first two are recorded."""

    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "enter")
            item = screen.open_item
            assert item is not None and screen.session is not None
            app.services.record(
                ItemUpdated(item_id=item.item_id, stock=2, occurred_at=app.services.clock.now())
            )
            head = shop_store.head()
            with another_program_writing(shop_store):
                for _ in range(4):
                    await pilot.press("a")
                    await pilot.pause(0.1)
            await until(pilot, lambda: not screen.writing, what="the adds recorded")
            added = [e for e in shop_store.read(since=head) if e.type == "added_to_cart"]
            assert len(added) == 2
            assert app.services.shop.cart(screen.session.user_id) == {item.item_id: 2}
            said = "down to 2 in stock, 2 in the cart already"
            await until(pilot, lambda: any(said in str(n.message) for n in app._notifications))

    asyncio.run(scenario())


def test_buys_pressed_while_another_program_holds_the_store_stop_at_the_stock(
    shop_store: Store, tmp_path: Path
) -> None:
    """One in stock, b pressed three times while another program held the store: each press
    checked the stock shown, which the sales queued had not lowered yet, so three were sold
    (the stock stopping at 0). The second and third are refused as out of stock, as a press
    after the first sale is recorded."""

    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "enter")
            item = screen.open_item
            assert item is not None
            app.services.record(
                ItemUpdated(item_id=item.item_id, stock=1, occurred_at=app.services.clock.now())
            )
            head = shop_store.head()
            with another_program_writing(shop_store):
                for _ in range(3):
                    await pilot.press("b")
                    await pilot.pause(0.1)
            await until(pilot, lambda: not screen.writing, what="the sales recorded")
            sold = [e for e in shop_store.read(since=head) if e.type == "purchased"]
            assert [(e.item_id, e.payload.get("quantity")) for e in sold] == [(item.item_id, 1)]
            said = f"{item.label} is out of stock."
            await until(pilot, lambda: any(said in str(n.message) for n in app._notifications))

    asyncio.run(scenario())


def test_a_and_b_act_on_the_row_highlighted_not_on_an_item_opened_before(
    shop_store: Store, tmp_path: Path
) -> None:
    """An item opened, then the cursor moved to another row, or a search listed others: a and
    b recorded the item opened before (no longer in the list, or out of sight), not the row
    highlighted, without a word."""

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            table = screen.query_one(ItemTable)
            await act(pilot, "enter")
            opened = screen.open_item
            assert opened is not None
            await pilot.press("down")
            await until(pilot, lambda: screen.open_item is None, what="the open item closed")
            assert "Enter opens the highlighted item" in screen_text(app)
            while not table.selected_item.available:  # type: ignore[union-attr]
                await pilot.press("down")
            highlighted = table.selected_item
            assert highlighted is not None and highlighted.item_id != opened.item_id
            head = shop_store.head()
            await act(pilot, "b")
            assert [(r.type, r.item_id) for r in shop_store.read(since=head)] == [
                ("purchased", highlighted.item_id)
            ]

            await act(pilot, "up", "enter")  # open one again, then search for another category
            opened = screen.open_item
            assert opened is not None
            other = next(c for c in ("Shoes", "Kitchen") if c != opened.category)
            await act(pilot, "slash", *other, "enter")
            await until(pilot, lambda: table.row_count > 0 and opened.item_id not in table.rows_by_key)
            await pilot.press("down")  # from the search box into the results
            while not table.selected_item.available:  # type: ignore[union-attr]
                await pilot.press("down")
            highlighted = table.selected_item
            assert highlighted is not None and screen.open_item is None
            head = shop_store.head()
            await act(pilot, "a")
            assert [(r.type, r.item_id) for r in shop_store.read(since=head)] == [
                ("added_to_cart", highlighted.item_id)
            ]

    asyncio.run(scenario())


def test_an_item_the_shop_banned_is_neither_added_bought_opened_nor_checked_out(
    shop_store: Store, tmp_path: Path
) -> None:
    """a and b checked stock only, not the shop's rules: the operator added and bought an item
    banned a moment before (`edgerec rules set`, a recall), which the kiosk refuses. Add, buy,
    checkout and open now refuse it as the kiosk does, by item or by category (in any case),
    and record nothing; one sold out is refused as before."""
    from edgerec.recommend.engine import shop_rules_path

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            table = screen.query_one(ItemTable)
            while not table.selected_item.available:  # type: ignore[union-attr]
                await pilot.press("down")
            item = table.selected_item
            assert item is not None and item.category
            await act(pilot, "a")
            assert screen.cart == {item.item_id: 1}
            rules = shop_rules_path(shop_store)
            assert rules is not None
            rules.parent.mkdir(parents=True, exist_ok=True)
            rules.write_text(f'exclude_items = ["{item.item_id}"]\n')  # as `edgerec rules set` keeps them
            head = shop_store.head()

            def told() -> int:
                return sum("banned by the shop's rules" in str(n.message) for n in app._notifications)

            for n, key in enumerate(["a", "b", "x", "enter"], start=1):
                await pilot.press(key)
                await until(pilot, lambda n=n: told() == n, what=f"{key} refused")  # type: ignore[misc]
            assert screen.open_item is None
            rules.write_text(f'exclude_categories = ["{item.category.upper()}"]\n')
            await pilot.press("b")
            await until(pilot, lambda: told() == 5, what="b refused by category")
            await until(pilot, lambda: screen.jobs.empty() and not screen.writing, what="the writer idle")
            assert shop_store.read(since=head) == []
            rules.write_text("")
            while table.selected_item.available:  # type: ignore[union-attr]
                await pilot.press("down")
            sold_out = table.selected_item
            assert sold_out is not None and sold_out.stock == 0
            await pilot.press("a")
            await until(
                pilot,
                lambda: any(
                    f"{sold_out.label} is out of stock" in str(n.message) for n in app._notifications
                ),
                what="a sold-out item refused",
            )
            assert shop_store.read(since=head) == []

    asyncio.run(scenario())


def test_the_open_items_details_follow_a_change_to_the_catalogue(shop_store: Store, tmp_path: Path) -> None:
    """Another till changed the open item's price and stock: back on the Live screen, the
    table showed the new ones, the open item's detail line still the old ones."""
    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "enter")
            item = screen.open_item
            assert item is not None and item.price != 1.5
            with edgerec.open(shop_store.path) as other:
                other.record(ItemUpdated(item_id=item.item_id, price=1.5, stock=0))
            await pilot.press("f1")
            await pilot.press("f2")
            detail = screen.query_one("#live-detail")
            await until(
                pilot, lambda: "1.50 · stock 0" in str(detail.render()), what="the new price and stock"
            )
            assert screen.open_item is not None and screen.open_item.item_id == item.item_id

    asyncio.run(scenario())


def test_a_refused_search_loses_neither_the_list_nor_the_sessions_start(
    shop_store: Store, tmp_path: Path
) -> None:
    from textual.widgets import Input

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            items = screen.query_one(ItemTable)
            everything = items.row_count
            head = shop_store.head()
            search = screen.query_one("#live-search", Input)
            search.focus()
            search.value = "Kitchen\x00"  # the store refuses a NUL: the session's first action
            await pilot.press("enter")
            await until(pilot, lambda: any("NUL" in str(n.message) for n in app._notifications))
            assert shop_store.read(since=head) == []
            search.value = "Trail"
            await act(pilot, "enter")
            await until(pilot, lambda: 0 < items.row_count < everything, what="the search's items")
            app._notifications.clear()
            search.value = "Trail\x00"  # refused again, after a search that showed its items
            await pilot.press("enter")
            await until(pilot, lambda: any("NUL" in str(n.message) for n in app._notifications))
            search.value = ""
            await pilot.press("enter")
            await until(pilot, lambda: items.row_count == everything, what="every item again")
            assert [e.type for e in shop_store.read(since=head)] == ["session_started", "searched"]

    asyncio.run(scenario())


def test_a_session_whose_first_write_failed_is_started_in_the_log_by_its_next_action(
    shop_store: Store, tmp_path: Path
) -> None:
    """The session's first action failed to record (here a trigger refuses every event, as a
    write lock held past the busy timeout does): the action retried as told was recorded
    without the session's start, which the log never got."""
    import sqlite3

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            head = shop_store.head()
            other = sqlite3.connect(shop_store.path, isolation_level=None)
            other.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'no'); END"
            )
            await pilot.press("enter")  # open the highlighted item: the session's first action
            await until(pilot, lambda: app._notifications, what="the failed write said")
            assert shop_store.read(since=head) == []
            other.execute("DROP TRIGGER refuse")
            other.close()
            await act(pilot, "enter")  # tried again, as the notification says
            await act(pilot, "a")
            events = shop_store.read(since=head)
            assert [e.type for e in events] == ["session_started", "item_viewed", "added_to_cart"]
            assert {e.session_id for e in events} == {screen.session.session_id}

    asyncio.run(scenario())


def test_down_from_the_search_box_highlights_the_first_result(shop_store: Store, tmp_path: Path) -> None:
    """Down moved the focus to the results and their cursor too: Enter then opened the second
    result, not the first one, which escape leaves highlighted."""

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(140, 40)) as pilot:
            screen, _ = await ready(pilot)
            items = screen.query_one(ItemTable)
            everything = items.row_count
            await act(pilot, "slash", *"classic", "enter")
            await until(pilot, lambda: 1 < items.row_count < everything, what="the search's items")
            first = items.selected_item
            assert first is not None
            head = shop_store.head()
            await pilot.press("down")
            assert screen.focused is items and items.cursor_row == 0
            await act(pilot, "enter")
            assert [e.item_id for e in shop_store.read(since=head)] == [first.item_id]

    asyncio.run(scenario())


def test_a_category_named_all_is_one_of_the_categories(shop_store: Store, tmp_path: Path) -> None:
    """A category named All had the option id of 'All' (no filter): the list refused its
    options (DuplicateID), stayed empty, and no category could be chosen."""
    from textual.widgets import OptionList

    from edgerec.domain import ItemListed

    shop_store.record(ItemListed(item_id="gen-1", title="Gift card", category="All", price=5.0, stock=3))

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(140, 40)) as pilot:
            screen, _ = await ready(pilot)
            items = screen.query_one(ItemTable)
            everything = items.row_count
            options = screen.query_one("#live-categories", OptionList)
            await until(pilot, lambda: options.option_count > 1, what="the categories")
            shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            assert shown.count("All") == 2, shown
            options.highlighted = shown.index("All", 1)
            await until(pilot, lambda: items.row_count == 1, what="the category All's one item")
            assert items.selected_item is not None and items.selected_item.item_id == "gen-1"
            options.highlighted = 0
            await until(pilot, lambda: items.row_count == everything, what="every item again")
            assert not app._notifications

    asyncio.run(scenario())


def test_a_long_customer_id_leaves_the_cart_on_the_status_line(shop_store: Store, tmp_path: Path) -> None:
    """A customer id wider than the screen pushed the kiosk, session, cart and action count off it."""
    from textual.widgets import Input

    from edgerec.domain import ItemViewed

    long_id = "loyalty-card-" + "7" * 120 + "-end"
    item = shop_store.read(since=0)[0].item_id
    shop_store.record(ItemViewed(user_id=long_id, item_id=item))

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await pilot.press("c")
            await until(pilot, lambda: bool(app.screen.query("#choose-filter")), what="the chooser")
            app.screen.query_one("#choose-filter", Input).value = long_id
            before = panel.painted_generation
            await pilot.press("enter")
            await until(pilot, lambda: panel.painted_generation > before, what="the customer's list")
            assert screen.session is not None and screen.session.user_id == long_id
            status = screen_text(app).splitlines()[1]
            assert "customer loyalty-card-7" in status and "7-end · " in status
            assert "cart 0 · 0 actions" in status

    asyncio.run(scenario())


def test_a_customer_id_typed_with_its_enter_at_once_picks_that_customer(
    shop_store: Store, tmp_path: Path
) -> None:
    """A card reader types the id and Enter together: the customer listed first before the
    list followed the typing was picked, and an id no one has picked a customer whose id holds
    it (cust-1 played cust-10); it plays a new customer now, and says so."""
    from textual.widgets import Input, OptionList

    from edgerec.ui.screens.choose import ChooseCustomerScreen

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            customers = [c.user_id for c in app.services.shop.customers(text="", limit=100)]
            wanted = customers[-1]
            assert "cust-1" not in customers and "cust-10" in customers
            for typed in ("cust-1", wanted):
                await pilot.press("c")
                await until(pilot, lambda: isinstance(app.screen, ChooseCustomerScreen), what="the chooser")
                chooser = app.screen
                await until(
                    pilot, lambda c=chooser: c.query_one(OptionList).option_count > 0, what="the first list"
                )
                chooser.query_one("#choose-filter", Input).value = typed
                chooser._submit()  # type: ignore[attr-defined]  # in the same tick: the list is the old one
                await until(pilot, lambda: app.screen is screen, what="the chooser closed")
                await until(pilot, lambda p=typed: screen.session is not None and screen.session.user_id == p)
            said = [str(n.message) for n in app._notifications]
            assert "No customer has the id 'cust-1': playing a new customer." in said
            # A refused id shows its control characters escaped once ('C01\\\\t7' doubled them).
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, ChooseCustomerScreen), what="the chooser")
            app.screen.query_one("#choose-filter", Input).value = "C01\t7"
            app.screen._submit()  # type: ignore[attr-defined]
            await until(pilot, lambda: any("Not a customer id" in str(n.message) for n in app._notifications))
            refused = [str(n.message) for n in app._notifications if "Not a customer id" in str(n.message)]
            assert refused[0].startswith("Not a customer id: 'C01\\t7' contains"), refused

    asyncio.run(scenario())


def test_enter_picks_only_the_customer_whose_id_was_typed_or_the_one_moved_to(
    shop_store: Store, tmp_path: Path
) -> None:
    """Enter on an id no one has played the first customer whose id held it, and recorded
    that customer's actions; only an arrow key picks a customer other than the one typed."""
    from edgerec.ui.screens.choose import ChooseCustomerScreen

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            head = app.services.store.head()
            await act(pilot, "c", *"cust-1", "enter")
            assert screen.session is not None and screen.session.user_id == "cust-1"
            await act(pilot, "enter")  # views the highlighted item: the new customer's event
            assert {r.user_id for r in app.services.store.read(since=head)} == {"cust-1"}

            await pilot.press("c", *"cust-1")
            chooser = app.screen
            assert isinstance(chooser, ChooseCustomerScreen)
            await until(pilot, lambda: chooser._listed_for == "cust-1", what="the list of cust-1")
            await pilot.press("down", "enter")  # the second customer whose id holds cust-1
            await until(pilot, lambda: app.screen is screen, what="the chooser closed")
            assert screen.session.user_id in {"cust-10", "cust-11"}

            await pilot.press("c", "enter")  # nothing typed, nothing moved to: nothing picked
            await until(
                pilot, lambda: any("Type a customer's id" in str(n.message) for n in app._notifications)
            )
            assert isinstance(app.screen, ChooseCustomerScreen)

    asyncio.run(scenario())


def test_forgetting_the_customer_played_ends_their_live_session_without_a_word(
    shop_store: Store, tmp_path: Path
) -> None:
    """The Live screen went on playing a customer forgotten on F3, and its next key recorded
    them again (in a session whose start the forget had erased). Its writer, finding them gone
    while the forget ran, then said they had been "forgotten elsewhere"."""
    from edgerec.ui.screens.confirm import ConfirmScreen
    from edgerec.ui.screens.customers import CustomersScreen

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "c", *"cust-04", "enter")
            await act(pilot, "enter")  # a view: the session has started in the log
            assert shop_store.read(user_id="cust-04", session_id=screen.session.session_id)
            await pilot.press("f3")
            customers = app.screen
            assert isinstance(customers, CustomersScreen)
            customers.open("cust-04")
            await until(pilot, lambda: customers.current == "cust-04")
            await pilot.press("f")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: customers.forgotten == ["cust-04"], what="the customer forgotten")
            head = app.services.store.head()
            await pilot.press("f2")
            await until(pilot, lambda: app.screen is screen)
            await until(pilot, lambda: screen.session is not None and screen.session.anonymous)
            await act(pilot, "down", "enter")
            assert shop_store.read(user_id="cust-04") == []  # no session_ended for them either
            assert {r.user_id for r in shop_store.read(since=head)} == {screen.session.user_id}
            said = [str(n.message) for n in app._notifications]
            assert not any("forgotten elsewhere" in m for m in said), said

    asyncio.run(scenario())


@pytest.mark.parametrize("while_idle", [True, False])
def test_a_customer_forgotten_by_another_process_is_let_go_before_anything_more_is_recorded(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, while_idle: bool
) -> None:
    """Forgotten by `edgerec forget-user` (here another Store on the same file), the customer
    played went on being played, and the next key recorded them again, in a session whose
    start the forget had erased: only this console's own Customers screen was heeded. The
    writer asks before recording too, not only when idle (here its idle look is turned off)."""
    from edgerec.privacy import forget_user
    from edgerec.ui.writer import SessionWriter

    if not while_idle:
        monkeypatch.setattr(SessionWriter, "_refresh_while_idle", lambda _self: None)

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "c", *"cust-04", "enter")
            await act(pilot, "enter")  # a view: the session has started in the log
            with edgerec.open(shop_store.path) as other:
                assert forget_user(other, "cust-04").found
            head = shop_store.head()
            if while_idle:
                await until(pilot, lambda: screen.session.anonymous, what="the visitor, without a key")
            else:
                await pilot.pause(0.5)
                assert screen.session.user_id == "cust-04"
                await pilot.press("down", "enter")
                await until(pilot, lambda: screen.session.anonymous, what="the visitor after a key")
            assert shop_store.read(user_id="cust-04") == []  # no view, no session_ended either
            await until(
                pilot, lambda: any("forgotten elsewhere" in str(n.message) for n in app._notifications)
            )
            await act(pilot, "down", "enter")
            assert shop_store.read(user_id="cust-04") == []
            assert {r.user_id for r in shop_store.read(since=head)} == {screen.session.user_id}

    asyncio.run(scenario())


def test_the_panel_follows_a_catalogue_change_made_elsewhere(shop_store: Store, tmp_path: Path) -> None:
    """An item delisted, sold out or repriced by another process (an import, another till)
    stayed on the panel, at its old price, until the shopper's next action."""
    from edgerec.domain import ItemDelisted, ItemUpdated

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "c", *"cust-04", "enter")
            delisted, sold_out, repriced = (s.item_id for s in panel.suggestions[:3])
            head = shop_store.head()
            with edgerec.open(shop_store.path) as other:
                other.record(ItemDelisted(item_id=delisted))
                other.record(ItemUpdated(item_id=sold_out, stock=0))
                other.record(ItemUpdated(item_id=repriced, price=999.0))

            def prices() -> dict[str, float | None]:
                return {s.item_id: s.price for s in panel.suggestions}

            await until(
                pilot,
                lambda: delisted not in prices() and sold_out not in prices(),
                timeout=10,
                what="the panel ranked again without a key",
            )
            assert prices()[repriced] == 999.0
            assert shop_store.read(since=head + 3) == []  # nothing recorded for the shopper

    asyncio.run(scenario())


def test_the_panel_follows_the_shops_hour_and_rules(shop_store: Store, tmp_path: Path) -> None:
    """The panel kept the list of the hour it was ranked in, "Popular ... around 09:00" at
    15:00, and an item the shop banned (`edgerec rules set` elsewhere) until the shopper's next
    action. Both rank it again, once each."""
    from datetime import UTC, datetime, timedelta

    from edgerec.recommend.engine import shop_rules_path

    async def scenario() -> None:
        clock = HandClock(datetime(2026, 1, 15, 9, 5, tzinfo=UTC))
        app = live_console(shop_store, tmp_path, clock=clock)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "c", *"cust-04", "enter")
            await pilot.pause(1.0)  # idle ticks with nothing changed: no list ranked again
            painted = panel.painted_generation
            clock.at += timedelta(hours=6)
            await until(pilot, lambda: panel.painted_generation > painted, timeout=10, what="the new hour")
            await pilot.pause(1.0)
            painted = panel.painted_generation
            banned = panel.suggestions[0].item_id
            rules = shop_rules_path(shop_store)
            assert rules is not None
            rules.parent.mkdir(parents=True, exist_ok=True)
            rules.write_text(f'exclude_items = ["{banned}"]\n')  # as `edgerec rules set` keeps them
            await until(pilot, lambda: panel.painted_generation > painted, timeout=10, what="the new rules")
            assert banned not in {s.item_id for s in panel.suggestions}
            await pilot.pause(1.0)
            assert panel.painted_generation == painted + 1  # the rules stood still since
            assert screen.session is not None

    asyncio.run(scenario())


def test_back_from_the_catalogue_screen_the_panel_is_ranked_again(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item delisted on the Catalogue screen ("It will no longer be suggested") was still
    the panel's first suggestion back on the Live screen, until the shopper's next action.
    (The writer's idle look, which finds catalogue changes too, is turned off here.)"""
    from edgerec.domain import ItemDelisted
    from edgerec.ui.writer import SessionWriter

    monkeypatch.setattr(SessionWriter, "_refresh_while_idle", lambda _self: None)

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "c", *"cust-04", "enter")
            gone = panel.suggestions[0].item_id
            await pilot.press("f5")
            await until(pilot, lambda: app.screen is not screen, what="the Catalogue screen")
            app.services.record(ItemDelisted(item_id=gone, occurred_at=app.services.clock.now()))
            await pilot.press("f2")
            await until(
                pilot,
                lambda: app.screen is screen and gone not in {s.item_id for s in panel.suggestions},
                timeout=10,
                what="the panel ranked again",
            )

    asyncio.run(scenario())


def test_a_dialog_closed_over_the_live_screen_ranks_nothing_again(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the dialog that chooses a customer (or the help) ranked the panel again as
    'Back to the live session', whose heading replaced the customer's; so did any event another
    program recorded meanwhile (a kiosk on the same store)."""
    from edgerec.domain import ItemViewed

    headings: list[str] = []
    describe = RecommendationsPanel.describe

    def noted(panel: RecommendationsPanel, heading: str, *rest: object) -> None:
        headings.append(heading)
        describe(panel, heading, *rest)

    monkeypatch.setattr(RecommendationsPanel, "describe", noted)

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            await ready(pilot)
            headings.clear()
            await pilot.press("c")
            with edgerec.open(shop_store.path) as kiosk:  # another program records meanwhile
                kiosk.record(ItemViewed(user_id="walk-in", item_id="a-walk-ins-item"))
            await pilot.press(*"cust-04", "enter")
            await until(pilot, lambda: any("cust-04" in h for h in headings), what="the customer's list")
            await pilot.pause(0.5)
            assert all("Back to the live session" not in h for h in headings), headings

    asyncio.run(scenario())


def test_the_panel_is_ranked_for_the_kiosk_the_session_is_at(shop_store: Store, tmp_path: Path) -> None:
    """k moved the session to another kiosk but left the panel on the last kiosk's list (its
    "Popular at this kiosk" reasons), and the first list was ranked for no kiosk at all before
    the store's kiosks were known."""

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await until(pilot, lambda: len(screen.kiosks) == 2, what="the store's kiosks")
            await pilot.pause(0.5)  # any list on its way is painted
            suggester = app.services.suggester

            def ranked_here() -> list[str]:
                session = screen.session
                assert session is not None
                found = suggester.recommend(session.user_id, k=8, context=session.context)
                return [s.item_id for s in found]

            assert screen.session is not None and screen.session.store_id == "kiosk-entrance"
            assert [s.item_id for s in panel.suggestions] == ranked_here()
            before = panel.painted_generation
            await pilot.press("k")
            assert screen.session.store_id == "kiosk-first-floor"
            await until(pilot, lambda: panel.painted_generation > before, timeout=10, what="a list after k")
            assert [s.item_id for s in panel.suggestions] == ranked_here()
            assert "Kiosk kiosk-first-floor" in screen_text(app)

    asyncio.run(scenario())


def test_an_item_delisted_by_another_process_is_not_opened(shop_store: Store, tmp_path: Path) -> None:
    """An item another process delisted stayed in the Live screen's list, and Enter opened it
    with its stock, as if for sale, and recorded a view of it."""
    from edgerec.domain import ItemDelisted

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            items = screen.query_one(ItemTable)
            row = items.selected_item
            assert row is not None
            with edgerec.open(shop_store.path) as other:
                other.record(ItemDelisted(item_id=row.item_id))
            head = shop_store.head()
            await pilot.press("enter")
            await until(
                pilot,
                lambda: any("is not listed for sale any more" in str(n.message) for n in app._notifications),
                what="the operator told",
            )
            await until(pilot, lambda: row.item_id not in items.rows_by_key, what="the list loaded again")
            assert screen.open_item is None and not screen.started
            assert shop_store.read(since=head) == []

    asyncio.run(scenario())


def test_a_schema_downgraded_under_the_console_is_said_plainly(shop_store: Store, tmp_path: Path) -> None:
    """`edgerec db downgrade` run while the console had the store open: the console's next
    action notified the database's raw words, with its SQL, parameters and a link."""
    from click.testing import CliRunner

    from edgerec.cli import main

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            await ready(pilot)
            args = ["--db", str(shop_store.path), "db", "downgrade", "0010", "--yes"]
            result = CliRunner().invoke(main, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            await pilot.press("slash", *"trail", "enter")
            await until(pilot, lambda: app._notifications, what="a notification")
            said = [str(n.message) for n in app._notifications]
            assert any("run `edgerec db upgrade`, then start the console again" in m for m in said), said
            assert not any("[SQL:" in m or "sqlalche.me" in m for m in said), said

    asyncio.run(scenario())


def test_r_after_a_refused_checkout_removes_the_item_that_refused_it(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal said 'Remove it from the cart (r)', but r removed the last cart item, or the
    item open, still for sale; and with an item open that was not in the cart, r removed
    another one without a word. (The writer's idle look is turned off: the list it ranks
    after the delisting is not the one an action brings.)"""
    from edgerec.domain import ItemDelisted
    from edgerec.ui.writer import SessionWriter

    monkeypatch.setattr(SessionWriter, "_refresh_while_idle", lambda _self: None)

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "enter")
            await act(pilot, "a")
            await act(pilot, "down", "enter")
            await act(pilot, "a")
            first, second = list(screen.cart)
            app.services.record(ItemDelisted(item_id=first, occurred_at=app.services.clock.now()))
            await act(pilot, "down", "enter")  # a third item, not in the cart
            third = screen.open_item
            assert third is not None and third.item_id not in screen.cart
            head = shop_store.head()
            await pilot.press("r")  # not after a refusal: the open item is not in the cart
            await until(
                pilot,
                lambda: any(
                    "is not in the cart: highlight the cart's item to remove it" in str(n.message)
                    for n in app._notifications
                ),
            )
            assert shop_store.read(since=head) == []

            await pilot.press("x")
            await until(
                pilot,
                lambda: any("Remove it from the cart (r)" in str(n.message) for n in app._notifications),
            )
            await act(pilot, "r")
            assert [(r.type, r.item_id) for r in shop_store.read(since=head)] == [
                ("removed_from_cart", first)
            ]
            assert list(screen.cart) == [second]
            await act(pilot, "x")
            assert shop_store.read(since=head)[-1].type == "purchased"

    asyncio.run(scenario())


def test_a_checkout_or_a_removal_right_after_an_add_acts_on_the_cart_the_add_made(
    shop_store: Store, tmp_path: Path
) -> None:
    """While another writer held the store, a then x: the checkout read the cart the screen
    showed, which the add had not reached, said "The cart is empty." and bought nothing; r
    right after a said so too, and left the item in the cart."""
    import fcntl
    import os

    async def busy(pilot: Pilot[None], *keys: str) -> None:
        """Presses the keys while another writer holds the store, then lets it go."""
        lock = os.open(str(shop_store.path) + "-writer.lock", os.O_RDWR)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            for key in keys:
                await pilot.press(key)
                await pilot.pause(0.2)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "enter")
            item = screen.open_item
            assert item is not None and item.available
            for keys, recorded in [
                (("a", "x"), ["added_to_cart", "purchased"]),
                (("a", "r"), ["added_to_cart", "removed_from_cart"]),
                (("a", "a", "r", "x"), ["added_to_cart", "added_to_cart", "removed_from_cart", "purchased"]),
            ]:
                head = shop_store.head()
                await busy(pilot, *keys)
                await until(pilot, lambda: len(shop_store.read(since=head)) == len(recorded))  # noqa: B023
                await until(
                    pilot, lambda: screen.jobs.empty() and not screen.cart, what=f"the cart after {keys}"
                )
                events = shop_store.read(since=head)
                assert [(e.type, e.item_id) for e in events] == [(t, item.item_id) for t in recorded]
                if recorded[-1] == "purchased":
                    assert events[-1].payload["quantity"] == 1
            assert app.services.shop.cart(screen.session.user_id) == {}
            assert not any("cart is empty" in str(n.message) for n in app._notifications)

    asyncio.run(scenario())


def test_a_terminal_six_rows_high_still_follows_each_action(shop_store: Store, tmp_path: Path) -> None:
    """Six rows high, the suggestions' lines are all clipped away, and the session line and the
    search results waited for ever for them to be painted: actions were recorded, the screen
    never moved."""

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 6)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "enter")
            await act(pilot, "a")
            await until(pilot, lambda: "cart 1 · 2 actions" in screen_text(app), what="the session line")
            await act(pilot, "slash", *"kitchen", "enter")
            table = screen.query_one(ItemTable)
            await until(
                pilot,
                lambda: table.row_count > 0 and all("Kitchen" in r.label for r in table.rows_by_key.values()),
                what="the search results",
            )

    asyncio.run(scenario())


def test_the_action_count_is_of_the_session_shown(shop_store: Store, tmp_path: Path) -> None:
    """The status line's action count went on from one customer and session to the next."""

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "enter")
            await act(pilot, "a")
            assert screen.actions_done == 2
            await act(pilot, "c", *"cust-04", "enter")  # ends the visitor's session: not counted
            await until(pilot, lambda: screen.actions_done == 0, what="the count restarted")
            await act(pilot, "enter")
            await until(pilot, lambda: "1 actions" in screen_text(app).splitlines()[1])

    asyncio.run(scenario())


def test_a_session_left_without_an_action_for_the_gap_ends_as_the_stores_do(
    shop_store: Store, tmp_path: Path
) -> None:
    """A customer played on Monday and left open took Tuesday's key presses into Monday's
    session: the console's session id bypassed the store's 30-minute rule. After the gap the
    next action starts a new session, with no end recorded for the old one (the store reads it
    idle), and so does e, which records nothing for a lapsed one; within the gap, one session."""
    from datetime import UTC, datetime, timedelta

    from edgerec.domain.signals import SESSION_GAP_S

    async def scenario() -> None:
        clock = HandClock(datetime(2026, 1, 19, 17, 0, tzinfo=UTC))
        app = live_console(shop_store, tmp_path, clock=clock)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "c", *"cust-04", "enter")
            head = shop_store.head()
            await act(pilot, "enter")
            clock.at += timedelta(seconds=SESSION_GAP_S)  # just within the gap
            await act(pilot, "a")
            monday = screen.session.session_id
            clock.at += timedelta(hours=16)  # Tuesday morning
            await act(pilot, "down", "enter")
            tuesday = screen.session.session_id
            assert tuesday != monday and screen.actions_done == 1
            logged = [(e.type, e.session_id) for e in shop_store.read(since=head)]
            assert logged == [
                ("session_started", monday),
                ("item_viewed", monday),
                ("added_to_cart", monday),
                ("session_started", tuesday),
                ("item_viewed", tuesday),
            ]
            assert app.services.shop.cart("cust-04")  # the cart is the customer's, kept
            clock.at += timedelta(hours=2)
            head = shop_store.head()
            await act(pilot, "e")
            assert screen.session.session_id not in (monday, tuesday)
            assert shop_store.read(since=head) == []

    asyncio.run(scenario())


def test_a_b_and_r_with_no_row_highlighted_say_so(shop_store: Store, tmp_path: Path) -> None:
    """After a search that lists nothing, a and b recorded nothing and said nothing, and r said
    nothing with items in the cart (it decided 'The cart is empty.' on the cart shown)."""

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _panel = await ready(pilot)
            await act(pilot, "enter")
            await act(pilot, "a")
            assert screen.cart
            await pilot.press("slash", *"zzqqxx", "enter")
            table = screen.query_one(ItemTable)
            await until(pilot, lambda: table.row_count == 0, what="a search that lists nothing")
            await pilot.press("escape")
            head = shop_store.head()
            for key, said in [
                ("a", "No item is highlighted: highlight one in the list"),
                ("b", "No item is highlighted: highlight one in the list"),
                (
                    "r",
                    "No item is highlighted: highlight one in the list (clear the search or the "
                    "category if it lists none) that is in the cart.",
                ),
            ]:
                before = len(app._notifications)
                await pilot.press(key)
                await until(
                    pilot,
                    lambda: any(said in str(n.message) for n in list(app._notifications)[before:]),  # noqa: B023
                    what=f"what {key} says",
                )
            await until(pilot, lambda: screen.jobs.empty())
            assert shop_store.read(since=head) == []

    asyncio.run(scenario())


def test_the_ids_a_console_makes_do_not_meet_again() -> None:
    """An event id met again is taken for the same event and not logged, and a visitor id met
    again is the other visitor, cart and all: with 48 and 32 random bits, a busy till's ten
    millionth event and a kiosk's hundred thousandth visitor were likely to meet an earlier one."""
    import random

    from edgerec.ui.session import ANONYMOUS_PREFIX, LiveSession

    visitor = LiveSession.anonymous_visitor("k1", FixedClock(), random.Random(3))
    assert len(visitor.user_id) - len(ANONYMOUS_PREFIX) == 16  # hex digits: 64 bits
    event = visitor.start()
    assert event.event_id is not None and len(event.event_id) - len("ev-") == 32  # 128 bits


def test_a_long_title_leaves_the_open_items_price_stock_and_cart_in_view(tmp_path: Path) -> None:
    """The whole title came first in the open item's three rows, and wrapped over the rest."""
    store = edgerec.open(tmp_path / "shop.db")
    title = "Stainless Steel Insulated Water Bottle with Straw Lid, Leak Proof, " * 3
    store.record(ItemListed(item_id="bottle", title=title, category="Outdoor", price=24.0, stock=5))

    async def look() -> list[str]:
        app = live_console(store, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            await act(pilot, "a")
            await act(pilot, "enter")
            return screen_text(app).splitlines()[-4:-1]

    try:
        rows = asyncio.run(look())
    finally:
        store.close()
    assert rows[0].split("│")[0].rstrip().endswith("…"), rows
    assert "24.00 · stock 5" in rows[1] and "Cart (1):" in rows[2], rows


def test_the_list_and_the_open_item_follow_a_catalogue_change_made_while_the_screen_is_shown(
    shop_store: Store, tmp_path: Path
) -> None:
    """Another till repriced and sold out the open item: the panel ranked again, but the list
    and the open item kept the old price and stock until the operator left the screen."""
    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "enter")
            item = screen.open_item
            assert item is not None and item.price != 1.5
            with edgerec.open(shop_store.path) as other:
                other.record(ItemUpdated(item_id=item.item_id, price=1.5, stock=0))
            table = screen.query_one(ItemTable)
            detail = screen.query_one("#live-detail")
            await until(
                pilot,
                lambda: [str(c) for c in table.get_row(item.item_id)][1:] == ["1.50", "out"],
                timeout=10,
                what="the list's row at the new price and stock",
            )
            await until(pilot, lambda: "1.50 · stock 0" in str(detail.render()), what="the open item's")

    asyncio.run(scenario())


def test_at_80_columns_the_session_line_keeps_the_cart_and_the_action_count(
    shop_store: Store, tmp_path: Path
) -> None:
    """A visitor's 24-character id and a kiosk's name pushed the cart and the count off the line."""

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            await act(pilot, "k")
            await act(pilot, "a")
            await until(pilot, lambda: "cart 1 · 1 actions" in screen_text(app).splitlines()[1])

    asyncio.run(scenario())


def test_the_reasons_are_wrapped_again_when_the_terminal_is_resized(
    shop_store: Store, tmp_path: Path
) -> None:
    """Wrapped once for a wide panel, the reasons were cut with … once the terminal was narrowed."""
    from edgerec.ui.widgets.recs import SuggestionLines

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(200, 40)) as pilot:
            screen, panel = await ready(pilot)
            await act(pilot, "down", "down", "enter")
            body = panel.query_one(SuggestionLines)
            generation = panel.painted_generation
            await pilot.resize_terminal(80, 24)
            await until(pilot, lambda: body.size.width < 60, what="the narrower panel")
            await pilot.pause(0.2)
            width = body.size.width
            longest = max(sum(len(text) for text, _ in line) for line in body.lines[1:3])
            assert longest <= width, (width, body.lines[:4])
            assert panel.painted_generation == generation  # the same list, not a new one

    asyncio.run(scenario())


def test_quitting_the_console_ends_the_live_session_once(
    shop_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ctrl+q left the session played on Live open in the store for good (the kiosk's quit ends
    its shopper's). It is ended as `e` would, once, from any screen; a session `e` ended, or
    one with no action yet, gets no end; and while another program holds the store the console
    closes all the same, saying so, and records the end as it exits."""
    import fcntl
    import os

    head = shop_store.head()

    def logged(session_id: str) -> list[str]:
        return [e.type for e in shop_store.read(since=head) if e.session_id == session_id]

    async def scenario() -> list[str]:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "enter")
            await act(pilot, "a")
            first = screen.session.session_id
            await act(pilot, "e")  # ended by hand, and a new session, not started
            await act(pilot, "down", "enter")
            second = screen.session.session_id
            await pilot.press("f3")  # quit from another screen
            await until(pilot, lambda: app.screen is not screen, what="the Customers screen")
            await pilot.press("ctrl+q")
        return [first, second]

    first, second = asyncio.run(scenario())
    assert logged(first) == ["session_started", "item_viewed", "added_to_cart", "session_ended"]
    assert logged(second) == ["session_started", "item_viewed", "session_ended"]
    unstarted = [e for e in shop_store.read(since=head) if e.session_id not in (first, second)]
    assert unstarted == []

    async def busy() -> str:
        lock = os.open(str(shop_store.path) + "-writer.lock", os.O_RDWR)
        try:
            app = live_console(shop_store, tmp_path, seed=2)
            async with app.run_test(size=(100, 32)) as pilot:
                screen, _ = await ready(pilot)
                await act(pilot, "enter")
                session = screen.session.session_id
                fcntl.flock(lock, fcntl.LOCK_EX)  # another program's long write (a rebuild)
                started = time.monotonic()
                await pilot.press("ctrl+q")
            assert time.monotonic() - started < 8  # closed, the end not recorded yet
            assert logged(session) == ["session_started", "item_viewed"]
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
        return session

    session = asyncio.run(busy())  # done once the writer is: it records the end after the lock
    assert logged(session) == ["session_started", "item_viewed", "session_ended"]
    said = " ".join(capsys.readouterr().err.split())
    assert "the console records the end of the live session once it lets go" in said


def test_ctrl_c_while_a_quit_console_waits_for_the_store_quits_at_once_saying_the_end_is_lost(
    shop_file: Path, tmp_path: Path
) -> None:
    """`edgerec tui` quit while another program holds the store says it records the session's
    end once the store is let go. Ctrl+C while it waited did nothing; a second said 'Aborted!'
    and went on waiting; a third ended in a traceback, and the end was lost without a word."""
    import fcntl
    import os
    import shutil
    import signal

    shop = tmp_path / "shop.db"
    shutil.copy(shop_file, shop)
    with edgerec.open(shop) as store:
        head = store.head()
    pid, terminal = in_a_terminal(["--db", str(shop), "tui", "--no-trainer"], tmp_path / "console.log")
    output = TerminalOutput(terminal)
    lock = os.open(f"{shop}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        output.read_until(b"Home")
        os.write(terminal, b"\x1bOQ")  # F2: Live
        output.read_until(b"Cart")
        os.write(terminal, b"\r")  # a look at the first item: the session starts
        with edgerec.open(shop) as store:
            deadline = time.monotonic() + 30
            while store.head() < head + 2:
                assert time.monotonic() < deadline, "the look was not recorded"
                time.sleep(0.1)
        fcntl.flock(lock, fcntl.LOCK_EX)  # another program's long write (a rebuild)
        os.write(terminal, b"\x11")  # ctrl+q
        output.read_until(b"another program holds the store")
        time.sleep(0.5)
        os.kill(pid, signal.SIGINT)  # Ctrl+C, as the terminal sends it
        started = time.monotonic()
        output.read_until(b"\nnever said", timeout=10)  # everything it says, until it exits
        quit_in = time.monotonic() - started
        _, status = os.waitpid(pid, 0)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)
        end(pid, terminal)
    text = output.text()
    assert quit_in < 5 and os.waitstatus_to_exitcode(status) == 1, text[-2000:]
    assert "the end of the live session was not recorded: quit with Ctrl+C" in text
    assert "Traceback" not in text


def test_quitting_the_console_on_a_store_that_refuses_writes_quits_and_logs_the_end_lost(
    shop_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The session's end, recorded as the console quits, fails on a store that refuses writes
    (a trigger here, as a read-only or vanished store does): the console quits all the same,
    without a traceback, and its log says the end was not recorded."""
    import sqlite3

    async def scenario() -> str:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await act(pilot, "enter")
            session = screen.session.session_id
            other = sqlite3.connect(shop_store.path, isolation_level=None)
            other.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'no'); END"
            )
            other.close()
            await pilot.press("ctrl+q")
        return session

    session = asyncio.run(scenario())
    assert [e.type for e in shop_store.read(session_id=session)] == ["session_started", "item_viewed"]
    assert "unexpected error" not in capsys.readouterr().err
    assert "error while recording the end of the session on quit" in (tmp_path / "ui.log").read_text()


def test_a_store_file_deleted_under_the_console_refuses_the_actions_and_the_quit_says_so(
    shop_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store's file deleted (with its -wal and -shm) while the console had it open: the
    actions after it, and the end of the session as the console quit, went into the deleted
    file, lost, and the console said nothing. Each is refused, on screen and as it exits."""
    path = Path(str(shop_store.path))
    deleted = "was deleted or replaced while open"

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            await ready(pilot)
            await act(pilot, "enter")
            for file in [path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))]:
                file.unlink(missing_ok=True)
            await pilot.press("a")
            await until(
                pilot, lambda: any(deleted in str(n.message) for n in app._notifications), what="told"
            )
            await pilot.press("ctrl+q")

    asyncio.run(scenario())
    said = " ".join(capsys.readouterr().err.split())
    lost = "the end of the live session was not recorded: could not write to the store"
    assert f"{lost}: the database file {path} {deleted}" in said
    assert not path.exists()


def test_an_events_only_store_is_browsed_suggested_and_sold_on_the_live_screen(tmp_path: Path) -> None:
    """Taobao imported, the Live panel said "Nothing to suggest yet." and listed no item, where
    `edgerec recommend` ranked the items known from the log; a and b had no item to act on."""
    from edgerec.recommend import Recommender

    store = events_only_store(tmp_path / "taobao.db")

    async def scenario() -> None:
        app = live_console(store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            assert panel.suggestions and all(s.title == f"item {s.item_id}" for s in panel.suggestions)
            await act(pilot, "c", *"103", "enter")
            assert screen.session is not None
            cli = Recommender(store).recommend("103", k=8, session_id=screen.session.session_id)
            assert [s.item_id for s in panel.suggestions] == [r.item_id for r in cli]
            await act(pilot, "v")  # a new visitor, whose cart the import left empty
            table = screen.query_one(ItemTable)
            first = table.selected_item
            assert first is not None and first.label == f"item {first.item_id}"
            assert f"item {first.item_id}" in screen_text(app)
            head = store.head()
            await act(pilot, "enter")  # opened: its stock unknown, in stock as the recommender has it
            await act(pilot, "a")
            await act(pilot, "down", "b")
            second = table.selected_item
            assert second is not None and second.item_id != first.item_id
            await act(pilot, "x")
            recorded = [(e.type, e.item_id) for e in store.read(since=head)]
            assert recorded == [
                ("session_started", None),
                ("item_viewed", first.item_id),
                ("added_to_cart", first.item_id),
                ("purchased", second.item_id),
                ("purchased", first.item_id),
            ]
            assert not screen.cart

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_once_an_events_only_store_lists_items_those_known_only_from_the_log_are_hidden(
    tmp_path: Path,
) -> None:
    """A catalogue listed into it (here by another process) says what the shop sells: the items
    known only from the log leave the panel and the list, and one in the cart is not sold."""
    store = events_only_store(tmp_path / "taobao.db")

    async def scenario() -> None:
        app = live_console(store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            table = screen.query_one(ItemTable)
            unlisted = table.selected_item
            assert unlisted is not None and unlisted.status == "seen"
            await act(pilot, "a")
            assert screen.cart == {unlisted.item_id: 1}
            with edgerec.open(tmp_path / "taobao.db") as other:
                other.record(ItemListed(item_id="listed-1", title="Listed One", category="4000", stock=3))
            await until(
                pilot,
                lambda: (
                    list(table.rows_by_key) == ["listed-1"]
                    and [s.item_id for s in panel.suggestions] == ["listed-1"]
                ),
                what="only the listed item in the list and on the panel",
            )
            head = store.head()
            await pilot.press("x")
            said = f"Not checked out: item {unlisted.item_id} is not listed for sale."
            await until(pilot, lambda: any(said in str(n.message) for n in app._notifications), what=said)
            await until(pilot, lambda: screen.jobs.empty())
            assert store.read(since=head) == []

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_the_live_categories_follow_an_events_only_store_that_lists_its_first_items(tmp_path: Path) -> None:
    """A catalogue imported while the Live screen was open (here by another process) left the
    categories of the items known only from the log beside a list of the listed items: each one
    chosen listed nothing, until the screen was left and shown again."""
    from textual.widgets import OptionList

    store = events_only_store(tmp_path / "taobao.db")

    async def scenario() -> None:
        app = live_console(store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, panel = await ready(pilot)
            options = screen.query_one("#live-categories", OptionList)
            names = lambda: [str(option.prompt) for option in options.options]  # noqa: E731
            await until(
                pilot, lambda: names() == ["All", "4000", "4001", "4002"], what="the log's categories"
            )
            options.focus()
            await pilot.press("down", "down")
            await until(pilot, lambda: screen.category == "4001", what="category 4001 chosen")
            with edgerec.open(tmp_path / "taobao.db") as other:
                other.record(ItemListed(item_id="tea-1", title="Green Tea", category="Drinks", stock=3))
            await until(pilot, lambda: names() == ["All", "Drinks"], what="the catalogue's categories")
            table = screen.query_one(ItemTable)
            await until(pilot, lambda: list(table.rows_by_key) == ["tea-1"], what="the listed item")
            assert screen.category is None

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_the_reasons_time_phrases_follow_the_clock_without_ranking_again(
    shop_store: Store, tmp_path: Path
) -> None:
    """ "You viewed X just now" stayed on an idle console for up to an hour (until the shop's
    hour turned and the list was ranked again). The phrases are said again as time passes; the
    list itself is not ranked again for it."""
    from datetime import UTC, datetime, timedelta

    async def scenario() -> None:
        clock = HandClock(datetime(2026, 1, 15, 9, 5, tzinfo=UTC))
        app = live_console(shop_store, tmp_path, clock=clock)
        async with app.run_test(size=(100, 32)) as pilot:
            _, panel = await ready(pilot)
            await act(pilot, "c", *"cust-04", "enter")
            await act(pilot, "down", "enter")  # a view: the reasons cite it "just now"
            reasons = [r for s in panel.suggestions for r in s.reasons]
            assert any(r.endswith("just now") or "just now (" in r for r in reasons), reasons
            items, generation = [s.item_id for s in panel.suggestions], panel.generation
            clock.at += timedelta(minutes=5)
            await until(
                pilot,
                lambda: any(
                    "which you viewed 5 minutes ago" in r for s in panel.suggestions for r in s.reasons
                ),
                timeout=5,
                what="the time phrases said again",
            )
            assert not any("just now" in r for s in panel.suggestions for r in s.reasons)
            lines = panel.query_one(SuggestionLines).lines
            shown = " ".join(" ".join(text for line in lines for text, _ in line).split())
            assert "5 minutes ago" in shown and "just now" not in shown
            assert [s.item_id for s in panel.suggestions] == items
            assert panel.generation == generation  # not ranked again

    asyncio.run(scenario())


def test_an_item_without_a_price_or_a_brand_shows_no_stray_separators(
    shop_store: Store, tmp_path: Path
) -> None:
    """The open item's line on the Live screen read " · stock 3 · Kitchen · " for an item with
    no price and no brand, and the Catalogue's detail line "plain-1 · listed ·  · ": the facts
    absent left their separators behind."""

    shop_store.record(ItemListed(item_id="plain-1", title="Plainmug", category="Kitchen", stock=3))

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await pilot.press("slash", *"plainmug", "enter")
            items = screen.query_one(ItemTable)
            await until(pilot, lambda: set(items.rows_by_key) == {"plain-1"}, what="the search")
            await act(pilot, "down", "enter")
            detail = screen.query_one("#live-detail")
            await until(pilot, lambda: "Plainmug" in str(detail.render()), what="the item open")
            assert str(detail.render()).splitlines()[1] == "stock 3 · Kitchen"
            await pilot.press("f5")
            await pilot.press("slash", *"plainmug", "enter")
            shown = app.screen.query_one("#catalogue-detail")
            await until(pilot, lambda: "plain-1" in str(shown.render()), what="the catalogue's detail")
            assert str(shown.render()) == "plain-1 · listed"

    asyncio.run(scenario())


def test_an_item_whose_brand_and_category_are_only_spaces_shows_no_blank_facts(
    shop_store: Store, tmp_path: Path
) -> None:
    """An item whose brand and category were only spaces (a catalogue file's blank cells) read
    "12.00 · stock 3 ·     ·   " on the Live screen: blanks are left out as missing ones are."""

    shop_store.record(
        ItemListed(item_id="blank-1", title="Blankmug", category="   ", brand="  ", price=12.0, stock=3)
    )

    async def scenario() -> None:
        app = live_console(shop_store, tmp_path)
        async with app.run_test(size=(100, 32)) as pilot:
            screen, _ = await ready(pilot)
            await pilot.press("slash", *"blankmug", "enter")
            items = screen.query_one(ItemTable)
            await until(pilot, lambda: set(items.rows_by_key) == {"blank-1"}, what="the search")
            await act(pilot, "down", "enter")
            detail = screen.query_one("#live-detail")
            await until(pilot, lambda: "Blankmug" in str(detail.render()), what="the item open")
            assert str(detail.render()).splitlines()[1] == "12.00 · stock 3"

    asyncio.run(scenario())


def test_a_reason_citing_an_item_in_the_cart_keeps_its_title_as_time_passes(tmp_path: Path) -> None:
    """A reason citing an item in the cart says no time ("Same category (Kitchen) as Kettle (just
    now) in your cart"), but cites the moment it went in: said again two minutes on, the title
    read "Kettle (2 minutes ago)"."""
    from datetime import UTC, datetime, timedelta

    from edgerec.domain import AddedToCart
    from edgerec.domain.events import EARLIEST
    from edgerec.readmodels import ShopData
    from edgerec.ui.suggestions import make_suggester

    added = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    with edgerec.open(tmp_path / "shop.db") as store:
        for n, title in enumerate(("Kettle (just now)", "Teapot", "Mug")):
            store.record(
                ItemListed(item_id=f"k-{n}", title=title, category="Kitchen", stock=5, occurred_at=EARLIEST)
            )
        store.record(
            AddedToCart(user_id="cust-1", session_id="s-1", item_id="k-0", quantity=1, occurred_at=added)
        )
        clock = HandClock(added + timedelta(seconds=5))
        shown = make_suggester(store, ShopData(store), clock).recommend("cust-1", session_id="s-1")
        reasons = [s.reason for s in shown]
        assert reasons and all(r.endswith("Kettle (just now) in your cart") for r in reasons), reasons
        assert [s.as_of(added + timedelta(minutes=2)).reason for s in shown] == reasons
