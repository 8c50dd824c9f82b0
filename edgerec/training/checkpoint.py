"""Checkpoints: the trainer's whole state, written atomically with the log position it covers,
and loaded with `torch.load(weights_only=True)`, so a file that would need unpickling is refused.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import warnings
import zipfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from edgerec.domain.signals import RatingScale
from edgerec.training.files import write_atomically
from edgerec.training.model import OnlineConfig, OnlineModel
from edgerec.training.published import CheckpointError
from edgerec.training.vocabulary import Examples, Vocabulary

CHECKPOINT = "trainer.pt"
FORMAT_VERSION = 1


def save_checkpoint(
    directory: Path,
    model: OnlineModel,
    optimizers: list[torch.optim.Optimizer],
    vocabulary: Vocabulary,
    replay: Examples,
    position: int,
    history: dict[str, list[float]],
    forgets_seen: int,
    anchor: tuple[int, str] | None = None,
) -> int:
    """Writes the trainer's whole state atomically; returns its size in bytes."""
    recent = np.full((len(vocabulary.user_ids), vocabulary.context_items), -1, np.int64)
    for user, items in vocabulary.recent.items():
        recent[user, : len(items)] = list(items)
    tokens, offsets = vocabulary.token_csr(np.arange(len(vocabulary.item_ids)))
    state = {
        "format": FORMAT_VERSION,
        "position": position,
        "forgets_seen": forgets_seen,
        # The newest event learnt (position, id): a log that holds another event there is not
        # the one this model learnt (a replaced database, another shop's checkpoint).
        "anchor": list(anchor) if anchor is not None else None,
        "config": json.dumps(dataclasses.asdict(model.config)),
        "weights": json.dumps(dict(vocabulary.weights)),
        "rating_scale": [vocabulary.ratings.low, vocabulary.ratings.high],
        "model": {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()},
        # Optimiser moments too: without them a resumed trainer would drift from an uninterrupted one.
        "optimizers": [_to_cpu(optimizer.state_dict()) for optimizer in optimizers],
        "item_ids": list(vocabulary.item_ids),
        "user_ids": list(vocabulary.user_ids),
        "item_content": json.dumps(vocabulary.item_content),
        "item_tokens": torch.from_numpy(tokens),
        "item_token_offsets": torch.from_numpy(offsets),
        "recent": torch.from_numpy(recent),
        "replay": {
            name: torch.from_numpy(np.ascontiguousarray(getattr(replay, name))) for name in _REPLAY_FIELDS
        },
        "history": {name: [float(v) for v in values] for name, values in history.items()},
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    write_atomically(directory / CHECKPOINT, data)
    return len(data)


_REPLAY_FIELDS = tuple(field.name for field in dataclasses.fields(Examples))


@dataclass(slots=True)
class Restored:
    model: OnlineModel
    optimizer_states: list[dict[str, Any]]
    vocabulary: Vocabulary
    replay: Examples
    position: int
    history: dict[str, list[float]]
    forgets_seen: int
    anchor: tuple[int, str] | None


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {key: _to_cpu(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(item) for item in value)
    return value


def _unreadable(path: Path, exc: Exception) -> str:
    """Why a checkpoint file could not be read, in a user's words."""
    if not _pickled(path):  # torch's refusal of text or zeros spoke of unpickling, as for code
        return "is damaged or not a checkpoint: it is not a PyTorch file (was it cut short or overwritten?)"
    if isinstance(exc, pickle.UnpicklingError):  # weights_only refused what the file holds
        return "holds code or objects that edgerec never writes, and is not loaded (it may not be safe)"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"is damaged (cut short?): {first_line[:160]}"


def _pickled(path: Path) -> bool:
    """Whether the file is what torch saves: a zip archive, or a bare pickle (protocol 2 on)."""
    try:
        with open(path, "rb") as file:
            start = file.read(2)
    except OSError:
        return False
    bare = len(start) == 2 and start[:1] == pickle.PROTO and 2 <= start[1] <= pickle.HIGHEST_PROTOCOL
    return bare or zipfile.is_zipfile(path)


def load_checkpoint(directory: Path, *, device: torch.device) -> Restored | None:
    path = directory / CHECKPOINT
    if not path.exists():
        return None
    # The log is the source of truth: the way out of a bad checkpoint is to rebuild the model.
    remedy = "move it aside and run `edgerec train --retrain` to rebuild the model from the log"
    try:
        with warnings.catch_warnings():
            # torch warns of a bare pickle's protocol before refusing it, asking to file an issue:
            # the refusal below says what the file is.
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle refused, truncated file, wrong format
        raise CheckpointError(f"{path} {_unreadable(path, exc)}; {remedy}") from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} is not an edgerec trainer checkpoint (format {FORMAT_VERSION}); {remedy}"
        )
    config = OnlineConfig(**json.loads(state["config"]))
    model = OnlineModel(config)
    weights = state["model"]
    model.ensure_capacity(weights["users.weight"].shape[0], weights["items.weight"].shape[0])
    model.load_state_dict(weights)
    vocabulary = Vocabulary(
        context_items=config.context_items,
        token_buckets=config.token_buckets,
        weights=json.loads(state["weights"]),
    )
    if "rating_scale" in state:  # a checkpoint of an older version learns the scale anew
        vocabulary.ratings = RatingScale(*map(float, state["rating_scale"]))
    for item_id in state["item_ids"]:
        vocabulary.item(item_id)
    for user_id in state["user_ids"]:
        vocabulary.user(user_id)
    vocabulary.item_content = json.loads(state["item_content"])
    vocabulary.set_tokens(state["item_tokens"].numpy(), state["item_token_offsets"].numpy())
    for user, row in enumerate(state["recent"].numpy()):
        items = [int(i) for i in row if i >= 0]
        if items:
            vocabulary.recent[user] = deque(items, maxlen=config.context_items)
    replay = Examples(**{name: state["replay"][name].numpy() for name in _REPLAY_FIELDS})
    history = {name: list(values) for name, values in state["history"].items()}
    return Restored(
        model=model.to(device),
        optimizer_states=state["optimizers"],
        vocabulary=vocabulary,
        replay=replay,
        position=int(state["position"]),
        history=history,
        forgets_seen=int(state["forgets_seen"]),
        anchor=(int(state["anchor"][0]), str(state["anchor"][1])) if state.get("anchor") else None,
    )
