"""``harness learn`` and ``harness rules list|show|confirm|retire``.

``rules_app`` is the ``rules`` sub-app; other modules add commands to it (``rules export``
lives in :mod:`harness.cli.report`).
"""

from __future__ import annotations

import dataclasses
import getpass
from typing import Annotated, Any

import typer
from rich.table import Table

from harness.cli.common import (
    DayOpt,
    DbOpt,
    EndpointOpt,
    JsonOpt,
    PlanOpt,
    SinceOpt,
    UntilOpt,
    console,
    err_console,
    print_json,
)
from harness.rules import RuleSpec, describe

rules_app = typer.Typer(
    help="The field rules production enforces: list, show, confirm, retire, export.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

RISK_IDS = 5  # exchange ids shown per rule at risk


def rule_json(rule: RuleSpec) -> dict[str, Any]:
    """A rule for --json output: its fields, key and sentence."""
    out = dataclasses.asdict(rule)
    out["key"] = rule.key
    out["description"] = describe(rule)
    return out


def rules_table(rules: list[RuleSpec], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    for name, justify in (
        ("id", "right"),
        ("endpoint", "left"),
        ("field", "left"),
        ("rule", "left"),
        ("code", "left"),
        ("state", "left"),
        ("source", "left"),
        ("sup/con", "right"),
        ("conf", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rules:
        table.add_row(
            str(r.id if r.id is not None else "-"),
            r.endpoint,
            r.field,
            describe(r),
            r.code or "",
            r.state,
            r.source,
            f"{r.support}/{r.contradict}",
            f"{r.confidence:.2f}",
        )
    return table


def _classes(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} x{n}" for name, n in sorted(counts.items())) or "-"


def learn(
    db: DbOpt = None,
    plan: PlanOpt = None,
    day: DayOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    endpoint: EndpointOpt = None,
    probe: Annotated[
        bool | None,
        typer.Option(
            "--probe/--no-probe",
            help="Confirm rules by probing the plan's probe target (default: on when the plan names one).",
        ),
    ] = None,
    probe_target: Annotated[
        str | None, typer.Option("--probe-target", help="Which of the plan's probe targets to use.")
    ] = None,
    budget: Annotated[int, typer.Option("--budget", help="Probes to spend at most.")] = 200,
    analogy: Annotated[
        bool, typer.Option("--analogy/--no-analogy", help="Carry rules to analogous fields.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Learn the field rules production enforces from a window of captured traffic.

    For each rejection signature (endpoint + code + normalized message) finds the field
    and the rule that separate production's rejected requests from its accepted ones,
    carries character rules to analogous fields (the risk list names the captured requests
    they would reject, by exchange id and the classes of the offending characters, never a
    value), and saves everything to the store. Re-running over new days updates evidence
    and states instead of duplicating rules.

    Example: harness learn --plan replays/simbank.yaml --day 2026-11-24
    """
    from harness.jobs import learn_window
    from harness.plan import load_plan
    from harness.store import opened
    from harness.timeutil import window

    the_plan = load_plan(plan) if plan else None
    start, end = window(day, since, until)
    with opened(db) as factory:
        learned = learn_window(
            factory,
            the_plan,
            start=start,
            end=end,
            endpoint=endpoint,
            probe=probe,
            probe_target=probe_target,
            budget=budget,
            analogy=analogy,
        )
    saved, risks, stats = learned.rules, learned.risks, learned.stats
    spent = stats["probes"]
    for warning in learned.warnings:
        err_console.print(f"warning: {warning}")
    if as_json:
        print_json({"stats": stats, "rules": [rule_json(r) for r in saved], "risks": risks})
        return
    console.print(
        rules_table(sorted(saved, key=lambda r: r.id or 0), title="Rules learned and updated")
    )
    console.print(
        f"{stats['exchanges']} exchanges ({stats['accepted']} accepted, {stats['rejected']} rejected), "
        f"{stats['signatures']} rejection signature(s), {stats['explained']} rejection(s) explained, "
        f"{stats['learned']} learned, {stats['analogy']} carried by analogy, {spent} probe(s)."
    )
    if risks:
        console.print(_risk_table(risks, {r.id: r for r in saved}))


def _risk_table(risks: list[dict[str, Any]], rules: dict[Any, RuleSpec]) -> Table:
    """One line per analogy rule: how many captured requests it would reject, a few of their
    exchange ids, and the offending characters by class (never a value)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for risk in risks:
        groups.setdefault(risk["rule_id"], []).append(risk)
    table = Table(title="At risk: captured requests an analogy rule would reject (--json: all)")
    for name in (
        "rule",
        "endpoint",
        "field",
        "carried from",
        "requests",
        "exchanges",
        "offending characters",
    ):
        table.add_column(name)
    for rule_id, group in groups.items():
        classes: dict[str, int] = {}
        for risk in group:
            for k, n in risk["classes"].items():
                classes[k] = classes.get(k, 0) + n
        rule = rules.get(rule_id)
        origin = (rule.evidence.get("origins") or [{}])[0] if rule else {}
        ids = ", ".join(str(r["exchange_id"]) for r in group[:RISK_IDS])
        more = f" +{len(group) - RISK_IDS}" if len(group) > RISK_IDS else ""
        table.add_row(
            str(rule_id or "-"),
            group[0]["endpoint"],
            group[0]["field"],
            str(origin.get("field", "-")),
            str(len(group)),
            ids + more,
            _classes(classes),
        )
    return table


def list_rules(
    db: DbOpt = None,
    endpoint: EndpointOpt = None,
    state: Annotated[
        str | None, typer.Option("--state", help="suspected, confirmed or retired.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="learned, analogy or manual.")
    ] = None,
    include_retired: Annotated[bool, typer.Option("--all", help="Include retired rules.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the stored rules (retired ones only with --all or --state retired).

    Example: harness rules list --state suspected --endpoint "POST /openapi/v1/vaccount/open"
    """
    from harness.store import opened
    from harness.store.rules import load_rules

    with opened(db) as factory, factory.begin() as session:
        rules = load_rules(
            session,
            endpoint=endpoint,
            state=state,
            include_retired=include_retired,
            source=source,
        )
    if as_json:
        print_json([rule_json(r) for r in rules])
        return
    if not rules:
        err_console.print("no rules (run harness learn first)")
        return
    console.print(rules_table(rules))


def show(
    rule_id: Annotated[int, typer.Argument(help="The rule's id (harness rules list).")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one rule with its evidence.

    The evidence holds the rejection signature, supporting and contradicting exchange ids,
    per-day counts, probes, replay verdicts and manual decisions.

    Example: harness rules show 3
    """
    from harness.store import opened
    from harness.store.rules import get_rule

    with opened(db) as factory, factory.begin() as session:
        rule = get_rule(session, rule_id)
    if as_json:
        print_json(rule_json(rule))
        return
    console.print(f"[bold]rule {rule.id}[/bold]: {rule.endpoint} {rule.field} {describe(rule)}")
    for name, value in (
        ("kind", rule.kind),
        ("params", rule.params),
        ("rejection", f"{rule.code or '-'} {rule.message or ''}".strip()),
        ("state", rule.state),
        ("source", rule.source),
        ("derived from", rule.derived_from),
        ("support / contradict", f"{rule.support} / {rule.contradict}"),
        ("confidence", f"{rule.confidence:.2f}"),
    ):
        if value is not None:
            console.print(f"  {name}: {value}", markup=False, highlight=False)
    console.print("  evidence:", markup=False)
    for key, value in sorted(rule.evidence.items()):
        console.print(f"    {key}: {value}", markup=False, highlight=False)


def _decide(rule_id: int, state: str, db: str | None, note: str | None, as_json: bool) -> None:
    from harness.store import opened
    from harness.store.rules import set_state

    try:
        who = getpass.getuser()
    except (OSError, KeyError):
        who = "unknown"
    with opened(db) as factory, factory.begin() as session:
        rule = set_state(session, rule_id, state, by=who, note=note)
    if as_json:
        print_json(rule_json(rule))
        return
    console.print(f"rule {rule.id} {state} ({rule.field}: {describe(rule)})", markup=False)


NoteOpt = Annotated[str | None, typer.Option("--note", help="Why (kept in the evidence).")]


def confirm(
    rule_id: Annotated[int, typer.Argument(help="The rule's id.")],
    db: DbOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm a rule by hand (e.g. the bank agreed to it in writing); who and when are kept.

    Example: harness rules confirm 3 --note "bank email 2026-11-25"
    """
    _decide(rule_id, "confirmed", db, note, as_json)


def retire(
    rule_id: Annotated[int, typer.Argument(help="The rule's id.")],
    db: DbOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retire a rule by hand: it stays on record but is no longer enforced or exported.

    Example: harness rules retire 7 --note "not a bank rule: a coincidence in the data"
    """
    _decide(rule_id, "retired", db, note, as_json)


rules_app.command("list")(list_rules)
rules_app.command("show")(show)
rules_app.command("confirm")(confirm)
rules_app.command("retire")(retire)


def register(app: typer.Typer) -> None:
    app.command("learn")(learn)
    app.add_typer(rules_app, name="rules")
