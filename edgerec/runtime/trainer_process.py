"""Runs `edgerec train --follow` in a child process, so that training never slows recording or
recommending, and reports its state from the status file the trainer writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from edgerec.store.engine import ENV_DB
from edgerec.training.files import lock_holder, model_dir
from edgerec.training.published import read_status

ASK_EVERY_S = 0.1  # how often a retrain waiting for the trainer's final save asks whether to give up


class TrainerProcess:
    """Start, pause and full retrain for a trainer process following one store's log.

    Its calls may come from several threads: they run one at a time (a lock), but none holds
    the others up while it waits for a trainer's final save, which may take tens of seconds."""

    def __init__(self, store_url: str, *, device: str = "auto") -> None:
        self.store_url = store_url
        self.directory = model_dir(store_url)
        self.device = device
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_from = 0  # where the running child's lines begin in trainer.log
        self._started_at = 0.0  # time.time() when the running child was started
        self._paused = False  # pause asked of the running child: its SIGTERM exit is no crash
        self._pauses = 0  # pauses asked: a retrain waiting for the trainer's save gives up at one
        self._refused: str | None = None  # why the last start could not write the model folder
        # Two threads' starts each saw none running, and both started one: the first then ran
        # on out of reach of any pause. Reentrant: a retrain pauses and starts, a close pauses.
        self._lock = threading.RLock()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, retrain: bool = False) -> None:
        with self._lock:
            self._start(retrain=retrain)

    def _start(self, *, retrain: bool) -> None:
        if self.running:
            return
        # Its standard input is a pipe this process holds: it ends when this process ends, however
        # it does, and the trainer then stops, where it went on following with no console. In a
        # session of its own, so that the terminal's signals reach only this process: a terminal
        # window closed (SIGHUP to the console's process group) killed the trainer before it saved.
        command = [
            sys.executable,
            "-m",
            "edgerec",
            "train",
            "--follow",
            "--until-input-ends",
            "--device",
            self.device,
        ]
        command += ["--retrain"] if retrain else []
        # The store goes in the environment, not the command line, which every local user can
        # read (`ps`): a server URL may hold a password.
        environment = {**os.environ, ENV_DB: self.store_url}
        self._close_pipe()  # the trainer before this one (paused, or ended) has no more use for it
        if self._log is not None:
            self._log.close()
            self._log = None
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._log = open(self.directory / "trainer.log", "ab")  # noqa: SIM115 - lives with the child
            os.chmod(self.directory / "trainer.log", 0o600)
        except OSError as exc:  # a disk mounted read-only, a folder another user made
            # Said on the Trainer screen; it ended the console in a traceback before it opened.
            self._refused = f"could not write {exc.filename or self.directory}: {exc.strerror or exc}"
            return
        self._refused = None
        self._log_from = self._log.tell()
        self._started_at = time.time()
        self.process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        # Cleared once the new child is in place, not before: the screen reads `status` from
        # another thread, and the paused child's SIGTERM exit read as a crash in between.
        self._paused = False

    def _close_pipe(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()

    def pause(self, *, wait: bool = False) -> None:
        """Asks the trainer to stop; it checkpoints before it exits, which `wait` waits for.
        Asked once a child: a quit's pause, then its close, signalled a trainer saving twice."""
        with self._lock:
            self._pauses += 1
            paused = self.process
            if self.running and paused is not None and not self._paused:
                self._paused = True
                paused.send_signal(signal.SIGTERM)
        if wait:
            _ended(paused)

    def retrain(
        self, *, given_up: Callable[[], bool] = lambda: False, waiting: Callable[[], None] = lambda: None
    ) -> bool:
        """Stops following, retrains from the whole log, then follows again, once the trainer
        has saved, however long that takes (`waiting()` is called once where it has not at
        once, for a console to say what it waits for). None is started where a pause is asked
        meanwhile, or `given_up()` says so (a console quit while it waits: the console's own
        wait for that save says so, and Ctrl+C ends it). Whether a retrain was started."""
        with self._lock:
            self.pause()
            pauses, saving = self._pauses, self.process

        def wanted() -> bool:
            return self._pauses == pauses and not given_up()

        said = False
        while not _ended(saving, ASK_EVERY_S):  # the lock let go: a pause meanwhile gives it up
            if not said:
                waiting()
                said = True
            if not wanted():
                return False
        with self._lock:  # a pause comes before this (none is started) or after (it stops this one)
            if not wanted():
                return False
            before = self.process  # where another thread's start came first, it is not a retrain
            self._start(retrain=True)
            return self.running and self.process is not before

    def close(self) -> None:
        self.pause(wait=True)
        with self._lock:
            self._close_pipe()
            if self._log is not None:
                self._log.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the trainer to end, for at most `timeout` seconds (None: however long it
        takes: the final save of a catalogue of a million items takes over 20 s, and a trainer
        killed then lost what it learnt since its last checkpoint); whether it has ended."""
        return _ended(self.process, timeout)

    def status(self) -> dict[str, Any]:
        """The trainer's status file, as this process's trainer stands: `elsewhere` (and the
        `pid` holding the store's trainer lock) where the trainer that wrote it is another
        process's, `starting` while ours runs but has written none yet (it loads torch and the
        log first, some seconds), and `exited` where ours ended with an error (the last one it
        wrote)."""
        with self._lock:
            return self._status()

    def _status(self) -> dict[str, Any]:
        status = read_status(self.directory) or {"state": "not started", "device": self.device, "position": 0}
        age = time.time() - float(status.get("updated_at", 0))
        # Not ours, but a trainer that wrote its status just now runs elsewhere (started by hand
        # or by another console, it holds the store's trainer lock, and ours was refused): show
        # what it is doing, as another process's.
        elsewhere = age <= 5 and status.get("state") not in ("stopped", None)
        if not self.running and elsewhere:
            status["elsewhere"] = True
            if pid := lock_holder(self.directory):
                status["pid"] = pid
        elif not self.running:
            status["state"] = "paused" if status.get("position") else "not started"
        elif float(status.get("updated_at", 0)) < self._started_at or (
            age > 5 and status.get("state") == "stopped"
        ):
            status["state"] = "starting"  # the file is the last word of a trainer before ours, or none
        # A child paused while it still loads (`starting`) has no handler for SIGTERM yet, and
        # ends on it: as asked, not with an error.
        code = self.process.poll() if self.process is not None else None
        if self._refused is not None and not self.running:
            status["exited"] = self._refused
        elif code and not (self._paused and code == -signal.SIGTERM):
            status["exited"] = self._last_error() or f"it exited with status {code}"
        return status

    def _last_error(self) -> str | None:
        """The last error line our child wrote to trainer.log (`Error: ...`), without the word."""
        try:
            with open(self.directory / "trainer.log", "rb") as log:
                log.seek(max(self._log_from, log.seek(0, os.SEEK_END) - 64_000))
                lines = log.read().decode(errors="replace").splitlines()
        except OSError:
            return None
        errors = [line.removeprefix("Error: ").strip() for line in lines if line.startswith("Error: ")]
        return errors[-1] if errors else None


def _ended(process: subprocess.Popen[bytes] | None, timeout: float | None = None) -> bool:
    """Waits for `process` to end, for at most `timeout` seconds; whether it has ended."""
    if process is None:
        return True
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return True
