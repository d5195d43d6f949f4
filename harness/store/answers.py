"""Production answers to mirror: one stored (sanitized) answer per endpoint and outcome.

The mock gateway (:mod:`harness.mock`) shapes its answers like production's: for each
endpoint the latest accepted answer, and the latest rejected answer for each rejection code.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from harness.errors import StoreError
from harness.mock import Template
from harness.store.models import Exchange


def _content_type(headers: Iterable[object]) -> str | None:
    for pair in headers or ():
        if (
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and str(pair[0]).lower() == "content-type"
        ):
            return str(pair[1])
    return None


def answer_templates(session: Session, endpoints: Iterable[str] | None = None) -> list[Template]:
    """The latest accepted answer per endpoint and the latest rejected one per endpoint and
    code (only answers with a body that was not truncated)."""
    wanted = list(endpoints) if endpoints is not None else None
    try:
        latest = (
            select(func.max(Exchange.id))
            .where(Exchange.outcome.in_(("accepted", "rejected")))
            .where(Exchange.response_body.is_not(None))
            .where(Exchange.response_truncated.is_(False))
            .group_by(Exchange.endpoint, Exchange.outcome, Exchange.code)
        )
        if wanted is not None:
            latest = latest.where(Exchange.endpoint.in_(wanted))
        ids = [i for i in session.scalars(latest) if i is not None]
        rows: list[Exchange] = []
        if ids:
            query = select(Exchange).where(Exchange.id.in_(ids)).order_by(Exchange.id.desc())
            rows = list(session.scalars(query))
        return [
            Template(
                endpoint=row.endpoint,
                outcome=row.outcome,
                code=row.code,
                status=row.status or 200,
                format=row.response_format,
                charset=row.response_charset,
                body=row.response_body or b"",
                content_type=_content_type(row.response_headers),
            )
            for row in rows
        ]
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
        raise StoreError(
            f"cannot read production answers: {reason[0] if reason else 'error'}"
        ) from None
