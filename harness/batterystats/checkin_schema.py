"""Column schemas of the batterystats checkin sections, per checkin version, as data.

Each section (the 4th field of a ``9,<uid>,<cat>,<key>,...`` line) has one or more layouts,
keyed by the first checkin version (``9,0,i,vers,<version>,...``) that prints it. A layout is a
string of column specs, one per printed field:

=============== ===================================================================
``name``        integer (Int64)
``name:f``      decimal (Float64), e.g. mAh printed by ``BatteryStatsHelper.makemAh``
``name:s``      text
``name:us``     integer printed in microseconds, stored in milliseconds
``name:na``     integer where -1 means "not tracked" (stored as NA)
``-``           a field AOSP prints as a constant legacy 0; not kept
=============== ===================================================================

Sections grow by appending fields, so a row with fewer fields than its layout gets NA for the
missing ones, and a row with more keeps the extra ones in the ``unknown`` table. Sources: AOSP
``BatteryStats.dumpCheckinLocked`` (CHECKIN_VERSION 35) and the layout comments in Battery
Historian's ``checkinparse`` for older versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# How a section's rows become a table (see checkin.py for each builder).
FIELDS = "fields"  # fixed columns after the key (name columns included as ``:s``)
VECTOR = "vector"  # one value per bin; becomes long format with a label per bin
SPECIAL = "special"  # own builder: wl, dsd/csd, pwi, ctf/gcf, apk/wua, uid, vers, jbc


@dataclass(frozen=True)
class Layout:
    since: int
    columns: tuple[str, ...]


def layout(since: int, spec: str) -> Layout:
    return Layout(since, tuple(spec.split()))


@dataclass(frozen=True)
class Section:
    key: str
    table: str
    shape: str
    layouts: tuple[Layout, ...] = ()
    # Constant columns added to every row (e.g. which timer or controller a row is).
    constants: dict[str, str] = field(default_factory=dict)
    # Bin labels for VECTOR sections, by version (same "since" rule as layouts).
    labels: tuple[Layout, ...] = ()
    unit: str = ""  # value column of VECTOR sections: "time_ms" or "count"
    system_only: bool = False  # printed for uid 0 only

    def layout_for(self, version: int | None) -> Layout | None:
        return _pick(self.layouts, version)

    def labels_for(self, version: int | None) -> Layout | None:
        return _pick(self.labels, version)


def _pick(options: tuple[Layout, ...], version: int | None) -> Layout | None:
    if not options:
        return None
    if version is None:
        return options[-1]
    chosen = options[0]
    for opt in options:
        if opt.since <= version:
            chosen = opt
    return chosen


def _s(key: str, table: str, *layouts: Layout, **kw: object) -> Section:
    return Section(key, table, FIELDS, tuple(layouts), **kw)  # type: ignore[arg-type]


_TIMER = layout(0, "time_ms count")
_CONTROLLER_OLD = layout(0, "idle_ms rx_ms power_mah:f")
# Android 10 (checkin 34) added the monitored rail charge before the TX levels.
_CONTROLLER_NEW = layout(34, "idle_ms rx_ms power_mah:f monitored_rail_mah:f")

# -- system-wide sections, merged into the one-row "summary" table -----------------------------
SUMMARY_SECTIONS: tuple[Section, ...] = (
    _s(
        "bt",
        "summary",
        layout(
            0,
            "start_count battery_realtime_ms battery_uptime_ms total_realtime_ms total_uptime_ms "
            "start_clock_time_ms screen_off_realtime_ms screen_off_uptime_ms "
            "estimated_capacity_mah:f min_learned_capacity_uah max_learned_capacity_uah "
            "screen_doze_ms",
        ),
        system_only=True,
    ),
    _s(
        "dc",
        "summary",
        layout(
            0,
            "discharge_low_pct discharge_high_pct discharge_screen_on_pct discharge_screen_off_pct "
            "discharge_mah:f discharge_screen_off_mah:f discharge_screen_doze_pct "
            "discharge_screen_doze_mah:f discharge_light_doze_mah:f discharge_deep_doze_mah:f",
        ),
        system_only=True,
    ),
    _s(
        "m",
        "summary",
        # Android 5: radio and network totals still lived here (moved to gwfl/gn in 6.0).
        layout(
            0,
            "screen_on_ms phone_on_ms wifi_on_ms wifi_running_ms bluetooth_on_ms "
            "mobile_rx_total_bytes mobile_tx_total_bytes wifi_rx_total_bytes wifi_tx_total_bytes "
            "full_wakelock_ms partial_wakelock_ms - mobile_radio_active_ms "
            "mobile_radio_active_adjusted_ms interactive_ms power_save_mode_ms "
            "connectivity_changes_count device_idle_mode_deep_ms device_idle_mode_deep_count "
            "device_idling_deep_ms device_idling_deep_count",
        ),
        layout(
            14,
            "screen_on_ms phone_on_ms full_wakelock_ms partial_wakelock_ms mobile_radio_active_ms "
            "mobile_radio_active_adjusted_ms interactive_ms power_save_mode_ms "
            "connectivity_changes_count device_idle_mode_deep_ms device_idle_mode_deep_count "
            "device_idling_deep_ms device_idling_deep_count mobile_radio_active_count "
            "mobile_radio_active_unknown_ms device_idle_mode_light_ms "
            "device_idle_mode_light_count device_idling_light_ms device_idling_light_count "
            "longest_light_idle_ms longest_deep_idle_ms",
        ),
        system_only=True,
    ),
    _s(
        "gn",
        "summary",
        layout(
            0,
            "mobile_rx_total_bytes mobile_tx_total_bytes wifi_rx_total_bytes wifi_tx_total_bytes "
            "mobile_rx_total_packets mobile_tx_total_packets wifi_rx_total_packets "
            "wifi_tx_total_packets bluetooth_rx_total_bytes bluetooth_tx_total_bytes",
        ),
        system_only=True,
    ),
    _s("gwfl", "summary", layout(0, "wifi_on_ms wifi_running_ms - - -"), system_only=True),
    _s(
        "pws",
        "summary",
        layout(0, "capacity_mah:f computed_drain_mah:f min_drained_mah:f max_drained_mah:f"),
        system_only=True,
    ),
    _s("dtr", "summary", layout(0, "discharge_time_remaining_ms:us"), system_only=True),
    _s("ctr", "summary", layout(0, "charge_time_remaining_ms:us"), system_only=True),
    _s("lv", "summary", layout(0, "start_level_pct current_level_pct"), system_only=True),
    _s("sst", "summary", layout(0, "signal_scanning_ms"), system_only=True),
    _s("wmct", "summary", layout(0, "wifi_multicast_ms wifi_multicast_count"), system_only=True),
)

# -- per-UID (and system list) sections with fixed columns --------------------------------------
FIELD_SECTIONS: tuple[Section, ...] = (
    _s("awl", "aggregated_wakelocks", layout(0, "partial_ms background_partial_ms")),
    _s(
        "kwl",
        "kernel_wakelocks",
        layout(0, "name:s time_ms count current_ms:na max_ms:na"),
        system_only=True,
    ),
    _s("wr", "wakeup_reasons", layout(0, "name:s time_ms count"), system_only=True),
    _s(
        "rpm",
        "rpm_states",
        layout(0, "name:s time_ms count screen_off_time_ms screen_off_count"),
        system_only=True,
    ),
    _s("jb", "jobs", layout(0, "name:s total_ms count background_ms:na background_count:na")),
    _s(
        "jbd",
        "jobs_deferred",
        layout(
            0,
            "deferred_event_count deferred_count total_latency_ms count_under_1h "
            "count_1h_to_2h count_2h_to_4h count_4h_to_8h count_over_8h",
        ),
    ),
    _s("sy", "syncs", layout(0, "name:s total_ms count background_ms:na background_count:na")),
    _s("cpu", "cpu", layout(0, "user_ms system_ms power_mams")),
    _s("pr", "processes", layout(0, "name:s user_ms system_ms foreground_ms starts anrs crashes")),
    _s(
        "nt",
        "network",
        layout(
            0,
            "mobile_rx_bytes mobile_tx_bytes wifi_rx_bytes wifi_tx_bytes mobile_rx_packets "
            "mobile_tx_packets wifi_rx_packets wifi_tx_packets mobile_active_ms:us "
            "mobile_active_count bluetooth_rx_bytes bluetooth_tx_bytes mobile_wakeup_count "
            "wifi_wakeup_count mobile_bg_rx_bytes mobile_bg_tx_bytes wifi_bg_rx_bytes "
            "wifi_bg_tx_bytes mobile_bg_rx_packets mobile_bg_tx_packets wifi_bg_rx_packets "
            "wifi_bg_tx_packets",
        ),
    ),
    _s(
        "wfl",
        "wifi",
        # Before Android 7 the last three fields were idle/rx/tx controller times.
        layout(0, "full_wifi_lock_ms:us scan_ms:us running_ms:us idle_ms rx_ms tx_ms"),
        layout(
            17,
            "full_wifi_lock_ms:us scan_ms:us running_ms:us scan_count - - - "
            "scan_background_count scan_actual_ms scan_background_actual_ms",
        ),
    ),
    _s(
        "blem",
        "bluetooth",
        layout(
            0,
            "scan_ms scan_count scan_background_count scan_actual_ms scan_background_actual_ms "
            "scan_result_count scan_result_background_count unoptimized_scan_ms "
            "unoptimized_scan_background_ms unoptimized_scan_max_ms "
            "unoptimized_scan_background_max_ms",
        ),
    ),
    _s(
        "sr",
        "sensors",
        layout(0, "sensor time_ms count background_count actual_ms background_actual_ms"),
    ),
    _s("fla", "timers", _TIMER, constants={"timer": "flashlight"}),
    _s("cam", "timers", _TIMER, constants={"timer": "camera"}),
    _s("vid", "timers", _TIMER, constants={"timer": "video"}),
    _s("aud", "timers", _TIMER, constants={"timer": "audio"}),
    _s("vib", "timers", _TIMER, constants={"timer": "vibrator"}),
    _s("fg", "timers", _TIMER, constants={"timer": "foreground_activity"}),
    _s("fgs", "timers", _TIMER, constants={"timer": "foreground_service"}),
    _s("wmc", "timers", _TIMER, constants={"timer": "wifi_multicast"}),
    _s("gmcd", "controllers", _CONTROLLER_OLD, _CONTROLLER_NEW, constants={"controller": "modem"}),
    _s("gwfcd", "controllers", _CONTROLLER_OLD, _CONTROLLER_NEW, constants={"controller": "wifi"}),
    _s(
        "gble",
        "controllers",
        _CONTROLLER_OLD,
        _CONTROLLER_NEW,
        constants={"controller": "bluetooth"},
    ),
    _s("mcd", "controllers", _CONTROLLER_OLD, _CONTROLLER_NEW, constants={"controller": "modem"}),
    _s("wfcd", "controllers", _CONTROLLER_OLD, _CONTROLLER_NEW, constants={"controller": "wifi"}),
    _s(
        "ble",
        "controllers",
        _CONTROLLER_OLD,
        _CONTROLLER_NEW,
        constants={"controller": "bluetooth"},
    ),
    _s("wua", "alarms", layout(0, "name:s count")),
    _s(
        "apk",
        "services",
        layout(0, "package_wakeup_alarm_count package:s service:s start_time_ms starts launches"),
    ),
    _s("uid", "apps", layout(0, "app_uid package:s")),
)

# Controllers print one TX time per power level after the fixed fields.
CONTROLLER_KEYS = frozenset({"gmcd", "gwfcd", "gble", "mcd", "wfcd", "ble"})


def _v(key: str, metric: str, unit: str, *labels: Layout, system_only: bool = True) -> Section:
    return Section(
        key,
        "time_in_state" if system_only else "",
        VECTOR,
        labels=tuple(labels),
        constants={"metric": metric},
        unit=unit,
        system_only=system_only,
    )


_SIGNAL_BINS = layout(0, "none poor moderate good great")
_BRIGHTNESS_BINS = layout(0, "dark dim medium light bright")
# DATA_CONNECTION_NAMES; the last bin is always "other" and is labelled by position instead.
DATA_CONNECTION_BINS = [
    "none",
    "gprs",
    "edge",
    "umts",
    "cdma",
    "evdo_0",
    "evdo_A",
    "1xrtt",
    "hsdpa",
    "hsupa",
    "hspa",
    "iden",
    "evdo_b",
    "lte",
    "ehrpd",
    "hspap",
    "gsm",
    "td_scdma",
    "iwlan",
    "lte_ca",
    "nr",
    "emngcy",
]
_WIFI_STATE_BINS = layout(0, "off scanning no_net disconn sta p2p sta_p2p soft_ap")
_WIFI_SUPPL_BINS = layout(
    0,
    "invalid disconn disabled inactive scanning authenticating associating associated "
    "4-way-handshake group-handshake completed dormant uninit",
)
_WIFI_SIGNAL_BINS = layout(0, "none poor moderate good great")
_BLUETOOTH_BINS = layout(0, "inactive low med high")

VECTOR_SECTIONS: tuple[Section, ...] = (
    _v("br", "screen_brightness", "time_ms", _BRIGHTNESS_BINS),
    _v("sgt", "phone_signal_strength", "time_ms", _SIGNAL_BINS),
    _v("sgc", "phone_signal_strength", "count", _SIGNAL_BINS),
    _v("dct", "data_connection", "time_ms"),
    _v("dcc", "data_connection", "count"),
    _v("wst", "wifi_state", "time_ms", _WIFI_STATE_BINS),
    _v("wsc", "wifi_state", "count", _WIFI_STATE_BINS),
    _v("wsst", "wifi_supplicant_state", "time_ms", _WIFI_SUPPL_BINS),
    _v("wssc", "wifi_supplicant_state", "count", _WIFI_SUPPL_BINS),
    _v("wsgt", "wifi_signal_strength", "time_ms", _WIFI_SIGNAL_BINS),
    _v("wsgc", "wifi_signal_strength", "count", _WIFI_SIGNAL_BINS),
    _v("bst", "bluetooth_state", "time_ms", _BLUETOOTH_BINS),
    _v("bsc", "bluetooth_state", "count", _BLUETOOTH_BINS),
)

# Per-UID process-state times: the order changed in checkin 29 (Uid.PROCESS_STATE_NAMES), which
# Battery Historian still reads in the old order.
PROCESS_STATE_LABELS: tuple[Layout, ...] = (
    layout(0, "foreground active running"),
    layout(17, "top foreground_service top_sleeping foreground background cached"),
    layout(29, "top foreground_service foreground background top_sleeping heavy_weight cached"),
)
USER_ACTIVITY_LABELS: tuple[Layout, ...] = (
    layout(0, "other button touch accessibility attention face_down device_state"),
)
# ctf process-state letters (Uid.UID_PROCESS_TYPES); "A" is all states together.
CPU_FREQ_STATES = {
    "A": "all",
    "T": "top",
    "FS": "foreground_service",
    "F": "foreground",
    "B": "background",
    "TS": "top_sleeping",
    "HW": "heavy_weight",
    "C": "cached",
}

# Job stop reasons (jbc). Up to Android 11 the columns were JobParameters.REASON_* 0..4; from
# Android 12 they follow JobParameters.JOB_STOP_REASON_CODES, appended to over time.
JOB_STOP_REASONS_OLD: tuple[tuple[int, str], ...] = (
    (0, "canceled"),
    (1, "constraints_not_satisfied"),
    (2, "preempt"),
    (3, "timeout"),
    (4, "device_idle"),
)
JOB_STOP_REASONS: tuple[tuple[int, str], ...] = (
    (-1, "unknown"),
    (0, "canceled"),
    (1, "constraints_not_satisfied"),
    (2, "preempt"),
    (3, "timeout"),
    (4, "device_idle"),
    (5, "device_thermal"),
    (6, "restricted_bucket"),
    (7, "uninstall"),
    (8, "data_cleared"),
    (9, "rtc_updated"),
    (10, "successful_finish"),
    (11, "user_ui_stop"),
    (12, "anr"),
    (13, "reason_13"),
    (100, "reason_100"),
)

# pwi drain types (BatteryStats.dumpCheckinLocked) -> readable kind.
POWER_USE_LABELS = {
    "idle": "idle",
    "cell": "cell",
    "phone": "phone",
    "wifi": "wifi",
    "blue": "bluetooth",
    "scrn": "screen",
    "flashlight": "flashlight",
    "uid": "app",
    "user": "user",
    "unacc": "unaccounted",
    "over": "overcounted",
    "camera": "camera",
    "memory": "memory",
    "ambi": "ambient_display",
    "???": "unknown",
}
POWER_USE_LAYOUTS: tuple[Layout, ...] = (
    layout(0, "label:s energy_mah:f hidden screen_mah:f proportional_smear_mah:f"),
)

# Discharge/charge step modes (dumpDurationSteps).
STEP_SCREEN = {
    "s-": "off",
    "s+": "on",
    "sd": "doze",
    "sds": "doze_suspend",
    "": "mixed",
    "?": "error",
}

WAKELOCK_KINDS = {"f": "full", "p": "partial", "bp": "background_partial", "w": "window"}

# Every key this parser knows; anything else goes to the "unknown" table.
SPECIAL_KEYS = frozenset({"vers", "wl", "dsd", "csd", "pwi", "ctf", "gcf", "st", "ua", "jbc"})
ALL_SECTIONS: dict[str, Section] = {
    s.key: s for s in SUMMARY_SECTIONS + FIELD_SECTIONS + VECTOR_SECTIONS
}
KNOWN_KEYS = frozenset(ALL_SECTIONS) | SPECIAL_KEYS
