"""Unit tests of the WorkManager diagnostics parser over the common logcat formats."""

from __future__ import annotations

import json

import pytest

from harness.android import workmanager_diag
from harness.errors import ParseError

ID1 = "6f1c0d22-4b1e-4f43-9a57-2f8e3c1d0b9a"
ID2 = "0a9b8c7d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
ID3 = "11111111-2222-4333-8444-555555555555"

# What DiagnosticsWorker logs: each entry is one Log.i call; tables are multi-line messages.
MESSAGES = [
    "Recently completed work:\n\n",
    "\n Id \t Class Name\t Job Id\t State\t Unique Name\t Tags\t"
    f"\n{ID1}\t com.example.work.SyncWorker\t 12\t SUCCEEDED\t \t "
    "com.example.work.SyncWorker,sync\t",
    "Running work:\n\n",
    "\n Id \t Class Name\t Job Id\t State\t Unique Name\t Tags\t"
    f"\n{ID2}\t com.example.work.UploadWorker\t 13\t RUNNING\t upload-photos\t "
    "com.example.work.UploadWorker\t",
    "Enqueued work:\n\n",
    "\n Id \t Class Name\t Job Id\t State\t Unique Name\t Tags\t"
    f"\n{ID3}\t com.example.work.CleanupWorker\t null\t ENQUEUED\t daily-cleanup,cleanup-v2\t "
    "com.example.work.CleanupWorker,periodic\t",
]
TAG = "WM-DiagnosticsWrkr"


def _threadtime(messages: list[str]) -> str:
    out = []
    for i, message in enumerate(messages):
        for line in message.split("\n"):
            out.append(f"05-01 10:00:0{i}.123  4321  4400 I {TAG}: {line}")
    return "\n".join(out) + "\n"


def _check(diag: workmanager_diag.WorkManagerDiagnostics) -> None:
    assert [(w.id, w.section) for w in diag.work] == [
        (ID1, "recently_completed"),
        (ID2, "running"),
        (ID3, "enqueued"),
    ]
    done, running, queued = diag.work
    assert done.class_name == "com.example.work.SyncWorker"
    assert done.job_id == 12 and done.state == "SUCCEEDED"
    assert done.unique_names == [] and done.tags == ["com.example.work.SyncWorker", "sync"]
    assert running.unique_names == ["upload-photos"] and running.job_id == 13
    assert queued.job_id is None and queued.state == "ENQUEUED"
    assert queued.unique_names == ["daily-cleanup", "cleanup-v2"]
    assert queued.tags == ["com.example.work.CleanupWorker", "periodic"]
    assert diag.id_column == "Job Id"
    assert diag.sections == ["recently_completed", "running", "enqueued"]
    assert diag.unparsed == []


def test_threadtime() -> None:
    _check(workmanager_diag.parse(_threadtime(MESSAGES)))


def test_threadtime_mixed_with_other_tags_and_years() -> None:
    text = _threadtime(MESSAGES).replace("05-01 10:00:03", "2024-05-01 10:00:03")
    noise = "05-01 10:00:02.500  1000  1100 I ActivityManager: Start proc 4321:com.example/u0a201\n"
    lines = text.split("\n")
    text = "\n".join(lines[:4]) + "\n" + noise + "\n".join(lines[4:])
    _check(workmanager_diag.parse(text))


def test_preamble_before_the_first_logcat_line_is_ignored() -> None:
    text = "--------- beginning of main\nsome banner\n" + _threadtime(MESSAGES)
    _check(workmanager_diag.parse(text))


def test_time_brief_and_tag_formats() -> None:
    time_fmt = "".join(
        f"05-01 10:00:00.123 I/{TAG}( 4321): {line}\n" for m in MESSAGES for line in m.split("\n")
    )
    brief = "".join(f"I/{TAG}( 4321): {line}\n" for m in MESSAGES for line in m.split("\n"))
    tag_fmt = "".join(f"I/{TAG}: {line}\n" for m in MESSAGES for line in m.split("\n"))
    for text in (time_fmt, brief, tag_fmt):
        _check(workmanager_diag.parse(text))


def test_raw_format() -> None:
    _check(workmanager_diag.parse("\n".join(MESSAGES) + "\n"))


def test_long_format() -> None:
    text = "".join(f"[ 05-01 10:00:00.123  4321: 4400 I/{TAG} ]\n{m}\n\n" for m in MESSAGES)
    other = "[ 05-01 10:00:00.200  1000: 1100 D/Other ]\nnot ours\n\n"
    _check(workmanager_diag.parse(other + text))


def test_android_studio_format_with_bare_continuation_lines() -> None:
    out = []
    for message in MESSAGES:
        first, *rest = message.split("\n")
        out.append(f"2024-05-01 10:00:00.123 4321-4400/com.example I/{TAG}: {first}")
        out.extend(f"    {line}" for line in rest)
    _check(workmanager_diag.parse("\n".join(out)))


def test_row_split_over_two_log_lines() -> None:
    messages = list(MESSAGES)
    row = messages[5]
    cut = row.index("daily-cleanup,") + len("daily-cleanup,")
    messages[5] = row[:cut]
    messages.insert(6, row[cut:])
    _check(workmanager_diag.parse(_threadtime(messages)))


def test_tabs_turned_into_spaces_and_no_id_column() -> None:
    # WorkManager 2.4 printed no id column; copies often lose the tabs.
    text = (
        f"I/{TAG}: Running work:\n"
        f"I/{TAG}: Id  Class Name   State  Unique Name Tags\n"
        f"    {ID2}     com.example.work.UploadWorker    RUNNING    null    "
        "com.example.work.UploadWorker\n"
        f"    {ID3}     com.example.work.CleanupWorker    ENQUEUED    nightly    a,b\n"
    )
    diag = workmanager_diag.parse(text)
    assert diag.id_column is None
    first, second = diag.work
    assert (first.state, first.job_id, first.unique_names) == ("RUNNING", None, [])
    assert first.tags == ["com.example.work.UploadWorker"]
    assert second.unique_names == ["nightly"] and second.tags == ["a", "b"]


def test_alarm_id_column_below_api_23() -> None:
    text = (
        f"I/{TAG}: Enqueued work:\n"
        f"I/{TAG}:  Id \t Class Name\t Alarm Id\t State\t Unique Name\t Tags\t\n"
        f"I/{TAG}: {ID1}\t com.example.W\t 3\t BLOCKED\t \t com.example.W\t\n"
    )
    diag = workmanager_diag.parse(text)
    assert diag.id_column == "Alarm Id"
    assert diag.work[0].job_id == 3 and diag.work[0].state == "BLOCKED"


@pytest.mark.parametrize("ending", ["\r\n", "\r\r\n"])
def test_line_endings(ending: str) -> None:
    text = _threadtime(MESSAGES).replace("\n", ending)
    _check(workmanager_diag.parse(text.encode()))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "05-01 10:00:00.123  1000  1100 I ActivityManager: nothing to see\n",
        "some random text\nwith no diagnostics\n",
    ],
)
def test_not_diagnostics(text: str) -> None:
    with pytest.raises(ParseError):
        workmanager_diag.parse(text)


def test_to_json() -> None:
    data = workmanager_diag.parse(_threadtime(MESSAGES)).to_json()
    json.dumps(data)
    item = data["work"][2]
    assert item == {
        "id": ID3,
        "class": "com.example.work.CleanupWorker",
        "job_id": None,
        "state": "ENQUEUED",
        "unique_names": ["daily-cleanup", "cleanup-v2"],
        "tags": ["com.example.work.CleanupWorker", "periodic"],
        "section": "enqueued",
    }
