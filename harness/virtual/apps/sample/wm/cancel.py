"""CancelWorkRunnable: cancel by id, tag, unique name or everything.

Cancelling marks the work and everything depending on it CANCELLED (finished work excepted;
``stop_reason`` CANCELLED_BY_APP when it was running), stops a running worker with
STOP_REASON_CANCELLED_BY_APP, cancels it in every scheduler (its JobScheduler job goes), and
then schedules what is left (``cancelAllWork`` records its time instead). PruneWorkRunnable
(``pruneWork``) deletes finished work at once, without the day's retention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.apps.sample.wm.schema import (
    COMPLETED_STATES,
    FAILED,
    LAST_CANCEL_ALL_TIME,
    STOP_REASON_CANCELLED_BY_APP,
    SUCCEEDED,
)

if TYPE_CHECKING:
    from harness.virtual.apps.sample.wm.manager import WorkManager


def _cancel(wm: WorkManager, work_id: str) -> None:
    store = wm.store
    pending = [work_id]
    while pending:  # iterativelyCancelWorkAndDependents
        current = pending.pop()
        if store.state(current) not in (SUCCEEDED, FAILED):
            store.set_cancelled_state(current)
        pending.extend(store.dependents(current))
    wm.processor.stop_and_cancel(work_id, STOP_REASON_CANCELLED_BY_APP)
    for scheduler in wm.schedulers:
        scheduler.cancel(work_id)


def cancel_id(wm: WorkManager, work_id: str) -> None:
    with wm.db.transaction():
        _cancel(wm, work_id)
    wm.schedule()


def cancel_tag(wm: WorkManager, tag: str) -> None:
    with wm.db.transaction():
        for work_id in wm.store.unfinished_with_tag(tag):
            _cancel(wm, work_id)
    wm.schedule()


def cancel_name_inline(wm: WorkManager, name: str) -> None:
    with wm.db.transaction():
        for work_id in wm.store.unfinished_with_name(name):
            _cancel(wm, work_id)


def cancel_name(wm: WorkManager, name: str) -> None:
    cancel_name_inline(wm, name)
    wm.schedule()


def cancel_all(wm: WorkManager) -> None:
    with wm.db.transaction():
        for work_id in wm.store.unfinished_ids():
            _cancel(wm, work_id)
        # "No need to call reschedule pending workers here as we just cancelled everything."
        wm.store.set_preference(LAST_CANCEL_ALL_TIME, wm.now())


def prune_work(wm: WorkManager) -> None:
    """PruneWorkRunnable: WorkSpecDao.pruneFinishedWorkWithZeroDependentsIgnoringKeepForAtLeast.
    The foreign keys' CASCADE deletes the work's tags, names, progress and SystemIdInfo."""
    with wm.db.transaction() as conn:
        conn.execute(
            f"DELETE FROM workspec WHERE state IN {COMPLETED_STATES} AND "
            "(SELECT COUNT(*)=0 FROM dependency WHERE prerequisite_id=id AND work_spec_id NOT IN "
            f"(SELECT id FROM workspec WHERE state IN {COMPLETED_STATES}))"
        )
