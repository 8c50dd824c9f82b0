#!/usr/bin/env python
"""Key press to new suggestions on screen, in the live session screen, over scripted actions.

Opens the console headless (Textual's Pilot) on a fresh demo store in a temporary file, plays
a customer through N actions (view, add, remove, buy, search, checkout, end) and measures, for
each, the time from the key press to the recommendations panel having painted the list ranked
after that action: the panel stamps the moment the compositor renders the new list's lines into
a frame (`RecommendationsPanel.painted_at`). Same run baseline: the same kinds of actions
without the UI (record through the store, let the recommender observe, rank), so the ratio
shows what the UI adds.

A trainer follows the log in a separate process meanwhile (as `edgerec train` would), unless
--no-trainer. Prints a table, then one JSON line with key_to_panel_p50_ms and key_to_panel_p99_ms.
Usage: .venv/bin/python scripts/bench_ui.py [--actions 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import edgerec
from edgerec.demo import seed_demo_store
from edgerec.domain import AddedToCart, ItemViewed, Purchased
from edgerec.ui.app import ConsoleApp
from edgerec.ui.screens.live import LiveScreen
from edgerec.ui.widgets.recs import RecommendationsPanel
from edgerec.ui.widgets.tables import ItemTable

# One round of the script; each entry is an action name the driver knows how to play.
ROUND = ("view", "add", "view", "add", "remove", "search", "view", "buy", "view", "add", "checkout", "end")
SEARCHES = ("run", "lamp", "coffee", "jacket", "tent", "speaker")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def follow_in_background(path: str, stop: Any, ready: Any) -> None:
    """A separate process, as `edgerec train` would be: the trainer following the log."""
    import edgerec
    from edgerec.training import Trainer, follow

    with edgerec.open(path) as store:
        trainer = Trainer(store)
        ready.set()
        follow(trainer, stop=stop)


def start_trainer(path: Path) -> tuple[Any, Any, str]:
    """Starts the trainer process if this build has one; returns (process, stop event, note)."""
    try:
        import edgerec.training  # noqa: F401
    except ImportError:
        return None, None, "no trainer in this build (edgerec.training is missing): measured without one"
    context = multiprocessing.get_context("spawn")
    stop, ready = context.Event(), context.Event()
    process = context.Process(target=follow_in_background, args=(str(path), stop, ready), daemon=True)
    process.start()
    if not ready.wait(120):
        return process, stop, "the trainer process did not start in 120 s"
    return process, stop, "following the log in a separate process (edgerec.training.follow)"


def trainer_progress(path: Path) -> str:
    try:
        from edgerec.training import model_dir, read_status
    except ImportError:
        return "n/a"
    status = read_status(model_dir(str(path)))
    if not status:
        return "no status written"
    return f"{status.get('state')} at #{status.get('position'):,} of #{status.get('head'):,}"


async def drive(app: ConsoleApp, actions: int, customer: str) -> tuple[list[float], dict[str, int]]:
    latencies: list[float] = []
    played: dict[str, int] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        panel = screen.query_one(RecommendationsPanel)
        items = screen.query_one(ItemTable)

        async def until(condition: Any, timeout: float = 10.0) -> bool:
            deadline = time.perf_counter() + timeout
            while not condition():
                if time.perf_counter() > deadline:
                    return False
                await asyncio.sleep(0.0005)
            return True

        await until(lambda: panel.painted_generation >= 1 and items.row_count > 0)
        before = panel.painted_generation
        await pilot.press("c", *customer, "enter")
        await until(lambda: panel.painted_generation > before)

        step = 0
        while len(latencies) < actions:
            name = ROUND[step % len(ROUND)]
            step += 1
            keys: tuple[str, ...]
            if name == "view":
                keys = ("down", "enter")
            elif name in ("add", "buy"):
                item = screen.open_item
                if item is None or not item.available:
                    name, keys = "view", ("down", "enter")
                else:
                    keys = ("a",) if name == "add" else ("b",)
            elif name == "remove":
                if not screen.cart:
                    continue
                keys = ("r",)
            elif name == "checkout":
                if not screen.cart:
                    continue
                keys = ("x",)
            elif name == "search":
                keys = ("slash", *SEARCHES[step % len(SEARCHES)], "enter")
            else:
                keys = ("e",)
            await until(lambda: screen.jobs.empty())
            before = panel.painted_generation
            pressed = time.perf_counter()
            # Keys before the last one only move the cursor or type the query; time the one
            # that triggers the action.
            if len(keys) > 1:
                await pilot.press(*keys[:-1])
                await pilot.pause(0.05)  # a person's pause between keys: those frames are painted
                pressed = time.perf_counter()
            await pilot.press(keys[-1])
            if not await until(lambda: panel.painted_generation > before):  # noqa: B023
                print(f"no new list after {name}; skipped", file=sys.stderr)
                continue
            latencies.append((panel.painted_at - pressed) * 1000)
            if os.environ.get("BENCH_UI_DEBUG"):
                print(name, f"{latencies[-1]:.1f}", panel.query_one("#recs-timing").render(), file=sys.stderr)
            played[name] = played.get(name, 0) + 1
            if name == "search":
                await pilot.press("escape")
    return latencies, played


def baseline(store: edgerec.Store, suggester: Any, customer: str, actions: int) -> list[float]:
    """The same kinds of writes and ranking, straight through the store and the recommender."""
    items = [i for i in store.read(types=["item_listed"], limit=400)]
    out: list[float] = []
    session = "bench-baseline"
    for n in range(actions):
        row = items[(n * 7) % len(items)]
        kind = (ItemViewed, AddedToCart, ItemViewed, Purchased)[n % 4]
        event = kind(user_id=customer, session_id=session, item_id=row.item_id)
        started = time.perf_counter()
        position = store.record(event)
        suggester.observe(event, position)
        suggester.recommend(customer, session_id=session, k=8)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-trainer", action="store_true", help="do not run the trainer beside it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = edgerec.open(path)
        events = seed_demo_store(store, seed=args.seed)
        customer = next(e.user_id for e in store.read(types=["purchased"], limit=1))
        assert customer is not None
        process, stop, trainer = (None, None, "not run (--no-trainer)")
        if not args.no_trainer:
            process, stop, trainer = start_trainer(path)
        try:
            app = ConsoleApp(store, start="live", seed=args.seed, log_path=Path(tmp) / "ui.log")
            latencies, played = asyncio.run(drive(app, args.actions, customer))
            base = baseline(store, app.services.suggester, customer, args.actions)
            progress = trainer_progress(path)
        finally:
            if process is not None:
                stop.set()
                process.join(60)
        store.close()

    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    b50, b99 = percentile(base, 50), percentile(base, 99)
    rows = [
        ("store", f"demo shop, {events:,} events, seed {args.seed}, temporary SQLite file"),
        ("suggester", app.services.suggester.name),
        ("trainer", trainer),
        ("trainer at the end", progress if process is not None else "-"),
        ("cpus", str(os.cpu_count())),
        ("actions timed", f"{len(latencies)} ({', '.join(f'{k} {v}' for k, v in sorted(played.items()))})"),
        ("key→panel p50 / p99 / max", f"{p50:.1f} / {p99:.1f} / {max(latencies):.1f} ms"),
        ("key→panel mean", f"{statistics.fmean(latencies):.1f} ms"),
        ("baseline record+rank p50 / p99", f"{b50:.1f} / {b99:.1f} ms (no UI, same store)"),
        ("UI p50 / baseline p50", f"{p50 / b50:.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        json.dumps(
            {
                "key_to_panel_p50_ms": round(p50, 2),
                "key_to_panel_p99_ms": round(p99, 2),
                "baseline_record_rank_p50_ms": round(b50, 2),
                "baseline_record_rank_p99_ms": round(b99, 2),
                "actions": len(latencies),
                "trainer_running": process is not None,
            }
        )
    )


if __name__ == "__main__":
    main()
