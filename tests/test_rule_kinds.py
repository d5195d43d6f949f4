"""Every registered rule kind keeps the registry's contract (each kind's own test module,
tests/kinds/test_<kind>.py, gives the examples this file checks)."""

from __future__ import annotations

import importlib

import pytest
from jsonschema import Draft202012Validator

from harness.errors import ConfigError
from harness.export.schema import validator_class
from harness.rules import RuleSpec, check, describe, kind_names, parse_params, repair

KINDS = kind_names()


def examples(kind: str) -> list[tuple[dict, str | None, bool]]:
    module = importlib.import_module(f"tests.kinds.test_{kind}")
    assert kind == module.KIND
    return module.EXAMPLES


def test_every_kind_has_its_test_module():
    for kind in KINDS:
        assert examples(kind), kind


@pytest.mark.parametrize("kind", KINDS)
def test_check_describe_and_parse(kind):
    for params, value, passes in examples(kind):
        clean = parse_params(kind, params, "rule 1")
        rule = RuleSpec("POST /v1/x", "f", kind, clean)
        assert check(rule, value) is passes, (params, value)
        assert describe(rule) and describe(rule) != kind
        if kind != "required":
            assert check(rule, None)


@pytest.mark.parametrize("kind", KINDS)
def test_the_compiled_check_agrees_with_the_check(kind):
    """What the mock runs (a kind's compile, memoized per character for character rules)
    answers as check does, value after value, in any order."""
    from harness.rules import get

    for params, value, passes in examples(kind):
        clean = parse_params(kind, params, "rule 1")
        compiled = get(kind).compile(clean)
        others = [v for p, v, _ in examples(kind) if p == params]
        for v in [*others, value, *reversed(others), value]:
            assert compiled(v) is get(kind).check(clean, v), (params, v)
        assert compiled(value) is passes


@pytest.mark.parametrize("kind", KINDS)
def test_the_json_schema_agrees_with_the_check(kind):
    validator = validator_class()
    for params, value, passes in examples(kind):
        if value is None:
            continue
        rule = RuleSpec("POST /v1/x", "f", kind, parse_params(kind, params, "rule 1"))
        schema = rule_schema(rule)
        Draft202012Validator.check_schema(schema)
        errors = list(validator(schema).iter_errors(value))
        assert (not errors) is passes, (params, value, [e.message for e in errors])


def rule_schema(rule: RuleSpec) -> dict:
    from harness.export.schema import fragment

    return fragment(rule)


@pytest.mark.parametrize("kind", KINDS)
def test_repair_gives_a_passing_value_or_none(kind):
    for params, value, _ in examples(kind):
        rule = RuleSpec("POST /v1/x", "f", kind, parse_params(kind, params, "rule 1"))
        fixed = repair(rule, value)
        if fixed is not None:
            assert check(rule, fixed), (params, value, fixed)


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_params_are_one_line_errors(kind):
    with pytest.raises(ConfigError, match=r"^rule 3: unknown param 'nope'"):
        parse_params(kind, {"nope": 1}, "rule 3")


def test_unknown_kind():
    with pytest.raises(ConfigError, match=r"rule 1: unknown kind 'nope'"):
        parse_params("nope", {}, "rule 1")
