"""DeviceIdleController constants and dump layout per Android release.

Each :class:`DozeEra` holds the ``Settings:`` block exactly as ``dumpsys deviceidle`` prints it
on that release (keys in print order, default values) plus the few behaviour and layout switches
that changed between releases. Sources, by era:

- O (26-27): DeviceIdleController.Constants of N/O (KeyValueListParser defaults); a Pixel on
  API 27 prints these keys and values.
- P (28): AOSP lowered light_after_inactive_to and light_pre_idle_to from 5/10 min to 3/3 min and
  added wait_for_unlock (default false); two API 28 devices print exactly this block.
- Q/R (29-30): decompiled R-era DeviceIdleController: quick_doze_delay_to, wait_for_unlock=true,
  pre_idle_factor_*; mCurIdleBudget and mUseMotionSensor in the dump.
- S (31-32): aosp-mirror/platform_frameworks_base@01740eff DeviceIdleController (DeviceConfig
  names, *_allowlist_duration_ms, flex constants, use_window_alarms, light PRE_IDLE).
- T (33): an API 33 device's dump: no light_pre_idle_to and no light flex constants, and
  light_after_inactive_to=4 min (PRE_IDLE's 1 + 3 min folded into one wait).
- U+ (34-36): decompiled Android 14 DeviceIdleController: lightStateToString has no PRE_IDLE,
  light_idle_to_initial_flex/light_max_idle_to_flex are back, activeEmergencyCall is dumped and
  the light delay is printed as mNextLightIdleDelay. Later releases are assumed to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from harness.virtual.system.javafmt import format_duration

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

SettingValue = int | float | bool

# The light/deep timings shared by every era (DeviceIdleController.Constants defaults).
_COMMON_TAIL: tuple[tuple[str, SettingValue], ...] = (
    ("light_idle_maintenance_min_budget", 1 * MINUTE),
    ("light_idle_maintenance_max_budget", 5 * MINUTE),
    ("min_light_maintenance_time", 5 * SECOND),
    ("min_deep_maintenance_time", 30 * SECOND),
    ("inactive_to", 30 * MINUTE),
    ("sensing_to", 4 * MINUTE),
    ("locating_to", 30 * SECOND),
    ("location_accuracy", 20.0),
    ("motion_inactive_to", 10 * MINUTE),
)

_WHITELIST_DURATIONS: tuple[tuple[str, SettingValue], ...] = (
    ("max_temp_app_whitelist_duration", 5 * MINUTE),
    ("mms_temp_app_whitelist_duration", 1 * MINUTE),
    ("sms_temp_app_whitelist_duration", 20 * SECOND),
    ("notification_whitelist_duration", 30 * SECOND),
)

_ALLOWLIST_DURATIONS: tuple[tuple[str, SettingValue], ...] = (
    ("max_temp_app_allowlist_duration_ms", 5 * MINUTE),
    ("mms_temp_app_allowlist_duration_ms", 1 * MINUTE),
    ("sms_temp_app_allowlist_duration_ms", 20 * SECOND),
    ("notification_allowlist_duration_ms", 30 * SECOND),
)


def _deep_block(quick_doze: bool, motion_flex: bool, min_time_to_alarm: int) -> tuple:
    block: list[tuple[str, SettingValue]] = []
    if motion_flex:
        block.append(("motion_inactive_to_flex", 1 * MINUTE))
    block += [
        ("idle_after_inactive_to", 30 * MINUTE),
        ("idle_pending_to", 5 * MINUTE),
        ("max_idle_pending_to", 10 * MINUTE),
        ("idle_pending_factor", 2.0),
    ]
    if quick_doze:
        block.append(("quick_doze_delay_to", 1 * MINUTE))
    block += [
        ("idle_to", 1 * HOUR),
        ("max_idle_to", 6 * HOUR),
        ("idle_factor", 2.0),
        ("min_time_to_alarm", min_time_to_alarm),
    ]
    return tuple(block)


_PRE_IDLE_FACTORS: tuple[tuple[str, SettingValue], ...] = (
    ("pre_idle_factor_long", 1.67),
    ("pre_idle_factor_short", 0.33),
)


@dataclass(frozen=True)
class DozeEra:
    """Constants, behaviour switches and dump layout of DeviceIdleController on some releases."""

    name: str
    min_api: int
    max_api: int
    settings: tuple[tuple[str, SettingValue], ...]
    pre_idle: bool  # light PRE_IDLE exists (gone from Android 13 on)
    quick_doze: bool  # battery saver's quick doze (Android 10 on)
    pre_idle_factor: bool  # "pre-idle-factor" shell command and mPreIdleFactor
    force_active: bool  # "force-active" shell command
    light_reset_to_defaults: bool  # resetLightIdleManagementLocked loads defaults (U) or zeros
    use_motion_sensor_line: bool  # "mUseMotionSensor=... mMotionSensor=..." vs "mMotionSensor="
    keyguard: bool  # observes the keyguard: mScreenLocked, wait_for_unlock, "unlocked"
    motion_listener_lines: bool  # activatedTimeElapsed, last motion, stationary listeners
    budget_label: str
    light_delay_label: str
    emergency_line: bool

    @cached_property
    def values(self) -> dict[str, SettingValue]:
        return dict(self.settings)

    def has(self, key: str) -> bool:
        return key in self.values

    def ms(self, key: str) -> int:
        return int(self.values[key])

    def factor(self, key: str) -> float:
        return float(self.values[key])

    @property
    def wait_for_unlock(self) -> bool:
        # Releases without the key behave as wait_for_unlock=false: screen-on ends Doze.
        return bool(self.values.get("wait_for_unlock", False))

    @property
    def use_window_alarms(self) -> bool:
        return bool(self.values.get("use_window_alarms", False))

    @property
    def max_temp_allowlist_ms(self) -> int:
        key = (
            "max_temp_app_allowlist_duration_ms"
            if self.has("max_temp_app_allowlist_duration_ms")
            else "max_temp_app_whitelist_duration"
        )
        return self.ms(key)

    @property
    def light_initial_flex_ms(self) -> int:
        """Flex of the first light idle window; FLEX_TIME_SHORT where no own constant exists."""
        if self.has("light_idle_to_initial_flex"):
            return self.ms("light_idle_to_initial_flex")
        return self.ms("flex_time_short") if self.has("flex_time_short") else 0

    @property
    def light_max_flex_ms(self) -> int:
        if self.has("light_max_idle_to_flex"):
            return self.ms("light_max_idle_to_flex")
        return self.ms("light_max_idle_to")


ERAS: tuple[DozeEra, ...] = (
    DozeEra(
        "O",
        26,
        27,
        (
            ("light_after_inactive_to", 5 * MINUTE),
            ("light_pre_idle_to", 10 * MINUTE),
            ("light_idle_to", 5 * MINUTE),
            ("light_idle_factor", 2.0),
            ("light_max_idle_to", 15 * MINUTE),
            *_COMMON_TAIL,
            *_deep_block(quick_doze=False, motion_flex=False, min_time_to_alarm=1 * HOUR),
            *_WHITELIST_DURATIONS,
        ),
        pre_idle=True,
        quick_doze=False,
        pre_idle_factor=False,
        force_active=False,
        light_reset_to_defaults=False,
        use_motion_sensor_line=False,
        keyguard=False,
        motion_listener_lines=False,
        budget_label="mCurIdleBudget",
        light_delay_label="mNextIdleDelay",
        emergency_line=False,
    ),
    DozeEra(
        "P",
        28,
        28,
        (
            ("light_after_inactive_to", 3 * MINUTE),
            ("light_pre_idle_to", 3 * MINUTE),
            ("light_idle_to", 5 * MINUTE),
            ("light_idle_factor", 2.0),
            ("light_max_idle_to", 15 * MINUTE),
            *_COMMON_TAIL,
            *_deep_block(quick_doze=False, motion_flex=False, min_time_to_alarm=1 * HOUR),
            *_WHITELIST_DURATIONS,
            ("wait_for_unlock", False),
        ),
        pre_idle=True,
        quick_doze=False,
        pre_idle_factor=False,
        force_active=False,
        light_reset_to_defaults=False,
        use_motion_sensor_line=False,
        keyguard=True,
        motion_listener_lines=False,
        budget_label="mCurIdleBudget",
        light_delay_label="mNextIdleDelay",
        emergency_line=False,
    ),
    DozeEra(
        "Q/R",
        29,
        30,
        (
            ("light_after_inactive_to", 3 * MINUTE),
            ("light_pre_idle_to", 3 * MINUTE),
            ("light_idle_to", 5 * MINUTE),
            ("light_idle_factor", 2.0),
            ("light_max_idle_to", 15 * MINUTE),
            *_COMMON_TAIL,
            *_deep_block(quick_doze=True, motion_flex=False, min_time_to_alarm=1 * HOUR),
            *_WHITELIST_DURATIONS,
            ("wait_for_unlock", True),
            *_PRE_IDLE_FACTORS,
        ),
        pre_idle=True,
        quick_doze=True,
        pre_idle_factor=True,
        force_active=False,
        light_reset_to_defaults=False,
        use_motion_sensor_line=True,
        keyguard=True,
        motion_listener_lines=True,
        budget_label="mCurIdleBudget",
        light_delay_label="mNextIdleDelay",
        emergency_line=False,
    ),
    DozeEra(
        "S",
        31,
        32,
        (
            ("flex_time_short", 1 * MINUTE),
            ("light_after_inactive_to", 1 * MINUTE),
            ("light_pre_idle_to", 3 * MINUTE),
            ("light_idle_to", 5 * MINUTE),
            ("light_idle_to_initial_flex", 1 * MINUTE),
            ("light_max_idle_to_flex", 15 * MINUTE),
            ("light_idle_factor", 2.0),
            ("light_max_idle_to", 15 * MINUTE),
            *_COMMON_TAIL,
            *_deep_block(quick_doze=True, motion_flex=True, min_time_to_alarm=30 * MINUTE),
            *_ALLOWLIST_DURATIONS,
            ("wait_for_unlock", True),
            *_PRE_IDLE_FACTORS,
            ("use_window_alarms", True),
        ),
        pre_idle=True,
        quick_doze=True,
        pre_idle_factor=True,
        force_active=False,
        light_reset_to_defaults=False,
        use_motion_sensor_line=True,
        keyguard=True,
        motion_listener_lines=True,
        budget_label="mCurLightIdleBudget",
        light_delay_label="mNextIdleDelay",
        emergency_line=False,
    ),
    DozeEra(
        "T",
        33,
        33,
        (
            ("flex_time_short", 1 * MINUTE),
            ("light_after_inactive_to", 4 * MINUTE),
            ("light_idle_to", 5 * MINUTE),
            ("light_idle_factor", 2.0),
            ("light_max_idle_to", 15 * MINUTE),
            *_COMMON_TAIL,
            *_deep_block(quick_doze=True, motion_flex=True, min_time_to_alarm=30 * MINUTE),
            *_ALLOWLIST_DURATIONS,
            ("wait_for_unlock", True),
            *_PRE_IDLE_FACTORS,
            ("use_window_alarms", True),
        ),
        pre_idle=False,
        quick_doze=True,
        pre_idle_factor=True,
        force_active=True,
        light_reset_to_defaults=False,
        use_motion_sensor_line=True,
        keyguard=True,
        motion_listener_lines=True,
        budget_label="mCurLightIdleBudget",
        light_delay_label="mNextIdleDelay",
        emergency_line=False,
    ),
    DozeEra(
        "U",
        34,
        36,
        (
            ("flex_time_short", 1 * MINUTE),
            ("light_after_inactive_to", 4 * MINUTE),
            ("light_idle_to", 5 * MINUTE),
            ("light_idle_to_initial_flex", 1 * MINUTE),
            ("light_max_idle_to_flex", 15 * MINUTE),
            ("light_idle_factor", 2.0),
            ("light_max_idle_to", 15 * MINUTE),
            *_COMMON_TAIL,
            *_deep_block(quick_doze=True, motion_flex=True, min_time_to_alarm=30 * MINUTE),
            *_ALLOWLIST_DURATIONS,
            ("wait_for_unlock", True),
            *_PRE_IDLE_FACTORS,
            ("use_window_alarms", True),
        ),
        pre_idle=False,
        quick_doze=True,
        pre_idle_factor=True,
        force_active=True,
        light_reset_to_defaults=True,
        use_motion_sensor_line=True,
        keyguard=True,
        motion_listener_lines=True,
        budget_label="mCurLightIdleBudget",
        light_delay_label="mNextLightIdleDelay",
        emergency_line=True,
    ),
)


def era_for(api_level: int) -> DozeEra:
    for era in ERAS:
        if era.min_api <= api_level <= era.max_api:
            return era
    # Below the modelled range the oldest era is the closest; above it, the newest.
    return ERAS[0] if api_level < ERAS[0].min_api else ERAS[-1]


def format_setting(key: str, value: SettingValue) -> str:
    """One ``key=value`` line body as Constants.dump prints it."""
    if isinstance(value, bool):
        return f"{key}={'true' if value else 'false'}"
    if isinstance(value, float):
        # location_accuracy is printed in metres: pw.print(LOCATION_ACCURACY); pw.print("m").
        return f"{key}={value!r}{'m' if key == 'location_accuracy' else ''}"
    return f"{key}={format_duration(value)}"
