"""Device services behind OPEN: ``shell``, ``exec``, ``sync``, ``tcp``, ``reboot`` and friends.

Service names and behaviors follow AOSP ``daemon/services.cpp`` and ``shell_protocol.h``
(reference ``adb-virtual-device.md`` sections 1.5 to 1.7). Unknown services are refused with a
CLSE, which the adb CLI shows as ``error: closed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import TYPE_CHECKING

from harness.virtual.adbd.sync import sync_service
from harness.virtual.adbd.transport import DeviceStream, ServiceFn, StreamClosed
from harness.virtual.fs import SHELL_UID
from harness.virtual.shell.interpreter import IO, run_shell
from harness.virtual.shell.streams import BrokenPipe, Pipe

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice

# shell_protocol.h packet ids
ID_STDIN, ID_STDOUT, ID_STDERR, ID_EXIT, ID_CLOSE_STDIN, ID_WINDOW_SIZE = range(6)
_V2_HEADER = struct.Struct("<BI")


def open_service(device: VirtualDevice, service: str) -> ServiceFn | None:
    if service.startswith("shell"):
        head, sep, command = service.partition(":")
        if not sep:
            return None
        args = head.split(",")[1:] if "," in head else []
        v2 = "v2" in args
        if "pty" in args:
            pty = True
        elif "raw" in args:
            pty = False
        else:
            pty = command == ""  # adbd: interactive sessions get a PTY by default
        return lambda stream: shell_service(device, stream, command, v2=v2, pty=pty)
    if service.startswith("exec:"):
        command = service[len("exec:") :]
        return lambda stream: shell_service(device, stream, command, v2=False, pty=False)
    if service == "sync:":
        return lambda stream: sync_service(device, stream)
    if service.startswith("tcp:"):
        port_text = service[len("tcp:") :].split(":", 1)[0]
        if not port_text.isdigit():
            return None
        handler = device.sockets.get(int(port_text))
        if handler is None:
            return None  # nothing listening on the device: connection refused
        return handler
    if service.startswith("reboot:"):
        return lambda stream: reboot_service(device, stream, service[len("reboot:") :])
    if service == "root:":
        return _text_service("adbd cannot run as root in production builds\n")
    if service == "unroot:":
        return _text_service("adbd not running as root\n")
    if service == "remount:":
        return _text_service('Not running as root. Try "adb root" first.\n')
    return None


def _text_service(text: str) -> ServiceFn:
    async def serve(stream: DeviceStream) -> None:
        await stream.write(text.encode())
        await stream.close()

    return serve


async def reboot_service(device: VirtualDevice, stream: DeviceStream, target: str) -> None:
    # adbd replies nothing useful and the transport then drops as the device goes down.
    await stream.close()
    device.request_reboot(target or "reboot")


def _v2_packet(packet_id: int, data: bytes) -> bytes:
    return _V2_HEADER.pack(packet_id, len(data)) + data


async def shell_service(
    device: VirtualDevice, stream: DeviceStream, command: str, v2: bool, pty: bool
) -> None:
    stdin = Pipe()
    stdout = Pipe()
    stderr = stdout if (pty or not v2) else Pipe()
    io = IO(stdin, stdout, stderr)
    if command:
        shell_task = asyncio.create_task(run_shell(device, command, io, uid=SHELL_UID))
    else:
        shell_task = asyncio.create_task(_interactive(device, io))

    async def pump(pipe: Pipe, packet_id: int) -> None:
        try:
            while True:
                data = await pipe.read()
                if not data:
                    return
                if pty:
                    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                await stream.write(_v2_packet(packet_id, data) if v2 else data)
        except StreamClosed:
            pipe.close_reader()

    async def feed() -> None:
        buf = bytearray()
        while True:
            data = await stream.read()
            if not data:
                stdin.close()
                if not shell_task.done() and stream.closed:
                    # The host closed the whole stream: the command's client is gone.
                    shell_task.cancel()
                return
            if not v2:
                with contextlib.suppress(BrokenPipe):
                    stdin.write(data)
                continue
            buf += data
            while len(buf) >= _V2_HEADER.size:
                pid, length = _V2_HEADER.unpack_from(buf)
                if len(buf) < _V2_HEADER.size + length:
                    break
                payload = bytes(buf[_V2_HEADER.size : _V2_HEADER.size + length])
                del buf[: _V2_HEADER.size + length]
                if pid == ID_STDIN:
                    with contextlib.suppress(BrokenPipe):
                        stdin.write(payload)
                elif pid == ID_CLOSE_STDIN:
                    stdin.close()

    pumps = [asyncio.create_task(pump(stdout, ID_STDOUT))]
    if stderr is not stdout:
        pumps.append(asyncio.create_task(pump(stderr, ID_STDERR)))
    feeder = asyncio.create_task(feed())
    try:
        try:
            code = await shell_task
        except asyncio.CancelledError:
            if stream.closed:
                return
            raise
        stdout.close()
        if stderr is not stdout:
            stderr.close()
        await asyncio.gather(*pumps, return_exceptions=True)
        if v2 and not stream.closed:
            await stream.write(_v2_packet(ID_EXIT, bytes([code & 0xFF])))
        await stream.close()
    finally:
        feeder.cancel()
        for task in pumps:
            task.cancel()
        if not shell_task.done():
            shell_task.cancel()


async def _interactive(device: VirtualDevice, io: IO) -> int:
    """``adb shell`` with no command: a prompt, one command line at a time."""
    from harness.virtual.shell.interpreter import Interpreter, new_shell_state
    from harness.virtual.shell.streams import LineReader

    state = new_shell_state(device, SHELL_UID)
    sh = Interpreter(state)
    reader = LineReader(io.stdin)
    host = device.props.get("ro.product.device", "android")
    while True:
        io.stdout.write(f"{host}:{state.cwd} $ ")
        line = await reader.readline()
        if not line:
            return state.status
        text = line.decode("utf-8", errors="replace").strip()
        if text in ("exit", "logout"):
            return state.status
        if text:
            await sh.run_source(text, io)
