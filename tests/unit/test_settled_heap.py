"""The server's start-up objects are kept out of the cyclic collector's scans."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import gc
from healthrecords.entrypoints.http.asgi import app_factory
app_factory()
print(gc.get_freeze_count())
"""


def test_the_served_app_freezes_what_start_up_built(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={"HEALTHRECORDS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen = int(done.stdout.strip().splitlines()[-1])
    # The app, its routes, schema and the modules they import.
    assert frozen > 50_000
