"""Plain-SVG charts (no plotting dependency): training curves and a metric comparison."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
W, H, PAD = 640, 360, 48


def _frame(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" '
            f'font-size="11">',
            f'<rect width="{W}" height="{H}" fill="white"/>',
            f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>',
            f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="black"/>',
            f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="black"/>',
            *body,
            "</svg>",
        ]
    )


def metric_chart(report: dict[str, Any], metric: str = "ndcg@10") -> str:
    """Bar chart of one metric for every model in an evaluate() report."""
    models = report["models"]
    names = list(models)
    top = max([models[n][metric] for n in names] + [1e-9])
    slot = (W - 2 * PAD) / max(len(names), 1)
    body = []
    for k, n in enumerate(names):
        v = models[n][metric]
        h = (H - 2 * PAD) * v / top
        x = PAD + k * slot + slot * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{H - PAD - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"/>'
        )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD - h - 4:.1f}" text-anchor="middle">{v:.4f}</text>'
        )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD + 14}" text-anchor="middle">{escape(n)}</text>'
        )
    title = f"{report['dataset']} ({report['protocol']}): {metric}"
    return _frame(title, body)


def curve_chart(curves: dict[str, list[dict[str, float]]], key: str = "valid_ndcg@10") -> str:
    """Line chart of a per-step training quantity (validation NDCG@10 by default) per model.

    A model with fewer than two checks (one fitted in one pass, or the blend, whose weights are
    tuned on validation rather than trained in steps) has no line: the chart names it instead.
    """
    series = {n: [e[key] for e in c if key in e] for n, c in curves.items()}
    flat = [n for n, s in series.items() if len(s) < 2]
    series = {n: s for n, s in series.items() if len(s) >= 2}
    longest = max([len(s) for s in series.values()] + [2])
    top = max([max(s) for s in series.values()] + [1e-9])
    body = []
    for k, (n, s) in enumerate(series.items()):
        pts = " ".join(
            f"{PAD + (W - 2 * PAD) * i / (longest - 1):.1f},{H - PAD - (H - 2 * PAD) * v / top:.1f}"
            for i, v in enumerate(s)
        )
        colour = PALETTE[k % len(PALETTE)]
        body.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<text x="{W - PAD + 4}" y="{PAD + 14 * k}" fill="{colour}">{escape(n)}</text>')
    body.append(f'<text x="{PAD}" y="{PAD - 6}">{escape(key)} (max {top:.4f})</text>')
    notes = []
    if others := [n for n in flat if n != "blend"]:
        notes.append(f"no curve (fewer than two validation checks): {', '.join(others)}")
    if "blend" in flat:
        notes.append("no curve for the blend: its weights are tuned on validation, not trained in steps")
    for k, note in enumerate(notes):
        body.append(f'<text x="{PAD}" y="{H - PAD + 18 + 14 * k}">{escape(note)}</text>')
    return _frame("training curves (validation checks)", body)


def write_charts(
    report: dict[str, Any], curves: dict[str, list[dict[str, float]]], folder: Path
) -> list[Path]:
    """Writes metrics.svg and curves.svg into folder; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out = [folder / "metrics.svg", folder / "curves.svg"]
    out[0].write_text(metric_chart(report))
    out[1].write_text(curve_chart(curves))
    return out
