"""Child processes on 127.0.0.1: a free port, waiting until something listens, stopping.

Shared by the demo, the tests and the benchmarks, which all start real servers.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from typing import Any

from harness.errors import HarnessError


def free_port() -> int:
    """A port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int,
    *,
    timeout: float = 30.0,
    proc: subprocess.Popen[Any] | None = None,
    what: str = "the process",
) -> None:
    """Return once 127.0.0.1:``port`` accepts connections; raise if ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise HarnessError(f"{what} exited with status {proc.returncode} before listening")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise HarnessError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def stop(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
    """Signal ``proc`` (SIGTERM by default), wait, kill it if it will not go; its status."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return int(proc.returncode)
