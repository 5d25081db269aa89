"""Options shared by subcommands."""

from __future__ import annotations

import argparse

from harness.adb_server import AdbServerAddress


def add_adb_server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--adb-server",
        metavar="HOST:PORT",
        default=None,
        help="adb server to use (default 127.0.0.1:5037 or $ANDROID_ADB_SERVER_PORT)",
    )


def adb_address(args: argparse.Namespace) -> AdbServerAddress:
    import os

    if getattr(args, "adb_server", None):
        return AdbServerAddress.parse(args.adb_server)
    port = os.environ.get("ANDROID_ADB_SERVER_PORT")
    return AdbServerAddress(port=int(port)) if port else AdbServerAddress()
