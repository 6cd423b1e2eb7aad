"""The installed sandbox carries runtime code only: spec validation and ground-truth
checks live in tests/support, and no sandbox module imports a test-only library. (That it
imports nothing of the tap, the client or the loader is an import-linter contract.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SANDBOX = Path(__file__).resolve().parents[2] / "tap_calendly" / "sandbox"
TEST_ONLY = ("yaml", "openapi_schema_validator", "jsonschema")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def _modules() -> list[Path]:
    return sorted(SANDBOX.glob("*.py"))


def test_scan_sees_imports_inside_functions() -> None:
    assert len(_modules()) > 10
    assert "tap_calendly.sandbox.export" in _imports(SANDBOX / "cli.py")  # a local import


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_sandbox_module_imports_no_test_only_library(path: Path) -> None:
    for name in _imports(path):
        assert name.split(".")[0] not in TEST_ONLY, f"{path.name} imports {name}"
