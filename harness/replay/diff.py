"""Compare a target's decoded response with production's, ignoring noise.

Pure: takes decoded body trees (``harness.codecs.Body.tree``: dicts, lists and ``str`` /
``bool`` / ``None`` leaves) and returns JSON-ready values.

:func:`compare` runs deepdiff (``ignore_order=True, verbose_level=1``) and re-keys its report
by our field paths (``data.serialNo``, ``items[0].amount``; the whole body is ``""``) instead
of deepdiff's ``root['data']['serialNo']``. The report keeps deepdiff's categories::

    {"values_changed": {"code": {"production": "ED0012", "target": "000000"}},
     "dictionary_item_added": ["data.accountNo"],
     "type_changes": {"data": {"production": "object", "target": "string"}},
     "iterable_item_added": {"items[2]": "..."}}

Empty categories are left out; an empty dict means "no difference outside the noise".

Noise entries are plan entries, matched as :func:`harness.codecs.fields.matches` does (the full
path, its rule path ``items[].ts``, the path without indices, or the last name; ``*``
globs; case-insensitive); a matching path is ignored with everything below it.
:func:`noise_paths` finds noise the way Diffy does: what differs between two answers to the
same request.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from deepdiff import DeepDiff
from deepdiff.path import parse_path

from harness.codecs import fields

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d*)\]")


def compare(prod: Any, target: Any, noise: Iterable[str] = ()) -> dict[str, Any]:
    """The differences from production's tree to the target's, outside the noise paths.

    The report may be shared with earlier calls on equal input: treat it as read-only.
    """
    noise = tuple(sorted({n for n in noise if n is not None}))
    if "" in noise:  # the whole body is noise: nothing left to compare
        return {}
    # Noise is cut out of both trees first (plan-entry matching, harness.codecs.fields.matches),
    # so list items that differ only in noise still pair up under ignore_order; deepdiff's
    # exclude_regex_paths repeats the cut for what the trees' shapes hide.
    prod, target = (
        _strip(_plain(prod), "", _matcher(noise)),
        _strip(_plain(target), "", _matcher(noise)),
    )
    if prod == target:
        return {}
    # Replays repeat themselves (the same rejection answered the same way a thousand
    # times): once noise is cut, most pairs have been compared before.
    key = _key(prod, target, noise)
    if key is not None and key in _REPORTS:
        return _REPORTS[key]
    report = _deepdiff(prod, target, noise)
    if key is not None:
        if len(_REPORTS) >= _REPORTS_MAX:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # another thread
                _REPORTS.pop(next(iter(_REPORTS)))
        _REPORTS[key] = report
    return report


_REPORTS: dict[tuple[str, str, tuple[str, ...]], dict[str, Any]] = {}
_REPORTS_MAX = 4096
_KEY_MAX = 4096  # characters of canonical JSON per side; bigger trees are not cached


def _key(prod: Any, target: Any, noise: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]] | None:
    a = json.dumps(prod, sort_keys=True, ensure_ascii=False)
    b = json.dumps(target, sort_keys=True, ensure_ascii=False)
    if len(a) > _KEY_MAX or len(b) > _KEY_MAX:
        return None
    return a, b, noise


def _deepdiff(prod: Any, target: Any, noise: tuple[str, ...]) -> dict[str, Any]:
    report = DeepDiff(
        prod,
        target,
        ignore_order=True,
        verbose_level=1,
        # Pair list items by their closest match, so a change inside an item is reported
        # at the leaf (items[0].amount), not as a whole replaced item.
        cutoff_intersection_for_pairs=1,
        cutoff_distance_for_pairs=1,
        exclude_regex_paths=list(_noise_regexes(noise)) or None,
    )
    return _rekey(report.to_dict())


def noise_paths(a: Any, b: Any) -> set[str]:
    """Paths that differ between two answers to the same request, list indices as ``[]``.

    A path added or removed between the two answers counts as well. Lists are compared in
    order (two answers of one server keep it), so a changing ``items[0].ts`` gives
    ``items[].ts`` rather than the whole item. The result is meant for :func:`compare`'s
    ``noise``.
    """
    a, b = _plain(a), _plain(b)
    if a == b:
        return set()
    report = DeepDiff(a, b, verbose_level=1).to_dict()
    found: set[str] = set()
    for category, value in report.items():
        for dd_path in value:  # dicts iterate their keys, lists their items
            path = to_path(dd_path)
            if category == "values_changed":
                # deepdiff reports an empty container against a full one as one change of
                # the container: name the leaves instead.
                _expand(
                    path, value[dd_path].get("old_value"), value[dd_path].get("new_value"), found
                )
            else:
                found.add(fields.rule_path(path))
    return found


def _expand(path: str, old: Any, new: Any, found: set[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in {*old, *new}:
            if key not in old or key not in new or old[key] != new[key]:
                _expand(fields.join(path, key), old.get(key), new.get(key), found)
    elif isinstance(old, list) and isinstance(new, list) and old != new:
        found.add(fields.rule_path(fields.join(path, 0)))
    else:
        found.add(fields.rule_path(path))


def count(report: Mapping[str, Any]) -> int:
    """How many differences a :func:`compare` report holds."""
    return sum(len(v) for v in report.values())


def to_path(deepdiff_path: str) -> str:
    """``root['data']['items'][0]`` -> ``data.items[0]``; the root itself is ``""``."""
    path = ""
    elements: list[Any] = parse_path(deepdiff_path)  # type: ignore[no-untyped-call]
    for element in elements:
        path = fields.join(path, element if isinstance(element, int) else str(element))
    return path


def matches_noise(path: str, noise: Iterable[str]) -> bool:
    """True when a noise entry names ``path`` (as :func:`harness.codecs.fields.matches`)."""
    return _matcher(tuple(sorted(set(noise))))(path)


# --- internals --------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _matcher(noise: tuple[str, ...]) -> Callable[[str], bool]:
    return fields.compile_matcher(noise)


def _plain(tree: Any) -> Any:
    """Plain JSON types: str subclasses (JsonNumber) become str, tuples lists."""
    if isinstance(tree, dict):
        return {str(k): _plain(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_plain(v) for v in tree]
    if isinstance(tree, bool) or tree is None:
        return tree
    if isinstance(tree, str):
        return str(tree)
    if isinstance(tree, (int, float)):
        return tree
    if isinstance(tree, bytes):
        return tree.hex()
    return str(tree)


def _strip(tree: Any, prefix: str, noise: Callable[[str], bool]) -> Any:
    """The tree without the subtrees whose paths are noise."""
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            path = fields.join(prefix, key)
            if not noise(path):
                out[key] = _strip(value, path, noise)
        return out
    if isinstance(tree, list):
        out_list = []
        for i, value in enumerate(tree):
            path = fields.join(prefix, i)
            if not noise(path):
                out_list.append(_strip(value, path, noise))
        return out_list
    return tree


@lru_cache(maxsize=256)
def _noise_regexes(noise: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    out = []
    for entry in noise:
        entry = entry.strip()
        if not entry:
            continue
        parts: list[str] = []
        for name, index in _TOKEN.findall(entry):
            if name:
                parts.append(r"\[['\"]" + re.escape(name) + r"['\"]\]")
            else:
                parts.append(r"\[" + (index or r"\d+") + r"\]")
        body = "".join(parts)
        bare = "." not in entry and "[" not in entry
        prefix = r"^root(?:\[[^\]]*\])*?" if bare else r"^root"
        out.append(re.compile(prefix + body + r"(?=$|\[)", re.IGNORECASE))
    return tuple(out)


def _rekey(report: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for category, value in report.items():
        if not value:
            continue
        if isinstance(value, Mapping):
            out[category] = {to_path(p): _detail(v) for p, v in value.items()}
        else:
            out[category] = sorted(to_path(p) for p in value)
    return out


def _detail(value: Any) -> Any:
    """deepdiff's old/new pairs as production/target; types by name."""
    if isinstance(value, Mapping):
        if "old_type" in value or "new_type" in value:
            return {
                "production": _type_name(value.get("old_type")),
                "target": _type_name(value.get("new_type")),
            }
        if "old_value" in value or "new_value" in value:
            return {
                "production": _plain(value.get("old_value")),
                "target": _plain(value.get("new_value")),
            }
        return {str(k): _plain(v) for k, v in value.items()}
    return _plain(value)


def _type_name(t: Any) -> str | None:
    if t is None:
        return None
    return {"dict": "object", "list": "array", "str": "string", "NoneType": "null"}.get(
        getattr(t, "__name__", str(t)), getattr(t, "__name__", str(t))
    )
