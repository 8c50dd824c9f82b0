"""The trainer's published model inside the recommender: snapshot loading, hot swap, new items.

The trainer (edgerec.training) publishes `<db>.models/snapshot.npz` atomically, with the log
position it covers. `TrainedModel` checks that file cheaply (size, mtime and inode, at most
every `check_every_s`), loads a newer one with numpy alone and swaps it into its
`EmbeddingSource` without a restart. Items the snapshot lacks (listed, or first seen, after it)
get a content-only vector from the snapshot's token table, tokenised and hashed exactly as the
trainer does it. That is the vector the model itself gives an item it has seen no interaction
for (its ID row starts at zero), so a newly listed item is recommendable at once.

Frozen (`freeze()`), it keeps its snapshot, as a nightly retrain would, but still places new
items by their content with that snapshot's token table.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from edgerec.domain import EventType
from edgerec.recommend.catalogue import Catalogue
from edgerec.recommend.embeddings import EmbeddingSnapshot, EmbeddingSource
from edgerec.store.codec import StoredEvent
from edgerec.training.published import SNAPSHOT, CheckpointError, Snapshot, read_snapshot_file

_log = logging.getLogger(__name__)
SNAPSHOT_FILE = SNAPSHOT
_CONTENT_FIELDS = ("title", "category", "brand", "price", "description", "attributes")
_LISTING = (EventType.ITEM_LISTED, EventType.ITEM_UPDATED)


def _content_tokens() -> Callable[[Mapping[str, Any], int], np.ndarray]:
    """The trainer's own hashed content tokens of an item (imported late: it loads torch)."""
    from edgerec.training.vocabulary import content_tokens

    return content_tokens


class TrainedModel:
    """An EmbeddingSource that follows the trainer's snapshots and embeds items it lacks.

    Loading a snapshot (reading it, and above the exact-scoring size building the search
    index) runs in the serving process beside its requests, so a load that took T seconds is
    followed by none for T * (1 / load_share - 1): at most a quarter of a core by default, where
    a million-item model published every few seconds would otherwise keep a core busy.
    """

    def __init__(
        self,
        source: EmbeddingSource | None = None,
        *,
        path: Path | None = None,
        check_every_s: float = 0.5,
        background: bool = True,
        load_share: float = 0.25,
        listings: Callable[[list[str]], Mapping[str, Mapping[str, Any]]] | None = None,
    ) -> None:
        self.source = source or EmbeddingSource()
        # The store's listings of items by id (see `install`); None without a store.
        self.listings = listings
        self.path = path
        self.check_every_s = check_every_s
        self.load_share = load_share
        self.background = background
        self.frozen = False
        self.swaps = 0
        self._tokens: np.ndarray | None = None  # the snapshot's token table
        self._content: dict[str, dict[str, Any]] = {}  # listings seen, for items it lacks
        self._signature: tuple[int, int, int] | None = None
        self._after_forget = False  # a customer was forgotten since it was made: see `forgotten`
        self._next_check = 0.0
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self._content_tokens: Callable[[Mapping[str, Any], int], np.ndarray] | None = None

    @property
    def position(self) -> int:
        """The log position the model's snapshot covers (0 before the first)."""
        return self.source.position

    @property
    def loaded(self) -> bool:
        return self._tokens is not None

    def freeze(self) -> None:
        """Keeps the current snapshot from now on: what serving a nightly retrain looks like."""
        self.frozen = True

    # --- following the published file ----------------------------------------------------

    def check(self, catalogue: Catalogue, *, force: bool = False) -> bool:
        """Loads the published snapshot if it changed; True when a new one was installed.

        Without `force` the file is looked at no more than every `check_every_s`, and a
        background model loads in a thread (the swap is atomic; requests never wait for it).
        """
        if self.path is None or self.frozen:
            return False
        now = time.monotonic()
        if not force and now < self._next_check:
            return False
        self._next_check = now + self.check_every_s
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            if self._after_forget and self.loaded:
                self._drop_if_gone()
            return False
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if signature == self._signature:
            return False
        if force or not self.background:
            if self._loading is not None:
                self._loading.join()
            return self._load(signature, catalogue)
        if self._loading is None or not self._loading.is_alive():
            self._loading = threading.Thread(
                target=self._load, args=(signature, catalogue), name="edgerec-snapshot", daemon=True
            )
            self._loading.start()
        return False

    def forgotten(self) -> None:
        """A customer was forgotten in the store: from now on, where the published snapshot is
        gone (forget-user removes the model's files, which held them, once it has compacted the
        database: maybe only after this is called), the one in memory goes too, at once or at
        the next `check`; the other sources serve until the trainer publishes again."""
        self._after_forget = True
        self._drop_if_gone()

    def _drop_if_gone(self) -> None:
        if self.path is None or self.path.exists():
            return
        if self._loading is not None:
            self._loading.join()
        with self._lock:
            self._tokens = None
            self._signature = None
            self.source.swap(EmbeddingSnapshot.empty())

    def _load(self, signature: tuple[int, int, int], catalogue: Catalogue) -> bool:
        assert self.path is not None
        started = time.monotonic()
        try:
            self._signature = signature  # a file that cannot be read is not tried again
            try:
                snapshot = read_snapshot_file(self.path)
            except CheckpointError as exc:
                # The trainer's next publish replaces the file; until then the other sources
                # (and the model loaded before, if any) serve.
                _log.warning("%s; the recommender goes on without it until the trainer publishes again", exc)
                return False
            if snapshot is None:
                return False
            # Whatever the trainer published last is the model, even at an earlier position (a
            # trainer restarted from scratch, or a retrain after a customer was forgotten).
            self.install(snapshot, catalogue)
            return True
        finally:
            # Loading shares the serving process's cores with its requests: the next load waits
            # until this one is at most `load_share` of the time since it started.
            done = time.monotonic()
            rest = (done - started) * (1 / self.load_share - 1)
            self._next_check = max(self._next_check, done + rest)

    # --- installing a snapshot --------------------------------------------------------------

    def install(self, snapshot: Snapshot, catalogue: Catalogue) -> None:
        """Swaps in this snapshot, plus content vectors for catalogue items it lacks."""
        ids = list(snapshot.item_ids)
        known = set(ids)
        with self._lock:
            self._tokens = np.asarray(snapshot.token_vectors, dtype=np.float32)
            self._content = {k: v for k, v in self._content.items() if k not in known}
            missing = [i for i in catalogue.ids if i not in known]
            self._read_listings([i for i in missing if i not in self._content])
            extra_ids, extra = self._embed(missing, catalogue)
            vectors = np.asarray(snapshot.item_vectors, dtype=np.float32)
            if extra_ids:
                ids += extra_ids
                vectors = np.concatenate([vectors, extra])
            self.source.swap(
                EmbeddingSnapshot(
                    tuple(ids),
                    vectors,
                    position=snapshot.position,
                    user_ids=tuple(snapshot.user_ids),
                    user_vectors=np.asarray(snapshot.user_vectors, dtype=np.float32),
                )
            )
            self.swaps += 1

    def _read_listings(self, item_ids: list[str]) -> None:
        """The stored listings of items the snapshot lacks that no observed listing described:
        those listed before this recommender opened. The catalogue in memory holds only their
        title, category and brand, and the trainer's vector of an item also has its price,
        description and attributes, as has the one given to an item whose listing is observed."""
        if self.listings is None or not item_ids:
            return
        for item_id, fields in self.listings(item_ids).items():
            self._content[item_id] = dict(fields)

    # --- new items --------------------------------------------------------------------------

    def note(self, event: StoredEvent, catalogue: Catalogue) -> None:
        """After an event is folded into the catalogue: embeds an item the snapshot lacks."""
        item_id = event.item_id
        if item_id is None:
            return
        if event.type in _LISTING:
            if self.source.has(item_id) and item_id not in self._content:
                return  # the trainer knows it; its next snapshot carries the change
            # merged field by field, as the trainer's vocabulary describes items
            self._content.setdefault(item_id, {}).update(
                {k: v for k, v in (event.payload or {}).items() if k in _CONTENT_FIELDS and v is not None}
            )
        elif self.source.has(item_id):
            return
        if self._tokens is None:
            return
        with self._lock:
            self._add([item_id], catalogue)

    def _add(self, item_ids: list[str], catalogue: Catalogue) -> None:
        ids, vectors = self._embed(item_ids, catalogue)
        if ids:
            self.source.update(ids, vectors)

    def _embed(self, item_ids: list[str], catalogue: Catalogue) -> tuple[list[str], np.ndarray]:
        """Content-only vectors of these items; items with no content at all are left out."""
        table = self._tokens
        if table is None or not item_ids:
            return [], np.zeros((0, 0 if table is None else table.shape[1]), np.float32)
        out_ids, out = [], []
        for item_id in item_ids:
            content = self._content.get(item_id) or _catalogue_content(catalogue, item_id)
            vector = self._mean_token(table, content) if content else None
            if vector is not None:
                out_ids.append(item_id)
                out.append(vector)
        if not out:
            return [], np.zeros((0, table.shape[1]), np.float32)
        return out_ids, np.stack(out).astype(np.float32)

    def content_vector(self, content: Mapping[str, Any]) -> np.ndarray | None:
        """The vector the snapshot gives an item with this content and no interactions."""
        table = self._tokens
        if table is None:
            return None
        vector = self._mean_token(table, content)
        return vector if vector is not None else np.zeros(table.shape[1], np.float32)

    def _mean_token(self, table: np.ndarray, content: Mapping[str, Any]) -> np.ndarray | None:
        """The mean of the token vectors of this content, as the model's content tower gives it
        (None without tokens)."""
        if self._content_tokens is None:
            self._content_tokens = _content_tokens()
        buckets = self._content_tokens(content, len(table))
        return table[buckets].mean(axis=0) if len(buckets) else None


def _catalogue_content(catalogue: Catalogue, item_id: str) -> dict[str, Any]:
    """What the in-memory catalogue knows of an item (title, category, brand)."""
    index = catalogue.index.get(item_id)
    if index is None:
        return {}
    fields = {
        "title": catalogue.titles[index],
        "category": catalogue.category_name(index),
        "brand": catalogue.brands[index],
    }
    return {k: v for k, v in fields.items() if v}
