"""The rules AlarmManagerService applies, as a mixin of :class:`~.alarm.AlarmManagerService`:
who may set exact alarms, how a request becomes flags and a window, and when each policy
(app standby, Doze, battery saver) lets an alarm go.

Every rule names its source in AlarmManagerService (Android 14 @0177c5f2 unless another
release is named; the older behaviour is from the early-Android-12 copy and the captured
dumps, ``android-background-behavior.md`` §4.3-4.5, §5 and §1.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.fs import FIRST_APP_UID
from harness.virtual.system.alarm_policy import (
    BUCKET_ACTIVE,
    BUCKET_EXEMPTED,
    BUCKET_FREQUENT,
    BUCKET_NEVER,
    BUCKET_RESTRICTED,
    BUCKET_WORKING_SET,
    DAY,
    FLAG_ALLOW_WHILE_IDLE,
    FLAG_ALLOW_WHILE_IDLE_COMPAT,
    FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED,
    FLAG_STANDALONE,
    FLAG_WAKE_FROM_IDLE,
    HOUR,
    INDEFINITE_DELAY,
    MIN_FUZZABLE_INTERVAL,
    REASON_ALLOW_LIST,
    REASON_COMPAT,
    REASON_PERMISSION,
    REASON_POLICY_PERMISSION,
    SCHEDULE_EXACT_ALARM,
    TEMP_ALLOWLIST_ALARM_CLOCK,
    TEMP_ALLOWLIST_DENIED,
    TEMP_ALLOWLIST_WHILE_IDLE,
    USE_EXACT_ALARM,
    WINDOW_EXACT,
    WINDOW_HEURISTIC,
    Alarm,
    AlarmConstants,
    AlarmEra,
    AlarmSpec,
    AppWakeupHistory,
)
from harness.virtual.system.job_info import SecurityException

if TYPE_CHECKING:
    from harness.virtual.system.packages import InstalledPackage


class AlarmRules:
    """Policy arithmetic; the service provides the state it reads (see the attributes)."""

    era: AlarmEra
    constants: AlarmConstants
    api_level: int
    app_history: AppWakeupHistory
    awi_history: AppWakeupHistory
    awi_compat_history: AppWakeupHistory
    last_awi_dispatch: dict[int, int]
    use_awi_short: dict[int, bool]
    last_delivered: dict[str, int]
    charging: bool

    if TYPE_CHECKING:  # provided by the service

        def _deep_idle_until(self) -> int | None: ...
        def _battery_saver(self) -> bool: ...
        def _uid_active(self, package: str) -> bool: ...
        def _power_exempt(self, package: str) -> bool: ...
        def _power_whitelisted(self, package: str) -> bool: ...
        def _user_whitelisted(self, package: str) -> bool: ...
        def _bucket(self, package: str) -> int: ...
        def _standby_enabled(self) -> bool: ...
        def _run_any_restricted(self, package: str) -> bool: ...
        def _appop_mode(self, package: str, op: str) -> str: ...

    # ================================================================ exact-alarm permission
    def exact_change_enabled(self, pkg: InstalledPackage) -> bool:
        """REQUIRE_EXACT_ALARM_PERMISSION (171306433): enabled for targets >= S."""
        return self.api_level >= 31 and pkg.target_sdk >= 31

    def _use_exact_enabled(self, pkg: InstalledPackage) -> bool:
        """ENABLE_USE_EXACT_ALARM (218533173): USE_EXACT_ALARM counts for targets >= T."""
        return self.api_level >= 33 and pkg.target_sdk >= 33

    def _denied_by_default(self, pkg: InstalledPackage) -> bool:
        """SCHEDULE_EXACT_ALARM_DENIED_BY_DEFAULT (226439802): @Disabled in Android 13, on for
        targets >= T from Android 14 ("no longer pre-granted to newly installed apps")."""
        return self.api_level >= 34 and pkg.target_sdk >= 33

    def has_use_exact_alarm(self, pkg: InstalledPackage) -> bool:
        """hasUseExactAlarmInternal: an install-time permission, honoured from target T."""
        return self._use_exact_enabled(pkg) and pkg.holds(USE_EXACT_ALARM)

    def allowed_by_default(self, pkg: InstalledPackage) -> bool:
        """isScheduleExactAlarmAllowedByDefault (platform-signed and privileged apps aside)."""
        if pkg.system:
            return True
        return not self._denied_by_default(pkg)

    def has_schedule_exact_alarm(self, pkg: InstalledPackage) -> bool:
        """hasScheduleExactAlarmInternal: requested, change enabled, and the app op allows it
        (MODE_DEFAULT falls back to the per-release default)."""
        if not pkg.requests(SCHEDULE_EXACT_ALARM) or not self.exact_change_enabled(pkg):
            return False
        mode = self._appop_mode(pkg.name, "SCHEDULE_EXACT_ALARM")
        if mode == "default":
            return self.allowed_by_default(pkg)
        return mode == "allow"

    def elevates_standby_bucket(self, pkg: InstalledPackage) -> bool:
        """Whether the app's exact-alarm permission keeps its standby bucket at WORKING_SET or
        better (AppStandbyController.getAppMinBucket). Android 12: hasScheduleExactAlarm;
        13: hasExactAlarmPermission (SCHEDULE_EXACT_ALARM or USE_EXACT_ALARM); 14+:
        shouldGetBucketElevation, USE_EXACT_ALARM or, for apps targeting T or lower,
        SCHEDULE_EXACT_ALARM (SCHEDULE_EXACT_ALARM_DOES_NOT_ELEVATE_BUCKET, 262645982)."""
        if self.api_level < 31:
            return False
        if self.api_level == 31 or self.api_level == 32:
            return self.has_schedule_exact_alarm(pkg)
        # Requested in the manifest: the model's built-in system packages have none and would
        # otherwise "hold" every permission.
        if pkg.requests(USE_EXACT_ALARM) and self.has_use_exact_alarm(pkg):
            return True
        return (self.api_level == 33 or pkg.target_sdk <= 33) and self.has_schedule_exact_alarm(pkg)

    def exempt_from_exact_permission(self, pkg: InstalledPackage) -> bool:
        """isExemptFromExactAlarmPermissionNoLock: core uids, SystemUI and the (system or user)
        power-save allowlist."""
        return (
            pkg.uid < FIRST_APP_UID
            or pkg.name == "com.android.systemui"
            or self._power_whitelisted(pkg.name)
        )

    def can_schedule_exact(self, pkg: InstalledPackage) -> bool:
        """IAlarmManager.canScheduleExactAlarms (true for everyone before S, and for targets
        below S)."""
        if not self.exact_change_enabled(pkg):
            return True
        return (
            self.exempt_from_exact_permission(pkg)
            or self.has_schedule_exact_alarm(pkg)
            or self.has_use_exact_alarm(pkg)
        )

    def _exact_denied_message(self, package: str) -> str:
        # Android 12 asked for SCHEDULE_EXACT_ALARM only; Android 13 added USE_EXACT_ALARM.
        if self.api_level >= 33:
            return (
                f"Caller {package} needs to hold {SCHEDULE_EXACT_ALARM} or {USE_EXACT_ALARM}"
                " to set exact alarms."
            )
        return f"Caller {package} needs to hold {SCHEDULE_EXACT_ALARM} to set exact alarms."

    # ================================================================ request -> alarm
    def classify(
        self, pkg: InstalledPackage, spec: AlarmSpec, now: int
    ) -> tuple[int, int, str | None, tuple[tuple[int, str], bool] | None]:
        """IAlarmManager.set + setImpl for a PendingIntent alarm: (flags, window, exact allow
        reason, idle options). Raises SecurityException as the binder call does."""
        window = spec.window_ms
        # AlarmManager.legacyExactLength: set()/setRepeating are exact below target 19.
        if window == WINDOW_HEURISTIC and pkg.target_sdk < 19:
            window = WINDOW_EXACT
        flags = FLAG_ALLOW_WHILE_IDLE if spec.allow_while_idle else 0
        core = pkg.uid < FIRST_APP_UID or pkg.name == "com.android.systemui"
        if spec.alarm_clock:
            # "If this alarm is for an alarm clock, then it must be exact and we will use it to
            # wake early from idle if needed."
            flags |= FLAG_WAKE_FROM_IDLE
            window = WINDOW_EXACT
        elif core or self._user_whitelisted(pkg.name):
            # Core uids, SystemUI and the user's power-save allowlist: unrestricted while idle.
            flags |= FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED
            flags &= ~FLAG_ALLOW_WHILE_IDLE
        allow_while_idle = bool(flags & FLAG_ALLOW_WHILE_IDLE)
        exact = window == WINDOW_EXACT
        reason: str | None = None
        idle: tuple[tuple[int, str], bool] | None = None
        if self.api_level < 31:
            # Before S: AWI alarms get the 10 s temp allowlist (mIdleOptions).
            if allow_while_idle:
                idle = (TEMP_ALLOWLIST_WHILE_IDLE, True)
        elif exact or allow_while_idle:
            lower_quota = False
            needs_permission = False
            if self.exact_change_enabled(pkg):
                needs_permission = exact
                lower_quota = not exact
                if exact:
                    idle = (
                        (TEMP_ALLOWLIST_ALARM_CLOCK if spec.alarm_clock else
                         TEMP_ALLOWLIST_WHILE_IDLE),
                        True,
                    )  # fmt: skip
                else:
                    idle = (TEMP_ALLOWLIST_DENIED, False)
            else:
                lower_quota = allow_while_idle
                idle = (
                    (TEMP_ALLOWLIST_WHILE_IDLE, True)
                    if (allow_while_idle or spec.alarm_clock)
                    else None
                )
                if exact:
                    reason = REASON_COMPAT
            if needs_permission:
                if self.has_use_exact_alarm(pkg):
                    reason = REASON_POLICY_PERMISSION
                elif self.has_schedule_exact_alarm(pkg):
                    reason = REASON_PERMISSION
                elif self.exempt_from_exact_permission(pkg) and (
                    self.api_level >= 33 or not spec.alarm_clock
                ):
                    # The allowlist exemption (lower AWI quota, no FGS from the alarm). The
                    # Android 12 source excluded alarm clocks; Android 13+ no longer does.
                    reason = REASON_ALLOW_LIST
                    idle = (TEMP_ALLOWLIST_DENIED, False) if allow_while_idle else None
                    lower_quota = allow_while_idle
                else:
                    raise SecurityException(self._exact_denied_message(pkg.name))
            if lower_quota:
                flags &= ~FLAG_ALLOW_WHILE_IDLE
                flags |= FLAG_ALLOW_WHILE_IDLE_COMPAT
        if exact:
            # "If this is an exact time alarm, then it can't be batched with other alarms."
            flags |= FLAG_STANDALONE
        return flags, window, reason, idle

    def resolve_window(
        self, pkg: InstalledPackage, window: int, trigger_elapsed: int, interval: int, now: int
    ) -> int:
        """setImpl: the heuristic window (75 % of the futurity or interval), and the minimum
        window for explicit windows of targets >= S (ENFORCE_MINIMUM_WINDOW_ON_INEXACT_ALARMS)."""
        if window == WINDOW_EXACT:
            return 0
        if window < 0:
            futurity = interval if interval else trigger_elapsed - now
            if futurity < MIN_FUZZABLE_INTERVAL:
                futurity = 0
            max_elapsed = trigger_elapsed + int(0.75 * futurity)
            if interval == 0 and self.api_level >= 31:
                # Android 12+: non-repeating windows are capped at one hour.
                max_elapsed = min(max_elapsed, trigger_elapsed + HOUR)
            return max_elapsed - trigger_elapsed
        if self.api_level >= 31:
            if window > DAY:
                return DAY
            min_window = min(int((trigger_elapsed - now) * 0.75), self.constants.min_window_ms)
            if (
                window < min_window
                and pkg.target_sdk >= 31
                and not self.exempt_from_exact_permission(pkg)
            ):
                return min_window
        return window

    # ================================================================ policies
    def _quota_time(self, alarm: Alarm, now: int, cap: int | None) -> int:
        """The allow-while-idle quota (Android 12+): out of quota, the next slot is the
        Nth-last delivery + window (capped at the idle-until alarm while dozing)."""
        if alarm.flags & FLAG_ALLOW_WHILE_IDLE:
            quota = self.constants.allow_while_idle_quota
            window = self.constants.allow_while_idle_window_ms
            history = self.awi_history
        else:
            quota = self.era.compat_quota
            window = self.era.compat_window_ms
            history = self.awi_compat_history
        if history.total(alarm.package) < quota:
            return now
        when = history.nth_last(alarm.package, quota) + window
        return min(when, cap) if cap is not None else when

    def _spacing_time(self, alarm: Alarm, now: int, dozing: bool) -> int:
        """Before Android 12: an AWI alarm waits until the uid's last AWI delivery plus the short
        (5 s) or, while dozing or in battery saver, the long (9 min) time
        (getWhileIdleMinIntervalLocked; Android 8 looked at Doze only)."""
        last = self.last_awi_dispatch.get(alarm.uid)
        if last is None:
            return now
        saver = self._battery_saver() and self.api_level >= 28
        if not dozing and not saver:
            gap = self.constants.allow_while_idle_short_ms
        elif dozing:
            gap = self.constants.allow_while_idle_long_ms
        elif self.use_awi_short.get(alarm.uid, False):
            gap = self.constants.allow_while_idle_short_ms
        else:
            gap = self.constants.allow_while_idle_long_ms
        return max(now, last + gap)

    @staticmethod
    def _apply(alarm: Alarm, name: str, target: int | None, now: int) -> None:
        """Alarm.setPolicyElapsed as the adjust* methods use it: a restriction sets its time;
        no restriction sets "now" - but only where AOSP would have touched the policy (a policy
        never evaluated stays 0 and prints "--"; one evaluated before keeps its time unless it
        was holding the alarm back)."""
        if target is not None:
            alarm.policy[name] = target
        elif name not in alarm.policy or alarm.policy[name] > now:
            alarm.policy[name] = now

    def adjust_device_idle(self, alarm: Alarm, now: int) -> None:
        """adjustDeliveryTimeBasedOnDeviceIdle: only deep idle (the idle-until alarm) defers
        alarms; light idle does not. Outside idle AOSP does not touch the policy at set time."""
        idle_until = self._deep_idle_until()
        if self.era.awi == "spacing" and alarm.flags & FLAG_ALLOW_WHILE_IDLE:
            spaced = self._spacing_time(alarm, now, idle_until is not None)
            self._apply(alarm, "device_idle", spaced if spaced > now else None, now)
            return
        if idle_until is None:
            if alarm.policy.get("device_idle", 0) > now:
                alarm.policy["device_idle"] = now
            alarm.policy.setdefault("device_idle", 0)
        elif alarm.flags & (FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED | FLAG_WAKE_FROM_IDLE):
            alarm.policy["device_idle"] = now
        elif alarm.allow_while_idle_restricted:
            alarm.policy["device_idle"] = self._quota_time(alarm, now, idle_until)
        else:
            alarm.policy["device_idle"] = idle_until

    def alarms_restricted_by_saver(self, alarm: Alarm) -> bool:
        """AppStateTracker.areAlarmsRestrictedByBatterySaver (Android 12+)."""
        if not self._battery_saver():
            return False
        if self._uid_active(alarm.package) or self._power_exempt(alarm.package):
            return False
        # Apps in the EXEMPTED bucket are exempt while standby is on and not paroled.
        exempted = self._bucket(alarm.package) == BUCKET_EXEMPTED
        return not (self._standby_enabled() and not self.charging and exempted)

    def adjust_battery_saver(self, alarm: Alarm, now: int) -> None:
        """adjustDeliveryTimeBasedOnBatterySaver (Android 12+; older releases block instead, see
        :meth:`background_restricted`). Exempt alarms are left untouched ("--")."""
        if alarm.alarm_clock_ms is not None or alarm.uid < FIRST_APP_UID:
            alarm.policy.setdefault("battery_saver", 0)
            return
        unrestricted = bool(alarm.flags & FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED)
        restricted = self.era.pending_layout and self.alarms_restricted_by_saver(alarm)
        if unrestricted or not restricted:
            self._apply(alarm, "battery_saver", None, now)
        elif alarm.allow_while_idle_restricted:
            quota = self._quota_time(alarm, now, None)
            self._apply(alarm, "battery_saver", quota if quota > now else None, now)
        else:
            alarm.policy["battery_saver"] = now + INDEFINITE_DELAY

    def exempt_from_standby(self, alarm: Alarm) -> bool:
        """isExemptFromAppStandby: alarm clocks, core uids and unrestricted alarms; from Android
        12 also allow-while-idle ones (which have their own quota)."""
        if alarm.alarm_clock_ms is not None or alarm.uid < FIRST_APP_UID:
            return True
        mask = FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED
        if self.era.pending_layout:
            mask |= FLAG_ALLOW_WHILE_IDLE
        return bool(alarm.flags & mask)

    @staticmethod
    def _quota_index(bucket: int) -> int:
        # getQuotaForBucketLocked
        if bucket <= BUCKET_ACTIVE:
            return 0
        if bucket <= BUCKET_WORKING_SET:
            return 1
        if bucket <= BUCKET_FREQUENT:
            return 2
        if bucket < BUCKET_NEVER:
            return 3
        return 4

    def standby_time(self, alarm: Alarm, now: int) -> int | None:
        """adjustDeliveryTimeBasedOnBucketLocked: per-bucket quotas in a rolling hour (Android
        10+; RESTRICTED 1 a day from 11), a minimum delay since the last delivery on Android 9;
        nothing while charging (parole) or for exempt alarms. None: not deferred."""
        if self.era.standby is None or self.exempt_from_standby(alarm) or self.charging:
            return None
        bucket = self._bucket(alarm.package)
        c = self.constants
        if self.era.standby == "delay":
            last = self.last_delivered.get(alarm.package, 0)
            delay = c.standby_delays_ms[self._quota_index(bucket)]
            earliest = last + delay
            return earliest if last > 0 and earliest > now else None
        history = self.app_history
        used = history.total(alarm.package)
        if bucket == BUCKET_RESTRICTED and self.api_level >= 30:
            # "Special case because it's 1/day instead of 1/hour."
            if used > 0:
                last = history.nth_last(alarm.package, c.standby_restricted_quota)
                if now - last < c.standby_restricted_window_ms:
                    return last + c.standby_restricted_window_ms
            return None
        quota = c.standby_quotas[self._quota_index(bucket)]
        if used < quota:
            return None
        if quota <= 0:
            # "Just keep deferring indefinitely till the quota changes" (Android 10/11
            # re-checked a day later).
            return now + (INDEFINITE_DELAY if self.api_level >= 31 else DAY)
        return history.nth_last(alarm.package, quota) + c.app_standby_window_ms

    def evaluate(self, alarm: Alarm, now: int) -> None:
        """Every policy of one alarm, as setImplLocked and the update paths apply them."""
        self.adjust_device_idle(alarm, now)
        self.adjust_battery_saver(alarm, now)
        self._apply(alarm, "app_standby", self.standby_time(alarm, now), now)
        if "tare" in self.era.policies:
            self._apply(alarm, "tare", None, now)  # TARE is off by default (enable_tare=false)
        if "alarm_align" in self.era.policies:
            alarm.policy.setdefault("alarm_align", 0)  # the capture prints it "--"

    # ================================================================ background restriction
    def background_restricted(self, alarm: Alarm) -> bool:
        """isBackgroundRestricted at trigger time: alarms of a background-restricted app
        (RUN_ANY_IN_BACKGROUND not allowed) wait in "Pending user blocked background alarms"
        until the app is active or unrestricted; before Android 12 battery saver blocked the
        non-AWI alarms of background apps the same way (AppStateTracker.areAlarmsRestricted).
        Alarm clocks and core uids are never blocked."""
        if alarm.alarm_clock_ms is not None or alarm.uid < FIRST_APP_UID:
            return False
        if self.api_level < 28:
            return False
        if self._uid_active(alarm.package) or self._power_exempt(alarm.package):
            return False
        if self._run_any_restricted(alarm.package):
            return True
        if not self.era.pending_layout and self._battery_saver():
            return not (alarm.flags & (FLAG_ALLOW_WHILE_IDLE | FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED))
        return False
