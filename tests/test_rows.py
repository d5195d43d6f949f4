"""harness.vocab and harness.rows: the words and the shapes that flow match what is built."""

from __future__ import annotations

from typing import get_args

from mitmproxy.test import tflow

from harness.capture.flowrecord import record
from harness.capture.har import records
from harness.capture.record import RowBuilder
from harness.outcome import verdicts
from harness.plan import default_plan
from harness.rows import ExchangeRow, LearningRow, RawExchange
from harness.store.queries import EXCHANGE_COLUMNS
from harness.vocab import OUTCOMES, VERDICTS, ExchangeOutcome


def test_value_tuples_come_from_the_literals() -> None:
    assert OUTCOMES == ("accepted", "rejected", "upstream_error") == get_args(ExchangeOutcome)
    named = {v for k, v in vars(verdicts).items() if k.isupper() and isinstance(v, str)} - {"mock"}
    assert named == set(VERDICTS)


def test_the_raw_exchange_is_what_the_proxy_and_the_har_import_build() -> None:
    keys = set(RawExchange.__annotations__)
    assert set(record(tflow.tflow(resp=True), 1024)) == keys
    har = {"log": {"entries": [{"request": {"url": "http://h/p", "method": "GET"}}]}}
    assert {frozenset(r) for r in records(har, 1024)} == {frozenset(keys)}


def test_the_exchange_row_has_the_columns_of_exchanges() -> None:
    assert set(ExchangeRow.__required_keys__) == set(EXCHANGE_COLUMNS)
    assert ExchangeRow.__optional_keys__ == frozenset({"id"})
    row = RowBuilder(default_plan(), bytes(32)).build(record(tflow.tflow(resp=True), 1024))
    assert set(row) == set(EXCHANGE_COLUMNS)


def test_the_learning_row_reads_columns_of_exchanges() -> None:
    assert set(LearningRow.__annotations__) <= {"id", *EXCHANGE_COLUMNS}
