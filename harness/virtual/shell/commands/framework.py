"""Commands that talk to system services: dumpsys, cmd and the thin wrappers around ``cmd``.

``pm``, ``am``, ``settings`` and ``wm`` are scripts around ``cmd package|activity|settings|window``
on modern Android, so they share the services' shell handlers and their messages. Before the
framework has started (early boot), services are missing: ``cmd`` answers
``cmd: Can't find service: NAME`` with exit code 20 and ``dumpsys`` prints
``Can't find service: NAME`` on stderr (dumpsys.cpp) and exits 0.
"""

from __future__ import annotations

from harness.virtual.shell.registry import Invocation, command

CMD_SERVICE_NOT_FOUND = 20


def _system(inv: Invocation):  # type: ignore[no-untyped-def]
    return inv.device.system if inv.device.system_ready else None


@command("dumpsys")
async def dumpsys(inv: Invocation) -> int:
    args = list(inv.args)
    # Timeouts and priorities are accepted and ignored (the model answers at once).
    while args and args[0] in ("-t", "-T", "--priority"):
        args = args[2:]
    while args and args[0] in ("--proto", "--skip", "--dump"):
        args = args[1:]
    system = _system(inv)
    if args and args[0] == "-l":
        inv.outln("Currently running services:")
        for name in system.service_names() if system else []:
            inv.outln(f"  {name}")
        return 0
    if not args:
        names = system.service_names() if system else []
        inv.outln("Currently running services:")
        for name in names:
            inv.outln(f"  {name}")
        for name in names:
            inv.outln("-" * 77)
            inv.outln(f"DUMP OF SERVICE {name}:")
            await system.find(name).dump(inv, [])  # type: ignore[union-attr]
        return 0
    name, rest = args[0], args[1:]
    svc = system.find(name) if system else None
    if svc is None:
        inv.errln(f"Can't find service: {name}")
        return 0
    return await svc.dump(inv, rest)


@command("cmd", min_api=24)
async def cmd(inv: Invocation) -> int:
    system = _system(inv)
    if not inv.args:
        inv.errln(
            "cmd: No service specified; use -l to list all running services. "
            "Use -w to start and wait for a service."
        )
        return CMD_SERVICE_NOT_FOUND
    if inv.args[0] == "-l":
        inv.outln("Currently running services:")
        for name in system.service_names() if system else []:
            inv.outln(f"  {name}")
        return 0
    return await run_service_command(inv, inv.args[0], inv.args[1:])


async def run_service_command(inv: Invocation, service: str, args: list[str]) -> int:
    system = _system(inv)
    svc = system.find(service) if system else None
    if svc is None:
        inv.errln(f"cmd: Can't find service: {service}")
        return CMD_SERVICE_NOT_FOUND
    return await svc.shell_command(inv, args)


@command("pm")
async def pm(inv: Invocation) -> int:
    return await run_service_command(inv, "package", inv.args)


@command("am")
async def am(inv: Invocation) -> int:
    return await run_service_command(inv, "activity", inv.args)


@command("settings")
async def settings(inv: Invocation) -> int:
    return await run_service_command(inv, "settings", inv.args)


@command("monkey")
async def monkey(inv: Invocation) -> int:
    from harness.virtual.system.activity import ActivityManagerService, Intent
    from harness.virtual.system.packages import PackageManagerService

    args = list(inv.args)
    for a in args:
        inv.outln(f"  bash arg: {a}")
    package = (
        args[args.index("-p") + 1] if "-p" in args and args.index("-p") + 1 < len(args) else None
    )
    system = _system(inv)
    if system is None:
        inv.errln("** Error: Unable to connect to activity manager; is the system running?")
        return 1
    pkg = system.service(PackageManagerService).get(package) if package else None
    activity = pkg.manifest.launcher_activity() if pkg and pkg.manifest else None
    if pkg is None or activity is None:
        inv.outln("** No activities found to run, monkey aborted.")
        return 251
    am_svc = system.service(ActivityManagerService)
    am_svc.start_activity(
        Intent(
            action="android.intent.action.MAIN",
            categories=["android.intent.category.LAUNCHER"],
            component=f"{pkg.name}/{activity.name}",
        )
    )
    inv.outln("Events injected: 1")
    inv.outln("## Network stats: elapsed time=12ms (0ms mobile, 0ms wifi, 12ms not connected)")
    return 0
