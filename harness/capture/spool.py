"""The spool: an append-only file of already-sanitized exchange rows, kept while the store is down.

One JSON object per line. Top-level values that JSON cannot hold are tagged:
``bytes`` -> ``{"$b64": "..."}`` and ``datetime`` -> ``{"$ts": "ISO 8601"}``. Nothing raw is
ever written here: the ingest process sanitizes a row before it can reach the spool.

The ingest process appends rows with :meth:`Spool.append` when an insert fails, and
back-fills them with :meth:`Spool.drain` once the store answers again; the file is truncated
only after every row it held is in the store. A line torn by a crash (no trailing newline,
or not JSON) is skipped and counted, never fatal. An append that fails (a full disk, a
directory turned read-only) raises :class:`harness.errors.SpoolError` and leaves the file as
it was (a partial write is cut off again), so the next append starts on a line of its own.

Files are created 0600; :func:`fallback_spool_path` names the second location the ingest
uses when the first cannot be written (a private directory under the system's temporary
directory), and :func:`check_writable` is the start-up check.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from harness.errors import ConfigError, SpoolError
from harness.rows import ExchangeRow

log = logging.getLogger(__name__)


def _tag(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$ts": value.isoformat()}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
        if "$ts" in value:
            return datetime.fromisoformat(value["$ts"])
    return value


def dumps_row(row: ExchangeRow) -> str:
    """One row as one JSON line (without the newline)."""
    return json.dumps(
        {k: _tag(v) for k, v in row.items()}, ensure_ascii=False, separators=(",", ":")
    )


def loads_row(line: str) -> ExchangeRow:
    """The inverse of :func:`dumps_row`."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("a spool line is not a JSON object")
    # What dumps_row wrote: an exchange row (one from an older version may lack the newer
    # columns; insert_exchanges fills them).
    return cast(ExchangeRow, {k: _untag(v) for k, v in data.items()})


class Spool:
    """An append-only JSON-lines file of sanitized rows."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.skipped = 0  # torn or unreadable lines seen while reading

    def __len__(self) -> int:
        """How many complete lines the spool holds (0 when the file does not exist)."""
        try:
            with self.path.open("rb") as f:
                return sum(1 for line in f if line.endswith(b"\n"))
        except FileNotFoundError:
            return 0

    def exists(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def append(self, rows: Iterable[ExchangeRow]) -> int:
        """Append rows, flushed and fsynced; returns how many were written.

        Raises :class:`SpoolError` when they cannot all be written; the file then holds
        exactly what it held before.
        """
        lines = [dumps_row(r) + "\n" for r in rows]
        if not lines:
            return 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise SpoolError(f"cannot open spool {str(self.path)!r}: {exc.strerror}") from None
        size = -1
        try:
            size = os.fstat(fd).st_size
            data = "".join(lines).encode("utf-8")
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        except OSError as exc:
            if size >= 0:
                with contextlib.suppress(OSError):  # no torn line for the next append to glue on
                    os.ftruncate(fd, size)
            raise SpoolError(f"cannot write spool {str(self.path)!r}: {exc.strerror}") from None
        finally:
            os.close(fd)
        return len(lines)

    def read(self) -> Iterator[ExchangeRow]:
        """Every complete, readable row in order; torn lines are skipped and counted."""
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return
        with f:
            for raw in f:
                if not raw.endswith(b"\n"):
                    self.skipped += 1  # torn by a crash mid-write
                    continue
                try:
                    yield loads_row(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    self.skipped += 1

    def drain(self, insert: Callable[[list[ExchangeRow]], None], batch: int = 1000) -> int:
        """Insert every spooled row through ``insert`` in batches, then truncate the file.

        ``insert`` commits one batch per call and raises when the store is still down. On a
        failure the rows already inserted are cut from the front of the file (so a later
        drain does not insert them twice) and the error propagates. Returns how many rows
        were inserted.
        """
        if not self.exists():
            return 0
        done = 0
        offset = 0  # bytes of the file already in the store
        chunk: list[ExchangeRow] = []
        chunk_end = 0
        try:
            with self.path.open("rb") as f:
                for raw in f:
                    chunk_end += len(raw)
                    if not raw.endswith(b"\n"):
                        self.skipped += 1  # torn by a crash mid-write
                        continue
                    try:
                        chunk.append(loads_row(raw.decode("utf-8")))
                    except (ValueError, UnicodeDecodeError):
                        self.skipped += 1
                        continue
                    if len(chunk) >= batch:
                        insert(chunk)
                        done += len(chunk)
                        offset, chunk = chunk_end, []
                if chunk:
                    insert(chunk)
                    done += len(chunk)
                offset = chunk_end
        except BaseException:
            self._cut(offset)
            raise
        self.clear()
        if self.skipped:
            log.warning("spool %s: skipped %d unreadable lines", self.path, self.skipped)
            self.skipped = 0
        return done

    def _cut(self, offset: int) -> None:
        """Drop the first ``offset`` bytes (rows already back-filled), atomically."""
        if offset <= 0:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        with (
            self.path.open("rb") as src,
            open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as dst,
        ):
            src.seek(offset)
            while block := src.read(1 << 20):
                dst.write(block)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, self.path)

    def clear(self) -> None:
        """Empty the spool (after a successful back-fill)."""
        try:
            with self.path.open("r+b") as f:
                f.truncate(0)
                os.fsync(f.fileno())
        except FileNotFoundError:
            pass


def fallback_spool_path(primary: str | os.PathLike[str]) -> Path:
    """The second spool location: ``<tmp>/harness-<uid>/<name>-<hash>.spool``.

    The hash is of the primary's absolute path, so two stores never share a fallback (a
    back-fill must not carry one store's rows into another).
    """
    p = Path(primary).expanduser().resolve()
    digest = hashlib.sha256(str(p).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    name = f"{p.stem or 'harness'}-{digest}.spool"
    return Path(tempfile.gettempdir()) / f"harness-{os.getuid()}" / name


def private_dir(path: Path) -> None:
    """Create ``path`` 0700, or check that an existing one is ours and private.

    A shared temporary directory is writable by everyone: a directory someone else made
    there (or a symlink) must not receive our spool. Raises :class:`SpoolError`.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        raise SpoolError(f"cannot create directory {str(path)!r}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise SpoolError(f"{str(path)!r} is not a directory of this user")
    if stat.S_IMODE(st.st_mode) & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            raise SpoolError(f"cannot make {str(path)!r} private: {exc.strerror}") from None


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`ConfigError` (one line) when a spool file could not be written there."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.close(fd)
    except OSError as exc:
        raise ConfigError(f"spool {str(p)!r} is not writable: {exc.strerror}") from None


def default_spool_path(db_url: str) -> Path:
    """``<db stem>.spool`` next to a SQLite database file, else ./harness.spool."""
    if db_url.startswith("sqlite:///"):
        db_path = db_url[len("sqlite:///") :].split("?", 1)[0]
        if db_path and db_path != ":memory:":
            p = Path(db_path)
            return p.with_name(p.stem + ".spool")
    return Path("harness.spool").resolve()
