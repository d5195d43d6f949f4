"""Production answers to mirror: one stored (sanitized) answer per endpoint and outcome.

The mock gateway (:mod:`harness.mock`) shapes its answers like production's: for each
endpoint the latest accepted answer and the latest rejected answer for each rejection
code; the latest rejection of a request whose body did not parse, per endpoint (how the
gateway answers a malformed body); and the latest 404 (how it answers an unknown route).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from harness.errors import StoreError
from harness.mock import AnswerTemplate
from harness.store.models import Exchange

UNPARSED = ("text", "binary")  # request bodies that did not parse as a document


def _content_type(headers: Iterable[object]) -> str | None:
    for pair in headers or ():
        if (
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and str(pair[0]).lower() == "content-type"
        ):
            return str(pair[1])
    return None


def _template(row: Exchange, role: str = "answer") -> AnswerTemplate:
    return AnswerTemplate(
        endpoint=row.endpoint,
        outcome=row.outcome,
        code=row.code,
        status=row.status or 200,
        format=row.response_format,
        charset=row.response_charset,
        body=row.response_body or b"",
        content_type=_content_type(row.response_headers),
        role=role,
    )


def answer_templates(
    session: Session, endpoints: Iterable[str] | None = None
) -> list[AnswerTemplate]:
    """The latest accepted answer per endpoint and the latest rejected one per endpoint and
    code, the latest malformed-body rejection per endpoint and the latest 404 (only answers
    with a body that was not truncated)."""
    wanted = list(endpoints) if endpoints is not None else None
    with_body = (Exchange.response_body.is_not(None), Exchange.response_truncated.is_(False))
    try:
        latest = (
            select(func.max(Exchange.id))
            .where(Exchange.outcome.in_(("accepted", "rejected")), *with_body)
            .where(Exchange.status != 404)
            .group_by(Exchange.endpoint, Exchange.outcome, Exchange.code)
        )
        malformed = (
            select(func.max(Exchange.id))
            .where(Exchange.outcome == "rejected", *with_body)
            .where(Exchange.request_format.in_(UNPARSED), Exchange.request_size > 0)
            .group_by(Exchange.endpoint)
        )
        if wanted is not None:
            latest = latest.where(Exchange.endpoint.in_(wanted))
            malformed = malformed.where(Exchange.endpoint.in_(wanted))
        not_found = select(func.max(Exchange.id)).where(Exchange.status == 404, *with_body)
        roles: dict[int, str] = {}
        for role, ids in (("answer", latest), ("malformed", malformed), ("not_found", not_found)):
            for i in session.scalars(ids):
                if i is not None:
                    roles.setdefault(i, role)
        rows: list[Exchange] = []
        if roles:
            query = select(Exchange).where(Exchange.id.in_(roles)).order_by(Exchange.id.desc())
            rows = list(session.scalars(query))
        out = [_template(row) for row in rows if roles[row.id] == "answer"]
        # A malformed-body rejection is also the latest answer for its code: mirror it both ways.
        out += [
            _template(row, "malformed")
            for row in rows
            if roles[row.id] != "not_found" and row.request_format in UNPARSED
        ]
        out += [_template(row, "not_found") for row in rows if roles[row.id] == "not_found"]
        return out
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
        raise StoreError(
            f"cannot read production answers: {reason[0] if reason else 'error'}"
        ) from None
