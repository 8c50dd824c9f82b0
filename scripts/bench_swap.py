#!/usr/bin/env python
"""Installing trainer snapshots above the exact-scoring size: seconds per swap and ANN recall.

A serving recommender swaps in every snapshot the trainer publishes; above 50,000 items each
swap builds an approximate (faiss IVF) index in a background thread of the serving process.
This replays a run of snapshots whose vectors drift a little and whose catalogue grows, as a
trainer's do, and times each swap two ways, alternating in the same run:

  retrain  a fresh index for every snapshot, centroids trained on it (how every swap worked
           before centroids were reused);
  reuse    `EmbeddingSource.swap`, which reuses the previous index's centroids, choosing its
           probes again for the new vectors, unless that takes twice the probes the centroids
           started with or the catalogue grew by a quarter (then it trains them again).

Recall@10 against exact scoring is measured on each snapshot, both ways.

    .venv/bin/python scripts/bench_swap.py [--sizes 100000,1000000] [--swaps 18] [--drift 0.05]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import os

# One thread, as in bench_realtime.py: the build runs beside the request path on 2 cores.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from bench_realtime import ann_recall, embeddings  # noqa: E402

from edgerec.recommend.embeddings import EmbeddingSnapshot, EmbeddingSource  # noqa: E402

GROWTH_PER_SNAPSHOT = 0.005  # new items per snapshot, as a share of the catalogue


def snapshots(n: int, count: int, drift: float, seed: int = 0):  # type: ignore[no-untyped-def]
    """`count` snapshots: each moves every vector by `drift` (relative) and adds new items."""
    rng = np.random.default_rng(seed)
    vectors = embeddings(n, seed)
    for number in range(count):
        ids = tuple(f"item{i}" for i in range(len(vectors)))
        yield number, EmbeddingSnapshot(ids, vectors, position=number)
        dim = vectors.shape[1]
        moved = vectors + drift * rng.standard_normal(vectors.shape, dtype=np.float32) / np.sqrt(dim)
        fresh = embeddings(max(1, int(len(vectors) * GROWTH_PER_SNAPSHOT)), seed + number + 1)
        vectors = np.concatenate([moved, fresh])
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)


def bench_size(n: int, swaps: int, drift: float) -> dict[str, float]:
    retrain_s: list[float] = []
    reuse_s: list[float] = []
    retrain_recall: list[float] = []
    reuse_recall: list[float] = []
    trainings = 0
    serving: EmbeddingSource | None = None
    for number, snapshot in snapshots(n, swaps + 1, drift):
        started = time.perf_counter()
        fresh = EmbeddingSource(snapshot)
        built = time.perf_counter() - started
        if serving is None:  # the first snapshot: both start from a trained index
            serving = fresh
            continue
        retrain_s.append(built)
        retrain_recall.append(ann_recall(fresh, snapshot.vectors) or 0.0)
        del fresh
        before = serving._index.coarse
        started = time.perf_counter()
        serving.swap(snapshot)
        reuse_s.append(time.perf_counter() - started)
        reuse_recall.append(ann_recall(serving, snapshot.vectors) or 0.0)
        trained = (
            before is None
            or serving._index.coarse is None
            or serving._index.coarse.quantiser is not before.quantiser
        )
        trainings += trained
        print(
            f"  {n:>9,} items, snapshot {number:>2}: retrain {retrain_s[-1]:.2f} s "
            f"(recall {retrain_recall[-1]:.3f}), reuse {reuse_s[-1]:.2f} s (recall {reuse_recall[-1]:.3f}"
            f"{', trained again' if trained else ''})",
            flush=True,
        )
    return {
        "retrain_s": statistics.median(retrain_s),
        "reuse_s": statistics.median(reuse_s),
        "retrain_min_recall": min(retrain_recall),
        "reuse_min_recall": min(reuse_recall),
        "reuse_trainings": trainings,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--swaps", type=int, default=18, help="snapshots swapped in after the first")
    parser.add_argument("--drift", type=float, default=0.05, help="relative move of each vector per snapshot")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {n: bench_size(n, args.swaps, args.drift) for n in sizes}
    print(f"\nsnapshot swaps ({args.swaps} per size, drift {args.drift} per snapshot, medians)")
    print(
        f"  {'items':>9}  {'retrain':>9}  {'reuse':>9}  {'ratio':>6}  {'min recall retrain / reuse':>27}"
        "  trained again"
    )
    for n, r in results.items():
        ratio = r["reuse_s"] / r["retrain_s"]
        print(
            f"  {n:>9,}  {r['retrain_s']:>7.2f} s  {r['reuse_s']:>7.2f} s  {ratio:>6.2f}"
            f"  {r['retrain_min_recall']:>13.3f} / {r['reuse_min_recall']:.3f}"
            f"  {r['reuse_trainings']} of {args.swaps}"
        )
    print(json.dumps({str(n): {k: round(v, 4) for k, v in r.items()} for n, r in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
