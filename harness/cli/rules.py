"""``harness learn`` and ``harness rules list|show|confirm|retire``.

``rules_app`` is the ``rules`` sub-app; other modules add commands to it (``rules export``
lives in :mod:`harness.cli.report`).
"""

from __future__ import annotations

import dataclasses
import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from harness.cli import layout
from harness.cli.common import (
    DayOpt,
    DbOpt,
    EndpointOpt,
    JsonOpt,
    PlanOpt,
    SinceOpt,
    UntilOpt,
    WideOpt,
    console,
    err_console,
    json_list,
    out,
    print_json,
    progress_bar,
)
from harness.codecs.fields import name_of

if TYPE_CHECKING:
    from harness.rules import RuleSpec

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).

JARGON = (
    "Support: production rejections the rule explains (the bad value was there and the "
    "request was refused with the rule's code). Contradictions: accepted requests that "
    "break the rule; one retires it, since production evidently does not enforce it. "
    "Confidence: 0 to 1, rising with support, a probe or the bank's message naming the "
    "field. Confirmed: enough supporting rejections that chance cannot explain them (2 to "
    "30, by the endpoint's rejection rate: the evidence's confirm_at), or a probe. "
    "Suspected: not confirmed yet (every rule carried to an analogous field starts so)."
)

rules_app = typer.Typer(
    help=(
        "The field rules production enforces: list, show, confirm, retire, export.\n\n"
        + JARGON
        + "\n\nExample: harness rules list --state suspected"
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

RISK_IDS = 5  # exchange ids shown per rule at risk


def describe(rule: RuleSpec) -> str:
    """The rule in words (the rule kinds load when a command needs them, not at start-up)."""
    from harness.rules import describe as words

    return words(rule)


def rule_json(rule: RuleSpec) -> dict[str, Any]:
    """A rule for --json output: its fields, key and sentence."""
    out = dataclasses.asdict(rule)
    out["key"] = rule.key
    out["description"] = describe(rule)
    return out


def print_rules(console: Console, rules: list[RuleSpec], wide: bool = False) -> None:
    """Rules as tables that fit the console: learned ones, then those carried by analogy,
    then retired ones, each grouped by endpoint; ``wide``: one table with every column."""
    if wide:
        layout.show(console, WIDE_COLUMNS, [_wide_row(r) for r in rules], wide=True)
        return
    by_id = {r.id: r for r in rules if r.id is not None}
    prefix = layout.path_prefix(r.endpoint for r in rules)
    sections: tuple[tuple[str, Callable[[RuleSpec], bool] | None], ...] = (
        ("Learned from production's rejections", lambda r: r.source != "analogy"),
        ("Carried to analogous fields (suspected until production says otherwise)", None),
    )
    live = [r for r in rules if r.state != "retired"]
    retired = [r for r in rules if r.state == "retired"]
    for title, keep in sections:
        picked = [r for r in live if (keep(r) if keep else r.source == "analogy")]
        if picked:
            _section(console, title, picked, prefix, by_id)
    if retired:
        _section(console, "Retired (not enforced, not exported)", retired, prefix, by_id)
    if prefix:
        console.print(f"Endpoints are shown under {prefix}.", highlight=False)


def _section(
    console: Console,
    title: str,
    rules: list[RuleSpec],
    prefix: str,
    by_id: dict[int, RuleSpec],
) -> None:
    console.rule(title, align="left")
    analogy = all(r.source == "analogy" for r in rules)
    endpoints: dict[str, list[RuleSpec]] = {}
    for r in sorted(rules, key=lambda r: (r.endpoint, r.field, r.id or 0)):
        endpoints.setdefault(r.endpoint, []).append(r)
    for endpoint, group in endpoints.items():
        fprefix = layout.field_prefix(r.field for r in group) if len(group) > 1 else ""
        note = f" (fields under {fprefix})" if fprefix else ""
        console.print(
            f"[bold]{escape(layout.short_endpoint(endpoint, prefix))}[/bold]{escape(note)}"
        )
        columns = [
            layout.Column("id", "right"),
            layout.Column("field"),
            layout.Column("rule", grow=True),
            layout.Column("state"),
            layout.Column("from" if analogy else "sup/con", "left" if analogy else "right"),
        ]
        rows = []
        for r in group:
            origin = by_id.get(r.derived_from) if r.derived_from is not None else None
            if analogy:
                last = f"#{origin.id} {name_of(origin.field)}" if origin else "-"
            else:
                last = f"{r.support}/{r.contradict}"
            rows.append(
                [
                    str(r.id if r.id is not None else "-"),
                    layout.short_field(r.field, fprefix),
                    describe(r),
                    r.state,
                    last,
                ]
            )
        layout.show(console, columns, rows)


def _wide_columns() -> list[Any]:
    return [
        layout.Column("id", "right"),
        layout.Column("endpoint"),
        layout.Column("field"),
        layout.Column("rule"),
        layout.Column("code"),
        layout.Column("message"),
        layout.Column("state"),
        layout.Column("source"),
        layout.Column("support", "right"),
        layout.Column("contradict", "right"),
        layout.Column("confidence", "right"),
    ]


WIDE_COLUMNS = _wide_columns()


def _wide_row(r: RuleSpec) -> list[str]:
    return [
        str(r.id if r.id is not None else "-"),
        r.endpoint,
        r.field,
        describe(r),
        r.code or "",
        r.message or "",
        r.state,
        r.source,
        str(r.support),
        str(r.contradict),
        f"{r.confidence:.2f}",
    ]


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
    wide: WideOpt = False,
) -> None:
    """Learn the field rules production enforces from a window of captured traffic.

    For each rejection signature (endpoint + code + normalized message) finds the field
    and the rule that separate production's rejected requests from its accepted ones,
    carries character rules to analogous fields (the risk list names the captured requests
    they would reject, by exchange id and the classes of the offending characters, never a
    value), and saves everything to the store. Re-running over new days updates evidence
    and states instead of duplicating rules. See harness rules --help for support,
    contradictions and confidence.

    Example: harness learn --plan replays/simbank.yaml --day 2026-11-24
    """
    from harness.app.jobs import learn_window
    from harness.plan import load_plan
    from harness.store import opened
    from harness.timeutil import window

    the_plan = load_plan(plan) if plan else None
    start, end = window(day, since, until)
    with opened(db) as factory, progress_bar("learning") as progress:
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
            progress=None if as_json else progress,
        )
    saved, risks, stats = learned.rules, learned.risks, learned.stats
    spent = stats["probes"]
    for warning in learned.warnings:
        err_console.print(f"warning: {warning}")
    if as_json:
        print_json({"stats": stats, "rules": [rule_json(r) for r in saved], "risks": risks})
        return
    screen = out(wide)
    print_rules(screen, sorted(saved, key=lambda r: r.id or 0), wide)
    screen.print(
        f"{stats['exchanges']:,} exchanges ({stats['accepted']:,} accepted, "
        f"{stats['rejected']:,} rejected), {stats['signatures']} rejection signature(s), "
        f"{stats['explained']:,} rejection(s) explained, {stats['learned']} rule(s) learned, "
        f"{stats['analogy']} carried by analogy, {spent} probe(s).",
        highlight=False,
    )
    if risks:
        print_risks(screen, risks, {r.id: r for r in saved}, wide)


def _classes(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} x{n}" for name, n in sorted(counts.items())) or "-"


def print_risks(
    console: Console, risks: list[dict[str, Any]], rules: dict[Any, RuleSpec], wide: bool
) -> None:
    """One line per analogy rule: how many captured requests it would reject, a few of their
    exchange ids, and the offending characters by class (never a value)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for risk in risks:
        groups.setdefault(risk["rule_id"], []).append(risk)
    console.rule("Captured requests a carried rule would reject (--json: all)", align="left")
    rows = []
    for rule_id, group in groups.items():
        classes: dict[str, int] = {}
        for risk in group:
            for k, n in risk["classes"].items():
                classes[k] = classes.get(k, 0) + n
        rule = rules.get(rule_id)
        origin = (rule.evidence.get("origins") or [{}])[0] if rule else {}
        ids = ", ".join(str(r["exchange_id"]) for r in group[:RISK_IDS])
        more = f" +{len(group) - RISK_IDS}" if len(group) > RISK_IDS else ""
        accepted = sum(r.get("outcome") == "accepted" for r in group)
        rows.append(
            [
                str(rule_id or "-"),
                group[0]["field"],
                str(origin.get("field", "-")),
                str(accepted),
                str(len(group) - accepted),
                f"exchanges {ids}{more}; characters: {_classes(classes)}",
            ]
        )
    columns = [
        layout.Column("rule", "right"),
        layout.Column("field"),
        layout.Column("from"),
        layout.Column("at risk", "right"),
        layout.Column("rejected", "right"),
        layout.Column("which", grow=True),
    ]
    layout.show(console, columns, rows, wide)
    console.print(
        "at risk: production accepted them, and would reject them if it enforced the rule "
        "there too; rejected: production refused them anyway, for another reason.",
        highlight=False,
    )


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
    wide: WideOpt = False,
) -> None:
    """List the stored rules (retired ones only with --all or --state retired).

    Learned rules come first, then the rules carried to analogous fields, grouped by
    endpoint; sup/con is support / contradictions (see harness rules --help). --wide shows
    every column (code, message, source, confidence) in one table.

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
        print_json(json_list([rule_json(r) for r in rules]))
        return
    if not rules:
        err_console.print("no rules (run harness learn first)")
        return
    print_rules(out(wide), rules, wide)


def show(
    rule_id: Annotated[int, typer.Argument(help="The rule's id (harness rules list).")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one rule in words, with its evidence.

    The evidence holds the rejection signature, supporting and contradicting exchange ids,
    per-day counts, probes, replay verdicts, brackets of accepted vs rejected values and
    manual decisions. See harness rules --help for support, contradictions and confidence.

    Example: harness rules show 3
    """
    from harness.cli import words
    from harness.store import opened
    from harness.store.rules import get_rule

    with opened(db) as factory, factory.begin() as session:
        rule = get_rule(session, rule_id)
        origin = get_rule(session, rule.derived_from) if rule.derived_from is not None else None
    if as_json:
        print_json(rule_json(rule))
        return
    facts = [
        ("endpoint", rule.endpoint),
        ("field", rule.field),
        ("rule", describe(rule)),
        ("rejected with", " ".join(x for x in (rule.code, rule.message) if x) or "-"),
        ("state", f"{rule.state} ({_source_words(rule, origin)})"),
        (
            "evidence",
            f"{rule.support:,} supporting rejection(s), {rule.contradict:,} contradiction(s), "
            f"confidence {rule.confidence:.2f}",
        ),
    ]
    console.print(f"[bold]rule {rule.id}[/bold]")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in facts:
        grid.add_row(f"  {name}:", Text(value))
    console.print(grid)
    details = list(words.lines(rule.evidence or {}))
    if details:
        console.print("  details:", markup=False)
        for level, line in details:
            console.print(Padding(Text(line, overflow="fold"), (0, 0, 0, 4 + 2 * level)))


def _source_words(rule: RuleSpec, origin: RuleSpec | None) -> str:
    if rule.source == "analogy":
        if origin is not None:
            return f"carried from rule {origin.id} on {origin.field}"
        return "carried from another field"
    return {"learned": "learned from production's rejections", "manual": "written by hand"}.get(
        rule.source, rule.source
    )


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
