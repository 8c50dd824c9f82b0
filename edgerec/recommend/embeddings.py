"""A candidate source over a numpy snapshot of item embeddings: exact below a size, ANN above.

The user's vector is folded in at request time as the trainer's model does it (its learned
offset for a known customer plus the mean of the embeddings of their latest items, the most
recent weighing most, cart items fully), so a view changes the next list before any trainer
has seen it. Snapshots are swapped atomically (`swap`), and single items can be re-embedded or
added (`update`) without rebuilding the index, so the index stays fresh. Above
`exact_max_items` items the search uses a faiss IVF index (inner product) where one reaches
the wanted recall faster than exact scoring (see `_Coarse`); faiss is imported only then.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from edgerec.recommend.request import Evidence, Request, SourceResult, micros_to_datetime
from edgerec.recommend.sources import _anchor_phrase


@dataclass(frozen=True, slots=True)
class EmbeddingSnapshot:
    """Item vectors (and optionally users' learned offsets) with the log position they cover."""

    item_ids: tuple[str, ...]
    vectors: np.ndarray  # float32 [len(item_ids), dim]
    position: int = 0
    user_ids: tuple[str, ...] = ()
    user_vectors: np.ndarray | None = None  # float32 [len(user_ids), dim]

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.item_ids):
            raise ValueError("vectors must be [len(item_ids), dim]")
        if self.user_vectors is not None and len(self.user_vectors) != len(self.user_ids):
            raise ValueError("user_vectors must be [len(user_ids), dim]")

    @classmethod
    def empty(cls, dim: int = 1) -> EmbeddingSnapshot:
        return cls((), np.zeros((0, dim), np.float32))


class _Index:
    """One immutable-by-swap search structure over a snapshot."""

    def __init__(
        self,
        snapshot: EmbeddingSnapshot,
        *,
        exact_max_items: int,
        lists: int | None,
        probes: int | None,
        previous: _Index | None = None,
    ) -> None:
        vectors = np.asarray(snapshot.vectors, dtype=np.float32)
        self.dim = vectors.shape[1]
        # Spare rows, so that items added one at a time (`update`) do not copy the matrix.
        self._buffer = np.empty((max(len(vectors) + len(vectors) // 8, 64), self.dim), np.float32)
        self._buffer[: len(vectors)] = vectors
        self.vectors = self._buffer[: len(vectors)]
        self.item_ids = list(snapshot.item_ids)
        self.base = len(self.item_ids)  # rows from the snapshot; `update` appends after them
        self.row_of, kept = _rows(self.item_ids, previous)
        # Row -> catalogue index, filled in lazily by the source; the rows kept stay valid.
        self.catalogue_of: np.ndarray = (
            previous.catalogue_of[:kept] if previous is not None else np.zeros(0, np.int64)
        )
        self.mapped_for: object = previous.mapped_for if previous is not None else None
        self.user_row = {user: row for row, user in enumerate(snapshot.user_ids)}
        self.user_vectors = snapshot.user_vectors
        self.position = snapshot.position
        self.ann: Any = None
        self.coarse: _Coarse | None = None  # its quantiser must outlive the IVF index using it
        if len(self.vectors) > exact_max_items:
            reusable = previous.coarse if previous is not None else None
            coarse = reusable.reused_for(self.vectors) if reusable is not None else None
            self.coarse = coarse or _Coarse.train(self.vectors, lists, probes)
            if self.coarse.useful:
                self.ann = self.coarse.index_of(self.vectors)

    def append(self, vectors: np.ndarray) -> None:
        """Adds rows after the last one (the ANN index included)."""
        start, end = len(self.vectors), len(self.vectors) + len(vectors)
        if end > len(self._buffer):
            grown = np.empty((max(2 * len(self._buffer), end), self.dim), np.float32)
            grown[:start] = self.vectors
            self._buffer = grown
        self._buffer[start:end] = vectors
        self.vectors = self._buffer[:end]
        self._index_rows(np.arange(start, end, dtype=np.int64), vectors)

    def replace(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        """New vectors for existing rows (the ANN index included)."""
        self.vectors[rows] = vectors
        if self.ann is not None:
            self.ann.remove_ids(rows)
        self._index_rows(rows, vectors)

    def _index_rows(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        if self.ann is not None and self.coarse is not None:
            self.ann.add_with_ids(self.coarse.lifted(vectors), rows)

    def search(self, query: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the best `limit` items for one query vector."""
        if self.ann is not None:
            scores, rows = self.ann.search(_lift_queries(query[None, :]), limit)
            keep = rows[0] >= 0
            return rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float64)
        scores = self.vectors @ query.astype(np.float32)
        limit = min(limit, len(scores))
        if limit <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        rows = _best_rows(scores, limit) if limit < len(scores) else np.arange(len(scores))
        return rows.astype(np.int64), scores[rows].astype(np.float64)


def _best_rows(scores: np.ndarray, limit: int) -> np.ndarray:
    """The rows of the `limit` best scores (unordered) that `np.argpartition(-scores, limit - 1)`
    picks, in about half its time: where no other score equals the limit-th best, they are the
    rows at least as good as it, which partitioning the scores alone finds. On such a tie (or a
    NaN) which of the tied rows are taken is argpartition's own choice, so it makes it."""
    cut = len(scores) - limit
    rows = np.flatnonzero(scores >= np.partition(scores, cut)[cut])
    return rows if len(rows) == limit else np.argpartition(-scores, limit - 1)[:limit]


def _rows(item_ids: list[str], previous: _Index | None) -> tuple[dict[str, int], int]:
    """Row of each item id, and how many leading rows keep the previous snapshot's ids.

    The trainer's tables only ever append, so a new snapshot usually starts with the previous
    one's ids: their map is reused, which makes swapping a large catalogue cheap.
    """
    if previous is not None and previous.base <= len(item_ids):
        base = previous.base
        if item_ids[:base] == previous.item_ids[:base]:
            rows = dict(previous.row_of)
            for item in previous.item_ids[base:]:  # added by `update`, not in the snapshot
                del rows[item]
            for row in range(base, len(item_ids)):
                rows[item_ids[row]] = row
            return rows, base
    return {item: row for row, item in enumerate(item_ids)}, 0


@dataclass(slots=True)
class _Coarse:
    """The trained part of an IVF index (the centroids that split the items into lists) and
    how many lists a search probes.

    Items are indexed lifted to one more dimension in which all have the same norm (`_lift`),
    so that the best inner products are nearest neighbours, which centroids split well.
    Probes are chosen by measurement, not by a rule of thumb: the fewest (from 1/32 of the
    lists, doubling) for which recall@10 reaches `TARGET_RECALL` on 128 customer-like queries
    (the mean of three items). The estimate is exact for those queries: an IVF index scores
    the probed lists exactly, so an item of the exact top 10 is found if and only if its list
    is probed. An index that would have to scan more than `MAX_SCAN` of the items is slower
    than exact scoring, and is not used.

    Training the centroids (k-means) is most of the cost of building an index: 0.8 of 0.9 s at
    100,000 items, and 5 of 9 s at a million (scripts/bench_swap.py). Embeddings move little
    from one trainer snapshot to the next, so the next index reuses them, with its probes
    chosen again for its own vectors; they are trained again when that takes more than twice
    the probes they started with, or the catalogue has grown or shrunk by a quarter.
    """

    quantiser: Any  # faiss.IndexFlatIP over the centroids; shared by every index built on it
    lists: int
    trained_on: int  # items when trained
    max_norm: float  # of the vectors it was trained on; the lift below is relative to it
    trained_probes: int  # probes needed when trained
    probes: int  # probes needed for the vectors of the index built on it
    recall: float  # estimated recall@10 at those probes
    fixed: bool = False  # probes given by the caller: always these, and always an index

    TARGET_RECALL = 0.97  # above the 0.95 wanted: the estimate's own error
    MAX_SCAN = 1 / 3
    GROWTH = 1.25
    SAMPLE = 128  # queries whose exact top 10 estimate the recall
    _ROWS = 1 << 17  # rows scored at a time for the estimate

    @classmethod
    def train(cls, vectors: np.ndarray, lists: int | None, probes: int | None) -> _Coarse:
        import faiss  # imported only when a catalogue is large enough to need it

        n, dim = vectors.shape
        lists = lists or max(64, min(8192, int(2 * np.sqrt(n))))
        max_norm = float(np.linalg.norm(vectors, axis=1).max())
        quantiser = faiss.IndexFlatIP(dim + 1)
        index = faiss.IndexIVFFlat(quantiser, dim + 1, lists, faiss.METRIC_INNER_PRODUCT)
        sample = (
            vectors
            if n <= 64 * lists
            else vectors[np.random.default_rng(0).choice(n, 64 * lists, replace=False)]
        )
        index.train(_lift(sample, max_norm))  # trains the quantiser's centroids
        untuned = cls(quantiser, lists, n, max_norm, 0, 0, 0.0, fixed=probes is not None)
        chosen, recall = untuned.probes_for(vectors, probes or max(8, lists // 32))
        return replace(untuned, trained_probes=chosen, probes=chosen, recall=recall)

    @property
    def useful(self) -> bool:
        """Whether an index probing this many lists is faster than exact scoring."""
        return self.fixed or self.probes <= self.lists * self.MAX_SCAN

    def reused_for(self, vectors: np.ndarray) -> _Coarse | None:
        """These centroids with probes chosen for `vectors`; None when they no longer fit."""
        items, dim = vectors.shape
        if (
            dim + 1 != self.quantiser.d
            or not self.trained_on / self.GROWTH <= items <= self.trained_on * self.GROWTH
        ):
            return None
        probes, recall = self.probes_for(vectors, self.trained_probes)
        if probes > 2 * self.trained_probes:
            return None
        return replace(self, probes=probes, recall=recall)

    def probes_for(self, vectors: np.ndarray, start: int) -> tuple[int, float]:
        """The fewest probes (`start`, doubled; only `start` if `fixed`) with the target recall
        on `vectors`, and the recall they give."""
        picked = np.random.default_rng(0).integers(0, len(vectors), (self.SAMPLE, 3))
        queries = np.ascontiguousarray(vectors[picked].mean(axis=1), dtype=np.float32)
        exact = _exact_top10(queries, vectors)
        _, order = self.quantiser.search(_lift_queries(queries), self.lists)  # nearest list first
        rank = np.empty_like(order)
        rank[np.arange(len(queries))[:, None], order] = np.arange(self.lists)
        _, home = self.quantiser.search(self.lifted(vectors[exact.ravel()]), 1)  # each top item's list
        home_rank = rank[np.arange(len(queries))[:, None], home.reshape(exact.shape)]
        probes = min(start, self.lists)
        while True:
            recall = float(np.mean(home_rank < probes))
            if self.fixed or recall >= self.TARGET_RECALL or probes >= self.lists:
                return probes, recall
            probes = min(self.lists, 2 * probes)

    def lifted(self, vectors: np.ndarray) -> np.ndarray:
        return _lift(vectors, self.max_norm)

    def index_of(self, vectors: np.ndarray) -> Any:
        """An IVF index over `vectors` (ids: their rows), split by these centroids."""
        import faiss

        index = faiss.IndexIVFFlat(self.quantiser, self.quantiser.d, self.lists, faiss.METRIC_INNER_PRODUCT)
        index.add_with_ids(self.lifted(vectors), np.arange(len(vectors), dtype=np.int64))
        index.nprobe = self.probes
        return index


def _lift(vectors: np.ndarray, max_norm: float) -> np.ndarray:
    """Items with one more coordinate, sqrt(max_norm^2 - |v|^2), so that all have the same norm:
    the best inner products with a query (lifted with a 0) are then its nearest items, which
    k-means centroids split well. Without it, on the trainer's embeddings (norms from 0.7 to
    7), probing 1/32 of the lists found 0.27 of the top 10; with it, 0.90 (ad hoc)."""
    squared = np.einsum("ij,ij->i", vectors, vectors)
    extra = np.sqrt(np.maximum(max_norm * max_norm - squared, 0.0))
    return np.ascontiguousarray(np.hstack([vectors, extra[:, None]]), dtype=np.float32)


def _lift_queries(queries: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.hstack([queries, np.zeros((len(queries), 1))]), dtype=np.float32)


def _exact_top10(queries: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Rows of each query's 10 best items by inner product, scored a block of rows at a time."""
    best_scores = np.full((len(queries), 0), -np.inf, np.float32)
    best_rows = np.zeros((len(queries), 0), np.int64)
    for start in range(0, len(vectors), _Coarse._ROWS):
        scores = queries @ vectors[start : start + _Coarse._ROWS].T
        top = np.argpartition(-scores, min(10, scores.shape[1] - 1), axis=1)[:, :10]
        best_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, axis=1)], axis=1)
        best_rows = np.concatenate([best_rows, top + start], axis=1)
        keep = np.argsort(-best_scores, axis=1)[:, :10]
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
        best_rows = np.take_along_axis(best_rows, keep, axis=1)
    return best_rows


class EmbeddingSource:
    """Scores items by the inner product of their embedding with the folded-in user vector.

    Built without a snapshot it proposes nothing until the first `swap`, so a recommender can
    carry it from the start and pick up a trainer's model when one is published.
    """

    name = "embedding"
    features = ("embedding.user",)
    default_weights: Mapping[str, float] = {"embedding.user": 1.0}
    decay = 0.5

    def __init__(
        self,
        snapshot: EmbeddingSnapshot | None = None,
        *,
        exact_max_items: int = 50_000,
        lists: int | None = None,
        probes: int | None = None,
        anchors: int = 5,
    ) -> None:
        self.exact_max_items = exact_max_items
        self.lists = lists
        self.probes = probes
        self.anchors = anchors
        self._lock = threading.Lock()
        self._index = _Index(
            snapshot or EmbeddingSnapshot.empty(), exact_max_items=exact_max_items, lists=lists, probes=probes
        )

    @property
    def position(self) -> int:
        return self._index.position

    @property
    def uses_ann(self) -> bool:
        return self._index.ann is not None

    @property
    def loaded(self) -> bool:
        return len(self._index.item_ids) > 0

    @property
    def item_ids(self) -> list[str]:
        return self._index.item_ids

    def vector(self, item_id: str) -> np.ndarray | None:
        index = self._index
        row = index.row_of.get(item_id)
        return None if row is None else index.vectors[row]

    def has(self, item_id: str) -> bool:
        return item_id in self._index.row_of

    def swap(self, snapshot: EmbeddingSnapshot) -> None:
        """Replaces the snapshot; the index is built first, so requests never wait or see half."""
        previous = self._index
        fresh = _Index(
            snapshot,
            exact_max_items=self.exact_max_items,
            lists=self.lists,
            probes=self.probes,
            previous=previous,
        )
        with self._lock:
            self._index = fresh

    def update(self, item_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Re-embeds known items and adds new ones in place (the ANN index included)."""
        with self._lock:
            index = self._index
            vectors = np.asarray(vectors, dtype=np.float32).reshape(len(item_ids), -1)
            if not index.item_ids and vectors.shape[1] != index.dim:
                index = self._index = _Index(
                    EmbeddingSnapshot.empty(vectors.shape[1]),
                    exact_max_items=self.exact_max_items,
                    lists=self.lists,
                    probes=self.probes,
                )
            latest: dict[int, np.ndarray] = {}  # row -> vector; an item given twice: the last
            for item, vector in zip(item_ids, vectors, strict=True):
                row = index.row_of.get(item)
                if row is None:
                    row = index.row_of[item] = len(index.item_ids)
                    index.item_ids.append(item)
                latest[row] = vector
            start = len(index.vectors)
            if len(index.item_ids) > start:  # new rows were numbered in order
                index.append(np.stack([latest[row] for row in range(start, len(index.item_ids))]))
            known = np.array([row for row in latest if row < start], dtype=np.int64)
            if len(known):
                index.replace(known, np.stack([latest[row] for row in known]))

    def _map(self, request: Request, index: _Index) -> np.ndarray:
        """Snapshot row -> catalogue index, extended (not rebuilt) as rows are added."""
        mapping = index.catalogue_of
        if index.mapped_for is not request.catalogue:
            mapping, index.mapped_for = np.zeros(0, np.int64), request.catalogue
        ids = index.item_ids
        if len(mapping) < len(ids):
            tail = ids[len(mapping) :]
            ensure = request.catalogue.ensure
            mapping = np.concatenate([mapping, np.fromiter((ensure(i) for i in tail), np.int64, len(tail))])
            index.catalogue_of = mapping
        return mapping

    def _anchor_rows(self, request: Request, index: _Index) -> list[tuple[int, int, float]]:
        """The request's anchors that have a row, as (anchor, row, weight)."""
        return request.noted((self.name, index), lambda: self._find_anchor_rows(request, index))

    def _find_anchor_rows(self, request: Request, index: _Index) -> list[tuple[int, int, float]]:
        ids = request.catalogue.ids
        found = []
        anchors = [(a, self.decay**r) for r, a in enumerate(request.anchors[: self.anchors])]
        anchors += [(a, 1.0) for a in request.cart if a not in request.anchors]
        for anchor, weight in anchors:
            row = index.row_of.get(ids[anchor])
            if row is not None:
                found.append((anchor, row, weight))
        return found

    def query(self, request: Request) -> np.ndarray | None:
        """The customer's vector now: learned offset + weighted mean of their latest items."""
        index = self._index
        anchors = self._anchor_rows(request, index)
        if not anchors:
            return None
        return self._query(request, index, anchors)

    def _query(self, request: Request, index: _Index, anchors: list[tuple[int, int, float]]) -> np.ndarray:
        weights = np.array([w for _, _, w in anchors], dtype=np.float32)
        query = (weights / weights.sum()) @ index.vectors[[row for _, row, _ in anchors]]
        user = index.user_row.get(request.user_id)
        if user is not None and index.user_vectors is not None:
            query = query + index.user_vectors[user]
        return query

    def candidates(self, request: Request, limit: int) -> SourceResult:
        index = self._index
        anchors = self._anchor_rows(request, index)
        if not anchors:
            return SourceResult.empty()
        rows, scores = index.search(self._query(request, index, anchors), limit)
        mapping = self._map(request, index)
        scores = scores - scores.min() if len(scores) else scores  # non-negative for blending
        return SourceResult(mapping[rows], {"embedding.user": scores})

    def explain(self, request: Request, item: int) -> list[Evidence]:
        index = self._index
        row = index.row_of.get(request.catalogue.ids[item])
        anchors = [a for a in self._anchor_rows(request, index) if not request.disliked(a[0])]
        if row is None or not anchors:
            return []
        others = [a for a in anchors if a[0] != item]  # an item is not "similar to" itself
        vector = index.vectors[row]
        anchor = max(others or anchors, key=lambda a: float(index.vectors[a[1]] @ vector))[0]
        trace = request.trace(anchor)
        said = "Similar to" if others else "Back to"
        return [
            Evidence(
                self.name,
                f"{said} {_anchor_phrase(request, anchor)}",
                item_id=request.catalogue.ids[anchor],
                event_type=trace.last_type if trace else None,
                at=micros_to_datetime(trace.last_at) if trace else None,
            )
        ]
