"""The incremental trainer: follows the log, learns embeddings, publishes snapshots."""

from edgerec.training.checkpoint import CheckpointError, Snapshot, load_snapshot, read_status
from edgerec.training.files import model_dir
from edgerec.training.model import OnlineConfig, OnlineModel
from edgerec.training.runner import follow
from edgerec.training.trainer import StepReport, Trainer, TrainerConfig, pick_device

__all__ = [
    "CheckpointError",
    "OnlineConfig",
    "OnlineModel",
    "Snapshot",
    "StepReport",
    "Trainer",
    "TrainerConfig",
    "follow",
    "load_snapshot",
    "model_dir",
    "pick_device",
    "read_status",
]
