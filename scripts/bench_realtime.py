"""Latency of the real-time path: durable append + state update + a new explained top-10.

For each catalogue size, events are replayed one at a time through the public API
(`Store.record`, `Recommender.observe`, `Recommender.recommend` with shop rules, variety and
explanations, and a 64-dimensional embedding source folded in per request: exact numpy
scoring up to 50,000 items, a faiss IVF index above; with `--embeddings trainer`, the trainer's
own published model, swapped in as the trainer publishes during the run). Right after it,
with the trainer still following, the bare floor is measured: one SQLite commit (same
PRAGMAs) plus one numpy matrix-vector product and `argpartition` over the same embeddings.
(Interleaving the two event by event was tried: at 1M items the floor's 256 MB product evicts
the caches and made the measured path's ranking three times slower.) The catalogue and its
embeddings are synthetic: items in categories, vectors clustered around their category's
centre.

The incremental trainer follows each store's log in another process (`edgerec train
--follow`) during the latency run, so recording and recommending share the machine with it.
Trainer lag: on the smallest catalogue, events are then recorded at 50 per second (each
followed by a recommendation from a default `Recommender`, which hot-swaps the trainer's
snapshots); for every event, the time until a published snapshot covers its log position.

    .venv/bin/python scripts/bench_realtime.py                       # 10k, 100k, 1M
    .venv/bin/python scripts/bench_realtime.py --sizes 10000 --memory-events 0
    .venv/bin/python scripts/bench_realtime.py --sizes 10000 --lag-seconds 0 --trainer busy

`--trainer off` times the path with no trainer, and `--trainer busy` with a process that only
spins a core in the trainer's place: what any busy neighbour costs on this machine.

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
from edgerec.recommend.trained import SNAPSHOT_FILE  # noqa: E402
from edgerec.training.files import model_dir  # noqa: E402

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
            store.record_many(
                [
                    ItemListed(
                        item_id=f"item{i}",
                        title=f"Item {i}",
                        category=f"cat{i % groups}",
                        brand=f"brand{i % 500}",
                        price=float(1 + i % 90),
                        stock=0 if i % 10 == 9 else 5,
                        occurred_at=T0,
                    )
                    for i in range(start, min(n, start + 20_000))
                ]
            )
        items = popular_items(n, events, rng)
        users = rng.integers(0, USERS, events)
        for start in range(0, events, 20_000):
            batch: list[Event] = []
            for j in range(start, min(events, start + 20_000)):
                when = T0 + timedelta(seconds=j)
                cls = AddedToCart if j % 20 == 0 else ItemViewed
                batch.append(cls(user_id=f"user{users[j]}", item_id=f"item{items[j]}", occurred_at=when))
            store.record_many(batch)


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.asarray(samples) * 1e3
    return {
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "p999": float(np.percentile(ms, 99.9)),
    }


def recommender(store: Store, vectors: np.ndarray | None) -> tuple[Recommender, EmbeddingSource]:
    """The serving recommender with shop rules, over `vectors`, or with None over the trainer's
    published model (the default sources), hot-swapped whenever the trainer publishes."""
    rules = RuleSet(promote_items={"item3": 0.5}, exclude_categories=frozenset({"cat1"}))
    if vectors is None:
        rec = Recommender(store, rules=rules)
        assert rec.model is not None
        return rec, rec.model.source
    ids = tuple(f"item{i}" for i in range(len(vectors)))
    source = EmbeddingSource(EmbeddingSnapshot(ids, vectors))
    rec = Recommender(store, rules=rules, sources=[*builtin_sources(), source])
    return rec, source


class Floor:
    """The bare floor, one step per event: one SQLite commit (same PRAGMAs) + one matrix-vector
    product + argpartition over the same embeddings, nothing else."""

    def __init__(self, folder: Path, vectors: np.ndarray, synchronous: str) -> None:
        self.vectors = vectors
        self.conn = sqlite3.connect(folder / "floor.db", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        self.conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
        self.rng = np.random.default_rng(1)

    def step(self) -> float:
        query = self.vectors[self.rng.integers(0, len(self.vectors))]
        started = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO t (v) VALUES ('event')")
        self.conn.execute("COMMIT")
        scores = self.vectors @ query
        np.argpartition(-scores, 10)[:10]
        return time.perf_counter() - started

    def close(self) -> None:
        self.conn.close()


def replay(store: Store, rec: Recommender, n: int, count: int, seed: int) -> dict[str, list[float]]:
    """Records `count` events one at a time, each followed by observe + an explained top 10."""
    rng = np.random.default_rng(seed)
    items = popular_items(n, count, rng)
    users = rng.integers(0, 500, count)
    now = datetime.now(UTC)
    timings: dict[str, list[float]] = {"total": [], "record": [], "observe": [], "recommend": []}
    for j in range(count):
        cls = AddedToCart if j % 20 == 0 else ItemViewed
        event = cls(
            user_id=f"user{users[j]}", item_id=f"item{items[j]}", occurred_at=now + timedelta(milliseconds=j)
        )
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


class FollowingTrainer:
    """`edgerec train --follow` on one store, in its own process."""

    def __init__(self, path: Path, device: str) -> None:
        self.path = path
        self.snapshot = model_dir(str(path)) / SNAPSHOT_FILE
        self.log = (path.parent / f"{path.name}.trainer.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from edgerec.cli import main; main()",
                "--db",
                str(path),
                "train",
                "--follow",
                "--device",
                device,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def published(self) -> int:
        """The log position of the published snapshot (0 when there is none)."""
        try:
            with np.load(self.snapshot, allow_pickle=False) as data:
                return int(data["position"])
        except (OSError, ValueError, KeyError):
            return 0

    def wait_caught_up(self, head: int, timeout_s: float) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout_s and self.process.poll() is None:
            if self.published() >= head:
                break
            time.sleep(0.5)
        return time.perf_counter() - started

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: the trainer finishes its step and checkpoints
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class BusyLoop:
    """A process that only keeps a core busy, in place of the trainer (`--trainer busy`): what
    the latency loses to any busy neighbour process, without the trainer's reads and writes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def trainer_lag(
    store: Store, trainer: FollowingTrainer, n: int, seconds: float, rate: float
) -> dict[str, float]:
    """Records `rate` events per second for `seconds`; per event, the time until a published
    snapshot covers it (trainer lag) and until the serving recommender has swapped it in."""
    rec = Recommender(store)  # the default sources: follows the trainer's snapshot
    assert rec.model is not None
    rng = np.random.default_rng(11)
    appended: list[tuple[float, int]] = []
    published: list[tuple[float, int]] = []
    swapped: list[tuple[float, int]] = []
    signature = None
    started = time.perf_counter()
    due = started

    def covered() -> bool:
        return bool(appended) and bool(published) and published[-1][1] >= appended[-1][1]

    while True:
        now = time.perf_counter()
        writing = now - started < seconds
        if not writing and (covered() or now - started > seconds + 30):
            break
        if writing and now >= due:
            event = ItemViewed(
                user_id=f"user{rng.integers(0, 500)}",
                item_id=f"item{popular_items(n, 1, rng)[0]}",
                occurred_at=datetime.now(UTC),
            )
            position = store.record(event)
            appended.append((time.perf_counter(), position))
            rec.observe(event, position)
            rec.recommend(event.user_id or "", k=10)
            swapped.append((time.perf_counter(), rec.model.position))
            due += 1.0 / rate
        try:
            stat = trainer.snapshot.stat()
            current = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            current = None
        if current != signature:
            signature = current
            published.append((time.perf_counter(), trainer.published()))
        time.sleep(0.002)

    def lags(marks: list[tuple[float, int]]) -> np.ndarray:
        times = np.array([t for t, _ in marks] + [np.inf])
        running = np.maximum.accumulate(np.array([p for _, p in marks] + [np.iinfo(np.int64).max]))
        out = []
        for at, position in appended:
            first = int(np.searchsorted(running, position))  # first mark covering the event
            out.append(max(0.0, times[first] - at) if np.isfinite(times[first]) else np.inf)
        return np.asarray(out)

    trainer_lags, swap_lags = lags(published), lags(swapped)
    finite = swap_lags[np.isfinite(swap_lags)]
    return {
        "events": float(len(appended)),
        "snapshots": float(len(published)),
        "lag_p50_s": float(np.percentile(trainer_lags, 50)),
        "lag_p99_s": float(np.percentile(trainer_lags, 99)),
        "lag_max_s": float(trainer_lags.max()),
        "swap_p50_s": float(np.percentile(finite, 50)) if len(finite) else float("nan"),
        "swap_p99_s": float(np.percentile(finite, 99)) if len(finite) else float("nan"),
        "swap_covered": float(len(finite) / max(len(swap_lags), 1)),
        "swaps": float(rec.model.swaps),
    }


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
    parser.add_argument(
        "--memory-events",
        type=int,
        default=1_000_000,
        help="events in the log of the 100k-item memory check (0 skips it)",
    )
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "edgerec-bench"))
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument(
        "--trainer",
        choices=["follow", "off", "busy"],
        default="follow",
        help="run `edgerec train --follow` on each store during its latency run (busy: a "
        "process that only spins a core instead)",
    )
    parser.add_argument("--trainer-device", default="cpu")
    parser.add_argument(
        "--trainer-wait-s",
        type=float,
        default=300.0,
        help="how long to let the trainer catch up before timing (then time anyway)",
    )
    parser.add_argument(
        "--lag-seconds",
        type=float,
        default=30.0,
        help="seconds of 50 events/s for the trainer-lag measurement (0 skips it)",
    )
    parser.add_argument("--lag-rate", type=float, default=50.0)
    parser.add_argument(
        "--embeddings",
        choices=["synthetic", "trainer"],
        default="synthetic",
        help="rank with the synthetic vectors, or with the trainer's published model, swapped in "
        "as the trainer publishes during the run (what a served store does)",
    )
    parser.add_argument("--serve-child", nargs=3, metavar=("DB", "ITEMS", "REQUESTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_child:
        serve_child(args.serve_child[0], int(args.serve_child[1]), int(args.serve_child[2]))
        return 0

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    lag: dict[str, float] | None = None
    sizes = [int(s) for s in args.sizes.split(",") if s]
    for n in sizes:
        path = work / f"catalogue_{n}_{args.background_events}.db"
        if not path.exists():
            started = time.perf_counter()
            build_store(path, n, args.background_events)
            print(f"built {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        vectors = embeddings(n)
        trainer = FollowingTrainer(path, args.trainer_device) if args.trainer == "follow" else None
        busy = BusyLoop() if args.trainer == "busy" else None
        trainer_note = "off" if busy is None else "a busy loop instead"
        try:
            with Store(path, synchronous=args.synchronous) as store:
                if trainer is not None:
                    waited = trainer.wait_caught_up(store.head(), args.trainer_wait_s)
                    behind = store.head() - trainer.published()
                    trainer_note = (
                        f"caught up in {waited:.0f} s"
                        if behind <= 0
                        else f"still {behind:,} events behind after {waited:.0f} s"
                    )
                    print(f"{n} items: trainer {trainer_note}", file=sys.stderr)
                started = time.perf_counter()
                rec, source = recommender(store, vectors if args.embeddings == "synthetic" else None)
                load_s = time.perf_counter() - started
                replay(store, rec, n, 100, seed=3)  # warm-up
                swaps_before = rec.model.swaps if rec.model is not None else 0
                timings = replay(store, rec, n, args.requests, seed=5)
                swaps = (rec.model.swaps if rec.model is not None else 0) - swaps_before
                ranked = vectors if args.embeddings == "synthetic" else source._index.vectors
                floor = Floor(work, vectors, args.synchronous)
                timings["floor"] = [floor.step() for _ in range(args.requests)]
                floor.close()
                if trainer is not None and args.lag_seconds and n == min(sizes):
                    lag = trainer_lag(store, trainer, n, args.lag_seconds, args.lag_rate)
        finally:
            if trainer is not None:
                trainer.stop()
            if busy is not None:
                busy.stop()
        total, fl = percentiles(timings["total"]), percentiles(timings["floor"])
        rows.append(
            {
                "items": n,
                **total,
                "floor_p99": fl["p99"],
                "floor_p50": fl["p50"],
                "ratio_p99": total["p99"] / fl["p99"],
                "record_p50": percentiles(timings["record"])["p50"],
                "record_p99": percentiles(timings["record"])["p99"],
                "observe_p50": percentiles(timings["observe"])["p50"],
                "observe_p99": percentiles(timings["observe"])["p99"],
                "recommend_p50": percentiles(timings["recommend"])["p50"],
                "recommend_p99": percentiles(timings["recommend"])["p99"],
                "index": "faiss IVF" if source.uses_ann else "exact",
                "recall10": ann_recall(source, ranked),
                "load_s": load_s,
                "trainer": trainer_note,
                "swaps": swaps,
            }
        )

    rss = None
    if args.memory_events:
        path = work / f"memory_100000_{args.memory_events}.db"
        if not path.exists():
            started = time.perf_counter()
            build_store(path, 100_000, args.memory_events)
            print(f"built {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        out = subprocess.run(
            [sys.executable, __file__, "--serve-child", str(path), "100000", "500"],
            check=True,
            capture_output=True,
            text=True,
        )
        rss = json.loads(out.stdout.strip().splitlines()[-1])["rss_gib"]

    print(
        f"{'items':>9} {'index':>9} {'p50':>7} {'p99':>7} {'p99.9':>7} {'floor99':>8} "
        f"{'ratio':>6} {'rec50':>6} {'rec99':>6} {'obs50':>6} {'obs99':>6} {'reco50':>7} "
        f"{'reco99':>7} {'recall':>6} {'swaps':>5}  trainer"
    )
    for r in rows:
        recall = "-" if r["recall10"] is None else f"{r['recall10']:.3f}"
        print(
            f"{r['items']:>9} {r['index']:>9} {r['p50']:>7.2f} {r['p99']:>7.2f} "
            f"{r['p999']:>7.2f} {r['floor_p99']:>8.2f} {r['ratio_p99']:>6.1f} "
            f"{r['record_p50']:>6.2f} {r['record_p99']:>6.2f} {r['observe_p50']:>6.2f} "
            f"{r['observe_p99']:>6.2f} {r['recommend_p50']:>7.2f} "
            f"{r['recommend_p99']:>7.2f} {recall:>6} {r['swaps']:>5}  {r['trainer']}"
        )
    print(
        "times in ms; p50/p99/p99.9: record + observe + recommend (top-10, rules, explanations);"
        " floor: one commit + matvec + argpartition; rec: Store.record alone; obs: observe "
        f"alone; reco: recommend alone; synchronous={args.synchronous}; {args.requests} requests"
        f" per size; trainer: `edgerec train --follow` ({args.trainer}) in another process;"
        f" embeddings: {args.embeddings} (swaps: trainer snapshots swapped in during the timed run)"
    )
    if lag is not None:
        print(
            f"trainer lag at {args.lag_rate:.0f} events/s for {args.lag_seconds:.0f} s on "
            f"{min(sizes):,} items ({lag['events']:.0f} events, {lag['snapshots']:.0f} snapshots "
            f"published): until a published snapshot covers an event p50 {lag['lag_p50_s']:.2f} s,"
            f" p99 {lag['lag_p99_s']:.2f} s, max {lag['lag_max_s']:.2f} s; until the serving "
            f"recommender has swapped it in p50 {lag['swap_p50_s']:.2f} s, p99 "
            f"{lag['swap_p99_s']:.2f} s ({lag['swap_covered']:.0%} of events covered before "
            f"the writes ended, {lag['swaps']:.0f} swaps)"
        )
    if rss is not None:
        print(f"serving 100,000 items with {args.memory_events:,} events in the log: peak RSS {rss:.3f} GiB")
    by_size = {r["items"]: r for r in rows}

    def pick(n: int, key: str) -> float | None:
        value = by_size.get(n, {}).get(key)
        return None if value is None else round(float(value), 4)

    print(
        json.dumps(
            {
                "p99_ms_10k": pick(10_000, "p99"),
                "p99_ms_100k": pick(100_000, "p99"),
                "p99_ms_1m": pick(1_000_000, "p99"),
                "p999_ms_100k": pick(100_000, "p999"),
                "ann_recall_at_10_1m": pick(1_000_000, "recall10"),
                "floor_ratio_100k": pick(100_000, "ratio_p99"),
                "trainer_lag_p99_s": None if lag is None else round(lag["lag_p99_s"], 3),
                "serve_rss_gib": None if rss is None else round(rss, 4),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
