"""Processor and WorkerWrapper: running one WorkSpec in the app process.

A run starts with a token of the scheduler that asked for it (``greedy`` or ``job``); a second
scheduler asking for the same work and generation joins the run instead of starting it again
(Processor.startWork: "is already enqueued for processing"), which is how the in-process
GreedyScheduler and SystemJobService never run the same work twice. Stopping with any of the
run's tokens interrupts it (Processor.stopWork), and so does cancelling (stopAndCancelWork).

The run itself is WorkerWrapper.launch: the checks against the database (only ENQUEUED work
runs; periodic and backed-off work not before its time), the input merge of a chain
(OverwritingInputMerger: the prerequisites' outputs over the work's own input), RUNNING with the
attempt counted, the worker, then the resolution written in one transaction. Its result goes to
every execution listener (``needs_reschedule``), as Processor.onExecuted does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from harness.virtual.apps.sample.wm.schema import (
    BLOCKED,
    CANCELLED,
    ENQUEUED,
    FAILED,
    FINISHED,
    RUNNING,
    SCHEDULE_NOT_REQUESTED_YET,
    STOP_REASON_NOT_STOPPED,
    STOP_REASON_UNKNOWN,
    SUCCEEDED,
)
from harness.virtual.apps.sample.wm.spec import WorkSpec

if TYPE_CHECKING:
    from harness.virtual.apps.sample.wm.manager import WorkManager

SUCCESS, RETRY, FAILURE = "success", "retry", "failure"
Listener = Callable[[str, int, bool], None]  # (work id, generation, needs reschedule)


@dataclass
class Result:
    """ListenableWorker.Result."""

    kind: str
    output: dict[str, Any] = field(default_factory=dict)


class Worker(Protocol):
    """What a worker class does in the model: ``start`` the work, ``stop`` when interrupted
    (ListenableWorker.onStopped, the coroutine cancelled)."""

    def start(self, ctx: WorkerContext) -> None: ...

    def stop(self, reason: int) -> None: ...


WorkerFactory = Callable[[Any], Worker]
WORKERS: dict[str, WorkerFactory] = {}


def worker_class(name: str) -> Callable[[WorkerFactory], WorkerFactory]:
    """Decorator: the model of the worker class ``name`` (WorkerFactory's lookup)."""

    def add(factory: WorkerFactory) -> WorkerFactory:
        WORKERS[name] = factory
        return factory

    return add


@dataclass
class WorkerContext:
    """WorkerParameters, plus the two ways back to WorkerWrapper."""

    run: Run
    work_id: str
    input: dict[str, Any]
    tags: list[str]
    run_attempt_count: int
    generation: int
    expedited: bool

    def finish(self, result: Result) -> None:
        self.run.finished(result)

    def later(self, delay_ms: int, name: str, callback: Callable[[], None]) -> Any:
        return self.run.processor.wm.app.later(delay_ms, name, callback)


class Run:
    """One WorkerWrapper."""

    def __init__(self, processor: Processor, spec: WorkSpec, token: str) -> None:
        self.processor = processor
        self.spec = spec
        self.work_id = spec.id
        self.generation = spec.generation
        self.tokens = {token}
        self.phase = "pending"  # pending, running, done
        self.interrupted: int | None = None
        self.worker: Worker | None = None

    @property
    def wm(self) -> WorkManager:
        return self.processor.wm

    # ------------------------------------------------------------------ runWorker
    def launch(self) -> None:
        wm = self.wm
        store = wm.store
        spec = self.spec
        if self.interrupted is not None:
            return self._resolve("reset", self.interrupted)
        if spec.state != ENQUEUED:
            return self._resolve("reset", STOP_REASON_NOT_STOPPED)
        if (spec.is_periodic or spec.is_backed_off) and wm.now() < spec.next_run_time():
            # "Delaying execution ... because it is being executed before schedule."
            return self._resolve("reset", STOP_REASON_NOT_STOPPED)
        if spec.is_periodic:
            merged = dict(spec.input)
        else:
            merged = dict(spec.input)
            for output in store.prerequisite_outputs(spec.id):
                merged.update(output)  # OverwritingInputMerger
        factory = WORKERS.get(spec.worker_class_name)
        if factory is None:
            wm.log("E", "WorkerWrapper", f"Could not create Worker {spec.worker_class_name}")
            return self._resolve("failed")
        with wm.db.transaction():
            if store.state(spec.id) != ENQUEUED:  # trySetRunning
                running = False
            else:
                store.set_state(RUNNING, spec.id)
                store.increment_run_attempt_count(spec.id)
                store.set_stop_reason(spec.id, STOP_REASON_NOT_STOPPED)
                running = True
        if not running:
            return self._resolve("reset", STOP_REASON_NOT_STOPPED)
        self.phase = "running"
        ctx = WorkerContext(self, spec.id, merged, store.tags(spec.id), spec.run_attempt_count,
                            spec.generation, spec.expedited)
        self.worker = factory(wm.app)
        if spec.expedited and wm.app.device.api_level < 31:
            # workForeground: below API 31 expedited work runs in a foreground service.
            from harness.virtual.apps.sample.foreground_work import run_expedited_in_foreground

            if not run_expedited_in_foreground(wm, ctx, self.worker):
                return self.finished(Result(FAILURE))
        self.worker.start(ctx)

    def finished(self, result: Result) -> None:
        if self.phase != "running":
            return
        self.phase = "done"
        self.wm.post("WorkerWrapper.result", lambda: self._resolve("finished", result=result))

    def interrupt(self, reason: int) -> None:
        """WorkerWrapper.interrupt: cancels the worker's job with WorkerStoppedException."""
        if self.phase == "done" or self.interrupted is not None:
            return
        self.interrupted = reason
        if self.phase == "running":
            self.phase = "done"
            if self.worker is not None:
                self.worker.stop(reason)
            self.wm.post("WorkerWrapper.stopped", lambda: self._resolve("reset", reason))

    # ------------------------------------------------------------------ resolution
    def _resolve(self, kind: str, reason: int = STOP_REASON_NOT_STOPPED,
                 result: Result | None = None) -> None:
        self.phase = "done"
        wm = self.wm
        with wm.db.transaction():
            if kind == "finished" and result is not None:
                needs = self._on_work_finished(result)
            elif kind == "failed":
                needs = self._set_failed({})
            else:
                needs = self._reset_worker_status(reason)
        self.processor.executed(self, needs)

    def _on_work_finished(self, result: Result) -> bool:
        store = self.wm.store
        state = store.state(self.work_id)
        store.delete_progress(self.work_id)
        if state is None:
            return False  # "state can be null here with a REPLACE on beginUniqueWork()"
        if state == RUNNING:
            return self._handle_result(result)
        if state not in FINISHED:
            return self._reschedule(STOP_REASON_UNKNOWN)
        return False

    def _handle_result(self, result: Result) -> bool:
        spec = self.spec
        tags = ",".join(self.wm.store.tags(spec.id))
        self.wm.log("I", "WorkerWrapper", f"Worker result {result.kind.upper()} for Work "
                    f"[ id={spec.id}, tags={{ {tags} }} ]")
        if result.kind == SUCCESS:
            return self._reset_periodic() if spec.is_periodic else self._set_succeeded(result)
        if result.kind == RETRY:
            return self._reschedule(STOP_REASON_NOT_STOPPED)
        return self._reset_periodic() if spec.is_periodic else self._set_failed(result.output)

    def _reset_worker_status(self, reason: int) -> bool:
        store = self.wm.store
        state = store.state(self.work_id)
        if state is None or state in FINISHED:
            return False
        # "We want to preserve time when work was enqueued so just explicitly set enqueued
        # instead using markEnqueuedState. Similarly, don't change any override time."
        store.set_state(ENQUEUED, self.work_id)
        store.set_stop_reason(self.work_id, reason)
        store.mark_scheduled(self.work_id, SCHEDULE_NOT_REQUESTED_YET)
        return True

    def _reschedule(self, reason: int) -> bool:
        store, work_id = self.wm.store, self.work_id
        store.set_state(ENQUEUED, work_id)
        store.set_last_enqueue_time(work_id, self.wm.now())
        store.reset_override(work_id, self.spec.next_schedule_time_override_generation)
        store.mark_scheduled(work_id, SCHEDULE_NOT_REQUESTED_YET)
        store.set_stop_reason(work_id, reason)
        return True

    def _reset_periodic(self) -> bool:
        store, work_id = self.wm.store, self.work_id
        store.set_last_enqueue_time(work_id, self.wm.now())
        store.set_state(ENQUEUED, work_id)
        store.reset_run_attempt_count(work_id)
        store.reset_override(work_id, self.spec.next_schedule_time_override_generation)
        store.increment_period_count(work_id)
        store.mark_scheduled(work_id, SCHEDULE_NOT_REQUESTED_YET)
        return False

    def _set_succeeded(self, result: Result) -> bool:
        store, work_id = self.wm.store, self.work_id
        store.set_state(SUCCEEDED, work_id)
        store.set_output(work_id, result.output)
        now = self.wm.now()
        for dependent in store.dependents(work_id):
            if store.state(dependent) == BLOCKED and store.completed_all_prerequisites(dependent):
                self.wm.log("I", "WorkerWrapper", f"Setting status to enqueued for {dependent}")
                store.set_state(ENQUEUED, dependent)
                store.set_last_enqueue_time(dependent, now)
        return False

    def _set_failed(self, output: dict[str, Any]) -> bool:
        store = self.wm.store
        pending = [self.work_id]
        while pending:  # iterativelyFailWorkAndDependents
            work_id = pending.pop()
            if store.state(work_id) != CANCELLED:
                store.set_state(FAILED, work_id)
            pending.extend(store.dependents(work_id))
        store.reset_override(self.work_id, self.spec.next_schedule_time_override_generation)
        store.set_output(self.work_id, output)
        return False


class Processor:
    def __init__(self, wm: WorkManager) -> None:
        self.wm = wm
        self.runs: dict[str, Run] = {}
        self.cancelled: set[str] = set()
        self.listeners: list[Listener] = []
        self.foreground: set[str] = set()  # mForegroundWorkMap (see foreground_work)

    def add_listener(self, listener: Listener) -> None:
        if listener not in self.listeners:
            self.listeners.append(listener)

    def start_work(self, work_id: str, generation: int, token: str) -> bool:
        run = self.runs.get(work_id)
        if run is not None:
            if run.generation == generation:
                run.tokens.add(token)  # "Work ... is already enqueued for processing"
            else:
                self._notify(work_id, generation, False)
            return False
        spec = self.wm.store.get(work_id)
        if spec is None or spec.generation != generation:
            # "Didn't find WorkSpec for id" / a stale generation: tell the listeners it is done.
            self._notify(work_id, generation, False)
            return False
        run = Run(self, spec, token)
        self.runs[work_id] = run
        self.wm.post("WorkerWrapper.launch", run.launch)
        return True

    def stop_work(self, work_id: str, token: str, reason: int = STOP_REASON_UNKNOWN) -> bool:
        """Processor.stopWork: only a token of the run stops it."""
        if work_id in self.foreground:
            return False  # "Ignored stopWork. WorkerWrapper <id> is in foreground"
        run = self.runs.get(work_id)
        if run is None or token not in run.tokens:
            return False
        del self.runs[work_id]
        run.interrupt(reason)
        return True

    def stop_and_cancel(self, work_id: str, reason: int) -> None:
        self.cancelled.add(work_id)
        run = self.runs.pop(work_id, None)
        if run is not None:
            run.interrupt(reason)

    def is_enqueued(self, work_id: str) -> bool:
        return work_id in self.runs

    def is_cancelled(self, work_id: str) -> bool:
        return work_id in self.cancelled

    def executed(self, run: Run, needs_reschedule: bool) -> None:
        """Processor.onExecuted."""
        if self.runs.get(run.work_id) is run:
            del self.runs[run.work_id]
        self._notify(run.work_id, run.generation, needs_reschedule)

    def _notify(self, work_id: str, generation: int, needs_reschedule: bool) -> None:
        for listener in list(self.listeners):
            listener(work_id, generation, needs_reschedule)
