"""Screen and UI commands: wm, input, screencap, uiautomator, app_process.

``wm`` is a script around ``cmd window``; ``input`` is ``cmd input`` (InputShellCommand) and
injects through the window manager's input policy; ``screencap`` and ``uiautomator dump``
capture the screen model; ``app_process`` runs the one Java program test tools start this way,
the uiautomator2 server.
"""

from __future__ import annotations

import asyncio
import contextlib

from harness.virtual.fs import FsError
from harness.virtual.shell.commands.framework import run_service_command
from harness.virtual.shell.registry import Invocation, command
from harness.virtual.ui import keys
from harness.virtual.ui.hierarchy import hierarchy_xml
from harness.virtual.ui.screens import Screen, ScreenState, build_screen

DEFAULT_DUMP_PATH = "/sdcard/window_dump.xml"
CMD_SERVICE_NOT_FOUND = 20


def _wm(inv: Invocation):  # type: ignore[no-untyped-def]
    from harness.virtual.system.window import WindowManagerService

    system = inv.device.system if inv.device.system_ready else None
    return system.maybe_service(WindowManagerService) if system is not None else None


def _screen(inv: Invocation) -> Screen:
    wm = _wm(inv)
    if wm is not None:
        return wm.screen()
    # Before the framework runs nothing is composed: a dark panel.
    return build_screen(ScreenState(screen_on=False))


# ---------------------------------------------------------------------------------- wm
@command("wm")
async def wm(inv: Invocation) -> int:
    return await run_service_command(inv, "window", inv.args)


# ---------------------------------------------------------------------------------- input
INPUT_SOURCES = {
    "keyboard",
    "mouse",
    "joystick",
    "touchnavigation",
    "touchpad",
    "trackball",
    "dpad",
    "stylus",
    "gamepad",
    "touchscreen",
    "rotaryencoder",
}

INPUT_USAGE = """Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]

The sources are:
      dpad
      keyboard
      mouse
      touchpad
      gamepad
      touchnavigation
      joystick
      touchscreen
      stylus
      trackball

-d: specify the display ID.
      (Default: -1 for key event, 0 for motion event if not specified.)
The commands and default sources are:
      text <string> (Default: keyboard)
      keyevent [--longpress|--doubletap] <key code number or name> ... (Default: keyboard)
      tap <x> <y> (Default: touchscreen)
      swipe <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      draganddrop <x1> <y1> <x2> <y2> [duration(ms)] (Default: touchscreen)
      press (Default: trackball)
      roll <dx> <dy> (Default: trackball)
      motionevent <DOWN|UP|MOVE|CANCEL> <x> <y> (Default: touchscreen)"""


@command("input")
async def input_(inv: Invocation) -> int:
    """InputShellCommand (frameworks/base/services/core/java/com/android/server/input)."""
    args = list(inv.args)
    if args and args[0] in INPUT_SOURCES:
        args = args[1:]
    if len(args) >= 2 and args[0] == "-d":
        args = args[2:]
    if not args or args[0] in ("help", "-h"):
        inv.outln(INPUT_USAGE)
        return 255 if not args else 0
    wm = _wm(inv)
    if wm is None:
        inv.errln("cmd: Can't find service: input")
        return CMD_SERVICE_NOT_FOUND
    cmd, rest = args[0], args[1:]
    try:
        if cmd == "keyevent":
            return _keyevent(inv, wm, rest)
        if cmd == "text":
            if not rest:
                raise ValueError
            # sendText: "%s" stands for a space, since shells split on spaces.
            wm.type_text(" ".join(rest).replace("%s", " "))
            return 0
        if cmd == "tap":
            if len(rest) < 2:
                raise ValueError
            wm.tap(float(rest[0]), float(rest[1]))
            return 0
        if cmd in ("swipe", "draganddrop"):
            if len(rest) < 4:
                raise ValueError
            x1, y1, x2, y2 = (float(a) for a in rest[:4])
            # The gesture takes its duration (InputShellCommand default 300 ms), capped.
            duration_ms = int(rest[4]) if len(rest) > 4 else 300
            await asyncio.sleep(inv.device.clock.real_delay_s(min(max(duration_ms, 0), 2000)))
            wm.swipe(x1, y1, x2, y2)
            return 0
        if cmd == "press":
            wm.inject_key(keys.KEYCODE_DPAD_CENTER)
            return 0
        if cmd == "roll":
            return 0
        if cmd == "motionevent":
            if len(rest) < 3 or rest[0].upper() not in ("DOWN", "UP", "MOVE", "CANCEL"):
                raise ValueError
            wm.motion(rest[0].upper(), float(rest[1]), float(rest[2]))
            return 0
    except ValueError:
        inv.errln(f"Error: Invalid arguments for command: {cmd}")
        inv.errln(INPUT_USAGE)
        return 1
    inv.errln(f"Error: Unknown command: {cmd}")
    inv.errln(INPUT_USAGE)
    return 1


def _keyevent(inv: Invocation, wm, args: list[str]) -> int:  # type: ignore[no-untyped-def]
    longpress = False
    doubletap = False
    codes = []
    it = iter(args)
    for arg in it:
        if arg == "--longpress":
            longpress = True
        elif arg == "--doubletap":
            doubletap = True
        elif arg == "--async":
            continue
        elif arg == "--delay":
            next(it, None)
        else:
            codes.append(keys.keycode_from_string(arg))
    if not codes:
        raise ValueError
    for code in codes:
        # Every key reaches the policy and the power manager through the key_event event;
        # an unknown name is KEYCODE_UNKNOWN, injected silently.
        wm.inject_key(code, longpress=longpress)
        if doubletap:
            wm.inject_key(code, longpress=False)
    return 0


# ---------------------------------------------------------------------------------- screencap
SCREENCAP_USAGE = """usage: screencap [-hp] [-d display-id] [FILENAME]
   -h: this message
   -p: save the file as a png.
   -d: specify the physical display ID to capture (default: first display)
If FILENAME ends with .png it will be saved as a png.
If FILENAME is not given, the results will be printed to stdout."""


@command("screencap")
async def screencap(inv: Invocation) -> int:
    """frameworks/base/cmds/screencap/screencap.cpp."""
    from harness.virtual.ui.render import encode_png, encode_raw

    png = False
    path: str | None = None
    it = iter(inv.args)
    for arg in it:
        if arg == "-p":
            png = True
        elif arg == "-d":
            next(it, None)  # one physical display: every id captures it
        elif arg in ("-h", "--help"):
            inv.errln(SCREENCAP_USAGE)
            return 0
        elif arg.startswith("-"):
            inv.errln(SCREENCAP_USAGE)
            return 1
        else:
            path = arg
    screen = _screen(inv)
    if path is not None and path.endswith(".png"):
        png = True
    data = encode_png(screen) if png else encode_raw(screen, inv.device.api_level)
    if path is None:
        inv.out(data)
        await inv.stdout.drain()
        return 0
    try:
        inv.device.fs.write_file(inv.resolve(path), data, uid=inv.uid, mode=0o664)
    except FsError as exc:
        inv.errln(f"Error opening file: {path} ({exc.reason})")
        return 1
    return 0


# ---------------------------------------------------------------------------------- uiautomator
UIAUTOMATOR_USAGE = """Usage: uiautomator <subcommand> [options]

Available subcommands:

help: displays help message

runtest: executes UI automation tests
    runtest <class spec> [options]

dump: creates an XML dump of current UI hierarchy
    dump [--verbose][file]
      [--compressed]: dumps compressed layout information.
      [file]: the location where the dumped XML should be stored, default is
      /sdcard/window_dump.xml

events: prints out accessibility events until terminated"""


@command("uiautomator")
async def uiautomator(inv: Invocation) -> int:
    """frameworks/base/cmds/uiautomator: DumpCommand writes the active window's tree."""
    args = list(inv.args)
    if not args or args[0] != "dump":
        inv.outln(UIAUTOMATOR_USAGE)
        return 0
    paths = [a for a in args[1:] if not a.startswith("--")]
    path = paths[0] if paths else DEFAULT_DUMP_PATH
    wm = _wm(inv)
    if wm is None or not wm.screen_on:
        # No active window to take a root from (screen off or framework down).
        inv.errln("ERROR: null root node returned by UiTestAutomationBridge.")
        return 0
    screen = wm.screen()
    xml = hierarchy_xml(screen.active_roots(), screen.rotation)
    if path in ("/dev/tty", "/dev/stdout"):
        inv.out(xml)
    else:
        try:
            inv.device.fs.write_file(inv.resolve(path), xml.encode("utf-8"), uid=inv.uid)
        except FsError as exc:
            inv.errln(f"ERROR: could not write to {path}: {exc.reason}")
            return 0
    inv.outln(f"UI hierchary dumped to: {path}")
    return 0


# ---------------------------------------------------------------------------------- app_process
@command("app_process", "app_process64")
async def app_process(inv: Invocation) -> int:
    """Only uiautomator2's server (``CLASSPATH=/data/local/tmp/u2.jar ... com.wetest.uia2.Main
    -p PORT``) is modelled; it runs until the stream that started it closes."""
    from harness.virtual.uiautomator.server import (
        ALREADY_REGISTERED,
        DEFAULT_PORT,
        MAIN_CLASS,
        UiAutomatorServer,
    )

    args = list(inv.args)
    while args and args[0].startswith("-"):  # VM options and --nice-name=
        args.pop(0)
    if len(args) < 2:
        inv.errln("Usage: app_process [java-options] cmd-dir start-class-name [options]")
        return 1
    class_name, class_args = args[1], args[2:]
    classpath = [p for p in inv.env.get("CLASSPATH", "").split(":") if p]
    jars = [p for p in classpath if inv.device.fs.exists(inv.resolve(p))]
    if class_name != MAIN_CLASS or not jars:
        dex_path = ",".join(f'zip file "{p}"' for p in jars)
        inv.errln(
            f'Exception in thread "main" java.lang.ClassNotFoundException: Didn\'t find class '
            f'"{class_name}" on path: DexPathList[[{dex_path}],'
            f"nativeLibraryDirectories=[/system/lib64, /system_ext/lib64]]"
        )
        return 1
    port = DEFAULT_PORT
    if "-p" in class_args:
        idx = class_args.index("-p")
        with contextlib.suppress(IndexError, ValueError):
            port = int(class_args[idx + 1])
    if not inv.device.system_ready:
        inv.errln("java.lang.IllegalStateException: UiAutomation not connected!")
        return 1
    if UiAutomatorServer.running_on(inv.device) is not None:
        inv.errln(ALREADY_REGISTERED)
        return 1
    if port in inv.device.sockets:
        inv.errln("java.net.BindException: bind failed: EADDRINUSE (Address already in use)")
        return 1
    server = UiAutomatorServer(inv.device, port)

    def announce(line: str) -> None:
        inv.outln(line)

    await server.run(announce)
    return 0
