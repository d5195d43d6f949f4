"""Sanitizing: shape-preserving, deterministic pseudonyms; no raw value survives."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.codecs import JsonNumber, decode, encode
from harness.codecs.fields import flatten
from harness.errors import ConfigError
from harness.plan import Plan, parse_plan
from harness.sanitize import REDACTED, Sanitizer, load_key
from harness.sanitize.identifiers import detect_kind, find_identifiers
from harness.sanitize.pseudonym import pool_of, replaceable
from harness.text.charclass import byte_length, classes, in_gb2312, in_gbk, signature
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
)

KEY = bytes(range(32))
PLAN = parse_plan(
    {
        "sensitive": {
            "fields": [
                "enterpriseName",
                "legalName",
                "legalIdNo",
                "legalMobile",
                "creditCode",
                "bindCardNo",
                "remark",
                "EntName",
                "contact*",
            ],
            "headers": ["X-Sign-Extra"],
            "keep": ["currency", "remark.code"],
        }
    }
)


@pytest.fixture(scope="module")
def san() -> Sanitizer:
    return Sanitizer(KEY, PLAN)


def same_shape(a: str, b: str) -> bool:
    return (
        len(a) == len(b)
        and signature(a) == signature(b)
        and byte_length(a, "gbk") == byte_length(b, "gbk")
        and len(a.encode("utf-8")) == len(b.encode("utf-8"))
        and byte_length(a, "gb18030") == byte_length(b, "gb18030")
    )


# --- per class ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "演示样例(中国)有限公司",  # half-width parentheses stay half-width
        "演示样例（中国）有限公司",
        "张三",
        "堃锟",  # GBK, not GB2312: typical in personal names
        "亍亓",  # GB2312 level 2
        "\u9fa6\u4db5",  # BMP outside GBK
        "𠀀𪛖",  # astral
        "Zhang San-Li",
        "ＡＢｃ１２",  # full-width letters and digits
        "ｱｲｳｴｵ",  # half-width katakana
        "Ünïcödé",
        "가나다라",
        "addr: 北京市 1号楼 ，3单元。",
        "tab\tand\nnewline",
        "emoji 😀 stays",
    ],
)
def test_text_keeps_shape_and_changes(san, raw):
    out = san.value(raw, "text")
    assert same_shape(raw, out)
    assert out != raw
    assert all(
        in_gb2312(a) == in_gb2312(b) and in_gbk(a) == in_gbk(b)
        for a, b in zip(raw, out, strict=True)
    )
    # Punctuation, spaces, symbols and control characters are kept exactly.
    for a, b in zip(raw, out, strict=True):
        if pool_of(a) is None:
            assert a == b


def test_company_name_keeps_its_half_width_parentheses(san):
    out = san.value("某某(某某)有限公司")
    assert out[2] == "(" and out[5] == ")"
    assert all("cjk" in classes(c) for i, c in enumerate(out) if i not in (2, 5))


def test_mobile(san):
    out = san.value("13812345678")
    assert out.startswith("138") and is_mobile(out) and out != "13812345678"
    assert detect_kind("8613812345678") == "mobile"
    assert san.value("8613812345678").startswith("86138")


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002X",
        "440524188001010014",
        "110105194912310021",
        "11010519491231002x",
        "110105194913310023",
    ],
)
def test_resident_id(san, raw):
    out = san.value(raw)
    assert same_shape(raw, out) and out != raw
    assert out[:6] == raw[:6]  # region
    assert out[6:10] == raw[6:10]  # birth year
    assert int(out[16]) % 2 == int(raw[16]) % 2  # sex
    assert (id_birth_date(out[6:14]) is None) == (id_birth_date(raw[6:14]) is None)
    assert (out[17] == id_number_check(out[:17])) == (raw[17] == id_number_check(raw[:17]))
    assert is_id_number(out) == is_id_number(raw)


@pytest.mark.parametrize(
    "raw", ["91350100M000100Y43", "911101085923662400", "91350100M000100Y44", "91350100M000100YA3"]
)
def test_credit_code(san, raw):
    out = san.value(raw)
    assert same_shape(raw, out) and out != raw
    assert out[:2] == raw[:2]
    assert all(c in CREDIT_ALPHABET for c in out)
    assert is_credit_code(out) == is_credit_code(raw)


@pytest.mark.parametrize(
    "raw", ["4111111111111111", "6222021234567890123", "6222021234567890124", "6225880000000"]
)
def test_card(san, raw):
    out = san.value(raw)
    assert len(out) == len(raw) and out.isdigit() and out != raw
    assert out[:6] == raw[:6]
    assert is_luhn(out) == is_luhn(raw)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("zhang.san@example.com", ".com"),
        ("li_si+tag@mail.corp.example.com.cn", ".com.cn"),
        ("a1@qq.com", ".com"),
    ],
)
def test_email(san, raw, kept):
    out = san.value(raw)
    assert same_shape(raw, out) and out != raw
    assert out.endswith(kept) and out.count("@") == 1 and out.count(".") == raw.count(".")


def test_full_width_digits_are_detected(san):
    raw = "电话：１３８１２３４５６７８"
    out = san.tree({"purpose": raw})[0]["purpose"]
    assert out.startswith("电话：１３８") and out != raw and same_shape(raw, out)


def test_json_numbers_stay_valid_numbers(san):
    tree = {
        "bindCardNo": JsonNumber("6222021234567890123"),
        "legalMobile": JsonNumber("13812345678"),
        "remark": JsonNumber("105.20"),
        "ts": JsonNumber("1732435200123"),
        "amount": JsonNumber("100.00"),
    }
    out, _ = san.tree(tree)
    assert all(isinstance(v, JsonNumber) for v in out.values())
    assert out["amount"] == "100.00"  # not sensitive, no identifier shape
    assert out["remark"] != "105.20" and out["remark"][0] != "0" and out["remark"][3] == "."
    assert (
        out["ts"][:6] == "173243" and out["ts"] != "1732435200123"
    )  # 13 digits: treated as a card
    body = decode(json.dumps({"a": 1}).encode(), "application/json")
    text = encode(dataclasses.replace(body, tree=out))
    assert json.loads(text)["bindCardNo"] == int(out["bindCardNo"])


# --- trees -------------------------------------------------------------------------------


def test_tree_fields_detectors_keep_and_echoes(san):
    tree = {
        "enterpriseName": "演示样例(中国)有限公司",
        "currency": "CNY",
        "purpose": "支付演示样例(中国)有限公司货款，联系人13812345678",
        "contacts": [{"name": "王五", "tel": "13900001111"}],
        "contactInfo": {"nested": {"x": "anything"}},
        "remark": {"code": "KEEP1234", "text": "备注"},
        "serial": "20261124000000000001",
        "flag": True,
        "empty": None,
    }
    out, replaced = san.tree(tree)
    assert tree["enterpriseName"] == "演示样例(中国)有限公司"  # the input is not modified
    name = out["enterpriseName"]
    assert name != tree["enterpriseName"] and same_shape(name, tree["enterpriseName"])
    assert out["currency"] == "CNY"
    assert out["purpose"].startswith("支付" + name + "货款，联系人138")
    assert "13812345678" not in out["purpose"]
    assert out["contacts"][0]["tel"] != "13900001111"  # detector, in a field nobody listed
    assert out["contactInfo"]["nested"]["x"] != "anything"  # "contact*" covers the subtree
    assert out["remark"]["code"] == "KEEP1234" and out["remark"]["text"] != "备注"
    serial = out["serial"]  # 20 digits: a long digit run is an identifier too
    assert serial != tree["serial"] and len(serial) == 20 and serial.isdigit()
    assert out["flag"] is True and out["empty"] is None
    assert replaced["演示样例(中国)有限公司"] == name
    assert replaced["13812345678"] == out["purpose"][-11:]


def test_tree_known_echoes_from_the_request(san):
    req, replaced = san.tree({"legalName": "赵六"})
    rsp, rsp_replaced = san.tree({"msg": "法人赵六不一致"}, known=replaced)
    assert rsp["msg"] == f"法人{req['legalName']}不一致"
    assert rsp_replaced == {}


def test_sanitize_all_text_and_keep():
    plan = parse_plan({"sensitive": {"all_text": True, "keep": ["status", "currency"]}})
    s = Sanitizer(KEY, plan)
    out, _ = s.tree(
        {
            "note": "随便写点什么",
            "status": "ACTIVE",
            "currency": "CNY",
            "amount": "100.00",
            "date": "2026-11-24",
            "code": JsonNumber("7"),
        }
    )
    assert out["note"] != "随便写点什么"
    assert out["status"] == "ACTIVE" and out["currency"] == "CNY"
    assert out["amount"] == "100.00" and out["date"] == "2026-11-24" and out["code"] == "7"


def test_xml_tree_attributes_and_text():
    body = decode(
        '<?xml version="1.0" encoding="GBK"?><Req><EntName lang="zh">演示公司</EntName><ContactMobile>13800000000</ContactMobile></Req>'.encode(
            "gbk"
        ),
        "text/xml",
    )
    s = Sanitizer(KEY, parse_plan({"sensitive": {"fields": ["EntName", "lang"]}}))
    out, _ = s.tree(body.tree)
    leaves = flatten(out)
    assert leaves["Req.EntName.#text"] != "演示公司" and len(leaves["Req.EntName.#text"]) == 4
    assert leaves["Req.EntName.@lang"] != "zh"
    assert (
        leaves["Req.ContactMobile"].startswith("138")
        and leaves["Req.ContactMobile"] != "13800000000"
    )
    data = encode(dataclasses.replace(body, tree=out))
    assert len(data) == len(encode(body))  # GBK byte length kept


def test_keys_that_are_identifiers_are_replaced(san):
    out, _ = san.tree({"13812345678": {"a": "1"}})
    (key,) = out
    assert key != "13812345678" and is_mobile(key)


# --- headers, query strings, messages ---------------------------------------------------


def test_headers(san):
    pairs = [
        ("Authorization", "Bearer abc"),
        ("x-signature", "deadbeef"),
        ("X-Sign-Extra", "s"),
        ("Cookie", "sid=1"),
        ("Content-Type", "application/json"),
        ("X-Mobile", "13812345678"),
    ]
    out = san.headers(pairs)
    assert [v for _, v in out[:4]] == [REDACTED] * 4
    assert out[4] == ("Content-Type", "application/json")
    assert out[5][1].startswith("138") and out[5][1] != "13812345678"
    assert [n for n, _ in out] == [n for n, _ in pairs]


def test_query(san):
    name = "演示公司"
    path = "/v1/acc/6222021234567890123/q?enterpriseName=%E6%BC%94%E7%A4%BA%E5%85%AC%E5%8F%B8&currency=CNY&m=13812345678&empty=&flag#frag"
    out = san.query(path)
    assert "6222021234567890123" not in out and "/v1/acc/622202" in out
    assert "%E6%BC%94%E7%A4%BA%E5%85%AC%E5%8F%B8" not in out
    assert f"enterpriseName={quote_utf8(san.value(name))}" in out
    assert "&currency=CNY&m=138" in out and "13812345678" not in out
    assert out.endswith("&empty=&flag#frag")
    assert san.query("/plain/path") == "/plain/path"
    gbk = san.query("/q?legalName=%D5%C5%C8%FD")  # GBK-encoded 张三
    assert gbk.startswith("/q?legalName=%") and gbk != "/q?legalName=%D5%C5%C8%FD"


def quote_utf8(s: str) -> str:
    from urllib.parse import quote

    return quote(s, safe="")


def test_text_scrubs_echoes_longest_first(san):
    replaced = {"演示公司": "甲乙丙丁", "演示公司北京分公司": "戊己庚辛壬癸子丑寅", "A": "B"}
    msg = "演示公司北京分公司与演示公司不一致, A 13812345678"
    out = san.text(msg, replaced)
    assert out.startswith("戊己庚辛壬癸子丑寅与甲乙丙丁不一致, A 138")  # "A" is too short to scrub
    assert "13812345678" not in out
    assert san.text(None) is None and san.text("") == ""
    assert san.text("系统繁忙") == "系统繁忙"


# --- determinism, keys -------------------------------------------------------------------


def test_deterministic_across_instances_and_processes():
    a = Sanitizer(KEY, PLAN).value("演示样例(中国)有限公司")
    assert Sanitizer(KEY, Plan()).value("演示样例(中国)有限公司") == a
    assert Sanitizer(bytes(32), PLAN).value("演示样例(中国)有限公司") != a
    code = (
        "import sys; from harness.sanitize import Sanitizer; from harness.plan import Plan; "
        f"sys.stdout.buffer.write(Sanitizer(bytes(range(32)), Plan()).value({'演示样例(中国)有限公司'!r}).encode())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=60)
    assert out.stdout.decode() == a


def test_load_key_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_KEY", "00" * 16)
    assert load_key() == bytes(16)
    # An explicit key file wins over the environment.
    assert load_key(tmp_path / "explicit") != bytes(16) and (tmp_path / "explicit").exists()
    for bad in ("xyz", "00" * 8):
        monkeypatch.setenv("HARNESS_KEY", bad)
        with pytest.raises(ConfigError) as exc:
            load_key()
        assert bad not in str(exc.value)


def test_load_key_file_created_0600(monkeypatch, tmp_path):
    monkeypatch.delenv("HARNESS_KEY", raising=False)
    monkeypatch.delenv("HARNESS_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "k.key"
    key = load_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(path) == key  # read back, not recreated
    monkeypatch.setenv("HARNESS_KEY_FILE", str(path))
    assert load_key() == key
    monkeypatch.delenv("HARNESS_KEY_FILE")
    # The default lives under XDG_CONFIG_HOME, never in the current directory.
    monkeypatch.chdir(tmp_path)
    default = load_key()
    assert (tmp_path / "config" / "harness" / "key").is_file()
    assert stat.S_IMODE(os.stat(tmp_path / "config" / "harness").st_mode) == 0o700
    assert not (tmp_path / ".harness.key").exists() and default != key
    (tmp_path / "bad.key").write_text("not hex\n")
    with pytest.raises(ConfigError):
        load_key(tmp_path / "bad.key")
    with pytest.raises(ConfigError):
        load_key(tmp_path / "no-such-dir" / "k.key")
    with pytest.raises(ConfigError):
        Sanitizer(b"short", PLAN)


def test_a_key_in_the_current_directory_is_not_read_implicitly(monkeypatch, tmp_path):
    monkeypatch.delenv("HARNESS_KEY", raising=False)
    monkeypatch.delenv("HARNESS_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    legacy = tmp_path / ".harness.key"
    legacy.write_text("ab" * 32 + "\n")
    os.chmod(legacy, 0o600)
    with pytest.raises(ConfigError, match="--key-file .harness.key") as info:
        load_key()
    assert "\n" not in str(info.value)
    assert not (tmp_path / "config" / "harness" / "key").exists()  # nothing created
    assert load_key(legacy) == bytes.fromhex("ab" * 32)


# --- properties --------------------------------------------------------------------------

any_text = st.text(max_size=30)
cjk_text = st.text(
    alphabet=st.characters(min_codepoint=0x3400, max_codepoint=0x9FFF), min_size=1, max_size=12
)


@st.composite
def id_numbers(draw):
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
    seq = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    body = region + born.strftime("%Y%m%d") + seq
    check = id_number_check(body)
    if draw(st.booleans()):
        check = draw(st.sampled_from([c for c in "0123456789X" if c != check]))
    return body + check


@st.composite
def credit_codes(draw):
    body = draw(st.text(alphabet="123456789ABCDEFGY", min_size=1, max_size=1))
    body += draw(st.text(alphabet="123459", min_size=1, max_size=1))
    body += draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    body += draw(st.text(alphabet=CREDIT_ALPHABET, min_size=9, max_size=9))
    check = credit_code_check(body)
    if draw(st.booleans()):
        check = draw(st.sampled_from([c for c in CREDIT_ALPHABET if c != check]))
    return body + check


@st.composite
def cards(draw):
    body = draw(
        st.text(alphabet="0123456789", min_size=12, max_size=18).filter(lambda s: s[0] != "0")
    )
    check = luhn_check(body)
    if draw(st.booleans()):
        check = str((int(check) + draw(st.integers(1, 9))) % 10)
    return body + check


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
identifiers = st.one_of(id_numbers(), credit_codes(), cards(), mobiles)


@settings(max_examples=300, deadline=None)
@given(st.one_of(any_text, cjk_text))
def test_text_property_shape(raw):
    s = Sanitizer(KEY, PLAN)
    out = s.value(raw, "text")
    assert same_shape(raw, out)
    assert s.value(raw, "text") == out
    if replaceable(raw) >= 4:
        assert out != raw


@settings(max_examples=300, deadline=None)
@given(identifiers)
def test_identifier_property_validity(raw):
    s = Sanitizer(KEY, PLAN)
    out = s.value(raw)
    assert same_shape(raw, out) and out != raw
    kind = detect_kind(raw)
    validity = {
        "id_number": is_id_number,
        "credit_code": is_credit_code,
        "card": is_luhn,
        "mobile": is_mobile,
    }[kind]
    assert validity(out) == validity(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=10), identifiers, st.text(max_size=10))
def test_identifiers_inside_text_are_replaced(before, ident, after):
    s = Sanitizer(KEY, Plan())
    raw = before + " " + ident + " " + after
    out = s.tree({"free": raw})[0]["free"]
    assert same_shape(raw, out)
    if any(r[2] for r in find_identifiers(raw) if raw[r[0] : r[1]] == ident):
        assert ident not in out


# --- the canary --------------------------------------------------------------------------

CANARIES = {
    "enterpriseName": "金丝雀测试(中国)有限公司",
    "legalName": "司马金丝雀",
    "legalIdNo": "11010519491231002X",
    "legalMobile": "13912345678",
    "creditCode": "91350100M000100Y43",
    "bindCardNo": "6222021234567890123",
}


def test_canary_no_raw_value_survives(san):
    request = {
        **CANARIES,
        "remark": f"请联系{CANARIES['legalMobile']}，邮箱 canary.bird@example.com",
        "amount": JsonNumber("1.00"),
    }
    body = decode(json.dumps(request, ensure_ascii=False).encode(), "application/json")
    tree, replaced = san.tree(body.tree)
    stored = [
        encode(dataclasses.replace(body, tree=tree)).decode(),
        json.dumps(flatten(tree), ensure_ascii=False),
        json.dumps(
            san.headers(
                [
                    ("X-Mobile", CANARIES["legalMobile"]),
                    ("Authorization", "Bearer " + CANARIES["bindCardNo"]),
                ]
            )
        ),
        san.query(
            f"/v1/e/{CANARIES['creditCode']}?legalName=%E5%8F%B8%E9%A9%AC%E9%87%91%E4%B8%9D%E9%9B%80&card={CANARIES['bindCardNo']}"
        )
        or "",
        san.text(
            f"企业{CANARIES['enterpriseName']}与法人{CANARIES['legalName']}不符，证件{CANARIES['legalIdNo']}",
            replaced,
        )
        or "",
    ]
    blob = "\n".join(stored)
    for raw in [*CANARIES.values(), "canary.bird@example.com", "金丝雀"]:
        assert raw not in blob, raw
    assert "1.00" in blob  # amounts are not sensitive


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("13812345678", "mobile"),
        ("8613812345678", "mobile"),
        ("12812345678", "phone"),  # 11 digits, not a mainland mobile: another phone
        ("0612345678", "phone"),
        ("+33612345678", "phone"),
        ("+8613812345678", "mobile"),
        ("123456789", None),  # 9 digits: amounts, dates, codes
        ("11010519491231002X", "id_number"),
        ("110105194913310023", "id_number"),  # not a date, still an ID number's shape
        ("91350100M000100Y43", "credit_code"),
        ("91350100M000100Y44", "credit_code"),
        ("911101085923662400", "credit_code"),
        ("4111111111111111", "card"),
        ("202611240800000001", "card"),  # 18 digits, no ID, no credit code
        ("123456789012", "phone"),
        ("12345678901234567890", "phone"),
        ("DE89370400440532013000", "iban"),
        ("DE89370400440532013001", None),  # IBAN-shaped, wrong check digits
        ("ABCDEFGHJKLMNPQRTU", None),
        ("a.b@example.com", "email"),
        ("100.00", None),
    ],
)
def test_detect_kind(token, kind):
    assert detect_kind(token) == kind


def test_find_identifiers_positions():
    text = "联系13812345678，证件11010519491231002X；ref=20261124000000000001 邮箱a@b.cn"
    found = [(text[a:b], kind) for a, b, kind in find_identifiers(text)]
    assert found == [
        ("13812345678", "mobile"),
        ("11010519491231002X", "id_number"),
        ("20261124000000000001", "phone"),
        ("a@b.cn", "email"),
    ]
    assert find_identifiers("短文本") == []
