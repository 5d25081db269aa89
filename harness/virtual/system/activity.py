"""ActivityManagerService: processes, activities, broadcasts and the ``am`` command.

Other services extend ``am`` and ``dumpsys activity`` through :meth:`register_am_command` and
:meth:`register_dump_section` (``am set-standby-bucket`` belongs to usage stats, ``dumpsys
activity services`` to the services model), as ActivityManagerShellCommand forwards to them.

Process deaths are kept as ApplicationExitInfo records (Android 11+, AppExitInfoTracker) for
:meth:`ActivityManagerService.historical_process_exit_reasons`: newest first, at most
``config_app_exit_info_history_list_size`` (16) per package, kept across reboots
(``/data/system/procexitstore``) and dropped when the package is uninstalled. (A phone writes
them at most every 30 min, APP_EXIT_INFO_PERSIST_INTERVAL; the model keeps every record.)
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.virtual.apps.base import AppModel, model_for
from harness.virtual.device import Process
from harness.virtual.system.base import SystemService, system_service
from harness.virtual.system.packages import (
    LAUNCHER_ACTIVITY,
    LAUNCHER_PACKAGE,
    SHELL_PERMISSIONS,
    InstalledPackage,
    PackageManagerService,
)

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

FLAG_INCLUDE_STOPPED_PACKAGES = 0x20
FLAG_RECEIVER_FOREGROUND = 0x10000000
SHELL_UID = 2000

# ApplicationExitInfo.REASON_* (API 30; the last two API 34).
REASON_UNKNOWN = 0
REASON_EXIT_SELF = 1
REASON_SIGNALED = 2
REASON_LOW_MEMORY = 3
REASON_CRASH = 4
REASON_CRASH_NATIVE = 5
REASON_ANR = 6
REASON_PERMISSION_CHANGE = 8
REASON_USER_REQUESTED = 10
REASON_OTHER = 13
REASON_PACKAGE_STATE_CHANGE = 15
REASON_PACKAGE_UPDATED = 16
# AppExitInfoTracker: mAppExitInfoHistoryListSize = config_app_exit_info_history_list_size.
EXIT_INFO_HISTORY_LIST_SIZE = 16

AmHandler = Callable[["Invocation", list[str]], Awaitable[int]]


@dataclass
class Intent:
    action: str | None = None
    package: str | None = None
    component: str | None = None  # "pkg/fully.qualified.Class"
    categories: list[str] = field(default_factory=list)
    data: str | None = None
    mime_type: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    flags: int = 0

    @property
    def component_package(self) -> str | None:
        return self.component.split("/", 1)[0] if self.component else None

    def describe(self) -> str:
        """``Intent { act=... cat=[...] pkg=... cmp=... (has extras) }`` as Intent.toShortString."""
        parts = []
        if self.action:
            parts.append(f"act={self.action}")
        if self.categories:
            parts.append(f"cat=[{','.join(self.categories)}]")
        if self.data:
            parts.append(f"dat={self.data}")
        if self.flags:
            parts.append(f"flg=0x{self.flags:x}")
        if self.package:
            parts.append(f"pkg={self.package}")
        if self.component:
            pkg, cls = self.component.split("/", 1)
            short = cls[len(pkg) :] if cls.startswith(pkg + ".") else cls
            parts.append(f"cmp={pkg}/{short}")
        if self.extras:
            parts.append("(has extras)")
        return "Intent { " + " ".join(parts) + " }"


class IntentArgsError(Exception):
    pass


def parse_intent_args(args: list[str]) -> tuple[Intent, dict[str, Any], list[str]]:
    """Parse ``am`` intent options; returns (intent, other options, positional args)."""
    intent = Intent()
    opts: dict[str, Any] = {}
    rest: list[str] = []
    it = iter(args)
    typed = {
        "--es": str,
        "--esn": None,
        "--ei": int,
        "--el": int,
        "--ef": float,
        "--ed": float,
        "--ez": lambda v: v.lower() in ("true", "t", "1"),
        "--eu": str,
    }
    for a in it:
        if a == "-a":
            intent.action = next(it, None)
        elif a == "-c":
            intent.categories.append(next(it, ""))
        elif a == "-d":
            intent.data = next(it, None)
        elif a == "-t":
            intent.mime_type = next(it, None)
        elif a == "-n":
            comp = next(it, "")
            if "/" not in comp:
                raise IntentArgsError(f"Bad component name: {comp}")
            pkg, cls = comp.split("/", 1)
            intent.component = f"{pkg}/{pkg + cls if cls.startswith('.') else cls}"
        elif a == "-p":
            intent.package = next(it, None)
        elif a == "-f":
            value = next(it, "0")
            intent.flags |= int(value, 0)
        elif a in typed:
            key = next(it, "")
            if typed[a] is None:
                intent.extras[key] = None
            else:
                intent.extras[key] = typed[a](next(it, ""))  # type: ignore[operator]
        elif a == "--include-stopped-packages":
            intent.flags |= FLAG_INCLUDE_STOPPED_PACKAGES
        elif a == "--receiver-foreground":
            intent.flags |= FLAG_RECEIVER_FOREGROUND
        elif a in ("--user", "--receiver-permission"):
            opts[a] = next(it, None)
        elif a.startswith("-") and len(a) > 1:
            opts[a] = True
        else:
            rest.append(a)
    if rest and intent.component is None and intent.action is None and "/" in rest[0]:
        pkg, cls = rest.pop(0).split("/", 1)
        intent.component = f"{pkg}/{pkg + cls if cls.startswith('.') else cls}"
    return intent, opts, rest


class ProviderAccessError(Exception):
    """The provider could not be opened; ``content`` prints it as the Java exception."""

    def __init__(self, exception: str, message: str) -> None:
        self.exception = exception
        self.message = message
        super().__init__(f"{exception}: {message}")


@dataclass(frozen=True)
class ExitInfo:
    """android.app.ApplicationExitInfo as getHistoricalProcessExitReasons returns it."""

    package: str
    process_name: str
    pid: int
    uid: int
    reason: int
    timestamp_wall_ms: int  # getTimestamp: System.currentTimeMillis() of the death
    description: str | None = None


@dataclass
class ExitInfoState:
    """AppExitInfoTracker's records per package, newest first (persisted)."""

    records: dict[str, list[ExitInfo]] = field(default_factory=dict)


def exit_reason_for(kill_reason: str, api_level: int) -> int:
    """The ApplicationExitInfo reason of a kill the model makes with ``kill_reason``.

    - force-stop (``from pid N``), ``pm clear`` and, before Android 14, package updates and
      component changes go through forceStopPackageLocked: REASON_USER_REQUESTED;
    - ``am kill`` / ``am kill-all`` (killBackgroundProcesses / killAllBackgroundProcesses):
      REASON_USER_REQUESTED too, so WorkManager's ForceStopRunnable takes them for force-stops;
    - Android 14: REASON_PACKAGE_UPDATED for updates and REASON_PACKAGE_STATE_CHANGE for
      component changes without DONT_KILL_APP ("Prior to UPSIDE_DOWN_CAKE, REASON_USER_REQUESTED
      was used", ApplicationExitInfo);
    - a revoked runtime permission: REASON_PERMISSION_CHANGE; a crash or ANR: REASON_CRASH /
      REASON_ANR; a process a signal killed (``kill -9`` as the app's uid, as the low-memory
      killer's SIGKILL looks to AppExitInfoTracker without lmkd's report): REASON_SIGNALED;
      anything else the system kills for its own reasons, killUid included (an
      exact-alarm permission revoked; SUBREASON_KILL_UID "is set only when the reason is
      REASON_OTHER"): REASON_OTHER.
    """
    if kill_reason.startswith("from pid") or kill_reason in (
        "kill background",
        "kill all background",
        "clear data",
    ):
        return REASON_USER_REQUESTED
    if kill_reason == "replace":
        return REASON_PACKAGE_UPDATED if api_level >= 34 else REASON_USER_REQUESTED
    if kill_reason == "pkg changed":
        return REASON_PACKAGE_STATE_CHANGE if api_level >= 34 else REASON_USER_REQUESTED
    if kill_reason.startswith("revoke "):
        return REASON_PERMISSION_CHANGE
    if kill_reason == "crash":
        return REASON_CRASH
    if kill_reason == "anr":
        return REASON_ANR
    if kill_reason.startswith("signal "):
        return REASON_SIGNALED
    return REASON_OTHER


def exit_description(package: str, kill_reason: str) -> str | None:
    """What getDescription says: forceStopPackageLocked kills with "stop PKG due to REASON";
    a death the system did not cause has none."""
    if kill_reason.startswith("from pid") or kill_reason == "clear data":
        return f"stop {package} due to {kill_reason}"
    if kill_reason.startswith("signal "):
        return None
    return kill_reason


@dataclass
class ProcessRecord:
    package: str
    pid: int
    uid: int
    start_elapsed_ms: int
    state: str = "cached"  # top, fgs, service, receiver, cached
    app: AppModel | None = None
    alive: bool = True
    # The cached-apps freezer (freezer.CachedAppOptimizer): ProcessCachedOptimizerRecord.mFrozen,
    # and the app's Handler messages that came due while frozen, run when it is thawed.
    frozen: bool = False
    thaw_callbacks: list[Callable[[], None]] = field(default_factory=list)


@system_service
class ActivityManagerService(SystemService):
    names = ("activity",)
    order = 20

    def __init__(self, system):  # type: ignore[no-untyped-def]
        super().__init__(system)
        self.pm = system.service(PackageManagerService)
        self.processes: dict[str, ProcessRecord] = {}
        self.top: tuple[str, str] | None = None
        self._am_commands: dict[str, AmHandler] = {}
        self._dump_sections: dict[str, AmHandler] = {}
        self.exit_info = self.device.persistent("app_exit_info", ExitInfoState)
        self.device.process_providers.append(self._ps_entries)

    def start(self) -> None:
        bus = self.system.bus
        bus.subscribe("package_replacing", lambda package: self.kill(package, "replace"))
        bus.subscribe("package_removing", lambda package: self.kill(package, "uninstall"))
        bus.subscribe("package_data_clearing", lambda package: self.kill(package, "clear data"))
        bus.subscribe(
            "package_permission_revoked",
            lambda package, permission: self.kill(package, f"revoke {permission}"),
        )
        bus.subscribe("package_removed", self._on_package_removed)
        bus.subscribe("component_enabled_changed", self._on_component_changed)
        for name, fn in {
            "start": self._cmd_start,
            "start-activity": self._cmd_start,
            "force-stop": self._cmd_force_stop,
            "kill": self._cmd_kill,
            "kill-all": self._cmd_kill_all,
            "crash": self._cmd_crash,
            "broadcast": self._cmd_broadcast,
            "get-current-user": self._cmd_current_user,
            "wait-for-broadcast-idle": self._cmd_broadcast_idle,
        }.items():
            self.register_am_command(name, fn)
        for name in ("activities", "a"):
            self.register_dump_section(name, self._dump_activities)
        for name in ("processes", "p"):
            self.register_dump_section(name, self._dump_processes)
        self.register_dump_section("top", self._dump_top)

    def shutdown(self) -> None:
        for record in list(self.processes.values()):
            self._destroy(record, "shutdown", record_exit=False)
        if self._ps_entries in self.device.process_providers:
            self.device.process_providers.remove(self._ps_entries)

    def boot_completed(self) -> None:
        self.ensure_process(LAUNCHER_PACKAGE, "activity")
        self._set_top(LAUNCHER_PACKAGE, LAUNCHER_ACTIVITY)
        intent = Intent(
            action="android.intent.action.BOOT_COMPLETED", flags=FLAG_RECEIVER_FOREGROUND
        )
        if self.api_level >= 24:
            self.send_broadcast(
                Intent(action="android.intent.action.LOCKED_BOOT_COMPLETED"), sender_uid=1000
            )
        self.send_broadcast(intent, sender_uid=1000)

    # ---------------------------------------------------------------- extension points
    def register_am_command(self, name: str, handler: AmHandler) -> None:
        self._am_commands[name] = handler

    def register_dump_section(self, name: str, handler: AmHandler) -> None:
        self._dump_sections[name] = handler

    # ---------------------------------------------------------------- processes
    def process_of(self, package: str) -> ProcessRecord | None:
        rec = self.processes.get(package)
        return rec if rec is not None and rec.alive else None

    def app_of(self, package: str) -> AppModel | None:
        rec = self.process_of(package)
        return rec.app if rec else None

    def uid_is_active(self, uid: int) -> bool:
        """A uid is "active" (foreground) while one of its packages is the top activity."""
        if self.top is None:
            return False
        pkg = self.pm.get(self.top[0])
        return pkg is not None and pkg.uid == uid

    def is_top(self, package: str) -> bool:
        return self.top is not None and self.top[0] == package

    def ensure_process(self, package: str, reason: str) -> ProcessRecord | None:
        existing = self.process_of(package)
        if existing is not None:
            return existing
        pkg = self.pm.get(package)
        if pkg is None:
            return None
        rec = ProcessRecord(package, self.device.new_pid(), pkg.uid, self.device.clock.elapsed_ms())
        self.processes[package] = rec
        uid_name = pkg.app_id_name
        self._log(f"Start proc {rec.pid}:{package}/{uid_name} for {reason}")
        rec.app = model_for(package)(self.system, pkg, rec)
        self.system.bus.publish("process_started", package=package, pid=rec.pid, uid=pkg.uid)
        rec.app.on_create()
        return rec

    def kill(self, package: str, reason: str) -> bool:
        rec = self.process_of(package)
        if rec is None:
            return False
        pkg = self.pm.get(package)
        self._log(f"Killing {rec.pid}:{package}/{pkg.app_id_name if pkg else rec.uid} "
                  f"(adj 0): {reason}")
        self._destroy(rec, reason)
        return True

    def _log(self, message: str) -> None:
        self.device.log.log("I", "ActivityManager", message, pid=self.device.system_server_pid)

    def process_by_pid(self, pid: int) -> ProcessRecord | None:
        return next((r for r in self.processes.values() if r.pid == pid and r.alive), None)

    def process_signaled(self, pid: int, signal: int) -> bool:
        """A fatal signal from outside ActivityManager (``kill``): appDiedLocked logs the death
        and AppExitInfoTracker records REASON_SIGNALED with the signal as its status."""
        rec = self.process_by_pid(pid)
        if rec is None:
            return False
        self._log(f"Process {rec.package} (pid {rec.pid}) has died: cch+5 CEM")
        self._destroy(rec, f"signal {signal}")
        return True

    def _destroy(self, rec: ProcessRecord, reason: str, record_exit: bool = True) -> None:
        rec.alive = False
        self.processes.pop(rec.package, None)
        if record_exit:
            self._note_exit(rec, reason)
        if rec.app is not None:
            try:
                rec.app.on_destroy(reason)
            finally:
                rec.app = None
        self.system.bus.publish(
            "process_died", package=rec.package, pid=rec.pid, uid=rec.uid, reason=reason
        )

    # ---------------------------------------------------------------- exit reasons
    def _note_exit(self, rec: ProcessRecord, kill_reason: str) -> None:
        """AppExitInfoTracker.noteAppKill (Android 11+); the system going down records nothing
        here (the model's shutdown is not a kill of the app)."""
        if self.api_level < 30:
            return
        info = ExitInfo(
            package=rec.package,
            process_name=rec.package,
            pid=rec.pid,
            uid=rec.uid,
            reason=exit_reason_for(kill_reason, self.api_level),
            timestamp_wall_ms=self.device.clock.wall_ms(),
            description=exit_description(rec.package, kill_reason),
        )
        records = self.exit_info.records.setdefault(rec.package, [])
        records.insert(0, info)
        del records[EXIT_INFO_HISTORY_LIST_SIZE:]

    def historical_process_exit_reasons(
        self, package: str, pid: int = 0, max_num: int = 0
    ) -> list[ExitInfo]:
        """ActivityManager.getHistoricalProcessExitReasons (API 30): newest first; ``pid`` 0
        and ``max_num`` 0 mean any process and every record kept."""
        if self.api_level < 30:
            return []
        records = [r for r in self.exit_info.records.get(package, []) if not pid or r.pid == pid]
        return records[:max_num] if max_num > 0 else records

    def _on_package_removed(self, package: str, **_: object) -> None:
        # AppExitInfoTracker.registerForPackageRemoval: a full uninstall drops the records.
        self.exit_info.records.pop(package, None)

    def _on_component_changed(self, package: str, dont_kill: bool = False, **_: object) -> None:
        """ACTION_PACKAGE_CHANGED without EXTRA_DONT_KILL_APP kills the app's processes
        (broadcastIntentLocked: forceStopPackageLocked(..., "pkg changed"); Android 14+:
        killPackageProcessesLSP with REASON_PACKAGE_STATE_CHANGE)."""
        if not dont_kill:
            self.kill(package, "pkg changed")

    def force_stop(self, package: str) -> None:
        """``am force-stop``: kill, mark stopped; jobs, alarms and notifications go too."""
        pkg = self.pm.get(package)
        if pkg is None:
            return
        self.kill(package, "from pid 0")
        if self.top is not None and self.top[0] == package:
            self._set_top(LAUNCHER_PACKAGE, LAUNCHER_ACTIVITY)
        self.pm.set_stopped(package, True)
        self.system.bus.publish("package_force_stopped", package=package, uid=pkg.uid)

    def _ps_entries(self) -> list[Process]:
        out = []
        for rec in self.processes.values():
            pkg = self.pm.get(rec.package)
            user = pkg.app_id_name.replace("u0a", "u0_a") if pkg else str(rec.uid)
            out.append(
                Process(rec.pid, self.device.system_server_pid - 400, user, rec.package, rec.uid)
            )
        return sorted(out, key=lambda p: p.pid)

    # ---------------------------------------------------------------- activities
    def resolve_activity(self, intent: Intent) -> tuple[InstalledPackage, str] | None:
        if intent.component:
            pkg = self.pm.get(intent.component_package or "")
            if pkg is None:
                return None
            cls = intent.component.split("/", 1)[1]
            if pkg.manifest is not None:
                names = {a.name for a in pkg.manifest.activities}
                if cls not in names:
                    return None
            return pkg, cls
        candidates = [self.pm.get(intent.package)] if intent.package else self.pm.packages()
        for pkg in candidates:
            if pkg is None or pkg.manifest is None:
                continue
            for act in pkg.manifest.activities:
                for f in act.intent_filters:
                    if intent.action in f.actions and all(
                        c in f.categories for c in intent.categories
                    ):
                        return pkg, act.name
        if (
            intent.action == "android.intent.action.MAIN"
            and "android.intent.category.HOME" in intent.categories
        ):
            launcher = self.pm.get(LAUNCHER_PACKAGE)
            return (launcher, LAUNCHER_ACTIVITY) if launcher else None
        return None

    def start_activity(self, intent: Intent) -> tuple[bool, str]:
        resolved = self.resolve_activity(intent)
        if resolved is None:
            if intent.component:
                pkg, cls = intent.component.split("/", 1)
                return False, (
                    f"Error type 3\nError: Activity class {{{pkg}/{cls}}} does not exist."
                )
            return False, f"Error: Activity not started, unable to resolve {intent.describe()}"
        pkg, activity = resolved
        # Launching an activity takes the package out of the stopped state.
        self.pm.set_stopped(pkg.name, False)
        rec = self.ensure_process(pkg.name, f"activity {{{pkg.name}/{activity}}}")
        self._set_top(pkg.name, activity)
        if rec is not None and rec.app is not None:
            rec.app.on_activity_started(activity, intent)
        return True, ""

    def go_home(self) -> None:
        self._set_top(LAUNCHER_PACKAGE, LAUNCHER_ACTIVITY)

    def _set_top(self, package: str, activity: str) -> None:
        """The resumed activity changes: ``top_changed(package, activity, previous)``, where
        ``previous`` is the package that was on top (None at boot), so that listeners need no
        copy of their own."""
        previous = self.top[0] if self.top is not None else None
        self.top = (package, activity)
        self.system.bus.publish("top_changed", package=package, activity=activity,
                                previous=previous)

    # ---------------------------------------------------------------- providers
    def acquire_provider(self, authority: str, caller_uid: int,
                         caller_permissions: frozenset[str] = SHELL_PERMISSIONS,
                         write: bool = False) -> AppModel:
        """getContentProviderExternal: find the provider, check its permission, start its
        process. Acquiring a provider takes its package out of the stopped state
        (ActivityManagerService.getContentProviderImpl: "its package can't be stopped")."""
        for pkg in self.pm.packages():
            if pkg.manifest is None:
                continue
            provider = pkg.manifest.provider_for_authority(authority)
            if provider is None:
                continue
            privileged = caller_uid in (0, 1000, pkg.uid)
            if not privileged:
                if not pkg.manifest.is_exported(provider):
                    raise ProviderAccessError(
                        "java.lang.SecurityException",
                        f"Permission Denial: opening provider {provider.name} from (null) "
                        f"(pid={self.device.shell_pid()}, uid={caller_uid}) that is not "
                        f"exported from UID {pkg.uid}")
                needed = (provider.write_permission if write else provider.read_permission) \
                    or provider.permission
                if needed and needed not in caller_permissions:
                    raise ProviderAccessError(
                        "java.lang.SecurityException",
                        f"Permission Denial: opening provider {provider.name} from (null) "
                        f"(pid={self.device.shell_pid()}, uid={caller_uid}) requires {needed} "
                        f"or {needed}")
            self.pm.set_stopped(pkg.name, False)
            rec = self.ensure_process(pkg.name, f"content provider {{{pkg.name}/{provider.name}}}")
            if rec is None or rec.app is None:
                break
            # ContentProviderHelper.getContentProviderImpl: a call into a frozen provider
            # process thaws it (CachedAppOptimizer.unfreezeTemporarily, GET_PROVIDER).
            self.system.bus.publish("process_binder_call", package=pkg.name,
                                    reason="get_provider")
            return rec.app
        raise ProviderAccessError("java.lang.IllegalStateException",
                                  f"Could not find provider: {authority}")

    # ---------------------------------------------------------------- broadcasts
    def send_broadcast(
        self,
        intent: Intent,
        sender_uid: int = SHELL_UID,
        sender_permissions: frozenset[str] = SHELL_PERMISSIONS,
    ) -> int:
        """Deliver to matching manifest receivers; returns how many received it."""
        delivered = 0
        targets = (
            [self.pm.get(intent.component_package or intent.package or "")]
            if (intent.component or intent.package)
            else self.pm.packages()
        )
        for pkg in targets:
            if pkg is None or pkg.manifest is None or not pkg.enabled:
                continue
            # Stopped packages get no broadcasts unless the intent asks for them
            # (ActivityManagerService.broadcastIntentLocked, FLAG_EXCLUDE_STOPPED_PACKAGES).
            if pkg.stopped and not intent.flags & FLAG_INCLUDE_STOPPED_PACKAGES:
                continue
            for receiver in pkg.manifest.receivers:
                # The component's enabled state: what the package manager has for it
                # (setComponentEnabledSetting), else the manifest's android:enabled.
                if not self.pm.is_component_enabled(pkg.name, receiver.name):
                    continue
                if intent.component and receiver.name != intent.component.split("/", 1)[1]:
                    continue
                if not intent.component and not any(
                    intent.action in f.actions for f in receiver.intent_filters
                ):
                    continue
                if receiver.exported is False and sender_uid not in (0, 1000, pkg.uid):
                    continue
                if (
                    receiver.permission
                    and receiver.permission not in sender_permissions
                    and sender_uid not in (0, 1000)
                ):
                    self.device.log.log(
                        "W",
                        "BroadcastQueue",
                        f"Permission Denial: broadcasting {intent.describe()} from "
                        f"com.android.shell (uid={sender_uid}) requires {receiver.permission}",
                        pid=self.device.system_server_pid,
                    )
                    continue
                rec = self.ensure_process(pkg.name, f"broadcast {{{pkg.name}/{receiver.name}}}")
                if rec is not None and rec.app is not None:
                    # A receiver about to run thaws a frozen process (BroadcastQueue:
                    # CachedAppOptimizer.unfreezeTemporarily, UNFREEZE_REASON_START_RECEIVER).
                    self.system.bus.publish("process_binder_call", package=pkg.name,
                                            reason="start_receiver")
                    rec.app.on_receive(intent, receiver.name)
                    delivered += 1
        return delivered

    # ---------------------------------------------------------------- shell
    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        if not args:
            inv.outln("Activity manager (activity) commands:")
            for name in sorted(self._am_commands):
                inv.outln(f"  {name}")
            return 0
        handler = self._am_commands.get(args[0])
        if handler is None:
            inv.errln(f"Unknown command: {args[0]}")
            return 255
        return await handler(inv, args[1:])

    async def _cmd_start(self, inv: Invocation, args: list[str]) -> int:
        try:
            intent, opts, _rest = parse_intent_args(args)
        except IntentArgsError as exc:
            inv.errln(
                f"Exception occurred while executing 'start':\n"
                f"java.lang.IllegalArgumentException: {exc}"
            )
            return 255
        if opts.get("-S") and intent.component_package:
            self.force_stop(intent.component_package)
        inv.outln(f"Starting: {intent.describe()}")
        start_ms = self.device.clock.elapsed_ms()
        ok, error = self.start_activity(intent)
        if not ok:
            inv.errln(error)
            return 255 if "Error type 3" not in error else 0
        if opts.get("-W"):
            took = max(1, self.device.clock.elapsed_ms() - start_ms)
            comp = f"{self.top[0]}/{self.top[1]}" if self.top else ""
            inv.outln(
                f"Status: ok\nLaunchState: COLD\nActivity: {comp}\n"
                f"TotalTime: {took}\nWaitTime: {took}\nComplete"
            )
        return 0

    async def _cmd_force_stop(self, inv: Invocation, args: list[str]) -> int:
        names = [a for a in _drop_user(args) if not a.startswith("-")]
        for name in names:
            self.force_stop(name)
        return 0

    async def _cmd_kill(self, inv: Invocation, args: list[str]) -> int:
        for name in [a for a in _drop_user(args) if not a.startswith("-")]:
            if not self.is_top(name):
                self.kill(name, "kill background")
        return 0

    async def _cmd_kill_all(self, inv: Invocation, args: list[str]) -> int:
        for name in list(self.processes):
            if not self.is_top(name) and name != LAUNCHER_PACKAGE:
                self.kill(name, "kill all background")
        return 0

    async def _cmd_broadcast(self, inv: Invocation, args: list[str]) -> int:
        try:
            intent, _opts, _rest = parse_intent_args(args)
        except IntentArgsError as exc:
            inv.errln(
                f"Exception occurred while executing 'broadcast':\n"
                f"java.lang.IllegalArgumentException: {exc}"
            )
            return 255
        inv.outln(f"Broadcasting: {intent.describe()}")
        self.send_broadcast(intent, sender_uid=inv.uid if inv.uid else SHELL_UID)
        inv.outln("Broadcast completed: result=0")
        return 0

    async def _cmd_crash(self, inv: Invocation, args: list[str]) -> int:
        """``am crash [--user U] PACKAGE|PID``: "Induce a VM crash in the specified package or
        process" (crashApplicationWithType): the process dies with REASON_CRASH."""
        targets = [a for a in _drop_user(args) if not a.startswith("-")]
        for target in targets:
            if target.isdigit():
                rec = next((r for r in self.processes.values() if r.pid == int(target)), None)
                if rec is not None:
                    self.kill(rec.package, "crash")
            else:
                self.kill(target, "crash")
        return 0

    async def _cmd_current_user(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("0")
        return 0

    async def _cmd_broadcast_idle(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("All broadcast queues are idle!")
        return 0

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        opts = [a for a in args if a.startswith("-")]
        rest = [a for a in args if not a.startswith("-")]
        if rest:
            handler = self._dump_sections.get(rest[0])
            if handler is not None:
                return await handler(inv, rest[1:] + opts)
            inv.outln(f"Bad activity command, or no activities match: {shlex.join(rest)}")
            inv.outln("Use -h for help.")
            return 0
        for name in ("activities", "processes"):
            await self._dump_sections[name](inv, [])
        return 0

    async def _dump_activities(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)")
        inv.outln("Display #0 (activities from top to bottom):")
        if self.top is not None:
            pkg, act = self.top
            short = act[len(pkg) :] if act.startswith(pkg + ".") else act
            rec = self.process_of(pkg)
            owner = self.pm.get(pkg)
            inv.outln(f"  * Task{{7f3a2b1 #1 type=standard A={owner.uid if owner else 0}:{pkg}}}")
            inv.outln(f"    * Hist  #0: ActivityRecord{{5b2c9d0 u0 {pkg}/{short} t1}}")
            inv.outln(f"  ResumedActivity: ActivityRecord{{5b2c9d0 u0 {pkg}/{short} t1}}")
            inv.outln(f"  mResumedActivity: ActivityRecord{{5b2c9d0 u0 {pkg}/{short} t1}}")
            if rec is not None:
                inv.outln(
                    f"  mFocusedApp=ActivityRecord{{5b2c9d0 u0 {pkg}/{short} t1}} pid={rec.pid}"
                )
        return 0

    async def _dump_top(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("TASK 10000:com.android.launcher3 id=1 userId=0")
        if self.top is not None:
            pkg, act = self.top
            short = act[len(pkg) :] if act.startswith(pkg + ".") else act
            rec = self.process_of(pkg)
            inv.outln(f"  ACTIVITY {pkg}/{short} 5b2c9d0 pid={rec.pid if rec else 0}")
        return 0

    async def _dump_processes(self, inv: Invocation, args: list[str]) -> int:
        inv.outln("ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)")
        for rec in sorted(self.processes.values(), key=lambda r: r.pid):
            pkg = self.pm.get(rec.package)
            inv.outln(
                f"  *APP* UID {rec.uid} ProcessRecord{{{rec.pid:x} {rec.pid}:{rec.package}/"
                f"{pkg.app_id_name if pkg else rec.uid}}}"
            )
            state = "TOP" if self.is_top(rec.package) else "CEM"
            inv.outln(f"    pid={rec.pid} curProcState={state}")
        return 0


def _drop_user(args: list[str]) -> list[str]:
    out, it = [], iter(args)
    for a in it:
        if a == "--user":
            next(it, None)
        else:
            out.append(a)
    return out
