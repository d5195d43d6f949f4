"""The spool file: append-only JSON lines of sanitized rows, back-filled once the store is back."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest

from harness.capture.spool import Spool, default_spool_path, dumps_row, loads_row

ROW = {
    "ts": datetime(2026, 11, 24, 8, 30, 1, 250000, tzinfo=UTC),
    "request_body": b"\x00\xff<EntName>\xc4\xb3</EntName>",
    "request_fields": {"a.b": "某某(某某)有限公司", "n": None, "ok": True},
    "request_headers": [["x-signature", "[redacted]"]],
    "status": 200,
    "duration_ms": 1.25,
    "message": None,
}


def test_row_round_trips_bytes_datetimes_and_json():
    assert loads_row(dumps_row(ROW)) == ROW


def test_append_then_read_in_order(tmp_path):
    spool = Spool(tmp_path / "x.spool")
    assert not spool.exists() and len(spool) == 0
    assert spool.append([{**ROW, "status": i} for i in range(5)]) == 5
    assert spool.append([]) == 0
    assert spool.exists() and len(spool) == 5
    assert [r["status"] for r in spool.read()] == [0, 1, 2, 3, 4]
    assert stat.S_IMODE(os.stat(spool.path).st_mode) == 0o600


def test_torn_and_garbled_lines_are_skipped_and_counted(tmp_path):
    spool = Spool(tmp_path / "x.spool")
    spool.append([ROW])
    with spool.path.open("ab") as f:
        f.write(b"not json\n")
        f.write(b'{"status": 3')  # torn: no newline
    got = list(spool.read())
    assert got == [ROW]
    assert spool.skipped == 2


def test_drain_inserts_everything_then_empties_the_file(tmp_path):
    spool = Spool(tmp_path / "x.spool")
    spool.append([{**ROW, "status": i} for i in range(25)])
    batches: list[list[int]] = []
    assert spool.drain(lambda rows: batches.append([r["status"] for r in rows]), batch=10) == 25
    assert batches == [list(range(10)), list(range(10, 20)), list(range(20, 25))]
    assert not spool.exists()
    assert spool.drain(lambda rows: batches.append([])) == 0  # nothing left: no call


def test_a_failed_drain_keeps_only_what_was_not_inserted(tmp_path):
    spool = Spool(tmp_path / "x.spool")
    spool.append([{**ROW, "status": i} for i in range(25)])
    seen: list[int] = []

    def flaky(rows):
        if rows[0]["status"] == 10:
            raise ConnectionError("store went away")
        seen.extend(r["status"] for r in rows)

    with pytest.raises(ConnectionError):
        spool.drain(flaky, batch=10)
    assert seen == list(range(10))
    assert [r["status"] for r in spool.read()] == list(range(10, 25))
    spool.drain(lambda rows: seen.extend(r["status"] for r in rows), batch=10)
    assert seen == list(range(25))  # nothing inserted twice


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////var/lib/h/prod.db", "/var/lib/h/prod.spool"),
        ("sqlite:////tmp/a/harness.sqlite3", "/tmp/a/harness.spool"),
    ],
)
def test_default_spool_sits_next_to_a_sqlite_file(url, expected):
    assert str(default_spool_path(url)) == expected


def test_default_spool_for_a_server_store_is_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    got = default_spool_path("postgresql+psycopg://u:p@127.0.0.1:5432/h")
    assert got == tmp_path / "harness.spool"
