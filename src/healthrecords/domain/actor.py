from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from healthrecords.domain.users import Role


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    """Where a request came from, for the audit trail."""

    request_id: str = ""
    client_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """The authenticated caller every use case is performed by."""

    id: UUID
    role: Role
    context: RequestContext = field(default_factory=RequestContext)
    # The session (refresh-token family) the access token was issued under.
    session_id: UUID | None = None
