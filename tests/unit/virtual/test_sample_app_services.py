"""The sample app's foreground services on the virtual device, driven through ``content call``:
``start_foreground_service`` / ``stop_foreground_service`` against the platform's rules as the
app meets them (Android 12 background starts, an exact alarm's exemption, Android 14 types,
the Android 14/15 time limits), the notification in ``dumpsys notification`` and the shade, and
WorkManager's foreground service for long-running and (below API 31) expedited work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.android import activity_services as services_parser
from harness.android import notification as notification_parser
from harness.virtual.runner import DeviceLoop
from harness.virtual.uiautomator.rpc import RpcContext, dump_window_hierarchy, open_notification
from tests.unit.virtual.sample_app_bench import MINUTE, PKG, SampleBench, bench_factory

FGS = f"{PKG}/.SampleForegroundService"
WM_FGS = f"{PKG}/androidx.work.impl.foreground.SystemForegroundService"
DATA_SYNC, SHORT_SERVICE, SPECIAL_USE = 0x1, 0x800, 0x40000000
HOUR = 60 * MINUTE
BG = {"from": "background"}
FG = {"from": "foreground"}


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from bench_factory(device_loop)


def service(b: SampleBench, name: str = FGS) -> services_parser.Service | None:
    found = services_parser.parse(b.out(f"dumpsys activity services {PKG}")).find(PKG, name)
    return found[0] if found else None


def record_types(b: SampleBench, name: str) -> int | None:
    """The running service's foreground types as the platform holds them (the Android 11 dump
    does not print them)."""
    from harness.virtual.system.active_services import ActiveServices

    active = b.dev.system.service(ActiveServices)  # type: ignore[union-attr]
    cls = name.split("/", 1)[1].lstrip(".")
    return b.run(lambda: next((r.foreground_types for r in active.running(PKG)
                               if r.name.endswith(cls) and r.is_foreground), None))


def notes(b: SampleBench) -> dict[int | None, notification_parser.Notification]:
    dump = notification_parser.parse(b.out("dumpsys notification --noredact"))
    return {n.id: n for n in dump.for_package(PKG)}


def shade(b: SampleBench) -> str:
    ctx = RpcContext(b.dev)
    assert b.run(lambda: open_notification(ctx)) is True
    return b.run(lambda: dump_window_hierarchy(ctx))


def details(b: SampleBench, name: str, source: str = "service") -> list[tuple[str, Any]]:
    return [(e.event, e.detail) for e in b.events(name=name, source=source)]


# ---------------------------------------------------------------------------- the app's service
def test_started_from_the_foreground_with_type_and_notification(bench):
    b = bench(api_level=34)
    b.launch()
    result = b.ok("start_foreground_service", name="sync", type="dataSync", **FG)
    assert result == {"ok": True, "started": True, "type": "dataSync", "notification_id": 4242}
    assert details(b, "sync") == [
        ("started", {"type": "dataSync", "notification_id": 4242, "from": "foreground",
                     "origin": "control", "start_id": 1}),
        ("fgs_started", {"type": "dataSync", "notification_id": 4242, "from": "foreground",
                         "origin": "control"}),
    ]
    svc = service(b)
    assert svc is not None and svc.foreground
    assert (svc.foreground_id, svc.types, svc.allow_start_foreground) == (
        4242, DATA_SYNC, "PROC_STATE_TOP")
    note = notes(b)[4242]
    assert note.channel == "harness_background_work" and note.foreground_service
    assert "FOREGROUND_SERVICE" in note.flag_names and note.ongoing
    assert note.extras["android.title"] == "String (Service: sync)"
    assert note.extras["android.text"] == "String (Foreground service (dataSync))"
    xml = shade(b)
    assert 'text="Harness Sample"' in xml and 'text="Service: sync"' in xml
    assert b.ok("stop_foreground_service", name="sync") == {"ok": True, "stopped": True}
    assert details(b, "sync")[-1] == ("fgs_stopped", {"reason": "stop_requested",
                                                      "type": "dataSync"})
    assert service(b) is None and 4242 not in notes(b)
    assert b.ok("stop_foreground_service", name="sync")["stopped"] is False


def test_runs_share_the_service_and_end_after_their_duration(bench):
    b = bench(api_level=34)
    b.launch()
    b.ok("start_foreground_service", name="a", type="dataSync", notification_id=1, **FG)
    b.ok("start_foreground_service", name="b", type="specialUse", notification_id=2,
         duration_ms=30_000, **FG)
    svc = service(b)
    assert svc is not None and (svc.foreground_id, svc.types) == (2, SPECIAL_USE)
    b.wait_event("fgs_stopped", "b")
    assert details(b, "b")[-2:] == [
        ("finished", {"type": "specialUse", "duration_elapsed": True}),
        ("fgs_stopped", {"reason": "duration_elapsed", "type": "specialUse"}),
    ]
    svc = service(b)  # the remaining run's notification and type
    assert svc is not None and (svc.foreground_id, svc.types) == (1, DATA_SYNC)
    b.ok("start_foreground_service", name="a", type="dataSync", notification_id=1, **FG)
    assert details(b, "a")[-3:] == [
        ("started", {"type": "dataSync", "notification_id": 1, "from": "foreground",
                     "origin": "control", "start_id": 3}),
        ("fgs_stopped", {"reason": "restarted", "type": "dataSync"}),
        ("fgs_started", {"type": "dataSync", "notification_id": 1, "from": "foreground",
                         "origin": "control"}),
    ]
    assert b.ok("reset")["services"] == 1
    assert details(b, "a")[-1] == ("fgs_stopped", {"reason": "reset", "type": "dataSync"})
    assert service(b) is None
    assert b.ok("reset")["services"] == 0


@pytest.mark.parametrize("api", [31, 34])
def test_background_start_is_refused_from_android_12(bench, api):
    b = bench(api_level=api)  # at the home screen, never on top
    result = b.call("start_foreground_service", name="bg", type="dataSync", **BG)
    message = ("startForegroundService() not allowed due to mAllowStartForeground false: "
               "service dev.harness.sample/.SampleForegroundService")
    assert result == {"ok": False, "error": "start_not_allowed", "message": message}
    assert details(b, "bg") == [("refused", {
        "error": "start_not_allowed", "message": message,
        "exception": "android.app.ForegroundServiceStartNotAllowedException",
        "type": "dataSync", "from": "background", "origin": "control"})]
    # `from: foreground` while the app is not in front: startService meets the Android 8 limit.
    plain = b.call("start_foreground_service", name="plain", type="dataSync", **FG)
    assert plain["error"] == "start_not_allowed"
    assert plain["message"].startswith("Not allowed to start service Intent {")
    assert b.events(event="refused", name="plain")[0].detail["exception"] == \
        "java.lang.IllegalStateException"
    assert service(b) is None


def test_background_start_is_allowed_before_android_12(bench):
    b = bench(api_level=30)
    assert b.ok("start_foreground_service", name="bg", type="dataSync", **BG)["started"]
    svc = service(b)
    assert svc is not None and svc.foreground and record_types(b, FGS) == DATA_SYNC


def test_android_14_requires_a_declared_type(bench):
    b = bench(api_level=34)
    b.launch()
    untyped = b.call("start_foreground_service", name="untyped", **FG)
    assert untyped["error"] == "missing_type"
    assert "Starting FGS with type none" in untyped["message"]
    started, refused = details(b, "untyped")
    assert started == ("started", {"type": "none", "notification_id": 4242,
                                   "from": "foreground", "origin": "control", "start_id": 1})
    assert refused == ("refused", {
        "error": "missing_type", "message": untyped["message"],
        "exception": "android.app.InvalidForegroundServiceTypeException",
        "type": "none", "from": "foreground"})
    assert service(b) is None  # the service stopped itself
    undeclared = b.call("start_foreground_service", name="cam", type="camera", **FG)
    assert undeclared["error"] == "missing_type"
    assert undeclared["message"].startswith("foregroundServiceType 0x00000040 is not a subset")
    unknown = b.call("start_foreground_service", name="x", type="teleport", **FG)
    assert unknown["error"] == "bad_arguments"
    assert unknown["message"].startswith("unknown foreground service type 'teleport'")
    assert b.call("start_foreground_service", name="x", **{"from": "nowhere"})["error"] == \
        "bad_arguments"


def test_untyped_service_is_fine_before_android_14(bench):
    b = bench(api_level=33)
    b.launch()
    assert b.ok("start_foreground_service", name="untyped", **FG)["type"] == "none"
    svc = service(b)
    assert svc is not None and svc.foreground


# ---------------------------------------------------------------------------- alarms' on_fire
def test_exact_alarm_lets_its_receiver_start_the_service_from_the_background(bench):
    b = bench(api_level=33)  # exact alarms allowed by default; the app is in the background
    start = {"start_foreground_service": {"name": "from-inexact", "type": "dataSync"}}
    b.ok("schedule_alarm", name="late", mode="inexact", delay_ms=20_000, on_fire=start)
    refused = b.wait_event("refused", "from-inexact")
    assert refused.detail["error"] == "start_not_allowed"
    assert refused.detail["origin"] == "alarm:late" and refused.detail["from"] == "background"
    b.wait_device_ms(11_000)  # nothing left of any temp allowlist
    start = {"start_foreground_service": {"name": "from-alarm", "type": "dataSync"}}
    b.ok("schedule_alarm", name="wake", mode="exact", delay_ms=20_000, on_fire=start)
    fired = b.wait_event("fired", "wake")
    started = b.wait_event("fgs_started", "from-alarm")
    assert started.detail == {"type": "dataSync", "notification_id": 4242,
                              "from": "background", "origin": "alarm:wake"}
    assert started.seq > fired.seq
    svc = service(b)
    assert svc is not None and svc.foreground
    assert svc.allow_start_foreground == "ALARM_MANAGER_WHILE_IDLE"


# ---------------------------------------------------------------------------- time limits
def test_data_sync_times_out_on_android_15(bench):
    b = bench(api_level=35, rate=5000)
    b.launch()
    b.ok("start_foreground_service", name="sync", type="dataSync", **FG)
    pid = b.pid()
    b.home()
    timeout = b.wait_event("timeout", "sync", timeout_s=20)
    started = b.events(event="fgs_started", name="sync")[0]
    assert timeout.detail == {"type": "dataSync", "start_id": 1}
    assert timeout.elapsed_ms - started.elapsed_ms >= 6 * HOUR - MINUTE
    stopped = b.wait_event("fgs_stopped", "sync")
    assert stopped.detail == {"reason": "timeout", "type": "dataSync"}
    assert service(b) is None
    b.wait_device_ms(60_000)
    assert b.pid() == pid  # it stopped in time: no crash


def test_short_service_times_out_on_android_14(bench):
    b = bench(api_level=34, rate=100)
    b.launch()
    b.ok("start_foreground_service", name="short", type="shortService", **FG)
    timeout = b.wait_event("timeout", "short", timeout_s=20)
    assert timeout.detail == {"type": "shortService", "start_id": 1}
    assert details(b, "short")[-1] == ("fgs_stopped", {"reason": "timeout",
                                                       "type": "shortService"})
    pid = b.pid()
    b.wait_device_ms(30_000)
    assert b.pid() == pid and service(b) is None


# ---------------------------------------------------------------------------- WorkManager
def test_long_running_worker_runs_in_workmanagers_foreground_service(bench):
    b = bench(api_level=34, rate=1000)
    b.launch()
    work_id = b.ok("enqueue_work", name="long", foreground={"type": "dataSync",
                                                             "notification_id": 77},
                   behavior={"duration_ms": 30 * MINUTE})["work_id"]
    b.ok("enqueue_work", name="plain", behavior={"duration_ms": 30 * MINUTE})
    started = b.wait_event("fgs_started", "long")
    assert started.detail == {"type": "dataSync", "notification_id": 77, "work_id": work_id}
    svc = service(b, WM_FGS)
    assert svc is not None and svc.foreground and (svc.foreground_id, svc.types) == (77, DATA_SYNC)
    note = notes(b)[77]
    assert note.foreground_service and note.channel == "harness_background_work"
    assert note.extras["android.title"] == "String (Work: long)"
    assert note.extras["android.text"] == "String (Running (dataSync))"
    # In deep Doze JobScheduler stops WorkManager's job; the Processor ignores the stop of work
    # in the foreground, and the worker goes on.
    b.home()
    b.unplug()
    b.out("cmd deviceidle force-idle deep")
    stopped = b.wait_event("stopped", "plain", source="workmanager")  # the twin without FGS
    assert stopped.deep_idle
    b.wait_event("finished", "long", source="workmanager", timeout_s=60)
    assert not b.events(event="stopped", name="long")
    assert [e for e, _ in details(b, "long")] == ["fgs_started", "fgs_stopped"]
    assert details(b, "long")[-1][1] == {"reason": "work_finished", "work_id": work_id}
    b.wait_until(lambda: service(b, WM_FGS) is None, what="the foreground service to stop")
    assert 77 not in notes(b)
    b.out("cmd deviceidle unforce")


def test_set_foreground_from_the_background_is_refused_on_android_12(bench):
    b = bench(api_level=34)  # at the home screen
    work_id = b.ok("enqueue_work", name="bg", foreground={"type": "dataSync"},
                   behavior={"duration_ms": 10_000})["work_id"]
    refused = b.wait_event("refused", "bg")
    assert refused.source == "service"
    assert refused.detail == {
        "error": "start_not_allowed",
        "message": "startForegroundService() not allowed due to mAllowStartForeground false: "
                   "service dev.harness.sample/androidx.work.impl.foreground."
                   "SystemForegroundService",
        "exception": "android.app.ForegroundServiceStartNotAllowedException",
        "work_id": work_id}
    b.wait_event("finished", "bg", source="workmanager")  # unpromoted, it still runs
    assert not b.events(event="fgs_stopped", name="bg")
    assert service(b, WM_FGS) is None


def test_cancelled_foreground_work_stops_the_service(bench):
    b = bench(api_level=34)
    b.launch()
    b.ok("enqueue_work", name="w", foreground={"type": "specialUse", "notification_id": 5},
         behavior={"duration_ms": HOUR})
    b.wait_event("fgs_started", "w")
    svc = service(b, WM_FGS)
    assert svc is not None and svc.types == SPECIAL_USE
    assert b.ok("cancel_work", name="w")["cancelled"] == 1
    stopped = b.wait_event("fgs_stopped", "w")
    assert stopped.detail["reason"] == "work_stopped"
    assert b.events(event="stopped", name="w")[0].detail["stop_reason"] == "cancelled_by_app"
    b.wait_until(lambda: service(b, WM_FGS) is None, what="the foreground service to stop")


def test_two_foreground_workers_share_the_service(bench):
    b = bench(api_level=34)
    b.launch()
    b.ok("enqueue_work", name="one", foreground={"notification_id": 11},
         behavior={"duration_ms": 20_000})
    b.ok("enqueue_work", name="two", foreground={"type": "specialUse", "notification_id": 12},
         behavior={"duration_ms": 60_000})
    b.wait_event("fgs_started", "two")
    svc = service(b, WM_FGS)  # the first one's notification, the union of the types
    assert svc is not None and (svc.foreground_id, svc.types) == (11, DATA_SYNC | SPECIAL_USE)
    assert set(notes(b)) >= {11, 12}
    b.wait_event("finished", "one", source="workmanager")
    b.wait_until(lambda: (s := service(b, WM_FGS)) is not None and s.foreground_id == 12,
                 what="the remaining work's notification in front")
    b.wait_event("finished", "two", source="workmanager")
    b.wait_until(lambda: service(b, WM_FGS) is None, what="the foreground service to stop")


def test_expedited_work_below_android_12_runs_in_a_foreground_service(bench):
    b = bench(api_level=30)
    b.ok("enqueue_work", name="ej", expedited=True, behavior={"duration_ms": 60_000})
    b.wait_event("started", "ej", source="workmanager")
    svc = service(b, WM_FGS)  # getForegroundInfo's notification and type
    assert svc is not None and svc.foreground and svc.foreground_id == 4343
    assert record_types(b, WM_FGS) == DATA_SYNC
    assert notes(b)[4343].extras["android.title"] == "String (Work: ej)"
    assert not b.events(source="service")  # the app records nothing for this path
    b.wait_event("finished", "ej", source="workmanager")
    b.wait_until(lambda: service(b, WM_FGS) is None, what="the foreground service to stop")
