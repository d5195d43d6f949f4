"""harness.outcome.verdicts: one table of production's answer x a target's answer -> verdict."""

from __future__ import annotations

import pytest

from harness.outcome.verdicts import (
    VERDICTS,
    Answer,
    decide,
    is_probe,
    named_labels,
    same_rejection,
)

LABELS = ("企业名称", "经营地址", "账户名称", "法人姓名")

OK = Answer("accepted", "000000", "成功", 200)
NAME = Answer("rejected", "ED0012", "企业名称含有非法字符", 200)
NAME_OTHER_CODE = Answer("rejected", "E9999", "企业名称含有非法字符", 200)
NAME_OTHER_WORDS = Answer("rejected", "E1001", "企业名称格式不正确", 200)
ADDRESS = Answer("rejected", "ED0031", "经营地址含有非法字符", 200)
GENERIC = Answer("rejected", "E0001", "参数校验失败", 200)
BARE_400 = Answer("rejected", None, None, 400)
BARE_404 = Answer("rejected", None, None, 404)
BARE_500 = Answer("rejected", None, None, 500)
DOWN = Answer("upstream_error", error="connection refused")
BUSY = Answer("upstream_error", "E503", "系统繁忙", 503)


@pytest.mark.parametrize(
    ("production", "target", "verdict"),
    [
        (NAME, OK, "production_only"),
        (NAME, NAME, "reproducible"),
        (NAME, NAME_OTHER_CODE, "reproducible"),  # an equivalent message
        (NAME, NAME_OTHER_WORDS, "reproducible"),  # the same field label
        (NAME, ADDRESS, "different_rejection"),
        (NAME, GENERIC, "different_rejection"),
        (BARE_400, BARE_404, "reproducible"),  # no codes, no messages: status class
        (NAME, BARE_400, "different_rejection"),
        (NAME, DOWN, "target_error"),
        (NAME, BUSY, "target_error"),
        (NAME, BARE_500, "target_error"),
        (OK, OK, "consistent"),
        (OK, NAME, "target_only"),
        (OK, DOWN, "target_error"),
        (BUSY, OK, None),  # production had no answer to compare with
    ],
)
def test_staging_verdicts(production, target, verdict):
    assert decide(production, target, labels=LABELS) == verdict


@pytest.mark.parametrize(
    ("production", "target", "verdict"),
    [
        (NAME, NAME, "mock_agrees"),
        (NAME, NAME_OTHER_WORDS, "mock_agrees"),
        (NAME, OK, "mock_disagrees"),
        (NAME, ADDRESS, "mock_disagrees"),
        (OK, OK, "mock_agrees"),
        (OK, NAME, "mock_disagrees"),
        (BARE_400, BARE_404, "mock_agrees"),
        (NAME, DOWN, "target_error"),
    ],
)
def test_mock_verdicts(production, target, verdict):
    assert decide(production, target, probe=True, labels=LABELS) == verdict


def test_every_verdict_is_named():
    assert set(VERDICTS) >= {
        "production_only",
        "reproducible",
        "mock_agrees",
        "mock_disagrees",
        "target_error",
        "consistent",
        "target_only",
    }


def test_labels_inside_longer_labels_do_not_count():
    labels = ("名称", "企业名称", "账户名称")
    assert named_labels("企业名称含有非法字符", labels) == {"企业名称"}
    a = Answer("rejected", "E1", "企业名称含有非法字符")
    b = Answer("rejected", "E2", "账户名称含有非法字符")
    assert not same_rejection(a, b, labels)


def test_without_labels_only_codes_and_messages_count():
    assert not same_rejection(NAME, NAME_OTHER_WORDS)
    assert same_rejection(NAME, NAME_OTHER_CODE)


def test_probe_targets():
    assert is_probe("mock")
    assert is_probe("rules", ["rules"])
    assert not is_probe("staging", ["rules"])
