"""ActiveServices: started and foreground services of app models (part of the activity manager).

App models call :meth:`ActiveServices.start_service` (``startService`` /
``startForegroundService``), :meth:`~ActiveServices.start_foreground` (``Service.startForeground``
from inside the service), :meth:`~ActiveServices.stop_foreground` and
:meth:`~ActiveServices.stop_service` (``stopSelf`` / ``stopService``); the model calls back
``AppModel.on_start_service``, ``on_stop_service`` and ``on_service_timeout``. Foreground
services post their notification through :mod:`~.notification` and are announced on the bus as
``fgs_started(package, uid, service, types)`` / ``fgs_stopped(package, uid, service, types,
reason)``; a uid going idle (the settle minute after it was last on top, in a foreground
service or on the temp allowlist is over, or ``am make-uid-idle`` ended it early) is
``uid_idle(package, uid)``. ``am startservice|start-foreground-service|stopservice`` and
``dumpsys activity services [PKG]`` are registered with the activity manager.

The rules, per release (ActiveServices / ActivityManagerService; ``android-background-behavior.md``
§6; constants and messages in :mod:`~.active_services_policy`):

- Android 8+: an app targeting 26+ that is in the background (not on top, no foreground
  service, out of the 1-minute settle time, not temp-allowlisted or on the power-save
  allowlist) cannot ``startService``: IllegalStateException "Not allowed to start service ...:
  app is in background uid ...". ``startForegroundService`` is exempt, but the service must
  call ``startForeground`` within 5 s (10 s from Android 12) or the app crashes; stopping it
  before that crashes it too. A background-restricted app's ``startForegroundService`` quietly
  does nothing (Android 9+).
- Android 9+: ``startForeground`` needs the FOREGROUND_SERVICE permission (targets 28+).
- Android 12+ (targets 31+): starting a foreground service from the background throws
  ForegroundServiceStartNotAllowedException unless exempt: the app is on top or already runs a
  foreground service, the caller is the system or the shell, the app is in an FGS-allowed temp
  allowlist (after an exact or alarm-clock alarm, after BOOT_COMPLETED), or on the power-save
  allowlist.
- Android 14+ (targets 34+): a type is required (MissingForegroundServiceTypeException),
  ``type none`` is prohibited (InvalidForegroundServiceTypeException) and each type needs its
  FOREGROUND_SERVICE_<TYPE> permission and prerequisites (SecurityException); shortService
  times out after 3 minutes (``onTimeout``) and ANRs 10 s later.
- Android 15+ (targets 35+): dataSync and mediaProcessing may run 6 h in any 24 h (per type,
  reset when the app comes to the top); at the limit the service stops being foreground,
  gets ``onTimeout`` and must stop within 10 s or the app crashes; a new start of an exhausted
  type fails; most types cannot start from BOOT_COMPLETED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.virtual.fs import FIRST_APP_UID
from harness.virtual.system.active_services_limits import ServiceTimeouts
from harness.virtual.system.active_services_policy import (
    ACTIVITY_VISIBILITY_GRACE_PERIOD,
    ALLOWLISTED_PACKAGE,
    BACKGROUND_SETTLE_MS,
    BOOT_COMPLETED,
    BOOT_TEMP_ALLOWLIST_MS,
    DENIED,
    FG_TO_BG_FGS_GRACE_MS,
    FGS_BOOT_COMPLETED_ALLOWLIST,
    FGS_SHORT_SERVICE,
    FGS_TIME_LIMIT_MS,
    FGS_TYPES,
    FOREGROUND_SERVICE,
    FOREGROUND_SERVICE_TYPE_MANIFEST,
    PROC_STATE_FGS,
    PROC_STATE_TOP,
    START_FOREGROUND_TIMEOUT_LEGACY_MS,
    START_FOREGROUND_TIMEOUT_MS,
    SYSTEM_UID,
    TIME_LIMITED_TYPES,
    ForegroundServiceStartNotAllowedException,
    InvalidForegroundServiceTypeException,
    MissingForegroundServiceTypeException,
    permission_string,
    type_bits,
    type_label,
)
from harness.virtual.system.activity import ActivityManagerService, Intent
from harness.virtual.system.alarm_policy import identity_hash
from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.job_info import (
    IllegalArgumentException,
    IllegalStateException,
    JavaException,
    SecurityException,
    qualify_service,
    short_component,
)
from harness.virtual.system.notification import (
    IMPORTANCE_DEFAULT,
    NotificationManagerService,
    notification_string,
)
from harness.virtual.system.packages import InstalledPackage, PackageManagerService

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.shell.registry import Invocation

ACTION_BOOT_COMPLETED = "android.intent.action.BOOT_COMPLETED"
ACTION_LOCKED_BOOT_COMPLETED = "android.intent.action.LOCKED_BOOT_COMPLETED"


@dataclass(eq=False)
class ServiceRecord:
    """One started service (ServiceRecord)."""

    package: str
    name: str  # fully qualified class
    uid: int
    intent: Intent
    created_elapsed: int
    created_from_fg: bool
    hash: str
    start_requested: bool = False
    last_start_id: int = 0
    last_activity: int = 0
    fg_required: bool = False  # startForegroundService, startForeground still due
    is_foreground: bool = False
    foreground_id: int = 0
    foreground_types: int = 0
    notification: str | None = None  # Notification.toString of foregroundNoti
    allow_start_foreground: str = DENIED
    allow_reason_detail: str | None = None  # the temp allowlist reason, if that allowed it
    start_foreground_count: int = 0
    calling_package: str = ""
    calling_uid: int = 0
    short_fgs: tuple[int, int, int] | None = None  # (start, start id, timeout) elapsed
    timers: dict[str, Timer] = field(default_factory=dict)

    @property
    def short_name(self) -> str:
        return short_component(self.package, self.name)

    def cancel_timer(self, name: str) -> None:
        timer = self.timers.pop(name, None)
        if timer is not None:
            timer.cancel()


@dataclass
class FgsAllowlistEntry:
    until_elapsed: int
    code: str  # reason code name, as allowStartForeground prints it
    reason: str


@system_service
class ActiveServices(SystemService, ServiceTimeouts):
    # No binder of its own: ``dumpsys activity services`` and ``am *service`` belong to the
    # activity manager. Built before it (order 20) so that its boot_completed grants the
    # BOOT_COMPLETED temp allowlist before the broadcast goes out.
    order = 19

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self._pm = system.service(PackageManagerService)
        self.services: dict[tuple[str, str], ServiceRecord] = {}
        self.fgs_allowlist: dict[str, FgsAllowlistEntry] = {}
        # When each package last left the top (the 5 s FGS grace after it stopped being
        # visible counts from here).
        self.left_top: dict[str, int] = {}
        # UidRecord.lastBackgroundTime: when the uid last went from active (top, foreground
        # service, temp allowlist) to the background; it stays active for the settle minute
        # after, whatever made it leave.
        self.background_since: dict[str, int] = {}
        # Packages whose uid `am make-uid-idle` idled within that minute.
        self.idled: set[str] = set()
        # Android 15 time limits: (package, type bit) -> [[start, end or None], ...].
        self.usage: dict[tuple[str, int], list[list[int | None]]] = {}
        self._limit_timers: dict[tuple[str, int], Timer] = {}
        self._settle_timers: dict[str, Timer] = {}  # package -> the end of its settle minute

    # ================================================================ lifecycle
    def start(self) -> None:
        am = self.system.service(ActivityManagerService)
        for name in ("services", "s"):
            am.register_dump_section(name, self._dump)
        for name in ("startservice", "start-service"):
            am.register_am_command(name, self._cmd_start_service)
        if self.api_level >= 26:
            for name in (
                "startforegroundservice",
                "startfgservice",
                "start-foreground-service",
                "start-fg-service",
            ):
                am.register_am_command(name, self._cmd_start_foreground_service)
        for name in ("stopservice", "stop-service"):
            am.register_am_command(name, self._cmd_stop_service)
        bus = self.system.bus
        # Subscribed before JobScheduler and AlarmManager (higher order): by the time they
        # ask is_uid_active about a change, the settle minute it starts is known here.
        bus.subscribe("top_changed", self._on_top_changed)
        bus.subscribe("process_died", self._on_process_died)
        bus.subscribe("temp_whitelist_changed", self._on_temp_allowlist_changed)

    def boot_completed(self) -> None:
        # Android 12+: BOOT_COMPLETED / LOCKED_BOOT_COMPLETED are sent with a temp allowlist
        # (mBootTimeTempAllowlistDuration) that lets the receiver start a foreground service.
        if self.api_level < 31:
            return
        reason = (
            f"broadcast:1000:{ACTION_BOOT_COMPLETED},reason:,reasonCode:{BOOT_COMPLETED},"
            f"duration:{BOOT_TEMP_ALLOWLIST_MS},callingUid:1000"
        )
        doze = self.system.find("deviceidle")
        for pkg in self._pm.packages():
            if pkg.manifest is None or pkg.stopped or not pkg.enabled:
                continue
            if not any(
                r.handles(ACTION_BOOT_COMPLETED) or r.handles(ACTION_LOCKED_BOOT_COMPLETED)
                for r in pkg.manifest.receivers
            ):
                continue
            if doze is not None:
                doze.add_temp_whitelist(pkg.name, BOOT_TEMP_ALLOWLIST_MS, reason)
            self.allow_fgs_start_temporarily(
                pkg.name, BOOT_TEMP_ALLOWLIST_MS, BOOT_COMPLETED, reason
            )

    def shutdown(self) -> None:
        for record in self.services.values():
            for timer in record.timers.values():
                timer.cancel()
        for timer in [*self._limit_timers.values(), *self._settle_timers.values()]:
            timer.cancel()

    # ================================================================ Python API (app models)
    def start_service(
        self,
        package: str,
        service: str,
        intent: Intent | None = None,
        foreground: bool = False,
        caller_is_app_in_foreground: bool = False,
        caller_uid: int | None = None,
    ) -> str | None:
        """``Context.startService`` / ``startForegroundService`` (``foreground=True``) of
        ``service`` (``.Name`` is relative to the package), called by the app itself unless
        ``caller_uid`` says otherwise; ``caller_is_app_in_foreground`` tells that the app calls
        from a visible activity. Returns the started component (``pkg/.Svc``), or None when
        there is no such service or Android silently refuses (a background-restricted app).

        Raises IllegalStateException (the Android 8 background limit) or
        ForegroundServiceStartNotAllowedException (the Android 12 background FGS limit) with
        Android's messages. Before Android 8 ``foreground`` starts a plain service, as
        ContextCompat.startForegroundService does."""
        component, error = self._start(
            package, service, intent, foreground, caller_is_app_in_foreground, caller_uid
        )
        if isinstance(error, JavaException):
            raise error
        return component

    def start_foreground(
        self,
        package: str,
        service: str,
        notification_id: int,
        fgs_type: int = FOREGROUND_SERVICE_TYPE_MANIFEST,
        *,
        title: str = "",
        text: str = "",
        channel_id: str = "default",
        flags: int = 0,
        importance: int = IMPORTANCE_DEFAULT,
    ) -> None:
        """``Service.startForeground(id, notification[, type])`` from the running service;
        ``fgs_type`` -1 (FOREGROUND_SERVICE_TYPE_MANIFEST) is the two-argument form. Posts the
        notification (not shown without POST_NOTIFICATIONS on Android 13+).

        Raises SecurityException, IllegalArgumentException, MissingForegroundServiceTypeException,
        InvalidForegroundServiceTypeException or ForegroundServiceStartNotAllowedException as
        the release does; LookupError if the service is not running (a model error)."""
        record = self._record(package, service)
        pkg = self._pm.get(package)
        assert pkg is not None
        if notification_id == 0:
            raise IllegalArgumentException("Notification id must not be 0 for startForeground")
        now = self._now()
        types = self._check_start_foreground(record, pkg, fgs_type, now)
        was_foreground = record.is_foreground
        old_types = self._active_types(package)
        record.fg_required = False
        record.cancel_timer("start_foreground")
        record.is_foreground = True
        nms = self.system.maybe_service(NotificationManagerService)
        # setServiceForegroundInnerLocked: "if (r.foregroundId != id)
        # cancelForegroundNotificationLocked(r)": the old notification goes, unless another
        # foreground service of the app still shows it (same id).
        if record.foreground_id not in (0, notification_id) and nms is not None and not any(
            other is not record and other.package == package and other.is_foreground
            and other.foreground_id == record.foreground_id
            for other in self.services.values()
        ):
            nms.cancel_foreground(package, record.foreground_id)
        record.foreground_id = notification_id
        record.foreground_types = types
        record.start_foreground_count += 1
        posted = None
        if nms is not None:
            posted = nms.notify(
                package, record.uid, notification_id, None, channel_id, title, text, flags,
                foreground_service=True, importance=importance,
            )  # fmt: skip
        noti_flags = posted.flags if posted is not None else self._fgs_flags(flags)
        record.notification = notification_string(self.api_level, channel_id, noti_flags, None)
        if not was_foreground:
            self.system.bus.publish(
                "fgs_started", package=package, uid=record.uid, service=record.name, types=types
            )
        record.cancel_timer("short_timeout")
        record.cancel_timer("short_anr")
        record.short_fgs = None
        if self.api_level >= 34 and types == FGS_SHORT_SERVICE:
            self._arm_short_service(record, now)
        self._types_changed(package, old_types, now)

    def stop_foreground(self, package: str, service: str, remove_notification: bool = True) -> None:
        """``Service.stopForeground(STOP_FOREGROUND_REMOVE | _DETACH)``: the service keeps
        running in the background."""
        record = self._record(package, service)
        if record.is_foreground:
            self._demote(record, "stopForeground", remove_notification)

    def stop_service(self, package: str, service: str, reason: str = "stopSelf") -> bool:
        """``Service.stopSelf()`` / ``Context.stopService()``: the service is destroyed
        (``on_stop_service``). Returns False when it was not running. Stopping a service started
        with ``startForegroundService`` before it called ``startForeground`` crashes the app
        (Android 9+)."""
        record = self.services.get((package, qualify_service(package, service)))
        if record is None:
            return False
        fg_required = record.fg_required
        self._remove(record, reason)
        am = self.system.maybe_service(ActivityManagerService)
        app = am.app_of(package) if am is not None else None
        if app is not None:
            app.on_stop_service(record.name, reason)
        if fg_required and self.api_level >= 28:
            self._crash(
                package,
                self._did_not_start_class(),
                "Context.startForegroundService() did not then call Service.startForeground(): "
                f"ServiceRecord{{{record.hash} u0 {record.short_name}}}",
            )
        return True

    def running(self, package: str | None = None) -> list[ServiceRecord]:
        return [r for r in self.services.values() if package is None or r.package == package]

    def is_foreground(self, package: str, service: str) -> bool:
        record = self.services.get((package, qualify_service(package, service)))
        return record is not None and record.is_foreground

    def has_foreground_service(self, package: str) -> bool:
        return any(r.is_foreground for r in self.services.values() if r.package == package)

    def foreground_notification_of(
        self, package: str, id: int, tag: str | None
    ) -> ServiceRecord | None:
        """The foreground service whose notification the app's ``notify(tag, id, ...)``
        replaces: ActiveServices.applyForegroundServiceNotificationLocked (Android 12+) matches
        a null tag and the service's foregroundId, and the update keeps
        FLAG_FOREGROUND_SERVICE."""
        if self.api_level < 31 or tag is not None:
            return None
        for record in self.services.values():
            if record.is_foreground and record.package == package and record.foreground_id == id:
                return record
        return None

    def is_uid_active(self, package: str) -> bool:
        """The uid is active (not "idle"): on top, running a foreground service,
        temp-allowlisted, or within the settle minute after it stopped being any of these
        (UidRecord / AppStateTracker)."""
        if self._in_foreground_or_allowlisted(package):
            return True
        since = self.background_since.get(package)
        return (
            since is not None
            and package not in self.idled
            and self._now() - since < BACKGROUND_SETTLE_MS
        )

    def _in_foreground_or_allowlisted(self, package: str) -> bool:
        """Not a background procState, or on the temp allowlist: OomAdjuster.updateUidsLSP's
        test (isProcStateBackground(curProcState) && !isCurAllowListed) negated."""
        am = self.system.maybe_service(ActivityManagerService)
        if am is not None and am.is_top(package):
            return True
        if self.has_foreground_service(package):
            return True
        doze = self.system.find("deviceidle")
        return bool(doze is not None and doze.is_temp_whitelisted(package))

    def _maybe_went_background(self, package: str) -> None:
        """Called when something that kept the uid active ended (it left the top, its last
        foreground service stopped, its temp allowlist ran out). OomAdjuster.updateUidsLSP: a
        uid whose procState turns background and that is not allowlisted gets
        setLastBackgroundTime(now) and IDLE_UIDS_MSG after BACKGROUND_SETTLE_TIME; until then
        it stays active."""
        if self._in_foreground_or_allowlisted(package):
            return
        am = self.system.maybe_service(ActivityManagerService)
        if am is not None and am.process_of(package) is None:
            return  # no process, no UidRecord: nothing settles
        self.background_since[package] = self._now()
        self.idled.discard(package)
        self._cancel_settle_timer(package)
        self._settle_timers[package] = self.call_later(
            BACKGROUND_SETTLE_MS, "ActivityManager.idle_uids",
            lambda: self._settle_over(package),
        )  # fmt: skip

    def make_uid_idle(self, package: str) -> bool:
        """ActivityManagerService.makePackageIdle (``am make-uid-idle``): a uid in the
        background but still within its settle minute becomes idle at once (UidRecord.setIdle,
        doStopUidLocked). The 5 s FGS grace after the activity stopped being visible is
        separate (it follows the process's last top time) and goes on. Returns whether a uid
        was idled."""
        since = self.background_since.get(package)
        if since is None or package in self.idled or self._now() - since >= BACKGROUND_SETTLE_MS:
            return False
        self.idled.add(package)
        self._uid_idle(package)
        return True

    def _uid_idle(self, package: str) -> None:
        """UidObserver.onUidIdle: JobScheduler and AppStateTracker re-evaluate the uid."""
        self._cancel_settle_timer(package)
        pkg = self._pm.get(package)
        self.system.bus.publish("uid_idle", package=package, uid=pkg.uid if pkg else -1)

    def _cancel_settle_timer(self, package: str) -> None:
        timer = self._settle_timers.pop(package, None)
        if timer is not None:
            timer.cancel()

    def _not_settling(self, package: str) -> None:
        """The uid is active again (on top) or gone (no process): no settle minute runs."""
        self.background_since.pop(package, None)
        self.idled.discard(package)
        self._cancel_settle_timer(package)

    def _settle_over(self, package: str) -> None:
        """IDLE_UIDS_MSG, BACKGROUND_SETTLE_TIME after the uid went to the background
        (OomAdjuster.updateUidsLSP -> idleUids): the uid is idle unless it is active again."""
        self._settle_timers.pop(package, None)
        if not self.is_uid_active(package):
            self._uid_idle(package)

    def allow_fgs_start_temporarily(
        self, package: str, duration_ms: int, code: str, reason: str = ""
    ) -> None:
        """The FGS-allowed temp allowlist (mFgsStartTempAllowList) that AlarmManager grants on
        exact and alarm-clock alarm delivery and the boot broadcasts grant; ``code`` is the
        reason code name ``allowStartForeground`` will print."""
        until = self._now() + duration_ms
        entry = self.fgs_allowlist.get(package)
        if entry is None or entry.until_elapsed < until:
            self.fgs_allowlist[package] = FgsAllowlistEntry(until, code, reason)

    def time_used_ms(self, package: str, fgs_type: int) -> int:
        """Android 15: how long FGS of this type ran in the last 24 h (since the last reset)."""
        return self._used(package, fgs_type, self._now())

    def start_for(
        self, package: str, service: str, intent: Intent, foreground: bool, caller_uid: int
    ) -> tuple[str | None, JavaException | str | None]:
        """A start by another caller (the shell): (component, error) as the binder returns it;
        a string error is the ``?`` ComponentName that ``am`` prints as "Error: ..."."""
        return self._start(package, service, intent, foreground, False, caller_uid)

    # ================================================================ start
    def _now(self) -> int:
        return self.device.clock.elapsed_ms()

    def _am(self) -> ActivityManagerService:
        return self.system.service(ActivityManagerService)

    def _record(self, package: str, service: str) -> ServiceRecord:
        record = self.services.get((package, qualify_service(package, service)))
        if record is None:
            raise LookupError(f"service {service} of {package} is not running")
        return record

    def _start(
        self,
        package: str,
        service: str,
        intent: Intent | None,
        foreground: bool,
        caller_in_fg: bool,
        caller_uid: int | None,
    ) -> tuple[str | None, JavaException | str | None]:
        """ActiveServices.startServiceLocked: (component, error). A JavaException is thrown to
        the caller; a string is the ``?`` ComponentName ``am`` prints as "Error: ..."."""
        pkg = self._pm.get(package)
        name = qualify_service(package, service)
        decl = None
        if pkg is not None and pkg.manifest is not None:
            decl = next((s for s in pkg.manifest.services if s.name == name), None)
        short = short_component(package, name)
        intent = intent or Intent(component=f"{package}/{name}")
        if intent.component is None:
            intent.component = f"{package}/{name}"
        if pkg is None or decl is None or not pkg.enabled or decl.enabled is False:
            self._log("W", f"Unable to start service {intent.describe()} U=0: not found")
            return None, None
        if foreground and self.api_level < 26:
            foreground = False
        uid = pkg.uid if caller_uid is None else caller_uid
        now = self._now()
        am = self._am()
        existing = self.services.get((package, name))
        forced_standby = (
            self.api_level >= 28
            and self._bg_restricted(package)
            and not self.is_uid_active(package)
        )
        if foreground and forced_standby:
            # "Background start not allowed" for a restricted app: no exception, no service.
            self._log("W", f"Background start not allowed: service {intent.describe()} to "
                           f"{short} from pid=0 uid={uid} pkg={package} startFg?=true")  # fmt: skip
            return None, None
        reason, detail = self._fgs_allow_reason(pkg, uid, caller_in_fg, now)
        if foreground and self._bg_fgs_restricted(pkg) and reason == DENIED:
            message = (
                "startForegroundService() not allowed due to mAllowStartForeground false: "
                f"service {short}"
            )
            self._log("W", message)
            return None, ForegroundServiceStartNotAllowedException(message)
        new_start = existing is None or not existing.start_requested
        if (
            not foreground
            and new_start
            and self._bg_service_restricted(pkg, uid, caller_in_fg, forced_standby)
        ):
            self._log(
                "W",
                f"Background start not allowed: service {intent.describe()} to {short} "
                f"from pid=0 uid={uid} pkg={package} startFg?=false",
            )
            text = f"app is in background uid {self._uid_record(pkg)}"
            if uid != pkg.uid:
                return None, text
            return None, IllegalStateException(
                f"Not allowed to start service {intent.describe()}: {text}"
            )
        record = existing
        if record is None:
            record = ServiceRecord(
                package=package,
                name=name,
                uid=pkg.uid,
                intent=intent,
                created_elapsed=now,
                created_from_fg=caller_in_fg or am.is_top(package),
                hash=identity_hash("service", package, name, now),
            )
            self.services[(package, name)] = record
        record.start_requested = True
        record.last_start_id += 1
        record.last_activity = now
        caller = self._pm.by_uid(uid)
        record.calling_package = caller[0].name if caller else "com.android.shell"
        record.calling_uid = uid
        if not record.is_foreground:
            record.allow_start_foreground, record.allow_reason_detail = reason, detail
        if foreground and not record.is_foreground:
            record.fg_required = True
            record.cancel_timer("start_foreground")
            timeout = (
                START_FOREGROUND_TIMEOUT_MS if self.api_level >= 31
                else START_FOREGROUND_TIMEOUT_LEGACY_MS
            )  # fmt: skip
            record.timers["start_foreground"] = self.call_later(
                timeout, "ActiveServices.fgs_timeout",
                lambda: self._start_foreground_timeout(record),
            )  # fmt: skip
        rec = am.ensure_process(package, f"service {{{short}}}")
        if rec is not None and rec.app is not None and self.services.get((package, name)) is record:
            # A started service takes the process out of the cached range and thaws it
            # (CachedAppOptimizer.UNFREEZE_REASON_START_SERVICE); freezer.py listens.
            self.system.bus.publish("service_started", package=package, service=name)
            rec.app.on_start_service(name, intent)
        return short, None

    def _bg_restricted(self, package: str) -> bool:
        appops = self.system.find("appops")
        return bool(appops is not None and appops.is_background_restricted(package))

    def _bg_service_restricted(
        self, pkg: InstalledPackage, uid: int, caller_in_fg: bool, forced_standby: bool
    ) -> bool:
        """getAppStartModeLocked: an idle uid of an app targeting 26+ (or a background-
        restricted one) gets APP_START_MODE_DELAYED_RIGID; the full power-save allowlist and
        persistent apps are exempt."""
        if self.api_level < 26 or pkg.system or pkg.uid < FIRST_APP_UID:
            return False
        if uid == pkg.uid and caller_in_fg:
            return False
        if self.is_uid_active(pkg.name):
            return False
        doze = self.system.find("deviceidle")
        if doze is not None and doze.is_whitelisted(pkg.name):
            return False
        return pkg.target_sdk >= 26 or forced_standby

    def _bg_fgs_restricted(self, pkg: InstalledPackage) -> bool:
        """FGS_BG_START_RESTRICTION_CHANGE_ID: Android 12+, apps targeting 31+."""
        return self.api_level >= 31 and pkg.target_sdk >= 31

    def _fgs_allow_reason(
        self, pkg: InstalledPackage, caller_uid: int, caller_in_fg: bool, now: int
    ) -> tuple[str, str | None]:
        """shouldAllowFgsStartForegroundLocked, the exemptions the model knows: (reason code
        name, temp allowlist reason)."""
        if caller_uid in (0, 1000, 2000):
            return SYSTEM_UID, None  # ROOT, SYSTEM and SHELL app ids
        am = self._am()
        if (caller_uid == pkg.uid and caller_in_fg) or am.is_top(pkg.name):
            return PROC_STATE_TOP, None
        if self.has_foreground_service(pkg.name):
            return PROC_STATE_FGS, None
        left = self.left_top.get(pkg.name)
        if left is not None and now - left < FG_TO_BG_FGS_GRACE_MS:
            return ACTIVITY_VISIBILITY_GRACE_PERIOD, None
        entry = self.fgs_allowlist.get(pkg.name)
        if entry is not None and entry.until_elapsed > now:
            return entry.code, entry.reason
        doze = self.system.find("deviceidle")
        if doze is not None and doze.is_whitelisted(pkg.name):
            return ALLOWLISTED_PACKAGE, None
        return DENIED, None

    def _uid_record(self, pkg: InstalledPackage) -> str:
        """UidRecord.toString of the app, or ``null`` without a process."""
        am = self._am()
        if am.process_of(pkg.name) is None:
            return "null"
        return f"UidRecord{{{identity_hash('uid', pkg.uid)} {pkg.app_id_name} CEM  idle procs:1}}"

    # ================================================================ startForeground
    def _fgs_flags(self, flags: int) -> int:
        fixed = flags | 0x40 | 0x20
        return fixed | 0x2 if self.api_level <= 32 else fixed

    def _check_start_foreground(
        self, record: ServiceRecord, pkg: InstalledPackage, fgs_type: int, now: int
    ) -> int:
        """setServiceForegroundInnerLocked's checks, in order; returns the effective types."""
        api, target = self.api_level, pkg.target_sdk
        am = self._am()
        proc = am.process_of(pkg.name)
        pid = proc.pid if proc is not None else 0
        if api >= 28 and target >= 28 and not pkg.holds(FOREGROUND_SERVICE):
            raise SecurityException(
                f"Permission Denial: startForeground from pid={pid}, uid={pkg.uid} requires "
                f"{FOREGROUND_SERVICE}"
            )
        decl = next(s for s in pkg.manifest.services if s.name == record.name)  # type: ignore[union-attr]
        manifest_types = decl.foreground_service_types
        types = manifest_types if fgs_type == FOREGROUND_SERVICE_TYPE_MANIFEST else fgs_type
        if api < 29:
            types = 0
        elif fgs_type != FOREGROUND_SERVICE_TYPE_MANIFEST and fgs_type & ~manifest_types:
            raise IllegalArgumentException(
                f"foregroundServiceType 0x{fgs_type:08X} is not a subset of "
                f"foregroundServiceType attribute 0x{manifest_types:08X} in service element "
                "of manifest file"
            )
        caller = f"ProcessRecord{{{identity_hash('proc', pid)} {pid}:{pkg.name}/{pkg.app_id_name}}}"
        if api >= 34 and target >= 34:
            if types == 0:
                if fgs_type == FOREGROUND_SERVICE_TYPE_MANIFEST:
                    raise MissingForegroundServiceTypeException(
                        f"Starting FGS without a type  callerApp={caller} targetSDK={target}"
                    )
                raise InvalidForegroundServiceTypeException(
                    f"Starting FGS with type none callerApp={caller} targetSDK={target} "
                    "has been prohibited"
                )
            for bit in (b for b in sorted(FGS_TYPES) if types & b):
                policy = FGS_TYPES[bit]
                granted = all(pkg.holds(p) for p in policy.all_of) and (
                    not policy.any_of or any(pkg.holds(p) for p in policy.any_of)
                )
                if not granted:
                    raise SecurityException(
                        f"Starting FGS with type {policy.label} callerApp={caller} "
                        f"targetSDK={target} requires permissions: "
                        f"{permission_string(policy, api)}"
                    )
        if not record.is_foreground and self._bg_fgs_restricted(pkg):
            if record.start_foreground_count == 0 and not record.fg_required:
                # startService() then startForeground(): re-checked when it comes late.
                limit = START_FOREGROUND_TIMEOUT_MS
                if now - record.created_elapsed > limit:
                    reason, detail = self._fgs_allow_reason(pkg, pkg.uid, False, now)
                    record.allow_start_foreground, record.allow_reason_detail = reason, detail
            if record.allow_start_foreground == DENIED:
                raise ForegroundServiceStartNotAllowedException(
                    "Service.startForeground() not allowed due to mAllowStartForeground false: "
                    f"service {record.short_name}"
                )
        if api >= 35 and target >= 35:
            if record.allow_start_foreground == BOOT_COMPLETED and not (
                types & FGS_BOOT_COMPLETED_ALLOWLIST
            ):
                raise ForegroundServiceStartNotAllowedException(
                    f"FGS type {type_label(types)} not allowed to start from BOOT_COMPLETED!"
                )
            for bit in TIME_LIMITED_TYPES:
                if types & bit and self._used(pkg.name, bit, now) >= FGS_TIME_LIMIT_MS:
                    raise ForegroundServiceStartNotAllowedException(
                        f"Time limit already exhausted for foreground service type "
                        f"{type_label(bit)}"
                    )
        return types

    # ================================================================ common
    def _alive(self, record: ServiceRecord) -> bool:
        return self.services.get((record.package, record.name)) is record

    def _call_timeout(self, record: ServiceRecord, fgs_type: int) -> None:
        am = self.system.maybe_service(ActivityManagerService)
        app = am.app_of(record.package) if am is not None else None
        if app is not None:
            app.on_service_timeout(record.name, fgs_type)

    def _demote(self, record: ServiceRecord, reason: str, remove_notification: bool) -> None:
        now = self._now()
        old = self._active_types(record.package)
        types = record.foreground_types
        record.is_foreground = False
        record.cancel_timer("short_timeout")
        record.cancel_timer("short_anr")
        record.short_fgs = None
        if remove_notification:
            nms = self.system.maybe_service(NotificationManagerService)
            if nms is not None:
                nms.cancel_foreground(record.package, record.foreground_id)
            record.foreground_id = 0
            record.notification = None
        # Before the listeners hear of it: the uid's settle minute starts now.
        self._maybe_went_background(record.package)
        self.system.bus.publish(
            "fgs_stopped", package=record.package, uid=record.uid, service=record.name,
            types=types, reason=reason,
        )  # fmt: skip
        self._types_changed(record.package, old, now)

    def _remove(self, record: ServiceRecord, reason: str) -> None:
        """bringDownServiceLocked: the record goes; a foreground one takes its notification."""
        if not self._alive(record):
            return
        if record.is_foreground:
            self._demote(record, reason, remove_notification=True)
        for name in list(record.timers):
            record.cancel_timer(name)
        del self.services[(record.package, record.name)]
        self.system.bus.publish("service_stopped", package=record.package, service=record.name)

    def _log(self, level: str, message: str) -> None:
        self.device.log.log(level, "ActivityManager", message, pid=self.device.system_server_pid)

    # ================================================================ events
    def _on_top_changed(self, package: str, previous: str | None = None, **_: object) -> None:
        now = self._now()
        if previous is not None and previous != package:
            self.left_top[previous] = now
            self._maybe_went_background(previous)
        self.left_top.pop(package, None)
        self._not_settling(package)
        if self._limited(package):
            # Android 15: "The timer resets when the user brings the app to the foreground."
            active = self._active_types(package)
            for bit in TIME_LIMITED_TYPES:
                self.usage[(package, bit)] = [[now, None]] if active & bit else []
                if active & bit:
                    self._schedule_limit(package, bit, now)

    def _on_process_died(self, package: str, **_: object) -> None:
        # The process took its services with it (no callbacks: the app is gone).
        for record in [r for r in self.services.values() if r.package == package]:
            self._remove(record, "process died")
        # With its last process the UidRecord goes (ProcessList.removeProcessNameLocked ->
        # CHANGE_GONE): listeners see the uid gone, not settling.
        self._not_settling(package)

    def _on_temp_allowlist_changed(self, package: str, until_elapsed_ms: int, **_: object) -> None:
        if until_elapsed_ms == 0:  # removed or run out
            self._maybe_went_background(package)

    # ================================================================ shell
    async def _cmd_start_service(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.active_services_shell import start_service

        return start_service(self, inv, args, foreground=False)

    async def _cmd_start_foreground_service(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.active_services_shell import start_service

        return start_service(self, inv, args, foreground=True)

    async def _cmd_stop_service(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.active_services_shell import stop_service

        return stop_service(self, inv, args)

    async def _dump(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.active_services_shell import dump

        return dump(self, inv, args)


def fgs_type_bits(types: int) -> list[int]:
    """The single-type bits of a type mask (for app models handling ``on_service_timeout``)."""
    return type_bits(types)


__all__ = ["ActiveServices", "ServiceRecord", "fgs_type_bits"]
