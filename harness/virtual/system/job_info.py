"""android.app.job.JobInfo as the virtual device's app models build it, with the Builder's rules.

App models (WorkManager's model, the sample app) create a :class:`JobInfo` the way an app chains
``JobInfo.Builder`` calls; the field defaults are the Builder's defaults. The Builder's silent
adjustments (``setPeriodic`` raising the interval and flex, ``setBackoffCriteria`` raising the
initial back-off, ``setExpedited`` raising the priority) happen at construction, and
:meth:`JobInfo.validate` throws what ``Builder.build()`` / ``JobInfo.enforceValidity`` throw on a
device of the given API level, with Java's messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

# JobInfo.NETWORK_TYPE_*
NETWORK_TYPE_NONE = 0
NETWORK_TYPE_ANY = 1
NETWORK_TYPE_UNMETERED = 2
NETWORK_TYPE_NOT_ROAMING = 3
# NETWORK_TYPE_METERED, added in API 26 and renamed NETWORK_TYPE_CELLULAR (same value) in API 28
# (developer.android.com api_diff/28: NETWORK_TYPE_CELLULAR added, NETWORK_TYPE_METERED
# deprecated; androidx NetworkMeteredController: "API 26+, when JobInfo#NETWORK_METERED was added").
NETWORK_TYPE_CELLULAR = 4
NETWORK_TYPE_METERED = NETWORK_TYPE_CELLULAR
NETWORK_TYPE_NAMES = {
    NETWORK_TYPE_NONE: "none",
    NETWORK_TYPE_ANY: "any",
    NETWORK_TYPE_UNMETERED: "unmetered",
    NETWORK_TYPE_NOT_ROAMING: "not-roaming",
    NETWORK_TYPE_CELLULAR: "cellular",
}

# JobInfo.BACKOFF_POLICY_*
BACKOFF_POLICY_LINEAR = 0
BACKOFF_POLICY_EXPONENTIAL = 1

# JobInfo.PRIORITY_* (API 33) and JobInfo.getPriorityString.
PRIORITY_MIN = 100
PRIORITY_LOW = 200
PRIORITY_DEFAULT = 300
PRIORITY_HIGH = 400
PRIORITY_MAX = 500
PRIORITY_NAMES = {
    PRIORITY_MIN: "MIN",
    PRIORITY_LOW: "LOW",
    PRIORITY_DEFAULT: "DEFAULT",
    PRIORITY_HIGH: "HIGH",
    PRIORITY_MAX: "MAX",
}

# JobInfo.FLAG_* (the dump prints them as one hex number).
FLAG_WILL_BE_FOREGROUND = 1
FLAG_IMPORTANT_WHILE_FOREGROUND = 2
FLAG_PREFETCH = 4
FLAG_EXEMPT_FROM_APP_STANDBY = 8
FLAG_EXPEDITED = 16

# JobInfo.CONSTRAINT_FLAG_*: the low bits of JobStatus constraints too.
CONSTRAINT_FLAG_CHARGING = 1
CONSTRAINT_FLAG_BATTERY_NOT_LOW = 2
CONSTRAINT_FLAG_DEVICE_IDLE = 4
CONSTRAINT_FLAG_STORAGE_NOT_LOW = 8

# JobInfo: DEFAULT_INITIAL_BACKOFF_MILLIS, MIN_BACKOFF_MILLIS, MAX_BACKOFF_DELAY_MILLIS,
# MIN_PERIOD_MILLIS (getMinPeriodMillis), MIN_FLEX_MILLIS (getMinFlexMillis).
DEFAULT_INITIAL_BACKOFF_MILLIS = 30_000
MIN_BACKOFF_MILLIS = 10_000
MAX_BACKOFF_DELAY_MILLIS = 5 * 3_600_000
MIN_PERIOD_MILLIS = 15 * 60_000
MIN_FLEX_MILLIS = 5 * 60_000

BIND_JOB_SERVICE = "android.permission.BIND_JOB_SERVICE"


class JavaException(Exception):
    """A Java exception an app would see from the framework, with Java's class and message."""

    java_class = "java.lang.RuntimeException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.java_class}: {self.message}"


class IllegalArgumentException(JavaException, ValueError):
    java_class = "java.lang.IllegalArgumentException"


class IllegalStateException(JavaException):
    java_class = "java.lang.IllegalStateException"


class SecurityException(JavaException):
    java_class = "java.lang.SecurityException"


class NoSuchMethodError(JavaException):
    java_class = "java.lang.NoSuchMethodError"


def _missing_builder_method(signature: str) -> NoSuchMethodError:
    # What ART throws when an app calls a Builder method the platform does not have yet.
    return NoSuchMethodError(
        f"No virtual method {signature}Landroid/app/job/JobInfo$Builder; in class "
        "Landroid/app/job/JobInfo$Builder; or its super classes (declaration of "
        "'android.app.job.JobInfo$Builder' appears in /system/framework/framework.jar)"
    )


@dataclass
class JobInfo:
    """One job request. ``service`` is the JobService class (``.Name`` is relative to the
    scheduling package). ``None`` means the Builder method was not called: an unset minimum
    latency is no early constraint, while ``setMinimumLatency(0)`` is one."""

    job_id: int
    service: str
    extras: dict[str, Any] = field(default_factory=dict)
    requires_charging: bool = False
    requires_battery_not_low: bool = False
    requires_storage_not_low: bool = False
    requires_device_idle: bool = False
    network_type: int = NETWORK_TYPE_NONE
    min_latency_ms: int | None = None
    override_deadline_ms: int | None = None
    period_ms: int | None = None
    flex_ms: int | None = None
    persisted: bool = False
    expedited: bool = False
    important_while_foreground: bool = False
    will_be_foreground: bool = False  # FLAG_WILL_BE_FOREGROUND (@hide, SyncManager)
    prefetch: bool = False
    priority: int | None = None
    backoff_policy: int | None = None
    initial_backoff_ms: int = DEFAULT_INITIAL_BACKOFF_MILLIS
    # Filled in by __post_init__: the warnings the Builder logs for values it raised.
    builder_warnings: list[str] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.period_ms is not None:
            self._set_periodic(self.period_ms, self.flex_ms)
        if self.backoff_policy is not None and self.initial_backoff_ms < MIN_BACKOFF_MILLIS:
            # Builder.setBackoffCriteria: "Requested backoff ... is too small; raising to ..."
            self.builder_warnings.append(
                f"Requested backoff {self.initial_backoff_ms} for job {self.job_id} is too "
                f"small; raising to {MIN_BACKOFF_MILLIS}"
            )
            self.initial_backoff_ms = MIN_BACKOFF_MILLIS

    def _set_periodic(self, interval: int, flex: int | None) -> None:
        # Builder.setPeriodic(interval[, flex]): interval >= getMinPeriodMillis(),
        # flex >= max(5% of interval, getMinFlexMillis()); setPeriodic(interval) uses flex=interval.
        from harness.virtual.system.javafmt import format_duration

        flex = interval if flex is None else flex
        if interval < MIN_PERIOD_MILLIS:
            self.builder_warnings.append(
                f"Requested interval {format_duration(interval)} for job {self.job_id} is too "
                f"small; raising to {format_duration(MIN_PERIOD_MILLIS)}"
            )
            interval = MIN_PERIOD_MILLIS
        min_flex = max(5 * interval // 100, MIN_FLEX_MILLIS)
        if flex < min_flex:
            self.builder_warnings.append(
                f"Requested flex {format_duration(flex)} for job {self.job_id} is too small; "
                f"raising to {format_duration(min_flex)}"
            )
            flex = min_flex
        self.period_ms = interval
        self.flex_ms = flex

    # ------------------------------------------------------------------ what JobInfo reports
    @property
    def is_periodic(self) -> bool:
        return self.period_ms is not None

    @property
    def has_early_constraint(self) -> bool:
        return self.is_periodic or self.min_latency_ms is not None

    @property
    def has_late_constraint(self) -> bool:
        return self.is_periodic or self.override_deadline_ms is not None

    @property
    def interval_ms(self) -> int:
        return self.period_ms or 0

    @property
    def effective_priority(self) -> int:
        """JobInfo.getPriority: set explicitly, else DEFAULT, but MAX for an expedited job
        (Builder.setExpedited raises a DEFAULT priority to MAX)."""
        if self.priority is not None:
            return self.priority
        return PRIORITY_MAX if self.expedited else PRIORITY_DEFAULT

    @property
    def effective_backoff_policy(self) -> int:
        return BACKOFF_POLICY_EXPONENTIAL if self.backoff_policy is None else self.backoff_policy

    @property
    def flags(self) -> int:
        value = 0
        if self.will_be_foreground:
            value |= FLAG_WILL_BE_FOREGROUND
        if self.important_while_foreground:
            value |= FLAG_IMPORTANT_WHILE_FOREGROUND
        if self.prefetch:
            value |= FLAG_PREFETCH
        if self.expedited:
            value |= FLAG_EXPEDITED
        return value

    @property
    def constraint_flags(self) -> int:
        value = 0
        if self.requires_charging:
            value |= CONSTRAINT_FLAG_CHARGING
        if self.requires_battery_not_low:
            value |= CONSTRAINT_FLAG_BATTERY_NOT_LOW
        if self.requires_device_idle:
            value |= CONSTRAINT_FLAG_DEVICE_IDLE
        if self.requires_storage_not_low:
            value |= CONSTRAINT_FLAG_STORAGE_NOT_LOW
        return value

    @property
    def max_execution_delay_ms(self) -> int:
        """getMaxExecutionDelayMillis: the override deadline (0 when unset or periodic)."""
        return self.override_deadline_ms or 0

    def copy(self) -> JobInfo:
        return replace(self, extras=dict(self.extras), builder_warnings=[])

    # ------------------------------------------------------------------ Builder.build()
    def validate(self, api_level: int) -> None:
        """Throw what Builder.build() (and JobInfo.enforceValidity, API 31+) throws."""
        if self.expedited and api_level < 31:
            raise _missing_builder_method("setExpedited(Z)")
        if self.priority is not None and api_level < 33:
            raise _missing_builder_method("setPriority(I)")
        if self.network_type not in NETWORK_TYPE_NAMES or (
            self.network_type == NETWORK_TYPE_METERED and api_level < 26
        ):
            raise IllegalArgumentException(f"Unknown network type {self.network_type}")
        has_constraint = (
            self.has_early_constraint
            or self.has_late_constraint
            or self.constraint_flags != 0
            or self.network_type != NETWORK_TYPE_NONE
        )
        if not has_constraint and api_level < 29:
            # Android 10 dropped this check ("Allow jobs with no constraints").
            raise IllegalArgumentException(
                "You're trying to build a job with no constraints, this is not allowed."
            )
        if self.is_periodic:
            if self.override_deadline_ms:
                raise IllegalArgumentException(
                    "Can't call setOverrideDeadline() on a periodic job."
                )
            if self.min_latency_ms:
                raise IllegalArgumentException("Can't call setMinimumLatency() on a periodic job")
        if self.important_while_foreground and self.has_early_constraint:
            raise IllegalArgumentException(
                "An important while foreground job cannot have a time delay"
            )
        if self.backoff_policy is not None and self.requires_device_idle:
            raise IllegalArgumentException(
                "An idle mode job will not respect any back-off policy, so calling"
                " setBackoffCriteria with setRequiresDeviceIdle is an error."
            )
        if api_level >= 33:
            self._validate_priority()
        if self.expedited:
            self._validate_expedited(api_level)

    def _validate_priority(self) -> None:
        # JobInfo.enforceValidity (API 33): priority rules.
        priority = self.effective_priority
        if priority == PRIORITY_MAX and not self.expedited:
            raise IllegalArgumentException("Only expedited jobs can have max priority")
        if priority == PRIORITY_HIGH:
            if self.prefetch:
                raise IllegalArgumentException("Prefetch jobs cannot be high priority")
            if self.is_periodic:
                raise IllegalArgumentException("Periodic jobs cannot be high priority")
        if priority not in PRIORITY_NAMES:
            raise IllegalArgumentException(f"Invalid priority level provided: {priority}")

    def _validate_expedited(self, api_level: int) -> None:
        # JobInfo.enforceValidity (API 31+): what an expedited job may not have.
        # setPeriodic also sets the early and late constraints, so a periodic EJ fails first here.
        if self.has_early_constraint:
            raise IllegalArgumentException("An expedited job cannot have a time delay")
        if self.has_late_constraint:
            raise IllegalArgumentException("An expedited job cannot have a deadline")
        if self.is_periodic:
            raise IllegalArgumentException("An expedited job cannot be periodic")
        if api_level >= 33 and self.effective_priority not in (PRIORITY_MAX, PRIORITY_HIGH):
            raise IllegalArgumentException(
                "An expedited job must be high or max priority. Don't use expedited jobs"
                " for unimportant tasks."
            )
        allowed_flags = FLAG_EXPEDITED | FLAG_EXEMPT_FROM_APP_STANDBY
        if self.constraint_flags & ~CONSTRAINT_FLAG_STORAGE_NOT_LOW or self.flags & ~allowed_flags:
            raise IllegalArgumentException(
                "An expedited job can only have network and storage-not-low constraints"
            )


def qualify_service(package: str, service: str) -> str:
    """The fully qualified class of ``service`` (``.Name`` and bare names are relative)."""
    if service.startswith("."):
        return package + service
    if "." not in service:
        return f"{package}.{service}"
    return service


def short_component(package: str, cls: str) -> str:
    """ComponentName.flattenToShortString: ``pkg/.Cls`` when the class is in the package."""
    if cls.startswith(package + ".") and len(cls) > len(package) + 1:
        return f"{package}/{cls[len(package) :]}"
    return f"{package}/{cls}"
