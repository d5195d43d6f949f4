"""Character classes: what a bank's field validation looks at, one character at a time.

A validation rule rarely says "no English characters"; it rejects half-width parentheses, a
character outside GB2312, a value longer than 60 GBK bytes. This module names those classes so
that the learner, the rules and the sanitizer speak about characters the same way.

:func:`classes` returns a frozenset of class names for one character:

=====================  =================================================================
``ascii_upper``        ``A``-``Z``
``ascii_lower``        ``a``-``z``
``ascii_digit``        ``0``-``9``
``ascii_punct``        printable ASCII punctuation and symbols (``!``-``/``, ``:``-``@``, ...)
``ascii_space``        the ASCII space (tab, newline and friends are ``control``)
``fullwidth_form``     U+FF01..U+FF5E, the full-width forms of ASCII 0x21..0x7E (+0xFEE0)
``fullwidth_upper`` / ``fullwidth_lower`` / ``fullwidth_digit`` / ``fullwidth_punct``
                       the kind of a full-width form, mirroring its ASCII counterpart
``fullwidth_space``    U+3000, the ideographic (full-width) space
``cjk_punct``          punctuation of Chinese text: （）【】《》，。；：“”‘’、 and the rest of
                       U+3001..U+303F, the full-width punctuation forms, U+FE30..U+FE4F, the
                       half-width CJK forms U+FF5F..U+FF65, and — … ·
``cjk``                a CJK ideograph (unified, extensions, compatibility), BMP or astral
``latin_ext_upper``    a capital Latin letter beyond ASCII: ``É``, ``Ø``, ``Æ``, ``Ł``
``latin_ext_lower``    a small Latin letter beyond ASCII: ``é``, ``ß``, ``ø``, ``ñ``, ``ı``
``greek`` ``cyrillic`` ``arabic`` ``hebrew`` ``thai`` ``devanagari`` ``hangul``
                       letters of those scripts
``hiragana``           hiragana, but the small ones
``katakana``           full-width katakana and ``ー``, but the small ones
``halfwidth_katakana`` U+FF66..U+FF9F: ``ｦ``-``ﾝ``, ``ｰ``, ``ﾞ``, ``ﾟ``, but the small ones:
                       what Japanese bank transfers write names in
``kana_small``         small kana of any width: ``ぁ`` ``ァ`` ``ｧ`` ``ｯ`` ... (Zengin refuses them)
``letter_other``       letters of any other script
``other_digit``        decimal digits of other scripts (Arabic-Indic, Devanagari, ...)
``punct_other``        other punctuation: ``¡`` ``¿`` ``«`` ``»`` ``§`` ``†`` ``・`` ...
``symbol``             other symbols and numbers: ``€`` ``¥`` ``©`` ``°`` ``×`` ``²`` ``¼`` ...
``emoji``              pictographs: U+1F000..U+1FAFF, U+2600..U+27BF
``space_other``        other spaces and separators: no-break space, thin space, U+2028 ...
``mark``               combining marks (a decomposed accent, a variation selector)
``gb2312``             encodable in GB2312 (EUC-CN; ASCII included)
``gbk``                encodable in GBK (ASCII included); absent means "outside GBK"
``astral``             above U+FFFF (rare ideographs, emoji): 4 bytes in UTF-8 and GB18030
``control``            Unicode category Cc/Cf/Cs (tab, newline, zero-width joiner, ...)
``other``              none of the specific classes above applies (unassigned code points,
                       private use)
=====================  =================================================================

``gb2312`` and ``gbk`` are membership classes and combine with the others: ``"A"`` is
``{ascii_upper, gb2312, gbk}``, ``"中"`` is ``{cjk, gb2312, gbk}``, ``"（"`` is
``{fullwidth_form, fullwidth_punct, cjk_punct, gb2312, gbk}``, ``"𠀀"`` is ``{cjk, astral}``.

:func:`gb2312_level` tells level-1 (3,755 common) from level-2 (3,008 less common) hanzi;
the sanitizer keeps a pseudonymized ideograph within the same pool.

Every per-character function is cached (``functools.lru_cache``): they sit on the hot path of
the sanitizer and the learner, and real text uses a few thousand distinct characters.
"""

from __future__ import annotations

import codecs
import unicodedata
from functools import lru_cache

from harness.errors import ConfigError

__all__ = [
    "CLASS_NAMES",
    "byte_length",
    "classes",
    "gb2312_level",
    "gbk_width",
    "in_gb2312",
    "in_gbk",
    "is_cjk",
    "is_cjk_punct",
    "is_fullwidth_form",
    "signature",
    "to_fullwidth",
    "to_halfwidth",
]

_BASE_CLASSES = (
    "ascii_upper",
    "ascii_lower",
    "ascii_digit",
    "ascii_punct",
    "ascii_space",
    "fullwidth_form",
    "fullwidth_upper",
    "fullwidth_lower",
    "fullwidth_digit",
    "fullwidth_punct",
    "fullwidth_space",
    "cjk_punct",
    "cjk",
    "gb2312",
    "gbk",
    "astral",
    "control",
    "other",
)
# Letters, digits and symbols beyond ASCII, CJK and the full-width forms.
SCRIPT_CLASSES = (
    "latin_ext_upper",
    "latin_ext_lower",
    "greek",
    "cyrillic",
    "arabic",
    "hebrew",
    "thai",
    "devanagari",
    "hangul",
    "hiragana",
    "katakana",
    "halfwidth_katakana",
    "kana_small",
    "letter_other",
    "other_digit",
    "punct_other",
    "symbol",
    "emoji",
    "space_other",
    "mark",
)
CLASS_NAMES: tuple[str, ...] = _BASE_CLASSES + SCRIPT_CLASSES

# Ideograph ranges: unified (BMP), extension A, compatibility, and the astral extensions
# and compatibility supplement. Ranges rather than the Unicode database, so that a
# character's class does not depend on the Python build.
_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
    (0x30000, 0x323AF),
)

_EXTRA_CJK_PUNCT = frozenset("\u2014\u2015\u2026\u00b7\u2018\u2019\u201c\u201d\u2025\u2027")

# Full-width <-> half-width: the ASCII forms and the space.
_TO_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_TO_HALF[0x3000] = 0x20
_TO_FULL = {v: k for k, v in _TO_HALF.items()}


def is_fullwidth_form(ch: str) -> bool:
    """True for U+FF01..U+FF5E, the full-width forms of printable ASCII."""
    return len(ch) == 1 and 0xFF01 <= ord(ch) <= 0xFF5E


@lru_cache(maxsize=65536)
def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (BMP or astral)."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


@lru_cache(maxsize=65536)
def is_cjk_punct(ch: str) -> bool:
    """True for punctuation used in Chinese text (see the module docstring)."""
    cp = ord(ch)
    if 0x3001 <= cp <= 0x303F:
        return unicodedata.category(ch)[0] in "PS"
    if 0xFE30 <= cp <= 0xFE4F or 0xFF5F <= cp <= 0xFF65:
        return True
    if 0xFF01 <= cp <= 0xFF5E:
        return not ch.isalnum()
    return ch in _EXTRA_CJK_PUNCT


@lru_cache(maxsize=65536)
def gbk_width(ch: str) -> int | None:
    """Bytes ``ch`` takes in GBK: 1 (ASCII), 2, or ``None`` when GBK cannot encode it."""
    try:
        return len(ch.encode("gbk"))
    except UnicodeEncodeError:
        return None


def in_gbk(ch: str) -> bool:
    """True when GBK can encode ``ch`` (ASCII included)."""
    return gbk_width(ch) is not None


@lru_cache(maxsize=65536)
def _gb2312_bytes(ch: str) -> bytes | None:
    try:
        return ch.encode("gb2312")
    except UnicodeEncodeError:
        return None


def in_gb2312(ch: str) -> bool:
    """True when GB2312 (EUC-CN) can encode ``ch`` (ASCII included)."""
    return _gb2312_bytes(ch) is not None


@lru_cache(maxsize=65536)
def encodable(ch: str, encoding: str) -> bool:
    """True when ``encoding`` can encode ``ch``."""
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def gb2312_level(ch: str) -> int | None:
    """1 for a level-1 GB2312 hanzi (rows 16-55), 2 for level-2 (rows 56-87), else None."""
    b = _gb2312_bytes(ch)
    if b is None or len(b) != 2:
        return None
    if 0xB0 <= b[0] <= 0xD7:
        return 1
    if 0xD8 <= b[0] <= 0xF7:
        return 2
    return None


@lru_cache(maxsize=65536)
def classes(ch: str) -> frozenset[str]:
    """The classes of one character (see the module docstring for the names)."""
    if len(ch) != 1:
        raise ValueError(f"classes() takes one character, got {len(ch)}")
    cp = ord(ch)
    out: set[str] = set()
    if cp < 0x80:
        if "A" <= ch <= "Z":
            out.add("ascii_upper")
        elif "a" <= ch <= "z":
            out.add("ascii_lower")
        elif "0" <= ch <= "9":
            out.add("ascii_digit")
        elif ch == " ":
            out.add("ascii_space")
        elif 0x21 <= cp <= 0x7E:
            out.add("ascii_punct")
        else:
            out.add("control")
        out.update(("gb2312", "gbk"))
        return frozenset(out)
    if 0xFF01 <= cp <= 0xFF5E:
        out.add("fullwidth_form")
        half = chr(cp - 0xFEE0)
        if "A" <= half <= "Z":
            out.add("fullwidth_upper")
        elif "a" <= half <= "z":
            out.add("fullwidth_lower")
        elif "0" <= half <= "9":
            out.add("fullwidth_digit")
        else:
            out.add("fullwidth_punct")
    elif cp == 0x3000:
        out.add("fullwidth_space")
    if is_cjk_punct(ch):
        out.add("cjk_punct")
    if is_cjk(ch):
        out.add("cjk")
    if cp > 0xFFFF:
        out.add("astral")
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Cs"):
        out.add("control")
    elif out <= {"astral"}:
        script = script_classes(ch, cat)
        if script:
            out.update(script)
    specific = bool(out)
    if in_gb2312(ch):
        out.add("gb2312")
    if in_gbk(ch):
        out.add("gbk")
    if not specific:
        out.add("other")
    return frozenset(out)


# Scripts named by the first word(s) of a character's Unicode name.
_SCRIPTS = {
    "GREEK": "greek",
    "COPTIC": "greek",
    "CYRILLIC": "cyrillic",
    "ARABIC": "arabic",
    "HEBREW": "hebrew",
    "THAI": "thai",
    "DEVANAGARI": "devanagari",
    "HANGUL": "hangul",
    "HIRAGANA": "hiragana",
    "KATAKANA": "katakana",
}
_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF))


def script_classes(ch: str, cat: str) -> tuple[str, ...]:
    """The script classes of a character outside ASCII, CJK and the full-width forms."""
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES) and cat[0] == "S":
        return ("emoji",)
    if cat[0] == "Z":
        return ("space_other",)
    if cat[0] == "M":
        return ("mark",)
    if cat[0] == "P":
        return ("punct_other",)
    if cat[0] == "S" or cat in ("No", "Nl"):
        return ("symbol",)
    if cat == "Nd":
        return ("other_digit",)
    if cat[0] != "L":
        return ()
    name = unicodedata.name(ch, "")
    small = " SMALL " in name and ("KATAKANA" in name or "HIRAGANA" in name)
    if small:
        return ("kana_small",)
    if name.startswith("HALFWIDTH KATAKANA"):
        return ("halfwidth_katakana",)
    if name.startswith("KATAKANA-HIRAGANA"):  # the prolonged sound mark and friends
        return ("katakana",)
    if name.startswith("LATIN"):
        return ("latin_ext_upper",) if cat in ("Lu", "Lt") else ("latin_ext_lower",)
    return (_SCRIPTS.get(name.split(" ", 1)[0], "letter_other"),)


def signature(s: str) -> tuple[frozenset[str], ...]:
    """The class sets of each character of ``s``: equal signatures mean equal shape."""
    return tuple(classes(ch) for ch in s)


def to_halfwidth(s: str) -> str:
    """Full-width forms and U+3000 to their ASCII counterparts; everything else unchanged."""
    return s.translate(_TO_HALF)


def to_fullwidth(s: str) -> str:
    """Printable ASCII and the space to their full-width forms; everything else unchanged."""
    return s.translate(_TO_FULL)


def _as_gb18030(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: each unencodable character stands for as many bytes as
    GB18030 sends for it (4 for a lone surrogate, which nothing can send)."""
    assert isinstance(error, UnicodeEncodeError)
    run = error.object[error.start : error.end]
    size = 0
    for ch in run:
        try:
            size += len(ch.encode("gb18030"))
        except UnicodeEncodeError:
            size += 4
    return "?" * size, error.end


codecs.register_error("harness-gb18030-size", _as_gb18030)


def byte_length(s: str, encoding: str) -> int:
    """Bytes ``s`` takes in ``encoding``; unencodable characters count as GB18030 does.

    GBK callers get a number even for characters outside GBK (4 bytes each, as GB18030
    would send them), so a length rule can still be checked; use :func:`in_gbk` to tell
    whether the value can be sent at all. One pass in C, whatever the text.
    """
    try:
        return len(s.encode(encoding, "harness-gb18030-size"))
    except LookupError:
        raise ConfigError(f"unknown encoding {encoding!r}") from None
