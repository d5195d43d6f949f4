"""format: a named format (UUID, ISO date, BIC, E.164...); the most general that explains."""

from __future__ import annotations

import random
import uuid

from harness.rules import RuleSpec, kind_of
from tests.kinds.helpers import stats_of

KIND = "format"
EXAMPLES = [
    ({"format": "uuid"}, "3f1c9a2e-8b4d-4c6f-9a1e-2b3c4d5e6f70", True),
    ({"format": "uuid"}, "3f1c9a2e8b4d4c6f9a1e2b3c4d5e6f70", False),
    ({"format": "uuid_lower"}, "3F1C9A2E-8B4D-4C6F-9A1E-2B3C4D5E6F70", False),
    ({"format": "uuid_v4"}, "3f1c9a2e-8b4d-1c6f-9a1e-2b3c4d5e6f70", False),
    ({"format": "date"}, "2026-02-28", True),
    ({"format": "date"}, "2026-02-30", False),
    ({"format": "date"}, "2026/02/28", False),
    ({"format": "datetime"}, "2026-11-24T09:30:00Z", True),
    ({"format": "datetime"}, "2026-11-24T09:30:00.123+08:00", True),
    ({"format": "datetime"}, "2026-11-24T25:30:00Z", False),
    ({"format": "datetime_fraction"}, "2026-11-24T09:30:00Z", False),
    ({"format": "datetime_compact"}, "20261124093000", True),
    ({"format": "base64"}, "aGVsbG8=", True),
    ({"format": "base64"}, "aGVsbG8", False),
    ({"format": "base64url"}, "aGVsbG8_-w", True),
    ({"format": "e164"}, "+8613812345678", True),
    ({"format": "e164"}, "13812345678", False),
    ({"format": "bic"}, "DEUTDEFF", True),
    ({"format": "bic"}, "DEUTDEFF500", True),
    ({"format": "bic"}, "DEUTDEF", False),
    ({"format": "bic"}, "deutdeff", False),
]


def kind():
    return kind_of(RuleSpec("e", "f", KIND))


def test_the_most_general_format_explaining_the_rejections_is_preferred():
    rng = random.Random(3)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(12)]
    stats = stats_of(ids)
    assert {"uuid", "uuid_lower", "uuid_v4", "uuid_v4_lower"} <= stats.formats
    found = dict(kind().candidates(stats, "not-a-uuid"))
    ranked = sorted(found, key=lambda key: kind().preference(key, [], stats))
    assert ranked[0] == ("format", "uuid")
    upper = dict(kind().candidates(stats, ids[0].upper()))
    assert set(upper) == {("format", "uuid_lower"), ("format", "uuid_v4_lower")}


def test_bic_eight_and_eleven():
    stats = stats_of(["DEUTDEFF", "BNPAFRPP", "COBADEFFXXX", "INGBNL2A", "ABNANL2A"] * 2)
    assert "bic" in stats.formats
    assert not list(kind().candidates(stats, "CHASUS33XXX"))
    assert list(kind().candidates(stats, "CHASUS3")) == [(("format", "bic"), True)]
