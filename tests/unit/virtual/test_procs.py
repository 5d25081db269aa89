"""toybox ``pidof`` and ``kill`` against the sample app's process: the kernel's permission rule,
and the exit reason ActivityManager records for a signal compared with ``am kill``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.virtual.runner import DeviceLoop
from harness.virtual.system.activity import REASON_SIGNALED, REASON_USER_REQUESTED
from tests.unit.virtual.sample_app_bench import PKG, SampleBench, bench_factory


@pytest.fixture
def bench(device_loop: DeviceLoop) -> Iterator[Callable[..., SampleBench]]:
    yield from bench_factory(device_loop)


def _exit_reasons(b: SampleBench) -> list[int]:
    return [r.reason for r in b.run(lambda: b.am.historical_process_exit_reasons(PKG))]


def test_pidof_prints_the_apps_pid_and_fails_for_unknown_names(bench):
    b = bench(api_level=34)
    pid = b.pid()
    assert pid is not None
    assert b.out(f"pidof {PKG}").split() == [str(pid)]
    assert b.sh("pidof no.such.process") == ("", "", 1)


def test_shell_may_not_signal_an_app_process(bench):
    b = bench(api_level=34)
    pid = b.pid()
    out, err, rc = b.sh(f"kill -9 {pid}")
    assert (out, rc) == ("", 1)
    assert err == f"kill: {pid}: Operation not permitted\n"
    assert b.pid() == pid


def test_kill_as_the_apps_uid_is_a_signal_death(bench):
    b = bench(api_level=34)
    pid = b.pid()
    b.out(f"run-as {PKG} kill -9 {pid}")
    assert b.pid() is None
    assert _exit_reasons(b)[0] == REASON_SIGNALED
    assert any(f"Process {PKG} (pid {pid}) has died" in line.message
               for line in b.dev.log.entries)


def test_am_kill_is_recorded_as_user_requested(bench):
    b = bench(api_level=34)
    b.out(f"am kill {PKG}")
    assert b.pid() is None
    assert _exit_reasons(b)[0] == REASON_USER_REQUESTED


def test_non_fatal_signals_and_unknown_pids(bench):
    b = bench(api_level=34)
    pid = b.pid()
    b.out(f"run-as {PKG} kill -USR1 {pid}")
    assert b.pid() == pid
    assert b.sh(f"run-as {PKG} kill -s BOGUS {pid}") == ("", "kill: unknown signal\n", 1)
    assert b.sh("kill 999999") == ("", "kill: 999999: No such process\n", 1)
    assert b.sh("kill") == ("", "usage: kill [-l [SIGNAL] | -s SIGNAL | -SIGNAL] PID...\n", 1)
