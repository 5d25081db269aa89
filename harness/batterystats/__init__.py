"""Batterystats parsers: ``dumpsys batterystats`` text in, tidy pandas DataFrames out.

Entry points:

- :func:`parse_checkin` — ``dumpsys batterystats -c`` (aggregate tables plus its history);
- :func:`parse_history` — battery history from a checkin dump, a text dump or a bugreport;
- :func:`parse_any` — detects what it was given and returns the matching result;
- :func:`locate_in_bugreport` — finds the batterystats sections in a whole bugreport.

All of them are pure (text or bytes in, no I/O), redact account names and e-mail addresses
unless ``redact=False``, accept an optional ``progress(bytes_done, bytes_total)`` callback, and
raise :class:`harness.errors.ParseError` only for input that is not batterystats at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.batterystats.bugreport import (
    BatterystatsSections,
    Section,
    locate_in_bugreport,
    looks_like_bugreport,
)
from harness.batterystats.checkin import TABLES as CHECKIN_TABLES
from harness.batterystats.checkin import CheckinStats, parse_checkin
from harness.batterystats.history import (
    History,
    has_checkin_history,
    looks_like_text_dump,
    parse_history,
)
from harness.batterystats.redact import redact_email, redact_name, redact_sync_name
from harness.batterystats.text import ProgressCallback, ProgressReporter, normalize
from harness.errors import ParseError

__all__ = [
    "CHECKIN_TABLES",
    "BatterystatsSections",
    "BugreportBatterystats",
    "CheckinStats",
    "History",
    "Section",
    "detect_kind",
    "locate_in_bugreport",
    "parse_any",
    "parse_checkin",
    "parse_history",
    "redact_email",
    "redact_name",
    "redact_sync_name",
]

CHECKIN = "checkin"
HISTORY = "history"
BUGREPORT = "bugreport"


@dataclass
class BugreportBatterystats:
    """Both batterystats sections of a bugreport, each parsed when present."""

    checkin: CheckinStats | None
    dumpsys: History | None
    sections: BatterystatsSections

    @property
    def history(self) -> History | None:
        """The checkin history when there is one (epoch-ms precise, with UIDs), else the text."""
        if self.checkin is not None and self.checkin.history is not None:
            return self.checkin.history
        return self.dumpsys

    def to_json(self) -> dict[str, Any]:
        return {
            "checkin": None if self.checkin is None else self.checkin.to_json(),
            "dumpsys": None if self.dumpsys is None else self.dumpsys.to_json(),
        }


def detect_kind(data: str | bytes) -> str:
    """``"bugreport"``, ``"checkin"`` or ``"history"``; ParseError when it is none of them."""
    if looks_like_bugreport(data):
        return BUGREPORT
    head = normalize(data[:_SNIFF_BYTES])
    if _AGGREGATE_ROW.search(head):
        return CHECKIN
    if has_checkin_history(head) or looks_like_text_dump(head):
        return HISTORY
    first = next((ln for ln in head.split("\n", 50) if ln.strip()), "")
    raise ParseError("dumpsys batterystats", "not batterystats output", 1, first)


_SNIFF_BYTES = 256 * 1024
# An aggregate checkin row other than "vers": history snippets carry a vers line too.
_AGGREGATE_ROW = re.compile(r"^\d+,-?\d+,[lciu],(?!vers,)[A-Za-z]+", re.M)


def parse_any(
    data: str | bytes,
    *,
    redact: bool = True,
    progress: ProgressCallback | None = None,
) -> CheckinStats | History | BugreportBatterystats:
    """Parse whatever batterystats output ``data`` is.

    A checkin dump gives :class:`CheckinStats`, a text dump or a bare history
    :class:`History`, a bugreport :class:`BugreportBatterystats` with both sections (either
    may be None when its section is missing or holds no batterystats output).
    """
    if looks_like_bugreport(data):
        reporter = ProgressReporter(progress, len(data))
        sections = locate_in_bugreport(data)
        if not sections.found:
            raise ParseError("bugreport", "no batterystats section found")
        checkin = dumpsys = None
        if sections.checkin is not None:
            sub = reporter.scoped(
                sections.checkin.start, sections.checkin.end - sections.checkin.start
            )
            try:
                checkin = parse_checkin(sections.checkin.text, redact=redact, progress=sub.relay())
            except ParseError:  # the section is there but dumpsys printed an error instead
                checkin = None
        if sections.dumpsys is not None:
            sub = reporter.scoped(
                sections.dumpsys.start, sections.dumpsys.end - sections.dumpsys.start
            )
            try:
                dumpsys = parse_history(sections.dumpsys.text, redact=redact, progress=sub.relay())
            except ParseError:
                dumpsys = None
        reporter.finish()
        return BugreportBatterystats(checkin, dumpsys, sections)
    text = normalize(data)
    if _AGGREGATE_ROW.search(text):
        return parse_checkin(text, redact=redact, progress=progress)
    return parse_history(text, redact=redact, progress=progress)
