"""``dumpsys alarm`` and ``cmd alarm`` of the virtual AlarmManagerService.

The dump follows AlarmManagerService.dumpImpl of the modelled release: the "batches" layout
before Android 12 (``Pending alarm batches: N`` and unindented ``Batch{...}:`` lines, the
Android 8 and Android 9 detail lines), the "pending" layout from Android 12 (``N pending
alarms:`` with ``policyWhenElapsed:`` lines; TARE's policy on 13/14). Sections print in the
source's order; counters the model does not keep (wakelock stats, kernel timers) are derived
from what it does keep. ``harness.android.alarm`` reads this output as it reads the captures.

``cmd alarm`` is the ShellCmd of Android 9+: ``set-time``, ``set-timezone`` and (12+)
``get-config-version``; errors print as the Java exception on stdout with exit code 255.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from harness.virtual.fs import FIRST_APP_UID
from harness.virtual.system.alarm_policy import (
    FLAG_ALLOW_WHILE_IDLE,
    FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED,
    FLAG_WAKE_FROM_IDLE,
    SCHEDULE_EXACT_ALARM,
    Alarm,
    is_rtc,
    type_label,
)
from harness.virtual.system.javafmt import (
    JavaNumberFormatError,
    format_duration,
    format_time_relative,
    parse_java_long,
)

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.alarm import AlarmManagerService


def _format_uid(uid: int) -> str:
    """UserHandle.formatUid for user 0."""
    return f"u0a{uid - FIRST_APP_UID}" if uid >= FIRST_APP_UID else str(uid)


def _jbool(value: bool) -> str:
    return "true" if value else "false"


class _Printer:
    """An IndentingPrintWriter-ish list of lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, indent: int, text: str = "") -> None:
        self.lines.append(" " * indent + text if text else "")


class _Dump:
    def __init__(self, svc: AlarmManagerService) -> None:
        self.svc = svc
        self.era = svc.era
        self.api = svc.api_level
        self.now = svc.device.clock.elapsed_ms()
        self.wall = svc.device.clock.wall_ms()
        self.p = _Printer()

    # ------------------------------------------------------------------ formatting
    def date(self, wall_ms: int) -> str:
        """SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS") in the device time zone (Android 8
        printed no milliseconds)."""
        name = self.svc.device.props.get("persist.sys.timezone", "Etc/UTC") or "Etc/UTC"
        try:
            from zoneinfo import ZoneInfo

            tz: dt.tzinfo = ZoneInfo(name)
        except Exception:
            tz = dt.UTC
        moment = dt.datetime.fromtimestamp(wall_ms / 1000, tz)
        text = moment.strftime("%Y-%m-%d %H:%M:%S")
        if self.api >= 28:
            text += f".{int(wall_ms) % 1000:03d}"
        return text

    def rel(self, elapsed: int) -> str:
        return format_time_relative(elapsed, self.now)

    def kv(self, key: str, value: object) -> str:
        """IndentingPrintWriter.print(key, value): ``key=value `` (a trailing space)."""
        text = f"{key}={value}"
        return text + " " if self.era.trailing_space else text

    def when_text(self, alarm: Alarm, when: int) -> str:
        return self.date(when) if is_rtc(alarm.type) else self.rel(when)

    # ------------------------------------------------------------------ sections
    def settings(self) -> None:
        p, c = self.p, self.svc.constants
        durations = {
            "min_futurity": c.min_futurity_ms,
            "min_interval": c.min_interval_ms,
            "max_interval": c.max_interval_ms,
            "min_window": c.min_window_ms,
            "listener_timeout": c.listener_timeout_ms,
            "allow_while_idle_window": c.allow_while_idle_window_ms,
            "allow_while_idle_compat_window": self.era.compat_window_ms,
            "allow_while_idle_whitelist_duration": c.allow_while_idle_whitelist_duration_ms,
            "allow_while_idle_short_time": c.allow_while_idle_short_ms,
            "allow_while_idle_long_time": c.allow_while_idle_long_ms,
            "app_standby_window": c.app_standby_window_ms,
            "app_standby_restricted_window": c.standby_restricted_window_ms,
            "priority_alarm_delay": c.priority_alarm_delay_ms,
            "min_device_idle_fuzz": c.min_device_idle_fuzz_ms,
            "max_device_idle_fuzz": c.max_device_idle_fuzz_ms,
            "cached_listener_removal_delay": 10_000,
        }
        names = ("active", "working", "frequent", "rare", "never")
        for name, delay in zip(names, c.standby_delays_ms, strict=True):
            durations[f"standby_{name}_delay"] = delay
        values: dict[str, object] = {
            "version": 1,
            "allow_while_idle_quota": c.allow_while_idle_quota,
            "allow_while_idle_compat_quota": self.era.compat_quota,
            "max_alarms_per_uid": c.max_alarms_per_uid,
            "standby_quota_restricted": c.standby_restricted_quota,
            "standby_restricted_quota": c.standby_restricted_quota,
            "lazy_batching": "true",
            "time_tick_allowed_while_idle": "true",
            "crash_non_clock_apps": "true",
            "exact_alarm_deny_list": "[]",
            "kill_on_schedule_exact_alarm_revoked": _jbool(c.kill_on_schedule_exact_alarm_revoked),
            "enable_tare": "false",
            "temporary_quota_bump": 0,
            "delay_nonwakeup_alarms_while_screen_off": _jbool(
                c.delay_nonwakeup_alarms_while_screen_off
            ),
        }
        for name, quota in zip(names, c.standby_quotas, strict=True):
            values[f"standby_quota_{name}"] = quota
            values[f"standby_{name}_quota"] = quota
        p(2, "Settings:")
        for key in self.era.settings:
            if key in durations:
                # standby_active_delay=0 prints TimeUtils' "0".
                p(4, f"{key}={format_duration(durations[key])}")
            else:
                p(4, self.kv(key, values[key]))
        p(0)

    def app_state_tracker(self) -> None:
        """AppStateTrackerImpl.dump (Android 9-11 without a title, 12+ under one)."""
        svc, p = self.svc, self.p
        doze = svc._doze()
        usage = svc.system.find("usagestats")
        appops = svc.system.find("appops")
        power = svc.system.find("power")
        modern = self.era.pending_layout
        word = "exemption list" if modern else "whitelist"
        ind = 4 if modern else 2
        if modern:
            p(2, "Current AppStateTracker State:")
        if self.api <= 33:
            p(ind, "Forced App Standby Feature enabled: true")
        p(ind, f"Force all apps standby: {_jbool(svc._battery_saver())}")
        p(ind, "Small Battery Device: false")
        p(ind, "Force all apps standby for small battery device: false")
        plugged = bool(getattr(power, "is_powered", True))
        p(ind, f"Plugged In: {_jbool(plugged)}")
        pkgs = svc._pm.packages()
        active = sorted({pk.uid for pk in pkgs if pk.uid >= FIRST_APP_UID and
                         svc._uid_active(pk.name)})  # fmt: skip
        p(ind, f"Active uids: [{' '.join(_format_uid(u) for u in active)}]")
        if not modern:
            p(ind, f"Foreground uids: [{' '.join(_format_uid(u) for u in active)}]")
        if doze is not None:
            except_idle = ", ".join(str(a) for a in doze.whitelist.except_idle_app_ids())
            user = ", ".join(str(a) for a in doze.whitelist.user_app_ids())
            temp = ", ".join(str(a) for a in doze.temp_whitelist_app_ids())
            p(ind, f"Except-idle + user {word} appids: [{except_idle}]")
            p(ind, f"User {word} appids: [{user}]")
            p(ind, f"Temp {word} appids: [{temp}]")
        exempted = [pk.name for pk in pkgs if usage is not None and svc.api_level >= 28
                    and usage.bucket(pk.name) == 5]  # fmt: skip
        if modern:
            p(ind, "Exempted bucket packages:")
            p(ind + 2, "User 0")
            for name in exempted:
                p(ind + 4, name)
        else:
            p(ind, "Exempted packages:")
            for name in exempted:
                p(ind + 2, name)
        p(ind if modern else 0, "")
        p(ind, "Restricted packages:")
        for pk in pkgs:
            if appops is not None and appops.is_background_restricted(pk.name):
                p(ind + 2, f"{_format_uid(pk.uid)} {pk.name}")
        p(0)

    def parole(self) -> None:
        self.p(2, f"App Standby Parole: {_jbool(self.svc.charging)}")
        self.p(0)

    def clock_block(self) -> None:
        p, svc = self.p, self.svc
        p(2, f"nowRTC={self.wall}={self.date(self.wall)} nowELAPSED={self.now}")
        p(2, f"mLastTimeChangeClockTime={svc.last_time_change_clock}="
             f"{self.date(svc.last_time_change_clock)}")  # fmt: skip
        if self.api < 28:
            p(2, f"mLastTimeChangeRealtime={format_duration(svc.last_time_change_realtime)}")
            return
        p(2, f"mLastTimeChangeRealtime={svc.last_time_change_realtime}")
        # TIME_TICK is not modelled as an alarm; its times are the minute boundaries it keeps.
        tick = self.wall - self.wall % 60_000
        since_boot = self.wall - self.now
        last_tick = self.date(tick if tick >= since_boot else since_boot)
        if not self.era.pending_layout:
            p(2, f"mLastTickIssued={last_tick}")
        p(2, f"mLastTickReceived={last_tick}")
        p(2, f"mLastTickSet={last_tick}")
        p(0)
        if self.era.pending_layout:
            p(2, "Recent TIME_TICK history:")
            for i in range(10):
                t = tick - i * 60_000
                p(4, self.date(t) if t >= since_boot else "-")
            p(0)
        p(2, f"RuntimeStarted={self.date(since_boot)}")
        p(2, f"Runtime uptime (elapsed): {format_duration(self.now)}")
        p(2, f"Runtime uptime (uptime): {format_duration(self.now)}")
        p(0)

    def next_block(self) -> None:
        p, svc = self.p, self.svc
        if self.api < 28:
            p(2, f"Next non-wakeup alarm: {self.rel(svc.next_nonwakeup)} = "
                 f"{self.date(svc.next_nonwakeup + self.wall - self.now)}")  # fmt: skip
            p(2, f"Next wakeup: {self.rel(svc.next_wakeup)} = "
                 f"{self.date(svc.next_wakeup + self.wall - self.now)}")  # fmt: skip
            p(2, f"Last wakeup: {self.rel(svc.last_wakeup)} set at "
                 f"{self.rel(svc.next_wakeup_set_at)}")  # fmt: skip
            p(2, f"Num time change events: {svc.num_time_changed}")
            doze = svc._doze()
            user = ", ".join(str(a) for a in doze.whitelist.user_app_ids()) if doze else ""
            p(2, f"mDeviceIdleUserWhitelist=[{user}]")
            p(0)
            return
        if not svc.interactive:
            p(2, f"Time since non-interactive: "
                 f"{format_duration(self.now - svc.non_interactive_start)}")  # fmt: skip
        p(2, f"Max wakeup delay: {format_duration(svc._nonwakeup_fuzz(self.now))}")
        p(2, f"Time since last dispatch: {format_duration(self.now - svc.last_delivery_time)}")
        p(2, f"Next non-wakeup delivery time: {self.rel(svc.next_nonwakeup_delivery)}")
        for label, when, set_at in (
            ("non-wakeup", svc.next_nonwakeup, svc.next_nonwakeup_set_at),
            ("wakeup", svc.next_wakeup, svc.next_wakeup_set_at),
        ):
            p(2, f"Next {label} alarm: {self.rel(when)} = {when} = "
                 f"{self.date(when + self.wall - self.now)}")  # fmt: skip
            if self.era.pending_layout or label == "wakeup":
                p(4, f"set at {self.rel(set_at)}")
        if self.era.pending_layout:
            p(2, f"Next kernel non-wakeup alarm: {self._kernel(svc.next_nonwakeup)}")
            p(2, f"Next kernel wakeup alarm: {self._kernel(svc.next_wakeup)}")
        p(2, f"Last wakeup: {self.rel(svc.last_wakeup)} = {svc.last_wakeup}")
        p(2, f"Last trigger: {self.rel(svc.last_trigger)} = {svc.last_trigger}")
        p(2, f"Num time change events: {svc.num_time_changed}")
        p(0)
        if self.era.pending_layout:
            requesting = sorted(
                pk.uid for pk in svc._pm.packages() if pk.requests(SCHEDULE_EXACT_ALARM)
            )
            p(2, f"App ids requesting SCHEDULE_EXACT_ALARM: {{{', '.join(map(str, requesting))}}}")
            p(0)
            ops = []
            for pk in svc._pm.packages():
                if pk.requests(SCHEDULE_EXACT_ALARM):
                    mode = svc.last_op_exact.get(
                        pk.uid, svc._appop_mode(pk.name, "SCHEDULE_EXACT_ALARM")
                    )
                    ops.append((pk.uid, mode))
            text = ", ".join(f"{_format_uid(u)}:{m}" for u, m in sorted(ops))
            p(2, f"Last OP_SCHEDULE_EXACT_ALARM: [{text}]")
            p(0)

    def _kernel(self, when: int) -> str:
        return format_duration(when - self.now) if when else "0"

    def alarm_clock_info(self) -> None:
        p, nxt = self.p, self.svc.next_clock
        p(2, "Next alarm clock information: ")
        if nxt is not None:
            p(4, f"user:0 pendingSend:false time:{nxt.trigger_time_ms} = "
                 f"{self.date(nxt.trigger_time_ms)} = "
                 f"{format_duration(nxt.trigger_time_ms - self.wall)}")  # fmt: skip
        p(0)

    # ------------------------------------------------------------------ one alarm
    def header(self, alarm: Alarm) -> str:
        if self.era.pending_layout:
            return (
                f"Alarm{{{alarm.hash} type {alarm.type} origWhen {alarm.orig_when} "
                f"whenElapsed {alarm.when_elapsed} {alarm.package}}}"
            )
        return f"Alarm{{{alarm.hash} type {alarm.type} when {alarm.orig_when} {alarm.package}}}"

    def operation(self, alarm: Alarm) -> str:
        return (
            f"PendingIntent{{{alarm.pi_hash}: PendingIntentRecord{{{alarm.pir_hash} "
            f"{alarm.package} broadcastIntent}}}}"
        )

    def idle_options(self, alarm: Alarm) -> str | None:
        if alarm.idle_options is None or not self.era.pending_layout:
            return None
        if self.api >= 35:
            return "Bundle[{android.pendingIntent.backgroundActivityAllowed=2}]"
        (code, _name), fgs = alarm.idle_options
        duration = self.svc.constants.allow_while_idle_whitelist_duration_ms
        return (
            "Bundle[{android.pendingIntent.backgroundActivityAllowed=false, "
            f"android:broadcast.temporaryAppAllowlistReasonCode={code}, "
            f"android:broadcast.temporaryAppAllowlistDuration={duration}, "
            "android:broadcast.temporaryAppAllowlistReason=, "
            f"android:broadcast.temporaryAppAllowlistType={0 if fgs else 1}}}]"
        )

    def alarm_details(self, alarm: Alarm, ind: int) -> None:
        """Alarm.dump of the release."""
        p = self.p
        p(ind, f"tag={alarm.stats_tag}")
        if self.era.pending_layout:
            when = self.when_text(alarm, alarm.orig_when)
            reason = (
                f" exactAllowReason={alarm.exact_allow_reason}"
                if alarm.exact_allow_reason is not None
                else ""
            )
            p(ind, f"type={type_label(alarm.type)} origWhen={when} "
                   f"window={format_duration(alarm.window_ms)}{reason} "
                   f"repeatInterval={alarm.interval_ms} count={alarm.count} "
                   f"flags=0x{alarm.flags:x}")  # fmt: skip
            policies = " ".join(
                f"{name}={self.rel(alarm.policy.get(name, 0))}" for name in self.era.policies
            )
            p(ind, f"policyWhenElapsed: {policies}")
            p(ind, f"whenElapsed={self.rel(alarm.when_elapsed)} "
                   f"maxWhenElapsed={self.rel(alarm.max_when_elapsed)}")  # fmt: skip
        else:
            when = self.when_text(alarm, alarm.orig_when)
            if self.api >= 28:
                times = (
                    f"expectedWhenElapsed={self.rel(alarm.requested_elapsed)} "
                    f"expectedMaxWhenElapsed="
                    f"{self.rel(alarm.requested_elapsed + alarm.window_ms)} "
                    f"whenElapsed={self.rel(alarm.when_elapsed)} "
                    f"maxWhenElapsed={self.rel(alarm.max_when_elapsed)} when={when}"
                )
            else:
                times = f"whenElapsed={self.rel(alarm.when_elapsed)} when={when}"
            p(ind, f"type={alarm.type} {times}")
            p(ind, f"window={format_duration(alarm.window_ms)} "
                   f"repeatInterval={alarm.interval_ms} count={alarm.count} "
                   f"flags=0x{alarm.flags:x}")  # fmt: skip
        if alarm.alarm_clock_ms is not None:
            p(ind, "Alarm clock:")
            p(ind, f"  triggerTime={self.date(alarm.alarm_clock_ms)}")
            show = alarm.spec.show_intent if alarm.spec is not None else None
            p(ind, f"  showIntent={show or 'null'}")
        if alarm.listener is None:
            p(ind, f"operation={self.operation(alarm)}")
        else:
            if not self.era.pending_layout:
                p(ind, "operation=null")
            p(ind, f"listener={alarm.listener}")
        options = self.idle_options(alarm)
        if options is not None:
            p(ind, f"idle-options={options}")

    def alarm_list(self, alarms: list[Alarm], ind: int, descending_index: bool) -> None:
        """dumpAlarmList: 12+ numbers the list from #1 in delivery order; older releases print a
        batch's alarms last-first with their indices (#n-1 .. #0)."""
        n = len(alarms)
        for i, alarm in enumerate(alarms):
            index = (n - 1 - i) if descending_index else (i + 1)
            self.p(ind, f"{type_label(alarm.type)} #{index}: {self.header(alarm)}")
            self.alarm_details(alarm, ind + 2)

    # ------------------------------------------------------------------ the lists
    def _idle_deferred(self, alarm: Alarm) -> bool:
        """Before 12, non-AWI alarms set or held while idle wait in mPendingWhileIdleAlarms."""
        exempt = FLAG_ALLOW_WHILE_IDLE | FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED | FLAG_WAKE_FROM_IDLE
        return self.svc._deep_idle_until() is not None and not alarm.flags & exempt

    def pending_list(self) -> None:
        from harness.virtual.system.alarm import build_batches

        svc, p = self.svc, self.p
        idle_alarm = svc.idle_until_alarm()
        if self.era.pending_layout:
            alarms = list(svc.alarms) + ([idle_alarm] if idle_alarm is not None else [])
            if alarms:
                ordered = sorted(alarms, key=lambda a: (a.when_elapsed, a.seq))
                p(2, f"{len(ordered)} pending alarms: ")
                self.alarm_list(ordered, 4, descending_index=False)
            p(0)
            return
        held = [a for a in svc.alarms if self._idle_deferred(a)]
        batched = [a for a in svc.alarms if a not in held]
        if idle_alarm is not None:
            batched.append(idle_alarm)
        batches = build_batches(batched)
        p(2, f"Pending alarm batches: {len(batches)}")
        for batch in batches:
            flags = f" flgs=0x{batch.flags:x}" if batch.flags else ""
            p(0, f"Batch{{{batch.alarms[0].hash[:7]} num={len(batch.alarms)} "
                 f"start={batch.start} end={batch.end}{flags}}}:")  # fmt: skip
            self.alarm_list(list(reversed(batch.alarms)), 4, descending_index=True)
        p(0)
        self._held = held

    def blocked(self) -> None:
        svc, p = self.svc, self.p
        if self.api < 28:
            return
        p(2, "Pending user blocked background alarms: ")
        if svc.blocked:
            self.alarm_list(
                sorted(svc.blocked, key=lambda a: a.seq), 4,
                descending_index=not self.era.pending_layout,
            )  # fmt: skip
        else:
            p(4, "none")
        if self.era.pending_layout:
            p(0)

    def per_uid_and_history(self) -> None:
        svc, p = self.svc, self.p
        if not self.era.pending_layout:
            if self.era.standby == "delay":
                p(2, "mLastAlarmDeliveredForPackage:")
                for package, when in svc.last_delivered.items():
                    p(4, f"Package {package}, User 0:{self.rel(when)}")
            elif self.era.standby == "quota":
                p(2, "App Alarm history:")
                self._history(svc.app_history, 4)
            p(0)
            p(0)
            return
        counts: dict[int, int] = {}
        for alarm in svc._all_alarms():
            counts[alarm.uid] = counts.get(alarm.uid, 0) + 1
        text = ", ".join(f"{_format_uid(u)}:{n}" for u, n in sorted(counts.items()))
        p(2, f"Pending alarms per uid: [{text}]")
        p(0)
        p(2, "App Alarm history:")
        self._history(svc.app_history, 4)
        p(0)
        if self.api >= 33:
            p(2, "Temporary Quota Reserves:")
            p(0)

    def _history(self, history: object, ind: int) -> None:
        for package, times in getattr(history, "history", {}).items():
            stamps = "".join(f"{self.rel(t)}, " for t in reversed(times[-100:]))
            self.p(ind, f"{package}, u0: {stamps}")

    def idle_state(self) -> None:
        svc, p = self.svc, self.p
        idle_alarm = svc.idle_until_alarm()
        held = getattr(self, "_held", [])
        if self.era.pending_layout:
            if idle_alarm is not None:
                p(2, "Idle mode state:")
                p(4, f"Idling until: {self.header(idle_alarm)}")
                self.alarm_details(idle_alarm, 6)
                p(0)
        elif idle_alarm is not None or held:
            p(0)
            p(2, "Idle mode state:")
            if idle_alarm is not None:
                p(4, f"Idling until: {self.header(idle_alarm)}")
                self.alarm_details(idle_alarm, 6)
            else:
                p(4, "Idling until: null")
            p(4, "Pending alarms:")
            self.alarm_list(list(reversed(held)), 6, descending_index=True)
        wake = sorted(
            (a for a in svc.alarms if a.flags & FLAG_WAKE_FROM_IDLE),
            key=lambda a: (a.when_elapsed, a.seq),
        )
        if wake:
            p(2, f"Next wake from idle: {self.header(wake[0])}")
            self.alarm_details(wake[0], 4)
            p(0)

    def past_due(self) -> None:
        svc, p = self.svc, self.p
        if svc.pending_nonwakeup:
            p(2, f"Past-due non-wakeup alarms: {len(svc.pending_nonwakeup)}")
            self.alarm_list(
                list(svc.pending_nonwakeup), 4, descending_index=not self.era.pending_layout
            )
        else:
            p(2, "Past-due non-wakeup alarms: (none)")
        p(4, f"Number of delayed alarms: {svc.num_delayed}, total delay time: "
             f"{format_duration(svc.total_delay)}")  # fmt: skip
        p(4, f"Max delay time: {format_duration(svc.max_delay)}, max non-interactive time: "
             f"{format_duration(self._max_non_interactive())}")  # fmt: skip
        p(0)
        p(2, "Broadcast ref count: 0")
        p(2, f"PendingIntent send count: {svc.send_count}")
        p(2, f"PendingIntent finish count: {svc.send_count}")
        p(2, "Listener send count: 0")
        p(2, "Listener finish count: 0")
        p(0)

    def _max_non_interactive(self) -> int:
        svc = self.svc
        return 0 if svc.interactive else self.now - svc.non_interactive_start

    def allow_while_idle(self) -> None:
        svc, p = self.svc, self.p
        if self.era.pending_layout:
            p(2, "Allow while idle history:")
            self._history(svc.awi_history, 4)
            p(0)
            p(2, "Allow while idle compat history:")
            self._history(svc.awi_compat_history, 4)
            p(0)
            if svc.removal_history:
                p(2, "Removal history: ")
                for uid in sorted(svc.removal_history):
                    p(4, f"{_format_uid(uid)}:")
                    for r in svc.removal_history[uid]:
                        p(6, f"[tag={r.tag} reason={r.reason} elapsed={self.rel(r.elapsed_ms)} "
                             f"rtc={self.date(r.rtc_ms)}]")  # fmt: skip
                p(0)
            return
        c = svc.constants
        if self.api < 28:
            doze = svc._deep_idle_until() is not None
            gap = c.allow_while_idle_long_ms if doze else c.allow_while_idle_short_ms
            p(2, f"mAllowWhileIdleMinTime={format_duration(gap)}")
            p(2, "Last allow while idle dispatch times:")
            for uid, when in sorted(svc.last_awi_dispatch.items()):
                p(2, f"UID {_format_uid(uid)}: {self.rel(when)}")
        else:
            p(2, "Last allow while idle dispatch times:")
            for uid, when in sorted(svc.last_awi_dispatch.items()):
                gap = (
                    c.allow_while_idle_short_ms
                    if svc.use_awi_short.get(uid, False) or svc._deep_idle_until() is None
                    else c.allow_while_idle_long_ms
                )
                p(4, f"UID {_format_uid(uid)}: {self.rel(when)}  Next allowed:"
                     f"{self.rel(when + gap)} ({format_duration(gap)})")  # fmt: skip
            short = "".join(f"{_format_uid(u)} " for u, v in sorted(svc.use_awi_short.items())
                            if v)  # fmt: skip
            p(2, f"mUseAllowWhileIdleShortTime: [{short}]")
        p(0)

    def stats(self) -> None:
        svc, p = self.svc, self.p
        filters = [
            (uid, pkg, tag, fs)
            for (uid, pkg), tags in svc.stats.items()
            for tag, fs in tags.items()
        ]
        if filters:
            p(2, "Top Alarms:")
            for uid, pkg, tag, fs in sorted(filters, key=lambda f: -f[3].count)[:10]:
                p(4, f"0 running, {fs.wakeups} wakeups, {fs.count} alarms: "
                     f"{_format_uid(uid)}:{pkg}")  # fmt: skip
                p(6, tag)
        p(0)
        p(2, "Alarm Stats:")
        for (uid, pkg), tags in sorted(svc.stats.items()):
            wakeups = sum(fs.wakeups for fs in tags.values())
            p(2, f"{_format_uid(uid)}:{pkg} 0 running, {wakeups} wakeups:")
            for tag, fs in sorted(tags.items(), key=lambda kv: -kv[1].count):
                p(4, f"0 {fs.wakeups} wakes {fs.count} alarms, last {self.rel(fs.last_elapsed)}:")
                p(6, tag)
        p(0)

    # ------------------------------------------------------------------ whole dump
    def run(self) -> list[str]:
        p = self.p
        p(0, "Current Alarm Manager state:")
        self.settings()
        if self.era.pending_layout:
            if self.api >= 34:
                self.parole()
                self.app_state_tracker()
            else:
                self.app_state_tracker()
                self.parole()
        elif self.api >= 28:
            self.app_state_tracker()
            self.parole()
        self.clock_block()
        self.next_block()
        self.alarm_clock_info()
        self.pending_list()
        self.blocked()
        if self.era.pending_layout:
            self.per_uid_and_history()
            self.idle_state()
        else:
            self.idle_state()
            self.per_uid_and_history()
        self.past_due()
        self.allow_while_idle()
        self.stats()
        return self.p.lines


def dump(svc: AlarmManagerService, inv: Invocation, args: list[str]) -> int:
    for line in _Dump(svc).run():
        inv.outln(line)
    return 0


_HELP = (
    "Alarm manager service (alarm) commands:",
    "  help",
    "    Print this help text.",
    "  set-time TIME",
    "    Set the system clock time to TIME where TIME is milliseconds",
    "    since the Epoch.",
    "  set-timezone TZ",
    "    Set the system timezone to TZ where TZ is an Olson id.",
)
_HELP_CONFIG = (
    "  get-config-version",
    "    Returns an integer denoting the version of device_config keys the service is sync'ed "
    "to. As long as this returns the same version, the values of the config are guaranteed to "
    "remain the same.",
)


def shell_command(svc: AlarmManagerService, inv: Invocation, args: list[str]) -> int:
    """AlarmManagerService.ShellCmd (Android 9+; Binder's default before)."""
    if svc.api_level < 28:
        inv.errln("No shell command implementation.")
        return 0
    cmd = args[0] if args else None
    if cmd in (None, "help", "-h"):
        for line in _HELP:
            inv.outln(line)
        if svc.api_level >= 31:
            for line in _HELP_CONFIG:
                inv.outln(line)
        return 255  # ShellCommand.handleDefaultCommands returns -1
    try:
        if cmd == "set-time":
            millis = parse_java_long(_required(args, cmd))
            return 0 if svc.set_time(millis) else 255
        if cmd == "set-timezone":
            svc.set_timezone(_required(args, cmd))
            return 0
        if cmd == "get-config-version" and svc.api_level >= 31:
            inv.outln("1")
            return 0
    except JavaNumberFormatError as exc:
        inv.outln(exc.java_message)
        return 255
    except _MissingArgument as exc:
        inv.outln(f'java.lang.IllegalArgumentException: Argument expected after "{exc}"')
        return 255
    inv.outln(f"Unknown command: {cmd}")
    return 255


class _MissingArgument(Exception):
    pass


def _required(args: list[str], cmd: str) -> str:
    """ShellCommand.getNextArgRequired."""
    if len(args) < 2:
        raise _MissingArgument(cmd)
    return args[1]
