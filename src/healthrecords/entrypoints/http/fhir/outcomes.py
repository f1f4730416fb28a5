"""Errors under /fhir as FHIR OperationOutcome resources.

The statuses are decided where every error is (problems.py); this only
re-dresses the answer for FHIR clients, so both views keep one mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.types import ExceptionHandlersMap

from healthrecords.entrypoints.http.fhir.media import FHIR_JSON, is_fhir

# http://hl7.org/fhir/R4/valueset-issue-type.html
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    503: "transient",
}

# The services name the REST parameters; FHIR clients sent these.
FHIR_NAMES = {"cursor": "_cursor", "limit": "_count"}

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def operation_outcome(status: int, detail: str, fields: list[dict[str, str]]) -> dict[str, Any]:
    code = ISSUE_CODES.get(status, "exception")
    issues = [
        {
            "severity": "error",
            "code": code,
            "diagnostics": f"{name}: {f['message']}",
            "expression": [name],
        }
        for f in fields
        for name in [FHIR_NAMES.get(f["field"], f["field"])]
    ] or [{"severity": "error", "code": code, "diagnostics": detail}]
    return {"resourceType": "OperationOutcome", "issue": issues}


def as_outcome(response: Response[Any]) -> Response[Any]:
    problem = response.content if isinstance(response.content, dict) else {}
    status = response.status_code or 500
    body = operation_outcome(
        status, str(problem.get("detail") or problem.get("title") or ""), problem.get("errors", [])
    )
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    return Response(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def speaking_fhir(handler: Handler) -> Handler:
    def handle(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        response = handler(request, exc)
        return as_outcome(response) if is_fhir(request.url.path) else response

    return handle


def with_fhir_outcomes(handlers: ExceptionHandlersMap) -> ExceptionHandlersMap:
    """The same handlers, answering OperationOutcome on /fhir paths."""
    return {kind: speaking_fhir(handler) for kind, handler in handlers.items()}
