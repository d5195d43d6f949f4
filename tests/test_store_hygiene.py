"""Store hygiene: private files, keys others can read, unknown schemas, hidden parameters."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from harness.capture.spool import Spool, fallback_spool_path, private_dir
from harness.errors import ConfigError, StoreError
from harness.sanitize import load_key
from harness.store import make_engine, migrate, open_store
from harness.store.models import Exchange
from tests.support.procs import HARNESS, free_port

CANARY = "张三丰-13912345678"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _row(**extra) -> dict:
    from datetime import UTC, datetime

    return {
        "ts": datetime.now(UTC),
        "method": "POST",
        "host": "h",
        "path": "/",
        "endpoint": "POST /",
        "outcome": "accepted",
        "message": CANARY,
        **extra,
    }


def test_a_new_sqlite_store_and_its_wal_are_private(tmp_path):
    db = tmp_path / "h.db"
    engine = make_engine(str(db))
    try:
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(insert(Exchange.__table__), [_row()])
        conn = engine.connect()  # an open connection keeps the WAL and SHM files around
        try:
            conn.execute(text("SELECT count(*) FROM exchanges")).scalar()
            files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            conn.close()
    finally:
        engine.dispose()


def test_an_existing_store_open_to_others_is_tightened(tmp_path):
    db = tmp_path / "h.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    make_engine(str(db)).dispose()
    assert mode(db) == 0o600


def test_spools_and_the_fallback_directory_are_private(tmp_path):
    spool = Spool(tmp_path / "h.spool")
    spool.append([_row(message="x")])
    assert mode(spool.path) == 0o600
    fallback = fallback_spool_path(spool.path)
    assert fallback.parent.name == f"harness-{os.getuid()}"
    assert fallback != fallback_spool_path(tmp_path / "other" / "h.spool")  # never shared
    private_dir(tmp_path / "priv")
    assert mode(tmp_path / "priv") == 0o700


def test_a_key_file_is_created_private_and_one_open_to_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_KEY", raising=False)
    key = tmp_path / ".harness.key"
    assert len(load_key(key)) == 32 and mode(key) == 0o600
    os.chmod(key, 0o644)
    with pytest.raises(ConfigError, match="open to other users") as info:
        load_key(key)
    assert "\n" not in str(info.value) and key.read_text().strip() not in str(info.value)


def test_the_proxy_refuses_a_readable_key_with_one_line_before_listening(tmp_path):
    key = tmp_path / ".harness.key"
    key.write_text("ab" * 32 + "\n")
    os.chmod(key, 0o644)
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_KEY"}
    res = subprocess.run(
        [
            HARNESS,
            "proxy",
            "--upstream",
            "http://127.0.0.1:9",
            "--listen-port",
            str(free_port()),
            "--key-file",
            str(key),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert res.returncode == 1, res.stderr
    assert res.stderr.count("\n") == 1 and "chmod 600" in res.stderr
    assert "Traceback" not in res.stderr


def test_an_unknown_schema_revision_is_refused_and_nothing_runs(tmp_path):
    db = tmp_path / "h.db"
    open_store(str(db)).kw["bind"].dispose()
    engine = make_engine(str(db))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed9999'"))
    engine.dispose()
    for create in (True, False):
        with pytest.raises(StoreError, match="f00dfeed9999") as info:
            open_store(str(db), create=create)
        assert "newer version" in str(info.value) and "\n" not in str(info.value)
    res = subprocess.run(
        [HARNESS, "flows", "--db", str(db)], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "f00dfeed9999" in res.stderr


def test_store_errors_never_carry_row_values(tmp_path):
    engine = make_engine(str(tmp_path / "h.db"))
    try:
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(insert(Exchange.__table__), [_row(id=1)])
        with pytest.raises(IntegrityError) as info, engine.begin() as conn:
            conn.execute(insert(Exchange.__table__), [_row(id=1)])
        assert CANARY not in str(info.value) and "hidden" in str(info.value)
    finally:
        engine.dispose()


def test_exports_and_reports_written_by_the_cli_are_private(tmp_path):
    db = tmp_path / "h.db"
    open_store(str(db)).kw["bind"].dispose()
    out = tmp_path / "rules.yaml"
    report = tmp_path / "report.md"
    for args in (
        ["rules", "export", "--db", str(db), "-o", str(out)],
        ["report", "--db", str(db), "--day", "2026-11-24", "-o", str(report)],
    ):
        res = subprocess.run([HARNESS, *args], capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
    assert mode(out) == 0o600 and mode(report) == 0o600
