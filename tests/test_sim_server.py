"""The simulated bank as real processes: `harness sim serve` and `harness sim traffic`."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request

import pytest

from harness.sim import signature
from harness.sim.bank import load_bank
from harness.sim.gateway import Gateway
from tests.support.procs import HARNESS, free_port, running, stop
from tests.support.sim import DAY, expected_outcome, run_traffic, sim_server, traffic

OPEN = "/openapi/v1/vaccount/open"


@pytest.fixture(scope="module")
def servers():
    with sim_server("prod") as prod, sim_server("staging") as staging:
        yield {"prod": prod, "staging": staging}


def post(
    url: str, path: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
):
    req = urllib.request.Request(
        url + path,
        data=body,
        method="POST",
        headers={"Content-Type": content_type, **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("Content-Type"), exc.read()


BASE = next(r for r in traffic(50, flaw_rate=0.0) if r.endpoint == "vaccount_open")
UPDATE = next(r for r in traffic(50, flaw_rate=0.0) if r.endpoint == "enterprise_update")


def open_body(**changes: str) -> bytes:
    doc = json.loads(BASE.body)
    doc.update(changes)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    ("changes", "prod", "staging"),
    [
        ({}, ("000000", "成功"), ("000000", "成功")),
        (
            {"enterpriseName": "华瑞(中国)科技有限公司", "accountName": "华瑞(中国)科技有限公司"},
            ("ED0012", "企业名称含有非法字符"),
            ("000000", "成功"),
        ),
        (
            {"businessAddress": "上海市浦东新区张江路88号B1栋1203室"},
            ("ED0041", "经营地址格式不正确"),
            ("000000", "成功"),
        ),
        ({"legalName": "王䶮"}, ("ED0031", "法人姓名含有非法字符"), ("000000", "成功")),
        (
            {"legalMobile": "1381234567"},
            ("ED0033", "法人手机号格式不正确"),
            ("ED0033", "法人手机号格式不正确"),
        ),
        ({"enterpriseName": ""}, ("ED0001", "企业名称不能为空"), ("ED0001", "企业名称不能为空")),
    ],
)
def test_rules_over_http(servers, changes, prod, staging):
    for role, expected in (("prod", prod), ("staging", staging)):
        status, ctype, body = post(servers[role], OPEN, open_body(**changes), "application/json")
        assert status == 200 and ctype.startswith("application/json")
        doc = json.loads(body.decode("utf-8"))
        assert (doc["code"], doc["msg"]) == expected, role


def test_gbk_xml_over_http(servers):
    text = UPDATE.body.decode("gbk")
    start, end = text.index("<EntName>") + len("<EntName>"), text.index("</EntName>")
    bad = (text[:start] + "恒泰(上海)贸易有限公司" + text[end:]).encode("gbk")
    for role, code in (("prod", "EX0012"), ("staging", "000000")):
        status, ctype, body = post(servers[role], UPDATE.path, bad, "application/xml; charset=GBK")
        assert status == 200 and ctype == "application/xml; charset=GBK"
        assert f"<RspCode>{code}</RspCode>" in body.decode("gbk")


def test_not_found_and_malformed_over_http(servers):
    assert post(servers["prod"], "/openapi/v1/nothing", b"{}", "application/json")[0] == 404
    status, _, body = post(servers["staging"], OPEN, b"{oops", "application/json")
    assert status == 400 and json.loads(body)["code"] == "EA0400"


def test_traffic_in_process_matches_ground_truth(servers):
    reqs = traffic(300)
    summary = run_traffic(servers["prod"], count=300)
    assert summary.sent == 300 and summary.errors == 0 and summary.statuses == {"200": 300}
    assert [r.code for r in summary.responses] == [
        expected_outcome(q, "prod").answer.code for q in reqs
    ]
    staging = run_traffic(servers["staging"], count=300)
    assert [r.code for r in staging.responses] == [
        expected_outcome(q, "staging").answer.code for q in reqs
    ]
    assert staging.codes["000000"] > summary.codes["000000"]


def test_traffic_command_end_to_end(servers):
    result = subprocess.run(
        [
            HARNESS,
            "sim",
            "traffic",
            "--through",
            servers["prod"],
            "--count",
            "400",
            "--day",
            DAY,
            "--seed",
            "3",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sent"] == 400 and summary["errors"] == 0 and summary["statuses"] == {"200": 400}
    assert sum(summary["codes"].values()) == 400
    expected = sum(not expected_outcome(r, "prod").accepted for r in traffic(400, seed=3))
    assert 400 - summary["codes"]["000000"] == expected > 0


def test_traffic_command_table(servers):
    result = subprocess.run(
        [HARNESS, "sim", "traffic", "--through", servers["staging"], "--count", "50", "--day", DAY],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "sent 50 requests" in result.stdout and "HTTP statuses: 200: 50" in result.stdout
    assert "000000" in result.stdout


def test_signature_verification(monkeypatch):
    reqs = traffic(20, key="s3cret")
    with sim_server("prod", verify_signature=True, sign_key="s3cret") as url:
        good = run_traffic(url, count=20, key="s3cret")
        assert good.codes["EA0101"] == 0 and sum(good.codes.values()) == 20
        bad = run_traffic(url, count=20, key="wrong")
        assert bad.codes == {"EA0101": 20} and bad.messages["EA0101"] == "签名验证失败"
        status, _, body = post(url, reqs[0].path, reqs[0].body, reqs[0].headers["Content-Type"])
        assert status == 200 and "EA0101" in body.decode("gbk" if b"GBK" in body[:50] else "utf-8")
    # key from the environment, for both sides
    monkeypatch.setenv(signature.KEY_ENV, "env-key")
    with sim_server("staging", verify_signature=True) as url:
        assert run_traffic(url, count=10).codes["EA0101"] == 0
        assert run_traffic(url, count=10, key="other").codes == {"EA0101": 10}
    # off by default: any signature goes
    with sim_server("staging") as url:
        assert run_traffic(url, count=10, key="other").codes["EA0101"] == 0


def test_error_rate_is_deterministic_over_http():
    reqs = traffic(200, seed=4)
    predicted = Gateway(load_bank(), "prod", error_rate=0.2, seed=9)
    busy = [
        predicted.decide(r.method, r.path, None, None, r.body)[0].reason == "flaky" for r in reqs
    ]
    with sim_server("prod", error_rate=0.2, seed=9) as url:
        summary = run_traffic(url, count=200, seed=4)
    assert [r.status != 200 or r.code == "SY0400" for r in summary.responses] == busy
    assert summary.statuses["503"] > 0 and summary.messages.get("SY9999") == "系统繁忙"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=60)


def test_bad_bank_file_is_one_line(tmp_path):
    bad = tmp_path / "bank.yaml"
    bad.write_text("roles: {prod: {}}\nresponses: {}\n", encoding="utf-8")
    result = _cli("sim", "serve", "--bank", str(bad), "--port", str(free_port()))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert (
        result.stderr.startswith("error: bank file")
        and "'responses' lacks 'success'" in result.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sim", "serve", "--role", "uat"], "unknown role 'uat'"),
        (["sim", "serve", "--error-rate", "2"], "error rate"),
        (["sim", "traffic", "--through", "ftp://x"], "not an http(s) URL"),
        (["sim", "traffic", "--through", "http://127.0.0.1:9", "--count", "3"], "no answer from"),
        (["sim", "traffic", "--through", "http://127.0.0.1:9", "--day", "soon"], "not a day"),
    ],
)
def test_bad_options_are_one_line(args, message):
    result = _cli(*args)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and result.stderr.strip().count("\n") == 0


def test_busy_port_is_one_line():
    with sim_server("staging") as url:
        result = _cli("sim", "serve", "--port", url.rsplit(":", 1)[1])
    assert result.returncode == 1 and "cannot listen on" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown(sig):
    port = free_port()
    with running([HARNESS, "sim", "serve", "--port", str(port)], port=port) as proc:
        assert stop(proc, sig) == 0
        out = proc.stdout.read()
        proc.stdout.close()
    assert f"simbank prod listening on http://127.0.0.1:{port}" in out
    assert "Traceback" not in out


def test_help_has_examples():
    for command in ("serve", "traffic"):
        result = _cli("sim", command, "--help")
        assert result.returncode == 0 and "Example: harness sim" in result.stdout
    assert signature.DEMO_KEY in _cli("sim", "serve", "--help").stdout
