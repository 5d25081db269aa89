"""App standby throttling of jobs: QuotaController (API 29+) and its constants per release.

Buckets are JobScheduler's normalized indices (JobSchedulerService.standbyBucketToBucketIndex):
ACTIVE 0, WORKING_SET 1, FREQUENT 2, RARE 3, NEVER 4, RESTRICTED 5, EXEMPTED 6.

The constants are data (:data:`QUOTA_ERAS`), one row per release family, with where each value
comes from. The Android 13 row equals the ``QuotaController:`` settings of a real API 33 dump.
Newer code keeps the same defaults behind a flag (``DEFAULT_LEGACY_*`` next to
``DEFAULT_CURRENT_*``/``DEFAULT_LATEST_*`` in a decompiled QcConstants); the larger numbers that
third-party copies of the power-details page quote (ACTIVE 20 min per 60 min, WORKING_SET 4 h,
FREQUENT 12 h, WORKING_SET EJ 15 min) are used only for API 36 and are unverified as defaults.

Android 9 throttled with heartbeats instead (:class:`HeartbeatEra`); Android 8 only deferred the
jobs of idle apps (AppIdleController, the APP_NOT_IDLE constraint).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

ACTIVE_INDEX = 0
WORKING_INDEX = 1
FREQUENT_INDEX = 2
RARE_INDEX = 3
NEVER_INDEX = 4
RESTRICTED_INDEX = 5
EXEMPTED_INDEX = 6
BUCKET_INDEX_NAMES = {
    ACTIVE_INDEX: "ACTIVE",
    WORKING_INDEX: "WORKING_SET",
    FREQUENT_INDEX: "FREQUENT",
    RARE_INDEX: "RARE",
    NEVER_INDEX: "NEVER",
    RESTRICTED_INDEX: "RESTRICTED",
    EXEMPTED_INDEX: "EXEMPTED",
}

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# UsageStatsManager.STANDBY_BUCKET_* values.
_EXEMPTED, _ACTIVE, _WORKING, _FREQUENT, _RARE, _NEVER = 5, 10, 20, 30, 40, 50


def bucket_index(bucket: int, api_level: int) -> int:
    """JobSchedulerService.standbyBucketToBucketIndex of the given release."""
    if bucket == _NEVER:
        return NEVER_INDEX
    if bucket > _RARE:
        # RESTRICTED jobs got their own index with the bucket (Android 11).
        return RESTRICTED_INDEX if api_level >= 30 else RARE_INDEX
    if bucket > _FREQUENT:
        return RARE_INDEX
    if bucket > _WORKING:
        return FREQUENT_INDEX
    if bucket > _ACTIVE:
        return WORKING_INDEX
    if bucket > _EXEMPTED or api_level < 33:
        return ACTIVE_INDEX
    # EXEMPTED_INDEX (and the qc_*_exempted_* constants) arrived in Android 13.
    return EXEMPTED_INDEX


def _per_bucket(
    active: int, working: int, frequent: int, rare: int, restricted: int, exempted: int
) -> dict[int, int]:
    return {
        ACTIVE_INDEX: active,
        WORKING_INDEX: working,
        FREQUENT_INDEX: frequent,
        RARE_INDEX: rare,
        NEVER_INDEX: 0,
        RESTRICTED_INDEX: restricted,
        EXEMPTED_INDEX: exempted,
    }


@dataclass(frozen=True)
class QuotaEra:
    """QuotaController.QcConstants defaults of one release family."""

    name: str
    source: str
    allowed_time_ms: dict[int, int]
    window_ms: dict[int, int]
    max_job_count: dict[int, int]
    max_session_count: dict[int, int]
    ej_limit_ms: dict[int, int] = field(default_factory=dict)  # empty: no expedited jobs
    in_quota_buffer_ms: int = 30_000
    max_execution_time_ms: int = 4 * HOUR  # per 24 h (MAX_PERIOD_MS)
    rate_limiting_window_ms: int = MINUTE
    max_job_count_per_rate_limiting_window: int = 20
    max_session_count_per_rate_limiting_window: int = 20
    timing_session_coalescing_duration_ms: int = 5_000
    min_quota_check_delay_ms: int = MINUTE
    ej_window_ms: int = DAY
    ej_limit_addition_installer_ms: int = 30 * MINUTE
    ej_limit_addition_special_ms: int = 15 * MINUTE
    ej_top_app_time_chunk_size_ms: int = 30_000
    ej_reward_top_app_ms: int = 10_000
    ej_reward_interaction_ms: int = 15_000
    ej_reward_notification_seen_ms: int = 0
    ej_grace_period_temp_allowlist_ms: int = 3 * MINUTE
    ej_grace_period_top_app_ms: int = MINUTE
    per_bucket_allowed_keys: bool = False  # qc_allowed_time_per_period_<bucket>_ms (API 33)
    # Quota bumps (qc_quota_bump_*: extra duration, jobs, sessions, window, limit), printed by
    # Android 13+; no bump is ever granted on the virtual device (nothing requests one).
    quota_bump: tuple[int, int, int, int, int] | None = None

    def settings(self) -> list[tuple[str, int]]:
        """The ``QuotaController:`` block of the dump's Settings, in QcConstants.dump order."""
        b = (
            ("exempted", EXEMPTED_INDEX),
            ("active", ACTIVE_INDEX),
            ("working", WORKING_INDEX),
            ("frequent", FREQUENT_INDEX),
            ("rare", RARE_INDEX),
            ("restricted", RESTRICTED_INDEX),
        )
        if not self.per_bucket_allowed_keys:
            b = b[1:]
        out: list[tuple[str, int]] = []
        if self.per_bucket_allowed_keys:
            out += [(f"qc_allowed_time_per_period_{n}_ms", self.allowed_time_ms[i]) for n, i in b]
        else:
            out.append(("qc_allowed_time_per_period_ms", self.allowed_time_ms[ACTIVE_INDEX]))
        out.append(("qc_in_quota_buffer_ms", self.in_quota_buffer_ms))
        out += [(f"qc_window_size_{n}_ms", self.window_ms[i]) for n, i in b]
        out.append(("qc_max_execution_time_ms", self.max_execution_time_ms))
        out += [(f"qc_max_job_count_{n}", self.max_job_count[i]) for n, i in b]
        out += [
            ("qc_rate_limiting_window_ms", self.rate_limiting_window_ms),
            (
                "qc_max_job_count_per_rate_limiting_window",
                self.max_job_count_per_rate_limiting_window,
            ),
        ]
        out += [(f"qc_max_session_count_{n}", self.max_session_count[i]) for n, i in b]
        out += [
            (
                "qc_max_session_count_per_rate_limiting_window",
                self.max_session_count_per_rate_limiting_window,
            ),
            (
                "qc_timing_session_coalescing_duration_ms",
                self.timing_session_coalescing_duration_ms,
            ),
            ("qc_min_quota_check_delay_ms", self.min_quota_check_delay_ms),
        ]
        if self.ej_limit_ms:
            out += [(f"qc_ej_limit_{n}_ms", self.ej_limit_ms[i]) for n, i in b]
            out += [
                ("qc_ej_limit_addition_installer_ms", self.ej_limit_addition_installer_ms),
                ("qc_ej_limit_addition_special_ms", self.ej_limit_addition_special_ms),
                ("qc_ej_window_size_ms", self.ej_window_ms),
                ("qc_ej_top_app_time_chunk_size_ms", self.ej_top_app_time_chunk_size_ms),
                ("qc_ej_reward_top_app_ms", self.ej_reward_top_app_ms),
                ("qc_ej_reward_interaction_ms", self.ej_reward_interaction_ms),
                ("qc_ej_reward_notification_seen_ms", self.ej_reward_notification_seen_ms),
                ("qc_ej_grace_period_temp_allowlist_ms", self.ej_grace_period_temp_allowlist_ms),
                ("qc_ej_grace_period_top_app_ms", self.ej_grace_period_top_app_ms),
            ]
        if self.quota_bump is not None:
            keys = (
                "qc_quota_bump_additional_duration_ms",
                "qc_quota_bump_additional_job_count",
                "qc_quota_bump_additional_session_count",
                "qc_quota_bump_window_size_ms",
                "qc_quota_bump_limit",
            )
            out += list(zip(keys, self.quota_bump, strict=True))
        return out


_TEN_MIN = 10 * MINUTE
_COUNTS = _per_bucket(75, 120, 200, 48, 10, 75)
_WINDOWS = _per_bucket(_TEN_MIN, 2 * HOUR, 8 * HOUR, DAY, DAY, _TEN_MIN)

QUOTA_ERAS: dict[str, QuotaEra] = {
    "Q": QuotaEra(
        "Q",
        "reference §2.2: Q/R as S but sessions 20/10/8/3 and a 10 min rate window (SRC-fork)",
        allowed_time_ms=_per_bucket(*[_TEN_MIN] * 6),
        window_ms=_WINDOWS,
        max_job_count=_COUNTS,
        max_session_count=_per_bucket(20, 10, 8, 3, 1, 20),
        rate_limiting_window_ms=_TEN_MIN,
    ),
    "R": QuotaEra(
        "R",
        "reference §2.2: Q/R as S but sessions 20/10/8/3 (SRC-fork)",
        allowed_time_ms=_per_bucket(*[_TEN_MIN] * 6),
        window_ms=_WINDOWS,
        max_job_count=_COUNTS,
        max_session_count=_per_bucket(20, 10, 8, 3, 1, 20),
    ),
    "S": QuotaEra(
        "S",
        "QuotaController @00e2e631 (reference §2.2 table): one allowed time for all buckets",
        allowed_time_ms=_per_bucket(*[_TEN_MIN] * 6),
        window_ms=_WINDOWS,
        max_job_count=_COUNTS,
        max_session_count=_per_bucket(75, 10, 8, 3, 1, 75),
        ej_limit_ms=_per_bucket(30 * MINUTE, 30 * MINUTE, _TEN_MIN, _TEN_MIN, 5 * MINUTE, 0),
    ),
    "T": QuotaEra(
        "T",
        "API 33 dump (qc_* settings) = QuotaController @00e2e631 plus the EXEMPTED keys; "
        "API 34/35 assumed equal (DEFAULT_LEGACY_* in newer QcConstants)",
        allowed_time_ms=_per_bucket(*[_TEN_MIN] * 6),
        window_ms=_WINDOWS,
        max_job_count=_COUNTS,
        max_session_count=_per_bucket(75, 10, 8, 3, 1, 75),
        ej_limit_ms=_per_bucket(
            30 * MINUTE, 30 * MINUTE, _TEN_MIN, _TEN_MIN, 5 * MINUTE, 45 * MINUTE
        ),
        per_bucket_allowed_keys=True,
        quota_bump=(MINUTE, 2, 1, 8 * HOUR, 8),
    ),
    "B": QuotaEra(
        "B",
        "decompiled QcConstants DEFAULT_CURRENT_*/DEFAULT_LATEST_* (flag-gated) and the 3P copy "
        "of power-details 'Android 13+' table; UNVERIFIED as the API 36 defaults",
        allowed_time_ms=_per_bucket(
            20 * MINUTE, _TEN_MIN, _TEN_MIN, _TEN_MIN, _TEN_MIN, 20 * MINUTE
        ),
        window_ms=_per_bucket(HOUR, 4 * HOUR, 12 * HOUR, DAY, DAY, 40 * MINUTE),
        max_job_count=_COUNTS,
        max_session_count=_per_bucket(75, 10, 8, 3, 1, 75),
        ej_limit_ms=_per_bucket(
            30 * MINUTE, 15 * MINUTE, _TEN_MIN, _TEN_MIN, 5 * MINUTE, 45 * MINUTE
        ),
        ej_top_app_time_chunk_size_ms=5 * MINUTE,
        ej_reward_interaction_ms=5_000,
        per_bucket_allowed_keys=True,
        quota_bump=(MINUTE, 2, 1, 8 * HOUR, 8),
    ),
}


# ---------------------------------------------------------------------------------- DeviceConfig
_BUCKET_KEYS = {
    "exempted": EXEMPTED_INDEX,
    "active": ACTIVE_INDEX,
    "working": WORKING_INDEX,
    "frequent": FREQUENT_INDEX,
    "rare": RARE_INDEX,
    "restricted": RESTRICTED_INDEX,
}
_PER_BUCKET = (
    ("qc_allowed_time_per_period_", "_ms", "allowed_time_ms"),
    ("qc_window_size_", "_ms", "window_ms"),
    ("qc_max_job_count_", "", "max_job_count"),
    ("qc_max_session_count_", "", "max_session_count"),
    ("qc_ej_limit_", "_ms", "ej_limit_ms"),
)
_SCALARS = {
    "qc_in_quota_buffer_ms": "in_quota_buffer_ms",
    "qc_max_execution_time_ms": "max_execution_time_ms",
    "qc_rate_limiting_window_ms": "rate_limiting_window_ms",
    "qc_max_job_count_per_rate_limiting_window": "max_job_count_per_rate_limiting_window",
    "qc_max_session_count_per_rate_limiting_window": "max_session_count_per_rate_limiting_window",
    "qc_timing_session_coalescing_duration_ms": "timing_session_coalescing_duration_ms",
    "qc_min_quota_check_delay_ms": "min_quota_check_delay_ms",
    "qc_ej_window_size_ms": "ej_window_ms",
    "qc_ej_limit_addition_installer_ms": "ej_limit_addition_installer_ms",
    "qc_ej_limit_addition_special_ms": "ej_limit_addition_special_ms",
    "qc_ej_top_app_time_chunk_size_ms": "ej_top_app_time_chunk_size_ms",
    "qc_ej_reward_top_app_ms": "ej_reward_top_app_ms",
    "qc_ej_reward_interaction_ms": "ej_reward_interaction_ms",
    "qc_ej_reward_notification_seen_ms": "ej_reward_notification_seen_ms",
    "qc_ej_grace_period_temp_allowlist_ms": "ej_grace_period_temp_allowlist_ms",
    "qc_ej_grace_period_top_app_ms": "ej_grace_period_top_app_ms",
}


def _java_long(text: str | None) -> int | None:
    """DeviceConfig.Properties.getLong/getInt: a number, or None (the default) otherwise."""
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def configured_era(era: QuotaEra, values: dict[str, str]) -> QuotaEra:
    """The QcConstants fields after ``device_config put jobscheduler qc_*``: the keys this
    release's QcConstants knows (the ones its dump prints), unparsable values ignored. These
    are the values the dump prints; :func:`effective_era` clamps them for use."""
    known = {key for key, _value in era.settings()}
    fields: dict[str, object] = {
        "allowed_time_ms": dict(era.allowed_time_ms),
        "window_ms": dict(era.window_ms),
        "max_job_count": dict(era.max_job_count),
        "max_session_count": dict(era.max_session_count),
        "ej_limit_ms": dict(era.ej_limit_ms),
    }
    for key, text in values.items():
        value = _java_long(text)
        if key not in known or value is None:
            continue
        if key in _SCALARS:
            fields[_SCALARS[key]] = value
        elif key == "qc_allowed_time_per_period_ms":
            # Before the per-bucket keys (Android 13), one allowed time for every bucket.
            allowed = fields["allowed_time_ms"]
            assert isinstance(allowed, dict)
            for bucket in allowed:
                allowed[bucket] = value
        for prefix, suffix, name in _PER_BUCKET:
            if key.startswith(prefix) and key.endswith(suffix):
                bucket = _BUCKET_KEYS.get(key[len(prefix) : len(key) - len(suffix)])
                table = fields[name]
                if bucket is not None and isinstance(table, dict):
                    table[bucket] = value
    return replace(era, **fields)  # type: ignore[arg-type]


def effective_era(era: QuotaEra) -> QuotaEra:
    """What QuotaController uses of the configured values: QcConstants' safeguards
    (QuotaController @00e2e631 updateExecutionPeriodConstantsLocked, updateRateLimiting-
    ConstantsLocked, updateEJLimitConstantsLocked, processConstantLocked). The per-bucket
    allowed times of Android 13+ get the same range as the single one before them."""
    week = 7 * DAY
    max_exec = max(HOUR, min(DAY, era.max_execution_time_ms))
    allowed = {b: min(max_exec, max(MINUTE, v)) for b, v in era.allowed_time_ms.items()}
    allowed[NEVER_INDEX] = era.allowed_time_ms[NEVER_INDEX]
    smallest_allowed = min(v for b, v in allowed.items() if b != NEVER_INDEX)
    buffer = max(0, min(smallest_allowed, min(5 * MINUTE, era.in_quota_buffer_ms)))
    window = {
        b: max(allowed[b], min(week if b == RESTRICTED_INDEX else DAY, v))
        for b, v in era.window_ms.items()
    }
    jobs = {b: v if b == NEVER_INDEX else max(10, v) for b, v in era.max_job_count.items()}
    sessions = {
        b: v if b == NEVER_INDEX else max(0 if b == RESTRICTED_INDEX else 1, v)
        for b, v in era.max_session_count.items()
    }
    ej_limits = dict(era.ej_limit_ms)
    ej_window = max(HOUR, min(DAY, era.ej_window_ms))
    if ej_limits:
        # Each bucket's limit is at least its floor and at most the next better bucket's.
        active = max(15 * MINUTE, min(ej_window, ej_limits[ACTIVE_INDEX]))
        working = max(15 * MINUTE, min(active, ej_limits[WORKING_INDEX]))
        frequent = max(_TEN_MIN, min(working, ej_limits[FREQUENT_INDEX]))
        rare = max(_TEN_MIN, min(frequent, ej_limits[RARE_INDEX]))
        restricted = max(5 * MINUTE, min(rare, ej_limits[RESTRICTED_INDEX]))
        ej_limits.update({ACTIVE_INDEX: active, WORKING_INDEX: working,
                          FREQUENT_INDEX: frequent, RARE_INDEX: rare,
                          RESTRICTED_INDEX: restricted})
        if era.per_bucket_allowed_keys:
            exempted = ej_limits[EXEMPTED_INDEX]
            ej_limits[EXEMPTED_INDEX] = max(15 * MINUTE, min(ej_window, exempted))
    active_limit = ej_limits.get(ACTIVE_INDEX, 0)
    return replace(
        era,
        allowed_time_ms=allowed,
        in_quota_buffer_ms=buffer,
        max_execution_time_ms=max_exec,
        window_ms=window,
        max_job_count=jobs,
        max_session_count=sessions,
        rate_limiting_window_ms=min(DAY, max(30_000, era.rate_limiting_window_ms)),
        max_job_count_per_rate_limiting_window=max(10, era.max_job_count_per_rate_limiting_window),
        max_session_count_per_rate_limiting_window=max(
            10, era.max_session_count_per_rate_limiting_window
        ),
        timing_session_coalescing_duration_ms=min(
            15 * MINUTE, max(0, era.timing_session_coalescing_duration_ms)
        ),
        min_quota_check_delay_ms=min(15 * MINUTE, max(0, era.min_quota_check_delay_ms)),
        ej_limit_ms=ej_limits,
        ej_window_ms=ej_window,
        ej_limit_addition_installer_ms=max(
            0, min(ej_window - active_limit, era.ej_limit_addition_installer_ms)
        ),
        ej_limit_addition_special_ms=max(
            0, min(ej_window - active_limit, era.ej_limit_addition_special_ms)
        ),
        ej_top_app_time_chunk_size_ms=min(15 * MINUTE, max(1, era.ej_top_app_time_chunk_size_ms)),
        ej_reward_top_app_ms=min(15 * MINUTE, max(10_000, era.ej_reward_top_app_ms)),
        ej_reward_interaction_ms=min(15 * MINUTE, max(5_000, era.ej_reward_interaction_ms)),
        ej_reward_notification_seen_ms=min(
            5 * MINUTE, max(0, era.ej_reward_notification_seen_ms)
        ),
        ej_grace_period_temp_allowlist_ms=min(
            HOUR, max(0, era.ej_grace_period_temp_allowlist_ms)
        ),
        ej_grace_period_top_app_ms=min(HOUR, max(0, era.ej_grace_period_top_app_ms)),
    )


def quota_era(api_level: int) -> QuotaEra | None:
    """The QuotaController constants of a release, None before QuotaController (Android 10)."""
    if api_level < 29:
        return None
    if api_level == 29:
        return QUOTA_ERAS["Q"]
    if api_level == 30:
        return QUOTA_ERAS["R"]
    if api_level <= 32:
        return QUOTA_ERAS["S"]
    if api_level <= 35:
        return QUOTA_ERAS["T"]
    return QUOTA_ERAS["B"]


@dataclass(frozen=True)
class HeartbeatEra:
    """Android 9 standby throttling (JobSchedulerService.Constants): a job of an app in bucket B
    waits until ``STANDBY_BEATS[B]`` heartbeats of ``STANDBY_HEARTBEAT_TIME`` have passed since
    the app's jobs last ran; NEVER (index 4, past the array) never runs; parole while charging."""

    heartbeat_ms: int = 11 * MINUTE
    beats: tuple[int, ...] = (0, 11, 43, 130)


# ---------------------------------------------------------------------------------- bookkeeping
@dataclass
class TimingSession:
    """QuotaController.TimingSession: a stretch of time with background jobs running."""

    start: int
    end: int
    bg_job_count: int


@dataclass
class ExecutionStats:
    execution_time_in_window: int = 0
    bg_job_count_in_window: int = 0
    session_count_in_window: int = 0
    execution_time_in_max_period: int = 0
    job_count_in_rate_window: int = 0
    session_count_in_rate_window: int = 0


@dataclass
class _Timer:
    """QuotaController.Timer: open while tracked background jobs run."""

    running: set[tuple[str, int]] = field(default_factory=set)
    start: int | None = None
    bg_job_count: int = 0


@dataclass
class PackageQuota:
    sessions: list[TimingSession] = field(default_factory=list)
    ej_sessions: list[TimingSession] = field(default_factory=list)
    job_starts: list[int] = field(default_factory=list)  # for the rate-limiting window
    session_starts: list[int] = field(default_factory=list)
    reg: _Timer = field(default_factory=_Timer)
    ej: _Timer = field(default_factory=_Timer)


class QuotaTracker:
    """The per-package sessions QuotaController keeps (in memory: lost at reboot)."""

    def __init__(self, era: QuotaEra) -> None:
        self.default_era = era
        self.era = era  # what the quota rules use (clamped)
        self.configured = era  # what ``device_config`` set, as the dump prints it
        self.packages: dict[str, PackageQuota] = {}
        # mTopAppGraceCache / mTempAllowlistGraceCache (Android 12+): until when an app that
        # left the top, or the temp allowlist, still has its expedited jobs exempted.
        self.top_grace_end: dict[str, int] = {}
        self.temp_grace_end: dict[str, int] = {}

    def configure(self, values: dict[str, str]) -> None:
        """Apply the ``jobscheduler`` DeviceConfig flags over this release's defaults (a
        deleted flag falls back to its default, as QcConstants re-reads every key)."""
        self.configured = configured_era(self.default_era, values)
        self.era = effective_era(self.configured)

    def pkg(self, package: str) -> PackageQuota:
        return self.packages.setdefault(package, PackageQuota())

    # ------------------------------------------------------------------ EJ grace periods
    def left_top(self, package: str, now: int) -> int:
        """QcHandler MSG_UID_PROCESS_STATE_CHANGED: a uid that was TOP and no longer is keeps
        its EJ exemption for EJ_GRACE_PERIOD_TOP_APP_MS. Returns the grace's length."""
        grace = self.era.ej_grace_period_top_app_ms
        self.top_grace_end[package] = now + grace
        return grace

    def became_top(self, package: str) -> None:
        self.top_grace_end.pop(package, None)

    def left_temp_allowlist(self, package: str, now: int) -> int:
        """TempAllowlistTracker.onAppRemoved: EJ_GRACE_PERIOD_TEMP_ALLOWLIST_MS of grace.
        Returns the grace's length."""
        grace = self.era.ej_grace_period_temp_allowlist_ms
        self.temp_grace_end[package] = now + grace
        return grace

    def ej_exempt(self, package: str, bucket: int, now: int, temp: bool, top: bool) -> bool:
        """hasTempAllowlistExemptionLocked (not for RESTRICTED or NEVER apps) or the top-app
        exemption (TOP now, or within its grace): isWithinEJQuotaLocked's and the EJ Timer's
        (shouldTrackLocked) exemptions."""
        if bucket not in (RESTRICTED_INDEX, NEVER_INDEX) and (
            temp or now < self.temp_grace_end.get(package, 0)
        ):
            return True
        return top or now < self.top_grace_end.get(package, 0)

    # ------------------------------------------------------------------ timers
    def job_started(
        self,
        package: str,
        key: tuple[str, int],
        now: int,
        expedited: bool,
        track_regular: bool,
        track_ej: bool,
    ) -> None:
        """prepareForExecutionLocked -> Timer.startTrackingJobLocked: every job started outside
        TOP joins the regular timer, an expedited one the EJ timer too; while the timer tracks
        (not charging, not foreground) the job counts (mBgJobCount, the rate-limit count)."""
        q = self.pkg(package)
        for timer, joins, track in ((q.reg, True, track_regular), (q.ej, expedited, track_ej)):
            if not joins:
                continue
            timer.running.add(key)
            if not track:
                continue
            if timer.start is None:
                timer.start = now
                timer.bg_job_count = 0
                if timer is q.reg:
                    self._note_session_start(q, now)
            timer.bg_job_count += 1
            if timer is q.reg:
                q.job_starts.append(now)

    def job_stopped(self, package: str, key: tuple[str, int], now: int) -> None:
        q = self.pkg(package)
        for timer, sessions in ((q.reg, q.sessions), (q.ej, q.ej_sessions)):
            timer.running.discard(key)
            if not timer.running and timer.start is not None:
                self._emit(q, timer, sessions, now)

    def update_tracking(self, package: str, now: int, track_regular: bool, track_ej: bool) -> None:
        """Timer.onStateChangedLocked: open a session when tracking starts, close it when
        quota becomes free (charging, foreground, top, temp allowlist)."""
        q = self.pkg(package)
        for timer, sessions, track in (
            (q.reg, q.sessions, track_regular),
            (q.ej, q.ej_sessions, track_ej),
        ):
            should_run = track and bool(timer.running)
            if should_run and timer.start is None:
                timer.start = now
                timer.bg_job_count = len(timer.running)
                if timer is q.reg:
                    self._note_session_start(q, now)
            elif not should_run and timer.start is not None:
                self._emit(q, timer, sessions, now)

    def _note_session_start(self, q: PackageQuota, now: int) -> None:
        last_end = q.sessions[-1].end if q.sessions else None
        if last_end is None or now - last_end > self.era.timing_session_coalescing_duration_ms:
            q.session_starts.append(now)

    @staticmethod
    def _emit(q: PackageQuota, timer: _Timer, sessions: list[TimingSession], now: int) -> None:
        assert timer.start is not None
        sessions.append(TimingSession(timer.start, now, max(1, timer.bg_job_count)))
        timer.start = None
        timer.bg_job_count = 0

    def reset(self, package: str) -> None:
        """clearAppStatsLocked (``reset-execution-quota``): sessions and counters go."""
        q = self.pkg(package)
        q.sessions.clear()
        q.ej_sessions.clear()
        q.job_starts.clear()
        q.session_starts.clear()
        for timer in (q.reg, q.ej):
            timer.start = None
            timer.bg_job_count = 0

    def forget(self, package: str) -> None:
        self.packages.pop(package, None)
        self.top_grace_end.pop(package, None)
        self.temp_grace_end.pop(package, None)

    # ------------------------------------------------------------------ statistics
    def _all_sessions(
        self, q: PackageQuota, timer: _Timer, sessions: list[TimingSession], now: int
    ):
        out = list(sessions)
        if timer.start is not None:
            out.append(TimingSession(timer.start, now, max(1, timer.bg_job_count)))
        return out

    def stats(self, package: str, bucket: int, at: int, now: int | None = None) -> ExecutionStats:
        """updateExecutionStatsLocked at time ``at`` (>= now: assuming nothing else runs)."""
        era = self.era
        now = at if now is None else now
        q = self.pkg(package)
        stats = ExecutionStats()
        window = era.window_ms[bucket]
        start_window = at - window
        start_max = at - DAY
        last_start: int | None = None
        for s in reversed(self._all_sessions(q, q.reg, q.sessions, now)):
            if start_window < s.end:
                begin = max(s.start, start_window)
                stats.execution_time_in_window += min(s.end, at) - begin
                stats.bg_job_count_in_window += s.bg_job_count
                coalesce = (
                    last_start is not None
                    and last_start - s.end <= era.timing_session_coalescing_duration_ms
                )
                if not coalesce:
                    stats.session_count_in_window += 1
            if start_max < s.end:
                stats.execution_time_in_max_period += min(s.end, at) - max(s.start, start_max)
            last_start = s.start
        rate_start = at - era.rate_limiting_window_ms
        stats.job_count_in_rate_window = sum(1 for t in q.job_starts if t > rate_start)
        stats.session_count_in_rate_window = sum(1 for t in q.session_starts if t > rate_start)
        return stats

    def remaining_ms(self, package: str, bucket: int, now: int, running: bool) -> int:
        """getRemainingExecutionTimeLocked for a job about to start (leaving the in-quota
        buffer), or the time until quota is consumed for a running one; ACTIVE (window equal to
        the allowed time) is limited only by the 24 h maximum, as getTimeUntilQuotaConsumed
        says ("the app jobs can essentially run until they reach the maximum limit")."""
        era = self.era
        stats = self.stats(package, bucket, now)
        buffer = 0 if running else era.in_quota_buffer_ms
        max_left = era.max_execution_time_ms - buffer - stats.execution_time_in_max_period
        allowed = era.allowed_time_ms[bucket]
        if running and era.window_ms[bucket] <= allowed:
            return max_left
        return min(allowed - buffer - stats.execution_time_in_window, max_left)

    def within_quota(self, package: str, bucket: int, now: int, running: bool) -> bool:
        """isWithinQuotaLocked(userId, package, bucket) without the charging/NEVER checks."""
        era = self.era
        stats = self.stats(package, bucket, now)
        if self.remaining_ms(package, bucket, now, running) <= 0:
            return False
        if running:
            return True  # counts are checked when a job starts
        under_jobs = (
            stats.job_count_in_rate_window < era.max_job_count_per_rate_limiting_window
            and stats.bg_job_count_in_window < era.max_job_count[bucket]
        )
        under_sessions = (
            stats.session_count_in_rate_window < era.max_session_count_per_rate_limiting_window
            and stats.session_count_in_window < era.max_session_count[bucket]
        )
        return under_jobs and under_sessions

    def in_quota_time(self, package: str, bucket: int, now: int) -> int | None:
        """When the package is next within quota if nothing else runs (the in-quota alarm);
        None if never (an open session keeps consuming)."""
        q = self.pkg(package)
        if q.reg.start is not None:
            return None
        if self.within_quota(package, bucket, now, running=False):
            return now
        horizon = now + max(self.era.window_ms[bucket], DAY, self.era.rate_limiting_window_ms) + 1

        def ok(t: int) -> bool:
            return self._within_at(package, bucket, t, now)

        if not ok(horizon):
            return None
        lo, hi = now, horizon
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid
        return hi

    def _within_at(self, package: str, bucket: int, at: int, now: int) -> bool:
        era = self.era
        stats = self.stats(package, bucket, at, now)
        remaining = min(
            era.allowed_time_ms[bucket] - era.in_quota_buffer_ms - stats.execution_time_in_window,
            era.max_execution_time_ms - era.in_quota_buffer_ms - stats.execution_time_in_max_period,
        )
        return (
            remaining > 0
            and stats.job_count_in_rate_window < era.max_job_count_per_rate_limiting_window
            and stats.bg_job_count_in_window < era.max_job_count[bucket]
            and stats.session_count_in_rate_window < era.max_session_count_per_rate_limiting_window
            and stats.session_count_in_window < era.max_session_count[bucket]
        )

    # ------------------------------------------------------------------ expedited jobs
    def ej_limit_ms(self, bucket: int) -> int:
        return self.era.ej_limit_ms.get(bucket, 0)

    def ej_used_ms(self, package: str, now: int) -> int:
        q = self.pkg(package)
        start = now - self.era.ej_window_ms
        return sum(
            max(0, min(s.end, now) - max(s.start, start))
            for s in self._all_sessions(q, q.ej, q.ej_sessions, now)
        )

    def remaining_ej_ms(self, package: str, bucket: int, now: int) -> int:
        """getRemainingEJExecutionTimeLocked (rewards for top time and interactions are not
        modelled)."""
        return self.ej_limit_ms(bucket) - self.ej_used_ms(package, now)

    def ej_back_in_quota_time(self, package: str, bucket: int, now: int) -> int | None:
        """When enough EJ time leaves the 24 h window for the EJ quota to be positive again."""
        q = self.pkg(package)
        if q.ej.start is not None or self.ej_limit_ms(bucket) <= 0:
            return None
        lo, hi = now, now + self.era.ej_window_ms + 1
        if self.ej_limit_ms(bucket) - self._ej_used_at(q, hi) <= 0:
            return None
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.ej_limit_ms(bucket) - self._ej_used_at(q, mid) > 0:
                hi = mid
            else:
                lo = mid
        return hi

    def _ej_used_at(self, q: PackageQuota, at: int) -> int:
        start = at - self.era.ej_window_ms
        return sum(max(0, min(s.end, at) - max(s.start, start)) for s in q.ej_sessions)
