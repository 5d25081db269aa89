"""PowerManagerService: wakefulness, stay-awake, wake locks and battery saver.

Screen. Key events arrive from ``input keyevent`` through the ``key_event`` bus event: POWER
toggles, WAKEUP wakes, SLEEP sleeps (PhoneWindowManager.interceptKeyBeforeQueueing). A device
starts awake, as a phone on a test bench whose screen was just unlocked. The user-activity
timeout (``screen_off_timeout``) is not modelled: the screen only goes off on a key or
:meth:`PowerManagerService.set_screen`.

Power. ``mIsPowered``/``mPlugType``/``mBatteryLevel`` come from the battery model's broadcasts.
``mStayOn`` is ``stay_on_while_plugged_in != 0 && isPowered(that setting)``
(PowerManagerService.updateStayOnLocked); ``svc power stayon`` writes that setting.

Battery saver (BatterySaverStateMachine, API 28+; the older PowerManagerService logic before).
What matters for tests, from the AOSP source:

- ``cmd power set-mode 1`` goes through setLowPowerModeInternal, which refuses while powered
  (``if (mIsPowered) return false``); the shell still prints nothing and exits 0.
- ``settings put global low_power 1`` turns it on directly (REASON_SETTING_CHANGED) unless the
  device is powered ("Can't enable: isPowered"); the setting then stays 1 with saver off. That
  path leaves the state machine in OFF, and updateStateLocked only turns a MANUAL_ON or
  AUTOMATIC_ON saver off on plugging in: a saver turned on through the setting stays on while
  charging until ``low_power`` goes back to 0 (``set-mode 0`` is refused while powered).
- Turning it on manually sets ``low_power_sticky=1``. Plugging in turns a MANUAL_ON saver off
  and, while sticky, into PENDING_STICKY_ON: it comes back on when unplugged, unless the level
  reached ``low_power_sticky_auto_disable_level`` (90).
- Reboot: onBootCompleted writes ``low_power=0`` ("We don't want LOW_POWER_MODE to be
  persisted") and restores a sticky saver through PENDING_STICKY_ON. So a saver turned on by
  hand comes back after a reboot once the device runs on battery below 90 %; on a charger it
  stays off.

Every change of the saver publishes ``power_save_changed(enabled)``; the Doze model derives
quick doze from it (BatterySaverPolicy ``enable_quick_doze=true``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.javafmt import JavaNumberFormatError, format_duration, parse_java_int

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

KEYCODE_POWER = 26
KEYCODE_SLEEP = 223
KEYCODE_WAKEUP = 224

# BatteryManager.BATTERY_PLUGGED_* for the stay-on setting.
PLUGGED_AC = 1
PLUGGED_USB = 2
PLUGGED_WIRELESS = 4
PLUGGED_DOCK = 8
FIRST_APPLICATION_UID = 10_000

# BatterySaverStateMachine.STATE_*.
STATE_OFF = 1
STATE_MANUAL_ON = 2
STATE_AUTOMATIC_ON = 3
STATE_OFF_AUTOMATIC_SNOOZED = 4
STATE_PENDING_STICKY_ON = 5

# BatterySaverController.REASON_* and reasonToString.
REASON_PERCENTAGE_AUTOMATIC_ON = 0
REASON_PERCENTAGE_AUTOMATIC_OFF = 1
REASON_MANUAL_ON = 2
REASON_MANUAL_OFF = 3
REASON_STICKY_RESTORE = 4
REASON_PLUGGED_IN = 7
REASON_SETTING_CHANGED = 8
REASON_NAMES = {
    REASON_PERCENTAGE_AUTOMATIC_ON: "Percentage Auto ON",
    REASON_PERCENTAGE_AUTOMATIC_OFF: "Percentage Auto OFF",
    REASON_MANUAL_ON: "Manual ON",
    REASON_MANUAL_OFF: "Manual OFF",
    REASON_STICKY_RESTORE: "Sticky restore",
    REASON_PLUGGED_IN: "Plugged in",
    REASON_SETTING_CHANGED: "Setting changed",
}

# PowerManager.WAKE_LOCK levels as WakeLock.getLockLevelString pads them.
WAKE_LOCK_LEVELS = (
    "PARTIAL_WAKE_LOCK",
    "SCREEN_DIM_WAKE_LOCK",
    "SCREEN_BRIGHT_WAKE_LOCK",
    "FULL_WAKE_LOCK",
    "PROXIMITY_SCREEN_OFF_WAKE_LOCK",
    "DOZE_WAKE_LOCK",
    "DRAW_WAKE_LOCK",
)
# BatteryStats' wake lock types (WAKE_TYPE_PARTIAL / WAKE_TYPE_FULL...) by level.
WAKE_LOCK_KINDS = {
    "PARTIAL_WAKE_LOCK": "partial",
    "SCREEN_DIM_WAKE_LOCK": "full",
    "SCREEN_BRIGHT_WAKE_LOCK": "full",
    "FULL_WAKE_LOCK": "full",
    "DRAW_WAKE_LOCK": "draw",
}


@dataclass
class WakeLock:
    token: int
    level: str
    tag: str
    uid: int
    pid: int
    package: str | None
    acquired_ms: int  # device elapsed time
    flags: list[str] = field(default_factory=list)


class BatterySaverStateMachine:
    """BatterySaverStateMachine (API 28+) with BatterySaverController's enabled flag inside.

    Settings are read from the settings service when ``refresh_settings`` runs (the content
    observer), the battery from :meth:`set_battery_status` (PowerManagerService.updateIsPowered).
    """

    # config_batterySaverStickyBehaviourDisabled (false in AOSP) and
    # config_dynamicPowerSavingsDefaultDisableThreshold (80).
    STICKY_BEHAVIOUR_DISABLED = False
    DYNAMIC_DISABLE_THRESHOLD = 80

    def __init__(self, power: PowerManagerService) -> None:
        self._power = power
        self.state = STATE_OFF
        self.enabled = False  # BatterySaverController.isFullEnabled()
        self.boot_completed = False
        self.settings_loaded = False
        self.battery_status_set = False
        self.is_powered = False
        self.battery_level = 0
        self.battery_level_low = False
        self.setting_enabled = False
        self.setting_sticky = False
        self.setting_trigger_threshold = 0
        self.setting_automatic = 0  # POWER_SAVE_MODE_TRIGGER_PERCENTAGE
        self.sticky_auto_disable_enabled = True
        self.sticky_auto_disable_threshold = 90
        self.last_reason = 0
        self.last_reason_str: str | None = None

    # -------------------------------------------------------------- inputs
    def on_boot_completed(self) -> None:
        # "Just booted. We don't want LOW_POWER_MODE to be persisted, so just always clear it."
        self._power.put_global("low_power", "0")
        if self._power.global_int("low_power_sticky", 0) != 0:
            self.state = STATE_PENDING_STICKY_ON
        self.boot_completed = True
        self.refresh_settings()
        self._do_auto()

    def refresh_settings(self) -> None:
        p = self._power
        self._set_settings(
            enabled=p.global_int("low_power", 0) != 0,
            sticky=p.global_int("low_power_sticky", 0) != 0,
            trigger=p.global_int("low_power_trigger_level", 0),
            sticky_auto_disable=p.global_int("low_power_sticky_auto_disable_enabled", 1) != 0,
            sticky_threshold=p.global_int("low_power_sticky_auto_disable_level", 90),
            automatic=p.global_int("automatic_power_save_mode", 0),
        )

    def _set_settings(
        self,
        enabled: bool,
        sticky: bool,
        trigger: int,
        sticky_auto_disable: bool,
        sticky_threshold: int,
        automatic: int,
    ) -> None:
        # setSettingsLocked.
        self.settings_loaded = True
        sticky_threshold = max(sticky_threshold, trigger)
        enabled_changed = enabled != self.setting_enabled
        changed = (
            enabled_changed
            or sticky != self.setting_sticky
            or trigger != self.setting_trigger_threshold
            or sticky_auto_disable != self.sticky_auto_disable_enabled
            or sticky_threshold != self.sticky_auto_disable_threshold
            or automatic != self.setting_automatic
        )
        if not changed:
            return
        self.setting_enabled = enabled
        self.setting_sticky = sticky
        self.setting_trigger_threshold = trigger
        self.sticky_auto_disable_enabled = sticky_auto_disable
        self.sticky_auto_disable_threshold = sticky_threshold
        self.setting_automatic = automatic
        if enabled_changed:
            reason = "Global.low_power changed to 1" if enabled else "Global.low_power changed to 0"
            self._enable(enabled, manual=True, reason=REASON_SETTING_CHANGED, reason_str=reason)
        else:
            self._do_auto()

    def set_battery_status(self, powered: bool, level: int, low: bool) -> None:
        # setBatteryStatus.
        self.battery_status_set = True
        if (powered, level, low) == (self.is_powered, self.battery_level, self.battery_level_low):
            return
        self.is_powered, self.battery_level, self.battery_level_low = powered, level, low
        self._do_auto()

    def set_enabled_manually(self, enabled: bool) -> None:
        """setBatterySaverEnabledManually (PowerManager.setPowerSaveModeEnabled)."""
        self._update_state(manual=True, enable=enabled)

    # -------------------------------------------------------------- the machine
    def _automatic_active(self) -> bool:
        return self.setting_automatic == 0 and self.setting_trigger_threshold > 0

    def _do_auto(self) -> None:
        if self.boot_completed and self.settings_loaded and self.battery_status_set:
            self._update_state(manual=False, enable=False)

    def _update_state(self, manual: bool, enable: bool) -> None:
        # updateStateLocked, without the dynamic-power-savings mode (off by default).
        if not manual and not (
            self.boot_completed and self.settings_loaded and self.battery_status_set
        ):
            return
        state = self.state
        if state == STATE_OFF:
            if not self.is_powered:
                if manual:
                    if not enable:
                        return  # "Tried to disable BS when it's already OFF"
                    self._enable(True, manual=True, reason=REASON_MANUAL_ON)
                    self.state = STATE_MANUAL_ON
                elif self._automatic_active() and self.battery_level_low:
                    self._enable(True, manual=False, reason=REASON_PERCENTAGE_AUTOMATIC_ON)
                    self.state = STATE_AUTOMATIC_ON
        elif state == STATE_MANUAL_ON:
            if manual:
                if enable:
                    return  # "Tried to enable BS when it's already MANUAL_ON"
                self._enable(False, manual=True, reason=REASON_MANUAL_OFF)
                self.state = STATE_OFF
            elif self.is_powered:
                self._enable(False, manual=False, reason=REASON_PLUGGED_IN)
                sticky = self.setting_sticky and not self.STICKY_BEHAVIOUR_DISABLED
                self.state = STATE_PENDING_STICKY_ON if sticky else STATE_OFF
        elif state == STATE_AUTOMATIC_ON:
            if self.is_powered:
                self._enable(False, manual=False, reason=REASON_PLUGGED_IN)
                self.state = STATE_OFF
            elif manual:
                if enable:
                    return
                self._enable(False, manual=True, reason=REASON_MANUAL_OFF)
                self.state = STATE_OFF_AUTOMATIC_SNOOZED
            elif not self._automatic_active() or not self.battery_level_low:
                self._enable(False, manual=False, reason=REASON_PERCENTAGE_AUTOMATIC_OFF)
                self.state = STATE_OFF
        elif state == STATE_OFF_AUTOMATIC_SNOOZED:
            if manual:
                if not enable:
                    return
                self._enable(True, manual=True, reason=REASON_MANUAL_ON)
                self.state = STATE_MANUAL_ON
            elif self.is_powered or not self._automatic_active() or not self.battery_level_low:
                self.state = STATE_OFF
        elif state == STATE_PENDING_STICKY_ON:
            if manual:
                return  # "Tried to manually change BS state from PENDING_STICKY_ON"
            turn_off_sticky = (
                self.sticky_auto_disable_enabled
                and self.battery_level >= self.sticky_auto_disable_threshold
            )
            sticky_disabled = self.STICKY_BEHAVIOUR_DISABLED or not self.setting_sticky
            if sticky_disabled or turn_off_sticky:
                self._set_sticky(False)
                self.state = STATE_OFF
            elif not self.is_powered:
                self._enable(True, manual=True, reason=REASON_STICKY_RESTORE)
                self.state = STATE_MANUAL_ON

    def _enable(
        self, enable: bool, manual: bool, reason: int, reason_str: str | None = None
    ) -> None:
        # enableBatterySaverLocked.
        if self.enabled == enable:
            return  # "Already enabled/disabled"
        if enable and self.is_powered:
            return  # "Can't enable: isPowered"
        self.last_reason = reason
        self.last_reason_str = reason_str or REASON_NAMES.get(reason, str(reason))
        self.setting_enabled = enable
        self._power.put_global("low_power", "1" if enable else "0")
        if manual:
            self._set_sticky(not self.STICKY_BEHAVIOUR_DISABLED and enable)
        self.enabled = enable
        self._power.battery_saver_changed(enable, self.last_reason_str)

    def _set_sticky(self, active: bool) -> None:
        self.setting_sticky = active
        self._power.put_global("low_power_sticky", "1" if active else "0")

    def dump(self, inv: Invocation, api_level: int) -> None:
        inv.outln("Battery saver state machine:")
        inv.outln(f"  Enabled={_jbool(self.enabled)}")
        if api_level >= 29:
            inv.outln(f"    full={_jbool(self.enabled)}")
            inv.outln("    adaptive=false")
            inv.outln(f"  mState={self.state}")
        inv.outln(f"  mLastChangedIntReason={self.last_reason}")
        inv.outln(f"  mLastChangedStrReason={self.last_reason_str or 'null'}")
        inv.outln(f"  mBootCompleted={_jbool(self.boot_completed)}")
        inv.outln(f"  mSettingsLoaded={_jbool(self.settings_loaded)}")
        inv.outln(f"  mBatteryStatusSet={_jbool(self.battery_status_set)}")
        inv.outln(f"  mIsPowered={_jbool(self.is_powered)}")
        inv.outln(f"  mBatteryLevel={self.battery_level}")
        inv.outln(f"  mIsBatteryLevelLow={_jbool(self.battery_level_low)}")
        if api_level >= 29:
            inv.outln(f"  mSettingAutomaticBatterySaver={self.setting_automatic}")
        inv.outln(f"  mSettingBatterySaverEnabled={_jbool(self.setting_enabled)}")
        inv.outln(f"  mSettingBatterySaverEnabledSticky={_jbool(self.setting_sticky)}")
        if api_level >= 29:
            inv.outln(
                "  mSettingBatterySaverStickyAutoDisableEnabled="
                f"{_jbool(self.sticky_auto_disable_enabled)}"
            )
            inv.outln(
                "  mSettingBatterySaverStickyAutoDisableThreshold="
                f"{self.sticky_auto_disable_threshold}"
            )
        inv.outln(f"  mSettingBatterySaverTriggerThreshold={self.setting_trigger_threshold}")
        if api_level >= 29:
            inv.outln(
                f"  mBatterySaverStickyBehaviourDisabled={_jbool(self.STICKY_BEHAVIOUR_DISABLED)}"
            )
            inv.outln(
                f"  mDynamicPowerSavingsDefaultDisableThreshold={self.DYNAMIC_DISABLE_THRESHOLD}"
            )
            inv.outln(f"  mDynamicPowerSavingsDisableThreshold={self.DYNAMIC_DISABLE_THRESHOLD}")
            inv.outln("  mDynamicPowerSavingsEnableBatterySaver=false")
            inv.outln("  mLastAdaptiveBatterySaverChangedExternallyElapsed=0")


@system_service
class PowerManagerService(SystemService):
    names = ("power",)
    order = 30

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.wakefulness = "Awake"
        self.last_wake_reason = "boot"
        self.last_wake_ms = 0
        self.last_sleep_ms = 0
        self.last_sleep_reason = "unknown"
        self.booted = False
        # From the battery model (BatteryManagerInternal); a device without one is on USB.
        self.is_powered = True
        self.plug_type = PLUGGED_USB
        self.battery_level = 100
        self.battery_level_low = False
        self.stay_on_setting = 0
        self.stay_on = False
        self.device_idle_mode = False
        self.light_device_idle_mode = False
        self.saver = BatterySaverStateMachine(self)
        # API < 28: PowerManagerService.mLowPowerModeSetting / mLowPowerModeEnabled.
        self._legacy_setting = False
        self._legacy_enabled = False
        self.wake_locks: dict[int, WakeLock] = {}
        self._next_token = 1

    @property
    def screen_on(self) -> bool:
        """PowerManager.isInteractive(): Awake or Dreaming."""
        return self.wakefulness in ("Awake", "Dreaming")

    @property
    def battery_saver_enabled(self) -> bool:
        """PowerManager.isPowerSaveMode()."""
        return self._legacy_enabled if self.api_level < 28 else self.saver.enabled

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        bus = self.system.bus
        bus.subscribe("key_event", self._on_key)
        bus.subscribe("battery_changed", self._on_battery_changed)
        bus.subscribe("setting_changed", self._on_setting)
        bus.subscribe("idle_state_changed", self._on_idle_state)
        self.stay_on_setting = self.global_int("stay_on_while_plugged_in", 0)
        self._legacy_setting = self.global_int("low_power", 0) != 0
        self._read_battery()

    def boot_completed(self) -> None:
        self.booted = True
        if self.api_level >= 28:
            self.saver.on_boot_completed()
        else:
            self._update_legacy_low_power()

    # ------------------------------------------------------------------ settings helpers
    def global_int(self, key: str, default: int) -> int:
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        value = settings.get("global", key) if settings is not None else None
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default

    def put_global(self, key: str, value: str) -> None:
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        if settings is not None:
            settings.put("global", key, value)

    # ------------------------------------------------------------------ screen
    def _on_key(self, keycode: int, longpress: bool = False, **_: object) -> None:
        if keycode == KEYCODE_POWER and longpress:
            # PhoneWindowManager.powerLongPress: the global actions menu, the screen stays.
            return
        if keycode == KEYCODE_POWER:
            self.set_screen(not self.screen_on, "power_button")
        elif keycode == KEYCODE_WAKEUP:
            self.set_screen(True, "wakeup_key")
        elif keycode == KEYCODE_SLEEP:
            self.set_screen(False, "sleep_key")

    def set_screen(self, on: bool, reason: str) -> None:
        if on == self.screen_on:
            return
        self.wakefulness = "Awake" if on else "Asleep"
        now = self.device.clock.elapsed_ms()
        if on:
            self.last_wake_reason, self.last_wake_ms = reason, now
        else:
            self.last_sleep_reason, self.last_sleep_ms = reason, now
        self.device.log.log(
            "I",
            "PowerManagerService",
            f"{'Waking up' if on else 'Going to sleep'} from "
            f"{'Asleep' if on else 'Awake'} (uid 2000, reason={reason})...",
            pid=self.device.system_server_pid,
        )
        self.system.bus.publish("screen_changed", on=on, reason=reason)

    # ------------------------------------------------------------------ battery and stay-on
    def _read_battery(self) -> None:
        from harness.virtual.system.battery import BatteryService

        battery = self.system.maybe_service(BatteryService)
        if battery is not None:
            self._update_powered(
                battery.is_powered(),
                battery.plug_type,
                battery.level,
                battery.battery_level_low,
            )

    def _on_battery_changed(self, **_: object) -> None:
        # PowerManagerService's ACTION_BATTERY_CHANGED receiver -> updateIsPoweredLocked.
        self._read_battery()

    def _update_powered(self, powered: bool, plug_type: int, level: int, low: bool) -> None:
        self.is_powered, self.plug_type = powered, plug_type
        self.battery_level, self.battery_level_low = level, low
        self._update_stay_on()
        if self.api_level >= 28:
            self.saver.set_battery_status(powered, level, low)
        else:
            self._update_legacy_low_power()

    def _update_stay_on(self) -> None:
        # updateStayOnLocked: the setting is a mask of plug types.
        from harness.virtual.system.battery import BatteryService

        battery = self.system.maybe_service(BatteryService)
        powered = (
            battery.is_powered(self.stay_on_setting)
            if battery is not None
            else bool(self.plug_type & self.stay_on_setting)
        )
        self.stay_on = self.stay_on_setting != 0 and powered

    def set_stay_on_setting(self, value: int) -> None:
        """PowerManager.setStayOnSetting: writes Settings.Global.STAY_ON_WHILE_PLUGGED_IN."""
        self.put_global("stay_on_while_plugged_in", str(value))
        self.stay_on_setting = value
        self._update_stay_on()

    def _on_setting(self, namespace: str, key: str, value: str | None, **_: object) -> None:
        if namespace != "global":
            return
        if key == "stay_on_while_plugged_in":
            self.stay_on_setting = self.global_int(key, 0)
            self._update_stay_on()
        elif key in (
            "low_power",
            "low_power_sticky",
            "low_power_trigger_level",
            "automatic_power_save_mode",
            "low_power_sticky_auto_disable_enabled",
            "low_power_sticky_auto_disable_level",
        ):
            if self.api_level >= 28:
                # The state machine registers its content observer in onBootCompleted.
                if self.saver.boot_completed:
                    self.saver.refresh_settings()
            elif key == "low_power":
                self._legacy_setting = self.global_int("low_power", 0) != 0
                self._update_legacy_low_power()

    def _on_idle_state(self, deep_idle: bool, light_idle: bool, **_: object) -> None:
        # DeviceIdleController -> PowerManagerInternal.setDeviceIdleMode / setLightDeviceIdleMode.
        self.device_idle_mode = bool(deep_idle)
        self.light_device_idle_mode = bool(light_idle)

    # ------------------------------------------------------------------ battery saver
    def set_battery_saver(self, enabled: bool) -> bool:
        """PowerManager.setPowerSaveModeEnabled -> setLowPowerModeInternal: refused (False)
        while powered, for turning it on and off alike."""
        if self.is_powered:
            return False
        if self.api_level >= 28:
            self.saver.set_enabled_manually(enabled)
        else:
            self.put_global("low_power", "1" if enabled else "0")
            self._legacy_setting = enabled
            self._update_legacy_low_power()
        return True

    def _update_legacy_low_power(self) -> None:
        # updateLowPowerModeLocked (Android 7-8): powered (or booting with enough battery)
        # clears the setting; the saver is the setting (auto mode not modelled).
        if (self.is_powered or (not self.battery_level_low and not self.booted)) and (
            self._legacy_setting
        ):
            self._legacy_setting = False
            self.put_global("low_power", "0")
        if self._legacy_setting != self._legacy_enabled:
            self._legacy_enabled = self._legacy_setting
            self.battery_saver_changed(self._legacy_enabled, "setting")

    def battery_saver_changed(self, enabled: bool, reason: str) -> None:
        self.device.log.log(
            "I",
            "BatterySaverController",
            f"Battery saver {'enabled' if enabled else 'disabled'}: reason: {reason}",
            pid=self.device.system_server_pid,
        )
        self.system.bus.publish("power_save_changed", enabled=enabled)

    # ------------------------------------------------------------------ wake locks
    def acquire_wake_lock(
        self,
        tag: str,
        uid: int,
        pid: int = 0,
        package: str | None = None,
        level: str = "PARTIAL_WAKE_LOCK",
        flags: list[str] | None = None,
    ) -> int:
        """PowerManager.WakeLock.acquire for an app model; returns a token for release."""
        if level not in WAKE_LOCK_LEVELS:
            raise ValueError(f"unknown wake lock level {level!r}")
        token = self._next_token
        self._next_token += 1
        self.wake_locks[token] = WakeLock(
            token, level, tag, uid, pid, package, self.device.clock.elapsed_ms(), list(flags or [])
        )
        # Notifier.onWakeLockAcquired -> BatteryStatsService.noteStartWakelock.
        self.system.bus.publish("wakelock_acquired", uid=uid, tag=tag,
                                kind=WAKE_LOCK_KINDS.get(level, "partial"))
        return token

    def release_wake_lock(self, token: int) -> bool:
        lock = self.wake_locks.pop(token, None)
        if lock is None:
            return False
        # Notifier.onWakeLockReleased -> BatteryStatsService.noteStopWakelock.
        self.system.bus.publish("wakelock_released", uid=lock.uid, tag=lock.tag)
        return True

    def is_wake_lock_disabled(self, lock: WakeLock) -> bool:
        """updateWakeLockDisabledStatesLocked: in deep Doze, partial wake locks of app uids that
        are neither whitelisted nor temp-whitelisted are disabled."""
        if lock.level != "PARTIAL_WAKE_LOCK" or not self.device_idle_mode:
            return False
        app_id = lock.uid % 100_000
        if app_id < FIRST_APPLICATION_UID:
            return False
        whitelist, temp = self._idle_whitelists()
        return app_id not in whitelist and app_id not in temp

    def _idle_whitelists(self) -> tuple[list[int], list[int]]:
        try:
            from harness.virtual.system.deviceidle import DeviceIdleController
        except ImportError:
            return [], []
        doze = self.system.maybe_service(DeviceIdleController)
        if doze is None:
            return [], []
        whitelist = getattr(doze, "whitelist_app_ids", lambda: [])()
        temp = getattr(doze, "temp_whitelist_app_ids", lambda: [])()
        return list(whitelist), list(temp)

    # ------------------------------------------------------------------ shell
    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        cmd = args[0] if args else None
        if cmd is None or cmd in ("help", "-h"):
            inv.outln("Power manager (power) commands:")
            inv.outln("  help")
            inv.outln("    Print this help text.")
            inv.outln("")
            if self.api_level >= 29:
                inv.outln("  set-adaptive-power-saver-enabled [true|false]")
                inv.outln("    enables or disables adaptive power saver.")
            inv.outln("  set-mode MODE")
            inv.outln("    sets the power mode of the device to MODE.")
            inv.outln("    1 turns low power mode on and 0 turns low power mode off.")
            return 255
        if cmd == "set-mode":
            # PowerManagerShellCommand.runSetMode: any parse error is printed on stdout.
            if len(args) < 2:
                inv.outln(
                    'Error: java.lang.IllegalArgumentException: Argument expected after "set-mode"'
                )
                return 255
            try:
                mode = parse_java_int(args[1])
            except JavaNumberFormatError as exc:
                inv.outln(f"Error: {exc.java_message}")
                return 255
            # The boolean result of setPowerSaveModeEnabled is dropped: refused or not, 0.
            self.set_battery_saver(mode == 1)
            return 0
        if cmd == "set-adaptive-power-saver-enabled" and self.api_level >= 29:
            return 0
        inv.outln(f"Unknown command: {cmd}")
        return 255

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        api = self.api_level
        now = self.device.clock.elapsed_ms()
        inv.outln("POWER MANAGER (dumpsys power)\n")
        inv.outln("Power Manager State:")
        inv.outln("  Settings power_manager_constants:")
        inv.outln("    no_cached_wake_locks=true")
        inv.outln("  mDirty=0x0")
        inv.outln(f"  mWakefulness={self.wakefulness}")
        inv.outln("  mWakefulnessChanging=false")
        inv.outln(f"  mIsPowered={_jbool(self.is_powered)}")
        inv.outln(f"  mPlugType={self.plug_type}")
        inv.outln(f"  mBatteryLevel={self.battery_level}")
        inv.outln("  mBatteryLevelWhenDreamStarted=0")
        inv.outln("  mDockState=0")
        inv.outln(f"  mStayOn={_jbool(self.stay_on)}")
        inv.outln("  mProximityPositive=false")
        inv.outln(f"  mBootCompleted={_jbool(self.booted)}")
        inv.outln("  mSystemReady=true")
        inv.outln("  mHalAutoSuspendModeEnabled=false")
        inv.outln(f"  mHalInteractiveModeEnabled={_jbool(self.screen_on)}")
        summary = (
            0x1 if any(not self.is_wake_lock_disabled(w) for w in self.wake_locks.values()) else 0
        )
        inv.outln(f"  mWakeLockSummary=0x{summary:x}")
        inv.outln("  mNotifyLongScheduled=(none)")
        inv.outln("  mNotifyLongDispatched=(none)")
        inv.outln("  mNotifyLongNextCheck=(none)")
        inv.outln("  mRequestWaitForNegativeProximity=false")
        inv.outln("  mSandmanScheduled=false")
        if api < 28:
            inv.outln(f"  mLowPowerModeEnabled={_jbool(self._legacy_enabled)}")
        inv.outln(f"  mBatteryLevelLow={_jbool(self.battery_level_low)}")
        inv.outln(f"  mLightDeviceIdleMode={_jbool(self.light_device_idle_mode)}")
        inv.outln(f"  mDeviceIdleMode={_jbool(self.device_idle_mode)}")
        whitelist, temp = self._idle_whitelists()
        inv.outln(f"  mDeviceIdleWhitelist=[{', '.join(str(a) for a in sorted(whitelist))}]")
        inv.outln(f"  mDeviceIdleTempWhitelist=[{', '.join(str(a) for a in sorted(temp))}]")
        inv.outln(f"  mLastWakeTime={self.last_wake_ms} ({now - self.last_wake_ms} ms ago)")
        inv.outln(f"  mLastSleepTime={self.last_sleep_ms} ({now - self.last_sleep_ms} ms ago)")
        if api >= 29:
            inv.outln(f"  mLastSleepReason={self.last_sleep_reason}")
        inv.outln("  mHoldingWakeLockSuspendBlocker=" + _jbool(summary != 0))
        inv.outln(f"  mHoldingDisplaySuspendBlocker={_jbool(self.screen_on)}")
        inv.outln("")
        inv.outln("Settings and Configuration:")
        if api < 28:
            inv.outln(f"  mLowPowerModeSetting={_jbool(self._legacy_setting)}")
        screen_off = self._screen_off_timeout()
        inv.outln(f"  mScreenOffTimeoutSetting={screen_off}")
        inv.outln("  mSleepTimeoutSetting=-1")
        inv.outln(f"  mStayOnWhilePluggedInSetting={self.stay_on_setting}")
        inv.outln("")
        inv.outln("Sleep timeout: -1 ms")
        inv.outln(f"Screen off timeout: {max(screen_off, 10000)} ms")
        inv.outln("Screen dim duration: 7000 ms")
        inv.outln("")
        inv.outln(f"Wake Locks: size={len(self.wake_locks)}")
        for lock in self.wake_locks.values():
            inv.outln("  " + self._wake_lock_line(lock, now))
        inv.outln("")
        inv.outln("Suspend Blockers: size=4")
        suffix = " []" if api >= 31 else ""
        inv.outln(f"  PowerManagerService.WakeLocks: ref count={int(summary != 0)}{suffix}")
        inv.outln(f"  PowerManagerService.Display: ref count={int(self.screen_on)}{suffix}")
        inv.outln(f"  PowerManagerService.Broadcasts: ref count=0{suffix}")
        inv.outln(f"  PowerManagerService.WirelessChargerDetector: ref count=0{suffix}")
        inv.outln("")
        if api >= 31:
            # Android 12 moved the display state per display group; the line now prints the
            # callbacks object.
            inv.outln("Display Power: com.android.server.power.PowerManagerService$1@5e1f0a2")
        else:
            inv.outln(f"Display Power: state={'ON' if self.screen_on else 'OFF'}")
        if api >= 28:
            inv.outln("")
            inv.outln("Battery saving stats:")
            state = "ON" if self.saver.enabled else "OFF"
            inv.outln(f"  Battery Saver is currently: {state}")
            inv.outln("")
            self.saver.dump(inv, api)
        return 0

    def _screen_off_timeout(self) -> int:
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        raw = settings.get("system", "screen_off_timeout") if settings is not None else None
        try:
            return int(raw) if raw is not None else 60000
        except ValueError:
            return 60000

    def _wake_lock_line(self, lock: WakeLock, now: int) -> str:
        # PowerManagerService.WakeLock.toString.
        parts = [f"{lock.level:<30} '{lock.tag}'"]
        parts += [f" {flag}" for flag in lock.flags]
        if self.is_wake_lock_disabled(lock):
            parts.append(" DISABLED")
        parts.append(f" ACQ={format_duration(lock.acquired_ms - now)}")
        owner = f" (uid={lock.uid}"
        if lock.pid:
            owner += f" pid={lock.pid}"
        if lock.package:
            owner += f" ws=WorkSource{{{lock.uid} {lock.package}}}"
        parts.append(owner + ")")
        return "".join(parts)


def _jbool(value: bool) -> str:
    return "true" if value else "false"
