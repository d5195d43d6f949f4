"""The incident report: what a day of production traffic taught, as HTML, Markdown or the
stakeholder notice alone.

Pure: :func:`build_report` takes a :class:`ReportData` (gathered from the store by
:func:`harness.report.gather.load_report_data`) and the plan, and returns document blocks;
:func:`render` writes them as Markdown, as one self-contained HTML page (inline CSS and SVG
charts, no script, no external asset; it fits a 1280-pixel window and prints on A4), or as
the notice alone. The report holds ids, counts, codes, times and the bank's messages, never
a field value. The lessons of the story (know each field's real rule, check the analogous
fields at once, write the rules down and agree on them, name what only production can
verify) become its parts: a headline, actions ranked by risk with an owner, the notice to
send before the next release, charts, then the details.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from harness import __version__
from harness.export.checklist import field_title
from harness.export.doc import (
    Block,
    Box,
    Charts,
    Code,
    Figure,
    Heading,
    Inline,
    Para,
    Strong,
    Table,
    to_html,
    to_markdown,
)
from harness.plan import Plan
from harness.report import charts, facts
from harness.report.actions import actions_blocks, headline, notice, period
from harness.report.model import CATEGORIES, CATEGORY_WORDS, ReportData
from harness.rules import RuleSpec, describe
from harness.vocab import OUTCOMES

FORMATS = ("markdown", "html", "notice")
TOP_BARS = 10  # bars per chart; the rest are summed into one

VERDICT_SERIES = [
    charts.Series("production_only", "production-only", "#c0392b"),
    charts.Series("reproducible", "reproducible in staging", "#2e86c1"),
    charts.Series("other", "other answer in staging", "#d4ac0d"),
    charts.Series("unreplayed", "not replayed", "#aab7b8"),
]
RISK_SERIES = [
    charts.Series("accepted", "accepted today, a suspected rule would reject", "#d35400")
]


def default_path(
    day: str | None, fmt: str = "markdown", out_dir: str | Path = "harness-out"
) -> Path:
    """``harness-out/report-<day>.md`` (``.html`` for HTML, ``notice-<day>.md`` for the
    notice)."""
    stem = "notice" if fmt == "notice" else "report"
    suffix = ".html" if fmt == "html" else ".md"
    return Path(out_dir) / f"{stem}-{day or 'all'}{suffix}"


def title(data: ReportData) -> str:
    return f"Incident report: {data.plan_name}, {period(data)}"


# --- charts -------------------------------------------------------------------------------


def _series(data: ReportData) -> list[charts.Series]:
    seen = data.by_category()
    return [s for s in VERDICT_SERIES if seen.get(s.key)] or VERDICT_SERIES[:2]


def _top(bars: list[charts.Bar], other: str) -> list[charts.Bar]:
    bars = sorted(bars, key=lambda b: -b.total)
    if len(bars) <= TOP_BARS:
        return bars
    rest: dict[str, int] = {}
    for b in bars[TOP_BARS - 1 :]:
        for k, v in b.values.items():
            rest[k] = rest.get(k, 0) + v
    return [*bars[: TOP_BARS - 1], charts.Bar(other.format(n=len(bars) - TOP_BARS + 1), rest)]


def _label(field: str, plan: Plan | None) -> str:
    label = plan.label_for(field) if plan is not None else None
    return f"{label} ({field})" if label else field


def _figure(caption: str, svg: str, bars: list[charts.Bar], series: list[charts.Series]) -> Figure:
    lines = [charts.legend_text(series), ""] if len(series) > 1 else []
    return Figure(caption, svg, lines + (charts.text_bars(bars, series) or ["(none)"]))


def timeline_bars(data: ReportData) -> tuple[str, list[charts.Bar]]:
    """Rejections per local hour (a period of up to two days) or per day, gaps included."""
    if not data.timeline:
        return "hour", []
    hours = sorted(data.timeline)
    span = hours[-1] - hours[0]
    if span <= timedelta(hours=47):
        step, unit = timedelta(hours=1), "hour"
        first = hours[0]
        if (
            data.start is not None
            and data.end is not None
            and data.end - data.start <= timedelta(days=2)
        ):
            first = data.start.astimezone(hours[0].tzinfo).replace(
                minute=0, second=0, microsecond=0
            )
            span = max(span, data.end.astimezone(hours[0].tzinfo) - first - step)
        keys = [first + step * i for i in range(int(span / step) + 1)]
        fmt = "%H:00" if len({k.date() for k in keys}) == 1 else "%m-%d %H:00"
        return unit, [charts.Bar(k.strftime(fmt), data.timeline.get(k, {})) for k in keys]
    days: dict[str, dict[str, int]] = {}
    for hour, cats in data.timeline.items():
        day = days.setdefault(hour.date().isoformat(), {})
        for k, v in cats.items():
            day[k] = day.get(k, 0) + v
    first_day, last_day = hours[0].date(), hours[-1].date()
    keys_d = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    return "day", [charts.Bar(d.strftime("%m-%d"), days.get(d.isoformat(), {})) for d in keys_d]


def figures(data: ReportData, plan: Plan | None) -> list[Block]:
    series = _series(data)
    unit, over_time = timeline_bars(data)
    by_endpoint: dict[str, dict[str, int]] = {}
    for sig in data.signatures:
        by_endpoint.setdefault(sig.endpoint, {})
    for group in facts.learned_groups(data):
        by_endpoint.setdefault(group.endpoint, {})
    endpoint_bars = []
    totals = _endpoint_categories(data)
    for endpoint in sorted(by_endpoint):
        endpoint_bars.append(charts.Bar(endpoint, totals.get(endpoint, {}), keep_end=True))
    field_bars = [
        charts.Bar(
            _label(g.field, plan),
            {
                "production_only": g.production_only,
                "reproducible": g.reproducible,
                "other": sum(data.impact(r).category("other") for r in g.rules),
                "unreplayed": sum(data.impact(r).category("unreplayed") for r in g.rules),
            },
            note=g.endpoint,
        )
        for g in facts.learned_groups(data)
        if g.count
    ]
    if data.unexplained.count:
        field_bars.append(
            charts.Bar("(no rule explains them yet)", dict(data.unexplained.by_category))
        )
    risk_bars = [
        charts.Bar(_label(r.field, plan), {"accepted": data.risk(r).accepted}, note=r.endpoint)
        for r in facts.suspected(data)
        if data.risk(r).accepted
    ]
    made = [
        (
            f"Rejections by {unit}",
            "Production rejected nothing in this period.",
            over_time,
            series,
            charts.columns,
        ),
        (
            "Rejections by endpoint: production-only vs reproducible",
            "No rejection.",
            [b for b in endpoint_bars if b.total],
            series,
            charts.hbars,
        ),
        (
            "Rejections by field (each rule's own count)",
            "No rule explains a rejection yet.",
            _top(field_bars, "{n} more fields"),
            series,
            charts.hbars,
        ),
        (
            "Accepted requests at risk, by field",
            "No accepted request breaks a suspected rule.",
            _top(risk_bars, "{n} more fields"),
            RISK_SERIES,
            charts.hbars,
        ),
    ]
    out = []
    for caption, empty, bars, ser, draw in made:
        out.append(_figure(caption, draw(caption, bars, ser, empty), bars, ser))
    return [Heading(2, "Pictures"), Charts(out)]


def _endpoint_categories(data: ReportData) -> dict[str, dict[str, int]]:
    """Rejections per endpoint by verdict category, each rejection once (from the
    signatures' staging verdicts; what no staging replay covers is ``unreplayed``)."""
    out: dict[str, dict[str, int]] = {}
    for sig in data.signatures:
        v = sig.verdicts
        po, rep = v.get("production_only", 0), v.get("reproducible", 0)
        other = v.get("different_rejection", 0) + v.get("target_error", 0)
        cats = out.setdefault(sig.endpoint, {})
        for key, n in (
            ("production_only", po),
            ("reproducible", rep),
            ("other", other),
            ("unreplayed", max(0, sig.count - po - rep - other)),
        ):
            if n:
                cats[key] = cats.get(key, 0) + n
    return out


# --- details ------------------------------------------------------------------------------


def _by_endpoint(items: list, key) -> dict[str, list]:  # type: ignore[no-untyped-def, type-arg]
    out: dict[str, list] = {}  # type: ignore[type-arg]
    for item in items:
        out.setdefault(key(item), []).append(item)
    return dict(sorted(out.items()))


def _rejections(data: ReportData) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Production rejections by signature")]
    if not data.signatures:
        return [*blocks, Para("Production rejected nothing in this period.")]
    if data.run is not None:
        targets = ", ".join(f"{n} (run #{i})" for n, i in sorted(data.run["by_target"].items()))
        blocks.append(Para(f"Verdicts from each target's latest replay: {targets}."))
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
    for endpoint, sigs in _by_endpoint(data.signatures, lambda s: s.endpoint).items():
        rows: list[list[Inline]] = []
        for sig in sigs:
            v = sig.verdicts
            known = data.run is not None
            agree = v.get("mock_agrees", 0)
            rows.append(
                [
                    [Code(sig.code)] if sig.code else "",
                    sig.message or "",
                    f"{sig.count:,}",
                    f"{v.get('production_only', 0):,}" if known else "?",
                    f"{v.get('reproducible', 0):,}" if known else "?",
                    f"{v.get('different_rejection', 0) + v.get('target_error', 0):,}"
                    if known
                    else "?",
                    *([f"{agree:,} of {agree + v.get('mock_disagrees', 0):,}"] if mocked else []),
                    facts.when(sig.first_seen, data.tz),
                ]
            )
        headers = ["Code", "Message", "Rejections", "Production-only", "Reproducible", "Other"]
        headers += [*(["Mock agrees"] if mocked else []), "Since"]
        widths = ["11%", "27%", "10%", "11%", "11%", "8%", *(["10%"] if mocked else []), "12%"]
        blocks += [Heading(3, [Code(endpoint)]), Table(headers, rows, widths)]
    return blocks


def _rules(data: ReportData, plan: Plan | None) -> list[Block]:
    groups = facts.learned_groups(data)
    blocks: list[Block] = [Heading(2, "Rules learned")]
    if not groups:
        return [*blocks, Para("No rule has been learned yet: run harness learn.")]
    blocks.append(
        Para(
            "Each rule separates production's rejected requests from its accepted ones on one "
            "field. Rejections: those this rule explains (its own count, also when rules share "
            "a generic code). State (support / contradictions): the learner's evidence."
        )
    )

    def rows(group: list[facts.FieldGroup]) -> list[list[Inline]]:
        return [
            [
                f"#{rule.id}" if rule.id is not None else "",
                field_title(rule.field, plan),
                describe(rule),
                f"{data.impact(rule).count:,}",
                g.where,
                f"{rule.state} ({rule.support:,} / {rule.contradict:,})",
            ]
            for g in group
            for rule in g.rules
        ]

    headers = ["Rule", "Field", "Rule in words", "Rejections", "Enforced by", "State"]
    widths = ["7%", "21%", "38%", "10%", "11%", "13%"]
    return blocks + _endpoint_tables(groups, lambda g: g.endpoint, headers, widths, rows)


def _endpoint_tables(items, endpoint_of, headers, widths, rows) -> list[Block]:  # type: ignore[no-untyped-def]
    """One table per endpoint, under the endpoint as a heading."""
    out: list[Block] = []
    for endpoint, group in _by_endpoint(items, endpoint_of).items():
        out += [Heading(3, [Code(endpoint)]), Table(headers, rows(group), widths)]
    return out


def _analogies(data: ReportData, plan: Plan | None) -> list[Block]:
    rules = [r for r in facts.suspected(data) if r.source == "analogy"]
    blocks: list[Block] = [Heading(2, "Analogous fields at risk")]
    if not rules:
        return [*blocks, Para("No rule has been carried to analogous fields yet.")]
    blocks.append(
        Para(
            "When one field fails, every similar field is at risk under the same rule (the "
            "second outage in the story hit the business address a day after the company "
            "name). At risk: requests production accepted that the carried rule would reject. "
            "Also on rejected: requests production rejected anyway, for another reason."
        )
    )

    def rows(group: list[RuleSpec]) -> list[list[Inline]]:
        out: list[list[Inline]] = []
        for r in group:
            risk = data.risk(r)
            src = facts.origin(data, r)
            out.append(
                [
                    f"#{r.id}" if r.id is not None else "",
                    field_title(r.field, plan),
                    describe(r),
                    field_title(src.field, plan) if src else "",
                    f"{risk.accepted:,}",
                    f"{risk.by_outcome.get('rejected', 0):,}",
                    ", ".join(f"#{i}" for i in risk.ids),
                ]
            )
        return out

    headers = [
        "Rule",
        "Field",
        "Rule in words",
        "Carried from",
        "At risk",
        "Also on rejected",
        "Exchanges",
    ]
    widths = ["7%", "18%", "30%", "15%", "8%", "9%", "13%"]
    return blocks + _endpoint_tables(rules, lambda r: r.endpoint, headers, widths, rows)


def _traffic(data: ReportData) -> list[Block]:
    blocks: list[Block] = [Heading(2, "What was captured")]
    if not data.counts:
        return [*blocks, Para("No exchange was captured in this period.")]
    table: dict[str, dict[str, int]] = {}
    for endpoint, outcome, n in data.counts:
        table.setdefault(endpoint, {})[outcome] = table.get(endpoint, {}).get(outcome, 0) + n
    rows: list[list[Inline]] = [
        [[Code(e)], *[f"{by.get(o, 0):,}" for o in OUTCOMES], f"{sum(by.values()):,}"]
        for e, by in sorted(table.items())
    ]
    totals = [sum(by.get(o, 0) for by in table.values()) for o in OUTCOMES]
    rows.append([[Strong("all endpoints")], *[f"{t:,}" for t in totals], f"{sum(totals):,}"])
    headers = ["Endpoint", "Accepted", "Rejected", "Upstream error", "Total"]
    return [*blocks, Table(headers, rows, widths=["44%", "14%", "14%", "14%", "14%"])]


def _footer(data: ReportData, generated_at: datetime | None) -> list[Block]:
    stamp = f" at {generated_at.isoformat(timespec='seconds')}" if generated_at else ""
    who = (
        f"Customers are counted by the pseudonymized value of the first of the plan's "
        f"sensitive fields a request carries (here: {', '.join(data.customer_fields)})."
        if data.customer_fields
        else "Customers are not counted: the plan lists no sensitive field that the requests carry."
    )
    words = ", ".join(f"{k}: {v}" for k, v in CATEGORY_WORDS.items() if k in CATEGORIES)
    return [
        Heading(2, "How this report counts"),
        Para(
            f"Generated by bank-shadow-harness {__version__}{stamp} from the sanitized store; "
            "it names exchanges by id and never shows a field value. A rejection counts for "
            "every rule it breaks that names its code. Verdict categories ("
            + words
            + ") come from the latest replay of each staging target. "
            + who
        ),
    ]


def build_report(
    data: ReportData, plan: Plan | None = None, generated_at: datetime | None = None
) -> list[Block]:
    """The whole report as document blocks: front page, pictures, details."""
    blocks: list[Block] = [Heading(1, title(data))]
    blocks += headline(data, plan)
    blocks += actions_blocks(data, plan)
    blocks.append(Box(notice(data, plan, level=2)))
    blocks += figures(data, plan)
    blocks += _rejections(data)
    blocks += _rules(data, plan)
    blocks += _analogies(data, plan)
    blocks += _traffic(data)
    blocks += _footer(data, generated_at)
    return blocks


def render(
    data: ReportData,
    plan: Plan | None = None,
    fmt: str = "markdown",
    generated_at: datetime | None = None,
) -> str:
    """The report as Markdown, as a self-contained HTML page, or the notice alone."""
    if fmt == "notice":
        return to_markdown(notice(data, plan, level=1))
    blocks = build_report(data, plan, generated_at)
    if fmt == "html":
        return to_html(blocks, title(data))
    return to_markdown(blocks)
