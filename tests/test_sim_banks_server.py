"""eurobank and zenginbank as real processes: `harness sim serve --bank NAME` on 127.0.0.1 and
`harness sim traffic --bank NAME`, answering with each bank's conventions."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from harness.sim import banks
from harness.sim.client import answer_paths, send
from tests.support.procs import HARNESS
from tests.support.sim import DAY, sim_server


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HARNESS, *args], capture_output=True, text=True, timeout=120, env={**os.environ}
    )


@pytest.mark.parametrize(("name", "role"), [("eurobank", "prod"), ("zenginbank", "staging")])
def test_served_answers_match_the_ground_truth(name, role):
    bank = banks.load(name)
    reqs = banks.generate(bank, 300, DAY, 9, flaw_rate=0.3)
    reqs += banks.generate(bank, 200, DAY, 9, edge=True, flaw_rate=0.3)
    with sim_server(role, bank=name) as url:
        summary = send(reqs, url, concurrency=8, paths=answer_paths(bank))
    assert summary.errors == 0
    for req, got in zip(reqs, summary.responses, strict=True):
        truth = banks.decide(
            bank, role, req.method, req.path, req.headers["Content-Type"], req.body
        )
        assert (got.status, got.code, got.msg) == (truth.status, truth.code, truth.message), (
            req.flaw
        )


def _post(url: str, body: bytes, content_type: str):
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type"), json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("Content-Type"), json.loads(exc.read())


def test_eurobank_over_http_201_202_and_a_generic_400():
    bank = banks.load("eurobank")
    reqs = banks.generate(bank, 200, DAY, 4, flaw_rate=0.0)
    sepa = next(r for r in reqs if r.endpoint == "sepa_credit_transfer")
    cross = next(r for r in reqs if r.endpoint == "cross_border_payment")
    with (
        sim_server("prod", bank="eurobank") as prod,
        sim_server("staging", bank="eurobank") as staging,
    ):
        status, ctype, doc = _post(prod + sepa.path, sepa.body, "application/json")
        assert (status, ctype, doc["transactionStatus"]) == (201, "application/json", "RCVD")
        assert _post(prod + cross.path, cross.body, "application/json")[0] == 202
        accented = json.loads(sepa.body)
        accented["creditorName"] = "Zoë Müller"
        bad = json.dumps(accented).encode()
        assert _post(prod + sepa.path, bad, "application/json")[::2] == (
            400,
            {"error": {"code": "FORMAT_ERROR", "message": "Invalid request"}},
        )
        assert _post(staging + sepa.path, bad, "application/json")[0] == 201  # lax staging


def test_zenginbank_over_http_shift_jis_form_and_ng_answers():
    bank = banks.load("zenginbank")
    verify = next(
        r
        for r in banks.generate(bank, 100, DAY, 2, flaw_rate=0.0)
        if r.endpoint == "account_verify"
    )
    fields = {
        "bankCode": "0005",
        "branchCode": "123",
        "accountType": "1",
        "accountNumber": "1234567",
    }
    small_body = urlencode({**fields, "accountName": "ｼｮｳｼﾞ"}, encoding="shift_jis").encode()
    form = "application/x-www-form-urlencoded; charset=Shift_JIS"
    with sim_server("prod", bank="zenginbank") as prod:
        status, ctype, doc = _post(prod + verify.path, verify.body, verify.headers["Content-Type"])
        assert (status, doc["result"]) == (200, "OK") and ctype.startswith("application/json")
        status, _, doc = _post(prod + verify.path, small_body, form)
        assert (status, doc) == (
            200,
            {
                "result": "NG",
                "errorCode": "E1203",
                "errorMessage": "受取人名に使用できない文字が含まれています",
            },
        )
        status, _, doc = _post(prod + "/api/v1/nothing", b"{}", "application/json")
        assert (status, doc["errorCode"]) == (404, "E0404")


def test_cli_traffic_per_bank_and_edge_day():
    with sim_server("prod", bank="zenginbank") as url:
        result = _cli(
            "sim", "traffic", "--bank", "zenginbank", "--through", url, "--count", "150",
            "--day", DAY, "--seed", "3", "--edge", "--flaw-rate", "0.2", "--json",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["sent"] == 150 and out["statuses"] == {"200": 150}
    assert out["codes"]["OK"] < 150 and any(c.startswith("E") for c in out["codes"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sim", "serve", "--bank", "nobank"], "unknown bank 'nobank'"),
        (["sim", "serve", "--bank", "eurobank", "--verify-signature"], "does not sign requests"),
        (["sim", "traffic", "--bank", "nobank", "--through", "http://127.0.0.1:9"], "unknown bank"),
        (["sim", "serve", "--bank", "eurobank", "--role", "uat"], "unknown role 'uat'"),
    ],
)
def test_bad_bank_options_are_one_line(args, message):
    result = _cli(*args)
    assert result.returncode == 1 and message in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
