"""Run one virtual device in this process: ``python -m harness.virtual.serve [options]``.

The process prints JSON lines on stdout: ``{"event": "listening", "port": P, ...}`` as soon as
adbd listens, then ``{"event": "booted", "boot": N}`` after each boot. It reads JSON commands on
stdin (the launcher's control channel, used by reliability tests to inject faults):
``{"op": "reboot"}``, ``{"op": "drop_transport"}``, ``{"op": "stop"}``,
``{"op": "set_boot_time", "seconds": S}``. SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from harness.virtual.device import VirtualDevice, VirtualDeviceConfig


def _emit(event: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def _control(device: VirtualDevice, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except (OSError, ValueError):
        return  # no stdin (started detached): signals only
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            return
        try:
            cmd = json.loads(line)
        except json.JSONDecodeError:
            continue
        op = cmd.get("op")
        if op == "stop":
            stop.set()
        elif op == "reboot":
            await device.reboot("control")
        elif op == "drop_transport":
            await device.adbd.drop_transports()
        elif op == "set_boot_time":
            device.config.boot_time_s = float(cmd.get("seconds", device.config.boot_time_s))
        _emit({"event": "ack", "op": op})


async def serve(config: VirtualDeviceConfig) -> None:
    device = VirtualDevice(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def on_phase(phase: str) -> None:
        if phase == "booted":
            _emit({"event": "booted", "boot": device.boot_count})

    device.on_phase_change.append(on_phase)
    port = await device.start()
    _emit(
        {
            "event": "listening",
            "port": port,
            "serialno": device.serial_number,
            "profile": device.profile.name,
            "api": device.api_level,
        }
    )
    control = asyncio.create_task(_control(device, stop))
    await stop.wait()
    control.cancel()
    await device.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.virtual.serve")
    ap.add_argument("--profile", default="virtual")
    ap.add_argument("--api", type=int, default=None)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--serial", default="")
    ap.add_argument("--boot-time", type=float, default=3.0)
    ap.add_argument("--clock-rate", type=float, default=1.0)
    ap.add_argument("--state-dir", type=Path, default=None)
    ap.add_argument("--log-level", default="WARNING")
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    config = VirtualDeviceConfig(
        profile=args.profile,
        api_level=args.api,
        serial=args.serial,
        boot_time_s=args.boot_time,
        clock_rate=args.clock_rate,
        adb_port=args.port,
        state_dir=args.state_dir,
    )
    asyncio.run(serve(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
