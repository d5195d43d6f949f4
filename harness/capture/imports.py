"""``harness import``: mitmproxy flow files and HAR files into the store, sanitized.

Each HTTP exchange in the file becomes the raw record the live capture hands to the
ingest (:mod:`harness.capture.flowrecord` for flows, :func:`harness.capture.har.records` for HAR), then
the row the ingest would build (:class:`harness.capture.record.RowBuilder`: decode, classify,
sanitize under the deployment's key and plan): nothing raw reaches the store. Rows are
inserted in batches, each its own transaction; a file that turns out corrupt halfway
keeps what was imported before the damage, and the error says how many. The file itself
is the operator's: it is read, never changed or copied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from harness.capture.flowrecord import record
from harness.capture.har import records
from harness.capture.record import RowBuilder
from harness.errors import ConfigError, StoreError
from harness.plan import Plan
from harness.rows import ExchangeRow, RawExchange
from harness.store.queries import insert_exchanges

__all__ = ["FORMATS", "Imported", "detect", "import_file", "read_records"]

FORMATS = ("auto", "har", "mitm")
BATCH = 500
MiB = 1024 * 1024


class Damaged(ConfigError):
    """The file ends in damage: what was read before it is imported all the same."""


@dataclass
class Imported:
    """What an import did."""

    format: str
    read: int = 0  # HTTP exchanges read from the file
    stored: int = 0
    skipped: int = 0  # flows that are not HTTP (TCP, UDP, DNS)
    errors: int = 0  # exchanges stored with a stage that failed (notes.ingest_error)


def detect(path: Path) -> str:
    """``har`` or ``mitm`` by the file's first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(64)
    except FileNotFoundError:
        raise ConfigError(f"no such file: {str(path)!r}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "har"
    digits = text.split(b":", 1)[0]
    if digits.isdigit() and b":" in text:
        return "mitm"
    raise ConfigError(f"{str(path)!r} is neither a HAR file nor a mitmproxy flow file")


def read_records(path: Path, fmt: str, max_body: int, tally: Imported) -> Iterator[RawExchange]:
    """The raw exchange records of ``path``, streamed (HAR is parsed whole)."""
    if fmt == "har":
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(
                f"{str(path)!r} is not a readable HAR file ({type(exc).__name__})"
            ) from None
        yield from records(doc, max_body)
        return
    # heavy: mitmproxy (~0.1 s) loads only to read a flow file, not a HAR file
    from mitmproxy import http
    from mitmproxy import io as mitm_io
    from mitmproxy.exceptions import FlowReadException

    with path.open("rb") as f:
        reader = mitm_io.FlowReader(f)
        try:
            for flow in reader.stream():
                if isinstance(flow, http.HTTPFlow):
                    yield record(flow, max_body)
                else:
                    tally.skipped += 1
        except (FlowReadException, ValueError) as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise Damaged(f"{str(path)!r} is not a readable flow file ({reason})") from None


def import_file(
    path: str | Path,
    engine: Engine,
    plan: Plan,
    key: bytes,
    *,
    fmt: str = "auto",
    instance: str = "import",
    max_body: int = MiB,
    batch: int = BATCH,
) -> Imported:
    """Import every HTTP exchange of ``path`` into the store behind ``engine`` (migrated)."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown import format {fmt!r} (want {', '.join(FORMATS)})")
    p = Path(path)
    kind = detect(p) if fmt == "auto" else fmt
    if not p.is_file():
        raise ConfigError(f"no such file: {str(p)!r}")
    tally = Imported(kind)
    builder = RowBuilder(plan, key, max_body=max_body, instance=instance)
    rows: list[ExchangeRow] = []

    def flush() -> None:
        if not rows:
            return
        try:
            with engine.begin() as conn:
                insert_exchanges(conn, rows)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()
            raise StoreError(
                f"cannot store imported exchanges after {tally.stored}: "
                f"{reason[0] if reason else type(exc).__name__}"
            ) from None
        tally.stored += len(rows)
        rows.clear()

    try:
        for rec in read_records(p, kind, max_body, tally):
            tally.read += 1
            row = builder.build(rec, tally.read)
            if (row.get("notes") or {}).get("ingest_error"):
                tally.errors += 1
            rows.append(row)
            if len(rows) >= batch:
                flush()
    except Damaged as exc:
        flush()  # what came before the damage is kept
        raise Damaged(f"{exc} after {tally.read} exchanges; {tally.stored} imported") from None
    flush()
    return tally
