"""JobStatus: one scheduled job inside the virtual JobSchedulerService.

Constraint bits, readiness and the ready-to-unready stop reason follow
``com.android.server.job.controllers.JobStatus`` (Android 13 copy, with the older releases'
differences where they change what a test sees): explicit constraints (charging, battery not
low, storage not low, timing delay, deadline, idle, connectivity) plus the implicit ones
(device not dozing, background not restricted, within quota, TARE wealth on Android 13-15,
app not idle on Android 8) and the RESTRICTED bucket's dynamic constraints.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from harness.virtual.system.job_info import (
    FLAG_EXEMPT_FROM_APP_STANDBY,
    FLAG_WILL_BE_FOREGROUND,
    NETWORK_TYPE_ANY,
    NETWORK_TYPE_CELLULAR,
    NETWORK_TYPE_NONE,
    NETWORK_TYPE_NOT_ROAMING,
    NETWORK_TYPE_UNMETERED,
    JobInfo,
    short_component,
)
from harness.virtual.system.job_quota import (
    ACTIVE_INDEX,
    BUCKET_INDEX_NAMES,
    EXEMPTED_INDEX,
    NEVER_INDEX,
    RESTRICTED_INDEX,
)

# JobStatus.CONSTRAINT_* (Android 13 bit values; the low four are JobInfo.CONSTRAINT_FLAG_*).
CONSTRAINT_CHARGING = 1
CONSTRAINT_BATTERY_NOT_LOW = 1 << 1
CONSTRAINT_IDLE = 1 << 2
CONSTRAINT_STORAGE_NOT_LOW = 1 << 3
CONSTRAINT_TIMING_DELAY = 1 << 31
CONSTRAINT_DEADLINE = 1 << 30
CONSTRAINT_CONNECTIVITY = 1 << 28
CONSTRAINT_TARE_WEALTH = 1 << 27
CONSTRAINT_CONTENT_TRIGGER = 1 << 26
CONSTRAINT_DEVICE_NOT_DOZING = 1 << 25
CONSTRAINT_WITHIN_QUOTA = 1 << 24
CONSTRAINT_PREFETCH = 1 << 23
CONSTRAINT_BACKGROUND_NOT_RESTRICTED = 1 << 22
# Android 8 (JobStatus, O): network types had their own bits and app standby was a constraint.
CONSTRAINT_UNMETERED_O = 1 << 29
CONSTRAINT_APP_NOT_IDLE_O = 1 << 27
CONSTRAINT_NOT_ROAMING_O = 1 << 24
# NETWORK_TYPE_METERED (API 26, CELLULAR from API 28): JobStatus (O) CONSTRAINT_METERED, satisfied
# by a connected network without NET_CAPABILITY_NOT_METERED (ConnectivityController, O).
CONSTRAINT_METERED_O = 1 << 23

# JobStatus.dumpConstraints order.
CONSTRAINT_NAMES = (
    (CONSTRAINT_CHARGING, "CHARGING"),
    (CONSTRAINT_BATTERY_NOT_LOW, "BATTERY_NOT_LOW"),
    (CONSTRAINT_STORAGE_NOT_LOW, "STORAGE_NOT_LOW"),
    (CONSTRAINT_TIMING_DELAY, "TIMING_DELAY"),
    (CONSTRAINT_DEADLINE, "DEADLINE"),
    (CONSTRAINT_IDLE, "IDLE"),
    (CONSTRAINT_CONNECTIVITY, "CONNECTIVITY"),
    (CONSTRAINT_CONTENT_TRIGGER, "CONTENT_TRIGGER"),
    (CONSTRAINT_DEVICE_NOT_DOZING, "DEVICE_NOT_DOZING"),
    (CONSTRAINT_BACKGROUND_NOT_RESTRICTED, "BACKGROUND_NOT_RESTRICTED"),
    (CONSTRAINT_PREFETCH, "PREFETCH"),
    (CONSTRAINT_TARE_WEALTH, "TARE_WEALTH"),
    (CONSTRAINT_WITHIN_QUOTA, "WITHIN_QUOTA"),
)
CONSTRAINT_NAMES_O = (
    (CONSTRAINT_CHARGING, "CHARGING"),
    (CONSTRAINT_BATTERY_NOT_LOW, "BATTERY_NOT_LOW"),
    (CONSTRAINT_STORAGE_NOT_LOW, "STORAGE_NOT_LOW"),
    (CONSTRAINT_TIMING_DELAY, "TIMING_DELAY"),
    (CONSTRAINT_DEADLINE, "DEADLINE"),
    (CONSTRAINT_IDLE, "IDLE"),
    (CONSTRAINT_CONNECTIVITY, "CONNECTIVITY"),
    (CONSTRAINT_UNMETERED_O, "UNMETERED"),
    (CONSTRAINT_NOT_ROAMING_O, "NOT_ROAMING"),
    (CONSTRAINT_METERED_O, "METERED"),
    (CONSTRAINT_APP_NOT_IDLE_O, "APP_NOT_IDLE"),
    (CONSTRAINT_CONTENT_TRIGGER, "CONTENT_TRIGGER"),
    (CONSTRAINT_DEVICE_NOT_DOZING, "DEVICE_NOT_DOZING"),
)

# "All constraints besides implicit and deadline" (CONSTRAINTS_OF_INTEREST).
CONSTRAINTS_OF_INTEREST = (
    CONSTRAINT_CHARGING
    | CONSTRAINT_BATTERY_NOT_LOW
    | CONSTRAINT_STORAGE_NOT_LOW
    | CONSTRAINT_TIMING_DELAY
    | CONSTRAINT_CONNECTIVITY
    | CONSTRAINT_IDLE
    | CONSTRAINT_CONTENT_TRIGGER
    | CONSTRAINT_PREFETCH
    | CONSTRAINT_UNMETERED_O
)
# "Soft override covers all non-functional constraints" (run without -f).
SOFT_OVERRIDE_CONSTRAINTS = (
    CONSTRAINT_CHARGING
    | CONSTRAINT_BATTERY_NOT_LOW
    | CONSTRAINT_STORAGE_NOT_LOW
    | CONSTRAINT_TIMING_DELAY
    | CONSTRAINT_IDLE
    | CONSTRAINT_PREFETCH
)
# What a RESTRICTED-bucket job must also have (DYNAMIC_RESTRICTED_CONSTRAINTS, Android 12+).
DYNAMIC_RESTRICTED_CONSTRAINTS = (
    CONSTRAINT_BATTERY_NOT_LOW | CONSTRAINT_CHARGING | CONSTRAINT_CONNECTIVITY | CONSTRAINT_IDLE
)

# overrideState (Android 13: SORTING for ``run -s``, SOFT for plain ``run``, FULL for ``run -f``).
OVERRIDE_NONE = 0
OVERRIDE_SORTING = 1
OVERRIDE_SOFT = 2
OVERRIDE_FULL = 3

# JobStatus.TRACKING_*
TRACKING_BATTERY = 1
TRACKING_CONNECTIVITY = 1 << 1
TRACKING_CONTENT = 1 << 2
TRACKING_IDLE = 1 << 3
TRACKING_STORAGE = 1 << 4
TRACKING_TIME = 1 << 5
TRACKING_QUOTA = 1 << 6
TRACKING_NAMES = (
    (TRACKING_BATTERY, "BATTERY"),
    (TRACKING_CONNECTIVITY, "CONNECTIVITY"),
    (TRACKING_CONTENT, "CONTENT"),
    (TRACKING_IDLE, "IDLE"),
    (TRACKING_STORAGE, "STORAGE"),
    (TRACKING_TIME, "TIME"),
    (TRACKING_QUOTA, "QUOTA"),
)

INTERNAL_FLAG_HAS_FOREGROUND_EXEMPTION = 1
NUM_CONSTRAINT_CHANGE_HISTORY = 10
NO_EARLIEST_RUNTIME = 0
NO_LATEST_RUNTIME = (1 << 63) - 1  # Long.MAX_VALUE

# JobParameters.STOP_REASON_* (public, API 31) and INTERNAL_STOP_REASON_*.
STOP_REASON_UNDEFINED = 0
STOP_REASON_CANCELLED_BY_APP = 1
STOP_REASON_PREEMPT = 2
STOP_REASON_TIMEOUT = 3
STOP_REASON_DEVICE_STATE = 4
STOP_REASON_CONSTRAINT_BATTERY_NOT_LOW = 5
STOP_REASON_CONSTRAINT_CHARGING = 6
STOP_REASON_CONSTRAINT_CONNECTIVITY = 7
STOP_REASON_CONSTRAINT_DEVICE_IDLE = 8
STOP_REASON_CONSTRAINT_STORAGE_NOT_LOW = 9
STOP_REASON_QUOTA = 10
STOP_REASON_BACKGROUND_RESTRICTION = 11
STOP_REASON_APP_STANDBY = 12
STOP_REASON_USER = 13
STOP_REASON_SYSTEM_PROCESSING = 14
INTERNAL_STOP_REASON_UNKNOWN = -1
INTERNAL_STOP_REASON_CANCELED = 0
INTERNAL_STOP_REASON_CONSTRAINTS_NOT_SATISFIED = 1
INTERNAL_STOP_REASON_PREEMPT = 2
INTERNAL_STOP_REASON_TIMEOUT = 3
INTERNAL_STOP_REASON_DEVICE_IDLE = 4
INTERNAL_STOP_REASON_DEVICE_THERMAL = 5
INTERNAL_STOP_REASON_RESTRICTED_BUCKET = 6
INTERNAL_STOP_REASON_UNINSTALL = 7
INTERNAL_STOP_REASON_DATA_CLEARED = 8
INTERNAL_STOP_REASON_RTC_UPDATED = 9
INTERNAL_STOP_REASON_SUCCESSFUL_FINISH = 10


def constraint_list(mask: int, api_level: int) -> str:
    """JobStatus.dumpConstraints: `` NAME NAME [0xhex]`` (no hex before Android 9)."""
    names = CONSTRAINT_NAMES_O if api_level < 28 else CONSTRAINT_NAMES
    out = "".join(f" {name}" for bit, name in names if mask & bit)
    if mask and api_level >= 28:
        out += f" [0x{mask & 0xFFFFFFFF:x}]"
    return out


@dataclass
class JobStatus:
    job: JobInfo
    package: str
    uid: int
    api_level: int
    enqueue_time: int
    earliest: int = NO_EARLIEST_RUNTIME
    latest: int = NO_LATEST_RUNTIME
    original_latest: int = NO_LATEST_RUNTIME
    num_failures: int = 0
    num_system_stops: int = 0
    last_successful_run: int = 0  # wall clock ms, 0 = never
    last_failed_run: int = 0
    internal_flags: int = 0
    standby_bucket: int = ACTIVE_INDEX
    # Extras arrive parcelled over binder and stay so until JobStore writes them (persisted
    # jobs) or they are read back from disk: the dump prints mParcelledData.dataSize=N.
    extras_parcelled: bool = True
    satisfied: int = 0
    dynamic: int = 0
    tracking: int = 0
    override_state: int = OVERRIDE_NONE
    app_has_doze_exemption: bool = False
    uid_active: bool = False
    ej_quota_approved: bool = False
    started_as_ej: bool = False
    is_user_bg_restricted: bool = False
    component_enabled: bool = True
    reason_ready_to_unready: int = STOP_REASON_UNDEFINED
    first_force_batched: int = 0
    when_standby_deferred: int = 0
    hash: str = field(default_factory=lambda: f"{random.getrandbits(28):x}")
    history: deque[tuple[int, int]] = field(
        default_factory=lambda: deque(maxlen=NUM_CONSTRAINT_CHANGE_HISTORY)
    )

    def __post_init__(self) -> None:
        if self.api_level >= 31 and self.standby_bucket == RESTRICTED_INDEX:
            self.dynamic |= self._dynamic_mask(DYNAMIC_RESTRICTED_CONSTRAINTS)

    # ------------------------------------------------------------------ identity
    @property
    def key(self) -> tuple[str, int]:
        return (self.package, self.job.job_id)

    @property
    def job_id(self) -> int:
        return self.job.job_id

    @property
    def service(self) -> str:
        return self.job.service

    @property
    def battery_name(self) -> str:
        """``pkg/.Service``: the wake lock and batterystats name (batteryName)."""
        return short_component(self.package, self.job.service)

    @property
    def tag(self) -> str:
        return f"*job*/{self.battery_name}"

    @property
    def required(self) -> int:
        """requiredConstraints: the JobInfo's flags plus network, delay and deadline."""
        job = self.job
        value = job.constraint_flags
        if job.network_type != NETWORK_TYPE_NONE:
            if self.api_level < 28 and job.network_type == NETWORK_TYPE_UNMETERED:
                value |= CONSTRAINT_UNMETERED_O
            elif self.api_level < 28 and job.network_type == NETWORK_TYPE_NOT_ROAMING:
                value |= CONSTRAINT_NOT_ROAMING_O
            elif self.api_level < 28 and job.network_type == NETWORK_TYPE_CELLULAR:
                value |= CONSTRAINT_METERED_O
            else:
                value |= CONSTRAINT_CONNECTIVITY
        if self.earliest != NO_EARLIEST_RUNTIME:
            value |= CONSTRAINT_TIMING_DELAY
        if self.latest != NO_LATEST_RUNTIME:
            value |= CONSTRAINT_DEADLINE
        if job.prefetch and self.api_level >= 31:
            value |= CONSTRAINT_PREFETCH
        return value

    @property
    def network_constraint_bit(self) -> int:
        bits = CONSTRAINT_CONNECTIVITY | CONSTRAINT_UNMETERED_O | CONSTRAINT_NOT_ROAMING_O
        if self.api_level < 28:
            bits |= CONSTRAINT_METERED_O  # (the same bit is PREFETCH from Android 9)
        return self.required & bits

    def implicit_constraints(self) -> int:
        """The implicit constraints this release evaluates for every job."""
        api = self.api_level
        value = CONSTRAINT_DEVICE_NOT_DOZING
        if api < 28:
            value |= CONSTRAINT_APP_NOT_IDLE_O
        else:
            value |= CONSTRAINT_BACKGROUND_NOT_RESTRICTED
        if api >= 29:
            value |= CONSTRAINT_WITHIN_QUOTA
        if 33 <= api <= 35:
            value |= CONSTRAINT_TARE_WEALTH
        return value

    def has(self, constraint: int) -> bool:
        return bool((self.required | self.dynamic) & constraint)

    def is_satisfied(self, constraint: int) -> bool:
        return bool(self.satisfied & constraint)

    # ------------------------------------------------------------------ buckets and exemptions
    @property
    def is_requested_ej(self) -> bool:
        return self.job.expedited

    def should_treat_as_ej(self) -> bool:
        """shouldTreatAsExpeditedJob: requested and approved by the EJ quota."""
        return self.job.expedited and self.ej_quota_approved

    def effective_bucket(self) -> int:
        """getEffectiveStandbyBucket: EXEMPTED stays, an active uid counts as ACTIVE."""
        if self.api_level >= 33 and self.standby_bucket == EXEMPTED_INDEX:
            return EXEMPTED_INDEX
        if self.uid_active or self.job.flags & FLAG_EXEMPT_FROM_APP_STANDBY:
            return ACTIVE_INDEX
        return self.standby_bucket

    def set_standby_bucket(self, bucket: int) -> None:
        """setStandbyBucket: entering/leaving RESTRICTED adds/removes the dynamic constraints."""
        if self.api_level >= 31:
            if bucket == RESTRICTED_INDEX:
                self.dynamic |= self._dynamic_mask(DYNAMIC_RESTRICTED_CONSTRAINTS)
            elif self.standby_bucket == RESTRICTED_INDEX:
                self.dynamic &= ~DYNAMIC_RESTRICTED_CONSTRAINTS
        self.standby_bucket = bucket

    def _dynamic_mask(self, constraints: int) -> int:
        # addDynamicConstraints: connectivity only for jobs that asked for a network.
        if not self.required & CONSTRAINT_CONNECTIVITY:
            constraints &= ~CONSTRAINT_CONNECTIVITY
        return constraints

    def can_run_in_doze(self) -> bool:
        """canRunInDoze: whitelisted app, WILL_BE_FOREGROUND, or an EJ within quota."""
        return (
            self.app_has_doze_exemption
            or bool(self.job.flags & FLAG_WILL_BE_FOREGROUND)
            or (
                (self.should_treat_as_ej() or self.started_as_ej)
                and not self.dynamic & CONSTRAINT_DEVICE_NOT_DOZING
            )
        )

    def can_run_in_battery_saver(self) -> bool:
        """canRunInBatterySaver: foreground exemption or an EJ within quota."""
        return bool(self.internal_flags & INTERNAL_FLAG_HAS_FOREGROUND_EXEMPTION) or (
            (self.should_treat_as_ej() or self.started_as_ej)
            and not self.dynamic & CONSTRAINT_BACKGROUND_NOT_RESTRICTED
        )

    # ------------------------------------------------------------------ readiness
    @property
    def ready_not_dozing(self) -> bool:
        return self.is_satisfied(CONSTRAINT_DEVICE_NOT_DOZING) or self.can_run_in_doze()

    @property
    def ready_not_restricted_in_bg(self) -> bool:
        if self.api_level < 28:
            return True
        return self.is_satisfied(CONSTRAINT_BACKGROUND_NOT_RESTRICTED)

    @property
    def ready_within_quota(self) -> bool:
        return self.api_level < 29 or self.is_satisfied(CONSTRAINT_WITHIN_QUOTA)

    @property
    def ready_tare_wealth(self) -> bool:
        return not 33 <= self.api_level <= 35 or self.is_satisfied(CONSTRAINT_TARE_WEALTH)

    @property
    def ready_deadline_satisfied(self) -> bool:
        return (
            not self.job.is_periodic
            and self.has(CONSTRAINT_DEADLINE)
            and self.is_satisfied(CONSTRAINT_DEADLINE)
        )

    @property
    def ready_dynamic_satisfied(self) -> bool:
        return self.dynamic != 0 and self.dynamic == self.satisfied & self.dynamic

    def is_constraints_satisfied(self, satisfied: int | None = None) -> bool:
        """isConstraintsSatisfied, honouring ``cmd jobscheduler run`` overrides."""
        if self.override_state == OVERRIDE_FULL:
            return True
        sat = self.satisfied if satisfied is None else satisfied
        if self.override_state == OVERRIDE_SOFT:
            sat |= self.required & SOFT_OVERRIDE_CONSTRAINTS
        # Android 8's NOT_ROAMING bit is WITHIN_QUOTA's later, so it only counts when required.
        of_interest = self.required & (CONSTRAINTS_OF_INTEREST | CONSTRAINT_NOT_ROAMING_O)
        return sat & of_interest == of_interest

    def is_ready(self) -> bool:
        """JobStatus.isReady of this job's release."""
        api = self.api_level
        if api >= 31:
            # "Quota and dynamic constraints trump all other constraints"; NEVER never runs.
            within = self.ready_within_quota and self.ready_tare_wealth
            if (
                not within and not self.ready_dynamic_satisfied and not self.should_treat_as_ej()
            ) or self.effective_bucket() == NEVER_INDEX:
                return False
        elif api >= 29 and not self.ready_within_quota:
            return False
        if api < 28 and not self.is_satisfied(CONSTRAINT_APP_NOT_IDLE_O):
            return False
        # Deadline trumps the other constraints (not for periodic jobs); DeviceNotDozing and
        # NotRestrictedInBackground must be satisfied.
        return (
            self.ready_not_dozing
            and self.ready_not_restricted_in_bg
            and self.component_enabled
            and (self.ready_deadline_satisfied or self.is_constraints_satisfied())
        )

    def set_constraint(self, constraint: int, state: bool, now: int) -> bool:
        """setConstraintSatisfied: record the change and why the job stopped being ready."""
        if self.is_satisfied(constraint) == state:
            return False
        was_ready = not state and self.is_ready()
        self.satisfied = (self.satisfied & ~constraint) | (constraint if state else 0)
        self.history.append((now, self.satisfied))
        ready = self.is_ready()
        if was_ready and not ready:
            self.reason_ready_to_unready = self._stop_reason_for(constraint)
        elif not was_ready and ready:
            self.reason_ready_to_unready = STOP_REASON_UNDEFINED
        return True

    def set_ej_quota_approved(self, approved: bool) -> bool:
        """setExpeditedJobQuotaApproved: losing the approval is a QUOTA stop."""
        if self.ej_quota_approved == approved:
            return False
        was_ready = not approved and self.is_ready()
        self.ej_quota_approved = approved
        ready = self.is_ready()
        if was_ready and not ready:
            self.reason_ready_to_unready = STOP_REASON_QUOTA
        elif not was_ready and ready:
            self.reason_ready_to_unready = STOP_REASON_UNDEFINED
        return True

    def _stop_reason_for(self, constraint: int) -> int:
        """constraintToStopReason (Android 8's bits reuse later values, so they are mapped
        only on Android 8)."""
        required = self.required
        if self.api_level < 28:
            if constraint in (
                CONSTRAINT_UNMETERED_O,
                CONSTRAINT_NOT_ROAMING_O,
                CONSTRAINT_METERED_O,
            ):
                return STOP_REASON_CONSTRAINT_CONNECTIVITY
            if constraint == CONSTRAINT_APP_NOT_IDLE_O:
                return STOP_REASON_APP_STANDBY
        if constraint == CONSTRAINT_BATTERY_NOT_LOW:
            return (
                STOP_REASON_CONSTRAINT_BATTERY_NOT_LOW
                if required & constraint
                else STOP_REASON_APP_STANDBY
            )
        if constraint == CONSTRAINT_CHARGING:
            return (
                STOP_REASON_CONSTRAINT_CHARGING
                if required & constraint
                else STOP_REASON_APP_STANDBY
            )
        if constraint == CONSTRAINT_CONNECTIVITY:
            return STOP_REASON_CONSTRAINT_CONNECTIVITY
        if constraint == CONSTRAINT_IDLE:
            return (
                STOP_REASON_CONSTRAINT_DEVICE_IDLE
                if required & constraint
                else STOP_REASON_APP_STANDBY
            )
        if constraint == CONSTRAINT_STORAGE_NOT_LOW:
            return STOP_REASON_CONSTRAINT_STORAGE_NOT_LOW
        if constraint == CONSTRAINT_BACKGROUND_NOT_RESTRICTED:
            # "Assume that background restriction is the reason apps that are background
            # restricted have their jobs stopped, and battery saver otherwise."
            return (
                STOP_REASON_BACKGROUND_RESTRICTION
                if self.is_user_bg_restricted
                else STOP_REASON_DEVICE_STATE
            )
        if constraint == CONSTRAINT_DEVICE_NOT_DOZING:
            return STOP_REASON_DEVICE_STATE
        if constraint in (CONSTRAINT_WITHIN_QUOTA, CONSTRAINT_TARE_WEALTH):
            return STOP_REASON_QUOTA
        return STOP_REASON_UNDEFINED

    @property
    def bucket_name(self) -> str:
        return BUCKET_INDEX_NAMES.get(self.standby_bucket, f"Unknown: {self.standby_bucket}")

    def is_deadline_expired(self, now: int) -> bool:
        """JobParameters.isOverrideDeadlineExpired as JobServiceContext computes it."""
        return self.has(CONSTRAINT_DEADLINE) and self.latest < now

    def network_satisfied_by(self, metered: bool, roaming: bool, cellular: bool) -> bool:
        """Does a validated network with these properties satisfy the job's network type?"""
        network = self.job.network_type
        if network == NETWORK_TYPE_ANY:
            return True
        if network == NETWORK_TYPE_UNMETERED:
            return not metered
        if network == NETWORK_TYPE_NOT_ROAMING:
            return not roaming
        if self.api_level < 28:
            return metered  # Android 8: NETWORK_TYPE_METERED is any metered network
        return cellular
