"""/schema/openapi.json as the server really behaves, beyond what Litestar infers.

A request body struct declared with `forbid_unknown_fields=True` is answered
400 for any field it does not know; Litestar's generated schema leaves
`additionalProperties` open, so a generated client (or a fuzzer) would believe
extra fields are fine. The served document closes them. New request structs
get this by declaring `forbid_unknown_fields=True`: nothing to add here.

Response headers declared with Litestar's `ResponseHeader(documentation_only=True)`
come without a schema, which OpenAPI requires; they are strings.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin


def _structs(base: type[msgspec.Struct]) -> list[type[msgspec.Struct]]:
    found = []
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(_structs(sub))
    return found


def strict_struct_names() -> set[str]:
    """Our structs that refuse unknown fields, by the name Litestar gives their schema."""
    return {
        s.__name__
        for s in _structs(msgspec.Struct)
        if s.__module__.startswith("healthrecords.") and s.__struct_config__.forbid_unknown_fields
    }


def tighten(schema: dict[str, Any]) -> dict[str, Any]:
    strict = strict_struct_names()
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        if name in strict and component.get("type") == "object":
            component["additionalProperties"] = False
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for header in response.get("headers", {}).values():
                    if "schema" not in header and "content" not in header:
                        header["schema"] = {"type": "string"}
    return schema


class StrictJsonRenderPlugin(JsonRenderPlugin):
    """Serves openapi.json with the additions above (computed once per app)."""

    def __init__(self) -> None:
        super().__init__()
        self._tightened: dict[str, Any] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._tightened is None:
            self._tightened = tighten(openapi_schema)
        return super().render(request, self._tightened)
