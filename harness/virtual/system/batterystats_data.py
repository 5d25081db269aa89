"""What the virtual device's batterystats accumulates, and the time bases it accumulates in.

BatteryStatsImpl counts most things "since charged", that is only while the device runs on
battery: each timer lives in a *time base* that runs only under some condition, and a timer
accrues time (and counts starts) only while its time base runs (StopwatchTimer /
DualTimer.startRunningLocked and computeRunTimeLocked). The time bases modelled here:

=================== ===================================================================
``battery``         mOnBatteryTimeBase: on battery (no charger, status known)
``screen_off``      mOnBatteryScreenOffTimeBase: on battery with the screen off (or
                    ``pretend-screen-off``)
background          Uid.mOnBatteryBackgroundTimeBase / ...ScreenOffBackgroundTimeBase: the
                    same, while the uid is not the top app
=================== ===================================================================

Partial wakelocks are pooled (``mPartialTimers``): when several are held together each gets
its share of the time, and the unpooled duration is kept as the block's "total". Everything
here is plain data so that it survives reboots (``device.persistent``), as batterystats.bin
does on a phone; :class:`StatsClock` advances it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from harness.virtual.system.batterystats_history import HistoryBuffer

# JobParameters internal stop reasons (INTERNAL_STOP_REASON_*), by the names JobScheduler
# prints and the public STOP_REASON_* names that mean the same.
STOP_REASON_CODES = {
    "unknown": -1,
    "canceled": 0,
    "cancelled": 0,
    "constraints_not_satisfied": 1,
    "constraints": 1,
    "preempt": 2,
    "timeout": 3,
    "device_idle": 4,
    "device_thermal": 5,
    "restricted_bucket": 6,
    "uninstall": 7,
    "data_cleared": 8,
    "rtc_updated": 9,
    "successful_finish": 10,
    "finished": 10,
    "success": 10,
    "user_ui_stop": 11,
    "user": 11,
    "anr": 12,
}


@dataclass
class Timer:
    """A StopwatchTimer (or DualTimer with its background sub-timer)."""

    total_ms: float = 0.0
    count: int = 0
    bg_ms: float = 0.0
    bg_count: int = 0
    actual_ms: float = 0.0  # unpooled (DurationTimer total) for partial wakelocks
    max_ms: float = 0.0
    current_ms: float = 0.0
    nesting: int = 0


@dataclass
class ServiceStats:
    """Uid.Pkg.Serv: time the service was launched (bound or started) on battery."""

    start_time_ms: float = 0.0
    starts: int = 0
    launches: int = 0
    launched: int = 0  # nesting: jobs running in this service at once


@dataclass
class ProcessStats:
    user_ms: float = 0.0
    system_ms: float = 0.0
    foreground_ms: float = 0.0
    starts: int = 0
    anrs: int = 0
    crashes: int = 0


@dataclass
class UidStats:
    uid: int
    # wakelock name -> kind ("f", "p", "w") -> timer; the "bp" block is p's background part
    wakelocks: dict[str, dict[str, Timer]] = field(default_factory=dict)
    aggregated_partial: Timer = field(default_factory=Timer)
    jobs: dict[str, Timer] = field(default_factory=dict)
    job_stops: dict[str, dict[int, int]] = field(default_factory=dict)
    # package -> alarm statsTag -> wakeups (Uid.Pkg.mWakeupAlarms)
    wakeup_alarms: dict[str, dict[str, int]] = field(default_factory=dict)
    services: dict[str, dict[str, ServiceStats]] = field(default_factory=dict)
    processes: dict[str, ProcessStats] = field(default_factory=dict)
    foreground: Timer = field(default_factory=Timer)
    # Uid process-state time: top / background / cached (mProcessStateTimer)
    state_ms: dict[str, float] = field(default_factory=dict)
    cpu_user_ms: float = 0.0
    cpu_system_ms: float = 0.0

    def wakelock(self, name: str, kind: str) -> Timer:
        return self.wakelocks.setdefault(name, {}).setdefault(kind, Timer())

    def job(self, name: str) -> Timer:
        return self.jobs.setdefault(name, Timer())

    def service(self, package: str, name: str) -> ServiceStats:
        return self.services.setdefault(package, {}).setdefault(name, ServiceStats())

    def process(self, name: str) -> ProcessStats:
        return self.processes.setdefault(name, ProcessStats())

    @property
    def has_stats(self) -> bool:
        return bool(
            self.wakelocks or self.jobs or self.wakeup_alarms or self.services
            or self.processes or self.foreground.count or self.cpu_user_ms or self.state_ms
        )


@dataclass
class StepTracker:
    """LevelStepTracker: one entry per 1 % step, (duration ms, level, init mode, mod mode)."""

    steps: list[tuple[int, int, int, int]] = field(default_factory=list)
    last_step_ms: int = -1  # -1: the first step after (un)plugging has no known duration
    last_level: int = -1

    def init(self) -> None:
        self.steps.clear()
        self.last_step_ms = -1
        self.last_level = -1


# STEP_LEVEL_MODE_* bits of the discharge/charge step trackers.
STEP_SCREEN_OFF = 0  # Display.STATE_OFF - 1
STEP_SCREEN_ON = 1  # Display.STATE_ON - 1
STEP_SCREEN_MASK = 0x03
STEP_POWER_SAVE = 0x04
STEP_DEVICE_IDLE = 0x08


@dataclass
class StatsData:
    """Everything ``dumpsys batterystats`` reports, since the last reset."""

    start_count: int = 0
    start_clock_ms: int = 0
    total_realtime_ms: float = 0.0
    total_uptime_ms: float = 0.0
    battery_realtime_ms: float = 0.0
    battery_uptime_ms: float = 0.0
    screen_off_realtime_ms: float = 0.0
    screen_off_uptime_ms: float = 0.0
    screen_on_ms: float = 0.0
    interactive_ms: float = 0.0
    power_save_ms: float = 0.0
    deep_idle_ms: float = 0.0
    deep_idle_count: int = 0
    deep_idling_ms: float = 0.0
    deep_idling_count: int = 0
    light_idle_ms: float = 0.0
    light_idle_count: int = 0
    light_idling_ms: float = 0.0
    light_idling_count: int = 0
    longest_deep_idle_ms: float = 0.0
    longest_light_idle_ms: float = 0.0
    # Discharge since charged, in % points and µAh (coulomb counter).
    low_discharge_pct: int = 0
    high_discharge_pct: int = 0
    discharge_screen_on_pct: int = 0
    discharge_screen_off_pct: int = 0
    discharge_uah: int = 0
    discharge_screen_off_uah: int = 0
    discharge_light_doze_uah: int = 0
    discharge_deep_doze_uah: int = 0
    discharge_steps: StepTracker = field(default_factory=StepTracker)
    charge_steps: StepTracker = field(default_factory=StepTracker)
    uids: dict[int, UidStats] = field(default_factory=dict)
    history: HistoryBuffer = field(default_factory=HistoryBuffer)

    def uid(self, uid: int) -> UidStats:
        stats = self.uids.get(uid)
        if stats is None:
            stats = self.uids[uid] = UidStats(uid)
        return stats

    def snapshot(self) -> StatsData:
        return copy.deepcopy(self)


@dataclass
class PersistentStats:
    """What outlives a boot: the stats (batterystats.bin) and the last completed stats that
    ``--checkin`` reports once (batterystats-checkin.bin, mCheckinFile)."""

    data: StatsData = field(default_factory=StatsData)
    checkin_file: StatsData | None = None
    # Level when the charger was last connected (mDischargeCurrentLevel while plugged), read by
    # the auto-reset rule on the next unplug.
    discharge_current_level: int = 100
    discharge_unplug_level: int = 0
    discharge_unplug_uah: int = 0
