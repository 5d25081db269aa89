"""What moves AlarmManagerService's alarms besides their own time, as a mixin of
:class:`~.alarm.AlarmManagerService`: the next alarm clock and the early end of idle it causes,
the system's events (Doze, battery saver, buckets, charging, the screen, the top app,
background restriction), the SCHEDULE_EXACT_ALARM app op (grant and revoke), package events
(force-stop, uninstall, clear data, update) and wall-clock changes (``cmd alarm set-time``).

Sources: AlarmManagerService (Android 14 @0177c5f2): updateNextAlarmClockLocked,
adjustIdleUntilTime, the AppStandbyTracker / ChargingReceiver / InteractiveStateReceiver /
UninstallReceiver listeners, the OP_SCHEDULE_EXACT_ALARM watcher,
removeExactAlarmsOnPermissionRevoked, setTimeImpl / setTimeZoneImpl.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.virtual.system.activity import ActivityManagerService, Intent
from harness.virtual.system.alarm_policy import (
    ACTION_SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED,
    FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED,
    FLAG_IDLE_UNTIL,
    FLAG_STANDALONE,
    FLAG_WAKE_FROM_IDLE,
    REMOVE_DATA_CLEARED,
    REMOVE_EXACT_PERMISSION_REVOKED,
    SCHEDULE_EXACT_ALARM,
    WINDOW_EXACT,
    Alarm,
    identity_hash,
    is_rtc,
)

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.system.packages import InstalledPackage

# AlarmManager.ACTION_NEXT_ALARM_CLOCK_CHANGED, Intent.ACTION_TIME_CHANGED / _TIMEZONE_CHANGED.
ACTION_NEXT_ALARM_CLOCK_CHANGED = "android.app.action.NEXT_ALARM_CLOCK_CHANGED"
ACTION_TIME_CHANGED = "android.intent.action.TIME_SET"
ACTION_TIMEZONE_CHANGED = "android.intent.action.TIMEZONE_CHANGED"
# ActivityManagerConstants.mBootTimeTempAllowlistDuration, as the Android 13 dump prints it
# (duration:20000) for the broadcasts that grant it.
BOOT_TIME_TEMP_ALLOWLIST_MS = 20_000
# Intent.FLAG_RECEIVER_FOREGROUND | _REPLACE_PENDING | _REGISTERED_ONLY_BEFORE_BOOT.
PERMISSION_BROADCAST_FLAGS = 0x10000000 | 0x20000000 | 0x04000000


@dataclass(frozen=True)
class AlarmClockInfo:
    """AlarmManager.AlarmClockInfo of the next alarm clock (getNextAlarmClock)."""

    trigger_time_ms: int  # wall clock
    show_intent: str | None
    package: str


class AlarmEvents:
    """Event handling of the alarm service (see the module docstring)."""

    # -- state and helpers of AlarmManagerService
    alarms: list[Alarm]
    blocked: list[Alarm]
    pending_nonwakeup: list[Alarm]
    next_clock: AlarmClockInfo | None
    _next_wake_from_idle: int | None
    _idle_exit: tuple[tuple[int, int], Timer] | None
    _delivering: bool
    last_op_exact: dict[int, str]
    interactive: bool
    non_interactive_start: int
    charging: bool
    num_time_changed: int
    last_time_change_clock: int
    last_time_change_realtime: int
    system: Any
    device: Any
    api_level: int
    constants: Any
    era: Any
    rng: Any
    _pm: Any

    if TYPE_CHECKING:  # provided by AlarmManagerService and AlarmRules

        def _now(self) -> int: ...
        def _doze(self) -> Any: ...
        def _services(self) -> Any: ...
        def _deep_idle_until(self) -> int | None: ...
        def _reevaluate(self, package: str | None = None) -> None: ...
        def _changed(self) -> None: ...
        def _deliver(self, trigger: list[Alarm], now: int) -> None: ...
        def _flush_delay(self, now: int) -> None: ...
        def _remove(self, which: Any, reason: str | None) -> int: ...
        def _forget_package(self, package: str) -> None: ...
        def _appop_mode(self, package: str, op: str) -> str: ...
        def _to_elapsed(self, when: int, alarm_type: int) -> int: ...
        def evaluate(self, alarm: Alarm, now: int) -> None: ...
        def background_restricted(self, alarm: Alarm) -> bool: ...
        def exact_change_enabled(self, pkg: InstalledPackage) -> bool: ...
        def has_use_exact_alarm(self, pkg: InstalledPackage) -> bool: ...
        def allowed_by_default(self, pkg: InstalledPackage) -> bool: ...
        def exempt_from_exact_permission(self, pkg: InstalledPackage) -> bool: ...
        def has_schedule_exact_alarm(self, pkg: InstalledPackage) -> bool: ...

    # ================================================================ alarm clocks and idle
    def _update_alarm_clocks(self) -> None:
        clocks = sorted(
            (a for a in self.alarms if a.alarm_clock_ms is not None),
            key=lambda a: (a.when_elapsed, a.seq),
        )
        nxt = (
            AlarmClockInfo(clocks[0].alarm_clock_ms or 0, clocks[0].spec.show_intent
                           if clocks[0].spec else None, clocks[0].package)
            if clocks else None
        )  # fmt: skip
        if nxt != self.next_clock:
            self.next_clock = nxt
            am = self.system.maybe_service(ActivityManagerService)
            if am is not None:
                am.send_broadcast(Intent(action=ACTION_NEXT_ALARM_CLOCK_CHANGED), sender_uid=1000)
        wake = [a.when_elapsed for a in self.alarms if a.flags & FLAG_WAKE_FROM_IDLE]
        nxt_wake = min(wake) if wake else None
        if nxt_wake != self._next_wake_from_idle:
            self._next_wake_from_idle = nxt_wake
            # DeviceIdleController reads getNextWakeFromIdleTime to stay out of idle.
            self.system.bus.publish("alarm_clock_changed", next_trigger_elapsed_ms=nxt_wake)

    def _update_idle_exit(self) -> None:
        """adjustIdleUntilTime: while idling, the idle-until alarm is pulled to 2-15 min before
        the next alarm clock; when it fires, DeviceIdleController sees the upcoming alarm clock
        and leaves idle (stepIdleStateLocked -> becomeActiveLocked("alarm"))."""
        idle_until = self._deep_idle_until()
        wake = self._next_wake_from_idle
        key = (idle_until or 0, wake or 0)
        if self._idle_exit is not None and self._idle_exit[0] == key:
            return
        if self._idle_exit is not None:
            self._idle_exit[1].cancel()
            self._idle_exit = None
        if idle_until is None or wake is None:
            return
        c = self.constants
        if idle_until < wake - c.min_device_idle_fuzz_ms:
            return  # already earlier than the alarm clock
        now = self._now()
        futurity = wake - now
        if futurity <= c.min_device_idle_fuzz_ms:
            at = now
        else:
            fuzz = self.rng.randint(
                c.min_device_idle_fuzz_ms, min(c.max_device_idle_fuzz_ms, futurity)
            )
            at = wake - fuzz
        self._idle_exit = (key, self.call_at(at, "AlarmManager.idle_until", self._exit_idle))

    def _exit_idle(self) -> None:
        self._idle_exit = None
        doze = self._doze()
        if doze is not None and doze.is_deep_idle:
            doze.force_exit_idle("alarm")

    def idle_until_alarm(self) -> Alarm | None:
        """The DeviceIdleController's idle-until alarm while deep idle (for the dump)."""
        until = self._deep_idle_until()
        if until is None:
            return None
        wall_offset = self.device.clock.wall_ms() - self._now()
        alarm = Alarm(
            seq=0, package="android", uid=1000, type=2, orig_when=until, window_ms=0,
            interval_ms=0,
            flags=FLAG_IDLE_UNTIL | FLAG_STANDALONE | FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED,
            stats_tag="*walarm*:DeviceIdleController.deep", spec=None,
            exact_allow_reason="listener" if self.api_level >= 34 else "policy_permission",
            idle_options=None, alarm_clock_ms=None, set_elapsed=self._now(),
            hash=identity_hash("idle-until", until, wall_offset // 1000),
            listener=f"android.app.AlarmManager$ListenerWrapper@{identity_hash('dic', until)}",
        )  # fmt: skip
        alarm.policy = {name: 0 for name in self.era.policies}
        alarm.policy["requester"] = until
        return alarm

    # ================================================================ events
    def _on_idle_state(self, **_: object) -> None:
        self._reevaluate()
        self._changed()

    def _on_reevaluate(self, package: str | None = None, **_: object) -> None:
        self._reevaluate()
        self._release_blocked()
        self._changed()

    def _on_restrictions_changed(self, **_: object) -> None:
        self._reevaluate()
        self._release_blocked()
        self._changed()

    def _on_top_changed(self, package: str, **_: object) -> None:
        self._reevaluate()
        self._release_blocked()
        self._changed()

    def _on_battery(self, event: str, seq: int | None) -> None:
        if self.api_level >= 29:
            if event not in ("charging", "discharging"):
                return
            charging = event == "charging"
        else:
            if event not in ("power_connected", "power_disconnected"):
                return
            charging = event == "power_connected"
        if charging != self.charging:
            # CHARGING_STATUS_CHANGED: mAppStandbyParole, then re-order for the buckets.
            self.charging = charging
            self._reevaluate()
            self._changed()

    def _on_screen(self, on: bool, **_: object) -> None:
        # interactiveStateChangedLocked: the screen coming on delivers the held non-wakeup ones.
        if on == self.interactive:
            return
        self.interactive = on
        now = self._now()
        if on:
            if self.pending_nonwakeup:
                self._flush_delay(now)
                held = list(self.pending_nonwakeup)
                self.pending_nonwakeup.clear()
                self._deliver(held, now)
        else:
            self.non_interactive_start = now

    def _on_appop_changed(self, package: str, uid: int, op: str, mode: str, **_: object) -> None:
        if op == "RUN_ANY_IN_BACKGROUND":
            self._release_blocked()
            self._changed()
        elif op == "SCHEDULE_EXACT_ALARM":
            self._on_exact_op_changed(package, uid)

    def _on_exact_op_changed(self, package: str, uid: int) -> None:
        """The OP_SCHEDULE_EXACT_ALARM watcher: losing the permission removes the app's exact
        alarms and kills it; gaining it sends ACTION_SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED
        (with a foreground-service temp allowlist). Nothing is broadcast on revoke."""
        pkg = self._pm.get(package)
        if pkg is None or not self.exact_change_enabled(pkg):
            return
        if self.has_use_exact_alarm(pkg) or not pkg.requests(SCHEDULE_EXACT_ALARM):
            return
        new = self._appop_mode(package, "SCHEDULE_EXACT_ALARM")
        old = self.last_op_exact.get(uid, "default")
        self.last_op_exact[uid] = new
        if old == new:
            return
        by_default = self.allowed_by_default(pkg)
        had = by_default if old == "default" else old == "allow"
        has = by_default if new == "default" else new == "allow"
        if had and not has:
            self.remove_exact_alarms_on_revoke(package, kill=True)
        elif has and not had:
            self._send_permission_granted(pkg)

    def remove_exact_alarms_on_revoke(self, package: str, kill: bool) -> None:
        """removeExactAlarmsOnPermissionRevoked: all exact alarms (alarm clocks included) go
        with reason ``exact_alarm_permission_revoked``; the app is killed
        (kill_on_schedule_exact_alarm_revoked)."""
        pkg = self._pm.get(package)
        if pkg is None or self.exempt_from_exact_permission(pkg):
            return
        if not self.exact_change_enabled(pkg):
            return
        self.device.log.log(
            "W",
            "AlarmManager",
            f"Package {package}, uid {pkg.uid} lost permission to set exact alarms!",
            pid=self.device.system_server_pid,
        )
        self._remove(
            lambda a: a.uid == pkg.uid and a.package == package and a.window_ms == WINDOW_EXACT,
            REMOVE_EXACT_PERMISSION_REVOKED,
        )
        self._changed()
        if kill and self.constants.kill_on_schedule_exact_alarm_revoked:
            am = self.system.maybe_service(ActivityManagerService)
            if am is not None:
                am.kill(package, "schedule_exact_alarm revoked")

    def _send_permission_granted(self, pkg: InstalledPackage) -> None:
        # AlarmManagerService.sendScheduleExactAlarmPermissionStateChangedBroadcast attaches a
        # TEMPORARY_ALLOW_LIST_TYPE_FOREGROUND_SERVICE_ALLOWED allowlist to the broadcast's
        # options; BroadcastQueue applies it (maybeScheduleTempAllowlistLocked) only to the uid
        # of a receiver the broadcast is delivered to. An app without such a receiver gets none.
        am = self.system.maybe_service(ActivityManagerService)
        if am is None:
            return
        delivered = am.send_broadcast(
            Intent(
                action=ACTION_SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED,
                package=pkg.name,
                flags=PERMISSION_BROADCAST_FLAGS,
            ),
            sender_uid=1000,
        )
        if not delivered:
            return
        reason = (
            f"broadcast:1000:{ACTION_SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED},reason:,"
            "reasonCode:SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED"
        )
        doze = self._doze()
        if doze is not None:
            doze.add_temp_whitelist(pkg.name, BOOT_TIME_TEMP_ALLOWLIST_MS, reason)
        services = self._services()
        if services is not None:
            services.allow_fgs_start_temporarily(
                pkg.name, BOOT_TIME_TEMP_ALLOWLIST_MS,
                "SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED", reason,
            )  # fmt: skip

    def _on_force_stopped(self, package: str, uid: int, **_: object) -> None:
        # ACTION_PACKAGE_RESTARTED: every alarm of the uid goes (not logged as a removal), and
        # the package's delivery histories. Android 15 also cancels the app's PendingIntents
        # on entering the stopped state, which the alarms already went with.
        if uid == 1000:
            return
        self._remove(lambda a: a.uid == uid, None)
        self._forget_package(package)
        self._changed()

    def _on_package_removed(self, package: str, **_: object) -> None:
        self._remove(lambda a: a.package == package, None)
        self._forget_package(package)
        self._changed()

    def _on_data_clearing(self, package: str, **_: object) -> None:
        # AlarmManagerInternal.removeAlarmsForUid from clearApplicationUserData.
        pkg = self._pm.get(package)
        if pkg is not None:
            self._remove(lambda a: a.uid == pkg.uid, REMOVE_DATA_CLEARED)
            self._changed()

    def _on_package_added(self, package: str, replacing: bool = False, **_: object) -> None:
        # CHECK_EXACT_ALARM_PERMISSION_ON_UPDATE: an update that lost the permission loses its
        # exact alarms (the app is not killed for it).
        pkg = self._pm.get(package)
        if not replacing or pkg is None:
            return
        if not self.has_schedule_exact_alarm(pkg) and not self.has_use_exact_alarm(pkg):
            self.remove_exact_alarms_on_revoke(package, kill=False)

    def _release_blocked(self) -> None:
        """sendPendingBackgroundAlarmsLocked / sendAllUnrestrictedPendingBackgroundAlarmsLocked:
        blocked alarms that are no longer restricted are delivered at once."""
        if not self.blocked or self._delivering:
            return
        free = [a for a in self.blocked if not self.background_restricted(a)]
        if not free:
            return
        self.blocked = [a for a in self.blocked if a not in free]
        self._deliver(free, self._now())

    # ================================================================ time
    def set_time(self, wall_ms: int) -> bool:
        """IAlarmManager.setTime (``cmd alarm set-time``): move the wall clock; RTC alarms keep
        their wall time, so their elapsed time moves; ACTION_TIME_CHANGED goes out."""
        clock = self.device.clock
        clock.set_wall_ms(wall_ms)
        now = self._now()
        for alarm in self.alarms:
            if is_rtc(alarm.type):
                alarm.policy["requester"] = self._to_elapsed(alarm.orig_when, alarm.type)
                self.evaluate(alarm, now)
        self.num_time_changed += 1
        self.last_time_change_clock = clock.wall_ms()
        self.last_time_change_realtime = now
        self._changed()
        am = self.system.maybe_service(ActivityManagerService)
        if am is not None:
            am.send_broadcast(Intent(action=ACTION_TIME_CHANGED), sender_uid=1000)
        return True

    def set_timezone(self, tz_id: str) -> None:
        """IAlarmManager.setTimeZone: an unknown or empty id changes nothing."""
        if not tz_id:
            return
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz_id)
        except Exception:
            return
        if self.device.props.get("persist.sys.timezone") == tz_id:
            return
        self.device.set_property("persist.sys.timezone", tz_id)
        am = self.system.maybe_service(ActivityManagerService)
        if am is not None:
            am.send_broadcast(
                Intent(action=ACTION_TIMEZONE_CHANGED, extras={"time-zone": tz_id}),
                sender_uid=1000,
            )
