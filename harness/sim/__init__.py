"""The simulated banks: fictional gateways, their lax staging twins, and days of synthetic traffic.

This package is the *world* the harness is tested against, not the harness's knowledge:
nothing outside harness/sim/ and the tests reads its rule files (``bank.yaml``,
``banks/*.yaml``). docs/simulator.md describes the banks.

- :mod:`harness.sim.banks`: the banks by name (simbank, eurobank, zenginbank):
  ``load``, ``generate``, ``decide``, ``violations``, ``serve``; each new bank's traffic
  module (``banks/eurobank.py``, ``banks/zenginbank.py``) and pools.
- :mod:`harness.sim.bank`: load and validate a bank file; rules compiled at load.
- :mod:`harness.sim.checks`: the rule kinds and check-character algorithms;
  :mod:`harness.sim.standards`: ISO lists, IBAN, BIC, UUID, dates, character sets.
- :mod:`harness.sim.parse`: request bodies (JSON, form, XML) to fields by path.
- :mod:`harness.sim.gateway`: request handling without HTTP (route, check, answer);
  :mod:`harness.sim.replies`: answer bodies as templates.
- :mod:`harness.sim.server`: the aiohttp.web server (``harness sim serve``).
- :mod:`harness.sim.engine`: the generic traffic engine (times, mix, flaws, encoding).
- :mod:`harness.sim.traffic`: simbank's ``generate(count, day, seed)`` and ``expected_outcome``;
  :mod:`harness.sim.pools`, :mod:`harness.sim.simbank_edge`: its values, normal and edge.
- :mod:`harness.sim.client`: ``send(requests, base_url, concurrency)``.
- :mod:`harness.sim.signature`: simbank's HMAC-SHA256 request signature.

All personal data the simulation produces is synthetic: names are drawn from pools of
common names and syllables, identifiers are computed with valid (or deliberately invalid)
check characters. Nothing real is here.
"""
