"""Kiosk mode: tiles follow taps, no admin keys, and an idle reset ends the session."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

import edgerec
from edgerec.api import Store
from edgerec.domain import EventError
from edgerec.ui.app import ConsoleApp
from edgerec.ui.clock import FixedClock
from edgerec.ui.kiosk import KioskApp, KioskScreen, Tile
from tests.ui.ui_shop import HandClock, another_program_writing, events_only_store, screen_text, until


@contextlib.asynccontextmanager
async def _kiosk_with_tiles(
    store: Store, tmp_path: Path, tiles: int, *, seed: int = 2
) -> AsyncIterator[tuple[KioskApp, Pilot, KioskScreen]]:
    """A kiosk on `store`, once it shows its first list of at least `tiles` tiles."""
    app = KioskApp(store, idle_seconds=600, seed=seed, clock=FixedClock(), log_path=tmp_path / "ui.log")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, KioskScreen)
        await until(pilot, lambda: screen.tiles_shown >= 1 and len(screen.tiles) >= tiles, what="tiles")
        yield app, pilot, screen


async def _tap_a_tile(pilot: Pilot, screen: KioskScreen) -> None:
    """Taps the first tile, and waits for the list ranked after it."""
    shown = screen.tiles_shown
    await pilot.click(Tile)
    await until(pilot, lambda: screen.tiles_shown > shown, what="tiles after a tap")


def test_kiosk_taps_basket_and_idle_reset(shop_store: Store, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = KioskApp(
            shop_store,
            store_id="kiosk-entrance",
            idle_seconds=600,
            seed=2,
            clock=FixedClock(),
            log_path=tmp_path / "ui.log",
        )
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, KioskScreen)
            await until(pilot, lambda: screen.tiles_shown >= 1 and len(screen.tiles) > 0, what="tiles")
            first_visitor = screen.session.user_id if screen.session else None
            head = shop_store.head()

            before = [t.suggestion.item_id for t in screen.tiles]
            shown = screen.tiles_shown
            await pilot.click(Tile)  # tap the first tile
            await until(pilot, lambda: screen.tiles_shown > shown, what="tiles after a tap")
            tapped = screen.open_item
            assert tapped is not None and tapped.item_id == before[0]
            # the tapped item is on screen: not suggested beside itself
            assert tapped.item_id not in {t.suggestion.item_id for t in screen.tiles}
            shown = screen.tiles_shown
            await pilot.click("#kiosk-add")
            await until(pilot, lambda: screen.tiles_shown > shown, what="tiles after adding")
            assert screen.basket == {tapped.item_id: 1}
            assert tapped.item_id not in {t.suggestion.item_id for t in screen.tiles}
            assert all(t.suggestion.reason for t in screen.tiles)
            types = [e.type for e in shop_store.read(since=head)]
            assert types == ["session_started", "item_viewed", "added_to_cart"]
            assert {e.store_id for e in shop_store.read(since=head)} == {"kiosk-entrance"}
            assert {e.device for e in shop_store.read(since=head)} == {"kiosk"}

            # Admin keys do nothing here: no screens to switch to, no command palette.
            for key in ("f2", "f4", "ctrl+p", "question_mark", "d", "delete"):
                await pilot.press(key)
            assert app.screen is screen and len(app.screen_stack) == 2

            # Left alone, the kiosk ends the session and welcomes the next shopper. (The timeout
            # is shortened only now, so that a slow machine cannot reset it mid-test.)
            screen.idle_seconds = 0.5
            await until(pilot, lambda: screen.resets == 1, what="the idle reset")
            await until(
                pilot,
                lambda: shop_store.read(since=head)[-1].type == "session_ended",
                what="the session ended in the log",
            )
            assert screen.session is not None and screen.session.user_id != first_visitor
            assert screen.basket == {} and screen.open_item is None

    asyncio.run(scenario())


def test_add_to_basket_reads_the_item_again(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item delisted or sold out after the shopper tapped its tile was still added to the
    basket: the kiosk checked it as it was at the tap. (The writer's idle look, which closes or
    redraws the open item after such a change, is turned off here: a tap may come before it.)"""
    from edgerec.domain import ItemDelisted, ItemUpdated
    from edgerec.ui.writer import SessionWriter

    monkeypatch.setattr(SessionWriter, "_refresh_while_idle", lambda _self: None)

    async def scenario() -> None:
        app = KioskApp(shop_store, idle_seconds=600, seed=2, clock=FixedClock(), log_path=tmp_path / "ui.log")
        notes: list[str] = []
        notify = app.notify
        app.notify = lambda message, **kw: (notes.append(message), notify(message, **kw))[1]  # type: ignore[method-assign]
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, KioskScreen)
            await until(pilot, lambda: screen.tiles_shown >= 1 and len(screen.tiles) > 1, what="tiles")
            now = app.services.clock.now
            for gone, said in (
                (
                    lambda i: ItemDelisted(item_id=i, occurred_at=now()),
                    "Sorry, this one is no longer available.",
                ),
                (
                    lambda i: ItemUpdated(item_id=i, stock=0, occurred_at=now()),
                    "Sorry, this one is out of stock.",
                ),
            ):
                shown = screen.tiles_shown
                await pilot.click(Tile)
                await until(pilot, lambda s=shown: screen.tiles_shown > s, what="tiles after a tap")
                assert screen.open_item is not None
                item_id = screen.open_item.item_id
                app.services.record(gone(item_id))
                head = shop_store.head()
                await pilot.click("#kiosk-add")
                await until(pilot, lambda s=said: s in notes, what="the shopper told")
                await pilot.pause(0.2)
                assert shop_store.read(since=head) == [] and item_id not in screen.basket
                await pilot.click("#kiosk-back")

    asyncio.run(scenario())


def test_add_to_basket_stops_at_the_stock(shop_store: Store, tmp_path: Path) -> None:
    """Two in stock, tapped and added three times while another program held the store (the
    tiles, not ranked again meanwhile, still showed it): all three went into the basket, which
    the kiosk never checked against the stock. The third is refused, as on the console."""

    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 1) as (app, pilot, screen):
            item_id = screen.tiles[0].suggestion.item_id
            app.services.record(ItemUpdated(item_id=item_id, stock=2, occurred_at=app.services.clock.now()))
            head = shop_store.head()
            with another_program_writing(shop_store):
                for _ in range(3):
                    await pilot.click(Tile)
                    await until(pilot, lambda: screen.open_item is not None, what="the item open")
                    await pilot.click("#kiosk-add")
                    await until(pilot, lambda: screen.open_item is None, what="the item added")
            await until(pilot, lambda: not screen.writing, what="the adds recorded")
            added = [e for e in shop_store.read(since=head) if e.type == "added_to_cart"]
            assert len(added) == 2
            await until(pilot, lambda: screen.basket == {item_id: 2}, what="the basket shown")
            said = "Sorry, only 2 of these in stock, and 2 in your basket already."
            await until(pilot, lambda: any(said == str(n.message) for n in app._notifications))

    asyncio.run(scenario())


def test_a_tile_delisted_by_another_process_is_not_opened(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An item another process delisted (`edgerec import --delist-missing`) while its tile was on
    screen opened as for sale when tapped, with its stock and 'Add to basket', and its view was
    recorded. (The writer's idle look, which ranks the tiles again after such a change, is
    turned off here: a tap may come before it.)"""
    from edgerec.domain import ItemDelisted
    from edgerec.ui.writer import SessionWriter

    monkeypatch.setattr(SessionWriter, "_refresh_while_idle", lambda _self: None)

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 2) as (app, pilot, screen):
            gone = screen.tiles[0].suggestion.item_id
            with edgerec.open(shop_store.path) as other:
                other.record(ItemDelisted(item_id=gone))
            head, shown = shop_store.head(), screen.tiles_shown
            await pilot.click(Tile)
            await until(
                pilot,
                lambda: any("no longer available" in str(n.message) for n in app._notifications),
                what="the shopper told",
            )
            await until(pilot, lambda: screen.tiles_shown > shown, what="the tiles ranked again")
            assert screen.open_item is None and not screen.query_one("#kiosk-detail").display
            assert shop_store.read(since=head) == []
            assert gone not in {t.suggestion.item_id for t in screen.tiles}

    asyncio.run(scenario())


def test_tiles_nobody_taps_follow_the_catalogue(shop_store: Store, tmp_path: Path) -> None:
    """A kiosk nobody touched kept showing an item delisted, one sold out and an old price (an
    import, the console's Catalogue screen) until the next tap: its tiles were ranked again only
    then. They are ranked again once the log brings catalogue events, and not on every tick."""
    from edgerec.domain import ItemDelisted, ItemUpdated

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 3) as (app, pilot, screen):
            await pilot.pause(1.0)  # idle ticks with nothing new: no list ranked again
            assert screen.tiles_shown == 1
            delisted, sold_out, repriced = (t.suggestion.item_id for t in screen.tiles[:3])
            head = shop_store.head()
            with edgerec.open(shop_store.path) as other:  # one commit: one change to follow
                other.record_many(
                    [
                        ItemDelisted(item_id=delisted),
                        ItemUpdated(item_id=sold_out, stock=0),
                        ItemUpdated(item_id=repriced, price=999.0),
                    ]
                )

            def prices() -> dict[str, float | None]:
                return {t.suggestion.item_id: t.suggestion.price for t in screen.tiles}

            await until(
                pilot,
                # (counted once mounted: the new tiles show a moment before they are counted)
                lambda: screen.tiles_shown > 1 and delisted not in prices() and sold_out not in prices(),
                timeout=10,
                what="the tiles ranked again without a tap",
            )
            assert prices()[repriced] == 999.0
            shown = screen.tiles_shown
            await pilot.pause(1.0)
            assert screen.tiles_shown == shown  # the catalogue stood still since
            assert shop_store.read(since=head + 3) == []  # nothing recorded: no shopper came

    asyncio.run(scenario())


def test_an_item_whose_last_unit_another_kiosk_sells_leaves_the_tiles(
    shop_store: Store, tmp_path: Path
) -> None:
    """A sale of an item's last unit, recorded by another kiosk, left the item on this one's
    tiles, "in stock", until a stock was stated again: the sale lowers the stock, and the
    tiles follow it without a tap, as they follow the catalogue's own changes."""
    from edgerec.domain import ItemUpdated, Purchased

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 3) as (_app, pilot, screen):
            last = screen.tiles[0].suggestion.item_id
            with edgerec.open(shop_store.path) as other:
                other.record(ItemUpdated(item_id=last, stock=1))
            await until(pilot, lambda: screen.tiles_shown > 1, timeout=10, what="the tiles ranked again")
            assert last in [t.suggestion.item_id for t in screen.tiles]  # one left: still for sale
            shown = screen.tiles_shown
            with edgerec.open(shop_store.path) as other:
                other.record(Purchased(user_id="at-the-other-kiosk", item_id=last))
            await until(
                pilot,
                lambda: (
                    screen.tiles_shown > shown and last not in [t.suggestion.item_id for t in screen.tiles]
                ),
                timeout=10,
                what="the item sold out leaving the tiles without a tap",
            )

    asyncio.run(scenario())


def test_tiles_ranked_again_keep_the_shoppers_focus(shop_store: Store, tmp_path: Path) -> None:
    """Tiles ranked again for a catalogue change dropped the focused tile, and focus fell to
    Start over: the shopper's next Enter started over, their basket gone."""
    from edgerec.domain import ItemUpdated

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 4) as (app, pilot, screen):
            screen.tiles[2].focus()
            await pilot.pause()
            wanted, session = screen.tiles[2].suggestion.item_id, screen.session
            shown = screen.tiles_shown
            with edgerec.open(shop_store.path) as other:
                other.record(ItemUpdated(item_id=screen.tiles[3].suggestion.item_id, price=12.34))
            await until(pilot, lambda: screen.tiles_shown > shown, timeout=10, what="the tiles ranked again")
            assert isinstance(app.focused, Tile) and app.focused.suggestion.item_id == wanted
            await pilot.press("enter")
            await until(pilot, lambda: screen.open_item is not None, what="the focused tile opened")
            assert screen.open_item.item_id == wanted and screen.session is session

    asyncio.run(scenario())


def test_a_shopper_forgotten_meanwhile_is_not_recorded_again(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forgotten by another process (`edgerec forget-user`, here another Store on the same file)
    between two taps, the kiosk's shopper was recorded again by the next tap, in a session
    whose start the forget had erased. The writer asks before recording, not only when idle
    (here its idle look is turned off)."""
    from edgerec.privacy import forget_user
    from edgerec.ui.writer import SessionWriter

    monkeypatch.setattr(SessionWriter, "_refresh_while_idle", lambda _self: None)

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 2) as (app, pilot, screen):
            await _tap_a_tile(pilot, screen)
            assert screen.session is not None
            shopper = screen.session.user_id
            assert shop_store.read(user_id=shopper)
            with edgerec.open(shop_store.path) as other:
                assert forget_user(other, shopper).found
            await pilot.click("#kiosk-back")
            await pilot.click(Tile)
            await until(pilot, lambda: screen.session.user_id != shopper, what="the next shopper")
            await pilot.pause(0.2)
            assert shop_store.read(user_id=shopper) == []

    asyncio.run(scenario())


def test_a_store_id_events_cannot_carry_is_refused_before_the_kiosk_opens(shop_store: Store) -> None:
    """Before, the kiosk opened and then stopped on its first event with an EventError."""
    for bad in ("", "a\tb", "x" * 300):
        with pytest.raises(EventError, match="context.store_id"):
            KioskApp(shop_store, store_id=bad)


def _quiet_kiosk(store: Store) -> KioskApp:
    """A kiosk that no idle reset interrupts during a test, on a fixed clock."""
    return KioskApp(store, store_id="k", idle_seconds=600, seed=1, clock=FixedClock(), log_path=None)


def test_an_empty_shop_says_so_on_the_kiosk_and_the_console(tmp_path: Path) -> None:
    """Both showed blank panes on a store with nothing in it (`edgerec tui --no-demo`)."""

    async def scenario() -> None:
        with edgerec.open(tmp_path / "empty.db") as store:
            kiosk = _quiet_kiosk(store)
            async with kiosk.run_test(size=(80, 24)) as pilot:
                screen = kiosk.screen
                assert isinstance(screen, KioskScreen)
                await until(
                    pilot, lambda: "For the operator: import the shop's catalogue" in screen_text(kiosk)
                )
                assert screen.tiles == [] and store.head() == 0
            console = ConsoleApp(store, start="home", seed=1, clock=FixedClock(), log_path=None)
            async with console.run_test(size=(100, 24)) as pilot:
                await until(pilot, lambda: "An empty store: import a file (F7)" in screen_text(console))

    asyncio.run(scenario())


def test_a_kiosk_opened_on_an_empty_shop_shows_the_catalogue_imported_after(tmp_path: Path) -> None:
    """It said 'No items yet' after the catalogue was imported, as it asks, until a shopper
    tapped Start over; later, until its idle time (a minute by default) had passed."""
    from edgerec.domain import ItemListed

    async def scenario() -> None:
        with edgerec.open(tmp_path / "empty.db") as store:
            kiosk = _quiet_kiosk(store)
            async with kiosk.run_test(size=(80, 24)) as pilot:
                screen = kiosk.screen
                assert isinstance(screen, KioskScreen)
                await until(pilot, lambda: "import the shop's catalogue" in screen_text(kiosk))
                with edgerec.open(tmp_path / "empty.db") as other:  # `edgerec import` elsewhere
                    other.record_many(
                        [
                            ItemListed(item_id=f"sku-{i}", title=f"Item {i}", price=5.0, stock=3)
                            for i in range(6)
                        ]
                    )
                await until(pilot, lambda: len(screen.tiles) > 0, what="tiles without a tap")
                assert "import the shop's catalogue" not in screen_text(kiosk)
                assert store.read(since=6) == []  # nothing recorded for it: no shopper came

    asyncio.run(scenario())


def test_a_store_of_events_only_asks_the_operator_for_a_catalogue_on_the_kiosk(tmp_path: Path) -> None:
    """On a store whose items are known only from its log (Taobao's UserBehavior imported) the
    kiosk said "Nothing to show right now.", as it does with everything sold out, and its log
    warned of each item the recommender ranked, at every idle tick; it asks for a catalogue, as
    on an empty store, and shows the catalogue imported after."""
    from edgerec.domain import ItemListed

    async def scenario() -> None:
        with events_only_store(tmp_path / "taobao.db") as store:
            head = store.head()
            kiosk = KioskApp(
                store, store_id="k", idle_seconds=2, seed=1, clock=FixedClock(), log_path=tmp_path / "ui.log"
            )
            async with kiosk.run_test(size=(80, 24)) as pilot:
                screen = kiosk.screen
                assert isinstance(screen, KioskScreen)
                await until(pilot, lambda: screen.tiles_shown >= 3, what="three idle ticks")
                shown = " ".join(screen_text(kiosk).split())  # as wrapped on the screen
                assert "For the operator: import the shop's catalogue" in shown
                assert "known only from its log" in shown and "Nothing to show" not in shown
                assert screen.tiles == [] and store.head() == head
                with edgerec.open(tmp_path / "taobao.db") as other:  # `edgerec import` elsewhere
                    other.record(ItemListed(item_id="2333340", title="Listed One", price=5.0, stock=3))
                await until(pilot, lambda: len(screen.tiles) > 0, what="tiles without a tap")
                assert [t.suggestion.title for t in screen.tiles] == ["Listed One"]
        assert "suggested excluded item" not in (tmp_path / "ui.log").read_text()

    asyncio.run(scenario())


def test_a_long_title_leaves_its_price_in_view(tmp_path: Path) -> None:
    """A title that wrapped over the tile's height pushed the price, and the reason, out of it."""
    from edgerec.domain import ItemListed

    long_title = "Peter England Men Party Blue Slim Fit Stretch Denim Jeans With Five Pockets " * 3

    async def scenario() -> None:
        with edgerec.open(tmp_path / "long.db") as store:
            store.record_many(
                [
                    ItemListed(
                        item_id=f"i{n}", title=f"{n} {long_title}", category="Jeans", price=1000 + n, stock=5
                    )
                    for n in range(6)
                ]
            )
            kiosk = _quiet_kiosk(store)
            async with kiosk.run_test(size=(80, 24)) as pilot:
                screen = kiosk.screen
                assert isinstance(screen, KioskScreen)
                await until(pilot, lambda: len(screen.tiles) == 6, what="tiles")
                prices = [f"{1000 + n:,}" for n in range(6)]
                await until(
                    pilot,
                    lambda: all(price in screen_text(kiosk) for price in prices),
                    what="every price on the screen",
                )
                assert "…" in screen_text(kiosk)

    asyncio.run(scenario())


def test_tiles_nobody_taps_follow_the_shops_hour(shop_store: Store, tmp_path: Path) -> None:
    """A kiosk left alone kept its popular-this-hour tiles, and their reason, from when it last
    ranked: "Popular at this kiosk around 10:00" at 16:00. They are ranked again once the shop's
    hour turns, once, and not on every tick in between."""

    async def scenario() -> None:
        # (in UTC the fixture shop has this kiosk's popular items at 10:00 and at 16:00)
        clock = HandClock(datetime(2026, 1, 15, 10, 5, tzinfo=UTC))
        app = KioskApp(
            shop_store,
            store_id="kiosk-entrance",
            idle_seconds=600,
            seed=2,
            clock=clock,
            log_path=tmp_path / "ui.log",
        )
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, KioskScreen)
            await until(pilot, lambda: screen.tiles_shown >= 1 and len(screen.tiles) > 0, what="tiles")
            head, suggester = shop_store.head(), app.services.suggester
            hourly = {t.suggestion.reason for t in screen.tiles if " around " in t.suggestion.reason}
            await pilot.pause(1.0)  # idle ticks within the hour: no list ranked again
            assert screen.tiles_shown == 1
            clock.at += timedelta(hours=6)
            await until(pilot, lambda: screen.tiles_shown == 2, timeout=10, what="the tiles ranked again")
            await pilot.pause(1.0)
            assert screen.tiles_shown == 2  # the hour stood still since
            assert screen.session is not None
            now = suggester.recommend(
                screen.session.user_id,
                session_id=screen.session.session_id,
                k=6,
                context=screen.session.context,
            )
            assert [t.suggestion for t in screen.tiles] == now
            assert not hourly & {t.suggestion.reason for t in screen.tiles}
            assert shop_store.read(since=head) == []  # nothing recorded: no shopper came

    asyncio.run(scenario())


def test_tiles_nobody_taps_follow_the_shops_rules_and_blend(shop_store: Store, tmp_path: Path) -> None:
    """An item the shop banned (`edgerec rules set` with exclude_items, a recalled one) stayed on
    the kiosk's tiles for as long as nobody tapped, and a newly tuned blend showed only at the
    next tap: only catalogue changes ranked them again. Rules and blend changes do too."""
    from click.testing import CliRunner

    from edgerec.cli import main

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 3) as (app, pilot, screen):
            banned = screen.tiles[0].suggestion.item_id
            rules = tmp_path / "rules.toml"
            rules.write_text(f'exclude_items = ["{banned}"]\n')
            result = CliRunner().invoke(main, ["--db", str(shop_store.path), "rules", "set", str(rules)])
            assert result.exit_code == 0, result.output
            await until(
                pilot,
                lambda: screen.tiles_shown > 1 and banned not in {t.suggestion.item_id for t in screen.tiles},
                timeout=10,
                what="the banned item gone without a tap",
            )
            await pilot.pause(1.0)
            shown = screen.tiles_shown
            assert shown == 2  # the rules stood still since
            app.services.suggester.use_weights({"popularity.global": 3.0})  # the Trainer's Tune blend
            await until(pilot, lambda: screen.tiles_shown > shown, timeout=10, what="the new blend shown")

    asyncio.run(scenario())


def test_the_open_item_follows_the_catalogue(shop_store: Store, tmp_path: Path) -> None:
    """The open item kept its old price and stock, with "Add to basket", after another process
    repriced it and sold it out, while the tiles beside it followed. It is drawn again, and
    closed once delisted."""
    from edgerec.domain import ItemDelisted, ItemUpdated

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 2) as (app, pilot, screen):
            await _tap_a_tile(pilot, screen)
            assert screen.open_item is not None
            item_id = screen.open_item.item_id

            def detail() -> str:
                return str(screen.query_one("#kiosk-item").render())

            for change, said in (
                (ItemUpdated(item_id=item_id, price=999.0, stock=0), "999.00 · out of stock"),
                (ItemUpdated(item_id=item_id, stock=4), "999.00 · 4 in stock"),
            ):
                shown = screen.tiles_shown
                with edgerec.open(shop_store.path) as other:
                    other.record(change)
                await until(pilot, lambda s=said: s in detail(), timeout=10, what=said)  # type: ignore[misc]
                await until(pilot, lambda s=shown: screen.tiles_shown > s, what="the tiles ranked again")  # type: ignore[misc]
                assert screen.query_one("#kiosk-detail").display
            shown = screen.tiles_shown
            with edgerec.open(shop_store.path) as other:
                other.record(ItemDelisted(item_id=item_id))
            await until(pilot, lambda: screen.open_item is None, timeout=10, what="the item closed")
            await until(pilot, lambda: screen.tiles_shown > shown, what="the tiles ranked again")
            assert not screen.query_one("#kiosk-detail").display
            assert any("no longer available" in str(n.message) for n in app._notifications)

    asyncio.run(scenario())


def _set_rules(store: Store, tmp_path: Path, text: str) -> None:
    """`edgerec rules set` with these rules, as the shop would run it beside the kiosk."""
    from click.testing import CliRunner

    from edgerec.cli import main

    rules = tmp_path / "rules.toml"
    rules.write_text(text)
    result = CliRunner().invoke(main, ["--db", str(store.path), "rules", "set", str(rules)])
    assert result.exit_code == 0, result.output


def test_an_open_item_the_shop_bans_is_closed(shop_store: Store, tmp_path: Path) -> None:
    """An item open on the kiosk stayed open, with Add to basket, after the shop banned it
    (`edgerec rules set` with exclude_items, a recalled one), while the tiles beside it left it
    out. It is closed with "no longer available", as a delisted one is."""

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 2) as (app, pilot, screen):
            await _tap_a_tile(pilot, screen)
            assert screen.open_item is not None
            banned, shown, head = screen.open_item.item_id, screen.tiles_shown, shop_store.head()
            _set_rules(shop_store, tmp_path, f'exclude_items = ["{banned}"]\n')
            await until(pilot, lambda: screen.open_item is None, timeout=10, what="the item closed")
            assert not screen.query_one("#kiosk-detail").display
            await until(
                pilot,
                lambda: any("no longer available" in str(n.message) for n in app._notifications),
                what="the shopper told",
            )
            await until(pilot, lambda: screen.tiles_shown > shown, what="the tiles ranked again")
            assert banned not in {t.suggestion.item_id for t in screen.tiles}
            assert shop_store.read(since=head) == []

    asyncio.run(scenario())


def test_an_item_the_shop_banned_is_neither_opened_nor_added(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Add to basket and a tap checked stock only, not the shop's rules: a shopper added an item
    banned a moment before (a recall), or opened and viewed one from a tile not ranked again
    yet. Both are refused, "no longer available", for a ban by item or by category (in any
    case). (The writer's idle look, which closes the item and ranks the tiles again after such
    a change, is turned off here: a tap may come before it.)"""
    from edgerec.ui.writer import SessionWriter

    monkeypatch.setattr(SessionWriter, "_refresh_while_idle", lambda _self: None)

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 2) as (app, pilot, screen):
            await _tap_a_tile(pilot, screen)
            item = screen.open_item
            assert item is not None and item.category
            tile = screen.tiles[0]
            head = shop_store.head()
            _set_rules(
                shop_store,
                tmp_path,
                f'exclude_categories = ["{item.category.upper()}"]\n'
                f'exclude_items = ["{tile.suggestion.item_id}"]\n',
            )

            def told() -> int:
                return sum("no longer available" in str(n.message) for n in app._notifications)

            await pilot.click(tile)
            await until(pilot, lambda: told() == 1, what="the tap refused")
            assert screen.open_item == item  # the item open stays as it was until Add
            await pilot.click("#kiosk-add")
            await until(pilot, lambda: told() == 2, what="the add refused")
            assert screen.open_item is None and not screen.query_one("#kiosk-detail").display
            await until(pilot, lambda: screen.jobs.empty() and not screen.writing, what="the writer idle")
            assert shop_store.read(since=head) == [] and screen.basket == {}

    asyncio.run(scenario())


def test_a_store_file_deleted_under_the_kiosk_is_said_as_it_quits(
    shop_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store's file deleted (with its -wal and -shm) while the kiosk had it open: the end of
    the shopper's session, recorded as the kiosk quit, went into the deleted file, lost, and
    the kiosk said nothing. It is refused, and said as the kiosk exits."""
    path = Path(str(shop_store.path))

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 2) as (_app, pilot, screen):
            await _tap_a_tile(pilot, screen)
            assert screen.started
            for file in [path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))]:
                file.unlink(missing_ok=True)
            await pilot.press("ctrl+q")

    asyncio.run(scenario())
    said = " ".join(capsys.readouterr().err.split())
    lost = "the end of the last shopper's session was not recorded: could not write to the store"
    assert f"{lost}: the database file {path} was deleted or replaced while open" in said
    assert not path.exists()


def test_quitting_mid_visit_ends_the_shoppers_session(shop_store: Store, tmp_path: Path) -> None:
    """ctrl+q mid-visit left the shopper's session open in the store for good. The quit ends it
    as the idle reset does, once (a session the reset ended is not ended again), and, while
    another program holds the store, the kiosk still closes at once and records it after."""
    import fcntl
    import os

    async def visit(pilot: Pilot[None], screen: KioskScreen) -> str:
        await until(pilot, lambda: screen.jobs.empty() and len(screen.tiles) > 0, what="the tiles settled")
        shown = screen.tiles_shown
        for _ in range(100):  # a tap on tiles being swapped (the next shopper's) lands on none
            await pilot.click(Tile)
            await pilot.pause(0.1)
            if screen.open_item is not None:
                break
        await until(pilot, lambda: screen.tiles_shown > shown, what="tiles after a tap")
        assert screen.session is not None
        return screen.session.session_id

    def ends(session_id: str) -> list[str]:
        return [e.type for e in shop_store.read(since=head) if e.session_id == session_id]

    head = shop_store.head()

    async def scenario() -> list[str]:
        async with _kiosk_with_tiles(shop_store, tmp_path, 2) as (app, pilot, screen):
            first = await visit(pilot, screen)
            screen.idle_seconds = 0.5
            await until(pilot, lambda: screen.resets == 1, what="the idle reset")
            screen.idle_seconds = 600
            await until(pilot, lambda: ends(first)[-1:] == ["session_ended"], what="the first session ended")
            second = await visit(pilot, screen)
            await pilot.press("ctrl+q")
        return [first, second]

    first, second = asyncio.run(scenario())
    assert ends(first) == ["session_started", "item_viewed", "session_ended"]
    assert ends(second) == ["session_started", "item_viewed", "session_ended"]

    async def busy() -> str:
        lock = os.open(str(shop_store.path) + "-writer.lock", os.O_RDWR)
        try:
            # (another seed: the same one would make the same visitor, and event ids met again)
            async with _kiosk_with_tiles(shop_store, tmp_path, 2, seed=3) as (app, pilot, screen):
                session = await visit(pilot, screen)
                fcntl.flock(lock, fcntl.LOCK_EX)  # another program's long write (a rebuild)
                started = time.monotonic()
                await pilot.press("ctrl+q")
            assert time.monotonic() - started < 8  # closed, the end not recorded yet
            assert ends(session)[-1] == "item_viewed"
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
        return session

    session = asyncio.run(busy())  # done once the writer is: it records the end after the lock
    assert ends(session) == ["session_started", "item_viewed", "session_ended"]


def test_an_item_without_a_price_or_a_brand_shows_no_stray_separators(
    shop_store: Store, tmp_path: Path
) -> None:
    """The kiosk's open item read "Kitchen · " above its stock for an item with no brand, and
    " · 3 in stock" with no price: the facts absent left their separators behind."""
    from edgerec.domain import ItemListed

    shop_store.record(ItemListed(item_id="plain-1", title="Plainmug", category="Kitchen", stock=3))

    async def scenario() -> None:
        async with _kiosk_with_tiles(shop_store, tmp_path, 1) as (app, pilot, screen):
            item = app.services.shop.item("plain-1")
            assert item is not None
            screen._show_item(item)  # as a tap on its tile opens it
            await pilot.pause()
            lines = str(screen.query_one("#kiosk-item").render()).splitlines()
            assert lines == ["Plainmug", "Kitchen", "3 in stock"]

    asyncio.run(scenario())


def test_the_tiles_time_phrases_follow_the_clock_without_ranking_again(
    shop_store: Store, tmp_path: Path
) -> None:
    """A tile said "which you viewed just now" for as long as nobody tapped again (up to an hour,
    until the shop's hour turned). It is said again as time passes; the tiles are not ranked
    again for it."""

    async def scenario() -> None:
        clock = HandClock(datetime(2026, 1, 15, 10, 5, tzinfo=UTC))
        app = KioskApp(
            shop_store, store_id="kiosk-entrance", idle_seconds=600, seed=2, clock=clock, log_path=None
        )
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, KioskScreen)
            await until(pilot, lambda: screen.tiles_shown >= 1 and len(screen.tiles) > 1, what="tiles")
            await _tap_a_tile(pilot, screen)  # a view: the tiles' reasons cite it "just now"
            reasons = [t.suggestion.reason for t in screen.tiles]
            assert any("just now" in r for r in reasons), reasons
            shown = screen.tiles_shown
            clock.at += timedelta(minutes=5)
            await until(
                pilot,
                lambda: any("5 minutes ago" in str(t.render()) for t in screen.tiles),
                timeout=5,
                what="the time phrases said again",
            )
            assert not any("just now" in t.suggestion.reason for t in screen.tiles)
            assert screen.tiles_shown == shown  # not ranked again

    asyncio.run(scenario())
