"""The shared vocabulary: the closed sets of words the store, the CLI and every stage use.

Each word set is a :data:`typing.Literal` type (for signatures: mypy then refuses a word
outside the set) with the tuple of its values derived from it (for run-time checks and
messages: ``if x not in OUTCOMES``). One definition each; nothing else spells the sets out.

- :data:`ExchangeOutcome` / :data:`OUTCOMES`: what a gateway's answer means
  (:mod:`harness.outcome.classify`); the ``exchanges.outcome`` and ``replay_results``
  outcome columns.
- :data:`RunKind` / :data:`RUN_KINDS`: what started a replay run (``replay_runs.kind``):
  ``harness replay``, the live shadow of the capture, or the learner's prober.
- :data:`RunState` / :data:`RUN_STATES`: where a replay run is (``replay_runs.state``).
- :data:`ReplayVerdict` / :data:`VERDICTS`: what a target's answer to a replayed exchange
  says about production's (:mod:`harness.outcome.verdicts` tells them apart and documents
  each).
- :data:`RuleState` / :data:`RULE_STATES` and :data:`RuleSource` / :data:`RULE_SOURCES`:
  a rule's standing and where it came from (:class:`harness.rules.RuleSpec`, the ``rules``
  table).

A rule's *kind* is not here: kinds are a registry that plug-ins extend
(:mod:`harness.rules.registry`), not a closed set.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "OUTCOMES",
    "RULE_SOURCES",
    "RULE_STATES",
    "RUN_KINDS",
    "RUN_STATES",
    "VERDICTS",
    "ExchangeOutcome",
    "ReplayVerdict",
    "RuleSource",
    "RuleState",
    "RunKind",
    "RunState",
]

ExchangeOutcome = Literal["accepted", "rejected", "upstream_error"]
OUTCOMES: tuple[ExchangeOutcome, ...] = get_args(ExchangeOutcome)

RunKind = Literal["replay", "shadow", "probe"]
RUN_KINDS: tuple[RunKind, ...] = get_args(RunKind)

RunState = Literal["running", "done", "failed"]
RUN_STATES: tuple[RunState, ...] = get_args(RunState)

ReplayVerdict = Literal[
    # a target that runs the service (staging)
    "production_only",
    "reproducible",
    "different_rejection",
    "consistent",
    "target_only",
    "target_error",
    # a target that imitates production (the mock, a probe target)
    "mock_agrees",
    "mock_disagrees",
]
VERDICTS: tuple[ReplayVerdict, ...] = get_args(ReplayVerdict)

RuleState = Literal["suspected", "confirmed", "retired"]
RULE_STATES: tuple[RuleState, ...] = get_args(RuleState)

RuleSource = Literal["learned", "analogy", "manual"]
RULE_SOURCES: tuple[RuleSource, ...] = get_args(RuleSource)
