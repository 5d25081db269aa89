"""``cmd jobscheduler``: JobSchedulerShellCommand of the device's release.

Messages, output streams and return codes follow the source (reference §2.4): ``run`` prints
``Running job`` (``[FORCED]`` with ``-f``); errors go to stderr through printError with
CMD_ERR_NO_PACKAGE (-1000), CMD_ERR_NO_JOB (-1001) or CMD_ERR_CONSTRAINTS (-1002), which the
shell sees as ``& 0xFF``; an exception prints ``Exception: <e>`` on stdout with -1 (255).
Release differences: ``-s/--satisfied`` from Android 13, ``-n/--namespace``, ``stop`` and
``Stopping job:`` from Android 14 (``timeout`` prints ``Timing out:`` before), ``heartbeat``
works on Android 9 only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.javafmt import JavaNumberFormatError, parse_java_int
from harness.virtual.system.job_info import JavaException
from harness.virtual.system.job_status import (
    INTERNAL_STOP_REASON_TIMEOUT,
    INTERNAL_STOP_REASON_UNKNOWN,
    STOP_REASON_TIMEOUT,
    STOP_REASON_USER,
)

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.jobscheduler import JobSchedulerService

CMD_ERR_NO_PACKAGE = -1000
CMD_ERR_NO_JOB = -1001
CMD_ERR_CONSTRAINTS = -1002
USER_ALL = -1
USER_CURRENT = -2
USER_SYSTEM = 0
SHELL_PERMITTED_UIDS = (0, 2000)  # root, and the shell holds CHANGE_APP_IDLE_STATE


class ShellError(Exception):
    """An exception the command would throw; onCommand prints ``Exception: <e>``."""

    def __init__(self, java: str) -> None:
        super().__init__(java)
        self.java = java


class Args:
    """BasicShellCommandHandler's argument cursor (getNextOption / getNextArg[Required])."""

    def __init__(self, cmd: str, args: list[str]) -> None:
        self.argv = [cmd, *args]
        self.pos = 1
        self.cur: str | None = None

    def next_option(self) -> str | None:
        if self.cur is not None:
            prev = self.argv[self.pos - 1]
            raise ShellError(
                f'java.lang.IllegalArgumentException: No argument expected after "{prev}"'
            )
        if self.pos >= len(self.argv):
            return None
        arg = self.argv[self.pos]
        if not arg.startswith("-"):
            return None
        self.pos += 1
        if arg == "--":
            return None
        if len(arg) > 1 and arg[1] != "-" and len(arg) > 2:
            self.cur = arg[2:]
            return arg[:2]
        self.cur = None
        return arg

    def next_arg(self) -> str | None:
        if self.cur is not None:
            arg, self.cur = self.cur, None
            return arg
        if self.pos < len(self.argv):
            self.pos += 1
            return self.argv[self.pos - 1]
        return None

    def next_arg_required(self) -> str:
        arg = self.next_arg()
        if arg is None:
            prev = self.argv[self.pos - 1]
            raise ShellError(
                f'java.lang.IllegalArgumentException: Argument expected after "{prev}"'
            )
        return arg


def _int(text: str) -> int:
    try:
        return parse_java_int(text)
    except JavaNumberFormatError as exc:
        raise ShellError(exc.java_message) from exc


def _user(text: str) -> int:
    """UserHandle.parseUserArg."""
    if text == "all":
        return USER_ALL
    if text in ("current", "cur"):
        return USER_CURRENT
    return _int(text)


def run_shell_command(svc: JobSchedulerService, inv: Invocation, args: list[str]) -> int:
    cmd = args[0] if args else None
    handlers = {
        "run": _run,
        "timeout": _timeout,
        "cancel": _cancel,
        "monitor-battery": _battery,
        "get-battery-seq": _battery,
        "get-battery-charging": _battery,
        "get-battery-not-low": _battery,
        "get-storage-seq": _storage,
        "get-storage-not-low": _storage,
        "get-job-state": _job_state,
        "heartbeat": _heartbeat,
        "reset-execution-quota": _reset_quota,
        "reset-schedule-quota": _reset_schedule_quota,
        "trigger-dock-state": _dock,
        "get-estimated-download-bytes": _bytes,
        "get-estimated-upload-bytes": _bytes,
        "get-transferred-download-bytes": _bytes,
        "get-transferred-upload-bytes": _bytes,
    }
    if svc.api_level >= 34:
        handlers["stop"] = _stop
    if svc.api_level >= 36:
        # Android 16 (absent from the Android 15 JobSchedulerShellCommand @01a7983f).
        handlers["cache-config-changes"] = _cache_config
        handlers["get-config-value"] = _config_value
    handler = handlers.get(cmd or "")
    if handler is None:
        # handleDefaultCommands: help for nothing/help/-h, else "Unknown command"; both -1.
        if cmd in (None, "help", "-h"):
            _help(svc, inv)
        else:
            inv.outln(f"Unknown command: {cmd}")
        return 255
    try:
        return handler(svc, inv, Args(cmd or "", args[1:])) & 0xFF
    except ShellError as exc:
        inv.outln(f"Exception: {exc.java}")
        return 255
    except JavaException as exc:
        inv.outln(f"Exception: {exc}")
        return 255


def _check_permission(inv: Invocation, operation: str) -> None:
    if inv.uid not in SHELL_PERMITTED_UIDS:
        raise ShellError(f"java.lang.SecurityException: Uid {inv.uid} not permitted to {operation}")


def _print_error(
    inv: Invocation, code: int, package: str, user: int, job_id: int, ns: str | None
) -> bool:
    where = f" / namespace {ns}" if ns is not None else ""
    if code == CMD_ERR_NO_PACKAGE:
        inv.errln(f"Package not found: {package} / user {user}")
    elif code == CMD_ERR_NO_JOB:
        inv.errln(f"Could not find job {job_id} in package {package}{where} / user {user}")
    elif code == CMD_ERR_CONSTRAINTS:
        inv.errln(
            f"Job {job_id} in package {package}{where} / user {user}"
            " has functional constraints but --force not specified"
        )
    else:
        return False
    return True


def _options(
    svc: JobSchedulerService, inv: Invocation, a: Args, allowed: dict[str, str]
) -> dict[str, str | bool] | None:
    """Parse options; None after printing ``Error: unknown option``."""
    found: dict[str, str | bool] = {}
    while (opt := a.next_option()) is not None:
        key = allowed.get(opt)
        if key is None or (key == "namespace" and svc.api_level < 34):
            inv.outln(f"Error: unknown option '{opt}'")
            return None
        if key in ("force", "satisfied"):
            found[key] = True
        else:
            found[key] = a.next_arg_required()
    return found


_USER_OPTS = {"-u": "user", "--user": "user", "-n": "namespace", "--namespace": "namespace"}


def _run(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "force scheduled jobs")
    allowed = {"-f": "force", "--force": "force", **_USER_OPTS}
    if svc.api_level >= 33:
        allowed.update({"-s": "satisfied", "--satisfied": "satisfied"})
    opts = _options(svc, inv, a, allowed)
    if opts is None:
        return -1
    force, satisfied = bool(opts.get("force")), bool(opts.get("satisfied"))
    if force and satisfied:
        inv.outln("Cannot specify both --force and --satisfied")
        return -1
    user = _user(str(opts["user"])) if "user" in opts else USER_SYSTEM
    if user == USER_CURRENT:
        user = 0
    ns = opts.get("namespace")
    package = a.next_arg_required()
    job_id = _int(a.next_arg_required())
    code = svc.execute_run(package, user, job_id, satisfied, force)
    if _print_error(inv, code, package, user, job_id, ns if isinstance(ns, str) else None):
        return code
    inv.outln("Running job [FORCED]" if force else "Running job")
    return code


def _stop_like(
    svc: JobSchedulerService,
    inv: Invocation,
    a: Args,
    reason: int,
    internal: int,
    allow_reasons: bool,
) -> int:
    allowed = dict(_USER_OPTS)
    if allow_reasons:
        allowed.update(
            {
                "-s": "reason",
                "--stop-reason": "reason",
                "-i": "internal",
                "--internal-stop-reason": "internal",
            }
        )
    opts = _options(svc, inv, a, allowed)
    if opts is None:
        return -1
    user = _user(str(opts["user"])) if "user" in opts else USER_ALL
    if user == USER_CURRENT:
        user = 0
    if "reason" in opts:
        reason = _int(str(opts["reason"]))
    if "internal" in opts:
        internal = _int(str(opts["internal"]))
    package = a.next_arg()
    job_text = a.next_arg()
    job_id = _int(job_text) if job_text is not None else None
    debug = "force timeout from shell" if reason == STOP_REASON_TIMEOUT else "stop from shell"
    stopped = svc.stop_running(package, user, job_id, reason, internal, debug)
    verb = "Stopping job: " if svc.api_level >= 34 else "Timing out: "
    for job in stopped:
        inv.outln(f"{verb}{_unique_id(job)} {job.battery_name}")
    if not stopped:
        inv.outln("No matching executing jobs found.")
    return 0


def _timeout(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "force timeout jobs")
    return _stop_like(svc, inv, a, STOP_REASON_TIMEOUT, INTERNAL_STOP_REASON_TIMEOUT, False)


def _stop(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "stop jobs")
    return _stop_like(svc, inv, a, STOP_REASON_USER, INTERNAL_STOP_REASON_UNKNOWN, True)


def _unique_id(job: object) -> str:
    from harness.virtual.system.job_dump import format_uid

    return f"{format_uid(job.uid)}/{job.job_id}"  # type: ignore[attr-defined]


def _cancel(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "cancel jobs")
    opts = _options(svc, inv, a, dict(_USER_OPTS))
    if opts is None:
        return -1
    user = _user(str(opts["user"])) if "user" in opts else USER_SYSTEM
    if user < 0:
        inv.outln("Error: must specify a concrete user ID")
        return -1
    package = a.next_arg()
    job_text = a.next_arg()
    job_id = _int(job_text) if job_text is not None else None
    if package is None or svc._package(package) is None or user != 0:
        inv.outln(f"Package {package if package is not None else 'null'} not found.")
        return CMD_ERR_NO_PACKAGE
    if job_id is None:
        inv.outln(f"Canceling all jobs for {package} in user {user}")
        if not svc.cancel_from_shell(package, None):
            inv.outln("No matching jobs found.")
    else:
        inv.outln(f"Canceling job {package}/#{job_id} in user {user}")
        if not svc.cancel_from_shell(package, job_id):
            inv.outln("No matching job found.")
    return 0


def _battery(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    cmd, rest = a.argv[0], a.argv[1:]
    if cmd == "monitor-battery":
        _check_permission(inv, "change battery monitoring")
    tracker = svc.inputs.battery_tracker
    if tracker is not None:
        rc = tracker.shell_command(inv, cmd, rest)
        if rc is not None:
            return int(rc)
    # No battery model: JobScheduler's tracker has seen no battery broadcast.
    if cmd == "monitor-battery":
        if not rest:
            raise ShellError(
                'java.lang.IllegalArgumentException: Argument expected after "monitor-battery"'
            )
        if rest[0] not in ("on", "off"):
            inv.errln(f"Error: unknown option {rest[0]}")
            return 1
        inv.outln(
            "Battery monitoring enabled" if rest[0] == "on" else "Battery monitoring disabled"
        )
        return 0
    if cmd == "get-battery-seq":
        inv.outln("-1")
    elif cmd == "get-battery-charging":
        inv.outln("true" if svc.inputs.charging else "false")
    else:
        inv.outln("true" if svc.inputs.battery_not_low else "false")
    return 0


def _storage(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    if a.argv[0] == "get-storage-seq":
        inv.outln(str(svc.inputs.storage_seq))
    else:
        inv.outln("true" if svc.inputs.storage_not_low else "false")
    return 0


def _job_state(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "get job state")
    opts = _options(svc, inv, a, dict(_USER_OPTS))
    if opts is None:
        return -1
    user = _user(str(opts["user"])) if "user" in opts else USER_SYSTEM
    if user == USER_CURRENT:
        user = 0
    ns = opts.get("namespace")
    package = a.next_arg_required()
    job_id = _int(a.next_arg_required())
    pkg = svc._package(package)
    if pkg is None or user not in (0, USER_ALL):
        inv.outln(f"unknown({package})")
        _print_error(inv, CMD_ERR_NO_PACKAGE, package, user, job_id, None)
        return CMD_ERR_NO_PACKAGE
    job = svc.job(package, job_id)
    if job is None:
        from harness.virtual.system.job_dump import format_uid

        inv.outln(f"unknown({format_uid(pkg.uid)}/jid{job_id})")
        _print_error(
            inv, CMD_ERR_NO_JOB, package, user, job_id, ns if isinstance(ns, str) else None
        )
        return CMD_ERR_NO_JOB
    # getJobState mixes print and println: "pending" and "waiting" use print, the others
    # println after a " " when something was printed before; the call ends with println().
    words = svc.job_state_tokens(job)
    out = []
    for i, word in enumerate(words):
        sep = " " if i else ""
        out.append(f"{sep}{word}" if word in ("pending", "waiting") else f"{sep}{word}\n")
    inv.out("".join(out) + "\n")
    return 0


def _heartbeat(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "manipulate scheduler heartbeat")
    if svc.heartbeat is None:
        inv.outln("Heartbeat command is no longer supported")
        return -1
    # Android 9 executeHeartbeatCommand: print the current beat, or advance it.
    arg = a.next_arg()
    beats = _int(arg) if arg is not None else 0
    if beats < 1:
        inv.outln(str(svc._heartbeat_now()))
        return 0
    inv.outln(f"Advancing standby heartbeat by {beats}")
    svc.heartbeat_offset += beats  # advanceHeartbeatLocked
    svc.on_inputs_changed()
    return 0


def _reset_quota(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "reset execution quota")
    opts = _options(svc, inv, a, {"-u": "user", "--user": "user"})
    if opts is None:
        return -1
    package = a.next_arg_required()
    svc.reset_execution_quota(package)
    return 0


def _cache_config(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    """cacheConfigChanges: ``Config caching enabled|disabled``; caching makes
    get-config-value answer with the flags as JobScheduler last pulled them."""
    _check_permission(inv, "change config caching")
    opt = a.next_arg_required()
    if opt not in ("on", "off"):
        inv.errln(f"Error: unknown option {opt}")
        return 1
    svc.set_cache_config_changes(opt == "on")
    inv.outln("Config caching enabled" if opt == "on" else "Config caching disabled")
    return 0


def _config_value(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    """getConfigValue: the cached flag, ``null`` when unset or caching is off."""
    _check_permission(inv, "get device config value")
    value = svc.config_value(a.next_arg_required())
    inv.outln("null" if value is None else value)
    return 0


def _reset_schedule_quota(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "reset schedule quota")
    return 0


def _dock(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(inv, "trigger wireless charging dock state")
    opt = a.next_arg_required()
    if opt not in ("idle", "active"):
        inv.errln(f"Error: unknown option {opt}")
        return 1
    svc.trigger_dock_state(opt == "idle")
    return 0


def _bytes(svc: JobSchedulerService, inv: Invocation, a: Args) -> int:
    _check_permission(
        inv, "get estimated bytes" if "estimated" in a.argv[0] else "get transferred bytes"
    )
    opts = _options(svc, inv, a, dict(_USER_OPTS))
    if opts is None:
        return -1
    package = a.next_arg_required()
    job_id = _int(a.next_arg_required())
    if svc._package(package) is None:
        _print_error(inv, CMD_ERR_NO_PACKAGE, package, 0, job_id, None)
        return CMD_ERR_NO_PACKAGE
    if svc.job(package, job_id) is None:
        _print_error(inv, CMD_ERR_NO_JOB, package, 0, job_id, None)
        return CMD_ERR_NO_JOB
    # Byte estimates are not modelled: JobInfo.NETWORK_BYTES_UNKNOWN.
    inv.outln("-1")
    return 0


def _help(svc: JobSchedulerService, inv: Invocation) -> None:
    api = svc.api_level
    ns = " [-n | --namespace NAMESPACE]" if api >= 34 else ""
    sat = " [-s | --satisfied]" if api >= 33 else ""
    lines = [
        "Job scheduler (jobscheduler) commands:",
        "  help",
        "    Print this help text.",
        f"  run [-f | --force]{sat} [-u | --user USER_ID]{ns} PACKAGE JOB_ID",
    ]
    if api >= 33:
        lines += [
            "    Trigger immediate execution of a specific scheduled job. For historical",
            "    reasons, some constraints, such as battery, are ignored when this",
            "    command is called. If you don't want any constraints to be ignored,",
            "    include the -s flag.",
        ]
    else:
        lines.append("    Trigger immediate execution of a specific scheduled job.")
    lines += [
        "    Options:",
        "      -f or --force: run the job even if technical constraints such as",
        "         connectivity are not currently met.",
        "      -u or --user: specify which user's job is to be run; the default is",
        "         the primary or system user",
    ]
    if api >= 34:
        lines += [
            f"  stop [-u | --user USER_ID]{ns} [-s | --stop-reason STOP_REASON]"
            " [-i | --internal-stop-reason STOP_REASON] [PACKAGE] [JOB_ID]",
            "    Trigger immediate stop of currently executing jobs using the specified",
            "    stop reasons.",
        ]
    lines += [
        f"  timeout [-u | --user USER_ID]{ns} [PACKAGE] [JOB_ID]",
        "    Trigger immediate timeout of currently executing jobs, as if their",
        "    execution timeout had expired.",
        f"  cancel [-u | --user USER_ID]{ns} PACKAGE [JOB_ID]",
        "    Cancel a scheduled job.  If a job ID is not supplied, all jobs scheduled",
        "    by that package will be canceled.  USE WITH CAUTION.",
        "  heartbeat [num]",
        "    With a number, advance the standby heartbeat by that many beats."
        if api == 28
        else "    No longer used.",
        *(
            [
                "  cache-config-changes [on|off]",
                "    Control caching the set of most recently processed config flags.",
                "    Off by default.  Turning on makes get-config-value useful.",
            ]
            if api >= 36
            else []
        ),
        "  monitor-battery [on|off]",
        "    Control monitoring of all battery changes.  Off by default.  Turning",
        "    on makes get-battery-seq useful.",
        "  get-battery-seq",
        "    Return the last battery update sequence number that was received.",
        "  get-battery-charging",
        "    Return whether the battery is currently considered to be charging.",
        "  get-battery-not-low",
        "    Return whether the battery is currently considered to not be low.",
        "  get-storage-seq",
        "    Return the last storage update sequence number that was received.",
        "  get-storage-not-low",
        "    Return whether storage is currently considered to not be low.",
        f"  get-job-state [-u | --user USER_ID]{ns} PACKAGE JOB_ID",
        "    Return the current state of a job, may be any combination of:",
        "      pending: currently on the pending list, waiting to be active",
        "      active: job is actively running",
        "      user-stopped: job can't run because its user is stopped",
        "      backing-up: job can't run because app is currently backing up its data",
        "      no-component: job can't run because its component is not available",
        "      ready: job is ready to run (all constraints satisfied or bypassed)",
        "      waiting: if nothing else above is printed, job not ready to run",
        "  trigger-dock-state [idle|active]",
        "    Trigger wireless charging dock state.  Active by default.",
        "",
    ]
    inv.out("\n".join(lines) + "\n")
