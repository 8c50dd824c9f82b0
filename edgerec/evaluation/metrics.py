"""Full-ranking metrics with exact expectation over random tie-breaking.

A target tied with e other items at g items above it is ranked at g + U (0-based), U uniform on
{0..e}; HR@k, NDCG@k and MRR below are the exact expectations over U. A target that is excluded
from the ranking (a seen item, when seen items are excluded) is a miss.

>>> import torch
>>> r = target_ranks(torch.tensor([[0.9, 0.5, 0.5, 0.1]]), torch.tensor([1]))
>>> r.above.tolist(), r.ties.tolist()
([1], [1])
>>> round(float(hit_rate(r, 2)[0]), 3), round(float(hit_rate(r, 3)[0]), 3)
(0.5, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

METRIC_KEYS: tuple[str, ...] = ("hr@10", "ndcg@10", "hr@20", "ndcg@20", "mrr", "coverage@10", "fit_s")


@dataclass(frozen=True)
class Ranks:
    """Per-case count of items scored above the target, of other items tied with it, and misses."""

    above: torch.Tensor
    ties: torch.Tensor
    excluded: torch.Tensor


def mask_scores(scores: torch.Tensor, exclude: list[list[int]] | None) -> torch.Tensor:
    """Copy of scores with each row's excluded items set to -inf."""
    out = scores.clone()
    if exclude:
        rows = [r for r, ex in enumerate(exclude) for _ in ex]
        cols = [c for ex in exclude for c in ex]
        if rows:
            out[torch.tensor(rows), torch.tensor(cols)] = -torch.inf
    return out


def target_ranks(scores: torch.Tensor, targets: torch.Tensor) -> Ranks:
    """Ranks of the targets in already-masked scores ([n_cases, n_items])."""
    t = scores.gather(1, targets[:, None])
    above = (scores > t).sum(1)
    ties = (scores == t).sum(1) - 1
    excluded = torch.isinf(t[:, 0]) & (t[:, 0] < 0)
    return Ranks(above=above, ties=ties, excluded=excluded)


def hit_rate(r: Ranks, k: int) -> torch.Tensor:
    """P(rank < k) per case."""
    hits = (k - r.above).clamp(min=0, max=None).minimum(r.ties + 1).double() / (r.ties + 1).double()
    return torch.where(r.excluded, torch.zeros_like(hits), hits)


def ndcg(r: Ranks, k: int) -> torch.Tensor:
    """E[1/log2(rank + 2)] restricted to rank < k, per case (one relevant item: IDCG = 1)."""
    out = torch.zeros(len(r.above), dtype=torch.float64)
    for u in range(k):
        rank = r.above + u
        ok = (u <= r.ties) & (rank < k)
        out += torch.where(ok, 1.0 / torch.log2(rank.double() + 2.0), torch.zeros_like(out))
    out = out / (r.ties + 1).double()
    return torch.where(r.excluded, torch.zeros_like(out), out)


def reciprocal_rank(r: Ranks) -> torch.Tensor:
    """E[1/(rank + 1)] per case, via harmonic numbers: (H(g+e+1) - H(g)) / (e+1)."""
    g = r.above.double()
    e = r.ties.double()
    out = (_harmonic(g + e + 1) - _harmonic(g)) / (e + 1)
    return torch.where(r.excluded, torch.zeros_like(out), out)


def _harmonic(n: torch.Tensor) -> torch.Tensor:
    """H(n) = digamma(n + 1) + Euler-Mascheroni, exact at integers."""
    return torch.special.digamma(n + 1.0) + 0.5772156649015329


def coverage(top_items: torch.Tensor, n_items: int) -> float:
    """Fraction of the catalogue appearing in at least one recommendation list."""
    if top_items.numel() == 0 or n_items == 0:
        return 0.0
    return float(torch.unique(top_items).numel()) / n_items


@dataclass
class MetricAccumulator:
    """Sums per-case metrics over batches and the set of recommended items for coverage."""

    n_items: int
    cut: int = 10
    rankable: int | None = None  # coverage's denominator where only some items are ranked

    def __post_init__(self) -> None:
        self.sums = {"hr@10": 0.0, "ndcg@10": 0.0, "hr@20": 0.0, "ndcg@20": 0.0, "mrr": 0.0}
        self.count = 0
        self.recommended = torch.zeros(self.n_items, dtype=torch.bool)

    def add(self, masked_scores: torch.Tensor, targets: torch.Tensor) -> None:
        r = target_ranks(masked_scores, targets)
        self.sums["hr@10"] += float(hit_rate(r, 10).sum())
        self.sums["ndcg@10"] += float(ndcg(r, 10).sum())
        self.sums["hr@20"] += float(hit_rate(r, 20).sum())
        self.sums["ndcg@20"] += float(ndcg(r, 20).sum())
        self.sums["mrr"] += float(reciprocal_rank(r).sum())
        self.count += len(targets)
        k = min(self.cut, masked_scores.shape[1])
        top = torch.topk(masked_scores, k, dim=1)
        finite = torch.isfinite(top.values)
        self.recommended[top.indices[finite]] = True

    def result(self) -> dict[str, float]:
        n = max(self.count, 1)
        out = {k: v / n for k, v in self.sums.items()}
        ranked = self.n_items if self.rankable is None else self.rankable
        out["coverage@10"] = float(self.recommended.sum()) / max(ranked, 1)
        return out
