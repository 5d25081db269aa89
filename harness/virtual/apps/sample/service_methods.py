"""The foreground-service methods of the control provider: ``start_foreground_service``,
``stop_foreground_service``, the ``services`` part of ``reset``, and the start an alarm's
``on_fire`` asks for (ServiceControl.kt).

- ``from: foreground``: ``Context.startService()``, and the service promotes itself with
  ``startForeground``. The driver brings the app's activity to the front first (contract:
  an app cannot reliably do that from the background); the app starts the service from
  whatever state it is in and the platform decides: from the background Android 8+ throws
  IllegalStateException (12+: ServiceStartNotAllowedException), answered ``start_not_allowed``.
- ``from: background``: ``Context.startForegroundService()``; Android 12+ (target 31+) throws
  ForegroundServiceStartNotAllowedException unless an exemption applies.

Refusals of the start are recorded as ``refused`` here; those of ``startForeground`` by the
service (:mod:`.foreground_service`), whose answer the provider returns.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample import foreground_types as types
from harness.virtual.apps.sample import foreground_work as foreground_work  # registers it
from harness.virtual.apps.sample.foreground_service import (
    FROM_BACKGROUND,
    FROM_FOREGROUND,
    SERVICE,
    SOURCE,
    StartRequest,
    answers,
    running,
    start_intent,
)
from harness.virtual.apps.sample.jsonargs import Args, BadArguments, error, json_of, ok
from harness.virtual.apps.sample.methods import BAD_ARGUMENTS, register, register_reset
from harness.virtual.apps.sample.notifications import active_services
from harness.virtual.system.job_info import JavaException

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel

SERVICE_TIMEOUT_MS = 10_000  # ServiceControl.SERVICE_TIMEOUT_MS


@register("start_foreground_service")
def start_foreground_service(app: SampleAppModel, args: Args) -> dict[str, Any]:
    request = StartRequest.parse(args, FROM_FOREGROUND)
    token = str(uuid.uuid4())
    pending = answers(app)
    pending[token] = None
    intent = start_intent(app, request, token)
    services = active_services(app)
    try:
        if request.start_from == FROM_FOREGROUND:
            services.start_service(app.package.name, SERVICE, intent, foreground=False)
        else:
            services.start_service(app.package.name, SERVICE, intent, foreground=True)
    except JavaException as exc:
        pending.pop(token, None)
        return refuse(app, request, types.error_code(exc, app.device.api_level),
                      types.message(exc), exc)
    answer = pending.pop(token, None)
    if answer is None:
        # The service never ran (the platform dropped the start silently, as it does for a
        # background-restricted app): the app waits SERVICE_TIMEOUT_MS in vain.
        return error(types.NO_ANSWER, f"the service did not answer within {SERVICE_TIMEOUT_MS} "
                                      "ms (is the main thread blocked?)")
    return answer


def start_from_receiver(app: SampleAppModel, args: Args, origin: str) -> None:
    """ServiceControl.startFromReceiver: always a background start with
    ``startForegroundService()``, without waiting for the service."""
    try:
        request = StartRequest.parse(args, FROM_BACKGROUND)
    except BadArguments as exc:
        name = args.json.get("name")
        app.record(SOURCE, "refused", name if isinstance(name, str) else "", {
            "error": BAD_ARGUMENTS, "message": str(exc), "origin": origin})
        return
    request = StartRequest(request.name, request.type, request.duration_ms,
                           request.notification_id, FROM_BACKGROUND)
    try:
        active_services(app).start_service(
            app.package.name, SERVICE, start_intent(app, request, None, origin), foreground=True)
    except JavaException as exc:
        refuse(app, request, types.error_code(exc, app.device.api_level), types.message(exc),
               exc, origin)


@register("stop_foreground_service")
def stop_foreground_service(app: SampleAppModel, args: Args) -> dict[str, Any]:
    name = args.string("name")
    service = running(app)
    return ok(stopped=service.stop_by_name(name) if service is not None else False)


@register_reset("services")
def stop_all(app: SampleAppModel) -> int:
    """ServiceControl.stopAll: stops every run of the service; returns how many."""
    service = running(app)
    return service.stop_all("reset") if service is not None else 0


def refuse(app: SampleAppModel, request: StartRequest, code: str, message: str,
           exc: BaseException | None, origin: str = "control") -> dict[str, Any]:
    app.record(SOURCE, "refused", request.name, json_of(
        error=code, message=message, exception=types.java_class(exc) if exc else None,
        type=request.type, **{"from": request.start_from}, origin=origin))
    return error(code, message)
