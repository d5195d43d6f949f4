"""Sanitizing exchanges: no raw customer data at rest, while every value keeps its shape.

The ingest process runs every captured exchange through a :class:`Sanitizer` before
anything is stored or mirrored. What counts as sensitive:

- a leaf whose path matches ``plan.sensitive_fields`` (:func:`harness.fields.matches`:
  full path, rule path or last name, case-insensitive, ``*`` globs; a pattern naming a
  dict or list covers every leaf under it);
- with ``plan.sanitize_all_text``, every free-text leaf (a string with at least one
  letter, not a JSON number) whose path does not match ``plan.keep_fields``;
- wherever they occur, also inside longer text and in fields nobody listed: mobile
  numbers, 18-character resident ID numbers (valid or not), unified social credit codes,
  bank card numbers (13-19 digits) and e-mail addresses (detectors, see
  :mod:`harness.identifiers`); full-width digits count too.

``plan.keep_fields`` wins over everything: such leaves are never changed.

Sensitive values are replaced by pseudonyms that keep their shape (length, per-character
class, GBK and UTF-8 byte length, check-character validity, mobile prefix, card BIN, ID
region and birth year); see :mod:`harness.pseudonym` for the mapping. Pseudonyms are
deterministic under the key: the same raw value gets the same pseudonym in every exchange,
process and day, so grouping and joining still work on sanitized data, and echoes match.

- :meth:`Sanitizer.tree` sanitizes a decoded body and returns the raw -> pseudonym map of
  what it replaced; it also scrubs echoes of those raw values from the body's other
  strings. Keep that map in memory only: it is the one place raw values remain.
- :meth:`Sanitizer.text` scrubs a string (a response message, a header value) of echoes of
  known raw values, longest first, and of anything the detectors find.
- :meth:`Sanitizer.headers` replaces secret header values (``plan.secret_headers``:
  authorization, cookies, signatures, tokens, the plan's own) with ``"[redacted]"`` and
  runs the detectors over the rest.
- :meth:`Sanitizer.query` sanitizes a request target's query values by the same rules as
  body fields (the parameter name is the path) and path segments by the detectors.

JSON numbers stay :class:`harness.codecs.JsonNumber` with valid number text. Dict keys are
structure and kept, unless a detector fires on a key (a map keyed by phone numbers).

:func:`load_key` finds the key: ``HARNESS_KEY`` (hex, at least 16 bytes) or a key file
(default ``./.harness.key``, created with mode 0600 and 32 random bytes when missing).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, unquote_to_bytes

from harness import fields
from harness.codecs import JsonNumber, form_codec
from harness.errors import CodecError, ConfigError
from harness.identifiers import detect_kind, find_identifiers
from harness.plan import Plan
from harness.pseudonym import Pseudonymizer

__all__ = ["REDACTED", "Sanitizer", "load_key"]

REDACTED = "[redacted]"
DEFAULT_KEY_FILE = ".harness.key"
_LETTER = re.compile(r"[^\W\d_]")
_CACHE_LIMIT = 200_000  # entries
_CACHE_MAX_LEN = 256  # longer values (whole free-text bodies) are not worth keeping
_PLAIN, _SENSITIVE, _KEEP = 0, 1, 2


def _echo_worthy(raw: str) -> bool:
    """Long enough that finding it inside other text is not a coincidence."""
    return len(raw) >= 4 or (len(raw) >= 2 and not raw.isascii())


def _echo_list(replaced: dict[str, str] | None) -> list[tuple[str, str]]:
    """The raw values worth scrubbing as echoes, longest first."""
    if not replaced:
        return []
    return sorted(
        ((r, p) for r, p in replaced.items() if _echo_worthy(r)), key=lambda rp: -len(rp[0])
    )


class Sanitizer:
    """Pseudonymizes bodies, headers, messages and query strings under one key and plan."""

    def __init__(self, key: bytes, plan: Plan) -> None:
        if not isinstance(key, (bytes, bytearray)) or len(key) < 16:
            raise ConfigError("the sanitizer key must hold at least 16 bytes")
        self.plan = plan
        self._engine = Pseudonymizer(bytes(key))
        self._sensitive = fields.compile_matcher(plan.sensitive_fields)
        self._keep = fields.compile_matcher(plan.keep_fields)
        self._secret = plan.secret_headers
        self._all_text = plan.sanitize_all_text
        self._cache: dict[tuple[str, str], str] = {}
        self._decisions: dict[str, int] = {}

    # -- values ---------------------------------------------------------------------------

    def _pseudonym(self, raw: str, kind: str, verified: bool = True) -> str:
        if len(raw) > _CACHE_MAX_LEN:
            return self._engine.pseudonym(raw, kind, verified)
        key = (kind, raw)
        out = self._cache.get(key)
        if out is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            out = self._engine.pseudonym(raw, kind, verified)
            self._cache[key] = out
        return out

    def value(self, text: str, kind: str | None = None) -> str:
        """The pseudonym of a whole value.

        ``kind`` is ``text``, ``mobile``, ``card``, ``id_number``, ``credit_code``,
        ``email``, ``number`` (the text of a JSON number) or None to detect it. A JSON
        number stays a :class:`~harness.codecs.JsonNumber`.
        """
        if not text:
            return text
        if isinstance(text, JsonNumber):
            return JsonNumber(self._pseudonym(str(text), "number"))
        if kind is None:
            return self._pseudonym(text, detect_kind(text) or "text")
        return self._pseudonym(text, kind, verified=False)

    def _detect(self, text: str, replaced: dict[str, str] | None = None) -> str:
        """Replace only the identifiers found inside ``text``."""
        if len(text) < 11 and "@" not in text:
            return text
        spans = find_identifiers(text)
        if not spans:
            return text
        out = []
        pos = 0
        for start, end, kind in spans:
            raw = text[start:end]
            new = self._pseudonym(raw, kind)
            if replaced is not None:
                replaced[raw] = new
            out.append(text[pos:start])
            out.append(new)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _detect_number(self, text: JsonNumber, replaced: dict[str, str]) -> str:
        kind = detect_kind(str(text))
        if kind is None:
            return text
        new = JsonNumber(self._pseudonym(str(text), kind))
        replaced[str(text)] = str(new)
        return new

    def text(self, s: str | None, replaced: dict[str, str] | None = None) -> str | None:
        """Scrub ``s``: echoes of ``replaced``'s raw values (longest first), then detectors."""
        if not s:
            return s
        return self._scrub(s, _echo_list(replaced), None)

    def _scrub(self, s: str, echoes: list[tuple[str, str]], record: dict[str, str] | None) -> str:
        spans: list[tuple[int, int, str]] = []
        for raw, new in echoes:
            if raw not in s:
                continue
            start = s.find(raw)
            while start >= 0:
                end = start + len(raw)
                if all(end <= a or start >= b for a, b, _ in spans):
                    spans.append((start, end, new))
                start = s.find(raw, end)
        if not spans:
            return self._detect(s, record)
        spans.sort()
        out = []
        pos = 0
        for start, end, new in spans:
            out.append(self._detect(s[pos:start], record))
            out.append(new)
            pos = end
        out.append(self._detect(s[pos:], record))
        return "".join(out)

    # -- trees ----------------------------------------------------------------------------

    def tree(self, tree: Any, known: dict[str, str] | None = None) -> tuple[Any, dict[str, str]]:
        """A sanitized copy of a decoded body, and the raw -> pseudonym map of what changed.

        ``known`` adds raw values replaced elsewhere (e.g. the request's map when
        sanitizing its response) whose echoes are scrubbed too; they are not added to the
        returned map. ``tree`` itself is not modified.
        """
        replaced: dict[str, str] = {}
        others: list[tuple[Any, Any]] = []  # (container, key) of free strings, scrubbed last
        root: list[Any] = [None]
        self._visit(root, 0, tree, "", self._decide(""), False, replaced, others)
        echoes = _echo_list({**known, **replaced} if known else replaced)
        for container, key in others:
            s = container[key]
            if echoes or len(s) >= 11 or "@" in s:
                container[key] = self._scrub(s, echoes, replaced)
        return root[0], replaced

    def _decide(self, path: str) -> int:
        """_KEEP, _SENSITIVE or _PLAIN for a path (cached: paths repeat across exchanges)."""
        decision = self._decisions.get(path)
        if decision is None:
            if len(self._decisions) >= _CACHE_LIMIT:
                self._decisions.clear()
            if path and self._keep(path):
                decision = _KEEP
            elif path and self._sensitive(path):
                decision = _SENSITIVE
            else:
                decision = _PLAIN
            self._decisions[path] = decision
        return decision

    def _visit(
        self,
        container: Any,
        key: Any,
        node: Any,
        path: str,
        decision: int,
        sensitive: bool,
        replaced: dict[str, str],
        others: list[tuple[Any, Any]],
    ) -> None:
        """Put the sanitized ``node`` at ``container[key]``."""
        if decision == _KEEP:
            container[key] = _copy(node)
            return
        if isinstance(node, dict):
            sensitive = sensitive or decision == _SENSITIVE
            new: dict[Any, Any] = {}
            container[key] = new
            for k, v in node.items():
                nk = k
                if isinstance(k, str) and (len(k) >= 11 or "@" in k):
                    nk = self._detect(k, replaced)
                child = fields.join(path, k)
                self._visit(new, nk, v, child, self._decide(child), sensitive, replaced, others)
            return
        if isinstance(node, list):
            sensitive = sensitive or decision == _SENSITIVE
            items: list[Any] = [None] * len(node)
            container[key] = items
            for i, v in enumerate(node):
                child = f"{path}[{i}]"
                self._visit(items, i, v, child, self._decide(child), sensitive, replaced, others)
            return
        container[key] = node
        if not isinstance(node, str) or not node:
            return
        if isinstance(node, JsonNumber):
            if sensitive or decision == _SENSITIVE:
                new_leaf = self.value(node)
                if new_leaf != node:
                    replaced[str(node)] = str(new_leaf)
                container[key] = new_leaf
            elif len(node) >= 11:
                container[key] = self._detect_number(node, replaced)
            return
        if sensitive or decision == _SENSITIVE or (self._all_text and _LETTER.search(node)):
            new_leaf = self.value(node)
            if new_leaf != node:
                replaced[node] = new_leaf
            container[key] = new_leaf
            return
        others.append((container, key))

    # -- headers and query strings --------------------------------------------------------

    def headers(self, pairs: Iterable[Sequence[str]]) -> list[tuple[str, str]]:
        """Header pairs with secrets redacted and identifiers in other values replaced."""
        out = []
        for pair in pairs:
            name, value = str(pair[0]), str(pair[1])
            if name.lower() in self._secret:
                out.append((name, REDACTED))
            else:
                out.append((name, self._detect(value)))
        return out

    def query(self, path: str) -> str:
        """A request target with its query values and identifiers in its path sanitized."""
        base, qmark, rest = path.partition("?")
        query, hash_, fragment = rest.partition("#")
        base = "/".join(self._detect(seg) for seg in base.split("/"))
        if not qmark:
            return base
        parts = []
        for token in query.split("&"):
            name, eq, value = token.partition("=")
            if eq and value:
                value = self._query_value(name, value)
            parts.append(name + eq + value)
        return base + "?" + "&".join(parts) + hash_ + fragment

    def _query_value(self, name: str, raw_value: str) -> str:
        key = unquote_plus(name, errors="replace")
        if self._keep(key):
            return raw_value
        raw_bytes = unquote_to_bytes(raw_value.replace("+", " "))
        decoded = None
        for codec in ("utf-8", "gb18030"):
            try:
                decoded = (raw_bytes.decode(codec), codec)
                break
            except UnicodeDecodeError:
                continue
        if decoded is None:
            return raw_value
        text, codec = decoded
        if self._sensitive(key) or (self._all_text and _LETTER.search(text)):
            new = self.value(text)
        else:
            new = self._detect(text)
        if new == text:
            return raw_value
        style = form_codec.infer_style([(b"", raw_value.encode("latin-1", "replace"))])
        try:
            return form_codec.quote(new, codec, style).decode("latin-1")
        except CodecError:
            return REDACTED


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def load_key(path: str | os.PathLike[str] | None = None) -> bytes:
    """The sanitizer key: ``HARNESS_KEY`` (hex), else the key file, created when missing.

    The key file holds the key in hex; a new one gets 32 random bytes and mode 0600. Bad
    values raise :class:`harness.errors.ConfigError` (the message never shows the key).
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
        text = p.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read key file {str(p)!r}: {type(exc).__name__}") from None
    return _parse_key(text, f"key file {str(p)!r}")


def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigError(f"{where} does not hold a hex key") from None
    if len(key) < 16:
        raise ConfigError(f"{where} holds {len(key)} bytes; a key needs at least 16")
    return key
