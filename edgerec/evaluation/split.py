"""Evaluation protocols: leave-last-out, temporal and cold-items splits with no target leakage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgerec.models.data import History, Interactions


@dataclass(frozen=True)
class Cases:
    """Ranking cases: each history is followed by its target; candidates restrict the ranking."""

    histories: list[History]
    targets: np.ndarray
    users: np.ndarray
    candidates: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.targets)


@dataclass(frozen=True)
class Split:
    """Training rows, validation cases, rows folded in before testing, and test cases."""

    protocol: str
    train: Interactions
    valid: Cases
    valid_rows: Interactions
    test: Cases


def _history(data: Interactions, rows: np.ndarray) -> History:
    return History(
        items=data.item[rows],
        events=data.event[rows],
        times=data.time[rows],
        store=int(data.store[rows[-1]]) if len(rows) else 0,
    )


def leave_last_out(data: Interactions, *, min_length: int = 3) -> Split:
    """Per user in time order: last item = test, the one before = validation, the rest = train.

    Users with fewer than min_length interactions only contribute training rows.
    """
    order = data.time_order()
    users = data.user[order]
    bounds = np.flatnonzero(np.diff(users)) + 1
    is_test = np.zeros(len(data), dtype=bool)
    is_valid = np.zeros(len(data), dtype=bool)
    v_hist, v_tgt, v_user, t_hist, t_tgt, t_user = [], [], [], [], [], []
    for rows in np.split(order, bounds):
        if len(rows) < min_length:
            continue
        is_test[rows[-1]] = True
        is_valid[rows[-2]] = True
        u = int(data.user[rows[0]])
        v_hist.append(_history(data, rows[:-2]))
        v_tgt.append(data.item[rows[-2]])
        v_user.append(u)
        t_hist.append(_history(data, rows[:-1]))
        t_tgt.append(data.item[rows[-1]])
        t_user.append(u)
    return Split(
        protocol="leave-last-out",
        train=data.select(~is_test & ~is_valid),
        valid=Cases(v_hist, np.asarray(v_tgt, dtype=np.int64), np.asarray(v_user, dtype=np.int64)),
        valid_rows=data.select(is_valid),
        test=Cases(t_hist, np.asarray(t_tgt, dtype=np.int64), np.asarray(t_user, dtype=np.int64)),
    )


def temporal(data: Interactions, *, valid_frac: float = 0.1, test_frac: float = 0.1) -> Split:
    """Global time cut: the last test_frac of the log is test, the valid_frac before it validation.

    Each user's first event inside a window is that user's target, predicted from everything the
    user did before the window starts.
    """
    glob = data.time_order(by_user=False)
    n = len(data)
    cut_v, cut_t = int(n * (1 - valid_frac - test_frac)), int(n * (1 - test_frac))
    window = np.zeros(n, dtype=np.int8)
    window[glob[cut_v:cut_t]] = 1
    window[glob[cut_t:]] = 2
    order = data.time_order()
    bounds = np.flatnonzero(np.diff(data.user[order])) + 1
    cases: dict[int, tuple[list, list, list]] = {1: ([], [], []), 2: ([], [], [])}
    for rows in np.split(order, bounds):
        if not len(rows):
            continue
        w = window[rows]
        for win in (1, 2):
            inside = np.flatnonzero(w == win)
            before = rows[w < win] if win == 1 else rows[w < 2]
            if len(inside) and len(before):
                h, t, u = cases[win]
                h.append(_history(data, before))
                t.append(data.item[rows[inside[0]]])
                u.append(int(data.user[rows[0]]))

    def mk(win: int) -> Cases:
        h, t, u = cases[win]
        return Cases(h, np.asarray(t, dtype=np.int64), np.asarray(u, dtype=np.int64))

    return Split("temporal", data.select(window == 0), mk(1), data.select(window == 1), mk(2))


def cold_items(data: Interactions, *, frac: float = 0.1, seed: int = 0) -> Split:
    """Hide every interaction of a random frac of items; rank those items for their users.

    Validation is leave-last-out on the remaining (warm) log. Each test case is a user's first
    interaction with a hidden item, predicted from the user's earlier warm interactions, ranked
    among the hidden items only.
    """
    rng = np.random.default_rng(seed)
    active = np.unique(data.item)
    hidden = np.sort(rng.choice(active, size=max(1, int(round(frac * len(active)))), replace=False))
    is_hidden = np.isin(data.item, hidden)
    warm = leave_last_out(data.select(~is_hidden), min_length=3)
    order = data.time_order()
    bounds = np.flatnonzero(np.diff(data.user[order])) + 1
    hist, tgt, usr = [], [], []
    for rows in np.split(order, bounds):
        hid = np.flatnonzero(is_hidden[rows])
        if not len(hid):
            continue
        before = rows[: hid[0]]
        before = before[~is_hidden[before]]
        if len(before):
            hist.append(_history(data, before))
            tgt.append(data.item[rows[hid[0]]])
            usr.append(int(data.user[rows[0]]))
    test = Cases(hist, np.asarray(tgt, dtype=np.int64), np.asarray(usr, dtype=np.int64), hidden)
    warm_all = data.select(~is_hidden)
    fold_in = warm_all.select(~np.isin(warm_all.position, warm.train.position))
    return Split("cold-items", warm.train, warm.valid, fold_in, test)
