"""MainActivity's screen: a title and the app's last events, newest first (MainActivity.kt),
one text row per event: ``#seq source/event name detail``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.ui import UiNode

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel

TITLE = "Last events (newest first)"  # R.string.events_title
NO_EVENTS = "No events yet."  # R.string.no_events
MAX_ROWS = 100  # MainActivity.MAX_ROWS
TEXT_VIEW = "android.widget.TextView"


def main_activity_nodes(app: SampleAppModel) -> list[UiNode]:
    nodes = [UiNode(text=TITLE, class_name=TEXT_VIEW)]
    try:
        rows = app.events.recent(MAX_ROWS)
    except Exception as exc:  # the activity shows the error instead of the list
        return [*nodes, UiNode(text=f"cannot read the event log: {exc}", class_name=TEXT_VIEW)]
    if not rows:
        return [*nodes, UiNode(text=NO_EVENTS, class_name=TEXT_VIEW)]
    for row in rows:
        text = (f"#{row['seq']} {row['source']}/{row['event']} {row['name']} "
                f"{row['detail']}")
        nodes.append(UiNode(text=text, class_name=TEXT_VIEW))
    return nodes
