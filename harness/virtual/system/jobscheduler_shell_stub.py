"""A stand-in ``jobscheduler`` binder that answers only the battery handshake commands.

The JobScheduler model replaces this service: once a service class with the binder name
``jobscheduler`` exists, delete this module and let that model answer ``monitor-battery``,
``get-battery-seq``, ``get-battery-charging`` and ``get-battery-not-low`` through its own
:class:`~harness.virtual.system.jobscheduler_battery.BatteryTracker`. Until then ``cmd
jobscheduler`` knows these four commands and nothing else (``Unknown command: X`` otherwise, as
JobSchedulerShellCommand says for a command it does not have).

It is built first (lowest ``order``) so that a real ``jobscheduler`` service built later takes
the binder name over even while both modules exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.battery import jbool
from harness.virtual.system.jobscheduler_battery import BATTERY_HELP, BatteryTracker

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation


@system_service
class JobSchedulerShellStub(SystemService):
    names = ("jobscheduler",)
    order = 1

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.battery: BatteryTracker | None = None

    def start(self) -> None:
        # JobSchedulerService.onBootPhase(PHASE_SYSTEM_SERVICES_READY): startTracking().
        self.battery = BatteryTracker(self.system)

    def shutdown(self) -> None:
        if self.battery is not None:
            self.battery.close()

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("Job scheduler is modelled here only for its battery tracker:")
        if self.battery is not None:
            inv.outln(f"  charging={jbool(self.battery.charging)}")
            inv.outln(f"  batteryNotLow={jbool(self.battery.battery_not_low)}")
            inv.outln(f"  lastBatterySeq={self.battery.seq}")
        return 0

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        cmd = args[0] if args else None
        if cmd is None or cmd in ("help", "-h"):
            inv.outln("Job scheduler (jobscheduler) commands:")
            inv.outln("  help")
            inv.outln("    Print this help text.")
            inv.outln(BATTERY_HELP)
            return 255
        if self.battery is not None:
            rc = self.battery.shell_command(inv, cmd, args[1:])
            if rc is not None:
                return rc
        inv.outln(f"Unknown command: {cmd}")
        return 255
