"""The replay engine against real HTTP servers and real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from harness.errors import ConfigError, SafetyError
from harness.plan import parse_plan
from harness.replay import Selection, Settings, check_targets, replay
from harness.store import ReplayResult, ReplayRun, open_store
from harness.store.queries import EXCHANGE_COLUMNS, insert_exchanges
from tests.support.procs import free_port
from tests.test_replay_recorder import Arrival, Reply, recording

DAY = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
ENDPOINT = "POST /v1/account/open"
REJECT_NAME = {"code": "ED0012", "msg": "企业名称含有非法字符"}
OK_BODY = {"code": "000000", "msg": "成功"}
_ids = itertools.count(1)


def plan_for(**extra: Any):
    data = {
        "name": "testbank",
        "success": {"status": [200], "code": ["000000"]},
        "response": {"code": ["code"], "message": ["msg"]},
        "labels": {"enterpriseName": "企业名称", "businessAddress": "经营地址"},
    }
    data.update(extra)
    return parse_plan(data, "testbank.yaml")


def exchange(
    name: str = "某某（某某）有限公司",
    *,
    outcome: str = "rejected",
    response: dict | None = None,
    ts: datetime | None = None,
    headers: list[list[str]] | None = None,
    path: str = "/v1/account/open",
    endpoint: str = ENDPOINT,
    **overrides: Any,
) -> dict[str, Any]:
    """A stored (sanitized) exchange row, as the ingest writes it."""
    body = json.dumps({"enterpriseName": name, "amount": "1.00"}, ensure_ascii=False).encode()
    answer = (
        response if response is not None else (REJECT_NAME if outcome == "rejected" else OK_BODY)
    )
    row = {c: None for c in EXCHANGE_COLUMNS}
    row.update(
        ts=ts or DAY + timedelta(seconds=next(_ids)),
        client="10.0.0.1:40000",
        method="POST",
        scheme="https",
        host="gateway.bank.example",
        path=path,
        endpoint=endpoint,
        request_headers=headers
        or [["Host", "gateway.bank.example"], ["Content-Type", "application/json;charset=UTF-8"]],
        request_body=body,
        request_format="json",
        request_charset="utf-8",
        request_fields={"enterpriseName": name, "amount": "1.00"},
        request_size=len(body),
        request_truncated=False,
        status=200,
        response_headers=[["Content-Type", "application/json"]],
        response_body=json.dumps(answer, ensure_ascii=False).encode(),
        response_format="json",
        response_charset="utf-8",
        response_fields=answer,
        response_size=0,
        response_truncated=False,
        outcome=outcome,
        code=answer.get("code"),
        message=answer.get("msg"),
        duration_ms=12.0,
    )
    row.update(overrides)
    return row


def put(factory, rows: list[dict[str, Any]]) -> None:
    with factory.begin() as session:
        insert_exchanges(session, rows)


def lax_staging(arrival: Arrival) -> Reply:
    """Accepts everything, with a fresh serial number each time (noise)."""
    serial = hashlib.sha256(repr(arrival.at).encode()).hexdigest()[:12]
    doc = {**OK_BODY, "data": {"serialNo": serial}}
    return 200, {"Content-Type": "application/json"}, json.dumps(doc, ensure_ascii=False).encode()


def strict_on_parens(arrival: Arrival) -> Reply:
    """Rejects half-width parentheses in the enterprise name, like production."""
    doc = json.loads(arrival.body)
    if "(" in doc.get("enterpriseName", ""):
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(REJECT_NAME, ensure_ascii=False).encode(),
        )
    return lax_staging(arrival)


def results(factory, run_id: int) -> list[ReplayResult]:
    with factory() as session:
        return list(
            session.scalars(
                select(ReplayResult)
                .where(ReplayResult.run_id == run_id)
                .order_by(ReplayResult.exchange_id, ReplayResult.target)
            )
        )


@pytest.fixture
def sqlite_store(sqlite_url):
    factory = open_store(sqlite_url)
    yield factory
    factory.kw["bind"].dispose()


def test_verdicts_per_exchange_and_target(store):
    """Production-only, reproducible and mock verdicts, on SQLite and PostgreSQL."""
    rows = [exchange("某某(某某)有限公司") for _ in range(3)]  # staging-strict rejects these
    rows += [exchange("某某（某某）有限公司") for _ in range(4)]  # only production rejects
    rows += [exchange(outcome="accepted")]  # not selected: outcome rejected by default
    put(store, rows)
    with recording(strict_on_parens) as staging, recording(lax_staging) as mock:
        report = replay(
            store,
            {"staging": staging.url, "mock": mock.url},
            plan=plan_for(),
            settings=Settings(batch=3, repeat_noise=0),
        )
    got = results(store, report.run_id)
    assert len(got) == 7 * 2
    by_target = {t: [r.verdict for r in got if r.target == t] for t in ("staging", "mock")}
    assert by_target["staging"] == ["reproducible"] * 3 + ["production_only"] * 4
    assert by_target["mock"] == ["mock_disagrees"] * 7
    staging_ok = next(r for r in got if r.target == "staging" and r.verdict == "production_only")
    assert (
        staging_ok.status == 200
        and staging_ok.outcome == "accepted"
        and staging_ok.code == "000000"
    )
    assert staging_ok.fields["code"] == "000000"
    assert staging_ok.diff["values_changed"]["code"] == {"production": "ED0012", "target": "000000"}
    assert staging_ok.latency_ms is not None and staging_ok.body.startswith(b"{")
    repro = next(r for r in got if r.verdict == "reproducible")
    assert repro.diff == {} and repro.code == "ED0012"
    with store() as session:
        run = session.get(ReplayRun, report.run_id)
        assert run.state == "done" and run.kind == "replay" and run.plan_name == "testbank"
        assert run.targets == {"staging": staging.url, "mock": mock.url}
    summary = report.summary
    assert summary["targets"]["staging"]["verdicts"] == {"reproducible": 3, "production_only": 4}
    assert summary["targets"]["mock"]["probe"] is True
    [row] = summary["table"]
    assert (row["endpoint"], row["code"], row["exchanges"]) == (ENDPOINT, "ED0012", 7)


def test_request_is_rebuilt_for_the_target(sqlite_store, monkeypatch):
    """Stored secrets never leave; fresh ones come from the environment; Host and
    Content-Length fit the target; the body is the stored bytes, signed afresh."""
    headers = [
        ["Host", "gateway.bank.example"],
        ["Content-Type", "application/json;charset=UTF-8"],
        ["Content-Length", "9999"],
        ["Connection", "keep-alive"],
        ["Authorization", "[redacted]"],
        ["Cookie", "[redacted]"],
        ["X-Signature", "[redacted]"],
        ["X-Partner-Token", "[redacted]"],  # a secret the plan does not know: still dropped
        ["X-Request-Id", "R0001"],
    ]
    row = exchange(
        "某某(某某)有限公司", headers=headers, path="/v1/account/open?channel=web&x=%E4%B8%AD"
    )
    put(sqlite_store, [row])
    plan = plan_for(
        signer={
            "kind": "hmac-sha256",
            "header": "X-Signature",
            "key_env": "BANK_KEY",
            "options": {"headers": {"Authorization": "BANK_TOKEN"}},
        }
    )
    env = {"BANK_KEY": "k3y", "BANK_TOKEN": "Bearer fresh"}
    with recording(lax_staging) as staging:
        replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan,
            environ=env,
            settings=Settings(repeat_noise=0),
        )
    [arrival] = staging.arrivals
    assert arrival.path == "/v1/account/open?channel=web&x=%E4%B8%AD"
    assert arrival.body == row["request_body"]
    h = {k.lower(): v for k, v in arrival.headers.items()}
    assert h["host"] == f"127.0.0.1:{staging.port}"
    assert h["content-length"] == str(len(row["request_body"]))
    assert h["authorization"] == "Bearer fresh"
    assert h["x-signature"] == hmac.new(b"k3y", row["request_body"], hashlib.sha256).hexdigest()
    assert h["x-request-id"] == "R0001"
    assert "cookie" not in h and "x-partner-token" not in h
    assert "[redacted]" not in arrival.headers.values()


def test_target_base_path_is_kept(sqlite_store):
    put(sqlite_store, [exchange(path="/v1/account/open?a=1")])
    with recording(lax_staging) as staging:
        replay(
            sqlite_store,
            {"staging": f"{staging.url}/sandbox/"},
            plan=plan_for(),
            settings=Settings(repeat_noise=0),
        )
    assert [a.path for a in staging.arrivals] == ["/sandbox/v1/account/open?a=1"]


def test_selection_filters_and_limit(sqlite_store):
    rows = [exchange(ts=DAY + timedelta(minutes=i)) for i in range(5)]
    rows.append(exchange(ts=DAY + timedelta(days=1)))  # another day
    rows.append(exchange(endpoint="POST /v1/transfer", path="/v1/transfer"))
    rows.append(exchange(response={"code": "ED0031", "msg": "经营地址含有非法字符"}))
    rows.append(exchange(outcome="accepted"))
    put(sqlite_store, rows)
    day = Selection(start=DAY.replace(hour=0), end=DAY.replace(hour=0) + timedelta(days=1))
    cases = [
        (Selection(), 8),
        (Selection(limit=2), 2),
        (day, 7),
        (Selection(endpoint="POST /v1/transfer"), 1),
        (Selection(code="ED0031"), 1),
        (Selection(outcome="accepted"), 1),
        (Selection(outcome="all"), 9),
    ]
    with recording(lax_staging) as staging:
        for selection, expected in cases:
            report = replay(
                sqlite_store,
                {"staging": staging.url},
                plan=plan_for(),
                selection=selection,
                settings=Settings(repeat_noise=0),
            )
            assert report.summary["exchanges"] == expected, selection
    accepted = report.summary["targets"]["staging"]["verdicts"]
    assert accepted["consistent"] == 1


def test_noise_is_detected_by_sending_twice(sqlite_store):
    put(
        sqlite_store,
        [
            exchange(outcome="accepted", response={**OK_BODY, "data": {"serialNo": "P1"}})
            for _ in range(6)
        ],
    )
    with recording(lax_staging) as staging:
        report = replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            selection=Selection(outcome="accepted"),
            settings=Settings(repeat_noise=2),
        )
    assert len(staging.arrivals) == 6 + 2  # two exchanges sent twice
    assert report.summary["requests"] == 8
    assert report.summary["noise"] == {ENDPOINT: ["data.serialNo"]}
    got = results(sqlite_store, report.run_id)
    assert [r.verdict for r in got] == ["consistent"] * 6
    assert all(r.diff == {} for r in got)  # the serial number differs, but it is noise


def test_without_noise_detection_the_serial_shows_in_the_diff(sqlite_store):
    put(
        sqlite_store,
        [exchange(outcome="accepted", response={**OK_BODY, "data": {"serialNo": "P1"}})],
    )
    with recording(lax_staging) as staging:
        report = replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            selection=Selection(outcome="accepted"),
            settings=Settings(repeat_noise=0),
        )
    [r] = results(sqlite_store, report.run_id)
    assert list(r.diff["values_changed"]) == ["data.serialNo"]
    # ... and the plan's noise hides it too
    with recording(lax_staging) as staging:
        report = replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(noise=["serialNo"]),
            selection=Selection(outcome="accepted"),
            settings=Settings(repeat_noise=0),
        )
    [r] = results(sqlite_store, report.run_id)
    assert r.diff == {}


def test_a_state_changing_target_teaches_no_noise(sqlite_store):
    """The second identical request gets another answer ("already exists"): not noise."""
    seen: set[bytes] = set()

    def once(arrival: Arrival) -> Reply:
        doc = OK_BODY if arrival.body not in seen else {"code": "ED0099", "msg": "账户已存在"}
        seen.add(arrival.body)
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(doc, ensure_ascii=False).encode(),
        )

    put(sqlite_store, [exchange(f"某某公司{i}") for i in range(3)])
    with recording(once) as staging:
        report = replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            settings=Settings(repeat_noise=5),
        )
    assert report.summary["noise"] == {}
    assert report.summary["noise_unstable"] == {ENDPOINT: 3}
    assert [r.verdict for r in results(sqlite_store, report.run_id)] == ["production_only"] * 3


def test_staging_down_gives_target_errors(sqlite_store):
    put(sqlite_store, [exchange() for _ in range(4)])
    down = f"http://127.0.0.1:{free_port()}"
    report = replay(sqlite_store, {"staging": down}, plan=plan_for())
    got = results(sqlite_store, report.run_id)
    assert [(r.verdict, r.outcome, r.error, r.status) for r in got] == [
        ("target_error", "upstream_error", "connection refused", None)
    ] * 4
    assert report.summary["targets"]["staging"]["verdicts"] == {"target_error": 4}
    with sqlite_store() as session:
        assert session.get(ReplayRun, report.run_id).state == "done"


def test_staging_5xx_and_timeouts_are_target_errors(sqlite_store):
    async def flaky(arrival: Arrival) -> Reply:
        if b"slow" in arrival.body:
            await asyncio.sleep(1)
        if b"busy" in arrival.body:
            return 503, {"Content-Type": "text/plain"}, b"busy"
        return 500, {"Content-Type": "text/html"}, b"<h1>oops</h1>"

    put(sqlite_store, [exchange("slow"), exchange("busy"), exchange("oops")])
    with recording(flaky) as staging:
        report = replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            settings=Settings(timeout=0.2, repeat_noise=0),
        )
    got = results(sqlite_store, report.run_id)
    assert [r.verdict for r in got] == ["target_error"] * 3
    assert [r.error for r in got] == ["timeout", None, None]
    assert [r.status for r in got] == [None, 503, 500]


@pytest.mark.slow
def test_rate_limit_holds_for_a_run(sqlite_store):
    put(sqlite_store, [exchange() for _ in range(20)])
    with recording(lax_staging) as staging:
        replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            settings=Settings(rate=10, repeat_noise=0),
        )
    times = sorted(a.at for a in staging.arrivals)
    assert len(times) == 20
    assert times[-1] - times[0] >= 1.8


def test_concurrency_limit_holds_for_a_run(sqlite_store):
    async def slow(arrival: Arrival) -> Reply:
        await asyncio.sleep(0.03)
        return lax_staging(arrival)

    put(sqlite_store, [exchange() for _ in range(30)])
    with recording(slow) as staging:
        replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan_for(),
            settings=Settings(concurrency=4),
        )
    assert len(staging.arrivals) == 30 + 5
    assert 1 <= staging.max_in_flight <= 4


def test_truncated_exchanges_are_skipped(sqlite_store):
    put(sqlite_store, [exchange(request_truncated=True), exchange()])
    with recording(lax_staging) as staging:
        report = replay(sqlite_store, {"staging": staging.url}, plan=plan_for())
    assert len(staging.arrivals) == 1 + 1  # one exchange, sent twice for noise
    assert report.summary["skipped"] == {"request body truncated at capture": 1}
    assert report.summary["results"] == 1


def test_production_targets_are_refused(sqlite_store):
    port = free_port()
    plan = plan_for(upstream=f"http://127.0.0.1:{port}", production_hosts=["gw.bank.example"])
    put(sqlite_store, [exchange()])
    refused = [
        f"http://127.0.0.1:{port}",
        f"http://localhost:{port}/",  # an alias of production's address
        f"http://LOCALHOST:{port}",
        "https://gw.bank.example:8443",  # a production host, on any port
    ]
    for url in refused:
        with pytest.raises(SafetyError, match="refusing replay target 'staging'") as info:
            replay(sqlite_store, {"staging": url}, plan=plan)
        assert "\n" not in str(info.value)
    with sqlite_store() as session:  # refused before anything was recorded
        assert session.scalar(select(func.count()).select_from(ReplayRun)) == 0
    check_targets({"staging": f"http://localhost:{free_port()}"}, plan)  # another port: fine
    check_targets({"staging": f"http://127.0.0.1:{port}"}, None)  # no plan: nothing known


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({}, "no replay targets"),
        ({"staging": "ftp://x"}, "http"),
        ({"staging": "http://:80"}, "http"),
        ({"staging": "http://h:99999"}, "bad port"),
    ],
)
def test_bad_targets(sqlite_store, targets, message):
    with pytest.raises(ConfigError, match=message):
        replay(sqlite_store, targets, plan=plan_for())


def test_signer_without_key_fails_before_sending(sqlite_store):
    put(sqlite_store, [exchange()])
    plan = plan_for(signer={"kind": "hmac-sha256", "header": "X-Sig", "key_env": "NO_SUCH_KEY_ENV"})
    with recording(lax_staging) as staging, pytest.raises(Exception, match="NO_SUCH_KEY_ENV"):
        replay(sqlite_store, {"staging": staging.url}, plan=plan, environ={})
    assert staging.arrivals == []


def test_no_plan_classifies_by_status(sqlite_store):
    """Without a plan a 4xx is a rejection whose code is its status (as the capture stores it)."""
    put(sqlite_store, [exchange(status=400, response={"error": "bad"}, code="400", message=None)])

    def status_400(arrival: Arrival) -> Reply:
        return 400, {"Content-Type": "application/json"}, b'{"error":"bad"}'

    with recording(status_400) as staging:
        report = replay(sqlite_store, {"staging": staging.url}, settings=Settings(repeat_noise=0))
    [r] = results(sqlite_store, report.run_id)
    assert (r.outcome, r.code, r.verdict) == ("rejected", "400", "reproducible")


def test_an_exchange_the_signer_cannot_sign_is_a_target_error(sqlite_store):
    """A body-field signer meets a text body: that result says so; the others go on."""
    text = exchange(request_body=b"plain words", request_format="text")
    text["request_headers"] = [["Content-Type", "text/plain"]]
    put(sqlite_store, [text, exchange()])
    plan = plan_for(signer={"kind": "hmac-sha256", "field": "sign", "key_env": "K"})
    with recording(lax_staging) as staging:
        report = replay(
            sqlite_store,
            {"staging": staging.url},
            plan=plan,
            environ={"K": "k"},
            settings=Settings(repeat_noise=0),
        )
    first, second = results(sqlite_store, report.run_id)
    assert first.verdict == "target_error" and first.error.startswith("signing failed: ")
    assert second.verdict == "production_only"
    [arrival] = staging.arrivals
    assert (
        json.loads(arrival.body)["sign"]
        == hmac.new(b"k", exchange()["request_body"], hashlib.sha256).hexdigest()
    )
