"""The shell side of the services model: ``dumpsys activity services [PKG]`` and ``am
startservice | start-foreground-service | stopservice``.

The dump is ActiveServices.dumpServicesLocked with ServiceRecord.dump of the modelled release.

Per release (the captures and ServiceRecord.dump): Android 8-10 print the plain record;
Android 11 adds ``allowWhileInUsePermissionInFgs=``; Android 12/13 add the calling package and
uid, ``allowStartForeground=<reason>``, ``startForegroundCount=`` and
``infoAllowStartForeground=[...]``; Android 14 replaces the while-in-use line with
``mAllowWhileInUsePermissionInFgsReason=`` and ``allowUiJobScheduling=``. The foreground line is
``isForeground=true foregroundId=N foregroundNoti=Notification(...)``, with ``types=%08X``
between id and notification on Android 14 and ``types=0x%08X`` from Android 15; a shortService
adds ``isShortFgs=true ...``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.activity import IntentArgsError, parse_intent_args
from harness.virtual.system.javafmt import format_duration, format_time_relative
from harness.virtual.system.job_info import JavaException

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.active_services import ActiveServices, ServiceRecord


def _jbool(value: bool) -> str:
    return "true" if value else "false"


def _intent_inner(record: ServiceRecord) -> str:
    """Intent.toShortString(false, true, false, false): the Intent without ``Intent { }``."""
    text = record.intent.describe()
    return text.removeprefix("Intent { ").removesuffix(" }")


def record_lines(svc: ActiveServices, record: ServiceRecord) -> list[str]:
    api = svc.api_level
    now = svc.device.clock.elapsed_ms()
    pkg = svc._pm.get(record.package)
    am = svc._am()
    proc = am.process_of(record.package)
    p = "    "
    out = [f"  * ServiceRecord{{{record.hash} u0 {record.short_name}}}"]
    out.append(f"{p}intent={{{_intent_inner(record)}}}")
    out.append(f"{p}packageName={record.package}")
    out.append(f"{p}processName={record.package}")
    if pkg is not None:
        out.append(f"{p}baseDir={pkg.apk_path}")
        out.append(f"{p}dataDir={pkg.data_dir}")
    app = (
        f"ProcessRecord{{{record.hash[:7]} {proc.pid}:{record.package}/"
        f"{pkg.app_id_name if pkg else record.uid}}}"
        if proc is not None
        else "null"
    )
    out.append(f"{p}app={app}")
    if api >= 34:
        while_in_use = "PROC_STATE_TOP" if record.created_from_fg else "DENIED"
        out.append(f"{p}mAllowWhileInUsePermissionInFgsReason={while_in_use}")
        out.append(f"{p}allowUiJobScheduling=false")
    elif api >= 30:
        out.append(f"{p}allowWhileInUsePermissionInFgs={_jbool(record.created_from_fg)}")
    if api >= 31:
        out.append(f"{p}recentCallingPackage={record.calling_package}")
        out.append(f"{p}recentCallingUid={record.calling_uid}")
        out.append(f"{p}allowStartForeground={record.allow_start_foreground}")
        out.append(f"{p}startForegroundCount={record.start_foreground_count}")
        state = "TOP " if am.is_top(record.package) else "CEM "
        temp = f"<{record.allow_reason_detail}>" if record.allow_reason_detail else "<null>"
        target = pkg.target_sdk if pkg is not None else api
        caller = svc._pm.get(record.calling_package)
        caller_target = caller.target_sdk if caller is not None else api
        out.append(
            f"{p}infoAllowStartForeground=[callingPackage: {record.calling_package}; "
            f"callingUid: {record.calling_uid}; uidState: {state}; intent: "
            f"{record.intent.describe()}; code:{record.allow_start_foreground}; "
            f"tempAllowListReason:{temp}; targetSdkVersion:{target}; "
            f"callerTargetSdkVersion:{caller_target}; startForegroundCount:0; "
            "bindFromPackage:null]"
        )
    if record.is_foreground or record.foreground_id != 0:
        types = ""
        if api >= 35:
            types = f" types=0x{record.foreground_types:08X}"
        elif api >= 34:
            types = f" types={record.foreground_types:08X}"
        out.append(
            f"{p}isForeground={_jbool(record.is_foreground)} foregroundId={record.foreground_id}"
            f"{types} foregroundNoti={record.notification}"
        )
        if api >= 34 and record.short_fgs is not None:
            start, start_id, timeout = record.short_fgs
            out.append(
                f"{p}isShortFgs=true startId={start_id} "
                f"startForegroundCount={record.start_foreground_count} "
                f"startTime={format_time_relative(start, now)} "
                f"timeout={format_time_relative(timeout, now)} "
                f"demoteTime={format_time_relative(timeout + 5_000, now)} "
                f"anrTime={format_time_relative(timeout + 10_000, now)}"
            )
    out.append(f"{p}createTime={format_duration(record.created_elapsed - now)} "
               "startingBgTimeout=--")  # fmt: skip
    out.append(
        f"{p}lastActivity={format_time_relative(record.last_activity, now)} "
        f"restartTime={format_time_relative(record.created_elapsed, now)} "
        f"createdFromFg={_jbool(record.created_from_fg)}"
    )
    if record.start_requested or record.last_start_id:
        out.append(
            f"{p}startRequested={_jbool(record.start_requested)} delayedStop=false "
            f"stopIfKilled=false callStart=true lastStartId={record.last_start_id}"
        )
    return out


def dump_lines(svc: ActiveServices, args: list[str]) -> list[str]:
    names = [a for a in args if not a.startswith("-")]
    package = names[0] if names else None
    out = ["ACTIVITY MANAGER SERVICES (dumpsys activity services)"]
    records = [r for r in svc.services.values() if package is None or r.package == package]
    if not records:
        out.append("  (nothing)")
        return out
    out.append("  User 0 active services:")
    for i, record in enumerate(records):
        if i:
            out.append("")
        out += record_lines(svc, record)
    foreground = sorted({r.package for r in records if r.is_foreground})
    if foreground:
        out.append("")
        out.append("Active foreground apps - user 0:")
        am = svc._am()
        for i, name in enumerate(foreground):
            count = sum(1 for r in records if r.package == name and r.is_foreground)
            out.append(f"  #{i}: {name}")
            out.append(f"    mNumActive={count} mAppOnTop={_jbool(am.is_top(name))} "
                       "mShownWhileTop=false mShownWhileScreenOn=true")  # fmt: skip
    return out


def dump(svc: ActiveServices, inv: Invocation, args: list[str]) -> int:
    for line in dump_lines(svc, args):
        inv.outln(line)
    return 0


def start_service(svc: ActiveServices, inv: Invocation, args: list[str], foreground: bool) -> int:
    """``am startservice`` / ``am start-foreground-service``, called by the shell's uid."""
    verb = "start-foreground-service" if foreground else "start-service"
    try:
        intent, _opts, _rest = parse_intent_args(args)
    except IntentArgsError as exc:
        inv.errln(
            f"Exception occurred while executing '{verb}':\n"
            f"java.lang.IllegalArgumentException: {exc}"
        )
        return 255
    inv.outln(f"Starting service: {intent.describe()}")
    package = intent.component_package or intent.package
    service = intent.component.split("/", 1)[1] if intent.component else None
    if package is None or service is None:
        inv.errln("Error: Not found; no service started.")
        return 255
    component, error = svc.start_for(package, service, intent, foreground, inv.uid or 2000)
    if isinstance(error, JavaException):
        inv.errln(f"Exception occurred while executing '{verb}':\n{error}")
        return 255
    if isinstance(error, str):
        inv.errln(f"Error: {error}")
        return 255
    if component is None:
        inv.errln("Error: Not found; no service started.")
        return 255
    return 0


def stop_service(svc: ActiveServices, inv: Invocation, args: list[str]) -> int:
    """``am stopservice``: the result goes to stderr, as runStopService prints it."""
    intent, _opts, _rest = parse_intent_args(args)
    inv.outln(f"Stopping service: {intent.describe()}")
    package = intent.component_package or intent.package or ""
    service = intent.component.split("/", 1)[1] if intent.component else ""
    if svc.stop_service(package, service, "stopService"):
        inv.errln("Service stopped")
        return 0
    inv.errln("Service not stopped: was not running.")
    return 255
