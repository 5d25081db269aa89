"""JobSchedulerService: scheduled jobs, their constraints, Doze/standby/battery-saver gating,
execution through the app models, persistence across reboots, ``cmd`` and ``dumpsys``.

App models use the Python API (``schedule``, ``cancel``, ``cancel_all``, ``get_pending_jobs``,
``get_pending_job``, ``job_finished``); the system calls their ``on_start_job`` /
``on_stop_job`` hooks with a :class:`JobParameters`, asynchronously, as binder calls to a
JobService are. The rules live in small modules: constraints and readiness in
:mod:`job_status`, the controllers in :mod:`job_controllers`, standby quotas in
:mod:`job_quota`, the check after every change in :mod:`job_queue`, running jobs in
:mod:`job_execution`, the persisted store in :mod:`job_store`, the shell in :mod:`job_shell`,
the dump in :mod:`job_dump`.

Events: ``job_started(package, uid, job_id, tag, expedited)`` and ``job_stopped(package, uid,
job_id, tag, reason)``; ``tag`` is the job's battery name (``pkg/.Service``, what
BatteryStats.noteJobStart gets) and ``reason`` the internal stop reason JobServiceContext gives
BatteryStats.noteJobFinish (JobParameters.INTERNAL_STOP_REASON_*, 10 for a normal finish).

The service owns the ``jobscheduler`` binder name; ``order`` is above the temporary battery
stub's so that, while both exist, SystemServer._by_name maps the name to this service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.job_constants import NAMESPACE as CONFIG_NAMESPACE
from harness.virtual.system.job_constants import JobConstants
from harness.virtual.system.job_controllers import (
    BACKGROUND_JOBS_DELAY_MS,
    IdlenessTracker,
    JobInputs,
    within_ej_quota,
)
from harness.virtual.system.job_execution import (
    MAX_ALLOWED_PERIOD_MS,
    CompletedJob,
    JobExecution,
    RunningJob,
)
from harness.virtual.system.job_info import (
    BIND_JOB_SERVICE,
    MIN_FLEX_MILLIS,
    MIN_PERIOD_MILLIS,
    NETWORK_TYPE_NONE,
    IllegalArgumentException,
    IllegalStateException,
    JobInfo,
    SecurityException,
    qualify_service,
)
from harness.virtual.system.job_queue import JobQueue
from harness.virtual.system.job_quota import (
    HeartbeatEra,
    QuotaTracker,
    bucket_index,
    quota_era,
)
from harness.virtual.system.job_status import (
    INTERNAL_FLAG_HAS_FOREGROUND_EXEMPTION,
    INTERNAL_STOP_REASON_CANCELED,
    INTERNAL_STOP_REASON_DATA_CLEARED,
    INTERNAL_STOP_REASON_SUCCESSFUL_FINISH,
    INTERNAL_STOP_REASON_UNINSTALL,
    INTERNAL_STOP_REASON_UNKNOWN,
    NO_EARLIEST_RUNTIME,
    NO_LATEST_RUNTIME,
    OVERRIDE_FULL,
    OVERRIDE_NONE,
    OVERRIDE_SOFT,
    OVERRIDE_SORTING,
    STOP_REASON_CANCELLED_BY_APP,
    STOP_REASON_UNDEFINED,
    STOP_REASON_USER,
    JobStatus,
)
from harness.virtual.system.job_store import JobStore

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.shell.registry import Invocation

log = logging.getLogger(__name__)

RESULT_FAILURE = 0
RESULT_SUCCESS = 1
MAX_JOBS_PER_APP = 150  # JobSchedulerService.MAX_JOBS_PER_APP
ACCESS_NETWORK_STATE = "android.permission.ACCESS_NETWORK_STATE"
RECEIVE_BOOT_COMPLETED = "android.permission.RECEIVE_BOOT_COMPLETED"


@dataclass
class JobParameters:
    """android.app.job.JobParameters as onStartJob/onStopJob receive it."""

    job_id: int
    extras: dict[str, Any]
    network: str | None  # the Network (its netId) that satisfied the constraint, or None
    is_expedited_job: bool
    is_override_deadline_expired: bool
    transient_extras: dict[str, Any] = field(default_factory=dict)
    stop_reason: int = STOP_REASON_UNDEFINED  # getStopReason (API 31)
    internal_stop_reason: int = INTERNAL_STOP_REASON_UNKNOWN
    debug_stop_reason: str = ""

    @property
    def expedited(self) -> bool:
        return self.is_expedited_job


@system_service
class JobSchedulerService(JobQueue, JobExecution, SystemService):
    names = ("jobscheduler",)
    # After activity (20), deviceidle (20), power (30) and usage stats (35), whose state it reads
    # at start; above the battery stub (1), which it replaces as the jobscheduler binder.
    order = 40

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.jobs: dict[tuple[str, int], JobStatus] = {}
        self.running: dict[tuple[str, int], RunningJob] = {}
        self.pending: list[tuple[str, int]] = []
        self.completed: list[CompletedJob] = []
        era = quota_era(self.api_level)
        self.quota: QuotaTracker | None = QuotaTracker(era) if era else None
        self.heartbeat = HeartbeatEra() if self.api_level == 28 else None
        self.heartbeat_last_ran: dict[str, int] = {}
        self.heartbeat_offset = 0  # beats added by ``cmd jobscheduler heartbeat N``
        self.inputs = JobInputs(system, self.on_inputs_changed)
        self.store = JobStore(self)
        self.constants = JobConstants()
        # ``cmd jobscheduler cache-config-changes on``: the flags as last pulled, else None.
        self.config_cache: dict[str, str] | None = None
        self.idleness: IdlenessTracker | None = None
        self.reported_active = False
        self._doze_mode = False
        self._doze_mode_background = False
        self._doze_timer: Timer | None = None
        self._check_timer: Timer | None = None
        self._checking = False
        self._dirty = False
        self._started = False

    # ================================================================== lifecycle
    def start(self) -> None:
        bus = self.system.bus
        # Before the inputs' own subscriptions, which re-evaluate the jobs at once: the EJ
        # grace periods must be known by then.
        bus.subscribe("top_changed", self._on_top_for_quota)
        bus.subscribe("temp_whitelist_changed", self._on_temp_allowlist_for_quota)
        self.inputs.start()
        self._doze_mode = self._doze_mode_background = self.inputs.device_idle_mode
        self.idleness = IdlenessTracker(self, self.inputs.screen_on)
        bus.subscribe("screen_changed", self._on_screen)
        bus.subscribe("idle_state_changed", self._on_idle_state)
        bus.subscribe("process_died", self._on_process_died)
        bus.subscribe("package_force_stopped", self._on_force_stopped)
        bus.subscribe("package_removed", self._on_package_removed)
        bus.subscribe("package_data_cleared", self._on_data_cleared)
        bus.subscribe("device_config_changed", self._on_device_config)
        # ACTION_PACKAGE_CHANGED: the jobs' components are checked again (readyComponentEnabled).
        bus.subscribe("component_enabled_changed", self._on_component_changed)
        self._load_config()
        self._register_am_command()
        # JobStore.readJobMapFromDisk: the persisted jobs, back in elapsed time.
        for job in self.store.load():
            self.jobs[job.key] = job
        self._started = True
        self.on_inputs_changed()

    def shutdown(self) -> None:
        # A phone's clean shutdown (ShutdownThread: ACTION_SHUTDOWN, then the activity and
        # package managers' shutdown) takes seconds, longer than JobStore's batched write
        # (JOB_PERSIST_DELAY, 2 s), so a change made just before ``adb reboot`` is on disk
        # afterwards; the virtual reboot is instant, so the pending write happens now.
        self.store.flush()
        self.inputs.close()

    # ================================================================== DeviceConfig
    def _config_values(self) -> dict[str, str]:
        """The ``jobscheduler`` flags; Android 12 moved these constants to DeviceConfig."""
        if self.api_level < 31:
            return {}
        from harness.virtual.system.device_config import DeviceConfigService

        config = self.system.maybe_service(DeviceConfigService)
        return config.properties(CONFIG_NAMESPACE) if config is not None else {}

    def _load_config(self) -> None:
        """ConstantsObserver.onPropertiesChanged: the batching constants and QuotaController's
        QcConstants from the current flags."""
        values = self._config_values()
        self.constants = JobConstants.from_config(values)
        if self.quota is not None:
            self.quota.configure(values)
        if self.config_cache is not None:
            self.config_cache = dict(values)

    def _on_device_config(self, namespace: str, **_: object) -> None:
        if namespace != CONFIG_NAMESPACE or self.api_level < 31:
            return
        self._load_config()
        self.on_inputs_changed()  # MSG_CHECK_JOB after every change

    def set_cache_config_changes(self, enabled: bool) -> None:
        """setCacheConfigChangesLocked: pull the flags when turned on, forget them when off."""
        if enabled and self.config_cache is None:
            self.config_cache = dict(self._config_values())
        elif not enabled:
            self.config_cache = None

    def config_value(self, key: str) -> str | None:
        """getConfigValue: the cached flag, None unless caching is on."""
        return None if self.config_cache is None else self.config_cache.get(key)

    def _register_am_command(self) -> None:
        from harness.virtual.system.activity import ActivityManagerService

        am = self.system.maybe_service(ActivityManagerService)
        if am is None:
            return

        async def idle_maintenance(inv: Invocation, args: list[str]) -> int:
            # ActivityManagerShellCommand.runIdleMaintenance -> ACTION_TRIGGER_IDLE.
            inv.outln("Performing idle maintenance...")
            if self.idleness is not None:
                self.idleness.trigger()
            return 0

        am.register_am_command("idle-maintenance", idle_maintenance)

    # ================================================================== Python API (apps)
    def schedule(self, package: str, job: JobInfo) -> int:
        """JobScheduler.schedule: RESULT_SUCCESS, RESULT_FAILURE for an expedited job without
        expedited-job quota, or a Java exception as the app would get."""
        pkg = self._package(package)
        if pkg is None:
            return RESULT_FAILURE
        job = job.copy()
        job.service = qualify_service(package, job.service)
        job.validate(self.api_level)
        self._enforce_valid_job_request(package, job)
        if job.persisted and not pkg.holds(RECEIVE_BOOT_COMPLETED):
            raise IllegalArgumentException(
                "Error: requested job be persisted without holding RECEIVE_BOOT_COMPLETED"
                " permission."
            )
        if (
            job.network_type != NETWORK_TYPE_NONE
            and self.api_level >= 34
            and pkg.target_sdk >= 34
            and not pkg.holds(ACCESS_NETWORK_STATE)
        ):
            # Android 14: REQUIRE_NETWORK_PERMISSIONS_FOR_CONNECTIVITY_JOBS.
            raise SecurityException(
                f"{ACCESS_NETWORK_STATE} required for jobs with a connectivity constraint"
            )
        key = (package, job.job_id)
        status = self._new_status(package, pkg.uid, job)
        # JobSchedulerService.scheduleAsPackage (apex/jobscheduler/service/java/com/android/
        # server/job/JobSchedulerService.java): "Return failure early if expedited job quota
        # used up." -- if (jobStatus.isRequestedExpeditedJob() && !mQuotaController
        # .isWithinEJQuotaLocked(jobStatus)) return RESULT_FAILURE; before the per-app limit.
        if status.is_requested_ej and not self._within_ej_quota(status):
            return RESULT_FAILURE
        if (
            key not in self.jobs
            and sum(1 for k in self.jobs if k[0] == package) >= MAX_JOBS_PER_APP
        ):
            raise IllegalStateException(
                f"Apps may not schedule more than {MAX_JOBS_PER_APP} distinct jobs"
            )
        # maybeAddForegroundExemption(mIsUidActivePredicate): no time constraints and scheduled
        # by an active uid (AppStateTracker.isUidActiveSynced), which includes "the 1 minute
        # foreground grace period" after leaving the top.
        no_time = not job.has_early_constraint and not job.has_late_constraint
        if no_time and self.inputs.uid_active(pkg.uid):
            status.internal_flags |= INTERNAL_FLAG_HAS_FOREGROUND_EXEMPTION
        old = self.jobs.get(key)
        self.jobs[key] = status
        if old is not None:
            # "Implicitly replaces the existing job record with the new instance".
            self._cancel_job(old, STOP_REASON_CANCELLED_BY_APP, "job rescheduled by app")
        self.store.changed()
        self.on_inputs_changed()
        return RESULT_SUCCESS

    def cancel(self, package: str, job_id: int) -> None:
        """JobScheduler.cancel: the job goes; a running one gets onStopJob first."""
        job = self.jobs.pop((package, job_id), None)
        if job is not None:
            reason = f"cancel() called by app, callingUid={job.uid} uid={job.uid} jobId={job_id}"
            self._cancel_job(job, STOP_REASON_CANCELLED_BY_APP, reason)
            self.store.changed()
            self.on_inputs_changed()

    def cancel_all(self, package: str) -> None:
        """JobScheduler.cancelAll."""
        if self._cancel_package(package, STOP_REASON_CANCELLED_BY_APP, "cancelAll() called by app"):
            self.on_inputs_changed()

    def get_pending_jobs(self, package: str) -> list[JobInfo]:
        """JobScheduler.getAllPendingJobs: every job of the app, running ones included."""
        return [j.job.copy() for k, j in sorted(self.jobs.items()) if k[0] == package]

    def get_pending_job(self, package: str, job_id: int) -> JobInfo | None:
        job = self.jobs.get((package, job_id))
        return job.job.copy() if job is not None else None

    def job_finished(self, package: str, job_id: int, wants_reschedule: bool) -> None:
        """JobService.jobFinished from the app model."""
        run = self.running.get((package, job_id))
        if run is None:
            return  # a stale callback: the job is no longer running
        if run.verb == "starting":
            run.finished_early = wants_reschedule
        elif run.verb == "stopping":
            self._complete(run, wants_reschedule)
        else:
            self._set_stop(
                run,
                STOP_REASON_UNDEFINED,
                INTERNAL_STOP_REASON_SUCCESSFUL_FINISH,
                "app called jobFinished",
            )
            self._complete(run, wants_reschedule)

    # ================================================================== queries
    def job(self, package: str, job_id: int) -> JobStatus | None:
        return self.jobs.get((package, job_id))

    def is_running(self, package: str, job_id: int) -> bool:
        return (package, job_id) in self.running

    def job_state_tokens(self, job: JobStatus) -> list[str]:
        """The words ``get-job-state`` prints for a job, in print order."""
        words = []
        if job.key in self.pending:
            words.append("pending")
        if job.key in self.running:
            words.append("active")
        if not job.component_enabled:
            words.append("no-component")
        if job.is_ready():
            words.append("ready")
        return words or ["waiting"]

    @property
    def battery(self) -> Any:
        """JobScheduler's BatteryStateTracker (jobscheduler_battery.BatteryTracker), if any."""
        return self.inputs.battery_tracker

    @property
    def charging(self) -> bool:
        return self.inputs.charging

    @property
    def battery_not_low(self) -> bool:
        return self.inputs.battery_not_low

    # ================================================================== scheduling internals
    def _package(self, package: str) -> Any:
        from harness.virtual.system.packages import PackageManagerService

        return self.system.service(PackageManagerService).get(package)

    def _enforce_valid_job_request(self, package: str, job: JobInfo) -> None:
        """enforceValidJobRequest: the service must exist in the app and require
        BIND_JOB_SERVICE."""
        pkg = self._package(package)
        component = f"ComponentInfo{{{package}/{job.service}}}"
        manifest = pkg.manifest if pkg is not None else None
        if manifest is None:
            if pkg is not None and pkg.system:
                return
            raise IllegalArgumentException(
                f"Tried to schedule job for non-existent component: {component}"
            )
        service = next((s for s in manifest.services if s.name == job.service), None)
        if service is None:
            raise IllegalArgumentException(f"No such service {component}")
        if service.permission != BIND_JOB_SERVICE:
            raise IllegalArgumentException(
                f"Scheduled service {component} does not require {BIND_JOB_SERVICE} permission"
            )

    def _within_ej_quota(self, status: JobStatus) -> bool:
        """QuotaController.isWithinEJQuotaLocked for a job about to be scheduled."""
        if self.quota is None or not self.quota.era.ej_limit_ms:
            return True
        now = self._now()
        # isUidInForeground: TOP or a foreground service (QuotaController.mForegroundUids).
        foreground = self.inputs.uid_foreground(status.uid)
        temp = self.inputs.is_temp_whitelisted(status.package, status.uid, now)
        return within_ej_quota(status, self.quota, now, foreground, temp, top_started=False)

    def _new_status(
        self,
        package: str,
        uid: int,
        job: JobInfo,
        earliest: int | None = None,
        latest: int | None = None,
    ) -> JobStatus:
        """JobStatus.createFromJobInfo: run-time window from the JobInfo and now."""
        now = self._now()
        if earliest is None or latest is None:
            if job.is_periodic:
                period = max(MIN_PERIOD_MILLIS, min(MAX_ALLOWED_PERIOD_MS, job.interval_ms))
                latest = now + period
                flex = max(MIN_FLEX_MILLIS, min(period, job.flex_ms or period))
                earliest = latest - flex
            else:
                earliest = (
                    now + job.min_latency_ms
                    if job.min_latency_ms is not None
                    else NO_EARLIEST_RUNTIME
                )
                latest = (
                    now + job.override_deadline_ms
                    if job.override_deadline_ms is not None
                    else NO_LATEST_RUNTIME
                )
        bucket = bucket_index(self.inputs.raw_bucket(package), self.api_level)
        return JobStatus(
            job=job,
            package=package,
            uid=uid,
            api_level=self.api_level,
            enqueue_time=now,
            earliest=earliest,
            latest=latest,
            original_latest=latest,
            standby_bucket=bucket,
        )

    def _now(self) -> int:
        return self.device.clock.elapsed_ms()

    # ================================================================== state changes
    def on_inputs_changed(self) -> None:
        """Something a controller watches changed: re-evaluate all jobs (onControllerStateChanged
        -> MSG_CHECK_JOB)."""
        if not self._started:
            return
        if self._checking:
            self._dirty = True
            return
        self._checking = True
        try:
            while True:
                self._dirty = False
                self._check()
                if not self._dirty:
                    break
        finally:
            self._checking = False

    # ------------------------------------------------------------------ EJ grace periods
    def _ej_quota(self) -> QuotaTracker | None:
        return self.quota if self.quota is not None and self.quota.era.ej_limit_ms else None

    def _on_top_for_quota(
        self, package: str, previous: str | None = None, **_: object
    ) -> None:
        """QuotaController's UidObserver: leaving TOP starts the top-app grace period (EJs stay
        exempt), MSG_END_GRACE_PERIOD re-evaluates the app when it is over."""
        quota = self._ej_quota()
        if quota is None:
            return
        quota.became_top(package)
        if previous is not None and previous != package:
            grace = quota.left_top(previous, self._now())
            self.call_later(grace, "QuotaController.end_grace_period", self.on_inputs_changed)

    def _on_temp_allowlist_for_quota(
        self, package: str, until_elapsed_ms: int, **_: object
    ) -> None:
        """TempAllowlistTracker.onAppRemoved: the temp-allowlist grace period starts."""
        quota = self._ej_quota()
        if quota is None or until_elapsed_ms != 0:
            return
        grace = quota.left_temp_allowlist(package, self._now())
        self.call_later(grace, "QuotaController.end_grace_period", self.on_inputs_changed)

    def _on_screen(self, on: bool, **_: object) -> None:
        if self.idleness is not None:
            self.idleness.on_screen(on)
        self.on_inputs_changed()

    def _on_idle_state(
        self, deep_idle: bool = False, light_idle: bool = False, **_: object
    ) -> None:
        """DeviceIdleJobsController.updateIdleMode: entering applies to every job at once; on
        leaving, the jobs of its foreground uids (the activity manager's active uids, from
        setUidActiveLocked) update at once and the rest after 3 s."""
        idle = bool(deep_idle or light_idle)
        if idle == self._doze_mode:
            return
        self._doze_mode = idle
        if self._doze_timer is not None:
            self._doze_timer.cancel()
            self._doze_timer = None
        if idle:
            self._doze_mode_background = True
        else:

            def release() -> None:
                self._doze_timer = None
                self._doze_mode_background = False
                self.on_inputs_changed()

            self._doze_timer = self.call_later(
                BACKGROUND_JOBS_DELAY_MS, "DeviceIdleJobsController.background", release
            )
        self.on_inputs_changed()

    def _on_process_died(self, package: str, **_: object) -> None:
        # JobServiceContext.onServiceDisconnected: "unexpectedly disconnected", rescheduled.
        for run in [r for r in self.running.values() if r.job.package == package]:
            self._set_stop(
                run,
                STOP_REASON_UNDEFINED,
                INTERNAL_STOP_REASON_UNKNOWN,
                "unexpectedly disconnected",
            )
            self._complete(run, True)

    def _on_component_changed(self, package: str, **_: object) -> None:
        if any(k[0] == package for k in self.jobs):
            self.on_inputs_changed()

    def _on_force_stopped(self, package: str, **_: object) -> None:
        # ACTION_PACKAGE_RESTARTED: cancelJobsForPackageAndUidLocked(..., "app force stopped").
        if self._cancel_package(package, STOP_REASON_USER, "app force stopped"):
            self.on_inputs_changed()

    def _on_package_removed(self, package: str, **_: object) -> None:
        # ACTION_PACKAGE_REMOVED (not replacing): "app uninstalled".
        if self._cancel_package(
            package, STOP_REASON_USER, "app uninstalled", INTERNAL_STOP_REASON_UNINSTALL
        ):
            self.on_inputs_changed()
        self.heartbeat_last_ran.pop(package, None)
        if self.quota is not None:
            self.quota.forget(package)

    def _on_data_cleared(self, package: str, **_: object) -> None:
        # clearApplicationUserData force-stops the app (ACTION_PACKAGE_RESTARTED).
        if self._cancel_package(
            package, STOP_REASON_USER, "app data cleared", INTERNAL_STOP_REASON_DATA_CLEARED
        ):
            self.on_inputs_changed()

    def _cancel_package(
        self,
        package: str,
        stop_reason: int,
        debug: str,
        internal: int = INTERNAL_STOP_REASON_CANCELED,
    ) -> bool:
        keys = [k for k in self.jobs if k[0] == package]
        for key in keys:
            job = self.jobs.pop(key)
            self._cancel_job(job, stop_reason, debug, internal)
        if keys:
            self.store.changed()
        return bool(keys)

    def _cancel_job(
        self,
        job: JobStatus,
        stop_reason: int,
        debug: str,
        internal: int = INTERNAL_STOP_REASON_CANCELED,
    ) -> None:
        """cancelJobImplLocked: out of the pending queue; a running one is stopped."""
        if job.key in self.pending:
            self.pending.remove(job.key)
        run = self.running.get(job.key)
        if run is not None and run.job is job:
            self._stop(run, stop_reason, internal, debug)

    # ================================================================== shell-facing
    def execute_run(
        self, package: str, user: int, job_id: int, satisfied: bool, force: bool
    ) -> int:
        """executeRunCommand: 0, or CMD_ERR_NO_PACKAGE/NO_JOB/CONSTRAINTS."""
        from harness.virtual.system.job_shell import (
            CMD_ERR_CONSTRAINTS,
            CMD_ERR_NO_JOB,
            CMD_ERR_NO_PACKAGE,
        )

        if self._package(package) is None or user not in (0, -1, -2):
            return CMD_ERR_NO_PACKAGE
        job = self.jobs.get((package, job_id))
        if job is None:
            return CMD_ERR_NO_JOB
        if self.api_level >= 33:
            job.override_state = (
                OVERRIDE_FULL if force else OVERRIDE_SORTING if satisfied else OVERRIDE_SOFT
            )
        else:
            job.override_state = OVERRIDE_FULL if force else OVERRIDE_SOFT
        # Re-evaluate with the override in place, then queue what is ready (no batching).
        self._check()
        if not job.is_constraints_satisfied():
            job.override_state = OVERRIDE_NONE
            return CMD_ERR_CONSTRAINTS
        ctx = self._eval_context(self._now())
        if self._ready_to_execute(job, ctx):
            self.pending.append(job.key)
        self.on_inputs_changed()
        return 0

    def stop_running(
        self,
        package: str | None,
        user: int,
        job_id: int | None,
        reason: int,
        internal: int,
        debug: str,
    ) -> list[JobStatus]:
        """timeoutIfExecutingLocked / stopIfExecutingLocked for matching executing jobs."""
        stopped = []
        for run in list(self.running.values()):
            job = run.job
            if package is not None and job.package != package:
                continue
            if user not in (-1, 0):
                continue
            if job_id is not None and job.job_id != job_id:
                continue
            if run.verb != "executing":
                continue
            self._stop(run, reason, internal, debug)
            stopped.append(job)
        return stopped

    def cancel_from_shell(self, package: str, job_id: int | None) -> bool:
        """executeCancelCommand's cancelJob / cancelJobsForUid (STOP_REASON_USER)."""
        if job_id is None:
            found = self._cancel_package(
                package, STOP_REASON_USER, "cancel shell command for package"
            )
        else:
            job = self.jobs.pop((package, job_id), None)
            found = job is not None
            if job is not None:
                self._cancel_job(job, STOP_REASON_USER, "cancel() called by shell")
                self.store.changed()
        self.on_inputs_changed()
        return found

    def reset_execution_quota(self, package: str) -> None:
        if self.quota is not None:
            self.quota.reset(package)
        self.on_inputs_changed()

    def trigger_dock_state(self, idle: bool) -> None:
        if self.idleness is not None:
            self.idleness.on_dock(idle)
        self.on_inputs_changed()

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.job_shell import run_shell_command

        return run_shell_command(self, inv, args)

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.job_dump import dump

        return dump(self, inv, args)
