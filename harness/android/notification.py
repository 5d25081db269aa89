"""Parser for ``dumpsys notification`` (also ``--noredact`` and the bugreport ``-critical`` part).

Posted notifications are the ``NotificationRecord(0x<hash>: pkg=.. user=UserHandle{N} id=..
tag=.. importance=.. key=..: Notification(channel=.. flags=0x..))`` entries under
``Notification List:``, each followed by indented ``key=value`` lines. A full bugreport moves the
list into the CRITICAL priority section, so the ordinary section may hold no list at all.

Android 9 prints the key glued to the next field (``key=0|pkg|1|null|10035appImportanceLocked=
false:``); the glued part is cut off. The archive (``mArchive=Archive (N notifications)``) lists
past ``StatusBarNotification(...)`` entries; they are returned apart in ``archived``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.dumpsys_format import fields_dict, parse_int
from harness.android.text import indent_of, normalize, strip_dump_header
from harness.errors import ParseError

COMMAND = "dumpsys notification"

# Notification.FLAG_* bits.
FLAG_NAMES = {
    0x1: "SHOW_LIGHTS",
    0x2: "ONGOING_EVENT",
    0x4: "INSISTENT",
    0x8: "ONLY_ALERT_ONCE",
    0x10: "AUTO_CANCEL",
    0x20: "NO_CLEAR",
    0x40: "FOREGROUND_SERVICE",
    0x80: "HIGH_PRIORITY",
    0x100: "LOCAL_ONLY",
    0x200: "GROUP_SUMMARY",
    0x400: "AUTOGROUP_SUMMARY",
    0x800: "CAN_COLORIZE",
    0x1000: "BUBBLE",
    0x2000: "NO_DISMISS",
    0x4000: "FSI_REQUESTED_BUT_DENIED",
    0x8000: "USER_INITIATED_JOB",
    0x10000: "LIFETIME_EXTENDED_BY_DIRECT_REPLY",
    0x20000: "SILENT",
}

_RECORD = re.compile(
    r"^(?P<kind>NotificationRecord|StatusBarNotification)\((?:(?P<hash>0x[0-9a-fA-F]+): )?"
    r"(?P<head>pkg=.*?): Notification\((?P<notification>.*)\)\)\s*$"
)
_HEAD_KEYS = re.compile(r" (?=(?:user|id|tag|importance|score|key|opPkg)=)")
_GLUED = re.compile(r"(appImportanceLocked=(?:true|false))$")
_USER_HANDLE = re.compile(r"UserHandle\{(-?\d+)\}")
_CHANNEL_ID = re.compile(r"mId='([^']*)'")
# Body keys whose value runs to the end of the line (free text or "key= value" dumps).
_WHOLE_LINE_KEYS = ("tickerText", "key", "groupKey", "effectiveNotificationChannel", "stats")


@dataclass
class Notification:
    package: str
    id: int | None
    tag: str | None
    flags: int = 0
    flag_names: list[str] = field(default_factory=list)
    channel: str | None = None
    importance: int | None = None
    importance_name: str | None = None  # mImportance=LOW
    user: int | None = None
    uid: int | None = None
    key: str | None = None
    hash: str | None = None
    category: str | None = None
    group_key: str | None = None
    section: str = "posted"  # posted, archived, snoozed, enqueued
    notification: dict[str, str] = field(default_factory=dict)  # fields of Notification(...)
    fields: dict[str, str] = field(default_factory=dict)  # first-level body key=value lines
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def foreground_service(self) -> bool:
        return bool(self.flags & 0x40)

    @property
    def ongoing(self) -> bool:
        return bool(self.flags & 0x2)


@dataclass
class NotificationDump:
    notifications: list[Notification] = field(default_factory=list)
    archived: list[Notification] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)  # "  mKey=value" manager state lines

    def for_package(self, package: str) -> list[Notification]:
        return [n for n in self.notifications if n.package == package]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def flag_names(flags: int | None) -> list[str]:
    """Names of the Notification.FLAG_* bits set in ``flags``; unknown bits as hex."""
    if not flags:
        return []
    names = [name for bit, name in FLAG_NAMES.items() if flags & bit]
    rest = flags & ~sum(FLAG_NAMES)
    if rest:
        names.append(hex(rest))
    return names


def parse(text: str | bytes) -> NotificationDump:
    lines = strip_dump_header(normalize(text)).split("\n")
    dump = NotificationDump()
    recognized = False
    section = "posted"
    current: Notification | None = None
    header_indent = 0
    field_indent: int | None = None
    in_extras = False

    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        indent = indent_of(line)
        if current is not None and indent > header_indent:
            if field_indent is None:
                field_indent = indent
            if stripped == "extras={":
                in_extras = True
            elif in_extras and stripped == "}":
                in_extras = False
            elif in_extras:
                key, sep, value = stripped.partition("=")
                if sep:
                    current.extras.setdefault(key, value)
            elif indent == field_indent:
                _read_body_line(current, stripped)
            continue
        current = None
        in_extras = False

        match = _RECORD.match(stripped)
        if match:
            recognized = True
            record = _record(match)
            record.section = section
            (dump.archived if record.section == "archived" else dump.notifications).append(record)
            current = record
            header_indent = indent
            field_indent = None
            continue

        if stripped.startswith(("Current Notification Manager state", "Notification List:")):
            recognized = True
        if stripped == "Notification List:":
            section = "posted"
        elif stripped.startswith("mArchive=Archive"):
            section = "archived"
        elif stripped.startswith("Snoozed notifications"):
            section = "snoozed"
        elif stripped.startswith("Enqueued Notification List"):
            section = "enqueued"
        elif indent <= 2 and section != "posted":
            section = "other"
        if indent == 2 and re.match(r"^m[A-Z]\w*=", stripped):
            key, _, value = stripped.partition("=")
            dump.state[key] = value

    if not recognized:
        raise ParseError(COMMAND, "no notification manager state and no NotificationRecord")
    return dump


def _record(match: re.Match[str]) -> Notification:
    head: dict[str, str] = {}
    for chunk in _HEAD_KEYS.split(match["head"]):
        key, _, value = chunk.partition("=")
        head.setdefault(key.strip(), value.strip())
    key = _GLUED.sub("", head.get("key", "")) or None
    user = _USER_HANDLE.search(head.get("user", ""))
    tag = head.get("tag")
    notification = fields_dict(match["notification"])
    flags = parse_int(notification.get("flags")) or 0
    return Notification(
        package=head.get("pkg", ""),
        id=parse_int(head.get("id")),
        tag=None if tag in (None, "null") else tag,
        flags=flags,
        flag_names=flag_names(flags),
        channel=notification.get("channel"),
        importance=parse_int(head.get("importance")),
        user=int(user.group(1)) if user else None,
        key=key,
        hash=match["hash"],
        category=notification.get("category"),
        group_key=notification.get("groupKey"),
        notification=notification,
    )


def _read_body_line(record: Notification, stripped: str) -> None:
    key = stripped.partition("=")[0]
    if not key or "=" not in stripped:
        return  # "notification=" / "publicNotification=" sub-blocks, "None"
    if key in _WHOLE_LINE_KEYS or re.match(r"^m[A-Z]", key):
        values = {key: stripped.partition("=")[2].strip()}
    else:
        values = fields_dict(stripped)
    for k, v in values.items():
        record.fields.setdefault(k, v)
    if "flags" in values and parse_int(values["flags"]) is not None:
        # The record's own flags line is authoritative; the header copy can be stale.
        record.flags = parse_int(values["flags"]) or 0
        record.flag_names = flag_names(record.flags)
    if "uid" in values:
        record.uid = parse_int(values["uid"])
    if "mImportance" in values:
        record.importance_name = values["mImportance"]
    if "effectiveNotificationChannel" in values and record.channel is None:
        channel = _CHANNEL_ID.search(values["effectiveNotificationChannel"])
        if channel:
            record.channel = channel.group(1)
