"""The embedded data dir and its secrets file are for the owner's eyes only.

A directory others can open is closed (chmod 0700, with a warning): nothing
was exposed that the files' own modes did not expose. A secrets file others
could read is refused, as ssh refuses such a private key: its keys may have
been copied, and only the operator can decide to rotate them.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

log = logging.getLogger(__name__)

OTHERS = 0o077  # any group or other permission bit


def close_data_dir(path: Path) -> None:
    if not path.is_dir():
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & OTHERS:
        path.chmod(0o700)
        log.warning(
            "data dir was open to other users: changed its mode to 0700",
            extra={"path": str(path), "was": f"{mode:04o}"},
        )


def exposed_secrets_file(path: Path) -> str | None:
    """Why `path` must not be used, or None when only its owner can read or write it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & OTHERS:
        return None
    return (
        f"{path}: mode {mode:04o} lets other users read the keys; refusing to use it. "
        f"Run `chmod 600 {path}`, and as the keys may have been copied, rotate them "
        "(README: Encryption at rest)."
    )
