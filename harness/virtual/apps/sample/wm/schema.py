"""WorkManager's Room database: file, tables, enum integers and constants.

The tables are those of Room's schema 22 of ``androidx.work.impl.WorkDatabase``
(work/work-runtime/src/schemas/androidx.work.impl.WorkDatabase/22.json: the version with
``required_network_request`` and without ``trace_tag``; WorkDatabase.kt declares version 22 with
the RescheduleMigration 21->22), created as Room creates them, with ``room_master_table`` and
its identity hash, and ``android_metadata`` as every framework SQLiteDatabase has it.
"""

from __future__ import annotations

import sqlite3

# WorkDatabasePathHelper: noBackupFilesDir/androidx.work.workdb on API 23+.
DATABASE = "no_backup/androidx.work.workdb"
ROOM_VERSION = 22
IDENTITY_HASH = "347835753abee7989f767d3ba5a5a2dd"

# WorkTypeConverters.StateIds / WorkInfo.State
ENQUEUED, RUNNING, SUCCEEDED, FAILED, BLOCKED, CANCELLED = range(6)
STATE_NAMES = ("ENQUEUED", "RUNNING", "SUCCEEDED", "FAILED", "BLOCKED", "CANCELLED")
FINISHED = (SUCCEEDED, FAILED, CANCELLED)  # COMPLETED_STATES
COMPLETED_STATES = "(2, 3, 5)"
# WorkTypeConverters: BackoffPolicy, NetworkType, OutOfQuotaPolicy
EXPONENTIAL, LINEAR = 0, 1
NOT_REQUIRED, CONNECTED, UNMETERED, NOT_ROAMING, METERED, TEMPORARILY_UNMETERED = range(6)
RUN_AS_NON_EXPEDITED_WORK_REQUEST, DROP_WORK_REQUEST = 0, 1

# WorkInfo.STOP_REASON_* (the JobParameters values, plus WorkManager's two own ones).
STOP_REASON_NOT_STOPPED = -256
STOP_REASON_UNKNOWN = -512
STOP_REASON_CANCELLED_BY_APP = 1
STOP_REASON_TIMEOUT = 3
STOP_REASON_CONSTRAINT_BATTERY_NOT_LOW = 5
STOP_REASON_CONSTRAINT_CHARGING = 6
STOP_REASON_CONSTRAINT_CONNECTIVITY = 7
STOP_REASON_CONSTRAINT_STORAGE_NOT_LOW = 9

LONG_MAX = 2**63 - 1
SCHEDULE_NOT_REQUESTED_YET = -1  # WorkSpec.SCHEDULE_NOT_REQUESTED_YET
NOT_ENQUEUED = -1
# WorkRequest / PeriodicWorkRequest constants
DEFAULT_BACKOFF_DELAY_MILLIS = 30_000
MIN_BACKOFF_MILLIS = 10_000
MAX_BACKOFF_MILLIS = 5 * 60 * 60 * 1000
MIN_PERIODIC_INTERVAL_MILLIS = 15 * 60 * 1000
MIN_PERIODIC_FLEX_MILLIS = 5 * 60 * 1000
OVERWRITING_INPUT_MERGER = "androidx.work.OverwritingInputMerger"
# Configuration: default maxSchedulerLimit (MIN_SCHEDULER_LIMIT) and Scheduler's greedy limit.
MAX_SCHEDULER_LIMIT = 20
MAX_GREEDY_SCHEDULER_LIMIT = 200
PRUNE_THRESHOLD_MILLIS = 24 * 60 * 60 * 1000  # CleanupCallback: one day

# PreferenceUtils / IdGenerator keys of the Preference table.
NEXT_JOB_SCHEDULER_ID = "next_job_scheduler_id"
LAST_CANCEL_ALL_TIME = "last_cancel_all_time_ms"
RESCHEDULE_NEEDED = "reschedule_needed"
LAST_FORCE_STOP = "last_force_stop_ms"

_TABLES = [
    "CREATE TABLE IF NOT EXISTS `Dependency` (`work_spec_id` TEXT NOT NULL, `prerequisite_id` "
    "TEXT NOT NULL, PRIMARY KEY(`work_spec_id`, `prerequisite_id`), FOREIGN KEY(`work_spec_id`) "
    "REFERENCES `WorkSpec`(`id`) ON UPDATE CASCADE ON DELETE CASCADE , FOREIGN "
    "KEY(`prerequisite_id`) REFERENCES `WorkSpec`(`id`) ON UPDATE CASCADE ON DELETE CASCADE )",
    "CREATE INDEX IF NOT EXISTS `index_Dependency_work_spec_id` ON `Dependency` (`work_spec_id`)",
    "CREATE INDEX IF NOT EXISTS `index_Dependency_prerequisite_id` ON `Dependency` "
    "(`prerequisite_id`)",
    "CREATE TABLE IF NOT EXISTS `WorkSpec` (`id` TEXT NOT NULL, `state` INTEGER NOT NULL, "
    "`worker_class_name` TEXT NOT NULL, `input_merger_class_name` TEXT NOT NULL, `input` BLOB "
    "NOT NULL, `output` BLOB NOT NULL, `initial_delay` INTEGER NOT NULL, `interval_duration` "
    "INTEGER NOT NULL, `flex_duration` INTEGER NOT NULL, `run_attempt_count` INTEGER NOT NULL, "
    "`backoff_policy` INTEGER NOT NULL, `backoff_delay_duration` INTEGER NOT NULL, "
    "`last_enqueue_time` INTEGER NOT NULL DEFAULT -1, `minimum_retention_duration` INTEGER NOT "
    "NULL, `schedule_requested_at` INTEGER NOT NULL, `run_in_foreground` INTEGER NOT NULL, "
    "`out_of_quota_policy` INTEGER NOT NULL, `period_count` INTEGER NOT NULL DEFAULT 0, "
    "`generation` INTEGER NOT NULL DEFAULT 0, `next_schedule_time_override` INTEGER NOT NULL "
    "DEFAULT 9223372036854775807, `next_schedule_time_override_generation` INTEGER NOT NULL "
    "DEFAULT 0, `stop_reason` INTEGER NOT NULL DEFAULT -256, `required_network_type` INTEGER "
    "NOT NULL, `required_network_request` BLOB NOT NULL DEFAULT x'', `requires_charging` "
    "INTEGER NOT NULL, `requires_device_idle` INTEGER NOT NULL, `requires_battery_not_low` "
    "INTEGER NOT NULL, `requires_storage_not_low` INTEGER NOT NULL, "
    "`trigger_content_update_delay` INTEGER NOT NULL, `trigger_max_content_delay` INTEGER NOT "
    "NULL, `content_uri_triggers` BLOB NOT NULL, PRIMARY KEY(`id`))",
    "CREATE INDEX IF NOT EXISTS `index_WorkSpec_schedule_requested_at` ON `WorkSpec` "
    "(`schedule_requested_at`)",
    "CREATE INDEX IF NOT EXISTS `index_WorkSpec_last_enqueue_time` ON `WorkSpec` "
    "(`last_enqueue_time`)",
    "CREATE TABLE IF NOT EXISTS `WorkTag` (`tag` TEXT NOT NULL, `work_spec_id` TEXT NOT NULL, "
    "PRIMARY KEY(`tag`, `work_spec_id`), FOREIGN KEY(`work_spec_id`) REFERENCES `WorkSpec`(`id`) "
    "ON UPDATE CASCADE ON DELETE CASCADE )",
    "CREATE INDEX IF NOT EXISTS `index_WorkTag_work_spec_id` ON `WorkTag` (`work_spec_id`)",
    "CREATE TABLE IF NOT EXISTS `SystemIdInfo` (`work_spec_id` TEXT NOT NULL, `generation` "
    "INTEGER NOT NULL DEFAULT 0, `system_id` INTEGER NOT NULL, PRIMARY KEY(`work_spec_id`, "
    "`generation`), FOREIGN KEY(`work_spec_id`) REFERENCES `WorkSpec`(`id`) ON UPDATE CASCADE "
    "ON DELETE CASCADE )",
    "CREATE TABLE IF NOT EXISTS `WorkName` (`name` TEXT NOT NULL, `work_spec_id` TEXT NOT NULL, "
    "PRIMARY KEY(`name`, `work_spec_id`), FOREIGN KEY(`work_spec_id`) REFERENCES `WorkSpec`(`id`) "
    "ON UPDATE CASCADE ON DELETE CASCADE )",
    "CREATE INDEX IF NOT EXISTS `index_WorkName_work_spec_id` ON `WorkName` (`work_spec_id`)",
    "CREATE TABLE IF NOT EXISTS `WorkProgress` (`work_spec_id` TEXT NOT NULL, `progress` BLOB "
    "NOT NULL, PRIMARY KEY(`work_spec_id`), FOREIGN KEY(`work_spec_id`) REFERENCES "
    "`WorkSpec`(`id`) ON UPDATE CASCADE ON DELETE CASCADE )",
    "CREATE TABLE IF NOT EXISTS `Preference` (`key` TEXT NOT NULL, `long_value` INTEGER, "
    "PRIMARY KEY(`key`))",
    "CREATE TABLE IF NOT EXISTS room_master_table (id INTEGER PRIMARY KEY,identity_hash TEXT)",
    f"INSERT OR REPLACE INTO room_master_table (id,identity_hash) VALUES(42, '{IDENTITY_HASH}')",
]


def create(conn: sqlite3.Connection) -> None:
    """RoomOpenHelper.onCreate: the tables, then the version (inside the caller's transaction)."""
    conn.execute("CREATE TABLE IF NOT EXISTS android_metadata (locale TEXT)")
    conn.execute("INSERT INTO android_metadata VALUES ('en_US')")
    for sql in _TABLES:
        conn.execute(sql)
    conn.execute(f"PRAGMA user_version={ROOM_VERSION}")


def prune(conn: sqlite3.Connection, now_wall_ms: int) -> None:
    """CleanupCallback.onOpen: delete finished work whose retention ran out a day ago and that
    no unfinished work depends on."""
    conn.execute(
        f"DELETE FROM workspec WHERE state IN {COMPLETED_STATES} AND "
        "(last_enqueue_time + minimum_retention_duration) < ? AND "
        "(SELECT COUNT(*)=0 FROM dependency WHERE prerequisite_id=id AND work_spec_id NOT IN "
        f"(SELECT id FROM workspec WHERE state IN {COMPLETED_STATES}))",
        (now_wall_ms - PRUNE_THRESHOLD_MILLIS,),
    )
