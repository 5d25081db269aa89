"""UsageStatsService and AppStandbyController: app standby buckets (API 28+) and app idle.

The rules follow AppStandbyController / AppIdleHistory:

- Buckets: EXEMPTED 5, ACTIVE 10, WORKING_SET 20, FREQUENT 30, RARE 40, RESTRICTED 45 (API 30+),
  NEVER 50. A newly installed app is NEVER (reason ``d``) until it is used.
- Using an app (it comes to the top, ``top_changed``) makes it ACTIVE with reason ``u-mf``, and
  ACTIVE until at least 1 h later (mStrongUsageTimeoutMillis, an expiry time). After that the
  bucket follows its age: the checks every 3 h (mCheckIdleIntervalMillis) apply the elapsed /
  screen-on thresholds (12 h -> WORKING_SET, 24 h + 1 h screen -> FREQUENT, 48 h + 2 h screen ->
  RARE; 8 days + 6 h screen -> RESTRICTED from API 31), reason ``t``.
- ``am set-standby-bucket`` from the shell is "forced by user" (``f``): it sticks until the app
  is used; it does nothing for an app whose bucket is EXEMPTED; the result is clamped by the
  app's minimum bucket (getAppMinBucket): EXEMPTED for uids below 10000, ``android`` and the
  Doze (except-idle) whitelist; WORKING_SET from Android 12 for an app whose exact-alarm
  permission elevates it (see ``AlarmRules.elevates_standby_bucket``); ACTIVE for headless
  system apps; FREQUENT from Android 12 for an app granted ACCESS_BACKGROUND_LOCATION. So
  neither a system uid nor a whitelisted app can be demoted, and an app holding
  SCHEDULE_EXACT_ALARM on Android 12-13 goes no lower than WORKING_SET.
- With ``app_standby_enabled`` or ``adaptive_battery_management_enabled`` at 0 nothing moves and
  every app reads ACTIVE.
- While the device is charging (BatteryStats' ACTION_CHARGING) no app is idle:
  ``am get-inactive`` says ``Idle=false`` whatever the bucket (isAppIdleFiltered).

Buckets, reasons and times persist across reboots (``app_idle_stats.xml``; here
``device.persistent("app_idle_history")``). Other models read :meth:`UsageStatsService.bucket`
and listen to ``bucket_changed(package, bucket, reason)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.clock import Timer
from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.javafmt import arraymap_order, format_duration
from harness.virtual.system.packages import PackageManagerService

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.packages import InstalledPackage

# UsageStatsManager.STANDBY_BUCKET_*.
EXEMPTED = 5
ACTIVE = 10
WORKING_SET = 20
FREQUENT = 30
RARE = 40
RESTRICTED = 45
NEVER = 50
BUCKET_NAMES = {
    EXEMPTED: "EXEMPTED",
    ACTIVE: "ACTIVE",
    WORKING_SET: "WORKING_SET",
    FREQUENT: "FREQUENT",
    RARE: "RARE",
    RESTRICTED: "RESTRICTED",
    NEVER: "NEVER",
}
IDLE_BUCKET_CUTOFF = RARE  # AppIdleHistory.IDLE_BUCKET_CUTOFF
BACKGROUND_LOCATION = "android.permission.ACCESS_BACKGROUND_LOCATION"

# UsageStatsManager.REASON_*.
REASON_MAIN_MASK = 0xFF00
REASON_MAIN_DEFAULT = 0x0100
REASON_MAIN_TIMEOUT = 0x0200
REASON_MAIN_USAGE = 0x0300
REASON_MAIN_FORCED_BY_USER = 0x0400
REASON_MAIN_PREDICTED = 0x0500
REASON_MAIN_FORCED_BY_SYSTEM = 0x0600
REASON_SUB_MASK = 0x00FF
REASON_SUB_USAGE_SYSTEM_INTERACTION = 0x0001
REASON_SUB_USAGE_USER_INTERACTION = 0x0003
REASON_SUB_USAGE_MOVE_TO_FOREGROUND = 0x0004
REASON_SUB_USAGE_MOVE_TO_BACKGROUND = 0x0005
REASON_SUB_USAGE_SYSTEM_UPDATE = 0x0006
REASON_SUB_USAGE_ACTIVE_TIMEOUT = 0x0007
_USAGE_SUB_NAMES = {
    REASON_SUB_USAGE_SYSTEM_INTERACTION: "-si",
    0x0002: "-ns",
    REASON_SUB_USAGE_USER_INTERACTION: "-ui",
    REASON_SUB_USAGE_MOVE_TO_FOREGROUND: "-mf",
    REASON_SUB_USAGE_MOVE_TO_BACKGROUND: "-mb",
    REASON_SUB_USAGE_SYSTEM_UPDATE: "-su",
    REASON_SUB_USAGE_ACTIVE_TIMEOUT: "-at",
}

# AppStandbyController defaults (as the API 33 dump prints them).
STRONG_USAGE_TIMEOUT_MS = 3_600_000
SYSTEM_UPDATE_USAGE_TIMEOUT_MS = 2 * 3_600_000
CHECK_IDLE_INTERVAL_MS = 3 * 3_600_000
SCREEN_THRESHOLDS = (0, 0, 3_600_000, 7_200_000, 21_600_000)
ELAPSED_THRESHOLDS = (0, 43_200_000, 86_400_000, 172_800_000, 691_200_000)
THRESHOLD_BUCKETS = (ACTIVE, WORKING_SET, FREQUENT, RARE, RESTRICTED)
JAVA_LONG_MIN = -(1 << 63)
FIRST_APPLICATION_UID = 10_000
MAX_EVENTS = 500


def reason_to_string(reason: int) -> str:
    """UsageStatsManager.reasonToString."""
    main, sub = reason & REASON_MAIN_MASK, reason & REASON_SUB_MASK
    if main == REASON_MAIN_DEFAULT:
        return "d" + {1: "-au", 2: "-ar"}.get(sub, "")
    if main == REASON_MAIN_FORCED_BY_SYSTEM:
        return "s" + (f"-{sub:b}" if sub else "")
    if main == REASON_MAIN_FORCED_BY_USER:
        return "f" + (f"-{sub:b}" if sub else "")
    if main == REASON_MAIN_PREDICTED:
        return "p" + ("-r" if sub == 1 else "")
    if main == REASON_MAIN_TIMEOUT:
        return "t"
    if main == REASON_MAIN_USAGE:
        return "u" + _USAGE_SUB_NAMES.get(sub, "")
    return ""


@dataclass
class AppUsageHistory:
    """AppIdleHistory.AppUsageHistory; times are in AppIdleHistory's elapsed timebase."""

    bucket: int = NEVER
    reason: int = REASON_MAIN_DEFAULT
    last_used_elapsed: int = -1  # < 0 prints <uninitialized>
    last_used_by_user_elapsed: int = -1
    last_used_screen: int = -1
    last_predicted: int = -1
    last_job_run: int = JAVA_LONG_MIN
    last_informed_bucket: int = -1
    expiry: dict[int, int] = field(default_factory=dict)  # bucket -> expiry (elapsed timebase)
    last_restrict_attempt: int = 0
    last_restrict_reason: int = 0


@dataclass
class UsageEvent:
    wall_ms: int
    kind: str  # STANDBY_BUCKET_CHANGED, ACTIVITY_RESUMED, ...
    package: str
    extra: str = ""


@dataclass
class AppIdleState:
    """What app_idle_stats.xml and the usage database keep across reboots (user 0)."""

    packages: dict[str, AppUsageHistory] = field(default_factory=dict)
    elapsed_duration: int = 0  # mElapsedDuration at the last snapshot
    screen_on_duration: int = 0  # mScreenOnDuration
    defaults_done: bool = False  # initializeDefaultsForSystemApps ran (first boot)
    events: list[UsageEvent] = field(default_factory=list)


def _shell_exception(inv: Invocation, cmd: str, exception: str, message: str) -> None:
    # BasicShellCommandHandler.exec prints uncaught exceptions on stderr (frames left out).
    inv.errln("")
    inv.errln(f"Exception occurred while executing '{cmd}':")
    inv.errln(f"{exception}: {message}")


@system_service
class UsageStatsService(SystemService):
    names = ("usagestats",)
    order = 35  # after power (30): the screen state is read at start
    min_api = 21

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.state = self.device.persistent("app_idle_history", AppIdleState)
        self._pm = system.service(PackageManagerService)
        now = self.device.clock.elapsed_ms()
        self._elapsed_snapshot = now
        self._screen_snapshot = now
        self._screen_on = True
        self._charging = True
        self._check_timer: Timer | None = None
        self._top: str | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        from harness.virtual.system.activity import ActivityManagerService
        from harness.virtual.system.battery import BatteryService
        from harness.virtual.system.power import PowerManagerService

        power = self.system.maybe_service(PowerManagerService)
        self._screen_on = power.screen_on if power is not None else True
        battery = self.system.maybe_service(BatteryService)
        if battery is not None:
            self._charging = (
                battery.stats.charging if self.api_level >= 29 else (battery.plugged != "none")
            )
            battery.add_listener(self._on_battery)
        bus = self.system.bus
        bus.subscribe("top_changed", self._on_top_changed)
        bus.subscribe("screen_changed", self._on_screen)
        bus.subscribe("package_added", self._on_package_added)
        bus.subscribe("package_removed", self._on_package_removed)
        bus.subscribe("whitelist_changed", self._on_whitelist_changed)
        bus.subscribe("setting_changed", self._on_setting)
        am = self.system.maybe_service(ActivityManagerService)
        if am is not None:
            self._top = am.top[0] if am.top else None
            commands = {
                "set-inactive": self._cmd_set_inactive,
                "get-inactive": self._cmd_get_inactive,
            }
            if self.api_level >= 28:
                commands["set-standby-bucket"] = self._cmd_set_standby_bucket
                commands["get-standby-bucket"] = self._cmd_get_standby_bucket
            if self.api_level >= 26:
                commands["make-uid-idle"] = self._cmd_make_uid_idle
            for name, handler in commands.items():
                am.register_am_command(name, handler)
        self._init_packages()
        self._schedule_check(CHECK_IDLE_INTERVAL_MS)

    def shutdown(self) -> None:
        # AppIdleHistory.writeAppIdleTimes / updateDisplay: fold this boot into the durations.
        now = self.device.clock.elapsed_ms()
        self.state.elapsed_duration = self.elapsed_time(now)
        self.state.screen_on_duration = self.screen_on_time(now)
        if self._check_timer is not None:
            self._check_timer.cancel()

    def _init_packages(self) -> None:
        now = self.device.clock.elapsed_ms()
        if not self.state.defaults_done and self.app_standby_enabled:
            # initializeDefaultsForSystemApps (first boot): "Mark app as used for 2 hours".
            self.state.defaults_done = True
            for pkg in self._pm.packages():
                if pkg.system:
                    self._report_usage(
                        pkg.name,
                        ACTIVE,
                        REASON_SUB_USAGE_SYSTEM_UPDATE,
                        now,
                        now + SYSTEM_UPDATE_USAGE_TIMEOUT_MS,
                    )
        for pkg in self._pm.packages():
            self._history(pkg.name)
        self.check_idle_states()

    # ------------------------------------------------------------------ time bases
    def elapsed_time(self, now: int | None = None) -> int:
        """AppIdleHistory.getElapsedTime: device elapsed time summed over boots."""
        now = self.device.clock.elapsed_ms() if now is None else now
        return self.state.elapsed_duration + (now - self._elapsed_snapshot)

    def screen_on_time(self, now: int | None = None) -> int:
        now = self.device.clock.elapsed_ms() if now is None else now
        running = now - self._screen_snapshot if self._screen_on else 0
        return self.state.screen_on_duration + running

    def _on_screen(self, on: bool, **_: object) -> None:
        now = self.device.clock.elapsed_ms()
        self.state.screen_on_duration = self.screen_on_time(now)
        self._screen_snapshot = now
        self._screen_on = on
        self._event("SCREEN_INTERACTIVE" if on else "SCREEN_NON_INTERACTIVE", "android")

    # ------------------------------------------------------------------ queries (Python API)
    @property
    def app_standby_enabled(self) -> bool:
        """mAppIdleEnabled: both global settings at 1 (Injector.isAppIdleEnabled)."""
        return (
            self.api_level >= 23
            and self._global("app_standby_enabled", "1") == "1"
            and self._global("adaptive_battery_management_enabled", "1") == "1"
        )

    @property
    def is_charging(self) -> bool:
        return self._charging

    def bucket(self, package: str) -> int:
        """getAppStandbyBucket: the bucket JobScheduler and AlarmManager use (ACTIVE when
        standby is disabled)."""
        if not self.app_standby_enabled:
            return ACTIVE
        history = self.state.packages.get(package)
        return history.bucket if history is not None else NEVER

    def reason(self, package: str) -> str:
        history = self.state.packages.get(package)
        return reason_to_string(history.reason if history is not None else REASON_MAIN_DEFAULT)

    def is_app_idle(self, package: str) -> bool:
        """isAppIdleFiltered: never idle while charging or when standby is off."""
        if not self.app_standby_enabled or self._charging or self._pm.get(package) is None:
            return False
        if self.min_bucket(package) < IDLE_BUCKET_CUTOFF:
            return False
        return self._history(package).bucket >= IDLE_BUCKET_CUTOFF

    def min_bucket(self, package: str) -> int:
        """AppStandbyController.getAppMinBucket for the checks the model can answer."""
        if not self.app_standby_enabled:
            return EXEMPTED
        pkg = self._pm.get(package)
        if pkg is None:
            return NEVER
        if pkg.uid % 100_000 < FIRST_APPLICATION_UID or package == "android":
            return EXEMPTED  # "System uids never go idle."
        if self._doze_exempt(package):
            return EXEMPTED  # isNonIdleWhitelisted
        if self._exact_alarm_elevated(pkg):
            return WORKING_SET  # hasScheduleExactAlarm / shouldGetExactAlarmBucketElevation
        if pkg.system and not self._has_launcher(pkg):
            return ACTIVE  # isHeadlessSystemApp
        if self.api_level >= 31 and pkg.requests(BACKGROUND_LOCATION) and pkg.holds(
            BACKGROUND_LOCATION
        ):
            # Android 12's getAppMinBucket: checkPermission(ACCESS_BACKGROUND_LOCATION) ==
            # PERMISSION_GRANTED -> STANDBY_BUCKET_FREQUENT (earlier releases not checked).
            return FREQUENT
        return NEVER

    def _exact_alarm_elevated(self, pkg: InstalledPackage) -> bool:
        if self.api_level < 31:
            return False
        from harness.virtual.system.alarm import AlarmManagerService

        alarms = self.system.maybe_service(AlarmManagerService)
        return alarms is not None and alarms.elevates_standby_bucket(pkg)

    def report_usage(
        self, package: str, sub_reason: int = REASON_SUB_USAGE_USER_INTERACTION
    ) -> None:
        """An app event that counts as use (reportEventLocked): ACTIVE for at least 1 h."""
        if not self.app_standby_enabled or self._pm.get(package) is None:
            return
        now = self.device.clock.elapsed_ms()
        old = self._history(package).bucket
        self._report_usage(package, ACTIVE, sub_reason, now, now + STRONG_USAGE_TIMEOUT_MS)
        self._inform(package, old)
        self._schedule_check(STRONG_USAGE_TIMEOUT_MS)

    def note_job_run(self, package: str) -> None:
        """AppIdleHistory.setLastJobRunTime (JobScheduler reports every job start)."""
        if self._pm.get(package) is not None:
            self._history(package).last_job_run = self.elapsed_time()

    def set_bucket(
        self, package: str, bucket: int, reason: int = REASON_MAIN_FORCED_BY_SYSTEM
    ) -> None:
        """setAppStandbyBucket with an explicit reason, for models acting as the system."""
        self._set_bucket(package, bucket, reason)

    # ------------------------------------------------------------------ AppIdleHistory
    def _history(self, package: str) -> AppUsageHistory:
        history = self.state.packages.get(package)
        if history is None:
            # getPackageHistory(create=true): NEVER, reason default.
            history = AppUsageHistory()
            self.state.packages[package] = history
        return history

    def _report_usage(
        self, package: str, new_bucket: int, sub_reason: int, now: int, expiry: int
    ) -> None:
        # AppIdleHistory.reportUsage.
        app = self._history(package)
        reason = REASON_MAIN_USAGE | sub_reason
        user_usage = sub_reason in (
            REASON_SUB_USAGE_MOVE_TO_FOREGROUND,
            REASON_SUB_USAGE_USER_INTERACTION,
        )
        if (
            app.bucket == RESTRICTED
            and not user_usage
            and (app.reason & REASON_MAIN_MASK) != REASON_MAIN_TIMEOUT
        ):
            # "Only user usage should bring an app out of the RESTRICTED bucket"
            new_bucket, reason = RESTRICTED, app.reason
        elif expiry > now:
            expiry_time = self.elapsed_time(expiry)
            app.expiry[new_bucket] = max(expiry_time, app.expiry.get(new_bucket, 0))
            elapsed_now = self.elapsed_time(now)
            app.expiry = {b: t for b, t in app.expiry.items() if t > elapsed_now}
        app.last_used_elapsed = self.elapsed_time(now)
        if user_usage:
            app.last_used_by_user_elapsed = app.last_used_elapsed
        app.last_used_screen = self.screen_on_time(now)
        if app.bucket >= new_bucket:
            if app.bucket > new_bucket:
                app.bucket = new_bucket
                self._event("STANDBY_BUCKET_CHANGED", package, self._bucket_extra(app, reason))
            app.reason = reason

    def _set_history_bucket(self, package: str, bucket: int, reason: int) -> None:
        app = self._history(package)
        changed = app.bucket != bucket
        app.bucket, app.reason = bucket, reason
        if changed:
            self._event("STANDBY_BUCKET_CHANGED", package, self._bucket_extra(app, reason))

    @staticmethod
    def _bucket_extra(app: AppUsageHistory, reason: int) -> str:
        return f"standbyBucket={app.bucket} reason={reason_to_string(reason)}"

    def _inform(self, package: str, old_bucket: int) -> None:
        # maybeInformListeners: listeners hear about a bucket they have not been told yet.
        app = self._history(package)
        if app.bucket != old_bucket or app.last_informed_bucket != app.bucket:
            app.last_informed_bucket = app.bucket
            self.system.bus.publish(
                "bucket_changed",
                package=package,
                bucket=app.bucket,
                reason=reason_to_string(app.reason),
            )

    # ------------------------------------------------------------------ AppStandbyController
    def _set_bucket(self, package: str, new_bucket: int, reason: int) -> None:
        """setAppStandbyBucket(packageName, userId, newBucket, reason, elapsedRealtime)."""
        if not self.app_standby_enabled:
            return
        if self._pm.get(package) is None:
            return  # "Tried to set bucket of uninstalled app"
        app = self._history(package)
        old = app.bucket
        main = reason & REASON_MAIN_MASK
        predicted = main == REASON_MAIN_PREDICTED
        # "Don't allow changing bucket if higher than ACTIVE"
        if app.bucket < ACTIVE:
            return
        if (app.bucket == NEVER or new_bucket == NEVER) and predicted:
            return
        old_main = app.reason & REASON_MAIN_MASK
        if predicted and old_main in (REASON_MAIN_FORCED_BY_USER, REASON_MAIN_FORCED_BY_SYSTEM):
            return
        forced_by_user = main == REASON_MAIN_FORCED_BY_USER
        if app.bucket == RESTRICTED and old_main != REASON_MAIN_TIMEOUT and not forced_by_user:
            user_usage = main == REASON_MAIN_USAGE and (reason & REASON_SUB_MASK) in (
                REASON_SUB_USAGE_MOVE_TO_FOREGROUND,
                REASON_SUB_USAGE_USER_INTERACTION,
            )
            if not user_usage:
                return  # "Tried to move restricted app out of restricted bucket"
        now = self.device.clock.elapsed_ms()
        if new_bucket == RESTRICTED:
            app.last_restrict_attempt = self.elapsed_time(now)
            app.last_restrict_reason = reason
            if forced_by_user:
                # Debuggable builds show a toast instead of this line.
                self.device.log.log(
                    "I",
                    "AppStandbyController",
                    f"{package} restricted by user",
                    pid=self.device.system_server_pid,
                )
        # "Make sure we don't put the app in a lower bucket than it's supposed to be in."
        new_bucket = min(new_bucket, self.min_bucket(package))
        self._set_history_bucket(package, new_bucket, reason)
        self._inform(package, old)

    def check_idle_states(self) -> None:
        """checkIdleStates -> checkAndUpdateStandbyState for every package."""
        if not self.app_standby_enabled:
            return
        for pkg in self._pm.packages():
            self._check_and_update(pkg.name)

    def _check_and_update(self, package: str) -> None:
        now = self.device.clock.elapsed_ms()
        app = self._history(package)
        old = app.bucket
        min_bucket = self.min_bucket(package)
        if min_bucket <= EXEMPTED:
            # "Exempted apps don't go through the normal bucketing"
            if app.bucket != min_bucket or (app.reason & REASON_MAIN_MASK) != REASON_MAIN_DEFAULT:
                self._set_history_bucket(package, min_bucket, REASON_MAIN_DEFAULT)
            self._inform(package, old)
            return
        if old == NEVER:
            return  # "None of this should bring an app out of the NEVER bucket."
        reason = app.reason
        new_bucket = max(old, ACTIVE)  # Undo EXEMPTED
        if reason & REASON_MAIN_MASK in (
            REASON_MAIN_DEFAULT,
            REASON_MAIN_USAGE,
            REASON_MAIN_TIMEOUT,
        ):
            new_bucket = self._bucket_for_age(app, now)
            reason = REASON_MAIN_TIMEOUT
        elapsed = self.elapsed_time(now)
        valid = [b for b, t in app.expiry.items() if b < new_bucket and t > elapsed]
        if valid:
            # getMinBucketWithValidExpiryTime
            new_bucket = min(valid)
            if new_bucket == ACTIVE or app.bucket == new_bucket:
                reason = app.reason
            else:
                reason = REASON_MAIN_USAGE | REASON_SUB_USAGE_ACTIVE_TIMEOUT
        new_bucket = min(new_bucket, min_bucket)
        if new_bucket != old:
            self._set_history_bucket(package, new_bucket, reason)
            self._inform(package, old)

    def _bucket_for_age(self, app: AppUsageHistory, now: int) -> int:
        # getBucketForLocked / AppIdleHistory.getThresholdIndex: -1 (never used) -> NEVER.
        if app.last_used_elapsed < 0 or app.last_used_screen < 0:
            return NEVER
        screen_delta = self.screen_on_time(now) - app.last_used_screen
        elapsed_delta = self.elapsed_time(now) - app.last_used_elapsed
        # Android 12 added the RESTRICTED step (the fifth threshold).
        count = 5 if self.api_level >= 31 else 4
        for i in range(count - 1, -1, -1):
            if screen_delta >= SCREEN_THRESHOLDS[i] and elapsed_delta >= ELAPSED_THRESHOLDS[i]:
                return THRESHOLD_BUCKETS[i]
        return ACTIVE

    def _schedule_check(self, delay_ms: int) -> None:
        if self._check_timer is not None and not self._check_timer.cancelled:
            if self._check_timer.when_elapsed_ms <= self.device.clock.elapsed_ms() + delay_ms:
                return
            self._check_timer.cancel()
        self._check_timer = self.call_later(delay_ms, "app_standby_check_idle", self._on_check)

    def _on_check(self) -> None:
        self._check_timer = None
        self.check_idle_states()
        self._schedule_check(CHECK_IDLE_INTERVAL_MS)

    # ------------------------------------------------------------------ exemptions
    def _doze_exempt(self, package: str) -> bool:
        try:
            from harness.virtual.system.deviceidle import DeviceIdleController
        except ImportError:
            return False
        doze = self.system.maybe_service(DeviceIdleController)
        if doze is None:
            return False
        # Injector.isNonIdleWhitelisted: the except-idle list (which holds the full one).
        check = getattr(doze, "is_except_idle_whitelisted", None) or doze.is_whitelisted
        return bool(check(package))

    @staticmethod
    def _has_launcher(pkg: InstalledPackage) -> bool:
        manifest = pkg.manifest
        return manifest is not None and manifest.launcher_activity() is not None

    # ------------------------------------------------------------------ events
    def _on_top_changed(self, package: str, activity: str = "", **_: object) -> None:
        # ActivityTaskManager reports ACTIVITY_PAUSED for the old top and ACTIVITY_RESUMED for
        # the new one; both count as use (reportEventLocked).
        previous = self._top
        self._top = package
        if previous and previous != package:
            self._event("ACTIVITY_PAUSED", previous)
            self.report_usage(previous, REASON_SUB_USAGE_MOVE_TO_BACKGROUND)
        self._event("ACTIVITY_RESUMED", package, f"class={activity}" if activity else "")
        self.report_usage(package, REASON_SUB_USAGE_MOVE_TO_FOREGROUND)

    def _on_package_added(self, package: str, replacing: bool = False, **_: object) -> None:
        if not replacing:
            # clearAppIdleForPackage, then the package starts in NEVER.
            self.state.packages.pop(package, None)
            self._history(package)
            self._check_and_update(package)

    def _on_package_removed(self, package: str, **_: object) -> None:
        self.state.packages.pop(package, None)

    def _on_whitelist_changed(self, **_: object) -> None:
        self.check_idle_states()

    def _on_setting(self, namespace: str, key: str, value: str | None, **_: object) -> None:
        if namespace == "global" and key in (
            "app_standby_enabled",
            "adaptive_battery_management_enabled",
        ):
            self.check_idle_states()

    def _on_battery(self, event: str, seq: int | None) -> None:
        # AppStandbyController follows ACTION_CHARGING/DISCHARGING (API 29+); Android 9 looked
        # at the plug state.
        if self.api_level >= 29:
            if event in ("charging", "discharging"):
                self._charging = event == "charging"
        elif event in ("power_connected", "power_disconnected"):
            self._charging = event == "power_connected"

    def _event(self, kind: str, package: str, extra: str = "") -> None:
        events = self.state.events
        events.append(UsageEvent(self.device.clock.wall_ms(), kind, package, extra))
        del events[:-MAX_EVENTS]

    def _global(self, key: str, default: str) -> str:
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        value = settings.get("global", key) if settings is not None else None
        return default if value is None else value

    # ------------------------------------------------------------------ am commands
    @staticmethod
    def _parse_user(inv: Invocation, cmd: str, args: list[str]) -> list[str] | None:
        """Leading options: ``--user U`` is accepted (one user here), others are errors."""
        rest = list(args)
        while rest and rest[0].startswith("-"):
            opt = rest.pop(0)
            if opt == "--user":
                if not rest:
                    _shell_exception(
                        inv,
                        cmd,
                        "java.lang.IllegalArgumentException",
                        'Argument expected after "--user"',
                    )
                    return None
                rest.pop(0)
            else:
                inv.errln(f"Error: Unknown option: {opt}")
                return None
        return rest

    def _bucket_value(self, inv: Invocation, name: str) -> int:
        """ActivityManagerShellCommand.bucketNameToBucketValue (lower-case prefixes)."""
        lower = name.lower()
        prefixes = [("ac", ACTIVE), ("wo", WORKING_SET), ("fr", FREQUENT), ("ra", RARE)]
        if self.api_level >= 30:
            prefixes.append(("re", RESTRICTED))
        prefixes.append(("ne", NEVER))
        for prefix, value in prefixes:
            if lower.startswith(prefix):
                return value
        try:
            return int(lower)
        except ValueError:
            inv.errln(f"Error: Unknown bucket: {name}")
            return -1

    async def _cmd_set_standby_bucket(self, inv: Invocation, args: list[str]) -> int:
        cmd = "set-standby-bucket"
        rest = self._parse_user(inv, cmd, args)
        if rest is None:
            return 255
        if len(rest) < 2:
            last = rest[-1] if rest else cmd
            _shell_exception(
                inv, cmd, "java.lang.IllegalArgumentException", f'Argument expected after "{last}"'
            )
            return 255
        pairs: list[tuple[str, int]] = []
        first = self._bucket_value(inv, rest[1])
        if first < 0:
            return 255
        pairs.append((rest[0], first))
        items = rest[2:]
        while items:
            package = items.pop(0)
            if not items:
                _shell_exception(
                    inv,
                    cmd,
                    "java.lang.IllegalArgumentException",
                    f'Argument expected after "{package}"',
                )
                return 255
            value = self._bucket_value(inv, items.pop(0))
            if value >= 0:  # a bad name in a list is reported and skipped
                pairs.append((package, value))
        # AppStandbyController.setAppStandbyBuckets: checks each pair, then applies it.
        for package, bucket in pairs:
            if bucket < ACTIVE or bucket > NEVER:
                _shell_exception(
                    inv,
                    cmd,
                    "java.lang.IllegalArgumentException",
                    f"Cannot set the standby bucket to {bucket}",
                )
                return 255
            pkg = self._pm.get(package)
            if pkg is not None and pkg.uid == inv.uid:
                _shell_exception(
                    inv,
                    cmd,
                    "java.lang.IllegalArgumentException",
                    "Cannot set your own standby bucket",
                )
                return 255
            if pkg is None:
                _shell_exception(
                    inv,
                    cmd,
                    "java.lang.IllegalArgumentException",
                    f"Cannot set standby bucket for non existent package ({package})",
                )
                return 255
            # A shell or root caller is "forced by user"; other core uids "forced by system".
            reason = (
                REASON_MAIN_FORCED_BY_USER if inv.uid in (0, 2000) else REASON_MAIN_FORCED_BY_SYSTEM
            )
            self._set_bucket(package, bucket, reason)
        return 0

    async def _cmd_get_standby_bucket(self, inv: Invocation, args: list[str]) -> int:
        cmd = "get-standby-bucket"
        rest = self._parse_user(inv, cmd, args)
        if rest is None:
            return 255
        if rest:
            package = rest[0]
            if self._pm.get(package) is None:
                _shell_exception(
                    inv,
                    cmd,
                    "java.lang.IllegalArgumentException",
                    f"Cannot get standby bucket for non existent package ({package})",
                )
                return 255
            inv.outln(str(self.bucket(package)))
            return 0
        # getAppStandbyBuckets walks AppIdleHistory's ArrayMap.
        for package in arraymap_order(list(self.state.packages)):
            inv.outln(f"{package}: {self.bucket(package)}")
        return 0

    async def _cmd_set_inactive(self, inv: Invocation, args: list[str]) -> int:
        cmd = "set-inactive"
        rest = self._parse_user(inv, cmd, args)
        if rest is None:
            return 255
        if len(rest) < 2:
            last = rest[-1] if rest else cmd
            _shell_exception(
                inv, cmd, "java.lang.IllegalArgumentException", f'Argument expected after "{last}"'
            )
            return 255
        self.force_idle_state(rest[0], rest[1] == "true")  # Boolean.parseBoolean
        return 0

    def force_idle_state(self, package: str, idle: bool) -> None:
        """AppStandbyController.forceIdleState (``am set-inactive``)."""
        if not self.app_standby_enabled or self._pm.get(package) is None:
            return
        if idle and self.min_bucket(package) < IDLE_BUCKET_CUTOFF:
            return  # "Tried to force an app to be idle when its min bucket is ..."
        old = self._history(package).bucket
        # AppIdleHistory.setIdle: RARE forced by user, or ACTIVE "as if just used".
        if idle:
            self._set_history_bucket(package, IDLE_BUCKET_CUTOFF, REASON_MAIN_FORCED_BY_USER)
        else:
            self._set_history_bucket(
                package, ACTIVE, REASON_MAIN_USAGE | REASON_SUB_USAGE_USER_INTERACTION
            )
        self._inform(package, old)

    async def _cmd_get_inactive(self, inv: Invocation, args: list[str]) -> int:
        cmd = "get-inactive"
        rest = self._parse_user(inv, cmd, args)
        if rest is None:
            return 255
        if not rest:
            _shell_exception(
                inv, cmd, "java.lang.IllegalArgumentException", f'Argument expected after "{cmd}"'
            )
            return 255
        inv.outln(f"Idle={'true' if self.is_app_idle(rest[0]) else 'false'}")
        return 0

    async def _cmd_make_uid_idle(self, inv: Invocation, args: list[str]) -> int:
        # ActivityManagerService.makePackageIdle: process-state only, no standby change.
        cmd = "make-uid-idle"
        rest = self._parse_user(inv, cmd, args)
        if rest is None:
            return 255
        if not rest:
            _shell_exception(
                inv, cmd, "java.lang.IllegalArgumentException", f'Argument expected after "{cmd}"'
            )
            return 255
        if self._pm.get(rest[0]) is None:
            _shell_exception(
                inv, cmd, "java.lang.IllegalArgumentException", f"Unknown package name {rest[0]}"
            )
            return 255
        from harness.virtual.system.active_services import ActiveServices

        services = self.system.maybe_service(ActiveServices)
        if services is not None:
            services.make_uid_idle(rest[0])
        return 0

    # ------------------------------------------------------------------ dumpsys usagestats
    async def dump(self, inv: Invocation, args: list[str]) -> int:
        if args and args[0] == "is-app-standby-enabled":
            inv.outln("true" if self.app_standby_enabled else "false")
            return 0
        standby_only = bool(args) and args[0] == "appstandby"
        if not standby_only:
            self._dump_events(inv)
        if self.api_level >= 31:
            inv.outln("")
            self._dump_standby_users(inv, indent="")
            inv.outln("")
        elif not standby_only:
            self._dump_standby_users(inv, indent="  ")
            inv.outln("")
        else:
            self._dump_standby_users(inv, indent="  ")
        self._dump_state(inv)
        return 0

    def _dump_events(self, inv: Invocation) -> None:
        inv.outln("user=0 ")
        now_wall = self.device.clock.wall_ms()
        since = now_wall - 86_400_000
        inv.outln(
            f'  Last 24 hour events (timeRange="{_wall_text(since)} – {_wall_text(now_wall)}" )'
        )
        for ev in self.state.events:
            if ev.wall_ms < since:
                continue
            extra = f" {ev.extra}" if ev.extra else ""
            inv.outln(
                f'    time="{_wall_text(ev.wall_ms, seconds=True)}" type={ev.kind} '
                f"package={ev.package}{extra} flags=0x0 "
            )
        inv.outln("  ")

    def _dump_standby_users(self, inv: Invocation, indent: str) -> None:
        api = self.api_level
        now = self.device.clock.elapsed_ms()
        total = self.elapsed_time(now)
        screen = self.screen_on_time(now)
        if api < 28:
            inv.outln(f"{indent}Package idle stats:")
        elif api >= 31:
            inv.outln("User 0 App Standby States:")
        else:
            inv.outln(f"{indent}App Standby States:")
        pad = indent + "  "
        for package in arraymap_order(list(self.state.packages)):
            app = self.state.packages[package]
            idle = "y" if app.bucket >= IDLE_BUCKET_CUTOFF else "n"
            if api < 28:
                inv.outln(
                    f"{pad}package={package} lastUsedElapsed={_ago(total, app.last_used_elapsed)}"
                    f" lastUsedScreenOn={_ago(screen, app.last_used_screen)} idle={idle}"
                )
                continue
            parts = [
                f"package={package}",
                "u=0",
                f"bucket={app.bucket}",
                f"reason={reason_to_string(app.reason)}",
                f"used={_ago(total, app.last_used_elapsed)}",
            ]
            if api >= 31:
                parts.append(f"usedByUser={_ago(total, app.last_used_by_user_elapsed)}")
            parts += [
                f"usedScr={_ago(screen, app.last_used_screen)}",
                f"lastPred={_ago(total, app.last_predicted)}",
            ]
            if api >= 31:
                parts.append(f"expiryTimes={_expiry_text(app, total)}")
            else:
                active = app.expiry.get(ACTIVE, 0)
                working = app.expiry.get(WORKING_SET, 0)
                parts.append(f"activeLeft={format_duration(active - total)}")
                parts.append(f"wsLeft={format_duration(working - total)}")
            parts.append(f"lastJob={_java_duration(total - app.last_job_run)}")
            if api >= 31:
                parts.append(f"lastInformedBucket={app.last_informed_bucket}")
            if app.last_restrict_attempt > 0 and api >= 30:
                parts.append(
                    f"lastRestrictAttempt={format_duration(total - app.last_restrict_attempt)}"
                )
                parts.append(f"lastRestrictReason={reason_to_string(app.last_restrict_reason)}")
            parts.append(f"idle={idle}")
            inv.outln(pad + " ".join(parts))
        inv.outln(pad)
        inv.outln(f"{pad}totalElapsedTime={format_duration(total)}")
        inv.outln(f"{pad}totalScreenOnTime={format_duration(screen)}")

    def _dump_state(self, inv: Invocation) -> None:
        api = self.api_level
        inv.outln("Carrier privileged apps (have=false): null")
        inv.outln("")
        inv.outln("Settings:")
        inv.outln(f"  mCheckIdleIntervalMillis={format_duration(CHECK_IDLE_INTERVAL_MS)}")
        if api >= 31:
            inv.outln(f"  mStrongUsageTimeoutMillis={format_duration(STRONG_USAGE_TIMEOUT_MS)}")
            update = format_duration(SYSTEM_UPDATE_USAGE_TIMEOUT_MS)
            inv.outln(f"  mSystemUpdateUsageTimeoutMillis={update}")
        inv.outln("")
        enabled = "true" if self.app_standby_enabled else "false"
        charging = "true" if self._charging else "false"
        count = 5 if api >= 31 else 4
        if api >= 30:
            inv.outln(
                f"mAppIdleEnabled={enabled} mAllowRestrictedBucket=true mIsCharging={charging}"
            )
        else:
            inv.outln(f"mAppIdleEnabled={enabled} mAppIdleTempParoled=false mCharging={charging}")
        inv.outln(f"mScreenThresholds=[{', '.join(str(t) for t in SCREEN_THRESHOLDS[:count])}]")
        inv.outln(f"mElapsedThresholds=[{', '.join(str(t) for t in ELAPSED_THRESHOLDS[:count])}]")


def _ago(total: int, when: int) -> str:
    # AppIdleHistory.printLastActionElapsedTime.
    return "<uninitialized>" if when < 0 else format_duration(total - when)


def _expiry_text(app: AppUsageHistory, total: int) -> str:
    # AppIdleHistory.dumpBucketExpiryTimes.
    if not app.expiry:
        return "<none>"
    return (
        "("
        + ",".join(f"{b}:{format_duration(total - t)}" for b, t in sorted(app.expiry.items()))
        + ")"
    )


def _java_duration(value: int) -> str:
    """TimeUtils.formatDuration of a Java long that may have overflowed.

    ``totalElapsed - Long.MIN_VALUE`` (a job never ran) wraps around, and formatDurationLocked
    keeps the seconds in an int (``(int) Math.floor(duration / 1000)`` saturates), so the phone
    prints ``-24855d3h14m7s...``; reproduce both.
    """
    value = (value + (1 << 63)) % (1 << 64) - (1 << 63)  # long arithmetic
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "-"
    magnitude = -value if value < 0 else value
    millis = magnitude % 1000
    seconds = min(magnitude // 1000, (1 << 31) - 1)
    text = format_duration(seconds * 1000 + millis)
    return sign + text[1:]


def _wall_text(wall_ms: int, seconds: bool = False) -> str:
    stamp = time.localtime(wall_ms / 1000)
    if seconds:
        return time.strftime("%Y-%m-%d %H:%M:%S", stamp)
    return f"{stamp.tm_mon}/{stamp.tm_mday}/{stamp.tm_year}, {stamp.tm_hour:02d}:{stamp.tm_min:02d}"
