"""WorkSpec: one row of WorkManager's ``WorkSpec`` table, and its timing rule.

Field defaults are WorkSpec.kt's; :meth:`WorkSpec.next_run_time` is
WorkSpec.calculateNextRunTime (wall-clock milliseconds, like ``last_enqueue_time``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, fields
from typing import Any

from harness.virtual.apps.sample.wm import data as wm_data
from harness.virtual.apps.sample.wm.schema import (
    DEFAULT_BACKOFF_DELAY_MILLIS,
    ENQUEUED,
    EXPONENTIAL,
    LINEAR,
    LONG_MAX,
    MAX_BACKOFF_MILLIS,
    MIN_PERIODIC_INTERVAL_MILLIS,
    NOT_ENQUEUED,
    NOT_REQUIRED,
    OVERWRITING_INPUT_MERGER,
    RUN_AS_NON_EXPEDITED_WORK_REQUEST,
    SCHEDULE_NOT_REQUESTED_YET,
    STOP_REASON_NOT_STOPPED,
)


@dataclass
class Constraints:
    """The embedded Constraints columns; the defaults are Constraints.NONE."""

    required_network_type: int = NOT_REQUIRED
    requires_charging: bool = False
    requires_device_idle: bool = False
    requires_battery_not_low: bool = False
    requires_storage_not_low: bool = False
    trigger_content_update_delay: int = -1
    trigger_max_content_delay: int = -1
    # WorkTypeConverters: no content URI triggers and no NetworkRequest are empty blobs.
    content_uri_triggers: bytes = b""
    required_network_request: bytes = b""


@dataclass
class WorkSpec:
    id: str
    worker_class_name: str
    state: int = ENQUEUED
    input_merger_class_name: str = OVERWRITING_INPUT_MERGER
    input: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    initial_delay: int = 0
    interval_duration: int = 0
    flex_duration: int = 0
    constraints: Constraints = field(default_factory=Constraints)
    run_attempt_count: int = 0
    backoff_policy: int = EXPONENTIAL
    backoff_delay_duration: int = DEFAULT_BACKOFF_DELAY_MILLIS
    last_enqueue_time: int = NOT_ENQUEUED
    minimum_retention_duration: int = 0
    schedule_requested_at: int = SCHEDULE_NOT_REQUESTED_YET
    expedited: bool = False  # the run_in_foreground column
    out_of_quota_policy: int = RUN_AS_NON_EXPEDITED_WORK_REQUEST
    period_count: int = 0
    generation: int = 0
    next_schedule_time_override: int = LONG_MAX
    next_schedule_time_override_generation: int = 0
    stop_reason: int = STOP_REASON_NOT_STOPPED

    @property
    def is_periodic(self) -> bool:
        return self.interval_duration != 0

    @property
    def is_backed_off(self) -> bool:
        return self.state == ENQUEUED and self.run_attempt_count > 0

    def has_constraints(self) -> bool:
        return self.constraints != Constraints()

    def next_run_time(self) -> int:
        """WorkSpec.calculateNextRunTime."""
        if self.next_schedule_time_override != LONG_MAX and self.is_periodic:
            # "Override takes priority over backoff, but only applies to periodic work."
            if self.period_count == 0:
                return self.next_schedule_time_override
            return max(self.next_schedule_time_override,
                       self.last_enqueue_time + MIN_PERIODIC_INTERVAL_MILLIS)
        if self.is_backed_off:
            n = self.run_attempt_count
            if self.backoff_policy == LINEAR:
                delay = self.backoff_delay_duration * n
            else:
                delay = int(self.backoff_delay_duration * 2.0 ** (n - 1))  # Math.scalb
            return self.last_enqueue_time + min(delay, MAX_BACKOFF_MILLIS)
        if self.is_periodic:
            # "The first run of a periodic work request is immediate in JobScheduler"; flex
            # only delays the first period.
            if self.period_count == 0:
                schedule = self.last_enqueue_time + self.initial_delay
            else:
                schedule = self.last_enqueue_time + self.interval_duration
            if self.flex_duration != self.interval_duration and self.period_count == 0:
                schedule += self.interval_duration - self.flex_duration
            return schedule
        if self.last_enqueue_time == NOT_ENQUEUED:
            return LONG_MAX
        return self.last_enqueue_time + self.initial_delay

    # ------------------------------------------------------------------ rows
    def row(self) -> dict[str, Any]:
        """The column values (Data and booleans as Room stores them)."""
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "constraints":
                for cf in fields(Constraints):
                    v = getattr(value, cf.name)
                    values[cf.name] = int(v) if isinstance(v, bool) else v
            elif f.name in ("input", "output"):
                values[f.name] = wm_data.encode(value)
            elif f.name == "expedited":
                values["run_in_foreground"] = int(value)
            else:
                values[f.name] = value
        return values

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> WorkSpec:
        keys = set(row.keys())
        constraints = Constraints(**{
            cf.name: (bool(row[cf.name]) if cf.type in ("bool", bool) else row[cf.name])
            for cf in fields(Constraints) if cf.name in keys
        })
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "constraints":
                values[f.name] = constraints
            elif f.name in ("input", "output"):
                values[f.name] = wm_data.decode(bytes(row[f.name]))
            elif f.name == "expedited":
                values[f.name] = bool(row["run_in_foreground"])
            elif f.name in keys:
                values[f.name] = row[f.name]
        return cls(**values)
