"""What the commands do over a store, callable from the CLI and the demo alike.

Each function takes a session factory (see :func:`harness.store.open_store`) and returns
values or text; none prints. The CLI opens the store, calls one of these, renders. Each job
imports its own stage (export, report, learner, prober) when called, so a command loads
only the stage it runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from harness.errors import ConfigError, HarnessError, NotFoundError
from harness.plan import Plan
from harness.rules import RuleSpec
from harness.store.queries import get_exchange
from harness.store.rules import (
    StoredRows,
    count_window,
    load_rules,
    replay_verdicts,
    save_rules,
    stream_learning_rows,
)
from harness.timeutil import local_tz

EXPORT_FORMATS = ("jsonschema", "yaml", "markdown", "openapi")
REPORT_FORMATS = ("markdown", "html", "notice")


def export_rules(
    factory: sessionmaker[Session],
    plan: Plan,
    fmt: str,
    *,
    include_retired: bool = False,
    strict: bool = False,
    provenance: bool = False,
) -> tuple[str, int]:
    """The stored rules as JSON Schema, YAML, Markdown or OpenAPI; returns (text, live rule
    count).

    The JSON Schema and the OpenAPI document enforce confirmed rules, and suspected ones
    too when ``strict``. YAML, JSON Schema and OpenAPI are stable
    (:mod:`harness.export.stable`): the same evidence gives the same bytes, so a diff shows
    only rule changes; ``provenance`` keeps rule ids, exchange ids and times. The Markdown
    checklist keeps rule ids: people answer it with ``harness rules confirm ID``.
    """
    # start-up: each job loads only its own stage (module docstring)
    from harness.export import to_jsonschema, to_markdown, to_yaml
    from harness.export.openapi import to_openapi
    from harness.export.schema import ENFORCED, STRICT
    from harness.export.stable import stable_rules
    from harness.report.gather import endpoint_facts, rule_verdicts

    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (want {', '.join(EXPORT_FORMATS)})")
    with factory.begin() as session:
        rules = load_rules(session, include_retired=include_retired)
        verdicts = rule_verdicts(session, rules) if fmt == "markdown" else {}
        facts = endpoint_facts(session) if fmt == "openapi" else {}
    live = sum(r.state != "retired" for r in rules)
    if fmt == "markdown":
        return to_markdown(rules, plan, verdicts=verdicts, include_retired=include_retired), live
    if not provenance:
        rules = stable_rules(rules)
    states = STRICT if strict else ENFORCED
    if fmt == "jsonschema":
        text = json.dumps(to_jsonschema(rules, plan, states), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "openapi":
        document = to_openapi(rules, plan, facts, states)
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    else:
        text = to_yaml(rules, plan_name=plan.name, include_retired=include_retired)
    return text, live


def incident_report(
    factory: sessionmaker[Session],
    plan: Plan,
    *,
    day: str | None,
    start: datetime | None,
    end: datetime | None,
    fmt: str = "markdown",
    generated_at: datetime | None = None,
) -> str:
    """The incident report for a window: Markdown, self-contained HTML, or the notice for
    operations and customer service alone (Markdown). Days and hours in HARNESS_TZ."""
    from harness.report import render  # start-up: each job loads only its own stage
    from harness.report.gather import load_report_data

    if fmt not in REPORT_FORMATS:
        raise ConfigError(f"unknown report format {fmt!r} (want {', '.join(REPORT_FORMATS)})")
    tz = local_tz()
    with factory.begin() as session:
        data = load_report_data(
            session, plan_name=plan.name, day=day, start=start, end=end, plan=plan, tz=tz
        )
    return render(data, plan, fmt, generated_at=generated_at)


@dataclass
class LearnWindowResult:
    """What ``harness learn`` found and saved: rules (with ids), the risk list, counts."""

    rules: list[RuleSpec]
    risks: list[dict[str, Any]]
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def learn_window(
    factory: sessionmaker[Session],
    plan: Plan | None,
    *,
    start: datetime | None,
    end: datetime | None,
    endpoint: str | None = None,
    probe: bool | None = None,
    probe_target: str | None = None,
    budget: int = 200,
    analogy: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> LearnWindowResult:
    """Learn from a window of the store, probe when the plan allows, save, return the result.

    The window streams from the store (it never is in memory at once). ``probe`` None
    means: probe when the plan names a probe target. ``progress``: called with (rows read,
    rows in the window) as the learner reads.
    """
    from harness.learn import learn  # start-up: each job loads only its own stage

    with factory.begin() as session:
        total = count_window(session, start, end, endpoint)
        verdicts = replay_verdicts(session, start, end)
        existing = load_rules(session, endpoint=endpoint, include_retired=True)
    if not total:
        raise NotFoundError("no captured exchanges in the window")
    if total < 100_000:
        progress = None  # the learner reports every 100,000 rows: a bar would only flash
    if progress is not None:
        progress(0, total)
    rows = stream_learning_rows(factory, start, end, endpoint)
    result = learn(
        rows,
        plan=plan,
        verdicts=verdicts,
        existing=existing,
        analogy=analogy,
        progress=None if progress is None else lambda n: progress(n, total),
    )
    spent = errors = 0
    warnings: list[str] = []
    if plan is not None and (probe or (probe is None and plan.probe_targets)):
        try:
            result.rules, spent, errors = _probe(factory, plan, probe_target, result.rules, budget)
        except HarnessError as exc:
            if probe:  # asked for: an error; by default: learn without probing
                raise
            warnings.append(f"rules not probed: {exc}")
        if errors:
            warnings.append(
                f"the probe target did not answer {errors} of {spent} probe(s); "
                "the rules it did not answer for keep their state"
            )
    elif probe:
        raise ConfigError("--probe needs a plan that names a probe target (plan key 'probe')")
    with factory.begin() as session:
        saved = save_rules(session, result.rules)
    ids = {r.key: r.id for r in saved}
    risks = [dict(r.as_dict(), rule_id=ids.get(r.rule_key)) for r in result.risks]
    return LearnWindowResult(saved, risks, {**result.stats, "probes": spent}, warnings)


def _probe(
    factory: sessionmaker[Session],
    plan: Plan,
    name: str | None,
    rules: list[RuleSpec],
    budget: int,
) -> tuple[list[RuleSpec], int, int]:
    """Probe the rules on the plan's probe target: (rules, probes sent, probes unanswered)."""
    # start-up: only probing loads the prober and its HTTP client (aiohttp, ~0.15 s)
    from harness.learn.probe import probe_rules
    from harness.replay.probe import HttpSend

    if not plan.probe_targets:
        raise ConfigError("the plan names no probe target (plan key 'probe')")
    name = name or plan.probe_targets[0]
    if name not in plan.probe_targets:
        raise ConfigError(f"{name!r} is not among the plan's probe targets")

    def load(exchange_id: Any) -> Any:
        with factory.begin() as session:
            return get_exchange(session, int(exchange_id))

    with HttpSend(load, plan, name, plan.targets[name]) as send:
        probed = probe_rules(rules, StoredRows(factory), send, budget=budget)
        return probed, send.sent, send.errors
