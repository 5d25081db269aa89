"""Foreground-service rules: the types and their permissions, the exceptions an app sees, the
timeouts, and the start-allow reason names.

Sources: ServiceInfo (type bits and labels), ForegroundServiceTypePolicy (the permission of
each type and its "any of" prerequisites, AOSP Android 14), ActiveServices /
ActivityManagerConstants (messages and timeouts), PowerExemptionManager.reasonCodeToString, and
the Android 12/14/15 behaviour pages (``android-background-behavior.md`` §6).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.virtual.system.job_info import IllegalStateException

MINUTE = 60_000
HOUR = 60 * MINUTE

# ServiceInfo.FOREGROUND_SERVICE_TYPE_MANIFEST / _NONE: what startForeground(id, n) and
# startForeground(id, n, 0) pass.
FOREGROUND_SERVICE_TYPE_MANIFEST = -1
FOREGROUND_SERVICE_TYPE_NONE = 0
FGS_DATA_SYNC = 0x1
FGS_SHORT_SERVICE = 0x800
FGS_MEDIA_PROCESSING = 0x2000
FOREGROUND_SERVICE = "android.permission.FOREGROUND_SERVICE"

# Android 12+: ActivityManagerConstants.mFgsStartForegroundTimeoutMs (10 s); Android 8-11:
# ActiveServices.SERVICE_START_FOREGROUND_TIMEOUT (5 s).
START_FOREGROUND_TIMEOUT_MS = 10_000
START_FOREGROUND_TIMEOUT_LEGACY_MS = 5_000
# Android 14 shortService: DEFAULT_SHORT_FGS_TIMEOUT_DURATION 3 min, then the ANR
# DEFAULT_SHORT_FGS_ANR_EXTRA_WAIT_DURATION 10 s later.
SHORT_FGS_TIMEOUT_MS = 3 * MINUTE
SHORT_FGS_ANR_EXTRA_MS = 10_000
SHORT_FGS_PROC_STATE_EXTRA_MS = 5_000
# Android 15: dataSync / mediaProcessing may run 6 h in any 24 h (per type, per app); after
# onTimeout the service has "a few seconds" (fgs_crash_extra_wait_duration, 10 s) to stop.
FGS_TIME_LIMIT_MS = 6 * HOUR
FGS_TIME_LIMIT_WINDOW_MS = 24 * HOUR
FGS_CRASH_EXTRA_WAIT_MS = 10_000
TIME_LIMITED_TYPES = (FGS_DATA_SYNC, FGS_MEDIA_PROCESSING)
# ActiveServices.FGS_BOOT_COMPLETED_ALLOWLIST (Android 15, targets 35+): the types that may
# still start from a BOOT_COMPLETED receiver.
FGS_BOOT_COMPLETED_ALLOWLIST = 0x8 | 0x10 | 0x200 | 0x100 | 0x400 | 0x40000000
# ActivityManagerConstants.BACKGROUND_SETTLE_TIME: a uid stays "active" for a minute after it
# leaves the foreground (UidRecord idle), which the Android 8 background-service limit reads.
BACKGROUND_SETTLE_MS = 60_000
# Android 12+: ActivityManagerConstants.mFgToBgFgsGraceDuration (DEFAULT_FG_TO_BG_FGS_GRACE_DURATION
# 5 s): an app may still start a foreground service this long after its activity stopped being
# visible (ActiveServices.shouldAllowFgsStartForegroundNoBindingCheckLocked, lastInvisibleTime).
FG_TO_BG_FGS_GRACE_MS = 5_000
# ActivityManagerConstants.mBootTimeTempAllowlistDuration (the Android 13 dump: 20000).
BOOT_TEMP_ALLOWLIST_MS = 20_000

# Start-allow reason names (PowerExemptionManager.reasonCodeToString).
DENIED = "DENIED"
PROC_STATE_TOP = "PROC_STATE_TOP"
PROC_STATE_FGS = "PROC_STATE_FGS"
SYSTEM_UID = "SYSTEM_UID"
ALLOWLISTED_PACKAGE = "ALLOWLISTED_PACKAGE"
BOOT_COMPLETED = "BOOT_COMPLETED"
ACTIVITY_VISIBILITY_GRACE_PERIOD = "ACTIVITY_VISIBILITY_GRACE_PERIOD"


@dataclass(frozen=True)
class FgsType:
    """One ForegroundServiceTypePolicyInfo: the type's permission ("all of") and, for some, the
    runtime prerequisites ("any of"); ``foreground_only`` marks while-in-use permissions."""

    label: str
    bit: int
    all_of: tuple[str, ...]
    any_of: tuple[str, ...] = ()
    min_api: int = 29
    foreground_only: bool = False


def _perm(name: str) -> str:
    return f"android.permission.{name}"


FGS_TYPES = {
    t.bit: t
    for t in (
        FgsType("dataSync", 0x1, (_perm("FOREGROUND_SERVICE_DATA_SYNC"),)),
        FgsType("mediaPlayback", 0x2, (_perm("FOREGROUND_SERVICE_MEDIA_PLAYBACK"),)),
        FgsType(
            "phoneCall", 0x4, (_perm("FOREGROUND_SERVICE_PHONE_CALL"),),
            (_perm("MANAGE_OWN_CALLS"),),
        ),
        FgsType(
            "location", 0x8, (_perm("FOREGROUND_SERVICE_LOCATION"),),
            (_perm("ACCESS_COARSE_LOCATION"), _perm("ACCESS_FINE_LOCATION")),
            foreground_only=True,
        ),
        FgsType(
            "connectedDevice", 0x10, (_perm("FOREGROUND_SERVICE_CONNECTED_DEVICE"),),
            (_perm("BLUETOOTH_CONNECT"), _perm("CHANGE_NETWORK_STATE"),
             _perm("CHANGE_WIFI_STATE"), _perm("CHANGE_WIFI_MULTICAST_STATE"), _perm("NFC"),
             _perm("TRANSMIT_IR"), "USB Device", "USB Accessory"),
        ),
        FgsType(
            "mediaProjection", 0x20, (_perm("FOREGROUND_SERVICE_MEDIA_PROJECTION"),),
            (_perm("CAPTURE_VIDEO_OUTPUT"), "android:project_media"),
        ),
        FgsType(
            "camera", 0x40, (_perm("FOREGROUND_SERVICE_CAMERA"),),
            (_perm("CAMERA"), _perm("SYSTEM_CAMERA")), foreground_only=True,
        ),
        FgsType(
            "microphone", 0x80, (_perm("FOREGROUND_SERVICE_MICROPHONE"),),
            (_perm("CAPTURE_AUDIO_HOTWORD"), _perm("CAPTURE_AUDIO_OUTPUT"),
             _perm("CAPTURE_MEDIA_OUTPUT"), _perm("CAPTURE_TUNER_AUDIO_INPUT"),
             _perm("CAPTURE_VOICE_COMMUNICATION_OUTPUT"), _perm("RECORD_AUDIO")),
            foreground_only=True,
        ),
        FgsType(
            "health", 0x100, (_perm("FOREGROUND_SERVICE_HEALTH"),),
            (_perm("ACTIVITY_RECOGNITION"), _perm("BODY_SENSORS"),
             _perm("HIGH_SAMPLING_RATE_SENSORS")),
            min_api=34,
        ),
        FgsType(
            "remoteMessaging", 0x200, (_perm("FOREGROUND_SERVICE_REMOTE_MESSAGING"),),
            min_api=34,
        ),
        FgsType(
            "systemExempted", 0x400, (_perm("FOREGROUND_SERVICE_SYSTEM_EXEMPTED"),),
            (_perm("SCHEDULE_EXACT_ALARM"), _perm("USE_EXACT_ALARM"), "android:activate_vpn",
             "android:activate_platform_vpn"),
            min_api=34,
        ),
        FgsType("shortService", 0x800, (), min_api=34),
        FgsType(
            "mediaProcessing", 0x2000, (_perm("FOREGROUND_SERVICE_MEDIA_PROCESSING"),),
            min_api=35,
        ),
        FgsType(
            "specialUse", 0x40000000, (_perm("FOREGROUND_SERVICE_SPECIAL_USE"),), min_api=34
        ),
    )
}  # fmt: skip


def type_label(types: int) -> str:
    """ServiceInfo.foregroundServiceTypeToLabel."""
    if types == FOREGROUND_SERVICE_TYPE_MANIFEST:
        return "manifest"
    if types == FOREGROUND_SERVICE_TYPE_NONE:
        return "none"
    names = [t.label for bit, t in sorted(FGS_TYPES.items()) if types & bit]
    rest = types & ~sum(FGS_TYPES)
    if rest:
        names.append(f"0x{rest:x}")
    return "|".join(names)


def type_bits(types: int) -> list[int]:
    return [bit for bit in sorted(FGS_TYPES) if types & bit]


def permission_string(fgs: FgsType, api_level: int) -> str:
    """ForegroundServiceTypePolicyInfo.toPermissionString (with its trailing space), and the
    note on while-in-use permissions that ActiveServices appends."""
    text = ""
    if fgs.all_of:
        text += f"all of the permissions allOf=true [{', '.join(fgs.all_of)}] "
    if fgs.any_of:
        text += f"any of the permissions allOf=false [{', '.join(fgs.any_of)}] "
    if fgs.foreground_only and api_level >= 34:
        text += (
            " and the app must be in the eligible state/exemptions to access the foreground only"
            " permission"
        )
    return text


class ServiceStartNotAllowedException(IllegalStateException):
    java_class = "android.app.ServiceStartNotAllowedException"


class ForegroundServiceStartNotAllowedException(ServiceStartNotAllowedException):
    java_class = "android.app.ForegroundServiceStartNotAllowedException"


class ForegroundServiceTypeException(ServiceStartNotAllowedException):
    java_class = "android.app.ForegroundServiceTypeException"


class MissingForegroundServiceTypeException(ForegroundServiceTypeException):
    java_class = "android.app.MissingForegroundServiceTypeException"


class InvalidForegroundServiceTypeException(ForegroundServiceTypeException):
    java_class = "android.app.InvalidForegroundServiceTypeException"
