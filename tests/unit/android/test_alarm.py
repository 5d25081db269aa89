"""Unit tests of the ``dumpsys alarm`` parser on hand-written dumps of both layouts."""

from __future__ import annotations

import json

import pytest

from harness.android import alarm
from harness.errors import ParseError

# Android 12+ layout, device in deep idle, battery saver on.
PENDING_DUMP = """\
Current Alarm Manager state:
  Settings:
    min_futurity=+5s0ms
    allow_while_idle_quota=72
\x20\x20
  App Standby Parole: false
\x20\x20
  Current AppStateTracker State:
    Force all apps standby: true
    Small Battery Device: false
    Force all apps standby for small battery device: false
\x20\x20
  nowRTC=1714550000000=2024-05-01 09:53:20.000 nowELAPSED=3600000
  mLastTimeChangeRealtime=1000
\x20\x20
  Next non-wakeup alarm: +40s0ms = 3640000 = 2024-05-01 09:54:00.000
    set at -1s0ms
  Next wakeup alarm: +1h0m0s0ms = 7200000 = 2024-05-01 10:53:20.000
    set at -2s0ms
  Num time change events: 0
\x20\x20
  Next alarm clock information:\x20
    user:0 pendingSend:false time:1714575600000 = 2024-05-01 17:00:00.000 = +7h6m40s0ms
\x20\x20
  3 pending alarms:\x20
    ELAPSED_WAKEUP #1: Alarm{a1b2c3 type 2 origWhen 7200000 whenElapsed 7200000 android}
      tag=*walarm*:DeviceIdleController.deep
      type=ELAPSED_WAKEUP origWhen=+1h0m0s0ms window=0 exactAllowReason=policy_permission\
 repeatInterval=0 count=0 flags=0x19
      policyWhenElapsed: requester=+1h0m0s0ms app_standby=-1m0s0ms device_idle=-1m0s0ms\
 battery_saver=-- tare=-1m0s0ms
      whenElapsed=+1h0m0s0ms maxWhenElapsed=+1h0m0s0ms
      listener=android.app.AlarmManager$ListenerWrapper@5e6f7a8
    RTC_WAKEUP #2: Alarm{d4e5f6 type 0 origWhen 1714575600000 whenElapsed 29200000\
 com.example.clock}
      tag=*walarm*:com.example.clock.ALARM
      type=RTC_WAKEUP origWhen=2024-05-01 17:00:00.000 window=0 exactAllowReason=permission\
 repeatInterval=0 count=0 flags=0x3
      policyWhenElapsed: requester=+7h6m40s0ms app_standby=-4m0s0ms device_idle=--\
 battery_saver=-- tare=-4m0s0ms
      whenElapsed=+7h6m40s0ms maxWhenElapsed=+7h6m40s0ms
      Alarm clock:
        triggerTime=2024-05-01 17:00:00.000
        showIntent=PendingIntent{11aa22b: PendingIntentRecord{33cc44d com.example.clock\
 startActivity}}
      operation=PendingIntent{55ee66f: PendingIntentRecord{77aa88b com.example.clock\
 broadcastIntent}}
    ELAPSED #3: Alarm{0f1e2d type 3 origWhen 3700000 whenElapsed 7200000 com.example.app}
      tag=*alarm*:com.example.app.SYNC, idle=yes
      type=ELAPSED origWhen=+1m40s0ms window=+15m0s0ms repeatInterval=900000 count=0 flags=0x0
      policyWhenElapsed: requester=+1m40s0ms app_standby=-5m0s0ms device_idle=+1h0m0s0ms\
 battery_saver=+1h0m0s0ms tare=--
      whenElapsed=+1h0m0s0ms maxWhenElapsed=+1h15m0s0ms
      operation=PendingIntent{9a8b7c6: PendingIntentRecord{1d2e3f4 com.example.app\
 broadcastIntent}}
  LazyAlarmStore stats:
    GET_COUNT: count=0, total=0.0ms, avg=0.000ms, max calls/s=0 max dur/s=0.0ms max time=0.0ms
\x20\x20
  Pending user blocked background alarms:\x20
    none
\x20\x20
  Pending alarms per uid: [1000:1, u0a150:1, u0a201:1]
\x20\x20
  App Alarm history:
\x20\x20
  Idle mode state:
    Idling until: Alarm{a1b2c3 type 2 origWhen 7200000 whenElapsed 7200000 android}
    tag=*walarm*:DeviceIdleController.deep
    type=ELAPSED_WAKEUP origWhen=+1h0m0s0ms window=0 exactAllowReason=policy_permission\
 repeatInterval=0 count=0 flags=0x19
    policyWhenElapsed: requester=+1h0m0s0ms app_standby=-1m0s0ms device_idle=-1m0s0ms\
 battery_saver=-- tare=-1m0s0ms
    whenElapsed=+1h0m0s0ms maxWhenElapsed=+1h0m0s0ms
    listener=android.app.AlarmManager$ListenerWrapper@5e6f7a8
\x20\x20
  Next wake from idle: Alarm{d4e5f6 type 0 origWhen 1714575600000 whenElapsed 29200000\
 com.example.clock}
    tag=*walarm*:com.example.clock.ALARM
    type=RTC_WAKEUP origWhen=2024-05-01 17:00:00.000 window=0 exactAllowReason=permission\
 repeatInterval=0 count=0 flags=0x3
\x20\x20
  Past-due non-wakeup alarms: 1
    ELAPSED #1: Alarm{77e1d0 type 3 origWhen 3590000 whenElapsed 3590000 android}
      tag=*alarm*:TIME_TICK
      type=ELAPSED origWhen=-10s0ms window=0 exactAllowReason=allow-listed repeatInterval=0\
 count=1 flags=0x9
      policyWhenElapsed: requester=-10s0ms app_standby=-1m0s0ms device_idle=-- battery_saver=--\
 tare=--
      whenElapsed=-10s0ms maxWhenElapsed=-10s0ms
      listener=com.android.server.alarm.AlarmManagerService$2@2b3c4d5
    Number of delayed alarms: 2, total delay time: +1m0s0ms
    Max delay time: +40s0ms, max non-interactive time: +30m0s0ms
\x20\x20
  Broadcast ref count: 0
\x20\x20
  Top Alarms:
    +2s0ms running, 3 wakeups, 3 alarms: u0a201:com.example.app
      *walarm*:com.example.app.SYNC
\x20\x20
  Alarm Stats:
  1000:android +1s500ms running, 12 wakeups:
    +1s0ms 10 wakes 10 alarms, last -1m0s0ms:
      *walarm*:DeviceIdleController.deep
  u0a201:com.example.app +2s0ms running, 3 wakeups:
    +2s0ms 3 wakes 3 alarms, last -20m0s0ms:
      *walarm*:com.example.app.SYNC
\x20\x20
  Alarm manager stats:
    REORDER_ALARMS_FOR_STANDBY: count=4, total=0.1ms, avg=0.025ms, max calls/s=1 max\
 dur/s=0.1ms max time=0.1ms
"""

# Android 9 layout with the old "Idle mode state" block and alarms deferred by idle.
BATCH_DUMP = """\
Current Alarm Manager state:
  Settings:
    min_futurity=+5s0ms
    min_interval=+1m0s0ms

  Forced App Standby Feature enabled: true
  Force all apps standby: false
  Small Battery Device: false
  Force all apps standby for small battery device: false
  App Standby Parole: false

  nowRTC=1692000000000=2023-08-14 08:00:00.000 nowELAPSED=500000
  Next non-wakeup alarm: +20s0ms = 520000 = 2023-08-14 08:00:20.000
  Next wakeup alarm: +1m0s0ms = 560000 = 2023-08-14 08:01:00.000
  Num time change events: 0

  Next alarm clock information:\x20

  Pending alarm batches: 2
Batch{1a2b3c num=1 start=560000 end=560000 flgs=0x5}:
    RTC_WAKEUP #0: Alarm{4d5e6f type 0 when 1692000060000 com.example.app}
      tag=*walarm*:com.example.app.EXACT
      type=0 expectedWhenElapsed=+1m0s0ms expectedMaxWhenElapsed=+1m0s0ms whenElapsed=+1m0s0ms\
 maxWhenElapsed=+1m0s0ms when=2023-08-14 08:01:00.000
      window=0 repeatInterval=0 count=0 flags=0x5
      operation=PendingIntent{7a8b9c: PendingIntentRecord{0d1e2f com.example.app broadcastIntent}}
Batch{3f4e5d num=2 start=600000 end=1500000 flgs=0x8}:
    ELAPSED_WAKEUP #1: Alarm{6c7d8e type 2 when 600000 android}
      tag=*walarm*:*job.delay*
      type=2 expectedWhenElapsed=+1m40s0ms expectedMaxWhenElapsed=+15m0s0ms\
 whenElapsed=+1m40s0ms maxWhenElapsed=+15m0s0ms when=+1m40s0ms
      window=+13m20s0ms repeatInterval=0 count=0 flags=0x8
      operation=null
      listener=android.app.AlarmManager$ListenerWrapper@1f2e3d
    ELAPSED #0: Alarm{9f8e7d type 3 when 590000 com.example.other}
      tag=*alarm*:com.example.other.POLL
      type=3 expectedWhenElapsed=+1m30s0ms expectedMaxWhenElapsed=+16m30s0ms\
 whenElapsed=+1m30s0ms maxWhenElapsed=+16m30s0ms when=+1m30s0ms
      window=+15m0s0ms repeatInterval=1200000 count=0 flags=0x0
      operation=PendingIntent{2a3b4c: PendingIntentRecord{5d6e7f com.example.other startService}}

  Pending user blocked background alarms:\x20
    none

    Idle mode state:
      Idling until: Alarm{abcdef type 2 when 4100000 android}
        tag=*walarm*:DeviceIdleController.deep
        type=2 expectedWhenElapsed=+1h0m0s0ms expectedMaxWhenElapsed=+1h0m0s0ms\
 whenElapsed=+1h0m0s0ms maxWhenElapsed=+1h0m0s0ms when=+1h0m0s0ms
        window=0 repeatInterval=0 count=0 flags=0x19
        operation=null
      Pending alarms:
      RTC #0: Alarm{123abc type 1 when 1692000030000 com.example.deferred}
        tag=*alarm*:com.example.deferred.TICK
        type=1 expectedWhenElapsed=+30s0ms expectedMaxWhenElapsed=+30s0ms whenElapsed=+30s0ms\
 maxWhenElapsed=+30s0ms when=2023-08-14 08:00:30.000
        window=0 repeatInterval=0 count=0 flags=0x0
        operation=PendingIntent{0a0b0c: PendingIntentRecord{0d0e0f com.example.deferred\
 broadcastIntent}}

  Past-due non-wakeup alarms: (none)
    Number of delayed alarms: 0, total delay time: 0
    Max delay time: 0, max non-interactive time: 0

  Broadcast ref count: 0

  Alarm Stats:
  u0a150:com.example.app +120ms running, 4 wakeups:
    +120ms 4 wakes 4 alarms, last -5m0s0ms:
      *walarm*:com.example.app.EXACT
"""

# Android 8.1 header: no AppStateTracker, "Next wakeup:" instead of "Next wakeup alarm:".
OREO_HEADER = """\
Current Alarm Manager state:
  Settings:
    min_futurity=+5s0ms

  nowRTC=1522714029149=2018-04-02 17:07:09 nowELAPSED=271645365
  Next non-wakeup alarm: +13s417ms = 2018-04-02 17:07:22
  Next wakeup: +30s948ms = 2018-04-02 17:07:40
  Last wakeup: -9s52ms set at -4s336ms
  Num time change events: 1

  Next alarm clock information:\x20

  Pending alarm batches: 1
Batch{5a5a5a num=1 start=271676313 end=271676313 flgs=0x1}:
    ELAPSED_WAKEUP #0: Alarm{6b6b6b type 2 when 271676313 com.example.app}
      tag=*walarm*:com.example.app.KEEPALIVE
      type=2 whenElapsed=+30s948ms when=+30s948ms
      window=0 repeatInterval=0 count=0 flags=0x1
      operation=PendingIntent{7c7c7c: PendingIntentRecord{8d8d8d com.example.app broadcastIntent}}
"""


def test_pending_layout_alarms() -> None:
    dump = alarm.parse(PENDING_DUMP)
    assert dump.layout == "pending"
    pending = [a for a in dump.alarms if a.section == "pending"]
    assert [(a.type, a.package) for a in pending] == [
        ("ELAPSED_WAKEUP", "android"),
        ("RTC_WAKEUP", "com.example.clock"),
        ("ELAPSED", "com.example.app"),
    ]
    clock = pending[1]
    assert clock.trigger == "2024-05-01 17:00:00.000"
    assert clock.when_raw == "1714575600000"
    assert clock.when_elapsed == "+7h6m40s0ms"
    assert clock.flags == 0x3 and clock.flag_names == ["STANDALONE", "WAKE_FROM_IDLE"]
    assert clock.exact_allow_reason == "permission"
    assert clock.fields["alarm_clock"] == "true"
    assert clock.fields["triggerTime"] == "2024-05-01 17:00:00.000"
    assert clock.fields["showIntent"].startswith("PendingIntent{11aa22b")
    assert clock.operation is not None and "com.example.clock" in clock.operation
    assert clock.wakeup

    app = pending[2]
    assert app.trigger == "+1m40s0ms"
    assert app.window == "+15m0s0ms" and app.window_ms == 900_000
    assert app.repeat_interval == 900_000 and app.count == 0
    assert app.flags == 0 and app.flag_names == []
    assert app.tag == "*alarm*:com.example.app.SYNC, idle=yes"
    assert app.policy_when_elapsed["device_idle"] == "+1h0m0s0ms"
    assert app.policy_when_elapsed["battery_saver"] == "+1h0m0s0ms"
    assert app.max_when_elapsed == "+1h15m0s0ms"
    assert app.batch is None


def test_pending_layout_state() -> None:
    dump = alarm.parse(PENDING_DUMP)
    assert dump.force_all_apps_standby is True
    assert dump.app_standby_parole is False
    assert dump.idle_mode is True
    assert dump.idling_until is not None and dump.idling_until.startswith("Alarm{a1b2c3 type 2")
    until = dump.idling_until_alarm
    assert until is not None and until.tag == "*walarm*:DeviceIdleController.deep"
    assert until.flag_names == ["STANDALONE", "ALLOW_WHILE_IDLE_UNRESTRICTED", "IDLE_UNTIL"]
    assert dump.next_wake_from_idle_alarm is not None
    assert dump.next_wake_from_idle_alarm.package == "com.example.clock"
    assert dump.next_wake_from_idle_alarm.trigger == "2024-05-01 17:00:00.000"
    # The repeated idle-until and wake-from-idle alarms are not counted twice.
    assert len(dump.alarms) == 4
    (past_due,) = [a for a in dump.alarms if a.section == "past_due"]
    assert past_due.tag == "*alarm*:TIME_TICK" and past_due.count == 1
    assert dump.next_wakeup == "+1h0m0s0ms = 7200000 = 2024-05-01 10:53:20.000"
    assert dump.next_non_wakeup == "+40s0ms = 3640000 = 2024-05-01 09:54:00.000"
    assert dump.now_rtc == 1714550000000 and dump.now_elapsed == 3600000
    assert dump.pending_alarms_per_uid == {"1000": 1, "u0a150": 1, "u0a201": 1}
    assert [(c.user, c.time, c.pending_send) for c in dump.alarm_clocks] == [
        (0, 1714575600000, False)
    ]
    assert [(s.uid, s.package, s.wakeups) for s in dump.alarm_stats] == [
        ("1000", "android", 12),
        ("u0a201", "com.example.app", 3),
    ]
    assert dump.settings["allow_while_idle_quota"] == "72"


def test_batches_layout() -> None:
    dump = alarm.parse(BATCH_DUMP)
    assert dump.layout == "batches"
    assert [(b.num, b.start, b.end, b.flags) for b in dump.batches] == [
        (1, 560000, 560000, 0x5),
        (2, 600000, 1500000, 0x8),
    ]
    exact, delay, poll, deferred = dump.alarms
    assert (exact.type, exact.package, exact.batch) == ("RTC_WAKEUP", "com.example.app", 0)
    assert exact.trigger == "2023-08-14 08:01:00.000" and exact.when_raw == "1692000060000"
    assert exact.flag_names == ["STANDALONE", "ALLOW_WHILE_IDLE"]
    assert exact.fields["expectedWhenElapsed"] == "+1m0s0ms"
    assert exact.window == "0" and exact.window_ms == 0
    assert delay.listener == "android.app.AlarmManager$ListenerWrapper@1f2e3d"
    assert delay.operation == "null" and delay.batch == 1
    assert poll.type == "ELAPSED" and poll.trigger == "+1m30s0ms"
    assert poll.repeat_interval == 1_200_000 and poll.window_ms == 900_000
    assert deferred.section == "pending_while_idle"
    assert deferred.package == "com.example.deferred" and deferred.type == "RTC"
    assert deferred.batch is None
    assert dump.force_all_apps_standby is False
    assert dump.idle_mode is True
    assert dump.idling_until_alarm is not None
    assert dump.idling_until_alarm.flags == 0x19
    assert dump.alarm_stats[0].package == "com.example.app"


def test_oreo_layout_without_app_state_tracker() -> None:
    dump = alarm.parse(OREO_HEADER)
    assert dump.force_all_apps_standby is None
    assert dump.idling_until is None and dump.idle_mode is False
    assert dump.next_wakeup == "+30s948ms = 2018-04-02 17:07:40"
    (only,) = dump.alarms
    assert (only.type, only.package, only.trigger) == (
        "ELAPSED_WAKEUP",
        "com.example.app",
        "+30s948ms",
    )
    assert dump.for_package("com.example.app") == [only]


def test_empty_pending_list_still_has_layout() -> None:
    text = "Current Alarm Manager state:\n  0 pending alarms: \n  LazyAlarmStore stats:\n"
    dump = alarm.parse(text)
    assert dump.layout == "pending" and dump.alarms == []


@pytest.mark.parametrize("ending", ["\r\n", "\r\r\n"])
def test_line_endings(ending: str) -> None:
    dump = alarm.parse(PENDING_DUMP.replace("\n", ending).encode())
    assert len(dump.alarms) == 4
    assert dump.alarms[1].trigger == "2024-05-01 17:00:00.000"


def test_bugreport_banner_and_bad_bytes() -> None:
    data = (
        b"------ DUMPSYS (dumpsys alarm) ------\nDUMP OF SERVICE alarm:\n"
        + BATCH_DUMP.encode().replace(b"com.example.other.POLL", b"com.example.other.\xfePOLL")
    )
    dump = alarm.parse(data)
    assert len(dump.alarms) == 4
    assert dump.alarms[2].tag is not None and dump.alarms[2].tag.endswith("POLL")


def test_unknown_detail_lines_are_kept() -> None:
    text = OREO_HEADER.replace(
        "      operation=PendingIntent",
        "      vendorBoost=3 reason=screen on\n      just words\n      operation=PendingIntent",
    )
    (only,) = alarm.parse(text).alarms
    assert only.fields["vendorBoost"] == "3" and only.fields["reason"] == "screen on"
    assert only.unparsed == ["just words"]


@pytest.mark.parametrize("text", ["", "Registered 0 jobs:\n", "nothing here\n"])
def test_not_an_alarm_dump(text: str) -> None:
    with pytest.raises(ParseError):
        alarm.parse(text)


def test_to_json() -> None:
    data = alarm.parse(PENDING_DUMP).to_json()
    json.dumps(data)
    assert data["layout"] == "pending"
    assert data["force_all_apps_standby"] is True
    assert data["idling_until"].startswith("Alarm{")
    first = data["alarms"][0]
    for key in ("package", "type", "trigger", "window", "repeat_interval", "flags", "tag"):
        assert key in first
