"""Signing replayed requests afresh: the stored body is sanitized, its old signature is void.

A signer is anything with ``sign(method, path, headers, body) -> (headers, body)``: it takes
the request about to be sent (``headers`` a plain dict, ``body`` bytes in the original
format and charset) and returns what to send instead. The plan's ``signer`` section picks it:

``kind: none``
    Sends the request as it is.
``kind: hmac-sha256``
    Hex HMAC-SHA256 under the key in the environment variable ``key_env`` (its UTF-8
    bytes; ``options: {key_encoding: hex}`` or ``base64`` decodes it first), either

    - into the header ``header``: the HMAC of the body bytes as sent; or
    - into the body field ``field`` (a path such as ``sign`` or ``Request.Head.Sign``) of a
      JSON, form or XML body. Convention: the HMAC is computed over the body re-encoded
      *without* that field (the field removed from the decoded tree, the tree encoded in
      its original format and charset), then the field is set to the hex digest and the
      body encoded again. A bank that signs differently needs a plug-in.
``kind: package.module:factory``
    A plug-in: ``factory(spec: SignerSpec) -> Signer``, imported from that path.
``kind: NAME``
    A plug-in registered under the entry point group ``harness.targets.signers``, e.g. in its
    pyproject.toml: ``[project.entry-points."harness.targets.signers"] rsa = "acme.sign:make_rsa"``.

Besides the signature, secret headers (``Authorization``, API keys) are never taken from
the store, where they read ``[redacted]``; ``options: {headers: {Authorization: ENV_NAME}}``
names environment variables that supply them afresh (see :func:`fresh_headers`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import replace
from importlib.metadata import entry_points
from typing import Any, Protocol, cast, runtime_checkable

from harness import codecs
from harness.codecs import fields
from harness.errors import SignerError
from harness.plan import SignerSpec
from harness.plan.entrypoints import load_factory

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "HmacSha256Signer",
    "NoSigner",
    "Signer",
    "SignerError",  # what load_signer raises, re-exported for its callers
    "fresh_headers",
    "load_signer",
]

ENTRY_POINT_GROUP = "harness.targets.signers"
BUILTIN = ("none", "hmac-sha256")


@runtime_checkable
class Signer(Protocol):
    """Signs one request: returns the headers and body to send."""

    def sign(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[dict[str, str], bytes]: ...


class NoSigner:
    """Sends requests unchanged."""

    def sign(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[dict[str, str], bytes]:
        return headers, body


class HmacSha256Signer:
    """Hex HMAC-SHA256 of the body, into a header or a body field (see the module docstring)."""

    def __init__(
        self, key: bytes, header: str | None = None, body_field: str | None = None
    ) -> None:
        if not header and not body_field:
            raise SignerError("signer 'hmac-sha256' needs 'header' or 'field' in the plan")
        self._key = key
        self.header = header
        self.body_field = body_field

    def digest(self, data: bytes) -> str:
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def sign(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[dict[str, str], bytes]:
        out = dict(headers)
        if self.body_field:
            body = self._sign_field(body, _header(out, "content-type"))
        if self.header:
            for name in [n for n in out if n.lower() == self.header.lower()]:
                del out[name]
            out[self.header] = self.digest(body)
        return out, body

    def _sign_field(self, body: bytes, content_type: str | None) -> bytes:
        assert self.body_field is not None
        decoded = codecs.decode(body, content_type)
        if decoded.format not in ("json", "form", "xml"):
            raise SignerError(
                f"signer 'hmac-sha256' cannot put field {self.body_field!r} into a {decoded.format} body"
            )
        without = _remove(decoded.tree, self.body_field)
        unsigned = codecs.encode(replace(decoded, tree=without))
        signed_tree = fields.set_value(decoded.tree, self.body_field, self.digest(unsigned))
        return codecs.encode(replace(decoded, tree=signed_tree))


def load_signer(spec: SignerSpec | None, environ: Mapping[str, str] | None = None) -> Signer:
    """The signer a plan names; a missing key or plug-in is a :class:`SignerError`."""
    spec = spec or SignerSpec()
    env = os.environ if environ is None else environ
    kind = (spec.kind or "none").strip()
    if kind == "none":
        return NoSigner()
    if kind == "hmac-sha256":
        return HmacSha256Signer(_key(spec, env), spec.header, spec.body_field)
    factory = _plugin(kind)
    try:
        signer = factory(spec)
    except SignerError:
        raise
    except Exception as exc:  # a plug-in's own failure: name it, keep it to one line
        raise SignerError(f"signer {kind!r} failed to start: {type(exc).__name__}") from exc
    if not callable(getattr(signer, "sign", None)):
        raise SignerError(f"signer {kind!r} returned an object without a sign() method")
    return cast(Signer, signer)  # a plug-in's object: the check above is what run time can say


def fresh_headers(
    spec: SignerSpec | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Secret headers supplied afresh: ``options.headers`` maps header name -> env variable."""
    if spec is None:
        return {}
    wanted = spec.options.get("headers") or {}
    if not isinstance(wanted, Mapping):
        raise SignerError("signer option 'headers' must map header names to environment variables")
    env = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for name, var in wanted.items():
        value = env.get(str(var))
        if value is None:
            raise SignerError(
                f"header {str(name)!r} needs environment variable {str(var)!r}, which is not set"
            )
        out[str(name)] = value
    return out


def _key(spec: SignerSpec, env: Mapping[str, str]) -> bytes:
    if not spec.key_env:
        raise SignerError(f"signer {spec.kind!r} needs 'key_env' in the plan")
    value = env.get(spec.key_env)
    if not value:
        raise SignerError(
            f"signer {spec.kind!r} needs its key in environment variable {spec.key_env!r}, which is not set"
        )
    encoding = str(spec.options.get("key_encoding", "utf-8")).lower()
    try:
        if encoding == "hex":
            return bytes.fromhex(value.strip())
        if encoding == "base64":
            return base64.b64decode(value.strip(), validate=True)
    except (ValueError, binascii.Error):
        raise SignerError(
            f"environment variable {spec.key_env!r} is not valid {encoding}"
        ) from None
    if encoding not in ("utf-8", "utf8"):
        raise SignerError(f"unknown key_encoding {encoding!r} (want utf-8, hex or base64)")
    return value.encode("utf-8")


def _plugin(kind: str) -> Any:
    if ":" not in kind and not any(ep.name == kind for ep in entry_points(group=ENTRY_POINT_GROUP)):
        raise SignerError(
            f"unknown signer {kind!r}: use {', '.join(BUILTIN)}, a 'module:factory' path, "
            f"or an entry point in group {ENTRY_POINT_GROUP!r}"
        )
    return load_factory(kind, ENTRY_POINT_GROUP, "signer", SignerError)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _remove(tree: Any, path: str) -> Any:
    """A copy of ``tree`` without the field at a dotted path (dict keys only)."""
    head, _, rest = path.partition(".")
    if not isinstance(tree, dict):
        return tree
    if not rest:
        return {k: v for k, v in tree.items() if k != head}
    if head not in tree:
        return tree
    return {**tree, head: _remove(tree[head], rest)}
