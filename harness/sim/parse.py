"""A simulated bank reads a request body into fields by path, as its rules address them.

:func:`parse_fields` gives ``{path: text}`` (path parameters included) or None when the body
is malformed. Paths are those of :mod:`harness.codecs.fields`: ``amount``, ``debtor.name``,
``items[0].amount``, ``Head.TxCode`` (XML paths leave out the root element).

- **JSON** (UTF-8): every leaf by its path. A string leaf is its text; a number keeps its
  source text as :class:`Number` (``100.10`` stays ``100.10``); ``true``/``false`` are
  :class:`Literal`; ``null`` is absent. An object or a list is also present at its own path
  as a :class:`Container`, so a rule on a string field meets it as a value: its JSON text
  at the top level (as simbank always read it), ``{…}`` or ``[…]`` deeper down (so that a
  deep body costs linear time, not one copy per level). The top level must be an object.
- **form** (``application/x-www-form-urlencoded``): percent-decoded in the Content-Type's
  charset, else the endpoint's; the first of repeated names wins.
- **XML**: the declaration's encoding, else the Content-Type's charset, else UTF-8; the root
  element must be the endpoint's.

The value types are ``str`` subclasses, so every check that reads text reads them as text;
only the ``json_type`` rule kind looks at the type.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes


class Number(str):
    """A JSON number, as written."""


class Literal(str):
    """A JSON ``true`` or ``false``."""


class Container(str):
    """A JSON object or array, as JSON text."""


class Parsable(Protocol):
    """What parsing needs to know about an endpoint."""

    @property
    def format(self) -> str: ...
    @property
    def root(self) -> str: ...
    @property
    def charset(self) -> str: ...


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9_.-]+)[\"'][^>]*\?>")
_CHARSET = re.compile(r"charset=\s*\"?([A-Za-z0-9_.-]+)", re.IGNORECASE)


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type, or None."""
    m = _CHARSET.search(content_type) if content_type else None
    return m.group(1) if m else None


def parse_fields(
    endpoint: Parsable, body: bytes, content_type: str | None, params: Mapping[str, str]
) -> dict[str, str] | None:
    """The request's fields by rule path (path parameters included), or None when malformed."""
    fields: dict[str, str] = dict(params)
    if endpoint.format == "json":
        try:
            tree = json.loads(body.decode("utf-8"), parse_float=Number, parse_int=Number)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        if not isinstance(tree, dict):
            return None
        _flatten(tree, "", fields)
        return fields
    if endpoint.format == "form":
        return _form_fields(body, charset_of(content_type) or endpoint.charset, fields)
    return _xml_fields(endpoint, body, content_type, fields)


def _flatten(node: Any, prefix: str, out: dict[str, str]) -> None:
    # An explicit stack: a deeply nested hostile body costs memory in proportion, not recursion.
    stack: list[tuple[str, Any]] = [(prefix, node)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            if path:
                out.setdefault(path, _container(path, value, "{…}"))
            for key, child in reversed(list(value.items())):
                stack.append((f"{path}.{key}" if path else str(key), child))
        elif isinstance(value, list):
            out.setdefault(path, _container(path, value, "[…]"))
            for i in range(len(value) - 1, -1, -1):
                stack.append((f"{path}[{i}]", value[i]))
        elif value is None:
            continue
        elif isinstance(value, bool):
            out.setdefault(path, Literal("true" if value else "false"))
        else:
            out.setdefault(path, value if isinstance(value, str) else str(value))


def _container(path: str, value: Any, deeper: str) -> Container:
    top = "." not in path and "[" not in path
    return Container(json.dumps(value, ensure_ascii=False) if top else deeper)


def _form_fields(body: bytes, charset: str, fields: dict[str, str]) -> dict[str, str] | None:
    try:
        for pair in body.split(b"&"):
            if not pair:
                continue
            raw_name, _, raw_value = pair.partition(b"=")
            name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode(charset)
            value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode(charset)
            fields.setdefault(name, value)
    except (LookupError, UnicodeDecodeError):
        return None
    return fields


def _xml_fields(
    endpoint: Parsable, body: bytes, content_type: str | None, fields: dict[str, str]
) -> dict[str, str] | None:
    m = _XML_DECL.match(body)
    charset = m.group(1).decode("ascii") if m else charset_of(content_type)
    try:
        text = body.decode(charset or "utf-8")
        root = ET.fromstring(text)
    except (LookupError, UnicodeDecodeError, ET.ParseError, ValueError):
        return None
    if root.tag != endpoint.root:
        return None

    def walk(node: ET.Element, prefix: str) -> None:
        for child in node:
            path = f"{prefix}{child.tag}"
            if len(child):
                walk(child, path + ".")
            else:
                fields.setdefault(path, child.text or "")

    walk(root, "")
    return fields
