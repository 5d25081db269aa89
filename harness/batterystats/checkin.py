"""``dumpsys batterystats -c`` (checkin CSV) into tidy pandas tables.

The aggregate lines are tokenised once for all sections (:mod:`checkin_fields`); each table is
built from its sections on first access with the column schema of the dump's checkin version
(:mod:`checkin_schema`). Times are milliseconds, energies mAh, UIDs kept raw with ``app_id`` and
``user`` beside them (Battery Historian folds users together). Sections this parser does not
know, and fields beyond a known layout, land in the long ``unknown`` table instead of being
dropped.

Versions: the schemas cover checkin 11 (Android 5.1) to 36 (Android 14-16). Two layouts changed
in place rather than by appending: the background-partial wakelock block inserted before the
window block in version 22, and the process-state order of ``st`` in version 29; both are read
by version here (Battery Historian reads them with its version-21 layout).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from harness.batterystats import checkin_schema as schema
from harness.batterystats.bugreport import locate_in_bugreport, looks_like_bugreport
from harness.batterystats.checkin_fields import Fields, SectionRows, read_checkin
from harness.batterystats.checkin_tables import TABLES
from harness.batterystats.history import (
    History,
    history_from_checkin_lines,
    split_checkin_lines,
)
from harness.batterystats.text import ProgressCallback, ProgressReporter, normalize
from harness.errors import ParseError

__all__ = ["TABLES", "CheckinStats", "parse_checkin"]

COMMAND = "dumpsys batterystats -c"


@dataclass
class CheckinStats:
    """A parsed checkin dump. Tables are built on first access and cached.

    ``stats.wakelocks`` or ``stats.table("wakelocks")``; :meth:`tables` builds all of them.
    The table names are the keys of :data:`TABLES`: ``summary``, ``apps``, ``wakelocks``,
    ``aggregated_wakelocks``, ``kernel_wakelocks``, ``wakeup_reasons``, ``rpm_states``,
    ``jobs``, ``job_completions``, ``jobs_deferred``, ``syncs``, ``alarms``, ``services``,
    ``cpu``, ``cpu_freq``, ``processes``, ``process_state_time``, ``network``, ``wifi``,
    ``bluetooth``, ``controllers``, ``sensors``, ``timers``, ``user_activity``, ``power_use``,
    ``steps``, ``time_in_state`` and ``unknown``.
    """

    version: int | None
    parcel_version: int | None
    start_platform: str | None
    end_platform: str | None
    fields: Fields = field(repr=False)
    history: History | None = field(default=None, repr=False)
    redacted: bool = True
    warnings: list[str] = field(default_factory=list)
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            try:
                builder = TABLES[name]
            except KeyError:
                raise KeyError(f"no checkin table {name!r}; known: {sorted(TABLES)}") from None
            self._cache[name] = builder(self)
        return self._cache[name]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: self.table(name) for name in TABLES}

    def rows(self, key: str) -> SectionRows:
        """The raw rows of one section (empty when the dump has none)."""
        return self.fields.view(key)

    def note(self, warning: str) -> None:
        if warning not in self.warnings:
            self.warnings.append(warning)

    @property
    def sections(self) -> dict[str, int]:
        """Row count per section key, in the order the dump first prints them."""
        return {k: b - a for k, (a, b) in self.fields.runs.items()}

    @property
    def unknown_sections(self) -> list[str]:
        return [k for k in self.fields.keys if k not in schema.KNOWN_KEYS]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "parcel_version": self.parcel_version,
            "start_platform": self.start_platform,
            "end_platform": self.end_platform,
            "sections": self.sections,
            "unknown_sections": self.unknown_sections,
            "history": None if self.history is None else self.history.to_json(),
            "warnings": list(self.warnings),
        }


def _table_property(name: str) -> property:
    return property(lambda self: self.table(name), doc=f"The {name!r} table, built on first use.")


for _name in TABLES:
    setattr(CheckinStats, _name, _table_property(_name))


# -- entry point ---------------------------------------------------------------------------------


def _maybe_bugreport(data: str | bytes) -> bool:
    """A cheap necessary condition for :func:`looks_like_bugreport` (both of its markers contain
    one of these literals), so that plain dumps skip its regex scan."""
    if isinstance(data, bytes):
        return b"DUMP OF SERVICE" in data or b"CHECKIN BATTERYSTATS" in data
    return "DUMP OF SERVICE" in data or "CHECKIN BATTERYSTATS" in data


def _int_or_none(s: str | None) -> int | None:
    try:
        return int(s) if s is not None else None
    except ValueError:
        return None


def parse_checkin(
    data: str | bytes,
    *,
    redact: bool = True,
    history: bool = True,
    progress: ProgressCallback | None = None,
) -> CheckinStats:
    """Parse ``dumpsys batterystats -c`` output (or find it inside a bugreport).

    ``redact`` replaces account names and e-mail addresses in sync, job and wakelock names
    (on by default). ``history=False`` skips the ``9,h`` history. ``progress(done, total)`` is
    called with byte counts. Raises :class:`~harness.errors.ParseError` only when there is no
    checkin batterystats output in the input at all.
    """
    reporter = ProgressReporter(progress, len(data))
    if _maybe_bugreport(data) and looks_like_bugreport(data):
        sections = locate_in_bugreport(data)
        if sections.checkin is None:
            raise ParseError(COMMAND, "the bugreport has no CHECKIN BATTERYSTATS section")
        text = sections.checkin.text
        reporter = reporter.scoped(
            sections.checkin.start, sections.checkin.end - sections.checkin.start
        )
    else:
        text = normalize(data)
    fields, has_history = read_checkin(text)
    if fields.row_total == 0 and not has_history:
        first = next((ln for ln in text.split("\n", 50) if ln.strip()), "")
        raise ParseError(
            COMMAND, "no checkin batterystats lines (9,<uid>,<cat>,<key>,...)", 1, first
        )
    reporter.fraction(0.2 if has_history else 0.8)

    version = parcel = None
    start_platform = end_platform = None
    vers = fields.view("vers")
    if vers.n:
        # 9,0,i,vers,<checkin version>,<parcel version>,<start platform>,<end platform>
        values = (vers.row_text(0) + [None] * 4)[:4]
        version, parcel = _int_or_none(values[0]), _int_or_none(values[1])
        start_platform, end_platform = values[2], values[3]
    warnings: list[str] = []
    if fields.skipped_categories:
        warnings.append(
            "rows of deprecated categories skipped (only 'l' and 'i' are read): "
            + ", ".join(f"{k}={v}" for k, v in sorted(fields.skipped_categories.items()))
        )
    if fields.junk_lines:
        warnings.append(f"{fields.junk_lines} lines that are not checkin rows ignored")
    if version is None and fields.row_total:
        warnings.append("no vers line; the newest known layouts are used")
    stats = CheckinStats(
        version=version,
        parcel_version=parcel,
        start_platform=start_platform,
        end_platform=end_platform,
        fields=fields,
        redacted=redact,
        warnings=warnings,
    )
    unknown = stats.unknown_sections
    if unknown:
        warnings.append(f"unknown sections kept in the 'unknown' table: {', '.join(unknown)}")
    if history and has_history:
        sub = reporter.scoped(int(reporter.total * 0.2), int(reporter.total * 0.8))
        lines, is_h, is_hsp = split_checkin_lines(text)
        stats.history = history_from_checkin_lines(
            lines, is_h, is_hsp, version=version, redact=redact, progress=sub
        )
    reporter.finish()
    return stats
