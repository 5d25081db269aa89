"""The command line: `harness virtual start`, `harness devices`, `harness parse`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from harness.adb_server import PrivateAdbServer, list_devices


def _harness(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", *args]


def _ctrl_c_enabled() -> None:
    """In the child before exec: SIGINT back to its default. A runner that starts the suite in
    the background of a non-interactive shell hands it down ignored, and Python then installs
    no KeyboardInterrupt handler, so Ctrl-C could not be tested."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_virtual_start_two_devices_then_devices_lists_both(adb_server: PrivateAdbServer):
    env = dict(os.environ, HOME=str(adb_server.home))
    proc = subprocess.Popen(
        _harness("virtual", "start", "--count", "2", "--adb-port", str(adb_server.port),
                 "--boot-time", "0.5"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=_ctrl_c_enabled)
    try:
        serials = [proc.stdout.readline().strip() for _ in range(2)]  # type: ignore[union-attr]
        assert all(s.startswith("127.0.0.1:") for s in serials), serials
        listing = subprocess.run(
            _harness("devices", "--adb-server", f"127.0.0.1:{adb_server.port}"),
            capture_output=True, text=True, timeout=60, env=env)
        assert listing.returncode == 0, listing.stderr
        lines = listing.stdout.splitlines()
        assert lines[0].split() == ["SERIAL", "MODEL", "API", "PROFILE", "STATE"]
        for serial in serials:
            row = next(ln for ln in lines if ln.startswith(serial))
            assert "Virtual Device (virtual)" in row and " 34 " in row
            assert " virtual " in row and row.rstrip().endswith("device")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    # Interrupting it stops the devices and detaches them from the adb server.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not any(d.serial in serials for d in list_devices(adb_server.address)):
            break
        time.sleep(0.1)
    assert not any(d.serial in serials for d in list_devices(adb_server.address))
    assert proc.returncode == 0


def test_parse_prints_json(tmp_path):
    capture = tmp_path / "battery.txt"
    capture.write_text("Current Battery Service state:\n  AC powered: false\n"
                       "  USB powered: true\n  Wireless powered: false\n  status: 2\n"
                       "  health: 2\n  present: true\n  level: 57\n  scale: 100\n")
    out = subprocess.run(_harness("parse", "battery", str(capture)), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["level"], data["plugged"], data["status"]) == (57, "usb", 2)


def test_unreachable_adb_server_is_a_clear_error_and_is_not_started():
    from harness.adb_server import free_port, server_version

    port = free_port()
    out = subprocess.run(_harness("devices", "--adb-server", f"127.0.0.1:{port}"),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f"no adb server answers at 127.0.0.1:{port}" in out.stderr
    assert server_version("127.0.0.1", port) is None
