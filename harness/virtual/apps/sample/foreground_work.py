"""Long-running WorkManager work: ``setForeground`` and WorkManager's SystemForegroundService
(work-runtime 2.10: WorkForegroundUpdater, Processor.startForeground / stopForeground,
SystemForegroundService and SystemForegroundDispatcher, workForeground), and SampleWorker's
``goForeground`` / ``getForegroundInfo`` (SampleWorker.kt).

- ``setForeground(info)`` moves the run to the Processor's foreground map, then
  ``startForegroundService(ACTION_START_FOREGROUND)`` (Android 12+ from the background:
  ForegroundServiceStartNotAllowedException, which reaches the worker; the run stays in the
  foreground map regardless, as in the Processor), then ``startService(ACTION_NOTIFY)``.
- The service's dispatcher calls ``startForeground(id, notification, type)`` for the first
  foreground work; later ones update their notification and widen the type to the union. On
  API 31+ ForegroundServiceStartNotAllowedException and SecurityException from
  ``startForeground`` are caught and logged ("Unable to start foreground service").
- Work in the foreground map ignores the schedulers' stops ("Ignored stopWork ... is in
  foreground"): JobScheduler stopping its job in Doze does not stop the worker. When the run
  ends, the Processor sends ACTION_STOP_FOREGROUND once no foreground work is left and the
  service calls ``stopForeground(true)`` and ``stopSelf()``.
- ``onTimeout`` (Android 14 shortService, Android 15 dataSync) stops the foreground work of that
  type with STOP_REASON_FOREGROUND_SERVICE_TIMEOUT and stops the service.
- Expedited work below API 31 runs in this foreground service with the worker's
  ``getForegroundInfo`` before ``doWork`` (workForeground); a failure there fails the work.

Not modelled: the dispatcher's constraint tracking of foreground work (stopForegroundWork when
its constraints become unmet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample import foreground_types as types
from harness.virtual.apps.sample import notifications
from harness.virtual.apps.sample.app import register_component
from harness.virtual.apps.sample.notifications import DEFAULT_WORKER_NOTIFICATION_ID, Notification
from harness.virtual.apps.sample.wm.schema import FINISHED
from harness.virtual.system.active_services_policy import (
    FOREGROUND_SERVICE_TYPE_MANIFEST,
    ForegroundServiceStartNotAllowedException,
)
from harness.virtual.system.activity import Intent
from harness.virtual.system.job_info import IllegalStateException, JavaException, SecurityException

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel
    from harness.virtual.apps.sample.wm.manager import WorkManager
    from harness.virtual.apps.sample.wm.processor import WorkerContext

SERVICE = "androidx.work.impl.foreground.SystemForegroundService"
ACTION_START_FOREGROUND = "ACTION_START_FOREGROUND"
ACTION_NOTIFY = "ACTION_NOTIFY"
ACTION_CANCEL_WORK = "ACTION_CANCEL_WORK"
ACTION_STOP_FOREGROUND = "ACTION_STOP_FOREGROUND"
KEY_NOTIFICATION = "KEY_NOTIFICATION"
KEY_NOTIFICATION_ID = "KEY_NOTIFICATION_ID"
KEY_FOREGROUND_SERVICE_TYPE = "KEY_FOREGROUND_SERVICE_TYPE"
KEY_WORKSPEC_ID = "KEY_WORKSPEC_ID"
STOP_REASON_FOREGROUND_SERVICE_TIMEOUT = -128  # WorkInfo
SOURCE = "service"
PROCESSOR_KEY = "wm.ForegroundProcessor"
SERVICE_KEY = "wm.SystemForegroundService"


@dataclass(frozen=True)
class ForegroundInfo:
    notification_id: int
    notification: Notification
    fgs_type: int = 0  # ForegroundInfo(id, notification): FOREGROUND_SERVICE_TYPE_NONE


def _intent(app: SampleAppModel, action: str, work_id: str | None = None,
            info: ForegroundInfo | None = None) -> Intent:
    extras: dict[str, Any] = {}
    if work_id is not None:
        extras[KEY_WORKSPEC_ID] = work_id
    if info is not None:
        extras.update({KEY_NOTIFICATION_ID: info.notification_id,
                       KEY_FOREGROUND_SERVICE_TYPE: info.fgs_type,
                       KEY_NOTIFICATION: info.notification})
    return Intent(action=action, component=f"{app.package.name}/{SERVICE}", extras=extras)


# ================================================================ the app's side (SampleWorker)
def foreground_info(app: SampleAppModel, name: str, spec: dict[str, Any]) -> ForegroundInfo:
    """SampleWorker.foregroundInfo: the notification ``Work: <name>`` / ``Running (<type>)``
    and, on API 29+, the type (dataSync unless the spec names another)."""
    notification_id = spec.get("notification_id")
    if not isinstance(notification_id, int) or isinstance(notification_id, bool):
        notification_id = DEFAULT_WORKER_NOTIFICATION_ID
    type_name = spec.get("type")
    type_name = str(type_name) if type_name is not None else types.DATA_SYNC
    notification = notifications.foreground(f"Work: {name}", f"Running ({type_name})")
    if app.device.api_level < 29:
        return ForegroundInfo(notification_id, notification)
    return ForegroundInfo(notification_id, notification,
                          types.FLAGS.get(type_name, types.FLAGS[types.DATA_SYNC]))


def go_foreground(ctx: WorkerContext, name: str, spec: dict[str, Any]) -> bool:
    """SampleWorker.goForeground: ``setForeground``; records ``fgs_started``, or ``refused``
    when the platform says no (the worker then goes on unpromoted)."""
    wm = ctx.run.processor.wm
    app = wm.app
    info = foreground_info(app, name, spec)
    try:
        set_foreground(wm, ctx.work_id, info)
    except JavaException as exc:
        app.record(SOURCE, "refused", name, {
            "error": types.error_code(exc, app.device.api_level), "message": types.message(exc),
            "exception": types.java_class(exc), "work_id": ctx.work_id})
        return False
    type_name = spec.get("type")
    app.record(SOURCE, "fgs_started", name, {
        "type": str(type_name) if type_name is not None else types.DATA_SYNC,
        "notification_id": info.notification_id, "work_id": ctx.work_id})
    return True


# ================================================================ WorkManager
def set_foreground(wm: WorkManager, work_id: str, info: ForegroundInfo) -> None:
    """WorkForegroundUpdater.setForegroundAsync; raises what the platform throws."""
    spec = wm.store.get(work_id)
    if spec is None or spec.state in FINISHED:
        raise IllegalStateException(
            "Calls to setForegroundAsync() must complete before a ListenableWorker signals "
            "completion of work by returning an instance of Result.")
    # "startForeground() is idempotent. NOTE: This will fail when the process is subject to
    # foreground service restrictions. Propagate the exception to the caller."
    foreground_processor(wm).start_foreground(work_id, info)
    notifications.active_services(wm.app).start_service(
        wm.app.package.name, SERVICE, _intent(wm.app, ACTION_NOTIFY, work_id, info))


def run_expedited_in_foreground(wm: WorkManager, ctx: WorkerContext, worker: Any) -> bool:
    """workForeground (2.7+): expedited work below API 31 is run in the foreground service
    with the worker's ForegroundInfo before its work starts; False fails the work."""
    get_info = getattr(worker, "get_foreground_info", None)
    info = get_info(ctx) if callable(get_info) else None
    if info is None:
        worker_class = ctx.run.spec.worker_class_name
        wm.log("E", "WorkerWrapper", f"Worker was marked important ({worker_class}) but did "
               "not provide ForegroundInfo")
        return False
    try:
        set_foreground(wm, ctx.work_id, info)
    except JavaException as exc:
        wm.log("E", "WorkerWrapper", f"Work [ id={ctx.work_id} ] failed because it threw an "
               f"exception/error: {exc}")
        return False
    return True


class ForegroundProcessor:
    """The Processor's foreground part: its map of foreground work is ``processor.foreground``."""

    def __init__(self, wm: WorkManager) -> None:
        self.wm = wm
        wm.processor.add_listener(self.on_executed)

    @property
    def app(self) -> SampleAppModel:
        return self.wm.app

    def start_foreground(self, work_id: str, info: ForegroundInfo) -> None:
        """Processor.startForeground: moves the run to the foreground map, then
        ``ContextCompat.startForegroundService`` (startService before API 26)."""
        processor = self.wm.processor
        if work_id not in processor.runs or work_id in processor.foreground:
            return  # mEnqueuedWorkMap.remove(id) found nothing
        self.wm.log("I", "Processor", f"Moving WorkSpec ({work_id}) to the foreground")
        processor.foreground.add(work_id)
        notifications.active_services(self.app).start_service(
            self.app.package.name, SERVICE, _intent(self.app, ACTION_START_FOREGROUND, work_id,
                                                    info),
            foreground=self.app.device.api_level >= 26)

    def stop_foreground_work(self, work_id: str, reason: int) -> None:
        """Processor.stopForegroundWork: cleanUpWorkerUnsafe, then interrupt."""
        processor = self.wm.processor
        run = processor.runs.pop(work_id, None)
        if work_id in processor.foreground:
            processor.foreground.discard(work_id)
            self.stop_foreground_service()
        if run is not None:
            run.interrupt(reason)

    def on_executed(self, work_id: str, generation: int, needs_reschedule: bool) -> None:
        """Processor.onExecuted -> cleanUpWorkerUnsafe: foreground work leaves the map."""
        if work_id in self.wm.processor.foreground:
            self.wm.processor.foreground.discard(work_id)
            # The service handles the intent later on the main thread, after the execution
            # listeners (SystemForegroundDispatcher.onExecuted) have run.
            self.wm.post("Processor.stopForegroundService", self.stop_foreground_service)

    def stop_foreground_service(self) -> None:
        """Processor.stopForegroundService: ACTION_STOP_FOREGROUND once no foreground work is
        left ("Unable to stop foreground service" when the platform refuses the start)."""
        if self.wm.processor.foreground:
            return
        try:
            notifications.active_services(self.app).start_service(
                self.app.package.name, SERVICE, _intent(self.app, ACTION_STOP_FOREGROUND))
        except JavaException as exc:
            self.wm.log("E", "Processor", f"Unable to stop foreground service: {exc}")


def foreground_processor(wm: WorkManager) -> ForegroundProcessor:
    current = wm.app.state.get(PROCESSOR_KEY)
    if current is None or current.wm is not wm:
        current = wm.app.state[PROCESSOR_KEY] = ForegroundProcessor(wm)
    return current


# ================================================================ SystemForegroundService
class SystemForegroundService:
    """SystemForegroundService, the dispatcher's callback."""

    def __init__(self, app: SampleAppModel) -> None:
        self.app = app
        self.shutdown = False
        self.dispatcher = SystemForegroundDispatcher(app, self)

    def on_start_command(self, intent: Intent) -> None:
        if self.shutdown:
            # "Re-initializing SystemForegroundService after a request to shut-down."
            self.dispatcher.on_destroy()
            self.dispatcher = SystemForegroundDispatcher(self.app, self)
            self.shutdown = False
        self.dispatcher.on_start_command(intent)

    def stop(self) -> None:
        self.shutdown = True
        services = notifications.active_services(self.app)
        pkg = self.app.package.name
        if self.app.device.api_level >= 26 and services.is_foreground(pkg, SERVICE):
            services.stop_foreground(pkg, SERVICE, remove_notification=True)
        services.stop_service(pkg, SERVICE)

    def start_foreground(self, notification_id: int, fgs_type: int,
                         notification: Notification) -> None:
        api = self.app.device.api_level
        if api < 29:
            fgs_type = FOREGROUND_SERVICE_TYPE_MANIFEST
        try:
            notifications.start_foreground(self.app, SERVICE, notification_id, fgs_type,
                                           notification)
        except (ForegroundServiceStartNotAllowedException, SecurityException) as exc:
            if api < 31:
                raise
            # Api31Impl: "WorkManager will eventually call stop() to clean up."
            self.app.work_manager().log("W", "SystemFgService",
                                        f"Unable to start foreground service: {exc}")

    def notify(self, notification_id: int, notification: Notification) -> None:
        notifications.notify(self.app, notification_id, notification)

    def cancel_notification(self, notification_id: int) -> None:
        notifications.cancel(self.app, notification_id)

    def on_destroy(self) -> None:
        self.dispatcher.on_destroy()
        if self.app.state.get(SERVICE_KEY) is self:
            self.app.state.pop(SERVICE_KEY, None)


class SystemForegroundDispatcher:
    def __init__(self, app: SampleAppModel, callback: SystemForegroundService) -> None:
        self.app = app
        self.callback: SystemForegroundService | None = callback
        self.wm = app.work_manager()  # WorkManagerImpl.getInstance
        self.current: str | None = None
        self.infos: dict[str, ForegroundInfo] = {}  # LinkedHashMap: insertion order
        self.wm.processor.add_listener(self.on_executed)

    def on_start_command(self, intent: Intent) -> None:
        action = intent.action
        if action == ACTION_START_FOREGROUND:
            self.wm.log("I", "SystemFgDispatcher",
                        f"Started foreground service {intent.describe()}")
            self._handle_notify(intent)
        elif action == ACTION_NOTIFY:
            self._handle_notify(intent)
        elif action == ACTION_CANCEL_WORK:
            work_id = intent.extras.get(KEY_WORKSPEC_ID)
            if work_id:
                from harness.virtual.apps.sample.wm.cancel import cancel_id

                cancel_id(self.wm, str(work_id))
        elif action == ACTION_STOP_FOREGROUND:
            self.wm.log("I", "SystemFgDispatcher", "Stopping foreground service")
            if self.callback is not None:
                self.callback.stop()

    def _handle_notify(self, intent: Intent) -> None:
        extras = intent.extras
        notification = extras.get(KEY_NOTIFICATION)
        work_id = str(extras.get(KEY_WORKSPEC_ID) or "")
        if notification is None or self.callback is None:
            return
        info = ForegroundInfo(int(extras.get(KEY_NOTIFICATION_ID, 0)), notification,
                              int(extras.get(KEY_FOREGROUND_SERVICE_TYPE, 0)))
        self.infos[work_id] = info
        if not self.current:
            # This work owns the foreground lifecycle.
            self.current = work_id
            self.callback.start_foreground(info.notification_id, info.fgs_type, notification)
            return
        self.callback.notify(info.notification_id, notification)
        if info.fgs_type != 0 and self.app.device.api_level >= 29:
            # The foreground type becomes the union of all current foreground work's types.
            union = 0
            for other in self.infos.values():
                union |= other.fgs_type
            current = self.infos.get(self.current)
            if current is not None:
                self.callback.start_foreground(current.notification_id, union,
                                               current.notification)

    def on_executed(self, work_id: str, generation: int, needs_reschedule: bool) -> None:
        removed = self.infos.pop(work_id, None)
        if work_id == self.current and self.infos:
            # Promote the most recent remaining notification to the foreground.
            self.current, info = list(self.infos.items())[-1]
            if self.callback is not None:
                self.callback.start_foreground(info.notification_id, info.fgs_type,
                                               info.notification)
                self.callback.cancel_notification(info.notification_id)
        if removed is not None and self.callback is not None:
            self.callback.cancel_notification(removed.notification_id)

    def on_timeout(self, fgs_type: int) -> None:
        """onTimeout(startId, fgsType): the foreground work of that type is stopped
        (WorkManagerImpl.stopForegroundWork, on the task executor), then the service."""
        self.wm.log("I", "SystemFgDispatcher", f"Foreground service timed out, FGS type: "
                                               f"{fgs_type}")
        processor = foreground_processor(self.wm)
        for work_id, info in list(self.infos.items()):
            if info.fgs_type == fgs_type:
                self.wm.post("StopWorkRunnable", lambda w=work_id: processor.stop_foreground_work(
                    w, STOP_REASON_FOREGROUND_SERVICE_TIMEOUT))
        if self.callback is not None:
            self.callback.stop()

    def on_destroy(self) -> None:
        self.callback = None
        if self.on_executed in self.wm.processor.listeners:  # removeExecutionListener
            self.wm.processor.listeners.remove(self.on_executed)


class _Component:
    @staticmethod
    def on_start_service(app: SampleAppModel, intent: Intent) -> None:
        service = app.state.get(SERVICE_KEY)
        if service is None:  # onCreate
            service = app.state[SERVICE_KEY] = SystemForegroundService(app)
        service.on_start_command(intent)

    @staticmethod
    def on_stop_service(app: SampleAppModel, reason: str) -> None:
        service = app.state.get(SERVICE_KEY)
        if service is not None:
            service.on_destroy()

    @staticmethod
    def on_service_timeout(app: SampleAppModel, fgs_type: int) -> None:
        service = app.state.get(SERVICE_KEY)
        if service is not None:
            service.dispatcher.on_timeout(fgs_type)


register_component(SERVICE, _Component)
