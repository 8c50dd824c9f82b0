"""Deterministic events for the reliability harnesses, with ids that say who wrote them.

A UI-like writer records single events `<run>-ui-<n>`; an importer-like writer records
batches whose ids `<run>-bat-<b>-<k>of<size>` carry the batch and its size, so a checker can
tell from the log alone whether a batch landed whole. The same (run, index) always gives the
same event, so a retry after a crash re-sends exactly what the dead writer tried to send.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from edgerec.domain import AddedToCart, Event, ItemListed, ItemViewed, Purchased, Rated

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
USERS = [f"u{n}" for n in range(12)]
ITEMS = [f"i{n}" for n in range(30)]
MAX_BATCH = 12
_BATCH_ID = re.compile(r"^(?P<run>.+)-bat-(?P<batch>\d+)-(?P<k>\d+)of(?P<size>\d+)$")
_UI_ID = re.compile(r"^(?P<run>.+)-ui-(?P<n>\d+)$")


def _event(event_id: str, rng: random.Random, minute: float) -> Event:
    at = T0 + timedelta(minutes=minute)
    user, item = rng.choice(USERS), rng.choice(ITEMS)
    kind = rng.random()
    if kind < 0.55:
        return ItemViewed(event_id=event_id, occurred_at=at, user_id=user, item_id=item, category="c")
    if kind < 0.75:
        return AddedToCart(event_id=event_id, occurred_at=at, user_id=user, item_id=item, quantity=2)
    if kind < 0.85:
        return Purchased(event_id=event_id, occurred_at=at, user_id=user, item_id=item, price_paid=3.5)
    if kind < 0.93:
        return Rated(event_id=event_id, occurred_at=at, user_id=user, item_id=item, value=4.0)
    return ItemListed(event_id=event_id, occurred_at=at, item_id=item, title=f"t{item}", price=9.0, stock=3)


def ui_event(run: str, n: int) -> Event:
    """The n-th single event of the UI-like writer."""
    return _event(f"{run}-ui-{n}", random.Random(f"{run}/ui/{n}"), minute=n * 0.7)


def batch_size(run: str, batch: int) -> int:
    return random.Random(f"{run}/size/{batch}").randint(2, MAX_BATCH)


def batch_events(run: str, batch: int) -> list[Event]:
    """The batch-th `record_many` batch of the importer-like writer (2 to 12 events)."""
    size = batch_size(run, batch)
    rng = random.Random(f"{run}/bat/{batch}")
    return [_event(f"{run}-bat-{batch}-{k}of{size}", rng, minute=batch * 3 + k * 0.1) for k in range(size)]


@dataclass(frozen=True, slots=True)
class BatchId:
    run: str
    batch: int
    size: int


def parse_batch(event_id: str) -> BatchId | None:
    match = _BATCH_ID.match(event_id)
    if match is None:
        return None
    return BatchId(match["run"], int(match["batch"]), int(match["size"]))


def parse_ui(event_id: str) -> tuple[str, int] | None:
    match = _UI_ID.match(event_id)
    return (match["run"], int(match["n"])) if match else None


def expected_ids(run: str, ui: Iterable[int], batches: Iterable[int]) -> set[str]:
    """Every event id that the given UI indexes and batches consist of."""
    ids = {f"{run}-ui-{n}" for n in ui}
    for b in batches:
        size = batch_size(run, b)
        ids.update(f"{run}-bat-{b}-{k}of{size}" for k in range(size))
    return ids
