"""The virtual device's clocks and timers.

Android keeps two clocks that matter here: ``elapsedRealtime`` (monotonic since boot, what Doze,
JobScheduler and ELAPSED alarms use) and the wall clock (``currentTimeMillis``, RTC alarms,
settable with ``cmd alarm set-time``). The virtual device derives both from the host's
monotonic clock, optionally sped up by ``rate`` so that hour-long Doze windows can be lived
through in a test run. The device prints its own time (``/proc/uptime``, ``dumpsys``), so
whoever drives it measures time the way they would on a phone.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class DeviceClock:
    def __init__(self, rate: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("clock rate must be positive")
        self.rate = rate
        self._boot_mono = time.monotonic()
        # Wall clock = host wall time at boot + scaled elapsed time + user offset (set-time).
        self._wall_at_boot_ms = time.time() * 1000.0
        self._wall_offset_ms = 0.0
        self._elapsed_at_boot_ms = 0.0

    def restart(self) -> None:
        """A reboot: elapsed time starts again at zero; the wall clock carries on."""
        wall = self.wall_ms()
        self._boot_mono = time.monotonic()
        self._wall_at_boot_ms = wall
        self._wall_offset_ms = 0.0

    def elapsed_ms(self) -> int:
        """SystemClock.elapsedRealtime()."""
        return int((time.monotonic() - self._boot_mono) * 1000.0 * self.rate)

    def wall_ms(self) -> int:
        """System.currentTimeMillis()."""
        scaled = (time.monotonic() - self._boot_mono) * 1000.0 * self.rate
        return int(self._wall_at_boot_ms + scaled + self._wall_offset_ms)

    def set_wall_ms(self, wall_ms: int) -> None:
        self._wall_offset_ms += wall_ms - self.wall_ms()

    def real_delay_s(self, device_ms: float) -> float:
        """How long the host waits for ``device_ms`` of device time to pass."""
        return max(0.0, device_ms / 1000.0 / self.rate)

    def elapsed_to_wall(self, elapsed_ms: int) -> int:
        return self.wall_ms() + (elapsed_ms - self.elapsed_ms())

    def wall_to_elapsed(self, wall_ms: int) -> int:
        return self.elapsed_ms() + (wall_ms - self.wall_ms())


@dataclass(order=True)
class Timer:
    when_elapsed_ms: int
    seq: int
    name: str = field(compare=False)
    callback: Callable[[], None] = field(compare=False, repr=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class TimerQueue:
    """Timers in device elapsed time, fired on the device's event loop.

    One host timer is armed for the earliest entry, so that a sped-up clock and hundreds of
    alarms cost nothing while idle. All timers of a boot are dropped on reboot.
    """

    def __init__(self, clock: DeviceClock, loop: asyncio.AbstractEventLoop) -> None:
        self.clock = clock
        self.loop = loop
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._armed: asyncio.TimerHandle | None = None
        self._armed_for: int | None = None
        self._closed = False

    def call_at(self, when_elapsed_ms: int, name: str, callback: Callable[[], None]) -> Timer:
        timer = Timer(int(when_elapsed_ms), next(self._seq), name, callback)
        heapq.heappush(self._heap, timer)
        self._rearm()
        return timer

    def call_later(self, delay_ms: float, name: str, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.clock.elapsed_ms() + int(delay_ms), name, callback)

    def pending(self) -> list[Timer]:
        return sorted(t for t in self._heap if not t.cancelled)

    def close(self) -> None:
        self._closed = True
        if self._armed is not None:
            self._armed.cancel()
        for t in self._heap:
            t.cancelled = True
        self._heap.clear()

    def _rearm(self) -> None:
        if self._closed:
            return
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        if not self._heap:
            return
        first = self._heap[0].when_elapsed_ms
        if self._armed is not None and self._armed_for is not None and self._armed_for <= first:
            return
        if self._armed is not None:
            self._armed.cancel()
        delay = self.clock.real_delay_s(first - self.clock.elapsed_ms())
        self._armed_for = first
        self._armed = self.loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._armed = None
        self._armed_for = None
        now = self.clock.elapsed_ms()
        due: list[Timer] = []
        while self._heap and (self._heap[0].cancelled or self._heap[0].when_elapsed_ms <= now):
            t = heapq.heappop(self._heap)
            if not t.cancelled:
                due.append(t)
        for t in due:
            if self._closed:
                return
            t.cancelled = True
            t.callback()
        self._rearm()
