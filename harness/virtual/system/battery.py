"""BatteryService (``dumpsys battery``, ``cmd battery``) and the battery hardware on the bench.

Two layers, as on a phone:

- the **hardware** (the health HAL): a Li-ion battery on a USB cable. It charges while a
  charger is connected and discharges while none is, faster with the screen on. It is physical,
  so its level survives a reboot (``device.persistent("battery_hardware")``). Tests move the
  cable with :meth:`BatteryService.set_hardware`, the way ``adb emu power ac off`` does on an
  emulator.
- **BatteryService**: what the framework reports. ``set``/``unplug`` freeze that state
  ("UPDATES STOPPED"); the hardware keeps going underneath and ``reset`` returns to it. The
  override lives in system_server memory only, so a reboot drops it (reference §7).

Every processed change bumps the sequence number and publishes
``battery_changed(plugged, level, status, present, seq)`` on the bus, after the
POWER_CONNECTED/DISCONNECTED and BATTERY_LOW/OKAY broadcasts, like processValuesLocked.

Two more views of "charging" matter to JobScheduler (cookbook §4, B2):

- :class:`BatteryStatsCharging`: BatteryStatsImpl's ``mCharging``, the source of
  ACTION_CHARGING/DISCHARGING. Plugged in is not enough: the level must reach 90 or rise, and a
  rise is only reported after ``battery_charged_delay_ms`` (15 min by default).
- ``jobscheduler_battery.BatteryTracker``: JobSchedulerService.BatteryStateTracker
  (``monitor-battery``, ``get-battery-seq``, ``get-battery-charging``, ``get-battery-not-low``),
  built from those broadcasts (:meth:`BatteryService.add_listener`). The JobScheduler model
  owns one and answers the shell commands with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.virtual.clock import Timer
from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.javafmt import JavaNumberFormatError, parse_java_int

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

# BatteryManager.BATTERY_PLUGGED_* (DOCK is API 33+).
PLUGGED_NONE = 0
PLUGGED_AC = 1
PLUGGED_USB = 2
PLUGGED_WIRELESS = 4
PLUGGED_DOCK = 8
PLUGGED_ANY = PLUGGED_AC | PLUGGED_USB | PLUGGED_WIRELESS | PLUGGED_DOCK
PLUG_NAMES = {
    PLUGGED_NONE: "none",
    PLUGGED_AC: "ac",
    PLUGGED_USB: "usb",
    PLUGGED_WIRELESS: "wireless",
    PLUGGED_DOCK: "dock",
}
PLUG_TYPES = {name: value for value, name in PLUG_NAMES.items()}

# BatteryManager.BATTERY_STATUS_* and BATTERY_HEALTH_GOOD.
STATUS_UNKNOWN = 1
STATUS_CHARGING = 2
STATUS_DISCHARGING = 3
STATUS_NOT_CHARGING = 4
STATUS_FULL = 5
HEALTH_GOOD = 2

BATTERY_SCALE = 100  # BatteryService.BATTERY_SCALE

# config.xml defaults (AOSP): config_criticalBatteryWarningLevel, config_lowBatteryWarningLevel
# (15 in AOSP for years, some newer trees ship 20; OEMs change it) and
# config_lowBatteryCloseWarningBump.
CRITICAL_BATTERY_LEVEL = 5
LOW_BATTERY_WARNING_LEVEL = 15
LOW_BATTERY_CLOSE_WARNING_BUMP = 5

# BatteryStatsImpl.Constants: DEFAULT_BATTERY_CHARGED_DELAY_MS (900000) and
# BATTERY_CHARGING_ENFORCE_LEVEL (90).
DEFAULT_BATTERY_CHARGED_DELAY_MS = 900_000
DEFAULT_BATTERY_CHARGING_ENFORCE_LEVEL = 90

# The bench battery: a 4000 mAh cell. Voltage follows the level roughly like a Li-ion cell
# (4060 mV at 80 %). Time per 1 % step, in device time.
CAPACITY_UAH = 4_000_000
CHARGE_MS_PER_PERCENT = {"usb": 180_000, "ac": 60_000, "wireless": 120_000, "dock": 60_000}
DISCHARGE_MS_PER_PERCENT_SCREEN_ON = 120_000
DISCHARGE_MS_PER_PERCENT_SCREEN_OFF = 600_000
# Max charging current (uA) and voltage (uV) the charger advertises, per source.
CHARGER_LIMITS = {
    "usb": (500_000, 5_000_000),
    "ac": (3_000_000, 9_000_000),
    "wireless": (1_000_000, 9_000_000),
    "dock": (3_000_000, 5_000_000),
}

BatteryListener = Callable[[str, "int | None"], None]


@dataclass
class BatteryHardware:
    """The physical battery and charger (what the health HAL reads). Survives reboots."""

    plugged: str = "usb"
    level: int = 80
    present: bool = True
    temperature: int = 280  # tenths of a degree Celsius
    health: int = HEALTH_GOOD
    progress: float = 0.0  # share of the next 1 % step already charged or drained


@dataclass
class HealthInfo:
    """android.hardware.health.HealthInfo: the values BatteryService prints and broadcasts."""

    ac: bool = False
    usb: bool = False
    wireless: bool = False
    dock: bool = False
    max_charging_current: int = 0
    max_charging_voltage: int = 0
    charge_counter: int = 0
    status: int = STATUS_UNKNOWN
    health: int = HEALTH_GOOD
    present: bool = True
    level: int = 0
    voltage: int = 0
    temperature: int = 0
    technology: str = "Li-ion"
    charging_state: int = 1  # BatteryChargingState.NORMAL
    charging_policy: int = 1  # BatteryChargingPolicy.DEFAULT

    @property
    def plug_type(self) -> int:
        # BatteryService.plugType: the first online source in this order wins.
        if self.ac:
            return PLUGGED_AC
        if self.usb:
            return PLUGGED_USB
        if self.wireless:
            return PLUGGED_WIRELESS
        if self.dock:
            return PLUGGED_DOCK
        return PLUGGED_NONE

    def copy(self) -> HealthInfo:
        return dataclasses.replace(self)


def hardware_info(hw: BatteryHardware) -> HealthInfo:
    """What the health HAL reports for the bench battery right now."""
    plugged = hw.plugged if hw.plugged in CHARGE_MS_PER_PERCENT else "none"
    if not hw.present:
        status = STATUS_UNKNOWN
    elif plugged == "none":
        status = STATUS_DISCHARGING
    else:
        status = STATUS_FULL if hw.level >= 100 else STATUS_CHARGING
    current, voltage = CHARGER_LIMITS.get(plugged, (0, 0))
    return HealthInfo(
        ac=plugged == "ac",
        usb=plugged == "usb",
        wireless=plugged == "wireless",
        dock=plugged == "dock",
        max_charging_current=current,
        max_charging_voltage=voltage,
        charge_counter=CAPACITY_UAH * hw.level // 100,
        status=status,
        health=hw.health,
        present=hw.present,
        level=hw.level,
        voltage=3500 + 7 * hw.level,
        temperature=hw.temperature,
    )


class BatteryStatsCharging:
    """BatteryStatsImpl's charging state: what ACTION_CHARGING / ACTION_DISCHARGING report.

    setBatteryStateLocked (BatteryStatsImpl.java): on battery -> not charging; plugged and level
    >= BATTERY_CHARGING_ENFORCE_LEVEL -> charging; plugged, not charging and the level rose ->
    charging after BATTERY_CHARGED_DELAY_MS (mDeferSetCharging); plugged, charging and the level
    fell -> not charging. Plugging in only records the level (setOnBatteryLocked), so a freshly
    plugged device below 90 % is "charging" only once its level rises.
    """

    def __init__(self, service: BatteryService) -> None:
        self._svc = service
        # "Always start out assuming charging" and "We start out assuming that the device is
        # plugged in" (setBatteryStateLocked, mHaveBatteryLevel == false).
        self.charging = True
        self._on_battery = False
        self._have_level = False
        self._last_charge_step_level = 0
        self._deferred: Timer | None = None

    # BatteryStatsImpl.Constants: Settings.Global battery_charging_state_update_delay /
    # battery_charging_state_enforce_level (API 34+) win over the battery_stats_constants keys.
    def charged_delay_ms(self) -> int:
        if self._svc.api_level >= 34:
            direct = self._svc.global_int("battery_charging_state_update_delay", -1)
            if direct >= 0:
                return direct
        return self._svc.stats_constant(
            "battery_charged_delay_ms", DEFAULT_BATTERY_CHARGED_DELAY_MS
        )

    def enforce_level(self) -> int:
        if self._svc.api_level >= 34:
            direct = self._svc.global_int("battery_charging_state_enforce_level", -1)
            if direct >= 0:
                return direct
            return self._svc.stats_constant(
                "battery_charging_enforce_level", DEFAULT_BATTERY_CHARGING_ENFORCE_LEVEL
            )
        return DEFAULT_BATTERY_CHARGING_ENFORCE_LEVEL

    def set_battery_state(self, status: int, plug_type: int, level: int) -> None:
        # BatteryStatsImpl.isOnBattery: no charger and a known status.
        on_battery = plug_type == PLUGGED_NONE and status != STATUS_UNKNOWN
        if not self._have_level:
            self._have_level = True
            self._last_charge_step_level = level
        if on_battery != self._on_battery:
            self._on_battery = on_battery
            if on_battery:
                # setOnBatteryLocked(onBattery=true): "if (mCharging) setChargingLocked(false)".
                self._set_charging(False)
            else:
                # setOnBatteryLocked(onBattery=false): mLastChargeStepLevel = level.
                self._last_charge_step_level = level
            return
        if on_battery:
            self._set_charging(False)
            return
        if level >= self.enforce_level():
            self._set_charging(True)
        elif not self.charging:
            if self._last_charge_step_level < level:
                # The level went up: report charging later, once (mDeferSetCharging). Before
                # API 29 there was no deferral.
                if self._svc.api_level < 29:
                    self._set_charging(True)
                elif self._deferred is None:
                    self._schedule_deferred(self.charged_delay_ms())
            elif self._last_charge_step_level > level:
                self._cancel_deferred()
        elif self._last_charge_step_level > level:
            # "power connected and the level going down ... consider the device to now be
            # discharging."
            self._set_charging(False)
        self._last_charge_step_level = level

    def constants_changed(self) -> None:
        # updateBatteryChargedDelayMsLocked: a pending deferral is re-posted with the new delay.
        if self._deferred is not None:
            self._cancel_deferred()
            self._schedule_deferred(self.charged_delay_ms())

    def _schedule_deferred(self, delay_ms: int) -> None:
        if delay_ms <= 0:
            self._set_charging(True)
            return
        self._deferred = self._svc.call_later(delay_ms, "battery_charged_delay", self._fire)

    def _cancel_deferred(self) -> None:
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = None

    def _fire(self) -> None:
        self._deferred = None
        if not self._on_battery:  # unplugged in the meantime
            self._set_charging(True)
            self._svc.flush_notifications()

    def _set_charging(self, charging: bool) -> None:
        # setChargingLocked removes the deferred runnable in every case.
        self._cancel_deferred()
        if self.charging != charging:
            self.charging = charging
            self._svc.queue_notification("charging" if charging else "discharging", None)


@system_service
class BatteryService(SystemService):
    names = ("battery",)
    order = 15  # after settings and packages, before activity and power

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.hw = self.device.persistent("battery_hardware", BatteryHardware)
        self.info = hardware_info(self.hw)  # mHealthInfo
        self.updates_stopped = False
        self.invalid_charger = 0
        self.seq = 1  # mSequence
        self.battery_level_low = False
        self.sent_low_broadcast = False
        self.stats = BatteryStatsCharging(self)
        self._last: tuple[object, ...] | None = None
        self._last_plug_type = -1  # "Extra state so we can detect first run"
        self._last_level = 0
        self._listeners: list[BatteryListener] = []
        self._pending: list[tuple[str, int | None]] = []
        self._screen_on = True
        self._step_timer: Timer | None = None
        self._rate_since_ms = 0
        self._low_warning_level = LOW_BATTERY_WARNING_LEVEL
        self._last_low_warning_level = LOW_BATTERY_WARNING_LEVEL
        self._update_warning_levels()
        self.process_values(force=False)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        from harness.virtual.system.power import PowerManagerService

        power = self.system.maybe_service(PowerManagerService)
        self._screen_on = power.screen_on if power is not None else True
        self.system.bus.subscribe("screen_changed", self._on_screen)
        self.system.bus.subscribe("setting_changed", self._on_setting)
        self._rate_since_ms = self.device.clock.elapsed_ms()
        self._schedule_step()

    def shutdown(self) -> None:
        self._accumulate_progress()

    # ------------------------------------------------------------------ queries (Python API)
    @property
    def plugged(self) -> str:
        """The reported plug type: none, ac, usb, wireless or dock."""
        return PLUG_NAMES[self.info.plug_type]

    @property
    def level(self) -> int:
        return self.info.level

    @property
    def status(self) -> int:
        return self.info.status

    @property
    def present(self) -> bool:
        return self.info.present

    @property
    def plug_type(self) -> int:
        return self.info.plug_type

    def is_powered(self, plug_type_set: int = PLUGGED_ANY) -> bool:
        """BatteryManagerInternal.isPowered: an unknown status counts as powered, so "stay on
        while plugged in" works on devices without a battery (BatteryService.isPoweredLocked)."""
        if self.info.status == STATUS_UNKNOWN:
            return True
        return bool(self.info.plug_type & plug_type_set)

    def add_listener(self, listener: BatteryListener) -> None:
        """``listener(event, seq)`` for the broadcasts other services receive:
        ``power_connected``, ``power_disconnected``, ``battery_low``, ``battery_okay`` and
        ``battery_changed`` (with the sequence number), ``charging`` and ``discharging``
        (BatteryStats' ACTION_CHARGING/DISCHARGING, no sequence)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: BatteryListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # ------------------------------------------------------------------ the bench (Python API)
    def set_hardware(
        self,
        plugged: str | None = None,
        level: int | None = None,
        present: bool | None = None,
        temperature: int | None = None,
    ) -> None:
        """Change the physical battery or cable, like ``adb emu power`` on an emulator.

        While ``dumpsys battery set|unplug`` froze the reported state, the change is only seen
        after ``reset``, as on a phone.
        """
        self._accumulate_progress()
        if plugged is not None:
            if plugged not in PLUG_TYPES:
                raise ValueError(f"unknown charger {plugged!r}; use one of {sorted(PLUG_TYPES)}")
            self.hw.plugged = plugged
        if level is not None:
            self.hw.level = max(0, min(100, int(level)))
            self.hw.progress = 0.0
        if present is not None:
            self.hw.present = present
        if temperature is not None:
            self.hw.temperature = int(temperature)
        self._hardware_update()
        self._schedule_step()

    # ------------------------------------------------------------------ hardware model
    def _step_period_ms(self) -> int | None:
        """Device time per 1 % step, or None when the level cannot move."""
        hw = self.hw
        if not hw.present:
            return None
        if hw.plugged in CHARGE_MS_PER_PERCENT:
            return CHARGE_MS_PER_PERCENT[hw.plugged] if hw.level < 100 else None
        if hw.level <= 0:
            return None
        if self._screen_on:
            return DISCHARGE_MS_PER_PERCENT_SCREEN_ON
        return DISCHARGE_MS_PER_PERCENT_SCREEN_OFF

    def _accumulate_progress(self) -> None:
        """Book the charge or drain since the last rate change into ``hw.progress``."""
        now = self.device.clock.elapsed_ms()
        period = self._step_period_ms()
        if period is not None and now > self._rate_since_ms:
            self.hw.progress = min(0.999, self.hw.progress + (now - self._rate_since_ms) / period)
        self._rate_since_ms = now

    def _schedule_step(self) -> None:
        if self._step_timer is not None:
            self._step_timer.cancel()
            self._step_timer = None
        period = self._step_period_ms()
        if period is None:
            return
        remaining = max(1, int((1.0 - self.hw.progress) * period))
        self._step_timer = self.call_later(remaining, "battery_level_step", self._step)

    def _step(self) -> None:
        self._step_timer = None
        self._rate_since_ms = self.device.clock.elapsed_ms()
        self.hw.progress = 0.0
        if self.hw.plugged in CHARGE_MS_PER_PERCENT:
            self.hw.level = min(100, self.hw.level + 1)
        else:
            self.hw.level = max(0, self.hw.level - 1)
        self._hardware_update()
        self._schedule_step()

    def _hardware_update(self) -> None:
        # BatteryService.update: new HAL values are processed unless updates are stopped; then
        # they only go to mLastHealthInfo, which 'reset' restores (hardware_info() here).
        if not self.updates_stopped:
            self.info = hardware_info(self.hw)
            self.process_values(force=False)

    def _on_screen(self, on: bool, **_: object) -> None:
        self._accumulate_progress()
        self._screen_on = on
        self._schedule_step()

    def _on_setting(self, namespace: str, key: str, value: str | None, **_: object) -> None:
        if namespace != "global":
            return
        if key == "low_power_trigger_level":
            # BatteryService observes LOW_POWER_MODE_TRIGGER_LEVEL: updateBatteryWarningLevelLocked
            # re-runs processValuesLocked(true).
            self._update_warning_levels()
            self.process_values(force=True)
        elif key in (
            "battery_stats_constants",
            "battery_charging_state_update_delay",
            "battery_charging_state_enforce_level",
        ):
            self.stats.constants_changed()

    # ------------------------------------------------------------------ settings helpers
    def global_int(self, key: str, default: int) -> int:
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        value = settings.get("global", key) if settings is not None else None
        try:
            return int(value) if value is not None else default
        except ValueError:
            return default

    def stats_constant(self, key: str, default: int) -> int:
        """A key of ``battery_stats_constants`` (KeyValueListParser, ``k=v,k2=v2``)."""
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        raw = settings.get("global", "battery_stats_constants") if settings is not None else None
        for item in (raw or "").split(","):
            name, sep, value = item.partition("=")
            if sep and name.strip() == key:
                try:
                    return int(value.strip())
                except ValueError:
                    return default
        return default

    def _update_warning_levels(self) -> None:
        # updateBatteryWarningLevelLocked: low_power_trigger_level when set, never below critical.
        self._last_low_warning_level = self._low_warning_level
        level = self.global_int("low_power_trigger_level", 0) or LOW_BATTERY_WARNING_LEVEL
        self._low_warning_level = max(level, CRITICAL_BATTERY_LEVEL)

    @property
    def low_warning_level(self) -> int:
        return self._low_warning_level

    # ------------------------------------------------------------------ processValuesLocked
    def queue_notification(self, event: str, seq: int | None) -> None:
        self._pending.append((event, seq))

    def flush_notifications(self) -> None:
        pending, self._pending = self._pending, []
        for event, seq in pending:
            for listener in list(self._listeners):
                listener(event, seq)

    def process_values(self, force: bool) -> bool:
        """BatteryService.processValuesLocked; returns whether a change was broadcast."""
        info = self.info
        plug_type = info.plug_type
        # mBatteryStats.setBatteryState runs on every call, changed or not. Its
        # ACTION_CHARGING/DISCHARGING go out through a handler, after this method.
        self.stats.set_battery_state(info.status, plug_type, info.level)
        current = (
            info.status,
            info.health,
            info.present,
            info.level,
            plug_type,
            info.voltage,
            info.temperature,
            info.max_charging_current,
            info.max_charging_voltage,
            info.charge_counter,
            self.invalid_charger,
        )
        changed = force or current != self._last
        if changed:
            plugged = plug_type != PLUGGED_NONE
            unknown = info.status == STATUS_UNKNOWN
            if not self.battery_level_low:
                if not plugged and not unknown and info.level <= self._low_warning_level:
                    self.battery_level_low = True
            elif plugged or info.level >= self._close_warning_level:
                self.battery_level_low = False
            elif force and info.level >= self._low_warning_level:
                # "If being forced, the previous state doesn't matter"
                self.battery_level_low = False
            self.seq += 1
            if plugged and self._last_plug_type == PLUGGED_NONE:
                self.queue_notification("power_connected", self.seq)
            elif not plugged and self._last_plug_type != PLUGGED_NONE:
                self.queue_notification("power_disconnected", self.seq)
            if self._should_send_battery_low():
                self.sent_low_broadcast = True
                self.queue_notification("battery_low", self.seq)
            elif self.sent_low_broadcast and info.level >= self._close_warning_level:
                self.sent_low_broadcast = False
                self.queue_notification("battery_okay", self.seq)
            # "We are doing this after sending the above broadcasts, so anything processing them
            # will get the new sequence number at that point."
            self.queue_notification("battery_changed", self.seq)
            self._last = current
            self._last_plug_type = plug_type
            self._last_level = info.level
            self.system.bus.publish(
                "battery_changed",
                plugged=PLUG_NAMES[plug_type],
                level=info.level,
                status=info.status,
                present=info.present,
                seq=self.seq,
            )
        self.flush_notifications()
        return changed

    @property
    def _close_warning_level(self) -> int:
        return self._low_warning_level + LOW_BATTERY_CLOSE_WARNING_BUMP

    def _should_send_battery_low(self) -> bool:
        # shouldSendBatteryLowLocked: just unplugged at or below WARNING, or falling to it.
        info = self.info
        plugged = info.plug_type != PLUGGED_NONE
        old_plugged = self._last_plug_type != PLUGGED_NONE  # -1 (first run) counts as plugged
        return (
            not plugged
            and info.status != STATUS_UNKNOWN
            and info.level <= self._low_warning_level
            and (
                old_plugged
                or self._last_level > self._low_warning_level
                or info.level > self._last_low_warning_level
            )
        )

    # ------------------------------------------------------------------ shell
    async def dump(self, inv: Invocation, args: list[str]) -> int:
        # dumpInternal: no argument or -a dumps; anything else is a shell command.
        if not args or args[0] == "-a":
            self._dump_state(inv)
            return 0
        await self.shell_command(inv, args)
        return 0

    def _dump_state(self, inv: Invocation) -> None:
        info = self.info
        inv.outln("Current Battery Service state:")
        if self.updates_stopped:
            inv.outln("  (UPDATES STOPPED -- use 'reset' to restart)")
        inv.outln(f"  AC powered: {jbool(info.ac)}")
        inv.outln(f"  USB powered: {jbool(info.usb)}")
        inv.outln(f"  Wireless powered: {jbool(info.wireless)}")
        if self.api_level >= 34:
            # Health HAL 2 (Android 14) added the dock charger and the charging state/policy.
            inv.outln(f"  Dock powered: {jbool(info.dock)}")
        inv.outln(f"  Max charging current: {info.max_charging_current}")
        inv.outln(f"  Max charging voltage: {info.max_charging_voltage}")
        inv.outln(f"  Charge counter: {info.charge_counter}")
        inv.outln(f"  status: {info.status}")
        inv.outln(f"  health: {info.health}")
        inv.outln(f"  present: {jbool(info.present)}")
        inv.outln(f"  level: {info.level}")
        inv.outln(f"  scale: {BATTERY_SCALE}")
        inv.outln(f"  voltage: {info.voltage}")
        inv.outln(f"  temperature: {info.temperature}")
        inv.outln(f"  technology: {info.technology}")
        if self.api_level >= 34:
            inv.outln(f"  Charging state: {info.charging_state}")
            inv.outln(f"  Charging policy: {info.charging_policy}")

    def _props(self) -> list[str]:
        # The keys of BatteryService.dumpHelp per release: dock from Android 14, counter with
        # 'get' (Android 10).
        props = ["ac", "usb", "wireless"]
        if self.api_level >= 34:
            props.append("dock")
        props += ["status", "level", "temp", "present"]
        if self.api_level >= 29:
            props.append("counter")
        props.append("invalid")
        return props

    def _help(self, inv: Invocation) -> None:
        options = "|".join(self._props())
        inv.outln("Battery service (battery) commands:")
        inv.outln("  help")
        inv.outln("    Print this help text.")
        if self.api_level >= 29:
            inv.outln(f"  get [-f] [{options}]")
        inv.outln(f"  set [-f] [{options}] <value>")
        inv.outln("    Force a battery property value, freezing battery state.")
        inv.outln("    -f: force a battery change broadcast be sent, prints new sequence.")
        inv.outln("  unplug [-f]")
        inv.outln("    Force battery unplugged, freezing battery state.")
        inv.outln("    -f: force a battery change broadcast be sent, prints new sequence.")
        inv.outln("  reset [-f]")
        inv.outln("    Unfreeze battery state, returning to current hardware values.")
        inv.outln("    -f: force a battery change broadcast be sent, prints new sequence.")
        if self.device.props.get("ro.debuggable") == "1":
            inv.outln("  suspend_input")
            inv.outln("    Suspend charging even if plugged in. ")

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        cmd = args[0] if args else None
        rest = args[1:]
        # ShellCommand.handleDefaultCommands: help for none/help/-h, else "Unknown command";
        # both return -1.
        if cmd is None or cmd in ("help", "-h"):
            self._help(inv)
            return 255
        if cmd == "unplug":
            force, _ = _options(rest)
            self.unplug(force, inv)
            return 0
        if cmd == "reset":
            force, _ = _options(rest)
            self.reset(force, inv)
            return 0
        if cmd == "set":
            return self._cmd_set(inv, rest)
        if cmd == "get" and self.api_level >= 29:
            return self._cmd_get(inv, rest)
        inv.outln(f"Unknown command: {cmd}")
        return 255

    def _cmd_get(self, inv: Invocation, args: list[str]) -> int:
        _force, rest = _options(args)
        if not rest:
            inv.outln("No property specified")
            return 255
        key = rest[0]
        info = self.info
        values: dict[str, object] = {
            "present": jbool(info.present),
            "ac": jbool(info.ac),
            "usb": jbool(info.usb),
            "wireless": jbool(info.wireless),
            "status": info.status,
            "level": info.level,
            "counter": info.charge_counter,
            "temp": info.temperature,
            "invalid": self.invalid_charger,
        }
        if self.api_level >= 34:
            values["dock"] = jbool(info.dock)
        if key not in values:
            inv.outln(f"Unknown get option: {key}")
            return 0
        inv.outln(str(values[key]))
        return 0

    def _cmd_set(self, inv: Invocation, args: list[str]) -> int:
        force, rest = _options(args)
        if not rest:
            inv.outln("No property specified")
            return 255
        if len(rest) < 2:
            inv.outln("No value specified")
            return 255
        key, value = rest[0], rest[1]
        if key not in self._props():
            inv.outln(f"Unknown set option: {key}")
            return 0
        try:
            number = parse_java_int(value)
        except JavaNumberFormatError:
            inv.outln(f"Bad value: {value}")
            return 255
        self.set_property(key, number, force, inv)
        return 0

    # ------------------------------------------------------------------ overrides (Python API)
    def set_property(
        self, key: str, value: int, force: bool = False, inv: Invocation | None = None
    ) -> None:
        """``dumpsys battery set [-f] KEY VALUE``: freeze the state with one value changed."""
        info = self.info
        if key in ("present", "ac", "usb", "wireless", "dock"):
            setattr(info, key, value != 0)
        elif key == "status":
            info.status = value
        elif key == "level":
            info.level = value
        elif key == "counter":
            info.charge_counter = value
        elif key == "temp":
            info.temperature = value
        elif key == "invalid":
            self.invalid_charger = value
        else:
            raise ValueError(f"unknown battery property {key!r}")
        self.updates_stopped = True
        self._process_and_print(force, inv)

    def unplug(self, force: bool = False, inv: Invocation | None = None) -> None:
        """``dumpsys battery unplug [-f]``: every charger offline, state frozen."""
        self.info.ac = self.info.usb = self.info.wireless = self.info.dock = False
        self.updates_stopped = True
        self._process_and_print(force, inv)

    def reset(self, force: bool = False, inv: Invocation | None = None) -> None:
        """``dumpsys battery reset [-f]``: back to the hardware; nothing happens (and nothing is
        printed, even with -f) when the state was not frozen (resetBattery)."""
        if self.updates_stopped:
            self.updates_stopped = False
            # copyV1Battery(mHealthInfo, mLastHealthInfo); mInvalidCharger is not part of it.
            self.info = hardware_info(self.hw)
            self._process_and_print(force, inv)

    def _process_and_print(self, force: bool, inv: Invocation | None) -> None:
        self.process_values(force)
        # processValuesLocked(forceUpdate, pw) prints the new sequence only when forced.
        if inv is not None and force:
            inv.outln(str(self.seq))


def _options(args: list[str]) -> tuple[bool, list[str]]:
    """BatteryService.parseOptions: leading options; ``-f`` forces, others are ignored."""
    force = False
    i = 0
    while i < len(args) and args[i].startswith("-") and len(args[i]) > 1:
        if args[i] == "--":
            i += 1
            break
        if args[i] == "-f":
            force = True
        i += 1
    return force, args[i:]


def shell_exception(inv: Invocation, cmd: str, exception: str, message: str) -> None:
    """What BasicShellCommandHandler.exec prints when a command throws (stack frames left out)."""
    inv.errln("")
    inv.errln(f"Exception occurred while executing '{cmd}':")
    inv.errln(f"{exception}: {message}")


def jbool(value: bool) -> str:
    """Java's String.valueOf(boolean)."""
    return "true" if value else "false"
