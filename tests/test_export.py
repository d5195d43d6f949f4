"""JSON Schema export: document shape, one keyword per rule kind, and agreement with the rules."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from harness.export import Checker, to_jsonschema, validate
from harness.export.schema import DRAFT, STRICT
from harness.plan import parse_plan
from harness.rules import RuleSpec, check, violations

E = "POST /openapi/v1/vaccount/open"
X = "POST /openapi/v1/enterprise/{id}/update"
PLAN = parse_plan({"name": "bank", "labels": {"enterpriseName": "企业名称", "EntName": "企业名称"}})


def rule(field: str, kind: str, endpoint: str = E, **params) -> RuleSpec:
    return RuleSpec(
        endpoint,
        field,
        kind,
        params,
        code="ED0012",
        message="参数校验失败",
        state="confirmed",
        id=hash((field, kind)) % 1000,
    )


RULES = [
    rule("enterpriseName", "forbidden_chars", classes=["ascii_upper", "ascii_lower"], chars="()"),
    rule("enterpriseName", "max_bytes", max=60, encoding="gbk"),
    rule("creditCode", "checksum", algorithm="gb32100"),
    rule("legalMobile", "pattern", regex=r"1[3-9][0-9]{9}"),
    rule("items[].amount", "decimal", scale=2, min="0.01", max="5000000"),
    rule("items[].amount", "required"),
    rule("currency", "enum", values=["CNY"]),
    rule("legalName", "allowed_chars", set="gb2312"),
    rule("legalName", "no_surrounding_space"),
    rule("remark", "max_length", max=20),
    rule("bindCardNo", "allowed_chars", classes=["ascii_digit"]),
    rule("Request.Body.EntName", "forbidden_chars", endpoint=X, classes=["fullwidth_form"]),
]


def leaf(doc: dict, endpoint: str, *path: str) -> dict:
    node = doc["$defs"][endpoint]
    for name in path:
        node = node["items"] if name == "[]" else node["properties"][name]
    return node


def test_document_is_a_valid_2020_12_schema_keyed_by_endpoint():
    doc = to_jsonschema(RULES, PLAN)
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == DRAFT
    assert set(doc["$defs"]) == {E, X}
    assert doc["x-plan"] == "bank"
    json.dumps(doc)  # plain JSON values only


@pytest.mark.parametrize(
    ("path", "keyword", "value"),
    [
        (("enterpriseName",), "pattern", "^[^()A-Za-z]*$"),
        (
            ("enterpriseName",),
            "x-forbiddenChars",
            {"classes": ["ascii_lower", "ascii_upper"], "chars": "()"},
        ),
        (("enterpriseName",), "x-maxBytes", {"max": 60, "encoding": "gbk"}),
        (("creditCode",), "x-checksum", "gb32100"),
        (("legalMobile",), "pattern", "^(?:1[3-9][0-9]{9})(?!\\n)$"),
        (("items", "[]", "amount"), "x-minimum", "0.01"),
        (("items", "[]", "amount"), "maximum", 5000000),
        (("items", "[]", "amount"), "type", ["string", "number", "null"]),
        (("currency",), "enum", ["CNY"]),
        (("legalName",), "x-allowedChars", {"set": "gb2312"}),
        (("remark",), "maxLength", 20),
        (("bindCardNo",), "pattern", "^[0-9]*(?!\\n)$"),
    ],
)
def test_each_rule_kind_becomes_its_keyword(path, keyword, value):
    doc = to_jsonschema(RULES, PLAN)
    assert leaf(doc, E, *path)[keyword] == value


def test_required_goes_up_the_chain_and_labels_become_titles():
    doc = to_jsonschema(RULES, PLAN)
    body = doc["$defs"][E]
    assert body["properties"]["items"]["minItems"] == 1
    assert body["properties"]["items"]["items"]["required"] == ["amount"]
    assert leaf(doc, E, "enterpriseName")["title"] == "企业名称"
    xml = leaf(doc, X, "Request", "Body", "EntName")
    assert xml["title"] == "企业名称"
    assert xml["pattern"] == "^[^\\uFF01-\\uFF5E]*$"
    assert "type" not in doc["$defs"][X]["properties"]["Request"]  # containers stay shape-agnostic


def test_x_rules_summarize_each_rule_without_values():
    r = rule("enterpriseName", "forbidden_chars", chars="()").but(
        state="confirmed",
        support=12,
        evidence={"support_ids": list(range(1, 40)), "days": {"2026-11-24": {}}},
    )
    entry = leaf(to_jsonschema([r]), E, "enterpriseName")["x-rules"][0]
    assert entry["state"] == "confirmed" and entry["code"] == "ED0012"
    assert entry["evidence"]["support"] == 12
    assert entry["evidence"]["support_ids"] == [1, 2, 3, 4, 5]


def test_retired_rules_are_left_out_and_suspected_ones_only_enforced_when_strict():
    doc = to_jsonschema([rule("remark", "max_length", max=3).but(state="retired")])
    assert doc["$defs"] == {}
    suspected = [rule("remark", "max_length", max=3).but(state="suspected")]
    assert to_jsonschema(suspected)["$defs"] == {}
    assert leaf(to_jsonschema(suspected, states=STRICT), E, "remark")["maxLength"] == 3


def test_two_values_for_one_keyword_meet_under_allof():
    doc = to_jsonschema(
        [rule("remark", "max_length", max=20), rule("remark", "max_length", max=10)]
    )
    node = leaf(doc, E, "remark")
    assert node["maxLength"] == 10 or node["allOf"] == [{"maxLength": 10}]
    assert validate(doc, E, {"remark": "x" * 15}) == ["remark: maxLength"]


@pytest.mark.parametrize(
    ("body", "broken"),
    [
        ({"enterpriseName": "某某（中国）有限公司", "items": [{"amount": "1.00"}]}, []),
        (
            {"enterpriseName": "某某(中国)有限公司", "items": [{"amount": "1.00"}]},
            ["enterpriseName: pattern", "enterpriseName: x-forbiddenChars"],
        ),
        ({"enterpriseName": "某" * 31, "items": [{"amount": "1"}]}, ["enterpriseName: x-maxBytes"]),
        ({"items": [{"amount": "1.001"}]}, ["items[0].amount: pattern"]),
        (
            {"items": [{"amount": "0.001"}]},
            ["items[0].amount: pattern", "items[0].amount: x-minimum"],
        ),
        ({"items": [{"amount": "6000000"}]}, ["items[0].amount: x-maximum"]),
        ({"items": [{"amount": 6000000}]}, ["items[0].amount: maximum"]),
        ({"items": [{}]}, ["items[0].amount: required"]),
        ({"items": [{"amount": "  "}]}, ["items[0].amount: pattern"]),
        ({"items": [{"amount": None}]}, ["items[0].amount: not"]),
        ({}, ["items: required"]),
        ({"items": []}, ["items: minItems"]),
        (
            {"items": [{"amount": "1"}], "creditCode": "91350100M000100Y44"},
            ["creditCode: x-checksum"],
        ),
        ({"items": [{"amount": "1"}], "legalName": "王𠀀"}, ["legalName: x-allowedChars"]),
        ({"items": [{"amount": "1"}], "legalName": "王五 "}, ["legalName: pattern"]),
        ({"items": [{"amount": "1"}], "currency": "USD"}, ["currency: enum"]),
        ({"items": [{"amount": "1"}], "legalMobile": "1380000000\n"}, ["legalMobile: pattern"]),
        (
            {"items": [{"amount": "1"}], "bindCardNo": "6222\n"},
            ["bindCardNo: pattern", "bindCardNo: x-allowedChars"],
        ),
    ],
)
def test_validate_reports_paths_and_keywords(body, broken):
    assert validate(to_jsonschema(RULES, PLAN), E, body) == broken


def test_validate_messages_never_carry_values():
    doc = to_jsonschema(RULES, PLAN)
    errors = validate(doc, E, {"enterpriseName": "SECRET(VALUE)", "items": [{"amount": "9.999"}]})
    assert errors and not any("SECRET" in e or "9.999" in e for e in errors)


def test_unknown_endpoint_has_no_schema():
    assert validate(to_jsonschema(RULES), "GET /nothing", {"x": 1}) == []


# The schema and the rule model must say the same thing about every value.
TEXT = st.text(
    alphabet=st.sampled_from(
        list("aZ09 ()（）]\\^-[|&~中龘\n\t\u3000，。𠀀😀.") + ["\u00e9", "\x00"]
    ),
    max_size=8,
)
KINDS = [
    rule("f", "forbidden_chars", classes=["ascii_punct"]),
    rule("f", "forbidden_chars", chars="]\\^-[|&~"),
    rule("f", "forbidden_chars", classes=["control", "astral"], chars="（"),
    rule("f", "allowed_chars", classes=["cjk", "fullwidth_punct", "cjk_punct"]),
    rule("f", "allowed_chars", classes=["ascii_digit"], chars="-^]"),
    rule("f", "allowed_chars", classes=["gb2312"]),  # too many ranges for a pattern
    rule("f", "max_length", max=3),
    rule("f", "max_bytes", max=5, encoding="gbk"),
    rule("f", "max_bytes", max=5, encoding="utf-8"),
    rule("f", "allowed_chars", set="gb2312"),
    rule("f", "allowed_chars", set="swift_x"),
    rule("f", "format", format="date"),
    rule("f", "format", format="uuid"),
    rule("f", "min_length", min=2),
    rule("f", "no_surrounding_space"),
    rule("f", "required"),
    rule("f", "pattern", regex="[a-z0-9]{1,3}"),
    rule("f", "enum", values=["a", "中"]),
]
DECIMALS = [rule("f", "decimal", scale=1, min="0", max="99"), rule("f", "decimal", scale=0)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(KINDS), TEXT)
def test_schema_agrees_with_the_rule_model(r, value):
    doc = to_jsonschema([r])
    assert (validate(doc, E, {"f": value}) == []) == check(r, value)
    assert (not violations([r], {"f": value}, E)) == check(r, value)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(KINDS[:6]), min_size=1, max_size=4), TEXT)
def test_several_rules_on_one_field_agree_too(rules, value):
    doc = to_jsonschema(rules)
    assert (validate(doc, E, {"f": value}) == []) == all(check(r, value) for r in rules)


# Decimal rules: the schema accepts plain notation only (docs/rules-format.md); on plain
# notation it agrees with the rule model, and it refuses what is not a number at all.
PLAIN = st.from_regex(r"\A[+-]?([0-9]{1,3}(\.[0-9]{0,3})?|\.[0-9]{1,3})\Z")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DECIMALS), PLAIN | TEXT)
def test_decimal_schema_agrees_on_plain_notation(r, value):
    doc = to_jsonschema([r])
    plain = re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", value) is not None
    if plain or not check(r, value):
        assert (validate(doc, E, {"f": value}) == []) == check(r, value)
        if "min" not in r.params and "max" not in r.params:  # string bounds are x- keywords
            assert Draft202012Validator(doc["$defs"][E]).is_valid({"f": value}) == check(r, value)


def test_checker_reuses_its_validators():
    checker = Checker(to_jsonschema(RULES))
    for _ in range(3):
        assert checker.errors(E, {"items": [{"amount": "1"}], "currency": "USD"}) == [
            "currency: enum"
        ]
    assert checker.compiled == 1


def test_patterns_are_portable_text():
    doc = to_jsonschema(KINDS + RULES)
    patterns = re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', json.dumps(doc, ensure_ascii=False))
    assert patterns
    for p in patterns:
        text = json.loads(f'"{p}"')
        # non-ASCII BMP characters are written as \uXXXX escapes, never raw
        assert all(ord(c) < 0x80 or ord(c) > 0xFFFF for c in text), text


# What a plain JSON Schema validator (no x- keywords) sees must agree too, wherever the
# standard keywords can say the whole rule.
STANDARD = [r for r in KINDS if r.kind not in ("max_bytes", "checksum")]
STANDARD = [r for r in STANDARD if r.params.get("classes") != ["gb2312"]]
STANDARD = [r for r in STANDARD if r.params.get("set") != "gb2312" and "format" not in r.params]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STANDARD), TEXT)
def test_standard_keywords_alone_agree_with_the_rule_model(r, value):
    schema = to_jsonschema([r])["$defs"][E]
    assert Draft202012Validator(schema).is_valid({"f": value}) == check(r, value)


TRICKY = [
    "",
    "a",
    "a\n",
    "\n",
    " a",
    "中\n",
    "0\n",
    "9",
    "12",
    "1.5",
    "(",
    "]",
    "\\",
    "^",
    "-",
    "[",
    "|",
]
TRICKY += ["&", "~", "&&", "~~", "𠀀", "😀", "\u3000", "（", "，", "中", "a-z", "\x00", "\t"]


@pytest.mark.parametrize("r", STANDARD, ids=lambda r: f"{r.kind}{sorted(r.params.items())}")
def test_tricky_values_agree_with_the_rule_model(r):
    schema = to_jsonschema([r])["$defs"][E]
    plain = Draft202012Validator(schema)
    for value in TRICKY:
        assert plain.is_valid({"f": value}) == check(r, value), repr(value)


def _patterns(node: object) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                out.append(value)
            else:
                out += _patterns(value)
    elif isinstance(node, list):
        for value in node:
            out += _patterns(value)
    return out


def test_patterns_mean_the_same_in_ecma_262():
    """JSON Schema's own dialect: Node's RegExp with the u flag must agree with Python."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("no node: the ECMA-262 cross-check needs Node.js")
    patterns = sorted(set(_patterns(to_jsonschema(KINDS + DECIMALS + RULES))))
    script = (
        "const d=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "process.stdout.write(JSON.stringify(d.p.map(p=>{const r=new RegExp(p,'u');"
        "return d.v.map(v=>r.test(v));})));"
    )
    data = json.dumps({"p": patterns, "v": TRICKY})
    out = subprocess.run(
        [node, "-e", script], input=data, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    ecma = json.loads(out.stdout)
    for pattern, results in zip(patterns, ecma, strict=True):
        python = [re.search(pattern, v) is not None for v in TRICKY]
        assert results == python, pattern
