"""A tiny document model rendered as Markdown or as self-contained HTML.

The checklist and the incident report are built as a list of blocks, then rendered; text is
escaped by the renderer, so bank messages and labels never break the layout.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Code:
    """Inline code: a field path, an endpoint, a rejection code."""

    text: str


@dataclass(frozen=True)
class Strong:
    text: str


Span = str | Code | Strong
Inline = Sequence[Span] | Span


@dataclass
class Heading:
    level: int
    text: Inline


@dataclass
class Para:
    text: Inline


@dataclass
class Bullets:
    items: Sequence[Inline]
    checkbox: bool = False


@dataclass
class Table:
    """Rows under headers; ``widths`` (CSS lengths, one per column) fix the HTML layout so
    that long cells wrap inside the page instead of widening it."""

    headers: list[str]
    rows: Sequence[Sequence[Inline]] = field(default_factory=list)
    widths: list[str] | None = None


@dataclass
class Lead:
    """The paragraph a reader must not miss (a report's headline)."""

    text: Inline


@dataclass
class Tiles:
    """Key figures side by side: (figure, what it counts)."""

    items: list[tuple[str, str]]


@dataclass
class Figure:
    """A chart: inline SVG in HTML, its text form (lines in a code block) in Markdown."""

    caption: str
    svg: str
    text: list[str]


@dataclass
class Charts:
    """Figures side by side where the page is wide enough (one under another in print)."""

    figures: list[Figure]


@dataclass
class Box:
    """Blocks set apart (a notice to forward): a framed section in HTML, a quote in Markdown."""

    blocks: list[Block]


@dataclass
class Comment:
    """Invisible in a rendered page, readable in the source."""

    lines: list[str]


Block = Heading | Para | Bullets | Table | Comment | Lead | Tiles | Figure | Charts | Box

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _spans(text: Inline) -> list[Span]:
    return [text] if isinstance(text, (str, Code, Strong)) else list(text)


def md_text(text: str) -> str:
    """Plain text escaped for Markdown (line breaks folded into spaces)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split("\n")))


def md_code(text: str) -> str:
    text = " ".join(text.split("\n"))
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_inline(text: Inline) -> str:
    """Spans as Markdown."""
    out = []
    for span in _spans(text):
        if isinstance(span, Code):
            out.append(md_code(span.text))
        elif isinstance(span, Strong):
            out.append(f"**{md_text(span.text)}**")
        else:
            out.append(md_text(span))
    return "".join(out)


def _comment_safe(line: str) -> str:
    return line.replace("--", "- -")


def to_markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, (Lead, Tiles, Figure, Charts, Box)):
            out.append(_md_extra(block))
            continue
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + md_inline(block.text))
        elif isinstance(block, Para):
            line = md_inline(block.text)
            out.append("\\" + line if line.startswith("#") else line)  # never a heading
        elif isinstance(block, Bullets):
            mark = "- [ ] " if block.checkbox else "- "
            out.append("\n".join(mark + md_inline(item) for item in block.items))
        elif isinstance(block, Table):
            lines = ["| " + " | ".join(md_text(h) for h in block.headers) + " |"]
            lines.append("|" + "|".join("---" for _ in block.headers) + "|")
            lines += ["| " + " | ".join(md_inline(c) for c in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
        elif isinstance(block, Comment):
            out.append("<!--\n" + "\n".join(_comment_safe(x) for x in block.lines) + "\n-->")
    return "\n\n".join(out) + "\n"


def _md_extra(block: Lead | Tiles | Figure | Charts | Box) -> str:
    if isinstance(block, Lead):
        return md_inline(block.text)
    if isinstance(block, Tiles):
        return "\n".join(f"- **{md_text(value)}** {md_text(label)}" for value, label in block.items)
    if isinstance(block, Figure):
        lines = "\n".join(line.replace("```", "`\u200b``") for line in block.text)
        return f"**{md_text(block.caption)}**\n\n```text\n{lines}\n```"
    if isinstance(block, Charts):
        return "\n\n".join(_md_extra(f) for f in block.figures)
    inner = to_markdown(block.blocks).rstrip("\n")
    return "\n".join(("> " + line) if line else ">" for line in inner.split("\n"))


def html_inline(text: Inline) -> str:
    out = []
    for span in _spans(text):
        if isinstance(span, Code):
            out.append(f"<code>{html.escape(span.text)}</code>")
        elif isinstance(span, Strong):
            out.append(f"<strong>{html.escape(span.text)}</strong>")
        else:
            out.append(html.escape(span))
    return "".join(out)


_STYLE = (
    "*{box-sizing:border-box}"
    "body{font-family:system-ui,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',"
    "'WenQuanYi Zen Hei',sans-serif;max-width:72rem;margin:0 auto;padding:1.5rem 2rem;"
    "line-height:1.5;color:#1d2430;overflow-wrap:break-word}"
    "h1{font-size:1.6rem;margin:.5rem 0 1rem}h2{font-size:1.25rem;margin:2rem 0 .5rem;"
    "border-bottom:1px solid #ddd}h3{font-size:1.05rem;margin:1.25rem 0 .25rem}"
    "table{border-collapse:collapse;margin:.75rem 0;width:100%;table-layout:fixed}"
    "th,td{border:1px solid #d5d9de;padding:.3rem .5rem;text-align:left;vertical-align:top;"
    "overflow-wrap:break-word}"
    "th{background:#f2f4f6;font-weight:600;font-size:.85rem}code{background:#f2f4f6;"
    "padding:0 .2rem;border-radius:3px;font-size:.9em;overflow-wrap:anywhere}"
    "ul.check{list-style:none;padding-left:1rem}"
    ".lead{font-size:1.15rem;padding:.75rem 1rem;border-left:4px solid #c0392b;"
    "background:#fbf3f2}"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.75rem;"
    "margin:1rem 0}.tile{border:1px solid #d5d9de;border-radius:6px;padding:.6rem .8rem}"
    ".tile b{display:block;font-size:1.5rem}.tile span{color:#555;font-size:.9rem}"
    "figure{margin:1rem 0;break-inside:avoid}figcaption{font-weight:600;margin-bottom:.25rem}"
    "figure svg{display:block;width:100%;height:auto}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(30rem,1fr));gap:1rem}"
    ".box{border:2px solid #1d2430;border-radius:6px;padding:.5rem 1.25rem;margin:1rem 0}"
    "@media print{@page{size:A4;margin:12mm}body{max-width:none;padding:0;font-size:10pt}"
    ".charts{display:block}tr,figure,.tile,.box{break-inside:avoid}"
    "h2,h3{break-after:avoid}}"
)


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 6)
        return f"<h{level}>{html_inline(block.text)}</h{level}>"
    if isinstance(block, Para):
        return f"<p>{html_inline(block.text)}</p>"
    if isinstance(block, Lead):
        return f'<p class="lead">{html_inline(block.text)}</p>'
    if isinstance(block, Bullets):
        cls = ' class="check"' if block.checkbox else ""
        box = '<input type="checkbox" disabled> ' if block.checkbox else ""
        items = "".join(f"<li>{box}{html_inline(i)}</li>" for i in block.items)
        return f"<ul{cls}>{items}</ul>"
    if isinstance(block, Table):
        cols = (
            "<colgroup>" + "".join(f'<col style="width:{w}">' for w in block.widths) + "</colgroup>"
            if block.widths
            else ""
        )
        head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html_inline(c)}</td>" for c in row) + "</tr>"
            for row in block.rows
        )
        return f"<table>{cols}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(block, Tiles):
        tiles = "".join(
            f'<div class="tile"><b>{html.escape(v)}</b><span>{html.escape(label)}</span></div>'
            for v, label in block.items
        )
        return f'<div class="tiles">{tiles}</div>'
    if isinstance(block, Figure):
        return f"<figure><figcaption>{html.escape(block.caption)}</figcaption>{block.svg}</figure>"
    if isinstance(block, Charts):
        return '<div class="charts">' + "".join(_html_block(f) for f in block.figures) + "</div>"
    if isinstance(block, Box):
        return (
            '<section class="box">' + "\n".join(_html_block(b) for b in block.blocks) + "</section>"
        )
    return "<!-- " + html.escape(" / ".join(_comment_safe(x) for x in block.lines)) + " -->"


def to_html(blocks: Sequence[Block], title: str) -> str:
    """A complete HTML page with inline CSS and SVG, no script and no external asset; it fits
    a 1280-pixel window without horizontal scrolling and prints on A4."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
    ]
    out += [_html_block(block) for block in blocks]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
