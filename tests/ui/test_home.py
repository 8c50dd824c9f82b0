"""The first screen against a real database file: catalogue, live event tail, help, theme, errors."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from textual.widgets import DataTable

import edgerec
from edgerec.api import Store
from edgerec.domain import ItemDelisted, ItemListed, ItemViewed
from edgerec.recommend import Recommender
from edgerec.recommend.trained import SNAPSHOT_FILE
from edgerec.training.files import model_dir
from edgerec.ui.app import ConsoleApp
from edgerec.ui.screens.help import HelpScreen
from edgerec.ui.widgets.tables import EventTail, ItemTable
from tests.ui.ui_shop import events_only_store, screen_text, until


def test_home_lists_catalogue_and_tails_the_log(shop_store: Store, tmp_path: Path) -> None:
    asyncio.run(_home(shop_store, tmp_path))


async def _home(shop_store: Store, tmp_path: Path) -> None:
    app = ConsoleApp(shop_store, log_path=tmp_path / "console.log")
    async with app.run_test(size=(80, 24)) as pilot:
        items = app.screen.query_one(ItemTable)
        tail = app.screen.query_one(EventTail)
        await until(pilot, lambda: items.row_count > 0 and tail.row_count > 0)
        assert items.row_count == 60  # every listed item, out-of-stock ones included
        await until(pilot, lambda: "60 items listed" in screen_text(app), what="the listed count")
        shop_store.record(ItemDelisted(item_id="sho-002"))
        await pilot.press("r")
        await until(pilot, lambda: "59 items listed" in screen_text(app), what="a delisted item uncounted")
        await until(
            pilot,
            lambda: all(part in screen_text(app) for part in ("Catalogue", "Event log", "F7 Import")),
            what="both panes and the whole navigation bar (80 columns)",
        )

        head = shop_store.head()
        shop_store.record(ItemViewed(user_id="cust-99", item_id="sho-001"))
        await until(pilot, lambda: tail.last_position == head + 1)
        await until(pilot, lambda: "cust-99" in screen_text(app), what="the new event on screen")

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await until(pilot, lambda: "Refresh" in screen_text(app), what="the screen's keys in the help")
        # Each screen's key once, with what the screen is for (it was listed twice: f1 Home too).
        help_table = app.screen.query_one(DataTable)
        rows = {str(key): str(does) for key, does in map(help_table.get_row_at, range(help_table.row_count))}
        keys = [key.lower() for key in rows]
        assert len(keys) == len(set(keys)), keys
        assert rows["F1"].startswith("Home: The catalogue"), rows
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert not app.current_theme.dark


def test_home_on_a_store_of_events_only_says_what_its_log_knows(tmp_path: Path) -> None:
    """Taobao's UserBehavior imported (no catalogue), Home said "0 items listed" above an empty
    catalogue pane, where the Live screen offers the items known from the log: it says none is
    listed and how many the log knows, and shows them, until the shop lists one."""

    async def scenario() -> None:
        with events_only_store(tmp_path / "taobao.db") as store:
            app = ConsoleApp(store, log_path=tmp_path / "console.log")
            async with app.run_test(size=(160, 24)) as pilot:
                items = app.screen.query_one(ItemTable)
                await until(pilot, lambda: items.row_count == 9, what="the 9 items the log names")
                assert {item.status for item in items.rows_by_key.values()} == {"seen"}
                await until(
                    pilot,
                    lambda: "no items listed; 9 known from the log · 7 customers" in screen_text(app),
                    what="the counts",
                )
                assert "Items known from the log" in screen_text(app)
                store.record(ItemListed(item_id="2333340", title="Listed One", category="4000", stock=3))
                await pilot.press("r")
                await until(pilot, lambda: list(items.rows_by_key) == ["2333340"], what="the listed item")
                await until(pilot, lambda: "1 items listed · 7 customers" in screen_text(app))
                assert "known from the log" not in screen_text(app)
                assert "Catalogue (most popular first)" in screen_text(app)

    asyncio.run(scenario())


def test_a_forgotten_customers_events_leave_the_live_tails(shop_store: Store, tmp_path: Path) -> None:
    """A customer forgotten (here by another process, as `edgerec forget-user`; the Customers
    screen's forget moves the same count) kept their erased events on Home's live tail and the
    Events screen, which only ever appended."""
    from edgerec.privacy import forget_user

    async def scenario() -> None:
        app = ConsoleApp(shop_store, log_path=tmp_path / "console.log")
        async with app.run_test(size=(140, 30)) as pilot:
            home = app.screen.query_one(EventTail)
            await until(pilot, lambda: home.row_count > 0)
            await pilot.press("f4")
            events = app.screen.query_one(EventTail)
            await until(pilot, lambda: events.row_count > 0)
            tails = (home, events)
            assert all("cust-04" in _users(tail) for tail in tails)  # the newest events are theirs
            with edgerec.open(shop_store.path) as other:
                assert forget_user(other, "cust-04").found
            await until(pilot, lambda: all("cust-04" not in _users(tail) for tail in tails), what="rows gone")
            assert all(tail.row_count > 0 for tail in tails)
            assert "cust-04" not in screen_text(app)

    asyncio.run(scenario())


def test_the_live_tail_jumps_to_the_newest_events_after_a_large_import(
    shop_store: Store, tmp_path: Path
) -> None:
    """Another process imported many events: the tail read them 2,000 a poll, oldest first,
    and showed minutes-old events as live (a million-event import: about 8 minutes)."""

    async def scenario() -> None:
        app = ConsoleApp(shop_store, log_path=tmp_path / "console.log")
        async with app.run_test(size=(140, 30)) as pilot:
            tail = app.screen.query_one(EventTail)
            await until(pilot, lambda: tail.row_count > 0)
            with edgerec.open(shop_store.path) as other:
                other.record_many([ItemViewed(user_id=f"u{i % 50}", item_id="sho-001") for i in range(6_000)])
            head = shop_store.head()
            await until(pilot, lambda: tail.last_position == head, what="the newest event on the tail")
            assert tail.shown <= tail.keep  # it jumped: it did not read its way through them all

    asyncio.run(scenario())


def _users(tail: EventTail) -> set[str]:
    return {str(tail.get_row_at(row)[2 if tail.compact else 3]) for row in range(tail.row_count)}


def test_errors_become_notifications_not_crashes(shop_store: Store, tmp_path: Path) -> None:
    asyncio.run(_errors(shop_store, tmp_path))


async def _errors(shop_store: Store, tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    app = ConsoleApp(shop_store, log_path=log)
    async with app.run_test(size=(80, 24)) as pilot:

        def broken(*_args: object, **_kwargs: object) -> object:
            raise RuntimeError("disk on fire")

        shop_store.stats = broken  # type: ignore[method-assign]
        await pilot.press("r")
        await until(pilot, lambda: any("disk on fire" in str(n.message) for n in app._notifications))
        assert app.is_running
    assert "disk on fire" in log.read_text()


def test_a_damaged_store_file_is_said_to_the_operator_in_one_line(shop_store: Store, tmp_path: Path) -> None:
    """SQLite's 'database disk image is malformed' was notified as 'DatabaseError: ...', with its
    SQL, and nothing of what to do."""
    import edgerec

    damaged = tmp_path / "damaged.db"
    with edgerec.open(damaged) as store:
        store.record_many([ItemViewed(user_id=f"u{n}", item_id=f"i{n}" * 50) for n in range(2000)])
    with damaged.open("r+b") as file:
        file.seek(8 * 4096)
        file.write(b"\xa5" * (damaged.stat().st_size - 8 * 4096))
    with pytest.raises(Exception) as raised, edgerec.open(damaged) as store:  # noqa: PT011 - SQLite's own
        store.stats()

    async def scenario() -> None:
        app = ConsoleApp(shop_store, log_path=tmp_path / "console.log")
        async with app.run_test(size=(80, 24)) as pilot:

            def broken(*_args: object, **_kwargs: object) -> object:
                raise raised.value

            shop_store.stats = broken  # type: ignore[method-assign]
            await pilot.press("r")
            await until(pilot, lambda: any("damaged" in str(n.message) for n in app._notifications))
            said = next(str(n.message) for n in app._notifications if "damaged" in str(n.message))
            assert said.startswith("The store's file is damaged (database disk image is malformed)")
            assert "restore it from a backup" in said and "SELECT" not in said
            assert app.is_running

    asyncio.run(scenario())


def test_a_log_file_that_cannot_be_written_is_said_and_the_console_runs(
    shop_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, a log path under a file (EDGEREC_UI_LOG, say) stopped the console with a traceback."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    async def scenario() -> None:
        app = ConsoleApp(shop_store, log_path=blocker / "console.log")
        assert app.log_path is None
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            assert app.is_running

    asyncio.run(scenario())
    assert "no log file" in capsys.readouterr().err


def test_warnings_from_below_the_console_reach_its_log_file(shop_store: Store, tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    ConsoleApp(shop_store, log_path=log)
    folder = model_dir(shop_store.path)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SNAPSHOT_FILE).write_bytes(b"not a snapshot")
    Recommender(shop_store)  # what the console's live screen opens
    assert "snapshot.npz cannot be loaded safely" in log.read_text()


def test_the_log_file_is_private_as_the_store_is(tmp_path: Path) -> None:
    """The console's log, which names customers in the errors it records, was made 0644 in a
    0755 folder (after each rotation too), where the store's files are 0600 in a 0700 folder."""
    import logging
    import os
    import stat

    from edgerec.ui.errors import setup_logging

    log = tmp_path / "state" / "log" / "console.log"
    previous = os.umask(0o022)
    try:
        assert setup_logging(log) == log
    finally:
        os.umask(previous)
    package = logging.getLogger("edgerec")
    handler = next(h for h in package.handlers if getattr(h, "baseFilename", None) == str(log))
    try:
        logging.getLogger("edgerec.ui").warning("customer C0001 not recorded")
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
        handler.doRollover()  # type: ignore[attr-defined]
        logging.getLogger("edgerec.ui").warning("customer C0002 not recorded")
        for file in (log, log.with_name("console.log.1")):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    finally:
        package.removeHandler(handler)
        handler.close()


def test_closing_the_console_logs_no_error(shop_store: Store, tmp_path: Path) -> None:
    log = tmp_path / "console.log"

    async def visit_live_then_close() -> None:
        app = ConsoleApp(shop_store, log_path=log)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("f2")
            await pilot.pause(0.5)  # the live screen's writer refreshes while idle
        await asyncio.sleep(1.0)  # its thread's next idle turn comes after the app has gone

    asyncio.run(visit_live_then_close())
    assert "refreshing the recommender failed" not in (log.read_text() if log.exists() else "")


def _item_list_shown(store: Store, start: str, size: tuple[int, int], *, rows: int, log: Path) -> str:
    """The screen `start` at `size`, once its item list shows `rows` rows; the store is closed."""

    async def look() -> str:
        app = ConsoleApp(store, start=start, log_path=log)
        async with app.run_test(size=size) as pilot:
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: items.row_count >= rows)
            await pilot.pause(0.3)
            return screen_text(app)

    try:
        return asyncio.run(look())
    finally:
        store.close()


@pytest.mark.parametrize(
    ("start", "size"), [("home", (80, 24)), ("live", (80, 24)), ("catalogue", (200, 30))]
)
def test_item_lists_show_prices_and_stock_whole_and_titles_as_wide_as_the_pane_allows(
    tmp_path: Path, start: str, size: tuple[int, int]
) -> None:
    """A price cut to its first cells read as another price (1,234,56 for 1,234,567.89)."""
    store = edgerec.open(tmp_path / "shop.db")
    store.record_many(
        [
            ItemListed(item_id="tv", title="OLED TV 65in", category="TV", price=1234567.89, stock=123456),
            ItemListed(item_id="bike", title="City bike", category="Bikes", price=1299.0, stock=0),
            ItemListed(item_id="old", title="Gone", category="Bikes", price=9.5, stock=1),
            ItemDelisted(item_id="old"),
            ItemListed(item_id="s", title="Organic Cotton Crew Neck T-Shirt, Small", price=19.0, stock=3),
        ]
    )
    shown = _item_list_shown(store, start, size, rows=3, log=tmp_path / "console.log")
    bike = next(line for line in shown.splitlines() if "City bike" in line)
    assert "1,299.00" in bike and "out" in bike, shown
    tv = next(line for line in shown.splitlines() if "OLED TV" in line)
    assert "1,234,567.89" in tv and "123456" in tv, shown
    if start == "catalogue":  # a wide table: the whole title, and a delisted item's whole status
        assert "Crew Neck T-Shirt, Small" in shown and "delisted" in shown, shown


@pytest.mark.parametrize("start", ["home", "live"])
def test_below_80_columns_the_title_gives_way_before_a_price_is_cut(tmp_path: Path, start: str) -> None:
    """At 60 columns the title kept 8 cells and the table ran past the pane, whose edge cut the
    price to '1,234,' (read as 1,234) on Live and the stock to '1234' on Home."""
    store = edgerec.open(tmp_path / "shop.db")
    store.record(ItemListed(item_id="tv", title="OLED TV", category="TV", price=1234567.89, stock=123456))
    shown = _item_list_shown(store, start, (60, 20), rows=1, log=tmp_path / "console.log")
    tv = next(part for line in shown.splitlines() for part in line.split("│") if "1,234" in part)
    assert "1,234,567.89" in tv, shown
    if start == "home":  # Live's pane, beside the categories, has no room left for the stock
        assert "123456" in tv, shown


@pytest.mark.parametrize(("start", "widths"), [("live", range(56, 81)), ("home", range(40, 61))])
def test_a_number_with_no_room_is_left_out_not_cut(tmp_path: Path, start: str, widths: range) -> None:
    """On Live between 64 and 70 columns the pane's edge cut the stock 123456 to '1', '12', '123'..."""
    store = edgerec.open(tmp_path / "shop.db")
    store.record(ItemListed(item_id="tv", title="OLED TV", category="TV", price=1234567.89, stock=123456))

    async def look() -> dict[int, list[str]]:
        numbers: dict[int, list[str]] = {}
        app = ConsoleApp(store, start=start, log_path=tmp_path / "console.log")
        async with app.run_test(size=(widths[0], 20)) as pilot:
            items = app.screen.query_one(ItemTable)
            await until(pilot, lambda: items.row_count >= 1)
            for width in widths:
                await pilot.resize_terminal(width, 20)
                await pilot.pause(0.1)
                shown = screen_text(app)
                row = next(part for line in shown.splitlines() for part in line.split("│") if "1,234" in part)
                numbers[width] = re.findall(r"\d[\d,.]*", row)
        return numbers

    try:
        numbers = asyncio.run(look())
    finally:
        store.close()
    for width, found in numbers.items():
        assert set(found) <= {"1,234,567.89", "123456"}, (width, found)
    assert "123456" in numbers[widths[-1]], numbers  # and shown whole where it fits


def test_a_recommender_json_the_console_ignores_is_said_to_the_operator_once(
    shop_store: Store, tmp_path: Path
) -> None:
    """A shop rule put in recommender.json (exclude_categories, which goes in the rules file)
    made the whole file be ignored, its blend and policy with it, and the console served the
    shipped configuration saying so only in its log file. It says so on screen, once."""
    from edgerec.recommend.engine import shop_config_path

    path = shop_config_path(shop_store)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"exclude_categories": ["Shoes"]}\n')

    def said() -> list[str]:
        return [str(n.message) for n in app._notifications if "recommender.json" in str(n.message)]

    async def scenario() -> None:
        async with app.run_test(size=(100, 32)) as pilot:
            await until(pilot, lambda: bool(said()), what="the operator told")
            for key in ("f2", "f3", "f1"):
                await pilot.press(key)
                await pilot.pause(0.2)
            assert said() == [
                f"Ignoring {path} (unknown recommender config keys: exclude_categories; exclude_categories"
                f" is a shop rule, for the rules file {path.with_name('rules.toml')} that `edgerec rules set`"
                " writes); using the shipped configuration. Fix the file, or remove it."
            ]

    app = ConsoleApp(shop_store, log_path=tmp_path / "console.log")
    asyncio.run(scenario())


def test_a_poll_under_way_as_the_filter_changes_adds_no_rows_of_the_filter_before(
    shop_store: Store, tmp_path: Path
) -> None:
    """F4 Events filtered on a customer showed another customer's new event now and then: a poll
    of the log started under the filter before, its rows read after the new filter's, were
    appended beneath them. (A race: tried ten times, it showed about every other time.)"""
    from edgerec.ui.widgets.tables import EventFilter

    async def scenario() -> None:
        app = ConsoleApp(shop_store, start="events", log_path=tmp_path / "console.log")
        async with app.run_test(size=(120, 32)) as pilot:
            tail = app.screen.query_one(EventTail)
            for _ in range(10):
                tail.set_filter(EventFilter())
                await until(pilot, lambda: tail._ready and tail.row_count > 0, what="the whole log")
                shop_store.record(ItemViewed(user_id="someone-else", item_id="sho-001"))
                tail.poll()  # as its timer does, just before the operator's filter
                tail.set_filter(EventFilter(user_id="cust-04"))
                await until(pilot, lambda: tail._ready, what="the customer's events")
                await pilot.pause(0.3)
                users = {str(tail.get_row_at(row)[3]) for row in range(tail.row_count)}
                assert users == {"cust-04"}

    asyncio.run(scenario())
