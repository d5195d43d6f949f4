"""Named character sets: the allow-lists banks write their field rules in.

A bank rarely says "no English characters"; more often it accepts only a set it names in its
interface document: the SWIFT ``X`` character set (SEPA's basic Latin), Zengin half-width
katakana, GB2312, JIS X 0208. An ``allowed_chars`` rule names such a set, and the learner
tries each registered set as an explanation of a field's rejections
(:mod:`harness.rules.kinds.allowed_chars`).

=====================  ==========================================================  ========
name                   members                                                     size
=====================  ==========================================================  ========
``swift_x``            SWIFT X / EPC SEPA basic Latin: ``a-z A-Z 0-9 / - ? : ( )``      74
                       ``. , ' +`` and the space
``zengin``             Zengin (Japanese bank transfer) names: half-width katakana          ~90
                       without the small kana (``ｦ``-``ﾝ`` ``ﾞ`` ``ﾟ``), ``A-Z``,
                       ``0-9``, the space and ``( ) . - / , \\ ¥ ｢ ｣``
``ascii_printable``    U+0020..U+007E                                                    95
``latin1``             printable ISO 8859-1: ASCII printable and U+00A0..U+00FF         191
``shift_jis``          printable characters Shift_JIS can write                        ~7,000
``jis_x0208``          the double-byte characters of Shift_JIS (JIS X 0208: full-width ~6,900
                       kana, kanji, Latin and symbols; no ASCII, no half-width kana)
``gb2312``             printable characters GB2312 can write (ASCII included)          ~7,500
``gbk``                printable characters GBK can write (ASCII included)            ~22,000
``encoding:NAME``      printable characters the Python codec ``NAME`` can write           -
=====================  ==========================================================  ========

Control characters (tab, newline, ...) belong to no set. A plan or a plug-in registers
more with :func:`register` (``plugins:`` in a plan, see :mod:`harness.plan.plugins`).

:func:`shape_key` is what the sanitizer keeps when it swaps a character for another: its
classes and its membership in every built-in set, so a pseudonym breaks (or passes) every
character rule exactly as the raw value did.
"""

from __future__ import annotations

import codecs as _codecs
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from harness.errors import ConfigError
from harness.text import charclass

__all__ = ["CHARSETS", "Charset", "get", "names", "register", "shape_key"]


@dataclass(frozen=True)
class Charset:
    """A named set of characters: ``contains(ch)`` decides membership."""

    name: str
    title: str  # in words, for people: "the SWIFT X character set"
    contains: Callable[[str], bool]
    size: int  # roughly how many characters it holds (the learner prefers the larger)
    script: str = ""  # the writing it is made for: "ja", "zh", "latin" ("": any)


def _printable(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")


def _encoding_member(encoding: str) -> Callable[[str], bool]:
    def contains(ch: str) -> bool:
        return _printable(ch) and charclass.encodable(ch, encoding)

    return contains


_SWIFT_X = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
_ZENGIN_EXTRA = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ().-/,\\\u00a5\uff62\uff63")


def _zengin(ch: str) -> bool:
    if ch in _ZENGIN_EXTRA:
        return True
    cp = ord(ch)
    # ｦ (U+FF66), ｱ..ﾝ (U+FF71..U+FF9D), ﾞ ﾟ (U+FF9E, U+FF9F); not the small kana or ｰ.
    return cp == 0xFF66 or 0xFF71 <= cp <= 0xFF9F


def _jis_x0208(ch: str) -> bool:
    try:
        return _printable(ch) and len(ch.encode("shift_jis")) == 2
    except UnicodeEncodeError:
        return False


CHARSETS: dict[str, Charset] = {}


@lru_cache(maxsize=65536)
def _member(name: str, ch: str) -> bool:
    return get(name).contains(ch)


def register(charset: Charset) -> None:
    """Add (or replace) a named set."""
    CHARSETS[charset.name] = charset
    _member.cache_clear()


for _set in (
    Charset(
        "swift_x",
        "the SWIFT X character set (SEPA basic Latin)",
        _SWIFT_X.__contains__,
        74,
        "latin",
    ),
    Charset("zengin", "the Zengin character set (half-width katakana)", _zengin, 90, "ja"),
    Charset("ascii_printable", "printable ASCII", lambda ch: " " <= ch <= "~", 95, "latin"),
    Charset(
        "latin1",
        "printable Latin-1 (ISO 8859-1)",
        lambda ch: " " <= ch <= "~" or "\u00a0" <= ch <= "\u00ff",
        191,
        "latin",
    ),
    Charset(
        "shift_jis", "characters Shift_JIS can write", _encoding_member("shift_jis"), 7_000, "ja"
    ),
    Charset("jis_x0208", "JIS X 0208 (full-width Japanese)", _jis_x0208, 6_900, "ja"),
    Charset("gb2312", "characters GB2312 can write", _encoding_member("gb2312"), 7_500, "zh"),
    Charset("gbk", "characters GBK can write", _encoding_member("gbk"), 22_000, "zh"),
):
    register(_set)
BUILTIN = tuple(CHARSETS)


def get(name: str) -> Charset:
    """The set called ``name`` (``encoding:NAME`` for any Python codec); ConfigError if none."""
    found = CHARSETS.get(name)
    if found is not None:
        return found
    if name.startswith("encoding:"):
        encoding = name.split(":", 1)[1]
        try:
            _codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"unknown encoding {encoding!r} in character set {name!r}") from None
        return Charset(name, f"characters {encoding} can write", _encoding_member(encoding), 0)
    raise ConfigError(f"unknown character set {name!r} (known: {', '.join(sorted(CHARSETS))})")


def holding(chars: frozenset[str] | set[str]) -> frozenset[str]:
    """The registered sets that hold every one of ``chars`` (none for no characters)."""
    if not chars:
        return frozenset()
    found = set(CHARSETS)
    builtin = set(BUILTIN)
    for ch in chars:
        found &= shape_key(ch)[1] | (found - builtin)  # built-in memberships are cached
        if not found:
            return frozenset()
    extra = {n for n in found - builtin if not all(CHARSETS[n].contains(ch) for ch in chars)}
    return frozenset(found - extra)


def names() -> tuple[str, ...]:
    return tuple(sorted(CHARSETS))


def contains(name: str, ch: str) -> bool:
    """True when ``ch`` belongs to the named set (cached)."""
    return _member(name, ch)


@lru_cache(maxsize=65536)
def shape_key(ch: str) -> tuple[frozenset[str], frozenset[str]]:
    """What a character rule can see of ``ch``: its classes and its built-in set memberships."""
    return charclass.classes(ch), frozenset(n for n in BUILTIN if CHARSETS[n].contains(ch))
