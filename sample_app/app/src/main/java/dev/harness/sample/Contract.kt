package dev.harness.sample

/**
 * The names of the sample app contract (`sample_app/CONTRACT.md`, contract version 1).
 *
 * The harness's driver (`harness/app/contract.py`) and the virtual device's model of the app use
 * the same names. `tests/static/test_contract_names.py` reads CONTRACT.md, this file and the
 * Python constants and fails when one of them differs, so change all three together.
 */
object Contract {
    const val CONTRACT_VERSION = 1

    // Identity
    const val PACKAGE = "dev.harness.sample"
    const val AUTHORITY = "dev.harness.sample.control"
    const val CONTROL_URI = "content://dev.harness.sample.control"
    const val EVENTS_URI = "content://dev.harness.sample.control/events"
    const val EVENTS_PATH = "events"
    const val GUARD_PERMISSION = "android.permission.DUMP"
    const val LOG_TAG = "HarnessSample"
    const val MAIN_ACTIVITY = "dev.harness.sample.MainActivity"
    const val EVENT_DATABASE = "databases/harness_events.db"
    const val EVENT_DATABASE_NAME = "harness_events.db"
    const val EVENT_TABLE = "events"
    const val RESULT_KEY = "result"

    // Control methods (ContentProvider.call)
    const val METHOD_PING = "ping"
    const val METHOD_STATE = "state"
    const val METHOD_ENQUEUE_WORK = "enqueue_work"
    const val METHOD_ENQUEUE_CHAIN = "enqueue_chain"
    const val METHOD_CANCEL_WORK = "cancel_work"
    const val METHOD_SCHEDULE_JOB = "schedule_job"
    const val METHOD_CANCEL_JOB = "cancel_job"
    const val METHOD_START_INPROCESS_WORK = "start_inprocess_work"
    const val METHOD_SCHEDULE_ALARM = "schedule_alarm"
    const val METHOD_CANCEL_ALARM = "cancel_alarm"
    const val METHOD_START_FOREGROUND_SERVICE = "start_foreground_service"
    const val METHOD_STOP_FOREGROUND_SERVICE = "stop_foreground_service"
    const val METHOD_RESET = "reset"

    val METHODS: List<String> = listOf(
        METHOD_PING,
        METHOD_STATE,
        METHOD_ENQUEUE_WORK,
        METHOD_ENQUEUE_CHAIN,
        METHOD_CANCEL_WORK,
        METHOD_SCHEDULE_JOB,
        METHOD_CANCEL_JOB,
        METHOD_START_INPROCESS_WORK,
        METHOD_SCHEDULE_ALARM,
        METHOD_CANCEL_ALARM,
        METHOD_START_FOREGROUND_SERVICE,
        METHOD_STOP_FOREGROUND_SERVICE,
        METHOD_RESET,
    )

    // Event log columns, in table order (detail is the last column)
    const val COL_SEQ = "seq"
    const val COL_NAME = "name"
    const val COL_SOURCE = "source"
    const val COL_EVENT = "event"
    const val COL_WALL_MS = "wall_ms"
    const val COL_ELAPSED_MS = "elapsed_ms"
    const val COL_BOOT_COUNT = "boot_count"
    const val COL_PID = "pid"
    const val COL_DEEP_IDLE = "deep_idle"
    const val COL_LIGHT_IDLE = "light_idle"
    const val COL_POWER_SAVE = "power_save"
    const val COL_STANDBY_BUCKET = "standby_bucket"
    const val COL_CHARGING = "charging"
    const val COL_NETWORK = "network"
    const val COL_DETAIL = "detail"

    val EVENT_COLUMNS: List<String> = listOf(
        COL_SEQ,
        COL_NAME,
        COL_SOURCE,
        COL_EVENT,
        COL_WALL_MS,
        COL_ELAPSED_MS,
        COL_BOOT_COUNT,
        COL_PID,
        COL_DEEP_IDLE,
        COL_LIGHT_IDLE,
        COL_POWER_SAVE,
        COL_STANDBY_BUCKET,
        COL_CHARGING,
        COL_NETWORK,
        COL_DETAIL,
    )

    // Event sources
    const val SOURCE_WORKMANAGER = "workmanager"
    const val SOURCE_JOBSCHEDULER = "jobscheduler"
    const val SOURCE_ALARM = "alarm"
    const val SOURCE_SERVICE = "service"
    const val SOURCE_INPROCESS = "inprocess"
    const val SOURCE_APP = "app"

    val SOURCES: List<String> = listOf(
        SOURCE_WORKMANAGER,
        SOURCE_JOBSCHEDULER,
        SOURCE_ALARM,
        SOURCE_SERVICE,
        SOURCE_INPROCESS,
        SOURCE_APP,
    )

    // Events
    const val EVENT_PROCESS_START = "process_start"
    const val EVENT_BOOT_COMPLETED = "boot_completed"
    const val EVENT_ENQUEUED = "enqueued"
    const val EVENT_SCHEDULED = "scheduled"
    const val EVENT_SCHEDULE_FAILED = "schedule_failed"
    const val EVENT_STARTED = "started"
    const val EVENT_FINISHED = "finished"
    const val EVENT_RETRY = "retry"
    const val EVENT_FAILED = "failed"
    const val EVENT_STOPPED = "stopped"
    const val EVENT_CANCELLED = "cancelled"
    const val EVENT_FIRED = "fired"
    const val EVENT_FGS_STARTED = "fgs_started"
    const val EVENT_FGS_STOPPED = "fgs_stopped"
    const val EVENT_REFUSED = "refused"
    const val EVENT_TIMEOUT = "timeout"

    val EVENTS: List<String> = listOf(
        EVENT_PROCESS_START,
        EVENT_BOOT_COMPLETED,
        EVENT_ENQUEUED,
        EVENT_SCHEDULED,
        EVENT_SCHEDULE_FAILED,
        EVENT_STARTED,
        EVENT_FINISHED,
        EVENT_RETRY,
        EVENT_FAILED,
        EVENT_STOPPED,
        EVENT_CANCELLED,
        EVENT_FIRED,
        EVENT_FGS_STARTED,
        EVENT_FGS_STOPPED,
        EVENT_REFUSED,
        EVENT_TIMEOUT,
    )

    // Error codes of failed results ({"ok": false, "error": CODE, "message": ...})
    const val ERROR_UNKNOWN_METHOD = "unknown_method"
    const val ERROR_BAD_ARGUMENTS = "bad_arguments"
    const val ERROR_SECURITY_EXCEPTION = "security_exception"
    const val ERROR_START_NOT_ALLOWED = "start_not_allowed"
    const val ERROR_MISSING_TYPE = "missing_type"
    const val ERROR_ILLEGAL_ARGUMENT = "illegal_argument"
    const val ERROR_NO_ANSWER = "no_answer"
    const val ERROR_INTERNAL = "internal_error"

    // Components the manifest declares (fully qualified)
    const val PROVIDER_CLASS = "dev.harness.sample.ControlProvider"
    const val JOB_SERVICE_CLASS = "dev.harness.sample.SampleJobService"
    const val FOREGROUND_SERVICE_CLASS = "dev.harness.sample.SampleForegroundService"
    const val BOOT_RECEIVER_CLASS = "dev.harness.sample.BootReceiver"
    const val ALARM_RECEIVER_CLASS = "dev.harness.sample.AlarmReceiver"

    // Foreground service types SampleForegroundService declares
    const val FGS_TYPE_DATA_SYNC = "dataSync"
    const val FGS_TYPE_SPECIAL_USE = "specialUse"
    const val FGS_TYPE_SHORT_SERVICE = "shortService"

    val FOREGROUND_SERVICE_TYPES: List<String> = listOf(
        FGS_TYPE_DATA_SYNC,
        FGS_TYPE_SPECIAL_USE,
        FGS_TYPE_SHORT_SERVICE,
    )

    // JobScheduler ids: the app's own jobs use 1000-1999, WorkManager's stay at or below 999.
    const val APP_JOB_ID_MIN = 1000
    const val APP_JOB_ID_MAX = 1999
    const val WORKMANAGER_JOB_ID_MAX = 999

    // Values of the network column
    const val NETWORK_NONE = "none"
    const val NETWORK_WIFI = "wifi"
    const val NETWORK_CELLULAR = "cellular"
    const val NETWORK_ETHERNET = "ethernet"
    const val NETWORK_OTHER = "other"
}
