"""SampleForegroundService (SampleForegroundService.kt), with the start request and intent
ServiceControl.kt sends it.

The manifest declares it with ``foregroundServiceType="dataSync|specialUse|shortService"``.
Several named runs may be active at once; the service stays foreground while any is, showing
the latest run's notification. One instance lives from the first start to ``onDestroy`` (the
process dying takes it along without callbacks, as on a phone). Each ``onStartCommand`` records
``started``, then calls ``startForeground(id, notification, type)`` (API 29+; the two-argument
form before); an exception there is recorded as ``refused`` and the service stops if nothing
else runs. A run ends after ``duration_ms`` (``finished``, then ``fgs_stopped``), when stopped
by name or by ``reset``, or at ``onTimeout`` (Android 14 shortService, Android 15 dataSync),
where every run is recorded as ``timeout`` and stopped at once, as the platform requires.
The provider waits for the service's answer (ServiceControl.complete); here the service runs
within the start call, so the answer is there when the call returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.app import contract as c
from harness.virtual.apps.sample import foreground_types as types
from harness.virtual.apps.sample import notifications
from harness.virtual.apps.sample.app import register_component
from harness.virtual.apps.sample.jsonargs import Args, BadArguments, error, json_of, ok
from harness.virtual.apps.sample.notifications import DEFAULT_SERVICE_NOTIFICATION_ID
from harness.virtual.system.active_services_policy import FOREGROUND_SERVICE_TYPE_MANIFEST
from harness.virtual.system.activity import Intent
from harness.virtual.system.job_info import JavaException

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel
    from harness.virtual.apps.sample.notifications import Notification

SERVICE = c.FOREGROUND_SERVICE_CLASS
SOURCE = "service"
FROM_FOREGROUND, FROM_BACKGROUND = "foreground", "background"
ACTION_START = "dev.harness.sample.action.START_FOREGROUND"
EXTRA_NAME = "harness.name"
EXTRA_TYPE = "harness.type"
EXTRA_NOTIFICATION_ID = "harness.notification_id"
EXTRA_DURATION_MS = "harness.duration_ms"
EXTRA_FROM = "harness.from"
EXTRA_ORIGIN = "harness.origin"
EXTRA_TOKEN = "harness.token"
STATE_KEY = "SampleForegroundService.running"
ANSWERS_KEY = "ServiceControl.pending"


@dataclass(frozen=True)
class StartRequest:
    """ServiceControl.StartRequest: the checked arguments of a start."""

    name: str
    type: str
    duration_ms: int
    notification_id: int
    start_from: str

    @classmethod
    def parse(cls, args: Args, default_from: str) -> StartRequest:
        fgs_type = args.string("type", types.NONE)
        types.flag(fgs_type)  # a known type name, or bad_arguments
        start_from = args.string("from", default_from)
        if start_from not in (FROM_FOREGROUND, FROM_BACKGROUND):
            raise BadArguments(f"'from' must be '{FROM_FOREGROUND}' or '{FROM_BACKGROUND}', "
                               f"not '{start_from}'")
        return cls(
            name=args.string("name"),
            type=fgs_type,
            duration_ms=args.non_negative_long("duration_ms", 0),
            notification_id=args.int("notification_id", DEFAULT_SERVICE_NOTIFICATION_ID),
            start_from=start_from,
        )


def start_intent(app: SampleAppModel, request: StartRequest, token: str | None,
                 origin: str = "control") -> Intent:
    """SampleForegroundService.startIntent."""
    return Intent(action=ACTION_START, component=f"{app.package.name}/{SERVICE}", extras={
        EXTRA_NAME: request.name, EXTRA_TYPE: request.type,
        EXTRA_NOTIFICATION_ID: request.notification_id, EXTRA_DURATION_MS: request.duration_ms,
        EXTRA_FROM: request.start_from, EXTRA_ORIGIN: origin, EXTRA_TOKEN: token,
    })


def answers(app: SampleAppModel) -> dict[str, dict[str, Any] | None]:
    """ServiceControl.pending: the starts the provider waits for, by token."""
    return app.state.setdefault(ANSWERS_KEY, {})


def complete(app: SampleAppModel, token: str | None, result: dict[str, Any]) -> None:
    """ServiceControl.complete: the service reports the outcome of a start."""
    pending = answers(app)
    if token is not None and token in pending:
        pending[token] = result


def running(app: SampleAppModel) -> SampleForegroundService | None:
    """SampleForegroundService.running: the live instance, if the service was created."""
    return app.state.get(STATE_KEY)


@dataclass
class Run:
    name: str
    type_name: str
    type: int
    notification_id: int
    start_id: int
    notification: Notification
    stop_timer: Any


class SampleForegroundService:
    def __init__(self, app: SampleAppModel) -> None:
        self.app = app
        self.runs: dict[str, Run] = {}  # insertion ordered, like the app's LinkedHashMap

    # ------------------------------------------------------------------ onStartCommand
    def on_start_command(self, intent: Intent, start_id: int) -> None:
        if intent.action != ACTION_START:
            # Restarted without an intent, or an unknown action: nothing to run.
            if not self.runs:
                self._stop_self()
            return
        extras = intent.extras
        name = str(extras.get(EXTRA_NAME) or "")
        type_name = str(extras.get(EXTRA_TYPE) or types.NONE)
        fgs_type = types.FLAGS.get(type_name, 0)
        notification_id = int(extras.get(EXTRA_NOTIFICATION_ID, DEFAULT_SERVICE_NOTIFICATION_ID))
        duration_ms = int(extras.get(EXTRA_DURATION_MS) or 0)
        start_from = str(extras.get(EXTRA_FROM) or FROM_BACKGROUND)
        origin = str(extras.get(EXTRA_ORIGIN) or "control")
        token = extras.get(EXTRA_TOKEN)
        self._record("started", name, {"type": type_name, "notification_id": notification_id,
                                       "from": start_from, "origin": origin,
                                       "start_id": start_id})
        notification = notifications.foreground(f"Service: {name}",
                                                f"Foreground service ({type_name})")
        try:
            self._enter_foreground(notification_id, notification, fgs_type)
        except JavaException as exc:
            code = types.error_code(exc, self.app.device.api_level)
            self._record("refused", name, {
                "error": code, "message": types.message(exc),
                "exception": types.java_class(exc), "type": type_name, "from": start_from})
            complete(self.app, token, error(code, types.message(exc)))
            if not self.runs:
                self._stop_self()
            return
        previous = self.runs.pop(name, None)
        if previous is not None:
            # The same name again: the new run replaces the old one.
            if previous.stop_timer is not None:
                previous.stop_timer.cancel()
            self._record("fgs_stopped", name, {"reason": "restarted",
                                               "type": previous.type_name})
        stop_timer = None
        if duration_ms > 0:
            stop_timer = self.app.later(  # handler.postDelayed
                duration_ms, "SampleForegroundService.duration",
                lambda: self._finish(name, "duration_elapsed", completed=True))
        self.runs[name] = Run(name, type_name, fgs_type, notification_id, start_id,
                              notification, stop_timer)
        self._record("fgs_started", name, {"type": type_name, "notification_id": notification_id,
                                           "from": start_from, "origin": origin})
        complete(self.app, token, ok(started=True, type=type_name,
                                     notification_id=notification_id))

    # ------------------------------------------------------------------ onTimeout
    def on_foreground_timeout(self, start_id: int, fgs_type: int) -> None:
        """onTimeout(startId) (Android 14, shortService) and onTimeout(startId, fgsType)
        (Android 15): record ``timeout`` and stop every run now, as the platform requires
        within seconds."""
        type_name = types.name(fgs_type)
        timed_out = [r for r in self.runs.values()
                     if r.type & fgs_type or r.start_id == start_id]
        if not timed_out:
            self._record("timeout", "", {"type": type_name, "start_id": start_id})
        for run in timed_out:
            self._record("timeout", run.name, {"type": type_name, "start_id": start_id})
        self.stop_all("timeout")

    # ------------------------------------------------------------------ stopping
    def stop_by_name(self, name: str) -> bool:
        if name not in self.runs:
            return False
        self._finish(name, "stop_requested", completed=False)
        return True

    def stop_all(self, reason: str) -> int:
        names = list(self.runs)
        for name in names:
            self._finish(name, reason, completed=False)
        if not names:
            self._stop_self()
        return len(names)

    def _finish(self, name: str, reason: str, completed: bool) -> None:
        run = self.runs.pop(name, None)
        if run is None:
            return
        if run.stop_timer is not None:
            run.stop_timer.cancel()
        if completed:
            self._record("finished", name, {"type": run.type_name, "duration_elapsed": True})
        self._record("fgs_stopped", name, {"reason": reason, "type": run.type_name})
        latest = list(self.runs.values())[-1] if self.runs else None
        if latest is None:
            self._stop_foreground()
            self._stop_self()
            return
        try:
            # Show the remaining run's notification and type.
            self._enter_foreground(latest.notification_id, latest.notification, latest.type)
        except JavaException as exc:
            self.app.log("W", f"could not switch the foreground notification to "
                              f"'{latest.name}': {exc}")

    def on_destroy(self) -> None:
        for run in list(self.runs.values()):
            if run.stop_timer is not None:
                run.stop_timer.cancel()
            self._record("fgs_stopped", run.name, {"reason": "destroyed", "type": run.type_name})
        self.runs.clear()
        if running(self.app) is self:
            self.app.state.pop(STATE_KEY, None)

    # ------------------------------------------------------------------ platform calls
    def _enter_foreground(self, notification_id: int, notification: Notification,
                          fgs_type: int) -> None:
        # API 29+ takes the type; API 34+ requires a declared type and its
        # FOREGROUND_SERVICE_<TYPE> permission (else Missing...TypeException / SecurityException).
        if self.app.device.api_level < 29:
            fgs_type = FOREGROUND_SERVICE_TYPE_MANIFEST
        notifications.start_foreground(self.app, SERVICE, notification_id, fgs_type,
                                       notification)

    def _stop_foreground(self) -> None:
        """stopForeground(STOP_FOREGROUND_REMOVE)."""
        services = notifications.active_services(self.app)
        if services.is_foreground(self.app.package.name, SERVICE):
            services.stop_foreground(self.app.package.name, SERVICE, remove_notification=True)

    def _stop_self(self) -> None:
        """stopSelf(): the platform destroys the service (onDestroy)."""
        notifications.active_services(self.app).stop_service(self.app.package.name, SERVICE)

    def _record(self, event: str, name: str, detail: dict[str, Any]) -> None:
        self.app.record(SOURCE, event, name, json_of(**detail))


def _start_id(app: SampleAppModel, short_service: bool = False) -> int:
    """The start id the platform passes: the service record's last one (the shortService
    timeout passes the start id it armed with)."""
    for record in notifications.active_services(app).running(app.package.name):
        if record.name == SERVICE:
            if short_service and record.short_fgs is not None:
                return record.short_fgs[1]
            return record.last_start_id
    return 0


class _Component:
    """The service's lifecycle callbacks as the platform delivers them."""

    @staticmethod
    def on_start_service(app: SampleAppModel, intent: Intent) -> None:
        service = running(app)
        if service is None:  # onCreate
            service = app.state[STATE_KEY] = SampleForegroundService(app)
        service.on_start_command(intent, _start_id(app))

    @staticmethod
    def on_stop_service(app: SampleAppModel, reason: str) -> None:
        service = running(app)
        if service is not None:
            service.on_destroy()

    @staticmethod
    def on_service_timeout(app: SampleAppModel, fgs_type: int) -> None:
        service = running(app)
        if service is not None:
            start_id = _start_id(app, short_service=fgs_type == types.FLAGS["shortService"])
            service.on_foreground_timeout(start_id, fgs_type)


register_component(SERVICE, _Component)
