"""Tables that fit the terminal: 80 columns included, nothing cut, ``--wide`` for all columns.

Every table here wraps long text inside its cell instead of ending it with an ellipsis, and
shortens what repeats: endpoints that share a leading path show only the part after it
(the shared part is said once), fields that share a leading element (XML roots) likewise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from rich.cells import cell_len
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

Justify = Literal["left", "right", "center"]


@dataclass(frozen=True)
class Column:
    """A table column: ``grow`` columns take what is left (prose: rules, messages)."""

    name: str
    justify: Justify = "left"
    grow: bool = False
    min_width: int | None = None


GROW_MIN = 16  # a prose column narrower than this reads badly: cards instead


def table(columns: Sequence[Column], title: str | None = None, wide: bool = False) -> Table:
    """A table without outer borders: short columns never wrap, prose columns wrap (fold
    what has no spaces), nothing ends with an ellipsis."""
    t = Table(
        title=title,
        title_justify="left",
        box=None,
        pad_edge=False,
        expand=False,
        title_style="bold",
        header_style="bold underline",
    )
    for c in columns:
        t.add_column(
            c.name,
            justify=c.justify,
            overflow="fold",
            min_width=c.min_width,
            no_wrap=wide or not c.grow,
        )
    return t


def fits(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> bool:
    """True when the short columns at full width and each prose column at GROW_MIN fit."""
    need = 2 * (len(columns) - 1)
    for i, c in enumerate(columns):
        natural = _natural(c, i, rows)
        need += min(natural, GROW_MIN) if c.grow else natural
    return need <= width


def _natural(column: Column, i: int, rows: Sequence[Sequence[str]]) -> int:
    return max([cell_len(column.name)] + [cell_len(r[i]) for r in rows])


def show(
    console: Console,
    columns: Sequence[Column],
    rows: Iterable[Sequence[str]],
    wide: bool = False,
    title: str | None = None,
) -> None:
    """Print rows as a table, or as cards when the table cannot fit the console.

    A card is one line of the short columns, then each ``grow`` column on its own indented
    lines, wrapped at the console's width: nothing is cut either way.
    """
    rows = [list(r) for r in rows]
    if wide or fits(columns, rows, console.width):
        columns = [
            Column(c.name, c.justify, c.grow, min(GROW_MIN, _natural(c, i, rows))) if c.grow else c
            for i, c in enumerate(columns)
        ]
        t = table(columns, title, wide)
        for r in rows:
            t.add_row(*r)
        console.print(t)
        return
    if title:
        console.print(Text(title, style="bold"))
    widths = [_natural(c, i, rows) for i, c in enumerate(columns)]
    for r in rows:
        head = []
        for i, c in enumerate(columns):
            if c.grow or not r[i]:
                continue
            pad = " " * max(0, widths[i] - cell_len(r[i]))
            head.append(pad + r[i] if c.justify == "right" else r[i] + pad)
        console.print(Text("  ".join(head).rstrip(), overflow="fold"))
        for i, c in enumerate(columns):
            if c.grow and r[i]:
                console.print(Padding(Text(r[i], overflow="fold"), (0, 0, 0, 6), expand=False))


def _common(parts: Iterable[list[str]]) -> list[str]:
    """The leading elements every list shares."""
    common: list[str] | None = None
    for p in parts:
        if common is None:
            common = p
            continue
        n = 0
        while n < min(len(common), len(p)) and common[n] == p[n]:
            n += 1
        common = common[:n]
    return common or []


def path_prefix(endpoints: Iterable[str]) -> str:
    """The leading path several endpoints share (``/openapi/v1``), or '' when fewer than two
    segments are shared or there is only one endpoint."""
    distinct = set(endpoints)
    if len(distinct) < 2:
        return ""
    parts = _common([p for p in e.split(" ", 1)[-1].split("/")[:-1] if p] for e in sorted(distinct))
    return "/" + "/".join(parts) if len(parts) >= 2 else ""


def short_endpoint(endpoint: str, prefix: str) -> str:
    """``POST /openapi/v1/vaccount/open`` -> ``POST …/vaccount/open`` under ``/openapi/v1``."""
    if not prefix:
        return endpoint
    method, _, path = endpoint.partition(" ")
    if path.startswith(prefix + "/"):
        return f"{method} …{path[len(prefix) :]}"
    return endpoint


def field_prefix(fields: Iterable[str]) -> str:
    """The leading elements all field paths share (``Request.Body``), or ''."""
    return ".".join(_common(path.split(".")[:-1] for path in fields))


def short_field(path: str, prefix: str) -> str:
    return path[len(prefix) + 1 :] if prefix and path.startswith(prefix + ".") else path


def under(prefix: str) -> str:
    """The note that says what was shortened: `` (paths under /openapi/v1)``."""
    return f" (paths under {prefix})" if prefix else ""


def shown_line(shown: int, total: int, noun: str, limit_opt: str = "--limit") -> str:
    """``showing 50 of 175 exchanges (raise --limit)``, or ``175 exchanges`` when all fit."""
    if shown >= total:
        return f"{total:,} {noun}"
    return f"showing {shown:,} of {total:,} {noun} (raise {limit_opt})"


def clock(ts: datetime | None, tz: Any, with_day: bool) -> str:
    """A stored time in the local timezone: ``03:12:01`` or ``11-24 03:12:01``."""
    if ts is None:
        return ""
    if ts.tzinfo is None:  # SQLite hands back naive UTC
        ts = ts.replace(tzinfo=UTC)
    local = ts.astimezone(tz)
    return local.strftime("%m-%d %H:%M:%S" if with_day else "%H:%M:%S")


def one_day(stamps: Iterable[datetime | None], tz: Any) -> str | None:
    """The local day all stamps fall on (``2026-11-24``), or None when they span several."""
    days = set()
    for ts in stamps:
        if ts is None:
            continue
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        days.add(ts.astimezone(tz).date().isoformat())
        if len(days) > 1:
            return None
    return days.pop() if len(days) == 1 else None
