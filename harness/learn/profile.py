"""A window of captured exchanges as the learner sees it, built in one streaming pass.

:class:`Corpus` reads rows (``id``, ``ts``, ``endpoint``, ``outcome``, ``code``, ``message``,
``request_fields``: flat path -> sanitized leaf, and ``notes`` with the paths the sanitizer
pseudonymized) in batches and keeps, per endpoint:

- per field, the statistics of its accepted values (:class:`harness.rules.stats.FieldStats`),
  accumulated batch by batch (:class:`FieldAccumulator`): never the rows themselves;
- the rejected rows per rejection *signature* (endpoint + code + normalized message), up
  to :data:`SIGNATURE_SAMPLE` rows each and :data:`REJECTED_KEPT` in all (rejections are a
  few percent of traffic), with the count of all of them; past :data:`SIGNATURES_MAX`
  signatures (messages that never repeat), further ones share one;
- counts of accepted, rejected and other exchanges.

Memory grows with the number of endpoints and fields, never with the number of exchanges
(each field keeps at most :data:`COUNT_CAP` counted values, :data:`SAMPLE` sampled ones and
a few numbers; docs/benchmarks.md has the peak at ten million exchanges); time is linear. Work per batch runs mostly in C: values are counted with
``Counter(map(dict.get, ...))`` and every statistic is taken over a batch's *distinct*
values with ``map``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from itertools import chain, filterfalse, islice, repeat
from typing import Any

from harness.codecs import JsonNumber
from harness.codecs.fields import rule_path
from harness.learn.shapes import MIN_PATTERN_VALUES, derive_patterns
from harness.outcome.signature import Signature, normalize_message
from harness.plan import Plan
from harness.rows import LearningRow
from harness.rules import as_text
from harness.rules.kinds.decimal import PLAIN, has_leading_zero, has_trailing_zero, scale_of
from harness.rules.stats import FieldStats, NumberStats
from harness.rules.units import units
from harness.text import charclass, charsets, checksums, formats
from harness.timeutil import instant

# The learner's input: rows, or a callable that gives a fresh pass over them (the store's
# stream_learning_rows), for the learners that read the window twice.
Rows = Iterable[LearningRow] | Callable[[], Iterable[LearningRow]]

BATCH = 20_000  # accepted rows per endpoint counted at once
COUNT_CAP = 64  # distinct values counted exactly (enums need no more)
SAMPLE = 2000  # distinct values kept per field (patterns, analogy shapes)
SIGNATURE_SAMPLE = 5000  # rejected rows kept per signature
REJECTED_KEPT = 50_000  # rejected rows kept per endpoint, all signatures together
SIGNATURES_MAX = 2000  # signatures per endpoint; rejections beyond share one
OTHER_MESSAGES = "(other messages)"
MESSAGE_CACHE = 4096  # raw message -> normalized, kept at most
PROGRESS_EVERY = 100_000  # rows read between progress reports
CHECKSUM_DISTINCT = 8  # distinct values before "every value passes" says anything
_AMOUNT_MAX_DIGITS = 12  # digit-only values longer than this are identifiers, not amounts
ENCODINGS = ("utf-8", "gbk", "shift_jis")  # byte lengths measured for non-ASCII text
_KANA = frozenset({"halfwidth_katakana", "katakana", "hiragana", "kana_small"})
_WIDE = frozenset({"cjk", "cjk_punct", "fullwidth_form", "fullwidth_space"})


def _padded(value: str, stripped: str) -> bool:
    return bool(stripped) and value != stripped


def iterate(rows: Rows) -> Iterator[LearningRow]:
    """The rows, afresh: a callable is called, anything else iterated."""
    return iter(rows() if callable(rows) else rows)


# -- one field ---------------------------------------------------------------------------


class FieldAccumulator:
    """Statistics of one field's accepted values, batch by batch (see the module docstring)."""

    def __init__(self) -> None:
        self.n = 0
        self.present = 0
        self.counts: Counter[str] | None = Counter()
        self.distinct = 0
        self.chars: set[str] = set()
        self.min_len: int | None = None
        self.max_len = 0
        self.lengths: set[int] = set()
        self.max_bytes: dict[str, int] = {}
        self.spaced = False
        self.blank = False
        self.number: dict[str, Any] | None = {}
        self.formats: set[str] | None = None
        self.checksums: set[str] | None = None
        self.patterns: list[tuple[str, re.Pattern[str], float]] | None = None
        self.sample: dict[str, None] = {}

    def add(self, counts: dict[str, int], present: int) -> None:
        """One batch: distinct text -> occurrences, and how many rows had a non-blank value."""
        if not counts:
            return
        values = list(counts)
        self.n += sum(counts.values())
        self.present += present
        self._count(counts)
        chars = set().union(*values)
        self.chars |= chars
        lengths = set(map(len, values))
        self.lengths.update(islice(lengths, 64))
        low, high = min(lengths), max(lengths)
        self.min_len = low if self.min_len is None else min(self.min_len, low)
        self.max_len = max(self.max_len, high)
        self._bytes(values, chars)
        self.blank = self.blank or "" in counts
        if any(map(str.isspace, chars)):  # else no value is blank or padded
            stripped = list(map(str.strip, values))
            self.blank = self.blank or not all(stripped)
            self.spaced = self.spaced or any(map(_padded, values, stripped))
        if len(self.sample) < SAMPLE:
            self.sample.update(dict.fromkeys(islice(values, SAMPLE - len(self.sample))))
        self._numbers(values)
        self._shapes(values)

    def _count(self, counts: dict[str, int]) -> None:
        if self.counts is None:
            self.distinct += len(counts)  # a lower bound once the field is open
            return
        self.counts.update(counts)
        self.distinct = len(self.counts)
        if len(self.counts) > COUNT_CAP:
            self.counts = None

    def _bytes(self, values: list[str], chars: set[str]) -> None:
        """Longest non-ASCII value in bytes, per encoding (ASCII text has as many bytes as
        characters in every encoding measured here, so ``max_len`` covers it).

        Each distinct character's width is measured once per batch; values are taken
        longest first and only while one could still beat the longest so far."""
        wide = sorted(filterfalse(str.isascii, values), key=len, reverse=True)
        if not wide:
            return
        chars = {ch for ch in chars if not ch.isascii()}
        for encoding in ENCODINGS:
            widths = {ord(ch): "x" * charclass.byte_length(ch, encoding) for ch in chars}
            top = max(map(len, widths.values()))
            best = self.max_bytes.get(encoding, 0)
            for v in wide:
                if len(v) * top <= best:
                    break
                best = max(best, len(v.translate(widths)))
            self.max_bytes[encoding] = best

    def _numbers(self, values: list[str]) -> None:
        num = self.number
        if num is None:
            return
        if not all(map(PLAIN.fullmatch, values)):
            self.number = None
            return
        numbers = [Decimal(v) for v in values]
        scales = [scale_of(v) for v in values]
        low, high = min(numbers), max(numbers)
        num["min"] = low if "min" not in num else min(num["min"], low)
        num["max"] = high if "max" not in num else max(num["max"], high)
        num["max_scale"] = max(num.get("max_scale", 0), max(scales))
        num["min_scale"] = min(num.get("min_scale", 99), min(scales))
        num["plus"] = num.get("plus", False) or any(v.startswith("+") for v in values)
        num["minus"] = num.get("minus", False) or any(v.startswith("-") for v in values)
        num["leading_zero"] = num.get("leading_zero", False) or any(map(has_leading_zero, values))
        num["trailing_zero"] = num.get("trailing_zero", False) or any(
            map(has_trailing_zero, values)
        )
        num["point"] = num.get("point", False) or any("." in v for v in values)

    def _shapes(self, values: list[str]) -> None:
        """Formats, checksums and patterns every value so far has (dropped when one fails)."""
        first = values[0]
        if self.formats is None:
            self.formats = {n for n, f in formats.FORMATS.items() if f.test(first)}
            self.checksums = {n for n, c in checksums.CHECKSUMS.items() if c.test(first)}
        self.formats = {n for n in self.formats if all(map(formats.FORMATS[n].test, values))}
        assert self.checksums is not None
        self.checksums = {
            n for n in self.checksums if all(map(checksums.CHECKSUMS[n].test, values))
        }
        if self.patterns is None:
            # Until the sample is full it holds every distinct value seen: derive from it
            # then (or at the end), whatever the batch size.
            if len(self.sample) < SAMPLE:
                return
            self._derive()
        assert self.patterns is not None
        self.patterns = [p for p in self.patterns if all(map(p[1].fullmatch, values))]

    def _derive(self) -> None:
        self.patterns = [
            (r, re.compile(r), 2.0 + c + len(r) / 10) for r, c in derive_patterns(list(self.sample))
        ]

    def stats(self, rows: int) -> FieldStats:
        """The field's statistics once every batch is in."""
        if self.patterns is None and len(self.sample) >= MIN_PATTERN_VALUES:
            self._derive()
        chars = frozenset(self.chars)
        classes: set[str] = set()
        for ch in chars:
            classes |= charclass.classes(ch)
        return FieldStats(
            rows=rows,
            n=self.n,
            present=self.present,
            distinct=self.distinct,
            chars=chars,
            units=units(chars),
            classes=frozenset(classes),
            min_len=self.min_len or 0,
            max_len=self.max_len,
            max_bytes=self._exposed_bytes(classes),
            spaced=self.spaced,
            blank=self.blank,
            numbers=self._number_stats(),
            formats=frozenset(n for n in self.formats or () if formats.FORMATS[n].needs <= classes),
            checksums=frozenset(self.checksums or ())
            if self.distinct >= CHECKSUM_DISTINCT
            else frozenset(),
            patterns=tuple((r, c) for r, _, c in self.patterns or ()),
            sets=charsets.holding(chars),
            counts=dict(self.counts) if self.counts is not None else None,
            sample=tuple(self.sample),
        )

    def _exposed_bytes(self, classes: set[str]) -> dict[str, int]:
        """Byte lengths worth a rule: GBK for Chinese text, Shift_JIS for Japanese, UTF-8
        for anything beyond ASCII (ASCII text has as many bytes as characters)."""
        out = {}
        if self.max_bytes:
            out["utf-8"] = max(self.max_bytes["utf-8"], self.max_len)
            for encoding, suggested in (("gbk", _WIDE), ("shift_jis", _KANA)):
                if classes & suggested:
                    out[encoding] = max(self.max_bytes[encoding], self.max_len)
        return out

    def _number_stats(self) -> NumberStats | None:
        num = self.number
        if not num or "min" not in num:
            return None
        # Identifiers made of digits (mobiles, card numbers, dates) are not amounts: without
        # a decimal point, amounts come in several lengths and never with a leading zero.
        if not num["point"] and (
            self.max_len > _AMOUNT_MAX_DIGITS or len(self.lengths) < 3 or num["leading_zero"]
        ):
            return None
        return NumberStats(
            min=num["min"],
            max=num["max"],
            max_scale=num["max_scale"],
            min_scale=num["min_scale"],
            plus=num["plus"],
            minus=num["minus"],
            leading_zero=num["leading_zero"],
            trailing_zero=num["trailing_zero"],
            point=num["point"],
        )


# -- one endpoint ------------------------------------------------------------------------


@dataclass
class RejectedRow:
    """A rejected exchange as induction reads it."""

    id: Any
    ts: datetime | None
    fields: dict[str, list[str | None]]  # rule path -> values (texts; None for a null leaf)

    def values(self, path: str) -> list[str | None]:
        return self.fields.get(path) or [None]


@dataclass
class EndpointData:
    """One endpoint's statistics, rejections and counts."""

    name: str
    accepted: int = 0
    rejected: int = 0
    other: int = 0
    signatures: dict[Signature, list[RejectedRow]] = field(default_factory=dict)
    signature_counts: dict[Signature, int] = field(default_factory=dict)
    stats: dict[str, FieldStats] = field(default_factory=dict)
    pseudonymized: set[str] = field(default_factory=set)
    numbers: Counter[str] = field(default_factory=Counter)  # field -> accepted JSON numbers
    kept: int = 0  # rejected rows kept, all signatures
    _acc: dict[str, FieldAccumulator] = field(default_factory=dict)
    _batch: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.rejected

    def field_stats(self, path: str) -> FieldStats:
        found = self.stats.get(path)
        if found is None:
            found = self.stats[path] = FieldStats(rows=self.accepted)
        return found

    def fields(self) -> set[str]:
        out = set(self.stats)
        for rows in self.signatures.values():
            for row in rows:
                out.update(row.fields)
        return out

    def flush(self) -> None:
        dicts, self._batch = self._batch, []
        if not dicts:
            return
        paths = sorted(set(chain.from_iterable(dicts)))  # one order, whatever the batch
        by_field: dict[str, tuple[Counter[str], int]] = {}
        for path in paths:
            counts: Counter[Any] = Counter(map(dict.get, dicts, repeat(path)))
            counts.pop(None, 0)
            odd = (
                [] if set(map(type, counts)) <= {str} else [k for k in counts if type(k) is not str]
            )
            for k in odd:  # JSON numbers (a str subclass), booleans
                n = counts.pop(k)
                text = as_text(k)
                if text is not None:
                    counts[text] += n
            blank = sum(map(counts.__getitem__, filterfalse(str.strip, counts)))
            present = sum(counts.values()) - blank
            name = rule_path(path)
            held = by_field.get(name)
            if held is None:
                by_field[name] = (counts, present)
            else:  # list items: several concrete paths, one rule path
                held[0].update(counts)
                by_field[name] = (held[0], max(held[1], present))
        for name, (counts, present) in by_field.items():
            acc = self._acc.get(name)
            if acc is None:
                acc = self._acc[name] = FieldAccumulator()
            acc.add(dict(counts), present)

    def finish(self, plan: Plan | None) -> None:
        self.flush()
        for name, acc in self._acc.items():
            stats = acc.stats(self.accepted)
            numbers = self.numbers.get(name, 0)
            if stats.n:
                stats.types = frozenset(
                    {"number"}
                    if numbers >= stats.n
                    else {"string", "number"}
                    if numbers
                    else {"string"}
                )
            stats.context["sensitive"] = name in self.pseudonymized or bool(
                plan is not None and plan.is_sensitive(name)
            )
            self.stats[name] = stats
        self._acc.clear()


# -- the corpus --------------------------------------------------------------------------


class Corpus:
    """Rows read once into per-endpoint statistics and rejection samples."""

    def __init__(
        self,
        rows: Rows,
        *,
        plan: Plan | None = None,
        normalize: Callable[[str | None], str] | None = None,
        tz: tzinfo = UTC,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.rows = rows
        self.tz = tz
        self.endpoints: dict[str, EndpointData] = {}
        self.exchanges = 0
        norm = normalize or normalize_message
        messages: dict[str | None, str] = {}
        for n, row in enumerate(iterate(rows), 1):
            name = row["endpoint"]
            data = self.endpoints.get(name)
            if data is None:
                data = self.endpoints[name] = EndpointData(name)
            outcome = row["outcome"]
            if outcome == "accepted":
                data.accepted += 1
                data._batch.append(row.get("request_fields") or {})
                notes = row.get("notes") or {}
                for path in notes.get("pseudonymized") or ():
                    data.pseudonymized.add(rule_path(path))
                for path in notes.get("request_numbers") or ():
                    data.numbers[rule_path(path)] += 1
                if len(data._batch) >= BATCH:
                    data.flush()
            elif outcome == "rejected":
                data.rejected += 1
                raw = row.get("message")
                msg = messages.get(raw)
                if msg is None:
                    if len(messages) >= MESSAGE_CACHE:  # messages carrying ids: all distinct
                        messages.clear()
                    msg = messages[raw] = norm(raw)
                sig = Signature(name, row.get("code"), msg)
                held = data.signature_counts.get(sig)
                if held is None and len(data.signature_counts) >= SIGNATURES_MAX:
                    sig = Signature(name, row.get("code"), OTHER_MESSAGES)  # messages without end
                    held = data.signature_counts.get(sig)
                data.signature_counts[sig] = (held or 0) + 1
                kept = data.signatures.setdefault(sig, [])
                if len(kept) < SIGNATURE_SAMPLE and data.kept < REJECTED_KEPT:
                    kept.append(rejected_row(row))
                    data.kept += 1
            else:
                data.other += 1
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n)
            self.exchanges = n
        for data in self.endpoints.values():
            data.finish(plan)

    def day(self, ts: datetime | None) -> str:
        return ts.astimezone(self.tz).date().isoformat() if ts else "unknown"


def rejected_row(row: LearningRow) -> RejectedRow:
    fields: dict[str, list[str | None]] = {}
    numbers = set((row.get("notes") or {}).get("request_numbers") or ())
    for path, leaf in (row.get("request_fields") or {}).items():
        text = as_text(leaf)
        if path in numbers and text is not None:
            text = JsonNumber(text)  # the store keeps a JSON number as text
        fields.setdefault(rule_path(path), []).append(text)
    return RejectedRow(row.get("id"), instant(row.get("ts")), fields)


def field_values(row: LearningRow) -> dict[str, list[str | None]]:
    """A row's request fields by rule path (texts)."""
    return rejected_row(row).fields


def kept_rows(data: EndpointData) -> Sequence[RejectedRow]:
    return [r for rows in data.signatures.values() for r in rows]
