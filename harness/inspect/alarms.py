"""AlarmManager as the platform reports it (``dumpsys alarm``)."""

from __future__ import annotations

from harness.android.alarm import Alarm
from harness.android.alarm import parse as parse_alarm
from harness.device import Device


class AlarmInspector:
    def __init__(self, device: Device) -> None:
        self.device = device

    def dump(self):  # type: ignore[no-untyped-def]
        return parse_alarm(self.device.shell(["dumpsys", "alarm"], timeout_s=60).stdout)

    def alarms(self, package: str | None = None) -> list[Alarm]:
        """Pending alarms (of ``package``), whatever list the dump put them in."""
        return [a for a in self.dump().alarms if package is None or a.package == package]

    def force_all_apps_standby(self) -> bool | None:
        """``Force all apps standby:``: battery saver's effect on alarms, as CTS checks it."""
        return self.dump().force_all_apps_standby

    def idling_until(self) -> str | None:
        return self.dump().idling_until
