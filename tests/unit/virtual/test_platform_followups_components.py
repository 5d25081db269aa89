"""Per-component enabled state in the package manager (``pm enable|disable PKG/CLASS``,
setComponentEnabledSetting) and what honours it: broadcast delivery and JobScheduler; the event
bus's ``unsubscribe`` and app models that leave the bus when their process dies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.apk import build_apk
from harness.virtual.apps.base import AppModel, app_model
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.activity import (
    REASON_PACKAGE_STATE_CHANGE,
    REASON_USER_REQUESTED,
    ActivityManagerService,
)
from harness.virtual.system.base import EventBus
from harness.virtual.system.packages import (
    COMPONENT_ENABLED_STATE_DISABLED,
    COMPONENT_ENABLED_STATE_ENABLED,
    DONT_KILL_APP,
    ComponentStateError,
    PackageManagerService,
)
from tests.unit.virtual.helpers import DeviceBench
from tests.unit.virtual.sample_app_bench import PKG as SAMPLE
from tests.unit.virtual.sample_app_bench import SampleBench
from tests.unit.virtual.sample_app_bench import bench_factory as sample_bench_factory

PKG = "com.example.components"
PING = "com.example.PING"
OFF = f"{PKG}.OffReceiver"
ON = f"{PKG}.OnReceiver"
SERVICE = f"{PKG}.WorkService"
MANIFEST = f"""<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="{PKG}" android:versionCode="1" android:versionName="1.0">
  <uses-sdk android:minSdkVersion="26" android:targetSdkVersion="34"/>
  <application android:label="Components" android:testOnly="true">
    <activity android:name=".MainActivity" android:exported="true">
      <intent-filter>
        <action android:name="android.intent.action.MAIN"/>
        <category android:name="android.intent.category.LAUNCHER"/>
      </intent-filter>
    </activity>
    <receiver android:name=".OffReceiver" android:enabled="false" android:exported="true">
      <intent-filter><action android:name="{PING}"/></intent-filter>
    </receiver>
    <receiver android:name=".OnReceiver" android:exported="true">
      <intent-filter><action android:name="{PING}"/></intent-filter>
    </receiver>
    <service android:name=".WorkService" android:exported="true"
        android:permission="android.permission.BIND_JOB_SERVICE"/>
  </application>
</manifest>"""

RECEIVED: dict[str, list[str]] = {}  # device serial -> receivers that got PING


@app_model(PKG)
class ComponentsApp(AppModel):
    def on_receive(self, intent: Any, receiver: str) -> None:
        RECEIVED.setdefault(self.device.serial_number, []).append(receiver)


class Bench(DeviceBench):
    @property
    def pm(self) -> PackageManagerService:
        return self.service(PackageManagerService)

    @property
    def am(self) -> ActivityManagerService:
        return self.service(ActivityManagerService)

    def ping(self) -> list[str]:
        """``am broadcast -a PING``; which receivers got it."""
        RECEIVED[self.dev.serial_number] = []
        out, err, rc = self.sh(f"am broadcast -a {PING}")
        assert rc == 0, (out, err)
        return sorted(RECEIVED[self.dev.serial_number])

    def pid(self) -> int | None:
        rec = self.run(lambda: self.am.process_of(PKG))
        return rec.pid if rec is not None else None

    def reboot(self) -> None:
        self.loop.call(self.dev.reboot())
        self.loop.call(self.dev.wait_booted(), timeout_s=60)


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., Bench]]:
    made: list[VirtualDevice] = []

    def make(api_level: int | None = None) -> Bench:
        dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05, api_level=api_level))
        made.append(dev)
        b = Bench(device_loop, dev)
        data = build_apk(MANIFEST)
        assert b.run(lambda: b.pm.install_bytes(data, allow_test=True)) == "Success"
        b.sh(f"am start -n {PKG}/.MainActivity")  # out of the stopped state
        b.run(b.am.go_home)
        return b

    yield make
    for dev in made:
        RECEIVED.pop(dev.serial_number, None)
        device_loop.stop_device(dev)


@pytest.fixture
def sample(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from sample_bench_factory(device_loop)


# ---------------------------------------------------------------------------------- pm
def test_manifest_default_then_pm_enable_and_disable(bench):
    b = bench()
    assert b.ping() == [ON]  # OffReceiver is enabled="false" in the manifest
    pid = b.pid()
    out, err, rc = b.sh(f"pm enable {PKG}/.OffReceiver")
    assert (out, err, rc) == (f"Component {{{PKG}/{OFF}}} new state: enabled\n", "", 0)
    # No DONT_KILL_APP from the shell: ACTION_PACKAGE_CHANGED killed the app.
    assert pid is not None and b.pid() is None
    assert b.ping() == [OFF, ON]
    assert b.sh(f"pm disable {PKG}/{ON}")[0] == f"Component {{{PKG}/{ON}}} new state: disabled\n"
    assert b.ping() == [OFF]
    assert b.sh(f"pm default-state {PKG}/.OffReceiver")[0].endswith("new state: default\n")
    assert b.ping() == []


def test_component_states_survive_reboot(bench):
    b = bench()
    b.sh(f"pm enable {PKG}/.OffReceiver")
    b.reboot()
    assert b.run(lambda: b.pm.is_component_enabled(PKG, OFF))
    assert b.run(lambda: b.pm.component_enabled_setting(PKG, OFF)) == (
        COMPONENT_ENABLED_STATE_ENABLED)
    assert b.ping() == [OFF, ON]


def test_shell_may_change_components_of_test_only_packages_only(sample):
    s = sample()
    receiver = "androidx.work.impl.diagnostics.DiagnosticsReceiver"
    out, err, rc = s.sh(f"pm disable {SAMPLE}/{receiver}")
    assert (out, rc) == ("", 255)
    assert err == (
        "Exception occurred while executing 'disable':\n"
        f"java.lang.SecurityException: Shell cannot change component state for "
        f"ComponentInfo{{{SAMPLE}/{receiver}}} to 2\n"
    )
    out, _err, rc = s.sh(f"pm disable {SAMPLE}/{receiver}", uid=0)  # root may
    assert rc == 0 and out.endswith("new state: disabled\n")
    assert not s.run(lambda: s.pm.is_component_enabled(SAMPLE, receiver))


def test_unknown_components_and_states_are_refused(bench):
    b = bench()
    _out, err, rc = b.sh(f"pm enable {PKG}/.Nope")
    assert rc == 255 and err.endswith(
        f"java.lang.IllegalArgumentException: Component class {PKG}.Nope does not exist in "
        f"{PKG}\n")
    with pytest.raises(ComponentStateError, match="Invalid new component state: 9"):
        b.run(lambda: b.pm.set_component_enabled(PKG, ON, 9))


@pytest.mark.parametrize(("api", "reason"), [(33, REASON_USER_REQUESTED),
                                             (34, REASON_PACKAGE_STATE_CHANGE)])
def test_dont_kill_app_and_the_exit_reason_of_a_change(bench, api, reason):
    b = bench(api_level=api)
    b.ping()  # the broadcast started the process
    pid = b.pid()
    b.run(lambda: b.pm.set_component_enabled(PKG, OFF, COMPONENT_ENABLED_STATE_ENABLED,
                                             DONT_KILL_APP))
    assert b.pid() == pid
    b.run(lambda: b.pm.set_component_enabled(PKG, OFF, COMPONENT_ENABLED_STATE_DISABLED))
    assert b.pid() is None
    (info, *_) = b.run(lambda: b.am.historical_process_exit_reasons(PKG))
    assert (info.pid, info.reason) == (pid, reason)


def test_a_disabled_job_service_leaves_its_job_without_component(bench):
    from harness.virtual.system.job_info import JobInfo
    from harness.virtual.system.jobscheduler import JobSchedulerService

    b = bench()
    js = b.run(lambda: b.dev.system.service(JobSchedulerService))
    b.run(lambda: js.schedule(PKG, JobInfo(1, ".WorkService", requires_charging=True,
                                           requires_device_idle=True)))
    b.sh(f"pm disable {PKG}/.WorkService")
    out, _err, _rc = b.sh(f"cmd jobscheduler get-job-state {PKG} 1")
    assert "no-component" in out.split()
    b.sh(f"pm enable {PKG}/.WorkService")
    out, _err, _rc = b.sh(f"cmd jobscheduler get-job-state {PKG} 1")
    assert "no-component" not in out.split()


# ---------------------------------------------------------------------------------- event bus
def test_event_bus_unsubscribe():
    bus = EventBus()
    got: list[int] = []

    def listener(n: int) -> None:
        got.append(n)

    bus.subscribe("e", listener)
    bus.publish("e", n=1)
    assert bus.unsubscribe("e", listener) is True
    assert bus.unsubscribe("e", listener) is False
    assert bus.unsubscribe("other", listener) is False
    bus.publish("e", n=2)
    assert got == [1] and bus.listeners("e") == []


def test_a_dead_process_leaves_the_bus(sample):
    from harness.virtual.apps.sample.wm.trackers import Trackers

    s = sample()

    def trackers_listening() -> int:
        bus = s.dev.system.bus  # type: ignore[union-attr]
        return sum(
            isinstance(getattr(cb, "__self__", None), Trackers)
            for event in ("storage_changed", "network_changed")
            for cb in bus.listeners(event)
        )

    assert s.run(trackers_listening) == 2  # WorkManager's trackers in the running process
    for _ in range(3):
        s.out(f"am kill {SAMPLE}")
        assert s.run(trackers_listening) == 0
        s.ok("ping")
        assert s.run(trackers_listening) == 2
