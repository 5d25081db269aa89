"""WindowManagerService: the display, window focus, keyguard, notification shade and input policy.

- Display: the panel's physical size and density, ``wm size`` / ``wm density`` overrides (kept
  across reboots, as display_settings.xml keeps them) and the rotation, which follows
  Settings.System ``accelerometer_rotation`` / ``user_rotation`` as DisplayRotation does. The
  virtual phone stands upright on the bench, so with auto-rotate on the sensor says ROTATION_0.
- Keyguard: the device boots unlocked with the screen on (a bench phone set up for tests);
  turning the screen off shows the keyguard unless ``lockscreen.disabled`` is set, as
  KeyguardViewMediator does for an insecure lock screen. It goes away with
  ``wm dismiss-keyguard``, a swipe up, or MENU (KeyguardHostView.shouldEnableMenuKey).
- Input policy (PhoneWindowManager): every key goes out as the ``key_event`` bus event (the
  power manager handles POWER/WAKEUP/SLEEP); this service then applies HOME, BACK, MENU and
  NOTIFICATION while the screen is on. Taps go to the clickable node under the finger; a swipe
  down from the status bar opens the shade.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.virtual.system.activity import ActivityManagerService, Intent
from harness.virtual.system.base import SystemService, system_service
from harness.virtual.system.packages import (
    LAUNCHER_ACTIVITY,
    LAUNCHER_PACKAGE,
    InstalledPackage,
    PackageManagerService,
)
from harness.virtual.system.power import PowerManagerService
from harness.virtual.system.settings import SettingsService
from harness.virtual.system.window_shell import dump_window, window_command
from harness.virtual.ui import keys
from harness.virtual.ui.node import UiNode
from harness.virtual.ui.notifications import notification_entries
from harness.virtual.ui.screens import LauncherEntry, Screen, ScreenState, Window, build_screen

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

log = logging.getLogger(__name__)

DEFAULT_PANEL = (1080, 2400, 420)
# Panels of the families whose real phones differ from 1080x2400 (Galaxy S23, Xiaomi 14).
FAMILY_PANELS = {"samsung": (1080, 2340, 420), "xiaomi": (1200, 2670, 420)}

# Launcher3 starts apps with FLAG_ACTIVITY_NEW_TASK | FLAG_ACTIVITY_RESET_TASK_IF_NEEDED
# (AppInfo.makeLaunchIntent).
LAUNCH_FLAGS = 0x10200000
ACTION_MAIN = "android.intent.action.MAIN"
CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"

# System apps the virtual image ships without manifests, with their launcher activity
# (packages/apps/Settings AndroidManifest.xml: .Settings filters MAIN/LAUNCHER).
SYSTEM_LAUNCHER_ACTIVITIES = {"com.android.settings": "com.android.settings.Settings"}
SYSTEM_LABELS = {
    "com.android.settings": "Settings",
    "com.android.launcher3": "Quickstep",
    "com.android.systemui": "System UI",
    "com.android.shell": "Shell",
    "com.android.phone": "Phone Services",
    "android": "Android System",
}


@dataclass
class DisplayOverrides:
    """``wm size`` / ``wm density`` overrides; they survive reboots like display_settings.xml."""

    width: int | None = None
    height: int | None = None
    density: int | None = None


def app_label(pkg: InstalledPackage) -> str:
    """The application label, when the manifest holds it as text; else the package name.

    A label that is a resource reference (``@string/app_name``) would need resources.arsc,
    which the model does not read; launchers also fall back to the package name then.
    """
    label = pkg.manifest.application.label if pkg.manifest is not None else None
    if label and not label.startswith("@"):
        return label
    return SYSTEM_LABELS.get(pkg.name, pkg.name)


def short_component(package: str, activity: str) -> str:
    """``pkg/.Main`` for classes inside the package, as ComponentName.flattenToShortString."""
    short = activity[len(package) :] if activity.startswith(package + ".") else activity
    return f"{package}/{short}"


@system_service
class WindowManagerService(SystemService):
    names = ("window",)
    order = 40

    def __init__(self, system):  # type: ignore[no-untyped-def]
        super().__init__(system)
        family = self.device.profile.family.name
        self.panel = FAMILY_PANELS.get(family, DEFAULT_PANEL)
        self.overrides = self.device.persistent("display_overrides", DisplayOverrides)
        self.keyguard_showing = False
        self.shade: str | None = None
        self.clipboard: tuple[str | None, str] | None = None
        self.last_toast: tuple[str, int] | None = None
        self.text_edits: dict[tuple[str, str], str] = {}
        self.focused_node: tuple[str, str] | None = None
        self.touch_down: tuple[float, float] | None = None
        self._rotation_fallback = 0

    def start(self) -> None:
        bus = self.system.bus
        bus.subscribe("key_event", self._on_key)
        bus.subscribe("screen_changed", self._on_screen)
        bus.subscribe("top_changed", self._on_top_changed)

    # ---------------------------------------------------------------- collaborators
    @property
    def _am(self) -> ActivityManagerService | None:
        return self.system.maybe_service(ActivityManagerService)

    @property
    def _pm(self) -> PackageManagerService | None:
        return self.system.maybe_service(PackageManagerService)

    @property
    def _settings(self) -> SettingsService | None:
        return self.system.maybe_service(SettingsService)

    @property
    def screen_on(self) -> bool:
        power = self.system.maybe_service(PowerManagerService)
        return power.screen_on if power is not None else True

    # ---------------------------------------------------------------- display
    @property
    def physical_size(self) -> tuple[int, int]:
        return self.panel[0], self.panel[1]

    @property
    def physical_density(self) -> int:
        return self.panel[2]

    @property
    def size(self) -> tuple[int, int]:
        """The natural-orientation size in use: the override, else the panel."""
        if self.overrides.width and self.overrides.height:
            return self.overrides.width, self.overrides.height
        return self.physical_size

    @property
    def density(self) -> int:
        return self.overrides.density or self.physical_density

    @property
    def rotation(self) -> int:
        settings = self._settings
        if settings is None:
            return self._rotation_fallback
        if settings.get("system", "accelerometer_rotation") == "0":
            try:
                return int(settings.get("system", "user_rotation") or 0) % 4
            except ValueError:
                return 0
        return 0  # the sensor of a phone standing upright on the bench

    @property
    def rotation_locked(self) -> bool:
        settings = self._settings
        return settings is not None and settings.get("system", "accelerometer_rotation") == "0"

    @property
    def logical_size(self) -> tuple[int, int]:
        w, h = self.size
        return (h, w) if self.rotation % 2 else (w, h)

    def set_size(self, width: int | None, height: int | None) -> None:
        self.overrides.width, self.overrides.height = width, height
        self._display_changed()

    def set_density(self, density: int | None) -> None:
        self.overrides.density = density
        self._display_changed()

    def set_user_rotation(self, rotation: int | None, lock: bool = True) -> None:
        """IWindowManager.freezeRotation / thawRotation, through the settings they write."""
        settings = self._settings
        if settings is None:
            self._rotation_fallback = (rotation or 0) % 4
        else:
            if rotation is not None:
                settings.put("system", "user_rotation", str(rotation % 4))
            settings.put("system", "accelerometer_rotation", "0" if lock else "1")
        self._display_changed()

    def freeze_rotation(self, freeze: bool) -> None:
        self.set_user_rotation(self.rotation if freeze else None, lock=freeze)

    def _display_changed(self) -> None:
        w, h = self.logical_size
        self.system.bus.publish(
            "display_changed", width=w, height=h, density=self.density, rotation=self.rotation
        )

    # ---------------------------------------------------------------- screen content
    def screen(self) -> Screen:
        """The windows on screen now, rebuilt from the current state."""
        w, h = self.logical_size
        state = ScreenState(
            width=w,
            height=h,
            density=self.density,
            rotation=self.rotation,
            screen_on=self.screen_on,
            keyguard=self.keyguard_showing,
            shade=self.shade,
            press_key=self.inject_key,
        )
        self._fill_clock(state)
        am = self._am
        top = am.top if am is not None else None
        if top is None or top[0] == LAUNCHER_PACKAGE:
            state.top_package = LAUNCHER_PACKAGE
            state.top_activity = top[1] if top else LAUNCHER_ACTIVITY
            state.launcher_entries = self._launcher_entries()
        else:
            state.top_package, state.top_activity = top
            pkg = self._pm.get(top[0]) if self._pm else None
            state.app_label = app_label(pkg) if pkg else top[0]
            state.app_nodes = self._app_nodes(*top)
        if self.shade is not None:
            state.notifications = notification_entries(self.system)
            state.quick_settings = self._quick_settings()
        screen = build_screen(state, on_collapse=self.collapse_shade)
        self._apply_edits(screen)
        return screen

    def _fill_clock(self, state: ScreenState) -> None:
        tz_name = self.device.props.get("persist.sys.timezone", "Etc/UTC") or "Etc/UTC"
        try:
            from zoneinfo import ZoneInfo

            tz: dt.tzinfo = ZoneInfo(tz_name)
        except Exception:
            tz = dt.UTC
        now = dt.datetime.fromtimestamp(self.device.clock.wall_ms() / 1000, tz)
        state.clock = f"{(now.hour % 12) or 12}:{now.minute:02d}"
        state.date = now.strftime("%a, %b ") + str(now.day)
        battery = self.system.find("battery")
        level = getattr(battery, "level", None) if battery is not None else None
        state.battery_level = level if isinstance(level, int) else None

    def _launcher_entries(self) -> list[LauncherEntry]:
        pm = self._pm
        if pm is None:
            return []
        entries = []
        for pkg in pm.packages():
            if not pkg.enabled:
                continue
            activity = pkg.manifest.launcher_activity() if pkg.manifest is not None else None
            name = (
                activity.name if activity is not None else SYSTEM_LAUNCHER_ACTIVITIES.get(pkg.name)
            )
            if name is None:
                continue
            entries.append(
                LauncherEntry(
                    pkg.name, name, app_label(pkg), on_click=self._launcher(pkg.name, name)
                )
            )
        return entries

    def _launcher(self, package: str, activity: str):  # type: ignore[no-untyped-def]
        def launch() -> None:
            am = self._am
            if am is None:
                return
            am.start_activity(
                Intent(
                    action=ACTION_MAIN,
                    categories=[CATEGORY_LAUNCHER],
                    component=f"{package}/{activity}",
                    flags=LAUNCH_FLAGS,
                )
            )

        return launch

    def _app_nodes(self, package: str, activity: str) -> list[UiNode]:
        """The optional ``AppModel.ui_nodes(activity)`` hook of the running app."""
        am = self._am
        app = am.app_of(package) if am is not None else None
        hook = getattr(app, "ui_nodes", None)
        if not callable(hook):
            return []
        try:
            return [node.clone() for node in hook(activity) or []]
        except Exception:  # a broken model must not take the screen down
            log.exception("ui_nodes of %s failed", package)
            return []

    def _quick_settings(self) -> dict[str, bool]:
        s = self._settings

        def on(namespace: str, key: str, default: str = "0") -> bool:
            value = s.get(namespace, key) if s is not None else None
            return (value if value is not None else default) not in ("0", "", "off")

        return {
            "Internet": on("global", "wifi_on", "1"),
            "Bluetooth": on("global", "bluetooth_on"),
            "Do Not Disturb": on("global", "zen_mode"),
            "Flashlight": False,
            "Auto-rotate": on("system", "accelerometer_rotation", "1"),
            "Battery Saver": on("global", "low_power"),
            "Airplane mode": on("global", "airplane_mode_on"),
            "Location": on("secure", "location_mode", "3"),
        }

    def _apply_edits(self, screen: Screen) -> None:
        for window in screen.windows:
            for node in window.root.walk():
                edit = self.text_edits.get((window.name, node.key))
                if edit is not None and node.editable:
                    node.text = edit
                node.focused = self.focused_node == (window.name, node.key)

    # ---------------------------------------------------------------- input
    def inject_key(self, keycode: int, longpress: bool = False) -> bool:
        """Inject a key press: the ``key_event`` bus event, which policy and power act on."""
        self.system.bus.publish("key_event", keycode=keycode, longpress=longpress)
        return True

    def _on_key(self, keycode: int, longpress: bool = False, **_: object) -> None:
        # PhoneWindowManager.interceptKeyBeforeDispatching: keys do nothing while the screen is
        # off (POWER/WAKEUP are the power manager's), and the keyguard swallows navigation.
        if not self.screen_on:
            return
        if self.keyguard_showing:
            if keycode == keys.KEYCODE_MENU and self.shade is None:
                self.dismiss_keyguard()
            elif keycode in (keys.KEYCODE_BACK, keys.KEYCODE_HOME) and self.shade is not None:
                self.collapse_shade()
            return
        if keycode == keys.KEYCODE_HOME:
            self.collapse_shade()
            if self._am is not None:
                self._am.go_home()
        elif keycode == keys.KEYCODE_BACK:
            if self.shade is not None:
                self.collapse_shade()
            elif self._am is not None and self._am.top and self._am.top[0] != LAUNCHER_PACKAGE:
                # BACK on a task's root activity moves the task to the back (API 31+
                # ActivityClientController.onBackPressed); the launcher comes forward.
                self._am.go_home()
        elif keycode == keys.KEYCODE_APP_SWITCH:
            self.collapse_shade()
        elif keycode == keys.KEYCODE_NOTIFICATION:
            self.open_shade("notifications")
        elif keycode in (keys.KEYCODE_DEL, keys.KEYCODE_FORWARD_DEL):
            self.edit_focused(lambda text: text[:-1])
        else:
            char = keys.char_for_keycode(keycode)
            if char is not None:
                self.edit_focused(lambda text: text + char)

    def tap(self, x: float, y: float) -> bool:
        if not self.screen_on:
            return False
        screen = self.screen()
        window = screen.window_at(x, y)
        node = screen.clickable_at(x, y)
        if window is None:
            return True
        if node is None:
            target = screen.node_at(x, y)
            if target is not None and target.editable:
                self.focused_node = (window.name, target.key)
            elif window.kind == "notification_shade" and self.shade is not None:
                # A tap on empty shade space collapses it (onEmptySpaceClick).
                self.collapse_shade()
            return True
        if node.focusable or node.editable:
            self.focused_node = (window.name, node.key)
        if node.on_click is not None:
            node.on_click()
        return True

    def swipe(self, x1: float, y1: float, x2: float, y2: float) -> bool:
        if not self.screen_on:
            return False
        h = self.logical_size[1]
        dy = y2 - y1
        status_bar = round(24 * self.density / 160)
        if self.shade is not None:
            if dy < -h / 10:
                self.collapse_shade()
            elif dy > h / 10 and self.shade == "notifications":
                self.shade = "quick_settings"  # pulling down again expands Quick Settings
            return True
        if y1 <= status_bar * 2 and dy > h / 10:
            # A drag down from the status bar expands the shade (PhoneStatusBarView touch
            # handling -> NotificationPanelViewController), on the keyguard too.
            self.open_shade("notifications")
        elif self.keyguard_showing and dy < -h / 4:
            # Swipe-up lock (SecurityMode.None): the bouncer has nothing to ask, so
            # KeyguardSecurityContainer dismisses at once.
            self.dismiss_keyguard()
        return True

    def motion(self, action: str, x: float, y: float) -> bool:
        """A raw touch (``input motionevent``, u2's injectInputEvent): DOWN, MOVE, UP, CANCEL.

        Up within the touch slop of the down point is a tap, farther away a swipe
        (ViewConfiguration.getScaledTouchSlop: 8 dp).
        """
        point = (float(x), float(y))
        if action == "DOWN":
            self.touch_down = point
        elif action == "UP" and self.touch_down is not None:
            start, self.touch_down = self.touch_down, None
            slop = 8 * self.density / 160
            if abs(point[0] - start[0]) <= slop and abs(point[1] - start[1]) <= slop:
                return self.tap(*start)
            return self.swipe(*start, *point)
        elif action == "CANCEL":
            self.touch_down = None
        return True

    def set_text(self, window: str, node: UiNode, text: str) -> None:
        if node.on_set_text is not None:
            node.on_set_text(text)
        else:
            self.text_edits[(window, node.key)] = text

    def type_text(self, text: str) -> bool:
        """``input text``: into the focused editable field, if any."""
        return self.edit_focused(lambda current: current + text)

    def edit_focused(self, change: Any) -> bool:
        if self.focused_node is None:
            return False
        screen = self.screen()
        for window in screen.windows:
            for node in window.root.walk():
                if (window.name, node.key) == self.focused_node and node.editable:
                    self.set_text(window.name, node, change(node.text))
                    return True
        return False

    # ---------------------------------------------------------------- shade and keyguard
    def open_shade(self, mode: str = "notifications") -> bool:
        if not self.screen_on:
            return False
        self.shade = mode
        return True

    def collapse_shade(self) -> None:
        self.shade = None

    def dismiss_keyguard(self) -> None:
        if self.keyguard_showing:
            self.keyguard_showing = False
            self.device.log.log(
                "I", "KeyguardViewMediator", "keyguardDone", pid=self.device.system_server_pid
            )

    def lockscreen_enabled(self) -> bool:
        s = self._settings
        return s is None or s.get("secure", "lockscreen.disabled") != "1"

    def _on_screen(self, on: bool, **_: object) -> None:
        if not on:
            self.shade = None
            if self.lockscreen_enabled():
                self.keyguard_showing = True

    def _on_top_changed(self, **_: object) -> None:
        # A new activity brings new views: typed text and focus stay with the old ones.
        self.text_edits.clear()
        self.focused_node = None

    def show_toast(self, package: str, text: str) -> None:
        """A Toast posted by ``package``; uiautomator2's getLastToast reports it."""
        self.last_toast = (text, self.device.clock.elapsed_ms())

    # ---------------------------------------------------------------- focus, for dumpsys
    def focus_title(self, screen: Screen | None = None) -> str:
        screen = screen or self.screen()
        return screen.focused.name

    def window_line(self, window: Window) -> str:
        return f"Window{{{window.hash} u0 {window.name}}}"

    def focused_app_line(self) -> str:
        am = self._am
        top = am.top if am is not None and am.top else (LAUNCHER_PACKAGE, LAUNCHER_ACTIVITY)
        record = zlib.crc32(("ActivityRecord:" + "/".join(top)).encode()) & 0xFFFFFFF
        task = 1 if top[0] == LAUNCHER_PACKAGE else 7
        return f"ActivityRecord{{{record:x} u0 {short_component(*top)} t{task}}}"

    # ---------------------------------------------------------------- dumpsys window, cmd window
    async def dump(self, inv: Invocation, args: list[str]) -> int:
        return await dump_window(self, inv, args)

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        return await window_command(self, inv, args)
