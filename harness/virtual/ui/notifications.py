"""What the notification shade lists: entries from sources registered per boot.

The shade belongs to SystemUI, which learns about notifications through
NotificationListenerService; here the notification service (or anything else that posts)
registers a source once per boot:

    register_notification_source(system, lambda: [NotificationEntry(...), ...])

and the shade asks every source each time it is drawn. Sources are keyed by the boot's
``SystemServer``, so they vanish with it on reboot, like SystemUI's listener connection.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.virtual.system.base import SystemServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationEntry:
    """One row of the shade. ``on_click`` is the content intent (None: tapping only collapses)."""

    package: str
    app_label: str
    title: str
    text: str = ""
    ongoing: bool = False
    key: str = ""
    on_click: Callable[[], object] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def coerce(cls, value: Any) -> NotificationEntry:
        """Accept an entry or a ``(package, app_label, title, text, ongoing)`` tuple."""
        if isinstance(value, NotificationEntry):
            return value
        package, app_label, title, text, ongoing = value
        return cls(str(package), str(app_label), str(title), str(text or ""), bool(ongoing))


NotificationSource = Callable[[], Iterable[Any]]

_SOURCES: weakref.WeakKeyDictionary[SystemServer, list[NotificationSource]] = (
    weakref.WeakKeyDictionary()
)


def register_notification_source(
    system: SystemServer, source: NotificationSource
) -> Callable[[], None]:
    """Make ``source``'s entries appear in the shade of this boot; returns an unregister call."""
    sources = _SOURCES.setdefault(system, [])
    sources.append(source)

    def unregister() -> None:
        if source in sources:
            sources.remove(source)

    return unregister


def notification_entries(system: SystemServer) -> list[NotificationEntry]:
    """Every source's entries: ongoing ones first (SystemUI ranks them above), then as given."""
    entries: list[NotificationEntry] = []
    for source in list(_SOURCES.get(system, [])):
        try:
            entries += [NotificationEntry.coerce(e) for e in source()]
        except Exception:  # a broken source must not blank the shade
            log.exception("notification source failed")
    return sorted(entries, key=lambda e: not e.ongoing)
