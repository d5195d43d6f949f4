"""Endpoint keys: method, templates, id folding, query strings."""

from __future__ import annotations

import pytest

from harness.plan.endpoint import endpoint_key, looks_like_id, split_target

TEMPLATES = ("POST /openapi/v1/enterprise/{id}/update", "GET /v1/accounts/{accountNo}", "/v1/ping")


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        (
            "post",
            "/openapi/v1/enterprise/ENT001/update?x=1",
            "POST /openapi/v1/enterprise/{id}/update",
        ),
        (
            "POST",
            "/openapi/v1/enterprise/anything/update",
            "POST /openapi/v1/enterprise/{id}/update",
        ),
        ("GET", "/openapi/v1/enterprise/ENT001/update", "GET /openapi/v1/enterprise/ENT001/update"),
        ("get", "/v1/accounts/6222020000000000000", "GET /v1/accounts/{accountNo}"),
        ("DELETE", "/v1/ping", "DELETE /v1/ping"),  # a template without a method
        ("GET", "/v1/accounts/", "GET /v1/accounts/"),  # an empty segment is not a value
    ],
)
def test_templates(method, path, expected):
    assert endpoint_key(method, path, TEMPLATES) == expected


def test_most_specific_template_wins():
    templates = ("GET /a/{x}/c", "GET /a/b/c", "GET /a/{x}/{y}")
    assert endpoint_key("GET", "/a/b/c", templates) == "GET /a/b/c"
    assert endpoint_key("GET", "/a/z/c", templates) == "GET /a/{x}/c"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/accounts/12345/balance", "/v1/accounts/{id}/balance"),
        ("/v1/orders/3f2b1c9e-8a7d-4e6f-9b0a-1c2d3e4f5a6b", "/v1/orders/{id}"),
        ("/v1/orders/3f2b1c9e8a7d4e6f9b0a1c2d3e4f5a6b", "/v1/orders/{id}"),
        ("/v1/tx/deadbeef0123", "/v1/tx/{id}"),
        ("/v1/ent/ENT20261124A", "/v1/ent/{id}"),
        ("/v1/day/2026-11-24/report", "/v1/day/{id}/report"),
        ("/v1/name/%E6%BC%94%E7%A4%BA", "/v1/name/{id}"),
        ("/v1/name/演示", "/v1/name/{id}"),
        ("/v1/user/a.b@example.com", "/v1/user/{id}"),
        ("/v2/oauth2/token", "/v2/oauth2/token"),
        ("/api/enterprise/register", "/api/enterprise/register"),
        ("", "/"),
        ("https://bank.example:8443/v1/accounts/42?x=1#frag", "/v1/accounts/{id}"),
    ],
)
def test_id_folding(path, expected):
    assert endpoint_key("get", path) == "GET " + expected


def test_query_and_fragment_are_dropped():
    assert endpoint_key("POST", "/pay?card=6222020000000000000") == "POST /pay"
    assert split_target("/a/b?x=1&y=2#f") == ("/a/b", "x=1&y=2")
    assert split_target("http://h") == ("/", "")


@pytest.mark.parametrize("segment", ["v1", "openapi", "update", "deadbeefcafe", "abc-def", "1.0"])
def test_names_are_not_ids(segment):
    assert not looks_like_id(segment)
