"""``dumpsys jobscheduler`` of the virtual device read by the project's parsers, the way they
read a real API 33 dump; and the quota constants against that dump's Settings block."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from harness.android import jobscheduler as parser
from harness.android.dumpsys_format import duration_ms
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.job_dump import parcelled_size
from harness.virtual.system.job_info import (
    NETWORK_TYPE_ANY,
    NETWORK_TYPE_CELLULAR,
    NETWORK_TYPE_UNMETERED,
    JobInfo,
)
from harness.virtual.system.job_quota import (
    ACTIVE_INDEX,
    EXEMPTED_INDEX,
    QUOTA_ERAS,
    RARE_INDEX,
    RESTRICTED_INDEX,
    bucket_index,
    quota_era,
)
from harness.virtual.system.job_status import CONSTRAINT_NAMES
from tests.conformance.captures import captures_dir
from tests.unit.virtual.jobscheduler_bench import HOUR, MINUTE, PKG, JobBench, bench_factory

WM_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"
NAME_BITS = {name: bit for bit, name in CONSTRAINT_NAMES}


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., JobBench]]:
    yield from bench_factory(device_loop)


def capture(name: str) -> str:
    root = captures_dir()
    path = root / "jobscheduler" / name if root else None
    if path is None or not path.exists():
        pytest.skip("captures not available (set HARNESS_CAPTURES_DIR)")
    return path.read_text(errors="replace")


def mask_of(names: list[str]) -> int:
    value = 0
    for name in names:
        value |= NAME_BITS[name]
    return value


def a_variety_of_jobs(b: JobBench) -> None:
    """Jobs of every shape a test meets: persisted periodic, network, EJ, WorkManager-like."""
    b.unplug()
    b.behavior[1] = "hold"
    b.schedule(JobInfo(1, ".SyncJobService", network_type=NETWORK_TYPE_ANY))
    b.wait_started(1)
    b.schedule(
        JobInfo(
            2,
            ".SyncJobService",
            requires_charging=True,
            period_ms=HOUR,
            flex_ms=15 * MINUTE,
            persisted=True,
            extras={"sync": "full", "count": 3},
        )
    )
    b.schedule(
        JobInfo(
            3,
            ".SyncJobService",
            network_type=NETWORK_TYPE_UNMETERED,
            min_latency_ms=10 * MINUTE,
            override_deadline_ms=HOUR,
            requires_battery_not_low=True,
        )
    )
    b.schedule(JobInfo(4, ".SyncJobService", requires_device_idle=True))
    b.schedule(
        JobInfo(
            5,
            ".SyncJobService",
            network_type=NETWORK_TYPE_CELLULAR,
            requires_charging=True,
            priority=200,
        )
    )


def check_consistent(job: parser.Job) -> None:
    """What a real dump guarantees: names match the hex masks, nothing left unread."""
    assert job.unparsed == [] and job.other == {}, (job.unparsed, job.other)
    for kind in ("required", "satisfied", "unsatisfied"):
        names = getattr(job, kind)
        if names:
            assert job.constraint_masks[kind] == mask_of(names), kind
    assert set(job.unsatisfied) <= set(job.required) | {"WITHIN_QUOTA", "TARE_WEALTH"}
    assert not set(job.satisfied) & set(job.unsatisfied)


@pytest.mark.parametrize("api", [33, 34])
def test_dump_reads_like_a_real_one(bench, api):
    b = bench(api_level=api)
    a_variety_of_jobs(b)
    dump = b.dump()
    assert dump.registered_count == 5 and len(dump.jobs) == 5
    assert dump.started_users == [0]
    assert dump.idle_mode is False and len(dump.doze) == 5
    assert dump.active_jobs == [("u0a150", 1)]
    for job in dump.jobs:
        check_consistent(job)
        assert job.package == PKG and job.service_package == PKG
        assert job.uid == "u0a150" and job.source_uid_number == 10150
        assert job.service == "com.example.jobs/.SyncJobService"
        assert job.tag == "*job*/com.example.jobs/.SyncJobService"
        assert job.standby_bucket == "ACTIVE"
        assert job.priority is not None
        assert set(job.readiness) == {
            "job",
            "user",
            "restricted",
            "pending",
            "active",
            "backingup",
            "comp",
        }
        assert job.ready["readyComponentEnabled"] is True
    running = dump.find(PKG, 1)[0]
    assert running.active is True and running.runnable is False
    assert running.network.startswith("NetworkRequest [ NONE id=0, [ Capabilities: INTERNET&")
    periodic = dump.find(PKG, 2)[0]
    assert periodic.persisted and periodic.periodic["interval_ms"] == HOUR
    assert periodic.periodic["flex_ms"] == 15 * MINUTE
    assert periodic.required == ["CHARGING", "TIMING_DELAY", "DEADLINE"]
    assert "CHARGING" in periodic.unsatisfied and "TIMING_DELAY" in periodic.unsatisfied
    assert periodic.tracking == ["BATTERY", "TIME", "QUOTA"]
    assert periodic.has_early_constraint and periodic.has_late_constraint
    delayed = dump.find(PKG, 3)[0]
    assert delayed.min_latency_ms == 10 * MINUTE and delayed.deadline_ms == HOUR
    assert delayed.required == [
        "BATTERY_NOT_LOW",
        "TIMING_DELAY",
        "DEADLINE",
        "CONNECTIVITY",
    ]
    assert "NOT_METERED&INTERNET" in delayed.network
    assert delayed.ready["readyDeadlineSatisfied"] is False
    assert "CONNECTIVITY" in delayed.satisfied and "TIMING_DELAY" in delayed.unsatisfied
    idle = dump.find(PKG, 4)[0]
    assert idle.required == ["IDLE"] and idle.unsatisfied == ["IDLE"]
    assert idle.doze_state == "RUNNABLE"
    cell = dump.find(PKG, 5)[0]
    assert "Transports: CELLULAR" in cell.network and cell.priority == "200 [LOW]"
    tare = [j for j in dump.jobs if "TARE_WEALTH" in j.satisfied]
    assert len(tare) == 5  # TARE is off on Android 13/14: every job can afford to run


def test_dump_shape_matches_the_real_api_33_capture(bench):
    real = parser.parse(capture("axxs-mt8168-api33.txt"))
    b = bench(api_level=33)
    a_variety_of_jobs(b)
    ours = b.dump()
    real_ready_keys = set().union(*(j.ready for j in real.jobs))
    our_ready_keys = set().union(*(j.ready for j in ours.jobs))
    assert {"readyNotDozing", "readyNotRestrictedInBg", "readyComponentEnabled"} <= (
        real_ready_keys & our_ready_keys
    )
    assert {k for j in real.jobs for k in j.readiness} == {
        k for j in ours.jobs for k in j.readiness
    }
    for job in real.jobs:
        check_consistent(job)
    # The same top-level sections, in the same order, as far as ours go.
    text = b.out("dumpsys jobscheduler")
    raw = capture("axxs-mt8168-api33.txt")
    sections = [ln for ln in text.splitlines() if re.match(r"^[A-Z][A-Za-z ]+:", ln)]
    real_sections = [ln for ln in raw.splitlines() if re.match(r"^[A-Z][A-Za-z ]+:", ln)]
    names = [s.split(":")[0] for s in sections]
    real_names = [s.split(":")[0] for s in real_sections]
    common = [n for n in names if n in real_names]
    assert common == [n for n in real_names if n in common]
    assert {
        "Settings",
        "Registered 5 jobs",
        "DeviceIdleJobsController",
        "QuotaController",
        "Pending queue",
        "Active jobs",
    } <= set(names) | {"Registered 5 jobs"}


def test_quota_settings_equal_the_real_api_33_dump(bench):
    raw = capture("axxs-mt8168-api33.txt")
    real = dict(re.findall(r"^    (qc_\w+)=(\d+) $", raw, re.M))
    era = quota_era(33)
    assert era is not None
    ours = {k: str(v) for k, v in era.settings()}
    assert ours == real
    # And the virtual device prints them the same way.
    b = bench(api_level=33)
    text = b.out("dumpsys jobscheduler")
    assert dict(re.findall(r"^    (qc_\w+)=(\d+) $", text, re.M)) == real


def test_settings_block_matches_the_real_api_33_dump(bench):
    raw = capture("axxs-mt8168-api33.txt")
    real = re.findall(r"^  ([a-z_]+)=(\S+) $", raw.split("\n\n", 1)[0], re.M)
    b = bench(api_level=33)
    ours = re.findall(
        r"^  ([a-z_]+)=(\S+) $", b.out("dumpsys jobscheduler").split("\n\n", 1)[0], re.M
    )
    assert ours == real


def test_workmanager_extras_parcel_size_is_what_phones_print():
    # WorkManager 2.x extras: the docs' WorkManager dump shows mParcelledData.dataSize=180.
    extras = {
        "EXTRA_WORK_SPEC_ID": "0d53c45a-3f8b-4b6f-8c5f-2a8e0c3b9c1d",
        "EXTRA_IS_PERIODIC": False,
    }
    assert parcelled_size(extras) == 180


def test_workmanager_job_dump(bench):
    b = bench()
    xml = (
        '<service android:name="androidx.work.impl.background.systemjob.SystemJobService"'
        ' android:permission="android.permission.BIND_JOB_SERVICE" android:exported="true"/>'
    )
    from tests.unit.virtual.jobscheduler_bench import manifest

    assert b.install(manifest().replace("</application>", xml + "</application>")) == "Success"
    b.unplug()
    b.schedule(
        JobInfo(
            4,
            WM_SERVICE,
            requires_charging=True,
            important_while_foreground=True,
            extras={
                "EXTRA_WORK_SPEC_ID": "0d53c45a-3f8b-4b6f-8c5f-2a8e0c3b9c1d",
                "EXTRA_IS_PERIODIC": False,
            },
        )
    )
    job = b.dumped_job(4)
    assert job.is_workmanager and job.service == f"{PKG}/{WM_SERVICE}"
    assert job.extras_raw == "mParcelledData.dataSize=180" and job.work_spec_id is None
    assert job.flags == "2"


@pytest.mark.parametrize("api", [27, 28, 30, 31, 35, 36])
def test_older_and_newer_layouts_parse(bench, api):
    b = bench(api_level=api)
    b.unplug()
    info = JobInfo(1, ".SyncJobService", requires_charging=True, network_type=NETWORK_TYPE_ANY)
    b.schedule(info)
    job = b.dumped_job(1)
    # Android 9-11 print heartbeats, which the parser keeps as "other" lines, as for phones.
    heartbeat = {"Last run heartbeat", "Base heartbeat"} if 28 <= api <= 30 else set()
    assert job.unparsed == [] and set(job.other) <= heartbeat
    assert job.required[0] == "CHARGING" and "CHARGING" in job.unsatisfied
    if api >= 28:
        assert job.standby_bucket == "ACTIVE"
        assert job.constraint_masks["required"] == mask_of(job.required)
    else:
        assert job.standby_bucket is None and job.constraint_masks == {}
        assert job.network == "1"
    if api >= 31:
        assert "readyComponentEnabled" in job.ready
    assert ("TARE_WEALTH" in job.satisfied) == (33 <= api <= 35)


def test_persisted_job_dump_shows_extras_after_the_write(bench):
    b = bench()
    b.unplug()
    b.schedule(
        JobInfo(9, ".SyncJobService", requires_charging=True, persisted=True, extras={"x": 1})
    )
    b.wait_device_ms(3_000)
    job = b.dumped_job(9)
    assert job.extras == {"x": "1"} and job.persisted


def test_run_time_and_enqueue_time_are_relative(bench):
    b = bench(rate=1)
    b.schedule(JobInfo(10, ".SyncJobService", min_latency_ms=HOUR, override_deadline_ms=2 * HOUR))
    job = b.dumped_job(10)
    assert HOUR - 5_000 < duration_ms(job.earliest_run_time) <= HOUR
    assert 2 * HOUR - 5_000 < duration_ms(job.latest_run_time) <= 2 * HOUR
    assert -5_000 < duration_ms(job.enqueue_time) <= 0


# ---------------------------------------------------------------------------------- quota data
def test_bucket_indices_per_release():
    assert bucket_index(5, 33) == EXEMPTED_INDEX and bucket_index(5, 32) == ACTIVE_INDEX
    assert bucket_index(45, 30) == RESTRICTED_INDEX and bucket_index(45, 29) == RARE_INDEX
    assert bucket_index(40, 34) == RARE_INDEX


def test_quota_eras_per_release():
    assert quota_era(28) is None
    assert quota_era(29) is QUOTA_ERAS["Q"] and quota_era(30) is QUOTA_ERAS["R"]
    assert quota_era(31) is QUOTA_ERAS["S"] and quota_era(32) is QUOTA_ERAS["S"]
    assert quota_era(33) is QUOTA_ERAS["T"] and quota_era(35) is QUOTA_ERAS["T"]
    assert quota_era(36) is QUOTA_ERAS["B"]
    t = QUOTA_ERAS["T"]
    assert t.window_ms[RARE_INDEX] == 24 * HOUR and t.max_session_count[RARE_INDEX] == 3
    assert t.ej_limit_ms[RARE_INDEX] == 10 * MINUTE
    assert QUOTA_ERAS["Q"].rate_limiting_window_ms == 10 * MINUTE
    assert QUOTA_ERAS["B"].window_ms[ACTIVE_INDEX] == HOUR
