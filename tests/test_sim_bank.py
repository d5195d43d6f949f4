"""Loading bank files: the default, other banks built from it, and one-line errors for bad ones."""

from __future__ import annotations

import copy

import pytest
import yaml

from harness.errors import ConfigError
from harness.sim.bank import DEFAULT_BANK, load_bank

RAW = yaml.safe_load(DEFAULT_BANK.read_text(encoding="utf-8"))


def write(tmp_path, doc) -> str:
    path = tmp_path / "bank.yaml"
    path.write_text(
        doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8"
    )
    return str(path)


def test_default_bank():
    bank = load_bank()
    assert bank.name == "simbank"
    assert bank.roles == {"prod": 18080, "staging": 18081}
    assert [e.name for e in bank.endpoints] == ["vaccount_open", "transfer", "enterprise_update"]
    assert len({r.id for r in bank.rules}) == len(bank.rules)
    ep, params, _ = bank.route("POST", "/openapi/v1/enterprise/M10020001/update")
    assert ep is not None and ep.format == "xml" and params == {"merchantNo": "M10020001"}
    assert bank.route("GET", "/openapi/v1/transfer") == (None, {}, True)
    assert bank.route("POST", "/nowhere") == (None, {}, False)


def test_other_bank_from_the_default(tmp_path):
    doc = copy.deepcopy(RAW)
    # staging now also enforces the half-width rule on enterprise names
    for rule in doc["endpoints"][0]["rules"]:
        if rule.get("field") == "enterpriseName" and rule["kind"] == "forbid_chars":
            rule["roles"] = ["prod", "staging"]
    bank = load_bank(write(tmp_path, doc))
    rule = next(r for r in bank.rules if r.id == "vaccount_open.enterpriseName.forbid_chars")
    assert rule.roles == {"prod", "staging"}
    assert bank.source and bank.source.endswith("bank.yaml")


def _mutate(path, value):
    def apply(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return doc

    return apply


BAD = [
    (_mutate(("roles",), {}), "'roles' must name at least one role"),
    (_mutate(("roles", "prod"), {"port": "x"}), "'port' must be a port number"),
    (_mutate(("responses", "success"), KeyError), "'responses' lacks 'success'"),
    (_mutate(("responses", "signature", "code"), 101), "needs a 'code'"),
    (_mutate(("responses", "flaky", 0, "weight"), 0), "'weight' must be a positive integer"),
    (_mutate(("endpoints",), []), "'endpoints' is empty"),
    (_mutate(("endpoints", 0, "format"), "soap"), "'format' must be one of"),
    (_mutate(("endpoints", 0, "path"), "openapi"), "'path' must start with '/'"),
    (_mutate(("endpoints", 0, "data", "serialNo"), "guid"), "unknown generator 'guid'"),
    (_mutate(("endpoints", 0, "rules", 1, "kind"), "telepathy"), "unknown rule kind 'telepathy'"),
    (_mutate(("endpoints", 0, "rules", 1, "roles"), ["uat"]), "unknown role 'uat'"),
    (_mutate(("endpoints", 0, "rules", 1, "roles"), KeyError), "needs a non-empty list of 'roles'"),
    (_mutate(("endpoints", 0, "rules", 1, "regex"), "("), "bad regex"),
    (_mutate(("endpoints", 0, "rules", 1, "status"), 999), "'status' must be an HTTP status"),
    (_mutate(("endpoints", 0, "rules", 1, "field"), KeyError), "needs a 'field'"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD)
def test_bad_bank_files(tmp_path, mutate, message):
    path = write(tmp_path, mutate(copy.deepcopy(RAW)))
    with pytest.raises(ConfigError, match=message) as info:
        load_bank(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"bank file {path!r}")


def test_duplicate_rule_ids(tmp_path):
    doc = copy.deepcopy(RAW)
    doc["endpoints"][0]["rules"].append(dict(doc["endpoints"][0]["rules"][1]))
    with pytest.raises(ConfigError, match="duplicate rule id 'vaccount_open.merchantNo.pattern'"):
        load_bank(write(tmp_path, doc))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("endpoints: [", "not valid YAML at line"),
        ("- 1\n- 2\n", "the file must be a mapping"),
        ("", "the file must be a mapping"),
    ],
)
def test_unreadable_bank_files(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_bank(write(tmp_path, text))


def test_missing_bank_file(tmp_path):
    with pytest.raises(ConfigError, match="bank file not found"):
        load_bank(tmp_path / "nope.yaml")
