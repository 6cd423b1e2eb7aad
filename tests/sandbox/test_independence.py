"""The sandbox is an independent fake: it imports nothing from the tap, the client or the
loader, and nothing test-only (spec validation lives in tests/support)."""

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


def test_scan_sees_the_sandbox() -> None:
    assert len(_modules()) > 10
    assert "tap_calendly.sandbox.store" in _imports(SANDBOX / "generator.py")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_sandbox_module_imports_only_the_sandbox_and_runtime_libraries(path: Path) -> None:
    for name in _imports(path):
        if name.startswith("tap_calendly"):
            assert name.startswith("tap_calendly.sandbox"), f"{path.name} imports {name}"
        assert name.split(".")[0] not in TEST_ONLY, f"{path.name} imports {name}"
