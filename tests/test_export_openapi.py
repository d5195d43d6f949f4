"""Exports for teams: an OpenAPI 3.1 document valid per the OpenAPI schema and served by
Stoplight Prism (when node is here), and a rules.yaml that only changes when rules do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from harness.export.openapi import EndpointFacts, path_template, to_openapi
from harness.export.schema import STRICT
from harness.export.stable import stable_rules
from harness.plan import parse_plan
from harness.rules import RuleSpec
from harness.store.models import Exchange
from harness.store.rules import save_rules
from tests.support.procs import HARNESS, free_port, running

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
OPEN = "POST /v2/accounts"
UPDATE = "PUT /v2/firms/{id}/profile"
PLAN = parse_plan({"name": "eurobank", "success": {"status": [201]}, "labels": {"name": "Name"}})

RULES = [
    RuleSpec(OPEN, "name", "max_length", {"max": 35}, code="E001", state="confirmed", support=12),
    RuleSpec(
        OPEN,
        "name",
        "forbidden_chars",
        {"classes": [], "chars": "&@_"},
        code="E001",
        state="confirmed",
        support=12,
    ),
    RuleSpec(OPEN, "currency", "enum", {"values": ["EUR", "CHF"]}, code="E001", state="confirmed"),
    RuleSpec(OPEN, "iban", "required", code="E001", state="confirmed", support=4),
    RuleSpec(
        UPDATE,
        "Firm.Address.Street",
        "max_bytes",
        {"max": 70, "encoding": "utf-8"},
        state="confirmed",
    ),
    RuleSpec(OPEN, "bic", "max_length", {"max": 11}),  # suspected: enforced with --strict only
    RuleSpec(OPEN, "old", "max_length", {"max": 1}, state="retired"),
]
FACTS = {
    OPEN: EndpointFacts(media="json", accepted=(201,), rejected=(422,)),
    UPDATE: EndpointFacts(media="xml", charset="ISO-8859-1", accepted=(200,), rejected=(200,)),
}


def test_openapi_document_is_valid_and_carries_the_rules():
    doc = to_openapi(RULES, PLAN, FACTS)
    validate(doc)  # the OpenAPI 3.1 schema, and every schema object as JSON Schema 2020-12
    assert doc["openapi"] == "3.1.0" and "servers" not in doc  # never production's URL
    post = doc["paths"]["/v2/accounts"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    name = post["operationId"]
    assert body == {"$ref": f"#/components/schemas/{name}"}
    schema = doc["components"]["schemas"][name]
    assert schema["properties"]["name"]["maxLength"] == 35  # a standard keyword
    assert schema["properties"]["currency"]["enum"] == ["EUR", "CHF"]
    assert "iban" in schema["required"] and "old" not in schema["properties"]
    assert "bic" not in schema["properties"]  # suspected rules only with STRICT
    strict = to_openapi(RULES, PLAN, FACTS, STRICT)["components"]["schemas"][name]
    assert strict["properties"]["bic"]["maxLength"] == 11
    assert set(post["responses"]) == {"201", "422"}  # production's statuses, not 200
    assert post["x-rejections"] == [{"code": "E001", "fields": ["currency", "iban", "name"]}]
    put = doc["paths"]["/v2/firms/{id}/profile"]["put"]
    assert put["parameters"][0] == {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    xml = put["requestBody"]["content"]["application/xml"]
    assert xml["x-charset"] == "ISO-8859-1"
    firm = doc["components"]["schemas"][put["operationId"]]
    assert firm["xml"] == {"name": "Firm"} and "Address" in firm["properties"]
    assert "rejected" in put["responses"]["200"]["description"]


def test_openapi_version_follows_the_rules_only():
    a = to_openapi(RULES, PLAN, FACTS)
    b = to_openapi(list(reversed(RULES)), PLAN, FACTS)
    assert a == b
    c = to_openapi(RULES[1:], PLAN, FACTS)
    assert c["info"]["version"] != a["info"]["version"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/{id}/b", ("/a/{id}/b", ["id"])),
        ("/a/{id}/b/{id}", ("/a/{id}/b/{id2}", ["id", "id2"])),
        ("/plain", ("/plain", [])),
    ],
)
def test_path_parameters_are_unique(path, expected):
    assert path_template(path) == expected


def _store_with_rules(path: Path, shift: int) -> str:
    """A store holding the same evidence as any other shift: other ids, other run times."""
    from harness.store import open_store

    factory = open_store(str(path))
    with factory.begin() as s:
        for _ in range(shift):  # other exchanges first: the evidence gets other ids
            s.add(
                Exchange(
                    ts=datetime(2026, 1, 1, tzinfo=UTC),
                    method="POST",
                    host="h",
                    path="/x",
                    endpoint="POST /x",
                    outcome="accepted",
                )
            )
        ex = Exchange(
            ts=datetime(2026, 11, 24, 8, tzinfo=UTC),
            method="POST",
            host="h",
            path="/v2/accounts",
            endpoint=OPEN,
            request_format="json",
            status=422,
            outcome="rejected",
            code="E001",
        )
        s.add(ex)
        s.flush()
        ran = (datetime(2026, 11, 25, tzinfo=UTC) + timedelta(hours=shift)).isoformat()
        seen = ex.ts.isoformat()  # learned rules carry their exchanges' times
        rules = [
            r.but(
                evidence={
                    "support_ids": [ex.id],
                    "probe": {"exchange_id": ex.id},
                    "first_seen": seen,
                    "last_seen": seen,
                }
            )
            for r in RULES[:2]
        ]
        carried = RULES[2].but(  # proposed by this run: no evidence of its own yet
            source="analogy",
            state="suspected",
            support=0,
            evidence={"first_seen": ran, "last_seen": ran, "support_ids": []},
        )
        save_rules(s, [*([carried] if shift else []), *rules, *([] if shift else [carried])])
    factory.kw["bind"].dispose()
    return str(path)


def _export(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HARNESS, "rules", "export", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rules_yaml_is_stable_across_stores_of_the_same_evidence(tmp_path):
    one = _store_with_rules(tmp_path / "one.db", 0)
    two = _store_with_rules(tmp_path / "two.db", 5)
    first, second = _export(one, "-f", "yaml"), _export(two, "-f", "yaml")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert "id:" not in first.stdout and "_ids" not in first.stdout  # no store ids
    assert "2026-11-25" not in first.stdout  # no run times; the evidence's own times stay
    assert "first_seen: '2026-11-24T08:00:00+00:00'" in first.stdout
    assert _export(one, "-f", "openapi").stdout == _export(two, "-f", "openapi").stdout
    kept = _export(two, "-f", "yaml", "--provenance").stdout
    assert "id: " in kept and "first_seen" in kept and "support_ids" in kept
    validate(json.loads(_export(two, "-f", "openapi").stdout))


def test_stable_rules_drop_store_ids_and_run_times_only():
    rule = RuleSpec(
        OPEN,
        "name",
        "max_length",
        {"max": 3},
        support=2,
        id=7,
        derived_from=3,
        evidence={
            "support_ids": [1, 2],
            "first_seen": "2026-11-24T08:00:00+00:00",
            "days": {"2026-11-24": {"support": 2}},
            "origins": [{"id": 3, "field": "x", "similarity": 0.9}],
        },
    )
    [out] = stable_rules([rule])
    assert out.id is None and out.derived_from is None
    assert out.evidence == {
        "first_seen": "2026-11-24T08:00:00+00:00",  # the evidence's own time: kept
        "days": {"2026-11-24": {"support": 2}},
        "origins": [{"field": "x", "similarity": 0.9}],
    }
    [proposed] = stable_rules([rule.but(support=0)])
    assert "first_seen" not in proposed.evidence  # the run's time: dropped


def _post(url: str, body: bytes, content_type: str) -> int:
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_prism_serves_the_export_and_rejects_what_production_rejects(tmp_path):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node or npm is absent: Stoplight Prism cannot load the OpenAPI export here")
    assert PRISM.exists(), "Prism is not installed: run `make prism` (make test does)"
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(to_openapi(RULES, PLAN, FACTS), ensure_ascii=False))
    port = free_port()
    args = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)]
    env = {"NO_COLOR": "1", "PATH": os.environ.get("PATH", "")}
    with running(args, port=port, env=env) as proc:
        url = f"http://127.0.0.1:{port}/v2/accounts"
        good = json.dumps({"name": "Müller GmbH", "currency": "EUR", "iban": "x"}).encode()
        assert _post(url, good, "application/json") == 201  # production's success status
        for bad in (
            {"name": "Müller & Co", "currency": "EUR", "iban": "x"},  # a forbidden character
            {"name": "M" * 36, "currency": "EUR", "iban": "x"},  # too long
            {"name": "Müller", "currency": "USD", "iban": "x"},  # not in the enum
            {"name": "Müller", "currency": "EUR"},  # a required field missing
        ):
            assert _post(url, json.dumps(bad).encode(), "application/json") in (400, 422), bad
    if proc.stdout is not None:
        proc.stdout.close()
