"""Rules as a YAML list for review, and back: ``harness mock --rules FILE.yaml`` loads it.

The file is a mapping ``{format: 1, plan: NAME, rules: [...]}``, one entry per rule in a
stable order (endpoint, field, kind). docs/rules-format.md lists the keys. Retired rules are
left out, or written as a commented block when asked for: comments never load back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from harness import __version__
from harness.codecs.fields import split_path
from harness.errors import ConfigError
from harness.rules import RuleSpec, describe, parse_params
from harness.vocab import RULE_SOURCES, RULE_STATES

FORMAT_VERSION = 1
SAMPLE_IDS = 20  # exchange ids kept per evidence list


def _order(rule: RuleSpec) -> tuple[str, str, str, int]:
    return (rule.endpoint, rule.field, rule.kind, rule.id or 0)


def _evidence(ev: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted(ev.items()):
        if key in ("first_seen", "last_seen"):
            continue  # top-level keys of the entry
        out[key] = (
            list(value)[:SAMPLE_IDS] if isinstance(value, list) and key.endswith("_ids") else value
        )
    return out


def rule_dict(rule: RuleSpec) -> dict[str, Any]:
    """One rule as a plain mapping, in the order a reviewer reads it."""
    ev = rule.evidence or {}
    entry: dict[str, Any] = {
        "id": rule.id,
        "endpoint": rule.endpoint,
        "field": rule.field,
        "kind": rule.kind,
        "params": _plain(dict(rule.params)),
        "description": describe(rule),
        "code": rule.code,
        "message": rule.message,
        "state": rule.state,
        "source": rule.source,
        "confidence": round(float(rule.confidence), 4),
        "support": int(rule.support),
        "contradict": int(rule.contradict),
        "first_seen": str(ev["first_seen"]) if ev.get("first_seen") else None,
        "last_seen": str(ev["last_seen"]) if ev.get("last_seen") else None,
        "derived_from": rule.derived_from,
        "evidence": _plain(_evidence(ev)),
    }
    return {k: v for k, v in entry.items() if v is not None and v != {}}


def _plain(value: Any) -> Any:
    """Tuples to lists, other non-YAML values to text, so safe_dump never refuses."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def _dump(data: Any) -> str:
    return yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
    )


def to_yaml(
    rules: Iterable[RuleSpec], *, plan_name: str | None = None, include_retired: bool = False
) -> str:
    """The rules as a YAML document (stable order); retired ones as comments when asked."""
    rules = sorted(rules, key=_order)
    live = [r for r in rules if r.state != "retired"]
    retired = [r for r in rules if r.state == "retired"]
    head = [
        "# Field rules production enforces, exported by bank-shadow-harness "
        f"{__version__} (harness rules export --format yaml).",
        "# Review them, agree on them with the bank in writing, and load them into the mock:",
        "#   harness mock --rules THIS_FILE.yaml",
    ]
    body = _dump(
        {
            "format": FORMAT_VERSION,
            "plan": plan_name or "default",
            "rules": [rule_dict(r) for r in live],
        }
    )
    text = "\n".join(head) + "\n" + body
    if include_retired and retired:
        block = _dump([rule_dict(r) for r in retired])
        text += "\n# Retired rules (not enforced; kept for the record):\n"
        text += "".join(f"# {line}\n" if line else "#\n" for line in block.splitlines())
    return text


# --- loading ----------------------------------------------------------------------------


def _fail(where: str, problem: str) -> ConfigError:
    return ConfigError(f"rules file: {where}: {problem}")


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(where, "must be a whole number >= 0")
    return value


def check_params(kind: str, params: Any, where: str) -> dict[str, Any]:
    """Validate the params of one rule kind; returns them cleaned (a ConfigError otherwise)."""
    return parse_params(kind, params, f"rules file: {where}")


def _text_or_none(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise _fail(where, f"{key} must be text")
    return str(value)


def parse_rule(entry: Any, where: str) -> RuleSpec:
    """One YAML rule entry as a :class:`RuleSpec`."""
    if not isinstance(entry, dict):
        raise _fail(where, "must be a mapping")
    for key in ("endpoint", "field", "kind"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise _fail(where, f"needs {key!r} as text")
    try:
        split_path(entry["field"].strip())
    except ConfigError:
        raise _fail(where, f"field is not a valid path: {entry['field']!r}") from None
    kind = entry["kind"]
    params = check_params(kind, entry.get("params"), where)
    state = entry.get("state", "suspected")
    if state not in RULE_STATES:
        raise _fail(where, f"unknown state {state!r} (want one of {', '.join(RULE_STATES)})")
    source = entry.get("source", "manual")
    if source not in RULE_SOURCES:
        raise _fail(where, f"unknown source {source!r} (want one of {', '.join(RULE_SOURCES)})")
    try:
        confidence = float(entry.get("confidence", 0.0))
    except (TypeError, ValueError):
        raise _fail(where, "confidence must be a number") from None
    evidence = entry.get("evidence") or {}
    if not isinstance(evidence, dict):
        raise _fail(where, "evidence must be a mapping")
    evidence = dict(evidence)
    for key in ("first_seen", "last_seen"):
        if entry.get(key):
            evidence[key] = str(entry[key])
    rule_id = entry.get("id")
    if rule_id is not None and (isinstance(rule_id, bool) or not isinstance(rule_id, int)):
        raise _fail(where, "id must be a whole number")
    return RuleSpec(
        endpoint=entry["endpoint"].strip(),
        field=entry["field"].strip(),
        kind=kind,
        params=params,
        code=_text_or_none(entry, "code", where),
        message=_text_or_none(entry, "message", where),
        source=source,
        state=state,
        confidence=confidence,
        support=_count(entry.get("support", 0), f"{where}: support"),
        contradict=_count(entry.get("contradict", 0), f"{where}: contradict"),
        evidence=evidence,
        derived_from=entry.get("derived_from")
        if isinstance(entry.get("derived_from"), int)
        else None,
        id=rule_id,
    )


def load_rules_yaml(text: str) -> list[RuleSpec]:
    """Rules from a YAML export (or a hand-written list); a bad file -> one-line ConfigError."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"rules file is not valid YAML{where}") from None
    if isinstance(data, dict):
        if "rules" not in data:
            raise ConfigError("rules file: no 'rules' list")
        if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
            raise ConfigError(f"rules file: unsupported format {data.get('format')!r}")
        data = data["rules"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError("rules file: 'rules' must be a list")
    return [parse_rule(entry, f"rule {i + 1}") for i, entry in enumerate(data)]
