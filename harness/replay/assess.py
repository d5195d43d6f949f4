"""One target's answer to one replayed exchange -> a ``replay_results`` row.

Decoded with :mod:`harness.codecs`, flattened with :func:`harness.codecs.fields.flatten`, classified
by the same plan as production, compared with production's answer (:mod:`harness.replay.diff`)
and judged (:mod:`harness.outcome.verdicts`).

A replay step is *build the request, send it (twice for noise), then assess the answer*.
:class:`Assessor` is the assessing half for a whole run, the same object wherever it runs:
in the replay's event loop (:class:`harness.replay.sinks.InlineSink`) or in the recording
process (:mod:`harness.replay.worker`), which keeps classification, diffs and result
writing off the process that sends. It returns result rows; the caller writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harness.outcome import verdicts
from harness.outcome.classify import Classifier
from harness.plan import Plan
from harness.replay import diff
from harness.replay.answer import RawAnswer
from harness.replay.request import Sample, decoded, header, safe_headers
from harness.replay.summary import Findings, Tally
from harness.timeutil import utcnow


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
        got = classifier.classify(raw.status, raw.headers, body, None)
        row.update(outcome=got.outcome, code=got.code, message=got.message)
        row["fields"] = flat
        prod_tree = sample.production_tree()
        if prod_tree is not None or body.tree is not None:
            row["diff"] = _compare(sample, prod_tree, raw, body.tree, noise)
        answer = verdicts.Answer(got.outcome, got.code, got.message, raw.status)
    row["verdict"] = verdicts.decide(
        sample.production, answer, probe=probe, labels=plan.labels.values()
    )
    return row


# Replays repeat themselves: the same production answer met by the same target answer, a
# thousand times. Small pairs are compared once per run of the process, keyed by their
# bytes (cheaper than diff.compare's own key, which canonicalizes the decoded trees).
MEMO_BODY = 4096  # bytes per side, at most, for a pair to be remembered
MEMO_PAIRS = 1024
_MEMO: dict[tuple[bytes, str | None, bytes, str | None, frozenset[str]], dict[str, Any]] = {}


def _compare(
    sample: Sample, prod_tree: Any, raw: RawAnswer, tree: Any, noise: Iterable[str]
) -> dict[str, Any]:
    """:func:`harness.replay.diff.compare` of production's answer and the target's (read-only)."""
    if len(sample.response_body) > MEMO_BODY or len(raw.body) > MEMO_BODY:
        return diff.compare(prod_tree, tree, noise)
    key = (
        sample.response_body,
        header(sample.response_headers, "content-type"),
        raw.body,
        header(raw.headers, "content-type"),
        frozenset(noise),
    )
    report = _MEMO.get(key)
    if report is None:
        report = diff.compare(prod_tree, tree, key[4])
        if len(_MEMO) >= MEMO_PAIRS:
            del _MEMO[next(iter(_MEMO))]
        _MEMO[key] = report
    return report


def failed(sample: Sample, target: str, reason: str) -> dict[str, Any]:
    """A row for a request that could not even be built (e.g. the signer refused the body)."""
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


class Assessor:
    """One run's assessments: learns noise from answer pairs, turns answers into result
    rows, and tallies them in :attr:`findings`.

    Order is part of the contract, because the classifier learns a success code from what
    it has seen when the plan names none: give it the noise pairs first (:meth:`pair`), then
    call :meth:`firsts`, then :meth:`record` each later answer in the order they came back.
    Targets in ``probes`` imitate production (:func:`probes_of`). Not thread-safe.
    """

    def __init__(self, plan: Plan, probes: Iterable[str] = ()) -> None:
        self.plan = plan
        self.classifier = Classifier(plan)
        self.secret = plan.secret_headers
        self.probes = frozenset(probes)
        self.findings = Findings()
        self._firsts: list[tuple[Sample, str, RawAnswer]] = []

    def pair(self, sample: Sample, target: str, first: RawAnswer, second: RawAnswer) -> None:
        """Two answers to the same request: their differences are the endpoint's noise.

        The first answer is kept, to become a result when :meth:`firsts` is called.
        """
        found = learn_noise(self.classifier, first, second)
        if found is None:
            self.findings.unstable[sample.endpoint] += 1
        else:
            self.findings.noise[sample.endpoint] |= found
        self._firsts.append((sample, target, first))

    def firsts(self) -> list[dict[str, Any]]:
        """The result rows of the kept first answers, once every noise pair is in."""
        kept, self._firsts = self._firsts, []
        return [self.record(sample, target, answer) for sample, target, answer in kept]

    def record(
        self, sample: Sample, target: str, answer: RawAnswer | None, reason: str | None = None
    ) -> dict[str, Any]:
        """The result row (without ``run_id``) for one answer, tallied; ``answer`` None means
        the request was never sent, for ``reason``.
        """
        if answer is None:
            row = failed(sample, target, reason or "not sent")
        else:
            row = assess(
                sample,
                target,
                answer,
                plan=self.plan,
                classifier=self.classifier,
                noise=(*self.plan.noise, *self.findings.noise.get(sample.endpoint, ())),
                probe=target in self.probes,
                secret=self.secret,
            )
        production = sample.production
        self.findings.tallies.append(
            Tally(
                sample.id,
                sample.endpoint,
                production.outcome,
                production.code,
                target,
                row["verdict"],
            )
        )
        return row


def probes_of(targets: Iterable[str], plan: Plan) -> frozenset[str]:
    """The targets that imitate production (a ``mock``, or the plan's ``probe`` list)."""
    return frozenset(t for t in targets if verdicts.is_probe(t, plan.probe_targets))
