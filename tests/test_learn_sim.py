"""The learner against the simulated bank, end to end with real parts.

One simulated day goes through the real capture proxy (sanitized into a SQLite store) in
front of a real simulated production gateway; ``harness learn`` then runs as a user runs
it. The *test* reads the bank's rule file (harness/sim/bank.yaml) for the ground truth; the
learner never does. Probing sends minimal variants to a second, real simulated production
server standing in for a validating pre-production.
"""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from harness.plan import load_plan
from harness.plan.endpoint import endpoint_key
from harness.rules import RuleSpec, check, violations
from harness.sim.traffic import expected_outcome
from harness.store import open_store
from harness.store.rules import learning_rows
from harness.text import charclass
from tests.support.procs import HARNESS, free_port, running
from tests.support.sim import DAY, SEED, run_traffic, sim_server, traffic

pytestmark = pytest.mark.slow

COUNT = 4000
ROOT = Path(__file__).resolve().parent.parent
ENV = {"HARNESS_KEY": "5a" * 32, "SIMBANK_HMAC_KEY": "test-key", "COLUMNS": "240"}
OPEN = "POST /openapi/v1/vaccount/open"
TRANSFER = "POST /openapi/v1/transfer"
CHECKSUM = {"credit_code": "gb32100", "id_number": "gb11643", "luhn": "luhn"}


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [HARNESS, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **ENV}
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A captured simulated day: (db path, plan path, probe URL, learn --json output)."""
    tmp = tmp_path_factory.mktemp("simday")
    db = tmp / "harness.db"
    with sim_server("prod") as prod_url, sim_server("prod") as preprod_url:
        plan = yaml.safe_load((ROOT / "replays" / "simbank.yaml").read_text(encoding="utf-8"))
        plan["upstream"] = prod_url
        plan["targets"] = {"preprod": preprod_url}
        plan["probe"] = ["preprod"]
        # Enumerations are never pseudonymized; otherwise a remark "服务费" makes the echo
        # scrubber rewrite purpose "服务费" in the same request, and the enum is lost.
        plan["sensitive"]["keep"] = ["purpose", "currency", "amount"]
        plan_path = tmp / "simbank.yaml"
        plan_path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
        port = free_port()
        args = [HARNESS, "proxy", "--upstream", prod_url, "--listen-port", str(port)]
        args += ["--db", str(db), "--plan", str(plan_path)]
        with running(args, port=port, env=ENV) as proc:
            summary = run_traffic(f"http://127.0.0.1:{port}", count=COUNT)
        if proc.stdout:
            proc.stdout.close()
        assert proc.returncode == 0 and summary is not None
        out = json.loads(
            harness(
                "learn",
                "--db",
                str(db),
                "--plan",
                str(plan_path),
                "--day",
                DAY,
                "--no-probe",
                "--json",
            ).stdout
        )
        yield {"db": db, "plan": plan_path, "learned": out, "preprod": preprod_url}


@pytest.fixture(scope="module")
def captured(world):
    """Stored rows, each with the simulator's verdict on the request it came from."""
    factory = open_store(str(world["db"]), create=False)
    with factory.begin() as s:
        rows = learning_rows(s)
    factory.kw["bind"].dispose()
    assert len(rows) == COUNT
    plan = load_plan(world["plan"])
    by_time: dict[tuple[str, str], list] = {}
    for req in traffic(COUNT, DAY, SEED):
        key = (endpoint_key(req.method, req.path, plan.endpoints), req.sim_time.isoformat())
        by_time.setdefault(key, []).append(req)
    out = []
    for row in rows:
        ts = row["ts"] if row["ts"].tzinfo else row["ts"].replace(tzinfo=req.sim_time.tzinfo)
        reqs = by_time.get((row["endpoint"], ts.isoformat()), [])
        truth = expected_outcome(reqs[0], "prod") if len(reqs) == 1 else None
        out.append((row, truth))
    matched = [t for _, t in out if t is not None]
    assert len(matched) > 0.98 * COUNT
    for row, truth in out:
        if truth is not None:
            assert (row["outcome"] == "accepted") == truth.accepted
    return out


def rules_of(world, source: str = "learned") -> list[RuleSpec]:
    specs = []
    for r in world["learned"]["rules"]:
        if r["source"] == source:
            fields = {k: r[k] for k in RuleSpec.__dataclass_fields__}
            specs.append(RuleSpec(**fields))
    return specs


def learned_path(bank_field: str, endpoint: str) -> str:
    """The store's path for a bank field: XML fields carry their root element."""
    return f"Request.{bank_field}" if endpoint.endswith("/update") else bank_field


def _classes(truth: list[str]) -> set[str]:
    out = set(truth)
    if "ascii_letter" in out:
        out |= {"ascii_upper", "ascii_lower"}
    return out


def _refuses(rule: RuleSpec, chars: str) -> bool:
    return all(not check(rule, ch) for ch in chars)


TRUTH_SAMPLES = {"ascii_letter": "Az", "ascii_punct": "(-&", "ascii_digit": "7"}


def params_agree(rule: RuleSpec, kind: str, p: dict) -> bool:
    """The learned rule's parameters are what the bank's rule says, as far as a day shows."""
    if kind == "forbid_chars":
        # It refuses a character of every forbidden class the day showed, and nothing else
        # that is plainly allowed (CJK, full-width parentheses).
        refused = rule.kind in ("forbidden_chars", "allowed_chars")
        return (
            refused
            and check(rule, "中（）")
            and any(
                _refuses(rule, TRUTH_SAMPLES[c][:1]) for c in p["classes"] if c in TRUTH_SAMPLES
            )
        )
    if kind == "max_bytes":
        if rule.kind == "max_bytes":
            bracket = rule.evidence["bracket"]
            return (
                rule.params["encoding"] == p["encoding"]
                and bracket["accepted"] <= p["max"] < bracket["rejected"]
                and bracket["accepted"] <= rule.params["max"] < bracket["rejected"]
            )
        return rule.kind == "max_length" and rule.params["max"] * 2 <= p["max"]
    if kind == "encodable":
        return rule.kind == "allowed_chars" and rule.params.get("set") == p["encoding"]
    if kind == "trimmed":
        return rule.kind == "no_surrounding_space"
    if kind == "check_digit":
        return rule.kind == "checksum" and rule.params["algorithm"] == CHECKSUM[p["scheme"]]
    if kind == "decimal":
        return rule.kind == "decimal" and rule.params.get("scale") == p["places"]
    if kind == "range":
        if rule.kind != "decimal":
            return False
        bracket = rule.evidence["bracket"]
        agree = []
        if "max" in rule.params:
            side = bracket["max"]
            lo, hi = Decimal(side["accepted"]), Decimal(side["rejected"])
            agree.append(
                lo <= Decimal(str(p["max"])) < hi and lo <= Decimal(rule.params["max"]) < hi
            )
        if "min" in rule.params:
            side = bracket["min"]
            lo, hi = Decimal(side["rejected"]), Decimal(side["accepted"])
            agree.append(
                lo < Decimal(str(p["min"])) <= hi and lo < Decimal(rule.params["min"]) <= hi
            )
        return bool(agree) and all(agree)
    if kind == "enum":
        return rule.kind == "enum" and set(rule.params["values"]) <= set(map(str, p["values"]))
    if kind == "pattern":
        return rule.kind in ("pattern", "format")
    return False


def test_every_production_only_rule_exercised_is_learned_right(world, captured):
    from harness.sim.traffic import default_bank

    bank = default_bank()
    truth_rules = {r.id: r for r in bank.rules}
    hits: dict[str, list[dict]] = {}
    for row, truth in captured:
        if truth is not None and not truth.accepted and truth.rule:
            hits.setdefault(truth.rule, []).append(row)
    learned = rules_of(world)
    checked, uncarried = [], []
    for rule_id, rows in sorted(hits.items()):
        truth = truth_rules[rule_id]
        if "staging" in truth.roles:
            continue  # staging enforces it too: not production-only
        endpoint = rows[0]["endpoint"]
        field = learned_path(truth.field, endpoint)
        accepted = [
            v
            for row, _ in captured
            if row["endpoint"] == endpoint and row["outcome"] == "accepted"
            for v in [row["request_fields"].get(field)]
            if v
        ]
        if not all(truth.check(v) for v in accepted):
            # The sanitized store no longer shows the rule: accepted values break it.
            uncarried.append(rule_id)
            continue
        candidates = [
            r
            for r in learned
            if r.endpoint == endpoint
            and r.field == field
            and all(not check(r, row["request_fields"].get(field)) for row in rows)
        ]
        assert candidates, (
            f"{rule_id}: no learned rule on {field} explains its {len(rows)} rejection(s)"
        )
        assert any(params_agree(r, truth.kind, truth.params) for r in candidates), (
            rule_id,
            [(r.kind, r.params, r.evidence.get("bracket")) for r in candidates],
        )
        checked.append(rule_id)
    assert len(checked) >= 12, checked
    assert uncarried == [], "sanitization must keep every rule visible"


def test_no_learned_rule_contradicts_production(world, captured):
    learned = rules_of(world)
    assert learned
    for row, _ in captured:
        if row["outcome"] == "accepted":
            assert violations(learned, row["request_fields"], row["endpoint"]) == []
    assert all(r.contradict == 0 and r.state != "retired" for r in learned)


def test_analogy_carries_the_name_rule_to_the_address_and_lists_the_risks(world, captured):
    learned = {(r.endpoint, r.field, r.kind): r for r in rules_of(world)}
    name = learned[(OPEN, "enterpriseName", "forbidden_chars")]
    carried = [
        r for r in rules_of(world, "analogy") if (r.endpoint, r.field) == (OPEN, "businessAddress")
    ]
    assert carried, "no analogy rule on businessAddress"
    (address,) = carried
    # Predicted by a confirmed rule: its own rejections confirm it once they beat chance.
    assert address.contradict == 0
    assert (address.state == "confirmed") == (address.support >= address.evidence["confirm_at"])
    assert name.key in {o["key"] for o in address.evidence["origins"]}
    assert address.derived_from == name.id or address.evidence["origins"][0]["key"] != name.key
    assert _refuses(address, "A(")
    expected = {
        row["id"]
        for row, _ in captured
        if row["endpoint"] == OPEN
        and row["outcome"] != "accepted"
        and not check(address, row["request_fields"].get("businessAddress"))
    }
    risks = [r for r in world["learned"]["risks"] if r["rule_id"] == address.id]
    assert expected and {r["exchange_id"] for r in risks} == expected
    for risk in risks:
        assert risk["field"] == "businessAddress" and risk["classes"]
        assert set(risk["classes"]) <= {"ascii_upper", "ascii_lower", "ascii_punct", "ascii_space"}
    # The risk list names characters by class, never a value.
    text = json.dumps(risks, ensure_ascii=False)
    assert not any(charclass.is_cjk(ch) for ch in text)


def test_relearning_updates_instead_of_duplicating(world):
    before = {r["id"]: r for r in world["learned"]["rules"]}
    again = json.loads(
        harness(
            "learn",
            "--db",
            str(world["db"]),
            "--plan",
            str(world["plan"]),
            "--day",
            DAY,
            "--no-probe",
            "--json",
        ).stdout
    )
    listed = json.loads(
        harness("rules", "list", "--db", str(world["db"]), "--all", "--json").stdout
    )["items"]
    assert len(listed) == len(before)
    assert {r["id"] for r in again["rules"]} == set(before)
    for r in again["rules"]:
        assert (r["key"], r["support"], r["state"]) == (
            before[r["id"]]["key"],
            before[r["id"]]["support"],
            before[r["id"]]["state"],
        )


def test_probing_confirms_rules_against_a_validating_target(world):
    out = json.loads(
        harness(
            "learn",
            "--db",
            str(world["db"]),
            "--plan",
            str(world["plan"]),
            "--day",
            DAY,
            "--probe",
            "--json",
        ).stdout
    )
    assert 0 < out["stats"]["probes"] <= 200
    rules = {
        (r["endpoint"], r["field"], r["kind"]): r for r in out["rules"] if r["source"] == "learned"
    }
    name = rules[(OPEN, "enterpriseName", "forbidden_chars")]
    probe = name["evidence"]["probe"]
    assert probe["confirmed"] is True and probe["minimal_change"] == ["enterpriseName"]
    assert name["state"] == "confirmed" and name["confidence"] >= 0.99
    probed = [r for r in rules.values() if "probe" in r["evidence"]]
    assert len(probed) >= 8
    assert all(r["evidence"]["probe"]["confirmed"] for r in probed), [
        (r["field"], r["kind"], r["evidence"]["probe"])
        for r in probed
        if not r["evidence"]["probe"]["confirmed"]
    ]
    for r in probed:
        assert r["evidence"]["probe"]["minimal_change"] == [r["field"]]
    shown = json.loads(
        harness("rules", "show", str(name["id"]), "--db", str(world["db"]), "--json").stdout
    )
    assert shown["evidence"]["probe"]["spent"] >= 3
    # Probing narrows the traffic bracket of length limits to the bank's real limit.
    from harness.sim.traffic import default_bank

    limits = {
        (r.field, r.kind): r.params["max"] for r in default_bank().rules if r.kind == "max_bytes"
    }
    for endpoint, field in ((TRANSFER, "remark"), (OPEN, "enterpriseName")):
        sized = rules[(endpoint, field, "max_bytes")]
        assert sized["evidence"]["bracket"]["accepted"] == limits[(field, "max_bytes")]
        assert sized["params"]["max"] == limits[(field, "max_bytes")], sized["evidence"]["probe"]
        assert sized["evidence"]["probe"]["bound"]["low"] == sized["params"]["max"]
    listed = json.loads(
        harness("rules", "list", "--db", str(world["db"]), "--all", "--json").stdout
    )["items"]
    assert len(listed) == len({r["id"] for r in listed})
    assert not [
        r
        for r in listed
        if (r["field"], r["kind"]) == ("remark", "max_bytes")
        and r["params"]["max"] != limits[("remark", "max_bytes")]
    ], "the narrowed rule replaces the traffic one in the store"
