"""PowerState: one snapshot of everything the power controllers can change, and a way back.

``PowerState.capture(device)`` reads Doze, battery, battery saver, screen, the Doze user
whitelist, and the standby bucket and background-restriction mode of the given packages.
``restore(device)`` makes the device match the snapshot again. Two snapshots compare equal when
the device is in the same state, which is how tests check that nothing was left changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.device import Device
from harness.power.base import profile_for
from harness.power.battery import Battery, BatteryStatus
from harness.power.doze import Doze, DozeState
from harness.power.restriction import BackgroundRestriction
from harness.power.saver import BatterySaver
from harness.power.screen import Screen
from harness.power.standby import Standby
from harness.power.whitelist import DozeWhitelist


@dataclass(frozen=True)
class PowerState:
    doze: DozeState
    battery: BatteryStatus
    battery_saver: bool
    screen_on: bool
    whitelist: tuple[str, ...]
    buckets: tuple[tuple[str, int], ...] = field(default=())
    background: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def capture(cls, device: Device, packages: tuple[str, ...] = ()) -> PowerState:
        profile = profile_for(device)
        standby = Standby(device, profile)
        restriction = BackgroundRestriction(device, profile)
        return cls(
            doze=Doze(device, profile).state(),
            battery=Battery(device, profile).status(),
            battery_saver=BatterySaver(device, profile).enabled(),
            screen_on=Screen(device, profile).is_on(),
            whitelist=tuple(sorted(DozeWhitelist(device, profile).user_packages())),
            buckets=tuple((p, standby.bucket(p)) for p in packages),
            background=tuple((p, restriction.mode(p)) for p in packages),
        )

    def differences(self, other: PowerState) -> list[str]:
        """Human-readable differences, e.g. ``doze.deep: ACTIVE -> IDLE``."""
        out = []
        for name in ("doze", "battery"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key in mine.__dataclass_fields__:
                a, b = getattr(mine, key), getattr(theirs, key)
                if a != b:
                    out.append(f"{name}.{key}: {a} -> {b}")
        for name in ("battery_saver", "screen_on", "whitelist", "buckets", "background"):
            a, b = getattr(self, name), getattr(other, name)
            if a != b:
                out.append(f"{name}: {a} -> {b}")
        return out

    def restore(self, device: Device) -> None:
        """Bring the device back to this snapshot (best effort per part, in a safe order)."""
        profile = profile_for(device)
        current = PowerState.capture(device, tuple(p for p, _ in self.buckets))
        if current == self:
            return
        # Battery first: Doze and saver react to the charger.
        battery = Battery(device, profile)
        if current.battery != self.battery:
            battery._found = self.battery
            battery.restore()
        doze = Doze(device, profile)
        if current.doze != self.doze:
            doze._found = self.doze
            doze.restore()
        if current.battery_saver != self.battery_saver:
            saver = BatterySaver(device, profile)
            cmds = profile.commands("saver_on" if self.battery_saver else "saver_off")
            saver.run_all(cmds, check=False)
        if current.screen_on != self.screen_on:
            screen = Screen(device, profile)
            screen.on() if self.screen_on else screen.off()
        whitelist = DozeWhitelist(device, profile)
        for package in set(current.whitelist) ^ set(self.whitelist):
            whitelist._found[package] = package in self.whitelist
        whitelist.restore()
        standby = Standby(device, profile)
        standby._found = dict(self.buckets)
        standby.restore()
        restriction = BackgroundRestriction(device, profile)
        restriction._found = dict(self.background)
        restriction.restore()
