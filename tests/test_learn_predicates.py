"""harness.learn.predicates: value shapes, derived patterns, bounds, field profiles, breaks."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.checksums import is_luhn
from harness.learn.predicates import (
    SAMPLE,
    FieldProfile,
    breaks,
    derive_patterns,
    fast_luhn,
    is_symbol,
    nice_bound,
    shape,
)


def profile(values, rows=None):
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return FieldProfile(counts, rows or len(values), present=rows or len(values))


@pytest.mark.parametrize(
    "value, expected",
    [
        ("13812345678", "99999999999"),
        ("B1栋 Room 1203", "A9汉 Aaaa 9999"),
        ("（中国）", "（汉汉）"),
        ("", ""),
    ],
)
def test_shape(value, expected):
    assert shape(value) == expected


@pytest.mark.parametrize(
    "ch, expected",
    [("(", True), (" ", True), ("、", True), ("A", False), ("中", False), ("１", False)],
)
def test_is_symbol(ch, expected):
    assert is_symbol(ch) is expected


def test_patterns_from_mobiles_fix_the_leading_digits():
    values = [f"1{d}{i:09d}" for d in "3589" for i in range(5)]
    patterns = dict(derive_patterns(values))
    assert r"^\d{11}$" in patterns
    refined = [r for r in patterns if r.startswith("^1[")]
    assert refined == [r"^1[3589]\d{9}$"]
    assert re.fullmatch(refined[0], "12812345678") is None
    assert all(re.fullmatch(refined[0], v) for v in values)


def test_patterns_position_wise_for_mixed_codes():
    values = ["AB12345678", "CD23456789", "EF3456789X"] * 4
    values = [v[:9] + c for v, c in zip(values, "0123456789AB", strict=True)]
    regexes = [r for r, _ in derive_patterns(values)]
    assert r"^[A-Z]{2}\d{7}[0-9A-Z]$" in regexes


def test_no_pattern_for_chinese_free_text_or_few_values():
    assert derive_patterns(["上海市某路1号"] * 20) == []
    assert derive_patterns(["12345"] * 3) == []


@pytest.mark.parametrize(
    "lo, hi, upper, scale, expected",
    [
        ("2999123.45", "5000000.01", True, 2, "5000000.00"),
        ("2999123.45", "8800000.00", True, 2, "8000000.00"),
        ("0.00", "1.00", False, 2, "0.01"),
        ("0", "17", False, 0, "1"),
        ("58", "61", True, 0, "60"),
    ],
)
def test_nice_bound(lo, hi, upper, scale, expected):
    bound = nice_bound(Decimal(lo), Decimal(hi), upper=upper, scale=scale)
    assert bound == Decimal(expected)
    if upper:
        assert Decimal(lo) <= bound < Decimal(hi)
    else:
        assert Decimal(lo) < bound <= Decimal(hi)


def test_profile_measures():
    p = profile(["华瑞（中国）科技有限公司", "上海宏鑫贸易有限公司", "北京恒泰物流有限公司"] * 3)
    assert p.max_len == 12
    assert p.max_bytes == {"gbk": 24, "utf-8": 36}
    assert p.encodable == {"gbk": True, "gb2312": True}
    assert "cjk" in p.classes and "ascii_punct" not in p.classes
    assert not p.spaced
    assert p.decimal is None and p.patterns == []


def test_breaks_on_a_company_name():
    p = profile(["华瑞（中国）科技有限公司", "上海宏鑫贸易有限公司", "北京恒泰物流有限公司"] * 3)
    found = breaks(p, "华瑞(中国)科技有限公司")
    absent, symbols, _ = found[("chars",)]
    assert "ascii_punct" in absent and symbols == {"(", ")"}
    assert ("max_length",) not in found
    too_long = breaks(p, "上海宏鑫贸易有限公司" * 2)
    assert too_long[("max_length",)] == 20 and too_long[("max_bytes", "gbk")] == 40
    assert ("space",) in breaks(p, " 上海宏鑫贸易有限公司")
    assert breaks(p, "上海宏鑫贸易有限公司") == {}


def test_breaks_required_only_when_always_present():
    assert ("required",) in breaks(profile(["a1", "b2", "c3", "d4", "e5"]), None)
    assert ("required",) in breaks(profile(["a1", "b2", "c3", "d4", "e5"]), "")
    sometimes = FieldProfile({"a1": 5}, rows=10, present=5)
    assert breaks(sometimes, None) == {}


def test_breaks_checksum_enum_decimal():
    from harness.checksums import luhn_check

    cards = [b + luhn_check(b) for b in (f"6222{i:012d}" for i in range(8))]
    p = profile(cards)
    assert p.checksums == ("luhn",)
    bad = cards[0][:-1] + str((int(cards[0][-1]) + 1) % 10)
    assert ("checksum", "luhn") in breaks(p, bad)

    cur = profile(["CNY"] * 40)
    assert cur.enum == ("CNY",)
    assert ("enum",) in breaks(cur, "USD")

    amounts = profile(["12.50", "3000.00", "99.99", "1.00", "45000.10"])
    assert amounts.decimal is not None and amounts.decimal.scale == 2
    assert ("decimal", "scale") in breaks(amounts, "12.345")
    assert breaks(amounts, "8800000.00")[("decimal", "max")] == Decimal("8800000.00")
    assert breaks(amounts, "0.00")[("decimal", "min")] == Decimal("0.00")


def test_identifier_digits_are_not_amounts():
    ids = profile([f"6222{i:012d}" for i in range(8)])
    assert ids.decimal is None


def test_breaks_encodings():
    names = profile(["王伟", "李娜", "张敏", "刘洋", "陈静"])
    assert ("encodable", "gb2312") in breaks(names, "王喆")  # 喆 is GBK, not GB2312
    assert ("encodable", "gbk") not in breaks(names, "王喆")
    found = breaks(names, "王\U00020000")
    assert ("encodable", "gbk") in found and ("encodable", "gb2312") in found


@given(st.text(alphabet="0123456789", min_size=0, max_size=25) | st.text(max_size=6))
def test_fast_luhn_agrees_with_checksums(value):
    assert fast_luhn(value) == is_luhn(value)


def test_a_guess_from_the_sample_is_verified_on_every_value():
    values = [f"1{d}{i:09d}" for i in range(SAMPLE) for d in "38"][: SAMPLE + 10]
    values.append("12345678901")  # past the sample: starts with 12
    p = profile(values)
    refined = [r for r, _, _ in p.patterns if r.startswith("^1[")]
    assert refined and not p.pattern_holds(refined[0])
    assert ("pattern", refined[0]) not in breaks(p, "10000000000")
    assert ("pattern", r"^\d{11}$") in breaks(p, "1234567890")


def test_a_checksum_guess_is_verified_on_every_value():
    from harness.checksums import luhn_check

    cards = [b + luhn_check(b) for b in (f"6222{i:012d}" for i in range(SAMPLE + 5))]
    cards.append(cards[-1][:-1] + str((int(cards[-1][-1]) + 1) % 10))
    p = profile(cards)
    assert p.checksum_guesses == ("luhn",) and p.checksums == ()
    assert breaks(p, cards[-1]) == {}
