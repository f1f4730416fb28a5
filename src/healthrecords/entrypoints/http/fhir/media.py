"""FHIR's JSON media types and which one a request gets."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException

FHIR_JSON = "application/fhir+json"
JSON = "application/json"
PREFIX = "/fhir"
# `_format` values naming JSON (http://hl7.org/fhir/R4/http.html#mime-type).
FORMATS = {"json": FHIR_JSON, FHIR_JSON: FHIR_JSON, JSON: JSON}


class NotAcceptable(HTTPException):
    status_code = 406


def is_fhir(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def negotiate(request: Request[Any, Any, Any]) -> str:
    """FHIR JSON unless the client asks for plain JSON; 406 for anything else (XML)."""
    wanted = request.query_params.get("_format")
    if wanted is not None:
        if (chosen := FORMATS.get(wanted.split(";")[0].strip())) is None:
            raise NotAcceptable("Only JSON is served: _format=json.")
        return chosen
    if not request.headers.get("accept", "").strip():
        return FHIR_JSON
    chosen = request.accept.best_match([FHIR_JSON, JSON, "application/json+fhir"])
    if chosen is None:
        raise NotAcceptable("Only application/fhir+json and application/json are served.")
    return JSON if chosen == JSON else FHIR_JSON
