"""Foreground services and their notifications, as the platform reports them and as a user sees
them in the notification shade."""

from __future__ import annotations

import time

from harness.android.activity_services import Service
from harness.android.activity_services import parse as parse_services
from harness.android.notification import Notification
from harness.android.notification import parse as parse_notifications
from harness.device import Device
from harness.errors import WaitTimeout


class ForegroundServiceInspector:
    def __init__(self, device: Device) -> None:
        self.device = device

    def services(self, package: str) -> list[Service]:
        out = self.device.shell(["dumpsys", "activity", "services", package], timeout_s=60)
        return [s for s in parse_services(out.stdout).services
                if s.package == package and s.section == "active"]

    def foreground(self, package: str) -> list[Service]:
        return [s for s in self.services(package) if s.foreground]

    def notifications(self, package: str) -> list[Notification]:
        out = self.device.shell(["dumpsys", "notification", "--noredact"], timeout_s=60)
        return [n for n in parse_notifications(out.stdout).notifications if n.package == package]

    def wait_foreground(self, package: str, timeout_s: float = 30) -> Service:
        deadline = time.monotonic() + timeout_s
        while True:
            fg = self.foreground(package)
            if fg:
                return fg[0]
            if time.monotonic() > deadline:
                seen = ", ".join(s.name for s in self.services(package)) or "no services"
                raise WaitTimeout(self.device.serial, f"a foreground service of {package}",
                                  seen, timeout_s)
            time.sleep(0.2)

    def shade_shows(self, text: str) -> bool:
        """Open the notification shade with uiautomator2 and look for ``text``; the shade is
        closed again afterwards."""
        ui = self.device.ui()
        ui.open_notification()
        try:
            deadline = time.monotonic() + 5
            while True:
                if text in ui.dump_hierarchy():
                    return True
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.3)
        finally:
            ui.press("back")
