"""Every Kotlin and Gradle Kotlin DSL file of the sample app parses with the Kotlin grammar."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.app import static_checks as sc
from tests.static.conftest import SOURCE, messages

FILES = sc.kotlin_files(sc.SAMPLE_APP_DIR)


def test_the_app_has_kotlin_sources_and_gradle_scripts():
    names = {p.name for p in FILES}
    assert {"settings.gradle.kts", "build.gradle.kts", "Contract.kt", "ControlProvider.kt",
            "SampleWorker.kt", "SampleJobService.kt", "SampleForegroundService.kt",
            "AlarmReceiver.kt", "BootReceiver.kt", "EventLog.kt", "MainActivity.kt"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(sc.SAMPLE_APP_DIR)))
def test_file_parses(path: Path):
    assert sc.syntax_errors(path) == []


def test_a_broken_file_is_reported_with_its_line(app_copy: Path, edit):
    worker = app_copy / SOURCE / "SampleWorker.kt"
    edit(worker, "override suspend fun doWork(): Result {",
         "override suspend fun doWork(: Result {")
    findings = sc.check_kotlin_syntax(app_copy)
    assert findings, "a syntax error went unnoticed"
    assert all("SampleWorker.kt" in f.where for f in findings)
    line = next(i for i, text in enumerate(worker.read_text().splitlines(), 1)
                if "fun doWork(" in text)
    assert any(f":{line}:" in f.where for f in findings), messages(findings)


def test_a_broken_gradle_script_is_reported(app_copy: Path, edit):
    edit(app_copy / "app/build.gradle.kts", "compileSdk = 35", "compileSdk = = 35")
    findings = sc.check_kotlin_syntax(app_copy)
    assert any("build.gradle.kts" in f.where for f in findings), messages(findings)


def test_build_outputs_are_not_checked(app_copy: Path):
    generated = app_copy / "app/build/generated/Broken.kt"
    generated.parent.mkdir(parents=True)
    generated.write_text("this is not kotlin {{{")
    assert sc.check_kotlin_syntax(app_copy) == []
