"""Battery history of the virtual device: the records BatteryStatsHistory keeps, its string
pool, and the two ways ``dumpsys batterystats`` prints them.

A record is a full snapshot of the tracked state (battery fields, state bits, Doze mode) plus at
most one event and one wakelock tag, as ``BatteryStats.HistoryItem`` is. The printers are
``BatteryStats.HistoryPrinter.printNextItem``: every record prints only what changed since the
previous one, the printer starts over after ``START`` and ``RESET`` (``reset()``), the checkin
form gives the time as a delta from the previous record and string-pool indexes for tags, the
text form the time since the first record (``TimeUtils.formatDuration``) and
``<formatted uid>:"<tag>"``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# HistoryItem.CMD_*
UPDATE = "update"
START = "start"
CURRENT_TIME = "time"
OVERFLOW = "overflow"
RESET = "reset"
SHUTDOWN = "shutdown"

# The on/off bits this model tracks, in the order printBitDescriptions walks
# HISTORY_STATE_DESCRIPTIONS and then HISTORY_STATE2_DESCRIPTIONS: (checkin code, long name).
STATE_BITS = (("r", "running"), ("w", "wake_lock"), ("S", "screen"), ("BP", "plugged"))
STATE2_BITS_BEFORE_IDLE = (("ps", "power_save"),)
STATE2_BITS_AFTER_IDLE = (("ch", "charging"),)
# STATE2_DEVICE_IDLE_MASK values (DEVICE_IDLE_MODE_OFF / LIGHT / DEEP).
IDLE_OFF, IDLE_LIGHT, IDLE_DEEP = 0, 1, 2
IDLE_NAMES = ("off", "light", "full", "???")

# HISTORY_EVENT_CHECKIN_NAMES -> HISTORY_EVENT_NAMES for the events this model writes.
EVENT_NAMES = {
    "Epr": "proc",
    "Etp": "top",
    "Ewl": "wake_lock_in",
    "Ejb": "job",
    "Eac": "active",
    "Eal": "alarm",
}

# BatteryManager status / health / plug values as HistoryPrinter prints them (checkin, text).
_STATUS = {1: ("?", "unknown"), 2: ("c", "charging"), 3: ("d", "discharging"),
           4: ("n", "not-charging"), 5: ("f", "full")}
_HEALTH = {1: ("?", "unknown"), 2: ("g", "good"), 3: ("h", "overheat"), 4: ("d", "dead"),
           5: ("v", "over-voltage"), 6: ("f", "failure"), 7: ("c", "cold")}
_PLUG = {0: ("n", "none"), 1: ("a", "ac"), 2: ("u", "usb"), 4: ("w", "wireless")}

FIRST_APPLICATION_UID = 10_000
PER_USER_RANGE = 100_000
# BatteryStatsHistory's buffer on Android 12+ (MAX_HISTORY_BUFFER, 4096 KB in the captures).
HISTORY_BUFFER_BYTES = 4096 * 1024


@dataclass(frozen=True)
class Tag:
    """HistoryTag: a string, the uid it belongs to, and its index in the string pool."""

    string: str
    uid: int
    index: int


@dataclass(frozen=True)
class Event:
    sign: str  # "+" start, "-" finish, "" neither (re-stated after a reset)
    code: str  # checkin code: Ejb, Etp ...
    tag: Tag


@dataclass
class Record:
    time_ms: int  # history clock: elapsed realtime, continued across boots
    cmd: str = UPDATE
    wall_ms: int = 0  # RESET and TIME records: System.currentTimeMillis()
    level: int = 0
    status: int = 1
    health: int = 1
    plug: int = 0
    temp: int = 0
    volt: int = 0
    charge_uah: int = 0
    rail_charge: bool = False  # Android 11+ prints modem/wifi rail charge (0 here: no rails)
    flags: frozenset[str] = frozenset()
    idle: int = IDLE_OFF
    wakelock: Tag | None = None
    event: Event | None = None

    @property
    def read_ints(self) -> int:
        """``(N)`` of the text form: how many ints the record took in the binary buffer."""
        if self.cmd != UPDATE:
            return 3 if self.cmd in (RESET, CURRENT_TIME) else 1
        return 2 + (self.wakelock is not None) + (self.event is not None)


@dataclass
class HistoryBuffer:
    """The history since the last reset, with its string pool."""

    records: list[Record] = field(default_factory=list)
    pool: dict[tuple[str, int], int] = field(default_factory=dict)
    # Added to elapsed realtime so that history time goes on across reboots
    # (BatteryStatsHistory keeps its clock monotonic over boots).
    clock_base_ms: int = 0

    def tag(self, string: str, uid: int) -> Tag:
        key = (string, uid)
        index = self.pool.get(key)
        if index is None:
            index = self.pool[key] = len(self.pool)
        return Tag(string, uid, index)

    def clear(self) -> None:
        self.records.clear()
        self.pool.clear()

    @property
    def last_time_ms(self) -> int:
        return self.records[-1].time_ms if self.records else self.clock_base_ms

    def used_bytes(self) -> int:
        return sum(4 * r.read_ints for r in self.records)

    def pool_bytes(self) -> int:
        return sum(len(s.encode()) + 8 for s, _ in self.pool)


# -- text helpers ----------------------------------------------------------------------------


def format_uid(uid: int) -> str:
    """UserHandle.formatUid: ``1000``, ``u0a150``, ``u10s1000``, ``u0i5``."""
    if uid < FIRST_APPLICATION_UID and uid < PER_USER_RANGE:
        return str(uid)
    user, app_id = divmod(uid, PER_USER_RANGE)
    if app_id >= 99_000:
        return f"u{user}i{app_id - 99_000}"
    if app_id >= FIRST_APPLICATION_UID:
        return f"u{user}a{app_id - FIRST_APPLICATION_UID}"
    return f"u{user}s{app_id}"


def _field(amount: int, suffix: str, always: bool, zeropad: int) -> str:
    # TimeUtils.printFieldLocked: a field is printed when non-zero or when a larger one was.
    if not (always or amount > 0):
        return ""
    digits = str(amount)
    if always and zeropad:
        digits = digits.rjust(zeropad, "0")
    return digits + suffix


def format_duration(ms: int, field_len: int = 19) -> str:
    """TimeUtils.formatDuration(duration, sb, fieldLen): ``+1h02m03s004ms`` right-justified."""
    if ms == 0:
        return "0".rjust(field_len)
    prefix = "+" if ms > 0 else "-"
    ms = abs(ms)
    millis = ms % 1000
    seconds = ms // 1000
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    text = _field(days, "d", False, 0)
    text += _field(hours, "h", bool(text), 2)
    text += _field(minutes, "m", bool(text), 2)
    text += _field(seconds, "s", bool(text), 2)
    text += _field(millis, "ms", True, 3 if text else 0)
    return (prefix + text).rjust(field_len)


def escape_pool_string(text: str) -> str:
    """dumpHistory (checkin): ``\\`` and ``"`` are escaped in string-pool entries."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def format_size(size: int) -> str:
    """BatteryStats.printSizeValue: bytes up to 10 KB, then KB, MB."""
    value, suffix = float(size), ""
    for unit in ("KB", "MB", "GB"):
        if value >= 10 * 1024:
            value, suffix = value / 1024, unit
    return f"{int(value)}{suffix}"


# -- HistoryPrinter -------------------------------------------------------------------------


class HistoryPrinter:
    """BatteryStats.HistoryPrinter: prints each record as the changes since the one before."""

    def __init__(self, checkin: bool, zone: ZoneInfo | None = None) -> None:
        self.checkin = checkin
        self.zone = zone
        self.last_time = -1
        self.reset()

    def reset(self) -> None:
        self.old_level = self.old_status = self.old_health = self.old_plug = -1
        self.old_temp = self.old_volt = self.old_charge = -1
        self.old_rail = False
        self.old_flags: frozenset[str] = frozenset()
        self.old_idle = IDLE_OFF

    def line(self, rec: Record, base_time: int) -> str:
        sep = "," if self.checkin else " "
        if self.checkin:
            delta = rec.time_ms - (base_time if self.last_time < 0 else self.last_time)
            self.last_time = rec.time_ms
            head = f"9,h,{delta}"
            cmd_sep = ":"
        else:
            head = f"  {format_duration(rec.time_ms - base_time)} ({rec.read_ints}) "
            cmd_sep = ""
        if rec.cmd == START:
            self.reset()
            return f"{head}{cmd_sep}START"
        if rec.cmd in (CURRENT_TIME, RESET):
            text = head + cmd_sep
            if rec.cmd == RESET:
                text += "RESET:"
                self.reset()
            return text + "TIME:" + self._clock(rec.wall_ms)
        if rec.cmd == SHUTDOWN:
            return f"{head}{cmd_sep}SHUTDOWN"
        if rec.cmd == OVERFLOW:
            return f"{head}{cmd_sep}*OVERFLOW*"
        items: list[str] = []
        if not self.checkin:
            head += f"{rec.level:03d}"
        elif self.old_level != rec.level:
            self.old_level = rec.level
            items.append(f"Bl={rec.level}")
        items += self._battery_fields(rec)
        items += self._bits(rec)
        if rec.event is not None:
            items.append(self._event(rec.event))
        if not items:
            return head
        return head + ("," if self.checkin else " ") + sep.join(items)

    def _clock(self, wall_ms: int) -> str:
        if self.checkin:
            return str(wall_ms)
        when = dt.datetime.fromtimestamp(wall_ms / 1000, self.zone or dt.UTC)
        return " " + when.strftime("%Y-%m-%d-%H-%M-%S")

    def _named(self, table: dict[int, tuple[str, str]], value: int) -> str:
        names = table.get(value)
        if names is None:
            return str(value)
        return names[0] if self.checkin else names[1]

    def _battery_fields(self, rec: Record) -> list[str]:
        c = self.checkin
        out = []
        if self.old_status != rec.status:
            self.old_status = rec.status
            out.append(("Bs=" if c else "status=") + self._named(_STATUS, rec.status))
        if self.old_health != rec.health:
            self.old_health = rec.health
            out.append(("Bh=" if c else "health=") + self._named(_HEALTH, rec.health))
        if self.old_plug != rec.plug:
            self.old_plug = rec.plug
            out.append(("Bp=" if c else "plug=") + self._named(_PLUG, rec.plug))
        if self.old_temp != rec.temp:
            self.old_temp = rec.temp
            out.append(("Bt=" if c else "temp=") + str(rec.temp))
        if self.old_volt != rec.volt:
            self.old_volt = rec.volt
            out.append(("Bv=" if c else "volt=") + str(rec.volt))
        charge = rec.charge_uah // 1000
        if self.old_charge != charge:
            self.old_charge = charge
            out.append(("Bcc=" if c else "charge=") + str(charge))
        if rec.rail_charge and not self.old_rail:
            # The rail charges start at -1 in the printer and the device reports 0.
            self.old_rail = True
            out.append("Mrc=0" if c else "modemRailChargemAh=0")
            out.append("Wrc=0" if c else "wifiRailChargemAh=0")
        return out

    def _bits(self, rec: Record) -> list[str]:
        out = []
        woke = False
        for code, name in STATE_BITS:
            if (code in rec.flags) != (code in self.old_flags):
                item = ("+" if code in rec.flags else "-") + (code if self.checkin else name)
                if code == "w" and rec.wakelock is not None:
                    woke = True
                    item += "=" + self._tag(rec.wakelock)
                out.append(item)
        for code, name in STATE2_BITS_BEFORE_IDLE:
            if (code in rec.flags) != (code in self.old_flags):
                out.append(("+" if code in rec.flags else "-") + (code if self.checkin else name))
        if rec.idle != self.old_idle:
            out.append(("di=" if self.checkin else "device_idle=") + IDLE_NAMES[rec.idle])
        for code, name in STATE2_BITS_AFTER_IDLE:
            if (code in rec.flags) != (code in self.old_flags):
                out.append(("+" if code in rec.flags else "-") + (code if self.checkin else name))
        if rec.wakelock is not None and not woke:
            out.append(("w=" if self.checkin else "wake_lock=") + self._tag(rec.wakelock))
        self.old_flags = rec.flags
        self.old_idle = rec.idle
        return out

    def _tag(self, tag: Tag) -> str:
        if self.checkin:
            return str(tag.index)
        return f'{format_uid(tag.uid)}:"{tag.string}"'

    def _event(self, event: Event) -> str:
        name = event.code if self.checkin else EVENT_NAMES.get(event.code, event.code)
        return f"{event.sign}{name}={self._tag(event.tag)}"


def checkin_lines(history: HistoryBuffer) -> list[str]:
    """``9,hsp`` string pool lines, then one ``9,h`` line per record (dumpHistory, checkin)."""
    lines = [
        f'9,hsp,{index},{uid},"{escape_pool_string(string)}"'
        for (string, uid), index in sorted(history.pool.items(), key=lambda kv: kv[1])
    ]
    if not history.records:
        return lines
    printer = HistoryPrinter(checkin=True)
    base = history.records[0].time_ms
    lines += [printer.line(rec, base) for rec in history.records]
    return lines


def text_lines(history: HistoryBuffer, zone: ZoneInfo | None) -> list[str]:
    """``Battery History (...):`` and one line per record (dumpHistory, text form)."""
    used = history.used_bytes()
    lines = [
        f"Battery History ({100 * used // HISTORY_BUFFER_BYTES}% used, {format_size(used)} used "
        f"of {format_size(HISTORY_BUFFER_BYTES)}, {len(history.pool)} strings using "
        f"{format_size(history.pool_bytes())}):"
    ]
    if history.records:
        printer = HistoryPrinter(checkin=False, zone=zone)
        base = history.records[0].time_ms
        lines += [printer.line(rec, base) for rec in history.records]
    return lines
