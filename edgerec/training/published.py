"""What the trainer publishes for other processes: embedding snapshots and its status file.

Numpy and JSON only, so that a recommender or the console can read them without importing
torch. Snapshots load with `numpy.load(allow_pickle=False)`: nothing in them can run code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgerec.training.files import write_atomically

SNAPSHOT = "snapshot.npz"
STATUS = "status.json"


class CheckpointError(RuntimeError):
    """A checkpoint or snapshot that cannot be loaded safely."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The embeddings the recommender scores with, and the log position they cover."""

    item_ids: Sequence[str]
    item_vectors: np.ndarray
    user_ids: Sequence[str]
    user_vectors: np.ndarray
    token_vectors: np.ndarray
    position: int


def publish_snapshot(
    directory: Path,
    *,
    item_ids: list[str],
    item_vectors: np.ndarray,
    user_ids: list[str],
    user_vectors: np.ndarray,
    token_vectors: np.ndarray,
    position: int,
) -> int:
    """Writes the snapshot atomically; returns its size in bytes."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        item_ids=np.asarray(item_ids, dtype=np.str_),
        item_vectors=item_vectors.astype(np.float32),
        user_ids=np.asarray(user_ids, dtype=np.str_),
        user_vectors=user_vectors.astype(np.float32),
        token_vectors=token_vectors.astype(np.float32),
        position=np.asarray(position, dtype=np.int64),
    )
    data = buffer.getvalue()
    write_atomically(directory / SNAPSHOT, data)
    return len(data)


def load_snapshot(directory: Path) -> Snapshot | None:
    """The snapshot the trainer published in `directory` (see `read_snapshot_file`)."""
    return read_snapshot_file(directory / SNAPSHOT)


def read_snapshot_file(path: Path) -> Snapshot | None:
    """The snapshot at `path`, or None when there is none.

    Raises CheckpointError for a file that is not a snapshot: not a numpy archive, a field
    missing, or vectors that do not match their ids or one another's width.
    """
    try:
        with open(path, "rb") as file:
            if file.read(4) != b"PK\x03\x04":  # numpy's message for it spoke of pickles
                raise CheckpointError(f"{path} cannot be loaded safely: it is no numpy archive (.npz)")
        with np.load(path, allow_pickle=False) as data:
            snapshot = Snapshot(
                item_ids=data["item_ids"].tolist(),
                item_vectors=data["item_vectors"],
                user_ids=data["user_ids"].tolist(),
                user_vectors=data["user_vectors"],
                token_vectors=data["token_vectors"],
                position=int(data["position"]),
            )
    except FileNotFoundError:
        return None
    except CheckpointError:
        raise
    except Exception as exc:
        raise CheckpointError(f"{path} cannot be loaded safely: {exc}") from exc
    problem = _shape_problem(snapshot)
    if problem is not None:
        raise CheckpointError(f"{path} cannot be loaded safely: {problem}")
    return snapshot


def _shape_problem(snapshot: Snapshot) -> str | None:
    tables = {
        "item": (snapshot.item_vectors, len(snapshot.item_ids)),
        "user": (snapshot.user_vectors, len(snapshot.user_ids)),
        "token": (snapshot.token_vectors, None),
    }
    for name, (vectors, ids) in tables.items():
        if vectors.ndim != 2:
            return f"the {name} vectors are not a table ({vectors.ndim} dimensions)"
        if ids is not None and len(vectors) != ids:
            return f"{len(vectors)} {name} vectors for {ids} {name} ids"
    widths = {vectors.shape[1] for vectors, _ in tables.values()}
    if len(widths) > 1:
        return f"vectors of different widths ({sorted(widths)})"
    return None


def write_status(directory: Path, status: dict[str, Any]) -> None:
    """The trainer's progress for the console; rewritten often, so never synced (a reader that
    finds it missing or empty after a power cut shows no status until the next write)."""
    write_atomically(directory / STATUS, json.dumps(status).encode(), durable=False)


class StatusUnreadable(ValueError):
    """The trainer's status file holds JSON that is no status (`read_status`)."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)  # true is no number


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _measures(value: Any) -> bool:  # numbers, None where one was not measured
    return isinstance(value, list) and all(v is None or _number(v) for v in value)


def _done_of_total(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(map(_whole, value))


def _or_none(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


# What each field of a status must be where it is given (a field left out takes its default).
_STATUS_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "state": (_text, "text"),
    "device": (_text, "text"),
    "position": (_whole, "a whole number"),
    "updated_at": (_number, "a number"),
    "checkpoint_position": (_or_none(_whole), "a whole number"),
    "checkpoint_at": (_or_none(_number), "a number"),
    "losses": (_measures, "a list of numbers"),
    "hit_rates": (_measures, "a list of numbers"),
    "progress": (_or_none(_done_of_total), "two whole numbers (done, total)"),
}
_JSON_KINDS = {list: "a list", int: "a number", float: "a number", str: "text", bool: "true or false"}


def read_status(directory: Path) -> dict[str, Any] | None:
    """The trainer's status file; None where there is none, or it is not JSON (found empty after
    a power cut: `write_status`). StatusUnreadable, saying what it holds, where it is JSON but no
    status: a list, a number, or a field of another type (a file edited by hand, or another
    program's). Its readers took it as one and ended in an AttributeError ("'list' object has
    no attribute 'get'") or a TypeError, a console's Trainer screen saying so and no more."""
    path = directory / STATUS
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict):
        held = "null" if status is None else _JSON_KINDS[type(status)]
        raise StatusUnreadable(f"{path}: holds {held}, not a trainer's status (a JSON object)")
    for name, (check, what) in _STATUS_FIELDS.items():
        if name in status and not check(status[name]):
            raise StatusUnreadable(f"{path}: its {name} is {json.dumps(status[name])[:40]}, not {what}")
    return status
