"""Check characters of credit codes, resident IDs and card numbers; mobile numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.text.checksums import (
    CREDIT_ALPHABET,
    credit_code_check,
    id_birth_date,
    id_number_check,
    is_credit_code,
    is_id_number,
    is_luhn,
    is_mobile,
    luhn_check,
    valid_date,
)

# Published examples: GB 11643's own two, a credit code quoted in many GB 32100 guides,
# the Luhn example of ISO/IEC 7812 and a well-known test card. The rest are synthetic and
# were checked by hand against the weights.
CREDIT_CODES = [
    ("91350100M000100Y43", True),
    ("911101085923662400", True),
    ("91350100M000100Y44", False),
    ("91350100M000100Y4", False),  # 17 characters
    ("91350100M000100YI3", False),  # I is not in the alphabet
    ("91350100m000100Y43", False),  # lower case
    ("", False),
]

ID_NUMBERS = [
    ("11010519491231002X", True),
    ("440524188001010014", True),
    ("110105194912310021", False),  # wrong check
    ("11010519491231002x", False),  # lower-case x is not accepted
    ("110105194913310029", False),  # month 13; check right for the digits
    ("11010519491231002", False),
    ("1101051949123100X2", False),
]

LUHN = [
    ("79927398713", True),
    ("4111111111111111", True),
    ("79927398710", False),
    ("4111111111111112", False),
    ("0", False),
    ("12a4", False),
]

MOBILES = [
    ("13812345678", True),
    ("19912345678", True),
    ("12812345678", False),
    ("1381234567", False),
    ("138123456789", False),
    ("１３８１２３４５６７８", False),  # full-width digits
    ("+8613812345678", False),
]


@pytest.mark.parametrize(("value", "expected"), CREDIT_CODES)
def test_is_credit_code(value, expected):
    assert is_credit_code(value) is expected


@pytest.mark.parametrize(("value", "expected"), ID_NUMBERS)
def test_is_id_number(value, expected):
    assert is_id_number(value) is expected


@pytest.mark.parametrize(("value", "expected"), LUHN)
def test_is_luhn(value, expected):
    assert is_luhn(value) is expected


@pytest.mark.parametrize(("value", "expected"), MOBILES)
def test_is_mobile(value, expected):
    assert is_mobile(value) is expected


def test_check_functions_on_known_examples():
    assert credit_code_check("91350100M000100Y4") == "3"
    assert id_number_check("11010519491231002") == "X"
    assert id_number_check("44052418800101001") == "4"
    assert luhn_check("7992739871") == "3"


def test_id_check_character_covers_x_and_zero():
    # A body whose weighted sum is 2 mod 11 gets X; 1 mod 11 gets 0.
    assert id_number_check("00000000000000001") == "X"  # last weight 2
    assert id_number_check("00000000000000010") == "8"  # weight 4: index 4 -> "8"
    assert id_number_check("00000000000000000") == "1"


def test_credit_check_wraps_31_to_zero():
    assert credit_code_check("0" * 17) == "0"


@pytest.mark.parametrize(
    ("fn", "body"),
    [
        (credit_code_check, "91350100M000100Y"),
        (credit_code_check, "91350100M000100YI"),
        (id_number_check, "1101051949123100"),
        (id_number_check, "1101051949123100A"),
        (luhn_check, ""),
        (luhn_check, "12 3"),
    ],
)
def test_check_functions_reject_bad_bodies(fn, body):
    with pytest.raises(ValueError):
        fn(body)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("19491231", True),
        ("20000229", True),
        ("19000229", False),
        ("20231301", False),
        ("17991231", False),
        ("2000010", False),
    ],
)
def test_valid_date(text, ok):
    assert valid_date(text) is ok
    assert (id_birth_date(text) is not None) is ok


@given(st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17), st.integers(0, 17), st.data())
def test_credit_code_detects_every_single_substitution(body, pos, data):
    code = body + credit_code_check(body)
    assert is_credit_code(code)
    other = data.draw(st.sampled_from([c for c in CREDIT_ALPHABET if c != code[pos]]))
    assert not is_credit_code(code[:pos] + other + code[pos + 1 :])


@given(
    st.dates(min_value=date(1000, 1, 1)),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.integers(0, 17),
    st.data(),
)
def test_id_number_detects_every_single_substitution(day, digits, pos, data):
    body = digits[:6] + day.strftime("%Y%m%d") + digits[6:]
    number = body + id_number_check(body)
    assert is_id_number(number) is (1800 <= day.year <= 2099)
    if not is_id_number(number):
        return
    other = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[pos]]))
    assert not is_id_number(number[:pos] + other + number[pos + 1 :])


@given(st.text(alphabet="0123456789", min_size=1, max_size=24), st.data())
def test_luhn_detects_every_single_digit_change(body, data):
    number = body + luhn_check(body)
    assert is_luhn(number)
    pos = data.draw(st.integers(0, len(number) - 1))
    other = data.draw(st.sampled_from([c for c in "0123456789" if c != number[pos]]))
    assert not is_luhn(number[:pos] + other + number[pos + 1 :])


@given(st.one_of(st.none(), st.integers(), st.text(max_size=20)))
def test_predicates_never_raise(value):
    for fn in (is_credit_code, is_id_number, is_luhn, is_mobile):
        assert fn(value) in (True, False)
