#!/usr/bin/env python
"""Benchmark: edgerec's offline evaluation on the shared datasets; prints a table, then one JSON line.

Until the importer is wired in, this script reads the files itself (Amazon S3-Rec .txt +
item2attributes.json, MovieLens ratings.csv + movies.csv) into the interactions/catalogue frames
of the data contract.

    .venv/bin/python scripts/bench_eval.py --datasets beauty --models ease,sasrec,blend
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edgerec.evaluation.harness import PROTOCOLS, evaluate  # noqa: E402

SHARED = REPO / ".." / "shared" / "datasets"
DAY_US = 86_400_000_000
T0 = 1_500_000_000_000_000


def _frame(users: list[str], items: list[str], times: np.ndarray, event: str) -> pd.DataFrame:
    n = len(users)
    return pd.DataFrame(
        {
            "user_id": users,
            "item_id": items,
            "occurred_at": np.asarray(times, dtype=np.int64),
            "event_type": [event] * n,
            "session_id": users,
            "store_id": [None] * n,
            "position": np.arange(n, dtype=np.int64),
        }
    )


def load_amazon(txt: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lines `user item item ...` in time order; timestamps are synthesised one day apart."""
    rows: list[tuple[int, str, str]] = []
    for line in txt.read_text().splitlines():
        user, *items = line.split()
        rows += [(j, user, it) for j, it in enumerate(items)]
    rows.sort(key=lambda r: r[0])  # a stable log order: step 0 of everyone, then step 1, ...
    inter = _frame(
        [r[1] for r in rows],
        [r[2] for r in rows],
        T0 + np.array([r[0] for r in rows], dtype=np.int64) * DAY_US,
        "rated",
    )
    attrs_path = txt.with_name(txt.stem + "_item2attributes.json")
    attrs = json.loads(attrs_path.read_text()) if attrs_path.exists() else {}
    ids = list(dict.fromkeys([*attrs, *inter["item_id"]]))
    catalogue = pd.DataFrame(
        {
            "item_id": ids,
            "title": None,
            "category": None,
            "brand": None,
            "price": np.nan,
            "description": None,
            "attributes": [{f"a{a}": "1" for a in attrs[i]} if i in attrs else None for i in ids],
        }
    )
    return inter, catalogue


def load_movielens(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = pd.read_csv(folder / "ratings.csv").sort_values(["timestamp", "userId"], kind="stable")
    inter = _frame(
        r["userId"].astype(str).tolist(),
        r["movieId"].astype(str).tolist(),
        r["timestamp"].to_numpy(dtype=np.int64) * 1_000_000,
        "rated",
    )
    m = pd.read_csv(folder / "movies.csv")
    catalogue = pd.DataFrame(
        {
            "item_id": m["movieId"].astype(str),
            "title": m["title"],
            "category": m["genres"].str.replace("|", "/"),
            "brand": None,
            "price": np.nan,
            "description": None,
            "attributes": None,
        }
    )
    return inter, catalogue


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--beauty", type=Path, default=SHARED / "amazon-s3rec" / "Beauty.txt")
    p.add_argument("--sports", type=Path, default=SHARED / "amazon-s3rec" / "Sports_and_Outdoors.txt")
    p.add_argument("--movielens", type=Path, default=SHARED / "ml-latest-small")
    p.add_argument("--datasets", default="beauty", help="comma list of beauty, sports, movielens")
    p.add_argument("--models", default=None, help="comma list (default: every model)")
    p.add_argument("--protocol", default="leave-last-out", choices=PROTOCOLS)
    p.add_argument("--include-seen", action="store_true")
    p.add_argument("--tune", action="store_true")
    p.add_argument("--seeds", default="0", help="comma list of seeds; the spread is reported")
    p.add_argument("--device", default="cpu")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    loaders = {
        "beauty": lambda: load_amazon(a.beauty),
        "sports": lambda: load_amazon(a.sports),
        "movielens": lambda: load_movielens(a.movielens),
    }
    models = a.models.split(",") if a.models else None
    seeds = [int(s) for s in a.seeds.split(",")]
    log = None if a.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    results = []
    for name in a.datasets.split(","):
        inter, catalogue = loaders[name]()
        for seed in seeds:
            t0 = time.perf_counter()
            rep = evaluate(
                inter,
                catalogue,
                protocol=a.protocol,
                models=models,
                include_seen=a.include_seen,
                tune=a.tune,
                seed=seed,
                dataset=name,
                device=a.device,
                log=log,
            )
            rep["seed"] = seed
            rep["include_seen"] = a.include_seen
            rep["total_s"] = round(time.perf_counter() - t0, 1)
            results.append(rep)
    keys = ("hr@10", "ndcg@10", "hr@20", "ndcg@20", "mrr", "coverage@10", "fit_s")
    print(f"{'dataset':10s} {'seed':>4s} {'model':14s} " + " ".join(f"{k:>11s}" for k in keys))
    for rep in results:
        for m, vals in rep["models"].items():
            print(
                f"{rep['dataset']:10s} {rep['seed']:4d} {m:14s} " + " ".join(f"{vals[k]:11.4f}" for k in keys)
            )
    if len(seeds) > 1:
        for name in a.datasets.split(","):
            reps = [r for r in results if r["dataset"] == name]
            for m in reps[0]["models"]:
                vals = [r["models"][m]["ndcg@10"] for r in reps]
                print(
                    f"{name} {m}: ndcg@10 mean {statistics.mean(vals):.4f} "
                    f"sd {statistics.stdev(vals):.4f} over seeds {seeds}"
                )
    print(json.dumps({"protocol": a.protocol, "include_seen": a.include_seen, "runs": results}))


if __name__ == "__main__":
    main()
