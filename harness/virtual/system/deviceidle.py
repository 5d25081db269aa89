"""DeviceIdleController (Doze) as the ``deviceidle`` system service.

The state machines live in :mod:`deviceidle_machine` (mixed in here), the constants and the dump
layout per release in :mod:`doze_constants`, the whitelists in :mod:`deviceidle_whitelist`, the
shell commands and the dump in :mod:`deviceidle_shell`. This module wires them to the device:

- inputs (system bus): ``screen_changed``, ``battery_changed``, ``power_save_changed``,
  ``keyguard_changed``, ``network_changed``, ``alarm_clock_changed``, ``package_removed``;
- outputs: ``idle_state_changed`` (once per operation that changed the deep or light state),
  ``whitelist_changed`` and ``temp_whitelist_changed``;
- the Python API other models use (:attr:`DeviceIdleController.deep_state`,
  :meth:`~DeviceIdleController.is_whitelisted`, :meth:`~DeviceIdleController.add_temp_whitelist`,
  :meth:`~DeviceIdleController.register_activity`, ...).

What survives a reboot is the user whitelist and the removed-from-system list
(``device.persistent("deviceidle")``, the phone's /data/system/deviceidle.xml, written 5 s after
a change); everything else (forced, disabled, except-idle and temp whitelists) is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemService, system_service
from harness.virtual.system.deviceidle_machine import (
    ACTIVE,
    ACTIVE_REASON_ALARM,
    ACTIVE_REASON_FORCED,
    ACTIVE_REASON_FROM_BINDER_CALL,
    ACTIVITY_KINDS,
    IDLE,
    IDLE_MAINTENANCE,
    WAITING_FOR_NETWORK,
    DozeStateMachine,
    transition,
)
from harness.virtual.system.deviceidle_whitelist import (
    DeviceIdleConfig,
    PowerSaveWhitelist,
    app_id,
)
from harness.virtual.system.doze_constants import era_for
from harness.virtual.system.packages import PackageManagerService
from harness.virtual.system.power import PowerManagerService

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

# DeviceIdleController.writeConfigFileLocked: MSG_WRITE_CONFIG is sent 5 s later; a reboot
# before that loses the change.
WRITE_CONFIG_DELAY_MS = 5000


@dataclass
class TempWhitelistEntry:
    """One mTempWhitelistAppIdEndTimes value: end time (elapsed) and the reason given."""

    end_elapsed_ms: int
    reason: str
    package: str


@system_service
class DeviceIdleController(SystemService, DozeStateMachine):
    names = ("deviceidle",)
    # Before battery, power and window models start: their boot-time events must find us
    # subscribed. The package manager (order 10) is needed for the whitelists.
    order = 20

    def __init__(self, system):  # type: ignore[no-untyped-def]
        super().__init__(system)
        self._pm = system.service(PackageManagerService)
        family = self.device.profile.family
        # The emulator has no significant-motion sensor (mMotionSensor=null) and no network
        # location provider; the phone families have both, and GPS.
        emulator = family.name == "emulator"
        self._init_machine(
            era_for(self.api_level),
            motion_sensor=None
            if emulator
            else '{Sensor name="Significant Motion Detector", vendor="'
            + family.manufacturer
            + '", version=1, type=17, maxRange=1.0, resolution=1.0, power=0.0, minDelay=-1}',
            has_network_location_provider=not emulator,
            has_gps_provider=True,
        )
        self.temp_whitelist: dict[int, TempWhitelistEntry] = {}
        self.config = self.device.persistent("deviceidle", DeviceIdleConfig)
        self.whitelist = PowerSaveWhitelist(self._pm)
        self.whitelist.load_system()
        self.whitelist.load_config(self.config)

    # ================================================================== lifecycle
    def start(self) -> None:
        bus = self.system.bus
        bus.subscribe("screen_changed", self._on_screen_changed)
        bus.subscribe("battery_changed", self._on_battery_changed)
        bus.subscribe("power_save_changed", self._on_power_save_changed)
        bus.subscribe("keyguard_changed", self._on_keyguard_changed)
        bus.subscribe("network_changed", self._on_network_changed)
        bus.subscribe("alarm_clock_changed", self._on_alarm_clock_changed)
        bus.subscribe("package_removed", self._on_package_removed)
        self._read_boot_inputs()

    @transition
    def _read_boot_inputs(self) -> None:
        # onBootPhase: updateInteractivityLocked reads PowerManager.isInteractive().
        power = self.system.maybe_service(PowerManagerService)
        if power is not None:
            self._update_interactivity(power.screen_on)
        # Charging as the battery model reports it, if it runs; else charging (onStart).
        battery = self.system.find("battery")
        plugged = getattr(battery, "plugged", None) if battery is not None else None
        if isinstance(plugged, str):
            present = bool(getattr(battery, "present", True))
            self._update_charging(present and plugged != "none")

    def shutdown(self) -> None:
        self._timers.clear()
        self._messages.clear()

    # ================================================================== public API
    @property
    def deep_state(self) -> str:
        return self._state

    @property
    def light_state(self) -> str:
        return self._light_state

    @property
    def is_deep_idle(self) -> bool:
        return self._state == IDLE

    @property
    def is_light_idle(self) -> bool:
        # PowerManager's light idle mode is set on IDLE and kept through WAITING_FOR_NETWORK.
        return self._light_state in (IDLE, WAITING_FOR_NETWORK)

    @property
    def in_maintenance(self) -> bool:
        return self._state == IDLE_MAINTENANCE or self._light_state == IDLE_MAINTENANCE

    @property
    def force_idle(self) -> bool:
        return self._force_idle

    @property
    def quick_doze(self) -> bool:
        return self._quick_doze

    @property
    def screen_on(self) -> bool:
        return self._screen_on

    @property
    def screen_locked(self) -> bool:
        return self._screen_locked

    @property
    def charging(self) -> bool:
        return self._charging

    @property
    def network_connected(self) -> bool:
        return self._network_connected

    @property
    def deep_enabled(self) -> bool:
        return self._deep_enabled

    @property
    def light_enabled(self) -> bool:
        return self._light_enabled

    @property
    def next_alarm_elapsed_ms(self) -> int | None:
        """When the deep alarm (``DeviceIdleController.deep``) fires; the idle-until in IDLE."""
        return self._next_alarm_time or None

    @property
    def next_light_alarm_elapsed_ms(self) -> int | None:
        return self._next_light_alarm_time or None

    def is_whitelisted(self, package: str) -> bool:
        """System or user power-save whitelist: exempt from Doze for jobs and alarms."""
        return self.whitelist.is_whitelisted(package)

    def is_except_idle_whitelisted(self, package: str) -> bool:
        """Exempt from battery saver / app standby but not from Doze (or whitelisted)."""
        return self.whitelist.is_except_idle_whitelisted(package)

    def is_temp_whitelisted(self, package_or_uid: str | int) -> bool:
        if isinstance(package_or_uid, str):
            pkg = self._pm.get(package_or_uid)
            if pkg is None:
                return False
            uid = pkg.uid
        else:
            uid = package_or_uid
        return app_id(uid) in self.temp_whitelist

    def whitelist_app_ids(self) -> list[int]:
        return self.whitelist.all_app_ids()

    def temp_whitelist_app_ids(self) -> list[int]:
        return sorted(self.temp_whitelist)

    def add_temp_whitelist(self, package: str, duration_ms: int, reason: str) -> bool:
        """addPowerSaveTempAllowlistAppInternal for user 0; False for an unknown package."""
        pkg = self._pm.get(package)
        if pkg is None:
            return False  # NameNotFoundException is swallowed
        self._add_temp_whitelist_uid(pkg.uid, package, duration_ms, reason)
        return True

    def remove_temp_whitelist(self, package: str) -> bool:
        pkg = self._pm.get(package)
        if pkg is None:
            return False
        entry = self.temp_whitelist.pop(app_id(pkg.uid), None)
        if entry is None:
            return False
        self.system.bus.publish("temp_whitelist_changed", package=entry.package, until_elapsed_ms=0)
        return True

    @transition
    def force_exit_idle(self, reason: str = "alarm") -> None:
        """End idling as an imminent alarm clock does, then restart the idle progression.

        stepIdleStateLocked: with an alarm clock due, becomeActiveLocked("alarm") then
        becomeInactiveIfAppropriateLocked(); a screen-off, unplugged device goes back to INACTIVE.
        """
        if self._state != ACTIVE:
            self._active_reason = ACTIVE_REASON_ALARM
            self._become_active(reason)
            self._become_inactive_if_appropriate()

    @transition
    def exit_idle(self, reason: str) -> None:
        """DeviceIdleInternal.exitIdle (exitIdleInternal): ACTIVE until the next screen-off."""
        self._active_reason = ACTIVE_REASON_FROM_BINDER_CALL
        self._become_active(reason)

    @transition
    def register_activity(self, kind: str, active: bool) -> None:
        """setJobsActive / setAlarmsActive: running work holds maintenance and light PRE_IDLE."""
        if kind == "jobs":
            self._jobs_active = active
        elif kind == "alarms":
            self._alarms_active = active
        else:
            raise ValueError(f"unknown activity kind {kind!r}; expected one of {ACTIVITY_KINDS}")
        if not active:
            self._exit_maintenance_early_if_needed()

    # ================================================================== shell operations
    # What DeviceIdleController.onShellCommand does under its lock; deviceidle_shell prints.
    @transition
    def shell_step(self, light: bool) -> str:
        """``step [light|deep]``: one step now; the state it ends in."""
        if light:
            self._step_light_idle_state("s:shell")
            return self._light_state
        self._step_idle_state("s:shell")
        return self._state

    @transition
    def shell_force_idle_deep(self) -> tuple[int, str]:
        """``force-idle [deep]``: force, become inactive, step until IDLE or stuck."""
        if not self._deep_enabled:
            return -1, "Unable to go deep idle; not enabled"
        self._force_idle = True
        self._become_inactive_if_appropriate()
        current = self._state
        # The source loops until IDLE or a step changes nothing; the bound is a model safety net.
        for _ in range(32):
            if current == IDLE:
                return 0, "Now forced in to deep idle mode"
            self._step_idle_state("s:shell")
            if current == self._state:
                break
            current = self._state
        message = f"Unable to go deep idle; stopped at {self._state}"
        self._exit_force_idle()
        return -1, message

    @transition
    def shell_force_idle_light(self) -> tuple[int, str]:
        """``force-idle light``: no enabled check; step light until IDLE or stuck."""
        self._force_idle = True
        self._become_inactive_if_appropriate()
        current = self._light_state
        for _ in range(32):
            if current == IDLE:
                return 0, "Now forced in to light idle mode"
            self._step_light_idle_state("s:shell")
            if current == self._light_state:
                break
            current = self._light_state
        message = f"Unable to go light idle; stopped at {self._light_state}"
        self._exit_force_idle()
        return -1, message

    @transition
    def shell_force_active(self) -> None:
        """``force-active``: forced, so screen and charging are ignored, and ACTIVE."""
        self._force_idle = True
        self._become_active("force-active")

    @transition
    def shell_force_inactive(self) -> None:
        self._force_idle = True
        self._become_inactive_if_appropriate()

    @transition
    def shell_unforce(self) -> None:
        self._exit_force_idle()

    @transition
    def shell_motion(self) -> None:
        self._motion()

    @transition
    def shell_disable(self, which: str | None) -> list[str]:
        """``disable [deep|light|all]``: the lines printed; ACTIVE if anything was on."""
        out: list[str] = []
        become_active = valid = False
        if which in (None, "deep", "all"):
            valid = True
            if self._deep_enabled:
                self._deep_enabled = False
                become_active = True
                out.append("Deep idle mode disabled")
        if which in (None, "light", "all"):
            valid = True
            if self._light_enabled:
                self._light_enabled = False
                become_active = True
                out.append("Light idle mode disabled")
        if become_active:
            self._active_reason = ACTIVE_REASON_FORCED
            self._become_active(f"{which or 'all'}-disabled")
        if not valid:
            out.append(f"Unknown idle mode: {which}")
        return out

    @transition
    def shell_enable(self, which: str | None) -> list[str]:
        """``enable [deep|light|all]``, with the source's "Light idle mode enable" (sic)."""
        out: list[str] = []
        become_inactive = valid = False
        if which in (None, "deep", "all"):
            valid = True
            if not self._deep_enabled:
                self._deep_enabled = True
                become_inactive = True
                out.append("Deep idle mode enabled")
        if which in (None, "light", "all"):
            valid = True
            if not self._light_enabled:
                self._light_enabled = True
                become_inactive = True
                out.append("Light idle mode enable")
        if become_inactive:
            self._become_inactive_if_appropriate()
        if not valid:
            out.append(f"Unknown idle mode: {which}")
        return out

    @transition
    def shell_pre_idle_factor(self, mode: int) -> int:
        return self.set_pre_idle_timeout_mode(mode)

    @transition
    def shell_reset_pre_idle_factor(self) -> None:
        self.reset_pre_idle_timeout_mode()

    def add_temp_whitelist_uid(self, uid: int, package: str, duration_ms: int, reason: str) -> None:
        self._add_temp_whitelist_uid(uid, package, duration_ms, reason)

    # ================================================================== bus events
    @transition
    def _on_screen_changed(self, on: bool, **_: object) -> None:
        self._update_interactivity(on)

    @transition
    def _on_battery_changed(self, plugged: str = "none", present: bool = True, **_: object) -> None:
        # ACTION_BATTERY_CHANGED receiver: charging = present && plugged != 0.
        self._update_charging(bool(present) and plugged not in ("none", "", None))

    @transition
    def _on_power_save_changed(self, enabled: bool, **_: object) -> None:
        # Battery saver's policy turns quick doze on (ServiceType.QUICK_DOZE), from Android 10.
        if self.era.quick_doze:
            self._update_quick_doze_flag(enabled)

    @transition
    def _on_keyguard_changed(self, locked: bool, **_: object) -> None:
        # Android 8 does not look at the keyguard (no mScreenLocked).
        if self.era.keyguard:
            self._keyguard_showing(locked)

    @transition
    def _on_network_changed(self, connected: bool, **_: object) -> None:
        # updateConnectivityState: reconnecting while WAITING_FOR_NETWORK steps light at once.
        if connected != self._network_connected:
            self._network_connected = connected
            if connected and self._light_state == WAITING_FOR_NETWORK:
                self._step_light_idle_state("network")

    def _on_alarm_clock_changed(self, next_trigger_elapsed_ms: int | None, **_: object) -> None:
        # AlarmManager.getNextWakeFromIdleTime, read by isUpcomingAlarmClock at each step.
        self._next_wake_from_idle = next_trigger_elapsed_ms

    def _on_package_removed(self, package: str, **_: object) -> None:
        # ACTION_PACKAGE_REMOVED (not replacing) -> removePowerSaveWhitelistAppInternal.
        if self.whitelist.remove_user(package):
            self.whitelist_changed(persist=True)

    # ================================================================== temp whitelist
    def _add_temp_whitelist_uid(
        self, uid: int, package: str, duration_ms: int, reason: str
    ) -> None:
        # addPowerSaveTempWhitelistAppDirectInternal: capped at MAX_TEMP_APP_ALLOWLIST_DURATION;
        # re-adding only moves the end time (the first reason stays).
        now = self._now()
        duration = min(duration_ms, self.era.max_temp_allowlist_ms)
        aid = app_id(uid)
        entry = self.temp_whitelist.get(aid)
        if entry is None:
            entry = TempWhitelistEntry(now + duration, reason, package)
            self.temp_whitelist[aid] = entry
            self.call_later(
                duration,
                "DeviceIdleController.temp_whitelist",
                lambda: self._check_temp_whitelist_timeout(aid),
            )
        else:
            entry.end_elapsed_ms = now + duration
        self.system.bus.publish(
            "temp_whitelist_changed", package=entry.package, until_elapsed_ms=entry.end_elapsed_ms
        )

    def _check_temp_whitelist_timeout(self, aid: int) -> None:
        # checkTempAppWhitelistTimeout: expired -> removed; extended -> check again later.
        entry = self.temp_whitelist.get(aid)
        if entry is None:
            return
        now = self._now()
        if now >= entry.end_elapsed_ms:
            del self.temp_whitelist[aid]
            self.system.bus.publish(
                "temp_whitelist_changed", package=entry.package, until_elapsed_ms=0
            )
        else:
            self.call_later(
                entry.end_elapsed_ms - now,
                "DeviceIdleController.temp_whitelist",
                lambda: self._check_temp_whitelist_timeout(aid),
            )

    # ================================================================== whitelist persistence
    def whitelist_changed(self, persist: bool) -> None:
        """After a whitelist edit: tell listeners; persistent lists are written 5 s later."""
        self.system.bus.publish("whitelist_changed")
        if persist:
            self._set_timer(
                "write_config",
                self._now() + WRITE_CONFIG_DELAY_MS,
                "DeviceIdleController.write_config",
                self._write_config,
            )

    def _write_config(self) -> None:
        written = self.whitelist.to_config()
        self.config.user[:] = written.user
        self.config.removed_system[:] = written.removed_system

    # ================================================================== shell
    async def dump(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.deviceidle_shell import dump

        return dump(self, inv, args)

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.deviceidle_shell import shell_command

        return shell_command(self, inv, args)
