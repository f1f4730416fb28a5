"""The query of a FHIR request: only what the CapabilityStatement lists.

Strict handling (http://hl7.org/fhir/R4/search.html#errors): a parameter this
server does not support is refused with 400 rather than silently ignored, so
a client never mistakes an unfiltered answer for a filtered one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Annotated, Any
from uuid import UUID

from litestar import Request
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from healthrecords.domain.pagination import MAX_LIMIT
from healthrecords.domain.records import RecordType
from healthrecords.entrypoints.http.fhir.media import negotiate
from healthrecords.entrypoints.http.fhir.resources import CATEGORIES, CATEGORY_SYSTEM

Count = Annotated[int, QueryParameter(name="_count", ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, QueryParameter(name="_cursor", max_length=200)]
Format = Annotated[str | None, QueryParameter(name="_format", max_length=64)]
PatientParam = Annotated[str, QueryParameter(name="patient", max_length=100)]
Category = Annotated[str | None, QueryParameter(name="category", max_length=200)]

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


def repeated(request: Request[Any, Any, Any], *names: str) -> dict[str, str]:
    """The parameters a next page repeats (validated already)."""
    keep = {*names, "_format"}
    return {k: v for k, v in request.query_params.items() if k in keep}


def categories(value: str) -> frozenset[RecordType]:
    """Comma-separated tokens, `code` or `system|code`; codes we never use match nothing."""
    found: set[RecordType] = set()
    for token in value.split(","):
        system, bar, code = token.strip().rpartition("|")
        if bar and system not in ("", CATEGORY_SYSTEM):
            continue
        if code in CATEGORIES:
            found.add(CATEGORIES[code])
    return frozenset(found)
