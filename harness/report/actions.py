"""The report's front page: the headline, key figures, actions ranked by risk, and the
notice for operations and customer service. Pure: :class:`ReportData` in, blocks out.

Risk, for ranking: a rejection production already made counts 1, and 1 more when only
production makes it (no test environment would have caught it); an accepted request a
suspected rule would reject counts 1 (it has not failed yet, but the story's second outage
was exactly that). Actions without a count of their own rank by the risk they reduce.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.export.checklist import field_title
from harness.export.doc import Block, Bullets, Code, Heading, Lead, Para, Span, Strong, Table, Tiles
from harness.plan import Plan
from harness.report import facts
from harness.report.model import ReportData
from harness.rules import describe

OWNERS = ("developers", "operations", "customer service")
TOP_FIELDS = 6  # fields named one by one in the actions; the rest in one line
NOTICE_FIELDS = 8  # fields named in the notice; the rest are counted


@dataclass
class Action:
    risk: int
    text: list[Span]
    owner: str
    why: str


def period(data: ReportData) -> str:
    if data.day:
        return data.day
    if data.start or data.end:
        a = facts.when(data.start, data.tz) if data.start else "the beginning"
        b = facts.when(data.end, data.tz) if data.end else "now"
        return f"{a} to {b}"
    return "everything captured"


def _customers(n: int | None) -> str:
    return "" if n is None else f" from {n:,} customer{'s' if n != 1 else ''}"


def headline(data: ReportData, plan: Plan | None) -> list[Block]:
    """What broke, since when, how many requests and customers, what is still at risk."""
    total, rejected = data.total, data.rejected
    po = facts.production_only_total(data)
    groups = facts.learned_groups(data)
    risky = [r for r in facts.suspected(data) if data.risk(r).accepted]
    at_risk = facts.at_risk_total(data)
    spans: list[Span] = []
    if not rejected:
        spans.append(
            f"Production rejected none of the {total:,} requests captured ({period(data)}). "
        )
    else:
        spans.append(
            f"Production rejected {rejected:,} of {total:,} requests "
            f"({facts.percent(rejected, total)}){_customers(data.customers)} ({period(data)}). "
        )
        if data.run is None:
            spans.append(
                "They have not been replayed against staging yet, so which of them only "
                "production rejects is not known. "
            )
        elif po:
            spans += [
                Strong(f"{po:,} of them only production rejects"),
                ": staging accepted them, so no test would have caught them. ",
            ]
        else:
            spans.append("Staging reproduced every one of them. ")
        top = next((g for g in groups if g.count), None)
        if top is not None:
            spans += [
                "The biggest cause: ",
                *field_title(top.field, plan),
                " on ",
                Code(top.endpoint),
            ]
            spans.append(
                f" ({top.words}), {top.count:,} rejections since {facts.when(top.first, data.tz)}. "
            )
    if risky:
        fields = len({(r.endpoint, r.field) for r in risky})
        spans.append(
            f"Still at risk: {at_risk:,} accepted requests carry values that a suspected rule on "
            f"{fields} analogous field(s) would reject, the way the business address failed a "
            "day after the company name. "
        )
    elif facts.suspected(data):
        spans.append(
            f"Still at risk: no accepted request breaks the {len(facts.suspected(data))} "
            "suspected rule(s) yet; they stay unverified until production shows them. "
        )
    if data.unexplained.count:
        spans.append(f"{data.unexplained.count:,} rejections are not explained by any rule yet.")
    return [Lead(spans), Tiles(tiles(data))]


def tiles(data: ReportData) -> list[tuple[str, str]]:
    learned = [r for r in data.rules if r.state != "retired" and r.source != "analogy"]
    out = [
        (f"{data.rejected:,}", f"requests rejected ({facts.percent(data.rejected, data.total)})")
    ]
    if data.customers is not None:
        out.append((f"{data.customers:,}", "customers affected"))
    out.append(
        (f"{facts.production_only_total(data):,}", "only production rejects")
        if data.run is not None
        else ("?", "only production rejects (not replayed)")
    )
    out.append((f"{facts.at_risk_total(data):,}", "accepted requests at risk"))
    out.append(
        (
            f"{len(learned)}",
            f"rules learned, {sum(r.state == 'confirmed' for r in learned)} confirmed",
        )
    )
    return out


def actions(data: ReportData, plan: Plan | None) -> list[Action]:
    """Everything the report asks someone to do, most risk first."""
    out: list[Action] = []
    groups = [g for g in facts.learned_groups(data) if g.count]
    for g in groups[:TOP_FIELDS]:
        only = f", {g.production_only:,} production-only" if g.production_only else ""
        out.append(
            Action(
                g.count + g.production_only,
                [
                    "Validate ",
                    *field_title(g.field, plan),
                    " on ",
                    Code(g.endpoint),
                    f" before sending: {g.words}.",
                ],
                "developers",
                f"{g.count:,} rejections{only}",
            )
        )
    rest = groups[TOP_FIELDS:] + [g for g in facts.learned_groups(data) if not g.count]
    if rest:
        # As urgent as its most urgent field: the fields above come first.
        out.append(
            Action(
                max(g.count + g.production_only for g in rest),
                [
                    f"Validate the {len(rest)} other field(s) with learned rules the same way (see Rules learned)."
                ],
                "developers",
                f"{sum(g.count for g in rest):,} rejections",
            )
        )
    for rule in facts.suspected(data):
        risk = data.risk(rule)
        if not risk.accepted:
            continue
        src = facts.origin(data, rule)
        like = [" as on ", *field_title(src.field, plan)] if src is not None else []
        out.append(
            Action(
                risk.accepted,
                ["Check ", *field_title(rule.field, plan), " on ", Code(rule.endpoint)]
                + [f" now: it would fail if production enforces “{describe(rule)}” here"]
                + like
                + ["."],
                "developers",
                f"{risk.accepted:,} accepted requests at risk{_customers(risk.customers)}",
            )
        )
    po = facts.production_only_total(data)
    at_risk = facts.at_risk_total(data)
    if po or at_risk:
        out.append(
            Action(
                po + at_risk,
                [
                    "Send the notice below to operations and customer service before the next release."
                ],
                "customer service",
                f"{po:,} production-only rejections, {at_risk:,} at risk",
            )
        )
    if data.unexplained.count:
        out.append(
            Action(
                data.unexplained.count,
                [
                    f"Find the rule behind the {data.unexplained.count:,} rejections no rule explains: ",
                    Code("harness flows --outcome rejected"),
                    ", then ",
                    Code("harness learn"),
                    " over more days.",
                ],
                "developers",
                f"{data.unexplained.count:,} rejections unexplained",
            )
        )
    out.append(
        Action(
            po,
            [
                "Run the mock gateway with these rules where tests run, so they meet production's rules: ",
                Code("harness rules export --format yaml -o rules.yaml"),
                " then ",
                Code("harness mock --rules rules.yaml"),
                ".",
            ],
            "operations",
            f"catches the {po:,} production-only rejections before release",
        )
    )
    unconfirmed = sum(r.state == "suspected" for r in data.rules)
    out.append(
        Action(
            0,
            [
                "Agree on the rules with the bank in writing: send the checklist from ",
                Code("harness rules export --format markdown"),
                " and record each answer.",
            ],
            "developers",
            f"{unconfirmed} rule(s) still suspected" if unconfirmed else "the rules are in writing",
        )
    )
    return sorted(out, key=lambda a: -a.risk)


def actions_blocks(data: ReportData, plan: Plan | None) -> list[Block]:
    rows = [[str(i), a.text, a.owner, a.why] for i, a in enumerate(actions(data, plan), start=1)]
    return [
        Heading(2, "What to do, most urgent first"),
        Table(["#", "Action", "Owner", "Why"], rows, widths=["4%", "58%", "14%", "24%"]),
    ]


def notice(data: ReportData, plan: Plan | None, level: int = 2) -> list[Block]:
    """The short notice for operations and customer service: what only production rejects
    (and what it may start rejecting), in words they can act on, before the next release."""
    groups = [g for g in facts.learned_groups(data) if g.count]
    only = [g for g in groups if g.where == "production only"]
    known = data.run is not None
    blocks: list[Block] = [Heading(level, f"Notice before the next release: {data.plan_name}")]
    blocks.append(
        Para(
            "To operations and customer service. The bank's production gateway enforces "
            "rules that our test environments do not check. Until our own validation "
            "catches them, requests that break them pass every test and are rejected in "
            f"production. This happened {sum(g.count for g in (only if known else groups)):,} "
            f"times ({period(data)}):"
        )
    )
    listed = only if known else groups
    if not known:
        blocks.append(
            Para(
                "Not replayed against staging yet: this lists every rule production enforced; "
                "replay against staging (harness replay) to keep only those no test catches."
            )
        )
    items: list[list[Span]] = []
    for g in listed[:NOTICE_FIELDS]:
        answer: list[Span] = []
        r = g.rules[0]
        if r.code or r.message:
            answer = [" — production answers ", *([Code(r.code)] if r.code else [])]
            answer.append(f" “{r.message}”" if r.message else "")
        items.append(
            [*field_title(g.field, plan), " on ", Code(g.endpoint), f": {g.words}"]
            + answer
            + [f" ({g.count:,} times since {facts.when(g.first, data.tz)})."]
        )
    more = listed[NOTICE_FIELDS:]
    if more:
        items.append(
            [
                f"{len(more)} more field(s), {sum(g.count for g in more):,} times in all: see the report."
            ]
        )
    if items:
        blocks.append(Bullets(items))
    else:
        blocks.append(Para("No rejection is known to happen in production only."))
    risky = [r for r in facts.suspected(data) if data.risk(r).accepted]
    if risky:
        blocks.append(
            Para(
                "Not failing yet, but at risk: production may enforce the same rules on these "
                "fields, which accepted requests use today:"
            )
        )
        blocks.append(
            Bullets(
                [
                    [*field_title(r.field, plan), " on ", Code(r.endpoint), f": {describe(r)}"]
                    + [f" ({data.risk(r).accepted:,} accepted requests)."]
                    for r in risky
                ]
            )
        )
    blocks.append(
        Para(
            "When a customer reports one of these answers, the value of the named field must "
            "be corrected to meet the rule before the request can succeed; retrying it "
            "unchanged fails again. Counts come from sanitized traffic; this notice holds no "
            "customer data."
        )
    )
    return blocks
