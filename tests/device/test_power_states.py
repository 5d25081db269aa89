"""Power states: forced and stepped Doze, battery, battery saver, standby buckets, and what a
reboot keeps. Written for any device; every test leaves the device as it found it (the
``power`` fixture restores and checks)."""

from __future__ import annotations

import pytest

from harness.app.sample import SampleApp
from harness.device import Device
from harness.power import BatterySaverRefused, DozeStepError, PowerControllers


def test_force_deep_reaches_idle_and_the_platform_says_so(device: Device, power):
    power.doze.force_deep()
    assert device.shell("cmd deviceidle get deep").stdout.strip() == "IDLE"
    assert power.doze.state().forced


def test_doze_context_manager_restores_on_exit(power: PowerControllers):
    before = power.doze.state()
    with power.doze.deep():
        assert power.doze.get("deep") == "IDLE"
    assert power.doze.state() == before


def test_step_from_active_with_the_screen_on_changes_nothing(power: PowerControllers):
    power.screen.on()
    assert power.doze.get("deep") == "ACTIVE"
    assert power.doze.step() == "ACTIVE"
    with pytest.raises(DozeStepError, match="screen off and the battery unplugged"):
        power.doze.step_to("IDLE")


def test_unplugged_dark_device_steps_through_the_deep_sequence(power: PowerControllers):
    power.battery.unplug()
    power.screen.off()
    seen = [power.doze.get("deep")]
    while seen[-1] != "IDLE" and len(seen) < 10:
        seen.append(power.doze.step())
    assert seen[-1] == "IDLE"
    # DeviceIdleController: INACTIVE -> IDLE_PENDING -> SENSING -> LOCATING -> IDLE
    # (SENSING/LOCATING are skipped by devices without the sensors or location providers).
    order = ["INACTIVE", "IDLE_PENDING", "SENSING", "LOCATING", "IDLE"]
    walked = [s for s in seen if s in order]
    assert walked == sorted(walked, key=order.index)
    assert walked[:2] == ["INACTIVE", "IDLE_PENDING"]
    assert power.doze.step() == "IDLE_MAINTENANCE"


def test_light_idle(power: PowerControllers):
    power.doze.force_light()
    assert power.doze.get("light") == "IDLE"


def test_exit_returns_to_active(power: PowerControllers):
    power.battery.unplug()
    power.screen.off()
    power.doze.force_deep()
    power.doze.exit()
    assert power.doze.get("deep") == "ACTIVE"


def test_unplug_and_level(power: PowerControllers):
    power.battery.unplug()
    power.battery.set_level(42)
    status = power.battery.status()
    assert (status.plugged, status.level, status.frozen) == ("none", 42, True)


def test_battery_saver_is_refused_while_charging(power: PowerControllers):
    power.battery.plug("usb")
    with pytest.raises(BatterySaverRefused):
        power.saver.on()
    assert not power.saver.enabled()


@pytest.mark.min_sdk(29)
def test_battery_saver_on_battery_turns_on_quick_doze(device: Device, power):
    power.battery.unplug()
    power.saver.on()
    assert power.saver.enabled()
    assert device.shell("cmd deviceidle get quick").stdout.strip() == "true"
    power.screen.off()
    # Quick doze: screen off -> QUICK_DOZE_DELAY (then IDLE after 60 s, skipping motion).
    power.doze.wait_for("deep state QUICK_DOZE_DELAY or IDLE",
                        lambda: (power.doze.get("deep") in ("QUICK_DOZE_DELAY", "IDLE"),
                                 power.doze.get("deep")))


@pytest.mark.min_sdk(28)
def test_standby_bucket_set_and_read_back(power: PowerControllers, probe_app: str):
    power.standby.set_bucket(probe_app, "rare")
    assert power.standby.bucket(probe_app) == 40
    power.standby.set_bucket(probe_app, "restricted" if power.profile.api_level >= 30
                             else "frequent")
    assert power.standby.bucket(probe_app) in (45, 30)


@pytest.mark.min_sdk(31)
def test_exact_alarm_permission_is_a_bucket_floor_a_test_can_lift(
        device: Device, app: SampleApp, power: PowerControllers):
    from harness.android.appops import parse as parse_appops
    from harness.power import BucketPinned

    pkg = SampleApp.package

    def exact_alarm_mode() -> str | None:
        out = device.shell(["cmd", "appops", "get", "--uid", pkg, "SCHEDULE_EXACT_ALARM"]).stdout
        return parse_appops(out).mode("SCHEDULE_EXACT_ALARM")

    before = exact_alarm_mode()
    if power.profile.api_level <= 33:
        # The sample app holds SCHEDULE_EXACT_ALARM, granted on Android 12-13: WORKING_SET at
        # least. From Android 14 it no longer elevates apps that target 34 or later.
        with pytest.raises(BucketPinned, match="WORKING_SET"):
            power.standby.set_bucket(pkg, "rare")
        assert power.standby.bucket(pkg) == 20
    power.standby.set_bucket(pkg, "rare", lift_exact_alarm_floor=True)
    assert power.standby.bucket(pkg) == 40
    power.standby.restore()
    assert exact_alarm_mode() == before


@pytest.mark.min_sdk(31)
def test_background_location_keeps_an_app_at_frequent(
        power: PowerControllers, location_probe_app: str):
    from harness.power import BucketPinned

    with pytest.raises(BucketPinned, match="ACCESS_BACKGROUND_LOCATION"):
        power.standby.set_bucket(location_probe_app, "rare")
    assert power.standby.bucket(location_probe_app) == 30


@pytest.mark.min_sdk(28)
def test_whitelisted_app_stays_exempted(power: PowerControllers, probe_app: str):
    from harness.power import BucketPinned

    power.whitelist.add(probe_app)
    assert power.standby.bucket(probe_app) == 5
    with pytest.raises(BucketPinned):
        power.standby.set_bucket(probe_app, "rare")
    assert power.standby.bucket(probe_app) == 5


@pytest.mark.reboot
@pytest.mark.min_sdk(28)
def test_reboot_keeps_whitelist_and_bucket_but_drops_forced_idle_and_battery_overrides(
        device: Device, power: PowerControllers, probe_apps: tuple[str, str]):
    bucketed, whitelisted = probe_apps
    power.standby.set_bucket(bucketed, "rare")
    power.whitelist.add(whitelisted)
    power.battery.unplug()
    power.battery.set_level(33)
    power.doze.force_deep()
    power.whitelist.wait_persisted()  # the whitelist reaches disk 5 s after a change
    device.reboot(wait=True)
    # Persisted (app_idle_stats.xml, deviceidle.xml): the bucket and the user whitelist.
    assert power.standby.bucket(bucketed) == 40
    assert power.whitelist.contains(whitelisted)
    # In memory only: the forced idle state and the battery override.
    state = power.doze.state()
    battery = power.battery.status()
    assert not state.forced and state.deep == "ACTIVE"
    assert not battery.frozen and battery.plugged != "none"
