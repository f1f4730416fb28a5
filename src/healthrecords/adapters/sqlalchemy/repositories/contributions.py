from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.sqlalchemy.models import AnnotationRow, RecordRow

# Both walk the files' live records (ix_health_record_patient_live); the files
# travel as one expanding parameter, so the text is compiled once.
AUTHORED = exists().where(
    RecordRow.patient_id.in_(bindparam("files", expanding=True)),
    RecordRow.deleted_at.is_(None),
    RecordRow.author_id == bindparam("person"),
)
ANNOTATED = exists().where(
    AnnotationRow.patient_id.in_(bindparam("files", expanding=True)),
    AnnotationRow.author_id == bindparam("person"),
    exists().where(RecordRow.id == AnnotationRow.record_id, RecordRow.deleted_at.is_(None)),
)
CONTRIBUTED = select(or_(AUTHORED, ANNOTATED))


class SqlContributions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def contributed(self, person_id: UUID, patient_ids: Sequence[UUID]) -> bool:
        found = await self._session.scalar(
            CONTRIBUTED, {"person": person_id, "files": list(patient_ids)}
        )
        return bool(found)
