"""/schema in a real browser that cannot reach anything but the app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.browser import offline_page
from tests.faults.processes import ApiServer, start_api


@pytest.fixture
async def embedded_api(tmp_path: Path) -> AsyncIterator[ApiServer]:
    server = await start_api({"HEALTHRECORDS_DATA_DIR": str(tmp_path / "data")}, tmp_path)
    yield server
    await server.stop()


async def test_the_docs_page_lists_the_operations_with_the_network_blocked(
    embedded_api: ApiServer,
) -> None:
    base = embedded_api.base_url
    async with offline_page() as page:
        # The block holds: an outside address does not load.
        await page.call("Page.navigate", url="https://example.org/")
        await page.call("Page.navigate", url=f"{base}/schema")
        paths = await page.wait_for(
            "Array.from(document.querySelectorAll('.opblock-summary-path'))"
            ".map(e => e.textContent.replace(/\\u200b/g, ''))"
        )
        title = await page.evaluate("document.title")

    assert "/api/auth/login" in paths
    assert "/api/records/{record_id}" in paths
    assert len(set(paths)) >= 20
    assert title == "healthrecords: API documentation"
    own = [u for u in page.requests if u.startswith(base)]
    outside = [u for u in page.requests if not u.startswith((base, "data:"))]
    assert outside == ["https://example.org/"], outside
    assert f"{base}/schema/openapi.json" in own
    blocked = [m for m in page.messages if "Content Security Policy" in str(m)]
    assert blocked == []
    errors = [m for m in page.messages if m.get("level") == "error" or "exceptionDetails" in m]
    assert [e for e in errors if "example.org" not in str(e)] == []


async def test_the_page_and_its_assets_allow_only_the_apps_own_origin(
    embedded_api: ApiServer,
) -> None:
    async with httpx.AsyncClient(base_url=embedded_api.base_url) as client:
        page = await client.get("/schema")
        csp = dict(
            part.strip().split(" ", 1)
            for part in page.headers["content-security-policy"].split(";")
        )
        assets = [await client.get(u) for u in _asset_urls(page.text)]

    assert csp["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "connect-src"):
        assert csp[directive] == "'self'"
    assert all(a.status_code == 200 for a in assets)
    assert {a.headers["content-type"].split(";")[0] for a in assets} >= {
        "text/javascript",
        "text/css",
    }


def _asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/schema/static/[^"]+)"', page)


@pytest.mark.parametrize(
    "path", ["/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/nope/deeper"]
)
async def test_unknown_schema_paths_answer_problem_json(embedded_api: ApiServer, path: str) -> None:
    async with httpx.AsyncClient(base_url=embedded_api.base_url) as client:
        answer = await client.get(path, headers={"Accept": "text/html"})

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 404
