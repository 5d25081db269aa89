"""Alarms of the sample app under Doze, permissions and reboots.

Facts (android-background-behavior.md section 5): deep idle defers alarms to the maintenance
window, except allow-while-idle alarms within their quota and alarm clocks, which also end idle;
light idle does not defer alarms; without SCHEDULE_EXACT_ALARM (API 31+) exact alarms throw
SecurityException; alarms do not survive a reboot.
"""

from __future__ import annotations

import pytest

from harness.app.sample import AppCallError, SampleApp
from harness.device import Device
from harness.inspect.alarms import AlarmInspector
from harness.power import PowerControllers

PKG = SampleApp.package
# AlarmManagerService: an app's trigger time is at least MIN_FUTURITY (5 s) in the future.
MIN_FUTURITY_MS = 5000


def _dark_and_unplugged(power: PowerControllers) -> None:
    power.battery.unplug()
    power.screen.off()


def test_exact_alarm_fires_within_a_second_of_its_target(app: SampleApp):
    scheduled = app.schedule_alarm("exact", type="ELAPSED_REALTIME_WAKEUP", mode="exact",
                                   delay_ms=MIN_FUTURITY_MS + 1000)
    fired = app.wait_for("fired", "exact", timeout_s=60)
    lateness = fired.elapsed_ms - int(scheduled["trigger_at_ms"])
    assert 0 <= lateness <= 1000, f"fired {lateness} ms after its target"


def test_an_alarm_set_closer_than_five_seconds_is_moved_to_five(app: SampleApp):
    scheduled = app.schedule_alarm("soon", type="ELAPSED_REALTIME_WAKEUP", mode="exact",
                                   delay_ms=1000)
    fired = app.wait_for("fired", "soon", timeout_s=60)
    after_set = fired.elapsed_ms - (int(scheduled["trigger_at_ms"]) - 1000)
    assert after_set >= MIN_FUTURITY_MS - 100, f"fired {after_set} ms after it was set"


def test_inexact_alarm_in_deep_idle_waits_for_the_maintenance_window(
        app: SampleApp, power: PowerControllers, alarms: AlarmInspector):
    _dark_and_unplugged(power)
    power.doze.force_deep()
    app.schedule_alarm("inexact", mode="inexact", delay_ms=2000)
    app.assert_no_event("fired", "inexact", within_s=6)
    assert any((a.tag and "inexact" in str(a.tag)) or a.package == PKG
               for a in alarms.alarms(PKG)), "the alarm is not pending on the platform"
    power.doze.step()  # IDLE -> IDLE_MAINTENANCE: deferred alarms are delivered
    fired = app.wait_for("fired", "inexact", timeout_s=60)
    assert not fired.deep_idle


def test_light_idle_does_not_defer_alarms(app: SampleApp, power: PowerControllers):
    _dark_and_unplugged(power)
    power.doze.force_light()
    app.schedule_alarm("light", mode="exact", delay_ms=2000)
    app.wait_for("fired", "light", timeout_s=30)


@pytest.mark.min_sdk(31)
def test_allow_while_idle_alarms_fire_in_deep_idle_until_the_quota_is_spent(
        app: SampleApp, power: PowerControllers, alarms: AlarmInspector):
    # setAndAllowWhileIdle (inexact AWI) has the compat quota, which the dump's settings print:
    # 1 per 9 min on Android 12 and 13, 7 per hour from Android 14 (devices may tune it).
    setting = alarms.dump().settings.get("allow_while_idle_compat_quota")
    assert setting and setting.isdigit(), f"no allow_while_idle_compat_quota in the dump: {setting}"
    quota = int(setting)
    _dark_and_unplugged(power)
    power.doze.force_deep()
    for i in range(quota + 1):
        app.schedule_alarm(f"awi-{i}", mode="inexact_allow_while_idle",
                           delay_ms=MIN_FUTURITY_MS + 1000 + 300 * i)
    fired = [app.wait_for("fired", f"awi-{i}", timeout_s=60) for i in range(quota)]
    assert all(e.deep_idle for e in fired)
    app.assert_no_event("fired", f"awi-{quota}", within_s=5)


def test_alarm_clock_fires_and_ends_deep_idle(app: SampleApp, power: PowerControllers):
    _dark_and_unplugged(power)
    power.doze.force_deep()
    app.schedule_alarm("wake-me", type="RTC_WAKEUP", mode="alarm_clock", delay_ms=3000)
    app.wait_for("fired", "wake-me", timeout_s=60)
    # AlarmManager pulls the idle-until time to the alarm clock; the device leaves IDLE.
    power.doze.wait_for("deep state not IDLE",
                        lambda: (power.doze.get("deep") != "IDLE", power.doze.get("deep")))


@pytest.mark.min_sdk(34)
def test_exact_alarm_without_the_permission_fails_and_the_app_records_it(device: Device, app):
    device.shell(["cmd", "appops", "set", "--uid", PKG, "SCHEDULE_EXACT_ALARM", "deny"],
                 check=True)
    with pytest.raises(AppCallError) as info:
        app.schedule_alarm("denied", mode="exact", delay_ms=60_000)
    assert info.value.error == "security_exception"
    assert "SCHEDULE_EXACT_ALARM" in info.value.message
    failed = app.wait_for("schedule_failed", "denied", timeout_s=30)
    assert "SecurityException" in failed.detail.get("error", "") + failed.detail.get(
        "message", "") or failed.detail


@pytest.mark.reboot
def test_reboot_clears_alarms_and_boot_receiver_reregisters_marked_ones(
        device: Device, app: SampleApp, alarms: AlarmInspector):
    app.schedule_alarm("forgotten", mode="exact", delay_ms=600_000)
    app.schedule_alarm("remembered", mode="exact", delay_ms=600_000, reregister_on_boot=True)
    mark = app.last_seq()
    device.reboot(wait=True)
    app.wait_for("boot_completed", timeout_s=120, since=mark)
    tags = " ".join(str(a.tag) + " " + str(a.operation) for a in alarms.alarms(PKG))
    assert "remembered" in tags or len(alarms.alarms(PKG)) == 1
    assert "forgotten" not in tags
