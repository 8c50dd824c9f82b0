"""The incremental trainer: follows the log, learns embeddings, publishes snapshots.

Names are loaded on first use (PEP 562), so that reading a snapshot or the trainer's status
(`training.files`, `training.published`) never imports torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CheckpointError": "edgerec.training.published",
    "Snapshot": "edgerec.training.published",
    "load_snapshot": "edgerec.training.published",
    "read_status": "edgerec.training.published",
    "model_dir": "edgerec.training.files",
    "OnlineConfig": "edgerec.training.model",
    "OnlineModel": "edgerec.training.model",
    "follow": "edgerec.training.runner",
    "StepReport": "edgerec.training.trainer",
    "Trainer": "edgerec.training.trainer",
    "TrainerConfig": "edgerec.training.trainer",
    "pick_device": "edgerec.training.trainer",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'edgerec.training' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
