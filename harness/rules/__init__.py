"""Field rules: what a gateway enforces on one field, and how to check a value against it.

A :class:`RuleSpec` (:mod:`harness.rules.model`) is a value: learned, carried to an
analogous field, exported or enforced by the mock alike. What a rule means belongs to its
kind, one module per kind under :mod:`harness.rules.kinds`, registered in
:mod:`harness.rules.registry`:

==========================  =====================================================  =========
kind                        params                                                 example
==========================  =====================================================  =========
``required``                (none): present and not empty
``no_surrounding_space``    (none): no leading or trailing whitespace
``forbidden_chars``         ``classes`` (charclass names), ``chars`` (a string)    no ASCII ``()``
``allowed_chars``           ``set`` (a named set), ``classes``, ``chars``           SWIFT X only
``max_length``              ``max``: characters                                    <= 70 chars
``min_length``              ``min``: characters                                    >= 8 chars
``max_bytes``               ``max``, ``encoding`` (``gbk``, ``utf-8``, ...)          <= 60 GBK bytes
``checksum``                ``algorithm``: ``gb32100`` ``gb11643`` ``luhn`` ``iban``
``format``                  ``format``: ``uuid``, ``date``, ``bic``, ``e164``, ...   a UUID
``pattern``                 ``regex``: the whole value must match                  ``^1[3-9]\\d{9}$``
``decimal``                 ``scale``, ``min_scale``, ``min``, ``max``, ``plus``,   2 places, 0.01..5e6
                            ``leading_zeros``, ``trailing_zeros``
``enum``                    ``values``: a list of strings                          CNY
==========================  =====================================================  =========

``check(rule, value)`` is True when the value passes. A value that is absent (``None``)
passes every kind but ``required``: absence is that rule's business. Values are compared as
text (JSON numbers keep their text in the codecs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from harness.codecs.fields import rule_path
from harness.errors import ConfigError
from harness.rules import kinds as _kinds  # noqa: F401  (registers the built-in kinds)
from harness.rules.model import RuleSpec, as_text, rule_key
from harness.rules.registry import KINDS as _REGISTRY
from harness.rules.registry import Kind, get

__all__ = [
    "Kind",
    "RuleSpec",
    "as_text",
    "check",
    "describe",
    "kind_names",
    "kind_of",
    "offending",
    "parse_params",
    "repair",
    "rule_key",
    "violations",
]


def kind_of(rule: RuleSpec) -> Kind:
    return get(rule.kind)


def kind_names() -> tuple[str, ...]:
    """The registered kinds, in reading order."""
    return tuple(_REGISTRY)


def check(rule: RuleSpec, value: Any) -> bool:
    """True when ``value`` passes ``rule``."""
    return get(rule.kind).check(rule.params, as_text(value))


def offending(rule: RuleSpec, value: Any) -> list[str]:
    """The characters of ``value`` that break a character rule (empty for other kinds)."""
    text = as_text(value)
    return [] if text is None else get(rule.kind).offending(rule.params, text)


def describe(rule: RuleSpec) -> str:
    """One English sentence for people: checklists, reports, the CLI."""
    return get(rule.kind).describe(rule.params)


def repair(rule: RuleSpec, value: Any) -> str | None:
    """``value`` changed as little as possible to pass ``rule`` (None: no such value)."""
    return get(rule.kind).repair(rule.params, as_text(value))


def parse_params(kind: str, params: Any, where: str) -> dict[str, Any]:
    """Validated parameters of one kind (a one-line ConfigError naming ``where``)."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: params must be a mapping")
    try:
        found = get(kind)
    except ConfigError:
        raise ConfigError(
            f"{where}: unknown kind {kind!r} (want one of {', '.join(kind_names())})"
        ) from None
    return found.parse(params, where)


def violations(rules: list[RuleSpec], fields: dict[str, Any], endpoint: str) -> list[RuleSpec]:
    """The rules of ``endpoint`` that a request's flat fields break (retired rules excluded).

    ``fields`` maps concrete paths (``items[0].x``) to leaves; rules address rule paths
    (``items[].x``), so every concrete path is checked against its rule path.
    """
    return compiled(rules, endpoint)(fields)


def compiled(
    rules: Iterable[RuleSpec], endpoint: str
) -> Callable[[dict[str, Any]], list[RuleSpec]]:
    """:func:`violations` for one endpoint's rules, prepared once for many requests (each
    rule's check compiled by its kind: :meth:`~harness.rules.registry.Kind.compile`)."""
    live = [
        (rule, rule.field, get(rule.kind).compile(rule.params))
        for rule in rules
        if rule.endpoint == endpoint and rule.state != "retired"
    ]

    def broken(fields: dict[str, Any]) -> list[RuleSpec]:
        by_path: dict[str, list[Any]] = {}
        for path, value in fields.items():
            by_path.setdefault(rule_path(path), []).append(value)
        out = []
        for rule, field, passes in live:
            values = by_path.get(field)
            if values is None:
                if not passes(None):
                    out.append(rule)
            elif not all(passes(as_text(v)) for v in values):
                out.append(rule)
        return out

    return broken
