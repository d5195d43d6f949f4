"""Targets with credentials, as plans write them and the command line adds to them."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError, PlanError
from harness.plan import parse_plan
from harness.targets.resolve import parse_header, resolve
from harness.targets.tls import TlsSettings

PLAN = parse_plan(
    {
        "signer": {"kind": "hmac-sha256", "header": "X-Sign", "key_env": "PLAN_KEY"},
        "targets": {
            "staging": {
                "url": "https://staging.bank.example",
                "headers": {"Authorization": "env:STAGING_TOKEN", "X-Channel": "shadow"},
                "signer": {"kind": "none"},
                "tls": {"ca": "/etc/ca.pem"},
            },
            "mock": "http://127.0.0.1:18082",
        },
        "probe": ["staging"],
    }
)


def test_the_old_form_and_the_mapping_form_both_give_urls():
    assert PLAN.targets == {
        "staging": "https://staging.bank.example",
        "mock": "http://127.0.0.1:18082",
    }
    assert PLAN.target_specs["mock"].headers == {} and PLAN.target_specs["mock"].tls is None
    assert PLAN.target_specs["staging"].signer is not None
    assert PLAN.target_specs["staging"].signer.kind == "none"


def test_env_values_are_read_and_a_missing_one_is_one_line():
    got = resolve(PLAN, {"mock": "http://127.0.0.1:18082"}, environ={})
    assert got["mock"].headers == {}
    with pytest.raises(ConfigError) as info:
        resolve(PLAN, {"staging": "http://127.0.0.1:1"}, environ={})
    text = str(info.value)
    assert "'staging'" in text and "'Authorization'" in text and "'STAGING_TOKEN'" in text
    assert "\n" not in text
    t = resolve(PLAN, {"staging": "http://127.0.0.1:1"}, environ={"STAGING_TOKEN": "Bearer x"})
    assert t["staging"].headers == {"Authorization": "Bearer x", "X-Channel": "shadow"}
    assert "Bearer x" not in repr(t["staging"])  # never in a traceback or a log line


def test_command_line_headers_apply_to_one_target_or_all():
    env = {"STAGING_TOKEN": "a", "OTHER": "b"}
    urls = {"staging": "http://127.0.0.1:1", "mock": "http://127.0.0.1:2"}
    t = resolve(PLAN, urls, headers=["authorization=env:OTHER", "mock:X-Test=1"], environ=env)
    assert t["staging"].headers == {"X-Channel": "shadow", "authorization": "b"}
    assert t["mock"].headers == {"authorization": "b", "X-Test": "1"}
    with pytest.raises(ConfigError, match="'nope'"):
        resolve(PLAN, urls, headers=["nope:X=1"], environ=env)


@pytest.mark.parametrize("bad", ["X", "=v", ":X=1", "A B=1"])
def test_bad_header_options(bad):
    with pytest.raises(ConfigError, match="TARGET:"):
        parse_header(bad)


def test_tls_overrides_merge():
    base = TlsSettings(ca="a.pem", client_cert="c.pem", client_key="k.pem")
    assert base.merged(TlsSettings(ca="b.pem")) == TlsSettings("b.pem", "c.pem", "k.pem")
    assert base.merged(TlsSettings(client_cert="d.pem")) == TlsSettings("a.pem", "d.pem", None)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"targets": {"s": {"url": "http://x", "header": {}}}}, "unknown key 'header'"),
        ({"targets": {"s": {"headers": {}}}}, "needs an http(s) URL"),
        ({"targets": {"s": {"url": "http://x", "headers": {"A": ["x"]}}}}, "env:VARIABLE"),
        ({"targets": {"s": {"url": "http://x", "tls": {"key": "k"}}}}, "unknown key 'key'"),
        ({"tls": {"client_key": "k.pem"}}, "needs 'tls.client_cert'"),
        ({"tls": {"ca": 3}}, "must be a file path"),
        ({"metrics_port": 70000}, "port number"),
        ({"metrics_port": "9100"}, "port number"),
        ({"retention": "forever"}, "retention"),
        ({"signer": {"kind": "none", "keyenv": "X"}}, "unknown key 'keyenv'"),
    ],
)
def test_plan_keys_are_validated_in_one_line(data, message):
    with pytest.raises(PlanError) as info:
        parse_plan(data, "p.yaml")
    assert message in str(info.value) and "\n" not in str(info.value)
