"""The device scenario suite: written for any device (phone, emulator or virtual device).

Tests here use only the plugin's fixtures (``device``, ``power``, ``app``...), wait on the
platform's acknowledgements instead of sleeping, and restore whatever they change.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.device import Device
from harness.errors import DeviceCommandError

PROBE_PACKAGES = ("dev.harness.probe", "dev.harness.probe2")


def _probe_manifest(package: str, permissions: tuple[str, ...] = ()) -> str:
    uses = "".join(f'\n  <uses-permission android:name="{p}"/>' for p in permissions)
    return f"""<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="{package}" android:versionCode="1" android:versionName="1">
  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="34"/>{uses}
  <application android:label="Harness probe" android:hasCode="false"/>
</manifest>"""


def _install_probe(  # type: ignore[no-untyped-def]
    device: Device, tmp_path, package: str, permissions: tuple[str, ...] = ()
) -> None:
    from harness.apk import build_apk

    apk = tmp_path / f"{package}.apk"
    apk.write_bytes(build_apk(_probe_manifest(package, permissions)))
    try:
        device.install(apk)
    except DeviceCommandError as exc:
        pytest.skip(f"{device.serial} refuses the unsigned probe app: {exc.stdout.strip()}")


@pytest.fixture
def probe_apps(device: Device, tmp_path) -> Iterator[tuple[str, str]]:
    """Two third-party packages for standby and whitelist tests; removed afterwards.

    They are manifest-only APKs (no code), which models of a device accept; a phone that
    refuses them (unsigned) skips the test with the reason.
    """
    installed: list[str] = []
    try:
        for package in PROBE_PACKAGES:
            _install_probe(device, tmp_path, package)
            installed.append(package)
        yield PROBE_PACKAGES
    finally:
        for package in installed:
            device.shell(["pm", "uninstall", package])


@pytest.fixture
def probe_app(probe_apps: tuple[str, str]) -> str:
    return probe_apps[0]


@pytest.fixture
def location_probe_app(device: Device, tmp_path) -> Iterator[str]:
    """A probe package holding ACCESS_BACKGROUND_LOCATION (granted); removed afterwards."""
    package = "dev.harness.probe.location"
    perms = ("android.permission.ACCESS_FINE_LOCATION",
             "android.permission.ACCESS_BACKGROUND_LOCATION")
    _install_probe(device, tmp_path, package, perms)
    try:
        for perm in perms:
            device.shell(["pm", "grant", package, perm], check=True)
        yield package
    finally:
        device.shell(["pm", "uninstall", package])
