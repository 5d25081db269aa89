"""JobScheduler's view of the battery: JobSchedulerService.BatteryStateTracker.

JobScheduler does not read BatteryService directly. It listens to broadcasts: ACTION_CHARGING and
ACTION_DISCHARGING from BatteryStats (:class:`~harness.virtual.system.battery.BatteryStatsCharging`)
and ACTION_BATTERY_LOW/OKAY from BatteryService, plus ACTION_BATTERY_CHANGED while
``monitor-battery`` is on. The CTS battery handshake (cookbook §4) rests on this: ``cmd battery
... -f`` prints a sequence number, then ``cmd jobscheduler get-battery-seq`` is polled until it
reaches it and ``get-battery-charging`` / ``get-battery-not-low`` give the expected answer.

The JobScheduler model owns a :class:`BatteryTracker` (``BatteryTracker(system)`` in its
``start()``) and answers the four shell commands with :meth:`BatteryTracker.shell_command`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.virtual.system.battery import (
    PLUGGED_ANY,
    BatteryService,
    jbool,
    shell_exception,
)

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.base import SystemServer


class BatteryTracker:
    """JobSchedulerService.BatteryStateTracker: JobScheduler's idea of the battery.

    - ``charging``: starts as BatteryManagerInternal.isPowered(ANY), then follows
      ACTION_CHARGING/DISCHARGING from BatteryStats (see :class:`BatteryStatsCharging`), so after
      ``cmd battery set ac 1`` the level must also rise (or reach 90) before jobs with
      ``setRequiresCharging`` run.
    - ``battery_not_low``: starts as ``!getBatteryLevelLow()``, then follows
      ACTION_BATTERY_LOW/OKAY. Plugging in does not send OKAY.
    - ``seq``: the EXTRA_SEQUENCE of the last battery broadcast received, -1 before any. With
      ``monitor-battery on`` every ACTION_BATTERY_CHANGED counts; otherwise only LOW/OKAY.

    ``add_listener(callback)`` calls back (no arguments) when charging or not-low changes, the
    moment JobScheduler re-evaluates its controllers (onBatteryStateChangedLocked).
    """

    def __init__(self, system: SystemServer) -> None:
        self._battery = system.service(BatteryService)
        self.charging = self._battery.is_powered(PLUGGED_ANY)
        self.battery_not_low = not self._battery.battery_level_low
        self.seq = -1
        self.monitoring = False
        self._callbacks: list[Callable[[], None]] = []
        self._battery.add_listener(self._on_broadcast)

    def add_listener(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def set_monitoring(self, enabled: bool) -> None:
        """setMonitorBatteryLocked: register for ACTION_BATTERY_CHANGED or stop."""
        self.monitoring = enabled

    def close(self) -> None:
        self._battery.remove_listener(self._on_broadcast)

    def _on_broadcast(self, event: str, seq: int | None) -> None:
        changed = False
        if event == "battery_changed":
            if not self.monitoring:
                return
        elif event == "battery_low":
            changed = self.battery_not_low
            self.battery_not_low = False
        elif event == "battery_okay":
            changed = not self.battery_not_low
            self.battery_not_low = True
        elif event == "charging":
            changed = not self.charging
            self.charging = True
        elif event == "discharging":
            changed = self.charging
            self.charging = False
        else:
            return
        # mLastBatterySeq = intent.getIntExtra(EXTRA_SEQUENCE, mLastBatterySeq)
        if seq is not None:
            self.seq = seq
        if changed:
            for callback in list(self._callbacks):
                callback()

    # JobSchedulerShellCommand: monitor-battery, get-battery-seq, get-battery-charging,
    # get-battery-not-low.
    def shell_command(self, inv: Invocation, cmd: str, args: list[str]) -> int | None:
        """Answer one of the four battery commands; None for any other command."""
        if cmd == "monitor-battery":
            if not args:
                shell_exception(
                    inv,
                    cmd,
                    "java.lang.IllegalArgumentException",
                    f'Argument expected after "{cmd}"',
                )
                return 255
            if args[0] == "on":
                self.set_monitoring(True)
                inv.outln("Battery monitoring enabled")
            elif args[0] == "off":
                self.set_monitoring(False)
                inv.outln("Battery monitoring disabled")
            else:
                inv.errln(f"Error: unknown option {args[0]}")
                return 1
            return 0
        if cmd == "get-battery-seq":
            inv.outln(str(self.seq))
            return 0
        if cmd == "get-battery-charging":
            inv.outln(jbool(self.charging))
            return 0
        if cmd == "get-battery-not-low":
            inv.outln(jbool(self.battery_not_low))
            return 0
        return None


BATTERY_HELP = (
    "  monitor-battery [on|off]\n"
    "    Control monitoring of all battery changes.  Off by default.  Turning\n"
    "    on makes get-battery-seq useful.\n"
    "  get-battery-seq\n"
    "    Return the last battery update sequence number that was received.\n"
    "  get-battery-charging\n"
    "    Return whether the battery is currently considered to be charging.\n"
    "  get-battery-not-low\n"
    "    Return whether the battery was last reported to be not low."
)
