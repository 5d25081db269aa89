"""toybox ``kill`` and ``pidof``. An app process is killed the way a signal kills it on a
phone: ActivityManager sees the death (the binder death notice, appDiedLocked) and records
ApplicationExitInfo REASON_SIGNALED, unlike ``am kill`` / ``am force-stop``, which record
REASON_USER_REQUESTED. The kernel's rule applies: only root and the process's own uid may
signal it (kill(2), EPERM)."""

from __future__ import annotations

from harness.virtual.device import Process
from harness.virtual.shell.registry import Invocation, command

# The signals toybox kill knows by name (the Linux numbering).
SIGNALS = {"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15,
           "CONT": 18, "STOP": 19}  # fmt: skip
# Signals whose default action ends the process (the rest stop, continue or are handled).
_FATAL = {1, 2, 3, 9, 15}


def _signal(text: str) -> int | None:
    name = text.upper().removeprefix("SIG")
    if name.isdigit():
        return int(name)
    return SIGNALS.get(name)


@command("kill", toybox=True)
def kill(inv: Invocation) -> int:
    args = list(inv.args)
    sig = SIGNALS["TERM"]
    if args[:1] == ["-l"]:
        inv.outln(" ".join(SIGNALS))
        return 0
    if args[:1] == ["-s"] and len(args) > 1:
        parsed = _signal(args[1])
        args = args[2:]
    elif args and args[0].startswith("-") and args[0] != "--":
        parsed = _signal(args[0][1:])
        args = args[1:]
    else:
        parsed = sig
    if parsed is None:
        inv.errln("kill: unknown signal")
        return 1
    sig = parsed
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        inv.errln("usage: kill [-l [SIGNAL] | -s SIGNAL | -SIGNAL] PID...")
        return 1
    table = {p.pid: p for p in inv.device.processes()}
    status = 0
    for arg in args:
        proc = table.get(int(arg)) if arg.isdigit() else None
        if proc is None:
            inv.errln(f"kill: {arg}: No such process")
            status = 1
        elif inv.uid not in (0, proc.uid) or not _deliver(inv, proc, sig):
            inv.errln(f"kill: {arg}: Operation not permitted")
            status = 1
    return status


def _deliver(inv: Invocation, proc: Process, sig: int) -> bool:
    """An app process dies of a fatal signal; signals to the platform's own processes are not
    modelled (refused)."""
    from harness.virtual.system.activity import ActivityManagerService

    system = inv.device.system if inv.device.system_ready else None
    am = system.maybe_service(ActivityManagerService) if system is not None else None
    if am is None or am.process_by_pid(proc.pid) is None:
        return False
    if sig in _FATAL:
        am.process_signaled(proc.pid, sig)
    return True


@command("pidof", toybox=True)
def pidof(inv: Invocation) -> int:
    names = set(inv.args)
    pids = [str(p.pid) for p in inv.device.processes() if p.name in names]
    if not pids:
        return 1
    inv.outln(" ".join(pids))
    return 0
