"""How the store's JSON columns are encoded and decoded (the engine's JSON serializer).

orjson, several times faster than the standard library both ways (JSON columns are most
of what an insert or a replay's selection costs); what orjson refuses falls back to the
standard library, so the meaning stays the standard library's: integers beyond 64 bits are
written, and the ``NaN`` an older writer may have stored is read. Text is written as UTF-8,
not as ``\\u`` escapes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> str:
    """A JSON column's text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    """A JSON column's value."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
