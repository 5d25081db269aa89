"""AlarmManager's vocabulary: alarm types and flags, the constants of each release, the request
an app model makes (:class:`AlarmSpec`), the server's record of an alarm (:class:`Alarm`) and
the rolling delivery histories that the quotas count.

Sources: AlarmManager.java (types, flags, window constants, compat change ids) and
AlarmManagerService.java / Alarm.java (constants, policies, histories), AOSP commit 0177c5f2
(Android 14) with the early-Android-12 copy and the captured dumps for older releases; see
``android-background-behavior.md`` §5.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

# AlarmManager.RTC_WAKEUP .. ELAPSED_REALTIME.
RTC_WAKEUP = 0
RTC = 1
ELAPSED_REALTIME_WAKEUP = 2
ELAPSED_REALTIME = 3
ALARM_TYPES = (RTC_WAKEUP, RTC, ELAPSED_REALTIME_WAKEUP, ELAPSED_REALTIME)

# AlarmManager.WINDOW_EXACT / WINDOW_HEURISTIC: what set*() passes as windowLength.
WINDOW_EXACT = 0
WINDOW_HEURISTIC = -1

# AlarmManager.FLAG_* (the bits dumped in "flags=0x..").
FLAG_STANDALONE = 0x1
FLAG_WAKE_FROM_IDLE = 0x2
FLAG_ALLOW_WHILE_IDLE = 0x4
FLAG_ALLOW_WHILE_IDLE_UNRESTRICTED = 0x8
FLAG_IDLE_UNTIL = 0x10
FLAG_ALLOW_WHILE_IDLE_COMPAT = 0x20

# Intent.EXTRA_ALARM_COUNT, put in every PendingIntent alarm's fill-in intent.
EXTRA_ALARM_COUNT = "android.intent.extra.ALARM_COUNT"
# Intent.FLAG_FROM_BACKGROUND: AlarmManagerService.mBackgroundIntent's flag.
FLAG_FROM_BACKGROUND = 0x4
ACTION_SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED = (
    "android.app.action.SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED"
)
SCHEDULE_EXACT_ALARM = "android.permission.SCHEDULE_EXACT_ALARM"
USE_EXACT_ALARM = "android.permission.USE_EXACT_ALARM"

# Alarm.EXACT_ALLOW_REASON_* as exactReasonToString prints them.
REASON_PERMISSION = "permission"
REASON_POLICY_PERMISSION = "policy_permission"
REASON_ALLOW_LIST = "allow-listed"
REASON_COMPAT = "compat"
REASON_LISTENER = "listener"

# AlarmManagerService.RemovedAlarm reasons that are logged in "Removal history:".
REMOVE_ALARM_CANCELLED = "alarm_cancelled"
REMOVE_EXACT_PERMISSION_REVOKED = "exact_alarm_permission_revoked"
REMOVE_DATA_CLEARED = "data_cleared"
REMOVE_PI_CANCELLED = "pi_cancelled"

# PowerExemptionManager reason codes of the temp allowlist an alarm delivery grants.
TEMP_ALLOWLIST_WHILE_IDLE = (302, "ALARM_MANAGER_WHILE_IDLE")
TEMP_ALLOWLIST_ALARM_CLOCK = (301, "ALARM_MANAGER_ALARM_CLOCK")
TEMP_ALLOWLIST_DENIED = (-1, "DENIED")

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# AlarmManagerService.INDEFINITE_DELAY: "deferred until the quota changes".
INDEFINITE_DELAY = 365 * DAY
# AlarmManagerService.MIN_FUZZABLE_INTERVAL: shorter futurities get no heuristic window.
MIN_FUZZABLE_INTERVAL = 10_000

# Standby buckets (UsageStatsManager) the quotas are indexed by.
BUCKET_ACTIVE = 10
BUCKET_WORKING_SET = 20
BUCKET_FREQUENT = 30
BUCKET_RARE = 40
BUCKET_RESTRICTED = 45
BUCKET_NEVER = 50
BUCKET_EXEMPTED = 5


@dataclass(frozen=True)
class AlarmEra:
    """What one group of releases does and prints.

    ``layout`` is the dump's alarm list ("batches" before Android 12, "pending" after);
    ``standby`` is how buckets throttle alarms: None (Android 8, no buckets), "delay"
    (Android 9: minimum delay since the last delivery) or "quota" (Android 10+: deliveries per
    rolling window); ``awi`` is the allow-while-idle throttle: "spacing" (before 12: one per
    short/long time per uid) or "quota" (12+: a rolling count per package).
    """

    name: str
    min_api: int
    layout: str
    standby: str | None
    awi: str
    compat_quota: int = 7
    compat_window_ms: int = HOUR
    policies: tuple[str, ...] = ("requester", "app_standby", "device_idle", "battery_saver")
    settings: tuple[str, ...] = ()
    trailing_space: bool = True  # IndentingPrintWriter.print(key, value) adds a space

    @property
    def pending_layout(self) -> bool:
        return self.layout == "pending"


# Settings printed by Constants.dump, in order, per release (captures and source).
_SETTINGS_O = (
    "min_futurity", "min_interval", "listener_timeout", "allow_while_idle_short_time",
    "allow_while_idle_long_time", "allow_while_idle_whitelist_duration",
)  # fmt: skip
_SETTINGS_P = (
    "min_futurity", "min_interval", "max_interval", "listener_timeout",
    "allow_while_idle_short_time", "allow_while_idle_long_time",
    "allow_while_idle_whitelist_duration", "standby_active_delay", "standby_working_delay",
    "standby_frequent_delay", "standby_rare_delay", "standby_never_delay",
)  # fmt: skip
_SETTINGS_Q = (
    "min_futurity", "min_interval", "max_interval", "listener_timeout",
    "allow_while_idle_short_time", "allow_while_idle_long_time",
    "allow_while_idle_whitelist_duration", "max_alarms_per_uid", "app_standby_window",
    "standby_active_quota", "standby_working_quota", "standby_frequent_quota",
    "standby_rare_quota", "standby_never_quota",
)  # fmt: skip
_SETTINGS_R = (*_SETTINGS_Q, "standby_restricted_quota", "app_standby_restricted_window")
_SETTINGS_S = (
    "version", "min_futurity", "min_interval", "max_interval", "min_window", "listener_timeout",
    "allow_while_idle_quota", "allow_while_idle_window", "allow_while_idle_compat_quota",
    "allow_while_idle_compat_window", "allow_while_idle_whitelist_duration",
    "max_alarms_per_uid", "app_standby_window", "standby_quota_active", "standby_quota_working",
    "standby_quota_frequent", "standby_quota_rare", "standby_quota_never",
    "standby_quota_restricted", "app_standby_restricted_window", "lazy_batching",
    "time_tick_allowed_while_idle", "crash_non_clock_apps", "priority_alarm_delay",
    "exact_alarm_deny_list", "min_device_idle_fuzz", "max_device_idle_fuzz",
    "kill_on_schedule_exact_alarm_revoked",
)  # fmt: skip
_SETTINGS_T = (*_SETTINGS_S, "enable_tare", "temporary_quota_bump")
_SETTINGS_U = (
    "version", "min_futurity", "min_interval", "max_interval", "min_window", "listener_timeout",
    "allow_while_idle_quota", "allow_while_idle_window", "allow_while_idle_compat_quota",
    "allow_while_idle_compat_window", "allow_while_idle_whitelist_duration",
    "max_alarms_per_uid", "app_standby_window", "standby_quota_active", "standby_quota_working",
    "standby_quota_frequent", "standby_quota_rare", "standby_quota_never",
    "standby_quota_restricted", "app_standby_restricted_window", "time_tick_allowed_while_idle",
    "priority_alarm_delay", "exact_alarm_deny_list", "min_device_idle_fuzz",
    "max_device_idle_fuzz", "kill_on_schedule_exact_alarm_revoked", "enable_tare",
    "temporary_quota_bump", "delay_nonwakeup_alarms_while_screen_off",
)  # fmt: skip
_SETTINGS_V = (
    *(k for k in _SETTINGS_U if k != "enable_tare"),
    "cached_listener_removal_delay",
)

ERAS = (
    AlarmEra("O", 26, "batches", None, "spacing", settings=_SETTINGS_O, trailing_space=False),
    AlarmEra("P", 28, "batches", "delay", "spacing", settings=_SETTINGS_P, trailing_space=False),
    AlarmEra("Q", 29, "batches", "quota", "spacing", settings=_SETTINGS_Q, trailing_space=False),
    AlarmEra("R", 30, "batches", "quota", "spacing", settings=_SETTINGS_R, trailing_space=False),
    # Android 12 and 13 kept the pre-S "one per 9 minutes" as a 1-per-9-min compat quota (the
    # Android 13 capture prints allow_while_idle_compat_quota=1 / _window=+9m0s0ms); Android 14
    # made it 7 per hour ("The same as allowing an alarm slot once every ... 9 minutes").
    AlarmEra("S", 31, "pending", "quota", "quota", 1, 9 * MINUTE, settings=_SETTINGS_S),
    AlarmEra(
        "T", 33, "pending", "quota", "quota", 1, 9 * MINUTE,
        policies=("requester", "app_standby", "device_idle", "battery_saver", "tare"),
        settings=_SETTINGS_T,
    ),
    AlarmEra(
        "U", 34, "pending", "quota", "quota", 7, HOUR,
        policies=("requester", "app_standby", "device_idle", "battery_saver", "tare"),
        settings=_SETTINGS_U,
    ),
    # TARE is gone; the newest capture prints an alarm_align policy instead.
    AlarmEra(
        "V", 35, "pending", "quota", "quota", 7, HOUR,
        policies=("requester", "app_standby", "device_idle", "battery_saver", "alarm_align"),
        settings=_SETTINGS_V, trailing_space=False,
    ),
)  # fmt: skip


def era_for(api_level: int) -> AlarmEra:
    chosen = ERAS[0]
    for era in ERAS:
        if api_level >= era.min_api:
            chosen = era
    return chosen


@dataclass(frozen=True)
class AlarmConstants:
    """AlarmManagerService.Constants defaults (DeviceConfig namespace ``alarm_manager``)."""

    min_futurity_ms: int = 5_000
    min_interval_ms: int = MINUTE
    max_interval_ms: int = 365 * DAY
    min_window_ms: int = 10 * MINUTE
    listener_timeout_ms: int = 5_000
    allow_while_idle_quota: int = 72
    allow_while_idle_window_ms: int = HOUR
    allow_while_idle_whitelist_duration_ms: int = 10_000
    # Before Android 12: allow_while_idle_short_time / _long_time.
    allow_while_idle_short_ms: int = 5_000
    allow_while_idle_long_ms: int = 9 * MINUTE
    max_alarms_per_uid: int = 500
    app_standby_window_ms: int = HOUR
    standby_quotas: tuple[int, int, int, int, int] = (720, 10, 2, 1, 0)
    standby_restricted_quota: int = 1
    standby_restricted_window_ms: int = DAY
    # Android 9 delays per bucket: active, working, frequent, rare, never.
    standby_delays_ms: tuple[int, int, int, int, int] = (
        0, 6 * MINUTE, 30 * MINUTE, 2 * HOUR, 10 * DAY,
    )  # fmt: skip
    priority_alarm_delay_ms: int = 9 * MINUTE
    min_device_idle_fuzz_ms: int = 2 * MINUTE
    max_device_idle_fuzz_ms: int = 15 * MINUTE
    kill_on_schedule_exact_alarm_revoked: bool = True
    delay_nonwakeup_alarms_while_screen_off: bool = True


def type_label(alarm_type: int) -> str:
    """Alarm.typeToString (Android 12+) and the older dumpAlarmList labels (the same words)."""
    return {
        RTC: "RTC",
        RTC_WAKEUP: "RTC_WAKEUP",
        ELAPSED_REALTIME: "ELAPSED",
        ELAPSED_REALTIME_WAKEUP: "ELAPSED_WAKEUP",
    }.get(alarm_type, "--unknown--")


def is_rtc(alarm_type: int) -> bool:
    return alarm_type in (RTC, RTC_WAKEUP)


def is_wakeup(alarm_type: int) -> bool:
    return alarm_type in (RTC_WAKEUP, ELAPSED_REALTIME_WAKEUP)


def identity_hash(*parts: object) -> str:
    """A stand-in for System.identityHashCode: stable, 7 hex digits like the dumps show."""
    return f"{zlib.crc32(':'.join(map(str, parts)).encode()) & 0xFFFFFFF:07x}"


@dataclass
class AlarmSpec:
    """One ``AlarmManager.set*()`` call of an app model, with a PendingIntent for a receiver.

    - ``type``: RTC_WAKEUP, RTC, ELAPSED_REALTIME_WAKEUP or ELAPSED_REALTIME.
    - ``trigger_at_ms``: wall-clock ms for RTC types, ``elapsedRealtime`` ms otherwise.
    - ``receiver``: the BroadcastReceiver class the PendingIntent targets (``.AlarmReceiver`` is
      relative to the package); ``action``, ``extras`` and ``request_code`` complete the
      PendingIntent. Two specs with the same receiver, action and request code are the same
      PendingIntent (Intent.filterEquals + requestCode; extras do not count), so setting one
      replaces the other, as on Android.
    - ``window_ms``: WINDOW_HEURISTIC (-1, ``set()``), WINDOW_EXACT (0, ``setExact()``) or a
      window length (``setWindow()``).
    - ``interval_ms``: > 0 for ``setRepeating`` / ``setInexactRepeating``.
    - ``allow_while_idle``: ``setAndAllowWhileIdle`` / ``setExactAndAllowWhileIdle``.
    - ``alarm_clock``: ``setAlarmClock(AlarmClockInfo(trigger, show_intent), operation)``; the
      type is then RTC_WAKEUP and the window exact, as AlarmManager.setAlarmClock passes them.
    """

    type: int
    trigger_at_ms: int
    receiver: str
    action: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    request_code: int = 0
    window_ms: int = WINDOW_HEURISTIC
    interval_ms: int = 0
    allow_while_idle: bool = False
    alarm_clock: bool = False
    show_intent: str | None = None

    # -------------------------------------------------------------- the AlarmManager methods
    @classmethod
    def set(cls, type: int, trigger_at_ms: int, receiver: str, **kw: Any) -> AlarmSpec:
        return cls(type, trigger_at_ms, receiver, window_ms=WINDOW_HEURISTIC, **kw)

    @classmethod
    def set_exact(cls, type: int, trigger_at_ms: int, receiver: str, **kw: Any) -> AlarmSpec:
        return cls(type, trigger_at_ms, receiver, window_ms=WINDOW_EXACT, **kw)

    @classmethod
    def set_window(
        cls, type: int, window_start_ms: int, window_ms: int, receiver: str, **kw: Any
    ) -> AlarmSpec:
        return cls(type, window_start_ms, receiver, window_ms=window_ms, **kw)

    @classmethod
    def set_and_allow_while_idle(
        cls, type: int, trigger_at_ms: int, receiver: str, **kw: Any
    ) -> AlarmSpec:
        return cls(
            type, trigger_at_ms, receiver, window_ms=WINDOW_HEURISTIC, allow_while_idle=True, **kw
        )

    @classmethod
    def set_exact_and_allow_while_idle(
        cls, type: int, trigger_at_ms: int, receiver: str, **kw: Any
    ) -> AlarmSpec:
        return cls(
            type, trigger_at_ms, receiver, window_ms=WINDOW_EXACT, allow_while_idle=True, **kw
        )

    @classmethod
    def set_alarm_clock(
        cls, trigger_wall_ms: int, receiver: str, show_intent: str | None = None, **kw: Any
    ) -> AlarmSpec:
        return cls(
            RTC_WAKEUP, trigger_wall_ms, receiver, window_ms=WINDOW_EXACT, alarm_clock=True,
            show_intent=show_intent, **kw,
        )  # fmt: skip

    @classmethod
    def set_repeating(
        cls, type: int, trigger_at_ms: int, interval_ms: int, receiver: str, **kw: Any
    ) -> AlarmSpec:
        # setRepeating is inexact for apps targeting 19+ (AlarmManager.legacyExactLength).
        return cls(
            type, trigger_at_ms, receiver, window_ms=WINDOW_HEURISTIC, interval_ms=interval_ms,
            **kw,
        )  # fmt: skip

    # -------------------------------------------------------------- identity
    def qualified_receiver(self, package: str) -> str:
        if self.receiver.startswith("."):
            return package + self.receiver
        return self.receiver if "." in self.receiver else f"{package}.{self.receiver}"

    def operation_key(self, package: str) -> tuple[str, str | None, int]:
        """What makes two PendingIntents equal (filterEquals + request code)."""
        return (self.qualified_receiver(package), self.action, self.request_code)


@dataclass(eq=False)
class Alarm:
    """AlarmManagerService's Alarm: the request, its flags and the per-policy earliest times.

    ``policy`` maps each policy name to the earliest elapsed time it allows; the alarm is due at
    the latest of them (Alarm.updateWhenElapsed). ``requester`` is the requested time.
    """

    seq: int
    package: str
    uid: int
    type: int
    orig_when: int
    window_ms: int
    interval_ms: int
    flags: int
    stats_tag: str
    spec: AlarmSpec | None
    exact_allow_reason: str | None  # None: EXACT_ALLOW_REASON_NOT_APPLICABLE
    # The temp allowlist given on delivery (the alarm's "idle options"): None, or the
    # (reason code, reason name) and whether it lets the app start a foreground service.
    idle_options: tuple[tuple[int, str], bool] | None
    alarm_clock_ms: int | None
    set_elapsed: int
    policy: dict[str, int] = field(default_factory=dict)
    count: int = 0
    hash: str = ""
    pi_hash: str = ""
    pir_hash: str = ""
    listener: str | None = None  # system listener alarms (the idle-until one)

    @property
    def requested_elapsed(self) -> int:
        return self.policy.get("requester", 0)

    @property
    def when_elapsed(self) -> int:
        return max(self.policy.values()) if self.policy else 0

    @property
    def max_when_elapsed(self) -> int:
        return max(self.requested_elapsed + self.window_ms, self.when_elapsed)

    @property
    def wakeup(self) -> bool:
        return is_wakeup(self.type)

    @property
    def allow_while_idle_restricted(self) -> bool:
        """isAllowedWhileIdleRestricted: AWI or AWI-compat (quota-limited while idle)."""
        return bool(self.flags & (FLAG_ALLOW_WHILE_IDLE | FLAG_ALLOW_WHILE_IDLE_COMPAT))

    def matches(self, package: str, key: tuple[str, str | None, int]) -> bool:
        return (
            self.spec is not None
            and self.package == package
            and self.spec.operation_key(package) == key
        )


def stats_tag(alarm_type: int, action: str | None, component: str | None) -> str:
    """Alarm.makeTag: ``*walarm*:`` / ``*alarm*:`` plus the PendingIntent's tag (its action, or
    else its component as flattenToShortString, or ``null``)."""
    prefix = "*walarm*:" if is_wakeup(alarm_type) else "*alarm*:"
    return prefix + (action or component or "null")


class AppWakeupHistory:
    """AlarmManagerService.AppWakeupHistory: delivery times per package in a rolling window.

    Entries are only dropped when a new one is recorded (snapToWindow), so a count can include
    old entries; the quota arithmetic (Nth-last + window) makes those harmless, as in AOSP.
    """

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self.history: dict[str, list[int]] = {}

    def record(self, package: str, now: int) -> None:
        times = self.history.setdefault(package, [])
        if not times or times[-1] < now:
            times.append(now)
        while times and times[0] + self.window_ms < times[-1]:
            times.pop(0)

    def total(self, package: str) -> int:
        return len(self.history.get(package, []))

    def nth_last(self, package: str, n: int) -> int:
        times = self.history.get(package, [])
        i = len(times) - n
        return times[i] if 0 <= i < len(times) else 0

    def remove(self, package: str) -> None:
        self.history.pop(package, None)
