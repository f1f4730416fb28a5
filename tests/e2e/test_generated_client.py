"""A client generated with openapi-python-client from /schema/openapi.json runs the
README's patient-doctor session; every answer parses into the generated models.

The clients raise on any status the schema does not declare for the operation,
and each parsed model must hold no field the schema did not name.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.faults.processes import ApiServer, start_api

PACKAGE = "hr_generated_client"


@pytest.fixture
async def embedded_api(tmp_path: Path) -> AsyncIterator[ApiServer]:
    server = await start_api({"HEALTHRECORDS_DATA_DIR": str(tmp_path / "data")}, tmp_path)
    yield server
    await server.stop()


@pytest.fixture
def generated(embedded_api: ApiServer, tmp_path: Path) -> Iterator[ModuleType]:
    schema = tmp_path / "openapi.json"
    schema.write_bytes(httpx.get(f"{embedded_api.base_url}/schema/openapi.json").content)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate"),
            *("--path", str(schema), "--meta", "none", "--output-path", PACKAGE),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Every operation and answer made it into the client: nothing was skipped.
    assert "WARNING" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def parsed(response: Any, status: int, model: type) -> Any:
    assert response.status_code == status, (response.status_code, response.content)
    value = response.parsed
    for item in value if isinstance(value, list) else [value]:
        assert isinstance(item, model), (type(item), model)
        # Fields the schema does not name would land here.
        assert getattr(item, "additional_properties", {}) == {}, item
    return value


async def test_the_readme_session_through_a_generated_client(
    generated: ModuleType, embedded_api: ApiServer
) -> None:
    def op(tag: str, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}").asyncio_detailed

    models = importlib.import_module(f"{PACKAGE}.models")
    base = embedded_api.base_url
    anonymous = generated.Client(base_url=base, raise_on_unexpected_status=True)

    health = await op("operations", "health_health")(client=anonymous)
    assert parsed(health, 200, models.HealthOut).status == "ok"
    ready = parsed(await op("operations", "ready_ready")(client=anonymous), 200, models.ReadyOut)
    assert [c.value for c in ready.checks] == ["database"]

    register = op("auth", "api_auth_register_register")
    login = op("auth", "api_auth_login_login")
    people = {
        "patient": ("pat.roe@example.org", "tulip-harbor-violin-9"),
        "doctor": ("dr.kim@clinic.example", "purple-monkey-dishwasher-42"),
    }
    clients: dict[str, Any] = {}
    for role, (email, password) in people.items():
        body = models.RegisterIn(email=email, password=password, full_name=role, role=role)
        user = parsed(await register(client=anonymous, body=body), 201, models.UserOut)
        assert user.role == models.Role(role)
        tokens = parsed(
            await login(client=anonymous, body=models.LoginIn(email=email, password=password)),
            200,
            models.TokensOut,
        )
        clients[role] = generated.AuthenticatedClient(
            base_url=base, token=tokens.access_token, raise_on_unexpected_status=True
        )
    pat, doc = clients["patient"], clients["doctor"]

    created = await op("records", "api_records_create_record")(
        client=pat,
        body=models.RecordIn(
            title="Penicillin allergy",
            record_type=models.RecordType.ALLERGY,
            content="Rash after two doses in 2019.",
        ),
    )
    record = parsed(created, 201, models.RecordOut)
    assert created.headers["etag"] == '"1"'
    get_record = op("records", "api_records_record_id_get_record")
    hidden = await get_record(record.id, client=doc)
    assert parsed(hidden, 404, models.Problem).status == 404

    doctor = parsed(await op("auth", "api_auth_me_me")(client=doc), 200, models.UserOut)
    assignment = parsed(
        await op("assignments", "api_assignments_assign")(
            client=pat, body=models.AssignmentIn(doctor_id=doctor.id)
        ),
        201,
        models.AssignmentOut,
    )
    patients = await op("doctors", "api_doctors_patients_my_patients")(client=doc)
    (patient,) = parsed(patients, 200, models.AssignedPatientOut)
    page = await op("records", "api_records_list_records")(client=doc, patient_id=patient.id)
    assert [r.id for r in parsed(page, 200, models.RecordPage).items] == [record.id]

    await op("records", "api_records_create_record")(
        client=doc,
        body=models.RecordIn(
            title="Blood pressure",
            record_type=models.RecordType.VITAL_SIGN,
            content="150/95 seated",
            patient_id=patient.id,
        ),
    )
    note = await op("doctors", "api_doctors_annotations_annotate")(
        client=doc,
        body=models.AnnotationIn(record_id=record.id, body="Avoid all beta-lactams."),
    )
    parsed(note, 201, models.AnnotationOut)
    notes = await op("records", "api_records_record_id_annotations_list_annotations")(
        record.id, client=pat
    )
    assert len(parsed(notes, 200, models.AnnotationPage).items) == 1

    update = op("records", "api_records_record_id_update_record")
    read = await get_record(record.id, client=pat)
    changed = await update(
        record.id,
        client=pat,
        body=models.RecordUpdateIn(
            title="Penicillin allergy (confirmed)",
            record_type=models.RecordType.ALLERGY,
            content="Skin test positive.",
        ),
        if_match=read.headers["etag"],
    )
    assert parsed(changed, 200, models.RecordOut).version == 2
    assert changed.headers["etag"] == '"2"'
    stale = await update(
        record.id,
        client=pat,
        body=models.RecordUpdateIn(
            title="stale", record_type=models.RecordType.ALLERGY, content="stale"
        ),
        if_match=read.headers["etag"],
    )
    assert parsed(stale, 412, models.Problem).status == 412

    delete = op("records", "api_records_record_id_delete_record")
    assert parsed(await delete(record.id, client=doc), 403, models.Problem).status == 403
    revoke = op("assignments", "api_assignments_assignment_id_revoke")
    assert (await revoke(assignment.id, client=pat)).status_code == 204
    assert (await get_record(record.id, client=doc)).status_code == 404
    assert (await delete(record.id, client=pat)).status_code == 204

    feed = await op("notifications", "api_notifications_list_notifications")(client=pat)
    kinds = {n.kind for n in parsed(feed, 200, models.NotificationPage).items}
    assert kinds == {
        models.NotificationKind.RECORD_CREATED,
        models.NotificationKind.ANNOTATION_CREATED,
    }
    doctor_feed = await op("doctors", "api_doctors_notifications_list_doctor_notifications")(
        client=doc
    )
    assert {n.kind for n in parsed(doctor_feed, 200, models.NotificationPage).items} == {
        models.NotificationKind.ASSIGNMENT_CREATED,
        models.NotificationKind.ASSIGNMENT_REVOKED,
    }
