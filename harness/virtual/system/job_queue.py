"""The check JobScheduler runs after every state change (MSG_CHECK_JOB): re-evaluate the
constraints of all jobs, stop running jobs that are no longer ready, queue and start ready ones
(force-batching jobs of non-ACTIVE apps, API 31+), tell Doze whether jobs are active, and set
the one timer for the next time-based change (delays, deadlines, quota, batching).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.job_controllers import EvalContext, evaluate_job, heartbeat_allows
from harness.virtual.system.job_quota import (
    ACTIVE_INDEX,
    EXEMPTED_INDEX,
    RESTRICTED_INDEX,
    bucket_index,
)
from harness.virtual.system.job_status import (
    INTERNAL_STOP_REASON_CONSTRAINTS_NOT_SATISFIED,
    INTERNAL_STOP_REASON_RESTRICTED_BUCKET,
    NO_EARLIEST_RUNTIME,
    NO_LATEST_RUNTIME,
    OVERRIDE_NONE,
    STOP_REASON_APP_STANDBY,
    JobStatus,
)

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.system.job_constants import JobConstants

MINUTE = 60_000


class JobQueue:
    """The evaluation half of JobSchedulerService (a mixin: state lives on the service)."""

    jobs: dict[tuple[str, int], JobStatus]
    pending: list[tuple[str, int]]
    constants: JobConstants  # min_ready_non_active_jobs_count etc., from DeviceConfig
    _check_timer: Timer | None

    def _eval_context(self, now: int) -> EvalContext:
        return EvalContext(
            now=now,
            api_level=self.api_level,
            inputs=self.inputs,
            idle=bool(self.idleness and self.idleness.idle),
            doze_mode=self._doze_mode,
            doze_mode_background=self._doze_mode_background,
            quota=self.quota,
            heartbeat=self.heartbeat,
            networks=self.inputs.networks(),
            running=set(self.running),
            top_started={k for k, r in self.running.items() if r.top_started},
        )

    def _check(self) -> None:
        now = self._now()
        self._update_quota_tracking(now)
        ctx = self._eval_context(now)
        for job in list(self.jobs.values()):
            job.component_enabled = self._component_enabled(job)
            evaluate_job(job, ctx)
        self._stop_non_ready_active_jobs()
        self._queue_ready_jobs(ctx)
        for key in list(self.pending):
            job = self.jobs.get(key)
            self.pending.remove(key)
            if job is not None and key not in self.running:
                self._start(job)
        self._report_active()
        self._schedule_next_check(now)

    def _component_enabled(self, job: JobStatus) -> bool:
        """isComponentUsable: the JobService exists and the package manager has it enabled
        (its state set at run time, else the manifest's)."""
        from harness.virtual.system.packages import PackageManagerService

        pkg = self._package(job.package)
        if pkg is None or not pkg.enabled:
            return False
        if pkg.manifest is not None and not any(
            s.name == job.service for s in pkg.manifest.services
        ):
            return False
        pm = self.system.service(PackageManagerService)
        return pm.is_component_enabled(job.package, job.service)

    def _update_quota_tracking(self, now: int) -> None:
        """Timer.onStateChangedLocked for every package with running jobs."""
        if self.quota is None:
            return
        for package in {r.job.package for r in self.running.values()} | set(self.quota.packages):
            track, track_ej = self._quota_tracking(package, now)
            self.quota.update_tracking(package, now, track, track_ej)

    def _quota_tracking(self, package: str, now: int) -> tuple[bool, bool]:
        """Timer.shouldTrackLocked: charging (unless RESTRICTED) and foreground uids
        (!mForegroundUids.get(mUid): TOP or a foreground service) are free; the EJ timer also
        skips apps with the temp-allowlist or top-app exemption, grace periods included."""
        pkg = self._package(package)
        uid = pkg.uid if pkg is not None else -1
        bucket = bucket_index(self.inputs.raw_bucket(package), self.api_level)
        foreground = self.inputs.uid_foreground(uid)
        track = (bucket == RESTRICTED_INDEX or not self.inputs.charging) and not foreground
        temp = self.inputs.is_temp_whitelisted(package, uid, now)
        assert self.quota is not None
        exempt = self.quota.ej_exempt(package, bucket, now, temp, self.inputs.uid_top(uid))
        return track, track and not exempt

    def _stop_non_ready_active_jobs(self) -> None:
        """JobConcurrencyManager.stopNonReadyActiveJobsLocked."""
        for run in list(self.running.values()):
            job = run.job
            if run.verb == "stopping" or job.is_ready():
                continue
            reason = job.reason_ready_to_unready
            if job.effective_bucket() == RESTRICTED_INDEX and reason == STOP_REASON_APP_STANDBY:
                self._stop(
                    run,
                    reason,
                    INTERNAL_STOP_REASON_RESTRICTED_BUCKET,
                    "cancelled due to restricted bucket",
                )
            else:
                self._stop(
                    run,
                    reason,
                    INTERNAL_STOP_REASON_CONSTRAINTS_NOT_SATISFIED,
                    "cancelled due to unsatisfied constraints",
                )

    def _ready_to_execute(self, job: JobStatus, ctx: EvalContext) -> bool:
        """isReadyToBeExecutedLocked: ready, not already pending or running, component there,
        and (Android 9) past the standby heartbeat wait."""
        if job.key in self.running or job.key in self.pending:
            return False
        if not job.is_ready() or not job.component_enabled:
            return False
        if self.heartbeat is not None:
            current = self._heartbeat_now()
            if not heartbeat_allows(job, ctx, current, self.heartbeat_last_ran.get(job.package)):
                if job.when_standby_deferred == 0:
                    job.when_standby_deferred = ctx.now
                return False
        return True

    def _queue_ready_jobs(self, ctx: EvalContext) -> None:
        """maybeQueueReadyJobsForExecutionLocked (with force-batching of non-ACTIVE jobs, API
        31+), or queueReadyJobsForExecutionLocked while jobs are already running."""
        ready = [j for j in self.jobs.values() if self._ready_to_execute(j, ctx)]
        if not ready:
            return
        if self.reported_active or self.api_level < 31:
            # MSG_CHECK_JOB: "if jobs are currently being run, queue all ready jobs for
            # execution" (no batching then, nor before Android 12 here).
            self.pending.extend(j.key for j in ready)
            return
        unbatched = 0
        batched = 0
        for job in ready:
            if self._should_force_batch(job, ctx.now):
                batched += 1
                if job.first_force_batched == 0:
                    job.first_force_batched = ctx.now
            else:
                unbatched += 1
        if unbatched > 0 or batched >= self.constants.min_ready_non_active_jobs_count:
            self.pending.extend(j.key for j in ready)

    def _should_force_batch(self, job: JobStatus, now: int) -> bool:
        if job.override_state > OVERRIDE_NONE:
            return False  # "The job should run for some test. Don't force batch it."
        if job.should_treat_as_ej():
            return False  # "Never batch expedited jobs, even for RESTRICTED apps."
        bucket = job.effective_bucket()
        if bucket == RESTRICTED_INDEX:
            return True  # "Restricted jobs must always be batched"
        if job.num_failures > 0:
            return False  # a retried job is not batched
        # MIN_READY_NON_ACTIVE_JOBS_COUNT / MAX_NON_ACTIVE_JOB_BATCH_DELAY_MS.
        expired = job.first_force_batched > 0 and (
            now - job.first_force_batched >= self.constants.max_non_active_job_batch_delay_ms
        )
        return (
            self.constants.min_ready_non_active_jobs_count > 1
            and bucket not in (ACTIVE_INDEX, EXEMPTED_INDEX)
            and not expired
        )

    def _report_active(self) -> None:
        """reportActiveLocked -> DeviceIdleInternal.setJobsActive: pending jobs, or running
        ones that are not foreground, whitelisted or of an active uid."""
        active = bool(self.pending) or any(
            not (r.job.job.will_be_foreground or r.job.app_has_doze_exemption or r.job.uid_active)
            for r in self.running.values()
        )
        if active == self.reported_active:
            return
        self.reported_active = active
        try:
            from harness.virtual.system.deviceidle import DeviceIdleController
        except ImportError:
            return
        doze = self.system.maybe_service(DeviceIdleController)
        if doze is not None:
            doze.register_activity("jobs", active)

    def _heartbeat_now(self) -> int:
        assert self.heartbeat is not None
        return self._now() // self.heartbeat.heartbeat_ms + self.heartbeat_offset

    def _schedule_next_check(self, now: int) -> None:
        """TimeController / QuotaController / batching alarms, folded into one timer."""
        when: list[int] = []
        for job in self.jobs.values():
            if job.earliest != NO_EARLIEST_RUNTIME and job.earliest > now:
                when.append(job.earliest)
            if job.latest != NO_LATEST_RUNTIME and job.latest > now:
                when.append(job.latest)
            if job.first_force_batched and job.key not in self.running:
                delay = self.constants.max_non_active_job_batch_delay_ms
                when.append(job.first_force_batched + delay)
        when += self._quota_alarms(now)
        if self.heartbeat is not None and self.jobs:
            next_beat = self._now() // self.heartbeat.heartbeat_ms + 1
            when.append(next_beat * self.heartbeat.heartbeat_ms)
        future = [t for t in when if t > now]
        target = min(future) if future else None
        if self._check_timer is not None:
            if target is not None and self._check_timer.when_elapsed_ms == target:
                return
            self._check_timer.cancel()
            self._check_timer = None
        if target is not None:
            self._check_timer = self.call_at(target, "JobScheduler.check", self._on_check_timer)

    def _on_check_timer(self) -> None:
        self._check_timer = None
        self.on_inputs_changed()

    def _quota_alarms(self, now: int) -> list[int]:
        """In-quota alarms for waiting jobs and out-of-quota cutoffs for running ones."""
        if self.quota is None:
            return []
        out: list[int] = []
        for job in self.jobs.values():
            bucket = job.effective_bucket()
            if job.key in self.running:
                left = self.quota.remaining_ms(job.package, bucket, now, running=True)
                if left > 0:
                    out.append(now + left)
                if job.is_requested_ej and job.should_treat_as_ej():
                    ej_left = self.quota.remaining_ej_ms(job.package, job.standby_bucket, now)
                    if ej_left > 0:
                        out.append(now + ej_left)
                continue
            if not job.ready_within_quota:
                back = self.quota.in_quota_time(job.package, bucket, now)
                if back is not None:
                    out.append(back)
            if job.is_requested_ej and not job.ej_quota_approved:
                back = self.quota.ej_back_in_quota_time(job.package, job.standby_bucket, now)
                if back is not None:
                    out.append(back)
        return out
