"""The mock gateway: an aiohttp.web server that enforces the learned rules and rejects the
way production rejects.

For each request it decodes the body (its Content-Encoding first, bounded, then
:mod:`harness.codecs`), flattens it (:mod:`harness.codecs.fields`), finds the endpoint
(:func:`harness.plan.endpoint.endpoint_key` with the plan's templates) and checks that
endpoint's rules (:func:`harness.rules.compiled`, once per endpoint; by default the
confirmed ones, with ``strict`` the suspected ones too; retired rules never). It answers:

- a broken rule: production's rejection for it, with the rule's code and message (a rule
  without a code of its own gets the code production rejects that endpoint with, its
  generic code), in production's envelope and HTTP status for rejections on that endpoint,
  in the request's format and charset (a GBK XML request gets a GBK XML answer); never a
  code production never sent when production's answers are known, never a success;
- a body that does not decode, is not a document (``null``, an array, binary) or comes in
  a Content-Encoding it cannot undo: production's rejection of malformed bodies (learned
  from captured requests whose body did not parse), else the endpoint's rejection;
- a route production never served (no rule, no stored answer, no plan template): a 404 in
  the gateway's own envelope (production's 404 answer when one was captured);
- anything else: a success shaped like production's (its status: 200, 201, 202...).

Shapes come from :class:`AnswerTemplate` values: sanitized production answers from the store
(:func:`harness.mock.templates.answer_templates`). Without one, a minimal envelope is built
from the plan (``{"code": ..., "msg": ..., "data": {}}``, or ``<Response><Head><RspCode>``
for XML) with status 400 for rejections.

Which rule answers when several are broken: the kind's priority (``required`` first:
gateways check presence before format), then a rule with a code of its own before one
carried by analogy, then the field that comes first in the request document, then the rule
with the most supporting evidence.

``GET /__harness/mock`` reports the mock's rules and endpoints (for readiness checks); every
other path answers as the gateway would. A rejection carries the header ``X-Harness-Rule``
with the id (or key) of the rule that answered, or ``malformed`` / ``not-found``.
"""

from harness.mock.gateway import (
    DEFAULT_STATES,
    RULE_HEADER,
    STRICT_STATES,
    AnswerTemplate,
    MockAnswer,
    MockGateway,
)
from harness.mock.server import STATUS_PATH, make_app, run

__all__ = [
    "DEFAULT_STATES",
    "RULE_HEADER",
    "STATUS_PATH",
    "STRICT_STATES",
    "AnswerTemplate",
    "MockAnswer",
    "MockGateway",
    "make_app",
    "run",
]
