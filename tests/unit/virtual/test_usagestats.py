"""App standby buckets: ``am set/get-standby-bucket``, ``set/get-inactive``, exemptions, usage,
aging with device time, persistence, and ``dumpsys usagestats`` as the project's parser reads it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.android import usagestats as usage_parser
from harness.apk.builder import build_apk
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.packages import PackageManagerService
from harness.virtual.system.usagestats import UsageStatsService
from tests.conformance.captures import captures_dir
from tests.unit.virtual.conftest import Shell
from tests.unit.virtual.helpers import on_loop, reboot, recording, restore_battery

APP = "com.example.standby"
OTHER = "com.example.other"
EXCEPTION = "\nException occurred while executing 'set-standby-bucket':\n"


def install(device_loop: DeviceLoop, dev: VirtualDevice, package: str) -> None:
    manifest = f"""<manifest xmlns:android="http://schemas.android.com/apk/res/android"
        package="{package}" android:versionCode="1" android:versionName="1.0">
      <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="34"/>
      <application android:label="Standby">
        <activity android:name=".MainActivity" android:exported="true">
          <intent-filter>
            <action android:name="android.intent.action.MAIN"/>
            <category android:name="android.intent.category.LAUNCHER"/>
          </intent-filter>
        </activity>
      </application>
    </manifest>"""
    data = build_apk(manifest)
    pm = dev.system.service(PackageManagerService)
    assert on_loop(device_loop, lambda: pm.install_bytes(data)) == "Success"


@pytest.fixture
def app(device_loop: DeviceLoop, vdev: VirtualDevice, sh: Shell) -> Iterator[str]:
    install(device_loop, vdev, APP)
    yield APP
    sh(f"pm uninstall {APP}")


def bucket(sh: Shell, package: str) -> int:
    out, err, rc = sh(f"am get-standby-bucket {package}")
    assert (err, rc) == ("", 0)
    value = usage_parser.parse_get_standby_bucket(out)
    assert isinstance(value, int)
    return value


# ----------------------------------------------------------------------------- set / get


def test_new_app_is_never_until_used(sh, app):
    assert bucket(sh, app) == 50
    state = usage_parser.parse(sh("dumpsys usagestats")[0])
    entry = next(e for e in state.entries if e.package == app)
    assert (entry.bucket, entry.reason, entry.idle) == (50, "d", True)


def test_set_by_name_prefix_and_number(sh, app):
    for name, value in [
        ("active", 10),
        ("working_set", 20),
        ("Frequent", 30),
        ("ra", 40),
        ("restricted", 45),
        ("never", 50),
        ("20", 20),
        ("45", 45),
    ]:
        assert sh(f"am set-standby-bucket {app} {name}") == ("", "", 0)
        assert bucket(sh, app) == value, name
    entry = next(
        e for e in usage_parser.parse(sh("dumpsys usagestats")[0]).entries if e.package == app
    )
    assert entry.reason == "f"  # forced by the user (the shell)
    assert sh(f"am set-standby-bucket --user 0 {app} rare")[2] == 0
    assert bucket(sh, app) == 40


def test_several_pairs_at_once(device_loop, vdev, sh, app):
    install(device_loop, vdev, OTHER)
    try:
        assert sh(f"am set-standby-bucket {app} frequent {OTHER} 40") == ("", "", 0)
        assert (bucket(sh, app), bucket(sh, OTHER)) == (30, 40)
        # A bad name inside a list is reported and skipped; the others apply.
        out, err, rc = sh(f"am set-standby-bucket {app} rare {OTHER} bogus")
        assert (out, err, rc) == ("", "Error: Unknown bucket: bogus\n", 0)
        assert (bucket(sh, app), bucket(sh, OTHER)) == (40, 40)
    finally:
        sh(f"pm uninstall {OTHER}")


def test_errors_in_androids_words(sh, app):
    assert sh(f"am set-standby-bucket {app} sometimes") == (
        "",
        "Error: Unknown bucket: sometimes\n",
        255,
    )
    out, err, rc = sh(f"am set-standby-bucket {app} 5")
    assert (out, rc) == ("", 255)
    assert err == EXCEPTION + (
        "java.lang.IllegalArgumentException: Cannot set the standby bucket to 5\n"
    )
    err = sh("am set-standby-bucket com.example.missing rare")[1]
    assert err.endswith(
        "Cannot set standby bucket for non existent package (com.example.missing)\n"
    )
    err = sh("am set-standby-bucket com.android.shell rare")[1]
    assert err.endswith("java.lang.IllegalArgumentException: Cannot set your own standby bucket\n")
    assert sh(f"am set-standby-bucket --wat {app} rare") == (
        "",
        "Error: Unknown option: --wat\n",
        255,
    )
    err = sh("am get-standby-bucket com.example.missing")[1]
    assert err.endswith(
        "Cannot get standby bucket for non existent package (com.example.missing)\n"
    )
    assert bucket(sh, app) == 50


def test_get_all_buckets(sh, app):
    sh(f"am set-standby-bucket {app} rare")
    out, _, rc = sh("am get-standby-bucket")
    buckets = usage_parser.parse_get_standby_bucket(out)
    assert rc == 0 and isinstance(buckets, dict)
    assert buckets[app] == 40 and buckets["android"] == 5


# ----------------------------------------------------------------------------- exemptions


def test_system_uid_app_is_pinned_at_exempted(sh):
    assert bucket(sh, "com.android.settings") == 5  # uid 1000
    assert sh("am set-standby-bucket com.android.settings rare") == ("", "", 0)
    assert bucket(sh, "com.android.settings") == 5


def test_headless_system_app_cannot_go_below_active(sh):
    assert sh("am set-standby-bucket com.android.systemui rare") == ("", "", 0)
    assert bucket(sh, "com.android.systemui") == 10


def test_doze_whitelisted_app_is_pinned_at_exempted(sh, app):
    try:
        import harness.virtual.system.deviceidle  # noqa: F401
    except ImportError:
        pytest.skip("the Doze model (harness.virtual.system.deviceidle) is not available")
    sh(f"am set-standby-bucket {app} frequent")
    try:
        sh(f"cmd deviceidle whitelist +{app}")
        assert bucket(sh, app) == 5
        sh(f"am set-standby-bucket {app} rare")
        assert bucket(sh, app) == 5
    finally:
        sh(f"cmd deviceidle whitelist -{app}")
    # Out of the whitelist the app is bucketed by age again: never used -> NEVER.
    assert bucket(sh, app) == 50


def test_standby_disabled_reads_active(sh, app):
    sh(f"am set-standby-bucket {app} rare")
    try:
        sh("settings put global app_standby_enabled 0")
        assert bucket(sh, app) == 10
        assert sh("dumpsys usagestats is-app-standby-enabled")[0] == "false\n"
        sh(f"am set-standby-bucket {app} frequent")  # ignored while disabled
        assert usage_parser.parse(sh("dumpsys usagestats")[0]).app_idle_enabled is False
    finally:
        sh("settings put global app_standby_enabled 1")
    assert bucket(sh, app) == 40
    assert sh("dumpsys usagestats is-app-standby-enabled")[0] == "true\n"


# ----------------------------------------------------------------------------- usage and idle


def test_using_an_app_makes_it_active(device_loop, vdev, sh, app):
    sh(f"am set-standby-bucket {app} rare")
    with recording(device_loop, vdev, "bucket_changed") as events:
        _out, _, rc = sh(f"am start -n {app}/.MainActivity")
        assert rc == 0
    assert bucket(sh, app) == 10
    assert {"package": app, "bucket": 10, "reason": "u-mf"} in events
    usage = vdev.system.service(UsageStatsService)
    assert usage.bucket(app) == 10 and usage.reason(app) == "u-mf"
    sh("input keyevent KEYCODE_HOME")


def test_inactive_follows_charging(sh, vdev, app):
    try:
        assert sh(f"am set-inactive {app} true") == ("", "", 0)
        assert bucket(sh, app) == 40
        # Charging paroles every app (isAppIdleFiltered).
        assert sh(f"am get-inactive {app}") == ("Idle=false\n", "", 0)
        sh("cmd battery unplug")
        assert sh(f"am get-inactive {app}") == ("Idle=true\n", "", 0)
        sh(f"am set-inactive {app} false")
        assert sh(f"am get-inactive {app}") == ("Idle=false\n", "", 0)
        assert bucket(sh, app) == 10
        # A system uid never goes idle.
        sh("am set-inactive com.android.settings true")
        assert sh("am get-inactive com.android.settings")[0] == "Idle=false\n"
        assert sh(f"am make-uid-idle {app}") == ("", "", 0)
    finally:
        restore_battery(sh, vdev)


def test_buckets_age_with_device_time(device_loop):
    # 20000x: an hour of device time is 180 ms; checks run every 3 device hours.
    dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05, clock_rate=20000))
    try:
        sh = Shell(device_loop, dev)
        install(device_loop, dev, APP)
        sh(f"am start -n {APP}/.MainActivity")
        sh("input keyevent KEYCODE_HOME")
        usage = dev.system.service(UsageStatsService)
        assert usage.bucket(APP) == 10
        deadline = time.monotonic() + 20
        while usage.bucket(APP) == 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        # 12 device hours after the last use, the next check moves it to WORKING_SET.
        assert usage.bucket(APP) == 20 and usage.reason(APP) == "t"
        assert usage.elapsed_time() >= 12 * 3_600_000
    finally:
        device_loop.stop_device(dev)


def test_buckets_survive_reboot(fresh, device_loop):
    dev, sh = fresh
    install(device_loop, dev, APP)
    sh(f"am set-standby-bucket {APP} rare")
    reboot(device_loop, dev)
    assert bucket(sh, APP) == 40
    entry = next(
        e for e in usage_parser.parse(sh("dumpsys usagestats")[0]).entries if e.package == APP
    )
    assert entry.reason == "f"


# ----------------------------------------------------------------------------- dumpsys usagestats


def test_parser_reads_the_dump(sh, app):
    sh(f"am set-standby-bucket {app} frequent")
    out, err, rc = sh("dumpsys usagestats")
    assert (err, rc) == ("", 0)
    state = usage_parser.parse(out)
    listed = usage_parser.parse_get_standby_bucket(sh("am get-standby-bucket")[0])
    assert state.buckets == listed
    assert state.bucket_of(app) == 30 and state.buckets["android"] == 5
    assert state.app_idle_enabled is True and state.charging is True
    assert state.totals["totalElapsedTime"].startswith("+")
    assert state.settings["mCheckIdleIntervalMillis"] == "+3h0m0s0ms"


def _keys(line: str) -> list[str]:
    return [token.split("=", 1)[0] for token in line.split() if "=" in token]


def test_api33_standby_lines_match_the_real_dump(device_loop):
    root = captures_dir()
    path = root / "usagestats" / "axxs-mt8168-api33.txt" if root else None
    if path is None or not path.exists():
        pytest.skip("captures not available (set HARNESS_CAPTURES_DIR)")
    real = path.read_text(errors="replace")
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=33, boot_time_s=0.05))
    try:
        ours = Shell(device_loop, dev)("dumpsys usagestats")[0]
    finally:
        device_loop.stop_device(dev)
    real_lines = [ln for ln in real.splitlines() if ln.startswith("  package=")]
    our_lines = [ln for ln in ours.splitlines() if ln.startswith("  package=")]
    optional = {"nextEstimatedLaunchTime", "lastRestrictAttempt", "lastRestrictReason"}
    real_keys = [k for k in _keys(real_lines[0]) if k not in optional]
    assert our_lines and all(_keys(ln) == real_keys for ln in our_lines)
    assert "User 0 App Standby States:" in ours.splitlines()
    for marker in ("mAppIdleEnabled=", "mScreenThresholds=", "mElapsedThresholds="):
        ours_line = next(ln for ln in ours.splitlines() if ln.startswith(marker))
        real_line = next(ln for ln in real.splitlines() if ln.startswith(marker))
        assert _keys(ours_line) == _keys(real_line)
    mine, theirs = usage_parser.parse(ours), usage_parser.parse(real)
    assert mine.buckets["android"] == theirs.buckets["android"] == 5


@pytest.mark.parametrize(
    ("api", "title"), [(28, "  App Standby States:"), (26, "  Package idle stats:")]
)
def test_older_layouts_parse(device_loop, api, title):
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=api, boot_time_s=0.05))
    try:
        sh = Shell(device_loop, dev)
        out = sh("dumpsys usagestats")[0]
        assert title in out.splitlines()
        state = usage_parser.parse(out)
        assert state.idle["android"] is False
        if api >= 28:
            assert state.buckets["android"] == 5
            assert sh("am get-standby-bucket android")[0] == "5\n"
        else:
            assert state.buckets == {}
            assert sh("am get-standby-bucket android")[1] == "Unknown command: get-standby-bucket\n"
    finally:
        device_loop.stop_device(dev)


# ------------------------------------------------------------------ exact-alarm bucket floor


def install_alarm_app(device_loop: DeviceLoop, dev: VirtualDevice, target: int, perm: str) -> None:
    manifest = f"""<manifest xmlns:android="http://schemas.android.com/apk/res/android"
        package="{APP}" android:versionCode="1" android:versionName="1.0">
      <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="{target}"/>
      <uses-permission android:name="android.permission.{perm}"/>
      <application android:label="Alarms"/>
    </manifest>"""
    pm = dev.system.service(PackageManagerService)
    assert on_loop(device_loop, lambda: pm.install_bytes(build_apk(manifest))) == "Success"


@pytest.mark.parametrize(
    ("api", "target", "perm", "floor"),
    [
        (30, 30, "SCHEDULE_EXACT_ALARM", 40),  # no exact-alarm permission before Android 12
        (31, 31, "SCHEDULE_EXACT_ALARM", 20),  # hasScheduleExactAlarm (granted by default)
        (33, 33, "SCHEDULE_EXACT_ALARM", 20),  # hasExactAlarmPermission
        (33, 33, "USE_EXACT_ALARM", 20),
        (34, 33, "SCHEDULE_EXACT_ALARM", 40),  # denied by default to new target-33 installs
        (34, 34, "SCHEDULE_EXACT_ALARM", 40),  # SCHEDULE_EXACT_ALARM_DOES_NOT_ELEVATE_BUCKET
        (34, 34, "USE_EXACT_ALARM", 20),  # shouldGetBucketElevation
    ],
)
def test_exact_alarm_permission_keeps_the_app_at_working_set(device_loop, api, target, perm, floor):
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=api, boot_time_s=0.05))
    try:
        sh = Shell(device_loop, dev)
        install_alarm_app(device_loop, dev, target, perm)
        sh(f"am set-standby-bucket {APP} rare")
        assert bucket(sh, APP) == floor
    finally:
        device_loop.stop_device(dev)


def test_granting_schedule_exact_alarm_on_android_14_elevates_a_target_33_app(fresh, device_loop):
    dev, sh = fresh
    install_alarm_app(device_loop, dev, 33, "SCHEDULE_EXACT_ALARM")
    sh(f"cmd appops set {APP} SCHEDULE_EXACT_ALARM allow")
    sh(f"am set-standby-bucket {APP} rare")
    assert bucket(sh, APP) == 20


def test_denying_schedule_exact_alarm_lifts_the_floor_on_android_13(device_loop):
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=33, boot_time_s=0.05))
    try:
        sh = Shell(device_loop, dev)
        install_alarm_app(device_loop, dev, 33, "SCHEDULE_EXACT_ALARM")
        sh(f"am set-standby-bucket {APP} restricted")
        assert bucket(sh, APP) == 20
        sh(f"cmd appops set {APP} SCHEDULE_EXACT_ALARM deny")
        sh(f"am set-standby-bucket {APP} restricted")
        assert bucket(sh, APP) == 45
    finally:
        device_loop.stop_device(dev)


@pytest.mark.parametrize(
    ("api", "granted", "floor"), [(34, True, 30), (34, False, 40), (31, True, 30), (30, True, 40)]
)
def test_background_location_keeps_the_app_at_frequent(device_loop, api, granted, floor):
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=api, boot_time_s=0.05))
    try:
        sh = Shell(device_loop, dev)
        install_alarm_app(device_loop, dev, 34, "ACCESS_BACKGROUND_LOCATION")
        if granted:
            sh(f"pm grant {APP} android.permission.ACCESS_BACKGROUND_LOCATION")
        sh(f"am set-standby-bucket {APP} rare")
        assert bucket(sh, APP) == floor
    finally:
        device_loop.stop_device(dev)
