"""The power-save whitelists of DeviceIdleController (Doze exemptions).

Four package lists, each an ``ArrayMap<String, appId>`` on the phone, so every listing walks them
in ``String.hashCode`` order (:func:`arraymap_order`):

- system except-idle (``<allow-in-power-save-except-idle>`` plus every ``<allow-in-power-save>``
  package of SystemConfig, and packages added by ``except-idle-whitelist +pkg``);
- system (``<allow-in-power-save>``), minus what ``sys-whitelist -pkg`` removed;
- user (``whitelist +pkg``, Settings > Battery optimization);
- removed from system.

Only the user list and the removed-from-system list persist (``/data/system/deviceidle.xml``:
``<wl n=pkg/>`` and ``<un-wl n=pkg/>``), see :class:`DeviceIdleConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.system.javafmt import arraymap_order

if TYPE_CHECKING:
    from harness.virtual.system.packages import PackageManagerService

PER_USER_RANGE = 100_000

# SystemConfig of an AOSP-based API 33 device as its dump shows it, limited to packages every
# virtual device installs (DeviceIdleController.onStart skips packages the PackageManager does
# not know, MATCH_SYSTEM_ONLY).
SYSTEM_ALLOW_IN_POWER_SAVE_EXCEPT_IDLE = (
    "com.android.providers.contacts",
    "com.android.proxyhandler",
)
SYSTEM_ALLOW_IN_POWER_SAVE = (
    "com.android.providers.calendar",
    "com.android.providers.downloads",
    "com.android.shell",
    "com.android.emergency",
)


def app_id(uid: int) -> int:
    """UserHandle.getAppId."""
    return uid % PER_USER_RANGE


@dataclass
class DeviceIdleConfig:
    """What ``/data/system/deviceidle.xml`` holds: the only whitelist state that survives reboot."""

    user: list[str] = field(default_factory=list)  # <wl n="pkg"/>
    removed_system: list[str] = field(default_factory=list)  # <un-wl n="pkg"/>


class PowerSaveWhitelist:
    def __init__(self, pm: PackageManagerService) -> None:
        self._pm = pm
        self.except_idle: dict[str, int] = {}
        self.user_except_idle: set[str] = set()
        self.system: dict[str, int] = {}
        self.user: dict[str, int] = {}
        self.removed_system: dict[str, int] = {}

    # ------------------------------------------------------------------ boot
    def load_system(self) -> None:
        # DeviceIdleController.onStart: except-idle entries, then full entries into both maps.
        for name in SYSTEM_ALLOW_IN_POWER_SAVE_EXCEPT_IDLE:
            pkg = self._pm.get(name)
            if pkg is not None and pkg.system:
                self.except_idle[name] = app_id(pkg.uid)
        for name in SYSTEM_ALLOW_IN_POWER_SAVE:
            pkg = self._pm.get(name)
            if pkg is not None and pkg.system:
                self.except_idle[name] = app_id(pkg.uid)
                self.system[name] = app_id(pkg.uid)

    def load_config(self, config: DeviceIdleConfig) -> None:
        # DeviceIdleController.readConfigFileLocked: <wl> of unknown packages are dropped; <un-wl>
        # only applies to packages still in the system list.
        self.user.clear()
        for name in config.user:
            uid = self._uid(name)
            if uid is not None:
                self.user[name] = app_id(uid)
        for name in config.removed_system:
            if name in self.system:
                self.removed_system[name] = self.system.pop(name)

    def to_config(self) -> DeviceIdleConfig:
        # DeviceIdleController.writeConfigFileLocked walks both ArrayMaps.
        return DeviceIdleConfig(
            user=arraymap_order(self.user), removed_system=arraymap_order(self.removed_system)
        )

    def _uid(self, name: str) -> int | None:
        pkg = self._pm.get(name)
        return None if pkg is None else pkg.uid

    # ------------------------------------------------------------------ user list
    def add_user(self, name: str) -> bool:
        """addPowerSaveWhitelistAppsInternal: False for an unknown package (MATCH_ANY_USER)."""
        uid = self._uid(name)
        if uid is None:
            return False
        self.user[name] = app_id(uid)
        return True

    def remove_user(self, name: str) -> bool:
        return self.user.pop(name, None) is not None

    # ------------------------------------------------------------------ except-idle list
    def add_except_idle(self, name: str) -> tuple[bool, bool]:
        """addPowerSaveWhitelistExceptIdleInternal: (known package, newly added)."""
        uid = self._uid(name)
        if uid is None:
            return False, False
        if name in self.except_idle:
            return True, False
        self.except_idle[name] = app_id(uid)
        self.user_except_idle.add(name)
        return True, True

    def reset_except_idle(self) -> bool:
        """resetPowerSaveWhitelistExceptIdleInternal: drop what the shell added."""
        changed = False
        for name in self.user_except_idle:
            changed |= self.except_idle.pop(name, None) is not None
        self.user_except_idle.clear()
        return changed

    # ------------------------------------------------------------------ system list
    def remove_system(self, name: str) -> bool:
        if name not in self.system:
            return False
        self.removed_system[name] = self.system.pop(name)
        return True

    def restore_system(self, name: str) -> bool:
        if name not in self.removed_system:
            return False
        self.system[name] = self.removed_system.pop(name)
        return True

    def reset_system(self) -> None:
        self.system.update(self.removed_system)
        self.removed_system.clear()

    # ------------------------------------------------------------------ queries
    def is_whitelisted(self, name: str) -> bool:
        """isPowerSaveWhitelistAppInternal: system or user list."""
        return name in self.system or name in self.user

    def is_except_idle_whitelisted(self, name: str) -> bool:
        """isPowerSaveWhitelistExceptIdleAppInternal: except-idle or user list."""
        return name in self.except_idle or name in self.user

    def except_idle_app_ids(self) -> list[int]:
        # updateWhitelistAppIdsLocked: buildAppIdArray(except-idle, user) -> SparseBooleanArray.
        return sorted(set(self.except_idle.values()) | set(self.user.values()))

    def all_app_ids(self) -> list[int]:
        return sorted(set(self.system.values()) | set(self.user.values()))

    def user_app_ids(self) -> list[int]:
        return sorted(set(self.user.values()))

    @staticmethod
    def ordered(entries: dict[str, int]) -> list[tuple[str, int]]:
        return [(name, entries[name]) for name in arraymap_order(entries)]
