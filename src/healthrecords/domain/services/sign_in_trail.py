"""Sign-in security events in the audit trail (OWASP ASVS 5.0, chapter 16).

Each names the account as target when one exists, the outcome and the client
address; never the email typed, the password or any token. Actions:

- `auth.login` success (actor = the account), or a refusal:
  `auth.login.unknown_account` (not_found, no target),
  `auth.login.bad_password`, `auth.login.inactive`, `auth.login.locked` (denied).
- `auth.refresh.reuse`: a spent refresh token came back; its family is revoked.
- `auth.logout` (success; not_found when the token is unknown or not the caller's).
- Two-factor sign-in: `auth.login.mfa_required` (the password was right, a
  code is due), `auth.mfa.bad_code`, `auth.mfa.locked` (denied), then
  `auth.login` once the code is right.
- `auth.password_reset.request` (success; not_found for an unknown email;
  denied for a deactivated account or over the per-account limit) and
  `auth.password_reset.confirm`.

Refusals are written by the caller with no actor: whoever typed them is not
known to be the account's owner.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from healthrecords.domain.actor import Actor, RequestContext
from healthrecords.domain.audit import AuditEvent, Outcome
from healthrecords.domain.ports.unit_of_work import UnitOfWorkFactory
from healthrecords.domain.users import User


def sign_in_event(
    action: str,
    outcome: Outcome,
    context: RequestContext | None,
    at: datetime,
    *,
    target: User | None = None,
    target_id: UUID | None = None,
    by: User | Actor | None = None,
) -> AuditEvent:
    context = context or RequestContext()
    return AuditEvent(
        id=uuid4(),
        occurred_at=at,
        actor_id=by.id if by else None,
        actor_role=by.role.value if by else None,
        action=action,
        target_type="user",
        target_id=target.id if target else target_id,
        patient_id=None,
        outcome=outcome,
        request_id=context.request_id[:64],
        client_address=context.client_address or None,
    )


async def write_alone(uow: UnitOfWorkFactory, event: AuditEvent) -> None:
    """A refused sign-in has no transaction of its own to join."""
    async with uow() as work:
        await work.audit.add(event)
        await work.commit()
