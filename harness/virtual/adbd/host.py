"""The adbd side of a virtual device: its TCP listener and the transports it serves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from harness.virtual.adbd import protocol
from harness.virtual.adbd.services import open_service
from harness.virtual.adbd.transport import AdbdConnection, ServiceFn

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice

log = logging.getLogger(__name__)

# What the reference recommends, and what our services implement (adb-virtual-device.md 1.8).
FEATURES = ["shell_v2", "cmd", "stat_v2", "ls_v2", "fixed_push_mkdir"]


class AdbdHost:
    def __init__(self, device: VirtualDevice, host: str = "127.0.0.1", port: int = 0) -> None:
        self.device = device
        self.bind_host = host
        self.requested_port = port
        self.port = 0
        self.server: asyncio.base_events.Server | None = None
        self.connections: set[AdbdConnection] = set()
        self.ready = asyncio.Event()  # adbd "process" running (set during boot)

    async def start(self) -> int:
        self.server = await asyncio.start_server(
            self._accept, self.bind_host, self.requested_port, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        await self.drop_transports()
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            import socket

            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = AdbdConnection(self, reader, writer)
        self.connections.add(conn)
        await conn.run()

    async def wait_adbd_ready(self) -> None:
        await self.ready.wait()

    def banner(self) -> bytes:
        return protocol.banner(self.device.props.snapshot(), FEATURES)

    def open_service(self, service: str) -> ServiceFn | None:
        return open_service(self.device, service)

    def connection_closed(self, conn: AdbdConnection) -> None:
        self.connections.discard(conn)

    async def drop_transports(self) -> None:
        """Close every transport: the adb server sees the device disappear (reboot, unplug)."""
        for conn in list(self.connections):
            await conn.close()
