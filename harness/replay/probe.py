"""The edge of probing: send a stored exchange, with some request fields replaced, to a
probe-able target, and classify its answer.

It lives with replay because it does I/O (an HTTP client and the replay machinery); the
search itself (:mod:`harness.learn.probe`) stays pure and is imported without it. Requests are built as replay builds them: the stored sanitized body,
decoded, the changed leaves set, encoded in its own format and charset, signed afresh by
the plan's signer; production targets are refused (:func:`harness.replay.check_targets`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from harness import codecs
from harness.codecs.fields import flatten, set_value
from harness.errors import SignerError
from harness.outcome.classify import Classified, Classifier
from harness.plan import Plan
from harness.replay import Sample, check_targets
from harness.replay.client import Sender
from harness.replay.request import header
from harness.replay.safety import check_captured
from harness.replay.sending import Sending
from harness.replay.step import Step
from harness.rules import as_text
from harness.targets.resolve import resolve


class HttpSend:
    """``send(base_id, fields) -> Classified`` over HTTP; ``load(base_id)`` gives the stored
    exchange (an ``Exchange`` or a mapping with its column names).

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        load: Callable[[Any], Any],
        plan: Plan,
        target: str,
        url: str,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        check_targets({target: url}, plan)
        self.target = target
        self.load = load
        self.plan = plan
        self.url = url
        # The plan's settings for this target (headers, signer, TLS), resolved now.
        sending = Sending.of(resolve(plan, {target: url}, environ=environ), plan, environ)
        self.step = Step({target: url}, plan, sending)
        self.classifier = Classifier(plan)
        self.sent = 0
        self.errors = 0  # transport failures (the target down, a timeout)
        self._cache: dict[Any, tuple[Sample, codecs.Body]] = {}
        self._loop = asyncio.new_event_loop()
        self._sender = Sender(concurrency=1, rate=0.0, timeout=timeout)
        self._loop.run_until_complete(self._sender.__aenter__())

    def __enter__(self) -> HttpSend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._sender.__aexit__(None, None, None))
            self._loop.close()

    def _base(self, base_id: Any) -> tuple[Sample, codecs.Body]:
        if base_id not in self._cache:
            row = self.load(base_id)
            check_captured({self.target: self.url}, row)  # never where it was captured from
            sample = Sample.from_row(row)
            body = codecs.decode(sample.body, header(sample.headers, "content-type"))
            self._cache[base_id] = (sample, body)
        return self._cache[base_id]

    def request_body(self, base_id: Any, fields: Mapping[str, Any]) -> bytes:
        """The stored body of ``base_id`` with ``fields`` set (changed leaves only)."""
        sample, body = self._base(base_id)
        tree = body.tree
        current = flatten(tree) if tree is not None else {}
        changed = False
        for path, value in fields.items():
            old = current.get(path)
            if path in current and as_text(old) == as_text(value):
                continue
            if isinstance(old, codecs.JsonNumber) and isinstance(value, str):
                value = codecs.JsonNumber(value)
            tree = set_value(tree, path, value)
            changed = True
        if not changed:
            return sample.body
        return codecs.encode(dataclasses.replace(body, tree=tree))

    def __call__(self, base_id: Any, fields: dict[str, Any]) -> Classified:
        sample, _ = self._base(base_id)
        variant = dataclasses.replace(sample, body=self.request_body(base_id, fields))
        sent = self._loop.run_until_complete(self.step(self._sender, variant, self.target))
        if sent.failure is not None:
            raise SignerError(sent.failure)
        self.sent += 1
        raw = sent.answers[0]
        if raw.error is not None:
            self.errors += 1
            return Classified("upstream_error")
        answer = codecs.decode(raw.body, header(raw.headers, "content-type"))
        return self.classifier.classify(raw.status, raw.headers, answer, None)
