"""The built-in demo shop: a catalogue and a browsing history generated from a fixed seed.

The history has the skew of a real shop: a few popular items, customers with favourite
categories, items bought together, sessions of a few minutes at three kiosks.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from edgerec.api import Store
from edgerec.domain import (
    AddedToCart,
    Context,
    Event,
    ItemListed,
    ItemViewed,
    Purchased,
    RemovedFromCart,
    Searched,
    SessionEnded,
    SessionStarted,
)
from edgerec.store.codec import event_to_row
from edgerec.store.schema import events

CATEGORIES = {
    "Shoes": ["Running", "Trail", "Casual", "Boots", "Sandals"],
    "Apparel": ["T-Shirts", "Jackets", "Trousers", "Dresses", "Socks"],
    "Outdoor": ["Tents", "Backpacks", "Sleeping Bags", "Lamps"],
    "Kitchen": ["Pans", "Knives", "Coffee", "Storage"],
    "Electronics": ["Headphones", "Chargers", "Speakers", "Watches"],
    "Beauty": ["Skin Care", "Hair", "Fragrance"],
    "Home": ["Lighting", "Textiles", "Decor"],
    "Toys": ["Puzzles", "Building Sets", "Outdoor Toys"],
}
BRANDS = [
    "Northwind",
    "Alder",
    "Kestrel",
    "Lumen",
    "Marlow",
    "Orca",
    "Piccolo",
    "Quill",
    "Rowan",
    "Sable",
    "Tamsin",
    "Umber",
    "Vesper",
    "Wren",
    "Yarrow",
    "Zephyr",
]
ADJECTIVES = [
    "Classic",
    "Light",
    "Pro",
    "Everyday",
    "Compact",
    "Deluxe",
    "Eco",
    "Urban",
    "Alpine",
    "Soft",
    "Bold",
    "Mini",
    "Max",
    "Vintage",
    "Smart",
    "Fresh",
]
COLOURS = ["Black", "White", "Navy", "Red", "Green", "Grey", "Sand", "Blue"]
KIOSKS = ["kiosk-entrance", "kiosk-first-floor", "web-shop"]


@dataclass(frozen=True, slots=True)
class DemoSize:
    items: int = 2_000
    customers: int = 400
    sessions: int = 3_000


def seed_demo_store(
    store: Store, *, seed: int = 7, size: DemoSize = DemoSize(), now: datetime | None = None
) -> int:
    """Fills the store with the demo shop; returns the number of events new to its log (0 when
    the demo with this seed is there already)."""
    appended = 0
    batch: list[dict[str, Any]] = []
    for event in demo_events(seed=seed, size=size, now=now):
        batch.append(event_to_row(event))
        if len(batch) >= 5_000:
            appended += store.append_rows(batch).appended
            batch = []
    if batch:
        appended += store.append_rows(batch).appended
    return appended


def holds_demo(store: Store, *, seed: int = 7) -> bool:
    """Whether the store holds the demo shop of `seed` (its first event at least: seeding again
    records the rest of one stopped part way, and nothing where it is all there)."""
    with store.engine.connect() as connection:
        first = select(events.c.position).where(events.c.event_id == f"demo-{seed}-0")
        return connection.execute(first).first() is not None


def demo_events(
    *, seed: int = 7, size: DemoSize = DemoSize(), now: datetime | None = None
) -> Iterator[Event]:
    """The demo shop's events: first the catalogue, then the sessions in time order.

    Event ids are derived from the seed, so seeding twice records nothing the second time.
    """
    for number, event in enumerate(_shop(seed=seed, size=size, now=now)):
        yield dataclasses.replace(event, event_id=f"demo-{seed}-{number}")


def _shop(*, seed: int, size: DemoSize, now: datetime | None) -> Iterator[Event]:
    rng = random.Random(seed)
    end = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=14)
    catalogue = list(_catalogue(rng, size.items, listed_at=start - timedelta(days=1)))
    by_category: dict[str, list[ItemListed]] = {}
    for item in catalogue:
        by_category.setdefault(item.category.split("/")[0] if item.category else "", []).append(item)
    # Zipf-like popularity inside each category, and companions bought together.
    weights = {item.item_id: 1.0 / (rank % 97 + 1) ** 1.1 for rank, item in enumerate(catalogue)}
    companions = {item.item_id: [other.item_id for other in rng.sample(catalogue, 3)] for item in catalogue}
    prices = {item.item_id: item.price for item in catalogue}
    customers = [f"C{n:04d}" for n in range(1, size.customers + 1)]
    favourites = {c: rng.sample(sorted(by_category), 2) for c in customers}
    starts = sorted(
        start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds())) for _ in range(size.sessions)
    )
    history: list[Event] = []
    for number, begin in enumerate(starts):
        customer = rng.choice(customers) if rng.random() < 0.8 else f"visitor-{seed}-{number}"
        affinity = favourites.get(customer) or rng.sample(sorted(by_category), 2)
        history.extend(
            _session(rng, customer, begin, affinity, by_category, weights, companions, prices, number)
        )
    # Each item is listed with the stock its sales in the history then bring down to the one
    # drawn for it (a purchase lowers the stock): no sale of a unit the shop did not have.
    sold: Counter[str] = Counter()
    for event in history:
        if isinstance(event, Purchased):
            sold[event.item_id] += event.quantity
    for item in catalogue:
        yield dataclasses.replace(item, stock=item.stock + sold[item.item_id]) if sold[item.item_id] else item
    yield from history


def _catalogue(rng: random.Random, count: int, listed_at: datetime) -> Iterator[ItemListed]:
    categories = [(top, sub) for top, subs in CATEGORIES.items() for sub in subs]
    for n in range(count):
        top, sub = categories[n % len(categories)]
        brand = rng.choice(BRANDS)
        adjective, colour = rng.choice(ADJECTIVES), rng.choice(COLOURS)
        title = f"{brand} {adjective} {_singular(sub)} {colour}"
        price = round(rng.lognormvariate(3.3, 0.7), 2)
        yield ItemListed(
            item_id=f"SKU{n:05d}",
            occurred_at=listed_at + timedelta(seconds=n),
            title=title,
            category=f"{top}/{sub}",
            brand=brand,
            price=price,
            stock=0 if rng.random() < 0.05 else rng.randint(1, 60),
            description=f"{adjective} {sub.lower()} by {brand}, in {colour.lower()}.",
            attributes={"colour": colour},
        )


def _singular(noun: str) -> str:
    irregular = {"Knives": "Knife", "Trousers": "Trousers", "Socks": "Socks"}
    if noun in irregular:
        return irregular[noun]
    if noun.endswith(("ches", "shes", "sses", "xes")):
        return noun[:-2]
    return noun.removesuffix("s")


def _session(
    rng: random.Random,
    customer: str,
    begin: datetime,
    affinity: list[str],
    by_category: dict[str, list[ItemListed]],
    weights: dict[str, float],
    companions: dict[str, list[str]],
    prices: dict[str, float | None],
    number: int,
) -> Iterator[Event]:
    kiosk = rng.choice(KIOSKS)
    context = Context(store_id=kiosk, device="kiosk" if kiosk.startswith("kiosk") else "mobile")
    session = f"demo-{number:05d}"
    at = begin
    common = {"user_id": customer, "session_id": session, "context": context}
    yield SessionStarted(occurred_at=at, **common)
    cart: list[str] = []
    current: str | None = None
    for _ in range(rng.randint(2, 12)):
        at += timedelta(seconds=rng.randint(10, 120))
        if rng.random() < 0.08:
            category, colour = rng.choice(affinity), rng.choice(COLOURS)
            yield Searched(occurred_at=at, query=f"{category.lower()} {colour.lower()}", **common)
            # Most searches end in a click on one of the results, the popular ones more often.
            results = [item for item in by_category[category] if item.title.endswith(colour)]
            if results and rng.random() < 0.7:
                at += timedelta(seconds=rng.randint(5, 40))
                current = rng.choices(results, weights=[weights[i.item_id] for i in results])[0].item_id
                yield ItemViewed(occurred_at=at, item_id=current, **common)
            continue
        if current is not None and rng.random() < 0.35:
            current = rng.choice(companions[current])
        else:
            category = rng.choice(affinity) if rng.random() < 0.85 else rng.choice(sorted(by_category))
            pool = by_category[category]
            current = rng.choices(pool, weights=[weights[i.item_id] for i in pool])[0].item_id
        yield ItemViewed(occurred_at=at, item_id=current, **common)
        if rng.random() < 0.22 and current not in cart:
            at += timedelta(seconds=rng.randint(5, 40))
            cart.append(current)
            yield AddedToCart(occurred_at=at, item_id=current, **common)
    if cart and rng.random() < 0.2:
        at += timedelta(seconds=rng.randint(5, 30))
        yield RemovedFromCart(occurred_at=at, item_id=cart.pop(), **common)
    if cart and rng.random() < 0.6:
        for item in cart:
            at += timedelta(seconds=rng.randint(5, 30))
            yield Purchased(occurred_at=at, item_id=item, price_paid=prices[item], **common)
    yield SessionEnded(occurred_at=at + timedelta(seconds=5), **common)
