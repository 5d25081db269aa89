"""The virtual device's batterystats: shell messages, history and checkin output derived from
system events, in the formats the project's own parsers (and Android's) read."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.batterystats import parse_checkin, parse_history
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.batterystats import HELP, BatteryStatsService, job_battery_name
from harness.virtual.system.batterystats_checkin import checkin_version, format_charge
from harness.virtual.system.batterystats_history import format_duration, format_uid
from tests.unit.virtual.conftest import Shell

APP_UID = 10_150
JOB = "com.example.app/.SyncJob"


def on_loop(device_loop: DeviceLoop, fn: Callable[[], Any]) -> Any:
    async def run() -> Any:
        return fn()

    return device_loop.call(run())


def publish(device_loop: DeviceLoop, dev: VirtualDevice, event: str, **payload: Any) -> None:
    on_loop(device_loop, lambda: dev.system.bus.publish(event, **payload))


def cable(device_loop: DeviceLoop, dev: VirtualDevice, plugged: str, level: int = 80) -> None:
    """Move the bench battery's cable (``adb emu power ac off`` on an emulator): unlike
    ``dumpsys battery unplug``, which freezes the reported level, the battery then drains."""
    from harness.virtual.system.battery import BatteryService

    service = dev.system.service(BatteryService)
    on_loop(device_loop, lambda: service.set_hardware(plugged=plugged, level=level))


@pytest.fixture
def fast(device_loop: DeviceLoop) -> Iterator[tuple[VirtualDevice, Shell]]:
    """A device whose clock runs 1000x: 10 ms of test time are 10 s on the device."""
    dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05, clock_rate=1000))
    yield dev, Shell(device_loop, dev)
    device_loop.stop_device(dev)


def on_battery_reset(sh: Shell, full_history: bool = True) -> None:
    sh("cmd battery unplug -f")
    assert sh("dumpsys batterystats --reset")[0] == "Battery stats reset.\n"
    if full_history:
        assert sh("dumpsys batterystats --enable full-history")[0] == "Enabled: full-history\n"


def run_job(device_loop: DeviceLoop, dev: VirtualDevice, hold_s: float = 0.02,
            reason: object = 10, name: str = JOB) -> None:
    payload = {"package": "com.example.app", "uid": APP_UID, "job_id": 7, "tag": name}
    publish(device_loop, dev, "job_started", expedited=False, **payload)
    time.sleep(hold_s)
    publish(device_loop, dev, "job_stopped", reason=reason, **payload)


# ------------------------------------------------------------------------------ shell


def test_help_and_option_messages_are_the_services(sh):
    out, err, rc = sh("dumpsys batterystats -h")
    assert (out, err, rc) == (HELP + "\n", "", 0)
    assert out.startswith("Battery stats (batterystats) dump options:\n")
    assert "Option state is not saved across boots." in out
    out, _, _ = sh("dumpsys batterystats --enable")
    assert out.startswith("Missing option argument for --enable\nBattery stats (batterystats)")
    out, _, _ = sh("dumpsys batterystats --disable bogus")
    assert out.startswith("Unknown enable/disable option: bogus\n")
    out, _, _ = sh("dumpsys batterystats --bogus")
    assert out.startswith("Unknown option: --bogus\n")
    out, _, _ = sh("dumpsys batterystats com.nope.missing")
    assert out.startswith("Unknown package: com.nope.missing\n")
    assert sh("dumpsys batterystats --enable no-auto-reset")[0] == "Enabled: no-auto-reset\n"
    assert sh("dumpsys batterystats --disable no-auto-reset")[0] == "Disabled: no-auto-reset\n"
    # The legacy option name is still accepted (doEnableOrDisable).
    assert sh("dumpsys batterystats --enable full-wake-history")[0] == (
        "Enabled: full-wake-history\n"
    )
    assert sh("dumpsys batterystats --disable full-history")[0] == "Disabled: full-history\n"


def test_reset_starts_a_new_history_with_the_full_state(sh):
    assert sh("dumpsys batterystats --reset") == ("Battery stats reset.\n", "", 0)
    out = sh("dumpsys batterystats -c")[0]
    lines = out.splitlines()
    assert re.fullmatch(r"9,0,i,vers,36,214,[^,]+,[^,]+", lines[0])
    history = [ln for ln in lines if ln.startswith("9,h,")]
    assert re.fullmatch(r"9,h,0:RESET:TIME:\d{13}", history[0])
    # The first record after a reset states every battery field and every state that is on.
    first = history[1].split(",")
    assert first[2] == "0"
    assert {"Bl=80", "Bs=c", "Bh=g", "Bp=u", "Bt=280", "Bv=4060", "Bcc=3200", "+BP"} <= set(
        first[3:]
    )


def test_text_history_lines_look_like_a_phones(sh):
    sh("dumpsys batterystats --reset")
    out = sh("dumpsys batterystats --history")[0]
    lines = out.splitlines()
    assert re.fullmatch(
        r"Battery History \(0% used, \d+ used of 4096KB, \d+ strings using \d+\):", lines[0]
    )
    assert re.fullmatch(r" {20}0 \(3\) RESET:TIME: \d{4}-\d\d-\d\d-\d\d-\d\d-\d\d", lines[1])
    assert lines[2].startswith("                    0 (2) 080 status=charging health=good ")
    assert out.endswith("\n\n")


def test_formatting_helpers_follow_android():
    assert format_duration(0) == " " * 18 + "0"
    assert format_duration(79).strip() == "+79ms"
    assert format_duration(12_497).strip() == "+12s497ms"
    assert format_duration(62_345).strip() == "+1m02s345ms"
    assert format_duration(5_178_315).strip() == "+1h26m18s315ms"
    assert format_duration(86_400_000).strip() == "+1d00h00m00s000ms"
    assert [format_uid(u) for u in (-1, 1000, 10_152, 1_001_000, 99_005)] == [
        "-1", "1000", "u0a152", "u10s1000", "u0i5"]
    assert [format_charge(v) for v in (0, 0.103, 1.32, 0.0643, 0.000202, 0.00000142, 2946)] == [
        "0", "0.103", "1.32", "0.0643", "0.000202", "0.00000142", "2946"]
    assert [checkin_version(a) for a in (27, 28, 29, 30, 33, 34, 35)] == [27, 32, 34, 35, 35, 36,
                                                                        36]
    assert job_battery_name("p", 3, "*job*/p/.Svc") == "p/.Svc"
    assert job_battery_name("p", 3, None) == "p/#3"


# ------------------------------------------------------------------------------ jobs


def test_jobs_on_battery_reach_checkin_history_and_the_parsers(device_loop, vdev, sh):
    on_battery_reset(sh)
    try:
        run_job(device_loop, vdev)
        run_job(device_loop, vdev, reason="timeout")
        checkin = sh("dumpsys batterystats -c")[0]
        text = sh("dumpsys batterystats --history")[0]
    finally:
        sh("cmd battery reset")
    stats = parse_checkin(checkin)
    assert stats.version == 36 and not stats.warnings
    jobs = stats.jobs
    row = jobs[jobs["uid"] == APP_UID].iloc[0]
    assert (row["name"], row["count"]) == (JOB, 2)
    assert row["total_ms"] >= 30
    done = stats.job_completions
    done = done[(done["uid"] == APP_UID) & (done["count"] > 0)]
    assert dict(zip(done["reason"].astype(str), done["count"], strict=True)) == {
        "successful_finish": 1, "timeout": 1}
    # The same jobs in both history forms, read by the same parser.
    for history in (stats.history, parse_history(text)):
        runs = history.jobs
        runs = runs[runs["uid"] == APP_UID]
        assert list(runs["name"]) == [JOB, JOB]
        assert runs["start_observed"].all() and runs["end_observed"].all()
    services = stats.services
    assert services[services["uid"] == APP_UID]["service"].tolist() == ["com.example.app.SyncJob"]


def test_jobs_while_charging_are_history_only(device_loop, vdev, sh):
    sh("dumpsys batterystats --reset")  # plugged in: the since-charged timers do not run
    run_job(device_loop, vdev)
    stats = parse_checkin(sh("dumpsys batterystats -c")[0])
    assert APP_UID not in set(stats.jobs["uid"])
    assert APP_UID not in set(stats.job_completions["uid"])
    assert (stats.history.jobs["uid"] == APP_UID).sum() == 1


@pytest.mark.parametrize(("api", "version", "reasons"), [(33, 35, 12), (34, 36, 14)])
def test_checkin_layout_follows_the_api_level(device_loop, api, version, reasons):
    dev = device_loop.start_device(VirtualDeviceConfig(api_level=api, boot_time_s=0.05))
    sh = Shell(device_loop, dev)
    try:
        on_battery_reset(sh)
        run_job(device_loop, dev)
        out = sh("dumpsys batterystats -c")[0]
    finally:
        device_loop.stop_device(dev)
    assert out.startswith(f"9,0,i,vers,{version},")
    jbc = next(ln for ln in out.splitlines() if ",jbc," in ln)
    assert len(jbc.split(",")) == 5 + reasons
    # Real captures of these releases: 12 bt fields, 10 dc fields, 18 device-wide pwi rows.
    assert len(next(ln for ln in out.splitlines() if ",l,bt," in ln).split(",")) == 4 + 12
    assert len(next(ln for ln in out.splitlines() if ",l,dc," in ln).split(",")) == 4 + 10
    assert sum(1 for ln in out.splitlines() if ln.startswith("9,0,l,pwi,")) == 18
    stats = parse_checkin(out)
    assert stats.version == version and not stats.warnings
    assert stats.jobs["count"].sum() == 1


# ------------------------------------------------------------------------------ wakelocks, alarms


def test_wakelocks_and_alarms_count_with_the_screen_off(fast, device_loop):
    dev, sh = fast
    on_battery_reset(sh)
    sh("input keyevent KEYCODE_SLEEP")
    tag = "*sync*/com.example.provider/com.example/alice@example.com"
    publish(device_loop, dev, "wakelock_acquired", uid=APP_UID, tag=tag, kind="partial")
    publish(device_loop, dev, "wakelock_acquired", uid=APP_UID + 1, tag="other", kind="partial")
    time.sleep(0.05)
    publish(device_loop, dev, "wakelock_released", uid=APP_UID + 1, tag="other")
    time.sleep(0.05)
    publish(device_loop, dev, "wakelock_released", uid=APP_UID, tag=tag)
    for _ in range(3):
        publish(device_loop, dev, "alarm_fired", package="com.example.app", uid=APP_UID,
                tag="com.example.app.TICK", type="ELAPSED_WAKEUP", wakeup=True)
    publish(device_loop, dev, "alarm_fired", package="com.example.app", uid=APP_UID,
            tag="com.example.app.LATER", type="ELAPSED", wakeup=False)
    out = sh("dumpsys batterystats -c")[0]
    sh("input keyevent KEYCODE_WAKEUP")
    sh("cmd battery reset")
    stats = parse_checkin(out)
    wl = stats.wakelocks
    partial = wl[(wl["uid"] == APP_UID) & (wl["kind"] == "partial")].iloc[0]
    other = wl[(wl["uid"] == APP_UID + 1) & (wl["kind"] == "partial")].iloc[0]
    assert partial["name"] == "*sync*/com.example.provider/com.example/<account>"
    assert partial["count"] == 1 and other["count"] == 1
    # Pooled time: the 50 s held together are shared; "total" is the unpooled duration.
    assert partial["total_ms"] > partial["time_ms"] > other["time_ms"] > 0
    alarms = stats.alarms
    assert alarms[alarms["uid"] == APP_UID][["name", "count"]].values.tolist() == [
        ["*walarm*:com.example.app.TICK", 3]]
    history = stats.history
    wakelock_events = history.events[history.events["code"] == "Ewl"]
    assert len(wakelock_events) == 4
    assert (history.alarms["uid"] == APP_UID).sum() == 4  # every delivery, with full history
    assert "alice@example.com" in out  # the device prints what it has; parsers redact


def test_partial_wakelocks_with_the_screen_on_are_not_counted(device_loop, vdev, sh):
    on_battery_reset(sh)
    try:
        publish(device_loop, vdev, "wakelock_acquired", uid=APP_UID, tag="work", kind="partial")
        publish(device_loop, vdev, "wakelock_released", uid=APP_UID, tag="work")
        stats = parse_checkin(sh("dumpsys batterystats -c")[0])
    finally:
        sh("cmd battery reset")
    wl = stats.wakelocks
    assert wl[(wl["uid"] == APP_UID) & (wl["kind"] == "partial")]["count"].sum() == 0
    ewl = stats.history.events[stats.history.events["code"] == "Ewl"]
    assert ewl["transition"].astype(str).tolist() == ["start", "stop"]


def test_without_full_history_wakelocks_are_not_history_events(device_loop, vdev, sh):
    sh("cmd battery unplug -f")
    sh("dumpsys batterystats --reset")
    sh("dumpsys batterystats --disable full-history")
    try:
        publish(device_loop, vdev, "wakelock_acquired", uid=APP_UID, tag="work", kind="partial")
        publish(device_loop, vdev, "wakelock_released", uid=APP_UID, tag="work")
        history = parse_checkin(sh("dumpsys batterystats -c")[0]).history
    finally:
        sh("cmd battery reset")
    assert not (history.events["code"] == "Ewl").any()


# ------------------------------------------------------------------------ screen, doze, battery


def test_screen_doze_and_discharge_are_timed_on_battery(fast, device_loop):
    dev, sh = fast
    cable(device_loop, dev, "none")
    sh("dumpsys batterystats --reset")
    sh("input keyevent KEYCODE_SLEEP")
    assert "Now forced in to deep idle mode" in sh("cmd deviceidle force-idle deep")[0]
    time.sleep(0.7)  # about 12 min on the device: a couple of 1 % steps with the screen off
    # force-active leaves deep idle with the screen still off (becomeActiveLocked). After a mere
    # unforce the device would stay idle until the screen came on, and DeviceIdleController
    # hears of the screen after batterystats does, so the two timers would end in a race.
    sh("cmd deviceidle force-active")
    sh("input keyevent KEYCODE_WAKEUP")
    out = sh("dumpsys batterystats -c")[0]
    cable(device_loop, dev, "usb")
    stats = parse_checkin(out)
    s = stats.summary.iloc[0]
    assert s["device_idle_mode_deep_count"] == 1
    assert s["device_idle_mode_deep_ms"] >= 500_000
    assert s["screen_off_realtime_ms"] >= s["device_idle_mode_deep_ms"]
    assert s["battery_realtime_ms"] >= s["screen_off_realtime_ms"] + s["screen_on_ms"] - 5
    doze = stats.history.doze
    assert doze["mode"].astype(str).tolist() == ["deep"]
    assert s["discharge_high_pct"] >= 1 and s["discharge_mah"] >= 40
    assert s["discharge_screen_off_pct"] >= 1
    levels = stats.history.level["level_pct"].dropna().tolist()
    assert levels[0] == 80 and levels[-1] < 80
    power = stats.power_use
    assert power.loc[power["label"] == "idle", "energy_mah"].iloc[0] > 0


def test_discharge_steps_and_time_remaining(fast, device_loop):
    dev, sh = fast
    cable(device_loop, dev, "none")
    sh("dumpsys batterystats --reset")
    sh("input keyevent KEYCODE_SLEEP")
    time.sleep(2.0)  # over 30 min on the device: three or more 1 % steps at 10 min each
    out = sh("dumpsys batterystats -c")[0]
    sh("input keyevent KEYCODE_WAKEUP")
    cable(device_loop, dev, "usb")
    lines = [ln for ln in out.splitlines() if ln.startswith("9,0,i,dsd,")]
    # The first step after unplugging has no known duration (LevelStepTracker).
    assert len(lines) >= 2
    duration, _level, screen, save, idle = lines[0].split(",")[4:]
    assert 500_000 <= int(duration) <= 700_000 and (screen, save, idle) == ("s-", "p-", "i-")
    assert int(lines[0].split(",")[5]) < int(lines[-1].split(",")[5])  # newest first
    assert any(ln.startswith("9,0,i,dtr,") for ln in out.splitlines())
    steps = parse_checkin(out).steps
    assert set(steps["screen"].astype(str)) == {"off"}


def test_unplug_after_a_full_charge_resets_and_checkin_reports_the_old_stats_once(sh):
    sh("dumpsys batterystats --reset")
    sh("cmd battery set level 60")
    sh("cmd battery unplug")
    sh("cmd battery set level 25")  # 35 % used on battery
    sh("cmd battery set usb 1")
    sh("cmd battery set level 95")  # charged again
    sh("cmd battery set usb 0")  # unplugged at 95 %: batterystats starts over
    current = parse_checkin(sh("dumpsys batterystats -c")[0])
    assert current.summary.iloc[0]["discharge_high_pct"] == 0
    saved = parse_checkin(sh("dumpsys batterystats --checkin")[0])
    assert saved.summary.iloc[0]["discharge_high_pct"] == 35
    assert saved.history is None  # --checkin prints no history
    again = parse_checkin(sh("dumpsys batterystats --checkin")[0])
    assert again.summary.iloc[0]["discharge_high_pct"] == 0  # the saved stats went with it
    sh("cmd battery reset")


def test_no_auto_reset_keeps_the_stats(sh):
    sh("dumpsys batterystats --reset")
    sh("dumpsys batterystats --enable no-auto-reset")
    sh("cmd battery set level 50")
    sh("cmd battery unplug")
    sh("cmd battery set level 40")
    sh("cmd battery set usb 1")
    sh("cmd battery set level 95")
    sh("cmd battery set usb 0")
    stats = parse_checkin(sh("dumpsys batterystats -c")[0])
    sh("dumpsys batterystats --disable no-auto-reset")
    sh("cmd battery reset")
    assert stats.summary.iloc[0]["discharge_high_pct"] == 10


# ------------------------------------------------------------------------------ reboot, filters


def test_history_and_stats_survive_a_reboot_but_options_do_not(device_loop):
    dev = device_loop.start_device(VirtualDeviceConfig(boot_time_s=0.05))
    sh = Shell(device_loop, dev)
    try:
        on_battery_reset(sh)
        run_job(device_loop, dev)
        device_loop.call(dev.reboot())
        device_loop.call(dev.wait_booted())
        out = sh("dumpsys batterystats -c")[0]
        svc = dev.system.service(BatteryStatsService)
        assert not svc.tracker.record_all_history
    finally:
        device_loop.stop_device(dev)
    history_lines = [ln for ln in out.splitlines() if ln.startswith("9,h,")]
    assert sum(ln.endswith(":SHUTDOWN") for ln in history_lines) == 1
    assert sum(ln.endswith(":START") for ln in history_lines) == 1
    stats = parse_checkin(out)
    assert stats.summary.iloc[0]["start_count"] == 1
    assert stats.jobs["count"].sum() == 1  # counted before the reboot, kept
    assert stats.history.events["segment"].max() == 1
    # History time goes on across the reboot.
    assert stats.history.records["elapsed_ms"].is_monotonic_increasing


def test_package_filter_prints_that_uid_without_history(device_loop, vdev, sh):
    on_battery_reset(sh)
    try:
        publish(device_loop, vdev, "job_started", package="com.android.shell", uid=2000,
                job_id=1, tag="com.android.shell/.Job", expedited=False)
        publish(device_loop, vdev, "job_stopped", package="com.android.shell", uid=2000,
                job_id=1, tag="com.android.shell/.Job", reason=10)
        out = sh("dumpsys batterystats -c com.android.shell")[0]
        text = sh("dumpsys batterystats com.android.shell")[0]
    finally:
        sh("cmd battery reset")
    assert not any(ln.startswith(("9,h,", "9,hsp,")) for ln in out.splitlines())
    uids = {int(ln.split(",")[1]) for ln in out.splitlines() if ",l," in ln}
    assert uids <= {0, 2000}
    assert "Statistics since last charge:" in text and "Battery History" not in text
    assert "Job com.android.shell/.Job" in text


def test_full_text_dump_reads_as_a_history(device_loop, vdev, sh):
    on_battery_reset(sh)
    try:
        run_job(device_loop, vdev)
        out = sh("dumpsys batterystats")[0]
    finally:
        sh("cmd battery reset")
    assert "Statistics since last charge:" in out and "Per-PID Stats:" in out
    history = parse_history(out)
    assert history.source == "text" and (history.jobs["uid"] == APP_UID).sum() == 1


def test_top_app_and_processes_are_events(device_loop, vdev, sh):
    on_battery_reset(sh)
    try:
        publish(device_loop, vdev, "process_started", package="com.example.app", pid=4242,
                uid=APP_UID)
        publish(device_loop, vdev, "top_changed", package="com.android.shell", activity=".Main")
        publish(device_loop, vdev, "process_died", package="com.example.app", pid=4242,
                uid=APP_UID, reason="crash")
        stats = parse_checkin(sh("dumpsys batterystats -c")[0])
    finally:
        sh("cmd battery reset")
    iv = stats.history.intervals
    assert ((iv["kind"] == "process") & (iv["uid"] == APP_UID)).sum() == 1
    assert ((iv["kind"] == "top") & (iv["name"] == "com.android.shell")).any()
    procs = stats.processes
    row = procs[procs["uid"] == APP_UID].iloc[0]
    assert (row["name"], row["starts"], row["crashes"]) == ("com.example.app", 1, 1)


def test_jobs_of_one_service_running_together_nest(device_loop, vdev, sh):
    # BatteryStatsImpl tracks jobs by battery name: a second job of the same service nests in
    # the running timer and writes no history event; the first finish closes the event.
    on_battery_reset(sh)
    try:
        first = {"package": "com.example.app", "uid": APP_UID, "job_id": 1, "tag": JOB}
        second = {**first, "job_id": 2}
        publish(device_loop, vdev, "job_started", expedited=False, **first)
        publish(device_loop, vdev, "job_started", expedited=False, **second)
        publish(device_loop, vdev, "job_stopped", reason=10, **first)
        time.sleep(0.02)
        publish(device_loop, vdev, "job_stopped", reason=10, **second)
        out = sh("dumpsys batterystats -c")[0]
    finally:
        sh("cmd battery reset")
    stats = parse_checkin(out)
    row = stats.jobs[stats.jobs["uid"] == APP_UID].iloc[0]
    assert row["count"] == 1 and row["total_ms"] >= 20
    done = stats.job_completions
    assert done[(done["uid"] == APP_UID) & (done["reason"] == "successful_finish")][
        "count"].sum() == 2
    events = stats.history.events[stats.history.events["code"] == "Ejb"]
    assert events["transition"].astype(str).tolist() == ["start", "stop"]
