"""One target's answer to one replayed exchange -> a ``replay_results`` row.

Decoded with :mod:`harness.codecs`, flattened with :func:`harness.fields.flatten`, classified
by the same plan as production, compared with production's answer (:mod:`harness.diff`)
and judged (:mod:`harness.verdicts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harness import diff, verdicts
from harness.classify import Classifier
from harness.plan import Plan
from harness.replay.client import RawAnswer
from harness.replay.request import Sample, decoded, header, safe_headers


def decode(raw: RawAnswer) -> Any:
    """The decoded tree of an answer (``None`` without a body)."""
    if raw.error is not None or not raw.body:
        return None
    return decoded(raw.body, header(raw.headers, "content-type"))[0].tree


def learn_noise(classifier: Classifier, a: RawAnswer, b: RawAnswer) -> set[str] | None:
    """Noise paths between two answers to the same request, or ``None`` when the two are not
    comparable (a transport error, another status, outcome or code: the first call changed
    the target's state, e.g. "account already exists").
    """
    if a.error or b.error or a.status != b.status:
        return None
    body_a = decoded(a.body, header(a.headers, "content-type"))[0]
    body_b = decoded(b.body, header(b.headers, "content-type"))[0]
    va = classifier.classify(a.status, a.headers, body_a, None)
    vb = classifier.classify(b.status, b.headers, body_b, None)
    if (va.outcome, va.code) != (vb.outcome, vb.code):
        return None
    return diff.noise_paths(body_a.tree, body_b.tree)


def assess(
    sample: Sample,
    target: str,
    raw: RawAnswer,
    *,
    plan: Plan,
    classifier: Classifier,
    noise: Iterable[str] = (),
    probe: bool = False,
    variant: str = "sanitized",
    secret: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The result row (without ``run_id``) for one exchange and one target."""
    row: dict[str, Any] = {
        "exchange_id": sample.id,
        "target": target,
        "variant": variant,
        "sent_at": raw.sent_at,
        "status": raw.status,
        "headers": safe_headers(raw.headers, plan, secret),
        "body": raw.body if raw.error is None else None,
        "fields": None,
        "latency_ms": raw.latency_ms,
        "error": raw.error,
        "diff": None,
        "code": None,
        "message": None,
    }
    if raw.error is not None:
        row["outcome"] = "upstream_error"
        answer = verdicts.Answer("upstream_error", error=raw.error)
    else:
        body, flat = decoded(raw.body, header(raw.headers, "content-type"))
        verdict = classifier.classify(raw.status, raw.headers, body, None)
        row.update(outcome=verdict.outcome, code=verdict.code, message=verdict.message)
        row["fields"] = flat
        prod_tree = sample.production_tree()
        if prod_tree is not None or body.tree is not None:
            row["diff"] = diff.compare(prod_tree, body.tree, noise)
        answer = verdicts.Answer(verdict.outcome, verdict.code, verdict.message, raw.status)
    row["verdict"] = verdicts.decide(
        sample.production, answer, probe=probe, labels=plan.labels.values()
    )
    return row


def failed(sample: Sample, target: str, reason: str) -> dict[str, Any]:
    """A row for a request that could not even be built (e.g. the signer refused the body)."""
    from harness.timeutil import utcnow

    return {
        "exchange_id": sample.id,
        "target": target,
        "variant": "sanitized",
        "sent_at": utcnow(),
        "status": None,
        "headers": [],
        "body": None,
        "fields": None,
        "latency_ms": None,
        "outcome": "upstream_error",
        "code": None,
        "message": None,
        "error": reason,
        "diff": None,
        "verdict": verdicts.TARGET_ERROR,
    }
