"""The sanitizer's key: where it lives, explicitly, and how it is read.

Pseudonyms are HMACs under this key: whoever holds it can test guesses of raw values
against stored pseudonyms, so it is kept like a password; and equal values get equal
pseudonyms only under the same key, so a deployment keeps one key for good.

Where the key comes from, first match wins:

1. an explicit path (``--key-file FILE``, the capture option ``capture_key_file``);
2. ``HARNESS_KEY``: the key itself, in hex (for containers fed by a secret store);
3. ``HARNESS_KEY_FILE``: a path;
4. the default file :func:`default_key_path`: ``$XDG_CONFIG_HOME/harness/key``, i.e.
   ``~/.config/harness/key``.

A missing key file is created (32 random bytes, hex, mode 0600; the default's directory
0700) and a warning names it, so that it is backed up: never silently, and never in
whatever directory the command happens to start in. A ``.harness.key`` in the current
directory (where earlier versions kept it) is not read implicitly: when the default
file does not exist yet, it is refused with one line naming both fixes, so that a
deployment never switches keys without noticing. A key file that its group or others can
read or write is refused (one line, naming the fix). Messages never show the key.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from harness.errors import ConfigError

__all__ = ["DEFAULT_KEY_FILE", "default_key_path", "load_key"]

log = logging.getLogger("harness.sanitize.keys")

LEGACY_KEY_FILE = ".harness.key"
DEFAULT_KEY_FILE = LEGACY_KEY_FILE  # kept for importers of the old name


def default_key_path() -> Path:
    """``$XDG_CONFIG_HOME/harness/key`` (``~/.config/harness/key`` when it is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "harness" / "key"


def load_key(path: str | os.PathLike[str] | None = None) -> bytes:
    """The sanitizer key (see the module docstring for where it comes from).

    Bad values raise :class:`harness.errors.ConfigError` (one line, never the key).
    """
    if path is None:
        env = os.environ.get("HARNESS_KEY")
        if env is not None and env.strip():
            return _parse_key(env, "HARNESS_KEY")
        path = os.environ.get("HARNESS_KEY_FILE") or None
    if path is not None:
        return _from_file(Path(path).expanduser(), make_parent=False)
    default = default_key_path()
    if not default.exists() and Path(LEGACY_KEY_FILE).is_file():
        raise ConfigError(
            f"found {LEGACY_KEY_FILE!r} in the current directory, which is no longer read "
            f"implicitly: pass --key-file {LEGACY_KEY_FILE} (or set HARNESS_KEY_FILE), "
            f"or move it to {str(default)!r}"
        )
    return _from_file(default, make_parent=True)


def _from_file(p: Path, make_parent: bool) -> bytes:
    if make_parent and not p.parent.exists():
        try:
            p.parent.mkdir(mode=0o700, parents=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create key directory {str(p.parent)!r}: {exc.strerror}"
            ) from None
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot create key file {str(p)!r}: {exc.strerror}") from None
    else:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
        log.warning(
            "created a new sanitization key at %s: back it up and keep it for this "
            "deployment (equal values get equal pseudonyms only under the same key)",
            p,
        )
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
