"""The interactive API docs at /schema, served whole by the app itself.

Swagger UI's files ship in the wheel (docs_assets/, pinned, with their
licence), so the page works with no internet access and its CSP allows
scripts, styles and fetches from the app's own origin only. Any other path
under /schema is a problem+json 404, like every unknown path of the API.
"""

from __future__ import annotations

import html
from functools import cache
from importlib.resources import files
from typing import Any, Final

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.routes import HTTPRoute

SWAGGER_UI_VERSION: Final = "5.35.0"
ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "docs.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "LICENSE": "text/plain",
    "NOTICE": "text/plain",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain",
}
DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@cache
def _asset(name: str) -> bytes:
    return files("healthrecords.entrypoints.http").joinpath("docs_assets", name).read_bytes()


@get("/static/{version:str}/{name:str}", include_in_schema=False, sync_to_thread=False)
def _static(version: FromPath[str], name: FromPath[str]) -> Response[bytes]:
    if version != SWAGGER_UI_VERSION or name not in ASSETS:
        raise NotFoundException(f"No docs asset {version}/{name}.")
    return Response(_asset(name), media_type=ASSETS[name])


@get("/{path:str}", include_in_schema=False, sync_to_thread=False)
def _unknown(path: FromPath[str]) -> None:
    raise NotFoundException(f"No schema document at /schema/{path}.")


class OfflineSwaggerPlugin(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/")
        self.base = "/schema"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        static = f"{self.base}/static/{SWAGGER_UI_VERSION}"
        title = html.escape(str(openapi_schema.get("info", {}).get("title", "API")))
        openapi = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}: API documentation</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="{static}/favicon-32x32.png">
<link rel="stylesheet" href="{static}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script src="{static}/docs.js"></script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        """Serve the assets, and answer unknown schema paths with problem+json
        instead of Litestar's HTML 404 page (whose route is removed here)."""
        self.base = router.path
        catch_all = f"{router.path}/{{path:str}}"
        router.routes[:] = [
            r for r in router.routes if not (isinstance(r, HTTPRoute) and r.path == catch_all)
        ]
        router.register(_static)
        router.register(_unknown)
