"""Every operation declares, in OpenAPI, the problem+json answers it can give.

Clients (and the schema fuzzing test) may rely on this: an API answer whose
status the schema does not list for that operation is a bug. Handlers may
declare their own `responses=`; those win over these defaults.
"""

from __future__ import annotations

from http import HTTPStatus

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from healthrecords.entrypoints.http.problems import MEDIA_TYPE


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

API_ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422, 429, 503})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def problem_statuses(path: str, handler: HTTPRouteHandler) -> set[int]:
    if path == "/health":
        return {429}
    if path == "/ready":
        return {429, 503}
    if path.startswith("/fhir"):
        return set()  # declared by each FHIR route, as OperationOutcome (fhir/openapi.py)
    statuses = set(API_ERRORS)
    if handler.http_methods & BODY_METHODS:
        statuses.add(413)
    return statuses


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=WHY.get(status, HTTPStatus(status).phrase),
        media_type=MEDIA_TYPE,
        generate_examples=False,
    )


def document_problems(app: Litestar) -> None:
    """Add the problem responses to every HTTP operation (before the schema is built)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            own = dict(handler.responses or {})
            defaults = {s: problem_response(s) for s in problem_statuses(route.path, handler)}
            handler.responses = {**defaults, **own}
