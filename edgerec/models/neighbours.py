"""Neighbourhood baselines: sequential item-to-item co-occurrence, item-kNN and EASE."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from edgerec.models.base import MemoryNeed, Recommender, Validator
from edgerec.models.data import EventWeights, History, Interactions
from edgerec.models.matrix import (
    ItemTable,
    block_neighbours,
    cosine_blocks,
    gram,
    items_gaining_users,
    neighbour_table,
    top_neighbours,
    top_per_column,
    trained_items,
    user_item,
)


@dataclass(frozen=True)
class CooccurrenceConfig:
    window: int = 3
    recent: int = 5
    decay: float = 0.6
    weights: EventWeights = field(default_factory=EventWeights)


class Cooccurrence(Recommender):
    """Counts items that follow each other within a window of a user's sequence (co-visitation).

    A history is scored from its most recent items, each weighted by decay**age.
    """

    kind = "cooccurrence"
    Config = CooccurrenceConfig

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        cfg = self.config
        ev_w = cfg.weights.by_code()
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for h in data.histories().values():
            assert h.events is not None
            for d in range(1, cfg.window + 1):
                if len(h.items) <= d:
                    break
                a, b = h.items[:-d], h.items[d:]
                w = ev_w[h.events[d:]] / d
                rows += [a, b]
                cols += [b, a]
                vals += [w, 0.5 * w]  # the forward direction counts double
        n = data.n_items
        if rows:
            idx = torch.as_tensor(np.stack([np.concatenate(rows), np.concatenate(cols)]))
            v = torch.as_tensor(np.concatenate(vals).astype(np.float32))
        else:
            idx, v = torch.zeros(2, 0, dtype=torch.long), torch.zeros(0)
        c = torch.sparse_coo_tensor(idx, v, (n, n), check_invariants=True).coalesce()
        out_deg = torch.sparse.sum(c, dim=1).to_dense() if c._nnz() else torch.zeros(n)
        ci = c.indices()
        norm = c.values() / torch.sqrt(out_deg[ci[0]] * out_deg[ci[1]]).clamp_min(1e-9)
        self.matrix = (
            torch.sparse_coo_tensor(ci, norm, (n, n), check_invariants=True).coalesce().to_sparse_csr()
        )

    def _score(self, histories: list[History]) -> torch.Tensor:
        cfg = self.config
        q = torch.zeros(len(histories), self.n_items)
        for r, h in enumerate(histories):
            recent = h.items[-cfg.recent :][::-1]
            for age, i in enumerate(recent):
                q[r, int(i)] += cfg.decay**age
        return (self.matrix.t() @ q.t()).t() if self.matrix.values().numel() else q * 0

    def _tensors(self) -> dict[str, torch.Tensor]:
        coo = self.matrix.to_sparse_coo()
        return {"indices": coo.indices(), "values": coo.values(), "n": torch.tensor(self.n_items)}

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        n = int(tensors["n"])
        self.matrix = (
            torch.sparse_coo_tensor(
                tensors["indices"].cpu(), tensors["values"].cpu(), (n, n), check_invariants=True
            )
            .coalesce()
            .to_sparse_csr()
        )


#: The share of item-kNN's lists above which an update recomputes every list (a fit): most of
#: the work of one, and the update's bookkeeping besides.
REFIT_SHARE = 0.5


@dataclass(frozen=True)
class ItemKNNConfig:
    neighbours: int = 100
    shrink: float = 10.0
    weights: EventWeights = field(default_factory=EventWeights)


class ItemKNN(Recommender):
    """Cosine item-item similarity on the user-item matrix, pruned to the top neighbours."""

    kind = "itemknn"
    Config = ItemKNNConfig

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        cfg = self.config
        items = trained_items(data)
        x = user_item(data, binary=True, items=items)
        sim = top_neighbours(x, cfg.neighbours, cfg.shrink, self.device)
        self.sim = ItemTable(items, sim, data.n_items)
        self.event_weights = torch.as_tensor(cfg.weights.by_code())

    def _partial_fit(self, new: Interactions, *, seed: int) -> None:
        """Recompute the neighbour lists new's rows can change and keep the others: the table a
        fit on every row gives, entry for entry, at a fraction of its cost.

        The similarities are of the binary user-item matrix's columns, so they change only for
        pairs with an item that gains a customer (a changed item): its column and its norm move.
        A changed item's list is recomputed whole. Any other item's similarities stand but those
        to the changed items, so its new list is the best of its kept unchanged neighbours and
        its similarities to the changed items (the changed items' columns, read off the blocks
        computed for their own lists). That holds unless its list was full and held a changed
        item, which may drop out and leave room for an unchanged neighbour the list did not keep:
        such a list is recomputed whole too. Both ways break ties by item (`top_rows`).
        """
        assert self.data is not None
        cfg = self.config
        items = trained_items(self.data)  # a new item joins the table, with no list kept
        n = len(items)
        changed = np.zeros(n, dtype=bool)
        changed[np.searchsorted(items, items_gaining_users(self.data, new))] = True
        if not changed.any():  # rows that repeat pairs the table counts already
            return
        kept = self.sim.table.to_sparse_coo().coalesce().cpu()
        neighbour, item = np.searchsorted(items, self.sim.items[kept.indices().numpy()])
        sim = kept.values().numpy()
        full = np.bincount(item, minlength=n) >= cfg.neighbours
        redo = changed.copy()
        redo[item[changed[neighbour] & full[item]]] = True
        if redo.sum() > REFIT_SHARE * n:
            self._fit(self.data, validate=None, seed=seed)
            return
        # The least similarity that can enter a list: a full list's last (a tie may enter).
        floor = np.where(full, np.inf, 0.0).astype(np.float32)
        np.minimum.at(floor, item[full[item]], sim[full[item]])
        floor_of = torch.as_tensor(floor, device=self.device)[:, None]
        merged = torch.as_tensor(~redo, device=self.device)[:, None]
        changed_of = torch.as_tensor(changed, device=self.device)
        k = min(cfg.neighbours, n)
        x = user_item(self.data, binary=True, items=items)
        redone, entering = [], []
        for picked, block in cosine_blocks(x, cfg.shrink, self.device, np.flatnonzero(redo)):
            redone.append(block_neighbours(picked, block, k))
            # A changed item's column is its row too: its similarity to each list that is merged.
            enter = (block > 0) & (block >= floor_of) & merged & changed_of[picked]
            j, c = torch.nonzero(enter, as_tuple=True)
            entering.append((picked[c], j, block[j, c]))
        stay = ~redo[item] & ~changed[neighbour]
        parts = [(neighbour[stay], item[stay], sim[stay])]
        parts += [tuple(p.cpu().numpy() for p in part) for part in entering]
        merged_lists = top_per_column(*(np.concatenate(p) for p in zip(*parts, strict=True)), cfg.neighbours)
        rows, cols, vals = (
            torch.cat([torch.as_tensor(m), *(r[i].cpu() for r in redone)]) for i, m in enumerate(merged_lists)
        )
        table = neighbour_table(rows, cols, vals, n).to(self.device)
        self.sim = ItemTable(items, table, self.data.n_items)

    def _score(self, histories: list[History]) -> torch.Tensor:
        return self.sim.score(histories, self.event_weights.numpy())

    def _tensors(self) -> dict[str, torch.Tensor]:
        return {**self.sim.tensors(), "event_weights": self.event_weights}

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.sim, self.event_weights = ItemTable.from_tensors(tensors), tensors["event_weights"].cpu()


@dataclass(frozen=True)
class EASEConfig:
    l2: float = 200.0
    weights: EventWeights = field(default_factory=EventWeights)


#: n x n float32 matrices EASE's fit takes at its peak, a margin included: the Gram matrix, the
#: inverse's working copy and its output (measured: 3.4 to 3.7 n^2 floats for n = 4,000 to 8,000).
EASE_TABLES = 4


class EASE(Recommender):
    """Embarrassingly shallow autoencoder (Steck 2019): closed-form item-item regression."""

    kind = "ease"
    Config = EASEConfig

    def memory_needed(self, data: Interactions) -> MemoryNeed:
        n = len(trained_items(data))
        return MemoryNeed(EASE_TABLES * 4 * n * n, f"a dense {n:,} x {n:,} item table and its inverse")

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        items = trained_items(data)
        g = gram(user_item(data, weights=self.config.weights, items=items), self.device)
        g.diagonal().add_(self.config.l2)
        p = torch.linalg.inv(g)  # faster than cholesky_inverse on CPU
        del g
        p.div_(-torch.diagonal(p)[None, :].clone())  # in place: B = -P / diag(P)
        p.fill_diagonal_(0.0)
        self.b = ItemTable(items, p, data.n_items)
        self.event_weights = torch.as_tensor(self.config.weights.by_code())

    def _score(self, histories: list[History]) -> torch.Tensor:
        return self.b.score(histories, self.event_weights.numpy())

    def _tensors(self) -> dict[str, torch.Tensor]:
        return {**self.b.tensors(), "event_weights": self.event_weights}

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.b, self.event_weights = ItemTable.from_tensors(tensors), tensors["event_weights"].cpu()
