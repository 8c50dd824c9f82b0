"""Sparse user-item matrices and the item-item tables of the neighbourhood baselines.

The tables are built over the items the training rows touch, not the whole catalogue: a shop's
catalogue can list tens of thousands of items no one has touched (a fashion catalogue beside
MovieLens' ratings: 49,659 items, 9,724 rated), and a dense table over all of them takes memory
by the square of the catalogue (9.9 GB there) where one over the touched items takes 380 MB.
An item outside the table scores 0, as an untouched item's row and column of a whole-catalogue
table would have it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from edgerec.models.data import EventWeights, History, Interactions

# The item-item products go through torch's CSR layout, which says on its first use in a process
# that it is in beta: a line on a user's terminal that asks nothing of them.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)

#: Entries of a block of the item-item Gram matrix, and of the block of the user-item matrix that
#: gives it, computed at once: 16 MB of float32 each.
BLOCK_ENTRIES = 1 << 22


def trained_items(data: Interactions) -> np.ndarray:
    """The items the rows touch (sorted): what the item-item tables are built over."""
    return np.unique(data.item)


def user_item(
    data: Interactions,
    *,
    weights: EventWeights | None = None,
    binary: bool = False,
    items: np.ndarray | None = None,
) -> torch.Tensor:
    """Sparse COO [n_users, n_items]; repeated (user, item) pairs keep their largest weight.

    With items (sorted catalogue indices, every item of data among them), column c is items[c].
    """
    if weights is None or binary:
        w = np.ones(len(data), dtype=np.float32)
    else:
        w = weights.of(data.event, data.time)
    column = data.item if items is None else np.searchsorted(items, data.item)
    n_columns = data.n_items if items is None else len(items)
    key = data.user * n_columns + column
    order = np.lexsort((-w, key))
    key_sorted = key[order]
    first = np.ones(len(key_sorted), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    keep = order[first]
    idx = torch.as_tensor(np.stack([data.user[keep], column[keep]]))
    vals = torch.as_tensor(w[keep])
    shape = (data.n_users, n_columns)
    return torch.sparse_coo_tensor(idx, vals, shape, check_invariants=True).coalesce()


def gram_blocks(x: torch.Tensor, device: torch.device) -> Iterator[tuple[int, torch.Tensor]]:
    """The item-item Gram matrix X^T X of a sparse user-item matrix, a block of columns at a
    time: (first column, block [n_items, columns]), so that no n_items x n_items matrix is ever
    held whole. Each block is the sparse X^T times a dense block of X's columns, which takes
    memory by the block, where a sparse-by-sparse product takes it by its terms."""
    users, n = x.shape
    left = x.t().coalesce().to(device)  # sorted by item: a block of columns of X is a slice
    item, user = left.indices()
    starts = torch.searchsorted(item, torch.arange(n + 1, device=device)).tolist()
    left = left.to_sparse_csr()
    step = max(1, BLOCK_ENTRIES // max(users, n))
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        a, z = starts[lo], starts[hi]
        columns = torch.zeros(users, hi - lo, device=device)
        columns[user[a:z], item[a:z] - lo] = left.values()[a:z]
        yield lo, left @ columns


def gram(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Dense item-item Gram matrix X^T X from a sparse user-item matrix."""
    n = x.shape[1]
    g = torch.empty(n, n, device=device)
    for lo, block in gram_blocks(x, device):
        g[:, lo : lo + block.shape[1]] = block
    return g


def top_neighbours(x: torch.Tensor, k: int, shrink: float, device: torch.device) -> torch.Tensor:
    """Sparse CSR [n, n] of each item's k most cosine-similar other items (shrunk): column j
    holds item j's neighbours, so that a history's row of items times it scores every item."""
    n = x.shape[1]
    squares = torch.zeros(n).index_add_(0, x.indices()[1], x.values() ** 2).to(device)  # X^T X's diagonal
    k = min(k, n)
    rows, cols, vals = [], [], []
    for lo, block in gram_blocks(x, device):
        hi = lo + block.shape[1]
        block /= (squares[:, None] * squares[None, lo:hi]).sqrt_().add_(shrink)  # cosine, shrunk
        block[torch.arange(lo, hi), torch.arange(hi - lo)] = 0.0  # an item is not its own neighbour
        top = torch.topk(block, k, dim=0)
        kept = top.values != 0  # a zero neighbour scores nothing
        rows.append(top.indices[kept])
        cols.append(torch.arange(lo, hi, device=device)[None, :].expand(k, -1)[kept])
        vals.append(top.values[kept])
    indices = torch.stack([torch.cat(rows), torch.cat(cols)])
    coo = torch.sparse_coo_tensor(indices, torch.cat(vals), (n, n), check_invariants=True)
    return coo.coalesce().to_sparse_csr()


def history_product(
    histories: Sequence[History], matrix: torch.Tensor, *, weights: np.ndarray | None = None
) -> torch.Tensor:
    """(history indicator matrix) @ matrix, computed from the few history rows of matrix.

    Costs O(history length) per row rather than O(n_items); repeats keep their largest weight.
    """
    rows, cols, vals = [], [], []
    for r, h in enumerate(histories):
        if len(h.items) == 0:
            continue
        assert h.events is not None
        w = np.ones(len(h.items), dtype=np.float32) if weights is None else weights[h.events]
        items, inverse = np.unique(h.items, return_inverse=True)
        best = np.zeros(len(items), dtype=np.float32)
        np.maximum.at(best, inverse, w)
        rows.append(np.full(len(items), r))
        cols.append(items)
        vals.append(best)
    n = matrix.shape[0]
    if not rows:
        return torch.zeros(len(histories), matrix.shape[1], device=matrix.device)
    idx = torch.as_tensor(np.stack([np.concatenate(rows), np.concatenate(cols)]), device=matrix.device)
    values = torch.as_tensor(np.concatenate(vals), device=matrix.device)
    x = torch.sparse_coo_tensor(idx, values, (len(histories), n), check_invariants=True)
    if matrix.layout == torch.sparse_csr:
        return (x.to_sparse_csr() @ matrix).to_dense()
    return torch.sparse.mm(x, matrix)


@dataclass(frozen=True)
class ItemTable:
    """An item-item table over some items (sorted catalogue indices): a history's items, as a
    row of weights, times the table scores those items; the catalogue's other items score 0."""

    items: np.ndarray
    table: torch.Tensor  # [len(items), len(items)], dense or sparse CSR
    n_items: int
    #: Per catalogue item, its row of the table (-1: none).
    row: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        row = np.full(self.n_items, -1, dtype=np.int64)
        row[self.items] = np.arange(len(self.items))
        object.__setattr__(self, "row", row)

    def score(self, histories: Sequence[History], weights: np.ndarray) -> torch.Tensor:
        inside = []  # each history's items that have a row, numbered by their rows
        for h in histories:
            assert h.events is not None
            rows = self.row[h.items]
            kept = rows >= 0
            inside.append(History(items=rows[kept], events=np.asarray(h.events)[kept]))
        out = torch.zeros(len(histories), self.n_items, device=self.table.device)
        columns = torch.as_tensor(self.items, device=out.device)
        out[:, columns] = history_product(inside, self.table, weights=weights)
        return out

    def tensors(self) -> dict[str, torch.Tensor]:
        t = self.table
        parts = (
            {"crow": t.crow_indices(), "col": t.col_indices(), "values": t.values()}
            if t.layout == torch.sparse_csr
            else {"table": t}
        )
        return {"items": torch.from_numpy(self.items), "n_items": torch.tensor(self.n_items), **parts}

    @staticmethod
    def from_tensors(t: dict[str, torch.Tensor]) -> ItemTable:
        """The table tensors() gave; a sparse one whose indices do not fit its size is refused."""
        n = len(t["items"])
        table = t.get("table")
        if table is None:
            table = torch.sparse_csr_tensor(t["crow"], t["col"], t["values"], (n, n), check_invariants=True)
        return ItemTable(t["items"].cpu().numpy(), table, int(t["n_items"]))
