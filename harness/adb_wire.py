"""A thin client of the adb server's smart-socket protocol, for the hot shell path.

adbutils is kept for everything else (device listing, sync, forwarding). For ``shell`` it
costs about 20 ms per call because it asks the server for its version on every serial-addressed
transport and sleeps 10 ms when it closes each connection. This client opens one socket with
``TCP_NODELAY``, switches it to the device with ``host:tport:serial:S`` and runs
``shell,v2,raw:CMD`` (or ``shell:CMD`` where the device lacks ``shell_v2``), reading to EOF:
one round trip to the server per command.

Protocol: a request is ``%04x`` length + ASCII; the server answers ``OKAY`` or ``FAIL`` +
``%04x`` + message. After ``host:tport:*`` the OKAY is followed by the 8-byte transport id.
Shell v2 packets are ``u8 id, u32le length, payload`` (ids: 0 stdin, 1 stdout, 2 stderr,
3 exit, 4 close-stdin).
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

ID_STDIN, ID_STDOUT, ID_STDERR, ID_EXIT, ID_CLOSE_STDIN = 0, 1, 2, 3, 4
_V2_HEADER = struct.Struct("<BI")


class WireError(Exception):
    """The adb server refused a request (``FAIL``); ``message`` is its text."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class WireTimeout(Exception):
    def __init__(self, partial_stdout: bytes, partial_stderr: bytes) -> None:
        self.partial_stdout = partial_stdout
        self.partial_stderr = partial_stderr
        super().__init__("timed out")


class StreamEnded(Exception):
    """The stream closed before an exit status arrived (the transport may have gone)."""

    def __init__(self, partial_stdout: bytes, partial_stderr: bytes) -> None:
        self.partial_stdout = partial_stdout
        self.partial_stderr = partial_stderr
        super().__init__("stream ended without exit status")


@dataclass(frozen=True)
class RawShellResult:
    stdout: bytes
    stderr: bytes
    exit_code: int


class _Conn:
    def __init__(self, host: str, port: int, timeout_s: float | None) -> None:
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.sock = socket.create_connection((host, port), timeout=self._remaining() or 10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def _remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(0.001, self.deadline - time.monotonic())

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send_request(self, text: str) -> None:
        data = text.encode("utf-8")
        self.sock.sendall(b"%04x" % len(data) + data)

    def recv_some(self) -> bytes:
        self.sock.settimeout(self._remaining())
        return self.sock.recv(65536)

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.recv_some()
            if not chunk:
                raise EOFError(f"connection closed after {len(self.buf)} of {n} bytes")
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def check_okay(self) -> None:
        status = self.read_exact(4)
        if status == b"OKAY":
            return
        if status == b"FAIL":
            length = int(self.read_exact(4), 16)
            raise WireError(self.read_exact(length).decode("utf-8", errors="replace"))
        raise WireError(f"unexpected reply {status!r}")

    def select_device(self, serial: str) -> None:
        self.send_request(f"host:tport:serial:{serial}")
        self.check_okay()
        self.read_exact(8)  # transport id


def shell_v2(
    host: str,
    port: int,
    serial: str,
    command: str,
    timeout_s: float | None,
    stdin: bytes | None = None,
) -> RawShellResult:
    """Run ``command`` with the shell protocol; raises WireError/WireTimeout/StreamEnded."""
    conn = _Conn(host, port, timeout_s)
    out = bytearray()
    err = bytearray()
    try:
        conn.select_device(serial)
        conn.send_request(f"shell,v2,raw:{command}")
        conn.check_okay()
        payload = b""
        if stdin:
            payload += _V2_HEADER.pack(ID_STDIN, len(stdin)) + stdin
        payload += _V2_HEADER.pack(ID_CLOSE_STDIN, 0)
        conn.sock.sendall(payload)
        while True:
            try:
                pid, length = _V2_HEADER.unpack(conn.read_exact(5))
                data = conn.read_exact(length) if length else b""
            except EOFError:
                raise StreamEnded(bytes(out), bytes(err)) from None
            if pid == ID_STDOUT:
                out += data
            elif pid == ID_STDERR:
                err += data
            elif pid == ID_EXIT:
                return RawShellResult(bytes(out), bytes(err), data[0] if data else 255)
    except TimeoutError:
        raise WireTimeout(bytes(out), bytes(err)) from None
    except ConnectionResetError:
        raise StreamEnded(bytes(out), bytes(err)) from None
    finally:
        conn.close()


def shell_v1(
    host: str, port: int, serial: str, command: str, timeout_s: float | None, marker: str
) -> RawShellResult:
    """Shell without the shell protocol (devices without ``shell_v2``).

    stdout and stderr arrive merged; the exit status is recovered from a marker line that the
    command prints last (``echo MARKER$?``), as adbutils' ``shell2`` does.
    """
    conn = _Conn(host, port, timeout_s)
    out = bytearray()
    try:
        conn.select_device(serial)
        conn.send_request(f"shell:{command}\necho {marker}$?")
        conn.check_okay()
        while True:
            chunk = conn.recv_some()
            if not chunk:
                break
            out += chunk
    except TimeoutError:
        raise WireTimeout(bytes(out), b"") from None
    except ConnectionResetError:
        raise StreamEnded(bytes(out), b"") from None
    finally:
        conn.close()
    data = bytes(out).replace(b"\r\n", b"\n")
    idx = data.rfind(marker.encode())
    if idx < 0:
        raise StreamEnded(data, b"")
    try:
        code = int(data[idx + len(marker) :].strip() or b"255")
    except ValueError:
        code = 255
    return RawShellResult(data[:idx], b"", code)


def simple_service(
    host: str, port: int, serial: str, service: str, timeout_s: float | None = 10
) -> bytes:
    """Open a device service (``reboot:``) and read until it closes."""
    conn = _Conn(host, port, timeout_s)
    out = bytearray()
    try:
        conn.select_device(serial)
        conn.send_request(service)
        conn.check_okay()
        while True:
            try:
                chunk = conn.recv_some()
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            out += chunk
    finally:
        conn.close()
    return bytes(out)


def host_request(host: str, port: int, request: str, timeout_s: float = 5) -> str:
    """A host request answered with OKAY + a length-prefixed string (``host:devices-l``)."""
    conn = _Conn(host, port, timeout_s)
    try:
        conn.send_request(request)
        conn.check_okay()
        length = int(conn.read_exact(4), 16)
        return conn.read_exact(length).decode("utf-8", errors="replace")
    finally:
        conn.close()
