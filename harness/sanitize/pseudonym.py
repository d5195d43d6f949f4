"""Shape-preserving pseudonyms: the character-level engine under :mod:`harness.sanitize`.

A pseudonym has the raw value's *shape* — what a validation rule looks at — and nothing
else of it:

- **per character**, within the character's pool: ASCII upper -> upper, lower -> lower,
  digit -> digit; a full-width letter or digit -> a full-width one of the same kind; a CJK
  ideograph -> an ideograph of the same pool: GB2312 level 1, GB2312 level 2, GBK outside
  GB2312, BMP outside GBK, astral (so GBK byte width, GB2312 membership and UTF-8 length
  all hold); letters of other scripts -> letters of the same script, category, UTF-8
  length, GBK width and GB2312 membership (Latin with accents, kana, Hangul, Cyrillic...),
  and of the same character classes and named sets (:func:`harness.text.charsets.shape_key`: a
  large kana stays large, a Latin-1 letter stays in Latin-1).
  Punctuation (half-width, full-width, CJK), spaces, symbols (emoji included), marks and
  control characters are kept exactly, as are letters whose pool has one member.
- **identifiers** keep what rules check: a mobile number keeps its first 3 digits; a card
  number its first 6 (the BIN) and its Luhn validity; a resident ID number its region (6
  digits), birth year, sex digit parity, whether its birth date is a real date, and the
  validity of its check character; a credit code its first 2 characters, the class (digit or letter) of each
  character and the validity of its check character; an e-mail keeps ``@``, dots and its
  top-level domain. A valid identifier stays valid, an invalid one stays invalid (with a
  different wrong check character).
- **deterministic**: the pseudonym is a function of HMAC-SHA256(key, kind + raw value),
  expanded with SHAKE-256 into one 16-bit word per character (one HMAC per value, not per
  character). Equal raw values give equal pseudonyms across exchanges, processes and days.
- **never the raw value** when at least 4 characters are replaceable: a pseudonym equal to
  its raw value is drawn again with a counter (a value with nothing replaceable, all
  punctuation, is returned at once).
- **linear time** in the length of the value.

Pools are computed once per process, lazily (about 0.1 s for the BMP; an astral plane when
its first character is met). The CJK pools come from fixed code point ranges and the GBK
and GB2312 codecs, so they do not change with the Python version; pools of other scripts
follow Python's Unicode database, so a Python upgrade may change those pseudonyms.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import sys
import threading
import unicodedata
from array import array
from collections.abc import Callable

from harness.sanitize.identifiers import (
    FOLD_FULLWIDTH,
    IDENTIFIER_KINDS,
    SEPARATORS,
    compact,
    detect_kind,
    find_identifiers,
)
from harness.text.charclass import gb2312_level, gbk_width, in_gb2312, is_cjk
from harness.text.charsets import shape_key
from harness.text.checksums import (
    CREDIT_ALPHABET,
    Checksum,
    credit_code_check,
    iban_check_digits,
    id_birth_date,
    id_number_check,
    is_iban,
    is_luhn,
    luhn_check,
    plugged,
)

__all__ = ["KINDS", "Pseudonymizer", "detect_kind", "find_identifiers", "pool_of"]

KINDS = ("text", *IDENTIFIER_KINDS)

# --- character pools --------------------------------------------------------------------

_POOL_OF: dict[str, str] = {}
_SCANNED: set[int] = set()
_LOCK = threading.Lock()

# Ideograph ranges assigned since Unicode 3.1: stable pools whatever the Python version.
_CJK_BMP_RANGES = ((0x3400, 0x4DB5), (0x4E00, 0x9FA5), (0xF900, 0xFA2D))
_CJK_ASTRAL_RANGE = (0x20000, 0x2A6D6)
_TWO_WORD_SCRIPTS = frozenset(
    {
        "FULLWIDTH",
        "HALFWIDTH",
        "MATHEMATICAL",
        "MODIFIER",
        "SMALL",
        "CIRCLED",
        "PARENTHESIZED",
        "SQUARED",
    }
)


def _cjk_key(ch: str) -> str:
    if ord(ch) > 0xFFFF:
        return "cjk:astral"
    # Every named set an ideograph is in (Shift_JIS, JIS X 0208 ...) stays true of its pseudonym.
    sets = ",".join(sorted(shape_key(ch)[1] - {"gb2312", "gbk"}))
    level = gb2312_level(ch)
    if level:
        return f"cjk:gb2312-{level}:{sets}"
    if gbk_width(ch):
        return f"cjk:gbk:{sets}"
    # Outside GBK: GB18030 writes most in 4 bytes, a few (once in GBK's private area) in 2.
    return f"cjk:bmp-{_gb18030_len(ch)}:{sets}"


def _gb18030_len(ch: str) -> int:
    try:
        return len(ch.encode("gb18030"))
    except UnicodeEncodeError:
        return 0


def _key(ch: str) -> object | None:
    cat = unicodedata.category(ch)
    if cat[0] != "L" and cat != "Nd":
        return None
    if is_cjk(ch):
        return _cjk_key(ch)
    words = unicodedata.name(ch, "?").split()
    script = words[0]
    if script in _TWO_WORD_SCRIPTS and len(words) > 1:
        script += " " + words[1]
    return (
        cat,
        script,
        len(ch.encode("utf-8")),
        gbk_width(ch),
        in_gb2312(ch),
        _gb18030_len(ch),
        shape_key(ch),  # classes and named-set memberships: small kana stay small
    )


_FIXED: dict[str, str] = {}


def _fixed_pools() -> dict[str, str]:
    """The CJK pools, from fixed ranges (built once)."""
    if not _FIXED:
        pools: dict[str, list[str]] = {}
        for lo, hi in _CJK_BMP_RANGES:
            for cp in range(lo, hi + 1):
                ch = chr(cp)
                pools.setdefault(_cjk_key(ch), []).append(ch)
        lo, hi = _CJK_ASTRAL_RANGE
        pools["cjk:astral"] = [chr(cp) for cp in range(lo, hi + 1)]
        _FIXED.update({k: "".join(v) for k, v in pools.items()})
    return _FIXED


def _scan(plane: int) -> None:
    """Assign a pool to every replaceable character of one plane."""
    fixed = _fixed_pools()
    pools: dict[object, list[str]] = {}
    members: dict[str, object] = {}
    start = plane << 16
    for cp in range(start, start + 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        key = _key(ch)
        if key is None:
            continue
        members[ch] = key
        if not isinstance(key, str):
            pools.setdefault(key, []).append(ch)
    frozen = {k: "".join(v) for k, v in pools.items()}
    for ch, key in members.items():
        pool = fixed[key] if isinstance(key, str) else frozen[key]
        if len(pool) > 1:
            _POOL_OF[ch] = pool
    _SCANNED.add(plane)


def _ensure(plane: int) -> None:
    if plane in _SCANNED:
        return
    with _LOCK:
        if plane not in _SCANNED:
            _scan(plane)


def pool_of(ch: str) -> str | None:
    """The pool ``ch`` is pseudonymized within, or None when it is kept as is."""
    pool = _POOL_OF.get(ch)
    if pool is not None:
        return pool
    plane = ord(ch) >> 16
    if plane not in _SCANNED:
        _ensure(plane)
        return _POOL_OF.get(ch)
    return None


_CREDIT_LETTERS = "".join(c for c in CREDIT_ALPHABET if c.isalpha())
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5)  # GB 11643, positions 1-14
_ID_CHECK = "10X98765432"
_FULL_ASCII = FOLD_FULLWIDTH


# --- the engine -------------------------------------------------------------------------

_BIG_ENDIAN = sys.byteorder == "big"
_MAX_ATTEMPTS = 32


class _Stream:
    """16-bit words derived from one HMAC: SHAKE-256(seed + tag)."""

    __slots__ = ("seed",)

    def __init__(self, seed: bytes) -> None:
        self.seed = seed

    def words(self, n: int, tag: int = 0) -> array[int]:
        buf = hashlib.shake_256(self.seed + tag.to_bytes(4, "big")).digest(2 * max(n, 1))
        out = array("H", buf)
        if _BIG_ENDIAN:
            out.byteswap()
        return out


def _map_chars(s: str, words: array[int], offset: int = 0, number: bool = False) -> str:
    """Map every replaceable character of ``s`` within its pool."""
    out = []
    get = _POOL_OF.get
    first_digit = number
    for i, ch in enumerate(s):
        pool = get(ch)
        if pool is None and ch > "\uffff":
            pool = pool_of(ch)
        if pool is None:
            out.append(ch)
            continue
        if number:
            if not ("0" <= ch <= "9"):
                out.append(ch)  # exponent letters, signs and points stay
                continue
            if first_digit:
                first_digit = False
                out.append(ch if ch == "0" else "123456789"[words[offset + i] % 9])
                continue
        out.append(pool[words[offset + i] % len(pool)])
    return "".join(out)


def _keep_checks(raw: str, out: str, extra: list[Checksum], remap: Callable[[int], str]) -> str:
    """``out`` passing (or failing) every plugged-in checksum ``raw`` passes (or fails):
    repaired when it should pass, mapped afresh when it should fail (the built-in
    identifiers keep theirs in their own mappers)."""
    for checksum in extra:
        want = checksum.test(raw)
        if checksum.test(out) == want:
            continue
        if want:
            fixed = checksum.repair(out)
            if fixed is not None and checksum.test(fixed):
                out = fixed
            continue
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            other = remap(_MAX_ATTEMPTS + attempt)
            if not checksum.test(other):
                out = other
                break
    return out


def replaceable(s: str) -> int:
    """How many characters of ``s`` a pseudonym can change."""
    return sum(1 for ch in s if pool_of(ch) is not None)


class Pseudonymizer:
    """Keyed, deterministic, shape-preserving pseudonyms for values of each kind."""

    def __init__(self, key: bytes) -> None:
        self._key = bytes(key)
        self._mappers: dict[str, Callable[[str, _Stream, int], str]] = {
            "text": self._text,
            "number": self._number,
            "mobile": self._mobile,
            "card": self._card,
            "id_number": self._id_number,
            "credit_code": self._credit_code,
            "email": self._email,
            "iban": self._iban,
            "phone": self._phone,
        }
        _ensure(0)

    def _stream(self, kind: str, raw: str) -> _Stream:
        msg = kind.encode("ascii") + b"\x00" + raw.encode("utf-8", "surrogatepass")
        return _Stream(hmac.digest(self._key, msg, "sha256"))

    def pseudonym(self, raw: str, kind: str = "text", verified: bool = False) -> str:
        """The pseudonym of ``raw`` as a value of ``kind``.

        ``kind`` is one of :data:`KINDS`, or ``number`` for the text of a JSON number
        (digits only change, and a leading digit stays non-zero). An identifier kind that
        does not fit ``raw`` falls back to ``text`` (``verified``: the caller has just
        detected ``kind`` on ``raw``, skip checking it again).
        """
        if not raw:
            return raw
        if kind == "number":
            kind = detect_kind(raw) or "number"
        elif kind not in ("text", "email") and any(c in raw for c in SEPARATORS):
            return self._formatted(raw, kind, verified)
        elif kind != "text" and not verified and detect_kind(raw.translate(_FULL_ASCII)) != kind:
            kind = "text"
        mapper = self._mappers.get(kind, self._text)
        stream = self._stream(kind, raw)
        out = raw
        for attempt in range(_MAX_ATTEMPTS):
            out = mapper(raw, stream, attempt)
            if out != raw or (attempt == 0 and not replaceable(raw)):
                break
        extra = plugged()
        if extra:
            out = _keep_checks(raw, out, extra, lambda a: mapper(raw, stream, a))
        return out

    def _formatted(self, raw: str, kind: str, verified: bool) -> str:
        """An identifier written with spaces or dashes: map its compact form, put them back."""
        bare = compact(raw)
        if not verified and detect_kind(bare.translate(_FULL_ASCII)) != kind:
            return self.pseudonym(raw, "text")
        new = iter(self.pseudonym(bare, kind, verified=True))
        return "".join(c if c in SEPARATORS else next(new) for c in raw)

    # -- kinds --

    def _text(self, raw: str, stream: _Stream, attempt: int) -> str:
        """Free text: identifiers inside keep their own pseudonyms, the rest per character."""
        words = stream.words(len(raw), attempt)
        spans = find_identifiers(raw)
        if not spans:
            return _map_chars(raw, words)
        out = []
        pos = 0
        for start, end, kind in spans:
            if start > pos:
                out.append(_map_chars(raw[pos:start], words, pos))
            out.append(self.pseudonym(raw[start:end], kind, verified=True))
            pos = end
        if pos < len(raw):
            out.append(_map_chars(raw[pos:], words, pos))
        return "".join(out)

    def _number(self, raw: str, stream: _Stream, attempt: int) -> str:
        return _map_chars(raw, stream.words(len(raw), attempt), number=True)

    def _mobile(self, raw: str, stream: _Stream, attempt: int) -> str:
        keep = len(raw) - 8  # "138" or "86138"
        return raw[:keep] + _rewiden(
            _digits(raw[keep:].translate(_FULL_ASCII), stream, attempt), raw[keep:]
        )

    def _card(self, raw: str, stream: _Stream, attempt: int) -> str:
        half = raw.translate(_FULL_ASCII)
        body = half[:6] + _digits(half[6:-1], stream, attempt)
        check = luhn_check(body)
        if not is_luhn(half):
            check = str((int(check) + 1 + stream.words(1, 1000 + attempt)[0] % 9) % 10)
        return _rewiden(body + check, raw)

    def _id_number(self, raw: str, stream: _Stream, attempt: int) -> str:
        half = raw.translate(_FULL_ASCII)
        region, date, seq, check = half[:6], half[6:14], half[14:17], half[17]
        check_ok = check == id_number_check(half[:17])
        words = stream.words(8, attempt)
        born = id_birth_date(date)
        if born is not None:
            month = 1 + words[0] % 12
            day = 1 + words[1] % calendar.monthrange(born.year, month)[1]
            new_date = f"{born.year:04d}{month:02d}{day:02d}"
        else:
            # Not a date: keep the year, redraw month and day until it is still not one.
            new_date = date[:4] + "00" + date[6:]
            for tag in range(16):
                cand = date[:4] + _digits(date[4:], stream, 2000 + attempt * 16 + tag)
                if id_birth_date(cand) is None:
                    new_date = cand
                    break
        want_x = check in "Xx"
        parity = (0, 2, 4, 6, 8) if (ord(seq[2]) - 48) % 2 == 0 else (1, 3, 5, 7, 9)
        head = region + new_date
        partial = sum([(ord(c) - 48) * w for c, w in zip(head, _ID_WEIGHTS, strict=True)])
        fallback = None
        for block in range(16):  # 16 draws per block; a fitting sequence is nearly certain
            w = stream.words(48, 3000 + attempt * 16 + block)
            for j in range(0, 48, 3):
                a, b, c = w[j] % 10, w[j + 1] % 10, parity[w[j + 2] % 5]
                right = _ID_CHECK[(partial + a * 8 + b * 4 + c * 2) % 11]
                body = f"{head}{a}{b}{c}"
                if check_ok:
                    fallback = fallback or body + right
                    if (right == "X") == want_x:
                        return _rewiden(body + right, raw)
                elif want_x:
                    if right != "X":  # keep the letter, and keep it wrong
                        return _rewiden(body + check, raw)
                else:
                    wrong = [d for d in "0123456789" if d != right]
                    return _rewiden(body + wrong[w[j] % 9], raw)
        return _rewiden(fallback or half, raw)

    def _credit_code(self, raw: str, stream: _Stream, attempt: int) -> str:
        half = raw.translate(_FULL_ASCII)
        check = half[17]
        check_ok = credit_code_check(half[:17]) == check
        want_digit = check.isdigit()
        pool = "0123456789" if want_digit else _CREDIT_LETTERS
        fallback = None
        for tag in range(256):
            w = stream.words(18, attempt * 256 + tag)
            body = half[:2] + "".join(
                _pick("0123456789" if c.isdigit() else _CREDIT_LETTERS, w[i])
                for i, c in enumerate(half[2:17], 2)
            )
            right = credit_code_check(body)
            if not check_ok:
                wrong = [c for c in pool if c != right]
                return _rewiden(body + wrong[w[17] % len(wrong)], raw)
            fallback = fallback or body + right
            if right.isdigit() == want_digit:
                return _rewiden(body + right, raw)
        return _rewiden(fallback or half, raw)

    def _email(self, raw: str, stream: _Stream, attempt: int) -> str:
        local, _, domain = raw.rpartition("@")
        words = stream.words(len(raw), attempt)
        labels = domain.split(".")
        keep = 1
        if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2].lower() in _GENERIC_SLD:
            keep = 2  # example.com.cn: keep "com.cn"
        out = [_map_chars(local, words), "@"]
        pos = len(local) + 1
        for label in labels[:-keep]:
            out.append(_map_chars(label, words, pos) + ".")
            pos += len(label) + 1
        out.append(".".join(labels[-keep:]))
        return "".join(out)

    def _iban(self, raw: str, stream: _Stream, attempt: int) -> str:
        half = raw.translate(_FULL_ASCII)
        country, check, bban = half[:2], half[2:4], half[4:]
        words = stream.words(len(bban) + 1, attempt)
        new_bban = "".join(
            _pick("0123456789" if c.isdigit() else _IBAN_LETTERS, words[i])
            for i, c in enumerate(bban)
        )
        right = iban_check_digits(country, new_bban)
        if not is_iban(half):  # keep it invalid: any other two digits
            right = f"{(int(right) + 1 + words[-1] % 97) % 100:02d}"
            if right == iban_check_digits(country, new_bban):
                right = f"{(int(right) + 1) % 100:02d}"
        del check
        return _rewiden(country + right + new_bban, raw)

    def _phone(self, raw: str, stream: _Stream, attempt: int) -> str:
        half = raw.translate(_FULL_ASCII)
        keep = 3 if half[:1] == "+" else 2  # "+" and the country code's first digits
        return _rewiden(half[:keep] + _digits(half[keep:], stream, attempt), raw)


_IBAN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GENERIC_SLD = frozenset({"com", "net", "org", "edu", "gov", "ac", "co"})


def _pick(pool: str, word: int) -> str:
    return pool[word % len(pool)]


def _digits(s: str, stream: _Stream, tag: int) -> str:
    w = stream.words(len(s), tag)
    return "".join("0123456789"[w[i] % 10] for i in range(len(s)))


def _rewiden(new: str, raw: str) -> str:
    """Put full-width characters back where ``raw`` had them."""
    if raw.isascii():
        return new
    return "".join(
        chr(ord(n) + 0xFEE0) if 0xFF01 <= ord(r) <= 0xFF5E else n
        for n, r in zip(new, raw, strict=True)
    )
