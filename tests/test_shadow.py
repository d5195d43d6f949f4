"""Live shadow: rows handed over by the ingest are mirrored, judged and recorded."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from harness.errors import SafetyError, SignerError
from harness.plan import load_plan
from harness.replay.shadow import ShadowSender
from harness.store import ReplayRun, open_store
from harness.store.queries import ExchangeFilter, list_exchanges
from tests.support.procs import free_port
from tests.test_replay import exchange, lax_staging, plan_for, put, results, strict_on_parens
from tests.test_replay_recorder import Arrival, Reply, recording


def stored_rows(url: str) -> list[dict]:
    """The rows as the ingest hands them over: dicts of exchange columns, with ids."""
    factory = open_store(url)
    with factory() as session:
        rows = list_exchanges(session, ExchangeFilter(), limit=None, newest_first=False)
        out = [{c.name: getattr(e, c.name) for c in e.__table__.columns} for e in rows]
    factory.kw["bind"].dispose()
    return out


@pytest.fixture
def store_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'harness.db'}"
    factory = open_store(url)
    put(
        factory,
        [
            exchange("某某(某某)有限公司"),
            exchange("某某（某某）有限公司"),
            exchange("某某（二）公司"),
        ],
    )
    factory.kw["bind"].dispose()
    return url


def test_shadow_records_verdicts_under_one_run(store_url):
    rows = stored_rows(store_url)
    with recording(strict_on_parens) as staging, recording(lax_staging) as mock:
        sender = ShadowSender(
            {"staging": staging.url, "mock": mock.url}, plan_for(), store_url, repeat_noise=1
        )
        assert sender.submit(rows[:1]) == 1
        assert sender.submit(rows[1:]) == 2
        stats = sender.close(timeout=20)
    factory = open_store(store_url)
    assert stats["submitted"] == 3 and stats["dropped"] == 0 and stats["results"] == 6
    # One exchange per target was sent twice to learn noise.
    assert len(staging.arrivals) == 3 + 1 and len(mock.arrivals) == 3 + 1
    with factory() as session:
        [run] = session.scalars(select(ReplayRun)).all()
        assert (run.kind, run.state) == ("shadow", "done")
        assert run.summary["shadow"]["results"] == 6
        assert run.summary["noise"] == {"POST /v1/account/open": ["data.serialNo"]}
    got = results(factory, run.id)
    verdicts = Counter((r.target, r.verdict) for r in got)
    assert verdicts == {
        ("staging", "reproducible"): 1,
        ("staging", "production_only"): 2,
        ("mock", "mock_disagrees"): 3,
    }
    factory.kw["bind"].dispose()


def test_full_queue_drops_and_counts_without_blocking(store_url):
    rows = stored_rows(store_url)
    release = threading.Event()

    async def held(arrival: Arrival) -> Reply:
        while not release.is_set():
            await asyncio.sleep(0.01)
        return lax_staging(arrival)

    with recording(held) as staging:
        sender = ShadowSender(
            {"staging": staging.url}, plan_for(), store_url, queue_size=2, repeat_noise=0
        )
        accepted = sum(sender.submit([row]) for row in rows * 4)  # 12 rows, room for 2
        release.set()
        stats = sender.close(timeout=20)
    assert accepted == 2
    assert (stats["submitted"], stats["dropped"], stats["results"]) == (12, 10, 2)
    assert sender.submit(rows) == 0  # closed: everything is dropped, nothing raises


def test_shadow_target_down_records_target_errors(store_url):
    sender = ShadowSender({"staging": f"http://127.0.0.1:{free_port()}"}, plan_for(), store_url)
    rows = stored_rows(store_url)
    sender.submit(rows)
    stats = sender.close(timeout=20)
    assert stats["results"] == 3
    factory = open_store(store_url)
    with factory() as session:
        run = session.scalars(select(ReplayRun)).one()
    assert {r.verdict for r in results(factory, run.id)} == {"target_error"}
    factory.kw["bind"].dispose()


def test_shadow_refuses_production_and_a_missing_key(store_url):
    port = free_port()
    plan = plan_for(upstream=f"http://127.0.0.1:{port}")
    with pytest.raises(SafetyError, match="refusing replay target 'staging'"):
        ShadowSender({"staging": f"http://localhost:{port}"}, plan, store_url)
    with pytest.raises(SafetyError, match="refusing replay target 'staging'"):
        # the proxy's --upstream, when the plan names none
        ShadowSender(
            {"staging": f"http://localhost:{port}/"},
            None,
            store_url,
            production=[f"http://127.0.0.1:{port}"],
        )
    plan = plan_for(signer={"kind": "hmac-sha256", "header": "X-Sig", "key_env": "NO_SUCH_ENV_KEY"})
    with pytest.raises(SignerError, match="NO_SUCH_ENV_KEY"):
        ShadowSender({"staging": f"http://127.0.0.1:{free_port()}"}, plan, store_url, environ={})


def test_bad_rows_do_not_stop_the_shadow(store_url):
    rows = stored_rows(store_url)
    with recording(lax_staging) as staging:
        sender = ShadowSender({"staging": staging.url}, plan_for(), store_url, repeat_noise=0)
        sender.submit([{"no": "id"}, *rows])
        stats = sender.close(timeout=20)
    assert stats["failures"] == 1 and stats["results"] == 3


@pytest.mark.slow
def test_live_shadow_through_the_real_proxy(tmp_path):
    """`harness proxy --shadow staging=URL`: each captured exchange is judged as it happens."""
    from tests.support.sim import run_traffic, sim_server
    from tests.test_replay_sim import KEY, capture, expected_verdicts, write_plan

    with sim_server("prod") as prod, sim_server("staging") as staging:
        plan = write_plan(tmp_path / "simbank.yaml", prod, {"staging": staging})
        db = tmp_path / "harness.db"
        with capture(prod, db, plan, "--shadow", f"staging={staging}") as proxy:
            run_traffic(proxy, count=120, seed=31, key=KEY, flaw_rate=0.4)
    factory = open_store(str(db), create=False)
    with factory() as session:
        run = session.scalars(select(ReplayRun).where(ReplayRun.kind == "shadow")).one()
        assert run.state == "done"
        assert run.summary["shadow"]["dropped"] == 0
    got = {r.exchange_id: r.verdict for r in results(factory, run.id)}
    assert len(got) == 120  # every exchange, accepted ones too
    expected = expected_verdicts(factory)
    assert {i: v for i, v in got.items() if i in expected} == expected
    assert Counter(got.values())["consistent"] == 120 - len(expected)
    assert load_plan(plan).upstream == prod
    factory.kw["bind"].dispose()
