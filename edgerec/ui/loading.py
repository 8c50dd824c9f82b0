"""Background reads for screens and widgets: thread workers whose results come back as messages."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.worker import Worker, WorkerState

from edgerec.ui.errors import report


class DataReady(Message):
    """A background load finished; `kind` names the `show_<kind>` method that displays it."""

    def __init__(self, kind: str, value: Any, ticket: int) -> None:
        super().__init__()
        self.kind = kind
        self.value = value
        self.ticket = ticket


_tickets = itertools.count(1)


class Loader:
    """Runs reads in thread workers and brings their results back as `DataReady` messages.

    Only the newest load of each kind is shown: a slow old read that finishes after a newer
    one is dropped, so filters typed quickly never show stale rows.
    """

    def _init_loader(self) -> None:
        self._latest: dict[str, int] = {}

    def load(self, kind: str, read: Callable[[], Any]) -> None:
        ticket = next(_tickets)
        self._latest[kind] = ticket
        target = self  # post_message is thread-safe

        def job() -> None:
            target.post_message(DataReady(kind, read(), ticket))  # type: ignore[attr-defined]

        self.run_worker(  # type: ignore[attr-defined]
            job, name=kind, group=f"load-{kind}", thread=True, exit_on_error=False
        )

    def drop(self, kind: str) -> None:
        """What a load of `kind` under way brings is not shown."""
        self._latest.pop(kind, None)

    def on_data_ready(self, message: DataReady) -> None:
        message.stop()
        if self._latest.get(message.kind) != message.ticket:
            return
        show = getattr(self, f"show_{message.kind}")
        _call(self, show, message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            report(self, event.worker.error, f"loading {event.worker.name.replace('_', ' ')}")


def _call(node: Any, show: Callable[[Any], Any], message: DataReady) -> None:
    try:
        show(message.value)
    except Exception as error:  # noqa: BLE001 - reported as a notification
        report(node, error, f"showing {message.kind.replace('_', ' ')}")
