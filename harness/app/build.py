"""Build and install the sample app (``sample_app/``).

``harness app build`` runs the app's Gradle build (``./gradlew assembleDebug``) when an Android
SDK and a JDK are present, and otherwise says exactly what is missing. ``harness app install``
puts the APK on a device through :meth:`harness.device.Device.install`.
:func:`default_apk_path` is the debug APK once it has been built (the plugin's ``--app-apk``
defaults to it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.adb_server import AdbServerAddress
from harness.errors import HarnessError

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_APP_DIR = REPO_ROOT / "sample_app"
DEBUG_APK = Path("app/build/outputs/apk/debug/app-debug.apk")
DEFAULT_TASK = "assembleDebug"
# The Android Gradle Plugin 8 runs on Java 17 or newer.
MIN_JAVA_MAJOR = 17
WRAPPER_JAR = Path("gradle/wrapper/gradle-wrapper.jar")

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class BuildError(HarnessError):
    """The sample app could not be built."""


class MissingToolchain(BuildError):
    """Something the Gradle build needs is not on this machine; ``missing`` says what."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        lines = "\n".join(f"  - {item}" for item in self.missing)
        super().__init__(f"cannot build the sample app here:\n{lines}")


@dataclass(frozen=True)
class Toolchain:
    """What the build found: the SDK and what named it, java and its major version."""

    sdk_dir: Path
    sdk_source: str
    java: Path
    java_major: int | None


def debug_apk_path(project_dir: Path | None = None) -> Path:
    """Where Gradle writes the debug APK of ``project_dir`` (default: this checkout's app),
    whether or not it exists."""
    return Path(project_dir if project_dir is not None else SAMPLE_APP_DIR) / DEBUG_APK


def default_apk_path() -> Path | None:
    """The built debug APK of this checkout's sample app, or None when it was not built."""
    apk = debug_apk_path()
    return apk if apk.is_file() else None


# ---------------------------------------------------------------- toolchain discovery
def read_local_properties(project_dir: Path) -> dict[str, str]:
    """``local.properties`` of the Gradle project (Java properties syntax), or {}."""
    path = Path(project_dir) / "local.properties"
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    logical = ""
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip() if not logical else raw.lstrip()
        if not logical and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            logical += line[:-1]
            continue
        logical += line
        match = re.match(r"((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$", logical)
        if match:
            values[_unescape(match.group(1))] = _unescape(match.group(2))
        logical = ""
    return values


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m[1], m[1]), text)


def find_android_sdk(
    project_dir: Path = SAMPLE_APP_DIR, environ: Mapping[str, str] | None = None
) -> tuple[Path | None, str | None, list[str]]:
    """The Android SDK folder, what named it, and the problems found on the way.

    Looks where the Android Gradle Plugin looks: ``sdk.dir`` in ``local.properties`` first,
    then ``ANDROID_HOME``, then ``ANDROID_SDK_ROOT``. The first one set is the one Gradle
    uses, so when it names something that is not a directory that is the problem reported.
    """
    env = os.environ if environ is None else environ
    candidates: list[tuple[str, str]] = []
    sdk_dir = read_local_properties(project_dir).get("sdk.dir")
    if sdk_dir:
        candidates.append((f"sdk.dir in {Path(project_dir) / 'local.properties'}", sdk_dir))
    for var in ("ANDROID_HOME", "ANDROID_SDK_ROOT"):
        if env.get(var):
            candidates.append((var, env[var]))
    if not candidates:
        return None, None, []
    source, value = candidates[0]
    path = Path(value).expanduser()
    if path.is_dir():
        return path, source, []
    return None, source, [f"{source} names {value}, which is not a directory"]


def find_java(
    environ: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> tuple[Path | None, list[str]]:
    """The java Gradle will use: ``$JAVA_HOME/bin/java``, else ``java`` on PATH."""
    env = os.environ if environ is None else environ
    exe = "java.exe" if sys.platform == "win32" else "java"
    java_home = env.get("JAVA_HOME")
    if java_home:
        java = Path(java_home) / "bin" / exe
        if java.is_file():
            return java, []
        return None, [f"JAVA_HOME={java_home} has no bin/{exe}"]
    found = which("java")
    return (Path(found), []) if found else (None, [])


def java_major_version(java: Path, run: Runner = subprocess.run) -> int | None:
    """The major version ``java -version`` reports (``1.8`` is 8), or None if unreadable."""
    try:
        proc = run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', (proc.stderr or "") + (proc.stdout or ""))
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_toolchain(
    project_dir: Path = SAMPLE_APP_DIR,
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    run: Runner = subprocess.run,
) -> Toolchain:
    """What the build needs, found; raises :class:`MissingToolchain` listing every gap."""
    project_dir = Path(project_dir)
    missing: list[str] = []
    if not (project_dir / "settings.gradle.kts").is_file():
        missing.append(f"no Gradle project at {project_dir} (settings.gradle.kts not found)")
    gradlew = project_dir / ("gradlew.bat" if sys.platform == "win32" else "gradlew")
    if not gradlew.is_file():
        missing.append(f"the Gradle wrapper script {gradlew} is missing")
    if not (project_dir / WRAPPER_JAR).is_file():
        missing.append(
            f"the Gradle wrapper jar {project_dir / WRAPPER_JAR} is missing; regenerate it with "
            f"`gradle wrapper --gradle-version 8.11.1` in {project_dir}"
        )
    sdk, sdk_source, sdk_problems = find_android_sdk(project_dir, environ)
    missing.extend(sdk_problems)
    if sdk is None and not sdk_problems:
        missing.append(
            "no Android SDK: set ANDROID_HOME (or ANDROID_SDK_ROOT) to the SDK folder, or write "
            f"sdk.dir=/path/to/Android/sdk in {project_dir / 'local.properties'}"
        )
    java, java_problems = find_java(environ, which)
    missing.extend(java_problems)
    major: int | None = None
    if java is None and not java_problems:
        missing.append(
            f"no Java: install a JDK {MIN_JAVA_MAJOR} or newer and put java on PATH "
            "or set JAVA_HOME"
        )
    elif java is not None:
        major = java_major_version(java, run)
        if major is not None and major < MIN_JAVA_MAJOR:
            missing.append(
                f"{java} is Java {major}; the Android Gradle Plugin needs Java "
                f"{MIN_JAVA_MAJOR} or newer (set JAVA_HOME to a newer JDK)"
            )
    if missing:
        raise MissingToolchain(missing)
    assert sdk is not None and sdk_source is not None and java is not None
    return Toolchain(sdk_dir=sdk, sdk_source=sdk_source, java=java, java_major=major)


# ---------------------------------------------------------------- build and install
def gradle_command(project_dir: Path, task: str) -> list[str]:
    """The wrapper call for ``task`` (through ``sh`` when gradlew lost its executable bit)."""
    if sys.platform == "win32":
        return [str(project_dir / "gradlew.bat"), task, "--console=plain"]
    gradlew = project_dir / "gradlew"
    if os.access(gradlew, os.X_OK):
        return [str(gradlew), task, "--console=plain"]
    return ["sh", str(gradlew), task, "--console=plain"]


def build_apk(
    project_dir: Path = SAMPLE_APP_DIR,
    task: str = DEFAULT_TASK,
    environ: Mapping[str, str] | None = None,
    run: Runner = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
    capture: bool = False,
) -> Path:
    """Runs the Gradle build and returns the debug APK.

    Raises :class:`MissingToolchain` when the SDK, java or the wrapper is missing (nothing is
    run then) and :class:`BuildError` when Gradle fails or leaves no APK.
    """
    project_dir = Path(project_dir)
    toolchain = check_toolchain(project_dir, environ, which, run)
    env = dict(os.environ if environ is None else environ)
    if toolchain.sdk_source in ("ANDROID_HOME", "ANDROID_SDK_ROOT"):
        # The plugin reads ANDROID_HOME; pass the folder found, whichever variable named it.
        env["ANDROID_HOME"] = str(toolchain.sdk_dir)
    if "JAVA_HOME" not in env:
        env["JAVA_HOME"] = str(toolchain.java.resolve().parent.parent)
    argv = gradle_command(project_dir, task)
    try:
        proc = run(argv, cwd=str(project_dir), env=env, capture_output=capture, text=True)
    except OSError as exc:
        raise BuildError(f"could not run {' '.join(argv)}: {exc}") from exc
    if proc.returncode != 0:
        tail = ""
        if capture:
            tail = "\n" + "\n".join(((proc.stdout or "") + (proc.stderr or "")).splitlines()[-40:])
        raise BuildError(f"{' '.join(argv)} failed with exit code {proc.returncode}{tail}")
    apk = debug_apk_path(project_dir)
    if task == DEFAULT_TASK and not apk.is_file():
        raise BuildError(f"the build succeeded but left no APK at {apk}")
    return apk


def resolve_apk(apk: str | Path | None) -> Path:
    """The APK to install: the one named, or the built debug APK."""
    if apk is not None:
        path = Path(apk)
        if not path.is_file():
            raise HarnessError(f"no APK at {path}")
        return path
    default = default_apk_path()
    if default is None:
        raise HarnessError(
            f"no APK: build it with `harness app build` (writes {debug_apk_path()}) "
            "or pass --apk PATH"
        )
    return default


def install_apk(
    serial: str, apk: str | Path | None = None, server: AdbServerAddress | None = None
) -> Path:
    """Installs the sample app's APK (``pm install -r -g -t``) on a device; returns the APK."""
    from harness.device import Device

    path = resolve_apk(apk)
    Device(serial, server or AdbServerAddress()).install(path)
    return path
