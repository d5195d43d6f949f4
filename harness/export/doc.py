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
    headers: list[str]
    rows: Sequence[Sequence[Inline]] = field(default_factory=list)


@dataclass
class Comment:
    """Invisible in a rendered page, readable in the source."""

    lines: list[str]


Block = Heading | Para | Bullets | Table | Comment

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
    "body{font-family:system-ui,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#222}table{border-collapse:collapse;margin:1rem 0}"
    "th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .2rem}"
    "ul.check{list-style:none;padding-left:1rem}"
)


def to_html(blocks: Sequence[Block], title: str) -> str:
    """A complete HTML page with inline CSS and no external assets."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 6)
            out.append(f"<h{level}>{html_inline(block.text)}</h{level}>")
        elif isinstance(block, Para):
            out.append(f"<p>{html_inline(block.text)}</p>")
        elif isinstance(block, Bullets):
            cls = ' class="check"' if block.checkbox else ""
            box = '<input type="checkbox" disabled> ' if block.checkbox else ""
            items = "".join(f"<li>{box}{html_inline(i)}</li>" for i in block.items)
            out.append(f"<ul{cls}>{items}</ul>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html_inline(c)}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Comment):
            out.append(
                "<!-- " + html.escape(" / ".join(_comment_safe(x) for x in block.lines)) + " -->"
            )
    out.append("</body></html>")
    return "\n".join(out) + "\n"
