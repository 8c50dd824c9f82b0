"""Read models kept up to date from the event log, each rebuildable by replaying it."""

from edgerec.projections.activity import ActivityProjector, assign_sessions, session_id_for
from edgerec.projections.base import Projector
from edgerec.projections.catalogue import CatalogueProjector
from edgerec.projections.item_stats import ItemStatsProjector


def all_projectors() -> list[Projector]:
    return [CatalogueProjector(), ItemStatsProjector(), ActivityProjector()]


__all__ = [
    "ActivityProjector",
    "CatalogueProjector",
    "ItemStatsProjector",
    "Projector",
    "all_projectors",
    "assign_sessions",
    "session_id_for",
]
