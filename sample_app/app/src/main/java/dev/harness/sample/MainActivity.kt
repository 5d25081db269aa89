package dev.harness.sample

import android.app.Activity
import android.graphics.Typeface
import android.os.Build
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.view.View
import android.view.WindowInsets
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import java.util.concurrent.Executors

/**
 * A minimal screen: the app's last events, newest first, refreshed while it is visible.
 *
 * Launching it takes the app out of the stopped state; the harness also brings it up for
 * `start_foreground_service` with `from: foreground` ([ForegroundGate]).
 */
class MainActivity : Activity() {

    private val handler = Handler(Looper.getMainLooper())
    private val reader = Executors.newSingleThreadExecutor()
    private lateinit var events: TextView

    private val refresher = object : Runnable {
        override fun run() {
            refresh()
            handler.postDelayed(this, REFRESH_MS)
        }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val padding = (12 * resources.displayMetrics.density).toInt()
        val title = TextView(this).apply {
            text = getString(R.string.events_title)
            textSize = 18f
            setPadding(padding, padding, padding, padding / 2)
        }
        events = TextView(this).apply {
            typeface = Typeface.MONOSPACE
            textSize = 11f
            setTextIsSelectable(true)
            setPadding(padding, 0, padding, padding)
        }
        val column = LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            addView(title)
            addView(events)
        }
        val root = ScrollView(this).apply { addView(column) }
        // Android 15 draws apps targeting API 35 edge to edge: keep the text off the system bars.
        root.setOnApplyWindowInsetsListener { view, insets ->
            applySystemBarPadding(view, insets)
            insets
        }
        setContentView(root)
    }

    override fun onResume() {
        super.onResume()
        ForegroundGate.onResumed()
        handler.post(refresher)
    }

    override fun onPause() {
        handler.removeCallbacks(refresher)
        ForegroundGate.onPaused()
        super.onPause()
    }

    override fun onDestroy() {
        reader.shutdown()
        super.onDestroy()
    }

    private fun refresh() {
        reader.execute {
            val text = try {
                val rows = EventLog.get(this).recent(MAX_ROWS)
                if (rows.isEmpty()) {
                    getString(R.string.no_events)
                } else {
                    rows.joinToString("\n") { row ->
                        "#${row.optLong(Contract.COL_SEQ)} ${row.optString(Contract.COL_SOURCE)}/" +
                            "${row.optString(Contract.COL_EVENT)} ${row.optString(Contract.COL_NAME)} " +
                            row.optString(Contract.COL_DETAIL)
                    }
                }
            } catch (e: RuntimeException) {
                "cannot read the event log: ${e.message}"
            }
            runOnUiThread { events.text = text }
        }
    }

    private fun applySystemBarPadding(view: View, insets: WindowInsets) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            val bars = insets.getInsets(WindowInsets.Type.systemBars())
            view.setPadding(bars.left, bars.top, bars.right, bars.bottom)
        } else {
            @Suppress("DEPRECATION")
            view.setPadding(
                insets.systemWindowInsetLeft,
                insets.systemWindowInsetTop,
                insets.systemWindowInsetRight,
                insets.systemWindowInsetBottom,
            )
        }
    }

    private companion object {
        const val REFRESH_MS = 2_000L
        const val MAX_ROWS = 100
    }
}
