"""A rule's evidence in words, for ``harness rules show``: generic, not per rule kind.

The learner stores evidence as a mapping of plain values (counts, exchange ids, per-day
counts, probe results, replay verdicts, brackets of accepted vs rejected extremes). This
module turns any such mapping into indented lines of text a person reads: known keys get a
sentence-case label, ids are listed as ``#72, #91 and 18 more (20 in all)``, mappings become nested
lines, and nothing is ever printed as a Python repr.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from harness.rules import RuleSpec, describe

IDS_SHOWN = 8

# Labels for evidence keys the learner writes today; any other key is shown with its
# underscores as spaces, so a new key reads well without a change here.
LABELS = {
    "support_ids": "supporting exchanges",
    "contradict_ids": "contradicting exchanges",
    "accepted": "accepted requests checked",
    "rejected": "rejections of its signature",
    "days": "by day",
    "first_seen": "first seen",
    "last_seen": "last seen",
    "signature": "rejection signature",
    "names_field": "the message names the field",
    "verdicts": "replay verdicts",
    "probe": "probe",
    "minimal_change": "changing only",
    "sibling_id": "accepted sibling exchange",
    "exchange_id": "probed exchange",
    "spent": "probes spent",
    "alternatives": "other fields that fit as well",
    "generalized": "widened to the classes",
    "origins": "carried from",
    "derived_from_key": "carried from rule",
    "similarity": "similarity to the origin field",
    "prior": "confidence before evidence",
    "shape": "shape of the field's values",
    "at_risk": "captured requests it would reject",
    "bracket": "bracket (accepted vs rejected extremes)",
    "decisions": "manual decisions",
}


TOP_ONLY = {"accepted", "rejected"}  # inside a mapping these are plain words (a bracket)


def label(key: str, nested: bool = False) -> str:
    if nested and key in TOP_ONLY:
        return key.replace("_", " ")
    return LABELS.get(key, key.replace("_", " "))


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?")


def scalar(value: Any) -> str:
    """One value in words: yes/no, numbers with separators, times to the second."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    if _ISO.fullmatch(text):
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
        zone = (
            ""
            if ts.tzinfo is None
            else (" UTC" if ts.utcoffset() == timedelta(0) else ts.strftime(" %z"))
        )
        return ts.strftime("%Y-%m-%d %H:%M:%S") + zone
    return text


def id_list(ids: list[Any]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:IDS_SHOWN])
    more = len(ids) - IDS_SHOWN
    return shown + (f" and {more:,} more ({len(ids):,} in all)" if more > 0 else "")


def _shown(evidence: Mapping[str, Any], nested: bool = False) -> list[tuple[str, Any]]:
    """The entries worth a line, ordered by label: no empty values, no internal keys (rule
    identities such as ``derived_from_key``: the rule's own words say the same)."""
    keep = [
        (str(k), v)
        for k, v in evidence.items()
        if v is not None and not (str(k) == "key" or str(k).endswith("_key"))
    ]
    return sorted(keep, key=lambda kv: label(kv[0], nested))


def _is_flat(value: Mapping[str, Any]) -> bool:
    return all(not isinstance(v, (dict, list)) for v in value.values())


def _inline(value: Mapping[str, Any]) -> str:
    return ", ".join(f"{label(k, True)} {scalar(v)}" for k, v in _shown(value, True))


def _rule_words(value: Mapping[str, Any]) -> str | None:
    """A mapping that names a rule (field, kind, params) as ``field: rule in words``."""
    if not {"field", "kind"} <= set(value) or not isinstance(value.get("params", {}), dict):
        return None
    spec = RuleSpec(
        endpoint=str(value.get("endpoint", "")),
        field=str(value["field"]),
        kind=str(value["kind"]),
        params=dict(value.get("params") or {}),
    )
    try:
        return f"{spec.field}: {describe(spec)}"
    except (KeyError, TypeError, ValueError):
        return None


Line = tuple[int, str]  # (indent level, text)


def lines(evidence: Mapping[str, Any], indent: int = 0) -> Iterator[Line]:
    """The evidence as (indent, ``label: value``) lines, nested mappings one level deeper."""
    for key, value in _shown(evidence, indent > 0):
        name = label(key, indent > 0)
        if isinstance(value, dict):
            if not value:
                yield indent, f"{name}: none"
            elif (words := _rule_words(value)) is not None:
                yield indent, f"{name}: {words}"
            elif _is_flat(value) and len(value) <= 4:
                yield indent, f"{name}: {_inline(value)}"
            else:
                yield indent, f"{name}:"
                yield from lines(value, indent + 1)
        elif isinstance(value, list):
            yield from _list_lines(key, name, value, indent)
        elif key.endswith("_id") and isinstance(value, int) and not isinstance(value, bool):
            yield indent, f"{name}: #{value}"
        else:
            yield indent, f"{name}: {scalar(value)}"


def _list_lines(key: str, name: str, value: list[Any], indent: int) -> Iterator[Line]:
    if not value:
        yield indent, f"{name}: none"
    elif key.endswith("_ids") and all(isinstance(i, int) for i in value):
        yield indent, f"{name}: {id_list(value)}"
    elif all(not isinstance(v, (dict, list)) for v in value):
        yield indent, f"{name}: {', '.join(scalar(v) for v in value)}"
    else:
        yield indent, f"{name}:"
        for item in value:
            if isinstance(item, dict):
                words = _rule_words(item)
                if words is not None:
                    yield indent + 1, f"- {words}"
                    continue
                nested = list(lines(item, indent + 2))
                if nested:
                    yield indent + 1, f"- {nested[0][1]}"
                    yield from nested[1:]
            else:
                yield indent + 1, f"- {scalar(item)}"
