"""``cmd jobscheduler``, ``cmd devicestoragemonitor``, ``cmd connectivity`` and the ``svc``
handlers: exact output, output stream and exit status."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.shell.registry import Invocation
from harness.virtual.shell.streams import BufferOutput, BytesInput
from harness.virtual.system.connectivity import ConnectivityService, svc_data, svc_wifi
from harness.virtual.system.job_info import NETWORK_TYPE_ANY, JobInfo
from harness.virtual.system.job_status import STOP_REASON_QUOTA, STOP_REASON_TIMEOUT
from tests.unit.virtual.jobscheduler_bench import MINUTE, PKG, JobBench, bench_factory

# JobSchedulerShellCommand return codes as the shell sees them (& 0xFF).
RC_NO_PACKAGE = -1000 & 0xFF
RC_NO_JOB = -1001 & 0xFF
RC_CONSTRAINTS = -1002 & 0xFF


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., JobBench]]:
    yield from bench_factory(device_loop)


# ---------------------------------------------------------------------------------- run
def test_run_runs_a_waiting_job(bench):
    b = bench()
    b.unplug()
    b.schedule(JobInfo(1, ".SyncJobService", requires_charging=True))
    assert b.sh(f"cmd jobscheduler run {PKG} 1") == ("Running job\n", "", 0)
    b.wait_started(1)


def test_run_force_ignores_functional_constraints(bench):
    b = bench()
    b.run(lambda: b.dev.system.service(ConnectivityService).set_airplane_mode(True))
    b.schedule(JobInfo(2, ".SyncJobService", network_type=NETWORK_TYPE_ANY))
    assert b.sh(f"cmd jobscheduler run {PKG} 2") == (
        "",
        f"Job 2 in package {PKG} / user 0 has functional constraints but --force not specified\n",
        RC_CONSTRAINTS,
    )
    assert b.sh(f"cmd jobscheduler run -f {PKG} 2") == ("Running job [FORCED]\n", "", 0)
    b.wait_started(2)


def test_run_satisfied_honours_every_constraint(bench):
    b = bench()
    b.unplug()
    b.schedule(JobInfo(3, ".SyncJobService", requires_charging=True))
    out = b.sh(f"cmd jobscheduler run -s {PKG} 3")
    assert out[1].startswith("Job 3 in package com.example.jobs / user 0 has functional")
    assert out[2] == RC_CONSTRAINTS
    assert b.sh(f"cmd jobscheduler run --force --satisfied {PKG} 3") == (
        "Cannot specify both --force and --satisfied\n",
        "",
        255,
    )


def test_run_errors(bench):
    b = bench()
    assert b.sh("cmd jobscheduler run com.nope 1") == (
        "",
        "Package not found: com.nope / user 0\n",
        RC_NO_PACKAGE,
    )
    assert b.sh(f"cmd jobscheduler run {PKG} 99") == (
        "",
        f"Could not find job 99 in package {PKG} / user 0\n",
        RC_NO_JOB,
    )
    assert b.sh(f"cmd jobscheduler run -x {PKG} 1") == ("Error: unknown option '-x'\n", "", 255)
    assert b.sh("cmd jobscheduler run") == (
        'Exception: java.lang.IllegalArgumentException: Argument expected after "run"\n',
        "",
        255,
    )
    assert b.sh(f"cmd jobscheduler run {PKG} one") == (
        'Exception: java.lang.NumberFormatException: For input string: "one"\n',
        "",
        255,
    )
    assert b.sh(f"cmd jobscheduler run -fs {PKG} 1") == (
        'Exception: java.lang.IllegalArgumentException: No argument expected after "-fs"\n',
        "",
        255,
    )


def test_run_options_by_release(bench):
    b = bench(api_level=31)
    assert b.sh(f"cmd jobscheduler run -s {PKG} 1")[0] == "Error: unknown option '-s'\n"
    assert b.sh(f"cmd jobscheduler run -n ns {PKG} 1")[0] == "Error: unknown option '-n'\n"
    b34 = bench(api_level=34)
    assert b34.sh(f"cmd jobscheduler run -n ns {PKG} 1") == (
        "",
        f"Could not find job 1 in package {PKG} / namespace ns / user 0\n",
        RC_NO_JOB,
    )


def test_commands_need_change_app_idle_state(bench):
    b = bench()
    assert b.sh(f"cmd jobscheduler run {PKG} 1", uid=10150) == (
        "Exception: java.lang.SecurityException: Uid 10150 not permitted to force scheduled jobs\n",
        "",
        255,
    )


# ---------------------------------------------------------------------------------- state
def test_get_job_state_tokens(bench):
    b = bench()
    b.unplug()
    b.schedule(JobInfo(4, ".SyncJobService", requires_charging=True))
    assert b.sh(f"cmd jobscheduler get-job-state {PKG} 4") == ("waiting\n", "", 0)
    b.behavior[5] = "hold"
    b.schedule(JobInfo(5, ".SyncJobService"))
    b.wait_started(5)
    # "active" and "ready" use println, the second after a space; the call ends in println().
    assert b.sh(f"cmd jobscheduler get-job-state {PKG} 5") == ("active\n ready\n\n", "", 0)
    state = b.state(5)
    assert state.states == ["active", "ready"] and state.found


def test_get_job_state_is_waiting_in_doze(bench):
    b = bench(rate=1)
    b.out("cmd deviceidle force-idle")
    b.schedule(JobInfo(6, ".SyncJobService"))
    assert b.sh(f"cmd jobscheduler get-job-state {PKG} 6")[0] == "waiting\n"


def test_get_job_state_unknowns(bench):
    b = bench()
    assert b.sh("cmd jobscheduler get-job-state com.nope 1") == (
        "unknown(com.nope)\n",
        "Package not found: com.nope / user 0\n",
        RC_NO_PACKAGE,
    )
    out, err, rc = b.sh(f"cmd jobscheduler get-job-state {PKG} 7")
    assert (out, rc) == ("unknown(u0a150/jid7)\n", RC_NO_JOB)
    assert err == f"Could not find job 7 in package {PKG} / user 0\n"
    parsed = b.state(7)
    assert parsed.error == "no_job" and parsed.unknown_job_id == 7


# ---------------------------------------------------------------------------------- stop
def test_timeout_on_android_13(bench):
    b = bench(api_level=33)
    b.behavior[8] = "hold"
    b.schedule(JobInfo(8, ".SyncJobService"))
    b.wait_started(8)
    assert b.sh(f"cmd jobscheduler timeout {PKG} 8") == (
        "Timing out: u0a150/8 com.example.jobs/.SyncJobService\n",
        "",
        0,
    )
    assert b.wait_stopped(8).params.stop_reason == STOP_REASON_TIMEOUT
    b.wait_until(lambda: not b.running(8))
    assert b.sh("cmd jobscheduler timeout") == ("No matching executing jobs found.\n", "", 0)
    assert b.sh("cmd jobscheduler stop") == ("Unknown command: stop\n", "", 255)


def test_stop_and_timeout_on_android_14(bench):
    b = bench(api_level=34)
    b.behavior[9] = "hold"
    b.schedule(JobInfo(9, ".SyncJobService"))
    b.wait_started(9)
    assert b.sh(f"cmd jobscheduler stop -s 10 {PKG} 9") == (
        "Stopping job: u0a150/9 com.example.jobs/.SyncJobService\n",
        "",
        0,
    )
    assert b.wait_stopped(9).params.stop_reason == STOP_REASON_QUOTA
    b.reschedule_on_stop[10] = True
    b.behavior[10] = "hold"
    b.schedule(JobInfo(10, ".SyncJobService"))
    b.wait_started(10)
    assert b.sh(f"cmd jobscheduler timeout -u 0 {PKG}")[0].startswith("Stopping job: u0a150/10")
    assert b.wait_stopped(10).params.stop_reason == STOP_REASON_TIMEOUT


def test_cancel(bench):
    b = bench()
    b.unplug()
    for i in (11, 12):
        b.schedule(JobInfo(i, ".SyncJobService", requires_charging=True))
    assert b.sh(f"cmd jobscheduler cancel {PKG} 11") == (
        f"Canceling job {PKG}/#11 in user 0\n",
        "",
        0,
    )
    assert b.sh(f"cmd jobscheduler cancel {PKG} 11")[0] == (
        f"Canceling job {PKG}/#11 in user 0\nNo matching job found.\n"
    )
    assert b.sh(f"cmd jobscheduler cancel {PKG}")[0] == (
        f"Canceling all jobs for {PKG} in user 0\n"
    )
    assert not b.scheduled(12)
    assert b.sh("cmd jobscheduler cancel com.nope") == (
        "Package com.nope not found.\n",
        "",
        RC_NO_PACKAGE,
    )
    assert b.sh(f"cmd jobscheduler cancel -u all {PKG}") == (
        "Error: must specify a concrete user ID\n",
        "",
        255,
    )


# ---------------------------------------------------------------------------------- misc
def test_battery_handshake(bench):
    b = bench()
    assert b.out("cmd jobscheduler monitor-battery on") == "Battery monitoring enabled\n"
    seq = int(b.out("cmd battery set -f level 40"))
    assert int(b.out("cmd jobscheduler get-battery-seq")) >= seq
    b.unplug()
    assert b.out("cmd jobscheduler get-battery-charging") == "false\n"
    assert b.out("cmd jobscheduler get-battery-not-low") == "true\n"
    assert b.out("cmd jobscheduler monitor-battery off") == "Battery monitoring disabled\n"


def test_storage_commands(bench):
    b = bench()
    assert b.out("cmd jobscheduler get-storage-seq") == "-1\n"
    assert b.out("cmd devicestoragemonitor force-low") == ""  # no -f: applied by the next check
    assert b.out("cmd jobscheduler get-storage-not-low") == "true\n"
    b.wait_until(lambda: b.out("cmd jobscheduler get-storage-not-low") == "false\n")
    assert b.out("cmd jobscheduler get-storage-seq") == "2\n"
    assert b.out("cmd devicestoragemonitor force-not-low -f") == "3\n"
    assert "mSeq=3 mForceState=NORMAL" in b.out("dumpsys devicestoragemonitor")
    out, _err, rc = b.sh("cmd devicestoragemonitor")
    assert out.startswith("Device storage monitor service (devicestoragemonitor) commands:")
    assert rc == 255


def test_dock_state_and_idle(bench):
    b = bench(rate=1000)
    b.schedule(JobInfo(13, ".SyncJobService", requires_device_idle=True))
    assert b.sh("cmd jobscheduler trigger-dock-state idle") == ("", "", 0)
    start = b.wait_started(13, timeout_s=20)
    assert start.elapsed > 30 * MINUTE
    assert b.sh("cmd jobscheduler trigger-dock-state bogus") == (
        "",
        "Error: unknown option bogus\n",
        1,
    )


def test_heartbeat_help_and_unknown(bench):
    b = bench()
    assert b.sh("cmd jobscheduler heartbeat") == (
        "Heartbeat command is no longer supported\n",
        "",
        255,
    )
    out, _err, rc = b.sh("cmd jobscheduler -h")
    assert out.startswith("Job scheduler (jobscheduler) commands:\n") and rc == 255
    assert "  run [-f | --force] [-s | --satisfied] [-u | --user USER_ID]" in out
    assert b.sh("cmd jobscheduler bogus") == ("Unknown command: bogus\n", "", 255)
    assert b.sh(f"cmd jobscheduler reset-execution-quota -u 0 {PKG}") == ("", "", 0)
    assert b.sh("cmd jobscheduler reset-schedule-quota") == ("", "", 0)


def test_jobscheduler_binder_is_the_model_not_the_stub(bench):
    b = bench()
    assert b.out("dumpsys jobscheduler").startswith("Settings:\n")
    assert b.out("dumpsys jobscheduler -h").startswith("Job Scheduler (jobscheduler) dump")
    assert b.out("dumpsys jobscheduler com.nope") == "Invalid package: com.nope\n"


# ---------------------------------------------------------------------------------- network
def test_airplane_mode(bench):
    b = bench()
    assert b.sh("cmd connectivity airplane-mode") == ("disabled\n", "", 0)
    b.schedule(JobInfo(14, ".SyncJobService", network_type=NETWORK_TYPE_ANY))
    b.wait_started(14)
    assert b.sh("cmd connectivity airplane-mode enable") == ("", "", 0)
    assert b.out("cmd connectivity airplane-mode") == "enabled\n"
    assert b.out("settings get global airplane_mode_on") == "1\n"
    b.schedule(JobInfo(15, ".SyncJobService", network_type=NETWORK_TYPE_ANY))
    b.wait_device_ms(MINUTE)
    assert b.starts(15) == []
    b.out("cmd connectivity airplane-mode disable")
    b.wait_started(15)
    assert b.sh("cmd connectivity airplane-mode bogus")[2] == 255


def _invocation(b: JobBench) -> tuple[Invocation, BufferOutput, BufferOutput]:
    out, err = BufferOutput(), BufferOutput()
    inv = Invocation(b.dev, ["svc"], {}, "/", 2000, BytesInput(b""), out, err)
    return inv, out, err


@pytest.mark.parametrize("api", [29, 34])
def test_svc_wifi_and_data(bench, api):
    b = bench(api_level=api)
    conn = b.run(lambda: b.dev.system.service(ConnectivityService))
    events: list[dict] = []
    b.run(lambda: b.dev.system.bus.subscribe("network_changed", lambda **p: events.append(p)))
    inv, out, err = _invocation(b)
    assert b.loop.call(svc_wifi(inv, ["disable"])) == 0
    assert (conn.transport, conn.metered) == ("CELLULAR", True)
    assert events[-1] == {"connected": True, "metered": True, "transport": "CELLULAR"}
    assert b.loop.call(svc_data(inv, ["disable"])) == 0
    assert conn.connected is False and events[-1]["connected"] is False
    assert b.loop.call(svc_wifi(inv, ["enable"])) == 0
    assert (conn.transport, conn.metered) == ("WIFI", False)
    assert b.out("settings get global wifi_on") == "1\n"
    assert out.text() == "" and err.text() == ""
    rc = b.loop.call(svc_wifi(inv, ["bogus"]))
    usage = "Control the Wi-Fi manager\n\nusage: svc wifi [enable|disable]\n"
    if api >= 30:
        assert rc == 1 and out.text().startswith(usage)
    else:
        assert rc == 0 and err.text().startswith(usage)


def test_wifi_state_survives_reboot(bench):
    b = bench()
    inv, _out, _err = _invocation(b)
    b.loop.call(svc_wifi(inv, ["disable"]))
    b.reboot()
    conn = b.run(lambda: b.dev.system.service(ConnectivityService))
    assert conn.transport == "CELLULAR"
