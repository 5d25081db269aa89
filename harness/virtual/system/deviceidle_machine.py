"""The Doze state machines of DeviceIdleController, on the device clock.

The deep and light machines follow DeviceIdleController method by method
(becomeInactiveIfAppropriateLocked, becomeActiveLocked, stepIdleStateLocked,
stepLightIdleStateLocked, ...); the source's alarms are timers on the device clock and its
handler messages run when the operation that posted them is over. :class:`DozeStateMachine` is
mixed into the ``deviceidle`` system service (:mod:`deviceidle`), which feeds it the screen,
charging, keyguard, network and battery saver, and owns the whitelists and the shell.

The virtual hardware: every family has an accelerometer (AnyMotion reports "stationary" 10 s
after it starts: nobody moves a bench device) and location providers that never get a fix
indoors (LOCATING ends by its 30 s timeout); all but the ``emulator`` family have a
significant-motion sensor. Alarm windows fire at their start (flex is not modelled) and every
alarm wakes the device (the virtual CPU never suspends).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.device import VirtualDevice
    from harness.virtual.system.base import SystemServer
    from harness.virtual.system.doze_constants import DozeEra

F = TypeVar("F", bound=Callable[..., Any])

# Deep states (DeviceIdleController.stateToString) with their int values for the event log.
ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
IDLE_PENDING = "IDLE_PENDING"
SENSING = "SENSING"
LOCATING = "LOCATING"
IDLE = "IDLE"
IDLE_MAINTENANCE = "IDLE_MAINTENANCE"
QUICK_DOZE_DELAY = "QUICK_DOZE_DELAY"
DEEP_STATE_VALUES = {
    ACTIVE: 0,
    INACTIVE: 1,
    IDLE_PENDING: 2,
    SENSING: 3,
    LOCATING: 4,
    IDLE: 5,
    IDLE_MAINTENANCE: 6,
    QUICK_DOZE_DELAY: 7,
}
# Light states (lightStateToString); there is no value 2.
PRE_IDLE = "PRE_IDLE"
WAITING_FOR_NETWORK = "WAITING_FOR_NETWORK"
OVERRIDE = "OVERRIDE"
LIGHT_STATE_VALUES = {
    ACTIVE: 0,
    INACTIVE: 1,
    PRE_IDLE: 3,
    IDLE: 4,
    WAITING_FOR_NETWORK: 5,
    IDLE_MAINTENANCE: 6,
    OVERRIDE: 7,
}

# ACTIVE_REASON_*: only MOTION changes behaviour (shouldUseIdleTimeoutFactorLocked).
ACTIVE_REASON_UNKNOWN = 0
ACTIVE_REASON_MOTION = 1
ACTIVE_REASON_SCREEN = 2
ACTIVE_REASON_CHARGING = 3
ACTIVE_REASON_UNLOCKED = 4
ACTIVE_REASON_FROM_BINDER_CALL = 5
ACTIVE_REASON_FORCED = 6
ACTIVE_REASON_ALARM = 7

# Idling history (addEvent) commands and their dump labels.
EVENT_NORMAL = 1
EVENT_LIGHT_IDLE = 2
EVENT_LIGHT_MAINTENANCE = 3
EVENT_DEEP_IDLE = 4
EVENT_DEEP_MAINTENANCE = 5
EVENT_LABELS = {
    EVENT_NORMAL: "     normal",
    EVENT_LIGHT_IDLE: " light-idle",
    EVENT_LIGHT_MAINTENANCE: "light-maint",
    EVENT_DEEP_IDLE: "  deep-idle",
    EVENT_DEEP_MAINTENANCE: " deep-maint",
}
EVENT_BUFFER_SIZE = 100

# AnyMotionDetector: two ORIENTATION_MEASUREMENT_DURATION (2.5 s) measurements
# ORIENTATION_MEASUREMENT_INTERVAL (5 s) apart, then RESULT_STATIONARY for a still device.
ANY_MOTION_RESULT_DELAY_MS = 10_000
ANY_MOTION_STATIONARY = 0
ANY_MOTION_MOVED = 1
ANY_MOTION_UNKNOWN = -1
# setPreIdleTimeoutFactor results and MIN_PRE_IDLE_FACTOR_CHANGE.
SET_IDLE_FACTOR_RESULT_UNINIT = -1
SET_IDLE_FACTOR_RESULT_IGNORED = 0
SET_IDLE_FACTOR_RESULT_OK = 1
SET_IDLE_FACTOR_RESULT_NOT_SUPPORT = 2
SET_IDLE_FACTOR_RESULT_INVALID = 3
MIN_PRE_IDLE_FACTOR_CHANGE = 0.05
MIN_STATE_STEP_ALARM_CHANGE = 60_000

ACTIVITY_KINDS = ("jobs", "alarms")


@dataclass(frozen=True)
class IdleEvent:
    cmd: int
    elapsed_ms: int
    reason: str | None


def transition(fn: F) -> F:
    """An entry point: when the outermost one returns, publish and run the handler messages."""

    @functools.wraps(fn)
    def wrapper(self: DozeStateMachine, *args: Any, **kwargs: Any) -> Any:
        self._depth += 1
        try:
            return fn(self, *args, **kwargs)
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._drain()

    return wrapper  # type: ignore[return-value]


class DozeStateMachine:
    """DeviceIdleController's state and its Locked methods; the host is the system service.

    The host provides ``device``, ``system``, ``call_at`` and ``call_later`` (a SystemService)
    and calls :meth:`_init_machine` from its constructor.
    """

    device: VirtualDevice
    system: SystemServer
    call_at: Callable[[int, str, Callable[[], None]], Timer]
    call_later: Callable[[float, str, Callable[[], None]], Timer]

    def _init_machine(
        self,
        era: DozeEra,
        motion_sensor: str | None,
        has_network_location_provider: bool,
        has_gps_provider: bool,
    ) -> None:
        self.era = era
        # config_autoPowerModeUseMotionSensor is true in AOSP.
        self.use_motion_sensor = True
        self.motion_sensor = motion_sensor
        self.has_network_location_provider = has_network_location_provider
        self.has_gps_provider = has_gps_provider
        # DeviceIdleController.onStart: enabled per config_enableAutoPowerModes (true on the
        # modelled devices), network/screen/charging assumed true until told otherwise.
        self._light_enabled = True
        self._deep_enabled = True
        self._force_idle = False
        self._quick_doze = False
        self._quick_doze_while_idling = False
        self._network_connected = True
        self._screen_on = True
        self._screen_locked = False
        self._charging = True
        self._not_moving = False
        self._locating = False
        self._located = False
        self._has_gps = False
        self._has_network_location = False
        self._motion_active = False
        self._motion_activated_elapsed = 0
        self._last_motion_event_elapsed = 0
        self._state = ACTIVE
        self._light_state = ACTIVE
        self._inactive_timeout = self.era.ms("inactive_to")
        self._next_alarm_time = 0
        self._next_idle_pending_delay = 0
        self._next_idle_delay = 0
        self._next_light_idle_delay = 0
        self._next_light_idle_delay_flex = 0
        self._next_light_alarm_time = 0
        self._next_sensing_timeout_alarm_time = 0
        self._cur_light_idle_budget = 0
        self._maintenance_start_time = 0
        self._idle_start_time = 0
        self._active_idle_op_count = 0
        self._jobs_active = False
        self._alarms_active = False
        self._pre_idle_factor = 1.0
        self._last_pre_idle_factor = 1.0
        self._active_reason = ACTIVE_REASON_UNKNOWN
        self._next_wake_from_idle: int | None = None
        # PowerManager's view (setDeviceIdleMode / setLightDeviceIdleMode), set by the
        # MSG_REPORT_* handlers; maintenance windows hold a broadcast op only on a change.
        self._pm_deep_idle = False
        self._pm_light_idle = False

        self.events: list[IdleEvent] = []  # newest first, as mEventCmds
        self._timers: dict[str, Timer] = {}
        self._depth = 0
        self._messages: deque[tuple[Callable[..., None], dict[str, Any]]] = deque()
        self._published = (ACTIVE, ACTIVE)
        self._deep_reason = self._light_reason = "boot"
        # onStart: moveToStateLocked(STATE_ACTIVE, "boot") and the light counterpart.
        self._event_log("device_idle", DEEP_STATE_VALUES[ACTIVE], "boot")
        self._event_log("device_idle_light", LIGHT_STATE_VALUES[ACTIVE], "boot")

    # ================================================================== inputs (Locked methods)
    def _update_interactivity(self, screen_on: bool) -> None:
        # updateInteractivityLocked
        if not screen_on and self._screen_on:
            self._screen_on = False
            if not self._force_idle:
                self._become_inactive_if_appropriate()
        elif screen_on:
            self._screen_on = True
            if not self._force_idle and (not self._screen_locked or not self.era.wait_for_unlock):
                self._active_reason = ACTIVE_REASON_SCREEN
                self._become_active("screen")

    def _update_charging(self, charging: bool) -> None:
        # updateChargingLocked
        if not charging and self._charging:
            self._charging = False
            if not self._force_idle:
                self._become_inactive_if_appropriate()
        elif charging:
            self._charging = True
            if not self._force_idle:
                self._active_reason = ACTIVE_REASON_CHARGING
                self._become_active("charging")

    def _update_quick_doze_flag(self, enabled: bool) -> None:
        # updateQuickDozeFlagLocked: leaving quick doze does not leave deep idle.
        self._quick_doze = enabled
        self._quick_doze_while_idling = enabled and self._state in (IDLE, IDLE_MAINTENANCE)
        if enabled:
            self._become_inactive_if_appropriate()

    def _keyguard_showing(self, showing: bool) -> None:
        # keyguardShowingLocked: unlocking with the screen on ends Doze ("unlocked").
        if self._screen_locked != showing:
            self._screen_locked = showing
            if self._screen_on and not self._force_idle and not showing:
                self._active_reason = ACTIVE_REASON_UNLOCKED
                self._become_active("unlocked")

    def _is_upcoming_alarm_clock(self) -> bool:
        # isUpcomingAlarmClock: now + MIN_TIME_TO_ALARM >= getNextWakeFromIdleTime().
        nxt = self._next_wake_from_idle
        return nxt is not None and self._now() + self.era.ms("min_time_to_alarm") >= nxt

    def _should_use_idle_timeout_factor(self) -> bool:
        # shouldUseIdleTimeoutFactorLocked: not after motion (device in a pocket).
        return self._active_reason != ACTIVE_REASON_MOTION

    # ================================================================== state machine
    def _become_active(
        self, reason: str, inactive_timeout: int | None = None, change_light: bool = True
    ) -> None:
        # becomeActiveLocked
        if self._state == ACTIVE and self._light_state == ACTIVE:
            return
        self._move_to_state(ACTIVE, reason)
        self._inactive_timeout = (
            self.era.ms("inactive_to") if inactive_timeout is None else inactive_timeout
        )
        self._reset_idle_management()
        # The light maintenance start time feeds the light budget; keep it inside a window.
        if self._light_state != IDLE_MAINTENANCE:
            self._maintenance_start_time = 0
        if change_light:
            self._move_to_light_state(ACTIVE, reason)
            self._reset_light_idle_management()
            self._post(self._report_active)
            self._add_event(EVENT_NORMAL, reason)

    def _become_inactive_if_appropriate(self) -> None:
        # becomeInactiveIfAppropriateLocked
        c = self.era
        screen_blocking = self._screen_on and (not c.wait_for_unlock or not self._screen_locked)
        if not self._force_idle and (self._charging or screen_blocking):
            return
        if self._deep_enabled:
            if self._quick_doze:
                if self._state in (QUICK_DOZE_DELAY, IDLE, IDLE_MAINTENANCE):
                    return  # already idling; light cannot be ACTIVE in these states
                self._move_to_state(QUICK_DOZE_DELAY, "no activity")
                self._reset_idle_management()
                delay = c.ms("quick_doze_delay_to")
                if self._is_upcoming_alarm_clock():
                    # Going idle before the alarm clock is futile; wait past it.
                    delay += self._next_wake_from_idle - self._now()  # type: ignore[operator]
                self._schedule_alarm(delay, idle_until=False)
            elif self._state == ACTIVE:
                self._move_to_state(INACTIVE, "no activity")
                self._reset_idle_management()
                delay = self._inactive_timeout
                if self._should_use_idle_timeout_factor():
                    delay = int(self._pre_idle_factor * delay)
                if self._is_upcoming_alarm_clock():
                    delay += self._next_wake_from_idle - self._now()  # type: ignore[operator]
                self._schedule_alarm(delay, idle_until=False)
        if self._light_state == ACTIVE and self._light_enabled:
            self._move_to_light_state(INACTIVE, "no activity")
            self._reset_light_idle_management()
            self._schedule_light_alarm(c.ms("light_after_inactive_to"))

    def _reset_idle_management(self) -> None:
        # resetIdleManagementLocked
        self._next_idle_pending_delay = 0
        self._next_idle_delay = 0
        self._idle_start_time = 0
        self._quick_doze_while_idling = False
        self._cancel_alarm()
        self._cancel_sensing_timeout()
        self._cancel_locating()
        self._maybe_stop_monitoring_motion()
        self._cancel_timer("anymotion")

    def _reset_light_idle_management(self) -> None:
        # resetLightIdleManagementLocked: zeros until Android 13, the defaults from Android 14.
        if self.era.light_reset_to_defaults:
            self._next_light_idle_delay = self.era.ms("light_idle_to")
            self._next_light_idle_delay_flex = self.era.light_initial_flex_ms
            self._cur_light_idle_budget = self.era.ms("light_idle_maintenance_min_budget")
            self._maintenance_start_time = 0
        else:
            self._next_light_idle_delay = 0
            self._next_light_idle_delay_flex = 0
            self._cur_light_idle_budget = 0
        self._cancel_light_alarm()

    def _exit_force_idle(self) -> None:
        # exitForceIdleLocked: back to ACTIVE only if the screen is on or it is charging.
        if self._force_idle:
            self._force_idle = False
            if self._screen_on or self._charging:
                self._active_reason = ACTIVE_REASON_FORCED
                self._become_active("exit-force")

    def _step_light_idle_state(self, reason: str) -> None:
        # stepLightIdleStateLocked: nothing in OVERRIDE (deep idle rules) and no ACTIVE case.
        c = self.era
        state = self._light_state
        if state in (OVERRIDE, ACTIVE):
            return
        self._event_log("device_idle_light_step", None, None)
        if state == INACTIVE:
            self._cur_light_idle_budget = c.ms("light_idle_maintenance_min_budget")
            self._next_light_idle_delay = c.ms("light_idle_to")
            self._next_light_idle_delay_flex = c.light_initial_flex_ms
            self._maintenance_start_time = 0
            if c.pre_idle and not self._is_ops_inactive():
                # Running work gets LIGHT_PRE_IDLE_TIMEOUT to finish before the first idle.
                self._move_to_light_state(PRE_IDLE, reason)
                self._schedule_light_alarm(c.ms("light_pre_idle_to"))
                return
            state = PRE_IDLE  # fall through to going idle
        if state in (PRE_IDLE, IDLE_MAINTENANCE):
            if self._maintenance_start_time != 0:
                # Unused minimum budget goes to the reserve; overruns come out of it.
                duration = self._now() - self._maintenance_start_time
                min_budget = c.ms("light_idle_maintenance_min_budget")
                self._cur_light_idle_budget += min_budget - duration
            self._maintenance_start_time = 0
            self._schedule_light_alarm(self._next_light_idle_delay)
            self._next_light_idle_delay = min(
                c.ms("light_max_idle_to"),
                int(self._next_light_idle_delay * c.factor("light_idle_factor")),
            )
            self._next_light_idle_delay_flex = min(
                c.light_max_flex_ms,
                int(self._next_light_idle_delay_flex * c.factor("light_idle_factor")),
            )
            self._move_to_light_state(IDLE, reason)
            self._add_event(EVENT_LIGHT_IDLE, None)
            self._post(self._report_idle_on_light)
            return
        # IDLE or WAITING_FOR_NETWORK
        if self._network_connected or state == WAITING_FOR_NETWORK:
            # Time for a maintenance window, as long as the (clamped) budget allows.
            self._active_idle_op_count = 1
            self._maintenance_start_time = self._now()
            self._cur_light_idle_budget = max(
                c.ms("light_idle_maintenance_min_budget"),
                min(self._cur_light_idle_budget, c.ms("light_idle_maintenance_max_budget")),
            )
            self._schedule_light_alarm(self._cur_light_idle_budget)
            self._move_to_light_state(IDLE_MAINTENANCE, reason)
            self._add_event(EVENT_LIGHT_MAINTENANCE, None)
            self._post(self._report_idle_off)
        else:
            # No network for maintenance: wait one more idle period for it, then go anyway.
            self._schedule_light_alarm(self._next_light_idle_delay)
            self._move_to_light_state(WAITING_FOR_NETWORK, reason)

    def _step_idle_state(self, reason: str) -> None:
        # stepIdleStateLocked
        c = self.era
        self._event_log("device_idle_step", None, None)
        if self._is_upcoming_alarm_clock():
            # An alarm clock is due within MIN_TIME_TO_ALARM: do not go (or stay) idle.
            if self._state != ACTIVE:
                self._active_reason = ACTIVE_REASON_ALARM
                self._become_active("alarm")
                self._become_inactive_if_appropriate()
            return
        state = self._state
        if state == INACTIVE:
            # Inactive long enough: watch for motion and wait IDLE_AFTER_INACTIVE_TIMEOUT.
            self._start_monitoring_motion()
            delay = c.ms("idle_after_inactive_to")
            if self._should_use_idle_timeout_factor():
                delay = int(self._pre_idle_factor * delay)
            self._schedule_alarm(delay, idle_until=False)
            self._move_to_state(IDLE_PENDING, reason)
            return
        if state == IDLE_PENDING:
            self._move_to_state(SENSING, reason)
            self._cancel_locating()
            self._located = False
            if self.use_motion_sensor:
                # The accelerometer decides (AnyMotion); SENSING_TIMEOUT bounds the wait.
                self._schedule_sensing_timeout(c.ms("sensing_to"))
                self._not_moving = False
                self._set_timer(
                    "anymotion",
                    self._now() + ANY_MOTION_RESULT_DELAY_MS,
                    "AnyMotionDetector",
                    lambda: self._on_any_motion_result(ANY_MOTION_STATIONARY),
                )
                return
            self._not_moving = True
            state = SENSING  # fall through
        if state == SENSING:
            self._cancel_sensing_timeout()
            self._move_to_state(LOCATING, reason)
            self._schedule_alarm(c.ms("locating_to"), idle_until=False)
            if self.has_network_location_provider:
                # mHasNetworkLocation is only ever cleared by the source, never set.
                self._locating = True
            else:
                self._has_network_location = False
            if self.has_gps_provider:
                self._has_gps = True
                self._locating = True
            else:
                self._has_gps = False
            if self._locating:
                return  # a fix (never, indoors) or LOCATING_TIMEOUT moves on
            state = LOCATING  # fall through
        if state == LOCATING:
            self._cancel_alarm()
            self._cancel_locating()
            self._cancel_timer("anymotion")
            state = QUICK_DOZE_DELAY  # fall through
        if state == QUICK_DOZE_DELAY:
            self._next_idle_pending_delay = c.ms("idle_pending_to")
            self._next_idle_delay = c.ms("idle_to")
            state = IDLE_MAINTENANCE  # fall through
        if state == IDLE_MAINTENANCE:
            # The alarm is set while still in the previous state (see _schedule_alarm).
            self._schedule_alarm(self._next_idle_delay, idle_until=True)
            self._next_idle_delay = int(self._next_idle_delay * c.factor("idle_factor"))
            self._idle_start_time = self._now()
            self._next_idle_delay = max(
                c.ms("idle_to"), min(self._next_idle_delay, c.ms("max_idle_to"))
            )
            self._move_to_state(IDLE, reason)
            if self._light_state != OVERRIDE:
                self._move_to_light_state(OVERRIDE, "deep")
                self._cancel_light_alarm()
            self._add_event(EVENT_DEEP_IDLE, None)
            self._post(self._report_idle_on)
            return
        if state == IDLE:
            # Idle long enough: a maintenance window of mNextIdlePendingDelay (5 -> 10 min).
            self._active_idle_op_count = 1
            self._schedule_alarm(self._next_idle_pending_delay, idle_until=False)
            self._maintenance_start_time = self._now()
            self._next_idle_pending_delay = max(
                c.ms("idle_pending_to"),
                min(
                    c.ms("max_idle_pending_to"),
                    int(self._next_idle_pending_delay * c.factor("idle_pending_factor")),
                ),
            )
            self._move_to_state(IDLE_MAINTENANCE, reason)
            self._add_event(EVENT_DEEP_MAINTENANCE, None)
            self._post(self._report_idle_off)
        # ACTIVE: there is no case, so a step does nothing.

    def _is_ops_inactive(self) -> bool:
        # isOpsInactiveLocked
        return self._active_idle_op_count <= 0 and not self._jobs_active and not self._alarms_active

    def _exit_maintenance_early_if_needed(self) -> None:
        # exitMaintenanceEarlyIfNeededLocked ("s:early"; PRE_IDLE ends with "s:predone").
        in_window = (
            self._state == IDLE_MAINTENANCE
            or self._light_state == IDLE_MAINTENANCE
            or (self.era.pre_idle and self._light_state == PRE_IDLE)
        )
        if not in_window or not self._is_ops_inactive():
            return
        if self._state == IDLE_MAINTENANCE:
            self._step_idle_state("s:early")
        elif self._light_state == PRE_IDLE:
            self._step_light_idle_state("s:predone")
        else:
            self._step_light_idle_state("s:early")

    def _motion(self) -> None:
        # motionLocked
        self._last_motion_event_elapsed = self._now()
        self._handle_motion_detected(self.era.ms("motion_inactive_to"), "motion")

    def _handle_motion_detected(self, timeout: int, kind: str) -> None:
        # handleMotionDetectedLocked: quick doze ignores motion unless it began while idling.
        if self._quick_doze and not self._quick_doze_while_idling:
            return
        self._maybe_stop_monitoring_motion()
        become_inactive = self._state != ACTIVE or self._light_state == OVERRIDE
        # Light only changes if deep idle had overridden it.
        self._become_active(kind, timeout, change_light=self._light_state == OVERRIDE)
        if become_inactive:
            self._become_inactive_if_appropriate()

    @transition
    def _on_any_motion_result(self, result: int) -> None:
        # onAnyMotionResult
        self._timers.pop("anymotion", None)
        if result != ANY_MOTION_UNKNOWN:
            self._cancel_sensing_timeout()
        if result in (ANY_MOTION_MOVED, ANY_MOTION_UNKNOWN):
            self._handle_motion_detected(self.era.ms("inactive_to"), "non_stationary")
        elif self._state == SENSING:
            self._not_moving = True
            self._step_idle_state("s:stationary")
        elif self._state == LOCATING:
            self._not_moving = True
            if self._located:
                self._step_idle_state("s:stationary")

    # ================================================================== pre-idle factor
    def set_pre_idle_timeout_mode(self, mode: int) -> int:
        # getPreIdleTimeoutByMode: 1 long, 2 short, anything else normal.
        factor = 1.0
        if mode == 1:
            factor = self.era.factor("pre_idle_factor_long")
        elif mode == 2:
            factor = self.era.factor("pre_idle_factor_short")
        return self._set_pre_idle_timeout_factor(factor)

    def _set_pre_idle_timeout_factor(self, ratio: float) -> int:
        # setPreIdleTimeoutFactor
        if not self._deep_enabled:
            return SET_IDLE_FACTOR_RESULT_NOT_SUPPORT
        if ratio <= MIN_PRE_IDLE_FACTOR_CHANGE:
            return SET_IDLE_FACTOR_RESULT_INVALID
        if abs(ratio - self._pre_idle_factor) < MIN_PRE_IDLE_FACTOR_CHANGE:
            return SET_IDLE_FACTOR_RESULT_IGNORED
        self._last_pre_idle_factor = self._pre_idle_factor
        self._pre_idle_factor = ratio
        self._post(self._update_pre_idle_factor)
        return SET_IDLE_FACTOR_RESULT_OK

    def reset_pre_idle_timeout_mode(self) -> None:
        self._last_pre_idle_factor = self._pre_idle_factor
        self._pre_idle_factor = 1.0
        self._post(self._update_pre_idle_factor, immediate_maintenance=True)

    def _update_pre_idle_factor(self, immediate_maintenance: bool = False) -> None:
        # updatePreIdleFactor: stretch or shrink a pending INACTIVE/IDLE_PENDING alarm.
        pending = self._next_alarm_time - self._now() if self._next_alarm_time else 0
        if (
            self._should_use_idle_timeout_factor()
            and self._state in (INACTIVE, IDLE_PENDING)
            and pending >= MIN_STATE_STEP_ALARM_CHANGE
        ):
            new_delay = int(pending / self._last_pre_idle_factor * self._pre_idle_factor)
            if abs(pending - new_delay) >= MIN_STATE_STEP_ALARM_CHANGE:
                self._schedule_alarm(new_delay, idle_until=False)
        # maybeDoImmediateMaintenance after a reset: idle longer than IDLE_TIMEOUT -> now.
        if (
            immediate_maintenance
            and self._state == IDLE
            and self._now() - self._idle_start_time > self.era.ms("idle_to")
        ):
            self._schedule_alarm(0, idle_until=False)

    # ================================================================== handler messages
    def _post(self, cb: Callable[..., None], **kwargs: Any) -> None:
        """A message to the controller's handler (MyHandler): runs when the current operation
        is over, in order, before the shell command that caused it returns."""
        self._messages.append((cb, kwargs))
        if self._depth == 0:
            self._drain()

    def _drain(self) -> None:
        self._flush_state()
        while self._messages:
            cb, kwargs = self._messages.popleft()
            self._depth += 1
            try:
                cb(**kwargs)
            finally:
                self._depth -= 1
            self._flush_state()

    def _report_idle_on(self) -> None:
        # MSG_REPORT_IDLE_ON
        self._pm_deep_idle, self._pm_light_idle = True, False

    def _report_idle_on_light(self) -> None:
        # MSG_REPORT_IDLE_ON_LIGHT
        self._pm_deep_idle, self._pm_light_idle = False, True

    def _report_active(self) -> None:
        # MSG_REPORT_ACTIVE
        self._pm_deep_idle, self._pm_light_idle = False, False

    def _report_idle_off(self) -> None:
        # MSG_REPORT_IDLE_OFF: each idle mode that ends sends an ordered broadcast whose
        # completion releases its op after MIN_DEEP / MIN_LIGHT_MAINTENANCE_TIME.
        deep_changed, light_changed = self._pm_deep_idle, self._pm_light_idle
        self._pm_deep_idle = self._pm_light_idle = False
        if deep_changed:
            self._active_idle_op_count += 1
            self.call_later(
                self.era.ms("min_deep_maintenance_time"),
                "DeviceIdleController.finish_idle_op",
                self._finish_idle_op,
            )
        if light_changed:
            self._active_idle_op_count += 1
            self.call_later(
                self.era.ms("min_light_maintenance_time"),
                "DeviceIdleController.finish_idle_op",
                self._finish_idle_op,
            )
        self._dec_active_idle_ops()

    @transition
    def _finish_idle_op(self) -> None:
        # MSG_FINISH_IDLE_OP
        self._dec_active_idle_ops()

    def _dec_active_idle_ops(self) -> None:
        self._active_idle_op_count -= 1
        if self._active_idle_op_count <= 0:
            self._exit_maintenance_early_if_needed()

    # ================================================================== alarms
    def _now(self) -> int:
        return self.device.clock.elapsed_ms()

    def _set_timer(self, slot: str, when: int, name: str, cb: Callable[[], None]) -> None:
        self._cancel_timer(slot)

        def fire() -> None:
            self._timers.pop(slot, None)
            cb()

        self._timers[slot] = self.call_at(when, name, fire)

    def _cancel_timer(self, slot: str) -> None:
        timer = self._timers.pop(slot, None)
        if timer is not None:
            timer.cancel()

    def _schedule_alarm(self, delay_ms: int, idle_until: bool) -> None:
        # scheduleAlarmLocked: a device that should use a motion sensor but has none gets no
        # alarm before the states past motion sensing, so it never idles on its own.
        if (
            self.use_motion_sensor
            and self.motion_sensor is None
            and self._state not in (QUICK_DOZE_DELAY, IDLE, IDLE_MAINTENANCE)
        ):
            return
        self._next_alarm_time = self._now() + delay_ms
        self._set_timer(
            "deep", self._next_alarm_time, "DeviceIdleController.deep", self._on_deep_alarm
        )

    def _cancel_alarm(self) -> None:
        if self._next_alarm_time != 0:
            self._next_alarm_time = 0
            self._cancel_timer("deep")

    def _schedule_light_alarm(self, delay_ms: int) -> None:
        self._next_light_alarm_time = self._now() + delay_ms
        self._set_timer(
            "light",
            self._next_light_alarm_time,
            "DeviceIdleController.light",
            self._on_light_alarm,
        )

    def _cancel_light_alarm(self) -> None:
        if self._next_light_alarm_time != 0:
            self._next_light_alarm_time = 0
            self._cancel_timer("light")

    def _schedule_sensing_timeout(self, delay_ms: int) -> None:
        self._next_sensing_timeout_alarm_time = self._now() + delay_ms
        self._set_timer(
            "sensing",
            self._next_sensing_timeout_alarm_time,
            "DeviceIdleController.sensing",
            self._on_sensing_timeout,
        )

    def _cancel_sensing_timeout(self) -> None:
        if self._next_sensing_timeout_alarm_time != 0:
            self._next_sensing_timeout_alarm_time = 0
            self._cancel_timer("sensing")

    def _cancel_locating(self) -> None:
        self._locating = False

    def _start_monitoring_motion(self) -> None:
        if self.motion_sensor is not None and not self._motion_active:
            self._motion_active = True
            self._motion_activated_elapsed = self._now()

    def _maybe_stop_monitoring_motion(self) -> None:
        # No stationary listeners are modelled, so monitoring always stops.
        if self.motion_sensor is not None and self._motion_active:
            self._motion_active = False

    # A fired alarm keeps its time in mNextAlarmTime & co. until the next one replaces it.
    @transition
    def _on_deep_alarm(self) -> None:
        # mDeepAlarmListener
        self._step_idle_state("s:alarm")

    @transition
    def _on_light_alarm(self) -> None:
        # mLightAlarmListener
        self._step_light_idle_state("s:alarm")

    @transition
    def _on_sensing_timeout(self) -> None:
        # mSensingTimeoutAlarmListener: restart the progression in case the device moved.
        if self._state == SENSING:
            self._become_inactive_if_appropriate()

    # ================================================================== bookkeeping
    def _move_to_state(self, state: str, reason: str) -> None:
        self._state = state
        self._deep_reason = reason
        self._event_log("device_idle", DEEP_STATE_VALUES[state], reason)

    def _move_to_light_state(self, state: str, reason: str) -> None:
        self._light_state = state
        self._light_reason = reason
        self._event_log("device_idle_light", LIGHT_STATE_VALUES[state], reason)

    def _add_event(self, cmd: int, reason: str | None) -> None:
        # addEvent: a repeat of the latest command is not recorded.
        if self.events and self.events[0].cmd == cmd:
            return
        self.events.insert(0, IdleEvent(cmd, self._now(), reason))
        del self.events[EVENT_BUFFER_SIZE:]

    def _event_log(self, tag: str, value: int | None, reason: str | None) -> None:
        # EventLogTags.writeDeviceIdle*: the "events" log buffer.
        message = "" if value is None else f"[{value},{reason}]"
        self.device.log.log("I", tag, message, pid=self.device.system_server_pid, buffer="events")

    def _flush_state(self) -> None:
        current = (self._state, self._light_state)
        if current == self._published:
            return
        # The deep transition's reason says more ("s:alarm") than light's OVERRIDE ("deep").
        reason = self._deep_reason if current[0] != self._published[0] else self._light_reason
        self._published = current
        self.system.bus.publish(
            "idle_state_changed",
            deep=self._state,
            light=self._light_state,
            deep_idle=self.is_deep_idle,
            light_idle=self.is_light_idle,
            reason=reason,
        )
