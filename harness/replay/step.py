"""The one replay step: a sample's request for one target, built, signed and sent.

Replay (:mod:`.engine`), the live shadow (:mod:`.shadow`) and the prober (:mod:`.probe`)
all send through :class:`Step`; what each does with the answers (assess and record them,
or read the outcome) is its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.plan import Plan
from harness.replay.client import RawAnswer, Sender
from harness.replay.request import Sample, build_request
from harness.replay.sending import Sending
from harness.targets.signers import SignerError

__all__ = ["Request", "Sent", "Step"]

Request = tuple[str, str, dict[str, str], bytes]  # method, URL, headers, body


@dataclass(frozen=True)
class Sent:
    """What one step got: the answers to one request (two when it was sent twice to learn
    the noise), or, when no request could go out, why (``failure``; no answers)."""

    answers: tuple[RawAnswer, ...] = ()
    failure: str | None = None


class Step:
    """Builds and sends one sample to one target of a run.

    ``urls`` is target name -> base URL; ``sending`` the run's signers, fresh headers and
    TLS contexts by target; ``secret`` the header names that never leave (default: the
    plan's).
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        plan: Plan,
        sending: Sending,
        secret: frozenset[str] | None = None,
    ) -> None:
        self.urls = dict(urls)
        self.plan = plan
        self.sending = sending
        self.secret = secret

    def request(self, sample: Sample, target: str) -> Request | str:
        """The signed request, or the reason it could not be built."""
        try:
            return build_request(
                sample,
                self.urls[target],
                self.plan,
                self.sending.signers[target],
                self.sending.fresh[target],
                self.secret,
            )
        except SignerError as exc:
            return f"signing failed: {exc}"

    async def __call__(
        self, sender: Sender, sample: Sample, target: str, *, times: int = 1
    ) -> Sent:
        """Send ``sample`` to ``target`` ``times`` times (1, or 2 for noise)."""
        request = self.request(sample, target)
        if isinstance(request, str):
            return Sent(failure=request)
        tls = self.sending.ssl[target]
        answers = [await sender.send(*request, ssl=tls) for _ in range(times)]
        return Sent(tuple(answers))
