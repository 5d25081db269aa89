package dev.harness.sample

import android.content.ContentValues
import android.content.Context
import android.database.Cursor
import android.database.sqlite.SQLiteDatabase
import android.database.sqlite.SQLiteOpenHelper
import android.database.sqlite.SQLiteQueryBuilder
import android.os.Build
import android.os.Process
import android.os.SystemClock
import android.util.Log
import org.json.JSONException
import org.json.JSONObject

/**
 * The app's event log: table `events` of `databases/harness_events.db`, mirrored to logcat under
 * the tag `HarnessSample` as one JSON object per line.
 *
 * Every row carries the device state read when the event was recorded ([DeviceState]). `seq` is
 * an AUTOINCREMENT key, so a sequence number is never reused, even after rows are deleted.
 */
class EventLog private constructor(private val context: Context) :
    SQLiteOpenHelper(context, Contract.EVENT_DATABASE_NAME, null, SCHEMA_VERSION) {

    override fun onCreate(db: SQLiteDatabase) {
        db.execSQL(CREATE_EVENTS)
    }

    override fun onUpgrade(db: SQLiteDatabase, oldVersion: Int, newVersion: Int) {
        // Schema version 1 is the only one; a new contract version adds a migration here.
    }

    /** Records one event and returns its `seq`. Safe to call from any thread. */
    fun record(source: String, event: String, name: String = "", detail: JSONObject = JSONObject()): Long {
        val state = DeviceState.read(context)
        val values = ContentValues().apply {
            put(Contract.COL_NAME, name)
            put(Contract.COL_SOURCE, source)
            put(Contract.COL_EVENT, event)
            put(Contract.COL_WALL_MS, System.currentTimeMillis())
            put(Contract.COL_ELAPSED_MS, SystemClock.elapsedRealtime())
            put(Contract.COL_BOOT_COUNT, DeviceState.bootCount(context))
            put(Contract.COL_PID, Process.myPid())
            put(Contract.COL_DEEP_IDLE, if (state.deepIdle) 1 else 0)
            put(Contract.COL_LIGHT_IDLE, if (state.lightIdle) 1 else 0)
            put(Contract.COL_POWER_SAVE, if (state.powerSave) 1 else 0)
            put(Contract.COL_STANDBY_BUCKET, state.standbyBucket)
            put(Contract.COL_CHARGING, if (state.charging) 1 else 0)
            put(Contract.COL_NETWORK, state.network)
            put(Contract.COL_DETAIL, detail.toString())
        }
        val seq = writableDatabase.insertOrThrow(Contract.EVENT_TABLE, null, values)
        Log.i(Contract.LOG_TAG, logLine(seq, values, detail))
        return seq
    }

    /**
     * The rows of `content query --uri content://dev.harness.sample.control/events --where ...`:
     * the contract's columns (or the requested subset), ordered by `seq` unless asked otherwise.
     */
    fun query(
        projection: Array<out String>?,
        selection: String?,
        selectionArgs: Array<out String>?,
        sortOrder: String?,
        limit: String? = null,
    ): Cursor {
        val builder = SQLiteQueryBuilder()
        builder.tables = Contract.EVENT_TABLE
        builder.setStrict(true)
        builder.setProjectionMap(Contract.EVENT_COLUMNS.associateWith { it })
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            builder.setStrictColumns(true)
            builder.setStrictGrammar(true)
        }
        val columns: Array<String> = projection?.map { it }?.toTypedArray()
            ?: Contract.EVENT_COLUMNS.toTypedArray()
        val args: Array<String>? = selectionArgs?.map { it }?.toTypedArray()
        return builder.query(
            readableDatabase,
            columns,
            selection,
            args,
            null,
            null,
            sortOrder ?: "${Contract.COL_SEQ} ASC",
            limit,
        )
    }

    /** The last [limit] events, newest first, one JSON object each (for the main activity). */
    fun recent(limit: Int): List<JSONObject> {
        val rows = mutableListOf<JSONObject>()
        query(null, null, null, "${Contract.COL_SEQ} DESC", limit.toString()).use { cursor ->
            while (cursor.moveToNext()) {
                val row = JSONObject()
                for (column in Contract.EVENT_COLUMNS) {
                    val index = cursor.getColumnIndexOrThrow(column)
                    when (cursor.getType(index)) {
                        Cursor.FIELD_TYPE_INTEGER -> row.put(column, cursor.getLong(index))
                        Cursor.FIELD_TYPE_NULL -> row.put(column, JSONObject.NULL)
                        else -> row.put(column, cursor.getString(index))
                    }
                }
                rows.add(row)
            }
        }
        return rows
    }

    /** The highest `seq` recorded so far (0 when the log is empty). */
    fun lastSeq(): Long =
        readableDatabase.rawQuery("SELECT COALESCE(MAX(${Contract.COL_SEQ}), 0) FROM ${Contract.EVENT_TABLE}", null)
            .use { cursor -> if (cursor.moveToFirst()) cursor.getLong(0) else 0L }

    private fun logLine(seq: Long, values: ContentValues, detail: JSONObject): String {
        val line = JSONObject().put(Contract.COL_SEQ, seq)
        for (column in Contract.EVENT_COLUMNS) {
            if (column == Contract.COL_SEQ || column == Contract.COL_DETAIL) continue
            line.put(column, values.get(column))
        }
        // In logcat the detail is a nested object; in the table it is the same object as text.
        line.put(Contract.COL_DETAIL, detail)
        return line.toString()
    }

    companion object {
        private const val SCHEMA_VERSION = 1

        /** The table, column for column as CONTRACT.md lists them. */
        val CREATE_EVENTS: String = """
            CREATE TABLE ${Contract.EVENT_TABLE} (
                ${Contract.COL_SEQ} INTEGER PRIMARY KEY AUTOINCREMENT,
                ${Contract.COL_NAME} TEXT NOT NULL DEFAULT '',
                ${Contract.COL_SOURCE} TEXT NOT NULL,
                ${Contract.COL_EVENT} TEXT NOT NULL,
                ${Contract.COL_WALL_MS} INTEGER NOT NULL,
                ${Contract.COL_ELAPSED_MS} INTEGER NOT NULL,
                ${Contract.COL_BOOT_COUNT} INTEGER NOT NULL,
                ${Contract.COL_PID} INTEGER NOT NULL,
                ${Contract.COL_DEEP_IDLE} INTEGER NOT NULL,
                ${Contract.COL_LIGHT_IDLE} INTEGER NOT NULL,
                ${Contract.COL_POWER_SAVE} INTEGER NOT NULL,
                ${Contract.COL_STANDBY_BUCKET} INTEGER NOT NULL,
                ${Contract.COL_CHARGING} INTEGER NOT NULL,
                ${Contract.COL_NETWORK} TEXT NOT NULL,
                ${Contract.COL_DETAIL} TEXT NOT NULL DEFAULT '{}'
            )
        """.trimIndent()

        @Volatile
        private var instance: EventLog? = null

        fun get(context: Context): EventLog =
            instance ?: synchronized(this) {
                instance ?: EventLog(context.applicationContext).also { instance = it }
            }

        /** Records an event; never throws (a failed write is logged, the caller goes on). */
        fun record(
            context: Context,
            source: String,
            event: String,
            name: String = "",
            detail: JSONObject = JSONObject(),
        ): Long = try {
            get(context).record(source, event, name, detail)
        } catch (e: RuntimeException) {
            Log.e(Contract.LOG_TAG, "could not record $source/$event for '$name'", e)
            -1L
        }

        /** Parses a JSON object kept as text (a detail, a stored spec); empty when unreadable. */
        fun parseObject(text: String?): JSONObject =
            try {
                if (text.isNullOrEmpty()) JSONObject() else JSONObject(text)
            } catch (e: JSONException) {
                JSONObject()
            }
    }
}
