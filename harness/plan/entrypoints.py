"""Code a plan names: ``package.module:factory``, or an installed entry point by name.

Signers (``signer.kind``) and registry plug-ins (``plugins``) are named this way; both
resolve through :func:`load_factory`, which turns every failure into one line.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, cast


def load_factory(
    spec: str, group: str, noun: str, error: Callable[[str], Exception]
) -> Callable[..., Any]:
    """The callable ``spec`` names (``module:attr``, or an entry point of ``group``); raises
    ``error(message)`` naming the ``noun`` ("signer", "plug-in") when there is none."""
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise error(f"cannot import {noun} module {module_name!r}") from None
        factory = getattr(module, attr, None)
        if not callable(factory):
            raise error(f"{noun} module {module_name!r} has no callable {attr!r}")
        return cast(Callable[..., Any], factory)
    for ep in entry_points(group=group):
        if ep.name == spec:
            try:
                loaded = ep.load()
            except Exception as exc:
                raise error(f"cannot load {noun} {spec!r}: {type(exc).__name__}") from None
            if not callable(loaded):
                raise error(f"{noun} {spec!r} is not callable")
            return cast(Callable[..., Any], loaded)
    raise error(
        f"unknown {noun} {spec!r}: use a 'module:factory' path or an entry point in group {group!r}"
    )
