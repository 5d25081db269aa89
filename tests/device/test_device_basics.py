"""Basics every other scenario relies on: the shell, properties, files and reboots."""

from __future__ import annotations

import pytest

from harness.device import Device


def test_shell_reports_exit_codes_and_stderr(device: Device):
    res = device.shell("echo out; echo err >&2; exit 3")
    assert (res.stdout, res.exit_code) == ("out\n", 3)
    if not res.stderr_merged:
        assert res.stderr == "err\n"


def test_device_identity_is_readable(device: Device):
    props = device.getprops()
    assert device.api_level >= 21
    assert props.get("ro.product.model")
    assert device.shell("pm path android").stdout.startswith("package:")


def test_files_round_trip_through_sync(device: Device):
    data = bytes(range(256)) * 64
    remote = "/data/local/tmp/harness-scenario/blob.bin"
    device.push(data, remote)
    try:
        assert device.pull(remote) == data
    finally:
        device.shell(["rm", "-rf", "/data/local/tmp/harness-scenario"])


@pytest.mark.reboot
def test_reboot_comes_back_with_a_new_boot(device: Device):
    before = device.boot_id()
    device.reboot(wait=True)
    assert device.boot_id() != before
    assert device.getprop("sys.boot_completed") == "1"
