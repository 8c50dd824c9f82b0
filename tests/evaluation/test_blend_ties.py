"""Blend tuning where validation NDCG@10 cannot tell its members apart."""

from __future__ import annotations

import numpy as np
import pytest

from edgerec.evaluation.blending import tune_blend
from edgerec.evaluation.split import Cases
from edgerec.models.data import EventWeights, History, Interactions
from edgerec.models.popularity import Popularity, PopularityConfig

DAY = 86_400_000_000
TARGET = 20


def _log() -> Interactions:
    """Items 0-9 viewed 20 times each lately, 10-19 16 times long ago, the target 15 times lately:
    without decay the target is 21st, with a short half-life 11st; in no top 10 either way."""
    items, times = [], []
    for item, views, when in [*((i, 20, 100) for i in range(10)), *((i, 16, 0) for i in range(10, 20))]:
        items += [item] * views
        times += [when * DAY] * views
    items += [TARGET] * 15
    times += [100 * DAY] * 15
    n = len(items)
    return Interactions(
        item_ids=tuple(f"item{i}" for i in range(30)),
        user_ids=tuple(f"user{u}" for u in range(n)),
        user=np.arange(n),
        item=np.array(items),
        event=np.ones(n, dtype=np.int64),
        time=1_700_000_000_000_000 + np.array(times),
        position=np.arange(n),
    )


def test_members_tied_at_zero_ndcg_are_told_apart_by_where_their_targets_rank() -> None:
    """On a small temporal split every member can score 0: the blend took the first member in a
    fixed order (co-occurrence), which did worse on the test than item-kNN."""
    log = _log()
    undecayed = Popularity(PopularityConfig(EventWeights(half_life_days=None))).fit(log, seed=0)
    decayed = Popularity(PopularityConfig(EventWeights(half_life_days=5.0))).fit(log, seed=0)
    cases = Cases([History(items=[29])] * 4, np.full(4, TARGET), np.arange(4))
    excl = [[29]] * 4
    # cooccurrence comes first in the fixed order, and ranks the targets lower
    blend, single, tied = tune_blend({"cooccurrence": undecayed, "itemknn": decayed}, cases, excl)
    assert single["cooccurrence"] == single["itemknn"] == 0.0
    assert tied == pytest.approx({"cooccurrence": 1 / 21, "itemknn": 1 / 11})
    assert blend.weights_by_name() == {"itemknn": 1.0}
