"""The captured exchanges as the learner reads them: grouped by endpoint, accepted values
counted per field, rejections grouped by signature.

Rows are dicts with ``id``, ``ts`` (datetime or ISO text), ``endpoint``, ``outcome``,
``code``, ``message`` and ``request_fields`` (flat path -> leaf, sanitized). Fields are
addressed by rule path (``items[].amount``). Accepted values are counted once per distinct
text; rejected rows (a few percent of traffic) are flattened on demand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from itertools import chain, filterfalse, repeat
from typing import Any

from harness.fields import rule_path
from harness.learn.predicates import FieldProfile
from harness.rules import RuleSpec, as_text, check

Signature = tuple[str, str | None, str]  # endpoint, code, normalized message


def _normalizer() -> Callable[[str | None], str]:
    from harness.classify import normalize_message

    def norm(message: str | None) -> str:
        return normalize_message(message) if message else ""

    return norm


class EndpointData:
    """One endpoint's accepted values and rejections."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.accepted: list[int] = []
        self.rejected: list[int] = []
        self.other: list[int] = []  # upstream errors and anything else
        self.counts: dict[str, dict[str, int]] = {}
        self.signatures: dict[Signature, list[int]] = {}
        self._profiles: dict[str, FieldProfile] = {}
        self._present: dict[str, int] = {}
        self.table: Table | None = None

    def present(self, field: str) -> int:
        """Accepted rows carrying a non-empty value of ``field`` (counted on demand)."""
        if field not in self._present:
            table = self.table
            assert table is not None
            n = 0
            for i in self.accepted:
                if any(v is not None and v.strip() for v in table.fields(i).get(field, ())):
                    n += 1
            self._present[field] = n
        return self._present[field]

    def profile(self, field: str) -> FieldProfile:
        prof = self._profiles.get(field)
        if prof is None:
            prof = FieldProfile(
                self.counts.get(field, {}),
                len(self.accepted),
                count_present=lambda: self.present(field),
            )
            self._profiles[field] = prof
        return prof


_EMPTY: dict[str, Any] = {}


def _count(data: EndpointData, dicts: list[dict[str, Any]]) -> None:
    """Count the accepted values of every field, one field at a time.

    ``Counter(map(dict.get, dicts, repeat(path)))`` runs entirely in C, which is what makes
    a million exchanges affordable; absent fields count under ``None`` and are dropped.
    """
    paths = set(chain.from_iterable(dicts))
    for path in sorted(paths):
        counts: Counter[Any] = Counter(map(dict.get, dicts, repeat(path)))
        absent = counts.pop(None, 0)
        odd = [] if set(map(type, counts)) <= {str} else [k for k in counts if type(k) is not str]
        for k in odd:  # JSON numbers (a str subclass), booleans
            n = counts.pop(k)
            text = as_text(k)
            if text is not None:
                counts[text] = counts.get(text, 0) + n
        blank = sum(map(counts.__getitem__, filterfalse(str.strip, counts)))
        present = len(dicts) - absent - blank
        field = rule_path(path)
        held = data.counts.get(field)
        if held is None:
            data.counts[field] = dict(counts)
            data._present[field] = present
        else:  # list items: several concrete paths, one rule path
            for k, n in counts.items():
                held[k] = held.get(k, 0) + n
            data._present[field] = max(data._present[field], present)


class Table:
    """Rows indexed for learning (see the module docstring)."""

    def __init__(
        self,
        rows: Sequence[dict[str, Any]],
        *,
        normalize: Callable[[str | None], str] | None = None,
        tz: tzinfo = UTC,
    ) -> None:
        self.rows = rows
        self.tz = tz
        self.endpoints: dict[str, EndpointData] = {}
        self._fields: dict[int, dict[str, list[str | None]]] = {}
        norm = normalize or _normalizer()
        messages: dict[str | None, str] = {}
        accepted_fields: dict[str, list[dict[str, Any]]] = {}
        for i, row in enumerate(rows):
            name = row["endpoint"]
            data = self.endpoints.get(name)
            if data is None:
                data = self.endpoints[name] = EndpointData(name)
                data.table = self
                accepted_fields[name] = []
            outcome = row["outcome"]
            if outcome == "accepted":
                data.accepted.append(i)
                accepted_fields[name].append(row.get("request_fields") or _EMPTY)
            elif outcome == "rejected":
                data.rejected.append(i)
                raw = row.get("message")
                msg = messages.get(raw)
                if msg is None:
                    msg = messages[raw] = norm(raw)
                data.signatures.setdefault((name, row.get("code"), msg), []).append(i)
            else:
                data.other.append(i)
        for name, dicts in accepted_fields.items():
            _count(self.endpoints[name], dicts)

    # -- rows ------------------------------------------------------------------------------

    def fields(self, i: int) -> dict[str, list[str | None]]:
        """Row ``i``'s request fields by rule path (texts; None for a null leaf)."""
        out = self._fields.get(i)
        if out is None:
            out = {}
            for path, leaf in (self.rows[i].get("request_fields") or {}).items():
                out.setdefault(rule_path(path), []).append(as_text(leaf))
            if len(self._fields) < 200_000:
                self._fields[i] = out
        return out

    def values(self, i: int, field: str) -> list[str | None]:
        """The values of ``field`` in row ``i``; ``[None]`` when the field is absent."""
        return self.fields(i).get(field) or [None]

    def id(self, i: int) -> Any:
        return self.rows[i].get("id", i)

    def ts(self, i: int) -> datetime | None:
        value = self.rows[i].get("ts")
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return None

    def day(self, i: int) -> str:
        ts = self.ts(i)
        return ts.astimezone(self.tz).date().isoformat() if ts else "unknown"

    def breaking(self, rule: RuleSpec, indices: Iterable[int]) -> list[int]:
        """The rows among ``indices`` whose value of the rule's field breaks it."""
        return [i for i in indices if any(not check(rule, v) for v in self.values(i, rule.field))]
