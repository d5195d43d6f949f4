"""The main job on the embedded default, the simulated bank: what `make demo` runs.

It starts the simulated production gateway and its lax staging twin, the capture proxy in
front of production, sends a day of traffic through the proxy, then runs every later stage:
replay of the day's rejections against staging, learning, export, the mock gateway (and a
replay against it), and the incident report. Every server is a real process on 127.0.0.1
on a free port; all of them are stopped on exit, on error and on Ctrl-C.

The library never prints: each stage reports to a ``Notify`` callback; the CLI renders.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.app.jobs import export_rules, incident_report, learn_window
from harness.errors import ConfigError, HarnessError
from harness.plan import load_plan
from harness.procs import free_port, stop, wait_for_port
from harness.replay import Selection, Settings, replay
from harness.sanitize import load_key
from harness.sim.client import send
from harness.sim.signature import DEMO_KEY, KEY_ENV
from harness.sim.traffic import generate
from harness.store import opened
from harness.store.queries import ExchangeFilter, stats
from harness.timeutil import utcnow
from harness.timeutil import window as parse_window

Notify = Callable[[str, dict[str, Any]], None]
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the checkout: harness/app/demo.py


@dataclass
class DemoConfig:
    """What the demo runs; everything it writes goes under ``out`` (its store included)."""

    out: Path = Path("harness-out")
    plan: Path | None = None  # default: replays/simbank.yaml
    count: int = 3000
    day: str = "2026-11-24"
    seed: int = 7
    concurrency: int = 16

    @property
    def db(self) -> Path:
        """The demo's own store: never ./harness.db, the default of every other command."""
        return self.out / "demo.db"


@dataclass
class DemoResult:
    files: dict[str, Path] = field(default_factory=dict)
    stages: dict[str, Any] = field(default_factory=dict)


def default_plan_path() -> Path:
    for candidate in (Path("replays/simbank.yaml"), PACKAGE_ROOT / "replays" / "simbank.yaml"):
        if candidate.is_file():
            return candidate
    raise ConfigError("cannot find replays/simbank.yaml: run the demo from the repository root")


class Processes:
    """Child processes of the demo; all stopped on exit (SIGTERM, then SIGKILL)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, what: str, args: list[str], port: int, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{what}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        log.close()
        self.procs.append((what, proc))
        wait_for_port(port, proc=proc, what=what)
        return proc

    def stop_all(self) -> None:
        for _, proc in reversed(self.procs):
            stop(proc, timeout=15)


@contextlib.contextmanager
def processes(log_dir: Path) -> Iterator[Processes]:
    procs = Processes(log_dir)
    try:
        yield procs
    finally:
        procs.stop_all()


def _remove_store(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{db}{suffix}").unlink()
    with contextlib.suppress(FileNotFoundError):
        db.with_suffix(".spool").unlink()


def write_demo_plan(source: Path, dest: Path, prod: str, targets: dict[str, str]) -> Path:
    """The simbank plan with this run's ports: production upstream and replay targets."""
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    data["upstream"] = prod
    data["targets"] = targets
    data["probe"] = [name for name in data.get("probe", []) if name in targets]
    dest.write_text(
        "# Written by `harness demo` for this run's ports; the source is "
        f"{source}.\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return dest


def run_demo(cfg: DemoConfig, notify: Notify) -> DemoResult:
    """Run every stage on the simulated bank; ``notify(stage, facts)`` after each."""
    source = cfg.plan or default_plan_path()
    load_plan(source)  # a broken plan stops the demo before anything starts
    cfg.out.mkdir(parents=True, exist_ok=True)
    logs = cfg.out / "logs"
    logs.mkdir(exist_ok=True)
    _remove_store(cfg.db)
    result = DemoResult()
    # The simulated bank's signing key: the servers verify with it, the traffic generator
    # signs with it, and replay and probing re-sign sanitized bodies with it.
    os.environ.setdefault(KEY_ENV, DEMO_KEY)
    sign_env = {KEY_ENV: os.environ[KEY_ENV]}
    ports = {name: free_port() for name in ("prod", "staging", "preprod", "proxy", "mock")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    plan_path = write_demo_plan(
        source,
        cfg.out / "simbank.demo.yaml",
        url["prod"],
        {name: url[name] for name in ("staging", "mock", "preprod")},
    )
    plan = load_plan(plan_path)
    result.files["plan"] = plan_path

    with processes(logs) as procs:
        # preprod: a validating pre-production environment (production's rules, not
        # production), which the learner may probe to confirm rules.
        for name, role in (("prod", "prod"), ("staging", "staging"), ("preprod", "prod")):
            procs.start(
                f"sim-{name}",
                ["sim", "serve", "--role", role, "--port", str(ports[name]), "--verify-signature"],
                ports[name],
                env=sign_env,
            )
        proxy = procs.start(
            "proxy",
            [
                "proxy",
                "--upstream",
                url["prod"],
                "--listen-port",
                str(ports["proxy"]),
                "--db",
                str(cfg.db),
                "--plan",
                str(plan_path),
            ],
            ports["proxy"],
            # The sanitizer's key: the demo's own, under --out, never ./.harness.key.
            env={"HARNESS_KEY": load_key(cfg.out / "demo.key").hex()},
        )
        notify("servers", {"urls": url, "logs": logs})

        requests = generate(cfg.count, cfg.day, cfg.seed, key=sign_env[KEY_ENV])
        notify("traffic-start", {"count": len(requests), "day": cfg.day})
        sent = send(
            requests,
            url["proxy"],
            cfg.concurrency,
            progress=lambda n: notify("traffic-progress", {"n": n}),
        )
        status = stop(proxy)
        if status != 0:
            raise HarnessError(
                f"the capture proxy exited with status {status}; see {logs / 'proxy.log'}"
            )
        with opened(str(cfg.db)) as factory:
            result.stages["traffic"] = sent
            window = parse_window(cfg.day)
            notify("captured", {"sent": sent, "stats": _stats(factory, window)})

            replayed = _replay(factory, plan, {"staging": url["staging"]}, window, sign_env)
            notify("replayed", {"target": "staging", **replayed})

            learned = learn_window(factory, plan, start=window[0], end=window[1])
            notify("learned", {"learned": learned})

            exports = (
                ("jsonschema", "rules.schema.json"),
                ("yaml", "rules.yaml"),
                ("openapi", "openapi.json"),
                ("markdown", "checklist.md"),
            )
            for fmt, name in exports:
                text, _ = export_rules(factory, plan, fmt)
                result.files[fmt] = _write(cfg.out / name, text)
            notify("exported", {"files": {fmt: result.files[fmt] for fmt, _ in exports}})

            procs.start(
                "mock",
                [
                    "mock",
                    "--db",
                    str(cfg.db),
                    "--plan",
                    str(plan_path),
                    "--port",
                    str(ports["mock"]),
                ],
                ports["mock"],
            )
            mocked = _replay(factory, plan, {"mock": url["mock"]}, window, sign_env)
            notify("replayed", {"target": "mock", **mocked})

            for fmt, name in (
                ("markdown", "report.md"),
                ("html", "report.html"),
                ("notice", "notice.md"),
            ):
                text = incident_report(
                    factory,
                    plan,
                    day=cfg.day,
                    start=window[0],
                    end=window[1],
                    fmt=fmt,
                    generated_at=utcnow(),
                )
                result.files[f"report-{fmt}"] = _write(cfg.out / name, text)
            result.files["store"] = cfg.db
            notify("reported", {"files": result.files})
    return result


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _stats(factory: Any, window: tuple[Any, Any]) -> list[Any]:
    with factory.begin() as session:
        return list(stats(session, ExchangeFilter(start=window[0], end=window[1])))


def _replay(
    factory: Any, plan: Any, targets: dict[str, str], window: tuple[Any, Any], env: dict[str, str]
) -> dict[str, Any]:
    report = replay(
        factory,
        targets,
        plan=plan,
        selection=Selection(start=window[0], end=window[1], outcome="rejected", limit=100_000),
        settings=Settings(concurrency=32),
        environ={**os.environ, **env},
    )
    return {"run_id": report.run_id, "summary": report.summary}
