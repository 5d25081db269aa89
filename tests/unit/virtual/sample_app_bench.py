"""A bench for the sample app tests: a virtual device with the app's stand-in APK installed,
driven the way the harness's driver drives it (``content call`` / ``content query``)."""

from __future__ import annotations

import json
import shlex
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.android import content as content_parser
from harness.android import jobscheduler as dump_parser
from harness.app import contract as c
from harness.app.sample import AppEvent
from harness.app.standin import standin_apk
from harness.virtual.apps.sample.hostdb import host_file
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.activity import ActivityManagerService
from harness.virtual.system.job_info import JobInfo
from harness.virtual.system.jobscheduler import JobSchedulerService
from harness.virtual.system.packages import PackageManagerService
from tests.unit.virtual.helpers import DeviceBench

PKG = c.PACKAGE
MINUTE = 60_000
WM_DB = f"/data/data/{PKG}/no_backup/androidx.work.workdb"
EVENTS_DB = f"/data/data/{PKG}/{c.EVENT_DATABASE}"


@dataclass
class SampleBench(DeviceBench):
    wait_s = 15.0  # the app's own round trips (content call, its database) take longer

    # ------------------------------------------------------------------ the app
    def install(self) -> str:
        data = standin_apk().read_bytes()
        return self.run(lambda: self.pm.install_bytes(data, grant_all=True, allow_test=True))

    @property
    def pm(self) -> PackageManagerService:
        return self.service(PackageManagerService)

    @property
    def am(self) -> ActivityManagerService:
        return self.service(ActivityManagerService)

    @property
    def js(self) -> JobSchedulerService:
        return self.service(JobSchedulerService)

    def call_raw(self, method: str, arg: str | None = None) -> tuple[str, str]:
        line = f"content call --uri {c.CONTROL_URI} --method {method}"
        if arg is not None:
            line += f" --arg {shlex.quote(arg)}"
        out, err, rc = self.sh(line)
        assert rc == 0
        return out, err

    def call(self, method: str, **args: Any) -> dict[str, Any]:
        """What SampleApp.call sends; returns the result object (ok or not)."""
        out, err = self.call_raw(method, json.dumps(args, separators=(",", ":")) if args
                                 else None)
        prefix = "Result: Bundle[{result="
        assert out.startswith(prefix) and out.rstrip().endswith("}]"), (out, err)
        return json.loads(out.strip()[len(prefix):-2])

    def ok(self, method: str, **args: Any) -> dict[str, Any]:
        result = self.call(method, **args)
        assert result["ok"] is True, result
        return result

    def events(self, since: int = 0, **match: Any) -> list[AppEvent]:
        out = self.out(f"content query --uri {c.EVENTS_URI} --where 'seq>{since}'")
        rows = content_parser.parse_query(out, columns=c.EVENT_COLUMNS).rows
        events = [AppEvent.from_row(r.values) for r in rows]
        return [e for e in events if all(getattr(e, k) == v for k, v in match.items())]

    def wait_event(self, event: str, name: str | None = None, count: int = 1,
                   timeout_s: float = 15.0, **match: Any) -> AppEvent:
        def found() -> list[AppEvent]:
            hits = [e for e in self.events(event=event, **match)
                    if name is None or e.name == name]
            return hits if len(hits) >= count else []

        return self.wait_until(found, timeout_s, f"{count} {event} of {name}")[count - 1]

    def launch(self) -> None:
        self.out(f"am start -n {PKG}/.MainActivity")

    def home(self) -> None:
        self.run(self.am.go_home)

    # ------------------------------------------------------------------ what the device holds
    def wm_rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        """Query a copy of WorkManager's database (with its WAL), as the inspector reads it."""
        return self._rows(WM_DB, sql, params)

    def event_rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        return self._rows(EVENTS_DB, sql, params)

    def _rows(self, path: str, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        import tempfile

        def copy() -> dict[str, bytes]:
            files = {}
            for suffix in ("", "-wal"):
                if self.dev.fs.exists(path + suffix):
                    files[suffix] = self.dev.fs.read_file(path + suffix)
            return files

        files = self.run(copy)
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "db"
            for suffix, data in files.items():
                Path(f"{target}{suffix}").write_bytes(data)
            conn = sqlite3.connect(target)
            conn.row_factory = sqlite3.Row
            try:
                return list(conn.execute(sql, params))
            finally:
                conn.close()

    def work(self, work_id: str) -> sqlite3.Row:
        rows = self.wm_rows("SELECT * FROM WorkSpec WHERE id=?", work_id)
        assert len(rows) == 1, rows
        return rows[0]

    def system_ids(self, work_id: str) -> list[int]:
        return [r[0] for r in self.wm_rows(
            "SELECT system_id FROM SystemIdInfo WHERE work_spec_id=?", work_id)]

    def jobs(self) -> list[JobInfo]:
        return self.run(lambda: self.js.get_pending_jobs(PKG))

    def wm_jobs(self, work_id: str | None = None) -> list[JobInfo]:
        return [j for j in self.jobs() if j.service.endswith(".SystemJobService")
                and (work_id is None or j.extras.get("EXTRA_WORK_SPEC_ID") == work_id)]

    def dump(self) -> dump_parser.JobSchedulerDump:
        return dump_parser.parse(self.out("dumpsys jobscheduler"))

    def host_wm_db(self) -> Path:
        return host_file(self.dev, WM_DB)

    # ------------------------------------------------------------------ device state
    def unplug(self) -> None:
        self.out("cmd battery unplug")

    def plug(self) -> None:
        self.out("cmd battery set ac 1")
        self.out("cmd battery set level 95")

    def reboot(self) -> None:
        self.loop.call(self.dev.reboot())
        self.loop.call(self.dev.wait_booted(), timeout_s=60)

    def pid(self) -> int | None:
        rec = self.run(lambda: self.am.process_of(PKG))
        return rec.pid if rec is not None else None


def bench_factory(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    """``bench(rate=..., api_level=...)``: a device with the app installed, launched once (so
    it is out of the stopped state and ACTIVE), then at the home screen."""
    made: list[VirtualDevice] = []

    def make(rate: float = 100.0, api_level: int | None = None, install: bool = True,
             bucket: str | None = "active") -> SampleBench:
        dev = device_loop.start_device(
            VirtualDeviceConfig(api_level=api_level, boot_time_s=0.05, clock_rate=rate))
        made.append(dev)
        b = SampleBench(device_loop, dev)
        if install:
            assert b.install() == "Success"
            b.ok("ping")  # the driver's prepare(): leaves the stopped state
            if bucket is not None and dev.api_level >= 28:
                b.out(f"am set-standby-bucket {PKG} {bucket}")
        return b

    yield make
    for dev in made:
        device_loop.stop_device(dev)
