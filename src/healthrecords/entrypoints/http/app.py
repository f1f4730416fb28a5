"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler

from healthrecords.bootstrap import Container, build_container
from healthrecords.config import Settings
from healthrecords.entrypoints.http.controllers.access_log import AccessLogController
from healthrecords.entrypoints.http.controllers.assignments import AssignmentsController
from healthrecords.entrypoints.http.controllers.audit import AuditController
from healthrecords.entrypoints.http.controllers.auth import AuthController
from healthrecords.entrypoints.http.controllers.doctor_work import DoctorWorkController
from healthrecords.entrypoints.http.controllers.doctors import DoctorsDirectoryController
from healthrecords.entrypoints.http.controllers.emergency_access import EmergencyAccessController
from healthrecords.entrypoints.http.controllers.erasure import ErasureController
from healthrecords.entrypoints.http.controllers.health import HealthController
from healthrecords.entrypoints.http.controllers.notifications import (
    DoctorNotificationsController,
    NotificationsController,
)
from healthrecords.entrypoints.http.controllers.password_reset import PasswordResetController
from healthrecords.entrypoints.http.controllers.records import RecordsController
from healthrecords.entrypoints.http.controllers.sessions import SessionsController
from healthrecords.entrypoints.http.controllers.two_factor import TwoFactorController
from healthrecords.entrypoints.http.controllers.users import UsersController
from healthrecords.entrypoints.http.deps import dependencies
from healthrecords.entrypoints.http.docs_page import OfflineSwaggerPlugin
from healthrecords.entrypoints.http.fhir.outcomes import with_fhir_outcomes
from healthrecords.entrypoints.http.fhir.routes import fhir_router
from healthrecords.entrypoints.http.middleware import (
    request_context_middleware,
    security_headers_hook,
)
from healthrecords.entrypoints.http.openapi_errors import document_problems
from healthrecords.entrypoints.http.openapi_schema import StrictJsonRenderPlugin
from healthrecords.entrypoints.http.problems import EXCEPTION_HANDLERS
from healthrecords.entrypoints.http.rate_limits import rate_limit_middleware
from healthrecords.entrypoints.http.sockets.asyncapi import AsyncApiRenderPlugin
from healthrecords.entrypoints.http.sockets.notifications import notifications_socket

API_ROUTES: Sequence[ControllerRouterHandler] = (
    AuthController,
    SessionsController,
    TwoFactorController,
    PasswordResetController,
    UsersController,
    DoctorsDirectoryController,
    RecordsController,
    AccessLogController,
    AssignmentsController,
    ErasureController,
    EmergencyAccessController,
    DoctorWorkController,
    AuditController,
    NotificationsController,
    DoctorNotificationsController,
    notifications_socket,
    fhir_router(),
)


def create_app(settings: Settings, container: Container | None = None) -> Litestar:
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            # A missing or wrong master key stops start-up, naming the key id.
            await container.verify_master_keys()
            yield
        finally:
            await container.aclose()

    app = Litestar(
        route_handlers=[HealthController, *API_ROUTES],
        dependencies=dependencies(container),
        exception_handlers=with_fhir_outcomes(EXCEPTION_HANDLERS),
        middleware=[request_context_middleware, *rate_limit_middleware(container)],
        before_send=[security_headers_hook(settings.hsts_max_age)],
        cors_config=(
            CORSConfig(
                allow_origins=list(settings.cors_origins),
                allow_credentials=False,
                allow_headers=["authorization", "content-type", "if-match", "x-request-id"],
                expose_headers=["etag", "x-request-id", "retry-after"],
            )
            if settings.cors_origins
            else None
        ),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="healthrecords",
            version="0.1.0",
            path="/schema",
            render_plugins=[
                OfflineSwaggerPlugin(),
                StrictJsonRenderPlugin(),
                AsyncApiRenderPlugin(),
            ],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        # The channels plugin relays notifications to this replica's sockets;
        # the container's lifespans run in-process delivery when embedded.
        plugins=[container.channels] if container.channels else [],
        lifespan=[lifespan, *container.lifespans],
        state=State({"container": container}),
        debug=False,
        # Logging is configured once by the process (JSON, see entrypoints/logs.py).
        logging_config=None,
    )
    document_problems(app, enrolment_rule=bool(container.settings.mfa_required_roles))
    return app
