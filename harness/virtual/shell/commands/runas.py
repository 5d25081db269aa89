"""``run-as PKG [--user U] [CMD...]``: run as a debuggable app's uid, in its data directory
(system/core/run-as). Non-debuggable and unknown packages are refused with run-as's messages."""

from __future__ import annotations

import shlex

from harness.virtual.shell.registry import Invocation, command


@command("run-as")
async def run_as(inv: Invocation) -> int:
    args = list(inv.args)
    if not args:
        inv.errln("usage: run-as <package-name> [--user <uid>] <command> [<args>]")
        return 1
    package = args.pop(0)
    if args[:1] == ["--user"]:
        args = args[2:]
    system = inv.device.system if inv.device.system_ready else None
    from harness.virtual.system.packages import PackageManagerService

    pkg = system.service(PackageManagerService).get(package) if system else None
    if pkg is None:
        inv.errln(f"run-as: unknown package: {package}")
        return 1
    if not pkg.debuggable:
        inv.errln(f"run-as: package not debuggable: {package}")
        return 1
    from harness.virtual.shell.interpreter import IO, run_shell

    line = shlex.join(args) if args else "sh"
    io = IO(inv.stdin, inv.stdout, inv.stderr)
    # The data directory as the app sees it: /data/user/0/<pkg> (a link to /data/data/<pkg>).
    return await run_shell(inv.device, line, io, uid=pkg.uid, cwd=f"/data/user/0/{package}")
