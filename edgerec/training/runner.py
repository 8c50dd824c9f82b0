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
    checkpoint_every_s: float = 30.0,
    on_step: Callable[[StepReport, dict], None] | None = None,
) -> None:
    """Trains on new events as they arrive until `stop` is set; always leaves a checkpoint."""
    last_publish = last_checkpoint = 0.0
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
            if trainer.position != published_position and (
                caught_up or now - last_publish >= publish_every_s
            ):
                trainer.publish()
                published_position, last_publish = trainer.position, now
            if now - last_checkpoint >= checkpoint_every_s and report.events:
                trainer.save()
                last_checkpoint = now
            status = trainer.status(head)
            published.write_status(trainer.directory, status)
            if on_step and report.events:
                on_step(report, status)
            if caught_up:
                trainer.state = "idle"
                stop.wait(poll_s)
    finally:
        trainer.state = "stopped"
        trainer.save()
        published.write_status(trainer.directory, trainer.status())
