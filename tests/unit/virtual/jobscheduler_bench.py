"""A bench for the JobScheduler tests: one virtual device, a small test app and its model.

The test app ``com.example.jobs`` has a launcher activity and a JobService that requires
BIND_JOB_SERVICE, and asks for RECEIVE_BOOT_COMPLETED and ACCESS_NETWORK_STATE; built with
``fgs=True`` it also has a dataSync foreground service (``.SyncFgService``, started by
:meth:`JobBench.start_fgs`) and its permissions. Its app model
records every ``onStartJob`` / ``onStopJob`` on the bench of the device it runs on, and does what
the test told it for each job id: finish at once (``onStartJob`` returns false), keep working
("hold", until :meth:`JobBench.finish`), or ask to be rescheduled when stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.android import job_state as job_state_parser
from harness.android import jobscheduler as dump_parser
from harness.apk import build_apk
from harness.virtual.apps.base import AppModel, app_model
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.active_services import ActiveServices
from harness.virtual.system.activity import ActivityManagerService
from harness.virtual.system.job_info import JobInfo
from harness.virtual.system.jobscheduler import JobParameters, JobSchedulerService
from harness.virtual.system.packages import PackageManagerService
from tests.unit.virtual.helpers import BenchRegistry, DeviceBench

PKG = "com.example.jobs"
SERVICE = f"{PKG}.SyncJobService"
FGS = ".SyncFgService"
SHELL_UID = 2000
NOBOOT_PKG = "com.example.noboot"
MINUTE = 60_000
HOUR = 60 * MINUTE


def manifest(
    package: str = PKG,
    boot: bool = True,
    network_state: bool = True,
    bind_permission: bool = True,
    target_sdk: int = 34,
    fgs: bool = False,
) -> str:
    perms = ""
    if boot:
        perms += '<uses-permission android:name="android.permission.RECEIVE_BOOT_COMPLETED"/>'
    if network_state:
        perms += '<uses-permission android:name="android.permission.ACCESS_NETWORK_STATE"/>'
    fgs_service = ""
    if fgs:
        for name in ("FOREGROUND_SERVICE", "FOREGROUND_SERVICE_DATA_SYNC"):
            perms += f'<uses-permission android:name="android.permission.{name}"/>'
        fgs_service = (
            f'<service android:name="{FGS}" android:exported="false"'
            ' android:foregroundServiceType="dataSync"/>'
        )
    permission = (
        ' android:permission="android.permission.BIND_JOB_SERVICE"' if bind_permission else ""
    )
    return f"""<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="{package}" android:versionCode="1" android:versionName="1.0">
  <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="{target_sdk}"/>
  {perms}
  <application android:label="Jobs">
    <activity android:name=".MainActivity" android:exported="true">
      <intent-filter>
        <action android:name="android.intent.action.MAIN"/>
        <category android:name="android.intent.category.LAUNCHER"/>
      </intent-filter>
    </activity>
    <service android:name=".SyncJobService"{permission} android:exported="true"/>
    <service android:name=".OtherService" android:exported="false"/>
    {fgs_service}
  </application>
</manifest>"""


@dataclass
class AppEvent:
    kind: str  # "start" or "stop"
    job_id: int
    params: JobParameters
    elapsed: int
    service: str


@dataclass
class BusEvent:
    name: str
    payload: dict[str, Any]
    elapsed: int


BENCHES: BenchRegistry[JobBench] = BenchRegistry()


@app_model(PKG)
class JobsTestApp(AppModel):
    """The test app's code: it reports to the bench and does what the bench says."""

    def on_start_job(self, service: str, params: JobParameters) -> bool:
        bench = BENCHES.of(self)
        return bench.on_start_job(service, params) if bench else False

    def on_stop_job(self, service: str, params: JobParameters) -> bool:
        bench = BENCHES.of(self)
        return bench.on_stop_job(service, params) if bench else False


@dataclass
class JobBench(DeviceBench):
    behavior: dict[int, str] = field(default_factory=dict)  # job id -> "finish" | "hold"
    reschedule_on_stop: dict[int, bool] = field(default_factory=dict)
    events: list[AppEvent] = field(default_factory=list)
    bus_events: list[BusEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        BENCHES.add(self.dev, self)
        self.listen()

    # ------------------------------------------------------------------ plumbing
    def listen(self) -> None:
        """Record the JobScheduler's bus events (again after a reboot: a new system server)."""

        def subscribe() -> None:
            bus = self.dev.system.bus  # type: ignore[union-attr]
            for name in ("job_started", "job_stopped"):
                bus.subscribe(name, lambda _n=name, **p: self._bus(_n, p))

        self.run(subscribe)

    def _bus(self, name: str, payload: dict[str, Any]) -> None:
        self.bus_events.append(BusEvent(name, payload, self.elapsed()))

    @property
    def js(self) -> JobSchedulerService:
        return self.service(JobSchedulerService)

    def publish(self, event: str, **payload: Any) -> None:
        self.run(lambda: self.dev.system.bus.publish(event, **payload))  # type: ignore[union-attr]

    # ------------------------------------------------------------------ the app
    def install(self, xml: str | None = None) -> str:
        data = build_apk(xml or manifest())
        return self.run(
            lambda: self.service(PackageManagerService).install_bytes(data)
        )

    def set_bucket(self, bucket: str, package: str = PKG) -> None:
        self.out(f"am set-standby-bucket {package} {bucket}")

    def launch(self) -> None:
        self.out(f"am start -n {PKG}/.MainActivity")

    def home(self) -> None:
        self.run(lambda: self.service(ActivityManagerService).go_home())

    @property
    def services(self) -> ActiveServices:
        return self.service(ActiveServices)

    def start_fgs(self) -> None:
        """``am start-foreground-service`` of the app's dataSync service (the shell may start
        one from the background), which then calls ``startForeground``: the app runs a
        foreground service without coming to the top. Needs the ``fgs=True`` manifest."""

        def go() -> None:
            self.services.start_service(PKG, FGS, foreground=True, caller_uid=SHELL_UID)
            self.services.start_foreground(PKG, FGS, notification_id=1)

        self.run(go)

    def stop_fgs(self) -> None:
        """``stopSelf()`` of the foreground service."""
        assert self.run(lambda: self.services.stop_service(PKG, FGS))

    def schedule(self, info: JobInfo, package: str = PKG) -> int:
        return self.run(lambda: self.js.schedule(package, info))

    def finish(self, job_id: int, reschedule: bool = False) -> None:
        self.run(lambda: self.js.job_finished(PKG, job_id, reschedule))

    def on_start_job(self, service: str, params: JobParameters) -> bool:
        self.events.append(AppEvent("start", params.job_id, params, self.elapsed(), service))
        return self.behavior.get(params.job_id, "finish") == "hold"

    def on_stop_job(self, service: str, params: JobParameters) -> bool:
        self.events.append(AppEvent("stop", params.job_id, params, self.elapsed(), service))
        return self.reschedule_on_stop.get(params.job_id, False)

    def starts(self, job_id: int) -> list[AppEvent]:
        return [e for e in self.events if e.kind == "start" and e.job_id == job_id]

    def stops(self, job_id: int) -> list[AppEvent]:
        return [e for e in self.events if e.kind == "stop" and e.job_id == job_id]

    def wait_started(self, job_id: int, count: int = 1, timeout_s: float = 10.0) -> AppEvent:
        self.wait_until(lambda: len(self.starts(job_id)) >= count, timeout_s)
        return self.starts(job_id)[count - 1]

    def wait_stopped(self, job_id: int, count: int = 1, timeout_s: float = 10.0) -> AppEvent:
        self.wait_until(lambda: len(self.stops(job_id)) >= count, timeout_s)
        return self.stops(job_id)[count - 1]

    def running(self, job_id: int) -> bool:
        return bool(self.run(lambda: self.js.is_running(PKG, job_id)))

    def scheduled(self, job_id: int) -> bool:
        return self.run(lambda: self.js.get_pending_job(PKG, job_id)) is not None

    # ------------------------------------------------------------------ device state
    def unplug(self) -> None:
        self.out("cmd battery unplug")

    def plug(self) -> None:
        # BatteryStats reports charging once plugged at >= 90 % (CTS: raise the level).
        self.out("cmd battery set ac 1")
        self.out("cmd battery set level 95")

    def state(self, job_id: int, package: str = PKG) -> job_state_parser.JobState:
        out, _err, _rc = self.sh(f"cmd jobscheduler get-job-state {package} {job_id}")
        return job_state_parser.parse(out)

    def dump(self) -> dump_parser.JobSchedulerDump:
        return dump_parser.parse(self.out("dumpsys jobscheduler"))

    def dumped_job(self, job_id: int) -> dump_parser.Job:
        jobs = self.dump().find(PKG, job_id)
        assert len(jobs) == 1, jobs
        return jobs[0]

    def reboot(self) -> None:
        self.loop.call(self.dev.reboot())
        self.loop.call(self.dev.wait_booted(), timeout_s=60)
        self.listen()


def bench_factory(device_loop: DeviceLoop) -> Iterator[Callable[..., JobBench]]:
    """The body of each test module's ``bench`` fixture: ``bench(rate=..., api_level=...)``
    boots a device with the test app installed (and ACTIVE) and stops it afterwards."""
    made: list[VirtualDevice] = []

    def make(
        rate: float = 100.0,
        api_level: int | None = None,
        profile: str = "virtual",
        install: bool = True,
        bucket: str | None = "active",
        fgs: bool = False,
    ) -> JobBench:
        dev = device_loop.start_device(
            VirtualDeviceConfig(
                profile=profile, api_level=api_level, boot_time_s=0.05, clock_rate=rate
            )
        )
        made.append(dev)
        b = JobBench(device_loop, dev)
        if install:
            assert b.install(manifest(fgs=True) if fgs else None) == "Success"
            if bucket is not None and dev.api_level >= 28:
                # A freshly installed app is NEVER until used; a real app that schedules
                # jobs has been launched (ACTIVE).
                b.set_bucket(bucket)
        return b

    yield make
    for dev in made:
        BENCHES.remove(dev)
        device_loop.stop_device(dev)
