"""The sample app's alarms on the virtual device, driven through ``content call`` as the driver
sends it: ``schedule_alarm`` / ``cancel_alarm`` mapped to AlarmManager, the events with the
device state, the app's alarm store, the exact-alarm permission, ``reset`` and the BOOT_COMPLETED
re-registration."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.android import alarm as alarm_parser
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.alarm import AlarmManagerService
from harness.virtual.system.alarm_policy import (
    FLAG_ALLOW_WHILE_IDLE,
    FLAG_ALLOW_WHILE_IDLE_COMPAT,
    FLAG_STANDALONE,
    FLAG_WAKE_FROM_IDLE,
    RTC,
    RTC_WAKEUP,
    Alarm,
)
from tests.unit.virtual.sample_app_bench import MINUTE, PKG, SampleBench, bench_factory

EXTRA_SPEC = "harness.alarm_spec"
TAG = "*walarm*:dev.harness.sample.action.ALARM"
ALLOW_EXACT = f"cmd appops set --uid {PKG} SCHEDULE_EXACT_ALARM allow"
PREFS = "shared_prefs/harness_alarms.xml"


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from bench_factory(device_loop)


def alarms(b: SampleBench) -> list[Alarm]:
    svc = b.dev.system.service(AlarmManagerService)  # type: ignore[union-attr]
    return b.run(lambda: svc.pending(PKG))


def by_name(b: SampleBench) -> dict[str, Alarm]:
    """The app's alarms on the platform, by the name in their PendingIntent's spec."""
    return {json.loads(a.spec.extras[EXTRA_SPEC])["name"]: a for a in alarms(b) if a.spec}


def stored(b: SampleBench) -> dict[str, Any]:
    """The app's alarm store, read with run-as as a test on a phone would."""
    out, _err, rc = b.sh(f"run-as {PKG} cat {PREFS}")
    if rc != 0:
        return {}
    import xml.etree.ElementTree as ET

    root = ET.fromstring(out)
    return {e.get("name"): json.loads(e.text or "{}") for e in root.iter("string")}


# ---------------------------------------------------------------------------- schedule_alarm
def test_exact_alarm_is_set_fires_and_is_forgotten(bench):
    b = bench(api_level=34)
    b.out(ALLOW_EXACT)
    result = b.ok("schedule_alarm", name="exact", delay_ms=20_000)
    trigger = result["trigger_at_ms"]
    assert result == {"ok": True, "scheduled": True, "trigger_at_ms": trigger}
    scheduled = b.events(event="scheduled", source="alarm")[0]
    assert scheduled.name == "exact"
    assert scheduled.detail == {"type": "ELAPSED_REALTIME_WAKEUP", "mode": "exact",
                                "trigger_at_ms": trigger, "delay_ms": 20_000,
                                "can_schedule_exact_alarms": True, "origin": "control"}
    assert trigger - 20_000 <= scheduled.elapsed_ms
    # setExact with a broadcast PendingIntent to AlarmReceiver, tagged by its action.
    [alarm] = alarms(b)
    assert alarm.orig_when == trigger and alarm.window_ms == 0 and alarm.flags & FLAG_STANDALONE
    assert alarm.stats_tag == TAG
    assert alarm.spec is not None and alarm.spec.receiver == "dev.harness.sample.AlarmReceiver"
    dumped = alarm_parser.parse(b.out("dumpsys alarm")).alarms
    assert [a.tag for a in dumped if a.package == PKG] == [TAG]
    assert stored(b)["exact"]["trigger_at_ms"] == trigger
    fired = b.wait_event("fired", "exact")
    assert fired.source == "alarm"
    lateness = fired.detail.pop("delay_ms")
    assert fired.detail == {"type": "ELAPSED_REALTIME_WAKEUP", "mode": "exact",
                            "trigger_at_ms": trigger, "requested_delay_ms": 20_000,
                            "alarm_count": 1}
    assert lateness == pytest.approx(fired.elapsed_ms - trigger, abs=50)
    assert 0 <= lateness < 1_000
    assert (fired.charging, fired.deep_idle) == (True, False)  # device state with the event
    assert alarms(b) == [] and stored(b) == {}


def test_each_mode_is_its_alarm_manager_call(bench):
    b = bench(api_level=34)
    b.out(ALLOW_EXACT)
    hour = 60 * MINUTE
    for mode in ("inexact", "window", "exact", "inexact_allow_while_idle",
                 "exact_allow_while_idle", "alarm_clock"):
        b.ok("schedule_alarm", name=mode, mode=mode, delay_ms=hour, window_ms=20 * MINUTE)
    got = by_name(b)
    # set(): the heuristic window, 75 % of the futurity.
    assert got["inexact"].window_ms == pytest.approx(0.75 * hour, abs=1_000)
    assert not got["inexact"].flags
    assert got["window"].window_ms == 20 * MINUTE  # setWindow
    assert got["exact"].window_ms == 0 and got["exact"].flags == FLAG_STANDALONE  # setExact
    # setAndAllowWhileIdle counts against the lower (compat) quota from Android 12 on.
    assert got["inexact_allow_while_idle"].flags == FLAG_ALLOW_WHILE_IDLE_COMPAT
    assert got["exact_allow_while_idle"].flags == FLAG_ALLOW_WHILE_IDLE | FLAG_STANDALONE
    clock = got["alarm_clock"]  # setAlarmClock: wall time, wakes from idle
    assert clock.type == RTC_WAKEUP and clock.flags & FLAG_WAKE_FROM_IDLE
    assert abs(clock.alarm_clock_ms - b.dev.clock.wall_ms() - hour) < 5_000
    # Exact and alarm-clock alarms carry the FGS-allowed temp allowlist; inexact AWI not.
    assert got["exact"].idle_options[1] and got["alarm_clock"].idle_options[1]
    assert got["inexact_allow_while_idle"].idle_options[1] is False
    # RTC types take wall-clock times; the spec remembers what was asked.
    wall = b.dev.clock.wall_ms() + hour
    assert b.ok("schedule_alarm", name="rtc", type="RTC", mode="inexact",
                trigger_at_ms=wall)["trigger_at_ms"] == wall
    assert by_name(b)["rtc"].type == RTC and by_name(b)["rtc"].orig_when == wall
    assert stored(b)["rtc"]["delay_ms"] == pytest.approx(hour, abs=5_000)


def test_rtc_alarm_lateness_is_in_the_wall_clock(bench):
    b = bench(api_level=33)  # exact alarms are allowed by default before Android 14
    wall = b.dev.clock.wall_ms() + 30_000
    b.ok("schedule_alarm", name="rtc", type="RTC_WAKEUP", trigger_at_ms=wall)
    fired = b.wait_event("fired", "rtc")
    assert fired.detail["trigger_at_ms"] == wall
    assert fired.detail["delay_ms"] == pytest.approx(fired.wall_ms - wall, abs=50)
    assert 0 <= fired.detail["delay_ms"] < 1_000


@pytest.mark.parametrize(("args", "message"), [
    ({"delay_ms": 1}, "'name' is required (a string)"),
    ({"name": "a", "type": "UPTIME", "delay_ms": 1},
     "'type' must be one of RTC_WAKEUP, RTC, ELAPSED_REALTIME_WAKEUP, ELAPSED_REALTIME, "
     "not 'UPTIME'"),
    ({"name": "a", "mode": "sometime", "delay_ms": 1},
     "'mode' must be one of inexact, window, exact, inexact_allow_while_idle, "
     "exact_allow_while_idle, alarm_clock, not 'sometime'"),
    ({"name": "a"}, "give 'trigger_at_ms' (in the clock of 'ELAPSED_REALTIME_WAKEUP') or "
                    "'delay_ms'"),
    ({"name": "a", "delay_ms": -5}, "'delay_ms' must not be negative, not -5"),
    ({"name": "a", "delay_ms": 1, "on_fire": {"start_foreground_service": {"name": "s",
                                                                          "type": "fast"}}},
     "unknown foreground service type 'fast'"),
])
def test_bad_arguments_schedule_nothing(bench, args, message):
    b = bench(api_level=33)
    result = b.call("schedule_alarm", **args)
    assert result["error"] == "bad_arguments"
    assert result["message"].startswith(message)
    assert alarms(b) == [] and not b.events(source="alarm")


def test_exact_alarm_without_the_permission_fails_on_android_14(bench):
    b = bench(api_level=34)  # SCHEDULE_EXACT_ALARM is denied by default for targets 33+
    assert b.ok("state")["state"]["exact_alarm_allowed"] is False
    result = b.call("schedule_alarm", name="denied", mode="exact_allow_while_idle",
                    delay_ms=MINUTE)
    message = ("Caller dev.harness.sample needs to hold android.permission.SCHEDULE_EXACT_ALARM "
               "or android.permission.USE_EXACT_ALARM to set exact alarms.")
    assert result == {"ok": False, "error": "security_exception", "message": message}
    failed = b.events(event="schedule_failed")[0]
    assert (failed.source, failed.name) == ("alarm", "denied")
    assert failed.detail == {"error": "security_exception", "message": message,
                             "type": "ELAPSED_REALTIME_WAKEUP", "mode": "exact_allow_while_idle",
                             "exact": True, "can_schedule_exact_alarms": False,
                             "origin": "control"}
    assert alarms(b) == [] and stored(b) == {}
    # Inexact alarms need no permission.
    b.ok("schedule_alarm", name="inexact", mode="inexact", delay_ms=MINUTE)
    assert list(by_name(b)) == ["inexact"]


def test_same_name_replaces_cancel_by_name_and_all(bench):
    b = bench(api_level=33)
    b.ok("schedule_alarm", name="a", delay_ms=10 * MINUTE)
    second = b.ok("schedule_alarm", name="a", mode="window", delay_ms=20 * MINUTE)
    b.ok("schedule_alarm", name="b", delay_ms=30 * MINUTE)
    got = by_name(b)
    assert sorted(got) == ["a", "b"]  # one PendingIntent per name
    assert got["a"].orig_when == second["trigger_at_ms"]
    assert b.ok("cancel_alarm", name="a") == {"ok": True, "cancelled": 1}
    assert list(by_name(b)) == ["b"]
    assert b.ok("cancel_alarm", name="a")["cancelled"] == 0
    cancelled = b.events(event="cancelled", source="alarm")[0]
    assert (cancelled.name, cancelled.detail) == ("a", {"type": "ELAPSED_REALTIME_WAKEUP",
                                                        "mode": "window"})
    assert b.call("cancel_alarm")["error"] == "bad_arguments"
    assert b.ok("cancel_alarm", all=True)["cancelled"] == 1
    assert alarms(b) == [] and stored(b) == {}


def test_reset_counts_the_alarms(bench):
    b = bench(api_level=33)
    for name in ("x", "y"):
        b.ok("schedule_alarm", name=name, mode="inexact", delay_ms=60 * MINUTE)
    result = b.ok("reset")
    assert (result["alarms"], result["services"]) == (2, 0)
    assert alarms(b) == []
    assert b.ok("reset")["alarms"] == 0


def test_the_store_survives_the_process(bench):
    b = bench(api_level=33)
    b.ok("schedule_alarm", name="kept", delay_ms=60 * MINUTE)
    b.out(f"am kill {PKG}")
    b.wait_until(lambda: b.pid() is None, what="the process to die")
    assert b.ok("cancel_alarm", name="kept")["cancelled"] == 1  # a new process reads it
    assert alarms(b) == []


# ---------------------------------------------------------------------------- BOOT_COMPLETED
def test_boot_receiver_reregisters_the_pending_marked_alarms(bench):
    b = bench(api_level=33, rate=200)
    b.ok("schedule_alarm", name="forgotten", delay_ms=30 * MINUTE)
    b.ok("schedule_alarm", name="remembered", mode="inexact", delay_ms=30 * MINUTE,
         reregister_on_boot=True)
    b.ok("schedule_alarm", name="fired-before", delay_ms=10_000, reregister_on_boot=True)
    b.wait_event("fired", "fired-before")
    assert sorted(stored(b)) == ["forgotten", "remembered"]
    b.reboot()
    boot = b.wait_event("boot_completed", timeout_s=30)
    assert (boot.source, boot.detail, boot.boot_count) == ("app", {"reregistered_alarms": 1}, 2)
    again = b.events(event="scheduled", name="remembered")[-1]
    assert again.boot_count == 2
    assert again.detail["origin"] == "boot" and again.detail["delay_ms"] == 30 * MINUTE
    assert again.detail["trigger_at_ms"] == pytest.approx(again.elapsed_ms + 30 * MINUTE,
                                                          abs=500)
    assert list(by_name(b)) == ["remembered"]
    assert list(stored(b)) == ["remembered"]
    assert by_name(b)["remembered"].spec.window_ms < 0  # still set(): the same mode
