"""The mock gateway's decisions, pure: a request in (method, path, content type, body,
content encoding), the answer production would give out (:class:`MockAnswer`).

See :mod:`harness.mock` for what it answers and why; :mod:`harness.mock.server` serves it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness import codecs
from harness.codecs import fields
from harness.errors import CodecError, ConfigError, HarnessError
from harness.plan import DEFAULT_CODE_KEYS, DEFAULT_MESSAGE_KEYS, Plan
from harness.plan.endpoint import endpoint_key
from harness.rules import RuleSpec, compiled, describe, kind_of
from harness.vocab import RuleState

log = logging.getLogger("harness.mock")

RULE_HEADER = "X-Harness-Rule"
DEFAULT_SUCCESS_CODE = "000000"
DEFAULT_SUCCESS_MESSAGE = "OK"
DEFAULT_REJECT_CODE = "INVALID"
DEFAULT_STATES: tuple[RuleState, ...] = ("confirmed",)
STRICT_STATES: tuple[RuleState, ...] = ("confirmed", "suspected")
REJECT_STATUS = 400  # a rejection's status when no production answer says otherwise
MAX_BODY = 16 * 1024 * 1024
DOCUMENTS = ("json", "xml", "form")
MALFORMED_MESSAGE = "malformed request body"
NOT_FOUND_MESSAGE = "no such interface"


@dataclass(frozen=True)
class AnswerTemplate:
    """One production answer to mirror (already sanitized in the store).

    ``role``: ``answer`` (an accepted or rejected answer of the endpoint), ``malformed``
    (the rejection of a request whose body did not parse) or ``not_found`` (an unknown
    route's answer).
    """

    endpoint: str
    outcome: str  # accepted | rejected
    code: str | None
    status: int
    format: str
    charset: str | None
    body: bytes
    content_type: str | None = None
    role: str = "answer"


@dataclass(frozen=True)
class MockAnswer:
    status: int
    content_type: str
    body: bytes
    rule: RuleSpec | None = None
    endpoint: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def _segments(path: str) -> int:
    try:
        return len(fields.split_path(path))
    except ConfigError:  # a malformed plan path: treat it as deep, never pick it first
        return 99


def _pick(paths: Sequence[str], xml: bool) -> int | None:
    """Index of the path to use for a synthesized answer (header: paths excluded)."""
    body_paths = [(i, p) for i, p in enumerate(paths) if not p.startswith("header:")]
    if not body_paths:
        return None
    if xml:
        deep = [i for i, p in body_paths if _segments(p) >= 2]
        return deep[0] if deep else None
    flat = [i for i, p in body_paths if _segments(p) == 1]
    return flat[0] if flat else body_paths[0][0]


class MockGateway:
    """Rules + plan + templates -> answers. Pure of HTTP: :func:`make_app` serves it."""

    def __init__(
        self,
        rules: Iterable[RuleSpec],
        plan: Plan,
        templates: Iterable[AnswerTemplate] = (),
        states: Iterable[str] = DEFAULT_STATES,
        max_body: int = MAX_BODY,
    ) -> None:
        self.plan = plan
        self.max_body = max_body
        self.states = tuple(s for s in states if s != "retired")
        self.rules: dict[str, list[RuleSpec]] = {}
        for rule in rules:
            if rule.state in self.states:
                self.rules.setdefault(rule.endpoint, []).append(rule)
        self.accepted: dict[str, AnswerTemplate] = {}
        self.rejected: dict[tuple[str, str | None], AnswerTemplate] = {}
        self.rejected_any: dict[str, AnswerTemplate] = {}
        self.malformed: dict[str, AnswerTemplate] = {}
        self.not_found: AnswerTemplate | None = None
        self.any_rejection: AnswerTemplate | None = None
        self.known: set[str] = set(self.rules) | set(plan.endpoints)
        for t in templates:
            if t.role == "not_found":
                self.not_found = self.not_found or t
                continue
            self.known.add(t.endpoint)
            if t.role == "malformed":
                self.malformed.setdefault(t.endpoint, t)
            elif t.outcome == "accepted":
                self.accepted.setdefault(t.endpoint, t)
            elif t.outcome == "rejected":
                self.rejected.setdefault((t.endpoint, t.code), t)
                self.rejected_any.setdefault(t.endpoint, t)
                self.any_rejection = self.any_rejection or t
        self.success_code = plan.success_codes[0] if plan.success_codes else None
        self._codes = {ep: _generic_code(rules) for ep, rules in self.rules.items()}
        self._checks = {ep: compiled(rules, ep) for ep, rules in self.rules.items()}
        self._envelopes: dict[tuple[Any, ...], tuple[str, bytes]] = {}

    @property
    def rule_count(self) -> int:
        return sum(len(v) for v in self.rules.values())

    # --- deciding ------------------------------------------------------------------------

    def breaking(self, endpoint: str, tree: Any) -> RuleSpec | None:
        """The rule that answers for this request, or None when it passes."""
        check = self._checks.get(endpoint)
        if check is None:
            return None
        flat = fields.flatten(tree) if tree is not None else {}
        broken = check(flat)
        if not broken:
            return None
        order: dict[str, int] = {}
        for i, path in enumerate(flat):
            order.setdefault(fields.rule_path(path), i)

        def rank(rule: RuleSpec) -> tuple[int, bool, int, int]:
            # A rule with production's own code for it answers before one carried by
            # analogy (which would answer with the endpoint's generic code).
            return (
                kind_of(rule).priority,
                rule.code is None,
                order.get(rule.field, -1),
                -rule.support,
            )

        return min(broken, key=rank)

    def answer(
        self,
        method: str,
        path: str,
        content_type: str | None,
        body: bytes,
        content_encoding: str | None = None,
    ) -> MockAnswer:
        """What the mock answers to one request."""
        endpoint = endpoint_key(method, path.split("?", 1)[0], self.plan.endpoints)
        if endpoint not in self.known:
            return self._not_found(endpoint, codecs.decode(b"", content_type))
        try:
            decoded = codecs.decode_content_encoding(body, content_encoding, self.max_body)
        except CodecError:  # an encoding it cannot undo, or a body that does not decode
            return self._malformed(endpoint, codecs.decode(b"", content_type))
        if decoded.truncated:  # a bomb, or a body beyond the limit once decoded
            return self._malformed(endpoint, codecs.decode(b"", content_type))
        data = decoded.data
        request = codecs.decode(data, content_type, layout=False)
        if data and (request.format not in DOCUMENTS or not isinstance(request.tree, dict)):
            return self._malformed(endpoint, request)
        tree = request.tree if request.format in DOCUMENTS else None
        rule = self.breaking(endpoint, tree)
        if rule is None:
            return self._success(endpoint, request)
        return self._rejection(endpoint, request, rule)

    # --- answering -----------------------------------------------------------------------

    def _success(self, endpoint: str, request: codecs.Body) -> MockAnswer:
        template = self.accepted.get(endpoint)
        code = self.success_code
        if template is not None:
            built = self._from_template(template, code, None, keep_message=True)
            if built is not None:
                return MockAnswer(template.status, built[0], built[1], None, endpoint)
        status = self.plan.success_status[0] if self.plan.success_status else 200
        ctype, data = self._synthesize(
            request, code or DEFAULT_SUCCESS_CODE, DEFAULT_SUCCESS_MESSAGE, success=True
        )
        return MockAnswer(status, ctype, data, None, endpoint)

    def _rejection(self, endpoint: str, request: codecs.Body, rule: RuleSpec) -> MockAnswer:
        code = rule.code or self._generic(endpoint)
        label = self.plan.label_for(rule.field) or fields.name_of(rule.field) or rule.field
        message = rule.message or f"{label}: {describe(rule)}"
        header = str(rule.id if rule.id is not None else rule.key)
        exact = self.rejected.get((endpoint, code))
        if exact is None:
            exact = next((t for (_, c), t in self.rejected.items() if c == code), None)
        template = exact or self.rejected_any.get(endpoint) or self.any_rejection
        return self._reject(endpoint, request, template, code, message, header, rule)

    def _malformed(self, endpoint: str, request: codecs.Body) -> MockAnswer:
        template = self.malformed.get(endpoint) or next(iter(self.malformed.values()), None)
        if template is not None:
            code, message = template.code, None
        else:
            template = self.rejected_any.get(endpoint) or self.any_rejection
            code, message = self._generic(endpoint), MALFORMED_MESSAGE
        return self._reject(endpoint, request, template, code, message, "malformed")

    def _not_found(self, endpoint: str, request: codecs.Body) -> MockAnswer:
        if self.not_found is not None:
            built = self._from_template(
                self.not_found, self.not_found.code, None, keep_message=True
            )
            if built is not None:
                headers = {RULE_HEADER: "not-found"}
                return MockAnswer(
                    self.not_found.status, built[0], built[1], None, endpoint, headers
                )
        template = self.any_rejection
        code = template.code if template is not None else self._generic(endpoint)
        answer = self._reject(endpoint, request, template, code, NOT_FOUND_MESSAGE, "not-found")
        return MockAnswer(404, answer.content_type, answer.body, None, endpoint, answer.headers)

    def _reject(
        self,
        endpoint: str,
        request: codecs.Body,
        template: AnswerTemplate | None,
        code: str | None,
        message: str | None,
        header: str,
        rule: RuleSpec | None = None,
    ) -> MockAnswer:
        """A rejection in ``template``'s envelope and status (else a synthesized one)."""
        headers = {RULE_HEADER: header}
        code = code or DEFAULT_REJECT_CODE
        if template is not None:
            built = self._from_template(template, code, message, keep_message=message is None)
            if built is not None:
                return MockAnswer(template.status, built[0], built[1], rule, endpoint, headers)
        ctype, data = self._synthesize(request, code, message or "", success=False)
        return MockAnswer(REJECT_STATUS, ctype, data, rule, endpoint, headers)

    def _generic(self, endpoint: str) -> str | None:
        """The code production rejects ``endpoint`` with when a rule has none of its own:
        the endpoint's most supported rule code, else a captured rejection's code."""
        code = self._codes.get(endpoint)
        if code:
            return code
        template = self.rejected_any.get(endpoint) or self.any_rejection
        return template.code if template is not None else None

    def _code_paths(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (
            self.plan.code_paths or DEFAULT_CODE_KEYS,
            self.plan.message_paths or DEFAULT_MESSAGE_KEYS,
        )

    def _from_template(
        self,
        template: AnswerTemplate,
        code: str | None,
        message: str | None,
        keep_message: bool = False,
    ) -> tuple[str, bytes] | None:
        """The template with code and message replaced; None when it does not decode."""
        body = codecs.decode(
            template.body,
            template.content_type
            or codecs.content_type_for(codecs.Body(template.format, template.charset, None, {})),
        )
        if body.format not in ("json", "xml", "form"):
            return None
        tree = body.tree
        code_paths, message_paths = self._code_paths()
        for paths, value in (
            (code_paths, code),
            (message_paths, None if keep_message else message),
        ):
            if value is None:
                continue
            for p in paths:
                if p.startswith("header:"):
                    continue
                try:
                    if fields.get(tree, p) is not None:
                        tree = fields.set_value(tree, p, value)
                        break
                except HarnessError:  # a plan path this template cannot hold
                    continue
        try:
            data = codecs.encode(codecs.Body(body.format, body.charset, tree, body.meta))
        except HarnessError:  # a template the codec cannot rebuild: fall back to synthesizing
            return None
        return template.content_type or codecs.content_type_for(body), data

    def _synthesize(
        self, request: codecs.Body, code: str, message: str, success: bool
    ) -> tuple[str, bytes]:
        """A minimal production-like envelope in the request's format and charset (built
        once per format, charset, code and message)."""
        key = (request.format, request.charset, code, message, success)
        found = self._envelopes.get(key)
        if found is None:
            if len(self._envelopes) >= 4096:  # messages naming fields: bounded all the same
                self._envelopes.clear()
            found = self._envelopes[key] = self._envelope(request, code, message, success)
        return found

    def _envelope(
        self, request: codecs.Body, code: str, message: str, success: bool
    ) -> tuple[str, bytes]:
        xml = request.format == "xml"
        # The plan's paths, else the most common envelope: {"code": ..., "msg": ...}.
        code_paths, message_paths = self.plan.code_paths, self.plan.message_paths
        ci = _pick(code_paths, xml)
        mi = _pick(message_paths, xml)
        if ci is None:
            code_path, message_path = (
                ("Response.RspCode", "Response.RspMsg") if xml else ("code", "msg")
            )
        else:
            code_path = code_paths[ci]
            if (
                mi is not None
                and len(message_paths) == len(code_paths)
                and not message_paths[ci].startswith("header:")
            ):
                mi = ci
            message_path = message_paths[mi] if mi is not None else None  # type: ignore[assignment]
        tree: Any = fields.set_value({}, code_path, code)
        if message_path:
            tree = fields.set_value(tree, message_path, message)
        if success and not xml and _segments(code_path) == 1:
            tree["data"] = {}
        charset = request.charset or ("gbk" if xml else "utf-8")
        answer = codecs.Body("xml" if xml else "json", charset, tree, {})
        try:
            data = codecs.encode(answer)
        except CodecError:  # a charset the codec cannot write: answer in UTF-8
            answer = codecs.Body(answer.format, "utf-8", tree, {})
            data = codecs.encode(answer)
        return codecs.content_type_for(answer), data


# --- HTTP --------------------------------------------------------------------------------


def _generic_code(rules: Iterable[RuleSpec]) -> str | None:
    support: dict[str, int] = {}
    for rule in rules:
        if rule.code:
            support[rule.code] = support.get(rule.code, 0) + max(rule.support, 1)
    return max(support, key=lambda c: (support[c], c)) if support else None
