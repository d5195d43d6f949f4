"""Charts as inline SVG (for the HTML report) and as text bars (for Markdown): pure.

No script, no external asset, no font download: an SVG scales to its container
(``width="100%"`` with a ``viewBox``), so a chart never makes a page wider than it is, on a
1280-pixel screen or on A4 paper. Text in a chart is escaped; labels longer than their room
are wrapped onto a second line or shortened with an ellipsis (a chart is a picture: the
full label is in the table next to it).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 560  # viewBox width: about its size side by side at 1280 px; it scales
FONT = "system-ui, 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'Microsoft YaHei', sans-serif"


@dataclass(frozen=True)
class Series:
    """One stacked part of every bar: a name for the legend and a colour."""

    key: str
    name: str
    color: str


@dataclass(frozen=True)
class Bar:
    """One bar: a label (and a smaller second line), and a value per series key."""

    label: str
    values: dict[str, int]
    note: str = ""  # a second, smaller line (an endpoint: shortened from its start)
    keep_end: bool = False  # shorten the label from its start (paths end in what differs)

    @property
    def total(self) -> int:
        return sum(self.values.values())


def char_width(ch: str) -> float:
    """Approximate width of a character at font-size 1 (wide CJK forms count double)."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56


def text_width(text: str, size: float) -> float:
    return sum(char_width(c) for c in text) * size


def fit(text: str, room: float, size: float, keep_end: bool = False) -> str:
    """``text`` shortened with an ellipsis to fit ``room`` pixels at ``size`` (cut at its
    start when ``keep_end``)."""
    if text_width(text, size) <= room:
        return text
    if keep_end:
        return fit(text[::-1], room, size)[::-1]
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > room:
            break
        out += ch
    return out + "…"


def cells(text: str) -> int:
    """Terminal cells of ``text`` (CJK forms take two), for aligned text bars."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _svg(height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-label="{html.escape(title)}" '
        f'font-family="{html.escape(FONT)}" font-size="12">'
        f"<title>{html.escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _legend(series: Sequence[Series], y: float) -> list[str]:
    out, x = [], 0.0
    for s in series:
        out.append(
            f'<rect x="{x:.0f}" y="{y - 10:.0f}" width="10" height="10" fill="{s.color}"/>'
            f'<text x="{x + 14:.0f}" y="{y:.0f}" fill="#333">{html.escape(s.name)}</text>'
        )
        x += 14 + text_width(s.name, 12) + 18
    return out


def hbars(title: str, bars: Sequence[Bar], series: Sequence[Series], empty: str) -> str:
    """Horizontal stacked bars, one per row, the total at the end of each; a legend on top."""
    label_room, row = 200.0, 34.0
    top = 28.0
    if not bars:
        return _svg(
            top + 30,
            title,
            [
                *_legend(series, 14),
                f'<text x="0" y="{top + 18:.0f}" fill="#555">{html.escape(empty)}</text>',
            ],
        )
    peak = max(b.total for b in bars) or 1
    room = WIDTH - label_room - 60
    body = _legend(series, 14)
    for i, b in enumerate(bars):
        y = top + i * row
        body.append(
            f'<text x="0" y="{y + 14:.0f}" fill="#222">'
            f"{html.escape(fit(b.label, label_room - 8, 12, b.keep_end))}</text>"
        )
        if b.note:
            body.append(
                f'<text x="0" y="{y + 27:.0f}" fill="#777" font-size="10">'
                f"{html.escape(fit(b.note, label_room - 8, 10, keep_end=True))}</text>"
            )
        x = label_room
        for s in series:
            n = b.values.get(s.key, 0)
            if not n:
                continue
            w = max(1.0, room * n / peak)
            body.append(
                f'<rect x="{x:.1f}" y="{y + 4:.0f}" width="{w:.1f}" height="18" fill="{s.color}">'
                f"<title>{html.escape(f'{b.label}: {n:,} {s.name}')}</title></rect>"
            )
            x += w
        body.append(f'<text x="{x + 6:.1f}" y="{y + 17:.0f}" fill="#222">{b.total:,}</text>')
    return _svg(top + len(bars) * row + 4, title, body)


def columns(title: str, bars: Sequence[Bar], series: Sequence[Series], empty: str) -> str:
    """Vertical stacked columns over time (labels under every few columns), y ticks at 0,
    the middle and the peak."""
    left, top, plot_h = 40.0, 28.0, 150.0
    if not bars or not any(b.total for b in bars):
        return _svg(
            top + 30,
            title,
            [
                *_legend(series, 14),
                f'<text x="0" y="{top + 18:.0f}" fill="#555">{html.escape(empty)}</text>',
            ],
        )
    peak = max(b.total for b in bars) or 1
    step = (WIDTH - left) / len(bars)
    body = _legend(series, 14)
    base = top + plot_h
    for value in sorted({0, peak // 2, peak}):
        y = base - plot_h * value / peak
        body.append(
            f'<line x1="{left:.0f}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>'
            f'<text x="{left - 6:.0f}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{value:,}</text>'
        )
    every = max(1, int(len(bars) / (WIDTH / 60)) + 1)
    for i, b in enumerate(bars):
        x = left + i * step
        y = base
        for s in series:
            n = b.values.get(s.key, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            body.append(
                f'<rect x="{x + step * 0.12:.1f}" y="{y:.1f}" width="{step * 0.76:.1f}" '
                f'height="{h:.1f}" fill="{s.color}">'
                f"<title>{html.escape(f'{b.label}: {n:,} {s.name}')}</title></rect>"
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{base + 14:.0f}" text-anchor="middle" '
                f'fill="#555" font-size="10">{html.escape(b.label)}</text>'
            )
    return _svg(base + 22, title, body)


def text_bars(bars: Sequence[Bar], series: Sequence[Series], width: int = 28) -> list[str]:
    """The same bars as lines of text (one block character per unit of the scale), for
    Markdown code blocks: ``label  ████▒▒ 37 (31 + 6)``."""
    if not bars:
        return []
    marks = "█▓▒░"
    label_w = min(max(cells(b.label) for b in bars), 40)
    peak = max(b.total for b in bars) or 1
    out = []
    for b in bars:
        label = b.label if cells(b.label) <= label_w else fit(b.label, label_w * 0.56, 1)
        bar = ""
        for i, s in enumerate(series):
            n = b.values.get(s.key, 0)
            if n:
                bar += marks[i % len(marks)] * max(1, round(width * n / peak))
        parts = [f"{b.values.get(s.key, 0):,}" for s in series if b.values.get(s.key, 0)]
        split = f" ({' + '.join(parts)})" if len(parts) > 1 else ""
        out.append(f"{label}{' ' * (label_w - cells(label))}  {bar} {b.total:,}{split}")
    return out


def legend_text(series: Sequence[Series]) -> str:
    marks = "█▓▒░"
    return "   ".join(f"{marks[i % len(marks)]} {s.name}" for i, s in enumerate(series))
