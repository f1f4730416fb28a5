"""The notification socket's protocol as an AsyncAPI 3.0 document (/schema/asyncapi.json).

Every frame both ways, every field, every close code. The close codes come
from protocol.py and the kinds from the domain, so the document cannot drift
from them; tests/api/test_asyncapi.py validates it against the AsyncAPI 3.0
JSON Schema and checks it against real frames.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

from healthrecords.domain.notifications import NotificationKind
from healthrecords.entrypoints.http.sockets import protocol

ADDRESS = "/api/ws/notifications/"
CLOSE_CODES: dict[int, str] = {
    protocol.CLOSE_POLICY: "The client did not read fast enough, or broke the protocol.",
    protocol.CLOSE_TOO_BIG: "A message over 4096 characters.",
    protocol.CLOSE_INTERNAL: "A server bug (logged).",
    1012: "The server is restarting: reconnect and resume.",
    protocol.CLOSE_TRY_LATER: "Try again later: Redis or the database unreachable, or busy.",
    protocol.CLOSE_BAD_REQUEST: "resume_after is not one of the caller's notification ids.",
    protocol.CLOSE_UNAUTHORIZED: "No valid auth within 10 s, an expired or foreign token, "
    "or a deactivated account.",
    protocol.CLOSE_TOO_MANY: "Too many messages, or too many sockets (per user or address).",
}


def _frame(frame_type: str, description: str, **fields: dict[str, Any]) -> dict[str, Any]:
    required = ["type", *(n for n, f in fields.items() if not f.pop("optional", False))]
    return {
        "name": frame_type,
        "title": frame_type,
        "summary": description,
        "contentType": "application/json",
        "payload": {
            "type": "object",
            "required": required,
            "additionalProperties": False,
            "properties": {"type": {"type": "string", "const": frame_type}, **fields},
        },
    }


def _uuid(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "format": "uuid", "description": description, **more}


def messages() -> dict[str, dict[str, Any]]:
    return {
        "auth": _frame(
            "auth",
            "First message, within 10 s; again with a fresh token (same user) before the "
            "current one expires.",
            token={"type": "string", "description": "An access token."},
            resume_after={
                "type": ["string", "null"],
                "format": "uuid",
                "description": "The id of the last notification received; null for all.",
                "optional": True,
            },
        ),
        "resume": _frame(
            "resume",
            "Replay what came after a notification (for clients that auth without resume_after).",
            after=_uuid("The id of the last notification received."),
        ),
        "ping": _frame("ping", "Either side, to keep the link alive; answered with pong."),
        "pong": _frame("pong", "The answer to a ping."),
        "ready": _frame("ready", "The subscription is live; replayed, then live frames follow."),
        "notification": _frame(
            "notification",
            "One notification, strictly in the recipient's order, each at most once.",
            id=_uuid("Its id: the resume point."),
            kind={"type": "string", "enum": [k.value for k in NotificationKind]},
            payload={
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Ids only, never health data (README, Notifications).",
            },
            created_at={"type": "string", "format": "date-time"},
        ),
        "error": _frame(
            "error",
            "An unknown or out-of-order message; the socket stays open.",
            detail={"type": "string"},
        ),
    }


SENT_BY_CLIENT = ("auth", "resume", "ping")
SENT_BY_SERVER = ("ready", "notification", "ping", "pong", "error")


def document(host: str, secure: bool) -> dict[str, Any]:
    found = messages()

    def refs(names: tuple[str, ...]) -> list[dict[str, str]]:
        return [{"$ref": f"#/channels/notifications/messages/{n}"} for n in names]

    codes = "\n".join(f"- **{code}**: {why}" for code, why in sorted(CLOSE_CODES.items()))
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "healthrecords notifications",
            "version": "0.1.0",
            "description": "Real-time notifications over one WebSocket per client "
            "(README, WebSocket).",
        },
        "defaultContentType": "application/json",
        "servers": {
            "api": {
                "host": host,
                "protocol": "wss" if secure else "ws",
                "description": "The API server itself.",
            }
        },
        "channels": {
            "notifications": {
                "address": ADDRESS,
                "title": "The caller's notifications",
                "description": "Close codes; on each, reconnect (with backoff for 1013 and "
                f"4429) and resume:\n{codes}",
                "servers": [{"$ref": "#/servers/api"}],
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in found},
                "x-close-codes": {str(code): why for code, why in CLOSE_CODES.items()},
            }
        },
        "operations": {
            "receiveFromClient": {
                "action": "receive",
                "channel": {"$ref": "#/channels/notifications"},
                "summary": "What a client sends.",
                "messages": refs(SENT_BY_CLIENT),
            },
            "sendToClient": {
                "action": "send",
                "channel": {"$ref": "#/channels/notifications"},
                "summary": "What the server sends.",
                "messages": refs(SENT_BY_SERVER),
            },
        },
        "components": {"messages": found},
    }


class AsyncApiRenderPlugin(OpenAPIRenderPlugin):
    """Serves the document beside openapi.json, naming the host it was asked on."""

    def __init__(self) -> None:
        super().__init__(path="/asyncapi.json", media_type="application/json")  # type: ignore[arg-type]

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
        doc = document(host, request.url.scheme in {"https", "wss"})
        return self.render_json(request, doc)
