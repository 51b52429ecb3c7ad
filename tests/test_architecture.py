"""Import contracts, checked by import-linter: the package layers and the independent checker."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lint_imports_output() -> str:
    """What lint-imports prints for this checkout; it must exit 0."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_import_layers_are_respected(lint_imports_output: str) -> None:
    """No package imports a package above it (the CLI is the one named exception)."""
    assert "Layers: simulations -> dispatch -> models -> routing KEPT" in lint_imports_output


def test_checker_imports_no_solver(lint_imports_output: str) -> None:
    """dispatch.checker reaches no solver module, so it cannot share a solver's bug."""
    assert "The plan checker is independent of the solvers it checks KEPT" in lint_imports_output
    assert "2 kept, 0 broken" in lint_imports_output
