"""What every /fhir route shares: its security and how it answers."""

from __future__ import annotations

from typing import Any

from litestar import Response, get

from healthrecords.entrypoints.http.fhir.media import FHIR_JSON
from healthrecords.entrypoints.http.fhir.openapi import SIGNED, fhir_responses
from healthrecords.entrypoints.http.fhir.resources import Json

SECURITY: list[dict[str, list[str]]] = [{"BearerToken": []}]


def signed_get(path: str, summary: str, *statuses: int, **names: Any) -> get:
    """A GET for signed-in callers, answering FHIR JSON; `statuses` beyond SIGNED."""
    return get(
        path,
        summary=summary,
        security=SECURITY,
        media_type=FHIR_JSON,
        responses=fhir_responses(*SIGNED, *statuses),
        **names,
    )


def fhir(body: Json, media_type: str, version: int | None = None) -> Response[Json]:
    """A FHIR answer; records carry their version as a weak ETag."""
    headers = {"ETag": f'W/"{version}"'} if version is not None else None
    return Response(body, media_type=media_type, headers=headers)
