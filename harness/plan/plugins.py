"""What a gateway plan adds to the registries: character sets, formats, checksums, rule
kinds and encodings its bank uses and the harness does not ship.

Two plan keys (docs/plans.md)::

    charsets:                      # named allow-lists written in the plan itself
      bank_name:
        title: the characters Bank X allows in names
        chars: "-.,()/ "           # these characters ...
        classes: [ascii_upper, ascii_digit, fullwidth_form]   # ... these classes ...
        sets: [jis_x0208]          # ... and the members of these named sets
        script: ja                 # the writing it is made for (ja, zh, latin; optional)
    plugins:                       # code: 'package.module:factory' or an entry point name
      - mybank.harness:extensions  # (group 'harness.plan.plugins')

A factory is called without arguments and returns an iterable of registry entries, each
registered by its type: :class:`harness.text.charsets.Charset`, :class:`harness.text.formats.Format`,
:class:`harness.text.checksums.Checksum`, a :class:`harness.rules.registry.Kind` instance, or a
:class:`codecs.CodecInfo` (an encoding for ``max_bytes`` and ``encoding:NAME`` sets). An entry
with a built-in name replaces the built-in.

:func:`install` runs when a plan is loaded (:func:`harness.plan.load_plan`), so every
command that takes ``--plan`` (learn, mock, export, replay, the proxy) sees the same
registries. The sanitizer keeps the built-in sets' membership when it swaps characters; a
plan set made of classes and built-in sets is kept exactly, one listing single characters
may see them swapped for others of their class, which can only hide such a rule, never
invent one.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from typing import Any

from harness.errors import PlanError
from harness.plan.entrypoints import load_factory
from harness.rules.registry import Kind, register
from harness.text import charclass, charsets, checksums, formats

ENTRY_POINT_GROUP = "harness.plan.plugins"
_SET_KEYS = {"title", "chars", "classes", "sets", "script", "size"}


def install(plugins: Iterable[str], sets: Mapping[str, Any]) -> list[str]:
    """Register a plan's character sets and its plug-ins' entries; returns what was added
    (``"charset bank_name"``, ...). PlanError, in one line, for anything that does not load."""
    added = [f"charset {register_set(name, spec).name}" for name, spec in sets.items()]
    for spec in plugins:
        for entry in _entries(spec):
            added.append(_register(entry, spec))
    return added


def register_set(name: str, spec: Any) -> charsets.Charset:
    """A plan's ``charsets.NAME`` entry as a registered :class:`~harness.text.charsets.Charset`."""
    where = f"plan charset {name!r}"
    if not isinstance(spec, Mapping):
        raise PlanError(f"{where} must be a mapping (title, chars, classes, sets, script)")
    unknown = sorted(set(spec) - _SET_KEYS)
    if unknown:
        raise PlanError(f"{where} has unknown key {unknown[0]!r}")
    chars = frozenset(str(spec.get("chars") or ""))
    classes = frozenset(_strings(spec.get("classes"), f"{where}: classes"))
    for cls in sorted(classes - set(charclass.CLASS_NAMES)):
        raise PlanError(f"{where}: unknown character class {cls!r}")
    members = []
    for set_name in _strings(spec.get("sets"), f"{where}: sets"):
        try:
            members.append(charsets.get(set_name))
        except Exception:
            raise PlanError(f"{where}: unknown character set {set_name!r}") from None
    if not (chars or classes or members):
        raise PlanError(f"{where} names no characters (chars, classes or sets)")

    def contains(ch: str) -> bool:
        return (
            ch in chars
            or not classes.isdisjoint(charclass.classes(ch))
            or any(s.contains(ch) for s in members)
        )

    size = spec.get("size")
    if size is None:
        size = sum(1 for cp in range(0x10000) if contains(chr(cp)))  # the BMP's members
    charset = charsets.Charset(
        str(name),
        str(spec.get("title") or f"the {name} character set"),
        contains,
        int(size),
        str(spec.get("script") or ""),
    )
    charsets.register(charset)
    return charset


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise PlanError(f"{where} must be a list of names")


def _entries(spec: str) -> list[Any]:
    factory = load_factory(spec, ENTRY_POINT_GROUP, "plug-in", PlanError)
    try:
        made = factory()
        entries = list(made if isinstance(made, Iterable) else [made])
    except Exception as exc:
        raise PlanError(f"plug-in {spec!r} failed: {type(exc).__name__}: {exc}") from None
    return entries


def _register(entry: Any, spec: str) -> str:
    if isinstance(entry, charsets.Charset):
        charsets.register(entry)
        return f"charset {entry.name}"
    if isinstance(entry, formats.Format):
        formats.register(entry)
        return f"format {entry.name}"
    if isinstance(entry, checksums.Checksum):
        checksums.register(entry)
        return f"checksum {entry.name}"
    if isinstance(entry, Kind):
        register(entry)
        return f"kind {entry.name}"
    if isinstance(entry, codecs.CodecInfo) and entry.name:
        name = entry.name
        codecs.register(lambda wanted: entry if wanted == name else None)
        return f"encoding {name}"
    raise PlanError(
        f"plug-in {spec!r} returned a {type(entry).__name__}: want a Charset, Format, "
        "Checksum, Kind or codecs.CodecInfo"
    )
