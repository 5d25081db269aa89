"""SampleWorker, the app's CoroutineWorker behind ``enqueue_work`` and ``enqueue_chain``.

It records ``started`` (its input without the app's own keys, the run attempt), works for
``behavior.duration_ms`` of device time, then returns success, retry or failure as the
behavior says (``retries_before_success: N`` retries N times, then succeeds). Its output is its
input (without the app's keys) merged with ``behavior.output``, objects and lists as JSON text;
in a chain WorkManager hands it to the next step. When WorkManager stops it during its work it
records ``stopped`` with the stop reason (API 31+; ``unknown``, -512, before). With a
``foreground`` spec it becomes a long-running worker first (:mod:`.foreground_work`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample.jsonargs import dumps, is_reserved, json_of, loads_object
from harness.virtual.apps.sample.stop_reasons import STOP_REASON_UNKNOWN, stop_reason_name
from harness.virtual.apps.sample.wm.processor import (
    FAILURE,
    RETRY,
    SUCCESS,
    Result,
    WorkerContext,
    worker_class,
)

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel

WORKER_CLASS = "dev.harness.sample.SampleWorker"
# WorkKeys: the app's own keys in a worker's input.
KEY_NAME = "harness.name"
KEY_KIND = "harness.kind"
KEY_BEHAVIOR = "harness.behavior"
KEY_FOREGROUND = "harness.foreground"
NAME_TAG_PREFIX = "harness.name:"


@dataclass
class Behavior:
    duration_ms: int = 0
    result: str = SUCCESS
    retries_before_success: int = 0
    output: dict[str, Any] = field(default_factory=dict)

    def outcome(self, run_attempt: int) -> str:
        if self.retries_before_success > 0:
            return RETRY if run_attempt < self.retries_before_success else SUCCESS
        return self.result

    @classmethod
    def parse(cls, text: str | None) -> Behavior:
        """Behavior.parse: what the worker finds in its input (checked when enqueued)."""
        from harness.virtual.apps.sample.jsonargs import Args, BadArguments

        if text is None:
            return cls()
        try:
            return behavior_from(Args(loads_object(text)))
        except BadArguments:
            return cls()


def behavior_from(args: Any) -> Behavior:
    """Behavior.from: reads and checks ``behavior`` (BadArguments on a bad value)."""
    from harness.virtual.apps.sample.jsonargs import BadArguments

    result = args.choice("result", SUCCESS, {SUCCESS: SUCCESS, RETRY: RETRY, FAILURE: FAILURE})
    retries = args.int("retries_before_success", 0)
    if retries < 0:
        raise BadArguments("'retries_before_success' must not be negative")
    output = args.opt_object("output")
    return Behavior(args.non_negative_long("duration_ms", 0), result, retries,
                    dict(output.json) if output is not None else {})


def user_keys(data: dict[str, Any]) -> dict[str, Any]:
    """WorkKeys.toJson: the user's part of a Data object."""
    return {k: v for k, v in data.items() if not is_reserved(k)}


def name_of(tags: list[str]) -> str:
    """WorkKeys.nameOf: the name tag of a work item ("" for work the app did not enqueue)."""
    for tag in tags:
        if tag.startswith(NAME_TAG_PREFIX):
            return tag[len(NAME_TAG_PREFIX):]
    return ""


class SampleWorker:
    def __init__(self, app: SampleAppModel) -> None:
        self.app = app
        self.ctx: WorkerContext | None = None
        self.timer: Any = None
        self.name = ""
        self.behavior = Behavior()
        self.foreground = False

    def start(self, ctx: WorkerContext) -> None:
        self.ctx = ctx
        self.name = str(ctx.input.get(KEY_NAME) or "")
        self.behavior = Behavior.parse(ctx.input.get(KEY_BEHAVIOR))
        self._record("started", json_of(
            work_id=ctx.work_id,
            run_attempt=ctx.run_attempt_count,
            input=user_keys(ctx.input),
            kind=ctx.input.get(KEY_KIND),
        ))
        # A `foreground` spec makes this a long-running worker (setForeground); refused, it goes
        # on unpromoted.
        spec = ctx.input.get(KEY_FOREGROUND)
        if spec is not None:
            from harness.virtual.apps.sample.foreground_work import go_foreground

            self.foreground = go_foreground(ctx, self.name, loads_object(spec))
        if self.behavior.duration_ms > 0:
            self.timer = ctx.later(self.behavior.duration_ms, "SampleWorker.delay", self._done)
        else:
            self._done()

    def stop(self, reason: int) -> None:
        """The coroutine's delay was cancelled (the only suspension point of doWork)."""
        if self.timer is None or self.ctx is None:
            return
        self.timer.cancel()
        self.timer = None
        code = reason if self.app.device.api_level >= 31 else STOP_REASON_UNKNOWN
        self._record("stopped", json_of(
            work_id=self.ctx.work_id,
            run_attempt=self.ctx.run_attempt_count,
            stop_reason=stop_reason_name(code),
            stop_reason_code=code,
        ))
        if self.foreground:
            self._foreground_stopped("work_stopped")

    def _done(self) -> None:
        ctx = self.ctx
        assert ctx is not None
        self.timer = None
        if self.foreground:
            self._foreground_stopped("work_finished")
        outcome = self.behavior.outcome(ctx.run_attempt_count)
        if outcome == RETRY:
            self._record("retry", json_of(work_id=ctx.work_id, run_attempt=ctx.run_attempt_count))
            ctx.finish(Result(RETRY))
        elif outcome == FAILURE:
            self._record("failed", json_of(work_id=ctx.work_id))
            ctx.finish(Result(FAILURE))
        else:
            output = user_keys(ctx.input)
            for key, value in self.behavior.output.items():
                output[key] = dumps(value) if isinstance(value, dict | list) else value
            self._record("finished", json_of(work_id=ctx.work_id, output=output))
            ctx.finish(Result(SUCCESS, output))

    def get_foreground_info(self, ctx: WorkerContext) -> Any:
        """getForegroundInfo: what WorkManager shows for expedited work below API 31."""
        from harness.virtual.apps.sample.foreground_work import foreground_info

        return foreground_info(self.app, str(ctx.input.get(KEY_NAME) or ""),
                               loads_object(ctx.input.get(KEY_FOREGROUND)))

    def _foreground_stopped(self, reason: str) -> None:
        assert self.ctx is not None
        self.app.record("service", "fgs_stopped", self.name,
                        {"reason": reason, "work_id": self.ctx.work_id})

    def _record(self, event: str, detail: dict[str, Any]) -> None:
        self.app.record("workmanager", event, self.name, detail)


worker_class(WORKER_CLASS)(SampleWorker)
