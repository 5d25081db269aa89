"""BatteryStatsService (``dumpsys batterystats``): battery history and power statistics derived
from what happened on the virtual device.

Nothing here is invented per dump: the service listens to the system bus the way
BatteryStatsService is called by the other services (``note*``), and
:class:`~harness.virtual.system.batterystats_tracker.StatsTracker` keeps the history and the
"since charged" timers. Events consumed:

=========================== ================================================================
``battery_changed``         BatteryService -> setBatteryState (level, plug, status; health,
                            temperature, voltage and charge counter read from the service)
``screen_changed``          Notifier -> noteScreenState / noteInteractive
``idle_state_changed``      DeviceIdleController -> noteDeviceIdleMode
``power_save_changed``      BatterySaverController -> noteLowPowerMode (noteEnergySaver)
``job_started/_stopped``    JobServiceContext -> noteJobStart / noteJobFinish
``alarm_fired``             AlarmManagerService -> noteWakupAlarm, noteAlarmStart/Finish
``wakelock_acquired/...``   PowerManagerService Notifier -> noteStartWakelock / noteStop...
``process_started/_died``   ActivityManagerService -> noteProcessStart / noteProcessDied
``top_changed``             ActivityManagerService -> noteEvent(EVENT_TOP_START / _FINISH)
=========================== ================================================================

Shell (BatteryStatsService.dump): ``dumpsys batterystats [--checkin] [--history]
[--history-start N] [--charged] [-c] [--reset] [--write] [--enable|--disable OPTION] [-h]
[PACKAGE]``. ``--reset`` clears everything; ``--checkin`` prints (and deletes) the stats saved
at the last automatic reset, or the current ones when there are none; options set with
``--enable`` live in memory only ("Option state is not saved across boots"); the stats and the
history are kept across reboots (batterystats.bin), until a reset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.batterystats_checkin import (
    CheckinPrinter,
    DumpContext,
    format_time_ms,
    text_statistics,
)
from harness.virtual.system.batterystats_data import PersistentStats, StatsData
from harness.virtual.system.batterystats_history import text_lines
from harness.virtual.system.batterystats_tracker import BatteryReading, StatsTracker

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

# BatteryStatsService.dumpHelp (Android 13/14 text).
HELP = """\
Battery stats (batterystats) dump options:
  [--checkin] [--proto] [--history] [--history-start] [--charged] [-c]
  [--daily] [--reset] [--write] [--new-daily] [--read-daily] [-h] [<package.name>]
  --checkin: generate output for a checkin report; will write (and clear) the
             last old completed stats when they had been reset.
  -c: write the current stats in checkin format.
  --proto: write the current aggregate stats (without history) in proto format.
  --history: show only history data.
  --history-start <num>: show only history data starting at given time offset.
  --history-create-events <num>: create <num> of battery history events.
  --charged: only output data since last charged.
  --daily: only output full daily data.
  --reset: reset the stats, clearing all current data.
  --write: force write current collected stats to disk.
  --new-daily: immediately create and write new daily stats record.
  --read-daily: read-load last written daily stats.
  --settings: dump the settings key/values related to batterystats
  --cpu: dump cpu stats for debugging purpose
  <package.name>: optional name of package to filter output by.
  -h: print this help text.
Battery stats (batterystats) commands:
  enable|disable <option>
    Enable or disable a running option.  Option state is not saved across boots.
    Options are:
      full-history: include additional detailed events in battery history:
          wake_lock_in, alarms and proc events
      no-auto-reset: don't automatically reset stats when unplugged
      pretend-screen-off: pretend the screen is off, even if screen state changes"""

# Options doEnableOrDisable accepts ("full-wake-history" is the old name of full-history).
_OPTIONS = ("full-wake-history", "full-history", "no-auto-reset", "pretend-screen-off")
_JOB_WAKELOCK_PREFIX = "*job*/"


def job_battery_name(package: str, job_id: object, tag: str | None) -> str:
    """The job's name in batterystats (JobStatus.getBatteryName): the ``tag`` the JobScheduler
    model publishes (``pkg/.Service``, namespaced ``@ns@pkg/.Service``), without the
    ``*job*/`` wakelock prefix; ``pkg/#<id>`` when the publisher gives none."""
    if tag:
        return tag[len(_JOB_WAKELOCK_PREFIX):] if tag.startswith(_JOB_WAKELOCK_PREFIX) else tag
    return f"{package}/#{job_id}"


_WAKELOCK_KINDS = {
    "partial": "p",
    "partial_wake_lock": "p",
    "full": "f",
    "full_wake_lock": "f",
    "screen_bright_wake_lock": "f",
    "screen_dim_wake_lock": "f",
    "window": "w",
    "draw_wake_lock": "w",
}


@system_service
class BatteryStatsService(SystemService):
    names = ("batterystats",)
    # Created before BatteryService, like BatteryStatsService in ActivityManagerService's
    # constructor, so that it hears the first battery broadcast of the boot.
    order = 13

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.store = self.device.persistent("batterystats", PersistentStats)
        self.tracker = StatsTracker(
            self.store,
            self.device.clock.elapsed_ms,
            self.device.clock.wall_ms,
            self.api_level,
            BatteryReading(),
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        bus = self.system.bus
        for event, handler in (
            ("battery_changed", self._on_battery),
            ("screen_changed", self._on_screen),
            ("idle_state_changed", self._on_idle),
            ("power_save_changed", self._on_power_save),
            ("job_started", self._on_job_started),
            ("job_stopped", self._on_job_stopped),
            ("alarm_fired", self._on_alarm),
            ("wakelock_acquired", self._on_wakelock_acquired),
            ("wakelock_released", self._on_wakelock_released),
            ("process_started", self._on_process_started),
            ("process_died", self._on_process_died),
            ("top_changed", self._on_top),
        ):
            bus.subscribe(event, handler)
        t = self.tracker
        t.battery = self._battery_reading()
        power = self._power()
        if power is not None:
            t.screen_on = power.screen_on
            t.power_save = bool(power.battery_saver_enabled)
        t.boot()

    def boot_completed(self) -> None:
        # mSystemReady: automatic resets on unplug only happen once the system is up.
        self.tracker.system_ready = True

    def shutdown(self) -> None:
        self.tracker.shutdown()

    # ------------------------------------------------------------------ other services
    def _power(self) -> Any:
        from harness.virtual.system.power import PowerManagerService

        return self.system.maybe_service(PowerManagerService)

    def _battery_service(self) -> Any:
        from harness.virtual.system.battery import BatteryService

        return self.system.maybe_service(BatteryService)

    def _packages(self) -> Any:
        from harness.virtual.system.packages import PackageManagerService

        return self.system.maybe_service(PackageManagerService)

    def _battery_reading(self, **override: Any) -> BatteryReading:
        svc = self._battery_service()
        if svc is None:
            return BatteryReading(**override)
        info = svc.info
        reading = BatteryReading(
            plugged=svc.plugged,
            level=info.level,
            status=info.status,
            health=info.health,
            temp=info.temperature,
            volt=info.voltage,
            charge_uah=info.charge_counter,
            charging=bool(svc.stats.charging),
        )
        for key, value in override.items():
            setattr(reading, key, value)
        return reading

    def _uid_of(self, package: str) -> int | None:
        pm = self._packages()
        pkg = pm.get(package) if pm is not None else None
        return pkg.uid if pkg is not None else None

    def _packages_of(self, uid: int) -> list[str]:
        pm = self._packages()
        return [p.name for p in pm.by_uid(uid)] if pm is not None else []

    # ------------------------------------------------------------------ bus events
    def _on_battery(self, plugged: str, level: int, status: int, **_: Any) -> None:
        self.tracker.note_battery(self._battery_reading(plugged=plugged, level=level,
                                                        status=status))

    def _on_screen(self, on: bool, **_: Any) -> None:
        self.tracker.note_screen(bool(on))

    def _on_idle(self, deep: str, light: str, deep_idle: bool, light_idle: bool,
                 reason: str | None = None, **_: Any) -> None:
        self.tracker.note_device_idle(deep, light, bool(deep_idle), bool(light_idle), reason)

    def _on_power_save(self, enabled: bool, **_: Any) -> None:
        self.tracker.note_power_save(bool(enabled))

    def _on_job_started(self, package: str, uid: int, job_id: object = None,
                        tag: str | None = None, **_: Any) -> None:
        self.tracker.note_job_start(package, uid, job_battery_name(package, job_id, tag))

    def _on_job_stopped(self, package: str, uid: int, job_id: object = None,
                        tag: str | None = None, reason: object = None, **_: Any) -> None:
        name = job_battery_name(package, job_id, tag)
        self.tracker.note_job_finish(package, uid, name, reason)

    def _on_alarm(self, package: str, uid: int, tag: str, wakeup: bool = True,
                  **_: Any) -> None:
        self.tracker.note_alarm(package, uid, tag or "", bool(wakeup))

    def _on_wakelock_acquired(self, uid: int, tag: str, kind: str = "partial",
                              **_: Any) -> None:
        self.tracker.note_wakelock_start(uid, tag, _WAKELOCK_KINDS.get(str(kind).lower(), "p"))

    def _on_wakelock_released(self, uid: int, tag: str, **_: Any) -> None:
        self.tracker.note_wakelock_stop(uid, tag)

    def _on_process_started(self, package: str, uid: int, **_: Any) -> None:
        self.tracker.note_process_start(package, uid)
        if self.tracker.top is None:
            # ActivityManagerService puts the launcher on top at boot without a top_changed
            # event; its process start is the first thing heard of it.
            from harness.virtual.system.activity import ActivityManagerService

            am = self.system.maybe_service(ActivityManagerService)
            if am is not None and am.top is not None and am.top[0] == package:
                self.tracker.note_top(package, uid)

    def _on_process_died(self, package: str, uid: int, reason: str = "", **_: Any) -> None:
        self.tracker.note_process_death(package, uid, "crash" in str(reason).lower())

    def _on_top(self, package: str, **_: Any) -> None:
        self.tracker.note_top(package, self._uid_of(package))

    # ------------------------------------------------------------------ dumps
    def _context(self, data: StatsData | None = None) -> DumpContext:
        t = self.tracker
        live = data is None or data is self.store.data
        return DumpContext(
            api_level=self.api_level,
            build_id=self.device.props.get("ro.build.id") or "UNKNOWN",
            packages_of=self._packages_of,
            on_battery=t.battery.on_battery and live,
            level=t.battery.level,
            # Saved stats (the --checkin file) were closed when the charger came back.
            low_high_discharge=t.discharge_pct() if live or data is None
            else (data.low_discharge_pct, data.high_discharge_pct),
        )

    def _zone(self) -> ZoneInfo | None:
        name = self.device.props.get("persist.sys.timezone") or ""
        try:
            return ZoneInfo(name) if name else None
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return None

    def checkin_text(self, data: StatsData | None = None, include_history: bool = True,
                     only_uid: int | None = None) -> str:
        self.tracker.advance()
        printer = CheckinPrinter(data or self.store.data, self._context(data))
        return "\n".join(printer.dump(include_history, only_uid)) + "\n"

    def history_text(self) -> str:
        return "\n".join(text_lines(self.store.data.history, self._zone())) + "\n"

    def _text_dump(self, history: bool, statistics: bool, only_uid: int | None) -> str:
        self.tracker.advance()
        out: list[str] = []
        if history:
            out += text_lines(self.store.data.history, self._zone())
            out.append("")
        if statistics:
            if only_uid is None:
                out += ["Per-PID Stats:", ""]
                out += self._steps_text()
            printer = CheckinPrinter(self.store.data, self._context())
            out += text_statistics(printer, only_uid)
        return "\n".join(out) + "\n"

    def _steps_text(self) -> list[str]:
        out = []
        for title, tracker in (("Discharge step durations:", self.store.data.discharge_steps),
                               ("Charge step durations:", self.store.data.charge_steps)):
            if not tracker.steps:
                continue
            out.append(title)
            for i, (duration, level, _init, _mod) in enumerate(reversed(tracker.steps)):
                out.append(f"  #{i}: +{format_time_ms(duration)} to {level}")
            out.append("")
        return out

    # ------------------------------------------------------------------ shell
    async def dump(self, inv: Invocation, args: list[str]) -> int:
        use_checkin = real_checkin = include_history = False
        history_only = charged_only = no_output = False
        only_uid: int | None = None
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--checkin":
                use_checkin = real_checkin = True
            elif arg == "--history":
                history_only = True
            elif arg == "--history-start":
                history_only = True
                i += 1
                if i >= len(args):
                    inv.outln("Missing time argument for --history-since")
                    inv.outln(HELP)
                    return 0
            elif arg == "-c":
                use_checkin = include_history = True
            elif arg in ("--charged", "--daily"):
                charged_only = True
            elif arg == "--reset":
                self.tracker.reset()
                inv.outln("Battery stats reset.")
                no_output = True
            elif arg == "--write":
                inv.outln("Battery stats written.")
                no_output = True
            elif arg == "--new-daily":
                inv.outln("New daily stats written.")
                no_output = True
            elif arg == "--read-daily":
                inv.outln("Last daily stats read.")
                no_output = True
            elif arg in ("--enable", "enable", "--disable", "disable"):
                return self._enable_or_disable(inv, args, i, "enable" in arg)
            elif arg == "-h":
                inv.outln(HELP)
                return 0
            elif arg == "-a":
                pass  # verbose: the state word is not modelled
            elif arg.startswith("-"):
                inv.outln(f"Unknown option: {arg}")
                inv.outln(HELP)
                return 0
            else:
                uid = self._uid_of(arg)
                if uid is None:
                    inv.outln(f"Unknown package: {arg}")
                    inv.outln(HELP)
                    return 0
                only_uid = uid
            i += 1
        if no_output:
            return 0
        if only_uid is not None and not (history_only or charged_only):
            # "If the caller is only interested in a specific package ... we only dump the
            # aggregated data since charged" -- and -c drops its history.
            charged_only = True
            include_history = False
        if use_checkin:
            saved = self.store.checkin_file if real_checkin else None
            if saved is not None:
                # A real checkin reports the stats saved at the last reset, once.
                self.store.checkin_file = None
            inv.out(self.checkin_text(saved, include_history and not charged_only, only_uid))
            return 0
        if history_only:
            inv.out(self._text_dump(history=True, statistics=False, only_uid=only_uid))
            return 0
        inv.out(self._text_dump(history=not charged_only, statistics=True, only_uid=only_uid))
        return 0

    def _enable_or_disable(self, inv: Invocation, args: list[str], i: int, enable: bool) -> int:
        word = "--enable" if enable else "--disable"
        if i + 1 >= len(args):
            inv.outln(f"Missing option argument for {word}")
            inv.outln(HELP)
            return 0
        option = args[i + 1]
        if option not in _OPTIONS:
            inv.outln(f"Unknown enable/disable option: {option}")
            inv.outln(HELP)
            return 0
        self.tracker.advance()
        if option in ("full-wake-history", "full-history"):
            self.tracker.record_all_history = enable
        elif option == "no-auto-reset":
            self.tracker.no_auto_reset = enable
        else:
            self.tracker.pretend_screen_off = enable
        inv.outln(f"{'Enabled' if enable else 'Disabled'}: {option}")
        return 0


__all__ = ["HELP", "BatteryStatsService", "job_battery_name"]
