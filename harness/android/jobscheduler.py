"""Parser for ``dumpsys jobscheduler``: the registered jobs and their per-job blocks.

Layouts differ by release and all are read:

- API 24-25: ``Earliest run time: 15:02:50`` / ``Latest run time:`` and
  ``Ready: false (job=false pending=false active=false user=true)``; constraint lists have no
  ``[0x...]`` mask and include ``APP_NOT_IDLE`` / ``UNMETERED`` / ``NOT_ROAMING``.
- API 26-30: ``Run time: earliest=..., latest=...``, ``Tracking:``, ``Standby bucket:`` (28+),
  ``Ready: ... (job=.. user=.. !pending=.. !active=.. !backingup=.. comp=..)``.
- API 31+: ``Priority:``, ``Dynamic constraints:``, ``Constraint history:``,
  ``Implicit constraints:``, ``Restricted due to:`` and the ``!restricted=`` readiness flag.

The ``JOB #<uid>/<id>: <hash> <name>`` header names the *calling* uid; ``<name>`` is the
service component for ordinary jobs and the sync tag for SyncManager jobs, so the package is
taken from ``Source: ... pkg=`` whenever it is printed. Jobs are read from the
``JOB #`` blocks wherever they appear, so package-filtered dumps and excerpts parse too.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.dumpsys_format import duration_ms, fields_dict, parse_bool, uid_number
from harness.android.text import indent_of, normalize, strip_dump_header
from harness.errors import ParseError

COMMAND = "dumpsys jobscheduler"

# "JOB #u0a1/2: hash name"; Android 14+ names a namespace as "JOB {ns} #u0a1/2: ...".
_JOB_HEADER = re.compile(
    r"^JOB (?:\{(?P<ns>[^}]*)\} |(?P<ns2>[^\s#{]+?):)?#?(?P<uid>[^/\s#]+)/(?P<id>-?\d+):"
    r"\s*(?P<hash>[0-9a-f]+)?\s*(?P<name>.*)$"
)
_SHORT_ID = re.compile(r"#(?P<uid>[^/\s{}#]+)/(?P<id>-?\d+)")
_WAKELOCK_TAG = re.compile(r"^(?P<uid>\S+) tag=(?P<tag>.*)$")
_CONSTRAINTS = re.compile(
    r"^(?P<kind>Required|Dynamic|Satisfied|Unsatisfied) constraints:(?P<rest>.*)$"
)
_MASK = re.compile(r"\[(0x[0-9a-fA-F]+)\]\s*$")
_READY = re.compile(r"^Ready: (?P<ready>\w+)(?: \((?P<detail>.*)\))?$")
_REGISTERED = re.compile(r"^Registered (?P<count>\d+) jobs:")
_DOZE_ENTRY = re.compile(
    r"^(?:\{(?P<ns>[^}]*)\} )?#(?P<uid>[^/\s]+)/(?P<id>-?\d+) from (?P<source>\S+): (?P<pkg>\S+) "
    r"(?P<state>RUNNABLE|WAITING)(?P<flags>(?: \w+)*)\s*$"
)
_TOP_SECTION = re.compile(r"^\S")


@dataclass
class DozeJobState:
    """One line of the DeviceIdleJobsController section."""

    uid: str
    job_id: int
    source_uid: str
    namespace: str | None
    package: str
    state: str  # RUNNABLE or WAITING
    whitelisted: bool
    allowed_in_doze: bool
    flags: list[str] = field(default_factory=list)


@dataclass
class Job:
    """One registered job as ``JobStatus.dump`` prints it."""

    package: str
    job_id: int
    uid: str | None  # calling uid as printed in the JOB header, e.g. "u0a172" or "1000"
    uid_number: int | None
    namespace: str | None = None
    name: str = ""  # what the header prints after the hash: component or sync tag
    hash: str | None = None
    tag: str | None = None  # wakelock tag, e.g. "*job*/pkg/.Service"
    source_uid: str | None = None
    source_uid_number: int | None = None
    source_user: int | None = None
    source_package: str | None = None
    service: str | None = None  # component as printed, "pkg/.Service"
    # Owner of the job, the package ``cmd jobscheduler run`` wants (``android`` for syncs).
    service_package: str | None = None
    periodic: dict[str, Any] | None = None
    persisted: bool = False
    priority: str | None = None
    bias: str | None = None
    flags: str | None = None
    internal_flags: str | None = None
    requires: dict[str, bool] = field(default_factory=dict)
    trigger_content_uris: list[str] = field(default_factory=list)
    extras: dict[str, str] = field(default_factory=dict)
    extras_raw: str | None = None
    transient_extras: str | None = None
    network: str | None = None
    min_latency: str | None = None
    min_latency_ms: int | None = None
    deadline: str | None = None  # "Max execution delay"
    deadline_ms: int | None = None
    backoff: str | None = None
    has_early_constraint: bool = False
    has_late_constraint: bool = False
    required: list[str] = field(default_factory=list)
    dynamic: list[str] = field(default_factory=list)
    satisfied: list[str] = field(default_factory=list)
    unsatisfied: list[str] = field(default_factory=list)
    constraint_masks: dict[str, int] = field(default_factory=dict)
    constraint_history: list[str] = field(default_factory=list)
    doze_whitelisted: bool = False
    uid_active: bool = False
    exempted_from_standby: bool = False
    tracking: list[str] = field(default_factory=list)
    ready: dict[str, bool] = field(default_factory=dict)  # implicit constraints
    standby_bucket: str | None = None
    enqueue_time: str | None = None
    earliest_run_time: str | None = None
    latest_run_time: str | None = None
    original_latest_run_time: str | None = None
    num_failures: int | None = None
    last_successful_run: str | None = None
    last_failed_run: str | None = None
    restricted_due_to: str | None = None
    runnable: bool | None = None  # the "Ready: <bool>" verdict of JobSchedulerService
    readiness: dict[str, bool] = field(default_factory=dict)  # "(job=.. user=.. ...)" details
    pending: bool | None = None
    active: bool | None = None
    doze_state: str | None = None  # from DeviceIdleJobsController, where printed
    work_items: list[str] = field(default_factory=list)  # "Pending work:" / "Executing work:"
    other: dict[str, str] = field(default_factory=dict)
    unparsed: list[str] = field(default_factory=list)

    @property
    def is_workmanager(self) -> bool:
        return bool(self.service and self.service.endswith(".SystemJobService"))

    @property
    def work_spec_id(self) -> str | None:
        return self.extras.get("EXTRA_WORK_SPEC_ID")


@dataclass
class JobSchedulerDump:
    jobs: list[Job] = field(default_factory=list)
    registered_count: int | None = None
    started_users: list[int] = field(default_factory=list)
    idle_mode: bool | None = None  # DeviceIdleJobsController "Idle mode:"
    doze: list[DozeJobState] = field(default_factory=list)
    pending_queue: list[tuple[str, int]] = field(default_factory=list)
    active_jobs: list[tuple[str, int]] = field(default_factory=list)

    def find(self, package: str, job_id: int | None = None) -> list[Job]:
        """Jobs of ``package`` (source or owner), optionally with one job id."""
        return [
            j
            for j in self.jobs
            if package in (j.package, j.service_package) and (job_id is None or j.job_id == job_id)
        ]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["pending_queue"] = [{"uid": u, "job_id": i} for u, i in self.pending_queue]
        data["active_jobs"] = [{"uid": u, "job_id": i} for u, i in self.active_jobs]
        return data


def parse(text: str | bytes) -> JobSchedulerDump:
    body = strip_dump_header(normalize(text))
    raw_lines = body.split("\n")
    dump = JobSchedulerDump()
    recognized = False

    section = ""
    i = 0
    while i < len(raw_lines):
        line = raw_lines[i]
        stripped = line.strip()
        indent = indent_of(line)
        if _JOB_HEADER.match(stripped):
            block_end = _block_end(raw_lines, i, indent)
            job = _parse_job(stripped, raw_lines[i + 1 : block_end], i + 1)
            if job is not None:
                dump.jobs.append(job)
                recognized = True
            i = block_end
            continue
        if line and _TOP_SECTION.match(line):
            section = stripped
            recognized |= _read_top_line(dump, stripped)
        elif stripped:
            _read_section_line(dump, section, stripped)
        i += 1

    if not recognized and not dump.doze:
        raise ParseError(COMMAND, "no registered jobs or jobscheduler sections found")
    _link(dump)
    return dump


def _block_end(lines: list[str], start: int, header_indent: int) -> int:
    """Index after the last line that belongs to the block opened at ``start``."""
    j = start + 1
    while j < len(lines):
        line = lines[j]
        if line.strip() and indent_of(line) <= header_indent:
            break
        j += 1
    # Trailing blank lines belong to nobody.
    while j > start + 1 and not lines[j - 1].strip():
        j -= 1
    return j


def _read_top_line(dump: JobSchedulerDump, stripped: str) -> bool:
    """Read one unindented line; True when it proves this is a jobscheduler dump."""
    match = _REGISTERED.match(stripped)
    if match:
        dump.registered_count = int(match["count"])
        return True
    if stripped.startswith("Started users:"):
        dump.started_users = [int(x) for x in re.findall(r"-?\d+", stripped.partition(":")[2])]
        return True
    return stripped.startswith(
        ("DeviceIdleJobsController", "Pending queue:", "Active jobs:", "JobScheduler")
    )


def _read_section_line(dump: JobSchedulerDump, section: str, stripped: str) -> None:
    if section.startswith("DeviceIdleJobsController"):
        if stripped.startswith("Idle mode:"):
            dump.idle_mode = parse_bool(stripped.partition(":")[2])
            return
        match = _DOZE_ENTRY.match(stripped)
        if match:
            flags = match["flags"].split()
            dump.doze.append(
                DozeJobState(
                    uid=match["uid"],
                    job_id=int(match["id"]),
                    source_uid=match["source"],
                    namespace=match["ns"],
                    package=match["pkg"],
                    state=match["state"],
                    whitelisted="WHITELISTED" in flags,
                    allowed_in_doze="ALLOWED_IN_DOZE" in flags,
                    flags=flags,
                )
            )
    elif section.startswith("Pending queue"):
        match = _SHORT_ID.search(stripped)
        if stripped.startswith("Pending #") and match:
            dump.pending_queue.append((match["uid"], int(match["id"])))
    elif section.startswith("Active jobs"):
        match = _SHORT_ID.search(stripped)
        idle_slot = re.match(r"^Slot #\d+(?:\(ID=\d+\))?: inactive\b", stripped)
        if stripped.startswith("Slot #") and match and not idle_slot:
            dump.active_jobs.append((match["uid"], int(match["id"])))


def _link(dump: JobSchedulerDump) -> None:
    """Attach what other sections say about a job to the job itself."""
    by_key = {(j.uid, j.job_id): j for j in dump.jobs}
    by_ns_key = {(j.namespace, j.uid, j.job_id): j for j in dump.jobs}
    for entry in dump.doze:
        job = by_ns_key.get((entry.namespace, entry.uid, entry.job_id))
        if job is not None:
            job.doze_state = entry.state
            job.doze_whitelisted = job.doze_whitelisted or entry.whitelisted
    for uid, job_id in dump.pending_queue:
        if (uid, job_id) in by_key:
            by_key[(uid, job_id)].pending = True
    for uid, job_id in dump.active_jobs:
        if (uid, job_id) in by_key:
            by_key[(uid, job_id)].active = True


def _parse_job(header: str, body: list[str], first_line_number: int) -> Job | None:
    match = _JOB_HEADER.match(header)
    if not match:
        return None
    name = match["name"].strip()
    job = Job(
        package="",
        job_id=int(match["id"]),
        uid=match["uid"],
        uid_number=uid_number(match["uid"]),
        namespace=match["ns"] if match["ns"] is not None else match["ns2"],
        name=name,
        hash=match["hash"],
    )
    sub = ""  # the indented sub-block we are in: JobInfo, Implicit, History, Trigger
    base = None
    for offset, line in enumerate(body):
        stripped = line.strip()
        if not stripped:
            continue
        indent = indent_of(line)
        if base is None:
            base = indent
        if indent <= base:
            sub = ""
        try:
            sub = _read_job_line(job, stripped, sub, indent > base)
        except (ValueError, IndexError):
            # One odd line (vendor edits, truncation) must not lose the whole job.
            job.unparsed.append(f"{first_line_number + offset}: {stripped}")

    if job.service and "/" in job.service:
        job.service_package = job.service.split("/", 1)[0]
    elif "/" in name and " " not in name.split("/", 1)[0]:
        job.service_package = name.split("/", 1)[0]
    job.package = job.source_package or job.service_package or name
    return job


def _read_job_line(job: Job, s: str, sub: str, nested: bool) -> str:
    """Apply one stripped line of a job block; returns the sub-block now open."""
    if nested and sub == "history":
        job.constraint_history.append(s)
        return sub
    if nested and sub == "implicit":
        # "expeditedQuotaApproved: X expeditedTareApproved: Y (started as EJ: Z)" holds three.
        text = re.sub(r"\(started as (\w+): (\w+)\)", r"startedAs\1: \2", s)
        pairs = re.findall(r"(\w+): (true|false)\b", text)
        for key, value in pairs:
            job.ready[key] = value == "true"
        if not pairs:
            job.unparsed.append(s)
        return sub
    if nested and sub == "trigger":
        if re.match(r"^[0-9a-f]+ \S+", s):
            job.trigger_content_uris.append(s.split(" ", 1)[1])
            return sub
        sub = "jobinfo"
    if nested and sub in ("jobinfo", "trigger"):
        return _read_jobinfo_line(job, s)
    if nested and sub == "work":
        job.work_items.append(s)
        return sub

    # First-level lines of the job block.
    tag = _WAKELOCK_TAG.match(s)
    if tag and job.tag is None and " " not in tag["uid"]:
        job.tag = tag["tag"]
        return ""
    if s.startswith("Source:"):
        values = fields_dict(s.partition(":")[2].strip())
        job.source_uid = values.get("uid")
        job.source_uid_number = uid_number(job.source_uid)
        user = values.get("user", "")
        job.source_user = int(user) if user.lstrip("-").isdigit() else None
        job.source_package = values.get("pkg")
        return ""
    if s == "JobInfo:":
        return "jobinfo"
    if s.startswith("Constraint history:"):
        return "history"
    if s.startswith("Implicit constraints:"):
        return "implicit"
    if s in ("Pending work:", "Executing work:"):
        return "work"
    match = _CONSTRAINTS.match(s)
    if match:
        rest = match["rest"].strip()
        mask = _MASK.search(rest)
        if mask:
            job.constraint_masks[match["kind"].lower()] = int(mask.group(1), 16)
            rest = rest[: mask.start()].strip()
        setattr(job, match["kind"].lower(), rest.split())
        return ""
    match = _READY.match(s)
    if match:
        job.runnable = parse_bool(match["ready"])
        for key, value in re.findall(r"(!?\w+)=(\w+)", match["detail"] or ""):
            flag = parse_bool(value)
            if flag is None:
                continue
            if key.startswith("!"):
                job.readiness[key[1:]] = not flag
            else:
                job.readiness[key] = flag
        if "pending" in job.readiness:
            job.pending = job.readiness["pending"]
        if "active" in job.readiness:
            job.active = job.readiness["active"]
        return ""
    key, sep, value = s.partition(":")
    value = value.strip()
    if not sep:
        flags = {
            "Uid: active": "uid_active",
            "Is exempted from app standby": "exempted_from_standby",
        }
        if s in flags:
            setattr(job, flags[s], True)
        else:
            job.unparsed.append(s)
        return ""
    if key == "Tracking":
        job.tracking = value.split()
    elif key == "Standby bucket":
        job.standby_bucket = value or None
    elif key == "Enqueue time":
        job.enqueue_time = value
    elif key == "Run time":
        value = value.replace("original latest=", "original_latest=")
        times = fields_dict(value.replace(", ", " "))
        job.earliest_run_time = times.get("earliest")
        job.latest_run_time = times.get("latest")
        job.original_latest_run_time = times.get("original_latest")
    elif key == "Earliest run time":
        job.earliest_run_time = value
    elif key == "Latest run time":
        job.latest_run_time = value
    elif key == "Num failures":
        job.num_failures = int(value)
    elif key == "Last successful run":
        job.last_successful_run = value
    elif key == "Last failed run":
        job.last_failed_run = value
    elif key == "Doze whitelisted":
        job.doze_whitelisted = bool(parse_bool(value))
    elif key == "Uid":
        job.uid_active = value == "active"
    elif key == "Restricted due to":
        job.restricted_due_to = value.rstrip(".").strip() or None
    else:
        job.other[key] = value
    return ""


def _read_jobinfo_line(job: Job, s: str) -> str:
    key, sep, value = s.partition(":")
    value = value.strip()
    if s == "PERSISTED":
        job.persisted = True
    elif s == "Has early constraint":
        job.has_early_constraint = True
    elif s == "Has late constraint":
        job.has_late_constraint = True
    elif s == "Trigger content URIs:":
        return "trigger"
    elif not sep:
        job.unparsed.append(s)
    elif key == "Service":
        job.service = value
    elif key == "PERIODIC":
        period = fields_dict(value)
        job.periodic = {
            "interval": period.get("interval"),
            "flex": period.get("flex"),
            "interval_ms": duration_ms(period.get("interval")),
            "flex_ms": duration_ms(period.get("flex")),
        }
    elif key == "Priority":
        job.priority = value
    elif key == "Bias":
        job.bias = value
    elif key == "Flags":
        job.flags = value
    elif key == "Internal flags":
        job.internal_flags = value
    elif key == "Requires":
        job.requires = {k: v == "true" for k, v in fields_dict(value).items()}
    elif key == "Extras":
        job.extras_raw = value
        job.extras = _bundle(value)
    elif key == "Transient extras":
        job.transient_extras = value
    elif key == "Network type":
        job.network = value
    elif key == "Minimum latency":
        job.min_latency = value
        job.min_latency_ms = duration_ms(value)
    elif key == "Max execution delay":
        job.deadline = value
        job.deadline_ms = duration_ms(value)
    elif key == "Backoff":
        job.backoff = value
    else:
        job.other[f"JobInfo.{key}"] = value
    return "jobinfo"


def _bundle(value: str) -> dict[str, str]:
    """``{k=v, k2=v2}`` or ``PersistableBundle[{...}]``; parcelled bundles give no keys."""
    inner = value.strip()
    match = re.match(r"^\w*(?:Bundle)?\[(.*)\]$", inner)
    if match:
        inner = match.group(1)
    if not (inner.startswith("{") and inner.endswith("}")):
        return {}
    return fields_dict(inner[1:-1], ", ")
