"""Field paths: flatten, get, set_value, rule paths, names and plan-entry matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.codecs.fields import (
    compile_matcher,
    flatten,
    get,
    join,
    matches,
    name_of,
    rule_path,
    set_value,
    split_path,
    strip_indices,
)
from harness.errors import ConfigError, NotFoundError

TREE = {
    "code": "000000",
    "data": {"serialNo": "S1", "items": [{"amount": "1.00"}, {"amount": "2.00", "tags": []}]},
    "x.y": {"a[b]": "odd"},
    "empty": {},
    "flag": True,
    "none": None,
}


def test_flatten_yields_leaves_in_document_order():
    assert flatten(TREE) == {
        "code": "000000",
        "data.serialNo": "S1",
        "data.items[0].amount": "1.00",
        "data.items[1].amount": "2.00",
        '["x.y"]["a[b]"]': "odd",
        "flag": True,
        "none": None,
    }
    assert list(flatten(TREE))[0:3] == ["code", "data.serialNo", "data.items[0].amount"]


def test_flatten_scalar_and_top_level_list():
    assert flatten("hello") == {"": "hello"}
    assert flatten([{"id": "1"}, "x"]) == {"[0].id": "1", "[1]": "x"}
    assert flatten({}) == {}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("code", "000000"),
        ("data.items[1].amount", "2.00"),
        ('["x.y"]["a[b]"]', "odd"),
        ("data.items", TREE["data"]["items"]),
        ("data.items[5].amount", None),
        ("data.missing", None),
        ("code.deeper", None),
    ],
)
def test_get(path, expected):
    assert get(TREE, path) == expected


def test_get_default_tells_missing_from_null():
    sentinel = object()
    assert get(TREE, "none", sentinel) is None
    assert get(TREE, "nothing", sentinel) is sentinel


def test_set_value_returns_new_tree_and_keeps_the_old():
    new = set_value(TREE, "data.items[0].amount", "9.99")
    assert get(new, "data.items[0].amount") == "9.99"
    assert get(TREE, "data.items[0].amount") == "1.00"
    assert new["data"]["items"][1] is TREE["data"]["items"][1]  # untouched parts are shared


def test_set_value_creates_missing_keys_and_quoted_keys():
    new = set_value({}, 'a["x.y"].b', "v")
    assert new == {"a": {"x.y": {"b": "v"}}}
    assert set_value("old", "", "new") == "new"


@pytest.mark.parametrize(
    "path", ["data.items[7].amount", "code.x", "data.serialNo[0]", "data.items[].amount"]
)
def test_set_value_unreachable(path):
    with pytest.raises(NotFoundError):
        set_value(TREE, path, "v")


@pytest.mark.parametrize(
    "path", ["a..b", "a.", ".a", "a[x]", "a[0]b", 'a["unterminated]', "a]b", "a[1"]
)
def test_malformed_paths(path):
    with pytest.raises(ConfigError):
        split_path(path)


@pytest.mark.parametrize(
    ("path", "rule", "bare", "name"),
    [
        ("items[3].amount", "items[].amount", "items.amount", "amount"),
        ("a[0][1].b", "a[][].b", "a.b", "b"),
        ("items[3]", "items[]", "items", "items"),
        ('a["k[3]"].b', 'a["k[3]"].b', 'a["k[3]"].b', "b"),
        ('a["x.y"]', 'a["x.y"]', 'a["x.y"]', "x.y"),
        ("[0].id", "[].id", "id", "id"),
        ("", "", "", ""),
    ],
)
def test_rule_path_strip_and_name(path, rule, bare, name):
    assert rule_path(path) == rule
    assert strip_indices(path) == bare
    assert name_of(path) == name


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("enterpriseName", "enterpriseName", True),
        ("enterprisename", "data.enterpriseName", True),
        ("data.enterpriseName", "data.enterpriseName", True),
        ("items[].name", "items[2].name", True),
        ("items.name", "items[2].name", True),
        ("items[2].name", "items[2].name", True),
        ("items[1].name", "items[2].name", False),
        ("Name", "items[2].nameCn", False),
        ("EntName", "Request.Body.EntName", True),
        ("Body.EntName", "Request.Body.EntName", False),
        ("addr*", "data.addressLine", True),
        ("*Mobile", "legalMobile", True),
        ("data.*", "data.items[0].x", True),
        ("data.*", "meta.x", False),
        ("x.y", 'a["x.y"]', True),
    ],
)
def test_matches(pattern, path, expected):
    assert matches(pattern, path) is expected
    assert compile_matcher([pattern, "unrelated"])(path) is expected


def test_compile_matcher_without_patterns():
    assert compile_matcher([])("anything") is False


keys = st.text(min_size=0, max_size=6)
leaves = st.one_of(st.text(max_size=5), st.booleans(), st.none())
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3)
    ),
    max_leaves=12,
)


@given(trees)
def test_every_flattened_path_gets_its_leaf(tree):
    for path, leaf in flatten(tree).items():
        assert get(tree, path, default=object()) == leaf


@given(trees, st.text(max_size=4))
def test_set_value_on_every_leaf(tree, new):
    for path in flatten(tree):
        changed = set_value(tree, path, new)
        assert get(changed, path) == new
        assert list(flatten(changed)) == list(flatten(tree))


@given(st.lists(st.one_of(keys, st.integers(0, 20)), max_size=5))
def test_join_and_split_round_trip(segments):
    path = ""
    for seg in segments:
        path = join(path, seg)
    assert split_path(path) == segments


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("EntName", "Request.Body.EntName.#text", True),
        ("Request.Body.EntName", "Request.Body.EntName.#text", True),
        ("EntName", "Request.Body.EntName.#text[1]", True),
        ("type", "Request.Contact[0].@type", True),
        ("@type", "Request.Contact[0].@type", True),
        ("Contact", "Request.Contact[0].@type", False),
    ],
)
def test_matches_xml_text_and_attributes(pattern, path, expected):
    assert matches(pattern, path) is expected
