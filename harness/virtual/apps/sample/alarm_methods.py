"""The AlarmManager methods of the control provider (``schedule_alarm``, ``cancel_alarm``, the
``alarms`` part of ``reset``), the re-registration on BOOT_COMPLETED (AlarmControl.kt,
BootReceiver.kt) and AlarmReceiver (AlarmReceiver.kt).

Each alarm is a broadcast PendingIntent to AlarmReceiver, one per name (the name is the intent's
data URI, which Intent.filterEquals compares), carrying the alarm's spec as an extra
(FLAG_UPDATE_CURRENT: setting a name again replaces the alarm and its spec). Alarms live only in
system_server and a reboot clears them, so the app keeps what it scheduled in its preferences
(``shared_prefs/harness_alarms.xml``): to cancel by name and to set again, after BOOT_COMPLETED,
the alarms still pending that were marked ``reregister_on_boot`` (with the same delay, counted
from the boot). The receiver removes an alarm that fired, so it is not set again.

Exact modes need SCHEDULE_EXACT_ALARM on API 31+: the app reads ``canScheduleExactAlarms()``
(recorded in the detail) and asks anyway; the platform's SecurityException is answered
``security_exception`` and recorded as ``schedule_failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.app import contract as c
from harness.virtual.apps.sample.app import register_component
from harness.virtual.apps.sample.foreground_service import FROM_BACKGROUND, StartRequest
from harness.virtual.apps.sample.jsonargs import (
    Args,
    BadArguments,
    dumps,
    error,
    json_of,
    loads_object,
    ok,
)
from harness.virtual.apps.sample.methods import (
    SECURITY_EXCEPTION,
    register,
    register_boot,
    register_reset,
)
from harness.virtual.apps.sample.prefs import SharedPreferences
from harness.virtual.system.alarm_policy import (
    ELAPSED_REALTIME,
    ELAPSED_REALTIME_WAKEUP,
    EXTRA_ALARM_COUNT,
    RTC,
    RTC_WAKEUP,
    AlarmSpec,
    identity_hash,
    is_rtc,
)
from harness.virtual.system.job_info import SecurityException

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel
    from harness.virtual.system.activity import Intent
    from harness.virtual.system.alarm import AlarmManagerService

SOURCE = "alarm"
STORE = "harness_alarms"
RECEIVER = c.ALARM_RECEIVER_CLASS
ACTION_ALARM = "dev.harness.sample.action.ALARM"
EXTRA_SPEC = "harness.alarm_spec"
ON_FIRE_START_FGS = "start_foreground_service"
DEFAULT_WINDOW_MS = 600_000

TYPES = {"RTC_WAKEUP": RTC_WAKEUP, "RTC": RTC,
         "ELAPSED_REALTIME_WAKEUP": ELAPSED_REALTIME_WAKEUP, "ELAPSED_REALTIME": ELAPSED_REALTIME}
MODE_INEXACT, MODE_WINDOW, MODE_EXACT = "inexact", "window", "exact"
MODE_INEXACT_AWI, MODE_EXACT_AWI = "inexact_allow_while_idle", "exact_allow_while_idle"
MODE_ALARM_CLOCK = "alarm_clock"
MODES = (MODE_INEXACT, MODE_WINDOW, MODE_EXACT, MODE_INEXACT_AWI, MODE_EXACT_AWI,
         MODE_ALARM_CLOCK)
EXACT_MODES = (MODE_EXACT, MODE_EXACT_AWI, MODE_ALARM_CLOCK)  # need SCHEDULE_EXACT_ALARM (31+)


@dataclass
class AlarmPendingIntent(AlarmSpec):
    """The app's alarm: an AlarmSpec whose PendingIntent also has the intent's data URI
    (``harness-alarm://dev.harness.sample/<name>``), which Intent.filterEquals compares, so two
    names never share a PendingIntent while the action (the alarm's tag) is the same."""

    data: str | None = None

    def operation_key(self, package: str) -> Any:
        return (*super().operation_key(package), self.data)


def _alarms(app: SampleAppModel) -> AlarmManagerService:
    from harness.virtual.system.alarm import AlarmManagerService

    return app.system.service(AlarmManagerService)


def _store(app: SampleAppModel) -> SharedPreferences:
    return SharedPreferences(app, STORE)


def _now(app: SampleAppModel, alarm_type: int) -> int:
    """AlarmControl.now: wall time for RTC types, elapsed realtime otherwise."""
    clock = app.device.clock
    return clock.wall_ms() if is_rtc(alarm_type) else clock.elapsed_ms()


def _data(app: SampleAppModel, name: str) -> str:
    return f"harness-alarm://{app.package.name}/{name}"


def _operation(app: SampleAppModel, name: str) -> AlarmPendingIntent:
    """The PendingIntent of ``name`` as PendingIntent.getBroadcast finds it (the extras and
    the times do not take part in its identity)."""
    return AlarmPendingIntent(ELAPSED_REALTIME_WAKEUP, 0, RECEIVER, action=ACTION_ALARM,
                              data=_data(app, name))


def _show_intent(app: SampleAppModel) -> str:
    """AlarmClockInfo's showIntent: PendingIntent.getActivity for MainActivity."""
    pkg = app.package.name
    return (f"PendingIntent{{{identity_hash('pi', pkg, 'show')}: PendingIntentRecord"
            f"{{{identity_hash('pir', pkg, 'show')} {pkg} startActivity}}}}")


# ================================================================ schedule_alarm
@register("schedule_alarm")
def schedule_alarm(app: SampleAppModel, args: Args) -> dict[str, Any]:
    name = args.string("name")
    type_name = args.string("type", "ELAPSED_REALTIME_WAKEUP")
    if type_name not in TYPES:
        raise BadArguments(f"'type' must be one of {', '.join(TYPES)}, not '{type_name}'")
    mode = args.string("mode", MODE_EXACT)
    if mode not in MODES:
        raise BadArguments(f"'mode' must be one of {', '.join(MODES)}, not '{mode}'")
    now = _now(app, TYPES[type_name])
    if args.has("trigger_at_ms"):
        trigger_at = args.long("trigger_at_ms")
    elif args.has("delay_ms"):
        trigger_at = now + args.non_negative_long("delay_ms", 0)
    else:
        raise BadArguments(
            f"give 'trigger_at_ms' (in the clock of '{type_name}') or 'delay_ms'")
    spec: dict[str, Any] = {
        "name": name, "type": type_name, "mode": mode, "trigger_at_ms": trigger_at,
        "delay_ms": trigger_at - now,
        "window_ms": args.non_negative_long("window_ms", DEFAULT_WINDOW_MS),
        "reregister_on_boot": args.bool("reregister_on_boot", False),
    }
    on_fire = args.opt_object("on_fire")
    if on_fire is not None:
        start = on_fire.opt_object(ON_FIRE_START_FGS)
        if start is not None:
            StartRequest.parse(start, FROM_BACKGROUND)  # checked now: bad_arguments
        spec["on_fire"] = on_fire.json
    return schedule(app, spec, origin="control")


def schedule(app: SampleAppModel, spec: dict[str, Any], origin: str) -> dict[str, Any]:
    """AlarmControl.schedule: the AlarmManager call the mode names; ``scheduled``, or
    ``schedule_failed`` when the platform refuses."""
    name = str(spec["name"])
    type_name = str(spec["type"])
    alarm_type = TYPES[type_name]
    mode = str(spec["mode"])
    trigger_at = int(spec["trigger_at_ms"])
    alarms = _alarms(app)
    pkg = app.package.name
    can_exact = alarms.can_schedule_exact_alarms(pkg) if app.device.api_level >= 31 else None
    kw: dict[str, Any] = {"action": ACTION_ALARM, "data": _data(app, name),
                          "extras": {EXTRA_SPEC: dumps(spec)}}
    if mode == MODE_INEXACT:
        alarm = AlarmPendingIntent.set(alarm_type, trigger_at, RECEIVER, **kw)
    elif mode == MODE_WINDOW:
        alarm = AlarmPendingIntent.set_window(alarm_type, trigger_at, int(spec["window_ms"]),
                                              RECEIVER, **kw)
    elif mode == MODE_EXACT:
        alarm = AlarmPendingIntent.set_exact(alarm_type, trigger_at, RECEIVER, **kw)
    elif mode == MODE_INEXACT_AWI:
        alarm = AlarmPendingIntent.set_and_allow_while_idle(alarm_type, trigger_at, RECEIVER,
                                                            **kw)
    elif mode == MODE_EXACT_AWI:
        alarm = AlarmPendingIntent.set_exact_and_allow_while_idle(alarm_type, trigger_at,
                                                                  RECEIVER, **kw)
    else:
        # An alarm clock is always wall-clock time; convert an elapsed-realtime trigger.
        wall = trigger_at if is_rtc(alarm_type) else (
            app.device.clock.wall_ms() + trigger_at - _now(app, alarm_type))
        alarm = AlarmPendingIntent.set_alarm_clock(wall, RECEIVER,
                                                   show_intent=_show_intent(app), **kw)
    try:
        alarms.set(pkg, alarm)
    except SecurityException as exc:
        # pending.cancel(): the PendingIntent goes, and with it any alarm still set with it.
        alarms.cancel(pkg, alarm)
        _store(app).remove(name)
        app.record(SOURCE, "schedule_failed", name, json_of(
            error=SECURITY_EXCEPTION, message=exc.message, type=type_name, mode=mode,
            exact=mode in EXACT_MODES, can_schedule_exact_alarms=can_exact, origin=origin))
        return error(SECURITY_EXCEPTION, exc.message)
    _store(app).put(name, dumps(spec))
    app.record(SOURCE, "scheduled", name, json_of(
        type=type_name, mode=mode, trigger_at_ms=trigger_at, delay_ms=spec.get("delay_ms", 0),
        can_schedule_exact_alarms=can_exact, origin=origin))
    return ok(scheduled=True, trigger_at_ms=trigger_at)


# ================================================================ cancel_alarm
@register("cancel_alarm")
def cancel_alarm(app: SampleAppModel, args: Args) -> dict[str, Any]:
    store = _store(app)
    if args.has("name"):
        names = [args.string("name")]
    elif args.bool("all", False):
        names = list(store.all())
    else:
        raise BadArguments("give 'name' or 'all': true")
    alarms = _alarms(app)
    pkg = app.package.name
    cancelled = 0
    for name in names:
        spec_text = store.get(name)
        spec = loads_object(spec_text) if spec_text is not None else None
        operation = _operation(app, name)
        # PendingIntent.getBroadcast(FLAG_NO_CREATE): the PendingIntent exists while the
        # platform holds an alarm with it (afterwards nothing keeps it).
        key = operation.operation_key(pkg)
        exists = any(a.spec is not None and a.spec.operation_key(pkg) == key
                     for a in alarms.pending(pkg))
        if exists:
            alarms.cancel(pkg, operation)
        store.remove(name)
        if exists or spec is not None:
            cancelled += 1
            app.record(SOURCE, "cancelled", name, json_of(
                type=spec.get("type") if spec else None, mode=spec.get("mode") if spec else None))
    return ok(cancelled=cancelled)


@register_reset("alarms")
def cancel_all(app: SampleAppModel) -> int:
    """AlarmControl.cancelAll: ``cancel_alarm`` with ``all``."""
    return int(cancel_alarm(app, Args({"all": True}))["cancelled"])


# ================================================================ BOOT_COMPLETED
@register_boot("alarms")
def reregister_after_boot(app: SampleAppModel) -> int:
    """AlarmControl.reregisterAfterBoot: the platform dropped every alarm; those still pending
    and marked ``reregister_on_boot`` are set again with the same delay, counted from now; the
    others are forgotten. Returns how many were set again."""
    store = _store(app)
    count = 0
    for name, value in store.all().items():
        spec = loads_object(value)
        store.remove(name)
        if not spec.get("reregister_on_boot", False):
            continue
        alarm_type = TYPES.get(str(spec.get("type")))
        if alarm_type is None:
            continue
        delay = max(0, int(spec.get("delay_ms") or 0))
        spec["trigger_at_ms"] = _now(app, alarm_type) + delay
        if schedule(app, spec, origin="boot").get("ok"):
            count += 1
    return count


# ================================================================ AlarmReceiver
class _AlarmReceiver:
    """Not exported: only the app's own PendingIntents reach it. Records ``fired`` with how late
    the alarm came (now minus the trigger time, in the alarm's clock), forgets the alarm, then
    does what ``on_fire`` asks: starting a foreground service from here is a start from the
    background, which Android 12+ allows only within the temp allowlist an exact alarm (setExact,
    exact allow-while-idle, alarm clock) grants on delivery."""

    @staticmethod
    def on_receive(app: SampleAppModel, intent: Intent) -> None:
        if intent.action != ACTION_ALARM:
            return
        spec = loads_object(intent.extras.get(EXTRA_SPEC))
        name = str(spec.get("name") or (intent.data or "").rsplit("/", 1)[-1])
        type_name = str(spec.get("type") or "ELAPSED_REALTIME_WAKEUP")
        alarm_type = TYPES.get(type_name, ELAPSED_REALTIME_WAKEUP)
        trigger_at = int(spec.get("trigger_at_ms") or 0)
        app.record(SOURCE, "fired", name, {
            "type": type_name,
            "mode": str(spec.get("mode") or ""),
            "trigger_at_ms": trigger_at,
            "delay_ms": _now(app, alarm_type) - trigger_at,
            "requested_delay_ms": int(spec.get("delay_ms") or 0),
            "alarm_count": int(intent.extras.get(EXTRA_ALARM_COUNT, 1)),
        })
        _store(app).remove(name)  # markFired
        on_fire = spec.get("on_fire")
        start = on_fire.get(ON_FIRE_START_FGS) if isinstance(on_fire, dict) else None
        if isinstance(start, dict):
            from harness.virtual.apps.sample.service_methods import start_from_receiver

            start_from_receiver(app, Args(start), origin=f"alarm:{name}")


register_component(RECEIVER, _AlarmReceiver)
