"""Field paths into decoded bodies (JSON, form, XML alike) and plan-entry matching.

A decoded body (:mod:`harness.codecs`) is a tree of dicts, lists and leaves. Leaves are
``str`` (JSON numbers are the ``str`` subclass :class:`harness.codecs.JsonNumber`), ``bool``
or ``None``; empty dicts and lists are structure, not leaves.

Path syntax
-----------
- Dict keys are joined with dots, list indices are written in brackets:
  ``enterpriseName``, ``data.serialNo``, ``items[0].amount``, ``Request.Body.EntName``
  (an XML tree includes its root element), ``[2].id`` (a top-level list).
- A key that is empty or contains ``.``, ``[``, ``]``, ``"`` or ``\\`` is written quoted, as a
  JSON string in brackets: ``a["x.y"].c``, ``["weird[key]"]``, ``data[""]``. Inside the
  quotes, ``"`` and ``\\`` are backslash-escaped as in JSON. Any key may be quoted;
  :func:`join` only quotes when it must.
- The root leaf of a scalar tree (a text body, a JSON string) has the empty path ``""``.
- XML attributes are keys starting with ``@`` (``Request.@version``) and mixed text is
  ``#text``; both need no quoting.

A *rule path* generalizes list indices: :func:`rule_path` turns ``items[3].amount`` into
``items[].amount``.

Matching plan entries
---------------------
:func:`matches` says whether a plan entry (``sensitive.fields``, ``keep``, ``noise``, ...)
names a path. The comparison is case-insensitive; a pattern matches when it equals

- the full path (``items[0].name``),
- its rule path (``items[].name``),
- the path without any indices (``items.name``), or
- the path's last name (``name``).

For XML trees, an attribute path ``...Contact.@type`` is also named by ``type``, and an
element's text next to its attributes, ``...EntName.#text``, is named like the element
(``EntName``).

A ``*`` in a pattern matches any run of characters, so ``addr*`` matches every field whose
last name starts with ``addr`` and ``data.*`` every path under ``data``.
:func:`compile_matcher` builds a fast, cached predicate for a list of patterns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from harness.errors import ConfigError, NotFoundError

__all__ = [
    "compile_matcher",
    "flatten",
    "get",
    "is_leaf",
    "iter_leaves",
    "join",
    "matches",
    "name_of",
    "rule_path",
    "set_value",
    "split_path",
    "strip_indices",
]

_NEEDS_QUOTE = re.compile(r'[.\[\]"\\]')
_INDEX = re.compile(r"\[\d+\]")
_MISSING = object()

# A parsed path segment: a dict key (str), a list index (int), or None for "[]".
Segment = str | int | None


def is_leaf(value: Any) -> bool:
    """True for a leaf: anything that is not a dict or a list."""
    return not isinstance(value, (dict, list))


@lru_cache(maxsize=16384)
def _key_text(key: str) -> str:
    if key and not _NEEDS_QUOTE.search(key):
        return key
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


def join(parent: str, key: str | int) -> str:
    """The path of ``key`` (a dict key or a list index) under the path ``parent``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    text = _key_text(key)
    if not parent or text[0] == "[":
        return parent + text
    return f"{parent}.{text}"


@lru_cache(maxsize=16384)
def _split(path: str) -> tuple[Segment, ...]:
    out: list[Segment] = []
    i, n = 0, len(path)
    expect_name = True  # at the start or right after a dot
    while i < n:
        ch = path[i]
        if ch == "[":
            end = _closing_bracket(path, i)
            inner = path[i + 1 : end]
            if inner == "":
                out.append(None)
            elif inner.isdigit() and inner.isascii():
                out.append(int(inner))
            elif inner.startswith('"'):
                try:
                    key = json.loads(inner)
                except ValueError:
                    raise ConfigError(f"bad quoted key in path {path!r}") from None
                if not isinstance(key, str):
                    raise ConfigError(f"bad quoted key in path {path!r}")
                out.append(key)
            else:
                raise ConfigError(f"bad index in path {path!r}")
            i, expect_name = _past_segment(path, end + 1)
            continue
        if not expect_name and out:
            raise ConfigError(f"expected '.' or '[' in path {path!r}")
        j = i
        while j < n and path[j] not in ".[":
            if path[j] in ']"\\':
                raise ConfigError(f"unquoted special character in path {path!r}")
            j += 1
        if j == i:
            raise ConfigError(f"empty name in path {path!r}")
        out.append(path[i:j])
        i, expect_name = _past_segment(path, j)
    return tuple(out)


def _past_segment(path: str, i: int) -> tuple[int, bool]:
    """After a segment that ends before ``i``: where the next one starts, and whether it
    must be a name (after a dot). A segment is followed by the end, ``.`` and a name, or
    ``[``."""
    if i < len(path) and path[i] == ".":
        if i + 1 == len(path):
            raise ConfigError(f"path ends with a dot: {path!r}")
        return i + 1, True
    if i < len(path) and path[i] != "[":
        raise ConfigError(f"expected '.' or '[' in path {path!r}")
    return i, False


def _closing_bracket(path: str, start: int) -> int:
    i = start + 1
    if i < len(path) and path[i] == '"':
        i += 1
        while i < len(path):
            if path[i] == "\\":
                i += 2
                continue
            if path[i] == '"':
                break
            i += 1
        i += 1
    end = path.find("]", i)
    if end < 0:
        raise ConfigError(f"unclosed bracket in path {path!r}")
    return end


def split_path(path: str) -> list[Segment]:
    """Parse a path into segments: str keys, int indices, ``None`` for ``[]``.

    Raises :class:`harness.errors.ConfigError` on a malformed path.
    """
    return list(_split(path))


def _build(segments: Iterable[Segment]) -> str:
    out = ""
    for seg in segments:
        if seg is None:
            out += "[]"
        else:
            out = join(out, seg)
    return out


def iter_leaves(tree: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(path, leaf)`` pairs in document order; empty dicts and lists yield nothing."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from iter_leaves(value, join(prefix, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from iter_leaves(value, f"{prefix}[{i}]")
    else:
        yield prefix, tree


def flatten(tree: Any) -> dict[str, Any]:
    """Path -> leaf for every leaf of ``tree``, in document order."""
    out: dict[str, Any] = {}
    _flatten_into(tree, "", out)
    return out


def _flatten_into(tree: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(tree, dict):
        for key, value in tree.items():
            _flatten_into(value, join(prefix, key), out)
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            _flatten_into(value, f"{prefix}[{i}]", out)
    else:
        out[prefix] = tree


def get(tree: Any, path: str, default: Any = None) -> Any:
    """The value at ``path`` (a leaf or a subtree), or ``default`` when there is none.

    A JSON ``null`` leaf and a missing field both give ``None`` with the default default;
    pass a sentinel to tell them apart.
    """
    node = tree
    for seg in _split(path):
        if isinstance(seg, int):
            if not isinstance(node, list) or seg >= len(node):
                return default
            node = node[seg]
        elif isinstance(seg, str):
            if not isinstance(node, dict) or seg not in node:
                return default
            node = node[seg]
        else:
            return default
    return node


def set_value(tree: Any, path: str, value: Any) -> Any:
    """A new tree with ``value`` at ``path``; ``tree`` itself is not modified.

    Only the containers along the path are copied. Missing dict keys along the path are
    created (as dicts); a list index must exist. Raises
    :class:`harness.errors.NotFoundError` when the path cannot be reached, and
    :class:`harness.errors.ConfigError` when it is malformed.
    """
    segments = _split(path)
    if not segments:
        return value
    return _set(tree, segments, 0, value, path)


def _set(node: Any, segments: tuple[Segment, ...], i: int, value: Any, path: str) -> Any:
    seg = segments[i]
    last = i == len(segments) - 1
    if isinstance(seg, int):
        if not isinstance(node, list) or seg >= len(node):
            raise NotFoundError(f"no list element at {_build(segments[: i + 1])!r}")
        new_list = list(node)
        new_list[seg] = value if last else _set(node[seg], segments, i + 1, value, path)
        return new_list
    if seg is None:
        raise NotFoundError(f"a rule path cannot be set: {path!r}")
    if node is None:
        node = {}
    if not isinstance(node, dict):
        raise NotFoundError(f"not an object at {_build(segments[:i])!r}")
    new_dict = dict(node)
    if last:
        new_dict[seg] = value
    else:
        child = node.get(seg)
        if child is None and isinstance(segments[i + 1], int):
            raise NotFoundError(f"no list at {_build(segments[: i + 1])!r}")
        new_dict[seg] = _set(child, segments, i + 1, value, path)
    return new_dict


@lru_cache(maxsize=65536)
def rule_path(path: str) -> str:
    """Generalize list indices: ``items[3].amount`` -> ``items[].amount``."""
    if '"' not in path:
        return _INDEX.sub("[]", path)
    return _build(None if isinstance(s, int) else s for s in _split(path))


@lru_cache(maxsize=65536)
def strip_indices(path: str) -> str:
    """Drop list indices: ``items[3].amount`` -> ``items.amount``."""
    return _build(s for s in _split(path) if isinstance(s, str))


@lru_cache(maxsize=65536)
def name_of(path: str) -> str:
    """The last name of a path, without indices: ``items[3].amount`` -> ``amount``."""
    for seg in reversed(_split(path)):
        if isinstance(seg, str):
            return seg
    return ""


@lru_cache(maxsize=65536)
def _candidates(path: str) -> tuple[str, ...]:
    try:
        segs = _split(path)
    except ConfigError:
        return (path,)
    out = [path, rule_path(path), strip_indices(path), name_of(path)]
    names = [s for s in segs if isinstance(s, str)]
    if names and names[-1] == "#text":
        # An XML element's text next to its attributes is named by the element.
        cut = max(i for i, s in enumerate(segs) if s == "#text")
        parent = _build(segs[:cut])
        out += [parent, rule_path(parent), strip_indices(parent), name_of(parent)]
    elif names and names[-1].startswith("@") and len(names[-1]) > 1:
        out.append(names[-1][1:])  # an XML attribute is also named without its "@"
    return tuple(out)


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(p) for p in pattern.lower().split("*"))
    return re.compile(".*".join(parts), re.DOTALL)


def matches(pattern: str, path: str) -> bool:
    """True when the plan entry ``pattern`` names ``path`` (see the module docstring)."""
    cands = [c.lower() for c in _candidates(path)]
    if "*" in pattern:
        rx = _glob(pattern)
        return any(rx.fullmatch(c) for c in cands)
    return pattern.lower() in cands


def compile_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A cached predicate: does any of ``patterns`` match a path (as :func:`matches`)?"""
    exact = frozenset(p.lower() for p in patterns if "*" not in p)
    globs = tuple(_glob(p) for p in patterns if "*" in p)
    if not exact and not globs:
        return _never

    @lru_cache(maxsize=65536)
    def match(path: str) -> bool:
        cands = [c.lower() for c in _candidates(path)]
        if any(c in exact for c in cands):
            return True
        return any(rx.fullmatch(c) for rx in globs for c in cands)

    return match


def _never(path: str) -> bool:
    return False
