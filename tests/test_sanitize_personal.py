"""Personal data found without a plan: field names, values, formatted identifiers, headers."""

from __future__ import annotations

import pytest

from harness.capture.record import RowBuilder
from harness.codecs import JsonNumber
from harness.plan import Plan, parse_plan
from harness.sanitize import ECHO_BUDGET, REDACTED, Sanitizer
from harness.sanitize.identifiers import find_identifiers
from harness.sanitize.personal import (
    looks_like_address,
    looks_like_cjk_name,
    personal_field,
    secret_header,
)
from harness.text.checksums import iban_check_digits, is_iban, is_luhn

KEY = bytes(range(32))


@pytest.fixture
def san() -> Sanitizer:
    return Sanitizer(KEY, Plan())


@pytest.mark.parametrize(
    ("name", "personal"),
    [
        ("enterpriseName", True),
        ("acct_name", True),
        ("legalPersonName", True),
        ("PayerName", True),
        ("payee", True),
        ("remitter", True),
        ("acctHolder", True),
        ("beneficiary", True),
        ("surname", True),
        ("firstName", True),
        ("regAddress", True),
        ("addr", True),
        ("contact", True),
        ("mobileNo", True),
        ("tel", True),
        ("email", True),
        ("X-User-Name", True),
        ("姓名", True),
        ("法人姓名", True),
        ("账户户名", True),
        ("收款人", True),
        ("khmc", True),  # kehu mingcheng
        ("FRXM", True),  # faren xingming
        ("lxr", True),  # lianxiren
        ("skrmc", True),
        ("fileName", False),
        ("bankName", False),
        ("branch_name", False),
        ("productName", False),
        ("amount", False),
        ("currency", False),
        ("code", False),
        ("status", False),
        ("algorithm", False),  # ends in "hm", but not a short pinyin abbreviation
        ("requestNo", False),
    ],
)
def test_personal_fields_by_name(name, personal):
    assert personal_field(name) is personal


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("张三", True),
        ("王小明", True),
        ("欧阳娜娜", True),  # compound surname
        ("司马光", True),
        ("买买提·艾力", True),  # a minority name with a middle dot
        ("成功", False),  # status words that start with a surname character
        ("信用卡", False),
        ("关闭", False),
        ("申请中", False),
        ("余额不足", False),
        ("企业名称含有非法字符", False),
        ("Zhang San", False),  # Latin names are personal in name-like fields only
        ("张", False),
    ],
)
def test_cjk_personal_names_by_value(value, name):
    assert looks_like_cjk_name(value) is name


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("福建省厦门市思明区鹭江道8号(A座)", True),
        ("北京市朝阳区建国路88号", True),
        ("221B Baker Street, London", True),
        ("12 rue de Rivoli, Paris", True),
        ("Musterstraße 5, 10115 Berlin", True),
        ("Via Roma 12, Milano", True),
        ("上海市浦东新区分行", False),  # a branch, not a street address
        ("100.00", False),
        ("Bad Request", False),
    ],
)
def test_addresses_by_value(value, address):
    assert looks_like_address(value) is address


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("X-Secret", True),
        ("X-Session-Id", True),
        ("X-Api-Key", True),
        ("X-APIKEY", True),
        ("X-Auth-User", True),
        ("X-Password", True),
        ("X-Csrf-Token", True),
        ("accessToken", True),
        ("X-Request-Signature", True),
        ("Content-Type", False),
        ("Keep-Alive", False),
        ("X-Request-Id", False),
        ("User-Agent", False),
        ("Accept-Language", False),
    ],
)
def test_secret_headers_by_name(name, secret):
    assert secret_header(name) is secret


def test_a_tree_without_a_plan_loses_names_addresses_and_contacts(san):
    tree = {
        "legalPersonName": "欧阳娜娜",
        "payerName": "Hans-Peter Müller",
        "acctHolder": "ZHANG SAN",
        "payee": "O'Brien Siobhan",
        "regAddress": "12 Baker Street",
        "misc": "王小明",  # a name by value, in a field named like nothing
        "where": "福建省厦门市思明区鹭江道8号(A座)",
        "status": "成功",
        "currency": "CNY",
        "msg": "户名王小明不符",  # a message: not a name itself, but its echo is scrubbed
    }
    out, replaced = san.tree(tree)
    for key in ("legalPersonName", "payerName", "acctHolder", "payee", "regAddress", "misc"):
        assert out[key] != tree[key] and len(out[key]) == len(tree[key]), key
    assert out["where"] != tree["where"] and out["where"].endswith("8号(A座)") is False
    assert out["payerName"][4] == "-" and out["payee"][1] == "'"  # punctuation kept
    assert out["status"] == "成功" and out["currency"] == "CNY"
    assert out["msg"] == f"户名{out['misc']}不符"
    assert "王小明" in replaced


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("138-1234-5678", "mobile"),
        ("138 1234 5678", "mobile"),
        ("+86 138 1234 5678", "mobile"),
        ("6222 0212 3456 7890 128", "card"),
        ("110105 19491231 002X", "id_number"),
        ("+81 90-1234-5678", "phone"),
        ("+33 6 12 34 56 78", "phone"),
        ("0612345678", "phone"),
        ("DE89 3704 0044 0532 0130 00", "iban"),
        ("GB82WEST12345698765432", "iban"),
    ],
)
def test_formatted_identifiers_inside_text_keep_their_layout(san, raw, kind):
    text = f"见 {raw} 。"
    assert [k for _, _, k in find_identifiers(text)] == [kind]
    out, _ = san.tree({"note": text})
    new = out["note"][2:-2]
    assert new != raw and len(new) == len(raw)
    assert [i for i, c in enumerate(new) if c in " -+"] == [
        i for i, c in enumerate(raw) if c in " -+"
    ]
    compact = new.replace(" ", "")
    if kind == "iban":
        assert is_iban(compact) and compact[:2] == raw[:2]
    if kind == "card":
        assert is_luhn(compact) == is_luhn(raw.replace(" ", ""))


def test_iban_check_digits():
    assert iban_check_digits("DE", "370400440532013000") == "89"
    assert iban_check_digits("GB", "WEST12345698765432") == "82"
    assert not is_iban("DE89370400440532013001")


def test_sensitive_default_deny_pseudonymizes_every_string_but_keep():
    s = Sanitizer(KEY, parse_plan({"sensitive": {"default": "deny", "keep": ["currency"]}}))
    tree = {"a": "hello", "b": "100.00", "currency": "CNY", "n": JsonNumber("12"), "f": True}
    out, _ = s.tree(tree)
    assert out["a"] != "hello" and out["b"] != "100.00" and out["currency"] == "CNY"
    assert out["n"] == "12" and out["f"] is True  # numbers and booleans are not strings
    assert s.query("/p?x=abc&currency=CNY") != "/p?x=abc&currency=CNY"
    assert s.query("/p?x=abc&currency=CNY").endswith("&currency=CNY")


def test_a_bad_sensitive_default_is_a_plan_error():
    from harness.errors import PlanError

    with pytest.raises(PlanError, match="allow or deny"):
        parse_plan({"sensitive": {"default": "maybe"}})


def test_headers_query_and_path_without_a_plan(san):
    out = dict(
        san.headers(
            [
                ("X-Secret", "s3cr3t"),
                ("X-Customer-Name", "欧阳娜娜"),
                ("Content-Type", "application/json"),
                ("Location", "/next?mobile=13912345678&page=2"),
            ]
        )
    )
    assert out["X-Secret"] == REDACTED
    assert out["X-Customer-Name"] != "欧阳娜娜" and len(out["X-Customer-Name"]) == 4
    assert out["Content-Type"] == "application/json"
    assert "13912345678" not in out["Location"] and out["Location"].endswith("&page=2")
    path = san.query("/users/%E6%AC%A7%E9%98%B3%E5%A8%9C%E5%A8%9C/acct?name=Hans%20M%C3%BCller")
    assert "%E6%AC%A7%E9%98%B3" not in path and "Hans" not in path
    assert path.startswith("/users/%") and "/acct?name=" in path


def test_transport_errors_lose_quoted_bytes_and_non_ascii(san):
    error = (
        "Bad HTTP response line: b'HTTP/1.1 2OO \\xe6\\xac\\xa7' from 欧阳娜娜, mobile 13912345678"
    )
    out = san.error(error)
    assert out.startswith("Bad HTTP response line: ")
    assert "\\xe6\\xac\\xa7" not in out and "欧阳娜娜" not in out and "13912345678" not in out
    assert san.error("Connection refused") == "Connection refused"


def test_a_hostile_body_with_many_replaced_values_stays_linear(san):
    n = 40_000
    tree = {"people": [{"name": f"N{i:07d}"} for i in range(n)], "free": ["x" * 600] * 100}
    assert n * 600 * 100 > ECHO_BUDGET  # past the budget: free strings are replaced whole
    out, replaced = san.tree(tree)
    assert len(replaced) >= n
    assert all(p["name"] != f"N{i:07d}" for i, p in enumerate(out["people"]))


def test_rows_name_the_request_fields_that_were_pseudonymized():
    import json

    builder = RowBuilder(Plan(), KEY)
    body = json.dumps(
        {"payerName": "张三", "amount": "1.00", "memo": "call 13912345678", "type": "A"},
        ensure_ascii=False,
    ).encode()
    row = builder.build(
        {
            "method": b"POST",
            "path": b"/pay",
            "req_headers": ((b"content-type", b"application/json"),),
            "req_body": body,
            "status": 200,
            "resp_headers": ((b"content-type", b"application/json"),),
            "resp_body": b'{"code":"000000"}',
        }
    )
    assert row["notes"]["pseudonymized"] == ["memo", "payerName"]
    assert row["request_fields"]["type"] == "A" and row["request_fields"]["amount"] == "1.00"


def test_an_eighteen_character_iban_stays_a_valid_iban():
    """Danish, Finnish and Dutch IBANs have the length of a resident ID or a credit code."""
    from harness.plan import Plan
    from harness.sanitize import Sanitizer
    from harness.text.checksums import iban_check_digits, is_iban

    sanitizer = Sanitizer(bytes(32), Plan())
    for country, bban in (
        ("DK", "06639201293271"),
        ("FI", "21421000000000"),
        ("NL", "ABNA0417164300"),
    ):
        iban = country + iban_check_digits(country, bban) + bban
        assert len(iban) == 18 and is_iban(iban)
        tree, _ = sanitizer.tree({"iban": iban, "note": f"to {iban}"})
        assert tree["iban"] != iban and is_iban(tree["iban"]) and tree["iban"][:2] == country
