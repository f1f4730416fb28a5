"""Every operation declares, in OpenAPI, exactly the problem+json answers it can give.

Some statuses follow from what an operation is, and are added here for every
route, present and future:

- 429 everywhere (the rate limits), 503 everywhere but /health (the
  database, or Redis for the limits and readiness);
- 401 when the operation declares `security` (a bearer token), and 403 as
  well when some role must use two-factor sign-in
  (HEALTHRECORDS_MFA_REQUIRED_ROLES): an account of that role that has not
  enrolled yet is refused everywhere but the enrolment routes (deps.py);
- 400 when it takes parameters (path, query, header) or a body (validation;
  Litestar would otherwise add a 400 of its own shape, not problem+json);
- 404 when its path has parameters (an unknown id, or one the caller may not
  know about, is "not found");
- 413 when it takes a body.

The rest depend on the use case and are declared by the handler itself:
`@post(..., opt=problems(403, 409, 422))`. Handlers may still give their own
`responses=`; those win. tests/fuzz checks that no operation answers a status
its schema does not list; tests/api/test_openapi_contract.py checks the
rules above.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from healthrecords.entrypoints.http.deps import ENROLMENT_OPT
from healthrecords.entrypoints.http.problems import MEDIA_TYPE

OPT_KEY = "problems"


class FieldProblem(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details, as problems.py writes them."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = msgspec.field(default_factory=list)
    unreachable: list[str] = msgspec.field(default_factory=list)


WHY: dict[int, str] = {
    400: "The request is malformed: a parameter, header or body field is invalid.",
    401: "The access token (or the credentials) is missing, invalid, expired or revoked.",
    403: "The caller may see the resource but may not do this.",
    404: "No such resource, or the caller may not know that it exists.",
    409: "The change clashes with what is stored.",
    412: "If-Match names a version that is no longer current.",
    413: "The request body is larger than the server accepts.",
    422: "The request is well-formed but breaks a rule (for example a weak password).",
    429: "Too many requests or failed attempts; see Retry-After.",
    503: "A backing service is unreachable; retry after Retry-After seconds.",
}

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Parameters Litestar fills in itself, never from the request's query or headers.
NOT_FROM_THE_CLIENT = frozenset({"self", "request", "data", "socket", "state", "scope"})


def problems(*statuses: int) -> dict[str, Any]:
    """A handler's `opt`: the problem statuses its use case can answer."""
    unknown = [s for s in statuses if s not in WHY]
    assert not unknown, f"no problem description for {unknown}: add it to WHY"
    return {OPT_KEY: frozenset(statuses)}


def _client_parameters(route: HTTPRoute, handler: HTTPRouteHandler) -> set[str]:
    names = set(handler.parsed_fn_signature.parameters)
    injected = set(handler.resolve_dependencies())
    path = set(route.path_parameters)
    return names - injected - NOT_FROM_THE_CLIENT - path


def problem_statuses(
    route: HTTPRoute, handler: HTTPRouteHandler, *, enrolment_rule: bool = False
) -> set[int]:
    if route.path == "/health":
        return {429}
    if route.path.startswith("/fhir"):
        return set()  # declared by each FHIR route, as OperationOutcome (fhir/openapi.py)
    statuses = {429, 503}
    if handler.resolve_security():
        statuses.add(401)
        if enrolment_rule and not handler.opt.get(ENROLMENT_OPT):
            statuses.add(403)
    if route.path_parameters:
        statuses |= {400, 404}
    takes_body = "data" in handler.parsed_fn_signature.parameters
    if takes_body:
        statuses |= {400, 413}
    if _client_parameters(route, handler):
        statuses.add(400)
    return statuses | set(handler.opt.get(OPT_KEY, ()))


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=WHY.get(status, HTTPStatus(status).phrase),
        media_type=MEDIA_TYPE,
        generate_examples=False,
    )


def document_problems(app: Litestar, *, enrolment_rule: bool) -> None:
    """Add the problem responses to every HTTP operation (before the schema is built).

    `enrolment_rule`: some role must enrol in two-factor before using the API."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            own = dict(handler.responses or {})
            defaults = {
                s: problem_response(s)
                for s in problem_statuses(route, handler, enrolment_rule=enrolment_rule)
            }
            handler.responses = {**defaults, **own}
