"""PackageManagerService: installed packages, their manifests, data directories, stopped state.

``pm`` is ``cmd package``. Installing reads the APK's binary manifest (the components, the
permissions, the target SDK); a file that is not an APK is refused with
``INSTALL_PARSE_FAILED_NOT_APK`` as on Android. Signatures are not verified (out of scope for
the model; noted in the README).

Packages persist across reboots (``/data/system/packages.xml`` on a phone); so does each
package's stopped state (``package-restrictions.xml``): a newly installed app is stopped until it
is launched, and ``am force-stop`` stops it again, which keeps BOOT_COMPLETED and other
implicit broadcasts away from it (PackageManagerService / ActivityManagerService, "stopped
state"). The enabled state of single components lives there too (``<enabled-components>`` /
``<disabled-components>``): :meth:`PackageManagerService.set_component_enabled` is
PackageManager.setComponentEnabledSetting, ``pm enable|disable|disable-user PKG/CLASS`` its
shell form, and a component in the default state is as its manifest says.
"""

from __future__ import annotations

import base64
import os
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.fs import FIRST_APP_UID, FsError
from harness.virtual.shell.streams import read_exactly
from harness.virtual.system.base import SystemService, system_service

if TYPE_CHECKING:
    from harness.apk.manifest import AppManifest
    from harness.virtual.shell.registry import Invocation

# Dangerous permissions that are granted at runtime (`pm grant`, `-g`), per the platform manifest.
RUNTIME_PERMISSIONS = {
    "android.permission.POST_NOTIFICATIONS": 33,
    "android.permission.ACCESS_FINE_LOCATION": 23,
    "android.permission.ACCESS_COARSE_LOCATION": 23,
    "android.permission.ACCESS_BACKGROUND_LOCATION": 29,
    "android.permission.CAMERA": 23,
    "android.permission.RECORD_AUDIO": 23,
    "android.permission.READ_CONTACTS": 23,
    "android.permission.READ_PHONE_STATE": 23,
    "android.permission.BODY_SENSORS": 23,
    "android.permission.ACTIVITY_RECOGNITION": 29,
    "android.permission.READ_EXTERNAL_STORAGE": 23,
    "android.permission.WRITE_EXTERNAL_STORAGE": 23,
    "android.permission.BLUETOOTH_CONNECT": 31,
    "android.permission.NEARBY_WIFI_DEVICES": 33,
}

# Permissions held by the shell user (frameworks/base/packages/Shell/AndroidManifest.xml).
SHELL_PERMISSIONS = frozenset(
    {
        "android.permission.DUMP",
        "android.permission.PACKAGE_USAGE_STATS",
        "android.permission.CHANGE_APP_IDLE_STATE",
        "android.permission.DEVICE_POWER",
        "android.permission.WRITE_SECURE_SETTINGS",
        "android.permission.FORCE_STOP_PACKAGES",
        "android.permission.INTERACT_ACROSS_USERS",
        "android.permission.INTERACT_ACROSS_USERS_FULL",
        "android.permission.MANAGE_APP_OPS_MODES",
        "android.permission.UPDATE_APP_OPS_STATS",
        "android.permission.BATTERY_STATS",
        "android.permission.GET_APP_OPS_STATS",
        "android.permission.REAL_GET_TASKS",
        "android.permission.READ_LOGS",
        "android.permission.WAKE_LOCK",
        "android.permission.RECEIVE_BOOT_COMPLETED",
        "android.permission.SET_ALWAYS_FINISH",
        "android.permission.KILL_BACKGROUND_PROCESSES",
    }
)


@dataclass
class InstalledPackage:
    name: str
    uid: int
    code_path: str
    version_code: int = 1
    version_name: str = "1.0"
    target_sdk: int = 34
    min_sdk: int = 21
    system: bool = False
    debuggable: bool = False
    test_only: bool = False
    installer: str = "null"
    first_install_ms: int = 0
    last_update_ms: int = 0
    enabled: bool = True
    stopped: bool = False
    not_launched: bool = False
    granted: set[str] = field(default_factory=set)
    manifest: AppManifest | None = None
    # Component class -> COMPONENT_ENABLED_STATE_* other than DEFAULT (package-restrictions.xml).
    component_states: dict[str, int] = field(default_factory=dict)

    @property
    def app_id_name(self) -> str:
        """``u0a123`` as JobScheduler and batterystats print app uids."""
        return f"u0a{self.uid - FIRST_APP_UID}" if self.uid >= FIRST_APP_UID else str(self.uid)

    @property
    def apk_path(self) -> str:
        return (
            f"{self.code_path}/base.apk" if not self.code_path.endswith(".apk") else self.code_path
        )

    @property
    def data_dir(self) -> str:
        return f"/data/data/{self.name}"

    def requests(self, permission: str) -> bool:
        return self.manifest is not None and permission in self.manifest.uses_permissions

    def holds(self, permission: str) -> bool:
        """Install-time permissions are held when requested; runtime ones when granted."""
        if self.system:
            return True
        if not self.requests(permission):
            return False
        if permission in RUNTIME_PERMISSIONS:
            return permission in self.granted
        return True


@dataclass
class PackagesState:
    packages: dict[str, InstalledPackage] = field(default_factory=dict)
    next_app_uid: int = FIRST_APP_UID + 150


# name, uid, code path (system packages every device has)
_SYSTEM_PACKAGES = [
    ("android", 1000, "/system/framework/framework-res.apk"),
    ("com.android.shell", 2000, "/system/priv-app/Shell"),
    ("com.android.systemui", 10060, "/system_ext/priv-app/SystemUI"),
    ("com.android.settings", 1000, "/system_ext/priv-app/Settings"),
    ("com.android.providers.settings", 1000, "/system/priv-app/SettingsProvider"),
    ("com.android.launcher3", 10070, "/system_ext/priv-app/Launcher3QuickStep"),
    ("com.android.phone", 1001, "/system/priv-app/TeleService"),
    ("com.android.providers.calendar", 10040, "/system/priv-app/CalendarProvider"),
    ("com.android.providers.downloads", 10041, "/system/priv-app/DownloadProvider"),
    ("com.android.providers.contacts", 10042, "/system/priv-app/ContactsProvider"),
    ("com.android.proxyhandler", 10043, "/system/priv-app/ProxyHandler"),
    ("com.android.emergency", 10044, "/system/priv-app/EmergencyInfo"),
    ("com.android.bluetooth", 1002, "/system/app/Bluetooth"),
    ("com.android.nfc", 1027, "/system/app/NfcNci"),
    ("com.android.webview", 10050, "/product/app/webview"),
]

# PackageManager.COMPONENT_ENABLED_STATE_* and the names ``pm`` prints for them
# (PackageManagerShellCommand.enabledSettingToString).
COMPONENT_ENABLED_STATE_DEFAULT = 0
COMPONENT_ENABLED_STATE_ENABLED = 1
COMPONENT_ENABLED_STATE_DISABLED = 2
COMPONENT_ENABLED_STATE_DISABLED_USER = 3
COMPONENT_ENABLED_STATE_DISABLED_UNTIL_USED = 4
ENABLED_STATE_NAMES = {
    COMPONENT_ENABLED_STATE_DEFAULT: "default",
    COMPONENT_ENABLED_STATE_ENABLED: "enabled",
    COMPONENT_ENABLED_STATE_DISABLED: "disabled",
    COMPONENT_ENABLED_STATE_DISABLED_USER: "disabled-user",
    COMPONENT_ENABLED_STATE_DISABLED_UNTIL_USED: "disabled-until-used",
}
DONT_KILL_APP = 1  # PackageManager.DONT_KILL_APP


class ComponentStateError(Exception):
    """setComponentEnabledSetting refused: a Java exception class and message."""

    def __init__(self, java_class: str, message: str) -> None:
        super().__init__(f"{java_class}: {message}")
        self.java_class = java_class
        self.message = message


LAUNCHER_PACKAGE = "com.android.launcher3"
LAUNCHER_ACTIVITY = "com.android.launcher3.uioverrides.QuickstepLauncher"


def _random_segment() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=") + "=="


@system_service
class PackageManagerService(SystemService):
    names = ("package",)
    order = 10

    def __init__(self, system):  # type: ignore[no-untyped-def]
        super().__init__(system)
        self.state = self.device.persistent("packages", PackagesState)
        if not self.state.packages:
            now = self.device.clock.wall_ms()
            for name, uid, path in _SYSTEM_PACKAGES:
                self.state.packages[name] = InstalledPackage(
                    name,
                    uid,
                    path,
                    system=True,
                    first_install_ms=now,
                    last_update_ms=now,
                    version_code=self.api_level,
                    version_name=str(self.api_level),
                    target_sdk=self.api_level,
                )
            for pkg in self.state.packages.values():
                self._create_data_dir(pkg)

    # ---------------------------------------------------------------- queries
    def get(self, name: str) -> InstalledPackage | None:
        return self.state.packages.get(name)

    def packages(self) -> list[InstalledPackage]:
        return sorted(self.state.packages.values(), key=lambda p: p.name)

    def by_uid(self, uid: int) -> list[InstalledPackage]:
        return [p for p in self.state.packages.values() if p.uid == uid]

    def set_stopped(self, name: str, stopped: bool) -> None:
        pkg = self.get(name)
        if pkg is None or pkg.system or pkg.stopped == stopped:
            return
        pkg.stopped = stopped
        if not stopped:
            pkg.not_launched = False
        self.system.bus.publish("package_stopped_changed", package=name, stopped=stopped)

    # ---------------------------------------------------------------- components
    def component_enabled_setting(self, package: str, component: str) -> int:
        """getComponentEnabledSetting: the state set for the component, DEFAULT if none."""
        pkg = self.get(package)
        if pkg is None:
            return COMPONENT_ENABLED_STATE_DEFAULT
        return pkg.component_states.get(component, COMPONENT_ENABLED_STATE_DEFAULT)

    def is_component_enabled(self, package: str, component: str) -> bool:
        """Whether the component can run: ENABLED overrides a manifest ``enabled="false"``,
        DISABLED* override ``true``, DEFAULT is the manifest's value (PackageUserState
        .isEnabled). A disabled package has no enabled components."""
        pkg = self.get(package)
        if pkg is None or not pkg.enabled:
            return False
        state = pkg.component_states.get(component, COMPONENT_ENABLED_STATE_DEFAULT)
        if state == COMPONENT_ENABLED_STATE_ENABLED:
            return True
        if state != COMPONENT_ENABLED_STATE_DEFAULT:
            return False
        if pkg.manifest is None:
            return True
        declared = pkg.manifest.component(component)
        return (declared is None or declared.enabled) and pkg.manifest.application.enabled

    def set_component_enabled(
        self, package: str, component: str, state: int, flags: int = 0, caller_uid: int = 1000
    ) -> None:
        """setComponentEnabledSetting: store the state and send ACTION_PACKAGE_CHANGED
        (``component_enabled_changed``), which kills the app unless DONT_KILL_APP is given.
        The shell may change components of test-only packages only (setEnabledSettings:
        "Shell cannot change component state for ..."); an app changes its own freely."""
        pkg = self.get(package)
        if pkg is None:
            raise ComponentStateError(
                "java.lang.IllegalArgumentException", f"Unknown package: {package}"
            )
        if state not in ENABLED_STATE_NAMES:
            raise ComponentStateError(
                "java.lang.IllegalArgumentException", f"Invalid new component state: {state}"
            )
        if caller_uid == 2000 and not pkg.test_only:
            # Newer releases name the component with ComponentName.toString (ComponentInfo{..});
            # the release that switched is not known, so the model uses it from Android 13.
            name = (
                f"ComponentInfo{{{package}/{component}}}"
                if self.api_level >= 33
                else f"{package}/{component}"
            )
            raise ComponentStateError(
                "java.lang.SecurityException",
                f"Shell cannot change component state for {name} to {state}",
            )
        # (The shell check comes first, then the class: "Component class ... does not exist".)
        if pkg.manifest is not None and pkg.manifest.component(component) is None:
            raise ComponentStateError(
                "java.lang.IllegalArgumentException",
                f"Component class {component} does not exist in {package}",
            )
        old = pkg.component_states.get(component, COMPONENT_ENABLED_STATE_DEFAULT)
        if old == state:
            return
        if state == COMPONENT_ENABLED_STATE_DEFAULT:
            pkg.component_states.pop(component, None)
        else:
            pkg.component_states[component] = state
        self.system.bus.publish(
            "component_enabled_changed",
            package=package,
            component=component,
            state=state,
            dont_kill=bool(flags & DONT_KILL_APP),
        )

    # ---------------------------------------------------------------- install
    def install_bytes(
        self,
        data: bytes,
        grant_all: bool = False,
        allow_test: bool = False,
        allow_downgrade: bool = False,
        installer: str = "null",
    ) -> str:
        """Install an APK; returns ``Success`` or ``Failure [CODE: detail]`` like ``pm``."""
        from harness.apk.manifest import read_manifest

        try:
            manifest = read_manifest(data)
        except Exception as exc:  # ApkError, or anything the manifest reader rejects
            reason = getattr(exc, "reason", "INSTALL_PARSE_FAILED_NOT_APK")
            session = f"/data/app/vmdl{int(time.time() * 1000) % 10**9}.tmp/base.apk"
            return f"Failure [{reason}: Failed to parse {session}: {exc}]"
        if manifest.min_sdk and manifest.min_sdk > self.api_level:
            return (
                f"Failure [INSTALL_FAILED_OLDER_SDK: Requires newer sdk version "
                f"#{manifest.min_sdk} (current version is #{self.api_level})]"
            )
        if manifest.test_only and not allow_test:
            return "Failure [INSTALL_FAILED_TEST_ONLY: installPackageLI]"
        existing = self.get(manifest.package)
        if existing is not None and existing.system:
            return (
                f"Failure [INSTALL_FAILED_UPDATE_INCOMPATIBLE: Package {manifest.package} "
                f"signatures do not match previously installed version; ignoring!]"
            )
        if (
            existing is not None
            and not allow_downgrade
            and manifest.version_code < existing.version_code
        ):
            return (
                f"Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update "
                f"version code {manifest.version_code} is older than current "
                f"{existing.version_code}]"
            )
        now = self.device.clock.wall_ms()
        if existing is None:
            uid = self.state.next_app_uid
            self.state.next_app_uid += 1
            code_path = f"/data/app/~~{_random_segment()}/{manifest.package}-{_random_segment()}"
            pkg = InstalledPackage(
                manifest.package,
                uid,
                code_path,
                first_install_ms=now,
                stopped=True,
                not_launched=True,
            )
            self.state.packages[pkg.name] = pkg
        else:
            pkg = existing
            # An update kills the app's processes, keeps data and its stopped state.
            self.system.bus.publish("package_replacing", package=pkg.name)
        pkg.manifest = manifest
        pkg.version_code = manifest.version_code
        pkg.version_name = manifest.version_name or "null"
        pkg.target_sdk = manifest.target_sdk or manifest.min_sdk or 1
        pkg.min_sdk = manifest.min_sdk or 1
        pkg.debuggable = bool(manifest.debuggable)
        pkg.test_only = bool(manifest.test_only)
        pkg.installer = installer
        pkg.last_update_ms = now
        requested_runtime = {p for p in manifest.uses_permissions if p in RUNTIME_PERMISSIONS}
        # Runtime permissions of apps targeting below 23 are granted at install (legacy model).
        if grant_all or pkg.target_sdk < 23:
            pkg.granted |= requested_runtime
        pkg.granted &= set(manifest.uses_permissions)
        self._write_apk(pkg, data)
        self._create_data_dir(pkg)
        self.device.log.log(
            "I",
            "PackageManager",
            f"Package {pkg.name} codePath changed to {pkg.code_path}"
            if existing
            else f"Installed package {pkg.name} uid={pkg.uid}",
            pid=self.device.system_server_pid,
        )
        self.system.bus.publish("package_added", package=pkg.name, replacing=existing is not None)
        return "Success"

    def _write_apk(self, pkg: InstalledPackage, data: bytes) -> None:
        fs = self.device.fs
        fs.mkdir(pkg.code_path, parents=True, mode=0o775)
        node = fs.write_file(pkg.apk_path, data, mode=0o644)
        node.uid = node.gid = 1000

    def _create_data_dir(self, pkg: InstalledPackage) -> None:
        fs = self.device.fs
        if not fs.exists(pkg.data_dir):
            d = fs.mkdir(pkg.data_dir, mode=0o700)
            d.uid = d.gid = pkg.uid
            for sub in ("cache", "code_cache", "files", "databases", "no_backup", "shared_prefs"):
                s = fs.mkdir(f"{pkg.data_dir}/{sub}", mode=0o771)
                s.uid = s.gid = pkg.uid

    def uninstall(self, name: str, keep_data: bool = False) -> str:
        pkg = self.get(name)
        if pkg is None or pkg.system:
            return "Failure [DELETE_FAILED_INTERNAL_ERROR]"
        self.system.bus.publish("package_removing", package=name)
        del self.state.packages[name]
        fs = self.device.fs
        for path in (pkg.code_path, pkg.data_dir if not keep_data else None):
            if path:
                try:
                    fs.remove(path, recursive=True)
                except FsError:
                    pass
        self.system.bus.publish("package_removed", package=name)
        return "Success"

    def clear_data(self, name: str) -> str:
        pkg = self.get(name)
        if pkg is None:
            return "Failed"
        self.system.bus.publish("package_data_clearing", package=name)
        fs = self.device.fs
        try:
            fs.remove(pkg.data_dir, recursive=True)
        except FsError:
            pass
        self._create_data_dir(pkg)
        if pkg.target_sdk >= 23:
            pkg.granted.clear()  # runtime grants are user data and go with it
        self.system.bus.publish("package_data_cleared", package=name)
        return "Success"

    # ---------------------------------------------------------------- shell
    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        if not args:
            inv.outln(
                "Package manager (package) commands:\n  help\n  path [--user USER_ID] "
                "PACKAGE\n  list packages [-f] [-d] [-e] [-s] [-3] [-i] [-U] [-u] "
                "[--uid UID] [FILTER]\n  install [-r] [-t] [-g] [-d] [-S BYTES] [PATH]\n"
                "  uninstall [-k] PACKAGE\n  clear PACKAGE\n  grant PACKAGE PERMISSION\n"
                "  revoke PACKAGE PERMISSION"
            )
            return 0
        sub, rest = args[0], args[1:]
        handler = {
            "path": self._cmd_path,
            "list": self._cmd_list,
            "install": self._cmd_install,
            "uninstall": self._cmd_uninstall,
            "clear": self._cmd_clear,
            "grant": self._cmd_grant,
            "revoke": self._cmd_revoke,
            "dump": self._cmd_dump,
            "enable": lambda i, a: self._cmd_enable(i, a, COMPONENT_ENABLED_STATE_ENABLED),
            "disable": lambda i, a: self._cmd_enable(i, a, COMPONENT_ENABLED_STATE_DISABLED),
            "disable-user": lambda i, a: self._cmd_enable(
                i, a, COMPONENT_ENABLED_STATE_DISABLED_USER
            ),
            "default-state": lambda i, a: self._cmd_enable(i, a, COMPONENT_ENABLED_STATE_DEFAULT),
            "resolve-activity": self._cmd_resolve_activity,
            "list-permissions": self._cmd_list_permissions,
        }.get(sub)
        if handler is None:
            inv.errln(f"Unknown command: {sub}")
            return 255
        return await handler(inv, rest)

    @staticmethod
    def _drop_user(args: list[str]) -> list[str]:
        out, it = [], iter(args)
        for a in it:
            if a == "--user":
                next(it, None)
            else:
                out.append(a)
        return out

    async def _cmd_path(self, inv: Invocation, args: list[str]) -> int:
        args = self._drop_user(args)
        pkg = self.get(args[0]) if args else None
        if pkg is None:
            return 1
        inv.outln(f"package:{pkg.apk_path}")
        return 0

    async def _cmd_list(self, inv: Invocation, args: list[str]) -> int:
        if not args or args[0] != "packages":
            inv.errln(f"Error: unknown list type '{args[0] if args else ''}'")
            return 255
        flags: set[str] = set()
        filt = ""
        it = iter(self._drop_user(args[1:]))
        uid_filter = None
        for a in it:
            if a == "--uid":
                uid_filter = int(next(it, "-1"))
            elif a.startswith("-"):
                flags.update(a[1:])
            else:
                filt = a
        for pkg in self.packages():
            if filt and filt not in pkg.name:
                continue
            if ("3" in flags and pkg.system) or ("s" in flags and not pkg.system):
                continue
            if ("d" in flags and pkg.enabled) or ("e" in flags and not pkg.enabled):
                continue
            if uid_filter is not None and pkg.uid != uid_filter:
                continue
            line = "package:"
            if "f" in flags:
                line += f"{pkg.apk_path}="
            line += pkg.name
            if "i" in flags:
                line += f"  installer={pkg.installer}"
            if "U" in flags:
                line += f" uid:{pkg.uid}"
            inv.outln(line)
        return 0

    async def _cmd_install(self, inv: Invocation, args: list[str]) -> int:
        grant = allow_test = downgrade = False
        size: int | None = None
        path = None
        installer = "null"
        it = iter(self._drop_user(args))
        for a in it:
            if a == "-g":
                grant = True
            elif a == "-t":
                allow_test = True
            elif a == "-d":
                downgrade = True
            elif a == "-S":
                size = int(next(it, "0"))
            elif a == "-i":
                installer = next(it, "null")
            elif a in (
                "-r",
                "--dont-kill",
                "--fastdeploy",
                "--no-incremental",
                "--streaming",
                "--full",
                "--bypass-low-target-sdk-block",
            ) or a.startswith("-"):
                continue
            else:
                path = a
        if path is not None:
            try:
                data = inv.device.fs.read_file(inv.resolve(path), inv.uid)
            except FsError as exc:
                inv.errln(f"Error: Can't open file: {path}")
                inv.errln(
                    f"Exception occurred while executing 'install':\n"
                    f"java.lang.IllegalArgumentException: Error: Can't open file: "
                    f"{path} ({exc.reason})"
                )
                return 1
        else:
            # A streamed install (`exec:cmd package install -S N`) sends exactly N bytes and
            # keeps the stream open for the reply, so read N bytes, not until EOF.
            if size is not None:
                data = await read_exactly(inv.stdin, size)
            else:
                data = await inv.read_stdin()
            if size is not None and len(data) < size:
                inv.outln(
                    f"Failure [INSTALL_FAILED_INVALID_APK: Expected {size} bytes, got {len(data)}]"
                )
                return 1
        result = self.install_bytes(data, grant, allow_test, downgrade, installer)
        inv.outln(result)
        return 0 if result == "Success" else 1

    async def _cmd_uninstall(self, inv: Invocation, args: list[str]) -> int:
        args = self._drop_user(args)
        keep = "-k" in args
        names = [a for a in args if not a.startswith("-")]
        if not names:
            inv.errln("Error: package name not specified")
            return 1
        result = self.uninstall(names[0], keep)
        inv.outln(result)
        return 0 if result == "Success" else 1

    async def _cmd_clear(self, inv: Invocation, args: list[str]) -> int:
        names = [a for a in self._drop_user(args) if not a.startswith("-")]
        result = self.clear_data(names[0]) if names else "Failed"
        inv.outln(result)
        return 0 if result == "Success" else 1

    async def _cmd_grant(self, inv: Invocation, args: list[str]) -> int:
        return self._grant(inv, self._drop_user(args), grant=True)

    async def _cmd_revoke(self, inv: Invocation, args: list[str]) -> int:
        return self._grant(inv, self._drop_user(args), grant=False)

    def _grant(self, inv: Invocation, args: list[str], grant: bool) -> int:
        verb = "grant" if grant else "revoke"
        if len(args) < 2:
            inv.errln(f"Error: no {'package' if not args else 'permission'} specified")
            return 1
        name, perm = args[0], args[1]
        pkg = self.get(name)
        if pkg is None:
            inv.errln(
                f"Exception occurred while executing '{verb}':\n"
                f"java.lang.IllegalArgumentException: Unknown package: {name}"
            )
            return 255
        if not pkg.requests(perm):
            inv.errln(
                f"Exception occurred while executing '{verb}':\n"
                f"java.lang.SecurityException: Package {name} has not requested "
                f"permission {perm}"
            )
            return 255
        if perm not in RUNTIME_PERMISSIONS or RUNTIME_PERMISSIONS[perm] > self.api_level:
            inv.errln(
                f"Exception occurred while executing '{verb}':\n"
                f"java.lang.SecurityException: Permission {perm} requested by {name} "
                f"is not a changeable permission type"
            )
            return 255
        if grant:
            pkg.granted.add(perm)
        else:
            pkg.granted.discard(perm)
            # Revoking a runtime permission kills the app (PermissionManagerService).
            self.system.bus.publish("package_permission_revoked", package=name, permission=perm)
        return 0

    async def _cmd_enable(self, inv: Invocation, args: list[str], state: int) -> int:
        """runSetEnabledSetting: ``PKG`` sets the package, ``PKG/CLASS`` one component
        (ComponentName.unflattenFromString: ``.Cls`` is relative to the package)."""
        names = [a for a in self._drop_user(args) if not a.startswith("-")]
        if names and "/" in names[0]:
            return self._cmd_component_enable(inv, names[0], state)
        pkg = self.get(names[0]) if names else None
        if pkg is None:
            inv.errln(f"Error: Unknown package: {names[0] if names else ''}")
            return 255
        pkg.enabled = state in (COMPONENT_ENABLED_STATE_DEFAULT, COMPONENT_ENABLED_STATE_ENABLED)
        inv.outln(f"Package {pkg.name} new state: {ENABLED_STATE_NAMES[state]}")
        return 0

    def _cmd_component_enable(self, inv: Invocation, flat: str, state: int) -> int:
        package, cls = flat.split("/", 1)
        cls = package + cls if cls.startswith(".") else cls
        verb = {
            COMPONENT_ENABLED_STATE_ENABLED: "enable",
            COMPONENT_ENABLED_STATE_DISABLED: "disable",
            COMPONENT_ENABLED_STATE_DISABLED_USER: "disable-user",
        }.get(state, "default-state")
        try:
            # The shell passes no flags (no DONT_KILL_APP): the app's processes are killed.
            self.set_component_enabled(package, cls, state, 0, caller_uid=inv.uid)
        except ComponentStateError as exc:
            inv.errln(
                f"Exception occurred while executing '{verb}':\n{exc.java_class}: {exc.message}"
            )
            return 255
        # "Component " + cn.toShortString() + " new state: " + enabledSettingToString(...).
        new = self.component_enabled_setting(package, cls)
        inv.outln(f"Component {{{package}/{cls}}} new state: {ENABLED_STATE_NAMES[new]}")
        return 0

    async def _cmd_resolve_activity(self, inv: Invocation, args: list[str]) -> int:
        names = [a for a in args if not a.startswith("-")]
        pkg = self.get(names[-1]) if names else None
        act = pkg.manifest.launcher_activity() if pkg and pkg.manifest else None
        if act is None:
            inv.outln("No activity found")
            return 0
        inv.outln(
            f"priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 "
            f"isDefault=true\n  ActivityInfo:\n    name={act.name}\n"
            f"    packageName={pkg.name}"
        )  # type: ignore[union-attr]
        return 0

    async def _cmd_list_permissions(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("All Permissions:\n")
        for perm in sorted(RUNTIME_PERMISSIONS):
            inv.outln(f"permission:{perm}")
        return 0

    async def _cmd_dump(self, inv: Invocation, args: list[str]) -> int:
        return await self.dump(inv, args)

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        names = [a for a in args if not a.startswith("-")]
        pkgs = [self.get(n) for n in names] if names else self.packages()
        inv.outln("Packages:")
        for pkg in pkgs:
            if pkg is None:
                continue
            self._dump_package(inv, pkg)
        return 0

    def _dump_package(self, inv: Invocation, pkg: InstalledPackage) -> None:
        def ts(ms: int) -> str:
            return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000))

        flags = ["HAS_CODE", "ALLOW_CLEAR_USER_DATA"]
        if pkg.system:
            flags.insert(0, "SYSTEM")
        if pkg.debuggable:
            flags.append("DEBUGGABLE")
        if pkg.test_only:
            flags.append("TEST_ONLY")
        h = f"{zlib.crc32(pkg.name.encode()) & 0xFFFFFFF:07x}"
        inv.outln(f"  Package [{pkg.name}] ({h}):")
        inv.outln(f"    userId={pkg.uid}")
        inv.outln(f"    pkg=Package{{{h} {pkg.name}}}")
        inv.outln(f"    codePath={pkg.code_path}")
        inv.outln(f"    resourcePath={pkg.code_path}")
        inv.outln("    primaryCpuAbi=arm64-v8a")
        inv.outln(
            f"    versionCode={pkg.version_code} minSdk={pkg.min_sdk} targetSdk={pkg.target_sdk}"
        )
        inv.outln(f"    versionName={pkg.version_name}")
        inv.outln(f"    dataDir={pkg.data_dir}")
        inv.outln(f"    flags=[ {' '.join(flags)} ]")
        inv.outln(f"    pkgFlags=[ {' '.join(flags)} ]")
        inv.outln(f"    timeStamp={ts(pkg.last_update_ms)}")
        inv.outln(f"    firstInstallTime={ts(pkg.first_install_ms)}")
        inv.outln(f"    lastUpdateTime={ts(pkg.last_update_ms)}")
        inv.outln(f"    installerPackageName={pkg.installer}")
        inv.outln(
            f"    signatures=PackageSignatures{{{h} version:3, "
            f"signatures:[{h[:8]}], past signatures:[]}}"
        )
        if pkg.manifest is not None and pkg.manifest.uses_permissions:
            inv.outln("    requested permissions:")
            for perm in pkg.manifest.uses_permissions:
                inv.outln(f"      {perm}")
            inv.outln("    install permissions:")
            for perm in pkg.manifest.uses_permissions:
                if perm not in RUNTIME_PERMISSIONS:
                    inv.outln(f"      {perm}: granted=true")
        inv.outln(
            f"    User 0: ceDataInode=1 installed=true hidden=false suspended=false "
            f"distractionFlags=0 stopped={str(pkg.stopped).lower()} "
            f"notLaunched={str(pkg.not_launched).lower()} "
            f"enabled={0 if pkg.enabled else 3} instant=false virtual=false"
        )
        if pkg.manifest is not None:
            runtime = [p for p in pkg.manifest.uses_permissions if p in RUNTIME_PERMISSIONS]
            if runtime:
                inv.outln("      runtime permissions:")
                for perm in runtime:
                    inv.outln(f"        {perm}: granted={str(perm in pkg.granted).lower()}")
