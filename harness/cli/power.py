"""``harness power SERIAL ACTION``: force power states from the command line, and undo them.

The first change made through this command saves the device's power state in the user's cache
(``~/.cache/harness/power/<serial>.json``); ``harness power SERIAL restore`` puts the device back
to that state and forgets it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from dataclasses import asdict
from pathlib import Path

from harness.adb_server import ensure_server
from harness.cli.common import adb_address, add_adb_server_option
from harness.device import Device
from harness.power import BatteryStatus, DozeState, PowerControllers, PowerState

ACTIONS = "status | doze deep|light|exit | unplug | plug [ac|usb|wireless] | saver on|off | " \
          "bucket PKG NAME | restore"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("power", help="force Doze, battery, saver and standby; restore",
                       description=f"Actions: {ACTIONS}")
    p.add_argument("serial")
    p.add_argument("action", nargs="+", metavar="ACTION", help=ACTIONS)
    add_adb_server_option(p)
    p.set_defaults(func=cmd_power)


def _state_file(serial: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "harness" / "power"
    return base / (re.sub(r"[^\w.\-]", "_", serial) + ".json")


def _save(path: Path, state: PowerState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2))
    tmp.replace(path)


def _load(path: Path) -> PowerState:
    data = json.loads(path.read_text())
    return PowerState(
        doze=DozeState(**data["doze"]),
        battery=BatteryStatus(**data["battery"]),
        battery_saver=data["battery_saver"],
        screen_on=data["screen_on"],
        whitelist=tuple(data["whitelist"]),
        buckets=tuple(tuple(b) for b in data["buckets"]),  # type: ignore[misc]
        background=tuple(tuple(b) for b in data["background"]),  # type: ignore[misc]
    )


def _print_state(state: PowerState) -> None:
    d, b = state.doze, state.battery
    print(f"doze:     deep {d.deep}, light {d.light or '-'}"
          f"{', forced' if d.forced else ''}"
          f"{'' if d.deep_enabled else ', deep disabled'}"
          f"{'' if d.light_enabled else ', light disabled'}")
    print(f"battery:  {b.level}%, plugged {b.plugged}, status {b.status}"
          f"{', overridden' if b.frozen else ''}")
    print(f"saver:    {'on' if state.battery_saver else 'off'}")
    print(f"screen:   {'on' if state.screen_on else 'off'}")
    print(f"whitelist (user): {', '.join(state.whitelist) or '-'}")
    for package, bucket in state.buckets:
        print(f"bucket:   {package} {bucket}")


def cmd_power(args: argparse.Namespace) -> int:
    address = adb_address(args)
    ensure_server(address, start=not args.adb_server)
    device = Device(args.serial, address)
    action, rest = args.action[0], args.action[1:]
    saved = _state_file(device.serial)
    if action == "status":
        _print_state(PowerState.capture(device))
        return 0
    if action == "restore":
        if not saved.exists():
            print(f"nothing to restore: no power change was made on {device.serial} "
                  f"through this command")
            return 0
        state = _load(saved)
        state.restore(device)
        saved.unlink()
        after = PowerState.capture(device, tuple(p for p, _ in state.buckets))
        _print_state(after)
        left = after.differences(state)
        if left:
            print("still different: " + "; ".join(left))
            return 1
        return 0
    packages = (rest[0],) if action == "bucket" and rest else ()
    if not saved.exists():
        _save(saved, PowerState.capture(device, packages))
    elif packages:
        state = _load(saved)
        if packages[0] not in dict(state.buckets):
            extra = PowerState.capture(device, packages)
            state = PowerState(state.doze, state.battery, state.battery_saver, state.screen_on,
                               state.whitelist, state.buckets + extra.buckets,
                               state.background + extra.background)
            _save(saved, state)
    power = PowerControllers(device)
    if action == "doze" and rest[:1] == ["deep"]:
        power.doze.force_deep()
    elif action == "doze" and rest[:1] == ["light"]:
        power.doze.force_light()
    elif action == "doze" and rest[:1] == ["exit"]:
        power.doze.exit()
    elif action == "unplug":
        power.battery.unplug()
    elif action == "plug":
        power.battery.plug(rest[0] if rest else "ac")
    elif action == "saver" and rest[:1] in (["on"], ["off"]):
        power.saver.on() if rest[0] == "on" else power.saver.off()
    elif action == "bucket" and len(rest) == 2:
        power.standby.set_bucket(rest[0], rest[1])
    else:
        print(f"harness power: unknown action {' '.join(args.action)!r}; actions: {ACTIONS}")
        return 2
    _print_state(PowerState.capture(device, packages))
    return 0
