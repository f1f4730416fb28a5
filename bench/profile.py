"""Summarise a py-spy raw (collapsed) profile: `python -m bench.profile FILE [--top N]`.

Prints where the sampled time goes: inclusive share per function (time spent
in it or anything it called) and self share (time spent in its own code).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")
NOISE = ("<module>", "_run_once", "run", "_run", "run_forever", "run_until_complete")
# Waiting, not working: an idle thread-pool thread, the event loop in select().
IDLE = ("concurrent/futures/thread.py:81)", "EpollSelector.select (")


def short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def package(frame: str) -> str:
    """`sqlalchemy`, `litestar`, `asyncio`, `healthrecords.adapters` ... of a short frame."""
    inside = frame.rpartition("(")[2].rstrip(")")
    parts = inside.split("/")
    if parts[0] == "healthrecords" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else inside.split(":")[0]


def summarise(path: Path, top: int) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if any(marker in stack for marker in IDLE):
            continue
        frames = [short(f) for f in stack.split(";")]
        # The first frame is the process/thread label py-spy adds.
        frames = [f for f in frames[1:] if f]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
            packages[package(frames[-1])] += count
    if not total:
        return f"{path}: no samples"
    out = [
        f"{path}: {total} busy samples (idle threads and select() left out)",
        "",
        "inclusive (this function and what it calls):",
    ]
    out += [
        f"  {100 * n / total:5.1f}%  {f}"
        for f, n in inclusive.most_common(top * 3)
        if not f.startswith(NOISE)
    ][:top]
    out += ["", "self time by package:"]
    out += [f"  {100 * n / total:5.1f}%  {p}" for p, n in packages.most_common(20)]
    out += ["", "self (own code):"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args()
    for file in args.files:
        print(summarise(file, args.top))
        print()


if __name__ == "__main__":
    main()
