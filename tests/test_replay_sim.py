"""Replay against the simulated bank, end to end with real processes.

A day of simulated traffic goes through a real `harness proxy` in front of the simulated
production gateway into a SQLite store (sanitized). Replaying the day's rejections against
the lax staging twin must give exactly the ground truth: `production_only` for what only
production enforces, `reproducible` for what staging enforces too. Re-signing is needed
(and enough) when staging verifies signatures.
"""

from __future__ import annotations

import contextlib
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import SafetyError
from harness.plan import load_plan
from harness.replay import Selection, Settings, replay
from harness.sim.traffic import expected_outcome_for
from harness.store import open_store
from harness.store.queries import ExchangeFilter, list_exchanges
from harness.timeutil import window
from tests.support.procs import HARNESS, free_port, running, stop
from tests.support.sim import DAY, run_traffic, sim_server, traffic

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
KEY = "replay-test-key"
ENV = {"HARNESS_KEY": "5a" * 32, "SIMBANK_HMAC_KEY": KEY}
COUNT = 240
FLAWS = 0.35
SEED = 23


def write_plan(path: Path, upstream: str, targets: dict[str, str], **changes: Any) -> Path:
    """replays/simbank.yaml with this test's ports."""
    data = yaml.safe_load((ROOT / "replays" / "simbank.yaml").read_text(encoding="utf-8"))
    data["upstream"] = upstream
    data["targets"] = targets
    data["probe"] = [t for t in data.get("probe", []) if t in targets]
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@contextlib.contextmanager
def capture(prod: str, db: Path, plan: Path, *extra: str) -> Iterator[str]:
    """A real `harness proxy` in front of ``prod``; yields its URL; flushes on exit."""
    port = free_port()
    args = [HARNESS, "proxy", "--upstream", prod, "--listen-port", str(port), "--db", str(db)]
    args += ["--plan", str(plan), *extra]
    with running(args, port=port, env=ENV) as proc:
        yield f"http://127.0.0.1:{port}"
        code = stop(proc, signal.SIGTERM, timeout=60)
        out = ""
        if proc.stdout:
            out = proc.stdout.read()
            proc.stdout.close()
        assert code == 0, out


def expected_verdicts(factory, role: str = "staging") -> dict[int, str]:
    """Ground truth per stored exchange: what staging's rules say about its sanitized body."""
    out = {}
    with factory() as session:
        rows = list_exchanges(
            session, ExchangeFilter(outcome="rejected"), limit=None, newest_first=False
        )
        for e in rows:
            ctype = next((v for k, v in e.request_headers if k.lower() == "content-type"), None)
            staging = expected_outcome_for(e.method, e.path, ctype, e.request_body, role)
            if staging.accepted:
                out[e.id] = "production_only"
            else:
                out[e.id] = (
                    "reproducible" if staging.answer.code == e.code else "different_rejection"
                )
    return out


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """Prod and staging simulators, a captured day in a SQLite store, the plan."""
    tmp = tmp_path_factory.mktemp("replay-sim")
    with sim_server("prod") as prod, sim_server("staging") as staging:
        plan = write_plan(tmp / "simbank.yaml", prod, {"staging": staging})
        db = tmp / "harness.db"
        with capture(prod, db, plan) as proxy:
            sent = run_traffic(proxy, count=COUNT, seed=SEED, key=KEY, flaw_rate=FLAWS)
        assert (sent.sent, sent.errors) == (COUNT, 0)
        factory = open_store(str(db), create=False)
        yield {
            "prod": prod,
            "staging": staging,
            "plan": plan,
            "db": db,
            "factory": factory,
            "tmp": tmp,
        }
        factory.kw["bind"].dispose()


def known_production_only() -> int:
    """How many generated requests production rejects and staging accepts (raw bodies)."""
    from tests.support.sim import expected_outcome

    n = 0
    for req in traffic(COUNT, seed=SEED, key=KEY, flaw_rate=FLAWS):
        if not expected_outcome(req, "prod").accepted and expected_outcome(req, "staging").accepted:
            n += 1
    return n


def test_day_replay_gives_exactly_the_known_verdicts(day):
    factory = day["factory"]
    start, end = window(day=DAY)
    report = replay(
        factory,
        {"staging": day["staging"]},
        plan=load_plan(day["plan"]),
        selection=Selection(start=start, end=end),
        environ=ENV,
    )
    expected = expected_verdicts(factory)
    assert expected, "the day must hold rejections"
    with factory() as session:
        from harness.store.replays import run_results

        got = {e.id: r.verdict for r, e in run_results(session, report.run_id)}
    assert got == expected
    counts = Counter(got.values())
    print(dict(counts))
    assert counts["production_only"] == known_production_only() > 0
    assert counts["reproducible"] > 0  # staging enforces a few rules itself
    assert report.summary["targets"]["staging"]["verdicts"] == dict(counts)
    # The success answers' serial numbers and timestamps are the plan's noise: diffs of
    # production-only results name the code and message, never the noise.
    with factory() as session:
        from harness.store.replays import run_results

        for r, _ in run_results(session, report.run_id, verdict="production_only"):
            changed = set(r.diff.get("values_changed", {})) | set(
                r.diff.get("dictionary_item_added", [])
            )
            assert not any("serialNo" in p or "RspTime" in p for p in changed), r.diff


def test_resigning_is_needed_and_enough(day):
    """Staging that verifies signatures rejects the stored bodies unless they are re-signed."""
    factory = day["factory"]
    start, end = window(day=DAY)
    selection = Selection(start=start, end=end, limit=40)
    with sim_server("staging", verify_signature=True, sign_key=KEY) as strict:
        unsigned_plan = write_plan(
            day["tmp"] / "unsigned.yaml", day["prod"], {"staging": strict}, signer={"kind": "none"}
        )
        unsigned = replay(
            factory,
            {"staging": strict},
            plan=load_plan(unsigned_plan),
            selection=selection,
            settings=Settings(repeat_noise=0),
            environ=ENV,
        )
        signed = replay(
            factory,
            {"staging": strict},
            plan=load_plan(day["plan"]),
            selection=selection,
            settings=Settings(repeat_noise=0),
            environ=ENV,
        )
    with factory() as session:
        from harness.store.replays import run_results

        plain = run_results(session, unsigned.run_id)
        resigned = run_results(session, signed.run_id)
    assert len(plain) == len(resigned) == 40
    assert {r.code for r, _ in plain} == {"EA0101"}  # 签名验证失败
    assert "production_only" not in {r.verdict for r, _ in plain}
    assert "EA0101" not in {r.code for r, _ in resigned}
    expected = expected_verdicts(factory)
    assert {e.id: r.verdict for r, e in resigned} == {e.id: expected[e.id] for _, e in resigned}


def test_the_production_simulator_is_refused(day):
    port = day["prod"].rsplit(":", 1)[1]
    for url in (day["prod"], f"http://localhost:{port}"):
        with pytest.raises(SafetyError, match="refusing replay target 'staging'"):
            replay(day["factory"], {"staging": url}, plan=load_plan(day["plan"]))


def test_staging_down_gives_target_errors_and_nothing_crashes(day):
    down = f"http://127.0.0.1:{free_port()}"
    report = replay(
        day["factory"],
        {"staging": down},
        plan=load_plan(day["plan"]),
        selection=Selection(limit=10),
        environ=ENV,
    )
    assert report.summary["targets"]["staging"]["verdicts"] == {"target_error": 10}
