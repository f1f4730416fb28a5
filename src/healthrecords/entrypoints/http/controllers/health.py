from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency

from healthrecords.bootstrap import Container
from healthrecords.entrypoints.http.problems import problem

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 2.0

Backend = Literal["database", "redis"]


class HealthOut(msgspec.Struct):
    status: Literal["ok"]


class ReadyOut(msgspec.Struct):
    status: Literal["ready"]
    # The backends checked: the database, and Redis when configured.
    checks: list[Backend]


class HealthController(Controller):
    include_in_schema = True
    tags = ("operations",)

    @get("/health", summary="The process is alive", cache=False)
    async def health(self) -> HealthOut:
        return HealthOut("ok")

    @get(
        "/ready",
        summary="The database (and Redis, when configured) are reachable",
        description="503 names the unreachable backends in `unreachable`.",
    )
    async def ready(self, container: NamedDependency[Container]) -> Response[ReadyOut]:
        failed: list[str] = []
        for name, check in container.readiness.items():
            try:
                await asyncio.wait_for(check(), CHECK_TIMEOUT)
            except Exception as exc:
                log.warning(
                    "readiness check failed", extra={"check": name, "error": type(exc).__name__}
                )
                failed.append(name)
        if failed:
            answer: Response[Any] = problem(
                503, f"Unreachable: {', '.join(failed)}.", unreachable=failed
            )
            return answer
        checks: list[Any] = sorted(container.readiness)
        return Response(ReadyOut("ready", checks))
