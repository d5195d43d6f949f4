"""Gateway plans: one YAML file per bank integration (see replays/simbank.yaml).

A plan tells the harness what it cannot guess: the production upstream, what a business
success looks like, where a rejection's code and message live, which fields and headers are
sensitive, the labels the bank uses for fields in its messages, noise paths, replay targets
and the signer. Every key is optional; :func:`default_plan` is what the harness uses without
a plan.

Paths address fields of a decoded body (JSON, form, XML alike; see :mod:`harness.codecs.fields`),
e.g. ``code``, ``data.serialNo``, ``Response.Head.RspCode``; ``header:X-Ret-Code`` reads a
response header instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.codecs.fields import compile_matcher
from harness.errors import ConfigError, PlanError
from harness.timeutil import parse_duration

# Where codes and messages usually live when a plan does not say.
# Error codes first: an answer with {"result": "NG", "errorCode": "E1203"} is rejected with
# E1203. Searched at depth 1, then 2 (an XML root does not count as a level).
DEFAULT_CODE_KEYS = (
    "errorCode",
    "errCode",
    "error_code",
    "errcode",
    "code",
    "retCode",
    "resultCode",
    "respCode",
    "rspCode",
    "returnCode",
    "rtnCode",
    "status_code",
)
DEFAULT_MESSAGE_KEYS = (
    "errorMessage",
    "errorMsg",
    "error_message",
    "errmsg",
    "msg",
    "message",
    "retMsg",
    "resultMsg",
    "respMsg",
    "rspMsg",
    "returnMsg",
    "rtnMsg",
    "detail",
    "title",
)
# Top-level words some gateways answer with instead of a code: {"result": "OK"}.
DEFAULT_INDICATOR_KEYS = ("result", "status", "success", "ok", "state", "resultStatus")
DEFAULT_SECRET_HEADERS = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
    "x-signature",
    "signature",
    "x-sign",
    "sign",
)


@dataclass(frozen=True)
class SignerSpec:
    """How replayed requests are signed: a built-in name or ``module:attr`` import path."""

    kind: str = "none"  # none | hmac-sha256 | "package.module:factory"
    header: str | None = None  # header that carries the signature
    body_field: str | None = None  # or a body field that carries it
    key_env: str | None = None  # environment variable holding the key
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TlsSettings:
    """Trust and client certificate for one destination (all optional)."""

    ca: str | None = None  # PEM bundle of trusted CAs; None: the system store
    client_cert: str | None = None  # PEM certificate (chain), may hold the key too
    client_key: str | None = None  # PEM private key of client_cert

    @property
    def mutual(self) -> bool:
        return self.client_cert is not None

    def merged(self, override: TlsSettings | None) -> TlsSettings:
        """These settings with every value ``override`` gives taking precedence."""
        if override is None:
            return self
        cert: str | None
        key: str | None
        if override.client_cert:
            cert, key = override.client_cert, override.client_key
        else:
            cert, key = self.client_cert, self.client_key
        return TlsSettings(ca=override.ca or self.ca, client_cert=cert, client_key=key)


@dataclass(frozen=True)
class TargetSpec:
    """A replay, shadow or probe target as a plan writes it (values not yet resolved).

    ``headers`` maps a header name to a literal value or ``env:NAME`` (read from the
    environment when a run starts: :mod:`harness.targets`); they replace the captured
    (redacted) ones. ``signer`` replaces the plan's signer for this target; ``tls`` says
    whom to trust and which client certificate to present.
    """

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    signer: SignerSpec | None = None
    tls: TlsSettings | None = None


@dataclass(frozen=True)
class Plan:
    name: str = "default"
    upstream: str | None = None
    production_hosts: tuple[str, ...] = ()
    success_status: tuple[int, ...] = ()  # empty: any 2xx
    success_codes: tuple[str, ...] = ()  # empty: learn the most frequent 2xx code
    code_paths: tuple[str, ...] = ()  # empty: DEFAULT_CODE_KEYS at the top level (any depth 1-2)
    message_paths: tuple[str, ...] = ()
    upstream_error_status: tuple[int, ...] = (502, 503, 504)
    sensitive_fields: tuple[str, ...] = ()
    sensitive_headers: tuple[str, ...] = ()
    sanitize_all_text: bool = False  # pseudonymize every free-text leaf, not just listed ones
    sensitive_default: str = "allow"  # "deny": every string leaf not in keep is pseudonymized
    keep_fields: tuple[str, ...] = ()  # never pseudonymized (enums, amounts, codes)
    labels: dict[str, str] = field(default_factory=dict)  # field name or path -> bank's label
    noise: tuple[str, ...] = ()  # response paths ignored by the diff
    time_header: str | None = None  # honoured as the exchange time (simulations only)
    endpoints: tuple[str, ...] = ()  # "POST /v1/enterprise/{id}/update" templates
    targets: dict[str, str] = field(default_factory=dict)  # replay targets by name -> URL
    target_specs: dict[str, TargetSpec] = field(default_factory=dict)  # their settings
    probe_targets: tuple[str, ...] = ()  # targets that validate and may be probed
    signer: SignerSpec = field(default_factory=SignerSpec)
    tls: TlsSettings | None = None  # TLS to the upstream (CA, client certificate)
    metrics_port: int | None = None  # health and metrics on 127.0.0.1:PORT (the proxy)
    retention: timedelta | None = None  # the proxy deletes exchanges older than this daily
    plugins: tuple[str, ...] = ()  # 'module:factory' or entry points (harness.plan.plugins)
    charsets: dict[str, Any] = field(default_factory=dict)  # named sets defined in the plan
    source: str | None = None  # the file it came from

    @property
    def secret_headers(self) -> frozenset[str]:
        return frozenset(h.lower() for h in (*DEFAULT_SECRET_HEADERS, *self.sensitive_headers))

    def is_production(self, url: str) -> bool:
        """True when ``url`` points at the production upstream or a production host.

        The upstream matches by host and port; a ``production_hosts`` entry without a port
        matches its host on any port.
        """
        target = _netloc(url)
        if target is None:
            return False
        for value in (self.upstream, *self.production_hosts):
            known = _netloc(value) if value else None
            if value is None or known is None:
                continue
            host, port = known
            explicit_port = (
                value is self.upstream or ":" in value.split("://", 1)[-1].split("/", 1)[0]
            )
            if host == target[0] and (not explicit_port or port == target[1]):
                return True
        return False

    def is_success_status(self, status: int) -> bool:
        """A business success may have this status: the plan's, else any 2xx."""
        return status in self.success_status if self.success_status else 200 <= status < 300

    def is_sensitive(self, path: str) -> bool:
        """True when ``path`` is among the fields the plan pseudonymizes (as the sanitizer
        matches them: full path, rule path or last name, ``*`` globs)."""
        matcher = _MATCHERS.get(self.sensitive_fields)
        if matcher is None:
            matcher = _MATCHERS[self.sensitive_fields] = compile_matcher(self.sensitive_fields)
        return matcher(path)

    def label_for(self, path: str) -> str | None:
        """The bank's label for a field path, by full path or last name."""
        if path in self.labels:
            return self.labels[path]
        return self.labels.get(path.rsplit(".", 1)[-1].split("[", 1)[0])


_MATCHERS: dict[tuple[str, ...], Any] = {}


def _netloc(value: str) -> tuple[str, int] | None:
    parts = urlsplit(value if "://" in value else f"//{value}")
    if not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port or default
    except ValueError:
        return None
    return parts.hostname.lower(), port


def default_plan() -> Plan:
    return Plan()


def _tuple(value: Any, key: str, kind: type = str) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise PlanError(f"plan key {key!r} must be a list")
    try:
        return tuple(kind(v) for v in value)
    except (TypeError, ValueError):
        raise PlanError(f"plan key {key!r} holds a value that is not {kind.__name__}") from None


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PlanError(f"plan key {key!r} must be a mapping")
    return value


_TOP_KEYS = {
    "name",
    "upstream",
    "production_hosts",
    "success",
    "response",
    "sensitive",
    "labels",
    "noise",
    "time_header",
    "endpoints",
    "targets",
    "probe",
    "signer",
    "plugins",
    "charsets",
    "description",
    "tls",
    "metrics_port",
    "retention",
}
_TARGET_KEYS = {"url", "headers", "signer", "tls"}
_TLS_KEYS = {"ca", "client_cert", "client_key"}
_SIGNER_KEYS = {"kind", "header", "field", "key_env", "options"}


def _sensitive_default(value: Any) -> str:
    if value not in ("allow", "deny"):
        raise PlanError(f"plan key 'sensitive.default' must be allow or deny, got {value!r}")
    return str(value)


def parse_plan(data: Any, source: str | None = None) -> Plan:
    """Validate a plan mapping (as loaded from YAML) into a :class:`Plan`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PlanError(f"plan {source or ''!r} must be a YAML mapping")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise PlanError(f"plan {source or ''!r} has unknown key {unknown[0]!r}")
    success = _mapping(data.get("success"), "success")
    response = _mapping(data.get("response"), "response")
    sensitive = _mapping(data.get("sensitive"), "sensitive")
    signer = _mapping(data.get("signer"), "signer")
    labels = _mapping(data.get("labels"), "labels")
    specs = {
        str(name): _target(str(name), value)
        for name, value in _mapping(data.get("targets"), "targets").items()
    }
    targets = {name: spec.url for name, spec in specs.items()}
    upstream = data.get("upstream")
    if upstream is not None and (not isinstance(upstream, str) or "://" not in upstream):
        raise PlanError("plan key 'upstream' must be an http(s) URL")
    probe = _tuple(data.get("probe"), "probe")
    for name in probe:
        if name not in targets:
            raise PlanError(f"plan probe target {name!r} is not among its targets")
    return Plan(
        name=str(data.get("name") or (Path(source).stem if source else "default")),
        upstream=upstream,
        production_hosts=_tuple(data.get("production_hosts"), "production_hosts"),
        success_status=_tuple(success.get("status", []), "success.status", int),
        success_codes=_tuple(success.get("code"), "success.code"),
        code_paths=_tuple(response.get("code"), "response.code"),
        message_paths=_tuple(response.get("message"), "response.message"),
        upstream_error_status=_tuple(
            response.get("upstream_error_status", [502, 503, 504]),
            "response.upstream_error_status",
            int,
        ),
        sensitive_fields=_tuple(sensitive.get("fields"), "sensitive.fields"),
        sensitive_headers=_tuple(sensitive.get("headers"), "sensitive.headers"),
        sanitize_all_text=bool(sensitive.get("all_text", False)),
        sensitive_default=_sensitive_default(sensitive.get("default", "allow")),
        keep_fields=_tuple(sensitive.get("keep"), "sensitive.keep"),
        labels={str(k): str(v) for k, v in labels.items()},
        noise=_tuple(data.get("noise"), "noise"),
        time_header=data.get("time_header"),
        endpoints=_tuple(data.get("endpoints"), "endpoints"),
        targets=targets,
        probe_targets=probe,
        signer=_signer(signer, "signer"),
        tls=_tls(data.get("tls"), "tls"),
        metrics_port=_port(data.get("metrics_port"), "metrics_port"),
        retention=_retention(data.get("retention")),
        target_specs=specs,
        plugins=_tuple(data.get("plugins"), "plugins"),
        charsets=dict(_mapping(data.get("charsets"), "charsets")),
        source=source,
    )


def _known(value: dict[str, Any], keys: set[str], key: str) -> None:
    unknown = sorted(set(value) - keys)
    if unknown:
        raise PlanError(f"plan key {key!r} has unknown key {unknown[0]!r}")


def _signer(value: dict[str, Any], key: str) -> SignerSpec:
    _known(value, _SIGNER_KEYS, key)
    return SignerSpec(
        kind=str(value.get("kind", "none")),
        header=value.get("header"),
        body_field=value.get("field"),
        key_env=value.get("key_env"),
        options=_mapping(value.get("options"), f"{key}.options"),
    )


def _tls(value: Any, key: str) -> TlsSettings | None:
    if value is None:
        return None
    tls = _mapping(value, key)
    _known(tls, _TLS_KEYS, key)
    for name in _TLS_KEYS:
        if name in tls and not isinstance(tls[name], str):
            raise PlanError(f"plan key '{key}.{name}' must be a file path")
    if tls.get("client_key") and not tls.get("client_cert"):
        raise PlanError(f"plan key '{key}.client_key' needs '{key}.client_cert'")
    return TlsSettings(tls.get("ca"), tls.get("client_cert"), tls.get("client_key"))


def _target(name: str, value: Any) -> TargetSpec:
    """A target: a URL, or a mapping with url, headers, signer and tls."""
    where = f"targets.{name}"
    if isinstance(value, str):
        value = {"url": value}
    spec = _mapping(value, where)
    _known(spec, _TARGET_KEYS, where)
    url = spec.get("url")
    if not isinstance(url, str) or "://" not in url:
        raise PlanError(f"plan target {name!r} needs an http(s) URL")
    headers = _mapping(spec.get("headers"), f"{where}.headers")
    for header, text in headers.items():
        if not isinstance(text, str | int) or isinstance(text, bool):
            raise PlanError(f"plan key '{where}.headers.{header}' must be a text or env:VARIABLE")
    signer = spec.get("signer")
    return TargetSpec(
        url=url,
        headers={str(k): str(v) for k, v in headers.items()},
        signer=None if signer is None else _signer(_mapping(signer, f"{where}.signer"), where),
        tls=_tls(spec.get("tls"), f"{where}.tls"),
    )


def _port(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise PlanError(f"plan key {key!r} must be a port number (1-65535), got {value!r}")
    return value


def _retention(value: Any) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_duration(str(value), "plan key 'retention'")
    except ConfigError as exc:
        raise PlanError(str(exc)) from None


def load_plan(path: str | Path | None) -> Plan:
    """Load and validate a plan file; ``None`` gives the default plan."""
    if path is None:
        return default_plan()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"plan file not found: {str(p)!r}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"cannot read plan {str(p)!r}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise PlanError(f"plan {str(p)!r} is not valid YAML{where}") from None
    plan = parse_plan(data, str(p))
    if plan.plugins or plan.charsets:
        # start-up: only plans that name plug-ins load the loader (entry points, rule registry)
        from harness.plan.plugins import install

        install(plan.plugins, plan.charsets)
    return plan
