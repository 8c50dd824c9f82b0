#!/usr/bin/env python
"""Reliability run: SIGKILL trials, negative controls, power cuts per synchronous level, a
concurrency soak, disk-full trials, file modes, killed upgrades, killed trainers and hostile
input files. Prints a table, then one
JSON line (last). Exits 1 when a guarantee is broken.

    .venv/bin/python scripts/reliability.py                 # CI-sized: 50 kill trials, 60 s soak
    .venv/bin/python scripts/reliability.py --trials 500    # by hand

The harnesses live in tests/reliability/ (the `reliability` pytest marker runs the same code
with small counts); docs/guarantees.md says what each figure proves.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from tests.reliability.suite import Config, run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50, help="SIGKILL trials (default 50; 500 by hand)")
    parser.add_argument(
        "--negative-trials", type=int, default=None, help="per negative control (default trials/2)"
    )
    parser.add_argument(
        "--soak-seconds", type=float, default=60.0, help="concurrency soak length (default 60)"
    )
    parser.add_argument("--power-runs", type=int, default=2, help="power-loss runs per synchronous level")
    parser.add_argument("--disk-full-trials", type=int, default=8)
    parser.add_argument("--upgrade-trials", type=int, default=20)
    parser.add_argument("--trainer-trials", type=int, default=30, help="trainer SIGKILL trials")
    parser.add_argument("--malformed-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    config = Config(
        trials=args.trials,
        negative_trials=args.negative_trials
        if args.negative_trials is not None
        else max(10, args.trials // 2),
        soak_seconds=args.soak_seconds,
        power_runs=args.power_runs,
        disk_full_trials=args.disk_full_trials,
        upgrade_trials=args.upgrade_trials,
        trainer_trials=args.trainer_trials,
        malformed_rows=args.malformed_rows,
        seed=args.seed,
    )
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="edgerec-reliability-") as folder:
        progress = (lambda _: None) if args.json else (lambda what: console.print(f"[dim]running {what}…[/]"))
        figures, rows = run(config, Path(folder), progress)
    if not args.json:
        table = Table(title="edgerec reliability")
        for column in ("check", "runs", "result", "ok"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(row.check, str(row.runs), row.result, "yes" if row.ok else "[red]NO[/]")
        Console().print(table)
    print(json.dumps(figures), flush=True)
    return 0 if figures["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
