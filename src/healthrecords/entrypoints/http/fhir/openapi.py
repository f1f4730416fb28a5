"""How the /fhir operations are documented: FHIR JSON, errors as OperationOutcome."""

from __future__ import annotations

from http import HTTPStatus

import msgspec
from litestar.openapi.datastructures import ResponseSpec

from healthrecords.entrypoints.http.fhir.media import FHIR_JSON
from healthrecords.entrypoints.http.openapi_errors import WHY


class Issue(msgspec.Struct, omit_defaults=True):
    severity: str
    code: str
    diagnostics: str
    expression: list[str] | None = None


class OperationOutcome(msgspec.Struct, rename={"resource_type": "resourceType"}):
    resource_type: str
    issue: list[Issue]


WHY_HERE = {
    **WHY,
    400: "A query parameter is invalid, repeated or not supported here.",
    406: "The Accept header or _format asks for something other than JSON.",
}
# Every signed-in read: bad query, no token, not visible, not JSON, throttled, database down.
SIGNED = (400, 401, 404, 406, 429, 503)


def fhir_responses(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=OperationOutcome,
            description=WHY_HERE.get(status, HTTPStatus(status).phrase),
            media_type=FHIR_JSON,
            generate_examples=False,
        )
        for status in statuses
    }
