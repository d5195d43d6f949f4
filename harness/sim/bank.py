"""A simulated bank's definition: load and validate a bank file, compile its rules.

A bank file (``harness/sim/bank.yaml``, simbank, by default; the others in
``harness/sim/banks/``) lists roles, field labels, stock answers, how answers are written
(:mod:`harness.sim.replies`) and endpoints with their rules; see the comments at the top of
``bank.yaml`` and docs/simulator.md. Loading validates everything
and compiles each rule into a predicate, so serving a request does no YAML work. A bad file
raises :class:`harness.errors.ConfigError` with one line that names the file and the place.

Only harness/sim/ and the tests read bank files: they describe the world, not what the
harness knows about it.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError
from harness.sim.checks import Predicate, compile_rule
from harness.sim.replies import DEFAULT_STYLE, GENERATORS, ReplyStyle, check_template

DEFAULT_BANK = Path(__file__).with_name("bank.yaml")

FORMATS = ("json", "xml", "form")
DATA_GENERATORS = GENERATORS
_RULE_KEYS = frozenset({"id", "field", "fields", "kind", "roles", "code", "msg", "status"})
_STOCK = ("success", "not_found", "bad_method", "malformed")
_TOP_KEYS = frozenset(
    {"name", "description", "utc_offset", "traffic", "roles", "labels", "reply"}
    | {"responses", "endpoints"}
)


@dataclass(frozen=True)
class Answer:
    """What the bank says: an HTTP status, a code and a message (a success may have neither)."""

    status: int
    code: str | None
    msg: str | None


@dataclass(frozen=True)
class Rule:
    """One compiled field rule of one endpoint."""

    id: str
    field: str
    kind: str
    params: dict[str, Any]
    roles: frozenset[str]
    answer: Answer
    check: Predicate = dataclasses.field(repr=False, compare=False)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # template: /openapi/v1/enterprise/{merchantNo}/update
    format: str  # json | xml | form
    rules: tuple[Rule, ...]
    data: dict[str, str] = dataclasses.field(default_factory=dict)  # success data key -> generator
    root: str = "Request"  # XML request root
    reply_root: str = "Response"  # XML response root
    charset: str = "utf-8"  # a form body's charset when the Content-Type names none
    success_status: int | None = None  # this endpoint's success status, when not the bank's
    reply: Any = None  # this endpoint's success template, when not the bank's
    pattern: re.Pattern[str] = dataclasses.field(default=re.compile(""), repr=False, compare=False)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` is this endpoint's, else None."""
        m = self.pattern.fullmatch(path)
        return m.groupdict() if m else None

    def rules_for(self, role: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if role in r.roles)


@dataclass(frozen=True)
class Bank:
    name: str
    roles: dict[str, int]  # role -> default port
    labels: dict[str, str]
    responses: dict[str, Answer]
    flaky: tuple[tuple[Answer, int], ...]  # (answer, weight)
    endpoints: tuple[Endpoint, ...]
    source: str | None = None
    utc_offset: float = 8.0  # the bank's wall clock, hours east of UTC
    traffic: str = ""  # the traffic generator's name (harness.sim.banks), default the name
    style: ReplyStyle = DEFAULT_STYLE
    description: str = ""

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset))

    def success_for(self, endpoint: Endpoint) -> Answer:
        """The success answer of ``endpoint``: the bank's, with the endpoint's own status."""
        answer = self.responses["success"]
        if endpoint.success_status is None:
            return answer
        return dataclasses.replace(answer, status=endpoint.success_status)

    def endpoint(self, name: str) -> Endpoint:
        for ep in self.endpoints:
            if ep.name == name:
                return ep
        raise KeyError(name)

    def route(self, method: str, path: str) -> tuple[Endpoint | None, dict[str, str], bool]:
        """(endpoint, path params, path known): path known but method wrong gives (None, {}, True)."""
        known = False
        for ep in self.endpoints:
            params = ep.match(path)
            if params is None:
                continue
            if ep.method == method:
                return ep, params, True
            known = True
        return None, {}, known

    def label(self, field_path: str) -> str:
        return label_of(self.labels, field_path)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(r for ep in self.endpoints for r in ep.rules)


def label_of(labels: Mapping[str, str], field_path: str) -> str:
    """The bank's label for a field (by full path, then by last name), else the name itself."""
    name = field_path.rsplit(".", 1)[-1]
    return labels.get(field_path) or labels.get(name) or name


def load_bank(path: str | Path | None = None) -> Bank:
    """Load, validate and compile a bank file (the packaged default when ``path`` is None)."""
    source = Path(path) if path is not None else DEFAULT_BANK
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"bank file not found: {str(source)!r}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"bank file {str(source)!r} cannot be read: {type(exc).__name__}"
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise ConfigError(f"bank file {str(source)!r} is not valid YAML{at}") from None
    try:
        return _build(raw, str(source))
    except ConfigError as exc:
        raise ConfigError(f"bank file {str(source)!r}: {exc}") from None


def _build(raw: Any, source: str) -> Bank:
    top = _mapping(raw, "the file")
    # "x-" keys are the file's own (YAML anchors shared by rules), as in OpenAPI.
    unknown_keys = {k for k in top if not str(k).startswith("x-")} - _TOP_KEYS
    if unknown_keys:
        raise ConfigError(f"unknown key {sorted(unknown_keys)[0]!r}")
    roles_raw = _mapping(top.get("roles"), "'roles'")
    if not roles_raw:
        raise ConfigError("'roles' must name at least one role")
    roles: dict[str, int] = {}
    for name, spec in roles_raw.items():
        port = _mapping(spec or {}, f"role {name!r}").get("port", 0)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 65536:
            raise ConfigError(f"role {name!r}: 'port' must be a port number")
        roles[str(name)] = port
    labels = {str(k): str(v) for k, v in _mapping(top.get("labels", {}), "'labels'").items()}

    resp_raw = _mapping(top.get("responses"), "'responses'")
    responses = {}
    for key in _STOCK:
        if key not in resp_raw:
            raise ConfigError(f"'responses' lacks {key!r}")
        responses[key] = _answer(resp_raw[key], f"responses.{key}", coded=key != "success")
    if "signature" in resp_raw:  # only banks that sign have it
        responses["signature"] = _answer(resp_raw["signature"], "responses.signature")
    flaky = []
    for i, item in enumerate(_list(resp_raw.get("flaky", []), "responses.flaky")):
        spec = _mapping(item, f"responses.flaky[{i}]")
        weight = spec.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise ConfigError(f"responses.flaky[{i}]: 'weight' must be a positive integer")
        flaky.append((_answer(spec, f"responses.flaky[{i}]", extra={"weight"}), weight))

    endpoints = []
    seen_ids: set[str] = set()
    for i, item in enumerate(_list(top.get("endpoints"), "'endpoints'")):
        endpoints.append(_endpoint(item, i, set(roles), seen_ids, labels))
    if not endpoints:
        raise ConfigError("'endpoints' is empty")
    offset = top.get("utc_offset", 8)
    if isinstance(offset, bool) or not isinstance(offset, (int, float)) or abs(offset) > 14:
        raise ConfigError("'utc_offset' must be a number of hours between -14 and 14")
    name = str(top.get("name", "bank"))
    return Bank(
        name=name,
        roles=roles,
        labels=labels,
        responses=responses,
        flaky=tuple(flaky),
        endpoints=tuple(endpoints),
        source=source,
        utc_offset=float(offset),
        traffic=str(top.get("traffic", name)),
        style=_style(top.get("reply")),
        description=str(top.get("description", "")),
    )


def _style(raw: Any) -> ReplyStyle:
    if raw is None:
        return DEFAULT_STYLE
    spec = _mapping(raw, "'reply'")
    unknown = set(spec) - {"content_type", "success", "rejection"}
    if unknown:
        raise ConfigError(f"'reply': unknown key {sorted(unknown)[0]!r}")
    ctype = spec.get("content_type", DEFAULT_STYLE.content_type)
    if not isinstance(ctype, str) or "/" not in ctype:
        raise ConfigError("'reply': 'content_type' must be a media type")
    return ReplyStyle(
        ctype,
        check_template(spec.get("success", DEFAULT_STYLE.success), "reply.success"),
        check_template(spec.get("rejection", DEFAULT_STYLE.rejection), "reply.rejection"),
    )


def _endpoint(
    item: Any, index: int, roles: set[str], seen_ids: set[str], labels: dict[str, str]
) -> Endpoint:
    spec = _mapping(item, f"endpoints[{index}]")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"endpoints[{index}] needs a 'name'")
    where = f"endpoint {name!r}"
    method = str(spec.get("method", "POST")).upper()
    path = spec.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigError(f"{where}: 'path' must start with '/'")
    fmt = spec.get("format", "json")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}: 'format' must be one of {', '.join(FORMATS)}, not {fmt!r}")
    charset = str(spec.get("charset", "utf-8"))
    try:
        codecs.lookup(charset)
    except LookupError:
        raise ConfigError(f"{where}: unknown charset {charset!r}") from None
    status = spec.get("status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 200 <= status < 300
    ):
        raise ConfigError(f"{where}: 'status' (of a success) must be a 2xx HTTP status")
    reply = spec.get("reply")
    if reply is not None:
        check_template(reply, f"{where}: 'reply'")
    data = {str(k): str(v) for k, v in _mapping(spec.get("data", {}), f"{where}: 'data'").items()}
    for key, gen in data.items():
        if gen not in DATA_GENERATORS:
            raise ConfigError(
                f"{where}: data {key!r}: unknown generator {gen!r} (known: {', '.join(DATA_GENERATORS)})"
            )
    params = re.findall(r"\{(\w+)\}", path)
    regex = re.escape(path)
    for p in params:
        regex = regex.replace(re.escape("{" + p + "}"), f"(?P<{p}>[^/]+)")
    rules: list[Rule] = []
    for j, rule_raw in enumerate(_list(spec.get("rules", []), f"{where}: 'rules'")):
        for rule in _rules(rule_raw, f"{where}: rules[{j}]", name, roles, labels):
            if rule.id in seen_ids:
                raise ConfigError(f"{where}: rules[{j}]: duplicate rule id {rule.id!r}")
            seen_ids.add(rule.id)
            rules.append(rule)
    return Endpoint(
        name=name,
        method=method,
        path=path,
        format=fmt,
        rules=tuple(rules),
        data=data,
        root=str(spec.get("root", "Request")),
        reply_root=str(spec.get("reply_root", "Response")),
        pattern=re.compile(regex),
        charset=charset,
        success_status=status,
        reply=reply,
    )


def _rules(
    raw: Any, where: str, endpoint: str, roles: set[str], labels: dict[str, str]
) -> list[Rule]:
    spec = _mapping(raw, where)
    kind = spec.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(f"{where} needs a 'kind'")
    if "field" in spec and "fields" in spec:
        raise ConfigError(f"{where}: give 'field' or 'fields', not both")
    fields = spec.get("fields", [spec["field"]] if "field" in spec else None)
    if (
        not isinstance(fields, list)
        or not fields
        or not all(isinstance(f, str) and f for f in fields)
    ):
        raise ConfigError(f"{where} needs a 'field' or a non-empty list of 'fields'")
    role_list = spec.get("roles")
    if not isinstance(role_list, list) or not role_list:
        raise ConfigError(f"{where} needs a non-empty list of 'roles'")
    unknown = [r for r in role_list if r not in roles]
    if unknown:
        raise ConfigError(f"{where}: unknown role {unknown[0]!r}")
    params = {k: v for k, v in spec.items() if k not in _RULE_KEYS}
    try:
        check = compile_rule(kind, params)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if "id" in spec and len(fields) > 1:
        raise ConfigError(f"{where}: an 'id' names one rule; use 'field', not 'fields'")
    out = []
    for f in fields:
        answer = _answer({k: spec.get(k) for k in ("status", "code", "msg") if k in spec}, where)
        answer = Answer(
            answer.status, answer.code, (answer.msg or "").replace("{label}", label_of(labels, f))
        )
        out.append(
            Rule(
                id=str(spec.get("id") or f"{endpoint}.{f}.{kind}"),
                field=f,
                kind=kind,
                params=params,
                roles=frozenset(role_list),
                answer=answer,
                check=check,
            )
        )
    return out


def _answer(
    raw: Any, where: str, extra: set[str] | frozenset[str] = frozenset(), coded: bool = True
) -> Answer:
    """An answer; ``coded=False`` (a success) lets code and message be left out."""
    spec = _mapping(raw, where)
    unknown = set(spec) - {"status", "code", "msg"} - set(extra)
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    status = spec.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status < 600:
        raise ConfigError(f"{where}: 'status' must be an HTTP status")
    code, msg = spec.get("code"), spec.get("msg")
    if (coded or code is not None) and (not isinstance(code, str) or not code):
        raise ConfigError(f"{where} needs a 'code' (a quoted string)")
    if (coded or msg is not None) and (not isinstance(msg, str) or not msg):
        raise ConfigError(f"{where} needs a 'msg'")
    return Answer(status, code, msg)


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a mapping")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{what} must be a list")
    return value
