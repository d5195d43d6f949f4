"""The generic traffic engine: a day of a simulated bank's requests, deterministic under a seed.

A bank's generator module describes its traffic as a :class:`Script`: one :class:`Route`
per endpoint (a weight, a maker of valid request documents, and the flaws that break one
production rule each) and the maker of synthetic values (a :class:`Draw` subclass). The
engine does the rest the same way for every bank: simulated times weighted by the bank's
office hours (its own UTC offset), the endpoint mix, the flaw draw, and the body encoding
the bank file says (JSON in UTF-8, or a form in the endpoint's charset).

Every draw comes from one ``random.Random(seed)``, never from the global generator. On an
*edge* day the makers draw values that come close to every true limit and that a normal
day rarely or never shows (:meth:`Draw.edge` says when); flaws come at the same rate.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar
from urllib.parse import urlencode

from harness.errors import ConfigError
from harness.sim.bank import Bank, Endpoint
from harness.timeutil import parse_day

T = TypeVar("T")
TIME_HEADER = "X-Sim-Time"
# Requests by the bank's hour of day (relative weights): quiet nights, busy office hours.
HOURLY = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 5, 9, 10, 9, 6, 8, 10, 10, 9, 7, 4, 3, 2, 2, 1.5, 1)

Doc = dict[str, Any]  # a request document: nested mappings, leaves str (numbers for flaws)


@dataclass(frozen=True)
class SimRequest:
    """One generated request, ready to send."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    sim_time: datetime  # timezone-aware, UTC
    endpoint: str  # the bank file's endpoint name
    flaw: str | None = None  # the production rule broken on purpose, if any
    fields: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    rule: str | None = None  # the bank file's id of the rule the flaw breaks, when known


@dataclass(frozen=True)
class Context:
    """Where a request sits in the day."""

    when: datetime  # UTC
    local: datetime  # the bank's wall clock
    index: int


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


RARE_SHARE = 0.05  # a rare value's share on a normal day, relative to an edge day's


class Draw:
    """Synthetic values drawn from one random generator; a bank's maker extends it."""

    def __init__(self, rng: random.Random, edge: bool = False) -> None:
        self.rng = rng
        self.edge_day = edge
        self.ctx = Context(_EPOCH, _EPOCH, 0)  # the request being made (set by the engine)

    def edge(self, share: float = 0.5) -> bool:
        """On an edge day, True for about ``share`` of the calls; never on a normal day.

        For values beyond what normal traffic ever shows: lengths and amounts at the limits."""
        return self.edge_day and self.rng.random() < share

    def rare(self, share: float = 0.5) -> bool:
        """A valid but uncommon value (an enum member, a country, a character): on an edge
        day for about ``share`` of the calls, on a normal day for :data:`RARE_SHARE` of that.
        Customers do send them, rarely: a sample shows them seldom, not never."""
        return self.rng.random() < (share if self.edge_day else share * RARE_SHARE)

    def pick(self, items: Sequence[T]) -> T:
        return self.rng.choice(items)

    def weighted(self, pairs: Sequence[tuple[T, float]]) -> T:
        """One of ``(value, weight)`` pairs."""
        values = [v for v, _ in pairs]
        return self.rng.choices(values, weights=[w for _, w in pairs])[0]

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def bad_check(self, value: str, alphabet: str, at: int = -1) -> str:
        """``value`` with the character at ``at`` replaced by another one of ``alphabet``."""
        i = at % len(value)
        other = self.rng.choice([c for c in alphabet if c != value[i]])
        return value[:i] + other + value[i + 1 :]

    def longer(self, make: Callable[[], str], minimum: int, allowed: str = "") -> str:
        """A value of at least ``minimum`` characters: ``make()`` values joined by spaces."""
        parts = [make()]
        while len(" ".join(parts)) < minimum:
            parts.append(make())
        text = " ".join(parts)
        return text if not allowed else "".join(c for c in text if c in allowed)

    def near_limit(self, make: Callable[[], str], limit: int, slack: int = 3) -> str:
        """A value of ``limit - slack`` to ``limit`` characters built from ``make()`` values
        (cut at a random length in that range; never ending with a space)."""
        text = self.longer(make, limit + 1)
        return text[: self.rng.randint(limit - slack, limit)].rstrip()

    def too_long(self, make: Callable[[], str], limit: int, over: int = 20) -> str:
        """A value of ``limit + 1`` to ``limit + over`` characters (ending in no space)."""
        text = self.longer(make, limit + over + 1)
        cut = self.rng.randint(limit + 1, limit + over)
        out = text[:cut]
        return out if not out.endswith(" ") else out[:-1] + "X"


@dataclass(frozen=True)
class Flaw:
    """Breaks one production rule of the route's endpoint: the rule's id in the bank file."""

    rule: str
    weight: float
    apply: Callable[[Any, Doc], None]  # (maker, document) -> None, changes the document
    # The maker's ``ctx`` is the request's context when a flaw is applied.


Make = Callable[[Any, Doc], Any]  # (maker, document) -> a value


def get(doc: Doc, path: str) -> Any:
    """The value at a dotted path of a document."""
    node: Any = doc
    for key in path.split("."):
        node = node[key]
    return node


def put(path: str, make: Make) -> Callable[[Any, Doc], None]:
    """A flaw's ``apply``: sets the dotted ``path`` to ``make(maker, doc)`` (made first, so
    the maker may still change the document, e.g. add the parent it breaks a part of)."""

    def apply(d: Any, doc: Doc) -> None:
        value = make(d, doc)
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return apply


def flaw_table(endpoint: str, table: Mapping[str, tuple[str, float, Make]]) -> dict[str, Flaw]:
    """Flaws by name from ``name: (field.kind of the rule it breaks, weight, maker)``; the
    rule id is ``endpoint.field.kind`` (the bank file's default id) and the maker's value
    replaces the field."""
    out = {}
    for name, (rule, weight, make) in table.items():
        out[name] = Flaw(f"{endpoint}.{rule}", weight, put(rule.rsplit(".", 1)[0], make))
    return out


@dataclass(frozen=True)
class Route:
    """One endpoint's share of the day, its valid requests, and its flaws by name."""

    endpoint: str
    weight: float
    make: Callable[[Any, Context], Doc]
    flaws: Mapping[str, Flaw]


@dataclass(frozen=True)
class Script:
    """A bank's traffic: routes, the maker of values, office hours by the bank's clock."""

    routes: tuple[Route, ...]
    maker: Callable[[random.Random, bool], Draw]
    hourly: tuple[float, ...] = HOURLY


def sim_times(
    rng: random.Random,
    count: int,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    hourly: tuple[float, ...] = HOURLY,
) -> list[datetime]:
    """``count`` instants in [start, end), weighted by the hour of day in ``tz``, ascending."""
    span = (end - start).total_seconds()  # 23 or 25 hours on daylight-saving days
    hours = max(1, int(span // 3600))
    weights = [hourly[(start + timedelta(hours=h)).astimezone(tz).hour] for h in range(hours)]
    out = []
    for hour in rng.choices(range(hours), weights=weights, k=count):
        offset = min(span - 0.001, hour * 3600 + rng.random() * 3600)
        out.append(start + timedelta(seconds=round(offset, 3)))
    out.sort()
    return out


def check_options(count: int, flaw_rate: float) -> None:
    if count < 0:
        raise ConfigError(f"the request count must not be negative, not {count!r}")
    if not 0.0 <= flaw_rate <= 1.0:
        raise ConfigError(f"the flaw rate must be between 0 and 1, not {flaw_rate!r}")


def generate(
    bank: Bank,
    script: Script,
    count: int,
    day: str | None = None,
    seed: int = 0,
    *,
    edge: bool = False,
    flaw_rate: float = 0.05,
) -> list[SimRequest]:
    """``count`` requests of ``bank`` spread over ``day`` (YYYY-MM-DD, default today)."""
    check_options(count, flaw_rate)
    endpoints = {}
    for route in script.routes:
        try:
            endpoints[route.endpoint] = bank.endpoint(route.endpoint)
        except KeyError:
            raise ConfigError(
                f"bank {bank.name!r} has no endpoint {route.endpoint!r} for its traffic"
            ) from None
    start, end = parse_day(day or "today")
    rng = random.Random(seed)
    maker = script.maker(rng, edge)
    weights = [r.weight for r in script.routes]
    tz = bank.tz
    out = []
    for i, when in enumerate(sim_times(rng, count, start, end, tz, script.hourly)):
        route = rng.choices(script.routes, weights=weights)[0]
        maker.ctx = ctx = Context(when, when.astimezone(tz), i)
        doc = route.make(maker, ctx)
        flaw = rule = None
        if rng.random() < flaw_rate and route.flaws:
            names = list(route.flaws)
            flaw = rng.choices(names, weights=[route.flaws[n].weight for n in names])[0]
            route.flaws[flaw].apply(maker, doc)
            rule = route.flaws[flaw].rule
        out.append(_request(endpoints[route.endpoint], doc, when, flaw, rule))
    return out


def encode(endpoint: Endpoint, doc: Doc) -> tuple[str, bytes]:
    """(Content-Type, body bytes) of a request document, as the endpoint takes it."""
    if endpoint.format == "json":
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return "application/json", body
    if endpoint.format == "form":
        text = urlencode({k: str(v) for k, v in doc.items()}, encoding=endpoint.charset)
        return f"application/x-www-form-urlencoded; charset={endpoint.charset}", text.encode()
    raise ConfigError(f"the traffic engine does not write {endpoint.format!r} bodies")


def flatten(doc: Any, prefix: str = "") -> dict[str, str]:
    """A document's leaves by path (``debtor.name``), as text."""
    out: dict[str, str] = {}
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif doc is not None:
        out[prefix] = doc if isinstance(doc, str) else json.dumps(doc)
    return out


def _request(
    endpoint: Endpoint, doc: Doc, when: datetime, flaw: str | None, rule: str | None
) -> SimRequest:
    path = endpoint.path
    for name in endpoint.pattern.groupindex:
        path = path.replace("{" + name + "}", str(doc.pop(name)))
    ctype, body = encode(endpoint, doc)
    headers = {"Content-Type": ctype, TIME_HEADER: when.isoformat(timespec="milliseconds")}
    return SimRequest(
        endpoint.method, path, headers, body, when, endpoint.name, flaw, flatten(doc), rule
    )
