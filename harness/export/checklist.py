"""Rules as a Markdown checklist for product managers: the written record to agree on.

Per endpoint, per field (with the bank's label from the plan), one checkbox line per rule in
plain words, with its state, its evidence and the production rejection it explains. Then two
sections the story asks for: rules suspected on analogous fields (carried over from a field
that failed), and rules only production can verify (staging accepted what production
rejected), to hand to operations and customer service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness import __version__
from harness.export.doc import Block, Bullets, Code, Comment, Heading, Para, Span, Strong
from harness.export.doc import to_markdown as render_markdown
from harness.plan import Plan
from harness.rules import RuleSpec, describe

Verdicts = Mapping[str, Mapping[str, int]]  # rule key -> replay verdict -> count


def _order(rule: RuleSpec) -> tuple[str, str, str, int]:
    return (rule.endpoint, rule.field, rule.kind, rule.id or 0)


def field_title(field_path: str, plan: Plan | None) -> list[Span]:
    """``企业名称 (enterpriseName)`` when the plan has a label, else the path."""
    label = plan.label_for(field_path) if plan is not None else None
    return [f"{label} (", Code(field_path), ")"] if label else [Code(field_path)]


def rejection_spans(rule: RuleSpec) -> list[Span]:
    """How production says no: ``ED0012 企业名称含有非法字符``."""
    if not rule.code and not rule.message:
        return ["production's answer not recorded"]
    spans: list[Span] = ["production answers "]
    if rule.code:
        spans.append(Code(rule.code))
    if rule.message:
        spans.append((" " if rule.code else "") + f"“{rule.message}”")
    return spans


def evidence_phrase(rule: RuleSpec) -> str:
    return (
        f"{rule.support} supporting, {rule.contradict} contradicting exchange"
        f"{'' if rule.contradict == 1 else 's'}"
    )


def rule_verdicts(rule: RuleSpec, verdicts: Verdicts | None) -> Mapping[str, int]:
    """Replay verdict counts for a rule: from ``verdicts`` (by key) or its evidence."""
    if verdicts is not None and rule.key in verdicts:
        return verdicts[rule.key]
    found = (rule.evidence or {}).get("verdicts")
    return found if isinstance(found, Mapping) else {}


def production_only(rule: RuleSpec, verdicts: Verdicts | None) -> bool:
    """Production rejected and staging accepted, and staging never reproduced it."""
    counts = rule_verdicts(rule, verdicts)
    return int(counts.get("production_only", 0)) > 0 and int(counts.get("reproducible", 0)) == 0


def _origin(
    rule: RuleSpec, by_id: Mapping[int, RuleSpec], by_key: Mapping[str, RuleSpec]
) -> RuleSpec | None:
    if rule.derived_from is not None and rule.derived_from in by_id:
        return by_id[rule.derived_from]
    key = (rule.evidence or {}).get("derived_from_key")
    return by_key.get(key) if isinstance(key, str) else None


def _rule_line(rule: RuleSpec) -> list[Span]:
    spans: list[Span] = [
        Strong(describe(rule)),
        " — ",
        rule.state,
        " · ",
        evidence_phrase(rule),
        " · ",
    ]
    spans += rejection_spans(rule)
    if rule.id is not None:
        spans.append(f" · rule #{rule.id}")
    return spans


def checklist_blocks(
    rules: Iterable[RuleSpec],
    plan: Plan | None = None,
    verdicts: Verdicts | None = None,
    include_retired: bool = False,
) -> list[Block]:
    """The checklist as document blocks (rendered by :func:`to_markdown`)."""
    rules = sorted(rules, key=_order)
    live = [r for r in rules if r.state != "retired"]
    by_id = {r.id: r for r in rules if r.id is not None}
    by_key = {r.key: r for r in rules}
    direct = [r for r in live if r.source != "analogy"]
    analogous = [r for r in live if r.source == "analogy"]
    name = plan.name if plan is not None else "default"
    confirmed = sum(r.state == "confirmed" for r in live)
    blocks: list[Block] = [
        Heading(1, f"Field rules checklist: {name}"),
        Para(
            f"{len(live)} rules ({confirmed} confirmed, {len(live) - confirmed} suspected) that "
            "the production gateway enforces on request fields, learned from its rejections. "
            "Tick a rule once the bank has confirmed it in writing; correct or strike it "
            "otherwise. Every field on this list must be validated before a request leaves "
            "our platform."
        ),
    ]
    endpoint = field_path = None
    items: list[Any] = []

    def flush() -> None:
        if items:
            blocks.append(Bullets(list(items), checkbox=True))
            items.clear()

    for rule in direct:
        if rule.endpoint != endpoint:
            flush()
            endpoint, field_path = rule.endpoint, None
            blocks.append(Heading(2, [Code(rule.endpoint)]))
        if rule.field != field_path:
            flush()
            field_path = rule.field
            blocks.append(Heading(3, field_title(rule.field, plan)))
        items.append(_rule_line(rule))
    flush()
    if not direct:
        blocks.append(Para("No rule has been learned from production rejections yet."))

    blocks.append(Heading(2, "Suspected on analogous fields"))
    if analogous:
        blocks.append(
            Para(
                "When one field fails, check every similar field at once: these rules were "
                "carried from a field production rejected to similar free-text fields. They "
                "are suspected until production traffic confirms or retires them."
            )
        )
        lines = []
        for rule in analogous:
            line: list[Span] = [Code(rule.endpoint), " ", *field_title(rule.field, plan), ": "]
            line += _rule_line(rule)
            origin = _origin(rule, by_id, by_key)
            if origin is not None:
                line += [" · carried from ", *field_title(origin.field, plan)]
                if origin.endpoint != rule.endpoint:
                    line += [" on ", Code(origin.endpoint)]
            lines.append(line)
        blocks.append(Bullets(lines, checkbox=True))
    else:
        blocks.append(Para("None."))

    blocks.append(Heading(2, "Only verifiable in production"))
    prod_only = [r for r in live if production_only(r, verdicts)]
    has_verdicts = any(rule_verdicts(r, verdicts) for r in live)
    if prod_only:
        blocks.append(
            Para(
                "Staging accepted what production rejected under these rules: no test "
                "environment catches them. Tell operations and customer service in advance "
                "which requests can fail only in production, and what the bank answers then."
            )
        )
        lines = []
        for rule in prod_only:
            counts = rule_verdicts(rule, verdicts)
            line = [
                Code(rule.endpoint),
                " ",
                *field_title(rule.field, plan),
                ": ",
                Strong(describe(rule)),
            ]
            line.append(
                f" — {int(counts.get('production_only', 0))} production-only rejection(s), "
                "none reproduced in staging · "
            )
            line += rejection_spans(rule)
            lines.append(line)
        blocks.append(Bullets(lines, checkbox=True))
    elif has_verdicts:
        blocks.append(Para("None: staging reproduced every rejection these rules explain."))
    else:
        blocks.append(
            Para(
                "Not known yet: replay the day's rejections against staging (harness replay) "
                "to learn which rules only production enforces."
            )
        )

    retired = [r for r in rules if r.state == "retired"]
    if include_retired and retired:
        blocks.append(
            Comment(
                ["Retired rules (not enforced; kept for the record):"]
                + [f"#{r.id} {r.endpoint} {r.field}: {describe(r)}" for r in retired]
            )
        )
    blocks.append(
        Para(
            f"Exported by bank-shadow-harness {__version__} (harness rules export --format markdown)."
        )
    )
    return blocks


def to_markdown(
    rules: Iterable[RuleSpec],
    plan: Plan | None = None,
    *,
    verdicts: Verdicts | None = None,
    include_retired: bool = False,
) -> str:
    """The Markdown checklist for product managers."""
    return render_markdown(checklist_blocks(rules, plan, verdicts, include_retired))
