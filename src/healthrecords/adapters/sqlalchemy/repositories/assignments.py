from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, bindparam, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.sqlalchemy.keyset import after_key
from healthrecords.adapters.sqlalchemy.models import AssignmentRow
from healthrecords.domain.assignments import Assignment
from healthrecords.domain.errors import Conflict
from healthrecords.domain.pagination import Cursor

# Built once, with bound parameters: asked on every read of a patient's data.
ACTIVE_PAIR = select(AssignmentRow).where(
    AssignmentRow.doctor_id == bindparam("doctor_id"),
    AssignmentRow.patient_id == bindparam("patient_id"),
    AssignmentRow.revoked_at.is_(None),
)


# Only the ids, as plain rows: a doctor may have thousands of files, and ORM
# objects for each cost far more than the page query that uses them.
ASSIGNED_FILES = (
    select(AssignmentRow.patient_id)
    .where(AssignmentRow.doctor_id == bindparam("doctor_id"), AssignmentRow.revoked_at.is_(None))
    .order_by(AssignmentRow.patient_id)
)


def _to_assignment(row: AssignmentRow) -> Assignment:
    return Assignment(
        id=row.id,
        doctor_id=row.doctor_id,
        patient_id=row.patient_id,
        assigned_by=row.assigned_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


class SqlAssignmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, assignment: Assignment) -> None:
        self._session.add(
            AssignmentRow(
                id=assignment.id,
                doctor_id=assignment.doctor_id,
                patient_id=assignment.patient_id,
                assigned_by=assignment.assigned_by,
                created_at=assignment.created_at,
                revoked_at=assignment.revoked_at,
                revoked_by=assignment.revoked_by,
            )
        )
        try:
            await self._session.flush()
        except IntegrityError as exc:
            # uq_assignment_active: another request assigned the same pair first.
            raise Conflict("This doctor is already assigned to this patient.") from exc

    async def get(self, assignment_id: UUID) -> Assignment | None:
        row = await self._session.get(AssignmentRow, assignment_id, populate_existing=True)
        return _to_assignment(row) if row else None

    async def get_active(self, doctor_id: UUID, patient_id: UUID) -> Assignment | None:
        row = await self._session.scalar(
            ACTIVE_PAIR, {"doctor_id": doctor_id, "patient_id": patient_id}
        )
        return _to_assignment(row) if row else None

    async def list(
        self,
        doctor_id: UUID | None = None,
        patient_id: UUID | None = None,
        active_only: bool = True,
    ) -> Sequence[Assignment]:
        query = _newest_first(doctor_id, patient_id, active_only)
        return [_to_assignment(r) for r in await self._session.scalars(query)]

    async def list_page(
        self,
        *,
        doctor_id: UUID | None,
        patient_id: UUID | None,
        active_only: bool,
        limit: int,
        after: Cursor | None,
    ) -> Sequence[Assignment]:
        query = _newest_first(doctor_id, patient_id, active_only)
        if after is not None:
            query = query.where(
                tuple_(AssignmentRow.created_at, AssignmentRow.id)
                < after_key(after, AssignmentRow.created_at, AssignmentRow.id)
            )
        rows = await self._session.scalars(query.limit(limit))
        return [_to_assignment(r) for r in rows]

    async def assigned_files(self, doctor_id: UUID) -> Sequence[UUID]:
        result = await self._session.execute(ASSIGNED_FILES, {"doctor_id": doctor_id})
        return list(result.scalars())

    async def revoke(self, assignment_id: UUID, at: datetime, by: UUID) -> bool:
        result = await self._session.execute(
            update(AssignmentRow)
            .where(AssignmentRow.id == assignment_id, AssignmentRow.revoked_at.is_(None))
            .values(revoked_at=at, revoked_by=by)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _newest_first(
    doctor_id: UUID | None, patient_id: UUID | None, active_only: bool
) -> Select[AssignmentRow]:
    """Assignments of a doctor and/or a patient (active only, if asked), newest first."""
    query = select(AssignmentRow).order_by(AssignmentRow.created_at.desc(), AssignmentRow.id.desc())
    if doctor_id is not None:
        query = query.where(AssignmentRow.doctor_id == doctor_id)
    if patient_id is not None:
        query = query.where(AssignmentRow.patient_id == patient_id)
    if active_only:
        query = query.where(AssignmentRow.revoked_at.is_(None))
    return query
