"""The simulated world's standards and rule kinds: IBAN, BIC, UUID, dates, character sets,
JSON types, ISO lists; request parsing; and one-line errors for bad bank files."""

from __future__ import annotations

import json
import uuid

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import ConfigError
from harness.sim import standards
from harness.sim.bank import load_bank
from harness.sim.banks import NAMES
from harness.sim.checks import compile_rule
from harness.sim.parse import Container, Literal, Number, parse_fields


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("DE89370400440532013000", True),  # published examples (ISO 13616, national banks)
        ("GB82WEST12345698765432", True),
        ("NO9386011117947", True),
        ("MT84MALT011000012345MTLCAST001S", True),
        ("DE89370400440532013001", False),  # one digit off
        ("DE89 3704 0044 0532 0130 00", False),  # the print format
        ("de89370400440532013000", False),
        ("DE8937040044053201300", False),  # one short of Germany's 22
        ("ZZ89370400440532013000", False),  # no such country in the registry
        ("", False),
    ],
)
def test_iban(value, ok):
    assert standards.is_iban(value) is ok


@given(st.sampled_from(sorted(standards.IBAN_LENGTHS)), st.data())
def test_iban_check_digits_make_valid_ibans(country, data):
    size = standards.IBAN_LENGTHS[country] - 4
    bban = data.draw(
        st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=size, max_size=size)
    )
    iban = country + standards.iban_check_digits(country, bban) + bban
    assert standards.is_iban(iban)
    i = data.draw(st.integers(4, len(iban) - 1))
    if iban[i].isdigit():  # mod 97 catches every single-digit substitution
        other = str((int(iban[i]) + data.draw(st.integers(1, 9))) % 10)
        assert not standards.is_iban(iban[:i] + other + iban[i + 1 :])


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("DEUTDEFF", True),
        ("DEUTDEFF500", True),
        ("NWBKGB2L", True),
        ("DEUTDEFF5", False),
        ("DEUTDEFF50", False),
        ("deutdeff", False),
        ("DEUTZZFF", False),  # ZZ is no country
        ("DEUT DE FF", False),
    ],
)
def test_bic(value, ok):
    assert standards.is_bic(value) is ok


def test_uuid():
    v4 = str(uuid.UUID(int=12345678901234567890, version=4))
    v1 = str(uuid.UUID(int=12345678901234567890, version=1))
    check = compile_rule("uuid", {"version": 4, "case": "lower"})
    assert check(v4) and not check(v4.upper()) and not check(v1)
    assert not check(v4.replace("-", "")) and not check("{" + v4 + "}")
    assert compile_rule("uuid", {})(v4.upper()) and compile_rule("uuid", {})(v1)


@pytest.mark.parametrize(
    ("fmt", "value", "ok"),
    [
        ("%Y-%m-%d", "2026-11-24", True),
        ("%Y-%m-%d", "2028-02-29", True),
        ("%Y-%m-%d", "2026-02-29", False),
        ("%Y-%m-%d", "2026-11-31", False),
        ("%Y-%m-%d", "2026-1-5", False),  # strptime alone would take it
        ("%Y-%m-%d", "24.11.2026", False),
        ("%Y-%m-%d", "2026-11-24T00:00:00", False),
        ("%Y%m%d", "20261124", True),
        ("%Y%m%d", "2026-11-24", False),
    ],
)
def test_date(fmt, value, ok):
    assert compile_rule("date", {"format": fmt})(value) is ok


@pytest.mark.parametrize(
    ("charset", "good", "bad"),
    [
        ("swift_x", "O'Brien + Co. (Dublin) 7/B: who?, a-z", ["Müller", "A & B", "a_b", "x@y", "#1", "€", "ß"]),
        ("zengin", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ ABC 12 (.-/) ｦ ﾊﾟ", ["ｼｮｳｼﾞ", "ﾃﾞｰﾀ", "ｽﾐｽ･ｼﾞﾖﾝ", "ｽﾐｽ・ｼﾞﾖﾝ", "ﾔﾏﾀﾞ　ﾀﾛｳ", "abc", "ヤマダ", "A&B", "*"]),
    ],
)  # fmt: skip
def test_allow_chars(charset, good, bad):
    check = compile_rule("allow_chars", {"set": charset})
    assert check(good)
    assert not any(check(b) for b in bad)


def test_lengths_and_code_lists():
    assert compile_rule("max_length", {"max": 3})("ｱｲｳ") and not compile_rule(
        "max_length", {"max": 3}
    )("ｱｲｳｴ")
    assert compile_rule("min_length", {"min": 2})("ab") and not compile_rule(
        "min_length", {"min": 2}
    )("a")
    currency, country = (
        compile_rule("enum", {"set": "iso4217"}),
        compile_rule("enum", {"set": "iso3166"}),
    )
    assert currency("EUR") and currency("ISK") and not currency("eur") and not currency("XAU")
    assert country("DE") and country("XK") and not country("UK") and not country("DEU")
    assert len(standards.ISO3166) == 250 and len(standards.ISO4217) > 150


def test_json_types_come_from_parsing():
    class Endpoint:
        format, root, charset = "json", "Request", "utf-8"

    body = {
        "s": "12.50",
        "n": 12.50,
        "i": 7,
        "b": True,
        "o": {"x": "1"},
        "l": [{"y": 2}],
        "z": None,
    }
    fields = parse_fields(Endpoint(), json.dumps(body).encode(), "application/json", {})
    assert fields is not None and "z" not in fields
    assert fields["n"] == "12.5" and isinstance(fields["n"], Number)
    assert fields["o.x"] == "1" and isinstance(fields["o"], Container)
    assert fields["l[0].y"] == "2" and isinstance(fields["b"], Literal)
    text, number = (
        compile_rule("json_type", {"type": "string"}),
        compile_rule("json_type", {"type": "number"}),
    )
    integer = compile_rule("json_type", {"type": "integer"})
    assert (
        text(fields["s"])
        and not text(fields["n"])
        and not text(fields["o"])
        and not text(fields["b"])
    )
    assert number(fields["n"]) and integer(fields["i"]) and not integer(fields["n"])
    raw = b'{"amount": 100.10}'
    assert parse_fields(Endpoint(), raw, None, {})["amount"] == "100.10"  # the number as written


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"\xff", b"[1]"],
)
def test_hostile_json_is_malformed_or_parsed_not_a_crash(body):
    class Endpoint:
        format, root, charset = "json", "Request", "utf-8"

    result = parse_fields(Endpoint(), body, None, {})
    assert result is None or isinstance(result, dict)


def test_form_bodies_in_their_charset():
    class Endpoint:
        format, root, charset = "form", "Request", "Shift_JIS"

    name = "ﾔﾏﾀﾞ ﾀﾛｳ"
    from urllib.parse import urlencode

    body = urlencode({"accountName": name, "bankCode": "0005"}, encoding="shift_jis").encode()
    assert parse_fields(
        Endpoint(), body, "application/x-www-form-urlencoded; charset=Shift_JIS", {}
    ) == {
        "accountName": name,
        "bankCode": "0005",
    }
    assert (
        parse_fields(Endpoint(), body, "application/x-www-form-urlencoded", {})["accountName"]
        == name
    )
    assert parse_fields(Endpoint(), b"accountName=%82", None, {}) is None  # half a character
    assert (
        parse_fields(Endpoint(), b"a=1", "application/x-www-form-urlencoded; charset=nope", {})
        is None
    )


RAW = yaml.safe_load(NAMES["eurobank"].read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["reply"].update(success={"id": "$guid"}), "unknown placeholder '$guid'"),
        (lambda d: d["endpoints"][0].update(status=400), "must be a 2xx HTTP status"),
        (lambda d: d["endpoints"][0].update(charset="nope"), "unknown charset 'nope'"),
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d.update(utc_offset=20), "'utc_offset' must be"),
        (lambda d: d["endpoints"][0]["rules"][2].update(set="latin9"), "unknown set 'latin9'"),
        (lambda d: d["endpoints"][0]["rules"][1].update(version=9), "'version' must be 1 to 8"),
        (lambda d: d["endpoints"][0]["rules"][4].update(format="%Y-%j"), "bad format"),
        (lambda d: d["reply"].update(content_type="json"), "must be a media type"),
    ],
)
def test_bad_bank_files_are_one_line(tmp_path, change, message):
    doc = yaml.safe_load(NAMES["eurobank"].read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_bank(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_deep_and_wide_json_costs_one_copy():
    class Endpoint:
        format, root, charset = "json", "Request", "utf-8"

    wide = json.dumps(list(range(20_000)))
    body = ('{"a":' * 500 + wide + "}" * 500).encode()
    fields = parse_fields(Endpoint(), body, None, {})
    assert fields is not None and fields["a"].startswith('{"a": {"a":')  # top level: its text
    assert fields["a.a"] == "{…}" and isinstance(fields["a.a"], Container)  # deeper: a marker
    assert sum(len(v) for v in fields.values()) < 10 * len(body)
