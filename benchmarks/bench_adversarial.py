"""Adversarial bodies: time per MiB through the ingest's per-exchange work, side by side.

For each hostile body of tests/test_adversarial.py (1 MiB of letters, digits, ``]`` after
``<!DOCTYPE x [``, deep nesting, many pairs, many replaced names; decompression bombs that
inflate to 64 MiB, cut at the 1 MiB body limit), in one run:

- ``ingest``: ``harness.capture.record.RowBuilder.build`` on the raw exchange, the whole work the
  ingest does per exchange (Content-Encoding, decode, classify, sanitize, re-encode),
  without a plan; the body is both request and response;
- ``codecs``: ``harness.codecs.decode`` alone (what the mock does per request), after
  ``decode_content_encoding`` for the bombs;
- ``stdlib``: the best alternative a parser could be: ``json.loads``, expat
  (``xml.etree.ElementTree.fromstring``) or ``urllib.parse.parse_qsl`` on the same
  bytes, as the body claims to be (errors caught: they fail fast or parse);
  ``zlib``/``brotli``/``zstandard`` decompressing the whole bomb for the bombs (64 MiB:
  what an unbounded decoder pays);
- ``limit``: one pass over the (decoded) bytes (``hashlib.blake2b``): the physical floor.

Figures are milliseconds per MiB of body (decoded size for bombs), medians of ``--runs``.
Linear time is the claim; these figures show the constant.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import median, table

MiB = 1 << 20


def _stdlib(body: bytes, ctype: str, encoding: str | None) -> None:
    import brotli
    import zstandard

    if encoding == "gzip":
        zlib.decompress(body, 16 + zlib.MAX_WBITS)
        return
    if encoding == "deflate":
        zlib.decompress(body)
        return
    if encoding == "br":
        brotli.decompress(body)
        return
    if encoding == "zstd":
        zstandard.ZstdDecompressor().decompressobj().decompress(body)
        return
    try:
        if "json" in ctype:
            json.loads(body)
        elif "xml" in ctype:
            ET.fromstring(body)
        elif "form" in ctype:
            parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        else:
            body.decode("utf-8")
    except (ValueError, RecursionError, ET.ParseError):
        pass


def _time(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return median(times)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    from harness import codecs
    from harness.capture.record import RowBuilder
    from harness.plan import default_plan
    from tests.test_adversarial import _record, bodies

    builder = RowBuilder(default_plan(), bytes(range(32)), max_body=MiB)
    results: dict[str, Any] = {}
    rows = []
    for i, (name, body, ctype, encoding) in enumerate(bodies()):
        rec = _record(body, ctype, encoding, i)
        size = MiB if encoding else len(body)
        plain = codecs.decode_content_encoding(body, encoding, MiB).data if encoding else body

        def decode(body: bytes = body, ctype: str = ctype, encoding: str | None = encoding) -> None:
            if encoding:
                body = codecs.decode_content_encoding(body, encoding, MiB).data
            codecs.decode(body, ctype)

        per_mib = {
            "ingest": _time(lambda rec=rec: builder.build(rec), args.runs) / 2,  # two bodies
            "codecs": _time(decode, args.runs),
            "stdlib": _time(lambda b=body, c=ctype, e=encoding: _stdlib(b, c, e), args.runs),
            "limit": _time(lambda b=plain: hashlib.blake2b(b).digest(), args.runs),
        }
        figures = {k: 1000 * v * MiB / size for k, v in per_mib.items()}
        results[name] = {k: round(v, 2) for k, v in figures.items()}
        rows.append([name, *(f"{figures[k]:.1f}" for k in ("ingest", "codecs", "stdlib", "limit"))])
        print(f"{name}: {results[name]}", flush=True)
    print(
        table(
            ["body (1 MiB)", "ingest ms/MiB", "codecs ms/MiB", "stdlib ms/MiB", "limit ms/MiB"],
            rows,
        )
    )
    return results


if __name__ == "__main__":
    main()
