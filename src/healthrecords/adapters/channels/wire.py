"""What travels on a recipient's channel, and the channel's name.

Three kinds of message share a channel: a notification (its client frame plus
the recipient's `seq`, which sockets use to drop duplicates and fill gaps), a
probe a socket sends itself to learn that its subscription is live, and a
resync the relay emits after it reconnected to Redis (anything published
while it was away must be read back from the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec

from healthrecords.domain.notifications import Notification

RESYNC = b'{"t":"resync"}'


def notification_channel(namespace: str, recipient_id: UUID) -> str:
    return f"{namespace}:notifications:{recipient_id}"


def client_frame(notification: Notification) -> dict[str, Any]:
    """The frame a client sees: ids and kinds, never health data."""
    return {
        "type": "notification",
        "id": str(notification.id),
        "kind": notification.kind.value,
        "payload": dict(notification.payload),
        "created_at": notification.created_at.isoformat(),
    }


def encode_notification(notification: Notification) -> bytes:
    return msgspec.json.encode(
        {"t": "n", "seq": notification.seq, "frame": client_frame(notification)}
    )


def encode_probe(token: str) -> bytes:
    return msgspec.json.encode({"t": "probe", "token": token})


@dataclass(frozen=True, slots=True)
class Live:
    seq: int
    frame: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Probe:
    token: str


@dataclass(frozen=True, slots=True)
class Resync:
    pass


Message = Live | Probe | Resync


def decode(raw: bytes | str) -> Message | None:
    """None for anything this version does not understand (it is skipped)."""
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("t")
    if kind == "n" and isinstance(data.get("seq"), int) and isinstance(data.get("frame"), dict):
        return Live(data["seq"], data["frame"])
    if kind == "probe" and isinstance(data.get("token"), str):
        return Probe(data["token"])
    if kind == "resync":
        return Resync()
    return None
