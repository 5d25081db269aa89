"""The README explains building the app and running on an emulator, with the nightly's command."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.app import static_checks as sc
from tests.static.conftest import messages

README = sc.REPO_ROOT / "README.md"


def test_the_readme_section_is_there_with_the_nightly_command():
    assert sc.check_readme(README) == []


def test_the_section_comes_right_before_the_virtual_device(tmp_path: Path):
    copy = tmp_path / "README.md"
    text = README.read_text()
    section_start = text.index(sc.README_SECTION)
    section_end = text.index("## The virtual device")
    section = text[section_start:section_end]
    moved = text[:section_start] + text[section_end:] + "\n" + section
    copy.write_text(moved)
    assert "must come right before" in messages(sc.check_readme(copy))


def test_a_drifted_command_is_reported(tmp_path: Path):
    copy = tmp_path / "README.md"
    shutil.copy(README, copy)
    copy.write_text(copy.read_text().replace("--serial emulator-5554 --app-apk",
                                             "--serial emulator-5554 --apk"))
    assert "does not show `pytest tests/device --serial emulator-5554" in messages(
        sc.check_readme(copy))
