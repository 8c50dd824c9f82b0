"""Every benchmark script in scripts/ still runs end to end, on small slices of real data.

The figures in the README come from these scripts; a script that no longer starts (a moved
import, a renamed option) would only show when someone reruns it. Each runs here with tiny
sizes and must end with its JSON line carrying the keys its issue names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.ingest_helpers import head_of, real_file

REPO = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str | Path, timeout: float = 240) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / name), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def taobao_slice(tmp_path: Path) -> Path:
    source = real_file("taobao-userbehavior", "UserBehavior_timeslice_110k.csv")
    return head_of(source, tmp_path / "taobao_3k.csv", 3_000)


def test_bench_ingest(taobao_slice: Path) -> None:
    result = run_script("bench_ingest.py", taobao_slice, "--repeat", "1", "--appends", "20", "--scale", "2")
    assert result["import_events_per_s"] > 0
    for key in ("import_ratio_vs_raw", "append_ratio_vs_raw", "import_rss_ratio_10x"):
        assert 0 < result[key] < 10, key


def test_bench_trainer(taobao_slice: Path) -> None:
    result = run_script("bench_trainer.py", taobao_slice, "--format", "taobao")
    assert result["trainer_events_per_s"] > 0
    assert 0 <= result["incremental_hr10"] <= 1


def test_bench_streaming() -> None:
    real_file("taobao-userbehavior", "UserBehavior_timeslice_110k.csv")
    result = run_script("bench_streaming.py", "--limit", "2000", "--only", "taobao")
    methods = ("realtime", "frozen", "popularity", "cooccurrence", "user_history")
    for method in methods:
        assert 0 <= result[f"taobao_hr10_{method}"] <= 1, method


def test_bench_eval(tmp_path: Path) -> None:
    ratings = real_file("ml-latest-small", "ratings.csv")
    folder = tmp_path / "ml-slice"
    head_of(ratings, folder / "ratings.csv", 8_000)
    (folder / "movies.csv").write_bytes(ratings.with_name("movies.csv").read_bytes())
    result = run_script(
        "bench_eval.py",
        "--datasets",
        "movielens",
        "--movielens",
        folder,
        "--models",
        "popularity,itemknn",
        "--quiet",
    )
    (run,) = result["runs"]
    assert set(run["models"]) >= {"popularity", "itemknn"}
    assert all(0 <= model["ndcg@10"] <= 1 for model in run["models"].values())


def test_bench_realtime(tmp_path: Path) -> None:
    result = run_script(
        "bench_realtime.py",
        *("--sizes", "2000", "--requests", "100", "--background-events", "300"),
        *("--memory-events", "3000", "--lag-seconds", "2", "--trainer-wait-s", "60"),
        *("--workdir", tmp_path),
    )
    assert 0 < result["trainer_lag_p99_s"] < 60
    assert 0 < result["serve_rss_gib"] < 4


def test_bench_realtime_beside_a_busy_process(tmp_path: Path) -> None:
    result = run_script(
        "bench_realtime.py",
        *("--sizes", "10000", "--requests", "50", "--background-events", "300"),
        *("--memory-events", "0", "--lag-seconds", "0", "--trainer", "busy"),
        *("--workdir", tmp_path),
    )
    assert isinstance(result["p99_ms_10k"], float) and result["p99_ms_10k"] > 0
    assert result["trainer_lag_p99_s"] is None  # no trainer ran


def test_bench_ui() -> None:
    result = run_script("bench_ui.py", "--actions", "12")
    assert 0 < result["key_to_panel_p50_ms"] <= result["key_to_panel_p99_ms"]


def test_bench_visitors() -> None:
    result = run_script("bench_visitors.py", "--visitors", "40", "--limit", "10")
    assert result["customers_held_limited"] == 10
    assert result["bytes_per_visitor_unlimited"] > 0


def test_bench_swap() -> None:
    result = run_script("bench_swap.py", "--sizes", "60000", "--swaps", "2")
    swaps = result["60000"]
    assert isinstance(swaps, dict)
    assert swaps["reuse_s"] > 0 and swaps["retrain_s"] > 0
    assert 0.5 <= swaps["reuse_min_recall"] <= 1 and 0.5 <= swaps["retrain_min_recall"] <= 1
    assert 0 <= swaps["reuse_trainings"] <= 2
