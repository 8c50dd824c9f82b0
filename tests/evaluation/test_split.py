"""Splits: leave-last-out, temporal and cold-items never leak a target into training."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edgerec.evaluation.split import cold_items, leave_last_out, temporal
from edgerec.models.data import Interactions


def make_log(pairs: list[tuple[int, int]], n_items: int = 20, n_users: int = 6) -> Interactions:
    users = np.array([u for u, _ in pairs], dtype=np.int64)
    items = np.array([i for _, i in pairs], dtype=np.int64)
    n = len(pairs)
    return Interactions(
        item_ids=tuple(f"i{k}" for k in range(n_items)),
        user_ids=tuple(f"u{k}" for k in range(n_users)),
        user=users,
        item=items,
        event=np.ones(n, dtype=np.int64),
        time=np.arange(n, dtype=np.int64) * 1000,
        position=np.arange(n, dtype=np.int64),
    )


logs = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 19)), min_size=1, max_size=80)


def test_leave_last_out_by_hand() -> None:
    log = make_log([(0, 1), (0, 2), (1, 5), (0, 3), (0, 4), (1, 6)])
    sp = leave_last_out(log)
    assert sp.test.targets.tolist() == [4]
    assert sp.valid.targets.tolist() == [3]
    assert sp.valid.histories[0].items.tolist() == [1, 2]
    assert sp.test.histories[0].items.tolist() == [1, 2, 3]
    # user 1 has two events: both train, no case
    assert sorted(sp.train.position.tolist()) == [0, 1, 2, 5]
    assert sp.valid_rows.position.tolist() == [3]


def _at_one_moment(log: Interactions, position: list[int], event: list[int] | None = None) -> Interactions:
    n = len(log)
    return Interactions(
        log.item_ids,
        log.user_ids,
        log.user,
        log.item,
        np.asarray(event or [1] * n),
        time=np.zeros(n, dtype=np.int64),
        position=np.asarray(position),
    )


def test_ties_in_time_do_not_depend_on_the_order_of_the_log() -> None:
    # A burst of ratings in one second, listed by item id in one file and otherwise in another.
    log = make_log([(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 1), (1, 2), (1, 3), (1, 4)])
    splits = []
    for position in (range(9), [8, 7, 6, 5, 4, 3, 2, 1, 0], [4, 0, 7, 2, 8, 1, 5, 3, 6]):
        sp = leave_last_out(_at_one_moment(log, list(position)))
        splits.append((sp.test.targets.tolist(), sp.valid.targets.tolist(), sorted(sp.train.item.tolist())))
        tp = temporal(_at_one_moment(log, list(position)), valid_frac=0.2, test_frac=0.2)
        splits[-1] += (sorted(tp.train.item.tolist()), tp.test.targets.tolist())
    assert splits[0] == splits[1] == splits[2]
    # nor is the tie settled by item id, either way
    assert splits[0][0][0] not in (1, 5)


def test_one_items_events_at_one_moment_keep_the_log_order() -> None:
    log = make_log([(0, 1), (0, 1), (0, 2)])
    view_then_buy = _at_one_moment(log, [10, 11, 12], event=[1, 3, 1])
    history = view_then_buy.histories()[0]
    assert history.events[history.items == 1].tolist() == [1, 3]
    buy_then_view = _at_one_moment(log, [11, 10, 12], event=[1, 3, 1])
    history = buy_then_view.histories()[0]
    assert history.events[history.items == 1].tolist() == [3, 1]


@settings(max_examples=60, deadline=None)
@given(logs)
def test_leave_last_out_has_no_leakage(pairs: list[tuple[int, int]]) -> None:
    log = make_log(pairs)
    sp = leave_last_out(log)
    train_pos = set(sp.train.position.tolist())
    for u in np.unique(log.user):
        rows = np.flatnonzero(log.user == u)
        if len(rows) >= 3:
            # the last two events of the user are not in training
            assert rows[-1] not in train_pos and rows[-2] not in train_pos
            assert all(r in train_pos for r in rows[:-2])
    for h in sp.test.histories:
        assert len(h.items) >= 2
    assert len(sp.train) + len(sp.valid_rows) + len(sp.test) == len(log)


@settings(max_examples=40, deadline=None)
@given(logs)
def test_temporal_uses_only_the_past(pairs: list[tuple[int, int]]) -> None:
    log = make_log(pairs)
    sp = temporal(log)
    last_train = sp.train.time.max(initial=-1)
    for h in sp.valid.histories:
        assert h.times.max() <= last_train
    if len(sp.valid_rows):
        assert sp.valid_rows.time.min() >= last_train
    assert len(sp.train) + len(sp.valid_rows) <= len(log)


@settings(max_examples=40, deadline=None)
@given(logs)
def test_cold_items_are_absent_from_training(pairs: list[tuple[int, int]]) -> None:
    log = make_log(pairs)
    sp = cold_items(log, frac=0.2, seed=1)
    assert sp.test.candidates is not None
    hidden = set(sp.test.candidates.tolist())
    assert not hidden & set(sp.train.item.tolist())
    assert not hidden & set(sp.valid_rows.item.tolist())
    for h, t in zip(sp.test.histories, sp.test.targets, strict=True):
        assert int(t) in hidden
        assert not hidden & set(h.items.tolist())
