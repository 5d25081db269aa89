"""``dumpsys batterystats -c`` and the text statistics of the virtual device.

The aggregate lines follow ``BatteryStats.dumpCheckinLocked`` for the checkin version of the
modelled API level (the layouts and section order match real captures: checkin 32 on Android 9,
35 on Android 11-13, 36 on Android 14+). Sections for hardware the virtual device does not have
(radios, Wi-Fi, Bluetooth, sensors, kernel wakelocks) print what an idle radio prints: zeros.

Power estimates (``pws``, ``pwi``) are computed the way BatteryUsageStatsProvider's calculators
do, from the time the device spent in each state and this device's power profile
(:data:`POWER_PROFILE_MA`, the virtual ``power_profile.xml``): ScreenPowerCalculator (screen on
time), CpuPowerCalculator (CPU time per uid), WakelockPowerCalculator (partial wakelock time
per uid, at the CPU-idle current) and IdlePowerCalculator (the rest of the time on battery).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from harness.virtual.system.batterystats_data import StatsData, StepTracker, Timer, UidStats
from harness.virtual.system.batterystats_history import checkin_lines, format_uid

# The virtual device's power_profile.xml, in mA.
POWER_PROFILE_MA = {
    "screen.on": 150.0,  # screen on at the virtual display's (fixed, medium) brightness
    "cpu.active": 100.0,  # one core busy
    "cpu.idle": 10.0,  # awake, CPU idle: what a held partial wakelock costs
    "cpu.suspend": 4.0,  # asleep
}
CAPACITY_MAH = 4000  # the bench battery (battery.py CAPACITY_UAH)
MS_PER_HOUR = 3_600_000.0

# BatteryConsumer.POWER_COMPONENT_* in order, with CHECKIN_POWER_COMPONENT_LABELS ("???" where
# the label is null) and whether the device-wide row is hidden.
POWER_COMPONENTS = (
    ("scrn", 1), ("cpu", 0), ("blue", 0), ("camera", 0), ("audio", 0), ("video", 0),
    ("flashlight", 0), ("???", 0), ("cell", 1), ("sensors", 0), ("gnss", 0), ("wifi", 0),
    ("???", 0), ("memory", 0), ("phone", 0), ("ambi", 1), ("idle", 1), ("???", 0),
)
_WAKELOCK_COMPONENT = 12

# JobParameters.JOB_STOP_REASON_CODES by API level (the jbc columns); before Android 12 jbc
# counted JobParameters.REASON_* 0..4.
_STOP_REASONS_OLD = (0, 1, 2, 3, 4)
_STOP_REASONS_S = (-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
_STOP_REASONS_U = (*_STOP_REASONS_S, 11, 12)
_STOP_REASONS_V = (*_STOP_REASONS_U, 13, 100)

# Uid.PROCESS_STATE_NAMES order of the st line (changed in checkin 29).
_STATES_V29 = ("top", "fg_service", "foreground", "background", "top_sleeping", "heavy_weight",
               "cached")
_STATES_V17 = ("top", "fg_service", "top_sleeping", "foreground", "background", "cached")


def checkin_version(api_level: int) -> int:
    """BatteryStats.CHECKIN_VERSION of the release (matches vers lines of real dumps)."""
    if api_level >= 34:
        return 36
    if api_level >= 30:
        return 35
    if api_level == 29:
        return 34
    if api_level == 28:
        return 32
    if api_level == 27:
        return 27
    return 25


# BatteryStatsImpl.VERSION (the parcel version), as real dumps of these releases print it.
_PARCEL_VERSIONS = {36: 214, 35: 208, 34: 186, 32: 177, 27: 167, 25: 160}


def format_charge(value: float) -> str:
    """BatteryStats.formatCharge: more decimals for smaller values, English locale."""
    if value == 0:
        return "0"
    for limit, digits in ((0.00001, 8), (0.0001, 7), (0.001, 6), (0.01, 5), (0.1, 4), (1, 3),
                          (10, 2), (100, 1)):
        if value < limit:
            return f"{value:.{digits}f}"
    return f"{value:.0f}"


def _ms(value: float) -> int:
    # Times are kept in ms; BatteryStats rounds µs to ms as (us + 500) / 1000.
    return int(value + 0.5)


def _mah(ms: float, current_ma: float) -> float:
    return ms * current_ma / MS_PER_HOUR


@dataclass
class DumpContext:
    """What the printer needs besides the stats."""

    api_level: int
    build_id: str
    packages_of: Callable[[int], list[str]]  # uid -> package names
    on_battery: bool
    level: int
    low_high_discharge: tuple[int, int]


class CheckinPrinter:
    def __init__(self, data: StatsData, ctx: DumpContext) -> None:
        self.data = data
        self.ctx = ctx
        self.version = checkin_version(ctx.api_level)
        self.lines: list[str] = []

    def line(self, uid: int, category: str, key: str, *values: object) -> None:
        self.lines.append(",".join(["9", str(uid), category, key, *map(str, values)]))

    # ------------------------------------------------------------------ whole dump
    def dump(self, include_history: bool, only_uid: int | None = None) -> list[str]:
        ctx = self.ctx
        self.line(0, "i", "vers", self.version, _PARCEL_VERSIONS.get(self.version, 214),
                  ctx.build_id, ctx.build_id)
        if include_history:
            self.lines += checkin_lines(self.data.history)
        uids = [u for u in self._uids() if only_uid is None or u.uid == only_uid]
        for u in uids:
            for package in sorted(ctx.packages_of(u.uid)):
                self.line(0, "i", "uid", u.uid, package)
        self._steps("dsd", self.data.discharge_steps)
        remaining = self._time_remaining(self.data.discharge_steps, ctx.level, discharge=True)
        if remaining is not None:
            self.line(0, "i", "dtr", remaining)
        self._steps("csd", self.data.charge_steps)
        remaining = self._time_remaining(self.data.charge_steps, 100 - ctx.level, discharge=False)
        if remaining is not None:
            self.line(0, "i", "ctr", remaining)
        self._system(only_uid)
        for u in uids:
            self._uid(u)
        return self.lines

    def _uids(self) -> list[UidStats]:
        return [self.data.uids[k] for k in sorted(self.data.uids) if self.data.uids[k].has_stats]

    # ------------------------------------------------------------------ steps
    def _steps(self, key: str, tracker: StepTracker) -> None:
        # dumpDurationSteps(checkin): most recent first; a mode that changed during the step
        # prints as empty.
        for duration, level, init, mod in reversed(tracker.steps):
            screen = "" if mod & 0x03 else ("s+" if init & 0x03 else "s-")
            save = "" if mod & 0x04 else ("p+" if init & 0x04 else "p-")
            idle = "" if mod & 0x08 else ("i+" if init & 0x08 else "i-")
            self.line(0, "i", key, duration, level, screen, save, idle)

    def _time_remaining(self, tracker: StepTracker, levels: int, discharge: bool) -> int | None:
        # computeBatteryTimeRemaining / computeChargeTimeRemaining, in µs.
        if discharge != self.ctx.on_battery or not tracker.steps:
            return None
        per_level = sum(s[0] for s in tracker.steps) // len(tracker.steps)
        if per_level <= 0:
            return None
        return per_level * levels * 1000

    # ------------------------------------------------------------------ system-wide
    def _system(self, only_uid: int | None) -> None:
        d, v = self.data, self.version
        bt = [d.start_count, _ms(d.battery_realtime_ms), _ms(d.battery_uptime_ms),
              _ms(d.total_realtime_ms), _ms(d.total_uptime_ms), d.start_clock_ms,
              _ms(d.screen_off_realtime_ms), _ms(d.screen_off_uptime_ms), CAPACITY_MAH,
              CAPACITY_MAH * 1000, CAPACITY_MAH * 1000]
        if v >= 27:
            bt.append(0)  # screen doze: the virtual display has no doze state
        self.line(0, "l", "bt", *bt)
        self.line(0, "l", "gn", *[0] * 10)
        self.line(0, "l", "gwfl", 0, 0, 0, 0, 0)
        partial = sum(t.total_ms for u in d.uids.values() for w in u.wakelocks.values()
                      for k, t in w.items() if k == "p")
        full = sum(t.total_ms for u in d.uids.values() for w in u.wakelocks.values()
                   for k, t in w.items() if k == "f")
        self.line(0, "l", "m", _ms(d.screen_on_ms), 0, _ms(full), _ms(partial), 0, 0,
                  _ms(d.interactive_ms), _ms(d.power_save_ms), 0, _ms(d.deep_idle_ms),
                  d.deep_idle_count, _ms(d.deep_idling_ms), d.deep_idling_count, 0, 0,
                  _ms(d.light_idle_ms), d.light_idle_count, _ms(d.light_idling_ms),
                  d.light_idling_count, _ms(d.longest_light_idle_ms),
                  _ms(d.longest_deep_idle_ms))
        # All screen time is at the one brightness the virtual display has (medium).
        self.line(0, "l", "br", 0, 0, _ms(d.screen_on_ms), 0, 0)
        self.line(0, "l", "sgt", *[0] * 5)
        self.line(0, "l", "sst", 0)
        self.line(0, "l", "sgc", *[0] * 5)
        bins = 23 if v >= 35 else 21 if v >= 28 else 17
        self.line(0, "l", "dct", *[0] * bins)
        self.line(0, "l", "dcc", *[0] * bins)
        self.line(0, "l", "wst", *[0] * 8)
        self.line(0, "l", "wsc", *[0] * 8)
        self.line(0, "l", "wsst", *[0] * 13)
        self.line(0, "l", "wssc", *[0] * 13)
        self.line(0, "l", "wsgt", *[0] * 5)
        self.line(0, "l", "wsgc", *[0] * 5)
        if v >= 28:
            self.line(0, "l", "wmct", 0, 0)
        low, high = self.ctx.low_high_discharge
        dc: list[object] = [low, high, d.discharge_screen_on_pct, d.discharge_screen_off_pct]
        if v >= 27:
            dc += [d.discharge_uah // 1000, d.discharge_screen_off_uah // 1000, 0, 0]
        if v >= 28:
            dc += [d.discharge_light_doze_uah // 1000, d.discharge_deep_doze_uah // 1000]
        self.line(0, "l", "dc", *dc)
        self._power(low, high, only_uid)

    # ------------------------------------------------------------------ power estimates
    def uid_power(self, u: UidStats) -> tuple[float, float]:
        """(cpu mAh, wakelock mAh) of one uid."""
        cpu = _mah(u.cpu_user_ms + u.cpu_system_ms, POWER_PROFILE_MA["cpu.active"])
        wake_ms = sum(t.total_ms for w in u.wakelocks.values() for k, t in w.items() if k == "p")
        return cpu, _mah(wake_ms, POWER_PROFILE_MA["cpu.idle"])

    def _power(self, low: int, high: int, only_uid: int | None) -> None:
        d = self.data
        uids = self._uids()
        per_uid = {u.uid: self.uid_power(u) for u in uids}
        cpu_total = sum(c for c, _ in per_uid.values())
        wake_total = sum(w for _, w in per_uid.values())
        screen = _mah(d.screen_on_ms, POWER_PROFILE_MA["screen.on"])
        idle = _mah(d.battery_realtime_ms, POWER_PROFILE_MA["cpu.suspend"]) + _mah(
            d.battery_uptime_ms, POWER_PROFILE_MA["cpu.idle"]
        )
        total = screen + idle + cpu_total + wake_total
        self.line(0, "l", "pws", format_charge(CAPACITY_MAH), format_charge(total),
                  format_charge(low * CAPACITY_MAH / 100), format_charge(high * CAPACITY_MAH / 100))
        device = {0: screen, 1: cpu_total, _WAKELOCK_COMPONENT: wake_total, 16: idle}
        for i, (label, hidden) in enumerate(POWER_COMPONENTS):
            self.line(0, "l", "pwi", label, format_charge(device.get(i, 0.0)), hidden, 0, 0)
        for u in uids:
            if only_uid is not None and u.uid != only_uid:
                continue
            cpu, wake = per_uid[u.uid]
            system = 1 if u.uid % 100_000 < 10_000 else 0
            self.line(u.uid, "l", "pwi", "uid", format_charge(cpu + wake), system, 0,
                      format_charge(cpu + wake))

    # ------------------------------------------------------------------ per uid
    def _uid(self, u: UidStats) -> None:
        uid = u.uid
        partial = [w["p"] for w in u.wakelocks.values() if "p" in w]
        if partial:
            self.line(uid, "l", "awl", _ms(u.aggregated_partial.total_ms),
                      _ms(u.aggregated_partial.bg_ms))
        for name in sorted(u.wakelocks):
            self._wakelock(uid, name, u.wakelocks[name])
        for name in sorted(u.jobs):
            t = u.jobs[name]
            if _ms(t.total_ms) != 0:
                self.line(uid, "l", "jb", f'"{name}"', _ms(t.total_ms), t.count, int(t.bg_ms),
                          t.bg_count)
        codes = self._stop_reason_codes()
        for name in sorted(u.job_stops):
            counts = u.job_stops[name]
            self.line(uid, "l", "jbc", f'"{name}"', *[counts.get(c, 0) for c in codes])
        if _ms(u.foreground.total_ms):
            self.line(uid, "l", "fg", _ms(u.foreground.total_ms), u.foreground.count)
        states = _STATES_V29 if self.version >= 29 else _STATES_V17
        times = [_ms(u.state_ms.get(s, 0.0)) for s in states]
        if any(times):
            self.line(uid, "l", "st", *times)
        if u.cpu_user_ms > 0 or u.cpu_system_ms > 0:
            self.line(uid, "l", "cpu", int(u.cpu_user_ms), int(u.cpu_system_ms), 0)
        for name in sorted(u.processes):
            p = u.processes[name]
            values = (int(p.user_ms), int(p.system_ms), int(p.foreground_ms), p.starts, p.anrs,
                      p.crashes)
            if any(values):
                self.line(uid, "l", "pr", f'"{name}"', *values)
        for package in sorted(set(u.wakeup_alarms) | set(u.services)):
            alarms = u.wakeup_alarms.get(package, {})
            wakeups = sum(alarms.values())
            for name in sorted(alarms):
                self.line(uid, "l", "wua", name.replace(",", "_"), alarms[name])
            for service, s in sorted(u.services.get(package, {}).items()):
                if s.start_time_ms or s.starts or s.launches:
                    self.line(uid, "l", "apk", wakeups, package, service, int(s.start_time_ms),
                              s.starts, s.launches)

    def _stop_reason_codes(self) -> tuple[int, ...]:
        api = self.ctx.api_level
        if api >= 35:
            return _STOP_REASONS_V
        if api >= 34:
            return _STOP_REASONS_U
        if api >= 31:
            return _STOP_REASONS_S
        return _STOP_REASONS_OLD

    def _wakelock(self, uid: int, name: str, kinds: dict[str, Timer]) -> None:
        # printWakeLockCheckin per block: time,kind,count,current,max,total. Blocks of a timer
        # the wakelock never had print zeros; full and window timers do not track durations.
        def block(kind: str, t: Timer | None, pooled: bool) -> str:
            if t is None:
                return f"0,{kind},0,0,0,0"
            if not pooled:
                return f"{_ms(t.total_ms)},{kind},{t.count},-1,-1,-1"
            return (f"{_ms(t.total_ms)},{kind},{t.count},{_ms(t.current_ms if t.nesting else 0)},"
                    f"{_ms(t.max_ms)},{_ms(t.actual_ms)}")

        p = kinds.get("p")
        background = None
        if p is not None:
            background = Timer(total_ms=p.bg_ms, count=p.bg_count, actual_ms=p.bg_ms,
                               max_ms=p.max_ms, nesting=0)
        text = ",".join((block("f", kinds.get("f"), False), block("p", p, True),
                         block("bp", background, True), block("w", kinds.get("w"), False)))
        safe = name.replace(",", "_").replace("\n", "_").replace("\r", "_")
        self.lines.append(f"9,{uid},l,wl,{safe},{text}")


# -- text form ---------------------------------------------------------------------------------


def format_time_ms(ms: float) -> str:
    """BatteryStats.formatTimeMs: ``1d 2h 3m 4s 5ms``."""
    ms = int(ms)
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms >= size or parts:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    parts.append(f"{ms}ms")
    return " ".join(parts)


def text_statistics(printer: CheckinPrinter, only_uid: int | None) -> list[str]:
    """The "Statistics since last charge" part of the text dump (dumpLocked), abridged to what
    the virtual device tracks."""
    d = printer.data
    ctx = printer.ctx
    low, high = ctx.low_high_discharge

    def pct(part: float) -> str:
        whole = d.battery_realtime_ms or 1.0
        return f"({100.0 * part / whole:.1f}%)"

    out = [
        "Statistics since last charge:",
        f"  System starts: {d.start_count}, currently on battery: "
        f"{'true' if ctx.on_battery else 'false'}",
        f"  Estimated battery capacity: {CAPACITY_MAH} mAh",
        f"  Time on battery: {format_time_ms(d.battery_realtime_ms)} realtime, "
        f"{format_time_ms(d.battery_uptime_ms)} uptime",
        f"  Time on battery screen off: {format_time_ms(d.screen_off_realtime_ms)} realtime, "
        f"{format_time_ms(d.screen_off_uptime_ms)} uptime",
        f"  Total run time: {format_time_ms(d.total_realtime_ms)} realtime, "
        f"{format_time_ms(d.total_uptime_ms)} uptime",
        f"  Discharge: {d.discharge_uah / 1000:.0f} mAh",
        f"  Screen off discharge: {d.discharge_screen_off_uah / 1000:.0f} mAh",
        f"  Start clock time: {d.start_clock_ms}",
        f"  Screen on: {format_time_ms(d.screen_on_ms)} {pct(d.screen_on_ms)}",
        f"  Interactive: {format_time_ms(d.interactive_ms)} {pct(d.interactive_ms)}",
        f"  Power save mode enabled: {format_time_ms(d.power_save_ms)} {pct(d.power_save_ms)}",
        f"  Device light idling: {format_time_ms(d.light_idling_ms)} "
        f"{pct(d.light_idling_ms)} {d.light_idling_count}x",
        f"  Idle mode light time: {format_time_ms(d.light_idle_ms)} {pct(d.light_idle_ms)} "
        f"{d.light_idle_count}x -- longest {format_time_ms(d.longest_light_idle_ms)}",
        f"  Device full idling: {format_time_ms(d.deep_idling_ms)} {pct(d.deep_idling_ms)} "
        f"{d.deep_idling_count}x",
        f"  Idle mode full time: {format_time_ms(d.deep_idle_ms)} {pct(d.deep_idle_ms)} "
        f"{d.deep_idle_count}x -- longest {format_time_ms(d.longest_deep_idle_ms)}",
        f"  Discharge amount since charged: low {low}%, high {high}%",
        "",
        "  Estimated power use (mAh):",
    ]
    for u in printer._uids():
        if only_uid is not None and u.uid != only_uid:
            continue
        cpu, wake = printer.uid_power(u)
        out.append(f"    UID {format_uid(u.uid)}: {format_charge(cpu + wake)} "
                   f"( cpu={format_charge(cpu)} wakelock={format_charge(wake)} )")
    out.append("")
    for u in printer._uids():
        if only_uid is not None and u.uid != only_uid:
            continue
        out += _uid_text(u)
    return out


def _uid_text(u: UidStats) -> Iterable[str]:
    yield f"  {format_uid(u.uid)}:"
    for name, kinds in sorted(u.wakelocks.items()):
        p = kinds.get("p")
        if p is not None and (p.count or p.total_ms):
            yield (f"    Wake lock {name}: {format_time_ms(p.total_ms)} partial "
                   f"({p.count} times) max={_ms(p.max_ms)} actual={_ms(p.actual_ms)}")
    for name, t in sorted(u.jobs.items()):
        yield f"    Job {name}: {format_time_ms(t.total_ms)} realtime ({t.count} times)"
    for package, alarms in sorted(u.wakeup_alarms.items()):
        for name, count in sorted(alarms.items()):
            yield f"    Apk {package}: Wakeup alarm {name}: {count} times"
    for name, p in sorted(u.processes.items()):
        yield f"    Proc {name}: {p.starts} starts"
