"""Outcome of an exchange: ``accepted``, ``rejected`` or ``upstream_error``, with code and message.

Bank gateways answer business rejections with HTTP 200 and a code; HTTP statuses alone say
little. :class:`Classifier` reads a response the way the plan describes it:

- **code and message**: the plan's ``response.code`` / ``response.message`` paths into the
  decoded body (:mod:`harness.codecs.fields` paths; a path missing verbatim also matches the
  shallowest leaf it names, as plan entries do) or ``header:Name``. Without them, the keys
  of :data:`harness.plan.DEFAULT_CODE_KEYS` / ``DEFAULT_MESSAGE_KEYS`` are searched,
  case-insensitively, at depth 1 and then depth 2 of the body (an XML body's root element
  does not count as a level, so ``<Response><Head><RspCode>`` is depth 2).
- **no response** (``status`` None, or a transport ``error``): ``upstream_error``.
- **status in** ``plan.upstream_error_status`` (502/503/504 by default): ``upstream_error``.
- **a success status** (``plan.success_status``; without a plan, any 2xx: 200, 201, 202,
  ...): ``accepted`` when no code is found or the code is a success code, else
  ``rejected``. Success codes come from ``plan.success_codes``; when the plan has none, the
  classifier learns one: among the codes seen so far in 2xx answers, a conventional
  success code (all zeros, ``200``, ``ok``, ``success``) if one was seen, else the most
  frequent code, unless more 2xx answers carry no code at all (then none is a success code). Without a plan, an answer with no code but a top-level indicator word
  (``result``, ``status``, ``success``...) that means failure (``NG``, ``FAIL``,
  ``ERROR``, ``false``...) is ``rejected`` too.
- **any other status**: ``rejected``, with the body's code or else the status as the code.

Rejections are grouped by signature (:mod:`harness.outcome.signature`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.codecs import fields
from harness.plan import (
    DEFAULT_CODE_KEYS,
    DEFAULT_INDICATOR_KEYS,
    DEFAULT_MESSAGE_KEYS,
    Plan,
    default_plan,
)
from harness.vocab import OUTCOMES, ExchangeOutcome

__all__ = ["OUTCOMES", "Classifier", "Classified"]

_CONVENTIONAL_SUCCESS = re.compile(r"0+|200|ok|success(ful)?|succeed(ed)?", re.IGNORECASE)

Headers = Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[list[str]] | None


@dataclass(frozen=True)
class Classified:
    """What a response means: outcome, and the bank's code and message when it gave them.
    (A *verdict* is replay's word: what a target's answer says about production's.)"""

    outcome: ExchangeOutcome
    code: str | None = None
    message: str | None = None


def _header(headers: Headers, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.strip().lower()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for pair in pairs:
        key, value = pair[0], pair[1]
        if str(key).lower() == wanted:
            return str(value)
    return None


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    text = str(value).strip()
    return text or None


def _root(body: Any) -> Any:
    if body is None:
        return None
    tree = getattr(body, "tree", body)
    if getattr(body, "format", None) == "xml" and isinstance(tree, dict) and len(tree) == 1:
        return next(iter(tree.values()))
    return tree


def _by_paths(paths: tuple[str, ...], headers: Headers, body: Any) -> str | None:
    tree = getattr(body, "tree", body) if body is not None else None
    for path in paths:
        if path.lower().startswith("header:"):
            found = _scalar(_header(headers, path.split(":", 1)[1]))
        else:
            found = _scalar(fields.get(tree, path)) if tree is not None else None
            if found is None and isinstance(tree, (dict, list)):
                found = _shallowest(tree, path)
        if found is not None:
            return found
    return None


def _shallowest(tree: Any, pattern: str) -> str | None:
    best: tuple[int, str] | None = None
    for path, leaf in fields.iter_leaves(tree):
        value = _scalar(leaf)
        if value is None or not fields.matches(pattern, path):
            continue
        depth = path.count(".") + path.count("[")
        if best is None or depth < best[0]:
            best = (depth, value)
    return best[1] if best else None


def _by_keys(keys: tuple[str, ...], body: Any) -> str | None:
    root = _root(body)
    if not isinstance(root, dict):
        return None
    wanted = [k.lower() for k in keys]
    found = _in_dict(root, wanted)
    if found is not None:
        return found
    for value in root.values():
        if isinstance(value, dict):
            found = _in_dict(value, wanted)
            if found is not None:
                return found
    return None


def _in_dict(d: dict[str, Any], wanted: list[str]) -> str | None:
    lowered: dict[str, Any] = {}
    for k, v in d.items():
        lowered.setdefault(str(k).lower(), v)
    for key in wanted:
        if key in lowered:
            value = _scalar(lowered[key])
            if value is not None:
                return value
    return None


_FAILURE = re.compile(
    r"ng|fail(ed|ure)?|err(or)?|false|rejected|refused|denied|invalid|ko", re.IGNORECASE
)


def _failure_word(body: Any) -> str | None:
    """A top-level indicator that says the request failed (``{"result": "NG"}``), or None."""
    root = _root(body)
    if not isinstance(root, dict):
        return None
    found = _in_dict(root, [k.lower() for k in DEFAULT_INDICATOR_KEYS])
    return found if found is not None and _FAILURE.fullmatch(found) else None


class Classifier:
    """Classifies responses under one plan; learns the success code when the plan has none.

    One instance per stream of exchanges (it keeps a counter of 2xx codes); not thread-safe.
    """

    def __init__(self, plan: Plan | None = None) -> None:
        self.plan = plan or default_plan()
        self.codes: Counter[str] = Counter()
        self.codeless = 0  # 2xx answers without a code (then a code means a rejection)

    @property
    def success_code(self) -> str | None:
        """The success code learned so far (None before any 2xx code was seen)."""
        conventional = [(n, c) for c, n in self.codes.items() if _CONVENTIONAL_SUCCESS.fullmatch(c)]
        if conventional:
            return max(conventional)[1]
        common = self.codes.most_common(1)
        if not common or common[0][1] < self.codeless:
            return None  # successes carry no code: whatever carries one is a rejection
        return common[0][0]

    def code_of(self, headers: Headers, body: Any) -> str | None:
        """The bank's code in a response, or None."""
        if self.plan.code_paths:
            return _by_paths(self.plan.code_paths, headers, body)
        return _by_keys(DEFAULT_CODE_KEYS, body)

    def message_of(self, headers: Headers, body: Any) -> str | None:
        """The bank's message in a response, or None."""
        if self.plan.message_paths:
            return _by_paths(self.plan.message_paths, headers, body)
        return _by_keys(DEFAULT_MESSAGE_KEYS, body)

    def by_status(self, status: int | None, error: str | None = None) -> Classified:
        """The verdict from the status alone, by the same rules, when the body cannot be
        read (the ingest's fallback when decoding an exchange fails)."""
        if status is None or error is not None:
            return Classified("upstream_error", None, None)
        if status in self.plan.upstream_error_status:
            return Classified("upstream_error", str(status), None)
        if self.plan.is_success_status(status):
            return Classified("accepted", None, None)
        return Classified("rejected", str(status), None)

    def classify(
        self, status: int | None, headers: Headers, body: Any, error: str | None = None
    ) -> Classified:
        """The verdict for one response (``body`` is a :class:`harness.codecs.Body`)."""
        if status is None or error is not None:
            return Classified("upstream_error", None, None)
        code = self.code_of(headers, body)
        message = self.message_of(headers, body)
        if 200 <= status < 300 and code is not None:
            self.codes[code] += 1
        if status in self.plan.upstream_error_status:
            return Classified("upstream_error", code or str(status), message)
        if self.plan.is_success_status(status):
            failed = None if self.plan.code_paths else _failure_word(body)
            if failed is not None:
                return Classified("rejected", code or failed, message)
            if code is None:
                self.codeless += 1
                return Classified("accepted", None, message)
            if self.plan.success_codes:
                ok = code in self.plan.success_codes
            else:
                ok = code == self.success_code
            return Classified("accepted" if ok else "rejected", code, message)
        return Classified("rejected", code or str(status), message)
