"""Parser for ``dumpsys power`` (PowerManagerService.dumpInternal).

The dump is a series of blocks, each opened by an unindented title (``Power Manager State:``,
``Settings and Configuration:``, ``Wake Locks: size=N``, ``Battery saver state machine:``...)
and followed by indented lines. Blocks this parser has no use for are kept verbatim in
``raw_sections``.

Screen state. Three signals are printed, depending on the release:

- ``mWakefulness=Awake|Asleep|Dreaming|Dozing`` (every release);
- ``Display Power: state=ON|OFF|DOZE|...`` (older releases; API 33 prints an object reference
  there instead);
- ``mHoldingDisplaySuspendBlocker=true|false``.

``screen_on`` comes from the wakefulness when it is printed: it is the one signal present on
every release, and it is what the platform calls "interactive" (Awake or Dreaming), which is
what DeviceIdleController reads as "screen on" from Android 8 on and what the SCREEN_ON/OFF
broadcasts follow. The display power state lags behind it during the screen-off animation and
the suspend blocker is an implementation detail, so they only serve as fallbacks, in that
order. ``screen_on_source`` names the signal used.

Battery saver. API 27 and older print ``mLowPowerModeEnabled=`` in the state block; API 28+
print the ``Battery saver state machine:`` block (``Enabled=`` is
BatterySaverController.isEnabled(), what apps see; newer releases add ``full=`` and
``adaptive=``) and the ``Battery Saver is currently: ON|OFF|ADAPTIVE`` line of the saving
stats. The first printed of the state machine, ``mLowPowerModeEnabled`` and the stats line, in
that order, decides ``battery_saver``; ``battery_saver_source`` names it. (Trimmed dumps may
lack the state machine, hence the stats line as last resort.)
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.text import normalize, strip_dump_header
from harness.errors import ParseError

COMMAND = "dumpsys power"

_INTERACTIVE = {"Awake": True, "Dreaming": True, "Asleep": False, "Dozing": False}

# A wake lock as WakeLock.toString prints it, e.g.
# PARTIAL_WAKE_LOCK   'tag' ON_AFTER_RELEASE ACQ=-6s304ms LONG (uid=10180 pid=3853 ws=...)
# Some vendor builds put "mLock:<hash> " in front.
_WAKE_LOCK = re.compile(
    r"^(?:mLock:\S+\s+)?(?P<level>\S+)\s+'(?P<tag>.*)'"
    r"(?P<flags>(?:\s+[A-Z][A-Z_]+)*?)"
    r"(?:\s+ACQ=(?P<acq>\S+))?"
    r"(?P<long>\s+LONG)?"
    r"\s+\(uid=(?P<uid>\d+)(?:\s+pid=(?P<pid>\d+))?(?:\s+ws=(?P<ws>.*))?\)\s*$"
)
# WorkSource{10180 com.google.android.gms}: one uid and its package.
_SIMPLE_WORK_SOURCE = re.compile(r"^WorkSource\{(\d+)\s+([\w.]+)\}$")
_SUSPEND_BLOCKER = re.compile(r"^(?P<name>\S+): ref count=(?P<count>\d+)")
_INT_LIST = re.compile(r"-?\d+")


@dataclass
class WakeLock:
    level: str  # PARTIAL_WAKE_LOCK, SCREEN_BRIGHT_WAKE_LOCK, ...
    tag: str
    uid: int | None = None
    pid: int | None = None
    package: str | None = None  # from a one-entry work source, when printed
    flags: list[str] = field(default_factory=list)
    acquired: str | None = None  # "-6s304ms": how long ago, as printed
    long: bool = False
    disabled: bool = False
    work_source: str | None = None
    raw: str = ""


@dataclass
class PowerState:
    wakefulness: str | None = None
    screen_on: bool | None = None
    screen_on_source: str | None = None
    display_state: str | None = None
    holding_display_suspend_blocker: bool | None = None
    battery_saver: bool | None = None
    battery_saver_source: str | None = None
    battery_saver_full: bool | None = None
    battery_saver_adaptive: bool | None = None
    plugged_in: bool | None = None  # mIsPowered
    plug_type: int | None = None
    battery_level: int | None = None
    stay_on: bool | None = None
    stay_on_while_plugged_in: int | None = None
    device_idle_mode: bool | None = None
    light_device_idle_mode: bool | None = None
    device_idle_whitelist: list[int] = field(default_factory=list)
    device_idle_temp_whitelist: list[int] = field(default_factory=list)
    wake_locks: list[WakeLock] = field(default_factory=list)
    suspend_blockers: dict[str, int] = field(default_factory=dict)
    state: dict[str, str] = field(default_factory=dict)  # "Power Manager State:" as printed
    settings: dict[str, str] = field(default_factory=dict)  # "Settings and Configuration:"
    battery_saver_state: dict[str, str] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)  # one-line blocks: "Sleep timeout"...
    raw_sections: dict[str, str] = field(default_factory=dict)

    @property
    def is_powered(self) -> bool | None:
        return self.plugged_in

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v == "true":
        return True
    if v == "false":
        return False
    return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


@dataclass
class _Section:
    title: str
    inline: str  # what follows the title's colon, e.g. "size=2" or "state=ON"
    lines: list[str]


# Bugreports of API 29+ split services by dump priority: "DUMP OF SERVICE CRITICAL power:".
_PRIORITY_HEADER = re.compile(r"^DUMP OF SERVICE (?:CRITICAL |HIGH |NORMAL )?[\w.\-]+:\s*$")


def _sections(body: str) -> list[_Section]:
    """Split on unindented lines; every indented line belongs to the last title."""
    sections: list[_Section] = []
    for line in body.split("\n"):
        if not line.strip() or _PRIORITY_HEADER.match(line):
            continue
        if line[0] not in " \t":
            title, _, inline = line.strip().partition(":")
            sections.append(_Section(title.strip(), inline.strip(), []))
        elif sections:
            sections[-1].lines.append(line)
        else:
            sections.append(_Section("", "", [line]))
    return sections


def _key_values(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep and key and " " not in key:
            out.setdefault(key, value.strip())
    return out


def _parse_wake_lock(line: str) -> WakeLock:
    text = line.strip()
    m = _WAKE_LOCK.match(text)
    if not m:
        level, _, rest = text.partition(" ")
        return WakeLock(level=level, tag=rest.strip(), raw=text)
    flags = m.group("flags").split()
    disabled = "DISABLED" in flags
    flags = [f for f in flags if f != "DISABLED"]
    ws = m.group("ws")
    package = None
    if ws:
        simple = _SIMPLE_WORK_SOURCE.match(ws.strip())
        if simple:
            package = simple.group(2)
    return WakeLock(
        level=m.group("level"),
        tag=m.group("tag"),
        uid=int(m.group("uid")),
        pid=_int(m.group("pid")),
        package=package,
        flags=flags,
        acquired=m.group("acq"),
        long=bool(m.group("long")),
        disabled=disabled,
        work_source=ws,
        raw=text,
    )


def _apply_state(power: PowerState, kv: dict[str, str]) -> None:
    power.wakefulness = kv.get("mWakefulness") or kv.get("mWakefulnessRaw") or None
    power.plugged_in = _bool(kv.get("mIsPowered"))
    power.plug_type = _int(kv.get("mPlugType"))
    power.battery_level = _int(kv.get("mBatteryLevel"))
    power.stay_on = _bool(kv.get("mStayOn"))
    power.device_idle_mode = _bool(kv.get("mDeviceIdleMode"))
    power.light_device_idle_mode = _bool(kv.get("mLightDeviceIdleMode"))
    power.holding_display_suspend_blocker = _bool(kv.get("mHoldingDisplaySuspendBlocker"))
    for key, target in (
        ("mDeviceIdleWhitelist", power.device_idle_whitelist),
        ("mDeviceIdleTempWhitelist", power.device_idle_temp_whitelist),
    ):
        if key in kv:
            target.extend(int(n) for n in _INT_LIST.findall(kv[key]))


_MARKERS = ("mWakefulness=", "POWER MANAGER", "Power Manager State", "Wake Locks:")


def parse(text: str | bytes) -> PowerState:
    body = strip_dump_header(normalize(text))
    if not body.strip():
        raise ParseError(COMMAND, "empty output")
    if not any(marker in body for marker in _MARKERS):
        first = body.strip().split("\n", 1)[0]
        raise ParseError(COMMAND, "no power manager state found", 1, first)

    power = PowerState()
    low_power_mode: bool | None = None
    saver_stats: str | None = None
    for sec in _sections(body):
        if sec.title == "Power Manager State":
            power.state = _key_values(sec.lines)
            _apply_state(power, power.state)
            low_power_mode = _bool(power.state.get("mLowPowerModeEnabled"))
        elif sec.title == "Settings and Configuration":
            power.settings = _key_values(sec.lines)
            stay_on_setting = power.settings.get("mStayOnWhilePluggedInSetting")
            power.stay_on_while_plugged_in = _int(stay_on_setting)
        elif sec.title == "Wake Locks":
            power.wake_locks = [_parse_wake_lock(ln) for ln in sec.lines if ln.strip()]
        elif sec.title == "Suspend Blockers":
            for ln in sec.lines:
                m = _SUSPEND_BLOCKER.match(ln.strip())
                if m:
                    power.suspend_blockers[m.group("name")] = int(m.group("count"))
        elif sec.title == "Display Power":
            # "state=ON" on older releases; newer ones print an object reference instead.
            m = re.match(r"state=(\w+)", sec.inline)
            power.display_state = m.group(1) if m else None
        elif sec.title == "Battery saver state machine":
            power.battery_saver_state = _key_values(sec.lines)
        elif sec.title == "Battery saving stats":
            for ln in sec.lines:
                label, _, value = ln.strip().partition(":")
                if label == "Battery Saver is currently":
                    saver_stats = value.strip().upper() or None
                    break
            _keep_raw(power, sec)
        elif sec.lines or not sec.inline:
            _keep_raw(power, sec)
        else:
            power.extras[sec.title] = sec.inline

    _decide_screen(power)
    _decide_battery_saver(power, low_power_mode, saver_stats)
    return power


def _keep_raw(power: PowerState, sec: _Section) -> None:
    text = "\n".join(sec.lines)
    prev = power.raw_sections.get(sec.title)
    power.raw_sections[sec.title] = text if prev is None else f"{prev}\n{text}"


def _decide_screen(power: PowerState) -> None:
    if power.wakefulness in _INTERACTIVE:
        power.screen_on = _INTERACTIVE[power.wakefulness]
        power.screen_on_source = "mWakefulness"
    elif power.display_state is not None:
        # DOZE and DOZE_SUSPEND light the panel for ambient display but are not "on".
        power.screen_on = power.display_state in ("ON", "VR")
        power.screen_on_source = "Display Power"
    elif power.holding_display_suspend_blocker is not None:
        power.screen_on = power.holding_display_suspend_blocker
        power.screen_on_source = "mHoldingDisplaySuspendBlocker"


def _decide_battery_saver(
    power: PowerState, low_power_mode: bool | None, saver_stats: str | None
) -> None:
    machine = power.battery_saver_state
    power.battery_saver_full = _bool(machine.get("full"))
    adaptive = machine.get("adaptive")
    # "adaptive=true (advertise=false)": only the first word is the flag.
    power.battery_saver_adaptive = _bool(adaptive.split()[0]) if adaptive else None
    enabled = _bool(machine.get("Enabled"))
    if enabled is not None:
        power.battery_saver = enabled
        power.battery_saver_source = "Battery saver state machine"
    elif low_power_mode is not None:
        power.battery_saver = low_power_mode
        power.battery_saver_source = "mLowPowerModeEnabled"
    elif saver_stats is not None:
        # ADAPTIVE does not count: the adaptive policy is advertised as off by default.
        power.battery_saver = saver_stats == "ON"
        power.battery_saver_source = "Battery Saver is currently"
        if saver_stats == "ADAPTIVE" and power.battery_saver_adaptive is None:
            power.battery_saver_adaptive = True
