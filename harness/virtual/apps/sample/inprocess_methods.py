"""``start_inprocess_work`` and the ``inprocess`` part of ``reset`` (InProcessWork.kt).

Work that lives only in the app's process, a coroutine in an application-wide scope: after
``delay_ms`` it records ``started``, after ``duration_ms`` more ``finished``. Nothing persists
it, so when the process dies (force-stop, a kill, a reboot) it is lost and the event log shows a
``started`` without a ``finished``, or nothing at all. The same name again replaces the earlier
run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample.jsonargs import Args, ok
from harness.virtual.apps.sample.methods import register, register_reset

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel

SOURCE = "inprocess"


def _tasks(app: SampleAppModel) -> dict[str, Any]:
    """name -> the timer of the task's next step (dies with the process's timers)."""
    return app.state.setdefault("inprocess", {})


@register("start_inprocess_work")
def start_inprocess_work(app: SampleAppModel, args: Args) -> dict[str, Any]:
    name = args.string("name")
    delay_ms = args.non_negative_long("delay_ms", 0)
    duration_ms = args.non_negative_long("duration_ms", 0)
    tasks = _tasks(app)
    previous = tasks.pop(name, None)
    if previous is not None:
        previous.cancel()

    def finish() -> None:
        tasks.pop(name, None)
        app.record(SOURCE, "finished", name, {"duration_ms": duration_ms})

    def start() -> None:
        app.record(SOURCE, "started", name, {"delay_ms": delay_ms, "duration_ms": duration_ms})
        tasks[name] = app.later(duration_ms, "InProcessWork.duration", finish)

    tasks[name] = app.later(delay_ms, "InProcessWork.delay", start)
    return ok(started=True)


@register_reset("inprocess")
def cancel_all(app: SampleAppModel) -> int:
    """InProcessWork.cancelAll: cancels every active task; returns how many there were."""
    tasks = _tasks(app)
    count = len(tasks)
    for timer in tasks.values():
        timer.cancel()
    tasks.clear()
    return count
