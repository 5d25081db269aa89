"""Finding the batterystats sections inside a whole bugreport (or a multi-service dumpsys).

A bugreport carries batterystats twice: the checkin form in the dumpstate section
``------ CHECKIN BATTERYSTATS (dumpsys batterystats -c) ------`` and the text form in
``DUMP OF SERVICE batterystats:``. Bugreports are tens of megabytes, mostly logcat, so the
sections are found with plain substring search on the raw text or bytes rather than a regex per
line (Battery Historian's line scan spends seconds there). Only the sections are decoded and
normalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import AnyStr

from harness.batterystats.text import normalize

_CHECKIN_TITLE = "------ CHECKIN BATTERYSTATS"
_SECTION_START = "\n------ "
_SERVICE_PATTERN = r"DUMP OF SERVICE (?:CRITICAL |HIGH |NORMAL )?batterystats:"
_SERVICE_LITERAL = "DUMP OF SERVICE"  # (searched faster without the space)
_SERVICE_RE = re.compile(_SERVICE_PATTERN)
_SERVICE_RE_BYTES = re.compile(_SERVICE_PATTERN.encode())
# What ends a "DUMP OF SERVICE" block: dumpsys' duration line, the separator before the next
# block, the next block, or a dumpstate section header.
_SERVICE_ENDS = (
    "\n--------- ",
    "\n--------------------------------------------------------------------------",
    "\nDUMP OF SERVICE ",
    "\n------ ",
)


@dataclass(frozen=True)
class Section:
    """One located section: its title line and its decoded, normalised body."""

    title: str
    text: str
    start: int  # offset of the body in the searched input (characters or bytes)
    end: int


@dataclass(frozen=True)
class BatterystatsSections:
    checkin: Section | None
    dumpsys: Section | None

    @property
    def found(self) -> bool:
        return self.checkin is not None or self.dumpsys is not None


def _lit(data: AnyStr, s: str) -> AnyStr:
    return s.encode() if isinstance(data, bytes) else s  # type: ignore[return-value]


def _decode(data: str | bytes) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


def _line_end(data: AnyStr, pos: int) -> int:
    end = data.find(_lit(data, "\n"), pos)
    return len(data) if end < 0 else end + 1


def _checkin_section(data: AnyStr) -> Section | None:
    title = _lit(data, _CHECKIN_TITLE)
    at = data.find(title)
    # The title must start a line; "CHECKIN BATTERYSTATS" also appears in dumpstate's
    # "was the duration of" trailer lines.
    while at > 0 and data[at - 1 : at] != _lit(data, "\n"):
        at = data.find(title, at + 1)
    if at < 0:
        return None
    body = _line_end(data, at)
    end = data.find(_lit(data, _SECTION_START), body - 1)
    end = len(data) if end < 0 else end + 1
    return Section(_decode(data[at:body]).strip(), normalize(_decode(data[body:end])), body, end)


def _dumpsys_section(data: AnyStr) -> Section | None:
    regex = _SERVICE_RE_BYTES if isinstance(data, bytes) else _SERVICE_RE
    m = regex.search(data)  # type: ignore[arg-type]
    if m is None:
        return None
    body = _line_end(data, m.start())
    end = len(data)
    for marker in _SERVICE_ENDS:
        found = data.find(_lit(data, marker), body - 1)
        if 0 <= found < end:
            end = found + 1
    return Section(_decode(m.group(0)), normalize(_decode(data[body:end])), body, end)


def locate_in_bugreport(data: str | bytes) -> BatterystatsSections:
    """Find the checkin and the text batterystats sections; either may be missing."""
    return BatterystatsSections(_checkin_section(data), _dumpsys_section(data))


def looks_like_bugreport(data: str | bytes) -> bool:
    """A bugreport or multi-service dump, as opposed to one batterystats output."""
    regex = _SERVICE_RE_BYTES if isinstance(data, bytes) else _SERVICE_RE
    if _lit(data, _CHECKIN_TITLE) in data:  # type: ignore[operator]
        return True
    # Substring search first: the regex scans a plain dump far slower, and only matches where
    # this literal is.
    return _lit(data, _SERVICE_LITERAL) in data and regex.search(data) is not None  # type: ignore[arg-type, operator]
