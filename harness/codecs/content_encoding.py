"""Content-Encoding, undone within a hard output limit (decompression bombs stay small).

:func:`decode_content_encoding` is the one decoder the ingest and the mock share::

    decoded = decode_content_encoding(data, "gzip", limit=1 << 20)
    decoded.data        # identity bytes, at most ``limit`` of them
    decoded.encodings   # what was undone, in the order it was undone ("br", "gzip")
    decoded.truncated   # True: the output reached ``limit`` or the input ended early

Contract:

- ``encoding`` is the header's value: ``gzip``/``x-gzip``, ``deflate`` (zlib-wrapped or raw),
  ``br``, ``zstd``, ``identity``, or a comma-separated list of them (applied left to right
  by the sender, so undone right to left). Empty or ``identity`` returns ``data`` as is.
- Every stage decompresses as a stream and stops once it has produced ``limit`` bytes, so
  memory and time are bounded by the limit, never by the ratio of the input (a 7 KB brotli
  body that would inflate to 1 GiB yields ``limit`` bytes and ``truncated=True``).
- A stream that ends before its end marker (a body cut at the capture limit) yields what it
  held, with ``truncated=True``.
- An unknown encoding or bytes that are not valid under the encoding they claim raise
  :class:`harness.errors.CodecError` (the message names the encoding, never the payload).

Pure: no I/O; brotli and zstandard are mitmproxy's own dependencies.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

from harness.errors import CodecError

__all__ = ["ENCODINGS", "Decoded", "decode_content_encoding"]

ENCODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd", "identity")
_BROTLI_STEP = 8  # input bytes per brotli call: one byte can yield up to 8 MiB
_ZLIB_STEP = 1 << 16  # output bytes per zlib call
_ZSTD_STEP = 64  # input bytes per zstd call: a 4-byte block can yield 128 KiB
_ZSTD_WINDOW = 1 << 23  # largest zstd window accepted (8 MiB), whatever the frame asks


@dataclass(frozen=True)
class Decoded:
    """Identity bytes (at most the limit), what was undone, and whether output was cut."""

    data: bytes
    encodings: tuple[str, ...] = ()
    truncated: bool = False


def decode_content_encoding(data: bytes, encoding: str | None, limit: int) -> Decoded:
    """Undo ``encoding`` on ``data``, producing at most ``limit`` bytes (see module doc)."""
    names = [n.strip().lower() for n in (encoding or "").split(",")]
    names = [n for n in names if n and n != "identity"]
    if limit < 0:
        raise ValueError("limit must be >= 0")
    undone: list[str] = []
    truncated = False
    for name in reversed(names):
        stage = _STAGES.get(name)
        if stage is None:
            raise CodecError(f"unknown content-encoding {name[:40]!r}")
        if not data:
            undone.append(name)
            continue
        try:
            data, cut = stage(data, limit)
        except Exception as exc:  # each library has its own error types
            raise CodecError(f"body does not decode as {name!r}") from exc
        truncated = truncated or cut
        undone.append(name)
    return Decoded(data, tuple(undone), truncated)


def _zlib_stream(data: bytes, limit: int, wbits: int) -> tuple[bytes, bool]:
    """Inflate with ``wbits``; concatenated gzip members are read one after the other."""
    out = bytearray()
    rest = data
    while rest:
        d = zlib.decompressobj(wbits)
        pending = rest
        while pending and not d.eof and len(out) <= limit:
            out += d.decompress(pending, min(_ZLIB_STEP, limit + 1 - len(out)))
            pending = d.unconsumed_tail
        if len(out) > limit:
            return bytes(out[:limit]), True
        if not d.eof:
            out += d.flush()[: limit + 1 - len(out)]
            return bytes(out[:limit]), True  # the stream ended early: a cut body
        rest = d.unused_data
        if wbits < 16:  # only gzip has members
            break
    return bytes(out), False


def _gzip(data: bytes, limit: int) -> tuple[bytes, bool]:
    return _zlib_stream(data, limit, 16 + zlib.MAX_WBITS)


def _deflate(data: bytes, limit: int) -> tuple[bytes, bool]:
    try:
        return _zlib_stream(data, limit, zlib.MAX_WBITS)
    except zlib.error:
        return _zlib_stream(data, limit, -zlib.MAX_WBITS)  # raw deflate, as some servers send


def _brotli(data: bytes, limit: int) -> tuple[bytes, bool]:
    import brotli  # optional: mitmproxy's dependency, not ours; only br bodies need it

    d = brotli.Decompressor()
    out = bytearray()
    view = memoryview(data)
    for pos in range(0, len(view), _BROTLI_STEP):
        out += d.process(bytes(view[pos : pos + _BROTLI_STEP]))
        if len(out) > limit:
            return bytes(out[:limit]), True
    return bytes(out), not d.is_finished()


def _zstd(data: bytes, limit: int) -> tuple[bytes, bool]:
    import zstandard  # optional: mitmproxy's dependency, not ours; only zstd bodies need it

    dctx = zstandard.ZstdDecompressor(max_window_size=max(_ZSTD_WINDOW, limit))
    out = bytearray()
    rest = data
    while rest:  # one frame after the other
        d = dctx.decompressobj()
        pos = 0
        while pos < len(rest) and not d.eof:
            out += d.decompress(rest[pos : pos + _ZSTD_STEP])
            pos += _ZSTD_STEP
            if len(out) > limit:
                return bytes(out[:limit]), True
        if not d.eof:
            return bytes(out), True  # the stream ended early: a cut body
        rest = d.unused_data + rest[pos:]
    return bytes(out), False


_STAGES: dict[str, Callable[[bytes, int], tuple[bytes, bool]]] = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}
