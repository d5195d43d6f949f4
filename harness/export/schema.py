"""Rules as JSON Schema (draft 2020-12), and a validator that also enforces the ``x-`` keywords.

One document holds every endpoint: ``$defs`` maps an endpoint key (``POST /v1/transfer``) to
the schema of that endpoint's request body, as :mod:`harness.codecs` decodes it (XML paths
include the root element). docs/rules-format.md describes the layout and the ``x-``
keywords; in short:

- a rule path (``a.b[].c``) becomes nested ``properties`` / ``items``; containers carry no
  ``type`` (a rule constrains what it names and never fails a request for another shape);
- each rule's kind writes its own keywords (:meth:`harness.rules.registry.Kind.schema`):
  standard ones where JSON Schema can say it (``maxLength``, ``enum``, an anchored
  ``pattern``, ``minimum``), ``x-`` ones where it cannot (``x-maxBytes``, ``x-checksum``,
  ``x-allowedChars``, ...), and :func:`validator_class` enforces every kind's ``x-``
  keywords through the kind (:meth:`Kind.keyword_check`);
- ``required`` also goes into the parent's ``required`` (up the chain);
- every leaf lists its rules under ``x-rules`` (id, state, code, message, evidence summary).

When two rules put different values on the same keyword, the later one goes under ``allOf``.
Retired rules are never exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from harness import __version__
from harness.codecs.fields import join, split_path
from harness.errors import HarnessError
from harness.plan import Plan
from harness.rules import RuleSpec, describe, kind_of
from harness.rules.registry import KINDS, Kind

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FORMAT_VERSION = 1
SAMPLE_IDS = 5  # exchange ids per list in an x-rules evidence summary

# --- rule paths -> a tree of nodes -------------------------------------------------------


def path_tokens(path: str) -> list[str]:
    """``a.b[].c`` -> ``["a", "b", "[]", "c"]`` (quoted keys as in :mod:`harness.codecs.fields`)."""
    return ["[]" if seg is None or isinstance(seg, int) else seg for seg in split_path(path)]


@dataclass
class _Node:
    props: dict[str, _Node] = field(default_factory=dict)
    items: _Node | None = None
    required: set[str] = field(default_factory=set)
    min_items: bool = False
    rules: list[RuleSpec] = field(default_factory=list)

    def child(self, token: str) -> _Node:
        if token == "[]":
            if self.items is None:
                self.items = _Node()
            return self.items
        return self.props.setdefault(token, _Node())


def _tree(rules: Iterable[RuleSpec]) -> _Node:
    root = _Node()
    for rule in rules:
        node = root
        for token in path_tokens(rule.field):
            if rule.kind == "required":
                if token == "[]":
                    node.min_items = True
                else:
                    node.required.add(token)
            node = node.child(token)
        node.rules.append(rule)
    return root


# --- one rule -> schema keywords ---------------------------------------------------------


def fragment(rule: RuleSpec) -> dict[str, Any]:
    """The JSON Schema keywords that say what ``rule`` says (its kind's)."""
    return kind_of(rule).schema(rule.params)


def evidence_summary(rule: RuleSpec) -> dict[str, Any]:
    """A short account of a rule's evidence: counts, a few exchange ids, first/last seen."""
    ev = rule.evidence or {}
    out: dict[str, Any] = {"support": rule.support, "contradict": rule.contradict}
    for name in ("support_ids", "contradict_ids"):
        ids = ev.get(name)
        if ids:
            out[name] = list(ids)[:SAMPLE_IDS]
    for name in ("first_seen", "last_seen"):
        if ev.get(name):
            out[name] = str(ev[name])
    probe = ev.get("probe")
    if isinstance(probe, dict) and "confirmed" in probe:
        out["probed"] = bool(probe["confirmed"])
    return out


def rule_entry(rule: RuleSpec) -> dict[str, Any]:
    """One rule as listed under ``x-rules``."""
    entry: dict[str, Any] = {
        "id": rule.id,
        "kind": rule.kind,
        "params": dict(rule.params),
        "description": describe(rule),
        "state": rule.state,
        "source": rule.source,
        "code": rule.code,
        "message": rule.message,
        "confidence": round(float(rule.confidence), 4),
        "evidence": evidence_summary(rule),
    }
    return {k: v for k, v in entry.items() if v is not None}


def _merge(schema: dict[str, Any], extra: dict[str, Any]) -> None:
    clash = {}
    for key, value in extra.items():
        if key not in schema:
            schema[key] = value
        elif schema[key] != value:
            clash[key] = value
    if clash:
        schema.setdefault("allOf", []).append(clash)


def _emit(node: _Node, path: str, plan: Plan | None) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if node.rules:
        label = plan.label_for(path) if plan is not None else None
        if label:
            schema["title"] = label
        schema["description"] = "; ".join(describe(r) for r in node.rules)
        for rule in node.rules:
            _merge(schema, fragment(rule))
        schema["x-rules"] = [rule_entry(r) for r in node.rules]
    if node.props:
        schema["properties"] = {
            name: _emit(child, join(path, name), plan) for name, child in sorted(node.props.items())
        }
        if node.required:
            schema["required"] = sorted(node.required)
    if node.items is not None:
        schema["items"] = _emit(node.items, f"{path}[]", plan)
        if node.min_items:
            schema["minItems"] = 1
    return schema


ENFORCED = ("confirmed",)  # what a schema enforces by default, as the mock does
STRICT = ("confirmed", "suspected")


def to_jsonschema(
    rules: Iterable[RuleSpec], plan: Plan | None = None, states: Iterable[str] = ENFORCED
) -> dict[str, Any]:
    """One JSON Schema document: ``$defs`` maps each endpoint to its request-body schema.

    Only rules in ``states`` are enforced (confirmed ones by default; :data:`STRICT` adds
    the suspected); retired rules never. The result passes
    ``Draft202012Validator.check_schema``.
    """
    wanted = {s for s in states if s != "retired"}
    live = sorted(
        (r for r in rules if r.state in wanted),
        key=lambda r: (r.endpoint, r.field, r.kind, r.id or 0),
    )
    by_endpoint: dict[str, list[RuleSpec]] = {}
    for rule in live:
        by_endpoint.setdefault(rule.endpoint, []).append(rule)
    name = plan.name if plan is not None else "default"
    defs = {}
    for endpoint, group in by_endpoint.items():
        body = {"title": f"Request body of {endpoint}", "x-endpoint": endpoint}
        body.update(_emit(_tree(group), "", plan))
        defs[endpoint] = body
    return {
        "$schema": DRAFT,
        "$id": f"urn:harness:rules:{quote(name, safe='')}",
        "title": f"Field rules production enforces ({name})",
        "description": (
            "Request-body schemas keyed by endpoint under $defs; x- keywords are described in "
            "docs/rules-format.md of bank-shadow-harness."
        ),
        "x-harness-version": __version__,
        "x-harness-format": FORMAT_VERSION,
        "x-plan": name,
        "$defs": defs,
    }


# --- validation with the x- keywords ----------------------------------------------------


def _x_keyword(kind: Kind, keyword: str) -> Any:
    def validate_keyword(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        # start-up: jsonschema (~65 ms) loads only to validate, never to export a schema
        from jsonschema.exceptions import ValidationError

        if isinstance(instance, (dict, list)):
            return
        try:
            ok = kind.keyword_check(keyword, value, instance)
        except (KeyError, LookupError, ValueError, TypeError, HarnessError):
            ok = False
        if not ok:
            yield ValidationError(f"breaks {keyword}")

    return validate_keyword


_VALIDATOR: Any = None


def validator_class() -> Any:
    """Draft202012Validator extended with the ``x-`` keywords of every registered kind."""
    global _VALIDATOR
    if _VALIDATOR is None:
        from jsonschema import Draft202012Validator, validators  # start-up: as above

        keywords = {
            keyword: _x_keyword(kind, keyword)
            for kind in KINDS.values()
            for keyword in kind.keywords
        }
        _VALIDATOR = validators.extend(Draft202012Validator, keywords)
    return _VALIDATOR


def _harness_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Checker:
    """Validates decoded request bodies against an exported document, endpoint by endpoint."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._validators: dict[str, Any] = {}

    @property
    def compiled(self) -> int:
        """How many endpoints' validators are built so far (each once, on first use)."""
        return len(self._validators)

    def errors(self, endpoint: str, tree: Any) -> list[str]:
        """``"path: keyword"`` for each broken keyword; empty when the body passes (or the
        endpoint has no schema). Messages name paths and keywords, never values."""
        schema = (self.document.get("$defs") or {}).get(endpoint)
        if schema is None:
            return []
        validator = self._validators.get(endpoint)
        if validator is None:
            validator = self._validators[endpoint] = validator_class()(schema)
        out = []
        for error in validator.iter_errors(tree):
            where = _harness_path(error.absolute_path)
            if error.validator == "required" and isinstance(error.instance, dict):
                for name in error.validator_value:
                    if name not in error.instance:
                        out.append(f"{_harness_path([*error.absolute_path, name])}: required")
                continue
            out.append(f"{where or '(body)'}: {error.validator}")
        return sorted(set(out))


def validate(document: dict[str, Any], endpoint: str, body_tree: Any) -> list[str]:
    """The keywords a decoded request body breaks under ``document``'s schema for
    ``endpoint`` (standard keywords via jsonschema, ``x-`` keywords via harness.rules)."""
    return Checker(document).errors(endpoint, body_tree)
