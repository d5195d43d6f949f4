"""Exchange queries on a real SQLite file and a real PostgreSQL server (the `store` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from harness.errors import ConfigError, NotFoundError
from harness.store.models import Exchange
from harness.store.queries import (
    EXCHANGE_COLUMNS,
    ExchangeFilter,
    _where,
    count_exchanges,
    day_rejections,
    exchange_ids,
    get_exchange,
    insert_exchanges,
    list_exchanges,
    stats,
)

DAY1 = datetime(2026, 11, 24, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
OPEN = "POST /openapi/v1/account/open"
QUERY = "GET /openapi/v1/account/{id}"


def row(
    ts: datetime,
    endpoint: str = OPEN,
    outcome: str = "accepted",
    code: str | None = "000000",
    **extra,
):
    r = {c: None for c in EXCHANGE_COLUMNS}
    r.update(
        ts=ts,
        client="127.0.0.1:5555",
        method=endpoint.split()[0],
        scheme="http",
        host="127.0.0.1:18080",
        path=endpoint.split()[1],
        endpoint=endpoint,
        request_headers=[["content-type", "application/json"]],
        request_body=b'{"enterpriseName":"\xe6\x9f\x90"}',
        request_format="json",
        request_charset="utf-8",
        request_fields={"enterpriseName": "某"},
        request_size=24,
        request_truncated=False,
        status=200,
        response_headers=[],
        response_body=None,
        response_format="empty",
        response_size=0,
        response_truncated=False,
        outcome=outcome,
        code=code,
        message="成功" if outcome == "accepted" else "企业名称含有非法字符",
        duration_ms=1.5,
    )
    r.update(extra)
    return r


@pytest.fixture
def filled(store):
    rows = []
    for i in range(10):
        rows.append(row(DAY1 + timedelta(hours=i)))
    for i in range(4):
        rows.append(row(DAY1 + timedelta(hours=i, minutes=30), outcome="rejected", code="ED0012"))
    rows.append(row(DAY1 + timedelta(hours=5), outcome="rejected", code="ED0013"))
    rows.append(row(DAY1 + timedelta(hours=6), endpoint=QUERY, outcome="rejected", code="ED0012"))
    rows.append(row(DAY2 + timedelta(hours=1), outcome="rejected", code="ED0012"))
    rows.append(
        row(
            DAY2 + timedelta(hours=2),
            outcome="upstream_error",
            code=None,
            status=None,
            error="connection refused",
        )
    )
    with store.begin() as s:
        assert insert_exchanges(s, rows) == len(rows)
    return store


def test_insert_and_read_back_round_trips_values(filled):
    with filled() as s:
        ids = exchange_ids(s)
        x = get_exchange(s, ids[0])
    assert len(ids) == 18
    assert x.request_body == b'{"enterpriseName":"\xe6\x9f\x90"}'
    assert x.request_fields == {"enterpriseName": "某"}
    assert x.request_headers == [["content-type", "application/json"]]
    ts = x.ts if x.ts.tzinfo else x.ts.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    assert ts == DAY1


def test_day_rejections_for_one_endpoint(filled):
    with filled() as s:
        got = day_rejections(s, OPEN, DAY1, DAY2)
    assert [x.code for x in got] == ["ED0012"] * 4 + ["ED0013"]
    assert all(x.endpoint == OPEN and x.outcome == "rejected" for x in got)
    assert [x.ts for x in got] == sorted(x.ts for x in got)  # oldest first


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (ExchangeFilter(), 18),
        (ExchangeFilter(start=DAY1, end=DAY2), 16),
        (ExchangeFilter(start=DAY2), 2),
        (ExchangeFilter(endpoint=QUERY), 1),
        (ExchangeFilter(outcome="rejected"), 7),
        (ExchangeFilter(code="ED0012"), 6),
        (ExchangeFilter(outcome="upstream_error"), 1),
        (ExchangeFilter(start=DAY1, end=DAY2, endpoint=OPEN, outcome="rejected", code="ED0012"), 4),
    ],
)
def test_filters_count(filled, f, expected):
    with filled() as s:
        assert count_exchanges(s, f) == expected
        assert len(list_exchanges(s, f, limit=None)) == expected


def test_list_is_newest_first_with_limit_and_offset(filled):
    with filled() as s:
        first = list_exchanges(s, limit=3)
        second = list_exchanges(s, limit=3, offset=3)
        everything = list_exchanges(s, limit=None)
    assert [x.id for x in first + second] == [x.id for x in everything[:6]]
    assert everything[0].outcome == "upstream_error"  # the latest
    assert [x.ts for x in everything] == sorted((x.ts for x in everything), reverse=True)


def test_stats_counts_by_endpoint_outcome_code(filled):
    with filled() as s:
        got = {(r.endpoint, r.outcome, r.code): r.count for r in stats(s)}
        day = {
            (r.endpoint, r.outcome, r.code): r.count for r in stats(s, ExchangeFilter(start=DAY2))
        }
    assert got == {
        (OPEN, "accepted", "000000"): 10,
        (OPEN, "rejected", "ED0012"): 5,
        (OPEN, "rejected", "ED0013"): 1,
        (OPEN, "upstream_error", None): 1,
        (QUERY, "rejected", "ED0012"): 1,
    }
    assert day == {(OPEN, "rejected", "ED0012"): 1, (OPEN, "upstream_error", None): 1}


def test_unknown_id_is_not_found(filled):
    with filled() as s, pytest.raises(NotFoundError, match="999999"):
        get_exchange(s, 999999)


def test_unknown_outcome_is_a_config_error():
    with pytest.raises(ConfigError, match="outcome"):
        ExchangeFilter(outcome="maybe")


def test_day_rejection_query_uses_the_endpoint_outcome_ts_index(filled):
    f = ExchangeFilter(start=DAY1, end=DAY2, endpoint=OPEN, outcome="rejected")
    # A day of other traffic, so the time index alone is not selective.
    other = [row(DAY1 + timedelta(seconds=20 * i), endpoint=QUERY) for i in range(3000)]
    with filled.begin() as s:
        insert_exchanges(s, other)
    with filled() as s:
        conn = s.connection()
        compiled = _where(select(Exchange.id), f).compile(dialect=conn.dialect)
        sql = str(compiled)
        if conn.dialect.name == "sqlite":
            args = tuple(compiled.params[k] for k in compiled.positiontup)
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", args).all()
            detail = " ".join(str(r[-1]) for r in plan)
        else:
            conn.exec_driver_sql("ANALYZE exchanges")
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {sql}", compiled.params).all()
            detail = " ".join(str(r[0]) for r in plan)
    assert "ix_exchanges_endpoint_outcome_ts" in detail


def test_bulk_insert_can_hand_back_the_new_ids_in_order(store):
    rows = [row(DAY1 + timedelta(minutes=i), code=f"C{i}") for i in range(7)]
    with store.begin() as s:
        insert_exchanges(s, rows, returning_ids=True)
    with store() as s:
        for r in rows:
            assert get_exchange(s, r["id"]).code == r["code"]
    assert len({r["id"] for r in rows}) == 7
