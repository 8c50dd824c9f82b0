"""The candidate sources that need only the projections: history, co-occurrence, content, popularity."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from edgerec.domain import EventType
from edgerec.domain.signals import SESSION_GAP_S
from edgerec.recommend.catalogue import Catalogue
from edgerec.recommend.request import (
    VERBS,
    CandidateSource,
    Evidence,
    Request,
    SourceResult,
    micros_to_datetime,
)
from edgerec.recommend.shop_time import WEEKDAYS


def _top(values: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the `limit` largest values (unordered)."""
    if len(values) <= limit:
        return np.arange(len(values))
    return np.argpartition(-values, limit - 1)[:limit]


NEWLY_LISTED_US = 7 * 86_400 * 1_000_000  # an untouched item listed this long ago is "newly listed"
# "Popular at this kiosk on Saturdays" where the item is a quarter bigger a part of the day than
# of the week (its lift): not for the small ups and downs of an item sold every day.
DAY_REASON_LIFT = 1.25
# "Popular at this kiosk around 10:00" is said of an item with at least this weight of events at
# the kiosk at that hour (about three views, or one cart add), and "on Saturdays" of one with as
# much there on that day: not of one look on a quiet morning, which tops a list of few items,
# nor of one look at 07:00 at an item the kiosk sells all afternoon.
POPULAR_WEIGHT = 2.5


def _rank_scores(ordered_values: np.ndarray) -> np.ndarray:
    """1 - rank / n for values sorted best first, where tied values share the better rank.

    >>> _rank_scores(np.array([5.0, 3.0, 3.0, 1.0])).tolist()
    [1.0, 0.75, 0.75, 0.25]
    """
    rank = np.searchsorted(-ordered_values, -ordered_values, side="left")
    return 1.0 - rank / max(len(ordered_values), 1)


def _event(request: Request, source: str, item: int, text: str) -> Evidence:
    trace = request.trace(item)
    assert trace is not None
    return Evidence(
        source=source,
        text=text,
        item_id=request.catalogue.ids[item],
        event_type=trace.last_type,
        at=micros_to_datetime(trace.last_at),
    )


def _anchor_phrase(request: Request, anchor: int) -> str:
    """'Blue Mug, which you viewed 2 minutes ago' or 'Blue Mug in your cart'."""
    return request.noted(("phrase", anchor), lambda: _phrase(request, anchor))


def _phrase(request: Request, anchor: int) -> str:
    title = request.catalogue.title(anchor)
    if anchor in request.user.cart:
        return f"{title} in your cart"
    trace = request.trace(anchor)
    if trace is None:
        return f"{title}, seen in this session"
    return f"{title}, which you {VERBS.get(trace.last_type, 'viewed')} {request.when(trace.last_at)}"


class HistorySource:
    """The customer's own recent items: people come back to what they looked at."""

    name = "history"
    features = ("history.recency", "history.intent")
    default_weights: Mapping[str, float] = {"history.recency": 1.0, "history.intent": 0.2}

    def candidates(self, request: Request, limit: int) -> SourceResult:
        # Not one the customer last took out of their cart, nor one they rated as a dislike:
        # those were a no.
        items = [
            i
            for i in request.user.recent(limit, request.state.ratings)
            if request.user.items[i].last_type != EventType.REMOVED_FROM_CART
        ]
        if not items:
            return SourceResult.empty()
        traces = [request.user.items[i] for i in items]
        recency = 1.0 / np.arange(1, len(items) + 1, dtype=np.float64)
        intent = np.log1p(np.fromiter((t.intent for t in traces), np.float64, len(traces)))
        return SourceResult(
            np.asarray(items, dtype=np.int64),
            {"history.recency": recency, "history.intent": intent},
        )

    def explain(self, request: Request, item: int) -> list[Evidence]:
        trace = request.trace(item)
        if trace is None:
            return []
        verb = VERBS.get(trace.last_type, "viewed")
        text = f"You {verb} {request.catalogue.title(item)} {request.when(trace.last_at)}"
        if trace.views > 1:
            text += f" (viewed {trace.views} times)"
        return [_event(request, self.name, item, text)]


class CooccurrenceSource:
    """Items seen in the same sessions as the customer's latest items and cart."""

    name = "cooccurrence"
    features = ("cooccurrence.last", "cooccurrence.session")
    default_weights: Mapping[str, float] = {"cooccurrence.last": 1.0, "cooccurrence.session": 1.0}
    decay = 0.5  # weight of each older anchor relative to the next newer one

    def _weighted_anchors(self, request: Request) -> list[tuple[int, float]]:
        return request.noted((self.name, "anchors"), lambda: self._weigh_anchors(request))

    def _weigh_anchors(self, request: Request) -> list[tuple[int, float]]:
        anchors = [(a, self.decay**rank) for rank, a in enumerate(request.anchors)]
        seen = {a for a, _ in anchors}
        anchors += [(a, 1.0) for a in request.cart if a not in seen]
        return anchors

    def candidates(self, request: Request, limit: int) -> SourceResult:
        anchors = self._weighted_anchors(request)
        indices, values = [], []
        last_count = 0  # the first part's neighbours, where they are the latest item's
        for position, (anchor, weight) in enumerate(anchors):
            idx, counts = request.state.neighbours.arrays(anchor)
            if len(idx) == 0:
                continue
            if position == 0 and request.anchors:
                last_count = len(idx)
            indices.append(idx)
            values.append(weight * counts / counts.max())
        if not indices:
            return SourceResult.empty()
        unique, inverse = np.unique(np.concatenate(indices), return_inverse=True)
        weights = np.concatenate(values)
        session = np.bincount(inverse, weights=weights, minlength=len(unique))
        last = np.bincount(inverse[:last_count], weights=weights[:last_count], minlength=len(unique))
        keep = _top(session, limit)
        return SourceResult(
            unique[keep], {"cooccurrence.last": last[keep], "cooccurrence.session": session[keep]}
        )

    def explain(self, request: Request, item: int) -> list[Evidence]:
        best: tuple[float, int, int] | None = None
        for anchor, weight in self._weighted_anchors(request):
            if request.disliked(anchor):
                continue
            count = request.state.neighbours.get(anchor).get(item, 0)
            if count and (best is None or weight * count > best[0]):
                best = (weight * count, anchor, count)
        if best is None:
            return []
        _, anchor, count = best
        # The counts are of times the two were touched close together in a session (within
        # RECENT_ITEMS_PER_SESSION items of each other, mostly views; an item that comes back
        # later counts again): not of sessions, and nothing says the two were bought together.
        # Said of ratings in a store of ratings only (as MovieLens imports): it has no views to
        # speak of. Elsewhere the customer's rating of the item it builds on says nothing of what
        # others did with the two.
        trace = request.trace(anchor)
        verb = "rated" if request.state.rated_only else "viewed"
        times = f"{count} time{'s' if count != 1 else ''}"
        together = "rated" if request.state.rated_only else "seen"
        text = f"Often {verb} with {_anchor_phrase(request, anchor)} ({together} together {times})"
        if trace is not None:
            return [_event(request, self.name, anchor, text)]
        return [Evidence(self.name, text, item_id=request.catalogue.ids[anchor])]


class ContentSource:
    """Popular items of the same category or brand as the customer's latest items and cart."""

    name = "content"
    features = ("content.category", "content.brand")
    default_weights: Mapping[str, float] = {"content.category": 0.5, "content.brand": 0.5}
    anchors = 3
    new_arrivals = 64  # most recently listed items checked for a match
    novelty_half_life_s = 86_400.0

    def _anchors(self, request: Request) -> list[tuple[int, float]]:
        return request.noted((self.name, "anchors"), lambda: self._weigh_anchors(request))

    def _weigh_anchors(self, request: Request) -> list[tuple[int, float]]:
        found = [(a, 0.5**rank) for rank, a in enumerate(request.anchors[: self.anchors])]
        seen = {a for a, _ in found}
        return found + [(a, 1.0) for a in request.cart[: self.anchors] if a not in seen]

    def _anchor_groups(self, request: Request) -> dict[str, list[int]]:
        """Each anchor's category and brand group (`Catalogue.groups`), in `_anchors`' order:
        "Kitchen/Coffee" and "kitchen/coffee", or "Acme" and "ACME", are one."""
        return request.noted((self.name, "groups"), lambda: self._group_anchors(request))

    def _group_anchors(self, request: Request) -> dict[str, list[int]]:
        cat = request.catalogue
        items = np.fromiter((a for a, _ in self._anchors(request)), np.int64)
        return {
            kind: cat.groups(kind, codes[items]).tolist()
            for kind, codes in (("category", cat.category), ("brand", cat.brand))
        }

    def candidates(self, request: Request, limit: int) -> SourceResult:
        cat = request.catalogue
        # per feature, its groups' items and scores, in the order found
        parts: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
        untouched = cat.latest_arrivals(self.new_arrivals)
        anchors, anchor_groups = self._anchors(request), self._anchor_groups(request)
        for kind, codes in (("category", cat.category), ("brand", cat.brand)):
            untouched_codes = cat.groups(kind, codes[untouched])
            strength: dict[int, float] = {}
            for code, (_, weight) in zip(anchor_groups[kind], anchors, strict=True):
                if code >= 0:
                    strength[code] = max(strength.get(code, 0.0), weight)
            for code, weight in strength.items():
                if len(cat.members(kind, code)) == 0:
                    continue
                chosen, rank_score = cat.group_note(
                    kind, code, (self.name, limit), lambda members: _by_popularity(cat, members, limit)
                )
                score = weight * rank_score
                # New arrivals nobody has touched yet rank with the category's best sellers,
                # so a newly listed item is shown as soon as it is listed.
                fresh_idx = untouched[untouched_codes == code]
                items, scores = parts.setdefault(f"content.{kind}", ([], []))
                items.append(chosen)
                scores.append(score)
                if len(fresh_idx):
                    age_s = np.maximum(request.now_us - cat.listed_at[fresh_idx], 0) / 1e6
                    novelty = 0.5 + 0.5 * np.exp2(-age_s / self.novelty_half_life_s)
                    items.append(fresh_idx)
                    scores.append(weight * novelty)
        if not parts:
            return SourceResult.empty()
        found = {name: np.concatenate(items) for name, (items, _) in parts.items()}
        unique, inverse = np.unique(np.concatenate(list(found.values())), return_inverse=True)
        features: dict[str, np.ndarray] = {}
        offset = 0
        for name, (_, scores) in parts.items():
            # an item can be in a group's best and its new arrivals both: the better counts
            column = features[name] = np.zeros(len(unique))
            np.maximum.at(column, inverse[offset : offset + len(found[name])], np.concatenate(scores))
            offset += len(found[name])
        total = np.sum(np.stack(list(features.values())), axis=0)
        keep = _top(total, 2 * limit)
        return SourceResult(unique[keep], {k: v[keep] for k, v in features.items()})

    def explain(self, request: Request, item: int) -> list[Evidence]:
        cat = request.catalogue
        out: list[Evidence] = []
        anchor_groups = self._anchor_groups(request)
        for kind, codes in (("category", cat.category), ("brand", cat.brand)):
            group = int(cat.groups(kind, codes[item]))
            if group < 0:
                continue
            value = str(cat.category_name(item) if kind == "category" else cat.brands[item])
            for (anchor, _), anchor_group in zip(self._anchors(request), anchor_groups[kind], strict=True):
                if anchor != item and anchor_group == group and not request.disliked(anchor):
                    # as the catalogue spelt it, without stray spaces: "(ACME)", not "( ACME)"
                    text = f"Same {kind} ({value.strip()}) as {_anchor_phrase(request, anchor)}"
                    trace = request.trace(anchor)
                    out.append(
                        Evidence(
                            self.name,
                            text,
                            item_id=cat.ids[anchor],
                            event_type=trace.last_type if trace else None,
                            at=micros_to_datetime(trace.last_at) if trace else None,
                            attribute=(kind, value),
                        )
                    )
                    break
        return out


def _by_popularity(cat: Catalogue, members: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The `limit` most popular of `members`, best first, each with 0.5 + half its rank score
    (0.5 for an item nobody has touched)."""
    pop = cat.popularity[members]
    keep = _top(pop, limit)
    order = keep[np.argsort(-pop[keep], kind="stable")]
    ordered = pop[order]
    return members[order], 0.5 + 0.5 * np.where(ordered > -np.inf, _rank_scores(ordered), 0.0)


def _context_popular(request: Request, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The `limit` items most popular at this kiosk at this hour of this day of the week, best
    first, with their log-domain values: the hour's, each times its lift on the day."""
    context = request.state.context
    ranked = context.ranked(request.store_id, request.hour)
    if not ranked:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    values = context.values[(request.store_id, request.hour)]
    lifts = context.day_lifts(request.store_id, request.weekday, ranked, request.now_us)
    lifted = np.fromiter(map(values.__getitem__, ranked), float, len(ranked)) + np.log(lifts)
    order = np.argsort(-lifted, kind="stable")[:limit]
    return np.asarray(ranked, dtype=np.int64)[order], lifted[order]


class PopularitySource:
    """Time-decayed popularity: overall (or in the requested category) and at this kiosk, hour
    and day of the week."""

    name = "popularity"
    features = ("popularity.global", "popularity.context")
    default_weights: Mapping[str, float] = {"popularity.global": 0.1, "popularity.context": 0.1}

    def candidates(self, request: Request, limit: int) -> SourceResult:
        cat = request.catalogue
        if request.category is not None:
            groups = [
                cat.members("category", code)
                for code in np.unique(cat.groups("category", request.category)).tolist()
            ]
            members = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
            members = members[cat.popularity[members] > -np.inf]  # untouched items are not popular
            pop = cat.popularity[members]
            keep = _top(pop, limit)
            glob = members[keep[np.argsort(-pop[keep], kind="stable")]]
        else:
            glob = np.asarray(cat.top.ranked()[:limit], dtype=np.int64)
        ctx, ctx_values = _context_popular(request, limit)
        if len(glob) == 0 and len(ctx) == 0:
            return SourceResult.empty()
        unique, inverse = np.unique(np.concatenate([glob, ctx]), return_inverse=True)
        g = np.zeros(len(unique))
        c = np.zeros(len(unique))
        g[inverse[: len(glob)]] = _rank_scores(cat.popularity[glob])
        c[inverse[len(glob) :]] = _rank_scores(ctx_values)
        return SourceResult(unique, {"popularity.global": g, "popularity.context": c})

    def explain(self, request: Request, item: int) -> list[Evidence]:
        cat = request.catalogue
        out: list[Evidence] = []
        count = int(cat.interactions[item])
        context = request.state.context
        if context.hour_weight(request.store_id, request.hour, item) >= POPULAR_WEIGHT:
            where = "at this kiosk" if request.store_id else "with shoppers"
            out.append(
                Evidence(
                    self.name,
                    f"Popular {where} around {request.hour:02d}:00",
                    item_id=cat.ids[item],
                    attribute=("hour", str(request.hour)),
                )
            )
            [lift] = context.day_lifts(request.store_id, request.weekday, [item], request.now_us)
            if (
                lift >= DAY_REASON_LIFT
                and context.weight(request.store_id, item, request.weekday) >= POPULAR_WEIGHT
            ):
                day = WEEKDAYS[request.weekday]
                out.append(
                    Evidence(
                        self.name,
                        f"Popular {where} on {day}s",
                        item_id=cat.ids[item],
                        attribute=("weekday", day),
                    )
                )
        if count:
            name = (cat.category_name(item) or "").strip()
            scope = f" in {name}" if name else ""
            noun = "interaction" if count == 1 else "interactions"
            out.append(
                Evidence(
                    self.name,
                    f"Popular{scope} ({count} shopper {noun} in all)",
                    item_id=cat.ids[item],
                    attribute=("interactions", str(count)),
                )
            )
        return out


class SearchSource:
    """Items matching the customer's latest search in this session, until they look at an item
    (on the demo shop's log a search kept for one look more predicted the next item less well:
    `edgerec tune --dry-run`) or half an hour passes."""

    name = "search"
    features = ("search.match", "search.popular")
    # A search is the customer's plainest statement of what they want: until `edgerec tune`
    # weighs it on a shop's own log, its best matches lead the list.
    default_weights: Mapping[str, float] = {"search.match": 2.0, "search.popular": 0.2}
    lifetime_us = SESSION_GAP_S * 1_000_000
    looks = 1  # items looked at since the search that end it

    def _search(self, request: Request) -> tuple[str, int] | None:
        session = request.session
        if session is None or not session.query or request.now_us - session.query_at > self.lifetime_us:
            return None
        if session.searcher != request.user_id:
            return None  # another customer's search, in a session id they share
        if sum(at > session.query_at for at in session.recent.values()) >= self.looks:
            return None
        return session.query, session.query_at

    def candidates(self, request: Request, limit: int) -> SourceResult:
        search = self._search(request)
        if search is None:
            return SourceResult.empty()
        cat = request.catalogue
        found, share = cat.matching(search[0])
        # the items matching most of the query's words; among equals, the most popular
        chosen: list[np.ndarray] = []
        matched: list[np.ndarray] = []
        room = limit
        for level in np.unique(share)[::-1]:
            if room <= 0:
                break
            level_items = found[share == level]
            picked = level_items[_top(cat.popularity[level_items], room)]
            chosen.append(picked)
            matched.append(np.full(len(picked), level))
            room -= len(picked)
        if not chosen:
            return SourceResult.empty()
        items = np.concatenate(chosen)
        pop = cat.popularity[items]
        by_popularity = np.argsort(-pop, kind="stable")
        popular = np.zeros(len(items))
        popular[by_popularity] = _rank_scores(pop[by_popularity])
        popular[pop == -np.inf] = 0.0
        return SourceResult(items, {"search.match": np.concatenate(matched), "search.popular": popular})

    def explain(self, request: Request, item: int) -> list[Evidence]:
        search = self._search(request)
        if search is None:
            return []
        query, at = search
        return [
            Evidence(
                self.name,
                f'Matches your search "{query}" ({request.when(at)})',
                event_type=EventType.SEARCHED.value,
                at=micros_to_datetime(at),
            )
        ]


def builtin_sources() -> list[CandidateSource]:
    """The sources that need only the projections, in the order their features are listed."""
    return [HistorySource(), CooccurrenceSource(), ContentSource(), PopularitySource(), SearchSource()]
