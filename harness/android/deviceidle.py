"""Parsers for ``dumpsys deviceidle`` (Doze) and its shell commands.

Three kinds of output are read here:

- :func:`parse`: the full ``dumpsys deviceidle`` dump;
- :func:`parse_get`: the one-word answer of ``dumpsys deviceidle get deep|light|force|...``;
- :func:`parse_whitelist_command`: the ``cmd deviceidle whitelist`` listing.

Layout of the dump (DeviceIdleController.dump): an indented ``Settings:`` block with the
constants, an optional ``Idling history:``, the whitelist blocks (each only when non-empty), then
two-space indented ``mName=value`` lines, some of them several on one line
(``mLightEnabled=true  mDeepEnabled=true``, ``mState=IDLE mLightState=OVERRIDE``). API 23 prints
``mEnabled=`` instead of the light/deep pair and has no light state at all; API 24 and later
print ``mState=`` and ``mLightState=`` together. Vendor builds add lines of their own, which are
kept in ``extras`` (``mName=value`` lines), ``raw_sections`` (unknown blocks) or ``notes``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.text import indent_of, normalize, strip_dump_header
from harness.errors import ParseError

COMMAND = "dumpsys deviceidle"

DEEP_STATES = (
    "ACTIVE",
    "INACTIVE",
    "IDLE_PENDING",
    "SENSING",
    "LOCATING",
    "IDLE",
    "IDLE_MAINTENANCE",
    "QUICK_DOZE_DELAY",
)
LIGHT_STATES = (
    "ACTIVE",
    "INACTIVE",
    "PRE_IDLE",
    "IDLE",
    "WAITING_FOR_NETWORK",
    "IDLE_MAINTENANCE",
    "OVERRIDE",
)

# Block titles as DeviceIdleController prints them, mapped to the field that holds their items.
_PACKAGE_LISTS = {
    "Whitelist (except idle) system apps": "whitelist_except_idle",
    "Whitelist system apps": "whitelist_system",
    "Removed from whitelist system apps": "whitelist_removed_system",
    "Whitelist user apps": "whitelist_user",
}
_APP_ID_LISTS = {
    "Whitelist (except idle) all app ids": "app_ids_except_idle",
    "Whitelist user app ids": "app_ids_user",
    "Whitelist all app ids": "app_ids_all",
    "Temp whitelist app ids": "temp_whitelist_app_ids",
}

# Field names of the controller are "m" + CamelCase; matching only those as keys keeps the
# lowercase "name=" / "vendor=" pairs inside values such as mMotionSensor={Sensor name=...}
# from being split into keys of their own.
_KEY = re.compile(r"(?:^|\s+)(m[A-Z]\w*(?:\.\w+)*)=")
_TEMP_ENTRY = re.compile(r"^UID=(\d+):\s*(\S+)(?:\s+-\s+(.*))?$")
_HISTORY_ENTRY = re.compile(r"^([\w?-]+):\s*(\S+)(?:\s+\((.*)\))?$")


@dataclass
class TempWhitelistEntry:
    """One ``UID=<appId>: <time left> - <reason>`` line of the temp whitelist schedule."""

    app_id: int
    expires_in: str
    reason: str = ""


@dataclass
class IdleEvent:
    """One line of ``Idling history:``: ``normal``, ``light-idle``, ``deep-maint``, ..."""

    event: str
    time: str
    reason: str = ""


@dataclass
class DeviceIdleState:
    deep_state: str | None = None
    light_state: str | None = None
    force_idle: bool | None = None
    light_enabled: bool | None = None
    deep_enabled: bool | None = None
    screen_on: bool | None = None
    screen_locked: bool | None = None
    charging: bool | None = None
    network_connected: bool | None = None
    inactive_timeout: str | None = None
    whitelist_except_idle: list[str] = field(default_factory=list)
    whitelist_system: list[str] = field(default_factory=list)
    whitelist_removed_system: list[str] = field(default_factory=list)
    whitelist_user: list[str] = field(default_factory=list)
    app_ids_except_idle: list[int] = field(default_factory=list)
    app_ids_user: list[int] = field(default_factory=list)
    app_ids_all: list[int] = field(default_factory=list)
    temp_whitelist: list[TempWhitelistEntry] = field(default_factory=list)
    temp_whitelist_app_ids: list[int] = field(default_factory=list)
    idling_history: list[IdleEvent] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)
    raw_sections: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def whitelist(self) -> list[str]:
        """Packages exempt from Doze: system and user lists merged, first occurrence kept."""
        return list(dict.fromkeys([*self.whitelist_system, *self.whitelist_user]))

    @property
    def deep_idle(self) -> bool:
        return self.deep_state == "IDLE"

    @property
    def light_idle(self) -> bool:
        # OVERRIDE means deep idle took over; the light restrictions still apply.
        return self.light_state in ("IDLE", "OVERRIDE")

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["whitelist"] = self.whitelist
        return out


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v == "true":
        return True
    if v == "false":
        return False
    return None


def _int_or_none(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _split_keys(text: str) -> dict[str, str]:
    """``mA=1  mB=x y`` -> {"mA": "1", "mB": "x y"}; each value runs up to the next key."""
    matches = list(_KEY.finditer(text))
    out: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out[m.group(1)] = text[m.end() : end].strip()
    return out


_BOOL_FIELDS = {
    "mForceIdle": "force_idle",
    "mLightEnabled": "light_enabled",
    "mDeepEnabled": "deep_enabled",
    "mScreenOn": "screen_on",
    "mScreenLocked": "screen_locked",
    "mCharging": "charging",
    "mNetworkConnected": "network_connected",
}


def _apply_keys(state: DeviceIdleState, pairs: dict[str, str]) -> None:
    for key, value in pairs.items():
        if key in _BOOL_FIELDS:
            setattr(state, _BOOL_FIELDS[key], _bool(value))
        elif key == "mEnabled":
            # API 23 had a single switch and no light idle: it is the deep switch.
            state.deep_enabled = _bool(value)
        elif key == "mState":
            state.deep_state = value or None
        elif key == "mLightState":
            state.light_state = value or None
        elif key == "mInactiveTimeout":
            state.inactive_timeout = value or None
        else:
            state.extras[key] = value


def _add_item(state: DeviceIdleState, title: str, item: str) -> None:
    if title == "Settings":
        key, sep, value = item.partition("=")
        if sep:
            state.settings[key.strip()] = value.strip()
        else:
            state.notes.append(item)
    elif title in _PACKAGE_LISTS:
        getattr(state, _PACKAGE_LISTS[title]).append(item)
    elif title in _APP_ID_LISTS:
        app_id = _int_or_none(item)
        if app_id is None:
            state.notes.append(item)
        else:
            getattr(state, _APP_ID_LISTS[title]).append(app_id)
    elif title == "Temp whitelist schedule":
        m = _TEMP_ENTRY.match(item)
        if m:
            state.temp_whitelist.append(
                TempWhitelistEntry(int(m.group(1)), m.group(2), (m.group(3) or "").strip())
            )
        else:
            state.notes.append(item)
    elif title == "Idling history":
        m = _HISTORY_ENTRY.match(item)
        if m:
            state.idling_history.append(IdleEvent(m.group(1), m.group(2), m.group(3) or ""))
        else:
            state.notes.append(item)
    else:
        prev = state.raw_sections.get(title)
        state.raw_sections[title] = item if prev is None else f"{prev}\n{item}"


_MARKERS = ("mState=", "mForceIdle=", "Whitelist", "Settings:", "mLightEnabled=", "mEnabled=")


def parse(text: str | bytes) -> DeviceIdleState:
    """Parse the full ``dumpsys deviceidle`` dump."""
    body = strip_dump_header(normalize(text))
    if not body.strip():
        raise ParseError(COMMAND, "empty output")
    if not any(marker in body for marker in _MARKERS):
        first = body.strip().split("\n", 1)[0]
        raise ParseError(COMMAND, "no deviceidle state, whitelist or settings found", 1, first)

    state = DeviceIdleState()
    title: str | None = None  # the block whose items are being read
    title_indent = -1
    for line in body.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        indent = indent_of(line)
        if title is not None and indent > title_indent:
            _add_item(state, title, stripped)
            continue
        title = None
        if stripped == "}":
            continue  # end of an "mConstraints={" block
        if stripped.endswith(":") and "=" not in stripped:
            title, title_indent = stripped[:-1], indent
            continue
        pairs = _split_keys(stripped)
        if pairs:
            _apply_keys(state, pairs)
            last_key, last_value = next(reversed(pairs.items()))
            if last_value.endswith("{"):
                # "mConstraints={" opens a block of quoted constraint names.
                title, title_indent = last_key, indent
        else:
            state.notes.append(stripped)
    return state


# -- dumpsys deviceidle get ... -----------------------------------------------------------------


def parse_get(text: str | bytes) -> str:
    """The answer of ``dumpsys deviceidle get deep|light|force|screen|charging|network|...``.

    Returns the single word as printed (``IDLE``, ``OVERRIDE``, ``true``...). Error messages
    (``Unknown get option: x``, ``Argument required``) and anything longer than one word raise
    :class:`ParseError`.
    """
    command = "dumpsys deviceidle get"
    words = [ln.strip() for ln in normalize(text).split("\n") if ln.strip()]
    if not words:
        raise ParseError(command, "empty output")
    if len(words) != 1 or " " in words[0]:
        raise ParseError(command, "expected a single word", 1, words[0])
    return words[0]


# -- cmd deviceidle whitelist ---------------------------------------------------------------------


@dataclass
class WhitelistEntry:
    """One ``<kind>,<package>,<appId>`` line; kind is system-excidle, system or user."""

    kind: str
    package: str
    app_id: int | None


@dataclass
class WhitelistListing:
    entries: list[WhitelistEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _packages(self, kind: str) -> list[str]:
        return list(dict.fromkeys(e.package for e in self.entries if e.kind == kind))

    @property
    def except_idle(self) -> list[str]:
        return self._packages("system-excidle")

    @property
    def system(self) -> list[str]:
        return self._packages("system")

    @property
    def user(self) -> list[str]:
        return self._packages("user")

    @property
    def whitelist(self) -> list[str]:
        """System and user lists merged, as in :attr:`DeviceIdleState.whitelist`."""
        return list(dict.fromkeys([*self.system, *self.user]))

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": [asdict(e) for e in self.entries],
            "whitelist": self.whitelist,
            "whitelist_user": self.user,
            "whitelist_system": self.system,
            "whitelist_except_idle": self.except_idle,
            "notes": list(self.notes),
        }


def parse_whitelist_command(text: str | bytes) -> WhitelistListing:
    """Parse the listing printed by ``cmd deviceidle whitelist`` (no argument).

    An empty listing is valid (nothing whitelisted). Lines that are not ``kind,pkg,appId`` are
    kept in ``notes``; if there are only such lines, the text is not a listing and
    :class:`ParseError` is raised.
    """
    command = "cmd deviceidle whitelist"
    listing = WhitelistListing()
    for line in normalize(text).split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        parts = stripped.split(",")
        if len(parts) == 3 and parts[0] in ("system-excidle", "system", "user") and parts[1]:
            listing.entries.append(WhitelistEntry(parts[0], parts[1], _int_or_none(parts[2])))
        else:
            listing.notes.append(stripped)
    if listing.notes and not listing.entries:
        raise ParseError(command, "no whitelist entries", 1, listing.notes[0])
    return listing
