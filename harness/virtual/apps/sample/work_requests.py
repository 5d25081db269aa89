"""WorkRequests from ``enqueue_work`` arguments (WorkControl.buildRequest), with the Builder's
rules of androidx.work:

- tags: the worker class first (WorkRequest.Builder), then the name, ``harness.name:<name>``,
  the extra tags and, in a chain, the chain's name;
- periodic: the interval raised to 15 minutes, the flex kept between 5 minutes and the interval
  (WorkSpec.setPeriodic);
- backoff: the delay clamped to 10 s .. 5 h (WorkSpec.setBackoffDelayDuration);
- build(): no backoff criteria with a device-idle constraint, periodic work is never expedited,
  expedited work takes only network and storage constraints and no delay (WorkRequest.build).
The Builder's IllegalArgumentExceptions become ``bad_arguments``, as the app maps them.
"""

from __future__ import annotations

import uuid
from typing import Any

from harness.app import contract as c
from harness.virtual.apps.sample.jsonargs import Args, BadArguments, dumps, is_reserved
from harness.virtual.apps.sample.wm.enqueue import WorkRequest
from harness.virtual.apps.sample.wm.schema import (
    CONNECTED,
    DEFAULT_BACKOFF_DELAY_MILLIS,
    DROP_WORK_REQUEST,
    EXPONENTIAL,
    LINEAR,
    MAX_BACKOFF_MILLIS,
    METERED,
    MIN_BACKOFF_MILLIS,
    MIN_PERIODIC_FLEX_MILLIS,
    MIN_PERIODIC_INTERVAL_MILLIS,
    NOT_REQUIRED,
    NOT_ROAMING,
    RUN_AS_NON_EXPEDITED_WORK_REQUEST,
    UNMETERED,
)
from harness.virtual.apps.sample.wm.spec import Constraints, WorkSpec
from harness.virtual.apps.sample.worker import (
    KEY_BEHAVIOR,
    KEY_FOREGROUND,
    KEY_KIND,
    KEY_NAME,
    NAME_TAG_PREFIX,
    WORKER_CLASS,
    behavior_from,
)

KIND_ONE_TIME, KIND_PERIODIC = "one_time", "periodic"
KINDS = {KIND_ONE_TIME: KIND_ONE_TIME, KIND_PERIODIC: KIND_PERIODIC}
DEFAULT_INTERVAL_MS = 900_000
NETWORK_TYPES = {"not_required": NOT_REQUIRED, "connected": CONNECTED, "unmetered": UNMETERED,
                 "not_roaming": NOT_ROAMING, "metered": METERED}
BACKOFF_POLICIES = {"linear": LINEAR, "exponential": EXPONENTIAL}
OUT_OF_QUOTA_POLICIES = {"run_as_non_expedited": RUN_AS_NON_EXPEDITED_WORK_REQUEST,
                         "drop": DROP_WORK_REQUEST}


def put_json(target: dict[str, Any], values: dict[str, Any], what: str, nested: bool) -> None:
    """WorkKeys.putJson: strings, numbers and booleans keep their type; with ``nested``,
    objects and lists are stored as their JSON text."""
    for key, value in values.items():
        if is_reserved(key):
            raise BadArguments(f"{what} key '{key}' is reserved (harness.*)")
        if value is None or isinstance(value, bool | int | float | str):
            target[key] = value
        elif isinstance(value, dict | list):
            if not nested:
                raise BadArguments(f"{what} '{key}' must be a string, number or boolean")
            target[key] = dumps(value)
        else:
            raise BadArguments(f"{what} '{key}' has an unsupported type")


def constraints(args: Args | None) -> Constraints:
    if args is None:
        return Constraints()
    return Constraints(
        requires_charging=args.bool("charging", False),
        requires_battery_not_low=args.bool("battery_not_low", False),
        requires_storage_not_low=args.bool("storage_not_low", False),
        requires_device_idle=args.bool("device_idle", False),
        required_network_type=args.choice("network", "not_required", NETWORK_TYPES),
    )


def build_request(args: Args, name: str, kind: str, extra_tags: list[str]) -> WorkRequest:
    data: dict[str, Any] = {}
    user_input = args.opt_object("input")
    if user_input is not None:
        put_json(data, user_input.json, "input", nested=False)
    data[KEY_NAME] = name
    data[KEY_KIND] = kind
    behavior = args.opt_object("behavior")
    if behavior is not None:
        checked = behavior_from(behavior)
        put_json({}, checked.output, "behavior.output", nested=True)  # it must fit in Data
        data[KEY_BEHAVIOR] = dumps(behavior.json)
    foreground = args.opt_object("foreground")
    if foreground is not None:
        fgs_type = foreground.string("type", c.FOREGROUND_SERVICE_TYPES[0])
        if fgs_type not in c.FOREGROUND_SERVICE_TYPES:
            raise BadArguments(
                f"foreground 'type' must be one of {', '.join(c.FOREGROUND_SERVICE_TYPES)}, "
                f"not '{fgs_type}'")
        foreground.opt_int("notification_id")
        data[KEY_FOREGROUND] = dumps(foreground.json)

    spec = WorkSpec(str(uuid.uuid4()), WORKER_CLASS)
    if kind == KIND_PERIODIC:
        interval = args.long("interval_ms", DEFAULT_INTERVAL_MS)
        flex = args.long("flex_ms", interval)
        if interval <= 0 or flex <= 0:
            raise BadArguments("'interval_ms' and 'flex_ms' must be positive")
        spec.interval_duration = max(interval, MIN_PERIODIC_INTERVAL_MILLIS)
        spec.flex_duration = min(max(flex, MIN_PERIODIC_FLEX_MILLIS), spec.interval_duration)
    delay = args.non_negative_long("delay_ms", 0)
    if delay > 0:
        spec.initial_delay = delay
    spec.input = data
    spec.constraints = constraints(args.opt_object("constraints"))
    tags = [WORKER_CLASS]
    for tag in [name, NAME_TAG_PREFIX + name, *args.string_list("tags"), *extra_tags]:
        if tag not in tags:
            tags.append(tag)
    backoff_set = False
    backoff = args.opt_object("backoff")
    if backoff is not None:
        spec.backoff_policy = backoff.choice("policy", "exponential", BACKOFF_POLICIES)
        spec.backoff_delay_duration = min(
            max(backoff.long("delay_ms", DEFAULT_BACKOFF_DELAY_MILLIS), MIN_BACKOFF_MILLIS),
            MAX_BACKOFF_MILLIS)
        backoff_set = True
    if args.bool("expedited", False):
        spec.out_of_quota_policy = args.choice("out_of_quota", "run_as_non_expedited",
                                               OUT_OF_QUOTA_POLICIES)
        spec.expedited = True
    _build_checks(spec, backoff_set)
    return WorkRequest(spec, tags)


def _build_checks(spec: WorkSpec, backoff_set: bool) -> None:
    """buildInternal, then WorkRequest.Builder.build (API 23+)."""
    c_ = spec.constraints
    if backoff_set and c_.requires_device_idle:
        raise BadArguments("Cannot set backoff criteria on an idle mode job")
    if spec.is_periodic and spec.expedited:
        raise BadArguments("PeriodicWorkRequests cannot be expedited")
    if spec.expedited:
        if c_.requires_battery_not_low or c_.requires_charging or c_.requires_device_idle:
            raise BadArguments("Expedited jobs only support network and storage constraints")
        if spec.initial_delay > 0:
            raise BadArguments("Expedited jobs cannot be delayed")
