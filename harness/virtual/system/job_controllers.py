"""JobScheduler's StateControllers: what each one reads from the device and which bit it sets.

:class:`JobInputs` is JobScheduler's view of the rest of the device. It asks the other system
services when they run (looked up lazily, so this module imports without them) and otherwise
falls back to what their bus events said, the way JobScheduler only knows what broadcasts and
internal listeners tell it. :func:`evaluate_job` applies every controller to one job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.virtual.system.job_info import FLAG_IMPORTANT_WHILE_FOREGROUND
from harness.virtual.system.job_quota import (
    ACTIVE_INDEX,
    NEVER_INDEX,
    RESTRICTED_INDEX,
    HeartbeatEra,
    QuotaTracker,
    bucket_index,
)
from harness.virtual.system.job_status import (
    CONSTRAINT_APP_NOT_IDLE_O,
    CONSTRAINT_BACKGROUND_NOT_RESTRICTED,
    CONSTRAINT_BATTERY_NOT_LOW,
    CONSTRAINT_CHARGING,
    CONSTRAINT_DEADLINE,
    CONSTRAINT_DEVICE_NOT_DOZING,
    CONSTRAINT_IDLE,
    CONSTRAINT_STORAGE_NOT_LOW,
    CONSTRAINT_TARE_WEALTH,
    CONSTRAINT_TIMING_DELAY,
    CONSTRAINT_WITHIN_QUOTA,
    NO_EARLIEST_RUNTIME,
    NO_LATEST_RUNTIME,
    TRACKING_BATTERY,
    TRACKING_CONNECTIVITY,
    TRACKING_IDLE,
    TRACKING_QUOTA,
    TRACKING_STORAGE,
    TRACKING_TIME,
    JobStatus,
)

if TYPE_CHECKING:
    from harness.virtual.system.base import SystemServer

MINUTE = 60_000
# DeviceIdleJobsController.BACKGROUND_JOBS_DELAY: non-foreground jobs follow a Doze exit later.
BACKGROUND_JOBS_DELAY_MS = 3_000
# config_jobSchedulerInactivityIdleThreshold (31 min) and config_jobSchedulerIdleWindowSlop.
INACTIVITY_IDLE_THRESHOLD_MS = 31 * MINUTE
IDLE_WINDOW_SLOP_MS = 5 * MINUTE
# BatteryService's default low level (config_lowBatteryWarningLevel) for the fallback view.
LOW_BATTERY_WARNING_LEVEL = 15
# UsageStatsManager.STANDBY_BUCKET_ACTIVE, what JobScheduler assumes without usage stats.
STANDBY_BUCKET_ACTIVE = 10
RUN_ANY_IN_BACKGROUND = "RUN_ANY_IN_BACKGROUND"


@dataclass
class NetworkView:
    """One connected network as ConnectivityController sees it."""

    net_id: int
    transport: str  # "WIFI" or "CELLULAR"
    metered: bool
    roaming: bool = False
    validated: bool = True


class JobInputs:
    """Device state for the controllers, tolerant of services that are not there."""

    def __init__(self, system: SystemServer, on_change: Callable[[], None]) -> None:
        self.system = system
        self._on_change = on_change
        self.battery_tracker: Any = None
        self._plugged = True
        self._level = 100
        self._idle_mode: bool | None = None
        self._saver: bool | None = None
        self._buckets: dict[str, int] = {}
        self._bg_restricted: dict[str, bool] = {}
        self._temp_whitelisted: dict[str, int] = {}
        self._network_connected = True
        self._screen_on: bool | None = None

    def start(self) -> None:
        try:
            from harness.virtual.system.jobscheduler_battery import BatteryTracker

            # JobSchedulerService.onBootPhase(PHASE_SYSTEM_SERVICES_READY): BatteryStateTracker.
            self.battery_tracker = BatteryTracker(self.system)
            self.battery_tracker.add_listener(self._on_change)
        except (ImportError, LookupError):
            self.battery_tracker = None
        bus = self.system.bus
        bus.subscribe("battery_changed", self._on_battery_changed)
        bus.subscribe("idle_state_changed", self._on_idle_state)
        bus.subscribe("power_save_changed", self._on_power_save)
        bus.subscribe("bucket_changed", self._on_bucket)
        bus.subscribe("appop_changed", self._on_appop)
        bus.subscribe("temp_whitelist_changed", self._on_temp_whitelist)
        bus.subscribe("network_changed", self._on_network)
        # Besides these, the uid state changes JobScheduler's UidObservers hear of
        # (onUidStateChanged, onUidActive / onUidIdle / onUidGone): the top, foreground
        # services, the activity manager idling a uid (its settle minute over, or
        # make-uid-idle) and a process dying (its uid is gone).
        for event in (
            "whitelist_changed",
            "storage_changed",
            "top_changed",
            "fgs_started",
            "fgs_stopped",
            "uid_idle",
            "process_died",
        ):
            bus.subscribe(event, lambda **_: self._on_change())

    def close(self) -> None:
        if self.battery_tracker is not None:
            self.battery_tracker.close()

    def _service(self, module: str, cls: str) -> Any:
        import importlib

        try:
            klass = getattr(importlib.import_module(f"harness.virtual.system.{module}"), cls)
        except (ImportError, AttributeError):
            return None
        return self.system.maybe_service(klass)

    # ------------------------------------------------------------------ bus fallbacks
    def _on_battery_changed(self, plugged: str = "none", level: int = 100, **_: object) -> None:
        self._plugged = plugged != "none"
        self._level = level
        if self.battery_tracker is None:
            self._on_change()

    def _on_idle_state(
        self, deep_idle: bool = False, light_idle: bool = False, **_: object
    ) -> None:
        # DeviceIdleJobsController: ACTION_DEVICE_IDLE_MODE_CHANGED / LIGHT_..._CHANGED.
        self._idle_mode = bool(deep_idle or light_idle)
        self._on_change()

    def _on_power_save(self, enabled: bool, **_: object) -> None:
        self._saver = bool(enabled)
        self._on_change()

    def _on_bucket(self, package: str, bucket: int, **_: object) -> None:
        self._buckets[package] = int(bucket)
        self._on_change()

    def _on_appop(self, **payload: Any) -> None:
        package, op, mode = payload.get("package"), payload.get("op"), payload.get("mode")
        if package and op in (RUN_ANY_IN_BACKGROUND, 70, "run_any_in_background"):
            self._bg_restricted[package] = str(mode).lower() not in ("allow", "allowed", "0")
        self._on_change()

    def _on_temp_whitelist(self, package: str, until_elapsed_ms: int, **_: object) -> None:
        self._temp_whitelisted[package] = until_elapsed_ms
        self._on_change()

    def _on_network(self, connected: bool = True, **_: object) -> None:
        self._network_connected = bool(connected)
        self._on_change()

    # ------------------------------------------------------------------ battery, storage
    @property
    def charging(self) -> bool:
        """BatteryStateTracker.isCharging: ACTION_CHARGING/DISCHARGING from batterystats."""
        if self.battery_tracker is not None:
            return bool(self.battery_tracker.charging)
        return self._plugged

    @property
    def battery_not_low(self) -> bool:
        if self.battery_tracker is not None:
            return bool(self.battery_tracker.battery_not_low)
        return self._plugged or self._level > LOW_BATTERY_WARNING_LEVEL

    @property
    def stable_power(self) -> bool:
        """BatteryController: CHARGING is "charging and not low" (stable power)."""
        return self.charging and self.battery_not_low

    def _storage(self) -> Any:
        return self._service("storage", "DeviceStorageMonitorService")

    @property
    def storage_not_low(self) -> bool:
        storage = self._storage()
        return True if storage is None else bool(storage.storage_not_low)

    @property
    def storage_seq(self) -> int:
        storage = self._storage()
        return -1 if storage is None else int(storage.storage_seq)

    # ------------------------------------------------------------------ network
    def networks(self) -> list[NetworkView]:
        conn = self._service("connectivity", "ConnectivityService")
        if conn is None:
            return [NetworkView(100, "WIFI", False)] if self._network_connected else []
        return [
            NetworkView(n.net_id, n.transport, n.metered, n.roaming, n.validated)
            for n in conn.networks()
        ]

    # ------------------------------------------------------------------ doze, saver, apps
    def _doze(self) -> Any:
        return self._service("deviceidle", "DeviceIdleController")

    @property
    def device_idle_mode(self) -> bool:
        """mDeviceIdleMode = isDeviceIdleMode() || isLightDeviceIdleMode()."""
        if self._idle_mode is None:
            doze = self._doze()
            self._idle_mode = bool(doze and (doze.is_deep_idle or doze.is_light_idle))
        return self._idle_mode

    def is_doze_whitelisted(self, package: str) -> bool:
        """getPowerSaveWhitelistUserAppIds: the system and user whitelists, not except-idle."""
        doze = self._doze()
        return bool(doze and doze.is_whitelisted(package))

    def is_power_exempt(self, package: str) -> bool:
        """AppStateTracker's "except-idle + user exemption list" (mPowerExemptAllAppIds)."""
        doze = self._doze()
        if doze is None:
            return False
        check = getattr(doze, "is_except_idle_whitelisted", None) or doze.is_whitelisted
        return bool(check(package))

    def is_temp_whitelisted(self, package: str, uid: int, now: int) -> bool:
        doze = self._doze()
        if doze is not None:
            return bool(doze.is_temp_whitelisted(uid))
        return self._temp_whitelisted.get(package, 0) > now

    @property
    def battery_saver(self) -> bool:
        """AppStateTracker.mForceAllAppsStandby (battery saver's forceAllAppsStandby)."""
        power = self._service("power", "PowerManagerService")
        if power is not None:
            return bool(power.battery_saver_enabled)
        return bool(self._saver)

    @property
    def screen_on(self) -> bool:
        power = self._service("power", "PowerManagerService")
        if power is not None:
            return bool(power.screen_on)
        return True if self._screen_on is None else self._screen_on

    # ------------------------------------------------------------------ uid states
    # JobScheduler keeps three views of a uid, each fed by its own UidObserver: TOP, foreground
    # (TOP or a foreground service) and the activity manager's "active" (not idle).
    def _packages(self, uid: int) -> list[str]:
        pm = self._service("packages", "PackageManagerService")
        return [] if pm is None else [p.name for p in pm.by_uid(uid)]

    def _active_services(self) -> Any:
        return self._service("active_services", "ActiveServices")

    def uid_top(self, uid: int) -> bool:
        """procState TOP (QuotaController.mTopAppCache): a job that starts now is top-started
        (QuotaController.prepareForExecutionLocked)."""
        am = self._service("activity", "ActivityManagerService")
        return bool(am and am.uid_is_active(uid))

    def uid_foreground(self, uid: int) -> bool:
        """procState <= PROCESS_STATE_FOREGROUND_SERVICE: TOP or running a foreground service
        (QuotaController's UidObserver -> mForegroundUids, isUidInForeground)."""
        if self.uid_top(uid):
            return True
        services = self._active_services()
        return services is not None and any(
            services.has_foreground_service(p) for p in self._packages(uid)
        )

    def uid_active(self, uid: int) -> bool:
        """The activity manager's "active" uid (AppStateTrackerImpl.isUidActive, fed by
        onUidActive / onUidIdle): TOP, a foreground service, the temp allowlist
        (OomAdjuster.updateUidsLSP keeps an allowlisted uid active) and the settle minute
        after the last of them ended (BACKGROUND_SETTLE_TIME, ended early by ``am
        make-uid-idle``). A uid without a process has no UidRecord and is idle (onUidGone).
        Without ActiveServices: TOP."""
        if self.uid_top(uid):
            return True
        services = self._active_services()
        am = self._service("activity", "ActivityManagerService")
        if services is None or am is None:
            return False
        return any(
            am.process_of(p) is not None and services.is_uid_active(p) for p in self._packages(uid)
        )

    def raw_bucket(self, package: str) -> int:
        """UsageStatsManagerInternal.getAppStandbyBucket (ACTIVE without usage stats)."""
        usage = self._service("usagestats", "UsageStatsService")
        if usage is not None:
            return int(usage.bucket(package))
        return self._buckets.get(package, STANDBY_BUCKET_ACTIVE)

    def is_app_idle(self, package: str) -> bool:
        """Android 8 AppIdleController: isAppIdleFiltered (never idle while charging)."""
        usage = self._service("usagestats", "UsageStatsService")
        return bool(usage and usage.is_app_idle(package))

    def is_bg_restricted(self, package: str) -> bool:
        """RUN_ANY_IN_BACKGROUND not allowed (AppStateTracker.isRunAnyRestrictedLocked)."""
        appops = self._service("appops", "AppOpsService")
        if appops is not None and hasattr(appops, "is_background_restricted"):
            return bool(appops.is_background_restricted(package))
        return self._bg_restricted.get(package, False)


class IdlenessTracker:
    """IdleController's DeviceIdlenessTracker: idle once the screen has been off for the
    inactivity threshold, or at once on ACTION_TRIGGER_IDLE (``am idle-maintenance``)."""

    def __init__(self, service: Any, screen_on: bool) -> None:
        self._service = service
        self.screen_on = screen_on
        self.dock_idle = False
        self.idle = False
        self._timer: Any = None

    def on_screen(self, on: bool) -> None:
        if on:
            self.screen_on = True
            self.dock_idle = False
            self._cancel()
            self._set_idle(False)
        else:
            self.screen_on = False
            self.dock_idle = False
            self._arm()

    def on_dock(self, idle: bool) -> None:
        # ACTION_DOCK_IDLE / ACTION_DOCK_ACTIVE: ignored while the screen is off.
        if not self.screen_on:
            return
        self.dock_idle = idle
        if idle:
            self._arm()
        else:
            self._cancel()
            self._set_idle(False)

    def trigger(self) -> None:
        """handleIdleTrigger: "Do not set mIdle if screen is on" (unless dock-idle)."""
        if not self.idle and (not self.screen_on or self.dock_idle):
            self._set_idle(True)

    def _arm(self) -> None:
        self._cancel()
        # mAlarm.setWindow(ELAPSED_REALTIME_WAKEUP, now + threshold, slop): fires at the start.
        self._timer = self._service.call_later(
            INACTIVITY_IDLE_THRESHOLD_MS, "JS idleness", self.trigger
        )

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _set_idle(self, idle: bool) -> None:
        if self.idle != idle:
            self.idle = idle
            self._service.on_inputs_changed()


# ---------------------------------------------------------------------------------- controllers
@dataclass
class EvalContext:
    """What every controller needs for one pass over the jobs."""

    now: int
    api_level: int
    inputs: JobInputs
    idle: bool
    doze_mode: bool  # the controller's view for foreground uids
    doze_mode_background: bool  # ... and for the rest (3 s behind on a Doze exit)
    quota: QuotaTracker | None
    heartbeat: HeartbeatEra | None
    networks: list[NetworkView]
    running: set[tuple[str, int]]
    top_started: set[tuple[str, int]]


def evaluate_job(job: JobStatus, ctx: EvalContext) -> None:
    """Apply every controller to ``job`` (maybeStartTrackingJobLocked + the state updates)."""
    api, now, inputs = ctx.api_level, ctx.now, ctx.inputs
    # BackgroundJobsController.updateSingleJobRestrictionLocked: JobStatus.setUidActive with
    # AppStateTracker.isUidActive (the settle minute after the top counts).
    uid_active = inputs.uid_active(job.uid)
    # QuotaController.isUidInForeground: TOP or a foreground service, nothing after that.
    foreground = inputs.uid_foreground(job.uid)
    job.uid_active = uid_active if api >= 28 else False
    job.set_standby_bucket(bucket_index(inputs.raw_bucket(job.package), api))
    tracking = TRACKING_QUOTA if api >= 29 else 0
    # The controllers in JobSchedulerService.mControllers order, which is the order a new
    # job's constraint history shows them in.

    # ConnectivityController: the default network, else any other available one that fits.
    bit = job.network_constraint_bit
    if bit:
        tracking |= TRACKING_CONNECTIVITY
        fits = [
            n
            for n in ctx.networks
            if n.validated
            and job.network_satisfied_by(n.metered, n.roaming, n.transport == "CELLULAR")
        ]
        job.set_constraint(bit, bool(fits), now)

    # TimeController: delay satisfied at the earliest run time, deadline at the latest.
    if job.earliest != NO_EARLIEST_RUNTIME or job.latest != NO_LATEST_RUNTIME:
        tracking |= TRACKING_TIME
    if job.earliest != NO_EARLIEST_RUNTIME:
        job.set_constraint(CONSTRAINT_TIMING_DELAY, job.earliest <= now, now)
    if job.latest != NO_LATEST_RUNTIME:
        job.set_constraint(CONSTRAINT_DEADLINE, job.latest <= now, now)

    # IdleController: the idleness tracker's verdict.
    if job.has(CONSTRAINT_IDLE):
        tracking |= TRACKING_IDLE
        job.set_constraint(CONSTRAINT_IDLE, ctx.idle, now)

    # BatteryController: charging means stable power; both bits for jobs with a power need.
    if job.has(CONSTRAINT_CHARGING | CONSTRAINT_BATTERY_NOT_LOW):
        tracking |= TRACKING_BATTERY
        job.set_constraint(CONSTRAINT_CHARGING, inputs.stable_power, now)
        job.set_constraint(CONSTRAINT_BATTERY_NOT_LOW, inputs.battery_not_low, now)

    # StorageController: ACTION_DEVICE_STORAGE_LOW / OK.
    if job.has(CONSTRAINT_STORAGE_NOT_LOW):
        tracking |= TRACKING_STORAGE
        job.set_constraint(CONSTRAINT_STORAGE_NOT_LOW, inputs.storage_not_low, now)

    temp = inputs.is_temp_whitelisted(job.package, job.uid, now)
    if ctx.quota is not None:
        # QuotaController decides EJ approval first: battery saver and Doze exemptions of
        # expedited jobs depend on it (BackgroundJobsController.evaluateStateLocked).
        _expedited_quota(job, ctx, foreground, temp)
    if api >= 28:
        _background_jobs_controller(job, inputs, uid_active, temp, now)
    else:
        # AppIdleController.maybeStartTrackingJobLocked (Android 8): appIdle = !parole &&
        # isAppIdle(pkg), no uid state; using the app (top) is what makes it not idle.
        job.set_constraint(CONSTRAINT_APP_NOT_IDLE_O, not inputs.is_app_idle(job.package), now)

    # DeviceIdleJobsController.updateTaskStateLocked. Its mForegroundUids come from
    # setUidActiveLocked, which JobSchedulerService calls on MSG_UID_ACTIVE / MSG_UID_IDLE /
    # MSG_UID_GONE: the activity manager's active uids. updateIdleMode re-evaluates their jobs
    # at once on a Doze exit, the rest after BACKGROUND_JOBS_DELAY.
    whitelisted = inputs.is_doze_whitelisted(job.package)
    job.app_has_doze_exemption = whitelisted
    allow_in_idle = bool(job.job.flags & FLAG_IMPORTANT_WHILE_FOREGROUND) and (uid_active or temp)
    dozing = ctx.doze_mode if uid_active else ctx.doze_mode_background
    job.set_constraint(
        CONSTRAINT_DEVICE_NOT_DOZING, not dozing or whitelisted or allow_in_idle, now
    )

    if ctx.quota is not None:
        _quota_controller(job, ctx, foreground)
    if 33 <= api <= 35:
        # TareController with TARE disabled (enable_tare=false): every job can afford to run.
        job.set_constraint(CONSTRAINT_TARE_WEALTH, True, now)
    job.tracking = tracking


def _background_jobs_controller(
    job: JobStatus, inputs: JobInputs, uid_active: bool, temp: bool, now: int
) -> None:
    """BackgroundJobsController.updateSingleJobRestrictionLocked with
    AppStateTrackerImpl.areJobsRestricted: active uids, the power-save exemption list and the
    temp allowlist are never restricted; RUN_ANY_IN_BACKGROUND denial always is; battery saver
    is, unless the job can run in battery saver."""
    bg_restricted = inputs.is_bg_restricted(job.package)
    job.is_user_bg_restricted = bg_restricted
    if uid_active or inputs.is_power_exempt(job.package) or temp:
        restricted = False
    elif bg_restricted:
        restricted = True
    elif job.can_run_in_battery_saver():
        restricted = False
    else:
        restricted = inputs.battery_saver
    job.set_constraint(CONSTRAINT_BACKGROUND_NOT_RESTRICTED, not restricted, now)


def _quota_controller(job: JobStatus, ctx: EvalContext, foreground: bool) -> None:
    """QuotaController.isWithinQuotaLocked(JobStatus): TOP-started jobs and foreground uids
    (isUidInForeground: TOP or a foreground service) are within quota; NEVER never is;
    charging frees every bucket but RESTRICTED."""
    quota, now, inputs = ctx.quota, ctx.now, ctx.inputs
    assert quota is not None
    bucket = job.effective_bucket()
    if job.key in ctx.top_started or foreground:
        within = True
    elif bucket == NEVER_INDEX:
        within = False
    elif inputs.charging and bucket != RESTRICTED_INDEX:
        within = True  # "Quota constraint is not enforced while charging."
    else:
        within = quota.within_quota(job.package, bucket, now, job.key in ctx.running)
    job.set_constraint(CONSTRAINT_WITHIN_QUOTA, within, now)


def _expedited_quota(job: JobStatus, ctx: EvalContext, foreground: bool, temp: bool) -> None:
    """QuotaController.isWithinEJQuotaLocked: TOP, foreground and temp-allowlisted apps are
    within EJ quota, others while their EJ time (per the real standby bucket) lasts."""
    quota = ctx.quota
    assert quota is not None
    if not job.is_requested_ej or not quota.era.ej_limit_ms:
        return
    top_started = job.key in ctx.top_started
    job.set_ej_quota_approved(within_ej_quota(job, quota, ctx.now, foreground, temp, top_started))


def within_ej_quota(
    job: JobStatus, quota: QuotaTracker, now: int, foreground: bool, temp: bool, top_started: bool
) -> bool:
    """QuotaController.isWithinEJQuotaLocked: a TOP-started job, a foreground app
    (isUidInForeground: TOP or a foreground service), a temp-allowlisted one or one within
    3 minutes of leaving the temp allowlist (neither in the RESTRICTED bucket), one within a
    minute of leaving the top; else EJ time left in the window (per the real standby
    bucket)."""
    if top_started or foreground:
        return True
    if quota.ej_exempt(job.package, job.effective_bucket(), now, temp, top=False):
        return True
    return quota.remaining_ej_ms(job.package, job.standby_bucket, now) > 0


def heartbeat_allows(job: JobStatus, ctx: EvalContext, current: int, last_ran: int | None) -> bool:
    """Android 9 isReadyToBeExecutedLocked standby check: parole (charging), active uids and
    ACTIVE apps run; others wait STANDBY_BEATS[bucket] heartbeats after the app's last run."""
    era = ctx.heartbeat
    if era is None or ctx.inputs.charging or job.uid_active:
        return True
    bucket = job.standby_bucket
    if bucket == ACTIVE_INDEX:
        return True
    if bucket >= len(era.beats):
        return False  # NEVER
    app_last_ran = -1000 if last_ran is None else last_ran
    return not (current > app_last_ran and current < app_last_ran + era.beats[bucket])
