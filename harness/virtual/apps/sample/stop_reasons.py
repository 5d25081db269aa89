"""Names of the stop reasons in ``stopped`` events (the app's ``StopReasons.kt``): the
JobParameters.STOP_REASON_* values of API 31+, which WorkInfo.STOP_REASON_* mirror, plus
WorkManager's "not stopped" (-256) and "unknown" (-512, what the app records before API 31)."""

from __future__ import annotations

STOP_REASON_NOT_STOPPED = -256
STOP_REASON_UNKNOWN = -512

NAMES = {
    0: "undefined",
    1: "cancelled_by_app",
    2: "preempt",
    3: "timeout",
    4: "device_state",
    5: "constraint_battery_not_low",
    6: "constraint_charging",
    7: "constraint_connectivity",
    8: "constraint_device_idle",
    9: "constraint_storage_not_low",
    10: "quota",
    11: "background_restriction",
    12: "app_standby",
    13: "user",
    14: "system_processing",
    15: "estimated_app_launch_time_changed",
    STOP_REASON_NOT_STOPPED: "not_stopped",
    STOP_REASON_UNKNOWN: "unknown",
}


def stop_reason_name(code: int) -> str:
    return NAMES.get(code, f"reason_{code}")
