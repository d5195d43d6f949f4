"""Learning in bounded memory learns what learning from a list learns.

The learner reads its window once, in batches, keeping per-field statistics and bounded
samples instead of rows (harness.learn.profile). These tests hold it to the rules a single
batch over the whole window learns, on every simulated bank:

- the batch size does not change the rules (a batch of 97 rows against one batch of all);
- rows streamed from a real SQLite store (``harness.store.rules.stream_learning_rows``, the
  path ``harness learn`` takes) give the rules a list of the same rows gives;
- ``harness learn`` on a store reports progress as it reads, without changing its output.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.learn import learn, profile
from harness.plan import load_plan
from harness.rules import RuleSpec
from harness.sim import banks
from harness.store import open_store
from harness.store.queries import insert_exchanges
from harness.store.rules import stream_learning_rows
from tests.support.world import LEARN_KEYS, production, stored_rows

pytestmark = pytest.mark.slow

BANKS = ("simbank", "eurobank", "zenginbank")
DAY = 2500  # requests per captured day


def _day_rows(name: str) -> tuple[Any, list[dict[str, Any]]]:
    """Two captured days of ``name`` as the ingest stores them (sanitized)."""
    bank = banks.load(name)
    plan = load_plan(f"replays/{name}.yaml")
    days = banks.generate(bank, DAY, "2026-11-23", seed=20, key="k")
    days += banks.generate(bank, DAY, "2026-11-24", seed=21, key="k")
    return plan, stored_rows(days, production(bank), plan)


def _learner_rows(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**{k: row.get(k) for k in LEARN_KEYS}, "id": i} for i, row in enumerate(stored, 1)]


def _fingerprint(rules: list[RuleSpec]) -> list[tuple[Any, ...]]:
    """What a rule says and how sure we are of it (evidence ids aside)."""
    return sorted(
        (r.key, r.kind, repr(sorted(r.params.items())), r.state, r.support, r.contradict)
        for r in rules
    )


@pytest.mark.parametrize("name", BANKS)
def test_the_batch_size_does_not_change_the_rules(name, monkeypatch) -> None:
    plan, stored = _day_rows(name)
    rows = _learner_rows(stored)
    monkeypatch.setattr(profile, "BATCH", len(rows) + 1)
    whole = learn(rows, plan=plan).rules
    monkeypatch.setattr(profile, "BATCH", 97)
    batched = learn(rows, plan=plan).rules
    assert len([r for r in whole if r.source == "learned"]) >= 5
    assert _fingerprint(batched) == _fingerprint(whole)


@pytest.mark.parametrize("name", BANKS)
def test_rows_streamed_from_the_store_learn_what_a_list_learns(name, tmp_path) -> None:
    plan, stored = _day_rows(name)
    factory = open_store(str(tmp_path / "harness.db"))
    with factory.begin() as session:
        insert_exchanges(session, [{k: v for k, v in r.items() if k != "id"} for r in stored])
    streamed = learn(stream_learning_rows(factory), plan=plan)
    listed = learn(_learner_rows(stored), plan=plan)
    factory.kw["bind"].dispose()
    assert streamed.stats["exchanges"] == len(stored)
    assert _fingerprint(streamed.rules) == _fingerprint(listed.rules)
    assert [r.exchange_id for r in streamed.risks] == [r.exchange_id for r in listed.risks]


def test_progress_is_reported_as_rows_are_read(monkeypatch) -> None:
    plan, stored = _day_rows("eurobank")
    rows = _learner_rows(stored)
    seen: list[int] = []
    monkeypatch.setattr(profile, "PROGRESS_EVERY", 1000)
    learn(rows, plan=plan, progress=seen.append)
    assert seen == list(range(1000, len(rows) + 1, 1000))


def test_contradictions_are_counted_in_bounded_memory() -> None:
    """A stale rule every accepted exchange breaks: all counted, a sample of ids kept."""
    from tests.learn_rows import PAY, day_rows

    rows = day_rows(accepted=400)
    stale = RuleSpec(PAY, "remark", "max_length", {"max": 1}, code="ED0075", support=4, id=3)
    (rule,) = [r for r in learn(rows, existing=[stale]).rules if r.id == 3]
    breaking = [
        r for r in rows if r["endpoint"] == PAY and r["outcome"] == "accepted"
        and len(r["request_fields"]["remark"]) > 1
    ]  # fmt: skip
    assert rule.state == "retired" and rule.contradict == len(breaking) > 300
    assert rule.evidence["contradict_ids"] == [r["id"] for r in breaking][:20]
    days = rule.evidence["days"].values()
    assert sum(d["contradict"] for d in days) == len(breaking)


def test_rejections_with_messages_that_never_repeat_stay_bounded(monkeypatch) -> None:
    """Distinct messages fold into one signature past the cap; kept rows stop at theirs."""
    from tests.learn_rows import PAY, Maker, pay_fields, row

    monkeypatch.setattr(profile, "SIGNATURES_MAX", 10)
    monkeypatch.setattr(profile, "REJECTED_KEPT", 25)
    m = Maker(3)
    rows = [
        row(i, PAY, pay_fields(m), "E1", f"拒绝{chr(0x4E00 + i)}{chr(0x4E80 + i)}")
        for i in range(200)
    ]
    data = profile.Corpus(rows).endpoints[PAY]
    assert data.rejected == 200 == sum(data.signature_counts.values())
    assert len(data.signature_counts) == 11
    assert sum(map(len, data.signatures.values())) == 25
