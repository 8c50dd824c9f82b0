"""The recommender with the trainer's model: published snapshots hot-swapped without a restart,
content vectors for items listed after a snapshot, embedding-based reasons, CPU vs. CUDA."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from edgerec.api import Store  # noqa: E402
from edgerec.domain import ItemListed, ItemViewed  # noqa: E402
from edgerec.recommend import Policy, Recommender, TrainedModel  # noqa: E402
from edgerec.recommend.trained import SNAPSHOT_FILE  # noqa: E402
from edgerec.training import CheckpointError, OnlineConfig, Trainer, TrainerConfig  # noqa: E402
from edgerec.training.files import model_dir  # noqa: E402
from edgerec.training.published import read_snapshot_file as read_snapshot  # noqa: E402
from tests.recommend.conftest import at, paired_sessions  # noqa: E402

SMALL = TrainerConfig(
    model=OnlineConfig(dim=16, token_buckets=1 << 10, initial_capacity=64), block=500, passes=2, batch=64
)


def only_embedding(rec: Recommender) -> None:
    rec.set_weights({name: float(name == "embedding.user") for name in rec.names})


def trained(store: Store, device: str = "cpu", directory: Path | None = None) -> Trainer:
    trainer = Trainer(store, config=SMALL, device=device, directory=directory)
    trainer.catch_up()
    trainer.publish()
    return trainer


def test_recommender_for_a_trained_store_gives_embedding_reasons(shop: Store) -> None:
    trainer = trained(shop)
    rec = Recommender(shop)
    assert rec.model is not None and rec.model.loaded
    assert rec.model.position == trainer.position == shop.head()
    only_embedding(rec)
    event = ItemViewed(user_id="me", item_id="i1", occurred_at=at(100))
    rec.observe(event, shop.record(event))
    recs = rec.recommend("me", k=5, now=at(101))
    assert recs
    for r in recs:
        assert r.sources["embedding"] > 0.99
        first = r.evidence[0]
        assert first.source == "embedding" and first.item_id == "i1"
        assert first.event_type == "item_viewed"  # a real event of this customer
        said = "Back to" if r.item_id == "i1" else "Similar to"  # not "similar to" itself
        assert r.reasons[0].startswith(f"{said} Thing 1, which you viewed")


def _embedding_top(rec: Recommender, user: str, k: int = 10) -> list[str]:
    return [r.item_id for r in rec.recommend(user, k=k, now=at(300), policy=Policy.evaluation())]


@pytest.mark.parametrize("via", ["refresh", "next_request"])
def test_new_snapshot_is_used_without_a_restart(shop: Store, via: str) -> None:
    trainer = trained(shop)
    path = model_dir(shop.path) / SNAPSHOT_FILE
    # No pause after a load (load_share 1): on a busy machine the first load was slow enough
    # that the pause it earned outlasted the trainer's next publish, and no swap came.
    model = TrainedModel(path=path, check_every_s=0.0, background=False, load_share=1.0)
    rec = Recommender(shop, model=model)
    only_embedding(rec)
    first = model.position
    event = ItemViewed(user_id="me", item_id="i4", occurred_at=at(200))
    rec.observe(event, shop.record(event))
    before = _embedding_top(rec, "me")
    # The trainer learns from new sessions in which i4 goes with i9 and publishes a snapshot.
    shop.record_many(paired_sessions([("i4", "i9")], repeat=30))
    trainer.catch_up()
    trainer.publish()
    if via == "refresh":
        rec.refresh()
    after = _embedding_top(rec, "me")
    assert model.swaps == 2 and model.position == trainer.position > first
    published = read_snapshot(path)
    assert published is not None
    vectors = dict(zip(published.item_ids, published.item_vectors, strict=True))
    user = dict(zip(published.user_ids, published.user_vectors, strict=True))
    query = vectors["i4"] + user.get("me", 0.0)
    scores = {i: float(v @ query) for i, v in vectors.items()}
    expected = sorted(scores, key=scores.__getitem__, reverse=True)[:3]
    assert after[:3] == expected
    assert after != before
    assert after.index("i9") < (before.index("i9") if "i9" in before else 10)


@pytest.mark.parametrize("load_share", [1e-9, 1.0])
def test_loading_snapshots_takes_at_most_its_share_of_the_time(shop: Store, load_share: float) -> None:
    trainer = trained(shop)
    path = model_dir(shop.path) / SNAPSHOT_FILE
    model = TrainedModel(path=path, check_every_s=0.0, background=False, load_share=load_share)
    rec = Recommender(shop, model=model)  # loads the first snapshot
    shop.record_many(paired_sessions([("i4", "i9")], repeat=5))
    trainer.catch_up()
    trainer.publish()
    if load_share < 1:
        # that load took far more than a billionth of the time since: the next one waits
        assert not model.check(rec.catalogue) and model.swaps == 1
        assert model.check(rec.catalogue, force=True)  # unless forced (start-up, refresh)
    else:
        assert model.check(rec.catalogue)
    assert model.swaps == 2 and model.position == trainer.position


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _with_a_vector_short(data: bytes) -> bytes:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["item_vectors"] = arrays["item_vectors"][:-1]
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def _junk(_: bytes) -> bytes:
    return b"not a snapshot"


@pytest.mark.parametrize("spoil", [_truncated, _with_a_vector_short, _junk])
def test_a_broken_snapshot_is_skipped_and_the_next_one_installed(
    shop: Store, spoil: Callable[[bytes], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    trainer = trained(shop)
    path = model_dir(shop.path) / SNAPSHOT_FILE
    good = path.read_bytes()
    path.write_bytes(spoil(good))
    with pytest.raises(CheckpointError, match="cannot be loaded safely") as refused:
        read_snapshot(path)
    if spoil is _junk:  # numpy's own message spoke of pickles and how to load them unsafely
        assert "it is no numpy archive" in str(refused.value) and "pickle" not in str(refused.value)
    # Opening a recommender on it neither fails nor serves half a model.
    model = TrainedModel(path=path, check_every_s=0.0, background=False)
    rec = Recommender(shop, model=model)
    assert not model.loaded and model.swaps == 0
    assert "cannot be loaded safely" in caplog.text
    assert len(rec.recommend("u1", k=5, now=at(300))) == 5
    # The trainer's next publish replaces the file, and that one is installed.
    trainer.publish()
    assert model.check(rec.catalogue, force=True)
    assert model.loaded and model.position == trainer.position


def test_item_listed_after_the_snapshot_gets_the_models_content_vector(shop: Store) -> None:
    trainer = trained(shop)
    rec = Recommender(shop)
    assert rec.model is not None
    listing = ItemListed(
        item_id="fresh",
        title="Thing fresh",
        category="cat1",
        brand="brand1",
        price=12.0,
        stock=3,
        occurred_at=at(150),
    )
    rec.observe(listing, shop.record(listing))
    vector = rec.model.source.vector("fresh")
    assert vector is not None
    trainer.catch_up()  # the listing alone: the trainer describes the item, trains nothing
    assert trainer.vocabulary.item_ids[-1] == "fresh"
    own = trainer.item_matrix().cpu().numpy()[-1]
    np.testing.assert_allclose(vector, own, rtol=1e-5, atol=1e-6)
    # recommendable at once: the embedding source proposes it to a customer who just looked
    # at an item of the same category and brand
    only_embedding(rec)
    event = ItemViewed(user_id="me", item_id="i1", occurred_at=at(151))  # cat1, brand1
    rec.observe(event, shop.record(event))
    table = rec.candidates("me", now=at(152))
    assert rec.catalogue.index["fresh"] in table.indices.tolist()


def test_item_listed_before_the_recommender_opened_gets_the_models_content_vector(shop: Store) -> None:
    """Opened after the listing (`edgerec recommend`, a restarted console), the recommender gave
    the item a vector of its title, category and brand alone, not the trainer's, which has its
    price, description and attributes too: its lists differed from the live process's."""
    trainer = trained(shop)
    listing = ItemListed(
        item_id="fresh",
        title="Thing fresh",
        category="cat1",
        brand="brand1",
        price=120.0,
        stock=3,
        description="A fresh thing, made to last",
        attributes={"colour": "Teal"},
        occurred_at=at(150),
    )
    live = Recommender(shop)
    live.observe(listing, shop.record(listing))
    opened_after = Recommender(shop)
    assert opened_after.model is not None and live.model is not None
    vector = opened_after.model.source.vector("fresh")
    assert vector is not None
    np.testing.assert_allclose(vector, live.model.source.vector("fresh"), rtol=1e-6)
    trainer.catch_up()
    own = trainer.item_matrix().cpu().numpy()[trainer.vocabulary.item_index["fresh"]]
    np.testing.assert_allclose(vector, own, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cpu_and_cuda_models_give_the_same_rankings(shop: Store, tmp_path: Path) -> None:
    rankings = {}
    for device in ("cpu", "cuda"):
        directory = tmp_path / device
        trained(shop, device=device, directory=directory)
        snapshot = read_snapshot(directory / SNAPSHOT_FILE)
        assert snapshot is not None
        model = TrainedModel()
        rec = Recommender(None, model=model)
        for event in shop.read():
            rec.observe(event)
        model.install(snapshot, rec.catalogue)
        only_embedding(rec)
        rankings[device] = {u: _embedding_top(rec, u, k=10) for u in ("other0", "other1", "other4")}
    assert rankings["cpu"] == rankings["cuda"]


def test_an_item_s_own_event_is_one_reason_whichever_sources_cite_it(shop: Store) -> None:
    """ "You viewed Thing 1" (history) and "Back to Thing 1, which you viewed" (embeddings) were
    both given for Thing 1: one event, said twice."""
    trained(shop)
    rec = Recommender(shop)
    event = ItemViewed(user_id="me", item_id="i1", occurred_at=at(100))
    rec.observe(event, shop.record(event))
    [again] = [r for r in rec.recommend("me", k=10, now=at(101)) if r.item_id == "i1"]
    assert {"history", "embedding"} <= set(again.sources), again.sources
    own = [e for e in again.evidence if e.item_id == "i1" and e.event_type == "item_viewed"]
    assert len(own) == 1, again.reasons
