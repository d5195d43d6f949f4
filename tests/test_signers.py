"""harness.targets.signers: built-in signers, plug-ins by import path and entry point, fresh secrets."""

from __future__ import annotations

import hashlib
import hmac
import json
import textwrap

import pytest

from harness.errors import SignerError
from harness.plan import SignerSpec
from harness.targets.signers import HmacSha256Signer, NoSigner, Signer, fresh_headers, load_signer

KEY = "test-key"
ENV = {"BANK_KEY": KEY}


def _hex(body: bytes, key: str = KEY) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def test_none_changes_nothing():
    signer = load_signer(SignerSpec(kind="none"))
    assert isinstance(signer, NoSigner)
    assert signer.sign("POST", "/x", {"A": "1"}, b"{}") == ({"A": "1"}, b"{}")


def test_hmac_header_signs_the_body_and_replaces_a_stale_signature():
    signer = load_signer(
        SignerSpec(kind="hmac-sha256", header="X-Signature", key_env="BANK_KEY"), ENV
    )
    body = '{"enterpriseName":"某某(某某)有限公司"}'.encode()
    headers, out = signer.sign("POST", "/v1/open", {"x-signature": "stale", "A": "1"}, body)
    assert out == body
    assert headers == {"A": "1", "X-Signature": _hex(body)}


@pytest.mark.parametrize(
    ("spec", "env", "message"),
    [
        (SignerSpec(kind="hmac-sha256", header="X-Sig", key_env="BANK_KEY"), {}, "BANK_KEY"),
        (SignerSpec(kind="hmac-sha256", header="X-Sig"), ENV, "key_env"),
        (SignerSpec(kind="hmac-sha256", key_env="BANK_KEY"), ENV, "'header' or 'field'"),
        (
            SignerSpec(
                kind="hmac-sha256", header="X", key_env="BANK_KEY", options={"key_encoding": "hex"}
            ),
            ENV,
            "not valid hex",
        ),
        (SignerSpec(kind="rsa-magic"), ENV, "unknown signer 'rsa-magic'"),
        (SignerSpec(kind="no_such_module_xyz:make"), ENV, "cannot import"),
        (SignerSpec(kind="json:no_such_factory"), ENV, "no callable"),
    ],
)
def test_bad_signers_are_one_line_errors(spec, env, message):
    with pytest.raises(SignerError, match=message) as info:
        load_signer(spec, env)
    assert "\n" not in str(info.value)
    assert KEY not in str(info.value)


def test_hex_and_base64_keys():
    spec = SignerSpec(kind="hmac-sha256", header="S", key_env="K", options={"key_encoding": "hex"})
    signer = load_signer(spec, {"K": b"raw-key".hex()})
    headers, _ = signer.sign("POST", "/", {}, b"abc")
    assert headers["S"] == hmac.new(b"raw-key", b"abc", hashlib.sha256).hexdigest()


def test_body_field_signature_over_the_body_without_it():
    signer = HmacSha256Signer(KEY.encode(), body_field="sign")
    body = json.dumps({"a": "1", "sign": "[redacted]", "b": "中文"}, ensure_ascii=False).encode()
    headers, out = signer.sign("POST", "/", {"Content-Type": "application/json"}, body)
    doc = json.loads(out)
    unsigned = json.dumps({"a": "1", "b": "中文"}, ensure_ascii=False).encode()
    assert doc == {"a": "1", "sign": _hex(unsigned), "b": "中文"}
    assert list(doc) == ["a", "sign", "b"]  # the field stays where it was


def test_body_field_in_a_gbk_form_body():
    signer = HmacSha256Signer(KEY.encode(), body_field="sign")
    body = b"name=%C4%B3%C4%B3&amount=1.00"
    ct = "application/x-www-form-urlencoded; charset=GBK"
    _, out = signer.sign("POST", "/", {"content-type": ct}, body)
    assert out.startswith(body + b"&sign=")
    assert out.endswith(_hex(body).encode())


def test_body_field_refuses_a_text_body():
    signer = HmacSha256Signer(KEY.encode(), body_field="sign")
    with pytest.raises(SignerError, match="text body"):
        signer.sign("POST", "/", {"Content-Type": "text/plain"}, b"hello")


PLUGIN = textwrap.dedent(
    """
    class Upper:
        def __init__(self, spec):
            self.header = spec.header or "X-Up"

        def sign(self, method, path, headers, body):
            return {**headers, self.header: method + " " + path}, body.upper()

    def make(spec):
        return Upper(spec)

    def broken(spec):
        raise RuntimeError("no hardware token")
    """
)


def test_plugin_by_import_path(tmp_path, monkeypatch):
    (tmp_path / "acme_signer.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    signer = load_signer(SignerSpec(kind="acme_signer:make", header="X-Acme"))
    assert isinstance(signer, Signer)
    assert signer.sign("POST", "/p", {}, b"ab") == ({"X-Acme": "POST /p"}, b"AB")
    with pytest.raises(SignerError, match="failed to start: RuntimeError"):
        load_signer(SignerSpec(kind="acme_signer:broken"))


def test_plugin_by_entry_point(tmp_path, monkeypatch):
    (tmp_path / "acme_ep.py").write_text(PLUGIN)
    dist = tmp_path / "acme_ep-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-ep\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[harness.targets.signers]\nacme = acme_ep:make\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    signer = load_signer(SignerSpec(kind="acme"))
    assert signer.sign("GET", "/q", {}, b"x") == ({"X-Up": "GET /q"}, b"X")


def test_fresh_headers_come_from_the_environment():
    spec = SignerSpec(options={"headers": {"Authorization": "BANK_TOKEN"}})
    assert fresh_headers(spec, {"BANK_TOKEN": "Bearer t"}) == {"Authorization": "Bearer t"}
    with pytest.raises(SignerError, match="'BANK_TOKEN'"):
        fresh_headers(spec, {})
    assert fresh_headers(SignerSpec(), {}) == {}
