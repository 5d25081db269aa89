"""Readers for the small value formats that many dumpsys outputs share.

- ``key=value`` runs: dumpsys joins fields with a space (``type=2 when=+5s window=0``) or with
  ", " (Bundles, ``content query`` rows), and a value may itself hold spaces, separators and
  nested brackets (``foregroundNoti=Notification(channel=x pri=0)``). A separator therefore only
  ends a value when it sits outside every bracket and is followed by ``key=``.
- Durations as ``TimeUtils.formatDuration`` prints them: ``+1d2h3m4s5ms``, ``-30s0ms``, ``0``.
- Uids as ``UserHandle.formatUid`` prints them: ``1000``, ``u0a123``, ``u10s1000``, ``u0i5``.
"""

from __future__ import annotations

import re

_OPENERS = "([{"
_CLOSERS = ")]}"
_KEY_AT = re.compile(r"[A-Za-z_][\w.:\-]*=")


def split_fields(text: str, separator: str = " ") -> list[tuple[str, str]]:
    """Split ``k1=v1<sep>k2=v2`` into pairs, keeping separators that belong to a value.

    A leading chunk without ``=`` is returned with an empty key, so nothing printed is lost.
    """
    pairs: list[tuple[str, str]] = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            # Unbalanced closers occur in truncated values; never let depth go negative.
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith(separator, i):
            j = i + len(separator)
            # Runs of spaces between fields (``color=0x0      timeout=x``) count as one separator.
            while separator == " " and j < n and text[j] == " ":
                j += 1
            if _KEY_AT.match(text, j):
                pairs.append(_pair(text[start:i]))
                start = j
                i = j
                continue
        i += 1
    tail = text[start:]
    if tail.strip():
        pairs.append(_pair(tail))
    return pairs


def _pair(chunk: str) -> tuple[str, str]:
    chunk = chunk.strip()
    key, sep, value = chunk.partition("=")
    if not sep or not _KEY_AT.match(chunk):
        return "", chunk
    return key, value.strip()


def fields_dict(text: str, separator: str = " ") -> dict[str, str]:
    """:func:`split_fields` as a dict; a repeated key keeps its first value."""
    out: dict[str, str] = {}
    for key, value in split_fields(text, separator):
        if key and key not in out:
            out[key] = value
    return out


_DURATION = re.compile(
    r"^(?P<sign>[+-])?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?!s))?"
    r"(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?$"
)


def duration_ms(text: str | None) -> int | None:
    """Milliseconds of a ``formatDuration`` string; None for ``none``, ``--`` or anything else."""
    if text is None:
        return None
    text = text.strip()
    if not text or not any(c.isdigit() for c in text):
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        # A bare number ("0") is printed for a zero duration.
        return int(text)
    match = _DURATION.match(text)
    if not match:
        return None
    parts = match.groupdict()
    total = (
        int(parts["d"] or 0) * 86_400_000
        + int(parts["h"] or 0) * 3_600_000
        + int(parts["m"] or 0) * 60_000
        + int(parts["s"] or 0) * 1000
        + int(parts["ms"] or 0)
    )
    return -total if parts["sign"] == "-" else total


_PER_USER_RANGE = 100_000
_FIRST_APPLICATION_UID = 10_000
_FIRST_ISOLATED_UID = 99_000
_FORMATTED_UID = re.compile(r"^u(?P<user>\d+)(?P<kind>[asi])(?P<id>\d+)$")


def uid_number(text: str | None) -> int | None:
    """The numeric uid behind a ``formatUid`` string, or None when it is not one."""
    if text is None:
        return None
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    match = _FORMATTED_UID.match(text)
    if not match:
        return None
    base = int(match["user"]) * _PER_USER_RANGE
    offset = {"a": _FIRST_APPLICATION_UID, "i": _FIRST_ISOLATED_UID, "s": 0}[match["kind"]]
    return base + offset + int(match["id"])


def parse_bool(text: str | None) -> bool | None:
    """``true``/``false`` as Java prints them; None for anything else."""
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def parse_int(text: str | None) -> int | None:
    """A decimal or ``0x`` hex integer; None when the text is not one."""
    if text is None:
        return None
    text = text.strip()
    try:
        if text.lower().startswith(("0x", "-0x")):
            return int(text, 16)
        return int(text)
    except ValueError:
        return None
