"""Parser for ``dumpsys activity services [PKG]``: one record per ``ServiceRecord``.

Records appear under ``User N active services:``, and also under ``Last ANR service:``,
``Pending services:``, ``Restarting services:`` and ``Destroying services:``; each record says
which of those lists it came from in ``section``, because a service being destroyed is not a
running one.

The foreground line is ``isForeground=true foregroundId=<id> [types=<hex>]
foregroundNoti=Notification(...)``. ``types`` is absent up to Android 13 and printed as eight
hex digits, with or without ``0x``, on later releases.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.dumpsys_format import fields_dict, parse_bool, parse_int
from harness.android.text import indent_of, normalize, strip_dump_header
from harness.errors import ParseError

COMMAND = "dumpsys activity services"

_RECORD = re.compile(
    r"^(?:\*\s*)?(?:(?P<kind>Destroy|Pending|Restarting|Restart)\s+)?"
    r"ServiceRecord\{(?P<hash>[0-9a-f]+) u(?P<user>\d+) (?P<component>[^\s}]+)"
    r"(?P<rest>[^}]*)\}:?\s*$"
)
_PROCESS = re.compile(
    r"^ProcessRecord\{[0-9a-f]+ (?P<pid>\d+):(?P<process>[^/\s]+)/(?P<uid>\S+?)\}$"
)
_USER_SECTION = re.compile(r"^User (?P<user>-?\d+) active services:")
_SECTIONS = {
    "Last ANR service:": "last_anr",
    "Pending services:": "pending",
    "Restarting services:": "restarting",
    "Destroying services:": "destroying",
}
_KIND_SECTIONS = {"Destroy": "destroying", "Pending": "pending", "Restarting": "restarting"}
# First-level keys whose value runs to the end of the line.
_WHOLE_LINE_KEYS = ("intent=", "infoAllowStartForeground=", "baseDir=", "dataDir=")

# ServiceInfo.FOREGROUND_SERVICE_TYPE_* bits, for the decoded ``type_names``.
FOREGROUND_TYPES = {
    0x1: "dataSync",
    0x2: "mediaPlayback",
    0x4: "phoneCall",
    0x8: "location",
    0x10: "connectedDevice",
    0x20: "mediaProjection",
    0x40: "camera",
    0x80: "microphone",
    0x100: "health",
    0x200: "remoteMessaging",
    0x400: "systemExempted",
    0x800: "shortService",
    0x1000: "fileManagement",
    0x2000: "mediaProcessing",
    0x40000000: "specialUse",
}


@dataclass
class Service:
    package: str
    name: str  # component as printed, "pkg/.Cls"
    foreground: bool = False
    foreground_id: int | None = None
    types: int | None = None
    types_raw: str | None = None
    type_names: list[str] = field(default_factory=list)
    foreground_notification: str | None = None
    user: int | None = None
    hash: str | None = None
    section: str = "active"  # active, last_anr, pending, restarting, destroying
    process_name: str | None = None
    app: str | None = None  # "ProcessRecord{...}" or "null"
    pid: int | None = None
    app_uid: str | None = None
    created_from_fg: bool | None = None
    start_requested: bool | None = None
    delayed_stop: bool | None = None
    stop_if_killed: bool | None = None
    call_start: bool | None = None
    last_start_id: int | None = None
    allow_start_foreground: str | None = None
    start_foreground_count: int | None = None
    fg_required: bool | None = None
    fields: dict[str, str] = field(default_factory=dict)  # every first-level key=value

    @property
    def running(self) -> bool:
        return self.section == "active"


@dataclass
class ServicesDump:
    services: list[Service] = field(default_factory=list)

    def find(self, package: str | None = None, name: str | None = None) -> list[Service]:
        """Records of ``package`` and/or with component ``name`` ("pkg/.Cls" or "pkg/pkg.Cls")."""
        out = []
        for svc in self.services:
            if package is not None and svc.package != package:
                continue
            if name is not None and _full_component(svc.name) != _full_component(name):
                continue
            out.append(svc)
        return out

    def foreground(self) -> list[Service]:
        return [s for s in self.services if s.foreground and s.running]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _full_component(component: str) -> str:
    pkg, _, cls = component.partition("/")
    return f"{pkg}/{pkg}{cls}" if cls.startswith(".") else component


def parse(text: str | bytes) -> ServicesDump:
    lines = strip_dump_header(normalize(text)).split("\n")
    dump = ServicesDump()
    recognized = False
    section = "active"
    current: Service | None = None
    header_indent = 0
    field_indent: int | None = None

    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        indent = indent_of(line)
        if current is not None:
            # A record at column 0 (the "Last ANR service" dump) has its fields at column 4,
            # so the record also ends at the first line left of its first field.
            if indent > header_indent and (field_indent is None or indent >= field_indent):
                if field_indent is None:
                    field_indent = indent
                if indent == field_indent:
                    _read_field_line(current, stripped)
                continue
            current = None

        if stripped.startswith("ACTIVITY MANAGER SERVICES"):
            recognized = True
            continue
        match = _RECORD.match(stripped)
        if match:
            recognized = True
            current = Service(
                package=match["component"].split("/", 1)[0],
                name=match["component"],
                user=int(match["user"]),
                hash=match["hash"],
                section=_KIND_SECTIONS.get(match["kind"] or "", section),
            )
            dump.services.append(current)
            header_indent = indent
            field_indent = None
            continue
        user = _USER_SECTION.match(stripped)
        if user:
            section = "active"
        elif stripped in _SECTIONS:
            section = _SECTIONS[stripped]
        elif indent <= 2 and stripped.endswith(":"):
            section = "other"

    if not recognized:
        raise ParseError(COMMAND, "no 'ACTIVITY MANAGER SERVICES' header and no ServiceRecord")
    return dump


def _read_field_line(svc: Service, stripped: str) -> None:
    if stripped.startswith(("*", "#")) or "=" not in stripped:
        return  # sub-records: IntentBindRecord, Bindings:, Delivered Starts: "#0 id=1 ..."
    if stripped.startswith(_WHOLE_LINE_KEYS):
        key, _, value = stripped.partition("=")
        values = {key: value}
    else:
        values = fields_dict(stripped)
    for key, value in values.items():
        svc.fields.setdefault(key, value)
        _apply(svc, key, value)


def _apply(svc: Service, key: str, value: str) -> None:
    if key == "packageName":
        svc.package = value
    elif key == "processName":
        svc.process_name = value
    elif key == "app":
        svc.app = value
        match = _PROCESS.match(value)
        if match:
            svc.pid = int(match["pid"])
            svc.app_uid = match["uid"]
    elif key == "isForeground":
        svc.foreground = bool(parse_bool(value))
    elif key == "foregroundId":
        svc.foreground_id = parse_int(value)
    elif key == "types":
        svc.types_raw = value
        svc.types = _parse_types(value)
        svc.type_names = foreground_type_names(svc.types)
    elif key == "foregroundNoti":
        svc.foreground_notification = value
    elif key == "createdFromFg":
        svc.created_from_fg = parse_bool(value)
    elif key == "startRequested":
        svc.start_requested = parse_bool(value)
    elif key == "delayedStop":
        svc.delayed_stop = parse_bool(value)
    elif key == "stopIfKilled":
        svc.stop_if_killed = parse_bool(value)
    elif key == "callStart":
        svc.call_start = parse_bool(value)
    elif key == "lastStartId":
        svc.last_start_id = parse_int(value)
    elif key == "allowStartForeground":
        svc.allow_start_foreground = value
    elif key == "startForegroundCount":
        svc.start_foreground_count = parse_int(value)
    elif key == "fgRequired":
        svc.fg_required = parse_bool(value)


def _parse_types(value: str) -> int | None:
    """``00000008``, ``0x00000008`` or ``0x8``: always hex, whether or not it says so."""
    value = value.strip()
    if value.lower().startswith("0x"):
        value = value[2:]
    try:
        return int(value, 16)
    except ValueError:
        return None


def foreground_type_names(types: int | None) -> list[str]:
    if not types:
        return []
    names = [name for bit, name in FOREGROUND_TYPES.items() if types & bit]
    rest = types & ~sum(FOREGROUND_TYPES)
    if rest:
        names.append(hex(rest))
    return names
