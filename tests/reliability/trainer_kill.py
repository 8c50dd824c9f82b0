"""Guarantee 5: a trainer SIGKILLed at any moment (mid-step or mid-checkpoint) leaves a
checkpoint that loads, and resuming from it processes every later event exactly once: the
resumed model equals one trained without interruption on the same events."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

import edgerec
from edgerec.demo import DemoSize, seed_demo_store
from edgerec.training import CheckpointError, Trainer, TrainerConfig

CONFIG = TrainerConfig(block=300)
SIZE = DemoSize(items=150, customers=25, sessions=160)
REPO = Path(__file__).resolve().parents[2]

# The child trains block by block and checkpoints after every block, saying so on stdout.
CHILD = """
import sys
import edgerec
from edgerec.training import Trainer, TrainerConfig
store = edgerec.open(sys.argv[1])
trainer = Trainer(store, directory=__import__("pathlib").Path(sys.argv[2]), config=TrainerConfig(block=300))
print("ready", flush=True)
while trainer.step().events:
    trainer.save()
    print("saved", trainer.position, flush=True)
print("done", flush=True)
"""


@dataclass
class TrainerKillTrial:
    killed_after_saves: int
    loadable: bool
    resumed_from: int
    equal: bool

    @property
    def ok(self) -> bool:
        return self.loadable and self.equal


def prepare(folder: Path) -> tuple[Path, torch.Tensor]:
    """A small shop and the item vectors an uninterrupted trainer learns from it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "shop.db"
    if not path.exists():
        with edgerec.open(path) as store:
            seed_demo_store(store, size=SIZE, seed=11)
    with edgerec.open(path) as store:
        reference = Trainer(store, directory=folder / "reference", config=CONFIG)
        reference.catch_up()
        return path, reference.item_matrix()


def trainer_kill_trial(
    shop: Path, reference: torch.Tensor, folder: Path, rng: random.Random
) -> TrainerKillTrial:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "shop.db"
    shutil.copy(shop, db)
    models = folder / "models"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(models)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    wanted = rng.randint(0, 6)  # saves to let through; 0 kills before the first checkpoint
    saves = 0
    for line in child.stdout:
        if line.startswith("saved"):
            saves += 1
        if saves >= wanted or line.startswith("done"):
            break
    time.sleep(rng.uniform(0.0, 0.3))  # lands inside a step or inside the next save
    child.send_signal(signal.SIGKILL)
    child.wait()
    with edgerec.open(db) as store:
        try:
            resumed = Trainer(store, directory=models, config=CONFIG)
        except CheckpointError:
            return TrainerKillTrial(saves, False, -1, False)
        start = resumed.position
        resumed.catch_up()
        equal = torch.equal(resumed.item_matrix(), reference)
    return TrainerKillTrial(saves, True, start, equal)
