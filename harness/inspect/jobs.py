"""JobScheduler as the platform reports it: ``dumpsys jobscheduler``, ``get-job-state`` and
``cmd jobscheduler run``. Works for WorkManager's jobs too: their service is
``androidx.work.impl.background.systemjob.SystemJobService`` and their extras carry the work id.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from harness.android.job_state import parse as parse_job_state
from harness.android.jobscheduler import parse as parse_jobscheduler
from harness.device import Device
from harness.errors import DeviceCommandError, WaitTimeout
from harness.power.base import profile_for

WORKMANAGER_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"


class JobSchedulerInspector:
    def __init__(self, device: Device) -> None:
        self.device = device
        self.profile = profile_for(device)

    def jobs(self, package: str | None = None):  # type: ignore[no-untyped-def]
        """Registered jobs (parsed ``dumpsys jobscheduler``), of ``package`` if given."""
        dump = parse_jobscheduler(self.device.shell(["dumpsys", "jobscheduler"],
                                                    timeout_s=60).stdout)
        return [j for j in dump.jobs if package is None or package in (j.package,
                                                                       j.service_package)]

    def job(self, package: str, job_id: int):  # type: ignore[no-untyped-def]
        for j in self.jobs(package):
            if j.job_id == job_id:
                return j
        return None

    def workmanager_job(self, package: str, work_id: str):  # type: ignore[no-untyped-def]
        """The JobScheduler job WorkManager scheduled for ``work_id`` (or None): its extras
        carry EXTRA_WORK_SPEC_ID (SystemJobInfoConverter)."""
        for j in self.jobs(package):
            if j.extras.get("EXTRA_WORK_SPEC_ID") == work_id or work_id in (j.extras_raw or ""):
                return j
        return None

    def state(self, package: str, job_id: int) -> set[str]:
        """``get-job-state`` as a set of words: pending, active, ready, waiting..."""
        argv = self.profile.command("job_state", package=package, job_id=job_id)
        res = self.device.shell(argv)  # type: ignore[arg-type]
        return set(parse_job_state(res.stdout).states)

    def force_run(self, package: str, job_id: int, satisfied: bool = False) -> None:
        """``cmd jobscheduler run -f`` (or ``-s``, which still honours the constraints)."""
        op = "job_run_satisfied" if satisfied else "job_run"
        argv = self.profile.command(op, package=package, job_id=job_id)
        res = self.device.shell(argv)  # type: ignore[arg-type]
        if not res.ok or "Running job" not in res.stdout:
            raise DeviceCommandError(self.device.serial, " ".join(argv), res.exit_code,  # type: ignore[arg-type]
                                     res.stdout, res.stderr, message="the job did not run")

    def reset_quota(self, package: str) -> None:
        """``cmd jobscheduler reset-execution-quota``: forget the app's job sessions, so that
        a quota test does not count the jobs earlier tests ran (the restricted bucket's window
        is a day). Android 11+; nothing to put back afterwards, as the stats only grow."""
        self.device.shell(self.profile.command("job_reset_quota", package=package),  # type: ignore[arg-type]
                          check=True)

    def trigger_idle(self) -> None:
        """``am idle-maintenance`` (ACTION_TRIGGER_IDLE): with the screen off, JobScheduler's
        IDLE constraint is met at once instead of after about 31 min of inactivity, as CTS's
        IdleConstraintTest does it. Turning the screen on ends it."""
        self.device.shell(["am", "idle-maintenance"], check=True)

    @contextmanager
    def no_batching(self) -> Iterator[None]:
        """Turn off JobScheduler's batching of non-active apps' jobs for the block, as CTS
        BaseJobSchedulerTest does (``min_ready_non_active_jobs_count 0``); otherwise a lone job
        of an app in the rare or restricted bucket can wait for company for up to 31 min.
        The previous value is put back afterwards. Needs ``device_config`` (API 29+)."""
        key = ("jobscheduler", "min_ready_non_active_jobs_count")
        found = self.device.shell(["device_config", "get", *key]).stdout.strip()
        self.device.shell(self.profile.command("device_config_put", namespace=key[0],  # type: ignore[arg-type]
                                               key=key[1], value="0"), check=True)
        try:
            yield
        finally:
            if found in ("", "null"):
                self.device.shell(["device_config", "delete", *key])
            else:
                self.device.shell(self.profile.command(  # type: ignore[arg-type]
                    "device_config_put", namespace=key[0], key=key[1], value=found))

    def wait_for_state(self, package: str, job_id: int, word: str,
                       timeout_s: float = 30) -> set[str]:
        deadline = time.monotonic() + timeout_s
        seen: set[str] = set()
        while True:
            seen = self.state(package, job_id)
            if word in seen:
                return seen
            if time.monotonic() > deadline:
                raise WaitTimeout(self.device.serial, f"job {package}/{job_id} {word}",
                                  " ".join(sorted(seen)) or "nothing", timeout_s)
            time.sleep(0.1)
