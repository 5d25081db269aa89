"""The app's notification channel and the notifications of its foreground services and
long-running workers (Notifications.kt), and the platform calls that post them
(``Service.startForeground``, ``NotificationManager.notify`` / ``cancel``).

``Notifications.foreground`` builds an ongoing notification (``setOngoing(true)``: the app's
FLAG_ONGOING_EVENT; the platform adds the foreground-service flags) on the channel
``harness_background_work`` (IMPORTANCE_LOW, created in Application.onCreate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.virtual.system.notification import (
    FLAG_ONGOING_EVENT,
    IMPORTANCE_LOW,
    NotificationManagerService,
)

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel
    from harness.virtual.system.active_services import ActiveServices

CHANNEL_ID = "harness_background_work"
DEFAULT_SERVICE_NOTIFICATION_ID = 4242
DEFAULT_WORKER_NOTIFICATION_ID = 4343


@dataclass(frozen=True)
class Notification:
    title: str
    text: str
    channel_id: str = CHANNEL_ID
    flags: int = FLAG_ONGOING_EVENT
    importance: int = IMPORTANCE_LOW  # the channel's


def foreground(title: str, text: str) -> Notification:
    """Notifications.foreground: an ongoing notification on the app's channel."""
    return Notification(title, text)


def active_services(app: SampleAppModel) -> ActiveServices:
    from harness.virtual.system.active_services import ActiveServices

    return app.system.service(ActiveServices)


def start_foreground(app: SampleAppModel, service: str, notification_id: int, fgs_type: int,
                     notification: Notification) -> None:
    """``Service.startForeground(id, notification[, type])`` from the running ``service``
    (``fgs_type`` -1 is the two-argument form); raises what the platform throws."""
    active_services(app).start_foreground(
        app.package.name, service, notification_id, fgs_type,
        title=notification.title, text=notification.text, channel_id=notification.channel_id,
        flags=notification.flags, importance=notification.importance,
    )


def notify(app: SampleAppModel, notification_id: int, notification: Notification) -> None:
    """``NotificationManager.notify(id, notification)``. NotificationManagerService keeps the
    foreground-service flag of the notification it replaces ("Make sure we don't lose the
    foreground service state", EnqueueNotificationRunnable), so updating a foreground service's
    notification this way leaves it a foreground-service notification."""
    nms = app.system.maybe_service(NotificationManagerService)
    if nms is None:
        return
    old = nms.find(app.package.name, notification_id, None)
    nms.notify(
        app.package.name, None, notification_id, None, notification.channel_id,
        notification.title, notification.text, notification.flags,
        foreground_service=old is not None and old.foreground_service,
        importance=notification.importance,
    )


def cancel(app: SampleAppModel, notification_id: int) -> None:
    """``NotificationManager.cancel(id)`` (a foreground service's notification stays)."""
    nms = app.system.maybe_service(NotificationManagerService)
    if nms is not None:
        nms.cancel(app.package.name, notification_id)
