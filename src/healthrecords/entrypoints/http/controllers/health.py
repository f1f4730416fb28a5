from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from healthrecords.bootstrap import Container
from healthrecords.entrypoints.http.problems import problem

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 2.0


class HealthController(Controller):
    include_in_schema = True
    tags = ("operations",)

    @get("/health", summary="The process is alive", cache=False)
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", summary="The database (and Redis, when configured) are reachable")
    async def ready(self, container: NamedDependency[Container]) -> Response[Any]:
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
            return problem(503, f"Unreachable: {', '.join(failed)}.", unreachable=failed)
        return Response({"status": "ready", "checks": sorted(container.readiness)})
