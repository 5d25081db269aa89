"""Redaction of raw batterystats text before it is kept next to a report.

The parsers redact the names they put into frames (:mod:`harness.batterystats.redact`); the raw
dumps kept for reference must not carry what the frames leave out. Names sit in three places:
quoted strings (``"..."``: string pool, jobs, syncs, processes, text history tags), the
unquoted name field of ``wl`` / ``wua`` / ``kwl`` checkin rows, and anywhere else an e-mail
address may appear. Each is run through the same functions the parsers use, so a frame and its
raw text say the same thing.
"""

from __future__ import annotations

import re

from harness.batterystats import redact_email, redact_name

_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
# 9,<uid>,<cat>,wl|wua,<name>,... : the name is the fifth field and is not quoted.
_UNQUOTED_NAME = re.compile(r"^(\d+,-?\d+,[a-z],(?:wl|wua),)([^,\n]*)", re.M)


def _redact_quoted(m: re.Match[str]) -> str:
    inner = m.group(1)
    unescaped = inner.replace('\\"', '"').replace("\\\\", "\\")
    redacted = redact_name(unescaped)
    if redacted == unescaped:
        return m.group(0)
    return '"' + redacted.replace("\\", "\\\\").replace('"', '\\"') + '"'


def redact_raw_text(text: str) -> str:
    """Account names and e-mail addresses replaced the way the parsers replace them."""
    if "@" not in text and "*sync*" not in text and "/" not in text:
        return text
    text = _QUOTED.sub(_redact_quoted, text)
    text = _UNQUOTED_NAME.sub(lambda m: m.group(1) + redact_name(m.group(2)), text)
    return redact_email(text)
