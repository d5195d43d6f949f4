"""Bodies: decode to trees and encode back to the same bytes (JSON, form, XML, text)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.codecs import Body, JsonNumber, content_type_for, decode, encode, public_meta
from harness.codecs.fields import flatten, get, set_value
from harness.errors import CodecError

FIXTURES = Path(__file__).parent / "fixtures" / "codecs"


def changed(body: Body, path: str, value) -> Body:
    return dataclasses.replace(body, tree=set_value(body.tree, path, value))


# --- JSON -------------------------------------------------------------------------------


def test_json_keeps_order_numbers_and_types():
    body = decode(b'{"b": 100.00, "a": [1, 2.50e3, true, null], "c": {}}', "application/json")
    assert body.format == "json" and body.charset == "utf-8"
    assert list(body.tree) == ["b", "a", "c"]
    assert body.tree["b"] == "100.00" and isinstance(body.tree["b"], JsonNumber)
    assert body.tree["a"] == ["1", "2.50e3", True, None]
    assert body.tree["b"].number() == 100.0 and JsonNumber("7").number() == 7
    assert body.meta["exact"] is True
    assert encode(body) == b'{"b": 100.00, "a": [1, 2.50e3, true, null], "c": {}}'


def test_json_uneven_spacing_is_still_exact_via_template():
    data = (FIXTURES / "request_uneven.json").read_bytes()
    body = decode(data, "application/json;charset=UTF-8")
    assert body.meta["exact"] is True
    assert encode(body) == data
    out = encode(changed(body, "enterpriseName", "另一个（中国）有限公司"))
    assert out == data.replace("演示样例".encode(), "另一个".encode())


def test_json_structural_change_falls_back_to_the_detected_style():
    data = b'{"a": 1,  "b": 2}'
    body = decode(data, "application/json")
    out = encode(changed(body, "c", "new"))
    assert json.loads(out) == {"a": 1, "b": 2, "c": "new"}


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":"x\\/y"}',  # escaped slash (PHP, some Java)
        b'{"a":"\\u4E2D\\u6587"}',  # upper-case hex
        b'{"a":"\\u4e2d"}',
        b'\n  {"a" : 1 , "b" : [ ] }  \n',
        b"[]",
        b'"just a string"',
        b"42.0",
        b'{"a":NaN}',
    ],
)
def test_json_odd_styles_round_trip(data):
    body = decode(data, "application/json")
    assert body.format == "json"
    assert encode(body) == data


def test_json_duplicate_keys_are_not_exact_but_encode():
    body = decode(b'{"a":1,"a":2}', "application/json")
    assert body.meta["exact"] is False
    assert json.loads(encode(body)) == {"a": 2}


def test_json_in_gbk_and_bom():
    data = '{"名称":"中文"}'.encode("gbk")
    body = decode(data, "application/json; charset=GBK")
    assert body.charset == "gbk" and body.tree == {"名称": "中文"}
    assert encode(body) == data
    # Without a charset, GBK bytes are not UTF-8: GB18030 (a superset) reads them.
    assert decode(data, "application/json").charset == "gb18030"
    bom = b"\xef\xbb\xbf" + '{"a":"中"}'.encode()
    body = decode(bom, "application/json")
    assert body.tree == {"a": "中"} and encode(body) == bom


def test_json_value_outside_the_charset_is_escaped():
    body = decode('{"a":"中"}'.encode("gbk"), "application/json; charset=GBK")
    out = encode(changed(body, "a", "\U00020000\u00e9"))  # outside GBK
    assert out == b'{"a":"\\ud840\\udc00' + "\u00e9".encode("gbk") + b'"}'
    assert json.loads(out.decode("gbk")) == {"a": "\U00020000\u00e9"}


@pytest.mark.parametrize(
    ("data", "ct"),
    [(b'{"a":1,', "application/json"), (b"not json", "application/json"), (b"{\"a\": 'x'}", None)],
)
def test_malformed_json_becomes_text_with_error(data, ct):
    body = decode(data, ct)
    assert body.format == "text"
    assert body.meta["error"].startswith("json")
    assert encode(body) == data


def test_error_messages_hold_no_payload():
    body = decode(b'{"card":"6222020000000000000",}', "application/json")
    assert "6222" not in body.meta["error"]


# --- form -------------------------------------------------------------------------------


def test_form_fixture_gbk():
    data = (FIXTURES / "request_gbk.form").read_bytes()
    body = decode(data, "application/x-www-form-urlencoded; charset=GBK")
    assert body.format == "form" and body.charset == "gbk"
    assert body.tree == {
        "enterpriseName": "演示样例(中国)",
        "amount": "100.00",
        "tag": ["a", "b"],
        "note": "hello world",
    }
    assert body.meta["exact"] is True
    assert encode(body) == data
    out = encode(changed(body, "tag[1]", "改"))
    assert out == data.replace(b"tag=b", b"tag=%B8%C4")


def test_form_keeps_order_of_interleaved_repeats_and_bare_keys():
    data = b"a=1&b=2&a=3&&flag&c="
    body = decode(data, "application/x-www-form-urlencoded")
    assert body.tree == {"a": ["1", "3"], "b": "2", "flag": "", "c": ""}
    assert encode(body) == data
    assert encode(changed(body, "d", "x y")) == data + b"&d=x+y"


@pytest.mark.parametrize(
    "data",
    [
        b"q=a%20b&s=%2A%7E",  # %20 for spaces, * and ~ encoded (JavaScript-like, but stricter)
        b"q=a+b&s=*%7E",  # Java URLEncoder
        b"q=a+b&s=%2A~",  # Python quote_plus
        b"q=%e4%b8%ad",  # lower-case hex
        "q=中文&x=(1)".encode(),  # raw bytes, unencoded parentheses
    ],
)
def test_form_encoding_habits_round_trip(data):
    body = decode(data, "application/x-www-form-urlencoded")
    assert body.meta["exact"] is True
    assert encode(body) == data


def test_form_value_outside_charset_raises():
    body = decode(b"a=1", "application/x-www-form-urlencoded; charset=GBK")
    with pytest.raises(CodecError) as exc:
        encode(changed(body, "a", "\U00020000"))
    assert "\U00020000" not in str(exc.value)


def test_form_without_content_type_is_sniffed():
    body = decode(b"a=1&b=x", None)
    assert body.format == "form"


# --- XML --------------------------------------------------------------------------------


def test_xml_gbk_fixture():
    data = (FIXTURES / "request_gbk.xml").read_bytes()
    body = decode(data, "text/xml")
    assert body.format == "xml" and body.charset == "gbk"
    assert body.meta["exact"] is True
    leaves = flatten(body.tree)
    assert leaves["Request.@version"] == "1.0"
    assert leaves["Request.Body.EntName"] == "演示样例(中国)有限公司"
    assert leaves["Request.Body.Contacts.Contact[1].@type"] == "finance"
    assert leaves["Request.Body.Contacts.Contact[1].ContactMobile"] == "13900000000"
    assert leaves["Request.Body.Remark"] == "备注 & <说明>"
    assert leaves["Request.Body.Empty"] == ""
    assert encode(body) == data


def test_xml_changed_leaves_change_only_their_bytes():
    data = (FIXTURES / "request_gbk.xml").read_bytes()
    body = decode(data, "application/xml")
    new = changed(body, "Request.Body.EntName", "甲乙&丙<丁>")
    new = changed(new, "Request.Body.Contacts.Contact[0].@type", 'a"b')
    new = changed(new, "Request.Body.Remark", "x]]>y")
    new = changed(new, "Request.Body.Empty", "now filled")
    out = encode(new)
    expected = (
        data.decode("gbk")
        .replace("演示样例(中国)有限公司", "甲乙&amp;丙&lt;丁&gt;")
        .replace('type="legal"', 'type="a&quot;b"')
        .replace("<![CDATA[备注 & <说明>]]>", "<![CDATA[x]]]]><![CDATA[>y]]>")
        .replace("<Empty/>", "<Empty>now filled</Empty>")
    )
    assert out == expected.encode("gbk")
    again = decode(out, "application/xml")
    assert get(again.tree, "Request.Body.EntName") == "甲乙&丙<丁>"
    assert get(again.tree, "Request.Body.Remark") == "x]]>y"


def test_xml_added_and_removed_elements():
    data = b"<R><A>1</A><B>2</B><B>3</B></R>"
    body = decode(data, "application/xml")
    assert body.tree == {"R": {"A": "1", "B": ["2", "3"]}}
    tree = {"R": {"B": ["2"], "C": {"@k": "v", "#text": "t"}}}
    assert encode(dataclasses.replace(body, tree=tree)) == b'<R><B>2</B><C k="v">t</C></R>'


def test_xml_charset_from_content_type_and_declaration():
    rsp = (FIXTURES / "response_gbk.xml").read_bytes()
    # The header claims UTF-8, the bytes and the declaration say GBK: the bytes win.
    body = decode(rsp, "text/xml; charset=UTF-8")
    assert body.charset == "gbk"
    assert get(body.tree, "Response.Head.RspMsg") == "企业名称含有非法字符"
    assert encode(body) == rsp


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?>\n<!-- c --><a x=\'1\' y = "2"><b>t&amp;&#20013;&gt;</b>\n<c/></a>\n',
        b"<a>x<b>y</b>z</a>",  # mixed content
        b"<a>one<![CDATA[two]]></a>",
        b"<ns:a xmlns:ns='urn:n'><ns:b>1</ns:b></ns:a>",
    ],
)
def test_xml_odd_documents_round_trip(data):
    body = decode(data, "application/xml")
    assert body.format == "xml"
    assert encode(body) == data


def test_xml_mixed_content_and_namespaces_in_tree():
    assert decode(b"<a>x<b>y</b>z</a>", "text/xml").tree == {"a": {"b": "y", "#text": ["x", "z"]}}
    ns = decode(b"<ns:a xmlns:ns='urn:n'><ns:b>1</ns:b></ns:a>", "text/xml")
    assert ns.tree == {"ns:a": {"ns:b": "1"}}  # xmlns is structure, not a leaf


@pytest.mark.parametrize(
    "data", [b"<a><b></a>", b"<a></a><b></b>", b"<a>", b"text<a/>", b"<a x=1></a>"]
)
def test_malformed_xml_becomes_text(data):
    body = decode(data, "application/xml")
    assert body.format == "text"
    assert body.meta["error"].startswith("xml")
    assert encode(body) == data


def test_xml_value_outside_charset_becomes_a_character_reference():
    body = decode('<?xml version="1.0" encoding="GBK"?><a>中</a>'.encode("gbk"), "text/xml")
    out = encode(changed(body, "a", "\U00020000"))
    assert out.endswith(b"<a>&#131072;</a>")


# --- text, binary, empty, sniffing --------------------------------------------------------


def test_text_charsets():
    body = decode("系统繁忙".encode("gbk"), "text/plain; charset=gbk")
    assert (body.format, body.charset, body.tree) == ("text", "gbk", "系统繁忙")
    assert decode("系统繁忙".encode(), "text/plain").charset == "utf-8"
    assert decode("系统繁忙".encode("gbk"), "text/plain").charset == "gb18030"
    with pytest.raises(CodecError):
        encode(dataclasses.replace(body, tree="\U00020000"))


def test_binary_keeps_size_only():
    data = b"\x89PNG\r\n\x1a\n\x00\x00secret"
    body = decode(data, "image/png")
    assert (body.format, body.tree) == ("binary", None)
    assert body.meta == {"content_type": "image/png", "size": len(data)}
    with pytest.raises(CodecError):
        encode(body)
    assert decode(b"\x00\x01\xff", None).format == "binary"


def test_empty():
    body = decode(b"", "application/json")
    assert (body.format, body.tree) == ("empty", None)
    assert encode(body) == b""
    assert decode(None).format == "empty"


@pytest.mark.parametrize(
    ("data", "ct", "fmt"),
    [
        (b'{"a":1}', "text/plain;charset=UTF-8", "json"),
        (b'{"a":1}', "application/octet-stream", "json"),
        (b'{"a":1}', "application/x-www-form-urlencoded", "json"),
        (b"<a>1</a>", "application/json", "xml"),
        (b"<a>1</a>", None, "xml"),
        (b"plain words", None, "text"),
        (b"<html><p>broken</html>", "text/html", "text"),
    ],
)
def test_sniffing(data, ct, fmt):
    body = decode(data, ct)
    assert body.format == fmt
    assert encode(body) == data


def test_content_type_for():
    assert (
        content_type_for(decode(b"{}", "application/json; charset=GBK"))
        == "application/json; charset=GBK"
    )
    assert content_type_for(Body("json", "utf-8", {}, {})) == "application/json; charset=UTF-8"
    assert content_type_for(Body("xml", "gbk", {"a": ""}, {})) == "application/xml; charset=GBK"
    assert content_type_for(Body("binary", None, None, {})) == "application/octet-stream"


def test_hand_built_bodies_encode():
    assert (
        encode(Body("json", None, {"a": JsonNumber("1.0"), "b": "中"}, {}))
        == '{"a":1.0,"b":"中"}'.encode()
    )
    assert encode(Body("form", "utf-8", {"a": ["1", "2"], "b": "x y"}, {})) == b"a=1&a=2&b=x+y"
    xml = encode(Body("xml", "gbk", {"R": {"@v": "1", "A": "中"}}, {}))
    assert xml == '<?xml version="1.0" encoding="GBK"?><R v="1"><A>中</A></R>'.encode("gbk")


def test_public_meta_is_json_ready():
    for data, ct in [
        ((FIXTURES / "request_gbk.xml").read_bytes(), "text/xml"),
        ((FIXTURES / "request_uneven.json").read_bytes(), "application/json"),
        ((FIXTURES / "request_gbk.form").read_bytes(), "application/x-www-form-urlencoded"),
    ]:
        json.dumps(public_meta(decode(data, ct)))


# --- properties -------------------------------------------------------------------------

no_surrogates = st.characters(blacklist_categories=("Cs",))
json_text = st.text(alphabet=no_surrogates, max_size=8)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False, allow_infinity=False),
        json_text,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=15,
)
json_styles = st.fixed_dictionaries(
    {
        "indent": st.sampled_from([None, 2, 4, "\t"]),
        "separators": st.sampled_from([(",", ":"), (", ", ": "), (",", ": ")]),
        "ensure_ascii": st.booleans(),
    }
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, json_styles, st.sampled_from(["utf-8", "gb18030"]), st.booleans())
def test_json_round_trip_property(value, style, charset, newline):
    text = json.dumps(value, **style) + ("\n" if newline else "")
    data = text.encode(charset)
    body = decode(data, f"application/json; charset={charset}")
    assert body.format == "json"
    assert body.meta["exact"] is True
    assert encode(body) == data


@settings(max_examples=200)
@given(json_values, json_styles, st.data())
def test_json_modified_leaf_survives(value, style, data):
    text = json.dumps(value, **style)
    body = decode(text.encode(), "application/json")
    paths = list(flatten(body.tree))
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    new = data.draw(json_text)
    again = decode(encode(changed(body, path, new)), "application/json")
    assert get(again.tree, path) == new
    assert list(flatten(again.tree)) == paths


gbk_chars = st.characters(codec="gbk", blacklist_categories=("Cs", "Cc"))
gbk_text = st.text(alphabet=gbk_chars, max_size=8)
form_keys = st.text(alphabet=gbk_chars, min_size=1, max_size=6)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(form_keys, gbk_text), min_size=1, max_size=6),
    st.sampled_from(["utf-8", "gbk"]),
    st.sampled_from(["python", "java", "js"]),
)
def test_form_round_trip_property(pairs, charset, habit):
    def enc(s: str) -> str:
        if habit == "python":
            return quote_plus(s, encoding=charset)
        if habit == "java":
            return quote_plus(s, safe="*", encoding=charset).replace("~", "%7E")
        return quote(s, safe="!~*'()", encoding=charset)

    data = "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs).encode("ascii")
    body = decode(data, f"application/x-www-form-urlencoded; charset={charset}")
    assert body.format == "form"
    assert encode(body) == data
    paths = list(flatten(body.tree))
    again = decode(encode(changed(body, paths[0], "新值 x&y=z")), body.meta["content_type"])
    assert get(again.tree, paths[0]) == "新值 x&y=z"


xml_names = st.sampled_from(["Head", "Body", "EntName", "Addr", "Item", "ns:X", "a-b", "c.d"])
xml_text = st.text(alphabet=gbk_chars, max_size=6)


@st.composite
def xml_elements(draw, depth=0):
    tag = draw(xml_names)
    attrs = draw(st.dictionaries(st.sampled_from(["id", "type", "v"]), xml_text, max_size=2))
    quote_char = draw(st.sampled_from(['"', "'"]))
    attr_text = "".join(
        f" {k}={quote_char}{v.replace('&', '&amp;').replace('<', '&lt;').replace(quote_char, '&quot;' if quote_char == chr(34) else '&apos;')}{quote_char}"
        for k, v in attrs.items()
    )
    if depth < 3 and draw(st.booleans()):
        children = draw(st.lists(xml_elements(depth + 1), min_size=1, max_size=3))
        sep = draw(st.sampled_from(["", "\n", "\n  "]))
        inner = sep + sep.join(children) + sep
        return f"<{tag}{attr_text}>{inner}</{tag}>"
    text = draw(xml_text)
    kind = draw(st.sampled_from(["text", "cdata", "empty"]))
    if kind == "empty" or (not text and kind == "text"):
        return f"<{tag}{attr_text}/>"
    if kind == "cdata" and "]]>" not in text:
        return f"<{tag}{attr_text}><![CDATA[{text}]]></{tag}>"
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<{tag}{attr_text}>{escaped}</{tag}>"


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(xml_elements(), st.sampled_from(["GBK", "GB18030", "UTF-8"]), st.data())
def test_xml_round_trip_property(element, charset, data):
    text = f'<?xml version="1.0" encoding="{charset}"?>\n{element}\n'
    raw = text.encode(charset)
    body = decode(raw, "text/xml")
    assert body.format == "xml"
    assert encode(body) == raw
    paths = list(flatten(body.tree))
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    new = data.draw(xml_text)
    again = decode(encode(changed(body, path, new)), "text/xml")
    assert get(again.tree, path) == new


@given(
    st.binary(max_size=64),
    st.sampled_from(
        [None, "application/json", "text/xml", "application/x-www-form-urlencoded", "text/plain"]
    ),
)
def test_decode_never_raises(data, ct):
    body = decode(data, ct)
    assert body.format in ("json", "form", "xml", "text", "binary", "empty")
    if body.format in ("json", "xml", "form", "text") and body.meta.get("exact"):
        assert encode(body) == data
