"""Capture commands: ``harness flows [show ID]``, ``harness stats`` (``harness proxy`` is
:mod:`harness.cli.sidecar`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

import typer
from rich.markup import escape

from harness.cli import layout
from harness.cli.common import (
    DayOpt,
    DbOpt,
    EndpointOpt,
    JsonOpt,
    SinceOpt,
    UntilOpt,
    WideOpt,
    console,
    iso,
    json_list,
    out,
    print_json,
)
from harness.errors import ConfigError

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).

OutcomeOpt = Annotated[
    str | None, typer.Option("--outcome", help="accepted, rejected or upstream_error.")
]
CodeOpt = Annotated[
    str | None, typer.Option("--code", help="Business (rejection) code, e.g. ED0012.")
]


def _local(ts: datetime | None) -> str:
    if ts is None:
        return ""
    from harness.timeutil import local_tz

    if ts.tzinfo is None:  # SQLite hands back naive UTC
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(local_tz()).isoformat(sep=" ", timespec="milliseconds")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _filter(
    day: str | None,
    since: str | None,
    until: str | None,
    endpoint: str | None,
    outcome: str | None,
    code: str | None,
    instance: str | None = None,
) -> Any:
    from harness.store.queries import ExchangeFilter
    from harness.timeutil import window

    start, end = window(day, since, until)
    return ExchangeFilter(
        start=start, end=end, endpoint=endpoint, outcome=outcome, code=code, instance=instance
    )


InstanceOpt = Annotated[
    str | None,
    typer.Option(
        "--instance",
        metavar="NAME",
        help="Only what this sidecar captured (harness proxy --instance; several may share a store).",
    ),
]


flows_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    pretty_exceptions_show_locals=False,
)


@flows_app.callback()
def flows(
    ctx: typer.Context,
    db: DbOpt = None,
    day: DayOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    endpoint: EndpointOpt = None,
    outcome: OutcomeOpt = None,
    code: CodeOpt = None,
    instance: InstanceOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """List captured exchanges, newest first: id, time, endpoint, outcome, code, message.

    Times are local (HARNESS_TZ, default UTC); --wide adds the HTTP status and duration and
    prints endpoints in full. When more exchanges match than --limit allows, the first line
    says how many matched.

    Example: harness flows --day 2026-11-24 --outcome rejected --endpoint "POST /openapi/v1/vaccount/open"
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db": db}
        return
    from harness.store import open_store
    from harness.store.queries import count_exchanges, list_exchanges

    f = _filter(day, since, until, endpoint, outcome, code, instance)
    if limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {limit!r}")
    factory = open_store(db, create=False)
    with factory() as s:
        rows = list_exchanges(s, f, limit=limit)
        total = count_exchanges(s, f) if len(rows) >= limit else len(rows)
        data = [
            {
                "id": r.id,
                "ts": iso(r.ts),
                "endpoint": r.endpoint,
                "status": r.status,
                "outcome": r.outcome,
                "code": r.code,
                "message": r.message,
                "duration_ms": r.duration_ms,
                "error": r.error,
            }
            for r in rows
        ]
        stamps = [r.ts for r in rows]
    factory.kw["bind"].dispose()
    if as_json:
        print_json(json_list(data, total, limit))
        return
    _flows_table(data, stamps, total, wide, outcome)


def _flows_table(
    data: list[dict[str, Any]], stamps: list[Any], total: int, wide: bool, outcome: str | None
) -> None:
    from harness.timeutil import local_tz

    tz = local_tz()
    day = layout.one_day(stamps, tz)
    prefix = "" if wide else layout.path_prefix(d["endpoint"] for d in data)
    noun = f"{outcome} exchanges" if outcome else "exchanges"
    head = layout.shown_line(len(data), total, noun) + (f" on {day}" if day else "")
    head += layout.under(prefix)
    columns = [
        layout.Column("id", "right"),
        layout.Column("time"),
        layout.Column("endpoint"),
        *([layout.Column("status", "right")] if wide else []),
        *([] if outcome and not wide else [layout.Column("outcome")]),
        layout.Column("code"),
        layout.Column("message", grow=True),
        *([layout.Column("ms", "right")] if wide else []),
    ]
    rows = []
    for d, ts in zip(data, stamps, strict=True):
        ms = d["duration_ms"]
        rows.append(
            [
                str(d["id"]),
                layout.clock(ts, tz, with_day=day is None),
                layout.short_endpoint(d["endpoint"], prefix),
                *(["" if d["status"] is None else str(d["status"])] if wide else []),
                *([] if outcome and not wide else [d["outcome"]]),
                d["code"] or "",
                d["message"] or d["error"] or "",
                *(["" if ms is None else f"{ms:.1f}"] if wide else []),
            ]
        )
    out(wide).print(head, highlight=False)
    layout.show(out(wide), columns, rows, wide)


@flows_app.command("show")
def show(
    ctx: typer.Context,
    exchange_id: Annotated[
        int, typer.Argument(metavar="ID", help="Exchange id (see harness flows).")
    ],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One exchange in full: request and response headers and bodies, decoded and pretty-printed.

    Example: harness flows show 42
    """
    from harness.store import open_store
    from harness.store.queries import get_exchange

    db = db or (ctx.obj or {}).get("db")
    factory = open_store(db, create=False)
    with factory() as s:
        x = get_exchange(s, exchange_id)
        data = _exchange_dict(x)
    factory.kw["bind"].dispose()
    if as_json:
        print_json(data)
        return
    _render_exchange(data)


def _body_text(body: bytes | None, fmt: str, charset: str | None) -> str | None:
    """A stored (sanitized) body as readable text, pretty-printed where the format allows."""
    if body is None:
        return None
    text = body.decode(charset or "utf-8", errors="replace")
    if fmt == "json":
        try:
            return json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        except ValueError:
            return text
    if fmt == "xml":
        from xml.dom import minidom
        from xml.parsers.expat import ExpatError

        try:
            pretty = minidom.parseString(body).toprettyxml(indent="  ")
        except (ExpatError, ValueError):
            return text
        return "\n".join(line for line in pretty.splitlines() if line.strip())
    if fmt == "form":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, encoding=charset or "utf-8")
        except (ValueError, LookupError):
            return text
        return "\n".join(f"{k} = {v}" for k, v in pairs)
    return text


def _exchange_dict(x: Any) -> dict[str, Any]:
    return {
        "id": x.id,
        "ts": iso(x.ts),
        "client": x.client,
        "method": x.method,
        "scheme": x.scheme,
        "host": x.host,
        "path": x.path,
        "endpoint": x.endpoint,
        "outcome": x.outcome,
        "code": x.code,
        "message": x.message,
        "error": x.error,
        "duration_ms": x.duration_ms,
        "request": {
            "headers": x.request_headers,
            "format": x.request_format,
            "charset": x.request_charset,
            "size": x.request_size,
            "truncated": x.request_truncated,
            "body": _body_text(x.request_body, x.request_format, x.request_charset),
            "fields": x.request_fields,
        },
        "response": {
            "status": x.status,
            "headers": x.response_headers,
            "format": x.response_format,
            "charset": x.response_charset,
            "size": x.response_size,
            "truncated": x.response_truncated,
            "body": _body_text(x.response_body, x.response_format, x.response_charset),
            "fields": x.response_fields,
        },
        "notes": x.notes,
        "instance": x.instance,
    }


def _render_exchange(d: dict[str, Any]) -> None:
    from rich.syntax import Syntax

    out = console
    verdict = (
        d["outcome"]
        + (f" {d['code']}" if d["code"] else "")
        + (f" {d['message']}" if d["message"] else "")
    )
    out.print(
        f"[bold]#{d['id']}[/bold] {escape(_local(_parse(d['ts'])))}  {escape(d['endpoint'])}  [bold]{escape(verdict)}[/bold]"
    )
    if d["error"]:
        out.print(f"error: {escape(d['error'])}")
    ms = "" if d["duration_ms"] is None else f"  {d['duration_ms']:.1f} ms"
    out.print(f"client {escape(d['client'] or '?')}{ms}")
    for side in ("request", "response"):
        part = d[side]
        if side == "request":
            head = f"{d['method']} {d['scheme']}://{d['host']}{d['path']}"
        else:
            head = f"HTTP {part['status'] if part['status'] is not None else '-'}"
        out.rule(side)
        out.print(escape(head), highlight=False)
        for name, value in part["headers"]:
            out.print(f"[cyan]{escape(name)}[/cyan]: {escape(value)}", highlight=False)
        trunc = ", truncated" if part["truncated"] else ""
        charset = f", {part['charset']}" if part["charset"] else ""
        out.print(f"[dim]({part['format']}{charset}, {part['size']} bytes{trunc})[/dim]")
        if part["body"] is not None:
            lexer = {"json": "json", "xml": "xml"}.get(part["format"])
            if lexer:
                out.print(Syntax(part["body"], lexer, word_wrap=True, theme="ansi_dark"))
            else:
                out.print(escape(part["body"]), highlight=False)
    if d["notes"]:
        out.rule("notes")
        out.print(escape(json.dumps(d["notes"], ensure_ascii=False)), highlight=False)


def stats(
    db: DbOpt = None,
    day: DayOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    endpoint: EndpointOpt = None,
    instance: InstanceOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Counts of captured exchanges by endpoint x outcome x code.

    Example: harness stats --day 2026-11-24
    """
    from harness.store import open_store
    from harness.store.queries import stats as count_by

    f = _filter(day, since, until, endpoint, None, None, instance)
    factory = open_store(db, create=False)
    with factory() as s:
        rows = count_by(s, f)
    factory.kw["bind"].dispose()
    if as_json:
        items = [
            {"endpoint": r.endpoint, "outcome": r.outcome, "code": r.code, "count": r.count}
            for r in rows
        ]
        print_json(json_list(items))
        return
    total = sum(r.count for r in rows)
    prefix = "" if wide else layout.path_prefix(r.endpoint for r in rows)
    table = layout.table(
        [
            layout.Column("endpoint"),
            layout.Column("outcome"),
            layout.Column("code"),
            layout.Column("count", "right"),
        ],
        f"{total:,} exchanges" + layout.under(prefix),
        wide,
    )
    for r in rows:
        table.add_row(
            layout.short_endpoint(r.endpoint, prefix), r.outcome, r.code or "", f"{r.count:,}"
        )
    out(wide).print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(flows_app, name="flows")
    app.command("stats")(stats)
