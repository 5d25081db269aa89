"""The Gradle build is the one the project promises."""

from __future__ import annotations

import hashlib
from pathlib import Path

from harness.app import static_checks as sc
from tests.static.conftest import messages


def test_the_gradle_build_is_as_promised():
    assert sc.check_gradle(sc.SAMPLE_APP_DIR) == []


def test_the_wrapper_is_complete_and_official():
    app = sc.SAMPLE_APP_DIR
    jar = app / sc.WRAPPER_JAR
    assert hashlib.sha256(jar.read_bytes()).hexdigest() in sc.KNOWN_WRAPPER_JARS
    props = (app / sc.WRAPPER_PROPERTIES).read_text()
    assert "gradle-8.11.1-bin.zip" in props and "distributionSha256Sum=" in props


def test_a_non_debuggable_debug_build_is_reported(app_copy: Path, edit):
    edit(app_copy / sc.APP_BUILD, "isDebuggable = true", "isDebuggable = false")
    assert "isDebuggable = true" in messages(sc.check_gradle(app_copy))


def test_wrong_sdk_levels_are_reported(app_copy: Path, edit):
    edit(app_copy / sc.APP_BUILD, "compileSdk = 35", "compileSdk = 34")
    edit(app_copy / sc.APP_BUILD, "minSdk = 26", "minSdk = 24")
    text = messages(sc.check_gradle(app_copy))
    assert "compileSdk is '34', expected '35'" in text
    assert "minSdk is '24', expected '26'" in text


def test_an_old_workmanager_is_reported(app_copy: Path, edit):
    edit(app_copy / sc.VERSION_CATALOG, 'work = "2.10.0"', 'work = "2.7.1"')
    assert "androidx.work is '2.7.1'" in messages(sc.check_gradle(app_copy))


def test_an_unknown_wrapper_jar_is_reported(app_copy: Path):
    (app_copy / sc.WRAPPER_JAR).write_bytes(b"PK\x03\x04 not the real jar")
    assert "not a known official wrapper jar" in messages(sc.check_gradle(app_copy))
