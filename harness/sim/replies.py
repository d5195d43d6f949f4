"""A simulated bank's answer bodies, written in its bank file as templates.

A template is a JSON-like value (mappings, lists, strings, numbers). A string that is
exactly ``$name`` is a placeholder: ``$code`` and ``$msg`` (the answer's), ``$data`` (the
endpoint's success data, by its ``data`` generators; a key whose value is ``$data`` is
left out when there is none) or a generator (:data:`GENERATORS`). Every other value is
written as it stands::

    reply:
      content_type: application/json
      success: {paymentId: $uuid, transactionStatus: ACSC}
      rejection: {error: {code: $code, message: $msg}}

Without a ``reply`` section a bank answers as simbank does: ``{"code", "msg", "data"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError

# serial: a new serial number; now: the bank's wall clock, "YYYY-MM-DD hh:mm:ss";
# iso_now: ISO 8601 with the bank's UTC offset; uuid: a new random UUID (version 4);
# account_no: a Luhn-valid account number derived from the request body.
GENERATORS = ("serial", "now", "iso_now", "uuid", "account_no")
PLACEHOLDERS = ("code", "msg", "data", *GENERATORS)


@dataclass(frozen=True)
class ReplyStyle:
    """How a bank writes its answers: one Content-Type, a success and a rejection template."""

    content_type: str
    success: Any
    rejection: Any


DEFAULT_STYLE = ReplyStyle(
    "application/json;charset=UTF-8",
    {"code": "$code", "msg": "$msg", "data": "$data"},
    {"code": "$code", "msg": "$msg"},
)

_OMIT = object()


def placeholder(value: Any) -> str | None:
    """The placeholder's name when ``value`` is one (``"$uuid"`` -> ``"uuid"``), else None."""
    if isinstance(value, str) and value.startswith("$"):
        return value[1:]
    return None


def check_template(template: Any, where: str) -> Any:
    """``template`` itself when every placeholder in it is known; ConfigError otherwise."""
    stack = [template]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif (name := placeholder(node)) is not None and name not in PLACEHOLDERS:
            raise ConfigError(
                f"{where}: unknown placeholder {node!r} (known: {', '.join('$' + p for p in PLACEHOLDERS)})"
            )
        elif node is not None and not isinstance(node, (str, int, float, bool)):
            raise ConfigError(f"{where}: a template holds mappings, lists and plain values")
    return template


def render(template: Any, fill: Callable[[str], Any]) -> Any:
    """The answer document: placeholders replaced by ``fill(name)``; a ``None`` from
    ``fill("data")`` leaves its key (or list item) out."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, child in node.items():
                value = walk(child)
                if value is not _OMIT:
                    out[key] = value
            return out
        if isinstance(node, list):
            return [v for v in (walk(child) for child in node) if v is not _OMIT]
        name = placeholder(node)
        if name is None:
            return node
        value = fill(name)
        return _OMIT if name == "data" and value is None else value

    return walk(template)


def paths_of(template: Any, name: str) -> tuple[str, ...]:
    """Dotted paths where ``$name`` sits in ``template`` (``("error.code",)``)."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", template)]
    while stack:
        prefix, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{prefix}.{k}" if prefix else str(k), v) for k, v in node.items())
        elif placeholder(node) == name:
            found.append(prefix)
    return tuple(sorted(found))
