"""/api/patients/{id}/erase/: erase a patient's file by destroying its data key."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RequestBody

from healthrecords.bootstrap import Container
from healthrecords.domain.actor import Actor
from healthrecords.entrypoints.http.openapi_errors import problems


class ErasureIn(msgspec.Struct, forbid_unknown_fields=True):
    """The patient erasing its own file confirms with its password, and with a
    TOTP or recovery code when two-factor is on; admins send `{}`."""

    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)] | None = None
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class ErasureController(Controller):
    path = "/api/patients"
    tags = ("patients",)
    security = ({"BearerToken": []},)

    @post(
        "/{patient_id:uuid}/erase/",
        summary=(
            "Erase a patient's file for good (an admin, or the patient with its password "
            "and, if two-factor is on, a code)"
        ),
        description=(
            "Destroys the patient's data key in the same transaction that marks the account "
            "erased: every record, version and annotation of the file then answers 404, the "
            "account cannot sign in, its name and email are replaced, its sessions and "
            "assignments end. The audit trail is kept. Not reversible."
        ),
        status_code=204,
        opt=problems(403),
    )
    async def erase(
        self,
        container: NamedDependency[Container],
        actor: NamedDependency[Actor],
        patient_id: FromPath[UUID],
        data: RequestBody[ErasureIn],
    ) -> None:
        await container.erasure.erase(actor, patient_id, data.password, data.code)
