"""The stock rule, one for every holder of stock (the catalogue projection, the recommender's
in-memory catalogue): when a listing or an update states an item's stock, and which purchases
lower it since."""

from __future__ import annotations

from edgerec.domain.events import EARLIEST_US


def stock_stated_at(
    stock: int | None, given_at: int | None, occurred_at: int, held: int | None, held_at: int | None
) -> int | None:
    """When a listing or an update states `stock`: the time it gives for it (`given_at`: a
    catalogue file's, when the file was written), else its own time; None where it states none.
    A row with no time of its own (a catalogue file's, dated EARLIEST_US) that gives none
    (imported before files gave it) states it at no time, since such a file's stock already
    counts the sales of the history imported beside it; one that restates the stock the item
    holds (`held`) leaves that stock's time (`held_at`): the sales since go on lowering it."""
    if stock is None:
        return None
    if given_at is not None:
        return int(given_at)
    if occurred_at > EARLIEST_US:
        return occurred_at
    return held_at if held == stock else None


def sold_down(
    stock: int | None, stated_at: int | None, listed: bool, sold_at: int, quantity: int
) -> int | None:
    """The stock a purchase of `quantity` at `sold_at` leaves (never below zero), or None where
    it lowers nothing: an item not listed, of no known stock, or whose stock was stated at no
    time or after the purchase (history imported after the catalogue is counted there)."""
    if not listed or stock is None or stated_at is None or sold_at < stated_at:
        return None
    return max(stock - quantity, 0)
