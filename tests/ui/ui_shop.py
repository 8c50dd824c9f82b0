"""A small, fully deterministic shop for the UI tests: same ids, times and events on every run."""

from __future__ import annotations

import fcntl
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import edgerec
from edgerec.api import Store
from edgerec.domain import (
    AddedToCart,
    Context,
    Event,
    ItemListed,
    ItemViewed,
    Purchased,
    SessionEnded,
    SessionStarted,
)
from edgerec.domain.events import EARLIEST
from edgerec.ui.clock import Clock

BASE = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CATEGORIES = ("Shoes", "Apparel", "Kitchen", "Outdoor")
KIOSKS = ("kiosk-entrance", "kiosk-first-floor")
ITEMS_PER_CATEGORY = 15
ADJECTIVES = ("Trail", "Soft", "Urban", "Alpine", "Classic")


@contextmanager
def another_program_writing(store: Store) -> Iterator[None]:
    """Holds the store's writer lock while the block runs, as another program's write (an
    import, a rebuild) does: the app's writes wait for it."""
    lock = os.open(f"{store.path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)


def item_id(category: str, n: int) -> str:
    return f"{category[:3].lower()}-{n:03d}"


def shop_events(seed: int = 3) -> list[Event]:
    rng = random.Random(seed)
    counter = iter(range(1, 1_000_000))
    events: list[Event] = []

    def eid() -> str:
        return f"fixture-{next(counter):06d}"

    for c, category in enumerate(CATEGORIES):
        for n in range(ITEMS_PER_CATEGORY):
            events.append(
                ItemListed(
                    event_id=eid(),
                    # Dated as a catalogue file's rows are: its stock counts the history's sales.
                    occurred_at=EARLIEST,
                    item_id=item_id(category, n),
                    title=f"{ADJECTIVES[n % 5]} {category.rstrip('s')} {n}",
                    category=category,
                    brand=["Alder", "Kestrel", "Lumen"][(n + c) % 3],
                    price=float(10 + 5 * n + c),
                    # Every seventh item is out of stock: it must never be suggested.
                    stock=0 if n % 7 == 3 else 5 + n,
                    attributes={"colour": ["Black", "Navy", "Sand"][n % 3]},
                )
            )
    at = BASE - timedelta(days=7)
    for s in range(60):
        user = f"cust-{rng.randrange(12):02d}"
        favourite = CATEGORIES[int(user[-2:]) % len(CATEGORIES)]
        session = f"fixture-s{s:03d}"
        context = Context(store_id=KIOSKS[s % 2])
        at += timedelta(minutes=rng.randrange(20, 200))
        common = {"user_id": user, "session_id": session, "context": context}
        events.append(SessionStarted(event_id=eid(), occurred_at=at, **common))
        for step in range(rng.randrange(3, 8)):
            category = favourite if rng.random() < 0.7 else rng.choice(CATEGORIES)
            n = min(int(rng.expovariate(0.25)), ITEMS_PER_CATEGORY - 1)
            item = item_id(category, n)
            at += timedelta(seconds=rng.randrange(10, 90))
            events.append(
                ItemViewed(event_id=eid(), occurred_at=at, item_id=item, category=category, **common)
            )
            if rng.random() < 0.2 and n % 7 != 3:
                at += timedelta(seconds=20)
                events.append(
                    AddedToCart(event_id=eid(), occurred_at=at, item_id=item, category=category, **common)
                )
                if rng.random() < 0.5:
                    at += timedelta(seconds=40)
                    events.append(
                        Purchased(
                            event_id=eid(),
                            occurred_at=at,
                            item_id=item,
                            price_paid=20.0,
                            category=category,
                            **common,
                        )
                    )
            del step
        events.append(SessionEnded(event_id=eid(), occurred_at=at + timedelta(seconds=30), **common))
    return events


class HandClock(Clock):
    """The machine's clock as a console or kiosk reads it, moved on by hand (hours pass in a
    moment): it ticks only when `at` is set."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def make_shop(path: Path | str, seed: int = 3) -> Store:
    """A new store at `path` (a file, or a database URL) holding the fixture shop."""
    store = edgerec.open(path)
    store.record_many(shop_events(seed))
    return store


def events_only_store(path: Path) -> Store:
    """A store imported from a Taobao UserBehavior file (user, item, category, behaviour, time):
    its items known only from the log, no catalogue listing any."""
    from edgerec.ingest import import_file

    rows = []
    for n in range(40):
        user, item = 100 + n % 7, 2333340 + n % 9
        behaviour = ("pv", "pv", "cart", "buy", "fav")[n % 5]
        rows.append(f"{user},{item},{4000 + item % 3},{behaviour},{1511658000 + 60 * n}")
    source = path.parent / "UserBehavior.csv"
    source.write_text("\n".join(rows) + "\n")
    store = edgerec.open(path)
    import_file(store, source)
    return store


def screen_text(app: object) -> str:
    """What the terminal shows now, as plain text lines."""
    strips = app.screen._compositor.render_strips()  # type: ignore[attr-defined]
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def until(
    pilot: Any, condition: Callable[[], bool], *, timeout: float = 40.0, what: str = "condition"
) -> None:
    """Lets the app run until `condition()` holds; fails after `timeout` seconds."""
    waited = 0.0
    while not condition():
        assert waited < timeout, f"{what}: not met in {timeout} s"
        await pilot.pause(0.02)
        waited += 0.02
