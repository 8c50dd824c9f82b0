"""Column converters from file text to typed values: numbers, epoch times, dates (to UTC).

Each converter takes one column of a chunk (strings, None for a missing field) and returns the
typed values plus a problem per row, so that one bad cell quarantines its row only.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from edgerec.ingest.validate import Problem

# Beyond this many seconds from 1970 a value is certainly not a real event time (year ~5000).
_MAX_ABS_SECONDS = 1e11
UNITS = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0.001}
_OFFSET = re.compile(r"[+-](0\d|1[0-4]):[0-5]\d")


def check_timezone(name: object) -> str:
    """The zone that times written without an offset are in: a name from the time zone
    database (Europe/Berlin, UTC) or a fixed offset (+02:00). Anything else is a ValueError up
    front: pandas fails on a name such as "UTC+2" only when it converts, and every row without
    an offset would be quarantined as "not a time"."""
    if isinstance(name, str) and _OFFSET.fullmatch(name):
        return name
    try:
        zoneinfo.ZoneInfo(name)  # type: ignore[arg-type]
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {name!r}: give a name such as Europe/Berlin, or an offset such as +02:00"
        ) from None
    return str(name)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def blank_to_none(values: Sequence[Any]) -> list[Any]:
    return [None if is_blank(v) else v for v in values]


def ints(values: Sequence[Any], name: str) -> tuple[list[int | None], list[Problem]]:
    """Integer cells; '3' and '3.0' are 3, '3.5' is a problem, '' is None."""
    out: list[int | None] = []
    problems: list[Problem] = []
    for value in values:
        if is_blank(value):
            out.append(None)
            problems.append(None)
            continue
        try:
            if isinstance(value, float):
                raise ValueError  # 2.5 is not an integer; 2.0 is, below
            number = int(value)
        except (TypeError, ValueError):
            try:
                real = float(value)
            except (TypeError, ValueError):
                real = math.nan
            if math.isfinite(real) and real.is_integer():
                number = int(real)
            else:
                out.append(None)
                problems.append((f"invalid_{name}", f"{name}: {str(value)[:40]!r} is not an integer"))
                continue
        out.append(number)
        problems.append(None)
    return out, problems


def floats(values: Sequence[Any], name: str) -> tuple[list[float | None], list[Problem]]:
    out: list[float | None] = []
    problems: list[Problem] = []
    for value in values:
        if is_blank(value):
            out.append(None)
            problems.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            out.append(None)
            problems.append((f"invalid_{name}", f"{name}: {str(value)[:40]!r} is not a number"))
            continue
        out.append(number)
        problems.append(None)
    return out, problems


def epoch_micros(values: Sequence[Any], unit: str = "s") -> tuple[list[int | None], list[Problem]]:
    """Unix epoch times (seconds by default, fractions allowed) to integer microseconds UTC."""
    scale = UNITS[unit]
    n = len(values)
    try:  # fast path: every cell an integer
        whole = np.array(values, dtype=np.int64) if n else np.zeros(0, np.int64)
        if scale >= 1 and np.abs(whole).max(initial=0) < _MAX_ABS_SECONDS * 1e6 / scale:
            return (whole * int(scale)).tolist(), [None] * n
    except (TypeError, ValueError, OverflowError):
        pass
    numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=np.float64)
    out: list[int | None] = []
    problems: list[Problem] = []
    limit = _MAX_ABS_SECONDS * 1e6 / scale
    for raw, number in zip(values, numbers, strict=True):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            out.append(None)
            problems.append(("missing_occurred_at", "occurred_at: is required"))
        elif not math.isfinite(number):
            out.append(None)
            problems.append(("bad_timestamp", f"occurred_at: {str(raw)[:40]!r} is not a time"))
        else:
            # Absurd magnitudes are clamped so the range check names them (future / too old).
            clamped = max(-limit, min(limit, number))
            out.append(int(round(clamped * scale)))
            problems.append(None)
    return out, problems


def datetime_micros(
    values: Sequence[Any], source_timezone: str = "UTC", *, dayfirst: bool = False
) -> tuple[list[int | None], list[Problem]]:
    """Date/time text to microseconds UTC; times without an offset are in `source_timezone`."""
    series = pd.Series(list(values), dtype=object)
    out: list[int | None] = [None] * len(series)
    problems: list[Problem] = [None] * len(series)
    if not len(series):
        return out, problems
    parsed = _parse_times(series, source_timezone, dayfirst)
    for i, (raw, micros) in enumerate(zip(values, parsed, strict=True)):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            problems[i] = ("missing_occurred_at", "occurred_at: is required")
        elif micros is None:
            problems[i] = ("bad_timestamp", f"occurred_at: {str(raw)[:40]!r} is not a time")
        else:
            out[i] = micros
    _name_clock_changes(series, problems, source_timezone, dayfirst)
    return out, problems


def _name_clock_changes(series: pd.Series, problems: list[Problem], tz: str, dayfirst: bool) -> None:
    """A local time that the clocks skip (spring) or pass twice (autumn) is a time, just not
    one instant: say so, rather than "is not a time"."""
    if tz == "UTC":
        return
    failed = [i for i, p in enumerate(problems) if p is not None and p[0] == "bad_timestamp"]
    if not failed:
        return
    as_utc = _parse_times(series.iloc[failed], "UTC", dayfirst)
    for i, micros in zip(failed, as_utc, strict=True):
        if micros is not None:
            problems[i] = (
                "ambiguous_local_time",
                f"occurred_at: {str(series.iloc[i])[:40]!r} is skipped or repeated by a clock change in "
                f"{tz}: write it with its offset from UTC",
            )


def _parse_times(series: pd.Series, tz: str, dayfirst: bool) -> list[int | None]:
    try:
        stamps = pd.to_datetime(series, errors="coerce", format="ISO8601")
        return _to_micros(stamps, tz)
    except (ValueError, TypeError, OverflowError):
        pass  # mixed offsets or formats: one cell at a time
    result: list[int | None] = []
    for value in series:
        try:
            stamp = pd.to_datetime(value, errors="coerce", dayfirst=dayfirst)
            result.append(_to_micros(pd.Series([stamp]), tz)[0] if stamp is not pd.NaT else None)
        except (ValueError, TypeError, OverflowError):
            result.append(None)
    return result


def _to_micros(stamps: pd.Series, tz: str) -> list[int | None]:
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        if stamps.dtype == object:  # mixed offsets: normalise each to UTC
            stamps = pd.to_datetime(stamps, utc=True, errors="coerce")
        else:
            stamps = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    array = stamps.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("us").to_numpy()
    missing = np.isnat(array)
    values = array.view("int64").tolist()
    return [None if gone else v for v, gone in zip(values, missing.tolist(), strict=True)]
