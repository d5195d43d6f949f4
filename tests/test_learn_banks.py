"""The learner proven on three banks unlike each other: rules learned from two captured days
catch production's rejections on a fresh day and on an edge day, and refuse almost no valid
customer.

The banks (harness/sim/banks, docs/simulator.md): simbank (Chinese virtual accounts, JSON
and GBK XML, HTTP 200 with specific codes), eurobank (SEPA-style JSON, 201/202, one generic
400 for every rejection, SWIFT X names, IBAN, BIC, ISO codes) and zenginbank (Japanese
transfers, half-width katakana names, result OK/NG with Japanese messages, one endpoint
form-encoded in Shift_JIS). Each is learned with its own gateway plan (replays/) and no
probe target.

Training: two normal days of production traffic, each answered by the bank's production
role and captured through the ingest's own row builder (the sanitizer runs as in production:
rules are learned from pseudonyms, never from raw values). The learner never reads a bank
file; only this test does, for the ground truth (``banks.decide``).

Measured apart, per bank and per day (the fresh day: new customers, same habits; the edge
day: valid values at every true limit and rare valid values often):

- **rejection recall**: production's field-rule rejections the learned rules also reject,
  >= 0.95 (accepting everything would score 0 here, while agreeing with production on 95%
  of requests);
- **false-reject rate**: valid requests (production accepts them) the learned rules reject,
  <= 0.5%.

Both for the mock gateway (confirmed rules, as ``harness mock`` serves them by default) and
for the exported JSON Schema checked with the jsonschema package.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import pytest

from harness import codecs
from harness.export import Checker, to_jsonschema
from harness.learn import learn
from harness.mock.gateway import MockGateway
from harness.plan import Plan, load_plan
from harness.plan.endpoint import endpoint_key
from harness.rules import RuleSpec
from harness.sim import banks
from tests.support.world import captured, production

pytestmark = pytest.mark.slow

BANKS = ("simbank", "eurobank", "zenginbank")
TRAIN = 8000  # requests per training day
FRESH = 5000  # requests per evaluated day
RECALL = 0.95
FALSE_REJECTS = 0.005


@dataclass
class Score:
    caught: int = 0
    rejected: int = 0
    refused: int = 0
    accepted: int = 0
    missed: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.caught / self.rejected

    @property
    def false_rate(self) -> float:
        return self.refused / self.accepted

    def __str__(self) -> str:
        return (
            f"recall {self.recall:.3f} ({self.caught}/{self.rejected}), false rejects "
            f"{self.false_rate:.4f} ({self.refused}/{self.accepted}); missed "
            f"{self.missed.most_common(4)}; refused {self.wrong.most_common(3)}"
        )


@cache
def learned(name: str) -> tuple[Plan, list[RuleSpec]]:
    bank = banks.load(name)
    plan = load_plan(f"replays/{name}.yaml")
    days = banks.generate(bank, TRAIN, "2026-11-23", seed=10, key="k")
    days += banks.generate(bank, TRAIN, "2026-11-24", seed=11, key="k")
    rows = captured(days, production(bank), plan)
    return plan, learn(rows, plan=plan).rules


@cache
def scores(name: str, edge: bool) -> dict[str, Score]:
    plan, rules = learned(name)
    bank = banks.load(name)
    mock = MockGateway(rules, plan)
    checker = Checker(json.loads(json.dumps(to_jsonschema(rules, plan), ensure_ascii=False)))
    out = {"mock": Score(), "schema": Score()}
    for req in banks.generate(bank, FRESH, "2026-11-25", seed=12 + edge, edge=edge, key="k"):
        ctype = req.headers.get("Content-Type")
        truth = banks.decide(bank, "prod", req.method, req.path, ctype, req.body)
        if truth.reason not in ("success", "rule"):
            continue  # not a field rule's answer (a malformed body, an unknown route)
        body = codecs.decode(req.body, ctype)
        tree = body.tree if body.format in ("json", "xml", "form") else None
        endpoint = endpoint_key(req.method, req.path.split("?", 1)[0], plan.endpoints)
        rule = mock.breaking(endpoint, tree)
        errors = checker.errors(endpoint, tree)
        for which, refused, why in (
            ("mock", rule is not None, rule and f"{rule.field} {rule.kind}"),
            ("schema", bool(errors), errors[:1]),
        ):
            score = out[which]
            if truth.accepted:
                score.accepted += 1
                score.refused += refused
                if refused:
                    score.wrong[str(why)] += 1
            else:
                score.rejected += 1
                score.caught += refused
                if not refused:
                    score.missed[str(truth.rule)] += 1
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", BANKS)
@pytest.mark.parametrize("edge", [False, True], ids=["fresh day", "edge day"])
def test_recall_and_false_rejects(name: str, edge: bool) -> None:
    for which, score in scores(name, edge).items():
        assert score.rejected > 150 and score.accepted > 4000, (which, str(score))
        assert score.recall >= RECALL, f"{name} {which}: {score}"
        assert score.false_rate <= FALSE_REJECTS, f"{name} {which}: {score}"


@pytest.mark.parametrize("name", BANKS)
def test_the_rules_say_what_a_team_can_check(name: str) -> None:
    """Confirmed rules come with evidence: a bracket for every limit, support for all."""
    _, rules = learned(name)
    confirmed = [r for r in rules if r.state == "confirmed"]
    assert len(confirmed) >= 15
    for rule in confirmed:
        assert rule.support >= rule.evidence["confirm_at"] >= 2
        assert rule.contradict == 0
        if rule.kind in ("max_length", "min_length", "max_bytes"):
            bracket = rule.evidence["bracket"]
            assert bracket["accepted"] <= rule.params.get("max", 1 << 30)
            assert rule.params.get("max", -1) < bracket["rejected"]


def test_the_learner_never_reads_a_bank_file() -> None:
    """Nothing the learner, the rules or the exporters import comes from the simulator."""
    import sys

    import harness.export
    import harness.learn
    import harness.mock
    import harness.rules  # noqa: F401

    learning = [
        m for m in sys.modules if m.startswith(("harness.learn", "harness.rules", "harness.export"))
    ]
    for module in learning:
        source = sys.modules[module].__file__ or ""
        if source.endswith(".py"):
            with open(source, encoding="utf-8") as f:
                text = f.read()
            assert "harness.sim" not in text and "bank.yaml" not in text, module
