"""JobSchedulerService.Constants that DeviceConfig sets (namespace ``jobscheduler``, Android 12+).

CTS turns batching off with ``device_config put jobscheduler min_ready_non_active_jobs_count 0``
(BaseJobSchedulerTest.setUp), so that a lone job of a non-ACTIVE app is not held waiting for
others. The service re-reads the batching keys when one changes and checks its jobs again
(ConstantsObserver.onPropertiesChanged -> updateBatchingConstantsLocked, MSG_CHECK_JOB); the
QuotaController ``qc_*`` keys go to :mod:`job_quota`. Android 10 and 11 kept these constants in
Settings.Global (``job_scheduler_constants``), which the model does not read.

``min_ready_cpu_only_jobs_count`` and ``max_cpu_only_job_batch_delay_ms`` (Android 16, behind the
``batch_active_bucket_jobs`` flag) are read and reported but batch nothing: the model does not
batch jobs of ACTIVE apps.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "jobscheduler"
MINUTE = 60_000
# JobConcurrencyManager.DEFAULT_CONCURRENCY_LIMIT; the batching thresholds are at most a third.
DEFAULT_CONCURRENCY_LIMIT = 16
MAX_BATCH_THRESHOLD = DEFAULT_CONCURRENCY_LIMIT // 3

KEY_MIN_READY_NON_ACTIVE_JOBS_COUNT = "min_ready_non_active_jobs_count"
KEY_MAX_NON_ACTIVE_JOB_BATCH_DELAY_MS = "max_non_active_job_batch_delay_ms"
KEY_MIN_READY_CPU_ONLY_JOBS_COUNT = "min_ready_cpu_only_jobs_count"
KEY_MAX_CPU_ONLY_JOB_BATCH_DELAY_MS = "max_cpu_only_job_batch_delay_ms"
BATCHING_KEYS = (
    KEY_MIN_READY_NON_ACTIVE_JOBS_COUNT,
    KEY_MAX_NON_ACTIVE_JOB_BATCH_DELAY_MS,
    KEY_MIN_READY_CPU_ONLY_JOBS_COUNT,
    KEY_MAX_CPU_ONLY_JOB_BATCH_DELAY_MS,
)


def _number(values: dict[str, str], key: str, default: int) -> int:
    """DeviceConfig.getInt/getLong: the default when unset or not a number."""
    text = values.get(key)
    if text is None:
        return default
    try:
        return int(text.strip())
    except ValueError:
        return default


@dataclass(frozen=True)
class JobConstants:
    """The batching constants (JobSchedulerService.Constants DEFAULT_*: the ready-count
    thresholds are min(5 resp. 3, DEFAULT_CONCURRENCY_LIMIT / 3), the delays 31 min)."""

    min_ready_non_active_jobs_count: int = min(5, MAX_BATCH_THRESHOLD)
    max_non_active_job_batch_delay_ms: int = 31 * MINUTE
    min_ready_cpu_only_jobs_count: int = min(3, MAX_BATCH_THRESHOLD)
    max_cpu_only_job_batch_delay_ms: int = 31 * MINUTE

    @classmethod
    def from_config(cls, values: dict[str, str]) -> JobConstants:
        """updateBatchingConstantsLocked: the counts kept in [0, DEFAULT_CONCURRENCY_LIMIT / 3]
        (the Android 16 source; older releases read them unclamped, which matters only for
        values outside that range), the delays as given."""
        base = cls()

        def count(key: str, default: int) -> int:
            return max(0, min(MAX_BATCH_THRESHOLD, _number(values, key, default)))

        def delay(key: str, default: int) -> int:
            return _number(values, key, default)

        return cls(
            min_ready_non_active_jobs_count=count(
                KEY_MIN_READY_NON_ACTIVE_JOBS_COUNT, base.min_ready_non_active_jobs_count
            ),
            max_non_active_job_batch_delay_ms=delay(
                KEY_MAX_NON_ACTIVE_JOB_BATCH_DELAY_MS, base.max_non_active_job_batch_delay_ms
            ),
            min_ready_cpu_only_jobs_count=count(
                KEY_MIN_READY_CPU_ONLY_JOBS_COUNT, base.min_ready_cpu_only_jobs_count
            ),
            max_cpu_only_job_batch_delay_ms=delay(
                KEY_MAX_CPU_ONLY_JOB_BATCH_DELAY_MS, base.max_cpu_only_job_batch_delay_ms
            ),
        )
