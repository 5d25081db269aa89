"""Parser for ``dumpsys alarm`` in both of its layouts.

- **batches** (up to Android 11): ``Pending alarm batches: N`` followed by unindented
  ``Batch{hash num=N start=.. end=.. flgs=0x..}:`` lines, each holding alarms printed as
  ``RTC_WAKEUP #0: Alarm{hash type 0 when 1522714319856 com.pkg}`` plus detail lines
  (``tag=``, ``type=0 whenElapsed=.. when=2018-04-02 17:11:59``, ``window=.. repeatInterval=..
  count=.. flags=0x..``, ``operation=`` / ``listener=``).
- **pending** (Android 12+): ``N pending alarms:`` (older drafts: ``Pending alarms:``) with
  ``ELAPSED #1: Alarm{hash type 3 origWhen 5453582 whenElapsed 5453582 android}`` and detail
  lines that add ``exactAllowReason=``, ``policyWhenElapsed: requester=.. app_standby=..`` and
  ``whenElapsed=.. maxWhenElapsed=..``.

The trigger time is kept exactly as printed: ``when=`` (batches) or ``origWhen=`` (pending) from
the detail line, a date for RTC alarms and a relative duration for ELAPSED ones; the raw number
from the ``Alarm{...}`` header is kept as ``when_raw``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.dumpsys_format import duration_ms, fields_dict, parse_bool, parse_int
from harness.android.text import indent_of, normalize, strip_dump_header
from harness.errors import ParseError

COMMAND = "dumpsys alarm"

TYPE_NAMES = {0: "RTC_WAKEUP", 1: "RTC", 2: "ELAPSED_WAKEUP", 3: "ELAPSED"}

# AlarmManager.FLAG_* bits as dumped in "flags=0x..".
FLAG_NAMES = {
    0x1: "STANDALONE",
    0x2: "WAKE_FROM_IDLE",
    0x4: "ALLOW_WHILE_IDLE",
    0x8: "ALLOW_WHILE_IDLE_UNRESTRICTED",
    0x10: "IDLE_UNTIL",
    0x20: "ALLOW_WHILE_IDLE_COMPAT",
    0x40: "PRIORITIZE",
}

_ALARM = re.compile(
    r"^(?:(?P<label>[A-Z_]+) #(?P<index>\d+): )?Alarm\{(?P<hash>[0-9a-f]+) type (?P<type>-?\d+) "
    r"(?P<times>.*?)\s*(?P<pkg>\S+)\}\s*$"
)
_BATCH = re.compile(r"^Batch\{(?P<hash>[0-9a-f]+) (?P<fields>[^}]*)\}:?\s*$")
_PENDING_HEADER = re.compile(r"^(?:\d+ )?[Pp]ending alarms:\s*$")
_STATS_PACKAGE = re.compile(
    r"^(?P<uid>[^\s:]+):(?P<pkg>\S+) (?P<running>\S+) running, (?P<wakeups>\d+) wakeups"
    r"(?:, (?P<alarms>\d+) alarms)?:\s*$"
)
_ALARM_CLOCK = re.compile(
    r"^user:(?P<user>-?\d+) pendingSend:(?P<pending>\w+) time:(?P<time>-?\d+)"
    r"(?: = (?P<printed>.*))?$"
)
_DETAIL_START = re.compile(
    r"^(?:tag|type|window|whenElapsed|operation|listener|idle-options)=|^policyWhenElapsed:"
)
# Detail keys whose value runs to the end of the line, whatever it contains.
_WHOLE_LINE_KEYS = ("tag=", "operation=", "listener=", "idle-options=", "showIntent=")


@dataclass
class Alarm:
    type: str  # label as printed: RTC_WAKEUP, RTC, ELAPSED_WAKEUP, ELAPSED, ...
    type_code: int | None
    package: str
    trigger: str | None  # when= / origWhen= exactly as printed
    when_raw: str | None = None  # the number in the Alarm{...} header
    index: int | None = None
    hash: str | None = None
    when_elapsed: str | None = None
    max_when_elapsed: str | None = None
    window: str | None = None
    window_ms: int | None = None
    repeat_interval: int | None = None
    count: int | None = None
    flags: int | None = None
    flag_names: list[str] = field(default_factory=list)
    tag: str | None = None
    exact_allow_reason: str | None = None
    policy_when_elapsed: dict[str, str] = field(default_factory=dict)
    operation: str | None = None
    listener: str | None = None
    section: str = "pending"  # pending, past_due, pending_while_idle, user_blocked, ...
    batch: int | None = None  # index into AlarmDump.batches (batches layout)
    fields: dict[str, str] = field(default_factory=dict)  # every other key=value printed
    unparsed: list[str] = field(default_factory=list)

    @property
    def wakeup(self) -> bool:
        return self.type.endswith("WAKEUP")


@dataclass
class Batch:
    hash: str
    num: int | None
    start: int | None
    end: int | None
    flags: int | None


@dataclass
class AlarmClock:
    user: int
    pending_send: bool | None
    time: int
    printed: str | None


@dataclass
class AlarmStat:
    uid: str
    package: str
    running: str
    wakeups: int
    alarms: int | None = None


@dataclass
class AlarmDump:
    layout: str | None  # "batches" (pre-S) or "pending" (S+); None when no list was printed
    alarms: list[Alarm] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)
    force_all_apps_standby: bool | None = None
    app_standby_parole: bool | None = None
    idle_mode: bool = False
    idling_until: str | None = None  # the IDLE_UNTIL Alarm{...} as printed, or "null"
    idling_until_alarm: Alarm | None = None
    next_wake_from_idle: str | None = None
    next_wake_from_idle_alarm: Alarm | None = None
    next_wakeup: str | None = None
    next_non_wakeup: str | None = None
    alarm_clocks: list[AlarmClock] = field(default_factory=list)
    now_rtc: int | None = None
    now_elapsed: int | None = None
    pending_alarms_per_uid: dict[str, int] = field(default_factory=dict)
    alarm_stats: list[AlarmStat] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)

    def for_package(self, package: str) -> list[Alarm]:
        return [a for a in self.alarms if a.package == package]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse(text: str | bytes) -> AlarmDump:
    lines = strip_dump_header(normalize(text)).split("\n")
    dump = AlarmDump(layout=None)
    recognized = False
    section = ""  # which list the next Alarm{...} lines belong to
    current: Alarm | None = None
    alarm_indent = 0
    in_settings = False
    in_stats = False

    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        indent = indent_of(line)

        # Detail lines are indented under their alarm, except after "Idling until:", where
        # some releases print them at the same or a smaller indent.
        if current is not None and (indent > alarm_indent or _DETAIL_START.match(stripped)):
            _read_detail(current, stripped)
            continue
        current = None

        if stripped == "Current Alarm Manager state:":
            recognized = True
            continue
        if in_settings and indent >= 4 and "=" in stripped:
            key, _, value = stripped.partition("=")
            dump.settings[key.strip()] = value.strip()
            continue
        in_settings = stripped == "Settings:"

        # "Idling until: Alarm{...}" and "Next wake from idle: Alarm{...}" are followed by
        # that alarm's detail lines; they repeat an alarm of the pending list.
        for prefix, attr in (
            ("Idling until:", "idling_until_alarm"),
            ("Next wake from idle:", "next_wake_from_idle_alarm"),
        ):
            if stripped.startswith(prefix):
                _read_state_line(dump, stripped)
                current = getattr(dump, attr)
                alarm_indent = indent
                if attr == "idling_until_alarm":
                    section = "idle"
                break
        if current is not None:
            continue

        alarm = _alarm_header(stripped)
        if alarm is not None:
            recognized = True
            alarm_indent = indent
            current = alarm
            _place(dump, alarm, section)
            continue

        batch = _BATCH.match(stripped)
        if batch:
            recognized = True
            dump.layout = "batches"
            values = fields_dict(batch["fields"])
            dump.batches.append(
                Batch(
                    hash=batch["hash"],
                    num=parse_int(values.get("num")),
                    start=parse_int(values.get("start")),
                    end=parse_int(values.get("end")),
                    flags=parse_int(values.get("flgs")),
                )
            )
            section = "pending"
            continue

        if in_stats:
            match = _STATS_PACKAGE.match(stripped)
            if match and indent <= 2:
                dump.alarm_stats.append(
                    AlarmStat(
                        uid=match["uid"],
                        package=match["pkg"],
                        running=match["running"],
                        wakeups=int(match["wakeups"]),
                        alarms=int(match["alarms"]) if match["alarms"] else None,
                    )
                )
                continue
            if indent > 2:
                continue
            in_stats = False

        new_section = _section_of(stripped, indent, section)
        if new_section is not None:
            section = new_section
            if section == "pending" and dump.layout is None and _PENDING_HEADER.match(stripped):
                dump.layout = "pending"
            if stripped.startswith("Pending alarm batches"):
                dump.layout = "batches"
            # Only alarm-list titles prove the kind; any "Something:" line resets the section.
            recognized = recognized or bool(section)
        if stripped == "Alarm Stats:":
            in_stats = True
            continue
        _read_state_line(dump, stripped)

    if not recognized:
        raise ParseError(COMMAND, "no 'Current Alarm Manager state:' and no Alarm{...} lines")
    return dump


def _section_of(stripped: str, indent: int, section: str) -> str | None:
    """The alarm list a header line opens, or None when the line is no list header."""
    if stripped.startswith("Pending alarm batches"):
        return "pending"
    if _PENDING_HEADER.match(stripped):
        # Under "Idle mode state:" (pre-S) the same words list the alarms deferred by idle.
        return "pending_while_idle" if section == "idle" and indent >= 4 else "pending"
    if stripped.startswith("Pending user blocked background alarms"):
        return "user_blocked"
    if stripped.startswith("Past-due non-wakeup alarms"):
        return "past_due"
    if stripped.startswith("Idle mode state"):
        return "idle"
    if (indent <= 2 and stripped.endswith(":")) or stripped.startswith(
        ("Broadcast ref count", "Top Alarms", "Alarm Stats", "Pending alarms per uid")
    ):
        return ""
    return None


def _place(dump: AlarmDump, alarm: Alarm, section: str) -> None:
    alarm.section = section or "pending"
    if dump.layout == "batches" and dump.batches and alarm.section == "pending":
        alarm.batch = len(dump.batches) - 1
    dump.alarms.append(alarm)


def _alarm_header(stripped: str) -> Alarm | None:
    match = _ALARM.match(stripped)
    if not match:
        return None
    code = int(match["type"])
    times = match["times"].split()
    # "when 123" (batches) or "origWhen 123 whenElapsed 456" (pending).
    header_times = dict(zip(times[::2], times[1::2], strict=False))
    when_raw = header_times.get("when", header_times.get("origWhen"))
    return Alarm(
        type=match["label"] or TYPE_NAMES.get(code, str(code)),
        type_code=code,
        package=match["pkg"],
        trigger=when_raw,
        when_raw=when_raw,
        index=int(match["index"]) if match["index"] else None,
        hash=match["hash"],
        when_elapsed=header_times.get("whenElapsed"),
    )


def _read_detail(alarm: Alarm, stripped: str) -> None:
    if stripped.startswith(_WHOLE_LINE_KEYS):
        key, _, value = stripped.partition("=")
        if key == "tag":
            alarm.tag = value
        elif key == "operation":
            alarm.operation = value
        elif key == "listener":
            alarm.listener = value
        else:
            alarm.fields[key] = value
        return
    if stripped.startswith("policyWhenElapsed:"):
        alarm.policy_when_elapsed = fields_dict(stripped.partition(":")[2].strip())
        return
    if stripped == "Alarm clock:":
        alarm.fields["alarm_clock"] = "true"
        return
    pairs = fields_dict(stripped)
    if not pairs:
        alarm.unparsed.append(stripped)
        return
    for key, value in pairs.items():
        _set_detail(alarm, key, value)


def _set_detail(alarm: Alarm, key: str, value: str) -> None:
    if key == "when" or key == "origWhen":
        alarm.trigger = value
    elif key == "whenElapsed":
        alarm.when_elapsed = value
    elif key == "maxWhenElapsed":
        alarm.max_when_elapsed = value
    elif key == "window":
        alarm.window = value
        alarm.window_ms = duration_ms(value)
    elif key == "repeatInterval":
        alarm.repeat_interval = parse_int(value)
    elif key == "count":
        alarm.count = parse_int(value)
    elif key == "flags":
        alarm.flags = parse_int(value)
        alarm.flag_names = flag_names(alarm.flags)
    elif key == "exactAllowReason":
        alarm.exact_allow_reason = value
    else:
        alarm.fields[key] = value


def flag_names(flags: int | None) -> list[str]:
    """Names of the AlarmManager flag bits set in ``flags``; unknown bits as hex."""
    if not flags:
        return []
    names = [name for bit, name in FLAG_NAMES.items() if flags & bit]
    rest = flags & ~sum(FLAG_NAMES)
    if rest:
        names.append(hex(rest))
    return names


def _read_state_line(dump: AlarmDump, stripped: str) -> None:
    key, sep, value = stripped.partition(":")
    value = value.strip()
    if stripped.startswith("nowRTC="):
        values = fields_dict(stripped)
        dump.now_rtc = parse_int(values.get("nowRTC", "").split("=")[0])
        dump.now_elapsed = parse_int(values.get("nowELAPSED"))
    elif not sep:
        return
    elif key == "Force all apps standby" and dump.force_all_apps_standby is None:
        dump.force_all_apps_standby = parse_bool(value)
    elif key == "App Standby Parole":
        dump.app_standby_parole = parse_bool(value)
    elif key in ("Next wakeup alarm", "Next wakeup"):
        dump.next_wakeup = value
    elif key in ("Next non-wakeup alarm", "Next non-wakeup"):
        dump.next_non_wakeup = value
    elif key == "Idling until":
        dump.idle_mode = value != "null"
        dump.idling_until = value
        dump.idling_until_alarm = _alarm_header(value)
    elif key == "Next wake from idle":
        dump.next_wake_from_idle = value
        dump.next_wake_from_idle_alarm = _alarm_header(value)
    elif key == "Pending alarms per uid":
        for uid, count in re.findall(r"([^\s,\[\]:]+):(\d+)", value):
            dump.pending_alarms_per_uid[uid] = int(count)
    elif key == "user" and "pendingSend:" in stripped:
        match = _ALARM_CLOCK.match(stripped)
        if match:
            dump.alarm_clocks.append(
                AlarmClock(
                    user=int(match["user"]),
                    pending_send=parse_bool(match["pending"]),
                    time=int(match["time"]),
                    printed=match["printed"],
                )
            )
