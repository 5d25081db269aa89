"""reboot and other commands that act on the device as a whole."""

from __future__ import annotations

from harness.virtual.shell.registry import Invocation, command


@command("reboot")
def reboot(inv: Invocation) -> int:
    args = [a for a in inv.args if not a.startswith("-")]
    if "-p" in inv.args:
        inv.errln("reboot: shutdown is not modelled; rebooting instead")
    inv.device.request_reboot(args[0] if args else "shell")
    return 0
