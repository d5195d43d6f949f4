"""The simulator's own check characters and data pools (the world, kept independent of the harness)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import ConfigError
from harness.sim import checks, pools
from harness.sim.checks import compile_rule
from harness.text import checksums


def test_known_values():
    # Published GB 11643 example and a Luhn test number.
    assert checks.id_number_check("11010519491231002") == "X"
    assert checks.is_id_number("11010519491231002X")
    assert not checks.is_id_number("110105194912310021")
    assert checks.is_luhn("4111111111111111")
    assert not checks.is_luhn("4111111111111112")
    assert checks.is_credit_code("91350100M000100Y43")
    assert not checks.is_credit_code("91350100M000100Y44")


@given(st.text(alphabet=checks.CREDIT_ALPHABET, min_size=17, max_size=17))
def test_credit_code_agrees_with_harness(body):
    assert checks.credit_code_check(body) == checksums.credit_code_check(body)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_id_number_check_agrees_with_harness(body):
    assert checks.id_number_check(body) == checksums.id_number_check(body)


@given(st.text(alphabet="0123456789", min_size=1, max_size=25))
def test_luhn_agrees_with_harness(body):
    assert checks.luhn_check(body) == checksums.luhn_check(body)
    assert checks.is_luhn(body + checks.luhn_check(body))


def _gb2312(s: str) -> bool:
    try:
        s.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def test_pools_are_in_gb2312_and_rare_chars_are_not():
    plain = (
        "".join(pools.SURNAMES) + pools.GIVEN_CHARS + pools.BRAND_CHARS + "".join(pools.INDUSTRIES)
    )
    plain += "".join(r[0] for r in pools.REGIONS) + "".join(pools.ROADS) + "".join(pools.SCOPES)
    assert _gb2312(plain)
    assert all(not _gb2312(c) for c in pools.RARE_CHARS)


def test_maker_values_are_valid_and_flawed_ones_are_not():
    m = pools.Maker(random.Random(3))
    for _ in range(300):
        assert checks.is_credit_code(m.credit_code())
        assert checks.is_id_number(m.id_number())
        assert checks.is_luhn(m.card())
        assert checksums.is_mobile(m.mobile())
        assert not checksums.is_mobile(m.bad_mobile())
        assert not checks.is_luhn(m.bad_check(m.card(), "0123456789"))
        assert not checks.is_id_number(m.bad_check(m.id_number(), "0123456789X"))
        assert not checks.is_credit_code(m.bad_check(m.credit_code(), checks.CREDIT_ALPHABET))
        assert "(" in m.company_with_parens("()")
        assert "（" in m.company_with_parens("（）")
        assert not _gb2312(m.rare_person())


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("nope", {}, "unknown rule kind 'nope'"),
        ("pattern", {}, "needs the parameter 'regex'"),
        ("pattern", {"regex": "("}, "bad regex"),
        ("forbid_chars", {"classes": ["emoji"]}, "unknown class 'emoji'"),
        ("encodable", {"encoding": "klingon"}, "unknown encoding 'klingon'"),
        ("max_bytes", {"encoding": "gbk", "max": -1}, "non-negative integer"),
        ("range", {"min": "x"}, "not a number"),
        ("enum", {"values": []}, "non-empty list"),
        ("check_digit", {"scheme": "md5"}, "unknown scheme 'md5'"),
    ],
)
def test_bad_rule_params(kind, params, message):
    with pytest.raises(ConfigError, match=message):
        compile_rule(kind, params)


def test_max_bytes_counts_characters_outside_gbk_as_four():
    ok = compile_rule("max_bytes", {"encoding": "gbk", "max": 6})
    assert ok("王𠇔")  # 2 + 4
    assert not ok("王𠇔a")
    assert ok("abcdef") and not ok("abcdefg")
