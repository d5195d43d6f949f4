"""allowed_chars: only a named set (SWIFT X, Zengin, GB2312...) or the listed units."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of, offending
from tests.kinds.helpers import stats_of

KIND = "allowed_chars"
EXAMPLES = [
    ({"classes": ["ascii_digit"]}, "12345", True),
    ({"classes": ["ascii_digit"]}, "12a45", False),
    ({"classes": ["ascii_digit"]}, "１２", False),
    ({"set": "swift_x"}, "ACME Trading (UK) Ltd.", True),
    ({"set": "swift_x"}, "Müller & Söhne", False),
    ({"set": "swift_x"}, "a_b", False),
    ({"set": "zengin"}, "ﾔﾏﾀﾞ ﾀﾛｳ", True),
    ({"set": "zengin"}, "ﾔﾏﾀﾞ ﾀﾛｩ", False),  # a small kana
    ({"set": "zengin"}, "ﾔﾏﾀﾞ・ﾀﾛｳ", False),
    ({"set": "zengin"}, "yamada", False),
    ({"set": "gb2312"}, "王小明", True),
    ({"set": "gb2312"}, "王䶮", False),
    ({"set": "encoding:latin-1"}, "café", True),
    ({"set": "encoding:latin-1"}, "€", False),
]
NAMES = ["JOHN SMITH", "ACME TRADING LTD.", "O'BRIEN AND SONS", "DUPONT-MARTIN", "LEE"] * 2


def kind():
    return kind_of(RuleSpec("e", "f", KIND))


def test_offending():
    assert offending(RuleSpec("e", "f", KIND, {"set": "swift_x"}), "Müller & Co") == ["ü", "&"]


def test_candidates_for_every_named_set_holding_the_accepted_characters():
    stats = stats_of(NAMES)
    assert {"swift_x", "ascii_printable", "latin1", "gbk"} <= stats.sets
    found = dict(kind().candidates(stats, "MÜLLER & SÖHNE"))
    assert ("allowed_chars", "swift_x") in found
    assert ("allowed_chars", "ascii_printable") in found  # Ü is not printable ASCII
    assert ("allowed_chars", "latin1") not in found  # Latin-1 holds Ü and &
    assert found[("allowed_chars", "swift_x")] == frozenset({"latin_ext_upper", "&"})


def test_a_named_set_is_preferred_largest_first_and_cheaper_than_a_long_forbid_list():
    stats = stats_of(NAMES)
    k = kind()
    swift = k.preference(("allowed_chars", "swift_x"), [], stats)
    latin = k.preference(("allowed_chars", "latin1"), [], stats)
    assert latin < swift
    forbid = kind_of(RuleSpec("e", "f", "forbidden_chars"))
    three = [frozenset({"latin_ext_upper"}), frozenset({"&"}), frozenset({"_"})]
    one = [frozenset({"&"})]
    named = k.cost(("allowed_chars", "swift_x"), three, stats)
    assert forbid.cost(("forbidden_chars",), three, stats) > named
    assert forbid.cost(("forbidden_chars",), one, stats) < named


def test_build_an_invented_list_from_the_accepted_units_and_siblings():
    stats = stats_of(["123", "456", "789", "012", "345"], sibling_units=frozenset({"-"}))
    [(params, _)] = kind().build([(("allowed_chars", ""), [frozenset({"ascii_upper"})])], stats)
    assert params == {"classes": ["ascii_digit"], "chars": "-"}
