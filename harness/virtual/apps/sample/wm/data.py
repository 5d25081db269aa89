"""androidx.work.Data as WorkManager stores it (the ``input``/``output`` blobs).

Data.toByteArrayInternalV1: a DataOutputStream with the magic 0xabef, version 1, the entry
count, then per entry a type byte, the value and the key (``writeUTF``: Java's modified UTF-8
with a two-byte length). Serialized data may not exceed 10 KiB (MAX_DATA_BYTES), which
WorkManager enforces with an IllegalStateException when it writes the WorkSpec.
"""

from __future__ import annotations

import struct
from typing import Any

from harness.virtual.system.job_info import IllegalStateException

MAGIC = 0xABEF
VERSION = 1
MAX_DATA_BYTES = 10 * 1024
TYPE_NULL, TYPE_BOOLEAN, TYPE_BYTE, TYPE_INTEGER, TYPE_LONG = 0, 1, 2, 3, 4
TYPE_FLOAT, TYPE_DOUBLE, TYPE_STRING = 5, 6, 7
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def _utf(text: str) -> bytes:
    """DataOutputStream.writeUTF: modified UTF-8 (U+0000 as two bytes, supplementary
    characters as two three-byte surrogates)."""
    out = bytearray()
    for unit in struct.unpack(f"<{len(text.encode('utf-16-le')) // 2}H",
                              text.encode("utf-16-le")):
        if 0 < unit < 0x80:
            out.append(unit)
        elif unit < 0x800:
            out += bytes((0xC0 | unit >> 6, 0x80 | unit & 0x3F))
        else:
            out += bytes((0xE0 | unit >> 12, 0x80 | unit >> 6 & 0x3F, 0x80 | unit & 0x3F))
    return struct.pack(">H", len(out)) + bytes(out)


def _read_utf(data: bytes, at: int) -> tuple[str, int]:
    (length,) = struct.unpack_from(">H", data, at)
    raw = data[at + 2 : at + 2 + length]
    units: list[int] = []
    i = 0
    while i < len(raw):
        b = raw[i]
        if b < 0x80:
            units.append(b)
            i += 1
        elif b >> 5 == 0b110:
            units.append((b & 0x1F) << 6 | raw[i + 1] & 0x3F)
            i += 2
        else:
            units.append((b & 0x0F) << 12 | (raw[i + 1] & 0x3F) << 6 | raw[i + 2] & 0x3F)
            i += 3
    text = struct.pack(f"<{len(units)}H", *units).decode("utf-16-le", "surrogatepass")
    return text, at + 2 + length


def encode(values: dict[str, Any]) -> bytes:
    out = bytearray(struct.pack(">hhi", MAGIC - 0x10000, VERSION, len(values)))
    for key, value in values.items():
        if value is None:
            out.append(TYPE_NULL)
        elif isinstance(value, bool):
            out += bytes((TYPE_BOOLEAN, int(value)))
        elif isinstance(value, int):
            if INT_MIN <= value <= INT_MAX:
                out.append(TYPE_INTEGER)
                out += struct.pack(">i", value)
            else:
                out.append(TYPE_LONG)
                out += struct.pack(">q", value)
        elif isinstance(value, float):
            out.append(TYPE_DOUBLE)
            out += struct.pack(">d", value)
        elif isinstance(value, str):
            out.append(TYPE_STRING)
            out += _utf(value)
        else:
            raise TypeError(f"Unsupported value type {type(value).__name__}")
        out += _utf(key)
    if len(out) > MAX_DATA_BYTES:
        raise IllegalStateException(
            f"Data cannot occupy more than {MAX_DATA_BYTES} bytes when serialized"
        )
    return bytes(out)


def decode(data: bytes) -> dict[str, Any]:
    """Data.fromByteArray for the V1 format (an empty blob is Data.EMPTY)."""
    if not data:
        return {}
    magic, version, count = struct.unpack_from(">Hhi", data, 0)
    if magic != MAGIC or version != VERSION:
        return {}
    at = 8
    values: dict[str, Any] = {}
    for _ in range(count):
        kind = data[at]
        at += 1
        value: Any
        if kind == TYPE_NULL:
            value = None
        elif kind == TYPE_BOOLEAN:
            value, at = bool(data[at]), at + 1
        elif kind == TYPE_BYTE:
            (value,), at = struct.unpack_from(">b", data, at), at + 1
        elif kind == TYPE_INTEGER:
            (value,), at = struct.unpack_from(">i", data, at), at + 4
        elif kind == TYPE_LONG:
            (value,), at = struct.unpack_from(">q", data, at), at + 8
        elif kind == TYPE_FLOAT:
            (value,), at = struct.unpack_from(">f", data, at), at + 4
        elif kind == TYPE_DOUBLE:
            (value,), at = struct.unpack_from(">d", data, at), at + 8
        elif kind == TYPE_STRING:
            value, at = _read_utf(data, at)
        else:
            raise ValueError(f"Unsupported type {kind}")
        key, at = _read_utf(data, at)
        values[key] = value
    return values
