"""Headless Chromium driven over the DevTools protocol, with the network cut off.

Only loopback is reachable: every host name resolves to nothing except
127.0.0.1, and anything else would have to pass a proxy that does not exist.
Each request the page makes and each console or security message is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--remote-debugging-port=0",
    "--remote-debugging-address=127.0.0.1",
]
START_DEADLINE = 30.0


@dataclass
class Page:
    socket: ClientConnection
    requests: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _waiting: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = answer
        await self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        result = await asyncio.wait_for(answer, 30)
        if "error" in result:
            raise AssertionError(f"{method}: {result['error']}")
        out: dict[str, Any] = result.get("result", {})
        return out

    async def evaluate(self, expression: str) -> Any:
        done = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return done["result"].get("value")

    async def wait_for(self, expression: str, deadline: float = 30.0) -> Any:
        """Until `expression` is truthy in the page; its value."""
        end = time.monotonic() + deadline
        while not (value := await self.evaluate(expression)):
            assert time.monotonic() < end, f"never true: {expression}\n{self.messages}"
            await asyncio.sleep(0.2)
        return value

    async def _read(self) -> None:
        async for raw in self.socket:
            event = json.loads(raw)
            if "id" in event and (waiting := self._waiting.pop(event["id"], None)):
                waiting.set_result(event)
            elif event.get("method") == "Network.requestWillBeSent":
                self.requests.append(event["params"]["request"]["url"])
            elif event.get("method") == "Log.entryAdded":
                self.messages.append(event["params"]["entry"])
            elif event.get("method") in {"Runtime.exceptionThrown", "Runtime.consoleAPICalled"}:
                self.messages.append(event["params"])


async def _devtools_port(profile: Path, process: asyncio.subprocess.Process) -> int:
    marker = profile / "DevToolsActivePort"
    end = time.monotonic() + START_DEADLINE
    while not marker.exists() or not marker.read_text().strip():
        assert process.returncode is None, "chromium exited at start"
        assert time.monotonic() < end, "chromium's DevTools port never appeared"
        await asyncio.sleep(0.1)
    return int(marker.read_text().split()[0])


@contextlib.asynccontextmanager
async def offline_page() -> AsyncIterator[Page]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("Debian's `chromium` is needed (apt-get install chromium; .ci/run does)")
    # Chromium's helpers can still be writing to the profile as it is removed.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = await asyncio.create_subprocess_exec(
            *(binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,  # its helpers in one group, ended together below
        )
        try:
            port = await _devtools_port(Path(profile), process)
            async with httpx.AsyncClient(timeout=10) as http:
                targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
            url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            async with connect(url, max_size=None) as socket:
                page = Page(socket)
                reader = asyncio.create_task(page._read())
                try:
                    for domain in ("Network", "Log", "Runtime", "Page"):
                        await page.call(f"{domain}.enable")
                    yield page
                finally:
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reader
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await asyncio.wait_for(process.wait(), 10)
