"""SystemJobService: JobScheduler starting and stopping WorkManager's jobs in the app process.

``onStartJob`` reads the work id and generation from the job's extras, refuses a job it already
runs, and starts the work with the job's token (joining a run the greedy scheduler started);
when the run ends, ``jobFinished(params, needsReschedule)``. ``onStopJob`` (a constraint lost,
Doze, quota, the timeout) stops the run with the job's stop reason (API 31+;
STOP_REASON_UNKNOWN before) and asks JobScheduler to reschedule unless the work was cancelled;
WorkManager then puts the work back to ENQUEUED and schedules it itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.apps.sample.wm.jobs import EXTRA_WORK_SPEC_GENERATION, EXTRA_WORK_SPEC_ID
from harness.virtual.apps.sample.wm.schema import STOP_REASON_UNKNOWN

if TYPE_CHECKING:
    from harness.virtual.apps.sample.wm.manager import WorkManager
    from harness.virtual.system.jobscheduler import JobParameters

TOKEN = "job"


class SystemJobService:
    def __init__(self, wm: WorkManager) -> None:
        self.wm = wm
        self.params: dict[tuple[str, int], JobParameters] = {}
        wm.processor.add_listener(self.on_executed)  # onCreate: addExecutionListener

    @staticmethod
    def _id(params: JobParameters) -> tuple[str, int] | None:
        work_id = params.extras.get(EXTRA_WORK_SPEC_ID)
        if not work_id:
            return None
        return str(work_id), int(params.extras.get(EXTRA_WORK_SPEC_GENERATION, 0) or 0)

    def on_start_job(self, params: JobParameters) -> bool:
        key = self._id(params)
        if key is None:
            self.wm.log("E", "SystemJobService", "WorkSpec id not found!")
            return False
        if key in self.params:
            # "Job is already being executed by SystemJobService"
            return False
        self.params[key] = params
        work_id, generation = key
        self.wm.post("StartWorkRunnable",
                     lambda: self.wm.processor.start_work(work_id, generation, TOKEN))
        return True

    def on_stop_job(self, params: JobParameters) -> bool:
        key = self._id(params)
        if key is None:
            return False
        self.params.pop(key, None)
        work_id, _generation = key
        api = self.wm.app.device.api_level
        reason = params.stop_reason if api >= 31 else STOP_REASON_UNKNOWN
        self.wm.post("StopWorkRunnable",
                     lambda: self.wm.processor.stop_work(work_id, TOKEN, reason))
        return not self.wm.processor.is_cancelled(work_id)

    def on_executed(self, work_id: str, generation: int, needs_reschedule: bool) -> None:
        params = self.params.pop((work_id, generation), None)
        if params is not None:
            from harness.virtual.system.jobscheduler import JobSchedulerService

            js = self.wm.app.system.service(JobSchedulerService)
            js.job_finished(self.wm.app.package.name, params.job_id, needs_reschedule)
