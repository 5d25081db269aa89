import json

import pytest

from harness.android import registry
from harness.android.usagestats import parse, parse_get_standby_bucket
from harness.errors import ParseError


def _lines(*lines: str) -> str:
    """Real dumps carry trailing spaces and whitespace-only lines; spell them out."""
    return "\n".join(lines) + "\n"


# Android 9 layout: the standby block sits inside the per-user part, after the stats.
DUMP_API28 = _lines(
    "user=0 ",
    '  Last 24 hour events (timeRange="1/2/2024, 9:00 AM – 1/3/2024, 9:00 AM" )',
    '    time="2024-01-03 08:59:00" type=MOVE_TO_FOREGROUND package=com.example.app'
    " class=.Main flags=0x0 ",
    "  In-memory daily stats",
    '  timeRange="1/3/2024, 12:00 AM – 9:00 AM" ',
    "    packages",
    '      package=com.example.app totalTime="00:10" lastTime="2024-01-03 08:59:00"'
    " appLaunchCount=1 ",
    '      package=com.example.other totalTime="00:00" lastTime="2024-01-02 10:00:00"'
    " appLaunchCount=0 ",
    "  ",
    "  App Standby States:",
    "    package=com.example.app u=0 bucket=10 reason=u-mb used=+1m2s usedScr=+30s"
    " lastPred=+2d0h0m0s0ms activeLeft=+59m0s wsLeft=-1d0h0m0s0ms"
    " lastJob=-24855d3h14m7s933ms idle=n",
    "    package=com.example.other u=0 bucket=40 reason=t used=+3d0h0m0s0ms"
    " usedScr=+1d0h0m0s0ms lastPred=+3d0h0m0s0ms activeLeft=-3d0h0m0s0ms"
    " wsLeft=-3d0h0m0s0ms lastJob=-24855d3h14m7s933ms idle=y",
    "    package=com.android.providers.example u=0 bucket=5 reason=d used=+3d0h0m0s0ms"
    " usedScr=+1d0h0m0s0ms lastPred=+3d0h0m0s0ms activeLeft=-1m0s wsLeft=-3d0h0m0s0ms"
    " lastJob=-24855d3h14m7s933ms idle=n",
    "    ",
    "    totalElapsedTime=+3d0h0m0s0ms",
    "    totalScreenOnTime=+1d0h0m0s0ms",
    "",
    "Carrier privileged apps (have=false): null",
    "",
    "Settings:",
    "  mCheckIdleIntervalMillis=+3h0m0s0ms",
    "  mAppIdleParoleIntervalMillis=+1d0h0m0s0ms",
    "",
    "mAppIdleEnabled=true mAppIdleTempParoled=false mCharging=false mChargingStable=false"
    " mLastAppIdleParoledTime=0",
    "mScreenThresholds=[0, 0, 3600000, 7200000]",
)

# Android 13 layout: one unindented block per user, RESTRICTED (45) exists.
DUMP_API33 = _lines(
    "user=0 ",
    "  In-memory daily stats",
    '  timeRange="12/1/2025, 10:00 – 11:00" ',
    "",
    "User 0 App Standby States:",
    "  package=com.example.app u=0 bucket=45 reason=f-u used=<uninitialized>"
    " usedByUser=<uninitialized> usedScr=<uninitialized> lastPred=<uninitialized>"
    " expiryTimes=(10:-1h0m0s0ms,20:+2h0m0s0ms) lastJob=-24855d3h14m7s545ms"
    " lastInformedBucket=45 idle=y",
    "  package=com.example.other u=0 bucket=20 reason=p used=+5m0s0ms usedByUser=+5m0s0ms"
    " usedScr=+5m0s0ms lastPred=+1h0m0s0ms expiryTimes=<none> lastJob=+1m0s0ms"
    " lastInformedBucket=20 nextEstimatedLaunchTime=+22h0m0s0ms idle=n",
    "  ",
    "  totalElapsedTime=+1h0m0s0ms",
    "  totalScreenOnTime=+40m0s0ms",
    "",
    "User 10 App Standby States:",
    "  package=com.example.app u=10 bucket=30 reason=t used=<uninitialized>"
    " usedByUser=<uninitialized> usedScr=<uninitialized> lastPred=<uninitialized>"
    " expiryTimes=<none> lastJob=-24855d3h14m7s545ms lastInformedBucket=30 idle=y",
    "  ",
    "  totalElapsedTime=+1h0m0s0ms",
    "  totalScreenOnTime=+40m0s0ms",
    "",
    "Carrier privileged apps (have=false): null",
    "",
    "Settings:",
    "  mCheckIdleIntervalMillis=+3h0m0s0ms",
    "",
    "mAppIdleEnabled=true mAllowRestrictedBucket=true mIsCharging=true",
)

# Android 7 layout: no buckets, only the idle flag.
DUMP_API25 = _lines(
    "user=0 ",
    "  In-memory daily stats",
    '  timeRange="2019/1/2 08:00–09:00" ',
    "  Package idle stats:",
    "    package=com.example.app lastUsedElapsed=+1h0m0s0ms lastUsedScreenOn=+30m0s0ms idle=n",
    "    package=com.example.old lastUsedElapsed=+9d0h0m0s0ms lastUsedScreenOn=+3d0h0m0s0ms idle=y",
    "    ",
    "    totalElapsedTime=+10d0h0m0s0ms",
    "    totalScreenOnTime=+4d0h0m0s0ms",
    "",
    "Settings:",
    "  mAppIdleDurationMillis=+12h0m0s0ms",
    "",
    "mAppIdleEnabled=false mAppIdleTempParoled=false mCharging=true mLastAppIdleParoledTime=0",
)


def test_api28_buckets_ignore_in_memory_stats() -> None:
    u = parse(DUMP_API28)
    assert u.buckets == {
        "com.example.app": 10,
        "com.example.other": 40,
        "com.android.providers.example": 5,
    }
    assert u.idle == {
        "com.example.app": False,
        "com.example.other": True,
        "com.android.providers.example": False,
    }
    assert u.entries[0].reason == "u-mb"
    assert u.entries[0].fields["activeLeft"] == "+59m0s"
    assert u.app_idle_enabled is True
    assert u.charging is False
    assert u.settings["mCheckIdleIntervalMillis"] == "+3h0m0s0ms"
    assert u.totals["totalElapsedTime"] == "+3d0h0m0s0ms"


def test_api33_users_are_kept_apart() -> None:
    u = parse(DUMP_API33)
    assert u.buckets == {"com.example.app": 45, "com.example.other": 20}
    assert u.buckets_by_user[10] == {"com.example.app": 30}
    assert u.bucket_of("com.example.app", user=10) == 30
    assert u.bucket_of("com.example.missing") is None
    assert u.entries[0].fields["expiryTimes"] == "(10:-1h0m0s0ms,20:+2h0m0s0ms)"
    assert u.entries[1].fields["nextEstimatedLaunchTime"] == "+22h0m0s0ms"
    assert u.idle["com.example.app"] is True  # user 0's flag
    assert u.charging is True
    assert u.flags["mAllowRestrictedBucket"] == "true"


def test_api25_has_idle_flags_but_no_buckets() -> None:
    u = parse(DUMP_API25)
    assert u.buckets == {}
    assert u.idle == {"com.example.app": False, "com.example.old": True}
    assert u.entries[1].user == 0
    assert u.app_idle_enabled is False
    assert u.charging is True


def test_only_the_buckets_user_when_user_0_is_missing() -> None:
    text = "User 11 App Standby States:\n  package=com.example.app u=11 bucket=10 reason=u idle=n\n"
    assert parse(text).buckets == {"com.example.app": 10}


def test_odd_bucket_value_degrades() -> None:
    text = "User 0 App Standby States:\n  package=com.example.app u=0 bucket=?? idle=n\n"
    u = parse(text)
    assert u.buckets == {}
    assert u.entries[0].fields["bucket"] == "??"


@pytest.mark.parametrize("eol", ["\r\n", "\r\r\n"])
def test_line_endings_and_bytes(eol: str) -> None:
    data = ("DUMP OF SERVICE usagestats:" + eol + DUMP_API28.replace("\n", eol)).encode()
    u = parse(data.replace(b"com.example.other totalTime", b"com.example.\xffother totalTime"))
    assert u.buckets["com.example.app"] == 10
    assert len(u.buckets) == 3


def test_rejects_other_output() -> None:
    with pytest.raises(ParseError):
        parse("")
    with pytest.raises(ParseError):
        parse("Current Battery Service state:\n  level: 5\n")


def test_to_json() -> None:
    out = registry.parse_to_json("usagestats", DUMP_API33)
    json.dumps(out)
    assert out["buckets"] == {"com.example.app": 45, "com.example.other": 20}
    assert out["buckets_by_user"]["10"] == {"com.example.app": 30}


# -- am get-standby-bucket -----------------------------------------------------------------------


def test_get_standby_bucket_single_integer() -> None:
    assert parse_get_standby_bucket("40\n") == 40
    assert parse_get_standby_bucket(b"5\r\n") == 5


def test_get_standby_bucket_listing() -> None:
    text = "com.example.app: 10\ncom.example.other: 45\r\n"
    assert parse_get_standby_bucket(text) == {"com.example.app": 10, "com.example.other": 45}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Error: Unknown option: --foo\n",
        "java.lang.IllegalArgumentException: Cannot get standby bucket\n\tat x.y(Z.java:1)\n",
        "com.example.app: active\n",
    ],
)
def test_get_standby_bucket_rejects_errors(text: str) -> None:
    with pytest.raises(ParseError):
        parse_get_standby_bucket(text)
