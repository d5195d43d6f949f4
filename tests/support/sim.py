"""The simulated bank for tests: a real ``harness sim serve`` process, and its traffic.

with sim_server("prod") as url:            # http://127.0.0.1:<free port>
    summary = run_traffic(url, count=200)  # in-process, aiohttp client

requests = traffic(200)                    # the same requests, not sent
expected_outcome(requests[0], "staging")   # ground truth from the bank file
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from harness.sim.client import Summary, send
from harness.sim.gateway import Outcome
from harness.sim.traffic import SimRequest, expected_outcome, expected_outcome_for, generate
from tests.support.procs import HARNESS, free_port, running, stop

DAY = "2026-11-24"
SEED = 7

__all__ = [
    "DAY",
    "SEED",
    "Outcome",
    "SimRequest",
    "expected_outcome",
    "expected_outcome_for",
    "run_traffic",
    "sim_server",
    "traffic",
]


@contextlib.contextmanager
def sim_server(
    role: str = "prod",
    *,
    port: int | None = None,
    bank: str | Path | None = None,
    verify_signature: bool = False,
    sign_key: str | None = None,
    error_rate: float | None = None,
    seed: int | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run ``harness sim serve --role ROLE`` on a free port; yield its base URL; stop it after."""
    port = port or free_port()
    args = [HARNESS, "sim", "serve", "--role", role, "--port", str(port)]
    if bank is not None:
        args += ["--bank", str(bank)]
    if verify_signature:
        args.append("--verify-signature")
    if sign_key is not None:
        args += ["--sign-key", sign_key]
    if error_rate is not None:
        args += ["--error-rate", str(error_rate)]
    if seed is not None:
        args += ["--seed", str(seed)]
    with running(args, port=port, env=env) as proc:
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)
            if proc.stdout is not None:
                proc.stdout.close()


def traffic(count: int = 200, day: str = DAY, seed: int = SEED, **options) -> list[SimRequest]:
    """Generated requests (not sent); options go to :func:`harness.sim.traffic.generate`."""
    return generate(count, day, seed, **options)


def run_traffic(
    url: str,
    count: int = 200,
    day: str = DAY,
    seed: int = SEED,
    concurrency: int = 16,
    key: str | None = None,
    flaw_rate: float = 0.05,
) -> Summary:
    """Generate ``count`` requests and send them to ``url`` in this process."""
    return send(generate(count, day, seed, key=key, flaw_rate=flaw_rate), url, concurrency)
