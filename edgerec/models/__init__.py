"""Recommendation models: torch/numpy estimators sharing one small API (no database, no files).

Names are loaded on first use (PEP 562): `edgerec.models.features` and `edgerec.models.data`
work without importing torch.
"""

from __future__ import annotations

from edgerec.lazy import lazy_attributes

_WHERE = {
    "Recommender": "edgerec.models.base",
    "EVENT_TYPES": "edgerec.models.data",
    "EventWeights": "edgerec.models.data",
    "History": "edgerec.models.data",
    "Interactions": "edgerec.models.data",
    "ItemFeatures": "edgerec.models.data",
}

__all__ = sorted(_WHERE)


__getattr__ = lazy_attributes(__name__, _WHERE)
