"""``harness mock``: serve the mock gateway that enforces the learned rules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harness.cli.common import DbOpt, PlanOpt
from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.mock import AnswerTemplate
    from harness.rules import RuleSpec

# Library imports live inside the commands: start-up (see harness/cli/__init__.py).

STATES = ("confirmed", "suspected")


def parse_states(text: str) -> tuple[str, ...]:
    """``confirmed,suspected`` -> a tuple of rule states the mock enforces."""
    states = tuple(s.strip() for s in text.split(",") if s.strip())
    if not states:
        raise ConfigError("--state names no rule state")
    for state in states:
        if state == "retired":
            raise ConfigError("--state: retired rules are never enforced")
        if state not in STATES:
            raise ConfigError(f"--state: unknown rule state {state!r} (want {', '.join(STATES)})")
    return states


def read_rules_file(path: str) -> list[RuleSpec]:
    from harness.export import load_rules_yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"rules file not found: {str(p)!r}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read rules file {str(p)!r}: {exc}") from None
    return load_rules_yaml(text)


def mock(
    db: DbOpt = None,
    plan: PlanOpt = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="Rules from a YAML export (harness rules export --format yaml) instead of the store.",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 18082,
    state: Annotated[
        str,
        typer.Option("--state", help="Rule states to enforce, comma-separated."),
    ] = "confirmed",
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Enforce suspected rules too (rules with little evidence: more rejections "
            "caught, more valid requests refused).",
        ),
    ] = False,
) -> None:
    """Serve a mock bank gateway that enforces the learned rules and answers like production.

    Each request is decoded, its endpoint found with the plan's templates, and its fields
    checked against that endpoint's rules: a violation gets the production rejection the
    rule explains (code and message where the plan says, production's status, in the
    request's format and charset); a body that is not a document gets production's
    malformed-body rejection, an unknown route a 404 in the gateway's style; anything else
    a success shaped like production's. Answers mirror stored production answers when the
    store has them. Rules come from the store (--db) or a YAML export (--rules). Confirmed
    rules are enforced by default, suspected ones too with --strict; retired rules never.
    Stop it with Ctrl-C.

    Example: harness mock --plan replays/simbank.yaml --rules rules.yaml --port 18082
    """
    from harness.mock import MockGateway, run
    from harness.plan import load_plan

    states = parse_states(state)
    if strict and "suspected" not in states:
        states = (*states, "suspected")
    the_plan = load_plan(plan)
    templates = []
    if rules is not None:
        specs = read_rules_file(rules)
        if db is not None:
            templates = _templates(db)
    else:
        from harness.mock.templates import answer_templates
        from harness.store import opened
        from harness.store.rules import load_rules

        with opened(db) as factory, factory.begin() as session:
            specs = load_rules(session)
            templates = answer_templates(session)
    gateway = MockGateway(specs, the_plan, templates, states)

    def ready(url: str) -> None:
        typer.echo(
            f"mock gateway on {url}: {gateway.rule_count} rules on {len(gateway.rules)} "
            f"endpoint(s), {len(templates)} production answer(s) mirrored (Ctrl-C stops)"
        )

    try:
        run(gateway, host, port, ready)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _templates(db: str) -> list[AnswerTemplate]:
    from harness.mock.templates import answer_templates
    from harness.store import opened

    with opened(db) as factory, factory.begin() as session:
        return answer_templates(session)


def register(app: typer.Typer) -> None:
    app.command("mock")(mock)
