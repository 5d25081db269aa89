"""JobScheduler follow-ups: the ``device_config`` knobs CTS sets (batching, QuotaController),
``cache-config-changes``/``get-config-value``, expedited jobs refused without EJ quota, the
API 26 NETWORK_TYPE_METERED, and persisted jobs written out when the device shuts down."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.android import jobscheduler as dump_parser
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.job_info import (
    NETWORK_TYPE_METERED,
    IllegalArgumentException,
    JobInfo,
)
from harness.virtual.system.job_quota import RARE_INDEX
from tests.unit.virtual.jobscheduler_bench import MINUTE, PKG, JobBench, bench_factory

RESULT_FAILURE, RESULT_SUCCESS = 0, 1
KEY = "min_ready_non_active_jobs_count"


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., JobBench]]:
    yield from bench_factory(device_loop)


def settings_line(b: JobBench, key: str) -> str:
    """The ``key=value`` line of the dump's Settings / QuotaController blocks."""
    lines = [ln.strip() for ln in b.out("dumpsys jobscheduler").splitlines()]
    return next(ln for ln in lines if ln.startswith(f"{key}="))


# ---------------------------------------------------------------------------------- batching
def test_restricted_job_runs_alone_with_batching_off_and_quota_holds_the_next(bench):
    b = bench(rate=1000)
    b.unplug()
    b.set_bucket("restricted")
    b.schedule(JobInfo(60, ".SyncJobService"))
    b.wait_device_ms(2 * MINUTE)
    # Within quota the job is ready, but "restricted jobs must always be batched": with the
    # default min_ready_non_active_jobs_count (5) a lone one waits.
    state = b.state(60)
    assert state.ready and not state.active and b.starts(60) == []
    assert settings_line(b, KEY) == f"{KEY}=5"

    # What CTS BaseJobSchedulerTest.setUp does; the service re-checks its jobs at once.
    assert b.out("device_config put jobscheduler min_ready_non_active_jobs_count 0") == ""
    b.wait_started(60)
    assert settings_line(b, KEY) == f"{KEY}=0"

    # RESTRICTED allows one session per 24 h window (qc_max_session_count_restricted=1): the
    # next job is out of quota and, its dynamic constraints (charging, idle) unmet, not ready.
    b.schedule(JobInfo(61, ".SyncJobService"))
    state = b.state(61)
    assert state.waiting and not state.ready
    job = b.dumped_job(61)
    assert "WITHIN_QUOTA" in job.unsatisfied
    assert job.standby_bucket == "RESTRICTED"
    b.wait_device_ms(30 * MINUTE)
    assert b.starts(61) == []

    # QuotaController's keys apply live too: a second session per window lets it run.
    b.out("device_config put jobscheduler qc_max_session_count_restricted 2")
    b.wait_started(61)
    assert "qc_max_session_count_restricted=2" in b.out("dumpsys jobscheduler")


def test_batch_delay_knob_releases_a_waiting_job(bench):
    b = bench(rate=1000)
    b.unplug()
    b.set_bucket("frequent")
    b.schedule(JobInfo(62, ".SyncJobService"))
    b.wait_device_ms(2 * MINUTE)
    assert b.starts(62) == []  # force-batched, for up to 31 min by default
    b.out("device_config put jobscheduler max_non_active_job_batch_delay_ms 60000")
    b.wait_started(62)
    assert settings_line(b, "max_non_active_job_batch_delay_ms") == (
        "max_non_active_job_batch_delay_ms=60000"
    )


def test_quota_keys_are_printed_as_set_and_used_within_their_safeguards(bench):
    b = bench()
    b.out("device_config put jobscheduler qc_max_job_count_rare 3")
    b.out("device_config put jobscheduler qc_window_size_rare_ms 3600000")
    b.out("device_config put jobscheduler qc_ej_limit_rare_ms not-a-number")
    text = b.out("dumpsys jobscheduler")
    assert "qc_max_job_count_rare=3 " in text  # QcConstants.dump: the configured value
    assert "qc_window_size_rare_ms=3600000 " in text
    assert "qc_ej_limit_rare_ms=600000 " in text  # unparsable: the default stays
    era = b.run(lambda: b.js.quota.era)
    assert era.max_job_count[RARE_INDEX] == 10  # MIN_BUCKET_JOB_COUNT
    assert era.window_ms[RARE_INDEX] == 60 * MINUTE
    b.out("device_config delete jobscheduler qc_window_size_rare_ms")
    assert b.run(lambda: b.js.quota.era.window_ms[RARE_INDEX]) == 24 * 60 * MINUTE


def test_android_11_keeps_its_constants_in_settings(bench):
    b = bench(api_level=30)
    b.out("device_config put jobscheduler qc_max_session_count_rare 1")
    assert "qc_max_session_count_rare=3 " in b.out("dumpsys jobscheduler")


def test_cache_config_changes_and_get_config_value(bench):
    b = bench(api_level=36)
    assert b.out("cmd jobscheduler get-config-value min_ready_non_active_jobs_count") == "null\n"
    assert b.out("cmd jobscheduler cache-config-changes on") == "Config caching enabled\n"
    b.out("device_config put jobscheduler min_ready_non_active_jobs_count 0")
    assert b.out("cmd jobscheduler get-config-value min_ready_non_active_jobs_count") == "0\n"
    assert b.out("cmd jobscheduler cache-config-changes off") == "Config caching disabled\n"
    assert b.out("cmd jobscheduler get-config-value min_ready_non_active_jobs_count") == "null\n"
    assert b.sh("cmd jobscheduler cache-config-changes maybe") == (
        "", "Error: unknown option maybe\n", 1)
    # Android 15 does not have these commands yet.
    old = bench(api_level=35)
    assert old.sh("cmd jobscheduler cache-config-changes on") == (
        "Unknown command: cache-config-changes\n", "", 255)


# ---------------------------------------------------------------------------------- EJ quota
def test_expedited_job_without_ej_quota_is_refused_unless_the_app_is_foreground(bench):
    b = bench(rate=500)
    b.unplug()
    b.set_bucket("rare")
    b.behavior[63] = "hold"
    assert b.schedule(JobInfo(63, ".SyncJobService", expedited=True)) == RESULT_SUCCESS
    b.wait_started(63)
    b.wait_stopped(63, timeout_s=30)  # RARE's 10 min of EJ time per 24 h are used up
    assert b.schedule(JobInfo(64, ".SyncJobService", expedited=True)) == RESULT_FAILURE
    assert not b.scheduled(64)
    # A regular job is not affected, and a foreground app is within its EJ quota.
    assert b.schedule(JobInfo(65, ".SyncJobService", requires_charging=True)) == RESULT_SUCCESS
    b.launch()
    assert b.schedule(JobInfo(64, ".SyncJobService", expedited=True)) == RESULT_SUCCESS
    b.wait_started(64)


# ---------------------------------------------------------------------------------- metered
@pytest.mark.parametrize("api", [26, 27])
def test_network_type_metered_is_valid_from_android_8(bench, api):
    b = bench(api_level=api)
    b.out("svc wifi disable")
    b.out("svc data disable")
    assert b.schedule(JobInfo(66, ".SyncJobService", network_type=NETWORK_TYPE_METERED)) == 1
    job = b.dumped_job(66)
    assert job.required == ["METERED"]  # JobStatus (O): CONSTRAINT_METERED
    b.wait_device_ms(MINUTE)
    assert b.starts(66) == []
    b.out("svc data enable")  # mobile data: metered
    b.wait_started(66)


def test_network_type_metered_validity_by_api_level():
    job = JobInfo(67, ".SyncJobService", network_type=NETWORK_TYPE_METERED)
    for api in (26, 27, 28, 34):
        job.validate(api)
    with pytest.raises(IllegalArgumentException, match="Unknown network type 4"):
        job.validate(25)  # the model refuses it; no device below API 26 is modelled


# ---------------------------------------------------------------------------------- shutdown
def test_persisted_job_scheduled_right_before_adb_reboot_is_there_after_boot(bench):
    b = bench(rate=1)
    b.unplug()
    b.schedule(JobInfo(68, ".SyncJobService", requires_device_idle=True, persisted=True))
    assert b.run(lambda: b.js.store.state.jobs) == []  # the batched write is 2 s away
    b.reboot()
    assert [j.job_id for j in b.run(lambda: b.js.get_pending_jobs(PKG))] == [68]
    assert dump_parser.parse(b.out("dumpsys jobscheduler")).find(PKG, 68)[0].persisted


def test_the_doze_whitelist_write_is_not_flushed_at_shutdown(bench):
    # DeviceIdleController writes its user whitelist 5 s after a change; that can outlast a
    # shutdown, so a whitelist change right before a reboot may be lost (the harness waits).
    b = bench(rate=1)
    b.out(f"cmd deviceidle whitelist +{PKG}")
    b.reboot()
    assert PKG not in b.out("cmd deviceidle whitelist")
