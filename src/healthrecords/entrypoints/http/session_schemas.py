"""Bodies of the session and password routes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from healthrecords.domain.services.sessions import SessionView


class PasswordChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    current_password: str
    new_password: str


class SessionOut(msgspec.Struct):
    id: UUID
    created_at: datetime
    last_used_at: datetime
    client_address: str | None
    user_agent: str | None
    # The session the request's access token belongs to.
    current: bool

    @classmethod
    def of(cls, view: SessionView) -> SessionOut:
        s = view.session
        return cls(s.id, s.created_at, s.active_at, s.client_address, s.user_agent, view.current)


class SessionPage(msgspec.Struct):
    items: list[SessionOut]
    next_cursor: str | None
