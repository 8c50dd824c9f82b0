"""Each console screen's main flow, with real keys and clicks, against a real database file."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import threading
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, ProgressBar, Select, Static
from textual.widgets.data_table import RowKey

import edgerec
from edgerec.api import Store
from edgerec.domain import EventError, ItemListed, Purchased
from edgerec.ui.app import ConsoleApp
from edgerec.ui.clock import FixedClock
from edgerec.ui.screens.catalogue import CatalogueScreen, ItemFormScreen
from edgerec.ui.screens.confirm import ConfirmScreen
from edgerec.ui.screens.customers import CustomersScreen
from edgerec.ui.screens.events import EventLogScreen
from edgerec.ui.screens.importer import ImportScreen
from edgerec.ui.screens.trainer import STOPPED, TrainerScreen
from edgerec.ui.widgets.tables import EventTail, ItemTable
from tests.folding_titles import SEARCHES, TITLES
from tests.ui.ui_shop import HandClock, events_only_store, screen_text, until


def console(store: Store, tmp_path: Path, start: str, **options: Any) -> ConsoleApp:
    return ConsoleApp(store, start=start, seed=1, clock=FixedClock(), log_path=tmp_path / "ui.log", **options)


def run(scenario: Any) -> None:
    asyncio.run(scenario)


# --- customers ------------------------------------------------------------------------------


class ForgettingStore:
    """A stand-in for the privacy issue's store method: records who was forgotten."""

    def __init__(self) -> None:
        self.forgotten: list[str] = []

    def __call__(self, user_id: str) -> None:
        self.forgotten.append(user_id)


def test_the_quarantine_shown_follows_a_customer_forgotten_on_another_screen(
    shop_store: Store, tmp_path: Path
) -> None:
    """The Events screen's Quarantine tab, open when the operator went to the Customers screen
    and forgot a customer, still showed the quarantined line naming them (the store held it no
    more) on coming back, until the tab was chosen again."""
    from edgerec.ingest import import_file

    source = tmp_path / "zed.csv"
    source.write_text(
        "user_id,item_id,event_type,timestamp\nzed-9,sho-001,view,1700000000\nzed-9,sho-002,view,notatime\n"
    )
    import_file(shop_store, source)

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "events")
        async with app.run_test(size=(100, 32)) as pilot:
            events = app.screen
            assert isinstance(events, EventLogScreen)
            table = events.query_one("#quarantine-table", DataTable)
            await pilot.press("q")
            await until(pilot, lambda: table.row_count == 1, what="the quarantined line")
            await pilot.press("f3")
            customers = app.screen
            assert isinstance(customers, CustomersScreen)
            await pilot.press("slash", *"zed-9", "escape")
            await until(pilot, lambda: customers.current == "zed-9", what="the customer")
            await pilot.press("f")
            await pilot.click("#confirm-yes")
            await until(pilot, lambda: customers.forgotten == ["zed-9"], what="the customer forgotten")
            await pilot.press("f4")
            await until(pilot, lambda: table.row_count == 0, what="their quarantined line gone")
            assert "zed-9" not in screen_text(app)

    run(scenario())


def test_customers_search_profile_and_forget_confirmation(shop_store: Store, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = console(shop_store, tmp_path, "customers")
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            await pilot.press("slash", *"cust-07")
            table = screen.query_one("#customers-table", DataTable)
            await until(pilot, lambda: table.row_count == 1)
            await until(
                pilot,
                lambda: (
                    screen.view is not None
                    and screen.current == "cust-07"
                    and screen.view.profile is not None
                    and screen.view.profile.customer.user_id == "cust-07"
                ),
            )
            view = screen.view
            assert view is not None and view.profile is not None
            assert view.profile.history and view.profile.sessions and view.profile.top_categories
            assert view.suggestions and all(s.reason for s in view.suggestions)
            await until(pilot, lambda: "Likes:" in screen_text(app), what="the profile")

            # Cancel (button, then escape) leaves the customer alone.
            await pilot.press("escape")  # leave the search box so that keys reach the screen
            screen.query_one("#customers-table").focus()
            await pilot.press("f")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.click("#confirm-no")
            assert isinstance(app.screen, CustomersScreen)
            await pilot.press("f")
            await pilot.press("escape")
            assert isinstance(app.screen, CustomersScreen)
            assert shop_store.read(user_id="cust-07", limit=1)

            # Confirming forgets them for real (edgerec.privacy): events, profile, suggestions.
            await pilot.press("f")
            await pilot.click("#confirm-yes")
            await until(pilot, lambda: screen.forgotten == ["cust-07"], what="the customer forgotten")
            assert shop_store.read(user_id="cust-07") == []
            await until(pilot, lambda: table.row_count == 0, what="the customer gone from the list")
            await until(pilot, lambda: "Likes:" not in screen_text(app), what="their profile gone too")
            assert screen.query_one("#profile-history", DataTable).row_count == 0
            assert app.services.suggester.recommend("cust-07", k=5)  # a stranger now: popular items

            # A store that brings its own forget method is used instead.
            forget = ForgettingStore()
            shop_store.forget_customer = forget  # type: ignore[attr-defined]
            screen.open("cust-06")
            await until(pilot, lambda: screen.current == "cust-06")
            await pilot.press("f")
            await pilot.press("y")
            await until(pilot, lambda: forget.forgotten == ["cust-06"], what="the store's own method")

    run(scenario())


def test_the_customer_shown_is_the_one_highlighted_and_a_late_highlight_does_not_replace_them(
    shop_store: Store, tmp_path: Path
) -> None:
    """A customer opened while the list's first highlight was still on its way was replaced by
    the first customer listed (on a busy machine), and f then offered to forget that one."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "customers")
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            table = screen.query_one("#customers-table", DataTable)
            await until(pilot, lambda: table.row_count > 0 and screen.current is not None)
            first = screen.current
            assert first is not None and first != "cust-07"
            screen.open("cust-07")
            assert table.cursor_row == table.get_row_index("cust-07")
            # The list's first highlight, delivered late.
            table.post_message(DataTable.RowHighlighted(table, 0, RowKey(first)))
            await pilot.pause(0.2)
            assert screen.current == "cust-07"
            await until(pilot, lambda: "cust-07  " in screen_text(app), what="cust-07's profile")
            await pilot.press("f")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            assert "Forget customer cust-07?" in screen_text(app)

    run(scenario())


def test_a_customers_time_phrases_follow_the_clock_without_reading_them_again(
    shop_store: Store, tmp_path: Path
) -> None:
    """A customer's "last seen 4 hours ago", their history's "4 hours ago" and their
    suggestions' "You viewed X 4 hours ago" stayed so on an idle console until the customer was
    opened again. They are said again as time passes, as the Live screen's are; the profile is
    not read again, nor the suggestions ranked again."""
    newest = shop_store.read(descending=True, limit=1)[0]
    # cust-02's last visit ended 4 hours 50 minutes before the shop's newest event.
    clock = HandClock(datetime.fromtimestamp(newest.occurred_at / 1e6, UTC) + timedelta(seconds=70))

    async def scenario() -> None:
        app = ConsoleApp(shop_store, start="customers", seed=1, clock=clock, log_path=tmp_path / "ui.log")
        async with app.run_test(size=(160, 60)) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            screen.open("cust-02")
            await until(
                pilot,
                lambda: screen.view is not None and screen.view.profile is not None,
                what="the profile",
            )
            view = screen.view
            assert view is not None and view.profile is not None
            history = screen.query_one("#profile-history", DataTable)

            def whens() -> list[str]:
                return [str(history.get_row_at(row)[3]) for row in range(history.row_count)]

            def reasons() -> list[str]:
                assert screen.view is not None
                return [r for s in screen.view.suggestions for r in s.reasons]

            def shown() -> str:
                return " ".join(screen_text(app).split())

            def suggested() -> str:  # the panel's lines, wrapped at its width
                return " ".join(str(screen.query_one("#profile-suggestions", Static).content).split())

            await until(pilot, lambda: "last seen 4 hours ago" in shown(), what="the summary")
            assert "4 hours ago" in whens()
            assert any(r.endswith(" 4 hours ago") for r in reasons()), reasons()
            assert "You viewed Trail Apparel 0 4 hours ago" in suggested()
            items = [s.item_id for s in view.suggestions]

            clock.at += timedelta(hours=1)
            await until(pilot, lambda: "last seen 5 hours ago" in shown(), timeout=5, what="last seen")
            await pilot.pause(0.1)
            assert "5 hours ago" in whens() and "4 hours ago" not in whens()
            assert any(r.endswith(" 5 hours ago") for r in reasons()), reasons()
            assert not any("4 hours ago" in r for r in reasons())
            assert "You viewed Trail Apparel 0 5 hours ago" in suggested()
            assert "4 hours ago" not in suggested() and "4 hours ago" not in shown()
            assert screen.view is not None and screen.view.profile is view.profile  # not read again
            assert [s.item_id for s in screen.view.suggestions] == items  # not ranked again

    run(scenario())


def test_forgetting_a_customer_says_when_the_database_could_not_be_compacted(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console said the customer was forgotten, and nothing of the compaction that failed
    (a full disk): the file could still hold them, and no one was told to compact it."""
    import sqlite3

    from edgerec import privacy

    def vacuum(_store: Store, _holding: object) -> bool:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(privacy, "_compact", vacuum)

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "customers")
        async with app.run_test(size=(100, 32), notifications=True) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            screen.open("cust-07")
            await until(pilot, lambda: screen.current == "cust-07")
            await pilot.press("f")
            await pilot.click("#confirm-yes")
            await until(pilot, lambda: screen.forgotten == ["cust-07"], what="the customer forgotten")
            await until(
                pilot,
                lambda: said(
                    app,
                    "Could not compact the database (database or disk is full): free pages and the WAL"
                    " may still hold a copy of them; free some space and run `edgerec forget-user`"
                    " again (whatever the id) to compact it.",
                ),
                what="the compaction's failure",
            )

    run(scenario())


def test_a_customer_search_shows_and_acts_on_a_customer_it_lists_only(
    shop_store: Store, tmp_path: Path
) -> None:
    """A search that matched nobody emptied the list but kept the customer shown before, and f
    offered to forget them, l to play them; one that listed others kept them too."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "customers")
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            table = screen.query_one("#customers-table", DataTable)
            screen.open("cust-07")
            await until(pilot, lambda: "cust-07  " in screen_text(app), what="cust-07's profile")
            await pilot.press("slash", *"cust-0")
            await until(
                pilot, lambda: table.row_count > 0 and "cust-07" in [str(k.value) for k in table.rows]
            )
            await pilot.press(*"5")  # cust-05 only
            await until(pilot, lambda: screen.current == "cust-05", what="the customer listed")
            await until(pilot, lambda: "cust-05  " in screen_text(app), what="cust-05's profile")
            await pilot.press(*"nobody")
            await until(pilot, lambda: "No customer matches the search." in screen_text(app))
            assert table.row_count == 0 and screen.current is None and "cust-05  " not in screen_text(app)
            table.focus()
            await pilot.press("f", "l")
            await until(
                pilot,
                lambda: sum("No customer is shown" in str(n.message) for n in app._notifications) == 2,
                what="f and l saying so",
            )
            assert isinstance(app.screen, CustomersScreen)

    run(scenario())


@pytest.mark.parametrize(
    ("start", "listed", "key"),
    [
        ("customers", "#customers-table", "f"),
        ("events", "#events-tail", "q"),
        ("catalogue", "#catalogue-items", ""),
    ],
)
def test_escape_leaves_the_search_or_filter_box_for_the_list(
    shop_store: Store, tmp_path: Path, start: str, listed: str, key: str
) -> None:
    """On F3 and F4 escape stayed in the search or filter box, so f, l or q were typed into it
    and reached the screen only after a Tab (on F2 escape goes back to the list)."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, start)
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            await pilot.pause(0.3)
            await pilot.press("slash", *"cust")
            assert isinstance(app.focused, Input) and app.focused.value == "cust"
            await pilot.press("escape")
            await until(pilot, lambda: app.focused is screen.query_one(listed), what="the list focused")
            if start == "customers":
                await until(pilot, lambda: screen.current is not None, what="a customer shown")  # type: ignore[attr-defined]
                await pilot.press(key)
                await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="f asking to forget")
            elif start == "events":
                await pilot.press(key)
                await until(pilot, lambda: screen.query_one("TabbedContent").active == "quarantine-tab")

    run(scenario())


@pytest.mark.parametrize("key", ["down", "enter"])
@pytest.mark.parametrize(
    ("start", "listed", "typed"),
    [("customers", "#customers-table", "cust"), ("catalogue", "#catalogue-items", "shoe")],
)
def test_down_or_enter_in_the_search_box_goes_on_to_the_list(
    shop_store: Store, tmp_path: Path, start: str, listed: str, typed: str, key: str
) -> None:
    """On F3 and F5 down and enter did nothing in the search box: the list it filtered could
    be reached only with escape or Tab (on F2 down goes to the list already). The list's cursor
    stays on its first row: the key goes to the list, it does not move in it too."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, start)
        async with app.run_test(size=(100, 32)) as pilot:
            table = app.screen.query_one(listed, DataTable)
            await until(pilot, lambda: table.row_count > 0, what="the list")
            await pilot.press("slash", *typed)
            assert isinstance(app.focused, Input) and app.focused.value == typed
            await pilot.press(key)
            await until(pilot, lambda: app.focused is table, what="the list focused")
            assert table.cursor_row == 0

    run(scenario())


def test_customers_show_what_another_process_changed_and_say_when_the_one_to_forget_is_gone(
    shop_store: Store, tmp_path: Path
) -> None:
    """The Customers screen loaded its list once: after another process forgot cust-04 and
    recorded a new customer, F1 then F3 still listed cust-04, and forgetting a customer shown
    whom another process had forgotten said 'Customer cust-07 forgotten: 0 events removed, from
    the model too.' where the command says there is no such customer."""
    import edgerec
    from edgerec.domain import ItemViewed
    from edgerec.privacy import forget_user

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "customers")
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            table = screen.query_one("#customers-table", DataTable)

            def listed() -> list[str]:
                return [str(key.value) for key in table.rows]

            await until(pilot, lambda: table.row_count > 0)
            await pilot.press(*["down"] * listed().index("cust-07"))
            await until(pilot, lambda: screen.view is not None and screen.current == "cust-07")
            with edgerec.open(shop_store.path) as other:
                assert forget_user(other, "cust-04").found
                other.record(ItemViewed(user_id="cust-new", item_id="sho-001"))
            await pilot.press("f1")
            await pilot.press("f3")
            assert app.screen is screen
            await until(pilot, lambda: "cust-new" in listed(), what="the new customer listed")
            assert "cust-04" not in listed()
            await pilot.pause(0.3)
            assert screen.current == "cust-07"  # the customer shown stays chosen
            assert table.cursor_row == listed().index("cust-07")

            with edgerec.open(shop_store.path) as other:
                assert forget_user(other, "cust-07").found
            await pilot.press("f")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(
                pilot,
                lambda: any("No customer cust-07 in the store" in str(n.message) for n in app._notifications),
                what="the customer not found",
            )
            assert not any("forgotten:" in str(n.message) for n in app._notifications)
            assert screen.forgotten == []
            await until(pilot, lambda: "cust-07" not in listed(), what="the list loaded again")

    run(scenario())


# --- event log ------------------------------------------------------------------------------


def test_event_log_filters_and_quarantine(shop_store: Store, tmp_path: Path) -> None:
    from edgerec.domain import Context, ItemViewed

    at_entrance = len(shop_store.read(store_id="kiosk-entrance"))
    elsewhere = Context(store_id="kiosk-first-floor")
    shop_store.record_many(  # the entrance's events are older than the newest few thousand
        [ItemViewed(user_id=f"busy-{n}", item_id="sho-001", context=elsewhere) for n in range(6_500)]
    )
    with shop_store.engine.begin() as connection:
        from edgerec.store.schema import quarantine

        connection.execute(
            quarantine.insert(),
            [
                {
                    "import_id": "t",
                    "source": "/data/bad.csv",
                    "line": 7,
                    "reason": "bad_timestamp",
                    "detail": "occurred_at: not a time",
                    "raw": "u1,i1,pv,yesterday",
                },
            ],
        )

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "events")
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, EventLogScreen)
            tail = screen.query_one(EventTail)
            await until(pilot, lambda: tail.row_count > 0)
            await pilot.click("#filter-user")
            await pilot.press(*"cust-03", "enter")
            await until(pilot, lambda: tail.filter.user_id == "cust-03" and tail._ready)
            shown = {tail.get_row_at(i)[3].plain for i in range(tail.row_count)}
            assert shown == {"cust-03"}
            await pilot.click("#filter-store")
            await pilot.press(*"kiosk-entrance", "enter")
            await until(pilot, lambda: tail.filter.store_id == "kiosk-entrance" and tail._ready)
            assert {tail.get_row_at(i)[6].plain for i in range(tail.row_count)} <= {"kiosk-entrance"}
            assert tail.row_count == len(shop_store.read(user_id="cust-03", store_id="kiosk-entrance")) > 0
            screen.query_one("#filter-user", Input).value = ""
            await pilot.click("#filter-user")
            await pilot.press("enter")
            await until(pilot, lambda: tail.filter.user_id is None and tail._ready)
            assert tail.row_count == min(at_entrance, tail.keep) > 0

            # the tail follows new events that pass the filter

            position = shop_store.record(
                ItemViewed(user_id="cust-03", item_id="sho-001", context=Context(store_id="kiosk-entrance"))
            )
            await until(pilot, lambda: tail.last_position == position)

            screen.query_one(EventTail).focus()
            await pilot.press("q")
            table = screen.query_one("#quarantine-table", DataTable)
            await until(pilot, lambda: table.row_count == 1)
            await until(pilot, lambda: "bad_timestamp" in screen_text(app), what="the quarantine")

    run(scenario())


def test_the_event_under_the_cursor_stays_under_it_while_new_events_push_the_oldest_out(
    shop_store: Store, tmp_path: Path
) -> None:
    """An operator who moved up the full tail to read an older event saw the cursor slide to a
    newer one at every poll: the oldest rows went and the cursor kept its row number."""
    from edgerec.domain import ItemViewed

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "events")
        async with app.run_test(size=(100, 32)) as pilot:
            tail = app.screen.query_one(EventTail)
            await until(pilot, lambda: tail._ready and tail.row_count == tail.keep)
            tail.focus()
            await pilot.press("up", "up", "up")
            read = tail.coordinate_to_cell_key((tail.cursor_row, 0)).row_key.value
            for _ in range(5):
                last = shop_store.record(ItemViewed(user_id="cust-03", item_id="sho-001"))
            await until(pilot, lambda: tail.last_position == last)
            assert tail.row_count == tail.keep
            assert tail.coordinate_to_cell_key((tail.cursor_row, 0)).row_key.value == read

    run(scenario())


# --- catalogue ------------------------------------------------------------------------------


def test_the_item_form_reads_a_stock_grouped_as_an_import_reads_one() -> None:
    """The Catalogue's form refused a stock "1.200" or "1 200" as no whole number, though an
    import reads both as 1200; "1.5" is still refused, and so are "1,5" and "12,50" (a
    decimal comma), which a first version read as 15 and 1250, and "0,500" and "0.500" (no
    thousands follow a lone 0), which read as 500."""
    from edgerec.ui.screens.catalogue import ItemDraft

    def stock(typed: str) -> object:
        return ItemDraft("mug", "Mug", "", "", "", typed, "").values()["stock"]

    assert [stock(t) for t in ("1.200", "1 200", "1’200", "1,200", "1.200.000", "12", "")] == [
        1200,
        1200,
        1200,
        1200,
        1200000,
        12,
        None,
    ]
    for fraction in ("1.5", "1,5", "12,50", "0,500", "0.500"):
        with pytest.raises(EventError, match=f"'{fraction}' is not a whole number"):
            stock(fraction)


def test_an_item_whose_attributes_hold_a_semicolon_can_be_edited(shop_store: Store, tmp_path: Path) -> None:
    """An attribute value with ';' (recorded through the API) was split in the form, and the
    item could not be edited at all: "attributes: 'polyester' is not name=value"."""
    from edgerec.domain import ItemListed
    from edgerec.ui.screens.catalogue import ItemDraft

    tricky = {"material": "cotton; polyester", "a=b": "x=y", "path": "C:\\temp\\", "care": "30°C"}
    shop_store.record(
        ItemListed(
            item_id="shirt-1",
            title="Shirt",
            price=10.0,
            stock=5,
            attributes=tricky,
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    shown = ItemDraft.of(console(shop_store, tmp_path, "catalogue").services.shop.item("shirt-1"))
    assert shown.values()["attributes"] == tricky
    typed = ItemDraft(**{**{f: getattr(shown, f) for f in shown.__slots__}, "attributes": "=v"})
    with pytest.raises(EventError, match="has no name before its '='"):
        typed.values()

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(100, 32)) as pilot:
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: "shirt-1" in items.rows_by_key)
            items.move_cursor(row=items.get_row_index("shirt-1"))
            head = shop_store.head()
            await pilot.press("e")
            assert isinstance(app.screen, ItemFormScreen)
            assert app.screen._field("attributes").value.startswith(
                "a\\=b=x=y; care=30°C; material=cotton\\; "
            )
            app.screen._field("stock").value = "7"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: shop_store.head() == head + 1)
            assert shop_store.read(since=head)[0].payload == {"stock": 7}

    run(scenario())


def test_screens_shown_before_show_items_listed_since(shop_store: Store, tmp_path: Path) -> None:
    """Items imported on F7 (or listed elsewhere) did not show on the screens opened before: the
    Catalogue list and its category filter, the Live screen's categories and Home's catalogue
    kept what they read when first shown."""
    from textual.widgets import OptionList

    from edgerec.domain import ItemListed

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "home")
        async with app.run_test(size=(120, 36)) as pilot:
            for key in ("f2", "f5", "f1"):
                await pilot.press(key)
                await until(pilot, lambda: app.screen.query_one(ItemTable).row_count > 0, what=key)
            at = datetime(2026, 1, 1, tzinfo=UTC)
            app.services.record(
                ItemListed(item_id="gad-1", title="Gizmo", category="Gadgets", stock=3, occurred_at=at)
            )

            await pilot.press("f5")
            catalogue = app.screen
            assert isinstance(catalogue, CatalogueScreen)
            await until(
                pilot, lambda: "gad-1" in catalogue.query_one(ItemTable).rows_by_key, what="F5's list"
            )
            category = catalogue.query_one("#catalogue-category", Select)
            await until(
                pilot, lambda: any(value == "Gadgets" for _, value in category._options), what="F5's filter"
            )
            category.value = "Gadgets"
            await pilot.press("f2")
            categories = app.screen.query_one("#live-categories", OptionList)
            await until(
                pilot,
                lambda: any(str(option.prompt) == "Gadgets" for option in categories.options),
                what="F2's categories",
            )
            await pilot.press("f1")
            await until(
                pilot, lambda: "gad-1" in app.screen.query_one(ItemTable).rows_by_key, what="F1's catalogue"
            )
            await pilot.press("f5")  # shown again: the filter chosen stays
            await pilot.pause(0.3)
            assert category.value == "Gadgets"
            await until(pilot, lambda: set(catalogue.query_one(ItemTable).rows_by_key) == {"gad-1"})

    run(scenario())


def test_delisting_an_item_twice_says_it_is_delisted_already(shop_store: Store, tmp_path: Path) -> None:
    """d on a delisted item did nothing and said nothing."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(100, 32)) as pilot:
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: items.row_count > 0)
            item = items.selected_item
            assert item is not None
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: said(app, f"Delisted {item.item_id}"))
            await until(
                pilot, lambda: items.selected_item is not None and items.selected_item.status != "listed"
            )
            head = shop_store.head()
            await pilot.press("d")
            await until(pilot, lambda: said(app, f"{item.label} is delisted already."))
            assert not isinstance(app.screen, ConfirmScreen) and shop_store.head() == head

    run(scenario())


def test_editing_a_delisted_item_lists_it_again_as_the_form_has_it(tmp_path: Path) -> None:
    """e on a delisted item, a restock typed and saved: "Updated mug: stock", and the item stayed
    delisted, never suggested nor sold, with nothing on screen to say so; listing it again took
    n and every field typed anew, its description lost. The form of a delisted item says it
    lists it again, and saving does so, with its fields as the form has them and its description."""
    from edgerec.domain import ItemDelisted

    with edgerec.open(tmp_path / "shop.db") as store:
        store.record(
            ItemListed(item_id="mug", title="Mug", category="Kitchen", price=4.5, stock=3, description="Blue")
        )
        store.record(ItemDelisted(item_id="mug"))

        async def scenario() -> None:
            app = console(store, tmp_path, "catalogue")
            async with app.run_test(size=(100, 32)) as pilot:
                items = app.screen.query_one(ItemTable)
                await until(pilot, lambda: "mug" in items.rows_by_key)
                items.move_cursor(row=items.get_row_index("mug"))
                head = store.head()
                await pilot.press("e")
                form = app.screen
                assert isinstance(form, ItemFormScreen)
                assert "List mug again" in screen_text(app)
                form._field("stock").value = "10"
                await pilot.press("ctrl+s")
                await until(pilot, lambda: said(app, "Listed mug again"), what="the listing said")
                (listing,) = store.read(since=head)
                assert listing.type == "item_listed"
                assert {k: listing.payload.get(k) for k in ("title", "category", "price", "stock")} == {
                    "title": "Mug",
                    "category": "Kitchen",
                    "price": 4.5,
                    "stock": 10,
                }
                assert listing.payload["description"] == "Blue"
                item = app.services.shop.item("mug")
                assert item is not None and item.available and item.stock == 10

        run(scenario())


def test_the_catalogue_of_a_store_of_events_only_filters_the_categories_it_lists(tmp_path: Path) -> None:
    """Taobao's UserBehavior imported (no catalogue), F5 listed the items known from the log
    but offered no category to filter them by, only "all categories", and d on one said it was
    "delisted already": its categories are offered, as on the Live screen, and d says that it is
    not listed (a delisting would hide every item known only from the log)."""

    async def scenario() -> None:
        with events_only_store(tmp_path / "taobao.db") as store:
            app = console(store, tmp_path, "catalogue")
            async with app.run_test(size=(100, 32)) as pilot:
                items = app.screen.query_one(ItemTable)
                category = app.screen.query_one("#catalogue-category", Select)
                await until(pilot, lambda: items.row_count == 9, what="the 9 items the log names")
                await until(
                    pilot,
                    lambda: [value for _, value in category._options][1:] == ["4000", "4001", "4002"],
                    what="the categories of the items listed",
                )
                category.value = "4001"
                await until(pilot, lambda: items.row_count == 3, what="the items of category 4001")
                assert {item.category for item in items.rows_by_key.values()} == {"4001"}
                item = items.selected_item
                assert item is not None and item.status == "seen"
                head = store.head()
                await pilot.press("d")
                await until(
                    pilot, lambda: said(app, f"{item.label} is not listed: it is known only from the log")
                )
                assert not isinstance(app.screen, ConfirmScreen) and store.head() == head

    run(scenario())


def test_edit_and_delist_with_no_item_listed_say_so(shop_store: Store, tmp_path: Path) -> None:
    """e and d on a search that lists no item (or a catalogue with none yet) did nothing
    and said nothing, where the Live screen's a and b say that no item is highlighted."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(100, 32)) as pilot:
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: items.row_count > 0)
            await pilot.press("slash", *"nothing-sells-this", "escape")
            await until(pilot, lambda: items.row_count == 0, what="an empty list")
            head = shop_store.head()
            for key, doing in (("e", "edit"), ("d", "delist")):
                await pilot.press(key)
                await until(pilot, lambda d=doing: said(app, f"No item is highlighted to {d}"), what=doing)
            assert isinstance(app.screen, CatalogueScreen) and shop_store.head() == head

    run(scenario())


def test_the_catalogue_screen_follows_another_programs_sales_in_place(
    shop_store: Store, tmp_path: Path
) -> None:
    """A kiosk sold the last units of an item on the list: the Catalogue screen went on showing
    its old stock (and price) until it was shown again. The row changes in place, the list's
    order and the cursor stay."""
    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(110, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, CatalogueScreen)
            items = screen.query_one(ItemTable)
            await until(pilot, lambda: items.row_count == 60)
            order = list(items.rows_by_key)
            sold = next(i for i in items.rows_by_key.values() if i.status == "listed" and (i.stock or 0) >= 2)
            items.move_cursor(row=items.get_row_index(sold.item_id))
            now = app.services.clock.now()
            shop_store.record(ItemUpdated(item_id=sold.item_id, stock=2, price=5.0, occurred_at=now))
            shop_store.record(Purchased(user_id="C0001", item_id=sold.item_id, quantity=2, occurred_at=now))
            await until(pilot, lambda: items.rows_by_key[sold.item_id].stock == 0, what="the sale shown")
            assert items.rows_by_key[sold.item_id].price == 5.0
            row = items.get_row(sold.item_id)
            assert str(row[items.columns_shown.index("stock")]) == "out"
            assert list(items.rows_by_key) == order and items.selected_item.item_id == sold.item_id  # type: ignore[union-attr]

    asyncio.run(scenario())


def test_the_catalogue_screen_follows_a_sale_another_program_records(
    shop_store: Store, tmp_path: Path
) -> None:
    """Another program (a kiosk) that opens the same store file and records a sale lowers the
    item's stock on the Catalogue screen's list while it is open, as the item form reads it."""
    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(110, 32)) as pilot:
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: items.row_count == 60)
            sold = next(i for i in items.rows_by_key.values() if i.status == "listed" and (i.stock or 0) >= 2)
            with edgerec.open(tmp_path / "shop.db") as kiosk:  # the file shop_store has open
                now = app.services.clock.now()
                kiosk.record(ItemUpdated(item_id=sold.item_id, stock=2, occurred_at=now))
                kiosk.record(Purchased(user_id="C0001", item_id=sold.item_id, quantity=2, occurred_at=now))
            await until(pilot, lambda: items.rows_by_key[sold.item_id].stock == 0, what="the sale shown")

    asyncio.run(scenario())


def test_catalogue_add_and_edit_are_catalogue_events(shop_store: Store, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, CatalogueScreen)
            items = screen.query_one(ItemTable)
            await until(pilot, lambda: items.row_count == 60)
            head = shop_store.head()

            await pilot.press("n")
            assert isinstance(app.screen, ItemFormScreen)
            form = app.screen
            for name, value in [
                ("item_id", "new-001"),
                ("title", "Comet Runner"),
                ("category", "Shoes"),
                ("brand", "Wren"),
                ("price", "79.5"),
                ("stock", "12"),
                ("attributes", "colour=Red; size=42"),
            ]:
                form._field(name).value = value
            form._field("title").value = " "  # a nameless item is refused, as the item form's id is
            await pilot.press("ctrl+s")
            await until(
                pilot, lambda: any("title: is required" in str(n.message) for n in app._notifications)
            )
            form._field("title").value = "Comet Runner"
            for bad in ("lots", "-5"):  # one that does not parse, one the event refuses
                app._notifications.clear()
                form.query_one("#form-price", Input).value = bad
                await pilot.press("ctrl+s")  # keeps the form, and what was typed, open and says why
                assert isinstance(app.screen, ItemFormScreen)
                await until(pilot, lambda: any("price" in str(n.message) for n in app._notifications))
                assert form._field("title").value == "Comet Runner"
            form.query_one("#form-price", Input).value = "79.5"
            await pilot.click("#form-save")
            await until(pilot, lambda: "new-001" in items.rows_by_key)

            listed = shop_store.read(since=head)
            assert [e.type for e in listed] == ["item_listed"]
            event = listed[0].to_event()
            assert event.price == 79.5 and event.stock == 12  # type: ignore[attr-defined]
            assert dict(event.attributes) == {"colour": "Red", "size": "42"}  # type: ignore[attr-defined]

            # edit: only the changed fields go into the ItemUpdated event
            items.move_cursor(row=items.get_row_index("new-001"))
            await pilot.press("e")
            assert isinstance(app.screen, ItemFormScreen)
            app.screen.query_one("#form-stock", Input).value = "0"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: shop_store.head() == head + 2)
            updated = shop_store.read(since=head + 1)[0]
            assert updated.type == "item_updated" and updated.payload == {"stock": 0}
            await until(
                pilot,
                lambda: (
                    items.rows_by_key.get("new-001") is not None and items.rows_by_key["new-001"].stock == 0
                ),
            )

            # a price with a decimal comma, as a shop writes it; an emptied field is refused
            await pilot.press("e")
            form = app.screen
            assert isinstance(form, ItemFormScreen) and form._field("price").value == "79.5"
            form._field("title").value = ""
            await pilot.press("ctrl+s")
            await until(
                pilot, lambda: any("title: is required" in str(n.message) for n in app._notifications)
            )
            form._field("title").value = "Comet Runner"
            form._field("brand").value = ""
            await pilot.press("ctrl+s")
            assert isinstance(app.screen, ItemFormScreen)
            await until(
                pilot, lambda: any("brand: cannot be emptied" in str(n.message) for n in app._notifications)
            )
            form._field("brand").value = "Wren"
            form._field("price").value = "12,99"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: shop_store.head() == head + 3)
            assert shop_store.read(since=head + 2)[0].payload == {"price": 12.99}

    run(scenario())


def test_editing_an_item_another_program_sold_out_shows_and_saves_its_stock_as_stored(tmp_path: Path) -> None:
    """The item form showed the stock the list read when the screen was shown: 3 units sold since
    by another program (the store's stock 0), it said 3, and a restock of 3 typed in was "Nothing
    changed.", recording nothing, the item left sold out. It shows 0, and saves the 3."""
    listed_at = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # stated with a time: sales lower it
    with edgerec.open(tmp_path / "shop.db") as store:
        store.record(ItemListed(item_id="mug", title="Mug", stock=3, occurred_at=listed_at))

        async def scenario() -> None:
            app = console(store, tmp_path, "catalogue")
            async with app.run_test(size=(100, 32)) as pilot:
                items = app.screen.query_one(ItemTable)
                await until(pilot, lambda: "mug" in items.rows_by_key)
                items.move_cursor(row=items.get_row_index("mug"))
                head = store.record(
                    Purchased(
                        user_id="c1", item_id="mug", quantity=3, occurred_at=listed_at + timedelta(hours=1)
                    )
                )
                await pilot.press("e")
                form = app.screen
                assert isinstance(form, ItemFormScreen)
                assert form._field("stock").value == "0"
                form._field("stock").value = "3"
                await pilot.press("ctrl+s")
                await until(pilot, lambda: store.head() == head + 1, what="the restock recorded")
                assert store.read(since=head)[0].payload == {"stock": 3}

        run(scenario())


def test_saving_an_item_while_another_program_writes_leaves_the_console_responsive(
    shop_store: Store, tmp_path: Path
) -> None:
    """Save and Delist recorded on the UI thread: while another program held the store's write
    lock (an import, `edgerec rebuild`) no key, redraw or timer ran, for up to 30 s."""
    import sqlite3
    import threading

    other = sqlite3.connect(shop_store.path, isolation_level=None, check_same_thread=False)
    released = threading.Event()

    def release() -> None:
        released.set()
        other.execute("ROLLBACK")

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(120, 32)) as pilot:
            screen = app.screen
            await until(pilot, lambda: screen.query_one(ItemTable).row_count > 0)
            await pilot.press("n")
            form = app.screen
            assert isinstance(form, ItemFormScreen)
            for name, value in (("item_id", "lk-1"), ("title", "Lamp"), ("price", "3"), ("stock", "2")):
                form._field(name).value = value
            other.execute("BEGIN IMMEDIATE")  # the other program's write
            timer = threading.Timer(5.0, release)
            timer.start()
            try:
                await pilot.press("ctrl+s")
                await pilot.press("slash")  # the console answers keys while the save waits
                assert screen.focused is screen.query_one("#catalogue-search", Input)
                assert not released.is_set()
            finally:
                timer.join()
            await until(pilot, lambda: said(app, "Listed lk-1"), what="the save, once the lock is free")
            assert app.services.shop.item("lk-1") is not None

    try:
        run(scenario())
    finally:
        other.close()


def test_a_new_item_with_the_id_of_a_listed_one_is_refused(shop_store: Store, tmp_path: Path) -> None:
    """ "New item" with an id already listed replaced the listing whole: blank fields wiped its
    stock and price."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(100, 32)) as pilot:
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: items.row_count == 60)
            existing = next(iter(items.rows_by_key.values()))
            head = shop_store.head()
            await pilot.press("n")
            form = app.screen
            assert isinstance(form, ItemFormScreen)
            form._field("item_id").value = existing.item_id
            form._field("title").value = "Typed by mistake"
            await pilot.press("ctrl+s")
            await until(
                pilot, lambda: any("in the catalogue already" in str(n.message) for n in app._notifications)
            )
            assert isinstance(app.screen, ItemFormScreen) and shop_store.head() == head

    run(scenario())


def test_a_new_item_is_recommendable_at_once(shop_store: Store, tmp_path: Path) -> None:
    from edgerec.domain import ItemListed

    app = console(shop_store, tmp_path, "home")
    services = app.services
    services.record(ItemListed(item_id="new-xyz", title="Brand new", category="Shoes", price=5.0, stock=3))
    suggested = services.suggester.recommend("cust-new", k=60)
    assert "new-xyz" in {s.item_id for s in suggested}


def test_the_suggestions_follow_the_shops_policy_on_items_bought_or_in_the_cart(
    shop_store: Store, tmp_path: Path
) -> None:
    """With repurchase_after_s and exclude_in_cart false in the shop's recommender.json, the
    console and the kiosk still dropped every item the customer had ever bought or had in the
    cart, and showed fewer than `edgerec recommend`: their second check ignored the policy."""
    import json
    from datetime import timedelta

    from edgerec.domain import AddedToCart, Purchased
    from edgerec.readmodels import ShopData
    from edgerec.recommend import Recommender
    from edgerec.recommend.engine import shop_config_path
    from edgerec.ui.suggestions import RecommenderSuggester

    path = shop_config_path(shop_store)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"policy": {"repurchase_after_s": 3600, "exclude_in_cart": False}}))
    clock = FixedClock()
    now = clock.at_start()
    early, carted, lately = "sho-000", "sho-001", "sho-002"
    for event in (
        Purchased(user_id="cust-x", item_id=early, price_paid=10.0, occurred_at=now - timedelta(hours=2)),
        AddedToCart(user_id="cust-x", item_id=carted, occurred_at=now - timedelta(minutes=5)),
        Purchased(user_id="cust-x", item_id=lately, price_paid=15.0, occurred_at=now - timedelta(minutes=10)),
    ):
        shop_store.record(event)
    recommender = Recommender(shop_store)
    shown = RecommenderSuggester(recommender, ShopData(shop_store), clock).recommend("cust-x", k=8)
    served = recommender.recommend("cust-x", k=8, now=now + timedelta(seconds=1))  # the clock's tick
    assert [s.item_id for s in shown] == [r.item_id for r in served]
    assert len(shown) == 8 and {early, carted} <= {s.item_id for s in shown}
    assert lately not in {s.item_id for s in shown}  # bought within the hour: not yet


# --- import ---------------------------------------------------------------------------------


# The mapping of the till files below: columns "when,who,what", every row a view.
TILL_COLUMNS = "user=who timestamp=when item=what default_type=item_viewed"


def said(app: object, text: str) -> bool:
    """Whether a notification the app has shown holds `text`."""
    return any(text in str(n.message) for n in app._notifications)  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def on_import_screen(
    store: Store, tmp_path: Path
) -> AsyncIterator[tuple[ConsoleApp, Any, ImportScreen]]:
    """The console opened on its Import screen: the app, its Pilot and the screen."""
    app = console(store, tmp_path, "import")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        yield app, pilot, screen


def fill_import_form(screen: ImportScreen, source: Path, columns: str = "") -> Input:
    """The Import screen given a CSV file and a columns line; returns the columns box."""
    screen.query_one("#import-path", Input).value = str(source)
    screen.query_one("#import-format", Select).value = "csv"
    box = screen.query_one("#import-map", Input)
    box.value = columns
    return box


def test_import_previews_then_imports_with_progress_and_report(shop_store: Store, tmp_path: Path) -> None:
    source = tmp_path / "UserBehavior.csv"
    rows = [
        f"{1000 + i % 37},{500 + i % 91},{7 + i % 5},{'pv' if i % 9 else 'cart'},{1511544070 + 60 * i}"
        for i in range(3_000)
    ]
    rows.insert(100, "1001,501,7,pv,not-a-time")
    source.write_text("\n".join(rows) + "\n")

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            screen.chunk_rows = 500
            await pilot.press(*str(source), "enter")  # enter in the path box previews
            preview = screen.query_one("#import-preview-table", DataTable)
            await until(pilot, lambda: preview.row_count > 0, what="a preview")
            await until(pilot, lambda: "taobao" in screen_text(app), what="the detected format")
            await pilot.click("#import-run")
            await until(pilot, lambda: screen.report is not None, timeout=30, what="the report")
            report = screen.report
            assert report is not None
            assert report["rows_read"] == 3_001
            assert report["accepted"] + report["quarantined"] == report["rows_read"]
            assert report["quarantined"] >= 1
            assert screen.progress_updates >= 3  # the bar moved while it worked
            bar = screen.query_one("#import-progress", ProgressBar)
            assert bar.percentage == 1.0
            shown = screen.query_one("#import-report", DataTable)
            assert shown.row_count == len(report)
            assert shown.get_row_at(3)[0].plain == "rows read"

    run(scenario())


def test_import_says_what_is_wrong_with_the_path(shop_store: Store, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = console(shop_store, tmp_path, "import")
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.press("ctrl+g")  # nothing typed yet
            await until(pilot, lambda: said(app, "Type the path of a file to import first"))
            await pilot.press(*str(tmp_path), "enter")  # a folder: previewed on enter
            await until(pilot, lambda: said(app, "is a folder: choose a file in it"))
            await pilot.press("ctrl+g")
            assert app.is_running and not app.screen.running  # type: ignore[attr-defined]
        log = (tmp_path / "ui.log").read_text()
        assert "WARNING" in log and " ERROR " not in log  # refused input, not a failure

    run(scenario())


def test_a_failed_import_takes_its_progress_bar_away(shop_store: Store, tmp_path: Path) -> None:
    """An import refused once under way (no column for the type) left the bar on screen,
    animating as an import still running."""
    source = tmp_path / "sales.csv"
    source.write_text("user,item,ts\nc1,sku-1,1700000000\n")

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            screen.query_one("#import-path", Input).value = str(source)
            await pilot.press("ctrl+g")
            status = screen.query_one("#import-status", Static)
            await until(pilot, lambda: str(status.render()).startswith("Import failed: "), what="the failure")
            assert not screen.running
            assert not screen.query_one("#import-progress", ProgressBar).display

    run(scenario())


def test_a_refused_file_after_an_import_is_said_on_the_screen_not_only_in_a_toast(
    shop_store: Store, tmp_path: Path
) -> None:
    """After an import, a refused preview or import of another path left the status line, the
    preview and the report of the file before on screen: it described a file other than the
    one typed."""
    source = tmp_path / "till.csv"
    source.write_text("when,who,what\n1700000000,c1,sku-1\n1700000060,c2,sku-2\n")

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            fill_import_form(screen, source, TILL_COLUMNS)
            await pilot.press("ctrl+r")
            preview = screen.query_one("#import-preview-table", DataTable)
            report = screen.query_one("#import-report", DataTable)
            await until(pilot, lambda: preview.row_count > 0, what="a preview")
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, what="the report")
            missing = tmp_path / "typo.csv"
            status = screen.query_one("#import-status", Static)
            for key, doing in (("ctrl+r", "Preview"), ("ctrl+g", "Import")):
                screen.query_one("#import-path", Input).value = str(source)  # its rows on screen again
                await pilot.press("ctrl+r")
                await until(pilot, lambda: preview.row_count > 0, what="a preview")
                screen.query_one("#import-path", Input).value = str(missing)
                await pilot.press(key)
                line = f"{doing} failed: {missing}: no such file"
                await until(
                    pilot, lambda t=line: str(status.render()) == t, what="the failure on the status line"
                )
                assert preview.row_count == 0 and report.row_count == 0 and screen.report is None

    run(scenario())


def test_import_takes_a_path_pasted_in_quotes(shop_store: Store, tmp_path: Path) -> None:
    """A path with a space, pasted as a terminal or a file manager quotes it, was 'no such file'."""
    source = tmp_path / "March sales.csv"
    source.write_text("when,who,what\n1700000000,c1,sku-1\n1700000060,c2,sku-2\n")

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            preview = screen.query_one("#import-preview-table", DataTable)
            for quote in ("'", '"'):
                fill_import_form(screen, source, TILL_COLUMNS)
                screen.query_one("#import-path", Input).value = f"{quote}{source}{quote}"
                preview.clear()
                await pilot.press("ctrl+r")
                await until(pilot, lambda: preview.row_count == 2, what="the quoted file's preview")

    run(scenario())


def test_import_takes_a_column_mapping_for_columns_it_cannot_name(shop_store: Store, tmp_path: Path) -> None:
    source = tmp_path / "till.csv"
    source.write_text("when,who,what\n1700000000,c1,sku-1\n1700000060,c2,sku-2\n")

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            mapping = fill_import_form(screen, source)
            await pilot.press("ctrl+g")
            await until(
                pilot, lambda: said(app, "no column for the user or the item or the timestamp or the type")
            )
            assert screen.report is None
            mapping.focus()
            await pilot.press(*TILL_COLUMNS, "enter")
            preview = screen.query_one("#import-preview-table", DataTable)
            await until(pilot, lambda: preview.row_count == 2, what="a preview with the mapping")
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, timeout=30, what="the report")
            assert screen.report is not None and screen.report["accepted"] == 2
        assert [(e.user_id, e.item_id, e.type) for e in shop_store.read(user_id="c1")] == [
            ("c1", "sku-1", "item_viewed")
        ]
        assert " ERROR " not in (tmp_path / "ui.log").read_text()  # a refused file is no failure

    run(scenario())


def test_import_reads_a_file_in_the_encoding_named_with_the_columns(
    shop_store: Store, tmp_path: Path
) -> None:
    source = tmp_path / "kasse.csv"
    source.write_bytes("when,who,what\n1700000000,Zoë,sku-1\n1700000060,Jürgen,sku-2\n".encode("cp1252"))

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            mapping = fill_import_form(screen, source, TILL_COLUMNS)
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, timeout=30, what="the report")
            assert screen.report is not None and screen.report["quarantined"] == 2
            assert "not UTF-8 text" in screen_text(app)
            mapping.value += " encoding=cp1252"
            mapping.focus()
            await pilot.press("enter")
            preview = screen.query_one("#import-preview-table", DataTable)
            await until(pilot, lambda: preview.row_count == 2, what="a preview in cp1252")
            screen.report = None
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, timeout=30, what="the second report")
            assert screen.report is not None and screen.report["accepted"] == 2
        assert {e.user_id for e in shop_store.read() if e.item_id in ("sku-1", "sku-2")} >= {"Zoë", "Jürgen"}

    run(scenario())


def test_import_screen_says_its_own_form_of_the_encoding_and_a_rows_problem_in_words(
    shop_store: Store, tmp_path: Path
) -> None:
    """A header that is not UTF-8 said 'name it: --encoding cp1252', an option of the command
    the screen does not have (it takes encoding=cp1252 on the columns line), in the preview, the
    import and their notifications; and a preview's row problem showed as a Python tuple,
    ('bad_timestamp', "occurred_at: 'notatime' is not a time")."""
    latin = tmp_path / "latin_header.csv"
    latin.write_bytes(
        "user_id,item_id,event_type,timestamp,café\nU1,sku-1,view,1700000000,x\n".encode("cp1252")
    )
    badtime = tmp_path / "badtime.csv"
    badtime.write_text("user_id,item_id,event_type,timestamp\nU1,sku-1,view,notatime\n")

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            status = screen.query_one("#import-status", Static)
            screen.query_one("#import-path", Input).value = str(latin)
            for key, doing in (("ctrl+r", "Preview"), ("ctrl+g", "Import")):
                await pilot.press(key)
                await until(pilot, lambda d=doing: str(status.render()).startswith(f"{d} failed"), what=doing)
                assert "name it: encoding=cp1252 on the columns line)" in str(status.render())
            await until(pilot, lambda: len(app._notifications) >= 2, what="the notifications")
            said = [str(n.message) for n in app._notifications]
            assert not any("--encoding" in m for m in [str(status.render()), *said]), said
            screen.query_one("#import-path", Input).value = str(badtime)
            await pilot.press("ctrl+r")
            await until(pilot, lambda: "line 2:" in str(status.render()), what="the preview's problem")
            assert "line 2: occurred_at: 'notatime' is not a time" in str(status.render())

    run(scenario())


def test_import_screen_names_a_quoted_layout_whole_on_its_columns_line(
    shop_store: Store, tmp_path: Path
) -> None:
    """A layout that no time fits is refused with the layout to give, quoted for the shell
    (--map 'timestamp_unit=%d/%m/%Y %H:%M'): the screen cut it at its space, and said to type
    'timestamp_unit=%d/%m/%Y on the columns line %H:%M'. Typed as it now says, it imports."""
    source = tmp_path / "layout.csv"
    source.write_text("user_id,item_id,event_type,timestamp\nU1,sho-001,view,13/04/2025 14:05\n")

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            status = screen.query_one("#import-status", Static)
            box = fill_import_form(screen, source, "timestamp_unit=%d/%m/%Y")
            await pilot.press("ctrl+r")
            await until(pilot, lambda: str(status.render()).startswith("Preview failed"), what="the refusal")
            said = str(status.render())
            typed = "'timestamp_unit=%d/%m/%Y %H:%M'"
            assert f"{typed} on the columns line" in said, said
            box.value = typed
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, what="the report")
            assert screen.report is not None and screen.report["appended"] == 1, screen.report

    run(scenario())


def test_import_takes_the_files_own_action_names_on_the_columns_line(
    shop_store: Store, tmp_path: Path
) -> None:
    """A file whose actions the importer does not know ('bestellt') was previewed saying 'give
    --action bestellt=item_viewed', an option this screen did not have: typed on the columns line
    it was refused (unknown mapping keys, or not KEY=VALUE), and the file could not be imported
    here at all. The columns line takes `action:bestellt=purchased`, and the preview says so."""
    source = tmp_path / "orders.csv"
    source.write_text(
        "user_id,item_id,event_type,timestamp\nU1,sho-001,bestellt,1700000000\nU2,kit-002,bestellt,1700000060\n"
    )

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            status = screen.query_one("#import-status", Static)
            box = fill_import_form(screen, source)
            await pilot.press("ctrl+r")
            await until(pilot, lambda: "line 2:" in str(status.render()), what="the preview's problem")
            said = str(status.render())
            assert "say which event it is: action:bestellt=item_viewed on the columns line" in said, said
            assert "--action" not in said
            box.value = "action:bestellt=purchased"
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, what="the report")
            assert screen.report is not None and screen.report["appended"] == 2, screen.report
        bought = [e for e in shop_store.read(types=["purchased"]) if e.user_id in ("U1", "U2")]
        assert {(e.user_id, e.item_id) for e in bought} == {("U1", "sho-001"), ("U2", "kit-002")}

    run(scenario())


def test_an_import_says_on_its_status_line_how_it_read_dates_that_read_both_ways(
    shop_store: Store, tmp_path: Path
) -> None:
    """Dates with no day past the 12th (01/04/2025) are read month first, and the report's note
    says so: on this screen it was only the report's last row, below its fold and cut at the
    terminal's edge, so a shop importing a week of sales was not told its dates may be months off."""
    source = tmp_path / "week.csv"
    source.write_text(
        "user_id,item_id,event_type,timestamp\n"
        + "".join(f"U{d},sku-{d},view,0{d}/04/2025 10:00\n" for d in range(1, 8))
    )

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            screen.query_one("#import-path", Input).value = str(source)
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, what="the report")
            assert screen.report is not None and screen.report["appended"] == 7
            said = str(screen.query_one("#import-status", Static).render())
            assert "read month first, as 4 January" in said, said
            assert "give day_first=true on the columns line" in said, said
            assert "--map" not in said
            await pilot.pause(0.1)  # and in full on the screen, not cut at its edge or fold
            shown = " ".join(screen_text(app).split())
            assert "give day_first=true on the columns line" in shown, shown

    run(scenario())


def test_import_reads_times_in_the_zone_named_with_the_columns(shop_store: Store, tmp_path: Path) -> None:
    source = tmp_path / "kasse.csv"
    source.write_text("when,who,what\n2024-05-01 10:00:00,z1,sku-1\n")

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            mapping = fill_import_form(screen, source, f"{TILL_COLUMNS} timezone=Mars/Base")
            await pilot.press("ctrl+g")
            await until(pilot, lambda: said(app, "unknown time zone 'Mars/Base'"))
            assert screen.report is None
            mapping.value = f"{TILL_COLUMNS} timezone=Europe/Berlin"
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, timeout=30, what="the report")
        [viewed] = shop_store.read(user_id="z1")
        assert viewed.occurred_at == int(datetime(2024, 5, 1, 8, 0, tzinfo=UTC).timestamp() * 1e6)

    run(scenario())


# --- trainer --------------------------------------------------------------------------------


def test_trainer_shows_its_real_state_without_inventing_numbers(shop_store: Store, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer")
        async with app.run_test(size=(100, 32)) as pilot:
            screen = app.screen
            assert isinstance(screen, TrainerScreen)
            await until(pilot, lambda: screen.last is not None)
            head = f"#{shop_store.head():,}"

            def shown() -> bool:
                text = screen_text(app)
                return "not running" in text and head in text and "no data" in text

            await until(pilot, shown, what="the trainer's state")
            await pilot.press("s")  # no trainer: a warning, nothing else
            await until(pilot, lambda: any("No trainer" in str(n.message) for n in app._notifications))

    run(scenario())


def test_trainer_names_an_older_editions_model_left_in_the_shared_folder(
    postgres: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before each database server store had a model folder of its own, they all kept their
    # files in models/ itself: the console showed no model, as if none had been trained.
    import edgerec

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    shared = tmp_path / "data" / "edgerec" / "models"
    shared.mkdir(parents=True)
    (shared / "trainer.pt").write_bytes(b"an older edgerec's")

    async def scenario(store: Store) -> None:
        app = console(store, tmp_path, "trainer")
        async with app.run_test(size=(120, 40)) as pilot:

            def told() -> list[str]:
                return [" ".join(str(n.message).split()) for n in app._notifications]

            await until(
                pilot, lambda: any("holds trainer.pt, kept there by an older edgerec" in m for m in told())
            )
            assert "If they are this store's, move them: mkdir -p" in told()[-1]

    with edgerec.open(postgres.database()) as store:
        run(scenario(store))


def _trainer_status(store: Store, *, behind: int, losses: list[float], hit_rates: list[float]) -> None:
    """The status file of a trainer following the store in another process."""
    import json
    import time

    from edgerec.training.files import model_dir

    directory = model_dir(store.path)
    directory.mkdir(parents=True, exist_ok=True)
    head = store.head()
    status = {
        "state": "following",
        "device": "cpu",
        "position": head - behind,
        "head": head,
        "losses": losses,
        "hit_rates": hit_rates,
        "updated_at": time.time(),
    }
    (directory / "status.json").write_text(json.dumps(status))


def test_trainer_shows_a_trainer_running_in_another_process(shop_store: Store, tmp_path: Path) -> None:
    _trainer_status(shop_store, behind=10, losses=[0.9, 0.7, 0.6], hit_rates=[0.1, 0.15])

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer")
        async with app.run_test(size=(100, 32)) as pilot:

            def shown() -> bool:
                text = screen_text(app)
                return "following" in text and "10 events behind" in text and "last 0.6" in text

            await until(pilot, shown, what="the other process's status")

    run(scenario())


def test_a_status_file_of_another_shape_is_shown_as_unreadable_without_a_trainer_of_its_own(
    shop_store: Store, tmp_path: Path
) -> None:
    """A console with no trainer of its own shows the status file another process wrote: one
    that holds JSON but no status (a list) failed to load ("'list' object has no attribute
    'get'"), the screen saying nothing of the trainer."""
    from edgerec.training.files import model_dir

    directory = model_dir(shop_store.path)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "status.json").write_text("[1, 2]")

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer")
        count = _counting_notifications(app)
        async with app.run_test(size=(140, 32), notifications=True) as pilot:
            said = "status.json: holds a list, not a trainer's status (a JSON object)"
            await until(pilot, lambda: count(f"The trainer's status cannot be read: {directory}/{said}") == 1)

            def shown() -> str:
                return " ".join(screen_text(app).split())

            # the notice is given before the screen is drawn again: wait for the drawing
            await until(pilot, lambda: "this console runs no trainer" in shown(), what="drawn")
            assert "Trainer: status cannot be read" in shown(), shown()
            await pilot.pause(1.5)  # polled again: said once
            assert count("cannot be read") == 1 and app.is_running

    run(scenario())


def test_a_loss_that_is_not_finite_is_left_out_of_the_plot(shop_store: Store, tmp_path: Path) -> None:
    """A loss history holding inf or NaN (a diverging step) stopped the whole console with
    plotext's 'cannot convert float NaN to integer' once the Trainer screen showed it."""
    _trainer_status(
        shop_store, behind=0, losses=[1.2, float("inf"), float("nan"), 0.9], hit_rates=[0.1, float("nan")]
    )

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer")
        async with app.run_test(size=(100, 32)) as pilot:

            def shown() -> bool:
                text = screen_text(app)
                return "training loss · last 0.9 · 2 not finite" in text and "last 0.1 · 1 not finite" in text

            await until(pilot, shown, what="the finite losses plotted")
            await pilot.pause(0.5)
            assert app.is_running

    run(scenario())


class FakeTrainer:
    """A console's trainer as runtime.TrainerProcess reports it: a status the test sets, and
    the commands the screen sent it."""

    def __init__(self, state: dict[str, Any], *, starting: bool = False) -> None:
        self.state = state
        self.starting = starting  # whether start() puts it in the "starting" state, as a real one
        self.commands: list[str] = []

    @property
    def running(self) -> bool:
        return self.state.get("state") not in STOPPED

    def status(self) -> dict[str, Any]:
        return self.state

    def start(self) -> None:
        self.commands.append("start")
        if self.starting:
            self.state = {**self.state, "state": "starting"}

    def pause(self) -> None:
        self.commands.append("pause")

    def retrain(self, *, given_up: Callable[[], bool], waiting: Callable[[], None]) -> bool:
        self.commands.append("retrain")
        return True


class CrashedTrainer(FakeTrainer):
    """A console's trainer that crashed: a Full retrain waits for `saved` (the wait for the
    crashed one's end, as long as the test holds it), then starts one that runs."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__({**state, "exited": "it exited with status -9"})
        self.saved = threading.Event()

    def retrain(self, *, given_up: Callable[[], bool], waiting: Callable[[], None]) -> bool:
        self.commands.append("retrain")
        self.saved.wait(30)
        self.state = {key: value for key, value in self.state.items() if key != "exited"} | {
            "state": "retraining"
        }
        return True


def test_a_trainers_crash_is_said_once_not_again_as_a_retrain_starts(
    shop_store: Store, tmp_path: Path
) -> None:
    """After a trainer crashed, Full retrain said 'This console's trainer stopped: it exited
    with status -9' a second time as it started the new one: the crashed one's exit, shown
    until the new one was in place, was said again at the press as if the new one had ended."""
    trainer = CrashedTrainer({"state": "paused", "device": "cpu", "position": shop_store.head()})
    stopped = "This console's trainer stopped: it exited with status -9."

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer", trainer=trainer)
        async with app.run_test(size=(140, 32), notifications=True) as pilot:
            told = lambda: sum(stopped in str(n.message) for n in app._notifications)  # noqa: E731
            await until(pilot, lambda: told() == 1, what="the crash said")
            await pilot.press("R")
            await pilot.pause(1.5)  # polls that still read the crashed one's exit
            trainer.saved.set()
            await until(pilot, lambda: said(app, "Full retrain started"), what="the retrain started")
            await pilot.pause(1.5)
            assert told() == 1

    run(scenario())


def test_a_console_whose_trainer_was_refused_shows_the_other_one_as_another_processs(
    shop_store: Store, tmp_path: Path
) -> None:
    """A second console's trainer is refused by the store's trainer lock and exits at once: its
    Trainer screen showed the first console's trainer as its own, said nothing of the refusal
    (only trainer.log had it), and its Pause and Full retrain did nothing, silently."""
    import time

    head = shop_store.head()
    refusal = "another trainer (process 4242) is training this store's model; stop it first"
    trainer = FakeTrainer(
        {
            "state": "caught up",
            "device": "cpu",
            "position": head,
            "updated_at": time.time(),
            "elsewhere": True,
            "pid": 4242,
            "exited": refusal,
        }
    )

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer", trainer=trainer)
        async with app.run_test(size=(140, 32)) as pilot:
            # Read from the status itself: the notification of the same words can cover it on the screen.
            state = lambda: str(app.screen.query_one("#trainer-state", Static).render())  # noqa: E731
            await until(pilot, lambda: "caught up (in another process, pid 4242)" in state())
            assert "This console's trainer stopped: another trainer (process 4242)" in state()
            await until(pilot, lambda: said(app, f"This console's trainer stopped: {refusal}."))
            for key in ("s", "p", "R"):
                await pilot.press(key)
            await pilot.click("#trainer-pause")
            await until(
                pilot,
                lambda: (
                    sum("another process's (pid 4242)" in str(n.message) for n in app._notifications) == 4
                ),
                what="each command saying why it cannot act",
            )
            assert trainer.commands == []

    run(scenario())


def test_trainer_shows_its_checkpoint_and_a_caught_up_trainer_apart_from_one_not_started(
    shop_store: Store, tmp_path: Path
) -> None:
    """The screen said 'No checkpoint yet' beside a saved checkpoint, and 'idle' both for a
    trainer following the log with nothing left to learn and for one never started."""
    import time

    from edgerec.ui.clock import clock_time

    head = shop_store.head()
    saved_at = time.time() - 60

    trainer = FakeTrainer({"state": "not started", "device": "cpu", "position": 0})

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer", trainer=trainer)
        async with app.run_test(size=(120, 32)) as pilot:
            await until(
                pilot, lambda: "not running" in screen_text(app) and "(s starts it)" in screen_text(app)
            )
            trainer.state = {
                "state": "caught up",
                "device": "cpu",
                "position": head,
                "checkpoint_position": head - 5,
                "checkpoint_at": saved_at,
            }
            saved = clock_time(saved_at * 1e6, app.services.zone)
            line = f"Last checkpoint covers log #{head - 5:,}, saved {saved}"
            await until(pilot, lambda: "Trainer: caught up" in screen_text(app) and line in screen_text(app))
            assert "0 events behind" in screen_text(app) and "not running" not in screen_text(app)
            trainer.state = {**trainer.state, "state": "paused"}
            await until(pilot, lambda: "not running · its last status: paused" in screen_text(app))
            assert line in screen_text(app)

    run(scenario())


def test_trainer_starting_is_shown_as_such_and_p_before_a_start_says_nothing_runs(
    shop_store: Store, tmp_path: Path
) -> None:
    """After s, for the seconds the trainer loads, the screen said 'not running ... (s starts
    it)'; p before any start did nothing and said nothing."""
    trainer = FakeTrainer({"state": "not started", "device": "cpu", "position": 0}, starting=True)

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer", trainer=trainer)
        async with app.run_test(size=(120, 32)) as pilot:
            state = lambda: str(app.screen.query_one("#trainer-state", Static).render())  # noqa: E731
            await until(pilot, lambda: "not running" in state() and "(s starts it)" in state())
            await pilot.press("p")
            await until(
                pilot, lambda: said(app, "No trainer is running in this console: there is nothing to pause.")
            )
            await pilot.press("s")
            await until(pilot, lambda: state().startswith("Trainer: starting"), what="the trainer starting")
            assert "not running" not in state() and trainer.commands == ["start"]

    run(scenario())


@contextlib.contextmanager
def a_trainer_process(store: Store) -> Iterator[Any]:
    """The console's real trainer process for `store` (not started); stopped afterwards, and
    let go if the test held it."""
    import signal

    from edgerec.runtime import TrainerProcess

    trainer = TrainerProcess(store.url, device="cpu")
    try:
        yield trainer
    finally:
        if trainer.process is not None:
            trainer.process.send_signal(signal.SIGCONT)
        trainer.close()


def _counting_notifications(app: Any) -> Callable[[str], int]:
    """Keeps every notification `app` gives, also those whose toast has gone: how many of them
    hold a text."""
    told: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (told.append(str(message)), notify(message, **kw))[1]

    def count(text: str) -> int:
        return sum(text in message for message in told)

    return count


def test_a_full_retrain_says_it_waits_for_the_save_and_a_second_starts_no_other(
    shop_store: Store, tmp_path: Path
) -> None:
    """Full retrain first waits for the trainer's final save, however long it takes (a
    catalogue of a million items: tens of seconds): the Trainer screen said nothing meanwhile,
    nor when the retrain started. It says it waits for the save, then that the retrain started.
    Pressed again while the first waited for the save, it gave that one up ("not started") for
    a second of its own, and pressed while the retrain ran it stopped it half done to start it
    over: each press could start another trainer. A second press says the retrain is under way
    and starts nothing; once it has retrained, another may be asked. One test, one real trainer:
    each start of one loads torch and the log."""
    import signal

    from edgerec.ui.screens.trainer import RETRAIN_UNDER_WAY, WAITING_FOR_SAVE

    head = shop_store.head()

    async def scenario(trainer: Any) -> None:
        app = console(shop_store, tmp_path, "trainer", trainer=trainer)
        count = _counting_notifications(app)
        async with app.run_test(size=(140, 32), notifications=True) as pilot:
            state = lambda: " ".join(str(app.screen.query_one("#trainer-state", Static).render()).split())  # noqa: E731
            await pilot.press("s")
            caught_up = lambda: trainer.status().get("position") == head  # noqa: E731
            await until(pilot, caught_up, timeout=120, what="the trainer caught up")
            saving = trainer.process
            saving.send_signal(signal.SIGSTOP)  # its final save takes as long as it is held
            await pilot.press("R")
            await until(pilot, lambda: count(WAITING_FOR_SAVE), what="the wait said")
            await until(pilot, lambda: WAITING_FOR_SAVE in state(), what="the wait shown")
            await pilot.press("R")  # while it waits for the save
            await until(pilot, lambda: count(RETRAIN_UNDER_WAY) == 1, what="the second press answered")
            assert trainer.process is saving and not count("Full retrain started")
            saving.send_signal(signal.SIGCONT)
            await until(pilot, lambda: count("Full retrain started"), timeout=60, what="the start said")
            retraining = trainer.process
            assert retraining is not saving and "--retrain" in retraining.args
            await until(pilot, lambda: WAITING_FOR_SAVE not in state(), what="the wait over")
            await pilot.press("R")  # while it starts and retrains
            await until(pilot, lambda: count(RETRAIN_UNDER_WAY) == 2, what="the third press answered")
            followed = lambda: trainer.status().get("state") in ("following", "caught up")  # noqa: E731
            await until(pilot, followed, timeout=120, what="the retrain done")
            assert trainer.process is retraining and retraining.poll() is None
            assert count("Full retrain started") == 1 and not count("not started")

            # Retrained: another may be asked.
            await until(pilot, lambda: "Trainer: caught up" in state() or "Trainer: following" in state())
            await pilot.press("R")
            await until(pilot, lambda: count("Full retrain started") == 2, timeout=60, what="another")
            assert count(RETRAIN_UNDER_WAY) == 2

    with a_trainer_process(shop_store) as trainer:
        run(scenario(trainer))


def test_a_full_retrain_whose_trainer_ends_while_its_status_cannot_be_read_lets_another_start(
    shop_store: Store, tmp_path: Path
) -> None:
    """A status file the trainer's status could not be read from (here one of the wrong shape)
    left the Trainer screen showing its last status, a toast of the error every second, and
    Full retrain saying the one started was under way for as long as the reads failed, after
    its trainer had ended too: forever, where they never work again. The screen says the
    status cannot be read; while the retrain's trainer runs, R says why it starts no other, and
    once that trainer has ended, R starts one."""
    import signal

    async def scenario(trainer: Any) -> None:
        app = console(shop_store, tmp_path, "trainer", trainer=trainer)
        count = _counting_notifications(app)
        async with app.run_test(size=(140, 32), notifications=True) as pilot:
            state = lambda: " ".join(str(app.screen.query_one("#trainer-state", Static).render()).split())  # noqa: E731
            await pilot.press("R")
            await until(pilot, lambda: count("Full retrain started"), timeout=60, what="the retrain started")
            retraining = trainer.process
            retraining.send_signal(signal.SIGSTOP)  # it writes no status while held
            (trainer.directory / "status.json").write_text('{"state": "retraining", "updated_at": "soon"}')
            unreadable = 'its updated_at is "soon", not a number'
            await until(pilot, lambda: count(unreadable), what="the failed read said")
            await until(pilot, lambda: "status cannot be read" in state(), what="the failed read shown")
            await pilot.press("R")  # its trainer still runs: it may still retrain
            await until(pilot, lambda: count("may still be retraining"), what="the press answered")
            assert trainer.process is retraining
            retraining.send_signal(signal.SIGKILL)  # it ends; its status still cannot be read
            retraining.wait()
            await pilot.pause(1.5)  # a poll sees it ended
            await pilot.press("R")
            await until(pilot, lambda: count("Full retrain started") == 2, timeout=60, what="another")
            assert trainer.process is not retraining and "--retrain" in trainer.process.args
            assert count(unreadable) == 1  # said once, not every second
            assert app.is_running

    with a_trainer_process(shop_store) as trainer:
        run(scenario(trainer))


def test_trainer_tunes_the_blend_and_puts_it_in_use(shop_store: Store, tmp_path: Path) -> None:
    import json

    from edgerec.recommend import Recommender, RecommenderConfig
    from edgerec.recommend.engine import shop_config_path

    # A shop whose blend ignores what each customer did: tuning on its log should do better.
    names = Recommender(None).names
    path = shop_config_path(shop_store)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    RecommenderConfig().with_weights({n: float(n == "popularity.global") for n in names}).save(path)

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer")
        async with app.run_test(size=(100, 32)) as pilot:
            recommender = app.services.suggester.recommender  # type: ignore[attr-defined]
            assert recommender.weights.tolist() == [float(n == "popularity.global") for n in names]
            await pilot.press("t")
            await until(
                pilot,
                lambda: any("Tuned blend saved" in str(n.message) for n in app._notifications),
                what="the tuning result",
                timeout=60,
            )
            saved = json.loads(path.read_text())["weights"]
            assert saved["history.recency"] > 0 or saved["history.intent"] > 0
            assert recommender.weights.tolist() == [saved[n] for n in names]
            assert recommender.config.weights == saved

    run(scenario())


def test_quitting_while_the_blend_is_tuned_stops_the_tuning_and_saves_nothing(
    shop_store: Store, tmp_path: Path, monkeypatch: Any
) -> None:
    """ctrl+q closed the screen, but the process went on tuning for half a minute without a
    word, and could save a blend after the operator had quit."""
    import threading
    import time

    from edgerec.recommend import shop_tuning

    started, saved = threading.Event(), []
    learn = shop_tuning.FollowingTrainer.after

    def slow_after(self: Any, recommender: Any, event: Any) -> None:
        started.set()
        time.sleep(0.02)  # a replay long enough to quit in the middle of
        learn(self, recommender, event)

    monkeypatch.setattr(shop_tuning.FollowingTrainer, "after", slow_after)
    monkeypatch.setattr(shop_tuning, "save_tuning", lambda *args, **kwargs: saved.append(args))
    said: list[Any] = []
    quit_at: list[float] = []

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "trainer")
        leave = app.exit
        app.exit = lambda *args, **kwargs: (said.append(kwargs.get("message")), leave(*args, **kwargs))[1]  # type: ignore[method-assign]
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.press("t")
            await until(pilot, started.is_set, what="the tuning under way")
            quit_at.append(time.monotonic())
            await pilot.press("ctrl+q")

    run(scenario())  # asyncio.run waits for the worker's thread to end
    assert time.monotonic() - quit_at[0] < 5  # stopped at once, not at the end of the replay
    assert saved == []
    assert [str(m) for m in said] == ["edgerec: tuning the blend stopped; the current blend stays."]


# --- shop text is text ------------------------------------------------------------------------


def test_brackets_in_shop_data_and_typed_text_show_as_they_are(shop_store: Store, tmp_path: Path) -> None:
    """`[/]` or `[XL]` in a category, a title, an id or a typed path is not Textual markup: it
    neither vanishes nor stops the console (toasts drawn too, which run_test hides by default)."""
    from edgerec.domain import ItemListed

    at = datetime(2026, 1, 1, tzinfo=UTC)
    shop_store.record(
        ItemListed(item_id="sku[/]1", title="[REC] (2007)", category="Sale [/] Outlet", occurred_at=at)
    )
    shop_store.record(
        ItemListed(item_id="tee-1", title="Tee", category="T-shirts [XL]", stock=3, occurred_at=at)
    )

    async def scenario(start: str) -> None:
        app = console(shop_store, tmp_path, start)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await pilot.pause(0.5)
            if start == "live":
                await until(pilot, lambda: "T-shirts [XL]" in screen_text(app), what="the category list")
                assert "Sale [/] Outlet" in screen_text(app)
                app.screen.play_customer("cust[/]x")  # its name heads the suggestions panel
                await until(pilot, lambda: "Customer cust[/]x" in screen_text(app), what="the panel title")
            elif start == "catalogue":
                app.screen.query_one("#catalogue-category", Select).focus()
                await pilot.press("enter")
                await until(pilot, lambda: "Sale [/] Outlet" in screen_text(app), what="the category menu")
                await pilot.press("escape")
                app.notify("Delisted sku[/]1 [bold]")
                app.push_screen(ConfirmScreen("Delist [REC] (2007)?"))
                await until(pilot, lambda: "Delist [REC] (2007)?" in screen_text(app), what="the question")
            else:
                app.screen.query_one("#import-path", Input).value = "~/exports/[/]sales.csv"
                await pilot.press("ctrl+r")
                await until(pilot, lambda: "[/]sales.csv" in screen_text(app), what="the error toast")
            await pilot.pause(0.3)
            assert app.is_running

    for start in ("live", "catalogue", "import"):
        run(scenario(start))


def test_a_tuned_blend_that_cannot_be_saved_is_reported_and_the_console_goes_on(
    shop_store: Store, monkeypatch: Any
) -> None:
    """The search is stood in for (it takes minutes); the save is the real one, into a model
    folder that cannot be written (a file has its name)."""
    from edgerec.recommend import shop_tuning
    from edgerec.recommend.engine import shop_config_path
    from edgerec.ui.screens.trainer import tune_blend

    found = shop_tuning.ShopTuning(
        weights={"popularity": 1.0},
        current=shop_tuning.Scores(0.1, 0.05),
        tuned=shop_tuning.Scores(0.2, 0.1),
        events=100,
        first_position=1,
        last_position=100,
        tune_requests=50,
        tune_answerable=40,
        check_requests=20,
        seconds=1.0,
        started_weights={},
    )
    folder = shop_config_path(shop_store).parent
    folder.mkdir(parents=True, exist_ok=True)
    blocked = folder / "recommender.json"

    def tuned(store: Store, **options: Any) -> shop_tuning.ShopTuning:
        blocked.mkdir()  # while it replayed, a folder took the file's place: writing it fails
        return found

    monkeypatch.setattr(shop_tuning, "tune_shop", tuned)

    class Suggester:
        weights: dict[str, float] | None = None

        def use_weights(self, weights: dict[str, float]) -> None:
            self.weights = weights

    suggester = Suggester()
    message, severity = tune_blend(shop_store, suggester)
    assert severity == "error" and "could not be saved" in message
    assert suggester.weights is None  # the blend in use is still the saved one


def test_tuning_the_blend_refuses_a_configuration_it_cannot_read_before_it_replays(
    shop_store: Store,
) -> None:
    """The console's Tune blend replayed the whole log (a minute on the demo shop) and only then
    said that the shop's recommender.json, one key mistyped, could not be saved over; `edgerec
    tune` says so at once."""
    from edgerec.recommend.engine import shop_config_path
    from edgerec.ui.screens.trainer import tune_blend

    path = shop_config_path(shop_store)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"policy": {"max_category_shar": 0.3}}')
    message, severity = tune_blend(shop_store, suggester=None)  # refused before the replay
    assert severity == "warning" and "Cannot tune the blend" in message and "cannot be read" in message


def test_control_characters_in_shop_text_are_shown_escaped_never_sent_to_the_terminal(
    shop_store: Store, tmp_path: Path
) -> None:
    """A title with Excel's in-cell line break, or an escape sequence that retitles the
    operator's window, reached the terminal as it was."""
    from edgerec.domain import ItemListed, Searched

    at = datetime(2026, 1, 1, tzinfo=UTC)
    title = "Trail boot\nwaterproof\x1b]0;pwned\x07"
    shop_store.record(ItemListed(item_id="boot-1", title=title, category="Shoes", stock=3, occurred_at=at))
    shop_store.record(Searched(user_id="c1", query="boots\x1b[2J", occurred_at=at))

    async def scenario(start: str) -> None:
        app = console(shop_store, tmp_path, start)
        async with app.run_test(size=(160, 40)) as pilot:
            shown = "Trail boot\\nwater" if start == "catalogue" else "boots\\u001b[2J"
            if start == "catalogue":
                app.screen.query_one("#catalogue-search", Input).value = "Trail boot"
            await until(pilot, lambda: shown in screen_text(app), what="the text, escaped")
            assert "\x1b" not in screen_text(app) and "\x07" not in screen_text(app)

    for start in ("catalogue", "events"):
        run(scenario(start))


def test_the_delist_question_and_the_item_form_show_a_title_s_control_characters_escaped(
    shop_store: Store, tmp_path: Path
) -> None:
    """The Delist question and the Edit form put a title's escape sequence on the terminal as
    it was. The form shows it escaped, and saving it keeps the title as the item has it."""
    from edgerec.domain import ItemListed

    title = "Boot\x1b]0;pwned\x1b\\ waterproof"
    shop_store.record(ItemListed(item_id="boot-1", title=title, category="Shoes", stock=3, price=5.0))

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(140, 32)) as pilot:
            screen = app.screen
            items = screen.query_one(ItemTable)
            screen.query_one("#catalogue-search", Input).value = "boot-1"
            await until(pilot, lambda: items.row_count == 1, what="the item")
            items.focus()
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            await until(pilot, lambda: "Delist Boot\\u001b]0;pwned" in screen_text(app), what="it, escaped")
            assert "\x1b" not in screen_text(app)
            await pilot.press("escape", "e")
            await until(pilot, lambda: isinstance(app.screen, ItemFormScreen), what="the form")
            form = app.screen
            await until(pilot, lambda: "Boot\\u001b]0;pwned" in screen_text(app), what="its title, escaped")
            assert "\x1b" not in screen_text(app)
            head = shop_store.head()
            form._field("price").value = "7"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: shop_store.head() > head, what="the update")
            (update,) = shop_store.read(since=head)
            assert update.type == "item_updated" and update.payload.get("title") is None
            item = app.services.shop.item("boot-1")
            assert item is not None and item.title == title and item.price == 7

    run(scenario())


def test_an_empty_file_previews_and_imports_as_no_rows(shop_store: Store, tmp_path: Path) -> None:
    """Preview said "cannot tell the format" and listed every format; then both refused the file
    as empty, while the command imports it as no rows (an export of no events, a day with no
    sales). An empty Parquet file, which never is one, is still refused."""
    import pytest

    from edgerec.ui.screens.importer import preview_file

    empty = tmp_path / "sales.csv"
    empty.write_text("")
    preview = preview_file(empty, None)
    assert (preview.format, preview.rows, preview.problems) == (
        "csv",
        [],
        ["the file is empty: it holds no rows to import"],
    )
    assert preview_file(empty, "events").format == "events"
    (tmp_path / "cut.parquet").write_bytes(b"")
    with pytest.raises(ValueError, match="the file is empty, which a Parquet file never is"):
        preview_file(tmp_path / "cut.parquet", None)
    with pytest.raises(ValueError, match="the file is empty, which a Parquet file never is"):
        preview_file(empty, "parquet")
    # Compressed: no bytes at all is cut short; a zip's empty workbook is refused as the import
    # refuses it, and a gzip of no text previews as no rows (it said "cannot tell the format").
    (tmp_path / "cut.csv.gz").write_bytes(b"")
    with pytest.raises(ValueError, match="the gzip data is damaged or cut short"):
        preview_file(tmp_path / "cut.csv.gz", None)
    with zipfile.ZipFile(tmp_path / "book.xlsx.zip", "w") as archive:
        archive.writestr("book.xlsx", b"")
    with pytest.raises(ValueError, match="the book.xlsx inside is empty, which a workbook never is"):
        preview_file(tmp_path / "book.xlsx.zip", None)
    (tmp_path / "none.csv.gz").write_bytes(gzip.compress(b""))
    assert preview_file(tmp_path / "none.csv.gz", None).problems == [
        "the file is empty: it holds no rows to import"
    ]

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            screen.query_one("#import-path", Input).value = str(empty)
            await pilot.press("ctrl+g")
            await until(pilot, lambda: screen.report is not None, what="the report")
            assert screen.report is not None and screen.report["rows_read"] == 0
            status = str(screen.query_one("#import-status", Static).render())
            assert status.endswith("0 new events, 0 quarantined. The file holds no rows."), status

    run(scenario())


def test_a_backup_named_jsonl_previews_as_the_export_it_is(tmp_path: Path) -> None:
    """edgerec's own export named by the kind of file it is written as (jsonl, as `export
    --format` takes it) previewed as a file of interactions: its listing without its title."""
    import edgerec
    from edgerec.domain import ItemListed
    from edgerec.ingest import export_events
    from edgerec.ui.screens.importer import preview_file

    with edgerec.open(tmp_path / "shop.db") as shop:
        shop.record(
            ItemListed(item_id="SKU1", title="Wool socks", occurred_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
        export_events(shop, tmp_path / "backup.jsonl", real_ids=True)
    preview = preview_file(tmp_path / "backup.jsonl", "jsonl")
    assert preview.format == "events" and "Wool socks" in preview.rows[0], preview


def test_an_item_search_of_several_words_finds_the_items_with_them_all(shop_store: Store) -> None:
    """ "soft shoes" listed nothing (one substring), while the suggestions matched Soft Shoe items."""
    from edgerec.readmodels import ShopData

    shop = ShopData(shop_store)
    for query in ("soft shoes", "Shoe  soft", "soft, shoe"):
        found = shop.items(text=query)
        assert found and all({"soft", "shoe"} <= set(i.title.lower().split()) for i in found), query
    assert shop.items(text="%") == shop.items(text="%%")  # no words: the text as it is, escaped


def test_an_item_without_a_title_is_found_by_the_name_it_is_shown_by(tmp_path: Path) -> None:
    """A store of clicks names its items "item 2333346": searching for that name, as shown,
    found nothing (no column holds the word "item"); the id alone found it."""
    from edgerec.readmodels import ShopData

    store = events_only_store(tmp_path / "taobao.db")
    shop = ShopData(store)
    [shown] = shop.items(text="2333346", unlisted=True)
    assert shown.label == "item 2333346"
    for query in ("item 2333346", "Item 2333346", "items 2333346"):
        assert [i.item_id for i in shop.items(text=query, unlisted=True)] == ["2333346"], query
    assert len(shop.items(text="item", unlisted=True)) == 9  # every one of them is an "item"
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_item_whose_title_shows_nothing_is_found_by_the_name_it_is_shown_by(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An item titled with zero-width characters alone is shown as "item Z", by its id, as one
    with no title: searching for that name found nothing, the database's trim taking spaces
    only. Every character that shows nothing is taken now, as the shown name takes them."""
    from edgerec.domain import ItemListed
    from edgerec.readmodels import ShopData

    at = datetime(2026, 3, 1, tzinfo=UTC)
    where = tmp_path / "shop.db" if backend == "sqlite" else request.getfixturevalue("postgres").database()
    with edgerec.open(where) as store:
        for item_id, title in [("Z", "\u200b\u2060 \u200b"), ("Q", "\u0301"), ("H", "Hat\u200b")]:
            store.record(ItemListed(item_id=item_id, title=title, price=1.0, occurred_at=at))
        shop = ShopData(store)
        assert [shop.item(i).label for i in "ZQH"] == ["item Z", "item Q", "Hat\u200b"]  # type: ignore[union-attr]
        for query, found in [("item Z", ["Z"]), ("item q", ["Q"]), ("item", ["Q", "Z"]), ("item H", [])]:
            assert sorted(i.item_id for i in shop.items(text=query)) == found, query


@pytest.mark.parametrize("where", ["shop.db", ":memory:"])
def test_an_item_or_customer_search_folds_every_letters_case(tmp_path: Path, where: str) -> None:
    """On SQLite, "ärmel" found no "Ärmel" and "ÉLAN" no "élan": its lower() folds ASCII only
    (a store in memory had it so still). tests/store/test_postgresql.py checks PostgreSQL."""
    import edgerec
    from edgerec.domain import ItemListed, ItemViewed
    from edgerec.readmodels import ShopData

    with edgerec.open(tmp_path / where if where != ":memory:" else where) as store:
        store.record_many(
            [
                ItemListed(item_id="i1", title="Ärmel-Shirt", price=9.0, stock=1),
                ItemListed(item_id="i2", title="Sac élan", price=9.0, stock=1),
                ItemViewed(user_id="Åsa", item_id="i1"),
            ]
        )
        shop = ShopData(store)
        for query, found in (("ärmel", "i1"), ("ÄRMEL", "i1"), ("ÉLAN", "i2")):
            assert [i.item_id for i in shop.items(text=query)] == [found], query
        assert [c.user_id for c in shop.customers(text="åsa")] == ["Åsa"]


def test_an_item_search_folds_accents_and_finds_words_as_the_recommender_s(tmp_path: Path) -> None:
    """The console's item search missed a title saved decomposed (NFD, as macOS writes it), and
    found no "Crème brûlée" for "creme brulee" nor "Straßenkarte" for "STRASSENKARTE", which
    the recommender's search finds, nor "Masło" for "maslo", "Smør" for "smor", "Đông" for "dong"."""
    import edgerec
    from edgerec.domain import ItemListed
    from edgerec.readmodels import ShopData

    with edgerec.open(tmp_path / "shop.db") as store:
        store.record_many([ItemListed(item_id=i, title=t, stock=1) for i, t in TITLES.items()])
        shop = ShopData(store)
        for query, found in SEARCHES.items():
            assert [i.item_id for i in shop.items(text=query)] == [found], query


def test_a_refusal_naming_several_mappings_says_them_as_one_columns_line(tmp_path: Path) -> None:
    """The Import screen turned each --map of a command line into 'X on the columns line' one by
    one: '... with header=false on the columns line user=0 on the columns line item=1 ...'."""
    from edgerec.ingest import import_file
    from edgerec.ui.screens.importer import on_screen

    pins = tmp_path / "pins.tsv"
    pins.write_text("0\t10\t1\t0\n0\t11\t1\t0\n1\t10\t1\t0\n")
    mapping = {
        "header": "false",
        "user": "0",
        "item": "1",
        "value": "2",
        "timestamp": "3",
        "default_type": "rated",
    }
    with Store(tmp_path / "shop.db") as store, pytest.raises(ValueError) as refused:
        import_file(store, pins, mapping=mapping)
    said = str(on_screen(refused.value))
    assert (
        "with header=false user=0 item=1 value=2 default_type=rated undated=2024-01-01 on the columns line "
        "(the day they are dated" in said
    ), said
    assert said.count("on the columns line") == 1 and "--map" not in said, said


def test_a_note_naming_mappings_and_actions_says_them_as_one_columns_line(tmp_path: Path) -> None:
    """A note on ratings of 0 names --map type=... --map value=... and an --action per rating:
    each --action was its own 'action:1=rated on the columns line', one after another. Said as
    one columns line, typed as it says, it imports the zeros as views."""
    from edgerec.ingest import import_file
    from edgerec.ui.screens.importer import in_screen_words, parse_columns

    ratings = tmp_path / "ratings.csv"
    ratings.write_text("user,item,rating\nu1,b1,0\nu1,b2,1\nu2,b1,5\n")
    with Store(tmp_path / "shop.db") as store:
        [note] = import_file(store, ratings, mapping={"undated": "2024-01-01"}).notes
    said = in_screen_words(note)
    typed = said.split("import those rows as views instead: ", 1)[1].removesuffix(" on the columns line")
    assert typed == (
        "type=rating value=rating action:0=item_viewed action:1=rated action:2=rated action:3=rated "
        "action:4=rated action:5=rated"
    ), said
    assert said.count("on the columns line") == 1 and "--" not in said, said
    mapping = parse_columns(f"undated=2024-01-01 {typed}")
    with Store(tmp_path / "views.db") as store:
        assert import_file(store, ratings, mapping=mapping).notes == []
        assert [e.type for e in store.read() if e.type != "session_started"] == [
            "item_viewed",
            "rated",
            "rated",
        ]


def test_customers_show_every_column_a_long_id_or_title_would_push_out_and_the_year_of_an_old_visit(
    tmp_path: Path,
) -> None:
    """A long id or title sized its column to itself: the sessions, last seen and History's
    category, last and when went out of view; a visit a year ago showed as one of today's, and a
    session idle for a year as open."""
    from datetime import timedelta

    import edgerec
    from edgerec.domain import ItemListed, ItemViewed, Purchased

    now = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    long_title = "Stainless Steel Insulated Water Bottle with Straw Lid, Leak Proof, " * 3
    email = "margaret.thompson@example.com"
    store = edgerec.open(tmp_path / "shop.db")
    store.record_many(
        [
            ItemListed(item_id="bottle", title=long_title, category="Outdoor", price=24.0, stock=5),
            ItemListed(item_id="mug", title="Mug", category="Kitchen", price=12.5, stock=4),
            ItemViewed(user_id="old", session_id="s0", item_id="mug", occurred_at=now - timedelta(days=370)),
            ItemViewed(
                user_id=email, session_id="s1", item_id="bottle", occurred_at=now - timedelta(minutes=9)
            ),
            Purchased(
                user_id=email,
                session_id="s1",
                item_id="mug",
                price_paid=12.5,
                occurred_at=now - timedelta(minutes=8),
            ),
        ]
    )

    async def scenario() -> None:
        app = console(store, tmp_path, "customers")
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            history = screen.query_one("#profile-history", DataTable)
            sessions = screen.query_one("#profile-sessions", DataTable)
            await until(pilot, lambda: screen.current == email and history.row_count == 2)
            await pilot.pause(0.3)
            lines = screen_text(app).splitlines()
            listed = next(line.split("││")[0] for line in lines if line.startswith("│ margaret"))
            assert "…" in listed and "01-15 11:52" in listed, lines
            assert "2025-01-10" in next(line for line in lines if " old " in line), lines
            mug = next(line for line in lines if "Mug " in line)
            assert "Kit" in mug and "bought" in mug and "8 minutes ago" in mug, lines
            bottle = next(line for line in lines if "Stai" in line)
            assert "…" in bottle and "Out" in bottle and "9 minutes ago" in bottle, lines
            assert str(sessions.get_row_at(0)[-1]) == "open"
            screen.open("old")
            await until(pilot, lambda: screen.current == "old" and history.row_count == 1)
            await until(pilot, lambda: sessions.row_count == 1)
            assert str(sessions.get_row_at(0)[-1]) == "idle"

    try:
        run(scenario())
    finally:
        store.close()


def test_the_import_preview_shows_event_times_on_the_shops_clock(shop_store: Store, tmp_path: Path) -> None:
    """The preview showed 1767261600000000 for 2026-01-01 10:00:00: whether the file's unit
    or zone was read right could not be told from it."""
    from edgerec.ui.clock import clock_time

    source = tmp_path / "events.csv"
    source.write_text("user_id,item_id,event_type,timestamp\nu1,i1,view,2026-01-01 10:00:00\n")
    at = int(datetime(2026, 1, 1, 10, 0, tzinfo=UTC).timestamp() * 1e6)

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            await pilot.press(*str(source), "enter")
            preview = screen.query_one("#import-preview-table", DataTable)
            await until(pilot, lambda: preview.row_count > 0, what="a preview")
            cells = [str(c) for c in preview.get_row_at(0)]
            assert clock_time(at, app.services.zone, offset=True) in cells and str(at) not in cells, cells

    run(scenario())


@pytest.fixture
def in_berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's clock, and so the shop's, in Europe/Berlin (CET in winter, CEST in summer)."""
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("in_berlin")
def test_the_import_preview_gives_each_time_its_own_offset(shop_store: Store, tmp_path: Path) -> None:
    """In Berlin in winter the header said 'occurred_at (CET)' over a July row shown at 12:00,
    summer time: read as CET, 11:00 UTC, an hour wrong."""
    source = tmp_path / "times.csv"
    source.write_text(
        "user_id,item_id,event_type,timestamp\n"
        "u1,i1,view,2026-07-01T10:00:00Z\nu2,i2,view,2026-01-01T10:00:00Z\n"
    )

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            await pilot.press(*str(source), "enter")
            preview = screen.query_one("#import-preview-table", DataTable)
            await until(pilot, lambda: preview.row_count == 2, what="a preview")
            shown = [[str(c) for c in preview.get_row_at(row)] for row in range(2)]
            assert "2026-07-01 12:00:00 +0200" in shown[0], shown
            assert "2026-01-01 11:00:00 +0100" in shown[1], shown
            # Both of the zone's clocks, where the header named today's alone; the offset may be
            # cut by a narrow terminal's edge.
            assert "occurred_at (CET/CEST)" in [str(c.label) for c in preview.columns.values()]

    run(scenario())


@pytest.mark.usefixtures("in_berlin")
def test_the_event_log_names_both_of_the_zone_s_clocks(shop_store: Store, tmp_path: Path) -> None:
    """In Berlin in winter the event log's header said 'time (CET)' over the summer's events,
    shown in summer time: read as CET, an hour wrong."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "events")
        async with app.run_test(size=(120, 30)) as pilot:
            table = app.screen.query_one(EventTail)
            await until(pilot, lambda: table.row_count > 0, what="the events")
            assert "time (CET/CEST)" in [str(c.label) for c in table.columns.values()]

    run(scenario())


def test_escape_leaves_the_import_path_box_so_that_question_mark_lists_the_keys(
    shop_store: Store, tmp_path: Path
) -> None:
    """The Import screen opens in its path box, where ? is typed into the path; escape kept
    the focus there, so the key list could not be reached with the keyboard."""
    from edgerec.ui.screens.help import HelpScreen

    async def scenario() -> None:
        async with on_import_screen(shop_store, tmp_path) as (app, pilot, screen):
            path = screen.query_one("#import-path", Input)
            assert app.focused is path
            await pilot.press("escape")
            await until(pilot, lambda: app.focused is not path, what="the focus out of the path box")
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the key list")
            assert path.value == ""

    run(scenario())


def test_on_a_40_column_terminal_the_customers_list_leaves_the_profile_room(
    shop_store: Store, tmp_path: Path
) -> None:
    """At 40x12 the list kept its 36 cells and the profile got none: nothing of the customer
    chosen was on screen."""

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "customers")
        async with app.run_test(size=(40, 12)) as pilot:
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            await until(pilot, lambda: screen.view is not None and screen.view.profile is not None)
            await pilot.pause(0.3)
            profile = [line.split("││")[1] for line in screen_text(app).splitlines() if "││" in line]
            assert any(f"{screen.current}  " in part and "events" in part for part in profile), profile

    run(scenario())


def test_below_60_columns_the_customers_list_leaves_a_count_out_of_view_not_cut(
    shop_store: Store, tmp_path: Path
) -> None:
    """At 59 columns the list's edge cut a customer's 12 sessions to '1', under 'session'. A
    column with no room is left out of view whole (the profile says the count), at any width."""
    from edgerec.domain import ItemViewed

    start = datetime(2026, 10, 1, 10, tzinfo=UTC)
    shop_store.record_many(
        [
            ItemViewed(
                user_id="twelve",
                session_id=f"t{n}",
                item_id="app-001",
                occurred_at=start + timedelta(hours=3 * n),
            )
            for n in range(12)
        ]
    )

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "customers")
        async with app.run_test(size=(80, 30)) as pilot:
            table = app.screen.query_one("#customers-table", DataTable)
            await until(pilot, lambda: table.row_count > 0)
            for width in range(40, 81):
                await pilot.resize_terminal(width, 30)
                await pilot.pause(0.05)
                row = next(line for line in screen_text(app).splitlines() if line.startswith("│ twelve"))
                listed = row.split("│")[1].split()
                assert listed[1:2] in ([], ["12"]), (width, row)

    run(scenario())


def _history_row_shown(store: Store, tmp_path: Path, size: tuple[int, int], marker: str) -> str:
    """The line of the Customers screen, at `size`, that holds `marker` once History has its
    one row; the store is closed after."""
    shown: list[str] = []

    async def scenario() -> None:
        app = console(store, tmp_path, "customers")
        async with app.run_test(size=size) as pilot:
            history = app.screen.query_one("#profile-history", DataTable)
            await until(pilot, lambda: history.row_count == 1)
            await pilot.pause(0.3)
            shown.append(next(line for line in screen_text(app).splitlines() if marker in line))

    try:
        run(scenario())
    finally:
        store.close()
    return shown[0]


def _one_customer_viewed(tmp_path: Path, item: ItemListed, at: datetime) -> Store:
    """A new store in which customer anna viewed `item` once, at `at`."""
    import edgerec
    from edgerec.domain import ItemViewed

    store = edgerec.open(tmp_path / "shop.db")
    store.record_many(
        [item, ItemViewed(user_id="anna", session_id="s1", item_id=item.item_id, occurred_at=at)]
    )
    return store


def test_at_80_columns_historys_item_and_category_are_cut_before_last_and_when(tmp_path: Path) -> None:
    """In the 40 cells of the profile at 80x24, History scrolled sideways: 'when' showed '10'
    of '10 months ago', read as another time, while the item kept 12 cells."""
    store = _one_customer_viewed(
        tmp_path,
        ItemListed(item_id="shoe", title="Trail Running Shoe", category="Footwear", price=90.0, stock=5),
        datetime(2025, 3, 10, 11, 0, tzinfo=UTC),
    )

    row = _history_row_shown(store, tmp_path, (80, 24), "viewed")
    assert "10 months ago" in row and "Tra" in row and "Foot" in row and "…" in row, row


def test_a_long_category_leaves_historys_other_columns_in_view(tmp_path: Path) -> None:
    """History sized its category column to the longest category, as it did its item column. Cut,
    a category keeps its most specific level (the start of it, where even that one is cut)."""
    category = "Outdoor > Hydration > Insulated Bottles, Flasks and Tumblers"
    store = _one_customer_viewed(
        tmp_path,
        ItemListed(item_id="bottle", title="Bottle", category=category, price=24.0, stock=5),
        datetime(2026, 1, 15, 11, 0, tzinfo=UTC),
    )

    row = _history_row_shown(store, tmp_path, (120, 32), "Bottle ")
    assert "Insulated Bottles…" in row and "Outdoor" not in row, row
    assert "viewed" in row and " ago" in row, row


def test_the_catalogues_category_menu_keeps_a_long_categorys_last_levels(
    shop_store: Store, tmp_path: Path
) -> None:
    """The Catalogue's category menu cut a long category at its end ("Home/Kitchen/Coffee/
    Gri…"), in the menu and once chosen: the most specific levels, which tell it from its
    neighbours, were cut away. They are kept, as on the list and the Live screen, and the
    filter is still the whole category."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for n, last in enumerate(("Burr Grinders", "Blade Grinders")):
        category = f"Home & Garden/Kitchen Appliances/Coffee Machines/{last}"
        shop_store.record(ItemListed(item_id=f"grind-{n}", title=last, category=category, occurred_at=at))

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(100, 32)) as pilot:
            select = app.screen.query_one("#catalogue-category", Select)
            burr = "Home & Garden/Kitchen Appliances/Coffee Machines/Burr Grinders"
            await until(pilot, lambda: any(value == burr for _, value in select._options), what="the menu")
            select.focus()
            await pilot.press("enter")
            await until(pilot, lambda: "…/Burr Grinders (1)" in screen_text(app), what="the menu open")
            assert "…/Blade Grinders (1)" in screen_text(app) and "Home & Garden/Kitchen" not in screen_text(
                app
            )
            await pilot.press("escape")
            select.value = burr
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: set(items.rows_by_key) == {"grind-0"}, what="the filter")
            await until(pilot, lambda: "…/Burr Grinders (1)" in screen_text(app), what="the choice shown")
            assert "Home & Garden/Kitchen" not in screen_text(app)

    run(scenario())


def test_a_long_category_shows_its_last_levels(shop_store: Store, tmp_path: Path) -> None:
    """A category too long for its column was cut at its end, "Home/Kitchen/Cof…", on the
    Catalogue list and the Live screen's categories: its most specific levels, which tell one
    category from its neighbours, were the ones cut away."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    category = "Home/Kitchen/Coffee/Grinders"
    shop_store.record(ItemListed(item_id="grind-1", title="Burr", category=category, stock=3, occurred_at=at))

    async def scenario() -> None:
        app = console(shop_store, tmp_path, "catalogue")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("slash", *"burr", "enter")
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: set(items.rows_by_key) == {"grind-1"}, what="the search")
            await until(pilot, lambda: "…/Coffee/Grinders" in screen_text(app), what="the category's end")
            assert "Home/Kitchen/C" not in screen_text(app)
            await pilot.press("f2")
            await until(pilot, lambda: "…/Grinders" in screen_text(app), what="F2's categories")
            assert "Home/Kitchen/C" not in screen_text(app)

    run(scenario())
