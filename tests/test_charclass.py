"""Character classes: half/full width, GBK width, GB2312 membership, astral, punctuation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import ConfigError
from harness.text.charclass import (
    CLASS_NAMES,
    byte_length,
    classes,
    gb2312_level,
    gbk_width,
    in_gb2312,
    in_gbk,
    is_fullwidth_form,
    signature,
    to_fullwidth,
    to_halfwidth,
)

CLASSES = [
    ("A", {"ascii_upper", "gb2312", "gbk"}),
    ("z", {"ascii_lower", "gb2312", "gbk"}),
    ("7", {"ascii_digit", "gb2312", "gbk"}),
    ("(", {"ascii_punct", "gb2312", "gbk"}),
    (" ", {"ascii_space", "gb2312", "gbk"}),
    ("\t", {"control", "gb2312", "gbk"}),
    ("Ａ", {"fullwidth_form", "fullwidth_upper", "gb2312", "gbk"}),
    ("ｂ", {"fullwidth_form", "fullwidth_lower", "gb2312", "gbk"}),
    ("３", {"fullwidth_form", "fullwidth_digit", "gb2312", "gbk"}),
    ("（", {"fullwidth_form", "fullwidth_punct", "cjk_punct", "gb2312", "gbk"}),
    ("\u3000", {"fullwidth_space", "gb2312", "gbk"}),
    ("中", {"cjk", "gb2312", "gbk"}),
    ("亍", {"cjk", "gb2312", "gbk"}),  # level 2
    ("堃", {"cjk", "gbk"}),  # GBK, not GB2312: common in personal names
    ("\u9fa6", {"cjk"}),  # BMP ideograph outside GBK
    ("\U00020000", {"cjk", "astral"}),
    ("😀", {"astral", "emoji"}),
    ("【", {"cjk_punct", "gb2312", "gbk"}),
    ("。", {"cjk_punct", "gb2312", "gbk"}),
    ("“", {"cjk_punct", "gb2312", "gbk"}),
    ("、", {"cjk_punct", "gb2312", "gbk"}),
    ("é", {"latin_ext_lower", "gb2312", "gbk"}),  # pinyin letters are in GB2312
    ("ß", {"latin_ext_lower"}),
    ("Ø", {"latin_ext_upper"}),
    ("Ж", {"cyrillic", "gb2312", "gbk"}),
    ("λ", {"greek", "gb2312", "gbk"}),
    ("한", {"hangul"}),
    ("あ", {"hiragana", "gb2312", "gbk"}),
    ("ぁ", {"kana_small", "gb2312", "gbk"}),
    ("ア", {"katakana", "gb2312", "gbk"}),
    ("ｧ", {"kana_small"}),
    ("ｰ", {"halfwidth_katakana"}),
    ("･", {"cjk_punct"}),
    ("٣", {"other_digit"}),
    ("€", {"symbol"}),
    ("²", {"symbol"}),
    ("\u00a0", {"space_other"}),
    ("\u0301", {"mark"}),
    ("¿", {"punct_other"}),
    ("\u200d", {"control"}),
    ("ｱ", {"halfwidth_katakana"}),  # half-width katakana: not in GBK
    ("\ue000", {"other"}),  # private use
]


@pytest.mark.parametrize(("ch", "expected"), CLASSES)
def test_classes(ch, expected):
    assert classes(ch) == frozenset(expected)
    assert classes(ch) <= set(CLASS_NAMES)


@pytest.mark.parametrize("ch", list("（）【】《》，。；：“”‘’、"))
def test_chinese_punctuation_is_cjk_punct(ch):
    assert "cjk_punct" in classes(ch)
    assert "cjk" not in classes(ch)


def test_classes_wants_one_character():
    with pytest.raises(ValueError):
        classes("ab")


@pytest.mark.parametrize(
    ("ch", "width"),
    [("a", 1), ("中", 2), ("（", 2), ("堃", 2), ("\u3000", 2), ("\U00020000", None), ("ｱ", None)],
)
def test_gbk_width(ch, width):
    assert gbk_width(ch) == width
    assert in_gbk(ch) is (width is not None)


@pytest.mark.parametrize(
    ("ch", "level"),
    [("啊", 1), ("中", 1), ("亍", 2), ("齄", 2), ("堃", None), ("A", None), ("（", None)],
)
def test_gb2312_level(ch, level):
    assert gb2312_level(ch) == level


def test_gb2312_has_6763_hanzi_in_two_levels():
    counts = {1: 0, 2: 0}
    for cp in range(0x4E00, 0xA000):
        level = gb2312_level(chr(cp))
        if level:
            counts[level] += 1
    assert counts == {1: 3755, 2: 3008}
    assert in_gb2312("中") and not in_gb2312("堃")


def test_half_and_full_width_conversion():
    assert to_fullwidth("xx(中国)有限公司 A1") == "ｘｘ（中国）有限公司\u3000Ａ１"
    assert to_halfwidth("ｘｘ（中国）有限公司\u3000Ａ１") == "xx(中国)有限公司 A1"
    assert (
        is_fullwidth_form("（") and not is_fullwidth_form("(") and not is_fullwidth_form("\u3000")
    )


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E)))
def test_fullwidth_round_trip(s):
    full = to_fullwidth(s)
    assert all(ord(c) == ord(h) + 0xFEE0 for c, h in zip(full, s, strict=True))
    assert to_halfwidth(full) == s


@pytest.mark.parametrize(
    ("s", "encoding", "n"),
    [
        ("xx(中国)有限公司", "gbk", 16),
        ("xx(中国)有限公司", "utf-8", 22),
        ("\U00020000a", "gbk", 5),  # counted as GB18030 would send it
        ("\U00020000a", "gb18030", 5),
        ("", "gbk", 0),
    ],
)
def test_byte_length(s, encoding, n):
    assert byte_length(s, encoding) == n


def test_byte_length_unknown_encoding():
    with pytest.raises(ConfigError):
        byte_length("a", "no-such-codec")


def test_signature_compares_shapes():
    assert signature("Ab1中") == signature("Zz9国")
    assert signature("Ab1中") != signature("Ab1堃")
