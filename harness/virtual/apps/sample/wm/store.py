"""WorkManager's DAOs over its database: the queries of WorkSpecDao, WorkTagDao, WorkNameDao,
DependencyDao, SystemIdInfoDao, PreferenceDao and WorkProgressDao that the model uses, with the
same SQL where the order of results matters."""

from __future__ import annotations

import sqlite3
from typing import Any

from harness.virtual.apps.sample.wm.schema import (
    CANCELLED,
    COMPLETED_STATES,
    ENQUEUED,
    LONG_MAX,
    RUNNING,
    SCHEDULE_NOT_REQUESTED_YET,
    STOP_REASON_CANCELLED_BY_APP,
    STOP_REASON_NOT_STOPPED,
    SUCCEEDED,
)
from harness.virtual.apps.sample.wm.spec import WorkSpec


class WorkStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.row_factory = sqlite3.Row

    def _specs(self, sql: str, *params: Any) -> list[WorkSpec]:
        return [WorkSpec.from_row(r) for r in self.conn.execute(sql, params)]

    def _column(self, sql: str, *params: Any) -> list[Any]:
        return [r[0] for r in self.conn.execute(sql, params)]

    # ------------------------------------------------------------------ WorkSpecDao
    def insert(self, spec: WorkSpec) -> None:
        """insertWorkSpec (OnConflictStrategy.IGNORE)."""
        values = spec.row()
        columns = ", ".join(f"`{k}`" for k in values)
        marks = ", ".join("?" for _ in values)
        self.conn.execute(f"INSERT OR IGNORE INTO WorkSpec ({columns}) VALUES ({marks})",
                          list(values.values()))

    def update(self, spec: WorkSpec) -> None:
        """updateWorkSpec."""
        values = spec.row()
        assignments = ", ".join(f"`{k}`=?" for k in values if k != "id")
        params = [v for k, v in values.items() if k != "id"] + [spec.id]
        self.conn.execute(f"UPDATE WorkSpec SET {assignments} WHERE id=?", params)

    def get(self, work_id: str) -> WorkSpec | None:
        specs = self._specs("SELECT * FROM workspec WHERE id=?", work_id)
        return specs[0] if specs else None

    def delete(self, work_id: str) -> None:
        self.conn.execute("DELETE FROM workspec WHERE id=?", (work_id,))

    def state(self, work_id: str) -> int | None:
        row = self.conn.execute("SELECT state FROM workspec WHERE id=?", (work_id,)).fetchone()
        return None if row is None else int(row[0])

    def set_state(self, state: int, work_id: str) -> None:
        self.conn.execute("UPDATE workspec SET state=? WHERE id=?", (state, work_id))

    def set_cancelled_state(self, work_id: str) -> None:
        self.conn.execute(
            f"UPDATE workspec SET stop_reason = CASE WHEN state={RUNNING} THEN "
            f"{STOP_REASON_CANCELLED_BY_APP} ELSE {STOP_REASON_NOT_STOPPED} END, "
            f"state={CANCELLED} WHERE id=?", (work_id,))

    def set_output(self, work_id: str, output: dict[str, Any]) -> None:
        from harness.virtual.apps.sample.wm.data import encode

        self.conn.execute("UPDATE workspec SET output=? WHERE id=?", (encode(output), work_id))

    def set_last_enqueue_time(self, work_id: str, when: int) -> None:
        self.conn.execute("UPDATE workspec SET last_enqueue_time=? WHERE id=?", (when, work_id))

    def increment_run_attempt_count(self, work_id: str) -> None:
        self.conn.execute(
            "UPDATE workspec SET run_attempt_count=run_attempt_count+1 WHERE id=?", (work_id,))

    def reset_run_attempt_count(self, work_id: str) -> None:
        self.conn.execute("UPDATE workspec SET run_attempt_count=0 WHERE id=?", (work_id,))

    def increment_period_count(self, work_id: str) -> None:
        self.conn.execute("UPDATE workspec SET period_count=period_count+1 WHERE id=?",
                          (work_id,))

    def reset_override(self, work_id: str, generation: int) -> None:
        """resetWorkSpecNextScheduleTimeOverride."""
        self.conn.execute(
            f"UPDATE workspec SET next_schedule_time_override={LONG_MAX} WHERE "
            "(id=? AND next_schedule_time_override_generation=?)", (work_id, generation))

    def set_stop_reason(self, work_id: str, reason: int) -> None:
        self.conn.execute("UPDATE workspec SET stop_reason=? WHERE id=?", (reason, work_id))

    def mark_scheduled(self, work_id: str, when: int) -> None:
        self.conn.execute("UPDATE workspec SET schedule_requested_at=? WHERE id=?",
                          (when, work_id))

    def reset_scheduled_state(self) -> None:
        self.conn.execute(
            f"UPDATE workspec SET schedule_requested_at={SCHEDULE_NOT_REQUESTED_YET} "
            f"WHERE state NOT IN {COMPLETED_STATES}")

    def eligible_for_scheduling(self, limit: int) -> list[WorkSpec]:
        """getEligibleWorkForScheduling: enqueued, not yet scheduled, FIFO, within the limit
        of scheduled unfinished work."""
        return self._specs(
            f"SELECT * FROM workspec WHERE state={ENQUEUED} AND schedule_requested_at="
            f"{SCHEDULE_NOT_REQUESTED_YET} ORDER BY last_enqueue_time LIMIT (SELECT MAX(?-COUNT(*)"
            f", 0) FROM workspec WHERE schedule_requested_at<>{SCHEDULE_NOT_REQUESTED_YET} AND "
            f"LENGTH(content_uri_triggers)=0 AND state NOT IN {COMPLETED_STATES})", limit)

    def all_eligible(self, limit: int) -> list[WorkSpec]:
        """getAllEligibleWorkSpecsForScheduling."""
        return self._specs(
            f"SELECT * FROM workspec WHERE state={ENQUEUED} ORDER BY last_enqueue_time LIMIT ?",
            limit)

    def running(self) -> list[WorkSpec]:
        return self._specs(f"SELECT * FROM workspec WHERE state={RUNNING}")

    def recently_completed(self, since: int) -> list[WorkSpec]:
        return self._specs(
            f"SELECT * FROM workspec WHERE last_enqueue_time >= ? AND state IN "
            f"{COMPLETED_STATES} ORDER BY last_enqueue_time DESC", since)

    def unfinished_ids(self) -> list[str]:
        return self._column(f"SELECT id FROM workspec WHERE state NOT IN {COMPLETED_STATES}")

    def unfinished_with_tag(self, tag: str) -> list[str]:
        return self._column(
            f"SELECT id FROM workspec WHERE state NOT IN {COMPLETED_STATES} AND id IN "
            "(SELECT work_spec_id FROM worktag WHERE tag=?)", tag)

    def unfinished_with_name(self, name: str) -> list[str]:
        return self._column(
            f"SELECT id FROM workspec WHERE state NOT IN {COMPLETED_STATES} AND id IN "
            "(SELECT work_spec_id FROM workname WHERE name=?)", name)

    def id_states_for_name(self, name: str) -> list[tuple[str, int]]:
        return [(r[0], int(r[1])) for r in self.conn.execute(
            "SELECT id, state FROM workspec WHERE id IN "
            "(SELECT work_spec_id FROM workname WHERE name=?)", (name,))]

    def specs_with_tag(self, tag: str) -> list[WorkSpec]:
        return self._specs("SELECT * FROM workspec WHERE id IN "
                           "(SELECT work_spec_id FROM worktag WHERE tag=?)", tag)

    def specs_with_name(self, name: str) -> list[WorkSpec]:
        return self._specs("SELECT * FROM workspec WHERE id IN "
                           "(SELECT work_spec_id FROM workname WHERE name=?)", name)

    def unfinished_specs(self) -> list[WorkSpec]:
        return self._specs(f"SELECT * FROM workspec WHERE state NOT IN {COMPLETED_STATES}")

    def has_unfinished(self) -> bool:
        return bool(self._column(
            f"SELECT COUNT(*) > 0 FROM workspec WHERE state NOT IN {COMPLETED_STATES}")[0])

    def prerequisite_outputs(self, work_id: str) -> list[dict[str, Any]]:
        """getInputsFromPrerequisites."""
        from harness.virtual.apps.sample.wm.data import decode

        return [decode(bytes(b)) for b in self._column(
            "SELECT output FROM workspec WHERE id IN "
            "(SELECT prerequisite_id FROM dependency WHERE work_spec_id=?)", work_id)]

    # ------------------------------------------------------------------ tags and names
    def insert_tags(self, work_id: str, tags: list[str]) -> None:
        for tag in tags:
            self.conn.execute("INSERT OR IGNORE INTO WorkTag (tag, work_spec_id) VALUES (?, ?)",
                              (tag, work_id))

    def delete_tags(self, work_id: str) -> None:
        self.conn.execute("DELETE FROM worktag WHERE work_spec_id=?", (work_id,))

    def tags(self, work_id: str) -> list[str]:
        return self._column("SELECT DISTINCT tag FROM worktag WHERE work_spec_id=?", work_id)

    def insert_name(self, name: str, work_id: str) -> None:
        self.conn.execute("INSERT OR IGNORE INTO WorkName (name, work_spec_id) VALUES (?, ?)",
                          (name, work_id))

    def names(self, work_id: str) -> list[str]:
        return self._column("SELECT name FROM workname WHERE work_spec_id=?", work_id)

    # ------------------------------------------------------------------ dependencies
    def insert_dependency(self, work_id: str, prerequisite_id: str) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO Dependency (work_spec_id, prerequisite_id) VALUES (?, ?)",
            (work_id, prerequisite_id))

    def dependents(self, work_id: str) -> list[str]:
        return self._column("SELECT work_spec_id FROM dependency WHERE prerequisite_id=?",
                            work_id)

    def has_dependents(self, work_id: str) -> bool:
        return bool(self._column(
            "SELECT COUNT(*)>0 FROM dependency WHERE prerequisite_id=?", work_id)[0])

    def completed_all_prerequisites(self, work_id: str) -> bool:
        return bool(self._column(
            "SELECT COUNT(*)=0 FROM dependency WHERE work_spec_id=? AND prerequisite_id IN "
            f"(SELECT id FROM workspec WHERE state!={SUCCEEDED})", work_id)[0])

    # ------------------------------------------------------------------ system ids
    def system_id(self, work_id: str, generation: int) -> int | None:
        row = self.conn.execute(
            "SELECT system_id FROM SystemIdInfo WHERE work_spec_id=? AND generation=?",
            (work_id, generation)).fetchone()
        return None if row is None else int(row[0])

    def insert_system_id(self, work_id: str, generation: int, system_id: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO SystemIdInfo (work_spec_id, generation, system_id) "
            "VALUES (?, ?, ?)", (work_id, generation, system_id))

    def remove_system_ids(self, work_id: str) -> None:
        self.conn.execute("DELETE FROM SystemIdInfo WHERE work_spec_id=?", (work_id,))

    def system_id_work_ids(self) -> list[str]:
        return self._column("SELECT DISTINCT work_spec_id FROM SystemIdInfo")

    # ------------------------------------------------------------------ preferences, progress
    def preference(self, key: str) -> int | None:
        row = self.conn.execute("SELECT long_value FROM Preference WHERE `key`=?",
                                (key,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def set_preference(self, key: str, value: int) -> None:
        self.conn.execute("INSERT OR REPLACE INTO Preference (`key`, long_value) VALUES (?, ?)",
                          (key, value))

    def delete_progress(self, work_id: str | None = None) -> None:
        if work_id is None:
            self.conn.execute("DELETE FROM WorkProgress")
        else:
            self.conn.execute("DELETE FROM WorkProgress WHERE work_spec_id=?", (work_id,))

