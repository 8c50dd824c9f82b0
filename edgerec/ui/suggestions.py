"""What the screens show as recommendations: one shape, from the real recommender or a fallback.

`Suggester` is the small interface the screens use. `RecommenderSuggester` wraps
`edgerec.recommend.Recommender` when the package has one; `ProjectionSuggester` is a minimal
reading of the projections (co-visitation, category affinity, popularity) so that the console
works on any store. Both apply the shop rules the console promises: nothing bought, nothing in
the cart, nothing delisted or out of stock.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from edgerec.api import Store
from edgerec.domain import Context, Event, EventType
from edgerec.readmodels import ItemRow, ShopData
from edgerec.ui.clock import Clock, ago

log = logging.getLogger(__name__)


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
    ) -> list[Suggestion]: ...

    def observe(self, event: Event, position: int | None = None) -> None: ...


_VERBS = {
    EventType.ITEM_VIEWED: "viewed {title}",
    EventType.ADDED_TO_CART: "added {title} to your cart",
    EventType.REMOVED_FROM_CART: "took {title} out of your cart",
    EventType.PURCHASED: "bought {title}",
    EventType.ITEM_FAVOURITED: "saved {title}",
    EventType.RATED: "rated {title}",
}
# How much each source counts in the fallback's blend.
_WEIGHTS = {"co-visitation": 0.6, "your categories": 0.25, "popular": 0.15}
_ANCHORS = 6
_ANCHOR_DECAY = 0.7


class ProjectionSuggester:
    """A minimal recommender over the projections, used until `edgerec.recommend` is there."""

    name = "fallback"

    def __init__(self, data: ShopData, clock: Clock | None = None) -> None:
        self.data = data
        self.clock = clock or Clock()

    def observe(self, event: Event, position: int | None = None) -> None:
        """Nothing to do: the projections are updated in the event's own transaction."""

    def recommend(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        k: int = 10,
        category: str | None = None,
        context: Context | None = None,
    ) -> list[Suggestion]:
        now = self.clock.now()
        history = self.data.history(user_id, limit=_ANCHORS)
        excluded = {h.item.item_id for h in history if h.in_cart > 0 or h.purchases > 0}
        excluded |= self.data.excluded_for(user_id)
        parts: dict[str, dict[str, float]] = defaultdict(dict)
        why: dict[str, dict[str, str]] = defaultdict(dict)

        # Co-visitation with what this customer did most recently, most recent first.
        anchors = {h.item.item_id: (rank, h) for rank, h in enumerate(history)}
        strength: dict[str, float] = defaultdict(float)
        best_anchor: dict[str, tuple[float, str]] = {}
        for anchor, other, count in self.data.co_visited(list(anchors), limit=200):
            rank, h = anchors[anchor]
            value = math.log1p(count) * _ANCHOR_DECAY**rank
            strength[other] += value
            if value > best_anchor.get(other, (0.0, ""))[0]:
                verb = _VERBS.get(EventType(h.last_type), "looked at {title}")
                best_anchor[other] = (
                    value,
                    f"because you {verb.format(title=h.item.label)} {ago(h.last_at, now)}",
                )
        _normalised_into(parts, "co-visitation", strength)
        for item_id, (_, text) in best_anchor.items():
            why[item_id]["co-visitation"] = text

        # Popular items in the categories this customer shows interest in.
        categories = [category] if category else [c for c, _ in self.data.top_categories(user_id, limit=3)]
        affinity: dict[str, float] = {}
        for rank, cat in enumerate(categories):
            for item in self.data.items(category=cat, in_stock_only=True, limit=30):
                affinity[item.item_id] = max(affinity.get(item.item_id, 0.0), _pop(item) * 0.8**rank)
                why[item.item_id]["your categories"] = f"popular in {cat}, a category you like"
        _normalised_into(parts, "your categories", affinity)

        # Popular right now, for everyone.
        popular = {item.item_id: _pop(item) for item in self.data.items(in_stock_only=True, limit=50)}
        _normalised_into(parts, "popular", popular)

        candidates = [i for i in parts if i not in excluded]
        info = self.data.items_by_id(candidates)
        for item_id, item in info.items():
            if "popular" in parts[item_id] and "popular" not in why[item_id]:
                where = f" in {item.category}" if item.category else ""
                why[item_id]["popular"] = f"popular{where} with shoppers this week"
        scored: list[tuple[float, str]] = []
        for item_id in candidates:
            item = info.get(item_id)
            if item is None or not item.available:
                continue
            total = sum(_WEIGHTS[s] * v for s, v in parts[item_id].items())
            scored.append((total, item_id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [
            _suggestion(info[item_id], total, parts[item_id], why[item_id]) for total, item_id in scored[:k]
        ]


def _pop(item: ItemRow) -> float:
    # popularity_log is log(sum w * exp(t / tau)); comparing logs is enough for ranking.
    if item.popularity_log == -math.inf:
        return 0.0
    return item.popularity_log


def _normalised_into(parts: dict[str, dict[str, float]], source: str, values: Mapping[str, float]) -> None:
    if not values:
        return
    low, high = min(values.values()), max(values.values())
    span = high - low
    for item_id, value in values.items():
        # Rank-preserving squash into (0, 1]: the best candidate of each source gets 1.
        parts[item_id][source] = 1.0 if span <= 0 else 0.1 + 0.9 * (value - low) / span


def _suggestion(
    item: ItemRow, total: float, parts: Mapping[str, float], why: Mapping[str, str]
) -> Suggestion:
    weighted = {s: _WEIGHTS[s] * v for s, v in parts.items()}
    shares = {s: v / total for s, v in sorted(weighted.items(), key=lambda p: -p[1])} if total else {}
    ordered = [why[s] for s in shares if s in why]
    reason = ordered[0] if ordered else "popular with shoppers"
    return Suggestion(
        item_id=item.item_id,
        title=item.label,
        category=item.category,
        price=item.price,
        score=total,
        sources=shares,
        reason=reason,
        reasons=tuple(ordered),
    )


class RecommenderSuggester:
    """Adapts `edgerec.recommend.Recommender` results to `Suggestion`, applying the shop rules."""

    name = "recommender"

    def __init__(self, recommender: Any, data: ShopData, clock: Clock | None = None) -> None:
        self.recommender = recommender
        self.data = data
        self.clock = clock or Clock()
        # The recommender keeps its state in memory; the live writer and the screens' readers
        # call it from different threads.
        self.lock = threading.Lock()

    def observe(self, event: Event, position: int | None = None) -> None:
        with self.lock:
            self.recommender.observe(event, position)

    def recommend(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        k: int = 10,
        category: str | None = None,
        context: Context | None = None,
    ) -> list[Suggestion]:
        with self.lock:
            # Folds in what other writers (an import, the CLI) appended since the last call.
            self.recommender.refresh()
            results = self.recommender.recommend(
                user_id,
                session_id=session_id,
                k=k,
                category=category,
                context=context,
                now=self.clock.now(),
            )
        rows = [_result_fields(r) for r in results]
        excluded = self.data.excluded_for(user_id)
        info = self.data.items_by_id(r["item_id"] for r in rows)
        out: list[Suggestion] = []
        for r in rows:
            item = info.get(r["item_id"])
            # The recommender promises these rules; the console checks them again because a
            # wrong suggestion on screen is worse than a short list.
            if item is None or not item.available or r["item_id"] in excluded:
                log.warning("recommender suggested excluded item %s", r["item_id"])
                continue
            reasons = tuple(r["reasons"]) or ("suggested by the model",)
            out.append(
                Suggestion(
                    item_id=r["item_id"],
                    title=item.label,
                    category=item.category,
                    price=item.price,
                    score=r["score"],
                    sources=r["sources"],
                    reason=reasons[0],
                    reasons=reasons,
                )
            )
        return out[:k]


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
    reasons = tuple(str(getattr(r, "text", r)) for r in reasons)
    sources = dict(get("sources", None) or {})
    return {
        "item_id": str(get("item_id", None)),
        "score": float(get("score", 0.0) or 0.0),
        "sources": {str(k): float(v) for k, v in sources.items()},
        "reasons": reasons,
    }


def make_suggester(store: Store, data: ShopData, clock: Clock | None = None) -> Suggester:
    """The real recommender when this build has one, the projection fallback otherwise."""
    try:
        from edgerec import recommend
    except ImportError:  # pragma: no cover - the package always exists, maybe empty
        recommend = None  # type: ignore[assignment]
    factory = getattr(recommend, "Recommender", None) if recommend else None
    if factory is not None:
        try:
            return RecommenderSuggester(factory(store), data, clock)
        except Exception:  # a broken recommender must not take the console down
            log.exception("could not start edgerec.recommend; using the projection fallback")
    return ProjectionSuggester(data, clock)
