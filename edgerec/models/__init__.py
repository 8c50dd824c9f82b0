"""Recommendation models: torch/numpy estimators sharing one small API (no database, no files).

Names are loaded on first use (PEP 562): `edgerec.models.features` and `edgerec.models.data`
work without importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Recommender": "edgerec.models.base",
    "EVENT_TYPES": "edgerec.models.data",
    "EventWeights": "edgerec.models.data",
    "History": "edgerec.models.data",
    "Interactions": "edgerec.models.data",
    "ItemFeatures": "edgerec.models.data",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'edgerec.models' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
