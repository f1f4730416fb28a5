"""Run with the code from before data keys on PYTHONPATH: fills a database as
a deployment of that code would have, and prints what it wrote (JSON).

Usage: python write_with_todays_code.py  (settings from HEALTHRECORDS_* env).
"""

from __future__ import annotations

import asyncio
import json

from healthrecords.adapters.sqlalchemy import migrate
from healthrecords.bootstrap import build_container
from healthrecords.config import load_settings
from healthrecords.domain.records import RecordType
from healthrecords.domain.services.records import NewRecord, RecordChanges
from healthrecords.domain.users import Role
from tests.people import add_user

PATIENTS = 3
RECORDS_EACH = 3


async def main() -> None:
    settings = load_settings()
    container = build_container(settings)
    await migrate.upgrade(container.engine)
    doctor = await add_user(container, Role.DOCTOR)
    written: dict[str, object] = {"patients": [], "doctor": str(doctor.id)}
    for p in range(PATIENTS):
        patient = await add_user(container, Role.PATIENT)
        await container.assignments.assign(patient, doctor.id)
        records = []
        for r in range(RECORDS_EACH):
            title = f"p{p}-r{r}"
            made = await container.records.create(
                patient, NewRecord(title=title, record_type=RecordType.NOTE, content=f"{title}-c")
            )
            change = RecordChanges(title=f"{title}-v2", record_type=RecordType.NOTE, content="c2")
            await container.records.update(patient, made.id, change)
            await container.annotations.annotate(doctor, made.id, f"{title}-note")
            records.append({"id": str(made.id), "title": title})
        written["patients"].append({"id": str(patient.id), "records": records})  # type: ignore[attr-defined]
    await container.aclose()
    print(json.dumps(written))


if __name__ == "__main__":
    asyncio.run(main())
