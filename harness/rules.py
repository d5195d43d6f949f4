"""The rule model: what a gateway enforces on one field, and how to check a value against it.

A :class:`RuleSpec` is a value: learned, carried to an analogous field, exported or enforced
by the mock alike. ``check(rule, value)`` is True when the value passes. Kinds and params:

==========================  =====================================================  =========
kind                        params                                                 example
==========================  =====================================================  =========
``forbidden_chars``         ``classes`` (charclass names), ``chars`` (a string)    no ASCII ``()``
``allowed_chars``           ``classes``, ``chars``: every character must be in one  digits only
``max_length``              ``max``: characters                                    <= 32 chars
``max_bytes``               ``max``, ``encoding`` (``gbk``, ``utf-8``, ...)          <= 60 GBK bytes
``encodable``               ``encoding``: every character encodable in it          GB2312 only
``pattern``                 ``regex``: the whole value must match                  ``^1[3-9]\\d{9}$``
``required``                (none): present and not empty
``enum``                    ``values``: a list of strings                          CNY
``checksum``                ``algorithm``: ``gb32100`` | ``gb11643`` | ``luhn``
``decimal``                 ``scale`` (max digits after the point), ``min``, ``max``  2, 0.01..5e6
``no_surrounding_space``    (none): no leading or trailing whitespace
==========================  =====================================================  =========

A value that is absent (``None``) passes every kind but ``required``: absence is that rule's
business. Values are compared as text (JSON numbers keep their text in the codecs).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from harness import charclass, checksums

KINDS = (
    "forbidden_chars",
    "allowed_chars",
    "max_length",
    "max_bytes",
    "encodable",
    "pattern",
    "required",
    "enum",
    "checksum",
    "decimal",
    "no_surrounding_space",
)
STATES = ("suspected", "confirmed", "retired")
SOURCES = ("learned", "analogy", "manual")
CHECKSUMS = {
    "gb32100": checksums.is_credit_code,
    "gb11643": checksums.is_id_number,
    "luhn": checksums.is_luhn,
}


@dataclass(frozen=True)
class RuleSpec:
    """One field rule. ``field`` is a rule path (list indices as ``[]``)."""

    endpoint: str
    field: str
    kind: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    code: str | None = None
    message: str | None = None
    source: str = "learned"
    state: str = "suspected"
    confidence: float = 0.0
    support: int = 0
    contradict: int = 0
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)
    derived_from: int | None = None
    id: int | None = None

    @property
    def key(self) -> str:
        """Identity for de-duplication: the same rule learned twice has the same key."""
        return rule_key(self.endpoint, self.field, self.kind, self.params)

    def but(self, **changes: Any) -> RuleSpec:
        return replace(self, **changes)


def rule_key(endpoint: str, field_path: str, kind: str, params: dict[str, Any]) -> str:
    return (
        f"{endpoint}|{field_path}|{kind}|{json.dumps(params, sort_keys=True, ensure_ascii=False)}"
    )


def as_text(value: Any) -> str | None:
    """A leaf as the text a gateway sees; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _char_in(ch: str, classes: frozenset[str], chars: str) -> bool:
    return ch in chars or not classes.isdisjoint(charclass.classes(ch))


def offending(rule: RuleSpec, value: Any) -> list[str]:
    """The characters of ``value`` that break a character rule (empty for other kinds)."""
    text = as_text(value)
    if text is None or rule.kind not in ("forbidden_chars", "allowed_chars", "encodable"):
        return []
    if rule.kind == "encodable":
        enc = rule.params["encoding"]
        return [ch for ch in text if not charclass.encodable(ch, enc)]
    classes = frozenset(rule.params.get("classes", ()))
    chars = rule.params.get("chars", "")
    if rule.kind == "forbidden_chars":
        return [ch for ch in text if _char_in(ch, classes, chars)]
    return [ch for ch in text if not _char_in(ch, classes, chars)]


def check(rule: RuleSpec, value: Any) -> bool:
    """True when ``value`` passes ``rule``."""
    text = as_text(value)
    kind, p = rule.kind, rule.params
    if kind == "required":
        return text is not None and text.strip() != ""
    if text is None:
        return True
    if kind in ("forbidden_chars", "allowed_chars", "encodable"):
        return not offending(rule, text)
    if kind == "max_length":
        return len(text) <= int(p["max"])
    if kind == "max_bytes":
        try:
            return len(text.encode(p.get("encoding", "gbk"))) <= int(p["max"])
        except UnicodeEncodeError:
            return False
    if kind == "pattern":
        return _regex(p["regex"]).fullmatch(text) is not None
    if kind == "enum":
        return text in p["values"]
    if kind == "checksum":
        return CHECKSUMS[p["algorithm"]](text)
    if kind == "decimal":
        return _check_decimal(text, p)
    if kind == "no_surrounding_space":
        return text == text.strip()
    raise ValueError(f"unknown rule kind {kind!r}")


# Plain decimal notation in ASCII digits: gateways reject "1e3", "1_000", " 12" and
# full-width digits, which Python's Decimal would accept.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _check_decimal(text: str, p: dict[str, Any]) -> bool:
    if _PLAIN_DECIMAL.fullmatch(text) is None:
        return False
    try:
        number = Decimal(text)
    except InvalidOperation:
        return False
    scale = p.get("scale")
    if scale is not None:
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > int(scale):
            return False
    if p.get("min") is not None and number < Decimal(str(p["min"])):
        return False
    return not (p.get("max") is not None and number > Decimal(str(p["max"])))


def describe(rule: RuleSpec) -> str:
    """One English sentence for people: checklists, reports, the CLI."""
    p = rule.params
    what = {
        "forbidden_chars": lambda: "must not contain " + _chars_phrase(p),
        "allowed_chars": lambda: "may contain only " + _chars_phrase(p),
        "max_length": lambda: f"at most {p['max']} characters",
        "max_bytes": lambda: f"at most {p['max']} bytes in {p.get('encoding', 'gbk').upper()}",
        "encodable": lambda: f"only characters encodable in {p['encoding'].upper()}",
        "pattern": lambda: f"must match {p['regex']}",
        "required": lambda: "is required and must not be empty",
        "enum": lambda: "must be one of " + ", ".join(map(str, p["values"])),
        "checksum": lambda: (
            f"must carry a valid {CHECKSUM_NAMES.get(p['algorithm'], p['algorithm'])} check character"
        ),
        "decimal": lambda: _decimal_phrase(p),
        "no_surrounding_space": lambda: "must not start or end with whitespace",
    }.get(rule.kind)
    return what() if what else rule.kind


CHECKSUM_NAMES = {
    "gb32100": "GB 32100 (unified social credit code)",
    "gb11643": "GB 11643 (resident ID number)",
    "luhn": "Luhn (bank card number)",
}


# Character classes (harness.charclass) in words, for people.
CLASS_NAMES = {
    "ascii_upper": "ASCII capital letters",
    "ascii_lower": "ASCII small letters",
    "ascii_digit": "ASCII digits",
    "ascii_space": "ASCII spaces",
    "ascii_punct": "half-width punctuation",
    "fullwidth_form": "full-width forms",
    "fullwidth_upper": "full-width capital letters",
    "fullwidth_lower": "full-width small letters",
    "fullwidth_digit": "full-width digits",
    "fullwidth_punct": "full-width punctuation",
    "fullwidth_space": "full-width spaces",
    "cjk": "Chinese characters",
    "cjk_punct": "Chinese punctuation",
    "gb2312": "GB2312 characters",
    "gbk": "GBK characters",
    "astral": "characters beyond the BMP (emoji, rare ideographs)",
    "control": "control characters",
}


def _chars_phrase(p: dict[str, Any]) -> str:
    classes = [CLASS_NAMES.get(c, c.replace("_", " ")) for c in p.get("classes", ())]
    chars = " ".join(repr(c) for c in p.get("chars", ""))
    if classes and chars:
        return f"{', '.join(classes)} (seen: {chars})"
    if classes:
        return ", ".join(classes)
    return f"the characters {chars}" if chars else "nothing"


def _decimal_phrase(p: dict[str, Any]) -> str:
    parts = []
    if p.get("scale") is not None:
        parts.append(f"at most {p['scale']} decimal places")
    low, high = p.get("min"), p.get("max")
    if low is not None and high is not None:
        parts.append(f"a value between {low} and {high}")
    elif low is not None:
        parts.append(f"a value of at least {low}")
    elif high is not None:
        parts.append(f"a value of at most {high}")
    return "a decimal number" + (" with " + " and ".join(parts) if parts else "")


def violations(rules: list[RuleSpec], fields: dict[str, Any], endpoint: str) -> list[RuleSpec]:
    """The rules of ``endpoint`` that a request's flat fields break (retired rules excluded).

    ``fields`` maps concrete paths (``items[0].x``) to leaves; rules address rule paths
    (``items[].x``), so every concrete path is checked against its rule path.
    """
    from harness.fields import rule_path

    by_path: dict[str, list[Any]] = {}
    for path, value in fields.items():
        by_path.setdefault(rule_path(path), []).append(value)
    broken = []
    for rule in rules:
        if rule.endpoint != endpoint or rule.state == "retired":
            continue
        values = by_path.get(rule.field)
        if values is None:
            if rule.kind == "required":
                broken.append(rule)
            continue
        if any(not check(rule, v) for v in values):
            broken.append(rule)
    return broken
