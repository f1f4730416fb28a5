"""Every error becomes an RFC 9457 problem+json document, in this one place."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from healthrecords.domain import errors

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://healthrecords.dev/problems/"

DOMAIN_STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 422,
    errors.AuthenticationFailed: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.TooManyAttempts: 429,
    errors.Unavailable: 503,
    # Already logged (ids only) where it failed; the client learns nothing more.
    errors.StoredDataUnreadable: 500,
}


def problem(
    status: int,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    phrase = HTTPStatus(status).phrase
    body = {
        "type": TYPE_BASE + phrase.lower().replace(" ", "-").replace("'", ""),
        "title": phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _domain_error(_: Request[Any, Any, Any], exc: errors.DomainError) -> Response[Any]:
    status = next((s for t, s in DOMAIN_STATUS.items() if isinstance(exc, t)), 400)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.AuthenticationFailed):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, errors.TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.Unavailable):
        headers["Retry-After"] = "5"
    if isinstance(exc, errors.InvalidInput):
        extra["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    return problem(status, exc.detail, headers=headers or None, **extra)


def _validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    found = exc.extra if isinstance(exc.extra, list) else []
    fields = [
        {"field": str(item.get("key") or item.get("source") or "body"), "message": item["message"]}
        for item in found
        if isinstance(item, dict) and "message" in item
    ]
    detail = "The request is not valid." if fields else _safe_detail(exc)
    return problem(400, detail, errors=fields)


def _safe_detail(exc: HTTPException) -> str:
    # Litestar's own details for 4xx name the route or the parse error, never
    # request data; anything else gets the generic phrase.
    detail = str(exc.detail or "")
    return detail if detail and len(detail) < 200 else HTTPStatus(exc.status_code).phrase


# Litestar's words when the client hung up before its body arrived.
CLIENT_GONE = "client disconnected prematurely"


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.detail == CLIENT_GONE:
        # Nobody reads this answer; the access log says what happened, and a
        # client that went away is no server error.
        return problem(400, "The connection closed before the request body arrived.")
    if exc.status_code >= 500:
        # Litestar's own 5xx (a failure inside the framework) is a bug too.
        _log_unhandled(request, exc)
    headers = {
        k: v
        for k, v in (exc.headers or {}).items()
        if k.lower() in {"allow", "retry-after"} or k.lower().startswith("ratelimit-")
    }
    if exc.status_code == 429:
        # The rate-limit middleware says when its window resets; clients read Retry-After.
        reset = next((v for k, v in headers.items() if k.lower() == "ratelimit-reset"), "60")
        headers.setdefault("Retry-After", str(max(1, int(reset))))
    return problem(exc.status_code, _safe_detail(exc), headers=headers or None)


def _too_deep(_: Request[Any, Any, Any], __: RecursionError) -> Response[Any]:
    # msgspec gives up on absurdly nested JSON with a RecursionError.
    return problem(400, "The JSON document is nested too deeply.")


def _log_unhandled(request: Request[Any, Any, Any], exc: Exception) -> None:
    """Types and the path only: an error's text may quote request data."""
    cause = exc.__cause__ or exc.__context__
    extra = {"error_type": type(exc).__name__, "path": request.url.path}
    if cause is not None:
        extra["cause"] = type(cause).__name__
    log.error("unhandled error", extra=extra)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log_unhandled(request, exc)
    return problem(500, "An unexpected error occurred. It has been logged.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    errors.DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    RecursionError: _too_deep,
    Exception: _unexpected,
}
