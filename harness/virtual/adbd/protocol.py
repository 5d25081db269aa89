"""The adbd wire protocol: 24-byte little-endian headers and their payloads.

Source: AOSP packages/modules/adb `adb.h`, `docs/dev/protocol.md` (see the project's reference
`adb-virtual-device.md` section 1).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

A_SYNC = 0x434E5953
A_CNXN = 0x4E584E43
A_AUTH = 0x48545541
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_CLSE = 0x45534C43
A_WRTE = 0x45545257
A_STLS = 0x534C5453

# A_VERSION_SKIP_CHECKSUM: peers at this version never verify data_check.
A_VERSION = 0x01000001
MAX_PAYLOAD = 1024 * 1024
# CNXN payloads must fit the smallest possible peer limit (adb.cpp get_connection_string).
MAX_CNXN_PAYLOAD = 4096

HEADER = struct.Struct("<6I")
HEADER_SIZE = HEADER.size

COMMAND_NAMES = {
    A_SYNC: "SYNC",
    A_CNXN: "CNXN",
    A_AUTH: "AUTH",
    A_OPEN: "OPEN",
    A_OKAY: "OKAY",
    A_CLSE: "CLSE",
    A_WRTE: "WRTE",
    A_STLS: "STLS",
}


class ProtocolError(Exception):
    """The peer sent something that is not adb (bad magic, oversized payload)."""


@dataclass(frozen=True, slots=True)
class Packet:
    command: int
    arg0: int
    arg1: int
    payload: bytes = b""

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.command, f"0x{self.command:08x}")

    def encode(self) -> bytes:
        # data_check is the byte sum (not a CRC); modern hosts ignore it but it costs nothing.
        check = sum(self.payload) & 0xFFFFFFFF if self.payload else 0
        magic = self.command ^ 0xFFFFFFFF
        header = HEADER.pack(self.command, self.arg0, self.arg1, len(self.payload), check, magic)
        return header + self.payload


def decode_header(data: bytes, max_payload: int = MAX_PAYLOAD) -> tuple[int, int, int, int]:
    """Returns (command, arg0, arg1, data_length); raises ProtocolError like adb's check_header."""
    command, arg0, arg1, length, _check, magic = HEADER.unpack(data)
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic 0x{magic:08x} for command 0x{command:08x}")
    if length > max_payload:
        raise ProtocolError(f"payload of {length} bytes exceeds {max_payload}")
    return command, arg0, arg1, length


def banner(props: dict[str, str], features: list[str], state: str = "device") -> bytes:
    """The CNXN banner ``device::ro.product.name=..;..;features=..``.

    Format from adb.cpp ``get_connection_string``.
    """
    parts = [
        f"ro.product.name={props.get('ro.product.name', '')}",
        f"ro.product.model={props.get('ro.product.model', '')}",
        f"ro.product.device={props.get('ro.product.device', '')}",
        f"features={','.join(features)}",
    ]
    data = f"{state}::{';'.join(parts)}".encode()
    if len(data) > MAX_CNXN_PAYLOAD:
        raise ValueError(f"CNXN banner of {len(data)} bytes exceeds {MAX_CNXN_PAYLOAD}")
    return data
