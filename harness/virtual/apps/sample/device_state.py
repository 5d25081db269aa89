"""The device state the event log records with every event (the app's ``DeviceState.kt``).

Each value is what the app's platform call returns at that moment, read from the virtual
device's services the way the framework answers the call:

- ``deep_idle`` / ``light_idle``: PowerManager.isDeviceIdleMode / isDeviceLightIdleMode (API 33+;
  false before), the modes DeviceIdleController sets in PowerManagerService.
- ``power_save``: PowerManager.isPowerSaveMode.
- ``standby_bucket``: UsageStatsManager.getAppStandbyBucket (API 28+; 0 before, no buckets).
- ``charging``: BatteryManager.isCharging, which returns IBatteryStats.isCharging, BatteryStats'
  charging state (plugged and the level rising or at least 90 %), not the battery status.
- ``network``: the transport of the default network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.virtual.system.base import SystemServer

BUCKET_UNKNOWN = 0  # DeviceState.BUCKET_UNKNOWN: API 26-27 have no buckets
NETWORK_NAMES = {"WIFI": "wifi", "CELLULAR": "cellular", "ETHERNET": "ethernet"}
POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
SCHEDULE_EXACT_ALARM = "android.permission.SCHEDULE_EXACT_ALARM"


@dataclass(frozen=True)
class DeviceState:
    deep_idle: bool
    light_idle: bool
    power_save: bool
    standby_bucket: int
    charging: bool
    network: str


def _service(system: SystemServer, module: str, cls: str) -> Any:
    import importlib

    try:
        klass = getattr(importlib.import_module(f"harness.virtual.system.{module}"), cls)
    except (ImportError, AttributeError):
        return None
    return system.maybe_service(klass)


def read(system: SystemServer, package: str) -> DeviceState:
    api = system.device.api_level
    power = _service(system, "power", "PowerManagerService")
    usage = _service(system, "usagestats", "UsageStatsService")
    battery = _service(system, "battery", "BatteryService")
    deep = bool(power.device_idle_mode) if power is not None else False
    light = bool(power.light_device_idle_mode) if power is not None and api >= 33 else False
    bucket = usage.bucket(package) if usage is not None and api >= 28 else BUCKET_UNKNOWN
    charging = bool(battery.stats.charging) if battery is not None else True
    return DeviceState(
        deep_idle=deep,
        light_idle=light,
        power_save=bool(power.battery_saver_enabled) if power is not None else False,
        standby_bucket=int(bucket),
        charging=charging,
        network=network_transport(system),
    )


def network_transport(system: SystemServer) -> str:
    """DeviceState.activeNetworkTransport: the default network's transport, ``none`` without
    one. (The virtual connectivity service does not block an app's network in Doze, so the
    default network is the active one.)"""
    conn = _service(system, "connectivity", "ConnectivityService")
    network = conn.default_network if conn is not None else None
    if network is None:
        return "none"
    return NETWORK_NAMES.get(str(network.transport).upper(), "other")


def boot_count(system: SystemServer) -> int:
    """Settings.Global.BOOT_COUNT, -1 when absent."""
    settings = _service(system, "settings", "SettingsService")
    value = settings.get("global", "boot_count") if settings is not None else None
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1


def state_json(system: SystemServer, package: str) -> dict[str, Any]:
    """The ``state`` object of ``ping`` and ``state`` (DeviceState.stateJson)."""
    state = read(system, package)
    return {
        "deep_idle": state.deep_idle,
        "light_idle": state.light_idle,
        "power_save": state.power_save,
        "standby_bucket": state.standby_bucket,
        "charging": state.charging,
        "network": state.network,
        "exact_alarm_allowed": exact_alarm_allowed(system, package),
        "notifications_allowed": notifications_allowed(system, package),
        "ignoring_battery_optimizations": ignoring_battery_optimizations(system, package),
        "background_restricted": background_restricted(system, package),
    }


def _package(system: SystemServer, package: str) -> Any:
    pm = _service(system, "packages", "PackageManagerService")
    return pm.get(package) if pm is not None else None


def exact_alarm_allowed(system: SystemServer, package: str) -> bool:
    """AlarmManager.canScheduleExactAlarms (API 31+; always before): the alarm service's answer
    when it is modelled, else AlarmManagerService.hasScheduleExactAlarmInternal from the app op:
    allowed, or the default (granted by default before Android 14, denied by default from 14
    for apps targeting 33+, SCHEDULE_EXACT_ALARM_DENIED_BY_DEFAULT)."""
    api = system.device.api_level
    if api < 31:
        return True
    alarms = _service(system, "alarm", "AlarmManagerService")
    can = getattr(alarms, "can_schedule_exact_alarms", None)
    if callable(can):
        return bool(can(package))
    pkg = _package(system, package)
    if pkg is None or not pkg.requests(SCHEDULE_EXACT_ALARM):
        return False
    appops = _service(system, "appops", "AppOpsService")
    try:
        mode = appops.mode(package, "SCHEDULE_EXACT_ALARM") if appops is not None else "default"
    except KeyError:
        mode = "default"
    if mode == "default":
        return not (api >= 34 and pkg.target_sdk >= 33)
    return mode == "allow"


def notifications_allowed(system: SystemServer, package: str) -> bool:
    """NotificationManager.areNotificationsEnabled: from API 33 the POST_NOTIFICATIONS grant."""
    if system.device.api_level < 33:
        return True
    pkg = _package(system, package)
    return bool(pkg is not None and pkg.holds(POST_NOTIFICATIONS))


def ignoring_battery_optimizations(system: SystemServer, package: str) -> bool:
    """PowerManager.isIgnoringBatteryOptimizations: on the Doze power-save whitelist."""
    idle = _service(system, "deviceidle", "DeviceIdleController")
    return bool(idle is not None and idle.is_whitelisted(package))


def background_restricted(system: SystemServer, package: str) -> bool:
    """ActivityManager.isBackgroundRestricted (API 28+): RUN_ANY_IN_BACKGROUND not allowed."""
    if system.device.api_level < 28:
        return False
    appops = _service(system, "appops", "AppOpsService")
    return bool(appops is not None and appops.is_background_restricted(package))
