"""One adb transport (the TCP connection the adb server opens to adbd) and its streams.

Flow control is the classic one: one WRTE in flight per stream, each answered by an OKAY; we
never advertise ``delayed_ack`` and refuse any OPEN that asks for it (reference section 1.4).
Every stream runs its service in its own task, with one write lock on the socket, because
uiautomator2 keeps an ``app_process`` shell open while other shells and HTTP streams run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from harness.virtual.adbd import protocol as p

if TYPE_CHECKING:
    from harness.virtual.adbd.host import AdbdHost

log = logging.getLogger(__name__)

ServiceFn = Callable[["DeviceStream"], Awaitable[None]]


class StreamClosed(Exception):
    """The host closed the stream (CLSE) or the transport went away."""


class DeviceStream:
    """The device end of one adb stream, as a byte pipe with adb's flow control."""

    def __init__(self, conn: AdbdConnection, local_id: int, remote_id: int, service: str) -> None:
        self.conn = conn
        self.local_id = local_id
        self.remote_id = remote_id
        self.service = service
        self._incoming: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._buffer = bytearray()
        self._eof = False
        self._may_write = asyncio.Event()
        self._may_write.set()
        self.closed = False
        self.host_closed = asyncio.Event()

    # -- host -> device
    def _on_data(self, data: bytes) -> None:
        self._incoming.put_nowait(data)

    def _on_okay(self) -> None:
        self._may_write.set()

    def _on_host_close(self) -> None:
        self.closed = True
        self.host_closed.set()
        self._incoming.put_nowait(None)
        self._may_write.set()

    async def read(self) -> bytes:
        """Next chunk the host wrote; b"" once the host closed the stream."""
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        if self._eof:
            return b""
        chunk = await self._incoming.get()
        if chunk is None:
            self._eof = True
            return b""
        return chunk

    async def read_exact(self, n: int) -> bytes:
        """Exactly n bytes; the host coalesces and splits messages freely, so buffer."""
        while len(self._buffer) < n:
            if self._eof:
                raise StreamClosed(f"stream {self.service!r} closed while reading {n} bytes")
            chunk = await self._incoming.get()
            if chunk is None:
                self._eof = True
                continue
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    # -- device -> host
    async def write(self, data: bytes) -> None:
        """Send data in chunks of the host's max payload, one WRTE in flight at a time."""
        if not data:
            return
        view = memoryview(data)
        step = self.conn.max_payload
        for start in range(0, len(view), step):
            await self._may_write.wait()
            if self.closed:
                raise StreamClosed(f"stream {self.service!r} closed by host")
            self._may_write.clear()
            await self.conn.send(
                p.Packet(p.A_WRTE, self.local_id, self.remote_id, bytes(view[start : start + step]))
            )

    async def close(self) -> None:
        """Close from the device side: CLSE(local, remote). The host does not answer."""
        if self.closed:
            return
        self.closed = True
        # Wait for the OKAY of our last WRTE so the host has the data before the CLSE.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._may_write.wait(), timeout=5)
        with contextlib.suppress(ConnectionError, OSError):
            await self.conn.send(p.Packet(p.A_CLSE, self.local_id, self.remote_id))


class AdbdConnection:
    """Serves one TCP connection from the adb server."""

    _ids = itertools.count(1)

    def __init__(
        self, host: AdbdHost, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.host = host
        self.reader = reader
        self.writer = writer
        self.max_payload = p.MAX_PAYLOAD
        self.connected = False
        self.streams: dict[int, DeviceStream] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()
        self._closing = False

    async def send(self, packet: p.Packet) -> None:
        if self._closing:
            raise ConnectionError("transport closed")
        async with self._send_lock:
            self.writer.write(packet.encode())
            await self.writer.drain()

    async def run(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(p.HEADER_SIZE)
                command, arg0, arg1, length = p.decode_header(header)
                payload = await self.reader.readexactly(length) if length else b""
                await self._dispatch(p.Packet(command, arg0, arg1, payload))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except p.ProtocolError as exc:
            log.warning("dropping transport: %s", exc)
        finally:
            await self.close()

    async def _dispatch(self, pkt: p.Packet) -> None:
        if pkt.command == p.A_CNXN:
            await self._on_connect(pkt)
            return
        if not self.connected:
            return  # messages before CNXN are ignored (protocol.md)
        if pkt.command == p.A_OPEN:
            await self._on_open(pkt)
        elif pkt.command == p.A_WRTE:
            stream = self.streams.get(pkt.arg1)
            if stream is None:
                await self.send(p.Packet(p.A_CLSE, 0, pkt.arg0))
                return
            stream._on_data(pkt.payload)
            await self.send(p.Packet(p.A_OKAY, stream.local_id, stream.remote_id))
        elif pkt.command == p.A_OKAY:
            stream = self.streams.get(pkt.arg1)
            if stream is not None:
                if stream.remote_id == 0:
                    stream.remote_id = pkt.arg0
                stream._on_okay()
        elif pkt.command == p.A_CLSE:
            stream = self.streams.pop(pkt.arg1, None)
            if stream is not None:
                stream._on_host_close()
                task = self.tasks.pop(stream.local_id, None)
                if task is not None and not task.done():
                    task.cancel()

    async def _on_connect(self, pkt: p.Packet) -> None:
        self.max_payload = max(256, min(pkt.arg1, p.MAX_PAYLOAD))
        # A booting device has no adbd yet: hold the handshake until adbd "starts".
        await self.host.wait_adbd_ready()
        if self._closing:
            return
        self.connected = True
        await self.send(p.Packet(p.A_CNXN, p.A_VERSION, p.MAX_PAYLOAD, self.host.banner()))

    async def _on_open(self, pkt: p.Packet) -> None:
        service = pkt.payload.rstrip(b"\x00").decode("utf-8", errors="replace")
        # arg1 != 0 means the host wants delayed-ack, which we never advertised: refuse.
        fn = None if pkt.arg1 != 0 else self.host.open_service(service)
        if fn is None:
            await self.send(p.Packet(p.A_CLSE, 0, pkt.arg0))
            return
        local_id = next(self._ids)
        stream = DeviceStream(self, local_id, pkt.arg0, service)
        self.streams[local_id] = stream
        await self.send(p.Packet(p.A_OKAY, local_id, pkt.arg0))
        self.tasks[local_id] = asyncio.create_task(self._serve(stream, fn), name=service[:60])

    async def _serve(self, stream: DeviceStream, fn: ServiceFn) -> None:
        try:
            await fn(stream)
        except (StreamClosed, asyncio.CancelledError, ConnectionError):
            pass
        except Exception:  # a bug in a service must not take the transport down
            log.exception("service %r failed", stream.service)
        finally:
            self.tasks.pop(stream.local_id, None)
            self.streams.pop(stream.local_id, None)
            if not stream.closed and not self._closing:
                with contextlib.suppress(Exception):
                    await stream.close()

    async def close(self) -> None:
        """Drop the transport (as on reboot or unplug): the adb server sees the device go."""
        if self._closing:
            return
        self._closing = True
        for stream in list(self.streams.values()):
            stream._on_host_close()
        for task in list(self.tasks.values()):
            task.cancel()
        self.host.connection_closed(self)
        with contextlib.suppress(Exception):
            self.writer.close()
