"""AlarmManagerService: app alarms on the device clock (binder ``alarm``).

An app model schedules with :meth:`AlarmManagerService.set` (an :class:`AlarmSpec` naming the
receiver of its PendingIntent) and cancels with :meth:`AlarmManagerService.cancel`. A due alarm
is delivered as Android delivers a PendingIntent alarm: an explicit broadcast to the app's
receiver with ``EXTRA_ALARM_COUNT`` (``AppModel.on_receive``), preceded by the temp allowlist
the alarm carries (10 s; for exact and alarm-clock alarms of apps targeting 12+ it also allows
starting a foreground service, see :mod:`~.active_services`), and announced on the bus as
``alarm_fired(package, uid, tag, type, wakeup)``.

What decides when an alarm fires (rules in :mod:`~.alarm_rules`, constants in
:mod:`~.alarm_policy`): the requested time and window; deep Doze (only the IDLE state defers;
allow-while-idle alarms within quota and alarm clocks go, and an alarm clock ends idle early);
the standby bucket quota (not while charging); battery saver and background restriction. How it
is printed: :mod:`~.alarm_dump` (``dumpsys alarm`` and ``cmd alarm``).

Alarms live only in memory, so a reboot (a new system server) clears them, as on a phone;
force-stop, uninstall and clear-data remove them too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.virtual.fs import FIRST_APP_UID
from harness.virtual.system.activity import ActivityManagerService, Intent
from harness.virtual.system.alarm_events import AlarmClockInfo, AlarmEvents
from harness.virtual.system.alarm_policy import (
    ALARM_TYPES,
    BUCKET_ACTIVE,
    EXTRA_ALARM_COUNT,
    FLAG_ALLOW_WHILE_IDLE,
    FLAG_FROM_BACKGROUND,
    FLAG_STANDALONE,
    HOUR,
    REMOVE_ALARM_CANCELLED,
    Alarm,
    AlarmConstants,
    AlarmSpec,
    AppWakeupHistory,
    era_for,
    identity_hash,
    is_rtc,
    stats_tag,
)
from harness.virtual.system.alarm_rules import AlarmRules
from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.job_info import (
    IllegalArgumentException,
    IllegalStateException,
    short_component,
)
from harness.virtual.system.packages import InstalledPackage, PackageManagerService

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.shell.registry import Invocation

# RemovedAlarm history per uid (REMOVAL_HISTORY_SIZE_PER_UID).
REMOVAL_HISTORY_SIZE = 10


@dataclass
class RemovedAlarm:
    tag: str
    reason: str
    elapsed_ms: int
    rtc_ms: int


@dataclass
class FilterStats:
    count: int = 0
    wakeups: int = 0
    last_elapsed: int = 0


@system_service
class AlarmManagerService(AlarmEvents, SystemService, AlarmRules):
    names = ("alarm",)
    # After the package manager, app ops, Doze, activity manager, power and usage stats: the
    # rules read them (looked up lazily, since some are optional on old API levels).
    order = 40

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.era = era_for(self.api_level)
        self.constants = AlarmConstants()
        self._pm = system.service(PackageManagerService)
        self.alarms: list[Alarm] = []
        self.blocked: list[Alarm] = []  # "Pending user blocked background alarms"
        self.pending_nonwakeup: list[Alarm] = []  # "Past-due non-wakeup alarms"
        self.app_history = AppWakeupHistory(self.constants.app_standby_window_ms)
        self.awi_history = AppWakeupHistory(self.constants.allow_while_idle_window_ms)
        self.awi_compat_history = AppWakeupHistory(HOUR)
        self.last_awi_dispatch: dict[int, int] = {}  # before S: mLastAllowWhileIdleDispatch
        self.use_awi_short: dict[int, bool] = {}  # before S: mUseAllowWhileIdleShortTime
        self.last_delivered: dict[str, int] = {}  # Android 9: mLastAlarmDeliveredForPackage
        self.removal_history: dict[int, list[RemovedAlarm]] = {}
        self.last_op_exact: dict[int, str] = {}  # mLastOpScheduleExactAlarm
        self.stats: dict[tuple[int, str], dict[str, FilterStats]] = {}
        self.send_count = 0
        self.charging = True
        self.interactive = True
        self.non_interactive_start = 0
        self.last_delivery_time = 0
        self.next_nonwakeup_delivery = 0
        self.start_current_delay = 0
        self.num_delayed = 0
        self.total_delay = 0
        self.max_delay = 0
        self.next_wakeup = 0
        self.next_nonwakeup = 0
        self.next_wakeup_set_at = 0
        self.next_nonwakeup_set_at = 0
        self.last_wakeup = 0
        self.last_trigger = 0
        self.num_time_changed = 0
        self.last_time_change_clock = self.device.clock.wall_ms()
        self.last_time_change_realtime = 0
        self.next_clock: AlarmClockInfo | None = None
        self._next_wake_from_idle: int | None = None
        self._seq = 0
        self._timer: Timer | None = None
        self._idle_exit: tuple[tuple[int, int], Timer] | None = None
        self._delivering = False
        self.rng = random.Random(f"{self.device.serial_number}:{self.device.boot_count}")

    # ================================================================ lifecycle
    def start(self) -> None:
        bus = self.system.bus
        for event, handler in (
            ("idle_state_changed", self._on_idle_state),
            ("power_save_changed", self._on_reevaluate),
            ("bucket_changed", self._on_reevaluate),
            ("whitelist_changed", self._on_restrictions_changed),
            ("top_changed", self._on_top_changed),
            ("appop_changed", self._on_appop_changed),
            ("screen_changed", self._on_screen),
            ("package_force_stopped", self._on_force_stopped),
            ("package_removed", self._on_package_removed),
            ("package_data_clearing", self._on_data_clearing),
            ("package_added", self._on_package_added),
        ):
            bus.subscribe(event, handler)
        battery = self.system.find("battery")
        if battery is not None and hasattr(battery, "add_listener"):
            # BatteryManager.isCharging at boot, then ACTION_CHARGING / ACTION_DISCHARGING
            # (ChargingReceiver); Android 9 took parole from the plug state.
            if self.api_level >= 29:
                self.charging = bool(battery.stats.charging)
            else:
                self.charging = battery.plugged != "none"
            battery.add_listener(self._on_battery)
        power = self.system.find("power")
        self.interactive = bool(getattr(power, "screen_on", True))

    def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._idle_exit is not None:
            self._idle_exit[1].cancel()

    # ================================================================ Python API (app models)
    def set(self, package: str, spec: AlarmSpec) -> None:
        """``AlarmManager.set*()`` with a PendingIntent for ``spec.receiver``.

        Replaces an alarm with the same PendingIntent. Raises ``SecurityException`` (an exact
        alarm without the permission the release requires, with Android's message),
        ``IllegalArgumentException`` (bad type) or ``IllegalStateException`` (500 alarms)."""
        pkg = self._package(package)
        if spec.type not in ALARM_TYPES:
            raise IllegalArgumentException(f"Invalid alarm type {spec.type}")
        now = self._now()
        interval = spec.interval_ms
        if 0 < interval < self.constants.min_interval_ms:
            # "Suspiciously short interval ... expanding to 60 seconds"
            interval = self.constants.min_interval_ms
        elif interval > self.constants.max_interval_ms and self.api_level >= 28:
            interval = self.constants.max_interval_ms
        alarm_type = spec.type
        flags, window, reason, idle = self.classify(pkg, spec, now)
        orig_when = max(0, spec.trigger_at_ms)
        nominal = self._to_elapsed(orig_when, alarm_type)
        # "Try to prevent spamming by making sure apps aren't firing alarms in the immediate
        # future" (core uids are exempt).
        min_trigger = now + (0 if pkg.uid < FIRST_APP_UID else self.constants.min_futurity_ms)
        trigger_elapsed = max(min_trigger, nominal)
        window = self.resolve_window(pkg, window, trigger_elapsed, interval, now)
        if self.api_level >= 30:
            count = sum(1 for a in self._all_alarms() if a.uid == pkg.uid)
            if count >= self.constants.max_alarms_per_uid:
                raise IllegalStateException(
                    f"Maximum limit of concurrent alarms {self.constants.max_alarms_per_uid} "
                    f"reached for uid: {pkg.app_id_name}, callingPackage: {package}"
                )
        key = spec.operation_key(package)
        self._remove(lambda a: a.matches(package, key), None)
        receiver = spec.qualified_receiver(package)
        self._seq += 1
        alarm = Alarm(
            seq=self._seq,
            package=package,
            uid=pkg.uid,
            type=alarm_type,
            orig_when=orig_when,
            window_ms=window,
            interval_ms=interval,
            flags=flags,
            stats_tag=stats_tag(
                alarm_type, spec.action, None if spec.action else short_component(package, receiver)
            ),
            spec=spec,
            exact_allow_reason=reason,
            idle_options=idle,
            alarm_clock_ms=orig_when if spec.alarm_clock else None,
            set_elapsed=now,
            hash=identity_hash("alarm", package, self._seq, self.device.boot_count),
            pi_hash=identity_hash("pi", package, key),
            pir_hash=identity_hash("pir", package, key),
        )
        alarm.policy["requester"] = trigger_elapsed
        self.evaluate(alarm, now)
        self.alarms.append(alarm)
        self._changed()

    def cancel(self, package: str, what: AlarmSpec | str) -> int:
        """``AlarmManager.cancel(PendingIntent)``: remove the alarm of this PendingIntent (an
        AlarmSpec with the same receiver, action and request code) or, given a string, every
        alarm of the package whose action, receiver or stats tag is that string. Returns how
        many alarms were removed; they are logged as ``alarm_cancelled``."""
        if isinstance(what, AlarmSpec):
            key = what.operation_key(package)
            removed = self._remove(lambda a: a.matches(package, key), REMOVE_ALARM_CANCELLED)
        else:
            text = what

            def match(a: Alarm) -> bool:
                spec = a.spec
                return (
                    a.package == package
                    and spec is not None
                    and text in (spec.action, spec.qualified_receiver(package), a.stats_tag,
                                 spec.receiver)
                )  # fmt: skip

            removed = self._remove(match, REMOVE_ALARM_CANCELLED)
        self._changed()
        return removed

    def cancel_all(self, package: str) -> int:
        """``AlarmManager.cancelAll()`` (Android 14+): every alarm the package set."""
        removed = self._remove(lambda a: a.package == package, REMOVE_ALARM_CANCELLED)
        self._changed()
        return removed

    def can_schedule_exact_alarms(self, package: str) -> bool:
        """``AlarmManager.canScheduleExactAlarms()`` for the package."""
        return self.can_schedule_exact(self._package(package))

    def next_alarm_clock(self) -> AlarmClockInfo | None:
        """``AlarmManager.getNextAlarmClock()``: the earliest alarm clock of any app."""
        return self.next_clock

    def pending(self, package: str | None = None) -> list[Alarm]:
        """The scheduled alarms (in delivery order), for inspection."""
        alarms = [a for a in self._all_alarms() if package is None or a.package == package]
        return sorted(alarms, key=lambda a: (a.when_elapsed, a.seq))

    # ================================================================ state the rules read
    def _now(self) -> int:
        return self.device.clock.elapsed_ms()

    def _package(self, package: str) -> InstalledPackage:
        pkg = self._pm.get(package)
        if pkg is None:
            raise LookupError(f"package {package} is not installed")
        return pkg

    def _doze(self) -> Any:
        return self.system.find("deviceidle")

    def _deep_idle_until(self) -> int | None:
        doze = self._doze()
        if doze is None or not doze.is_deep_idle:
            return None
        until = doze.next_alarm_elapsed_ms
        return until if until is not None else self._now() + HOUR

    def _battery_saver(self) -> bool:
        power = self.system.find("power")
        return bool(getattr(power, "battery_saver_enabled", False))

    def _services(self) -> Any:
        from harness.virtual.system.active_services import ActiveServices

        return self.system.maybe_service(ActiveServices)

    def _uid_active(self, package: str) -> bool:
        services = self._services()
        if services is not None:
            return bool(services.is_uid_active(package))
        am = self.system.maybe_service(ActivityManagerService)
        pkg = self._pm.get(package)
        return bool(am and pkg and am.uid_is_active(pkg.uid))

    def _power_exempt(self, package: str) -> bool:
        doze = self._doze()
        return bool(doze is not None and doze.is_except_idle_whitelisted(package))

    def _power_whitelisted(self, package: str) -> bool:
        doze = self._doze()
        return bool(doze is not None and doze.is_whitelisted(package))

    def _user_whitelisted(self, package: str) -> bool:
        doze = self._doze()
        return bool(doze is not None and package in doze.whitelist.user)

    def _bucket(self, package: str) -> int:
        usage = self.system.find("usagestats")
        if usage is None or self.api_level < 28:
            return BUCKET_ACTIVE
        return int(usage.bucket(package))

    def _standby_enabled(self) -> bool:
        usage = self.system.find("usagestats")
        return bool(usage is not None and usage.app_standby_enabled)

    def _run_any_restricted(self, package: str) -> bool:
        appops = self.system.find("appops")
        return bool(appops is not None and appops.is_background_restricted(package))

    def _appop_mode(self, package: str, op: str) -> str:
        appops = self.system.find("appops")
        if appops is None or appops.known_op(op) is None:
            return "default"
        return str(appops.mode(package, op))

    def _to_elapsed(self, when: int, alarm_type: int) -> int:
        """convertToElapsed: RTC times move with the wall clock."""
        if is_rtc(alarm_type):
            clock = self.device.clock
            return when - (clock.wall_ms() - clock.elapsed_ms())
        return when

    def _all_alarms(self) -> list[Alarm]:
        return [*self.alarms, *self.blocked, *self.pending_nonwakeup]

    # ================================================================ removal
    def _remove(self, which: Any, reason: str | None) -> int:
        """removeAlarmsInternalLocked: from the store, the blocked and the past-due lists; the
        loggable reasons go to the per-uid removal history."""
        removed: list[Alarm] = []
        for bucket in (self.alarms, self.blocked, self.pending_nonwakeup):
            keep = [a for a in bucket if not which(a)]
            removed += [a for a in bucket if which(a)]
            bucket[:] = keep
        if reason is not None:
            now, wall = self._now(), self.device.clock.wall_ms()
            for alarm in removed:
                ring = self.removal_history.setdefault(alarm.uid, [])
                ring.append(RemovedAlarm(alarm.stats_tag, reason, now, wall))
                del ring[:-REMOVAL_HISTORY_SIZE]
        return len(removed)

    def _forget_package(self, package: str) -> None:
        for history in (self.app_history, self.awi_history, self.awi_compat_history):
            history.remove(package)
        self.last_delivered.pop(package, None)

    # ================================================================ scheduling
    def _reevaluate(self, package: str | None = None) -> None:
        now = self._now()
        for alarm in self.alarms:
            if package is None or alarm.package == package:
                self.evaluate(alarm, now)

    def _changed(self) -> None:
        """After any change: next alarm clock, wake-from-idle, idle exit, the kernel timer."""
        if self._delivering:
            return  # the delivery loop finishes with this
        self._update_alarm_clocks()
        self._update_idle_exit()
        self._rearm()

    def _next_delivery(self, alarms: list[Alarm]) -> int:
        """The kernel alarm time: LazyAlarmStore.getNextDeliveryTime (12+: the earliest end of
        the overlapping windows) or the first batch start (batches before 12); 0 for none."""
        if not alarms:
            return 0
        if self.era.pending_layout:
            ordered = sorted(alarms, key=lambda a: (a.when_elapsed, a.seq))
            nxt = ordered[0].max_when_elapsed
            for alarm in ordered[1:]:
                if alarm.when_elapsed > nxt:
                    break
                nxt = min(nxt, alarm.max_when_elapsed)
            return nxt
        return min(b.start for b in build_batches(alarms))

    def _rearm(self) -> None:
        now = self._now()
        wakeups = [a for a in self.alarms if a.wakeup]
        first_wakeup = self._next_delivery(wakeups)
        first = self._next_delivery(self.alarms)
        if first_wakeup:
            self.next_wakeup, self.next_wakeup_set_at = first_wakeup, now
        next_nonwakeup = first if first and first != first_wakeup else 0
        if self.pending_nonwakeup and (
            next_nonwakeup == 0 or self.next_nonwakeup_delivery < next_nonwakeup
        ):
            next_nonwakeup = self.next_nonwakeup_delivery
        if next_nonwakeup:
            self.next_nonwakeup, self.next_nonwakeup_set_at = next_nonwakeup, now
        candidates = [t for t in (first, next_nonwakeup if self.pending_nonwakeup else 0) if t]
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if candidates:
            self._timer = self.call_at(max(now, min(candidates)), "AlarmManager", self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = self._now()
        self.last_wakeup = self.last_trigger = now
        due = self._take_due(now)
        trigger: list[Alarm] = []
        for alarm in due:
            if self.background_restricted(alarm):
                self.blocked.append(alarm)
                continue
            trigger.append(alarm)
        has_wakeup = any(a.wakeup for a in trigger)
        if trigger and not has_wakeup and self._allow_nonwakeup_delay(now):
            # checkAllowNonWakeupDelayLocked: with the screen off, non-wakeup alarms wait for
            # the next wakeup delivery (at most 1.5x the current fuzz).
            if not self.pending_nonwakeup:
                self.start_current_delay = now
                self.next_nonwakeup_delivery = now + self._nonwakeup_fuzz(now) * 3 // 2
            self.pending_nonwakeup += trigger
            self.num_delayed += len(trigger)
            self._changed()
            return
        if self.pending_nonwakeup and (trigger or now >= self.next_nonwakeup_delivery):
            self._flush_delay(now)
            trigger += self.pending_nonwakeup
            self.pending_nonwakeup.clear()
        self._deliver(trigger, now)

    def _take_due(self, now: int) -> list[Alarm]:
        """removePendingAlarms: what is due now (a standalone alarm goes alone); before 12 the
        batches that started."""
        if self.era.pending_layout:
            due = [a for a in self.alarms if a.when_elapsed <= now]
            standalone = [a for a in due if a.flags & FLAG_STANDALONE]
            chosen = standalone or due
        else:
            chosen = [a for b in build_batches(self.alarms) if b.start <= now for a in b.alarms]
        ids = {id(a) for a in chosen}
        self.alarms = [a for a in self.alarms if id(a) not in ids]
        return sorted(chosen, key=lambda a: (not a.wakeup, a.requested_elapsed, a.seq))

    def _nonwakeup_fuzz(self, now: int) -> int:
        """currentNonWakeupFuzzLocked: 2 min, 15 min or an hour after the screen went off."""
        since = now - self.non_interactive_start
        if since < 5 * 60_000:
            return 2 * 60_000
        if since < 30 * 60_000:
            return 15 * 60_000
        return HOUR

    def _allow_nonwakeup_delay(self, now: int) -> bool:
        if self.api_level >= 34 and not self.constants.delay_nonwakeup_alarms_while_screen_off:
            return False
        if self.interactive or self.last_delivery_time <= 0:
            return False
        if self.pending_nonwakeup and self.next_nonwakeup_delivery < now:
            return False
        return now - self.last_delivery_time <= self._nonwakeup_fuzz(now)

    def _flush_delay(self, now: int) -> None:
        delay = now - self.start_current_delay
        self.total_delay += delay
        self.max_delay = max(self.max_delay, delay)

    # ================================================================ delivery
    def _deliver(self, trigger: list[Alarm], now: int) -> None:
        # An app's onReceive may set alarms, start activities (top_changed) or turn the screen
        # on; those re-enter here, so the outermost delivery finishes the bookkeeping.
        outer = not self._delivering
        self._delivering = True
        doze = self._doze()
        try:
            for alarm in trigger:
                self._reschedule_repeating(alarm, now)
            self.last_delivery_time = now
            if trigger and doze is not None:
                doze.register_activity("alarms", True)
            for alarm in trigger:
                self._send(alarm, now)
        finally:
            if outer:
                self._delivering = False
            if trigger and doze is not None and outer:
                doze.register_activity("alarms", False)
        if outer:
            self._reevaluate()
            self._release_blocked()
            self._changed()

    def _reschedule_repeating(self, alarm: Alarm, now: int) -> None:
        """triggerAlarmsLocked: a repeating alarm is set again for its next interval; the
        count says how many intervals passed."""
        alarm.count = 1
        if alarm.interval_ms <= 0 or alarm.spec is None:
            return
        alarm.count += (now - alarm.requested_elapsed) // alarm.interval_ms
        delta = alarm.count * alarm.interval_ms
        self._seq += 1
        nxt = Alarm(
            seq=self._seq,
            package=alarm.package,
            uid=alarm.uid,
            type=alarm.type,
            orig_when=alarm.orig_when + delta,
            window_ms=alarm.window_ms if alarm.window_ms == 0 else int(0.75 * alarm.interval_ms),
            interval_ms=alarm.interval_ms,
            flags=alarm.flags,
            stats_tag=alarm.stats_tag,
            spec=alarm.spec,
            exact_allow_reason=None,
            idle_options=alarm.idle_options,
            alarm_clock_ms=alarm.alarm_clock_ms,
            set_elapsed=now,
            hash=identity_hash("alarm", alarm.package, self._seq, self.device.boot_count),
            pi_hash=alarm.pi_hash,
            pir_hash=alarm.pir_hash,
        )
        nxt.policy["requester"] = alarm.requested_elapsed + delta
        self.evaluate(nxt, now)
        self.alarms.append(nxt)

    def _send(self, alarm: Alarm, now: int) -> None:
        """DeliveryTracker.deliverLocked: record the histories the quotas count, grant the
        alarm's temp allowlist, then send the PendingIntent."""
        doze_idle = self._deep_idle_until() is not None
        saver = self._battery_saver()
        if self.era.awi == "quota":
            if (doze_idle or saver) and alarm.allow_while_idle_restricted:
                history = (
                    self.awi_history
                    if alarm.flags & FLAG_ALLOW_WHILE_IDLE
                    else self.awi_compat_history
                )
                history.record(alarm.package, now)
        elif alarm.flags & FLAG_ALLOW_WHILE_IDLE:
            # "Record the last time this uid handled an ALLOW_WHILE_IDLE alarm."
            self.last_awi_dispatch[alarm.uid] = now
            self.use_awi_short[alarm.uid] = self._uid_active(alarm.package)
        if not self.exempt_from_standby(alarm):
            if self.era.standby == "delay":
                self.last_delivered[alarm.package] = now
            elif self.era.standby == "quota":
                self.app_history.record(alarm.package, now)
        stats = self.stats.setdefault((alarm.uid, alarm.package), {})
        fs = stats.setdefault(alarm.stats_tag, FilterStats())
        fs.count += 1
        fs.last_elapsed = now
        if alarm.wakeup:
            fs.wakeups += 1
        self.send_count += 1
        self._grant_temp_allowlist(alarm)
        self.system.bus.publish(
            "alarm_fired",
            package=alarm.package,
            uid=alarm.uid,
            tag=alarm.stats_tag,
            type=alarm.type,
            wakeup=alarm.wakeup,
        )
        spec = alarm.spec
        am = self.system.maybe_service(ActivityManagerService)
        if spec is None or am is None:
            return
        intent = Intent(
            action=spec.action,
            component=f"{alarm.package}/{spec.qualified_receiver(alarm.package)}",
            extras={**spec.extras, EXTRA_ALARM_COUNT: alarm.count},
            flags=FLAG_FROM_BACKGROUND,
        )
        am.send_broadcast(intent, sender_uid=1000)

    def _grant_temp_allowlist(self, alarm: Alarm) -> None:
        """BroadcastOptions.setTemporaryAppAllowlist of the alarm's idle options: the app is
        exempt from Doze for ``allow_while_idle_whitelist_duration`` (10 s) and, for exact and
        alarm-clock alarms of apps targeting 12+, may start a foreground service meanwhile."""
        if alarm.idle_options is None:
            return
        (_code, name), fgs_allowed = alarm.idle_options
        duration = self.constants.allow_while_idle_whitelist_duration_ms
        action = alarm.spec.action if alarm.spec is not None else None
        reason = f"broadcast:1000:{action},reason:,reasonCode:{name}"
        doze = self._doze()
        if doze is not None:
            doze.add_temp_whitelist(alarm.package, duration, reason)
        services = self._services()
        if services is not None and fgs_allowed:
            services.allow_fgs_start_temporarily(alarm.package, duration, name, reason)

    # ================================================================ shell
    async def dump(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.alarm_dump import dump

        return dump(self, inv, args)

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.alarm_dump import shell_command

        return shell_command(self, inv, args)


@dataclass
class Batch:
    """BatchingAlarmStore's Batch (before Android 12): alarms whose windows overlap."""

    start: int
    end: int
    flags: int
    alarms: list[Alarm]


def build_batches(alarms: list[Alarm]) -> list[Batch]:
    """attemptCoalesceLocked in the order the alarms were set: an alarm joins the first batch
    whose window it overlaps (standalone alarms get their own)."""
    batches: list[Batch] = []
    for alarm in sorted(alarms, key=lambda a: a.seq):
        when, latest = alarm.when_elapsed, alarm.max_when_elapsed
        home = None
        if not alarm.flags & FLAG_STANDALONE:
            for batch in sorted(batches, key=lambda b: b.start):
                if batch.flags & FLAG_STANDALONE:
                    continue
                if batch.end >= when and batch.start <= latest:
                    home = batch
                    break
        if home is None:
            batches.append(Batch(when, latest, alarm.flags, [alarm]))
            continue
        home.alarms.append(alarm)
        home.start = max(home.start, when)
        home.end = min(home.end, latest)
        home.flags |= alarm.flags
    for batch in batches:
        batch.alarms.sort(key=lambda a: (a.when_elapsed, a.seq))
    return sorted(batches, key=lambda b: (b.start, b.end))


__all__ = ["AlarmClockInfo", "AlarmManagerService", "AlarmSpec", "Batch", "build_batches"]
