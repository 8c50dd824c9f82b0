"""Tunes blend weights on validation cases by coordinate ascent on NDCG@10.

Each trial ranks the target among a shortlist per case (the union of every member's top items
and the target) rather than the whole catalogue: an item outside every member's shortlist
almost never outranks a target that any weighting puts in the top 10, and the shortlist makes
a trial cheap enough to tune on many validation cases instead of a few noisy thousand. An
item off the shortlist that every member scores as it scores the target ties with the target
under any weighting, and is counted as a tie: a sparse model (co-occurrence) scores most items
alike, and a target among them ranked among the shortlisted ones only would look far better
than the whole catalogue ranks it.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from edgerec.evaluation.defaults import MODEL_NAMES
from edgerec.evaluation.metrics import Ranks, mask_scores, ndcg, reciprocal_rank, target_ranks
from edgerec.evaluation.split import Cases
from edgerec.models.base import Recommender
from edgerec.models.blend import Blend, standardise

GRID: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def shortlist_scores(
    members: dict[str, Recommender],
    cases: Cases,
    excl: list[list[int]],
    *,
    depth: int = 100,
    batch: int = 512,
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Each member's standardised, masked scores on each case's shortlist, target last, and per
    case the items off the shortlist that every member scores as the target (ties under any
    weighting).

    The shortlist is the union of the members' top-depth items; repeats (and the target, which
    has its own last column) are scored -inf, so every item is counted once. Items outside the
    cases' candidates are scored -inf too, as the whole-catalogue ranking scores them.
    """
    names = list(members)
    out: dict[str, list[torch.Tensor]] = {n: [] for n in names}
    off_list_ties: list[torch.Tensor] = []
    targets = torch.as_tensor(cases.targets)
    outside = torch.zeros(next(iter(members.values())).n_items, dtype=torch.bool)
    if cases.candidates is not None:
        outside[:] = True
        outside[torch.as_tensor(cases.candidates)] = False
    for lo in range(0, len(cases), batch):
        hi = min(lo + batch, len(cases))
        full = {
            n: mask_scores(standardise(members[n].score(cases.histories[lo:hi])), excl[lo:hi]) for n in names
        }
        for scores in full.values():
            scores[:, outside] = -torch.inf
        k = min(depth, next(iter(full.values())).shape[1])
        top = torch.cat([torch.topk(full[n], k, dim=1).indices for n in names], dim=1).sort(dim=1).values
        target = targets[lo:hi, None]
        repeat = torch.zeros_like(top, dtype=torch.bool)
        repeat[:, 1:] = top[:, 1:] == top[:, :-1]
        drop = torch.cat([repeat | (top == target), torch.zeros_like(target, dtype=torch.bool)], dim=1)
        columns = torch.cat([top, target], dim=1)
        alike = torch.ones_like(full[names[0]], dtype=torch.bool)
        for n in names:
            out[n].append(full[n].gather(1, columns).masked_fill_(drop, -torch.inf))
            alike &= full[n] == full[n].gather(1, target)
        alike.scatter_(1, columns, False)
        off_list_ties.append(alike.sum(1))
    return {n: torch.cat(parts) for n, parts in out.items()}, torch.cat(off_list_ties)


def tune_blend(
    members: dict[str, Recommender], cases: Cases, excl: list[list[int]], *, rounds: int = 3
) -> tuple[Blend, dict[str, float], dict[str, float]]:
    """Blend of members with weights maximising validation NDCG@10 (on shortlists).

    The ascent starts from the best member. Where NDCG@10 cannot tell the best members apart
    (a few validation cases, none of whose targets any member puts in its top 10, score 0 for
    every member), it starts from the one whose targets rank highest on the whole shortlist
    (MRR), not from the first in a fixed order. Returns the blend, each member's validation
    NDCG@10 (and the blend's), and the MRR of the members that tied (empty where none did).

    The ascent visits the members, and breaks remaining ties, in MODEL_NAMES order (other names
    after, alphabetically): the order the models were named in must not change the blend.
    """
    known = {n: i for i, n in enumerate(MODEL_NAMES)}
    names = sorted(members, key=lambda n: (known.get(n, len(known)), n))
    members = {n: members[n] for n in names}
    cached, off_list_ties = shortlist_scores(members, cases, excl)
    width = cached[names[0]].shape[1]
    target_column = torch.full((len(cases),), width - 1, dtype=torch.long)

    def ranks(w: dict[str, float]) -> Ranks:
        total = torch.zeros(len(cases), width)
        for n in names:
            if w[n]:
                total += w[n] * cached[n]
        on_list = target_ranks(torch.nan_to_num(total, nan=-torch.inf), target_column)
        return replace(on_list, ties=on_list.ties + off_list_ties)

    def objective(w: dict[str, float]) -> float:
        return float(ndcg(ranks(w), 10).mean())

    single = {n: objective({m: float(m == n) for m in names}) for n in names}
    top = max(single.values())
    tied = [n for n in names if single[n] >= top - 1e-6]
    finer: dict[str, float] = {}
    if len(tied) > 1:
        finer = {n: float(reciprocal_rank(ranks({m: float(m == n) for m in names})).mean()) for n in tied}
    best_name = max(tied, key=lambda n: finer.get(n, 0.0))
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
    return blend, single, finer
