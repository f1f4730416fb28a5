"""/schema/asyncapi.json: valid AsyncAPI 3.0, and the frames a real socket sends match it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.config import Settings
from healthrecords.domain.notifications import NotificationKind
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.sockets import protocol
from tests.api.notification_live import LiveServer, live_server, recv, send

# From the npm package @asyncapi/specs 6.11.1 (schemas/3.0.0-without-$id.json,
# Apache-2.0, see tests/schemas/asyncapi-LICENSE): no network at test time.
ASYNCAPI_3 = json.loads((Path(__file__).parents[1] / "schemas" / "asyncapi-3.0.0.json").read_text())


@pytest.fixture(scope="module")
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    async with live_server(settings) as server:
        yield server


async def fetch(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    answer = await client.get("/schema/asyncapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    doc: dict[str, Any] = answer.json()
    return doc


async def test_the_document_is_valid_asyncapi_3(client: AsyncTestClient[Litestar]) -> None:
    doc = await fetch(client)
    validator = jsonschema_rs.validator_for(ASYNCAPI_3)

    assert [str(e) for e in validator.iter_errors(doc)] == []
    assert doc["asyncapi"] == "3.0.0"
    # The validator does refuse a broken document (it is not a no-op).
    broken = {**doc, "channels": {"notifications": {"address": 42}}}
    assert not validator.is_valid(broken)


async def test_it_names_every_message_kind_and_close_code(
    client: AsyncTestClient[Litestar],
) -> None:
    doc = await fetch(client)
    messages = doc["components"]["messages"]
    channel = doc["channels"]["notifications"]

    assert channel["address"] == "/api/ws/notifications/"
    assert set(messages) == {"auth", "resume", "ping", "pong", "ready", "notification", "error"}
    kinds = messages["notification"]["payload"]["properties"]["kind"]["enum"]
    assert kinds == [k.value for k in NotificationKind]
    codes = {int(c) for c in channel["x-close-codes"]}
    declared = {v for k, v in vars(protocol).items() if k.startswith("CLOSE_")}
    assert declared <= codes
    for code in codes:
        assert f"**{code}**" in channel["description"]


async def test_real_frames_match_their_message_schemas(
    live: LiveServer, client: AsyncTestClient[Litestar]
) -> None:
    messages = (await fetch(client))["components"]["messages"]
    doctor = await live.user(Role.DOCTOR)
    frames: list[dict[str, Any]] = []
    sent = [{"type": "auth", "token": doctor.token, "resume_after": None}]
    async with live.socket() as ws:
        await send(ws, sent[0])
        frames.append(await recv(ws))
        await live.notify(doctor.id)
        frames.append(await recv(ws))
        sent.append({"type": "ping"})
        await send(ws, sent[-1])
        frames.append(await recv(ws))
        await send(ws, {"type": "nonsense"})
        frames.append(await recv(ws))

    assert [f["type"] for f in frames] == ["ready", "notification", "pong", "error"]
    for frame in [*frames, *sent]:
        schema = messages[frame["type"]]["payload"]
        assert jsonschema_rs.is_valid(schema, frame), (frame, schema)
