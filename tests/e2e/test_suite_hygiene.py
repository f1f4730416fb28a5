"""The suite itself warns about nothing: a warning in every run hides the one that matters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_run_that_imports_the_app_and_the_test_helpers_warns_about_nothing() -> None:
    # test_instants runs (a cheap import of the whole app); the access matrix is
    # collected only, for its helper classes named like tests (TestUser).
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *("tests/unit/test_instants.py", "tests/api/test_access_matrix.py"),
            *("-k", "not access_matrix and not matrix"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout[-2000:]
    assert "passed" in summary
    assert "warning" not in summary, done.stdout[-4000:]
