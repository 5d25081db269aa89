"""AppOpsService: ``cmd appops set|get|reset`` and the modes other models check.

Modes are kept per package and per uid, as in AppOpsService (``appops.xml``, persisted across
reboots). The rules the shell shows, from AppOpsService and its Shell class:

- ``set PKG OP MODE`` sets the package mode; ``set --uid PKG OP MODE`` (or a uid / ``u0a123``
  instead of a package) sets the uid mode. Setting an op back to its default mode drops it
  (pruneOpLocked / setUidMode) unless it was used, so ``get`` no longer lists it; ``default``
  (MODE_DEFAULT, 3) is a mode of its own and is kept when it differs from the op's default.
- ``get PKG [OP]`` prints the uid modes first, ``Uid mode: `` before the first of them, then the
  package ops, each ``OP: mode`` with ``; time=+1m2s3ms ago`` / ``; rejectTime=... ago`` when the
  op was used. Nothing to print: ``No operations.`` plus ``Default mode: <mode>`` for one op.
- A uid mode other than the op's default wins over the package mode (checkOperation).
- ``reset [--user U] [PKG]`` returns the package's ops and its uid's modes to their defaults.

The effective mode is :meth:`AppOpsService.mode`; :meth:`AppOpsService.is_background_restricted`
is AppStateTracker's "run any in background" restriction (RUN_ANY_IN_BACKGROUND not allowed).
Whether an op's default depends on the app (exact alarms by target SDK) is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.javafmt import format_duration
from harness.virtual.system.packages import PackageManagerService

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

# AppOpsManager.MODE_NAMES (modeToName / strModeToMode).
MODE_NAMES = ("allow", "ignore", "deny", "default", "foreground")
MODE_ALLOWED = 0
MODE_IGNORED = 1
MODE_ERRORED = 2
MODE_DEFAULT = 3
MODE_FOREGROUND = 4


@dataclass(frozen=True)
class OpInfo:
    code: int  # AppOpsManager.OP_*: ops print in this order
    name: str  # the debug name the shell takes and prints
    default_mode: int  # AppOpsManager.opToDefaultMode
    min_api: int


# The ops the virtual device knows (AppOpsManager sOpInfos); others are "Unknown operation".
OPS = {
    op.name: op
    for op in (
        OpInfo(0, "COARSE_LOCATION", MODE_ALLOWED, 19),
        OpInfo(1, "FINE_LOCATION", MODE_ALLOWED, 19),
        OpInfo(11, "POST_NOTIFICATION", MODE_ALLOWED, 19),
        OpInfo(24, "SYSTEM_ALERT_WINDOW", MODE_DEFAULT, 19),
        OpInfo(26, "CAMERA", MODE_ALLOWED, 19),
        OpInfo(27, "RECORD_AUDIO", MODE_ALLOWED, 19),
        OpInfo(40, "WAKE_LOCK", MODE_ALLOWED, 19),
        OpInfo(43, "GET_USAGE_STATS", MODE_DEFAULT, 21),
        OpInfo(63, "RUN_IN_BACKGROUND", MODE_ALLOWED, 24),
        OpInfo(66, "REQUEST_INSTALL_PACKAGES", MODE_DEFAULT, 26),
        OpInfo(70, "RUN_ANY_IN_BACKGROUND", MODE_ALLOWED, 28),
        OpInfo(76, "START_FOREGROUND", MODE_ALLOWED, 28),
        OpInfo(107, "SCHEDULE_EXACT_ALARM", MODE_DEFAULT, 31),
    )
}
OPS_BY_CODE = {op.code: op for op in OPS.values()}
FIRST_APPLICATION_UID = 10_000
PER_USER_RANGE = 100_000


def mode_to_name(mode: int) -> str:
    """AppOpsManager.modeToName."""
    return MODE_NAMES[mode] if 0 <= mode < len(MODE_NAMES) else f"mode={mode}"


@dataclass
class OpEntry:
    mode: int
    access_ms: int = -1  # wall time of the last allowed use, -1 never
    reject_ms: int = -1  # wall time of the last rejected use


@dataclass
class AppOpsState:
    """appops.xml: package ops (by package) and uid modes (by uid)."""

    packages: dict[str, dict[str, OpEntry]] = field(default_factory=dict)
    uids: dict[int, dict[str, int]] = field(default_factory=dict)


@system_service
class AppOpsService(SystemService):
    names = ("appops",)
    order = 12  # right after the package manager; others ask it for modes

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self.state = self.device.persistent("appops", AppOpsState)
        self._pm = system.service(PackageManagerService)

    def start(self) -> None:
        self.system.bus.subscribe("package_removed", self._on_package_removed)

    def _on_package_removed(self, package: str, **_: object) -> None:
        # AppOpsService.PackageRemovedReceiver -> packageRemoved: the package's ops go; its uid
        # state goes with the uid (no package left with it).
        self.state.packages.pop(package, None)
        for uid in list(self.state.uids):
            if not self._pm.by_uid(uid):
                del self.state.uids[uid]

    # ------------------------------------------------------------------ Python API
    def known_op(self, op: str) -> OpInfo | None:
        info = OPS.get(op)
        return info if info is not None and self.api_level >= info.min_api else None

    def raw_mode(self, package: str, op: str) -> int:
        """AppOpsService.checkOperation (raw): uid mode if it differs from the default, else
        the package mode, else the op's default."""
        info = self._op(op)
        pkg = self._pm.get(package)
        if pkg is not None:
            uid_mode = self.state.uids.get(pkg.uid, {}).get(op)
            if uid_mode is not None and uid_mode != info.default_mode:
                return uid_mode
        entry = self.state.packages.get(package, {}).get(op)
        return entry.mode if entry is not None else info.default_mode

    def mode(self, package: str, op: str) -> str:
        """The effective mode's name: allow, ignore, deny, default or foreground."""
        return mode_to_name(self.raw_mode(package, op))

    def is_background_restricted(self, package: str) -> bool:
        """AppStateTrackerImpl: "run any in background" is restricted unless the mode is allow."""
        if self.known_op("RUN_ANY_IN_BACKGROUND") is None:
            return False
        return self.raw_mode(package, "RUN_ANY_IN_BACKGROUND") != MODE_ALLOWED

    def set_mode(self, package: str, op: str, mode: int | str, uid_level: bool = False) -> None:
        """AppOpsService.setMode / setUidMode for a package (raises KeyError if unknown)."""
        pkg = self._pm.get(package)
        if pkg is None:
            raise KeyError(package)
        value = MODE_NAMES.index(mode) if isinstance(mode, str) else int(mode)
        if uid_level:
            self._set_uid_mode(pkg.uid, op, value)
        else:
            self._set_package_mode(package, pkg.uid, op, value)

    def note_op(self, package: str, op: str) -> str:
        """AppOpsService.noteOperation: record the use (allowed or rejected); returns the mode.

        ``foreground`` counts as allowed; whether the app is in the foreground is the caller's
        question."""
        mode = self.raw_mode(package, op)
        entry = self.state.packages.setdefault(package, {}).get(op)
        if entry is None:
            entry = OpEntry(self._op(op).default_mode)
            self.state.packages[package][op] = entry
        now = self.device.clock.wall_ms()
        if mode in (MODE_ALLOWED, MODE_FOREGROUND, MODE_DEFAULT):
            entry.access_ms = now
        else:
            entry.reject_ms = now
        return mode_to_name(mode)

    def _op(self, op: str) -> OpInfo:
        info = self.known_op(op)
        if info is None:
            raise KeyError(f"Unknown operation string: {op}")
        return info

    def _set_package_mode(self, package: str, uid: int, op: str, mode: int) -> None:
        ops = self.state.packages.setdefault(package, {})
        entry = ops.get(op)
        if entry is None:
            entry = OpEntry(self._op(op).default_mode)
            ops[op] = entry
        if entry.mode == mode:
            if mode == self._op(op).default_mode and entry.access_ms < 0 and entry.reject_ms < 0:
                del ops[op]
            return
        entry.mode = mode
        # "If going into the default mode, prune this op if there is nothing else interesting"
        if mode == self._op(op).default_mode and entry.access_ms < 0 and entry.reject_ms < 0:
            del ops[op]
        if not ops:
            self.state.packages.pop(package, None)
        self._publish(package, uid, op)

    def _set_uid_mode(self, uid: int, op: str, mode: int) -> None:
        modes = self.state.uids.setdefault(uid, {})
        if modes.get(op, self._op(op).default_mode) == mode:
            if not modes:
                del self.state.uids[uid]
            return
        if mode == self._op(op).default_mode:
            modes.pop(op, None)
        else:
            modes[op] = mode
        if not modes:
            del self.state.uids[uid]
        packages = self._pm.by_uid(uid)
        self._publish(packages[0].name if packages else "", uid, op)

    def _publish(self, package: str, uid: int, op: str) -> None:
        mode = (
            self.mode(package, op)
            if self._pm.get(package)
            else mode_to_name(self.state.uids.get(uid, {}).get(op, self._op(op).default_mode))
        )
        self.system.bus.publish("appop_changed", package=package, uid=uid, op=op, mode=mode)

    def reset(self, package: str | None = None) -> None:
        """AppOpsService.resetAllModes: uid modes of the package's uid (or all) and the
        package ops (or all) back to their defaults."""
        req_uid = None
        if package is not None:
            pkg = self._pm.get(package)
            if pkg is None:
                return
            req_uid = pkg.uid
        for uid in list(self.state.uids):
            if req_uid is None or uid == req_uid:
                for op in list(self.state.uids.get(uid, {})):
                    self._set_uid_mode(uid, op, self._op(op).default_mode)
        for name in list(self.state.packages):
            if package is not None and name != package:
                continue
            pkg = self._pm.get(name)
            for op in list(self.state.packages.get(name, {})):
                if self.known_op(op) is None:
                    continue
                self._set_package_mode(name, pkg.uid if pkg else -1, op, self._op(op).default_mode)

    # ------------------------------------------------------------------ shell
    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        cmd = args[0] if args else None
        if cmd is None or cmd in ("help", "-h"):
            self._help(inv)
            return 255
        if cmd == "set":
            return self._cmd_set(inv, args[1:])
        if cmd == "get":
            return self._cmd_get(inv, args[1:])
        if cmd == "reset":
            return self._cmd_reset(inv, args[1:])
        inv.outln(f"Unknown command: {cmd}")
        return 255

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("Current AppOps Service state:")
        for uid in sorted(self.state.uids):
            inv.outln(f"  Uid {_format_uid(uid)}:")
            for op, mode in sorted(self.state.uids[uid].items(), key=lambda kv: OPS[kv[0]].code):
                inv.outln(f"      {op}: mode={mode_to_name(mode)}")
        for package in sorted(self.state.packages):
            pkg = self._pm.get(package)
            inv.outln(f"  Package {package} (uid {_format_uid(pkg.uid) if pkg else '?'}):")
            for op, entry in self._ordered(self.state.packages[package]):
                inv.outln(f"    {op} ({mode_to_name(entry.mode)}):")
        return 0

    def _help(self, inv: Invocation) -> None:
        inv.outln("AppOps service (appops) commands:")
        inv.outln("  help")
        inv.outln("    Print this help text.")
        inv.outln("  set [--user <USER_ID>] <[--uid] PACKAGE | UID> <OP> <MODE>")
        inv.outln("    Set the mode for a particular application and operation.")
        inv.outln(
            "  get [--user <USER_ID>] [--attribution <ATTRIBUTION_TAG>] <PACKAGE | UID> [<OP>]"
        )
        inv.outln("    Return the mode for a particular application and optional operation.")
        inv.outln("  reset [--user <USER_ID>] [<PACKAGE>]")
        inv.outln("    Reset the given application or all applications to default modes.")
        inv.outln("  options:")
        inv.outln("    <PACKAGE> an Android package name or its UID if prefixed by --uid")
        inv.outln("    <OP>      an AppOps operation.")
        inv.outln("    <MODE>    one of allow, ignore, deny, or default")
        inv.outln("    <USER_ID> the user id under which the package is installed. If --user is")
        inv.outln("              not specified, the current user is assumed.")

    def _parse_user_package_op(
        self, inv: Invocation, args: list[str], require_op: bool
    ) -> tuple[str | None, int, str | None, bool, list[str]] | None:
        """Shell.parseUserPackageOp -> (package or None, uid, op or None, --uid, rest)."""
        package: str | None = None
        op: str | None = None
        targets_uid = False
        it = list(args)
        while it:
            arg = it.pop(0)
            if arg in ("--user", "--attribution"):
                if it:
                    it.pop(0)
            elif arg == "--uid":
                targets_uid = True
            elif package is None:
                package = arg
            elif op is None:
                op = arg
                break
        if package is None:
            inv.errln("Error: Package name not specified.")
            return None
        if op is None and require_op:
            inv.errln("Error: Operation not specified.")
            return None
        if op is not None:
            op = self._str_op(inv, op)
            if op is None:
                return None
        uid = _nonpackage_uid(package)
        if uid is not None:
            return None, uid, op, targets_uid, it
        pkg = self._pm.get(package)
        if pkg is None:
            inv.errln(f"Error: No UID for {package} in user 0")
            return None
        return package, pkg.uid, op, targets_uid, it

    def _str_op(self, inv: Invocation, text: str) -> str | None:
        # Shell.strOpToOp: the public name (android:...), a number, or the debug name.
        if self.known_op(text) is not None:
            return text
        public = text.removeprefix("android:").upper()
        if text.startswith("android:") and self.known_op(public) is not None:
            return public
        if text.isdigit() and int(text) in OPS_BY_CODE:
            name = OPS_BY_CODE[int(text)].name
            if self.known_op(name) is not None:
                return name
        inv.errln(f"Error: Unknown operation string: {text}")
        return None

    def _cmd_set(self, inv: Invocation, args: list[str]) -> int:
        parsed = self._parse_user_package_op(inv, args, require_op=True)
        if parsed is None:
            return 255
        package, uid, op, targets_uid, rest = parsed
        assert op is not None
        if not rest:
            inv.errln("Error: Mode not specified.")
            return 255
        mode = _str_mode(rest[0])
        if mode is None:
            inv.errln(f"Error: Mode {rest[0]} is not valid")
            return 255
        if package is not None and not targets_uid:
            self._set_package_mode(package, uid, op, mode)
        else:
            self._set_uid_mode(uid, op, mode)
        return 0

    def _cmd_get(self, inv: Invocation, args: list[str]) -> int:
        parsed = self._parse_user_package_op(inv, args, require_op=False)
        if parsed is None:
            return 255
        package, uid, op, _targets_uid, _rest = parsed
        now = self.device.clock.wall_ms()
        uid_modes = {k: v for k, v in self.state.uids.get(uid, {}).items() if op in (None, k)}
        lines_uid = [f"{name}: {mode_to_name(mode)}" for name, mode in self._ordered(uid_modes)]
        lines_pkg: list[str] = []
        if package is not None:
            ops = {k: v for k, v in self.state.packages.get(package, {}).items() if op in (None, k)}
            for name, entry in self._ordered(ops):
                line = f"{name}: {mode_to_name(entry.mode)}"
                if entry.access_ms >= 0:
                    line += f"; time={format_duration(now - entry.access_ms)} ago"
                if entry.reject_ms >= 0:
                    line += f"; rejectTime={format_duration(now - entry.reject_ms)} ago"
                lines_pkg.append(line)
        if not lines_uid and not lines_pkg:
            inv.outln("No operations.")
            if op is not None:
                inv.outln(f"Default mode: {mode_to_name(self._op(op).default_mode)}")
            return 0
        if lines_uid:
            # "Uid mode: " precedes the uid PackageOps (no package name); its ops follow.
            lines_uid[0] = "Uid mode: " + lines_uid[0]
        for line in lines_uid + lines_pkg:
            inv.outln(line)
        return 0

    def _cmd_reset(self, inv: Invocation, args: list[str]) -> int:
        package: str | None = None
        user: str | None = None
        it = list(args)
        while it:
            arg = it.pop(0)
            if arg == "--user":
                user = it.pop(0) if it else None
            elif package is None:
                package = arg
            else:
                inv.errln(f"Error: Unsupported argument: {arg}")
                return 255
        self.reset(package)
        who = "all users" if user is None else f"user {0 if user == 'current' else user}"
        what = "all packages" if package is None else f"package {package}"
        inv.outln(f"Reset all modes for: {who}, {what}")
        return 0

    @staticmethod
    def _ordered(entries: dict) -> list:  # type: ignore[type-arg]
        return sorted(entries.items(), key=lambda kv: OPS[kv[0]].code)


def _str_mode(text: str) -> int | None:
    """Shell.strModeToMode: a mode name or any integer."""
    if text in MODE_NAMES:
        return MODE_NAMES.index(text)
    try:
        return int(text)
    except ValueError:
        return None


def _nonpackage_uid(text: str) -> int | None:
    """Shell.parseUserPackageOp: a number, or ``u<user>a<appid>`` / ``u<user>s<appid>``."""
    if text.lstrip("-").isdigit():
        return int(text)
    if len(text) > 1 and text[0] == "u" and "." not in text:
        i = 1
        while i < len(text) and text[i].isdigit():
            i += 1
        if 1 < i < len(text) and text[i] in "as" and text[i + 1 :].isdigit():
            user, kind, value = int(text[1:i]), text[i], int(text[i + 1 :])
            base = user * PER_USER_RANGE
            return base + (FIRST_APPLICATION_UID + value if kind == "a" else value)
    return None


def _format_uid(uid: int) -> str:
    """UserHandle.formatUid."""
    app_id = uid % PER_USER_RANGE
    user = uid // PER_USER_RANGE
    if app_id >= FIRST_APPLICATION_UID:
        return f"u{user}a{app_id - FIRST_APPLICATION_UID}"
    return str(uid) if user == 0 else f"u{user}s{app_id}"
