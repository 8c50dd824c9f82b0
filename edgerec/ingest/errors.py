"""The error an import raises for a file it cannot read as the format named or detected."""

from __future__ import annotations


class FormatError(ValueError):
    """The format could not be detected, the name is not a known format, or the file lacks a
    column the format needs."""
