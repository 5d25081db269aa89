"""getprop / setprop."""

from __future__ import annotations

from harness.virtual.properties import PropertyError
from harness.virtual.shell.registry import Invocation, command


@command("getprop", toybox=True)
def getprop(inv: Invocation) -> int:
    props = inv.device.props
    args = [a for a in inv.args if not a.startswith("-")]
    if not args:
        for key, value in props.items():
            inv.outln(f"[{key}]: [{value}]")
        return 0
    default = args[1] if len(args) > 1 else ""
    inv.outln(props.get(args[0], default))
    return 0


@command("setprop", toybox=True)
def setprop(inv: Invocation) -> int:
    if len(inv.args) != 2:
        inv.errln("setprop: need 2 arguments")
        return 1
    key, value = inv.args
    # Property writes are checked by SELinux: the shell may set debug.*, log.*, persist.log.*
    # and a few others, not framework state such as sys.boot_completed.
    allowed = (
        "debug.",
        "log.",
        "persist.log.",
        "persist.debug.",
        "persist.sys.",
        "vendor.debug.",
        "ctl.",
    )
    if inv.uid != 0 and not key.startswith(allowed):
        inv.errln(f"Failed to set property '{key}' to '{value}'.\nSee dmesg for error reason.")
        return 1
    try:
        inv.device.set_property(key, value)
    except PropertyError as exc:
        inv.errln(str(exc))
        return 1
    return 0
