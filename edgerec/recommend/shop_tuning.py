"""Tuning the blend on a shop's own log, checked on newer events the search never saw.

The shipped weights were tuned on public streams, and shops differ: on the Taobao slice,
weights tuned on its own first half lifted the engine with a frozen model from 0.0479 to
0.0546 HR@10 (README). `tune_shop` replays the newest customer events of a store's log in time
order, with the catalogue events listed before and among them, and the incremental trainer
following in process as `edgerec train --follow` would. The oldest half of the customer events
warms the state up; the weights are searched on the requests of the next 30 %; the newest 20 %
are the check: the current and the tuned weights are both scored on them, and the tuned ones
are kept only when they do better there.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edgerec.domain import CATALOGUE_TYPES, EventType
from edgerec.recommend.config import RecommenderConfig
from edgerec.recommend.engine import UNREADABLE_CONFIG, Recommender, shop_config_path, stored_config
from edgerec.recommend.tune import IMPROVEMENT, evaluate, replay, tune_weights
from edgerec.store.codec import StoredEvent
from edgerec.training.files import check_room, write_atomically
from edgerec.training.published import Snapshot

WARM_SHARE = 0.5  # of the customer events replayed: state and model only
CHECK_SHARE = 0.2  # the newest customer events: the held-out check
MRR_WEIGHT = 0.1  # the objective is HR@10 + 0.1 MRR@10, as tune_weights maximises
NO_CONFIG_FILE = "this store has no file beside it to keep a configuration in"
Progress = Callable[[int, int], None]
_CUSTOMER_TYPES = tuple(t.value for t in EventType if t not in CATALOGUE_TYPES)


class TuningError(ValueError):
    """The log cannot support a tuning run (too few events or answerable requests)."""


class TuningStopped(Exception):
    """The caller asked the tuning run to stop (`stopped` said so): nothing was tuned."""


class FollowingTrainer:
    """The incremental trainer following a replay in process: learns each block of customer
    events, then installs its snapshot into the recommender's model (no files, deterministic)."""

    def __init__(self, folder: Path, *, block: int, device: str) -> None:
        from edgerec.api import Store
        from edgerec.training import Trainer

        # The trainer only needs a store for its own reads, which `learn` does not make.
        self.store = Store(folder / "trainer.db", synchronous="OFF")
        self.trainer = Trainer(self.store, directory=folder / "model", device=device)
        self.block = block
        self.pending: list[StoredEvent] = []
        self.pending_customer_events = 0
        self.seconds = 0.0

    def after(self, recommender: Recommender, event: StoredEvent) -> None:
        """Learns once `block` customer events are pending. Catalogue events wait with them: a
        catalogue listed in bulk is one step of learning, not one per thousand listings."""
        if recommender.model is None or recommender.model.frozen:
            return
        self.pending.append(event)
        self.pending_customer_events += event.type not in CATALOGUE_TYPES
        if self.pending_customer_events >= self.block:
            self.flush(recommender)

    def following(self, recommender: Recommender) -> Callable[[StoredEvent, int], None]:
        return lambda event, _number: self.after(recommender, event)

    def flush(self, recommender: Recommender) -> None:
        if not self.pending or recommender.model is None:
            return
        started = time.perf_counter()
        self.trainer.learn(self.pending)
        self.pending = []
        self.pending_customer_events = 0
        snapshot = Snapshot(**self.trainer.snapshot_fields())
        recommender.model.install(snapshot, recommender.catalogue)
        self.seconds += time.perf_counter() - started

    def close(self) -> None:
        self.store.close()


def replay_recommender(config: RecommenderConfig) -> Recommender:
    """A recommender built only from the events it observes, for replays."""
    recommender = Recommender(None, config=config)
    assert recommender.model is not None
    # Exact scoring at every size: a replay swaps snapshots often, and what it measures should
    # not depend on the approximate index (whose recall bench_realtime.py measures).
    recommender.model.source.exact_max_items = 10**9
    return recommender


@dataclass(frozen=True, slots=True)
class Scores:
    hr10: float
    mrr10: float

    @property
    def objective(self) -> float:
        return self.hr10 + MRR_WEIGHT * self.mrr10


@dataclass(frozen=True, slots=True)
class ShopTuning:
    """What `tune_shop` found; `current`/`tuned` are scored on the check events only."""

    weights: dict[str, float]
    current: Scores
    tuned: Scores
    events: int  # customers' events replayed (catalogue events not counted)
    first_position: int
    last_position: int
    tune_requests: int
    tune_answerable: int
    check_requests: int
    seconds: float
    started_weights: dict[str, float]

    @property
    def better(self) -> bool:
        """Whether the tuned weights did better on the check events: by more than float noise
        (`IMPROVEMENT`), or a tie, the same ranks summed in another order, saved them."""
        return self.tuned.objective > self.current.objective + IMPROVEMENT

    @property
    def tied(self) -> bool:
        """Whether the tuned weights did as well on the check events as the current ones."""
        return abs(self.tuned.objective - self.current.objective) <= IMPROVEMENT

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "better": self.better}


def tune_shop(
    store: Any,
    *,
    config: RecommenderConfig | None = None,
    max_events: int = 200_000,
    block: int = 1_000,
    device: str = "cpu",
    progress: Progress | None = None,
    stopped: Callable[[], bool] | None = None,
) -> ShopTuning:
    """Tunes the blend on the newest `max_events` customer events of `store`'s log (see the module).

    `stopped`, asked every hundred events replayed and between the steps, ends the run with
    TuningStopped once it says so (the console's quit).
    """

    def stop_if_asked() -> None:
        if stopped is not None and stopped():
            raise TuningStopped("the tuning run was stopped")

    started = time.perf_counter()
    if max_events < 100:
        raise TuningError(f"a window of {max_events} customer events is too small; tuning needs at least 100")
    config = config or Recommender.config_for(store)
    # The newest by time, not the last logged: an imported file may run by customer. The
    # catalogue events logged after the first of them are replayed among them, the rest before.
    newest = store.newest(max_events, _CUSTOMER_TYPES)
    since = min((event.position for event in newest), default=store.head()) - 1
    listings = store.read(since=since, types=[t.value for t in CATALOGUE_TYPES])
    # In time order, not log order: its newest events by time must be the check, never events
    # the warm-up or the search saw later ones of.
    events = sorted(newest + listings, key=lambda event: (event.occurred_at, event.position))
    # Shares are of the customers' events: a catalogue listed in bulk is not half a warm-up.
    customer = [i for i, event in enumerate(events) if event.type not in CATALOGUE_TYPES]
    if len(customer) < 100:
        raise TuningError(f"the log has {len(customer)} customer events; tuning needs at least 100")
    tune_from = customer[int(len(customer) * WARM_SHARE)]
    check_from = customer[int(len(customer) * (1 - CHECK_SHARE))]
    recommender = replay_recommender(config)
    with tempfile.TemporaryDirectory(prefix="edgerec-tune-") as folder:
        trainer = FollowingTrainer(Path(folder), block=block, device=device)
        done = 0

        def after(event: StoredEvent, _number: int) -> None:
            nonlocal done
            trainer.after(recommender, event)
            done += 1
            if done % 100 == 0:
                stop_if_asked()
            if progress is not None and done % 1000 == 0:
                progress(done, len(events))

        def listed(event: StoredEvent) -> None:
            recommender.observe(event)
            trainer.after(recommender, event)  # learnt with the first block: the items' content
            stop_if_asked()

        try:
            _replay_listings(store, until=since, show=listed)
            seen: set[str] = set()
            tuning = replay(recommender, events[:check_from], count_from=tune_from, after=after, seen=seen)
            check = replay(recommender, events[check_from:], after=after, seen=seen)
        finally:
            trainer.close()
    if progress is not None:
        progress(len(events), len(events))
    if not tuning.parts:
        raise TuningError(
            f"none of the {tuning.requests:,} requests of returning customers in the tuning events "
            "had its next item among the candidates: too little history to tune on"
        )
    start = dict(zip(recommender.names, recommender.weights.tolist(), strict=True))
    stop_if_asked()
    weights, _ = tune_weights([tuning], start)
    return ShopTuning(
        weights=weights,
        current=Scores(*evaluate(check, recommender.weight_vector(start))),
        tuned=Scores(*evaluate(check, recommender.weight_vector(weights))),
        events=len(customer),
        first_position=min(event.position for event in events),
        last_position=max(event.position for event in events),
        tune_requests=tuning.requests,
        tune_answerable=len(tuning.parts),
        check_requests=check.requests,
        seconds=time.perf_counter() - started,
        started_weights={k: round(v, 4) for k, v in start.items()},
    )


def save_tuning(store: Any, result: ShopTuning, config: RecommenderConfig | None = None) -> Path:
    """Writes the tuned weights as the store's recommender configuration; returns the file."""
    path = shop_config_path(store)
    if path is None:
        raise TuningError(NO_CONFIG_FILE)
    config = config or saved_config(store)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    tuned = config.with_weights(
        result.weights,
        tuned_on=(
            f"edgerec tune at {when}: log positions {result.first_position}-{result.last_position}; "
            f"check HR@10 {result.current.hr10:.4f} -> {result.tuned.hr10:.4f}"
        ),
    )
    write_atomically(path, tuned.to_text().encode())  # a reader sees the old file or the new one
    return path


def check_saving(store: Any) -> None:
    """Refuses, before minutes of replay rather than after them, a tuning whose weights could
    not be saved: no room beside the store (`FileWriteError`), or a configuration file there
    that cannot be read (`TuningError`)."""
    target = shop_config_path(store)
    if target is not None:
        check_room(target)
        saved_config(store)


def why_not_saved(store: Any) -> str | None:
    """What would stop tuned weights being saved, found without writing anything (for a dry
    run): no file beside the store, or a configuration file there that cannot be read."""
    if shop_config_path(store) is None:
        return NO_CONFIG_FILE
    try:
        saved_config(store)
    except TuningError as exc:
        return str(exc)
    return None


def saved_config(store: Any) -> RecommenderConfig:
    """The store's own configuration, to save tuned weights into; TuningError where the file is
    there but cannot be read: writing over it would lose the shop's own settings, which serving
    falls back from without a word in the file (`Recommender.config_for`)."""
    try:
        return stored_config(store)
    except UNREADABLE_CONFIG as exc:
        raise TuningError(
            f"{shop_config_path(store)} cannot be read ({exc}); the tuned weights are not saved over "
            "it: fix the file, or remove it to start from the shipped configuration"
        ) from exc


def _replay_listings(
    store: Any, *, until: int, show: Callable[[StoredEvent], None], page: int = 20_000
) -> None:
    """Shows the catalogue events up to log position `until`, in order, a page at a time."""
    types = [t.value for t in CATALOGUE_TYPES]
    since = 0
    while since < until:
        listings = store.read(since=since, limit=page, types=types)
        for listing in listings:
            if listing.position > until:
                return
            show(listing)
        if len(listings) < page:
            return
        since = listings[-1].position
