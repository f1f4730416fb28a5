"""Every records-side route x every kind of caller, from ONE table.

A route of this capability missing from ROUTES fails `test_every_route_is_in_the_matrix`,
so a new route cannot be forgotten. Each case runs in a fresh world on both backends,
and a refused change must leave the world exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from healthrecords.domain.users import Role
from tests.api.conftest import MakeUser, TestUser

Client = AsyncTestClient[Litestar]
ROLES = (
    "anonymous",
    "owner",
    "other_patient",
    "assigned_doctor",
    "unassigned_doctor",
    "revoked_doctor",
    "admin",
)
OWNED_PREFIXES = (
    "/api/records",
    "/api/assignments",
    "/api/doctors/patients",
    "/api/doctors/annotations",
    "/api/audit",
    # Account security (issue 15): every caller acts on its own account only.
    "/api/auth/sessions",
    "/api/auth/password",
    "/api/auth/mfa",
    "/api/patients",
    "/api/emergency-access",
    "/fhir",
)


@dataclass
class World:
    users: dict[str, TestUser]
    record: str  # written by the owner
    doctors_record: str  # written by the assigned doctor
    revoked_doctors_record: str  # written by the revoked doctor while assigned
    assignment: str  # owner -> assigned doctor
    grant: str  # emergency access to the owner's file, opened by the unassigned doctor

    def ids(self) -> dict[str, str]:
        return {
            "record": self.record,
            "doctors_record": self.doctors_record,
            "revoked_doctors_record": self.revoked_doctors_record,
            "assignment": self.assignment,
            "grant": self.grant,
            "patient": str(self.users["owner"].id),
            "unassigned_doctor": str(self.users["unassigned_doctor"].id),
            "owner_session": str(self.users["owner"].session_id),
            "owner_password": self.users["owner"].password,
        }


Body = Callable[[dict[str, str]], dict[str, Any]]


def record_body(ids: dict[str, str]) -> dict[str, Any]:
    return {"title": "t", "record_type": "note", "content": "c", "patient_id": ids["patient"]}


def wrong_password_change(_: dict[str, str]) -> dict[str, Any]:
    return {"current_password": "not-the-password", "new_password": "Another-Passphrase-42"}


def world_ids(owner: TestUser) -> dict[str, str]:
    return {"patient": str(owner.id)}


def emergency_body(ids: dict[str, str]) -> dict[str, Any]:
    return {"patient_id": ids["patient"], "reason": "Unconscious in the ER, nobody on call"}


def update_body(_: dict[str, str]) -> dict[str, Any]:
    return {"title": "changed", "record_type": "note", "content": "changed"}


@dataclass(frozen=True)
class Route:
    method: str
    route: str  # the app's path template, to prove coverage
    url: str  # filled from World.ids()
    expect: tuple[int, int, int, int, int, int, int]  # in ROLES order
    body: Body | None = None


R, A = "/api/records/{record_id:uuid}", "/api/assignments/{assignment_id:uuid}"
#      anon owner other assigned unassigned revoked admin
ROUTES = (
    Route("GET", "/api/records", "/api/records/", (401, 200, 200, 200, 200, 200, 403)),
    Route(
        "GET",
        "/api/records",
        "/api/records/?patient_id={patient}",
        (401, 200, 404, 200, 404, 404, 403),
    ),
    Route(
        "POST", "/api/records", "/api/records/", (401, 201, 403, 201, 404, 404, 403), record_body
    ),
    Route("GET", R, "/api/records/{record}/", (401, 200, 404, 200, 404, 404, 404)),
    Route("PUT", R, "/api/records/{record}/", (401, 200, 404, 403, 404, 404, 404), update_body),
    Route(
        "PUT", R, "/api/records/{doctors_record}/", (401, 200, 404, 200, 404, 404, 404), update_body
    ),
    Route(
        "PUT",
        R,
        "/api/records/{revoked_doctors_record}/",
        (401, 200, 404, 403, 404, 404, 404),
        update_body,
    ),
    Route("DELETE", R, "/api/records/{record}/", (401, 204, 404, 403, 404, 404, 404)),
    Route(
        "GET",
        R + "/versions",
        "/api/records/{record}/versions/",
        (401, 200, 404, 200, 404, 404, 404),
    ),
    Route(
        "GET",
        R + "/versions/{version:int}",
        "/api/records/{record}/versions/1/",
        (401, 200, 404, 200, 404, 404, 404),
    ),
    Route(
        "GET",
        R + "/annotations",
        "/api/records/{record}/annotations/",
        (401, 200, 404, 200, 404, 404, 404),
    ),
    Route(
        "POST",
        "/api/assignments",
        "/api/assignments/",
        (401, 201, 403, 403, 403, 403, 201),
        lambda ids: {"doctor_id": ids["unassigned_doctor"], "patient_id": ids["patient"]},
    ),
    Route("GET", "/api/assignments", "/api/assignments/", (401, 200, 200, 200, 200, 200, 200)),
    Route("DELETE", A, "/api/assignments/{assignment}/", (401, 204, 404, 403, 404, 404, 204)),
    Route(
        "GET",
        "/api/doctors/patients",
        "/api/doctors/patients/",
        (401, 403, 403, 200, 200, 200, 403),
    ),
    Route(
        "POST",
        "/api/doctors/annotations",
        "/api/doctors/annotations/",
        (401, 403, 404, 201, 404, 404, 404),
        lambda ids: {"record_id": ids["record"], "body": "An annotation."},
    ),
    Route("GET", "/api/audit", "/api/audit/", (401, 403, 403, 403, 403, 403, 200)),
    # Erasure: an admin, or the owner with its password (the body carries the
    # owner's password for every caller); never a doctor.
    Route(
        "POST",
        "/api/patients/{patient_id:uuid}/erase",
        "/api/patients/{patient}/erase/",
        (401, 204, 404, 403, 403, 403, 204),
        lambda ids: {"password": ids["owner_password"]},
    ),
    # Break-glass: any doctor opens one; only its doctor reads under it, only
    # its doctor or an admin ends it; admins list them. The world's grant is
    # the unassigned doctor's.
    Route(
        "POST",
        "/api/emergency-access",
        "/api/emergency-access/",
        (401, 403, 403, 201, 201, 201, 403),
        emergency_body,
    ),
    Route(
        "GET",
        "/api/emergency-access",
        "/api/emergency-access/",
        (401, 403, 403, 403, 403, 403, 200),
    ),
    Route(
        "DELETE",
        "/api/emergency-access/{grant_id:uuid}",
        "/api/emergency-access/{grant}/",
        (401, 404, 404, 404, 204, 404, 204),
    ),
    Route(
        "GET",
        "/api/emergency-access/{grant_id:uuid}/records",
        "/api/emergency-access/{grant}/records/",
        (401, 404, 404, 404, 200, 404, 404),
    ),
    Route(
        "GET",
        "/api/emergency-access/{grant_id:uuid}/records/{record_id:uuid}",
        "/api/emergency-access/{grant}/records/{record}/",
        (401, 404, 404, 404, 200, 404, 404),
    ),
    # Every patient reads its own access log; nobody else has one.
    Route(
        "GET",
        "/api/records/access-log",
        "/api/records/access-log/",
        (401, 200, 200, 403, 403, 403, 403),
    ),
)
S = "/api/auth/sessions/{session_id:uuid}"
# Seeded admins have two-factor on (tests/people.py); nobody else has.
ACCOUNT_ROUTES = (
    Route("GET", "/api/auth/sessions", "/api/auth/sessions/", (401, *[200] * 6)),
    Route("DELETE", S, "/api/auth/sessions/{owner_session}/", (401, 204, *[404] * 5)),
    Route(
        "POST",
        "/api/auth/password",
        "/api/auth/password/",
        (401, *[422] * 6),
        wrong_password_change,
    ),
    Route("POST", "/api/auth/mfa/totp", "/api/auth/mfa/totp/", (401, *[201] * 5, 409)),
    Route(
        "POST",
        "/api/auth/mfa/totp/confirm",
        "/api/auth/mfa/totp/confirm/",
        (401, *[409] * 6),
        lambda _: {"code": "000000"},
    ),
    Route(
        "DELETE",
        "/api/auth/mfa/totp",
        "/api/auth/mfa/totp/",
        (401, *[409] * 5, 422),
        lambda _: {"password": "not-the-password", "code": "000000"},
    ),
    # Open routes: the same answer whoever calls.
    Route(
        "POST",
        "/api/auth/mfa/verify",
        "/api/auth/mfa/verify/",
        (401,) * 7,
        lambda _: {"mfa_token": "not-a-challenge", "code": "000000"},
    ),
    Route(
        "POST",
        "/api/auth/password-reset",
        "/api/auth/password-reset/",
        (202,) * 7,
        lambda _: {"email": "nobody@example.test"},
    ),
    Route(
        "POST",
        "/api/auth/password-reset/confirm",
        "/api/auth/password-reset/confirm/",
        (422,) * 7,
        lambda _: {"token": "not-a-token", "new_password": "Another-Passphrase-42"},
    ),
)
ROUTES = (*ROUTES, *ACCOUNT_ROUTES)
CASES = [(route, role, route.expect[i]) for route in ROUTES for i, role in enumerate(ROLES)]


async def build_world(client: Client, make_user: MakeUser) -> World:
    users = {
        "owner": await make_user(Role.PATIENT),
        "other_patient": await make_user(Role.PATIENT),
        "assigned_doctor": await make_user(Role.DOCTOR),
        "unassigned_doctor": await make_user(Role.DOCTOR),
        "revoked_doctor": await make_user(Role.DOCTOR),
        "admin": await make_user(Role.ADMIN),
    }
    owner = users["owner"]

    async def call(method: str, url: str, who: TestUser, json: Any = None) -> dict[str, Any]:
        response = await client.request(method, url, json=json, headers=who.headers)
        assert response.status_code in (200, 201, 204), response.text
        return response.json() if response.content else {}  # type: ignore[no-any-return]

    assignment = await call(
        "POST", "/api/assignments/", owner, {"doctor_id": str(users["assigned_doctor"].id)}
    )
    revoked = await call(
        "POST", "/api/assignments/", owner, {"doctor_id": str(users["revoked_doctor"].id)}
    )
    new = {"title": "t", "record_type": "note", "content": "c", "patient_id": str(owner.id)}
    record = await call("POST", "/api/records/", owner, new)
    doctors = await call("POST", "/api/records/", users["assigned_doctor"], new)
    revoked_doctors = await call("POST", "/api/records/", users["revoked_doctor"], new)
    await call("DELETE", f"/api/assignments/{revoked['id']}/", owner)
    grant = await call(
        "POST",
        "/api/emergency-access/",
        users["unassigned_doctor"],
        emergency_body(world_ids(owner)),
    )
    return World(
        users, record["id"], doctors["id"], revoked_doctors["id"], assignment["id"], grant["id"]
    )


async def snapshot(client: Client, world: World) -> list[Any]:
    """What the owner can see of its file: must not move after a refused change."""
    owner = world.users["owner"].headers
    state = [
        (await client.get("/api/records/", params={"limit": "100"}, headers=owner)).json(),
        (
            await client.get("/api/assignments/", params={"include_revoked": "true"}, headers=owner)
        ).json(),
        (await client.get(f"/api/records/{world.record}/annotations/", headers=owner)).json(),
    ]
    return state


@pytest.mark.parametrize(
    ("route", "role", "status"),
    CASES,
    ids=[f"{r.method} {r.url} as {role}" for r, role, _ in CASES],
)
async def test_access_matrix(
    client: Client, make_user: MakeUser, route: Route, role: str, status: int
) -> None:
    world = await build_world(client, make_user)
    ids = world.ids()
    headers = world.users[role].headers if role != "anonymous" else {}
    before = await snapshot(client, world)
    response = await client.request(
        route.method,
        route.url.format(**ids),
        json=route.body(ids) if route.body else None,
        headers=headers,
    )
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert await snapshot(client, world) == before
    if status == 404:
        # Exactly what a record that never existed answers: nothing leaks.
        assert response.json()["detail"] in {
            "No such record.",
            "No such assignment.",
            "No such patient file.",
            "No such session.",
            "No such emergency access.",
        }


async def test_every_route_is_in_the_matrix(app: Litestar) -> None:
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith(OWNED_PREFIXES)
        for method in route.methods - {"OPTIONS", "HEAD"}
    }
    assert served == {(r.method, r.route) for r in (*ROUTES, *FHIR_ROUTES)}


# The FHIR view is read-only, so its cases share one world per backend.
FHIR_TYPES = {
    "Condition": "condition",
    "MedicationStatement": "medication",
    "AllergyIntolerance": "allergy",
    "Observation": "lab_result",
    "Immunization": "immunization",
    "Procedure": "procedure",
    "DocumentReference": "note",
}
READ = (401, 200, 404, 200, 404, 404, 404)
SEARCH = (401, 200, 404, 200, 404, 404, 403)
NOBODY = (401, 404, 404, 404, 404, 404, 404)
P = "/fhir/Patient/{resource_id:uuid}"
FHIR_ROUTES = (
    Route("GET", "/fhir/metadata", "/fhir/metadata", (200,) * 7),
    Route("GET", P, "/fhir/Patient/{patient}", READ),
    Route("GET", P + "/$everything", "/fhir/Patient/{patient}/$everything", READ),
    # The assigned doctor wrote in the file; the revoked one did while assigned.
    Route("GET", "/fhir/Practitioner/{resource_id:uuid}", "/fhir/Practitioner/{doctor}", READ),
    Route("GET", "/fhir/Practitioner/{resource_id:uuid}", "/fhir/Practitioner/{revoked}", READ),
    Route("GET", "/fhir/Practitioner/{resource_id:uuid}", "/fhir/Practitioner/{stranger}", NOBODY),
    *(
        Route("GET", f"/fhir/{t}/{{resource_id:uuid}}", f"/fhir/{t}/{{{t}}}", READ)
        for t in FHIR_TYPES
    ),
    *(Route("GET", f"/fhir/{t}", f"/fhir/{t}?patient={{patient}}", SEARCH) for t in FHIR_TYPES),
)
FHIR_CASES = [(r, role, r.expect[i]) for r in FHIR_ROUTES for i, role in enumerate(ROLES)]


@pytest.fixture(scope="session")
async def fhir_world(client: Client, make_user: MakeUser) -> tuple[World, dict[str, str]]:
    world = await build_world(client, make_user)
    owner = world.users["owner"]
    ids = world.ids() | {
        "doctor": str(world.users["assigned_doctor"].id),
        "revoked": str(world.users["revoked_doctor"].id),
        "stranger": str(world.users["unassigned_doctor"].id),
    }
    for fhir_type, kind in FHIR_TYPES.items():
        new = {"title": "t", "record_type": kind, "content": "c"}
        made = await client.post("/api/records/", json=new, headers=owner.headers)
        assert made.status_code == 201, made.text
        ids[fhir_type] = made.json()["id"]
    return world, ids


@pytest.mark.parametrize(
    ("route", "role", "status"),
    FHIR_CASES,
    ids=[f"{r.method} {r.url} as {role}" for r, role, _ in FHIR_CASES],
)
async def test_fhir_access_matrix(
    client: Client, fhir_world: tuple[World, dict[str, str]], route: Route, role: str, status: int
) -> None:
    world, ids = fhir_world
    headers = world.users[role].headers if role != "anonymous" else {}
    response = await client.request(route.method, route.url.format(**ids), headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    if status >= 400:
        assert response.json()["resourceType"] == "OperationOutcome"
    if status == 404:
        # Exactly what a resource that never existed answers: nothing leaks.
        missing = route.url.format(**{k: "00000000-0000-4000-8000-000000000000" for k in ids})
        absent = await client.request(route.method, missing, headers=headers)
        assert (absent.status_code, absent.json()) == (404, response.json())


async def test_invisible_and_missing_records_answer_the_same(
    client: Client, make_user: MakeUser
) -> None:
    world = await build_world(client, make_user)
    stranger = world.users["unassigned_doctor"].headers
    hidden = await client.get(f"/api/records/{world.record}/", headers=stranger)
    missing = await client.get(
        "/api/records/00000000-0000-4000-8000-000000000000/", headers=stranger
    )
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
