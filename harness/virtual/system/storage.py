"""DeviceStorageMonitorService: low-storage state and ``cmd devicestoragemonitor``.

The virtual /data never runs low by itself; the shell forces the level as on a phone:
``force-low``, ``force-not-low`` and ``reset`` set the forced level and bump the sequence
number (mSeq, starting at 1); with ``-f`` the check runs at once and the new sequence is
printed, otherwise the periodic check (every minute, DEFAULT_CHECK_INTERVAL) applies it. While
forced, every check broadcasts ACTION_DEVICE_STORAGE_LOW / _OK with EXTRA_SEQUENCE ("When in
testing mode, use unknown old level to force sending of any broadcasts").

:attr:`storage_not_low` and :attr:`storage_seq` are what JobScheduler's StorageTracker saw in
those broadcasts (``cmd jobscheduler get-storage-not-low`` / ``get-storage-seq``): not low and
-1 until the first one. Everything is in memory and gone after a reboot. Listeners get
``storage_changed(not_low, seq)`` for every broadcast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemServer, SystemService, system_service

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.shell.registry import Invocation

LEVEL_UNKNOWN = -1
LEVEL_NORMAL = 0
LEVEL_LOW = 1
LEVEL_FULL = 2
LEVEL_NAMES = {
    LEVEL_UNKNOWN: "UNKNOWN",
    LEVEL_NORMAL: "NORMAL",
    LEVEL_LOW: "LOW",
    LEVEL_FULL: "FULL",
}
CHECK_INTERVAL_MS = 60_000  # DeviceStorageMonitorService.DEFAULT_CHECK_INTERVAL
USABLE_BYTES = 48_318_382_080  # what the virtual /data reports free


@system_service
class DeviceStorageMonitorService(SystemService):
    names = ("devicestoragemonitor",)
    order = 16

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.seq = 1  # mSeq = new AtomicInteger(1)
        self.force_level = LEVEL_UNKNOWN
        self.level = LEVEL_NORMAL  # the real level of /data
        self.storage_not_low = True  # StorageTracker.mStorageLow == false
        self.storage_seq = -1  # StorageTracker.mLastStorageSeq
        self._timer: Timer | None = None

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.call_later(CHECK_INTERVAL_MS, "DeviceStorageMonitor.check", self._tick)

    def _tick(self) -> None:
        self._timer = None
        self.check()
        self._schedule()

    def check(self) -> None:
        """DeviceStorageMonitorService.check for the internal volume."""
        old = self.level
        if self.force_level != LEVEL_UNKNOWN:
            old, new = LEVEL_UNKNOWN, self.force_level
        else:
            new = LEVEL_NORMAL
        entering_low = new >= LEVEL_LOW and (old < LEVEL_LOW or old == LEVEL_UNKNOWN)
        leaving_low = new < LEVEL_LOW and (old >= LEVEL_LOW or old == LEVEL_UNKNOWN)
        self.level = new
        if entering_low:
            self._broadcast(low=True)
        elif leaving_low:
            self._broadcast(low=False)

    def _broadcast(self, low: bool) -> None:
        # ACTION_DEVICE_STORAGE_LOW (sticky) / ACTION_DEVICE_STORAGE_OK with EXTRA_SEQUENCE.
        self.storage_not_low = not low
        self.storage_seq = self.seq
        self.system.bus.publish("storage_changed", not_low=not low, seq=self.seq)

    # ------------------------------------------------------------------ shell
    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        cmd = args[0] if args else None
        levels = {"force-low": LEVEL_LOW, "force-not-low": LEVEL_NORMAL, "reset": LEVEL_UNKNOWN}
        if cmd not in levels:
            if cmd in (None, "help", "-h"):
                self._help(inv)
            else:
                inv.outln(f"Unknown command: {cmd}")
            return 255
        force = "-f" in [a for a in args[1:] if a.startswith("-")]
        self.force_level = levels[cmd]
        self.seq += 1
        if force:
            # removeMessages(MSG_CHECK); obtainMessage(MSG_CHECK).sendToTarget(); println(seq)
            self.check()
            self._schedule()
            inv.outln(str(self.seq))
        return 0

    @staticmethod
    def _help(inv: Invocation) -> None:
        inv.outln("Device storage monitor service (devicestoragemonitor) commands:")
        inv.outln("  help")
        inv.outln("    Print this help text.")
        inv.outln("  force-low [-f]")
        inv.outln("    Force storage to be low, freezing storage state.")
        inv.outln("    -f: force a storage change broadcast be sent, prints new sequence.")
        inv.outln("  force-not-low [-f]")
        inv.outln("    Force storage to not be low, freezing storage state.")
        inv.outln("    -f: force a storage change broadcast be sent, prints new sequence.")
        inv.outln("  reset [-f]")
        inv.outln("    Unfreeze storage state, returning to current real values.")
        inv.outln("    -f: force a storage change broadcast be sent, prints new sequence.")

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        if args and args[0] in ("-h", "help"):
            self._help(inv)
            return 0
        if args:
            return await self.shell_command(inv, args)
        inv.outln("Known volumes:")
        inv.outln("  Default:")
        inv.outln(f"    level={LEVEL_NAMES[self.level]} lastUsableBytes={USABLE_BYTES} ")
        inv.outln()
        inv.outln(f"mSeq={self.seq} mForceState={LEVEL_NAMES[self.force_level]} ")
        inv.outln()
        return 0
