"""Latency of the real-time path: durable append + state update + a new explained top-10.

For each catalogue size, events are replayed one at a time through the public API
(`Store.record`, `Recommender.observe`, `Recommender.recommend` with shop rules, variety and
explanations, and a 64-dimensional embedding source folded in per request: exact numpy
scoring up to 50,000 items, a faiss IVF index above). In the same run the bare floor is
measured: one SQLite commit (same PRAGMAs) plus one numpy matrix-vector product and
`argpartition` over the same embeddings. The catalogue and its embeddings are synthetic:
items in categories, vectors clustered around their category's centre.

    .venv/bin/python scripts/bench_realtime.py                       # 10k, 100k, 1M
    .venv/bin/python scripts/bench_realtime.py --sizes 10000 --memory-events 0

Prints a table, then one JSON line.
"""

from __future__ import annotations

import os

# One BLAS thread: a latency path on 2 cores loses more to thread hand-offs than it gains.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from edgerec.api import Store  # noqa: E402
from edgerec.domain import AddedToCart, Event, ItemListed, ItemViewed  # noqa: E402
from edgerec.recommend import Recommender, RuleSet  # noqa: E402
from edgerec.recommend.embeddings import EmbeddingSnapshot, EmbeddingSource  # noqa: E402
from edgerec.recommend.sources import builtin_sources  # noqa: E402

DIM = 64
USERS = 2_000
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def categories_for(n: int) -> int:
    return max(10, n // 200)


def embeddings(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    groups = categories_for(n)
    centres = rng.standard_normal((groups, DIM), dtype=np.float32)
    vectors = centres[np.arange(n) % groups] + 0.5 * rng.standard_normal((n, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def popular_items(n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """Item numbers with a long-tailed popularity (Zipf-like)."""
    return (rng.zipf(1.3, count) - 1) % n


def build_store(path: Path, n: int, events: int, seed: int = 0) -> None:
    """A store with n listed items (10% out of stock) and `events` shopper events."""
    rng = np.random.default_rng(seed)
    groups = categories_for(n)
    with Store(path, synchronous="OFF") as store:
        for start in range(0, n, 20_000):
            store.record_many([
                ItemListed(item_id=f"item{i}", title=f"Item {i}", category=f"cat{i % groups}",
                           brand=f"brand{i % 500}", price=float(1 + i % 90),
                           stock=0 if i % 10 == 9 else 5, occurred_at=T0)
                for i in range(start, min(n, start + 20_000))
            ])
        items = popular_items(n, events, rng)
        users = rng.integers(0, USERS, events)
        for start in range(0, events, 20_000):
            batch: list[Event] = []
            for j in range(start, min(events, start + 20_000)):
                when = T0 + timedelta(seconds=j)
                cls = AddedToCart if j % 20 == 0 else ItemViewed
                batch.append(cls(user_id=f"user{users[j]}", item_id=f"item{items[j]}",
                                 occurred_at=when))
            store.record_many(batch)


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1e3
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)),
            "p999": float(np.percentile(ms, 99.9))}


def recommender(store: Store, vectors: np.ndarray) -> tuple[Recommender, EmbeddingSource]:
    ids = tuple(f"item{i}" for i in range(len(vectors)))
    source = EmbeddingSource(EmbeddingSnapshot(ids, vectors))
    rules = RuleSet(promote_items={"item3": 0.5}, exclude_categories=frozenset({"cat1"}))
    rec = Recommender(store, rules=rules, sources=[*builtin_sources(), source])
    return rec, source


def replay(store: Store, rec: Recommender, n: int, count: int, seed: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    items = popular_items(n, count, rng)
    users = rng.integers(0, 500, count)
    now = datetime.now(UTC)
    timings: dict[str, list[float]] = {"total": [], "record": [], "observe": [], "recommend": []}
    for j in range(count):
        cls = AddedToCart if j % 20 == 0 else ItemViewed
        event = cls(user_id=f"user{users[j]}", item_id=f"item{items[j]}",
                    occurred_at=now + timedelta(milliseconds=j))
        started = time.perf_counter()
        position = store.record(event)
        recorded = time.perf_counter()
        rec.observe(event, position)
        observed = time.perf_counter()
        recs = rec.recommend(event.user_id or "", k=10, now=event.occurred_at)
        done = time.perf_counter()
        assert len(recs) == 10 and all(r.reasons for r in recs)
        timings["total"].append(done - started)
        timings["record"].append(recorded - started)
        timings["observe"].append(observed - recorded)
        timings["recommend"].append(done - observed)
    return timings


def floor(folder: Path, vectors: np.ndarray, count: int, synchronous: str) -> list[float]:
    """One SQLite commit + one matrix-vector product + argpartition, nothing else."""
    conn = sqlite3.connect(folder / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    rng = np.random.default_rng(1)
    queries = vectors[rng.integers(0, len(vectors), count)]
    out = []
    for j in range(count):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (f"event {j}",))
        conn.execute("COMMIT")
        scores = vectors @ queries[j]
        np.argpartition(-scores, 10)[:10]
        out.append(time.perf_counter() - started)
    conn.close()
    return out


def ann_recall(source: EmbeddingSource, vectors: np.ndarray, queries: int = 200) -> float | None:
    if not source.uses_ann:
        return None
    rng = np.random.default_rng(2)
    anchors = rng.integers(0, len(vectors), (queries, 3))
    hits = []
    for row in anchors:
        query = vectors[row].mean(axis=0)
        exact = np.argpartition(-(vectors @ query), 10)[:10]
        found, _ = source._index.search(query, 10)
        hits.append(len(set(exact.tolist()) & set(found.tolist())) / 10)
    return float(np.mean(hits))


def serve_child(path: str, n: int, count: int) -> None:
    """Runs in a fresh process: open, serve `count` requests, print peak RSS in GiB."""
    with Store(path) as store:
        rec, _ = recommender(store, embeddings(n))
        replay(store, rec, n, count, seed=7)
    print(json.dumps({"rss_gib": peak_rss_kib() / 2**20}))


def peak_rss_kib() -> int:
    """This process's peak resident memory. ru_maxrss would be wrong here: Linux carries the
    parent's high-water mark across fork + exec; VmHWM belongs to this address space only."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--background-events", type=int, default=20_000)
    parser.add_argument("--memory-events", type=int, default=1_000_000,
                        help="events in the log of the 100k-item memory check (0 skips it)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "edgerec-bench"))
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--serve-child", nargs=3, metavar=("DB", "ITEMS", "REQUESTS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_child:
        serve_child(args.serve_child[0], int(args.serve_child[1]), int(args.serve_child[2]))
        return 0

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",") if s):
        path = work / f"catalogue_{n}_{args.background_events}.db"
        if not path.exists():
            started = time.perf_counter()
            build_store(path, n, args.background_events)
            print(f"built {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        vectors = embeddings(n)
        with Store(path, synchronous=args.synchronous) as store:
            started = time.perf_counter()
            rec, source = recommender(store, vectors)
            load_s = time.perf_counter() - started
            replay(store, rec, n, 100, seed=3)  # warm-up
            timings = replay(store, rec, n, args.requests, seed=5)
        base = floor(work, vectors, args.requests, args.synchronous)
        total, fl = percentiles(timings["total"]), percentiles(base)
        rows.append({
            "items": n, **total, "floor_p99": fl["p99"], "floor_p50": fl["p50"],
            "ratio_p99": total["p99"] / fl["p99"],
            "record_p50": percentiles(timings["record"])["p50"],
            "record_p99": percentiles(timings["record"])["p99"],
            "observe_p99": percentiles(timings["observe"])["p99"],
            "recommend_p50": percentiles(timings["recommend"])["p50"],
            "recommend_p99": percentiles(timings["recommend"])["p99"],
            "index": "faiss IVF" if source.uses_ann else "exact",
            "recall10": ann_recall(source, vectors), "load_s": load_s,
        })

    rss = None
    if args.memory_events:
        path = work / f"memory_100000_{args.memory_events}.db"
        if not path.exists():
            started = time.perf_counter()
            build_store(path, 100_000, args.memory_events)
            print(f"built {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--serve-child", str(path), "100000", "500"],
                             check=True, capture_output=True, text=True)
        rss = json.loads(out.stdout.strip().splitlines()[-1])["rss_gib"]

    print(f"{'items':>9} {'index':>9} {'p50':>7} {'p99':>7} {'p99.9':>7} {'floor99':>8} "
          f"{'ratio':>6} {'rec50':>6} {'rec99':>6} {'reco50':>7} {'reco99':>7} {'recall':>6}")
    for r in rows:
        recall = "-" if r["recall10"] is None else f"{r['recall10']:.3f}"
        print(f"{r['items']:>9} {r['index']:>9} {r['p50']:>7.2f} {r['p99']:>7.2f} "
              f"{r['p999']:>7.2f} {r['floor_p99']:>8.2f} {r['ratio_p99']:>6.1f} "
              f"{r['record_p50']:>6.2f} {r['record_p99']:>6.2f} {r['recommend_p50']:>7.2f} "
              f"{r['recommend_p99']:>7.2f} {recall:>6}")
    print("times in ms; p50/p99/p99.9: record + observe + recommend (top-10, rules, explanations);"
          " floor: one commit + matvec + argpartition; rec: Store.record alone; reco: recommend "
          f"alone; synchronous={args.synchronous}; {args.requests} requests per size")
    print("trainer following the log: not yet available (edgerec.training), so no trainer lag")
    if rss is not None:
        print(f"serving 100,000 items with {args.memory_events:,} events in the log: "
              f"peak RSS {rss:.3f} GiB")
    by_size = {r["items"]: r for r in rows}

    def pick(n: int, key: str) -> float | None:
        value = by_size.get(n, {}).get(key)
        return None if value is None else round(float(value), 4)

    print(json.dumps({
        "p99_ms_10k": pick(10_000, "p99"), "p99_ms_100k": pick(100_000, "p99"),
        "p99_ms_1m": pick(1_000_000, "p99"), "p999_ms_100k": pick(100_000, "p999"),
        "ann_recall_at_10_1m": pick(1_000_000, "recall10"),
        "floor_ratio_100k": pick(100_000, "ratio_p99"),
        "trainer_lag_p99_s": None,
        "serve_rss_gib": None if rss is None else round(rss, 4),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
