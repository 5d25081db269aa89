"""The ``sync:`` service (adb push/pull/ls/stat), v1 and the v2 stat/list variants.

Layouts from AOSP ``file_sync_protocol.h`` and ``daemon/file_sync_service.cpp`` (reference
``adb-virtual-device.md`` section 1.6). adbutils reads STAT and DENT replies with plain
``recv(12)``/``recv(16)``, so every reply goes out in a single WRTE.
"""

from __future__ import annotations

import stat as st
import struct
from typing import TYPE_CHECKING

from harness.virtual.adbd.transport import DeviceStream, StreamClosed
from harness.virtual.fs import SHELL_UID, File, FsError, Node, normalize_path

if TYPE_CHECKING:
    from harness.virtual.device import VirtualDevice

SYNC_DATA_MAX = 64 * 1024
_REQ = struct.Struct("<4sI")
_STAT_V1 = struct.Struct("<4sIII")
_STAT_V2 = struct.Struct("<4sIQQIIIIQqqq")
_DENT_V1 = struct.Struct("<4sIIII")
_DENT_V2 = struct.Struct("<4sIQQIIIIQqqqI")
_ENOENT = 2


def _stat_v2_fields(node: Node | None, error: int, ino: int) -> tuple:
    if node is None:
        return (error, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    nlink = 2 if node.is_dir else 1
    return (
        0,
        0xFD00,
        ino,
        node.mode,
        nlink,
        node.uid,
        node.gid,
        node.size,
        node.mtime,
        node.mtime,
        node.mtime,
    )


async def sync_service(device: VirtualDevice, stream: DeviceStream) -> None:
    fs = device.fs
    uid = SHELL_UID
    try:
        while True:
            ident, length = _REQ.unpack(await stream.read_exact(8))
            arg = (await stream.read_exact(length)).decode("utf-8", errors="surrogateescape")
            if ident == b"QUIT":
                break
            if ident in (b"STAT", b"STA2", b"LST2"):
                node: Node | None
                try:
                    node = fs.lookup(arg, uid, follow=(ident != b"LST2"))
                    err = 0
                except FsError as exc:
                    node, err = None, exc.code
                if ident == b"STAT":
                    if node is None:
                        reply = _STAT_V1.pack(b"STAT", 0, 0, 0)
                    else:
                        reply = _STAT_V1.pack(
                            b"STAT", node.mode, node.size & 0xFFFFFFFF, node.mtime
                        )
                else:
                    reply = _STAT_V2.pack(ident, *_stat_v2_fields(node, err, id(node) & 0xFFFF))
                await stream.write(reply)
            elif ident in (b"LIST", b"LIS2"):
                await stream.write(_listing(device, arg, uid, v2=(ident == b"LIS2")))
            elif ident == b"SEND":
                await _receive_file(device, stream, arg, uid)
            elif ident == b"RECV":
                await _send_file(device, stream, arg, uid)
            else:
                await _fail(stream, f"unknown sync command {ident!r}")
                break
    except StreamClosed:
        return
    await stream.close()


def _listing(device: VirtualDevice, path: str, uid: int, v2: bool) -> bytes:
    out = bytearray()
    try:
        here = device.fs.lookup(path, uid)
        parent = device.fs.lookup(normalize_path(path + "/.."), uid)
        entries = [(".", here), ("..", parent), *device.fs.listdir(path, uid)]
    except FsError:
        entries = []
    for name, node in entries:
        raw = name.encode("utf-8", errors="surrogateescape")
        if v2:
            out += _DENT_V2.pack(b"DNT2", *_stat_v2_fields(node, 0, id(node) & 0xFFFF), len(raw))
        else:
            out += _DENT_V1.pack(b"DENT", node.mode, node.size & 0xFFFFFFFF, node.mtime, len(raw))
        out += raw
    if v2:
        out += _DENT_V2.pack(b"DONE", *(0,) * 11, 0)
    else:
        out += _DENT_V1.pack(b"DONE", 0, 0, 0, 0)
    return bytes(out)


async def _fail(stream: DeviceStream, message: str) -> None:
    data = message.encode()
    await stream.write(b"FAIL" + struct.pack("<I", len(data)) + data)


async def _receive_file(device: VirtualDevice, stream: DeviceStream, arg: str, uid: int) -> None:
    path, _, mode_text = arg.rpartition(",")
    if not path:
        path, mode_text = arg, "33188"
    try:
        mode = int(mode_text)
    except ValueError:
        mode = 0o100644
    chunks = bytearray()
    mtime = 0
    # Read the whole upload first: the client sends DATA... DONE without waiting for replies.
    while True:
        ident, length = _REQ.unpack(await stream.read_exact(8))
        if ident == b"DATA":
            if length > SYNC_DATA_MAX:
                await _fail(stream, f"data chunk of {length} bytes exceeds {SYNC_DATA_MAX}")
                return
            chunks += await stream.read_exact(length)
        elif ident == b"DONE":
            mtime = length
            break
        else:
            await _fail(stream, f"invalid data message {ident!r}")
            return
    fs = device.fs
    parent = normalize_path(path).rsplit("/", 1)[0] or "/"
    try:
        # fixed_push_mkdir: the device creates missing parent directories itself.
        fs.mkdir(parent, uid, 0o771, parents=True)
        node = fs.open_for_write(path, uid, st.S_IMODE(mode) or 0o644)
    except FsError as exc:
        await _fail(stream, f"couldn't create file: {exc.reason}")
        return
    node.write(bytes(chunks))
    if isinstance(node, File) and st.S_IMODE(mode):
        node.mode = st.S_IFREG | st.S_IMODE(mode)
    if mtime:
        node.mtime = mtime
    await stream.write(b"OKAY" + struct.pack("<I", 0))


async def _send_file(device: VirtualDevice, stream: DeviceStream, path: str, uid: int) -> None:
    try:
        data = device.fs.read_file(path, uid)
    except FsError as exc:
        await _fail(stream, f"open failed: {exc.reason}")
        return
    out = bytearray()
    view = memoryview(data)
    for start in range(0, len(view), SYNC_DATA_MAX):
        chunk = view[start : start + SYNC_DATA_MAX]
        out += b"DATA" + struct.pack("<I", len(chunk)) + chunk
        if len(out) >= 1024 * 1024:
            await stream.write(bytes(out))
            out.clear()
    out += b"DONE" + struct.pack("<I", 0)
    await stream.write(bytes(out))
