"""``harness devices``: every device the adb server(s) see, with model, API level, profile and
state (the same discovery the farm uses)."""

from __future__ import annotations

import argparse
import os
import sys

from harness.adb_server import AdbServerAddress, ensure_server
from harness.farm.discovery import discover


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("devices", help="list devices with model, API level, profile and state")
    p.add_argument("--adb-server", action="append", default=[], metavar="HOST:PORT",
                   help="adb server to ask (repeatable; default 127.0.0.1:5037 or "
                        "$ANDROID_ADB_SERVER_PORT)")
    p.set_defaults(func=cmd_devices)


def cmd_devices(args: argparse.Namespace) -> int:
    named = [AdbServerAddress.parse(s) for s in args.adb_server]
    if named:
        servers = named
    else:
        port = os.environ.get("ANDROID_ADB_SERVER_PORT")
        servers = [AdbServerAddress(port=int(port)) if port else AdbServerAddress()]
    for address in servers:
        ensure_server(address, start=not named)
    found, warnings = discover(servers)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    many = len(servers) > 1
    header = ("SERIAL", "MODEL", "API", "PROFILE", "STATE") + (("SERVER",) if many else ())
    rows = [header]
    for d in found:
        model = f"{d.model}{' (virtual)' if d.is_virtual else ''}" or "?"
        row = (d.serial, model, str(d.api_level or "?"), d.profile or "?", d.state)
        rows.append(row + ((d.server,) if many else ()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if len(rows) == 1:
        print(f"(no devices on adb server {', '.join(str(s) for s in servers)})")
    return 0
