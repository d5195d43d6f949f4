"""The simulated bank: a fictional commercial bank's open API, its lax staging twin, and a
day of synthetic traffic.

This package is the *world* the harness is tested against, not the harness's knowledge:
nothing outside harness/sim/ and the tests reads its rule file (``bank.yaml``).

- :mod:`harness.sim.bank`: load and validate a bank file; rules compiled at load.
- :mod:`harness.sim.checks`: the rule kinds and check-character algorithms.
- :mod:`harness.sim.gateway`: request handling without HTTP (route, check, answer).
- :mod:`harness.sim.server`: the aiohttp.web server (``harness sim serve``).
- :mod:`harness.sim.traffic`: ``generate(count, day, seed)`` and ``expected_outcome``.
- :mod:`harness.sim.client`: ``send(requests, base_url, concurrency)``.
- :mod:`harness.sim.signature`: the HMAC-SHA256 request signature.

All personal data the simulation produces is synthetic: names are drawn from pools of
common surnames and characters, company names from syllables and industries, identifiers
are computed with valid (or deliberately invalid) check characters. Nothing real is here.
"""
