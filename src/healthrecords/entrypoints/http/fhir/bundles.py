"""searchset Bundles: one page of results, a `self` link and a keyset `next` link.

`total` is left out (counting a file would cost what the page saves); the
`next` link repeats the query with `_cursor`, never an offset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from litestar import Request

from healthrecords.entrypoints.http.fhir.media import PREFIX
from healthrecords.entrypoints.http.fhir.resources import Json

MATCH, INCLUDE = "match", "include"


def fhir_base(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def searchset(
    request: Request[Any, Any, Any],
    entries: Sequence[tuple[Json, str]],
    query: Mapping[str, str],
    next_cursor: str | None,
) -> Json:
    """`entries`: (resource, search mode); `query`: the parameters a next page repeats."""
    base = fhir_base(request)
    here = base + request.url.path.removeprefix(PREFIX)
    links = [{"relation": "self", "url": str(request.url)}]
    if next_cursor is not None:
        links.append(
            {"relation": "next", "url": f"{here}?{urlencode({**query, '_cursor': next_cursor})}"}
        )
    bundle: Json = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if entries:  # FHIR JSON never holds an empty array
        bundle["entry"] = [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": mode},
            }
            for resource, mode in entries
        ]
    return bundle
