"""harness.replay.diff: deepdiff re-keyed by our field paths, noise cut out, Diffy-style noise."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.replay.diff import compare, count, matches_noise, noise_paths, to_path

PROD = {
    "code": "ED0012",
    "msg": "企业名称含有非法字符",
    "data": {"serialNo": "SN1", "items": [{"ts": "1", "v": "a"}, {"ts": "2", "v": "b"}]},
}


@pytest.mark.parametrize(
    ("deepdiff_path", "ours"),
    [
        ("root", ""),
        ("root['code']", "code"),
        ("root['data']['serialNo']", "data.serialNo"),
        ("root['items'][0]['amount']", "items[0].amount"),
        ("root[2]['id']", "[2].id"),
        ("root['a.b']['c']", '["a.b"].c'),
        ("root['Response']['Head']['RspCode']", "Response.Head.RspCode"),
    ],
)
def test_paths_are_ours(deepdiff_path, ours):
    assert to_path(deepdiff_path) == ours


def test_equal_trees_give_an_empty_report():
    assert compare(PROD, json.loads(json.dumps(PROD))) == {}


def test_changed_values_are_keyed_by_field_path():
    target = {**PROD, "code": "000000", "msg": "成功"}
    report = compare(PROD, target)
    assert report == {
        "values_changed": {
            "code": {"production": "ED0012", "target": "000000"},
            "msg": {"production": "企业名称含有非法字符", "target": "成功"},
        }
    }
    assert count(report) == 2


def test_added_and_removed_fields():
    target = {"code": "000000", "data": {"accountNo": "6230"}}
    report = compare({"code": "000000", "msg": "x"}, target)
    assert report["dictionary_item_added"] == ["data"]
    assert report["dictionary_item_removed"] == ["msg"]


def test_type_changes_name_json_types():
    report = compare({"data": {"a": "1"}}, {"data": "oops"})
    assert report == {"type_changes": {"data": {"production": "object", "target": "string"}}}


@pytest.mark.parametrize(
    "noise",
    [
        ["data.serialNo", "data.items[].ts"],  # full path and rule path
        ["serialNo", "ts"],  # last names, anywhere
        ["SERIALNO", "Data.Items[].TS"],  # case-insensitive
        ["serial*", "data.items.ts"],  # a glob; the path without indices
    ],
)
def test_noise_is_ignored(noise):
    target = {
        "code": "ED0012",
        "msg": "企业名称含有非法字符",
        "data": {"serialNo": "SN2", "items": [{"ts": "3", "v": "a"}, {"ts": "4", "v": "b"}]},
    }
    assert compare(PROD, target, []) != {}
    assert compare(PROD, target, noise) == {}


def test_noise_does_not_hide_other_differences():
    target = {
        "code": "ED0012",
        "msg": "企业名称含有非法字符",
        "data": {"serialNo": "SN2", "items": [{"ts": "3", "v": "a"}, {"ts": "4", "v": "c"}]},
    }
    report = compare(PROD, target, ["serialNo", "ts"])
    assert report == {"values_changed": {"data.items[1].v": {"production": "b", "target": "c"}}}


def test_list_order_is_ignored():
    a = {"items": [{"v": "a"}, {"v": "b"}, {"v": "c"}]}
    b = {"items": [{"v": "c"}, {"v": "a"}, {"v": "b"}]}
    assert compare(a, b) == {}


def test_noise_subtree_is_ignored_whole():
    assert compare({"data": {"x": "1", "y": "2"}}, {"data": {"x": "9"}}, ["data"]) == {}


def test_scalar_bodies_diff_at_the_root():
    assert compare("busy", "ok") == {"values_changed": {"": {"production": "busy", "target": "ok"}}}
    assert compare(None, {"code": "0"})["type_changes"][""] == {
        "production": "null",
        "target": "object",
    }


def test_report_is_json_ready():
    class Num(str):  # like harness.codecs.JsonNumber
        pass

    report = compare({"amount": Num("1.00"), "items": [1]}, {"amount": Num("1.0"), "items": [1, 2]})
    json.dumps(report)
    assert report["values_changed"]["amount"] == {"production": "1.00", "target": "1.0"}
    assert report["iterable_item_added"] == {"items[1]": 2}


def test_noise_paths_between_two_answers():
    a = {"code": "000000", "data": {"serialNo": "1", "items": [{"ts": "1", "v": "a"}]}, "x": "1"}
    b = {"code": "000000", "data": {"serialNo": "2", "items": [{"ts": "2", "v": "a"}]}, "y": "1"}
    assert noise_paths(a, b) == {"data.serialNo", "data.items[].ts", "x", "y"}
    assert noise_paths(a, a) == set()


def test_noise_paths_name_leaves_of_an_empty_container():
    assert noise_paths({"data": {}}, {"data": {"a": "1", "b": {"c": "2"}}}) == {"data.a", "data.b"}
    assert noise_paths("t1", "t2") == {""}
    assert compare("t1", "t2", {""}) == {}


def test_matches_noise():
    assert matches_noise("Response.Head.SerialNo", ["serialno"])
    assert matches_noise("data.items[3].ts", ["data.items[].ts"])
    assert not matches_noise("data.serial", ["serialNo"])


_leaf = st.one_of(st.text(max_size=5), st.booleans(), st.none())
_tree = st.recursive(
    _leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(min_size=1, max_size=4), children, max_size=3),
    ),
    max_leaves=12,
)


@given(_tree)
def test_a_tree_equals_itself_and_has_no_noise(tree):
    assert compare(tree, tree) == {}
    assert noise_paths(tree, tree) == set()


@given(_tree, _tree)
def test_what_differs_is_noise(a, b):
    """Declaring the detected noise makes two answers compare equal (Diffy's invariant)."""
    json.dumps(compare(a, b))
    assert compare(a, b, noise_paths(a, b)) == {}
