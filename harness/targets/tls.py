"""TLS towards the bank and towards targets: trust, client certificates, one-line errors.

:class:`TlsSettings` says how to open a TLS connection: which certificate authorities to
trust (``ca``: a PEM bundle; None: the system store, never "no verification") and which
client certificate to present (``client_cert`` with ``client_key``: mutual TLS; a
``client_cert`` file that holds the key too needs no ``client_key``). The proxy's upstream
takes them from ``--upstream-ca`` / ``--client-cert`` / ``--client-key`` or the plan's
``tls`` section; replay, shadow and probe targets from the plan's per-target ``tls``.

- :func:`check` reads every file once and raises :class:`harness.errors.ConfigError`
  (one line, naming the file) for a missing file, a bundle without certificates, a key
  that does not match its certificate: before the proxy listens or a replay sends.
- :func:`client_context` is the :class:`ssl.SSLContext` for aiohttp (replay, shadow,
  probes).
- :func:`system_ca` is the system's trust store for mitmproxy, which would otherwise
  trust certifi's bundle rather than the system's.
- :func:`combined_pem` hands mitmproxy a certificate and its key as the one PEM file it
  wants, without writing the key anywhere new: an anonymous in-memory file
  (``memfd``, named by ``/proc/self/fd/N``) where Linux offers one, else a 0600 file in
  a private temporary directory, removed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import ssl
import tempfile
from pathlib import Path

from harness.errors import ConfigError
from harness.plan import TlsSettings  # a plan's value; its files are checked here

__all__ = [
    "TlsSettings",
    "check",
    "check_server",
    "client_context",
    "combined_pem",
    "system_ca",
]


def _readable(path: str, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"{what} file not found: {path!r}")
    try:
        with p.open("rb") as f:
            f.read(1)
    except OSError as exc:
        raise ConfigError(f"cannot read {what} file {path!r}: {exc.strerror}") from None
    return p


def check(settings: TlsSettings, where: str = "tls") -> None:
    """Raise :class:`ConfigError` (one line) when the files cannot serve; reads each once."""
    if settings.client_key and not settings.client_cert:
        raise ConfigError(f"{where}: a client key needs its client certificate")
    client_context(settings, where)


def client_context(settings: TlsSettings | None, where: str = "tls") -> ssl.SSLContext:
    """A verifying client context: the CA bundle (else the system store) and the client
    certificate, when given. Errors are one-line :class:`ConfigError`."""
    settings = settings or TlsSettings()
    ctx = ssl.create_default_context()
    if settings.ca:
        ca = _readable(settings.ca, f"{where} CA")
        try:
            ctx = ssl.create_default_context(cafile=str(ca))
        except ssl.SSLError:
            raise ConfigError(f"{where}: no PEM certificate in CA file {settings.ca!r}") from None
    if settings.client_cert:
        cert = _readable(settings.client_cert, f"{where} client certificate")
        key = _readable(settings.client_key, f"{where} client key") if settings.client_key else None
        try:
            ctx.load_cert_chain(str(cert), str(key) if key else None)
        except ssl.SSLError as exc:
            reason = exc.reason or "unreadable"
            raise ConfigError(
                f"{where}: cannot use client certificate {settings.client_cert!r}"
                f"{f' with key {settings.client_key!r}' if settings.client_key else ''}: "
                f"{str(reason).lower().replace('_', ' ')}"
            ) from None
    return ctx


def check_server(cert: str, key: str | None) -> None:
    """The certificate (and key) the proxy shows its clients: one line when unusable."""
    c = _readable(cert, "listen certificate")
    k = _readable(key, "listen key") if key else None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(str(c), str(k) if k else None)
    except ssl.SSLError as exc:
        reason = str(exc.reason or "unreadable").lower().replace("_", " ")
        raise ConfigError(f"cannot use listen certificate {cert!r}: {reason}") from None


def system_ca() -> tuple[str | None, str | None]:
    """(CA file, CA directory) of the system's trust store, as OpenSSL finds them."""
    paths = ssl.get_default_verify_paths()
    cafile = paths.cafile if paths.cafile and os.path.isfile(paths.cafile) else None
    capath = paths.capath if paths.capath and os.path.isdir(paths.capath) else None
    return cafile, capath


_PRIVATE_DIR: list[str] = []


def combined_pem(cert: str, key: str | None, name: str = "client") -> str:
    """A path to one PEM holding ``cert`` then ``key`` (mitmproxy wants them together).

    With no key the certificate file itself is returned (it must hold its key). The
    combined copy lives in memory (memfd) where possible; the path is valid in this
    process only, which is where mitmproxy reads it.
    """
    if not key:
        return str(Path(cert).expanduser())
    data = (
        Path(cert).expanduser().read_bytes().rstrip(b"\n")
        + b"\n"
        + Path(key).expanduser().read_bytes()
    )
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None and os.path.isdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            fd = memfd_create(f"harness-{name}-pem", 0)  # no MFD_CLOEXEC: reopened by path
            os.write(fd, data)
            return f"/proc/self/fd/{fd}"
    if not _PRIVATE_DIR:
        _PRIVATE_DIR.append(tempfile.mkdtemp(prefix="harness-tls-"))  # 0700
        atexit.register(shutil.rmtree, _PRIVATE_DIR[0], True)
    path = Path(_PRIVATE_DIR[0]) / f"{name}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return str(path)
