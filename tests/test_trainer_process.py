"""The console's trainer process: starts, follows the log, pauses with a checkpoint, retrains."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

import edgerec
from edgerec.demo import DemoSize, seed_demo_store
from edgerec.domain import ItemViewed
from edgerec.runtime import TrainerProcess
from edgerec.training import load_snapshot
from tests.ctrl_c import TerminalOutput, end, in_a_terminal


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_trainer_process_follows_pauses_and_retrains(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=DemoSize(items=100, customers=20, sessions=80), seed=2)
        trainer = TrainerProcess(store.url, device="cpu")
        trainer.start()
        assert trainer.process is not None
        assert not any(str(db) in str(arg) for arg in trainer.process.args)  # a URL may hold a password
        try:
            wait_for(lambda: trainer.status().get("position") == store.head())
            assert trainer.status()["state"] in {"caught up", "following"}
            head = store.record(ItemViewed(user_id="C0001", item_id="SKU00001"))
            wait_for(lambda: (load_snapshot(trainer.directory) or _NONE).position == head)
            trainer.pause(wait=True)
            assert not trainer.running
            assert trainer.status()["state"] == "paused"
            paused = trainer.process
            trainer.retrain()
            assert paused.stdin is not None and paused.stdin.closed  # not left for the collector
            wait_for(lambda: trainer.running and trainer.status().get("state") in {"caught up", "following"})
        finally:
            trainer.close()
    assert "retrain epoch" in (trainer.directory / "trainer.log").read_text()


def test_a_trainer_paused_while_it_starts_is_paused_not_crashed(tmp_path: Path) -> None:
    """Paused before it had set up its handler for SIGTERM (while the console said 'starting'),
    the trainer was reported as 'it exited with status -15'."""
    with edgerec.open(tmp_path / "shop.db") as store:
        trainer = TrainerProcess(store.url, device="cpu")
    trainer.start()
    try:
        trainer.pause(wait=True)
        assert trainer.process is not None and trainer.process.returncode == -signal.SIGTERM
        status = trainer.status()
        assert "exited" not in status
        assert status["state"] in {"not started", "paused"}
    finally:
        trainer.close()


def test_a_status_read_while_a_paused_trainer_starts_again_is_no_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pause, then start again at once: the Trainer screen, reading the status from another
    thread while the new child was being made, said "it exited with status -15" of the child
    paused a moment before. The status is read here just as the new child is made."""
    from edgerec.runtime import trainer_process

    with edgerec.open(tmp_path / "shop.db") as store:
        trainer = TrainerProcess(store.url, device="cpu")
    trainer.start()
    try:
        trainer.pause(wait=True)
        read_meanwhile = []
        make = subprocess.Popen

        def popen(*args, **options):  # type: ignore[no-untyped-def]
            read_meanwhile.append(trainer.status())  # as the screen's thread may, mid-start
            return make(*args, **options)

        monkeypatch.setattr(trainer_process.subprocess, "Popen", popen)
        trainer.start()
        assert read_meanwhile and "exited" not in read_meanwhile[0], read_meanwhile
    finally:
        trainer.close()


def test_calls_from_several_threads_at_once_run_one_trainer_at_most_and_leave_none_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program calling TrainerProcess from several threads (start, pause, retrain, status) could
    start two trainer processes at once, each start seeing none running: the first then ran on,
    out of reach of any pause or close. The calls are made here from eight threads at once, each
    round two of each; every trainer started is counted, and so are those running as it starts."""
    import threading

    from edgerec.runtime import trainer_process

    made: list[subprocess.Popen[bytes]] = []
    running_at_a_start: list[int] = []
    popen = subprocess.Popen
    slow = [sys.executable, "-c", "import time; time.sleep(60)"]  # a trainer still loading

    def start_one(_command: list[str], **options: object) -> subprocess.Popen[bytes]:
        running_at_a_start.append(sum(child.poll() is None for child in made))
        made.append(child := popen(slow, **options))  # type: ignore[call-overload]
        return child

    monkeypatch.setattr(trainer_process.subprocess, "Popen", start_one)
    with edgerec.open(tmp_path / "shop.db") as store:
        trainer = TrainerProcess(store.url, device="cpu")
    calls = [trainer.start, trainer.pause, trainer.retrain, trainer.status]
    threads, rounds = 8, 12
    together = threading.Barrier(threads)
    errors: list[BaseException] = []

    def caller(number: int) -> None:
        try:
            for round_ in range(rounds):
                together.wait(timeout=60)
                calls[(number + round_) % len(calls)]()
        except BaseException as error:  # noqa: BLE001 - failed below
            errors.append(error)
            together.abort()

    workers = [threading.Thread(target=caller, args=(number,)) for number in range(threads)]
    left_behind = []
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        trainer.close()
    finally:
        for child in made:
            if child.poll() is None:
                left_behind.append(child.pid)
                child.kill()
                child.wait()
    assert not errors, errors
    assert made and max(running_at_a_start) == 0, running_at_a_start
    assert not left_behind


class _NONE:
    position = -1


def test_the_console_shows_a_trainer_that_runs_elsewhere(tmp_path: Path) -> None:
    """A trainer started by hand holds the store's lock: the console's own is refused, and the
    console shows the one that runs rather than 'paused'."""
    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=DemoSize(items=100, customers=20, sessions=80), seed=2)
        by_hand, console = TrainerProcess(store.url, device="cpu"), TrainerProcess(store.url, device="cpu")
        by_hand.start()
        try:
            wait_for(lambda: by_hand.status().get("position") == store.head())
            console.start()
            wait_for(lambda: not console.running)  # refused: another trainer holds the lock
            assert "another trainer" in (console.directory / "trainer.log").read_text()
            assert "Fatal Python error" not in (console.directory / "trainer.log").read_text()
            status = console.status()
            assert status["state"] in {"caught up", "following"}
            # Another process's, not the console's own (whose refusal was only in trainer.log).
            assert status["elsewhere"] and status["pid"] == by_hand.process.pid
            assert status["exited"].startswith("another trainer (process")
            assert not by_hand.status().get("elsewhere")
        finally:
            by_hand.close()
            console.close()
        assert console.status()["state"] == "paused"  # nothing runs now
        assert not console.status().get("elsewhere")


def test_a_trainer_just_started_is_starting_not_paused_or_not_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For the seconds a trainer takes to load before it writes its first status, the console
    said 'not running ... (s starts it)', or showed the paused trainer's last status as its own."""
    import json

    from edgerec.runtime import trainer_process

    popen = subprocess.Popen
    slow = [sys.executable, "-c", "import time; time.sleep(60)"]  # a trainer that has written nothing yet
    monkeypatch.setattr(trainer_process.subprocess, "Popen", lambda _command, **kw: popen(slow, **kw))
    with edgerec.open(tmp_path / "shop.db") as store:
        trainer = TrainerProcess(store.url, device="cpu")
    assert trainer.status()["state"] == "not started"
    for before in (None, {"state": "paused", "device": "cpu", "position": 7, "updated_at": time.time() - 1}):
        if before is not None:
            (trainer.directory / "status.json").write_text(json.dumps(before))
            assert trainer.status()["state"] == "paused"
        trainer.start()
        try:
            assert trainer.running and trainer.status()["state"] == "starting"
        finally:
            trainer.close()


@pytest.mark.parametrize("end", ["killed", "its terminal closed"])
def test_the_consoles_trainer_stops_and_saves_when_the_console_is_killed(tmp_path: Path, end: str) -> None:
    """A console killed (SIGKILL, the OOM killer) left its trainer following the log for good,
    with no console to pause it, holding the store's trainer lock: the next console's trainer
    was refused, and a store upgrade met a trainer its operator thought stopped. A console whose
    terminal window was closed took its trainer down with it (the terminal's SIGHUP reached the
    console's whole process group) before the trainer had saved what it learnt."""
    import os
    import pty

    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=DemoSize(items=100, customers=20, sessions=80), seed=2)
        head = store.head()
    console = (
        "import sys, time\n"
        "import edgerec\n"
        "from edgerec.runtime import TrainerProcess\n"
        f"store = edgerec.open({str(db)!r})\n"
        "trainer = TrainerProcess(store.url, device='cpu')\n"
        "trainer.start()\n"
        "print(trainer.process.pid, flush=True)\n"
        f"while trainer.status().get('position') != {head}:\n"
        "    time.sleep(0.2)\n"
        "print('caught up', flush=True)\n"
        "time.sleep(600)\n"
    )
    if end == "killed":
        parent = subprocess.Popen([sys.executable, "-c", console], stdout=subprocess.PIPE, text=True)
        try:
            assert parent.stdout is not None
            trainer_pid = int(parent.stdout.readline())
            assert parent.stdout.readline() == "caught up\n"
        finally:
            parent.kill()
            parent.wait()
    else:  # the console in a terminal of its own, as `edgerec tui` in a window
        console_pid, terminal = pty.fork()
        if console_pid == 0:
            # SIGHUP as a shell in a window gets it, not ignored as under `nohup` (the test run's)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            os.execv(sys.executable, [sys.executable, "-c", console])
        said = b""
        try:
            while b"caught up" not in said:
                said += os.read(terminal, 1024)
        finally:
            os.close(terminal)  # the window closed: SIGHUP
            os.waitpid(console_pid, 0)
        trainer_pid = int(said.split()[0])

    def gone() -> bool:
        try:
            os.kill(trainer_pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{trainer_pid}/stat") as stat:  # ended, and waiting for its parent to read it
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"

    try:
        wait_for(gone, timeout=60)
    finally:
        if not gone():  # left following the log: not for the next test to meet
            os.kill(trainer_pid, signal.SIGKILL)
    trainer = TrainerProcess(f"sqlite:///{db}", device="cpu")
    assert trainer.status()["state"] == "paused"  # it ended by itself, saving, as a pause does
    log = (trainer.directory / "trainer.log").read_text()
    assert f"checkpoint and snapshot written at position {head:,}" in log
    assert "Fatal Python error" not in log


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:  # a zombie has ended, waiting for its parent
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@dataclass
class HeldConsole:
    """`edgerec tui` in a terminal of its own, its trainer caught up with the log and then held
    still (SIGSTOP), as a trainer whose final save takes long."""

    pid: int
    terminal: int
    output: TerminalOutput
    trainer_pid: int
    directory: Path
    head: int


@contextmanager
def a_console_with_its_trainer_held(tmp_path: Path) -> Iterator[HeldConsole]:
    """A `HeldConsole`; afterwards the console is ended and the trainer let go (killed if it
    still runs: not for the next test to meet)."""
    import os

    from edgerec.training.files import lock_holder
    from edgerec.training.published import read_status

    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=DemoSize(items=100, customers=20, sessions=80), seed=2)
        head = store.head()
        directory = TrainerProcess(store.url).directory
    console_pid, terminal = in_a_terminal(["--db", str(db), "tui"], tmp_path / "console.log")
    output = TerminalOutput(terminal)
    trainer_pid = None
    try:
        output.read_until(b"Home", timeout=120)
        wait_for(lambda: (read_status(directory) or {}).get("position") == head)
        trainer_pid = lock_holder(directory)
        assert trainer_pid is not None
        os.kill(trainer_pid, signal.SIGSTOP)  # its final save takes as long as it is held
        yield HeldConsole(console_pid, terminal, output, trainer_pid, directory, head)
    finally:
        end(console_pid, terminal)
        if trainer_pid is not None and alive(trainer_pid):
            os.kill(trainer_pid, signal.SIGKILL)
            os.kill(trainer_pid, signal.SIGCONT)


def ctrl_c_while_it_waits(console: HeldConsole) -> str:
    """Ctrl+C to a quit console waiting for its trainer's save, as the terminal sends it: all it
    says, once it has exited with status 0."""
    import os

    os.kill(console.pid, signal.SIGINT)
    console.output.read_until(b"\nnever said", timeout=10)  # everything it says, until it exits
    _, status = os.waitpid(console.pid, 0)
    text = console.output.text()
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    assert "Traceback" not in text
    return text


@pytest.mark.slow
def test_a_quit_console_waits_for_its_trainers_save_and_ctrl_c_leaves_it_saving(tmp_path: Path) -> None:
    """A console quit waited 20 s for its trainer's final save, then killed it (a catalogue of
    a million items takes longer), losing what it had learnt; Ctrl+C while it waited left the
    trainer saving in the background without a word. The console now waits as long as the save
    takes, says so, and Ctrl+C says that the trainer goes on saving on its own, and where to see
    it end; the console exits with status 0. (The trainer is held still here, as a long save.)"""
    import os

    from edgerec.training.published import read_status

    with a_console_with_its_trainer_held(tmp_path) as console:
        os.write(console.terminal, b"\x11")  # ctrl+q
        console.output.read_until(b"Ctrl+C leaves it saving on its own.", timeout=30)
        time.sleep(21)  # past the 20 s after which the console killed it
        assert alive(console.trainer_pid)
        text = ctrl_c_while_it_waits(console)
        assert f"the trainer (pid {console.trainer_pid}) goes on saving on its own, then stops" in text
        assert f"{console.directory / 'trainer.log'}, says 'checkpoint and snapshot written'" in text
        os.kill(console.trainer_pid, signal.SIGCONT)
        wait_for(lambda: not alive(console.trainer_pid), timeout=60)
    assert (read_status(console.directory) or {}).get("state") == "stopped"
    log = (console.directory / "trainer.log").read_text()
    assert f"checkpoint and snapshot written at position {console.head:,}" in log


def test_a_console_quit_while_a_full_retrain_waits_for_the_save_says_so_and_starts_none(
    tmp_path: Path,
) -> None:
    """Quit while its Full retrain waited for the trainer's final save, the console closed its
    screen and then waited without a word (the app's end waits for its worker, which waited for
    the save), as long as the save took; once it had, a retrain started after the quit. Now the
    quit says it waits for the save, and Ctrl+C leaves that trainer, the only one, saving."""
    import os

    with a_console_with_its_trainer_held(tmp_path) as console:
        os.write(console.terminal, b"\x1b[17~")  # F6: the Trainer screen
        console.output.read_until(b"Full retrain", timeout=30)
        os.write(console.terminal, b"R")  # Full retrain: it waits for the held trainer's save
        time.sleep(1)
        os.write(console.terminal, b"\x11")  # ctrl+q
        console.output.read_until(b"Ctrl+C leaves it saving on its own.", timeout=10)
        text = ctrl_c_while_it_waits(console)
        assert f"the trainer (pid {console.trainer_pid}) goes on saving on its own" in text


def test_a_pause_while_a_full_retrain_waits_for_the_save_starts_no_retrain(tmp_path: Path) -> None:
    """Full retrain waits for the trainer's final save, however long it takes; Pause pressed
    meanwhile did nothing, and once the save was done the retrain started all the same."""
    import threading

    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=DemoSize(items=100, customers=20, sessions=80), seed=2)
        head = store.head()
    trainer = TrainerProcess(f"sqlite:///{db}", device="cpu")
    trainer.start()
    try:
        wait_for(lambda: trainer.status().get("position") == head)
        saving = trainer.process
        assert saving is not None
        saving.send_signal(signal.SIGSTOP)  # its final save takes as long as it is held
        retrain = threading.Thread(target=trainer.retrain)
        retrain.start()
        time.sleep(0.5)
        trainer.pause()
        saving.send_signal(signal.SIGCONT)
        retrain.join(timeout=60)
        saving.wait(timeout=60)
        assert not retrain.is_alive() and trainer.process is saving  # no retrain after the save
        assert trainer.status()["state"] == "paused"
    finally:
        trainer.close()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[1, 2]", "holds a list, not a trainer's status"),
        ("3", "holds a number, not a trainer's status"),
        ("null", "holds null, not a trainer's status"),
        ('{"updated_at": "soon"}', 'its updated_at is "soon", not a number'),
        ('{"updated_at": null}', "its updated_at is null, not a number"),
        ('{"state": "following", "position": "x"}', 'its position is "x", not a whole number'),
        ('{"losses": 5, "updated_at": 1}', "its losses is 5, not a list of numbers"),
        ('{"hit_rates": [0.1, "high"]}', 'its hit_rates is [0.1, "high"], not a list of numbers'),
    ],
)
def test_a_status_file_of_another_shape_is_unreadable_saying_what_it_holds(
    tmp_path: Path, text: str, said: str
) -> None:
    """JSON that is no trainer's status (a list, a number, a field of another type: hand-edited,
    or another program's file) ended `status()` in an AttributeError ("'list' object has no
    attribute 'get'") or a TypeError; a console with no trainer of its own read it the same way
    and failed to load its Trainer screen's status. Missing fields take their defaults."""
    from edgerec.training.published import StatusUnreadable
    from edgerec.ui.screens.trainer import read_status_file

    with edgerec.open(tmp_path / "shop.db") as store:
        trainer = TrainerProcess(store.url, device="cpu")
    trainer.directory.mkdir(parents=True)
    status = trainer.directory / "status.json"
    status.write_text(text)
    with pytest.raises(StatusUnreadable, match=re.escape(f"{status}: {said}")):
        trainer.status()
    with pytest.raises(StatusUnreadable, match=re.escape(f"{status}: {said}")):
        read_status_file(store.url)
    status.write_text('{"state": "paused"}')  # the fields it lacks take their defaults
    assert trainer.status()["state"] == "not started"
    status.write_text("")  # cut short by a power cut: no status, until the next is written
    assert trainer.status()["state"] == "not started"
