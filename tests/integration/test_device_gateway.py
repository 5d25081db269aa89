"""harness.device.Device against a virtual device through the real adb server."""

from __future__ import annotations

import time

import pytest

from harness.device import Device
from harness.errors import CommandTimeout, DeviceCommandError, DeviceLost, DeviceNotFound


def test_exit_codes_and_separate_stderr(device: Device):
    ok = device.shell("echo out; echo err >&2; exit 3")
    assert (ok.stdout, ok.stderr, ok.exit_code) == ("out\n", "err\n", 3)
    assert device.shell(["true"]).exit_code == 0


def test_check_raises_with_serial_command_and_output(device: Device):
    with pytest.raises(DeviceCommandError) as info:
        device.shell("echo oops >&2; exit 7", check=True)
    err = info.value
    assert err.serial == device.serial and err.exit_code == 7 and "oops" in err.stderr
    assert device.serial in str(err) and "exit 7" in str(err)


def test_hostile_argument_reaches_the_device_as_one_literal(device: Device):
    hostile = "a'b; rm -rf /"
    res = device.shell(["printf", "%s|", hostile, "second"])
    assert res.stdout == f"{hostile}|second|"
    # and nothing was removed
    assert device.shell(["ls", "/system/bin/sh"]).exit_code == 0


def test_stdin_is_fed_to_the_command(device: Device):
    assert device.shell("cat", stdin=b"from host").stdout == "from host"


def test_getprop_api_level_and_props(device: Device):
    assert device.api_level == 34
    assert device.getprop("ro.product.model") == "Virtual Device"
    assert device.getprops()["ro.hardware"] == "harness_virtual"


def test_push_pull_roundtrip(device: Device, tmp_path):
    data = bytes(range(256)) * 100
    device.push(data, "/data/local/tmp/gw/blob.bin")
    try:
        assert device.pull("/data/local/tmp/gw/blob.bin") == data
    finally:
        device.shell("rm -rf /data/local/tmp/gw")


def test_command_that_hangs_raises_timeout_within_its_timeout(device: Device):
    start = time.monotonic()
    with pytest.raises(CommandTimeout) as info:
        device.shell("echo started; sleep 30", timeout_s=1.0)
    assert time.monotonic() - start < 3.0
    assert "started" in info.value.partial_output
    # the device is still usable afterwards
    assert device.shell("echo alive").stdout == "alive\n"


def test_unknown_serial_lists_what_was_seen(adb_server, serial):
    with pytest.raises(DeviceNotFound) as info:
        Device("no-such-serial", adb_server.address)
    assert serial in str(info.value) and info.value.seen


def test_reboot_waits_for_a_new_boot_within_boot_time_plus_2s(fresh_farm, adb_server):
    dev = Device(fresh_farm.serials[0], adb_server.address)
    before = dev.boot_id()
    messages: list[str] = []
    start = time.monotonic()
    dev.reboot(wait=True, timeout_s=60, progress=messages.append)
    took = time.monotonic() - start
    assert dev.boot_id() != before
    assert dev.shell("getprop sys.boot_completed").stdout.strip() == "1"
    assert took <= 1.0 + 2.0, f"reboot took {took:.1f} s"
    assert any("old boot gone" in m for m in messages)


def test_device_that_disappears_raises_device_lost(fresh_farm, adb_server):
    dev = Device(fresh_farm.serials[0], adb_server.address)
    handle = fresh_farm.handles[0]
    handle.process.kill()  # pulled out mid-command
    with pytest.raises(DeviceLost) as info:
        for _ in range(50):  # the server notices the dead transport quickly
            dev.shell("echo hi", timeout_s=5)
            time.sleep(0.1)
    assert info.value.serial == dev.serial


def test_device_lost_mid_command(fresh_farm, adb_server):
    dev = Device(fresh_farm.serials[0], adb_server.address)
    handle = fresh_farm.handles[0]
    import threading

    threading.Timer(0.5, handle.process.kill).start()
    with pytest.raises(DeviceLost) as info:
        dev.shell("sleep 20", timeout_s=15)
    assert "sleep 20" in str(info.value)


def test_install_through_the_gateway(device: Device, tmp_path):
    from harness.apk import build_apk

    manifest = ('<manifest xmlns:android="http://schemas.android.com/apk/res/android" '
                'package="com.example.gateway" android:versionCode="1"><application/></manifest>')
    apk = tmp_path / "gw.apk"
    apk.write_bytes(build_apk(manifest))
    device.install(apk)
    try:
        assert device.shell("pm path com.example.gateway").stdout.startswith("package:")
        # the pushed copy was removed
        assert "harness-" not in device.shell("ls /data/local/tmp").stdout
    finally:
        device.shell("pm uninstall com.example.gateway")
