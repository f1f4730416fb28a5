"""A patient-doctor session against the compose stack: the doctor's socket must get
the assignment notification, delivered by the worker container through Redis.

Usage: uv run python .ci/compose_session.py http://127.0.0.1:18000
Exits non-zero, saying why, on any unexpected answer or after 60 s.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys

import httpx
from websockets.asyncio.client import connect

DEADLINE = 60.0


async def session(base: str) -> None:
    run = secrets.token_hex(4)
    async with httpx.AsyncClient(base_url=base, timeout=15) as http:

        async def user(role: str) -> tuple[str, str]:
            email, password = f"{role}-{run}@example.org", f"compose-check-{run}-passphrase"
            made = await http.post(
                "/api/auth/register/",
                json={"email": email, "password": password, "full_name": role, "role": role},
            )
            assert made.status_code == 201, made.text
            login = await http.post("/api/auth/login/", json={"email": email, "password": password})
            assert login.status_code == 200, login.text
            return made.json()["id"], login.json()["access_token"]

        _, patient = await user("patient")
        doctor_id, doctor = await user("doctor")
        ws_url = base.replace("http", "ws", 1) + "/api/ws/notifications/"
        async with connect(ws_url, open_timeout=15) as ws:
            await ws.send(json.dumps({"type": "auth", "token": doctor}))
            ready = json.loads(await ws.recv())
            assert ready == {"type": "ready"}, ready
            assigned = await http.post(
                "/api/assignments/",
                json={"doctor_id": doctor_id},
                headers={"Authorization": f"Bearer {patient}"},
            )
            assert assigned.status_code == 201, assigned.text
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "notification":
                    break
            assert frame["kind"] == "assignment.created", frame
            assert frame["payload"]["assignment_id"] == assigned.json()["id"], frame
    print(f"compose session: the doctor's socket got {frame['kind']} from the worker")


def main() -> int:
    try:
        asyncio.run(asyncio.wait_for(session(sys.argv[1]), DEADLINE))
    except TimeoutError:
        print(f"compose session: no notification within {DEADLINE:.0f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
