"""Tuning the blend on a validation stream: log every candidate's features once, then search.

A prequential replay asks the recommender for its candidates before each event of a customer
seen before, and keeps the candidate features of the requests whose next item was among them
(the others are misses whatever the weights). Coordinate ascent then picks the weights that
maximise hit rate at k on that log, re-scoring it with one matrix product per trial.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from edgerec.domain import INTERACTION_TYPES, EventType
from edgerec.recommend.engine import Recommender
from edgerec.store.codec import StoredEvent

TARGET_TYPES = INTERACTION_TYPES - {EventType.REMOVED_FROM_CART}
# The least gain in HR@k + mrr_weight * MRR@k that is one: the same ranks over the requests in
# another order are a tie, but their MRR, a sum of floats, may come out a unit in the last
# place apart (ranks 1, 2, 6 against 2, 6, 1: 0.32539682539682535 and 0.3253968253968254).
# The least real change, one request's rank moving from 10th to 9th (k = 10), moves it by
# 0.1 * (1/9 - 1/10) / requests: 1.1e-9 among a million requests (more among fewer).
IMPROVEMENT = 1e-9


@dataclass(slots=True)
class FeatureLog:
    """Candidate features of the answerable requests of a replay."""

    names: tuple[str, ...]
    requests: int = 0  # every request made, answerable or not
    parts: list[np.ndarray] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)  # row of the true item within its part

    def add(self, features: np.ndarray, target_row: int) -> None:
        self.parts.append(features.astype(np.float32))
        self.targets.append(target_row)

    def merged(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All rows, the request each row belongs to, and each request's target row."""
        if not self.parts:
            return np.zeros((0, len(self.names)), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64)
        sizes = np.array([len(p) for p in self.parts])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return (
            np.concatenate(self.parts),
            np.repeat(np.arange(len(sizes)), sizes),
            starts + np.asarray(self.targets),
        )


def evaluate(
    log: FeatureLog,
    weights: np.ndarray,
    k: int = 10,
    merged: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[float, float]:
    """(hit rate at k, MRR at k) over every request of the log for these weights.

    A tie with the true item counts against it when the tied item comes first in candidate
    order, as in the recommender's stable sort.
    """
    rows, request_of, target_rows = merged or log.merged()
    if log.requests == 0:
        return 0.0, 0.0
    if not len(target_rows):
        return 0.0, 0.0
    scores = rows @ weights.astype(np.float32)
    target_score = scores[target_rows][request_of]
    ahead = (scores > target_score) | (
        (scores == target_score) & (np.arange(len(scores)) < target_rows[request_of])
    )
    rank = np.bincount(request_of, weights=ahead, minlength=len(target_rows))
    hit = rank < k
    return float(hit.sum() / log.requests), float((hit / (rank + 1)).sum() / log.requests)


def replay(
    recommender: Recommender,
    events: Iterable[StoredEvent],
    *,
    count_from: int = 0,
    on_request: Callable[[StoredEvent, int], None] | None = None,
    after: Callable[[StoredEvent, int], None] | None = None,
    seen: set[str] | None = None,
) -> FeatureLog:
    """Prequential replay that logs candidate features from event number `count_from` on.

    `after(event, number)` runs once each event is observed (a trainer following the replay).
    `seen` holds the customers with earlier events, and gains this replay's (to continue a
    replay where another one stopped).
    """
    log = FeatureLog(recommender.names)
    seen = set() if seen is None else seen
    for number, event in enumerate(events):
        user = event.user_id
        if (
            number >= count_from
            and user is not None
            and user in seen
            and event.type in TARGET_TYPES
            and event.item_id is not None
        ):
            table = recommender.candidates(user, now=event.occurred_at)
            log.requests += 1
            target = recommender.catalogue.index.get(event.item_id)
            if target is not None and len(table.indices):
                where = np.searchsorted(table.indices, target)
                if where < len(table.indices) and table.indices[where] == target:
                    log.add(table.features, int(where))
            if on_request is not None:
                on_request(event, number)
        if user is not None:
            seen.add(user)
        recommender.observe(event)
        if after is not None:
            after(event, number)
    return log


def tune_weights(
    logs: Sequence[FeatureLog],
    start: dict[str, float],
    *,
    k: int = 10,
    rounds: int = 3,
    mrr_weight: float = 0.1,
) -> tuple[dict[str, float], float]:
    """Coordinate ascent on the mean over `logs` of HR@k + mrr_weight * MRR@k.

    Returns the best weights found and their objective.
    """
    names = logs[0].names
    merged = [log.merged() for log in logs]

    def objective(w: np.ndarray) -> float:
        total = 0.0
        for log, m in zip(logs, merged, strict=True):
            hr, mrr = evaluate(log, w, k, m)
            total += hr + mrr_weight * mrr
        return total / len(logs)

    weights = np.array([start.get(n, 0.0) for n in names], dtype=np.float64)
    best = objective(weights)
    for _ in range(rounds):
        improved = False
        for j in range(len(names)):
            current = weights[j]
            trials = {
                0.0,
                current * 0.5,
                current * 2.0,
                current * 0.8,
                current * 1.25,
                0.01,
                0.03,
                0.1,
                0.3,
                1.0,
                3.0,
            }
            for value in sorted(trials - {current}):
                trial = weights.copy()
                trial[j] = value
                score = objective(trial)
                if score > best + IMPROVEMENT:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    scale = weights.max() or 1.0
    return {n: round(float(w / scale), 4) for n, w in zip(names, weights, strict=True)}, best
