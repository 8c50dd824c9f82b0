"""Real-time recommendations: candidate sources, blending, shop rules, variety, explanations."""

from edgerec.recommend.config import Policy, RecommenderConfig
from edgerec.recommend.engine import CandidateTable, Recommendation, Recommender
from edgerec.recommend.request import (
    CandidateSource,
    Evidence,
    Request,
    RequestContext,
    SourceResult,
)
from edgerec.recommend.rules import NO_RULES, RuleSet
from edgerec.recommend.trained import TrainedModel

__all__ = [
    "NO_RULES",
    "CandidateSource",
    "CandidateTable",
    "Evidence",
    "Policy",
    "Recommendation",
    "Recommender",
    "RecommenderConfig",
    "Request",
    "RequestContext",
    "RuleSet",
    "SourceResult",
    "TrainedModel",
]
