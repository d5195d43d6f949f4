"""The simulated banks' field checks: rule kinds and the check-character algorithms.

This is the *world*, kept independent of what the harness knows (``harness.text.charclass``,
``harness.text.checksums``) on purpose: the simulator is the ground truth the harness is tested
against, so it must not share the harness's bugs. Each rule kind is compiled once, at load
time, into a predicate ``value -> bool`` (True when the value passes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from harness.errors import ConfigError
from harness.sim import standards
from harness.sim.parse import Container, Literal, Number

Predicate = Callable[[str], bool]
_T = TypeVar("_T")

# GB 32100-2015: the unified social credit code.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11643-1999: the resident ID number.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"

_CREDIT_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def credit_code_check(body17: str) -> str:
    """The 18th character of a unified social credit code."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_credit_code(s: str) -> bool:
    return bool(_CREDIT_SHAPE.fullmatch(s)) and credit_code_check(s[:17]) == s[17]


def id_number_check(body17: str) -> str:
    """The 18th character of a resident ID number."""
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return ID_CHECKS[total % 11]


def _valid_birth(yyyymmdd: str) -> bool:
    from datetime import date

    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return born.year >= 1900


def is_id_number(s: str) -> bool:
    return (
        bool(_ID_SHAPE.fullmatch(s)) and _valid_birth(s[6:14]) and id_number_check(s[:17]) == s[17]
    )


def luhn_check(body: str) -> str:
    """The Luhn check digit to append to ``body`` (digits only)."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:  # doubled: these sit at odd positions once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def is_luhn(s: str) -> bool:
    return len(s) >= 2 and s.isascii() and s.isdigit() and luhn_check(s[:-1]) == s[-1]


CHECK_SCHEMES: dict[str, Predicate] = {
    "credit_code": is_credit_code,
    "id_number": is_id_number,
    "luhn": is_luhn,
}

# Character classes a ``forbid_chars`` rule may name.
CHAR_CLASSES: dict[str, Callable[[str], bool]] = {
    "ascii_letter": lambda c: c.isascii() and c.isalpha(),
    "ascii_digit": lambda c: "0" <= c <= "9",
    "ascii_punct": lambda c: "!" <= c <= "~" and not c.isalnum(),
    "ascii_space": lambda c: c == " ",
    "fullwidth_form": lambda c: "\uff01" <= c <= "\uff5e",
    "fullwidth_space": lambda c: c == "\u3000",
    "control": lambda c: ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0,
}


def _need(params: Mapping[str, Any], name: str, kind: str) -> Any:
    if name not in params:
        raise ConfigError(f"rule kind {kind!r} needs the parameter {name!r}")
    return params[name]


def _required(params: Mapping[str, Any]) -> Predicate:
    return lambda v: v != ""


def _pattern(params: Mapping[str, Any]) -> Predicate:
    text = _need(params, "regex", "pattern")
    try:
        rx = re.compile(str(text))
    except re.error as exc:
        raise ConfigError(f"rule kind 'pattern': bad regex {text!r}: {exc}") from None
    return lambda v: rx.fullmatch(v) is not None


def _forbid_chars(params: Mapping[str, Any]) -> Predicate:
    names = _need(params, "classes", "forbid_chars")
    if not isinstance(names, list) or not names:
        raise ConfigError("rule kind 'forbid_chars': 'classes' must be a non-empty list")
    unknown = [n for n in names if n not in CHAR_CLASSES]
    if unknown:
        raise ConfigError(
            f"rule kind 'forbid_chars': unknown class {unknown[0]!r} (known: {', '.join(CHAR_CLASSES)})"
        )
    tests = tuple(CHAR_CLASSES[n] for n in names)
    return lambda v: not any(t(c) for c in v for t in tests)


def _encoding(params: Mapping[str, Any], kind: str) -> str:
    import codecs

    enc = str(_need(params, "encoding", kind))
    try:
        codecs.lookup(enc)
    except LookupError:
        raise ConfigError(f"rule kind {kind!r}: unknown encoding {enc!r}") from None
    return enc


def _encodable(params: Mapping[str, Any]) -> Predicate:
    enc = _encoding(params, "encodable")

    def ok(v: str) -> bool:
        try:
            v.encode(enc)
        except UnicodeEncodeError:
            return False
        return True

    return ok


def _max_bytes(params: Mapping[str, Any]) -> Predicate:
    enc = _encoding(params, "max_bytes")
    limit = _int(_need(params, "max", "max_bytes"), "max_bytes", "max")

    def ok(v: str) -> bool:
        if v.isascii():
            return len(v) <= limit
        try:
            return len(v.encode(enc)) <= limit
        except UnicodeEncodeError:
            # Characters the encoding lacks count as GB 18030 counts them: 4 bytes.
            return sum(_char_bytes(c, enc) for c in v) <= limit

    return ok


def _char_bytes(c: str, enc: str) -> int:
    try:
        return len(c.encode(enc))
    except UnicodeEncodeError:
        return 4


def _trimmed(params: Mapping[str, Any]) -> Predicate:
    return lambda v: v == v.strip()


def _decimal(params: Mapping[str, Any]) -> Predicate:
    places = _int(_need(params, "places", "decimal"), "decimal", "places")
    rx = re.compile(
        rf"(0|[1-9][0-9]*)(\.[0-9]{{1,{places}}})?" if places > 0 else r"(0|[1-9][0-9]*)"
    )
    return lambda v: rx.fullmatch(v) is not None


def _range(params: Mapping[str, Any]) -> Predicate:
    low = _dec(params.get("min"), "min")
    high = _dec(params.get("max"), "max")

    def ok(v: str) -> bool:
        try:
            d = Decimal(v)
        except InvalidOperation:
            return True  # not a number: a format rule's business, not this one's
        if not d.is_finite():
            return True
        return (low is None or d >= low) and (high is None or d <= high)

    return ok


def _enum(params: Mapping[str, Any]) -> Predicate:
    if "set" in params:
        listed = _named(params, "set", "enum", standards.CODE_LISTS)
        return lambda v: v in listed
    values = _need(params, "values", "enum")
    if not isinstance(values, list) or not values:
        raise ConfigError("rule kind 'enum': 'values' must be a non-empty list")
    allowed = frozenset(str(v) for v in values)
    return lambda v: v in allowed


def _allow_chars(params: Mapping[str, Any]) -> Predicate:
    allowed = _named(params, "set", "allow_chars", standards.CHAR_SETS)
    return lambda v: all(c in allowed for c in v)


def _max_length(params: Mapping[str, Any]) -> Predicate:
    limit = _int(_need(params, "max", "max_length"), "max_length", "max")
    return lambda v: len(v) <= limit


def _min_length(params: Mapping[str, Any]) -> Predicate:
    limit = _int(_need(params, "min", "min_length"), "min_length", "min")
    return lambda v: len(v) >= limit


def _iban(params: Mapping[str, Any]) -> Predicate:
    return standards.is_iban


def _bic(params: Mapping[str, Any]) -> Predicate:
    return standards.is_bic


def _uuid(params: Mapping[str, Any]) -> Predicate:
    version = params.get("version")
    if version is not None and version not in (1, 3, 4, 5, 6, 7, 8):
        raise ConfigError(f"rule kind 'uuid': 'version' must be 1 to 8, not {version!r}")
    case = params.get("case", "any")
    if case not in ("lower", "upper", "any"):
        raise ConfigError(f"rule kind 'uuid': 'case' must be lower, upper or any, not {case!r}")
    return lambda v: standards.is_uuid(v, version, case)


def _date(params: Mapping[str, Any]) -> Predicate:
    fmt = str(_need(params, "format", "date"))
    try:
        shape = standards.date_shape(fmt)
    except ValueError as exc:
        raise ConfigError(f"rule kind 'date': bad format {fmt!r}: {exc}") from None
    return lambda v: standards.is_date(v, fmt, shape)


_JSON_TYPES: dict[str, Callable[[str], bool]] = {
    "string": lambda v: not isinstance(v, (Number, Literal, Container)),
    "number": lambda v: isinstance(v, Number),
    "integer": lambda v: isinstance(v, Number) and re.fullmatch(r"-?[0-9]+", v) is not None,
    "boolean": lambda v: isinstance(v, Literal),
}


def _json_type(params: Mapping[str, Any]) -> Predicate:
    return _named(params, "type", "json_type", _JSON_TYPES)


def _check_digit(params: Mapping[str, Any]) -> Predicate:
    return _named(params, "scheme", "check_digit", CHECK_SCHEMES)


def _named(params: Mapping[str, Any], key: str, kind: str, table: Mapping[str, _T]) -> _T:
    """``table[params[key]]``; ConfigError naming the known names when it is not there."""
    name = str(_need(params, key, kind))
    if name not in table:
        raise ConfigError(f"rule kind {kind!r}: unknown {key} {name!r} (known: {', '.join(table)})")
    return table[name]


def _int(value: Any, kind: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"rule kind {kind!r}: {name!r} must be a non-negative integer")
    return value


def _dec(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"rule kind 'range': {name!r} is not a number: {value!r}") from None


KINDS: dict[str, Callable[[Mapping[str, Any]], Predicate]] = {
    "required": _required,
    "pattern": _pattern,
    "forbid_chars": _forbid_chars,
    "encodable": _encodable,
    "max_bytes": _max_bytes,
    "trimmed": _trimmed,
    "decimal": _decimal,
    "range": _range,
    "enum": _enum,
    "check_digit": _check_digit,
    "allow_chars": _allow_chars,
    "max_length": _max_length,
    "min_length": _min_length,
    "iban": _iban,
    "bic": _bic,
    "uuid": _uuid,
    "date": _date,
    "json_type": _json_type,
}


def compile_rule(kind: str, params: Mapping[str, Any]) -> Predicate:
    """A predicate for one rule kind and its parameters; ConfigError when they are bad."""
    if kind not in KINDS:
        raise ConfigError(f"unknown rule kind {kind!r} (known: {', '.join(KINDS)})")
    return KINDS[kind](params)
