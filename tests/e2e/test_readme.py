"""The README's shell blocks run as written, top to bottom, in bash and in zsh.

The convention (README, "Contributing: README examples"):

- Blocks fenced ```sh or ```bash are run by this test, in README order, each
  in a new shell (`set -eu`) against a fresh embedded server started for the
  run. Commands that must not run here (starting servers, compose,
  production settings) go in ```console blocks; output goes in ```text.
- A block defines everything it uses: the server address as
  `BASE=${BASE:-http://127.0.0.1:8000}` (the test sets BASE), the users it
  needs (register and log in: tokens live 5 minutes), their ids. Nothing
  carries over from an earlier block.
- URLs containing `?` are quoted (zsh treats an unquoted `?` as a glob); JSON
  is read with `python3 -c`, never jq.
- A status written as the first thing in a curl command's comment, on its
  last line (`... # 201 the record`) or on the comment line right after it
  (`# 404: not assigned yet`), is checked against the status that curl
  command really got (every call of it, in a loop). Commands with no such
  comment are not checked. The command's own -D, -o, -w are left alone.
- `uv run healthrecords ...` commands reach the server's data dir through
  HEALTHRECORDS_DATA_DIR, which the test sets (the default, ./.healthrecords,
  is where a plain `healthrecords serve` keeps it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.processes import ApiServer, start_api

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\s*$")
CLAIM = re.compile(r"#\s*(\d{3})\b")
BLOCK_TIMEOUT = 120

# Records each curl call's exchange in a file of its own, named by the README
# command it came from (README_STEP, set on that command's line) and the call
# order, without touching what the command prints or its own -D/-o/-w.
PRELUDE = r"""
set -eu
curl() {
  command curl --trace-ascii \
    "$(mktemp -p "$README_CURL_LOG" "${README_STEP:-0}-$(date +%s%N)-XXXXXX")" "$@"
}
"""


@dataclass
class Block:
    line: int
    code: str
    claims: list[int | None]


def _curl_starts(lines: list[str]) -> list[int]:
    return [
        i for i, line in enumerate(lines) if re.search(r"(^|[\s(|])curl\s", line.split("#", 1)[0])
    ]


def claims_of(code: str) -> list[int | None]:
    """The status each curl command claims, in order; None where it claims none."""
    lines = code.splitlines()
    found: list[int | None] = []
    for i in _curl_starts(lines):
        while lines[i].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
        comment = lines[i].split(" #", 1)[1] if " #" in lines[i] else ""
        claim = CLAIM.match("#" + comment.strip()) if comment else None
        following = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if claim is None and following.startswith("#"):
            claim = CLAIM.match(following)
        found.append(int(claim.group(1)) if claim else None)
    return found


def numbered(code: str) -> str:
    """The block with README_STEP=k set on the line of its k-th curl command."""
    lines = code.splitlines()
    for step, i in enumerate(_curl_starts(lines), 1):
        before = lines[i - 1].rstrip() if i else ""
        if not before.endswith(("\\", "|", "&&", "||")):
            lines[i] = f"README_STEP={step}; {lines[i]}"
    return "\n".join(lines) + "\n"


def runnable_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    kind: str | None = None
    start, body = 0, []
    for number, line in enumerate(text.splitlines(), 1):
        if (fence := FENCE.match(line)) and kind is None:
            kind, start, body = fence.group(1), number, []
        elif line.startswith("```") and kind is not None:
            if kind in {"sh", "bash"}:
                code = "\n".join(body) + "\n"
                blocks.append(Block(start, code, claims_of(code)))
            kind = None
        elif kind is not None:
            body.append(line)
    return blocks


def statuses(log: Path) -> dict[int, list[int]]:
    """The statuses each README command got, by its step number."""
    got: dict[int, list[int]] = {}
    for trace in sorted(log.iterdir(), key=lambda f: f.name.split("-")[1]):
        found = re.search(r"HTTP/[\d.]+ (\d{3})", trace.read_text(errors="replace"))
        if found:
            got.setdefault(int(trace.name.split("-")[0]), []).append(int(found.group(1)))
        trace.unlink()
    return got


@pytest.fixture
async def fresh_server(tmp_path: Path) -> AsyncIterator[ApiServer]:
    # The blocks, run back to back from one address, sign in more often than
    # the default /api/auth/ limit (60 a minute per address) allows; a reader
    # runs one at a time. The limits have tests of their own (tests/api).
    env = {
        "HEALTHRECORDS_DATA_DIR": str(tmp_path / "data"),
        "HEALTHRECORDS_AUTH_RATE_LIMIT_PER_MINUTE": "1000",
    }
    server = await start_api(env, tmp_path)
    yield server
    await server.stop()


def test_the_convention_is_parsed_as_documented() -> None:
    code = (
        "A=$(curl -s \"$BASE/x?y=1\" \\\n  -d '{}' | python3 -c 'print(1)')\n# 201, ETag: \"1\"\n"
        "curl -s $BASE/a   # 404: not yet\n"
        "curl -s $BASE/b\n"
        "# a comment about the next step\n"
    )
    assert claims_of(code) == [201, 404, None]
    assert numbered(code).splitlines()[3] == "README_STEP=2; curl -s $BASE/a   # 404: not yet"
    blocks = runnable_blocks("```sh\necho 1\n```\n```console\nserve\n```\n```bash\necho 2\n```\n")
    assert [b.code for b in blocks] == ["echo 1\n", "echo 2\n"]


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_every_readme_shell_block_runs_as_written(
    shell: str, fresh_server: ApiServer, tmp_path: Path
) -> None:
    binary = shutil.which(shell)
    if binary is None:
        pytest.fail(f"{shell} is needed (apt-get install {shell}; .ci/run does)")
    blocks = runnable_blocks(README.read_text())
    assert blocks, "the README has no ```sh block"
    log = tmp_path / "curl"
    log.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEALTHRECORDS_")},
        "BASE": fresh_server.base_url,
        "HEALTHRECORDS_DATA_DIR": str(tmp_path / "data"),
        "README_CURL_LOG": str(log),
    }
    for block in blocks:
        done = subprocess.run(
            [binary, "-c", PRELUDE + numbered(block.code)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT,
            check=False,
        )
        where = f"README.md line {block.line} ({shell})"
        assert done.returncode == 0, f"{where} failed:\n{done.stdout}\n{done.stderr}"
        got = statuses(log)
        for step, want in enumerate(block.claims, 1):
            if want is None:
                continue
            assert got.get(step), f"{where}: curl command {step} (claims {want}) was not run"
            assert set(got[step]) == {want}, (
                f"{where}: curl command {step}: README says {want}, server answered "
                f"{got[step]}\n{done.stdout}"
            )
