"""Evaluation within the memory there is: a catalogue far bigger than what customers touched,
and a model whose table would take more than is left."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

import edgerec
from edgerec.evaluation.frames import encode
from edgerec.evaluation.harness import Settings, evaluate_encoded
from edgerec.ingest import import_file
from tests.ingest.ingest_helpers import head_of

GIB = 2**30


def _at_most_4_gib() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * GIB, 4 * GIB))


def test_eval_of_a_big_catalogue_few_customers_touched_fits_in_4_gib(shared_dataset, tmp_path: Path) -> None:
    """44,446 fashion products beside the first 3,000 MovieLens ratings: item-kNN and EASE build
    their tables over the films rated (1,768 at most), where a dense table over the whole catalogue
    (45,505 items) took 8.3 GB, and the eval died of it."""
    ratings = head_of(shared_dataset("ml-latest-small", "ratings.csv"), tmp_path / "ml" / "ratings.csv", 3001)
    db = tmp_path / "shop.db"
    with edgerec.open(db) as store:
        import_file(store, shared_dataset("fashion-product-catalog", "catalog_joined.csv"))
        import_file(store, ratings)
    command = ["eval", "--models", "itemknn,ease,blend", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "edgerec", "--db", str(db), *command],
        preexec_fn=_at_most_4_gib,  # noqa: PLW1509 - the child only sets its own limit
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert list(report["models"]) == ["itemknn", "ease", "blend"] and report["skipped"] == {}


@contextmanager
def address_space_left(size: int) -> Iterator[None]:
    """This process may take only `size` more bytes of address space inside the block."""
    status = Path("/proc/self/status").read_text()
    used = int(next(line for line in status.splitlines() if line.startswith("VmSize")).split()[1]) * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (used + size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_ease_is_skipped_saying_why_where_its_table_would_not_fit(shared_dataset) -> None:
    """EASE on MovieLens' 9,724 rated films takes about 1.5 GB; with 1 GiB left it is skipped,
    and so is a blend with nothing else to mix."""
    ratings = pd.read_csv(shared_dataset("ml-latest-small", "ratings.csv"))
    frame = pd.DataFrame(
        {
            "user_id": ratings["userId"].astype(str),
            "item_id": ratings["movieId"].astype(str),
            "occurred_at": ratings["timestamp"] * 1_000_000,
            "event_type": "rated",
            "session_id": None,
            "store_id": None,
            "position": np.arange(len(ratings)),
        }
    )
    data, _ = encode(frame, None)
    said: list[str] = []
    with address_space_left(GIB):
        report = evaluate_encoded(
            data, None, models=["cooccurrence", "ease", "blend"], log=said.append
        ).report
        alone = evaluate_encoded(data, None, models=["ease", "blend"], settings=Settings()).report
    assert list(report["models"]) == ["cooccurrence", "blend"]
    assert report["blend_weights"] == {"cooccurrence": 1.0}
    why = (
        r"a dense 9,\d{3} x 9,\d{3} item table and its inverse"
        r" would take 1\.\d GiB of memory, and \d\.\d GiB is free"
    )
    assert re.fullmatch(why, report["skipped"]["ease"])
    assert f"  skipped ease: {report['skipped']['ease']}" in said
    assert alone["models"] == {}
    assert alone["skipped"]["blend"] == "every model it mixes was skipped (ease)"
