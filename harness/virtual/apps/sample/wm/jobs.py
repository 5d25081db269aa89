"""SystemJobScheduler: WorkManager's JobScheduler side (API 23+).

One job per WorkSpec for ``SystemJobService``, its id from the ``Preference`` table within the
app's configured range (IdGenerator.nextJobSchedulerIdWithRange) and kept in ``SystemIdInfo``
per (work, generation). The JobInfo is SystemJobInfoConverter.convert's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample.wm.schema import (
    CONNECTED,
    ENQUEUED,
    LINEAR,
    METERED,
    NEXT_JOB_SCHEDULER_ID,
    NOT_REQUIRED,
    NOT_ROAMING,
    RUN_AS_NON_EXPEDITED_WORK_REQUEST,
    SCHEDULE_NOT_REQUESTED_YET,
    UNMETERED,
)
from harness.virtual.apps.sample.wm.spec import WorkSpec
from harness.virtual.system.job_info import (
    BACKOFF_POLICY_EXPONENTIAL,
    BACKOFF_POLICY_LINEAR,
    NETWORK_TYPE_ANY,
    NETWORK_TYPE_CELLULAR,
    NETWORK_TYPE_NONE,
    NETWORK_TYPE_NOT_ROAMING,
    NETWORK_TYPE_UNMETERED,
    IllegalStateException,
    JavaException,
    JobInfo,
)

if TYPE_CHECKING:
    from harness.virtual.apps.sample.wm.manager import WorkManager

SYSTEM_JOB_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"
EXTRA_WORK_SPEC_ID = "EXTRA_WORK_SPEC_ID"
EXTRA_WORK_SPEC_GENERATION = "EXTRA_WORK_SPEC_GENERATION"
EXTRA_IS_PERIODIC = "EXTRA_IS_PERIODIC"
INT_MAX = 2**31 - 1
RESULT_FAILURE = 0


def network_type(work_network: int, api: int) -> int:
    """SystemJobInfoConverter.convertNetworkType (METERED is JobInfo.NETWORK_TYPE_METERED = 4,
    named NETWORK_TYPE_CELLULAR from API 28)."""
    if work_network == NOT_REQUIRED:
        return NETWORK_TYPE_NONE
    if work_network == CONNECTED:
        return NETWORK_TYPE_ANY
    if work_network == UNMETERED:
        return NETWORK_TYPE_UNMETERED
    if work_network == NOT_ROAMING and api >= 24:
        return NETWORK_TYPE_NOT_ROAMING
    if work_network == METERED and api >= 26:
        return NETWORK_TYPE_CELLULAR
    return NETWORK_TYPE_ANY  # "API version too low. Cannot convert network type value"


def convert(spec: WorkSpec, job_id: int, now_wall: int, api: int) -> JobInfo:
    """SystemJobInfoConverter.convert."""
    c = spec.constraints
    offset = max(spec.next_run_time() - now_wall, 0)
    fields: dict[str, Any] = {
        "job_id": job_id,
        "service": SYSTEM_JOB_SERVICE,
        "extras": {
            EXTRA_WORK_SPEC_ID: spec.id,
            EXTRA_WORK_SPEC_GENERATION: spec.generation,
            EXTRA_IS_PERIODIC: spec.is_periodic,
        },
        "requires_charging": c.requires_charging,
        "requires_device_idle": c.requires_device_idle,
        "network_type": network_type(c.required_network_type, api),
        # "We don't want to persist these jobs because we reschedule these jobs on
        # BOOT_COMPLETED. That way ForceStopRunnable correctly reschedules Jobs when necessary."
        "persisted": False,
    }
    if not c.requires_device_idle:
        # "Device Idle and Backoff Criteria cannot be set together"
        fields["backoff_policy"] = (BACKOFF_POLICY_LINEAR if spec.backoff_policy == LINEAR
                                    else BACKOFF_POLICY_EXPONENTIAL)
        fields["initial_backoff_ms"] = spec.backoff_delay_duration
    if api <= 28:
        # "Before API 29, Jobs needed at least one constraint."
        fields["min_latency_ms"] = offset
    elif offset > 0:
        fields["min_latency_ms"] = offset
    elif not spec.expedited:
        # Configuration.isMarkingJobsAsImportantWhileForeground defaults to true.
        fields["important_while_foreground"] = True
    if api >= 26:
        fields["requires_battery_not_low"] = c.requires_battery_not_low
        fields["requires_storage_not_low"] = c.requires_storage_not_low
    # "Retries cannot be expedited jobs, given they will occur at some point in the future."
    if api >= 31 and spec.expedited and spec.run_attempt_count == 0 and offset == 0:
        fields["expedited"] = True
    return JobInfo(**fields)


class SystemJobScheduler:
    has_limited_scheduling_slots = True

    def __init__(self, wm: WorkManager) -> None:
        self.wm = wm

    @property
    def _js(self):  # type: ignore[no-untyped-def]
        from harness.virtual.system.jobscheduler import JobSchedulerService

        return self.wm.app.system.service(JobSchedulerService)

    def schedule(self, specs: list[WorkSpec]) -> None:
        store = self.wm.store
        for spec in specs:
            with self.wm.db.transaction():
                current = store.get(spec.id)
                if current is None:
                    self.wm.log("W", "SystemJobScheduler",
                                f"Skipping scheduling {spec.id} because it's no longer in the DB")
                    continue
                if current.state != ENQUEUED:
                    self.wm.log("W", "SystemJobScheduler",
                                f"Skipping scheduling {spec.id} because it is no longer enqueued")
                    continue
                job_id = store.system_id(spec.id, spec.generation)
                if job_id is None:
                    job_id = self.next_job_id()
                    store.insert_system_id(spec.id, spec.generation, job_id)
                self.schedule_internal(spec, job_id)

    def next_job_id(self) -> int:
        """IdGenerator.nextJobSchedulerIdWithRange: the stored next id, restarted at the
        range's minimum when outside it (the app: -1..999, so 0..999, then -1)."""
        store = self.wm.store
        low, high = self.wm.job_id_range
        stored = store.preference(NEXT_JOB_SCHEDULER_ID)
        job_id = 0 if stored is None else stored  # INITIAL_ID
        store.set_preference(NEXT_JOB_SCHEDULER_ID, 0 if job_id == INT_MAX else job_id + 1)
        if not low <= job_id <= high:
            job_id = low
            store.set_preference(NEXT_JOB_SCHEDULER_ID, job_id + 1)
        return job_id

    def schedule_internal(self, spec: WorkSpec, job_id: int) -> None:
        app = self.wm.app
        info = convert(spec, job_id, app.device.clock.wall_ms(), app.device.api_level)
        try:
            result = self._js.schedule(app.package.name, info)
        except IllegalStateException:
            raise  # the job limit: WorkManager rethrows it with its counts
        except JavaException as exc:
            # "OEM implementation bugs in JobScheduler cause the app to crash. Avoid crashing."
            self.wm.log("E", "SystemJobScheduler", f"Unable to schedule {{WorkSpec: {spec.id}}}"
                        f"\n{exc}")
            return
        if result == RESULT_FAILURE:
            self.wm.log("W", "SystemJobScheduler", f"Unable to schedule work ID {spec.id}")
            if spec.expedited and spec.out_of_quota_policy == RUN_AS_NON_EXPEDITED_WORK_REQUEST:
                # "Falling back to a non-expedited job." DROP_WORK_REQUEST leaves it unscheduled.
                spec.expedited = False
                self.schedule_internal(spec, job_id)

    def pending_jobs(self) -> list[JobInfo]:
        """getPendingJobs: the app's jobs that are for SystemJobService."""
        return [j for j in self._js.get_pending_jobs(self.wm.app.package.name)
                if j.service == SYSTEM_JOB_SERVICE]

    def pending_job_ids(self, work_id: str) -> list[int]:
        return [j.job_id for j in self.pending_jobs()
                if j.extras.get(EXTRA_WORK_SPEC_ID) == work_id]

    def cancel(self, work_id: str) -> None:
        job_ids = self.pending_job_ids(work_id)
        if job_ids:
            for job_id in job_ids:
                self._js.cancel(self.wm.app.package.name, job_id)
            self.wm.store.remove_system_ids(work_id)

    def cancel_all(self) -> None:
        """cancelAllInAllNamespaces: every WorkManager job (SystemIdInfo stays)."""
        for job in self.pending_jobs():
            self._js.cancel(self.wm.app.package.name, job.job_id)

    def reconcile(self) -> bool:
        """reconcileJobs: drop jobs without a work id; when the database knows work that
        JobScheduler has no job for (after a reboot, a force-stop), mark every known work
        unscheduled so it is scheduled again. Returns whether it did."""
        known: set[str] = set()
        for job in self.pending_jobs():
            work_id = job.extras.get(EXTRA_WORK_SPEC_ID)
            if work_id:
                known.add(str(work_id))
            else:
                self._js.cancel(self.wm.app.package.name, job.job_id)
        ids = self.wm.store.system_id_work_ids()
        if all(work_id in known for work_id in ids):
            return False
        with self.wm.db.transaction():
            for work_id in ids:
                self.wm.store.mark_scheduled(work_id, SCHEDULE_NOT_REQUESTED_YET)
        return True
