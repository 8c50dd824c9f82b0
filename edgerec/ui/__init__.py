"""The Textual user interfaces: the operator console and the customer-facing kiosk.

Textual is imported only inside these entry points, so that `import edgerec.ui` stays cheap
and nothing else in edgerec depends on it.
"""

from __future__ import annotations


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
            ConsoleApp(store, trainer=trainer, log_path=default_log_path()).run()
        finally:
            trainer.close()


def run_kiosk(store_url: str, *, store_id: str | None = None, idle_seconds: float = 60) -> None:
    """Opens the customer-facing kiosk on the store at `store_url`.

    `store_id` names this kiosk in the events it records; after `idle_seconds` without a tap
    or a key the shopper's session ends and the kiosk starts over for the next one.
    """
    from edgerec.api import open as open_store
    from edgerec.ui.errors import default_log_path
    from edgerec.ui.kiosk import KioskApp

    with open_store(store_url) as store:
        KioskApp(store, store_id=store_id, idle_seconds=idle_seconds, log_path=default_log_path()).run()


__all__ = ["run_console", "run_kiosk"]
