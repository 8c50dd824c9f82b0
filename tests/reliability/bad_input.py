"""Guarantee 6: hostile input files. Every row is accepted or quarantined with a reason, no
import crashes, and odd but valid strings (formulas, SQL) round-trip verbatim."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import edgerec
from edgerec.ingest import import_file

GOOD_TIME = 1_600_000_000
HEADER = "user_id,item_id,type,timestamp,category,query"
VERBATIM = [
    "=cmd|' /C calc'!A0",
    "'; DROP TABLE events; --",
    "+1+1",
    "@SUM(A1)",
    "Robert'); DROP TABLE users;--",
]


def _csv_row(rng: random.Random, n: int) -> bytes:
    """One CSV line: good, or broken in one of the ways real exports break."""
    user, item = f"u{rng.randint(1, 500)}", f"i{rng.randint(1, 2000)}"
    t = GOOD_TIME + n
    kind = rng.randrange(14)
    lines = {
        0: f"{user},{item},view,{t},shoes,",
        1: f"{user},{item},view,not-a-time,shoes,",
        2: f"{user},{item}",
        3: f"{user},{item},view,{t},{'c' * 5000},",
        4: f"{user},{item},view,{t},{'x' * 200_000},",
        5: f"{user},{item},view,{t},ca\x00t,",
        6: f"{user},{item},view,99999999999999,,",
        7: f"{user},{item},view,-5,,",
        8: f'"{rng.choice(VERBATIM)}",{item},view,{t},,',
        9: f"{user},{item},teleport,{t},,",
        10: f"{user},,search,{t},,",
        11: f",{item},view,{t},,",
        12: f"{user},{item},cart,{t},{rng.choice(VERBATIM).replace(',', ';')},",
        13: f"{user},{item},buy,{t},,",
    }
    line = lines[kind].encode()
    if rng.random() < 0.02:
        line += b"\xff\xfe"  # invalid UTF-8
    return line


def _jsonl_row(rng: random.Random, n: int) -> bytes:
    user, item = f"u{rng.randint(1, 500)}", f"i{rng.randint(1, 2000)}"
    kind = rng.randrange(8)
    records: dict[int, object] = {
        0: {"user_id": user, "item_id": item, "type": "view", "timestamp": GOOD_TIME + n},
        1: {"user_id": user, "item_id": item, "type": "buy", "timestamp": GOOD_TIME + n, "quantity": 2.5},
        2: {"user_id": user, "item_id": {"nested": 1}, "type": "view", "timestamp": GOOD_TIME + n},
        3: {"user_id": user, "item_id": item, "type": "view"},
        4: [1, 2, 3],
        5: {"user_id": rng.choice(VERBATIM), "item_id": item, "type": "view", "timestamp": GOOD_TIME + n},
        6: {"user_id": user, "item_id": item, "type": "view", "timestamp": "2020-09-13T12:26:40+02:00"},
        7: {"user_id": user, "item_id": item, "type": "view", "timestamp": 10**20},
    }
    if rng.random() < 0.03:
        return b'{"user_id": "u1", "item_id": '  # cut off
    return json.dumps(records[kind]).encode()


@dataclass
class BadInputOutcome:
    rows: int
    crashes: int
    conserved: bool
    verbatim_ok: bool


def bad_input_run(folder: Path, rows: int, rng: random.Random) -> BadInputOutcome:
    """Writes `rows` mixed rows as CSV and as JSONL, imports both, checks conservation."""
    folder.mkdir(parents=True, exist_ok=True)
    half = rows // 2
    csv_path, jsonl_path = folder / "messy.csv", folder / "messy.jsonl"
    csv_path.write_bytes(HEADER.encode() + b"\n" + b"\n".join(_csv_row(rng, n) for n in range(half)) + b"\n")
    jsonl_path.write_bytes(b"\n".join(_jsonl_row(rng, n) for n in range(rows - half)) + b"\n")
    crashes, conserved = 0, True
    with edgerec.open(folder / "store.db") as store:
        for path, fmt, expected in ((csv_path, "csv", half), (jsonl_path, "jsonl", rows - half)):
            try:
                report = import_file(store, path, format=fmt)
            except Exception:  # noqa: BLE001 - a crash is what this counts
                crashes += 1
                conserved = False
                continue
            conserved &= report.rows_read == expected and report.accepted + report.quarantined == expected
        stored = {row.user_id for row in store.read(limit=None)} | {
            row.item_id for row in store.read(limit=None)
        }
    verbatim_ok = all(value in stored for value in VERBATIM[:3]) if rows >= 1000 else True
    return BadInputOutcome(rows, crashes, conserved, verbatim_ok)
