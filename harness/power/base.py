"""What every power controller shares: the device's profile, commands, and waiting on the
platform's acknowledgement instead of sleeping (CTS power tests: poll what the platform
reports, with a timeout and a message naming what was awaited and what was last seen)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import lru_cache

from harness.device import Device, ShellResult
from harness.errors import DeviceCommandError, WaitTimeout
from harness.profiles import DeviceProfile, ProfileSet, load_profiles

DEFAULT_TIMEOUT_S = 15.0  # CTS BaseJobSchedulerTest waits up to 15 s for battery state


@lru_cache(maxsize=1)
def _profiles() -> ProfileSet:
    return load_profiles()


def profile_for(device: Device) -> DeviceProfile:
    """The device profile matching the device's properties (vendor overlay + API level)."""
    return _profiles().match(device.getprops())


def uid_appop_mode(device: Device, package: str, op: str) -> str | None:
    """The uid-level mode of an app op (``cmd appops get --uid``), None when none is set.
    AppOpsService answers with a uid mode before any package mode, which is why the sample
    app's preparation and the standby controller set SCHEDULE_EXACT_ALARM there."""
    from harness.android.appops import parse

    out = device.shell(["cmd", "appops", "get", "--uid", package, op], check=False).stdout
    return parse(out).mode(op)


class Controller:
    """A power controller of one device: it records what it found before its first change and
    puts it back in :meth:`restore`."""

    def __init__(
        self,
        device: Device,
        profile: DeviceProfile | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.device = device
        self.profile = profile or profile_for(device)
        self.timeout_s = timeout_s

    def run(self, argv: Sequence[str], check: bool = True, timeout_s: float = 30) -> ShellResult:
        return self.device.shell(list(argv), timeout_s=timeout_s, check=check)

    def run_all(self, argvs: Sequence[Sequence[str]], check: bool = True) -> list[ShellResult]:
        return [self.run(argv, check=check) for argv in argvs]

    def wait_for(
        self,
        awaited: str,
        probe: Callable[[], tuple[bool, str]],
        timeout_s: float | None = None,
        interval_s: float = 0.05,
    ) -> str:
        """Poll ``probe`` (returns (done, what was seen)) until done; returns the last seen."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout
        delay = interval_s
        seen = ""
        while True:
            done, seen = probe()
            if done:
                return seen
            if time.monotonic() >= deadline:
                raise WaitTimeout(self.device.serial, awaited, seen, timeout)
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def installed(self, package: str) -> bool:
        """Whether ``package`` is still installed (restoring an uninstalled app's state is
        moot: its bucket and app ops went with it)."""
        return self.run(["pm", "path", package], check=False).stdout.startswith("package:")

    def restore(self) -> None:  # pragma: no cover - every controller overrides it
        raise NotImplementedError

    def _check_output(self, result: ShellResult, expected: str, command: Sequence[str]) -> None:
        if expected not in result.stdout:
            raise DeviceCommandError(
                self.device.serial,
                " ".join(command),
                result.exit_code,
                result.stdout,
                result.stderr,
                message=f"expected {expected!r} in the answer",
            )
