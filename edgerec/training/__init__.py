"""The incremental trainer: follows the log, learns embeddings, publishes snapshots.

Names are loaded on first use (PEP 562), so that reading a snapshot or the trainer's status
(`training.files`, `training.published`) never imports torch.
"""

from __future__ import annotations

from edgerec.lazy import lazy_attributes

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
    "TrainingStopped": "edgerec.training.trainer",
    "TrainerConfig": "edgerec.training.trainer",
}

__all__ = sorted(_WHERE)


__getattr__ = lazy_attributes(__name__, _WHERE)
