"""Process wiring: the trainer in a process of its own, driven by the console."""

from edgerec.runtime.trainer_process import TrainerProcess

__all__ = ["TrainerProcess"]
