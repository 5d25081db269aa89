"""``device_config``: the /system/bin script around ``cmd device_config "$@"`` (Android 10+)."""

from __future__ import annotations

from harness.virtual.shell.commands.framework import run_service_command
from harness.virtual.shell.registry import Invocation, command


@command("device_config", min_api=29)
async def device_config(inv: Invocation) -> int:
    return await run_service_command(inv, "device_config", inv.args)
