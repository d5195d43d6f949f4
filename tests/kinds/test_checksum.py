"""checksum: a valid check character (GB 32100, GB 11643, Luhn, IBAN mod 97)."""

from __future__ import annotations

from harness.rules import RuleSpec, kind_of, repair
from tests.kinds.helpers import stats_of

KIND = "checksum"
EXAMPLES = [
    ({"algorithm": "luhn"}, "4111111111111111", True),
    ({"algorithm": "luhn"}, "4111111111111112", False),
    ({"algorithm": "gb11643"}, "11010519491231002X", True),
    ({"algorithm": "gb11643"}, "110105194912310021", False),
    ({"algorithm": "iban"}, "DE89370400440532013000", True),
    ({"algorithm": "iban"}, "DE88370400440532013000", False),
    ({"algorithm": "iban"}, "de89370400440532013000", False),
]
IBANS = [
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "BE68539007547034",
    "AT611904300234573201",
]


def test_learned_only_when_every_accepted_value_passes():
    kind = kind_of(RuleSpec("e", "f", KIND))
    stats = stats_of(IBANS)
    assert "iban" in stats.checksums
    assert list(kind.candidates(stats, "DE88370400440532013000")) == [(("checksum", "iban"), True)]
    assert not list(kind.candidates(stats_of(IBANS[:4]), "DE88370400440532013000"))  # too few


def test_repair_recomputes():
    rule = RuleSpec("e", "f", KIND, {"algorithm": "iban"})
    assert repair(rule, "DE00370400440532013000") == "DE89370400440532013000"
