"""The vocabulary of battery history: checkin short codes, their long names and value names.

Transcribed from ``android.os.BatteryStats`` (``HISTORY_STATE_DESCRIPTIONS``,
``HISTORY_STATE2_DESCRIPTIONS``, ``HISTORY_EVENT_NAMES`` / ``HISTORY_EVENT_CHECKIN_NAMES`` and
``HistoryPrinter.printNextItem``). The checkin form (``9,h,...``) prints the short code, the
human-readable form (``dumpsys batterystats --history``) the long name; both are mapped onto the
short code so that one event model serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

# Token kinds in the event table.
BATTERY = "battery"
STATE = "state"
EVENT = "event"
WAKE_REASON = "wake_reason"
MARKER = "marker"
DETAILS = "details"
OTHER = "other"


@dataclass(frozen=True)
class Code:
    code: str  # checkin short code
    name: str  # human-readable long name
    kind: str
    # For multi-valued states: checkin value -> long value (HistoryPrinter prints short values
    # in checkin and long ones in text); empty for on/off flags.
    values: tuple[tuple[str, str], ...] = ()
    # Events that come as +start/-finish pairs and become per-UID intervals.
    paired: bool = False
    # The integer printed before the tag is a UID (UserHandle.formatUid), not a plain number.
    uid_valued: bool = True

    @property
    def is_enum(self) -> bool:
        return bool(self.values)


def _vals(short: str, long: str) -> tuple[tuple[str, str], ...]:
    return tuple(zip(short.split(), long.split(), strict=True))


_SIGNAL = _vals("0 1 2 3 4", "none poor moderate good great")
_BRIGHTNESS = _vals("0 1 2 3 4", "dark dim medium light bright")
_WIFI_SUPPL = _vals(
    "inv dsc dis inact scan auth ascing asced 4-way group compl dorm uninit",
    "invalid disconn disabled inactive scanning authenticating associating associated "
    "4-way-handshake group-handshake completed dormant uninit",
)


def _same(values: str) -> tuple[tuple[str, str], ...]:
    return tuple((v, v) for v in values.split())


BATTERY_CODES: tuple[Code, ...] = (
    Code("Bl", "level", BATTERY),
    Code(
        "Bs",
        "status",
        BATTERY,
        _vals("? c d n f", "unknown charging discharging not-charging full"),
    ),
    Code(
        "Bh",
        "health",
        BATTERY,
        _vals("? g h d v f c", "unknown good overheat dead over-voltage failure cold"),
    ),
    Code("Bp", "plug", BATTERY, _vals("n a u w", "none ac usb wireless")),
    Code("Bt", "temp", BATTERY),
    Code("Bv", "volt", BATTERY),
    Code("Bcc", "charge", BATTERY),
    Code("Mrc", "modemRailChargemAh", BATTERY),
    Code("Wrc", "wifiRailChargemAh", BATTERY),
)

STATE_CODES: tuple[Code, ...] = (
    Code("r", "running", STATE),
    Code("w", "wake_lock", STATE),
    Code("s", "sensor", STATE),
    Code("g", "gps", STATE),
    Code("Wl", "wifi_full_lock", STATE),
    Code("Ws", "wifi_scan", STATE),
    Code("Wm", "wifi_multicast", STATE),
    Code("Wr", "wifi_radio", STATE),
    Code("Pr", "mobile_radio", STATE),
    Code("Psc", "phone_scanning", STATE),
    Code("a", "audio", STATE),
    Code("S", "screen", STATE),
    Code("BP", "plugged", STATE),
    Code("Sd", "screen_doze", STATE),
    Code(
        "Pcn",
        "data_conn",
        STATE,
        _same(
            "oos none gprs edge umts cdma evdo_0 evdo_A 1xrtt hsdpa hsupa hspa iden evdo_b lte "
            "ehrpd hspap gsm td_scdma iwlan lte_ca nr emngcy other"
        ),
    ),
    Code("Pst", "phone_state", STATE, _vals("in out em off", "in out emergency off")),
    Code("Pss", "phone_signal_strength", STATE, _SIGNAL),
    Code("Sb", "brightness", STATE, _BRIGHTNESS),
    Code("ps", "power_save", STATE),
    Code("v", "video", STATE),
    Code("Ww", "wifi_running", STATE),
    Code("W", "wifi", STATE),
    Code("fl", "flashlight", STATE),
    # On/off on Android 6 (+di/-di); off/light/full from Android 7 on.
    Code("di", "device_idle", STATE, _same("off light full ???")),
    Code("ch", "charging", STATE),
    Code("Ud", "usb_data", STATE),
    Code("Pcl", "phone_in_call", STATE),
    Code("b", "bluetooth", STATE),
    Code("Wss", "wifi_signal_strength", STATE, _same("0 1 2 3 4")),
    Code("Wsp", "wifi_suppl", STATE, _WIFI_SUPPL),
    Code("ca", "camera", STATE),
    Code("bles", "ble_scan", STATE),
    Code("Chtp", "cellular_high_tx_power", STATE),
    Code("Gss", "gps_signal_quality", STATE, _same("poor good none")),
    Code("nrs", "nr_state", STATE, _same("0 1 2 3 4")),
)

# Long names that older or vendor builds print for the same bits.
STATE_ALIASES: dict[str, str] = {
    "low_power": "ps",  # Android 5 called battery saver "low_power" / "lp"
    "lp": "ps",
    "wifi_on": "W",
}

EVENT_CODES: tuple[Code, ...] = (
    Code("Enl", "null", EVENT),
    Code("Epr", "proc", EVENT, paired=True),
    Code("Efg", "fg", EVENT, paired=True),
    Code("Etp", "top", EVENT, paired=True),
    Code("Esy", "sync", EVENT, paired=True),
    Code("Ewl", "wake_lock_in", EVENT, paired=True),
    Code("Ejb", "job", EVENT, paired=True),
    Code("Eur", "user", EVENT, paired=True),
    Code("Euf", "userfg", EVENT, paired=True),
    Code("Ecn", "conn", EVENT),
    Code("Eac", "active", EVENT),
    Code("Epi", "pkginst", EVENT, uid_valued=False),
    Code("Epu", "pkgunin", EVENT),
    Code("Eal", "alarm", EVENT, paired=True),
    Code("Est", "stats", EVENT),
    Code("Eai", "pkginactive", EVENT),
    Code("Eaa", "pkgactive", EVENT),
    Code("Etw", "tmpwhitelist", EVENT, paired=True),
    Code("Esw", "screenwake", EVENT),
    Code("Ewa", "wakeupap", EVENT),
    Code("Elw", "longwake", EVENT, paired=True),
    Code("Eec", "est_capacity", EVENT, uid_valued=False),
)

OTHER_CODES: tuple[Code, ...] = (Code("wr", "wake_reason", WAKE_REASON),)

ALL_CODES: tuple[Code, ...] = BATTERY_CODES + STATE_CODES + EVENT_CODES + OTHER_CODES
BY_CODE: dict[str, Code] = {c.code: c for c in ALL_CODES}

# Long (human-readable) name -> short code.
LONG_TO_CODE: dict[str, str] = {c.name: c.code for c in ALL_CODES}
LONG_TO_CODE.update(STATE_ALIASES)

# Short codes whose value is a string-pool index (checkin) or ``uid:"tag"`` (text).
TAGGED_CODES: frozenset[str] = frozenset([c.code for c in EVENT_CODES] + ["w", "wr"])

# History commands (HistoryItem.CMD_*), as printed after the time.
CMD_RESET = "reset"
CMD_TIME = "time"
CMD_START = "start"
CMD_SHUTDOWN = "shutdown"
CMD_OVERFLOW = "overflow"

# Friendly interval kinds for the paired events most reports need.
INTERVAL_KIND_NAMES: dict[str, str] = {
    "Ejb": "job",
    "Esy": "sync",
    "Eal": "alarm",
    "Ewl": "wakelock",
    "Elw": "long_wakelock",
    "Etp": "top",
    "Efg": "foreground",
    "Epr": "process",
    "Etw": "temp_allowlist",
    "Eur": "user",
    "Euf": "user_foreground",
}


def enum_value_table() -> dict[str, str]:
    """``"<code>=<checkin value>"`` -> long value, for every multi-valued state and field."""
    table: dict[str, str] = {}
    for c in ALL_CODES:
        for short, long in c.values:
            table[f"{c.code}={short}"] = long
            # Text dumps already print the long value; map it onto itself.
            table[f"{c.code}={long}"] = long
    return table
