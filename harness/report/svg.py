"""Inline SVG charts for the HTML report: no scripts, no fonts, no network.

Every chart is an ``<svg class="plot ...">`` element with ``<title>`` children for hover text;
colours come from CSS classes defined in :mod:`harness.report.html`.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

LABEL_W = 120
RIGHT_PAD = 16


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass
class Span:
    start: float
    end: float
    css: str
    title: str


@dataclass
class Lane:
    name: str
    spans: list[Span] = field(default_factory=list)
    ticks: bool = False  # instants drawn as ticks rather than bars


def _clock(ms: float) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%H:%M:%S")


def _ticks(t0: float, t1: float, n: int = 6) -> list[float]:
    if t1 <= t0:
        return [t0]
    step = (t1 - t0) / n
    return [t0 + i * step for i in range(n + 1)]


def timeline(
    title: str,
    t0: float,
    t1: float,
    level: Sequence[tuple[float, float]],
    lanes: Sequence[Lane],
    boundaries: Sequence[tuple[float, str]] = (),
    width: int = 980,
) -> str:
    """Battery level (a step line, 0-100 %) above one row per lane, over wall-clock time."""
    if t1 <= t0:
        t1 = t0 + 1000
    plot_w = width - LABEL_W - RIGHT_PAD
    level_h, lane_h, top = 90, 20, 8
    height = top + level_h + 10 + lane_h * len(lanes) + 28

    def x(t: float) -> float:
        return LABEL_W + (min(max(t, t0), t1) - t0) / (t1 - t0) * plot_w

    parts = [
        f'<svg class="plot timeline" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{esc(title)}</title>",
        f'<text class="lbl" x="4" y="{top + 14}">battery %</text>',
        f'<rect class="frame" x="{LABEL_W}" y="{top}" width="{plot_w}" height="{level_h}"/>',
    ]
    for pct in (0, 50, 100):
        y = top + level_h - pct / 100 * level_h
        parts.append(f'<line class="grid" x1="{LABEL_W}" x2="{LABEL_W + plot_w}" y1="{y:.1f}" '
                     f'y2="{y:.1f}"/><text class="axis" x="{LABEL_W - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{pct}</text>')
    if level:
        points = []
        last_y = None
        for t, pct in level:
            y = top + level_h - max(0.0, min(100.0, pct)) / 100 * level_h
            if last_y is not None:
                points.append(f"{x(t):.1f},{last_y:.1f}")
            points.append(f"{x(t):.1f},{y:.1f}")
            last_y = y
        points.append(f"{x(t1):.1f},{last_y:.1f}")
        parts.append(f'<polyline class="level" points="{" ".join(points)}">'
                     f"<title>battery level</title></polyline>")
    y0 = top + level_h + 10
    for i, lane in enumerate(lanes):
        y = y0 + i * lane_h
        parts.append(f'<text class="lbl" x="4" y="{y + 14}">{esc(lane.name)}</text>')
        parts.append(f'<rect class="lane" x="{LABEL_W}" y="{y + 2}" width="{plot_w}" '
                     f'height="{lane_h - 4}"/>')
        for s in lane.spans:
            if lane.ticks:
                parts.append(f'<line class="tick {s.css}" x1="{x(s.start):.1f}" '
                             f'x2="{x(s.start):.1f}" y1="{y + 2}" y2="{y + lane_h - 2}">'
                             f"<title>{esc(s.title)}</title></line>")
            else:
                w = max(1.5, x(s.end) - x(s.start))
                parts.append(f'<rect class="span {s.css}" x="{x(s.start):.1f}" y="{y + 3}" '
                             f'width="{w:.1f}" height="{lane_h - 6}">'
                             f"<title>{esc(s.title)}</title></rect>")
    bottom = y0 + lane_h * len(lanes)
    for t, label in boundaries:
        parts.append(f'<line class="edge" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" '
                     f'y2="{bottom}"><title>{esc(label)}</title></line>')
    for t in _ticks(t0, t1):
        parts.append(f'<text class="axis" x="{x(t):.1f}" y="{bottom + 16}" '
                     f'text-anchor="middle">{_clock(t)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str,
    width: int = 980,
) -> str:
    """Horizontal grouped bars: one group per label, one bar per series."""
    bar_h, gap = 12, 8
    label_w = 300
    plot_w = width - label_w - 150
    n = max(1, len(series))
    group_h = n * bar_h + gap
    legend_h = 22
    height = legend_h + group_h * max(1, len(labels)) + 10
    values = [v for _, vs in series for v in vs if v is not None]
    top_value = max(values) if values and max(values) > 0 else 1.0
    parts = [
        f'<svg class="plot bars" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{esc(title)}</title>",
    ]
    for j, (name, _) in enumerate(series):
        lx = label_w + j * 180
        parts.append(f'<rect class="s{j % 6}" x="{lx}" y="4" width="10" height="10"/>'
                     f'<text class="lbl" x="{lx + 14}" y="13">{esc(name)}</text>')
    for i, label in enumerate(labels):
        gy = legend_h + i * group_h
        short = label if len(label) <= 44 else "…" + label[-43:]
        parts.append(f'<text class="lbl" x="4" y="{gy + group_h / 2 + 2:.1f}">'
                     f"<title>{esc(label)}</title>{esc(short)}</text>")
        for j, (name, vs) in enumerate(series):
            v = vs[i] if i < len(vs) else None
            y = gy + j * bar_h
            w = 0.0 if v is None else max(0.0, v) / top_value * plot_w
            text = "n/a" if v is None else f"{v:.4g} {unit}"
            parts.append(f'<rect class="bar s{j % 6}" x="{label_w}" y="{y}" width="{w:.1f}" '
                         f'height="{bar_h - 2}"><title>{esc(label)} · {esc(name)}: '
                         f"{esc(text)}</title></rect>"
                         f'<text class="axis" x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}">'
                         f"{esc(text)}</text>")
    parts.append("</svg>")
    return "".join(parts)
