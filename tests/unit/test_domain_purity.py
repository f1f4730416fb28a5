"""The domain imports only the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import healthrecords.domain

DOMAIN = Path(healthrecords.domain.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_domain_imports_nothing_outside_itself_and_the_standard_library() -> None:
    offenders = {}
    for path in DOMAIN.rglob("*.py"):
        bad = {
            name
            for name in imported_modules(path)
            if not name.startswith("healthrecords.domain")
            and name.split(".")[0] not in sys.stdlib_module_names
        }
        if bad:
            offenders[str(path.relative_to(DOMAIN))] = sorted(bad)
    assert offenders == {}


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import litestar\nfrom healthrecords.adapters import x\nimport json\n")
    assert imported_modules(sample) == {"litestar", "healthrecords.adapters", "json"}
