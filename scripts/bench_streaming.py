"""Prequential (test-then-learn) evaluation of the real-time recommender on real streams.

Events are replayed in time order; before each event of a customer (Taobao user, or YOOCHOOSE
session) with at least one earlier event, the engine is asked for its top 10 with the
evaluation policy (no shop rule or re-rank that could hide the answer), a hit is counted if
the event's item is in it, and then the event is observed. Baselines come from the same
requests: popularity, co-occurrence alone, and the customer's own recent items, most recent
first.

The trainer follows the replay in process, deterministically: after every `--block` events
it learns them (`Trainer.learn`, replay included) and its snapshot is installed into the
recommender's model (what `edgerec train --follow` publishes and the recommender hot-swaps).

  realtime  the full engine, trainer following.
  frozen    the same engine with everything it learns from the crowd frozen when counting
            starts (what a nightly retrain gives): the trainer's snapshot, co-occurrence
            counts and popularity. Each customer's own events still count at once (history,
            session, the fold-in of their latest items into their vector), and items first
            seen later are placed by the frozen model's content tower.

Splits (no tuning data is ever counted):
  taobao     UserBehavior_timeslice_110k.csv: the first half warms the state, hits are counted
             on the second half. Tuning (--tune) uses only the first half: warm on its first
             quarter, count on the rest.
  yoochoose  train_full warms the state, hits are counted on test. Tuning uses train_tr to
             warm and train_valid to count.

    .venv/bin/python scripts/bench_streaming.py                 # evaluate the shipped weights
    .venv/bin/python scripts/bench_streaming.py --tune --write-defaults

Prints a table, then one JSON line.
"""

from __future__ import annotations

import os

# One BLAS thread: the requests are matrix-vector products, which lose more to thread
# hand-offs than they gain (and the trainer runs torch on one thread too).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from edgerec.recommend import Policy, Recommender, RecommenderConfig  # noqa: E402
from edgerec.recommend.config import DEFAULT_CONFIG_RESOURCE  # noqa: E402
from edgerec.recommend.shop_tuning import FollowingTrainer, replay_recommender  # noqa: E402
from edgerec.recommend.tune import TARGET_TYPES, replay, tune_weights  # noqa: E402
from edgerec.store.codec import StoredEvent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
TAOBAO = DATASETS / "taobao-userbehavior" / "UserBehavior_timeslice_110k.csv"
YOOCHOOSE = DATASETS / "yoochoose-rsc15-100k"
K = 10
TUNING_SPLITS = {
    "taobao": "the Taobao timeslice's first half (warm 1st quarter)",
    "yoochoose": "YOOCHOOSE train_tr -> train_valid",
}
_TAOBAO_TYPES = {"pv": "item_viewed", "cart": "added_to_cart", "fav": "item_favourited", "buy": "purchased"}


# --- readers ------------------------------------------------------------------------------


def read_via_ingest(path: Path, fmt: str, limit: int | None = None) -> list[StoredEvent]:
    """The file imported by edgerec.ingest into a scratch store, read back in time order.

    Near-duplicate removal is off (dedupe_window_s=0) so that every real event is replayed.
    """
    from edgerec.api import Store
    from edgerec.ingest import import_file

    with (
        tempfile.TemporaryDirectory() as folder,
        Store(Path(folder) / "stream.db", synchronous="OFF") as store,
    ):
        import_file(store, path, format=fmt, dedupe_window_s=0)
        events = store.read(limit=limit)
    return _in_time_order(events)


def read_taobao(path: Path, limit: int | None = None) -> list[StoredEvent]:
    """user_id,item_id,category_id,behavior,timestamp rows as log events, in time order."""
    out: list[StoredEvent] = []
    with path.open(newline="") as handle:
        for number, (user, item, category, behaviour, stamp) in enumerate(csv.reader(handle)):
            if limit is not None and number >= limit:
                break
            out.append(
                StoredEvent(
                    0,
                    f"tb{number}",
                    _TAOBAO_TYPES[behaviour],
                    int(stamp) * 1_000_000,
                    user,
                    None,
                    item,
                    None,
                    None,
                    None,
                    {"category": category},
                )
            )
    return _in_time_order(out)


def read_yoochoose(path: Path, prefix: str) -> list[StoredEvent]:
    """SessionId<TAB>ItemId<TAB>Time rows as views, the session standing in for the customer."""
    out: list[StoredEvent] = []
    with path.open(newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows)
        for number, (session, item, stamp) in enumerate(rows):
            out.append(
                StoredEvent(
                    0,
                    f"{prefix}{number}",
                    "item_viewed",
                    int(round(float(stamp) * 1_000_000)),
                    session,
                    session,
                    item,
                    None,
                    None,
                    None,
                    {},
                )
            )
    return _in_time_order(out)


def _in_time_order(events: list[StoredEvent]) -> list[StoredEvent]:
    events.sort(key=lambda e: e.occurred_at)  # stable: ties keep file order
    return [e._replace(position=i + 1) for i, e in enumerate(events)]


@dataclass(frozen=True, slots=True)
class Stream:
    name: str
    events: list[StoredEvent]
    count_from: int  # index of the first event whose request is counted


def streams(limit: int | None, reader: str) -> tuple[list[Stream], list[Stream]]:
    """(evaluation streams, tuning streams)."""
    if reader == "ingest":
        taobao = read_via_ingest(TAOBAO, "taobao", limit)

        def clicks(name: str, _prefix: str) -> list[StoredEvent]:
            return read_via_ingest(YOOCHOOSE / f"yoochoose-clicks-100k_{name}.txt", "yoochoose")
    else:
        taobao = read_taobao(TAOBAO, limit)

        def clicks(name: str, prefix: str) -> list[StoredEvent]:
            return read_yoochoose(YOOCHOOSE / f"yoochoose-clicks-100k_{name}.txt", prefix)

    half = len(taobao) // 2
    tune_taobao = taobao[:half]
    train_full, test = clicks("train_full", "f"), clicks("test", "t")
    train_tr, valid = clicks("train_tr", "r"), clicks("train_valid", "v")
    if limit is not None:
        train_full, test = train_full[-limit:], test[: limit // 4]
        train_tr, valid = train_tr[-limit:], valid[: limit // 4]
    evaluation = [
        Stream("taobao", taobao, half),
        Stream("yoochoose", train_full + test, len(train_full)),
    ]
    tuning = [
        Stream("taobao", tune_taobao, len(tune_taobao) // 4),
        Stream("yoochoose", train_tr + valid, len(train_tr)),
    ]
    return evaluation, tuning


# --- evaluation ---------------------------------------------------------------------------


def baseline_weights(recommender: Recommender) -> dict[str, np.ndarray]:
    names = recommender.names
    engine = recommender.weights

    def only(prefix: str, like_engine: bool = False) -> np.ndarray:
        w = np.array(
            [
                (engine[i] if like_engine else 1.0) if n.startswith(prefix) else 0.0
                for i, n in enumerate(names)
            ]
        )
        return w

    return {
        "popularity": np.array([1.0 if n == "popularity.global" else 0.0 for n in names]),
        "cooccurrence": only("cooccurrence.", like_engine=True),
        "user_history": np.array([1.0 if n == "history.recency" else 0.0 for n in names]),
        "embedding": np.array([1.0 if n == "embedding.user" else 0.0 for n in names]),
    }


def _replayed(config: RecommenderConfig) -> Recommender:
    """A replaying recommender that counts the datasets' hours in UTC: every machine, whatever
    its own time zone, measures the same."""
    return replay_recommender(replace(config, timezone="UTC"))


def evaluate_stream(
    stream: Stream, config: RecommenderConfig, *, frozen: bool, block: int, device: str
) -> dict[str, dict[str, float]]:
    recommender = _replayed(config)
    policy = Policy.evaluation()
    baselines = {} if frozen else baseline_weights(recommender)
    main = "frozen" if frozen else "realtime"
    hits = {name: 0.0 for name in [main, *baselines]}
    rr = dict.fromkeys(hits, 0.0)
    requests = 0
    seen: set[str] = set()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        trainer = FollowingTrainer(Path(folder), block=block, device=device)
        for number, event in enumerate(stream.events):
            if number == stream.count_from and frozen:
                trainer.flush(recommender)
                recommender.freeze()
            user = event.user_id
            if number >= stream.count_from and user in seen and event.type in TARGET_TYPES:
                requests += 1
                started = time.perf_counter()
                table = recommender.candidates(user, now=event.occurred_at)
                top = recommender.finish(table, k=K, policy=policy)
                latencies.append(time.perf_counter() - started)
                ranked = [r.item_id for r in top]
                if event.item_id in ranked:
                    hits[main] += 1
                    rr[main] += 1.0 / (ranked.index(event.item_id) + 1)
                target = recommender.catalogue.index.get(event.item_id or "")
                for name, weights in baselines.items():
                    scores = table.scores(weights)
                    positive = np.flatnonzero(scores > 0)
                    order = positive[np.argsort(-scores[positive], kind="stable")][:K]
                    found = np.flatnonzero(table.indices[order] == target)
                    if len(found):
                        hits[name] += 1
                        rr[name] += 1.0 / (int(found[0]) + 1)
            if user is not None:
                seen.add(user)
            recommender.observe(event)
            trainer.after(recommender, event)
        trainer.close()
    lat = np.array(latencies) * 1e3
    result = {
        name: {"hr10": hits[name] / max(requests, 1), "mrr10": rr[name] / max(requests, 1)} for name in hits
    }
    assert recommender.model is not None
    result["_meta"] = {
        "requests": requests,
        "events": len(stream.events),
        "p50_ms": float(np.percentile(lat, 50)) if len(lat) else 0.0,
        "p99_ms": float(np.percentile(lat, 99)) if len(lat) else 0.0,
        "trainer_s": trainer.seconds,
        "swaps": recommender.model.swaps,
    }
    return result


def tune(
    tuning: list[Stream], config: RecommenderConfig, *, block: int, device: str
) -> tuple[dict[str, float], dict[str, float]]:
    """Weights tuned on the mean over the tuning streams, plus the objective per stream."""
    logs = []
    for stream in tuning:
        started = time.perf_counter()
        recommender = _replayed(config)
        with tempfile.TemporaryDirectory() as folder:
            trainer = FollowingTrainer(Path(folder), block=block, device=device)
            log = replay(
                recommender, stream.events, count_from=stream.count_from, after=trainer.following(recommender)
            )
            trainer.close()
        print(
            f"  logged {stream.name}: {log.requests} requests, {len(log.parts)} answerable, "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        logs.append(log)
    defaults = Recommender(None, config=RecommenderConfig()).weight_vector({})
    start = dict(zip(logs[0].names, defaults.tolist(), strict=True))
    weights, objective = tune_weights(logs, start)
    per_stream = {}
    for stream, log in zip(tuning, logs, strict=True):
        _, best = tune_weights([log], weights, rounds=0)
        per_stream[stream.name] = best
    print(f"  tuned objective (mean HR@10 + 0.1 MRR@10): {objective:.4f}", file=sys.stderr)
    return weights, per_stream


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", action="store_true", help="tune the blend on the tuning splits")
    parser.add_argument(
        "--write-defaults",
        action="store_true",
        help="store the tuned weights as the shipped default configuration",
    )
    parser.add_argument("--limit", type=int, default=None, help="use fewer events (smoke runs)")
    parser.add_argument(
        "--reader",
        choices=["ingest", "raw"],
        default="ingest",
        help="read the files through edgerec.ingest (default) or a bare CSV reader",
    )
    parser.add_argument(
        "--block",
        type=int,
        default=1_000,
        help="events the in-process trainer learns before each snapshot swap",
    )
    parser.add_argument("--device", default="cpu", help="the trainer's device (cpu, cuda, auto)")
    parser.add_argument("--only", default=None, help="evaluate one dataset (taobao, yoochoose)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    evaluation, tuning = streams(args.limit, args.reader)
    print(f"read the streams ({args.reader}) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    config = RecommenderConfig.default()
    if args.only:
        evaluation = [s for s in evaluation if s.name == args.only]
        tuning = [s for s in tuning if s.name == args.only]
    if args.tune:
        weights, _ = tune(tuning, config, block=args.block, device=args.device)
        config = config.with_weights(
            weights,
            tuned_on="scripts/bench_streaming.py --tune (trainer following in process, "
            f"--block {args.block}, {args.reader} reader): mean HR@10 + 0.1 MRR@10 over "
            + " and ".join(TUNING_SPLITS[s.name] for s in tuning)
            + "; no evaluation events",
        )
        print("tuned weights: " + json.dumps(weights), file=sys.stderr)
        if args.write_defaults:
            path = ROOT / "edgerec" / "recommend" / DEFAULT_CONFIG_RESOURCE
            config.save(path)
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)

    results = {}
    for stream in evaluation:
        started = time.perf_counter()
        results[stream.name] = evaluate_stream(
            stream, config, frozen=False, block=args.block, device=args.device
        )
        results[stream.name]["_meta"]["seconds"] = time.perf_counter() - started
        frozen = evaluate_stream(stream, config, frozen=True, block=args.block, device=args.device)
        results[stream.name]["frozen"] = frozen["frozen"]
        print(f"  {stream.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)

    methods = ["realtime", "frozen", "popularity", "cooccurrence", "user_history", "embedding"]
    print(f"{'dataset':<10} {'method':<14} {'HR@10':>8} {'MRR@10':>8}")
    for name, result in results.items():
        for method in methods:
            row = result[method]
            print(f"{name:<10} {method:<14} {row['hr10']:>8.4f} {row['mrr10']:>8.4f}")
        meta = result["_meta"]
        gain = (
            result["realtime"]["hr10"] / result["frozen"]["hr10"] - 1
            if result["frozen"]["hr10"]
            else float("nan")
        )
        print(f"{name:<10} realtime vs frozen: {gain:+.1%} relative HR@10")
        print(
            f"{name:<10} requests={meta['requests']} events={meta['events']} "
            f"request p50={meta['p50_ms']:.2f} ms p99={meta['p99_ms']:.2f} ms "
            f"replay {meta['seconds']:.0f} s (trainer {meta['trainer_s']:.0f} s, "
            f"{meta['swaps']} snapshot swaps, block {args.block})"
        )
    print(f"weights: {json.dumps(config.weights)}  tuned_on: {config.tuned_on}")
    line: dict[str, object] = {}
    for name, result in results.items():
        for method in methods:
            line[f"{name}_hr10_{method}"] = round(result[method]["hr10"], 5)
        for method in methods:
            line[f"{name}_mrr10_{method}"] = round(result[method]["mrr10"], 5)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
