"""A shopper's live session at a kiosk: who, where, which session, and the events each action makes.

Pure state and event construction, no I/O and no Textual: the live screen and the kiosk both
turn taps and keys into these events and hand them to the store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from edgerec.domain import (
    AddedToCart,
    Context,
    Event,
    ItemViewed,
    Purchased,
    RemovedFromCart,
    Searched,
    SessionEnded,
    SessionStarted,
)
from edgerec.domain.signals import SESSION_GAP_S
from edgerec.readmodels import ItemRow
from edgerec.ui.clock import Clock

ANONYMOUS_PREFIX = "visitor-"


@dataclass
class LiveSession:
    """Who is shopping, where, and in which session; makes the events for each action."""

    user_id: str
    store_id: str | None
    clock: Clock
    rng: random.Random = field(default_factory=random.Random)
    session_id: str = ""
    anonymous: bool = False
    ended: bool = False
    actions: int = 0
    device: str = "console"  # or "kiosk": on every event's context
    last_at: datetime | None = None  # when its newest event happened

    def __post_init__(self) -> None:
        if not self.session_id:
            self.session_id = self._new_id("s-")

    @classmethod
    def anonymous_visitor(
        cls, store_id: str | None, clock: Clock, rng: random.Random | None = None, *, device: str = "console"
    ) -> LiveSession:
        rng = rng or random.Random()
        # 64 random bits: a kiosk's visitors over its years never meet one another's carts.
        user = f"{ANONYMOUS_PREFIX}{rng.getrandbits(64):016x}"
        return cls(user_id=user, store_id=store_id, clock=clock, rng=rng, anonymous=True, device=device)

    def _new_id(self, prefix: str) -> str:
        # 128 random bits, as a UUID has: an event id met again is taken for the same event and
        # not logged, so with 48 bits a till's ten millionth event could be lost.
        return f"{prefix}{self.rng.getrandbits(128):032x}"

    @property
    def context(self) -> Context:
        return Context(store_id=self.store_id, device=self.device)

    def lapsed(self) -> bool:
        """Whether `SESSION_GAP_S` have passed since its newest event: the store's own
        sessions end after such a gap, and the shopper's next action is a new visit."""
        if self.last_at is None:
            return False
        return (self.clock.now() - self.last_at).total_seconds() > SESSION_GAP_S

    def _common(self) -> dict[str, object]:
        self.actions += 1
        self.last_at = self.clock.now()
        return {
            "event_id": self._new_id("ev-"),
            "occurred_at": self.last_at,
            "user_id": self.user_id,
            "session_id": self.session_id,
            "context": self.context,
        }

    def start(self) -> Event:
        return SessionStarted(**self._common())  # type: ignore[arg-type]

    def view(self, item: ItemRow) -> Event:
        return ItemViewed(item_id=item.item_id, category=item.category, **self._common())  # type: ignore[arg-type]

    def add_to_cart(self, item: ItemRow, quantity: int = 1) -> Event:
        return AddedToCart(
            item_id=item.item_id,
            quantity=quantity,
            category=item.category,
            **self._common(),  # type: ignore[arg-type]
        )

    def remove_from_cart(self, item: ItemRow, quantity: int = 1) -> Event:
        return RemovedFromCart(item_id=item.item_id, quantity=quantity, **self._common())  # type: ignore[arg-type]

    def buy(self, item: ItemRow, quantity: int = 1) -> Event:
        return Purchased(
            item_id=item.item_id,
            quantity=quantity,
            price_paid=item.price,
            category=item.category,
            **self._common(),  # type: ignore[arg-type]
        )

    def search(self, query: str) -> Event:
        return Searched(query=query, **self._common())  # type: ignore[arg-type]

    def end(self) -> Event:
        self.ended = True
        return SessionEnded(**self._common())  # type: ignore[arg-type]

    def next_session(self) -> LiveSession:
        """The same shopper's next visit, in a fresh session."""
        return LiveSession(
            user_id=self.user_id,
            store_id=self.store_id,
            clock=self.clock,
            rng=self.rng,
            anonymous=self.anonymous,
            device=self.device,
        )
