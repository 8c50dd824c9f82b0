"""Reusable widgets of the console and the kiosk; each carries its own DEFAULT_CSS."""
