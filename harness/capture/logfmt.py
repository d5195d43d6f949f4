"""Log lines for people (text) or for log collectors (one JSON object per line).

``--log-format json`` on ``harness proxy`` (and the ingest process it starts) writes every
record as ``{"ts": ISO 8601 UTC, "level": ..., "logger": ..., "process": ...,
"message": ...}``; text keeps the usual ``time name[pid] LEVEL message``. Log records
carry ids, counts, durations and reasons only, never a body: the format changes nothing
of what is said.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

__all__ = ["FORMATS", "JsonFormatter", "formatter", "json_line", "setup_logging"]

FORMATS = ("text", "json")


def json_line(level: str, logger: str, message: str) -> str:
    """One JSON log line written outside logging (a command's last word)."""
    record = logging.LogRecord(
        logger, logging.getLevelName(level.upper()), "", 0, message, (), None
    )
    return JsonFormatter().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            data["error"] = record.exc_info[0].__name__  # the type only: no locals, no payload
        return json.dumps(data, ensure_ascii=False)


def formatter(fmt: str, name: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    return logging.Formatter(f"%(asctime)s {name}[%(process)d] %(levelname)s %(message)s")


def setup_logging(fmt: str, name: str, level: int = logging.INFO) -> None:
    """Root logging to stderr in ``fmt`` (text or json) for a process of ours."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt, name))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
