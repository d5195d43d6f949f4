"""Rules learned from one simulated day, exported as JSON Schema, checked with the jsonschema
package against a second, fresh simulated day: they catch >= 95% of production's field-rule
rejections and refuse at most 0.5% of the requests production accepts (recall and false
rejects apart: accepting everything would already agree with production on 95% of them).

What is compared: every day-2 request that production accepts or rejects by a field rule.
Excluded (no field rule can explain them): the simulator's random "system busy" answers and
HTTP 5xx, signature failures, malformed bodies and unknown paths. The simulator's
``expected_outcome`` is production's verdict here (the same checker the real server runs);
tests/test_export_e2e.py repeats the check with real servers, the capture proxy and the CLI.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from jsonschema import Draft202012Validator

from harness import codecs
from harness.codecs import fields
from harness.export import Checker, to_jsonschema
from harness.learn import learn
from harness.plan import load_plan
from harness.plan.endpoint import endpoint_key
from harness.sim.traffic import SimRequest, default_bank, expected_outcome, generate

ROOT = Path(__file__).resolve().parent.parent
PLAN = load_plan(ROOT / "replays" / "simbank.yaml")
DAY1, SEED1 = "2026-11-24", 1124
DAY2, SEED2 = "2026-11-25", 1125


def production(requests: list[SimRequest]) -> list[dict]:
    """Each request as the learner reads a captured exchange, with production's verdict."""
    rows = []
    for i, req in enumerate(requests):
        outcome = expected_outcome(req, "prod")
        body = codecs.decode(req.body, req.headers["Content-Type"])
        if outcome.accepted:
            verdict = "accepted"
        elif outcome.reason == "rule":
            verdict = "rejected"
        else:
            verdict = "upstream_error"  # not a field rule: excluded from the comparison
        rows.append(
            {
                "id": i + 1,
                "ts": req.sim_time,
                "endpoint": endpoint_key(req.method, req.path, PLAN.endpoints),
                "outcome": verdict,
                "code": None if outcome.accepted else outcome.answer.code,
                "message": None if outcome.accepted else outcome.answer.msg,
                "request_fields": fields.flatten(body.tree),
                "tree": body.tree,
                "rule": outcome.rule,
            }
        )
    return rows


def test_exported_schema_agrees_with_production_on_a_fresh_day():
    day1 = production(generate(3000, DAY1, SEED1))
    result = learn(
        [{k: v for k, v in r.items() if k not in ("tree", "rule")} for r in day1], plan=PLAN
    )
    document = json.loads(json.dumps(to_jsonschema(result.rules, PLAN), ensure_ascii=False))
    Draft202012Validator.check_schema(document)

    checker = Checker(document)
    day2 = [r for r in production(generate(3000, DAY2, SEED2)) if r["outcome"] != "upstream_error"]
    assert len(day2) > 2900 and sum(r["outcome"] == "rejected" for r in day2) > 60
    caught = false_rejects = 0
    misses: Counter[tuple[str, str | None]] = Counter()
    named_field = named_total = 0
    bank_fields = {rule.id: rule.field for rule in default_bank().rules}
    for row in day2:
        errors = checker.errors(row["endpoint"], row["tree"])
        predicted = "rejected" if errors else "accepted"
        if predicted == row["outcome"] == "rejected":
            caught += 1
            named_total += 1
            wanted = fields.name_of(bank_fields[row["rule"]])
            named_field += any(fields.name_of(e.split(": ", 1)[0]) == wanted for e in errors)
        elif predicted != row["outcome"]:
            false_rejects += predicted == "rejected"
            misses[(row["outcome"], row["rule"] or "; ".join(errors))] += 1
    rejected = sum(r["outcome"] == "rejected" for r in day2)
    recall, false_rate = caught / rejected, false_rejects / (len(day2) - rejected)
    assert recall >= 0.95, f"recall {recall:.3f}; misses {misses.most_common(5)}"
    assert false_rate <= 0.005, f"false rejects {false_rate:.4f}; {misses.most_common(5)}"
    # The schema rejects the right field, not merely the right request.
    assert named_field >= 0.95 * named_total


def test_schema_alone_is_usable_without_the_harness():
    """A plain Draft 2020-12 validator (no x- keywords) still catches the character rules."""
    day1 = production(generate(1500, DAY1, SEED1))
    result = learn(
        [{k: v for k, v in r.items() if k not in ("tree", "rule")} for r in day1], plan=PLAN
    )
    document = to_jsonschema(result.rules, PLAN)
    bad = {"enterpriseName": "某某(中国)有限公司"}
    endpoint = "POST /openapi/v1/vaccount/open"
    assert not Draft202012Validator(document["$defs"][endpoint]).is_valid(bad)
    assert Draft202012Validator(document["$defs"][endpoint]).is_valid(
        {"enterpriseName": "某某（中国）有限公司"}
    )
