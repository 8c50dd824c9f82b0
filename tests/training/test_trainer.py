"""The incremental trainer: resumes exactly, grows, rejects unsafe files, follows the log."""

from __future__ import annotations

import pickle
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

import edgerec
from edgerec.api import Store
from edgerec.demo import DemoSize, seed_demo_store
from edgerec.domain import ItemListed, ItemViewed
from edgerec.models.base import pick_device
from edgerec.models.popularity import Popularity
from edgerec.training import CheckpointError, Trainer, TrainerConfig, follow, load_snapshot, read_status
from edgerec.training import trainer as trainer_module

SMALL = DemoSize(items=200, customers=30, sessions=150)
CONFIG = TrainerConfig(block=500)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Store]:
    with edgerec.open(tmp_path / "shop.db") as store:
        seed_demo_store(store, size=SMALL, seed=3)
        yield store


def test_resumed_training_equals_uninterrupted_training(shop: Store, tmp_path: Path) -> None:
    straight = Trainer(shop, directory=tmp_path / "straight", config=CONFIG)
    straight.catch_up()

    interrupted = Trainer(shop, directory=tmp_path / "interrupted", config=CONFIG)
    interrupted.step()
    interrupted.step()
    interrupted.save()
    del interrupted  # the process dies here; a new one resumes from the checkpoint
    resumed = Trainer(shop, directory=tmp_path / "interrupted", config=CONFIG)
    assert resumed.position == 1000
    resumed.catch_up()

    assert resumed.position == straight.position == shop.head()
    assert resumed.vocabulary.item_ids == straight.vocabulary.item_ids
    assert torch.equal(resumed.item_matrix(), straight.item_matrix())


def test_a_diverging_step_records_no_loss_that_is_not_finite(shop: Store, tmp_path: Path) -> None:
    """A step whose loss overflowed put inf or NaN in the loss history and the status file,
    and the console's Trainer screen stopped on plotting it."""
    from edgerec.training.model import OnlineConfig

    diverging = TrainerConfig(block=500, model=OnlineConfig(learning_rate=1e30))
    trainer = Trainer(shop, directory=tmp_path / "m", config=diverging)
    reports = [trainer.step(), trainer.step()]
    assert any(not np.isfinite(report.loss) for report in reports if report.loss is not None)
    assert all(np.isfinite(loss) for loss in trainer.losses)


def test_a_checkpoint_saved_with_the_unfused_update_resumes_fused(shop: Store, tmp_path: Path) -> None:
    older = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    dense = older.optimizers[1].param_groups[0]
    dense["fused"] = False  # as saved before the token table's update was fused
    older.step()
    older.save()
    resumed = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    assert resumed.optimizers[1].param_groups[0]["fused"] is True
    assert resumed.step().events  # and the fused update runs on the restored state


def test_checkpoint_round_trip_keeps_every_score(shop: Store, tmp_path: Path) -> None:
    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    trainer.catch_up()
    trainer.save()
    again = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    assert again.position == trainer.position
    assert torch.equal(again.item_matrix(), trainer.item_matrix())
    assert dict(again.vocabulary.recent).keys() == dict(trainer.vocabulary.recent).keys()
    snapshot = load_snapshot(tmp_path / "m")
    assert snapshot is not None and snapshot.position == trainer.position
    assert snapshot.item_vectors.shape == (len(trainer.vocabulary.item_ids), CONFIG.model.dim)


def test_new_items_and_users_grow_the_tables(shop: Store, tmp_path: Path) -> None:
    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    trainer.catch_up()
    capacity = trainer.model.items.num_embeddings
    shop.record_many(
        [ItemListed(item_id=f"NEW{n}", title="New tent", category="Outdoor/Tents") for n in range(capacity)]
        + [ItemViewed(user_id="brand-new-customer", item_id="NEW1")]
    )
    trainer.catch_up()
    assert trainer.model.items.num_embeddings >= len(trainer.vocabulary.item_ids) > capacity
    assert "brand-new-customer" in trainer.vocabulary.user_index


def test_a_never_seen_item_is_placed_by_its_attributes(shop: Store, tmp_path: Path) -> None:
    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    trainer.catch_up()
    shop.record(
        ItemListed(
            item_id="COLD", title="Kestrel Alpine Tent Green", category="Outdoor/Tents", brand="Kestrel"
        )
    )
    trainer.catch_up()
    vectors = trainer.item_matrix().cpu().numpy()
    vocab = trainer.vocabulary
    cold = vectors[vocab.item_index["COLD"]]
    assert np.linalg.norm(cold) > 0
    categories = [c.get("category", "") for c in vocab.item_content]
    same = [i for i, c in enumerate(categories) if c == "Outdoor/Tents" and vocab.item_ids[i] != "COLD"]
    other = [i for i, c in enumerate(categories) if c.startswith("Kitchen")]
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    similarity = unit @ unit[vocab.item_index["COLD"]]
    assert similarity[same].mean() > similarity[other].mean() + 0.1


class _Payload:
    def __reduce__(self):  # noqa: D105 - runs on unpickling, which must never happen
        return (Path.touch, (Path(_MARKER),))


_MARKER = "/tmp/edgerec-malicious-checkpoint-ran"


def test_a_malicious_checkpoint_is_rejected_and_never_runs(shop: Store, tmp_path: Path) -> None:
    Path(_MARKER).unlink(missing_ok=True)
    directory = tmp_path / "m"
    directory.mkdir()
    (directory / "trainer.pt").write_bytes(pickle.dumps({"format": 1, "x": _Payload()}))
    # Said in edgerec's one line, without torch's warning of the pickle's protocol first.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckpointError, match="edgerec never writes"):
            Trainer(shop, directory=directory, config=CONFIG)
    torch.save({"format": 1, "x": _Payload()}, directory / "trainer.pt")
    with pytest.raises(CheckpointError, match="edgerec never writes"):
        Trainer(shop, directory=directory, config=CONFIG)
    assert not Path(_MARKER).exists()


def test_a_damaged_checkpoint_says_so_in_words(shop: Store, tmp_path: Path) -> None:
    trainer = Trainer(shop, directory=tmp_path, config=CONFIG)
    trainer.catch_up()
    trainer.save()
    checkpoint = tmp_path / "trainer.pt"
    whole = checkpoint.read_bytes()
    # Text or zeros written over it were called code that may not be safe (torch's unpickler
    # refused their first byte): only a PyTorch file holding objects edgerec never writes is.
    for damage, words in (
        (b"junk\n", "not a PyTorch file"),
        (b"<html>\n", "not a PyTorch file"),
        (b"{junk\n", "not a PyTorch file"),
        (bytes(1000), "not a PyTorch file"),
        (b"", "not a PyTorch file"),
        (whole[: len(whole) // 2], "not a PyTorch file"),
    ):
        checkpoint.write_bytes(damage)
        with pytest.raises(CheckpointError, match=words) as caught:
            Trainer(shop, directory=tmp_path, config=CONFIG)
        assert "train --retrain" in str(caught.value) and "safe" not in str(caught.value)


def test_a_large_catalogue_measures_its_streaming_hit_rate_on_fewer_steps(
    shop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = Trainer(shop, directory=tmp_path / "every", config=CONFIG)
    every.catch_up()
    monkeypatch.setattr(trainer_module, "STREAM_EVERY_STEP_ITEMS", 50)  # the demo's 200 items are "large"
    fewer = Trainer(shop, directory=tmp_path / "fewer", config=CONFIG)
    fewer.catch_up()
    assert len(every.hit_rates) >= 3
    # The first step is measured; the next one only 500 * 200 / 50 = 2,000 events later.
    assert fewer.hit_rates[0] == every.hit_rates[0]
    assert len(fewer.hit_rates) == 1 + (shop.head() - 1) // 2_000
    assert torch.equal(fewer.item_matrix(), every.item_matrix())  # measuring never changes training


def test_the_loss_and_hit_rate_history_in_memory_is_bounded(
    shop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`train --follow` kept every step's loss and hit rate in memory (1,518 entries after
    1,500 steps, growing), though its checkpoint keeps 500 and its status 200."""
    every = Trainer(shop, directory=tmp_path / "every", config=CONFIG)
    every.catch_up()
    assert len(every.losses) >= 3 and len(every.hit_rates) >= 3
    monkeypatch.setattr(trainer_module, "HISTORY", 2)  # the demo's few steps are "many"
    bounded = Trainer(shop, directory=tmp_path / "bounded", config=CONFIG)
    bounded.catch_up()
    assert bounded.losses == every.losses[-2:] and bounded.hit_rates == every.hit_rates[-2:]
    bounded.save()
    resumed = Trainer(shop, directory=tmp_path / "bounded", config=CONFIG)
    assert resumed.losses == every.losses[-2:] and resumed.hit_rates == every.hit_rates[-2:]


def test_follow_publishes_snapshots_as_events_arrive(shop: Store, tmp_path: Path) -> None:
    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    stop = threading.Event()
    worker = threading.Thread(target=follow, args=(trainer,), kwargs={"stop": stop, "poll_s": 0.05})
    worker.start()
    try:
        _wait(lambda: (load_snapshot(tmp_path / "m") or _NONE).position == shop.head())
        head = shop.record(ItemViewed(user_id="C0001", item_id="SKU00001"))
        _wait(lambda: (load_snapshot(tmp_path / "m") or _NONE).position == head)
        status = read_status(tmp_path / "m")
        assert status is not None and status["behind"] == 0 and status["device"] == trainer.device.type
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert Trainer(shop, directory=tmp_path / "m", config=CONFIG).position == head


def test_follow_publishes_a_big_snapshot_less_often(shop: Store, tmp_path: Path) -> None:
    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    size = trainer.publish()
    # At a quarter of the snapshot's size per second, one publish makes the next wait 4 s.
    stop = threading.Event()
    kwargs = {"stop": stop, "poll_s": 0.05, "publish_every_s": 0.0, "publish_bytes_per_s": size / 4}
    worker = threading.Thread(target=follow, args=(trainer,), kwargs=kwargs)
    worker.start()
    try:
        _wait(lambda: (load_snapshot(tmp_path / "m") or _NONE).position == shop.head())
        published = time.monotonic()
        head = shop.record(ItemViewed(user_id="C0001", item_id="SKU00001"))
        _wait(lambda: trainer.position == head)
        time.sleep(max(0.0, published + 1.0 - time.monotonic()))
        assert load_snapshot(tmp_path / "m").position < head  # trained, not yet published
        _wait(lambda: (load_snapshot(tmp_path / "m") or _NONE).position == head, timeout=30)
        assert time.monotonic() - published > 3.0
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()


class _NONE:
    position = -1


def _wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_cuda_is_refused_clearly_when_absent() -> None:
    assert (
        pick_device("auto").type == pick_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    )
    assert pick_device("").type == pick_device("auto").type  # as before it: "Device string must not be empty"
    if torch.cuda.is_available():
        assert pick_device("cuda").type == "cuda"
    else:
        for device in ("cuda", "cuda:0"):  # cuda:0 failed at the first tensor moved there
            with pytest.raises(RuntimeError, match="no CUDA device"):
                pick_device(device)
        with pytest.raises(RuntimeError, match="no CUDA device"):  # a model, at once
            Popularity(device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_and_cpu_give_the_same_rankings(shop: Store, tmp_path: Path) -> None:
    cpu = Trainer(shop, directory=tmp_path / "cpu", config=CONFIG, device="cpu")
    cuda = Trainer(shop, directory=tmp_path / "cuda", config=CONFIG, device="cuda")
    cpu.catch_up()
    cuda.catch_up()
    users = cpu.item_matrix()[:20]
    top_cpu = torch.topk(users @ cpu.item_matrix().T, 10).indices
    top_cuda = torch.topk(users.cuda() @ cuda.item_matrix().T, 10).indices.cpu()
    agreement = (top_cpu == top_cuda).float().mean().item()
    assert agreement > 0.9


def test_a_checkpoint_learnt_from_another_log_is_not_resumed(shop: Store, tmp_path: Path) -> None:
    models = tmp_path / "models"
    learnt = Trainer(shop, directory=models, config=CONFIG)
    learnt.catch_up()
    learnt.save()
    # Another shop's log, longer than the one learnt, with other events at the same positions.
    with edgerec.open(tmp_path / "other.db") as other:
        seed_demo_store(other, size=DemoSize(items=300, customers=60, sessions=400), seed=11)
        assert other.head() > learnt.position
        resumed = Trainer(other, directory=models, config=CONFIG)
        assert resumed.discarded == f"this log holds another event at position {learnt.position:,}"
        assert resumed.position == 0 and not (models / "snapshot.npz").exists()
    # The same database file replaced by a fresh, shorter one.
    with edgerec.open(tmp_path / "fresh.db") as fresh:
        fresh.record(ItemViewed(user_id="u", item_id="i"))
        learnt.save()
        assert "this log ends at 1" in str(Trainer(fresh, directory=models, config=CONFIG).discarded)
    learnt.save()
    again = Trainer(shop, directory=models, config=CONFIG)  # its own log: resumed
    assert again.discarded is None and again.position == learnt.position


def test_a_checkpoint_that_saw_more_forgets_than_the_log_says_how_many(shop: Store, tmp_path: Path) -> None:
    """It said 'it saw 1 customers forgotten and this log only 0'."""
    from edgerec.privacy import forget_user

    models = tmp_path / "models"
    with edgerec.open(tmp_path / "other.db") as other:  # the same shop, with a customer forgotten since
        seed_demo_store(other, size=SMALL, seed=3)
        assert forget_user(other, "C0001").found
        learnt = Trainer(other, directory=models, config=CONFIG)
        learnt.catch_up()
        learnt.save()
    assert Trainer(shop, directory=models, config=CONFIG).discarded == (
        "it saw 1 customer forgotten and this log only 0"
    )


def test_follow_reports_its_rate_from_the_first_step(shop: Store, tmp_path: Path) -> None:
    """`train --follow` printed 0 events/s on every line of its first second of catching up."""
    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    stop, rates = threading.Event(), []

    def on_step(report, status) -> None:  # type: ignore[no-untyped-def]
        rates.append(status["events_per_s"])
        stop.set()

    follow(trainer, stop=stop, poll_s=0.05, on_step=on_step)
    assert rates and rates[0] > 0


def test_a_retrain_counts_the_customers_forgotten_before_it(shop: Store, tmp_path: Path) -> None:
    """`train --retrain` on a checkpoint saved before a forget-user retrained the whole log twice:
    the retrain did not record the forgets it had honoured, so the next step retrained again."""
    from edgerec.privacy import forget_user

    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    trainer.catch_up()
    trainer.save()
    assert forget_user(shop, "C0001").found
    older = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    older.retrain()
    losses = len(older.losses)
    assert older.catch_up() == 0 and len(older.losses) == losses  # no second retrain


def test_a_retrain_the_database_broke_off_is_never_saved_and_is_done_again(
    shop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server lost while a retrain read the log left a fresh model holding the customers
    forgotten as seen: a following trainer then went on learning from where the read stopped,
    and saved that model, missing every event before it."""
    from sqlalchemy.exc import OperationalError

    from edgerec.privacy import forget_user
    from edgerec.store import log

    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    trainer.catch_up()
    trainer.save()
    saved = (tmp_path / "m" / "trainer.pt").read_bytes()
    assert forget_user(shop, "C0001").found
    read_batches = log.read_batches

    def lost_after_one_batch(connection, **options):  # type: ignore[no-untyped-def]
        batches = read_batches(connection, **{**options, "batch": 200})
        yield next(batches)
        raise OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(log, "read_batches", lost_after_one_batch)
    with pytest.raises(OperationalError):
        trainer.step()
    assert trainer.save() == 0 and (tmp_path / "m" / "trainer.pt").read_bytes() == saved
    monkeypatch.setattr(log, "read_batches", read_batches)
    trainer.catch_up()  # the server back: the retrain is done again, whole
    straight = Trainer(shop, directory=tmp_path / "straight", config=CONFIG)
    straight.retrain()
    straight.catch_up()
    assert trainer.position == straight.position == shop.head()
    assert torch.equal(trainer.item_matrix(), straight.item_matrix())


def test_status_reports_the_checkpoint_and_a_caught_up_follower(shop: Store, tmp_path: Path) -> None:
    """The status file never named the checkpoint (the console said 'No checkpoint yet' beside
    a saved one), and a follower that had caught up said 'idle', as one never started does."""
    models = tmp_path / "m"
    trainer = Trainer(shop, directory=models, config=CONFIG)
    assert trainer.status()["checkpoint_position"] is None
    stop, states = threading.Event(), []

    def caught_up() -> None:
        while not stop.is_set():
            status = read_status(models)
            if status and status["position"] == shop.head():
                states.append(status["state"])
                stop.set()
            time.sleep(0.02)

    watcher = threading.Thread(target=caught_up)
    watcher.start()
    follow(trainer, stop=stop, poll_s=0.05)
    watcher.join()
    assert states == ["caught up"]
    status = read_status(models)
    assert status is not None and status["state"] == "stopped"
    assert status["checkpoint_position"] == shop.head()
    assert time.time() - status["checkpoint_at"] < 60
    resumed = Trainer(shop, directory=models, config=CONFIG).status()
    assert resumed["checkpoint_position"] == shop.head()
    assert resumed["checkpoint_at"] == pytest.approx((models / "trainer.pt").stat().st_mtime)


def test_a_catch_up_or_a_retrain_keeps_the_status_file_saying_so(
    shop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`edgerec train`, and a retrain (`--retrain`, or a follower's after a forget-user), left the
    status file as the trainer before had written it ('stopped', 'caught up'), growing older: on
    a long log the console took the trainer for one that had stopped. The file says what it does
    now, rewritten as it goes."""
    monkeypatch.setattr(trainer_module, "STATUS_EVERY_S", 0.0)  # every step and batch: a small log
    models = tmp_path / "m"
    Trainer(shop, directory=models, config=CONFIG).write_stopped_status()
    trainer = Trainer(shop, directory=models, config=CONFIG)
    seen: list[tuple[str, float, int]] = []

    def look(*_: object) -> None:
        status = read_status(models)
        assert status is not None
        seen.append((status["state"], status["updated_at"], status["position"]))

    trainer.catch_up(on_step=look)
    states, times, positions = zip(*seen, strict=True)
    assert set(states) == {"following"} and len(seen) > 1
    assert list(times) == sorted(set(times)) and list(positions) == sorted(set(positions))
    seen.clear()
    trainer.retrain(on_epoch=look)
    states, times, _ = zip(*seen, strict=True)
    assert set(states) == {"retraining"}
    assert list(times) == sorted(set(times))  # rewritten in every epoch


def test_a_follower_that_goes_idle_after_new_events_checkpoints_them(shop: Store, tmp_path: Path) -> None:
    """A follower saved a checkpoint only in a step that learnt events: after a burst it sat
    caught up with none saved, so a kill then cost a retrain from the last one."""
    models = tmp_path / "m"
    trainer = Trainer(shop, directory=models, config=CONFIG)
    trainer.catch_up()
    trainer.save()
    stop, saved = threading.Event(), []

    def burst_then_watch() -> None:
        shop.record_many([ItemViewed(user_id=f"late{i}", item_id="SKU00001") for i in range(5)])
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            status = read_status(models)
            if status and status["state"] == "caught up" and status["checkpoint_position"] == shop.head():
                saved.append(True)
                break
            time.sleep(0.1)
        stop.set()

    watcher = threading.Thread(target=burst_then_watch)
    watcher.start()
    follow(trainer, stop=stop, poll_s=0.05, checkpoint_every_s=0.5)
    watcher.join()
    assert saved == [True]


@pytest.mark.parametrize("during", ["step", "retrain"])
def test_follow_stopped_in_the_middle_of_a_step_keeps_the_checkpoint_before(
    shop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, during: str
) -> None:
    """A second Ctrl+C in the middle of a step saved the half-done step as the checkpoint: its
    item table already grew from the next block (learnt twice on resume), or a retrain after a
    forget-user counted the forget and was never finished, nor ever retrained again."""
    from edgerec.privacy import forget_user

    models = tmp_path / "m"
    first = Trainer(shop, directory=models, config=CONFIG)
    first.step()
    first.save()
    if during == "retrain":
        assert forget_user(shop, "C0001").found
    trainer = Trainer(shop, directory=models, config=CONFIG)
    before = (models / "trainer.pt").read_bytes()

    def interrupted(*_: object) -> float:
        raise KeyboardInterrupt  # the second Ctrl+C, inside the step

    monkeypatch.setattr(trainer, "_train", interrupted)
    with pytest.raises(KeyboardInterrupt):
        follow(trainer, stop=threading.Event(), poll_s=0.05, checkpoint_every_s=0)
    assert (models / "trainer.pt").read_bytes() == before
    kept = Trainer(shop, directory=models, config=CONFIG)
    assert kept.position == 500 and kept.forgets_seen == first.forgets_seen
    assert kept.vocabulary.user_ids == first.vocabulary.user_ids


def test_catch_up_until_a_position_stops_there_across_a_forgotten_customers_gap(tmp_path: Path) -> None:
    """catch_up(until=P) learnt events past P once a forgotten customer left gaps in the log:
    a step read as many events as the positions it spans, not the events in them."""
    from edgerec.privacy import forget_user

    with edgerec.open(tmp_path / "gaps.db") as store:
        for i in range(200):
            user = "gone" if 20 <= i < 120 else f"u{i % 7}"
            store.record(ItemViewed(user_id=user, item_id=f"i{i % 13}"))
        assert forget_user(store, "gone").found
        trainer = Trainer(store, directory=tmp_path / "m", config=CONFIG)
        trainer.catch_up(until=50)
        assert trainer.position == 20
        trainer.catch_up(until=130)
        assert trainer.position == 130
        trainer.catch_up()
        assert trainer.position == store.head() == 200


def test_the_rating_scale_is_kept_and_an_older_checkpoint_without_it_still_loads(
    shop: Store, tmp_path: Path
) -> None:
    from edgerec.domain.signals import RatingScale
    from edgerec.training.checkpoint import CHECKPOINT

    trainer = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    trainer.step()
    trainer.vocabulary.ratings.see(0.5)
    trainer.vocabulary.ratings.see(5.0)
    trainer.save()
    assert Trainer(shop, directory=tmp_path / "m", config=CONFIG).vocabulary.ratings == RatingScale(0.5, 5.0)

    path = tmp_path / "m" / CHECKPOINT
    state = torch.load(path, weights_only=True)
    del state["rating_scale"]  # as an older version saved it
    torch.save(state, path)
    resumed = Trainer(shop, directory=tmp_path / "m", config=CONFIG)
    assert resumed.position == trainer.position
    assert resumed.vocabulary.ratings == RatingScale()  # learnt anew from the ratings to come
    resumed.catch_up()
    assert resumed.position == shop.head()
