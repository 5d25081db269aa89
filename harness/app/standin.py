"""Which APK of the sample app to install, and its manifest-only stand-in.

The order: an APK given explicitly (``--app-apk``), else the debug APK built from
``sample_app/`` (``harness app build``), else a stand-in: an APK holding only the app's binary
manifest, made from the real project's ``AndroidManifest.xml`` plus what Gradle adds (package,
versions, SDK levels, ``debuggable`` for a debug build, ``${applicationId}`` substituted, and
what the manifest merger brings in from work-runtime: SystemJobService, RescheduleReceiver,
DiagnosticsReceiver and the other WorkManager components). The stand-in has no code and no
signature, so a phone refuses it; a model of a device reads its manifest and runs its model of
the app. The harness does not need to know which kind of device it installs on.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.errors import HarnessError

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_DIR = REPO_ROOT / "sample_app" / "app"
MANIFEST = APP_DIR / "src" / "main" / "AndroidManifest.xml"
GRADLE = APP_DIR / "build.gradle.kts"
ANDROID_NS = "http://schemas.android.com/apk/res/android"
TOOLS_NS = "http://schemas.android.com/tools"


def built_apk() -> Path | None:
    try:
        from harness.app.build import default_apk_path
    except ImportError:  # pragma: no cover - the build helper ships with the package
        return None
    return default_apk_path()


def choose_apk(explicit: Path | None = None) -> tuple[Path, bool]:
    """(path, is_stand_in)."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise HarnessError(f"sample app APK not found: {explicit}")
        return Path(explicit), False
    built = built_apk()
    if built is not None:
        return built, False
    return standin_apk(), True


def _gradle_value(text: str, key: str, default: str) -> str:
    m = re.search(rf"\b{key}\s*=\s*\"?([\w.\-]+)\"?", text)
    return m.group(1) if m else default


def standin_manifest() -> str:
    """The merged manifest a debug build would carry, as text."""
    if not MANIFEST.is_file():
        raise HarnessError(f"the sample app's manifest is missing: {MANIFEST}")
    gradle = GRADLE.read_text() if GRADLE.is_file() else ""
    ET.register_namespace("android", ANDROID_NS)
    root = ET.fromstring(MANIFEST.read_text())

    def strip_tools(elem: ET.Element) -> None:
        for child in list(elem):
            if child.get(f"{{{TOOLS_NS}}}node") == "remove":
                elem.remove(child)
                continue
            strip_tools(child)
        for attr in [a for a in elem.attrib if a.startswith(f"{{{TOOLS_NS}}}")]:
            del elem.attrib[attr]

    strip_tools(root)
    a = f"{{{ANDROID_NS}}}"
    package = _gradle_value(gradle, "applicationId", "dev.harness.sample")
    root.set("package", package)
    root.set(f"{a}versionCode", _gradle_value(gradle, "versionCode", "1"))
    root.set(f"{a}versionName", _gradle_value(gradle, "versionName", "1.0"))
    uses_sdk = ET.Element("uses-sdk", {
        f"{a}minSdkVersion": _gradle_value(gradle, "minSdk", "26"),
        f"{a}targetSdkVersion": _gradle_value(gradle, "targetSdk", "35"),
    })
    root.insert(0, uses_sdk)
    application = root.find("application")
    if application is not None:
        application.set(f"{a}debuggable", "true")  # the debug build type
        # aapt resolves @string/app_name from resources; the stand-in has none, so the label
        # is written out.
        label = application.get(f"{a}label", "")
        if label.startswith("@string/"):
            application.set(f"{a}label", _string_resource(label[len("@string/"):]))
        _merge_library(root, application, WORK_RUNTIME_PERMISSIONS, WORK_RUNTIME_COMPONENTS)
    _resolve_placeholders(root, package)
    return ET.tostring(root, encoding="unicode")


# What Gradle's manifest merger adds from work-runtime (androidx/androidx
# work/work-runtime/src/main/AndroidManifest.xml @18aa7c77; reference section 3.3). Names are
# written out in full as the merger writes them, and the ``@bool/enable_*_default`` resources
# are resolved for API 23+ (values-v23/bools.xml: the alarm service off, the job service on),
# which covers every device the app installs on (minSdk 26). RescheduleReceiver stays disabled:
# WorkManager enables it at run time while unfinished work exists (UnfinishedWorkListener).
_WM = "androidx.work.impl"
_OFF = {"enabled": "false", "exported": "false", "directBootAware": "false"}
WORK_RUNTIME_PERMISSIONS = (
    "android.permission.WAKE_LOCK",
    "android.permission.ACCESS_NETWORK_STATE",
    "android.permission.RECEIVE_BOOT_COMPLETED",
    "android.permission.FOREGROUND_SERVICE",
)
WORK_RUNTIME_COMPONENTS: tuple[tuple[str, dict[str, str], tuple[str, ...]], ...] = (
    ("provider", {"name": "androidx.startup.InitializationProvider",
                  "authorities": "${applicationId}.androidx-startup", "exported": "false"}, ()),
    ("service", {"name": f"{_WM}.background.systemalarm.SystemAlarmService", **_OFF}, ()),
    ("service", {"name": f"{_WM}.background.systemjob.SystemJobService",
                 "permission": "android.permission.BIND_JOB_SERVICE", "exported": "true",
                 "enabled": "true", "directBootAware": "false"}, ()),
    ("service", {"name": f"{_WM}.foreground.SystemForegroundService", "exported": "false",
                 "directBootAware": "false", "enabled": "true"}, ()),
    ("receiver", {"name": f"{_WM}.utils.ForceStopRunnable$BroadcastReceiver", "enabled": "true",
                  "exported": "false", "directBootAware": "false"}, ()),
    ("receiver", {"name": f"{_WM}.background.systemalarm.ConstraintProxy$BatteryChargingProxy",
                  **_OFF}, ("android.intent.action.ACTION_POWER_CONNECTED",
                            "android.intent.action.ACTION_POWER_DISCONNECTED")),
    ("receiver", {"name": f"{_WM}.background.systemalarm.ConstraintProxy$BatteryNotLowProxy",
                  **_OFF}, ("android.intent.action.BATTERY_OKAY",
                            "android.intent.action.BATTERY_LOW")),
    ("receiver", {"name": f"{_WM}.background.systemalarm.ConstraintProxy$StorageNotLowProxy",
                  **_OFF}, ("android.intent.action.DEVICE_STORAGE_LOW",
                            "android.intent.action.DEVICE_STORAGE_OK")),
    ("receiver", {"name": f"{_WM}.background.systemalarm.ConstraintProxy$NetworkStateProxy",
                  **_OFF}, ("android.net.conn.CONNECTIVITY_CHANGE",)),
    ("receiver", {"name": f"{_WM}.background.systemalarm.RescheduleReceiver", **_OFF},
     ("android.intent.action.BOOT_COMPLETED", "android.intent.action.TIME_SET",
      "android.intent.action.TIMEZONE_CHANGED")),
    ("receiver", {"name": f"{_WM}.background.systemalarm.ConstraintProxyUpdateReceiver", **_OFF},
     ("androidx.work.impl.background.systemalarm.UpdateProxies",)),
    ("receiver", {"name": f"{_WM}.diagnostics.DiagnosticsReceiver", "directBootAware": "false",
                  "enabled": "true", "exported": "true",
                  "permission": "android.permission.DUMP"},
     ("androidx.work.diagnostics.REQUEST_DIAGNOSTICS",)),
)


def _merge_library(root: ET.Element, application: ET.Element, permissions: tuple[str, ...],
                   components: tuple[tuple[str, dict[str, str], tuple[str, ...]], ...]) -> None:
    """The manifest merger's default (``merge``) rule: a library's permissions and components
    are added; a component the app declares too keeps the app's attributes and children and
    gains only the attributes it lacks."""
    a = f"{{{ANDROID_NS}}}"
    requested = {e.get(f"{a}name") for e in root.iter("uses-permission")}
    for permission in permissions:
        if permission not in requested:
            root.insert(1, ET.Element("uses-permission", {f"{a}name": permission}))
    declared = {(e.tag, e.get(f"{a}name")): e for e in application}
    for tag, attrs, actions in components:
        existing = declared.get((tag, attrs["name"]))
        if existing is not None:
            for key, value in attrs.items():
                if existing.get(f"{a}{key}") is None:
                    existing.set(f"{a}{key}", value)
            continue
        element = ET.SubElement(application, tag, {f"{a}{k}": v for k, v in attrs.items()})
        if actions:
            intent_filter = ET.SubElement(element, "intent-filter")
            for action in actions:
                ET.SubElement(intent_filter, "action", {f"{a}name": action})


def _resolve_placeholders(root: ET.Element, package: str) -> None:
    """``${applicationId}`` in attribute values, as the merger substitutes it."""
    for element in root.iter():
        for key, value in element.attrib.items():
            if "${applicationId}" in value:
                element.set(key, value.replace("${applicationId}", package))


def _string_resource(name: str) -> str:
    strings = APP_DIR / "src" / "main" / "res" / "values" / "strings.xml"
    if strings.is_file():
        for elem in ET.fromstring(strings.read_text()).iter("string"):
            if elem.get("name") == name:
                return elem.text or name
    return name


def standin_apk() -> Path:
    """Build (once per manifest content) and return the stand-in APK's path."""
    from harness.apk import build_apk

    text = standin_manifest()
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "harness"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        cache = Path(tempfile.gettempdir())
    path = cache / f"sample-app-standin-{digest}.apk"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(build_apk(text))
        tmp.replace(path)
    return path
