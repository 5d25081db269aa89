"""A bench for the alarm, foreground-service and notification tests: a virtual device with a
small test app ``com.example.alarms`` and its model.

The app has a launcher activity, an AlarmReceiver (not exported: alarms reach it as the system
sends them), a BootReceiver, and services: ``.SyncService`` (dataSync), ``.PlainService`` (no
type) and ``.ShortService`` (shortService). Its model records every callback on the bench of
the device it runs on and does what the test told it: per alarm action (``receiver_actions``),
per service start (``service_actions``), and on ``onTimeout`` (``stop_on_timeout``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.android import activity_services as services_parser
from harness.android import alarm as alarm_parser
from harness.android import notification as notification_parser
from harness.apk import build_apk
from harness.virtual.apps.base import AppModel, app_model
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.active_services import ActiveServices
from harness.virtual.system.active_services_policy import FG_TO_BG_FGS_GRACE_MS
from harness.virtual.system.activity import ActivityManagerService, Intent
from harness.virtual.system.alarm import AlarmManagerService, AlarmSpec
from harness.virtual.system.job_info import JavaException
from harness.virtual.system.notification import NotificationManagerService
from harness.virtual.system.packages import PackageManagerService
from tests.unit.virtual.helpers import BenchRegistry, DeviceBench

PKG = "com.example.alarms"
RECEIVER = f"{PKG}.AlarmReceiver"
SYNC = f"{PKG}.SyncService"
MINUTE = 60_000
HOUR = 60 * MINUTE
PERM = "android.permission."
DEFAULT_PERMISSIONS = (
    "RECEIVE_BOOT_COMPLETED",
    "FOREGROUND_SERVICE",
    "FOREGROUND_SERVICE_DATA_SYNC",
    "POST_NOTIFICATIONS",
)


def manifest(
    target_sdk: int = 34,
    permissions: tuple[str, ...] = DEFAULT_PERMISSIONS,
    sync_type: str | None = "dataSync",
) -> str:
    uses = "".join(
        f'<uses-permission android:name="{p if "." in p else PERM + p}"/>' for p in permissions
    )
    sync = f' android:foregroundServiceType="{sync_type}"' if sync_type else ""
    return f"""<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="{PKG}" android:versionCode="1" android:versionName="1.0">
  <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="{target_sdk}"/>
  {uses}
  <application android:label="Alarms Test">
    <activity android:name=".MainActivity" android:exported="true">
      <intent-filter>
        <action android:name="android.intent.action.MAIN"/>
        <category android:name="android.intent.category.LAUNCHER"/>
      </intent-filter>
    </activity>
    <receiver android:name=".AlarmReceiver" android:exported="false"/>
    <receiver android:name=".BootReceiver" android:exported="true">
      <intent-filter>
        <action android:name="android.intent.action.BOOT_COMPLETED"/>
      </intent-filter>
    </receiver>
    <service android:name=".SyncService" android:exported="false"{sync}/>
    <service android:name=".PlainService" android:exported="false"/>
    <service android:name=".ShortService" android:exported="false"
        android:foregroundServiceType="shortService"/>
  </application>
</manifest>"""


@dataclass
class Event:
    kind: str  # receive, start, stop, timeout, bus name
    name: str  # action / service / tag
    payload: dict[str, Any]
    elapsed: int


BENCHES: BenchRegistry[Bench] = BenchRegistry()


@app_model(PKG)
class AlarmsTestApp(AppModel):
    """The test app's code: it reports to the bench and does what the bench says."""

    def on_receive(self, intent: Intent, receiver: str) -> None:
        bench = BENCHES.of(self)
        if bench is not None:
            bench.on_receive(intent, receiver)

    def on_start_service(self, service: str, intent: Intent) -> None:
        bench = BENCHES.of(self)
        if bench is not None:
            bench.on_start_service(service, intent)

    def on_stop_service(self, service: str, reason: str) -> None:
        bench = BENCHES.of(self)
        if bench is not None:
            bench.record("stop", service, reason=reason)

    def on_service_timeout(self, service: str, fgs_type: int) -> None:
        bench = BENCHES.of(self)
        if bench is not None:
            bench.on_timeout(service, fgs_type)


@dataclass
class Bench(DeviceBench):
    events: list[Event] = field(default_factory=list)
    receiver_actions: dict[str, Callable[[Bench, Intent], Any]] = field(default_factory=dict)
    service_actions: dict[str, Callable[[Bench, str], Any]] = field(default_factory=dict)
    stop_on_timeout: bool = True
    results: list[Any] = field(default_factory=list)  # what the callbacks' actions returned

    def __post_init__(self) -> None:
        super().__post_init__()
        BENCHES.add(self.dev, self)
        self.listen()

    # ------------------------------------------------------------------ plumbing
    def listen(self) -> None:
        def subscribe() -> None:
            bus = self.dev.system.bus  # type: ignore[union-attr]
            for name in ("alarm_fired", "fgs_started", "fgs_stopped"):
                bus.subscribe(name, lambda _n=name, **p: self.record(_n, str(p.get("tag")), **p))

        self.run(subscribe)

    def record(self, kind: str, name: str, **payload: Any) -> None:
        self.events.append(Event(kind, name, payload, self.elapsed()))

    def of(self, kind: str, name: str | None = None) -> list[Event]:
        return [e for e in self.events if e.kind == kind and (name is None or e.name == name)]

    # ------------------------------------------------------------------ services
    @property
    def alarms(self) -> AlarmManagerService:
        return self.service(AlarmManagerService)

    @property
    def services(self) -> ActiveServices:
        return self.service(ActiveServices)

    @property
    def nms(self) -> NotificationManagerService:
        return self.service(NotificationManagerService)

    def set_alarm(self, spec: AlarmSpec) -> JavaException | None:
        """AlarmManager.set* as the app calls it; returns the exception it would catch."""

        def go() -> JavaException | None:
            try:
                self.alarms.set(PKG, spec)
            except JavaException as exc:
                return exc
            return None

        return self.run(go)

    def pending(self) -> list[Any]:
        return self.run(lambda: self.alarms.pending(PKG))

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the device loop; return its result or the Java exception it raised."""

        def go() -> Any:
            try:
                return fn()
            except JavaException as exc:
                return exc

        return self.run(go)

    # ------------------------------------------------------------------ the app's code
    def on_receive(self, intent: Intent, receiver: str) -> None:
        self.record("receive", intent.action or receiver, extras=dict(intent.extras))
        action = self.receiver_actions.get(intent.action or "")
        if action is not None:
            try:
                self.results.append(action(self, intent))
            except JavaException as exc:
                self.results.append(exc)

    def on_start_service(self, service: str, intent: Intent) -> None:
        self.record("start", service)
        action = self.service_actions.get(service)
        if action is not None:
            try:
                self.results.append(action(self, service))
            except JavaException as exc:
                self.results.append(exc)

    def on_timeout(self, service: str, fgs_type: int) -> None:
        self.record("timeout", service, fgs_type=fgs_type)
        if self.stop_on_timeout:
            self.services.stop_service(PKG, service)

    # ------------------------------------------------------------------ the device
    def install(self, xml: str | None = None) -> str:
        data = build_apk(xml or manifest())
        return self.run(
            lambda: self.service(PackageManagerService).install_bytes(data)
        )

    def launch(self) -> None:
        self.out(f"am start -n {PKG}/.MainActivity")

    def home(self, settle: bool = True) -> None:
        """Press HOME; with ``settle``, also wait out the 5 s in which Android 12+ still lets
        an app that just left the screen start a foreground service."""
        self.run(lambda: self.service(ActivityManagerService).go_home())
        if settle:
            self.wait_device_ms(FG_TO_BG_FGS_GRACE_MS)

    def unplug(self) -> None:
        self.out("cmd battery unplug")

    def deep_state(self) -> str:
        return self.out("dumpsys deviceidle get deep").strip()

    def alarm_dump(self) -> alarm_parser.AlarmDump:
        return alarm_parser.parse(self.out("dumpsys alarm"))

    def services_dump(self, package: str | None = PKG) -> services_parser.ServicesDump:
        return services_parser.parse(self.out(f"dumpsys activity services {package or ''}"))

    def notification_dump(self, args: str = "") -> notification_parser.NotificationDump:
        return notification_parser.parse(self.out(f"dumpsys notification {args}"))

    def reboot(self) -> None:
        self.loop.call(self.dev.reboot())
        self.loop.call(self.dev.wait_booted(), timeout_s=60)
        self.listen()


def bench_factory(device_loop: DeviceLoop) -> Iterator[Callable[..., Bench]]:
    """``bench(api_level=..., rate=..., target_sdk=..., permissions=...)``: a device with the test
    app installed and launched (so it is not stopped and ACTIVE); stopped afterwards."""
    made: list[VirtualDevice] = []

    def make(
        api_level: int = 34,
        rate: float = 100.0,
        target_sdk: int | None = None,
        permissions: tuple[str, ...] = DEFAULT_PERMISSIONS,
        sync_type: str | None = "dataSync",
        launch: bool = True,
    ) -> Bench:
        dev = device_loop.start_device(
            VirtualDeviceConfig(api_level=api_level, boot_time_s=0.05, clock_rate=rate)
        )
        made.append(dev)
        b = Bench(device_loop, dev)
        target = target_sdk if target_sdk is not None else min(api_level, 35)
        assert b.install(manifest(target, permissions, sync_type)) == "Success"
        if launch:
            b.launch()
        return b

    yield make
    for dev in made:
        BENCHES.remove(dev)
        device_loop.stop_device(dev)
