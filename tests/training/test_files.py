"""The trainer's files are written whole or not at all, in chunks that leave the disk to others."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from edgerec.training import files
from edgerec.training.files import write_atomically


@pytest.mark.parametrize("durable", [True, False])
def test_a_file_of_many_chunks_is_written_whole_and_private(tmp_path: Path, durable: bool) -> None:
    data = os.urandom(3 * files._CHUNK_BYTES + 12_345)
    target = tmp_path / "models" / "snapshot.npz"
    target.parent.mkdir()
    target.write_bytes(b"the old snapshot")
    write_atomically(target, data, durable=durable)
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["snapshot.npz"]  # no temporary left


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "snapshot.npz"
    target.write_bytes(b"the old snapshot")
    calls = []

    def failing_sync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fdatasync", failing_sync)
    with pytest.raises(OSError):
        write_atomically(target, b"x" * (2 * files._CHUNK_BYTES + 1))
    assert target.read_bytes() == b"the old snapshot"
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.npz"]


def test_each_store_has_its_own_model_folder(tmp_path: Path) -> None:
    from edgerec.training.files import model_dir

    shop = tmp_path / "shop.db"
    assert model_dir(str(shop)) == tmp_path / "shop.db.models"
    assert model_dir(f"sqlite:///{shop}") == tmp_path / "shop.db.models"
    # Two databases on one server, or one name on two servers, never share a model.
    first = model_dir("postgresql+psycopg://shop:secret@db.local:5432/shop_a")
    second = model_dir("postgresql+psycopg://shop:secret@db.local:5432/shop_b")
    other_server = model_dir("postgresql+psycopg://shop:secret@db2.local:5432/shop_a")
    assert len({first, second, other_server}) == 3
    assert first.name == "postgresql-db.local-5432-shop_a"
    # Nor two schemas of one database (the README's search_path), nor servers or databases
    # named in the query.
    in_query = [
        model_dir(f"postgresql+psycopg://shop@/shop_a?options=-csearch_path%3D{schema}")
        for schema in ("kiosk1", "kiosk2")
    ]
    in_query += [model_dir(f"postgresql+psycopg://shop@/?host=/run/pg{n}&dbname=shop") for n in (1, 2)]
    assert len(set(in_query)) == 4
    # Options that do not say where the data is keep the folder a store had before.
    assert model_dir("postgresql+psycopg://shop:secret@db.local:5432/shop_a?sslmode=require") == first
    assert all("secret" not in str(p) for p in (first, second, other_server))
    assert model_dir(None) == model_dir("sqlite://") == first.parent


def test_an_older_editions_files_in_the_shared_folder_are_named_until_the_store_has_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before each server store had a folder of its own, all of them kept their files in
    # models/ itself: they were left there, and the newer edgerec served the shipped blend.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    shared = tmp_path / "edgerec" / "models"
    shared.mkdir(parents=True)
    for name in ("recommender.json", "trainer.pt", "snapshot.npz"):
        (shared / name).write_text("an older edgerec's")
    url = "postgresql+psycopg://shop@/shop?host=/run/pg"
    own = files.model_dir(url)
    assert own.parent == shared
    assert [p.name for p in files.unmoved_files(url)] == ["recommender.json", "trainer.pt", "snapshot.npz"]
    said = files.unmoved_said(url)
    assert said is not None and f"this store's folder, {own}, has none, so they are not used" in said
    assert said.endswith(
        f"mkdir -p {own} && mv {shared}/recommender.json {shared}/trainer.pt {shared}/snapshot.npz {own}/"
    )
    assert [p.name for p in files.shared_model_files(url)] == ["trainer.pt", "snapshot.npz"]
    # A SQLite store's folder was always beside its file.
    assert (
        files.unmoved_files(str(tmp_path / "shop.db"))
        == files.shared_model_files(str(tmp_path / "shop.db"))
        == []
    )
    own.mkdir()
    (own / "recommender.json").write_text("{}")  # tuned since, or moved: the store's own
    assert files.unmoved_files(url) == [] and files.unmoved_said(url) is None
    assert all(
        (shared / name).read_text() == "an older edgerec's" for name in ("recommender.json", "trainer.pt")
    )


def test_names_that_differ_only_where_the_folder_name_is_cleaned_get_a_folder_each() -> None:
    """Each character outside [A-Za-z0-9._-] became "_": "café" and "cafè" shared a folder, so
    the rules of one were served on the other, and training one deleted the other's model."""
    from edgerec.training.files import model_dir

    pairs = [("café", "cafè"), ("магазин", "лавочка"), ("shop 1", "shop_1"), ("shop%201", "shop_1")]
    for a, b in pairs:
        assert model_dir(f"postgresql+psycopg://shop@db.local/{a}") != model_dir(
            f"postgresql+psycopg://shop@db.local/{b}"
        )
    cleaned = model_dir("postgresql+psycopg://shop:secret@db.local/shop 1")
    assert cleaned.name.startswith("postgresql-db.local-5432-shop_1-") and "secret" not in str(cleaned)
    assert cleaned == model_dir("postgresql+psycopg://shop@db.local/shop%201")  # the same database
    # A name that needs no cleaning keeps the folder it had.
    assert model_dir("postgresql+psycopg://shop@db.local/shop_1").name == "postgresql-db.local-5432-shop_1"


def test_one_database_has_one_folder_however_its_url_is_spelled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder was named from the URL as written: with `:5432` and without, or with the host
    in capitals, one database had two folders, and a model trained through one spelling was not
    found through the other (nor its rules, nor by forget-user)."""
    from edgerec.training.files import model_dir

    monkeypatch.delenv("PGPORT", raising=False)
    spellings = [
        "postgresql+psycopg://shop@db.local/café",
        "postgresql+psycopg://shop:secret@DB.Local:5432/café",
        "postgresql+psycopg2://till@db.LOCAL/caf%C3%A9",
    ]
    assert {model_dir(url) for url in spellings} == {model_dir(spellings[0])}
    assert model_dir(spellings[0]).name == "postgresql-db.local-5432-café"  # as it reads
    assert model_dir("postgresql+psycopg://shop@db.local:5433/café") != model_dir(spellings[0])
    # Without a port, libpq's is $PGPORT's.
    monkeypatch.setenv("PGPORT", "5433")
    assert model_dir(spellings[0]) == model_dir("postgresql+psycopg://shop@db.local:5433/café")
    # A socket's folder is a path, where case counts.
    assert model_dir("postgresql+psycopg://shop@/shop?host=/run/PG") != model_dir(
        "postgresql+psycopg://shop@/shop?host=/run/pg"
    )


def test_a_folder_an_older_edgerec_named_after_another_spelling_is_adopted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was named after the URL as written (no port as "default", the host in its case, a
    letter outside ASCII as "_" and a hash): renamed to the one name of its database, the
    trained model and the rules are kept."""
    import hashlib

    from edgerec.training.files import model_dir, only_trainer

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("PGPORT", raising=False)
    models = model_dir(None)
    where = "postgresql-DB.Local-default-café"  # trained through postgresql://shop@DB.Local/café
    older = models / f"postgresql-DB.Local-default-caf_-{hashlib.sha256(where.encode()).hexdigest()[:12]}"
    older.mkdir(parents=True)
    (older / "trainer.pt").write_text("the trained model")
    with only_trainer(older):  # an older edgerec's trainer runs there still: left where it is
        assert model_dir("postgresql+psycopg://shop@db.local:5432/café") == older
    adopted = model_dir("postgresql+psycopg://shop@db.local:5432/café")
    assert adopted.name == "postgresql-db.local-5432-café"
    assert (adopted / "trainer.pt").read_text() == "the trained model"
    assert sorted(p.name for p in models.iterdir()) == [adopted.name]  # its lock file gone with it
    assert model_dir("postgresql+psycopg://shop@DB.Local/café") == adopted


def test_a_folder_an_older_edgerec_named_is_adopted_before_the_shared_files_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store whose folder an older edgerec named after the URL as written (no port) was told
    its own folder had none of its files, and to move those of the folder every server store
    once shared into it: moved, they were served in its place, and its own folder was never
    adopted."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("PGPORT", raising=False)
    shared = files.model_dir(None)
    older = shared / "postgresql-db.local-default-shop"
    older.mkdir(parents=True)
    (older / "recommender.json").write_text("the store's own")
    (shared / "recommender.json").write_text("an older edgerec's, any store's")
    url = "postgresql+psycopg://shop@db.local:5432/shop"
    assert files.unmoved_files(url) == [] and files.unmoved_said(url) is None
    assert (files.model_dir(url) / "recommender.json").read_text() == "the store's own"
    # A file where a store's folder goes is said by the command that uses the folder; the
    # console's trainer screen, which names the shared files on opening, opens.
    kiosk = "postgresql+psycopg://shop@db.local/kiosk"
    (shared / "postgresql-db.local-5432-kiosk").write_text("not a folder")
    assert files.unmoved_said(kiosk) is not None


def _pid_of_exited() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_what_killed_writers_left_is_removed_and_nothing_else(tmp_path: Path) -> None:
    """A trainer or an export killed mid-write leaves its temporary, which may hold customer
    ids: the next trainer (or forget-user), or the next export to that file, removes it."""
    import edgerec
    from edgerec.domain import ItemViewed
    from edgerec.ingest import export_events
    from edgerec.training import Trainer

    dead, alive = _pid_of_exited(), os.getpid()
    models = tmp_path / "models"
    models.mkdir()
    for name in (f".trainer.pt.{dead}.tmp", f".snapshot.npz.{alive}.tmp", f".backup.jsonl.{dead}.partial"):
        (models / name).write_bytes(b"C0066")
    with edgerec.open(tmp_path / "shop.db") as store:
        store.record(ItemViewed(user_id="C0001", item_id="a"))
        Trainer(store, directory=models)
        assert sorted(p.name for p in models.iterdir()) == [
            f".backup.jsonl.{dead}.partial",  # not the trainer's: left for the export
            f".snapshot.npz.{alive}.tmp",  # a running writer's
        ]
        export_events(store, models / "backup.jsonl")
    assert sorted(p.name for p in models.iterdir()) == [f".snapshot.npz.{alive}.tmp", "backup.jsonl"]


def test_a_trainer_keeps_its_lock_when_the_model_folder_is_deleted(tmp_path: Path) -> None:
    """The lock was a file in the model folder: deleted with it under a running trainer, a
    second trainer was let in, and both wrote the store's checkpoint and snapshot."""
    import shutil

    folder = files.model_dir(str(tmp_path / "shop.db"))
    with files.only_trainer(folder):
        shutil.rmtree(folder)
        with pytest.raises(files.TrainerRunning, match=f"process {os.getpid()}"), files.only_trainer(folder):
            pass
    with files.only_trainer(folder):  # free again once the first has stopped
        assert folder.is_dir()


def test_a_lock_that_forget_user_holds_is_said_to_be_forget_user_s(tmp_path: Path) -> None:
    """`train` started while forget-user retrained the model was told to stop that process as
    'another trainer'."""
    folder = files.model_dir(str(tmp_path / "shop.db"))
    with files.only_trainer(folder, holder=files.FORGET_USER):
        held = pytest.raises(
            files.TrainerRunning,
            match=rf"^forget-user \(process {os.getpid()}\) is retraining this store's model.*wait for it",
        )
        with held, files.only_trainer(folder):
            pass
        assert files.lock_holder(folder) == os.getpid()
    waiting = files.only_trainer(folder, holder=files.FORGET_USER, waits_for=frozenset({files.FORGET_USER}))
    with files.only_trainer(folder), pytest.raises(files.TrainerRunning, match="^another trainer"), waiting:
        pass  # a trainer holds it: not waited for


def test_a_file_where_the_model_folder_goes_is_refused_and_forgets_nothing(tmp_path: Path) -> None:
    """train, recommend and forget-user ended in a traceback; forget-user after removing the
    customer's events, with no receipt."""
    from click.testing import CliRunner

    import edgerec
    from edgerec.cli import main
    from edgerec.domain import ItemViewed

    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        store.record(ItemViewed(user_id="c1", item_id="i1"))
    (tmp_path / "shop.db.models").write_text("not a folder\n")
    for args in (["train"], ["recommend", "--user", "c1"], ["forget-user", "c1", "--yes"]):
        result = CliRunner().invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 1, (args, result.output)
        assert "shop.db.models is not a folder: edgerec keeps this store's model there" in result.output
    with edgerec.open(db) as store:
        assert len(store.read(user_id="c1")) == 1
