"""WebSocket /api/ws/notifications/ on a real server, both runtime modes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from healthrecords.config import Settings
from healthrecords.domain.actor import Actor
from healthrecords.domain.tokens import RefreshTokenFamily
from healthrecords.domain.users import Role
from healthrecords.entrypoints.http.sockets import notifications as socket_module
from healthrecords.entrypoints.http.sockets.limits import Timings
from tests.api.notification_live import (
    LiveServer,
    closed_with,
    live_server,
    nothing_more,
    notifications,
    recv,
    send,
)
from tests.api.test_auth import bearer

FRAME_KEYS = {"type", "id", "kind", "payload", "created_at"}


@pytest.fixture(scope="module")
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    async with live_server(settings) as server:
        yield server


async def test_ready_then_each_notification_as_a_frame(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    async with live.socket(doctor) as ws:
        (note,) = await live.notify(doctor.id)
        (frame,) = await notifications(ws, 1)
    assert set(frame) == FRAME_KEYS
    assert frame["id"] == str(note)
    assert frame["kind"] == "annotation.created"
    assert set(frame["payload"]) == {"annotation_id", "n"}


async def test_resume_replays_the_missed_50_in_order_then_live(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    async with live.socket(doctor) as ws:
        (seen,) = await live.notify(doctor.id)
        assert (await recv(ws))["id"] == str(seen)
    missed = await live.notify(doctor.id, 50)
    async with live.socket(doctor) as ws:
        await send(ws, {"type": "resume", "after": str(seen)})
        replayed = await notifications(ws, 50)
        assert [f["id"] for f in replayed] == [str(i) for i in missed]
        later = await live.notify(doctor.id, 3)
        assert [f["id"] for f in await notifications(ws, 3)] == [str(i) for i in later]
        await nothing_more(ws)


async def test_resume_without_after_replays_everything(live: LiveServer) -> None:
    patient = await live.user(Role.PATIENT)
    earlier = await live.notify(patient.id, 3)
    async with live.socket(patient) as ws:
        await send(ws, {"type": "resume", "after": None})
        assert [f["id"] for f in await notifications(ws, 3)] == [str(i) for i in earlier]
        await nothing_more(ws)


async def test_resume_while_notifications_stream_has_no_gap_and_no_duplicate(
    live: LiveServer,
) -> None:
    doctor = await live.user(Role.DOCTOR)
    (seen,) = await live.notify(doctor.id)
    writer = asyncio.create_task(live.notify(doctor.id, 40))
    async with live.socket(doctor) as ws:
        await send(ws, {"type": "resume", "after": str(seen)})
        written = await writer
        frames = await notifications(ws, 40)
        assert [f["id"] for f in frames] == [str(i) for i in written]
        await nothing_more(ws)


async def test_a_second_resume_sends_nothing_twice(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    first = await live.notify(doctor.id, 3)
    async with live.socket(doctor) as ws:
        await send(ws, {"type": "resume", "after": str(first[0])})
        assert len(await notifications(ws, 2)) == 2
        live_ones = await live.notify(doctor.id, 2)
        assert [f["id"] for f in await notifications(ws, 2)] == [str(i) for i in live_ones]
        await send(ws, {"type": "resume", "after": str(first[0])})
        await nothing_more(ws)


async def test_every_socket_of_a_user_receives(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    other = await live.user(Role.DOCTOR)
    async with (
        live.socket(doctor) as phone,
        live.socket(doctor) as laptop,
        live.socket(other) as stranger,
    ):
        (note,) = await live.notify(doctor.id)
        assert (await recv(phone))["id"] == str(note)
        assert (await recv(laptop))["id"] == str(note)
        await nothing_more(stranger)


async def test_first_message_must_be_a_valid_auth(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    for first in (
        {"type": "resume", "after": None},
        {"type": "auth", "token": "not-a-jwt"},
        {"type": "auth"},
        {"token": doctor.token},
    ):
        async with live.socket() as ws:
            await send(ws, first)
            assert await closed_with(ws) == 4401, first
    async with live.socket() as ws:
        await ws.send("{not json")
        assert await closed_with(ws) == 4401


async def test_silence_after_connecting_closes_4401(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket_module, "TIMINGS", Timings(auth_timeout=0.2))
    async with live.socket() as ws:
        assert await closed_with(ws) == 4401


async def test_expired_token_closes_4401(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    async with live.socket(doctor) as ws:
        live.clock.advance(live.container.settings.access_token_ttl + 1)
        await send(ws, {"type": "ping"})
        assert await closed_with(ws) == 4401


async def test_fresh_auth_keeps_the_socket_past_the_first_tokens_expiry(
    live: LiveServer,
) -> None:
    doctor = await live.user(Role.DOCTOR)
    ttl = live.container.settings.access_token_ttl
    async with live.socket(doctor) as ws:
        live.clock.advance(ttl - 10)
        await send(ws, {"type": "auth", "token": live.token(doctor.id, doctor.role)})
        await nothing_more(ws)
        live.clock.advance(20)
        await nothing_more(ws)
        (note,) = await live.notify(doctor.id)
        assert (await recv(ws))["id"] == str(note)
        other = await live.user(Role.DOCTOR)
        await send(ws, {"type": "auth", "token": other.token})
        assert await closed_with(ws) == 4401


async def test_deactivating_the_account_closes_its_open_sockets(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket_module, "TIMINGS", Timings(account_check_interval=0.2))
    doctor = await live.user(Role.DOCTOR)
    async with live.socket(doctor) as ws:
        async with live.container.uow() as uow:
            user = await uow.users.get(doctor.id)
            assert user is not None
            await uow.users.update(dataclasses.replace(user, is_active=False))
            await uow.commit()
        assert await closed_with(ws) == 4401


async def test_ending_the_session_closes_its_sockets_4401(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DELETE /api/auth/sessions/{sid}/ (or logout, or a password change) ends the
    session: its sockets close with 4401 within the account check interval."""
    monkeypatch.setattr(socket_module, "TIMINGS", Timings(account_check_interval=0.2))
    doctor = await live.user(Role.DOCTOR)
    session = live.session_of(doctor)
    async with live.socket(doctor) as ws, httpx.AsyncClient() as http:
        ended = await http.delete(
            f"http://127.0.0.1:{live.port}/api/auth/sessions/{session}/",
            headers={"Authorization": f"Bearer {doctor.token}"},
        )
        assert ended.status_code == 204
        assert await closed_with(ws) == 4401


async def test_a_token_of_an_ended_session_cannot_open_a_socket(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    async with live.container.uow() as uow:
        assert await uow.refresh_tokens.revoke_family(live.session_of(doctor), live.clock.now())
        await uow.commit()
    async with live.socket() as ws:
        await send(ws, {"type": "auth", "token": doctor.token})
        assert await closed_with(ws) == 4401


async def test_a_fresh_token_of_another_session_moves_the_socket_to_it(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket lives as long as the session of its latest token: ending the
    one it started under no longer closes it, ending the new one does."""
    monkeypatch.setattr(socket_module, "TIMINGS", Timings(account_check_interval=0.2))
    doctor = await live.user(Role.DOCTOR)
    first = live.session_of(doctor)
    second = uuid4()
    async with live.container.uow() as uow:
        now = live.clock.now()
        await uow.refresh_tokens.add_family(
            RefreshTokenFamily(id=second, user_id=doctor.id, created_at=now)
        )
        await uow.commit()
    fresh = live.container.access_tokens.issue(doctor.id, Role.DOCTOR, second)[0]
    base = f"http://127.0.0.1:{live.port}/api/auth/sessions"
    async with live.socket(doctor) as moved, live.socket(doctor) as stays:
        await send(moved, {"type": "auth", "token": fresh})
        (note,) = await live.notify(doctor.id)
        assert (await recv(moved))["id"] == str(note)  # the auth was taken in order
        async with httpx.AsyncClient() as http:
            ended = await http.delete(f"{base}/{first}/", headers=bearer(fresh))
            assert ended.status_code == 204
            # The read that closes the socket left on the first session...
            assert await closed_with(stays) == 4401
            # ...kept the moved one open.
            (note,) = await live.notify(doctor.id)
            assert (await recv(moved))["id"] == str(note)
            ended = await http.delete(f"{base}/{second}/", headers=bearer(fresh))
            assert ended.status_code == 204
        assert await closed_with(moved) == 4401


async def test_deactivating_one_account_closes_only_its_sockets(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One read checks every socket's account; it must end only the deactivated one's.
    monkeypatch.setattr(socket_module, "TIMINGS", Timings(account_check_interval=0.2))
    users = [await live.user(Role.DOCTOR) for _ in range(5)]
    async with contextlib.AsyncExitStack() as stack:
        sockets = await asyncio.gather(
            *(stack.enter_async_context(live.socket(u)) for u in users for _ in range(2))
        )
        gone = users[0]
        async with live.container.uow() as uow:
            user = await uow.users.get(gone.id)
            assert user is not None
            await uow.users.update(dataclasses.replace(user, is_active=False))
            await uow.commit()

        assert await asyncio.gather(*(closed_with(ws) for ws in sockets[:2])) == [4401, 4401]
        for i, kept in enumerate(users[1:], start=1):
            (note,) = await live.notify(kept.id)
            for ws in sockets[2 * i : 2 * i + 2]:
                assert (await recv(ws))["id"] == str(note)


async def test_erasing_the_patients_file_closes_its_open_sockets(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket_module, "TIMINGS", Timings(account_check_interval=0.2))
    patient, admin = await live.user(Role.PATIENT), await live.user(Role.ADMIN)
    async with live.socket(patient) as ws:
        actor = Actor(id=admin.id, role=Role.ADMIN)
        await live.container.erasure.erase(actor, patient.id, None)
        assert await closed_with(ws) == 4401


async def test_foreign_origin_is_refused(live: LiveServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with live.socket(headers={"Origin": "https://evil.example"}):
            pass
    assert refused.value.response.status_code == 403


async def test_unknown_messages_and_foreign_ids_get_an_error_frame(live: LiveServer) -> None:
    doctor, other = await live.user(Role.DOCTOR), await live.user(Role.DOCTOR)
    (foreign,) = await live.notify(other.id)
    async with live.socket(doctor) as ws:
        await send(ws, {"type": "subscribe"})
        assert (await recv(ws))["type"] == "error"
        await send(ws, {"type": "resume", "after": str(foreign)})
        assert (await recv(ws))["type"] == "error"
        await send(ws, {"type": "resume", "after": "nope"})
        assert (await recv(ws))["type"] == "error"
        await nothing_more(ws)


async def test_resume_after_in_auth_replays_then_live_strictly_in_order(live: LiveServer) -> None:
    doctor = await live.user(Role.DOCTOR)
    (seen,) = await live.notify(doctor.id)
    missed = await live.notify(doctor.id, 20)
    writer = asyncio.create_task(live.notify(doctor.id, 20))
    async with live.socket() as ws:
        await send(ws, {"type": "auth", "token": doctor.token, "resume_after": str(seen)})
        assert await recv(ws) == {"type": "ready"}
        written = missed + await writer
        frames = await notifications(ws, 40)
        assert [f["id"] for f in frames] == [str(i) for i in written]
        await nothing_more(ws)


async def test_a_live_notification_waits_for_a_resume_that_comes_after_ready(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long grace, so the live one is surely delivered before the resume.
    monkeypatch.setattr(socket_module, "TIMINGS", Timings(resume_grace=30))
    doctor = await live.user(Role.DOCTOR)
    (seen,) = await live.notify(doctor.id)
    missed = await live.notify(doctor.id, 5)
    async with live.socket(doctor) as ws:
        (live_one,) = await live.notify(doctor.id)
        await delivered(live, live_one)
        await send(ws, {"type": "resume", "after": str(seen)})
        frames = await notifications(ws, 6)
        assert [f["id"] for f in frames] == [str(i) for i in [*missed, live_one]]
        await nothing_more(ws)


async def test_a_resume_after_that_is_not_yours_closes_4400(live: LiveServer) -> None:
    doctor, other = await live.user(Role.DOCTOR), await live.user(Role.DOCTOR)
    (foreign,) = await live.notify(other.id)
    for after in (str(foreign), "nope", 7):
        async with live.socket() as ws:
            await send(ws, {"type": "auth", "token": doctor.token, "resume_after": after})
            assert await closed_with(ws) == 4400, after


async def delivered(live: LiveServer, notification_id: UUID) -> None:
    end = time.monotonic() + 10
    while True:
        async with live.container.uow() as uow:
            found = await uow.notifications.get(notification_id)
        if found is not None and found.delivered_at is not None:
            return
        assert time.monotonic() < end, "the notification was not delivered"
        await asyncio.sleep(0.02)
