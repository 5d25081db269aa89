"""``harness devices``: every device the adb server sees, with model, API level and state."""

from __future__ import annotations

import argparse

from harness.adb_server import ensure_server, list_devices
from harness.cli.common import adb_address, add_adb_server_option
from harness.device import Device
from harness.errors import HarnessError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("devices", help="list devices with model, API level and state")
    add_adb_server_option(p)
    p.set_defaults(func=cmd_devices)


def cmd_devices(args: argparse.Namespace) -> int:
    address = adb_address(args)
    ensure_server(address, start=not args.adb_server)
    rows = [("SERIAL", "MODEL", "API", "STATE")]
    for listing in list_devices(address):
        model = listing.properties.get("model", "").replace("_", " ")
        api = "?"
        if listing.state == "device":
            try:
                dev = Device(listing.serial, address, check_present=False)
                props = dev.getprops()
                model = props.get("ro.product.model", model)
                api = props.get("ro.build.version.sdk", "?")
            except HarnessError:
                pass
        rows.append((listing.serial, model or "?", api, listing.state))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if len(rows) == 1:
        print(f"(no devices on adb server {address})")
    return 0
