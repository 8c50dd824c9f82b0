"""Metrics against hand-computed examples, including seen-item exclusion and ties."""

from __future__ import annotations

import math

import pytest
import torch

from edgerec.evaluation.metrics import (
    MetricAccumulator,
    hit_rate,
    mask_scores,
    ndcg,
    reciprocal_rank,
    target_ranks,
)


def _one(scores: list[float], target: int, exclude: list[int] | None = None):
    s = mask_scores(torch.tensor([scores]), [exclude or []])
    return target_ranks(s, torch.tensor([target]))


def test_clear_ranking_matches_hand_computation() -> None:
    r = _one([0.1, 0.9, 0.5, 0.3], target=2)  # target ranked second (0-based rank 1)
    assert float(hit_rate(r, 1)[0]) == 0.0
    assert float(hit_rate(r, 2)[0]) == 1.0
    assert float(ndcg(r, 10)[0]) == pytest.approx(1 / math.log2(3))
    assert float(reciprocal_rank(r)[0]) == pytest.approx(0.5)


def test_excluding_seen_items_moves_the_target_up() -> None:
    r = _one([0.1, 0.9, 0.5, 0.3], target=2, exclude=[1])
    assert float(ndcg(r, 10)[0]) == pytest.approx(1.0)
    assert float(reciprocal_rank(r)[0]) == pytest.approx(1.0)


def test_excluded_target_is_a_miss() -> None:
    r = _one([0.1, 0.9, 0.5, 0.3], target=2, exclude=[2])
    assert float(hit_rate(r, 10)[0]) == 0.0
    assert float(ndcg(r, 10)[0]) == 0.0
    assert float(reciprocal_rank(r)[0]) == 0.0


def test_ties_count_as_the_expectation_over_random_tie_breaking() -> None:
    # one item above, target tied with two others: rank 1, 2 or 3, each with probability 1/3
    r = _one([0.9, 0.5, 0.5, 0.5, 0.1], target=2)
    assert float(hit_rate(r, 2)[0]) == pytest.approx(1 / 3)
    assert float(hit_rate(r, 3)[0]) == pytest.approx(2 / 3)
    assert float(hit_rate(r, 4)[0]) == pytest.approx(1.0)
    expected_ndcg3 = (1 / math.log2(3) + 1 / math.log2(4)) / 3
    assert float(ndcg(r, 3)[0]) == pytest.approx(expected_ndcg3)
    assert float(reciprocal_rank(r)[0]) == pytest.approx((1 / 2 + 1 / 3 + 1 / 4) / 3)


def test_all_equal_scores_give_the_random_baseline() -> None:
    n = 50
    r = _one([0.0] * n, target=7)
    assert float(hit_rate(r, 10)[0]) == pytest.approx(10 / n)
    assert float(reciprocal_rank(r)[0]) == pytest.approx(sum(1 / k for k in range(1, n + 1)) / n)


def test_accumulator_averages_and_counts_coverage() -> None:
    acc = MetricAccumulator(n_items=4)
    scores = torch.tensor([[0.9, 0.8, 0.1, 0.0], [0.0, 0.1, 0.9, 0.8]])
    acc.add(scores, torch.tensor([0, 3]))
    res = acc.result()
    assert res["hr@10"] == pytest.approx(1.0)
    assert res["ndcg@10"] == pytest.approx((1.0 + 1 / math.log2(3)) / 2)
    assert res["mrr"] == pytest.approx(0.75)
    assert res["coverage@10"] == pytest.approx(1.0)  # 4 items, k=10: every finite item listed
