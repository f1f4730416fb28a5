"""Import target for the ASGI server: builds the app from the environment."""

from __future__ import annotations

from litestar import Litestar

from healthrecords.config import load_settings
from healthrecords.entrypoints.http.app import create_app
from healthrecords.entrypoints.logs import configure_logging


def app_factory() -> Litestar:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
