"""The thread that ranks while a commit syncs: one job at a time, its errors the caller's."""

from __future__ import annotations

import threading

import pytest

from edgerec.recommend.beside_commit import BesideCommit


def test_a_job_runs_on_its_own_thread_and_hands_back_its_result() -> None:
    beside = BesideCommit()
    for n in range(3):
        beside.start(lambda n=n: (threading.get_ident(), n))
        ident, value = beside.result()
        assert ident != threading.get_ident() and value == n
    assert not beside.started


def test_a_job_error_is_raised_to_the_caller_and_the_thread_goes_on() -> None:
    beside = BesideCommit()
    beside.start(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        beside.result()
    beside.start(lambda: "next")
    assert beside.result() == "next"


def test_a_result_is_collected_before_the_next_job_and_only_once() -> None:
    beside = BesideCommit()
    with pytest.raises(RuntimeError, match="no job"):
        beside.result()
    beside.start(lambda: None)
    with pytest.raises(RuntimeError, match="not collected"):
        beside.start(lambda: None)
    beside.result()
