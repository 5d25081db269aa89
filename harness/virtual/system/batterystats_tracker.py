"""BatteryStatsImpl for the virtual device: turns what happens on the device into history
records and "since charged" aggregates.

The service (:mod:`batterystats`) calls one ``note_*`` method per system event, as the platform
services call ``IBatteryStats.note*``. Each method first brings every running timer up to now
(:meth:`StatsTracker.advance`), then changes the state, then writes a history record when
something the history shows changed (``BatteryStatsHistory.writeHistoryItem``).

Rules, each from BatteryStatsImpl unless said otherwise:

- the CPU is "running" (``+r``) while any wakelock is held or a job executes; the screen holds
  a wakelock of its own (``noteScreenStateLocked`` starts the "screen" wakelock of uid -1);
  a job's own wakelock (JobServiceContext's ``*job*/...``) arrives like any other, from the
  power manager's ``wakelock_acquired``;
- ``+w`` is the first wakelock taken (``noteStartWakeLocked`` with nesting 0), ``-w`` the last
  one released; per-wakelock events (``Ewl``), alarms (``Eal``) and processes (``Epr``) are
  history events only with ``--enable full-history`` (``mRecordAllHistory``); jobs (``Ejb``)
  and the top app (``Etp``) always are;
- after a reset the events still in progress are stated again without a sign
  (BatteryStatsHistory re-writes ``mActiveEvents``);
- unplugging after a full charge (status full, level >= 90, or a charge from below 20 % to
  80 %+) resets the stats unless ``no-auto-reset`` is on, keeping the old ones for one
  ``--checkin`` when at least 20 % were used (setOnBatteryLocked);
- Doze: "idle mode" is the time in deep (light) IDLE; "idling" runs from the first IDLE until
  the device goes active, maintenance windows included (noteDeviceIdleModeLocked).

The model's own assumptions (the virtual device has no kernel to read CPU times from): an app
process start costs :data:`PROCESS_START_CPU_MS` of CPU, and a running job keeps one core busy
:data:`JOB_CPU_SHARE` of the time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.virtual.system.batterystats_data import (
    STEP_DEVICE_IDLE,
    STEP_POWER_SAVE,
    STEP_SCREEN_MASK,
    STEP_SCREEN_OFF,
    STEP_SCREEN_ON,
    STOP_REASON_CODES,
    PersistentStats,
    StatsData,
    StepTracker,
)
from harness.virtual.system.batterystats_history import (
    CURRENT_TIME,
    IDLE_DEEP,
    IDLE_LIGHT,
    IDLE_OFF,
    RESET,
    SHUTDOWN,
    START,
    UPDATE,
    Event,
    Record,
    Tag,
)

# BatteryManager.BATTERY_STATUS_UNKNOWN / _FULL and BATTERY_PLUGGED_* (BatteryService).
STATUS_UNKNOWN = 1
STATUS_FULL = 5
PLUG_TYPES = {"none": 0, "ac": 1, "usb": 2, "wireless": 4, "dock": 8}

PROCESS_START_CPU_MS = 40.0
JOB_CPU_SHARE = 0.10
CPU_USER_SHARE = 0.7
SCREEN_WAKELOCK_UID = -1
SCREEN_WAKELOCK_TAG = "screen"
MAX_HISTORY_RECORDS = 200_000


@dataclass
class BatteryReading:
    """The battery as BatteryService last reported it (what setBatteryState receives)."""

    plugged: str = "usb"
    level: int = 80
    status: int = 2
    health: int = 2
    temp: int = 280
    volt: int = 4060
    charge_uah: int = 3_200_000
    charging: bool = True  # BatteryStatsImpl.mCharging (the "ch" bit)

    @property
    def plug_type(self) -> int:
        return PLUG_TYPES.get(self.plugged, 0)

    @property
    def on_battery(self) -> bool:
        # BatteryStatsImpl.isOnBattery(plugType, status).
        return self.plug_type == 0 and self.status != STATUS_UNKNOWN


@dataclass
class _RunningJob:
    package: str
    nesting: int = 1  # instances running under the same battery name
    event_active: bool = True  # the +Ejb not yet closed (HistoryEventTracker)


@dataclass
class _Held:
    uid: int
    tag: str
    kind: str  # "p" partial, "f" full, "w" window


class StatsTracker:
    """Live device state of one boot, feeding :class:`PersistentStats`."""

    def __init__(
        self,
        store: PersistentStats,
        now_ms: Callable[[], int],
        wall_ms: Callable[[], int],
        api_level: int,
        battery: BatteryReading,
    ) -> None:
        self.store = store
        self._now = now_ms
        self._wall = wall_ms
        self.api_level = api_level
        self.battery = battery
        self.record_all_history = False
        self.no_auto_reset = False
        self.pretend_screen_off = False
        self.system_ready = False
        self.screen_on = True
        self.power_save = False
        self.idle_mode = IDLE_OFF
        self.deep_idling = False
        self.light_idling = False
        self._idle_mode_since = 0
        self.held: list[_Held] = []
        self.running_jobs: dict[tuple[int, str], _RunningJob] = {}
        self.top: tuple[str, int] | None = None
        self.processes: dict[str, int] = {}  # package -> uid of live app processes
        self._last_ms = now_ms()
        self._cur_step_mode = STEP_SCREEN_ON
        self._init_step_mode = self._cur_step_mode
        self._mod_step_mode = 0
        history = self.data.history
        if history.records:
            # A new boot: history time carries on from where the last boot stopped.
            history.clock_base_ms = history.last_time_ms - now_ms()

    # ------------------------------------------------------------------ accessors
    @property
    def data(self) -> StatsData:
        return self.store.data

    def history_now(self) -> int:
        return self._now() + self.data.history.clock_base_ms

    @property
    def screen_off_base(self) -> bool:
        """mOnBatteryScreenOffTimeBase is running."""
        return self.battery.on_battery and (not self.screen_on or self.pretend_screen_off)

    def _is_top(self, uid: int) -> bool:
        return self.top is not None and self.top[1] == uid

    @property
    def running(self) -> bool:
        return bool(self.held) or bool(self.running_jobs) or self.screen_on

    # ------------------------------------------------------------------ time
    def advance(self) -> None:
        """Bring every running timer up to now (computeRunTimeLocked of each time base)."""
        now = self._now()
        dt = float(now - self._last_ms)
        self._last_ms = now
        if dt <= 0:
            return
        d = self.data
        d.total_realtime_ms += dt
        if self.running:
            d.total_uptime_ms += dt
        if not self.battery.on_battery:
            return
        d.battery_realtime_ms += dt
        if self.running:
            d.battery_uptime_ms += dt
        if self.screen_on:
            d.screen_on_ms += dt
            d.interactive_ms += dt
        if self.screen_off_base:
            d.screen_off_realtime_ms += dt
            if self.running:
                d.screen_off_uptime_ms += dt
        if self.power_save:
            d.power_save_ms += dt
        if self.idle_mode == IDLE_DEEP:
            d.deep_idle_ms += dt
        elif self.idle_mode == IDLE_LIGHT:
            d.light_idle_ms += dt
        if self.deep_idling:
            d.deep_idling_ms += dt
        if self.light_idling:
            d.light_idling_ms += dt
        self._advance_uids(dt)

    def _advance_uids(self, dt: float) -> None:
        d = self.data
        busy: dict[int, int] = {}
        for (uid, name), run in self.running_jobs.items():
            timer = d.uid(uid).job(name)
            timer.total_ms += dt
            if not self._is_top(uid):
                timer.bg_ms += dt
            service = d.uid(uid).service(run.package, _service_class(name, run.package))
            if service.launched:
                service.start_time_ms += dt
            busy[uid] = busy.get(uid, 0) + run.nesting
        for uid, jobs in busy.items():
            stats = d.uid(uid)
            cpu = dt * JOB_CPU_SHARE * jobs
            stats.cpu_user_ms += cpu * CPU_USER_SHARE
            stats.cpu_system_ms += cpu * (1 - CPU_USER_SHARE)
        if self.top is not None:
            top = d.uid(self.top[1])
            top.foreground.total_ms += dt
            top.state_ms["top"] = top.state_ms.get("top", 0.0) + dt
        for uid in set(self.processes.values()):
            if self._is_top(uid):
                continue
            state = "background" if uid in busy else "cached"
            stats = d.uid(uid)
            stats.state_ms[state] = stats.state_ms.get(state, 0.0) + dt
        for h in self.held:
            if h.kind in ("f", "w"):
                d.uid(h.uid).wakelock(h.tag, h.kind).total_ms += dt
        if not self.screen_off_base:
            return
        partial = [h for h in self.held if h.kind == "p" and h.uid != SCREEN_WAKELOCK_UID]
        holders = {h.uid for h in partial}
        for h in partial:
            timer = d.uid(h.uid).wakelock(h.tag, "p")
            # The partial wakelock pool shares the time among the holders (mPartialTimers).
            timer.total_ms += dt / len(partial)
            timer.actual_ms += dt
            timer.current_ms += dt
            timer.max_ms = max(timer.max_ms, timer.current_ms)
            if not self._is_top(h.uid):
                # The background sub-timer is not pooled.
                timer.bg_ms += dt
        for uid in holders:
            awl = d.uid(uid).aggregated_partial
            awl.total_ms += dt
            if not self._is_top(uid):
                awl.bg_ms += dt

    # ------------------------------------------------------------------ history
    def _record(
        self,
        event: Event | None = None,
        wakelock: Tag | None = None,
        cmd: str = UPDATE,
        time_ms: int | None = None,
    ) -> None:
        b = self.battery
        flags = set()
        if self.running:
            flags.add("r")
        if self.held:
            flags.add("w")
        if self.screen_on:
            flags.add("S")
        if not b.on_battery and b.plug_type:
            flags.add("BP")
        if self.power_save:
            flags.add("ps")
        if b.charging:
            flags.add("ch")
        history = self.data.history
        history.records.append(
            Record(
                time_ms=self.history_now() if time_ms is None else time_ms,
                cmd=cmd,
                wall_ms=self._wall(),
                level=b.level,
                status=b.status,
                health=b.health,
                plug=b.plug_type,
                temp=b.temp,
                volt=b.volt,
                charge_uah=b.charge_uah,
                rail_charge=self.api_level >= 30,
                flags=frozenset(flags),
                idle=self.idle_mode,
                wakelock=wakelock,
                event=event,
            )
        )
        if len(history.records) > MAX_HISTORY_RECORDS:
            # The buffer is full: the oldest records go (BatteryStatsHistory drops old files).
            del history.records[1 : len(history.records) - MAX_HISTORY_RECORDS + 1]

    def _event(self, sign: str, code: str, string: str, uid: int,
               time_ms: int | None = None) -> None:
        self._record(Event(sign, code, self.data.history.tag(string, uid)), time_ms=time_ms)

    def start_recording(self, reset: bool) -> None:
        """startRecordingHistory: RESET (or START) then the full current state, at one time."""
        now = self.history_now()
        self._record(cmd=RESET if reset else START, time_ms=now)
        if not reset:
            self._record(cmd=CURRENT_TIME, time_ms=now)
        self._record(time_ms=now)
        if reset:
            self._restate_active_events(now)

    def _restate_active_events(self, now: int) -> None:
        if self.top is not None:
            self._event("", "Etp", self.top[0], self.top[1], now)
        for (uid, name), run in self.running_jobs.items():
            if run.event_active:
                self._event("", "Ejb", name, uid, now)
        if self.record_all_history:
            for h in self.held:
                if h.uid != SCREEN_WAKELOCK_UID:
                    self._event("", "Ewl", h.tag, h.uid, now)
            for package, uid in self.processes.items():
                self._event("", "Epr", package, uid, now)

    # ------------------------------------------------------------------ lifecycle
    def boot(self) -> None:
        """The service started: a new boot continues the persisted stats and history."""
        self._last_ms = self._now()
        # Nothing runs across a reboot: timers a shutdown left running start from rest.
        for stats in self.data.uids.values():
            for timer in [*stats.jobs.values(),
                          *(t for kinds in stats.wakelocks.values() for t in kinds.values())]:
                timer.nesting = 0
            for services in stats.services.values():
                for service in services.values():
                    service.launched = 0
        if self.screen_on:
            self.held.append(_Held(SCREEN_WAKELOCK_UID, SCREEN_WAKELOCK_TAG, "p"))
        self.data.start_count += 1
        if self.data.history.records:
            self.start_recording(reset=False)
        else:
            self.data.start_clock_ms = self._wall()
            self.start_recording(reset=True)

    def shutdown(self) -> None:
        self.advance()
        self._record(cmd=SHUTDOWN)
        for h in list(self.held):
            self._end_wakelock_timer(h)
        self.held.clear()
        self.running_jobs.clear()

    def reset(self) -> None:
        """resetAllStatsLocked: every counter and the history start over now."""
        self.advance()
        history = self.data.history
        fresh = StatsData(start_clock_ms=self._wall())
        fresh.history = history
        # LevelStepTracker.init() forgets the step times; the last step level is kept.
        fresh.discharge_steps.last_level = self.data.discharge_steps.last_level
        fresh.charge_steps.last_level = self.data.charge_steps.last_level
        history.clear()
        self.store.data = fresh
        self.store.discharge_unplug_level = self.battery.level
        self.store.discharge_unplug_uah = self.battery.charge_uah
        self._init_step_mode = self._cur_step_mode
        self._mod_step_mode = 0
        # Timers still running carry on in the new stats.
        for h in self.held:
            self._start_wakelock_timer(h)
        for (uid, name), run in self.running_jobs.items():
            self._start_job_timer(uid, name, run.package)
            self.data.uid(uid).job(name).nesting = run.nesting
        self.start_recording(reset=True)

    # ------------------------------------------------------------------ battery
    def note_battery(self, reading: BatteryReading) -> None:
        """setBatteryStateLocked."""
        self.advance()
        old = self.battery
        self.battery = reading
        if reading.on_battery != old.on_battery:
            self._set_on_battery(reading.on_battery, old)
        self._track_discharge(old, reading)
        self._track_steps(reading)
        if self._battery_changed(old, reading):
            self._record()

    @staticmethod
    def _battery_changed(a: BatteryReading, b: BatteryReading) -> bool:
        return (a.level, a.status, a.health, a.plug_type, a.temp, a.volt, a.charge_uah // 1000,
                a.charging) != (b.level, b.status, b.health, b.plug_type, b.temp, b.volt,
                                b.charge_uah // 1000, b.charging)

    def _set_on_battery(self, on_battery: bool, old: BatteryReading) -> None:
        store = self.store
        level = self.battery.level
        if on_battery:
            if not self.no_auto_reset and self.system_ready and (
                old.status == STATUS_FULL
                or level >= 90
                or (store.discharge_current_level < 20 and level >= 80)
            ):
                if self.discharge_pct()[0] >= 20:
                    store.checkin_file = self.data.snapshot()
                self.reset()
            store.discharge_unplug_level = level
            store.discharge_unplug_uah = self.battery.charge_uah
            self.data.discharge_steps.last_step_ms = -1
            self.data.discharge_steps.last_level = level
        else:
            d = self.data
            unplug = store.discharge_unplug_level
            if level < unplug:
                d.low_discharge_pct += unplug - level - 1
                d.high_discharge_pct += unplug - level
            self.data.charge_steps.last_step_ms = -1
            self.data.charge_steps.last_level = level
        store.discharge_current_level = level
        self._init_step_mode = self._cur_step_mode
        self._mod_step_mode = 0

    def discharge_pct(self) -> tuple[int, int]:
        """(low, high) discharge since charged (getLow/HighDischargeAmountSinceCharge)."""
        d, store = self.data, self.store
        low, high = d.low_discharge_pct, d.high_discharge_pct
        if self.battery.on_battery and self.battery.level < store.discharge_unplug_level:
            low += store.discharge_unplug_level - self.battery.level - 1
            high += store.discharge_unplug_level - self.battery.level
        return low, high

    def _track_discharge(self, old: BatteryReading, new: BatteryReading) -> None:
        if not (old.on_battery and new.on_battery):
            return
        d = self.data
        used = old.charge_uah - new.charge_uah
        if used > 0:
            # The coulomb counter split by what the device was doing (dc's mAh columns).
            d.discharge_uah += used
            if not self.screen_on:
                d.discharge_screen_off_uah += used
            if self.idle_mode == IDLE_DEEP:
                d.discharge_deep_doze_uah += used
            elif self.idle_mode == IDLE_LIGHT:
                d.discharge_light_doze_uah += used
        steps = old.level - new.level
        if steps > 0:
            if self.screen_on:
                d.discharge_screen_on_pct += steps
            else:
                d.discharge_screen_off_pct += steps

    def _track_steps(self, reading: BatteryReading) -> None:
        level = reading.level
        tracker: StepTracker = (
            self.data.discharge_steps if reading.on_battery else self.data.charge_steps
        )
        if tracker.last_level < 0:
            tracker.last_level = level
            return
        moved = tracker.last_level - level if reading.on_battery else level - tracker.last_level
        if moved <= 0:
            return
        now = self._now()
        if tracker.last_step_ms >= 0:
            # LevelStepTracker.addLevelSteps: the time since the last step, split evenly.
            per_step = (now - tracker.last_step_ms) // moved
            for _ in range(moved):
                tracker.steps.append((per_step, level, self._init_step_mode, self._mod_step_mode))
        tracker.last_step_ms = now
        tracker.last_level = level
        self._init_step_mode = self._cur_step_mode
        self._mod_step_mode = 0

    def _step_mode(self, mask: int, bits: int) -> None:
        self._mod_step_mode |= (self._cur_step_mode & mask) ^ bits
        self._cur_step_mode = (self._cur_step_mode & ~mask) | bits

    # ------------------------------------------------------------------ screen, saver, doze
    def note_screen(self, on: bool) -> None:
        if on == self.screen_on:
            return
        self.advance()
        self.screen_on = on
        self._step_mode(STEP_SCREEN_MASK, STEP_SCREEN_ON if on else STEP_SCREEN_OFF)
        self._record()
        if on:
            self.note_wakelock_start(SCREEN_WAKELOCK_UID, SCREEN_WAKELOCK_TAG, "p")
        else:
            self.note_wakelock_stop(SCREEN_WAKELOCK_UID, SCREEN_WAKELOCK_TAG)

    def note_power_save(self, enabled: bool) -> None:
        if enabled == self.power_save:
            return
        self.advance()
        self.power_save = enabled
        self._step_mode(STEP_POWER_SAVE, STEP_POWER_SAVE if enabled else 0)
        self._record()

    def note_device_idle(self, deep_state: str, light_state: str, deep_idle: bool,
                         light_idle: bool, reason: str | None) -> None:
        """noteDeviceIdleModeLocked(mode, activeReason, activeUid)."""
        self.advance()
        mode = IDLE_DEEP if deep_idle else IDLE_LIGHT if light_idle else IDLE_OFF
        # DeviceIdleController passes an active reason only when it goes ACTIVE.
        active_reason = reason if (deep_state == "ACTIVE" and light_state == "ACTIVE") else None
        d = self.data
        now_idling = mode == IDLE_DEEP or (self.deep_idling and active_reason is None)
        now_light = mode == IDLE_LIGHT or (
            self.light_idling and not now_idling and active_reason is None
        )
        if active_reason and (self.deep_idling or self.light_idling):
            self._event("", "Eac", active_reason, 1000)
        if now_idling != self.deep_idling:
            self.deep_idling = now_idling
            self._step_mode(STEP_DEVICE_IDLE, STEP_DEVICE_IDLE if now_idling else 0)
            if now_idling and self.battery.on_battery:
                d.deep_idling_count += 1
        if now_light != self.light_idling:
            self.light_idling = now_light
            if now_light and self.battery.on_battery:
                d.light_idling_count += 1
        if mode != self.idle_mode:
            now = self._now()
            last = now - self._idle_mode_since
            self._idle_mode_since = now
            if self.idle_mode == IDLE_LIGHT:
                d.longest_light_idle_ms = max(d.longest_light_idle_ms, last)
            elif self.idle_mode == IDLE_DEEP:
                d.longest_deep_idle_ms = max(d.longest_deep_idle_ms, last)
            if self.battery.on_battery:
                if mode == IDLE_DEEP:
                    d.deep_idle_count += 1
                elif mode == IDLE_LIGHT:
                    d.light_idle_count += 1
            self.idle_mode = mode
            self._record()

    # ------------------------------------------------------------------ wakelocks
    def _start_wakelock_timer(self, h: _Held) -> None:
        if h.uid == SCREEN_WAKELOCK_UID:
            return
        timer = self.data.uid(h.uid).wakelock(h.tag, h.kind)
        timer.nesting += 1
        base_running = self.screen_off_base if h.kind == "p" else self.battery.on_battery
        if timer.nesting == 1:
            timer.current_ms = 0.0
            if base_running:
                timer.count += 1
                if not self._is_top(h.uid):
                    timer.bg_count += 1
        if h.kind == "p" and base_running:
            awl = self.data.uid(h.uid).aggregated_partial
            if not any(o.uid == h.uid and o is not h and o.kind == "p" for o in self.held):
                awl.count += 1

    def _end_wakelock_timer(self, h: _Held) -> None:
        if h.uid == SCREEN_WAKELOCK_UID:
            return
        timer = self.data.uid(h.uid).wakelock(h.tag, h.kind)
        timer.nesting = max(0, timer.nesting - 1)

    def note_wakelock_start(self, uid: int, tag: str, kind: str) -> None:
        """noteStartWakeLocked."""
        self.advance()
        h = _Held(uid, tag, kind)
        first = not self.held
        self.held.append(h)
        self._start_wakelock_timer(h)
        if self.record_all_history and uid != SCREEN_WAKELOCK_UID:
            self._event("+", "Ewl", tag, uid)
        if first:
            self._record(wakelock=self.data.history.tag(tag, uid))

    def note_wakelock_stop(self, uid: int, tag: str) -> None:
        """noteStopWakeLocked: the most recent matching wakelock is released."""
        for h in reversed(self.held):
            if h.uid == uid and h.tag == tag:
                break
        else:
            return
        self.advance()
        self.held.remove(h)
        self._end_wakelock_timer(h)
        if self.record_all_history and uid != SCREEN_WAKELOCK_UID:
            self._event("-", "Ewl", tag, uid)
        if not self.held:
            self._record()

    # ------------------------------------------------------------------ jobs, alarms
    def _start_job_timer(self, uid: int, name: str, package: str) -> None:
        stats = self.data.uid(uid)
        timer = stats.job(name)
        timer.nesting += 1
        if timer.nesting == 1 and self.battery.on_battery:
            timer.count += 1
            if not self._is_top(uid):
                timer.bg_count += 1
        service = stats.service(package, _service_class(name, package))
        service.launched += 1
        if service.launched == 1:
            # ActiveServices.realStartServiceLocked -> ServiceStats.startLaunchedLocked.
            service.launches += 1

    def note_job_start(self, package: str, uid: int, name: str) -> None:
        """noteJobStartLocked (JobServiceContext, when the job's service is bound).

        Jobs are tracked by battery name: a second job of the same service that starts while
        one runs nests in the same timer and writes no history event (mActiveEvents already
        holds that name for the uid)."""
        self.advance()
        run = self.running_jobs.get((uid, name))
        if run is not None:
            run.nesting += 1
            self.data.uid(uid).job(name).nesting += 1
            return
        was_running = self.running
        self.running_jobs[(uid, name)] = _RunningJob(package)
        self._start_job_timer(uid, name, package)
        self._event("+", "Ejb", name, uid)
        if not was_running:
            self._record()

    def note_job_finish(self, package: str, uid: int, name: str, reason: object) -> None:
        """noteJobFinishLocked(name, uid, stopReason): jbc counts every stop reason."""
        self.advance()
        stats = self.data.uid(uid)
        if self.battery.on_battery:
            # Uid.noteStopJobLocked counts completions only while on battery.
            counts = stats.job_stops.setdefault(name, {})
            code = stop_reason_code(reason)
            counts[code] = counts.get(code, 0) + 1
        run = self.running_jobs.get((uid, name))
        if run is None:
            return
        if run.event_active:
            # The first finish closes the history event; later ones find it inactive.
            run.event_active = False
            self._event("-", "Ejb", name, uid)
        timer = stats.job(name)
        timer.nesting = max(0, timer.nesting - 1)
        run.nesting -= 1
        if run.nesting > 0:
            return
        del self.running_jobs[(uid, name)]
        service = stats.service(package, _service_class(name, package))
        service.launched = max(0, service.launched - 1)

    def note_alarm(self, package: str, uid: int, tag: str, wakeup: bool) -> None:
        """AlarmManagerService delivery: noteWakupAlarmLocked for wakeup alarms, and the
        alarm's start/finish as history events with full history (noteAlarmStart/Finish)."""
        self.advance()
        name = alarm_stats_tag(tag, wakeup)
        if wakeup and self.screen_off_base:
            # Uid.Pkg wakeup alarm counters live in the screen-off time base (checkin 25+).
            alarms = self.data.uid(uid).wakeup_alarms.setdefault(package, {})
            alarms[name] = alarms.get(name, 0) + 1
        elif wakeup:
            self.data.uid(uid).wakeup_alarms.setdefault(package, {}).setdefault(name, 0)
        if self.record_all_history:
            self._event("+", "Eal", name, uid)
            self._event("-", "Eal", name, uid)

    # ------------------------------------------------------------------ processes
    def note_process_start(self, package: str, uid: int) -> None:
        self.advance()
        self.processes[package] = uid
        stats = self.data.uid(uid)
        proc = stats.process(package)
        proc.starts += 1
        proc.user_ms += PROCESS_START_CPU_MS * CPU_USER_SHARE
        proc.system_ms += PROCESS_START_CPU_MS * (1 - CPU_USER_SHARE)
        stats.cpu_user_ms += PROCESS_START_CPU_MS * CPU_USER_SHARE
        stats.cpu_system_ms += PROCESS_START_CPU_MS * (1 - CPU_USER_SHARE)
        if self.record_all_history:
            self._event("+", "Epr", package, uid)

    def note_process_death(self, package: str, uid: int, crashed: bool) -> None:
        self.advance()
        if self.processes.pop(package, None) is None:
            return
        if crashed:
            self.data.uid(uid).process(package).crashes += 1
        if self.record_all_history:
            self._event("-", "Epr", package, uid)

    def note_top(self, package: str, uid: int | None) -> None:
        """EVENT_TOP_START / EVENT_TOP_FINISH from ActivityManager (always in history)."""
        if self.top is not None and self.top[0] == package:
            return
        self.advance()
        if self.top is not None:
            self._event("-", "Etp", self.top[0], self.top[1])
        self.top = (package, uid) if uid is not None else None
        if self.top is not None:
            fg = self.data.uid(uid).foreground  # type: ignore[arg-type]
            if self.battery.on_battery:
                fg.count += 1
            self._event("+", "Etp", package, uid)  # type: ignore[arg-type]


def _service_class(job_name: str, package: str) -> str:
    """The JobService class of a job's battery name (``pkg/.Svc`` -> ``pkg.Svc``)."""
    name = job_name
    if name.startswith("@") and name.count("@") >= 2:  # job namespace prefix "@ns@"
        name = name.split("@", 2)[2]
    component = name.split("/", 1)[1] if "/" in name else name
    return package + component if component.startswith(".") else component


def stop_reason_code(reason: object) -> int:
    """A job stop reason as JobParameters' internal code (-1 when unknown)."""
    if isinstance(reason, bool):
        return -1
    if isinstance(reason, int):
        return reason
    text = str(reason or "").strip().lower()
    for prefix in ("internal_stop_reason_", "stop_reason_", "reason_"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    if text.lstrip("-").isdigit():
        return int(text)
    return STOP_REASON_CODES.get(text, -1)


def alarm_stats_tag(tag: str, wakeup: bool) -> str:
    """Alarm.statsTag: ``*walarm*:`` (wakeup) or ``*alarm*:`` before the listener tag."""
    if tag.startswith(("*walarm*:", "*alarm*:")):
        return tag
    return ("*walarm*:" if wakeup else "*alarm*:") + tag


__all__ = ["BatteryReading", "StatsTracker", "alarm_stats_tag", "stop_reason_code"]
