"""``dumpsys notification [--noredact]`` of the virtual NotificationManagerService.

NotificationManagerService.dumpImpl: ``Current Notification Manager state:``, then (when
anything is posted) ``Notification List:`` with one NotificationRecord.dump per notification,
then the manager state lines and the archive. Two record layouts, from the captures: the
Android 8/9 one (flat notification fields, redacted text as ``String``; Android 9 glues
``appImportanceLocked=`` to the key, a real bug the parser copes with) and the Android 12+ one
(``opPkg=``, a ``notification=`` block, redacted text as ``String [length=N]``, Android 13's
``originalFlags=``). ``--noredact`` prints the text: ``String (text)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.notification import (
    ARCHIVE_SIZE,
    IMPORTANCE_NAMES,
    NotificationRecord,
    notification_string,
)

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.notification import NotificationManagerService

_CHANNEL_TAIL = (
    "mBypassDnd=false, mLockscreenVisibility=-1000, "
    "mSound=content://settings/system/notification_sound, mLights=false, mLightColor=0, "
    "mVibration=null, mUserLockedFields=0, mFgServiceShown=false, mVibrationEnabled=false, "
    "mShowBadge=true, mDeleted=false"
)


def _header(api: int, r: NotificationRecord) -> str:
    glued = "appImportanceLocked=false" if api == 28 else ""
    return (
        f"NotificationRecord(0x{r.hash}: pkg={r.package} user=UserHandle{{0}} id={r.id} "
        f"tag={r.tag or 'null'} importance={r.importance} key={r.key}{glued}: "
        f"{notification_string(api, r.channel_id, r.flags, r.category)})"
    )


def _text(api: int, value: str, redact: bool) -> str:
    if not redact:
        return f"String ({value})"
    return f"String [length={len(value)}]" if api >= 31 else "String"


def _extras(api: int, r: NotificationRecord, redact: bool) -> list[str]:
    lines = []
    if r.title:
        lines.append(f"android.title={_text(api, r.title, redact)}")
    if r.text:
        lines.append(f"android.text={_text(api, r.text, redact)}")
    lines.append("android.reduced.images=Boolean (true)")
    return lines


def _channel(r: NotificationRecord) -> str:
    return (
        f"NotificationChannel{{mId='{r.channel_id}', mName={r.channel_id}, mDescription=, "
        f"mImportance={r.importance}, {_CHANNEL_TAIL}}}"
    )


def _stats(r: NotificationRecord) -> str:
    return (
        f"SingleNotificationStats{{posttimeElapsedMs={r.post_elapsed}, "
        "posttimeToFirstClickMs=-1, posttimeToDismissMs=-1, airtimeCount=0, airtimeMs=0, "
        "currentAirtimeStartElapsedMs=-1, airtimeExpandedMs=0, "
        "posttimeToFirstVisibleExpansionMs=-1, currentAirtimeExpandedStartElapsedMs=-1, "
        f"requestedImportance={r.importance}, naturalImportance={r.importance}, isNoisy=false}}"
    )


def record_lines(api: int, r: NotificationRecord, redact: bool) -> list[str]:
    """NotificationRecord.dump at the list's indent (4), fields at 6."""
    f = "      "
    out = [f"    {_header(api, r)}", f"{f}uid={r.uid} userId=0"]
    if api >= 31:
        out.append(f"{f}opPkg={r.package}")
    out.append(f"{f}icon=Icon(typ=RESOURCE pkg={r.package} id=0x7f080001)")
    out.append(f"{f}flags=0x{r.flags:x}")
    if api >= 33:
        out.append(f"{f}originalFlags=0x{r.original_flags:x}")
    out += [f"{f}pri=0", f"{f}key={r.key}", f"{f}seen=false", f"{f}groupKey={r.key}"]
    intents = [
        "fullscreenIntent=null",
        "contentIntent=null",
        "deleteIntent=null",
    ]
    views = ["tickerText=null", "contentView=null", "bigContentView=null",
             "headsUpContentView=null"]  # fmt: skip
    if api >= 31:
        deep = f + "      "
        out.append(f"{f}notification=")
        out += [deep + line for line in intents]
        out += [f"{deep}number=0", f"{deep}groupAlertBehavior=0", f"{deep}when={r.post_wall}"]
        out += [deep + line for line in views]
        out += [f"{deep}color=0x00000000", f"{deep}timeout=unknown", f"{deep}extras={{"]
        out += [f"{deep}    {line}" for line in _extras(api, r, redact)]
        out += [f"{deep}}}", f"{f}publicNotification=", f"{deep}None"]
    else:
        out += [f + line for line in intents + views]
        out.append(f"{f}color=0x00000000      timeout=unknown")
        out.append(f"{f}extras={{")
        out += [f"{f}    {line}" for line in _extras(api, r, redact)]
        out.append(f"{f}}}")
    out.append(f"{f}stats={_stats(r)}")
    importance = IMPORTANCE_NAMES.get(r.importance, str(r.importance))
    out += [
        f"{f}mContactAffinity=0.0",
        f"{f}mRecentlyIntrusive=false",
        f"{f}mPackagePriority=0",
        f"{f}mPackageVisibility=-1000",
    ]
    if api >= 31:
        out += [f"{f}mSystemImportance=UNSPECIFIED", f"{f}mAsstImportance=UNSPECIFIED"]
    else:
        out.append(f"{f}mUserImportance=UNSPECIFIED")
    out += [f"{f}mImportance={importance}", f"{f}mImportanceExplanation=app"]
    if api >= 28:
        out.append(f"{f}mIsAppImportanceLocked=false")
    out.append(f"{f}mIntercept=false")
    if api >= 28:
        out.append(f"{f}mHidden==false")
    out += [
        f"{f}mGlobalSortKey=intrsv=1:grnk=0x0000:gsmry=0:nsk:rnk=0x0000",
        f"{f}mRankingTimeMs={r.post_wall}",
        f"{f}mCreationTimeMs={r.post_wall}",
        f"{f}mVisibleSinceMs=0",
        f"{f}mUpdateTimeMs={r.post_wall}",
    ]
    if api >= 28:
        out.append(f"{f}mInterruptionTimeMs={r.post_wall}")
    out += [
        f"{f}mSuppressedVisualEffects= 0",
        f"{f}mSound= content://settings/system/notification_sound",
        f"{f}mVibration= null",
        f"{f}mAttributes= AudioAttributes: usage=USAGE_NOTIFICATION "
        "content=CONTENT_TYPE_SONIFICATION flags=0x800 tags= bundle=null",
        f"{f}mLight= null",
        f"{f}mShowBadge=true",
        f"{f}mColorized=false",
    ]
    if api >= 31:
        out += [f"{f}mAllowBubble=false", f"{f}isBubble=false"]
    if api >= 28:
        out.append(f"{f}mIsInterruptive=false")
    out += [f"{f}effectiveNotificationChannel={_channel(r)}", f"{f}mAdjustments=[]"]
    if api >= 31:
        out.append(f"{f}shortcut=null found valid? false")
    return out


def _sbn(api: int, r: NotificationRecord) -> str:
    """StatusBarNotification.toString, as the archive prints it."""
    return (
        f"StatusBarNotification(pkg={r.package} user=UserHandle{{0}} id={r.id} "
        f"tag={r.tag or 'null'} key={r.key}: "
        f"{notification_string(api, r.channel_id, r.flags, r.category)})"
    )


def dump_lines(svc: NotificationManagerService, args: list[str]) -> list[str]:
    api = svc.api_level
    redact = "--noredact" not in args
    out = ["Current Notification Manager state:"]
    if svc.records:
        out.append("  Notification List:")
        for record in svc.records:
            out += record_lines(api, record, redact)
        out.append("  ")
    out.append("  mUseAttentionLight=false")
    if api >= 28:
        out.append("  mHasLight=false")
    out += [
        "  mNotificationPulseEnabled=true",
        "  mSoundNotificationKey=null",
        "  mVibrateNotificationKey=null",
        "  mDisableNotificationEffects=false",
        "  mCallState=CALL_STATE_IDLE",
        "  mSystemReady=true",
        "  mMaxPackageEnqueueRate=5.0",
    ]
    if api >= 31:
        out.append("  hideSilentStatusBar=false")
    out.append(f"  mArchive=Archive ({len(svc.archive)} notifications)")
    for i, record in enumerate(svc.archive[:ARCHIVE_SIZE]):
        if i >= 5:
            out.append("    ...")
            break
        out.append(f"    {_sbn(api, record)}")
    out += ["", "  Snoozed notifications:", "", "  Ranking Config:"]
    return out


def dump(svc: NotificationManagerService, inv: Invocation, args: list[str]) -> int:
    for line in dump_lines(svc, args):
        inv.outln(line)
    return 0
