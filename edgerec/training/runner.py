"""Running the trainer: catch up, or follow the log, checkpointing and publishing as it goes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from edgerec.training import published
from edgerec.training.trainer import StepReport, Trainer


def follow(
    trainer: Trainer,
    *,
    stop: threading.Event,
    poll_s: float = 0.2,
    publish_every_s: float = 0.5,
    publish_bytes_per_s: float = 32e6,
    status_every_s: float = 1.0,
    checkpoint_every_s: float = 30.0,
    checkpoint_bytes_per_s: float = 4e6,
    on_step: Callable[[StepReport, dict], None] | None = None,
    on_lost: Callable[[Exception], None] | None = None,
) -> None:
    """Trains on new events as they arrive until `stop` is set, then saves a checkpoint.

    Stopped by an exception in the middle of a step (a second Ctrl+C), it saves nothing: the
    trainer then holds a half-done step (a grown item table, a retrain not finished), and the
    checkpoint from before it stays.

    A snapshot is published at most every `publish_every_s` and a checkpoint saved at most every
    `checkpoint_every_s`, both less often when they are big (at most `publish_bytes_per_s` and
    `checkpoint_bytes_per_s` on average: with a million items the snapshot is 300 MB and the
    checkpoint 1 GB), and the status file is written at most every `status_every_s` (or when
    the state changes): under a steady stream of events every step ends caught up, and writing
    after every step took disk time from the recording process's commits.
    """
    publishing = _Cadence(publish_every_s, publish_bytes_per_s)
    checkpointing = _Cadence(checkpoint_every_s, checkpoint_bytes_per_s, last=time.perf_counter())
    status_writes = _Cadence(status_every_s)
    last_state = ""
    window_events, window_started = 0, time.perf_counter()
    published_position = saved_position = trainer.position
    lost = False
    stepping = False  # a step under way: what the trainer holds is no state to save
    try:
        while not stop.is_set():
            trainer.state = "following"
            try:
                stepping = True
                report = trainer.step()
                stepping = False
                head = trainer.store.head()
            except OperationalError as exc:  # the server restarted: wait for it, then go on
                stepping = False  # the loop goes on from what the trainer holds, and so may a save
                if not lost and on_lost is not None:
                    on_lost(exc)
                lost = True
                stop.wait(max(poll_s, 1.0))
                continue
            lost = False
            now = time.perf_counter()
            window_events += report.events
            if now - window_started >= 1.0:
                trainer.events_per_s = window_events / (now - window_started)
                window_events, window_started = 0, now
            elif not trainer.events_per_s and window_events:  # the first second: its rate so far, not 0
                trainer.events_per_s = window_events / max(now - window_started, 1e-9)
            caught_up = trainer.position >= head
            if trainer.position != published_position and publishing.due(now):
                publishing.done(now, trainer.publish())
                published_position = trainer.position
            # (also once caught up: a trainer idle after a burst keeps what it learned from it)
            if trainer.position != saved_position and checkpointing.due(now):
                checkpointing.done(now, trainer.save())
                saved_position = trainer.position
            if caught_up:
                trainer.state = "caught up"  # still following: it waits for the next events
            status = trainer.status(head)
            if status_writes.due(now) or trainer.state != last_state:
                published.write_status(trainer.directory, status)
                status_writes.done(now)
                last_state = trainer.state
            if on_step and report.events:
                on_step(report, status)
            if caught_up:
                stop.wait(poll_s)
    finally:
        trainer.state = "stopped"
        if not stepping:
            trainer.save()
            trainer.write_stopped_status()


def catch_up(
    trainer: Trainer,
    *,
    stop: threading.Event,
    checkpoint_every_s: float = 30.0,
    checkpoint_bytes_per_s: float = 4e6,
    on_step: Callable[[StepReport], None] | None = None,
) -> int:
    """`Trainer.catch_up`, saving a checkpoint as `follow` does (at most every
    `checkpoint_every_s`, and `checkpoint_bytes_per_s` on average) after whole steps; returns
    events processed. The caller saves at the end. A trainer killed part way through a long log
    (the OOM killer, a power cut) resumes from its last checkpoint, where it started again from
    the checkpoint it had begun from."""
    checkpointing = _Cadence(checkpoint_every_s, checkpoint_bytes_per_s, last=time.perf_counter())

    def stepped(report: StepReport) -> None:
        if on_step is not None:
            on_step(report)
        now = time.perf_counter()
        if checkpointing.due(now):
            checkpointing.done(now, trainer.save())

    return trainer.catch_up(on_step=stepped, stop=stop)


@dataclass(slots=True)
class _Cadence:
    """A file rewritten at most every `every_s`, and at most `bytes_per_s` on average: after a
    write of n bytes, the next waits at least n / `bytes_per_s`. The first is due at once
    unless `last` says when the one before was written."""

    every_s: float
    bytes_per_s: float = float("inf")
    last: float = float("-inf")
    interval: float = 0.0

    def due(self, now: float) -> bool:
        return now - self.last >= max(self.every_s, self.interval)

    def done(self, now: float, size: int = 0) -> None:
        self.last, self.interval = now, size / self.bytes_per_s
