"""WorkManager's diagnostics: DiagnosticsReceiver enqueues DiagnosticsWorker, which logs its
tables at INFO under ``WM-DiagnosticsWrkr`` (DiagnosticsWorker.kt @29cc3e18).

Three sections, each only when non-empty: work finished within the last day (newest first),
running work, and enqueued work (at most 200); each a title message, then one message holding
the tab table: ``\\n Id \\t Class Name\\t Job Id\\t State\\t Unique Name\\t Tags\\t`` and a row
``\\n<id>\\t <class>\\t <job id|null>\\t <STATE>\\t <names>\\t <tags>\\t`` per work. The worker is
real work: it is enqueued, scheduled and run like any other, and shows itself as running.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample.wm.enqueue import WorkRequest, enqueue
from harness.virtual.apps.sample.wm.processor import SUCCESS, Result, WorkerContext, worker_class
from harness.virtual.apps.sample.wm.schema import MAX_GREEDY_SCHEDULER_LIMIT, STATE_NAMES
from harness.virtual.apps.sample.wm.spec import WorkSpec

if TYPE_CHECKING:
    from harness.virtual.apps.sample.wm.manager import WorkManager

RECEIVER = "androidx.work.impl.diagnostics.DiagnosticsReceiver"
ACTION = "androidx.work.diagnostics.REQUEST_DIAGNOSTICS"
WORKER = "androidx.work.impl.workers.DiagnosticsWorker"
TAG = "DiagnosticsWrkr"
DAY_MS = 24 * 60 * 60 * 1000


def request_diagnostics(wm: WorkManager) -> str:
    """DiagnosticsReceiver.onReceive: ``OneTimeWorkRequest.from(DiagnosticsWorker.class)``."""
    work_id = str(uuid.uuid4())
    enqueue(wm, [[WorkRequest(WorkSpec(work_id, WORKER), [WORKER])]])
    return work_id


def rows(wm: WorkManager, specs: list[WorkSpec]) -> str:
    """workSpecRows (API 23+: the id column is the JobScheduler job id)."""
    store = wm.store
    text = "\n Id \t Class Name\t Job Id\t State\t Unique Name\t Tags\t"
    for spec in specs:
        system_id = store.system_id(spec.id, spec.generation)
        names = ",".join(store.names(spec.id))
        tags = ",".join(store.tags(spec.id))
        text += (f"\n{spec.id}\t {spec.worker_class_name}\t "
                 f"{'null' if system_id is None else system_id}\t "
                 f"{STATE_NAMES[spec.state]}\t {names}\t {tags}\t")
    return text


def log_tables(wm: WorkManager) -> None:
    """DiagnosticsWorker.doWork."""
    store = wm.store
    completed = store.recently_completed(wm.now() - DAY_MS)
    running = store.running()
    enqueued = store.all_eligible(MAX_GREEDY_SCHEDULER_LIMIT)
    for title, specs in (("Recently completed work:", completed), ("Running work:", running),
                         ("Enqueued work:", enqueued)):
        if specs:
            wm.log("I", TAG, f"{title}\n\n")
            wm.log("I", TAG, rows(wm, specs))


class DiagnosticsWorker:
    def __init__(self, app: Any) -> None:
        self.app = app

    def start(self, ctx: WorkerContext) -> None:
        log_tables(ctx.run.wm)
        ctx.finish(Result(SUCCESS))

    def stop(self, reason: int) -> None:
        pass  # a plain Worker: it has returned before anything could stop it


worker_class(WORKER)(DiagnosticsWorker)
