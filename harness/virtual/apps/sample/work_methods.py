"""The WorkManager methods of the control provider: ``enqueue_work``, ``enqueue_chain``,
``cancel_work`` and the ``work`` part of ``reset`` (the app's ``WorkControl.kt``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample.jsonargs import Args, BadArguments, json_of, ok
from harness.virtual.apps.sample.methods import register, register_reset
from harness.virtual.apps.sample.wm import cancel as wm_cancel
from harness.virtual.apps.sample.wm.enqueue import (
    APPEND,
    APPEND_OR_REPLACE,
    KEEP,
    REPLACE,
    UPDATE,
    enqueue,
    enqueue_unique_periodic_update,
)
from harness.virtual.apps.sample.wm.schema import FINISHED
from harness.virtual.apps.sample.work_requests import (
    KIND_ONE_TIME,
    KIND_PERIODIC,
    KINDS,
    build_request,
)
from harness.virtual.apps.sample.worker import name_of

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel
    from harness.virtual.apps.sample.wm.manager import WorkManager

ONE_TIME_POLICIES = {"replace": REPLACE, "keep": KEEP, "append": APPEND,
                     "append_or_replace": APPEND_OR_REPLACE}
# REPLACE is deprecated for periodic work; CANCEL_AND_REENQUEUE is the same behavior.
PERIODIC_POLICIES = {"replace": REPLACE, "keep": KEEP, "update": UPDATE}
SOURCE = "workmanager"


def _unfinished_ids(wm: WorkManager, unique_name: str) -> list[str]:
    """getWorkInfosForUniqueWork, the unfinished ones."""
    return [s.id for s in wm.store.specs_with_name(unique_name) if s.state not in FINISHED]


@register("enqueue_work")
def enqueue_work(app: SampleAppModel, args: Args) -> dict[str, Any]:
    name = args.string("name")
    kind = args.choice("kind", KIND_ONE_TIME, KINDS)
    request = build_request(args, name, kind, [])
    unique = args.opt_object("unique")
    wm = app.work_manager()
    if unique is None:
        enqueue(wm, [[request]])
    else:
        unique_name = unique.string("name")
        if kind == KIND_PERIODIC:
            policy = unique.choice("policy", None, PERIODIC_POLICIES)
            if policy == UPDATE:
                enqueue_unique_periodic_update(wm, unique_name, request)
            else:
                enqueue(wm, [[request]], unique_name, policy)
        else:
            if unique.opt_string("policy") == "update":
                raise BadArguments("unique policy 'update' is only for periodic work")
            enqueue(wm, [[request]], unique_name, unique.choice("policy", None,
                                                                ONE_TIME_POLICIES))
        # With "keep" WorkManager keeps the existing work and drops this request; with
        # "update" it changes the existing periodic work in place (its id stays).
        if wm.store.get(request.id) is None:
            existing = _unfinished_ids(wm, unique_name)
            updated = unique.opt_string("policy") == "update"
            if updated and existing:
                app.record(SOURCE, "enqueued", name,
                           {"work_id": existing[0], "kind": kind, "updated": True})
            result: dict[str, Any] = {"ok": True, "work_id": existing[0] if existing else None}
            result["updated_existing" if updated else "kept_existing"] = True
            result["existing_work_ids"] = existing
            return result
    app.record(SOURCE, "enqueued", name, {"work_id": request.id, "kind": kind})
    return ok(work_id=request.id)


@register("enqueue_chain")
def enqueue_chain(app: SampleAppModel, args: Args) -> dict[str, Any]:
    chain_name = args.string("name")
    steps = args.object_list("steps")
    if not steps:
        raise BadArguments("'steps' must hold at least one step")
    requests = []
    for index, step in enumerate(steps):
        if step.has("unique"):
            raise BadArguments(
                f"step {index}: 'unique' is given for the whole chain, not per step")
        if step.string("kind", KIND_ONE_TIME) != KIND_ONE_TIME:
            raise BadArguments(f"step {index}: a chain holds one-time work only")
        step_name = step.opt_string("name") or f"{chain_name}.{index}"
        requests.append(build_request(step, step_name, KIND_ONE_TIME, [chain_name]))
    unique = args.opt_object("unique")
    wm = app.work_manager()
    if unique is None:
        enqueue(wm, [[r] for r in requests])
    else:
        policy = unique.choice("policy", None, ONE_TIME_POLICIES)
        unique_name = unique.string("name")
        enqueue(wm, [[r] for r in requests], unique_name, policy)
        if wm.store.get(requests[0].id) is None:
            # "keep" with unfinished work of that name: WorkManager dropped the new chain.
            return ok(work_ids=_unfinished_ids(wm, unique_name), kept_existing=True)
    for index, request in enumerate(requests):
        step_name = steps[index].opt_string("name") or f"{chain_name}.{index}"
        app.record(SOURCE, "enqueued", step_name, {
            "work_id": request.id, "kind": KIND_ONE_TIME, "chain": chain_name, "step": index})
    return ok(work_ids=[r.id for r in requests])


@register("cancel_work")
def cancel_work(app: SampleAppModel, args: Args) -> dict[str, Any]:
    wm = app.work_manager()
    store = wm.store
    if args.has("id"):
        text = args.string("id")
        try:
            work_id = str(uuid.UUID(text))
        except ValueError:
            raise BadArguments(f"'id' is not a work id (UUID): {text}") from None
        spec = store.get(work_id)
        infos = [spec] if spec is not None else []
        def cancel() -> None:
            wm_cancel.cancel_id(wm, work_id)
    elif args.has("name"):
        tag = args.string("name")
        infos = store.specs_with_tag(tag)
        def cancel() -> None:
            wm_cancel.cancel_tag(wm, tag)
    elif args.has("unique"):
        unique_name = args.string("unique")
        infos = store.specs_with_name(unique_name)
        def cancel() -> None:
            wm_cancel.cancel_name(wm, unique_name)
    elif args.bool("all", False):
        infos = store.unfinished_specs()
        def cancel() -> None:
            wm_cancel.cancel_all(wm)
    else:
        raise BadArguments("give one of 'id', 'name', 'unique' or 'all': true")
    pending = [s for s in infos if s.state not in FINISHED]
    tags = {s.id: store.tags(s.id) for s in pending}
    cancel()
    for spec in pending:
        app.record(SOURCE, "cancelled", name_of(tags[spec.id]), json_of(work_id=spec.id))
    return ok(cancelled=len(pending))


@register_reset("work")
def cancel_all_work(app: SampleAppModel) -> int:
    """WorkControl.cancelAll: ``cancel_work`` with ``all``, then ``pruneWork``: finished
    work leaves SystemIdInfo rows behind when its job ended before WorkManager cancelled it
    (SystemJobScheduler.cancel removes them only with a pending job), and any such row makes
    the next process start reconcile and hand every enqueued work to the in-process scheduler,
    Doze or not."""
    cancelled = int(cancel_work(app, Args({"all": True}))["cancelled"])
    wm_cancel.prune_work(app.work_manager())
    return cancelled
