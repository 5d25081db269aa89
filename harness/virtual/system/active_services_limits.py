"""The clocks a running service is held to, as a mixin of
:class:`~.active_services.ActiveServices`: the startForeground deadline after
``startForegroundService`` (Android 8+), the shortService timeout (Android 14), the
dataSync/mediaProcessing 6-hours-in-24 limit (Android 15, targets 35+), and what happens when a
service overruns them (``onTimeout``, then a crash or an ANR that kills the process).

Sources: ActiveServices.serviceForegroundTimeout / onShortFgsTimeout / onShortFgsAnrTimeout and
the Android 15 FGS timeout handling; ActivityManagerConstants for the durations (constants in
:mod:`~.active_services_policy`); ``android-background-behavior.md`` §6.4-6.5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.virtual.system.active_services_policy import (
    FGS_CRASH_EXTRA_WAIT_MS,
    FGS_SHORT_SERVICE,
    FGS_TIME_LIMIT_MS,
    FGS_TIME_LIMIT_WINDOW_MS,
    SHORT_FGS_ANR_EXTRA_MS,
    SHORT_FGS_TIMEOUT_MS,
    TIME_LIMITED_TYPES,
    type_label,
)
from harness.virtual.system.activity import ActivityManagerService

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.system.active_services import ServiceRecord


class ServiceTimeouts:
    """Deadlines and time limits of the services model (see the module docstring)."""

    services: dict[tuple[str, str], ServiceRecord]
    usage: dict[tuple[str, int], list[list[int | None]]]
    _limit_timers: dict[tuple[str, int], Timer]
    system: Any
    device: Any
    api_level: int
    _pm: Any

    if TYPE_CHECKING:  # provided by ActiveServices

        def _now(self) -> int: ...
        def _alive(self, record: ServiceRecord) -> bool: ...
        def _call_timeout(self, record: ServiceRecord, fgs_type: int) -> None: ...
        def _demote(
            self, record: ServiceRecord, reason: str, remove_notification: bool
        ) -> None: ...
        def _remove(self, record: ServiceRecord, reason: str) -> None: ...
        def call_later(self, delay_ms: float, name: str, cb: Any) -> Timer: ...
        def call_at(self, when_elapsed_ms: int, name: str, cb: Any) -> Timer: ...

    def _start_foreground_timeout(self, record: ServiceRecord) -> None:
        record.timers.pop("start_foreground", None)
        if not record.fg_required or self.services.get((record.package, record.name)) is not record:
            return
        # serviceForegroundTimeout -> the app crashes (and ANRs).
        self._remove(record, "startForeground timeout")
        self._crash(
            record.package,
            self._did_not_start_class(),
            "Context.startForegroundService() did not then call Service.startForeground(): "
            f"ServiceRecord{{{record.hash} u0 {record.short_name}}}",
        )

    def _did_not_start_class(self) -> str:
        if self.api_level >= 31:
            return "android.app.RemoteServiceException$ForegroundServiceDidNotStartInTimeException"
        return "android.app.RemoteServiceException"

    # ================================================================ shortService (Android 14)
    def _arm_short_service(self, record: ServiceRecord, now: int) -> None:
        timeout = now + SHORT_FGS_TIMEOUT_MS
        record.short_fgs = (now, record.last_start_id, timeout)
        record.timers["short_timeout"] = self.call_at(
            timeout, "ActiveServices.short_fgs", lambda: self._short_timeout(record)
        )

    def _short_timeout(self, record: ServiceRecord) -> None:
        record.timers.pop("short_timeout", None)
        if not self._alive(record) or not record.is_foreground:
            return
        self._call_timeout(record, FGS_SHORT_SERVICE)
        record.timers["short_anr"] = self.call_later(
            SHORT_FGS_ANR_EXTRA_MS, "ActiveServices.short_fgs_anr", lambda: self._short_anr(record)
        )

    def _short_anr(self, record: ServiceRecord) -> None:
        record.timers.pop("short_anr", None)
        if not self._alive(record) or record.foreground_types != FGS_SHORT_SERVICE:
            return
        if not record.is_foreground:
            return
        component = f"ComponentInfo{{{record.package}/{record.name}}}"
        self._crash(
            record.package,
            None,
            f"A foreground service of type shortService did not stop within its timeout: "
            f"{component}",
        )

    # ================================================================ time limits (Android 15)
    def _limited(self, package: str) -> bool:
        pkg = self._pm.get(package)
        return self.api_level >= 35 and pkg is not None and pkg.target_sdk >= 35

    def _active_types(self, package: str) -> int:
        types = 0
        for record in self.services.values():
            if record.package == package and record.is_foreground:
                types |= record.foreground_types
        return types

    def _types_changed(self, package: str, old: int, now: int) -> None:
        """Open or close the per-type usage intervals when the app's FGS types change."""
        if not self._limited(package):
            return
        new = self._active_types(package)
        for bit in TIME_LIMITED_TYPES:
            intervals = self.usage.setdefault((package, bit), [])
            if new & bit and not old & bit:
                intervals.append([now, None])
                self._schedule_limit(package, bit, now)
            elif old & bit and not new & bit:
                for interval in intervals:
                    if interval[1] is None:
                        interval[1] = now
                timer = self._limit_timers.pop((package, bit), None)
                if timer is not None:
                    timer.cancel()

    def _used(self, package: str, bit: int, now: int) -> int:
        start = now - FGS_TIME_LIMIT_WINDOW_MS
        used = 0
        for begin, end in self.usage.get((package, bit), []):
            finish = now if end is None else end
            used += max(0, min(finish, now) - max(begin or 0, start))
        return used

    def _schedule_limit(self, package: str, bit: int, now: int) -> None:
        timer = self._limit_timers.pop((package, bit), None)
        if timer is not None:
            timer.cancel()
        remaining = max(0, FGS_TIME_LIMIT_MS - self._used(package, bit, now))
        self._limit_timers[(package, bit)] = self.call_at(
            now + remaining, "ActiveServices.fgs_time_limit",
            lambda: self._on_time_limit(package, bit),
        )  # fmt: skip

    def _on_time_limit(self, package: str, bit: int) -> None:
        self._limit_timers.pop((package, bit), None)
        now = self._now()
        if not self._active_types(package) & bit:
            return
        if self._used(package, bit, now) < FGS_TIME_LIMIT_MS:
            self._schedule_limit(package, bit, now)  # older usage slid out of the window
            return
        for record in [r for r in self.services.values() if r.package == package]:
            if record.is_foreground and record.foreground_types & bit:
                # The service stops being foreground, then Service.onTimeout(startId, type).
                self._demote(record, "timeout", remove_notification=True)
                self._call_timeout(record, bit)
                record.timers["fgs_crash"] = self.call_later(
                    FGS_CRASH_EXTRA_WAIT_MS, "ActiveServices.fgs_did_not_stop",
                    lambda r=record, b=bit: self._did_not_stop(r, b),  # type: ignore[misc]
                )  # fmt: skip

    def _did_not_stop(self, record: ServiceRecord, bit: int) -> None:
        record.timers.pop("fgs_crash", None)
        if not self._alive(record):
            return
        self._crash(
            record.package,
            "android.app.RemoteServiceException$ForegroundServiceDidNotStopInTimeException",
            f"A foreground service of type {type_label(bit)} did not stop within its timeout: "
            f"ComponentInfo{{{record.package}/{record.name}}}",
        )

    def _crash(self, package: str, exception: str | None, message: str) -> None:
        """The app crashes (exception) or is killed for an ANR (exception None)."""
        am = self.system.maybe_service(ActivityManagerService)
        proc = am.process_of(package) if am is not None else None
        pid = proc.pid if proc is not None else 0
        log = self.device.log
        if exception is None:
            ss = self.device.system_server_pid
            log.log("E", "ActivityManager", f"ANR in {package}", pid=ss)
            log.log("E", "ActivityManager", f"PID: {pid}", pid=ss)
            log.log("E", "ActivityManager", f"Reason: {message}", pid=ss)
        else:
            log.log("E", "AndroidRuntime", "FATAL EXCEPTION: main", pid=pid)
            log.log("E", "AndroidRuntime", f"Process: {package}, PID: {pid}", pid=pid)
            log.log("E", "AndroidRuntime", f"{exception}: {message}", pid=pid)
        if am is not None:
            am.kill(package, "crash" if exception else "anr")
