"""A plan extends the registries: its own character set and a plug-in's format and checksum,
learned, exported and enforced through the real CLI.

The made-up Toy Bank (tests/fixtures/plugins/toyplug.py) has a payment reference format
(``TB`` and 8 digits), an account check digit (weights 7-3-1) and payee names in capitals,
digits, the space, ``.`` and ``-``: none of them ships with the harness. Its day is captured
through the ingest's own sanitizing row builder into a real SQLite file; ``harness learn``,
``harness rules export`` and ``harness mock`` then run as processes with the plan.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from harness.plan import load_plan
from harness.store import open_store
from harness.store.queries import insert_exchanges
from harness.text import charsets, checksums, formats
from tests.fixtures.plugins import toyplug
from tests.support.procs import HARNESS, free_port, running
from tests.support.world import stored_rows

HERE = Path(__file__).resolve().parent
ENV = {"PYTHONPATH": str(HERE / "fixtures" / "plugins"), "COLUMNS": "200"}
NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-")
WORDS = ("ACME", "NORTH", "STAR", "BLUE", "RIVER", "OAK", "PEAK", "SOLAR", "GRAND", "UNITED")
PLAN = """\
name: toybank
success: {code: ["OK"]}
response: {code: [status], message: [text]}
charsets:
  toy_name:
    title: the Toy Bank's name characters
    classes: [ascii_upper, ascii_digit]
    chars: " .-"
plugins: ["toyplug:extensions"]
"""


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    sim_time: datetime


def account(r: random.Random) -> str:
    body = str(r.randrange(10**8, 10**9))
    return body + toyplug.check_digit(body)


def traffic(n: int, seed: int = 1) -> list[Request]:
    """A day of payments; about 3% each break the reference, the name, the account."""
    r = random.Random(seed)
    start = datetime(2026, 11, 24, tzinfo=UTC)
    out = []
    for i in range(n):
        ref, acct = f"TB{r.randrange(10**8):08d}", account(r)
        name = " ".join(r.sample(WORDS, r.randint(1, 3))) + r.choice(("", " LTD.", " CO-OP", " 2"))
        roll = r.random()
        if roll < 0.03:
            ref = r.choice((f"TB{r.randrange(10**7):07d}", f"XX{r.randrange(10**8):08d}"))
        elif roll < 0.06:
            name = name.title() if r.random() < 0.5 else name + r.choice(("&SONS", " (UK)", "!"))
        elif roll < 0.09:
            acct = acct[:-1] + str((int(acct[-1]) + r.randint(1, 9)) % 10)
        payment = {"ref": ref, "payee": {"name": name, "account": acct}, "amount": "12.50"}
        body = json.dumps(payment).encode()
        headers = {"Content-Type": "application/json"}
        out.append(Request("POST", "/api/pay", headers, body, start + timedelta(seconds=9 * i)))
    return out


def bank(method: str, path: str, headers: dict[str, str], body: bytes):
    """The Toy Bank's production (the test's ground truth; the learner never sees it)."""
    payment = json.loads(body)
    payee = payment["payee"]
    status, text = "OK", "accepted"
    if not toyplug.is_reference(payment["ref"]):
        status, text = "R01", "invalid reference"
    elif set(payee["name"]) - NAME_CHARS:
        status, text = "R02", "invalid payee name"
    elif not toyplug.is_account(payee["account"]):
        status, text = "R03", "invalid account"
    return 200, "application/json", json.dumps({"status": status, "text": text}).encode()


def harness(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [HARNESS, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **ENV}
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def toybank(tmp_path_factory):
    """(db path, plan path): a captured Toy Bank day in a SQLite file, and its plan."""
    tmp = tmp_path_factory.mktemp("toybank")
    plan_path = tmp / "toybank.yaml"
    plan_path.write_text(PLAN, encoding="utf-8")
    db = tmp / "harness.db"
    registries = (charsets.CHARSETS, formats.FORMATS, checksums.CHECKSUMS)
    saved = [dict(r) for r in registries]
    sys.path.insert(0, ENV["PYTHONPATH"])  # as the processes below see it
    try:
        rows = stored_rows(traffic(3000), bank, load_plan(plan_path))  # installs the plug-in
    finally:
        sys.path.remove(ENV["PYTHONPATH"])
        for registry, entries in zip(registries, saved, strict=True):  # other tests: as shipped
            registry.clear()
            registry.update(entries)
        charsets.register(charsets.get("gbk"))  # clears the membership cache
    factory = open_store(str(db))
    with factory.begin() as session:
        insert_exchanges(session, [{k: v for k, v in row.items() if k != "id"} for row in rows])
    factory.kw["bind"].dispose()
    return db, plan_path


def test_the_sanitizer_keeps_a_plugged_in_check_digit(toybank) -> None:
    """Accounts are pseudonymized at capture; valid ones stay valid, invalid ones invalid."""
    from harness.store.rules import learning_rows

    factory = open_store(str(toybank[0]), create=False)
    with factory.begin() as session:
        rows = learning_rows(session)
    factory.kw["bind"].dispose()
    accounts = [(r["outcome"], r["code"], r["request_fields"]["payee.account"]) for r in rows]
    assert all(r["notes"] and "payee.account" in r["notes"]["pseudonymized"] for r in rows)
    assert all(toyplug.is_account(a) for outcome, _, a in accounts if outcome == "accepted")
    assert not any(toyplug.is_account(a) for _, code, a in accounts if code == "R03")


def test_learned_exported_and_enforced_with_the_plan_extensions(toybank, tmp_path) -> None:
    db, plan = toybank
    out = json.loads(harness("learn", "--db", str(db), "--plan", str(plan), "--json").stdout)
    learned = {(r["field"], r["kind"]): r for r in out["rules"] if r["state"] == "confirmed"}
    assert learned[("ref", "format")]["params"] == {"format": "toy_ref"}
    assert learned[("payee.account", "checksum")]["params"] == {"algorithm": "toy_account"}
    assert learned[("payee.name", "allowed_chars")]["params"]["set"] == "toy_name"

    schema = json.loads(
        harness("rules", "export", "--db", str(db), "--plan", str(plan), "--format",
                "jsonschema").stdout
    )  # fmt: skip
    body = schema["$defs"]["POST /api/pay"]["properties"]
    assert "TB[0-9]{8}" in body["ref"]["pattern"]  # the plug-in's regex decides alone
    assert body["payee"]["properties"]["account"]["x-checksum"] == "toy_account"

    port = free_port()
    args = [HARNESS, "mock", "--db", str(db), "--plan", str(plan), "--port", str(port)]
    r = random.Random(9)
    good = {"ref": "TB00000001", "payee": {"name": "ZETA 9 CO.", "account": account(r)}}
    with running(args, port=port, env=ENV, cwd=tmp_path) as proc:
        answers = asyncio.run(
            _post(
                f"http://127.0.0.1:{port}/api/pay",
                [
                    good,  # never seen, every rule kept: accepted
                    {**good, "ref": "TB0000001"},
                    {**good, "payee": {**good["payee"], "name": "Zeta Co"}},
                    {**good, "payee": {**good["payee"], "account": "1234567890"}},
                ],
            )
        )
    proc.stdout.close()
    assert [a["status"] for a in answers] == ["OK", "R01", "R02", "R03"]


async def _post(url: str, bodies: list[dict]) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        out = []
        for body in bodies:
            async with session.post(url, json=body) as reply:
                out.append(json.loads(await reply.read()))
        return out


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ('plugins: ["nowhere:extensions"]', "cannot import plug-in module 'nowhere'"),
        ('plugins: ["toyplug:missing"]', "plug-in module 'toyplug' has no callable 'missing'"),
        ('plugins: ["toyplug:broken"]', "plug-in 'toyplug:broken' returned a str"),
        ("charsets: {x: {classes: [nope]}}", "plan charset 'x': unknown character class 'nope'"),
        ("charsets: {x: {}}", "plan charset 'x' names no characters"),
    ],
)
def test_a_plug_in_that_does_not_load_is_one_line(tmp_path, plan, message) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(plan, encoding="utf-8")
    proc = harness("learn", "--db", str(tmp_path / "x.db"), "--plan", str(path), check=False)
    assert proc.returncode != 0
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
