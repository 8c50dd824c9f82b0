"""The embedding source: fold-in at request time, exact vs. ANN agreement, hot swap, updates."""

from __future__ import annotations

import numpy as np
import pytest

from edgerec.domain import ItemListed, ItemViewed
from edgerec.recommend import Policy, Recommender
from edgerec.recommend.embeddings import EmbeddingSnapshot, EmbeddingSource
from edgerec.recommend.sources import builtin_sources
from tests.recommend.conftest import T0, at


def clustered(n: int, dim: int = 16, groups: int = 50, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((groups, dim))
    vectors = centres[rng.integers(0, groups, n)] + 0.4 * rng.standard_normal((n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _recommender(n: int, source: EmbeddingSource) -> Recommender:
    rec = Recommender(None, sources=[*builtin_sources(), source])
    rec.set_weights({"embedding.user": 1.0})  # only the embedding counts
    for i in range(n):
        rec.observe(ItemListed(item_id=f"e{i}", title=f"E {i}", stock=1, occurred_at=T0))
    return rec


def test_view_folds_into_the_user_vector_at_once() -> None:
    vectors = clustered(500)
    ids = tuple(f"e{i}" for i in range(500))
    rec = _recommender(500, EmbeddingSource(EmbeddingSnapshot(ids, vectors)))
    rec.observe(ItemViewed(user_id="u", item_id="e7", occurred_at=at(1)))
    recs = rec.recommend("u", k=10, now=at(2), policy=Policy.evaluation())
    exact = np.argsort(-(vectors @ vectors[7]))[:10]
    assert {r.item_id for r in recs} == {f"e{i}" for i in exact}
    assert all(
        "Similar to E 7, which you viewed" in r.reasons[0]
        for r in recs
        if r.sources.get("embedding", 0) == 1.0
    )


def test_ann_agrees_with_exact_scoring() -> None:
    pytest.importorskip("faiss")
    n = 20_000
    vectors = clustered(n, dim=32, groups=200)
    snapshot = EmbeddingSnapshot(tuple(f"e{i}" for i in range(n)), vectors)
    exact = EmbeddingSource(snapshot)
    ann = EmbeddingSource(snapshot, exact_max_items=1_000)
    assert ann.uses_ann and not exact.uses_ann
    rng = np.random.default_rng(1)
    overlap = []
    for query in rng.integers(0, n, 50):
        a, _ = exact._index.search(vectors[query], 10)
        b, _ = ann._index.search(vectors[query], 10)
        overlap.append(len(set(a.tolist()) & set(b.tolist())) / 10)
    assert np.mean(overlap) >= 0.95


@pytest.mark.parametrize("exact_max_items", [100_000, 10])
def test_hot_swap_and_update_without_restart(exact_max_items: int) -> None:
    if exact_max_items == 10:
        pytest.importorskip("faiss")
    n = 300
    ids = tuple(f"e{i}" for i in range(n))
    vectors = clustered(n)
    source = EmbeddingSource(
        EmbeddingSnapshot(ids, vectors, position=5), exact_max_items=exact_max_items, lists=4, probes=4
    )
    rec = _recommender(n, source)
    rec.observe(ItemViewed(user_id="u", item_id="e1", occurred_at=at(1)))
    policy = Policy.evaluation()
    # a new snapshot in which e250 sits exactly on e1's vector
    moved = vectors.copy()
    moved[250] = moved[1]
    source.swap(EmbeddingSnapshot(ids, moved, position=9))
    assert source.position == 9
    top = rec.recommend("u", k=3, now=at(2), policy=policy)
    assert "e250" in [r.item_id for r in top[:2]]
    # a newly listed item embedded in place is found at once
    rec.observe(ItemListed(item_id="fresh", title="Fresh", stock=1, occurred_at=at(3)))
    source.update(["fresh"], moved[1][None, :])
    top = rec.recommend("u", k=3, now=at(4), policy=policy)
    assert "fresh" in [r.item_id for r in top]


def _recall(source: EmbeddingSource, vectors: np.ndarray, rng: np.random.Generator) -> float:
    """Recall@10 of the source's search against exact scoring, for customer-like queries."""
    overlap = []
    for rows in rng.integers(0, len(vectors), (30, 3)):
        query = vectors[rows].mean(axis=0)
        exact = np.argsort(-(vectors @ query))[:10]
        found, _ = source._index.search(query, 10)
        overlap.append(len(set(exact.tolist()) & set(found.tolist())) / 10)
    return float(np.mean(overlap))


def _snapshot(vectors: np.ndarray) -> EmbeddingSnapshot:
    return EmbeddingSnapshot(tuple(f"e{i}" for i in range(len(vectors))), vectors)


def test_swaps_reuse_the_trained_centroids_while_they_keep_the_recall() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(3)
    vectors = clustered(4_000, dim=16, groups=60)
    source = EmbeddingSource(_snapshot(vectors), exact_max_items=1_000)
    assert source.uses_ann
    trainings = []
    for _ in range(12):
        # each snapshot moves every vector a little and adds a few items, as a trainer's do
        vectors = np.concatenate([vectors + 0.01 * rng.standard_normal(vectors.shape), clustered(10, 16, 60)])
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        before = source._index.coarse
        source.swap(_snapshot(vectors))
        coarse = source._index.coarse
        assert before is not None and coarse is not None and source._index.ann.ntotal == len(vectors)
        trainings.append(coarse.quantiser is not before.quantiser)
        assert coarse.recall >= coarse.TARGET_RECALL and _recall(source, vectors, rng) >= 0.9
    assert trainings.count(False) >= 6  # mostly reused, not trained for every snapshot
    # vectors that moved far (a retrained model), a catalogue a quarter bigger, or vectors of
    # another size get new centroids at once
    for changed in (
        clustered(len(vectors), dim=16, groups=60, seed=9),
        clustered(int(len(vectors) * 1.3), dim=16, groups=60),
        clustered(int(len(vectors) * 1.3), dim=8, groups=60),
    ):
        before = source._index.coarse
        source.swap(_snapshot(changed))
        assert before is not None and source._index.coarse is not None
        assert source._index.coarse.quantiser is not before.quantiser
        assert _recall(source, changed, rng) >= 0.9


def test_the_index_probes_enough_lists_for_the_recall_or_scores_exactly() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(4)
    # clustered vectors: a few of the lists hold each query's neighbours
    vectors = clustered(8_000, dim=16, groups=80)
    source = EmbeddingSource(_snapshot(vectors), exact_max_items=1_000)
    coarse = source._index.coarse
    assert source.uses_ann and coarse is not None
    assert coarse.probes < coarse.lists / 4 and _recall(source, vectors, rng) >= 0.93
    # structureless vectors: no few lists hold the neighbours, so scanning enough of them costs
    # more than scoring every item; the source scores exactly
    noise = rng.standard_normal((8_000, 32)).astype(np.float32)
    source = EmbeddingSource(_snapshot(noise), exact_max_items=1_000)
    assert not source.uses_ann and _recall(source, noise, rng) == 1.0
