"""The cached-apps freezer (CachedAppOptimizer's freezer half, Android 11+).

A process whose oom adj falls to the cached range is frozen (cgroup freezer) once a debounce
has passed; a frozen process runs no code of its own: Handler messages and coroutine delays
that come due wait until it is thawed, then run at once (overdue). Anything that brings the
process out of the cached range thaws it, and a binder call into it (a broadcast delivered,
a provider call) thaws it for at least the debounce.

What the model follows:

- OomAdjuster.updateAppFreezeStateLSP: freeze (``freezeAppAsyncLSP``, after the debounce)
  when curAdj >= CACHED_APP_MIN_ADJ (900); unfreeze (``unfreezeAppLSP``) when the adj leaves
  the cached range. The model's "cached": alive, not the top activity, no foreground service,
  no started service (started-services: SERVICE_ADJ; the "cch-started-ui-services" case of an
  app that showed UI and the 30 min MAX_SERVICE_INACTIVITY are not modelled), no running job
  (the JobService binding from system_server), not the home app. A receiver running is an
  instant in the model, handled as a temporary unfreeze (below).
- CachedAppOptimizer.freezeAppAsyncLSP: the freeze is posted DEBOUNCE later
  (updateEarliestFreezableTime: never before the earliest freezable time).
- CachedAppOptimizer.unfreezeTemporarily (UNFREEZE_REASON_START_RECEIVER, GET_PROVIDER, ...):
  unfreeze now and freeze again no earlier than now + debounce.
- CachedAppOptimizer.updateUseFreezer: Settings.Global.CACHED_APPS_FREEZER_ENABLED
  (``cached_apps_freezer``) "disabled" turns it off, "enabled" on, anything else
  ("device_default", unset) follows DeviceConfig activity_manager_native_boot/use_freezer, whose
  DEFAULT_USE_FREEZER the model takes as true from Android 14 (the reference's "enabled by
  default on Android 14+") and false before. Debounce: freeze_debounce_timeout, default
  DEFAULT_FREEZER_DEBOUNCE_TIMEOUT = 10_000 ms on Android 14+ (600_000 ms on 12/13).
  Turning the freezer off thaws every process (enableFreezer(false)).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.virtual.clock import Timer
from harness.virtual.system.base import SystemService, system_service
from harness.virtual.system.packages import LAUNCHER_PACKAGE

if TYPE_CHECKING:
    from harness.virtual.system.activity import ProcessRecord

log = logging.getLogger(__name__)

SETTING = "cached_apps_freezer"  # Settings.Global.CACHED_APPS_FREEZER_ENABLED
NATIVE_BOOT = "activity_manager_native_boot"  # DeviceConfig.NAMESPACE_ACTIVITY_MANAGER_NATIVE_BOOT
KEY_USE_FREEZER = "use_freezer"
KEY_FREEZER_DEBOUNCE_TIMEOUT = "freeze_debounce_timeout"
DEFAULT_FREEZER_DEBOUNCE_TIMEOUT_MS = 10_000  # Android 14+
LEGACY_FREEZER_DEBOUNCE_TIMEOUT_MS = 600_000  # Android 12/13
FREEZER_MIN_API = 30  # Android 11: CachedAppOptimizer's freezer
FREEZER_DEFAULT_ON_API = 34

# CachedAppOptimizer.UNFREEZE_REASON_* the model uses (names only; statsd codes not modelled).
REASON_ACTIVITY = "activity"
REASON_START_RECEIVER = "start_receiver"
REASON_START_SERVICE = "start_service"
REASON_GET_PROVIDER = "get_provider"
REASON_PROCESS_END = "process_end"
REASON_OOM_ADJ = "oom_adj"  # fgs, a job, a service: the adj left the cached range
REASON_DISABLED = "freezer_disabled"


@system_service
class CachedAppOptimizer(SystemService):
    """Per app process: frozen or not; the debounce timer of a pending freeze."""

    order = 21  # after the activity manager (20) and active services (19)
    min_api = FREEZER_MIN_API

    def __init__(self, system):  # type: ignore[no-untyped-def]
        super().__init__(system)
        self._pending: dict[int, Timer] = {}  # pid -> the pending freeze (isPendingFreeze)
        self._earliest: dict[int, int] = {}  # pid -> earliest freezable time (elapsed)
        self._jobs: dict[str, int] = {}  # package -> running jobs

    def start(self) -> None:
        bus = self.system.bus
        bus.subscribe("top_changed", self._on_top_changed)
        bus.subscribe("process_started", self._on_changed)
        bus.subscribe("process_died", self._on_process_died)
        bus.subscribe("fgs_started", self._on_changed)
        bus.subscribe("fgs_stopped", self._on_changed)
        bus.subscribe("service_started", self._on_service_started)
        bus.subscribe("service_stopped", self._on_changed)
        bus.subscribe("job_started", self._on_job_started)
        bus.subscribe("job_stopped", self._on_job_stopped)
        bus.subscribe("process_binder_call", self._on_binder_call)
        bus.subscribe("setting_changed", self._on_setting_changed)
        bus.subscribe("device_config_changed", self._on_setting_changed)

    def shutdown(self) -> None:
        for timer in self._pending.values():
            timer.cancel()
        self._pending.clear()

    # ---------------------------------------------------------------- configuration
    def use_freezer(self) -> bool:
        """CachedAppOptimizer.updateUseFreezer (isFreezerSupported: the model always is)."""
        from harness.virtual.system.settings import SettingsService

        settings = self.system.maybe_service(SettingsService)
        override = settings.get("global", SETTING) if settings is not None else None
        if override == "disabled":
            return False
        if override == "enabled":
            return True
        flag = self._device_config(KEY_USE_FREEZER)
        if flag is not None and flag.strip().lower() in ("true", "false"):
            return flag.strip().lower() == "true"
        return self.api_level >= FREEZER_DEFAULT_ON_API

    def debounce_ms(self) -> int:
        """CachedAppOptimizer.updateFreezerDebounceTimeout (mFreezerDebounceTimeout)."""
        default = (
            DEFAULT_FREEZER_DEBOUNCE_TIMEOUT_MS
            if self.api_level >= FREEZER_DEFAULT_ON_API
            else LEGACY_FREEZER_DEBOUNCE_TIMEOUT_MS
        )
        value = self._device_config(KEY_FREEZER_DEBOUNCE_TIMEOUT)
        try:
            parsed = int(value) if value is not None else default
        except ValueError:
            parsed = default
        return parsed if parsed >= 0 else default

    def _device_config(self, key: str) -> str | None:
        from harness.virtual.system.device_config import DeviceConfigService

        dc = self.system.maybe_service(DeviceConfigService)
        return dc.get(NATIVE_BOOT, key) if dc is not None else None

    # ---------------------------------------------------------------- state
    def is_frozen(self, package: str) -> bool:
        rec = self._am().process_of(package)
        return rec is not None and rec.frozen

    def is_pending_freeze(self, package: str) -> bool:
        rec = self._am().process_of(package)
        return rec is not None and rec.pid in self._pending

    def is_cached(self, rec: ProcessRecord) -> bool:
        """The model's curAdj >= CACHED_APP_MIN_ADJ (see the module docstring)."""
        from harness.virtual.system.active_services import ActiveServices

        if not rec.alive or rec.package == LAUNCHER_PACKAGE:
            return False
        am = self._am()
        if am.is_top(rec.package):
            return False
        if self._jobs.get(rec.package, 0) > 0:
            return False
        services = self.system.maybe_service(ActiveServices)
        return not (
            services is not None
            and any(r.is_foreground or r.start_requested for r in services.running(rec.package))
        )

    def update(self, package: str, reason: str = REASON_OOM_ADJ) -> None:
        """OomAdjuster.updateAppFreezeStateLSP for the package's process."""
        rec = self._am().process_of(package)
        if rec is None:
            return
        if not self.use_freezer() or not self.is_cached(rec):
            self._cancel_pending(rec.pid)
            if rec.frozen:
                self._unfreeze(rec, reason)
            return
        if not rec.frozen and rec.pid not in self._pending:
            self._freeze_async(rec)

    def unfreeze_temporarily(self, package: str, reason: str) -> None:
        """CachedAppOptimizer.unfreezeTemporarily: thaw now; freeze again no earlier than
        now + debounce (if still cached then, which the closing update decides)."""
        rec = self._am().process_of(package)
        if rec is None:
            return
        if self.use_freezer():
            now = self.device.clock.elapsed_ms()
            earliest = max(self._earliest.get(rec.pid, 0), now + self.debounce_ms())
            self._earliest[rec.pid] = earliest
            self._cancel_pending(rec.pid)
            if rec.frozen:
                self._unfreeze(rec, reason)
        self.update(package, reason)

    # ---------------------------------------------------------------- freeze / unfreeze
    def _freeze_async(self, rec: ProcessRecord) -> None:
        """CachedAppOptimizer.freezeAppAsyncLSP: SET_FROZEN_PROCESS_MSG after the debounce
        (updateEarliestFreezableTime)."""
        now = self.device.clock.elapsed_ms()
        when = max(self._earliest.get(rec.pid, 0), now + self.debounce_ms())
        self._earliest[rec.pid] = when
        self._pending[rec.pid] = self.call_at(
            when, "CachedAppOptimizer.freeze", lambda: self._freeze_due(rec)
        )

    def _freeze_due(self, rec: ProcessRecord) -> None:
        """FreezeHandler.freezeProcess: re-checks the adj before freezing."""
        self._pending.pop(rec.pid, None)
        if not rec.alive or rec.frozen or not self.use_freezer() or not self.is_cached(rec):
            return
        rec.frozen = True
        self._log(f"freezing {rec.pid} {rec.package}")

    def _unfreeze(self, rec: ProcessRecord, reason: str) -> None:
        """CachedAppOptimizer.unfreezeAppLSP: the process runs again; its Looper delivers the
        messages that came due while it was frozen, oldest first."""
        rec.frozen = False
        self._log(f"sync unfroze {rec.pid} {rec.package} for {reason}")
        waiting, rec.thaw_callbacks = rec.thaw_callbacks, []
        for callback in waiting:
            self.call_later(0, f"{rec.package}:thawed", callback)

    def _cancel_pending(self, pid: int) -> None:
        timer = self._pending.pop(pid, None)
        if timer is not None:
            timer.cancel()

    def _log(self, message: str) -> None:
        # CachedAppOptimizer logs these with Slog.d(TAG_AM) only under DEBUG_FREEZER; the
        # model keeps them out of logcat and in the Python log.
        log.debug("%s", message)

    def _am(self):  # type: ignore[no-untyped-def]
        from harness.virtual.system.activity import ActivityManagerService

        return self.system.service(ActivityManagerService)

    # ---------------------------------------------------------------- events
    def _on_top_changed(self, package: str, **_: object) -> None:
        for pkg in list(self._am().processes):
            self.update(pkg, REASON_ACTIVITY if pkg == package else REASON_OOM_ADJ)

    def _on_changed(self, package: str, **_: object) -> None:
        self.update(package)

    def _on_service_started(self, package: str, **_: object) -> None:
        self.unfreeze_temporarily(package, REASON_START_SERVICE)

    def _on_job_started(self, package: str, **_: object) -> None:
        self._jobs[package] = self._jobs.get(package, 0) + 1
        self.update(package)

    def _on_job_stopped(self, package: str, **_: object) -> None:
        self._jobs[package] = max(0, self._jobs.get(package, 0) - 1)
        self.update(package)

    def _on_binder_call(self, package: str, reason: str, **_: object) -> None:
        self.unfreeze_temporarily(package, reason)

    def _on_process_died(self, pid: int, **_: object) -> None:
        self._cancel_pending(pid)
        self._earliest.pop(pid, None)

    def _on_setting_changed(self, key: str, **_: object) -> None:
        if key not in (SETTING, KEY_USE_FREEZER, KEY_FREEZER_DEBOUNCE_TIMEOUT):
            return
        for pkg in list(self._am().processes):
            self.update(pkg, REASON_DISABLED)


def run_when_thawed(rec: ProcessRecord, callback: Callable[[], None]) -> None:
    """Park ``callback`` (a Handler message that came due) until the process is unfrozen."""
    rec.thaw_callbacks.append(callback)
