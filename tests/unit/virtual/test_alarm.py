"""The virtual AlarmManager: delivery, Doze, standby quotas, the exact-alarm permission and the
lifecycle of alarms (reboot, force-stop)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.system.alarm import AlarmSpec
from harness.virtual.system.alarm_policy import (
    ELAPSED_REALTIME,
    ELAPSED_REALTIME_WAKEUP,
    EXTRA_ALARM_COUNT,
    RTC_WAKEUP,
)
from harness.virtual.system.job_info import IllegalArgumentException, SecurityException
from tests.unit.virtual.bgwork_bench import (
    DEFAULT_PERMISSIONS,
    HOUR,
    MINUTE,
    PKG,
    Bench,
    bench_factory,
)

EXACT_PERMS = (*DEFAULT_PERMISSIONS, "USE_EXACT_ALARM")
# For standby tests: USE_EXACT_ALARM would keep the app at WORKING_SET or better
# (shouldGetBucketElevation); SCHEDULE_EXACT_ALARM does not for apps targeting 34+.
SCHEDULE_PERMS = (*DEFAULT_PERMISSIONS, "SCHEDULE_EXACT_ALARM")


def allow_exact_alarms(b: Bench) -> None:
    b.out(f"cmd appops set {PKG} SCHEDULE_EXACT_ALARM allow")


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., Bench]]:
    yield from bench_factory(device_loop)


def exact(b: Bench, after_ms: int, action: str, **kw: object) -> AlarmSpec:
    return AlarmSpec.set_exact(
        ELAPSED_REALTIME_WAKEUP, b.elapsed() + after_ms, ".AlarmReceiver", action=action, **kw
    )


# ---------------------------------------------------------------------------------- delivery
def test_exact_alarm_is_delivered_to_the_receiver_at_its_time(bench):
    b = bench(permissions=EXACT_PERMS)
    spec = exact(b, 2 * MINUTE, "com.example.PING", extras={"n": 7})
    assert b.set_alarm(spec) is None
    trigger = spec.trigger_at_ms
    b.wait_until(lambda: b.of("receive", "com.example.PING"))
    got = b.of("receive", "com.example.PING")[0]
    assert trigger <= got.elapsed < trigger + 5_000
    assert got.payload["extras"] == {"n": 7, EXTRA_ALARM_COUNT: 1}
    fired = b.of("alarm_fired")[0]
    assert fired.payload["package"] == PKG and fired.payload["wakeup"] is True
    assert fired.payload["tag"] == "*walarm*:com.example.PING"
    assert fired.payload["type"] == ELAPSED_REALTIME_WAKEUP
    assert b.pending() == []


def test_set_replaces_the_same_pending_intent_and_cancel_removes_it(bench):
    b = bench(permissions=EXACT_PERMS)
    b.set_alarm(exact(b, 5 * MINUTE, "A"))
    b.set_alarm(exact(b, 6 * MINUTE, "A"))  # same receiver, action and request code
    b.set_alarm(exact(b, 7 * MINUTE, "A", request_code=2))
    assert len(b.pending()) == 2
    assert b.run(lambda: b.alarms.cancel(PKG, exact(b, 0, "A"))) == 1
    assert [a.spec.request_code for a in b.pending()] == [2]
    dump = b.alarm_dump()
    assert "alarm_cancelled" in b.out("dumpsys alarm")
    assert [a.tag for a in dump.for_package(PKG)] == ["*walarm*:A"]


def test_inexact_alarm_gets_the_heuristic_window_and_fires_at_its_end(bench):
    b = bench(api_level=34, rate=200)
    spec = AlarmSpec.set(ELAPSED_REALTIME_WAKEUP, b.elapsed() + 4 * MINUTE, ".AlarmReceiver",
                         action="INEXACT")  # fmt: skip
    assert b.set_alarm(spec) is None
    [alarm] = b.pending()
    assert abs(alarm.window_ms - 3 * MINUTE) < 1_000  # 75 % of the futurity
    # Android 12+ (LazyAlarmStore) delivers a lone inexact alarm at the end of its window.
    b.wait_until(lambda: b.of("receive", "INEXACT"), timeout_s=20)
    assert b.of("receive", "INEXACT")[0].elapsed >= spec.trigger_at_ms + alarm.window_ms


def test_set_window_shorter_than_the_minimum_is_stretched_for_targets_31(bench):
    b = bench(api_level=34)
    start = b.elapsed() + 30 * MINUTE
    spec = AlarmSpec.set_window(ELAPSED_REALTIME, start, MINUTE, ".AlarmReceiver")
    assert b.set_alarm(spec) is None
    assert b.pending()[0].window_ms == 10 * MINUTE  # min_window


def test_non_wakeup_alarm_waits_while_the_screen_is_off(bench):
    b = bench(permissions=EXACT_PERMS, rate=100)
    b.set_alarm(exact(b, 10_000, "FIRST"))
    b.wait_until(lambda: b.of("receive", "FIRST"))
    b.out("input keyevent SLEEP")
    spec = AlarmSpec.set_exact(ELAPSED_REALTIME, b.elapsed() + 20_000, ".AlarmReceiver",
                               action="QUIET")  # fmt: skip
    b.set_alarm(spec)
    b.wait_device_ms(40_000)
    # checkAllowNonWakeupDelayLocked: held as past-due until a wakeup or the screen comes on.
    assert b.of("receive", "QUIET") == []
    dump = b.alarm_dump()
    assert [a.section for a in dump.for_package(PKG)] == ["past_due"]
    b.out("input keyevent WAKEUP")
    b.wait_until(lambda: b.of("receive", "QUIET"))


def test_repeating_alarm_is_set_again_with_its_interval(bench):
    b = bench(rate=500)
    spec = AlarmSpec.set_repeating(ELAPSED_REALTIME_WAKEUP, b.elapsed() + MINUTE, 15 * MINUTE,
                                   ".AlarmReceiver", action="TICK")  # fmt: skip
    b.set_alarm(spec)
    b.wait_until(lambda: len(b.of("receive", "TICK")) >= 2, timeout_s=20)
    first, second = b.of("receive", "TICK")[:2]
    assert second.elapsed - first.elapsed >= 14 * MINUTE
    assert len(b.pending()) == 1


def test_bad_type_is_rejected(bench):
    b = bench()
    err = b.set_alarm(AlarmSpec.set(7, b.elapsed() + MINUTE, ".AlarmReceiver"))
    assert isinstance(err, IllegalArgumentException)
    assert err.message == "Invalid alarm type 7"


# ---------------------------------------------------------------------------------- Doze
def test_inexact_alarm_in_deep_idle_waits_for_the_maintenance_window(bench):
    b = bench(rate=100)
    b.set_alarm(AlarmSpec.set(ELAPSED_REALTIME_WAKEUP, b.elapsed() + MINUTE, ".AlarmReceiver",
                              action="LATER"))  # fmt: skip
    assert "Now forced in to deep idle mode" in b.out("dumpsys deviceidle force-idle")
    b.wait_device_ms(3 * MINUTE)
    assert b.of("receive", "LATER") == []
    dump = b.alarm_dump()
    assert dump.idle_mode and dump.idling_until_alarm is not None
    [alarm] = dump.for_package(PKG)
    assert alarm.policy_when_elapsed["device_idle"] != "--"
    assert b.out("dumpsys deviceidle step").strip() == "Stepped to deep: IDLE_MAINTENANCE"
    b.wait_until(lambda: b.of("receive", "LATER"))
    assert not b.alarm_dump().idle_mode


def test_light_idle_does_not_defer_alarms(bench):
    b = bench(permissions=EXACT_PERMS)
    assert "light idle" in b.out("dumpsys deviceidle force-idle light")
    spec = exact(b, 30_000, "LIGHT")
    b.set_alarm(spec)
    b.wait_until(lambda: b.of("receive", "LIGHT"))
    assert b.of("receive", "LIGHT")[0].elapsed < spec.trigger_at_ms + 5_000
    assert not b.alarm_dump().idle_mode


def test_allow_while_idle_fires_in_deep_idle_until_its_quota_is_spent(bench):
    # Android 13: inexact AWI alarms of apps targeting 31+ get the compat quota, 1 per 9 min.
    b = bench(api_level=33, rate=100)
    b.out("dumpsys deviceidle force-idle")
    first = AlarmSpec.set_and_allow_while_idle(
        ELAPSED_REALTIME_WAKEUP, b.elapsed() + 10_000, ".AlarmReceiver", action="AWI1"
    )
    b.set_alarm(first)
    b.wait_until(lambda: b.of("receive", "AWI1"))
    delivered = b.of("receive", "AWI1")[0].elapsed
    second = AlarmSpec.set_and_allow_while_idle(
        ELAPSED_REALTIME_WAKEUP, b.elapsed() + 10_000, ".AlarmReceiver", action="AWI2"
    )
    b.set_alarm(second)
    [held] = b.pending()
    assert held.flags == 0x20  # FLAG_ALLOW_WHILE_IDLE_COMPAT
    assert abs(held.policy["device_idle"] - (delivered + 9 * MINUTE)) < 1_000
    b.wait_device_ms(2 * MINUTE)
    assert b.of("receive", "AWI2") == []
    # The maintenance window lets it go (the quota slot would have, at the latest).
    b.out("dumpsys deviceidle step")
    b.wait_until(lambda: b.of("receive", "AWI2"))
    history = b.out("dumpsys alarm").split("Allow while idle compat history:")[1]
    assert f"{PKG}, u0: " in history.splitlines()[1]


def test_exact_allow_while_idle_quota_is_72_an_hour(bench):
    b = bench(api_level=34, rate=50, permissions=EXACT_PERMS)
    b.out("dumpsys deviceidle force-idle")
    base = b.elapsed() + 10_000
    for i in range(73):
        # Spaced so that each is its own delivery (alarms due together go out together).
        b.set_alarm(AlarmSpec.set_exact_and_allow_while_idle(
            ELAPSED_REALTIME_WAKEUP, base + i * 3_000, ".AlarmReceiver", action="Q",
            request_code=i,
        ))  # fmt: skip
    b.wait_until(lambda: len(b.of("receive", "Q")) >= 72, timeout_s=30)
    b.wait_device_ms(MINUTE)
    assert len(b.of("receive", "Q")) == 72
    [held] = b.pending()
    idle_until = b.alarm_dump().idling_until_alarm
    assert idle_until is not None
    # min(72nd-last delivery + 1 h, the idle-until alarm)
    assert held.policy["device_idle"] <= int(idle_until.when_raw or 0)


def test_alarm_clock_fires_in_deep_idle_and_ends_it_first(bench):
    b = bench(api_level=34, rate=200, permissions=EXACT_PERMS)
    b.out("dumpsys deviceidle force-idle")
    assert b.deep_state() == "IDLE"
    wall = b.wall() + 20 * MINUTE
    assert b.set_alarm(AlarmSpec.set_alarm_clock(wall, ".AlarmReceiver", action="WAKE")) is None
    clock = b.run(lambda: b.alarms.next_alarm_clock())
    assert clock is not None and clock.trigger_time_ms == wall
    dump = b.alarm_dump()
    assert dump.next_wake_from_idle_alarm is not None
    assert dump.alarm_clocks[0].time == wall
    # adjustIdleUntilTime: idle ends 2-15 min before the alarm clock.
    b.wait_until(lambda: b.deep_state() != "IDLE", timeout_s=20)
    left_idle = b.elapsed()
    assert b.of("receive", "WAKE") == []
    b.wait_until(lambda: b.of("receive", "WAKE"), timeout_s=20)
    fired = b.of("receive", "WAKE")[0].elapsed
    assert left_idle < fired and fired - left_idle <= 16 * MINUTE
    assert b.run(lambda: b.alarms.next_alarm_clock()) is None


def test_alarm_clock_needs_the_exact_permission_on_android_14(bench):
    b = bench(api_level=34, permissions=DEFAULT_PERMISSIONS)
    err = b.set_alarm(AlarmSpec.set_alarm_clock(b.wall() + HOUR, ".AlarmReceiver"))
    assert isinstance(err, SecurityException)


# ---------------------------------------------------------------------------------- standby
def test_use_exact_alarm_keeps_the_app_out_of_rare(bench):
    b = bench(api_level=34, permissions=EXACT_PERMS)
    b.out(f"am set-standby-bucket {PKG} rare")
    assert b.out(f"am get-standby-bucket {PKG}").strip() == "20"  # shouldGetBucketElevation


def test_rare_bucket_gets_one_alarm_an_hour_unless_charging(bench):
    b = bench(api_level=34, rate=1000, permissions=SCHEDULE_PERMS)
    allow_exact_alarms(b)
    b.unplug()
    b.home()
    # Past the hour of ACTIVE that launching gave it (a forced bucket is raised back to ACTIVE
    # while that expiry is valid: getMinBucketWithValidExpiryTime).
    b.wait_device_ms(HOUR + MINUTE)
    b.out(f"am set-standby-bucket {PKG} rare")
    b.set_alarm(exact(b, MINUTE, "R1"))
    b.set_alarm(exact(b, 2 * MINUTE, "R2"))
    b.wait_until(lambda: b.of("receive", "R1"))
    first = b.of("receive", "R1")[0].elapsed
    b.wait_device_ms(5 * MINUTE)
    assert b.of("receive", "R2") == []
    [held] = b.pending()
    assert abs(held.policy["app_standby"] - (first + HOUR)) < 5_000
    dump = b.alarm_dump()
    assert dump.app_standby_parole is False
    [alarm] = dump.for_package(PKG)
    assert alarm.policy_when_elapsed["app_standby"].startswith("+5")
    b.wait_until(lambda: b.of("receive", "R2"), timeout_s=10)
    assert b.of("receive", "R2")[0].elapsed >= first + HOUR - 5_000
    assert b.out(f"am get-standby-bucket {PKG}").strip() == "40"


def test_never_bucket_defers_indefinitely_and_charging_paroles(bench):
    b = bench(api_level=34, rate=500, permissions=SCHEDULE_PERMS)
    allow_exact_alarms(b)
    b.unplug()
    b.home()
    b.wait_device_ms(HOUR + MINUTE)
    b.out(f"am set-standby-bucket {PKG} never")
    b.set_alarm(exact(b, 10_000, "N"))
    b.wait_device_ms(MINUTE)
    assert b.of("receive", "N") == []
    b.out("cmd battery set ac 1")
    b.out("cmd battery set level 95")  # BatteryStats reports charging (ACTION_CHARGING)
    b.wait_until(lambda: b.of("receive", "N"))


def test_android_9_delays_by_bucket_since_the_last_delivery(bench):
    b = bench(api_level=28, rate=500)
    b.unplug()
    b.home()
    b.wait_device_ms(HOUR + MINUTE)
    b.out(f"am set-standby-bucket {PKG} frequent")
    b.set_alarm(exact(b, MINUTE, "P1"))
    b.wait_until(lambda: b.of("receive", "P1"))
    first = b.of("receive", "P1")[0].elapsed
    b.set_alarm(exact(b, MINUTE, "P2"))
    b.wait_until(lambda: b.of("receive", "P2"), timeout_s=20)
    assert b.of("receive", "P2")[0].elapsed >= first + 30 * MINUTE  # standby_frequent_delay


# ----------------------------------------------------------------------- saver, restriction
def test_battery_saver_defers_background_alarms_but_not_alarm_clocks(bench):
    b = bench(api_level=34, rate=100, permissions=EXACT_PERMS)
    b.unplug()
    b.home()
    b.wait_device_ms(2 * MINUTE)  # out of the uid's active settle time
    b.out("cmd power set-mode 1")
    b.set_alarm(exact(b, 10_000, "SAVER"))
    b.wait_device_ms(MINUTE)
    assert b.of("receive", "SAVER") == []
    dump = b.alarm_dump()
    assert dump.force_all_apps_standby is True
    assert dump.for_package(PKG)[0].policy_when_elapsed["battery_saver"].startswith("+364d")
    b.set_alarm(AlarmSpec.set_alarm_clock(b.wall() + 20_000, ".AlarmReceiver", action="CLOCK"))
    b.wait_until(lambda: b.of("receive", "CLOCK"))
    # The alarm clock's temp allowlist makes the uid active, which frees the deferred alarm
    # (AppStateTracker.updateAlarmsForUid).
    b.wait_until(lambda: b.of("receive", "SAVER"))
    assert b.of("receive", "SAVER")[0].elapsed >= b.of("receive", "CLOCK")[0].elapsed


def test_battery_saver_exempts_an_active_app(bench):
    b = bench(api_level=34, rate=100, permissions=EXACT_PERMS)
    b.unplug()
    b.out("cmd power set-mode 1")
    spec = exact(b, 10_000, "ACTIVE")
    b.set_alarm(spec)
    b.wait_until(lambda: b.of("receive", "ACTIVE"))
    assert b.of("receive", "ACTIVE")[0].elapsed < spec.trigger_at_ms + 5_000


def test_background_restricted_app_alarms_wait_until_it_is_active(bench):
    b = bench(api_level=34, rate=100, permissions=EXACT_PERMS)
    b.home()
    b.wait_device_ms(2 * MINUTE)
    b.out(f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND ignore")
    b.set_alarm(exact(b, 10_000, "BLOCKED"))
    b.wait_device_ms(MINUTE)
    assert b.of("receive", "BLOCKED") == []
    [blocked] = b.alarm_dump().for_package(PKG)
    assert blocked.section == "user_blocked"
    b.launch()
    b.wait_until(lambda: b.of("receive", "BLOCKED"))


# ---------------------------------------------------------------------------------- permission
def test_android_14_denies_exact_alarms_to_new_apps_targeting_33(bench):
    b = bench(api_level=34, permissions=(*DEFAULT_PERMISSIONS, "SCHEDULE_EXACT_ALARM"))
    assert b.run(lambda: b.alarms.can_schedule_exact_alarms(PKG)) is False
    err = b.set_alarm(exact(b, MINUTE, "X"))
    assert isinstance(err, SecurityException)
    assert str(err) == (
        "java.lang.SecurityException: Caller com.example.alarms needs to hold "
        "android.permission.SCHEDULE_EXACT_ALARM or android.permission.USE_EXACT_ALARM to set "
        "exact alarms."
    )
    # Inexact allow-while-idle alarms need no permission.
    assert b.set_alarm(AlarmSpec.set_and_allow_while_idle(
        ELAPSED_REALTIME_WAKEUP, b.elapsed() + MINUTE, ".AlarmReceiver"
    )) is None  # fmt: skip
    b.out(f"cmd appops set {PKG} SCHEDULE_EXACT_ALARM allow")
    assert b.run(lambda: b.alarms.can_schedule_exact_alarms(PKG)) is True
    assert b.set_alarm(exact(b, MINUTE, "X")) is None
    [alarm] = [a for a in b.alarm_dump().for_package(PKG) if a.tag == "*walarm*:X"]
    assert alarm.exact_allow_reason == "permission"


@pytest.mark.parametrize(
    ("api", "target", "allowed", "message_tail"),
    [
        (31, 31, True, None),
        (33, 33, True, None),
        (34, 32, True, None),
        (34, 34, False, "or android.permission.USE_EXACT_ALARM to set exact alarms."),
        (32, 31, False, "android.permission.SCHEDULE_EXACT_ALARM to set exact alarms."),
    ],
)
def test_exact_permission_default_per_release(bench, api, target, allowed, message_tail):
    perms = (*DEFAULT_PERMISSIONS, "SCHEDULE_EXACT_ALARM") if allowed or api >= 34 else ()
    b = bench(api_level=api, target_sdk=target, permissions=perms)
    err = b.set_alarm(exact(b, MINUTE, "P"))
    if allowed:
        assert err is None
    else:
        assert isinstance(err, SecurityException)
        assert err.message.endswith(message_tail)


def test_use_exact_alarm_and_the_power_save_allowlist(bench):
    b = bench(api_level=34, permissions=EXACT_PERMS)
    b.set_alarm(exact(b, MINUTE, "U"))
    assert b.alarm_dump().for_package(PKG)[0].exact_allow_reason == "policy_permission"
    c = bench(api_level=34)
    c.out(f"dumpsys deviceidle whitelist +{PKG}")
    assert c.set_alarm(exact(c, MINUTE, "W")) is None
    [alarm] = c.alarm_dump().for_package(PKG)
    # Allowlisted apps need no permission, and their alarms are unrestricted while idle.
    assert alarm.exact_allow_reason == "allow-listed"
    assert "ALLOW_WHILE_IDLE_UNRESTRICTED" in alarm.flag_names


def test_revoking_the_permission_removes_exact_alarms_and_kills_the_app(bench):
    b = bench(api_level=34, permissions=(*DEFAULT_PERMISSIONS, "SCHEDULE_EXACT_ALARM"))
    b.out(f"cmd appops set {PKG} SCHEDULE_EXACT_ALARM allow")
    b.set_alarm(exact(b, 10 * MINUTE, "EXACT"))
    b.set_alarm(AlarmSpec.set(ELAPSED_REALTIME_WAKEUP, b.elapsed() + 10 * MINUTE,
                              ".AlarmReceiver", action="INEXACT"))  # fmt: skip
    assert f"{PKG}" in b.out("ps -A")
    b.out(f"cmd appops set {PKG} SCHEDULE_EXACT_ALARM deny")
    assert [a.spec.action for a in b.pending()] == ["INEXACT"]
    assert PKG not in b.out("ps -A")
    text = b.out("dumpsys alarm")
    assert "reason=exact_alarm_permission_revoked" in text
    assert f"Package {PKG}, uid" in b.out("logcat -d -s AlarmManager")


# ---------------------------------------------------------------------------------- lifecycle
def test_reboot_clears_alarms(bench):
    b = bench(permissions=EXACT_PERMS)
    b.set_alarm(exact(b, HOUR, "GONE"))
    b.reboot()
    assert b.pending() == []
    assert b.alarm_dump().for_package(PKG) == []


def test_force_stop_clears_alarms(bench):
    b = bench(permissions=EXACT_PERMS)
    b.set_alarm(exact(b, HOUR, "GONE"))
    b.set_alarm(AlarmSpec.set(ELAPSED_REALTIME, b.elapsed() + HOUR, ".AlarmReceiver"))
    b.out(f"am force-stop {PKG}")
    assert b.pending() == []


def test_uninstall_and_clear_data_remove_alarms(bench):
    b = bench(permissions=EXACT_PERMS)
    b.set_alarm(exact(b, HOUR, "A"))
    b.out(f"pm clear {PKG}")
    assert b.pending() == []
    assert "reason=data_cleared" in b.out("dumpsys alarm")


# ---------------------------------------------------------------------------------- cmd alarm
def test_set_time_moves_rtc_alarms_with_the_wall_clock(bench):
    b = bench(api_level=34, rate=50, permissions=EXACT_PERMS)
    wall = b.wall() + HOUR
    b.set_alarm(AlarmSpec.set_exact(RTC_WAKEUP, wall, ".AlarmReceiver", action="RTC"))
    _out, err, rc = b.sh(f"cmd alarm set-time {wall - 20_000}")
    assert (err, rc) == ("", 0)
    b.wait_until(lambda: b.of("receive", "RTC"))
    assert b.wall() >= wall
    assert "Num time change events: 1" in b.out("dumpsys alarm")


def test_cmd_alarm_errors_and_config_version(bench):
    b = bench(api_level=34)
    assert b.sh("cmd alarm set-time abc") == (
        'java.lang.NumberFormatException: For input string: "abc"\n',
        "",
        255,
    )
    assert b.sh("cmd alarm set-time") == (
        'java.lang.IllegalArgumentException: Argument expected after "set-time"\n',
        "",
        255,
    )
    assert b.sh("cmd alarm get-config-version") == ("1\n", "", 0)
    out, _err, rc = b.sh("cmd alarm")
    assert rc == 255 and out.startswith("Alarm manager service (alarm) commands:")
    assert b.sh("cmd alarm set-timezone Europe/Paris") == ("", "", 0)
    assert b.out("getprop persist.sys.timezone").strip() == "Europe/Paris"


def test_cmd_alarm_before_android_9_has_no_shell_command(bench):
    b = bench(api_level=27)
    assert b.sh("cmd alarm set-time 0") == ("", "No shell command implementation.\n", 0)
