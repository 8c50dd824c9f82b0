"""Recommendation models: torch/numpy estimators sharing one small API (no database, no files)."""

from edgerec.models.base import Recommender
from edgerec.models.data import EVENT_TYPES, EventWeights, History, Interactions, ItemFeatures

__all__ = ["EVENT_TYPES", "EventWeights", "History", "Interactions", "ItemFeatures", "Recommender"]
