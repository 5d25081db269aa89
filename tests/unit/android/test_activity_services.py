"""Unit tests of the ``dumpsys activity services`` parser."""

from __future__ import annotations

import json

import pytest

from harness.android import activity_services
from harness.errors import ParseError

DUMP = """\
ACTIVITY MANAGER SERVICES (dumpsys activity services)
  Last ANR service:
ServiceRecord{1a2b3c4 u0 com.example.app/.SlowService}
    intent={cmp=com.example.app/.SlowService}
    packageName=com.example.app
    processName=com.example.app
    app=ProcessRecord{5d6e7f8 4321:com.example.app/u0a201}
    createTime=-20s8ms startingBgTimeout=--
    lastActivity=-20s7ms restartTime=-20s7ms createdFromFg=true
    startRequested=true delayedStop=false stopIfKilled=false callStart=false lastStartId=1
    executeNesting=1 executeFg=true executingStart=-20s7ms
    Delivered Starts:
    #0 id=1 dur=-20s7ms dc=1
      intent=Intent { cmp=com.example.app/.SlowService (has extras) }

  User 0 active services:
  * ServiceRecord{2b3c4d5 u0 com.example.app/.sync.UploadService}
    intent={act=com.example.app.UPLOAD cmp=com.example.app/.sync.UploadService}
    packageName=com.example.app
    processName=com.example.app:upload
    baseDir=/data/app/~~abc==/com.example.app-xyz==/base.apk
    dataDir=/data/user/0/com.example.app
    app=ProcessRecord{3c4d5e6 4400:com.example.app:upload/u0a201}
    allowWhileInUsePermissionInFgs=true
    recentCallingPackage=com.example.app
    recentCallingUid=10201
    allowStartForeground=PROC_STATE_TOP
    startForegroundCount=1
    infoAllowStartForeground=[callingPackage: com.example.app; callingUid: 10201; uidState: TOP\
 ; intent: Intent { cmp=com.example.app/.sync.UploadService }; code:PROC_STATE_TOP;\
 tempAllowListReason:<null>; targetSdkVersion:34]
    isForeground=true foregroundId=4101 types=00000001\
 foregroundNoti=Notification(channel=upload shortcut=null contentView=null vibrate=null\
 sound=null defaults=0x0 flags=0x62 color=0x00000000 vis=PRIVATE)
    createTime=-5m2s0ms startingBgTimeout=--
    lastActivity=-5m1s0ms restartTime=-5m1s0ms createdFromFg=true
    startRequested=true delayedStop=false stopIfKilled=false callStart=true lastStartId=2
    Bindings:
    * IntentBindRecord{4d5e6f7 CREATE}:
      intent={cmp=com.example.app/.sync.UploadService}
      binder=android.os.BinderProxy@5e6f708
      requested=true received=true hasBound=true doRebind=false
      * Client AppBindRecord{6f70819 ProcessRecord{3c4d5e6 4400:com.example.app:upload/u0a201}}
        Per-process Connections:
          ConnectionRecord{7081920 u0 CR com.example.app/.sync.UploadService:@8192031}
    All Connections:
      ConnectionRecord{7081920 u0 CR com.example.app/.sync.UploadService:@8192031}

  * ServiceRecord{3c4d5e6 u0 com.example.nav/.NavService c:com.example.nav}
    intent={cmp=com.example.nav/.NavService}
    packageName=com.example.nav
    processName=com.example.nav
    app=ProcessRecord{4d5e6f7 4500:com.example.nav/u0a202}
    isForeground=true foregroundId=7 types=0x40000008 foregroundNoti=Notification(channel=nav\
 pri=0 flags=0x40 vis=PUBLIC)
    createTime=-1h0m0s0ms startingBgTimeout=--
    lastActivity=-1m0s0ms restartTime=-1h0m0s0ms createdFromFg=false

  * ServiceRecord{4d5e6f7 u0 com.example.old/com.example.old.PlayerService}
    intent={cmp=com.example.old/.PlayerService}
    packageName=com.example.old
    processName=com.example.old
    app=ProcessRecord{5e6f708 4600:com.example.old/u0a203}
    isForeground=true foregroundId=1 foregroundNoti=Notification(pri=0 contentView=null\
 vibrate=null sound=null defaults=0x0 flags=0x62 color=0xff607d8b vis=PRIVATE)
    createTime=-10m50s262ms startingBgTimeout=--
    lastActivity=-43s524ms restartTime=-10m48s916ms createdFromFg=false
    startRequested=true delayedStop=false stopIfKilled=false callStart=true lastStartId=1

  * ServiceRecord{5e6f708 u10 com.example.app/.BoundOnly}
    intent={act=com.example.BIND cmp=com.example.app/.BoundOnly}
    packageName=com.example.app
    processName=com.example.app
    permission=android.permission.BIND_JOB_SERVICE
    app=null
    createTime=-1d2h0m0s0ms startingBgTimeout=--
    lastActivity=-1d2h0m0s0ms restartTime=-- createdFromFg=true

  Destroying services:
  * Destroy ServiceRecord{6f70819 u0 com.example.gone/.OldService}
    intent={cmp=com.example.gone/.OldService}
    packageName=com.example.gone
    processName=com.example.gone
    app=null
    createTime=-6m33s818ms startingBgTimeout=--
    lastActivity=-5m14s268ms restartTime=-- createdFromFg=false
    destroying=true destroyTime=-5m14s266ms

  Connection bindings to services:
  * ConnectionRecord{7081920 u0 CR com.example.app/.sync.UploadService:@8192031}
    binding=AppBindRecord{9203142 com.example.app/.sync.UploadService:com.example.app}
    conn=android.os.BinderProxy@8192031 flags=0x1

Active foreground apps - user 0:
  #0: com.example.app
    mNumActive=1 mAppOnTop=false mShownWhileTop=true mShownWhileScreenOn=true
"""


def test_records_and_sections() -> None:
    dump = activity_services.parse(DUMP)
    assert [(s.name, s.section) for s in dump.services] == [
        ("com.example.app/.SlowService", "last_anr"),
        ("com.example.app/.sync.UploadService", "active"),
        ("com.example.nav/.NavService", "active"),
        ("com.example.old/com.example.old.PlayerService", "active"),
        ("com.example.app/.BoundOnly", "active"),
        ("com.example.gone/.OldService", "destroying"),
    ]
    assert [s.name for s in dump.foreground()] == [
        "com.example.app/.sync.UploadService",
        "com.example.nav/.NavService",
        "com.example.old/com.example.old.PlayerService",
    ]


def test_foreground_service_with_types_without_prefix() -> None:
    svc = activity_services.parse(DUMP).find(name="com.example.app/.sync.UploadService")[0]
    assert svc.package == "com.example.app"
    assert svc.foreground is True and svc.foreground_id == 4101
    assert svc.types == 0x1 and svc.types_raw == "00000001" and svc.type_names == ["dataSync"]
    assert svc.foreground_notification is not None
    assert svc.foreground_notification.startswith("Notification(channel=upload")
    assert svc.process_name == "com.example.app:upload"
    assert svc.pid == 4400 and svc.app_uid == "u0a201"
    assert svc.created_from_fg is True and svc.start_requested is True
    assert svc.call_start is True and svc.last_start_id == 2
    assert svc.allow_start_foreground == "PROC_STATE_TOP"
    assert svc.start_foreground_count == 1
    assert svc.fields["infoAllowStartForeground"].startswith("[callingPackage: com.example.app;")
    # Lines of the Bindings sub-records do not leak into the record's fields.
    assert "binder" not in svc.fields and "requested" not in svc.fields


def test_types_with_prefix_and_absent() -> None:
    dump = activity_services.parse(DUMP)
    nav = dump.find("com.example.nav")[0]
    assert nav.types == 0x40000008 and nav.type_names == ["location", "specialUse"]
    old = dump.find(name="com.example.old/.PlayerService")[0]
    assert old.foreground and old.foreground_id == 1
    assert old.types is None and old.types_raw is None and old.type_names == []


def test_plain_and_odd_records() -> None:
    dump = activity_services.parse(DUMP)
    anr = dump.services[0]
    assert anr.section == "last_anr" and not anr.running
    assert anr.fields["executeNesting"] == "1"
    assert "dc" not in anr.fields  # "#0 id=1 ... dc=1" belongs to Delivered Starts
    bound = dump.find(name="com.example.app/.BoundOnly")[0]
    assert bound.user == 10 and bound.app == "null" and bound.pid is None
    assert bound.foreground is False and bound.foreground_id is None
    assert bound.start_requested is None
    gone = dump.find("com.example.gone")[0]
    assert gone.section == "destroying" and gone.fields["destroying"] == "true"


def test_filtered_dump_with_nothing() -> None:
    dump = activity_services.parse(
        "ACTIVITY MANAGER SERVICES (dumpsys activity services)\n  (nothing)\n"
    )
    assert dump.services == []


@pytest.mark.parametrize("ending", ["\r\n", "\r\r\n"])
def test_line_endings(ending: str) -> None:
    dump = activity_services.parse(DUMP.replace("\n", ending).encode("utf-8"))
    assert len(dump.services) == 6
    assert dump.services[1].types == 1


def test_not_a_services_dump() -> None:
    with pytest.raises(ParseError):
        activity_services.parse("Current Alarm Manager state:\n")
    with pytest.raises(ParseError):
        activity_services.parse(b"")


def test_to_json() -> None:
    data = activity_services.parse(DUMP).to_json()
    json.dumps(data)
    svc = data["services"][1]
    for key in ("package", "name", "foreground", "foreground_id", "types"):
        assert key in svc
    assert svc["types"] == 1
