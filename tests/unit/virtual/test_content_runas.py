"""``content`` against an app model's provider, and ``run-as`` into a debuggable app."""

from __future__ import annotations

from typing import Any

import pytest

from harness.apk import build_apk
from harness.virtual.apps.base import AppModel, ProviderError, app_model
from harness.virtual.system.packages import PackageManagerService

PKG = "com.example.provider"
LOCKED = "com.example.locked"


@app_model(PKG)
class _ProviderApp(AppModel):
    def provider_call(self, authority: str, method: str, arg: str | None,
                      extras: dict[str, Any], caller_uid: int) -> dict[str, Any] | None:
        if method == "echo":
            return {"result": f'{{"arg":"{arg}","uid":{caller_uid}}}'}
        if method == "nothing":
            return None
        raise ProviderError("java.lang.IllegalArgumentException", f"Unknown method: {method}")

    def provider_query(self, uri, projection, where, sort, caller_uid):  # type: ignore[no-untyped-def]
        return ["seq", "text"], [[1, "a, b=c"], [2, None]]


def _manifest(package: str, permission: str, debuggable: bool) -> str:
    return f"""<manifest xmlns:android="http://schemas.android.com/apk/res/android"
      package="{package}" android:versionCode="1">
      <application android:debuggable="{str(debuggable).lower()}">
        <provider android:name=".Control" android:authorities="{package}.control"
                  android:exported="true" android:permission="{permission}"/>
      </application>
    </manifest>"""


@pytest.fixture(scope="module")
def installed(device_loop, vdev):
    pm = vdev.system.service(PackageManagerService)

    async def install() -> None:
        assert pm.install_bytes(build_apk(_manifest(PKG, "android.permission.DUMP", True))) \
            == "Success"
        assert pm.install_bytes(build_apk(
            _manifest(LOCKED, "android.permission.READ_SMS", False))) == "Success"

    device_loop.call(install())
    yield
    device_loop.call(_uninstall(pm))


async def _uninstall(pm: PackageManagerService) -> None:
    pm.uninstall(PKG)
    pm.uninstall(LOCKED)


def test_content_call_prints_the_bundle(sh, installed):
    out, err, rc = sh(f"content call --uri content://{PKG}.control --method echo --arg 'x y'")
    assert (out, err, rc) == ('Result: Bundle[{result={"arg":"x y","uid":2000}}]\n', "", 0)
    out, _, _ = sh(f"content call --uri content://{PKG}.control --method nothing")
    assert out == "Result: null\n"


def test_content_call_clears_the_stopped_state(sh, installed, vdev):
    pm = vdev.system.service(PackageManagerService)
    sh(f"am force-stop {PKG}")
    assert pm.get(PKG).stopped
    sh(f"content call --uri content://{PKG}.control --method nothing")
    assert not pm.get(PKG).stopped


def test_content_query_rows(sh, installed):
    out, _, _rc = sh(f"content query --uri content://{PKG}.control/events")
    assert out == "Row: 0 seq=1, text=a, b=c\nRow: 1 seq=2, text=NULL\n"


def test_provider_errors_are_printed_like_android(sh, installed):
    out, err, rc = sh(f"content call --uri content://{PKG}.control --method nope")
    assert rc == 0 and out == ""
    assert err.startswith(f"Error while accessing provider:{PKG}.control\n"
                          "java.lang.IllegalArgumentException: Unknown method: nope")
    _, err, rc = sh("content call --uri content://no.such.authority --method x")
    assert "java.lang.IllegalStateException: Could not find provider: no.such.authority" in err
    _, err, _ = sh(f"content call --uri content://{LOCKED}.control --method x")
    assert "java.lang.SecurityException: Permission Denial" in err
    assert "requires android.permission.READ_SMS" in err


def test_run_as_runs_in_the_apps_data_directory(sh, installed):
    out, err, rc = sh(f"run-as {PKG} sh -c 'pwd; echo hi > files/x; cat files/x; id -u'")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == f"/data/user/0/{PKG}" and lines[1] == "hi"
    assert int(lines[2]) >= 10000
    # the shell itself still cannot read the app's files
    _, err, rc = sh(f"cat /data/data/{PKG}/files/x")
    assert rc == 1 and "Permission denied" in err


def test_run_as_refuses_non_debuggable_and_unknown(sh, installed):
    _, err, rc = sh(f"run-as {LOCKED} ls")
    assert (rc, err) == (1, f"run-as: package not debuggable: {LOCKED}\n")
    _, err, rc = sh("run-as no.such.pkg ls")
    assert (rc, err) == (1, "run-as: unknown package: no.such.pkg\n")
