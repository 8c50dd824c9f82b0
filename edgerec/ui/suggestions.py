"""What the screens show as recommendations: `edgerec.recommend.Recommender`'s lists in one shape.

`Suggester` is the small interface the screens use; `RecommenderSuggester` adapts the real
recommender to it (shop rules and explanations come from there).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from edgerec.api import Store
from edgerec.domain import Context, Event
from edgerec.domain.printable import printable
from edgerec.readmodels import LISTED, SEEN, ItemRow, ShopData
from edgerec.ui.clock import Clock, ago

log = logging.getLogger(__name__)

RETELL_S = 1.0  # how often a list on screen says its reasons' time phrases again (`Suggestion.as_of`)
# What follows a reason's time phrase: its end, a search's ")", or a last note in brackets
# ("(viewed 3 times)"). Not " in your cart": a reason citing an item in the cart says no time.
_AFTER_PHRASE = re.compile(r"\)?|\s\([^()]*\)")


@dataclass(frozen=True, slots=True)
class Suggestion:
    item_id: str
    title: str
    category: str | None
    price: float | None
    score: float
    sources: Mapping[str, float]  # share of the score by source, summing to about 1
    reason: str
    reasons: tuple[str, ...] = field(default=())
    # The moment each reason's time phrase ("viewed X just now") cites, None for a reason without
    # one, and the time those phrases were said at: `as_of` says them again later.
    cited: tuple[datetime | None, ...] = field(default=())
    said_at: datetime | None = None

    def as_of(self, now: datetime) -> Suggestion:
        """This suggestion with its reasons' time phrases said as of `now`: "just now" becomes
        "2 minutes ago" on a list left on screen, which is not ranked again for it."""
        if self.said_at is None or not self.cited:
            return self
        then = self.said_at
        reasons = tuple(
            retold(reason, moment, then, now) for reason, moment in zip(self.reasons, self.cited, strict=True)
        )
        return replace(self, reason=reasons[0], reasons=reasons, said_at=now)


def retold(reason: str, moment: datetime | None, then: datetime, now: datetime) -> str:
    """`reason`, whose time phrase for `moment` was said at `then`, with it said at `now`. The
    phrase is the last in the reason, and ends it but for a note in brackets: a title or a
    search before it may hold such words, and so may the title of an item in the cart, whose
    reason says no time.

    >>> from datetime import UTC
    >>> at = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    >>> retold('Matches your search "just now" (just now)', at, at, at + timedelta(minutes=2))
    'Matches your search "just now" (2 minutes ago)'
    >>> retold("Same brand as Tea (just now) in your cart", at, at, at + timedelta(minutes=2))
    'Same brand as Tea (just now) in your cart'
    """
    if moment is None:
        return reason
    cited_us = moment.timestamp() * 1e6
    said, saying = ago(cited_us, then), ago(cited_us, now)
    start = reason.rfind(said)
    end = start + len(said)
    if said == saying or start < 0 or not _AFTER_PHRASE.fullmatch(reason, end):
        return reason
    return f"{reason[:start]}{saying}{reason[end:]}"


class Suggester(Protocol):
    name: str

    def recommend(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        k: int = 10,
        category: str | None = None,
        context: Context | None = None,
        refresh: bool = True,
        exclude: Sequence[str] = (),
    ) -> list[Suggestion]: ...

    def observe(self, event: Event, position: int | None = None) -> None: ...

    def refresh(self) -> bool: ...

    def hour(self) -> int: ...

    def hides(self, item_id: str, category: str | None) -> bool: ...

    def offers_unlisted(self) -> bool: ...

    def use_weights(self, weights: Mapping[str, float]) -> None: ...


class RecommenderSuggester:
    """Adapts `edgerec.recommend.Recommender` results to `Suggestion`, applying the shop rules.

    With `unlisted` (the console) a store that has never listed an item (an events-only
    dataset: Taobao, YOOCHOOSE) offers the items known from its log, as `edgerec recommend`
    does; without (the kiosk) only listed items are ever offered.
    """

    name = "recommender"

    def __init__(
        self, recommender: Any, data: ShopData, clock: Clock | None = None, *, unlisted: bool = False
    ) -> None:
        self.recommender = recommender
        self.data = data
        self.clock = clock or Clock()
        self.unlisted = unlisted
        # The recommender keeps its state in memory; the live writer and the screens' readers
        # call it from different threads.
        self.lock = threading.Lock()
        self._ranking_changes = recommender.ranking_changes

    def observe(self, event: Event, position: int | None = None) -> None:
        with self.lock:
            self.recommender.observe(event, position)

    def use_weights(self, weights: Mapping[str, float]) -> None:
        """Blends with these weights from the next list on (a newly tuned blend)."""
        with self.lock:
            self.recommender.set_weights(dict(weights))

    def refresh(self) -> bool:
        """Folds in what other writers (an import, the CLI) appended, a newer model and the
        shop's rules; whether the rules or the blend changed since the last refresh (`edgerec
        rules set`, a newly tuned blend), so that a list on screen is ranked again."""
        with self.lock:
            self.recommender.refresh()
            changes, self._ranking_changes = self._ranking_changes, self.recommender.ranking_changes
            return changes != self._ranking_changes

    def hour(self) -> int:
        """The hour of the shop's day that a list asked for now is ranked for."""
        with self.lock:
            return int(self.recommender.hour(self.clock.peek()))

    def hides(self, item_id: str, category: str | None) -> bool:
        """Whether the shop's rules ban this item now (`edgerec rules set` with exclude_items):
        one on screen is not sold. Not under the lock, which a long catch-up may hold: the
        recommender reads only the rules file for it."""
        return bool(self.recommender.hides(item_id, category))

    def offers_unlisted(self) -> bool:
        """Whether items known only from the log are on offer: where `unlisted` and the store has
        listed no item yet, as the recommender decides (once one is listed, or delisted, the
        catalogue says what the shop sells). Not under the lock, as `hides`."""
        return self.unlisted and not self.recommender.catalogue.has_listings

    def recommend(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        k: int = 10,
        category: str | None = None,
        context: Context | None = None,
        refresh: bool = True,
        exclude: Sequence[str] = (),
    ) -> list[Suggestion]:
        """The top `k` for this customer, leaving out the `exclude`d items (the one on screen);
        `refresh=False` for a caller that refreshes while idle instead (a new model snapshot
        takes milliseconds to load)."""
        now = self.clock.now()
        with self.lock:
            if refresh:
                self.recommender.refresh()
            results = self.recommender.recommend(
                user_id,
                session_id=session_id,
                k=k,
                category=category,
                context=context,
                now=now,
                exclude=exclude,
            )
            policy = self.recommender.config.policy
        rows = [_result_fields(r) for r in results]
        # What the recommender's policy keeps from this customer, as the projections have it:
        # the cart and purchases only where the policy says so, a purchase only within
        # repurchase_after_s of now where that is set (else every item bought would be dropped
        # here, and the list come up short of what `edgerec recommend` shows).
        window = policy.repurchase_after_s
        excluded = self.data.excluded_for(
            user_id,
            in_cart=policy.exclude_in_cart,
            bought=policy.exclude_purchased,
            bought_after=None if window is None else now - timedelta(seconds=window),
        )
        info = self.data.items_by_id(r["item_id"] for r in rows)
        unlisted = self.offers_unlisted()
        out: list[Suggestion] = []
        for r in rows:
            item = info.get(r["item_id"])
            if item is not None and item.status == SEEN and not self.unlisted:
                # The kiosk's: a store that lists no item yet asks for a catalogue (the recommender
                # ranks the items known from its log), with no warning for each tile every tick.
                continue
            # The recommender promises these rules; the console checks them again because a
            # wrong suggestion on screen is worse than a short list.
            if item is None or not offered(item, unlisted) or not item.in_stock or r["item_id"] in excluded:
                log.warning("recommender suggested excluded item %s", r["item_id"])
                continue
            # Shown on the terminal: a title or a reason holds no control character there.
            reasons = tuple(map(printable, r["reasons"])) or ("suggested by the model",)
            cited = r["cited"] if r["reasons"] else ()
            out.append(
                Suggestion(
                    item_id=r["item_id"],
                    title=printable(item.label),
                    category=item.category and printable(item.category),
                    price=item.price,
                    score=r["score"],
                    sources=r["sources"],
                    reason=reasons[0],
                    reasons=reasons,
                    cited=cited,
                    said_at=now,
                )
            )
        return out[:k]


NOT_LISTED = "not listed for sale"
BANNED = "banned by the shop's rules"
SOLD_OUT = "out of stock"


def not_for_sale(item: ItemRow | None, suggester: Suggester) -> str | None:
    """Why a shopper cannot have `item` (as the catalogue has it now), None if they can: the
    one check behind the kiosk's and the console's Add and Buy. `NOT_LISTED` when delisted or
    unknown (or known only from the log, unless `suggester.offers_unlisted()`), `BANNED` when
    the shop's rules ban it now (a recall), `SOLD_OUT` once sold out."""
    if item is None or not offered(item, suggester.offers_unlisted()):
        return NOT_LISTED
    if suggester.hides(item.item_id, item.category):
        return BANNED
    return None if item.in_stock else SOLD_OUT


def offered(item: ItemRow, unlisted: bool) -> bool:
    """Whether the shop offers `item` at all, sold out or not: listed, or where `unlisted`
    (`Suggester.offers_unlisted`) known only from the log; never once delisted."""
    return item.status == LISTED or (unlisted and item.status == SEEN)


def _result_fields(result: Any) -> dict[str, Any]:
    get: Callable[[str, Any], Any]
    if isinstance(result, Mapping):
        get = result.get
    else:

        def get(name: str, default: Any) -> Any:
            return getattr(result, name, default)

    reasons = get("reasons", None) or get("reason", None) or ()
    if isinstance(reasons, str):
        reasons = (reasons,)
    cited = tuple(getattr(r, "at", None) for r in get("evidence", None) or reasons)
    reasons = tuple(str(getattr(r, "text", r)) for r in reasons)
    sources = dict(get("sources", None) or {})
    return {
        "item_id": str(get("item_id", None)),
        "score": float(get("score", 0.0) or 0.0),
        "sources": {str(k): float(v) for k, v in sources.items()},
        "reasons": reasons,
        "cited": cited,
    }


def make_suggester(
    store: Store, data: ShopData, clock: Clock | None = None, *, unlisted: bool = False
) -> Suggester:
    """The real-time recommender for this store, adapted to the screens (see
    `RecommenderSuggester` for `unlisted`)."""
    from edgerec.recommend import Recommender

    return RecommenderSuggester(Recommender(store), data, clock, unlisted=unlisted)
