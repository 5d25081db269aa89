"""What survives a reboot, and a force-stop followed by an app start.

Android's rules (android-background-behavior.md section 7): persisted JobScheduler jobs come
back; WorkManager's jobs are never persisted, but WorkManager re-schedules its work at
BOOT_COMPLETED or the next app start; non-persisted jobs and in-process work are gone.
"""

from __future__ import annotations

import pytest

from harness.app.sample import SampleApp
from harness.device import Device
from harness.inspect.jobs import JobSchedulerInspector

PKG = SampleApp.package


def _schedule_everything(app: SampleApp) -> str:
    work_id = app.enqueue_work("survivor", delay_ms=20_000)
    # The jobs wait long enough not to run (and be gone) before the checks; the work not.
    assert app.schedule_job(1101, "persisted", persisted=True, min_latency_ms=600_000) \
        == "RESULT_SUCCESS"
    assert app.schedule_job(1102, "transient", persisted=False, min_latency_ms=600_000) \
        == "RESULT_SUCCESS"
    app.start_inprocess_work("in-process", delay_ms=20_000)
    return work_id


def _check_after(app: SampleApp, jobs: JobSchedulerInspector, since: int) -> None:
    assert jobs.job(PKG, 1101) is not None, "the persisted job is gone"
    assert jobs.job(PKG, 1102) is None, "the non-persisted job survived"
    jobs.force_run(PKG, 1101)
    app.wait_for("finished", "persisted", timeout_s=60, since=since)
    app.wait_for("finished", "survivor", timeout_s=120, since=since)
    app.assert_no_event("finished", "in-process", within_s=2, since=since)


@pytest.mark.reboot
def test_reboot_keeps_work_and_persisted_jobs(device: Device, app: SampleApp,
                                              jobs: JobSchedulerInspector):
    _schedule_everything(app)
    mark = app.last_seq()
    device.reboot(wait=True)
    app.wait_for("boot_completed", timeout_s=120, since=mark)
    _check_after(app, jobs, mark)


def test_force_stop_then_app_start_reschedules_work(device: Device, app: SampleApp,
                                                    jobs: JobSchedulerInspector):
    _schedule_everything(app)
    mark = app.last_seq()
    device.shell(["am", "force-stop", PKG], check=True)
    # Force-stop cancels every job of the app, persisted ones included
    # (JobSchedulerService: ACTION_PACKAGE_RESTARTED), and its alarms.
    assert jobs.job(PKG, 1101) is None and jobs.job(PKG, 1102) is None
    # Starting the app: WorkManager's ForceStopRunnable finds the force-stop and re-schedules
    # the work; the app's own jobs stay gone until the app schedules them again.
    app.bring_to_front()
    app.send_to_background()
    app.wait_for("finished", "survivor", timeout_s=120, since=mark)
    app.assert_no_event("finished", "in-process", within_s=2, since=mark)
