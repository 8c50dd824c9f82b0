"""Memory a serving recommender keeps per visitor: bounded by `customers_in_memory`, or not.

A kiosk serves a new visitor every few minutes for months. Each visitor here views three items
(recorded, observed) and is then shown a top 10, as on the kiosk. The Python memory the
recommender holds (traced with tracemalloc, after a garbage collection) is measured over the
second half of the visitors, when the bounded recommender is full: per visitor, once with the
limit given and once with no limit, on the same store and the same visitors in the same run.

    .venv/bin/python scripts/bench_visitors.py [--visitors 2000] [--limit 500]

Prints a table, then one JSON line with bytes_per_visitor_limited, bytes_per_visitor_unlimited
and customers_held_limited.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from bench_realtime import build_store

from edgerec.api import Store
from edgerec.domain import ItemViewed
from edgerec.recommend import Recommender, RecommenderConfig

ITEMS = 200  # few, so that what the recommender keeps per item is full by the second half


def held_per_visitor(store: Store, visitors: int, limit: int, name: str) -> tuple[float, int]:
    """Bytes the recommender gains per visitor over the second half, and customers it holds."""
    rec = Recommender(store, config=replace(RecommenderConfig.default(), customers_in_memory=limit))
    rng = np.random.default_rng(0)
    start = datetime.now(UTC) - timedelta(minutes=3 * visitors + 1)  # none in the future
    half = visitors // 2
    before = 0
    for visitor in range(visitors):
        if visitor == half:
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
        at = start + timedelta(minutes=3 * visitor)
        for step in range(3):
            event = ItemViewed(
                user_id=f"{name}{visitor}",
                item_id=f"item{rng.integers(0, ITEMS)}",
                occurred_at=at + timedelta(seconds=step),
            )
            rec.observe(event, store.record(event))
        rec.recommend(f"{name}{visitor}", k=10, now=at + timedelta(seconds=3))
    gc.collect()
    gained = tracemalloc.get_traced_memory()[0] - before
    return gained / (visitors - half), len(rec.state.users)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=2_000)
    parser.add_argument("--limit", type=int, default=500, help="customers_in_memory of the bounded run")
    args = parser.parse_args(argv)
    if args.limit * 2 > args.visitors:
        parser.error("--limit must be at most half of --visitors, so that the second half runs full")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shop.db"
        build_store(path, ITEMS, 2_000)
        tracemalloc.start()
        with Store(path, synchronous="OFF") as store:
            limited, held = held_per_visitor(store, args.visitors, args.limit, "limited")
        with Store(path, synchronous="OFF") as store:  # other visitors, as many
            unlimited, _ = held_per_visitor(store, args.visitors, args.visitors * 10, "unlimited")
        tracemalloc.stop()
    print(f"{'customers_in_memory':>22} | bytes held per visitor (second half of {args.visitors})")
    print(f"{args.limit:>22,} | {limited:,.0f}  (customers held at the end: {held:,})")
    print(f"{'no limit':>22} | {unlimited:,.0f}")
    print(
        json.dumps(
            {
                "bytes_per_visitor_limited": round(limited),
                "bytes_per_visitor_unlimited": round(unlimited),
                "customers_held_limited": held,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
