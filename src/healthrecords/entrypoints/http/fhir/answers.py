"""What every /fhir route shares: its security and how it answers."""

from __future__ import annotations

from litestar import Response

from healthrecords.entrypoints.http.fhir.resources import Json

SECURITY: list[dict[str, list[str]]] = [{"BearerToken": []}]


def fhir(body: Json, media_type: str, version: int | None = None) -> Response[Json]:
    """A FHIR answer; records carry their version as a weak ETag."""
    headers = {"ETag": f'W/"{version}"'} if version is not None else None
    return Response(body, media_type=media_type, headers=headers)
