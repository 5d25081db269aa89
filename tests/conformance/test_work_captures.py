"""The background-work parsers against every real capture.

Each file must parse, and its key fields must come out; counts are checked against the raw text
rather than against numbers copied from it. A few values read by hand from specific captures are
checked too; those checks skip when that capture is absent.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from harness.android import activity_services, alarm, jobscheduler, notification, workmanager_diag
from harness.android.text import normalize
from tests.conformance.captures import Capture, capture_params, captures_dir


def _text(capture: Capture) -> str:
    return normalize(capture.read_bytes())


def _json(result: Any) -> dict[str, Any]:
    data = result.to_json()
    json.dumps(data)
    return data


def _capture(kind: str, name: str) -> Capture:
    root = captures_dir()
    path = root / kind / name if root else None
    if path is None or not path.is_file():
        pytest.skip(f"capture {kind}/{name} not available")
    return Capture(path, kind, "", "")


# -- jobscheduler -------------------------------------------------------------------------------

_CONSTRAINT_NAME = re.compile(r"^[A-Z][A-Z_]*$")
_SYSTEM_JOB_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"


@pytest.mark.parametrize("capture", capture_params("jobscheduler"))
def test_jobscheduler_capture(capture: Capture) -> None:
    text = _text(capture)
    dump = jobscheduler.parse(capture.read_bytes())
    _json(dump)
    headers = re.findall(r"^\s*JOB #\S+?/-?\d+:", text, re.M)
    assert len(dump.jobs) == len(headers) > 0
    registered = re.search(r"^Registered (\d+) jobs:", text, re.M)
    if registered:
        assert dump.registered_count == int(registered.group(1)) == len(dump.jobs)
    for job in dump.jobs:
        assert job.package, job
        assert isinstance(job.job_id, int)
        assert job.uid and job.uid_number is not None
        assert job.service and "/" in job.service
        # Every full job block prints its constraints; masks never leak into the names.
        assert job.required or job.satisfied, (job.uid, job.job_id)
        for name in job.required + job.satisfied + job.unsatisfied + job.dynamic:
            assert _CONSTRAINT_NAME.match(name), name
        assert job.pending is not None and job.active is not None
        assert job.unparsed == []
    if "DeviceIdleJobsController" in text:
        listed = re.findall(r"^  #\S+ from \S+: \S+ (?:RUNNABLE|WAITING)", text, re.M)
        assert 0 < len(dump.doze) <= len(listed)


def test_jobscheduler_android_13_values() -> None:
    dump = jobscheduler.parse(_capture("jobscheduler", "axxs-mt8168-api33.txt").read_bytes())
    wm = dump.find("com.android.statementservice", 0)[0]
    assert wm.service is not None and wm.service.endswith("/" + _SYSTEM_JOB_SERVICE)
    assert wm.is_workmanager
    assert wm.required == ["IDLE", "CONNECTIVITY"]
    assert wm.satisfied == [
        "DEVICE_NOT_DOZING",
        "BACKGROUND_NOT_RESTRICTED",
        "TARE_WEALTH",
        "WITHIN_QUOTA",
    ]
    assert wm.constraint_masks["required"] == 0x10000004
    assert wm.priority == "400 [HIGH]" and wm.internal_flags == "1 HAS_FOREGROUND_EXEMPTION"
    assert wm.ready == {
        "readyNotDozing": True,
        "readyNotRestrictedInBg": True,
        "readyComponentEnabled": True,
    }
    assert wm.standby_bucket == "ACTIVE" and wm.extras_raw == "mParcelledData.dataSize=180"
    settings = dump.find("com.android.providers.settings", 1)[0]
    assert settings.persisted and sorted(settings.extras)[:2] == ["config", "global"]
    assert settings.standby_bucket == "EXEMPTED"
    assert dump.find("android", 808)[0].min_latency == "+20h57m36s395ms"
    assert dump.idle_mode is False
    assert {(d.uid, d.job_id) for d in dump.doze if d.allowed_in_doze} == {
        ("u0a80", 0),
        ("u0a37", 0),
        ("u0a37", 1),
        ("u0a37", 2),
    }


def test_jobscheduler_docs_excerpt_values() -> None:
    capture = _capture("jobscheduler", "devdocs-youtube-wm-excerpt.txt")
    (job,) = jobscheduler.parse(capture.read_bytes()).jobs
    assert (job.package, job.job_id, job.uid) == ("com.google.android.youtube", 4, "u0a172")
    assert job.required == ["TIMING_DELAY", "CONNECTIVITY"]
    assert job.min_latency == "+1h29m59s687ms" and job.standby_bucket == "RARE"
    assert job.earliest_run_time == "+38m29s834ms" and job.latest_run_time == "none"


def test_jobscheduler_android_7_values() -> None:
    dump = jobscheduler.parse(_capture("jobscheduler", "vivo-x9-api25.txt").read_bytes())
    sync = next(j for j in dump.jobs if j.uid == "1000" and j.job_id == 100697)
    assert sync.package == "com.tencent.edu" and sync.service_package == "android"
    assert sync.source_uid == "u0a170"
    assert sync.periodic is not None and sync.periodic["flex"] == "+1h12m0s0ms"
    assert sync.persisted and sync.earliest_run_time == "4:18:49"
    assert sync.unsatisfied == ["TIMING_DELAY", "DEADLINE"]
    assert sync.pending is False and sync.active is False


def test_jobscheduler_android_8_values() -> None:
    dump = jobscheduler.parse(_capture("jobscheduler", "google-pixel-api27.txt").read_bytes())
    contacts = dump.find("com.google.android.contacts", 10000)[0]
    assert contacts.extras == {"op_code": "10000"}
    assert contacts.last_failed_run == "2018-02-19 18:31:51"
    maps = dump.find("com.google.android.apps.maps", 2131624032)[0]
    assert maps.readiness["comp"] is False and maps.runnable is False
    assert sum(j.doze_whitelisted for j in dump.jobs) == 5


def test_jobscheduler_android_9_values() -> None:
    dump = jobscheduler.parse(_capture("jobscheduler", "sunmi-t2slite-api28.txt").read_bytes())
    backup = dump.find("android", 20536)[0]
    assert backup.required == ["CHARGING", "IDLE", "CONNECTIVITY"]
    assert backup.internal_flags == "1 HAS_FOREGROUND_EXEMPTION"
    assert backup.other["Network"] == "100"
    assert backup.standby_bucket == "ACTIVE" and backup.uid_active


# -- workmanager diagnostics --------------------------------------------------------------------


@pytest.mark.parametrize("capture", capture_params("workmanager_diag"))
def test_workmanager_diag_capture(capture: Capture) -> None:
    text = _text(capture)
    diag = workmanager_diag.parse(capture.read_bytes())
    data = _json(diag)
    uuids = re.findall(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", text)
    assert len(diag.work) == len(uuids) > 0
    assert diag.unparsed == []
    for item in data["work"]:
        assert item["id"] and item["class"] and item["state"] in workmanager_diag.STATES
        assert item["section"] in workmanager_diag.SECTIONS.values()


def test_workmanager_diag_docs_values() -> None:
    capture = _capture("workmanager_diag", "devdocs-testapp-2020.txt")
    diag = workmanager_diag.parse(capture.read_bytes())
    assert diag.sections == ["recently_completed", "running"]
    assert len(diag.in_section("recently_completed")) == 15
    (running,) = diag.in_section("running")
    assert running.id == "b87c8a4f-4ac6-4e25-ba3e-4cea53ce468a"
    assert running.class_name == "androidx.work.impl.workers.DiagnosticsWorker"
    assert running.state == "RUNNING" and running.job_id is None
    assert running.unique_names == []
    toast = diag.by_id("23136bcd-01dd-46eb-b910-0fe8a140c2a4")
    assert toast is not None and toast.tags == ["androidx.work.integration.testapp.ToastWorker"]


# -- alarm --------------------------------------------------------------------------------------

_ALARM_LINE = re.compile(r"^\s*[A-Z_]+ #\d+: Alarm\{", re.M)


@pytest.mark.parametrize("capture", capture_params("alarm"))
def test_alarm_capture(capture: Capture) -> None:
    text = _text(capture)
    dump = alarm.parse(capture.read_bytes())
    data = _json(dump)
    assert len(dump.alarms) == len(_ALARM_LINE.findall(text)) > 0
    if "Pending alarm batches:" in text:
        assert dump.layout == "batches"
        assert len(dump.batches) == len(re.findall(r"^Batch\{", text, re.M))
    elif re.search(r"^\s*\d+ pending alarms:", text, re.M):
        assert dump.layout == "pending"
    for item in dump.alarms:
        assert item.type in ("RTC_WAKEUP", "RTC", "ELAPSED_WAKEUP", "ELAPSED"), item.type
        assert item.package and item.trigger and item.tag
        assert item.when_raw is not None
        # Every layout prints window, repeat interval and flags on the detail line.
        assert item.window is not None and item.flags is not None
        assert item.repeat_interval is not None
        assert item.unparsed == []
    forced = re.search(r"^\s*Force all apps standby: (true|false)$", text, re.M)
    expected = None if forced is None else forced.group(1) == "true"
    assert data["force_all_apps_standby"] is expected
    if "Idling until:" not in text:
        assert data["idling_until"] is None and not dump.idle_mode
    if "Alarm Stats:" in text:
        assert dump.alarm_stats and all(s.package for s in dump.alarm_stats)


def test_alarm_android_13_values() -> None:
    dump = alarm.parse(_capture("alarm", "axxs-mt8168-api33.txt").read_bytes())
    assert dump.layout == "pending"
    assert [a.section for a in dump.alarms].count("past_due") == 1
    tag = "*walarm*:ScheduleConditionProvider.EVALUATE"
    evaluate = next(a for a in dump.alarms if a.tag == tag)
    assert (evaluate.type, evaluate.index, evaluate.package) == ("RTC_WAKEUP", 7, "android")
    assert evaluate.trigger == "2025-12-09 22:00:00.000" and evaluate.when_raw == "1765317600000"
    assert evaluate.flags == 0x9 and evaluate.exact_allow_reason == "policy_permission"
    assert evaluate.policy_when_elapsed["app_standby"] == "-1h7m20s457ms"
    calendar = dump.for_package("com.android.providers.calendar")[0]
    assert calendar.window == "+4h30m0s0ms" and calendar.repeat_interval == 21_600_000
    assert calendar.type == "ELAPSED_WAKEUP" and calendar.trigger == "+4h48m26s995ms"
    assert dump.force_all_apps_standby is False and dump.idling_until is None
    assert dump.pending_alarms_per_uid == {"1000": 4, "u0a33": 1}
    assert dump.now_elapsed == 4293005


def test_alarm_android_8_values() -> None:
    dump = alarm.parse(_capture("alarm", "google-pixel-api27.txt").read_bytes())
    assert dump.layout == "batches" and len(dump.batches) == 44
    assert dump.force_all_apps_standby is None
    zhihu = dump.for_package("com.zhihu.android")[0]
    assert (zhihu.type, zhihu.trigger, zhihu.flags) == ("RTC_WAKEUP", "2018-04-02 17:11:59", 0x1)
    assert zhihu.batch is not None and dump.batches[zhihu.batch].start == 271936072
    assert dump.next_wakeup == "+30s948ms = 2018-04-02 17:07:40"
    gms = next(s for s in dump.alarm_stats if s.package == "com.google.android.gms")
    assert (gms.uid, gms.wakeups) == ("u0a18", 1324)


def test_alarm_android_15_excerpt_values() -> None:
    dump = alarm.parse(_capture("alarm", "tcl-excerpt.txt").read_bytes())
    assert dump.layout == "pending"
    settings = dump.for_package("com.android.settings")[0]
    assert settings.trigger == "2026-07-13 23:00:00.000"
    assert settings.policy_when_elapsed["device_idle"] == "-28m59s680ms"
    nfc = dump.for_package("com.android.nfc")[0]
    assert nfc.window == "+45s0ms" and nfc.repeat_interval == 60000


def test_alarm_head_unit_values() -> None:
    dump = alarm.parse(_capture("alarm", "gwm-haval-headunit-api28.txt").read_bytes())
    assert dump.app_standby_parole is True and dump.force_all_apps_standby is False
    assert len(dump.batches) == 17


# -- activity services --------------------------------------------------------------------------


@pytest.mark.parametrize("capture", capture_params("activity_services"))
def test_activity_services_capture(capture: Capture) -> None:
    text = _text(capture)
    dump = activity_services.parse(capture.read_bytes())
    _json(dump)
    assert len(dump.services) == len(re.findall(r"ServiceRecord\{", text)) > 0
    for svc in dump.services:
        assert svc.package and "/" in svc.name
        assert isinstance(svc.foreground, bool)
        assert svc.name.split("/", 1)[0] == svc.package
    foreground = [s for s in dump.services if s.foreground]
    assert len(foreground) == len(re.findall(r"^\s*isForeground=true", text, re.M))
    assert all(s.foreground_id is not None for s in foreground)
    with_types = [s for s in dump.services if s.types is not None]
    assert len(with_types) == len(re.findall(r"\btypes=(?:0x)?[0-9A-Fa-f]+", text))


def test_activity_services_values() -> None:
    capture = _capture("activity_services", "axxs-mt8168-api33.txt")
    dump = activity_services.parse(capture.read_bytes())
    (logger,) = dump.foreground()
    assert logger.name == "com.debug.loggerui/.framework.DebugLoggerUIService"
    assert logger.foreground_id == 365001 and logger.types is None
    assert logger.allow_start_foreground == "PROC_STATE_TOP" and logger.start_foreground_count == 1

    dump = activity_services.parse(
        _capture("activity_services", "gwm-haval-headunit-api28.txt").read_bytes()
    )
    music = dump.find(name="com.onecar.onlinemusic/.OnlineManagerService")[0]
    assert music.foreground and music.foreground_id == 20001
    assert music.process_name == "com.onecar.onlinemusic:remote"
    assert (music.pid, music.app_uid, music.created_from_fg) == (3991, "u0a36", False)


def test_activity_services_sections_values() -> None:
    capture = _capture("activity_services", "sunmi-t2slite-api28.txt")
    dump = activity_services.parse(capture.read_bytes())
    odd = [(s.package, s.section) for s in dump.services if s.section != "active"]
    assert odd == [
        ("com.meatchop.tmcpartner", "last_anr"),
        ("com.meatchop.tmcpartner", "destroying"),
    ]


# -- notification -------------------------------------------------------------------------------


@pytest.mark.parametrize("capture", capture_params("notification"))
def test_notification_capture(capture: Capture) -> None:
    text = _text(capture)
    dump = notification.parse(capture.read_bytes())
    _json(dump)
    assert len(dump.notifications) == text.count("NotificationRecord(")
    assert len(dump.archived) == text.count("StatusBarNotification(")
    for item in dump.notifications + dump.archived:
        assert item.package and isinstance(item.id, int)
        assert item.key is not None and item.key.split("|")[1] == item.package
        assert item.flag_names == notification.flag_names(item.flags)
    for item in dump.notifications:
        assert item.uid is not None and item.user is not None


def test_notification_values() -> None:
    dump = notification.parse(
        _capture("notification", "axxs-mt8168-api33-critical.txt").read_bytes()
    )
    logger = dump.for_package("com.debug.loggerui")[0]
    assert (logger.id, logger.tag, logger.flags) == (365001, None, 0x68)
    assert "FOREGROUND_SERVICE" in logger.flag_names and "NO_CLEAR" in logger.flag_names
    assert logger.channel == "com.debug.loggerui.notification" and logger.importance == 4

    dump = notification.parse(
        _capture("notification", "sunmi-t2slite-api28-critical.txt").read_bytes()
    )
    ota = dump.for_package("com.sunmi.ota")[0]
    assert (ota.id, ota.flags, ota.channel) == (10000, 0x62, "10000")
    assert ota.key == "0|com.sunmi.ota|10000|null|10019"  # glued "appImportanceLocked" cut off
    assert len(dump.notifications) == 40

    dump = notification.parse(
        _capture("notification", "posiflex-hs3314-api28-critical.txt").read_bytes()
    )
    (adb,) = dump.notifications
    assert (adb.package, adb.id, adb.channel, adb.importance, adb.user) == (
        "android",
        26,
        "DEVELOPER",
        2,
        -1,
    )


def test_notification_archive_only_values() -> None:
    dump = notification.parse(_capture("notification", "vivo-x9-api25.txt").read_bytes())
    assert dump.notifications == []
    first = dump.archived[0]
    assert (first.package, first.id, first.channel) == ("com.vivo.browser", 634659708, None)
