"""Screen on and off (KEYCODE_WAKEUP / KEYCODE_SLEEP), read back from ``dumpsys power``."""

from __future__ import annotations

from harness.android.power import parse as parse_power
from harness.power.base import Controller


class Screen(Controller):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._found: bool | None = None

    def is_on(self) -> bool:
        return bool(parse_power(self.run(["dumpsys", "power"]).stdout).screen_on)

    def _wait(self, on: bool) -> None:
        def probe() -> tuple[bool, str]:
            now = self.is_on()
            return now == on, f"screen {'on' if now else 'off'}"

        self.wait_for(f"screen {'on' if on else 'off'}", probe)

    def on(self, unlock: bool = True) -> None:
        if self._found is None:
            self._found = self.is_on()
        self.run(self.profile.command("screen_wake"))  # type: ignore[arg-type]
        self._wait(True)
        if unlock and self.profile.supports("dismiss_keyguard"):
            self.run(self.profile.command("dismiss_keyguard"), check=False)  # type: ignore[arg-type]

    def off(self) -> None:
        if self._found is None:
            self._found = self.is_on()
        self.run(self.profile.command("screen_sleep"))  # type: ignore[arg-type]
        self._wait(False)

    def restore(self) -> None:
        found, self._found = self._found, None
        if found is None:
            return
        if found and not self.is_on():
            self.on()
        elif not found and self.is_on():
            self.off()
        self._found = None
