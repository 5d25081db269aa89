"""``harness app build`` / ``install`` and the APK path (harness/app/build.py, cli/app.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.adb_server import AdbServerAddress
from harness.app import build
from harness.errors import HarnessError


def fake_project(tmp_path: Path) -> Path:
    project = tmp_path / "sample_app"
    (project / "gradle/wrapper").mkdir(parents=True)
    (project / "settings.gradle.kts").write_text('include(":app")\n')
    (project / "gradlew").write_text("#!/bin/sh\n")
    (project / "gradlew").chmod(0o755)
    (project / "gradlew.bat").write_text("@echo off\n")
    (project / build.WRAPPER_JAR).write_bytes(b"jar")
    return project


def fake_java(tmp_path: Path, version: str = '17.0.15') -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-04-15' >&2\n")
    java.chmod(0o755)
    return home


def test_default_apk_path_is_the_built_debug_apk(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(build, "SAMPLE_APP_DIR", tmp_path)
    assert build.default_apk_path() is None
    apk = tmp_path / "app/build/outputs/apk/debug/app-debug.apk"
    apk.parent.mkdir(parents=True)
    apk.write_bytes(b"PK")
    assert build.default_apk_path() == apk


def test_the_real_apk_path():
    assert build.debug_apk_path() == (
        build.REPO_ROOT / "sample_app/app/build/outputs/apk/debug/app-debug.apk")


def test_local_properties_are_read_like_java_properties(tmp_path: Path):
    (tmp_path / "local.properties").write_text(
        "# comment\nsdk.dir=C\\:\\\\Users\\\\me\\\\sdk\nother = value \\\n  continued\n")
    props = build.read_local_properties(tmp_path)
    assert props["sdk.dir"] == "C:\\Users\\me\\sdk"
    assert props["other"] == "value continued"


def test_without_sdk_and_java_it_says_what_is_missing(tmp_path: Path):
    project = fake_project(tmp_path)
    with pytest.raises(build.MissingToolchain) as info:
        build.check_toolchain(project, environ={}, which=lambda name: None)
    text = str(info.value)
    assert "no Android SDK: set ANDROID_HOME (or ANDROID_SDK_ROOT)" in text
    assert "sdk.dir=" in text and "local.properties" in text
    assert "no Java: install a JDK 17 or newer" in text


def test_a_sdk_variable_naming_nothing_is_reported(tmp_path: Path):
    project = fake_project(tmp_path)
    with pytest.raises(build.MissingToolchain) as info:
        build.check_toolchain(project, environ={"ANDROID_HOME": str(tmp_path / "nope"),
                                                "JAVA_HOME": str(fake_java(tmp_path))})
    assert info.value.missing == [f"ANDROID_HOME names {tmp_path / 'nope'}, which is not a "
                                  "directory"]


@pytest.mark.skipif(sys.platform == "win32", reason="shell script stand-ins")
def test_an_old_java_is_reported(tmp_path: Path):
    project = fake_project(tmp_path)
    (tmp_path / "sdk").mkdir()
    with pytest.raises(build.MissingToolchain) as info:
        build.check_toolchain(project, environ={"ANDROID_HOME": str(tmp_path / "sdk"),
                                                "JAVA_HOME": str(fake_java(tmp_path, "11.0.2"))})
    assert "is Java 11; the Android Gradle Plugin needs Java 17" in str(info.value)


def test_a_missing_wrapper_jar_is_reported(tmp_path: Path):
    project = fake_project(tmp_path)
    (project / build.WRAPPER_JAR).unlink()
    with pytest.raises(build.MissingToolchain) as info:
        build.check_toolchain(project, environ={}, which=lambda name: None)
    assert "gradle-wrapper.jar" in str(info.value)


@pytest.mark.skipif(sys.platform == "win32", reason="shell script stand-ins")
def test_build_runs_gradlew_assemble_debug_with_the_sdk(tmp_path: Path):
    project = fake_project(tmp_path)
    sdk = tmp_path / "sdk"
    sdk.mkdir()
    (project / "local.properties").write_text(f"sdk.dir={sdk}\n")
    calls = []

    def run(argv, **kwargs):
        if argv[-1] == "-version":
            return subprocess.run(argv, **kwargs)
        calls.append((argv, kwargs))
        apk = build.debug_apk_path(project)
        apk.parent.mkdir(parents=True)
        apk.write_bytes(b"PK")
        return subprocess.CompletedProcess(argv, 0, "", "")

    apk = build.build_apk(project, environ={"JAVA_HOME": str(fake_java(tmp_path))}, run=run)
    assert apk == project / "app/build/outputs/apk/debug/app-debug.apk"
    (argv, kwargs), = calls
    assert argv == [str(project / "gradlew"), "assembleDebug", "--console=plain"]
    assert kwargs["cwd"] == str(project)
    assert kwargs["env"]["JAVA_HOME"] == str(tmp_path / "jdk")


@pytest.mark.skipif(sys.platform == "win32", reason="shell script stand-ins")
def test_a_failed_build_is_an_error(tmp_path: Path):
    project = fake_project(tmp_path)
    (tmp_path / "sdk").mkdir()

    def run(argv, **kwargs):
        if argv[-1] == "-version":
            return subprocess.run(argv, **kwargs)
        return subprocess.CompletedProcess(argv, 1, "FAILURE: Build failed\n", "")

    env = {"ANDROID_SDK_ROOT": str(tmp_path / "sdk"), "JAVA_HOME": str(fake_java(tmp_path))}
    with pytest.raises(build.BuildError, match="failed with exit code 1"):
        build.build_apk(project, environ=env, run=run, capture=True)


def test_install_uses_the_device_gateway(monkeypatch, tmp_path: Path):
    apk = tmp_path / "app.apk"
    apk.write_bytes(b"PK")
    installed = []

    class FakeDevice:
        def __init__(self, serial, server):
            self.serial, self.server = serial, server

        def install(self, path):
            installed.append((self.serial, str(self.server), path))

    monkeypatch.setattr("harness.device.Device", FakeDevice)
    address = AdbServerAddress("10.0.0.5", 5038)
    assert build.install_apk("R58M123", apk, address) == apk
    assert installed == [("R58M123", "10.0.0.5:5038", apk)]


def test_install_without_an_apk_says_how_to_get_one(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(build, "SAMPLE_APP_DIR", tmp_path)
    with pytest.raises(HarnessError, match="harness app build"):
        build.resolve_apk(None)
    with pytest.raises(HarnessError, match="no APK at"):
        build.resolve_apk(tmp_path / "missing.apk")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "app", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_build_without_sdk_says_what_is_missing(tmp_path: Path):
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("ANDROID_HOME", "ANDROID_SDK_ROOT", "JAVA_HOME")}
    env["PATH"] = str(Path(sys.executable).parent)  # no java there
    project = fake_project(tmp_path)
    proc = run_cli("build", "--project", str(project), env=env)
    assert proc.returncode == 1
    assert "cannot build the sample app here" in proc.stderr
    assert "no Android SDK" in proc.stderr and "no Java" in proc.stderr


def test_cli_install_with_a_missing_apk_fails_clearly(tmp_path: Path):
    proc = run_cli("install", "emulator-5554", "--apk", str(tmp_path / "none.apk"))
    assert proc.returncode == 1
    assert "no APK at" in proc.stderr


def test_cli_check_passes_on_this_checkout():
    proc = run_cli("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "checks passed" in proc.stdout
