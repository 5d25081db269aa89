"""Fixtures of the static checks: mutable copies of the sample app and the workflows."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.app import static_checks as sc

SOURCE = Path(sc.SOURCE_DIR)


@pytest.fixture
def app_copy(tmp_path: Path) -> Path:
    """A copy of sample_app/ (without build outputs) that a test may break."""
    dest = tmp_path / "sample_app"
    shutil.copytree(sc.SAMPLE_APP_DIR, dest,
                    ignore=shutil.ignore_patterns("build", ".gradle", "local.properties"))
    return dest


@pytest.fixture
def workflows_copy(tmp_path: Path) -> Path:
    """A copy of .github/workflows/ (inside a fake checkout) that a test may break."""
    dest = tmp_path / "repo" / ".github" / "workflows"
    shutil.copytree(sc.WORKFLOWS_DIR, dest)
    return dest


Edit = Callable[[Path, str, str], None]


@pytest.fixture
def edit() -> Edit:
    """Replace ``old`` by ``new`` in a file, insisting that ``old`` is there exactly once."""

    def replace(path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return replace


def messages(findings: list[sc.Finding]) -> str:
    return "\n".join(str(f) for f in findings)
