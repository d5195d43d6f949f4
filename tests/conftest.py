"""Fixtures shared by the whole suite. Module-specific fixtures live in their test files."""

from __future__ import annotations

import functools
import inspect
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("HARNESS_TEST_PG_URL")

# The sanitization key's default home is ~/.config/harness/key: a test (or a process it
# starts) that needs a key and names none must not create one in the real home.
if "XDG_CONFIG_HOME" not in os.environ:
    import tempfile

    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="harness-test-config-")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'harness.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for one test; skipped when no server URL is given."""
    if not PG_URL:
        pytest.skip("no PostgreSQL: set HARNESS_TEST_PG_URL (.ci/run does)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, pool_pre_ping=True)  # survives a server restart (test_faults)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Every store test runs against a SQLite file and a real PostgreSQL server."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    """A migrated store (session factory) on SQLite and PostgreSQL; disposed after the test."""
    from harness.store import open_store

    factory = open_store(db_url)
    yield factory
    factory.kw["bind"].dispose()


# --- process tests ------------------------------------------------------------------------
# A test that starts a process (the harness command, a server, the proxy, a browser) is
# marked ``process`` at collection, from its source, its fixtures' and the module helpers it
# calls; ``make test-fast`` runs the others (HARNESS_TEST_FAST=1 -m "not process"), and there
# a test that starts a process anyway fails, so a new test cannot slip into the fast run.

PROCESS_HINTS = re.compile(
    r"\bsubprocess\.|\bHARNESS\b|\brunning\(|\bPopen\(|sync_playwright|multiprocessing"
    r"|\brun_demo\(|\bProcesses\(|\bprocesses\("
)


TESTS = os.path.dirname(os.path.abspath(__file__))


@functools.cache
def _ours(obj: object) -> bool:
    """Defined in a file under tests/ (test modules are imported by their file name)."""
    try:
        return (inspect.getsourcefile(inspect.unwrap(obj)) or "").startswith(TESTS)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@functools.cache
def _source(obj: object) -> str:
    try:
        return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""


def _starts_processes(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    todo = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in info.name2fixturedefs.values() if info else ():
        todo += [
            d.func for d in defs if _ours(d.func) and d.argname != "_no_process_in_the_fast_run"
        ]
    seen: set[int] = set()
    while todo:
        obj = todo.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        text = _source(obj)
        if PROCESS_HINTS.search(text):
            return True
        home = sys.modules.get(getattr(obj, "__module__", "") or "")
        for name in set(re.findall(r"\b([A-Za-z_]\w*)\(", text)):
            for where in (home, module):
                helper = getattr(where, name, None) if where is not None else None
                if inspect.isfunction(helper) and _ours(helper):
                    todo.append(helper)
            todo += _HELPERS.get(name, [])  # imported inside a function
    return False


_HELPERS: dict[str, list[object]] = {}


def _find_helpers() -> dict[str, list[object]]:
    """Functions of the loaded modules under tests/, by name."""
    out: dict[str, list[object]] = {}
    for mod in list(sys.modules.values()):
        if not (getattr(mod, "__file__", None) or "").startswith(TESTS):
            continue
        for name, value in vars(mod).items():
            if inspect.isfunction(value) and _ours(value):
                out.setdefault(name, []).append(value)
    return out


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _HELPERS.clear()
    _HELPERS.update(_find_helpers())
    for item in items:
        if item.get_closest_marker("process") is None and _starts_processes(item):
            item.add_marker(pytest.mark.process)


@pytest.fixture(autouse=True)
def _no_process_in_the_fast_run(request: pytest.FixtureRequest, monkeypatch) -> None:
    if not os.environ.get("HARNESS_TEST_FAST") or request.node.get_closest_marker("process"):
        return

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail(f"{request.node.nodeid} starts a process: mark it @pytest.mark.process")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
