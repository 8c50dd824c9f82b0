"""Errors in the console: logged to a file with their traceback, shown as a notification only."""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
from collections.abc import Callable
from contextlib import suppress
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, TypeVar

from edgerec.domain import EventError
from edgerec.store.engine import StoreWriteError, damage_said
from edgerec.store.migrate import schema_changed

log = logging.getLogger("edgerec.ui")
F = TypeVar("F", bound=Callable[..., Any])
ENV_LOG = "EDGEREC_UI_LOG"


def default_log_path() -> Path | None:
    """$EDGEREC_UI_LOG, else console.log in the user's log folder; None (said on standard error,
    before the full-screen app hides it) where there is no home folder to keep it in."""
    from platformdirs import user_log_dir

    if os.environ.get(ENV_LOG):
        return Path(os.environ[ENV_LOG])
    try:
        return Path(user_log_dir("edgerec", appauthor=False)) / "console.log"
    except RuntimeError:  # no HOME, and a user with no home in the password database (a container)
        print(
            "edgerec: no log file, there is no home folder to keep it in (set HOME or "
            f"XDG_STATE_HOME, or ${ENV_LOG} to the log file's path)",
            file=sys.stderr,
        )
        return None


def setup_logging(path: Path | None) -> Path | None:
    """Sends edgerec's log records (the console's, and those of the recommender, trainer and
    store it runs) to a rotating file; returns its path (None: not logging). Without it, a
    warning from below the console went to a standard error the full-screen app hides."""
    if path is None:
        return None
    package = logging.getLogger("edgerec")
    for handler in package.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path.resolve():
            return path
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = _PrivateFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
    except OSError as exc:  # said before the full-screen app hides standard error
        print(f"edgerec: no log file, {path} cannot be written ({exc.strerror or exc})", file=sys.stderr)
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    package.addHandler(handler)
    package.setLevel(logging.INFO)
    return path


class _PrivateFileHandler(RotatingFileHandler):
    """A rotating log file of mode 0600, as the store's files are: it names customers (ids in
    the errors it records). The handler's own open made it 0644, at each rotation too."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with suppress(OSError):  # one an older version left readable; not ours to change: kept
            os.fchmod(fd, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)  # noqa: SIM115


def describe(error: BaseException) -> tuple[str, str]:
    """A one-line message and a severity for an error the user should hear about."""
    if schema_changed(error):  # the database's own words, with its SQL, are in the log file
        return (
            "The store's schema is not the one this edgerec expects (it was changed while the "
            "console had it open): run `edgerec db upgrade`, then start the console again.",
            "error",
        )
    damaged = damage_said(error, None)
    if damaged is not None:  # every read and write fails alike: it is for the operator to mend
        return f"{damaged[0].upper()}{damaged[1:]} (quit first: ctrl+q).", "error"
    if isinstance(error, EventError):
        return f"Not recorded: {error}", "warning"
    if isinstance(error, StoreWriteError):  # says what was refused and what to do
        return str(error), "error"
    if isinstance(error, (ValueError, FileNotFoundError, PermissionError)):
        return str(error) or type(error).__name__, "warning"
    return f"{type(error).__name__}: {error}".strip(": "), "error"


def guarded(doing: str) -> Callable[[F], F]:
    """Wraps a handler or action of a widget, screen or app: an exception becomes a notification.

    Textual stops an app on an unhandled exception in a handler; the console must keep going
    and never show a traceback, so every handler that touches the store goes through this.
    """

    def decorate(method: F) -> F:
        if inspect.iscoroutinefunction(method):

            @functools.wraps(method)
            async def run_async(self: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    return await method(self, *args, **kwargs)
                except Exception as error:  # noqa: BLE001 - reported, not swallowed
                    report(self, error, doing)
                    return None

            return run_async  # type: ignore[return-value]

        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except Exception as error:  # noqa: BLE001 - reported, not swallowed
                report(self, error, doing)
                return None

        return run  # type: ignore[return-value]

    return decorate


def logged(error: BaseException, doing: str) -> tuple[str, str]:
    """Logs an error at its severity (a warning is most often refused input; the traceback stays
    for a bug's sake) and returns `describe`'s message and severity."""
    message, severity = describe(error)
    if severity == "warning":
        log.warning("while %s: %s", doing, message, exc_info=error)
    else:
        log.error("error while %s", doing, exc_info=error)
    return message, severity


def report(node: Any, error: BaseException, doing: str) -> None:
    message, severity = logged(error, doing)
    app = getattr(node, "app", node)
    try:
        app.notify(message, title=f"While {doing}", severity=severity, timeout=6)
    except Exception:  # noqa: BLE001 - the app may be shutting down
        log.exception("could not show a notification")
