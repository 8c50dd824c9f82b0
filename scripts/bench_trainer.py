#!/usr/bin/env python
"""Trainer throughput, and how far the incremental model is from a full retrain on the same events.

Imports a dataset into a fresh store (default: the Taobao slice), trains one model incrementally
on the first 80 % of the log and another by a full retrain on the same 80 %, then scores both,
frozen, on the remaining 20 % (hit rate at 10, whole catalogue ranked). Prints a table and, last,
one JSON line.

    python scripts/bench_trainer.py [PATH] [--format taobao] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import edgerec  # noqa: E402
from edgerec.ingest import import_file  # noqa: E402
from edgerec.store import log  # noqa: E402
from edgerec.training import Trainer, TrainerConfig  # noqa: E402

DEFAULT = REPO.parent / "shared" / "datasets" / "taobao-userbehavior" / "UserBehavior_timeslice_110k.csv"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--format", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--train-share", type=float, default=0.8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        store = edgerec.open(Path(folder) / "bench.db")
        report = import_file(store, args.path, format=args.format)
        head = store.head()
        cutoff = int(head * args.train_share)
        with store.engine.connect() as connection:
            tail = log.read(connection, since=cutoff)

        config = TrainerConfig()
        incremental = Trainer(
            store, directory=Path(folder) / "incremental", config=config, device=args.device
        )
        started = time.perf_counter()
        incremental.catch_up(until=cutoff)
        incremental_s = time.perf_counter() - started

        retrained = Trainer(store, directory=Path(folder) / "retrain", config=config, device=args.device)
        started = time.perf_counter()
        retrained.retrain(until=cutoff)
        retrain_s = time.perf_counter() - started

        inc_hits, inc_asked = incremental.evaluate(tail)
        full_hits, full_asked = retrained.evaluate(tail)

    inc_hr = inc_hits / max(inc_asked, 1)
    full_hr = full_hits / max(full_asked, 1)
    rows = [
        ("dataset", args.path.name),
        ("events imported", f"{report.appended:,}"),
        ("training events (first share)", f"{cutoff:,}"),
        ("held-out interactions scored", f"{inc_asked:,}"),
        ("incremental: seconds / events per s", f"{incremental_s:.1f} / {cutoff / incremental_s:,.0f}"),
        ("full retrain: seconds", f"{retrain_s:.1f} ({config.retrain_epochs} epochs)"),
        ("incremental HR@10 on held-out tail", f"{inc_hr:.4f}"),
        ("full retrain HR@10 on held-out tail", f"{full_hr:.4f}"),
        (
            "gap (retrain - incremental) / retrain",
            f"{(full_hr - inc_hr) / full_hr:+.1%}" if full_hr else "n/a",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        json.dumps(
            {
                "dataset": args.path.name,
                "trainer_events_per_s": round(cutoff / incremental_s, 1),
                "incremental_hr10": round(inc_hr, 5),
                "retrain_hr10": round(full_hr, 5),
                "retrain_gap_relative": round((full_hr - inc_hr) / full_hr, 4) if full_hr else None,
                "retrain_s": round(retrain_s, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
