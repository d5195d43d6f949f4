"""`harness mock` as a real process: rules from a YAML export or from the store."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from harness.export import to_yaml
from harness.mock.templates import answer_templates
from harness.rules import RuleSpec
from harness.store.models import Exchange
from harness.store.rules import save_rules
from tests.support.procs import HARNESS, free_port, running

ROOT = Path(__file__).resolve().parent.parent
PLAN = str(ROOT / "replays" / "simbank.yaml")
OPEN = "POST /openapi/v1/vaccount/open"
NAME = RuleSpec(
    OPEN,
    "enterpriseName",
    "forbidden_chars",
    {"classes": ["ascii_upper", "ascii_lower"], "chars": "()"},
    code="ED0012",
    message="企业名称含有非法字符",
    state="confirmed",
)
MOBILE = RuleSpec(
    OPEN,
    "legalMobile",
    "pattern",
    {"regex": "1[3-9][0-9]{9}"},
    code="ED0020",
    message="手机号格式错误",
)


async def _post(url: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    out = []
    async with aiohttp.ClientSession() as session:
        for body in bodies:
            data = json.dumps(body, ensure_ascii=False).encode()
            async with session.post(
                url, data=data, headers={"Content-Type": "application/json"}
            ) as r:
                out.append((r.status, json.loads(await r.read())))
    return out


def post(port: int, *bodies: dict) -> list[tuple[int, dict]]:
    return asyncio.run(_post(f"http://127.0.0.1:{port}/openapi/v1/vaccount/open", list(bodies)))


def test_mock_serves_a_yaml_export(tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(to_yaml([NAME, MOBILE], plan_name="simbank"), encoding="utf-8")
    port = free_port()
    args = [HARNESS, "mock", "--rules", str(rules_file), "--plan", PLAN, "--port", str(port)]
    args.append("--strict")  # the mobile rule is only suspected
    with running(args, port=port, cwd=tmp_path) as proc:
        answers = post(
            port,
            {"enterpriseName": "某某(中国)有限公司"},
            {"enterpriseName": "某某（中国）有限公司"},
            {"legalMobile": "110"},
        )
    # No production answer to copy: a rejection gets 400, never a 2xx.
    assert answers[0] == (400, {"code": "ED0012", "msg": "企业名称含有非法字符"})
    assert answers[1] == (200, {"code": "000000", "msg": "OK", "data": {}})
    assert answers[2][1]["code"] == "ED0020"
    with proc.stdout:
        assert "2 rules on 1 endpoint(s)" in proc.stdout.read()


def test_mock_serves_the_store_and_mirrors_production(tmp_path, sqlite_url):
    from harness.store import open_store

    factory = open_store(sqlite_url)
    with factory.begin() as s:
        save_rules(s, [NAME, MOBILE.but(state="retired")])
        s.add(
            Exchange(
                ts=datetime(2026, 11, 24, tzinfo=UTC),
                method="POST",
                host="h",
                path="/openapi/v1/vaccount/open",
                endpoint=OPEN,
                status=200,
                outcome="accepted",
                code="000000",
                message="成功",
                response_body='{"code":"000000","msg":"成功","data":{"accountNo":"9558800000000001"}}'.encode(),
                response_format="json",
                response_charset="utf-8",
                response_headers=[["Content-Type", "application/json;charset=UTF-8"]],
            )
        )
    factory.kw["bind"].dispose()
    port = free_port()
    db = sqlite_url.removeprefix("sqlite:///")
    with running(
        [HARNESS, "mock", "--db", db, "--plan", PLAN, "--port", str(port)], port=port, cwd=tmp_path
    ) as proc:
        answers = post(
            port, {"enterpriseName": "ABC"}, {"enterpriseName": "某某公司", "legalMobile": "110"}
        )
    proc.stdout.close()
    assert answers[0] == (400, {"code": "ED0012", "msg": "企业名称含有非法字符"})
    assert answers[1] == (
        200,
        {"code": "000000", "msg": "成功", "data": {"accountNo": "9558800000000001"}},
    )


def test_answer_templates_latest_per_endpoint_outcome_and_code(store):
    def ex(i, outcome, code, body, truncated=False, status=None, request="json"):
        return Exchange(
            ts=datetime(2026, 11, 24, 0, i, tzinfo=UTC),
            method="POST",
            host="h",
            path="/p",
            endpoint=OPEN,
            status=status or (400 if code == "E2" else 200),
            request_format=request,
            request_size=12,
            outcome=outcome,
            code=code,
            response_body=body,
            response_format="json",
            response_charset="utf-8",
            response_truncated=truncated,
            response_headers=[["content-type", "application/json"]],
        )

    with store.begin() as s:
        s.add_all(
            [
                ex(1, "accepted", "000000", b'{"code":"000000","n":1}'),
                ex(2, "accepted", "000000", b'{"code":"000000","n":2}'),
                ex(3, "accepted", "000000", b'{"code":"000000","n":3}', truncated=True),
                ex(4, "rejected", "E1", b'{"code":"E1"}'),
                ex(5, "rejected", "E2", b'{"code":"E2"}'),
                ex(6, "rejected", "E2", None),
                ex(7, "upstream_error", None, b"busy"),
                ex(8, "rejected", "E4", b'{"code":"E4"}', request="text"),  # did not parse
                ex(9, "rejected", "E404", b'{"code":"E404"}', status=404),
            ]
        )
    with store.begin() as s:
        templates = answer_templates(s)
        found = {(t.outcome, t.code): t for t in templates if t.role == "answer"}
        assert set(found) == {
            ("accepted", "000000"),
            ("rejected", "E1"),
            ("rejected", "E2"),
            ("rejected", "E4"),
        }
        assert [t.code for t in templates if t.role == "malformed"] == ["E4"]
        assert [(t.code, t.status) for t in templates if t.role == "not_found"] == [("E404", 404)]
        assert found[("accepted", "000000")].body == b'{"code":"000000","n":2}'
        assert found[("rejected", "E2")].status == 400
        assert found[("rejected", "E1")].content_type == "application/json"
        # Other endpoints: nothing of their own; the gateway's 404 holds for any route.
        assert [t.role for t in answer_templates(s, ["GET /other"])] == ["not_found"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rules", "missing.yaml"], "rules file not found: 'missing.yaml'"),
        (["--rules", "bad.yaml"], "rules file: rule 1: unknown kind 'nope'"),
        (["--rules", "good.yaml", "--state", "retired"], "retired rules are never enforced"),
        (["--rules", "good.yaml", "--state", "confirmed,maybe"], "unknown rule state 'maybe'"),
        (["--rules", "good.yaml", "--plan", "nope.yaml"], "plan file not found"),
        (["--db", "absent.db"], "no harness store"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    (tmp_path / "bad.yaml").write_text(
        "rules: [{endpoint: E, field: f, kind: nope}]", encoding="utf-8"
    )
    (tmp_path / "good.yaml").write_text(to_yaml([NAME]), encoding="utf-8")
    done = run_cli("mock", *args, "--port", str(free_port()), cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_port_in_use_is_one_line(tmp_path):
    import socket

    (tmp_path / "good.yaml").write_text(to_yaml([NAME]), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        done = run_cli("mock", "--rules", "good.yaml", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
