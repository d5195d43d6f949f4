"""Per target of a run: its signer, the headers it gets afresh, its TLS context.

Built once per run from resolved targets (:mod:`harness.targets`), before anything is
sent: a signer without its key or a TLS file that does not serve stops the run here.
Shared by replay, the live shadow and the prober.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass

from harness.plan import Plan
from harness.targets.resolve import Target
from harness.targets.signers import Signer, fresh_headers, load_signer

__all__ = ["Sending"]


@dataclass(frozen=True)
class Sending:
    """Signer, fresh headers (the plan signer's, then the target's own) and TLS by target."""

    signers: dict[str, Signer]
    fresh: dict[str, dict[str, str]]
    ssl: dict[str, ssl.SSLContext | None]

    @classmethod
    def of(
        cls, targets: Mapping[str, Target], plan: Plan, environ: Mapping[str, str] | None = None
    ) -> Sending:
        signers: dict[str, Signer] = {}
        fresh: dict[str, dict[str, str]] = {}
        contexts: dict[str, ssl.SSLContext | None] = {}
        for name, target in targets.items():
            spec = target.signer_spec(plan)
            signers[name] = load_signer(spec, environ)
            fresh[name] = {**fresh_headers(spec, environ), **target.headers}
            contexts[name] = target.ssl_context()
        return cls(signers, fresh, contexts)
