"""Sparse user-item matrices and item-item products shared by the neighbourhood baselines."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from edgerec.models.data import EventWeights, Interactions

# The item-item products go through torch's CSR layout, which says on its first use in a process
# that it is in beta: a line on a user's terminal that asks nothing of them.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)


def user_item(
    data: Interactions, *, weights: EventWeights | None = None, binary: bool = False
) -> torch.Tensor:
    """Sparse COO [n_users, n_items]; repeated (user, item) pairs keep their largest weight."""
    if weights is None or binary:
        w = np.ones(len(data), dtype=np.float32)
    else:
        w = weights.of(data.event, data.time)
    key = data.user * data.n_items + data.item
    order = np.lexsort((-w, key))
    key_sorted = key[order]
    first = np.ones(len(key_sorted), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    keep = order[first]
    idx = torch.as_tensor(np.stack([data.user[keep], data.item[keep]]))
    vals = torch.as_tensor(w[keep])
    shape = (data.n_users, data.n_items)
    return torch.sparse_coo_tensor(idx, vals, shape, check_invariants=True).coalesce()


def gram(x: torch.Tensor, device: torch.device | None = None) -> torch.Tensor:
    """Dense item-item Gram matrix X^T X from a sparse user-item matrix."""
    g = torch.sparse.mm(x.t().coalesce(), x).to_dense()
    return g.to(device) if device is not None else g


def top_k_columns(s: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest entries of each column of a dense square matrix (others zero)."""
    if k >= s.shape[0]:
        return s
    vals, idx = torch.topk(s, k, dim=0)
    out = torch.zeros_like(s)
    out.scatter_(0, idx, vals)
    return out


def to_sparse_csr(s: torch.Tensor) -> torch.Tensor:
    return s.to_sparse_csr()
