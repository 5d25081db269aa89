"""Byte streams between shell commands, files and adb streams.

Commands write with a plain ``write()`` (cheap for the common short outputs) and call
``await drain()`` in loops that produce a lot (``cat`` of a large file, ``logcat`` following
the log), so a slow reader applies back-pressure instead of filling memory.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

HIGH_WATER = 256 * 1024


class BrokenPipe(Exception):
    """The reader went away (``| head``, host closed the stream): the writer stops, like SIGPIPE."""


class Output(Protocol):
    def write(self, data: bytes | str) -> None: ...
    async def drain(self) -> None: ...
    def close(self) -> None: ...


class Input(Protocol):
    async def read(self) -> bytes: ...


def _b(data: bytes | str) -> bytes:
    return data.encode("utf-8", errors="surrogateescape") if isinstance(data, str) else data


class Pipe:
    """An in-memory pipe: one writer end, one reader end."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._data = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.write_closed = False
        self.read_closed = False

    # writer side
    def write(self, data: bytes | str) -> None:
        if self.read_closed:
            raise BrokenPipe()
        if self.write_closed or not data:
            return
        self._buf += _b(data)
        self._data.set()
        if len(self._buf) > HIGH_WATER:
            self._room.clear()

    async def drain(self) -> None:
        if self.read_closed:
            raise BrokenPipe()
        await self._room.wait()
        if self.read_closed:
            raise BrokenPipe()

    def close(self) -> None:
        self.write_closed = True
        self._data.set()

    # reader side
    async def read(self) -> bytes:
        """Whatever is buffered (waiting for some); b"" at EOF."""
        while not self._buf:
            if self.write_closed:
                return b""
            self._data.clear()
            await self._data.wait()
        data = bytes(self._buf)
        self._buf.clear()
        self._room.set()
        return data

    def close_reader(self) -> None:
        self.read_closed = True
        self._buf.clear()
        self._room.set()


class BufferOutput:
    """Collects everything written (command substitution, ``> file``)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False

    def write(self, data: bytes | str) -> None:
        self.data += _b(data)

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class NullOutput:
    def write(self, data: bytes | str) -> None:
        return None

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        return None


class BytesInput:
    def __init__(self, data: bytes = b"") -> None:
        self._data: bytes | None = data

    async def read(self) -> bytes:
        data, self._data = self._data, None
        return data or b""


async def read_all(stream: Input) -> bytes:
    out = bytearray()
    while True:
        chunk = await stream.read()
        if not chunk:
            return bytes(out)
        out += chunk


async def read_exactly(stream: Input, size: int) -> bytes:
    """Up to ``size`` bytes: stop at that count without waiting for EOF (``pm install -S``)."""
    out = bytearray()
    while len(out) < size:
        chunk = await stream.read()
        if not chunk:
            break
        out += chunk
    return bytes(out[:size])


class LineReader:
    """Line-by-line reading over an Input."""

    def __init__(self, stream: Input) -> None:
        self.stream = stream
        self._buf = bytearray()
        self._eof = False

    async def readline(self) -> bytes:
        while b"\n" not in self._buf and not self._eof:
            chunk = await self.stream.read()
            if not chunk:
                self._eof = True
            self._buf += chunk
        idx = self._buf.find(b"\n")
        if idx < 0:
            line = bytes(self._buf)
            self._buf.clear()
            return line
        line = bytes(self._buf[: idx + 1])
        del self._buf[: idx + 1]
        return line
