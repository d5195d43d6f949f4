"""How a rule changes when new evidence about it is saved: one pure function per change.

The learner hands the store :class:`~harness.rules.RuleSpec` values; for each, the store
looks up what it already holds and asks :func:`fold` what to write:

- nothing stored under the rule's key, and it ``replaces`` nothing stored: a **new** rule;
- the same key stored: the evidence is **merged** (:func:`merge`: per-day counts take the
  larger of the two for each day, so learning one day twice counts it once; totals are
  their sums; id samples are united; first and last seen widen; probes add up);
- the rule ``replaces`` a stored one (the same rule family with new parameters: a moved
  bound, a wider character set): the stored rule is **refined** in place: it takes the new
  parameters and key, keeps its id, merges the evidence and records its old parameters in
  ``history``.

In every case the state is decided again from the merged evidence
(:func:`harness.rules.policy.decide_state`) unless a manual decision was recorded (the last
one stands). An analogy rule's ``origin`` (the key of the rule it was carried from) is kept
in its evidence as ``derived_from_key``, the provenance exports and reports show; the store
resolves it to ``derived_from`` (an id) once the origin is saved.

:func:`fold` returns a :class:`Change`: the rule as it must be stored and which stored rule
it overwrites. The store only persists it (:func:`harness.store.rules.save_rules`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from harness.rules.model import RuleSpec
from harness.rules.policy import DEFAULT_CONFIRM, confidence, decide_state
from harness.timeutil import instant

SAMPLE = 20  # exchange ids kept per list in a rule's evidence, and history entries kept

Action = Literal["new", "merged", "refined"]


@dataclass(frozen=True)
class Change:
    """What saving one rule does: ``spec`` as it must be stored, ``action``, and the key of
    the stored rule it overwrites (``None`` for a new rule; the old key when refined)."""

    spec: RuleSpec
    action: Action
    overwrites: str | None = None
    origin: str | None = None  # the key of the rule it was carried from, to resolve to an id


def fold(spec: RuleSpec, same: RuleSpec | None, replaced: RuleSpec | None, now: datetime) -> Change:
    """What saving ``spec`` does, given the stored rule with its key (``same``) and the one
    it ``replaces`` (``replaced``), either of which may be absent."""
    origin = spec.origin
    if origin:
        spec = spec.but(evidence={**spec.evidence, "derived_from_key": origin})
    spec = spec.but(replaces=None, origin=None)
    if same is not None:
        return Change(merge(same, spec), "merged", same.key, origin)
    if replaced is not None:
        history = [
            *(replaced.evidence.get("history") or []),
            {"params": replaced.params, "until": now.isoformat()},
        ]
        merged = merge(replaced, spec).but(params=dict(spec.params))
        merged = merged.but(evidence={**merged.evidence, "history": history[-SAMPLE:]})
        return Change(merged, "refined", replaced.key, origin)
    return Change(spec, "new", None, origin)


def merge(old: RuleSpec, new: RuleSpec) -> RuleSpec:
    """Fold ``new`` evidence about a stored rule into ``old`` (see the module docstring)."""
    ev_old, ev_new = old.evidence or {}, new.evidence or {}
    evidence: dict[str, Any] = {**ev_old, **ev_new}
    if "days" in ev_old or "days" in ev_new:
        evidence["days"] = _merge_days(ev_old.get("days") or {}, ev_new.get("days") or {})
        support = sum(d["support"] for d in evidence["days"].values())
        contradict = sum(d["contradict"] for d in evidence["days"].values())
    else:
        support, contradict = new.support, new.contradict
    for name in ("support_ids", "contradict_ids"):
        if name in ev_old or name in ev_new:
            evidence[name] = _union_ids(ev_old.get(name) or [], ev_new.get(name) or [])
    manual = [*(ev_old.get("manual") or [])]
    manual += [m for m in ev_new.get("manual") or [] if m not in manual]
    if manual:
        evidence["manual"] = manual
    probe_old, probe_new = ev_old.get("probe"), ev_new.get("probe")
    if probe_old and probe_new:
        total = int(probe_old.get("spent_total", probe_old.get("spent", 0)))
        evidence["probe"] = {**probe_new, "spent_total": total + int(probe_new.get("spent", 0))}
    elif probe_old:
        evidence["probe"] = probe_old
    firsts = [
        t for t in (instant(ev_old.get("first_seen")), instant(ev_new.get("first_seen"))) if t
    ]
    lasts = [t for t in (instant(ev_old.get("last_seen")), instant(ev_new.get("last_seen"))) if t]
    if firsts:
        evidence["first_seen"] = min(firsts).isoformat()
    if lasts:
        evidence["last_seen"] = max(lasts).isoformat()
    probe = evidence.get("probe") or {}
    probed = probe.get("confirmed") if probe else None
    state = decide_state(
        support,
        contradict,
        need=int(evidence.get("confirm_at") or DEFAULT_CONFIRM),
        probed=probed,
        manual=manual[-1]["state"] if manual else None,
    )
    conf = confidence(
        support,
        contradict,
        probed=probed,
        prior=float(evidence.get("prior", max(old.confidence, new.confidence))),
    )
    return old.but(
        code=new.code or old.code,
        message=new.message or old.message,
        source=_merge_source(old.source, new.source),
        state=state,
        confidence=conf,
        support=support,
        contradict=contradict,
        evidence=evidence,
        derived_from=new.derived_from if new.derived_from is not None else old.derived_from,
    )


def _union_ids(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    seen = dict.fromkeys([*a, *b])
    return sorted(seen, key=lambda v: (str(type(v)), v))[-SAMPLE:]


def _merge_days(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, int]]:
    days: dict[str, dict[str, int]] = {}
    for day in sorted(set(a) | set(b)):
        x, y = a.get(day) or {}, b.get(day) or {}
        days[day] = {
            "support": max(int(x.get("support", 0)), int(y.get("support", 0))),
            "contradict": max(int(x.get("contradict", 0)), int(y.get("contradict", 0))),
        }
    return days


def _merge_source(a: str, b: str) -> str:
    for source in ("manual", "learned"):
        if source in (a, b):
            return source
    return b
