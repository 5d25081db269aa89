"""SettingsProvider: ``settings get|put|delete|list|reset system|secure|global``.

Settings persist across reboots (they live in settings_*.xml under /data/system/users/0).
Other services react to changes through the ``setting_changed`` event (battery saver's
``low_power``, ``stay_on_while_plugged_in``).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemService, system_service

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

NAMESPACES = ("system", "secure", "global")


def _defaults() -> dict[str, dict[str, str]]:
    return {
        "system": {
            "screen_off_timeout": "60000",
            "screen_brightness": "102",
            "screen_brightness_mode": "1",
            "font_scale": "1.0",
            "accelerometer_rotation": "1",
            "sound_effects_enabled": "1",
            "haptic_feedback_enabled": "1",
        },
        "secure": {
            "android_id": secrets.token_hex(8),
            "user_setup_complete": "1",
            "default_input_method": "com.android.inputmethod.latin/.LatinIME",
            "enabled_input_methods": "com.android.inputmethod.latin/.LatinIME",
            "location_mode": "3",
            "lockscreen.disabled": "0",
            "doze_enabled": "1",
        },
        "global": {
            "adb_enabled": "1",
            "airplane_mode_on": "0",
            "device_provisioned": "1",
            "development_settings_enabled": "1",
            "stay_on_while_plugged_in": "0",
            "wifi_on": "1",
            "mobile_data": "1",
            "auto_time": "1",
            "auto_time_zone": "1",
            "package_verifier_enable": "1",
            "low_power": "0",
            "low_power_sticky": "0",
            "app_standby_enabled": "1",
            "adaptive_battery_management_enabled": "1",
            "window_animation_scale": "1.0",
            "transition_animation_scale": "1.0",
            "animator_duration_scale": "1.0",
            "boot_count": "0",
        },
    }


@system_service
class SettingsService(SystemService):
    names = ("settings",)
    order = 5

    def __init__(self, system):  # type: ignore[no-untyped-def]
        super().__init__(system)
        self.tables = self.device.persistent("settings", _defaults)

    def start(self) -> None:
        # Settings.Global.BOOT_COUNT is incremented by the framework at every boot.
        table = self.tables["global"]
        table["boot_count"] = str(int(table.get("boot_count", "0")) + 1)

    def get(self, namespace: str, key: str) -> str | None:
        return self.tables[namespace].get(key)

    def put(self, namespace: str, key: str, value: str) -> None:
        old = self.tables[namespace].get(key)
        self.tables[namespace][key] = value
        if old != value:
            self.system.bus.publish("setting_changed", namespace=namespace, key=key, value=value)

    def delete(self, namespace: str, key: str) -> bool:
        existed = self.tables[namespace].pop(key, None) is not None
        if existed:
            self.system.bus.publish("setting_changed", namespace=namespace, key=key, value=None)
        return existed

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        it = [a for a in args]
        if "--user" in it:
            idx = it.index("--user")
            del it[idx : idx + 2]
        if not it:
            inv.outln(
                "Settings provider (settings) commands:\n  help\n"
                "  get [--user <USER_ID> | current] NAMESPACE KEY\n"
                "  put [--user <USER_ID> | current] NAMESPACE KEY VALUE [TAG] [default]\n"
                "  delete [--user <USER_ID> | current] NAMESPACE KEY\n"
                "  list [--user <USER_ID> | current] NAMESPACE\n"
                "  reset [--user <USER_ID> | current] NAMESPACE {PACKAGE_NAME | "
                "RESET_MODE}"
            )
            return 0
        verb = it[0]
        if verb not in ("get", "put", "delete", "list", "reset"):
            inv.errln(f"Invalid command: {verb}")
            return 255
        if len(it) < 2 or it[1] not in NAMESPACES:
            inv.errln(f"Invalid namespace: {it[1] if len(it) > 1 else ''}")
            return 255
        ns = it[1]
        if verb == "list":
            for key, value in sorted(self.tables[ns].items()):
                inv.outln(f"{key}={value}")
            return 0
        if verb == "reset":
            return 0
        if len(it) < 3:
            inv.errln("Invalid arguments: missing key")
            return 255
        key = it[2]
        if verb == "get":
            value = self.get(ns, key)
            inv.outln("null" if value is None else value)
        elif verb == "put":
            if len(it) < 4:
                inv.errln("Invalid arguments: missing value")
                return 255
            self.put(ns, key, it[3])
        else:
            inv.outln(f"Deleted {1 if self.delete(ns, key) else 0} rows")
        return 0
