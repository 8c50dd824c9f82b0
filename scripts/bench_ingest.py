#!/usr/bin/env python
"""Ingest benchmark: import vs raw sqlite3, single durable appends vs raw commits, RSS at 10x.

Prints a table, then one JSON line with import_events_per_s, import_ratio_vs_raw,
append_ratio_vs_raw and import_rss_ratio_10x. Every ratio compares with a baseline measured in
the same run, on the same machine, with the same schema and PRAGMAs (WAL, synchronous=FULL, page cache).

    .venv/bin/python scripts/bench_ingest.py [PATH] [--repeat 2] [--appends 500] [--scale 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "datasets" / "taobao-userbehavior" / "UserBehavior_timeslice_110k.csv"
TABLES = (
    "events",
    "items",
    "users",
    "sessions",
    "session_searches",
    "user_items",
    "item_stats",
    "cooccurrence",
    "projection_positions",
)

# Run in a fresh interpreter: imports one file into a fresh database, prints its peak RSS.
_CHILD = """
import json, resource, sys, time
import edgerec
from edgerec.ingest import import_file
store = edgerec.open(sys.argv[2])
start = time.perf_counter()
report = import_file(store, sys.argv[1], format="taobao")
seconds = time.perf_counter() - start
store.close()
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {"rows": report.rows_read, "appended": report.appended, "seconds": seconds, "rss_kib": peak_kib}
print(json.dumps(out))
"""


def fresh_store(path: Path):  # type: ignore[no-untyped-def]
    import edgerec

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return edgerec.open(path)


def raw_connection(path: Path, synchronous: str) -> sqlite3.Connection:
    from edgerec.store.engine import CACHE_SIZE_KIB

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
    return connection


def bench_import(source: Path, work: Path) -> tuple[float, int, dict[str, int]]:
    from edgerec.ingest import import_file

    db = work / "import.db"
    store = fresh_store(db)
    start = time.perf_counter()
    report = import_file(store, source, format="taobao")
    seconds = time.perf_counter() - start
    store.close()
    with sqlite3.connect(db) as connection:
        counts = {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    return seconds, report.rows_read, counts


def bench_raw_import(imported: Path, work: Path, synchronous: str) -> float:
    """The rows the import wrote (events and every projection table), raw, in one transaction."""
    with sqlite3.connect(imported) as source:
        data = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
    db = work / "raw.db"
    fresh_store(db).close()  # the same schema, from the same migrations
    connection = raw_connection(db, synchronous)
    start = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    for table, rows in data.items():
        if rows:
            marks = ",".join("?" * len(rows[0]))
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    connection.execute("COMMIT")
    seconds = time.perf_counter() - start
    connection.close()
    return seconds


def sample_events(source: Path, count: int):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from edgerec.domain import AddedToCart, ItemFavourited, ItemViewed, Purchased

    kinds = {"pv": ItemViewed, "cart": AddedToCart, "fav": ItemFavourited, "buy": Purchased}
    out = []
    with open(source) as file:
        for line in file:
            user, item, category, behaviour, stamp = line.strip().split(",")
            at = datetime.fromtimestamp(int(stamp), UTC)
            out.append(kinds[behaviour](user_id=user, item_id=item, category=category, occurred_at=at))
            if len(out) >= count:
                break
    return out


def bench_appends(source: Path, work: Path, count: int, synchronous: str) -> tuple[float, float]:
    """Median seconds per durable append: Store.record (projections included) vs raw sqlite3.

    The two alternate event by event, so a machine that gets busier or quieter during the run
    weighs on both alike.
    """
    from edgerec.store.codec import event_to_row

    events = sample_events(source, count + 10)
    api_times: list[float] = []
    raw_times: list[float] = []
    store = fresh_store(work / "append.db")
    for event in events[:10]:  # warm up: statements compiled, caches filled
        store.record(event)
    fresh_store(work / "append_raw.db").close()
    raw = raw_connection(work / "append_raw.db", synchronous)
    columns = "event_id, type, occurred_at, user_id, session_id, item_id, store_id, location, device, payload"
    insert = f"INSERT INTO events ({columns}) VALUES (?,?,?,?,?,?,?,?,?,?)"
    for event in events[10:]:
        values = tuple(json.dumps(v) if k == "payload" else v for k, v in event_to_row(event).items())
        start = time.perf_counter()
        store.record(event)
        api_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(insert, values)
        raw.execute("COMMIT")
        raw_times.append(time.perf_counter() - start)
    store.close()
    raw.close()
    return statistics.median(api_times), statistics.median(raw_times)


def scaled_copy(source: Path, target: Path, scale: int) -> None:
    """`scale` copies of the file, each with user/item/category ids and times shifted."""
    lines = source.read_text().splitlines()
    stamps = [int(line.rsplit(",", 1)[1]) for line in lines]
    span = max(stamps) - min(stamps) + 1
    with open(target, "w") as out:
        for copy in range(scale):
            shift = copy * 10**9
            for line in lines:
                user, item, category, behaviour, stamp = line.split(",")
                out.write(
                    f"{int(user) + shift},{int(item) + shift},{int(category) + shift},"
                    f"{behaviour},{int(stamp) + copy * span}\n"
                )


def child_import(path: Path, db: Path) -> dict[str, float]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(db)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=2, help="import/raw rounds; the best of each counts")
    parser.add_argument("--appends", type=int, default=500, help="single appends of each kind")
    parser.add_argument("--scale", type=int, default=10, help="size of the large file for the RSS check")
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args()
    if not args.path.exists():
        sys.exit(f"{args.path}: not found (pass the Taobao UserBehavior file)")
    from edgerec.store.engine import DEFAULT_SYNCHRONOUS

    synchronous = DEFAULT_SYNCHRONOUS
    with tempfile.TemporaryDirectory(prefix="edgerec-bench-") as folder:
        work = Path(folder)
        import_s, raw_s = [], []
        for _ in range(args.repeat):
            seconds, rows, counts = bench_import(args.path, work)
            import_s.append(seconds)
            raw_s.append(bench_raw_import(work / "import.db", work, synchronous))
        written = sum(counts.values())
        api_append, raw_append = bench_appends(args.path, work, args.appends, synchronous)
        rss_1 = rss_n = None
        if not args.skip_rss:
            big = work / f"taobao_x{args.scale}.csv"
            scaled_copy(args.path, big, args.scale)
            rss_1 = child_import(args.path, work / "rss1.db")
            rss_n = child_import(big, work / "rssn.db")

    best_import, best_raw = min(import_s), min(raw_s)
    result = {
        "import_events_per_s": round(rows / best_import, 1),
        "import_ratio_vs_raw": round(best_raw / best_import, 3),
        "append_ratio_vs_raw": round(raw_append / api_append, 3),
        "import_rss_ratio_10x": round(rss_n["rss_kib"] / rss_1["rss_kib"], 3) if rss_1 and rss_n else None,
    }
    table = [
        ("file", str(args.path.name), ""),
        ("rows read", f"{rows:,}", ""),
        ("rows written by the import", f"{written:,}", ", ".join(f"{t} {n:,}" for t, n in counts.items())),
        (
            f"import, end to end (best of {args.repeat})",
            f"{best_import:.2f} s",
            f"{rows / best_import:,.0f} events/s",
        ),
        (
            "raw sqlite3 executemany",
            f"{best_raw:.2f} s",
            "the same rows into events + projection tables, one transaction, fresh db, same schema",
        ),
        (
            "import / raw speed ratio",
            f"{best_raw / best_import:.3f}",
            "goal >= 0.5; goal >= 100,000 events/s",
        ),
        (
            "Store.record (median)",
            f"{api_append * 1e3:.2f} ms",
            f"durable, projections included, synchronous={synchronous}",
        ),
        (
            "raw sqlite3 commit per row (median)",
            f"{raw_append * 1e3:.2f} ms",
            "one INSERT INTO events + COMMIT",
        ),
        ("append ratio (raw / api)", f"{raw_append / api_append:.3f}", "goal >= 0.5"),
    ]
    if rss_1 and rss_n:
        table += [
            (
                "peak RSS, 1x import",
                f"{rss_1['rss_kib'] / 1024:.0f} MiB",
                f"{rss_1['rows']:,} rows in {rss_1['seconds']:.1f} s",
            ),
            (
                f"peak RSS, {args.scale}x import",
                f"{rss_n['rss_kib'] / 1024:.0f} MiB",
                f"{rss_n['rows']:,} rows in {rss_n['seconds']:.1f} s, ids and times shifted per copy",
            ),
            (f"RSS ratio {args.scale}x / 1x", f"{rss_n['rss_kib'] / rss_1['rss_kib']:.3f}", "goal <= 1.5"),
        ]
    width = max(len(name) for name, _, _ in table)
    print(f"ingest benchmark ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    for name, value, note in table:
        print(f"  {name:<{width}}  {value:>12}  {note}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
