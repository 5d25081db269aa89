"""The real adb command line against a virtual device (issue: foundation acceptance)."""

from __future__ import annotations

import hashlib
import os
import time

from harness.virtual.launcher import VirtualFarm


def test_connect_is_idempotent_and_devices_lists_model_and_product(adb, serial):
    again = adb("connect", serial)
    assert again.stdout.strip() == f"already connected to {serial}"
    listing = adb("devices", "-l").stdout
    line = next(ln for ln in listing.splitlines() if ln.startswith(serial))
    assert " device " in line
    assert "product:harness_virt" in line
    assert "model:Virtual_Device" in line  # adb replaces spaces in the model with underscores


def test_shell_output_and_exit_codes(adb, serial):
    hi = adb("-s", serial, "shell", "echo", "hi")
    assert (hi.returncode, hi.stdout) == (0, "hi\n")
    assert adb("-s", serial, "shell", "false").returncode == 1
    assert adb("-s", serial, "shell", "exit 42").returncode == 42
    missing = adb("-s", serial, "shell", "no-such-command")
    assert missing.returncode == 127
    assert "/system/bin/sh: no-such-command: not found" in missing.stderr


def test_push_and_pull_5mb_byte_identical(adb, serial, tmp_path):
    payload = os.urandom(5 * 1024 * 1024)
    src = tmp_path / "five.bin"
    src.write_bytes(payload)
    remote = "/data/local/tmp/harness-test/five.bin"
    try:
        push = adb("-s", serial, "push", str(src), remote)
        assert push.returncode == 0, push.stderr
        back = tmp_path / "back.bin"
        pull = adb("-s", serial, "pull", remote, str(back))
        assert pull.returncode == 0, pull.stderr
        assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(payload).digest()
        md5 = adb("-s", serial, "shell", "md5sum", remote).stdout.split()[0]
        assert md5 == hashlib.md5(payload).hexdigest()
    finally:
        adb("-s", serial, "shell", "rm", "-rf", "/data/local/tmp/harness-test")


def test_pull_missing_file_fails_like_adb(adb, serial, tmp_path):
    res = adb("-s", serial, "pull", "/data/local/tmp/nosuch", str(tmp_path / "x"))
    assert res.returncode == 1
    assert "No such file or directory" in res.stderr


def test_ls_lists_pushed_files(adb, serial, tmp_path):
    (tmp_path / "a.txt").write_text("a")
    try:
        assert adb("-s", serial, "push", str(tmp_path / "a.txt"),
                   "/data/local/tmp/lsdir/a.txt").returncode == 0
        listing = adb("-s", serial, "ls", "/data/local/tmp/lsdir").stdout
        assert "a.txt" in listing
    finally:
        adb("-s", serial, "shell", "rm", "-rf", "/data/local/tmp/lsdir")


def test_reboot_and_the_device_comes_back_by_itself(adb, adb_server):
    with VirtualFarm(count=1, adb=adb_server.address, boot_time_s=1.0) as farm:
        serial = farm.serials[0]
        before = adb("-s", serial, "shell", "cat", "/proc/sys/kernel/random/boot_id").stdout
        assert adb("-s", serial, "reboot").returncode == 0
        deadline = time.monotonic() + 30
        after = ""
        while time.monotonic() < deadline:
            res = adb("-s", serial, "shell", "getprop", "sys.boot_completed", timeout_s=5)
            if res.returncode == 0 and res.stdout.strip() == "1":
                after = adb("-s", serial, "shell", "cat",
                            "/proc/sys/kernel/random/boot_id").stdout
                if after and after != before:
                    break
            time.sleep(0.2)
        assert after and after != before, "device did not come back with a new boot_id"


MANIFEST = """<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="com.example.installme" android:versionCode="3" android:versionName="1.2">
  <uses-sdk android:minSdkVersion="26" android:targetSdkVersion="34"/>
  <application android:label="Install Me">
    <activity android:name=".Main" android:exported="true">
      <intent-filter>
        <action android:name="android.intent.action.MAIN"/>
        <category android:name="android.intent.category.LAUNCHER"/>
      </intent-filter>
    </activity>
  </application>
</manifest>"""


def test_adb_install_streams_the_apk_and_uninstall_removes_it(adb, serial, tmp_path):
    from harness.apk import build_apk

    apk = tmp_path / "installme.apk"
    apk.write_bytes(build_apk(MANIFEST))
    res = adb("-s", serial, "install", str(apk), timeout_s=30)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Success" in res.stdout
    try:
        listed = adb("-s", serial, "shell", "pm", "list", "packages", "-3").stdout
        assert "package:com.example.installme" in listed.splitlines()
        dump = adb("-s", serial, "shell", "dumpsys", "package", "com.example.installme").stdout
        assert "versionCode=3" in dump and "versionName=1.2" in dump
    finally:
        out = adb("-s", serial, "uninstall", "com.example.installme")
    assert "Success" in out.stdout
    assert "installme" not in adb("-s", serial, "shell", "pm", "list", "packages").stdout


def test_installing_something_that_is_not_an_apk_fails_like_android(adb, serial, tmp_path):
    bogus = tmp_path / "bogus.apk"
    bogus.write_bytes(b"not a zip")
    res = adb("-s", serial, "install", str(bogus), timeout_s=30)
    assert res.returncode != 0
    assert "INSTALL_PARSE_FAILED_NOT_APK" in res.stdout + res.stderr
