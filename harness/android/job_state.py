"""Parser for ``cmd jobscheduler get-job-state [-u U] [-n NS] PKG JOB_ID``.

The command prints any combination of ``pending``, ``active``, ``user-stopped``, ``backing-up``,
``no-component`` and ``ready``, or ``waiting`` when none applies. It mixes ``print`` and
``println``, so the words come separated by spaces and newlines in release-specific ways; the
output is read as whitespace-separated tokens. Errors are printed on stdout as
``unknown(<pkg>)`` (no such package) or ``unknown(u0a123/jid<id>)`` (no such job).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.android.dumpsys_format import uid_number
from harness.android.text import normalize
from harness.errors import ParseError

COMMAND = "cmd jobscheduler get-job-state"

STATES = ("pending", "active", "user-stopped", "backing-up", "no-component", "ready", "waiting")

_UNKNOWN = re.compile(r"^unknown\((?P<target>.*)\)$")
_UNKNOWN_JOB = re.compile(r"^(?P<uid>[^/]+)/(?:(?P<ns>.+)/)?jid(?P<id>-?\d+)$")


@dataclass
class JobState:
    states: list[str] = field(default_factory=list)  # known words in the order printed
    pending: bool = False
    active: bool = False
    user_stopped: bool = False
    backing_up: bool = False
    no_component: bool = False
    ready: bool = False
    waiting: bool = False
    error: str | None = None  # "no_package" or "no_job"
    unknown_target: str | None = None  # what unknown(...) named
    unknown_package: str | None = None
    unknown_uid: str | None = None
    unknown_uid_number: int | None = None
    unknown_job_id: int | None = None
    unknown_namespace: str | None = None
    other_tokens: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse(text: str | bytes) -> JobState:
    tokens = normalize(text).split()
    result = JobState()
    for token in tokens:
        if token in STATES:
            if token not in result.states:
                result.states.append(token)
            setattr(result, token.replace("-", "_"), True)
            continue
        match = _UNKNOWN.match(token)
        if match:
            _read_unknown(result, match["target"])
            continue
        result.other_tokens.append(token)
    if len(result.other_tokens) > len(STATES):
        # The command prints a handful of words; a page of text is some other output.
        raise ParseError(COMMAND, f"{len(tokens)} words, not a job state", 1, tokens[0])
    if not result.states and result.error is None:
        line = tokens[0] if tokens else ""
        raise ParseError(COMMAND, "no job state word and no unknown(...)", 1 if tokens else 0, line)
    return result


def _read_unknown(result: JobState, target: str) -> None:
    result.unknown_target = target
    job = _UNKNOWN_JOB.match(target)
    if job:
        result.error = "no_job"
        result.unknown_uid = job["uid"]
        result.unknown_uid_number = uid_number(job["uid"])
        result.unknown_job_id = int(job["id"])
        result.unknown_namespace = job["ns"]
    else:
        result.error = "no_package"
        result.unknown_package = target
