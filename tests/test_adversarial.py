"""Hostile bodies never stall capture: 1 MiB adversarial bodies through the real ingest
process, the codecs and the real mock, each behind a generous hang guard (a subprocess or
HTTP timeout), never a timing assertion.

Quadratic paths these bodies hit before: the e-mail detector on long letter runs, the XML
tokenizer on ``<!DOCTYPE x [`` and many ``]``, echo scrubbing with many replaced values;
decompression bombs (a few KB that inflate to hundreds of MiB).
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import subprocess
import sys
import urllib.error
import urllib.request
import zlib

import brotli
import pytest
import zstandard

from harness.capture.frames import frame
from harness.store import open_store
from harness.store.queries import list_exchanges
from tests.support.procs import HARNESS, free_port, running

MiB = 1 << 20
HANG_GUARD = 900  # seconds: far beyond linear time on a loaded 2-core machine
BOMB = b'{"memo":"' + b"a" * (64 * MiB)  # inflates to 64 times the body limit


def bodies() -> list[tuple[str, bytes, str, str | None]]:
    """(name, body, content type, content encoding)."""
    many_names = json.dumps(
        {"people": [{"name": f"N{i:06d}", "memo": f"to N{i:06d}"} for i in range(12_000)]}
    ).encode()
    return [
        ("letters", b"a" * MiB, "application/json", None),
        ("letters-text", b"x" * MiB, "text/plain", None),
        ("digits", b"7" * MiB, "application/json", None),
        ("digits-form", b"k=" + b"1" * MiB, "application/x-www-form-urlencoded", None),
        ("email-ish", b"a." * (MiB // 2), "text/plain", None),
        ("at-run", b"a@" * (MiB // 2), "text/plain", None),
        ("grouped-digits", b"12 " * (MiB // 3), "text/plain", None),
        ("doctype", b"<!DOCTYPE x [" + b"]" * MiB, "application/xml", None),
        ("deep-json", b"[" * MiB, "application/json", None),
        ("deep-json-objects", b'{"a":' * (MiB // 5), "application/json", None),
        ("deep-xml", b"<a>" * (MiB // 3), "application/xml", None),
        ("many-pairs", b"a=1&" * (MiB // 4), "application/x-www-form-urlencoded", None),
        ("many-names", many_names, "application/json", None),
        ("gzip-bomb", gzip.compress(BOMB), "application/json", "gzip"),
        ("deflate-bomb", zlib.compress(BOMB), "application/json", "deflate"),
        ("br-bomb", brotli.compress(BOMB, quality=5), "application/json", "br"),
        ("zstd-bomb", zstandard.ZstdCompressor().compress(BOMB), "application/json", "zstd"),
    ]


def _record(body: bytes, ctype: str, encoding: str | None, i: int) -> dict:
    headers = [(b"content-type", ctype.encode())]
    if encoding:
        headers.append((b"content-encoding", encoding.encode()))
    return {
        "v": 1,
        "ts": 1_764_000_000.0 + i,
        "client": "127.0.0.1:40000",
        "method": b"POST",
        "scheme": b"http",
        "host": "127.0.0.1",
        "port": 18080,
        "path": b"/adversarial",
        "req_headers": tuple(headers),
        "req_body": body,
        "req_size": len(body),
        "req_truncated": False,
        "status": 200,
        "resp_headers": tuple(headers),
        "resp_body": body,
        "resp_size": len(body),
        "resp_truncated": False,
        "t_end": 1_764_000_000.5 + i,
        "error": None,
    }


@pytest.mark.slow
def test_adversarial_bodies_through_the_real_ingest(tmp_path):
    cases = bodies()
    db = tmp_path / "adv.db"
    stdin = b"".join(frame(_record(b, ct, ce, i)) for i, (_, b, ct, ce) in enumerate(cases))
    proc = subprocess.run(
        [sys.executable, "-m", "harness.capture.ingest", "--db", str(db), "--max-body", str(MiB)],
        input=stdin,
        capture_output=True,
        env={**os.environ, "HARNESS_KEY": "ad" * 32},
        timeout=HANG_GUARD,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    factory = open_store(str(db), create=False)
    with factory() as s:
        rows = list_exchanges(s, limit=None, newest_first=False)
    factory.kw["bind"].dispose()
    assert len(rows) == len(cases)
    for (name, _, _, encoding), row in zip(cases, rows, strict=True):
        assert "ingest_error" not in (row.notes or {}), (name, row.notes)
        if encoding:  # a bomb: inflated up to the body limit, then cut and flagged
            assert row.request_truncated and row.response_truncated, name
            assert row.notes["request_content_encoding"] == encoding
            assert row.request_format == "text"  # a cut JSON: pseudonymized whole
            assert row.request_body is not None and len(row.request_body) == MiB


@pytest.mark.slow
def test_adversarial_bodies_through_the_codecs(tmp_path):
    data = tmp_path / "bodies.pickle"
    data.write_bytes(pickle.dumps(bodies()))
    script = (
        "import pickle, sys\n"
        "from harness import codecs\n"
        f"for name, body, ct, ce in pickle.loads(open({str(data)!r}, 'rb').read()):\n"
        "    if ce:\n"
        f"        d = codecs.decode_content_encoding(body, ce, {MiB})\n"
        f"        assert d.truncated and len(d.data) == {MiB}, name\n"
        "        body = d.data\n"
        "    b = codecs.decode(body, ct)\n"
        "    assert b.format in codecs.FORMATS, name\n"
        "    print(name, b.format, flush=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout.splitlines()) == len(bodies())


@pytest.mark.slow
def test_adversarial_bodies_never_stall_the_mock(tmp_path):
    db = tmp_path / "mock.db"
    open_store(str(db)).kw["bind"].dispose()
    port = free_port()
    args = [HARNESS, "mock", "--db", str(db), "--port", str(port)]
    answered = []
    with running(args, port=port) as proc:
        for name, body, ctype, encoding in bodies():
            headers = {"Content-Type": ctype}
            if encoding:
                headers["Content-Encoding"] = encoding
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/adversarial", data=body, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(req, timeout=HANG_GUARD) as resp:
                    resp.read()
                    answered.append((name, resp.status))
            except urllib.error.HTTPError as exc:
                exc.read()
                answered.append((name, exc.code))
        assert proc.poll() is None, "the mock died"
    proc.stdout.close()
    assert [n for n, _ in answered] == [n for n, *_ in bodies()]
    assert all(isinstance(code, int) for _, code in answered)


def test_bodies_are_the_sizes_the_regression_claims():
    for name, body, _, encoding in bodies():
        if encoding:
            assert len(body) < MiB, name  # a small body ...
        elif name != "many-names":
            assert len(body) >= MiB - 16, name  # ... or a full MiB of one pattern
