"""The virtual DeviceIdleController (Doze): state machines, timers, shell commands and dump."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.android import deviceidle as parser
from harness.android.dumpsys_format import duration_ms
from harness.virtual.device import VirtualDevice, VirtualDeviceConfig
from harness.virtual.runner import DeviceLoop
from harness.virtual.system.deviceidle import DeviceIdleController
from harness.virtual.system.doze_constants import era_for
from harness.virtual.system.javafmt import format_duration, java_string_hash
from harness.virtual.system.power import PowerManagerService
from tests.unit.virtual.conftest import Shell

MIN = 60_000

# The Settings block of an API 33 device, in print order (DeviceIdleController.Constants.dump).
API33_SETTINGS = [
    "flex_time_short",
    "light_after_inactive_to",
    "light_idle_to",
    "light_idle_factor",
    "light_max_idle_to",
    "light_idle_maintenance_min_budget",
    "light_idle_maintenance_max_budget",
    "min_light_maintenance_time",
    "min_deep_maintenance_time",
    "inactive_to",
    "sensing_to",
    "locating_to",
    "location_accuracy",
    "motion_inactive_to",
    "motion_inactive_to_flex",
    "idle_after_inactive_to",
    "idle_pending_to",
    "max_idle_pending_to",
    "idle_pending_factor",
    "quick_doze_delay_to",
    "idle_to",
    "max_idle_to",
    "idle_factor",
    "min_time_to_alarm",
    "max_temp_app_allowlist_duration_ms",
    "mms_temp_app_allowlist_duration_ms",
    "sms_temp_app_allowlist_duration_ms",
    "notification_allowlist_duration_ms",
    "wait_for_unlock",
    "pre_idle_factor_long",
    "pre_idle_factor_short",
    "use_window_alarms",
]


class Bench:
    """One freshly booted virtual device and the knobs a Doze test turns."""

    def __init__(self, loop: DeviceLoop, dev: VirtualDevice) -> None:
        self.loop = loop
        self.dev = dev
        self.sh = Shell(loop, dev)
        self.changes: list[dict[str, Any]] = []
        self.change_times: list[int] = []  # device elapsed time of each change
        self.temp_changes: list[tuple[str, int]] = []
        self.subscribe()

    def subscribe(self) -> None:
        """Listen to the controller's events (again after a reboot: a new system server)."""

        async def go() -> None:
            bus = self.dev.system.bus  # type: ignore[union-attr]
            bus.subscribe("idle_state_changed", self._on_change)
            bus.subscribe(
                "temp_whitelist_changed",
                lambda package, until_elapsed_ms: self.temp_changes.append(
                    (package, until_elapsed_ms)
                ),
            )

        self.loop.call(go())

    def _on_change(self, **payload: Any) -> None:
        self.changes.append(payload)
        self.change_times.append(self.dev.clock.elapsed_ms())

    @property
    def ctrl(self) -> DeviceIdleController:
        return self.dev.system.service(DeviceIdleController)  # type: ignore[union-attr]

    def run(self, fn: Callable[[], Any]) -> Any:
        """Call into the device's services on the device's own loop."""

        async def go() -> Any:
            return fn()

        return self.loop.call(go())

    def publish(self, event: str, **payload: Any) -> None:
        self.run(lambda: self.dev.system.bus.publish(event, **payload))  # type: ignore[union-attr]

    def out(self, line: str) -> str:
        out, err, rc = self.sh(line)
        assert (err, rc) == ("", 0), (line, out, err, rc)
        return out

    def get(self, what: str) -> str:
        return parser.parse_get(self.out(f"cmd deviceidle get {what}"))

    def screen(self, on: bool) -> None:
        self.run(lambda: self.dev.system.service(PowerManagerService).set_screen(on, "test"))  # type: ignore[union-attr]

    def unplug(self) -> None:
        # With a battery model running, freeze it unplugged (as on a phone); else tell Doze.
        if self.dev.system.find("battery") is not None:  # type: ignore[union-attr]
            self.sh("cmd battery unplug")
        self.publish("battery_changed", plugged="none", level=50, status=3, present=True, seq=0)

    def plug(self) -> None:
        if self.dev.system.find("battery") is not None:  # type: ignore[union-attr]
            self.sh("cmd battery reset")
        self.publish("battery_changed", plugged="usb", level=50, status=2, present=True, seq=0)

    def time_of(self, deep_state: str) -> int:
        """Device time at which the deep state was last entered."""
        deep = [c["deep"] for c in self.changes]
        entered = [
            t
            for i, t in enumerate(self.change_times)
            if deep[i] == deep_state and (i == 0 or deep[i - 1] != deep_state)
        ]
        return entered[-1]

    def elapsed(self) -> int:
        return self.dev.clock.elapsed_ms()

    def wait_until(self, pred: Callable[[], bool], timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.run(pred):
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.005)

    def wait_device_ms(self, ms: int) -> None:
        target = self.elapsed() + ms
        self.wait_until(lambda: self.elapsed() >= target)

    def dump(self) -> parser.DeviceIdleState:
        return parser.parse(self.out("dumpsys deviceidle"))


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., Bench]]:
    made: list[VirtualDevice] = []

    def make(profile: str = "virtual", rate: float = 1.0) -> Bench:
        dev = device_loop.start_device(
            VirtualDeviceConfig(profile=profile, boot_time_s=0.05, clock_rate=rate)
        )
        made.append(dev)
        return Bench(device_loop, dev)

    yield make
    for dev in made:
        device_loop.stop_device(dev)


# ---------------------------------------------------------------------------------- formatting
@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0"),
        (5_000, "+5s0ms"),
        (500, "+500ms"),
        (30 * MIN, "+30m0s0ms"),
        (60 * MIN, "+1h0m0s0ms"),
        (-(2 * 86_400_000 + 3_600_000 + 61_001), "-2d1h1m1s1ms"),
    ],
)
def test_format_duration_is_timeutils(ms, text):
    assert format_duration(ms) == text
    assert duration_ms(text) == ms


def test_arraymap_order_is_java_hash_order():
    assert java_string_hash("com.android.shell") == 1547057220
    assert java_string_hash("com.android.providers.calendar") == -1930694282


# ---------------------------------------------------------------------------------- boot, get
def test_boot_state_is_active_on_a_bench(bench):
    b = bench()
    assert b.get("deep") == "ACTIVE" and b.get("light") == "ACTIVE"
    assert [b.get(x) for x in ("force", "quick", "screen", "charging", "network")] == [
        "false",
        "false",
        "true",
        "true",
        "true",
    ]
    assert b.out("cmd deviceidle get bogus") == "Unknown get option: bogus\n"
    assert b.out("cmd deviceidle get") == "Argument required\n"
    assert b.out("cmd deviceidle enabled") == "1\n"


def test_step_from_active_with_screen_on_does_nothing(bench):
    b = bench()
    assert b.out("cmd deviceidle step") == "Stepped to deep: ACTIVE\n"
    assert b.out("dumpsys deviceidle step deep") == "Stepped to deep: ACTIVE\n"
    assert b.out("cmd deviceidle step light") == "Stepped to light: ACTIVE\n"
    assert b.out("cmd deviceidle step sideways") == "Unknown idle mode: sideways\n"
    assert b.changes == []


def test_screen_off_alone_keeps_a_charging_device_active(bench):
    b = bench()
    b.screen(False)
    assert (b.get("deep"), b.get("light"), b.get("screen")) == ("ACTIVE", "ACTIVE", "false")


# ---------------------------------------------------------------------------------- deep walk
def test_full_deep_walk_after_screen_off_and_unplug(bench):
    b = bench()
    b.unplug()
    assert b.get("deep") == "ACTIVE"  # the screen is still on
    b.out("input keyevent KEYCODE_SLEEP")
    assert (b.get("deep"), b.get("light"), b.get("charging")) == ("INACTIVE", "INACTIVE", "false")
    walk = [b.out("cmd deviceidle step") for _ in range(6)]
    assert walk == [
        f"Stepped to deep: {s}\n"
        for s in ("IDLE_PENDING", "SENSING", "LOCATING", "IDLE", "IDLE_MAINTENANCE", "IDLE")
    ]
    assert b.get("light") == "OVERRIDE"
    deep_seen = [c["deep"] for c in b.changes]
    assert deep_seen == [
        "INACTIVE",
        "IDLE_PENDING",
        "SENSING",
        "LOCATING",
        "IDLE",
        "IDLE_MAINTENANCE",
        "IDLE",
    ]
    last = b.changes[-1]
    assert last == {
        "deep": "IDLE",
        "light": "OVERRIDE",
        "deep_idle": True,
        "light_idle": False,
        "reason": "s:shell",
    }
    maint = b.changes[-2]
    assert maint["deep"] == "IDLE_MAINTENANCE" and not maint["deep_idle"]
    assert b.ctrl.is_deep_idle and not b.ctrl.in_maintenance


def test_idle_windows_double_up_to_six_hours_and_maintenance_up_to_ten_minutes(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    b.out("cmd deviceidle force-idle")
    b.out("cmd deviceidle unforce")
    windows = []
    for _ in range(5):
        idle_until = b.ctrl.next_alarm_elapsed_ms
        windows.append(idle_until)
        b.out("cmd deviceidle step")  # -> IDLE_MAINTENANCE
        maint = b.ctrl.next_alarm_elapsed_ms - b.elapsed()
        windows.append(maint)
        b.out("cmd deviceidle step")  # -> IDLE
    idle = b.dump()
    assert idle.extras["mNextIdleDelay"] == "+6h0m0s0ms"
    assert idle.extras["mNextIdlePendingDelay"] == "+10m0s0ms"
    maints = windows[1::2]
    assert [round(m / MIN) for m in maints] == [5, 10, 10, 10, 10]


# ---------------------------------------------------------------------------------- force
def test_force_idle_deep_then_unforce_with_screen_on(bench):
    b = bench()
    out, err, rc = b.sh("cmd deviceidle force-idle")
    assert (out, err, rc) == ("Now forced in to deep idle mode\n", "", 0)
    assert (b.get("deep"), b.get("light"), b.get("force")) == ("IDLE", "OVERRIDE", "true")
    state = b.dump()
    assert (state.deep_state, state.light_state, state.force_idle) == ("IDLE", "OVERRIDE", True)
    assert 59 * MIN < duration_ms(state.extras["mNextAlarmTime"]) <= 60 * MIN  # idle-until
    # Screen on + charging: unforce returns to ACTIVE.
    assert b.out("cmd deviceidle unforce") == "Light state: ACTIVE, deep state: ACTIVE\n"
    assert b.get("force") == "false"
    assert b.changes[-1]["reason"] == "exit-force"


def test_forced_idle_ignores_screen_and_charging(bench):
    b = bench()
    b.out("cmd deviceidle force-idle deep")
    b.screen(False)
    b.screen(True)
    b.plug()
    assert b.get("deep") == "IDLE"


def test_unforce_with_screen_off_and_unplugged_stays_idle(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    b.out("cmd deviceidle force-idle")
    assert b.out("cmd deviceidle unforce") == "Light state: OVERRIDE, deep state: IDLE\n"
    assert b.get("force") == "false"


def test_force_idle_light(bench):
    b = bench()
    assert b.out("cmd deviceidle force-idle light") == "Now forced in to light idle mode\n"
    assert (b.get("light"), b.get("deep")) == ("IDLE", "INACTIVE")
    assert b.ctrl.is_light_idle and not b.ctrl.is_deep_idle
    assert b.changes[-1]["light_idle"] is True
    b.out("cmd deviceidle force-idle deep")
    out, _, rc = b.sh("cmd deviceidle force-idle light")
    assert (out, rc) == ("Unable to go light idle; stopped at OVERRIDE\n", 255)


def test_force_idle_with_deep_disabled_and_enable_messages(bench):
    b = bench()
    assert b.out("cmd deviceidle disable deep") == "Deep idle mode disabled\n"
    assert b.out("cmd deviceidle enabled deep") == "0\n"
    assert b.out("cmd deviceidle enabled all") == "0\n"
    assert b.out("cmd deviceidle enabled light") == "1\n"
    out, err, rc = b.sh("cmd deviceidle force-idle")
    assert (out, err, rc) == ("Unable to go deep idle; not enabled\n", "", 255)
    # dumpsys prints the same but always exits 0.
    assert b.sh("dumpsys deviceidle force-idle deep") == (
        "Unable to go deep idle; not enabled\n",
        "",
        0,
    )
    assert b.out("cmd deviceidle disable") == "Light idle mode disabled\n"
    assert b.out("cmd deviceidle disable") == ""
    assert b.out("cmd deviceidle disable sideways") == "Unknown idle mode: sideways\n"
    assert b.out("cmd deviceidle enable") == "Deep idle mode enabled\nLight idle mode enable\n"
    assert b.out("cmd deviceidle enabled") == "1\n"


def test_disable_makes_an_idle_device_active(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    b.out("cmd deviceidle force-idle")
    b.out("cmd deviceidle unforce")
    assert b.out("cmd deviceidle disable all") == (
        "Deep idle mode disabled\nLight idle mode disabled\n"
    )
    assert (b.get("deep"), b.get("light")) == ("ACTIVE", "ACTIVE")
    assert b.changes[-1]["reason"] == "all-disabled"
    b.out("cmd deviceidle enable light")
    assert (b.get("deep"), b.get("light")) == ("ACTIVE", "INACTIVE")


def test_force_idle_stops_at_inactive_when_an_alarm_clock_is_due(bench):
    b = bench()
    b.publish("alarm_clock_changed", next_trigger_elapsed_ms=b.elapsed() + 10 * MIN)
    out, _, rc = b.sh("cmd deviceidle force-idle")
    assert (out, rc) == ("Unable to go deep idle; stopped at INACTIVE\n", 255)
    assert (b.get("force"), b.get("deep")) == ("false", "ACTIVE")
    b.publish("alarm_clock_changed", next_trigger_elapsed_ms=b.elapsed() + 31 * MIN)
    assert b.out("cmd deviceidle force-idle") == "Now forced in to deep idle mode\n"


def test_force_inactive_then_step_freely(bench):
    b = bench()
    assert b.out("cmd deviceidle force-inactive") == "Light state: INACTIVE, deep state: INACTIVE\n"
    assert b.out("cmd deviceidle step") == "Stepped to deep: IDLE_PENDING\n"
    assert b.out("cmd deviceidle step light") == "Stepped to light: IDLE\n"


def test_force_active_exists_from_android_13(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    assert b.out("cmd deviceidle force-active") == "Light state: ACTIVE, deep state: ACTIVE\n"
    assert b.get("force") == "true"
    old = bench("virtual-32")
    out, _, rc = old.sh("cmd deviceidle force-active")
    assert (out, rc) == ("Unknown command: force-active\n", 255)


# ---------------------------------------------------------------------------------- exits
def test_screen_on_and_charging_end_doze(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    b.out("cmd deviceidle force-idle")
    b.out("cmd deviceidle unforce")
    b.out("input keyevent KEYCODE_WAKEUP")
    assert (b.get("deep"), b.get("light")) == ("ACTIVE", "ACTIVE")
    assert b.changes[-1]["reason"] == "screen"
    b.screen(False)
    assert b.get("deep") == "INACTIVE"
    b.plug()
    assert b.get("deep") == "ACTIVE" and b.changes[-1]["reason"] == "charging"


def test_screen_on_at_the_keyguard_does_not_end_doze_but_unlocking_does(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    b.publish("keyguard_changed", locked=True)
    b.out("cmd deviceidle force-idle")
    b.out("cmd deviceidle unforce")
    b.screen(True)
    assert b.get("deep") == "IDLE"  # wait_for_unlock=true
    b.publish("keyguard_changed", locked=False)
    assert b.get("deep") == "ACTIVE" and b.changes[-1]["reason"] == "unlocked"


def test_screen_on_at_the_keyguard_ends_doze_on_android_9(bench):
    b = bench("virtual-28")  # wait_for_unlock=false
    b.unplug()
    b.screen(False)
    b.publish("keyguard_changed", locked=True)
    b.out("cmd deviceidle force-idle")
    b.out("cmd deviceidle unforce")
    b.screen(True)
    assert b.get("deep") == "ACTIVE"


def test_motion_command_restarts_the_progression_with_the_motion_timeout(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    b.out("cmd deviceidle force-idle")
    b.out("cmd deviceidle unforce")
    assert b.out("cmd deviceidle motion") == "Light state: INACTIVE, deep state: INACTIVE\n"
    assert b.dump().inactive_timeout == "+10m0s0ms"


def test_force_exit_idle_api_restarts_the_progression(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    b.out("cmd deviceidle force-idle")
    b.out("cmd deviceidle unforce")
    b.run(lambda: b.ctrl.force_exit_idle("alarm"))
    assert (b.get("deep"), b.get("light")) == ("INACTIVE", "INACTIVE")
    b.out("cmd deviceidle force-idle")
    b.run(lambda: b.ctrl.exit_idle("test"))
    assert b.get("deep") == "ACTIVE"


# ---------------------------------------------------------------------------------- timers
def test_progresses_on_its_own_with_a_motion_sensor(bench):
    b = bench(rate=3600)  # an hour of device time per second
    b.unplug()
    b.screen(False)
    b.wait_until(lambda: b.ctrl.deep_state == "IDLE", timeout_s=10)
    # 30 min INACTIVE + 30 min IDLE_PENDING + 10 s of AnyMotion + 30 s LOCATING timeout.
    assert 60 * MIN + 40_000 <= b.time_of("IDLE") - b.time_of("INACTIVE") < 62 * MIN
    b.wait_until(lambda: b.ctrl.deep_state == "IDLE_MAINTENANCE", timeout_s=10)
    b.wait_until(lambda: b.ctrl.deep_state == "IDLE", timeout_s=10)
    deep = [
        c["deep"]
        for i, c in enumerate(b.changes)
        if i == 0 or b.changes[i - 1]["deep"] != c["deep"]
    ]
    assert deep[:7] == [
        "INACTIVE",
        "IDLE_PENDING",
        "SENSING",
        "LOCATING",
        "IDLE",
        "IDLE_MAINTENANCE",
        "IDLE",
    ]
    reasons = [c["reason"] for c in b.changes if c["deep"] in ("LOCATING", "IDLE_MAINTENANCE")]
    assert reasons[:2] == ["s:stationary", "s:alarm"]
    # Light idled first (4 min after inactive), then deep idle overrode it.
    light = [c["light"] for c in b.changes]
    assert light.index("IDLE") < light.index("OVERRIDE")
    history = [e.event.strip() for e in b.dump().idling_history]
    assert history[:2] == ["light-idle", "light-maint"] and "deep-idle" in history


def test_emulator_without_motion_sensor_never_deep_idles_on_its_own(bench):
    b = bench("emulator", rate=3600)
    b.unplug()
    b.screen(False)
    b.wait_device_ms(3 * 60 * MIN)
    assert b.ctrl.deep_state == "INACTIVE"
    assert b.ctrl.light_state in ("IDLE", "IDLE_MAINTENANCE")  # light alarms are not gated
    state = b.dump()
    assert state.extras["mMotionSensor"] == "null"
    assert "mNextAlarmTime" not in state.extras
    # step still walks it, and LOCATING's fall into IDLE sets no alarm either (state-gated).
    walk = [b.out("cmd deviceidle step").split(": ")[1].strip() for _ in range(4)]
    assert walk == ["IDLE_PENDING", "SENSING", "LOCATING", "IDLE"]
    assert b.ctrl.next_alarm_elapsed_ms is None


def test_quick_doze_under_battery_saver(bench):
    b = bench(rate=120)
    b.publish("power_save_changed", enabled=True)
    assert b.get("quick") == "true"
    assert b.get("deep") == "ACTIVE"  # screen on, charging
    b.unplug()
    b.screen(False)
    b.wait_until(lambda: b.ctrl.deep_state == "IDLE", timeout_s=10)
    assert [c["deep"] for c in b.changes] == ["QUICK_DOZE_DELAY", "IDLE"]
    assert 60_000 <= b.time_of("IDLE") - b.time_of("QUICK_DOZE_DELAY") < 2 * MIN
    assert b.changes[-1]["reason"] == "s:alarm"


def test_quick_doze_reaches_idle_on_the_emulator_too(bench):
    b = bench("emulator", rate=600)
    b.publish("power_save_changed", enabled=True)
    b.unplug()
    b.screen(False)
    b.wait_until(lambda: b.ctrl.deep_state == "IDLE", timeout_s=10)


def test_no_quick_doze_before_android_10(bench):
    b = bench("virtual-28")
    b.publish("power_save_changed", enabled=True)
    assert b.out("cmd deviceidle get quick") == "Unknown get option: quick\n"
    b.unplug()
    b.screen(False)
    assert b.get("deep") == "INACTIVE"


def test_deep_maintenance_ends_after_30s_unless_work_is_running(bench):
    b = bench(rate=100)
    b.unplug()
    b.screen(False)
    b.out("cmd deviceidle force-idle")
    b.out("cmd deviceidle unforce")
    b.out("cmd deviceidle step")
    b.wait_until(lambda: b.ctrl.deep_state == "IDLE", timeout_s=10)
    assert 30_000 <= b.change_times[-1] - b.time_of("IDLE_MAINTENANCE") < 35_000
    assert b.changes[-1]["reason"] == "s:early"
    # With jobs running the window stays open until they end.
    b.run(lambda: b.ctrl.register_activity("jobs", True))
    b.out("cmd deviceidle step")
    b.wait_device_ms(60_000)
    assert b.ctrl.deep_state == "IDLE_MAINTENANCE"
    assert b.dump().extras["mJobsActive"] == "true"
    b.run(lambda: b.ctrl.register_activity("jobs", False))
    assert b.ctrl.deep_state == "IDLE"


def test_light_maintenance_and_network_wait(bench):
    b = bench()
    b.publish("network_changed", connected=False)
    b.out("cmd deviceidle force-idle light")
    assert b.out("cmd deviceidle step light") == "Stepped to light: WAITING_FOR_NETWORK\n"
    assert b.ctrl.is_light_idle
    b.publish("network_changed", connected=True)
    assert b.get("light") == "IDLE_MAINTENANCE"
    assert b.changes[-1]["reason"] == "network"
    assert b.out("cmd deviceidle step light") == "Stepped to light: IDLE\n"


def test_light_pre_idle_waits_for_running_jobs_on_android_12(bench):
    b = bench("virtual-32")
    b.run(lambda: b.ctrl.register_activity("jobs", True))
    b.unplug()
    b.screen(False)
    assert b.out("cmd deviceidle step light") == "Stepped to light: PRE_IDLE\n"
    b.run(lambda: b.ctrl.register_activity("jobs", False))
    assert b.get("light") == "IDLE" and b.changes[-1]["reason"] == "s:predone"


def test_no_light_pre_idle_from_android_13(bench):
    b = bench("virtual-34")
    b.run(lambda: b.ctrl.register_activity("jobs", True))
    b.unplug()
    b.screen(False)
    assert b.out("cmd deviceidle step light") == "Stepped to light: IDLE\n"
    with pytest.raises(ValueError):
        b.run(lambda: b.ctrl.register_activity("services", True))


# ---------------------------------------------------------------------------------- whitelists
def test_whitelist_add_list_query_remove(bench):
    b = bench()
    assert b.out("cmd deviceidle whitelist +com.android.phone") == "Added: com.android.phone\n"
    assert b.out("cmd deviceidle whitelist +no.such.app") == "Unknown package: no.such.app\n"
    assert b.out("cmd deviceidle whitelist =com.android.phone") == "true\n"
    listing = parser.parse_whitelist_command(b.out("cmd deviceidle whitelist"))
    assert listing.user == ["com.android.phone"]
    assert "com.android.shell" in listing.system and "com.android.shell" in listing.except_idle
    assert [e.app_id for e in listing.entries if e.kind == "user"] == [1001]
    assert b.ctrl.is_whitelisted("com.android.phone")
    assert b.out("cmd deviceidle whitelist -com.android.phone") == "Removed: com.android.phone\n"
    assert b.out("cmd deviceidle whitelist -com.android.phone") == ""
    assert b.out("cmd deviceidle whitelist =com.android.phone") == "false\n"
    out, _, rc = b.sh("cmd deviceidle whitelist com.android.phone")
    assert (out, rc) == ("Package must be prefixed with +, -, or =: com.android.phone\n", 255)
    # System entries are not removed by "-": they are not user entries.
    assert b.out("cmd deviceidle whitelist -com.android.shell") == ""


def test_whitelist_api_for_other_models(bench):
    b = bench()
    assert b.ctrl.is_whitelisted("com.android.shell")
    assert b.ctrl.is_except_idle_whitelisted("com.android.proxyhandler")
    assert not b.ctrl.is_whitelisted("com.android.proxyhandler")
    assert not b.ctrl.is_whitelisted("com.android.phone")
    assert b.ctrl.whitelist_app_ids() == [2000, 10040, 10041, 10044]


def test_user_whitelist_survives_reboot_but_not_the_rest(bench):
    b = bench(rate=100)
    b.out("cmd deviceidle whitelist +com.android.phone")
    b.out("cmd deviceidle except-idle-whitelist +com.android.bluetooth")
    b.out("cmd deviceidle sys-whitelist -com.android.emergency")
    b.out("cmd deviceidle tempwhitelist -d 300000 com.android.nfc")
    b.out("cmd deviceidle disable light")
    b.out("cmd deviceidle force-idle")
    b.wait_device_ms(6_000)  # the config file is written 5 s after a change

    async def reboot() -> None:
        await b.dev.reboot()
        await b.dev.wait_booted()

    b.loop.call(reboot())
    b.subscribe()
    state = b.dump()
    assert state.whitelist_user == ["com.android.phone"]
    assert state.whitelist_removed_system == ["com.android.emergency"]
    assert "com.android.bluetooth" not in state.whitelist_except_idle
    assert state.temp_whitelist == []
    assert (state.deep_state, state.force_idle, state.light_enabled) == ("ACTIVE", False, True)


def test_a_whitelist_change_is_lost_by_a_reboot_within_5_seconds(bench):
    b = bench()
    b.out("cmd deviceidle whitelist +com.android.phone")

    async def reboot() -> None:
        await b.dev.reboot()
        await b.dev.wait_booted()

    b.loop.call(reboot())
    assert b.out("cmd deviceidle whitelist =com.android.phone") == "false\n"


def test_uninstalled_package_leaves_the_user_whitelist(bench):
    b = bench()
    b.out("cmd deviceidle whitelist +com.android.phone")
    events: list[str] = []
    b.run(lambda: b.dev.system.bus.subscribe("whitelist_changed", lambda: events.append("x")))
    b.publish("package_removed", package="com.android.phone")
    assert b.out("cmd deviceidle whitelist =com.android.phone") == "false\n"
    assert events == ["x"]


def test_except_idle_whitelist(bench):
    b = bench()
    out, _, rc = b.sh("cmd deviceidle except-idle-whitelist")
    assert (out, rc) == ("No arguments given\n", 255)
    assert (
        b.out("cmd deviceidle except-idle-whitelist +com.android.phone")
        == "Added: com.android.phone\n"
    )
    assert b.out("cmd deviceidle except-idle-whitelist =com.android.phone") == "true\n"
    assert b.ctrl.is_except_idle_whitelisted("com.android.phone")
    assert not b.ctrl.is_whitelisted("com.android.phone")
    out, _, rc = b.sh("cmd deviceidle except-idle-whitelist -com.android.phone")
    assert (out, rc) == ("Unknown argument: -com.android.phone\n", 255)
    assert b.out("cmd deviceidle except-idle-whitelist +nope") == "Unknown package: nope\n"
    assert b.out("cmd deviceidle except-idle-whitelist reset") == ""
    assert b.out("cmd deviceidle except-idle-whitelist =com.android.phone") == "false\n"
    # System except-idle entries survive a reset.
    assert b.out("cmd deviceidle except-idle-whitelist =com.android.shell") == "true\n"


def test_sys_whitelist(bench):
    b = bench()
    assert b.out("cmd deviceidle sys-whitelist").splitlines() == [
        "com.android.providers.calendar,10040",
        "com.android.providers.downloads,10041",
        "com.android.shell,2000",
        "com.android.emergency,10044",
    ]
    assert b.out("cmd deviceidle sys-whitelist -com.android.shell") == "Removed com.android.shell\n"
    assert not b.ctrl.is_whitelisted("com.android.shell")
    assert b.dump().whitelist_removed_system == ["com.android.shell"]
    assert (
        b.out("cmd deviceidle sys-whitelist +com.android.shell") == "Restored com.android.shell\n"
    )
    out, _, rc = b.sh("cmd deviceidle sys-whitelist com.android.shell")
    assert (out, rc) == ("Package must be prefixed with + or - com.android.shell\n", 255)
    b.out("cmd deviceidle sys-whitelist -com.android.shell")
    assert b.out("cmd deviceidle sys-whitelist reset") == ""
    assert b.ctrl.is_whitelisted("com.android.shell")


def test_tempwhitelist_defaults_expiry_and_cap(bench):
    b = bench(rate=20)
    assert b.out("cmd deviceidle tempwhitelist com.android.phone") == ""
    line = b.out("cmd deviceidle tempwhitelist")
    assert line.startswith("UID=1001: +") and line.endswith(" - shell\n")
    assert 5_000 <= duration_ms(line.split(": ")[1].split(" - ")[0]) <= 10_000
    assert b.ctrl.is_temp_whitelisted("com.android.phone") and b.ctrl.is_temp_whitelisted(1001)
    entry = b.dump().temp_whitelist[0]
    assert (entry.app_id, entry.reason) == (1001, "shell")
    b.wait_until(lambda: not b.ctrl.is_temp_whitelisted(1001), timeout_s=5)
    assert b.out("cmd deviceidle tempwhitelist") == ""
    assert [until for _, until in b.temp_changes][-1] == 0
    # Capped at max_temp_app_allowlist_duration_ms (5 min).
    b.out("cmd deviceidle tempwhitelist -d 3600000 com.android.phone")
    left = duration_ms(b.out("cmd deviceidle tempwhitelist").split(": ")[1].split(" - ")[0])
    assert 4 * MIN < left <= 5 * MIN
    b.out("cmd deviceidle tempwhitelist -r com.android.phone")
    assert b.out("cmd deviceidle tempwhitelist") == ""
    # Unknown packages are silently ignored.
    assert b.sh("cmd deviceidle tempwhitelist -d 5000 no.such.app") == ("", "", 0)
    assert b.out("cmd deviceidle tempwhitelist") == ""


def test_tempwhitelist_errors(bench):
    b = bench()
    out, _, rc = b.sh("cmd deviceidle tempwhitelist -r")
    assert (out, rc) == ("[-r] requires a package name\n", 255)
    out, _, rc = b.sh("cmd deviceidle tempwhitelist -d")
    assert (out, rc) == ("-d requires a duration\n", 255)
    out, err, rc = b.sh("cmd deviceidle tempwhitelist -d soon com.android.phone")
    assert (out, rc) == ("", 255)
    assert err == (
        "\nException occurred while executing 'tempwhitelist':\n"
        'java.lang.NumberFormatException: For input string: "soon"\n'
    )


def test_add_temp_whitelist_api_and_events(bench):
    b = bench()
    assert b.run(lambda: b.ctrl.add_temp_whitelist("com.android.phone", 20_000, "alarm"))
    assert not b.run(lambda: b.ctrl.add_temp_whitelist("no.such.app", 20_000, "alarm"))
    package, until = b.temp_changes[-1]
    assert package == "com.android.phone" and until > b.elapsed() + 15_000
    assert b.ctrl.temp_whitelist_app_ids() == [1001]
    assert b.out("cmd deviceidle tempwhitelist").endswith(" - alarm\n")


# ---------------------------------------------------------------------------------- shell misc
def test_help_unknown_command_and_dump_options(bench):
    b = bench()
    out, _, rc = b.sh("cmd deviceidle")
    assert out.startswith("Device idle controller (deviceidle) commands:\n  help\n") and rc == 255
    assert "  pre-idle-factor [0|1|2]\n" in out
    assert b.sh("dumpsys deviceidle -h")[0] == out
    assert b.sh("cmd deviceidle help") == (out, "", 255)
    assert b.sh("cmd deviceidle frob") == ("Unknown command: frob\n", "", 255)
    assert b.sh("dumpsys deviceidle frob") == ("Unknown command: frob\n", "", 0)
    assert b.sh("dumpsys deviceidle -x") == ("Unknown option: -x\n", "", 0)
    assert b.sh("cmd deviceidle dump")[0] == b.sh("dumpsys deviceidle -a")[0]


def test_pre_idle_factor(bench):
    b = bench()
    b.unplug()
    b.screen(False)
    assert b.ctrl.next_alarm_elapsed_ms - b.elapsed() > 29 * MIN
    assert b.out("cmd deviceidle pre-idle-factor 2") == "pre-idle-factor: 2\n"
    assert b.ctrl.next_alarm_elapsed_ms - b.elapsed() < 10 * MIN  # 30 min * 0.33
    assert b.dump().extras["mPreIdleFactor"] == "0.33"
    assert b.out("cmd deviceidle pre-idle-factor 2") == "Idle timeout factor not changed\n"
    assert (
        b.out("cmd deviceidle pre-idle-factor x")
        == "Unknown idle timeout factor,(error code: -1)\n"
    )
    assert b.out("cmd deviceidle reset-pre-idle-factor") == ""
    assert "mPreIdleFactor" not in b.dump().extras


# ---------------------------------------------------------------------------------- dump
def test_dump_reads_like_a_real_api33_dump(bench):
    b = bench("virtual-33")
    text = b.out("dumpsys deviceidle")
    state = parser.parse(text)
    assert list(state.settings) == API33_SETTINGS
    assert state.settings["light_after_inactive_to"] == "+4m0s0ms"
    assert state.settings["location_accuracy"] == "20.0m"
    assert (state.deep_state, state.light_state, state.force_idle) == ("ACTIVE", "ACTIVE", False)
    assert (state.light_enabled, state.deep_enabled) == (True, True)
    assert (state.screen_on, state.screen_locked, state.charging) == (True, False, True)
    assert state.network_connected is True
    assert state.inactive_timeout == "+30m0s0ms"
    assert state.whitelist_except_idle == [
        "com.android.providers.calendar",
        "com.android.providers.downloads",
        "com.android.proxyhandler",
        "com.android.shell",
        "com.android.emergency",
        "com.android.providers.contacts",
    ]
    assert state.app_ids_all == [2000, 10040, 10041, 10044]
    assert state.raw_sections == {} and state.notes == ["0 stationary listeners registered"]
    assert "  mLightEnabled=true  mDeepEnabled=true\n" in text
    assert "  mState=ACTIVE mLightState=ACTIVE\n  mInactiveTimeout=+30m0s0ms\n" in text
    assert "activeEmergencyCall" not in text and "mNextLightIdleDelay" not in text
    # Whitelisted and forced into deep idle.
    b.out("cmd deviceidle whitelist +com.android.phone")
    b.out("cmd deviceidle tempwhitelist com.android.nfc")
    b.out("cmd deviceidle force-idle")
    state = b.dump()
    assert (state.deep_state, state.light_state, state.force_idle) == ("IDLE", "OVERRIDE", True)
    assert state.deep_idle and state.light_idle  # the parser counts OVERRIDE as light idle
    assert state.whitelist_user == ["com.android.phone"] and state.app_ids_user == [1001]
    assert "com.android.phone" in state.whitelist
    assert state.temp_whitelist_app_ids == [1027]
    assert [e.event.strip() for e in state.idling_history] == ["deep-idle"]
    assert parser.parse_get(b.out("dumpsys deviceidle get deep")) == "IDLE"


@pytest.mark.parametrize(
    ("profile", "absent", "present"),
    [
        ("virtual-26", ["mScreenLocked", "mUseMotionSensor", "quick_doze_delay_to"], []),
        ("virtual-28", ["mUseMotionSensor", "quick_doze_delay_to"], ["wait_for_unlock=false"]),
        ("virtual-30", ["flex_time_short"], ["mCurIdleBudget", "quick_doze_delay_to"]),
        ("virtual-32", ["activeEmergencyCall"], ["light_pre_idle_to", "mCurLightIdleBudget"]),
        ("virtual-34", ["light_pre_idle_to"], ["activeEmergencyCall=false"]),
    ],
)
def test_dump_layout_follows_the_release(bench, profile, absent, present):
    b = bench(profile)
    b.out("cmd deviceidle force-idle light")
    text = b.out("dumpsys deviceidle")
    for word in absent:
        assert word not in text
    for word in present:
        assert word in text
    state = parser.parse(text)
    assert (state.deep_state, state.light_state) == ("INACTIVE", "IDLE")
    era = era_for(b.dev.api_level)
    assert list(state.settings) == [key for key, _ in era.settings]


def test_dump_needs_the_dump_permission(bench):
    b = bench()
    out, _, rc = b.sh("dumpsys deviceidle", uid=10_150)
    assert rc == 0 and out.startswith("Permission Denial: can't dump DeviceIdleController")


def test_state_changes_go_to_the_event_log(bench):
    b = bench()
    b.out("cmd deviceidle force-idle")
    events = b.out("logcat -d -b events -s device_idle")
    assert "[5,s:shell]" in events
