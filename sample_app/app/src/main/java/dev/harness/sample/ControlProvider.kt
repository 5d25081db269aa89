package dev.harness.sample

import android.content.ContentProvider
import android.content.ContentValues
import android.content.Context
import android.content.UriMatcher
import android.content.pm.PackageManager
import android.database.Cursor
import android.net.Uri
import android.os.Binder
import android.os.Build
import android.os.Bundle
import android.os.Process
import android.util.Log
import org.json.JSONObject

/**
 * The control channel: `content call --uri content://dev.harness.sample.control --method M
 * --arg JSON` and `content query --uri content://dev.harness.sample.control/events --where ...`.
 *
 * Exported but guarded by android.permission.DUMP for reading and writing (manifest), which only
 * the shell and the system hold; [enforceCaller] checks it again, because the platform does not
 * check a provider's permissions for `call()` itself.
 *
 * Every call answers a Bundle with one key, `result`: a JSON object string with `ok`, and
 * `error` and `message` on failure.
 */
class ControlProvider : ContentProvider() {

    private val appContext: Context
        get() = checkNotNull(context) { "ControlProvider used before onCreate" }.applicationContext

    override fun onCreate(): Boolean = true

    override fun call(method: String, arg: String?, extras: Bundle?): Bundle {
        enforceCaller()
        val result = dispatch(method, arg)
        return Bundle().apply { putString(Contract.RESULT_KEY, result.toString()) }
    }

    /** Runs one contract method; every failure becomes a result, never an exception. */
    private fun dispatch(method: String, arg: String?): JSONObject {
        if (method !in Contract.METHODS) return unknownMethod(method)
        val context = appContext
        // The work below is the app's own (alarms, jobs, services), not the caller's.
        val identity = Binder.clearCallingIdentity()
        return try {
            val args = Args.parse(arg)
            when (method) {
                Contract.METHOD_PING -> ping(context)
                Contract.METHOD_STATE -> Results.ok("state" to DeviceState.stateJson(context))
                Contract.METHOD_ENQUEUE_WORK -> WorkControl(context).enqueueWork(args)
                Contract.METHOD_ENQUEUE_CHAIN -> WorkControl(context).enqueueChain(args)
                Contract.METHOD_CANCEL_WORK -> WorkControl(context).cancelWork(args)
                Contract.METHOD_SCHEDULE_JOB -> JobControl(context).scheduleJob(args)
                Contract.METHOD_CANCEL_JOB -> JobControl(context).cancelJob(args)
                Contract.METHOD_START_INPROCESS_WORK -> InProcessWork.start(context, args)
                Contract.METHOD_SCHEDULE_ALARM -> AlarmControl(context).scheduleAlarm(args)
                Contract.METHOD_CANCEL_ALARM -> AlarmControl(context).cancelAlarm(args)
                Contract.METHOD_START_FOREGROUND_SERVICE -> ServiceControl(context).start(args)
                Contract.METHOD_STOP_FOREGROUND_SERVICE -> ServiceControl(context).stop(args)
                Contract.METHOD_RESET -> reset(context)
                else -> unknownMethod(method)
            }
        } catch (e: BadArguments) {
            Results.error(Contract.ERROR_BAD_ARGUMENTS, e.message)
        } catch (e: Exception) {
            Log.e(Contract.LOG_TAG, "control method '$method' failed", e)
            Results.error(Contract.ERROR_INTERNAL, "${e.javaClass.name}: ${e.message}")
        } finally {
            Binder.restoreCallingIdentity(identity)
        }
    }

    private fun unknownMethod(method: String): JSONObject =
        Results.error(
            Contract.ERROR_UNKNOWN_METHOD,
            "unknown method '$method'; known: ${Contract.METHODS.joinToString()}",
        )

    /** `ping`: identity, versions, boot count, process and device state. */
    private fun ping(context: Context): JSONObject {
        val packageManager = context.packageManager
        val info = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            packageManager.getPackageInfo(context.packageName, PackageManager.PackageInfoFlags.of(0))
        } else {
            packageManager.getPackageInfo(context.packageName, 0)
        }
        val versionCode = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            info.longVersionCode
        } else {
            @Suppress("DEPRECATION")
            info.versionCode.toLong()
        }
        return Results.ok(
            "contract_version" to Contract.CONTRACT_VERSION,
            "package" to context.packageName,
            "version_code" to versionCode,
            "api_level" to Build.VERSION.SDK_INT,
            "target_sdk" to context.applicationInfo.targetSdkVersion,
            "boot_count" to DeviceState.bootCount(context),
            "pid" to Process.myPid(),
            "process_start_elapsed_ms" to Process.getStartElapsedRealtime(),
            "state" to DeviceState.stateJson(context),
        )
    }

    /** `reset`: cancels everything the app scheduled; one failing kind does not stop the rest. */
    private fun reset(context: Context): JSONObject {
        val counts = JSONObject()
        val errors = JSONObject()
        val kinds: List<Pair<String, () -> Int>> = listOf(
            "work" to { WorkControl(context).cancelAll() },
            "jobs" to { JobControl(context).cancelAll() },
            "alarms" to { AlarmControl(context).cancelAll() },
            "services" to { ServiceControl(context).stopAll() },
            "inprocess" to { InProcessWork.cancelAll() },
        )
        for ((kind, cancel) in kinds) {
            try {
                counts.put(kind, cancel())
            } catch (e: Exception) {
                Log.e(Contract.LOG_TAG, "reset: could not cancel $kind", e)
                errors.put(kind, "${e.javaClass.name}: ${e.message}")
            }
        }
        val result = Results.ok()
        for (key in counts.keys()) result.put(key, counts.get(key))
        if (errors.length() > 0) result.put("errors", errors)
        return result
    }

    override fun query(
        uri: Uri,
        projection: Array<out String>?,
        selection: String?,
        selectionArgs: Array<out String>?,
        sortOrder: String?,
    ): Cursor {
        enforceCaller()
        require(MATCHER.match(uri) == EVENTS) { "unknown URI $uri; the events are at ${Contract.EVENTS_URI}" }
        return EventLog.get(appContext).query(projection, selection, selectionArgs, sortOrder)
    }

    override fun getType(uri: Uri): String? =
        if (MATCHER.match(uri) == EVENTS) "vnd.android.cursor.dir/vnd.${Contract.AUTHORITY}.event" else null

    override fun insert(uri: Uri, values: ContentValues?): Uri? =
        throw UnsupportedOperationException("the event log is written by the app only")

    override fun delete(uri: Uri, selection: String?, selectionArgs: Array<out String>?): Int =
        throw UnsupportedOperationException("the event log is append-only")

    override fun update(uri: Uri, values: ContentValues?, selection: String?, selectionArgs: Array<out String>?): Int =
        throw UnsupportedOperationException("the event log is append-only")

    /** Only the app itself and callers holding android.permission.DUMP (the shell) get in. */
    private fun enforceCaller() {
        if (Binder.getCallingUid() == Process.myUid()) return
        if (appContext.checkCallingPermission(Contract.GUARD_PERMISSION) != PackageManager.PERMISSION_GRANTED) {
            throw SecurityException("${Contract.AUTHORITY} requires ${Contract.GUARD_PERMISSION}")
        }
    }

    private companion object {
        const val EVENTS = 1
        val MATCHER = UriMatcher(UriMatcher.NO_MATCH).apply {
            addURI(Contract.AUTHORITY, Contract.EVENTS_PATH, EVENTS)
        }
    }
}
