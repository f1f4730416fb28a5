"""Request ids, one access-log line per request, and security headers.

Headers are added in a `before_send` hook, which also sees the answers
Litestar gives before any middleware runs (unknown routes, wrong methods).
It is the one pass over a response's headers: it also notes the status for
the access log and adds what middleware left in the scope's state (the rate
limit's headers), so no middleware wraps `send` for itself. The fixed
headers are built once.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from litestar.enums import ScopeType
from litestar.types import ASGIApp, BeforeMessageSendHookHandler, Message, Receive, Scope, Send

from healthrecords.entrypoints.http.docs_page import DOCS_CSP as DOCS_PAGE_CSP
from healthrecords.entrypoints.logs import request_id_var

log = logging.getLogger("healthrecords.access")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The docs page's scripts, styles and fetches come from the app itself (docs_page.py).
DOCS_CSP = DOCS_PAGE_CSP.encode()


def security_headers(path: str, hsts_max_age: int) -> list[tuple[bytes, bytes]]:
    docs = path.startswith("/schema")
    headers = [] if docs else [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
    headers += [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", DOCS_CSP if docs else API_CSP),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if hsts_max_age:
        headers.append(
            (b"strict-transport-security", f"max-age={hsts_max_age}; includeSubDomains".encode())
        )
    return headers


# Keys in the scope's state: the answer's status (for the access log), and
# headers a middleware wants on the answer.
STATUS = "response_status"
EXTRA_HEADERS = "extra_response_headers"


def security_headers_hook(hsts_max_age: int) -> BeforeMessageSendHookHandler:
    api = security_headers("/api", hsts_max_age)
    docs = security_headers("/schema", hsts_max_age)

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        state = scope.setdefault("state", {})
        state[STATUS] = message["status"]
        request_id = state.setdefault("request_id", uuid.uuid4().hex)
        # Health data and tokens must never sit in a shared or browser cache.
        headers = [h for h in message.get("headers", ()) if h[0].lower() != b"cache-control"]
        headers.append((b"x-request-id", request_id.encode()))
        headers.extend(docs if scope["path"].startswith("/schema") else api)
        if extra := state.get(EXTRA_HEADERS):
            headers.extend(extra)
        message["headers"] = headers

    return add_headers


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        path = scope["path"]
        try:
            await app(scope, receive, send)
        finally:
            if scope["type"] == ScopeType.HTTP:
                log.info(
                    "request",
                    extra={
                        "method": scope.get("method", ""),
                        "path": path,
                        # Noted by the headers hook; 0 if no answer was started.
                        "status": state.get(STATUS, 0),
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(token)

    return middleware
