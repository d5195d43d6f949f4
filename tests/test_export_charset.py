"""Character classes as regex classes: escaping, and the fast walk against the full one."""

from __future__ import annotations

import re

import pytest

from harness.rules import regex as charset


@pytest.mark.parametrize(
    ("cp", "written"),
    [
        (ord("a"), "a"),
        (ord("("), "("),
        (ord("]"), "\\]"),
        (ord("\\"), "\\\\"),
        (ord("^"), "\\^"),
        (ord("-"), "\\-"),
        (ord("["), "\\["),
        (ord("|"), "\\|"),
        (ord("&"), "\\u0026"),
        (ord("~"), "\\u007E"),
        (ord(" "), "\\u0020"),
        (0x0A, "\\u000A"),
        (ord("（"), "\\uFF08"),
        (ord("中"), "\\u4E2D"),
        (0x20000, "\U00020000"),
    ],
)
def test_atoms_are_escaped_for_both_dialects(cp, written):
    assert charset.atom(cp) == written
    assert re.fullmatch(f"[{written}]", chr(cp))


def test_ranges_merge_and_shorten():
    assert charset.merge([(5, 6), (1, 3), (4, 4), (10, 12)]) == [(1, 6), (10, 12)]
    assert (
        charset.class_body([(ord("a"), ord("c")), (ord("x"), ord("y")), (ord("("), ord("("))])
        == "a-cxy("
    )


def test_forbidden_and_allowed_patterns():
    ranges = charset.rule_ranges(["ascii_upper", "ascii_lower"], "()")
    assert charset.forbidden_pattern(ranges) == "^[^()A-Za-z]*$"
    assert charset.allowed_pattern(charset.rule_ranges(["ascii_digit"], "")) == "^[0-9]*(?!\\n)$"
    assert charset.forbidden_pattern(charset.rule_ranges(["gb2312"], "")) is None  # too scattered
    assert charset.allowed_pattern([]) == "^(?!\\n)$"


def test_known_classes_come_from_charclass():
    from harness.text.charclass import CLASS_NAMES

    assert charset.known_classes() <= set(CLASS_NAMES)
    assert {"ascii_upper", "cjk", "astral", "control", "gb2312"} <= charset.known_classes()
    assert charset.class_ranges("fullwidth_form") == ((0xFF01, 0xFF5E),)


@pytest.mark.slow
def test_fast_walk_equals_the_full_walk():
    """The astral shortcut (runs of one category in 16-code-point blocks) loses nothing."""
    assert charset._class_ranges() == charset.full_walk()
