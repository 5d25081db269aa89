"""The driver of the sample app: install it, prepare it, tell it what to do, read what happened.

Everything goes through ``Device.shell`` with the contract's commands (sample_app/CONTRACT.md):
``content call`` for actions and ``content query`` for the event log. The driver records what
``prepare()`` changes on the device and undoes it in ``restore()``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.android.content import parse_query
from harness.app import contract as c
from harness.device import Device
from harness.errors import DeviceCommandError, DeviceError, HarnessError, WaitTimeout
from harness.power.base import profile_for, uid_appop_mode

# ActivityManagerConstants.DEFAULT_FG_TO_BG_FGS_GRACE_DURATION (Android 12+), in seconds.
FG_TO_BG_FGS_GRACE_S = 5.0
_RESULT = re.compile(r"^Result: Bundle\[\{result=(?P<json>.*)\}\]\s*$", re.S)


class ContractMismatch(HarnessError):
    """The installed app speaks another contract version than this harness."""


class AppCallError(DeviceError):
    """A contract method answered ``ok: false`` or the provider could not be reached."""

    def __init__(self, serial: str, method: str, error: str, message: str,
                 result: dict[str, Any] | None = None) -> None:
        self.method = method
        self.error = error
        self.message = message
        self.result = result or {}
        super().__init__(serial, f"sample app {method!r} failed: {error}: {message}")


class EventTimeout(WaitTimeout):
    """The awaited event did not come; carries the events seen meanwhile."""

    def __init__(self, serial: str, awaited: str, events: list[AppEvent],
                 timeout_s: float) -> None:
        self.events = events
        seen = "\n".join(e.describe() for e in events[-20:]) or "(no events)"
        super().__init__(serial, awaited, f"events so far:\n{seen}", timeout_s)


@dataclass(frozen=True)
class AppEvent:
    """One row of the app's event log (contract "Event log")."""

    seq: int
    name: str
    source: str
    event: str
    wall_ms: int
    elapsed_ms: int
    boot_count: int
    pid: int
    deep_idle: bool
    light_idle: bool
    power_save: bool
    standby_bucket: int
    charging: bool
    network: str
    detail: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        state = (f"deep_idle={int(self.deep_idle)} light_idle={int(self.light_idle)} "
                 f"saver={int(self.power_save)} bucket={self.standby_bucket} "
                 f"charging={int(self.charging)} net={self.network}")
        return (f"#{self.seq} {self.source}/{self.name or '-'} {self.event} "
                f"elapsed={self.elapsed_ms} boot={self.boot_count} [{state}] "
                f"{json.dumps(self.detail, sort_keys=True)}")

    @classmethod
    def from_row(cls, row: dict[str, str | None]) -> AppEvent:
        def num(key: str) -> int:
            value = row.get(key)
            return int(value) if value not in (None, "") else 0  # type: ignore[arg-type]

        detail_text = row.get("detail") or "{}"
        try:
            detail = json.loads(detail_text)
        except json.JSONDecodeError:
            detail = {"raw": detail_text}
        return cls(num("seq"), row.get("name") or "", row.get("source") or "",
                   row.get("event") or "", num("wall_ms"), num("elapsed_ms"),
                   num("boot_count"), num("pid"), bool(num("deep_idle")),
                   bool(num("light_idle")), bool(num("power_save")), num("standby_bucket"),
                   bool(num("charging")), row.get("network") or "", detail)


@dataclass
class _Prepared:
    """What prepare() changed, to undo."""

    granted: list[str] = field(default_factory=list)
    appops: dict[str, str] = field(default_factory=dict)
    whitelisted: bool = False
    restricted_mode: str | None = None


class SampleApp:
    """The sample app on one device."""

    package = c.PACKAGE

    def __init__(self, device: Device, apk: Path | None = None) -> None:
        self.device = device
        self.apk = apk
        self.since = 0
        self._prepared: _Prepared | None = None

    # ---------------------------------------------------------------- install
    def installed_version(self) -> int | None:
        out = self.device.shell(["dumpsys", "package", c.PACKAGE]).stdout
        m = re.search(r"versionCode=(\d+)", out)
        return int(m.group(1)) if m and "Package [" + c.PACKAGE + "]" in out else None

    def install(self, apk: Path | None = None) -> Path:
        """Install the app: the given APK, else the one this driver was made with, else the
        built debug APK, else a manifest-only stand-in of the app (which only models of a
        device run; a phone refuses it, and the error says how to build the real one)."""
        from harness.app.standin import choose_apk

        path, is_standin = choose_apk(apk or self.apk)
        try:
            self.device.install(path, grant_permissions=True, allow_test=True,
                                allow_downgrade=True)
        except DeviceCommandError as exc:
            if is_standin:
                raise DeviceCommandError(
                    self.device.serial, exc.command, exc.exit_code, exc.stdout, exc.stderr,
                    message="the device refused the sample app's stand-in APK; build the real "
                            "app with `harness app build` or pass --app-apk PATH") from exc
            raise
        return path

    # ---------------------------------------------------------------- control channel
    def call(self, method: str, **args: Any) -> dict[str, Any]:
        """Call a contract method and return its JSON result; ``ok: false`` raises."""
        argv = ["content", "call", "--uri", c.CONTROL_URI, "--method", method]
        if args:
            argv += ["--arg", json.dumps(args, separators=(",", ":"))]
        res = self.device.shell(argv, timeout_s=60)
        m = _RESULT.match(res.stdout.strip())
        if m is None:
            detail = (res.stderr or res.stdout).strip()
            raise AppCallError(self.device.serial, method, "no_result",
                               detail or "the provider printed nothing")
        result = json.loads(m.group("json"))
        if not result.get("ok", False):
            raise AppCallError(self.device.serial, method, result.get("error", "unknown"),
                               result.get("message", ""), result)
        return result  # type: ignore[no-any-return]

    def ping(self) -> dict[str, Any]:
        result = self.call("ping")
        version = result.get("contract_version")
        if version != c.CONTRACT_VERSION:
            raise ContractMismatch(
                f"[{self.device.serial}] the installed sample app speaks contract version "
                f"{version}; this harness speaks {c.CONTRACT_VERSION}: install a matching app")
        return result

    def state(self) -> dict[str, Any]:
        return self.call("state")["state"]  # type: ignore[no-any-return]

    # ---------------------------------------------------------------- preparation
    def prepare(self, exact_alarms: bool = True, notifications: bool = True) -> None:
        """Bring the app into the contract's known state (see CONTRACT.md, "How the harness
        prepares the app"); ``restore()`` undoes it."""
        from harness.power.restriction import BackgroundRestriction

        if self.installed_version() is None:
            self.install()
        prepared = _Prepared()
        self._prepared = prepared
        # A new install is stopped and in the NEVER standby bucket (no job of it ever runs);
        # a launch, as a user's first one, takes it out of both. Then back to the home screen.
        self.bring_to_front()
        self.send_to_background()
        self.ping()  # checks the contract version
        api = self.device.api_level
        profile = profile_for(self.device)
        if notifications and profile.feature("post_notifications_permission"):
            perm = "android.permission.POST_NOTIFICATIONS"
            if self.device.shell(["pm", "grant", c.PACKAGE, perm]).ok:
                prepared.granted.append(perm)
        if api >= 31 and profile.supports("exact_alarm_appop"):
            op = "SCHEDULE_EXACT_ALARM"
            found = uid_appop_mode(self.device, c.PACKAGE, op)
            mode = "allow" if exact_alarms else "deny"
            if found != mode:
                prepared.appops[op] = found or "default"
                self.device.shell(profile.command("exact_alarm_appop", package=c.PACKAGE,  # type: ignore[arg-type]
                                                  mode=mode), check=True)
        whitelist = self.device.shell(profile.argv("deviceidle", "whitelist")).stdout
        if f"user,{c.PACKAGE}," in whitelist:
            prepared.whitelisted = True
            self.device.shell(profile.argv("deviceidle", "whitelist", f"-{c.PACKAGE}"))
        restriction = BackgroundRestriction(self.device, profile)
        mode = restriction.mode(c.PACKAGE)
        if mode not in ("allow", "default"):
            prepared.restricted_mode = mode
            restriction.allow(c.PACKAGE)
        self.since = self.last_seq()


    def restore(self) -> None:
        """Cancel what the app scheduled and undo prepare()."""
        from harness.power.base import profile_for

        try:
            self.call("reset")
        except HarnessError:
            pass  # the app may be gone (uninstalled or the device lost); nothing to cancel
        prepared, self._prepared = self._prepared, None
        if prepared is None:
            return
        profile = profile_for(self.device)
        for perm in prepared.granted:
            self.device.shell(["pm", "revoke", c.PACKAGE, perm])
        for mode in prepared.appops.values():
            self.device.shell(profile.command("exact_alarm_appop", package=c.PACKAGE,  # type: ignore[arg-type]
                                              mode=mode))
        if prepared.whitelisted:
            self.device.shell(profile.argv("deviceidle", "whitelist", f"+{c.PACKAGE}"))
        if prepared.restricted_mode:
            self.device.shell(profile.command("appops_set", package=c.PACKAGE,  # type: ignore[arg-type]
                                              op="RUN_ANY_IN_BACKGROUND",
                                              mode=prepared.restricted_mode))

    # ---------------------------------------------------------------- actions
    def enqueue_work(self, name: str, **spec: Any) -> str:
        """WorkManager work (contract ``enqueue_work``); returns the work id."""
        return self.call("enqueue_work", name=name, **spec)["work_id"]  # type: ignore[no-any-return]

    def enqueue_chain(self, name: str, steps: list[dict[str, Any]], **spec: Any) -> list[str]:
        return self.call("enqueue_chain", name=name, steps=steps, **spec)["work_ids"]  # type: ignore[no-any-return]

    def cancel_work(self, **which: Any) -> int:
        return int(self.call("cancel_work", **which)["cancelled"])

    def schedule_job(self, job_id: int, name: str | None = None, **spec: Any) -> str:
        """A JobScheduler job of the app's own (ids 1000-1999); returns RESULT_SUCCESS/FAILURE."""
        if not c.APP_JOB_ID_MIN <= job_id <= c.APP_JOB_ID_MAX:
            raise ValueError(f"the app's own job ids are {c.APP_JOB_ID_MIN}-{c.APP_JOB_ID_MAX}")
        args = {"job_id": job_id, **spec}
        if name:
            args["name"] = name
        return self.call("schedule_job", **args)["scheduled"]  # type: ignore[no-any-return]

    def cancel_job(self, job_id: int | None = None) -> int:
        args: dict[str, Any] = {"job_id": job_id} if job_id is not None else {"all": True}
        return int(self.call("cancel_job", **args)["cancelled"])

    def start_inprocess_work(self, name: str, delay_ms: int = 0, duration_ms: int = 0) -> None:
        self.call("start_inprocess_work", name=name, delay_ms=delay_ms, duration_ms=duration_ms)

    def schedule_alarm(self, name: str, **spec: Any) -> dict[str, Any]:
        return self.call("schedule_alarm", name=name, **spec)

    def cancel_alarm(self, name: str | None = None) -> int:
        args: dict[str, Any] = {"name": name} if name else {"all": True}
        return int(self.call("cancel_alarm", **args)["cancelled"])

    def start_foreground_service(self, name: str, type: str | None = "dataSync",
                                 start_from: str = "foreground", **spec: Any) -> dict[str, Any]:
        """Start the app's foreground service; ``start_from`` foreground brings the app's
        activity to the front first (the app cannot do that itself from the background),
        background sends it home first (contract ``start_foreground_service``)."""
        if start_from == "foreground":
            self.bring_to_front()
        elif start_from == "background":
            self.send_to_background()
        args: dict[str, Any] = {"name": name, "from": start_from, **spec}
        if type is not None:
            args["type"] = type
        return self.call("start_foreground_service", **args)

    def bring_to_front(self, timeout_s: float = 15) -> None:
        """``am start`` the main activity and wait until it is the focused window."""
        self.device.shell(["am", "start", "-W", "-n", f"{c.PACKAGE}/{c.MAIN_ACTIVITY}"],
                          check=True, timeout_s=timeout_s + 15)
        deadline = time.monotonic() + timeout_s
        while c.PACKAGE not in self._focused():
            if time.monotonic() > deadline:
                raise WaitTimeout(self.device.serial, f"{c.PACKAGE} in front",
                                  self._focused() or "no focused window", timeout_s)
            time.sleep(0.1)

    def send_to_background(self, past_fgs_grace: bool = False) -> None:
        """Press HOME, then ``am make-uid-idle``: a uid that left the foreground counts as
        active for another minute (ActivityManagerConstants.BACKGROUND_SETTLE_TIME), during
        which JobScheduler treats its jobs as the ACTIVE bucket's and battery saver spares it;
        CTS makes the uid idle at once the same way.

        Android 12+ also still lets the app start a foreground service for 5 s after its
        activity stopped being visible (mFgToBgFgsGraceDuration), which ``make-uid-idle`` does
        not end; ``past_fgs_grace`` waits that out, for tests of what a background app may
        not do."""
        self.device.shell(["input", "keyevent", "KEYCODE_HOME"], check=True)
        profile = profile_for(self.device)
        if profile.supports("make_uid_idle"):
            self.device.shell(profile.command("make_uid_idle", package=c.PACKAGE),  # type: ignore[arg-type]
                              check=True)
        if past_fgs_grace:
            self._wait_device_time(FG_TO_BG_FGS_GRACE_S + 0.5)

    def _uptime_s(self) -> float:
        out = self.device.shell(["cat", "/proc/uptime"], check=True).stdout
        return float(out.split()[0])

    def _wait_device_time(self, seconds: float) -> None:
        """Wait until the device's own clock (``/proc/uptime``, the elapsed-realtime base the
        platform's grace periods run on) has moved ``seconds`` on."""
        target = self._uptime_s() + seconds
        deadline = time.monotonic() + seconds * 10 + 30
        while (now := self._uptime_s()) < target:
            if time.monotonic() > deadline:
                raise WaitTimeout(self.device.serial, f"{seconds} s of device time",
                                  f"uptime {now:.1f} s, waiting for {target:.1f} s", seconds)
            time.sleep(min(0.2, target - now))

    def kill_process(self, timeout_s: float = 10) -> bool:
        """Kill the app's process with SIGKILL from its own uid (``run-as``), as the low-memory
        killer ends a cached app; Android records REASON_SIGNALED. ``am kill`` is no substitute:
        it records REASON_USER_REQUESTED, which WorkManager 2.x (ForceStopRunnable.isForceStopped,
        API 30+) takes for a force-stop and answers at the next start by rescheduling all work,
        in-process too, Doze or not. Returns whether a process was running."""
        pids = self.device.shell(["pidof", c.PACKAGE]).stdout.split()
        if not pids:
            return False
        self.device.shell(["run-as", c.PACKAGE, "kill", "-9", *pids], check=True)
        deadline = time.monotonic() + timeout_s
        while self.device.shell(["pidof", c.PACKAGE]).stdout.strip():
            if time.monotonic() > deadline:
                raise WaitTimeout(self.device.serial, f"{c.PACKAGE}'s process to die",
                                  "still running", timeout_s)
            time.sleep(0.1)
        return True

    def _focused(self) -> str:
        out = self.device.shell(["dumpsys", "window", "windows"]).stdout
        m = re.search(r"mCurrentFocus=(.*)", out)
        return m.group(1) if m else ""

    def stop_foreground_service(self, name: str) -> bool:
        return bool(self.call("stop_foreground_service", name=name)["stopped"])

    def reset(self) -> dict[str, Any]:
        return self.call("reset")

    # ---------------------------------------------------------------- event log
    def events(self, since: int | None = None, name: str | None = None,
               event: str | None = None, source: str | None = None) -> list[AppEvent]:
        """Events after ``since`` (default: since prepare()), oldest first."""
        start = self.since if since is None else since
        res = self.device.shell(["content", "query", "--uri", c.EVENTS_URI,
                                 "--where", f"seq>{int(start)}"], timeout_s=60)
        if "Error while accessing provider" in res.stderr:
            raise AppCallError(self.device.serial, "events", "provider_error", res.stderr.strip())
        rows = parse_query(res.stdout, columns=c.EVENT_COLUMNS).rows
        out = [AppEvent.from_row(r.values) for r in rows]
        out.sort(key=lambda e: e.seq)
        return [e for e in out if (name is None or e.name == name)
                and (event is None or e.event == event)
                and (source is None or e.source == source)]

    def last_seq(self) -> int:
        events = self.events(since=0)
        return events[-1].seq if events else 0

    def mark(self) -> int:
        """Start reading events from now on; returns the sequence number."""
        self.since = self.last_seq()
        return self.since

    def wait_for(self, event: str, name: str | None = None, timeout_s: float = 60,
                 since: int | None = None,
                 where: Callable[[AppEvent], bool] | None = None) -> AppEvent:
        """The first event ``event`` (of ``name``) after ``since``; times out with the events
        seen so far in the error."""
        deadline = time.monotonic() + timeout_s
        delay = 0.05
        seen: list[AppEvent] = []
        while True:
            seen = self.events(since=since)
            for e in seen:
                if e.event == event and (name is None or e.name == name) \
                        and (where is None or where(e)):
                    return e
            if time.monotonic() >= deadline:
                raise EventTimeout(self.device.serial,
                                   f"sample app event {event!r}" + (f" of {name!r}" if name
                                                                     else ""),
                                   seen, timeout_s)
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def assert_no_event(self, event: str, name: str | None = None, within_s: float = 3,
                        since: int | None = None) -> None:
        """Negative check over a short window (CTS ExactAlarmsTest: wait long for success,
        shortly for "does not happen")."""
        deadline = time.monotonic() + within_s
        while True:
            hits = [e for e in self.events(since=since)
                    if e.event == event and (name is None or e.name == name)]
            if hits:
                raise AssertionError(f"unexpected {event!r} of {name!r}: {hits[0].describe()}")
            if time.monotonic() >= deadline:
                return
            time.sleep(0.2)

    @staticmethod
    def to_frame(events: Iterable[AppEvent]):  # type: ignore[no-untyped-def]
        """The events as a pandas DataFrame with the contract's columns."""
        import pandas as pd

        rows = [dict(asdict(e), detail=json.dumps(e.detail, sort_keys=True)) for e in events]
        return pd.DataFrame(rows, columns=list(c.EVENT_COLUMNS))
