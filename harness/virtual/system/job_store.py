"""JobStore: the persisted jobs that survive a reboot (``/data/system/job/jobs.xml``).

Only jobs with ``setPersisted(true)`` are written. Writes are batched: a change schedules one
write JOB_PERSIST_DELAY (2 s) later. A clean shutdown takes longer than that on a phone, so the
service flushes a pending write when the device goes down (:meth:`JobStore.flush`). Times are stored
in wall-clock time and converted back to elapsed time at boot (JobStore.convertRtcBoundsToElapsed:
a bound already in the past becomes "now"). A freshly loaded job has no failures, its extras
are no longer parcelled (they were read from XML), and its standby bucket is the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.system.job_info import JobInfo
from harness.virtual.system.job_quota import bucket_index
from harness.virtual.system.job_status import NO_EARLIEST_RUNTIME, NO_LATEST_RUNTIME, JobStatus

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.system.jobscheduler import JobSchedulerService

JOB_PERSIST_DELAY_MS = 2_000


@dataclass
class PersistedJob:
    """One ``<job>`` element: the JobInfo and its run-time bounds in wall-clock time."""

    package: str
    uid: int
    job: JobInfo
    earliest_wall: int  # 0: no delay
    latest_wall: int  # NO_LATEST_RUNTIME: no deadline
    last_successful_run: int
    last_failed_run: int
    internal_flags: int


@dataclass
class JobStoreState:
    jobs: list[PersistedJob] = field(default_factory=list)
    writes: int = 0
    last_save_count: int = 0
    first_load_count: int = -1


class JobStore:
    def __init__(self, service: JobSchedulerService) -> None:
        self._service = service
        self.state = service.device.persistent("jobscheduler", JobStoreState)
        self._timer: Timer | None = None
        self.loaded = 0

    def load(self) -> list[JobStatus]:
        """readJobMapFromDisk: skip packages that are gone; convert wall times to elapsed."""
        svc = self._service
        clock = svc.device.clock
        now, wall = clock.elapsed_ms(), clock.wall_ms()
        out = []
        for rec in self.state.jobs:
            pkg = svc._package(rec.package)
            if pkg is None:
                continue
            earliest = (
                now + max(rec.earliest_wall - wall, 0)
                if rec.earliest_wall > NO_EARLIEST_RUNTIME
                else NO_EARLIEST_RUNTIME
            )
            latest = (
                now + max(rec.latest_wall - wall, 0)
                if rec.latest_wall < NO_LATEST_RUNTIME
                else NO_LATEST_RUNTIME
            )
            job = JobStatus(
                job=rec.job.copy(),
                package=rec.package,
                uid=pkg.uid,
                api_level=svc.api_level,
                enqueue_time=now,
                earliest=earliest,
                latest=latest,
                original_latest=latest,
                last_successful_run=rec.last_successful_run,
                last_failed_run=rec.last_failed_run,
                internal_flags=rec.internal_flags,
                standby_bucket=bucket_index(svc.inputs.raw_bucket(rec.package), svc.api_level),
                extras_parcelled=False,
            )
            out.append(job)
        self.loaded = len(out)
        if self.state.first_load_count < 0:
            self.state.first_load_count = len(out)
        return out

    def changed(self) -> None:
        """maybeWriteStatusToDiskAsync: one write JOB_PERSIST_DELAY after the first change."""
        if self._timer is None:
            self._timer = self._service.call_later(
                JOB_PERSIST_DELAY_MS, "JobStore.write", self._write
            )

    def write_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._write()

    def flush(self) -> None:
        """Write now if a batched write is pending (nothing changed otherwise)."""
        if self._timer is not None:
            self.write_now()

    def _write(self) -> None:
        self._timer = None
        svc = self._service
        clock = svc.device.clock
        now, wall = clock.elapsed_ms(), clock.wall_ms()
        records = []
        for job in sorted(svc.jobs.values(), key=lambda j: (j.package, j.job_id)):
            if not job.job.persisted:
                continue
            # writeBundleToXml's deepCopyBundle calls keySet(): the extras get unparcelled.
            job.extras_parcelled = False
            records.append(
                PersistedJob(
                    package=job.package,
                    uid=job.uid,
                    job=job.job.copy(),
                    earliest_wall=(
                        wall + job.earliest - now
                        if job.earliest != NO_EARLIEST_RUNTIME
                        else NO_EARLIEST_RUNTIME
                    ),
                    latest_wall=(
                        wall + job.latest - now
                        if job.latest != NO_LATEST_RUNTIME
                        else NO_LATEST_RUNTIME
                    ),
                    last_successful_run=job.last_successful_run,
                    last_failed_run=job.last_failed_run,
                    internal_flags=job.internal_flags,
                )
            )
        self.state.jobs = records
        self.state.writes += 1
        self.state.last_save_count = len(records)
