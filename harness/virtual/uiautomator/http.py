"""Minimal HTTP/1.1 over one adb ``tcp:`` stream: one request in, one response out.

uiautomator2 opens a new ``tcp:9008`` stream for every call (http.client over adbutils'
socket), so keep-alive is never needed; the response carries ``Connection: close`` and the
device closes the stream after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.virtual.adbd.transport import DeviceStream

MAX_HEADER_BYTES = 64 * 1024
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class BadRequest(Exception):
    pass


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


async def read_request(stream: DeviceStream) -> Request | None:
    """The next request on the stream; None when the client closed before sending one."""
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        chunk = await stream.read()
        if not chunk:
            return None
        buf += chunk
        if len(buf) > MAX_HEADER_BYTES:
            raise BadRequest("headers too large")
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        raise BadRequest(f"bad request line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    try:
        length = int(headers.get("content-length", "0") or 0)
    except ValueError as exc:
        raise BadRequest("bad Content-Length") from exc
    body = bytearray(rest)
    while len(body) < length:
        chunk = await stream.read()
        if not chunk:
            break
        body += chunk
    return Request(parts[0].upper(), parts[1], headers, bytes(body[:length]))


def response(status: int, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body
