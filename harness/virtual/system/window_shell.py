"""``dumpsys window`` and ``cmd window`` (``wm``) for the window manager model.

The dump sections follow WindowManagerService.dump (``policy``, ``displays``, ``windows``; any
other argument names windows) with the lines tools grep for: ``mCurrentFocus=Window{hash u0
pkg/cls}`` and ``mFocusedApp=ActivityRecord{hash u0 pkg/.Cls tN}`` (adbutils' app_current),
the KeyguardServiceDelegate block (``showing=``), DisplayRotation's ``mRotation``. The
commands follow WindowManagerShellCommand; ShellCommand.handleDefaultCommands returns -1
(exit 255) after help or an unknown command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.packages import PackageManagerService

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation
    from harness.virtual.system.window import WindowManagerService
    from harness.virtual.ui.screens import Screen, Window

ROTATION_NAMES = ["ROTATION_0", "ROTATION_90", "ROTATION_180", "ROTATION_270"]


async def dump_window(wm: WindowManagerService, inv: Invocation, args: list[str]) -> int:
    rest = [a for a in args if not a.startswith("-")]
    screen = wm.screen()
    if not rest:
        _dump_policy(wm, inv)
        inv.outln()
        _dump_displays(wm, inv, screen)
        inv.outln()
        _dump_windows(wm, inv, screen)
        return 0
    section = rest[0]
    if section in ("policy", "p"):
        _dump_policy(wm, inv)
    elif section in ("displays", "d"):
        _dump_displays(wm, inv, screen)
    elif section in ("windows", "w"):
        _dump_windows(wm, inv, screen)
    else:
        # Anything else names windows (WindowManagerService.dumpWindows with a name).
        matching = [w for w in screen.windows if section in w.name]
        if not matching:
            inv.outln(f"Bad window command, or no windows match: {section}")
            inv.outln("Use -h for help.")
            return 0
        for window in matching:
            _dump_window(wm, inv, window, 0)
    return 0


def _dump_policy(wm: WindowManagerService, inv: Invocation) -> None:
    on = wm.screen_on
    inv.outln("WINDOW MANAGER POLICY STATE (dumpsys window policy)")
    inv.outln("    mSafeMode=false mSystemReady=true mSystemBooted=true")
    inv.outln(f"    mScreenOnEarly={_b(on)} mScreenOnFully={_b(on)}")
    inv.outln("    mKeyguardDrawComplete=true mWindowManagerDrawComplete=true")
    inv.outln("    mShortPressOnPowerBehavior=SHORT_PRESS_POWER_GO_TO_SLEEP")
    inv.outln("    KeyguardServiceDelegate")
    inv.outln(f"      showing={_b(wm.keyguard_showing)}")
    inv.outln(f"      showingAndNotOccluded={_b(wm.keyguard_showing)}")
    inv.outln("      inputRestricted=false")
    inv.outln("      occluded=false")
    inv.outln("      secure=false")
    inv.outln("      dreaming=false")
    inv.outln("      systemIsReady=true")
    inv.outln("      deviceHasKeyguard=true")
    inv.outln(f"      enabled={_b(wm.lockscreen_enabled())}")
    inv.outln("      currentUser=0")
    inv.outln("      bootCompleted=true")
    inv.outln(f"      screenState={'SCREEN_STATE_ON' if on else 'SCREEN_STATE_OFF'}")
    inv.outln(
        f"      interactiveState={'INTERACTIVE_STATE_AWAKE' if on else 'INTERACTIVE_STATE_SLEEP'}"
    )
    inv.outln("      KeyguardStateMonitor")
    inv.outln(f"        mIsShowing={_b(wm.keyguard_showing)}")
    inv.outln("        mSimSecure=false")
    inv.outln("        mInputRestricted=false")
    inv.outln("        mCurrentUserId=0")


def _dump_displays(wm: WindowManagerService, inv: Invocation, screen: Screen) -> None:
    pw, ph = wm.physical_size
    w, h = wm.logical_size
    nav = round(48 * wm.density / 160)
    status = round(24 * wm.density / 160)
    inv.outln("WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)")
    inv.outln("  Display: mDisplayId=0 rootTasks=2")
    inv.outln(
        f"    init={pw}x{ph} {wm.physical_density}dpi cur={w}x{h} "
        f"app={w}x{h - nav - status} rng={min(w, h)}x{min(w, h) - nav}-"
        f"{max(w, h)}x{max(w, h) - nav}"
    )
    inv.outln(f"    deferred=false mLayoutNeeded=false mTouchExcludeRegion=SkRegion((0,0,{w},{h}))")
    inv.outln()
    inv.outln(f"    mCurrentFocus={wm.window_line(screen.focused)}")
    inv.outln(f"    mFocusedApp={wm.focused_app_line()}")
    inv.outln("  DisplayRotation")
    inv.outln("    mCurrentAppOrientation=SCREEN_ORIENTATION_UNSPECIFIED")
    inv.outln(f"    mRotation={wm.rotation} mDeferredRotationPauseCount=0")
    mode = "USER_ROTATION_LOCKED" if wm.rotation_locked else "USER_ROTATION_FREE"
    inv.outln(
        f"    mUserRotationMode={mode} mUserRotation={ROTATION_NAMES[wm.rotation]} "
        f"mCameraRotationMode=0"
    )


def _dump_windows(wm: WindowManagerService, inv: Invocation, screen: Screen) -> None:
    inv.outln("WINDOW MANAGER WINDOWS (dumpsys window windows)")
    for i, window in enumerate(reversed(screen.windows)):
        _dump_window(wm, inv, window, i)
    w, h = wm.logical_size
    dp_w, dp_h = w * 160 // wm.density, h * 160 // wm.density
    orientation = "land" if w > h else "port"
    inv.outln()
    inv.outln(
        f"  mGlobalConfiguration={{1.0 ?mcc?mnc [en_US] ldltr sw{min(dp_w, dp_h)}dp "
        f"w{dp_w}dp h{dp_h}dp {wm.density}dpi nrml long {orientation} finger -keyb/v/h "
        f"-nav/h s.1}}"
    )
    inv.outln("  mHasPermanentDpad=false")
    inv.outln("  mTopFocusedDisplayId=0")
    inv.outln("  mInputMethodWindow=null")
    inv.outln(f"  mCurrentFocus={wm.window_line(screen.focused)}")
    inv.outln(f"  mFocusedApp={wm.focused_app_line()}")
    inv.outln("  mInTouchMode=true")
    inv.outln("  mSystemBooted=true mDisplayEnabled=true")
    inv.outln(f"  mDisplayFrozen=false windows=0 client=false apps=0  mRotation={wm.rotation}")


def _dump_window(wm: WindowManagerService, inv: Invocation, window: Window, index: int) -> None:
    pm = wm.system.maybe_service(PackageManagerService)
    pkg = pm.get(window.package) if pm is not None else None
    uid = pkg.uid if pkg is not None else 1000
    r = window.root.rect
    inv.outln(f"  Window #{index} {wm.window_line(window)}:")
    inv.outln("    mDisplayId=0 rootTaskId=1 mSession=Session{1a2b3c4 0:u0a10000}")
    inv.outln(f"    mOwnerUid={uid} showForAllUsers=false package={window.package} appop=NONE")
    inv.outln(f"    mAttrs={{({r.left},{r.top})({r.width}x{r.height}) ty={_window_type(window)}}}")
    inv.outln(f"    mFrame=[{r.left},{r.top}][{r.right},{r.bottom}]")
    inv.outln("    mHasSurface=true isReadyForDisplay()=true mWindowRemovalAllowed=false")
    inv.outln("    isOnScreen=true")
    inv.outln("    isVisible=true")


async def window_command(wm: WindowManagerService, inv: Invocation, args: list[str]) -> int:
    # WindowManagerShellCommand; ShellCommand.handleDefaultCommands returns -1 (255).
    if not args or args[0] in ("help", "-h"):
        _help(wm, inv)
        return 255
    cmd, rest = args[0], [a for a in args[1:]]
    if "-d" in rest:
        idx = rest.index("-d")
        display = rest[idx + 1] if idx + 1 < len(rest) else ""
        del rest[idx : idx + 2]
        if display not in ("0", ""):
            inv.errln(f"Error: invalid display: {display}")
            return 255
    if cmd == "size":
        return _cmd_size(wm, inv, rest)
    if cmd == "density":
        return _cmd_density(wm, inv, rest)
    if cmd == "dismiss-keyguard":
        wm.dismiss_keyguard()
        return 0
    if cmd == "user-rotation":
        return _cmd_user_rotation(wm, inv, rest)
    inv.outln(f"Unknown command: {cmd}")
    return 255


def _help(wm: WindowManagerService, inv: Invocation) -> None:
    inv.outln("Window manager (window) commands:")
    inv.outln("  help")
    inv.outln("      Print this help text.")
    inv.outln("  size [reset|WxH|WdpxHdp] [-d DISPLAY_ID]")
    inv.outln("    Return or override display size.")
    inv.outln("    width and height in pixels unless suffixed with 'dp'.")
    inv.outln("  density [reset|DENSITY] [-d DISPLAY_ID]")
    inv.outln("    Return or override display density.")
    inv.outln("  dismiss-keyguard")
    inv.outln("    Dismiss the keyguard, prompting user for auth if necessary.")
    inv.outln("  user-rotation [-d DISPLAY_ID] [free|lock] [rotation]")
    inv.outln("    Print or set user rotation mode and user rotation.")


def _cmd_size(wm: WindowManagerService, inv: Invocation, args: list[str]) -> int:
    if not args:
        w, h = wm.physical_size
        inv.outln(f"Physical size: {w}x{h}")
        if wm.overrides.width and wm.overrides.height:
            inv.outln(f"Override size: {wm.overrides.width}x{wm.overrides.height}")
        return 0
    text = args[0]
    if text == "reset":
        wm.set_size(None, None)
        return 0
    width_text, sep, height_text = text.partition("x")
    try:
        if not sep or not width_text or not height_text:
            raise ValueError(text)
        width = _dimension(wm, width_text)
        height = _dimension(wm, height_text)
    except ValueError:
        inv.errln(f"Error: bad size {text}")
        return 255
    wm.set_size(width, height)
    return 0


def _dimension(wm: WindowManagerService, text: str) -> int:
    if text.endswith("dp"):
        return round(int(text[:-2]) * wm.density / 160)
    return int(text)


def _cmd_density(wm: WindowManagerService, inv: Invocation, args: list[str]) -> int:
    if not args:
        inv.outln(f"Physical density: {wm.physical_density}")
        if wm.overrides.density:
            inv.outln(f"Override density: {wm.overrides.density}")
        return 0
    if args[0] == "reset":
        wm.set_density(None)
        return 0
    try:
        density = int(args[0])
    except ValueError as exc:
        inv.errln(f"Error: bad number {exc}")
        return 255
    if density < 72:
        inv.errln("Error: density must be >= 72")
        return 255
    wm.set_density(density)
    return 0


def _cmd_user_rotation(wm: WindowManagerService, inv: Invocation, args: list[str]) -> int:
    if not args:
        inv.outln(f"{'lock' if wm.rotation_locked else 'free'} {wm.rotation}")
        return 0
    mode = args[0]
    if mode not in ("free", "lock"):
        inv.errln(f"Error: lock mode needs to be either free or lock. Got {mode}")
        return 255
    rotation = None
    if len(args) > 1:
        try:
            rotation = int(args[1])
        except ValueError:
            inv.errln(f"Error: bad rotation {args[1]}")
            return 255
    wm.set_user_rotation(rotation if rotation is not None else wm.rotation, mode == "lock")
    return 0


def _b(value: bool) -> str:
    return "true" if value else "false"


def _window_type(window: Window) -> str:
    return {
        "app": "BASE_APPLICATION",
        "launcher": "BASE_APPLICATION",
        "status_bar": "STATUS_BAR",
        "navigation_bar": "NAVIGATION_BAR",
        "notification_shade": "NOTIFICATION_SHADE",
    }.get(window.kind, "APPLICATION")
