"""Battery saver on and off, refused while charging as Android refuses it."""

from __future__ import annotations

from harness.android.power import parse as parse_power
from harness.errors import DeviceError
from harness.power.base import Controller


class BatterySaverRefused(DeviceError):
    """The platform did not turn battery saver on (it refuses while the device is charging)."""


class BatterySaver(Controller):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._found: tuple[bool, str, str] | None = None

    def enabled(self) -> bool:
        return bool(parse_power(self.run(["dumpsys", "power"]).stdout).battery_saver)

    def _setting(self, key: str) -> str:
        return self.run(["settings", "get", "global", key]).stdout.strip()

    def _record(self) -> None:
        if self._found is None:
            self._found = (
                self.enabled(),
                self._setting("low_power"),
                self._setting("low_power_sticky"),
            )

    def _wait(self, on: bool) -> None:
        def probe() -> tuple[bool, str]:
            now = self.enabled()
            return now == on, f"battery saver {'on' if now else 'off'}"

        self.wait_for(f"battery saver {'on' if on else 'off'}", probe)

    def on(self) -> None:
        self._record()
        self.run_all(self.profile.commands("saver_on"), check=False)
        try:
            self._wait(True)
        except DeviceError as exc:
            plugged = parse_power(self.run(["dumpsys", "power"]).stdout).plugged_in
            if plugged and self.profile.battery_saver_refused_while_charging:
                raise BatterySaverRefused(
                    self.device.serial,
                    "battery saver refused while the device is charging; unplug it first "
                    "(power.battery.unplug())",
                ) from exc
            raise

    def off(self) -> None:
        self._record()
        self.run_all(self.profile.commands("saver_off"), check=False)
        self._wait(False)

    def restore(self) -> None:
        found, self._found = self._found, None
        if found is None:
            return
        enabled, low_power, sticky = found
        if enabled != self.enabled():
            self.run_all(self.profile.commands("saver_on" if enabled else "saver_off"), check=False)
        for key, value in (("low_power", low_power), ("low_power_sticky", sticky)):
            if value == "null":
                self.run(["settings", "delete", "global", key], check=False)
            elif self._setting(key) != value:
                self.run(["settings", "put", "global", key, value], check=False)
