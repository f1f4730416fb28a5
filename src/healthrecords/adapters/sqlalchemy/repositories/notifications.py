"""The notification outbox on SQLAlchemy (PostgreSQL or SQLite)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from healthrecords.adapters.sqlalchemy.models import NotificationRow, UserRow
from healthrecords.domain.errors import NotFound
from healthrecords.domain.notifications import Notification, NotificationKind


def _to_notification(row: NotificationRow) -> Notification:
    return Notification(
        id=row.id,
        recipient_id=row.recipient_id,
        seq=row.seq,
        kind=NotificationKind(row.kind),
        payload={str(k): str(v) for k, v in row.payload.items()},
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        read_at=row.read_at,
    )


class SqlNotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        recipient_id: UUID,
        kind: NotificationKind,
        payload: Mapping[str, str],
        at: datetime,
    ) -> Notification:
        # UPDATE ... RETURNING row-locks the recipient until commit (PostgreSQL;
        # SQLite has one writer anyway), so one recipient's notifications
        # become visible in seq order and "everything after seq N" has no gap.
        seq = (
            await self._session.execute(
                update(UserRow)
                .where(UserRow.id == recipient_id)
                .values(notification_seq=UserRow.notification_seq + 1)
                .returning(UserRow.notification_seq)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        if seq is None:
            raise NotFound("The recipient does not exist.")
        row = NotificationRow(
            id=uuid4(),
            recipient_id=recipient_id,
            seq=seq,
            kind=kind.value,
            payload=dict(payload),
            created_at=at,
        )
        self._session.add(row)
        await self._session.flush()
        return _to_notification(row)

    async def get(self, notification_id: UUID) -> Notification | None:
        row = await self._session.get(NotificationRow, notification_id)
        return _to_notification(row) if row else None

    async def list_for(
        self,
        recipient_id: UUID,
        *,
        after_seq: int = 0,
        unread_only: bool = False,
        limit: int = 100,
    ) -> Sequence[Notification]:
        query = self._mine(recipient_id, unread_only).where(NotificationRow.seq > after_seq)
        rows = await self._session.scalars(query.order_by(NotificationRow.seq).limit(limit))
        return [_to_notification(r) for r in rows]

    async def list_recent(
        self,
        recipient_id: UUID,
        *,
        before_seq: int | None = None,
        unread_only: bool = False,
        limit: int = 100,
    ) -> Sequence[Notification]:
        query = self._mine(recipient_id, unread_only)
        if before_seq is not None:
            query = query.where(NotificationRow.seq < before_seq)
        rows = await self._session.scalars(query.order_by(NotificationRow.seq.desc()).limit(limit))
        return [_to_notification(r) for r in rows]

    async def seq_of(self, recipient_id: UUID, notification_id: UUID) -> int | None:
        return await self._session.scalar(
            select(NotificationRow.seq).where(
                NotificationRow.id == notification_id,
                NotificationRow.recipient_id == recipient_id,
            )
        )

    async def last_seq(self, recipient_id: UUID) -> int:
        found = await self._session.scalar(
            select(func.max(NotificationRow.seq)).where(
                NotificationRow.recipient_id == recipient_id
            )
        )
        return int(found or 0)

    async def mark_read(self, notification_id: UUID, at: datetime) -> None:
        await self._session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id, NotificationRow.read_at.is_(None))
            .values(read_at=at)
            .execution_options(synchronize_session=False)
        )

    async def mark_delivered(self, notification_id: UUID, at: datetime) -> None:
        await self._session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id, NotificationRow.delivered_at.is_(None))
            .values(delivered_at=at)
            .execution_options(synchronize_session=False)
        )

    async def list_undelivered(self, created_before: datetime, limit: int) -> Sequence[UUID]:
        rows = await self._session.scalars(
            select(NotificationRow.id)
            .where(
                NotificationRow.delivered_at.is_(None),
                NotificationRow.created_at < created_before,
            )
            .order_by(NotificationRow.created_at)
            .limit(limit)
        )
        return list(rows)

    @staticmethod
    def _mine(recipient_id: UUID, unread_only: bool) -> Select[NotificationRow]:
        query = select(NotificationRow).where(NotificationRow.recipient_id == recipient_id)
        if unread_only:
            query = query.where(NotificationRow.read_at.is_(None))
        return query
