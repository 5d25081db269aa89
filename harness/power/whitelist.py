"""The Doze (battery optimisation) user whitelist: an app on it sees no Doze, no standby
restrictions and no alarm quotas, so tests add to it only on purpose and undo it."""

from __future__ import annotations

import re
import time

from harness.android.deviceidle import TempWhitelistEntry, parse_whitelist_command
from harness.android.deviceidle import parse as parse_deviceidle
from harness.errors import DeviceCommandError
from harness.power.base import Controller

# DeviceIdleController writes the user whitelist to /data/system/deviceidle.xml 5 s after a
# change (MSG_WRITE_CONFIG, delayed); a reboot before that loses the change.
PERSIST_DELAY_S = 5.0
# UserHandle.PER_USER_RANGE: a uid is user * 100000 + app id.
PER_USER_RANGE = 100_000
_PACKAGE_UID = re.compile(r"^package:(\S+)\s+uid:(\d+)", re.M)


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

    def temp_allowlisted(self, package: str) -> list[TempWhitelistEntry]:
        """The app's entries on the temporary allowlist: what the platform grants for a while
        after BOOT_COMPLETED, an exact alarm, a high-priority FCM message and the like, during
        which the app may also start foreground services from the background."""
        listed = self.run(["cmd", "package", "list", "packages", "-U", package]).stdout
        uids = {int(m.group(2)) for m in _PACKAGE_UID.finditer(listed) if m.group(1) == package}
        if not uids:
            return []
        state = parse_deviceidle(self.run(["dumpsys", "deviceidle"]).stdout)
        app_ids = {uid % PER_USER_RANGE for uid in uids}
        return [e for e in state.temp_whitelist if e.app_id % PER_USER_RANGE in app_ids]

    def wait_temp_allowlist_expired(self, package: str, timeout_s: float = 90) -> None:
        """Wait until ``package`` has no temporary allowlist entry (for a test of what an app
        without any exemption may not do)."""

        def probe() -> tuple[bool, str]:
            entries = self.temp_allowlisted(package)
            return not entries, "; ".join(f"{e.expires_in} {e.reason}" for e in entries)

        self.wait_for(f"{package} off the temporary allowlist", probe, timeout_s, interval_s=0.5)

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
