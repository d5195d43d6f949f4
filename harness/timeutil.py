"""Days and instants on the command line: ``--day 2026-11-24``, ``--since 2026-11-24T08:00``.

A day is a calendar day in the timezone named by HARNESS_TZ (an IANA name), UTC by default;
everything is stored and compared in UTC.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harness.errors import ConfigError


def local_tz() -> tzinfo:
    name = os.environ.get("HARNESS_TZ")
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"HARNESS_TZ names no known timezone: {name!r}") from None


def parse_day(text: str) -> tuple[datetime, datetime]:
    """``YYYY-MM-DD`` (or ``today`` / ``yesterday``) -> [start, end) in UTC."""
    tz = local_tz()
    if text in ("today", "yesterday"):
        d = datetime.now(tz).date() - timedelta(days=1 if text == "yesterday" else 0)
    else:
        try:
            d = date.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"not a day (want YYYY-MM-DD): {text!r}") from None
    start = datetime.combine(d, time(0), tz)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time; naive values are in the local timezone (HARNESS_TZ)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"not a date or time (want ISO 8601): {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    return value.astimezone(UTC)


def window(
    day: str | None = None, since: str | None = None, until: str | None = None
) -> tuple[datetime | None, datetime | None]:
    """Combine --day / --since / --until into one [start, end) window (either side open)."""
    start: datetime | None = None
    end: datetime | None = None
    if day:
        start, end = parse_day(day)
    if since:
        s = parse_instant(since)
        start = max(start, s) if start else s
    if until:
        u = parse_instant(until)
        end = min(end, u) if end else u
    if start and end and start >= end:
        raise ConfigError("the time window is empty: --since is not before --until")
    return start, end


def instant(value: object) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 text (naive means UTC); None for
    anything else (stored evidence and rows, where a bad value is not an error)."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def utcnow() -> datetime:
    return datetime.now(UTC)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, what: str = "duration") -> timedelta:
    """``30d``, ``12h``, ``2w``, ``90m``, ``45s`` (one number, one unit) as a timedelta.

    Raises :class:`harness.errors.ConfigError` naming ``what`` for anything else, and for
    a duration that is not positive.
    """
    value = str(text).strip().lower()
    unit = value[-1:] if value[-1:] in _UNITS else ""
    number = value[: -len(unit)] if unit else value
    try:
        amount = float(number)
    except ValueError:
        amount = -1.0
    if not unit or amount <= 0 or amount != amount:
        raise ConfigError(
            f"{what} must be a positive number and a unit (s, m, h, d, w), e.g. 30d; got {text!r}"
        )
    return timedelta(seconds=amount * _UNITS[unit])
