"""The Textual user interfaces: the operator console and the customer-facing kiosk.

Textual is imported only inside these entry points, so that `import edgerec.ui` stays cheap
and nothing else in edgerec depends on it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edgerec.runtime import TrainerProcess
    from edgerec.ui.app import BaseApp

# How long a quit waits for the trainer's final save before it says what it waits for.
SAY_SAVING_AFTER_S = 1.0


def run_console(store_url: str, *, train: bool = True) -> None:
    """Opens the store at `store_url` (a path or SQLAlchemy URL) in the operator console.

    With `train`, a trainer process follows the log while the console is open; the Trainer
    screen shows it and can pause it or start a full retrain.
    """
    from edgerec.api import open as open_store
    from edgerec.runtime import TrainerProcess
    from edgerec.ui.app import ConsoleApp
    from edgerec.ui.errors import default_log_path

    with open_store(store_url) as store:
        trainer = TrainerProcess(store.url)
        if train:
            trainer.start()
        try:
            _run(ConsoleApp(store, trainer=trainer, log_path=default_log_path()), trainer.pause)
        finally:
            _stop(trainer)


def _stop(trainer: TrainerProcess) -> None:
    """Stops the console's trainer and waits for its final save, however long it takes (a
    catalogue of a million items, over 20 s), saying so when it is not at once. Ctrl+C leaves
    it saving on its own, and says where to see it end: the console is done, and exits as a
    quit does."""
    trainer.pause()
    try:
        if not trainer.wait(SAY_SAVING_AFTER_S):
            _say("edgerec: the trainer is saving what it learnt; Ctrl+C leaves it saving on its own.")
        trainer.close()
    except KeyboardInterrupt:
        pid = f" (pid {trainer.process.pid})" if trainer.process is not None else ""
        _say(
            f"edgerec: the trainer{pid} goes on saving on its own, then stops; its log, "
            f"{trainer.directory / 'trainer.log'}, says 'checkpoint and snapshot written' once it "
            "has saved."
        )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_kiosk(store_url: str, *, store_id: str | None = None, idle_seconds: float = 60) -> None:
    """Opens the customer-facing kiosk on the store at `store_url`.

    `store_id` names this kiosk in the events it records; after `idle_seconds` without a tap
    or a key the shopper's session ends and the kiosk starts over for the next one.
    """
    from edgerec.api import open as open_store
    from edgerec.ui.errors import default_log_path
    from edgerec.ui.kiosk import KioskApp

    with open_store(store_url) as store:
        _run(KioskApp(store, store_id=store_id, idle_seconds=idle_seconds, log_path=default_log_path()))


def _run(app: BaseApp, before_exit: Callable[[], None] = lambda: None) -> None:
    """Runs `app`, then waits for the session end its quit left to record while another program
    held the store. Ctrl+C while it waits quits at once, saying the end was not recorded: it
    went on waiting after 'Aborted!', and a third Ctrl+C ended in a traceback, the end lost
    without a word. Events recorded before stay (each was committed); `before_exit` runs first
    (the console's trainer is asked to stop, and saves, as at any quit)."""
    try:
        app.run()
        while app.writing_on_quit:
            time.sleep(0.05)
    except KeyboardInterrupt:
        if not app.writing_on_quit:
            raise
        before_exit()
        _say(app.QUIT_LOST.format("quit with Ctrl+C while another program held the store"))
        # The writer's thread, waiting for the store, cannot be stopped, and Python's exit waits
        # for it. Nothing it holds is lost: an event is in the log once its commit returned.
        os._exit(1)


__all__ = ["run_console", "run_kiosk"]
