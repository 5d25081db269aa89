"""WorkManagerImpl in the app process: its database, schedulers, processor and start-up.

The sample app removes WorkManager's initializer and implements Configuration.Provider, so
WorkManager initializes at the first ``WorkManager.getInstance`` of the process; SampleApp calls
it in Application.onCreate (see ``WORKMANAGER_AT_PROCESS_START``). Initialization opens the
database (Room, WAL, pruning old finished work), creates the schedulers (SystemJobScheduler,
then GreedyScheduler), registers the rescheduling after every execution
(Schedulers.registerRescheduling), starts the UnfinishedWorkListener (RescheduleReceiver enabled
exactly while unfinished work exists) and runs ForceStopRunnable first on the serial task
executor:

- ``cleanUp``: jobs out of sync are reconciled (after a reboot or a force-stop JobScheduler has
  none of WorkManager's jobs, so all known work is marked unscheduled), RUNNING work (its
  process died mid-run) goes back to ENQUEUED with stop reason UNKNOWN, progress is deleted;
- then: reschedule everything if a migration asked for it; else if the app was force-stopped
  (API 30+: an ApplicationExitInfo REASON_USER_REQUESTED newer than the last one seen)
  reschedule everything; else schedule what cleanUp found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.virtual.apps.sample.hostdb import HostDatabase
from harness.virtual.apps.sample.wm import schema
from harness.virtual.apps.sample.wm.greedy import GreedyScheduler
from harness.virtual.apps.sample.wm.jobs import SystemJobScheduler
from harness.virtual.apps.sample.wm.processor import Processor
from harness.virtual.apps.sample.wm.schema import (
    ENQUEUED,
    LAST_FORCE_STOP,
    MAX_GREEDY_SCHEDULER_LIMIT,
    MAX_SCHEDULER_LIMIT,
    RESCHEDULE_NEEDED,
    SCHEDULE_NOT_REQUESTED_YET,
    STOP_REASON_UNKNOWN,
)
from harness.virtual.apps.sample.wm.store import WorkStore
from harness.virtual.apps.sample.wm.trackers import Trackers

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel

REASON_USER_REQUESTED = 10  # ApplicationExitInfo.REASON_USER_REQUESTED (a force-stop)
RESCHEDULE_RECEIVER = "androidx.work.impl.background.systemalarm.RescheduleReceiver"


class WorkManager:
    def __init__(self, app: SampleAppModel, job_id_range: tuple[int, int]) -> None:
        self.app = app
        self.job_id_range = job_id_range
        path = f"{app.package.data_dir}/{schema.DATABASE}"
        self.db = HostDatabase(app.device, app.package.uid, path, app.device.api_level)
        conn = self.db.open(wal=True)  # Room's JournalMode.AUTOMATIC: WRITE_AHEAD_LOGGING
        # Room turns foreign keys on for databases that have them (CASCADE deletes).
        conn.execute("PRAGMA foreign_keys=ON")
        with self.db.transaction():
            if conn.execute("PRAGMA user_version").fetchone()[0] != schema.ROOM_VERSION:
                schema.create(conn)
            schema.prune(conn, self.now())
        self.store = WorkStore(conn)
        self.processor = Processor(self)
        self.job_scheduler = SystemJobScheduler(self)
        self.greedy = GreedyScheduler(self)
        self.schedulers: list[Any] = [self.job_scheduler, self.greedy]
        self.trackers = Trackers(app.system, self.greedy.constraints_changed)
        self.processor.add_listener(self._reschedule_after)
        self.closed = False
        self._unfinished_check_posted = False

    def start(self) -> None:
        """WorkManagerImpl's constructor queues ForceStopRunnable first on the serial task
        executor, so it runs before any operation the first caller asks for; the
        UnfinishedWorkListener starts collecting the database's unfinished-work flow."""
        self.db.commit_listeners.append(self._on_commit)
        self._post_unfinished_check()
        self.force_stop_runnable()

    # ------------------------------------------------------------------ plumbing
    def now(self) -> int:
        """Configuration.clock.currentTimeMillis: WorkManager's times are wall-clock times."""
        return self.app.device.clock.wall_ms()

    def post(self, name: str, callback: Callable[[], Any]) -> None:
        """Run on the task executor, after the current call returns."""
        self.app.later(0, name, callback)

    def log(self, level: str, tag: str, message: str) -> None:
        # Logger.tagWithPrefix: "WM-" and at most 20 characters of the name; the app's
        # Configuration logs from INFO up.
        if level in "IWEF":
            self.app.device.log.log(level, f"WM-{tag[:20]}", message, pid=self.app.process.pid)

    def close(self) -> None:
        """The process died: its trackers and database connection go with it."""
        self.closed = True
        self.trackers.close()
        if self._on_commit in self.db.commit_listeners:
            self.db.commit_listeners.remove(self._on_commit)
        self.db.close()

    # ------------------------------------------------------------------ RescheduleReceiver
    def set_reschedule_receiver_enabled(self, enabled: bool) -> None:
        """PackageManagerHelper.setComponentEnabled(RescheduleReceiver, enabled): ENABLED or
        DISABLED with DONT_KILL_APP, skipped when the component is already in that state."""
        from harness.virtual.system.packages import (
            COMPONENT_ENABLED_STATE_DISABLED,
            COMPONENT_ENABLED_STATE_ENABLED,
            DONT_KILL_APP,
            PackageManagerService,
        )

        pm = self.app.system.maybe_service(PackageManagerService)
        package = self.app.package.name
        if pm is None or pm.is_component_enabled(package, RESCHEDULE_RECEIVER) == enabled:
            return
        state = COMPONENT_ENABLED_STATE_ENABLED if enabled else COMPONENT_ENABLED_STATE_DISABLED
        pm.set_component_enabled(
            package, RESCHEDULE_RECEIVER, state, DONT_KILL_APP, caller_uid=self.app.package.uid
        )

    def _on_commit(self) -> None:
        # WorkSpecDao.hasUnfinishedWorkFlow re-queries after each invalidation.
        self._post_unfinished_check()

    def _post_unfinished_check(self) -> None:
        """UnfinishedWorkListener: collect hasUnfinishedWorkFlow (conflated, distinct) on a
        coroutine and enable RescheduleReceiver exactly while unfinished work exists."""
        if self._unfinished_check_posted:
            return
        self._unfinished_check_posted = True

        def check() -> None:
            self._unfinished_check_posted = False
            if not self.closed:
                self.set_reschedule_receiver_enabled(self.store.has_unfinished())

        self.post("UnfinishedWorkListener", check)

    # ------------------------------------------------------------------ Schedulers
    def schedule(self) -> None:
        """Schedulers.schedule: mark what the limited schedulers get as scheduled, then hand
        the work to JobScheduler (limited slots) and to the greedy scheduler (all enqueued)."""
        store = self.store
        with self.db.transaction():
            limited = store.eligible_for_scheduling(MAX_SCHEDULER_LIMIT)
            now = self.now()
            for spec in limited:
                store.mark_scheduled(spec.id, now)
            everything = store.all_eligible(MAX_GREEDY_SCHEDULER_LIMIT)
        if limited:
            self.job_scheduler.schedule(limited)
        if everything:
            self.greedy.schedule(everything)

    def _reschedule_after(self, work_id: str, generation: int, needs_reschedule: bool) -> None:
        # Schedulers.registerRescheduling: on the task executor, cancel the work in every
        # scheduler, then schedule newly unblocked work and work that needs rescheduling.
        def run() -> None:
            for scheduler in self.schedulers:
                scheduler.cancel(work_id)
            self.schedule()

        self.post("Schedulers.reschedule", run)

    def reschedule_eligible_work(self) -> None:
        """WorkManagerImpl.rescheduleEligibleWork."""
        self.job_scheduler.cancel_all()
        with self.db.transaction():
            self.store.reset_scheduled_state()
        self.schedule()

    # ------------------------------------------------------------------ ForceStopRunnable
    def force_stop_runnable(self) -> None:
        needs_scheduling = self._clean_up()
        store = self.store
        if store.preference(RESCHEDULE_NEEDED):
            self.reschedule_eligible_work()
            with self.db.transaction():
                store.set_preference(RESCHEDULE_NEEDED, 0)
        elif self._force_stopped():
            self.log("I", "ForceStopRunnable", "Application was force-stopped, rescheduling.")
            self.reschedule_eligible_work()
            with self.db.transaction():
                store.set_preference(LAST_FORCE_STOP, self.now())
        elif needs_scheduling:
            self.schedule()

    def _clean_up(self) -> bool:
        reconciled = self.job_scheduler.reconcile()
        store = self.store
        with self.db.transaction():
            running = store.running()
            for spec in running:
                store.set_state(ENQUEUED, spec.id)
                store.set_stop_reason(spec.id, STOP_REASON_UNKNOWN)
                store.mark_scheduled(spec.id, SCHEDULE_NOT_REQUESTED_YET)
            store.delete_progress()
        return bool(running) or reconciled

    def _force_stopped(self) -> bool:
        """ForceStopRunnable.isForceStopped on API 30+: the process exit reasons the activity
        manager keeps. (Before API 30 WorkManager checks for its sentinel alarm, which needs an
        alarm model; without one, the reconcile of cleanUp reschedules what was lost.)"""
        from harness.virtual.system.activity import ActivityManagerService

        am = self.app.system.maybe_service(ActivityManagerService)
        reasons = getattr(am, "historical_process_exit_reasons", None)
        if self.app.device.api_level < 30 or not callable(reasons):
            return False
        since = self.store.preference(LAST_FORCE_STOP) or 0
        return any(getattr(info, "reason", None) == REASON_USER_REQUESTED
                   and getattr(info, "timestamp_wall_ms", 0) >= since
                   for info in reasons(self.app.package.name))

