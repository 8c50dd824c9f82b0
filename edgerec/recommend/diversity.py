"""Re-ranking for variety: maximal marginal relevance with a cap on any one category's share."""

from __future__ import annotations

import math

import numpy as np


def category_cap(k: int, max_category_share: float | None) -> int:
    """How many of k places one category may fill."""
    return k if max_category_share is None else max(1, math.floor(max_category_share * k))


def places_filled(categories: np.ndarray, k: int, max_category_share: float | None) -> int:
    """How many of k places `rerank` fills from candidates of these categories: each category
    up to its cap, every candidate of an unknown one (-1). Cheaper than re-ranking to find out.

    >>> places_filled(np.array([0, 0, 0, 1, -1]), 4, 0.5)
    4
    >>> places_filled(np.array([0, 0, 0, 1]), 4, 0.25)
    2
    """
    if max_category_share is None:
        return min(k, len(categories))
    counts = np.bincount(categories + 1, minlength=1)  # the first: unknown categories (-1)
    return min(k, int(counts[0] + np.minimum(counts[1:], category_cap(k, max_category_share)).sum()))


def rerank(
    scores: np.ndarray,
    categories: np.ndarray,
    brands: np.ndarray,
    k: int,
    *,
    mmr_lambda: float | None,
    max_category_share: float | None,
    fill_in: np.ndarray | None = None,
) -> list[int]:
    """Positions (into `scores`) of the chosen k, in order.

    Greedy MMR: each step takes the candidate maximising
    lambda * relevance - (1 - lambda) * similarity to what is already chosen, where two items
    of the same category are similar (1.0) and of the same brand half so. No category may fill
    more than `max_category_share` of k places; unknown categories are never capped. Items
    marked in `fill_in` (no source suggested them) come after every other one the cap leaves open,
    in their score order: the similarity penalty would outweigh the small gaps that order them
    (the shop's promoted items first), so only the cap gives them variety.

    >>> rerank(np.array([3.0, 2.9, 2.8, 1.0]), np.array([0, 0, 0, 1]), np.array([-1] * 4), 2,
    ...        mmr_lambda=None, max_category_share=0.5)
    [0, 3]
    """
    order = np.argsort(-scores, kind="stable")
    if mmr_lambda is None and max_category_share is None:
        return order[:k].tolist()
    cap = category_cap(k, max_category_share)
    lam = 1.0 if mmr_lambda is None else mmr_lambda
    # Work in score order so that ties keep the stable order of argsort. `value` is each open
    # candidate's MMR value; choosing an item can only lower the others' (similarity to the
    # chosen set is a running maximum), so it is updated in place, and -inf marks closed ones.
    cats, brs = categories[order], brands[order]
    ranked = scores[order]
    filler = fill_in[order] if fill_in is not None and fill_in.any() else None
    scored = ranked[~filler] if filler is not None and not filler.all() else ranked
    top, low = float(scored[0]), float(scored[-1])  # in score order
    relevance = lam * ((ranked - low) / ((top - low) or 1.0))
    if filler is not None:  # every MMR value of a suggested item is above -1: a fill-in's comes after
        relevance[filler] = -3.0 + np.clip(relevance[filler], -1.0, 0.0)
    value = relevance.copy()
    penalised = ~filler if filler is not None else None  # None: every one
    same_category = relevance - (1.0 - lam)
    same_brand = relevance - (1.0 - lam) * 0.5
    per_category: dict[int, int] = {}
    chosen: list[int] = []
    while len(chosen) < k:
        best = int(np.argmax(value))
        if value[best] == -np.inf:
            break
        chosen.append(int(order[best]))
        c, b = int(cats[best]), int(brs[best])
        if c >= 0:
            hit = cats == c
            np.minimum(value, same_category, out=value, where=hit if penalised is None else hit & penalised)
            per_category[c] = per_category.get(c, 0) + 1
            if per_category[c] >= cap:
                value[hit] = -np.inf
        if b >= 0:
            hit = brs == b
            np.minimum(value, same_brand, out=value, where=hit if penalised is None else hit & penalised)
        value[best] = -np.inf
    return chosen
