# ruff: noqa: E501 - history records are single long lines, as devices print them
"""The benchmark's text -> checkin history converter: exact output, and both forms parse alike.

Both forms of one history must give the same records, battery series, state intervals, per-UID
intervals and events, except for what the conversion drops (OEM keys and step details).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench.history_checkin_form import convert, to_checkin_history
from harness.batterystats import History, parse_history
from harness.batterystats.text import normalize
from tests.conformance.captures import captures_dir

# Invented values; the layout is HistoryPrinter's text form (Android 14-like, with Samsung-style
# OEM fields), with a reset, a clock change, a reboot and an overflow.
TEXT = """\
Battery History (1% used, 2100 used of 4096KB, 8 strings using 300):
                    0 (9) RESET:TIME: 2024-03-01-08-00-00
                    0 (2) 100 status=discharging health=good plug=none temp=251 volt=4395 charge=4263 current=353 ap_temp=25 -otg +running +wake_lock=1000:"*alarm*" +screen phone_signal_strength=great brightness=dim wifi_suppl=completed
                    0 (2) 100 top=u0a123:"com.example.app"
               +1s000ms (2) 100 +job=u0a123:"com.example.app/.SyncJob"
                 Details: cpu=100u+50s (u0a123=40u+10s)
                 /proc/stat=1 usr, 2 sys, 3 io, 4 irq, 5 sirq, 6 idle (15.0% of 60ms), SubsystemPowerState Empty
               +3s000ms (2) 100 current=340 ap_temp=26 -job=u0a123:"com.example.app/.SyncJob" -screen
               +3s500ms (3) 099 device_idle=light -wake_lock wake_reason=0:"Abort: pm suspend, again"
               +5s000ms (2) 099 device_idle=full +sync=u10a123:"com.example.provider/C:\\sync"
               +5s002ms (2) 099 +alarm=u0a123:"*walarm*:com.example.TICK"
               +5s000ms (2) 099 -alarm=u0a123:"*walarm*:com.example.TICK" tmpwhitelist=u0i5:"broadcast"
               +6s000ms (2) 099 +wake_lock=u0a123:"sync tag with spaces" phone_signal_strength=fully
               +6s500ms (2) 099 wake_lock=u0ai3:"*job*/com.example.app/.SyncJob"
               +9s000ms (8) TIME: 2024-03-01-08-01-40
              +10s000ms (2) 098 device_idle=off -wake_lock data_conn=lte
              +11s000ms (1) SHUTDOWN
              +11s000ms (1) START
              +11s000ms (2) 098 status=charging plug=usb +running +plugged +charging +screen
              +12s000ms (1) *OVERFLOW*
              +1m04s000ms (2) 099 +job=u0a123:"com.example.app/.SyncJob"

"""

# What HistoryPrinter prints for the same records with checkin=true, after the string pool.
CHECKIN = """\
9,hsp,0,1000,"*alarm*"
9,hsp,1,10123,"com.example.app"
9,hsp,2,10123,"com.example.app/.SyncJob"
9,hsp,3,0,"Abort: pm suspend, again"
9,hsp,4,1010123,"com.example.provider/C:\\\\sync"
9,hsp,5,10123,"*walarm*:com.example.TICK"
9,hsp,6,99005,"broadcast"
9,hsp,7,10123,"sync tag with spaces"
9,hsp,8,90003,"*job*/com.example.app/.SyncJob"
9,h,0:RESET:TIME:1709280000000
9,h,0,Bl=100,Bs=d,Bh=g,Bp=n,Bt=251,Bv=4395,Bcc=4263,+r,+w=0,+S,Pss=4,Sb=1,Wsp=compl
9,h,0,Etp=1
9,h,1000,+Ejb=2
9,h,2000,-Ejb=2,-S
9,h,500,Bl=99,di=light,-w,wr=3
9,h,1500,di=full,+Esy=4
9,h,2,+Eal=5
9,h,-2,-Eal=5,Etw=6
9,h,1000,+w=7,Pss=fully
9,h,500,w=8
9,h,2500:TIME:1709280100000
9,h,1000,Bl=98,di=off,-w,Pcn=lte
9,h,1000:SHUTDOWN
9,h,0:START
9,h,0,Bl=98,Bs=c,Bp=u,+r,+BP,+ch,+S
9,h,1000:*OVERFLOW*
9,h,52000,Bl=99,+Ejb=2
"""


def test_prints_the_checkin_form():
    assert to_checkin_history(TEXT) == CHECKIN


def test_counts_what_it_drops():
    conv = convert(TEXT)
    assert conv.records == 18
    assert conv.pool_size == 9
    assert dict(conv.dropped_keys) == {"current": 2, "ap_temp": 2, "otg": 1}
    assert conv.dropped_tokens == 5
    assert conv.dropped_details == 2
    # Kept as printed: no short value is known, and both forms then read the same value.
    assert dict(conv.unmapped_values) == {"phone_signal_strength=fully": 1}
    assert conv.unreadable_commands == 0
    assert conv.unreadable_uids == 0


def test_verbose_state_word_unnamed_events_and_crlf():
    text = (
        "Battery History (1% used, 100 used of 256KB, 1 strings using 50):\r\n"
        "                    0 (9) RESET:TIME: 2016-11-06-12-41-42\r\n"
        "                    0 (2) 056 c4100020 status=charging plug=ac +device_idle\r\n"
        '               +2ms (2) 057 c4100020 -device_idle +event37=u0a5:"x"\r\n'
    )
    assert to_checkin_history(text) == (
        '9,hsp,0,10005,"x"\n'
        "9,h,0:RESET:TIME:1478436102000\n"
        "9,h,0,Bl=56,Bs=c,Bp=a,+di\n"
        "9,h,2,Bl=57,-di,+Ev37=0\n"
    )


def test_no_history_gives_no_lines():
    assert to_checkin_history("Statistics since last charge:\n  System starts: 1\n") == ""


# -- both forms parse alike -----------------------------------------------------------------


def _rows(df: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return list(df[columns].astype(object).itertuples(index=False, name=None))


def _per_uid_counts(h: History) -> dict[tuple[str, object], int]:
    iv = h.intervals
    return {k: int(v) for k, v in iv.groupby(["kind", "uid"], observed=True).size().items()}


def _events(h: History) -> list[tuple]:
    ev = h.events[~h.events["kind"].isin(["other", "details"])]
    return _rows(
        ev, ["time_ms", "elapsed_ms", "record", "segment", "code", "transition", "uid", "value"]
    )


def assert_same_history(text: History, checkin: History) -> None:
    assert (text.source, checkin.source) == ("text", "checkin")
    assert checkin.record_count == text.record_count
    assert _rows(checkin.records, ["time_ms", "elapsed_ms", "segment"]) == _rows(
        text.records, ["time_ms", "elapsed_ms", "segment"]
    )
    level = ["record", "time_ms", "elapsed_ms", "level_pct"]
    assert _rows(checkin.level, level) == _rows(text.level, level)
    pd.testing.assert_frame_equal(checkin.battery, text.battery)
    states = ["code", "value", "start_ms", "end_ms", "start_elapsed_ms", "end_elapsed_ms"]
    states += ["segment", "start_observed", "end_observed"]
    assert _rows(checkin.states, states) == _rows(text.states, states)
    intervals = ["kind", "code", "uid", "name", "start_ms", "end_ms", "start_observed"]
    intervals += ["end_observed"]
    assert _rows(checkin.intervals, intervals) == _rows(text.intervals, intervals)
    assert _per_uid_counts(checkin) == _per_uid_counts(text)
    assert _events(checkin) == _events(text)
    assert checkin.overflowed == text.overflowed


def test_both_forms_parse_alike():
    text = parse_history(TEXT)
    checkin = parse_history(to_checkin_history(TEXT))
    assert_same_history(text, checkin)
    assert _per_uid_counts(text) == {
        ("job", 10123): 2,
        ("sync", 1010123): 1,
        ("alarm", 10123): 1,
        ("top", 10123): 1,
        ("wakelock_held", 1000): 1,
        ("wakelock_held", 10123): 1,
    }
    assert checkin.screen["start_observed"].tolist() == [True, True]
    assert checkin.overflowed


def test_only_the_dropped_parts_differ():
    text = parse_history(TEXT)
    checkin = parse_history(to_checkin_history(TEXT))
    kinds = text.events.groupby("kind", observed=True).size().to_dict()
    assert kinds.get("other") == 5  # current, ap_temp twice each and -otg
    assert kinds.get("details") == 2
    assert set(checkin.events["kind"].astype(str)) & {"other", "details"} == set()
    # The checkin form carries epoch anchors; the text form's local clock was read as UTC.
    assert (text.time_basis, checkin.time_basis) == ("device-local", "utc")
    assert checkin.start_time_ms == text.start_time_ms == 1_709_280_000_000


# -- the captures Battery Historian was timed on --------------------------------------------

# Sizes of Battery Historian's derived checkin inputs (batterystats reference, section 4.3).
REFERENCE_MB = {
    "xiaomi-redmik80pro-longest.txt": 0.313,
    "emulator-2022.txt": 0.788,
    "motorola-2016.txt": 0.147,
    "samsung-2024.txt": 0.101,
    "tcl-2018-4g-xjview-v1.txt": 0.058,
}


@pytest.mark.parametrize("name", sorted(REFERENCE_MB))
def test_captures_convert_like_the_reference(name: str):
    root = captures_dir()
    path = None if root is None else Path(root) / "batterystats_history" / name
    if path is None or not path.exists():
        pytest.skip("batterystats captures not available")
    text = normalize(path.read_bytes())
    conv = convert(text)
    assert conv.unreadable_commands == conv.unreadable_uids == 0
    assert len(conv.text.encode()) / 1e6 == pytest.approx(REFERENCE_MB[name], rel=0.05)
    assert_same_history(parse_history(text), parse_history(conv.text))
