"""The query of a FHIR request: only what the CapabilityStatement lists.

Strict handling (http://hl7.org/fhir/R4/search.html#errors): a parameter this
server does not support is refused with 400 rather than silently ignored, so
a client never mistakes an unfiltered answer for a filtered one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.exceptions import ValidationException

from healthrecords.entrypoints.http.fhir.media import negotiate

GENERAL = frozenset({"_format"})


def accepted(request: Request[Any, Any, Any], allowed: Collection[str]) -> str:
    """The media type to answer in, once the query holds only `allowed` (and
    `_format`), each once; checked before any read, so a refused query reads nothing."""
    seen = Counter(name for name, _ in request.query_params.multi_items())
    problems = [
        {"key": name, "message": "is not a parameter this server supports here"}
        for name in seen
        if name not in allowed and name not in GENERAL
    ] + [{"key": name, "message": "may be given once"} for name, n in seen.items() if n > 1]
    if problems:
        raise ValidationException("The request is not valid.", extra=problems)
    return negotiate(request)


def patient_id(value: str) -> UUID:
    """`{id}` or `Patient/{id}`, as FHIR reference parameters allow."""
    try:
        return UUID(value.strip().removeprefix("Patient/"))
    except ValueError:
        raise ValidationException(
            "The request is not valid.",
            extra=[{"key": "patient", "message": "must be a Patient id or Patient/{id}"}],
        ) from None
