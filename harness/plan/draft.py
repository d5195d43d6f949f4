"""A starting gateway plan drafted from a captured store (pure core: summaries in, a plan out).

``harness plan draft`` reads what was captured without a plan and writes what a team would
otherwise work out by hand from the traffic:

- ``upstream``: the host the exchanges went to (production: replay refuses it);
- ``success``: the HTTP statuses and the business codes of accepted answers;
- ``response.code`` / ``response.message``: where the answers carry the code and message
  (the paths whose leaf equals the code and message the classifier found);
- ``sensitive``: the fields the sanitizer pseudonymized at capture, the headers it redacted,
  and ``keep``: fields that look like enumerations (a closed set of values, by the same
  Good-Turing estimate the learner uses) and were never pseudonymized;
- ``noise``: response paths named like serial numbers, timestamps or trace ids whose value
  takes many values across accepted answers (a value echoed from the request also varies,
  but not between two answers to the same request: only the name tells them apart);
- ``endpoints``: the endpoint templates seen.

It writes no value of any field, only names, paths, statuses and the gateway's own codes.
Everything it infers is a guess to review: the YAML says so beside each key.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.codecs.fields import name_of, rule_path

ENUM_CAP = 32  # distinct values counted per field before it is called open
_VOLATILE = re.compile(r"serial|seq|time|date|stamp|trace|nonce|uuid|request_?id", re.I)
MIN_ANSWERS = 20  # accepted answers before a noise path is proposed
ENUM_MIN = 30  # occurrences before a field can look like an enumeration
UNSEEN_MAX = 0.02  # Good-Turing unseen mass below which a value set looks closed (a guess)


@dataclass
class _Values:
    """A bounded count of a field's values (exact up to ENUM_CAP distinct)."""

    counts: Counter[str] | None = field(default_factory=Counter)
    n: int = 0

    def add(self, value: str) -> None:
        self.n += 1
        if self.counts is None:
            return
        self.counts[value] += 1
        if len(self.counts) > ENUM_CAP:
            self.counts = None

    @property
    def closed(self) -> bool:
        if self.counts is None or self.n < ENUM_MIN:
            return False
        singletons = sum(1 for c in self.counts.values() if c == 1)
        return (singletons + 1) / (self.n + 1) <= UNSEEN_MAX


@dataclass
class Draft:
    """Evidence gathered for a plan, one exchange at a time (bounded memory)."""

    hosts: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    success_codes: Counter[str] = field(default_factory=Counter)
    code_paths: Counter[str] = field(default_factory=Counter)
    message_paths: Counter[str] = field(default_factory=Counter)
    pseudonymized: Counter[str] = field(default_factory=Counter)
    redacted: Counter[str] = field(default_factory=Counter)
    values: dict[str, _Values] = field(default_factory=dict)
    answers: dict[str, _Values] = field(default_factory=dict)
    endpoints: Counter[str] = field(default_factory=Counter)
    accepted: int = 0
    exchanges: int = 0

    def add(self, row: Mapping[str, Any]) -> None:
        """One exchange summary: endpoint, scheme, host, status, outcome, code, message,
        request_fields, response_fields, request_headers, notes."""
        self.exchanges += 1
        if row.get("host"):
            self.hosts[f"{row.get('scheme') or 'http'}://{row['host']}"] += 1
        self.endpoints[str(row.get("endpoint"))] += 1
        outcome = row.get("outcome")
        answer = row.get("response_fields") or {}
        for name, kind in (("code", self.code_paths), ("message", self.message_paths)):
            wanted = row.get(name)
            if wanted is not None and outcome in ("accepted", "rejected"):
                for path, leaf in answer.items():
                    if leaf is not None and str(leaf) == str(wanted):
                        kind[rule_path(path)] += 1
        for path in (row.get("notes") or {}).get("pseudonymized") or ():
            self.pseudonymized[name_of(path)] += 1
        for pair in row.get("request_headers") or ():
            if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[1] == "[redacted]":
                self.redacted[str(pair[0]).lower()] += 1
        if outcome != "accepted":
            return
        self.accepted += 1
        if row.get("status") is not None:
            self.statuses[int(row["status"])] += 1
        if row.get("code") is not None:
            self.success_codes[str(row["code"])] += 1
        for path, leaf in (row.get("request_fields") or {}).items():
            if leaf is not None and not isinstance(leaf, (dict, list)):
                self.values.setdefault(rule_path(path), _Values()).add(str(leaf))
        for path, leaf in answer.items():
            if leaf is not None and not isinstance(leaf, (dict, list)):
                self.answers.setdefault(rule_path(path), _Values()).add(str(leaf))

    def plan(self, name: str | None = None) -> dict[str, Any]:
        """The drafted plan as a mapping in :func:`harness.plan.parse_plan`'s format."""
        upstream = self.hosts.most_common(1)[0][0] if self.hosts else None
        sensitive = sorted(self.pseudonymized)
        keep = sorted(
            name_of(path)
            for path, values in self.values.items()
            if values.closed and name_of(path) not in self.pseudonymized
        )
        noise = sorted(
            path
            for path, values in self.answers.items()
            if values.counts is None and values.n >= MIN_ANSWERS and _VOLATILE.search(name_of(path))
        )
        out: dict[str, Any] = {"name": name or _name(upstream)}
        if upstream:
            out["upstream"] = upstream
        out["success"] = {"status": sorted(self.statuses)}
        codes = [c for c, _ in self.success_codes.most_common(3)]
        if codes:
            out["success"]["code"] = codes
        response: dict[str, Any] = {}
        if self.code_paths:
            response["code"] = [p for p, _ in self.code_paths.most_common(2)]
        if self.message_paths:
            response["message"] = [p for p, _ in self.message_paths.most_common(2)]
        if response:
            out["response"] = response
        out["sensitive"] = {"fields": sensitive, "headers": sorted(self.redacted), "keep": keep}
        out["labels"] = {}
        out["noise"] = noise
        templates = sorted(e for e in self.endpoints if "{" in e)
        if templates:
            out["endpoints"] = templates
        out["targets"] = {}
        out["probe"] = []
        return out


def _name(upstream: str | None) -> str:
    if not upstream:
        return "draft"
    host = upstream.split("://", 1)[-1].split(":", 1)[0]
    return host.replace(".", "-") or "draft"


def draft(rows: Iterable[Mapping[str, Any]], name: str | None = None) -> dict[str, Any]:
    """A plan drafted from exchange summaries (see the module docstring)."""
    found = Draft()
    for row in rows:
        found.add(row)
    return found.plan(name)


COMMENTS = {
    "upstream": "the production gateway the exchanges went to: replay refuses it as a target",
    "success": "HTTP statuses and business codes of the answers classified as accepted",
    "response": "where the answers carry the code and message (paths into the body)",
    "sensitive": "pseudonymized at capture (fields), redacted (headers); keep: looks like an "
    "enumeration, never pseudonymized",
    "labels": "the bank's own label for each field, as its messages name them: fill in",
    "noise": "response paths whose value changes on nearly every answer",
    "endpoints": "endpoint templates (ids folded into {id})",
    "targets": "replay targets by name, e.g. staging: https://staging.bank.example",
    "probe": "targets that validate like production and may be probed",
}


def render(plan: Mapping[str, Any], source: str) -> str:
    """The drafted plan as commented YAML (each key says how it was inferred)."""
    lines = [
        f"# Gateway plan drafted by `harness plan draft` from {source}.",
        "# Every key is a guess from captured traffic: review it, then fill in labels, targets",
        "# and the signer (docs/plans.md). No field value is written here.",
    ]
    for key, value in plan.items():
        if key in COMMENTS:
            lines.append(f"# {COMMENTS[key]}")
        dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=100)
        lines.extend(dumped.rstrip("\n").splitlines())
    return "\n".join(lines) + "\n"
