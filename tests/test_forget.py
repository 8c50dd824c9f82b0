"""Forgetting a customer leaves no trace of their id in any file: database, WAL, model, exports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import edgerec
from edgerec.api import Store
from edgerec.cli import main
from edgerec.demo import DemoSize, seed_demo_store
from edgerec.domain import ItemViewed
from edgerec.ingest import import_file
from edgerec.privacy import forget_user
from edgerec.readmodels import forgets_recorded
from edgerec.recommend import Recommender
from edgerec.training import Trainer, TrainerConfig
from tests.ctrl_c import said_when_stopped

SMALL = DemoSize(items=200, customers=30, sessions=200)


def files_containing(folder: Path, needle: str) -> list[str]:
    """Files holding the id in any encoding a file format here might use (numpy keeps UTF-32)."""
    forms = [needle.encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-32-le")]
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and any(form in path.read_bytes() for form in forms)
    )


def forget(db: Path, user_id: str) -> dict:
    result = CliRunner().invoke(main, ["--db", str(db), "forget-user", user_id, "--yes", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def export(db: Path, path: Path) -> None:
    """A backup-style export with real ids: the hardest case for forgetting."""
    result = CliRunner().invoke(main, ["--db", str(db), "export", str(path), "--real-ids"])
    assert result.exit_code == 0, result.output


def trained_shop(folder: Path) -> Path:
    """The demo shop's store in `folder`, its model trained."""
    db = folder / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=SMALL, seed=5)
    train(db)
    return db


def the_next_forget_finishes(command: list[str], folder: Path, done: str) -> None:
    """The same forget-user again finishes what the last one could not (`done`, said so), leaves
    no trace of customer C0007 in `folder`, and a third finds nothing left to do."""
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert f"{done}, which the last forget could not do" in result.output
    assert files_containing(folder, "C0007") == []
    result = CliRunner().invoke(main, command)  # nothing is left to do
    assert result.exit_code == 1 and "nothing was changed" in result.output


def train(db: Path) -> None:
    with edgerec.open(db) as store:
        trainer = Trainer(store, config=TrainerConfig(block=1000))
        trainer.catch_up()
        trainer.save()


def test_forgetting_a_demo_customer_leaves_no_trace(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    db = folder / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=SMALL, seed=5)
        head = store.head()
        customer = "C0007"
        mine = len(store.read(user_id=customer))
        assert mine > 0
    train(db)
    export(db, folder / "before.jsonl")
    assert {"shop.db", "shop.db.models/trainer.pt", "shop.db.models/snapshot.npz", "before.jsonl"} <= set(
        files_containing(folder, customer)
    )
    (folder / "before.jsonl").unlink()
    # A console still has the store open, so SQLite cannot drop the WAL when the command ends.
    console = edgerec.open(db)
    console.record(ItemViewed(user_id="C0001", item_id="SKU00001"))
    head += 1

    receipt = forget(db, customer)

    assert receipt["events_removed"] == mine
    assert receipt["database_compacted"] is True
    assert receipt["model_retrained_to_position"] == head
    export(db, folder / "after.jsonl")
    export(db, folder / "after.parquet")
    assert (folder / "shop.db-wal").exists()
    assert files_containing(folder, customer) == []
    console.close()
    with edgerec.open(db) as store:
        assert store.head() == head  # other customers' positions are untouched
        assert store.read(user_id=customer) == []
        assert store.stats()["events"] == head - mine
        # The read models equal a replay of what is left.
        before = store.stats()["projections"]
        store.rebuild()
        assert store.stats()["projections"] == before


def test_forgetting_a_customer_of_an_imported_real_dataset(tmp_path: Path, shared_dataset) -> None:
    source = shared_dataset("taobao-userbehavior", "UserBehavior_head_4k.csv")
    customer = "shopper-7731902"
    lines = source.read_text().splitlines()[:1500]
    rows = [f"{customer}{line[line.index(',') :]}" if line.startswith("100,") else line for line in lines]
    rows.append(f"{customer},123,456,pv,not-a-time")  # quarantined, and it names the customer
    data = tmp_path / "input" / "UserBehavior.csv"
    data.parent.mkdir()
    data.write_text("\n".join(rows) + "\n")
    folder = tmp_path / "shop"
    db = folder / "shop.db"
    with edgerec.open(db) as store:
        report = import_file(store, data, format="taobao")
        assert report.quarantined >= 1
        assert len(store.read(user_id=customer)) > 0
        store.record(ItemViewed(user_id=customer, item_id="2268318"))
    train(db)
    assert "shop.db" in files_containing(folder, customer)

    receipt = forget(db, customer)

    assert receipt["events_removed"] > 0
    assert receipt["quarantine_rows_removed"] >= 1
    export(db, folder / "after.jsonl")
    assert files_containing(folder, customer) == []


def test_a_running_recommender_forgets_the_customer_too(tmp_path: Path) -> None:
    """A console open while `forget-user` ran kept the customer's history in memory and went on
    citing it ("You viewed ... 2 minutes ago")."""
    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=SMALL, seed=5)
        customer = "C0007"
        running = Recommender(store)
        running.recommend(customer, k=5)  # the customer's history is in memory now
        assert customer in running.state.users
    forget(db, customer)
    with edgerec.open(db):
        running.refresh()
        assert customer not in running.state.users
        reasons = [reason for r in running.recommend(customer, k=10) for reason in r.reasons]
        cites_them = ("You ", "which you ", "your cart")
        assert reasons and not any(words in reason for reason in reasons for words in cites_them), reasons


def test_a_running_recommender_drops_the_model_whose_files_forget_user_removed(tmp_path: Path) -> None:
    """A recommender kept open still held the customer's trained vector (and the item vectors
    learnt from them) after forget-user removed the model's files: it reloaded its memory but
    kept the snapshot it had loaded, the file being gone."""
    db = trained_shop(tmp_path)
    (tmp_path / "shop.db.models" / "trainer.pt").write_bytes(b"damaged")  # cannot be retrained
    with edgerec.open(db) as store:
        running = Recommender(store)
        assert running.model is not None and running.model.source.loaded
        assert forget(db, "C0007")["model_removed"] is True
        running.refresh()
        assert not running.model.loaded and not running.model.source.loaded
        assert running.model.position == 0 and running.recommend("C0001", k=5)
        train(db)  # the trainer publishes again: the recommender picks it up
        running.refresh()
        assert running.model.source.loaded and running.model.position == store.head()


def test_a_recommender_that_refreshed_before_the_model_files_went_drops_the_model_too(
    tmp_path: Path,
) -> None:
    """forget-user commits the forget, compacts the database, and only then removes the model's
    files: a console that refreshed in between reloaded its memory with the files still there,
    and then kept the removed model, with the customer's trained vector, for good."""
    from edgerec.training.trainer import forget_in_model

    db = trained_shop(tmp_path)
    (tmp_path / "shop.db.models" / "trainer.pt").write_bytes(b"damaged")  # cannot be retrained
    with edgerec.open(db) as store:
        running = Recommender(store)
        assert running.model is not None and "C0007" in running.model.source._index.user_row
        forget_user(store, "C0007")
        running.refresh()  # between the forget and the removal of the model's files
        assert forget_in_model(store) == {"model_removed": True}
        running.refresh()
        assert not running.model.loaded and not running.model.source.loaded
        assert "C0007" not in running.model.source._index.user_row


def test_forgetting_commits_all_at_once_or_not_at_all(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The deletion, the forget counter and the rebuilt read models commit together. Before,
    the read models were rebuilt in a later transaction: a recommender refreshing in between
    reloaded the customer from them, and a crash there left them counting the customer."""
    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        seed_demo_store(store, size=SMALL, seed=5)
        customer, head = "C0007", store.head()
        mine = len(store.read(user_id=customer))

        def crash(*_args, **_kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("power cut while rebuilding")

        monkeypatch.setattr(Store, "rebuild_in", crash)
        with pytest.raises(RuntimeError):
            forget_user(store, customer)
        assert len(store.read(user_id=customer)) == mine and store.head() == head
        with store.engine.connect() as connection:
            assert forgets_recorded(connection) == 0


@pytest.mark.parametrize("checkpoint", ["moved aside", "damaged"])
def test_a_model_that_cannot_be_retrained_is_removed_with_the_customer(
    tmp_path: Path, checkpoint: str
) -> None:
    folder = tmp_path / "shop"
    db = trained_shop(folder)
    saved = folder / "shop.db.models" / "trainer.pt"
    if checkpoint == "moved aside":  # as the remedy for a bad checkpoint says
        saved.rename(tmp_path / "trainer.pt.old")
    else:
        saved.write_bytes(saved.read_bytes()[:1000])
    receipt = forget(db, "C0007")
    assert receipt["model_removed"] is True and "model_retrained_to_position" not in receipt
    assert files_containing(folder, "C0007") == []


def test_the_status_file_follows_the_model_a_forget_retrains_or_removes(tmp_path: Path) -> None:
    """The console's Trainer screen reads the status file while no trainer runs: a forget left
    it naming the checkpoint from before the retrain, or one that it had removed."""
    from edgerec.training import read_status
    from edgerec.training.published import write_status

    folder = tmp_path / "shop"
    db = trained_shop(folder)
    models = folder / "shop.db.models"
    write_status(models, {"state": "stopped", "device": "cpu", "position": 1, "checkpoint_position": 1})
    receipt = forget(db, "C0007")
    status = read_status(models)
    assert status is not None and status["state"] == "stopped"
    assert status["position"] == status["checkpoint_position"] == receipt["model_retrained_to_position"]
    (models / "trainer.pt").write_bytes(b"junk")  # damaged: the next forget removes the model
    receipt = forget(db, "C0003")
    assert receipt["model_removed"] is True
    assert read_status(models) is None


def test_a_customer_forgotten_after_a_restore_from_backup_leaves_no_trace(tmp_path: Path) -> None:
    """The log is restored from an export beside the model files of the store it replaces."""
    folder = tmp_path / "shop"
    db = trained_shop(folder)
    forget(db, "C0003")
    export(db, tmp_path / "backup.jsonl")
    for name in ("shop.db", "shop.db-wal", "shop.db-shm"):
        (folder / name).unlink(missing_ok=True)
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(tmp_path / "backup.jsonl")])
    assert result.exit_code == 0, result.output
    receipt = forget(db, "C0007")
    assert receipt.get("model_removed") or receipt.get("model_retrained_to_position")
    assert files_containing(folder, "C0007") == []


def test_a_full_disk_leaves_the_compaction_to_the_next_forget_and_still_cleans_the_model(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """VACUUM failing for lack of space ended the command in a traceback after the forget had
    committed: the model was never cleaned, and a second forget-user said 'nothing was changed'."""
    import errno
    import sqlite3

    from edgerec import privacy
    from edgerec.training import files

    folder = tmp_path / "shop"
    db = trained_shop(folder)

    def vacuum(_store: Store, _holding: object) -> bool:
        raise sqlite3.OperationalError("database or disk is full")

    def write(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(privacy, "_compact", vacuum)
    monkeypatch.setattr(files, "_write", write)
    command = ["--db", str(db), "forget-user", "C0007", "--yes"]
    result = CliRunner().invoke(main, [*command, "--json"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    receipt = json.loads(result.output.splitlines()[0])
    assert receipt["database_compacted"] is False and receipt["model_removed"] is True
    assert "database or disk is full" in receipt["compaction_failed"]
    assert "could not compact the database" in result.output
    assert "free some space and run `edgerec forget-user` again (whatever the id) to compact" in result.output
    assert not [name for name in files_containing(folder, "C0007") if ".models" in name]

    monkeypatch.undo()  # the space is freed
    the_next_forget_finishes(command, folder, "compacted the database")


def _trained_shop_whose_model_cannot_change(folder: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    """A demo shop's store in `folder`, its model trained, then its model folder made one that
    cannot be changed (another owner, a read-only mount): every write or removal there fails."""
    import errno

    from edgerec.training import files
    from edgerec.training import trainer as trainer_module

    db = trained_shop(folder)

    def refused(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(errno.EPERM, "Operation not permitted", str(folder / "shop.db.models"))

    monkeypatch.setattr(files, "_write", refused)
    monkeypatch.setattr(trainer_module, "remove_model_files", refused)
    return db


def test_model_files_that_cannot_be_removed_are_said_and_removed_by_the_next_forget(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A model folder that cannot be changed (another owner, a read-only mount) ended forget-user
    in a traceback with the customer's id left in the checkpoint and snapshot, and running the
    command again said 'no customer' and did nothing to the model."""
    folder = tmp_path / "shop"
    db = _trained_shop_whose_model_cannot_change(folder, monkeypatch)
    command = ["--db", str(db), "forget-user", "C0007", "--yes"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "could not remove the model's files in" in result.output
    assert "run the same command again to remove them" in result.output
    assert [name for name in files_containing(folder, "C0007") if ".models" in name]

    monkeypatch.undo()  # the folder can be changed again
    the_next_forget_finishes(command, folder, "cleaned the model")


def test_positions_of_forgotten_events_are_never_handed_out_again(tmp_path: Path) -> None:
    """A reader that has read up to the newest event (a tailing console, an export --since)
    must find the events recorded after a forget removed the newest ones."""
    with edgerec.open(tmp_path / "shop.db") as store:
        for user in ("alice", "bob"):
            store.record_many([ItemViewed(user_id=user, item_id=f"i{n}") for n in range(3)])
        read_up_to = store.head()
        forget_user(store, "bob")
        assert store.head() == 3
        carol = [store.record(ItemViewed(user_id="carol", item_id=f"i{n}")) for n in range(3)]
        assert carol == [7, 8, 9]
        assert [e.user_id for e in store.read(since=read_up_to)] == ["carol"] * 3


def test_a_running_trainer_is_left_to_retrain_the_model(tmp_path: Path) -> None:
    """Two trainers must not write one checkpoint: the one following the store retrains at its
    next step (it follows the forget counter), so the command leaves the model to it."""
    from edgerec.training import model_dir
    from edgerec.training.files import only_trainer

    db = trained_shop(tmp_path)
    with only_trainer(model_dir(str(db))):  # as `edgerec train --follow` holds it
        receipt = forget(db, "C0007")
    assert receipt["model_retrained_by_the_running_trainer"] is True
    assert "model_retrained_to_position" not in receipt


def test_a_forget_user_that_finds_another_retraining_the_model_waits_and_retrains_after_it(
    tmp_path: Path,
) -> None:
    """Two forget-users at once: the second took the first for a running trainer, said the model
    was 'retrained by the running trainer' and exited, though the first retrained from a log read
    before the second's forget and no trainer ran: the model kept the customer."""
    import contextlib
    import threading

    from edgerec.training import model_dir
    from edgerec.training.files import FORGET_USER, only_trainer

    folder = tmp_path / "shop"
    db = trained_shop(folder)
    first = contextlib.ExitStack()
    first.enter_context(only_trainer(model_dir(str(db)), holder=FORGET_USER))  # retraining
    done = threading.Timer(3.0, first.close)  # without the customer forgotten meanwhile
    done.start()
    try:
        result = CliRunner().invoke(main, ["--db", str(db), "forget-user", "C0007", "--yes", "--json"])
    finally:
        done.join()
    assert result.exit_code == 0, result.output
    # It says why it stands still, once: it printed nothing while it waited.
    assert result.stderr.count(f"Waiting for forget-user (process {os.getpid()})") == 1
    receipt = json.loads(result.stdout)
    assert "model_retrained_by_the_running_trainer" not in receipt
    assert receipt["model_retrained_to_position"] > 0
    assert files_containing(folder, "C0007") == []


def _forget_stopped_while_it_waits(db: Path, user_id: str, first_line: str) -> str:
    """What `forget-user user_id`, stopped with Ctrl+C once it says `first_line`, says."""
    return said_when_stopped(["--db", str(db), "forget-user", user_id, "--yes"], first_line)


def test_ctrl_c_of_a_forget_user_says_what_was_removed_and_what_is_left(tmp_path: Path) -> None:
    """Stopped with Ctrl+C, forget-user said only 'Aborted!', whether it had removed nothing yet
    (waiting for an import) or had removed the customer's rows and left the model's part (waiting
    for another retraining the model)."""
    from edgerec.store.import_turn import import_turn
    from edgerec.training import model_dir
    from edgerec.training.files import FORGET_USER, only_trainer

    folder = tmp_path / "shop"
    db = trained_shop(folder)
    with edgerec.open(db) as store, import_turn(store.engine):  # an import under way
        said = _forget_stopped_while_it_waits(db, "C0007", "Waiting for an import")
    assert "Forget stopped. Nothing was removed: run the same command again" in said, said
    assert files_containing(folder / "shop.db.models", "C0007")
    with only_trainer(model_dir(str(db)), holder=FORGET_USER):  # another forget retraining
        said = _forget_stopped_while_it_waits(db, "C0007", "Waiting for forget-user")
    assert (
        "Forget stopped. The customer's rows are removed from the store, but the model's part is not"
        " done yet: run `edgerec forget-user` again (whatever the id) to finish."
    ) in said, said
    the_next_forget_finishes(["--db", str(db), "forget-user", "C0007", "--yes"], folder, "cleaned the model")


def test_a_running_trainer_stopped_before_it_saved_its_retrain_leaves_the_model_to_the_next_forget(
    tmp_path: Path,
) -> None:
    """The trainer that forget-user left the model to stopped in the middle of its retrain (a
    second Ctrl+C, a kill): the checkpoint and snapshot still held the customer, and forget-user
    again said 'no customer' and left them so."""
    from edgerec.training import model_dir
    from edgerec.training.files import only_trainer

    folder = tmp_path / "shop"
    db = trained_shop(folder)
    with only_trainer(model_dir(str(db))):  # it stops without saving
        assert forget(db, "C0007")["model_retrained_by_the_running_trainer"] is True
    assert [name for name in files_containing(folder, "C0007") if ".models" in name]

    command = ["--db", str(db), "forget-user", "C0007", "--yes"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "cleaned the model, which the last forget could not do" in result.output
    assert files_containing(folder, "C0007") == []
    result = CliRunner().invoke(main, command)  # nothing is left to do
    assert result.exit_code == 1 and "nothing was changed" in result.output


def test_a_snapshot_a_killed_trainer_did_not_publish_again_is_published_before_the_mark_goes(
    tmp_path: Path,
) -> None:
    """A trainer killed between writing its retrained checkpoint and publishing its snapshot left
    the customer in snapshot.npz: the next forget-user said it cleaned the model and cleared the
    mark, and left the snapshot as it was (the checkpoint had seen every forget: no retrain)."""
    from edgerec.privacy import set_model_forget_pending
    from edgerec.training import model_dir
    from edgerec.training.files import only_trainer

    folder = tmp_path / "shop"
    db = trained_shop(folder)
    snapshot = model_dir(str(db)) / "snapshot.npz"
    held = snapshot.read_bytes()
    with only_trainer(model_dir(str(db))):  # left to the running trainer
        assert forget(db, "C0007")["model_retrained_by_the_running_trainer"] is True
    train(db)  # which writes its retrained checkpoint...
    snapshot.write_bytes(held)  # ...and is killed before its snapshot is published
    with edgerec.open(db) as store:
        set_model_forget_pending(store, True)
    assert files_containing(folder, "C0007") == [str(snapshot.relative_to(folder))]

    the_next_forget_finishes(["--db", str(db), "forget-user", "C0007", "--yes"], folder, "cleaned the model")


def test_a_trainer_that_saves_its_retrain_finishes_the_model_part_of_a_forget(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Once a trainer had retrained the model that forget-user could not clean, a mistyped id
    still 'cleaned the model, which the last forget could not do' and exited 0."""
    folder = tmp_path / "shop"
    db = _trained_shop_whose_model_cannot_change(folder, monkeypatch)
    result = CliRunner().invoke(main, ["--db", str(db), "forget-user", "C0007", "--yes"])
    assert result.exit_code == 1 and "could not remove the model's files in" in result.output
    monkeypatch.undo()  # the folder can be changed again, and the trainer runs
    train(db)
    assert files_containing(folder, "C0007") == []

    result = CliRunner().invoke(main, ["--db", str(db), "forget-user", "C00O7", "--yes"])
    assert result.exit_code == 1 and "nothing was changed" in result.output


@pytest.mark.parametrize("follow", [False, True], ids=["catch-up", "follow-stopped"])
def test_a_forget_that_comes_in_after_the_trainers_last_step_is_retrained_as_it_ends(
    tmp_path: Path, monkeypatch, follow: bool
) -> None:  # type: ignore[no-untyped-def]
    """`edgerec train` ending (caught up, or a follower stopped) as forget-user ran: its last step
    saw no forget, forget-user left the model to it, and it saved and published a snapshot that
    still held the customer, and no trainer ran after it to retrain."""
    import signal

    from edgerec.privacy import model_forget_pending
    from edgerec.training.trainer import forget_in_model

    folder = tmp_path / "shop"
    db = trained_shop(folder)
    with edgerec.open(db) as store:  # the log grows: the trainer has a step to take
        store.record(ItemViewed(user_id="C0001", item_id="I0001"))
    stepped = Trainer.step
    left: list[dict] = []

    def step(self: Trainer, **kwargs):  # type: ignore[no-untyped-def]
        report = stepped(self, **kwargs)
        if not report.events and not left:  # its last step: forget-user runs in another shell
            with edgerec.open(db) as other:
                assert forget_user(other, "C0007").found
                left.append(forget_in_model(other))
            if follow:
                os.kill(os.getpid(), signal.SIGTERM)  # the console's Pause
        return report

    monkeypatch.setattr(Trainer, "step", step)
    handlers = {sent: signal.getsignal(sent) for sent in (signal.SIGINT, signal.SIGTERM)}
    try:
        command = ["--db", str(db), "train", "--device", "cpu", *(["--follow"] if follow else [])]
        result = CliRunner().invoke(main, command, catch_exceptions=False)
    finally:
        for sent, handler in handlers.items():
            signal.signal(sent, handler)
    assert left == [{"model_retrained_by_the_running_trainer": True}]
    assert result.exit_code == 0, result.output
    assert files_containing(folder, "C0007") == []
    with edgerec.open(db) as store:
        assert not model_forget_pending(store)
    assert "A customer was forgotten as this trainer ended: retraining the model" in result.stderr


def quarantined_raws(db: Path) -> list[str]:
    from sqlalchemy import select

    from edgerec.store.schema import quarantine

    with edgerec.open(db) as store, store.engine.connect() as connection:
        return list(connection.execute(select(quarantine.c.raw).order_by(quarantine.c.id)).scalars())


def imported(db: Path, path: Path, text: str) -> None:
    path.write_text(text)
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(path)])
    assert result.exit_code == 0, result.output


def test_quarantined_rows_are_forgotten_however_the_file_spelt_the_id(tmp_path: Path) -> None:
    """A JSON line writes "Zoë" as "Zo\\u00eb" (Python's json.dumps does), a CSV line 'O"Brien'
    as "O""Brien": their refused rows were kept, with 'quarantine rows removed: 0'."""
    db = tmp_path / "shop.db"
    view = {"user_id": "Zoë/Paris", "item_id": "SKU1", "event": "view", "timestamp": "2026-11-20T10:00:00Z"}
    bought = view | {"event": "purchase", "timestamp": "2026-11-20T10:01:00Z", "price": "abc"}
    # As PHP writes it: "Zo\u00eb\/Paris".
    imported(
        db, tmp_path / "in.jsonl", "".join(json.dumps(r).replace("/", "\\/") + "\n" for r in (view, bought))
    )
    imported(
        db,
        tmp_path / "in.csv",
        "user_id,item_id,event,timestamp,price\n"
        '"O""Brien",SKU1,view,2026-11-20 10:00:00,\n"O""Brien",SKU1,purchase,2026-11-20 10:01:00,abc\n',
    )
    assert len(quarantined_raws(db)) == 2

    for customer in ("Zoë/Paris", 'O"Brien'):
        receipt = forget(db, customer)
        assert (receipt["events_removed"], receipt["quarantine_rows_removed"]) == (1, 1), receipt
    assert quarantined_raws(db) == []


def test_an_id_that_names_no_one_changes_nothing(tmp_path: Path) -> None:
    """A typo ('C00O1' for 'C0001') was 'forgotten': the read models rebuilt, the file compacted
    and the forget counter moved, so every model retrained, for nobody."""
    with edgerec.open(tmp_path / "shop.db") as store:
        store.record(ItemViewed(user_id="C0001", item_id="SKU00001"))
        receipt = forget_user(store, "C00O1")
        assert receipt.found is False and receipt.events_removed == 0
        assert receipt.projections_rebuilt_from == 0 and receipt.database_compacted is False
        with store.engine.connect() as connection:
            assert forgets_recorded(connection) == 0
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "shop.db"), "forget-user", "C00O1", "--yes"])
    assert result.exit_code == 1 and "no customer 'C00O1' in the store" in result.output
    assert "Forgot" not in result.output
    with edgerec.open(tmp_path / "shop.db") as store:
        assert forget_user(store, "C0001").found is True


def test_an_item_id_is_forgotten_only_where_it_is_a_customer(tmp_path: Path) -> None:
    """`forget-user SKU9` deleted C0003's refused purchase of SKU9: the id was a token in it.
    A row of a known customer that names the id as its item stays; a row that has the id as
    its customer goes, even where that id is an item's too."""
    db = tmp_path / "shop.db"
    imported(
        db,
        tmp_path / "in.csv",
        "user_id,item_id,event,timestamp,price\n"
        "C0003,SKU9,view,2026-11-20 10:00:00,\n"
        "C0003,SKU9,purchase,2026-11-20 10:01:00,abc\n"  # C0003's, naming the item
        "SKU9,SKU1,purchase,2026-11-20 10:02:00,abc\n",  # a customer spelt like the item
    )
    receipt = forget(db, "SKU9")
    assert quarantined_raws(db) == ["C0003,SKU9,purchase,2026-11-20 10:01:00,abc"]
    assert (receipt["found"], receipt["events_removed"], receipt["quarantine_rows_removed"]) == (True, 0, 1)
    with edgerec.open(db) as store:
        assert forget_user(store, "SKU9").found is False  # nothing of a customer SKU9 is left


def test_a_numeric_id_takes_only_the_rows_that_hold_it_as_a_value(tmp_path: Path) -> None:
    """`forget-user 30` deleted customer 5's refused row: its time 10:30:00 held ':30:'; so did
    `forget-user 66` customer 137's, whose time was 1396471744.66. Customer 30's own refused
    rows go, in every format, a CSV line's, a JSON line's or a Parquet file's 30.0 and 3e1 too: the importer
    reads them as customer 30 (pandas writes an id column with a gap as floats), and they were
    kept, with Parquet's refused rows stored as JSON."""
    import pandas as pd

    db = tmp_path / "shop.db"
    imported(
        db,
        tmp_path / "in.csv",
        "user_id,item_id,event,timestamp,price\n"
        "30,I1,view,2025-01-01 09:00:00,\n"
        "5,,view,2025-01-01 10:30:00,\n"
        "30,I4,purchase,2025-01-01 11:05:00,abc\n"
        "30.0,,view,2025-01-01 11:06:00,\n",  # pandas' float column, saved as CSV
    )
    imported(
        db,
        tmp_path / "in.tsv",
        "user_id\titem_id\tevent\ttimestamp\n137\t\tview\t1396471744.30\n30\t\tview\t1396471744.66\n",
    )
    imported(
        db,
        tmp_path / "in.jsonl",
        '{"user_id": 5, "item_id": "I2", "event": "view", "timestamp": "2025-01-01 10:30:00x"}\n'
        '{"user_id": 30, "item_id": "I2", "event": "view", "timestamp": "2025-01-01 10:31:00x"}\n'
        '{"user_id": 30.0, "item_id": "I2", "event": "view", "timestamp": "2025-01-01 10:32:00x"}\n'
        '{"user_id": 3e1, "item_id": "I2", "event": "view", "timestamp": "2025-01-01 10:33:00x"}\n',
    )
    frame = pd.DataFrame(
        {
            "user_id": [30, None, 5, 30],
            "item_id": ["I3", "I3", "I3", "I3"],
            "event": ["view", "view", "view", "view"],
            "timestamp": ["2025-01-02 10:00:00", "2025-01-02 10:01:00", "2025-01-02 10:30:00x", "x"],
        }
    )
    assert frame["user_id"].dtype == "float64"
    frame.to_parquet(tmp_path / "in.parquet")
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(tmp_path / "in.parquet")])
    assert result.exit_code == 0, result.output
    raws = quarantined_raws(db)
    assert len(raws) == 12 and '"user_id": 30.0' in raws[-1], raws  # and null's, and 5.0's

    receipt = forget(db, "30")

    assert (receipt["events_removed"], receipt["quarantine_rows_removed"]) == (2, 7), receipt
    assert quarantined_raws(db) == [
        "5,,view,2025-01-01 10:30:00,",
        "137\t\tview\t1396471744.30",
        '{"user_id": 5, "item_id": "I2", "event": "view", "timestamp": "2025-01-01 10:30:00x"}',
        *raws[-3:-1],
    ]
    assert all("30.0" not in raw for raw in quarantined_raws(db))


def test_an_id_in_an_imported_file_name_is_forgotten_too(tmp_path: Path) -> None:
    """After importing orders_zoe123.csv and forgetting zoe123 the database still held the id,
    in the import's source and its report."""
    from sqlalchemy import select

    from edgerec.store.schema import imports, quarantine

    folder = tmp_path / "shop"
    db = folder / "shop.db"
    (tmp_path / "zoe123").mkdir()
    imported(
        db,
        tmp_path / "zoe123" / "orders_zoe123.csv",
        "user_id,item_id,event,timestamp,price\n"
        "zoe123,I1,view,2025-01-01 10:00:00,\n"
        "bob,I1,view,2025-01-01 10:01:00,\n"
        "bob,I1,purchase,2025-01-01 10:02:00,abc\n",
    )
    imported(
        db, tmp_path / "zoe1234.csv", "user_id,item_id,event,timestamp\nann,I2,view,2025-01-01 11:00:00\n"
    )
    assert files_containing(folder, "zoe123") == ["shop.db"]

    forget(db, "zoe123")

    # What is left is ann's file's name: another word, not the customer's id.
    assert files_containing(folder, "zoe123") == ["shop.db"]
    assert db.read_bytes().count(b"zoe123") == db.read_bytes().count(b"zoe1234") > 0
    with edgerec.open(db) as store, store.engine.connect() as connection:
        sources = connection.execute(
            select(imports.c.source, imports.c.report).order_by(imports.c.started_at)
        )
        renamed = str(tmp_path / "[forgotten]" / "orders_[forgotten].csv")
        assert [(source, report["source"]) for source, report in sources] == [
            (renamed, renamed),
            (str(tmp_path / "zoe1234.csv"),) * 2,  # another word: not the customer's id
        ]
        # bob's refused row stays, under the new name
        assert list(connection.execute(select(quarantine.c.source, quarantine.c.raw))) == [
            (renamed, "bob,I1,purchase,2025-01-01 10:02:00,abc")
        ]


def test_a_session_shared_with_another_customer_is_not_counted_as_removed(tmp_path: Path) -> None:
    """The receipt said 'sessions removed: 1' for a session that stayed, now ben's alone."""
    from sqlalchemy import select

    from edgerec.store.schema import sessions

    with edgerec.open(tmp_path / "shop.db") as store:
        store.record(ItemViewed(user_id="ann", session_id="family-tablet-1", item_id="A"))
        store.record(ItemViewed(user_id="ben", session_id="family-tablet-1", item_id="B"))
        store.record(ItemViewed(user_id="ann", session_id="ann-phone", item_id="C"))

        receipt = forget_user(store, "ann")

        assert (receipt.events_removed, receipt.sessions_removed) == (2, 1)
        with store.engine.connect() as connection:
            left = connection.execute(select(sessions.c.session_id, sessions.c.user_id)).all()
        assert [tuple(row) for row in left] == [("family-tablet-1", "ben")]


def test_a_shared_session_the_store_named_after_the_customer_loses_their_id(tmp_path: Path) -> None:
    """The store names a session after the customer who opened it (anna@1795993239.969198);
    ben's event in it kept that name after anna was forgotten: in the log, the read models and
    every export made afterwards."""
    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        store.record(ItemViewed(user_id="anna", item_id="A"))
        shared = store.read(user_id="anna")[0].session_id
        assert shared is not None and shared.startswith("anna@")
        store.record(ItemViewed(user_id="ben", session_id=shared, item_id="B"))
        store.record(ItemViewed(user_id="ben", session_id="annals-1", item_id="C"))  # not her id

    receipt = forget(db, "anna")

    assert (receipt["events_removed"], receipt["sessions_removed"]) == (1, 0)
    export(db, tmp_path / "after.jsonl")
    assert files_containing(tmp_path, shared) == []
    with edgerec.open(db) as store:
        kept = [e.session_id for e in store.read(user_id="ben")]
    assert kept == [shared.replace("anna", "[forgotten]"), "annals-1"]


@pytest.mark.parametrize(
    ("customer", "other"), [("ann", "ann.smith"), ("x+y", "x+y+z"), ("john", "john-doe@shop.com")]
)
def test_a_session_another_customer_opened_keeps_its_name(tmp_path: Path, customer: str, other: str) -> None:
    """Forgetting ann renamed the session ann.smith opened, and ann took part in, to
    '[forgotten].smith@1700000000': her id was a word of its name, but not its customer."""
    with edgerec.open(tmp_path / "shop.db") as store:
        store.record(ItemViewed(user_id=other, item_id="A", occurred_at=_at(0)))
        opened = store.read(user_id=other)[0].session_id
        assert opened == f"{other}@1700000000"
        store.record(ItemViewed(user_id=customer, item_id="B", session_id=opened, occurred_at=_at(6)))

        forget_user(store, customer)

        assert [e.session_id for e in store.read()] == [opened]


def test_shared_sessions_of_two_forgotten_customers_stay_two(tmp_path: Path) -> None:
    """ann's and zed's tablets, each opened in the same second and used by another customer
    after them, were both renamed '[forgotten]@1700000000': bob's and carl's visits became one
    session, pairing their items as if one customer had viewed both."""
    from edgerec.readmodels import ShopData

    with edgerec.open(tmp_path / "shop.db") as store:
        for user, session, item, second in [
            ("ann", "ann@1700000000", "A", 0),
            ("bob", "ann@1700000000", "B", 5),
            ("zed", "zed@1700000000", "C", 0),
            ("carl", "zed@1700000000", "D", 5),
        ]:
            store.record(ItemViewed(user_id=user, item_id=item, session_id=session, occurred_at=_at(second)))

        forget_user(store, "ann")
        forget_user(store, "zed")

        named = {e.user_id: e.session_id for e in store.read()}
        assert named["bob"] == "[forgotten]@1700000000"
        assert named["carl"].startswith("[forgotten]@1700000000") and named["carl"] != named["bob"]
        shop = ShopData(store)
        assert [s.recent_items for s in shop.sessions("bob")] == [["B"]]
        assert [s.recent_items for s in shop.sessions("carl")] == [["D"]]


def _at(second: int):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromtimestamp(1_700_000_000 + second, UTC)


def test_a_numeric_id_is_forgotten_only_in_a_file_name_and_its_rows_are_found_again(
    tmp_path: Path,
) -> None:
    """Forgetting customer 30 renamed the folder sales-30 (sales-[forgotten]/day.csv), and
    importing a renamed file again refused its other customers' rows a second time: bob's one
    refused row was in quarantine twice."""
    from sqlalchemy import select

    from edgerec.store.schema import imports, quarantine

    db = tmp_path / "shop.db"
    (tmp_path / "sales-30").mkdir()
    day, orders = tmp_path / "sales-30" / "day.csv", tmp_path / "orders_30.csv"
    for path in (day, orders, tmp_path / "sales-2025-01-30.csv"):
        imported(
            db,
            path,
            "user_id,item_id,event,timestamp\n"
            "30,I1,view,2025-01-01 10:00:00\nbob,I3,bogus,2025-01-01 10:01:00\n",
        )

    forget(db, "30")

    def sources() -> tuple[list[str], list[str]]:
        with edgerec.open(db) as store, store.engine.connect() as connection:
            return (
                list(connection.execute(select(imports.c.source).order_by(imports.c.started_at)).scalars()),
                list(connection.execute(select(quarantine.c.source).order_by(quarantine.c.id)).scalars()),
            )

    renamed = str(tmp_path / "orders_[forgotten].csv")
    kept = [str(day), renamed, str(tmp_path / "sales-2025-01-30.csv")]
    assert sources() == (kept, kept)
    for path in (day, orders):
        result = CliRunner().invoke(main, ["--db", str(db), "import", str(path)])
        assert result.exit_code == 0, result.output
    # bob's row of each file once, the renamed one under its path again
    assert sources()[1] == [str(day), str(orders), str(tmp_path / "sales-2025-01-30.csv")]


def test_a_forget_waits_for_an_import_under_way(tmp_path: Path) -> None:
    """An import running while the customer was forgotten logged them again from its later
    chunks, after the receipt said they were gone: the forget waits for the import's turn."""
    import threading

    from edgerec.store.import_turn import import_turn

    with edgerec.open(tmp_path / "shop.db") as store, edgerec.open(tmp_path / "shop.db") as importer:
        store.record(ItemViewed(user_id="u7", item_id="i1"))
        waited, receipts = threading.Event(), []
        with import_turn(importer.engine):  # an import of a file of u7's events, under way
            forgetting = threading.Thread(
                target=lambda: receipts.append(forget_user(store, "u7", waited.set))
            )
            forgetting.start()
            assert waited.wait(10), "the forget never said it waits"
            assert forgetting.is_alive() and store.read(user_id="u7") != []
            importer.record(ItemViewed(user_id="u7", item_id="i2"))  # its last chunk
        forgetting.join(60)
        assert [r.events_removed for r in receipts] == [2]
        assert store.read(user_id="u7") == []
