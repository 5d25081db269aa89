"""Shared text handling for parsers: decoding and line endings as real devices produce them.

Real captures come with LF, CRLF and CR CR LF line ends (``adb shell`` through a PTY on old
Windows hosts), stray NUL bytes and the occasional invalid UTF-8 byte. Parsers call
:func:`normalize` once and then work on plain ``\\n``-separated text.
"""

from __future__ import annotations

import re

_CRLF = re.compile(r"\r+\n")


def decode(data: bytes | str) -> str:
    """Decode device output without ever failing: invalid bytes become U+FFFD."""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


def normalize(data: bytes | str) -> str:
    """Decode and turn every CR+ LF and lone CR line end into ``\\n``."""
    text = _CRLF.sub("\n", decode(data))
    if "\r" in text:
        text = text.replace("\r", "\n")
    return text


def lines(data: bytes | str) -> list[str]:
    """Normalized lines, without their line ends."""
    return normalize(data).split("\n")


def indent_of(line: str) -> int:
    """Number of leading spaces (tabs count as one)."""
    return len(line) - len(line.lstrip(" \t"))


_DUMP_HEADER = re.compile(
    r"^-{3,}.*-{3,}\s*$|^DUMP OF SERVICE (?:CRITICAL |HIGH |NORMAL )?[\w.\-]+:?\s*$"
)


def strip_dump_header(text: str) -> str:
    """Drop a bugreport's ``DUMP OF SERVICE x:`` / ``------ ... ------`` banner lines."""
    out = [ln for ln in text.split("\n") if not _DUMP_HEADER.match(ln)]
    return "\n".join(out)
