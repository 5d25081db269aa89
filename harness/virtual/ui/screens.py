"""The windows on screen, built from a :class:`ScreenState` snapshot.

What a phone shows is a stack of windows (WindowManagerService's z-order): the focused app or
the launcher at the bottom, SystemUI's status bar and navigation bar above it, and SystemUI's
NotificationShade window on top while the keyguard or the shade is showing. Each window's
content is a :class:`UiNode` tree with the resource ids of the real components (Launcher3,
SystemUI, AppCompat's action bar), so selectors written against a phone keep working.

This module is pure: the window manager gathers the state (top activity, notifications,
keyguard) and supplies callbacks for the nodes that react to taps.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.virtual.ui.node import Rect, UiNode, finalize, stack
from harness.virtual.ui.notifications import NotificationEntry

LAUNCHER_PACKAGE = "com.android.launcher3"
SYSTEMUI_PACKAGE = "com.android.systemui"

FRAME = "android.widget.FrameLayout"
LINEAR = "android.widget.LinearLayout"
VIEW_GROUP = "android.view.ViewGroup"
TEXT_VIEW = "android.widget.TextView"
IMAGE_VIEW = "android.widget.ImageView"
SCROLL_VIEW = "android.widget.ScrollView"
SWITCH = "android.widget.Switch"

LAUNCHER_COLUMNS = 4  # Launcher3's default 4x5 workspace grid (device_profiles.xml)
LAUNCHER_ROWS = 5
WALLPAPER = "#1f3b57"
SHADE_BG = "#202124"
ACTION_BAR_BG = "#3f51b5"


@dataclass
class LauncherEntry:
    """One launcher icon: the app's launcher activity and its label."""

    package: str
    activity: str
    label: str
    on_click: Callable[[], object] | None = field(default=None, repr=False)


@dataclass
class ScreenState:
    """Everything the screen depends on, gathered by the window manager."""

    width: int = 1080
    height: int = 2400
    density: int = 420
    rotation: int = 0
    screen_on: bool = True
    keyguard: bool = False
    shade: str | None = None  # None, "notifications" or "quick_settings"
    top_package: str = LAUNCHER_PACKAGE
    top_activity: str = ""
    app_label: str = ""
    app_nodes: list[UiNode] = field(default_factory=list)
    launcher_entries: list[LauncherEntry] = field(default_factory=list)
    notifications: list[NotificationEntry] = field(default_factory=list)
    quick_settings: dict[str, bool] = field(default_factory=dict)
    clock: str = "12:00"
    date: str = "Mon, Jan 1"
    battery_level: int | None = None
    press_key: Callable[[int], object] | None = field(default=None, repr=False)

    def dp(self, value: float) -> int:
        """Density-independent pixels to pixels (DisplayMetrics: px = dp * dpi / 160)."""
        return round(value * self.density / 160)


@dataclass
class Window:
    """A window in WindowManagerService terms: its title (``dumpsys window``) and content."""

    name: str
    package: str
    root: UiNode
    kind: str  # "app", "launcher", "status_bar", "navigation_bar", "notification_shade"

    @property
    def hash(self) -> str:
        """A stable identity hash for ``Window{hash u0 title}``."""
        return f"{zlib.crc32(self.name.encode()) & 0xFFFFFFF:x}"


@dataclass
class Screen:
    windows: list[Window]  # bottom to top
    focused: Window
    rotation: int
    width: int
    height: int
    screen_on: bool

    def roots(self) -> list[UiNode]:
        """Window roots as uiautomator2 dumps them: the active window first, then the rest."""
        rest = [w.root for w in reversed(self.windows) if w is not self.focused]
        return [self.focused.root, *rest]

    def active_roots(self) -> list[UiNode]:
        """Only the active window, as ``uiautomator dump`` (getRootInActiveWindow)."""
        return [self.focused.root]

    def nodes(self) -> list[UiNode]:
        return [n for root in self.roots() for n in root.walk() if n.visible]

    def window_at(self, x: float, y: float) -> Window | None:
        for window in reversed(self.windows):
            if window.root.visible and window.root.rect.contains(x, y):
                return window
        return None

    def node_at(self, x: float, y: float) -> UiNode | None:
        """The deepest visible node under the point in the topmost window there."""
        window = self.window_at(x, y)
        if window is None:
            return None
        best = window.root
        for node in window.root.walk():
            if node.visible and node.rect.contains(x, y):
                best = node
        return best

    def clickable_at(self, x: float, y: float) -> UiNode | None:
        """Where a tap goes: the deepest node under it, bubbled up to a clickable ancestor."""
        node = self.node_at(x, y)
        while node is not None and not (node.clickable and node.enabled):
            node = node.parent
        return node


# ------------------------------------------------------------------------------------ builders
def _text(text: str, rid: str, bounds: Rect | None = None, **kw: object) -> UiNode:
    return UiNode(text=text, resource_id=rid, class_name=TEXT_VIEW, bounds=bounds, **kw)  # type: ignore[arg-type]


def status_bar(s: ScreenState, w: int) -> Window:
    h = s.dp(24)  # status_bar_height_portrait (frameworks/base/core/res/res/values/dimens.xml)
    sid = f"{SYSTEMUI_PACKAGE}:id"
    level = s.battery_level
    battery_desc = f"Battery {level} percent." if level is not None else "Battery"
    clock = _text(
        s.clock, f"{sid}/clock", Rect(s.dp(16), 0, s.dp(16) + s.dp(48), h), text_color="#ffffff"
    )
    battery = UiNode(
        resource_id=f"{sid}/battery",
        class_name=LINEAR,
        content_desc=battery_desc,
        bounds=Rect(w - s.dp(160), 0, w - s.dp(8), h),
        text_color="#ffffff",
    )
    bar = UiNode(
        resource_id=f"{sid}/status_bar",
        class_name=FRAME,
        bounds=Rect(0, 0, w, h),
        background="#000000",
        children=[clock, battery],
    )
    root = UiNode(
        resource_id=f"{sid}/status_bar_container",
        class_name=FRAME,
        bounds=Rect(0, 0, w, h),
        children=[bar],
    )
    return Window("StatusBar", SYSTEMUI_PACKAGE, root, "status_bar")


def navigation_bar(s: ScreenState, w: int, h: int) -> Window:
    """Three-button navigation (Back, Home, Overview), ``navigation_bar_height`` = 48 dp."""
    bar_h = s.dp(48)
    top = h - bar_h
    sid = f"{SYSTEMUI_PACKAGE}:id"
    third = w // 3

    def button(rid: str, desc: str, left: int, keycode: int) -> UiNode:
        press = s.press_key
        return UiNode(
            resource_id=f"{sid}/{rid}",
            class_name=IMAGE_VIEW,
            content_desc=desc,
            bounds=Rect(left, top, left + third, h),
            clickable=True,
            long_clickable=True,
            focusable=True,
            text_color="#ffffff",
            on_click=(lambda: press(keycode)) if press else None,
        )

    buttons = UiNode(
        resource_id=f"{sid}/navigation_inflater",
        class_name=FRAME,
        bounds=Rect(0, top, w, h),
        children=[
            button("back", "Back", 0, 4),
            button("home", "Home", third, 3),
            button("recent_apps", "Overview", 2 * third, 187),
        ],
    )
    root = UiNode(
        resource_id=f"{sid}/navigation_bar_frame",
        class_name=FRAME,
        bounds=Rect(0, top, w, h),
        background="#000000",
        children=[buttons],
    )
    return Window("NavigationBar0", SYSTEMUI_PACKAGE, root, "navigation_bar")


def launcher(s: ScreenState, w: int, h: int) -> Window:
    lid = f"{LAUNCHER_PACKAGE}:id"
    top, bottom = s.dp(24), h - s.dp(48)
    cell_w = w // LAUNCHER_COLUMNS
    cell_h = max(1, (bottom - top - s.dp(16)) // LAUNCHER_ROWS)
    per_page = LAUNCHER_COLUMNS * LAUNCHER_ROWS
    icons = []
    for i, entry in enumerate(sorted(s.launcher_entries, key=lambda e: e.label.lower())):
        page, slot = divmod(i, per_page)
        row, col = divmod(slot, LAUNCHER_COLUMNS)
        left = page * w + col * cell_w
        y = top + s.dp(8) + row * cell_h
        icons.append(
            UiNode(
                text=entry.label,
                content_desc=entry.label,
                resource_id=f"{lid}/icon",
                class_name=TEXT_VIEW,
                bounds=Rect(left, y, left + cell_w, y + cell_h),
                clickable=True,
                long_clickable=True,
                focusable=True,
                text_color="#ffffff",
                icon=_icon_color(entry.package),
                on_click=entry.on_click,
            )
        )
    pages = max(1, -(-len(icons) // per_page))
    cell_layout = UiNode(class_name=VIEW_GROUP, bounds=Rect(0, top, w, bottom), children=icons)
    workspace = UiNode(
        resource_id=f"{lid}/workspace",
        class_name=SCROLL_VIEW,
        bounds=Rect(0, top, w, bottom),
        scrollable=pages > 1,
        focusable=True,
        children=[cell_layout],
    )
    drag_layer = UiNode(
        resource_id=f"{lid}/drag_layer",
        class_name=FRAME,
        bounds=Rect(0, 0, w, h),
        children=[workspace],
    )
    launcher_view = UiNode(
        resource_id=f"{lid}/launcher",
        class_name=FRAME,
        bounds=Rect(0, 0, w, h),
        children=[drag_layer],
    )
    root = UiNode(
        class_name=FRAME, bounds=Rect(0, 0, w, h), background=WALLPAPER, children=[launcher_view]
    )
    title = f"{LAUNCHER_PACKAGE}/{s.top_activity}" if s.top_activity else LAUNCHER_PACKAGE
    return Window(title, LAUNCHER_PACKAGE, root, "launcher")


def app_window(s: ScreenState, w: int, h: int) -> Window:
    """DecorView > LinearLayout > [action_bar > title, android:id/content > the app's nodes]."""
    pkg = s.top_package
    sb, bar = s.dp(24), s.dp(56)  # abc_action_bar_default_height_material: 56 dp
    content_area = Rect(0, sb + bar, w, h - s.dp(48))
    nodes = list(s.app_nodes)
    stack(nodes, content_area)
    title = _text(
        s.app_label or pkg,
        "",
        Rect(s.dp(16), sb, w - s.dp(16), sb + bar),
        text_color="#ffffff",
    )
    action_bar = UiNode(
        resource_id=f"{pkg}:id/action_bar",
        class_name=VIEW_GROUP,
        bounds=Rect(0, sb, w, sb + bar),
        background=ACTION_BAR_BG,
        children=[title],
    )
    content = UiNode(
        resource_id="android:id/content",
        class_name=FRAME,
        bounds=content_area,
        children=nodes,
    )
    body = UiNode(class_name=LINEAR, bounds=Rect(0, 0, w, h), children=[action_bar, content])
    root = UiNode(class_name=FRAME, bounds=Rect(0, 0, w, h), background="#ffffff", children=[body])
    return Window(f"{pkg}/{s.top_activity}", pkg, root, "app")


def notification_shade(s: ScreenState, w: int, h: int, on_collapse: Callable[[], object]) -> Window:
    sid = f"{SYSTEMUI_PACKAGE}:id"
    pad = s.dp(16)
    y = s.dp(24)
    header = [
        _text(s.clock, f"{sid}/clock", Rect(pad, y, pad + s.dp(96), y + s.dp(40))),
        _text(s.date, f"{sid}/date", Rect(pad + s.dp(104), y, w - pad, y + s.dp(40))),
    ]
    for node in header:
        node.text_color = "#ffffff"
    y += s.dp(48)
    expanded = s.shade == "quick_settings"
    tiles_per_row = 4
    names = list(s.quick_settings) or ["Internet", "Bluetooth", "Do Not Disturb", "Flashlight"]
    shown = names if expanded else names[:tiles_per_row]
    tile_w = (w - 2 * pad) // tiles_per_row
    tile_h = s.dp(72)
    tiles = []
    for i, name in enumerate(shown):
        row, col = divmod(i, tiles_per_row)
        left = pad + col * tile_w
        top = y + row * tile_h
        tiles.append(
            UiNode(
                content_desc=name,
                class_name=SWITCH,
                bounds=Rect(left, top, left + tile_w, top + tile_h),
                checkable=True,
                checked=s.quick_settings.get(name, False),
                clickable=True,
                long_clickable=True,
                focusable=True,
                text=name if expanded else "",
                text_color="#ffffff",
                icon="#8ab4f8" if s.quick_settings.get(name, False) else "#5f6368",
            )
        )
    rows = -(-len(shown) // tiles_per_row)
    qs_bottom = y + rows * tile_h
    qs_children = list(tiles)
    if expanded:
        qs_children.append(
            UiNode(
                resource_id=f"{sid}/brightness_slider",
                class_name="android.widget.SeekBar",
                content_desc="Display brightness",
                bounds=Rect(pad, qs_bottom, w - pad, qs_bottom + s.dp(48)),
                focusable=True,
                background="#3c4043",
            )
        )
        qs_bottom += s.dp(48)
    qs = UiNode(
        resource_id=f"{sid}/{'quick_settings_panel' if expanded else 'quick_qs_panel'}",
        class_name=VIEW_GROUP,
        bounds=Rect(0, y, w, qs_bottom),
        children=qs_children,
    )
    y = qs_bottom + s.dp(8)
    rows_nodes = []
    row_h = s.dp(88)
    for entry in s.notifications:
        click = entry.on_click

        def on_tap(click: Callable[[], object] | None = click) -> None:
            on_collapse()
            if click is not None:
                click()

        rows_nodes.append(
            UiNode(
                resource_id=f"{sid}/expandableNotificationRow",
                class_name=FRAME,
                content_desc=f"{entry.app_label} notification: {entry.title}",
                bounds=Rect(pad, y, w - pad, y + row_h),
                clickable=True,
                long_clickable=True,
                focusable=True,
                background="#ffffff",
                on_click=on_tap,
                children=[
                    _text(
                        entry.app_label,
                        "android:id/app_name_text",
                        Rect(pad * 2, y + s.dp(6), w - pad * 2, y + s.dp(28)),
                        text_color="#5f6368",
                    ),
                    _text(
                        entry.title,
                        "android:id/title",
                        Rect(pad * 2, y + s.dp(30), w - pad * 2, y + s.dp(56)),
                        text_color="#202124",
                    ),
                    _text(
                        entry.text,
                        "android:id/text",
                        Rect(pad * 2, y + s.dp(58), w - pad * 2, y + s.dp(84)),
                        text_color="#3c4043",
                    ),
                ],
            )
        )
        y += row_h + s.dp(4)
    if not rows_nodes:
        rows_nodes.append(
            _text(
                "No notifications",
                f"{sid}/no_notifications",
                Rect(pad, y, w - pad, y + s.dp(48)),
                text_color="#e8eaed",
            )
        )
    stack_scroller = UiNode(
        resource_id=f"{sid}/notification_stack_scroller",
        class_name=SCROLL_VIEW,
        bounds=Rect(0, qs_bottom, w, h - s.dp(48)),
        scrollable=bool(s.notifications),
        focusable=True,
        children=rows_nodes,
    )
    panel = UiNode(
        resource_id=f"{sid}/notification_panel",
        class_name=FRAME,
        bounds=Rect(0, 0, w, h),
        children=[*header, qs, stack_scroller],
    )
    root = UiNode(
        resource_id=f"{sid}/notification_shade",
        class_name=FRAME,
        bounds=Rect(0, 0, w, h),
        background=SHADE_BG,
        children=[panel],
    )
    return Window("NotificationShade", SYSTEMUI_PACKAGE, root, "notification_shade")


def keyguard(s: ScreenState, w: int, h: int) -> Window:
    sid = f"{SYSTEMUI_PACKAGE}:id"
    clock = _text(
        s.clock,
        f"{sid}/lockscreen_clock_view",
        Rect(0, s.dp(120), w, s.dp(220)),
        text_color="#ffffff",
    )
    date = _text(s.date, f"{sid}/date_view", Rect(0, s.dp(224), w, s.dp(256)), text_color="#ffffff")
    lock = UiNode(
        resource_id=f"{sid}/lock_icon_view",
        class_name=FRAME,
        content_desc="Unlock",
        bounds=Rect(w // 2 - s.dp(32), h - s.dp(200), w // 2 + s.dp(32), h - s.dp(136)),
        icon="#e8eaed",
    )
    hint = _text(
        "Swipe up to open",
        f"{sid}/keyguard_indication_text",
        Rect(0, h - s.dp(120), w, h - s.dp(88)),
        text_color="#e8eaed",
    )
    panel = UiNode(
        resource_id=f"{sid}/keyguard_root_view",
        class_name=FRAME,
        bounds=Rect(0, 0, w, h),
        children=[clock, date, lock, hint],
    )
    root = UiNode(
        resource_id=f"{sid}/notification_shade",
        class_name=FRAME,
        bounds=Rect(0, 0, w, h),
        background="#101418",
        children=[panel],
    )
    return Window("NotificationShade", SYSTEMUI_PACKAGE, root, "notification_shade")


def build_screen(s: ScreenState, on_collapse: Callable[[], object] | None = None) -> Screen:
    """The window stack for ``s`` (width/height are the logical, rotated size)."""
    w, h = s.width, s.height
    if s.top_package == LAUNCHER_PACKAGE or not s.top_package:
        main = launcher(s, w, h)
    else:
        main = app_window(s, w, h)
    windows = [main, status_bar(s, w), navigation_bar(s, w, h)]
    focused = main
    if s.shade is not None:
        shade = notification_shade(s, w, h, on_collapse or (lambda: None))
        windows.append(shade)
        focused = shade
    elif s.keyguard:
        lock = keyguard(s, w, h)
        windows.append(lock)
        focused = lock
    screen_rect = Rect(0, 0, w, h)
    for window in windows:
        finalize(window.root, window.package, screen_rect)
    return Screen(windows, focused, s.rotation, w, h, s.screen_on)


def _icon_color(package: str) -> str:
    palette = ["#e53935", "#8e24aa", "#3949ab", "#039be5", "#00897b", "#7cb342", "#fb8c00"]
    return palette[zlib.crc32(package.encode()) % len(palette)]
