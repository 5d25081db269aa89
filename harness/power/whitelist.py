"""The Doze (battery optimisation) user whitelist: an app on it sees no Doze, no standby
restrictions and no alarm quotas, so tests add to it only on purpose and undo it."""

from __future__ import annotations

import time

from harness.android.deviceidle import parse_whitelist_command
from harness.errors import DeviceCommandError
from harness.power.base import Controller

# DeviceIdleController writes the user whitelist to /data/system/deviceidle.xml 5 s after a
# change (MSG_WRITE_CONFIG, delayed); a reboot before that loses the change.
PERSIST_DELAY_S = 5.0


class DozeWhitelist(Controller):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._found: dict[str, bool] = {}
        self._last_change: float | None = None

    def wait_persisted(self) -> None:
        """Wait until the last change is on disk, before a reboot that must keep it.

        The platform offers no acknowledgement the shell can read (the file is private to
        system_server), so this is the one timed wait: what is left of the write delay.
        """
        if self._last_change is not None:
            left = self._last_change + PERSIST_DELAY_S + 0.5 - time.monotonic()
            if left > 0:
                time.sleep(left)

    def user_packages(self) -> list[str]:
        out = self.run(self.profile.argv("deviceidle", "whitelist")).stdout
        return [e.package for e in parse_whitelist_command(out).entries if e.kind == "user"]

    def contains(self, package: str) -> bool:
        return package in self.user_packages()

    def add(self, package: str) -> None:
        self._remember(package)
        res = self.run(self.profile.argv("deviceidle", "whitelist", f"+{package}"))
        self._last_change = time.monotonic()
        if "Unknown package" in res.stdout:
            raise DeviceCommandError(
                self.device.serial,
                f"deviceidle whitelist +{package}",
                res.exit_code,
                res.stdout,
                message="unknown package",
            )

    def remove(self, package: str) -> None:
        self._remember(package)
        self.run(self.profile.argv("deviceidle", "whitelist", f"-{package}"))
        self._last_change = time.monotonic()

    def _remember(self, package: str) -> None:
        if package not in self._found:
            self._found[package] = self.contains(package)

    def restore(self) -> None:
        found, self._found = self._found, {}
        current = set(self.user_packages()) if found else set()
        for package, was in found.items():
            if was and package not in current:
                self.run(self.profile.argv("deviceidle", "whitelist", f"+{package}"), check=False)
            elif not was and package in current:
                self.run(self.profile.argv("deviceidle", "whitelist", f"-{package}"), check=False)
