"""The incremental trainer: follows the log, updates the online model in small steps with replay,
checkpoints and publishes snapshots atomically with the log position they cover."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sqlalchemy.exc import DBAPIError, OperationalError

from edgerec.api import Store
from edgerec.models.base import pick_device
from edgerec.privacy import (
    forget_generation,
    model_forget_done,
    model_forget_pending,
    set_model_forget_pending,
)
from edgerec.store.codec import StoredEvent
from edgerec.store.engine import StoreWriteError
from edgerec.store.leftovers import remove_leftovers
from edgerec.training import checkpoint, published
from edgerec.training.files import FORGET_USER, TrainerRunning, model_dir, only_trainer
from edgerec.training.model import OnlineConfig, OnlineModel
from edgerec.training.vocabulary import Examples, Vocabulary

STREAM_SAMPLE = 256  # examples per step used for the streaming hit rate
# Up to this many items the streaming hit rate is measured on every step; above it, on one step
# per `block * items / STREAM_EVERY_STEP_ITEMS` events. Ranking a million items for 256 examples
# takes seconds of a core, longer than the step itself, and the serving process needs that core.
STREAM_EVERY_STEP_ITEMS = 100_000
# Steps of loss and hit rate kept, in memory as in the checkpoint (the status shows the last 200):
# a trainer following a kiosk takes a step every few events, for days.
HISTORY = 500
# How often a catch-up or a retrain rewrites the status file: a console takes a file older than
# 15 s for the last word of a trainer that has stopped.
STATUS_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class TrainerConfig:
    model: OnlineConfig = field(default_factory=OnlineConfig)
    block: int = 2_000  # events per step; steps are aligned on log positions (deterministic resume)
    replay: int = 50_000  # examples kept for replay
    replay_ratio: float = 1.0  # replayed examples per new example
    passes: int = 2  # passes over each step's examples
    batch: int = 512
    retrain_epochs: int = 4
    seed: int = 0
    # Small batches gain nothing from many threads, and a kiosk's trainer must leave the
    # recording process a core; None leaves torch's default.
    threads: int | None = 1


@dataclass(slots=True)
class StepReport:
    position: int
    events: int
    examples: int
    loss: float | None
    hits: int
    asked: int


MODEL_FILES = (checkpoint.CHECKPOINT, published.SNAPSHOT)


def remove_model_files(directory: Path) -> None:
    """Deletes a store's checkpoint and published snapshot (the log can always rebuild them),
    the status file that describes them, and what killed trainers left half-written."""
    for name in (*MODEL_FILES, published.STATUS):
        (directory / name).unlink(missing_ok=True)
    remove_leftovers(directory, "tmp")


def forget_in_model(store: Store, on_wait: Callable[[str, str], None] | None = None) -> dict[str, Any]:
    """The model's part of forgetting a customer whose events the log no longer holds; returns
    what to add to the receipt.

    Another forget-user that holds the model's lock is waited for (`on_wait` hears it once,
    with that process's id and what it does, as `only_trainer` says). A trainer running on the
    store retrains by itself at its next step (it follows the forget
    counter), and saving that retrain clears the store's mark that the model's part is still to
    do (`model_forget_pending`); ending before that step, it does the model's part as it ends
    (`forget_left_to_trainer`); stopped in the middle of it, it leaves the mark to the next
    forget-user, or trainer. Otherwise the checkpoint is retrained here from the cleaned log,
    and saved and published even where it had seen every forget (a trainer killed between writing its
    checkpoint and its snapshot left an older snapshot that may hold the customer); where there is
    none that can be (missing, damaged, or learnt from another log), or no room on the disk for
    the retrained files, the model's files go, a snapshot that may hold the customer among
    them, and the next trainer learns afresh. Files that cannot be removed either (a folder
    that cannot be changed) are said in `model_removal_failed`, and the store remembers that
    the next forget-user, whatever its id, is to finish the model's part.
    """
    directory = model_dir(store.url)
    try:
        # Another forget-user's retrain may have read the log before this forget: waited for,
        # this one finishes the model's part after it.
        with only_trainer(directory, holder=FORGET_USER, waits_for=frozenset({FORGET_USER}), on_wait=on_wait):
            had_model = any((directory / name).exists() for name in MODEL_FILES)
            trainer = None
            if (directory / checkpoint.CHECKPOINT).exists():
                with contextlib.suppress(published.CheckpointError):  # a damaged one cannot be cleaned
                    trainer = Trainer(store)
            if trainer is not None and trainer.discarded is None:
                try:
                    saved = trainer.checkpointed
                    trainer.step()
                    if trainer.checkpointed == saved:
                        # No retrain: the checkpoint saw every forget, but the snapshot may be
                        # older (a trainer killed between writing the two); it is published again.
                        trainer.save()
                    trainer.write_stopped_status()
                    model_forget_done(store, trainer.forgets_seen)  # saved by its retrain, or before
                    return {"model_retrained_to_position": trainer.position}
                except OSError:  # a full disk: the files it could not replace still hold the customer
                    pass
            generation = forget_generation(store)
            try:
                remove_model_files(directory)
            except OSError as exc:
                set_model_forget_pending(store, True)
                return {"model_removed": False, "model_removal_failed": f"{exc.strerror}: {exc.filename}"}
            model_forget_done(store, generation)
            return {"model_removed": True} if had_model else {}
    except TrainerRunning:
        return {"model_retrained_by_the_running_trainer": True}


def forget_left_to_trainer(
    store: Store, forgets_saved: int, on_start: Callable[[], None] | None = None
) -> dict[str, Any] | None:
    """The model's part of a forget that was left to a trainer which ended without doing it;
    called by the trainer once it has released the store's lock, with the forgets its last save
    had seen (`Trainer.forgets_seen`). None where none was left.

    A forget-user that finds the lock held leaves the model to the trainer, which retrains at
    its next step; but one that commits after the trainer's last step (a `train` catching up
    its last block, a follower stopped) had no next step: the trainer saved a model that may
    hold the customer, and no trainer ran after it. Read after the lock is released, the forget
    counter covers every forget that found it held; where it passed what the save had seen and
    the store's mark (`model_forget_pending`) says the model's part is still to do, it is done
    as forget-user does it (`forget_in_model`, `on_start` called first), and a process that
    took the lock meanwhile is left to, as forget-user leaves it.
    """
    if forget_generation(store) <= forgets_saved or not model_forget_pending(store):
        return None
    if on_start is not None:
        on_start()
    # A login that may only read: the mark stays, for the next save or forget-user.
    with contextlib.suppress(DBAPIError, StoreWriteError):
        return forget_in_model(store)
    return None


def _not_learnt_from(store: Store, restored: checkpoint.Restored) -> str | None:
    """Why a checkpoint cannot be this store's log's (None if it can): it saw more customers
    forgotten than the log has, it covers positions the log does not have, or the log holds
    another event where it saw its newest one."""
    forgotten = forget_generation(store)
    if forgotten < restored.forgets_seen:
        customers = "customer" if restored.forgets_seen == 1 else "customers"
        return f"it saw {restored.forgets_seen:,} {customers} forgotten and this log only {forgotten:,}"
    if forgotten > restored.forgets_seen:
        return None  # its first step retrains from the whole log anyway, without the customer
    head = store.head()
    if restored.position > head:
        return f"it covers position {restored.position:,} and this log ends at {head:,}"
    if restored.anchor is None:  # saved before checkpoints kept their newest event
        return None
    position, event_id = restored.anchor
    found = store.read(since=position - 1, limit=1)
    if found and found[0].position == position and found[0].event_id == event_id:
        return None
    return f"this log holds another event at position {position:,}"


# Settings that choose how an optimizer computes its step, not what it computes.
_IMPLEMENTATION = ("fused", "foreach", "capturable", "differentiable")


def _with_implementation(state: dict[str, Any], optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """A saved optimizer state with this code's way of computing the step (fused or not), not
    the one it was saved with: loading would otherwise keep a checkpoint's older choice."""
    groups = [
        {**saved, **{key: fresh[key] for key in _IMPLEMENTATION if key in fresh}}
        for saved, fresh in zip(state["param_groups"], optimizer.param_groups, strict=True)
    ]
    return {**state, "param_groups": groups}


class TrainingStopped(Exception):
    """A retrain was asked to stop before it ended; the trainer holds no finished model."""


class Trainer:
    """Owns the online model of one store; one trainer per store at a time."""

    def __init__(
        self,
        store: Store,
        *,
        directory: Path | None = None,
        config: TrainerConfig | None = None,
        device: str = "auto",
    ) -> None:
        self.store = store
        self.directory = directory or model_dir(store.url)
        # The model forget-user cleans: not one trained in a folder of its own (tuning's).
        self.stores_model = directory is None or directory == model_dir(store.url)
        self.config = config or TrainerConfig()
        self.device = pick_device(device)
        if self.config.threads:
            torch.set_num_threads(self.config.threads)
        self.state = "idle"
        self.losses: list[float] = []
        self.hit_rates: list[float] = []
        self.events_per_s = 0.0
        self._next_streaming_check = 0  # log position from which a step measures its hit rate
        self.anchor: tuple[int, str] | None = None  # the newest event learnt: position and id
        self.discarded: str | None = None  # why a checkpoint found was not this log's
        self.checkpointed: tuple[int, float] | None = None  # the last checkpoint's position and time
        # A retrain that did not end (the server lost as it read the log): the model is fresh or
        # half-trained, so it is never saved, and the next step retrains again.
        self.half_retrained = False
        self._status_written = float("-inf")  # time.monotonic() of a catch-up's or retrain's status file
        remove_leftovers(self.directory, "tmp")  # a checkpoint or snapshot a killed trainer left
        restored = checkpoint.load_checkpoint(self.directory, device=self.device)
        if restored is not None:
            self.discarded = _not_learnt_from(store, restored)
            if self.discarded is not None:
                remove_model_files(self.directory)
                restored = None
        if restored is None:
            self._fresh()
            self.optimizers = self._optimizers()
            self.forgets_seen = forget_generation(store)
        else:
            self.forgets_seen, self.anchor = restored.forgets_seen, restored.anchor
            self.model, self.vocabulary = restored.model, restored.vocabulary
            self.replay, self.position = restored.replay, restored.position
            saved_at = (self.directory / checkpoint.CHECKPOINT).stat().st_mtime
            self.checkpointed = (restored.position, saved_at)
            self.losses, self.hit_rates = restored.history["losses"], restored.history["hit_rates"]
            self.optimizers = self._optimizers()
            for optimizer, state in zip(self.optimizers, restored.optimizer_states, strict=True):
                optimizer.load_state_dict(_with_implementation(state, optimizer))

    def _fresh(self) -> None:
        cfg = self.config.model
        torch.manual_seed(self.config.seed)
        self.model = OnlineModel(cfg).to(self.device)
        self.vocabulary = Vocabulary(context_items=cfg.context_items, token_buckets=cfg.token_buckets)
        self.replay = Examples.empty(cfg.context_items)
        self.position = 0

    def _optimizers(self) -> list[torch.optim.Optimizer]:
        # The ID tables are sparse (and grow); the token table is small enough to update densely,
        # which is much faster than coalescing its many repeated sparse rows. Fused: one pass
        # over its 2 M weights per update instead of five (15 ms -> 3 ms on one CPU core).
        rate = self.config.model.learning_rate
        return [
            torch.optim.SparseAdam([self.model.items.weight, self.model.users.weight], lr=rate),
            torch.optim.Adam([self.model.tokens.weight], lr=rate, fused=True),
        ]

    # --- one step ------------------------------------------------------------------------------

    def step(self, *, until: int | None = None) -> StepReport:
        """Trains on the next block of the log: its events up to the multiple of `block` after
        the next one (a forgotten customer's gap is skipped), and none past position `until`.

        After a customer was forgotten, it first retrains from the log without them: every
        embedding the customer's events touched is rebuilt, not just their own row dropped.
        """
        generation = forget_generation(self.store)
        if generation > self.forgets_seen or self.half_retrained:
            self.retrain(until=until)
            self.save()
        if until is not None and until <= self.position:
            return StepReport(self.position, 0, 0, None, 0, 0)
        block = self.config.block
        with self.store.engine.connect() as connection:
            from edgerec.store import log

            # No block holds more events than positions: read as many, then keep its own ones.
            events = log.read(connection, since=self.position, limit=block)
        if not events:
            return StepReport(self.position, 0, 0, None, 0, 0)
        end = (int(events[0].position) - 1) // block * block + block
        if until is not None:
            end = min(end, until)
        events = [event for event in events if event.position <= end]
        if not events:
            return StepReport(self.position, 0, 0, None, 0, 0)
        report = self.learn(events)
        return report

    def learn(self, events: list[StoredEvent]) -> StepReport:
        """Folds these events (the next ones in the log) into the model."""
        examples = self.vocabulary.examples(events)
        self._grow()
        hits, asked = self._streaming_hits(examples, int(events[0].position))
        loss = None
        if len(examples):
            rng = np.random.default_rng([self.config.seed, int(events[0].position)])
            replayed = self._replay_sample(len(examples), rng)
            loss = self._train(Examples.concat([examples, replayed], self.vocabulary.context_items), rng)
            self._remember(examples, rng)
        if asked:
            self.hit_rates.append(hits / asked)
            del self.hit_rates[:-HISTORY]
        self.position = events[-1].position
        self.anchor = (events[-1].position, events[-1].event_id)
        return StepReport(self.position, len(events), len(examples), loss, hits, asked)

    def _grow(self) -> None:
        if self.model.ensure_capacity(len(self.vocabulary.user_ids), len(self.vocabulary.item_ids)):
            self.model.to(self.device)
            self.optimizers = self._optimizers()

    def _train(
        self, examples: Examples, rng: np.random.Generator, on_batch: Callable[[], None] | None = None
    ) -> float:
        """Learns from `examples`; their mean loss, also kept in `losses` where it is finite."""
        self.model.train()
        losses = []
        for _ in range(self.config.passes):
            order = rng.permutation(len(examples))
            for start in range(0, len(order), self.config.batch):
                batch = examples.select(order[start : start + self.config.batch])
                negatives = rng.integers(0, len(self.vocabulary.item_ids), self.config.model.negatives)
                losses.append(self._update(batch, negatives))
                if on_batch is not None:
                    on_batch()
        loss = float(np.mean(losses))
        if math.isfinite(loss):  # a diverging step's inf or NaN is no point of the loss curve
            self.losses.append(loss)
            del self.losses[:-HISTORY]
        return loss

    def _update(self, batch: Examples, negatives: np.ndarray) -> float:
        device = self.device
        # Each distinct item's vector is computed once per batch (contexts repeat items a lot).
        mask = batch.context >= 0
        distinct, inverse = np.unique(
            np.concatenate([batch.items, negatives, batch.context[mask]]), return_inverse=True
        )
        vectors = self._item_vectors(distinct)
        n, k = len(batch), len(negatives)
        positives = vectors[torch.as_tensor(inverse[:n], device=device)]
        sampled = vectors[torch.as_tensor(inverse[n : n + k], device=device)]
        context_index = np.zeros(batch.context.shape, np.int64)
        context_index[mask] = inverse[n + k :]
        users = self._fold(batch.users, vectors[torch.as_tensor(context_index, device=device)], mask)
        logits_pos = (users * positives).sum(-1, keepdim=True)
        logits_neg = users @ sampled.T
        accidental = torch.as_tensor(negatives[None, :] == batch.items[:, None], device=device)
        logits = torch.cat([logits_pos, logits_neg.masked_fill(accidental, -1e9)], dim=1)
        target = torch.zeros(n, dtype=torch.long, device=device)
        weights = torch.as_tensor(batch.weights, device=device)
        loss = (F.cross_entropy(logits, target, reduction="none") * weights).sum() / weights.sum()
        for optimizer in self.optimizers:
            optimizer.zero_grad()
        loss.backward()
        for optimizer in self.optimizers:
            optimizer.step()
        return float(loss.detach())

    def _item_vectors(self, items: np.ndarray) -> torch.Tensor:
        tokens, offsets = self.vocabulary.token_csr(items)
        return self.model.item_vectors(
            torch.as_tensor(items, device=self.device),
            torch.as_tensor(tokens, device=self.device),
            torch.as_tensor(offsets, device=self.device),
        )

    def _fold(self, users: np.ndarray, context_vectors: torch.Tensor, mask: np.ndarray) -> torch.Tensor:
        return self.model.user_vectors(
            torch.as_tensor(users, device=self.device),
            context_vectors,
            torch.as_tensor(mask, dtype=torch.float32, device=self.device),
        )

    def _user_vectors(self, batch: Examples) -> torch.Tensor:
        mask = batch.context >= 0
        vectors = self._item_vectors(np.where(mask, batch.context, 0).reshape(-1))
        return self._fold(batch.users, vectors.reshape(*batch.context.shape, -1), mask)

    def _replay_sample(self, count: int, rng: np.random.Generator) -> Examples:
        wanted = min(len(self.replay), int(count * self.config.replay_ratio))
        if not wanted:
            return Examples.empty(self.vocabulary.context_items)
        return self.replay.select(rng.choice(len(self.replay), wanted, replace=False))

    def _remember(self, examples: Examples, rng: np.random.Generator) -> None:
        merged = Examples.concat([self.replay, examples], self.vocabulary.context_items)
        if len(merged) > self.config.replay:
            keep = np.sort(rng.choice(len(merged), self.config.replay, replace=False))
            merged = merged.select(keep)
        self.replay = merged

    def _streaming_hits(self, examples: Examples, first_position: int) -> tuple[int, int]:
        """Before learning from them: how many of these interactions the model had in its top 10
        ((0, 0) on a step that does not measure it, on a large catalogue)."""
        if first_position < self._next_streaming_check:
            return 0, 0
        items = len(self.vocabulary.item_ids)
        if items > STREAM_EVERY_STEP_ITEMS:
            self._next_streaming_check = first_position + self.config.block * items // STREAM_EVERY_STEP_ITEMS
        return self._hits(examples, limit=STREAM_SAMPLE)

    def evaluate(self, events: list[StoredEvent]) -> tuple[int, int]:
        """Hits at 10 over these events without learning from them (the model stays frozen).

        Customers' recent items still follow the events, as they do when serving.
        """
        examples = self.vocabulary.examples(events)
        self._grow()
        return self._hits(examples, limit=None)

    @torch.no_grad()
    def _hits(self, examples: Examples, *, limit: int | None) -> tuple[int, int]:
        asked = np.flatnonzero(examples.context[:, 0] >= 0)[:limit]
        if not len(asked) or len(self.vocabulary.item_ids) < 10:
            return 0, 0
        self.model.eval()
        matrix = self.item_matrix()
        hits = 0
        for start in range(0, len(asked), 1024):
            batch = examples.select(asked[start : start + 1024])
            top = torch.topk(self._user_vectors(batch) @ matrix.T, 10, dim=1).indices.cpu().numpy()
            hits += int((top == batch.items[:, None]).any(axis=1).sum())
        return hits, len(asked)

    @torch.no_grad()
    def item_matrix(self) -> torch.Tensor:
        items = np.arange(len(self.vocabulary.item_ids))
        parts = [self._item_vectors(items[s : s + 65_536]) for s in range(0, len(items), 65_536)]
        return torch.cat(parts) if parts else torch.zeros(0, self.config.model.dim, device=self.device)

    # --- loops ---------------------------------------------------------------------------------

    def catch_up(
        self,
        *,
        until: int | None = None,
        on_step: Callable[[StepReport], None] | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Steps until the trainer has seen the log (up to position `until`), or until `stop` is
        set, after a whole step; returns events processed."""
        processed = 0
        started = time.perf_counter()
        self.state = "following"
        self._say_status(now=True)
        while stop is None or not stop.is_set():
            report = self.step(until=until)
            if not report.events:
                break
            processed += report.events
            self.events_per_s = processed / max(time.perf_counter() - started, 1e-9)
            self._say_status()
            if on_step:
                on_step(report)
        self.state = "idle"
        return processed

    def retrain(
        self,
        *,
        until: int | None = None,
        on_epoch: Callable[[int, float], None] | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Consolidates: a fresh model trained on the whole log (up to `until`) for several epochs.

        `stop`, set, ends it after the epoch under way with TrainingStopped; the trainer then
        holds a half-trained model, which `save` does not write.
        """
        self.state = "retraining"
        self.half_retrained = True
        self._say_status(now=True)
        self._fresh()
        # Read before the log: a customer forgotten while it reads is retrained away at the next step.
        self.forgets_seen = forget_generation(self.store)
        parts = []
        with self.store.engine.connect() as connection:
            from edgerec.store import log

            for events in log.read_batches(connection):
                if until is not None:
                    events = [event for event in events if event.position <= until]
                    if not events:
                        break
                parts.append(self.vocabulary.examples(events))
                self.position = events[-1].position
                self.anchor = (events[-1].position, events[-1].event_id)
                self._say_status()
        examples = Examples.concat(parts, self.vocabulary.context_items)
        self._grow()
        self.optimizers = self._optimizers()
        rng = np.random.default_rng([self.config.seed, self.position, 1])
        # Nothing to learn from (a log of no customer events): no epoch, and no loss of nothing.
        for epoch in range(self.config.retrain_epochs if len(examples) else 0):
            if stop is not None and stop.is_set():
                raise TrainingStopped(f"retrain stopped after {epoch} of {self.config.retrain_epochs} epochs")
            loss = self._train(examples, rng, self._say_status)
            if on_epoch:
                on_epoch(epoch, loss)
        self._remember(examples, rng)
        self.state = "idle"
        self.half_retrained = False
        return len(examples)

    # --- files ---------------------------------------------------------------------------------

    def save(self) -> int:
        """Writes the checkpoint, then the snapshot the recommender reads, both atomically;
        returns the checkpoint's size in bytes. A model whose retrain did not end is not saved
        (0): the checkpoint and snapshot from before it stay."""
        if self.half_retrained:
            return 0
        history = {"losses": self.losses[-HISTORY:], "hit_rates": self.hit_rates[-HISTORY:]}
        size = checkpoint.save_checkpoint(
            self.directory,
            self.model,
            self.optimizers,
            self.vocabulary,
            self.replay,
            self.position,
            history,
            self.forgets_seen,
            self.anchor,
        )
        self.checkpointed = (self.position, time.time())
        self.publish()
        if self.stores_model:  # learnt after every forget: a forget's model part is done
            # A server that is down, a login that may only read: the mark stays, for the next save
            # or forget-user.
            with contextlib.suppress(DBAPIError, StoreWriteError):
                model_forget_done(self.store, self.forgets_seen)
        return size

    def _say_status(self, *, now: bool = False) -> None:
        """Rewrites the status file while a catch-up or a retrain runs (minutes on a long log), at
        most every `STATUS_EVERY_S`: it said what the last trainer did, growing older, and a
        console took the trainer for one that had stopped."""
        moment = time.monotonic()
        if not now and moment - self._status_written < STATUS_EVERY_S:
            return
        self._status_written = moment
        with contextlib.suppress(OperationalError):  # a server that is down: the retrain says so
            published.write_status(self.directory, self.status())

    def write_stopped_status(self) -> None:
        """Writes the status file of a trainer that has stopped, at the position and checkpoint
        it ends with: what the console shows while no trainer runs. A server that is down as it
        stops leaves the file as it was."""
        self.state = "stopped"
        if self.half_retrained:  # stopped part way: what it ends with is the checkpoint from before
            self.position = self.checkpointed[0] if self.checkpointed else 0
        self._say_status(now=True)

    def publish(self) -> int:
        """Publishes the snapshot the recommender reads; returns its size in bytes."""
        return published.publish_snapshot(self.directory, **self.snapshot_fields())

    def snapshot_fields(self) -> dict[str, Any]:
        """What a snapshot holds: ids and vectors of items, users and content tokens, and the
        log position they cover."""
        return {
            "item_ids": self.vocabulary.item_ids,
            "item_vectors": self.item_matrix().cpu().numpy(),
            "user_ids": self.vocabulary.user_ids,
            "user_vectors": self.model.users.weight[: len(self.vocabulary.user_ids)].detach().cpu().numpy(),
            "token_vectors": self.model.tokens.weight.detach().cpu().numpy(),
            "position": self.position,
        }

    def status(self, head: int | None = None) -> dict[str, Any]:
        head = self.store.head() if head is None else head
        saved = self.checkpointed
        return {
            "state": self.state,
            "device": str(self.device),
            "position": self.position,
            "head": head,
            "behind": max(0, head - self.position),
            "events_per_s": round(self.events_per_s, 1),
            "users": len(self.vocabulary.user_ids),
            "items": len(self.vocabulary.item_ids),
            "losses": self.losses[-200:],
            "hit_rates": self.hit_rates[-200:],
            "checkpoint_position": saved[0] if saved else None,
            "checkpoint_at": saved[1] if saved else None,  # seconds since the epoch
            "updated_at": time.time(),
        }
