"""NotificationManagerService: posted notifications, the shade's rows and ``dumpsys notification``.

App models post with :meth:`NotificationManagerService.notify` and cancel with
:meth:`~NotificationManagerService.cancel`; foreground services post theirs through the
services model (:mod:`~.active_services`) when ``startForeground`` succeeds. The rules:

- Android 13+ (API 33): an app targeting 33+ needs the POST_NOTIFICATIONS runtime permission;
  without it the notification is suppressed (checkDisqualifyingFeatures: "Suppressing
  notification ... by user request") - a foreground service still runs, its notification is
  simply not listed or shown. Apps targeting 32 or lower are treated as allowed (the platform
  would ask the user when they create a channel; the model has no permission dialog).
- A foreground-service notification gets FLAG_FOREGROUND_SERVICE (0x40, set by the activity
  manager) and FLAG_NO_CLEAR (0x20); up to Android 12L also FLAG_ONGOING_EVENT (0x2) - the
  Android 9 captures show 0x62, the Android 13 one 0x68 from originalFlags 0x48 (users may
  dismiss FGS notifications from 13 on). An app cannot cancel its FGS notification while the
  service is in the foreground (cancelNotificationWithTag's mustNotHaveFlags).
- Force-stop and uninstall cancel all of the package's notifications
  (ACTION_PACKAGE_RESTARTED / _REMOVED); a reboot loses them all (nothing is persisted).

Every posted notification is a row of the notification shade on the virtual screen
(``register_notification_source``) with the app's label, title and text.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.virtual.fs import FIRST_APP_UID
from harness.virtual.system.base import SystemServer, SystemService, system_service
from harness.virtual.system.packages import PackageManagerService
from harness.virtual.ui.notifications import NotificationEntry, register_notification_source

if TYPE_CHECKING:
    from collections.abc import Callable

    from harness.virtual.shell.registry import Invocation

# Notification.FLAG_*.
FLAG_ONGOING_EVENT = 0x2
FLAG_ONLY_ALERT_ONCE = 0x8
FLAG_AUTO_CANCEL = 0x10
FLAG_NO_CLEAR = 0x20
FLAG_FOREGROUND_SERVICE = 0x40
# NotificationManager.IMPORTANCE_*.
IMPORTANCE_NONE = 0
IMPORTANCE_MIN = 1
IMPORTANCE_LOW = 2
IMPORTANCE_DEFAULT = 3
IMPORTANCE_HIGH = 4
IMPORTANCE_NAMES = {0: "NONE", 1: "MIN", 2: "LOW", 3: "DEFAULT", 4: "HIGH", 5: "MAX"}
POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
# NotificationManagerService.Archive: the most recent cancelled notifications.
ARCHIVE_SIZE = 100


def notification_string(api_level: int, channel: str, flags: int, category: str | None) -> str:
    """Notification.toString: ``pri=`` until Android 10, ``shortcut=`` from Android 11."""
    middle = "shortcut=null" if api_level >= 30 else "pri=0"
    cat = f" category={category}" if category else ""
    return (
        f"Notification(channel={channel} {middle} contentView=null vibrate=null sound=null "
        f"defaults=0x0 flags=0x{flags:x} color=0x00000000{cat} vis=PRIVATE)"
    )


@dataclass
class NotificationRecord:
    """One posted notification (NotificationRecord / StatusBarNotification)."""

    package: str
    uid: int
    id: int
    tag: str | None
    channel_id: str
    title: str
    text: str
    flags: int
    original_flags: int
    importance: int
    post_elapsed: int
    post_wall: int
    category: str | None = None
    hash: str = ""
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """StatusBarNotification.key: ``user|pkg|id|tag|uid``."""
        return f"0|{self.package}|{self.id}|{self.tag or 'null'}|{self.uid}"

    @property
    def foreground_service(self) -> bool:
        return bool(self.flags & FLAG_FOREGROUND_SERVICE)

    @property
    def ongoing(self) -> bool:
        return bool(self.flags & (FLAG_ONGOING_EVENT | FLAG_FOREGROUND_SERVICE))


@system_service
class NotificationManagerService(SystemService):
    names = ("notification",)
    order = 45

    def __init__(self, system: SystemServer) -> None:
        super().__init__(system)
        self._pm = system.service(PackageManagerService)
        self.records: list[NotificationRecord] = []
        self.archive: list[NotificationRecord] = []
        self._unregister: Callable[[], None] | None = None

    def start(self) -> None:
        self._unregister = register_notification_source(self.system, self._shade_entries)
        bus = self.system.bus
        bus.subscribe("package_force_stopped", self._on_package_gone)
        bus.subscribe("package_removed", self._on_package_gone)

    def shutdown(self) -> None:
        if self._unregister is not None:
            self._unregister()

    # ================================================================ Python API
    def notifications_allowed(self, package: str) -> bool:
        """areNotificationsEnabledForPackage as far as the model goes: the Android 13 runtime
        permission for apps targeting 33+."""
        pkg = self._pm.get(package)
        if pkg is None:
            return False
        if pkg.system or pkg.uid < FIRST_APP_UID or self.api_level < 33:
            return True
        if pkg.target_sdk < 33:
            return True
        return pkg.holds(POST_NOTIFICATIONS)

    def notify(
        self,
        package: str,
        uid: int | None,
        id: int,
        tag: str | None = None,
        channel_id: str = "default",
        title: str = "",
        text: str = "",
        flags: int = 0,
        foreground_service: bool = False,
        importance: int = IMPORTANCE_DEFAULT,
        category: str | None = None,
    ) -> NotificationRecord | None:
        """``NotificationManager.notify(tag, id, notification)``; replaces the notification with
        the same package, id and tag. ``uid`` None means the package's own uid. Returns the
        posted record, or None when suppressed (no POST_NOTIFICATIONS on Android 13+)."""
        pkg = self._pm.get(package)
        if pkg is None:
            raise LookupError(f"package {package} is not installed")
        if not self.notifications_allowed(package):
            return None
        service = None if foreground_service else self._foreground_service_of(package, id, tag)
        if service is not None:
            foreground_service = True
        original = flags | (FLAG_FOREGROUND_SERVICE if foreground_service else 0)
        fixed = original
        if fixed & FLAG_FOREGROUND_SERVICE:
            # "Ensure if this is a foreground service that the proper additional flags are set."
            fixed |= FLAG_NO_CLEAR
            if self.api_level <= 32:
                fixed |= FLAG_ONGOING_EVENT
            else:
                fixed &= ~FLAG_AUTO_CANCEL
        now = self.device.clock.elapsed_ms()
        record = NotificationRecord(
            package=package,
            uid=pkg.uid if uid is None else uid,
            id=id,
            tag=tag,
            channel_id=channel_id,
            title=title,
            text=text,
            flags=fixed,
            original_flags=original,
            importance=importance,
            post_elapsed=now,
            post_wall=self.device.clock.wall_ms(),
            category=category,
        )
        record.hash = f"{zlib.crc32(f'{record.key}:{now}'.encode()) & 0xFFFFFFFF:08x}"
        old = self.find(package, id, tag)
        if old is not None:
            self.records[self.records.index(old)] = record
        else:
            self.records.append(record)
        if service is not None:
            service.notification = notification_string(self.api_level, channel_id, fixed, category)
        return record

    def _foreground_service_of(self, package: str, id: int, tag: str | None) -> Any:
        """NotificationManagerService.enqueueNotificationInternal asks the activity manager
        (applyForegroundServiceNotification) whether the app is updating the notification of
        one of its foreground services."""
        from harness.virtual.system.active_services import ActiveServices  # (imports this module)

        services = self.system.maybe_service(ActiveServices)
        return None if services is None else services.foreground_notification_of(package, id, tag)

    def cancel(self, package: str, id: int, tag: str | None = None) -> bool:
        """``NotificationManager.cancel(tag, id)`` from the app: an FGS notification stays while
        its service is in the foreground. Returns whether one was removed."""
        record = self.find(package, id, tag)
        if record is None or record.flags & FLAG_FOREGROUND_SERVICE:
            return False
        self._remove(record)
        return True

    def cancel_foreground(self, package: str, id: int) -> bool:
        """The activity manager removing a foreground service's notification (stopForeground
        with REMOVE, the service stopping or dying)."""
        record = self.find(package, id, None)
        if record is None:
            return False
        self._remove(record)
        return True

    def cancel_all(self, package: str) -> int:
        """``NotificationManager.cancelAll()`` (FGS notifications stay)."""
        gone = [r for r in self.records if r.package == package and not r.foreground_service]
        for record in gone:
            self._remove(record)
        return len(gone)

    def find(self, package: str, id: int, tag: str | None) -> NotificationRecord | None:
        for record in self.records:
            if record.package == package and record.id == id and record.tag == tag:
                return record
        return None

    def active(self, package: str | None = None) -> list[NotificationRecord]:
        """The posted notifications (``getActiveNotifications``), oldest first."""
        return [r for r in self.records if package is None or r.package == package]

    # ================================================================ internals
    def _remove(self, record: NotificationRecord) -> None:
        if record in self.records:
            self.records.remove(record)
            self.archive.insert(0, record)
            del self.archive[ARCHIVE_SIZE:]

    def _on_package_gone(self, package: str, **_: object) -> None:
        # cancelAllNotificationsInt(..., REASON_PACKAGE_CHANGED): FGS notifications included.
        for record in [r for r in self.records if r.package == package]:
            self._remove(record)

    def _shade_entries(self) -> list[NotificationEntry]:
        from harness.virtual.system.window import app_label

        entries = []
        for record in reversed(self.records):  # newest first, as the shade ranks by time
            pkg = self._pm.get(record.package)
            entries.append(
                NotificationEntry(
                    package=record.package,
                    app_label=app_label(pkg) if pkg is not None else record.package,
                    title=record.title,
                    text=record.text,
                    ongoing=record.ongoing,
                    key=record.key,
                )
            )
        return entries

    # ================================================================ shell
    async def dump(self, inv: Invocation, args: list[str]) -> int:
        from harness.virtual.system.notification_dump import dump

        return dump(self, inv, args)

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        # NotificationShellCmd exists but nothing of it is modelled.
        inv.errln(f"Unknown command: {args[0] if args else ''}")
        return 255
