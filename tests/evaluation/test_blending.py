"""Blend tuning on shortlists: the same ranks as the whole catalogue, and weights that help."""

from __future__ import annotations

import numpy as np
import torch

from edgerec.evaluation.blending import shortlist_scores, tune_blend
from edgerec.evaluation.harness import case_masks, rank_cases
from edgerec.evaluation.metrics import mask_scores, target_ranks
from edgerec.evaluation.split import leave_last_out
from edgerec.models.base import Recommender
from edgerec.models.blend import standardise
from edgerec.models.neighbours import EASE, Cooccurrence, EASEConfig
from tests.models.test_contract import N_ITEMS, toy_log


def _members() -> tuple[dict[str, Recommender], object]:
    split = leave_last_out(toy_log(n_rows=800))
    members: dict[str, Recommender] = {
        "ease": EASE(EASEConfig(l2=10.0)).fit(split.train, seed=0),
        "cooccurrence": Cooccurrence().fit(split.train, seed=0),
    }
    return members, split


def _ranks(members: dict[str, Recommender], cases, depth: int | None):
    """Target ranks under one weighting, on shortlists of depth (None: the whole catalogue)."""
    weights = {"ease": 1.0, "cooccurrence": 0.5}
    excl = case_masks(cases, 0, len(cases), include_seen=False)
    if depth is None:
        full = sum(
            w * mask_scores(standardise(members[n].score(cases.histories)), excl) for n, w in weights.items()
        )
        return target_ranks(full, torch.as_tensor(cases.targets))
    short = shortlist_scores(members, cases, excl, depth=depth)
    on_list = sum(w * short[n] for n, w in weights.items())
    return target_ranks(on_list, torch.full((len(cases),), on_list.shape[1] - 1))


def test_shortlists_as_deep_as_the_catalogue_count_every_item_once() -> None:
    members, split = _members()
    exact = _ranks(members, split.valid, None)
    listed = _ranks(members, split.valid, N_ITEMS)
    assert torch.equal(listed.above, exact.above)
    assert torch.equal(listed.ties, exact.ties)
    assert torch.equal(listed.excluded, exact.excluded)


def test_short_shortlists_never_rank_a_target_lower() -> None:
    members, split = _members()
    exact = _ranks(members, split.valid, None)
    listed = _ranks(members, split.valid, 3)
    assert bool((listed.above <= exact.above).all())
    assert torch.equal(listed.excluded, exact.excluded)


def test_tuned_blend_is_no_worse_on_validation_than_its_best_member() -> None:
    members, split = _members()
    excl = case_masks(split.valid, 0, len(split.valid), include_seen=False)
    blend, single, _tied = tune_blend(members, split.valid, excl)
    assert single["blend"] >= max(single[n] for n in members)
    assert set(blend.weights_by_name()) <= set(members)
    full = rank_cases(blend, split.valid, include_seen=False)["ndcg@10"]
    assert np.isfinite(full) and full > 0


def test_tuned_blend_is_the_same_whatever_order_its_members_come_in() -> None:
    """Two members that score alike tie at every step: the blend must not take the first named."""
    split = leave_last_out(toy_log(n_rows=800))
    fitted: dict[str, Recommender] = {
        "cooccurrence": Cooccurrence().fit(split.train, seed=0),
        "itemknn": Cooccurrence().fit(split.train, seed=0),
    }
    excl = case_masks(split.valid, 0, len(split.valid), include_seen=False)
    tuned = [
        tune_blend({n: fitted[n] for n in order}, split.valid, excl)
        for order in (["cooccurrence", "itemknn"], ["itemknn", "cooccurrence"])
    ]
    assert tuned[0][0].weights_by_name() == tuned[1][0].weights_by_name() == {"cooccurrence": 1.0}
    assert list(tuned[0][1]) == list(tuned[1][1])
