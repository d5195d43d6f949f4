"""The incident report: what a day of production traffic taught, in Markdown or HTML.

Pure: :func:`build_report` takes a :class:`ReportData` (gathered from the store by
:func:`harness.store.reporting.load_report_data`) and the plan, and returns document blocks;
:func:`render` writes them as Markdown or as one self-contained HTML page. The report holds
ids, counts, codes and the bank's messages, never a field value: the lessons of the story
(know each field's real rule, check the analogous fields at once, write the rules down and
agree on them, name what only production can verify) become its sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import __version__
from harness.export.checklist import field_title, production_only, rejection_spans
from harness.export.doc import (
    Block,
    Bullets,
    Code,
    Heading,
    Inline,
    Para,
    Span,
    Strong,
    Table,
    to_html,
    to_markdown,
)
from harness.plan import Plan
from harness.rules import RuleSpec, describe

FORMATS = ("markdown", "html")
OUTCOMES = ("accepted", "rejected", "upstream_error")


@dataclass(frozen=True)
class Signature:
    """Production rejections with one endpoint, code and normalized message."""

    endpoint: str
    code: str | None
    message: str | None
    count: int
    verdicts: dict[str, int] = field(default_factory=dict)  # replay verdict -> count


@dataclass
class AtRisk:
    """The exchanges a rule flags: counts by production outcome and a few ids."""

    by_outcome: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())


@dataclass
class ReportData:
    plan_name: str
    day: str | None
    start: datetime | None
    end: datetime | None
    counts: list[tuple[str, str, int]] = field(default_factory=list)  # endpoint, outcome, n
    signatures: list[Signature] = field(default_factory=list)
    run: dict[str, Any] | None = None  # the replay run the verdicts come from
    rules: list[RuleSpec] = field(default_factory=list)
    rule_verdicts: dict[str, dict[str, int]] = field(default_factory=dict)  # rule key -> counts
    at_risk: dict[str, AtRisk] = field(default_factory=dict)  # analogy rule key -> flagged


def default_path(
    day: str | None, fmt: str = "markdown", out_dir: str | Path = "harness-out"
) -> Path:
    """``harness-out/report-<day>.md`` (``.html`` for HTML)."""
    suffix = ".html" if fmt == "html" else ".md"
    return Path(out_dir) / f"report-{day or 'all'}{suffix}"


def _period(data: ReportData) -> str:
    if data.day:
        return data.day
    if data.start or data.end:
        a = data.start.isoformat() if data.start else "the beginning"
        b = data.end.isoformat() if data.end else "now"
        return f"{a} to {b}"
    return "everything captured"


def _signature_spans(sig: Signature) -> list[Span]:
    spans: list[Span] = [Code(sig.code)] if sig.code else ["(no code)"]
    if sig.message:
        spans.append(f" “{sig.message}”")
    return spans


def _traffic(data: ReportData) -> list[Block]:
    blocks: list[Block] = [Heading(2, "What was captured")]
    if not data.counts:
        return [*blocks, Para("No exchange was captured in this period.")]
    table: dict[str, dict[str, int]] = {}
    for endpoint, outcome, n in data.counts:
        table.setdefault(endpoint, {})[outcome] = table.get(endpoint, {}).get(outcome, 0) + n
    rows: list[list[Any]] = []
    for endpoint, by in sorted(table.items()):
        rows.append(
            [[Code(endpoint)], *[str(by.get(o, 0)) for o in OUTCOMES], str(sum(by.values()))]
        )
    totals = [sum(by.get(o, 0) for by in table.values()) for o in OUTCOMES]
    rows.append([[Strong("all endpoints")], *[str(t) for t in totals], str(sum(totals))])
    return [*blocks, Table(["Endpoint", "Accepted", "Rejected", "Upstream error", "Total"], rows)]


def _rejections(data: ReportData) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Production rejections by signature")]
    if not data.signatures:
        return [*blocks, Para("Production rejected nothing in this period.")]
    if data.run is not None:
        targets = ", ".join(
            f"{name} (run #{run_id})" for name, run_id in sorted(data.run["by_target"].items())
        )
        blocks.append(
            Para(
                f"Verdicts from each target's latest replay: {targets}. Production-only "
                "means production rejected and staging accepted, the kind no test environment "
                "catches; reproducible means staging rejected it the same way."
            )
        )
    else:
        blocks.append(
            Para(
                "No replay run covers this period yet, so it is not known which rejections "
                "staging would have caught: run harness replay against staging."
            )
        )
    mocked = any(
        s.verdicts.get("mock_agrees") or s.verdicts.get("mock_disagrees") for s in data.signatures
    )
    rows: list[list[Inline]] = []
    for sig in data.signatures:
        v = sig.verdicts
        mock = (
            f"{v.get('mock_agrees', 0)} of {v.get('mock_agrees', 0) + v.get('mock_disagrees', 0)}"
        )
        rows.append(
            [
                [Code(sig.endpoint)],
                [Code(sig.code)] if sig.code else "",
                sig.message or "",
                str(sig.count),
                str(v.get("production_only", 0)) if data.run else "?",
                str(v.get("reproducible", 0)) if data.run else "?",
                str(v.get("different_rejection", 0) + v.get("target_error", 0))
                if data.run
                else "?",
                *([mock] if mocked else []),
            ]
        )
    headers = [
        "Endpoint",
        "Code",
        "Message",
        "Rejections",
        "Production-only",
        "Reproducible",
        "Other / error",
        *(["Mock agrees"] if mocked else []),
    ]
    return [*blocks, Table(headers, rows)]


def _rules(data: ReportData, plan: Plan | None) -> list[Block]:
    learned = [r for r in data.rules if r.source != "analogy" and r.state != "retired"]
    blocks: list[Block] = [Heading(2, "Rules learned")]
    if not learned:
        return [*blocks, Para("No rule has been learned yet: run harness learn.")]
    blocks.append(
        Para(
            "Each rule separates production's rejected requests from its accepted ones on one "
            "field. Evidence counts exchanges; suspected rules await more evidence or a probe."
        )
    )
    rows: list[list[Inline]] = []
    for r in sorted(learned, key=lambda r: (r.endpoint, r.field, r.kind)):
        verdicts = data.rule_verdicts.get(r.key, {})
        where = (
            "production only"
            if production_only(r, data.rule_verdicts)
            else ("staging too" if verdicts.get("reproducible") else "?")
        )
        rows.append(
            [
                f"#{r.id}" if r.id is not None else "",
                [Code(r.endpoint)],
                field_title(r.field, plan),
                describe(r),
                r.state,
                f"{r.support} / {r.contradict}",
                rejection_spans(r)[1:] if r.code or r.message else "",
                where,
            ]
        )
    headers = [
        "Rule",
        "Endpoint",
        "Field",
        "Rule in words",
        "State",
        "Support / contradict",
        "Explains",
        "Enforced by",
    ]
    return [*blocks, Table(headers, rows)]


def _analogies(data: ReportData, plan: Plan | None) -> list[Block]:
    analogy = [r for r in data.rules if r.source == "analogy" and r.state != "retired"]
    blocks: list[Block] = [Heading(2, "Analogous fields at risk")]
    if not analogy:
        return [*blocks, Para("No rule has been carried to analogous fields yet.")]
    blocks.append(
        Para(
            "When one field fails, every similar field is at risk under the same rule (the "
            "second outage in the story hit the business address a day after the company "
            "name). These suspected rules were carried over from a learned one; the flagged "
            "requests of this period carry values the rule would reject."
        )
    )
    by_id = {r.id: r for r in data.rules if r.id is not None}
    rows: list[list[Inline]] = []
    for r in sorted(
        analogy, key=lambda r: (-(data.at_risk.get(r.key) or AtRisk()).total, r.endpoint, r.field)
    ):
        risk = data.at_risk.get(r.key) or AtRisk()
        origin = by_id.get(r.derived_from) if r.derived_from is not None else None
        rows.append(
            [
                f"#{r.id}" if r.id is not None else "",
                [Code(r.endpoint)],
                field_title(r.field, plan),
                describe(r),
                field_title(origin.field, plan) if origin else "",
                str(risk.total),
                f"{risk.by_outcome.get('rejected', 0)} / {risk.by_outcome.get('accepted', 0)}",
                ", ".join(f"#{i}" for i in risk.ids),
            ]
        )
    headers = [
        "Rule",
        "Endpoint",
        "Field",
        "Rule in words",
        "Carried from",
        "Flagged",
        "Rejected / accepted",
        "Exchanges",
    ]
    return [*blocks, Table(headers, rows)]


def _recommendations(data: ReportData, plan: Plan | None) -> list[Block]:
    live = [r for r in data.rules if r.state != "retired"]
    learned = [r for r in live if r.source != "analogy"]
    prod_only = [r for r in learned if production_only(r, data.rule_verdicts)]
    risky = [
        r for r in live if r.source == "analogy" and (data.at_risk.get(r.key) or AtRisk()).total
    ]
    items: list[list[Span]] = []
    for r in learned:
        items.append(
            ["Validate ", *field_title(r.field, plan), " on ", Code(r.endpoint)]
            + [f" before sending (rule #{r.id}): {describe(r)}."]
        )
    for r in risky:
        n = (data.at_risk.get(r.key) or AtRisk()).total
        items.append(
            [
                "Check ",
                *field_title(r.field, plan),
                " on ",
                Code(r.endpoint),
                f" now: {n} request(s) of this period carry values it would reject under the same rule (rule #{r.id}).",
            ]
        )
    items.append(
        [
            "Run the mock in CI so tests meet production's rules: ",
            Code("harness rules export --format yaml -o rules.yaml"),
            ", then ",
            Code("harness mock --rules rules.yaml"),
            " as the test environment's bank gateway.",
        ]
    )
    items.append(
        [
            "Agree on these rules with the bank in writing: send the checklist from ",
            Code("harness rules export --format markdown"),
            " and record each answer.",
        ]
    )
    if prod_only:
        sigs = sorted(
            {(r.endpoint, r.code, r.message) for r in prod_only}, key=lambda s: (s[0], s[1] or "")
        )
        spans: list[Span] = [
            "Tell operations and customer service which rejections can only happen in production: "
        ]
        for i, (endpoint, code, message) in enumerate(sigs):
            lead: list[Span] = [", "] if i else []
            spans += (
                lead
                + [Code(endpoint), " "]
                + _signature_spans(Signature(endpoint, code, message, 0))
            )
        items.append([*spans, "."])
    else:
        items.append(
            [
                "Tell operations and customer service which risks only production can verify (replay against staging to name them)."
            ]
        )
    return [Heading(2, "Recommendations"), Bullets(items)]


def build_report(
    data: ReportData, plan: Plan | None = None, generated_at: datetime | None = None
) -> list[Block]:
    """The report as document blocks."""
    total = sum(n for _, _, n in data.counts)
    rejected = sum(n for _, o, n in data.counts if o == "rejected")
    live = [r for r in data.rules if r.state != "retired"]
    prod_only_sigs = [s for s in data.signatures if s.verdicts.get("production_only")]
    flagged = sum(
        (data.at_risk.get(r.key) or AtRisk()).total for r in live if r.source == "analogy"
    )
    stamp = f" at {generated_at.isoformat(timespec='seconds')}" if generated_at else ""
    blocks: list[Block] = [
        Heading(1, f"Incident report: {data.plan_name}, {_period(data)}"),
        Para(
            f"Generated by bank-shadow-harness {__version__}{stamp} from the sanitized store. It names exchanges by id and never shows a field value."
        ),
        Heading(2, "Summary"),
        Bullets(
            [
                f"{total} exchanges captured, {rejected} rejected by production in {len(data.signatures)} signature(s).",
                (
                    f"{len(prod_only_sigs)} signature(s) only production enforces (staging accepted them)."
                    if data.run
                    else "Not yet replayed against staging: production-only rejections are not known."
                ),
                f"{sum(r.source != 'analogy' for r in live)} rule(s) learned ({sum(r.state == 'confirmed' for r in live)} confirmed), "
                f"{sum(r.source == 'analogy' for r in live)} suspected on analogous fields flagging {flagged} request(s).",
            ]
        ),
    ]
    blocks += _traffic(data)
    blocks += _rejections(data)
    blocks += _rules(data, plan)
    blocks += _analogies(data, plan)
    blocks += _recommendations(data, plan)
    return blocks


def render(
    data: ReportData,
    plan: Plan | None = None,
    fmt: str = "markdown",
    generated_at: datetime | None = None,
) -> str:
    """The report as Markdown or as a self-contained HTML page."""
    blocks = build_report(data, plan, generated_at)
    if fmt == "html":
        return to_html(blocks, f"Incident report: {data.plan_name}, {_period(data)}")
    return to_markdown(blocks)
