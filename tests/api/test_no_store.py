"""Every answer that carries health data or tokens says `Cache-Control: no-store`."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser
from tests.api.test_records_api import create

Client = AsyncTestClient[Litestar]


async def test_health_data_and_tokens_are_never_cached(client: Client, make_user: MakeUser) -> None:
    patient = await make_user(Role.PATIENT)
    record = await create(client, patient)
    answers = [
        await client.get(f"/api/records/{record['id']}/", headers=patient.headers),
        await client.get("/api/records/", headers=patient.headers),
        await client.get("/api/records/access-log/", headers=patient.headers),
        await client.get("/api/notifications/", headers=patient.headers),
        await client.post(
            "/api/auth/login/", json={"email": patient.email, "password": patient.password}
        ),
        await client.get(f"/api/records/{record['id']}/", headers={"Authorization": "Bearer x"}),
    ]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store", answer.url
        assert answer.headers["pragma"] == "no-cache", answer.url
    assert answers[4].status_code == 200
    assert "access_token" in answers[4].json()
