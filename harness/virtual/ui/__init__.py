"""The virtual device's screen: window contents as UiAutomator sees them, and screenshots.

Public API for models:

- An app model shows its own content by defining ``ui_nodes(self, activity) -> list[UiNode]``
  on its :class:`~harness.virtual.apps.base.AppModel`; the nodes go into the app window's
  ``android:id/content`` below the action bar (nodes without bounds are stacked as rows).
- Anything that posts notifications calls
  ``register_notification_source(system, source)`` once per boot; ``source()`` returns
  :class:`NotificationEntry` objects (or ``(package, app_label, title, text, ongoing)`` tuples)
  and is asked again every time the shade is drawn.
"""

from harness.virtual.ui.node import ROW_HEIGHT, Rect, UiNode
from harness.virtual.ui.notifications import (
    NotificationEntry,
    notification_entries,
    register_notification_source,
)

__all__ = [
    "ROW_HEIGHT",
    "NotificationEntry",
    "Rect",
    "UiNode",
    "notification_entries",
    "register_notification_source",
]
