"""App ops: ``cmd appops set|get|reset``, their output as the project's parser reads it, the
Python API other models use, and persistence across reboots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.android import appops as appops_parser
from harness.apk.builder import build_apk
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.appops import AppOpsService
from harness.virtual.system.packages import PackageManagerService
from tests.unit.virtual.conftest import Shell
from tests.unit.virtual.helpers import on_loop, recording

APP = "com.example.ops"


def install(device_loop: DeviceLoop, dev: VirtualDevice, package: str) -> int:
    manifest = f"""<manifest xmlns:android="http://schemas.android.com/apk/res/android"
        package="{package}" android:versionCode="1">
      <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="34"/>
      <application/>
    </manifest>"""
    pm = dev.system.service(PackageManagerService)
    assert on_loop(device_loop, lambda: pm.install_bytes(build_apk(manifest))) == "Success"
    return pm.get(package).uid


@pytest.fixture
def app(device_loop: DeviceLoop, vdev: VirtualDevice, sh: Shell) -> Iterator[str]:
    install(device_loop, vdev, APP)
    yield APP
    sh(f"pm uninstall {APP}")


def ops(vdev: VirtualDevice) -> AppOpsService:
    return vdev.system.service(AppOpsService)


def get(sh: Shell, args: str) -> appops_parser.AppOpsState:
    out, err, rc = sh(f"cmd appops get {args}")
    assert (err, rc) == ("", 0)
    return appops_parser.parse(out)


# ----------------------------------------------------------------------------- set / get


def test_untouched_app_has_no_operations(sh, app):
    assert sh(f"cmd appops get {app}") == ("No operations.\n", "", 0)
    assert sh(f"cmd appops get {app} RUN_ANY_IN_BACKGROUND") == (
        "No operations.\nDefault mode: allow\n",
        "",
        0,
    )
    state = get(sh, f"{app} RUN_ANY_IN_BACKGROUND")
    assert state.no_operations and state.mode("RUN_ANY_IN_BACKGROUND") == "allow"


def test_background_restriction_round_trip(device_loop, vdev, sh, app):
    svc = ops(vdev)
    assert not svc.is_background_restricted(app)
    with recording(device_loop, vdev, "appop_changed") as events:
        assert sh(f"cmd appops set {app} RUN_ANY_IN_BACKGROUND ignore") == ("", "", 0)
        assert sh(f"cmd appops get {app} RUN_ANY_IN_BACKGROUND") == (
            "RUN_ANY_IN_BACKGROUND: ignore\n",
            "",
            0,
        )
        assert svc.is_background_restricted(app)
        assert svc.mode(app, "RUN_ANY_IN_BACKGROUND") == "ignore"
        # Back to the op's default mode (allow): the entry is pruned.
        sh(f"cmd appops set {app} RUN_ANY_IN_BACKGROUND allow")
        assert sh(f"cmd appops get {app}")[0] == "No operations.\n"
        assert not svc.is_background_restricted(app)
        # "default" (MODE_DEFAULT) is a mode of its own and still restricts.
        sh(f"cmd appops set {app} RUN_ANY_IN_BACKGROUND default")
        assert get(sh, app).ops == {"RUN_ANY_IN_BACKGROUND": "default"}
        assert svc.is_background_restricted(app)
    uid = vdev.system.service(PackageManagerService).get(app).uid
    assert events == [
        {"package": app, "uid": uid, "op": "RUN_ANY_IN_BACKGROUND", "mode": "ignore"},
        {"package": app, "uid": uid, "op": "RUN_ANY_IN_BACKGROUND", "mode": "allow"},
        {"package": app, "uid": uid, "op": "RUN_ANY_IN_BACKGROUND", "mode": "default"},
    ]


def test_modes_and_ops_by_number_and_order(sh, app):
    sh(f"cmd appops set {app} 70 1")  # OP_RUN_ANY_IN_BACKGROUND, MODE_IGNORED
    sh(f"cmd appops set {app} WAKE_LOCK deny")
    sh(f"cmd appops set {app} android:post_notification foreground")
    sh(f"cmd appops set {app} RUN_IN_BACKGROUND 7")
    out, _, _ = sh(f"cmd appops get {app}")
    # Ops print in op-code order; unknown mode numbers as mode=N.
    assert out == (
        "POST_NOTIFICATION: foreground\n"
        "WAKE_LOCK: deny\n"
        "RUN_IN_BACKGROUND: mode=7\n"
        "RUN_ANY_IN_BACKGROUND: ignore\n"
    )
    state = appops_parser.parse(out)
    assert state.ops == {
        "POST_NOTIFICATION": "foreground",
        "WAKE_LOCK": "deny",
        "RUN_IN_BACKGROUND": "mode=7",
        "RUN_ANY_IN_BACKGROUND": "ignore",
    }


def test_uid_modes_print_first_and_win(device_loop, vdev, sh, app):
    uid = vdev.system.service(PackageManagerService).get(app).uid
    sh(f"cmd appops set {app} SCHEDULE_EXACT_ALARM ignore")
    sh(f"cmd appops set --uid {app} SCHEDULE_EXACT_ALARM allow")
    sh(f"cmd appops set {uid} WAKE_LOCK ignore")  # a uid instead of a package
    out, _, _ = sh(f"cmd appops get {app}")
    assert out == (
        "Uid mode: WAKE_LOCK: ignore\nSCHEDULE_EXACT_ALARM: allow\nSCHEDULE_EXACT_ALARM: ignore\n"
    )
    state = appops_parser.parse(out)
    assert state.uid_mode == {"WAKE_LOCK": "ignore", "SCHEDULE_EXACT_ALARM": "allow"}
    assert state.ops == {"SCHEDULE_EXACT_ALARM": "ignore"}
    assert state.mode("SCHEDULE_EXACT_ALARM") == "allow"
    assert ops(vdev).mode(app, "SCHEDULE_EXACT_ALARM") == "allow"
    assert get(sh, f"u0a{uid - 10000}").uid_mode == {
        "WAKE_LOCK": "ignore",
        "SCHEDULE_EXACT_ALARM": "allow",
    }
    assert get(sh, f"{app} WAKE_LOCK").mode("WAKE_LOCK") == "ignore"


def test_access_times_are_printed(device_loop, vdev, sh, app):
    svc = ops(vdev)
    assert on_loop(device_loop, lambda: svc.note_op(app, "WAKE_LOCK")) == "allow"
    sh(f"cmd appops set {app} RUN_IN_BACKGROUND ignore")
    assert on_loop(device_loop, lambda: svc.note_op(app, "RUN_IN_BACKGROUND")) == "ignore"
    state = get(sh, app)
    entries = {e.op: e for e in state.entries}
    assert entries["WAKE_LOCK"].mode == "allow" and entries["WAKE_LOCK"].time is not None
    assert entries["RUN_IN_BACKGROUND"].reject_time is not None
    assert entries["RUN_IN_BACKGROUND"].raw.startswith("RUN_IN_BACKGROUND: ignore; rejectTime=")
    # A used op stays listed after going back to its default mode.
    sh(f"cmd appops set {app} RUN_IN_BACKGROUND allow")
    assert "RUN_IN_BACKGROUND" in get(sh, app).ops


def test_reset(sh, app):
    sh(f"cmd appops set {app} RUN_ANY_IN_BACKGROUND ignore")
    sh(f"cmd appops set --uid {app} SCHEDULE_EXACT_ALARM allow")
    assert sh(f"cmd appops reset {app}") == (
        f"Reset all modes for: all users, package {app}\n",
        "",
        0,
    )
    assert sh(f"cmd appops get {app}")[0] == "No operations.\n"
    sh(f"cmd appops set {app} WAKE_LOCK ignore")
    assert sh("cmd appops reset --user 0") == (
        "Reset all modes for: user 0, all packages\n",
        "",
        0,
    )
    assert sh(f"cmd appops get {app}")[0] == "No operations.\n"
    assert sh(f"cmd appops reset {app} extra")[1] == "Error: Unsupported argument: extra\n"


def test_errors_in_androids_words(sh, app):
    assert sh("cmd appops set com.example.missing WAKE_LOCK allow") == (
        "",
        "Error: No UID for com.example.missing in user 0\n",
        255,
    )
    assert sh(f"cmd appops set {app} FLY allow") == (
        "",
        "Error: Unknown operation string: FLY\n",
        255,
    )
    assert sh(f"cmd appops set {app} WAKE_LOCK sometimes") == (
        "",
        "Error: Mode sometimes is not valid\n",
        255,
    )
    assert sh(f"cmd appops set {app} WAKE_LOCK") == ("", "Error: Mode not specified.\n", 255)
    assert sh(f"cmd appops set {app}") == ("", "Error: Operation not specified.\n", 255)
    assert sh("cmd appops get") == ("", "Error: Package name not specified.\n", 255)
    out, _, rc = sh("cmd appops")
    assert rc == 255 and out.startswith("AppOps service (appops) commands:\n")


def test_ops_follow_the_release(device_loop):
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=30, boot_time_s=0.05))
    try:
        sh = Shell(device_loop, dev)
        # SCHEDULE_EXACT_ALARM is Android 12.
        assert sh("cmd appops get android SCHEDULE_EXACT_ALARM")[1] == (
            "Error: Unknown operation string: SCHEDULE_EXACT_ALARM\n"
        )
        assert sh("cmd appops get android RUN_ANY_IN_BACKGROUND")[2] == 0
    finally:
        device_loop.stop_device(dev)


def test_modes_survive_reboot_and_go_with_the_package(device_loop):
    dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05))
    try:
        sh = Shell(device_loop, dev)
        install(device_loop, dev, APP)
        sh(f"cmd appops set {APP} RUN_ANY_IN_BACKGROUND ignore")
        sh(f"cmd appops set --uid {APP} SCHEDULE_EXACT_ALARM allow")
        device_loop.call(dev.reboot())
        device_loop.call(dev.wait_booted())
        # With an OP argument the uid and package levels cannot be mixed up by the parser.
        assert get(sh, f"{APP} RUN_ANY_IN_BACKGROUND").ops == {"RUN_ANY_IN_BACKGROUND": "ignore"}
        assert get(sh, f"{APP} SCHEDULE_EXACT_ALARM").uid_mode == {"SCHEDULE_EXACT_ALARM": "allow"}
        assert ops(dev).is_background_restricted(APP)
        sh(f"pm uninstall {APP}")
        install(device_loop, dev, APP)
        assert sh(f"cmd appops get {APP}")[0] == "No operations.\n"
    finally:
        device_loop.stop_device(dev)
