"""Tunes blend weights on validation cases by coordinate ascent on NDCG@10."""

from __future__ import annotations

import torch

from edgerec.evaluation.metrics import mask_scores, ndcg, target_ranks
from edgerec.evaluation.split import Cases
from edgerec.models.base import Recommender
from edgerec.models.blend import Blend, standardise

GRID: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def member_scores(model: Recommender, cases: Cases, excl: list[list[int]], batch: int = 512) -> torch.Tensor:
    """Standardised, masked validation scores of one member ."""
    out = []
    for lo in range(0, len(cases), batch):
        hi = min(lo + batch, len(cases))
        s = standardise(model.score(cases.histories[lo:hi]))
        out.append(mask_scores(s, excl[lo:hi]))
    return torch.cat(out)


def tune_blend(
    members: dict[str, Recommender], cases: Cases, excl: list[list[int]], *, rounds: int = 2
) -> tuple[Blend, dict[str, float]]:
    """Blend of members with weights maximising validation NDCG@10."""
    names = list(members)
    cached = {n: member_scores(members[n], cases, excl) for n in names}
    targets = torch.as_tensor(cases.targets)

    def objective(w: dict[str, float]) -> float:
        total = torch.zeros(len(cases), cached[names[0]].shape[1])
        for n in names:
            if w[n]:
                total += w[n] * cached[n].float()
        total = torch.nan_to_num(total, nan=-torch.inf)
        return float(ndcg(target_ranks(total, targets), 10).mean())

    single = {n: objective({m: float(m == n) for m in names}) for n in names}
    best_name = max(single, key=lambda n: single[n])
    weights = {n: float(n == best_name) for n in names}
    best = single[best_name]
    for _ in range(rounds):
        improved = False
        for n in names:
            for g in GRID:
                if g == weights[n]:
                    continue
                trial = dict(weights, **{n: g})
                if not any(trial.values()):
                    continue
                v = objective(trial)
                if v > best + 1e-6:
                    best, weights, improved = v, trial, True
        if not improved:
            break
    blend = Blend(device=str(next(iter(members.values())).device))
    blend.set_members(members, weights)
    single["blend"] = best
    return blend, single
