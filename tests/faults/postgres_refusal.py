"""Just enough of the PostgreSQL protocol to refuse a connection with a SQLSTATE.

PostgreSQL answers this way while it cannot serve: 57P03 during start-up or
crash recovery, 53300 when max_connections is reached, 57P01 while shutting
down. The refusal declines TLS, reads the startup packet, sends one FATAL
ErrorResponse and closes, as the server does.
"""

from __future__ import annotations

import asyncio
import struct

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104

MESSAGES = {
    "57P01": "terminating connection due to administrator command",
    "57P02": "terminating connection due to crash of another server process",
    "57P03": "the database system is starting up",
    "53300": "sorry, too many clients already",
}


def error_response(sqlstate: str) -> bytes:
    fields = (
        (b"S", "FATAL"),
        (b"V", "FATAL"),
        (b"C", sqlstate),
        (b"M", MESSAGES.get(sqlstate, "cannot serve now")),
    )
    body = b"".join(code + value.encode() + b"\0" for code, value in fields) + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sqlstate: str) -> int:
    """Refuse one client connection; 1 if it got as far as the ErrorResponse."""
    try:
        while True:
            (length,) = struct.unpack("!I", await reader.readexactly(4))
            packet = await reader.readexactly(length - 4)
            if struct.unpack("!I", packet[:4])[0] not in (SSL_REQUEST, GSS_REQUEST):
                break
            writer.write(b"N")  # no TLS, no GSS: go on in plain text
            await writer.drain()
        writer.write(error_response(sqlstate))
        await writer.drain()
        return 1
    except (OSError, asyncio.IncompleteReadError):
        return 0
    finally:
        writer.close()
