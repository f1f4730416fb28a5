"""The Idempotency-Key request header on the POSTs that create something.

The key is scoped to the caller and the route; the fingerprint that decides
"same request" is a SHA-256 of method, path and the canonical body (the parsed
body re-encoded with sorted keys, so key order and spacing do not matter).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.exceptions import ValidationException
from litestar.params import HeaderParameter

from healthrecords.domain.idempotency import (
    HEADER,
    KEY_MAX_CHARS,
    Answer,
    MalformedKey,
    Once,
    digest,
    parse_key,
)

T = TypeVar("T")

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        # Room for the two quotes of the structured-field form.
        max_length=KEY_MAX_CHARS + 2,
        description=(
            "Retry safely: the same key from the same user within 24 hours gets the "
            "first answer back; the same key with another body is 422."
        ),
    ),
]


def once(
    request: Request[Any, Any, Any],
    raw_key: str | None,
    data: msgspec.Struct,
    render: Callable[[T], Answer],
) -> Once[T] | None:
    if raw_key is None:
        return None
    try:
        key = parse_key(raw_key)
    except MalformedKey as exc:
        raise ValidationException(
            detail=f"The {HEADER} header is not valid.",
            extra=[{"key": HEADER, "message": str(exc)}],
        ) from None
    canonical = json.dumps(
        msgspec.to_builtins(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    scope = f"{request.method} {request.url.path}"
    return Once(
        scope=scope[:64],
        key_digest=digest(key),
        fingerprint=digest(f"{scope}\n{canonical}"),
        render=render,
    )


def json_answer(status: int, body: msgspec.Struct, *headers: tuple[str, str]) -> Answer:
    return Answer(status=status, body=msgspec.json.encode(body), headers=headers)


def replayed(answer: Answer) -> Response[Any]:
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type="application/json",
        headers={**dict(answer.headers), "Idempotent-Replayed": "true"},
    )
