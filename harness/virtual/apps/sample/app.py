"""The sample app (``dev.harness.sample``) on the virtual device: one instance per process.

What lives in the process lives here and dies with it: the open databases, WorkManager (made
in onCreate from the app's Configuration.Provider), timers of running work, in-process tasks.
What the app persists is in its data directory: the event log and WorkManager's database.

Components, as the merged manifest declares them: the control provider (contract methods through
:mod:`~harness.virtual.apps.sample.methods`), BootReceiver, SampleJobService, and WorkManager's
SystemJobService, RescheduleReceiver and DiagnosticsReceiver. Receivers and services of other
kinds of work (alarms, foreground services) plug in through :func:`register_component`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.app import contract as c
from harness.virtual.apps.base import AppModel, ProviderError, app_model
from harness.virtual.apps.sample import methods
from harness.virtual.apps.sample.eventlog import EventLog
from harness.virtual.apps.sample.jsonargs import dumps
from harness.virtual.apps.sample.wm.diagnostics import ACTION as DIAGNOSTICS_ACTION
from harness.virtual.apps.sample.wm.diagnostics import RECEIVER as DIAGNOSTICS_RECEIVER
from harness.virtual.apps.sample.wm.diagnostics import request_diagnostics
from harness.virtual.apps.sample.wm.jobs import SYSTEM_JOB_SERVICE
from harness.virtual.apps.sample.wm.manager import RESCHEDULE_RECEIVER, WorkManager
from harness.virtual.apps.sample.wm.systemjob import SystemJobService
from harness.virtual.system.freezer import run_when_thawed

if TYPE_CHECKING:
    from harness.virtual.clock import Timer
    from harness.virtual.system.activity import Intent
    from harness.virtual.system.jobscheduler import JobParameters
    from harness.virtual.ui import UiNode

log = logging.getLogger(__name__)

BOOT_COMPLETED = "android.intent.action.BOOT_COMPLETED"
# RescheduleReceiver's intent filter (work-runtime's manifest).
RESCHEDULE_ACTIONS = (
    BOOT_COMPLETED,
    "android.intent.action.TIME_SET",
    "android.intent.action.TIMEZONE_CHANGED",
)
# SampleApp.workManagerConfiguration: setJobSchedulerJobIdRange(-1, 999).
WORKMANAGER_JOB_ID_RANGE = (c.WORKMANAGER_JOB_ID_MIN, c.WORKMANAGER_JOB_ID_MAX)
PRIVILEGED_UIDS = (0, 1000, 2000)  # root, system and the shell hold DUMP
# SampleApp.onCreate calls WorkManager.getInstance, so WorkManager (and its ForceStopRunnable,
# which reschedules work after a reboot or a force-stop) starts with every process.
WORKMANAGER_AT_PROCESS_START = True

# Components of other kinds of work: class name -> handler with any of on_receive(app, intent),
# on_start_service(app, intent), on_stop_service(app, reason), on_service_timeout(app, type).
_COMPONENTS: dict[str, Any] = {}


def register_component(class_name: str, handler: Any) -> None:
    """A receiver or service of the app that another module models."""
    _COMPONENTS[class_name] = handler


@app_model(c.PACKAGE)
class SampleAppModel(AppModel):
    package_name = c.PACKAGE

    def on_create(self) -> None:
        self.alive = True
        self._timers: dict[int, Timer] = {}  # Timer is not hashable: by id()
        self._wm: WorkManager | None = None
        self._job_service: SystemJobService | None = None
        self.state: dict[str, Any] = {}  # per-process state of the method modules
        self.events = EventLog(self)
        self.events.open()
        # SampleApp.onCreate. The start reason (ApplicationStartInfo, API 35) and the previous
        # exit (ApplicationExitInfo, API 30) are not known to the virtual activity manager.
        self.record("app", "process_start")
        if WORKMANAGER_AT_PROCESS_START:
            self.work_manager()

    def on_destroy(self, reason: str) -> None:
        self.alive = False
        for timer in list(self._timers.values()):
            timer.cancel()
        self._timers.clear()
        for fn in list(self.state.get("on_destroy", [])):
            fn()
        if self._wm is not None:
            self._wm.close()
            self._wm = None
        self.events.close()

    # ------------------------------------------------------------------ process plumbing
    def later(self, delay_ms: float, name: str, callback: Callable[[], Any]) -> Timer:
        """A Handler/coroutine delay in this process: it never fires once the process died,
        and it waits while the process is frozen (the cached-apps freezer,
        :mod:`harness.virtual.system.freezer`): a frozen process runs no code, and its Looper
        delivers the overdue message as soon as it is thawed. ``cancel()`` still works while
        it waits."""

        def thawed() -> None:
            if timer.cancelled:  # cancelled while the process was frozen
                return
            timer.cancelled = True
            fire()

        def fire() -> None:
            self._timers.pop(id(timer), None)
            if not self.alive:
                return
            if self.process.frozen:
                timer.cancelled = False  # still pending: the app may cancel it
                self._timers[id(timer)] = timer
                run_when_thawed(self.process, thawed)
                return
            try:
                callback()
            except Exception:  # an exception in app code must not break the device
                log.exception("%s: %s failed", c.PACKAGE, name)

        timer = self.system.timers.call_later(max(0, delay_ms), f"{c.PACKAGE}:{name}", fire)
        self._timers[id(timer)] = timer
        return timer

    def log(self, level: str, message: str, tag: str = c.LOG_TAG) -> None:
        self.device.log.log(level, tag, message, pid=self.process.pid)

    def record(self, source: str, event: str, name: str = "",
               detail: dict[str, Any] | None = None) -> int:
        return self.events.record(source, event, name, detail)

    def work_manager(self) -> WorkManager:
        """WorkManager.getInstance(context): initialized on first use in this process."""
        if self._wm is None:
            self._wm = WorkManager(self, WORKMANAGER_JOB_ID_RANGE)
            self._wm.start()
        return self._wm

    @property
    def work_manager_running(self) -> bool:
        return self._wm is not None

    # ------------------------------------------------------------------ components
    def on_receive(self, intent: Intent, receiver: str) -> None:
        if receiver == c.BOOT_RECEIVER_CLASS and intent.action == BOOT_COMPLETED:
            counts = methods.on_boot(self)
            self.record("app", "boot_completed",
                        detail={f"reregistered_{k}": v for k, v in counts.items()})
        elif receiver == RESCHEDULE_RECEIVER and intent.action in RESCHEDULE_ACTIONS:
            # RescheduleReceiver.onReceive: WorkManagerImpl.getInstance, then goAsync until
            # ForceStopRunnable has run (setReschedulePendingResult only finishes the result).
            # It is disabled in the manifest and reaches the app only while WorkManager keeps it
            # enabled (unfinished work exists): its broadcast starts the process, and WorkManager
            # with it, whose ForceStopRunnable schedules the work that lost its jobs.
            self.work_manager()
        elif receiver == DIAGNOSTICS_RECEIVER and intent.action == DIAGNOSTICS_ACTION:
            request_diagnostics(self.work_manager())
        elif receiver in _COMPONENTS and hasattr(_COMPONENTS[receiver], "on_receive"):
            _COMPONENTS[receiver].on_receive(self, intent)

    def on_start_job(self, service: str, params: JobParameters) -> bool:
        if service == c.JOB_SERVICE_CLASS:
            from harness.virtual.apps.sample import job_methods

            return job_methods.on_start_job(self, params)
        if service == SYSTEM_JOB_SERVICE:
            return self.system_job_service().on_start_job(params)
        return False

    def on_stop_job(self, service: str, params: JobParameters) -> bool:
        if service == c.JOB_SERVICE_CLASS:
            from harness.virtual.apps.sample import job_methods

            return job_methods.on_stop_job(self, params)
        if service == SYSTEM_JOB_SERVICE:
            return self.system_job_service().on_stop_job(params)
        return False

    def system_job_service(self) -> SystemJobService:
        """SystemJobService.onCreate initializes WorkManager."""
        if self._job_service is None:
            self._job_service = SystemJobService(self.work_manager())
        return self._job_service

    def on_start_service(self, service: str, intent: Intent) -> None:
        handler = _COMPONENTS.get(service)
        if handler is not None and hasattr(handler, "on_start_service"):
            handler.on_start_service(self, intent)

    def on_stop_service(self, service: str, reason: str) -> None:
        handler = _COMPONENTS.get(service)
        if handler is not None and hasattr(handler, "on_stop_service"):
            handler.on_stop_service(self, reason)

    def on_service_timeout(self, service: str, fgs_type: int) -> None:
        handler = _COMPONENTS.get(service)
        if handler is not None and hasattr(handler, "on_service_timeout"):
            handler.on_service_timeout(self, fgs_type)

    # ------------------------------------------------------------------ the control provider
    def _enforce_caller(self, caller_uid: int) -> None:
        """ControlProvider.enforceCaller: the app itself, or a caller holding DUMP (the
        platform does not check a provider's permission for call())."""
        if caller_uid == self.package.uid or caller_uid in PRIVILEGED_UIDS:
            return
        from harness.virtual.system.packages import PackageManagerService

        pm = self.system.maybe_service(PackageManagerService)
        callers = pm.by_uid(caller_uid) if pm is not None else []
        if not any(p.system and p.holds(c.GUARD_PERMISSION) for p in callers):
            raise ProviderError("java.lang.SecurityException",
                                f"{c.AUTHORITY} requires {c.GUARD_PERMISSION}")

    def provider_call(self, authority: str, method: str, arg: str | None,
                      extras: dict[str, Any], caller_uid: int) -> dict[str, Any] | None:
        self._enforce_caller(caller_uid)
        return {c.RESULT_KEY: dumps(methods.dispatch(self, method, arg))}

    def provider_query(self, uri: str, projection: list[str] | None, where: str | None,
                       sort: str | None, caller_uid: int) -> tuple[list[str], list[list[Any]]]:
        self._enforce_caller(caller_uid)
        return self.events.query(uri, projection, where, sort)

    def ui_nodes(self, activity: str) -> list[UiNode]:
        from harness.virtual.apps.sample.ui import main_activity_nodes

        return main_activity_nodes(self) if activity == c.MAIN_ACTIVITY else []
