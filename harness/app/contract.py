"""The sample app contract's names, as the Python driver speaks them.

Mirrors ``sample_app/CONTRACT.md`` and the Kotlin constants in
``sample_app/app/src/main/java/dev/harness/sample/Contract.kt``; a test compares all three.
"""

from __future__ import annotations

CONTRACT_VERSION = 1
PACKAGE = "dev.harness.sample"
AUTHORITY = "dev.harness.sample.control"
CONTROL_URI = f"content://{AUTHORITY}"
EVENTS_URI = f"content://{AUTHORITY}/events"
GUARD_PERMISSION = "android.permission.DUMP"
LOG_TAG = "HarnessSample"
MAIN_ACTIVITY = "dev.harness.sample.MainActivity"
EVENT_DATABASE = "databases/harness_events.db"
RESULT_KEY = "result"

METHODS = (
    "ping",
    "state",
    "enqueue_work",
    "enqueue_chain",
    "cancel_work",
    "schedule_job",
    "cancel_job",
    "start_inprocess_work",
    "schedule_alarm",
    "cancel_alarm",
    "start_foreground_service",
    "stop_foreground_service",
    "reset",
)

EVENT_COLUMNS = (
    "seq",
    "name",
    "source",
    "event",
    "wall_ms",
    "elapsed_ms",
    "boot_count",
    "pid",
    "deep_idle",
    "light_idle",
    "power_save",
    "standby_bucket",
    "charging",
    "network",
    "detail",
)

SOURCES = ("workmanager", "jobscheduler", "alarm", "service", "inprocess", "app")

EVENTS = (
    "process_start",
    "boot_completed",
    "enqueued",
    "scheduled",
    "schedule_failed",
    "started",
    "finished",
    "retry",
    "failed",
    "stopped",
    "cancelled",
    "fired",
    "fgs_started",
    "fgs_stopped",
    "refused",
    "timeout",
)

# Components the manifest must declare (fully qualified).
PROVIDER_CLASS = "dev.harness.sample.ControlProvider"
JOB_SERVICE_CLASS = "dev.harness.sample.SampleJobService"
FOREGROUND_SERVICE_CLASS = "dev.harness.sample.SampleForegroundService"
BOOT_RECEIVER_CLASS = "dev.harness.sample.BootReceiver"
ALARM_RECEIVER_CLASS = "dev.harness.sample.AlarmReceiver"
FOREGROUND_SERVICE_TYPES = ("dataSync", "specialUse", "shortService")

PERMISSIONS = (
    "android.permission.RECEIVE_BOOT_COMPLETED",
    "android.permission.WAKE_LOCK",
    "android.permission.ACCESS_NETWORK_STATE",
    "android.permission.FOREGROUND_SERVICE",
    "android.permission.FOREGROUND_SERVICE_DATA_SYNC",
    "android.permission.FOREGROUND_SERVICE_SPECIAL_USE",
    "android.permission.POST_NOTIFICATIONS",
    "android.permission.SCHEDULE_EXACT_ALARM",
)

# JobScheduler ids: the app's own jobs use 1000-1999; WorkManager is configured with
# setJobSchedulerJobIdRange(-1, 999) (it refuses ranges of fewer than 1000 ids).
APP_JOB_ID_MIN = 1000
APP_JOB_ID_MAX = 1999
WORKMANAGER_JOB_ID_MIN = -1
WORKMANAGER_JOB_ID_MAX = 999
