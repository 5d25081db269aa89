"""Battery: unplug, plug, set the level, reset; waiting on the battery sequence number.

``cmd battery ... -f`` forces a change broadcast and prints its sequence number; JobScheduler
reports the last sequence it saw (``cmd jobscheduler get-battery-seq``) once monitoring is on,
and whether it considers the device charging. CTS (BaseJobSchedulerTest.setBatteryState) waits
for both. Overrides freeze the battery state until ``reset`` (BatteryService).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.android.battery import parse as parse_battery
from harness.power.base import Controller

PLUG_KINDS = ("ac", "usb", "wireless")
STATS_CONSTANTS = "battery_stats_constants"


@dataclass(frozen=True)
class BatteryStatus:
    level: int
    plugged: str  # none, ac, usb, wireless, dock
    status: int
    frozen: bool  # overridden with set/unplug until reset

    @property
    def charging_source(self) -> bool:
        return self.plugged not in ("none", "")


class Battery(Controller):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._found: BatteryStatus | None = None
        self._monitoring = False
        self._found_stats_constants: str | None = None

    def status(self) -> BatteryStatus:
        dump = parse_battery(self.run(["dumpsys", "battery"]).stdout)
        return BatteryStatus(
            dump.level or 0, dump.plugged or "none", dump.status or 1, dump.updates_stopped
        )

    def _record(self) -> None:
        """Remember the state found, and start JobScheduler's battery monitoring: it records
        broadcast sequence numbers only while monitoring is on, so it must come first."""
        if self._found is None:
            self._found = self.status()
        self._ensure_monitoring()

    # ---------------------------------------------------------------- handshake
    def _seq_from(self, stdout: str) -> int | None:
        m = re.search(r"^\s*(\d+)\s*$", stdout, re.M)
        return int(m.group(1)) if m else None

    def _ensure_monitoring(self) -> bool:
        if not self.profile.supports("battery_monitor_on"):
            return False
        if not self._monitoring:
            self.run(self.profile.command("battery_monitor_on"))  # type: ignore[arg-type]
            self._monitoring = True
        return True

    def _acknowledged(self, seq: int | None, charging: bool | None) -> None:
        """Wait until JobScheduler saw broadcast ``seq`` and agrees on charging."""
        if seq is None or not self._ensure_monitoring():
            return

        def probe() -> tuple[bool, str]:
            got = self.run(self.profile.command("battery_seq")).stdout.strip()  # type: ignore[arg-type]
            now = int(got) if got.lstrip("-").isdigit() else -1
            ok = now >= seq
            seen = f"battery seq {now} (want >= {seq})"
            if ok and charging is not None and self.profile.supports("battery_charging"):
                state = self.run(self.profile.command("battery_charging")).stdout.strip()  # type: ignore[arg-type]
                ok = state == ("true" if charging else "false")
                seen += f", charging {state}"
            return ok, seen

        self.wait_for(f"battery broadcast {seq} acknowledged by JobScheduler", probe)

    def _set(self, prop: str, value: int | str) -> int | None:
        res = self.run(self.profile.command("battery_set", prop=prop, value=str(value)))  # type: ignore[arg-type]
        return self._seq_from(res.stdout)

    # ---------------------------------------------------------------- changing
    def unplug(self) -> None:
        """Unplugged and discharging as far as the system knows (also for batterystats)."""
        self._record()
        res = self.run(self.profile.command("battery_unplug"))  # type: ignore[arg-type]
        seq = self._seq_from(res.stdout)
        seq = self._set("status", 3) or seq  # BATTERY_STATUS_DISCHARGING (CTS AppStandbyTests)
        self._acknowledged(seq, charging=False)
        self.wait_for("battery unplugged", lambda: self._probe_plugged("none"))

    def plug(self, kind: str = "ac") -> None:
        """Plugged into ``kind`` (ac, usb, wireless) and charging."""
        if kind not in PLUG_KINDS:
            raise ValueError(f"plug kind must be one of {', '.join(PLUG_KINDS)}, not {kind!r}")
        self._record()
        seq = None
        for other in PLUG_KINDS:
            seq = self._set(other, 1 if other == kind else 0) or seq
        seq = self._set("status", 2) or seq  # BATTERY_STATUS_CHARGING
        # JobScheduler takes "charging" from BatteryStats, which waits for the level to rise
        # and then battery_charged_delay_ms (15 min). CTS BaseJobSchedulerTest sets the delay
        # to 0 and lowers the level by one before setting it back.
        self._no_charged_delay()
        level = self.status().level
        if level > 1:
            self._set("level", level - 1)
            seq = self._set("level", level) or seq
        self._acknowledged(seq, charging=True)
        self.wait_for(f"battery plugged into {kind}", lambda: self._probe_plugged(kind))

    def _no_charged_delay(self) -> None:
        current = self.run(["settings", "get", "global", STATS_CONSTANTS]).stdout.strip()
        if "battery_charged_delay_ms=0" in current.split(","):
            return
        if self._found_stats_constants is None:
            self._found_stats_constants = current
        pairs = [p for p in current.split(",") if p and p != "null"
                 and not p.startswith("battery_charged_delay_ms=")]
        value = ",".join([*pairs, "battery_charged_delay_ms=0"])
        self.run(["settings", "put", "global", STATS_CONSTANTS, value])

    def set_level(self, pct: int) -> None:
        if not 0 <= pct <= 100:
            raise ValueError(f"battery level must be 0..100, not {pct}")
        self._record()
        seq = self._set("level", pct)
        self._acknowledged(seq, charging=None)

        def probe() -> tuple[bool, str]:
            level = self.status().level
            return level == pct, f"level {level}"

        self.wait_for(f"battery level {pct}", probe)

    def reset(self) -> None:
        """Back to the hardware's values (``cmd battery reset``)."""
        self._record()
        res = self.run(self.profile.command("battery_reset"))  # type: ignore[arg-type]
        self._acknowledged(self._seq_from(res.stdout), charging=None)

        def probe() -> tuple[bool, str]:
            st = self.status()
            return not st.frozen, f"frozen={st.frozen}"

        self.wait_for("battery updates resumed", probe)

    def _probe_plugged(self, kind: str) -> tuple[bool, str]:
        st = self.status()
        return st.plugged == kind, f"plugged {st.plugged}, status {st.status}"

    def restore(self) -> None:
        found, self._found = self._found, None
        if found is None:
            return
        if not found.frozen:
            self.reset()
        else:
            # Someone had frozen it before us: put back the values they had set.
            for kind in PLUG_KINDS:
                self._set(kind, 1 if found.plugged == kind else 0)
            self._set("status", found.status)
            self._set("level", found.level)
        if self._found_stats_constants is not None:
            found_constants, self._found_stats_constants = self._found_stats_constants, None
            if found_constants == "null":
                self.run(["settings", "delete", "global", STATS_CONSTANTS], check=False)
            else:
                self.run(["settings", "put", "global", STATS_CONSTANTS, found_constants],
                         check=False)
        if self._monitoring:
            self.run(self.profile.command("battery_monitor_off"), check=False)  # type: ignore[arg-type]
            self._monitoring = False
