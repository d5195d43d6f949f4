"""Every shell block of README.md runs as written against the simulated bank.

The blocks run in order in one bash session, in a scratch directory laid out like a clone
(the Makefile, pyproject.toml, replays/, addons/ and the installed .venv), the way a reader
pastes them into a terminal. A block whose first line says it runs "in another terminal"
starts a server: it is started in the background and the session waits for its port; every
server is stopped at the end. After a block sends traffic through the capture proxy, the
session waits until the store holds it, as a reader would look a moment later (the proxy
hands exchanges to an ingest process that stores them in batches). The README's fixed ports (those of replays/simbank.yaml) are
swapped for free ones, in the blocks and in the plan alike: tests never bind fixed ports.
Nothing else of a block is changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.procs import free_port

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
SERVER = "# In another terminal"
PORTS = (18080, 18081, 18082, 18083, 8080, 8081)  # replays/simbank.yaml's and the README's
PORT_OPTION = re.compile(r"--(?:listen-)?port[ =](\d+)")

pytestmark = pytest.mark.slow


def blocks(text: str) -> list[str]:
    return [b.strip("\n") for b in BLOCK.findall(text)]


def test_readme_has_blocks_of_each_kind():
    found = blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(found) >= 10
    servers = [b for b in found if b.startswith(SERVER)]
    assert len(servers) >= 5 and all(PORT_OPTION.search(b) for b in servers)
    text = "\n".join(found)
    assert "SIMBANK_HMAC_KEY=" in text and "replays/simbank.yaml" in text
    assert (ROOT / "replays" / "simbank.yaml").is_file()
    mitm = next(b for b in found if "mitmdump -" in b)
    assert "--listen-host 127.0.0.1" in mitm and " -q " in mitm


def _swap_ports(text: str, ports: dict[int, int]) -> str:
    return re.sub(
        r"(?<![\d-])(" + "|".join(map(str, ports)) + r")(?!\d)",
        lambda m: str(ports[int(m[1])]),
        text,
    )


TRAFFIC = re.compile(r"sim traffic --through \S+ --count (\d+)")
COUNT = (
    "import sqlite3, sys; print(sqlite3.connect(sys.argv[1])"
    ".execute('select count(*) from exchanges').fetchone()[0])"
)


def _script(found: list[str], ports: dict[int, int], work: Path) -> str:
    python = ROOT / ".venv" / "bin" / "python"
    lines = [
        "set -euo pipefail",
        f'stored() {{ "{python}" -c "{COUNT}" "$1" 2>/dev/null || echo 0; }}',
        'wait_rows() { for _ in $(seq 600); do [ "$(stored "$1")" -ge "$2" ] && return 0; '
        'sleep 0.2; done; echo "the store $1 holds $(stored "$1") of $2" >&2; return 1; }',
        'wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null '
        '&& return 0; sleep 0.2; done; echo "nothing listens on $1" >&2; return 1; }',
    ]
    for i, block in enumerate(found):
        block = _swap_ports(block, ports)
        lines.append(f"echo '### README block {i + 1}' >&2")
        if block.startswith(SERVER):
            body = [line for line in block.splitlines() if not line.startswith("#")]
            server = work / f"server-{i + 1}.sh"
            server.write_text("exec " + "\n".join(body) + "\n")
            lines.append(f"bash {server.name} > server-{i + 1}.log 2>&1 & echo $! >> servers.pid")
            lines.append(f"wait_port {PORT_OPTION.search(block)[1]}")
        else:
            # `make test` is this suite: the README names it, the suite does not run itself.
            block = "\n".join(x for x in block.splitlines() if not x.startswith("make test"))
            lines.append(block)
            sent = TRAFFIC.search(block)
            if sent and "--db harness.db" in "\n".join(found):
                lines.append(f"wait_rows harness.db {sent[1]}")
    return "\n".join(lines) + "\n"


def _stop_servers(work: Path) -> list[str]:
    """Stop every server the README started; returns the logs of those that had died."""
    pids = (work / "servers.pid").read_text().split() if (work / "servers.pid").exists() else []
    dead = []
    for pid in pids:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.append(pid)
            continue
        os.kill(int(pid), signal.SIGTERM)
    for pid in pids:
        for _ in range(150):
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                break
            subprocess.run(["sleep", "0.1"], check=False)
        else:
            os.kill(int(pid), signal.SIGKILL)
    return dead


def test_every_readme_block_runs_as_written(tmp_path):
    found = blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    # The clone shares this checkout's .venv: bring it up to date here, as `make test` does,
    # so that `make demo` in the clone finds it installed.
    subprocess.run(["make", "-s", "-C", str(ROOT), ".venv/.installed"], check=True, timeout=600)
    ports = {p: free_port() for p in PORTS}
    work = tmp_path / "clone"
    work.mkdir()
    for name in ("Makefile", "pyproject.toml", ".venv", "addons", "harness"):
        (work / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "replays", work / "replays")
    plan = work / "replays" / "simbank.yaml"
    plan.write_text(_swap_ports(plan.read_text(encoding="utf-8"), ports), encoding="utf-8")
    script = work / "readme.sh"
    script.write_text(_script(found, ports, work))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HARNESS_", "VIRTUAL_ENV", "SIMBANK_"))
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    env["COLUMNS"] = "100"
    try:
        done = subprocess.run(
            ["bash", str(script)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
        )
    finally:
        dead = _stop_servers(work)
    last = re.findall(r"### README block (\d+)", done.stderr)
    assert done.returncode == 0, (
        f"README block {last[-1] if last else '?'} failed:\n{done.stderr[-3000:]}"
    )
    assert dead == [], [p.read_text()[-1000:] for p in sorted(work.glob("server-*.log"))]
    assert len(last) == len(found)
    for name in ("report.html", "notice.md", "rules.yaml", "checklist.md"):
        assert (work / name).stat().st_size > 0, name
    assert json.loads((work / "openapi.json").read_text())["openapi"] == "3.1.0"
    assert (work / "harness-out" / "report.html").exists() and (work / "harness.db").exists()
