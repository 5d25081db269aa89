"""Unit tests of the ``dumpsys jobscheduler`` parser on hand-written dumps of three eras."""

from __future__ import annotations

import json

import pytest

from harness.android import jobscheduler
from harness.errors import ParseError

# Android 13 layout: Priority, Dynamic constraints, history, implicit constraints, Restricted.
T_DUMP = """\
Settings:
  min_ready_non_active_jobs_count=5\x20
  enable_tare=false\x20

Started users: [0]

Registered 3 jobs:
  JOB #1000/4001: 5a1c2e0 android/com.android.server.ExampleIdleService
    1000 tag=*job*/android/com.android.server.ExampleIdleService
    Source: uid=1000 user=0 pkg=android
    JobInfo:
      Service: android/com.android.server.ExampleIdleService
      PERIODIC: interval=+1d0h0m0s0ms flex=+6h0m0s0ms
      PERSISTED
      Priority: 300 [DEFAULT]
      Requires: charging=true batteryNotLow=false deviceIdle=true
      Backoff: policy=1 initial=+30s0ms
      Has early constraint
      Has late constraint
    Required constraints: CHARGING TIMING_DELAY DEADLINE IDLE [0xc0000005]
    Dynamic constraints:
    Satisfied constraints: TIMING_DELAY DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED\
 WITHIN_QUOTA [0x83400000]
    Unsatisfied constraints: CHARGING DEADLINE IDLE TARE_WEALTH [0x48000005]
    Constraint history:
      -2h0m1s5ms = TIMING_DELAY [0x80000000]
      -2h0m1s4ms = TIMING_DELAY DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED WITHIN_QUOTA\
 [0x83400000]
    Doze whitelisted: true
    Uid: active
    Tracking: BATTERY IDLE TIME QUOTA
    Implicit constraints:
      readyNotDozing: true
      readyNotRestrictedInBg: true
      readyComponentEnabled: true
    Standby bucket: EXEMPTED
    Enqueue time: -2h0m1s5ms
    Run time: earliest=-1h0m0s0ms, latest=+22h0m0s0ms, original latest=+22h0m0s0ms
    Restricted due to: none.
    Ready: false (job=false user=true !restricted=true !pending=true !active=true\
 !backingup=true comp=true)
  JOB #u0a201/7: 3b9d0a1 com.example.app/androidx.work.impl.background.systemjob.SystemJobService
    u0a201 tag=*job*/com.example.app/androidx.work.impl.background.systemjob.SystemJobService
    Source: uid=u0a201 user=0 pkg=com.example.app
    JobInfo:
      Service: com.example.app/androidx.work.impl.background.systemjob.SystemJobService
      Priority: 400 [HIGH]
      Flags: 11
      Internal flags: 1 HAS_FOREGROUND_EXEMPTION
      Requires: charging=false batteryNotLow=false deviceIdle=false
      Extras: {EXTRA_WORK_SPEC_ID=6f1c0d22-4b1e-4f43-9a57-2f8e3c1d0b9a,\
 EXTRA_WORK_SPEC_GENERATION=0, EXTRA_IS_PERIODIC=false}
      Network type: NetworkRequest [ NONE id=0, [ Capabilities:\
 INTERNET&NOT_RESTRICTED&TRUSTED&VALIDATED Uid: 10201] ]
      Minimum latency: +15m0s0ms
      Max execution delay: +1h0m0s0ms
      Backoff: policy=0 initial=+30s0ms
      Has early constraint
      Has late constraint
    Required constraints: TIMING_DELAY DEADLINE CONNECTIVITY [0xd0000000]
    Dynamic constraints: DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED [0x2400000]
    Satisfied constraints: CONNECTIVITY BACKGROUND_NOT_RESTRICTED TARE_WEALTH WITHIN_QUOTA\
 [0x19400000]
    Unsatisfied constraints: TIMING_DELAY DEADLINE DEVICE_NOT_DOZING [0xc2000000]
    Constraint history:
      -40s12ms = CONNECTIVITY [0x10000000]
    Tracking: CONNECTIVITY TIME QUOTA
    Implicit constraints:
      readyNotDozing: false
      readyNotRestrictedInBg: true
      readyDeadlineSatisfied: false
      readyDynamicSatisfied: false
      readyComponentEnabled: true
      expeditedQuotaApproved: true expeditedTareApproved: false (started as EJ: false)
    Network: 102
    Standby bucket: RARE
      Deferred since: -5m0s0ms
    Enqueue time: -41s0ms
    Run time: earliest=+14m19s0ms, latest=+59m19s0ms, original latest=+59m19s0ms
    Num failures: 2
    Last successful run: 2024-05-01 10:00:00
    Restricted due to: none.
    Ready: false (job=false user=true !restricted=true !pending=false !active=true\
 !backingup=true comp=true)
  JOB #1000/100077: 1d2e3f4 com.example.sync/com.example.account/user1@example.com:android
    1000 tag=*job*/com.example.sync/com.example.account/user1@example.com:android
    Source: uid=u0a202 user=0 pkg=com.example.mail
    JobInfo:
      Service: android/com.android.server.content.SyncJobService
      PERIODIC: interval=+1d0h0m0s0ms flex=+1h12m0s0ms
      PERSISTED
      Priority: 300 [DEFAULT]
      Requires: charging=false batteryNotLow=false deviceIdle=false
      Extras: mParcelledData.dataSize=412
      Backoff: policy=1 initial=+30s0ms
      Has early constraint
      Has late constraint
    Required constraints: TIMING_DELAY DEADLINE [0xc0000000]
    Dynamic constraints:
    Satisfied constraints: DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED TARE_WEALTH WITHIN_QUOTA\
 [0xb400000]
    Unsatisfied constraints: TIMING_DELAY DEADLINE [0xc0000000]
    Constraint history:
    Tracking: TIME QUOTA
    Implicit constraints:
      readyNotDozing: true
      readyNotRestrictedInBg: true
      readyComponentEnabled: true
    Standby bucket: ACTIVE
    Enqueue time: -3h0m0s0ms
    Run time: earliest=+20h0m0s0ms, latest=+21h12m0s0ms, original latest=+21h12m0s0ms
    Restricted due to: none.
    Ready: false (job=false user=true !restricted=true !pending=true !active=false\
 !backingup=true comp=true)

DeviceIdleJobsController:
  Idle mode: true
\x20\x20
  #u0a201/7 from u0a201: com.example.app WAITING
  #1000/4001 from 1000: android RUNNABLE WHITELISTED
  #1000/100077 from u0a202: com.example.mail RUNNABLE ALLOWED_IN_DOZE

QuotaController:
  #u0a201/7 from u0a201
    RARE, within regular quota, 600000ms remaining in quota

Pending queue:
  Pending #0: 3b9d0a1 #u0a201/7\
 com.example.app/androidx.work.impl.background.systemjob.SystemJobService
    u0a201 tag=*job*/com.example.app/androidx.work.impl.background.systemjob.SystemJobService
    Source: uid=u0a201 user=0 pkg=com.example.app
    Evaluated bias: DEFAULT
    Tag: *job*/com.example.app/androidx.work.impl.background.systemjob.SystemJobService
    Enq: -2s0ms

Active jobs:
  Slot #0: inactive since -1m2s3ms, stopped because: app called jobFinished
  Slot #1: 1d2e3f4 #1000/100077 com.example.sync/com.example.account/user1@example.com:android
    Running for: +4s120ms, timeout at: +9m55s880ms

mReadyToRock=true
"""

# Android 7.1 layout: "Earliest run time", old readiness line, no masks.
N_DUMP = """\
  Settings:
    min_idle_count=1

Started users: [0]
Registered 1 jobs:
  JOB #u0a88/12: 9f8e7d6 com.example.old/.OldJobService
    u0a88 tag=*job*/com.example.old/.OldJobService
    Source: uid=u0a88 user=0 pkg=com.example.old
    JobInfo:
      Service: com.example.old/.OldJobService
      Requires: charging=false deviceIdle=false
      Network type: 1
      Minimum latency: +5m0s0ms
      Backoff: policy=1 initial=+30s0ms
      Has early constraint
    Required constraints: TIMING_DELAY CONNECTIVITY
    Satisfied constraints: CONNECTIVITY NOT_ROAMING APP_NOT_IDLE DEVICE_NOT_DOZING
    Unsatisfied constraints: TIMING_DELAY
    Earliest run time: 03:12
    Latest run time: none
    Ready: false (job=false pending=false active=false user=true)

AppIdle: parole on = true
  #u0a88/12 from u0a88: com.example.old RUNNABLE

DeviceIdleJobsController
  #u0a88/12 from u0a88: com.example.old RUNNABLE

Pending queue:

Active jobs:
  Slot #0: inactive
"""


def test_registered_jobs_of_android_13() -> None:
    dump = jobscheduler.parse(T_DUMP)
    assert dump.registered_count == 3
    assert dump.started_users == [0]
    assert [(j.package, j.job_id) for j in dump.jobs] == [
        ("android", 4001),
        ("com.example.app", 7),
        ("com.example.mail", 100077),
    ]
    system = dump.jobs[0]
    assert system.uid == "1000" and system.uid_number == 1000
    assert system.service == "android/com.android.server.ExampleIdleService"
    assert system.required == ["CHARGING", "TIMING_DELAY", "DEADLINE", "IDLE"]
    assert system.unsatisfied == ["CHARGING", "DEADLINE", "IDLE", "TARE_WEALTH"]
    assert system.constraint_masks["required"] == 0xC0000005
    assert system.dynamic == []
    assert system.persisted is True
    assert system.periodic == {
        "interval": "+1d0h0m0s0ms",
        "flex": "+6h0m0s0ms",
        "interval_ms": 86_400_000,
        "flex_ms": 21_600_000,
    }
    assert system.constraint_history[0] == "-2h0m1s5ms = TIMING_DELAY [0x80000000]"
    assert system.doze_whitelisted and system.uid_active
    assert system.standby_bucket == "EXEMPTED"
    assert system.restricted_due_to == "none"
    assert system.latest_run_time == "+22h0m0s0ms"
    assert system.original_latest_run_time == "+22h0m0s0ms"
    assert system.pending is False and system.active is False


def test_workmanager_job_fields() -> None:
    job = jobscheduler.parse(T_DUMP).find("com.example.app", 7)[0]
    assert job.uid == "u0a201" and job.uid_number == 10201
    assert job.is_workmanager
    assert job.work_spec_id == "6f1c0d22-4b1e-4f43-9a57-2f8e3c1d0b9a"
    assert job.extras["EXTRA_IS_PERIODIC"] == "false"
    assert job.min_latency == "+15m0s0ms" and job.min_latency_ms == 900_000
    assert job.deadline == "+1h0m0s0ms" and job.deadline_ms == 3_600_000
    assert job.dynamic == ["DEVICE_NOT_DOZING", "BACKGROUND_NOT_RESTRICTED"]
    assert job.ready == {
        "readyNotDozing": False,
        "readyNotRestrictedInBg": True,
        "readyDeadlineSatisfied": False,
        "readyDynamicSatisfied": False,
        "readyComponentEnabled": True,
        "expeditedQuotaApproved": True,
        "expeditedTareApproved": False,
        "startedAsEJ": False,
    }
    assert job.flags == "11" and job.internal_flags == "1 HAS_FOREGROUND_EXEMPTION"
    assert job.priority == "400 [HIGH]"
    assert job.network is not None and job.network.startswith("NetworkRequest [ NONE")
    assert job.num_failures == 2
    assert job.last_successful_run == "2024-05-01 10:00:00"
    assert job.standby_bucket == "RARE"
    assert job.other["Deferred since"] == "-5m0s0ms"
    assert job.other["Network"] == "102"
    # "!pending=false" and the Pending queue both say it is pending.
    assert job.pending is True and job.active is False
    assert job.runnable is False
    assert job.readiness["restricted"] is False
    assert job.doze_state == "WAITING"


def test_sync_job_keeps_source_package_and_owner() -> None:
    dump = jobscheduler.parse(T_DUMP)
    job = dump.find("com.example.mail")[0]
    assert job.name == "com.example.sync/com.example.account/user1@example.com:android"
    assert job.service_package == "android"
    assert job.source_uid == "u0a202" and job.source_uid_number == 10202
    assert job.extras == {} and job.extras_raw == "mParcelledData.dataSize=412"
    assert job.constraint_history == []
    assert job.active is True  # listed in a running slot
    assert dump.find("android", 100077) == [job]


def test_device_idle_jobs_controller_section() -> None:
    dump = jobscheduler.parse(T_DUMP)
    assert dump.idle_mode is True
    assert [(d.uid, d.job_id, d.package, d.state) for d in dump.doze] == [
        ("u0a201", 7, "com.example.app", "WAITING"),
        ("1000", 4001, "android", "RUNNABLE"),
        ("1000", 100077, "com.example.mail", "RUNNABLE"),
    ]
    assert dump.doze[1].whitelisted and not dump.doze[1].allowed_in_doze
    assert dump.doze[2].allowed_in_doze and dump.doze[2].source_uid == "u0a202"
    assert dump.pending_queue == [("u0a201", 7)]
    assert dump.active_jobs == [("1000", 100077)]


def test_android_7_layout() -> None:
    dump = jobscheduler.parse(N_DUMP)
    (job,) = dump.jobs
    assert job.package == "com.example.old" and job.job_id == 12
    assert job.satisfied == ["CONNECTIVITY", "NOT_ROAMING", "APP_NOT_IDLE", "DEVICE_NOT_DOZING"]
    assert job.constraint_masks == {}
    assert job.earliest_run_time == "03:12" and job.latest_run_time == "none"
    assert job.requires == {"charging": False, "deviceIdle": False}
    assert job.network == "1"
    assert job.pending is False and job.active is False
    assert job.standby_bucket is None
    # Only the DeviceIdleJobsController list counts, not the look-alike AppIdle list.
    assert len(dump.doze) == 1 and dump.idle_mode is None
    assert dump.active_jobs == []


def test_job_block_without_registered_header() -> None:
    # An excerpt as documentation pages show it: one JOB block at column 0, then history.
    start = T_DUMP.index("  JOB #1000/4001")
    end = T_DUMP.index("  JOB #u0a201/7")
    block = "\n".join(line[2:] for line in T_DUMP[start:end].split("\n"))
    excerpt = block + "\nJob history:\n     -1h0m0s0ms   START: #1000/4001 android/.Idle\n"
    dump = jobscheduler.parse(excerpt)
    assert len(dump.jobs) == 1 and dump.registered_count is None
    assert dump.jobs[0].required == ["CHARGING", "TIMING_DELAY", "DEADLINE", "IDLE"]
    assert dump.jobs[0].ready["readyComponentEnabled"] is True


@pytest.mark.parametrize("ending", ["\r\n", "\r\r\n", "\r"])
def test_line_endings(ending: str) -> None:
    dump = jobscheduler.parse(T_DUMP.replace("\n", ending).encode())
    assert [j.job_id for j in dump.jobs] == [4001, 7, 100077]
    assert dump.jobs[1].ready["readyNotDozing"] is False


def test_invalid_utf8_and_nul_bytes_do_not_crash() -> None:
    data = T_DUMP.encode().replace(b"com.example.account", b"com.example.\xff\x00account")
    dump = jobscheduler.parse(data)
    assert len(dump.jobs) == 3


def test_odd_lines_are_kept_not_fatal() -> None:
    text = T_DUMP.replace(
        "    Num failures: 2\n", "    Num failures: many\n    Vendor boost applied\n"
    )
    job = jobscheduler.parse(text).find("com.example.app")[0]
    assert any("Num failures: many" in u for u in job.unparsed)
    assert "Vendor boost applied" in job.unparsed


def test_empty_registry() -> None:
    dump = jobscheduler.parse("Started users: [0]\nRegistered 0 jobs:\n  None.\n")
    assert dump.jobs == [] and dump.registered_count == 0


@pytest.mark.parametrize("text", ["", "Current Alarm Manager state:\n  Settings:\n", "hello\n"])
def test_not_a_jobscheduler_dump(text: str) -> None:
    with pytest.raises(ParseError):
        jobscheduler.parse(text)


def test_to_json_is_serializable() -> None:
    data = jobscheduler.parse(T_DUMP).to_json()
    json.dumps(data)
    job = data["jobs"][1]
    required_keys = [
        "package",
        "job_id",
        "uid",
        "service",
        "required",
        "satisfied",
        "unsatisfied",
        "standby_bucket",
        "persisted",
        "periodic",
        "min_latency",
        "deadline",
        "ready",
        "tag",
        "extras",
        "pending",
        "active",
    ]
    assert set(required_keys) <= set(job)
    assert data["pending_queue"] == [{"uid": "u0a201", "job_id": 7}]


def test_namespaced_job_header() -> None:
    # Android 14 adds job namespaces; the namespace is printed in braces before the id.
    text = """\
Registered 1 jobs:
  JOB {sync} #u0a201/7: 3b9d0a1 com.example.app/.SyncJobService
    u0a201 tag=*job*/@sync@com.example.app/.SyncJobService
    Source: uid=u0a201 user=0 pkg=com.example.app
    JobInfo:
      Service: com.example.app/.SyncJobService
      Requires: charging=false batteryNotLow=false deviceIdle=false
    Required constraints: CONNECTIVITY [0x10000000]
    Satisfied constraints: CONNECTIVITY [0x10000000]
    Unsatisfied constraints: [0x0]
    Ready: true (job=true user=true !restricted=true !pending=true !active=true comp=true)

DeviceIdleJobsController:
  Idle mode: false
  {sync} #u0a201/7 from u0a201: com.example.app RUNNABLE
"""
    dump = jobscheduler.parse(text)
    (job,) = dump.jobs
    assert (job.namespace, job.uid, job.job_id) == ("sync", "u0a201", 7)
    assert job.package == "com.example.app"
    assert job.unsatisfied == [] and job.runnable is True
    assert dump.doze[0].namespace == "sync" and job.doze_state == "RUNNABLE"
