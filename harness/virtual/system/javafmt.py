"""How Java code in system_server prints and orders things, for dumps that must match a phone.

- :func:`format_duration` is ``TimeUtils.formatDuration``: ``+30m0s0ms``, ``-1h2m3s4ms``, ``0``.
- :func:`java_string_hash` is ``String.hashCode``; ``ArrayMap`` keeps its keys sorted by it, so
  any dump that walks an ``ArrayMap<String, ...>`` prints packages in hash order, not in
  insertion or alphabetical order.
- :func:`parse_java_long` / :func:`parse_java_int` accept what ``Long.parseLong`` /
  ``Integer.parseInt`` accept and raise :class:`JavaNumberFormatError` with Java's message
  otherwise.
"""

from __future__ import annotations

import re

_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_MINUTE_MS = 60_000


def format_duration(ms: int) -> str:
    """TimeUtils.formatDuration(long): units from the first non-zero one on, ms always."""
    if ms == 0:
        return "0"
    sign = "+" if ms > 0 else "-"
    rest = abs(int(ms))
    days, rest = divmod(rest, _DAY_MS)
    hours, rest = divmod(rest, _HOUR_MS)
    minutes, rest = divmod(rest, _MINUTE_MS)
    seconds, millis = divmod(rest, 1000)
    out = [sign]
    started = False
    # TimeUtils.printFieldLocked: a field prints when non-zero or when an earlier one printed.
    for amount, suffix in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")):
        if started or amount > 0:
            out.append(f"{amount}{suffix}")
            started = True
    out.append(f"{millis}ms")
    return "".join(out)


def format_time_relative(when_ms: int, now_ms: int) -> str:
    """TimeUtils.formatDuration(long time, long now): ``--`` for an unset (0) time."""
    if when_ms == 0:
        return "--"
    return format_duration(when_ms - now_ms)


def java_string_hash(text: str) -> int:
    """String.hashCode: s[0]*31^(n-1) + ... + s[n-1] in signed 32-bit arithmetic (UTF-16)."""
    data = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def arraymap_order(keys: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """Keys in the order ArrayMap.keyAt walks them (ArrayMap.indexOf: sorted by hashCode)."""
    return sorted(keys, key=java_string_hash)


class JavaNumberFormatError(ValueError):
    """java.lang.NumberFormatException, with Java's message."""

    def __init__(self, text: str) -> None:
        super().__init__(f'For input string: "{text}"')
        self.java_message = f'java.lang.NumberFormatException: For input string: "{text}"'


_JAVA_INTEGER = re.compile(r"[+-]?[0-9]+")


def _parse(text: str, bits: int) -> int:
    if not _JAVA_INTEGER.fullmatch(text):
        raise JavaNumberFormatError(text)
    value = int(text)
    if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
        raise JavaNumberFormatError(text)
    return value


def parse_java_long(text: str) -> int:
    return _parse(text, 64)


def parse_java_int(text: str) -> int:
    return _parse(text, 32)
