"""The recommender facade: live state from projections and events, blending, rules, explanations."""

from __future__ import annotations

import logging
import numbers
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, make_url

from edgerec.domain import Context, Event
from edgerec.domain.events import text_flaw
from edgerec.domain.signals import DEFAULT_EVENT_WEIGHTS, RECENT_ITEMS_PER_SESSION
from edgerec.memory import settle_heap
from edgerec.readmodels import forgets_recorded
from edgerec.recommend import reader
from edgerec.recommend.catalogue import NO_TIME, Catalogue, category_path
from edgerec.recommend.config import WEIGHT_NAMES, Policy, RecommenderConfig, UnknownKeys
from edgerec.recommend.diversity import category_cap, places_filled, rerank
from edgerec.recommend.request import (
    CandidateSource,
    Evidence,
    Request,
    RequestContext,
    SourceResult,
)
from edgerec.recommend.rules import RULE_KEYS, RuleSet, RulesFile
from edgerec.recommend.sources import NEWLY_LISTED_US, builtin_sources
from edgerec.recommend.state import WEEK_US, LiveState, SessionState, UserState, trace_from_row
from edgerec.recommend.trained import SNAPSHOT_FILE, TrainedModel
from edgerec.store.codec import StoredEvent, event_to_row, to_micros
from edgerec.training.files import model_dir

_log = logging.getLogger(__name__)
# The store's own configuration, beside the trainer's files (written by `edgerec tune`).
SHOP_CONFIG_FILE = "recommender.json"
SHOP_RULES_FILE = "rules.toml"

_REMEMBERED_IDS = 20_000
# Sessions not held in memory, with new pairs, whose items' neighbour lists a catch-up drops one
# by one (a read each); beyond, it drops every list.
_SESSIONS_READ_FOR_PAIRS = 64
_CATCH_UP_BATCH = 5_000
# The most log events a recommender's warm-up replays to count a week of the kiosks' days: a
# week of about 70,000 events a day, some 3.5 s of start-up (7 us an event); its memory grows
# with the items and kiosks counted, not with the events (read 5,000 at a time).
WARMUP_MOST_EVENTS = 500_000
_TIE_BREAK = 1e-6
_MIN_SHARE = 0.02  # sources below this share of an item's score give no reason
_REASONS = 3  # reasons shown per item


@dataclass(frozen=True, slots=True)
class Recommendation:
    item_id: str
    score: float
    title: str | None
    category: str | None
    brand: str | None
    # share of the score per source, summing to 1; empty for an item no source suggested (a
    # fill-in: new and untouched, promoted, or simply there to be had)
    sources: dict[str, float]
    reasons: list[str]
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class CandidateTable:
    """Every candidate of one request with its per-feature scores, each column scaled to [0, 1]."""

    indices: np.ndarray
    features: np.ndarray  # [len(indices), len(names)]
    names: tuple[str, ...]
    request: Request

    def scores(self, weights: np.ndarray) -> np.ndarray:
        return self.features @ weights


class Recommender:
    """Real-time recommendations from the projections plus every event observed since.

    With a store (or its SQLAlchemy engine), state is loaded from the projection tables and
    follows the log: the events `observe`d, and what other writers logged meanwhile on the next
    `refresh()` (or an observed event past a gap in the positions); without one, it is built
    only from `observe`d events (replays, tuning).
    With the default sources it carries the trainer's model (`self.model`, an embedding
    source): for a store, the snapshot the trainer publishes beside the database, hot-swapped
    when a newer one appears; without a store, whatever is `install`ed into it.
    """

    def __init__(
        self,
        store: Any = None,
        *,
        config: RecommenderConfig | None = None,
        rules: RuleSet | None = None,
        sources: Sequence[CandidateSource] | None = None,
        model: TrainedModel | None = None,
    ) -> None:
        self.config = config or self.config_for(store)
        # Rules given are used as they are; otherwise the store's own file, followed as it changes.
        self._rules_file = RulesFile(shop_rules_path(store)) if rules is None else None
        self.rules = rules if self._rules_file is None else self._rules_file.load()
        self.engine: Engine | None = store if isinstance(store, Engine) or store is None else store.engine
        self.catalogue, self.state = self._empty_state()
        if model is None and sources is None:
            listings = self._listings if self.engine is not None else None
            model = TrainedModel(path=_snapshot_path(store), listings=listings)
        self.model = model
        self.sources: list[CandidateSource] = (
            list(sources) if sources is not None else list(builtin_sources())
        )
        if model is not None and model.source not in self.sources:
            self.sources.append(model.source)
        self._by_name = {s.name: s for s in self.sources}
        self.names: tuple[str, ...] = tuple(f for s in self.sources for f in s.features)
        self._column = {name: i for i, name in enumerate(self.names)}
        # [feature, source]: 1 where the feature is the source's, to sum scores per source
        self._feature_source = np.array(
            [[float(name in s.features) for s in self.sources] for name in self.names]
        ).reshape(len(self.names), len(self.sources))
        self.weights = self.weight_vector(self.config.weights)
        # How often the rules or the blend changed since it was made: a list ranked before a
        # change may show an item now banned, or in another order.
        self.ranking_changes = 0
        self.position = 0  # the log position folded into memory
        self._pending: dict[str, list[tuple[int, int]]] = {}  # observed before seen in the log
        self._caught: OrderedDict[str, None] = OrderedDict()
        self._forgets = 0  # customers forgotten in the store when memory was loaded
        self._load_memory()

    def _load_memory(self) -> None:
        """Loads memory from the store (if any) and fits the model to the catalogue."""
        if self.engine is not None:
            self._load()
            settle_heap()  # the loaded state is long-lived: keep full GC passes off it
        if self.model is not None:
            self.model.check(self.catalogue, force=True)

    def _empty_state(self) -> tuple[Catalogue, LiveState]:
        catalogue = Catalogue()
        state = LiveState(
            catalogue,
            history_items=self.config.history_items,
            neighbours=self.config.neighbours_per_item,
            complete=self.engine is None,
            timezone=self.config.timezone,
        )
        return catalogue, state

    def _reload(self) -> None:
        """Forgets everything held in memory and loads it again from the store."""
        learning = self.state.learning
        self.catalogue, self.state = self._empty_state()
        self.state.learning = learning
        self.position = 0
        self._pending.clear()
        self._caught.clear()
        if self.model is not None:
            self.model.forgotten()
        self._load_memory()

    @staticmethod
    def config_for(store: Any) -> RecommenderConfig:
        """The store's own configuration (written by `edgerec tune`), else the shipped one.

        A file that cannot be read is reported in the log and the shipped configuration used:
        a hand-edited mistake must not keep the shop from serving.
        """
        config, ignored = _read_config(store)
        if ignored is not None:
            _log.warning("%s", ignored)
        return config

    def freeze(self) -> None:
        """Stops learning from the crowd: the model's snapshot, co-occurrence and popularity stay
        as they are now (what serving a nightly batch gives). Each customer's own events still
        count at once: their history, session, cart and the fold-in of their latest items."""
        self.state.learning = False
        if self.model is not None:
            self.model.freeze()

    def weight_vector(self, weights: dict[str, float]) -> np.ndarray:
        """Weights in feature order; a feature the mapping lacks takes its source's default."""
        defaults = {k: v for s in self.sources for k, v in s.default_weights.items()}
        return np.array([weights.get(n, defaults.get(n, 0.0)) for n in self.names], dtype=np.float64)

    def set_weights(self, weights: dict[str, float]) -> None:
        """Blends with these weights from now on (the configuration says so too)."""
        self.config = self.config.with_weights(weights)
        self.weights = self.weight_vector(weights)
        self.ranking_changes += 1

    @property
    def weights(self) -> np.ndarray:
        return self._weights

    @weights.setter
    def weights(self, value: np.ndarray) -> None:
        # Popularity breaks ties even where tuning gave it no weight (an anonymous visitor).
        self._weights = value
        self._ranking = value + _TIE_BREAK * np.array(
            [n.startswith("popularity.") for n in self.names], dtype=np.float64
        )

    # --- loading from the projections --------------------------------------------------------

    def _load(self) -> None:
        assert self.engine is not None
        cat = self.catalogue
        with reader.snapshot(self.engine) as conn:
            self.position = reader.projected_position(conn)
            self._forgets = forgets_recorded(conn)
            _load_listings(conn, cat)
            stats = reader.popularity_rows(conn)
            rows = [(cat.ensure(r[0]), float(r[1]), int(r[2])) for r in stats]
            self.state.rated_only = all(r[2] == r[3] for r in stats)
            if rows:
                idx, pop, counts = zip(*rows, strict=True)
                cat.set_popularity(idx, pop, counts)
            cat.rebuild_top()
            cat.recompute_arrivals()
            self._load_neighbours(conn, cat.most_popular(self.config.preload_neighbours))
            self._load_recent_users(conn)
            self._warm_up_context(conn)

    def _warm_up_context(self, conn: Connection) -> None:
        """Counts the kiosks' hours and days of the week from the log's newest
        `context_warmup_events` and, before them, back to a week before the newest (a shop of
        more events a day than a seventh of them would count less than a week otherwise, its
        days unlike a long-running recommender's), `WARMUP_MOST_EVENTS` at most."""
        least = self.config.context_warmup_events
        if not least:
            return
        cat, context = self.catalogue, self.state.context
        since = reader.warmup_start(
            conn, self.position, least=least, most=max(least, WARMUP_MOST_EVENTS), span_us=WEEK_US
        )
        context.stores.update(reader.stores_between(conn, since, self.position))
        for block in reader.weighed_between(conn, since, self.position, _CATCH_UP_BATCH):
            items = _seen(cat, block.item_ids, block.payloads)
            weights = [DEFAULT_EVENT_WEIGHTS[kind] for kind in block.types]
            context.add_many(block.store_ids, items, weights, block.occurred_at)

    def _listings(self, item_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The store's listings of these items (the model's content vectors of items its snapshot
        lacks); it may run in the model's loading thread."""
        assert self.engine is not None
        with reader.snapshot(self.engine) as conn:
            return reader.listings(conn, item_ids)

    def hides(self, item_id: str, category: str | None) -> bool:
        """Whether the shop's never-show rules, as its policy applies them, keep this item out of
        every list, by the rules file as it is now rather than at the next `refresh`: a kiosk
        asks before it opens an item or adds it to the basket, so that one banned a moment ago
        (a recall) is not sold. It reads no catalogue or state, so another thread may ask."""
        rules = self._rules_file.current() if self._rules_file is not None else self.rules
        return _rules_under(rules, self.config.policy).hides(item_id, category)

    def refresh(self) -> int:
        """Folds in events other writers appended since, a newer model snapshot if the
        trainer published one, and the store's rules file if it changed (counted in
        `ranking_changes`); returns how many events were new. After a customer has been
        forgotten in the store, memory is loaded afresh, so nothing of them stays in it."""
        if self.model is not None:
            self.model.check(self.catalogue, force=True)
        if self._rules_file is not None:
            rules = self._rules_file.current()
            if rules is not self.rules:  # read again: the same object while the file stands still
                self.rules = rules
                self.ranking_changes += 1
        if self.engine is None:
            return 0
        before = self.position
        with reader.snapshot(self.engine) as conn:
            forgotten = forgets_recorded(conn) != self._forgets
            if not forgotten:
                self._catch_up(conn)
        if forgotten:  # a customer was forgotten: nothing of them may stay in memory either
            self._reload()
        return max(self.position - before, 0)

    def _catch_up(self, conn: Connection) -> None:
        state, cat = self.state, self.catalogue
        unheld: set[str] = set()  # sessions not held in memory whose events paired items
        while batch := reader.log_since(conn, self.position, _CATCH_UP_BATCH):
            for event in batch:
                if self._pending.pop(event.event_id, None) is None:
                    session_known = event.session_id in state.sessions
                    state.apply(event)
                    if self.model is not None:
                        self.model.note(event, cat)
                    if not session_known and event.item_id is not None and event.user_id:
                        # pairs of a session not held in memory: reload this list when needed
                        state.neighbours.drop(cat.index[event.item_id])
                        if event.session_id is not None:
                            unheld.add(event.session_id)
                self._remember(event.event_id)
                self.position = event.position
        self._drop_lists_paired_in(conn, unheld)

    def _drop_lists_paired_in(self, conn: Connection, sessions: set[str]) -> None:
        """Drops the neighbour lists of the items of these sessions (not held in memory, so
        their new pairs were not counted in): each is loaded again, from the store, when next
        needed. Beyond a few sessions (another process's import), or where a session's items
        fill its stored list (an item paired and then pushed out of it is not named), every
        list is."""
        neighbours, index = self.state.neighbours, self.catalogue.index
        if len(sessions) > _SESSIONS_READ_FOR_PAIRS:
            neighbours.drop_all()
            return
        found = [row for s in sessions if (row := reader.session_row(conn, s)) is not None]
        if any(len(row.recent_ids) >= RECENT_ITEMS_PER_SESSION for row in found):
            neighbours.drop_all()
            return
        for row in found:
            for item_id in row.recent_ids:
                if (item := index.get(item_id)) is not None:
                    neighbours.drop(item)

    def _remember(self, event_id: str) -> None:
        self._caught[event_id] = None
        if len(self._caught) > _REMEMBERED_IDS:
            self._caught.popitem(last=False)

    @contextmanager
    def _reads(self) -> Iterator[Callable[[], Connection]]:
        """Gives a function returning one read snapshot, opened (and caught up to, so that
        what is loaded next matches memory) only if something has to be read."""
        with ExitStack() as stack:
            opened: list[Connection] = []

            def connection() -> Connection:
                if not opened:
                    assert self.engine is not None
                    opened.append(stack.enter_context(reader.snapshot(self.engine)))
                    self._catch_up(opened[0])
                return opened[0]

            yield connection

    def _load_missing(
        self,
        read: Callable[[], Connection],
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        items: Iterable[int] = (),
    ) -> None:
        """Loads what memory lacks (without a store: starts it empty)."""
        state, with_store = self.state, self.engine is not None
        if user_id is not None and user_id not in state.users:
            if with_store and text_flaw(user_id) is None:  # no stored id holds a NUL or a surrogate
                self._load_user(read(), user_id)
            else:
                state.new_user(user_id)
        if session_id is not None and session_id not in state.sessions:
            if with_store and text_flaw(session_id) is None:
                self._load_session(read(), session_id)
            else:
                state.new_session(session_id)
        missing = [item for item in dict.fromkeys(items) if not state.neighbours.loaded(item)]
        if missing:
            self._load_neighbours(read(), missing)
        if with_store:
            state.used(user_id, session_id)
            if not self._pending:  # events observed before the log has them live only in memory
                state.keep_within(self.config.customers_in_memory)

    def _load_user(self, conn: Connection, user_id: str) -> None:
        user = UserState()
        found = reader.user_row(conn, user_id)
        if found is not None:
            user.last_session, user.last_at = found
        for row in reader.user_item_rows(conn, user_id, self.config.history_items):
            index = self.catalogue.see(row["item_id"], None)
            user.items[index] = trace = trace_from_row(row)
            if trace.rating is not None:  # the scale is the ratings seen: loaded ones too
                self.state.ratings.see(trace.rating)
            if row["in_cart"] > 0:
                user.cart[index] = int(row["in_cart"])
            if row["purchased_at"] is not None:
                user.purchased[index] = int(row["purchased_at"])
        self.state.users[user_id] = user

    def _load_recent_users(self, conn: Connection) -> None:
        """The most recently active customers and their last sessions (a warm start)."""
        deadline = time.perf_counter() + self.config.preload_seconds
        for user_id in reader.recent_user_ids(conn, self.config.preload_users):
            if time.perf_counter() > deadline:
                break
            self._load_user(conn, user_id)
            self.state.users.move_to_end(user_id, last=False)  # the most recent is used last
            last = self.state.users[user_id].last_session
            if last is not None and last not in self.state.sessions:
                self._load_session(conn, last)
                self.state.sessions.move_to_end(last, last=False)

    def _load_session(self, conn: Connection, session_id: str) -> None:
        found = reader.session_row(conn, session_id)
        session = SessionState()
        if found is not None:
            session.store_id = found.store_id
            session.paired = [self.catalogue.see(i, None) for i in found.recent_ids]
            if found.search is not None and found.searched_at is not None:
                session.search(found.search, found.searched_at, found.searcher)
            user = self.state.users.get(found.user_id or "")
            traces = user.items if user is not None else {}
            # As `observe` keeps it: each item's latest touch, in time order.
            times = {i: (traces[i].last_at if i in traces else 0) for i in session.paired}
            session.recent = dict(sorted(times.items(), key=lambda kv: kv[1]))
        self.state.sessions[session_id] = session

    def _load_neighbours(self, conn: Connection, items: list[int]) -> None:
        cat, limit = self.catalogue, self.config.neighbours_per_item
        for item in items:
            row = {cat.see(b, None): count for b, count in reader.neighbour_rows(conn, cat.ids[item], limit)}
            for pairs in self._pending.values():
                for a, b in pairs:
                    if a == item:
                        row[b] = row.get(b, 0) + 1
                    elif b == item:
                        row[a] = row.get(a, 0) + 1
            self.state.neighbours.put(item, row)

    # --- following events ------------------------------------------------------------------

    def observe(self, event: Event | StoredEvent, position: int | None = None) -> None:
        """Folds one event into memory at once, so the next recommendation reflects it.

        Call it right after `Store.record` (passing the position `record` returned) or with a
        `StoredEvent` from the log. Events already folded in (by position, or by id when the
        position is unknown) are ignored, so observing and catching up never count twice.
        """
        row = _as_stored(event, position)
        with_store = self.engine is not None
        if with_store and self._already(row):
            return
        if with_store and row.position > self.position + 1:
            self.refresh()  # others wrote in between; the log has this event too
            if self._already(row):
                return
        if row.user_id is not None:
            with self._reads() as read:
                self._load_missing(read, user_id=row.user_id)
                if row.session_id is None and with_store and row.position and self.state.late(row):
                    read()  # the store may have put it in an earlier session: catching up folds it in
                    if self._already(row):
                        return
                if row.session_id is None:
                    row = row._replace(session_id=self.state.session_for(row))
                self._load_missing(read, session_id=row.session_id, items=self._next_anchors(row))
            if with_store and self._already(row):
                return
            session = self.state.sessions.get(row.session_id or "")
            if session is not None and session.store_id is None:
                session.store_id = row.store_id
        pairs: list[tuple[int, int]] | None = [] if with_store and not row.position else None
        self.state.apply(row, pairs=pairs)
        if self.model is not None:
            self.model.note(row, self.catalogue)
        if row.position:
            self.position = max(self.position, row.position)
        elif pairs is not None:
            self._pending[row.event_id] = pairs

    def _anchors(self, user: UserState, session: SessionState | None) -> list[int]:
        """The items a request builds on: the customer's own latest in the session (whose id
        other customers' events may carry too), or else the customer's latest. One they rated as
        a dislike is one too: what a customer takes next follows what they just took, liked or
        not (on MovieLens, leaving dislikes out here cost HR@10)."""
        n = self.config.anchors
        own = [i for i in reversed(session.recent) if i in user.items][:n] if session is not None else []
        return own or user.recent(n)

    def _next_anchors(self, row: StoredEvent) -> list[int]:
        """The anchors and cart of the request that usually follows this event, so that
        `observe` loads their neighbours in the snapshot it may open anyway."""
        user = self.state.users.get(row.user_id or "")
        if user is None:
            return []
        session = self.state.sessions.get(row.session_id or "")
        item = self.catalogue.index.get(row.item_id) if row.item_id is not None else None
        return ([] if item is None else [item]) + self._anchors(user, session) + list(user.cart)

    def _already(self, row: StoredEvent) -> bool:
        if row.position:
            return row.position <= self.position
        return row.event_id in self._caught

    # --- recommending ----------------------------------------------------------------------

    def hour(self, now: datetime | int | None = None) -> int:
        """The hour of the shop's day that a list asked for at `now` is ranked for: the hour
        its popularity at this kiosk and hour counts."""
        return self.state.context.hour(_micros(now))

    def current_session(self, user_id: str) -> str | None:
        """The session a request for this customer builds on when it names none (known once
        the customer has been asked for)."""
        user = self.state.users.get(user_id)
        return user.last_session if user is not None else None

    def dislikes(self, user_id: str, *, category: str | Sequence[str] | None = None) -> list[str]:
        """The items the customer rated as a dislike, which their lists leave out (known once
        the customer has been asked for); only those in `category`, where given, as a request
        for it takes them."""
        user = self.state.users.get(user_id)
        if user is None:
            return []
        found = _within(
            self.catalogue, np.asarray(user.dislikes(self.state.ratings), dtype=np.int64), category
        )
        return [self.catalogue.ids[i] for i in found.tolist()]

    def rules_hide_any(self, *, category: str | Sequence[str] | None = None) -> bool:
        """Whether the shop's never-show rules, as the recommender's policy applies them, keep
        any item of the catalogue out of its lists (any in `category`, where given, as a request
        for it takes them). Promotions hide nothing, nor does a rule for other categories."""
        rules = _rules_under(self.rules, self.config.policy)
        if not (rules.exclude_items or rules.exclude_categories):
            return False
        items = _within(self.catalogue, np.arange(len(self.catalogue)), category)
        return bool(rules.excluded(self.catalogue, items).any())

    def store_ids(self) -> list[str]:
        """The stores and kiosks named by the log's newest `context_warmup_events` and every
        event since, whatever the event (a kiosk's session starts and searches name it too)."""
        return sorted(self.state.context.stores)

    def candidates(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        category: str | Sequence[str] | None = None,
        context: RequestContext | Context | None = None,
        now: datetime | int | None = None,
    ) -> CandidateTable:
        """Every source's candidates for this request, before rules, blending and re-ranking."""
        for name, value in (("user_id", user_id), ("session_id", session_id)):
            if value is None and name == "session_id":
                continue
            if not isinstance(value, str):
                raise TypeError(f"{name} is an id as text, not {value!r:.80}")
            if not value.strip():
                raise ValueError(f"{name} is blank: it names one customer or session")
        categories = _category_names(category)
        if context is not None and not isinstance(context, RequestContext | Context):
            raise TypeError(f"context is a RequestContext or an event's Context, not {context!r:.80}")
        if self.model is not None:
            self.model.check(self.catalogue)
        with self._reads() as read:
            self._load_missing(read, user_id=user_id)
            user = self.state.users.get(user_id) or UserState()
            sid = session_id or user.last_session
            self._load_missing(read, session_id=sid)
            session = self.state.sessions.get(sid) if sid else None
            anchors = self._anchors(user, session)
            cart = list(user.cart)
            self._load_missing(read, items=anchors + cart)
        now_us = _micros(now)
        store_id = context.store_id if context is not None else None
        if store_id is None and session is not None:
            store_id = session.store_id
        hour = context.hour if isinstance(context, RequestContext) else None
        weekday = context.weekday if isinstance(context, RequestContext) else None
        cat = self.catalogue
        request = Request(
            user_id=user_id,
            user=user,
            session=session,
            catalogue=cat,
            state=self.state,
            now_us=now_us,
            store_id=store_id,
            # A RequestContext's hour and day are in range (it refuses others).
            hour=self.state.context.hour(now_us) if hour is None else int(hour),
            weekday=self.state.context.weekday(now_us) if weekday is None else int(weekday),
            category=None if categories is None else _category_codes(cat, categories),
            anchors=anchors,
            cart=cart,
        )
        limit = self.config.candidates_per_source
        results = [source.candidates(request, limit) for source in self.sources]
        return self._table(request, results)

    def _table(self, request: Request, results: list[SourceResult]) -> CandidateTable:
        parts = [r.indices for r in results if len(r.indices)]
        if not parts:
            return CandidateTable(np.zeros(0, np.int64), np.zeros((0, len(self.names))), self.names, request)
        unique, inverse = np.unique(np.concatenate(parts), return_inverse=True)
        features = np.zeros((len(unique), len(self.names)))
        offset = 0
        for result in results:
            size = len(result.indices)
            if not size:
                continue
            rows = inverse[offset : offset + size]
            for name, values in result.features.items():
                features[rows, self._column[name]] = values
            offset += size
        top = features.max(axis=0)
        top[top <= 0] = 1.0
        features /= top
        return CandidateTable(unique, features, self.names, request)

    def recommend(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        k: int = 10,
        category: str | Sequence[str] | None = None,
        context: RequestContext | Context | None = None,
        now: datetime | int | None = None,
        exclude: Iterable[str] = (),
        policy: Policy | None = None,
    ) -> list[Recommendation]:
        """The top-k for this customer now, with shop rules, variety and explanations; only
        items in `category` (each category holding those under it), or in any of several."""
        table = self.candidates(user_id, session_id=session_id, category=category, context=context, now=now)
        return self.finish(table, k=k, exclude=exclude, policy=policy or self.config.policy)

    def finish(
        self, table: CandidateTable, *, k: int, exclude: Iterable[str] = (), policy: Policy
    ) -> list[Recommendation]:
        """Blends, filters, boosts, re-ranks and explains one request's candidates."""
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"k must be a whole number of items, at least 1, not {k!r}")
        k = int(k)
        request, cat = table.request, self.catalogue
        request.forget_notes()
        idx = table.indices
        scores = table.scores(self._ranking)
        banned = self._banned(request, exclude, policy)
        rules = _rules_under(self.rules, policy)
        mask = self._allowed(idx, request, banned, policy, rules)
        boost = rules.boosts(cat, idx) if not rules.empty else np.zeros(len(idx))
        scores = scores * (1.0 + boost)
        valid = np.flatnonzero(mask)
        # A request for one category is not capped; one for a category holding others caps each.
        one_category = (
            request.category is not None and len(np.unique(cat.groups("category", request.category))) <= 1
        )
        share = None if one_category else policy.max_category_share
        pool = valid
        if len(valid) > max(5 * k, 50):
            pool = valid[np.argpartition(-scores[valid], max(5 * k, 50) - 1)[: max(5 * k, 50)]]
            if places_filled(cat.groups("category", cat.category[idx[pool]]), k, share) < k:
                pool = valid  # the category cap needs a deeper pool
        pool_idx, pool_scores = idx[pool], scores[pool]
        chosen = self._rerank(pool, pool_idx, pool_scores, k, policy, share)
        if len(chosen) < k:  # the sources ran dry: popular items, then any allowed item
            wanted = 4 * k if share is not None else k - len(pool)
            extra = self._fill(wanted, request, banned, policy, rules, set(pool_idx.tolist()))
            pool, pool_idx, pool_scores = _with_fill_ins(pool, pool_idx, pool_scores, extra)
            chosen = self._rerank(pool, pool_idx, pool_scores, k, policy, share)
        if len(chosen) < k and share is not None:
            # Categories at their cap: any other category's items, however unpopular, first.
            groups, counts = np.unique(
                cat.groups("category", cat.category[pool_idx[chosen]]), return_counts=True
            )
            capped = groups[(counts >= category_cap(k, share)) & (groups >= 0)]
            taken = set(pool_idx.tolist())
            extra = self._fill(k - len(chosen), request, banned, policy, rules, taken, skip_groups=capped)
            if len(extra):
                pool, pool_idx, pool_scores = _with_fill_ins(pool, pool_idx, pool_scores, extra)
                chosen = self._rerank(pool, pool_idx, pool_scores, k, policy, share)
        if len(chosen) < k and len(chosen) < len(pool_idx):
            # Every category left is at its cap: it gives way rather than leave places empty.
            taken = set(chosen)
            rest = [p for p in np.argsort(-pool_scores, kind="stable").tolist() if p not in taken]
            chosen += rest[: k - len(chosen)]
        rows = pool[chosen]
        scored = rows >= 0  # not a fill-in
        boosts = np.zeros(len(rows))
        boosts[scored] = boost[rows[scored]]
        if not rules.empty and not scored.all():  # fill-ins: their promotion is shown too
            boosts[~scored] = rules.boosts(cat, pool_idx[chosen][~scored])
        per_source = np.zeros((len(rows), len(self.sources)))
        per_source[scored] = (table.features[rows[scored]] * self._ranking) @ self._feature_source
        return [
            self._explain(
                table.request,
                int(pool_idx[p]),
                float(pool_scores[p]),
                item_boost,
                rules,
                source_scores,
            )
            for p, item_boost, source_scores in zip(chosen, boosts.tolist(), per_source, strict=True)
        ]

    def _rerank(
        self,
        pool: np.ndarray,
        pool_idx: np.ndarray,
        pool_scores: np.ndarray,
        k: int,
        policy: Policy,
        share: float | None,
    ) -> list[int]:
        if not len(pool_idx):
            return []
        cat = self.catalogue
        return rerank(
            pool_scores,
            cat.groups("category", cat.category[pool_idx]),
            cat.groups("brand", cat.brand[pool_idx]),
            k,
            mmr_lambda=policy.mmr_lambda,
            max_category_share=share,
            fill_in=pool < 0,
        )

    def _banned(self, request: Request, exclude: Iterable[str], policy: Policy) -> np.ndarray:
        user = request.user
        if isinstance(exclude, str):
            exclude = [exclude]  # one item's id, not its letters
        banned = [self.catalogue.index[i] for i in exclude if i in self.catalogue.index]
        # Never an item the customer rated as a dislike, whatever brings it (co-occurrence,
        # popularity, a fill-in): they said no to it.
        banned += user.dislikes(self.state.ratings)
        if policy.exclude_in_cart:
            banned += list(user.cart)
        if policy.exclude_purchased:
            window = policy.repurchase_after_s
            banned += [
                i for i, at in user.purchased.items() if window is None or request.now_us - at < window * 1e6
            ]
        return np.asarray(banned, dtype=np.int64)

    def _allowed(
        self, idx: np.ndarray, request: Request, banned: np.ndarray, policy: Policy, rules: RuleSet
    ) -> np.ndarray:
        cat = self.catalogue
        mask = cat.available(idx) if policy.exclude_unavailable else np.ones(len(idx), bool)
        if len(banned):
            mask &= ~np.isin(idx, banned)
        if not rules.empty:
            mask &= ~rules.excluded(cat, idx)
        if request.category is not None:
            mask &= cat.in_categories(idx, request.category)
        return mask

    def _fill(
        self,
        needed: int,
        request: Request,
        banned: np.ndarray,
        policy: Policy,
        rules: RuleSet,
        taken: set[int],
        skip_groups: np.ndarray | None = None,
    ) -> np.ndarray:
        """More items when the sources ran dry: popular ones first, then any allowed item (none
        of the category groups in `skip_groups`); within each, the shop's promoted items first,
        the most promoted first."""
        cat = self.catalogue
        pools = [np.asarray(cat.top.ranked(), dtype=np.int64), np.arange(len(cat), dtype=np.int64)]
        found: list[int] = []
        for pool in pools:
            if not len(pool):
                continue
            if not rules.empty:
                pool = pool[np.argsort(-rules.boosts(cat, pool), kind="stable")]
            ok = pool[self._allowed(pool, request, banned, policy, rules)]
            if skip_groups is not None and len(skip_groups):
                ok = ok[~np.isin(cat.groups("category", cat.category[ok]), skip_groups)]
            for i in ok.tolist():
                if i not in taken:
                    taken.add(i)
                    found.append(i)
                    if len(found) >= needed:
                        return np.asarray(found, dtype=np.int64)
        return np.asarray(found, dtype=np.int64)

    def _explain(
        self,
        request: Request,
        item: int,
        score: float,
        boost: float,
        rules: RuleSet,
        source_scores: np.ndarray,
    ) -> Recommendation:
        """The item with its sources' shares and up to three reasons, the strongest source's
        first (a source below `_MIN_SHARE` of the score gives none)."""
        cat = self.catalogue
        contributions = {
            source.name: float(value)
            for source, value in zip(self.sources, source_scores.tolist(), strict=True)
            if value > 0
        }
        total = sum(contributions.values())
        evidence: list[Evidence] = []
        own_events: set[tuple[str, Any]] = set()
        for name in sorted(contributions, key=contributions.__getitem__, reverse=True):
            if len(evidence) >= _REASONS:
                break
            if contributions[name] >= _MIN_SHARE * total:
                for found in self._by_name[name].explain(request, item):
                    # One reason per event of the item's own ("You viewed X", "Back to X, which
                    # you viewed" say the same): another source's reason is kept only if new.
                    if found.item_id == cat.ids[item] and found.event_type is not None:
                        said = (found.event_type, found.at)
                        if said in own_events:
                            continue
                        own_events.add(said)
                    evidence.append(found)
        if boost > 0 and len(evidence) < _REASONS and (why := rules.reason(cat, item)) is not None:
            evidence.append(Evidence("rules", "Promoted by the shop", item_id=cat.ids[item], attribute=why))
        if not evidence:
            evidence = _fallback_evidence(cat, item, request.now_us)
        shares = {k: v / total for k, v in contributions.items()} if total > 0 else {}
        return Recommendation(
            item_id=cat.ids[item],
            # A fill-in that no source scored ranks below the rest by a hair under their lowest
            # score; with nothing else on the list that went below 0 (shown as -0.000).
            score=max(score, 0.0),
            title=cat.titles[item],
            category=cat.category_name(item),
            brand=cat.brands[item],
            sources=shares,
            reasons=[e.text for e in evidence[:_REASONS]],
            evidence=evidence[:_REASONS],
        )


def store_catalogue(store: Any) -> Catalogue:
    """The store's items with their titles, categories, brands and stock, as a recommender
    opened on it holds them (without their popularity)."""
    catalogue = Catalogue()
    with reader.snapshot(store if isinstance(store, Engine) else store.engine) as conn:
        _load_listings(conn, catalogue)
    return catalogue


def _seen(cat: Catalogue, item_ids: Sequence[str], payloads: Sequence[Any]) -> list[int]:
    """`cat.see` of each item an event names with the category its payload gives, in turn; but
    only the payloads of the items the catalogue does not know, or knows of no category, are
    read (`see` changes nothing for the others)."""
    found = [cat.index.get(item_id, -1) for item_id in item_ids]
    known = np.asarray(found, dtype=np.int64)
    for n in np.flatnonzero((known < 0) | (cat.category[known] < 0)).tolist():
        found[n] = cat.see(item_ids[n], reader.category_in(payloads[n]))
    return found


def _load_listings(conn: Connection, catalogue: Catalogue) -> None:
    for item_id, status, title, category, brand, stock, at, stock_at in reader.catalogue_rows(conn):
        fields = {"title": title, "category": category, "brand": brand, "stock": stock}
        stated = NO_TIME if stock_at is None else stock_at
        catalogue.apply_listing(
            item_id, fields, status=status, at_us=at or 0, full=True, arrival=False, stock_at=stated
        )


def _snapshot_path(store: Any) -> Path | None:
    """The trainer's snapshot file for this store (None without a store)."""
    folder = _model_folder(store)
    return folder / SNAPSHOT_FILE if folder is not None else None


def _rules_under(rules: RuleSet, policy: Policy) -> RuleSet:
    """The part of the shop's rules a policy applies: turning promotions off keeps the
    never-show lists, and the reverse."""
    if not policy.apply_boosts:
        rules = replace(rules, promote_items={}, promote_categories={}, promote_brands={})
    if not policy.apply_exclusions:
        rules = replace(rules, exclude_items=frozenset(), exclude_categories=frozenset())
    return rules


def _with_fill_ins(
    pool: np.ndarray, pool_idx: np.ndarray, pool_scores: np.ndarray, extra: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pool with fill-in items after it: scored just below its lowest, in their order, and
    marked -1 (no candidate row) in `pool`."""
    low = pool_scores.min() if len(pool_scores) else 0.0
    return (
        np.concatenate([pool, np.full(len(extra), -1)]),
        np.concatenate([pool_idx, extra]),
        np.concatenate([pool_scores, low - 1e-6 * np.arange(1, len(extra) + 1)]),
    )


# What reading a configuration file that is not there right raises.
UNREADABLE_CONFIG = (OSError, ValueError, TypeError)


def stored_config(store: Any) -> RecommenderConfig:
    """The store's own configuration file, else the shipped configuration; one of
    `UNREADABLE_CONFIG` where the file is there but cannot be read."""
    path = shop_config_path(store)
    if path is None or not path.exists():
        return RecommenderConfig.default()
    try:
        return RecommenderConfig.load(path)
    except UnknownKeys as exc:
        raise ValueError(f"{exc}{_where_they_go(exc, store)}") from exc


def _where_they_go(unknown: UnknownKeys, store: Any) -> str:
    """Where the keys the store's configuration does not know belong, for those known elsewhere:
    a shop rule in the rules file, a policy key under "policy", a weight under "weights"."""
    top_level, policy = {f.name for f in fields(RecommenderConfig)}, {f.name for f in fields(Policy)}
    said = []
    for key in unknown.keys:
        if key in RULE_KEYS:
            rules = shop_rules_path(store)
            said.append(f"{key} is a shop rule, for the rules file {rules} that `edgerec rules set` writes")
        elif unknown.section is None and key in policy:
            said.append(f'{key} goes under "policy"')
        elif unknown.section is None and key in WEIGHT_NAMES:
            said.append(f'{key} is a weight: it goes under "weights"')
        elif unknown.section == "policy" and key in top_level:
            said.append(f'{key} goes at the top level, not under "policy"')
    return "".join(f"; {line}" for line in said)


def ignored_config(store: Any) -> str | None:
    """Why the store's own configuration file is ignored, the shipped configuration served in
    its place (`Recommender.config_for`); None where it is read, or there is none."""
    return _read_config(store)[1]


def _read_config(store: Any) -> tuple[RecommenderConfig, str | None]:
    """The store's own configuration, else the shipped one and why the store's is ignored."""
    try:
        return stored_config(store), None
    except UNREADABLE_CONFIG as exc:
        return (
            RecommenderConfig.default(),
            f"ignoring {shop_config_path(store)} ({exc}); using the shipped configuration",
        )


def shop_config_path(store: Any) -> Path | None:
    """The store's own recommender configuration file (None without a store)."""
    folder = _model_folder(store)
    return folder / SHOP_CONFIG_FILE if folder is not None else None


def shop_rules_path(store: Any) -> Path | None:
    """The store's own rules file (None without a store)."""
    folder = _model_folder(store)
    return folder / SHOP_RULES_FILE if folder is not None else None


def _model_folder(store: Any) -> Path | None:
    """The trainer's folder for a store or its engine (None without one, or in memory)."""
    if store is None:
        return None
    url = make_url(store.url) if not isinstance(store, Engine) else store.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return model_dir(url.render_as_string(hide_password=True))


def _fallback_evidence(cat: Catalogue, item: int, now_us: int) -> list[Evidence]:
    """Why an item no source suggested is on the list: new, or simply there to be had."""
    listed_at = int(cat.listed_at[item])
    if listed_at and cat.interactions[item] == 0 and now_us - listed_at < NEWLY_LISTED_US:
        return [Evidence("popularity", "Newly listed", item_id=cat.ids[item], attribute=("status", "listed"))]
    name = cat.category_name(item)
    if name and name.strip():
        return [
            Evidence(
                "popularity",
                f"Available now in {name.strip()}",
                item_id=cat.ids[item],
                attribute=("category", name),
            )
        ]
    return [Evidence("popularity", "Available now", item_id=cat.ids[item], attribute=("status", "available"))]


def _as_stored(event: Event | StoredEvent, position: int | None) -> StoredEvent:
    if isinstance(event, StoredEvent):
        return event if position is None else event._replace(position=position)
    return StoredEvent(position=position or 0, **event_to_row(event))


def _micros(now: datetime | int | None) -> int:
    if now is None:
        return to_micros(datetime.now(UTC))
    if isinstance(now, datetime):
        if now.utcoffset() is None:  # as for events: UTC is assumed nowhere
            raise ValueError(f"now must be timezone-aware, not {now.isoformat()}")
        return to_micros(now)
    if isinstance(now, bool) or not isinstance(now, numbers.Integral):
        raise TypeError(f"now must be a timezone-aware datetime or microseconds since 1970, not {now!r}")
    return int(now)


def _within(cat: Catalogue, items: np.ndarray, category: str | Sequence[str] | None) -> np.ndarray:
    """The `items` in `category` (each named with those under it, as a request takes them); all
    of them where no category is given."""
    names = _category_names(category)
    return items if names is None else items[cat.in_categories(items, _category_codes(cat, names))]


def _category_codes(cat: Catalogue, names: tuple[str, ...]) -> np.ndarray:
    """The codes of the categories named and those under them (one category's as they are)."""
    if len(names) == 1:
        return cat.categories_under(names[0])
    return np.unique(np.concatenate([cat.categories_under(name) for name in names]))


def _category_names(category: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The categories a request asks for: one name, or a list or tuple of several (a request
    for ["Toys", "Kitchen"] takes items in either)."""
    if category is None:
        return None
    names = (category,) if isinstance(category, str) else category
    if not isinstance(names, list | tuple | set | frozenset) or not all(
        isinstance(name, str) for name in names
    ):
        raise TypeError(f"category is a category's name as text, or a list of them, not {category!r:.80}")
    if not names:  # read as "none of them" or as "any": neither is said
        raise ValueError("category is an empty list: name at least one, or give None for every category")
    blank = [name for name in names if not category_path(name)]
    if blank:  # " " or "/" names no category: read as every one, or as none, it says neither
        raise ValueError(f"category {blank[0]!r} names no category: give a name, or None for every category")
    return tuple(names)
