"""The virtual device's screen, display and UI automation, through the real adb server.

adbutils' UI helpers and uiautomator2 talk to the virtual device exactly as to a phone: shell
commands (``wm``, ``input``, ``screencap``, ``uiautomator dump``, ``dumpsys window|display``)
and the uiautomator2 server that ``app_process`` starts, reached over ``tcp:9008`` streams.
Every test starts and ends on the unlocked home screen with no display overrides.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from xml.etree import ElementTree

import adbutils
import pytest
import uiautomator2 as u2

from harness.adb_server import PrivateAdbServer
from harness.apk.builder import build_apk
from harness.virtual.launcher import VirtualFarm

LAUNCHER = "com.android.launcher3"
LAUNCHER_ACTIVITY = "com.android.launcher3.uioverrides.QuickstepLauncher"
SETTINGS = "com.android.settings"
ICON_ID = "com.android.launcher3:id/icon"
PROBE = "com.harness.uiprobe"
PROBE_MANIFEST = f"""\
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="{PROBE}"
    android:versionCode="1" android:versionName="1.0">
    <uses-sdk android:minSdkVersion="26" android:targetSdkVersion="34" />
    <application android:label="UI Probe">
        <activity android:name=".MainActivity" android:exported="true">
            <intent-filter>
                <action android:name="android.intent.action.MAIN" />
                <category android:name="android.intent.category.LAUNCHER" />
            </intent-filter>
        </activity>
    </application>
</manifest>
"""


@pytest.fixture(scope="module")
def adb_device(farm: VirtualFarm, adb_server: PrivateAdbServer) -> adbutils.AdbDevice:
    client = adbutils.AdbClient(host="127.0.0.1", port=adb_server.port)
    return adbutils.AdbDevice(client, serial=farm.serials[0])


@pytest.fixture(autouse=True)
def home_screen(adb_device: adbutils.AdbDevice) -> Iterator[None]:
    """Screen on, unlocked, at home, before and after each test; display overrides reset."""
    settle = "input keyevent WAKEUP; wm dismiss-keyguard; input keyevent HOME"
    adb_device.shell(settle)
    yield
    adb_device.shell(f"wm size reset; wm density reset; {settle}")


@pytest.fixture(scope="module")
def u2dev(adb_device: adbutils.AdbDevice) -> Iterator[u2.Device]:
    device = u2.connect(adb_device)
    yield device
    device.stop_uiautomator()


def _nodes(xml: str) -> list[dict[str, str]]:
    return [n.attrib for n in ElementTree.fromstring(xml.encode("utf-8")).iter("node")]


# ---------------------------------------------------------------------------------- adb / adbutils
def test_wm_size_through_the_adb_command_line(
    adb: Callable[..., subprocess.CompletedProcess[str]], serial: str
) -> None:
    out = adb("-s", serial, "shell", "wm", "size")
    assert out.returncode == 0
    assert out.stdout.strip() == "Physical size: 1080x2400"
    assert adb("-s", serial, "shell", "wm", "size", "720x1280").returncode == 0
    lines = adb("-s", serial, "shell", "wm", "size").stdout.splitlines()
    assert lines == ["Physical size: 1080x2400", "Override size: 720x1280"]
    assert adb("-s", serial, "shell", "wm", "size", "huge").returncode == 255
    adb("-s", serial, "shell", "wm", "size", "reset")
    assert "Override" not in adb("-s", serial, "shell", "wm", "size").stdout


def test_adbutils_window_size_rotation_and_current_app(adb_device: adbutils.AdbDevice) -> None:
    assert tuple(adb_device.window_size()) == (1080, 2400)
    assert adb_device.rotation() == 0
    current = adb_device.app_current()
    assert (current.package, current.activity) == (LAUNCHER, LAUNCHER_ACTIVITY)
    adb_device.shell(f"am start -n {SETTINGS}/.Settings")
    assert adb_device.app_current().package == SETTINGS
    adb_device.keyevent("HOME")
    assert adb_device.app_current().package == LAUNCHER
    adb_device.shell("wm size 720x1280")
    assert tuple(adb_device.window_size()) == (720, 1280)


def test_adbutils_screenshot_is_a_png_and_black_with_the_screen_off(
    adb_device: adbutils.AdbDevice,
) -> None:
    png = adb_device.shell("screencap -p", encoding=None)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = adb_device.screenshot(error_ok=False)
    assert image.size == (1080, 2400)
    assert image.getbbox() is not None
    adb_device.keyevent("POWER")
    try:
        assert not adb_device.is_screen_on()
        assert adb_device.screenshot(error_ok=False).getbbox() is None
    finally:
        adb_device.keyevent("WAKEUP")
    # Waking up shows the keyguard; dismissing it brings the launcher back into focus.
    assert "mIsShowing=true" in adb_device.shell("dumpsys window policy")
    adb_device.shell("wm dismiss-keyguard")
    assert "mIsShowing=false" in adb_device.shell("dumpsys window policy")
    assert adb_device.app_current().package == LAUNCHER


def test_adbutils_dump_hierarchy_shows_the_launcher_icons(adb_device: adbutils.AdbDevice) -> None:
    xml = adb_device.dump_hierarchy()
    assert xml.startswith("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy")
    nodes = _nodes(xml)
    assert nodes[0]["package"] == LAUNCHER
    icons = [n for n in nodes if n["resource-id"] == ICON_ID]
    assert "Settings" in [n["text"] for n in icons]
    assert all(n["clickable"] == "true" for n in icons)


# ---------------------------------------------------------------------------------- uiautomator2
def test_uiautomator2_device_info(u2dev: u2.Device) -> None:
    info = u2dev.info
    assert info["currentPackageName"] == LAUNCHER
    assert (info["displayWidth"], info["displayHeight"]) == (1080, 2400)
    assert (info["displaySizeDpX"], info["displaySizeDpY"]) == (411, 914)
    assert info["displayRotation"] == 0 and info["naturalOrientation"] is True
    assert info["screenOn"] is True
    assert info["sdkInt"] == 34


def test_uiautomator2_hierarchy_selectors_and_xpath(u2dev: u2.Device) -> None:
    xml = u2dev.dump_hierarchy()
    icons = [n for n in _nodes(xml) if n["resource-id"] == ICON_ID]
    assert "Settings" in [n["text"] for n in icons]
    assert u2dev(text="Settings").exists
    assert not u2dev(text="No such thing").exists
    assert u2dev(resourceId=ICON_ID, text="Settings").info["className"] == "android.widget.TextView"
    assert u2dev.xpath('//*[@text="Settings"]').exists
    assert u2dev(description="Home").exists  # the navigation bar's Home button


def test_uiautomator2_click_on_an_icon_opens_the_app_and_home_returns(
    u2dev: u2.Device, adb_device: adbutils.AdbDevice
) -> None:
    u2dev(text="Settings").click()
    assert adb_device.app_current().package == SETTINGS
    assert u2dev.info["currentPackageName"] == SETTINGS
    assert u2dev(resourceId=f"{SETTINGS}:id/action_bar").exists
    u2dev.press("home")
    assert adb_device.app_current().package == LAUNCHER


def test_installed_app_gets_an_icon_with_its_label(
    u2dev: u2.Device, adb_device: adbutils.AdbDevice
) -> None:
    remote = "/data/local/tmp/uiprobe.apk"
    adb_device.sync.push(build_apk(PROBE_MANIFEST), remote)
    assert "Success" in adb_device.shell(f"pm install -r -t {remote}; rm {remote}")
    try:
        u2dev.xpath('//*[@text="UI Probe"]').click()
        current = adb_device.app_current()
        assert (current.package, current.activity) == (PROBE, f"{PROBE}.MainActivity")
        assert u2dev(text="UI Probe", className="android.widget.TextView").exists
    finally:
        adb_device.shell(f"pm uninstall {PROBE}")
    adb_device.keyevent("HOME")
    assert not u2dev(text="UI Probe").exists


def test_uiautomator2_notification_shade(u2dev: u2.Device) -> None:
    u2dev.open_notification()
    assert u2dev.info["currentPackageName"] == "com.android.systemui"
    xml = u2dev.dump_hierarchy()
    ids = {n["resource-id"] for n in _nodes(xml)}
    assert "com.android.systemui:id/notification_stack_scroller" in ids
    assert "com.android.systemui:id/quick_qs_panel" in ids
    u2dev.press("back")
    assert not u2dev(resourceId="com.android.systemui:id/notification_panel").exists
    assert u2dev.info["currentPackageName"] == LAUNCHER


def test_uiautomator2_screenshot(u2dev: u2.Device) -> None:
    image = u2dev.screenshot()
    assert image.size == (1080, 2400)


def test_uiautomator2_orientation(u2dev: u2.Device, adb_device: adbutils.AdbDevice) -> None:
    before = adb_device.shell("settings get system user_rotation").strip()
    u2dev.orientation = "left"
    try:
        assert u2dev.info["displayRotation"] == 1
        assert adb_device.rotation() == 1
        assert tuple(adb_device.window_size()) == (2400, 1080)
        assert 'rotation="1"' in u2dev.dump_hierarchy()
    finally:
        u2dev.orientation = "natural"
        u2dev.freeze_rotation(False)
        if before == "null":
            adb_device.shell("settings delete system user_rotation")
        else:
            adb_device.shell(f"settings put system user_rotation {before}")
    assert adb_device.rotation() == 0


def test_stop_uiautomator_closes_the_server(
    u2dev: u2.Device, adb_device: adbutils.AdbDevice
) -> None:
    u2dev.stop_uiautomator()
    with pytest.raises(adbutils.AdbError):
        adb_device.create_connection(adbutils.Network.TCP, 9008)
    assert "app_process" not in adb_device.shell("ps -A")


def test_uiautomator2_connect_by_serial_in_a_fresh_process(
    adb_server: PrivateAdbServer, serial: str
) -> None:
    """u2.connect("SERIAL") uses adbutils' module client, which reads the port at import."""
    script = textwrap.dedent(
        """
        import json, sys
        import uiautomator2 as u2
        d = u2.connect(sys.argv[1])
        xml = d.dump_hierarchy()
        result = {
            "info": d.info,
            "launcher": 'package="com.android.launcher3"' in xml,
            "pressed": d.press("home"),
        }
        print(json.dumps(result))
        """
    )
    env = dict(os.environ, ANDROID_ADB_SERVER_PORT=str(adb_server.port))
    env.pop("ANDROID_SERIAL", None)
    proc = subprocess.run(
        [sys.executable, "-c", script, serial],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["info"]["currentPackageName"] == LAUNCHER
    assert result["info"]["screenOn"] is True
    assert result["launcher"] is True
    assert result["pressed"] is True
