"""The uiautomator2 on-device server (``com.wetest.uia2.Main`` in u2.jar), as the device runs it.

``app_process`` starts it; while it runs, ``tcp:PORT`` streams reach it (it is registered in
``device.sockets``), and it stops when the ``app_process`` stream closes (uiautomator2's
``stop_uiautomator()`` closes it), on ``GET /stop``, or with the device. Only one UiAutomation
connection can exist at a time (UiAutomationManager: "UiAutomationService ... already
registered!"), so a second server refuses to start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.virtual.adbd.transport import DeviceStream
from harness.virtual.uiautomator.http import BadRequest, Request, read_request, response
from harness.virtual.uiautomator.rpc import RpcContext, dispatch

if TYPE_CHECKING:
    from harness.virtual.device import Process, VirtualDevice

log = logging.getLogger(__name__)

MAIN_CLASS = "com.wetest.uia2.Main"
DEFAULT_PORT = 9008
# What the server prints when it is up (its Ln logger, "[server] INFO: " prefix).
STARTED_LINE = "[server] INFO: server started"
ALREADY_REGISTERED = (
    "java.lang.IllegalStateException: UiAutomationService "
    "android.accessibilityservice.IAccessibilityServiceClient$Stub$Proxy@5deffd5"
    "already registered!"
)


class UiAutomatorServer:
    def __init__(self, device: VirtualDevice, port: int = DEFAULT_PORT) -> None:
        self.device = device
        self.port = port
        self.ctx = RpcContext(device)
        self.stopped = asyncio.Event()
        self.pid = device.new_pid()

    @staticmethod
    def running_on(device: VirtualDevice) -> UiAutomatorServer | None:
        for handler in device.sockets.values():
            owner = getattr(handler, "__self__", None)
            if isinstance(owner, UiAutomatorServer):
                return owner
        return None

    async def run(self, announce: Callable[[str], None]) -> None:
        """Serve until stopped; the caller is the ``app_process`` command."""
        handler = self.serve
        device = self.device
        device.sockets[self.port] = handler
        device.process_providers.append(self._process)
        try:
            announce(STARTED_LINE)
            await self.stopped.wait()
        finally:
            if device.sockets.get(self.port) == handler:
                del device.sockets[self.port]
            if self._process in device.process_providers:
                device.process_providers.remove(self._process)

    def _process(self) -> list[Process]:
        from harness.virtual.device import Process

        return [Process(self.pid, self.device.adbd_pid, "shell", "app_process", 2000)]

    async def serve(self, stream: DeviceStream) -> None:
        """One HTTP exchange on one ``tcp:PORT`` stream."""
        try:
            request = await read_request(stream)
        except BadRequest as exc:
            await stream.write(response(400, str(exc).encode(), "text/plain"))
            await stream.close()
            return
        if request is None:
            await stream.close()
            return
        status, body, content_type = await self.handle(request)
        await stream.write(response(status, body, content_type))
        await stream.close()

    async def handle(self, request: Request) -> tuple[int, bytes, str]:
        path = request.path.split("?", 1)[0]
        if path == "/ping":
            return 200, b"pong", "text/plain"
        if path == "/stop":
            self.stopped.set()
            return 200, b"Server stopped!!!", "text/plain"
        if path.startswith("/jsonrpc/0"):
            if request.method != "POST":
                return 405, b"Method Not Allowed", "text/plain"
            return 200, await dispatch(self.ctx, request.body), "application/json"
        return 404, b"Not Found", "text/plain"
