"""Running the trainer: catch up, or follow the log, checkpointing and publishing as it goes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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
) -> None:
    """Trains on new events as they arrive until `stop` is set; always leaves a checkpoint.

    A snapshot is published at most every `publish_every_s` and a checkpoint saved at most every
    `checkpoint_every_s`, both less often when they are big (at most `publish_bytes_per_s` and
    `checkpoint_bytes_per_s` on average: with a million items the snapshot is 300 MB and the
    checkpoint 1 GB), and the status file is written at most every `status_every_s` (or when
    the state changes): under a steady stream of events every step ends caught up, and writing
    after every step took disk time from the recording process's commits.
    """
    last_publish = last_status = 0.0
    last_checkpoint = time.perf_counter()  # the trainer has just been restored from one (or is new)
    last_state = ""
    publish_interval, checkpoint_interval = publish_every_s, checkpoint_every_s
    window_events, window_started = 0, time.perf_counter()
    published_position = trainer.position
    try:
        while not stop.is_set():
            trainer.state = "following"
            report = trainer.step()
            now = time.perf_counter()
            window_events += report.events
            if now - window_started >= 1.0:
                trainer.events_per_s = window_events / (now - window_started)
                window_events, window_started = 0, now
            head = trainer.store.head()
            caught_up = trainer.position >= head
            if trainer.position != published_position and now - last_publish >= publish_interval:
                size = trainer.publish()
                published_position, last_publish = trainer.position, now
                publish_interval = max(publish_every_s, size / publish_bytes_per_s)
            if now - last_checkpoint >= checkpoint_interval and report.events:
                size = trainer.save()
                last_checkpoint = now
                checkpoint_interval = max(checkpoint_every_s, size / checkpoint_bytes_per_s)
            status = trainer.status(head)
            if caught_up:
                status["state"] = trainer.state = "idle"
            if now - last_status >= status_every_s or trainer.state != last_state:
                published.write_status(trainer.directory, status)
                last_status, last_state = now, trainer.state
            if on_step and report.events:
                on_step(report, status)
            if caught_up:
                stop.wait(poll_s)
    finally:
        trainer.state = "stopped"
        trainer.save()
        published.write_status(trainer.directory, trainer.status())
