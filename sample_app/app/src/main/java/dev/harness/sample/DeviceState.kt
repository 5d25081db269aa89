package dev.harness.sample

import android.app.ActivityManager
import android.app.AlarmManager
import android.app.NotificationManager
import android.app.usage.UsageStatsManager
import android.content.Context
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import android.os.BatteryManager
import android.os.Build
import android.os.PowerManager
import android.provider.Settings
import org.json.JSONObject

/**
 * The device state the event log records with every event (the state columns of the contract).
 *
 * Each value is read from the platform at the moment of the event, so a test can assert, for
 * example, that work with a charging constraint ran while `charging = 1`.
 */
data class DeviceState(
    /** `PowerManager.isDeviceIdleMode()`: deep Doze. */
    val deepIdle: Boolean,
    /** `PowerManager.isDeviceLightIdleMode()` on API 33+; false before (no public API). */
    val lightIdle: Boolean,
    /** `PowerManager.isPowerSaveMode()`: battery saver. */
    val powerSave: Boolean,
    /**
     * `UsageStatsManager.getAppStandbyBucket()` (10 active, 20 working set, 30 frequent, 40 rare,
     * 45 restricted, 5 exempted) on API 28+; [BUCKET_UNKNOWN] on API 26-27, which have no buckets.
     */
    val standbyBucket: Int,
    /** `BatteryManager.isCharging()`. */
    val charging: Boolean,
    /** The transport of the active network: none, wifi, cellular, ethernet or other. */
    val network: String,
) {
    companion object {
        /** Standby bucket reported before API 28 (no app standby buckets). */
        const val BUCKET_UNKNOWN = 0

        fun read(context: Context): DeviceState {
            val power = context.getSystemService(PowerManager::class.java)
            val lightIdle = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
                power.isDeviceLightIdleMode
            } else {
                false
            }
            val bucket = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
                context.getSystemService(UsageStatsManager::class.java).appStandbyBucket
            } else {
                BUCKET_UNKNOWN
            }
            val battery = context.getSystemService(BatteryManager::class.java)
            return DeviceState(
                deepIdle = power.isDeviceIdleMode,
                lightIdle = lightIdle,
                powerSave = power.isPowerSaveMode,
                standbyBucket = bucket,
                charging = battery.isCharging,
                network = activeNetworkTransport(context),
            )
        }

        /** The transport of the network the app would use now (`none` when it has none). */
        fun activeNetworkTransport(context: Context): String {
            val connectivity = context.getSystemService(ConnectivityManager::class.java)
            val network = connectivity.activeNetwork ?: return Contract.NETWORK_NONE
            val caps = connectivity.getNetworkCapabilities(network) ?: return Contract.NETWORK_NONE
            return when {
                caps.hasTransport(NetworkCapabilities.TRANSPORT_WIFI) -> Contract.NETWORK_WIFI
                caps.hasTransport(NetworkCapabilities.TRANSPORT_CELLULAR) -> Contract.NETWORK_CELLULAR
                caps.hasTransport(NetworkCapabilities.TRANSPORT_ETHERNET) -> Contract.NETWORK_ETHERNET
                else -> Contract.NETWORK_OTHER
            }
        }

        /** `Settings.Global.BOOT_COUNT`, or -1 when the setting is absent. */
        fun bootCount(context: Context): Int =
            Settings.Global.getInt(context.contentResolver, Settings.Global.BOOT_COUNT, -1)

        /** Whether exact alarms may be set: `canScheduleExactAlarms()` on API 31+, always before. */
        fun exactAlarmAllowed(context: Context): Boolean {
            if (Build.VERSION.SDK_INT < Build.VERSION_CODES.S) return true
            return context.getSystemService(AlarmManager::class.java).canScheduleExactAlarms()
        }

        /**
         * The `state` object of the `ping` and `state` methods: the event columns plus what the
         * harness prepares (exact alarms, notifications, battery optimizations, restriction).
         */
        fun stateJson(context: Context): JSONObject {
            val state = read(context)
            val power = context.getSystemService(PowerManager::class.java)
            val notifications = context.getSystemService(NotificationManager::class.java)
            val restricted = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
                context.getSystemService(ActivityManager::class.java).isBackgroundRestricted
            } else {
                false
            }
            return JSONObject()
                .put("deep_idle", state.deepIdle)
                .put("light_idle", state.lightIdle)
                .put("power_save", state.powerSave)
                .put("standby_bucket", state.standbyBucket)
                .put("charging", state.charging)
                .put("network", state.network)
                .put("exact_alarm_allowed", exactAlarmAllowed(context))
                .put("notifications_allowed", notifications.areNotificationsEnabled())
                .put(
                    "ignoring_battery_optimizations",
                    power.isIgnoringBatteryOptimizations(context.packageName),
                )
                .put("background_restricted", restricted)
        }
    }
}
