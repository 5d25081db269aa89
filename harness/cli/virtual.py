"""``harness virtual start``: run virtual devices until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from harness.adb_server import AdbServerAddress, ensure_server
from harness.virtual.launcher import DEFAULT_BOOT_TIME_S, VirtualFarm


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("virtual", help="run virtual Android devices")
    vsub = p.add_subparsers(dest="virtual_command", metavar="ACTION")
    vsub.required = True
    start = vsub.add_parser("start", help="start virtual devices and attach them to adb")
    start.add_argument("--count", type=int, default=1)
    start.add_argument("--api", type=int, default=None, help="API level (26 to 36)")
    start.add_argument(
        "--profile", default=None, help="comma-separated profiles, e.g. pixel-34,samsung-33"
    )
    start.add_argument(
        "--adb-port", type=int, default=None, help="adb server port (started there if none answers)"
    )
    start.add_argument("--boot-time", type=float, default=DEFAULT_BOOT_TIME_S)
    start.add_argument("--clock-rate", type=float, default=1.0)
    start.set_defaults(func=cmd_start)


def cmd_start(args: argparse.Namespace) -> int:
    import os

    port = args.adb_port or int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))
    address = AdbServerAddress(port=port)
    ensure_server(address)
    profiles = args.profile.split(",") if args.profile else None
    farm = VirtualFarm(
        args.count,
        address,
        profiles,
        args.api,
        args.boot_time,
        args.clock_rate,
        progress=lambda m: print(m, file=sys.stderr, flush=True),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with farm:
        for serial in farm.serials:
            print(serial, flush=True)
        print(
            f"{len(farm.serials)} virtual device(s) on adb server {address}; Ctrl-C stops them",
            file=sys.stderr,
            flush=True,
        )
        try:
            while not stop.wait(0.5):
                if not any(h.alive for h in farm.handles):
                    print("all virtual devices exited", file=sys.stderr)
                    return 1
        except KeyboardInterrupt:
            pass
    return 0
