"""Rule kinds: one class per kind, registered in one place.

Each kind lives in its own module under :mod:`harness.rules.kinds` and says everything the
harness needs to know about it: its parameters, how a value is checked, the rule in
words, its JSON Schema, how a probe repairs a value, how two versions of a rule merge, and
how the learner finds it (candidates for a rejected value, the rule built from the
candidates chosen, what it costs to state). Adding a kind is one module and its test;
:mod:`harness.rules.kinds` imports it so that it registers.

The learner's part of the contract (see :mod:`harness.learn.induce`):

- :meth:`Kind.candidates` ``(stats, text)``: the candidate keys a rejected value breaks
  that no accepted value of the field breaks (``stats`` summarizes the accepted values,
  :class:`harness.rules.stats.FieldStats`). A key is a tuple starting with the kind name;
  its info carries what the parameters need from this value.
- :meth:`Kind.cost` ``(key, infos, stats)``: the bits it takes to state the rule, for the
  minimum-description-length choice among explanations; :meth:`Kind.preference` breaks
  ties (the most general first).
- :meth:`Kind.build` ``(chosen, stats)``: the parameters and evidence of the rule made
  from the chosen keys of one field (several keys of one kind on one field become one
  rule, e.g. several forbidden characters).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

from harness.errors import ConfigError
from harness.rules.stats import FieldStats

Key = tuple[Any, ...]


class Kind:
    """The base of every rule kind (see the module docstring)."""

    name: ClassVar[str] = ""
    params: ClassVar[tuple[str, ...]] = ()  # parameter names, in the order people read them
    priority: ClassVar[int] = 50  # the mock answers for the broken rule of lowest priority
    judges_absent: ClassVar[bool] = False  # True: an absent value can break the rule
    analogy: ClassVar[str] = "none"  # "shape": carried to similar fields; "name": same name
    keywords: ClassVar[tuple[str, ...]] = ()  # the x- keywords its JSON Schema writes
    limits: ClassVar[bool] = False  # its parameters are limits measured on one field's data

    # -- meaning -------------------------------------------------------------------------

    def parse(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Validated, cleaned parameters; a one-line ConfigError naming ``where`` otherwise."""
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ConfigError(f"{where}: unknown param {unknown[0]!r} for kind {self.name!r}")
        return dict(params)

    def check(self, params: Mapping[str, Any], text: str | None) -> bool:
        """True when ``text`` passes; ``None`` (absent) passes unless ``judges_absent``."""
        return True

    def compile(self, params: Mapping[str, Any]) -> Callable[[str | None], bool]:
        """:meth:`check` for one rule, prepared for many values (the mock, the schema
        checker): a kind whose check repeats work per value caches it here."""
        return partial(self.check, params)

    def offending(self, params: Mapping[str, Any], text: str) -> list[str]:
        """The characters of ``text`` that break the rule (character kinds only)."""
        return []

    def describe(self, params: Mapping[str, Any]) -> str:
        return self.name

    def schema(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """JSON Schema keywords that say what the rule says."""
        return {}

    def keyword_check(self, keyword: str, value: Any, instance: Any) -> bool:
        """Whether a JSON value (a string, number, boolean or null; never a container)
        passes the ``x-`` keyword ``keyword`` with ``value``."""
        return True

    def repair(self, params: Mapping[str, Any], text: str | None) -> str | None:
        """``text`` changed as little as possible to pass (a probe's repaired variant)."""
        return None

    def family(self, params: Mapping[str, Any]) -> Hashable:
        """Rules of one family are versions of one rule (a limit that moved)."""
        return ()

    def merge(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        """One family's parameters learned on two windows, combined."""
        return dict(new)

    def refine(
        self,
        old: Mapping[str, Any],
        old_evidence: Mapping[str, Any],
        new: Mapping[str, Any],
        new_evidence: Mapping[str, Any],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A family's rule learned again: its parameters, and the evidence that changes
        (a bound's bracket, widened by both windows)."""
        return self.merge(old, new), {}

    # -- learning ------------------------------------------------------------------------

    def clear(self, params: Mapping[str, Any], stats: FieldStats) -> bool | None:
        """True when no accepted value can break the rule, False when one does, None when
        the statistics cannot tell (the values must be checked one by one)."""
        return None

    def carry(self, params: Mapping[str, Any], stats: FieldStats) -> dict[str, Any] | None:
        """The part of the rule a target field's accepted values do not refute (analogy)."""
        return None

    def candidates(self, stats: FieldStats, text: str | None) -> Iterable[tuple[Key, Any]]:
        return ()

    def cost(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> float:
        """Bits to state the rule of candidate ``key`` built from ``infos`` (what its
        rejected values showed), for the minimum-description-length choice."""
        return 8.0

    def preference(self, key: Key, infos: Sequence[Any], stats: FieldStats) -> tuple[Any, ...]:
        """Ties between explanations of equal cost go to the lowest: the most general
        (fewest valid values refused), the tightest bracket, ..."""
        return ()

    def bounds(self, key: Key) -> bool:
        """True when the candidate is a limit on a measure (a length, bytes, an amount):
        such a limit is set only by the rejections nothing else explains. Its infos are
        then the measures of the rejected values."""
        return False

    def upper_key(self, key: Key) -> bool:
        """For a bound candidate: True for an upper limit, False for a lower one."""
        return True

    def build(
        self, chosen: Sequence[tuple[Key, list[Any]]], stats: FieldStats
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Rules (params, evidence) from the chosen keys of one field and their infos."""
        return [({}, {}) for _ in chosen[:1]]


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add (or replace) a rule kind."""
    if not kind.name:
        raise ConfigError("a rule kind needs a name")
    KINDS[kind.name] = kind
    return kind


def get(name: str) -> Kind:
    found = KINDS.get(name)
    if found is None:
        raise ConfigError(f"unknown rule kind {name!r} (known: {', '.join(sorted(KINDS))})")
    return found


def names() -> tuple[str, ...]:
    return tuple(KINDS)
