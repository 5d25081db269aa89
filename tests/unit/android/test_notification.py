"""Unit tests of the ``dumpsys notification`` parser."""

from __future__ import annotations

import json

import pytest

from harness.android import notification
from harness.errors import ParseError

# Android 9 layout: key glued to "appImportanceLocked=", extras at the record level.
PIE_DUMP = """\
Current Notification Manager state:
  Notification List:
    NotificationRecord(0x0c1d2e3f: pkg=com.example.app user=UserHandle{0} id=4101 tag=null\
 importance=2 key=0|com.example.app|4101|null|10201appImportanceLocked=false:\
 Notification(channel=upload pri=0 contentView=null vibrate=null sound=null defaults=0x0\
 flags=0x62 color=0x00000000 category=service vis=PRIVATE))
      uid=10201 userId=0
      icon=Icon(typ=RESOURCE pkg=com.example.app id=0x7f080123)
      flags=0x62
      pri=0
      key=0|com.example.app|4101|null|10201
      seen=true
      groupKey=0|com.example.app|4101|null|10201
      fullscreenIntent=null
      contentIntent=PendingIntent{1a2b3c4: PendingIntentRecord{5d6e7f8 com.example.app\
 startActivity}}
      deleteIntent=null
      tickerText=null
      contentView=null
      color=0x00000000      timeout=unknown
      extras={
          android.title=String
          android.reduced.images=Boolean (true)
          android.text=String
      }
      stats=SingleNotificationStats{posttimeElapsedMs=1000, airtimeCount=1, isNoisy=false}
      mImportance=LOW
      mAttributes= AudioAttributes: usage=USAGE_NOTIFICATION content=CONTENT_TYPE_SONIFICATION\
 flags=0x0 tags= bundle=null
      effectiveNotificationChannel=NotificationChannel{mId='upload', mName=Uploads,\
 mImportance=2, mBypassDnd=false}
      mAdjustments=[]
    NotificationRecord(0x01020304: pkg=com.example.mail user=UserHandle{10} id=-2053458076\
 tag=gig:42:^inbox personal importance=3 key=10|com.example.mail|-2053458076|gig:42:^inbox\
 personal|1010094appImportanceLocked=false: Notification(channel=^mail_user1@example.com pri=0\
 contentView=null vibrate=null sound=null defaults=0x0 flags=0x218 color=0xffdb4437\
 category=email groupKey=gig:42 vis=PRIVATE\
 publicVersion=Notification(channel=^mail_user1@example.com pri=0 flags=0x0 vis=PUBLIC)))
      uid=1010094 userId=10
      flags=0x218
      key=10|com.example.mail|-2053458076|gig:42:^inbox personal|1010094
      mImportance=DEFAULT
\x20\x20
  mUseAttentionLight=false
  mSoundNotificationKey=null
  mArchive=Archive (2 notifications)
    StatusBarNotification(pkg=com.example.news user=UserHandle{0} id=7 tag=null\
 key=0|com.example.news|7|null|10150: Notification(channel=news pri=0 contentView=null\
 vibrate=null sound=null defaults=0x0 flags=0x10 color=0x00000000 vis=PRIVATE))
    StatusBarNotification(pkg=com.example.old user=UserHandle{0} id=2147483647\
 tag=group_key_override\
 key=0|com.example.old|2147483647|group_key_override|10099|ranker_bundle: Notification(pri=0\
 contentView=null vibrate=null sound=null defaults=0x0 flags=0x700 color=0x00000000\
 groupKey=ranker_bundle vis=PRIVATE))
    ...

  Snoozed notifications:

  Ranking Config:
"""

# Android 13 priority ("-critical") section with the nested notification= block, --noredact.
CRITICAL_T = """\
  Notification List:
    NotificationRecord(0x0a0b0c0d: pkg=com.example.rec user=UserHandle{0} id=9001 tag=capture\
 importance=2 key=0|com.example.rec|9001|capture|10210: Notification(channel=capture\
 shortcut=null contentView=null vibrate=null sound=null defaults=0x0 flags=0x62\
 color=0x00000000 vis=PRIVATE))
      uid=10210 userId=0
      opPkg=com.example.rec
      icon=Icon(typ=RESOURCE pkg=com.example.rec id=0x7f08002a)
      flags=0x20062
      originalFlags=0x62
      pri=0
      key=0|com.example.rec|9001|capture|10210
      seen=false
      groupKey=0|com.example.rec|g:capture
      notification=
            fullscreenIntent=null
            contentIntent=null
            number=0
            when=1714550000000
            tickerText=Recording, 2 of 3 = fine
            extras={
                android.title=String (Recording)
                android.text=String (Camera, mic = on)
            }
      publicNotification=
            None
      mImportance=LOW
      effectiveNotificationChannel=NotificationChannel{mId='capture', mName=Capture, mImportance=2}
      shortcut=null found valid? false
"""


def test_posted_records_of_android_9() -> None:
    dump = notification.parse(PIE_DUMP)
    assert [(n.package, n.id) for n in dump.notifications] == [
        ("com.example.app", 4101),
        ("com.example.mail", -2053458076),
    ]
    fgs = dump.notifications[0]
    assert fgs.tag is None
    assert fgs.key == "0|com.example.app|4101|null|10201"
    assert fgs.flags == 0x62
    assert fgs.flag_names == ["ONGOING_EVENT", "NO_CLEAR", "FOREGROUND_SERVICE"]
    assert fgs.foreground_service and fgs.ongoing
    assert fgs.channel == "upload" and fgs.category == "service"
    assert fgs.importance == 2 and fgs.importance_name == "LOW"
    assert fgs.user == 0 and fgs.uid == 10201
    assert fgs.extras["android.reduced.images"] == "Boolean (true)"
    assert fgs.fields["color"] == "0x00000000" and fgs.fields["timeout"] == "unknown"
    assert fgs.fields["mAttributes"].startswith("AudioAttributes: usage=USAGE_NOTIFICATION")
    assert fgs.section == "posted"


def test_tag_with_spaces_and_other_user() -> None:
    mail = notification.parse(PIE_DUMP).for_package("com.example.mail")[0]
    assert mail.tag == "gig:42:^inbox personal"
    assert mail.user == 10 and mail.uid == 1010094
    assert mail.key == "10|com.example.mail|-2053458076|gig:42:^inbox personal|1010094"
    assert mail.flag_names == ["ONLY_ALERT_ONCE", "AUTO_CANCEL", "GROUP_SUMMARY"]
    assert mail.channel == "^mail_user1@example.com"
    assert mail.group_key == "gig:42"
    assert mail.notification["publicVersion"].startswith("Notification(channel=")


def test_archive_is_kept_apart() -> None:
    dump = notification.parse(PIE_DUMP)
    assert [(n.package, n.id, n.section) for n in dump.archived] == [
        ("com.example.news", 7, "archived"),
        ("com.example.old", 2147483647, "archived"),
    ]
    old = dump.archived[1]
    assert old.channel is None  # pre-O notifications have no channel
    assert old.tag == "group_key_override"
    assert old.key == "0|com.example.old|2147483647|group_key_override|10099|ranker_bundle"
    assert dump.state["mArchive"] == "Archive (2 notifications)"


def test_critical_section_of_android_13() -> None:
    dump = notification.parse(CRITICAL_T)
    (rec,) = dump.notifications
    assert (rec.package, rec.id, rec.tag) == ("com.example.rec", 9001, "capture")
    # The record's own flags line wins over the copy in the header.
    assert rec.flags == 0x20062
    assert rec.flag_names == ["ONGOING_EVENT", "NO_CLEAR", "FOREGROUND_SERVICE", "SILENT"]
    assert rec.extras["android.text"] == "String (Camera, mic = on)"
    assert rec.fields["originalFlags"] == "0x62"
    assert rec.fields["opPkg"] == "com.example.rec"
    assert "when" not in rec.fields  # nested under "notification="
    assert rec.channel == "capture"


def test_channel_from_effective_channel_when_header_has_none() -> None:
    text = CRITICAL_T.replace("Notification(channel=capture shortcut=null", "Notification(pri=0")
    (rec,) = notification.parse(text).notifications
    assert rec.channel == "capture"


def test_unknown_flag_bits_are_named_in_hex() -> None:
    assert notification.flag_names(0x40 | 0x100000) == ["FOREGROUND_SERVICE", "0x100000"]
    assert notification.flag_names(0) == []


@pytest.mark.parametrize("ending", ["\r\n", "\r\r\n"])
def test_line_endings(ending: str) -> None:
    dump = notification.parse(PIE_DUMP.replace("\n", ending).encode())
    assert len(dump.notifications) == 2 and len(dump.archived) == 2
    assert dump.notifications[0].extras["android.title"] == "String"


def test_dump_without_notifications() -> None:
    dump = notification.parse("Current Notification Manager state:\n  mUseAttentionLight=false\n")
    assert dump.notifications == [] and dump.archived == []


def test_not_a_notification_dump() -> None:
    with pytest.raises(ParseError):
        notification.parse("Current Alarm Manager state:\n  Settings:\n")


def test_to_json() -> None:
    data = notification.parse(PIE_DUMP).to_json()
    json.dumps(data)
    first = data["notifications"][0]
    for key in ("package", "id", "tag", "flags", "flag_names", "channel", "importance", "user"):
        assert key in first
