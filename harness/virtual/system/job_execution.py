"""Running jobs: JobServiceContext (start, stop, timeout, finish) and the rescheduling rules.

A job starts by binding its JobService: the app process is started through the activity
manager (``Start proc ... for service {pkg/.Service}``) and the app model's ``on_start_job``
runs asynchronously, as the binder call would. A job stops with a stop reason (onStopJob), on
``job_finished``, on the execution time limit, or when its process dies. What happens next is
onJobCompletedLocked: a rescheduled job backs off (getRescheduleJobForFailureLocked), a
periodic job moves to its next window (getRescheduleJobForPeriodic), a one-off job is gone.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.virtual.system.job_info import (
    BACKOFF_POLICY_LINEAR,
    MAX_BACKOFF_DELAY_MILLIS,
    MIN_FLEX_MILLIS,
    MIN_PERIOD_MILLIS,
    short_component,
)
from harness.virtual.system.job_status import (
    INTERNAL_STOP_REASON_SUCCESSFUL_FINISH,
    INTERNAL_STOP_REASON_TIMEOUT,
    INTERNAL_STOP_REASON_UNKNOWN,
    NO_EARLIEST_RUNTIME,
    NO_LATEST_RUNTIME,
    STOP_REASON_TIMEOUT,
    STOP_REASON_UNDEFINED,
    STOP_REASON_USER,
    JobStatus,
)

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.system.jobscheduler import JobParameters

log = logging.getLogger(__name__)

MINUTE = 60_000
# JobSchedulerService.Constants min_linear/exp_backoff_time_ms (the API 33 dump's values).
MIN_LINEAR_BACKOFF_TIME_MS = 10_000
MIN_EXP_BACKOFF_TIME_MS = 10_000
SYSTEM_STOP_TO_FAILURE_RATIO = 3  # Android 14 back-off: system stops count a third
# Execution limits: JobServiceContext.EXECUTING_TIMESLICE_MILLIS (pre-12) and the
# runtime_min_guarantee_ms / runtime_min_ej_guarantee_ms minimums (12+).
EXECUTING_TIMESLICE_MS = 10 * MINUTE
RUNTIME_MIN_EJ_GUARANTEE_MS = 3 * MINUTE
PERIODIC_JOB_WINDOW_BUFFER_MS = 30 * MINUTE
MAX_ALLOWED_PERIOD_MS = 365 * 24 * 3_600_000


@dataclass
class RunningJob:
    """JobServiceContext with a job: binding (starting), executing, or being stopped."""

    job: JobStatus
    params: JobParameters
    start: int
    max_execution_ms: int
    context_id: int = field(default_factory=lambda: random.randrange(1, 1 << 28))
    verb: str = "starting"  # starting, executing, stopping
    top_started: bool = False
    finished_early: bool | None = None
    timeout_timer: Timer | None = None
    wake_lock: int | None = None


@dataclass
class CompletedJob:
    """A line of the "Recently completed jobs" / job history part of the dump."""

    job: JobStatus
    when: int
    reason: str


class JobExecution:
    """The execution half of JobSchedulerService (a mixin: state lives on the service)."""

    jobs: dict[tuple[str, int], JobStatus]
    running: dict[tuple[str, int], RunningJob]
    completed: list[CompletedJob]

    def _start(self, job: JobStatus) -> None:
        """JobServiceContext.executeRunnableJob: bind the JobService, then onStartJob."""
        from harness.virtual.system.jobscheduler import JobParameters

        now = self._now()
        job.started_as_ej = job.should_treat_as_ej()
        # QuotaController.prepareForExecutionLocked: a job started while its uid is TOP
        # (mTopAppCache) is top-started and never counts towards quota; a foreground service
        # is not enough.
        top_started = self.inputs.uid_top(job.uid)
        network = None
        if job.network_constraint_bit:
            # The network ConnectivityController found for the job: the default one if it
            # fits, else another available one that does.
            fits = [
                n
                for n in self.inputs.networks()
                if job.network_satisfied_by(n.metered, n.roaming, n.transport == "CELLULAR")
            ]
            network = str(fits[0].net_id) if fits else None
        params = JobParameters(
            job_id=job.job_id,
            extras=dict(job.job.extras),
            network=network,
            is_expedited_job=job.started_as_ej,
            is_override_deadline_expired=job.is_deadline_expired(now),
        )
        run = RunningJob(job, params, now, self._max_execution_ms(job), top_started=top_started)
        self.running[job.key] = run
        if self.quota is not None and not top_started:
            track, track_ej = self._quota_tracking(job.package, now)
            self.quota.job_started(job.package, job.key, now, job.started_as_ej, track, track_ej)
        if self.heartbeat is not None:
            self.heartbeat_last_ran[job.package] = self._heartbeat_now()
        run.timeout_timer = self.call_at(
            now + run.max_execution_ms, "JobServiceContext.timeout", lambda: self._on_timeout(run)
        )
        run.wake_lock = self._acquire_wake_lock(job)
        self._note_job_run(job.package)
        self._set_package_not_stopped(job.package)
        self.system.bus.publish(
            "job_started",
            package=job.package,
            uid=job.uid,
            job_id=job.job_id,
            tag=job.battery_name,
            expedited=job.started_as_ej,
        )
        self.call_later(0, "JobServiceContext.start", lambda: self._deliver_start(run))

    def _max_execution_ms(self, job: JobStatus) -> int:
        """How long the job may run when nothing else needs its slot (no contention is
        modelled): 10 min for regular jobs (EXECUTING_TIMESLICE_MILLIS, later the
        runtime_min_guarantee); an EJ may run while its EJ quota lasts, at least
        runtime_min_ej_guarantee (3 min) and at most the regular 10 min."""
        if self.api_level < 31 or not job.should_treat_as_ej() or self.quota is None:
            return EXECUTING_TIMESLICE_MS
        left = self.quota.remaining_ej_ms(job.package, job.standby_bucket, self._now())
        return max(RUNTIME_MIN_EJ_GUARANTEE_MS, min(EXECUTING_TIMESLICE_MS, left))

    def _deliver_start(self, run: RunningJob) -> None:
        if self.running.get(run.job.key) is not run or run.verb != "starting":
            return
        from harness.virtual.system.activity import ActivityManagerService

        am = self.system.maybe_service(ActivityManagerService)
        job = run.job
        short = short_component(job.package, job.service)
        record = am.ensure_process(job.package, f"service {{{short}}}") if am else None
        app = record.app if record is not None else None
        if app is None:
            self._set_stop(
                run, STOP_REASON_UNDEFINED, INTERNAL_STOP_REASON_UNKNOWN, "service not bound"
            )
            self._complete(run, False)
            return
        try:
            keep_running = bool(app.on_start_job(job.service, run.params))
        except Exception:  # the app crashed in onStartJob: its process dies
            log.exception("onStartJob of %s failed", short)
            if am is not None:
                am.kill(job.package, "crash")
            return
        if self.running.get(job.key) is not run:
            return
        if run.verb == "stopping":
            return
        if run.finished_early is not None:
            self._set_stop(
                run,
                STOP_REASON_UNDEFINED,
                INTERNAL_STOP_REASON_SUCCESSFUL_FINISH,
                "app called jobFinished",
            )
            self._complete(run, run.finished_early)
        elif not keep_running:
            self._set_stop(
                run,
                STOP_REASON_UNDEFINED,
                INTERNAL_STOP_REASON_SUCCESSFUL_FINISH,
                "onStartJob returned false",
            )
            self._complete(run, False)
        else:
            run.verb = "executing"

    def _on_timeout(self, run: RunningJob) -> None:
        run.timeout_timer = None
        if self.running.get(run.job.key) is run and run.verb != "stopping":
            # "Client timed out while executing (no jobFinished received)."
            self._stop(run, STOP_REASON_TIMEOUT, INTERNAL_STOP_REASON_TIMEOUT, "client timed out")

    def _set_stop(self, run: RunningJob, reason: int, internal: int, debug: str) -> None:
        run.params.stop_reason = reason
        run.params.internal_stop_reason = internal
        run.params.debug_stop_reason = debug

    def _stop(self, run: RunningJob, reason: int, internal: int, debug: str) -> None:
        """cancelExecutingJobLocked / sendStopMessageLocked: onStopJob, then clean up."""
        if run.verb == "stopping":
            return
        self._set_stop(run, reason, internal, debug)
        run.verb = "stopping"
        if run.timeout_timer is not None:
            run.timeout_timer.cancel()
            run.timeout_timer = None
        self.call_later(0, "JobServiceContext.stop", lambda: self._deliver_stop(run))

    def _deliver_stop(self, run: RunningJob) -> None:
        if self.running.get(run.job.key) is not run:
            return
        from harness.virtual.system.activity import ActivityManagerService

        am = self.system.maybe_service(ActivityManagerService)
        app = am.app_of(run.job.package) if am else None
        reschedule = False
        if app is not None:
            try:
                reschedule = bool(app.on_stop_job(run.job.service, run.params))
            except Exception:
                log.exception("onStopJob of %s failed", run.job.battery_name)
        if self.running.get(run.job.key) is run:
            self._complete(run, reschedule)

    def _complete(self, run: RunningJob, reschedule: bool) -> None:
        """closeAndCleanupJobLocked + onJobCompletedLocked."""
        job = run.job
        if self.running.get(job.key) is not run:
            return
        del self.running[job.key]
        now = self._now()
        if run.timeout_timer is not None:
            run.timeout_timer.cancel()
        self._release_wake_lock(run.wake_lock)
        if self.quota is not None:
            self.quota.job_stopped(job.package, job.key, now)
        params = run.params
        if (
            params.internal_stop_reason == INTERNAL_STOP_REASON_UNKNOWN
            and not params.debug_stop_reason
        ):
            params.internal_stop_reason = INTERNAL_STOP_REASON_SUCCESSFUL_FINISH
        self.completed.append(CompletedJob(job, now, params.debug_stop_reason or "finished"))
        del self.completed[:-20]
        self.system.bus.publish(
            "job_stopped",
            package=job.package,
            uid=job.uid,
            job_id=job.job_id,
            tag=job.battery_name,
            reason=params.internal_stop_reason,
        )
        if self.jobs.get(job.key) is job:
            del self.jobs[job.key]
            new = None
            if reschedule:
                new = self._reschedule_for_failure(job, params)
            elif job.job.is_periodic:
                new = self._reschedule_periodic(job)
            if new is not None:
                self.jobs[new.key] = new
            self.store.changed()
        self.on_inputs_changed()

    def _reschedule_for_failure(self, job: JobStatus, params: JobParameters) -> JobStatus:
        """getRescheduleJobForFailureLocked: back-off from now, no deadline any more."""
        now = self._now()
        failures, system_stops = job.num_failures, job.num_system_stops
        if self.api_level >= 34:
            # "back off slowly if JobScheduler keeps stopping the job, but back off immediately
            # if the issue appeared to be the app's fault or the user stopped the job"
            if (
                params.internal_stop_reason
                in (
                    INTERNAL_STOP_REASON_SUCCESSFUL_FINISH,
                    INTERNAL_STOP_REASON_TIMEOUT,
                )
                or params.stop_reason == STOP_REASON_USER
            ):
                failures += 1
            else:
                system_stops += 1
            attempts = failures + system_stops // SYSTEM_STOP_TO_FAILURE_RATIO
        else:
            failures += 1
            attempts = failures
        earliest = NO_EARLIEST_RUNTIME
        if attempts > 0:
            initial = job.job.initial_backoff_ms
            if job.job.effective_backoff_policy == BACKOFF_POLICY_LINEAR:
                delay = max(initial, MIN_LINEAR_BACKOFF_TIME_MS) * attempts
            else:
                delay = max(initial, MIN_EXP_BACKOFF_TIME_MS) * 2 ** (attempts - 1)
            earliest = now + min(delay, MAX_BACKOFF_DELAY_MILLIS)
        new = self._successor(job, earliest, NO_LATEST_RUNTIME)
        new.num_failures = failures
        new.num_system_stops = system_stops
        new.last_failed_run = self.device.clock.wall_ms()
        if job.job.is_periodic:
            new.original_latest = job.original_latest
        return new

    def _reschedule_periodic(self, job: JobStatus) -> JobStatus:
        """getRescheduleJobForPeriodic: the next window after the one the job ran in."""
        now = self._now()
        info = job.job
        period = max(MIN_PERIOD_MILLIS, min(MAX_ALLOWED_PERIOD_MS, info.interval_ms))
        flex = max(MIN_FLEX_MILLIS, min(period, info.flex_ms or period))
        olrte = job.original_latest
        if olrte < 0 or olrte == NO_LATEST_RUNTIME:
            olrte = now
        diff = abs(now - olrte)
        buffer = 0
        if now > olrte:
            # "The job ran past its expected run window."
            skipped = diff // period + 1
            if period != flex and diff > min(PERIODIC_JOB_WINDOW_BUFFER_MS, (period - flex) // 6):
                skipped += 1  # "Custom flex job ran too close to next window."
            new_latest = olrte + period * skipped
        else:
            new_latest = olrte + period
            if diff < PERIODIC_JOB_WINDOW_BUFFER_MS and diff < period // 6:
                buffer = min(PERIODIC_JOB_WINDOW_BUFFER_MS, period // 6 - diff)
        if new_latest < now:
            new = self._successor(job, now + period - flex, now + period)
        else:
            new = self._successor(job, new_latest - min(flex, period - buffer), new_latest)
        new.last_successful_run = self.device.clock.wall_ms()
        new.last_failed_run = job.last_failed_run
        return new

    def _successor(self, job: JobStatus, earliest: int, latest: int) -> JobStatus:
        new = self._new_status(job.package, job.uid, job.job, earliest, latest)
        new.internal_flags = job.internal_flags
        new.last_successful_run = job.last_successful_run
        new.last_failed_run = job.last_failed_run
        new.extras_parcelled = job.extras_parcelled
        return new

    # ================================================================== side effects
    def _power(self) -> Any:
        try:
            from harness.virtual.system.power import PowerManagerService
        except ImportError:
            return None
        return self.system.maybe_service(PowerManagerService)

    def _acquire_wake_lock(self, job: JobStatus) -> int | None:
        power = self._power()
        if power is None:
            return None
        # JobServiceContext holds a partial wake lock named after the job while it runs.
        return power.acquire_wake_lock(job.tag, job.uid, package=job.package)

    def _release_wake_lock(self, token: int | None) -> None:
        power = self._power()
        if power is not None and token is not None:
            power.release_wake_lock(token)

    def _note_job_run(self, package: str) -> None:
        try:
            from harness.virtual.system.usagestats import UsageStatsService
        except ImportError:
            return
        usage = self.system.maybe_service(UsageStatsService)
        if usage is not None:
            usage.note_job_run(package)

    def _set_package_not_stopped(self, package: str) -> None:
        from harness.virtual.system.packages import PackageManagerService

        # ActiveServices.bringUpServiceLocked: "Service is now being launched, its package
        # can't be stopped."
        self.system.service(PackageManagerService).set_stopped(package, False)
