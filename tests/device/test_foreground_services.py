"""Foreground services of the sample app: typed, with their notification (also on screen),
refused from the background on Android 12+ unless an exemption applies, and a long-running
worker's foreground service running through deep Doze."""

from __future__ import annotations

import pytest

from harness.app.sample import AppCallError, SampleApp
from harness.inspect.services import ForegroundServiceInspector
from harness.power import PowerControllers

PKG = SampleApp.package
DATA_SYNC = 0x1  # ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC


def test_service_started_from_the_foreground_is_foreground_with_type_and_notification(
        app: SampleApp, services: ForegroundServiceInspector):
    app.start_foreground_service("sync", type="dataSync", start_from="foreground")
    app.wait_for("fgs_started", "sync", timeout_s=30)
    service = services.wait_foreground(PKG)
    assert service.foreground_id is not None
    if app.device.api_level >= 29 and service.types is not None:
        assert service.types & DATA_SYNC
    notes = services.notifications(PKG)
    assert any(n.id == service.foreground_id and "FOREGROUND_SERVICE" in n.flag_names
               for n in notes), notes
    assert services.shade_shows("Harness Sample"), "the notification is not in the shade"
    assert app.stop_foreground_service("sync")


@pytest.mark.min_sdk(31)
def test_background_start_is_refused_on_android_12(app: SampleApp, power: PowerControllers):
    # No exemption may apply: not the 5 s after leaving the screen, nor a temporary allowlist
    # (20 s after BOOT_COMPLETED, 10 s after an exact alarm).
    app.send_to_background(past_fgs_grace=True)
    power.whitelist.wait_temp_allowlist_expired(PKG)
    with pytest.raises(AppCallError) as info:
        app.start_foreground_service("bg", type="dataSync", start_from="background")
    assert info.value.error == "start_not_allowed"
    refused = app.wait_for("refused", "bg", timeout_s=30)
    assert "start_not_allowed" in refused.detail.get("error", "")


@pytest.mark.min_sdk(31)
def test_an_exact_alarm_lets_the_app_start_a_foreground_service_from_the_background(
        app: SampleApp, services: ForegroundServiceInspector):
    app.send_to_background()
    app.schedule_alarm("start-fgs", mode="exact", delay_ms=2000,
                       on_fire={"start_foreground_service": {"name": "from-alarm",
                                                             "type": "dataSync"}})
    app.wait_for("fired", "start-fgs", timeout_s=60)
    app.wait_for("fgs_started", "from-alarm", timeout_s=30)
    assert services.foreground(PKG)
    app.stop_foreground_service("from-alarm")


def test_long_running_worker_with_set_foreground_runs_through_deep_doze(
        app: SampleApp, power: PowerControllers, services: ForegroundServiceInspector):
    # setForeground is a foreground-service start: allowed while the app is on screen.
    app.bring_to_front()
    app.enqueue_work("long", foreground={"type": "dataSync", "notification_id": 77},
                     behavior={"duration_ms": 15000})
    app.wait_for("started", "long", timeout_s=60)
    services.wait_foreground(PKG)
    app.send_to_background()
    power.battery.unplug()
    power.screen.off()
    power.doze.force_deep()
    finished = app.wait_for("finished", "long", timeout_s=60)
    assert finished.deep_idle, "the worker should have finished while the device was idle"
