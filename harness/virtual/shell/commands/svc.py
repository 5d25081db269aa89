"""``svc``: the service control tool (com.android.commands.svc.Svc and its shell wrapper).

Only ``svc power`` is modelled (PowerCommand): ``stayon`` writes the "keep awake while plugged in"
setting through PowerManager.setStayOnSetting and wakes the screen for any value but false;
``reboot`` reboots. Svc prints its help and usage on stderr and exits 0 even on bad arguments
(app_process returns normally). From Android 11 the ``/system/bin/svc`` script turns
``svc wifi`` / ``svc data`` into ``cmd wifi`` / ``cmd phone`` calls, so those answer as the
services do (``cmd: Can't find service: ...`` while they are not modelled).
"""

from __future__ import annotations

from harness.virtual.shell.registry import Invocation, command

# BatteryManager.BATTERY_PLUGGED_AC | USB | WIRELESS for "true" (PowerCommand).
_STAY_ON_VALUES = {"true": 1 | 2 | 4, "false": 0, "usb": 2, "ac": 1, "wireless": 4}

_POWER_HELP = (
    "Control the power manager\n"
    "\n"
    "usage: svc power stayon [true|false|usb|ac|wireless]\n"
    "         Set the 'keep awake while plugged in' setting.\n"
    "       svc power reboot [reason]\n"
    "         Perform a runtime shutdown and reboot device with specified reason.\n"
    "       svc power shutdown\n"
    "         Perform a runtime shutdown and power off the device.\n"
    "       svc power forcesuspend [t]\n"
    "         Force the system into suspend, ignoring all wakelocks.\n"
    "         t - Number of milliseconds to wait before issuing force-suspend.\n"
    "             Will restore the screen off timeout to its original value afterwards.\n"
    "             Default - 0 ms.\n"
)


def _commands(api_level: int) -> list[tuple[str, str]]:
    out = [
        ("help", "Show information about the subcommands"),
        ("power", "Control the power manager"),
    ]
    if api_level < 30:
        out += [
            ("data", "Control mobile data connectivity"),
            ("wifi", "Control the Wi-Fi manager"),
        ]
    out += [
        ("usb", "Control Usb state"),
        ("nfc", "Control NFC functions"),
        ("bluetooth", "Control Bluetooth service"),
    ]
    if api_level >= 30:
        out.append(("system-server", "System server process related command"))
    return out


def _help(inv: Invocation) -> None:
    # Svc.COMMAND_HELP: "    %-<longest>s    %s" per command, on stderr.
    commands = _commands(inv.device.api_level)
    width = max(len(name) for name, _ in commands)
    inv.errln("Available commands:")
    for name, text in commands:
        inv.errln(f"    {name:<{width}}    {text}")


@command("svc")
async def svc(inv: Invocation) -> int:
    args = list(inv.args)
    api = inv.device.api_level
    name = args[0] if args else ""
    if name in ("wifi", "data"):
        # The connectivity model answers both the Android 11+ script (usage on stdout, exit 1)
        # and the older Svc command (usage on stderr, exit 0).
        from harness.virtual.system.connectivity import svc_data, svc_wifi

        return await (svc_wifi if name == "wifi" else svc_data)(inv, args[1:])
    if name == "power":
        _power(inv, args)
        return 0
    if name == "help" and len(args) == 2 and args[1] == "power":
        inv.err(_POWER_HELP)
        return 0
    if name in {n for n, _ in _commands(api)} - {"help"}:
        inv.errln(f"svc {name}: not modelled by the virtual device")
        return 0
    _help(inv)
    return 0


def _power(inv: Invocation, args: list[str]) -> None:
    from harness.virtual.system.power import PowerManagerService

    system = inv.device.system if inv.device.system_ready else None
    power = system.maybe_service(PowerManagerService) if system is not None else None
    if len(args) == 3 and args[1] == "stayon" and args[2] in _STAY_ON_VALUES:
        if power is None:
            inv.errln("Faild to set setting: android.os.DeadObjectException")
            return
        value = _STAY_ON_VALUES[args[2]]
        if value:
            # "if the request is not to set it to false, wake up the screen so that it can
            # stay on as requested"
            power.set_screen(True, "PowerCommand")
        power.set_stay_on_setting(value)
        return
    if len(args) >= 2 and args[1] == "reboot":
        inv.device.request_reboot(args[2] if len(args) > 2 else "shell")
        return
    if len(args) >= 2 and args[1] in ("shutdown", "forcesuspend"):
        inv.errln(f"svc power {args[1]}: not modelled by the virtual device")
        return
    inv.err(_POWER_HELP)
