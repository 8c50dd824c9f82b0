"""Re-ranking for variety: maximal marginal relevance with a cap on any one category's share."""

from __future__ import annotations

import math

import numpy as np


def rerank(
    scores: np.ndarray,
    categories: np.ndarray,
    brands: np.ndarray,
    k: int,
    *,
    mmr_lambda: float | None,
    max_category_share: float | None,
) -> list[int]:
    """Positions (into `scores`) of the chosen k, in order.

    Greedy MMR: each step takes the candidate maximising
    lambda * relevance - (1 - lambda) * similarity to what is already chosen, where two items
    of the same category are similar (1.0) and of the same brand half so. No category may fill
    more than `max_category_share` of k places; unknown categories are never capped.

    >>> rerank(np.array([3.0, 2.9, 2.8, 1.0]), np.array([0, 0, 0, 1]), np.array([-1] * 4), 2,
    ...        mmr_lambda=None, max_category_share=0.5)
    [0, 3]
    """
    order = np.argsort(-scores, kind="stable")
    if mmr_lambda is None and max_category_share is None:
        return order[:k].tolist()
    cap = k if max_category_share is None else max(1, math.floor(max_category_share * k))
    top = float(scores[order[0]]) if len(order) else 1.0
    low = float(scores[order[-1]]) if len(order) else 0.0
    span = (top - low) or 1.0
    relevance = {int(i): (float(scores[i]) - low) / span for i in order}
    cats = categories.tolist()
    brs = brands.tolist()
    remaining = [int(i) for i in order]
    chosen: list[int] = []
    per_category: dict[int, int] = {}
    lam = 1.0 if mmr_lambda is None else mmr_lambda
    while remaining and len(chosen) < k:
        best, best_value = -1, -math.inf
        for i in remaining:
            c = cats[i]
            if c >= 0 and per_category.get(c, 0) >= cap:
                continue
            similarity = 0.0
            if lam < 1.0:
                for j in chosen:
                    if c >= 0 and cats[j] == c:
                        similarity = 1.0
                        break
                    if brs[i] >= 0 and brs[j] == brs[i]:
                        similarity = 0.5
            value = lam * relevance[i] - (1.0 - lam) * similarity
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        chosen.append(best)
        remaining.remove(best)
        if cats[best] >= 0:
            per_category[cats[best]] = per_category.get(cats[best], 0) + 1
    return chosen
