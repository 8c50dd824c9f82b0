"""Offline evaluation: splits, full-ranking metrics, the evaluate() harness and reports."""
