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


def gram_blocks(
    x: torch.Tensor, device: torch.device, columns: np.ndarray | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The item-item Gram matrix X^T X of a sparse user-item matrix, a block of columns at a
    time: (the block's columns, block [n_items, len(columns)]), so that no n_items x n_items
    matrix is ever held whole. Each block is the sparse X^T times a dense block of X's columns,
    which takes memory by the block, where a sparse-by-sparse product takes it by its terms.
    With columns (sorted column indices), only those columns of X^T X are computed."""
    users, n = x.shape
    left = x.t().coalesce().to(device)  # sorted by item: a column of X is a slice
    item, user = left.indices()
    starts = torch.searchsorted(item, torch.arange(n + 1, device=device))
    left = left.to_sparse_csr()
    wanted = torch.arange(n, device=device) if columns is None else torch.as_tensor(columns, device=device)
    step = max(1, BLOCK_ENTRIES // max(users, n))
    for lo in range(0, len(wanted), step):
        picked = wanted[lo : lo + step]
        # the entries of X's picked columns, and which column of the block each goes to
        sizes = starts[picked + 1] - starts[picked]
        at = torch.repeat_interleave(starts[picked] - torch.cumsum(sizes, 0) + sizes, sizes)
        at += torch.arange(len(at), device=device)
        columns_of_x = torch.zeros(users, len(picked), device=device)
        block_column = torch.repeat_interleave(torch.arange(len(picked), device=device), sizes)
        columns_of_x[user[at], block_column] = left.values()[at]
        yield picked, left @ columns_of_x


def gram(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Dense item-item Gram matrix X^T X from a sparse user-item matrix."""
    n = x.shape[1]
    g = torch.empty(n, n, device=device)
    for picked, block in gram_blocks(x, device):
        g[:, picked] = block
    return g


def cosine_blocks(
    x: torch.Tensor, shrink: float, device: torch.device, columns: np.ndarray | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The shrunk cosine similarity of X's columns, a block of columns at a time as gram_blocks
    gives them, with each item's similarity to itself set to 0 (an item is not its own
    neighbour). Entry (i, j) and entry (j, i) are the same float, whichever block holds them."""
    squares = torch.zeros(x.shape[1]).index_add_(0, x.indices()[1], x.values() ** 2).to(device)
    for picked, block in gram_blocks(x, device, columns):
        block /= (squares[:, None] * squares[None, picked]).sqrt_().add_(shrink)
        block[picked, torch.arange(len(picked), device=device)] = 0.0
        yield picked, block


def top_rows(block: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each column's k largest entries, as (rows [k, columns], values [k, columns]).

    Of entries equal to a column's k-th largest value, those of the lowest rows are kept, so
    that the choice depends on the column's values alone: torch.topk picks among ties as its
    algorithm meets them, and an incremental update that merges a few changed entries into a
    kept list could not make the same choice. Binary data ties often (every pair of items
    bought once by the same single customer has the same similarity).
    """
    top = torch.topk(block, k, dim=0)
    rows, values = top.indices, top.values
    cols = torch.nonzero(values[-1] > 0).squeeze(1)  # a zero neighbour is left out, tied or not
    sub, kth = block[:, cols], values[-1, cols]
    tied = (sub == kth).sum(0) > (values[:, cols] == kth).sum(0)
    if tied.any():
        cols, sub, kth = cols[tied], sub[:, tied], kth[tied]
        above, equal = sub > kth, sub == kth
        keep = above | (equal & (equal.cumsum(0) <= k - above.sum(0)))
        c, r = torch.nonzero(keep.t(), as_tuple=True)  # k rows a column, by row
        rows[:, cols] = r.view(len(cols), k).t()
        values[:, cols] = sub[r, c].view(len(cols), k).t()
    return rows, values


def block_neighbours(
    picked: torch.Tensor, block: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(neighbour, item, similarity) of the k most similar items to each of a block's columns
    (picked), zero similarities left out: a zero neighbour scores nothing."""
    rows, values = top_rows(block, k)
    kept = values != 0
    return rows[kept], picked[None, :].expand(k, -1)[kept], values[kept]


def top_per_column(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of sparse entries (rows, cols, vals), each column's k largest, ties to the lower row as
    `top_rows` keeps them."""
    order = np.lexsort((rows, -vals, cols))
    by_column = cols[order]
    rank = np.arange(len(order)) - np.searchsorted(by_column, by_column)
    kept = order[rank < k]
    return rows[kept], cols[kept], vals[kept]


def items_gaining_users(data: Interactions, new: Interactions) -> np.ndarray:
    """The items (sorted) that new's rows give a user who had not touched them in data's other
    rows (data includes new's rows): the columns of data's binary user-item matrix new changed."""
    n = data.n_items
    keys, counts = np.unique(data.user * n + data.item, return_counts=True)
    new_keys, new_counts = np.unique(new.user * n + new.item, return_counts=True)
    first = counts[np.searchsorted(keys, new_keys)] == new_counts
    return np.unique(new_keys[first] % n)


def neighbour_table(rows: torch.Tensor, cols: torch.Tensor, vals: torch.Tensor, n: int) -> torch.Tensor:
    """Sparse CSR [n, n] with vals at (rows, cols): column j holds item j's neighbours, so that a
    history's row of items times it scores every item."""
    coo = torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (n, n), check_invariants=True)
    return coo.coalesce().to_sparse_csr()


def top_neighbours(x: torch.Tensor, k: int, shrink: float, device: torch.device) -> torch.Tensor:
    """Sparse CSR [n, n] of each item's k most cosine-similar other items (shrunk)."""
    k = min(k, x.shape[1])
    parts = [block_neighbours(picked, block, k) for picked, block in cosine_blocks(x, shrink, device)]
    rows, cols, vals = (torch.cat(p) for p in zip(*parts, strict=True))
    return neighbour_table(rows, cols, vals, x.shape[1])


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
