"""The store's JSON columns: orjson for speed, the standard library's meaning kept."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from harness.codecs.json_codec import JsonNumber
from harness.store.jsoncol import dumps as json_dumps
from harness.store.jsoncol import loads as json_loads
from harness.store.queries import exchange_ids, get_exchange, insert_exchanges
from tests.test_store_queries import row


@pytest.mark.parametrize(
    "value",
    [
        {"enterpriseName": "某某（某某）有限公司", "legalName": "𠀀张三"},  # CJK, astral
        [["Content-Type", "application/json"], ["X-Signature", "[redacted]"]],
        {"amount": JsonNumber("100.00"), "items": ("a", "b")},  # str subclass, tuple
        {"big": 2**70, "small": -(2**63), "float": 0.1, "flags": [True, False, None]},
        {1: "int key", "nested": {"a": [{"b": "ｶﾅ"}]}},
        "",
        [],
    ],
)
def test_a_json_column_means_what_the_standard_library_means(value):
    written = json_dumps(value)
    assert isinstance(written, str)
    assert json_loads(written) == json.loads(json.dumps(value))


def test_a_json_column_keeps_text_as_utf8_not_escapes():
    assert json_dumps({"名": "某某"}) == '{"名":"某某"}'


def test_nan_written_by_an_older_store_still_reads():
    assert math.isnan(json_loads('{"x": NaN}')["x"])


def test_what_neither_encoder_takes_is_still_refused():
    with pytest.raises(TypeError):
        json_dumps({"body": b"raw bytes"})


def test_json_columns_round_trip_through_the_store(store):
    fields = {"enterpriseName": "某某（某某）有限公司", "amount": "1.00", "名": "ｶﾅ"}
    notes = {"big": 2**70, "decode": ["charset gbk"]}
    with store.begin() as s:
        insert_exchanges(
            s, [row(datetime(2026, 11, 24, tzinfo=UTC), request_fields=fields, notes=notes)]
        )
    with store() as s:
        x = get_exchange(s, exchange_ids(s)[0])
    assert x.request_fields == fields
    assert x.notes == notes
    assert x.request_headers == [["content-type", "application/json"]]
