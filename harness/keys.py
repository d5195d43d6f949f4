"""The sanitizer's key: ``HARNESS_KEY`` or a private key file.

Pseudonyms are HMACs under this key: whoever holds it can test guesses of raw values
against stored pseudonyms, so it is kept like a password. :func:`load_key` refuses a key
file that its group or others can read or write (one line, naming the fix).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from harness.errors import ConfigError

__all__ = ["DEFAULT_KEY_FILE", "load_key"]

DEFAULT_KEY_FILE = ".harness.key"


def load_key(path: str | os.PathLike[str] | None = None) -> bytes:
    """The sanitizer key: ``HARNESS_KEY`` (hex), else the key file, created when missing.

    The key file holds the key in hex; a new one gets 32 random bytes and mode 0600. A key
    file that its group or others may read or write is refused. Bad values raise
    :class:`harness.errors.ConfigError` (the message never shows the key).
    """
    env = os.environ.get("HARNESS_KEY")
    if env is not None and env.strip():
        return _parse_key(env, "HARNESS_KEY")
    p = Path(path) if path is not None else Path(DEFAULT_KEY_FILE)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot create key file {str(p)!r}: {exc.strerror}") from None
    else:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
    try:
        mode = p.stat().st_mode
        text = p.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read key file {str(p)!r}: {type(exc).__name__}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"key file {str(p)!r} is open to other users (mode {stat.S_IMODE(mode):o}); "
            f"run: chmod 600 {str(p)!r}"
        )
    return _parse_key(text, f"key file {str(p)!r}")


def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigError(f"{where} does not hold a hex key") from None
    if len(key) < 16:
        raise ConfigError(f"{where} holds {len(key)} bytes; a key needs at least 16")
    return key
