"""forbidden_chars: none of the named characters; learned per unit, generalized by case."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of, offending, repair
from tests.kinds.helpers import stats_of

KIND = "forbidden_chars"
EXAMPLES = [
    ({"chars": "()"}, "某某（中国）有限公司", True),
    ({"chars": "()"}, "某某(中国)有限公司", False),
    ({"classes": ["ascii_upper", "ascii_lower"]}, "B1栋", False),
    ({"classes": ["ascii_upper", "ascii_lower"]}, "1栋1203室", True),
    ({"classes": ["latin_ext_lower"]}, "Muller", True),
    ({"classes": ["latin_ext_lower"]}, "Müller", False),
    ({"classes": ["emoji"]}, "ok 😀", False),
    ({"classes": ["ascii_punct"]}, "A&B", False),
]
COMPANIES = ["上海华瑞科技有限公司", "北京恒泰（中国）贸易有限公司", "深圳博新商贸有限公司"] * 3


def kind():
    return kind_of(RuleSpec("e", "f", KIND))


def test_offending_and_repair_to_full_width():
    rule = RuleSpec("e", "f", KIND, {"classes": ["ascii_upper"], "chars": "()"})
    assert offending(rule, "某(某)A公司") == ["(", ")", "A"]
    assert repair(rule, "某某(中国)公司") == "某某（中国）公司"


def test_candidates_name_the_new_units():
    stats = stats_of(COMPANIES)
    found = dict(kind().candidates(stats, "某某(China)公司"))
    assert found == {("forbidden_chars",): frozenset({"(", ")", "ascii_upper", "ascii_lower"})}
    assert not list(kind().candidates(stats, "某某（中国）公司"))


def test_units_siblings_accept_are_never_forbidden():
    stats = stats_of(COMPANIES, sibling_units=frozenset({"ascii_digit"}))
    found = dict(kind().candidates(stats, "某某(1号)公司"))
    assert found == {("forbidden_chars",): frozenset({"(", ")"})}


def test_build_generalizes_letter_case_and_punctuation_groups():
    stats = stats_of(COMPANIES)
    [(params, evidence)] = kind().build(
        [(("forbidden_chars",), [frozenset({"ascii_upper"})])], stats
    )
    assert params == {"classes": ["ascii_lower", "ascii_upper"], "chars": ""}
    assert evidence["generalized"] == ["ascii_lower"]
    three = [frozenset({"(", ")"}), frozenset({"&"}), frozenset({"(", ")"}), frozenset({"#"})]
    [(params, _)] = kind().build([(("forbidden_chars",), three)], stats)
    assert params["classes"] == ["ascii_punct"]


def test_carry_drops_what_the_target_accepts():
    target = stats_of(["北京(朝阳)建国路1号", "上海浦东张江路2号", "深圳南山科苑路3号"] * 2)
    carried = kind().carry({"classes": ["ascii_upper"], "chars": "()"}, target)
    assert carried == {"classes": ["ascii_upper"], "chars": ""}
