"""Sanitizing exchanges: no raw customer data at rest, while every value keeps its shape.

The ingest process runs every captured exchange through a :class:`Sanitizer` before
anything is stored or mirrored. What counts as sensitive, with or without a plan:

- a leaf whose path matches ``plan.sensitive_fields`` (:func:`harness.codecs.fields.matches`:
  full path, rule path or last name, case-insensitive, ``*`` globs; a pattern naming a
  dict or list covers every leaf under it);
- a leaf whose field name says it holds personal data: names, addresses, contacts, in
  English, Chinese and pinyin abbreviations (:func:`harness.sanitize.personal.personal_field`);
- a leaf whose whole value reads as a Chinese personal name or holds a postal address
  (:mod:`harness.sanitize.personal`), except at the paths where codes and messages live;
- with ``plan.sanitize_all_text``, every free-text leaf (a string with at least one
  letter, not a JSON number); with ``sensitive: {default: deny}`` every string leaf
  (``plan.sensitive_default == "deny"``): only ``keep`` stays raw;
- wherever they occur, also inside longer text and in fields nobody listed: mobile and
  other phone numbers (E.164 included), 18-character resident ID numbers (valid or not),
  unified social credit codes, bank card numbers, IBANs, runs of 10 or more digits and
  e-mail addresses, plain or written with spaces or dashes (detectors, see
  :mod:`harness.sanitize.identifiers`); full-width digits count too.

``plan.keep_fields`` wins over everything: such leaves are never changed.

Sensitive values are replaced by pseudonyms that keep their shape (length, per-character
class, GBK and UTF-8 byte length, check-character validity, mobile prefix, card BIN, ID
region and birth year, IBAN country and mod-97 validity); see :mod:`harness.sanitize.pseudonym` for
the mapping. Pseudonyms are deterministic under the key: the same raw value gets the same
pseudonym in every exchange, process and day, so grouping and joining still work on
sanitized data, and echoes match.

- :meth:`Sanitizer.tree` sanitizes a decoded body and returns the raw -> pseudonym map of
  what it replaced; it also scrubs echoes of those raw values from the body's other
  strings. Keep that map in memory only: it is the one place raw values remain.
- :meth:`Sanitizer.text` scrubs a string (a response message, a header value) of echoes of
  known raw values, longest first, and of anything the detectors find.
- :meth:`Sanitizer.error` sanitizes a transport error message: quoted parts (where
  mitmproxy quotes the bytes of a malformed answer) and non-ASCII runs are pseudonymized
  whole, the rest is scrubbed as :meth:`text` does.
- :meth:`Sanitizer.headers` replaces secret header values with ``"[redacted]"``: the
  plan's and the default list (``plan.secret_headers``) and any header whose name says
  secret (:func:`harness.sanitize.personal.secret_header`: token, secret, key, signature, session,
  password, auth...); a header named like personal data is pseudonymized; the detectors run
  over the rest.
- :meth:`Sanitizer.query` sanitizes a request target's query values by the same rules as
  body fields (the parameter name is the path) and path segments (percent-decoded) by the
  detectors and the value rules.

Linear time: every step is linear in the text it looks at. Scrubbing echoes costs the
text's length times the number of raw values replaced; past :data:`ECHO_BUDGET`
character checks for one body (a hostile body with many thousands of replaced values),
every string that would be scrubbed is pseudonymized whole instead.

JSON numbers stay :class:`harness.codecs.JsonNumber` with valid number text. Dict keys are
structure and kept, unless a detector fires on a key (a map keyed by phone numbers).

:func:`load_key` (:mod:`harness.sanitize.keys`) finds the key: ``HARNESS_KEY`` (hex, at least 16
bytes) or a key file (default ``./.harness.key``, created with mode 0600 and 32 random bytes
when missing; an existing key file that others can read is refused).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import unquote_plus, unquote_to_bytes

from harness.codecs import JsonNumber, fields, form_codec
from harness.errors import CodecError, ConfigError
from harness.plan import DEFAULT_CODE_KEYS, DEFAULT_MESSAGE_KEYS, Plan
from harness.sanitize.identifiers import MIN_LENGTH, detect_kind, find_identifiers
from harness.sanitize.keys import DEFAULT_KEY_FILE, load_key
from harness.sanitize.personal import (
    looks_like_address,
    looks_like_cjk_name,
    personal_field,
    secret_header,
)
from harness.sanitize.pseudonym import Pseudonymizer

__all__ = ["DEFAULT_KEY_FILE", "ECHO_BUDGET", "REDACTED", "Sanitizer", "load_key"]

REDACTED = "[redacted]"
ECHO_BUDGET = 20_000_000  # character checks spent scrubbing echoes in one body
_LETTER = re.compile(r"[^\W\d_]")
# Quoted parts (mitmproxy quotes the bytes of a malformed answer) and non-ASCII runs.
_OPAQUE = re.compile(r"b?'[^']*'|b?\"[^\"]*\"|[^\x00-\x7f]+")
_CACHE_LIMIT = 200_000  # entries
_CACHE_MAX_LEN = 256  # longer values (whole free-text bodies) are not worth keeping
# Decisions for a path: keep it, pseudonymize it (a plan pattern: the whole subtree), a
# personal field by its name (that leaf), where codes and messages live, or plain.
_PLAIN, _SENSITIVE, _KEEP, _PERSONAL, _STRUCTURAL = 0, 1, 2, 3, 4
_STRUCTURAL_NAMES = frozenset(k.lower() for k in (*DEFAULT_CODE_KEYS, *DEFAULT_MESSAGE_KEYS))


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


def _field_name(path: str) -> str:
    """The name a leaf is known by: its last name; an XML element's for its ``#text``."""
    try:
        name = fields.name_of(path)
        if name == "#text":
            head = path[: path.rfind(".#text")] if ".#text" in path else ""
            name = fields.name_of(head) if head else ""
    except ConfigError:
        return path.rsplit(".", 1)[-1]
    return name.lstrip("@")


class Sanitizer:
    """Pseudonymizes bodies, headers, messages and query strings under one key and plan."""

    def __init__(self, key: bytes, plan: Plan) -> None:
        if not isinstance(key, (bytes, bytearray)) or len(key) < 16:
            raise ConfigError("the sanitizer key must hold at least 16 bytes")
        self.plan = plan
        self._engine = Pseudonymizer(bytes(key))
        self._sensitive = fields.compile_matcher(plan.sensitive_fields)
        self._keep = fields.compile_matcher(plan.keep_fields)
        self._structural = fields.compile_matcher((*plan.code_paths, *plan.message_paths))
        self._secret = plan.secret_headers
        self._all_text = plan.sanitize_all_text
        self._deny = plan.sensitive_default == "deny"
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

        ``kind`` is ``text``, an identifier kind (``mobile``, ``phone``, ``card``,
        ``id_number``, ``credit_code``, ``iban``, ``email``), ``number`` (the text of a
        JSON number) or None to detect it. A JSON number stays a
        :class:`~harness.codecs.JsonNumber`.
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
        if len(text) < MIN_LENGTH and "@" not in text:
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

    def _personal_value(self, text: str) -> bool:
        """A whole value that is personal data by itself (a person's name, an address)."""
        return looks_like_cjk_name(text) or looks_like_address(text)

    def text(self, s: str | None, replaced: dict[str, str] | None = None) -> str | None:
        """Scrub ``s``: echoes of ``replaced``'s raw values (longest first), then detectors."""
        if not s:
            return s
        echoes = _echo_list(replaced)
        if len(s) * len(echoes) > ECHO_BUDGET:
            return self.value(s)
        return self._scrub(s, echoes, None)

    def error(self, s: str | None, replaced: dict[str, str] | None = None) -> str | None:
        """A transport error message, safe to store (see the module docstring)."""
        if not s:
            return s

        def whole(m: re.Match[str]) -> str:
            return self.value(m.group(0))

        return self.text(_OPAQUE.sub(whole, s), replaced)

    def _scrub(self, s: str, echoes: list[tuple[str, str]], record: dict[str, str] | None) -> str:
        spans: list[tuple[int, int, str]] = []
        taken: bytearray | None = None
        for raw, new in echoes:
            start = s.find(raw)
            if start < 0:
                continue
            if taken is None:
                taken = bytearray(len(s))
            while start >= 0:
                end = start + len(raw)
                if not any(taken[start:end]):
                    taken[start:end] = b"\x01" * (end - start)
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
        if echoes and len(echoes) * sum(len(c[k]) for c, k in others) > ECHO_BUDGET:
            for container, key in others:  # hostile: too many values to look for
                raw = container[key]
                new = self.value(raw)
                if new != raw:
                    replaced[raw] = new
                container[key] = new
            return root[0], replaced
        for container, key in others:
            s = container[key]
            if echoes or len(s) >= MIN_LENGTH or "@" in s:
                container[key] = self._scrub(s, echoes, replaced)
        return root[0], replaced

    def _decide(self, path: str) -> int:
        """How a path is treated (cached: paths repeat across exchanges)."""
        decision = self._decisions.get(path)
        if decision is None:
            if len(self._decisions) >= _CACHE_LIMIT:
                self._decisions.clear()
            if path and self._keep(path):
                decision = _KEEP
            elif path and self._sensitive(path):
                decision = _SENSITIVE
            elif path and self._structural_path(path):
                decision = _STRUCTURAL
            elif path and personal_field(_field_name(path)):
                decision = _PERSONAL
            else:
                decision = _PLAIN
            self._decisions[path] = decision
        return decision

    def _structural_path(self, path: str) -> bool:
        """Where a code or a message lives (the plan's paths, or a default name)."""
        return self._structural(path) or _field_name(path).lower() in _STRUCTURAL_NAMES

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
                if isinstance(k, str) and (len(k) >= MIN_LENGTH or "@" in k):
                    nk = self._detect(k, replaced)
                child = fields.join(path, nk)
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
        whole = sensitive or decision in (_SENSITIVE, _PERSONAL)
        if isinstance(node, JsonNumber):
            if whole:
                new_leaf = self.value(node)
                if new_leaf != node:
                    replaced[str(node)] = str(new_leaf)
                container[key] = new_leaf
            elif len(node) >= MIN_LENGTH:
                container[key] = self._detect_number(node, replaced)
            return
        if not whole and decision != _STRUCTURAL:
            whole = (
                self._deny
                or (self._all_text and _LETTER.search(node) is not None)
                or self._personal_value(node)
            )
        if whole:
            new_leaf = self.value(node)
            if new_leaf != node:
                replaced[node] = new_leaf
            container[key] = new_leaf
            return
        others.append((container, key))

    # -- headers and query strings --------------------------------------------------------

    def headers(self, pairs: Iterable[Sequence[str]]) -> list[tuple[str, str]]:
        """Header pairs with secrets redacted and personal data and identifiers replaced."""
        out = []
        for pair in pairs:
            name, value = str(pair[0]), str(pair[1])
            if name.lower() in self._secret or secret_header(name):
                out.append((name, REDACTED))
            elif personal_field(name) and value:
                out.append((name, self.value(value)))
            elif "?" in value and "/" in value:  # a URL (Location, Referer): its query
                out.append((name, self.query(value)))
            else:
                out.append((name, self._detect(value)))
        return out

    def query(self, path: str) -> str:
        """A request target with its query values and its path segments sanitized."""
        base, qmark, rest = path.partition("?")
        query, hash_, fragment = rest.partition("#")
        base = "/".join(self._segment(seg) for seg in base.split("/"))
        if not qmark:
            return base
        parts = []
        for token in query.split("&"):
            name, eq, value = token.partition("=")
            if eq and value:
                value = self._query_value(name, value)
            parts.append(name + eq + value)
        return base + "?" + "&".join(parts) + hash_ + fragment

    def _segment(self, seg: str) -> str:
        """One path segment: identifiers, a name or an address in it (percent-decoded)."""
        if not seg:
            return seg
        if "%" not in seg:
            if self._personal_value(seg):
                return self.value(seg)
            return self._detect(seg)
        decoded = _percent_decode(seg)
        if decoded is None:
            return seg
        text, codec = decoded
        new = self.value(text) if self._personal_value(text) else self._detect(text)
        if new == text:
            return seg
        try:
            return url_quote(new.encode(codec), safe="")
        except UnicodeEncodeError:
            return REDACTED

    def _query_value(self, name: str, raw_value: str) -> str:
        key = unquote_plus(name, errors="replace")
        decision = self._decide(key)
        if decision == _KEEP:
            return raw_value
        decoded = _percent_decode(raw_value.replace("+", " "))
        if decoded is None:
            return REDACTED  # not text in any charset we know: nobody can tell what it is
        text, codec = decoded
        if (
            decision in (_SENSITIVE, _PERSONAL)
            or (decision != _STRUCTURAL and (self._deny or self._personal_value(text)))
            or (self._all_text and _LETTER.search(text))
        ):
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


def _percent_decode(text: str) -> tuple[str, str] | None:
    """Percent-decoded text and the charset it decoded in (UTF-8, else GB18030)."""
    raw_bytes = unquote_to_bytes(text)
    for codec in ("utf-8", "gb18030"):
        try:
            return raw_bytes.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return None


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node
