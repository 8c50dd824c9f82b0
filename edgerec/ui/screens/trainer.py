"""The trainer: its state, device, lag behind the log, loss curve and streaming hit rate at 10.

The console shows only what a running trainer reports. A build or a store without one shows
'not running' and empty plots, never made-up numbers.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker
from textual_plotext import PlotextPlot

from edgerec.ui.clock import clock_time
from edgerec.ui.errors import describe, guarded, logged
from edgerec.ui.screens.base import ConsoleScreen
from edgerec.ui.widgets.footer import KeyFooter
from edgerec.ui.widgets.nav import NavBar

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainerStatus:
    """What a trainer reports about itself."""

    state: str  # not started | starting | following | caught up | retraining | paused | stopped
    device: str
    position: int  # the log position its model has seen
    checkpoint_position: int | None = None
    checkpoint_at: float | None = None  # seconds since the epoch
    losses: Sequence[float] = field(default_factory=tuple)
    hit_rates: Sequence[float] = field(default_factory=tuple)  # streaming HR@10, recent windows
    progress: tuple[int, int] | None = None  # (done, total) of a long job
    elsewhere: bool = False  # the console's trainer reports another process's trainer (it holds the lock)
    pid: int | None = None  # that process, where known
    exited: str | None = None  # why the console's own trainer process ended, if with an error


class Trainer(Protocol):
    """The background trainer as the console drives it (the runtime supplies one)."""

    @property
    def running(self) -> bool: ...  # whether its process runs, told without reading its status
    def status(self) -> TrainerStatus: ...
    def start(self) -> None: ...
    def pause(self) -> None: ...
    def retrain(self, *, given_up: Callable[[], bool], waiting: Callable[[], None]) -> bool: ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    head: int
    status: TrainerStatus | None
    source: str = "none"  # "trainer" (driven by this console), "file" (another process), "none"
    live: bool = False  # where `unreadable`: whether the console's trainer process runs
    unreadable: Exception | None = None  # why the status could not be read (then `status` is None)


# A trainer running in another process (`edgerec train`) rewrites its status file after every
# step; an older file is the last word of a trainer that has stopped.
STATUS_FRESH_S = 15.0
STOPPED = ("not started", "paused", "stopped")  # the states of a trainer that does not run


def status_of(raw: Any) -> TrainerStatus:
    """A `TrainerStatus` from what a trainer reports (the dataclass or its status() dict)."""
    if isinstance(raw, TrainerStatus):
        return raw
    return TrainerStatus(
        state=str(raw.get("state", "unknown")),
        device=str(raw.get("device", "?")),
        position=int(raw.get("position", 0)),
        checkpoint_position=_number(raw.get("checkpoint_position"), int),
        checkpoint_at=_number(raw.get("checkpoint_at"), float),
        losses=tuple(float(v) for v in raw.get("losses", ()) if v is not None),
        hit_rates=tuple(float(v) for v in raw.get("hit_rates", ()) if v is not None),
        progress=tuple(raw["progress"]) if raw.get("progress") else None,  # type: ignore[arg-type]
        elsewhere=bool(raw.get("elsewhere", False)),
        pid=_number(raw.get("pid"), int),
        exited=str(raw["exited"]) if raw.get("exited") else None,
    )


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    """An int or float from a status file's field, None where it holds none (or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return kind(value)


def read_status_file(database: str) -> tuple[TrainerStatus, bool] | None:
    """The status a trainer process last wrote for this store (file path or URL), and whether it is fresh."""
    try:
        from edgerec.training.files import model_dir
        from edgerec.training.published import read_status
    except ImportError:
        return None
    raw = read_status(model_dir(database))  # StatusUnreadable where it holds no status
    if raw is None:
        return None
    updated = float(raw.get("updated_at", 0))
    fresh = time.time() - updated < STATUS_FRESH_S and raw.get("state") != "stopped"
    return status_of(raw), fresh


def tune_blend(store: Any, suggester: Any, stopped: Callable[[], bool] | None = None) -> tuple[str, str]:
    """Tunes the blend on the store's log (see `edgerec tune`); saves it and puts it in use
    when it does better on the newest events. Returns a message and its severity. Once
    `stopped` says so (the console quits), the run ends and saves nothing."""
    from edgerec.recommend.shop_tuning import TuningError, TuningStopped, check_saving, save_tuning, tune_shop

    kept = "Tuning the blend stopped: the current blend stays.", "information"
    try:
        check_saving(store)  # before the replay's minutes: a file it cannot read, a full disk
        result = tune_shop(store, stopped=stopped)
    except TuningStopped:
        return kept
    except (TuningError, OSError) as exc:
        return f"Cannot tune the blend: {exc}.", "warning"
    except Exception as exc:  # noqa: BLE001 - shown to the operator, the console goes on
        log.exception("tuning the blend failed")
        return f"Tuning the blend failed: {exc}", "error"
    scores = (
        f"HR@10 on the newest {result.check_requests:,} requests: {result.current.hr10:.4f} "
        f"with the current blend, {result.tuned.hr10:.4f} tuned"
    )
    if not result.better:
        return f"Kept the current blend. {scores}.", "information"
    if stopped is not None and stopped():
        return kept
    try:
        save_tuning(store, result)
    except (OSError, TuningError) as exc:  # a full disk, a read-only model folder: the console goes on
        log.exception("saving the tuned blend failed")
        return f"The tuned blend could not be saved, so the current one stays: {exc}. {scores}.", "error"
    suggester.use_weights(result.weights)
    return f"Tuned blend saved and in use. {scores}.", "information"


class Retrain(Message):
    """How a Full retrain goes, from its thread: `waiting` for the trainer's final save, then
    `started`, or `not started` (a pause asked meanwhile), `refused` (the trainer could not
    start, and says why) or `failed` (an error, reported as any worker's)."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage


RETRAINING = ("starting", "retraining")  # a trainer started to retrain, until it follows the log
RETRAIN_UNDER_WAY = "A full retrain is already under way: it starts no other."
UNREADABLE = "status cannot be read"
RETRAIN_MAY_BE_UNDER_WAY = (
    "The trainer's status cannot be read, and its trainer, started to retrain, runs: it may "
    "still be retraining, so no other starts. Once it has ended (p pauses it), R starts one."
)
WAITING_FOR_SAVE = (
    "Full retrain: waiting for the trainer to save what it learnt; the retrain starts once it has."
)


def compute_device() -> str:
    """Where training would run on this machine (imports torch, so call it off the UI thread)."""
    try:
        import torch
    except ImportError:
        return "no torch installed"
    if torch.cuda.is_available():
        return f"CUDA ({torch.cuda.get_device_name(0)})"
    return "CPU (no CUDA device)"


class TrainerScreen(ConsoleScreen):
    MODE = "trainer"
    BINDINGS = [
        Binding("s", "start", "Start"),
        Binding("p", "pause", "Pause"),
        Binding("R", "retrain", "Full retrain", key_display="shift+r"),
        Binding("t", "tune", "Tune blend"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.device = "checking…"
        self.last: Snapshot | None = None
        self.tuning = False
        self.exit_told: str | None = None  # the console's trainer's exit, once notified
        self.unreadable_told: str | None = None  # why its status cannot be read, once notified
        # The Full retrain under way: "asked", "waiting" for the trainer's final save, "started"
        # until the trainer says it has retrained; None where none is.
        self.retrain_stage: str | None = None

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE)
        with Horizontal(id="trainer-top"):
            yield Static("", id="trainer-state")
            with Vertical(id="trainer-actions"):
                yield Button("Start", id="trainer-start", compact=True)
                yield Button("Pause", id="trainer-pause", compact=True)
                yield Button("Full retrain", id="trainer-retrain", compact=True, variant="warning")
                yield Button("Tune blend", id="trainer-tune", compact=True)
        yield ProgressBar(id="trainer-progress", show_eta=False)
        with Horizontal(id="trainer-plots"):
            yield PlotextPlot(id="trainer-loss")
            yield PlotextPlot(id="trainer-hr")
        yield KeyFooter()

    @property
    def trainer(self) -> Trainer | None:
        return getattr(self.services, "trainer", None)

    def on_mount(self) -> None:
        from edgerec.training.files import unmoved_said

        unmoved = unmoved_said(self.store.url)  # an older edgerec's files in the shared folder
        if unmoved is not None:
            self.notify(unmoved, severity="warning", timeout=60)
        self.load("device", compute_device)
        self.poll()
        self.set_interval(1.0, self.poll)

    def poll(self) -> None:
        from edgerec.training.published import StatusUnreadable

        trainer, store = self.trainer, self.store

        def read() -> Snapshot:
            head = store.head()
            if trainer is not None:
                try:
                    status = status_of(trainer.status())
                except Exception as error:  # noqa: BLE001 - a status file of another shape: shown
                    # Whether its process runs is told apart: a Full retrain's guard ends with it.
                    return Snapshot(head, None, "trainer", trainer.running, unreadable=error)
                source = "file" if status.elsewhere else "trainer"
                return Snapshot(head, status, source, status.state not in STOPPED)
            try:
                found = read_status_file(store.url)
            except StatusUnreadable as error:  # shown as the console's own trainer's is
                return Snapshot(head, None, "file", unreadable=error)
            if found is None:
                return Snapshot(head, None)
            return Snapshot(head, found[0], "file", found[1])

        self.load("snapshot", read)

    def show_device(self, device: str) -> None:
        self.device = device
        if self.last is not None:
            self._show(self.last)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.last = snapshot
        # A status that cannot be read does not say the retrain is done, but its process's end does.
        retraining = snapshot.live and (
            snapshot.unreadable is not None
            or (snapshot.status is not None and snapshot.status.state in RETRAINING)
        )
        if self.retrain_stage == "started" and not retraining:
            self.retrain_stage = None  # retrained (or paused, or ended): another may be asked
        self._say_unreadable(snapshot.unreadable)
        self._show(snapshot)

    def _say_unreadable(self, error: Exception | None) -> None:
        """Logs and notifies a failed status read once, not at every poll (each second)."""
        said = None if error is None else describe(error)[0]
        if error is not None and said != self.unreadable_told:
            logged(error, "reading the trainer's status")
            whose = "This console's trainer's" if self.trainer is not None else "The trainer's"
            self.notify(f"{whose} {UNREADABLE}: {said}.", severity="warning", timeout=10)
        self.unreadable_told = said

    def _show(self, snapshot: Snapshot) -> None:
        status = snapshot.status
        for name in ("start", "pause", "retrain"):  # with a trainer, they say why they cannot act
            self.query_one(f"#trainer-{name}", Button).disabled = self.trainer is None
        text = Text()
        if snapshot.unreadable is not None:
            text.append("Trainer: ", style="bold")
            text.append(UNREADABLE, style="bold red")
            text.append(f" ({describe(snapshot.unreadable)[0]})")
            runs = (
                f"this console's trainer process {'runs' if snapshot.live else 'does not run'}"
                if self.trainer is not None
                else "this console runs no trainer"
            )
            text.append(f"\nLog head #{snapshot.head:,} · {runs}.")
            text.append(f"\nTraining here would use: {self.device}")
        elif status is None or (not snapshot.live and status.state == "not started"):
            text.append("Trainer: ", style="bold")
            text.append("not running", style="bold yellow")
            started = " (s starts it)" if snapshot.source == "trainer" else ""
            text.append(f"\nLog head #{snapshot.head:,} · no model is following it in this console{started}.")
            text.append(f"\nTraining here would use: {self.device}")
        elif not snapshot.live:
            text.append("Trainer: ", style="bold")
            text.append("not running", style="bold yellow")
            text.append(
                f" · its last status: {status.state} at log #{status.position:,} of "
                f"#{snapshot.head:,}\n{self._checkpoint(status)}\nTraining here would use: {self.device}"
            )
        else:
            behind = max(0, snapshot.head - status.position)
            text.append("Trainer: ", style="bold")
            following = status.state in ("following", "caught up")
            text.append(status.state, style="bold green" if following else "bold")
            pid = f", pid {status.pid}" if status.pid else ""
            where = f" (in another process{pid})" if snapshot.source == "file" else ""
            text.append(f"{where} · device {status.device}\n")
            text.append(f"Seen log #{status.position:,} of #{snapshot.head:,}: {behind:,} events behind\n")
            text.append(self._checkpoint(status))
        if self.retrain_stage == "waiting":
            text.append(f"\n{WAITING_FOR_SAVE}", style="bold")
        if status is not None and status.exited:
            text.append("\nThis console's trainer stopped: ", style="bold red")
            text.append(status.exited)
            if status.exited != self.exit_told:
                self.exit_told = status.exited
                self.notify(f"This console's trainer stopped: {status.exited}.", severity="warning")
        self.query_one("#trainer-state", Static).update(text)
        bar = self.query_one("#trainer-progress", ProgressBar)
        bar.display = status is not None and status.progress is not None
        if status is not None and status.progress is not None:
            done, total = status.progress
            bar.update(total=total, progress=done)
        self._plot("#trainer-loss", "training loss", status.losses if status else ())
        self._plot("#trainer-hr", "streaming HR@10", status.hit_rates if status else ())

    def _checkpoint(self, status: TrainerStatus) -> str:
        if status.checkpoint_position is None:
            return "No checkpoint yet"
        when = ""
        if status.checkpoint_at is not None:
            when = f", saved {clock_time(status.checkpoint_at * 1e6, self.services.zone)}"
        return f"Last checkpoint covers log #{status.checkpoint_position:,}{when}"

    def _plot(self, selector: str, title: str, values: Sequence[float]) -> None:
        widget = self.query_one(selector, PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        live = self.last is not None and self.last.live
        # A diverging step's inf or NaN has no place on the axis: plotext stops the console on one.
        finite = [v for v in values if math.isfinite(v)]
        left_out = f" · {len(values) - len(finite)} not finite" if len(finite) < len(values) else ""
        if finite:
            plt.plot(list(range(1, len(finite) + 1)), finite, marker="braille")
            widget.border_title = f"{title} · last {finite[-1]:.4g}{left_out}{'' if live else ' (stopped)'}"
        elif values:
            widget.border_title = f"{title}{left_out}"
        else:
            widget.border_title = f"{title} · {'no data yet' if live else 'no data: trainer not running'}"
        widget.refresh()

    @on(Button.Pressed, "#trainer-start")
    @guarded("starting the trainer")
    def action_start(self) -> None:
        self._command("start")

    @on(Button.Pressed, "#trainer-pause")
    @guarded("pausing the trainer")
    def action_pause(self) -> None:
        self._command("pause")

    @on(Button.Pressed, "#trainer-retrain")
    @guarded("starting a full retrain")
    def action_retrain(self) -> None:
        self._command("retrain")

    @on(Button.Pressed, "#trainer-tune")
    @guarded("tuning the blend")
    def action_tune(self) -> None:
        if self.tuning:
            self.notify("The blend is being tuned already.", severity="warning")
            return
        self.tuning = True
        self.query_one("#trainer-tune", Button).disabled = True
        self.notify(
            "Tuning the blend on this shop's log: the newest events are replayed with a trainer "
            "following, which takes a minute or more on a big log."
        )
        store, suggester = self.store, self.suggester

        def tune() -> tuple[str, str]:
            worker = get_current_worker()  # cancelled when the console quits: then nothing is saved
            return tune_blend(store, suggester, lambda: worker.is_cancelled)

        self.load("tuned", tune)

    def show_tuned(self, outcome: tuple[str, str]) -> None:
        self.tuning = False
        self.query_one("#trainer-tune", Button).disabled = False
        message, severity = outcome
        self.notify(message, severity=severity, timeout=20)  # type: ignore[arg-type]

    def _command(self, name: str) -> None:
        trainer = self.trainer
        if trainer is None:
            self.notify(
                "No trainer is running in this console; one started from the command line "
                "shows here but is controlled there.",
                severity="warning",
            )
            return
        last = self.last
        if last is not None and last.source == "file" and last.live and last.status is not None:
            pid = f" (pid {last.status.pid})" if last.status.pid else ""
            self.notify(
                f"The trainer running is another process's{pid}: pause or retrain it there; this "
                "console's own can start once it stops.",
                severity="warning",
            )
            return
        if name == "pause" and last is not None and not last.live:
            self.notify(
                "No trainer is running in this console: there is nothing to pause.", severity="warning"
            )
            return
        command: Any = getattr(trainer, name, None)
        if command is None:
            self.notify(f"This trainer cannot {name} from the console.", severity="warning")
            return
        if name == "retrain" and self.retrain_stage is not None:
            # Another would give up the one waiting for the save, or stop the one training.
            unknown = self.retrain_stage == "started" and last is not None and last.unreadable is not None
            self.notify(RETRAIN_MAY_BE_UNDER_WAY if unknown else RETRAIN_UNDER_WAY, severity="warning")
            return
        if name == "retrain":
            self._retrain(command, trainer)
        else:
            self.run_worker(
                command, thread=True, group="trainer-command", exit_on_error=False, name=f"trainer {name}"
            )
        self.poll()

    def _retrain(self, retrain: Callable[..., bool], trainer: Trainer) -> None:
        """Starts a Full retrain, which waits for the trainer's final save first: `Retrain`
        messages say how it goes."""
        screen = self
        self.retrain_stage = "asked"

        def job() -> None:
            worker = get_current_worker()
            # A quit gives the wait up (the app's end waits for its workers, and waited there
            # without a word), starting none.
            try:
                started = retrain(
                    given_up=lambda: worker.is_cancelled,
                    waiting=lambda: screen.post_message(Retrain("waiting")),
                )
                # A trainer that could not start says why itself (`exited`, notified once).
                refused = not started and status_of(trainer.status()).exited is not None
            except BaseException:
                # The error is reported as any worker's; the retrain's stage ends with it, a
                # status that cannot be read too, where it kept R from starting another.
                screen.post_message(Retrain("failed"))
                raise
            if worker.is_cancelled:
                return
            screen.post_message(Retrain("started" if started else "refused" if refused else "not started"))

        self.run_worker(
            job, thread=True, group="trainer-command", exit_on_error=False, name="trainer retrain"
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Loader's handler runs too (Textual calls each class's): this one adds to it.
        if event.worker.group == "trainer-command" and event.state == WorkerState.SUCCESS:
            # A trainer that ends again is said again, once the command has run: reset at the
            # press, the exit of the one before, shown until the new one is in place, was said
            # again as if the new one had ended.
            self.exit_told = None
            self.poll()

    def on_retrain(self, message: Retrain) -> None:
        self.retrain_stage = message.stage if message.stage in ("waiting", "started") else None
        if message.stage == "waiting":
            self.notify(WAITING_FOR_SAVE, timeout=10)
        elif message.stage == "started":
            self.notify("Full retrain started: the trainer learns the whole log again, then follows it.")
        elif message.stage == "not started":
            self.notify(
                "Full retrain not started: the trainer was paused while it waited for its save.",
                severity="warning",
            )
        if self.last is not None:
            self._show(self.last)
        self.poll()  # a status read before this started is not shown: it would end the retrain's stage
