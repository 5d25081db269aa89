"""``harness power SERIAL ...`` against a virtual device: each action prints the resulting
state, and ``restore`` brings back the state from before the first change."""

from __future__ import annotations

import os
import subprocess
import sys

from harness.apk import build_apk
from harness.device import Device
from harness.power import PowerState

PROBE = "dev.harness.cliprobe"


def test_power_actions_and_restore(fresh_farm, adb_server, tmp_path):
    serial = fresh_farm.serials[0]
    device = Device(serial, adb_server.address)
    apk = tmp_path / "probe.apk"
    apk.write_bytes(build_apk(
        f'<manifest xmlns:android="http://schemas.android.com/apk/res/android" '
        f'package="{PROBE}" android:versionCode="1"><application android:hasCode="false"/>'
        f'</manifest>'))
    device.install(apk)
    before = PowerState.capture(device, (PROBE,))
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))

    def power(*action: str) -> str:
        res = subprocess.run([sys.executable, "-m", "harness.cli", "power", serial, *action,
                              "--adb-server", f"127.0.0.1:{adb_server.port}"],
                             capture_output=True, text=True, timeout=120, env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    assert "deep ACTIVE" in power("status")
    assert "deep IDLE" in power("doze", "deep") and "forced" in power("status")
    assert "plugged none" in power("unplug")
    assert "saver:    on" in power("saver", "on")
    assert f"bucket:   {PROBE} 40" in power("bucket", PROBE, "rare")
    assert "deep ACTIVE" in power("doze", "exit")
    out = power("restore")
    assert "saver:    off" in out
    assert PowerState.capture(device, (PROBE,)) == before
    assert "nothing to restore" in power("restore")
    device.shell(["pm", "uninstall", PROBE])
