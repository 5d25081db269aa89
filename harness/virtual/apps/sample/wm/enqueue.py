"""Enqueueing: WorkRequests, continuations (chains) and unique work (EnqueueRunnable), and the
UPDATE policy of unique periodic work (WorkerUpdater).

EnqueueRunnable.enqueueWorkWithPrerequisites, for each step of a continuation (parents first):
the existing-work policy applies only to the first step of a named chain. APPEND and
APPEND_OR_REPLACE make the new work depend on the unique name's leaves (work nothing depends on)
and inherit their outcome (blocked, or failed/cancelled at once; APPEND_OR_REPLACE instead starts
afresh when a leaf failed or was cancelled); KEEP keeps the existing work while any of it is
ENQUEUED or RUNNING; otherwise (REPLACE) the existing work is cancelled and deleted. New work
with unfinished prerequisites is BLOCKED, otherwise ENQUEUED with ``last_enqueue_time`` now.
Anything enqueued turns RescheduleReceiver on and is scheduled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from harness.virtual.apps.sample.wm.cancel import cancel_name_inline
from harness.virtual.apps.sample.wm.schema import (
    BLOCKED,
    CANCELLED,
    ENQUEUED,
    FAILED,
    FINISHED,
    RUNNING,
    SCHEDULE_NOT_REQUESTED_YET,
    SUCCEEDED,
)
from harness.virtual.apps.sample.wm.spec import WorkSpec

if TYPE_CHECKING:
    from harness.virtual.apps.sample.wm.manager import WorkManager

# ExistingWorkPolicy (ExistingPeriodicWorkPolicy KEEP -> KEEP, CANCEL_AND_REENQUEUE -> REPLACE).
REPLACE, KEEP, APPEND, APPEND_OR_REPLACE, UPDATE = (
    "replace", "keep", "append", "append_or_replace", "update")


@dataclass
class WorkRequest:
    spec: WorkSpec
    tags: list[str] = field(default_factory=list)  # insertion order, worker class name first

    @property
    def id(self) -> str:
        return self.spec.id


class UnsupportedOperation(Exception):
    """java.lang.UnsupportedOperationException of an Operation (UPDATE on the wrong work)."""

    java_class = "java.lang.UnsupportedOperationException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def enqueue(wm: WorkManager, steps: list[list[WorkRequest]], name: str | None = None,
            policy: str = KEEP) -> None:
    """WorkContinuationImpl.enqueue -> EnqueueRunnable.run for a chain of steps."""
    with wm.db.transaction():
        needs_scheduling = False
        prerequisites: list[str] = []
        for index, work in enumerate(steps):
            needs_scheduling |= _enqueue_step(wm, work, prerequisites, name,
                                              policy if index == 0 else KEEP)
            prerequisites = [r.id for r in work]
    if needs_scheduling:
        # EnqueueRunnable: "Enable RescheduleReceiver, only when there are Worker's that need
        # scheduling." (PackageManagerHelper.setComponentEnabled(RescheduleReceiver, true)).
        wm.set_reschedule_receiver_enabled(True)
        wm.schedule()


def _enqueue_step(wm: WorkManager, work: list[WorkRequest], prerequisite_ids: list[str],
                  name: str | None, policy: str) -> bool:
    store = wm.store
    now = wm.now()
    needs_scheduling = False
    has_prerequisite = bool(prerequisite_ids)
    completed = True
    failed = cancelled = False
    for prerequisite in prerequisite_ids:
        state = store.state(prerequisite)
        if state is None:
            wm.log("E", "EnqueueRunnable", f"Prerequisite {prerequisite} doesn't exist; "
                   "not enqueuing")
            return False
        completed &= state == SUCCEEDED
        failed |= state == FAILED
        cancelled |= state == CANCELLED
    if name and not has_prerequisite:
        existing = store.id_states_for_name(name)
        if existing:
            if policy in (APPEND, APPEND_OR_REPLACE):
                leaves = []
                for work_id, state in existing:
                    if not store.has_dependents(work_id):
                        completed &= state == SUCCEEDED
                        failed |= state == FAILED
                        cancelled |= state == CANCELLED
                        leaves.append(work_id)
                if policy == APPEND_OR_REPLACE and (cancelled or failed):
                    for work_id, _state in store.id_states_for_name(name):
                        store.delete(work_id)
                    leaves, cancelled, failed = [], False, False
                prerequisite_ids = leaves
                has_prerequisite = bool(leaves)
            else:
                if policy == KEEP and any(s in (ENQUEUED, RUNNING) for _i, s in existing):
                    return False
                # REPLACE: cancel (without rescheduling inside) and delete the records.
                cancel_name_inline(wm, name)
                needs_scheduling = True
                for work_id, _state in existing:
                    store.delete(work_id)
    for request in work:
        spec = request.spec
        if has_prerequisite and not completed:
            spec.state = FAILED if failed else CANCELLED if cancelled else BLOCKED
        else:
            spec.last_enqueue_time = now
        if spec.state == ENQUEUED:
            needs_scheduling = True
        store.insert(spec)
        for prerequisite in prerequisite_ids if has_prerequisite else []:
            store.insert_dependency(request.id, prerequisite)
        store.insert_tags(request.id, request.tags)
        if name:
            store.insert_name(name, request.id)
    return needs_scheduling


def enqueue_unique_periodic_update(wm: WorkManager, name: str, request: WorkRequest) -> str:
    """WorkerUpdater.enqueueUniquelyNamedPeriodic with UPDATE: returns ``enqueued`` (no work of
    that name: enqueued like KEEP), ``updated`` (changed in place, id kept) or ``not_applied``
    (the existing work had finished)."""
    store = wm.store
    existing = store.id_states_for_name(name)
    if len(existing) > 1:
        raise UnsupportedOperation("Can't apply UPDATE policy to the chains of work.")
    if not existing:
        enqueue(wm, [[request]], name, KEEP)
        return "enqueued"
    work_id, state = existing[0]
    current = store.get(work_id)
    if current is None:
        raise UnsupportedOperation(
            f"WorkSpec with {work_id}, that matches a name \"{name}\", wasn't found")
    if not current.is_periodic:
        raise UnsupportedOperation("Can't update OneTimeWorker to Periodic Worker. Update "
                                   "operation must preserve worker's type.")
    if state == CANCELLED:
        with wm.db.transaction():
            store.delete(work_id)
        enqueue(wm, [[request]], name, KEEP)
        return "enqueued"
    return _update(wm, replace(request.spec, id=work_id), request.tags)


def _update(wm: WorkManager, new: WorkSpec, tags: list[str]) -> str:
    """WorkerUpdater.updateWorkImpl: the new spec under the old id, state, attempts, enqueue
    time and period count kept, generation + 1; applied now unless the work is running, where
    it applies from the next run."""
    store = wm.store
    old = store.get(new.id)
    if old is None or old.state in FINISHED:
        return "not_applied"
    running = wm.processor.is_enqueued(new.id)
    if not running:
        for scheduler in wm.schedulers:
            scheduler.cancel(new.id)
    with wm.db.transaction():
        updated = replace(
            new,
            state=old.state,
            run_attempt_count=old.run_attempt_count,
            last_enqueue_time=old.last_enqueue_time,
            generation=old.generation + 1,
            period_count=old.period_count,
            next_schedule_time_override=old.next_schedule_time_override,
            next_schedule_time_override_generation=old.next_schedule_time_override_generation,
        )
        store.update(updated)
        store.delete_tags(new.id)
        store.insert_tags(new.id, tags)
        if not running:
            store.mark_scheduled(new.id, SCHEDULE_NOT_REQUESTED_YET)
            store.delete_progress(new.id)
    if not running:
        wm.schedule()
    return "updated"
