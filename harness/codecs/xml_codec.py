"""XML bodies that re-encode byte for byte, in GBK as in UTF-8.

The tree is ``{root_tag: content}``. An element's content is

- its text (``str``) when it has neither attributes nor child elements;
- otherwise a dict: ``"@name"`` for each attribute, one key per child tag (a list when the
  tag repeats), and ``"#text"`` for its text (a list when text is split by CDATA sections
  or, in mixed content, by child elements).

``xmlns`` declarations are structure, not leaves. Whitespace between child elements,
comments, processing instructions, the XML declaration and a DOCTYPE are structure too.

Parsing is a small lenient tokenizer (not a validating parser): it accepts what bank
gateways send, including bare ``&`` and unknown entities (kept literally), and records the
document as a :class:`Document` template: every tag, attribute name, quote character and
whitespace run, with the leaf texts cut out. Encoding walks the template and writes the
tree's current leaves, escaped as the original was (``&gt;`` or ``>``, CDATA stays CDATA),
so an unchanged tree gives the original bytes and a changed leaf changes only that leaf.
Elements or attributes added to the tree are written after the template's; removed ones
are dropped. The template never holds a leaf value (comments excepted: they are kept as
structure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Document", "XmlStyle", "parse", "render", "xml_declared_encoding"]

_TOKEN = re.compile(
    r"""(?P<comment><!--.*?-->)
      |(?P<cdata><!\[CDATA\[(?P<cdata_text>.*?)\]\]>)
      |(?P<pi><\?.*?\?>)
      |(?P<doctype><!DOCTYPE[^\[>]*(?:\[[^\]]*\]\s*)?>)
      |(?P<end></(?P<end_name>[^\s<>/]+)\s*>)
      |(?P<start><(?P<name>[^\s<>/!?"'=]+)
          (?P<attrs>(?:\s+[^\s<>/="']+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)
          (?P<close>\s*/?>))
      |(?P<text>[^<]+)""",
    re.DOTALL | re.VERBOSE,
)
_ATTR = re.compile(r"""(\s+)([^\s<>/="']+)(\s*=\s*)(["'])(.*?)\4""", re.DOTALL)
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot|apos);")
_CHARREF = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")
_NONASCII = re.compile(r"[^\x00-\x7f]")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_DECL_ENCODING = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def xml_declared_encoding(data: bytes) -> str | None:
    """The ``encoding`` of an XML declaration at the start of ``data``, if any."""
    m = _DECL_ENCODING.match(data[:256].lstrip(b"\xef\xbb\xbf"))
    return m.group(1).decode("ascii") if m else None


def _unescape(text: str) -> str:
    if "&" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref[0] == "#":
            try:
                return chr(int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:]))
            except (ValueError, OverflowError):
                return m.group(0)
        return _NAMED[ref]

    return _ENTITY.sub(one, text)


@dataclass(frozen=True)
class XmlStyle:
    """Which optional escapes the sender used."""

    text_gt: bool = True  # ">" in text written as &gt;
    text_quot: bool = False
    text_apos: bool = False
    attr_gt: bool = False
    charref: str | None = None  # non-ASCII as "&#20013;" ("dec"), "&#x4e2d;" ("hex"), "HEX"


@dataclass
class Attr:
    prefix: str  # whitespace, name, "=" with its spacing, and the opening quote
    name: str
    quote: str
    leaf: bool  # False for xmlns declarations, kept verbatim
    raw: str = ""  # the raw value of a non-leaf attribute


@dataclass
class Element:
    tag: str
    attrs: list[Attr]
    close: str  # ">" or "/>", with any whitespace before it
    end: str  # "</tag>" as written, "" when self-closing
    # ("lit", text) structure, ("elem", Element), ("text", ((is_cdata, length), ...)) a leaf
    children: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def self_closing(self) -> bool:
        return self.close.endswith("/>")

    @property
    def has_elements(self) -> bool:
        return any(kind == "elem" for kind, _ in self.children)


@dataclass
class Document:
    prolog: str
    root: Element
    epilog: str
    style: XmlStyle


class XmlSyntaxError(ValueError):
    """Not well-formed enough to round-trip."""


def parse(text: str, max_depth: int = 64) -> tuple[dict[str, Any], Document]:
    """Parse XML text into ``(tree, template)``; raises :class:`XmlSyntaxError`.

    Linear in the text: the tokenizer never backtracks across tokens (a DOCTYPE has at
    most one internal subset, which ends at its first ``]``). Elements nested deeper than
    ``max_depth`` raise RecursionError.
    """
    pos = 0
    prolog: list[str] = []
    epilog: list[str] = []
    root: Element | None = None
    stack: list[Element] = []
    raw_texts: list[str] = []
    raw_attrs: list[str] = []
    attr_values: dict[int, list[str]] = {}
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise XmlSyntaxError(f"unexpected markup at offset {pos}")
        pos = m.end()
        kind = m.lastgroup
        tok = m.group(0)
        if kind == "start":
            elem = _start(m, raw_attrs, attr_values)
            if stack:
                stack[-1].children.append(("elem", elem))
            elif root is None:
                root = elem
            else:
                raise XmlSyntaxError("more than one root element")
            if not elem.self_closing:
                stack.append(elem)
                if len(stack) > max_depth:
                    raise RecursionError("nested too deeply")
            continue
        if not stack:
            if kind == "text" and tok.strip():
                raise XmlSyntaxError("text outside the root element")
            if kind in ("end", "cdata"):
                raise XmlSyntaxError(f"{kind} outside the root element")
            (epilog if root is not None else prolog).append(tok)
            continue
        parent = stack[-1]
        if kind == "end":
            if m.group("end_name") != parent.tag:
                raise XmlSyntaxError("mismatched end tag")
            parent.end = tok
            stack.pop()
        elif kind == "text":
            parent.children.append(("raw", tok))
            raw_texts.append(tok)
        elif kind == "cdata":
            parent.children.append(("cdata", m.group("cdata_text")))
        elif kind == "doctype":
            raise XmlSyntaxError("DOCTYPE inside an element")
        else:
            parent.children.append(("lit", tok))
    if root is None:
        raise XmlSyntaxError("no root element")
    if stack:
        raise XmlSyntaxError("unclosed element")
    style = _infer_style(raw_texts, raw_attrs)
    tree = {root.tag: _content(root, attr_values)}
    return tree, Document("".join(prolog), root, "".join(epilog), style)


def _start(m: re.Match[str], raw_attrs: list[str], attr_values: dict[int, list[str]]) -> Element:
    attrs = []
    values = []
    for a in _ATTR.finditer(m.group("attrs")):
        ws, name, eq, quote, raw = a.groups()
        leaf = not (name == "xmlns" or name.startswith("xmlns:"))
        attrs.append(Attr(ws + name + eq + quote, name, quote, leaf, "" if leaf else raw))
        if leaf:
            raw_attrs.append(raw)
            values.append(_unescape(raw))
    elem = Element(m.group("name"), attrs, m.group("close"), "")
    attr_values[id(elem)] = values
    return elem


def _infer_style(texts: list[str], attrs: list[str]) -> XmlStyle:
    def pick(chunks: list[str], entity: str, char: str, default: bool) -> bool:
        if any(entity in c for c in chunks):
            return True
        if any(char in c for c in chunks):
            return False
        return default

    charref = None
    if all(c.isascii() for c in texts) and all(c.isascii() for c in attrs):
        for m in _CHARREF.finditer("".join(texts) + "".join(attrs)):
            ref = m.group(1)
            value = int(ref[1:], 16) if ref[0] == "x" else int(ref)
            if value >= 0x80:
                charref = "dec" if ref[0] != "x" else "HEX" if ref[1:] != ref[1:].lower() else "hex"
                break
    return XmlStyle(
        text_gt=pick(texts, "&gt;", ">", True),
        text_quot=pick(texts, "&quot;", '"', False),
        text_apos=pick(texts, "&apos;", "'", False),
        attr_gt=pick(attrs, "&gt;", ">", False),
        charref=charref,
    )


def _content(elem: Element, attr_values: dict[int, list[str]]) -> Any:
    """An element's tree value; also settles which of its text chunks are leaves.

    Adjacent text and CDATA chunks form one leaf (a *run*); the template keeps each
    chunk's kind and length so that an unchanged leaf is written back chunk by chunk.
    """
    structured = any(kind in ("elem", "lit") for kind, _ in elem.children)
    texts: list[str] = []
    children: list[tuple[str, Any]] = []
    run: list[tuple[bool, int]] = []
    run_text: list[str] = []

    def flush() -> None:
        if run:
            children.append(("text", tuple(run)))
            texts.append("".join(run_text))
            run.clear()
            run_text.clear()

    for kind, val in elem.children:
        if kind == "raw" and not (structured and not val.strip()):
            decoded = _unescape(val)
            run.append((False, len(decoded)))
            run_text.append(decoded)
        elif kind == "cdata":
            run.append((True, len(val)))
            run_text.append(val)
        else:
            flush()
            children.append(("lit", val) if kind == "raw" else (kind, val))
    flush()
    elem.children = children
    values = attr_values.pop(id(elem), [])
    if not structured and not values:
        return texts[0] if texts else ""
    out: dict[str, Any] = {}
    for a, v in zip([a for a in elem.attrs if a.leaf], values, strict=True):
        out["@" + a.name] = v
    repeated: set[str] = set()
    for kind, val in children:
        if kind != "elem":
            continue
        value = _content(val, attr_values)
        if val.tag not in out:
            out[val.tag] = value
        elif val.tag in repeated:
            out[val.tag].append(value)
        else:
            out[val.tag] = [out[val.tag], value]
            repeated.add(val.tag)
    if texts:
        out["#text"] = texts[0] if len(texts) == 1 else texts
    elif not structured and not elem.self_closing:
        out["#text"] = ""  # <a x="1"></a>: empty text, as <a></a> is ""
    return out


def escape_text(s: str, style: XmlStyle) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;")
    if style.text_gt:
        s = s.replace(">", "&gt;")
    if style.text_quot:
        s = s.replace('"', "&quot;")
    if style.text_apos:
        s = s.replace("'", "&apos;")
    return _charrefs(s, style)


def _charrefs(s: str, style: XmlStyle) -> str:
    if style.charref is None or s.isascii():
        return s
    fmt = {"hex": "&#x{:x};", "HEX": "&#x{:X};"}.get(style.charref, "&#{};")
    return _NONASCII.sub(lambda m: fmt.format(ord(m.group(0))), s)


def escape_attr(s: str, quote: str, style: XmlStyle) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;")
    if style.attr_gt:
        s = s.replace(">", "&gt;")
    return _charrefs(s.replace(quote, "&quot;" if quote == '"' else "&apos;"), style)


def _cdata(s: str) -> str:
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _leaf_str(v: Any) -> str:
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def render(tree: Any, doc: Document | None, style: XmlStyle | None = None) -> str:
    """XML text for ``tree``, following the template ``doc`` where it still fits."""
    style = style or (doc.style if doc else XmlStyle())
    out: list[str] = []
    if not isinstance(tree, dict) or len(tree) != 1:
        raise ValueError("an XML tree has exactly one root element")
    ((tag, value),) = tree.items()
    if doc is None:
        _generic(tag, value, style, out)
        return "".join(out)
    out.append(doc.prolog)
    if tag == doc.root.tag and not isinstance(value, list):
        _render(doc.root, value, style, out)
    else:
        _generic(tag, value, style, out)
    out.append(doc.epilog)
    return "".join(out)


def _render(elem: Element, value: Any, style: XmlStyle, out: list[str]) -> None:
    as_dict = value if isinstance(value, dict) else {}
    out.append("<" + elem.tag)
    seen: set[str] = set()
    for a in elem.attrs:
        if not a.leaf:
            out.append(a.prefix + a.raw + a.quote)
            continue
        key = "@" + a.name
        seen.add(key)
        if key in as_dict:
            out.append(a.prefix + escape_attr(_leaf_str(as_dict[key]), a.quote, style) + a.quote)
    for key, v in as_dict.items():
        if key.startswith("@") and key not in seen:
            out.append(f' {key[1:]}="{escape_attr(_leaf_str(v), chr(34), style)}"')
    texts = _texts(value)
    children_keys = [k for k in as_dict if not k.startswith("@") and k != "#text"]
    empty = not children_keys and all(t == "" for t in texts)
    if elem.self_closing and empty and not elem.has_elements:
        out.append(elem.close)
        return
    out.append(">" if elem.self_closing else elem.close)
    text_iter = iter(texts)
    done: dict[str, int] = {}
    for kind, val in elem.children:
        if kind == "lit":
            out.append(val)
        elif kind == "text":
            t = next(text_iter, None)
            if t is not None:
                _render_run(t, val, style, out)
        else:
            child: Element = val
            occ = done.get(child.tag, 0)
            done[child.tag] = occ + 1
            if child.tag not in as_dict:
                continue
            items = as_dict[child.tag]
            if isinstance(items, list):
                if occ < len(items):
                    _render(child, items[occ], style, out)
            elif occ == 0:
                _render(child, items, style, out)
    for t in text_iter:
        out.append(escape_text(t, style))
    for key in children_keys:
        items = as_dict[key]
        items = items if isinstance(items, list) else [items]
        for v in items[done.get(key, 0) :]:
            _generic(key, v, style, out)
    out.append(elem.end or f"</{elem.tag}>")


def _render_run(
    text: str, chunks: tuple[tuple[bool, int], ...], style: XmlStyle, out: list[str]
) -> None:
    if len(chunks) > 1 and len(text) == sum(n for _, n in chunks):
        pos = 0
        for is_cdata, n in chunks:
            piece = text[pos : pos + n]
            pos += n
            out.append(_cdata(piece) if is_cdata else escape_text(piece, style))
        return
    if any(is_cdata for is_cdata, _ in chunks):
        out.append(_cdata(text))
    else:
        out.append(escape_text(text, style))


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        t = value.get("#text")
        if t is None:
            return []
        return [_leaf_str(x) for x in t] if isinstance(t, list) else [_leaf_str(t)]
    if isinstance(value, list):
        return [_leaf_str(x) for x in value]
    return [_leaf_str(value)]


def _generic(tag: str, value: Any, style: XmlStyle, out: list[str]) -> None:
    if isinstance(value, list):
        for v in value:
            _generic(tag, v, style, out)
        return
    out.append("<" + tag)
    if isinstance(value, dict):
        for key, v in value.items():
            if key.startswith("@"):
                out.append(f' {key[1:]}="{escape_attr(_leaf_str(v), chr(34), style)}"')
    out.append(">")
    if isinstance(value, dict):
        for t in _texts(value):
            out.append(escape_text(t, style))
        for key, v in value.items():
            if not key.startswith("@") and key != "#text":
                _generic(key, v, style, out)
    else:
        out.append(escape_text(_leaf_str(value), style))
    out.append(f"</{tag}>")
