"""Parser for WorkManager's diagnostics dump, as logged under tag ``WM-DiagnosticsWrkr``.

``adb shell am broadcast -a androidx.work.diagnostics.REQUEST_DIAGNOSTICS -p <pkg>`` makes
WorkManager (2.4+) log, at INFO, up to three sections, each only when non-empty::

    Recently completed work:            (finished within the last day)
    Running work:
    Enqueued work:

each followed by one multi-line message holding a tab table::

     Id \\t Class Name\\t Job Id\\t State\\t Unique Name\\t Tags\\t
    <uuid>\\t <worker class>\\t <job id|null>\\t <STATE>\\t <names,comma>\\t <tags,comma>\\t

``Alarm Id`` replaces ``Job Id`` below API 23; WorkManager 2.4 printed no id column at all.

The text may be any logcat format (threadtime, time, brief, tag, long, raw, and Android
Studio's), possibly mixed with other tags: logcat prefixes every line of a multi-line message
with its own header, Android Studio prints the continuation lines bare, and copies of the table
often have their tabs turned into spaces. Rows are therefore anchored on the work state word
rather than on tab positions alone.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.text import normalize
from harness.errors import ParseError

COMMAND = "logcat -s WM-DiagnosticsWrkr"
TAG_SUFFIX = "DiagnosticsWrkr"

STATES = ("ENQUEUED", "RUNNING", "SUCCEEDED", "FAILED", "BLOCKED", "CANCELLED")
SECTIONS = {
    "Recently completed work:": "recently_completed",
    "Running work:": "running",
    "Enqueued work:": "enqueued",
}

_LEVEL = r"[VDIWEFA]"
# Each logcat header format, as (regex with groups tag and msg).
_HEADERS = [
    # threadtime (optionally -v year / -v uid / epoch): "02-13 14:21:37.990  123  456 I Tag: msg"
    re.compile(
        rf"^(?:\d{{4}}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+(?:\S+\s+)?\d+\s+\d+\s+{_LEVEL}\s+"
        r"(?P<tag>.*?)\s*:(?: (?P<msg>.*))?$"
    ),
    re.compile(
        rf"^\d+\.\d+\s+(?:\S+\s+)?\d+\s+\d+\s+{_LEVEL}\s+(?P<tag>.*?)\s*:(?: (?P<msg>.*))?$"
    ),
    # Android Studio (classic): "2020-02-13 14:21:37.990 29528-29660/pkg I/Tag: msg"
    re.compile(
        rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+-\d+/\S*\s+{_LEVEL}/(?P<tag>[^:]*?): "
        r"?(?P<msg>.*)$"
    ),
    # Android Studio (new): "2023-01-01 12:00:00.000  123-456  Tag  pkg  I  msg"
    re.compile(
        rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+-\d+\s+(?P<tag>\S+)\s+\S+\s+{_LEVEL}\s+"
        r"(?P<msg>.*)$"
    ),
    # time: "02-13 14:21:37.990 I/Tag( 123): msg"
    re.compile(
        rf"^(?:\d{{4}}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+{_LEVEL}/(?P<tag>.*?)\(\s*\d+\): "
        r"?(?P<msg>.*)$"
    ),
    # brief: "I/Tag( 123): msg"; tag: "I/Tag: msg"
    re.compile(rf"^{_LEVEL}/(?P<tag>.*?)\(\s*\d+\): ?(?P<msg>.*)$"),
    re.compile(rf"^{_LEVEL}/(?P<tag>[^:(]*?): ?(?P<msg>.*)$"),
]
# long: "[ 02-13 14:21:37.990 123:456 I/Tag ]" then the message lines, then a blank line.
_LONG_HEADER = re.compile(rf"^\[ .*\s{_LEVEL}/(?P<tag>\S+)\s+\]$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COLUMN = re.compile(r"Job Id|Alarm Id|Class Name|Unique Name|Tags|State|Id")


@dataclass
class WorkItem:
    id: str
    class_name: str
    job_id: int | None  # the JobScheduler job id (or alarm id); None for "null" or no column
    state: str
    unique_names: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    section: str = ""  # recently_completed, running, enqueued


@dataclass
class WorkManagerDiagnostics:
    work: list[WorkItem] = field(default_factory=list)
    id_column: str | None = None  # "Job Id", "Alarm Id", or None when not printed
    sections: list[str] = field(default_factory=list)  # sections in the order printed
    unparsed: list[str] = field(default_factory=list)

    def in_section(self, section: str) -> list[WorkItem]:
        return [w for w in self.work if w.section == section]

    def by_id(self, work_id: str) -> WorkItem | None:
        return next((w for w in self.work if w.id == work_id), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for item in data["work"]:
            # "class" is the JSON name; ``class`` cannot be a Python attribute.
            item["class"] = item.pop("class_name")
        return data


def parse(text: str | bytes) -> WorkManagerDiagnostics:
    messages = _diagnostic_lines(normalize(text).split("\n"))
    if messages is None:
        raise ParseError(COMMAND, f"no {TAG_SUFFIX} log lines and no diagnostics table")
    diag = WorkManagerDiagnostics()
    section = ""
    columns: list[str] = []
    pending = ""  # a row cut over several log lines, waiting for its end

    def flush() -> None:
        nonlocal pending
        if pending:
            item = _row(pending, columns, section)
            if item is not None:
                diag.work.append(item)
            else:
                diag.unparsed.append(pending.strip())
        pending = ""

    for message in messages:
        stripped = message.strip()
        if not stripped:
            continue
        if stripped in SECTIONS:
            flush()
            section = SECTIONS[stripped]
            diag.sections.append(section)
            continue
        if stripped.startswith("Id") and "Class Name" in stripped:
            flush()
            columns = _COLUMN.findall(stripped)
            diag.id_column = next((c for c in columns if c in ("Job Id", "Alarm Id")), None)
            continue
        if pending and _starts_row(stripped):
            flush()
        candidate = pending + message if pending else stripped
        unfinished = "\t" in candidate and not candidate.rstrip(" ").endswith("\t")
        if unfinished and _starts_row(candidate.strip()):
            # Tab rows end with a tab; without it the rest is on the next log line.
            pending = candidate
            continue
        pending = candidate
        flush()
    flush()
    return diag


def _starts_row(text: str) -> bool:
    first = re.split(r"[\t ]", text, maxsplit=1)[0]
    return bool(_UUID.match(first))


def _diagnostic_lines(lines: list[str]) -> list[str] | None:
    """Messages logged by the diagnostics worker, headers removed; None when there are none."""
    out: list[str] = []
    untagged: list[str] = []  # lines seen before any logcat header: raw format, or a preamble
    tagged_anything = False
    ours = False  # whether the entry the current bare line continues is ours
    long_entry = False
    for line in lines:
        long_header = _LONG_HEADER.match(line)
        if long_header:
            tagged_anything = True
            ours = long_header["tag"].endswith(TAG_SUFFIX)
            long_entry = True
            continue
        match = None if long_entry else _match_header(line)
        if match is not None:
            tagged_anything = True
            ours = match["tag"].strip().endswith(TAG_SUFFIX)
            if ours:
                out.append(match["msg"] or "")
            continue
        if long_entry and not line.strip():
            long_entry = False
            continue
        if not tagged_anything:
            untagged.append(line)
        elif ours:
            out.append(line)
    if tagged_anything:
        return out or None
    return untagged if _looks_like_diagnostics(untagged) else None


def _match_header(line: str) -> re.Match[str] | None:
    for header in _HEADERS:
        match = header.match(line)
        if match:
            return match
    return None


def _looks_like_diagnostics(lines: list[str]) -> bool:
    """Raw text (no logcat headers) must show a section title or the table header."""
    for line in lines:
        stripped = line.strip()
        if stripped in SECTIONS or (stripped.startswith("Id") and "Class Name" in stripped):
            return True
    return False


def _row(message: str, columns: list[str], section: str) -> WorkItem | None:
    if "\t" in message:
        cells = [c.strip() for c in message.split("\t")]
        if cells and cells[-1] == "":
            cells.pop()  # every row ends with a tab
    else:
        cells = message.split()
    if len(cells) < 3 or not _UUID.match(cells[0]):
        return None
    state_at = next((i for i, c in enumerate(cells) if c in STATES), None)
    if state_at is None or state_at < 2:
        return None
    has_id_column = any(c in ("Job Id", "Alarm Id") for c in columns) or state_at >= 3
    job_id = None
    if has_id_column and state_at >= 3:
        job_id = _int_or_none(cells[2])
    after = cells[state_at + 1 :]
    if "\t" in message:
        names = after[0] if len(after) > 0 else ""
        tags = after[1] if len(after) > 1 else ""
    elif len(after) >= 2:
        names, tags = after[0], " ".join(after[1:])
    else:
        # Spaces hide an empty name column; every work item carries at least its class tag.
        names, tags = "", after[0] if after else ""
    return WorkItem(
        id=cells[0],
        class_name=cells[1],
        job_id=job_id,
        state=cells[state_at],
        unique_names=_list(names),
        tags=_list(tags),
        section=section,
    )


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _list(text: str) -> list[str]:
    text = text.strip()
    if text in ("", "null"):
        return []
    return [part.strip() for part in text.split(",") if part.strip()]
