"""Doze: force deep or light idle, step the state machines, leave Doze, and restore.

Commands: ``cmd deviceidle`` (``dumpsys deviceidle`` before API 24, from the profile). Facts:
DeviceIdleController (android-background-behavior.md section 1): ``force-idle`` ignores screen
and charging until ``unforce``; ``step`` does nothing from ACTIVE while the screen is on or the
device charges; ``unforce`` returns to ACTIVE only when the screen is on or it charges.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from harness.android.deviceidle import parse as parse_deviceidle
from harness.android.deviceidle import parse_get
from harness.errors import DeviceCommandError
from harness.power.base import Controller


@dataclass(frozen=True)
class DozeState:
    deep: str
    light: str | None
    forced: bool
    deep_enabled: bool
    light_enabled: bool


class DozeStepError(DeviceCommandError):
    """``step`` did not move the state machine (screen on, charging, or an alarm clock due)."""


class Doze(Controller):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._found: DozeState | None = None

    # ---------------------------------------------------------------- reading
    def _cmd(self, *args: str) -> list[str]:
        return self.profile.argv("deviceidle", *args)

    def get(self, what: str) -> str:
        return parse_get(self.run(self._cmd("get", what)).stdout)

    def state(self) -> DozeState:
        dump = parse_deviceidle(self.run(["dumpsys", "deviceidle"]).stdout)
        return DozeState(
            deep=dump.deep_state or "ACTIVE",
            light=dump.light_state,
            forced=bool(dump.force_idle),
            deep_enabled=dump.deep_enabled is not False,
            light_enabled=dump.light_enabled is not False,
        )

    def _record(self) -> None:
        if self._found is None:
            self._found = self.state()

    def _await(self, which: str, target: str) -> None:
        def probe() -> tuple[bool, str]:
            seen = self.get(which)
            return seen == target, f"{which} state {seen}"

        self.wait_for(f"deviceidle {which} state {target}", probe)

    # ---------------------------------------------------------------- changing
    def force_deep(self) -> None:
        """Deep IDLE whatever the screen and charger say (``force-idle deep``)."""
        self._record()
        cmd = self._cmd("force-idle", "deep")
        res = self.run(cmd, check=False)
        if "Now forced in to deep idle mode" not in res.stdout:
            raise DeviceCommandError(
                self.device.serial,
                " ".join(cmd),
                res.exit_code,
                res.stdout,
                res.stderr,
                message="the device refused to force deep idle",
            )
        self._await("deep", "IDLE")

    def force_light(self) -> None:
        self._record()
        cmd = self._cmd("force-idle", "light")
        res = self.run(cmd, check=False)
        if "Now forced in to light idle mode" not in res.stdout:
            raise DeviceCommandError(
                self.device.serial,
                " ".join(cmd),
                res.exit_code,
                res.stdout,
                res.stderr,
                message="the device refused to force light idle",
            )
        self._await("light", "IDLE")

    def step(self, light: bool = False) -> str:
        """One ``step``; returns the state it printed (``Stepped to deep: X``)."""
        self._record()
        cmd = self._cmd("step", "light" if light else "deep")
        out = self.run(cmd).stdout.strip()
        return out.rsplit(":", 1)[-1].strip() if ":" in out else out

    def step_to(self, target: str, light: bool = False, max_steps: int = 12) -> None:
        """Step until ``target``; a step that changes nothing is an error saying why."""
        which = "light" if light else "deep"
        states = self.profile.light_doze_states if light else self.profile.deep_doze_states
        if target not in states:
            raise ValueError(f"{target!r} is not a {which} Doze state here: {', '.join(states)}")
        current = self.get(which)
        for _ in range(max_steps):
            if current == target:
                return
            after = self.step(light)
            if after == current:
                raise DozeStepError(
                    self.device.serial,
                    " ".join(self._cmd("step", which)),
                    0,
                    after,
                    message=f"step stays at {after}: Doze steps only with the screen off and "
                    f"the battery unplugged (and no alarm clock due within 30 min)",
                )
            current = after
        raise DozeStepError(
            self.device.serial,
            " ".join(self._cmd("step", which)),
            0,
            current,
            message=f"{target} not reached after {max_steps} steps",
        )

    def unforce(self) -> None:
        self._record()
        self.run(self._cmd("unforce"))

    def exit(self) -> None:
        """Leave Doze: unforce, and if the device would stay idle (screen off, unplugged),
        hold it ACTIVE (``force-active``, or ``disable deep`` where that command does not
        exist); :meth:`restore` lifts that again."""
        self._record()
        self.run(self._cmd("unforce"))
        if self.get("deep") != "ACTIVE":
            if self.profile.feature("doze_force_active"):
                self.run(self._cmd("force-active"))
            else:
                # Without force-active, disabling deep Doze is what holds ACTIVE
                # (becomeActiveLocked with ACTIVE_REASON_FORCED); restore() re-enables it.
                self.run(self._cmd("disable", "deep"))
        self._await("deep", "ACTIVE")

    @contextmanager
    def deep(self) -> Iterator[Doze]:
        """``with doze.deep():`` the device is in forced deep idle, and afterwards not."""
        before = self.state()
        self.force_deep()
        try:
            yield self
        finally:
            self._back_to(before)

    @contextmanager
    def light(self) -> Iterator[Doze]:
        before = self.state()
        self.force_light()
        try:
            yield self
        finally:
            self._back_to(before)

    def _back_to(self, state: DozeState) -> None:
        current = self.state()
        if state.forced and state.deep == "IDLE":
            if current.deep != "IDLE":
                self.run(self._cmd("force-idle", "deep"), check=False)
            return
        if current.forced or current.deep != state.deep:
            self.run(self._cmd("unforce"))
        for which, enabled, now in (
            ("deep", state.deep_enabled, current.deep_enabled),
            ("light", state.light_enabled, current.light_enabled),
        ):
            if enabled != now:
                self.run(self._cmd("enable" if enabled else "disable", which))

    def restore(self) -> None:
        if self._found is not None:
            self._back_to(self._found)
            self._found = None
