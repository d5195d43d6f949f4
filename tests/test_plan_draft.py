"""``harness plan draft``: a starting plan inferred from a store captured without a plan."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from harness.plan import Plan, parse_plan
from harness.plan.draft import draft
from harness.sim.gateway import Gateway
from harness.sim.traffic import default_bank, generate
from harness.store import open_store
from harness.store.queries import insert_exchanges
from tests.support.procs import HARNESS
from tests.support.world import stored_rows


def answer_with(gateway: Gateway):
    def answer(method, path, headers, body):
        reply = gateway.handle(method, path, headers.get("Content-Type"), None, body)
        return reply.status, reply.content_type, reply.body

    return answer


def test_a_draft_from_a_day_captured_without_a_plan(tmp_path: Path):
    requests = generate(600, "2026-11-24", seed=5, key="k")
    rows = stored_rows(requests, answer_with(Gateway(default_bank(), "prod")), Plan())
    db = tmp_path / "h.db"
    factory = open_store(str(db))
    with factory.begin() as session:
        insert_exchanges(session, rows)
    factory.kw["bind"].dispose()
    out = tmp_path / "draft.yaml"
    done = subprocess.run(
        [HARNESS, "plan", "draft", "--db", str(db), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    plan = parse_plan(yaml.safe_load(text))  # a plan the harness accepts as it is
    assert plan.upstream == "http://127.0.0.1:18080"
    assert plan.success_status == (200,) and plan.success_codes == ("000000",)
    assert {"code", "Response.Head.RspCode"} <= set(plan.code_paths)
    assert {"msg", "Response.Head.RspMsg"} <= set(plan.message_paths)
    assert {"currency", "purpose", "TxCode"} <= set(plan.keep_fields)
    assert "enterpriseName" not in plan.keep_fields and "requestId" not in plan.keep_fields
    assert {"data.serialNo", "Response.Head.SerialNo"} <= set(plan.noise)
    assert plan.endpoints == ("POST /openapi/v1/enterprise/{id}/update",)
    assert "# where the answers carry the code and message" in text
    # No field value of any exchange is in the draft.
    for row in rows:
        for value in (row["request_fields"] or {}).values():
            if isinstance(value, str) and len(value) >= 6:
                assert value not in text


def test_other_conventions_201_and_a_nested_error():
    accepted = {
        "endpoint": "POST /v1/payments",
        "host": "api.bank.example",
        "scheme": "https",
        "status": 201,
        "outcome": "accepted",
        "code": None,
        "message": None,
        "request_fields": {"currency": "EUR", "amount": "10.00"},
        "response_fields": {"paymentId": "p", "status": "ACCEPTED"},
    }
    rejected = {
        **accepted,
        "status": 400,
        "outcome": "rejected",
        "code": "FORMAT_ERROR",
        "message": "Invalid request",
        "response_fields": {"error.code": "FORMAT_ERROR", "error.message": "Invalid request"},
    }
    many = [
        {**accepted, "request_fields": {"currency": "EUR", "amount": f"{i}.00"}} for i in range(60)
    ]
    found = draft(many + [rejected] * 3)
    assert found["upstream"] == "https://api.bank.example"
    assert found["success"] == {"status": [201]}
    assert found["response"] == {"code": ["error.code"], "message": ["error.message"]}
    assert found["sensitive"]["keep"] == ["currency"]
