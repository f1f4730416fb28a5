"""Result rows, target checks, the printed table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).with_name("results")


@dataclass
class Row:
    scenario: str
    variant: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    requests: int | None = None
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Target:
    scenario: str
    what: str
    goal: str
    measured: str
    met: bool


@dataclass
class Report:
    config: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(f"  {row.scenario} {row.variant}: {_cells(row)}", flush=True)
        return row

    def target(self, scenario: str, what: str, goal: str, measured: str, met: bool) -> None:
        self.targets.append(Target(scenario, what, goal, measured, met))

    def skip(self, scenario: str, reason: str) -> None:
        self.skipped[scenario] = reason
        print(f"  {scenario}: NOT MEASURED - {reason}", flush=True)


def _fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _cells(row: Row) -> str:
    return (
        f"{_fmt(row.rps)} req/s, p50 {_fmt(row.p50_ms, 2)} ms, p99 {_fmt(row.p99_ms, 2)} ms, "
        f"errors {_fmt(row.errors)}" + (f" ({row.note})" if row.note else "")
    )


def table(report: Report) -> str:
    head = ("scenario", "variant", "req/s", "p50 ms", "p99 ms", "errors", "note")
    lines = [
        (
            r.scenario,
            r.variant,
            _fmt(r.rps),
            _fmt(r.p50_ms, 2),
            _fmt(r.p99_ms, 2),
            _fmt(r.errors),
            r.note,
        )
        for r in report.rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *lines, strict=False)]
    out = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(str(c).ljust(w) for c, w in zip(ln, widths, strict=True)) for ln in lines]
    if report.targets:
        out += ["", "targets:"]
        out += [
            f"  [{'met' if t.met else 'MISSED'}] {t.scenario} {t.what}: {t.measured} "
            f"(goal {t.goal})"
            for t in report.targets
        ]
    if report.skipped:
        out += ["", "not measured:"]
        out += [f"  {name}: {reason}" for name, reason in report.skipped.items()]
    return "\n".join(out)


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpus": os.cpu_count(),
        # Other work on the machine skews every figure; this says how much there was.
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
    }


def write_json(report: Report) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"bench-{stamp}.json"
    payload = {
        "finished_at": datetime.now(UTC).isoformat(),
        "config": report.config,
        "machine": machine(),
        "rows": [asdict(r) for r in report.rows],
        "targets": [asdict(t) for t in report.targets],
        "not_measured": report.skipped,
    }
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path
