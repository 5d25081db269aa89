"""The cached-apps freezer (harness/virtual/system/freezer.py) and the sample app's in-process
timers: a frozen process runs none of them until it is thawed.

While the app sits in the background these tests read the event log from the device's files
(``event_rows``), never through the control provider: a ``content query`` is a call into the
app and thaws it, as on a phone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.system.freezer import CachedAppOptimizer
from tests.unit.virtual.sample_app_bench import MINUTE, PKG, SampleBench, bench_factory

DEBOUNCE_MS = 10_000  # CachedAppOptimizer.DEFAULT_FREEZER_DEBOUNCE_TIMEOUT, Android 14+


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from bench_factory(device_loop)


def freezer(b: SampleBench) -> CachedAppOptimizer:
    return b.dev.system.service(CachedAppOptimizer)  # type: ignore[union-attr]


def frozen(b: SampleBench) -> bool:
    return bool(b.run(lambda: freezer(b).is_frozen(PKG)))


def logged(b: SampleBench, event: str, name: str) -> list[int]:
    """elapsed_ms of the app's events, read from its database file (no call into the app)."""
    rows = b.event_rows("SELECT elapsed_ms FROM events WHERE event=? AND name=? ORDER BY seq",
                        event, name)
    return [r[0] for r in rows]


def freeze_with_work_due(b: SampleBench) -> None:
    """In-process work "w" due in a minute, then two minutes on the home screen: the app froze
    after the debounce and the work, due meanwhile, has not started."""
    b.ok("start_inprocess_work", name="w", delay_ms=MINUTE)
    b.wait_device_ms(2 * MINUTE)
    assert frozen(b) and logged(b, "started", "w") == []


# ---------------------------------------------------------------------------- (a) Android 14
def test_background_inprocess_work_waits_while_frozen_and_runs_on_the_way_to_the_top(bench):
    b = bench(rate=200, api_level=34)
    assert b.run(lambda: freezer(b).use_freezer()) is True
    b.ok("start_inprocess_work", name="w", delay_ms=MINUTE)
    b.wait_device_ms(DEBOUNCE_MS + 2_000)
    assert frozen(b)  # cached (home screen) for longer than the debounce
    b.wait_device_ms(3 * MINUTE)
    assert logged(b, "started", "w") == []  # came due a while ago, but the process is frozen
    assert frozen(b)
    at = b.elapsed()
    b.launch()  # to the top: unfrozen (UNFREEZE_REASON_ACTIVITY), overdue messages run at once
    assert not frozen(b)
    started = b.wait_event("started", "w")
    assert at <= started.elapsed_ms < at + 5_000
    b.wait_event("finished", "w")


def test_a_broadcast_thaws_a_frozen_app_for_the_debounce(bench):
    b = bench(rate=200, api_level=34)
    freeze_with_work_due(b)
    at = b.elapsed()
    b.out(f"am broadcast -a androidx.work.diagnostics.REQUEST_DIAGNOSTICS -p {PKG}")
    assert not frozen(b)  # the receiver ran; the process is cached again, freezing pending
    assert b.run(lambda: freezer(b).is_pending_freeze(PKG))
    b.wait_until(lambda: logged(b, "started", "w"), what="the overdue work")
    assert at <= logged(b, "started", "w")[0] < at + 5_000
    # Frozen again a debounce after the broadcast: later work waits again.
    b.wait_device_ms(DEBOUNCE_MS + 2_000)
    assert frozen(b)


# ---------------------------------------------------------------------------- (b) freezer off
@pytest.mark.parametrize("api, setting", [(33, None), (34, "disabled")])
def test_without_the_freezer_background_work_runs_on_time(bench, api, setting):
    b = bench(rate=200, api_level=api)
    if setting is not None:
        b.out(f"settings put global cached_apps_freezer {setting}")
    assert b.run(lambda: freezer(b).use_freezer()) is False
    start = b.elapsed()
    b.ok("start_inprocess_work", name="w", delay_ms=MINUTE, duration_ms=MINUTE)
    b.wait_device_ms(3 * MINUTE)
    assert not frozen(b)
    (started,) = logged(b, "started", "w")
    (finished,) = logged(b, "finished", "w")
    assert start + MINUTE <= started < start + MINUTE + 5_000
    assert started + MINUTE <= finished < started + MINUTE + 5_000


def test_the_setting_turns_the_freezer_on_and_off(bench):
    b = bench(rate=200, api_level=33)
    b.out("settings put global cached_apps_freezer enabled")
    assert b.run(lambda: freezer(b).use_freezer()) is True
    # Android 12/13's DEFAULT_FREEZER_DEBOUNCE_TIMEOUT: 10 min.
    assert b.run(lambda: freezer(b).debounce_ms()) == 600_000
    b.wait_device_ms(11 * MINUTE)
    assert frozen(b)
    b.out("settings put global cached_apps_freezer disabled")  # enableFreezer(false): thawed
    assert not frozen(b)
    b.out("settings put global cached_apps_freezer device_default")
    assert b.run(lambda: freezer(b).use_freezer()) is False


# ---------------------------------------------------------------------------- (c) kept unfrozen
def test_a_foreground_service_keeps_the_process_unfrozen(bench):
    b = bench(rate=200, api_level=34)
    b.launch()
    b.ok("start_foreground_service", name="fgs", type="dataSync", notification_id=1,
         duration_ms=5 * MINUTE, **{"from": "foreground"})
    b.ok("start_inprocess_work", name="w", delay_ms=2 * MINUTE)
    b.home()
    b.wait_device_ms(3 * MINUTE)
    assert not frozen(b)
    assert len(logged(b, "started", "w")) == 1  # ran on time under the FGS
    b.wait_until(lambda: logged(b, "finished", "fgs") or logged(b, "stopped", "fgs"),
                 timeout_s=30, what="the FGS to end")
    b.wait_device_ms(DEBOUNCE_MS + 5_000)
    assert frozen(b)  # no FGS, no service any more: cached, then frozen


def test_a_running_job_keeps_the_process_unfrozen(bench):
    b = bench(rate=200, api_level=34)
    b.ok("schedule_job", job_id=1001, name="job", behavior={"duration_ms": 5 * MINUTE})
    b.ok("start_inprocess_work", name="w", delay_ms=2 * MINUTE)
    b.wait_device_ms(3 * MINUTE)
    assert logged(b, "started", "job")
    assert not frozen(b)
    assert len(logged(b, "started", "w")) == 1
    b.wait_until(lambda: logged(b, "finished", "job"), timeout_s=30, what="the job to finish")
    b.wait_device_ms(DEBOUNCE_MS + 5_000)
    assert frozen(b)


# ---------------------------------------------------------------------------- (d) providers
def test_a_provider_call_into_a_frozen_app_answers_and_thaws_it(bench):
    b = bench(rate=200, api_level=34)
    freeze_with_work_due(b)
    pid = b.pid()
    at = b.elapsed()
    assert b.ok("ping")["ok"] is True  # answered by the same (thawed) process
    assert b.pid() == pid
    assert not frozen(b)
    b.wait_until(lambda: logged(b, "started", "w"), what="the overdue work")
    assert at <= logged(b, "started", "w")[0] < at + 5_000


def test_work_cancelled_while_frozen_does_not_run_on_thaw(bench):
    b = bench(rate=200, api_level=34)
    freeze_with_work_due(b)
    b.ok("reset")  # thaws it; InProcessWork.cancelAll cancels the waiting message first
    b.wait_device_ms(MINUTE)
    assert logged(b, "started", "w") == []
