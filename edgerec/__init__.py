"""edgerec: an offline, real-time, event-sourced recommender for a single shop or kiosk."""

from edgerec.api import Store, open

__all__ = ["Store", "open"]
__version__ = "0.1.0"
