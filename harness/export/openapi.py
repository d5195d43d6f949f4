"""Rules as an OpenAPI 3.1 document: what teams feed to mock servers and API test tools.

Pure. Built on :func:`harness.export.schema.to_jsonschema`: each endpoint's request-body
schema becomes a component under ``components/schemas`` (OpenAPI 3.1 schemas *are* JSON
Schema 2020-12, so standard keywords stay standard and the ``x-`` keywords stay as
documented annotations), referenced by that endpoint's operation. Whatever rule kinds the
JSON Schema export knows, this document carries, with no rule kind named here.

What the rules alone do not tell comes from the store, as :class:`EndpointFacts`: the
request's media type and charset, and the HTTP statuses production answered with when it
accepted or rejected a request (a gateway may answer 201 on success, or 200 with a business
code on a rejection). Extensions this module adds, on top of those of the JSON Schema export
(docs/rules-format.md):

- ``x-rejections`` (operation): the rejections production answers with on this endpoint,
  ``{code, message, fields}``, from the rules that explain them;
- ``x-charset`` (media type): the request body's charset when it is not UTF-8 (GBK XML);
- ``x-harness-version``, ``x-plan`` (info).

The document names no server: it describes a gateway, it must not send anyone's tests to
the production one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness import __version__
from harness.export.schema import ENFORCED, to_jsonschema
from harness.plan import Plan
from harness.rules import RuleSpec

OPENAPI_VERSION = "3.1.0"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MEDIA_TYPES = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
    "xml": "application/xml",
    "text": "text/plain",
}


@dataclass(frozen=True)
class EndpointFacts:
    """What the store knows of one endpoint's traffic (the most frequent request format)."""

    media: str = "json"  # json | form | xml | text (harness.codecs formats)
    charset: str | None = None
    accepted: tuple[int, ...] = ()  # HTTP statuses of production's business successes
    rejected: tuple[int, ...] = ()  # HTTP statuses of production's rejections


def component_name(endpoint: str, taken: set[str]) -> str:
    """``POST /v1/a/{id}`` -> ``POST_v1_a_id``: a name OpenAPI accepts, unique in ``taken``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", endpoint).strip("_") or "endpoint"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def path_template(path: str) -> tuple[str, list[str]]:
    """The path with unique parameter names, and those names (``/a/{id}/b/{id}`` ->
    ``/a/{id}/b/{id2}``, ``["id", "id2"]``)."""
    names: list[str] = []

    def rename(match: re.Match[str]) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", match.group(1)) or "param"
        name, n = base, 2
        while name in names:
            name, n = f"{base}{n}", n + 1
        names.append(name)
        return "{" + name + "}"

    return re.sub(r"\{([^{}]*)\}", rename, path), names


def _body_schema(schema: dict[str, Any], facts: EndpointFacts) -> dict[str, Any]:
    """The component schema: an XML body is described from its root element down."""
    props = schema.get("properties") or {}
    if facts.media != "xml" or len(props) != 1:
        return schema
    [(root, inner)] = props.items()
    out = {k: v for k, v in schema.items() if k not in ("properties", "required")}
    out.update(inner)
    out["xml"] = {"name": root}
    return out


def _responses(facts: EndpointFacts, plan: Plan | None) -> dict[str, Any]:
    codes = ", ".join(plan.success_codes) if plan is not None and plan.success_codes else ""
    accepted = facts.accepted or (plan.success_status if plan is not None else (200,))
    ok = "Accepted by production" + (f" (business code {codes})" if codes else "") + "."
    out: dict[str, Any] = {str(s): {"description": ok} for s in sorted(set(accepted))}
    for status in sorted(set(facts.rejected)):
        key = str(status)
        if key in out:
            out[key] = {
                "description": ok[:-1]
                + "; or rejected with a business code and message (x-rejections)."
            }
        else:
            out[key] = {"description": "Rejected by production (x-rejections)."}
    if not facts.rejected:
        out["default"] = {"description": "Rejected by production (x-rejections)."}
    return out


def _rejections(rules: Iterable[RuleSpec]) -> list[dict[str, Any]]:
    by: dict[tuple[str, str], set[str]] = {}
    for r in rules:
        if r.code is None and r.message is None:
            continue
        by.setdefault((r.code or "", r.message or ""), set()).add(r.field)
    return [
        {
            **({"code": code} if code else {}),
            **({"message": message} if message else {}),
            "fields": sorted(fields),
        }
        for (code, message), fields in sorted(by.items())
    ]


def to_openapi(
    rules: Iterable[RuleSpec],
    plan: Plan | None = None,
    facts: Mapping[str, EndpointFacts] | None = None,
    states: Iterable[str] = ENFORCED,
) -> dict[str, Any]:
    """One OpenAPI 3.1 document: a path per endpoint with its learned request constraints.

    Only rules in ``states`` are enforced, as in the JSON Schema export (confirmed ones by
    default); ``facts`` maps endpoint keys to what the store knows of their traffic (JSON
    and the plan's success statuses when absent). Endpoints whose method OpenAPI does not
    know are left out.
    """
    wanted = {s for s in states if s != "retired"}
    live = [r for r in rules if r.state in wanted]
    schema_doc = to_jsonschema(live, plan, wanted)
    facts = facts or {}
    name = plan.name if plan is not None else "default"
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    taken: set[str] = set()
    for endpoint, body in schema_doc["$defs"].items():
        method, _, raw_path = endpoint.partition(" ")
        if method.lower() not in METHODS or not raw_path.startswith("/"):
            continue
        known = facts.get(endpoint) or EndpointFacts()
        component = component_name(endpoint, taken)
        schemas[component] = _body_schema(body, known)
        path, params = path_template(raw_path)
        media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{component}"}}
        if known.charset and known.charset.lower().replace("-", "") != "utf8":
            media["x-charset"] = known.charset
        operation: dict[str, Any] = {
            "operationId": component,
            "summary": endpoint,
            "description": "The request constraints production enforces on this endpoint, "
            "learned from its traffic; each field lists its rules under x-rules.",
            "requestBody": {
                "required": True,
                "content": {MEDIA_TYPES.get(known.media, "application/octet-stream"): media},
            },
            "responses": _responses(known, plan),
        }
        if params:
            operation["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in params
            ]
        rejections = _rejections(r for r in live if r.endpoint == endpoint)
        if rejections:
            operation["x-rejections"] = rejections
        paths.setdefault(path, {})[method.lower()] = operation
    body = {"paths": dict(sorted(paths.items())), "components": {"schemas": schemas}}
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()[:12]
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{name}: request constraints production enforces",
            "version": f"rules-{digest}",
            "description": (
                "Learned from production traffic by bank-shadow-harness. Standard JSON Schema "
                "keywords where they exist; the x- keywords (x-forbiddenChars, x-allowedChars, "
                "x-maxBytes, x-encodable, x-checksum, x-minimum, x-maximum, x-rules, "
                "x-rejections, x-charset) are described in docs/rules-format.md. No server is "
                "named on purpose: point your tools at a mock or staging, never at production."
            ),
            "x-harness-version": __version__,
            "x-plan": name,
        },
        **body,
    }
