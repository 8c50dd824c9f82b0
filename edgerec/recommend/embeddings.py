"""A candidate source over a numpy snapshot of item embeddings: exact below a size, ANN above.

The user's vector is folded in at request time from the embeddings of their latest items
(most recent weighs most, cart items fully), so a view changes the next list before any
trainer has seen it. Snapshots are swapped atomically (`swap`), and single items can be
re-embedded or added (`update`) without rebuilding the index, so the index stays fresh.
Above `exact_max_items` items the search uses a faiss IVF index (inner product); faiss is
imported only then.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgerec.recommend.request import Evidence, Request, SourceResult, micros_to_datetime
from edgerec.recommend.sources import _anchor_phrase


@dataclass(frozen=True, slots=True)
class EmbeddingSnapshot:
    """Item vectors as a trainer publishes them, with the log position they cover."""

    item_ids: tuple[str, ...]
    vectors: np.ndarray  # float32 [len(item_ids), dim]
    position: int = 0

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.item_ids):
            raise ValueError("vectors must be [len(item_ids), dim]")


class _Index:
    """One immutable-by-swap search structure over a snapshot."""

    def __init__(self, snapshot: EmbeddingSnapshot, *, exact_max_items: int, lists: int | None,
                 probes: int | None) -> None:
        self.vectors = np.ascontiguousarray(snapshot.vectors, dtype=np.float32)
        self.row_of = {item: row for row, item in enumerate(snapshot.item_ids)}
        self.item_ids = list(snapshot.item_ids)
        self.position = snapshot.position
        self.ann: Any = None
        self._quantiser: Any = None  # must outlive the IVF index that points at it
        if len(self.vectors) > exact_max_items:
            self.ann, self._quantiser = _build_ivf(self.vectors, lists, probes)

    def search(self, query: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the best `limit` items for one query vector."""
        if self.ann is not None:
            scores, rows = self.ann.search(query[None, :].astype(np.float32), limit)
            keep = rows[0] >= 0
            return rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float64)
        scores = self.vectors @ query.astype(np.float32)
        limit = min(limit, len(scores))
        rows = np.argpartition(-scores, limit - 1)[:limit] if limit < len(scores) \
            else np.arange(len(scores))
        return rows.astype(np.int64), scores[rows].astype(np.float64)


def _build_ivf(vectors: np.ndarray, lists: int | None, probes: int | None) -> tuple[Any, Any]:
    import faiss  # imported only when a catalogue is large enough to need it

    n, dim = vectors.shape
    lists = lists or max(64, min(8192, int(2 * np.sqrt(n))))
    # Probing 1/32 of the lists kept recall@10 >= 0.95 on clustered 64-d data up to 1M items
    # (scripts/bench_realtime.py), at well under a millisecond per query.
    probes = probes or max(8, lists // 32)
    quantiser = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantiser, dim, lists, faiss.METRIC_INNER_PRODUCT)
    sample = vectors if n <= 64 * lists else \
        vectors[np.random.default_rng(0).choice(n, 64 * lists, replace=False)]
    index.train(sample)
    index.add_with_ids(vectors, np.arange(n, dtype=np.int64))
    index.nprobe = probes
    return index, quantiser


class EmbeddingSource:
    """Scores items by the inner product of their embedding with the folded-in user vector."""

    name = "embedding"
    features = ("embedding.user",)
    default_weights: Mapping[str, float] = {"embedding.user": 1.0}
    decay = 0.5

    def __init__(self, snapshot: EmbeddingSnapshot, *, exact_max_items: int = 50_000,
                 lists: int | None = None, probes: int | None = None, anchors: int = 5) -> None:
        self.exact_max_items = exact_max_items
        self.lists = lists
        self.probes = probes
        self.anchors = anchors
        self._lock = threading.Lock()
        self._index = _Index(snapshot, exact_max_items=exact_max_items, lists=lists, probes=probes)
        self._catalogue_of: np.ndarray | None = None  # snapshot row -> catalogue index

    @property
    def position(self) -> int:
        return self._index.position

    @property
    def uses_ann(self) -> bool:
        return self._index.ann is not None

    def swap(self, snapshot: EmbeddingSnapshot) -> None:
        """Replaces the snapshot; the index is built first, so requests never wait or see half."""
        fresh = _Index(snapshot, exact_max_items=self.exact_max_items, lists=self.lists,
                       probes=self.probes)
        with self._lock:
            self._index, self._catalogue_of = fresh, None

    def update(self, item_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Re-embeds known items and adds new ones in place (the ANN index included)."""
        with self._lock:
            index = self._index
            vectors = np.asarray(vectors, dtype=np.float32)
            new_rows = []
            for item, vector in zip(item_ids, vectors, strict=True):
                row = index.row_of.get(item)
                if row is None:
                    row = index.row_of[item] = len(index.item_ids)
                    index.item_ids.append(item)
                    new_rows.append(vector)
                else:
                    index.vectors[row] = vector
                    if index.ann is not None:
                        index.ann.remove_ids(np.array([row], dtype=np.int64))
                        index.ann.add_with_ids(vector[None, :], np.array([row], dtype=np.int64))
            if new_rows:
                start = len(index.vectors)
                added = np.stack(new_rows)
                index.vectors = np.concatenate([index.vectors, added])
                if index.ann is not None:
                    index.ann.add_with_ids(added, np.arange(start, start + len(added), dtype=np.int64))
                self._catalogue_of = None

    def _map(self, request: Request, index: _Index) -> np.ndarray:
        mapping = self._catalogue_of
        if mapping is None or len(mapping) != len(index.item_ids):
            mapping = np.fromiter((request.catalogue.ensure(i) for i in index.item_ids),
                                  np.int64, len(index.item_ids))
            self._catalogue_of = mapping
        return mapping

    def _anchor_rows(self, request: Request, index: _Index) -> list[tuple[int, int, float]]:
        ids = request.catalogue.ids
        found = []
        anchors = [(a, self.decay**r) for r, a in enumerate(request.anchors[: self.anchors])]
        anchors += [(a, 1.0) for a in request.cart if a not in request.anchors]
        for anchor, weight in anchors:
            row = index.row_of.get(ids[anchor])
            if row is not None:
                found.append((anchor, row, weight))
        return found

    def candidates(self, request: Request, limit: int) -> SourceResult:
        index = self._index
        anchors = self._anchor_rows(request, index)
        if not anchors:
            return SourceResult.empty()
        weights = np.array([w for _, _, w in anchors], dtype=np.float32)
        query = weights @ index.vectors[[row for _, row, _ in anchors]]
        rows, scores = index.search(query, limit)
        mapping = self._map(request, index)
        scores = scores - scores.min() if len(scores) else scores  # non-negative for blending
        return SourceResult(mapping[rows], {"embedding.user": scores})

    def explain(self, request: Request, item: int) -> list[Evidence]:
        index = self._index
        row = index.row_of.get(request.catalogue.ids[item])
        anchors = self._anchor_rows(request, index)
        if row is None or not anchors:
            return []
        vector = index.vectors[row]
        anchor = max(anchors, key=lambda a: float(index.vectors[a[1]] @ vector))[0]
        trace = request.trace(anchor)
        return [Evidence(
            self.name, f"Similar to {_anchor_phrase(request, anchor)}",
            item_id=request.catalogue.ids[anchor],
            event_type=trace.last_type if trace else None,
            at=micros_to_datetime(trace.last_at) if trace else None,
        )]
