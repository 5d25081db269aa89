"""``dumpsys alarm`` of the virtual device, read back by ``harness.android.alarm``: the fields of
every kind of alarm per release, the idle layouts, and the same shape as the real captures."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from harness.android import alarm as alarm_parser
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.alarm import AlarmSpec
from harness.virtual.system.alarm_policy import (
    ELAPSED_REALTIME,
    ELAPSED_REALTIME_WAKEUP,
    RTC,
    RTC_WAKEUP,
    era_for,
)
from tests.conformance.captures import captures_dir
from tests.unit.virtual.bgwork_bench import (
    DEFAULT_PERMISSIONS,
    HOUR,
    MINUTE,
    PKG,
    Bench,
    bench_factory,
)

EXACT_PERMS = (*DEFAULT_PERMISSIONS, "USE_EXACT_ALARM", "SCHEDULE_EXACT_ALARM")
DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})?$")
DURATION = re.compile(r"^(--|0|[+-](\d+d)?(\d+h)?(\d+m)?(\d+s)?\d+ms)$")


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., Bench]]:
    yield from bench_factory(device_loop)


def capture(name: str) -> str:
    root = captures_dir()
    path = root / "alarm" / name if root else None
    if path is None or not path.exists():
        pytest.skip("captures not available (set HARNESS_CAPTURES_DIR)")
    return path.read_text(errors="replace")


def varied_alarms(b: Bench) -> dict[str, AlarmSpec]:
    now, wall = b.elapsed(), b.wall()
    specs = {
        "EXACT": AlarmSpec.set_exact(
            ELAPSED_REALTIME_WAKEUP, now + 30 * MINUTE, ".AlarmReceiver", action="EXACT"
        ),
        "INEXACT": AlarmSpec.set(ELAPSED_REALTIME, now + 40 * MINUTE, ".AlarmReceiver",
                                 action="INEXACT"),
        "RTC": AlarmSpec.set_exact(RTC_WAKEUP, wall + 2 * HOUR, ".AlarmReceiver", action="RTC"),
        "RTCINEXACT": AlarmSpec.set(RTC, wall + 3 * HOUR, ".AlarmReceiver", action="RTCINEXACT"),
        "AWI": AlarmSpec.set_and_allow_while_idle(
            ELAPSED_REALTIME_WAKEUP, now + 50 * MINUTE, ".AlarmReceiver", action="AWI"
        ),
        "CLOCK": AlarmSpec.set_alarm_clock(wall + 5 * HOUR, ".AlarmReceiver", action="CLOCK",
                                           show_intent="PendingIntent{1234abc: show}"),
        "REPEAT": AlarmSpec.set_repeating(
            ELAPSED_REALTIME_WAKEUP, now + HOUR, 30 * MINUTE, ".AlarmReceiver", action="REPEAT"
        ),
    }  # fmt: skip
    for spec in specs.values():
        assert b.set_alarm(spec) is None
    return specs


@pytest.mark.parametrize("api", [27, 28, 30, 31, 33, 34, 35])
def test_parser_reads_each_alarm_with_its_fields(bench, api):
    b = bench(api_level=api, permissions=EXACT_PERMS)
    specs = varied_alarms(b)
    dump = b.alarm_dump()
    assert dump.layout == ("batches" if api < 31 else "pending")
    mine = {a.tag.split(":", 1)[1]: a for a in dump.for_package(PKG)}
    assert set(mine) == set(specs)
    assert all(a.section == "pending" for a in mine.values())
    exact = mine["EXACT"]
    assert (exact.type, exact.type_code, exact.wakeup) == ("ELAPSED_WAKEUP", 2, True)
    assert exact.window == "0" and exact.window_ms == 0
    assert exact.flags is not None and "STANDALONE" in exact.flag_names
    assert DURATION.match(exact.trigger or "") and exact.trigger.startswith("+2")
    assert mine["INEXACT"].type == "ELAPSED" and not mine["INEXACT"].wakeup
    assert abs((mine["INEXACT"].window_ms or 0) - int(0.75 * 40 * MINUTE)) < 1_000
    rtc = mine["RTC"]
    assert rtc.type == "RTC_WAKEUP" and DATE.match(rtc.trigger or "")
    assert rtc.when_raw == str(specs["RTC"].trigger_at_ms)
    assert mine["RTCINEXACT"].type == "RTC"
    assert mine["REPEAT"].repeat_interval == 30 * MINUTE
    assert mine["CLOCK"].fields.get("alarm_clock") == "true"
    assert "WAKE_FROM_IDLE" in mine["CLOCK"].flag_names
    assert [c.time for c in dump.alarm_clocks] == [specs["CLOCK"].trigger_at_ms]
    assert dump.next_wake_from_idle_alarm is not None
    assert dump.next_wake_from_idle_alarm.package == PKG
    assert dump.now_rtc is not None and dump.now_elapsed is not None
    assert all(a.operation and PKG in a.operation for a in mine.values())
    if api >= 31:
        policies = set(era_for(api).policies)
        assert all(set(a.policy_when_elapsed) == policies for a in mine.values())
        assert exact.exact_allow_reason == ("policy_permission" if api >= 33 else "permission")
        assert "ALLOW_WHILE_IDLE_COMPAT" in mine["AWI"].flag_names
        assert exact.max_when_elapsed == exact.when_elapsed
        assert dump.pending_alarms_per_uid == {"u0a150": len(specs)}
    else:
        assert "ALLOW_WHILE_IDLE" in mine["AWI"].flag_names
        assert dump.batches and all(a.batch is not None for a in mine.values())
        assert exact.exact_allow_reason is None
    if api >= 28:
        assert dump.force_all_apps_standby is False
        assert dump.app_standby_parole is True


def test_pre_s_idle_layout_lists_the_alarms_held_until_the_idle_ends(bench):
    b = bench(api_level=28, rate=100)
    b.out("dumpsys deviceidle force-idle")
    b.set_alarm(AlarmSpec.set(ELAPSED_REALTIME_WAKEUP, b.elapsed() + MINUTE, ".AlarmReceiver",
                              action="HELD"))  # fmt: skip
    b.set_alarm(AlarmSpec.set_and_allow_while_idle(
        ELAPSED_REALTIME_WAKEUP, b.elapsed() + 30 * MINUTE, ".AlarmReceiver", action="AWI"
    ))  # fmt: skip
    dump = b.alarm_dump()
    assert dump.idle_mode and dump.idling_until_alarm is not None
    assert dump.idling_until_alarm.package == "android"
    assert "IDLE_UNTIL" in dump.idling_until_alarm.flag_names
    sections = {a.tag: a.section for a in dump.for_package(PKG)}
    assert sections == {"*walarm*:HELD": "pending_while_idle", "*walarm*:AWI": "pending"}


def test_s_idle_layout_points_the_held_alarm_at_the_idle_until_time(bench):
    b = bench(api_level=34, rate=100)
    b.out("dumpsys deviceidle force-idle")
    b.set_alarm(AlarmSpec.set(ELAPSED_REALTIME_WAKEUP, b.elapsed() + MINUTE, ".AlarmReceiver",
                              action="HELD"))  # fmt: skip
    dump = b.alarm_dump()
    assert dump.idle_mode
    idle = dump.idling_until_alarm
    assert idle is not None and idle.package == "android" and idle.listener
    [held] = dump.for_package(PKG)
    assert held.section == "pending"
    # device_idle = the idle-until time, printed relative to now like whenElapsed.
    assert held.policy_when_elapsed["device_idle"] == held.when_elapsed
    assert held.when_elapsed == idle.when_elapsed
    assert [a.package for a in dump.alarms if a.section == "pending"].count("android") == 1


# ---------------------------------------------------------------------------------- captures
def shape(alarm: alarm_parser.Alarm) -> tuple:
    """What a layout determines about one alarm: the detail keys, the policy names, how the
    trigger time is written."""
    trigger = "date" if DATE.match(alarm.trigger or "") else (
        "duration" if DURATION.match(alarm.trigger or "") else alarm.trigger
    )  # fmt: skip
    # Alarm-clock and idle-option lines come with some alarms only.
    keys = set(alarm.fields) - {"alarm_clock", "triggerTime", "showIntent", "idle-options"}
    return (
        alarm.type,
        trigger,
        frozenset(keys),
        frozenset(alarm.policy_when_elapsed),
        alarm.when_elapsed is not None,
        alarm.window is not None,
        alarm.flags is not None,
        alarm.count is not None,
    )


@pytest.mark.parametrize(
    ("api", "name"),
    [
        (27, "google-pixel-api27.txt"),
        (28, "sunmi-t2slite-api28.txt"),
        (28, "posiflex-hs3314-api28.txt"),
        (33, "axxs-mt8168-api33.txt"),
        (35, "tcl-excerpt.txt"),
    ],
)
def test_dump_has_the_shape_of_the_capture_of_its_release(bench, api, name):
    real = alarm_parser.parse(capture(name))
    b = bench(api_level=api, permissions=EXACT_PERMS)
    varied_alarms(b)
    mine = b.alarm_dump()
    assert mine.layout == real.layout
    assert (mine.force_all_apps_standby is None) == (real.force_all_apps_standby is None)
    assert (mine.app_standby_parole is None) == (real.app_standby_parole is None)
    # The constants the release prints (the excerpt was trimmed by its author: a subset).
    if name.startswith("tcl"):
        assert set(real.settings) <= set(mine.settings)
    else:
        assert set(real.settings) == set(mine.settings)
    real_shapes = {shape(a) for a in real.alarms if a.section == "pending"}
    for alarm in mine.for_package(PKG):
        candidates = {s for s in real_shapes if s[0] == alarm.type}
        if candidates:
            assert shape(alarm) in candidates, (alarm.tag, shape(alarm), candidates)
