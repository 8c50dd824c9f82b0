"""Left-padded sequence batches (item, event, hour, weekday, store) for sequence models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from edgerec.models.data import History

_HOUR_US = 3_600_000_000


@dataclass(frozen=True)
class SeqBatch:
    """[batch, length] int64 tensors; item 0 / event 0 is padding. Items are shifted by one."""

    items: torch.Tensor
    events: torch.Tensor
    hours: torch.Tensor
    weekdays: torch.Tensor
    stores: torch.Tensor

    def to(self, device: torch.device) -> SeqBatch:
        return SeqBatch(
            *(t.to(device) for t in (self.items, self.events, self.hours, self.weekdays, self.stores))
        )


def context_of(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hour of day (1..24) and weekday (1..7) from microsecond UTC timestamps (0 is padding)."""
    hours_since = times // _HOUR_US
    hour = (hours_since % 24) + 1
    weekday = ((hours_since // 24 + 3) % 7) + 1  # 1970-01-01 was a Thursday
    return hour, weekday


def pad_batch(histories: list[History], max_len: int, *, ends: list[int] | None = None) -> SeqBatch:
    """The last max_len events of each history (or of history[:end]), left-padded."""
    n = len(histories)
    out = {k: np.zeros((n, max_len), dtype=np.int64) for k in ("i", "e", "h", "w")}
    stores = np.zeros((n, max_len), dtype=np.int64)
    for r, h in enumerate(histories):
        end = len(h.items) if ends is None else ends[r]
        start = max(0, end - max_len)
        m = end - start
        if m <= 0:
            continue
        assert h.events is not None and h.times is not None
        out["i"][r, -m:] = h.items[start:end] + 1
        out["e"][r, -m:] = h.events[start:end]
        hr, wd = context_of(h.times[start:end])
        out["h"][r, -m:] = hr
        out["w"][r, -m:] = wd
        stores[r, -m:] = h.store
    t = {k: torch.from_numpy(v) for k, v in out.items()}
    return SeqBatch(t["i"], t["e"], t["h"], t["w"], torch.from_numpy(stores))
