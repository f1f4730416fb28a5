"""Drive HTTP load with wrk (Debian's package) and read its JSON summary."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk.lua")
MARKER = "BENCH_JSON "


class LoadGeneratorMissing(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_detail: dict[str, int]
    connections: int
    # Cores used by each component during the run, when the harness measured it.
    cpu: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadGeneratorMissing("wrk is not installed: apt-get install -y wrk")
    return path


async def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    method: str = "GET",
    body: str = "",
    token: str = "",
    threads: int = 1,
) -> LoadResult:
    """Closed-loop load: `connections` keep-alive connections, each sends as fast as answered."""
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_BODY": body,
        "BENCH_TOKEN": token,
    }
    process = await asyncio.create_subprocess_exec(
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=seconds + 30)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    text = out.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith(MARKER)), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.decode()[-500:]}")
    raw = json.loads(line[len(MARKER) :])
    detail = {k: int(raw[k]) for k in ("connect", "read", "write", "status", "timeout")}
    elapsed = raw["duration_us"] / 1e6
    return LoadResult(
        requests=int(raw["requests"]),
        seconds=round(elapsed, 2),
        rps=round(raw["requests"] / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p90_ms=round(raw["p90_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        max_ms=round(raw["max_us"] / 1000, 2),
        errors=sum(detail.values()),
        error_detail=detail,
        connections=connections,
    )
