"""`edgerec train` stopped by Ctrl+C or the console's Pause (SIGTERM): the step under way ends,
and the checkpoint it leaves is what an uninterrupted trainer holds at the same position."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import edgerec
from edgerec.demo import seed_demo_store
from edgerec.training import Trainer, TrainerConfig
from edgerec.training.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.db"
    with edgerec.open(path) as store:
        seed_demo_store(store)
    return path


@pytest.mark.parametrize(
    ("follow", "sent"),
    [(False, signal.SIGINT), (True, signal.SIGINT), (False, signal.SIGTERM)],
    ids=["catch-up-ctrl-c", "follow-ctrl-c", "catch-up-sigterm"],
)
def test_a_stopped_trainer_saves_whole_steps(
    demo_shop: Path, tmp_path: Path, follow: bool, sent: signal.Signals
) -> None:
    shop = tmp_path / "shop.db"
    shop.write_bytes(demo_shop.read_bytes())
    # On the CPU, as the straight trainer below: CUDA's sums differ from the CPU's in their last bits.
    train = ["train", "--device", "cpu", *(["--follow"] if follow else [])]
    command = [sys.executable, "-m", "edgerec", "--db", str(shop), *train]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("position"):  # the first step is done: stop in the middle of the next
            process.send_signal(sent)
            break
    output = process.stdout.read()
    assert process.wait(timeout=120) == 0, output
    assert "checkpoint and snapshot written at position" in output

    saved = load_checkpoint(Path(f"{shop}.models"), device=torch.device("cpu"))
    assert saved is not None
    with edgerec.open(shop) as store:
        assert 0 < saved.position < store.head()  # stopped part way, not at the end
        straight = Trainer(store, directory=tmp_path / "straight", device="cpu")
        straight.catch_up(until=saved.position)
    assert saved.vocabulary.user_ids == straight.vocabulary.user_ids
    for name, weights in straight.model.state_dict().items():
        assert torch.equal(saved.model.state_dict()[name], weights), name


@pytest.mark.parametrize("follow", [False, True], ids=["catch-up", "follow"])
def test_a_trainer_whose_output_is_closed_stops_as_ctrl_c_does(
    demo_shop: Path, tmp_path: Path, follow: bool
) -> None:
    """`edgerec train | head -3`: the trainer died on the broken pipe (exit status 1), without
    saving what it had learnt since its last checkpoint, and left its status at 'following'."""
    from edgerec.training import read_status

    shop = tmp_path / "shop.db"
    shop.write_bytes(demo_shop.read_bytes())
    command = [sys.executable, "-m", "edgerec", "--db", str(shop), "train", "--device", "cpu"]
    process = subprocess.Popen(
        [*command, *(["--follow"] if follow else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith("device")
    assert process.stdout.readline().startswith("position")
    process.stdout.close()  # the reader has all it wanted, as `| head -2`
    assert process.wait(timeout=120) == 0
    assert process.stderr.read() == ""
    status = read_status(Path(f"{shop}.models"))
    assert status is not None and status["state"] == "stopped"
    saved = load_checkpoint(Path(f"{shop}.models"), device=torch.device("cpu"))
    assert saved is not None and saved.position == status["position"] >= 2 * TrainerConfig().block


def test_a_retrain_asked_to_stop_ends_without_a_model_to_save(demo_shop: Path, tmp_path: Path) -> None:
    import threading

    from edgerec.training import TrainingStopped

    with edgerec.open(demo_shop) as store:
        trainer = Trainer(store, directory=tmp_path / "models", device="cpu")
        stop = threading.Event()
        with pytest.raises(TrainingStopped, match="retrain stopped after 1 of"):
            trainer.retrain(on_epoch=lambda *_: stop.set(), stop=stop)


def test_a_retrain_stopped_by_ctrl_c_leaves_a_stopped_status_at_the_checkpoint_it_keeps(
    demo_shop: Path, tmp_path: Path
) -> None:
    """The status file said 'retraining' for good, at the position the retrain had read to: a
    console paused during a Full retrain showed its own stopped trainer as another process's,
    still retraining, and where the log ended though the checkpoint kept was older."""
    from edgerec.training import read_status

    shop = tmp_path / "shop.db"
    shop.write_bytes(demo_shop.read_bytes())
    command = [sys.executable, "-m", "edgerec", "--db", str(shop), "train", "--device", "cpu", "--retrain"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("  retrain epoch 1"):
            process.send_signal(signal.SIGINT)
            break
    output = process.stdout.read()
    assert process.wait(timeout=120) == 1, output
    assert "the checkpoint from before it is kept" in output
    assert not (Path(f"{shop}.models") / "trainer.pt").exists()  # there was none before it
    status = read_status(Path(f"{shop}.models"))
    assert status is not None
    assert status["state"] == "stopped"
    assert status["position"] == 0 and status["checkpoint_position"] is None


def test_a_second_trainer_on_the_same_store_is_refused(demo_shop: Path, tmp_path: Path) -> None:
    shop = tmp_path / "shop.db"
    shop.write_bytes(demo_shop.read_bytes())
    command = [sys.executable, "-m", "edgerec", "--db", str(shop), "train", "--follow"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().startswith("device")  # holds the lock from here on
        second = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
        assert second.returncode == 1
        assert f"another trainer (process {first.pid}) is training this store's model" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 0


def test_a_retrain_of_a_log_with_no_customer_events_learns_nothing_and_says_so(tmp_path: Path) -> None:
    """It printed numpy's warnings and 'loss nan' for each epoch, and kept the NaN losses, which
    made the trainer's status file no valid JSON."""
    from click.testing import CliRunner

    from edgerec.cli import main
    from edgerec.domain import ItemListed

    shop = tmp_path / "shop.db"
    with edgerec.open(shop) as store:
        store.record(ItemListed(item_id="i1", title="Mug", price=3.0, stock=1))
    result = CliRunner().invoke(main, ["--db", str(shop), "train", "--retrain"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "retrained on 0 interactions" in result.output and "nan" not in result.output
    with edgerec.open(shop) as store:
        assert Trainer(store, device="cpu").losses == []


def test_a_one_shot_train_leaves_the_status_the_console_shows(tmp_path: Path) -> None:
    """Only `train --follow` wrote the status file: after a one-shot `edgerec train`, the
    console's Trainer screen showed the position and checkpoint of an older run."""
    from click.testing import CliRunner

    from edgerec.cli import main
    from edgerec.demo import DemoSize
    from edgerec.training import read_status
    from edgerec.training.published import write_status

    shop = tmp_path / "shop.db"
    with edgerec.open(shop) as store:
        seed_demo_store(store, size=DemoSize(items=200, customers=30, sessions=150), seed=3)
        head = store.head()
    models = Path(f"{shop}.models")
    write_status(models, {"state": "stopped", "device": "cpu", "position": 1, "checkpoint_position": 1})
    result = CliRunner().invoke(main, ["--db", str(shop), "train", "--device", "cpu"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    status = read_status(models)
    assert status is not None and status["state"] == "stopped"
    assert status["position"] == status["checkpoint_position"] == head


class _Killed(Exception):
    """Ends a catch-up part way, as a kill does: nothing saves after it."""


def test_a_catch_up_killed_part_way_resumes_from_a_checkpoint_it_saved_on_the_way(
    demo_shop: Path, tmp_path: Path
) -> None:
    """`edgerec train` (no --follow) saved only as it ended: killed part way through a long log
    (the OOM killer, a power cut), it left no checkpoint, and the next one learnt the log again
    from the start. It saves after whole steps now, as `--follow` does."""
    import threading

    from edgerec.training.runner import catch_up

    shop = tmp_path / "shop.db"
    shop.write_bytes(demo_shop.read_bytes())
    steps = []

    def killed_at_the_third_step(report) -> None:  # type: ignore[no-untyped-def]
        steps.append(report.position)
        if len(steps) == 3:
            raise _Killed

    with edgerec.open(shop) as store:
        trainer = Trainer(store, device="cpu")
        with pytest.raises(_Killed):
            catch_up(
                trainer,
                stop=threading.Event(),
                checkpoint_every_s=0,
                checkpoint_bytes_per_s=float("inf"),  # after every step
                on_step=killed_at_the_third_step,
            )
        resumed = Trainer(store, device="cpu")
        assert resumed.position == steps[1] > 0  # the step that raised saved nothing; the one before did
        straight = Trainer(store, device="cpu", directory=tmp_path / "straight")
        straight.catch_up(until=resumed.position)
    for name, weights in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[name], weights), name


@pytest.mark.parametrize("follow", [False, True], ids=["catch-up", "follow"])
def test_a_trainer_whose_terminal_closes_stops_and_saves_as_ctrl_c_does(
    demo_shop: Path, tmp_path: Path, follow: bool
) -> None:
    """`edgerec train` in a terminal window that was closed (or an ssh connection lost) died of
    the SIGHUP, without saving what it had learnt since its last checkpoint (up to 30 s of
    steps), and left its status at 'following'."""
    import fcntl
    import os
    import termios

    from edgerec.training import read_status

    shop = tmp_path / "shop.db"
    shop.write_bytes(demo_shop.read_bytes())
    command = [sys.executable, "-m", "edgerec", "--db", str(shop), "train", "--device", "cpu"]
    window, terminal = os.openpty()

    def in_the_window() -> None:  # the terminal is the trainer's own, as a shell's in a window
        signal.signal(signal.SIGHUP, signal.SIG_DFL)  # not ignored as under `nohup` (the test run's)
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [*command, *(["--follow"] if follow else [])],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=REPO,
        preexec_fn=in_the_window,
    )
    os.close(terminal)
    said = b""
    try:
        while b"\nposition" not in said:
            said += os.read(window, 4096)
    finally:
        os.close(window)  # the window closed: SIGHUP
    assert process.wait(timeout=120) == 0
    status = read_status(Path(f"{shop}.models"))
    assert status is not None and status["state"] == "stopped"
    saved = load_checkpoint(Path(f"{shop}.models"), device=torch.device("cpu"))
    assert saved is not None and saved.position == status["position"] >= TrainerConfig().block


def test_a_trainer_started_with_nohup_goes_on_after_its_terminal_closes(
    demo_shop: Path, tmp_path: Path
) -> None:
    shop = tmp_path / "shop.db"
    shop.write_bytes(demo_shop.read_bytes())
    command = [sys.executable, "-m", "edgerec", "--db", str(shop), "train", "--device", "cpu"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # as `nohup` starts it
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("device")
    process.send_signal(signal.SIGHUP)
    output = process.stdout.read()
    assert process.wait(timeout=120) == 0, output
    with edgerec.open(shop) as store:
        assert f"checkpoint and snapshot written at position {store.head():,}" in output


@pytest.mark.parametrize("output", ["> /dev/full", ">&-"], ids=["full-disk", "closed"])
def test_a_trainer_whose_output_cannot_be_written_says_so(
    demo_shop: Path, tmp_path: Path, output: str
) -> None:
    """`edgerec train > train.log` on a full disk, or with its output closed, ended with status 0
    having trained nothing and said nothing (or in a traceback), once a terminal's failing write
    stopped the trainer quietly as a broken pipe does."""
    shop = tmp_path / "shop.db"
    shop.write_bytes(demo_shop.read_bytes())
    command = f'exec "$@" {output}'
    train = [sys.executable, "-m", "edgerec", "--db", str(shop), "train", "--device", "cpu"]
    done = subprocess.run(["sh", "-c", command, "sh", *train], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 1, done.stderr
    assert "Error: cannot write standard output" in done.stderr
    assert "Traceback" not in done.stderr
