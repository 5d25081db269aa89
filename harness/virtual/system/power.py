"""PowerManagerService: wakefulness (screen on/off) and the power key.

The screen is what Doze, the standby model and the UI care about. Key events arrive from
``input keyevent`` through the ``key_event`` bus event: POWER toggles, WAKEUP wakes, SLEEP
sleeps (PhoneWindowManager.interceptKeyBeforeQueueing). A device starts awake, as a phone on a
test bench whose screen was just unlocked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemService, system_service

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

KEYCODE_POWER = 26
KEYCODE_SLEEP = 223
KEYCODE_WAKEUP = 224


@system_service
class PowerManagerService(SystemService):
    names = ("power",)
    order = 30

    def __init__(self, system):  # type: ignore[no-untyped-def]
        super().__init__(system)
        self.wakefulness = "Awake"
        self.last_wake_reason = "boot"

    @property
    def screen_on(self) -> bool:
        return self.wakefulness in ("Awake", "Dreaming")

    def start(self) -> None:
        self.system.bus.subscribe("key_event", self._on_key)

    def _on_key(self, keycode: int, **_: object) -> None:
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
        self.last_wake_reason = reason
        self.device.log.log(
            "I",
            "PowerManagerService",
            f"{'Waking up' if on else 'Going to sleep'} from "
            f"{'Asleep' if on else 'Awake'} (uid 2000, reason={reason})...",
            pid=self.device.system_server_pid,
        )
        self.system.bus.publish("screen_changed", on=on, reason=reason)

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("POWER MANAGER (dumpsys power)\n")
        inv.outln("Power Manager State:")
        inv.outln("  mDirty=0x0")
        inv.outln(f"  mWakefulness={self.wakefulness}")
        inv.outln("  mWakefulnessChanging=false")
        inv.outln("  mIsPowered=false")
        inv.outln("  mStayOn=false")
        inv.outln(f"  mHoldingDisplaySuspendBlocker={str(self.screen_on).lower()}")
        inv.outln(f"  Display Power: state={'ON' if self.screen_on else 'OFF'}")
        return 0
