"""TLS to the bank and to targets, and credentials per target: real processes, real HTTPS
servers with a private CA made in the test, a real SQLite store."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from harness.store import open_store
from harness.store.queries import list_exchanges
from harness.store.replays import list_runs, run_results
from tests.support.certs import CA, https_server
from tests.support.procs import HARNESS, free_port, running, stop

KEY_HEX = "3c" * 32
ENV = {"HARNESS_KEY": KEY_HEX}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    bank = CA(d, "Bank CA")
    ours = CA(d, "Client CA")
    return {
        "bank": bank,
        "gateway": bank.issue("gateway", server=True),
        "staging": bank.issue("staging", server=True),
        "clients": ours,
        "sidecar": ours.issue("sidecar", server=False),
        "listen": ours.issue("listen", server=True),
    }


def harness(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HARNESS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV, **(env or {})},
    )


def post(url: str, body: bytes, context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30, context=context) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def capture(upstream: str, db: Path, *extra: str, requests: int = 1, tls=None) -> list:
    port = free_port()
    args = [HARNESS, "proxy", "--upstream", upstream, "--listen-port", str(port), "--db", str(db)]
    answers = []
    with running([*args, *extra], port=port, env=ENV) as proc:
        for i in range(requests):
            scheme = "https" if tls is not None else "http"
            answers.append(
                post(
                    f"{scheme}://127.0.0.1:{port}/openapi/v1/account/query", b'{"n": "%d"}' % i, tls
                )
            )
        code = stop(proc)
        log = proc.stdout.read() if proc.stdout else ""
        if proc.stdout:
            proc.stdout.close()
        assert code == 0, log
    assert "harness proxy ready: listening on 127.0.0.1" in log
    return answers


def stored(db: Path):
    factory = open_store(str(db), create=False)
    with factory() as s:
        rows = list_exchanges(s, limit=None, newest_first=False)
    factory.kw["bind"].dispose()
    return rows


def test_an_upstream_that_wants_a_client_certificate(pki, tmp_path):
    with https_server(pki["gateway"], client_ca=pki["clients"].pem) as url:
        # Without a client certificate the bank hangs up: an upstream_error, counted.
        without = tmp_path / "without.db"
        answers = capture(url, without, "--upstream-ca", str(pki["bank"].pem))
        assert [code for code, _ in answers] == [502]
        [row] = stored(without)
        assert row.outcome == "upstream_error" and row.status is None and row.error

        # With it (from the command line): captured, and the bank saw our certificate.
        with_cert = tmp_path / "with.db"
        answers = capture(
            url,
            with_cert,
            "--upstream-ca",
            str(pki["bank"].pem),
            "--client-cert",
            str(pki["sidecar"].cert),
            "--client-key",
            str(pki["sidecar"].key),
            requests=3,
        )
        assert [code for code, _ in answers] == [200] * 3
        assert json.loads(answers[0][1])["data"]["client"] == "sidecar"
        rows = stored(with_cert)
        assert [r.outcome for r in rows] == ["accepted"] * 3

        # The same from the plan's tls section; the application speaks TLS to the proxy
        # with a certificate the operator supplies.
        plan = tmp_path / "bank.yaml"
        plan.write_text(
            yaml.safe_dump(
                {
                    "upstream": url,
                    "tls": {
                        "ca": str(pki["bank"].pem),
                        "client_cert": str(pki["sidecar"].cert),
                        "client_key": str(pki["sidecar"].key),
                    },
                }
            )
        )
        app_tls = ssl.create_default_context(cafile=str(pki["clients"].pem))
        by_plan = tmp_path / "plan.db"
        answers = capture(
            url,
            by_plan,
            "--plan",
            str(plan),
            "--listen-cert",
            str(pki["listen"].cert),
            "--listen-key",
            str(pki["listen"].key),
            tls=app_tls,
        )
        assert [code for code, _ in answers] == [200]
        assert [r.outcome for r in stored(by_plan)] == ["accepted"]


def test_the_system_store_is_the_default_and_never_silently_off(pki, tmp_path):
    with https_server(pki["gateway"]) as url:
        db = tmp_path / "h.db"
        answers = capture(url, db)  # the private CA is not in the system store
        assert [code for code, _ in answers] == [502]
        [row] = stored(db)
        assert row.outcome == "upstream_error"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--client-cert", "/nonexistent.pem"], "client certificate file not found"),
        (["--client-key", "/nonexistent.key"], "--client-key needs --client-cert"),
        (["--upstream-ca", "/nonexistent-ca.pem"], "CA file not found"),
    ],
)
def test_tls_files_that_cannot_serve_are_one_line_before_listening(pki, tmp_path, args, message):
    res = harness(
        "proxy",
        "--upstream",
        "https://127.0.0.1:9",
        "--listen-port",
        str(free_port()),
        "--db",
        str(tmp_path / "h.db"),
        *args,
    )
    assert res.returncode == 1 and message in res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert not (tmp_path / "h.db").exists() or stored(tmp_path / "h.db") == []


def _results(db: Path, run_id: int):
    factory = open_store(str(db), create=False)
    with factory() as s:
        pairs = run_results(s, run_id, limit=100)
    factory.kw["bind"].dispose()
    return [r for r, _ in pairs]


def _run_id(stdout: str) -> int:
    return int(json.loads(stdout)["run_id"])


def test_replay_to_an_https_target_with_a_private_ca_and_its_own_token(pki, tmp_path):
    hits: list[str] = []
    with https_server(pki["gateway"], client_ca=pki["clients"].pem) as prod:
        db = tmp_path / "h.db"
        capture(
            prod,
            db,
            "--upstream-ca",
            str(pki["bank"].pem),
            "--client-cert",
            str(pki["sidecar"].cert),
            "--client-key",
            str(pki["sidecar"].key),
            requests=4,
        )
    with https_server(pki["staging"], token="s3cret-staging", hits=hits) as staging:
        plan = tmp_path / "plan.yaml"
        plan.write_text(
            yaml.safe_dump(
                {
                    "targets": {
                        "staging": {
                            "url": staging,
                            "headers": {"Authorization": "env:STAGING_TOKEN"},
                            "tls": {"ca": str(pki["bank"].pem)},
                        }
                    }
                }
            )
        )
        common = ["replay", "--db", str(db), "--plan", str(plan), "--outcome", "all", "--json"]
        # The token's variable is missing: one line, before anything is sent.
        env = {k: v for k, v in os.environ.items() if k != "STAGING_TOKEN"}
        res = subprocess.run(
            [HARNESS, *common], capture_output=True, text=True, timeout=120, env={**env, **ENV}
        )
        assert res.returncode == 1, res.stderr
        assert "'STAGING_TOKEN'" in res.stderr and res.stderr.count("\n") == 1
        assert hits == []

        # With it: the target's own token replaces the redacted one, over verified TLS.
        res = harness(*common, env={"STAGING_TOKEN": "Bearer s3cret-staging"})
        assert res.returncode == 0, res.stderr
        results = _results(db, _run_id(res.stdout))
        assert len(results) == 4 and {r.status for r in results} == {200}
        assert {r.verdict for r in results} == {"consistent"}
        assert len(hits) >= 4

        # The same from the command line; without the CA the target is not trusted.
        cli = ["replay", "--db", str(db), "--outcome", "all", "--json"]
        cli += ["--target", f"stg={staging}", "--target-header", "Authorization=env:TOK"]
        res = harness(
            *cli, "--target-ca", str(pki["bank"].pem), env={"TOK": "Bearer s3cret-staging"}
        )
        assert res.returncode == 0, res.stderr
        assert {r.status for r in _results(db, _run_id(res.stdout))} == {200}
        res = harness(*cli, "--target-header", "Authorization=Bearer wrong", env={"TOK": "x"})
        assert res.returncode == 0, res.stderr
        untrusted = _results(db, _run_id(res.stdout))
        assert {r.error for r in untrusted} == {"certificate not trusted"}
        assert {r.verdict for r in untrusted} == {"target_error"}
    # No secret reached the store: the run records names and URLs, results no token.
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("h.db*"))
    assert b"s3cret-staging" not in raw


def test_live_shadow_to_an_https_target_with_its_own_token(pki, tmp_path):
    hits: list[str] = []
    with (
        https_server(pki["gateway"]) as prod,
        https_server(pki["staging"], token="shadow-t0ken", hits=hits) as staging,
    ):
        plan = tmp_path / "plan.yaml"
        plan.write_text(
            yaml.safe_dump(
                {
                    "tls": {"ca": str(pki["bank"].pem)},
                    "targets": {
                        "staging": {
                            "url": staging,
                            "headers": {"Authorization": "env:SHADOW_TOKEN"},
                            "tls": {"ca": str(pki["bank"].pem)},
                        }
                    },
                }
            )
        )
        args = ["--plan", str(plan), "--shadow", "staging"]
        db = tmp_path / "h.db"
        # Its variable missing: the proxy refuses in one line, before it listens.
        res = harness("proxy", "--upstream", prod, "--listen-port", str(free_port()),
                      "--db", str(db), *args)  # fmt: skip
        assert res.returncode == 1 and "'SHADOW_TOKEN'" in res.stderr
        assert res.stderr.count("\n") == 1 and hits == []
        port = free_port()
        cmd = [HARNESS, "proxy", "--upstream", prod, "--listen-port", str(port), "--db", str(db)]
        env = {**ENV, "SHADOW_TOKEN": "Bearer shadow-t0ken"}
        with running([*cmd, *args], port=port, env=env) as proc:
            for i in range(3):
                assert post(f"http://127.0.0.1:{port}/x", b'{"i": "%d"}' % i)[0] == 200
            deadline = time.monotonic() + 60
            while len(hits) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert stop(proc) == 0
            proc.stdout.close()
    factory = open_store(str(db), create=False)
    with factory() as s:
        [run] = [r for r, _ in list_runs(s) if r.kind == "shadow"]
        results = [r for r, _ in run_results(s, run.id, limit=None)]
    factory.kw["bind"].dispose()
    assert len(results) == 3 and {r.status for r in results} == {200}
    assert {r.verdict for r in results} == {"consistent"}
