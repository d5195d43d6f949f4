"""Real processes on 127.0.0.1 for tests: free ports, start, wait, stop."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from harness.procs import free_port, stop, wait_for_port

__all__ = ["BIN", "HARNESS", "free_port", "running", "stop", "wait_for_port"]

BIN = Path(sys.executable).parent
HARNESS = str(BIN / "harness")


@contextlib.contextmanager
def running(
    args: Sequence[str],
    port: int | None = None,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Iterator[subprocess.Popen]:
    """Start a process (stdout+stderr captured as text), wait for its port, stop it after."""
    proc = subprocess.Popen(
        list(args),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    try:
        if port is not None:
            wait_for_port(port, timeout=15.0, proc=proc)
        yield proc
    finally:
        stop(proc)
