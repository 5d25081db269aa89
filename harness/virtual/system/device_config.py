"""DeviceConfig (API 29+): server-pushed flags by namespace, and ``cmd device_config``.

On a phone the flags live in SettingsProvider's config table (``settings_config.xml``), so they
survive reboots like settings; the shell command is DeviceConfigService.MyShellCommand
(packages/SettingsProvider/.../DeviceConfigService.java). Services read flags through
:meth:`DeviceConfigService.get` (DeviceConfig.getProperty) and hear of changes through the bus
event ``device_config_changed(namespace, key, value)`` (DeviceConfig.OnPropertiesChangedListener;
``value`` is None for a deleted flag).

Nothing syncs flags from a server on the virtual device, so the sync-disabled mode is only
remembered and reported. What the model does not have: ``override``/``clear_override``/
``list_namespaces``/``list_local_overrides`` (newer releases) and aconfig flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemService, system_service

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

# Settings.RESET_MODE_* as ``device_config reset`` names them.
RESET_MODES = ("untrusted_defaults", "untrusted_clear", "trusted_defaults")
# Settings.Config.SYNC_DISABLED_MODE_* names (DeviceConfigService.parseSyncDisabledMode).
SYNC_MODES = ("none", "persistent", "until_reboot")
# DeviceConfigService.PRIVATE_NAMESPACES: left out of ``list`` without a namespace.
PRIVATE_NAMESPACES = ("device_config_overrides", "staged", "token_staged")
SHELL_ERROR = 255  # onCommand's -1 as the shell sees it


@dataclass
class Flag:
    """One flag of the config table: its value, the default ``put ... default`` set, and
    whether a trusted (system) package wrote it. The shell and root are not trusted
    (SettingsState.isSystemPackage: "Shell and Root are not considered a part of the system")."""

    value: str | None
    default: str | None = None
    trusted: bool = False


@dataclass
class DeviceConfigState:
    flags: dict[str, dict[str, Flag]] = field(default_factory=dict)
    sync_disabled_mode: str = "none"


@system_service
class DeviceConfigService(SystemService):
    names = ("device_config",)
    order = 6  # right after settings (5): services read flags in their __init__/start
    min_api = 29  # DeviceConfig arrived in Android 10

    def __init__(self, system):  # type: ignore[no-untyped-def]
        super().__init__(system)
        self.state = self.device.persistent("device_config", DeviceConfigState)
        # SYNC_DISABLED_MODE_UNTIL_REBOOT: "Sync is disabled until the next reboot."
        if self.state.sync_disabled_mode == "until_reboot":
            self.state.sync_disabled_mode = "none"

    # ---------------------------------------------------------------- Python API
    def get(self, namespace: str, key: str) -> str | None:
        """DeviceConfig.getProperty: the value, or None when unset."""
        flag = self.state.flags.get(namespace, {}).get(key)
        return flag.value if flag is not None else None

    def get_int(self, namespace: str, key: str, default: int) -> int:
        """DeviceConfig.getInt/getLong: the default when unset or not a number."""
        value = self.get(namespace, key)
        if value is None:
            return default
        try:
            return int(value.strip())
        except ValueError:
            return default

    def properties(self, namespace: str) -> dict[str, str]:
        """DeviceConfig.getProperties(namespace): every set flag of the namespace."""
        return {
            k: f.value
            for k, f in self.state.flags.get(namespace, {}).items()
            if f.value is not None
        }

    def put(
        self,
        namespace: str,
        key: str,
        value: str | None,
        make_default: bool = False,
        trusted: bool = False,
    ) -> None:
        """DeviceConfig.setProperty (``put NAMESPACE KEY VALUE [default]``)."""
        table = self.state.flags.setdefault(namespace, {})
        flag = table.get(key)
        old = flag.value if flag is not None else None
        if flag is None:
            flag = table[key] = Flag(value)
        flag.value = value
        flag.trusted = trusted
        if make_default:
            flag.default = value
        if old != value:
            self._changed(namespace, key, value)

    def delete(self, namespace: str, key: str) -> bool:
        """Settings.CALL_METHOD_DELETE_CONFIG: True when a row went."""
        table = self.state.flags.get(namespace, {})
        flag = table.pop(key, None)
        if flag is None:
            return False
        if flag.value is not None:
            self._changed(namespace, key, None)
        return True

    def reset(self, mode: str, namespace: str | None = None) -> None:
        """DeviceConfig.resetToDefaults (SettingsProvider.resetSettingsLocked): untrusted
        modes touch flags written by untrusted callers (the shell) only; ``*_defaults`` put
        back the default, ``untrusted_clear`` also deletes flags that have none, and
        ``trusted_defaults`` resets every flag, deleting those without a default."""
        for ns in [namespace] if namespace is not None else list(self.state.flags):
            table = self.state.flags.get(ns, {})
            for key, flag in list(table.items()):
                if mode != "trusted_defaults" and flag.trusted:
                    continue
                if flag.default is not None:
                    if flag.value != flag.default:
                        flag.value = flag.default
                        self._changed(ns, key, flag.value)
                    flag.trusted = False
                elif mode != "untrusted_defaults":
                    self.delete(ns, key)
                # untrusted_defaults without a default keeps the value [UNVERIFIED].

    @property
    def sync_disabled_mode(self) -> str:
        return self.state.sync_disabled_mode

    def set_sync_disabled_mode(self, mode: str) -> None:
        if mode not in SYNC_MODES:
            raise ValueError(mode)
        self.state.sync_disabled_mode = mode

    def _changed(self, namespace: str, key: str, value: str | None) -> None:
        self.system.bus.publish(
            "device_config_changed", namespace=namespace, key=key, value=value
        )

    def _all_lines(self) -> list[str]:
        """MyShellCommand.listAll: ``namespace/key=value``, sorted."""
        return sorted(
            f"{ns}/{key}={value}"
            for ns in self.state.flags
            for key, value in self.properties(ns).items()
        )

    # ---------------------------------------------------------------- shell
    async def dump(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("DeviceConfig flags:")
        for line in self._all_lines():
            inv.outln(line)
        return 0

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        """MyShellCommand.onCommand: parse like the source, then act; errors go to stderr
        and return -1."""
        verb = args[0].lower() if args else None
        if verb in (None, "help", "-h"):
            self._help(inv)
            return SHELL_ERROR
        rest = args[1:]
        verbs = {
            "get": self._get,
            "put": self._put,
            "delete": self._delete,
            "list": self._list,
            "reset": self._reset,
        }
        if self.api_level >= 31:
            # The S+ sync-disabled modes (CTS: testSetSyncDisabledMode_SPlus).
            verbs["set_sync_disabled_for_tests"] = self._set_sync
            verbs["get_sync_disabled_for_tests"] = self._get_sync
        handler = verbs.get(verb)
        if handler is None:
            inv.errln(f"Invalid command: {args[0]}")
            return SHELL_ERROR
        return handler(inv, rest)

    @staticmethod
    def _bad(inv: Invocation, message: str = "Bad arguments") -> int:
        inv.errln(message)
        return SHELL_ERROR

    def _get(self, inv: Invocation, rest: list[str]) -> int:
        if len(rest) > 2:
            return self._bad(inv, "Too many arguments")
        if len(rest) < 2:
            return self._bad(inv)
        value = self.get(rest[0], rest[1])
        inv.outln("null" if value is None else value)
        return 0

    def _put(self, inv: Invocation, rest: list[str]) -> int:
        # PUT NAMESPACE KEY VALUE [default]: a 4th word other than "default" is invalid.
        if len(rest) == 4 and rest[3].lower() == "default":
            make_default = True
        elif len(rest) == 3:
            make_default = False
        elif len(rest) > 4 and rest[3].lower() == "default":
            return self._bad(inv, "Too many arguments")
        else:
            return self._bad(inv)
        self.put(rest[0], rest[1], rest[2], make_default, trusted=inv.uid not in (0, 2000))
        return 0

    def _delete(self, inv: Invocation, rest: list[str]) -> int:
        if len(rest) > 2:
            return self._bad(inv, "Too many arguments")
        if len(rest) < 2:
            return self._bad(inv)
        ns, key = rest
        if self.delete(ns, key):
            inv.outln(f"Successfully deleted {key} from {ns}")
        else:
            inv.outln(f"Failed to delete {key} from {ns}")
        return 0

    def _list(self, inv: Invocation, rest: list[str]) -> int:
        if len(rest) > 1:
            return self._bad(inv, "Too many arguments")
        if rest:
            for key, value in sorted(self.properties(rest[0]).items()):
                inv.outln(f"{key}={value}")
            return 0
        for line in self._all_lines():
            if not line.startswith(PRIVATE_NAMESPACES):
                inv.outln(line)
        return 0

    def _reset(self, inv: Invocation, rest: list[str]) -> int:
        if not rest:
            return self._bad(inv)
        mode = rest[0].lower()
        if mode not in RESET_MODES:
            return self._bad(inv, f"Invalid reset mode: {rest[0]}")
        if len(rest) > 2:
            return self._bad(inv, "Too many arguments")
        self.reset(mode, rest[1] if len(rest) == 2 else None)
        return 0

    def _set_sync(self, inv: Invocation, rest: list[str]) -> int:
        if not rest:
            return self._bad(inv)
        mode = rest[0].lower()
        if mode not in SYNC_MODES:
            return self._bad(inv, f"Invalid sync disabled mode: {rest[0]}")
        if len(rest) > 1:
            return self._bad(inv)
        self.set_sync_disabled_mode(mode)
        return 0

    def _get_sync(self, inv: Invocation, rest: list[str]) -> int:
        if rest:
            return self._bad(inv)
        inv.outln(self.sync_disabled_mode)
        return 0

    def _help(self, inv: Invocation) -> None:
        lines = [
            "Device Config (device_config) commands:",
            "  help",
            "      Print this help text.",
            "  get NAMESPACE KEY",
            "      Retrieve the current value of KEY from the given NAMESPACE.",
            "  put NAMESPACE KEY VALUE [default]",
            "      Change the contents of KEY to VALUE for the given NAMESPACE.",
            "      {default} to set as the default value.",
            "  delete NAMESPACE KEY",
            "      Delete the entry for KEY for the given NAMESPACE.",
            "  list [NAMESPACE]",
            "      Print all keys and values defined, optionally for the given NAMESPACE.",
            "  reset RESET_MODE [NAMESPACE]",
            "      Reset all flag values, optionally for a NAMESPACE, according to RESET_MODE.",
            "      RESET_MODE is one of {untrusted_defaults, untrusted_clear, trusted_defaults}",
            "      NAMESPACE limits which flags are reset if provided, otherwise all flags are"
            " reset",
        ]
        if self.api_level >= 31:
            lines += [
                "  set_sync_disabled_for_tests SYNC_DISABLED_MODE",
                "      Modifies bulk property setting behavior for tests. When in one of the"
                " disabled modes",
                "      this ensures that config isn't overwritten. SYNC_DISABLED_MODE is one of:",
                "        none: Sync is not disabled. A reboot may be required to restart"
                " syncing.",
                "        persistent: Sync is disabled, this state will survive a reboot.",
                "        until_reboot: Sync is disabled until the next reboot.",
                "  get_sync_disabled_for_tests",
                "      Prints one of the SYNC_DISABLED_MODE values, see"
                " set_sync_disabled_for_tests",
            ]
        for line in lines:
            inv.outln(line)
