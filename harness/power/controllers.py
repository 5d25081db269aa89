"""All power controllers of one device, restored together in the reverse order of use."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.device import Device
from harness.power.base import Controller, profile_for
from harness.power.battery import Battery
from harness.power.doze import Doze
from harness.power.restriction import BackgroundRestriction
from harness.power.saver import BatterySaver
from harness.power.screen import Screen
from harness.power.standby import Standby
from harness.power.whitelist import DozeWhitelist


@dataclass
class PowerControllers:
    """``power.doze``, ``power.battery``, ``power.saver``, ``power.standby``,
    ``power.restriction``, ``power.screen``, ``power.whitelist``; ``restore()`` undoes
    everything any of them changed."""

    device: Device
    doze: Doze = field(init=False)
    battery: Battery = field(init=False)
    saver: BatterySaver = field(init=False)
    standby: Standby = field(init=False)
    restriction: BackgroundRestriction = field(init=False)
    screen: Screen = field(init=False)
    whitelist: DozeWhitelist = field(init=False)

    def __post_init__(self) -> None:
        profile = profile_for(self.device)
        self.profile = profile
        self.doze = Doze(self.device, profile)
        self.battery = Battery(self.device, profile)
        self.saver = BatterySaver(self.device, profile)
        self.standby = Standby(self.device, profile)
        self.restriction = BackgroundRestriction(self.device, profile)
        self.screen = Screen(self.device, profile)
        self.whitelist = DozeWhitelist(self.device, profile)

    def controllers(self) -> list[Controller]:
        """In restore order: Doze is unforced and saver turned off while the battery is still
        as the test left it; app-level settings next; the screen and the battery come back
        last, which also ends any Doze progression the unplugged, dark device had begun."""
        return [self.doze, self.saver, self.standby, self.restriction, self.whitelist,
                self.screen, self.battery]

    def restore(self) -> list[str]:
        """Restore everything; returns the errors met (restoring goes on past each one)."""
        errors = []
        for controller in self.controllers():
            try:
                controller.restore()
            except Exception as exc:  # one failure must not leave the rest changed
                errors.append(f"{type(controller).__name__}: {exc}")
        return errors
