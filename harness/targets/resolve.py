"""Targets ready to send to: URL, credentials, signer and TLS, resolved before anything is sent.

A plan's target may be a URL or a mapping (:class:`harness.plan.TargetSpec`)::

    targets:
      staging:
        url: https://staging.bank.example
        headers: {Authorization: "env:STAGING_TOKEN", X-Channel: "shadow"}
        signer: {kind: hmac-sha256, header: X-Sign, key_env: STAGING_HMAC_KEY}
        tls: {ca: /etc/harness/staging-ca.pem, client_cert: ..., client_key: ...}
      mock: http://127.0.0.1:18082

:func:`resolve` turns the targets of one run (the plan's, or ``NAME=URL`` given on the
command line, which keep the plan's settings of the same name) into :class:`Target`
objects: header values written ``env:NAME`` are read from the environment, and a variable
that is not set is one :class:`~harness.errors.ConfigError` naming the target, the header
and the variable, raised before any request leaves. Extra headers
(``--target-header [TARGET:]NAME=VALUE``) apply to one target or to all; extra TLS
settings (``--target-ca`` ...) apply to all. Target headers replace the captured ones,
which the store holds redacted.

Header values are secrets: they are never stored (a run records names and URLs only),
never logged, and never shown in an error.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness.errors import ConfigError
from harness.plan import Plan, SignerSpec, TargetSpec
from harness.targets.tls import TlsSettings, client_context

__all__ = [
    "Target",
    "as_targets",
    "check_url",
    "parse_header",
    "parse_target",
    "resolve",
    "resolve_value",
    "urls",
]

ENV_PREFIX = "env:"


@dataclass(frozen=True)
class Target:
    """One target of a run, resolved: its header values are the real ones (secret)."""

    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    signer: SignerSpec | None = None  # None: the plan's signer
    tls: TlsSettings | None = None

    def signer_spec(self, plan: Plan) -> SignerSpec:
        return self.signer or plan.signer

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for an https target (None for http: nothing to set)."""
        if not self.url.lower().startswith("https://"):
            return None
        return client_context(self.tls, f"target {self.name!r}")


def parse_target(text: str, plan: Plan | None = None) -> tuple[str, str]:
    """A target as given on the command line -> (name, URL): ``NAME=URL``, or ``NAME``
    alone for a target of ``plan``. The one parser of ``--target`` and ``--shadow``."""
    name, sep, url = text.partition("=")
    name, url = name.strip(), url.strip()
    if not sep and plan is not None and name in plan.targets:
        url = plan.targets[name]
    elif not sep or not name or not url:
        wanted = "NAME=URL or the name of a plan target" if plan is not None else "NAME=URL"
        raise ConfigError(f"a target is {wanted}, got {text!r}")
    check_url(name, url)
    return name, url


def check_url(name: str, url: str) -> None:
    """A target URL must be http(s) with a host (and a valid port)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(f"target {name!r} has a bad port: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"target {name!r} needs an http(s) URL, got {url!r}")


def resolve_value(value: str, where: str, environ: Mapping[str, str]) -> str:
    """A header value: ``env:NAME`` read from the environment, anything else as written."""
    if not value.startswith(ENV_PREFIX):
        return value
    var = value[len(ENV_PREFIX) :].strip()
    if not var:
        raise ConfigError(f"{where}: 'env:' needs a variable name")
    got = environ.get(var)
    if got is None:
        raise ConfigError(f"{where} needs environment variable {var!r}, which is not set")
    return got


def parse_header(text: str) -> tuple[str | None, str, str]:
    """``[TARGET:]NAME=VALUE`` from the command line -> (target or None, name, value)."""
    left, sep, value = text.partition("=")
    target, colon, name = left.partition(":")
    if not colon:
        target, name = "", left
    target, name = target.strip(), name.strip()
    if not sep or not name or (colon and not target) or any(c in name for c in " \t\r\n"):
        raise ConfigError(f"a target header is [TARGET:]NAME=VALUE, got {text.split('=')[0]!r}")
    return target or None, name, value


def resolve(
    plan: Plan | None,
    urls: Mapping[str, str] | None = None,
    *,
    headers: Iterable[str] = (),
    tls: TlsSettings | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Target]:
    """The run's targets by name: ``urls`` (name -> URL) or else the plan's targets, each
    with the plan's settings of the same name, the extra ``headers`` and ``tls``."""
    env = os.environ if environ is None else environ
    specs: Mapping[str, TargetSpec] = plan.target_specs if plan is not None else {}
    if urls is None:
        urls = dict(plan.targets) if plan is not None else {}
    extra = [parse_header(h) for h in headers]
    for target, _, _ in extra:
        if target is not None and target not in urls:
            raise ConfigError(f"--target-header names target {target!r}, which this run lacks")
    out: dict[str, Target] = {}
    for name, url in urls.items():
        spec = specs.get(name)
        values: dict[str, str] = {}
        for header, value in (spec.headers if spec else {}).items():
            values[header] = resolve_value(value, f"target {name!r} header {header!r}", env)
        for target, header, value in extra:
            if target in (None, name):
                for existing in [k for k in values if k.lower() == header.lower()]:
                    del values[existing]
                values[header] = resolve_value(value, f"target {name!r} header {header!r}", env)
        settings = spec.tls if spec else None
        if tls is not None:
            settings = (settings or TlsSettings()).merged(tls)
        out[name] = Target(name, url, values, spec.signer if spec else None, settings)
    for t in out.values():
        t.ssl_context()  # a missing CA or a key that does not fit: one line, now
    return out


def as_targets(
    plan: Plan | None,
    targets: Mapping[str, str | Target],
    environ: Mapping[str, str] | None = None,
) -> dict[str, Target]:
    """Targets given either way (name -> URL or :class:`Target`), all resolved."""
    urls = {n: t for n, t in targets.items() if isinstance(t, str)}
    out = resolve(plan, urls, environ=environ) if urls else {}
    for n, t in targets.items():
        if isinstance(t, Target):
            out[n] = t
    return {n: out[n] for n in targets}


def urls(targets: Mapping[str, str | Target]) -> dict[str, str]:
    """Name -> URL (of URLs or resolved targets): what a run records and what the
    production check looks at."""
    return {n: t if isinstance(t, str) else t.url for n, t in targets.items()}
