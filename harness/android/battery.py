"""Parser for ``dumpsys battery`` (BatteryService.dumpInternal).

The dump is ``Current Battery Service state:`` followed by two-space indented ``label: value``
lines. When the state was frozen with ``dumpsys battery set|unplug``, the line
``(UPDATES STOPPED -- use 'reset' to restart)`` comes first: the values are then the forced
ones, not the hardware's. Newer releases add lines (``Dock powered``, ``Charging state``,
``Charging policy``...) and vendors add their own; every ``label: value`` line is kept in
``fields`` as printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.android.text import normalize, strip_dump_header
from harness.errors import ParseError

COMMAND = "dumpsys battery"

# BatteryManager.BATTERY_STATUS_* and BATTERY_HEALTH_*.
STATUS_NAMES = {1: "unknown", 2: "charging", 3: "discharging", 4: "not_charging", 5: "full"}
HEALTH_NAMES = {
    1: "unknown",
    2: "good",
    3: "overheat",
    4: "dead",
    5: "over_voltage",
    6: "unspecified_failure",
    7: "cold",
}

# The order decides which source is reported when several are true at once (a dock that also
# feeds USB, say): the first true one wins.
_PLUG_LINES = (
    ("AC powered", "ac"),
    ("USB powered", "usb"),
    ("Wireless powered", "wireless"),
    ("Dock powered", "dock"),
)
_UPDATES_STOPPED = "(UPDATES STOPPED -- use 'reset' to restart)"


@dataclass
class BatteryState:
    level: int | None = None
    scale: int | None = None
    plugged: str | None = None  # none, ac, usb, wireless, dock; None when no source is printed
    status: int | None = None
    health: int | None = None
    present: bool | None = None
    voltage: int | None = None  # millivolts
    temperature: int | None = None  # tenths of a degree Celsius, as printed
    technology: str | None = None
    updates_stopped: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def status_name(self) -> str | None:
        if self.status is None:
            return None
        return STATUS_NAMES.get(self.status, f"status_{self.status}")

    @property
    def health_name(self) -> str | None:
        if self.health is None:
            return None
        return HEALTH_NAMES.get(self.health, f"health_{self.health}")

    @property
    def temperature_celsius(self) -> float | None:
        return None if self.temperature is None else self.temperature / 10

    @property
    def charging(self) -> bool:
        """Plugged into any source; what DeviceIdleController and JobScheduler look at."""
        return self.plugged not in (None, "none")

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "scale": self.scale,
            "plugged": self.plugged,
            "status": self.status,
            "status_name": self.status_name,
            "health": self.health,
            "health_name": self.health_name,
            "present": self.present,
            "voltage": self.voltage,
            "temperature": self.temperature,
            "temperature_celsius": self.temperature_celsius,
            "technology": self.technology,
            "updates_stopped": self.updates_stopped,
            "fields": dict(self.fields),
            "notes": list(self.notes),
        }


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def parse(text: str | bytes) -> BatteryState:
    body = strip_dump_header(normalize(text))
    if not body.strip():
        raise ParseError(COMMAND, "empty output")

    state = BatteryState()
    for line in body.split("\n"):
        stripped = line.strip()
        if not stripped or stripped == "Current Battery Service state:":
            continue
        if stripped == _UPDATES_STOPPED:
            state.updates_stopped = True
            continue
        label, sep, value = stripped.partition(":")
        if sep and label.strip():
            state.fields[label.strip()] = value.strip()
        else:
            state.notes.append(stripped)

    if "Current Battery Service state:" not in body and "level" not in state.fields:
        first = body.strip().split("\n", 1)[0]
        raise ParseError(COMMAND, "no battery service state found", 1, first)

    f = state.fields
    state.level = _int(f.get("level"))
    state.scale = _int(f.get("scale"))
    state.status = _int(f.get("status"))
    state.health = _int(f.get("health"))
    state.present = _bool(f.get("present"))
    state.voltage = _int(f.get("voltage"))
    state.temperature = _int(f.get("temperature"))
    state.technology = f.get("technology") or None

    printed = [(name, _bool(f[label])) for label, name in _PLUG_LINES if label in f]
    if printed:
        state.plugged = next((name for name, on in printed if on), "none")
    return state
