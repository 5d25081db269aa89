"""The virtual services model: foreground-service start rules per release, types and
permissions, time limits, and ``am`` / ``dumpsys activity services``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.system.active_services_policy import (
    FOREGROUND_SERVICE_TYPE_MANIFEST,
    ForegroundServiceStartNotAllowedException,
    MissingForegroundServiceTypeException,
)
from harness.virtual.system.alarm import AlarmSpec
from harness.virtual.system.alarm_policy import (
    ACTION_SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED,
    ELAPSED_REALTIME_WAKEUP,
)
from harness.virtual.system.job_info import (
    IllegalArgumentException,
    IllegalStateException,
    SecurityException,
)
from tests.unit.virtual.bgwork_bench import (
    DEFAULT_PERMISSIONS,
    HOUR,
    MINUTE,
    PKG,
    SYNC,
    Bench,
    bench_factory,
    manifest,
)

EXACT_PERMS = (*DEFAULT_PERMISSIONS, "USE_EXACT_ALARM")
EXACT_PERMISSION = (*DEFAULT_PERMISSIONS, "SCHEDULE_EXACT_ALARM")
DATA_SYNC = 0x1
SHORT = 0x800


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., Bench]]:
    yield from bench_factory(device_loop)


def go_foreground(fgs_type: int = DATA_SYNC, notification_id: int = 7, **kw: object):
    """A service's onStartCommand that calls startForeground."""

    def action(b: Bench, service: str) -> None:
        b.services.start_foreground(
            PKG, service, notification_id, fgs_type, title="Syncing", text="3 files", **kw
        )

    return action


def start_fgs(b: Bench, service: str = ".SyncService", in_foreground: bool = False):
    return b.call(
        lambda: b.services.start_service(
            PKG, service, foreground=True, caller_is_app_in_foreground=in_foreground
        )
    )


# ---------------------------------------------------------------------------------- start rules
def test_foreground_service_started_from_the_foreground(bench):
    b = bench(api_level=34)
    b.out(f"pm grant {PKG} android.permission.POST_NOTIFICATIONS")
    b.service_actions[SYNC] = go_foreground()
    assert start_fgs(b, in_foreground=True) == f"{PKG}/.SyncService"
    assert b.results == [None]
    assert [e.kind for e in b.events if e.kind in ("start", "fgs_started")] == [
        "start",
        "fgs_started",
    ]
    started = b.of("fgs_started")[0]
    assert started.payload["service"] == SYNC and started.payload["types"] == DATA_SYNC
    [svc] = b.services_dump().find(PKG)
    assert svc.foreground and svc.foreground_id == 7
    assert svc.types == DATA_SYNC and svc.type_names == ["dataSync"]
    assert svc.allow_start_foreground == "PROC_STATE_TOP"
    assert svc.start_foreground_count == 1
    [noti] = b.notification_dump().for_package(PKG)
    assert noti.id == 7 and noti.foreground_service and noti.flags == 0x60


def test_background_start_is_refused_from_android_12_for_targets_31(bench):
    b = bench(api_level=34)
    b.home()
    err = start_fgs(b)
    assert isinstance(err, ForegroundServiceStartNotAllowedException)
    assert isinstance(err, IllegalStateException)
    assert str(err) == (
        "android.app.ForegroundServiceStartNotAllowedException: startForegroundService() not "
        f"allowed due to mAllowStartForeground false: service {PKG}/.SyncService"
    )
    assert b.of("start") == []
    assert b.services_dump().find(PKG) == []


@pytest.mark.parametrize(("api", "target"), [(30, 30), (34, 30), (28, 28)])
def test_background_start_is_allowed_before_android_12_or_target_31(bench, api, target):
    b = bench(api_level=api, target_sdk=target)
    b.home()
    b.service_actions[SYNC] = go_foreground()
    assert start_fgs(b) == f"{PKG}/.SyncService"
    assert b.results == [None]
    assert b.run(lambda: b.services.is_foreground(PKG, ".SyncService"))


def test_exact_alarm_lets_the_receiver_start_a_foreground_service(bench):
    b = bench(api_level=34, permissions=EXACT_PERMS)
    b.home()
    b.receiver_actions["FGS"] = lambda bench_, intent: bench_.services.start_service(
        PKG, ".SyncService", foreground=True
    )
    b.receiver_actions["LATE"] = b.receiver_actions["FGS"]
    b.service_actions[SYNC] = go_foreground()
    b.set_alarm(AlarmSpec.set_exact(ELAPSED_REALTIME_WAKEUP, b.elapsed() + 10_000,
                                    ".AlarmReceiver", action="FGS"))  # fmt: skip
    b.wait_until(lambda: b.of("fgs_started"))
    assert b.results == [None, f"{PKG}/.SyncService"]  # startForeground, startForegroundService
    [svc] = b.services_dump().find(PKG)
    assert svc.allow_start_foreground == "ALARM_MANAGER_WHILE_IDLE"
    assert "reasonCode:ALARM_MANAGER_WHILE_IDLE" in svc.fields["infoAllowStartForeground"]
    # An inexact alarm carries no FGS-allowed allowlist.
    b.services.stop_service(PKG, ".SyncService")
    b.wait_device_ms(20_000)  # the exact alarm's 10 s allowlist is over
    b.set_alarm(AlarmSpec.set(ELAPSED_REALTIME_WAKEUP, b.elapsed() + 10_000, ".AlarmReceiver",
                              action="LATE"))  # fmt: skip
    b.wait_until(lambda: b.of("receive", "LATE"), timeout_s=20)
    assert isinstance(b.results[-1], ForegroundServiceStartNotAllowedException)


def test_app_that_just_left_the_screen_may_still_start_one_for_five_seconds(bench):
    b = bench(api_level=34, rate=1.0)
    b.service_actions[SYNC] = go_foreground()
    b.home(settle=False)
    assert start_fgs(b) == f"{PKG}/.SyncService"
    [svc] = b.services_dump().find(PKG)
    assert svc.allow_start_foreground == "ACTIVITY_VISIBILITY_GRACE_PERIOD"


def _with_permission_receiver(xml: str) -> str:
    receiver = (
        '<receiver android:name=".PermissionReceiver" android:exported="false"><intent-filter>'
        f'<action android:name="{ACTION_SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED}"/>'
        "</intent-filter></receiver>"
    )
    return xml.replace("</application>", receiver + "</application>")


@pytest.mark.parametrize("has_receiver", [False, True])
def test_exact_alarm_grant_allows_a_start_only_to_an_app_that_receives_its_broadcast(
        bench, has_receiver):
    b = bench(api_level=34, permissions=EXACT_PERMISSION)
    if has_receiver:
        b.install(_with_permission_receiver(manifest(34, EXACT_PERMISSION)))
        b.launch()
    b.service_actions[SYNC] = go_foreground()
    b.home()
    b.out(f"cmd appops set {PKG} SCHEDULE_EXACT_ALARM allow")
    result = start_fgs(b)
    if has_receiver:
        # The broadcast's options carry a 20 s FGS-allowed allowlist for the receiving uid.
        assert result == f"{PKG}/.SyncService"
        [svc] = b.services_dump().find(PKG)
        assert svc.allow_start_foreground == "SCHEDULE_EXACT_ALARM_PERMISSION_STATE_CHANGED"
    else:
        assert isinstance(result, ForegroundServiceStartNotAllowedException)


def test_power_save_allowlist_exempts_background_starts(bench):
    b = bench(api_level=34)
    b.home()
    b.out(f"dumpsys deviceidle whitelist +{PKG}")
    b.service_actions[SYNC] = go_foreground()
    assert start_fgs(b) == f"{PKG}/.SyncService"
    assert b.services_dump().find(PKG)[0].allow_start_foreground == "ALLOWLISTED_PACKAGE"


def test_boot_completed_allows_a_foreground_service_then_android_15_limits_types(bench):
    b = bench(api_level=34)
    b.receiver_actions["android.intent.action.BOOT_COMPLETED"] = lambda bench_, intent: (
        bench_.services.start_service(PKG, ".SyncService", foreground=True)
    )
    b.service_actions[SYNC] = go_foreground()
    b.reboot()  # the receiver runs during the boot
    b.wait_until(lambda: b.run(lambda: b.services.is_foreground(PKG, ".SyncService")))
    assert b.services_dump().find(PKG)[0].allow_start_foreground == "BOOT_COMPLETED"
    c = bench(api_level=35)
    c.receiver_actions.update(b.receiver_actions)
    c.service_actions[SYNC] = go_foreground()
    c.reboot()
    c.wait_until(lambda: c.of("start"))
    [err] = [r for r in c.results if r is not None and r != f"{PKG}/.SyncService"]
    assert isinstance(err, ForegroundServiceStartNotAllowedException)
    assert err.message == "FGS type dataSync not allowed to start from BOOT_COMPLETED!"


def test_android_8_background_service_limit(bench):
    b = bench(api_level=34, rate=100)
    b.home()
    # Within a minute of leaving the foreground the uid is still active.
    assert b.call(lambda: b.services.start_service(PKG, ".PlainService")) == f"{PKG}/.PlainService"
    b.services.stop_service(PKG, ".PlainService")
    b.wait_device_ms(2 * MINUTE)
    err = b.call(lambda: b.services.start_service(PKG, ".PlainService"))
    assert isinstance(err, IllegalStateException)
    assert err.message.startswith(
        f"Not allowed to start service Intent {{ cmp={PKG}/.PlainService }}: app is in "
        "background uid "
    )
    out, errout, rc = b.sh(f"am startservice -n {PKG}/.PlainService")
    assert out == f"Starting service: Intent {{ cmp={PKG}/.PlainService }}\n"
    assert errout.startswith("Error: app is in background uid ") and rc == 255



def test_make_uid_idle_ends_the_settle_minute_but_not_the_fgs_grace(bench):
    b = bench(api_level=34, rate=1.0)
    b.service_actions[SYNC] = go_foreground()
    b.home(settle=False)
    assert b.call(lambda: b.services.is_uid_active(PKG))  # the minute after leaving the top
    b.out(f"am make-uid-idle {PKG}")
    assert not b.call(lambda: b.services.is_uid_active(PKG))
    err = b.call(lambda: b.services.start_service(PKG, ".PlainService"))
    assert isinstance(err, IllegalStateException)
    # The 5 s after the activity stopped being visible still allow a foreground service.
    assert start_fgs(b) == f"{PKG}/.SyncService"
    [svc] = b.services_dump().find(PKG)
    assert svc.allow_start_foreground == "ACTIVITY_VISIBILITY_GRACE_PERIOD"
    b.launch()  # back on top: the next time it leaves, it settles again
    b.home(settle=False)
    assert b.call(lambda: b.services.is_uid_active(PKG))

def test_background_restricted_app_gets_no_foreground_service(bench):
    b = bench(api_level=30, rate=100)
    b.home()
    b.wait_device_ms(2 * MINUTE)
    b.out(f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND ignore")
    assert start_fgs(b) is None
    assert b.of("start") == []


def test_start_foreground_must_come_within_the_deadline(bench):
    b = bench(api_level=34, rate=10)
    assert start_fgs(b, in_foreground=True) == f"{PKG}/.SyncService"
    b.wait_until(lambda: PKG not in b.out("ps -A"), timeout_s=10)
    log = b.out("logcat -d -s AndroidRuntime")
    assert (
        "android.app.RemoteServiceException$ForegroundServiceDidNotStartInTimeException: "
        "Context.startForegroundService() did not then call Service.startForeground(): "
        "ServiceRecord{" in log
    )
    assert b.services_dump().find(PKG) == []


def test_stopping_before_start_foreground_crashes_the_app(bench):
    b = bench(api_level=28)
    start_fgs(b, in_foreground=True)
    assert b.run(lambda: b.services.stop_service(PKG, ".SyncService"))
    assert "RemoteServiceException: Context.startForegroundService()" in b.out(
        "logcat -d -s AndroidRuntime"
    )


# ---------------------------------------------------------------------------------- types
def test_android_14_requires_a_type(bench):
    b = bench(api_level=34, sync_type=None)
    b.service_actions[SYNC] = go_foreground(FOREGROUND_SERVICE_TYPE_MANIFEST)
    start_fgs(b, in_foreground=True)
    [err] = b.results
    assert isinstance(err, MissingForegroundServiceTypeException)
    assert err.java_class == "android.app.MissingForegroundServiceTypeException"
    assert err.message.startswith("Starting FGS without a type  callerApp=ProcessRecord{")
    assert err.message.endswith(f":{PKG}/u0a150}} targetSDK=34")
    assert not b.run(lambda: b.services.is_foreground(PKG, ".SyncService"))


def test_android_14_requires_the_type_permission(bench):
    b = bench(api_level=34, permissions=("FOREGROUND_SERVICE", "POST_NOTIFICATIONS"))
    b.service_actions[SYNC] = go_foreground()
    start_fgs(b, in_foreground=True)
    [err] = b.results
    assert isinstance(err, SecurityException)
    assert "Starting FGS with type dataSync callerApp=ProcessRecord{" in err.message
    assert err.message.endswith(
        " targetSDK=34 requires permissions: all of the permissions allOf=true "
        "[android.permission.FOREGROUND_SERVICE_DATA_SYNC] "
    )


def test_type_must_be_declared_in_the_manifest(bench):
    b = bench(api_level=34)
    b.service_actions[SYNC] = go_foreground(0x8)  # location
    start_fgs(b, in_foreground=True)
    [err] = b.results
    assert isinstance(err, IllegalArgumentException)
    assert err.message == (
        "foregroundServiceType 0x00000008 is not a subset of foregroundServiceType attribute "
        "0x00000001 in service element of manifest file"
    )


def test_foreground_service_permission_is_needed_from_android_9(bench):
    b = bench(api_level=28, permissions=())
    b.service_actions[SYNC] = go_foreground()
    start_fgs(b, in_foreground=True)
    [err] = b.results
    assert isinstance(err, SecurityException)
    assert err.message.endswith("uid=10150 requires android.permission.FOREGROUND_SERVICE")


def test_no_type_needed_before_android_14(bench):
    b = bench(api_level=33, sync_type=None)
    b.service_actions[SYNC] = go_foreground(FOREGROUND_SERVICE_TYPE_MANIFEST)
    start_fgs(b, in_foreground=True)
    assert b.results == [None]
    [svc] = b.services_dump().find(PKG)
    assert svc.foreground and svc.types is None


# ---------------------------------------------------------------------------------- timeouts
def test_data_sync_time_limit_on_android_15(bench):
    b = bench(api_level=35, rate=5000)
    b.service_actions[SYNC] = go_foreground()
    start_fgs(b, in_foreground=True)
    started = b.of("fgs_started")[0].elapsed
    b.home()
    # onTimeout is recorded on the device's thread just before the app's stopSelf: wait for both.
    b.wait_until(lambda: b.of("timeout") and b.of("stop"), timeout_s=20)
    timeout = b.of("timeout")[0]
    assert timeout.payload["fgs_type"] == DATA_SYNC
    assert timeout.elapsed - started >= 6 * HOUR - MINUTE
    stopped = b.of("fgs_stopped")[0]
    assert stopped.payload["reason"] == "timeout"
    assert b.of("stop")[0].elapsed >= timeout.elapsed  # stopped itself in onTimeout: no crash
    assert PKG in b.out("ps -A")
    # The allowance is spent: a new dataSync FGS fails until the app comes to the top.
    assert b.sh(f"am start-foreground-service -n {PKG}/.SyncService")[2] == 0
    assert isinstance(b.results[-1], ForegroundServiceStartNotAllowedException)
    assert b.results[-1].message == (
        "Time limit already exhausted for foreground service type dataSync"
    )
    b.launch()
    assert b.run(lambda: b.services.time_used_ms(PKG, DATA_SYNC)) == 0


def test_data_sync_not_stopped_after_its_timeout_crashes_the_app(bench):
    b = bench(api_level=35, rate=5000)
    b.stop_on_timeout = False
    b.service_actions[SYNC] = go_foreground()
    start_fgs(b, in_foreground=True)
    b.home()
    b.wait_until(lambda: b.of("timeout"), timeout_s=20)
    b.wait_until(lambda: PKG not in b.out("ps -A"), timeout_s=10)
    assert (
        "android.app.RemoteServiceException$ForegroundServiceDidNotStopInTimeException: "
        "A foreground service of type dataSync did not stop within its timeout: "
        f"ComponentInfo{{{PKG}/{SYNC}}}"
    ) in b.out("logcat -d -s AndroidRuntime")


def test_short_service_times_out_after_three_minutes_and_anrs(bench):
    b = bench(api_level=34, rate=100)
    b.stop_on_timeout = False
    b.service_actions[f"{PKG}.ShortService"] = go_foreground(SHORT)
    start_fgs(b, ".ShortService", in_foreground=True)
    [svc] = b.services_dump().find(PKG)
    assert svc.type_names == ["shortService"] and "isShortFgs" in svc.fields
    b.wait_until(lambda: b.of("timeout"), timeout_s=10)
    assert b.of("timeout")[0].payload["fgs_type"] == SHORT
    b.wait_until(lambda: PKG not in b.out("ps -A"), timeout_s=10)
    assert f"ANR in {PKG}" in b.out("logcat -d -s ActivityManager")


# ------------------------------------------------------------------------- lifecycle, shell
def test_stop_service_and_force_stop_take_the_notification(bench):
    b = bench(api_level=34)
    b.service_actions[SYNC] = go_foreground()
    start_fgs(b, in_foreground=True)
    # The app cannot cancel its FGS notification.
    assert b.run(lambda: b.nms.cancel(PKG, 7)) is False
    assert b.run(lambda: b.services.stop_service(PKG, ".SyncService"))
    assert b.notification_dump().for_package(PKG) == []
    assert b.of("stop")[0].payload["reason"] == "stopSelf"
    start_fgs(b, in_foreground=True)
    b.out(f"am force-stop {PKG}")
    assert b.services_dump().find(PKG) == []
    assert [e.payload["reason"] for e in b.of("fgs_stopped")] == ["stopSelf", "process died"]


def test_start_foreground_with_a_new_id_replaces_the_notification(bench):
    b = bench(api_level=34)
    b.out(f"pm grant {PKG} android.permission.POST_NOTIFICATIONS")
    b.service_actions[SYNC] = go_foreground(notification_id=7)
    start_fgs(b, in_foreground=True)
    # ActiveServices.setServiceForegroundInnerLocked cancels the notification of the old id.
    b.run(lambda: b.services.start_foreground(PKG, SYNC, 8, DATA_SYNC, title="Again"))
    assert [r.id for r in b.notification_dump().for_package(PKG)] == [8]
    [svc] = b.services_dump().find(PKG)
    assert svc.foreground_id == 8
    assert len(b.of("fgs_started")) == 1  # still the same foreground service


def test_am_start_foreground_service_and_stopservice(bench):
    b = bench(api_level=34)
    b.home()
    b.service_actions[SYNC] = go_foreground()
    out, err, rc = b.sh(f"am start-foreground-service -n {PKG}/.SyncService")
    assert (out, err, rc) == (f"Starting service: Intent {{ cmp={PKG}/.SyncService }}\n", "", 0)
    assert b.services_dump().find(PKG)[0].allow_start_foreground == "SYSTEM_UID"
    assert b.sh(f"am stopservice -n {PKG}/.SyncService") == (
        f"Stopping service: Intent {{ cmp={PKG}/.SyncService }}\n",
        "Service stopped\n",
        0,
    )
    assert b.sh(f"am stopservice -n {PKG}/.SyncService")[1:] == (
        "Service not stopped: was not running.\n",
        255,
    )
    assert b.sh(f"am startservice -n {PKG}/.Nope")[1:] == (
        "Error: Not found; no service started.\n",
        255,
    )
