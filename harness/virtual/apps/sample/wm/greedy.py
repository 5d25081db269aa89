"""GreedyScheduler: WorkManager running work in the app process, without JobScheduler.

While the process lives, every schedule request also reaches this scheduler (it has no limited
slots): due work without constraints starts at once ("Starting work for <id>"); work due later
waits on an in-process timer (DelayedWorkTracker, a Handler, so it dies with the process);
work with battery, storage or network constraints waits for the in-process trackers
(WorkConstraintsTracker) and is stopped with the constraint's stop reason when one is lost.
Device-idle constraints are left to JobScheduler ("Ignoring ... Requires device idle."). Work the
greedy path started is stopped after 90 minutes (TimeLimiter). A run it started is joined, not
repeated, when JobScheduler starts the same work (Processor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample.wm.schema import (
    DEFAULT_BACKOFF_DELAY_MILLIS,
    ENQUEUED,
    STOP_REASON_TIMEOUT,
    STOP_REASON_UNKNOWN,
)
from harness.virtual.apps.sample.wm.spec import WorkSpec

if TYPE_CHECKING:
    from harness.virtual.apps.sample.wm.manager import WorkManager

TOKEN = "greedy"
NON_THROTTLE_RUN_ATTEMPT_COUNT = 5  # GreedyScheduler: retries within a process get throttled
TIME_LIMIT_MS = 90 * 60_000  # TimeLimiter's default timeout


class GreedyScheduler:
    has_limited_scheduling_slots = False

    def __init__(self, wm: WorkManager) -> None:
        self.wm = wm
        self.started: dict[str, int] = {}  # work id -> generation of a run this started
        self.delayed: dict[str, Any] = {}  # DelayedWorkTracker: work id -> timer
        self.limits: dict[str, Any] = {}  # TimeLimiter: work id -> timer
        self.tracked: dict[str, WorkSpec] = {}  # constrained work, by id
        self.first_attempts: dict[tuple[str, int], tuple[int, int]] = {}
        self._listening = False

    def _listen(self) -> None:
        # registerExecutionListenerIfNeeded
        if not self._listening:
            self.wm.processor.add_listener(self.on_executed)
            self._listening = True

    def schedule(self, specs: list[WorkSpec]) -> None:
        self._listen()
        now = self.wm.now()
        for spec in specs:
            if self.started.get(spec.id) == spec.generation:
                continue
            next_run = max(spec.next_run_time(), self._throttle(spec))
            if spec.state != ENQUEUED:
                continue
            if now < next_run:
                self._delay(spec, next_run - now)
            elif spec.has_constraints():
                c = spec.constraints
                if c.requires_device_idle or c.content_uri_triggers or c.required_network_request:
                    continue  # left to JobScheduler
                if spec.id not in self.tracked:
                    self.tracked[spec.id] = spec
                    self._tracking_changed()
                    self._check(spec)  # a tracker reports its current state when registered
            else:
                self._start(spec.id, spec.generation)

    def cancel(self, work_id: str) -> None:
        self._listen()
        timer = self.delayed.pop(work_id, None)
        if timer is not None:
            timer.cancel()
        if work_id in self.started:
            self._stop(work_id, STOP_REASON_UNKNOWN)

    def constraints_changed(self) -> None:
        """A tracker changed: each tracked spec's constraints are met or not now."""
        for spec in list(self.tracked.values()):
            self._check(spec)

    def _check(self, spec: WorkSpec) -> None:
        reason = self.wm.trackers.unmet(spec.constraints)
        if reason is None:
            if self.started.get(spec.id) != spec.generation:
                self._start(spec.id, spec.generation)  # "Constraints met: Scheduling work ID"
        elif spec.id in self.started:
            self._stop(spec.id, reason)  # "Constraints not met: Cancelling work ID"

    def on_executed(self, work_id: str, generation: int, needs_reschedule: bool) -> None:
        if self.started.get(work_id) == generation:
            del self.started[work_id]
        timer = self.limits.pop(work_id, None)
        if timer is not None:
            timer.cancel()
        if self.tracked.pop(work_id, None) is not None:
            self._tracking_changed()
        if not needs_reschedule:
            self.first_attempts.pop((work_id, generation), None)

    # ------------------------------------------------------------------ internals
    def _tracking_changed(self) -> None:
        self.wm.trackers.track([s.constraints for s in self.tracked.values()])

    def _start(self, work_id: str, generation: int) -> None:
        self.started[work_id] = generation
        self.limits[work_id] = self.wm.app.later(
            TIME_LIMIT_MS, "TimeLimiter", lambda: self._stop(work_id, STOP_REASON_TIMEOUT))
        # WorkLauncher.startWork runs StartWorkRunnable on the task executor.
        self.wm.post("StartWorkRunnable",
                     lambda: self.wm.processor.start_work(work_id, generation, TOKEN))

    def _stop(self, work_id: str, reason: int) -> None:
        self.started.pop(work_id, None)
        timer = self.limits.pop(work_id, None)
        if timer is not None:
            timer.cancel()
        self.wm.post("StopWorkRunnable",
                     lambda: self.wm.processor.stop_work(work_id, TOKEN, reason))

    def _delay(self, spec: WorkSpec, delay_ms: int) -> None:
        timer = self.delayed.pop(spec.id, None)
        if timer is not None:
            timer.cancel()

        def due() -> None:
            self.delayed.pop(spec.id, None)
            self.schedule([spec])  # DelayedWorkTracker: "Scheduling work <id>"

        self.delayed[spec.id] = self.wm.app.later(delay_ms, "DelayedWorkTracker", due)

    def _throttle(self, spec: WorkSpec) -> int:
        """throttleIfNeeded: after five retries seen in this process, 30 s more per retry."""
        key = (spec.id, spec.generation)
        first = self.first_attempts.setdefault(key, (spec.run_attempt_count, self.wm.now()))
        extra = max(spec.run_attempt_count - first[0] - NON_THROTTLE_RUN_ATTEMPT_COUNT, 0)
        return first[1] + extra * DEFAULT_BACKOFF_DELAY_MILLIS
