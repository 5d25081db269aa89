"""Parsers for ``dumpsys usagestats`` (the standby part) and ``am get-standby-bucket``.

App standby buckets exist from API 28. Their per-package lines come from AppIdleHistory.dump:

- API 28-30: a ``  App Standby States:`` block inside the per-user dump;
- API 31+: an unindented ``User <id> App Standby States:`` block;

each holding ``package=<pkg> u=<user> bucket=<n> reason=<r> used=... idle=y|n`` lines (single
``key=value`` tokens, the set of keys growing with the release). Before API 28 the same place
holds ``Package idle stats:`` with ``package=<pkg> lastUsedElapsed=... idle=y|n``: there are no
buckets then, only the idle flag, which is kept in ``idle``.

The rest of the dump (events, daily/weekly stats) is not read; the ``Settings:`` block and the
``mAppIdleEnabled=... mCharging=...`` line are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.android.text import indent_of, normalize, strip_dump_header
from harness.errors import ParseError

COMMAND = "dumpsys usagestats"

# UsageStatsManager.STANDBY_BUCKET_*.
BUCKET_NAMES = {
    5: "exempted",
    10: "active",
    20: "working_set",
    30: "frequent",
    40: "rare",
    45: "restricted",
    50: "never",
}

_STANDBY_TITLE = re.compile(r"^(?:User (\d+) )?App Standby States:$")
_IDLE_TITLE = "Package idle stats:"


@dataclass
class StandbyEntry:
    """One ``package=...`` line of the standby block, tokens kept in ``fields`` as printed."""

    package: str
    user: int | None = None
    bucket: int | None = None  # None before API 28
    reason: str | None = None
    idle: bool | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class UsageStatsState:
    entries: list[StandbyEntry] = field(default_factory=list)
    app_idle_enabled: bool | None = None
    charging: bool | None = None
    flags: dict[str, str] = field(default_factory=dict)  # the "mAppIdleEnabled=..." line(s)
    settings: dict[str, str] = field(default_factory=dict)
    totals: dict[str, str] = field(default_factory=dict)  # totalElapsedTime, totalScreenOnTime

    @property
    def buckets_by_user(self) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = {}
        for e in self.entries:
            if e.bucket is not None:
                out.setdefault(e.user if e.user is not None else 0, {})[e.package] = e.bucket
        return out

    @property
    def buckets(self) -> dict[str, int]:
        """Package -> bucket for user 0 (or the first user printed when 0 is absent)."""
        by_user = self.buckets_by_user
        if not by_user:
            return {}
        return by_user.get(0, next(iter(by_user.values())))

    @property
    def idle(self) -> dict[str, bool]:
        """Package -> idle flag (user 0 first; every release prints it)."""
        out: dict[str, bool] = {}
        for e in sorted(self.entries, key=lambda e: e.user != 0):
            if e.idle is not None:
                out.setdefault(e.package, e.idle)
        return out

    def bucket_of(self, package: str, user: int = 0) -> int | None:
        return self.buckets_by_user.get(user, {}).get(package)

    def to_json(self) -> dict[str, Any]:
        return {
            "buckets": self.buckets,
            "buckets_by_user": {str(u): b for u, b in self.buckets_by_user.items()},
            "idle": self.idle,
            "entries": [
                {
                    "package": e.package,
                    "user": e.user,
                    "bucket": e.bucket,
                    "reason": e.reason,
                    "idle": e.idle,
                    "fields": dict(e.fields),
                }
                for e in self.entries
            ],
            "app_idle_enabled": self.app_idle_enabled,
            "charging": self.charging,
            "flags": dict(self.flags),
            "settings": dict(self.settings),
            "totals": dict(self.totals),
        }


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("true", "y"):
        return True
    if v in ("false", "n"):
        return False
    return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _tokens(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in text.split():
        key, sep, value = token.partition("=")
        if sep and key:
            out[key] = value
    return out


def _entry(text: str, block_user: int | None) -> StandbyEntry:
    tokens = _tokens(text)
    user = _int(tokens.get("u"))
    return StandbyEntry(
        package=tokens.get("package", ""),
        user=user if user is not None else block_user,
        bucket=_int(tokens.get("bucket")),
        reason=tokens.get("reason"),
        idle=_bool(tokens.get("idle")),
        fields=tokens,
    )


_MARKERS = ("App Standby States", _IDLE_TITLE, "mAppIdleEnabled=", "In-memory", "user=")


def parse(text: str | bytes) -> UsageStatsState:
    body = strip_dump_header(normalize(text))
    if not body.strip():
        raise ParseError(COMMAND, "empty output")
    if not any(marker in body for marker in _MARKERS):
        first = body.strip().split("\n", 1)[0]
        raise ParseError(COMMAND, "no usage stats or app standby state found", 1, first)

    state = UsageStatsState()
    block: str | None = None  # "standby", "idle" or "settings"
    block_indent = -1
    block_user: int | None = None
    user: int | None = None  # from the "user=N" line that opens each user's part (API < 31)
    for line in body.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        indent = indent_of(line)
        if block is not None and indent > block_indent:
            if block == "settings":
                key, sep, value = stripped.partition("=")
                if sep:
                    state.settings[key.strip()] = value.strip()
            elif stripped.startswith("package="):
                state.entries.append(_entry(stripped, block_user))
            elif stripped.startswith("total"):
                state.totals.update(_tokens(stripped))
            continue
        block = None
        m = _STANDBY_TITLE.match(stripped)
        if m:
            block, block_indent = "standby", indent
            block_user = int(m.group(1)) if m.group(1) else user
        elif stripped == _IDLE_TITLE:
            block, block_indent, block_user = "idle", indent, user
        elif stripped == "Settings:" and indent == 0:
            block, block_indent = "settings", indent
        elif stripped.startswith("user=") and indent == 0:
            user = _int(stripped[5:])
        elif stripped.startswith("mAppIdleEnabled="):
            state.flags.update(_tokens(stripped))

    state.app_idle_enabled = _bool(state.flags.get("mAppIdleEnabled"))
    # mCharging up to API 30, mIsCharging after.
    state.charging = _bool(state.flags.get("mIsCharging", state.flags.get("mCharging")))
    return state


# -- am get-standby-bucket ------------------------------------------------------------------------


def parse_get_standby_bucket(text: str | bytes) -> int | dict[str, int]:
    """The answer of ``am get-standby-bucket [PKG]``.

    With a package it is a bare integer (``40``); without one, lines ``<pkg>: <bucket>``, which
    come back as a dict. Anything else (``Error: ...``, an exception trace) raises ParseError.
    """
    command = "am get-standby-bucket"
    rows = [ln.strip() for ln in normalize(text).split("\n") if ln.strip()]
    if not rows:
        raise ParseError(command, "empty output")
    if len(rows) == 1:
        value = _int(rows[0])
        if value is not None:
            return value
    out: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        pkg, sep, value = row.rpartition(":")
        bucket = _int(value)
        if not sep or not pkg.strip() or bucket is None:
            raise ParseError(command, "expected '<package>: <bucket>'", number, row)
        out[pkg.strip()] = bucket
    return out
